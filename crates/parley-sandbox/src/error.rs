//! The platform's response envelopes: `{status, generatedAt, response}` on success and
//! `{status:"error", errorResponse:[{errorCode, description, displayMessage}], generatedAt}`
//! on failure.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

use crate::clock::wall_ms;

/// An error answered with the platform's error envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    pub display: &'static str,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            display: "unable to process",
        }
    }

    /// `AL-UN-01 unauthorized user` (the docs' wording, with a more precise description).
    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "AL-UN-01",
            description: description.into(),
            display: "Unable to process",
        }
    }

    /// `AL-UN-01`, answered with 403: authenticated, but not allowed to do this.
    pub fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "AL-UN-01",
            description: "unauthorized user".into(),
            display: "Unable to process",
        }
    }

    pub fn group_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "AL-G-01", "group not found")
    }

    pub fn group_exists() -> Self {
        Self::new(StatusCode::CONFLICT, "AL-G-02", "group already exists")
    }

    pub fn user_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "AL-U-01", "user not found")
    }

    pub fn user_exists() -> Self {
        Self::new(StatusCode::CONFLICT, "AL-U-01", "user already exist")
    }

    pub fn message_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "AL-M-01", "message not found")
    }

    pub fn file_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "AL-F-01", "file not found")
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "AL-IP-01", description)
    }

    pub fn too_large(description: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "AL-IP-02", description)
    }

    pub fn not_found_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "AL-NF-01", "resource not found")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "AL-NF-02",
            "method not allowed",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "AL-IN-01",
            "internal server error",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.description)
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        Self::internal()
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        tracing::error!(error = %err, "serialisation error");
        Self::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "status": "error",
            "errorResponse": [{
                "errorCode": self.code,
                "description": self.description,
                "displayMessage": self.display,
            }],
            "generatedAt": wall_ms(),
        });
        (self.status, Json(body)).into_response()
    }
}

/// `{status:"success", generatedAt, response}`.
pub fn success<T: Serialize>(generated_at: i64, response: T) -> Response {
    Json(json!({
        "status": "success",
        "generatedAt": generated_at,
        "response": response,
    }))
    .into_response()
}

/// `success` with the current time as `generatedAt`.
pub fn ok<T: Serialize>(response: T) -> Response {
    success(wall_ms(), response)
}
