//! The error every host shows to a person: a stable machine-readable `code` the UI can branch
//! on, and a `message` written for a support agent, not a developer.

use serde::{Deserialize, Serialize};

/// Stable error codes. The UI branches on these; never reuse or renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A form field is missing or malformed; `field` names it.
    InvalidInput,
    /// The server could not be reached (DNS, refused, timeout, TLS).
    Unreachable,
    /// The server answered, but rejected the credentials.
    Unauthorized,
    /// The server refused the action for this user (not a session problem).
    Forbidden,
    /// The application key is not known to the server.
    UnknownApplication,
    /// The server answered with something Parley does not understand.
    BadResponse,
    /// The local cache or settings could not be read or written.
    Storage,
    /// The OS keyring is unavailable or refused access.
    Keyring,
    /// The account's platform does not offer this (e.g. groups on a WhatsApp account).
    Unsupported,
    /// A bug: logged with details, shown with a generic message.
    Internal,
}

/// `{code, message, field}` as it crosses IPC. `field` names the form field at fault, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An invalid-input error attached to one form field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidInput,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_error_serializes_as_code_message_field() {
        let e = AppError::invalid_field("userId", "Enter your user id.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "Enter your user id.", "field": "userId"})
        );
    }
}
