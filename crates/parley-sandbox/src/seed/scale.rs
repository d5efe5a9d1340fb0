//! `--seed scale`: N support conversations and M messages generated inside SQLite with
//! recursive CTEs (no per-row round trips), in one transaction.

use sqlx::{QueryBuilder, Sqlite};

use super::{base_users, insert_users, text, AGENTS, BOT_USER_ID};
use crate::state::AppState;

const FIRST_GROUP_ID: i64 = 50_000_001;

pub(super) async fn seed(
    state: &AppState,
    now: i64,
    conversations: u64,
    messages: u64,
) -> anyhow::Result<i64> {
    let n = i64::try_from(conversations.max(1)).unwrap_or(i64::MAX);
    let m = i64::try_from(messages).unwrap_or(i64::MAX);
    let customers = (n / 2).max(1);
    // Messages are 1 s apart, ending a minute ago: unique, ordered timestamps.
    let step = 1_000_i64;
    let base = now - 60_000 - m * step;
    let conv_base = base - n * step - 1;

    let mut tx = state.db.begin().await?;
    insert_users(&mut tx, &base_users(now)).await?;

    sqlx::query("CREATE TEMP TABLE seed_agents (i INTEGER PRIMARY KEY, user_id TEXT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    for (i, (a, _)) in AGENTS.iter().enumerate() {
        sqlx::query("INSERT INTO seed_agents (i, user_id) VALUES (?, ?)")
            .bind(i as i64)
            .bind(a)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("CREATE TEMP TABLE seed_corpus (i INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let mut lines: Vec<&str> = Vec::new();
    for t in text::TOPICS {
        lines.push(t.opening);
        lines.extend(t.customer.iter().copied());
        lines.extend(t.agent.iter().copied());
    }
    lines.extend(text::SIMULATED_LINES.iter().copied());
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new("INSERT INTO seed_corpus (i, body) ");
    qb.push_values(lines.iter().enumerate(), |mut b, (i, l)| {
        b.push_bind(i as i64).push_bind(*l);
    });
    qb.build().execute(&mut *tx).await?;
    let corpus_len = lines.len() as i64;
    let agents = AGENTS.len() as i64;

    sqlx::query(
        "INSERT INTO users (user_id, user_key, display_name, email, role_type, metadata, created_at, updated_at) \
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1) \
         SELECT printf('scale-customer-%07d', i), printf('00000000-0000-4000-8000-%012d', i), \
                'Customer ' || i, printf('customer%d@example.invalid', i), 3, \
                json_object('plan', CASE i % 4 WHEN 0 THEN 'free' WHEN 1 THEN 'starter' WHEN 2 THEN 'growth' ELSE 'enterprise' END), \
                ?2 + i, ?2 + i FROM seq",
    )
    .bind(customers)
    .bind(conv_base - customers - 10)
    .execute(&mut *tx)
    .await?;

    // Conversation c (0-based) gets messages c, c+N, c+2N, …; its last one is known in closed form.
    // Status by c % 10: 0,0,0,6,7,-1,2,2,3,4; assignee: agents round robin, every 10th the bot,
    // every 13th nobody.
    sqlx::query(
        "INSERT INTO channels (id, client_group_id, name, admin_id, type, metadata, status, assignee, \
                               team_id, created_at, updated_at, last_message_at) \
         WITH RECURSIVE seq(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM seq WHERE c + 1 < ?1), \
         conv AS ( \
           SELECT c, \
             CASE c % 10 WHEN 3 THEN 6 WHEN 4 THEN 7 WHEN 5 THEN -1 WHEN 6 THEN 2 WHEN 7 THEN 2 \
                         WHEN 8 THEN 3 WHEN 9 THEN 4 ELSE 0 END AS status, \
             CASE WHEN c % 13 = 12 THEN NULL WHEN c % 10 = 9 THEN ?6 \
                  ELSE (SELECT user_id FROM seed_agents WHERE i = c % ?5) END AS assignee, \
             printf('scale-customer-%07d', (c % ?2) + 1) AS customer, \
             CASE WHEN c < ?3 THEN ?4 + (c + ?1 * ((?3 - 1 - c) / ?1)) * 1000 ELSE ?7 + c END AS last_at \
           FROM seq) \
         SELECT ?8 + c, CAST(?8 + c AS TEXT), 'Customer ' || ((c % ?2) + 1), customer, 10, \
                json_object('CONVERSATION_STATUS', CAST(status AS TEXT), 'CONVERSATION_ASSIGNEE', assignee, \
                            'KM_CONVERSATION_TITLE', 'Customer ' || ((c % ?2) + 1), 'SKIP_ROUTING', 'false'), \
                status, assignee, 'support', ?7 + c, last_at, last_at \
         FROM conv",
    )
    .bind(n)
    .bind(customers)
    .bind(m)
    .bind(base)
    .bind(agents)
    .bind(BOT_USER_ID)
    .bind(conv_base)
    .bind(FIRST_GROUP_ID)
    .execute(&mut *tx)
    .await?;

    sqlx::query(
        "INSERT INTO channel_users (channel_id, user_id, role, joined_at) \
         SELECT id, admin_id, 3, created_at FROM channels WHERE id >= ?1",
    )
    .bind(FIRST_GROUP_ID)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO channel_users (channel_id, user_id, role, joined_at) \
         SELECT id, assignee, CASE WHEN assignee = ?2 THEN 2 ELSE 1 END, created_at FROM channels \
         WHERE id >= ?1 AND assignee IS NOT NULL",
    )
    .bind(FIRST_GROUP_ID)
    .bind(BOT_USER_ID)
    .execute(&mut *tx)
    .await?;

    if m > 0 {
        // Message i goes to conversation i % N; round k = i / N alternates customer / agent.
        sqlx::query(
            "INSERT INTO messages (key, channel_id, sender_id, body, content_type, source, metadata, \
                                   created_at, updated_at) \
             WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1) \
             SELECT '5-' || (?3 + i % ?2) || '-' || (?4 + i * 1000), ?3 + i % ?2, \
                    CASE WHEN (i / ?2) % 2 = 1 THEN COALESCE(c.assignee, c.admin_id) ELSE c.admin_id END, \
                    (SELECT body FROM seed_corpus WHERE seed_corpus.i = (i * 7919) % ?5), 0, 1, '{}', \
                    ?4 + i * 1000, ?4 + i * 1000 \
             FROM seq JOIN channels c ON c.id = ?3 + i % ?2",
        )
        .bind(m)
        .bind(n)
        .bind(FIRST_GROUP_ID)
        .bind(base)
        .bind(corpus_len)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DROP TABLE seed_corpus")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DROP TABLE seed_agents")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(now)
}
