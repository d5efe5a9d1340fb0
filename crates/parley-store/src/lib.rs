//! The SQLite [`Store`]: WAL, embedded migrations, FTS5 over messages and contacts, view
//! counts kept by triggers, and one writer (a batch of changes is one transaction).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use parley_core::memory_store::{counts_as_unread, placeholder_conversation};
use parley_core::model::{
    keys, Attachment, Contact, Conversation, ConversationStatus, DeliveryState, Direction,
    InboxSort, InboxView, Member, Message, Metadata, Millis, SUPPORT_GROUP,
};
use parley_core::store::{
    search_tokens, Account, Applied, CannedResponse, Change, InboxQuery, OutboxItem, SearchHit,
    Store, StoreError, StoreResult, ViewCounts,
};
use parley_core::Platform;

mod terms;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer at a time: SQLite allows one, and batching beats contention.
    writer: Mutex<()>,
    /// account id → its user id, for the "assigned to me" view flag.
    me: StdMutex<HashMap<String, String>>,
    /// For `open_temporary`: the directory is removed with the store.
    _temp: Option<tempfile::TempDir>,
}

/// Messages inserted since the search index was last merged (process-wide; `maintain`).
static INSERTED_SINCE_OPTIMIZE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// After this many new messages, `maintain` merges the search index into one segment
/// (~1 s at 1 M messages; common-word searches get ~1.5× faster).
const OPTIMIZE_AFTER: u64 = 20_000;

/// Message rowids are time-ordered: `created_at << 20 | seq`. The full-text index shares
/// them, so "newest matches first" is a backwards walk of the index that stops after a page,
/// instead of sorting every match (a common word at 1 M messages: seconds → milliseconds).
/// `seq` is a process-wide counter (seeded from the clock) that keeps rows of the same
/// millisecond apart; the rare clash with a row from another run is retried with the next one.
const SEQ_BITS: u32 = 20;
const SEQ_MASK: i64 = (1 << SEQ_BITS) - 1;
const MAX_ROWID_MS: i64 = (i64::MAX >> SEQ_BITS) - 1;

fn next_rowid(created_at: Millis) -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    static SEQ: AtomicI64 = AtomicI64::new(-1);
    let mut seq = SEQ.fetch_add(1, Ordering::Relaxed);
    if seq < 0 {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::from(d.subsec_nanos()) ^ i64::from(std::process::id()))
            .unwrap_or(0)
            & SEQ_MASK;
        // First use: start from the seed (racing first callers just take the next values).
        let _ = SEQ.compare_exchange(seq + 1, seed + 1, Ordering::Relaxed, Ordering::Relaxed);
        seq = seed;
    }
    (created_at.clamp(0, MAX_ROWID_MS) << SEQ_BITS) | (seq & SEQ_MASK)
}

/// An FTS5 match query as an SQL expression ([`SqliteStore::message_query`]): `sql` reads
/// its values as `?1`, `?2` … from `binds`, in order.
#[derive(Default)]
struct MatchQuery {
    sql: String,
    binds: Vec<String>,
}

impl MatchQuery {
    /// Adds a value; returns its parameter.
    fn bind(&mut self, value: String) -> String {
        self.binds.push(value);
        format!("?{}", self.binds.len())
    }
}

/// A connection inside a hand-managed transaction. If the batch never finishes (its task is
/// cancelled, e.g. the account signs out mid-write), the connection is closed instead of going
/// back to the pool still inside the transaction.
struct OpenTx {
    conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    finished: bool,
}

impl Drop for OpenTx {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.close_on_drop();
        }
    }
}

/// A clash of a chosen rowid with an existing row.
fn is_rowid_clash(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.message().contains("messages.rowid"))
}

/// A message key already stored (the unique index refused the row).
fn is_stored_key(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("messages.key"))
}

fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        // SQLite primary result codes: 13 FULL, 11 CORRUPT, 26 NOTADB.
        let code = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        match code {
            Some(13) => return StoreError::DiskFull(db.message().to_owned()),
            Some(11 | 26) => return StoreError::Corrupt(db.message().to_owned()),
            _ => {}
        }
        let msg = db.message();
        if msg.contains("database or disk is full") {
            return StoreError::DiskFull(msg.to_owned());
        }
    }
    if let sqlx::Error::Io(io) = &e {
        if io.raw_os_error() == Some(28) {
            return StoreError::DiskFull(io.to_string());
        }
    }
    StoreError::Other(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: serde::de::DeserializeOwned + Default>(s: Option<&str>) -> T {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

fn state_code(s: DeliveryState) -> i64 {
    match s {
        DeliveryState::Queued => 0,
        DeliveryState::Failed => 1,
        DeliveryState::Sent => 2,
        DeliveryState::Delivered => 3,
        DeliveryState::Read => 4,
    }
}

fn state_from(code: i64) -> DeliveryState {
    match code {
        0 => DeliveryState::Queued,
        1 => DeliveryState::Failed,
        2 => DeliveryState::Sent,
        3 => DeliveryState::Delivered,
        _ => DeliveryState::Read,
    }
}

/// The text the search index gets: an HTML message's text without its tags, any other's as it is.
fn search_text(m: &Message) -> String {
    if m.content_type == 3 {
        parley_core::model::strip_tags(&m.text)
    } else {
        m.text.clone()
    }
}

/// The `search_text` column: [`search_text`] for an HTML message, '' for any other, whose
/// `text` the index reads instead (migration 0009), so a message's text is stored once.
fn stored_search_text(m: &Message) -> String {
    if m.content_type == 3 {
        search_text(m)
    } else {
        String::new()
    }
}

/// The words `search_text(m)` gives the index, into the search vocabulary: ASCII text's
/// now, any other text into `odd` for [`terms::probe_distinct`].
fn collect_terms(m: &Message, out: &mut HashSet<String>, odd: &mut Vec<String>) {
    let text = if m.content_type == 3 {
        std::borrow::Cow::Owned(search_text(m))
    } else {
        std::borrow::Cow::Borrowed(m.text.as_str())
    };
    if !terms::collect_ascii(&text, out) {
        odd.push(text.into_owned());
    }
}

/// An FTS5 query matching every token as a word prefix. Tokens are quoted, so no user input
/// reaches FTS5's query syntax.
fn fts_query(terms: &str) -> Option<String> {
    let tokens = search_tokens(terms);
    if tokens.is_empty() {
        return None;
    }
    Some(
        tokens
            .iter()
            .map(|t| format!("\"{}\"*", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

struct ViewFlags {
    open: bool,
    mine: bool,
    unassigned: bool,
    closed: bool,
    spam: bool,
}

impl ViewFlags {
    fn of(c: &Conversation, me: &str) -> Self {
        let has = |v: InboxView| c.in_view(v, me);
        Self {
            open: has(InboxView::All),
            mine: has(InboxView::AssignedToMe),
            unassigned: has(InboxView::Unassigned),
            closed: has(InboxView::Closed),
            spam: has(InboxView::Spam),
        }
    }
}

const CONV_COLS: &str = "id, group_id, client_group_id, title, group_type, status, assignee, \
    customer_id, image_url, members, metadata, created_at, last_activity_at, preview, unread, \
    muted_until";
/// Runs of new messages at least this long are inserted with multi-row statements.
const BATCH_MIN: usize = 16;
/// Bound variables per statement (SQLite allows 32766; fewer keeps statements small).
const VARS_PER_STATEMENT: usize = 4_000;

const MSG_COLS: &str =
    "key, conversation_id, sender_id, created_at, text, content_type, metadata, \
    attachment, direction, state, client_key";
const CONTACT_COLS: &str =
    "user_id, display_name, email, phone, image_url, metadata, online, last_seen_at, role_type";

fn row_conv(r: &SqliteRow) -> Conversation {
    Conversation {
        id: r.get("id"),
        group_id: r.get("group_id"),
        client_group_id: r.get("client_group_id"),
        title: r.get("title"),
        group_type: r.get("group_type"),
        status: ConversationStatus::from_code(r.get("status")).unwrap_or(ConversationStatus::Open),
        assignee: r.get("assignee"),
        customer_id: r.get("customer_id"),
        image_url: r.get("image_url"),
        members: from_json::<Vec<Member>>(r.get::<Option<String>, _>("members").as_deref()),
        metadata: from_json::<Metadata>(r.get::<Option<String>, _>("metadata").as_deref()),
        created_at: r.get("created_at"),
        last_activity_at: r.get("last_activity_at"),
        last_message_preview: r.get("preview"),
        unread: r.get("unread"),
        muted_until: r.get("muted_until"),
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds a message's twelve stored columns, in `MSG_COLS` order plus `search_text`, with
/// `$bind` (`bind` on a query, `push_bind` on a multi-row VALUES list): the INSERT, the UPDATE
/// and the batched INSERT list them the same way.
macro_rules! bind_message_columns {
    ($q:expr, $bind:ident, $m:expr) => {{
        let m: &Message = $m;
        $q.$bind(&m.key)
            .$bind(&m.conversation_id)
            .$bind(&m.sender_id)
            .$bind(m.created_at)
            .$bind(&m.text)
            .$bind(m.content_type)
            .$bind(json(&m.metadata))
            .$bind(m.attachment.as_ref().map(json))
            .$bind(i64::from(m.direction == Direction::Outgoing))
            .$bind(state_code(m.state))
            .$bind(&m.client_key)
            .$bind(stored_search_text(m))
    }};
}

fn bind_message<'q>(q: SqliteQuery<'q>, m: &'q Message) -> SqliteQuery<'q> {
    bind_message_columns!(q, bind, m)
}

fn row_msg(r: &SqliteRow) -> Message {
    StoredMessage {
        key: r.get("key"),
        conversation_id: r.get("conversation_id"),
        sender_id: r.get("sender_id"),
        created_at: r.get("created_at"),
        text: r.get("text"),
        content_type: r.get("content_type"),
        metadata: r.get("metadata"),
        attachment: r.get("attachment"),
        direction: r.get("direction"),
        state: r.get("state"),
        client_key: r.get("client_key"),
    }
    .into_message()
}

/// A message's stored columns, in `MSG_COLS` order: read from a row, or from a JSON array
/// SQLite built (many messages in one row: see `search`).
#[derive(serde::Deserialize)]
struct StoredMessage {
    key: String,
    conversation_id: String,
    sender_id: String,
    created_at: Millis,
    text: String,
    content_type: i64,
    metadata: Option<String>,
    attachment: Option<String>,
    direction: i64,
    state: i64,
    client_key: Option<String>,
}

impl StoredMessage {
    fn into_message(self) -> Message {
        Message {
            key: self.key,
            conversation_id: self.conversation_id,
            sender_id: self.sender_id,
            created_at: self.created_at,
            text: self.text,
            content_type: self.content_type,
            metadata: from_json::<Metadata>(self.metadata.as_deref()),
            attachment: self
                .attachment
                .and_then(|s| serde_json::from_str::<Attachment>(&s).ok()),
            direction: if self.direction == 1 {
                Direction::Outgoing
            } else {
                Direction::Incoming
            },
            state: state_from(self.state),
            client_key: self.client_key,
        }
    }
}

fn row_contact(r: &SqliteRow) -> Contact {
    Contact {
        user_id: r.get("user_id"),
        display_name: r.get("display_name"),
        email: r.get("email"),
        phone: r.get("phone"),
        image_url: r.get("image_url"),
        metadata: from_json::<Metadata>(r.get::<Option<String>, _>("metadata").as_deref()),
        online: r.get::<i64, _>("online") != 0,
        last_seen_at: r.get("last_seen_at"),
        role_type: r.get("role_type"),
    }
}

fn row_outbox(r: &SqliteRow) -> OutboxItem {
    OutboxItem {
        client_key: r.get("client_key"),
        conversation_id: r.get("conversation_id"),
        text: r.get("text"),
        content_type: r.get("content_type"),
        metadata: from_json::<Metadata>(r.get::<Option<String>, _>("metadata").as_deref()),
        file_meta_json: r.get("file_meta_json"),
        created_at: r.get("created_at"),
        attempts: r.get("attempts"),
        next_attempt_at: r.get("next_attempt_at"),
        last_error: r.get("last_error"),
        failed: r.get::<i64, _>("failed") != 0,
    }
}

impl SqliteStore {
    /// Open (creating if needed) the cache at `path` and run the migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(e.to_string()))?;
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(map_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migrating the cache: {e}")))?;
        let store = Self {
            pool,
            writer: Mutex::new(()),
            me: StdMutex::new(HashMap::new()),
            _temp: None,
        };
        for a in store.accounts().await? {
            store.remember_me(&a.id, &a.user_id);
        }
        Ok(store)
    }

    /// A cache in a fresh temporary directory, deleted when the store is dropped (tests,
    /// benchmarks).
    pub async fn open_temporary() -> StoreResult<Self> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Other(e.to_string()))?;
        let mut store = Self::open(&dir.path().join("cache.sqlite")).await?;
        store._temp = Some(dir);
        Ok(store)
    }

    /// The FTS5 query for a message search: every token a word prefix, each named by the
    /// words of the vocabulary it stands for (`"deliv"` → `("delivered" OR "delivery")`), so
    /// FTS5 reads their rows lazily, newest first. A token with no word in the vocabulary, or
    /// more than [`terms::MAX_EXPANSION`], stays an FTS5 prefix (`"deliv"*`).
    ///
    /// The query is an SQL expression, not a string: the vocabulary is read by the search
    /// statement itself, so a search is one statement (one trip to SQLite's thread), not one
    /// per token and then the search.
    async fn message_query(&self, text: &str) -> StoreResult<Option<MatchQuery>> {
        let tokens = search_tokens(text);
        if tokens.is_empty() {
            return Ok(None);
        }
        // Each token as the index would cut it: ASCII here, any other by SQLite. A token
        // that is not exactly one word of the index stays an FTS5 prefix.
        let odd: Vec<&str> = tokens
            .iter()
            .filter(|t| !t.is_ascii())
            .map(String::as_str)
            .collect();
        let mut probed = if odd.is_empty() {
            Vec::new()
        } else {
            let mut conn = self.pool.acquire().await.map_err(map_err)?;
            terms::probe(&mut conn, &odd).await.map_err(map_err)?
        }
        .into_iter();
        let mut query = MatchQuery::default();
        for token in &tokens {
            let mut words = if token.is_ascii() {
                vec![token.to_ascii_lowercase()]
            } else {
                probed.next().unwrap_or_default()
            };
            let word = (words.len() == 1).then(|| words.remove(0));
            let prefix = if words.len() > 1 {
                // A token the index cuts in several words: all of them, the last as a prefix
                // (the index keeps no word positions, so there are no phrase queries).
                let last = words.len() - 1;
                let all: Vec<String> = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        format!(
                            "\"{}\"{}",
                            w.replace('"', ""),
                            if i == last { "*" } else { "" }
                        )
                    })
                    .collect();
                format!("({})", all.join(" AND "))
            } else {
                format!("\"{}\"*", token.replace('"', ""))
            };
            let part = match word {
                Some(word) => {
                    let (lo, hi) = terms::range(&word);
                    let [lo, hi, prefix] = [lo, hi, prefix].map(|v| query.bind(v));
                    // The words the token stands for, quoted as FTS5 strings; the prefix
                    // itself when there are none or too many.
                    format!(
                        "(SELECT CASE WHEN n BETWEEN 1 AND {max} THEN '(' || alternatives || ')' \
                         ELSE {prefix} END FROM (SELECT count(*) AS n, group_concat('\"' || \
                         replace(term, '\"', '\"\"') || '\"', ' OR ' ORDER BY term) AS \
                         alternatives FROM (SELECT term FROM search_terms WHERE term >= {lo} \
                         AND term < {hi} ORDER BY term LIMIT {limit})))",
                        max = terms::MAX_EXPANSION,
                        limit = terms::MAX_EXPANSION + 1,
                    )
                }
                None => query.bind(prefix),
            };
            if !query.sql.is_empty() {
                query.sql.push_str(" || ' AND ' || ");
            }
            query.sql.push_str(&part);
        }
        Ok(Some(query))
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn remember_me(&self, account: &str, user_id: &str) {
        if let Ok(mut me) = self.me.lock() {
            me.insert(account.to_owned(), user_id.to_owned());
        }
    }

    fn me(&self, account: &str) -> String {
        self.me
            .lock()
            .ok()
            .and_then(|m| m.get(account).cloned())
            .unwrap_or_default()
    }

    /// Checkpoint the WAL and release memory (on shutdown).
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

/// Rebuilds the search vocabulary from the index, once messages were deleted in bulk: a word
/// no message holds any more (an account's removed, a cache cleared) leaves it, so the
/// vocabulary neither keeps what the agent removed nor grows without end. (A message deleted
/// or edited one at a time leaves its words behind: they cost a row and match nothing.)
async fn rebuild_terms(conn: &mut SqliteConnection) -> StoreResult<()> {
    for sql in [
        "DELETE FROM search_terms",
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.messages_vocab \
         USING fts5vocab('main', 'messages_fts', 'row')",
        "INSERT OR IGNORE INTO search_terms (term) SELECT term FROM temp.messages_vocab",
    ] {
        sqlx::query(sql)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

/// The number the messages of `account` carry in `account_no` (migration 0010), given to it
/// on its first write. Inside the writer's transaction: a number handed out in a batch that is
/// rolled back is taken back with it.
async fn account_no(conn: &mut SqliteConnection, account: &str) -> StoreResult<i64> {
    let found: Option<i64> = sqlx::query_scalar("SELECT no FROM account_numbers WHERE account = ?")
        .bind(account)
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?;
    match found {
        Some(no) => Ok(no),
        None => sqlx::query_scalar("INSERT INTO account_numbers (account) VALUES (?) RETURNING no")
            .bind(account)
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err),
    }
}

/// `messages.account_no` of the account bound at `?{at}`, for the queries outside a write.
fn account_no_of(at: usize) -> String {
    format!("(SELECT no FROM account_numbers WHERE account = ?{at})")
}

/// The work of one `apply` batch inside its transaction.
struct Tx<'a> {
    conn: &'a mut SqliteConnection,
    account: &'a str,
    /// `account`'s number, which its messages carry (see [`account_no`]).
    account_no: i64,
    me: &'a str,
    applied: Applied,
    /// The words of the messages written in this transaction, for `search_terms`.
    terms: HashSet<String>,
    /// Their texts SQLite must cut ([`terms::probe_distinct`]) before `terms` is complete.
    odd_texts: Vec<String>,
}

impl Tx<'_> {
    /// Adds the words of the transaction's messages to the search vocabulary (one statement
    /// per statement-full; the known ones are ignored).
    async fn write_terms(&mut self) -> StoreResult<()> {
        let odd = std::mem::take(&mut self.odd_texts);
        let texts: Vec<&str> = odd.iter().map(String::as_str).collect();
        self.terms.extend(
            terms::probe_distinct(&mut *self.conn, &texts)
                .await
                .map_err(map_err)?,
        );
        let terms: Vec<String> = self.terms.drain().collect();
        for chunk in terms.chunks(VARS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new("INSERT OR IGNORE INTO search_terms (term) ");
            q.push_values(chunk, |mut b, t| {
                b.push_bind(t);
            });
            q.build().execute(&mut *self.conn).await.map_err(map_err)?;
        }
        Ok(())
    }

    async fn load_conv(&mut self, id: &str) -> StoreResult<Option<Conversation>> {
        let sql = format!("SELECT {CONV_COLS} FROM conversations WHERE account = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(self.account)
            .bind(id)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_conv))
    }

    /// Insert or replace every column of a conversation, with its view flags.
    async fn write_conv(&mut self, c: &Conversation) -> StoreResult<()> {
        let f = ViewFlags::of(c, self.me);
        sqlx::query(
            "INSERT INTO conversations (account, id, group_id, client_group_id, title, group_type,
                status, assignee, customer_id, image_url, members, metadata, created_at,
                last_activity_at, preview, unread, muted_until,
                v_open, v_mine, v_unassigned, v_closed, v_spam)
             VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
             ON CONFLICT (account, id) DO UPDATE SET
                group_id = excluded.group_id, client_group_id = excluded.client_group_id,
                title = excluded.title, group_type = excluded.group_type, status = excluded.status,
                assignee = excluded.assignee, customer_id = excluded.customer_id,
                image_url = excluded.image_url, members = excluded.members,
                metadata = excluded.metadata, created_at = excluded.created_at,
                last_activity_at = excluded.last_activity_at, preview = excluded.preview,
                unread = excluded.unread, muted_until = excluded.muted_until,
                v_open = excluded.v_open, v_mine = excluded.v_mine,
                v_unassigned = excluded.v_unassigned, v_closed = excluded.v_closed,
                v_spam = excluded.v_spam",
        )
        .bind(self.account)
        .bind(&c.id)
        .bind(c.group_id)
        .bind(&c.client_group_id)
        .bind(&c.title)
        .bind(c.group_type)
        .bind(c.status.code())
        .bind(&c.assignee)
        .bind(&c.customer_id)
        .bind(&c.image_url)
        .bind(json(&c.members))
        .bind(json(&c.metadata))
        .bind(c.created_at)
        .bind(c.last_activity_at)
        .bind(&c.last_message_preview)
        .bind(c.unread)
        .bind(c.muted_until)
        .bind(f.open)
        .bind(f.mine)
        .bind(f.unassigned)
        .bind(f.closed)
        .bind(f.spam)
        .execute(&mut *self.conn)
        .await
        .map_err(map_err)?;
        self.applied.conversations.push(c.id.clone());
        Ok(())
    }

    async fn load_msg(&mut self, key: &str) -> StoreResult<Option<Message>> {
        let sql = format!("SELECT {MSG_COLS} FROM messages WHERE account_no = ? AND key = ?");
        let row = sqlx::query(&sql)
            .bind(self.account_no)
            .bind(key)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_msg))
    }

    async fn load_msg_by_client_key(&mut self, ck: &str) -> StoreResult<Option<Message>> {
        let sql = format!(
            "SELECT {MSG_COLS} FROM messages WHERE account_no = ? AND client_key = ? LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(self.account_no)
            .bind(ck)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_msg))
    }

    async fn insert_msg(&mut self, m: &Message) -> StoreResult<()> {
        collect_terms(m, &mut self.terms, &mut self.odd_texts);
        let mut attempt = 0;
        loop {
            let q = sqlx::query(
                "INSERT INTO messages (key, conversation_id, sender_id, created_at, text,
                    content_type, metadata, attachment, direction, state, client_key,
                    search_text, account_no, rowid)
                 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            );
            match bind_message(q, m)
                .bind(self.account_no)
                .bind(next_rowid(m.created_at))
                .execute(&mut *self.conn)
                .await
            {
                Ok(_) => {
                    INSERTED_SINCE_OPTIMIZE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if is_rowid_clash(&e) && attempt < 8 => attempt += 1,
                Err(e) => return Err(map_err(e)),
            }
        }
    }

    /// Replace the stored message `old_key` with `m` (which may carry a new key).
    async fn replace_msg(&mut self, old_key: &str, m: &Message) -> StoreResult<()> {
        collect_terms(m, &mut self.terms, &mut self.odd_texts);
        let q = sqlx::query(
            "UPDATE messages SET key = ?, conversation_id = ?, sender_id = ?, created_at = ?,
                text = ?, content_type = ?, metadata = ?, attachment = ?, direction = ?,
                state = ?, client_key = ?, search_text = ?
             WHERE account_no = ? AND key = ?",
        );
        bind_message(q, m)
            .bind(self.account_no)
            .bind(old_key)
            .execute(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn write_msg_state(&mut self, key: &str, state: DeliveryState) -> StoreResult<()> {
        sqlx::query("UPDATE messages SET state = ? WHERE account_no = ? AND key = ?")
            .bind(state_code(state))
            .bind(self.account_no)
            .bind(key)
            .execute(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_msg(&mut self, key: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM messages WHERE account_no = ? AND key = ?")
            .bind(self.account_no)
            .bind(key)
            .execute(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn delete_outbox(&mut self, ck: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM outbox WHERE account = ? AND client_key = ?")
            .bind(self.account)
            .bind(ck)
            .execute(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn bump_conversation(&mut self, m: &Message, unread: bool) -> StoreResult<()> {
        let placeholder = placeholder_conversation(m);
        let exists = sqlx::query("SELECT 1 FROM conversations WHERE account = ? AND id = ?")
            .bind(self.account)
            .bind(&m.conversation_id)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?
            .is_some();
        if !exists {
            self.write_conv(&placeholder).await?;
            self.applied
                .new_conversations
                .push(m.conversation_id.clone());
        }
        let previewable = !matches!(m.content_type, 10 | 11);
        sqlx::query(
            "UPDATE conversations SET
                preview = CASE WHEN (?1 >= last_activity_at OR preview IS NULL) AND ?2
                               THEN ?3 ELSE preview END,
                last_activity_at = CASE WHEN ?1 >= last_activity_at OR preview IS NULL
                               THEN max(last_activity_at, ?1) ELSE last_activity_at END,
                unread = unread + ?4
             WHERE account = ?5 AND id = ?6",
        )
        .bind(m.created_at)
        .bind(previewable)
        .bind(m.preview())
        .bind(i64::from(unread))
        .bind(self.account)
        .bind(&m.conversation_id)
        .execute(&mut *self.conn)
        .await
        .map_err(map_err)?;
        self.applied.conversations.push(m.conversation_id.clone());
        Ok(())
    }

    /// Apply changes in order. A run of upserted messages is first tried as new rows through
    /// [`Self::insert_new_messages`] (multi-row statements); the unique index stops it at the
    /// first stored key, and from there the run goes one by one. Same result either way.
    async fn apply_all(&mut self, changes: Vec<Change>) -> StoreResult<()> {
        let mut run: Vec<Message> = Vec::new();
        for c in changes {
            match c {
                Change::UpsertMessage(m) => run.push(m),
                other => {
                    self.upsert_messages(std::mem::take(&mut run)).await?;
                    self.apply(other).await?;
                }
            }
        }
        self.upsert_messages(run).await
    }

    async fn upsert_messages(&mut self, run: Vec<Message>) -> StoreResult<()> {
        let run = if run.len() >= BATCH_MIN && self.may_all_be_new(&run).await? {
            // From the first statement-full that met a stored key on: one by one.
            self.insert_new_messages(run).await?
        } else {
            run
        };
        for m in run {
            self.upsert_message(m).await?;
        }
        Ok(())
    }

    /// False when a message of `run` repeats a key or client key of another, or carries the
    /// client key of a stored message (a local echo to confirm): then `run` goes one by one.
    /// Stored keys are not looked up here: the unique index finds them as the rows are
    /// inserted (see [`Self::insert_new_messages`]).
    async fn may_all_be_new(&mut self, run: &[Message]) -> StoreResult<bool> {
        let mut keys = HashSet::new();
        let mut client_keys = HashSet::new();
        for m in run {
            if !keys.insert(m.key.as_str()) {
                return Ok(false);
            }
            if let Some(ck) = &m.client_key {
                if !client_keys.insert(ck.as_str()) {
                    return Ok(false);
                }
            }
        }
        let client_keys: Vec<&str> = client_keys.into_iter().collect();
        for chunk in client_keys.chunks(VARS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new("SELECT 1 FROM messages WHERE account_no = ");
            q.push_bind(self.account_no).push(" AND client_key IN (");
            let mut sep = q.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            q.push(") LIMIT 1");
            let hit = q
                .build()
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(map_err)?;
            if hit.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// New messages in multi-row INSERTs, then one update per conversation with what the
    /// one-by-one path would have left: the same preview, activity time and unread count.
    ///
    /// A statement that meets a stored key (or a rowid clash) leaves nothing behind (SQLite
    /// undoes the failed statement, not the transaction): that statement-full and the rest are
    /// returned, for the one-by-one path, after the messages before them.
    async fn insert_new_messages(&mut self, mut run: Vec<Message>) -> StoreResult<Vec<Message>> {
        const COLS: usize = 14;
        const PER_STATEMENT: usize = VARS_PER_STATEMENT / COLS;
        let mut rest = Vec::new();
        for start in (0..run.len()).step_by(PER_STATEMENT) {
            let chunk = &run[start..(start + PER_STATEMENT).min(run.len())];
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO messages (key, conversation_id, sender_id, created_at, text,
                    content_type, metadata, attachment, direction, state, client_key,
                    search_text, account_no, rowid) ",
            );
            q.push_values(chunk, |mut b, m| {
                bind_message_columns!(b, push_bind, m)
                    .push_bind(self.account_no)
                    .push_bind(next_rowid(m.created_at));
            });
            match q.build().execute(&mut *self.conn).await {
                Ok(_) => {
                    INSERTED_SINCE_OPTIMIZE
                        .fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) if is_rowid_clash(&e) || is_stored_key(&e) => {
                    rest = run.split_off(start);
                    break;
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        for m in &run {
            collect_terms(m, &mut self.terms, &mut self.odd_texts);
        }

        // Each conversation, in the order first seen; placeholders for unknown ones.
        let mut order: Vec<&str> = Vec::new();
        let mut by_conv: HashMap<&str, Vec<&Message>> = HashMap::new();
        for m in &run {
            by_conv
                .entry(m.conversation_id.as_str())
                .or_insert_with(|| {
                    order.push(m.conversation_id.as_str());
                    Vec::new()
                })
                .push(m);
        }
        // The cached ones' activity time and whether they have a preview: one query, answered
        // as one JSON row (a row per conversation would cross sqlx's worker channel one by
        // one: most of this step's time in a batch touching thousands of conversations).
        let mut cached: HashMap<String, (i64, bool)> = HashMap::new();
        for chunk in order.chunks(VARS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT json_group_array(json_array(id, last_activity_at, preview IS NULL))
                 FROM conversations WHERE account = ",
            );
            q.push_bind(self.account).push(" AND id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            let found: String = q
                .build_query_scalar()
                .fetch_one(&mut *self.conn)
                .await
                .map_err(map_err)?;
            let found: Vec<(String, i64, i64)> = serde_json::from_str(&found)
                .map_err(|e| StoreError::Other(format!("reading conversations: {e}")))?;
            cached.extend(found.into_iter().map(|(id, at, no)| (id, (at, no != 0))));
        }
        // (id, set preview?, preview, activity, unread to add) per conversation.
        let mut updates: Vec<(&str, bool, Option<String>, i64, i64)> = Vec::new();
        for id in &order {
            let (mut last, mut no_preview) = match cached.get(*id) {
                Some(v) => *v,
                None => {
                    let placeholder = placeholder_conversation(by_conv[id][0]);
                    self.write_conv(&placeholder).await?;
                    self.applied.new_conversations.push((*id).to_owned());
                    (
                        placeholder.last_activity_at,
                        placeholder.last_message_preview.is_none(),
                    )
                }
            };
            // What `bump_conversation` does message by message.
            // (The preview line is made once, for the message that ends up giving it.)
            let mut previewed: Option<&Message> = None;
            let mut unread = 0_i64;
            for m in &by_conv[id] {
                let newer = m.created_at >= last || no_preview;
                if newer && !matches!(m.content_type, 10 | 11) {
                    previewed = Some(*m);
                    no_preview = false;
                }
                if newer {
                    last = last.max(m.created_at);
                }
                unread += i64::from(counts_as_unread(m));
            }
            let preview = previewed.map(Message::preview);
            updates.push((id, preview.is_some(), preview, last, unread));
            self.applied.conversations.push((*id).to_owned());
        }
        for chunk in updates.chunks(VARS_PER_STATEMENT / 5) {
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE conversations SET
                    preview = CASE WHEN v.column2 THEN v.column3 ELSE conversations.preview END,
                    last_activity_at = v.column4,
                    unread = conversations.unread + v.column5
                 FROM (",
            );
            q.push_values(chunk, |mut b, (id, set, preview, last, unread)| {
                b.push_bind(*id)
                    .push_bind(*set)
                    .push_bind(preview.as_deref())
                    .push_bind(*last)
                    .push_bind(*unread);
            });
            q.push(") AS v WHERE conversations.account = ")
                .push_bind(self.account)
                .push(" AND conversations.id = v.column1");
            q.build().execute(&mut *self.conn).await.map_err(map_err)?;
        }
        self.applied.new_incoming.extend(
            run.iter()
                .filter(|m| m.direction == Direction::Incoming)
                .cloned(),
        );
        self.applied.messages.extend(run);
        Ok(rest)
    }

    async fn upsert_message(&mut self, mut m: Message) -> StoreResult<()> {
        let existing = match self.load_msg(&m.key).await? {
            Some(e) => Some(e),
            None => match m.client_key.clone() {
                Some(ck) => self.load_msg_by_client_key(&ck).await?,
                None => None,
            },
        };
        if let Some(old) = existing {
            if old.key != m.key {
                self.applied.rekeyed.push((old.key.clone(), m.key.clone()));
                if let Some(ck) = &m.client_key {
                    self.delete_outbox(ck).await?;
                }
            }
            m.state = m.state.max(old.state);
            if m.client_key.is_none() {
                m.client_key = old.client_key.clone();
            }
            self.replace_msg(&old.key, &m).await?;
            self.bump_conversation(&m, false).await?;
        } else {
            self.insert_msg(&m).await?;
            self.bump_conversation(&m, counts_as_unread(&m)).await?;
            if m.direction == Direction::Incoming {
                self.applied.new_incoming.push(m.clone());
            }
        }
        self.applied.messages.push(m);
        Ok(())
    }

    async fn contact_write(&mut self, c: &Contact) -> StoreResult<()> {
        let search = format!(
            "{} {} {} {}",
            c.user_id,
            c.display_name.as_deref().unwrap_or(""),
            c.email.as_deref().unwrap_or(""),
            c.phone.as_deref().unwrap_or("")
        );
        sqlx::query(
            "INSERT INTO contacts (account, user_id, display_name, email, phone, image_url,
                metadata, online, last_seen_at, role_type, search_text)
             VALUES (?,?,?,?,?,?,?,?,?,?,?)
             ON CONFLICT (account, user_id) DO UPDATE SET
                display_name = excluded.display_name, email = excluded.email,
                phone = excluded.phone, image_url = excluded.image_url,
                metadata = excluded.metadata, online = excluded.online,
                last_seen_at = excluded.last_seen_at, role_type = excluded.role_type,
                search_text = excluded.search_text",
        )
        .bind(self.account)
        .bind(&c.user_id)
        .bind(&c.display_name)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(&c.image_url)
        .bind(json(&c.metadata))
        .bind(c.online)
        .bind(c.last_seen_at)
        .bind(c.role_type)
        .bind(search)
        .execute(&mut *self.conn)
        .await
        .map_err(map_err)?;
        self.applied.contacts.push(c.user_id.clone());
        Ok(())
    }

    async fn apply(&mut self, change: Change) -> StoreResult<()> {
        match change {
            Change::UpsertConversation(mut c) => {
                let old = self.load_conv(&c.id).await?;
                if old.is_none() {
                    self.applied.new_conversations.push(c.id.clone());
                }
                if let Some(old) = old {
                    if old.last_activity_at > c.last_activity_at {
                        c.last_activity_at = old.last_activity_at;
                        c.last_message_preview = old.last_message_preview;
                    } else if c.last_message_preview.is_none() {
                        c.last_message_preview = old.last_message_preview;
                    }
                    c.unread = old.unread;
                }
                self.write_conv(&c).await?;
            }
            Change::RemoveConversation { id } => {
                let keys: Vec<String> = sqlx::query_scalar(
                    "SELECT key FROM messages WHERE account_no = ? AND conversation_id = ?",
                )
                .bind(self.account_no)
                .bind(&id)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(map_err)?;
                sqlx::query("DELETE FROM messages WHERE account_no = ? AND conversation_id = ?")
                    .bind(self.account_no)
                    .bind(&id)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                for k in keys {
                    self.applied.removed_messages.push((id.clone(), k));
                }
                let r = sqlx::query("DELETE FROM conversations WHERE account = ? AND id = ?")
                    .bind(self.account)
                    .bind(&id)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                if r.rows_affected() > 0 {
                    self.applied.conversations.push(id);
                }
            }
            Change::SetConversationStatus { id, status } => {
                if let Some(mut c) = self.load_conv(&id).await? {
                    c.status = status;
                    c.metadata
                        .insert(keys::CONVERSATION_STATUS.into(), status.code().to_string());
                    self.write_conv(&c).await?;
                }
            }
            Change::SetAssignee { id, assignee } => {
                if let Some(mut c) = self.load_conv(&id).await? {
                    match &assignee {
                        Some(a) => c
                            .metadata
                            .insert(keys::CONVERSATION_ASSIGNEE.into(), a.clone()),
                        None => c.metadata.remove(keys::CONVERSATION_ASSIGNEE),
                    };
                    c.assignee = assignee;
                    self.write_conv(&c).await?;
                }
            }
            Change::SetMuted { id, until } => {
                if let Some(mut c) = self.load_conv(&id).await? {
                    c.muted_until = until;
                    self.write_conv(&c).await?;
                }
            }
            Change::UpsertMessage(m) => self.upsert_message(m).await?,
            Change::SetMessageState { key, state } => {
                if let Some(mut m) = self.load_msg(&key).await? {
                    if state > m.state {
                        m.state = state;
                        self.write_msg_state(&key, state).await?;
                        self.applied.messages.push(m);
                    }
                }
            }
            Change::SetConversationMessagesState {
                conversation_id,
                state,
            } => {
                let sql = format!(
                    "UPDATE messages SET state = ?1
                     WHERE account_no = ?2 AND conversation_id = ?3 AND direction = 1
                       AND state >= ?4 AND state < ?1
                     RETURNING {MSG_COLS}"
                );
                let rows = sqlx::query(&sql)
                    .bind(state_code(state))
                    .bind(self.account_no)
                    .bind(&conversation_id)
                    .bind(state_code(DeliveryState::Sent))
                    .fetch_all(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                self.applied.messages.extend(rows.iter().map(row_msg));
            }
            Change::DeleteMessage { key } => {
                if let Some(m) = self.load_msg(&key).await? {
                    self.delete_msg(&key).await?;
                    self.applied.conversations.push(m.conversation_id.clone());
                    self.applied.removed_messages.push((m.conversation_id, key));
                }
            }
            Change::MarkConversationRead { conversation_id } => {
                let r = sqlx::query(
                    "UPDATE conversations SET unread = 0
                     WHERE account = ? AND id = ? AND unread != 0",
                )
                .bind(self.account)
                .bind(&conversation_id)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
                if r.rows_affected() > 0 {
                    self.applied.conversations.push(conversation_id);
                }
            }
            Change::UpsertContact(c) => self.contact_write(&c).await?,
            Change::SetPresence {
                user_id,
                online,
                last_seen_at,
            } => {
                let sql = format!(
                    "SELECT {CONTACT_COLS} FROM contacts WHERE account = ? AND user_id = ?"
                );
                let existing = sqlx::query(&sql)
                    .bind(self.account)
                    .bind(&user_id)
                    .fetch_optional(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                let mut c = existing.as_ref().map(row_contact).unwrap_or(Contact {
                    user_id: user_id.clone(),
                    display_name: None,
                    email: None,
                    phone: None,
                    image_url: None,
                    metadata: Metadata::new(),
                    online: false,
                    last_seen_at: None,
                    role_type: 0,
                });
                c.online = online;
                if last_seen_at.is_some() {
                    c.last_seen_at = last_seen_at;
                }
                self.contact_write(&c).await?;
            }
            Change::SetCursor { name, value } => {
                sqlx::query(
                    "INSERT INTO cursors (account, name, value) VALUES (?,?,?)
                     ON CONFLICT (account, name) DO UPDATE SET value = excluded.value",
                )
                .bind(self.account)
                .bind(&name)
                .bind(value)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
            }
            Change::Enqueue { item, echo } => {
                // Plain INSERT (a client key is queued once): the rowid is the send order.
                sqlx::query(
                    "INSERT INTO outbox (account, client_key, conversation_id, text,
                        content_type, metadata, file_meta_json, created_at, attempts,
                        next_attempt_at, last_error, failed)
                     VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                )
                .bind(self.account)
                .bind(&item.client_key)
                .bind(&item.conversation_id)
                .bind(&item.text)
                .bind(item.content_type)
                .bind(json(&item.metadata))
                .bind(&item.file_meta_json)
                .bind(item.created_at)
                .bind(item.attempts)
                .bind(item.next_attempt_at)
                .bind(&item.last_error)
                .bind(item.failed)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
                self.upsert_message(echo).await?;
            }
            Change::ConfirmSent {
                client_key,
                server_key,
                created_at,
            } => {
                self.delete_outbox(&client_key).await?;
                if let Some(mut m) = self.load_msg_by_client_key(&client_key).await? {
                    let old_key = m.key.clone();
                    if old_key != server_key {
                        if let Some(server_copy) = self.load_msg(&server_key).await? {
                            m.state = m.state.max(server_copy.state);
                            self.delete_msg(&server_key).await?;
                        }
                        self.applied
                            .rekeyed
                            .push((old_key.clone(), server_key.clone()));
                    }
                    m.key = server_key;
                    m.state = m.state.max(DeliveryState::Sent);
                    if created_at > 0 {
                        m.created_at = created_at;
                    }
                    self.replace_msg(&old_key, &m).await?;
                    self.applied.messages.push(m);
                }
            }
            Change::RecordAttempt {
                client_key,
                error,
                next_attempt_at,
                failed,
            } => {
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                        failed = ? WHERE account = ? AND client_key = ?",
                )
                .bind(&error)
                .bind(next_attempt_at)
                .bind(failed)
                .bind(self.account)
                .bind(&client_key)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
                let state = if failed {
                    DeliveryState::Failed
                } else {
                    DeliveryState::Queued
                };
                if let Some(mut m) = self.load_msg(&client_key).await? {
                    if m.state != state {
                        m.state = state;
                        self.write_msg_state(&client_key, state).await?;
                        self.applied.messages.push(m);
                    }
                }
            }
            Change::CancelQueued { client_key } => {
                self.delete_outbox(&client_key).await?;
                if let Some(m) = self.load_msg(&client_key).await? {
                    self.delete_msg(&client_key).await?;
                    self.applied
                        .removed_messages
                        .push((m.conversation_id.clone(), client_key));
                    self.applied.conversations.push(m.conversation_id);
                }
            }
            Change::EditQueued { client_key, text } => {
                sqlx::query("UPDATE outbox SET text = ? WHERE account = ? AND client_key = ?")
                    .bind(&text)
                    .bind(self.account)
                    .bind(&client_key)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                if let Some(mut m) = self.load_msg(&client_key).await? {
                    m.text = text;
                    self.replace_msg(&client_key, &m).await?;
                    self.applied.messages.push(m);
                }
            }
            Change::SaveCanned(c) => {
                sqlx::query(
                    "INSERT INTO canned_responses (account, id, shortcut, text, updated_at)
                     VALUES (?,?,?,?,?)
                     ON CONFLICT (account, id) DO UPDATE SET shortcut = excluded.shortcut,
                        text = excluded.text, updated_at = excluded.updated_at",
                )
                .bind(self.account)
                .bind(&c.id)
                .bind(&c.shortcut)
                .bind(&c.text)
                .bind(c.updated_at)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
            }
            Change::DeleteCanned { id } => {
                sqlx::query("DELETE FROM canned_responses WHERE account = ? AND id = ?")
                    .bind(self.account)
                    .bind(&id)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
            }
            Change::ClearCache => {
                // Queued messages keep their echo and their conversation: nothing the agent
                // wrote is lost; the next sync brings the rest back.
                sqlx::query(
                    "DELETE FROM messages WHERE account_no = ?1 AND (client_key IS NULL OR
                        client_key NOT IN (SELECT client_key FROM outbox WHERE account = ?2))",
                )
                .bind(self.account_no)
                .bind(self.account)
                .execute(&mut *self.conn)
                .await
                .map_err(map_err)?;
                for sql in [
                    "DELETE FROM conversations WHERE account = ?1 AND
                        id NOT IN (SELECT conversation_id FROM outbox WHERE account = ?1)",
                    "DELETE FROM contacts WHERE account = ?1",
                    "DELETE FROM cursors WHERE account = ?1",
                ] {
                    sqlx::query(sql)
                        .bind(self.account)
                        .execute(&mut *self.conn)
                        .await
                        .map_err(map_err)?;
                }
                rebuild_terms(&mut *self.conn).await?;
                let kept: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM conversations WHERE account = ?")
                        .bind(self.account)
                        .fetch_all(&mut *self.conn)
                        .await
                        .map_err(map_err)?;
                self.applied.conversations.extend(kept);
            }
            Change::SetDraft {
                conversation_id,
                text,
            } => {
                if text.is_empty() {
                    sqlx::query("DELETE FROM drafts WHERE account = ? AND conversation_id = ?")
                        .bind(self.account)
                        .bind(&conversation_id)
                        .execute(&mut *self.conn)
                        .await
                        .map_err(map_err)?;
                } else {
                    sqlx::query(
                        "INSERT INTO drafts (account, conversation_id, text) VALUES (?,?,?)
                         ON CONFLICT (account, conversation_id) DO UPDATE SET text = excluded.text",
                    )
                    .bind(self.account)
                    .bind(&conversation_id)
                    .bind(&text)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(map_err)?;
                }
            }
        }
        Ok(())
    }
}

fn order_by(sort: InboxSort) -> &'static str {
    match sort {
        InboxSort::Newest => "last_activity_at DESC, id DESC",
        InboxSort::Oldest => "last_activity_at ASC, id DESC",
        InboxSort::UnreadFirst => "(unread = 0) ASC, last_activity_at DESC, id DESC",
    }
}

fn view_column(view: InboxView) -> &'static str {
    match view {
        InboxView::AssignedToMe => "v_mine",
        InboxView::Unassigned => "v_unassigned",
        InboxView::All => "v_open",
        InboxView::Closed => "v_closed",
        InboxView::Spam => "v_spam",
    }
}

impl Store for SqliteStore {
    async fn save_account(&self, a: &Account) -> StoreResult<()> {
        let _w = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO accounts (id, app_key, user_id, display_name, user_key, endpoints,
                is_agent, added_at, platform) VALUES (?,?,?,?,?,?,?,?,?)
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
                user_key = excluded.user_key, endpoints = excluded.endpoints,
                is_agent = excluded.is_agent, platform = excluded.platform",
        )
        .bind(&a.id)
        .bind(&a.app_key)
        .bind(&a.user_id)
        .bind(&a.display_name)
        .bind(&a.user_key)
        .bind(json(&a.endpoints))
        .bind(a.is_agent)
        .bind(a.added_at)
        .bind(a.platform.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        self.remember_me(&a.id, &a.user_id);
        Ok(())
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let rows = sqlx::query(
            "SELECT id, app_key, user_id, display_name, user_key, endpoints, is_agent, added_at,
                platform
             FROM accounts ORDER BY added_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let endpoints: String = r.get("endpoints");
                Ok(Account {
                    id: r.get("id"),
                    app_key: r.get("app_key"),
                    user_id: r.get("user_id"),
                    display_name: r.get("display_name"),
                    user_key: r.get("user_key"),
                    endpoints: serde_json::from_str(&endpoints)
                        .map_err(|e| StoreError::Corrupt(format!("account endpoints: {e}")))?,
                    is_agent: r.get::<i64, _>("is_agent") != 0,
                    added_at: r.get("added_at"),
                    platform: {
                        let p: String = r.get("platform");
                        Platform::parse(&p)
                            .ok_or_else(|| StoreError::Corrupt(format!("account platform {p:?}")))?
                    },
                })
            })
            .collect()
    }

    async fn remove_account(&self, account: &str) -> StoreResult<()> {
        let _w = self.writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(&format!(
            "DELETE FROM messages WHERE account_no = {}",
            account_no_of(1)
        ))
        .bind(account)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for table in [
            "account_numbers",
            "conversations",
            "contacts",
            "outbox",
            "cursors",
            "drafts",
            "view_counts",
            "canned_responses",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account = ?"))
                .bind(account)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(account)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        rebuild_terms(&mut tx).await?;
        tx.commit().await.map_err(map_err)?;
        if let Ok(mut me) = self.me.lock() {
            me.remove(account);
        }
        Ok(())
    }

    async fn apply(&self, account: &str, changes: Vec<Change>) -> StoreResult<Applied> {
        let me = self.me(account);
        let _w = self.writer.lock().await;
        // The transaction is managed by hand: when a statement or the COMMIT fails (a full
        // disk), sqlx's own bookkeeping could leave the pooled connection inside a
        // transaction, so later batches "succeeded" without ever being committed. Here a
        // failed batch is rolled back and its connection is closed, never reused.
        let mut guard = OpenTx {
            conn: self.pool.acquire().await.map_err(map_err)?,
            finished: false,
        };
        let conn = &mut guard.conn;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut **conn)
            .await
            .map_err(map_err)?;
        let account_no = match account_no(conn, account).await {
            Ok(no) => no,
            Err(e) => {
                // The connection is closed, not pooled (see `OpenTx`).
                let _ = sqlx::query("ROLLBACK").execute(&mut **conn).await;
                return Err(e);
            }
        };
        let mut t = Tx {
            conn,
            account,
            account_no,
            me: &me,
            applied: Applied::default(),
            terms: HashSet::new(),
            odd_texts: Vec::new(),
        };
        let mut result = t.apply_all(changes).await;
        if result.is_ok() {
            result = t.write_terms().await;
        }
        let result = match result {
            Ok(()) => sqlx::query("COMMIT")
                .execute(&mut *t.conn)
                .await
                .map(|_| ())
                .map_err(map_err),
            Err(e) => Err(e),
        };
        let mut applied = t.applied;
        if let Err(e) = result {
            let _ = sqlx::query("ROLLBACK").execute(&mut *guard.conn).await;
            guard.conn.close_on_drop();
            return Err(e);
        }
        guard.finished = true;
        applied.conversations.sort();
        applied.conversations.dedup();
        Ok(applied)
    }

    async fn conversation(&self, account: &str, id: &str) -> StoreResult<Option<Conversation>> {
        let sql = format!("SELECT {CONV_COLS} FROM conversations WHERE account = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(account)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_conv))
    }

    async fn inbox(&self, account: &str, q: InboxQuery) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONV_COLS} FROM conversations WHERE account = ? AND {} = 1
             ORDER BY {} LIMIT ? OFFSET ?",
            view_column(q.view),
            order_by(q.sort)
        );
        let rows = sqlx::query(&sql)
            .bind(account)
            .bind(i64::from(q.limit))
            .bind(i64::from(q.offset))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row_conv).collect())
    }

    async fn inbox_across(
        &self,
        accounts: &[String],
        q: InboxQuery,
    ) -> StoreResult<Vec<(String, Conversation)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; accounts.len()].join(",");
        let sql = format!(
            "SELECT account, {CONV_COLS} FROM conversations
             WHERE account IN ({marks}) AND {} = 1
             ORDER BY {}, account DESC LIMIT ? OFFSET ?",
            view_column(q.view),
            order_by(q.sort)
        );
        let mut query = sqlx::query(&sql);
        for a in accounts {
            query = query.bind(a);
        }
        let rows = query
            .bind(i64::from(q.limit))
            .bind(i64::from(q.offset))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<String, _>("account"), row_conv(r)))
            .collect())
    }

    async fn counts(&self, account: &str) -> StoreResult<ViewCounts> {
        let row = sqlx::query(
            "SELECT mine, unassigned, open, closed, spam, unread FROM view_counts WHERE account = ?",
        )
        .bind(account)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row
            .map(|r| ViewCounts {
                assigned_to_me: r.get("mine"),
                unassigned: r.get("unassigned"),
                all: r.get("open"),
                closed: r.get("closed"),
                spam: r.get("spam"),
                unread: r.get("unread"),
            })
            .unwrap_or_default())
    }

    async fn timeline(
        &self,
        account: &str,
        conversation_id: &str,
        before: Option<(Millis, String)>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let (t, k) = before.unwrap_or((i64::MAX, String::new()));
        let account_no = account_no_of(1);
        let sql = format!(
            "SELECT {MSG_COLS} FROM messages
             WHERE account_no = {account_no} AND conversation_id = ?2
               AND (created_at < ?3 OR (created_at = ?3 AND key < ?4) OR ?5 = 1)
             ORDER BY created_at DESC, key DESC LIMIT ?6"
        );
        let unbounded = i64::from(t == i64::MAX);
        let mut rows: Vec<Message> = sqlx::query(&sql)
            .bind(account)
            .bind(conversation_id)
            .bind(t)
            .bind(&k)
            .bind(unbounded)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(row_msg)
            .collect();
        rows.reverse();
        Ok(rows)
    }

    async fn message(&self, account: &str, key: &str) -> StoreResult<Option<Message>> {
        let sql = format!(
            "SELECT {MSG_COLS} FROM messages WHERE account_no = {} AND key = ?2",
            account_no_of(1)
        );
        let row = sqlx::query(&sql)
            .bind(account)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_msg))
    }

    async fn search(&self, account: &str, terms: &str, limit: u32) -> StoreResult<Vec<SearchHit>> {
        let Some(q) = self.message_query(terms).await? else {
            return Ok(Vec::new());
        };
        // Newest first without sorting every match: walk the index backwards (rowids are
        // time-ordered) a page at a time, keeping this account's rows, until `limit`.
        let want = usize::try_from(limit).unwrap_or(usize::MAX);
        let page = i64::from(limit.clamp(50, 1000));
        // The match expression's own parameters come first (?1 …), then the statement's three.
        let n = q.binds.len();
        let (below_at, page_at, account_at) = (n + 1, n + 2, n + 3);
        // A page is one row: the rowids walked (how many, the lowest) and this account's hits
        // among them as one JSON array, newest first, each `[[MSG_COLS…], title]`. Rows one
        // by one would each cross to SQLite's thread and back, which costs more than the
        // search itself when the term is rare.
        let sql = format!(
            "SELECT count(*), min(f.rowid),
                json_group_array(json_array(json_array(m.key, m.conversation_id, m.sender_id,
                    m.created_at, m.text, m.content_type, m.metadata, m.attachment,
                    m.direction, m.state, m.client_key), coalesce(c.title, ''))
                    ORDER BY f.rowid DESC) FILTER (WHERE m.key IS NOT NULL)
             FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ({})
                   AND rowid < ?{below_at} ORDER BY rowid DESC LIMIT ?{page_at}) AS f
             LEFT JOIN messages m ON m.rowid = f.rowid AND m.account_no = {account_no}
             LEFT JOIN conversations c ON c.account = ?{account_at} AND c.id = m.conversation_id",
            q.sql,
            account_no = account_no_of(account_at),
        );
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let mut below = i64::MAX;
        let mut hits: Vec<SearchHit> = Vec::new();
        loop {
            // One statement per page: the index walk, and this account's rows among what it
            // found (the walk goes on below the page's last rowid when others' rows filled it).
            let mut statement = sqlx::query_as::<_, (i64, Option<i64>, Option<String>)>(&sql);
            for value in &q.binds {
                statement = statement.bind(value);
            }
            let (walked, lowest, found) = statement
                .bind(below)
                .bind(page)
                .bind(account)
                .fetch_one(&mut *conn)
                .await
                .map_err(map_err)?;
            let Some(lowest) = lowest else {
                break;
            };
            let found: Vec<(StoredMessage, String)> =
                serde_json::from_str(found.as_deref().unwrap_or("[]"))
                    .map_err(|e| StoreError::Other(format!("reading search hits: {e}")))?;
            hits.extend(found.into_iter().map(|(m, title)| SearchHit {
                message: m.into_message(),
                conversation_title: title,
            }));
            below = lowest;
            if hits.len() >= want || walked < page {
                break;
            }
        }
        hits.truncate(want);
        let mut out = hits;
        // Within the page: the exact order every store uses.
        out.sort_by(|a, b| {
            b.message
                .created_at
                .cmp(&a.message.created_at)
                .then_with(|| b.message.key.cmp(&a.message.key))
        });
        Ok(out)
    }

    async fn search_contacts(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> StoreResult<Vec<Contact>> {
        let Some(q) = fts_query(terms) else {
            return Ok(Vec::new());
        };
        let sql = "SELECT c.user_id, c.display_name, c.email, c.phone, c.image_url, c.metadata,
                c.online, c.last_seen_at, c.role_type
             FROM contacts_fts f JOIN contacts c ON c.rowid = f.rowid
             WHERE contacts_fts MATCH ? AND c.account = ?
             ORDER BY lower(coalesce(c.display_name, c.user_id))
             LIMIT ?";
        let rows = sqlx::query(sql)
            .bind(q)
            .bind(account)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row_contact).collect())
    }

    async fn contact(&self, account: &str, user_id: &str) -> StoreResult<Option<Contact>> {
        let sql = format!("SELECT {CONTACT_COLS} FROM contacts WHERE account = ? AND user_id = ?");
        let row = sqlx::query(&sql)
            .bind(account)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.as_ref().map(row_contact))
    }

    async fn cursor(&self, account: &str, name: &str) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT value FROM cursors WHERE account = ? AND name = ?")
            .bind(account)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn draft(&self, account: &str, conversation_id: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT text FROM drafts WHERE account = ? AND conversation_id = ?")
            .bind(account)
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn outbox(&self, account: &str) -> StoreResult<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT client_key, conversation_id, text, content_type, metadata, file_meta_json,
                created_at, attempts, next_attempt_at, last_error, failed
             FROM outbox WHERE account = ? ORDER BY rowid",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_outbox).collect())
    }

    async fn groups(&self, account: &str) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONV_COLS} FROM conversations
             WHERE account = ? AND group_id IS NOT NULL AND group_type != ?
             ORDER BY lower(title), id"
        );
        let rows = sqlx::query(&sql)
            .bind(account)
            .bind(SUPPORT_GROUP)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row_conv).collect())
    }

    async fn find_conversations(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let words = parley_core::store::find_words(terms);
        let whole = words.join(" ");
        // The same text as `find_haystack`: title, customer id, and the customer's name and
        // e-mail when the contact is cached. lower() folds ASCII only, like find_words.
        let mut sql = format!(
            "SELECT {CONV_COLS} FROM (
                SELECT *, lower(title || ' ' || coalesce(customer_id, '') || coalesce(
                    (SELECT ' ' || coalesce(ct.display_name, '') || ' ' || coalesce(ct.email, '')
                     FROM contacts ct WHERE ct.account = c.account AND ct.user_id = c.customer_id),
                    '')) AS hay
                FROM conversations c WHERE account = ?
             ) WHERE 1"
        );
        for _ in &words {
            sql.push_str(" AND instr(hay, ?) > 0");
        }
        sql.push_str(
            " ORDER BY instr(lower(title), ?) = 1 DESC, last_activity_at DESC, id DESC LIMIT ?",
        );
        let mut q = sqlx::query(&sql).bind(account);
        for w in &words {
            q = q.bind(w.as_str());
        }
        let rows = q
            .bind(whole.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row_conv).collect())
    }

    async fn conversations_of_customer(
        &self,
        account: &str,
        user_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONV_COLS} FROM conversations
             WHERE account = ? AND customer_id = ? AND group_type = ?
             ORDER BY last_activity_at DESC, id DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(account)
            .bind(user_id)
            .bind(SUPPORT_GROUP)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row_conv).collect())
    }

    async fn canned_responses(&self, account: &str) -> StoreResult<Vec<CannedResponse>> {
        let rows = sqlx::query(
            "SELECT id, shortcut, text, updated_at FROM canned_responses WHERE account = ?
             ORDER BY shortcut, id",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| CannedResponse {
                id: r.get("id"),
                shortcut: r.get("shortcut"),
                text: r.get("text"),
                updated_at: r.get("updated_at"),
            })
            .collect())
    }

    async fn maintain(&self) -> StoreResult<()> {
        use std::sync::atomic::Ordering;
        if INSERTED_SINCE_OPTIMIZE.load(Ordering::Relaxed) < OPTIMIZE_AFTER {
            return Ok(());
        }
        let _w = self.writer.lock().await;
        INSERTED_SINCE_OPTIMIZE.store(0, Ordering::Relaxed);
        let t = std::time::Instant::now();
        sqlx::query("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        tracing::info!("search index merged in {:?}", t.elapsed());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_message_rowids_follow_time_and_stay_apart_within_a_millisecond() {
        let a = next_rowid(1_700_000_000_000);
        let b = next_rowid(1_700_000_000_000);
        let later = next_rowid(1_700_000_000_001);
        assert_ne!(a, b);
        assert_eq!(a >> SEQ_BITS, 1_700_000_000_000);
        assert!(later > a.max(b));
        assert_eq!(next_rowid(-5) >> SEQ_BITS, 0);
        assert_eq!(next_rowid(i64::MAX) >> SEQ_BITS, MAX_ROWID_MS);
    }

    /// A temporary cache with these accounts signed in.
    async fn store_with_accounts(ids: &[&str]) -> SqliteStore {
        let s = SqliteStore::open_temporary().await.unwrap();
        for id in ids {
            s.save_account(&parley_core::store_suite::account(id, "me"))
                .await
                .unwrap();
        }
        s
    }

    #[tokio::test]
    async fn test_a_rowid_clash_is_recognised_for_a_retry() {
        let s = SqliteStore::open_temporary().await.unwrap();
        let insert = |key: &'static str| {
            sqlx::query(
                "INSERT INTO messages (rowid, account_no, key, conversation_id, sender_id,
                    created_at, text, content_type, metadata, direction, state, search_text)
                 VALUES (42, 1, ?, 'g:1', 'u', 1, '', 0, '{}', 0, 0, '')",
            )
            .bind(key)
        };
        insert("k1").execute(s.pool()).await.unwrap();
        let e = insert("k2").execute(s.pool()).await.unwrap_err();
        assert!(is_rowid_clash(&e), "{e}");
        let other = sqlx::query(
            "INSERT INTO messages (rowid, account_no, key, conversation_id, sender_id,
                created_at, text, content_type, metadata, direction, state, search_text)
             VALUES (43, 1, 'k1', 'g:1', 'u', 1, '', 0, '{}', 0, 0, '')",
        )
        .execute(s.pool())
        .await
        .unwrap_err();
        assert!(
            !is_rowid_clash(&other),
            "a duplicate key is not a rowid clash"
        );
    }

    /// A cache as a Parley of migration `version` left it, at `path`.
    async fn cache_at_version(path: &Path, version: i64) -> SqlitePool {
        let old = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                MIGRATOR
                    .migrations
                    .iter()
                    .filter(|m| m.version <= version)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .unwrap()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new().connect_with(opts).await.unwrap();
        old.run(&pool).await.unwrap();
        pool
    }

    #[tokio::test]
    async fn test_an_older_cache_is_upgraded_renumbered_and_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let old = cache_at_version(&path, 3).await;
        // Rows as an older Parley wrote them: small sequential rowids, the text searched
        // (tags stripped for HTML) in `search_text`, the index reading it from there.
        for (rowid, at, content_type, text, search) in [
            (1, 300, 0, "refund late", "refund late"),
            (2, 100, 0, "refund early", "refund early"),
            (3, 200, 0, "other", "other"),
            (
                4,
                400,
                3,
                "<b class=\"bold\">refund</b> html",
                "refund html",
            ),
        ] {
            sqlx::query(
                "INSERT INTO messages (rowid, account, key, conversation_id, sender_id,
                    created_at, text, content_type, metadata, direction, state, search_text)
                 VALUES (?, 'a', ?, 'g:1', 'u', ?, ?, ?, '{}', 0, 0, ?)",
            )
            .bind(rowid)
            .bind(format!("k{rowid}"))
            .bind(at)
            .bind(text)
            .bind(content_type)
            .bind(search)
            .execute(&old)
            .await
            .unwrap();
        }
        // Another account's message under the same key (two agents of one app).
        sqlx::query(
            "INSERT INTO messages (rowid, account, key, conversation_id, sender_id,
                created_at, text, content_type, metadata, direction, state, search_text)
             VALUES (5, 'b', 'k1', 'g:1', 'u', 250, 'refund b', 0, '{}', 0, 0, 'refund b')",
        )
        .execute(&old)
        .await
        .unwrap();
        old.close().await;

        let s = SqliteStore::open(&path).await.unwrap();
        let rowids: Vec<(i64, String)> =
            sqlx::query_as("SELECT created_at, search_text FROM messages ORDER BY rowid")
                .fetch_all(s.pool())
                .await
                .unwrap();
        assert_eq!(
            rowids,
            [
                (100, String::new()),
                (200, String::new()),
                (250, String::new()),
                (300, String::new()),
                (400, "refund html".to_owned())
            ],
            "rowid order is time order; only HTML keeps a search text of its own"
        );
        let keys = |hits: Vec<SearchHit>| -> Vec<String> {
            hits.into_iter().map(|h| h.message.key).collect()
        };
        assert_eq!(
            keys(s.search("a", "refund", 10).await.unwrap()),
            ["k4", "k1", "k2"]
        );
        assert!(
            keys(s.search("a", "bold", 10).await.unwrap()).is_empty(),
            "markup is not searched"
        );
        // Each account's messages stay its own under their account numbers.
        assert_eq!(
            s.message("b", "k1").await.unwrap().unwrap().text,
            "refund b"
        );
        assert_eq!(
            s.message("a", "k1").await.unwrap().unwrap().text,
            "refund late"
        );
        assert_eq!(keys(s.search("b", "refund", 10).await.unwrap()), ["k1"]);
        assert_eq!(s.timeline("b", "g:1", None, 10).await.unwrap().len(), 1);
        // The upgraded index follows deletions and edits.
        s.apply("a", vec![Change::DeleteMessage { key: "k1".into() }])
            .await
            .unwrap();
        let mut edited = s.message("a", "k2").await.unwrap().unwrap();
        edited.text = "changed".into();
        s.apply("a", vec![Change::UpsertMessage(edited)])
            .await
            .unwrap();
        assert_eq!(keys(s.search("a", "refund", 10).await.unwrap()), ["k4"]);
        assert_eq!(keys(s.search("a", "chang", 10).await.unwrap()), ["k2"]);
    }

    #[tokio::test]
    async fn test_search_pages_past_other_accounts_matches() {
        let s = store_with_accounts(&["a", "b"]).await;
        // 300 newer matches in account b, 3 older ones in a.
        let msg = |acc: &str, i: i64| {
            let mut m =
                parley_core::store_suite::incoming(1, &format!("{acc}{i}"), i, "refund please");
            m.key = format!("{acc}-{i}");
            m
        };
        s.apply(
            "a",
            (0..3).map(|i| Change::UpsertMessage(msg("a", i))).collect(),
        )
        .await
        .unwrap();
        s.apply(
            "b",
            (100..400)
                .map(|i| Change::UpsertMessage(msg("b", i)))
                .collect(),
        )
        .await
        .unwrap();
        let hits = s.search("a", "refund", 10).await.unwrap();
        let keys: Vec<&str> = hits.iter().map(|h| h.message.key.as_str()).collect();
        assert_eq!(keys, ["a-2", "a-1", "a-0"]);
        let b = s.search("b", "refund", 5).await.unwrap();
        let keys: Vec<&str> = b.iter().map(|h| h.message.key.as_str()).collect();
        assert_eq!(keys, ["b-399", "b-398", "b-397", "b-396", "b-395"]);
    }

    #[tokio::test]
    async fn test_search_hit_is_the_message_as_stored() {
        let s = store_with_accounts(&["a"]).await;
        // Every column, and text that JSON must escape: quotes, backslashes, controls,
        // a NUL, non-BMP characters, markup.
        let mut m = parley_core::store_suite::incoming(
            1,
            "k1",
            1_700_000_000_000,
            "refund \"quoted\" \\back\\slash\n\ttab \u{0}nul 🙂 <b>&amp;</b> \u{2028}",
        );
        m.metadata.insert("KM_ASSIGN".into(), "{\"a\":[1]}".into());
        m.attachment = Some(Attachment {
            name: "r\"e\\f.pdf".into(),
            size: 12,
            content_type: "application/pdf".into(),
            blob_key: Some("blob".into()),
            url: None,
            thumbnail_url: Some("https://x/t.png".into()),
        });
        m.direction = Direction::Outgoing;
        m.state = DeliveryState::Read;
        m.client_key = Some("ck-1".into());
        s.apply("a", vec![Change::UpsertMessage(m.clone())])
            .await
            .unwrap();
        let hits = s.search("a", "refund", 10).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].message,
            s.message("a", "k1").await.unwrap().unwrap()
        );
        assert_eq!(hits[0].message.text, m.text);
        assert_eq!(hits[0].message.metadata, m.metadata);
        assert_eq!(hits[0].message.attachment, m.attachment);
        assert_eq!(hits[0].message.client_key, m.client_key);
        assert_eq!(hits[0].message.direction, Direction::Outgoing);
    }

    /// Texts whose words are cut or folded in doubtful ways.
    const TRICKY: &[&str] = &[
        "Where's my ORDER #123? it's LATE!!",
        "Café crème, naïve façade, Ångström, smørrebrød, Łódź",
        "ΟΔΟΣ Σίσυφος straße STRASSE İstanbul ıi",
        "日本語のテキスト 中文 한국어 ελληνικά",
        "e\u{301}cole deja\u{300} vu",
        "नमस्ते दुनिया हिन्दी",
        "ⓐⓑⓒ deliveryⓐx ①②③ x²y³ ½",
        "private \u{e000}use\u{e001} 🙂emoji🙂 zero\u{200b}width",
        "tab\tnew\nline—dash–en_under-score",
        "Tiếng Việt có dấu, العَرَبِيَّة, עִבְרִית, ภาษาไทย, ﬁnance ＦＵＬＬ",
        "Ǆemal ǅ ǆ Ⅻ ⅻ ß ẞ ꭰ Ꭰ 𝔘𝔫𝔦 𝟙𝟚 ᾼ ᾳ",
        "₽100 ₺ ₿ \u{2066}isolate\u{2069} great👍thanks🙂 x\u{301}y\u{305}z 🤔 👍🏽 ⏸pause",
    ];

    /// The words of the message index and of the search vocabulary, sorted.
    async fn index_and_vocabulary(s: &SqliteStore) -> (Vec<String>, Vec<String>) {
        let mut conn = s.pool().acquire().await.unwrap();
        sqlx::query(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.test_vocab \
             USING fts5vocab('main', 'messages_fts', 'row')",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        let indexed: Vec<String> = sqlx::query_scalar("SELECT term FROM temp.test_vocab")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let ours: Vec<String> = sqlx::query_scalar("SELECT term FROM search_terms ORDER BY term")
            .fetch_all(s.pool())
            .await
            .unwrap();
        let mut indexed = indexed;
        indexed.sort();
        (indexed, ours)
    }

    fn tricky_changes(prefix: &str) -> Vec<Change> {
        TRICKY
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut m = parley_core::store_suite::incoming(1, &format!("{prefix}{i}"), 1, t);
                if i % 3 == 0 {
                    // Rich text: the index holds its words without the markup.
                    m.content_type = 3;
                    m.text = format!("<p><b>{t}</b></p>");
                }
                Change::UpsertMessage(m)
            })
            .collect()
    }

    #[tokio::test]
    async fn test_search_vocabulary_is_exactly_the_words_the_index_has() {
        let s = store_with_accounts(&["a"]).await;
        // One batch (the batched path) and one message per batch (the real-time path).
        s.apply("a", tricky_changes("batch")).await.unwrap();
        for change in tricky_changes("one") {
            s.apply("a", vec![change]).await.unwrap();
        }
        let (indexed, ours) = index_and_vocabulary(&s).await;
        assert!(indexed.iter().any(|w| !w.is_ascii()));
        assert_eq!(ours, indexed);
    }

    #[tokio::test]
    async fn test_words_of_a_removed_account_leave_the_search_vocabulary() {
        let s = store_with_accounts(&["a", "b"]).await;
        let mut m = parley_core::store_suite::incoming(1, "a1", 1, "shared secretword");
        s.apply("a", vec![Change::UpsertMessage(m.clone())])
            .await
            .unwrap();
        m.key = "b1".into();
        m.text = "shared otherword".into();
        s.apply("b", vec![Change::UpsertMessage(m)]).await.unwrap();
        s.remove_account("a").await.unwrap();
        let (indexed, ours) = index_and_vocabulary(&s).await;
        assert_eq!(ours, ["otherword", "shared"]);
        assert_eq!(ours, indexed);
        s.apply("b", vec![Change::ClearCache]).await.unwrap();
        let (indexed, ours) = index_and_vocabulary(&s).await;
        assert!(ours.is_empty(), "{ours:?}");
        assert_eq!(ours, indexed);
    }

    #[tokio::test]
    async fn test_a_search_word_the_index_cuts_in_two_finds_the_message() {
        // U+19B0 is a letter to Rust (so one search token) and a mark in SQLite's older
        // Unicode tables, so a separator to the index (two words): the index keeps no positions, so
        // the token must not become a phrase query.
        let token = "ab\u{19b0}cd";
        let mut conn = <SqliteConnection as sqlx::Connection>::connect("sqlite::memory:")
            .await
            .unwrap();
        let words = terms::probe(&mut conn, &[token]).await.unwrap();
        assert_eq!(words, [["ab", "cd"]], "the premise of this test");
        let s = store_with_accounts(&["a"]).await;
        let m = parley_core::store_suite::incoming(1, "k1", 1, &format!("see {token} here"));
        let other = parley_core::store_suite::incoming(1, "k2", 2, "ab only");
        s.apply(
            "a",
            vec![Change::UpsertMessage(m), Change::UpsertMessage(other)],
        )
        .await
        .unwrap();
        for q in [token, "ab\u{19b0}c"] {
            let hits = s.search("a", q, 10).await.unwrap();
            let keys: Vec<&str> = hits.iter().map(|h| h.message.key.as_str()).collect();
            assert_eq!(keys, ["k1"], "searching {q:?}");
        }
    }

    #[tokio::test]
    async fn test_prefix_search_finds_what_the_fts5_prefix_query_finds() {
        let s = store_with_accounts(&["a"]).await;
        let mut texts: Vec<String> = TRICKY.iter().map(|t| (*t).to_owned()).collect();
        texts.extend(
            [
                "delivery late",
                "delivered today",
                "deliverance",
                "delight",
                "DELIVERY!",
            ]
            .map(String::from),
        );
        // More words under "x" than a prefix may name: FTS5's own prefix query answers.
        texts.extend((0..100).map(|i| format!("x{i:03} word")));
        let changes = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut m = parley_core::store_suite::incoming(1, &format!("k{i}"), i as i64, t);
                m.key = format!("k{i}");
                Change::UpsertMessage(m)
            })
            .collect();
        s.apply("a", changes).await.unwrap();
        for q in [
            "deliv",
            "del",
            "DELIVERY",
            "caf",
            "café",
            "CREME",
            "ecole",
            "strass",
            "οδο",
            "istanbul",
            "日本",
            "x",
            "x05",
            "it s",
            "zzz",
            "late deliv",
            "thanks",
            "great",
            "₽",
            "x\u{301}y",
            "ΟΔΟΣ",
            "🙂emoji",
            "isolate",
        ] {
            let ours: Vec<String> = s
                .search("a", q, 500)
                .await
                .unwrap()
                .into_iter()
                .map(|h| h.message.key)
                .collect();
            let Some(native_query) = fts_query(q) else {
                assert!(ours.is_empty(), "{q:?}");
                continue;
            };
            let native: Vec<String> = sqlx::query_scalar(
                "SELECT m.key FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
                 WHERE messages_fts MATCH ? ORDER BY m.created_at DESC, m.key DESC",
            )
            .bind(native_query)
            .fetch_all(s.pool())
            .await
            .unwrap();
            assert_eq!(ours, native, "{q:?}");
        }
        let query = |text| evaluated(&s, text);
        assert_eq!(
            query("deliv").await,
            "(\"deliverance\" OR \"delivered\" OR \"delivery\")"
        );
        assert_eq!(query("x").await, "\"x\"*");
        assert_eq!(query("zzz").await, "\"zzz\"*");
        assert_eq!(
            query("deliv zzz").await,
            "(\"deliverance\" OR \"delivered\" OR \"delivery\") AND \"zzz\"*"
        );
    }

    /// The FTS5 query a search runs for `text`, its SQL expression evaluated.
    async fn evaluated(s: &SqliteStore, text: &str) -> String {
        let q = s.message_query(text).await.unwrap().unwrap();
        let sql = format!("SELECT {}", q.sql);
        let mut statement = sqlx::query_scalar::<_, String>(&sql);
        for value in q.binds {
            statement = statement.bind(value);
        }
        statement.fetch_one(s.pool()).await.unwrap()
    }

    #[test]
    fn test_fts_query_quotes_every_token() {
        assert_eq!(
            fts_query("order arrived").as_deref(),
            Some("\"order\"* AND \"arrived\"*")
        );
        assert_eq!(
            fts_query("\"*) OR 1=1 --").as_deref(),
            Some("\"or\"* AND \"1\"* AND \"1\"*")
        );
        assert_eq!(fts_query("  "), None);
    }
}
