//! The shell's state: the cache, the keyring, and one running `Client` per signed-in account.
//! Client events reach the UI as one `parley://batch` event per frame at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use parley_client::api_dixa::{dixa_app_error, DixaClient, EndUserFilter, PageRequest};
use parley_client::attachments::AttachmentCache;
use parley_client::secrets::{SecretKind, SecretStore, DIXA_ACCOUNT};
use parley_client::{Client, ClientEvent, ClientOptions, Session};
use parley_core::model::{ConnectionState, Message};
use parley_core::notify::NotificationIntent;
use parley_core::store::{Store, ViewCounts};
use parley_core::{Account, AppError, ErrorCode, Secret};
use parley_store::SqliteStore;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tokio::sync::RwLock;

use crate::settings::{AgentAvailability, AppSettings, SettingsFile};
use crate::tray::Tray;

pub type AppClient = Client<SqliteStore>;

/// Downloaded attachments kept at most (least recently used go first).
const ATTACHMENT_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// How long a launch holds the network back at most while the first screen is painted.
const NETWORK_HOLD_MAX: std::time::Duration = std::time::Duration::from_secs(2);

pub struct Shell {
    pub store: Arc<SqliteStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub http: reqwest::Client,
    pub clients: RwLock<HashMap<String, AppClient>>,
    pub attachments: AttachmentCache,
    pub settings: StdMutex<AppSettings>,
    pub settings_file: SettingsFile,
    /// Unread messages per account, for the title and the tray.
    unread: StdMutex<HashMap<String, i64>>,
    pub tray: StdMutex<Option<Tray>>,
    /// True once the accounts of the last session are resumed (or could not be).
    resumed: tokio::sync::watch::Sender<bool>,
    /// True once the first screen is painted (or `NETWORK_HOLD_MAX` has passed): until then
    /// the resumed accounts' real-time links and catch-ups wait, so the launch paints the
    /// cached inbox without sharing the CPU with them.
    painted: tokio::sync::watch::Sender<bool>,
    /// The Dixa client of the saved token and address, built on first use; one per token so
    /// its pacing and 429 gate are shared by every call.
    dixa: tokio::sync::Mutex<Option<Arc<DixaClient>>>,
}

/// What the UI receives, coalesced: everything that changed since the last frame.
#[derive(Debug, Clone, Default, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct UiBatch {
    pub account_id: String,
    /// Conversations whose inbox row may have changed.
    pub conversations: Vec<String>,
    /// Messages inserted or updated (the timeline merges them by key).
    pub messages: Vec<Message>,
    /// (conversation id, key) removed.
    pub removed: Vec<(String, String)>,
    /// (old key, new key): a queued echo got its server key.
    pub rekeyed: Vec<(String, String)>,
    pub counts: Option<ViewCounts>,
    pub connection: Option<ConnectionState>,
    pub typing: Vec<TypingInfo>,
    pub store_error: Option<String>,
    /// Messages waiting in the send queue (with `counts`).
    pub queued: Option<u32>,
}

/// An upload's progress (`done` once the message is queued, `error` if it failed).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    pub account_id: String,
    pub conversation_id: String,
    pub upload_id: String,
    pub name: String,
    pub sent: u32,
    pub total: u32,
    pub done: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TypingInfo {
    pub conversation_id: String,
    pub user_id: String,
    pub typing: bool,
}

/// A notification was clicked (or shown): the UI opens this conversation.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct OpenConversation {
    pub account_id: String,
    pub conversation_id: String,
}

pub fn storage_error(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Storage,
        format!("Parley could not open its local cache: {e}"),
    )
}

impl Shell {
    pub async fn open(app: &AppHandle) -> Result<Self, AppError> {
        let dir = app
            .path()
            .app_data_dir()
            .map_err(|e| storage_error(format!("no data directory: {e}")))?;
        let store = Arc::new(
            SqliteStore::open(&dir.join("cache.sqlite"))
                .await
                .map_err(storage_error)?,
        );
        let secrets = secret_store();
        let http = parley_client::http::http_client().map_err(AppError::from)?;
        let cache_dir = app
            .path()
            .app_cache_dir()
            .unwrap_or_else(|_| dir.join("cache"));
        let config_dir = app.path().app_config_dir().unwrap_or_else(|_| dir.clone());
        let settings_file = SettingsFile::new(&config_dir);
        let settings = settings_file.load();
        Ok(Self {
            store,
            secrets,
            http,
            clients: RwLock::new(HashMap::new()),
            attachments: AttachmentCache::new(
                cache_dir.join("attachments"),
                ATTACHMENT_CACHE_BYTES,
            ),
            settings: StdMutex::new(settings),
            settings_file,
            unread: StdMutex::new(HashMap::new()),
            tray: StdMutex::new(None),
            resumed: tokio::sync::watch::channel(false).0,
            painted: tokio::sync::watch::channel(false).0,
            dixa: tokio::sync::Mutex::new(None),
        })
    }

    /// The first screen is painted: the network may start (see `painted`).
    pub fn first_screen_painted(&self) {
        self.painted.send_replace(true);
    }

    /// Open the network gate after `NETWORK_HOLD_MAX` if the page has not painted by then
    /// (a page that never reports must not keep the app offline).
    pub fn hold_network_at_most(&self) {
        let painted = self.painted.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(NETWORK_HOLD_MAX).await;
            if !*painted.borrow() {
                log::info!("the first screen was not painted in time; connecting anyway");
                painted.send_replace(true);
            }
        });
    }

    pub fn current_settings(&self) -> AppSettings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Save and apply settings to every running account.
    pub async fn apply_settings(&self, settings: AppSettings) -> Result<(), AppError> {
        let settings = settings.checked()?;
        self.settings_file.save(&settings)?;
        for c in self.clients.read().await.values() {
            c.set_notification_settings(settings.notifications.clone());
        }
        if let Ok(mut s) = self.settings.lock() {
            *s = settings;
        }
        Ok(())
    }

    // ---- Dixa ---------------------------------------------------------------------------

    /// The Dixa address used when none is saved: the sandbox's own `/v1` when a signed-in
    /// account is on a local (loopback) server, else Dixa's.
    pub async fn dixa_default_url(&self) -> String {
        for c in self.clients.read().await.values() {
            let chat = &c.account().endpoints.chat;
            if let Ok(u) = url::Url::parse(chat) {
                if is_loopback(&u) {
                    return format!("{}/v1", chat.trim_end_matches('/'));
                }
            }
        }
        DIXA_DEFAULT_URL.to_owned()
    }

    /// The Dixa address in use (saved, else the default).
    pub async fn dixa_url(&self) -> String {
        match self.current_settings().dixa_url {
            Some(u) => u,
            None => self.dixa_default_url().await,
        }
    }

    pub fn dixa_has_token(&self) -> Result<bool, AppError> {
        Ok(self
            .secrets
            .get(DIXA_ACCOUNT, SecretKind::DixaToken)?
            .is_some_and(|t| !t.is_empty()))
    }

    /// The shared client for the saved token and address (`unauthorized`, field `token`, when
    /// no token is saved).
    pub async fn dixa(&self) -> Result<Arc<DixaClient>, AppError> {
        let mut slot = self.dixa.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let token = self
            .secrets
            .get(DIXA_ACCOUNT, SecretKind::DixaToken)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError {
                field: Some("token".into()),
                ..AppError::new(
                    ErrorCode::Unauthorized,
                    "No Dixa API token is saved: add one in Settings › Dixa.",
                )
            })?;
        let client = Arc::new(self.dixa_client_for(&self.dixa_url().await, token)?);
        *slot = Some(client.clone());
        Ok(client)
    }

    fn dixa_client_for(&self, url: &str, token: Secret) -> Result<DixaClient, AppError> {
        let base = dixa_api_base(url)?;
        DixaClient::with_http(self.http.clone(), &base, token).map_err(|e| dixa_app_error(&e))
    }

    /// Check `token` (or the saved one) against `url` with one cheap call, then save the
    /// token in the keyring and the address in the settings. Nothing is saved if Dixa refuses.
    pub async fn connect_dixa(&self, url: &str, token: Option<Secret>) -> Result<(), AppError> {
        let url = normalise_dixa_url(url)?;
        let token = match token.filter(|t| !t.expose().trim().is_empty()) {
            Some(t) => Secret::new(t.expose().trim()),
            None => self
                .secrets
                .get(DIXA_ACCOUNT, SecretKind::DixaToken)?
                .ok_or_else(|| AppError::invalid_field("token", "Paste a Dixa API token."))?,
        };
        let client = self.dixa_client_for(&url, token.clone())?;
        client
            .end_users(&EndUserFilter::All, &PageRequest::first(1))
            .await
            .map_err(|e| dixa_app_error(&e))?;
        self.secrets
            .set(DIXA_ACCOUNT, SecretKind::DixaToken, &token)?;
        let mut settings = self.current_settings();
        // Kept explicitly: the token must keep going to the address it was checked against,
        // even when the default changes (another account signed in).
        settings.dixa_url = Some(url);
        self.apply_settings(settings).await?;
        *self.dixa.lock().await = Some(Arc::new(client));
        log::info!("Dixa API token saved and checked");
        Ok(())
    }

    /// Forget the Dixa token (the address stays).
    pub async fn disconnect_dixa(&self) -> Result<(), AppError> {
        self.secrets.delete(DIXA_ACCOUNT, SecretKind::DixaToken)?;
        *self.dixa.lock().await = None;
        log::info!("Dixa API token removed");
        Ok(())
    }

    /// Publish availability on every account (and remember it).
    pub async fn set_availability(&self, a: AgentAvailability) -> Result<(), AppError> {
        let mut settings = self.current_settings();
        settings.availability = a;
        self.apply_settings(settings).await?;
        for c in self.clients.read().await.values() {
            c.set_availability(to_core(a)).await?;
        }
        if let Ok(t) = self.tray.lock() {
            if let Some(t) = t.as_ref() {
                t.set_availability(a);
            }
        }
        Ok(())
    }

    /// Record an account's unread count; the title and tray show the sum.
    pub fn set_unread(&self, app: &AppHandle, account_id: &str, unread: Option<i64>) {
        let total = {
            let Ok(mut m) = self.unread.lock() else {
                return;
            };
            match unread {
                Some(n) => m.insert(account_id.to_owned(), n),
                None => m.remove(account_id),
            };
            m.values().sum::<i64>()
        };
        if let Ok(t) = self.tray.lock() {
            match t.as_ref() {
                Some(t) => t.set_unread(app, total),
                None => crate::tray::set_window_unread(app, total),
            }
        }
    }

    /// Stop every account's services (they publish "offline" first).
    pub async fn stop_all(&self) {
        let clients: Vec<AppClient> = self.clients.read().await.values().cloned().collect();
        for c in clients {
            c.stop().await;
        }
    }

    /// Restart the services of every account whose secrets are still in the keyring.
    /// Wait (at most `limit`) until the accounts of the last session are resumed, so the
    /// account list the UI reads at start is complete: a signed-in agent whose keyring answers
    /// after the page loads must not see the sign-in screen.
    pub async fn wait_resumed(&self, limit: std::time::Duration) {
        let mut rx = self.resumed.subscribe();
        if tokio::time::timeout(limit, rx.wait_for(|done| *done))
            .await
            .is_err()
        {
            log::warn!(
                "accounts still resuming after {} ms; listing what is ready",
                limit.as_millis()
            );
        }
    }

    pub async fn resume_accounts(&self, app: &AppHandle) {
        self.resume_accounts_inner(app).await;
        self.resumed.send_replace(true);
    }

    async fn resume_accounts_inner(&self, app: &AppHandle) {
        let accounts = match self.store.accounts().await {
            Ok(a) => a,
            Err(e) => {
                log::error!("cannot list accounts: {e}");
                return;
            }
        };
        for account in accounts {
            match Session::restore(&account, self.secrets.clone()) {
                Ok(Some(session)) => {
                    if let Err(e) = self
                        .start_client(app, account.clone(), Arc::new(session))
                        .await
                    {
                        log::error!("cannot start {}: {}", account.id, e.message);
                    }
                }
                Ok(None) => log::info!("{} has no secrets in the keyring: signed out", account.id),
                Err(e) => log::error!("keyring unavailable for {}: {e}", account.id),
            }
        }
    }

    pub async fn start_client(
        &self,
        app: &AppHandle,
        account: Account,
        session: Arc<Session>,
    ) -> Result<AppClient, AppError> {
        let settings = self.current_settings();
        let client = Client::start(
            account.clone(),
            session,
            self.store.clone(),
            self.http.clone(),
            ClientOptions {
                notifications: settings.notifications.clone(),
                local_minute_of_day,
                // Benchmarks fill the cache with more conversations at sign-in.
                initial_pages: std::env::var("PARLEY_INITIAL_PAGES")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(ClientOptions::default().initial_pages),
                network_gate: Some(self.painted.subscribe()),
                ..ClientOptions::default()
            },
        )
        .map_err(AppError::from)?;
        if settings.availability == AgentAvailability::Away {
            let c = client.clone();
            tauri::async_runtime::spawn(async move {
                // Once connected, say "away" rather than the default "online".
                let _ = c.wait_online(Duration::from_secs(60)).await;
                let _ = c.set_availability(to_core(AgentAvailability::Away)).await;
            });
        }
        forward_events(app.clone(), client.clone());
        self.clients
            .write()
            .await
            .insert(account.id, client.clone());
        Ok(client)
    }

    pub async fn client(&self, account_id: &str) -> Result<AppClient, AppError> {
        self.clients
            .read()
            .await
            .get(account_id)
            .cloned()
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::Unauthorized,
                    "That account is not signed in on this computer.",
                )
            })
    }
}

/// Minutes since local midnight, for quiet hours (the system's time zone).
fn local_minute_of_day() -> u16 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0)
}

/// Show a notification again every `repeat_minutes` while its conversation is unread (at
/// most 10 times; never in quiet hours or once notifications are off). One repeater per
/// conversation.
fn repeat_until_read(app: &AppHandle, client: &AppClient, n: NotificationIntent) {
    use std::sync::{Mutex, OnceLock};
    static ACTIVE: OnceLock<Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    let key = format!("{}/{}", n.account_id, n.conversation_id);
    let active = ACTIVE.get_or_init(Default::default);
    if !active.lock().is_ok_and(|mut a| a.insert(key.clone())) {
        return;
    }
    let app = app.clone();
    let client = client.clone();
    tauri::async_runtime::spawn(async move {
        for _ in 0..10 {
            let s = app.state::<Shell>().current_settings().notifications;
            if s.repeat_minutes == 0 || !s.enabled {
                break;
            }
            tokio::time::sleep(Duration::from_secs(u64::from(s.repeat_minutes) * 60)).await;
            let unread = matches!(client.conversation(&n.conversation_id).await,
                Ok(Some(c)) if c.unread > 0);
            let s = app.state::<Shell>().current_settings().notifications;
            if !unread || !s.enabled || s.repeat_minutes == 0 {
                break;
            }
            if !s.is_quiet(local_minute_of_day()) {
                let sound = s.sound.then(|| s.sound_name().to_owned());
                crate::notifications::show(&app, &n, sound.as_deref());
            }
        }
        if let Ok(mut a) = active.lock() {
            a.remove(&key);
        }
    });
}

fn to_core(a: AgentAvailability) -> parley_core::realtime::Availability {
    match a {
        AgentAvailability::Online => parley_core::realtime::Availability::Online,
        AgentAvailability::Away => parley_core::realtime::Availability::Away,
    }
}

#[cfg(not(test))]
fn secret_store() -> Arc<dyn SecretStore> {
    // PARLEY_SECRETS=memory keeps secrets in memory only (screenshots, demos without a
    // keyring daemon). Never the default.
    if std::env::var("PARLEY_SECRETS").as_deref() == Ok("memory") {
        log::warn!("secrets are kept in memory only (PARLEY_SECRETS=memory)");
        return Arc::new(parley_client::MemorySecrets::default());
    }
    Arc::new(parley_client::secrets::KeyringSecrets::new())
}

#[cfg(test)]
fn secret_store() -> Arc<dyn SecretStore> {
    Arc::new(parley_client::MemorySecrets::default())
}

/// Dixa's API address, as the settings show it.
pub const DIXA_DEFAULT_URL: &str = "https://dev.dixa.io/v1";

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A Dixa address as saved: `http(s)://host[:port][/path]/v1`, no query, no trailing slash;
/// plain http only to this machine (the token would travel in clear).
pub fn normalise_dixa_url(raw: &str) -> Result<String, AppError> {
    let bad = |m: &str| AppError::invalid_field("url", m);
    let u = url::Url::parse(raw.trim())
        .map_err(|_| bad("Enter the Dixa API address, e.g. https://dev.dixa.io/v1."))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(bad("The Dixa address starts with https://."));
    }
    if u.scheme() == "http" && !is_loopback(&u) {
        return Err(bad(
            "Use https:// for Dixa: the API token must not travel unencrypted.",
        ));
    }
    if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
        return Err(bad("The Dixa address has no query, fragment or user name."));
    }
    let mut s = u.as_str().trim_end_matches('/').to_owned();
    if !s.ends_with("/v1") {
        s.push_str("/v1");
    }
    Ok(s)
}

/// The base `DixaClient` takes (its paths start with `/v1`).
fn dixa_api_base(url: &str) -> Result<String, AppError> {
    let url = normalise_dixa_url(url)?;
    Ok(url.trim_end_matches("/v1").to_owned())
}

/// Forward a client's events to the UI, coalesced to at most one batch per frame (16 ms).
fn forward_events(app: AppHandle, client: AppClient) {
    let mut rx = client.subscribe();
    let account_id = client.account().id.clone();
    tauri::async_runtime::spawn(async move {
        // The title and tray show the cached unread count from the start.
        if let Ok(counts) = client.counts().await {
            app.state::<Shell>()
                .set_unread(&app, &account_id, Some(counts.unread));
        }
        loop {
            let first = match rx.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    log::warn!("UI events lagged by {n}; the UI reloads its views");
                    ClientEvent::Changed(Arc::new(parley_core::Applied {
                        conversations: vec!["*".into()],
                        ..Default::default()
                    }))
                }
                Err(_) => return,
            };
            let mut batch = UiBatch {
                account_id: account_id.clone(),
                ..Default::default()
            };
            let mut counts_dirty = false;
            let mut notes: Vec<NotificationIntent> = Vec::new();
            merge(&mut batch, first, &mut counts_dirty, &mut notes);
            let frame = tokio::time::sleep(Duration::from_millis(16));
            tokio::pin!(frame);
            loop {
                tokio::select! {
                    () = &mut frame => break,
                    ev = rx.recv() => match ev {
                        Ok(ev) => merge(&mut batch, ev, &mut counts_dirty, &mut notes),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            batch.conversations.push("*".into());
                        }
                        Err(_) => break,
                    },
                }
            }
            if counts_dirty {
                batch.counts = client.counts().await.ok();
                batch.queued = client.outbox().await.ok().map(|o| queued_len(&o));
                if let Some(c) = &batch.counts {
                    app.state::<Shell>()
                        .set_unread(&app, &account_id, Some(c.unread));
                }
            }
            batch.conversations.sort();
            batch.conversations.dedup();
            if let Err(e) = tauri_specta::Event::emit(&batch, &app) {
                log::warn!("could not emit a UI batch: {e}");
            }
            let settings = app.state::<Shell>().current_settings().notifications;
            let sound = settings.sound.then(|| settings.sound_name().to_owned());
            for n in notes {
                crate::notifications::show(&app, &n, sound.as_deref());
                if settings.repeat_minutes > 0 {
                    repeat_until_read(&app, &client, n);
                }
            }
        }
    });
}

/// Messages still to be sent (failed ones wait for the agent, but still count).
pub fn queued_len(outbox: &[parley_core::store::OutboxItem]) -> u32 {
    u32::try_from(outbox.len()).unwrap_or(u32::MAX)
}

/// Fold one store change into the frame's batch. The UI applies a batch as rekeys, then
/// removals, then messages; a frame that holds several changes must read the same as applying
/// them one by one. So a message already in the batch follows a later rekey (a local echo and
/// its confirmation in one frame: without this the echo, still under its client key, came back
/// beside the confirmed copy), a later removal takes it out, and rekeys chain.
fn merge_messages(batch: &mut UiBatch, applied: &parley_core::Applied) {
    for (from, to) in &applied.rekeyed {
        if batch.messages.iter().any(|m| m.key == *to) {
            // The server copy is in the batch already: the echo goes.
            batch.messages.retain(|m| m.key != *from);
        } else {
            for m in &mut batch.messages {
                if m.key == *from {
                    m.key.clone_from(to);
                }
            }
        }
        for r in &mut batch.rekeyed {
            if r.1 == *from {
                r.1.clone_from(to);
            }
        }
        batch.rekeyed.push((from.clone(), to.clone()));
    }
    for (conversation, key) in &applied.removed_messages {
        batch
            .messages
            .retain(|m| !(m.key == *key && m.conversation_id == *conversation));
    }
    batch
        .removed
        .extend(applied.removed_messages.iter().cloned());
    for m in &applied.messages {
        // The newest copy of a message wins.
        batch.messages.retain(|x| x.key != m.key);
        batch.messages.push(m.clone());
    }
}

fn merge(
    batch: &mut UiBatch,
    ev: ClientEvent,
    counts_dirty: &mut bool,
    notes: &mut Vec<NotificationIntent>,
) {
    match ev {
        ClientEvent::Changed(applied) => {
            *counts_dirty |= !applied.conversations.is_empty();
            batch
                .conversations
                .extend(applied.conversations.iter().cloned());
            merge_messages(batch, &applied);
        }
        ClientEvent::Connection(c) => batch.connection = Some(c),
        ClientEvent::Typing {
            conversation_id,
            user_id,
            typing,
        } => batch.typing.push(TypingInfo {
            conversation_id,
            user_id,
            typing,
        }),
        ClientEvent::Notify(n) => notes.push(n),
        ClientEvent::StoreError(e) => batch.store_error = Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::model::{DeliveryState, Direction, Metadata};
    use parley_core::Applied;

    fn msg(key: &str, state: DeliveryState) -> Message {
        Message {
            key: key.into(),
            conversation_id: "g:1".into(),
            sender_id: "me".into(),
            created_at: 1,
            text: "On its way".into(),
            content_type: 0,
            metadata: Metadata::new(),
            attachment: None,
            direction: Direction::Outgoing,
            state,
            client_key: Some("ck1".into()),
        }
    }

    fn changed(applied: Applied) -> ClientEvent {
        ClientEvent::Changed(Arc::new(applied))
    }

    fn frame(events: Vec<ClientEvent>) -> UiBatch {
        let mut batch = UiBatch::default();
        let (mut dirty, mut notes) = (false, Vec::new());
        for ev in events {
            merge(&mut batch, ev, &mut dirty, &mut notes);
        }
        batch
    }

    fn echo_then_confirm() -> Vec<ClientEvent> {
        vec![
            changed(Applied {
                messages: vec![msg("ck1", DeliveryState::Queued)],
                ..Default::default()
            }),
            changed(Applied {
                messages: vec![msg("s-1", DeliveryState::Sent)],
                rekeyed: vec![("ck1".into(), "s-1".into())],
                ..Default::default()
            }),
        ]
    }

    /// The UI applies rekeys, then removals, then messages (timeline.ts `applyBatch`): no
    /// message of the batch may sit under a key the batch renames or removes.
    fn assert_consistent(batch: &UiBatch) {
        for m in &batch.messages {
            assert!(
                !batch.rekeyed.iter().any(|(from, _)| *from == m.key),
                "{} is renamed by the same batch: {batch:?}",
                m.key
            );
            assert!(
                !batch.removed.iter().any(|(_, k)| *k == m.key),
                "{} is removed by the same batch: {batch:?}",
                m.key
            );
        }
    }

    #[test]
    fn test_an_echo_confirmed_within_one_frame_reaches_the_ui_once() {
        let batch = frame(echo_then_confirm());
        assert_consistent(&batch);
        let shown: Vec<_> = batch
            .messages
            .iter()
            .map(|m| (m.key.as_str(), m.state))
            .collect();
        assert_eq!(shown, [("s-1", DeliveryState::Sent)]);
        assert_eq!(batch.rekeyed, [("ck1".to_owned(), "s-1".to_owned())]);
    }

    #[test]
    fn test_a_server_copy_before_the_confirmation_in_one_frame_is_kept_once() {
        let mut events = vec![changed(Applied {
            messages: vec![msg("ck1", DeliveryState::Queued)],
            ..Default::default()
        })];
        // The event stream's copy comes first, then the send queue's confirmation renames.
        events.push(changed(Applied {
            messages: vec![msg("s-1", DeliveryState::Sent)],
            ..Default::default()
        }));
        events.push(changed(Applied {
            rekeyed: vec![("ck1".into(), "s-1".into())],
            ..Default::default()
        }));
        let batch = frame(events);
        assert_consistent(&batch);
        let keys: Vec<_> = batch.messages.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["s-1"]);
    }

    #[test]
    fn test_rekeys_chain_and_removals_win_within_one_frame() {
        let mut events = echo_then_confirm();
        events.push(changed(Applied {
            messages: vec![msg("ck2", DeliveryState::Queued)],
            ..Default::default()
        }));
        events.push(changed(Applied {
            rekeyed: vec![("s-1".into(), "s-2".into())],
            messages: vec![msg("s-2", DeliveryState::Delivered)],
            ..Default::default()
        }));
        // The agent cancels the second queued message.
        events.push(changed(Applied {
            removed_messages: vec![("g:1".into(), "ck2".into())],
            ..Default::default()
        }));
        let batch = frame(events);
        assert_consistent(&batch);
        let shown: Vec<_> = batch
            .messages
            .iter()
            .map(|m| (m.key.as_str(), m.state))
            .collect();
        assert_eq!(shown, [("s-2", DeliveryState::Delivered)]);
        // An echo shown before this frame still reaches its final key in one step.
        assert!(batch
            .rekeyed
            .contains(&("ck1".to_owned(), "s-2".to_owned())));
    }
}
