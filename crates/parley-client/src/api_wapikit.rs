//! WapiKit's API (`<host>/api`, e.g. `https://api.wapikit.com/api`): the WhatsApp team inbox's
//! conversations, messages, contacts, organisation members and tags, and the real-time event
//! stream (`GET /api/events?token=<key>`, server-sent events whose data is base64
//! MessagePack, decoded by [`parley_core::wapikit::decode_event`]).
//!
//! Transport rules:
//! * `x-access-token: <API key>` (an HS256 JWT WapiKit mints per organisation member). The
//!   key lives in a [`Secret`] and is read only to set the header or the stream's query.
//! * Errors: 401 → [`ClientError::ApiKeyRejected`] ("WapiKit refused this API key"), 400 →
//!   `Invalid` with WapiKit's words, 403 → `Forbidden`, 404 → `Platform` ([`NOT_FOUND`]).
//!   WapiKit's error bodies are a bare JSON string, `{"message": …}` or `{"error": …}`: all
//!   three are read.
//! * Rate limits are per route and per hour (e.g. 600/hour). A 429 closes a gate for the whole
//!   client until `Retry-After` (or `X-RateLimit-Reset`, a Unix time) has passed, then the
//!   request is sent again; attempts are bounded ([`RetryPolicy`]) and a wait longer than
//!   `max_wait` fails at once with `Http { status: 429 }`, so nothing hammers the server.
//! * Network errors and 5xx are retried with backoff for calls that are safe to repeat (not for
//!   sending a message); they are [`ClientError::is_transient`].
//! * Ids in paths must be UUIDs (WapiKit's ids are): checked before sending.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parley_core::wapikit::{
    self, Contact, Conversation, ConversationStatus, Me, Member, Message, MessageDirection,
    MessageStatus, NewMessage, Order, Page, PaginationMeta, Tag, User, WkEvent,
};
use parley_core::Secret;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_retry::RateGate;
pub use crate::api_retry::RetryPolicy;
use crate::error::{ClientError, Result};
use crate::http::{network_error, snippet};

/// WapiKit's hosted API.
pub const WAPIKIT_BASE_URL: &str = "https://api.wapikit.com/api";
/// `ClientError::Platform` code of a 404 (an unknown conversation, contact or member).
pub const NOT_FOUND: &str = "wapikit_not_found";
/// The service name in [`ClientError::ApiKeyRejected`].
pub const SERVICE: &str = "WapiKit";
/// The largest page WapiKit serves (`per_page` above it is a 400).
pub const MAX_PER_PAGE: u64 = 50;
/// The most pages `members` / `tags` follow.
const MAX_PAGES: u64 = 1000;
/// The longest line of the event stream (an event's data is at most this too).
const MAX_SSE_LINE: usize = wapikit::MAX_EVENT_DATA + 1024;

/// What the client has sent so far (for logs, tests and the UI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WapiKitStats {
    /// HTTP requests sent, retries included (the event stream not counted).
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
}

/// `GET /conversations` filters. Unset: page 1, 50 per page, the server's order and its
/// default status filter (open conversations: neither Closed nor Deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationQuery {
    /// 1-based.
    pub page: Option<u64>,
    /// At most [`MAX_PER_PAGE`].
    pub per_page: Option<u64>,
    pub order: Option<Order>,
    pub status: Option<ConversationStatus>,
    pub contact_id: Option<String>,
    pub campaign_id: Option<String>,
}

/// `GET /conversation/{id}/messages` and `GET /messages` filters (the last three only on
/// `GET /messages`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub order: Option<Order>,
    pub conversation_id: Option<String>,
    pub direction: Option<MessageDirection>,
    pub status: Option<MessageStatus>,
}

struct Inner {
    http: reqwest::Client,
    /// For the event stream: no overall request timeout.
    stream_http: reqwest::Client,
    base: String,
    key: Secret,
    /// After a 429: no request of this client (or its clones) leaves before this instant.
    gate: RateGate,
    requests: AtomicU64,
    rate_limited: AtomicU64,
}

/// A WapiKit API client for one API key. Cheap to clone (clones share the 429 gate and the
/// stats); requests may run concurrently.
#[derive(Clone)]
pub struct WapiKitClient {
    inner: Arc<Inner>,
    policy: RetryPolicy,
    idle_timeout: Duration,
}

impl std::fmt::Debug for WapiKitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WapiKitClient")
            .field("base", &self.inner.base)
            .field("key", &self.inner.key)
            .finish_non_exhaustive()
    }
}

fn message_of(text: &str) -> String {
    let found = match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) => Some(s),
        Ok(v) => ["message", "error"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned)),
        Err(_) => None,
    };
    found
        .filter(|m| !m.trim().is_empty())
        .map(|m| snippet(&m))
        .unwrap_or_else(|| snippet(text))
}

/// WapiKit's error answer → `ClientError`.
pub fn wapikit_error(status: StatusCode, text: &str) -> ClientError {
    let message = message_of(text);
    match status {
        StatusCode::UNAUTHORIZED => ClientError::ApiKeyRejected {
            service: SERVICE.into(),
            detail: message,
        },
        StatusCode::FORBIDDEN => ClientError::Forbidden(message),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ClientError::Invalid(message),
        StatusCode::NOT_FOUND => ClientError::Platform {
            code: NOT_FOUND.into(),
            description: message,
        },
        _ => ClientError::Http {
            status: status.as_u16(),
            body: message,
        },
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| ClientError::BadResponse(format!("{e} in {}", snippet(text))))
}

/// How long a 429 asks to wait: `Retry-After` seconds, else `X-RateLimit-Reset` (Unix seconds)
/// minus now.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(secs) = header(RETRY_AFTER.as_str()).and_then(|s| s.parse::<f64>().ok()) {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let reset: i64 = header("x-ratelimit-reset")?.parse().ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(Duration::from_secs(reset.saturating_sub(now).max(1) as u64))
}

/// A path segment that must be a WapiKit id (a UUID), so an id cannot steer the path.
fn id_segment(what: &str, id: &str) -> Result<String> {
    uuid::Uuid::parse_str(id.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ClientError::Invalid(format!("{what} {id:?} is not a WapiKit id")))
}

fn now_rfc3339() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    wapikit::rfc3339_ms(ms)
}

fn page_params(
    page: Option<u64>,
    per_page: Option<u64>,
    order: Option<&Order>,
) -> Vec<(&'static str, String)> {
    let mut q = vec![
        ("page", page.unwrap_or(1).max(1).to_string()),
        (
            "per_page",
            per_page
                .unwrap_or(MAX_PER_PAGE)
                .clamp(1, MAX_PER_PAGE)
                .to_string(),
        ),
    ];
    if let Some(o) = order {
        q.push(("order", o.as_str().to_owned()));
    }
    q
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListAnswer {
    #[serde(default)]
    pagination_meta: Option<PaginationMeta>,
}

/// A list answer: `{"<key>": [...], "paginationMeta": {...}}`.
fn page_of<T: DeserializeOwned>(text: &str, key: &str, asked: (u64, u64)) -> Result<Page<T>> {
    let v: Value = decode(text)?;
    let items = match v.get(key) {
        Some(Value::Null) | None => Vec::new(),
        Some(list) => serde_json::from_value(list.clone())
            .map_err(|e| ClientError::BadResponse(format!("{key}: {e}")))?,
    };
    let meta = serde_json::from_value::<ListAnswer>(v)
        .ok()
        .and_then(|a| a.pagination_meta)
        .unwrap_or(PaginationMeta {
            page: asked.0,
            per_page: asked.1,
            total: None,
        });
    let meta = PaginationMeta {
        page: if meta.page == 0 { asked.0 } else { meta.page },
        per_page: if meta.per_page == 0 {
            asked.1
        } else {
            meta.per_page
        },
        total: meta.total,
    };
    Ok(Page::new(items, meta))
}

fn field<T: DeserializeOwned>(text: &str, key: &str) -> Result<T> {
    let mut v: Value = decode(text)?;
    let inner = v.get_mut(key).map(Value::take).unwrap_or(Value::Null);
    serde_json::from_value(inner)
        .map_err(|e| ClientError::BadResponse(format!("{key}: {e} in {}", snippet(text))))
}

impl WapiKitClient {
    /// A client for `base_url`: WapiKit's API root, `…/api` (e.g. [`WAPIKIT_BASE_URL`] or
    /// `http://127.0.0.1:18080/api`). A URL without the `/api` suffix gets it.
    pub fn new(http: reqwest::Client, base_url: &str, api_key: Secret) -> Result<Self> {
        let parsed = url::Url::parse(base_url.trim())
            .map_err(|e| ClientError::Invalid(format!("WapiKit URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Invalid(format!(
                "WapiKit URL {base_url:?} must be http(s)"
            )));
        }
        let key = api_key.expose();
        if key.trim().is_empty() || key.contains(char::is_whitespace) {
            return Err(ClientError::InvalidField {
                field: "apiKey".into(),
                message: "A WapiKit API key is required (WapiKit › Settings › API key).".into(),
            });
        }
        let mut base = parsed.as_str().trim_end_matches('/').to_owned();
        if !base.ends_with("/api") {
            base.push_str("/api");
        }
        crate::install_crypto_provider();
        let stream_http = reqwest::Client::builder()
            .connect_timeout(crate::http::CONNECT_TIMEOUT)
            .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                stream_http,
                base,
                key: api_key,
                gate: RateGate::default(),
                requests: AtomicU64::new(0),
                rate_limited: AtomicU64::new(0),
            }),
            policy: RetryPolicy::default(),
            idle_timeout: Duration::from_secs(90),
        })
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy.checked();
        self
    }

    /// How long the event stream may stay silent (WapiKit-compatible servers send keep-alive
    /// comments) before it counts as dropped. Default 90 s.
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle.max(Duration::from_millis(100));
        self
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    pub fn stats(&self) -> WapiKitStats {
        WapiKitStats {
            requests: self.inner.requests.load(Ordering::Relaxed),
            rate_limited: self.inner.rate_limited.load(Ordering::Relaxed),
        }
    }

    async fn once(
        &self,
        method: &Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(StatusCode, HeaderMap, String)> {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let req = self
            .inner
            .http
            .request(method.clone(), url)
            .query(query)
            .header("x-access-token", self.inner.key.expose());
        crate::api_retry::exchange(req, url, body).await
    }

    /// Sends a request following the module's transport rules; the body of a 2xx answer.
    /// `repeatable`: safe to send again after a network error or 5xx.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        repeatable: bool,
    ) -> Result<String> {
        let url = format!("{}{path}", self.inner.base);
        let policy = self.policy;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let last = attempt >= policy.max_attempts;
            self.inner.gate.wait().await;
            match self.once(&method, &url, query, body.as_ref()).await {
                Ok((status, _, text)) if status.is_success() => return Ok(text),
                Ok((StatusCode::TOO_MANY_REQUESTS, headers, text)) => {
                    self.inner.rate_limited.fetch_add(1, Ordering::Relaxed);
                    let wait =
                        rate_limit_wait(&headers).unwrap_or_else(|| self.policy.backoff(attempt));
                    if last || wait > policy.max_wait {
                        tracing::warn!(%path, attempt, wait_s = wait.as_secs(), "WapiKit rate limit: giving up");
                        return Err(ClientError::Http {
                            status: 429,
                            body: format!(
                                "rate limited by WapiKit ({}), gave up after {attempt} attempts",
                                message_of(&text)
                            ),
                        });
                    }
                    tracing::info!(%path, attempt, wait_ms = wait.as_millis() as u64, "WapiKit rate limit: waiting");
                    self.inner.gate.close(wait);
                }
                Ok((status, _, _)) if repeatable && status.is_server_error() && !last => {
                    tracing::warn!(%path, attempt, status = status.as_u16(), "WapiKit error, retrying");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                }
                Ok((status, _, text)) => {
                    let e = wapikit_error(status, &text);
                    tracing::warn!(%path, status = status.as_u16(), "WapiKit refused: {e}");
                    return Err(e);
                }
                Err(e) if repeatable && e.is_transient() && !last => {
                    tracing::warn!(%path, attempt, "retrying after: {e}");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<String> {
        self.send(Method::GET, path, query, None, true).await
    }

    /// `GET /user` and the member of the key's organisation with that user's email: whose key
    /// this is.
    pub async fn me(&self) -> Result<Me> {
        let user: User = field(&self.get("/user", &[]).await?, "user")?;
        let members = self.members().await?;
        let member = members
            .into_iter()
            .find(|m| m.email.eq_ignore_ascii_case(&user.email))
            .ok_or_else(|| {
                ClientError::BadResponse(format!(
                    "user {} is not among the organisation's members",
                    user.email
                ))
            })?;
        Ok(Me { user, member })
    }

    /// `GET /conversations`.
    pub async fn conversations(&self, q: &ConversationQuery) -> Result<Page<Conversation>> {
        let mut query = page_params(q.page, q.per_page, q.order.as_ref());
        if let Some(s) = &q.status {
            query.push(("status", s.as_str().to_owned()));
        }
        if let Some(c) = &q.contact_id {
            query.push(("contact_id", id_segment("contact", c)?));
        }
        if let Some(c) = &q.campaign_id {
            query.push(("campaign_id", id_segment("campaign", c)?));
        }
        let asked = asked(&query);
        page_of(
            &self.get("/conversations", &query).await?,
            "conversations",
            asked,
        )
    }

    /// `GET /conversation/{id}`.
    pub async fn conversation(&self, id: &str) -> Result<Conversation> {
        let id = id_segment("conversation", id)?;
        field(
            &self.get(&format!("/conversation/{id}"), &[]).await?,
            "conversation",
        )
    }

    /// `POST /conversation/{id} {status}` → the updated conversation (closing publishes
    /// `ConversationClosed`).
    pub async fn update_status(
        &self,
        id: &str,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        if !status.is_known() {
            return Err(ClientError::Invalid(format!(
                "{status:?} is not a WapiKit conversation status"
            )));
        }
        let id = id_segment("conversation", id)?;
        let text = self
            .send(
                Method::POST,
                &format!("/conversation/{id}"),
                &[],
                Some(json!({ "status": status.as_str() })),
                true,
            )
            .await?;
        field(&text, "conversation")
    }

    /// `DELETE /conversation/{id}`.
    pub async fn delete_conversation(&self, id: &str) -> Result<()> {
        let id = id_segment("conversation", id)?;
        self.send(
            Method::DELETE,
            &format!("/conversation/{id}"),
            &[],
            None,
            true,
        )
        .await
        .map(drop)
    }

    /// `POST /conversation/{id}/assign {organizationMemberId}` (a member id, see [`Me`]).
    pub async fn assign(&self, id: &str, member_id: &str) -> Result<()> {
        let id = id_segment("conversation", id)?;
        let member = id_segment("member", member_id)?;
        self.send(
            Method::POST,
            &format!("/conversation/{id}/assign"),
            &[],
            Some(json!({ "organizationMemberId": member })),
            true,
        )
        .await
        .map(drop)
    }

    /// `POST /conversation/{id}/unassign {userId}` (a user id, see [`Me`]).
    pub async fn unassign(&self, id: &str, user_id: &str) -> Result<()> {
        let id = id_segment("conversation", id)?;
        let user = id_segment("user", user_id)?;
        self.send(
            Method::POST,
            &format!("/conversation/{id}/unassign"),
            &[],
            Some(json!({ "userId": user })),
            true,
        )
        .await
        .map(drop)
    }

    /// `GET /conversation/{id}/messages`. Without `order` (WapiKit's default): page 1 holds the
    /// newest `per_page` messages, page 2 the ones before, each page oldest first.
    /// `Order::Desc`: newest first throughout; `Order::Asc`: oldest first throughout.
    pub async fn messages(&self, conversation_id: &str, q: &MessageQuery) -> Result<Page<Message>> {
        let id = id_segment("conversation", conversation_id)?;
        let query = page_params(q.page, q.per_page, q.order.as_ref());
        let asked = asked(&query);
        page_of(
            &self
                .get(&format!("/conversation/{id}/messages"), &query)
                .await?,
            "messages",
            asked,
        )
    }

    /// `GET /messages`: messages of every conversation of the organisation.
    pub async fn all_messages(&self, q: &MessageQuery) -> Result<Page<Message>> {
        let mut query = page_params(q.page, q.per_page, q.order.as_ref());
        if let Some(c) = &q.conversation_id {
            query.push(("conversation_id", id_segment("conversation", c)?));
        }
        if let Some(d) = &q.direction {
            query.push(("direction", d.as_str().to_owned()));
        }
        if let Some(s) = &q.status {
            query.push(("status", s.as_str().to_ascii_lowercase()));
        }
        let asked = asked(&query);
        page_of(&self.get("/messages", &query).await?, "messages", asked)
    }

    /// `POST /conversation/{id}/messages` → the stored message. Not repeated after a network
    /// error (it could send twice); a 429 is waited out and sent again.
    pub async fn send_message(&self, conversation_id: &str, m: &NewMessage) -> Result<Message> {
        let id = id_segment("conversation", conversation_id)?;
        if !m.message_type.is_known() {
            return Err(ClientError::Invalid(format!(
                "{} is not a WapiKit message type",
                m.message_type
            )));
        }
        let mut m = m.clone();
        if m.created_at.is_none() {
            m.created_at = Some(now_rfc3339());
        }
        let body =
            serde_json::to_value(&m).map_err(|e| ClientError::Invalid(format!("message: {e}")))?;
        let text = self
            .send(
                Method::POST,
                &format!("/conversation/{id}/messages"),
                &[],
                Some(body),
                false,
            )
            .await?;
        field(&text, "message")
    }

    /// `POST /conversation/{id}/read`: the contact's unread messages become `Read`.
    pub async fn mark_read(&self, conversation_id: &str) -> Result<()> {
        let id = id_segment("conversation", conversation_id)?;
        self.send(
            Method::POST,
            &format!("/conversation/{id}/read"),
            &[],
            None,
            true,
        )
        .await
        .map(drop)
    }

    /// `GET /contacts/{id}`.
    pub async fn contact(&self, id: &str) -> Result<Contact> {
        let id = id_segment("contact", id)?;
        field(&self.get(&format!("/contacts/{id}"), &[]).await?, "contact")
    }

    /// `GET /contacts` (one page).
    pub async fn contacts(&self, page: u64, per_page: u64) -> Result<Page<Contact>> {
        let query = page_params(Some(page), Some(per_page), None);
        let asked = asked(&query);
        page_of(&self.get("/contacts", &query).await?, "contacts", asked)
    }

    async fn all_pages<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let query = page_params(Some(page), Some(MAX_PER_PAGE), None);
            let p: Page<T> = page_of(&self.get(path, &query).await?, key, (page, MAX_PER_PAGE))?;
            let more = p.has_more() && !p.items.is_empty();
            out.extend(p.items);
            if !more {
                break;
            }
        }
        Ok(out)
    }

    /// `GET /organization/members`, every page.
    pub async fn members(&self) -> Result<Vec<Member>> {
        self.all_pages("/organization/members", "members").await
    }

    /// `GET /organization/tags`, every page.
    pub async fn tags(&self) -> Result<Vec<Tag>> {
        self.all_pages("/organization/tags", "tags").await
    }

    /// Opens `GET /events?token=<key>`. The stream yields decoded events until the link drops
    /// or the server ends it (`None`); a rejected key is `ApiKeyRejected` here.
    pub async fn events(&self) -> Result<EventStream> {
        let url = format!("{}/events", self.inner.base);
        let resp = self
            .inner
            .stream_http
            .get(&url)
            .query(&[("token", self.inner.key.expose())])
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .send()
            .await
            .map_err(|e| network_error(&url, &e.without_url()))?;
        let status = resp.status();
        if !status.is_success() {
            let text = tokio::time::timeout(Duration::from_secs(5), resp.text())
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or_default();
            // The 401 body is itself an SSE event (`event: error` / `data: Authorization failed`).
            let text = text
                .lines()
                .find_map(|l| l.strip_prefix("data:").map(str::trim))
                .map(|d| json!(d).to_string())
                .unwrap_or(text);
            return Err(wapikit_error(status, &text));
        }
        Ok(EventStream {
            resp: Some(resp),
            parser: SseParser::default(),
            queue: std::collections::VecDeque::new(),
            idle_timeout: self.idle_timeout,
            url,
        })
    }
}

fn asked(query: &[(&str, String)]) -> (u64, u64) {
    let get = |k: &str| {
        query
            .iter()
            .find(|(n, _)| *n == k)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1)
    };
    (get("page"), get("per_page"))
}

/// The live event stream of [`WapiKitClient::events`].
pub struct EventStream {
    resp: Option<reqwest::Response>,
    parser: SseParser,
    queue: std::collections::VecDeque<SseEvent>,
    idle_timeout: Duration,
    url: String,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("open", &self.resp.is_some())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The next event; `Some(Err(..))` for an event that did not decode (the stream goes on)
    /// or a broken link (then `None`); `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<Result<WkEvent>> {
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Some(wapikit::decode_event(&ev.event, &ev.data).map_err(|e| {
                    tracing::warn!(event = %ev.event, "WapiKit event dropped: {e}");
                    ClientError::BadResponse(e)
                }));
            }
            let resp = self.resp.as_mut()?;
            match tokio::time::timeout(self.idle_timeout, resp.chunk()).await {
                Ok(Ok(Some(bytes))) => match self.parser.push(&bytes) {
                    Ok(events) => self.queue.extend(events),
                    Err(e) => {
                        self.resp = None;
                        return Some(Err(ClientError::BadResponse(e)));
                    }
                },
                Ok(Ok(None)) => {
                    self.resp = None;
                    return None;
                }
                Ok(Err(e)) => {
                    self.resp = None;
                    return Some(Err(network_error(&self.url, &e.without_url())));
                }
                Err(_) => {
                    self.resp = None;
                    return Some(Err(ClientError::Network {
                        host: host_of(&self.url),
                        detail: format!(
                            "the event stream was silent for {} s",
                            self.idle_timeout.as_secs()
                        ),
                    }));
                }
            }
        }
    }

    /// Ends the stream (drops the connection).
    pub fn close(&mut self) {
        self.resp = None;
        self.queue.clear();
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the server".into())
}

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `message` when the event named none.
    pub event: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

/// An incremental `text/event-stream` parser: lines end in LF, CRLF or CR (also split across
/// chunks), `:` lines are comments (keep-alives), `data:` lines accumulate, a blank line
/// dispatches, `id` / `retry` / unknown fields are ignored.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a LF at the start of this one belongs to it.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; the events completed by them. Errors on a line longer than the limit.
    pub fn push(&mut self, bytes: &[u8]) -> std::result::Result<Vec<SseEvent>, String> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut out),
                b'\r' => {
                    self.end_line(&mut out);
                    self.after_cr = true;
                }
                _ => {
                    if self.line.len() >= MAX_SSE_LINE {
                        return Err(format!("an event stream line is over {MAX_SSE_LINE} bytes"));
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(out)
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        if line.is_empty() {
            if self.has_data {
                let event = std::mem::take(&mut self.event);
                out.push(SseEvent {
                    event: if event.is_empty() {
                        "message".into()
                    } else {
                        event
                    },
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match name {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn test_sse_parser_handles_comments_crlf_and_multiline_data() {
        let mut p = SseParser::default();
        let got = p
            .push(b": keep-alive\r\n\r\nevent: NewMessage\r\ndata: abc\r\ndata: def\r\n\r\n")
            .unwrap();
        assert_eq!(got, vec![ev("NewMessage", "abc\ndef")]);
        // Bare CR line ends, and an event without a name.
        assert_eq!(p.push(b"data:x\r\r").unwrap(), vec![ev("message", "x")]);
    }

    #[test]
    fn test_sse_parser_joins_partial_chunks_and_split_crlf() {
        let mut p = SseParser::default();
        let stream = b"event: ChatAssignment\r\ndata: gaFh\r\n\r\nevent: MessageRead\ndata: 1\n\n";
        let mut got = Vec::new();
        for chunk in stream.chunks(3) {
            got.extend(p.push(chunk).unwrap());
        }
        // Byte by byte too (a CR at a chunk end, its LF at the next start).
        let mut p = SseParser::default();
        let mut one = Vec::new();
        for b in stream {
            one.extend(p.push(&[*b]).unwrap());
        }
        let want = vec![ev("ChatAssignment", "gaFh"), ev("MessageRead", "1")];
        assert_eq!(got, want);
        assert_eq!(one, want);
    }

    #[test]
    fn test_sse_parser_ignores_events_without_data_and_other_fields() {
        let mut p = SseParser::default();
        let got = p.push(b"event: x\nid: 7\nretry: 100\n\ndata\n\n").unwrap();
        assert_eq!(got, vec![ev("message", "")]);
    }

    #[test]
    fn test_sse_parser_refuses_an_endless_line() {
        let mut p = SseParser::default();
        let big = vec![b'a'; MAX_SSE_LINE + 1];
        assert!(p.push(&big).is_err());
    }

    #[test]
    fn test_error_bodies_in_all_three_shapes_are_read() {
        assert_eq!(
            message_of(r#""conversation not found""#),
            "conversation not found"
        );
        assert_eq!(message_of(r#"{"message":"bad"}"#), "bad");
        assert_eq!(
            message_of(r#"{"error":"Rate limit exceeded","remaining":0,"reset":1}"#),
            "Rate limit exceeded"
        );
        assert_eq!(message_of("plain"), "plain");
        let e = wapikit_error(StatusCode::UNAUTHORIZED, r#""Unauthorized access""#);
        assert_eq!(
            e,
            ClientError::ApiKeyRejected {
                service: "WapiKit".into(),
                detail: "Unauthorized access".into()
            }
        );
        assert!(e
            .to_app_error()
            .message
            .starts_with("WapiKit refused this API key"));
        assert!(wapikit_error(StatusCode::BAD_GATEWAY, "x").is_transient());
    }

    #[tokio::test]
    async fn test_event_stream_errors_never_carry_the_key_from_the_url() {
        let c = WapiKitClient::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1",
            Secret::new("secret-key-xyz"),
        )
        .unwrap();
        let e = c.events().await.unwrap_err();
        assert!(e.is_transient(), "{e:?}");
        assert!(!format!("{e:?} {e}").contains("secret-key-xyz"));
    }

    #[test]
    fn test_client_debug_never_prints_the_key() {
        let c = WapiKitClient::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1",
            Secret::new("eyJ.secret-key.sig"),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("secret-key"));
        assert_eq!(c.base_url(), "http://127.0.0.1:1/api");
        assert!(WapiKitClient::new(reqwest::Client::new(), "ftp://x", Secret::new("k")).is_err());
        assert!(WapiKitClient::new(reqwest::Client::new(), "http://x", Secret::new(" ")).is_err());
    }
}
