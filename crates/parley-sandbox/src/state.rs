//! Shared server state.

use std::sync::Arc;

use sqlx::SqlitePool;
use tokio::sync::{Mutex, MutexGuard};

use crate::clock::Clock;
use crate::dixa::RateLimiter;
use crate::jwt::{Claims, JwtKeys};
use crate::mqtt::Bus;

/// The one application this sandbox emulates.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    pub application_id: String,
    pub api_key: String,
    /// The application-level bot used for `Api-Key` calls without `Of-User-Id`.
    pub bot_user_id: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    pub token_valid_minutes: i64,
    /// Dixa API: requests per second and burst per token (0: no limit).
    pub dixa_rate_per_second: f64,
    pub dixa_burst: u32,
    /// WapiKit API: requests per route and caller per window (0: no limit).
    pub wapikit_rate_limit: u32,
    pub wapikit_rate_window: std::time::Duration,
}

#[derive(Debug)]
pub struct AppState {
    pub db: SqlitePool,
    pub app: AppIdentity,
    pub jwt: Arc<JwtKeys>,
    pub clock: Clock,
    pub bus: Bus,
    pub limits: Limits,
    pub http_url: String,
    pub mqtt_url: String,
    /// The Dixa API's per-token rate limit.
    pub dixa_limiter: RateLimiter,
    /// WapiKit's keys, rate limit and event bus.
    pub wapikit: crate::wapikit::WkState,
    write_lock: Mutex<()>,
}

pub type SharedState = Arc<AppState>;

/// A write in progress: holds the writer lock and the write's timestamp. Readers that take a
/// cursor with [`AppState::cursor_now`] wait for writes in progress, so a cursor never skips a
/// row that commits later with an older timestamp.
pub struct WriteGuard<'a> {
    _guard: MutexGuard<'a, ()>,
    pub now: i64,
}

impl AppState {
    pub fn new(
        db: SqlitePool,
        app: AppIdentity,
        jwt: Arc<JwtKeys>,
        bus: Bus,
        limits: Limits,
        http_url: String,
        mqtt_url: String,
    ) -> Self {
        Self {
            db,
            app,
            jwt,
            clock: Clock::new(),
            bus,
            limits,
            http_url,
            mqtt_url,
            dixa_limiter: RateLimiter::new(limits.dixa_rate_per_second, limits.dixa_burst),
            wapikit: crate::wapikit::WkState::new(
                limits.wapikit_rate_limit,
                limits.wapikit_rate_window,
            ),
            write_lock: Mutex::new(()),
        }
    }

    pub async fn begin_write(&self) -> WriteGuard<'_> {
        let guard = self.write_lock.lock().await;
        WriteGuard {
            _guard: guard,
            now: self.clock.now(),
        }
    }

    /// A timestamp that every committed write is at or below, and every later write above.
    pub async fn cursor_now(&self) -> i64 {
        let _guard = self.write_lock.lock().await;
        self.clock.now()
    }

    pub fn issue_token(&self, user_id: &str, role_type: i64, device_key: Option<&str>) -> String {
        self.jwt.sign(&Claims {
            user_id: user_id.to_owned(),
            application_id: self.app.application_id.clone(),
            created_at_time: crate::clock::wall_ms(),
            valid_upto: self.limits.token_valid_minutes,
            device_key: device_key.map(str::to_owned),
            role_type,
        })
    }
}
