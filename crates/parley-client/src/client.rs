//! `Client`: one signed-in account, as services the UI only watches.
//!
//! - a **writer** task: every change to the cache goes through one channel and is applied in
//!   batches (one transaction per batch); each batch is broadcast as a `ClientEvent::Changed`;
//! - a **real-time** task: owns the MQTT connection, reconnects with backoff and jitter, decodes
//!   envelopes (unknown or malformed ones are logged and skipped) and turns them into changes;
//! - a **syncer** task: catches up from cursors kept in SQLite (`message/sync` lastSyncTime,
//!   `group/v5/list` updatedAt) after every (re)connect, wake from sleep, or envelope that asks
//!   for it. The cursor is written in the same transaction as the data it covers, so a crash
//!   never skips anything;
//! - a **sender** task: the persisted send queue, in order, exactly once (client key in the
//!   message metadata, checked on the server before a retry).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime};

use parley_core::model::ConnectionState;
use parley_core::model::{
    keys, Agent, Contact, Conversation, ConversationStatus, DeliveryState, Direction, Message,
    Metadata, Millis,
};
use parley_core::notify::{self, ConversationEvent, NotificationIntent, NotificationSettings};
use parley_core::realtime::{topics, Availability};
use parley_core::store::{Applied, Change, InboxQuery, OutboxItem, SearchHit, Store, ViewCounts};
use parley_core::wire::FileMeta;
use parley_core::{Account, StoreError};
use rand::Rng;
use rumqttc::QoS;
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::error::{ClientError, Result};
use crate::http::{RestClient, Session};
use crate::mqtt;
use crate::secrets::SecretStore;

mod kommunicate;
mod people;
mod wapikit;

pub(crate) use kommunicate::Kommunicate;
pub(crate) use wapikit::WapiKit;
pub use wapikit::CURSOR_WAPIKIT;

pub const CURSOR_MESSAGES: &str = "message_sync";
pub const CURSOR_GROUPS: &str = "group_sync";
/// Messages per page when loading history from the server.
pub const HISTORY_PAGE: u32 = 50;
const MAX_TEXT: usize = 20_000;
/// Counts the attempt recorded before the first send too.
const SEND_MAX_ATTEMPTS: i64 = 13;

/// What the UI hears about.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// The cache changed (one batch).
    Changed(Arc<Applied>),
    Connection(ConnectionState),
    Typing {
        conversation_id: String,
        user_id: String,
        typing: bool,
    },
    Notify(NotificationIntent),
    /// A batch could not be written (e.g. the disk is full). Nothing was lost on the server.
    StoreError(String),
}

struct WriteJob {
    changes: Vec<Change>,
    notify: bool,
    /// Conversations newly assigned to me in this job (for notifications).
    assigned_to_me: Vec<String>,
    done: Option<oneshot::Sender<std::result::Result<Applied, StoreError>>>,
    /// Ask for a group sync when the batch created conversations (a message naming one not
    /// cached yet): set by the real-time task, which does not wait for its writes.
    sync_new_conversations: bool,
}

/// Exponential backoff with full jitter, 1 s … 60 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            attempt: 0,
            base_ms: 1_000,
            max_ms: 60_000,
        }
    }
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let cap = self
            .base_ms
            .saturating_mul(1u64 << self.attempt.min(16))
            .min(self.max_ms);
        self.attempt = self.attempt.saturating_add(1);
        let jittered = rand::thread_rng().gen_range(cap / 2..=cap);
        Duration::from_millis(jittered)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Tunables (tests shorten them).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub reconnect: Backoff,
    pub send_retry: Backoff,
    pub notifications: NotificationSettings,
    /// Local minute of day, for quiet hours (the shell knows the time zone).
    pub local_minute_of_day: fn() -> u16,
    /// Pages of open conversations to load on the very first sync of an agent account.
    pub initial_pages: u32,
    /// The real-time link (and with it the catch-up) waits until this says `true`; `None`:
    /// at once. The app holds it while it paints the cached inbox at launch, so the first
    /// paint does not share the CPU with the connect and catch-up.
    pub network_gate: Option<watch::Receiver<bool>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            reconnect: Backoff::default(),
            send_retry: Backoff::default(),
            notifications: NotificationSettings::default(),
            local_minute_of_day: || {
                let secs = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                ((secs / 60) % (24 * 60)) as u16
            },
            initial_pages: 10,
            network_gate: None,
        }
    }
}

/// The platform-specific half of an account: sign-in state, REST, real-time and wire types.
/// Everything else in this file (writer, syncer, sender, reconnect backoff, notifications, the
/// cache) is written once for every platform and reaches the platform only through the
/// dispatching methods on `Inner` below (`connect_once`, `catch_up`, `deliver`,
/// `fetch_history`, `remote_*`, `agents`).
pub(crate) enum Provider {
    /// Kommunicate / Applozic (`client/kommunicate.rs`), the reference implementation.
    Kommunicate(Kommunicate),
    /// WapiKit, WhatsApp Business (`client/wapikit.rs`): API key, REST, server-sent events.
    WapiKit(WapiKit),
}

struct Inner<S: Store> {
    account: Account,
    store: Arc<S>,
    session: Arc<Session>,
    provider: Provider,
    options: StdMutex<ClientOptions>,
    events: broadcast::Sender<ClientEvent>,
    state: watch::Sender<ConnectionState>,
    writer: mpsc::UnboundedSender<WriteJob>,
    sync_wanted: Notify,
    want_messages: AtomicBool,
    want_groups: AtomicBool,
    /// The real-time notifications handled lately: a repeat is dropped.
    recent_envelopes: std::sync::Mutex<parley_core::realtime::RecentIds>,
    /// The real-time link is up (the syncer says "online" only then).
    link_up: AtomicBool,
    reconnect_now: Notify,
    outbox_wake: Notify,
    /// Last timestamp given to a local echo: echoes get strictly increasing times, so two
    /// replies queued in the same millisecond keep their order everywhere.
    last_local_ms: std::sync::atomic::AtomicI64,
    /// The application's users were loaded for people search this session.
    people_loaded: AtomicBool,
    /// Conversations whose history was fetched (or is being fetched) on open this session.
    history_fetched: StdMutex<HashSet<String>>,
    shutdown: watch::Sender<bool>,
}

/// A conversation as [`Client::open_conversation`] found it in the cache.
#[derive(Debug, Clone)]
pub struct OpenedConversation {
    pub conversation: Conversation,
    /// The newest messages, oldest first.
    pub messages: Vec<Message>,
    pub draft: Option<String>,
    pub customer: Option<Contact>,
}

/// One signed-in account. Cheap to clone.
pub struct Client<S: Store> {
    inner: Arc<Inner<S>>,
    tasks: Arc<StdMutex<Vec<JoinHandle<()>>>>,
}

impl<S: Store> Clone for Client<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            tasks: self.tasks.clone(),
        }
    }
}

fn group_id_of(conversation_id: &str) -> Option<i64> {
    conversation_id.strip_prefix("g:")?.parse().ok()
}

impl<S: Store> Client<S> {
    /// Start the services for a signed-in account. The cache must already hold the account.
    pub fn start(
        account: Account,
        session: Arc<Session>,
        store: Arc<S>,
        http: reqwest::Client,
        options: ClientOptions,
    ) -> Result<Self> {
        let provider = match account.platform {
            parley_core::Platform::Kommunicate => {
                let broker = mqtt::parse_broker(&account.endpoints.mqtt)?;
                let rest = Arc::new(RestClient::new(
                    http,
                    account.endpoints.clone(),
                    session.clone(),
                ));
                Provider::Kommunicate(Kommunicate::new(rest, broker))
            }
            parley_core::Platform::WapiKit => {
                Provider::WapiKit(WapiKit::new(http, &account, &session)?)
            }
        };
        let (events, _) = broadcast::channel(1024);
        let (state, _) = watch::channel(ConnectionState::Connecting);
        let (writer, writer_rx) = mpsc::unbounded_channel();
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            account,
            store,
            session,
            provider,
            options: StdMutex::new(options),
            events,
            state,
            writer,
            sync_wanted: Notify::new(),
            want_messages: AtomicBool::new(true),
            want_groups: AtomicBool::new(true),
            recent_envelopes: std::sync::Mutex::new(Default::default()),
            link_up: AtomicBool::new(false),
            reconnect_now: Notify::new(),
            outbox_wake: Notify::new(),
            last_local_ms: std::sync::atomic::AtomicI64::new(0),
            people_loaded: AtomicBool::new(false),
            history_fetched: StdMutex::new(HashSet::new()),
            shutdown,
        });
        if inner.link_is_insecure() {
            tracing::warn!(
                host = %inner.host(),
                "the real-time link is not encrypted"
            );
        }
        let tasks = vec![
            tokio::spawn(writer_loop(inner.clone(), writer_rx)),
            tokio::spawn(realtime_loop(inner.clone())),
            tokio::spawn(syncer_loop(inner.clone())),
            tokio::spawn(sender_loop(inner.clone())),
            tokio::spawn(wake_detector(inner.clone())),
        ];
        Ok(Self {
            inner,
            tasks: Arc::new(StdMutex::new(tasks)),
        })
    }

    pub fn account(&self) -> &Account {
        &self.inner.account
    }

    pub fn store(&self) -> &Arc<S> {
        &self.inner.store
    }

    /// The Kommunicate REST client (attachments, groups, people); other platforms say which
    /// actions they do not offer.
    pub fn rest(&self) -> Result<&Arc<RestClient>> {
        self.inner.rest()
    }

    pub fn platform(&self) -> parley_core::Platform {
        self.inner.account.platform
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ClientEvent> {
        self.inner.events.subscribe()
    }

    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.subscribe()
    }

    /// Plain TCP to a non-loopback broker (the UI shows a warning).
    pub fn link_is_insecure(&self) -> bool {
        self.inner.link_is_insecure()
    }

    pub fn set_notification_settings(&self, s: NotificationSettings) {
        if let Ok(mut o) = self.inner.options.lock() {
            o.notifications = s;
        }
    }

    /// Wait until caught up and online (or the timeout passes).
    pub async fn wait_online(&self, timeout: Duration) -> Result<()> {
        let mut rx = self.connection();
        let fut = async {
            loop {
                if matches!(*rx.borrow_and_update(), ConnectionState::Online) {
                    return Ok(());
                }
                if let ConnectionState::Error { message } = &*rx.borrow() {
                    return Err(ClientError::Unauthorized(message.clone()));
                }
                if rx.changed().await.is_err() {
                    return Err(ClientError::Invalid("client stopped".into()));
                }
            }
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| ClientError::Network {
                host: self.inner.host().to_owned(),
                detail: "not online in time".into(),
            })?
    }

    /// Ask for a catch-up now (e.g. the UI regained focus).
    pub fn request_sync(&self) {
        self.inner.request_sync(true, true);
    }

    /// Drop the real-time link and reconnect at once (after sleep, network change).
    pub fn reconnect(&self) {
        self.inner.reconnect_now.notify_one();
    }

    // ---- reads: always from the cache -------------------------------------------------------

    pub async fn inbox(&self, query: InboxQuery) -> Result<Vec<Conversation>> {
        Ok(self
            .inner
            .store
            .inbox(&self.inner.account.id, query)
            .await?)
    }

    pub async fn counts(&self) -> Result<ViewCounts> {
        Ok(self.inner.store.counts(&self.inner.account.id).await?)
    }

    pub async fn conversation(&self, id: &str) -> Result<Option<Conversation>> {
        Ok(self
            .inner
            .store
            .conversation(&self.inner.account.id, id)
            .await?)
    }

    pub async fn search(&self, terms: &str, limit: u32) -> Result<Vec<SearchHit>> {
        Ok(self
            .inner
            .store
            .search(&self.inner.account.id, terms, limit)
            .await?)
    }

    /// Cached conversations of every kind by title, customer id, name or e-mail (the command
    /// palette); the newest when `terms` is empty.
    pub async fn find_conversations(&self, terms: &str, limit: u32) -> Result<Vec<Conversation>> {
        Ok(self
            .inner
            .store
            .find_conversations(&self.inner.account.id, terms, limit)
            .await?)
    }

    pub async fn contact(&self, user_id: &str) -> Result<Option<Contact>> {
        Ok(self
            .inner
            .store
            .contact(&self.inner.account.id, user_id)
            .await?)
    }

    pub async fn draft(&self, conversation_id: &str) -> Result<Option<String>> {
        Ok(self
            .inner
            .store
            .draft(&self.inner.account.id, conversation_id)
            .await?)
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        Ok(self.inner.store.outbox(&self.inner.account.id).await?)
    }

    /// A conversation opened by the agent, at once from the cache: it, its newest `limit`
    /// messages (oldest first), its draft and its customer. `None` when it is not cached.
    ///
    /// The network never holds it up: when the cache has fewer than `limit` messages, older
    /// history is fetched in the background (once a session per conversation; again after a
    /// failure) and arrives as any other change does; the read receipt goes out in the
    /// background too, and the conversation is marked read in the cache behind it (the inbox
    /// hears of it as a batch). Its typing notifications are followed.
    pub async fn open_conversation(
        &self,
        conversation_id: &str,
        limit: u32,
    ) -> Result<Option<OpenedConversation>> {
        let acc = &self.inner.account.id;
        let store = &self.inner.store;
        let Some(conversation) = store.conversation(acc, conversation_id).await? else {
            return Ok(None);
        };
        let messages = store.timeline(acc, conversation_id, None, limit).await?;
        let draft = store.draft(acc, conversation_id).await?;
        let customer = match &conversation.customer_id {
            Some(u) => store.contact(acc, u).await?,
            None => None,
        };
        self.watch_typing(conversation_id).await;
        if conversation.unread > 0 {
            // Not waited for: the writer may be in the middle of a sync's batch.
            self.inner.queue(vec![Change::MarkConversationRead {
                conversation_id: conversation_id.to_owned(),
            }])?;
            let inner = self.inner.clone();
            let id = conversation_id.to_owned();
            self.spawn(async move {
                if let Err(e) = inner.remote_read(&id).await {
                    tracing::info!(conversation_id = %id, "read receipt not sent now: {e}");
                }
            });
        }
        if (messages.len() as u32) < limit && self.inner.history_wanted(conversation_id) {
            let inner = self.inner.clone();
            let id = conversation_id.to_owned();
            let end_time = messages.first().map(|m| m.created_at);
            self.spawn(async move {
                if let Err(e) = inner
                    .fetch_history(&id, end_time, HISTORY_PAGE.max(limit))
                    .await
                {
                    tracing::info!(conversation_id = %id, "history not fetched now: {e}");
                    inner.history_failed(&id);
                }
            });
        }
        Ok(Some(OpenedConversation {
            conversation,
            messages,
            draft,
            customer,
        }))
    }

    /// Runs `work` beside the services (stopped with them).
    fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(work);
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.retain(|t| !t.is_finished());
            tasks.push(handle);
        }
    }

    /// The newest messages of a conversation from the cache, oldest first. When the cache has
    /// fewer than `limit`, older history is fetched from the server first (if reachable).
    pub async fn timeline(
        &self,
        conversation_id: &str,
        before: Option<(Millis, String)>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let acc = &self.inner.account.id;
        let cached = self
            .inner
            .store
            .timeline(acc, conversation_id, before.clone(), limit)
            .await?;
        if cached.len() as u32 >= limit {
            return Ok(cached);
        }
        let end_time = cached
            .first()
            .map(|m| m.created_at)
            .or(before.as_ref().map(|(t, _)| *t));
        match self
            .inner
            .fetch_history(conversation_id, end_time, HISTORY_PAGE.max(limit))
            .await
        {
            Ok(false) => Ok(cached),
            Ok(true) => Ok(self
                .inner
                .store
                .timeline(acc, conversation_id, before, limit)
                .await?),
            Err(e) if e.is_transient() => Ok(cached),
            Err(e) => {
                tracing::warn!(%conversation_id, "loading history: {e}");
                Ok(cached)
            }
        }
    }

    // ---- writes -----------------------------------------------------------------------------

    async fn write(&self, changes: Vec<Change>) -> Result<Applied> {
        self.inner.write(changes, false, Vec::new()).await
    }

    pub async fn set_draft(&self, conversation_id: &str, text: &str) -> Result<()> {
        self.write(vec![Change::SetDraft {
            conversation_id: conversation_id.to_owned(),
            text: text.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    /// Queue a text (or HTML, content type 3) message: it shows at once as queued, and is sent
    /// in order, exactly once, as soon as the link allows. Returns its client key.
    pub async fn send_text(
        &self,
        conversation_id: &str,
        text: &str,
        content_type: i64,
        extra_metadata: Metadata,
    ) -> Result<String> {
        let trimmed = text.trim_end();
        if trimmed.trim().is_empty() {
            return Err(ClientError::Invalid("Type a message first.".into()));
        }
        if trimmed.chars().count() > MAX_TEXT {
            return Err(ClientError::Invalid(format!(
                "That message is longer than {MAX_TEXT} characters."
            )));
        }
        self.enqueue(
            conversation_id,
            trimmed.to_owned(),
            content_type,
            extra_metadata,
            None,
        )
        .await
    }

    /// Upload a file and queue a message carrying it. Uploading needs the server.
    pub async fn send_file(
        &self,
        conversation_id: &str,
        name: &str,
        content_type: &str,
        bytes: bytes::Bytes,
        caption: &str,
        progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
    ) -> Result<String> {
        let meta = self
            .inner
            .rest()?
            .upload(name, content_type, bytes, progress)
            .await?;
        self.enqueue(
            conversation_id,
            caption.trim().to_owned(),
            1,
            Metadata::new(),
            Some(meta),
        )
        .await
    }

    async fn enqueue(
        &self,
        conversation_id: &str,
        text: String,
        content_type: i64,
        extra_metadata: Metadata,
        file: Option<FileMeta>,
    ) -> Result<String> {
        let client_key = uuid::Uuid::new_v4().to_string();
        let now = self.inner.local_time();
        let mut metadata = extra_metadata;
        metadata.insert(keys::CLIENT_KEY.into(), client_key.clone());
        let echo = Message {
            key: client_key.clone(),
            conversation_id: conversation_id.to_owned(),
            sender_id: self.inner.account.user_id.clone(),
            created_at: now,
            text: text.clone(),
            content_type,
            metadata: metadata.clone(),
            attachment: file.as_ref().map(parley_core::model::Attachment::from_meta),
            direction: Direction::Outgoing,
            state: DeliveryState::Queued,
            client_key: Some(client_key.clone()),
        };
        let item = OutboxItem {
            client_key: client_key.clone(),
            conversation_id: conversation_id.to_owned(),
            text,
            content_type,
            metadata,
            file_meta_json: file.as_ref().and_then(|f| serde_json::to_string(f).ok()),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            failed: false,
        };
        self.write(vec![
            Change::Enqueue { item, echo },
            Change::SetDraft {
                conversation_id: conversation_id.to_owned(),
                text: String::new(),
            },
        ])
        .await?;
        self.inner.outbox_wake.notify_one();
        Ok(client_key)
    }

    pub async fn cancel_queued(&self, client_key: &str) -> Result<()> {
        self.write(vec![Change::CancelQueued {
            client_key: client_key.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    pub async fn edit_queued(&self, client_key: &str, text: &str) -> Result<()> {
        if text.trim().is_empty() {
            return Err(ClientError::Invalid("Type a message first.".into()));
        }
        self.write(vec![Change::EditQueued {
            client_key: client_key.to_owned(),
            text: text.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    /// Try a failed message again.
    pub async fn retry_queued(&self, client_key: &str) -> Result<()> {
        self.write(vec![Change::RecordAttempt {
            client_key: client_key.to_owned(),
            error: "retry requested".into(),
            next_attempt_at: self.inner.session.now_ms(),
            failed: false,
        }])
        .await?;
        self.inner.outbox_wake.notify_one();
        Ok(())
    }

    /// Mark a conversation read, locally at once and on the server when reachable.
    pub async fn mark_read(&self, conversation_id: &str) -> Result<()> {
        let unread = self
            .conversation(conversation_id)
            .await?
            .map(|c| c.unread)
            .unwrap_or(0);
        self.write(vec![Change::MarkConversationRead {
            conversation_id: conversation_id.to_owned(),
        }])
        .await?;
        if unread > 0 {
            if let Err(e) = self.inner.remote_read(conversation_id).await {
                tracing::info!(%conversation_id, "read receipt not sent now: {e}");
            }
        }
        Ok(())
    }

    /// Change a support conversation's status (resolve 2, reopen 0, spam 3, duplicate 4).
    pub async fn set_status(
        &self,
        conversation_id: &str,
        status: ConversationStatus,
    ) -> Result<()> {
        self.inner.remote_status(conversation_id, status).await?;
        self.write(vec![Change::SetConversationStatus {
            id: conversation_id.to_owned(),
            status,
        }])
        .await
        .map(|_| ())
    }

    /// Assign a conversation to an agent. Returns the platform's answer text.
    /// Assign the conversation to `assignee`; an empty `assignee` leaves it with nobody,
    /// where the platform allows that (`Platform::features().unassign`).
    pub async fn assign(&self, conversation_id: &str, assignee: &str) -> Result<String> {
        let assignee = assignee.trim();
        if assignee.is_empty() && !self.platform().features().unassign {
            return Err(ClientError::Invalid(
                "Choose an agent: conversations here always have one.".into(),
            ));
        }
        let answer = self.inner.remote_assign(conversation_id, assignee).await?;
        self.write(vec![Change::SetAssignee {
            id: conversation_id.to_owned(),
            assignee: Some(assignee.to_owned()).filter(|a| !a.is_empty()),
        }])
        .await?;
        Ok(answer)
    }

    /// Follow typing in a conversation (subscribes its typing topic, kept across reconnects).
    pub async fn watch_typing(&self, conversation_id: &str) {
        let Some(topic) = self.inner.typing_topic(conversation_id) else {
            return;
        };
        let Ok(km) = self.inner.km() else { return };
        let new = km
            .watched
            .lock()
            .map(|mut w| w.insert(conversation_id.to_owned()))
            .unwrap_or(false);
        if new {
            if let Some(c) = self.inner.mqtt_client() {
                let _ = c.subscribe(topic, QoS::AtMostOnce).await;
            }
        }
    }

    pub async fn unwatch_typing(&self, conversation_id: &str) {
        let Some(topic) = self.inner.typing_topic(conversation_id) else {
            return;
        };
        if let Ok(km) = self.inner.km() {
            if let Ok(mut w) = km.watched.lock() {
                w.remove(conversation_id);
            }
        }
        if let Some(c) = self.inner.mqtt_client() {
            let _ = c.unsubscribe(topic).await;
        }
    }

    /// Tell the conversation that the agent is (or stopped) typing.
    pub async fn send_typing(&self, conversation_id: &str, typing: bool) {
        let Some(topic) = self.inner.typing_topic(conversation_id) else {
            return;
        };
        let payload = topics::typing_payload(
            &self.inner.account.app_key,
            &self.inner.account.user_id,
            typing,
        );
        if let Some(c) = self.inner.mqtt_client() {
            let _ = c.publish(topic, QoS::AtMostOnce, false, payload).await;
        }
    }

    /// People a conversation can be assigned to, by name (Kommunicate's agents and admins;
    /// WapiKit's organisation members).
    pub async fn agents(&self) -> Result<Vec<Agent>> {
        let mut agents = self.inner.agents().await?;
        agents.sort_by_cached_key(|a| a.name.as_deref().unwrap_or(&a.user_id).to_lowercase());
        let mut seen = HashSet::new();
        agents.retain(|a| seen.insert(a.user_id.clone()));
        Ok(agents)
    }

    /// Agent availability: online (3) or away (2) on `status-v2`, and on the business API.
    pub async fn set_availability(&self, availability: Availability) -> Result<()> {
        let code = match availability {
            Availability::Online => 3,
            Availability::Away => 2,
            Availability::Offline => 0,
        };
        if let Some(c) = self.inner.mqtt_client() {
            let payload = topics::status_payload(
                &self.inner.session.user_key,
                self.inner.session.device_key().expose(),
                code,
            );
            let _ = c
                .publish(topics::STATUS, QoS::AtMostOnce, false, payload)
                .await;
        }
        if let Ok(rest) = self.inner.rest() {
            if let Err(e) = rest
                .set_availability(availability == Availability::Online)
                .await
            {
                tracing::info!("availability not saved on the server: {e}");
            }
        }
        Ok(())
    }

    /// Stop every task; publish offline first.
    ///
    /// The writer is aborted with the rest: a real-time write still queued is dropped, which
    /// loses nothing, as real-time messages never move the sync cursors kept in SQLite, so the
    /// next start's catch-up fetches them again. Awaited writes (syncs, sends) see "the client
    /// has stopped" and leave their cursor or outbox row as it was.
    pub async fn stop(&self) {
        let _ = self.inner.shutdown.send(true);
        if let Some(c) = self.inner.mqtt_client() {
            let payload = topics::status_payload(
                &self.inner.session.user_key,
                self.inner.session.device_key().expose(),
                0,
            );
            let _ = c
                .publish(topics::STATUS, QoS::AtMostOnce, false, payload)
                .await;
            let _ = c.disconnect().await;
        }
        let tasks: Vec<JoinHandle<()>> = self
            .tasks
            .lock()
            .map(|mut t| t.drain(..).collect())
            .unwrap_or_default();
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
    }

    /// Sign out: `device/logout`, stop, forget the secrets and this account's cache.
    pub async fn sign_out(&self, secrets: &dyn SecretStore) -> Result<()> {
        if let Ok(rest) = self.inner.rest() {
            if let Err(e) = rest.logout().await {
                tracing::warn!("device/logout failed (signing out locally anyway): {e}");
            }
        }
        self.stop().await;
        secrets.delete_all(&self.inner.account.id)?;
        self.inner
            .store
            .remove_account(&self.inner.account.id)
            .await?;
        Ok(())
    }
}

impl<S: Store> Inner<S> {
    /// `now_ms()`, but strictly increasing across calls.
    fn local_time(&self) -> Millis {
        let now = self.session.now_ms();
        let prev = self
            .last_local_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| Some(now.max(p + 1)))
            .unwrap_or(now);
        now.max(prev + 1)
    }

    fn me(&self) -> &str {
        &self.account.user_id
    }

    fn set_state(&self, s: ConnectionState) {
        let changed = self.state.send_if_modified(|cur| {
            if *cur == s {
                false
            } else {
                *cur = s.clone();
                true
            }
        });
        if changed {
            let _ = self.events.send(ClientEvent::Connection(s));
        }
    }

    fn request_sync(&self, messages: bool, groups: bool) {
        if messages {
            self.want_messages.store(true, Ordering::SeqCst);
        }
        if groups {
            self.want_groups.store(true, Ordering::SeqCst);
        }
        self.sync_wanted.notify_one();
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// True the first time a conversation's history is wanted this session (and again after
    /// [`Self::history_failed`]).
    fn history_wanted(&self, conversation_id: &str) -> bool {
        self.history_fetched
            .lock()
            .map(|mut f| f.insert(conversation_id.to_owned()))
            .unwrap_or(true)
    }

    fn history_failed(&self, conversation_id: &str) {
        if let Ok(mut f) = self.history_fetched.lock() {
            f.remove(conversation_id);
        }
    }

    // ---- the provider boundary: every platform-specific step goes through these ------------

    /// The Kommunicate half, or an `Unsupported` error naming the platform.
    pub(crate) fn km(&self) -> Result<&Kommunicate> {
        match &self.provider {
            Provider::Kommunicate(k) => Ok(k),
            Provider::WapiKit(_) => Err(ClientError::Unsupported(
                "WhatsApp (WapiKit) accounts do not offer this.".into(),
            )),
        }
    }

    pub(crate) fn rest(&self) -> Result<&Arc<RestClient>> {
        Ok(&self.km()?.rest)
    }

    /// The host of the real-time link (for messages and logs).
    fn host(&self) -> &str {
        match &self.provider {
            Provider::Kommunicate(k) => &k.broker.host,
            Provider::WapiKit(w) => &w.host,
        }
    }

    /// Plain text to another machine.
    fn link_is_insecure(&self) -> bool {
        match &self.provider {
            Provider::Kommunicate(k) => k.broker.insecure_remote,
            Provider::WapiKit(w) => w.insecure_remote,
        }
    }

    /// One real-time connection until it drops: `Ok(why it dropped)`, or `Err` when it cannot
    /// work again (credentials refused): the link then stays down with an error state.
    async fn connect_once(
        self: &Arc<Self>,
        backoff: &mut Backoff,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<kommunicate::LinkEnd> {
        match &self.provider {
            Provider::Kommunicate(km) => {
                // A fresh token for CONNECT (the broker checks it).
                match km.rest.refresh_token(false).await {
                    Err(e) if !e.is_transient() => Err(e),
                    _ => {
                        let end = kommunicate::run_connection(self, km, backoff, shutdown).await;
                        if let Ok(mut m) = km.mqtt.lock() {
                            *m = None;
                        }
                        Ok(end)
                    }
                }
            }
            Provider::WapiKit(_) => self
                .wk_connect_once(backoff, shutdown)
                .await
                .map(Into::into),
        }
    }

    /// Catch up from the cursors kept in the cache.
    async fn catch_up(&self, messages: bool, groups: bool) -> Result<()> {
        match &self.provider {
            Provider::Kommunicate(_) => self.km_catch_up(messages, groups).await,
            // One cursor covers everything.
            Provider::WapiKit(_) => self.wk_catch_up().await,
        }
    }

    /// Send one queued message exactly once: `(server key, server time)`.
    async fn deliver(&self, item: &OutboxItem) -> Result<(String, i64)> {
        match &self.provider {
            Provider::Kommunicate(km) => kommunicate::deliver(km, item).await,
            Provider::WapiKit(_) => self.wk_deliver(item).await,
        }
    }

    /// Older messages of a conversation into the cache. `Ok(false)`: nothing to fetch.
    async fn fetch_history(
        &self,
        conversation_id: &str,
        before: Option<Millis>,
        limit: u32,
    ) -> Result<bool> {
        match &self.provider {
            Provider::Kommunicate(_) => self.km_history(conversation_id, before, limit).await,
            Provider::WapiKit(_) => self.wk_history(conversation_id, before, limit).await,
        }
    }

    async fn remote_read(&self, conversation_id: &str) -> Result<()> {
        match &self.provider {
            Provider::Kommunicate(km) => match group_id_of(conversation_id) {
                Some(g) => km.rest.mark_group_read(g).await,
                None => Ok(()),
            },
            Provider::WapiKit(_) => self.wk_read(conversation_id).await,
        }
    }

    async fn remote_status(&self, conversation_id: &str, status: ConversationStatus) -> Result<()> {
        match &self.provider {
            Provider::Kommunicate(km) => {
                let g = group_id_of(conversation_id)
                    .ok_or_else(|| ClientError::Invalid("not a support conversation".into()))?;
                km.rest.change_status(g, status.code()).await.map(|_| ())
            }
            Provider::WapiKit(_) => self.wk_status(conversation_id, status).await,
        }
    }

    /// Returns the platform's answer text.
    async fn remote_assign(&self, conversation_id: &str, assignee: &str) -> Result<String> {
        match &self.provider {
            Provider::Kommunicate(km) => kommunicate::assign(km, conversation_id, assignee).await,
            Provider::WapiKit(_) => self.wk_assign(conversation_id, assignee).await,
        }
    }

    async fn agents(&self) -> Result<Vec<Agent>> {
        match &self.provider {
            Provider::Kommunicate(km) => kommunicate::agents(km).await,
            Provider::WapiKit(_) => self.wk_agents().await,
        }
    }

    /// A person not in the cache yet, from the server (None when unknown or unreachable).
    async fn fetch_contact(&self, user_id: &str) -> Option<Contact> {
        match &self.provider {
            Provider::Kommunicate(km) => {
                let users = km.rest.user_details(&[user_id.to_owned()]).await.ok()?;
                users.iter().find_map(Contact::from_detail)
            }
            Provider::WapiKit(_) => self.wk_fetch_contact(user_id).await,
        }
    }

    async fn write(
        &self,
        changes: Vec<Change>,
        notify: bool,
        assigned_to_me: Vec<String>,
    ) -> Result<Applied> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(WriteJob {
                changes,
                notify,
                assigned_to_me,
                done: Some(tx),
                sync_new_conversations: false,
            })
            .map_err(|_| ClientError::Invalid("the client has stopped".into()))?;
        rx.await
            .map_err(|_| ClientError::Invalid("the client has stopped".into()))?
            .map_err(ClientError::Store)
    }

    /// Queues changes without waiting for them (the real-time task): the writer takes what a
    /// burst of notifications queued in one transaction. A failed batch reaches the UI as a
    /// `StoreError` event and the log; new conversations ask for a group sync.
    fn submit(&self, changes: Vec<Change>) -> Result<()> {
        self.writer
            .send(WriteJob {
                changes,
                notify: true,
                assigned_to_me: Vec::new(),
                done: None,
                sync_new_conversations: true,
            })
            .map_err(|_| ClientError::Invalid("the client has stopped".into()))
    }

    /// Queues the agent's own changes without waiting for them: they reach the UI as a batch
    /// once written (a failure as a `StoreError` event and the log).
    fn queue(&self, changes: Vec<Change>) -> Result<()> {
        self.writer
            .send(WriteJob {
                changes,
                notify: false,
                assigned_to_me: Vec::new(),
                done: None,
                sync_new_conversations: false,
            })
            .map_err(|_| ClientError::Invalid("the client has stopped".into()))
    }

    /// A contact from the cache, or (a new customer) from the server, cached on the way.
    /// Called from the writer task, so it writes to the store directly, not via the writer.
    async fn contact_or_fetch(&self, user_id: &str) -> Option<Contact> {
        if let Ok(Some(c)) = self.store.contact(&self.account.id, user_id).await {
            return Some(c);
        }
        let contact = self.fetch_contact(user_id).await?;
        let _ = self
            .store
            .apply(
                &self.account.id,
                vec![Change::UpsertContact(contact.clone())],
            )
            .await;
        Some(contact)
    }

    async fn notifications_for(
        &self,
        applied: &Applied,
        assigned: &[String],
    ) -> Vec<NotificationIntent> {
        let mut by_conv: BTreeMap<&str, Vec<&Message>> = BTreeMap::new();
        for m in &applied.new_incoming {
            by_conv
                .entry(m.conversation_id.as_str())
                .or_default()
                .push(m);
        }
        for a in assigned {
            by_conv.entry(a.as_str()).or_default();
        }
        if by_conv.is_empty() {
            return Vec::new();
        }
        let mut convs = Vec::new();
        for id in by_conv.keys() {
            if let Ok(Some(c)) = self.store.conversation(&self.account.id, id).await {
                convs.push(c);
            }
        }
        let mut names = Vec::new();
        for c in &convs {
            let sender = by_conv
                .get(c.id.as_str())
                .and_then(|v| v.last())
                .map(|m| m.sender_id.clone())
                .or_else(|| c.customer_id.clone())
                .unwrap_or_else(|| c.title.clone());
            let name = match self.contact_or_fetch(&sender).await {
                Some(contact) => contact.name().to_owned(),
                None => {
                    if Some(&sender) == c.customer_id.as_ref() {
                        c.title.clone()
                    } else {
                        sender
                    }
                }
            };
            names.push(name);
        }
        let events: Vec<ConversationEvent<'_>> = convs
            .iter()
            .zip(names)
            .map(|(c, sender_name)| ConversationEvent {
                conversation: c,
                is_new: applied.new_conversations.contains(&c.id),
                newly_assigned_to_me: assigned.contains(&c.id),
                messages: by_conv.get(c.id.as_str()).cloned().unwrap_or_default(),
                sender_name,
            })
            .collect();
        let (settings, minute) = self
            .options
            .lock()
            .map(|o| (o.notifications.clone(), (o.local_minute_of_day)()))
            .unwrap_or_default();
        notify::decide(
            &self.account.id,
            self.me(),
            self.account.display_name.as_deref(),
            &settings,
            minute,
            self.session.now_ms(),
            &events,
        )
    }
}

/// The one writer: drains every queued job into one transaction.
///
/// The job channel is unbounded on purpose: the real-time task must never wait on SQLite
/// (MQTT keep-alives would lapse). What queues while a transaction runs is taken in the
/// next one, up to `WRITER_MAX_BATCH` changes, so the queue drains faster the longer it is.
async fn writer_loop<S: Store>(inner: Arc<Inner<S>>, mut rx: mpsc::UnboundedReceiver<WriteJob>) {
    const MAX_BATCH: usize = parley_core::store::WRITER_MAX_BATCH;
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].changes.len();
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.changes.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let notify_wanted = jobs.iter().any(|j| j.notify);
        // Conversations that real-time messages named: if one of them is new to the cache, a
        // group sync fetches it. New conversations of an awaited write (a sync) are not asked for.
        let mut sync_convs: HashSet<String> = HashSet::new();
        let mut changes = Vec::with_capacity(n);
        let mut assigned = Vec::new();
        let mut notify_convs: HashSet<String> = HashSet::new();
        let mut quiet_convs: HashSet<String> = HashSet::new();
        for j in &mut jobs {
            for c in &j.changes {
                if let Change::UpsertMessage(m) = c {
                    if j.sync_new_conversations {
                        sync_convs.insert(m.conversation_id.clone());
                    }
                    if j.notify {
                        notify_convs.insert(m.conversation_id.clone());
                    } else {
                        quiet_convs.insert(m.conversation_id.clone());
                    }
                }
            }
            changes.append(&mut j.changes);
            assigned.append(&mut j.assigned_to_me);
        }
        let result = inner.store.apply(&inner.account.id, changes).await;
        match &result {
            Ok(applied) => {
                if notify_wanted {
                    let mut for_notify = applied.clone();
                    for_notify.new_incoming.retain(|m| {
                        notify_convs.contains(&m.conversation_id)
                            || !quiet_convs.contains(&m.conversation_id)
                    });
                    for intent in inner.notifications_for(&for_notify, &assigned).await {
                        let _ = inner.events.send(ClientEvent::Notify(intent));
                    }
                }
                if applied
                    .new_conversations
                    .iter()
                    .any(|c| sync_convs.contains(c))
                {
                    inner.request_sync(false, true);
                }
                let _ = inner
                    .events
                    .send(ClientEvent::Changed(Arc::new(applied.clone())));
            }
            Err(e) => {
                tracing::error!("writing to the cache failed: {e}");
                let _ = inner.events.send(ClientEvent::StoreError(e.to_string()));
            }
        }
        for j in jobs {
            if let Some(done) = j.done {
                let _ = done.send(result.clone());
            }
        }
    }
}

/// Owns the MQTT connection.
async fn realtime_loop<S: Store>(inner: Arc<Inner<S>>) {
    let mut backoff = inner
        .options
        .lock()
        .map(|o| o.reconnect.clone())
        .unwrap_or_default();
    let mut shutdown = inner.shutdown.subscribe();
    let gate = inner
        .options
        .lock()
        .ok()
        .and_then(|o| o.network_gate.clone());
    if let Some(mut gate) = gate {
        // A dropped sender opens the gate too.
        tokio::select! {
            _ = gate.wait_for(|open| *open) => {}
            _ = shutdown.changed() => return,
        }
    }
    let mut renewed_retry_spent = false;
    loop {
        if inner.stopping() {
            return;
        }
        inner.set_state(ConnectionState::Connecting);
        let end = match inner.connect_once(&mut backoff, &mut shutdown).await {
            Ok(end) => end,
            Err(e) => {
                inner.set_state(ConnectionState::Error {
                    message: e.to_app_error().message,
                });
                tracing::error!("real-time stopped: {e}");
                return;
            }
        };
        if inner.link_up.swap(false, Ordering::SeqCst) {
            renewed_retry_spent = false;
        }
        if inner.stopping() {
            return;
        }
        let reason = end.reason;
        // Turned away and given a fresh token: one attempt at once, not after the backoff
        // (which has grown while the server was down); then the backoff again.
        let delay = if end.renewed && !renewed_retry_spent {
            renewed_retry_spent = true;
            Duration::ZERO
        } else {
            backoff.next_delay()
        };
        tracing::info!(?delay, "real-time link down ({reason}); reconnecting");
        inner.set_state(ConnectionState::Offline {
            retry_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            reason,
        });
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = inner.reconnect_now.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Catches up when asked, retrying with backoff while the server is unreachable.
async fn syncer_loop<S: Store>(inner: Arc<Inner<S>>) {
    let mut backoff = inner
        .options
        .lock()
        .map(|o| o.reconnect.clone())
        .unwrap_or_default();
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        tokio::select! {
            () = inner.sync_wanted.notified() => {}
            _ = shutdown.changed() => return,
        }
        loop {
            let messages = inner.want_messages.swap(false, Ordering::SeqCst);
            let groups = inner.want_groups.swap(false, Ordering::SeqCst);
            if !messages && !groups {
                break;
            }
            match inner.catch_up(messages, groups).await {
                Ok(()) => {
                    backoff.reset();
                    if let Err(e) = inner.store.maintain().await {
                        tracing::warn!("cache housekeeping failed: {e}");
                    }
                    if inner.link_up.load(Ordering::SeqCst)
                        && !inner.want_messages.load(Ordering::SeqCst)
                        && !inner.want_groups.load(Ordering::SeqCst)
                    {
                        inner.set_state(ConnectionState::Online);
                        inner.outbox_wake.notify_one();
                    }
                }
                Err(e) => {
                    if messages {
                        inner.want_messages.store(true, Ordering::SeqCst);
                    }
                    if groups {
                        inner.want_groups.store(true, Ordering::SeqCst);
                    }
                    if !e.is_transient() && !matches!(e, ClientError::BadResponse(_)) {
                        tracing::error!("catch-up failed: {e}");
                        if matches!(e, ClientError::Unauthorized(_)) {
                            inner.set_state(ConnectionState::Error {
                                message: e.to_app_error().message,
                            });
                            return;
                        }
                    }
                    let delay = backoff.next_delay();
                    tracing::info!(?delay, "catch-up failed ({e}); retrying");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    }
}

/// The send queue: in order, exactly once.
async fn sender_loop<S: Store>(inner: Arc<Inner<S>>) {
    let mut shutdown = inner.shutdown.subscribe();
    let mut state = inner.state.subscribe();
    let mut backoff = inner
        .options
        .lock()
        .map(|o| o.send_retry.clone())
        .unwrap_or_default();
    loop {
        if inner.stopping() {
            return;
        }
        let wait = match send_due(&inner, &mut backoff).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("send queue: {e}");
                Some(Duration::from_secs(5))
            }
        };
        let sleep = tokio::time::sleep(wait.unwrap_or(Duration::from_secs(3600)));
        tokio::select! {
            () = sleep => {}
            () = inner.outbox_wake.notified() => {}
            r = state.changed() => if r.is_err() { return },
            _ = shutdown.changed() => return,
        }
    }
}

/// Send what is due. Returns how long to wait before the next attempt (None: until woken).
async fn send_due<S: Store>(
    inner: &Arc<Inner<S>>,
    backoff: &mut Backoff,
) -> Result<Option<Duration>> {
    if !matches!(*inner.state.borrow(), ConnectionState::Online) {
        return Ok(None);
    }
    let items = inner.store.outbox(&inner.account.id).await?;
    for item in items {
        if item.failed {
            continue;
        }
        let now = inner.session.now_ms();
        if item.next_attempt_at > now {
            return Ok(Some(Duration::from_millis(
                u64::try_from(item.next_attempt_at - now).unwrap_or(1000),
            )));
        }
        if item.attempts == 0 {
            // Written before the first attempt: if the confirmation cannot be saved (a full
            // disk) or the app dies before it, the next attempt looks on the server first
            // instead of sending a second copy.
            inner
                .write(
                    vec![Change::RecordAttempt {
                        client_key: item.client_key.clone(),
                        error: "sending".into(),
                        next_attempt_at: now,
                        failed: false,
                    }],
                    false,
                    Vec::new(),
                )
                .await?;
        }
        match inner.deliver(&item).await {
            Ok((key, created_at)) => {
                backoff.reset();
                inner
                    .write(
                        vec![Change::ConfirmSent {
                            client_key: item.client_key.clone(),
                            server_key: key,
                            created_at,
                        }],
                        false,
                        Vec::new(),
                    )
                    .await?;
            }
            Err(e) if e.is_transient() && item.attempts + 1 < SEND_MAX_ATTEMPTS => {
                let delay = backoff.next_delay();
                tracing::info!(client_key = %item.client_key, ?delay, "send failed, will retry: {e}");
                inner
                    .write(
                        vec![Change::RecordAttempt {
                            client_key: item.client_key.clone(),
                            error: e.to_string(),
                            next_attempt_at: inner.session.now_ms()
                                + i64::try_from(delay.as_millis()).unwrap_or(1000),
                            failed: false,
                        }],
                        false,
                        Vec::new(),
                    )
                    .await?;
                // Keep the order: nothing after it goes first.
                return Ok(Some(delay));
            }
            Err(e) => {
                tracing::warn!(client_key = %item.client_key, "send failed for good: {e}");
                inner
                    .write(
                        vec![Change::RecordAttempt {
                            client_key: item.client_key.clone(),
                            error: e.to_app_error().message,
                            next_attempt_at: inner.session.now_ms(),
                            failed: true,
                        }],
                        false,
                        Vec::new(),
                    )
                    .await?;
            }
        }
    }
    Ok(None)
}

/// A wall-clock jump much larger than the time slept means the machine slept: reconnect and
/// catch up at once instead of waiting for keep-alive to notice.
async fn wake_detector<S: Store>(inner: Arc<Inner<S>>) {
    const TICK: Duration = Duration::from_secs(10);
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        let wall_before = SystemTime::now();
        let mono_before = Instant::now();
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return,
        }
        let wall = SystemTime::now()
            .duration_since(wall_before)
            .unwrap_or_default();
        let mono = mono_before.elapsed();
        if wall > mono + Duration::from_secs(30) {
            tracing::info!(
                ?wall,
                ?mono,
                "woke from sleep: reconnecting and catching up"
            );
            inner.reconnect_now.notify_one();
            inner.request_sync(true, true);
        }
    }
}
