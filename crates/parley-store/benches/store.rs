//! Store benchmark: ingest rate (vs a raw batched insert of the same rows in the same run),
//! search latency, inbox page latency, cache size per 100 k messages.
//!
//! `cargo bench -p parley-store` (PARLEY_BENCH_MESSAGES=100000 by default,
//! PARLEY_BENCH_SMOKE=1 for a tiny run that only proves the bench works).

use std::time::{Duration, Instant};

use parley_core::model::{
    Conversation, ConversationStatus, DeliveryState, Direction, InboxSort, InboxView, Message,
    Metadata,
};
use parley_core::store::{Change, InboxQuery, Store};
use parley_store::SqliteStore;

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
    words.join(" ")
}

fn message(i: u64, convs: u64) -> Message {
    let conv = i % convs;
    Message {
        key: format!("5-{conv}-{i}"),
        conversation_id: format!("g:{conv}"),
        sender_id: format!("customer-{conv}"),
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

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let smoke = std::env::var_os("PARLEY_BENCH_SMOKE").is_some();
    let n: u64 = std::env::var("PARLEY_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 2_000 } else { 100_000 });
    let convs = (n / 20).max(10);
    let account = "bench:agent@x";
    let store = SqliteStore::open_temporary().await.unwrap();
    store
        .save_account(&parley_core::store_suite::account(account, "agent@x"))
        .await
        .unwrap();
    let conv_changes: Vec<Change> = (0..convs)
        .map(|c| {
            let status = match c % 10 {
                0 => ConversationStatus::Resolved,
                1 => ConversationStatus::Spam,
                _ => ConversationStatus::Open,
            };
            let assignee = match c % 3 {
                0 => Some("agent@x".to_owned()),
                1 => None,
                _ => Some("other@x".to_owned()),
            };
            Change::UpsertConversation(Conversation {
                assignee,
                ..parley_core::store_suite::conversation(c as i64, status, None, 1)
            })
        })
        .collect();
    store.apply(account, conv_changes).await.unwrap();

    // Ingest through the store (domain rows, FTS, counters, conversation bumps).
    const BATCH: u64 = 500;
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let changes = (i..(i + BATCH).min(n))
            .map(|j| Change::UpsertMessage(message(j, convs)))
            .collect();
        store.apply(account, changes).await.unwrap();
        i += BATCH;
    }
    let ingest = n as f64 / t.elapsed().as_secs_f64();

    // The same rows, raw: one multi-row INSERT per batch into a bare table with FTS.
    let raw = SqliteStore::open_temporary().await.unwrap();
    sqlx::query("CREATE TABLE raw (k TEXT PRIMARY KEY, c TEXT, s TEXT, t INTEGER, body TEXT)")
        .execute(raw.pool())
        .await
        .unwrap();
    sqlx::query(
        "CREATE VIRTUAL TABLE raw_fts USING fts5(body, content='raw', content_rowid='rowid')",
    )
    .execute(raw.pool())
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER raw_ai AFTER INSERT ON raw BEGIN INSERT INTO raw_fts(rowid, body) VALUES (new.rowid, new.body); END")
        .execute(raw.pool())
        .await
        .unwrap();
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let mut tx = raw.pool().begin().await.unwrap();
        let mut qb = sqlx::QueryBuilder::new("INSERT INTO raw (k, c, s, t, body) ");
        let end = (i + BATCH).min(n);
        let rows: Vec<Message> = (i..end).map(|j| message(j, convs)).collect();
        for chunk in rows.chunks(190) {
            qb.reset();
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(&m.key)
                    .push_bind(&m.conversation_id)
                    .push_bind(&m.sender_id)
                    .push_bind(m.created_at)
                    .push_bind(&m.text);
            });
            qb.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        i += BATCH;
    }
    let raw_rate = n as f64 / t.elapsed().as_secs_f64();

    // Search latency (after the index maintenance the app runs when idle).
    let t = Instant::now();
    store.maintain().await.unwrap();
    let maintain_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut report = Vec::new();
    for (name, q) in [
        ("common term", "order"),
        ("rare term", "zanzibar"),
        ("two terms", "refund shipping"),
        ("prefix", "deliv"),
    ] {
        let runs = if smoke { 5 } else { 40 };
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let hits = store.search(account, q, 50).await.unwrap();
            times.push(t.elapsed());
            assert!(!hits.is_empty(), "{name} finds something");
        }
        // The bare FTS5 query on the same database: the newest 50 matching rowids.
        let fts: String = q
            .split_whitespace()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let mut bare = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let rows: Vec<i64> = sqlx::query_scalar(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 50",
            )
            .bind(&fts)
            .fetch_all(store.pool())
            .await
            .unwrap();
            bare.push(t.elapsed());
            assert!(!rows.is_empty());
        }
        let p95 = percentile(&mut times, 0.95);
        let bare95 = percentile(&mut bare, 0.95);
        report.push((
            format!("search {name} p50"),
            percentile(&mut times, 0.5),
            "ms",
        ));
        report.push((format!("search {name} p95"), p95, "ms"));
        report.push((format!("bare FTS5 {name} p95"), bare95, "ms"));
        report.push((format!("search {name} p95 / bare"), p95 / bare95, "ratio"));
    }
    // Inbox pages and the timeline.
    for view in InboxView::ALL {
        let mut times = Vec::new();
        for k in 0..(if smoke { 5 } else { 50 }) {
            let t = Instant::now();
            store
                .inbox(
                    account,
                    InboxQuery {
                        view,
                        sort: InboxSort::Newest,
                        offset: k * 10,
                        limit: 50,
                    },
                )
                .await
                .unwrap();
            times.push(t.elapsed());
        }
        report.push((
            format!("inbox page {view:?} p95"),
            percentile(&mut times, 0.95),
            "ms",
        ));
    }
    let mut times = Vec::new();
    for c in 0..(if smoke { 5 } else { 50 }) {
        let t = Instant::now();
        store
            .timeline(account, &format!("g:{c}"), None, 50)
            .await
            .unwrap();
        times.push(t.elapsed());
    }
    report.push((
        "open conversation (last 50) p95".into(),
        percentile(&mut times, 0.95),
        "ms",
    ));

    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let bytes = (pages * page_size) as f64;

    println!("\nparley-store bench: {n} messages in {convs} conversations\n");
    println!("| metric | value | unit |\n|---|---|---|");
    println!("| ingest through the store | {ingest:.0} | msg/s |");
    println!("| raw batched insert (same rows, FTS) | {raw_rate:.0} | rows/s |");
    println!("| ingest / raw | {:.2} | ratio |", ingest / raw_rate);
    println!("| idle housekeeping after the ingest (index merge) | {maintain_ms:.0} | ms |");
    for (name, v, unit) in &report {
        println!("| {name} | {v:.2} | {unit} |");
    }
    println!(
        "| cache size per 100k messages | {:.1} | MiB |",
        bytes / n as f64 * 100_000.0 / 1_048_576.0
    );
}
