//! Dixa's platform API (`https://dev.dixa.io`): end users, the contacts Parley shows beside a
//! conversation. Create (one or in bulk), get, list (one filter: email, phone or external id;
//! page keys), update / patch (one or in bulk), patch custom attributes, anonymize, list an
//! end user's conversations, and the CSV import built on the bulk calls.
//!
//! Transport rules:
//! * `Authorization: Bearer <token>`; if Dixa answers 401 the bare token is tried once (the
//!   docs show both forms) and kept when it works. The token lives in a [`Secret`] and is
//!   read only to set the header.
//! * Dixa limits each token to 10 requests/s with bursts of 4. The client paces itself a
//!   little under that ([`RateLimit::DIXA`]), so one client alone does not hit the limit.
//! * A 429 (another client on the same token, or pacing off) closes a gate for the whole
//!   client until `Retry-After` has passed: every request of this client waits, nothing
//!   hammers the server, then the request is sent again. Attempts are bounded
//!   ([`RetryPolicy`]); after the last one the call fails with one `Http { status: 429 }`.
//! * Network errors and 5xx are retried with backoff for calls that are safe to repeat (not
//!   for creations).
//! * Errors: 401 → [`ClientError::Unauthorized`], 403 → `Forbidden`, 400 → `Invalid` with
//!   Dixa's message, 404 / 409 → `Platform` ([`NOT_FOUND`], [`CONFLICT`]) with the message.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use parley_core::dixa::{CsvEndUser, CsvFieldError, EndUserCsv};
use parley_core::wire::de_vec;
use parley_core::{AppError, ErrorCode, Secret};
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::api_retry::RateGate;
pub use crate::api_retry::RetryPolicy;
use crate::error::{ClientError, Result};
use crate::http::snippet;

/// Dixa's API server.
pub const DIXA_BASE_URL: &str = "https://dev.dixa.io";
/// `ClientError::Platform` code of a 404 (an unknown end user).
pub const NOT_FOUND: &str = "dixa_not_found";
/// `ClientError::Platform` code of a 409 (e.g. anonymizing with open conversations).
pub const CONFLICT: &str = "dixa_conflict";
/// The most pages [`DixaClient::all_end_users`] follows.
const MAX_PAGES: usize = 10_000;

/// A per-token rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimit {
    /// Dixa's documented limit: 10 requests per second, bursts of 4.
    pub const DIXA: Self = Self {
        per_second: 10.0,
        burst: 4,
    };
}

/// What the client has sent so far (for logs, tests and the UI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DixaStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
}

/// A token bucket that hands out send times: each caller reserves the next slot and sleeps
/// until it, so waiting callers go in order without waking each other.
#[derive(Debug)]
struct Pacer {
    per_second: f64,
    burst: f64,
    /// (tokens, when counted); tokens go negative while callers wait for reserved slots.
    state: Mutex<(f64, Instant)>,
}

impl Pacer {
    /// Paces a little under `limit` (90 % of the rate, one less in the burst) so timing
    /// jitter between here and the server does not cross it.
    fn under(limit: RateLimit) -> Option<Self> {
        if limit.per_second <= 0.0 {
            return None;
        }
        let burst = f64::from(limit.burst.saturating_sub(1).max(1));
        Some(Self {
            per_second: limit.per_second * 0.9,
            burst,
            state: Mutex::new((burst, Instant::now())),
        })
    }

    async fn acquire(&self) {
        let wait = {
            let mut s = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let refilled = now.saturating_duration_since(s.1).as_secs_f64() * self.per_second;
            let tokens = (s.0 + refilled).min(self.burst) - 1.0;
            *s = (tokens, now);
            if tokens >= 0.0 {
                return;
            }
            Duration::from_secs_f64(-tokens / self.per_second)
        };
        tokio::time::sleep(wait).await;
    }
}

/// A Dixa API client for one token. Cheap to share (`Arc`); requests may run concurrently.
pub struct DixaClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
    /// Dixa refused `Bearer <token>` and accepted the bare token.
    raw_token: AtomicBool,
    policy: RetryPolicy,
    pacer: Option<Pacer>,
    /// After a 429: no request of this client leaves before this instant.
    gate: RateGate,
    requests: AtomicU64,
    rate_limited: AtomicU64,
}

impl std::fmt::Debug for DixaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DixaClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

// ---- wire types ------------------------------------------------------------------------------

/// A custom attribute's value: a string (Text attributes) or a list of options (Select).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Text(String),
    Select(Vec<String>),
}

/// A custom attribute of an end user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomAttribute {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub value: Option<AttributeValue>,
}

/// A Dixa end user (contact).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndUser {
    pub id: String,
    /// ISO 8601, e.g. `2020-12-16T09:41:43Z`.
    pub created_at: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    #[serde(deserialize_with = "de_vec")]
    pub additional_emails: Vec<String>,
    #[serde(deserialize_with = "de_vec")]
    pub additional_phone_numbers: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(deserialize_with = "de_vec")]
    pub middle_names: Vec<String>,
    pub avatar_url: Option<String>,
    pub external_id: Option<String>,
    #[serde(deserialize_with = "de_vec")]
    pub custom_attributes: Vec<CustomAttribute>,
    /// Set once the end user is anonymized.
    pub anonymized_at: Option<String>,
}

impl EndUser {
    pub fn is_anonymized(&self) -> bool {
        self.anonymized_at.is_some()
    }

    /// The value of the custom attribute with this identifier (e.g. `customer_tier`).
    pub fn attribute(&self, identifier: &str) -> Option<&AttributeValue> {
        self.custom_attributes
            .iter()
            .find(|a| a.identifier == identifier)
            .and_then(|a| a.value.as_ref())
    }
}

/// A new end user (`CreateEndUserInput`), or every field of an update (`PUT`, where
/// `display_name` is required). Empty fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEndUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_emails: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_phone_numbers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middle_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A patch (`PatchEndUserInput`): `None` leaves a field as it is, `Some(None)` clears it,
/// `Some(Some(v))` sets it. Lists: `Some(vec![])` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndUserPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_emails: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_phone_numbers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<Option<String>>,
}

/// One row of a bulk patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndUserPatchRow {
    pub id: String,
    #[serde(flatten)]
    pub patch: EndUserPatch,
}

/// One row of a bulk update (`display_name` required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndUserUpdateRow {
    pub id: String,
    #[serde(flatten)]
    pub fields: NewEndUser,
}

/// A row Dixa refused in a bulk call (`BulkActionFailure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkFailure {
    /// The end user the row was about (or the id a creation would have had).
    pub id: Option<String>,
    /// `Validation`, `NotFound`, …
    pub kind: String,
    pub message: String,
}

impl BulkFailure {
    /// The error names in the message (`… failed with [errors=EmailExists,InvalidPhone]`).
    pub fn error_codes(&self) -> Vec<String> {
        let Some(start) = self
            .message
            .find("[errors=")
            .or_else(|| self.message.find("[errors:"))
        else {
            return Vec::new();
        };
        let rest = &self.message[start + 8..];
        let end = rest.find(']').unwrap_or(rest.len());
        rest[..end]
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// One row's result in a bulk call, in the order the rows were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOutcome<T> {
    Success(T),
    Failure(BulkFailure),
}

impl<T> BulkOutcome<T> {
    pub fn success(&self) -> Option<&T> {
        match self {
            Self::Success(t) => Some(t),
            Self::Failure(_) => None,
        }
    }

    pub fn failure(&self) -> Option<&BulkFailure> {
        match self {
            Self::Success(_) => None,
            Self::Failure(f) => Some(f),
        }
    }
}

/// Which end users a list returns (Dixa takes at most one filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EndUserFilter {
    #[default]
    All,
    Email(String),
    Phone(String),
    ExternalId(String),
}

/// Which page to read: `key` from the previous page's [`Page::next_page_key`] (it carries the
/// filter), `limit` results at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub key: Option<String>,
    pub limit: Option<u32>,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self {
            key: None,
            limit: Some(limit),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next_page_key: Option<String>,
}

/// A conversation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConversationState {
    Open,
    Pending,
    AwaitingPending,
    Closed,
    #[serde(other)]
    Other,
}

/// The channel a conversation came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    WidgetChat,
    Email,
    ContactForm,
    PstnPhone,
    Callback,
    Voicemail,
    Sms,
    WhatsApp,
    FacebookMessenger,
    Messenger,
    Twitter,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub agent_id: String,
    pub assigned_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    pub id: String,
    pub queued_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrowserInfo {
    pub name: Option<String>,
    pub version: Option<String>,
    pub ip_address: Option<String>,
    pub originating_url: Option<String>,
}

/// The parent of a linked (side) conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationLink {
    pub parent_id: i64,
    #[serde(rename = "_type", default)]
    pub kind: Option<String>,
}

/// A conversation requested by an end user (custom attributes are not part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: i64,
    #[serde(default)]
    pub requester_id: Option<String>,
    pub channel: Channel,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub direction: Option<Direction>,
    pub state: ConversationState,
    #[serde(default)]
    pub state_updated_at: Option<String>,
    #[serde(default)]
    pub assignment: Option<Assignment>,
    #[serde(default)]
    pub queue: Option<QueueEntry>,
    #[serde(default)]
    pub browser_info: Option<BrowserInfo>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub link: Option<ConversationLink>,
    #[serde(default)]
    pub anonymized_at: Option<String>,
    /// `ChatConversation`, `EmailConversation`, …
    #[serde(rename = "_type", default)]
    pub kind: Option<String>,
}

/// An anonymization request (`202 Accepted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnonymizationRequest {
    pub id: String,
    #[serde(default)]
    pub entity_type: Option<String>,
    /// `User` for end users.
    #[serde(rename = "_type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub initiated_at: Option<String>,
    pub target_entity_id: String,
    #[serde(default)]
    pub requested_by: Option<String>,
    /// When Dixa processed it (absent while pending).
    #[serde(default)]
    pub processed_at: Option<String>,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct ListAnswer<T> {
    data: Vec<T>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Serialize)]
struct DataOut<'a, T> {
    data: &'a [T],
}

// ---- CSV import --------------------------------------------------------------------------

/// A CSV column that fills a custom attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeColumn {
    /// The custom attribute's id.
    pub id: String,
    /// Select attribute: the cell holds options separated by `|`.
    pub select: bool,
}

/// How to import a CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// End users per bulk request.
    pub batch_size: usize,
    /// Custom attribute columns (by header, as written) → attribute.
    pub attributes: BTreeMap<String, AttributeColumn>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            batch_size: parley_core::dixa::DEFAULT_BATCH,
            attributes: BTreeMap::new(),
        }
    }
}

/// What happened to one CSV row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Created, custom attributes (if any) set.
    Created { id: String },
    /// Not sent: the row is invalid.
    Rejected(Vec<CsvFieldError>),
    /// Dixa refused the row (e.g. the email is taken), or it was not sent because the import
    /// stopped.
    Failed(String),
    /// Created, but Dixa refused its custom attributes.
    AttributesFailed { id: String, message: String },
}

/// The result of an import, row by row (spreadsheet row numbers, sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: Vec<(usize, RowOutcome)>,
    /// Custom attribute columns with no attribute in [`ImportOptions::attributes`] (ignored).
    pub unmapped_columns: Vec<String>,
    /// Why the import stopped early (rows after it are `Failed`).
    pub stopped: Option<ClientError>,
}

impl ImportReport {
    pub fn created(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, o)| {
                matches!(
                    o,
                    RowOutcome::Created { .. } | RowOutcome::AttributesFailed { .. }
                )
            })
            .count()
    }

    pub fn not_created(&self) -> usize {
        self.rows.len() - self.created()
    }

    pub fn outcome(&self, row: usize) -> Option<&RowOutcome> {
        self.rows.iter().find(|(r, _)| *r == row).map(|(_, o)| o)
    }
}

impl From<&CsvEndUser> for NewEndUser {
    fn from(row: &CsvEndUser) -> Self {
        Self {
            display_name: row.display_name.clone(),
            email: row.email.clone(),
            phone_number: row.phone_number.clone(),
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            external_id: row.external_id.clone(),
            ..Self::default()
        }
    }
}

// ---- the client ---------------------------------------------------------------------------

/// A path segment that must be a UUID (end user ids): checked so an id cannot steer the path.
fn uuid_segment(what: &str, id: &str) -> Result<String> {
    uuid::Uuid::parse_str(id.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ClientError::Invalid(format!("{what} {id:?} is not a Dixa id")))
}

fn message_of(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| snippet(text))
}

/// Dixa's error answer → `ClientError`.
pub fn dixa_error(status: StatusCode, text: &str) -> ClientError {
    let message = message_of(text);
    match status {
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized(message),
        StatusCode::FORBIDDEN => ClientError::Forbidden(message),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ClientError::Invalid(message),
        StatusCode::NOT_FOUND => ClientError::Platform {
            code: NOT_FOUND.into(),
            description: message,
        },
        StatusCode::CONFLICT => ClientError::Platform {
            code: CONFLICT.into(),
            description: message,
        },
        _ => ClientError::Http {
            status: status.as_u16(),
            body: message,
        },
    }
}

/// The `AppError` a Dixa call's failure shows in the UI. Unlike the chat platform's mapping
/// (where a 401 means the session expired), a 401 here means Dixa refused the API token
/// (`unauthorized`, field `token`); a 409 on anonymize is `forbidden` with field `force`
/// (conversations still open: `force` closes them); an unreachable address names the Dixa
/// address; a 429 that outlasted the retries says so.
pub fn dixa_app_error(e: &ClientError) -> AppError {
    let with_field = |code, message: String, field: &str| AppError {
        field: Some(field.to_owned()),
        ..AppError::new(code, message)
    };
    match e {
        ClientError::Unauthorized(_) | ClientError::InvalidCredentials => with_field(
            ErrorCode::Unauthorized,
            "Dixa refused this API token. Check it (in Dixa: Settings › Integrations › API \
             tokens) and paste it again."
                .to_owned(),
            "token",
        ),
        ClientError::Forbidden(_) => AppError::new(
            ErrorCode::Forbidden,
            "Dixa does not allow this API token to do that.",
        ),
        ClientError::Network { host, .. } => AppError::new(
            ErrorCode::Unreachable,
            format!(
                "The Dixa address {host} cannot be reached. Check the address and your connection."
            ),
        ),
        ClientError::Platform { code, description } if code == CONFLICT => with_field(
            ErrorCode::Forbidden,
            format!("Dixa says: {description}"),
            "force",
        ),
        ClientError::Platform { code, .. } if code == NOT_FOUND => AppError::new(
            ErrorCode::BadResponse,
            "Dixa does not know this end user (any more).",
        ),
        ClientError::Http { status: 429, .. } => AppError::new(
            ErrorCode::Unreachable,
            "Dixa's rate limit kept refusing requests. Wait a minute and try again.",
        ),
        ClientError::Invalid(m) => AppError::new(ErrorCode::InvalidInput, format!("Dixa: {m}")),
        other => other.to_app_error(),
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| ClientError::BadResponse(format!("{e} in {}", snippet(text))))
}

/// `Retry-After` as seconds (HTTP dates are not used by Dixa; they fall back to backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = raw.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn bulk_outcomes<T: DeserializeOwned>(text: &str) -> Result<Vec<BulkOutcome<T>>> {
    let Data { data: items } = decode::<Data<Vec<Value>>>(text)?;
    items
        .into_iter()
        .map(|item| match item.get("_type").and_then(Value::as_str) {
            Some("BulkActionSuccess") => {
                serde_json::from_value::<T>(item.get("data").cloned().unwrap_or(Value::Null))
                    .map(BulkOutcome::Success)
                    .map_err(|e| ClientError::BadResponse(format!("bulk item: {e}")))
            }
            Some("BulkActionFailure") => {
                let err = item.get("error").cloned().unwrap_or(Value::Null);
                let text = |k: &str| err.get(k).and_then(Value::as_str).map(str::to_owned);
                Ok(BulkOutcome::Failure(BulkFailure {
                    id: text("id"),
                    kind: text("_type").unwrap_or_else(|| "Unknown".into()),
                    message: text("message").unwrap_or_default(),
                }))
            }
            other => Err(ClientError::BadResponse(format!(
                "bulk item of type {other:?}"
            ))),
        })
        .collect()
}

fn check_bulk_len(sent: usize, got: usize) -> Result<()> {
    if sent != got {
        return Err(ClientError::BadResponse(format!(
            "sent {sent} rows, Dixa answered {got}"
        )));
    }
    Ok(())
}

impl DixaClient {
    /// A client for `base_url` (e.g. [`DIXA_BASE_URL`] or a sandbox) with its own HTTP
    /// client, the default retry policy and pacing at Dixa's limit.
    pub fn new(base_url: &str, token: Secret) -> Result<Self> {
        Self::with_http(crate::http::http_client()?, base_url, token)
    }

    pub fn with_http(http: reqwest::Client, base_url: &str, token: Secret) -> Result<Self> {
        let parsed = url::Url::parse(base_url.trim())
            .map_err(|e| ClientError::Invalid(format!("Dixa URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Invalid(format!(
                "Dixa URL {base_url:?} must be http(s)"
            )));
        }
        if token.expose().trim().is_empty() || token.expose().contains(char::is_whitespace) {
            return Err(ClientError::Invalid(
                "a Dixa API token is required (Settings › Integrations › API tokens)".into(),
            ));
        }
        Ok(Self {
            http,
            base: parsed.as_str().trim_end_matches('/').to_owned(),
            token,
            raw_token: AtomicBool::new(false),
            policy: RetryPolicy::default(),
            pacer: Pacer::under(RateLimit::DIXA),
            gate: RateGate::default(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        })
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy.checked();
        self
    }

    /// Pace requests under `limit`, or not at all (`None`: only 429s slow the client down).
    pub fn with_pacing(mut self, limit: Option<RateLimit>) -> Self {
        self.pacer = limit.and_then(Pacer::under);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn stats(&self) -> DixaStats {
        DixaStats {
            requests: self.requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }

    fn auth_header(&self, raw: bool) -> String {
        if raw {
            self.token.expose().to_owned()
        } else {
            format!("Bearer {}", self.token.expose())
        }
    }

    /// Waits for the 429 gate (re-checked: another 429 may push it later) and the pacer.
    async fn wait_turn(&self) {
        self.gate.wait().await;
        if let Some(p) = &self.pacer {
            p.acquire().await;
        }
    }

    async fn once(
        &self,
        method: &Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        raw: bool,
    ) -> Result<(StatusCode, HeaderMap, String)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let req = self
            .http
            .request(method.clone(), url)
            .query(query)
            .header(AUTHORIZATION, self.auth_header(raw));
        crate::api_retry::exchange(req, url, body).await
    }

    /// Sends a request, following the transport rules in the module docs; returns the body
    /// of a 2xx answer. `repeatable`: safe to send again after a network error or 5xx.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        repeatable: bool,
    ) -> Result<String> {
        let url = format!("{}{path}", self.base);
        let mut attempt: u32 = 0;
        // Set when Dixa refused `Bearer <token>`: this call then sends the bare token.
        let mut bare = false;
        loop {
            attempt += 1;
            let last = attempt >= self.policy.max_attempts;
            self.wait_turn().await;
            let raw = bare || self.raw_token.load(Ordering::Relaxed);
            let result = self.once(&method, &url, query, body.as_ref(), raw).await;
            if bare
                && matches!(&result, Ok((s, _, _)) if *s != StatusCode::UNAUTHORIZED)
                && !self.raw_token.swap(true, Ordering::Relaxed)
            {
                tracing::info!("Dixa accepts the bare API token; using it");
            }
            match result {
                Ok((status, _, text)) if status.is_success() => return Ok(text),
                Ok((StatusCode::TOO_MANY_REQUESTS, headers, text)) => {
                    self.rate_limited.fetch_add(1, Ordering::Relaxed);
                    let wait =
                        retry_after(&headers).unwrap_or_else(|| self.policy.backoff(attempt));
                    if last || wait > self.policy.max_wait {
                        tracing::warn!(%path, attempt, "Dixa rate limit: giving up");
                        return Err(ClientError::Http {
                            status: 429,
                            body: format!(
                                "rate limited by Dixa ({}), gave up after {attempt} attempts",
                                message_of(&text)
                            ),
                        });
                    }
                    tracing::info!(
                        %path,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "Dixa rate limit: waiting"
                    );
                    self.gate.close(wait);
                }
                Ok((StatusCode::UNAUTHORIZED, _, _)) if !raw => {
                    // The docs show the bare token too: try it once, at once (a 401 is not
                    // rate limited and is no attempt of its own).
                    bare = true;
                    attempt -= 1;
                }
                Ok((status, _, _)) if repeatable && status.is_server_error() && !last => {
                    tracing::warn!(%path, attempt, status = status.as_u16(), "Dixa error, retrying");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                }
                Ok((status, _, text)) => return Err(dixa_error(status, &text)),
                Err(e) if repeatable && e.is_transient() && !last => {
                    tracing::warn!(%path, attempt, "retrying after: {e}");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn data<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        repeatable: bool,
    ) -> Result<T> {
        let text = self.send(method, path, query, body, repeatable).await?;
        decode::<Data<T>>(&text).map(|d| d.data)
    }

    fn to_json<T: Serialize>(what: &str, value: &T) -> Result<Value> {
        serde_json::to_value(value).map_err(|e| ClientError::Invalid(format!("{what}: {e}")))
    }

    fn next_key(&self, next: Option<&str>) -> Option<String> {
        let next = next?.trim();
        if next.is_empty() {
            return None;
        }
        let base = url::Url::parse(&format!("{}/", self.base)).ok()?;
        let url = base.join(next).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "pageKey")
            .map(|(_, v)| v.into_owned())
    }

    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        page: &PageRequest,
    ) -> Result<Page<T>> {
        if let Some(k) = &page.key {
            query.push(("pageKey", k.clone()));
        }
        if let Some(l) = page.limit {
            query.push(("pageLimit", l.max(1).to_string()));
        }
        let text = self.send(Method::GET, path, &query, None, true).await?;
        let answer: ListAnswer<T> = decode(&text)?;
        Ok(Page {
            items: answer.data,
            next_page_key: self.next_key(answer.meta.as_ref().and_then(|m| m.next.as_deref())),
        })
    }

    /// `POST /v1/endusers` → the created end user (400 `Invalid` when Dixa refuses it, e.g.
    /// the email is taken).
    pub async fn create_end_user(&self, user: &NewEndUser) -> Result<EndUser> {
        let body = Self::to_json("end user", user)?;
        self.data(Method::POST, "/v1/endusers", &[], Some(body), false)
            .await
    }

    /// `POST /v1/endusers/bulk` → one outcome per row, in order.
    pub async fn create_end_users(
        &self,
        users: &[NewEndUser],
    ) -> Result<Vec<BulkOutcome<EndUser>>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let body = Self::to_json("end users", &DataOut { data: users })?;
        let text = self
            .send(Method::POST, "/v1/endusers/bulk", &[], Some(body), false)
            .await?;
        let outcomes = bulk_outcomes(&text)?;
        check_bulk_len(users.len(), outcomes.len())?;
        Ok(outcomes)
    }

    /// `GET /v1/endusers/{userId}` (`Platform { code: NOT_FOUND }` when unknown).
    pub async fn end_user(&self, id: &str) -> Result<EndUser> {
        let id = uuid_segment("end user", id)?;
        self.data(Method::GET, &format!("/v1/endusers/{id}"), &[], None, true)
            .await
    }

    /// `GET /v1/endusers` with at most one filter; follow [`Page::next_page_key`].
    pub async fn end_users(
        &self,
        filter: &EndUserFilter,
        page: &PageRequest,
    ) -> Result<Page<EndUser>> {
        let mut query = Vec::new();
        if page.key.is_none() {
            match filter {
                EndUserFilter::All => {}
                EndUserFilter::Email(e) => query.push(("email", e.trim().to_owned())),
                EndUserFilter::Phone(p) => query.push(("phone", p.trim().to_owned())),
                EndUserFilter::ExternalId(x) => query.push(("externalId", x.trim().to_owned())),
            }
        }
        self.page("/v1/endusers", query, page).await
    }

    /// Every end user matching `filter`, page after page.
    pub async fn all_end_users(&self, filter: &EndUserFilter) -> Result<Vec<EndUser>> {
        let mut out = Vec::new();
        let mut request = PageRequest::default();
        for _ in 0..MAX_PAGES {
            let page = self.end_users(filter, &request).await?;
            out.extend(page.items);
            match page.next_page_key {
                Some(k) if request.key.as_deref() != Some(k.as_str()) => request.key = Some(k),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }

    /// `PATCH /v1/endusers/{userId}` → the patched end user.
    pub async fn patch_end_user(&self, id: &str, patch: &EndUserPatch) -> Result<EndUser> {
        let id = uuid_segment("end user", id)?;
        let body = Self::to_json("patch", patch)?;
        self.data(
            Method::PATCH,
            &format!("/v1/endusers/{id}"),
            &[],
            Some(body),
            true,
        )
        .await
    }

    /// `PATCH /v1/endusers` → one outcome per row, in order.
    pub async fn patch_end_users(
        &self,
        rows: &[EndUserPatchRow],
    ) -> Result<Vec<BulkOutcome<EndUser>>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        for r in rows {
            uuid_segment("end user", &r.id)?;
        }
        let body = Self::to_json("patches", &DataOut { data: rows })?;
        let text = self
            .send(Method::PATCH, "/v1/endusers", &[], Some(body), true)
            .await?;
        let outcomes = bulk_outcomes(&text)?;
        check_bulk_len(rows.len(), outcomes.len())?;
        Ok(outcomes)
    }

    /// `PUT /v1/endusers/{userId}`: replaces every field (`display_name` is required).
    pub async fn update_end_user(&self, id: &str, fields: &NewEndUser) -> Result<EndUser> {
        let id = uuid_segment("end user", id)?;
        require_display_name(fields)?;
        let body = Self::to_json("end user", fields)?;
        self.data(
            Method::PUT,
            &format!("/v1/endusers/{id}"),
            &[],
            Some(body),
            true,
        )
        .await
    }

    /// `PUT /v1/endusers` → one outcome per row, in order.
    pub async fn update_end_users(
        &self,
        rows: &[EndUserUpdateRow],
    ) -> Result<Vec<BulkOutcome<EndUser>>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        for r in rows {
            uuid_segment("end user", &r.id)?;
            require_display_name(&r.fields)?;
        }
        let body = Self::to_json("updates", &DataOut { data: rows })?;
        let text = self
            .send(Method::PUT, "/v1/endusers", &[], Some(body), true)
            .await?;
        let outcomes = bulk_outcomes(&text)?;
        check_bulk_len(rows.len(), outcomes.len())?;
        Ok(outcomes)
    }

    /// `PATCH /v1/endusers/{userId}/custom-attributes {attributeId: value | null}` → the
    /// patched attributes. `None` removes a value.
    pub async fn patch_custom_attributes(
        &self,
        id: &str,
        values: &BTreeMap<String, Option<AttributeValue>>,
    ) -> Result<Vec<CustomAttribute>> {
        let id = uuid_segment("end user", id)?;
        for key in values.keys() {
            uuid_segment("custom attribute", key)?;
        }
        let body = Self::to_json("custom attributes", values)?;
        self.data(
            Method::PATCH,
            &format!("/v1/endusers/{id}/custom-attributes"),
            &[],
            Some(body),
            true,
        )
        .await
    }

    /// `PATCH /v1/endusers/{userId}/anonymize[?force=true]`. Without `force` Dixa refuses
    /// (409, `Platform { code: CONFLICT }`) while the end user has conversations that are not
    /// closed; with it, it closes them.
    pub async fn anonymize_end_user(&self, id: &str, force: bool) -> Result<AnonymizationRequest> {
        let id = uuid_segment("end user", id)?;
        let query = if force {
            vec![("force", "true".to_owned())]
        } else {
            Vec::new()
        };
        self.data(
            Method::PATCH,
            &format!("/v1/endusers/{id}/anonymize"),
            &query,
            None,
            true,
        )
        .await
    }

    /// `GET /v1/endusers/{userId}/conversations`
    pub async fn end_user_conversations(
        &self,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<Conversation>> {
        let id = uuid_segment("end user", id)?;
        self.page(
            &format!("/v1/endusers/{id}/conversations"),
            Vec::new(),
            page,
        )
        .await
    }

    /// Imports a parsed CSV: valid rows are created in bulk requests of
    /// `options.batch_size`, then the custom attribute columns named in `options.attributes`
    /// are set, one request per end user that has values. Every row gets an outcome. A
    /// request that fails as a whole (after retries) stops the import: the rows not sent are
    /// `Failed` and [`ImportReport::stopped`] says why.
    pub async fn import_csv(&self, csv: &EndUserCsv, options: &ImportOptions) -> ImportReport {
        let mut report = ImportReport {
            unmapped_columns: csv
                .custom_columns()
                .into_iter()
                .filter(|c| !options.attributes.contains_key(*c))
                .map(str::to_owned)
                .collect(),
            ..ImportReport::default()
        };
        for r in &csv.rejected {
            report
                .rows
                .push((r.row, RowOutcome::Rejected(r.errors.clone())));
        }
        for batch in csv.batches(options.batch_size) {
            if let Some(stopped) = &report.stopped {
                let why = format!("not sent: {stopped}");
                report.rows.extend(
                    batch
                        .iter()
                        .map(|r| (r.row, RowOutcome::Failed(why.clone()))),
                );
                continue;
            }
            let users: Vec<NewEndUser> = batch.iter().map(NewEndUser::from).collect();
            let outcomes = match self.create_end_users(&users).await {
                Ok(o) => o,
                Err(e) => {
                    let why = format!("not sent: {e}");
                    report.rows.extend(
                        batch
                            .iter()
                            .map(|r| (r.row, RowOutcome::Failed(why.clone()))),
                    );
                    report.stopped = Some(e);
                    continue;
                }
            };
            for (row, outcome) in batch.iter().zip(outcomes) {
                let result = match outcome {
                    BulkOutcome::Failure(f) => RowOutcome::Failed(f.message),
                    BulkOutcome::Success(user) => {
                        self.import_attributes(row, user.id, options).await
                    }
                };
                report.rows.push((row.row, result));
            }
        }
        report.rows.sort_by_key(|(row, _)| *row);
        report
    }

    async fn import_attributes(
        &self,
        row: &CsvEndUser,
        id: String,
        options: &ImportOptions,
    ) -> RowOutcome {
        let values: BTreeMap<String, Option<AttributeValue>> = row
            .custom
            .iter()
            .filter_map(|(column, cell)| {
                let attr = options.attributes.get(column)?;
                let value = if attr.select {
                    AttributeValue::Select(
                        cell.split('|')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                } else {
                    AttributeValue::Text(cell.clone())
                };
                Some((attr.id.clone(), Some(value)))
            })
            .collect();
        if values.is_empty() {
            return RowOutcome::Created { id };
        }
        match self.patch_custom_attributes(&id, &values).await {
            Ok(_) => RowOutcome::Created { id },
            Err(e) => RowOutcome::AttributesFailed {
                id,
                message: e.to_string(),
            },
        }
    }
}

fn require_display_name(fields: &NewEndUser) -> Result<()> {
    if fields
        .display_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(ClientError::Invalid(
            "an end user update needs a display name".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_dixa_errors_map_to_client_errors() {
        let e = dixa_error(
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Invalid API token"}"#,
        );
        assert_eq!(e, ClientError::Unauthorized("Invalid API token".into()));
        let e = dixa_error(
            StatusCode::BAD_REQUEST,
            r#"{"message":"Invalid value for: body"}"#,
        );
        assert_eq!(e, ClientError::Invalid("Invalid value for: body".into()));
        let e = dixa_error(StatusCode::NOT_FOUND, r#"{"message":"gone"}"#);
        assert!(matches!(e, ClientError::Platform { code, .. } if code == NOT_FOUND));
        let e = dixa_error(StatusCode::CONFLICT, "{}");
        assert!(matches!(e, ClientError::Platform { code, .. } if code == CONFLICT));
        let e = dixa_error(StatusCode::BAD_GATEWAY, "<html>");
        assert!(e.is_transient());
    }

    #[test]
    fn test_bulk_items_decode_as_successes_and_failures() {
        let text = r#"{"data":[
            {"data":{"id":"u1","createdAt":"2020-12-16T09:41:43Z","email":"a@b.co","additionalEmails":[],
                     "additionalPhoneNumbers":[],"middleNames":[],"customAttributes":[]},"_type":"BulkActionSuccess"},
            {"error":{"id":"u2","message":"Updating EndUser [id=u2] failed with [errors=PhoneNumberExists,InvalidEmail]","_type":"Validation"},
             "_type":"BulkActionFailure"}]}"#;
        let out: Vec<BulkOutcome<EndUser>> = bulk_outcomes(text).unwrap();
        assert_eq!(out[0].success().unwrap().email.as_deref(), Some("a@b.co"));
        let f = out[1].failure().unwrap();
        assert_eq!(f.kind, "Validation");
        assert_eq!(f.error_codes(), vec!["PhoneNumberExists", "InvalidEmail"]);
        assert!(bulk_outcomes::<EndUser>(r#"{"data":[{"_type":"Odd"}]}"#).is_err());
    }

    #[test]
    fn test_patch_serializes_absent_set_and_cleared_fields() {
        let patch = EndUserPatch {
            email: Some(None),
            first_name: Some(Some("Ann".into())),
            middle_names: Some(Vec::new()),
            ..EndUserPatch::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            serde_json::json!({"email": null, "firstName": "Ann", "middleNames": []})
        );
        let row = EndUserPatchRow {
            id: "x".into(),
            patch,
        };
        assert_eq!(serde_json::to_value(&row).unwrap()["id"], "x");
    }

    #[test]
    fn test_unknown_enum_values_do_not_break_decoding() {
        let c: Conversation = serde_json::from_str(
            r#"{"id":1,"channel":"CarrierPigeon","state":"Snoozed","direction":"Sideways","_type":"X"}"#,
        )
        .unwrap();
        assert_eq!(c.channel, Channel::Other);
        assert_eq!(c.state, ConversationState::Other);
        assert_eq!(c.direction, Some(Direction::Other));
    }

    #[test]
    fn test_client_never_prints_its_token_and_needs_one() {
        let http = reqwest::Client::new();
        let c = DixaClient::with_http(http.clone(), "http://127.0.0.1:9", Secret::new("tok-123"))
            .unwrap();
        assert!(!format!("{c:?}").contains("tok-123"));
        assert!(matches!(
            DixaClient::with_http(http.clone(), "http://127.0.0.1:9", Secret::new(" ")),
            Err(ClientError::Invalid(_))
        ));
        assert!(DixaClient::with_http(http, "ftp://x", Secret::new("t")).is_err());
    }

    #[test]
    fn test_next_page_key_is_read_from_the_link() {
        let c = DixaClient::with_http(
            reqwest::Client::new(),
            "http://127.0.0.1:9/",
            Secret::new("t"),
        )
        .unwrap();
        assert_eq!(
            c.next_key(Some("/v1/endusers?pageKey=abc%3D&pageLimit=2")),
            Some("abc=".into())
        );
        assert_eq!(c.next_key(Some("")), None);
        assert_eq!(c.next_key(None), None);
    }

    #[tokio::test]
    async fn test_pacer_spaces_requests_under_the_limit() {
        let pacer = Pacer::under(RateLimit::DIXA).unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
        for _ in 0..2 {
            pacer.acquire().await;
        }
        // 3 at once, then 9 per second.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(220), "{elapsed:?}");
        assert!(elapsed <= Duration::from_millis(1000), "{elapsed:?}");
    }

    #[test]
    fn test_dixa_401_says_the_token_was_refused_not_the_session() {
        let e = dixa_app_error(&dixa_error(
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Invalid API token"}"#,
        ));
        assert_eq!(e.code, ErrorCode::Unauthorized);
        assert!(
            e.message.starts_with("Dixa refused this API token"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("Sign in"));
        assert_eq!(e.field.as_deref(), Some("token"));
        let e = dixa_app_error(&dixa_error(StatusCode::CONFLICT, r#"{"message":"open"}"#));
        assert_eq!(e.field.as_deref(), Some("force"));
        let e = dixa_app_error(&ClientError::Network {
            host: "dixa.example".into(),
            detail: "refused".into(),
        });
        assert_eq!(e.code, ErrorCode::Unreachable);
        assert!(e.message.contains("dixa.example cannot be reached"));
    }
}
