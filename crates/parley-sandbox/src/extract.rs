//! Request extractors that answer bad input with the platform's error envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Query parameters, repeated keys kept (`status=0&status=6`, `userIds=a&userIds=b`).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Self::parse(query))
    }
}

impl Params {
    pub fn parse(query: &str) -> Self {
        // Tolerate the SDK quirk `/group/support&pageSize=…` handled at routing level, and a
        // leading `&`.
        Self(
            url::form_urlencoded::parse(query.trim_start_matches('&').as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn required_str(&self, name: &str) -> ApiResult<&str> {
        self.str(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
    }

    /// How many times `name` appears (empty values included).
    pub fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|(k, _)| k == name).count()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn i64(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.str(name) {
            None => Ok(None),
            Some(raw) => raw
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("{name} must be an integer"))),
        }
    }

    pub fn all_i64(&self, name: &str) -> ApiResult<Vec<i64>> {
        self.all(name)
            .into_iter()
            .map(|raw| {
                raw.parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("{name} must be integers")))
            })
            .collect()
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.str(name) {
            None => Ok(None),
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!(
                    "{name} must be true or false"
                ))),
            },
        }
    }

    /// A page size clamped to `1..=max`, `default` when absent.
    pub fn page_size(&self, name: &str, default: i64, max: i64) -> ApiResult<i64> {
        Ok(self.i64(name)?.unwrap_or(default).clamp(1, max))
    }
}

/// A request body, with oversized bodies answered `413` in the platform envelope.
#[derive(Debug, Clone)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) => {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ApiError::too_large("request body is too large"))
                } else {
                    Err(ApiError::bad_request("unreadable request body"))
                }
            }
        }
    }
}

impl Body {
    /// Parses JSON into `T`; malformed JSON or wrong types are a 400.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if self.0.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("request body is required"));
        }
        serde_json::from_slice(&self.0)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }

    /// Parses a JSON object (used where fields are read loosely).
    pub fn object(&self) -> ApiResult<serde_json::Map<String, Value>> {
        match self.json::<Value>()? {
            Value::Object(m) => Ok(m),
            _ => Err(ApiError::bad_request("request body must be a JSON object")),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(u8::is_ascii_whitespace)
    }
}

/// Helpers to read loosely-typed JSON fields (the SDKs send ids as numbers or strings).
pub mod field {
    use serde_json::{Map, Value};

    use crate::error::{ApiError, ApiResult};

    pub fn opt_str(obj: &Map<String, Value>, name: &str) -> ApiResult<Option<String>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
        }
    }

    /// A text field: only JSON strings (ids may be numbers, names may not).
    pub fn opt_text(obj: &Map<String, Value>, name: &str) -> ApiResult<Option<String>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
        }
    }

    pub fn opt_i64(obj: &Map<String, Value>, name: &str) -> ApiResult<Option<i64>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("{name} must be an integer"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("{name} must be an integer"))),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be an integer"))),
        }
    }

    pub fn opt_bool(obj: &Map<String, Value>, name: &str) -> ApiResult<Option<bool>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!("{name} must be a boolean"))),
            },
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a boolean"))),
        }
    }

    pub fn str_list(obj: &Map<String, Value>, name: &str) -> ApiResult<Vec<String>> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(ApiError::bad_request(format!(
                        "{name} must be a list of strings"
                    ))),
                })
                .collect(),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a list"))),
        }
    }
}
