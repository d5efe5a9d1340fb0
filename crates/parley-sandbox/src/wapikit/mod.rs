//! WapiKit's API (`https://api.wapikit.com/api`, self-hosted `<host>/api`): the WhatsApp team
//! inbox Parley reads and answers, served next to the Applozic/Kommunicate and Dixa APIs.
//!
//! WapiKit speaks differently again: `x-access-token: <API key>` where the key is an HS256
//! JWT (`unique_id`, `email`, `organization_id`, …) signed with the server's secret; a wrong,
//! missing or `x-access-key` header is 401 `"Unauthorized access"`. Error bodies are bare JSON
//! strings (as the Go controllers send them), lists carry `paginationMeta {page, per_page,
//! total}`, each route has a fixed-window rate limit per caller (429 with `Retry-After` and
//! `X-RateLimit-*`), and real-time events go out on `GET /api/events?token=<key>` as SSE whose
//! `data:` is base64 MessagePack, filtered per organisation (and per user when an event names
//! one). The handlers are in `routes/wapikit.rs`, the seed in `seed/wapikit.rs`.

pub mod auth;
pub mod error;
pub mod limiter;
pub mod model;

use serde_json::Value;
use tokio::sync::{broadcast, watch};

pub use auth::WkCaller;
pub use error::{WkError, WkResult};
pub use limiter::WindowLimiter;

/// One real-time event for the SSE subscribers.
#[derive(Debug, Clone)]
pub struct WkBusEvent {
    /// `NewMessage`, `ChatAssignment`, …
    pub event_type: String,
    pub data: Value,
    pub org_id: String,
    /// Only this user's streams get it (e.g. the assignee of `ChatAssignment`).
    pub user_id: Option<String>,
}

/// WapiKit's share of the server state.
#[derive(Debug)]
pub struct WkState {
    pub events: broadcast::Sender<WkBusEvent>,
    pub limiter: WindowLimiter,
    /// The API key secret, loaded when seeding.
    pub keys: std::sync::OnceLock<auth::KeySigner>,
    /// Set when the sandbox stops: open event streams end.
    pub stopping: watch::Sender<bool>,
}

impl WkState {
    pub fn new(limit: u32, window: std::time::Duration) -> Self {
        Self {
            events: broadcast::channel(1024).0,
            limiter: WindowLimiter::new(limit, window),
            keys: std::sync::OnceLock::new(),
            stopping: watch::channel(false).0,
        }
    }

    pub fn publish(&self, event_type: &str, data: Value, org_id: &str, user_id: Option<&str>) {
        tracing::debug!(event_type, org_id, "wapikit event");
        // No subscriber is fine.
        let _ = self.events.send(WkBusEvent {
            event_type: event_type.to_owned(),
            data,
            org_id: org_id.to_owned(),
            user_id: user_id.map(str::to_owned),
        });
    }
}

/// RFC 3339 UTC with milliseconds: `2025-02-18T09:41:43.250Z`.
pub use crate::dixa::time::iso_ms;
