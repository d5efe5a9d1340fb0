//! WapiKit's error answers: the HTTP status and a bare JSON string (`"conversation not
//! found"`), as its Go controllers send them; 429 is `{"error": "Rate limit exceeded",
//! "remaining": 0, "reset": <unix s>}` with `Retry-After` and `X-RateLimit-*`.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WkError {
    pub status: StatusCode,
    pub message: String,
    /// For 429: (limit, seconds until the window resets, reset as Unix seconds).
    pub rate_limit: Option<(u32, u64, i64)>,
}

pub type WkResult<T> = Result<T, WkError>;

impl WkError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            rate_limit: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized access")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn too_many_requests(limit: u32, retry_after_secs: u64, reset_unix: i64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Rate limit exceeded".into(),
            rate_limit: Some((limit, retry_after_secs.max(1), reset_unix)),
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong while processing your request.",
        )
    }
}

impl std::fmt::Display for WkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for WkError {}

impl From<sqlx::Error> for WkError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        Self::internal()
    }
}

impl From<crate::error::ApiError> for WkError {
    fn from(err: crate::error::ApiError) -> Self {
        if err.status == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large")
        } else if err.status.is_server_error() {
            Self::internal()
        } else {
            Self::bad_request(err.description)
        }
    }
}

impl IntoResponse for WkError {
    fn into_response(self) -> Response {
        if self.status != StatusCode::INTERNAL_SERVER_ERROR && self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), message = %self.message, "wapikit error");
        }
        match self.rate_limit {
            Some((limit, retry, reset)) => {
                let mut resp = (
                    self.status,
                    Json(json!({"error": self.message, "remaining": 0, "reset": reset})),
                )
                    .into_response();
                let h = resp.headers_mut();
                let mut set = |name: &'static str, v: String| {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        h.insert(HeaderName::from_static(name), v);
                    }
                };
                set("retry-after", retry.to_string());
                set("x-ratelimit-limit", limit.to_string());
                set("x-ratelimit-remaining", "0".into());
                set("x-ratelimit-reset", reset.to_string());
                resp
            }
            None => (self.status, Json(json!(self.message))).into_response(),
        }
    }
}
