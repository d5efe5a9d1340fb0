//! Client errors the UI can tell apart, mapped to `AppError {code, message}`.

use parley_core::{AppError, ErrorCode, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No answer: DNS, refused, reset, timeout, TLS. Retrying later may work.
    #[error("cannot reach {host}: {detail}")]
    Network { host: String, detail: String },
    /// Wrong user id or password.
    #[error("the server rejected the credentials")]
    InvalidCredentials,
    /// The application key is unknown to the server.
    #[error("the server does not know application key {0}")]
    UnknownApplication(String),
    /// The session is no longer valid (and refreshing it failed).
    #[error("the session has expired: {0}")]
    Unauthorized(String),
    /// An API key (WapiKit's `x-access-token`) was refused: missing, invalid, revoked or of
    /// an organisation the key's user has left. Signing in again does not help; a new key does.
    #[error("{service} refused this API key: {detail}")]
    ApiKeyRejected { service: String, detail: String },
    /// The server refused this action for this user (HTTP 403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The platform's `errorResponse` (e.g. AL-G-01 group not found).
    #[error("{description} ({code})")]
    Platform { code: String, description: String },
    /// An HTTP error without the platform's envelope.
    #[error("server error {status}: {body}")]
    Http { status: u16, body: String },
    /// A body Parley could not decode.
    #[error("unexpected answer from the server: {0}")]
    BadResponse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("keyring: {0}")]
    Keyring(String),
    #[error("{0}")]
    Invalid(String),
    /// The account's platform does not offer this action (the message says what).
    #[error("{0}")]
    Unsupported(String),
    /// Input refused with the form field it concerns (the UI shows it beside that field).
    #[error("{message}")]
    InvalidField { field: String, message: String },
}

impl ClientError {
    /// Worth retrying (network trouble or a 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } => true,
            Self::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    pub fn to_app_error(&self) -> AppError {
        let code = match self {
            Self::Network { .. } => ErrorCode::Unreachable,
            Self::InvalidCredentials | Self::Unauthorized(_) | Self::ApiKeyRejected { .. } => {
                ErrorCode::Unauthorized
            }
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::UnknownApplication(_) => ErrorCode::UnknownApplication,
            Self::Platform { .. } | Self::Http { .. } | Self::BadResponse(_) => {
                ErrorCode::BadResponse
            }
            Self::Store(_) => ErrorCode::Storage,
            Self::Keyring(_) => ErrorCode::Keyring,
            Self::Invalid(_) | Self::InvalidField { .. } => ErrorCode::InvalidInput,
            Self::Unsupported(_) => ErrorCode::Unsupported,
        };
        let message = match self {
            Self::Network { host, .. } => format!(
                "Can't reach {host}. Check your connection; Parley keeps working offline and retries."
            ),
            Self::InvalidCredentials => "Wrong user id or password.".to_owned(),
            Self::UnknownApplication(k) => {
                format!("The server does not know the application key \"{k}\".")
            }
            Self::Unauthorized(_) => "Your session has expired. Sign in again.".to_owned(),
            Self::ApiKeyRejected { service, .. } => format!(
                "{service} refused this API key. Create a new key in {service} and enter it again."
            ),
            Self::Forbidden(d) => {
                let d = d.trim();
                if d.is_empty() || d.len() > 200 || d.contains('<') {
                    "You are not allowed to do that here.".to_owned()
                } else {
                    // The platform's own words (e.g. only admins may delete a group).
                    format!("You are not allowed to do that here. The server says: {d}.")
                }
            }
            Self::Store(StoreError::DiskFull(_)) => {
                "The disk is full: Parley cannot save new messages until space is freed.".to_owned()
            }
            other => other.to_string(),
        };
        let e = AppError::new(code, message);
        match self {
            Self::InvalidField { field, .. } => AppError {
                field: Some(field.clone()),
                ..e
            },
            _ => e,
        }
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        e.to_app_error()
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;
