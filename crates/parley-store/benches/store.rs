//! Store benchmark: issue 7's in-process rows, each ratio measured side by side in one run.
//!
//! - **ingest**, two ways, each against a raw batched SQLite insert of the same rows (every
//!   stored column, full-text indexed, same batch size) into a bare table. MQTT envelopes
//!   (`APPLOZIC_01`/`_02`, as the server publishes them) are decoded on one task → domain
//!   messages → queued for a writer that drains up to [`WRITER_MAX_BATCH`] queued changes per
//!   transaction (as the client's writer does) → each batch's `Applied` broadcast to a listener
//!   (what the shell turns into UI batches); the clock stops when the listener has heard of
//!   every message.
//!   - *real time*, as the client's real-time task runs it: each notification's id checked
//!     against the recent ones (a repeat is dropped), its message queued without waiting;
//!   - *batched*: the same without the repeat check (the catch-up path has no notification
//!     ids to check; its pages reach the writer the same way).
//!
//!   Rounds alternate ours and raw on fresh databases; the medians are compared. Beside
//!   them, for information: the same rows into the cache's own `messages` table (its
//!   indexes and full-text trigger) with plain INSERTs, which leaves the pipeline's share.
//! - **search** at `PARLEY_BENCH_MESSAGES` cached messages (common term, rare term, two terms,
//!   prefix), p50/p95, against the bare FTS5 query (the newest 50 matching rowids) on the same
//!   database, in alternation.
//! - **inbox page** (each view) at `PARLEY_BENCH_CONVERSATIONS` conversations, p95; **open a
//!   conversation** (its last 50 messages), p95; cache size per 100 k messages.
//!
//! `cargo bench -p parley-store` (1 M messages in 100 k conversations, ~3 min);
//! `PARLEY_BENCH_SMOKE=1` for a tiny run that only proves the bench works;
//! `PARLEY_BENCH_JSON=<file>` also writes one JSON object per metric (read by
//! `cargo xtask bench`).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_core::model::{
    Conversation, ConversationStatus, DeliveryState, Direction, InboxSort, InboxView, Message,
    Metadata,
};
use parley_core::realtime::{decode_envelope, Event, RecentIds};
use parley_core::store::{Applied, Change, InboxQuery, Store, WRITER_MAX_BATCH};
use parley_store::SqliteStore;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

const ACCOUNT: &str = "bench:agent@x";
const ME: &str = "agent@x";

const WORDS: &[&str] = &[
    "order", "refund", "shipping", "parcel", "invoice", "password", "login", "account", "delivery",
    "tracking", "cancel", "upgrade", "billing", "error", "payment", "address", "discount",
    "coupon", "warranty", "return", "damaged", "missing", "late", "thanks",
];

fn text(i: u64) -> String {
    let mut x = i.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut words = Vec::new();
    for _ in 0..12 {
        x ^= x >> 13;
        x = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        words.push(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    if i % 1000 == 0 {
        words.push("zanzibar");
    }
    // One message in ten is not plain ASCII (an accent, an emoji): SQLite cuts its words for
    // the search vocabulary, which costs more than cutting ASCII.
    if i % 10 == 3 {
        words.push("merci, ça marche 🙂");
    }
    words.join(" ")
}

/// Message `i` of the cache: every tenth goes to one of 50 long threads (the "open a
/// conversation" sample), the others round-robin over every conversation.
fn conversation_of(i: u64, convs: u64) -> u64 {
    if i % 10 == 0 {
        (i / 10) % convs.min(50)
    } else {
        i % convs
    }
}

fn message(i: u64, convs: u64) -> Message {
    let conv = conversation_of(i, convs);
    Message {
        key: format!("5-{conv}-{i}"),
        conversation_id: format!("g:{conv}"),
        sender_id: if i % 3 == 0 {
            ME.to_owned()
        } else {
            format!("customer-{conv}")
        },
        created_at: 1_700_000_000_000 + i as i64 * 1000,
        text: text(i),
        content_type: 0,
        metadata: Metadata::new(),
        attachment: None,
        direction: if i % 3 == 0 {
            Direction::Outgoing
        } else {
            Direction::Incoming
        },
        state: DeliveryState::Delivered,
        client_key: None,
    }
}

/// The notification the server publishes for message `i` (received, or sent from another of
/// the agent's devices), as bytes on the wire.
fn envelope(i: u64, convs: u64) -> Vec<u8> {
    let conv = conversation_of(i, convs);
    let outgoing = i % 3 == 0;
    let msg = json!({
        "key": format!("5-{conv}-{i}"),
        "groupId": conv,
        "contactIds": if outgoing { "customer".to_owned() } else { format!("customer-{conv}") },
        "message": text(i),
        "contentType": 0,
        "type": if outgoing { 5 } else { 4 },
        "status": 3,
        "source": 1,
        "createdAtTime": 1_700_000_000_000 + i as i64 * 1000,
        "metadata": {},
    });
    serde_json::to_vec(&json!({
        "id": format!("env-{i}"),
        "type": if outgoing { "APPLOZIC_02" } else { "APPLOZIC_01" },
        "message": msg,
        "notifyUser": !outgoing,
    }))
    .expect("an envelope serialises")
}

fn conversations(convs: u64) -> Vec<Change> {
    (0..convs)
        .map(|c| {
            let status = match c % 10 {
                0 => ConversationStatus::Resolved,
                1 => ConversationStatus::Spam,
                _ => ConversationStatus::Open,
            };
            let assignee = match c % 3 {
                0 => Some(ME.to_owned()),
                1 => None,
                _ => Some("other@x".to_owned()),
            };
            Change::UpsertConversation(Conversation {
                assignee,
                ..parley_core::store_suite::conversation(c as i64, status, None, 1)
            })
        })
        .collect()
}

async fn store_with_conversations(convs: u64) -> SqliteStore {
    let store = SqliteStore::open_temporary().await.expect("a cache");
    store
        .save_account(&parley_core::store_suite::account(ACCOUNT, ME))
        .await
        .expect("an account");
    let mut all = conversations(convs);
    while !all.is_empty() {
        let rest = all.split_off(all.len().min(WRITER_MAX_BATCH));
        store
            .apply(ACCOUNT, std::mem::replace(&mut all, rest))
            .await
            .expect("conversations stored");
    }
    store
}

/// Envelopes decoded on one task, stored by a writer draining up to `WRITER_MAX_BATCH`
/// changes per transaction, each batch broadcast; done when the listener heard every message.
/// `guarded`: each notification's id checked against the recent ones first (the real-time
/// task's shape).
/// Returns messages per second.
async fn ingest(store: Arc<SqliteStore>, payloads: Arc<Vec<Vec<u8>>>, guarded: bool) -> f64 {
    let n = payloads.len();
    let (events, mut heard) = broadcast::channel::<Arc<Applied>>(1024);
    let listener = tokio::spawn(async move {
        let mut seen = 0;
        while seen < n {
            match heard.recv().await {
                Ok(applied) => seen += applied.messages.len(),
                Err(e) => panic!("the listener lost batches: {e}"),
            }
        }
    });
    let t = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel::<Change>();
    let decoder = tokio::spawn(async move {
        let mut recent = RecentIds::default();
        for p in payloads.iter() {
            let env = decode_envelope(p).expect("a well-formed envelope");
            let m = match env.event {
                Event::MessageReceived(w) | Event::MessageSent(w) => {
                    Message::from_wire(&w, ME).expect("a storable message")
                }
                other => panic!("unexpected event {other:?}"),
            };
            if guarded {
                let id = env.id.as_deref().expect("envelopes carry an id");
                assert!(recent.first_sighting(id), "every envelope is new");
            }
            let change = Change::UpsertMessage(m);
            tx.send(change).expect("the writer listens");
        }
    });
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < WRITER_MAX_BATCH {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let applied = store.apply(ACCOUNT, batch).await.expect("a batch stored");
        events
            .send(Arc::new(applied))
            .expect("the listener listens");
    }
    decoder.await.expect("the decoder finished");
    listener.await.expect("the listener finished");
    n as f64 / t.elapsed().as_secs_f64()
}

/// The same rows, raw: every stored column into a bare table with a full-text index, one
/// multi-row INSERT per statement-full, one transaction per writer batch. Rows per second.
async fn raw_insert(rows: &[Message]) -> f64 {
    let raw = SqliteStore::open_temporary().await.expect("a database");
    sqlx::raw_sql(
        "CREATE TABLE raw (account TEXT, key TEXT PRIMARY KEY, conversation_id TEXT,
            sender_id TEXT, created_at INTEGER, text TEXT, content_type INTEGER, metadata TEXT,
            attachment TEXT, direction INTEGER, state INTEGER, client_key TEXT);
         CREATE VIRTUAL TABLE raw_fts USING fts5(text, content='raw', content_rowid='rowid');
         CREATE TRIGGER raw_ai AFTER INSERT ON raw BEGIN
            INSERT INTO raw_fts(rowid, text) VALUES (new.rowid, new.text);
         END;",
    )
    .execute(raw.pool())
    .await
    .expect("the raw table");
    const COLS: usize = 12;
    let t = Instant::now();
    for batch in rows.chunks(WRITER_MAX_BATCH) {
        let mut tx = raw.pool().begin().await.expect("a transaction");
        for chunk in batch.chunks(4_000 / COLS) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO raw (account, key, conversation_id, sender_id, created_at, text,
                    content_type, metadata, attachment, direction, state, client_key) ",
            );
            qb.push_values(chunk, |mut b, m| stored_columns(&mut b, m));
            qb.build().execute(&mut *tx).await.expect("rows inserted");
        }
        tx.commit().await.expect("committed");
    }
    rows.len() as f64 / t.elapsed().as_secs_f64()
}

/// The same rows into the cache's own `messages` table (its indexes and full-text trigger),
/// plain multi-row INSERTs, one transaction per writer batch: what is left of our time
/// beside it is the pipeline (decoding, repeats, conversation bookkeeping, the broadcast).
/// Rows per second.
async fn raw_insert_same_table(rows: &[Message]) -> f64 {
    let raw = SqliteStore::open_temporary().await.expect("a database");
    // The account's number, as the cache gives it on the first write.
    let account_no: i64 =
        sqlx::query_scalar("INSERT INTO account_numbers (account) VALUES (?) RETURNING no")
            .bind(ACCOUNT)
            .fetch_one(raw.pool())
            .await
            .expect("an account number");
    const COLS: usize = 14;
    let t = Instant::now();
    for (b, batch) in rows.chunks(WRITER_MAX_BATCH).enumerate() {
        let mut tx = raw.pool().begin().await.expect("a transaction");
        for (c, chunk) in batch.chunks(4_000 / COLS).enumerate() {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO messages (account_no, key, conversation_id, sender_id, created_at,
                    text, content_type, metadata, attachment, direction, state, client_key,
                    search_text, rowid) ",
            );
            let mut n = (b * WRITER_MAX_BATCH + c * (4_000 / COLS)) as i64;
            qb.push_values(chunk, |mut q, m| {
                q.push_bind(account_no);
                stored_columns_but_account(&mut q, m);
                // search_text: '' for a message that is not HTML (the index reads `text`).
                q.push_bind("")
                    .push_bind((m.created_at << 20) | (n & 0xf_ffff));
                n += 1;
            });
            qb.build().execute(&mut *tx).await.expect("rows inserted");
        }
        tx.commit().await.expect("committed");
    }
    rows.len() as f64 / t.elapsed().as_secs_f64()
}

/// The stored columns both raw inserts write, in their column order (account … client_key).
fn stored_columns<'q>(
    b: &mut sqlx::query_builder::Separated<'_, 'q, sqlx::Sqlite, &'static str>,
    m: &'q Message,
) {
    b.push_bind(ACCOUNT);
    stored_columns_but_account(b, m);
}

/// The stored columns after the account's.
fn stored_columns_but_account<'q>(
    b: &mut sqlx::query_builder::Separated<'_, 'q, sqlx::Sqlite, &'static str>,
    m: &'q Message,
) {
    b.push_bind(&m.key)
        .push_bind(&m.conversation_id)
        .push_bind(&m.sender_id)
        .push_bind(m.created_at)
        .push_bind(&m.text)
        .push_bind(m.content_type)
        .push_bind(serde_json::to_string(&m.metadata).unwrap_or_default())
        .push_bind(None::<String>)
        .push_bind(i64::from(m.direction == Direction::Outgoing))
        .push_bind(3_i64)
        .push_bind(&m.client_key);
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One metric: printed as a table row, and kept for the JSON file.
struct Report(Vec<Value>);

impl Report {
    fn add(&mut self, name: &str, unit: &str, samples: usize, p50: f64, p95: f64, extra: Value) {
        let mut m = json!({"name": name, "unit": unit, "samples": samples, "p50": p50, "p95": p95});
        if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), extra) {
            m.extend(extra);
        }
        println!("| {name} | {p50:.2} | {p95:.2} | {unit} | {samples} |");
        self.0.push(m);
    }

    /// One ingest mode's rounds: its rate, the raw insert's beside it, and their ratio
    /// (medians of the rounds).
    fn ingest(
        &mut self,
        mode: &str,
        ours: &mut [f64],
        raw: &mut [f64],
        same_table: &mut [f64],
        messages: usize,
        convs: u64,
    ) {
        let (ours_rate, raw_rate, same_rate) = (median(ours), median(raw), median(same_table));
        let rounds = ours.len();
        let detail = json!({"rounds": rounds, "messages": messages, "conversations": convs});
        for (name, unit, v) in [
            (format!("store_ingest_{mode}_rate"), "msg/s", ours_rate),
            (
                format!("store_raw_insert_rate_beside_{mode}"),
                "rows/s",
                raw_rate,
            ),
            (
                format!("store_ingest_{mode}_over_raw"),
                "ratio",
                ours_rate / raw_rate,
            ),
            (
                format!("store_raw_same_table_rate_beside_{mode}"),
                "rows/s",
                same_rate,
            ),
            (
                format!("store_ingest_{mode}_over_raw_same_table"),
                "ratio",
                ours_rate / same_rate,
            ),
        ] {
            self.add(&name, unit, rounds, v, v, detail.clone());
        }
    }
}

#[tokio::main]
async fn main() {
    let smoke = std::env::var_os("PARLEY_BENCH_SMOKE").is_some();
    let ingest_n = env_u64("PARLEY_BENCH_INGEST", if smoke { 2_000 } else { 50_000 });
    let total = env_u64(
        "PARLEY_BENCH_MESSAGES",
        if smoke { 3_000 } else { 1_000_000 },
    );
    let convs = env_u64(
        "PARLEY_BENCH_CONVERSATIONS",
        if smoke { 300 } else { 100_000 },
    )
    .max(50);
    let rounds = if smoke { 1 } else { 3 };
    let runs = if smoke { 5 } else { 60 };
    let mut report = Report(Vec::new());
    println!(
        "\nparley-store bench: ingest {ingest_n} messages; search, inbox and timeline at {total} \
         messages in {convs} conversations\n"
    );
    println!("| metric | p50 | p95 | unit | samples |\n|---|---|---|---|---|");

    // Ingest: 20 messages per conversation, the rounds alternating store and raw.
    let ingest_convs = (ingest_n / 20).max(10);
    let payloads: Arc<Vec<Vec<u8>>> =
        Arc::new((0..ingest_n).map(|i| envelope(i, ingest_convs)).collect());
    let rows: Vec<Message> = payloads
        .iter()
        .filter_map(|p| match decode_envelope(p).ok()?.event {
            Event::MessageReceived(w) | Event::MessageSent(w) => Message::from_wire(&w, ME),
            _ => None,
        })
        .collect();
    assert_eq!(rows.len() as u64, ingest_n, "every envelope is a message");
    for (mode, guarded) in [("realtime", true), ("batched", false)] {
        let (mut ours, mut raw, mut same_table) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let store = Arc::new(store_with_conversations(ingest_convs).await);
            ours.push(ingest(store.clone(), payloads.clone(), guarded).await);
            let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
                .fetch_one(store.pool())
                .await
                .expect("a count");
            assert_eq!(stored as u64, ingest_n, "every message stored");
            raw.push(raw_insert(&rows).await);
            same_table.push(raw_insert_same_table(&rows).await);
        }
        report.ingest(
            mode,
            &mut ours,
            &mut raw,
            &mut same_table,
            ingest_n as usize,
            ingest_convs,
        );
    }

    // The big cache: conversations, then every message in writer batches.
    let t = Instant::now();
    let store = store_with_conversations(convs).await;
    let mut i = 0;
    while i < total {
        let end = (i + WRITER_MAX_BATCH as u64).min(total);
        let batch = (i..end)
            .map(|j| Change::UpsertMessage(message(j, convs)))
            .collect();
        store.apply(ACCOUNT, batch).await.expect("a batch stored");
        i = end;
    }
    let fill_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.maintain().await.expect("index merged");
    let maintain_ms = t.elapsed().as_secs_f64() * 1000.0;
    let size = json!({"messages": total, "conversations": convs});
    report.add("store_fill_s", "s", 1, fill_s, fill_s, size.clone());
    report.add(
        "store_maintain_ms",
        "ms",
        1,
        maintain_ms,
        maintain_ms,
        size.clone(),
    );

    for (name, q) in [
        ("common", "order"),
        ("rare", "zanzibar"),
        ("two_terms", "refund shipping"),
        ("prefix", "deliv"),
    ] {
        // The bare FTS5 query on the same database: the newest 50 matching rowids.
        let fts: String = q
            .split_whitespace()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let (mut times, mut bare) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            let hits = store.search(ACCOUNT, q, 50).await.expect("a search");
            times.push(t.elapsed());
            let t = Instant::now();
            let rows: Vec<i64> = sqlx::query_scalar(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 50",
            )
            .bind(&fts)
            .fetch_all(store.pool())
            .await
            .expect("a bare search");
            bare.push(t.elapsed());
            assert!(!rows.is_empty(), "{name}: something to find");
            assert_eq!(
                hits.len(),
                rows.len(),
                "{name}: the bare query's matches, found"
            );
        }
        let (p50, p95) = (percentile(&mut times, 0.5), percentile(&mut times, 0.95));
        let (b50, b95) = (percentile(&mut bare, 0.5), percentile(&mut bare, 0.95));
        let detail = json!({"query": q, "messages": total, "bare_p50": b50, "bare_p95": b95});
        report.add(
            &format!("store_search_{name}_ms"),
            "ms",
            runs,
            p50,
            p95,
            detail.clone(),
        );
        report.add(
            &format!("store_search_{name}_over_bare"),
            "ratio",
            runs,
            p50 / b50,
            p95 / b95,
            detail,
        );
    }

    let mut pages = Vec::new();
    let mut per_view = serde_json::Map::new();
    for view in InboxView::ALL {
        let mut times = Vec::new();
        for k in 0..runs as u32 {
            let t = Instant::now();
            let page = store
                .inbox(
                    ACCOUNT,
                    InboxQuery {
                        view,
                        sort: InboxSort::Newest,
                        offset: (k * 10) % (convs as u32 / 20),
                        limit: 50,
                    },
                )
                .await
                .expect("an inbox page");
            times.push(t.elapsed());
            assert!(!page.is_empty(), "{view:?}: a page of conversations");
        }
        pages.extend_from_slice(&times);
        per_view.insert(format!("{view:?}"), json!(percentile(&mut times, 0.95)));
    }
    let mut detail = size.clone();
    detail["p95_per_view"] = Value::Object(per_view);
    report.add(
        "store_inbox_page_ms",
        "ms",
        pages.len(),
        percentile(&mut pages, 0.5),
        percentile(&mut pages, 0.95),
        detail,
    );

    let mut times = Vec::new();
    for k in 0..runs {
        let t = Instant::now();
        let page = store
            .timeline(ACCOUNT, &format!("g:{}", k % 50), None, 50)
            .await
            .expect("a timeline");
        times.push(t.elapsed());
        assert!(
            page.len() == 50 || (smoke && !page.is_empty()),
            "a long thread's last 50"
        );
    }
    report.add(
        "store_open_conversation_ms",
        "ms",
        runs,
        percentile(&mut times, 0.5),
        percentile(&mut times, 0.95),
        size.clone(),
    );

    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .expect("a checkpoint");
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .expect("page count");
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(store.pool())
        .await
        .expect("page size");
    let mib = (pages * page_size) as f64 / total as f64 * 100_000.0 / 1_048_576.0;
    report.add(
        "store_cache_mib_per_100k_messages",
        "MiB",
        1,
        mib,
        mib,
        size,
    );

    if let Some(path) = std::env::var_os("PARLEY_BENCH_JSON") {
        let mut f = std::fs::File::create(&path).expect("the JSON report file");
        for m in &report.0 {
            writeln!(f, "{m}").expect("the JSON report written");
        }
    }
}
