//! The REST transport: the platform's headers (protocol §4.2), JWT refresh before expiry and
//! on 401, retries with backoff on network errors and 5xx for idempotent calls, and the
//! platform's error envelope mapped to [`ClientError`].

use std::sync::Arc;
use std::time::Duration;

use parley_core::wire::{ApiResponse, JwtClaims};
use parley_core::{Endpoints, Secret};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use crate::error::{ClientError, Result};
use crate::secrets::{SecretKind, SecretStore};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Refresh the JWT this long before it expires.
pub const REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;
const RETRIES: u32 = 3;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A reqwest client with Parley's timeouts; one per process is enough.
pub fn http_client() -> Result<reqwest::Client> {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| ClientError::Invalid(format!("HTTP client: {e}")))
}

/// Which of the platform's hosts a call goes to (protocol §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Chat,
    Api,
}

/// The credentials of one signed-in user, shared by REST and MQTT.
pub struct Session {
    pub account_id: String,
    pub app_key: String,
    pub user_id: String,
    pub user_key: String,
    pub is_agent: bool,
    device_key: Secret,
    token: RwLock<Secret>,
    dashboard_token: Option<Secret>,
    secrets: Arc<dyn SecretStore>,
    /// Added to the machine's clock (tests put the clock off with it).
    clock_offset_ms: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account_id", &self.account_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        account_id: String,
        app_key: String,
        user_id: String,
        user_key: String,
        is_agent: bool,
        device_key: Secret,
        token: Secret,
        dashboard_token: Option<Secret>,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
        Self {
            account_id,
            app_key,
            user_id,
            user_key,
            is_agent,
            device_key,
            token: RwLock::new(token),
            dashboard_token,
            secrets,
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// The local clock as this session reads it: [`now_ms`] plus the offset (0 unless a test
    /// puts the machine's clock off).
    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(
            self.clock_offset_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Put this session's clock off by `ms` (tests: a machine whose clock is wrong).
    pub fn set_clock_offset_ms(&self, ms: i64) {
        self.clock_offset_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Rebuild a session from the keyring (after a restart). `None` when signed out.
    pub fn restore(
        account: &parley_core::Account,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Option<Self>> {
        if account.platform == parley_core::Platform::WapiKit {
            // An API key: no device key, no refresh.
            let Some(key) = secrets.get(&account.id, SecretKind::ApiKey)? else {
                return Ok(None);
            };
            return Ok(Some(Self::new(
                account.id.clone(),
                account.app_key.clone(),
                account.user_id.clone(),
                account.user_key.clone(),
                account.is_agent,
                Secret::new(String::new()),
                key,
                None,
                secrets,
            )));
        }
        let device_key = secrets.get(&account.id, SecretKind::DeviceKey)?;
        let token = secrets.get(&account.id, SecretKind::AuthToken)?;
        let (Some(device_key), Some(token)) = (device_key, token) else {
            return Ok(None);
        };
        let dashboard = secrets.get(&account.id, SecretKind::DashboardToken)?;
        Ok(Some(Self::new(
            account.id.clone(),
            account.app_key.clone(),
            account.user_id.clone(),
            account.user_key.clone(),
            account.is_agent,
            device_key,
            token,
            dashboard,
            secrets,
        )))
    }

    /// The token without waiting (`None` only while a refresh is writing it).
    pub fn token_now(&self) -> Option<Secret> {
        self.token.try_read().ok().map(|t| t.clone())
    }

    pub async fn token(&self) -> Secret {
        self.token.read().await.clone()
    }

    pub fn device_key(&self) -> &Secret {
        &self.device_key
    }

    async fn set_token(&self, token: Secret) -> Result<()> {
        self.secrets
            .set(&self.account_id, SecretKind::AuthToken, &token)?;
        *self.token.write().await = token;
        Ok(())
    }

    /// When the current JWT expires (ms), if it says.
    pub async fn token_expires_at(&self) -> Option<i64> {
        JwtClaims::parse(self.token.read().await.expose()).map(|c| c.expires_at_ms())
    }
}

pub struct RestClient {
    http: reqwest::Client,
    pub endpoints: Endpoints,
    pub session: Arc<Session>,
    refresh_lock: Mutex<()>,
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    /// Multipart with one `file` part; rebuilt for each attempt.
    File {
        field: &'static str,
        name: String,
        content_type: String,
        bytes: bytes::Bytes,
        progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
    },
}

impl RestClient {
    pub fn new(http: reqwest::Client, endpoints: Endpoints, session: Arc<Session>) -> Self {
        Self {
            http,
            endpoints,
            session,
            refresh_lock: Mutex::new(()),
        }
    }

    fn base(&self, host: Host) -> &str {
        match host {
            Host::Chat => &self.endpoints.chat,
            Host::Api => &self.endpoints.api,
        }
    }

    /// Refresh the JWT if it expires within the margin (or `force`).
    pub async fn refresh_token(&self, force: bool) -> Result<()> {
        let _guard = self.refresh_lock.lock().await;
        if !force {
            match self.session.token_expires_at().await {
                Some(exp) if exp - self.session.now_ms() > REFRESH_MARGIN_MS => return Ok(()),
                None => return Ok(()),
                _ => {}
            }
        }
        let s = &self.session;
        let url = format!("{}/rest/ws/register/refresh/token", self.endpoints.chat);
        tracing::info!(account = %s.account_id, "refreshing the session token");
        let resp = self
            .http
            .post(&url)
            .header("Application-Key", &s.app_key)
            .header("Device-Key", s.device_key.expose())
            .header("Of-User-Id", &s.user_id)
            .json(&serde_json::json!({"applicationId": s.app_key, "userId": s.user_id}))
            .send()
            .await
            .map_err(|e| network_error(&url, &e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| network_error(&url, &e))?;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ClientError::Unauthorized("token refresh refused".into()));
        }
        if !status.is_success() {
            // A server in trouble (503, 429…) is no verdict on the session: transient.
            return Err(ClientError::Http {
                status: status.as_u16(),
                body: snippet(&text),
            });
        }
        let parsed: ApiResponse<String> = serde_json::from_str(&text)
            .map_err(|_| ClientError::BadResponse(format!("refresh: {}", snippet(&text))))?;
        match parsed.response {
            Some(token) if parsed.is_success() && !token.is_empty() => {
                s.set_token(Secret::new(token)).await
            }
            _ => Err(platform_error(&parsed.error_response)
                .unwrap_or_else(|| ClientError::Unauthorized("token refresh failed".into()))),
        }
    }

    /// Send a request and return the raw body text. Refreshes the JWT first when it is about
    /// to expire, and once more on a 401. `idempotent` calls are retried on transient errors.
    pub async fn call(
        &self,
        method: Method,
        host: Host,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        idempotent: bool,
    ) -> Result<String> {
        self.call_as(None, method, host, path, query, body, idempotent)
            .await
    }

    /// [`call`](Self::call) on behalf of another user (`Of-User-Id`), as agents and bots
    /// may for the calls the platform documents it on (e.g. `user/update`).
    #[allow(clippy::too_many_arguments)]
    pub async fn call_as(
        &self,
        of_user: Option<&str>,
        method: Method,
        host: Host,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        idempotent: bool,
    ) -> Result<String> {
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            if let Err(e) = self.refresh_token(false).await {
                if !e.is_transient() {
                    return Err(e);
                }
            }
            let result = self.once(of_user, &method, host, path, query, &body).await;
            match result {
                Err(ClientError::Unauthorized(_)) if !refreshed => {
                    refreshed = true;
                    self.refresh_token(true).await?;
                }
                Err(e) if idempotent && e.is_transient() && attempt < RETRIES => {
                    attempt += 1;
                    let base = 250u64 << attempt;
                    let jitter = rand::thread_rng().gen_range(0..=base / 2);
                    tracing::warn!(%path, attempt, "retrying after: {e}");
                    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                }
                other => return other,
            }
        }
    }

    async fn once(
        &self,
        of_user: Option<&str>,
        method: &Method,
        host: Host,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
    ) -> Result<String> {
        let url = format!("{}{path}", self.base(host));
        let s = &self.session;
        let token = s.token().await;
        let mut req = self
            .http
            .request(method.clone(), &url)
            .query(query)
            .header("Application-Key", &s.app_key)
            .header("X-Authorization", token.expose())
            .header("Device-Key", s.device_key.expose());
        if let Some(of) = of_user {
            req = req.header("Of-User-Id", of);
        }
        if host == Host::Api {
            if let Some(d) = &s.dashboard_token {
                req = req.header("Authorization", d.expose());
            }
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::File {
                field,
                name,
                content_type,
                bytes,
                progress,
            } => {
                let total = bytes.len() as u64;
                let part = reqwest::multipart::Part::stream_with_length(
                    progress_body(bytes.clone(), progress.clone()),
                    total,
                )
                .file_name(name.clone())
                .mime_str(content_type)
                .map_err(|e| ClientError::Invalid(format!("content type: {e}")))?;
                req.multipart(reqwest::multipart::Form::new().part(*field, part))
            }
        };
        let resp = req.send().await.map_err(|e| network_error(&url, &e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| network_error(&url, &e))?;
        check_status(status, &text)?;
        Ok(text)
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        host: Host,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let text = self
            .call(Method::GET, host, path, query, Body::None, true)
            .await?;
        decode(&text)
    }

    /// GET a `{status, response}` envelope and return `response`.
    pub async fn get_api<T: DeserializeOwned>(
        &self,
        host: Host,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, i64)> {
        let text = self
            .call(Method::GET, host, path, query, Body::None, true)
            .await?;
        unwrap_api(&text)
    }
}

/// A streaming request body that reports progress as it is read.
fn progress_body(
    bytes: bytes::Bytes,
    progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
) -> reqwest::Body {
    const CHUNK: usize = 64 * 1024;
    let total = bytes.len() as u64;
    let chunks: Vec<bytes::Bytes> = (0..bytes.len())
        .step_by(CHUNK)
        .map(|i| bytes.slice(i..(i + CHUNK).min(bytes.len())))
        .collect();
    let mut sent = 0u64;
    let stream = futures::stream::iter(chunks.into_iter().map(move |c| {
        sent += c.len() as u64;
        if let Some(p) = &progress {
            p(sent, total);
        }
        Ok::<_, std::io::Error>(c)
    }));
    reqwest::Body::wrap_stream(stream)
}

pub fn network_error(url: &str, e: &reqwest::Error) -> ClientError {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| "the server".into());
    let detail = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        // reqwest's Display never includes headers, so no secret can appear here.
        e.to_string()
    };
    ClientError::Network { host, detail }
}

pub fn snippet(text: &str) -> String {
    parley_core::model::truncate_chars(text.trim(), 200)
}

fn platform_error(items: &[parley_core::wire::ErrorItem]) -> Option<ClientError> {
    let first = items.first()?;
    let code = first.error_code.clone().unwrap_or_default();
    let description = first
        .description
        .clone()
        .or_else(|| first.display_message.clone())
        .unwrap_or_else(|| "error".into());
    if code.starts_with("AL-UN") || code.contains("UNAUTHORIZED") {
        return Some(ClientError::Unauthorized(description));
    }
    Some(ClientError::Platform { code, description })
}

/// Map the HTTP status and the platform's error envelope to an error.
pub fn check_status(status: StatusCode, text: &str) -> Result<()> {
    if status.is_success() {
        // Some errors come with 200 and `"status":"error"`.
        if text.contains("\"errorResponse\"") {
            if let Ok(r) = serde_json::from_str::<ApiResponse<Value>>(text) {
                if r.status.as_deref() == Some("error") {
                    if let Some(e) = platform_error(&r.error_response) {
                        return Err(e);
                    }
                }
            }
        }
        return Ok(());
    }
    let envelope = serde_json::from_str::<ApiResponse<Value>>(text)
        .ok()
        .and_then(|r| platform_error(&r.error_response));
    if status == StatusCode::FORBIDDEN {
        // Not a session problem: this user may not do this. No refresh, no retry.
        return Err(ClientError::Forbidden(match envelope {
            Some(
                ClientError::Platform { description, .. } | ClientError::Unauthorized(description),
            ) => description,
            _ => snippet(text),
        }));
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(match envelope {
            Some(ClientError::Platform { description, .. }) => {
                ClientError::Unauthorized(description)
            }
            Some(e) => e,
            None => ClientError::Unauthorized(snippet(text)),
        });
    }
    if let Some(e) = envelope {
        if status.is_client_error() {
            return Err(e);
        }
    }
    Err(ClientError::Http {
        status: status.as_u16(),
        body: snippet(text),
    })
}

pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| ClientError::BadResponse(format!("{e} in {}", snippet(text))))
}

/// `{status:"success", generatedAt, response}` → (response, generatedAt).
pub fn unwrap_api<T: DeserializeOwned>(text: &str) -> Result<(T, i64)> {
    let r: ApiResponse<T> = decode(text)?;
    if !r.is_success() {
        return Err(platform_error(&r.error_response)
            .unwrap_or_else(|| ClientError::BadResponse(snippet(text))));
    }
    match r.response {
        Some(v) => Ok((v, r.generated_at)),
        None => Err(ClientError::BadResponse(format!(
            "no response in {}",
            snippet(text)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_error_envelope_maps_to_platform_error() {
        let body = r#"{"status":"error","errorResponse":[{"errorCode":"AL-G-01","description":"group not found","displayMessage":"x"}],"generatedAt":1}"#;
        let e = check_status(StatusCode::NOT_FOUND, body).unwrap_err();
        assert_eq!(
            e,
            ClientError::Platform {
                code: "AL-G-01".into(),
                description: "group not found".into()
            }
        );
        let e = check_status(StatusCode::OK, body).unwrap_err();
        assert!(matches!(e, ClientError::Platform { .. }));
    }

    #[test]
    fn test_unauthorized_and_server_errors_are_told_apart() {
        assert!(matches!(
            check_status(StatusCode::UNAUTHORIZED, "nope").unwrap_err(),
            ClientError::Unauthorized(_)
        ));
        let e = check_status(StatusCode::BAD_GATEWAY, "<html>").unwrap_err();
        assert!(e.is_transient());
        let e = check_status(
            StatusCode::OK,
            r#"{"status":"error","errorResponse":[{"errorCode":"AL-UN-01","description":"unauthorized"}]}"#,
        )
        .unwrap_err();
        assert!(matches!(e, ClientError::Unauthorized(_)));
        assert!(check_status(StatusCode::OK, r#"{"status":"success"}"#).is_ok());
    }

    #[test]
    fn test_unwrap_api_returns_response_and_generated_at() {
        let (v, at): (Vec<i32>, i64) =
            unwrap_api(r#"{"status":"success","generatedAt":42,"response":[1,2]}"#).unwrap();
        assert_eq!((v, at), (vec![1, 2], 42));
        assert!(unwrap_api::<Vec<i32>>("not json").is_err());
    }
}
