//! Shared plumbing of the typed endpoint modules (`api_groups`, `api_users`, …): sending a
//! JSON body, reading the answers the platform gives in its several shapes (the
//! `{status, response}` envelope, a bare body, Kommunicate's `{code, response}`, plain text).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ClientError, Result};
use crate::http::{decode, snippet, unwrap_api, Body, Host, RestClient};

pub use reqwest::Method;

/// Which group a call is about: the platform accepts its numeric id or the client group id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Id(i64),
    Client(String),
}

impl GroupRef {
    /// `groupId=` or `clientGroupId=`.
    pub fn query(&self) -> (&'static str, String) {
        match self {
            Self::Id(id) => ("groupId", id.to_string()),
            Self::Client(c) => ("clientGroupId", c.clone()),
        }
    }

    /// Adds `groupId` / `clientGroupId` to a JSON object.
    pub fn put_into(&self, body: &mut serde_json::Map<String, Value>) {
        match self {
            Self::Id(id) => body.insert("groupId".into(), Value::from(*id)),
            Self::Client(c) => body.insert("clientGroupId".into(), Value::from(c.clone())),
        };
    }
}

impl From<i64> for GroupRef {
    fn from(id: i64) -> Self {
        Self::Id(id)
    }
}

/// Serialize a request body (our own types: this cannot fail in practice, but it is not
/// unwrapped).
pub fn to_body<T: Serialize>(what: &str, value: &T) -> Result<Body> {
    serde_json::to_value(value)
        .map(Body::Json)
        .map_err(|e| ClientError::Invalid(format!("{what}: {e}")))
}

/// True when the body is the platform's `{status, …}` envelope.
fn is_envelope(v: &Value) -> bool {
    v.get("status").is_some() && (v.get("response").is_some() || v.get("errorResponse").is_some())
}

/// Decode `T` from the envelope's `response` or, when there is no envelope, the bare body.
pub fn envelope_or_bare<T: DeserializeOwned>(text: &str) -> Result<T> {
    let v: Value = decode(text)?;
    if is_envelope(&v) {
        return unwrap_api::<T>(text).map(|(t, _)| t);
    }
    serde_json::from_value(v)
        .map_err(|e| ClientError::BadResponse(format!("{e} in {}", snippet(text))))
}

/// A call whose answer carries nothing (`{status:"success", response:"success"}`, `true`,
/// or the bare text `success`). Errors were already mapped by the transport; an envelope
/// that says `error` is one too.
pub fn expect_done(text: &str) -> Result<()> {
    let trimmed = text.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) if is_envelope(&v) => unwrap_api::<Value>(trimmed).map(|_| ()),
        Ok(_) => Ok(()),
        Err(_) if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("success") => Ok(()),
        // Not the platform talking (a captive portal, a proxy's page).
        Err(_) => Err(ClientError::BadResponse(format!(
            "unexpected answer {}",
            snippet(text)
        ))),
    }
}

/// A plain-text answer (a URL): the body itself, or a JSON string, or the envelope's string.
pub fn text_answer(text: &str) -> Result<String> {
    let trimmed = text.trim();
    let s = match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::String(s)) => s,
        Ok(v) if is_envelope(&v) => unwrap_api::<String>(trimmed)?.0,
        Ok(_) => {
            return Err(ClientError::BadResponse(format!(
                "expected text, got {}",
                snippet(text)
            )))
        }
        Err(_) => trimmed.to_owned(),
    };
    if s.is_empty() {
        return Err(ClientError::BadResponse("empty answer".into()));
    }
    Ok(s)
}

/// Kommunicate's `{code:"SUCCESS", response}`; another code is a platform error.
pub fn kommunicate_answer<T: DeserializeOwned>(text: &str) -> Result<T> {
    #[derive(serde::Deserialize)]
    struct Km<T> {
        #[serde(default, deserialize_with = "parley_core::wire::de_opt_string")]
        code: Option<String>,
        #[serde(default = "none")]
        response: Option<T>,
    }
    fn none<T>() -> Option<T> {
        None
    }
    let v: Value = decode(text)?;
    if is_envelope(&v) && v.get("code").is_none() {
        return unwrap_api::<T>(text).map(|(t, _)| t);
    }
    let km: Km<T> = serde_json::from_value(v)
        .map_err(|e| ClientError::BadResponse(format!("{e} in {}", snippet(text))))?;
    match (km.code.as_deref(), km.response) {
        (Some("SUCCESS") | None, Some(r)) => Ok(r),
        (Some(code), _) if code != "SUCCESS" => Err(ClientError::Platform {
            code: code.to_owned(),
            description: snippet(text),
        }),
        _ => Err(ClientError::BadResponse(format!(
            "no response in {}",
            snippet(text)
        ))),
    }
}

/// Percent-encode one path segment (contact list names go into the path).
pub fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl RestClient {
    /// `call` on the chat host, returning the body text.
    pub(crate) async fn chat(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        idempotent: bool,
    ) -> Result<String> {
        self.call(method, Host::Chat, path, query, body, idempotent)
            .await
    }

    /// A GET on the chat host decoded from the envelope or the bare body.
    pub(crate) async fn chat_get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let text = self
            .chat(Method::GET, path, query, Body::None, true)
            .await?;
        envelope_or_bare(&text)
    }

    /// A GET on the chat host whose answer carries nothing.
    pub(crate) async fn chat_get_done(&self, path: &str, query: &[(&str, String)]) -> Result<()> {
        let text = self
            .chat(Method::GET, path, query, Body::None, true)
            .await?;
        expect_done(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_answers_in_every_shape_decode() {
        let v: Vec<i32> =
            envelope_or_bare(r#"{"status":"success","generatedAt":1,"response":[1]}"#).unwrap();
        assert_eq!(v, vec![1]);
        let v: Vec<i32> = envelope_or_bare("[2]").unwrap();
        assert_eq!(v, vec![2]);
        assert!(envelope_or_bare::<Vec<i32>>("{").is_err());
        assert!(expect_done("success").is_ok());
        assert!(expect_done(r#"{"status":"success","response":true}"#).is_ok());
        assert!(expect_done("").is_ok());
        assert!(expect_done("<html>login</html>").is_err());
        assert!(expect_done(r#"{"status":"error","errorResponse":[]}"#).is_err());
        assert_eq!(text_answer(" http://x/y \n").unwrap(), "http://x/y");
        assert_eq!(text_answer(r#""http://x""#).unwrap(), "http://x");
        assert!(text_answer("").is_err());
        assert!(text_answer("{}").is_err());
        let t: String = kommunicate_answer(r#"{"code":"SUCCESS","response":"ok"}"#).unwrap();
        assert_eq!(t, "ok");
        let e = kommunicate_answer::<String>(r#"{"code":"FAILED","response":"x"}"#).unwrap_err();
        assert!(matches!(e, ClientError::Platform { code, .. } if code == "FAILED"));
    }

    #[test]
    fn test_path_segment_escapes_everything_but_unreserved() {
        assert_eq!(path_segment("Best friends/2"), "Best%20friends%2F2");
        assert_eq!(path_segment("a-b_c.d~"), "a-b_c.d~");
        assert_eq!(path_segment("é"), "%C3%A9");
    }
}
