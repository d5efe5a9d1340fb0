//! The local cache's interface. Every screen renders from a `Store`; the network only feeds
//! it `Change`s. Implementations: `MemoryStore` (here, for tests and as the reference
//! behaviour) and `SqliteStore` (crate parley-store). One test suite,
//! [`suite`](crate::store_suite), runs against both.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::model::{
    Contact, Conversation, ConversationStatus, DeliveryState, InboxSort, InboxView, Message, Millis,
};
use crate::server::{Endpoints, Platform};

/// An account signed in on this computer. Secrets are not here: they live in the keyring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// `<appKey>:<userId>`.
    pub id: String,
    pub app_key: String,
    pub user_id: String,
    pub display_name: Option<String>,
    /// The MQTT topic of this user (not secret: it is a routing key).
    pub user_key: String,
    pub endpoints: Endpoints,
    pub is_agent: bool,
    pub added_at: Millis,
    /// Kommunicate unless said otherwise (accounts saved before there was a choice).
    #[serde(default)]
    pub platform: Platform,
}

impl Account {
    pub fn make_id(app_key: &str, user_id: &str) -> String {
        format!("{app_key}:{user_id}")
    }
}

/// A message waiting in the persisted send queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    pub client_key: String,
    pub conversation_id: String,
    pub text: String,
    pub content_type: i64,
    pub metadata: crate::model::Metadata,
    /// JSON of the uploaded file's FileMeta, once uploaded.
    pub file_meta_json: Option<String>,
    pub created_at: Millis,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_error: Option<String>,
    /// Gave up (after too many attempts or a permanent error) until the agent retries.
    pub failed: bool,
}

/// One change to the cache. Changes are applied in batches, in one transaction each.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Insert or update a conversation. Activity, preview and unread count already in the
    /// cache are kept when they are newer than the incoming copy's.
    UpsertConversation(Conversation),
    RemoveConversation {
        id: String,
    },
    SetConversationStatus {
        id: String,
        status: ConversationStatus,
    },
    SetAssignee {
        id: String,
        assignee: Option<String>,
    },
    SetMuted {
        id: String,
        until: Option<Millis>,
    },
    /// Insert a message, or update the stored copy (matched by key, or by client key for a
    /// local echo). A new incoming message bumps the conversation's activity and unread count.
    UpsertMessage(Message),
    /// Upgrade the delivery state of a message (never downgrades).
    SetMessageState {
        key: String,
        state: DeliveryState,
    },
    /// Every outgoing message of a conversation reached `state` (e.g. the customer read it).
    SetConversationMessagesState {
        conversation_id: String,
        state: DeliveryState,
    },
    DeleteMessage {
        key: String,
    },
    MarkConversationRead {
        conversation_id: String,
    },
    UpsertContact(Contact),
    SetPresence {
        user_id: String,
        online: bool,
        last_seen_at: Option<Millis>,
    },
    SetCursor {
        name: String,
        value: i64,
    },
    /// Queue a message and show its local echo.
    Enqueue {
        item: OutboxItem,
        echo: Message,
    },
    /// The server accepted a queued message: its echo takes the server key.
    ConfirmSent {
        client_key: String,
        server_key: String,
        created_at: Millis,
    },
    /// A send attempt failed; try again at `next_attempt_at`, or mark it failed.
    RecordAttempt {
        client_key: String,
        error: String,
        next_attempt_at: Millis,
        failed: bool,
    },
    /// Remove a queued message and its echo.
    CancelQueued {
        client_key: String,
    },
    /// Edit the text of a queued message (and its echo).
    EditQueued {
        client_key: String,
        text: String,
    },
    SetDraft {
        conversation_id: String,
        text: String,
    },
    /// Insert or replace a canned response (matched by id).
    SaveCanned(CannedResponse),
    DeleteCanned {
        id: String,
    },
    /// Forget the cached conversations, messages, contacts and sync cursors (the next sync
    /// fetches them again). Kept: the send queue with its echoes, drafts
    /// and canned responses — nothing the agent wrote is lost.
    ClearCache,
}

/// A saved reply the agent inserts with "/shortcut". Variables such as `{{customer.name}}`
/// are filled in by the UI when inserted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CannedResponse {
    pub id: String,
    /// The word typed after "/" (letters, digits, `-`, `_`).
    pub shortcut: String,
    pub text: String,
    pub updated_at: Millis,
}

impl CannedResponse {
    pub const MAX_SHORTCUT: usize = 32;
    pub const MAX_TEXT: usize = 5000;

    /// The shortcut and text as stored: trimmed, shortcut without a leading "/", checked.
    pub fn check(shortcut: &str, text: &str) -> Result<(String, String), crate::AppError> {
        let shortcut = shortcut.trim().trim_start_matches('/').to_owned();
        let text = text.trim().to_owned();
        if shortcut.is_empty() {
            return Err(crate::AppError::invalid_field(
                "shortcut",
                "Give the response a shortcut word.",
            ));
        }
        if shortcut.chars().count() > Self::MAX_SHORTCUT
            || !shortcut
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(crate::AppError::invalid_field(
                "shortcut",
                "A shortcut is one word of letters, digits, - or _ (at most 32).",
            ));
        }
        if text.is_empty() {
            return Err(crate::AppError::invalid_field(
                "text",
                "The response is empty.",
            ));
        }
        if text.chars().count() > Self::MAX_TEXT {
            return Err(crate::AppError::invalid_field(
                "text",
                "A canned response is at most 5000 characters.",
            ));
        }
        Ok((shortcut, text))
    }
}

/// The most changes one writer transaction takes: the client's writer drains whatever is
/// queued up to this many (and the ingest benchmark batches the same way).
pub const WRITER_MAX_BATCH: usize = 5_000;

/// What a batch changed, for the services that push updates to the UI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Conversations whose row or counts changed.
    pub conversations: Vec<String>,
    /// Conversations that did not exist before this batch.
    pub new_conversations: Vec<String>,
    /// Messages inserted or updated, as now stored.
    pub messages: Vec<Message>,
    /// (conversation id, key) of messages removed.
    pub removed_messages: Vec<(String, String)>,
    /// Keys that changed: a queued echo (client key) → its server key.
    pub rekeyed: Vec<(String, String)>,
    /// New incoming messages (not seen before), for notifications.
    pub new_incoming: Vec<Message>,
    pub contacts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxQuery {
    pub view: InboxView,
    pub sort: InboxSort,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ViewCounts {
    pub assigned_to_me: i64,
    pub unassigned: i64,
    pub all: i64,
    pub closed: i64,
    pub spam: i64,
    /// Unread messages over open conversations.
    pub unread: i64,
}

impl ViewCounts {
    pub fn get(&self, view: InboxView) -> i64 {
        match view {
            InboxView::AssignedToMe => self.assigned_to_me,
            InboxView::Unassigned => self.unassigned,
            InboxView::All => self.all,
            InboxView::Closed => self.closed,
            InboxView::Spam => self.spam,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub message: Message,
    pub conversation_title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the disk is full: {0}")]
    DiskFull(String),
    #[error("the local database is damaged: {0}")]
    Corrupt(String),
    #[error("local database error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The cache. All methods scope to one account. Implementations must be safe to share
/// between tasks; writes are serialised by the implementation.
pub trait Store: Send + Sync + 'static {
    fn save_account(&self, account: &Account) -> impl Future<Output = StoreResult<()>> + Send;
    fn accounts(&self) -> impl Future<Output = StoreResult<Vec<Account>>> + Send;
    /// Forget an account and everything cached for it.
    fn remove_account(&self, account: &str) -> impl Future<Output = StoreResult<()>> + Send;

    fn apply(
        &self,
        account: &str,
        changes: Vec<Change>,
    ) -> impl Future<Output = StoreResult<Applied>> + Send;

    fn conversation(
        &self,
        account: &str,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<Conversation>>> + Send;
    fn inbox(
        &self,
        account: &str,
        query: InboxQuery,
    ) -> impl Future<Output = StoreResult<Vec<Conversation>>> + Send;
    fn counts(&self, account: &str) -> impl Future<Output = StoreResult<ViewCounts>> + Send;
    /// The unified inbox: one view over several accounts (each with its own "me"), in the
    /// query's order (ties: conversation id, then account, both descending), each row with its
    /// account id. Accounts the cache does not know add nothing.
    fn inbox_across(
        &self,
        accounts: &[String],
        query: InboxQuery,
    ) -> impl Future<Output = StoreResult<Vec<(String, Conversation)>>> + Send;

    /// The newest `limit` messages of a conversation created before `before` (all when
    /// `None`), oldest first.
    fn timeline(
        &self,
        account: &str,
        conversation_id: &str,
        before: Option<(Millis, String)>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Message>>> + Send;
    fn message(
        &self,
        account: &str,
        key: &str,
    ) -> impl Future<Output = StoreResult<Option<Message>>> + Send;

    /// Full-text search over message text, newest first.
    fn search(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<SearchHit>>> + Send;
    /// Contacts whose name, e-mail, phone or id matches.
    fn search_contacts(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Contact>>> + Send;
    fn contact(
        &self,
        account: &str,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Option<Contact>>> + Send;

    fn cursor(
        &self,
        account: &str,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;
    fn draft(
        &self,
        account: &str,
        conversation_id: &str,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    /// Queued messages in send order (the order they were queued), including failed ones.
    fn outbox(&self, account: &str) -> impl Future<Output = StoreResult<Vec<OutboxItem>>> + Send;

    /// Groups that are not support conversations (team groups, public/open/broadcast groups),
    /// by name.
    fn groups(&self, account: &str) -> impl Future<Output = StoreResult<Vec<Conversation>>> + Send;
    /// Support conversations whose customer is `user_id`, newest activity first.
    fn conversations_of_customer(
        &self,
        account: &str,
        user_id: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Conversation>>> + Send;
    /// Conversations of every kind whose title, customer id, customer name or e-mail holds
    /// every word of `terms` (ASCII case-insensitive; see [`find_words`]): titles starting
    /// with the whole query first, then newest activity. Empty terms: the newest `limit`.
    /// For the command palette ("go to any conversation").
    fn find_conversations(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Conversation>>> + Send;
    /// Canned responses by shortcut.
    fn canned_responses(
        &self,
        account: &str,
    ) -> impl Future<Output = StoreResult<Vec<CannedResponse>>> + Send;

    /// Housekeeping when the app is idle after a catch-up (e.g. merging the search index
    /// after many new messages). Cheap when there is nothing to do.
    fn maintain(&self) -> impl Future<Output = StoreResult<()>> + Send {
        async { Ok(()) }
    }
}

/// The search terms as FTS-style tokens: lowercase words of letters/digits. Shared by every
/// store so "what matches" is the same everywhere.
pub fn search_tokens(terms: &str) -> Vec<String> {
    words(terms).take(16).collect()
}

/// The words of a conversation lookup ([`Store::find_conversations`]): split on white space,
/// ASCII-lowercased (SQLite's `lower()` folds ASCII only; every store must agree), at most 8
/// words of at most 64 bytes.
pub fn find_words(terms: &str) -> Vec<String> {
    terms
        .split_whitespace()
        .take(8)
        .map(|w| {
            let mut end = w.len().min(64);
            while !w.is_char_boundary(end) {
                end -= 1;
            }
            w[..end].to_ascii_lowercase()
        })
        .collect()
}

/// The text [`Store::find_conversations`] looks in, as every store builds it.
pub fn find_haystack(c: &Conversation, customer: Option<&Contact>) -> String {
    let mut hay = format!("{} {}", c.title, c.customer_id.as_deref().unwrap_or(""));
    if let Some(p) = customer {
        hay.push(' ');
        hay.push_str(p.display_name.as_deref().unwrap_or(""));
        hay.push(' ');
        hay.push_str(p.email.as_deref().unwrap_or(""));
    }
    hay.to_ascii_lowercase()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

/// Does `text` match all tokens (each a prefix of some word in `text`)?
pub fn text_matches(text: &str, tokens: &[String]) -> bool {
    if tokens.is_empty() {
        return false;
    }
    let words: Vec<String> = words(text).collect();
    tokens
        .iter()
        .all(|t| words.iter().any(|w| w.starts_with(t.as_str())))
}
