//! Dixa's error answers: the HTTP status and `{"message": "…"}` (plus `Retry-After` on 429).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DixaError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

pub type DixaResult<T> = Result<T, DixaError>;

impl DixaError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `Invalid value for: body` (JSON that does not decode into the documented schema).
    pub fn invalid_body(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("Invalid value for: body ({detail})"))
    }

    /// `Invalid value for: query parameter <name>`.
    pub fn invalid_query(name: &str) -> Self {
        Self::bad_request(format!("Invalid value for: query parameter {name}"))
    }

    /// `Invalid value for: path parameter <name>`.
    pub fn invalid_path(name: &str) -> Self {
        Self::bad_request(format!("Invalid value for: path parameter {name}"))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn end_user_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("An entity in this request could not be found: EndUser [id={id}]"),
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Too Many Requests".into(),
            retry_after: Some(retry_after_secs.max(1)),
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal failure during request processing",
        )
    }

    pub fn not_found_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    }
}

impl std::fmt::Display for DixaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for DixaError {}

impl From<sqlx::Error> for DixaError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        Self::internal()
    }
}

impl From<serde_json::Error> for DixaError {
    fn from(err: serde_json::Error) -> Self {
        tracing::error!(error = %err, "serialisation error");
        Self::internal()
    }
}

impl From<crate::error::ApiError> for DixaError {
    /// The shared extractors' rejections (unreadable or oversized bodies).
    fn from(err: crate::error::ApiError) -> Self {
        if err.status == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large")
        } else if err.status.is_server_error() {
            Self::internal()
        } else {
            Self::invalid_body(err.description)
        }
    }
}

impl IntoResponse for DixaError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(json!({ "message": self.message }))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
