//! `--seed demo`: 3 agents and a bot, 150 customers, ~400 support conversations across all
//! statuses and assignees, HTML, rich messages, images and files, and a few ordinary groups.
//! Deterministic: one seeded RNG drives everything but the base time.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite};

use super::text::{self, Topic};
use super::{
    base_users, insert_users, user_key_for, SeedUser, AGENTS, BOT_USER_ID, CUSTOMER_PASSWORD,
};
use crate::model::{group_role, role};
use crate::routes::kommunicate::status_name;
use crate::state::AppState;
use crate::Credentials;

pub const CUSTOMERS: usize = 150;
pub const CONVERSATIONS: usize = 400;
/// Customers 001..=010 have a password and are listed in the ready line.
pub const PASSWORD_CUSTOMERS: usize = 10;
const FIRST_GROUP_ID: i64 = 41_000_001;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// Customers with a password (the ready line lists them).
pub fn customer_credentials() -> Vec<Credentials> {
    (1..=PASSWORD_CUSTOMERS)
        .map(|i| Credentials {
            user_id: customer_id(i),
            password: CUSTOMER_PASSWORD.to_owned(),
        })
        .collect()
}

fn customer_id(i: usize) -> String {
    format!("customer-{i:03}")
}

#[derive(Debug, Clone)]
struct Msg {
    sender: String,
    recipient: Option<String>,
    body: String,
    content_type: i64,
    metadata: Map<String, Value>,
    file_meta: Option<Value>,
    ts: i64,
}

#[derive(Debug, Clone)]
struct Conv {
    id: i64,
    name: String,
    admin: String,
    kind: i64,
    status: Option<i64>,
    assignee: Option<String>,
    team: Option<String>,
    metadata: Map<String, Value>,
    members: Vec<(String, i64)>,
    messages: Vec<Msg>,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn weighted_status(rng: &mut StdRng) -> i64 {
    match rng.gen_range(0..100) {
        0..=32 => 0,
        33..=40 => 6,
        41..=48 => 7,
        49..=52 => -1,
        53..=56 => 1,
        57..=86 => 2,
        87..=92 => 3,
        93..=96 => 4,
        _ => 5,
    }
}

fn rich_message(rng: &mut StdRng) -> (String, Map<String, Value>) {
    let (text, template, payload) = match rng.gen_range(0..4) {
        0 => (
            "How can I help you today?",
            "6",
            json!([
                {"title": "Billing", "message": "I have a billing question"},
                {"title": "Technical issue", "message": "Something is not working"},
                {"title": "Talk to a human", "message": "I'd like to talk to an agent"}
            ]),
        ),
        1 => (
            "These articles might help:",
            "3",
            json!([
                {"type": "link", "url": "https://example.invalid/help/billing", "name": "Billing FAQ"},
                {"type": "link", "url": "https://example.invalid/help/login", "name": "Login problems"}
            ]),
        ),
        2 => (
            "Our plans",
            "10",
            json!([
                {"title": "Growth", "subtitle": "$49/month", "header": {"imgSrc": "https://example.invalid/img/growth.png"},
                 "description": "Up to 20 seats", "buttons": [{"name": "Upgrade", "action": {"type": "link", "payload": {"url": "https://example.invalid/upgrade"}}}]},
                {"title": "Enterprise", "subtitle": "Contact us", "header": {"imgSrc": "https://example.invalid/img/enterprise.png"},
                 "description": "Unlimited seats, SSO", "buttons": [{"name": "Contact sales", "action": {"type": "quickReply", "message": "Contact sales"}}]}
            ]),
        ),
        _ => (
            "Pick a topic",
            "7",
            json!({
                "headerText": "Help topics",
                "elements": [
                    {"title": "Orders", "description": "Track, change or cancel", "action": {"type": "quickReply", "text": "Orders"}},
                    {"title": "Account", "description": "Login, password, profile", "action": {"type": "quickReply", "text": "Account"}}
                ],
                "buttons": [{"name": "See all", "action": {"type": "link", "url": "https://example.invalid/help"}}]
            }),
        ),
    };
    let meta = Map::from_iter([
        ("contentType".to_owned(), json!("300")),
        ("templateId".to_owned(), json!(template)),
        ("payload".to_owned(), json!(payload.to_string())),
        ("skipBot".to_owned(), json!("true")),
    ]);
    (text.to_owned(), meta)
}

fn file_meta(
    state: &AppState,
    blob: &str,
    name: &str,
    content_type: &str,
    size: usize,
    owner_key: &str,
    ts: i64,
) -> Value {
    let url = format!("{}/rest/ws/aws/file/{blob}", state.http_url);
    let mut v = json!({
        "key": blob, "blobKey": blob, "userKey": owner_key, "name": name, "url": url,
        "size": size, "contentType": content_type, "createdAtTime": ts,
    });
    if content_type.starts_with("image/") {
        v["thumbnailUrl"] = json!(url);
    }
    v
}

/// A valid 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

const PDF: &[u8] = b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn build_conversation(state: &AppState, rng: &mut StdRng, idx: usize, now: i64) -> Conv {
    let customer_n = rng.gen_range(1..=CUSTOMERS);
    let customer = customer_id(customer_n);
    let topic: &Topic = pick(rng, text::TOPICS);
    let status = weighted_status(rng);
    let assignee: Option<String> = match rng.gen_range(0..10) {
        0 => None,
        1 => Some(BOT_USER_ID.to_owned()),
        _ => Some(pick(rng, AGENTS).0.to_owned()),
    };
    let team = if assignee.as_deref() == Some("carol@parley.test") {
        "billing"
    } else {
        "support"
    };
    let mut members = vec![(customer.clone(), group_role::MEMBER)];
    if let Some(a) = &assignee {
        let r = if a == BOT_USER_ID {
            group_role::MODERATOR
        } else {
            group_role::ADMIN
        };
        members.push((a.clone(), r));
    }
    if rng.gen_bool(0.15) {
        let extra = pick(rng, AGENTS).0.to_owned();
        if !members.iter().any(|(u, _)| *u == extra) {
            members.push((extra, group_role::ADMIN));
        }
    }
    let replier = assignee
        .clone()
        .unwrap_or_else(|| pick(rng, AGENTS).0.to_owned());
    let mut ts = now - rng.gen_range(DAY / 2..30 * DAY);
    let mut step = |rng: &mut StdRng| {
        ts += rng.gen_range(MINUTE / 2..90 * MINUTE);
        ts
    };
    let mut messages = Vec::new();
    let customer_key = user_key_for(&customer);
    messages.push(Msg {
        sender: customer.clone(),
        recipient: None,
        body: topic.opening.to_owned(),
        content_type: 0,
        metadata: Map::new(),
        file_meta: None,
        ts: step(rng),
    });
    if assignee.as_deref() == Some(BOT_USER_ID) || rng.gen_bool(0.25) {
        let (body, metadata) = rich_message(rng);
        messages.push(Msg {
            sender: BOT_USER_ID.to_owned(),
            recipient: None,
            body,
            content_type: 0,
            metadata,
            file_meta: None,
            ts: step(rng),
        });
    }
    let turns = rng.gen_range(1..=topic.agent.len().max(1));
    for t in 0..turns {
        let agent_line = topic.agent[t % topic.agent.len()];
        let (body, content_type) = if rng.gen_bool(0.08) {
            ((*pick(rng, text::HTML_REPLIES)).to_owned(), 3)
        } else {
            (agent_line.to_owned(), 0)
        };
        let agent_sender = if replier == BOT_USER_ID && t > 0 {
            pick(rng, AGENTS).0.to_owned()
        } else {
            replier.clone()
        };
        messages.push(Msg {
            sender: agent_sender,
            recipient: None,
            body,
            content_type,
            metadata: Map::new(),
            file_meta: None,
            ts: step(rng),
        });
        if t < topic.customer.len() {
            let roll = rng.gen_range(0..100);
            let ts_now = step(rng);
            if roll < 6 {
                let blob = format!("demo-image-{idx}");
                messages.push(Msg {
                    sender: customer.clone(),
                    recipient: None,
                    body: "Here's a screenshot".to_owned(),
                    content_type: 1,
                    metadata: Map::new(),
                    file_meta: Some(file_meta(
                        state,
                        &blob,
                        "screenshot.png",
                        "image/png",
                        PNG.len(),
                        &customer_key,
                        ts_now,
                    )),
                    ts: ts_now,
                });
            } else if roll < 10 {
                let blob = format!("demo-file-{idx}");
                messages.push(Msg {
                    sender: customer.clone(),
                    recipient: None,
                    body: "Attaching the document".to_owned(),
                    content_type: 1,
                    metadata: Map::new(),
                    file_meta: Some(file_meta(
                        state,
                        &blob,
                        "invoice.pdf",
                        "application/pdf",
                        PDF.len(),
                        &customer_key,
                        ts_now,
                    )),
                    ts: ts_now,
                });
            } else {
                messages.push(Msg {
                    sender: customer.clone(),
                    recipient: None,
                    body: topic.customer[t].to_owned(),
                    content_type: 0,
                    metadata: Map::new(),
                    file_meta: None,
                    ts: ts_now,
                });
            }
        }
    }
    if matches!(status, 2..=5) {
        let name = status_name(status).unwrap_or("Resolved");
        messages.push(Msg {
            sender: replier.clone(),
            recipient: None,
            body: format!("Conversation marked as {name}"),
            content_type: 10,
            metadata: Map::from_iter([
                ("KM_STATUS".to_owned(), json!(name)),
                ("CONVERSATION_STATUS".to_owned(), json!(status.to_string())),
            ]),
            file_meta: None,
            ts: step(rng),
        });
    } else if status == 0 || status == 6 {
        messages.push(Msg {
            sender: customer.clone(),
            recipient: None,
            body: (*pick(rng, text::SIMULATED_LINES)).to_owned(),
            content_type: 0,
            metadata: Map::new(),
            file_meta: None,
            ts: step(rng),
        });
    }
    let first_name = customer_display(customer_n);
    let mut metadata = Map::from_iter([
        ("CONVERSATION_STATUS".to_owned(), json!(status.to_string())),
        ("KM_CONVERSATION_TITLE".to_owned(), json!(first_name)),
        ("KM_ORIGINAL_TITLE".to_owned(), json!("true")),
        ("SKIP_ROUTING".to_owned(), json!("false")),
        ("KM_TEAM_ID".to_owned(), json!(team)),
        (
            "KM_CHAT_CONTEXT".to_owned(),
            json!("{\"kmUserLocale\":\"en\"}"),
        ),
        ("KM_TOPIC".to_owned(), json!(topic.title)),
    ]);
    if let Some(a) = &assignee {
        metadata.insert("CONVERSATION_ASSIGNEE".to_owned(), json!(a));
    }
    Conv {
        id: FIRST_GROUP_ID + idx as i64,
        name: first_name,
        admin: customer,
        kind: 10,
        status: Some(status),
        assignee,
        team: Some(team.to_owned()),
        metadata,
        members,
        messages,
    }
}

fn customer_display(n: usize) -> String {
    let first = text::FIRST_NAMES[(n * 7) % text::FIRST_NAMES.len()];
    let last = text::LAST_NAMES[(n * 13) % text::LAST_NAMES.len()];
    format!("{first} {last}")
}

fn internal_groups(rng: &mut StdRng, now: i64, first_id: i64) -> Vec<Conv> {
    let agents: Vec<String> = AGENTS.iter().map(|(a, _)| (*a).to_owned()).collect();
    let specs: [(&str, i64); 4] = [
        ("Support team", 2),
        ("Escalations", 1),
        ("Billing", 2),
        ("Announcements", 6),
    ];
    let mut out = Vec::new();
    for (i, (name, kind)) in specs.iter().enumerate() {
        let mut members: Vec<(String, i64)> = agents
            .iter()
            .map(|a| (a.clone(), group_role::MEMBER))
            .collect();
        members[0].1 = group_role::ADMIN;
        if i == 0 {
            members.push((BOT_USER_ID.to_owned(), group_role::MODERATOR));
        }
        let mut ts = now - rng.gen_range(2 * DAY..10 * DAY);
        let mut messages = Vec::new();
        for line in text::INTERNAL_CHAT
            .iter()
            .take(rng.gen_range(2..=text::INTERNAL_CHAT.len()))
        {
            ts += rng.gen_range(MINUTE..240 * MINUTE);
            messages.push(Msg {
                sender: pick(rng, &agents).clone(),
                recipient: None,
                body: (*line).to_owned(),
                content_type: 0,
                metadata: Map::new(),
                file_meta: None,
                ts,
            });
        }
        out.push(Conv {
            id: first_id + i as i64,
            name: (*name).to_owned(),
            admin: agents[0].clone(),
            kind: *kind,
            status: None,
            assignee: None,
            team: None,
            metadata: Map::new(),
            members,
            messages,
        });
    }
    out
}

pub(super) async fn seed(state: &AppState, now: i64) -> anyhow::Result<i64> {
    let mut rng = StdRng::seed_from_u64(0x5eed_da7a);
    let mut users = base_users(now);
    for n in 1..=CUSTOMERS {
        let id = customer_id(n);
        let name = customer_display(n);
        let email = format!(
            "{}.{}@example.invalid",
            name.split(' ').next().unwrap_or("user").to_lowercase(),
            n
        );
        let metadata = Map::from_iter([
            ("plan".to_owned(), json!(text::PLANS[n % text::PLANS.len()])),
            (
                "country".to_owned(),
                json!(text::COUNTRIES[(n * 3) % text::COUNTRIES.len()]),
            ),
            (
                "company".to_owned(),
                json!(text::COMPANIES[(n * 5) % text::COMPANIES.len()]),
            ),
            (
                "signupSource".to_owned(),
                json!(if n % 3 == 0 { "web" } else { "mobile" }),
            ),
        ]);
        users.push(SeedUser {
            user_id: id,
            display_name: name,
            email: Some(email),
            phone: Some(format!("+1555{:07}", 100_000 + n)),
            password: if n <= PASSWORD_CUSTOMERS {
                Some(CUSTOMER_PASSWORD.to_owned())
            } else {
                None
            },
            role_type: role::USER,
            metadata,
            created_at: now - 60 * DAY + (n as i64) * 1000,
        });
    }

    let mut convs: Vec<Conv> = (0..CONVERSATIONS)
        .map(|i| build_conversation(state, &mut rng, i, now))
        .collect();
    convs.extend(internal_groups(
        &mut rng,
        now,
        FIRST_GROUP_ID + CONVERSATIONS as i64,
    ));

    // 1:1 chat between two agents.
    let mut direct = Vec::new();
    let mut ts = now - 3 * DAY;
    for (i, line) in text::INTERNAL_CHAT.iter().enumerate() {
        ts += rng.gen_range(MINUTE..60 * MINUTE);
        let (from, to) = if i % 2 == 0 {
            (AGENTS[0].0, AGENTS[1].0)
        } else {
            (AGENTS[1].0, AGENTS[0].0)
        };
        direct.push(Msg {
            sender: from.to_owned(),
            recipient: Some(to.to_owned()),
            body: (*line).to_owned(),
            content_type: 0,
            metadata: Map::new(),
            file_meta: None,
            ts,
        });
    }

    // Make every message time unique and in the past, keeping each thread's order.
    let mut all_ts: Vec<(i64, usize, usize)> = Vec::new();
    for (ci, c) in convs.iter().enumerate() {
        for (mi, m) in c.messages.iter().enumerate() {
            all_ts.push((m.ts.min(now - 10_000), ci, mi));
        }
    }
    for (mi, m) in direct.iter().enumerate() {
        all_ts.push((m.ts.min(now - 10_000), usize::MAX, mi));
    }
    all_ts.sort();
    let mut prev = i64::MIN;
    for (ts, ci, mi) in &mut all_ts {
        if *ts <= prev {
            *ts = prev + 1;
        }
        prev = *ts;
        if *ci == usize::MAX {
            direct[*mi].ts = *ts;
        } else {
            convs[*ci].messages[*mi].ts = *ts;
        }
    }
    for c in &mut convs {
        c.messages.sort_by_key(|m| m.ts);
    }
    let last_ts = prev.max(now);

    let mut tx = state.db.begin().await?;
    insert_users(&mut tx, &users).await?;
    for (team, name, members) in [
        ("support", "Support", &AGENTS[..2]),
        ("billing", "Billing", &AGENTS[2..]),
    ] {
        sqlx::query("INSERT INTO teams (team_id, name, admin, agent_routing, created_at) VALUES (?, ?, ?, 1, ?)")
            .bind(team)
            .bind(name)
            .bind(AGENTS[0].0)
            .bind(now - 60 * DAY)
            .execute(&mut *tx)
            .await?;
        for (agent, _) in members {
            sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)")
                .bind(team)
                .bind(agent)
                .execute(&mut *tx)
                .await?;
        }
    }
    for (i, (name, color)) in [
        ("billing", "#2f80ed"),
        ("bug", "#eb5757"),
        ("feature-request", "#9b51e0"),
        ("vip", "#f2c94c"),
        ("urgent", "#f2994a"),
    ]
    .iter()
    .enumerate()
    {
        sqlx::query("INSERT INTO tags (name, color, created_by, created_at) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(color)
            .bind(AGENTS[0].0)
            .bind(now - 50 * DAY + i as i64)
            .execute(&mut *tx)
            .await?;
    }

    for chunk in convs.chunks(200) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO channels (id, client_group_id, name, admin_id, type, metadata, status, \
             assignee, team_id, created_at, updated_at, last_message_at) ",
        );
        qb.push_values(chunk, |mut b, c| {
            let first = c.messages.first().map_or(now - DAY, |m| m.ts);
            let last = c.messages.last().map_or(first, |m| m.ts);
            b.push_bind(c.id)
                .push_bind(c.id.to_string())
                .push_bind(&c.name)
                .push_bind(&c.admin)
                .push_bind(c.kind)
                .push_bind(Value::Object(c.metadata.clone()).to_string())
                .push_bind(c.status)
                .push_bind(&c.assignee)
                .push_bind(&c.team)
                .push_bind(first - 1)
                .push_bind(last)
                .push_bind(last);
        });
        qb.build().execute(&mut *tx).await?;
    }

    // Members with read watermarks: everyone has read up to their own last message; the
    // customer has also read the agents' replies unless the conversation is still open.
    let mut member_rows: Vec<(i64, String, i64, i64, i64, i64)> = Vec::new();
    for c in &convs {
        let first = c.messages.first().map_or(now - DAY, |m| m.ts);
        for (user, role_in_group) in &c.members {
            let read_up_to = c
                .messages
                .iter()
                .rev()
                .find(|m| m.sender == *user)
                .map_or(first - 1, |m| m.ts);
            let read_up_to = if c.status.is_some_and(|s| matches!(s, 2..=5)) {
                c.messages.last().map_or(read_up_to, |m| m.ts)
            } else {
                read_up_to
            };
            let unread = c
                .messages
                .iter()
                .filter(|m| m.ts > read_up_to && m.sender != *user)
                .count() as i64;
            member_rows.push((
                c.id,
                user.clone(),
                *role_in_group,
                unread,
                read_up_to,
                first - 1,
            ));
        }
    }
    for chunk in member_rows.chunks(300) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO channel_users (channel_id, user_id, role, unread_count, read_up_to, \
             delivered_up_to, joined_at) ",
        );
        qb.push_values(chunk, |mut b, (cid, user, r, unread, read, joined)| {
            b.push_bind(*cid)
                .push_bind(user)
                .push_bind(*r)
                .push_bind(*unread)
                .push_bind(*read)
                .push_bind(*read)
                .push_bind(*joined);
        });
        qb.build().execute(&mut *tx).await?;
    }

    let mut message_rows: Vec<(Option<i64>, &Msg)> = Vec::new();
    for c in &convs {
        for m in &c.messages {
            message_rows.push((Some(c.id), m));
        }
    }
    for m in &direct {
        message_rows.push((None, m));
    }
    for chunk in message_rows.chunks(200) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO messages (key, paired_key, channel_id, sender_id, recipient_id, body, \
             content_type, source, metadata, file_meta, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, (cid, m)| {
            let (key, paired) = match cid {
                Some(id) => (format!("5-{id}-{}", m.ts), None),
                None => {
                    let k = user_key_for(&m.sender);
                    (format!("5-{k}-{}", m.ts), Some(format!("4-{k}-{}", m.ts)))
                }
            };
            b.push_bind(key)
                .push_bind(paired)
                .push_bind(*cid)
                .push_bind(&m.sender)
                .push_bind(&m.recipient)
                .push_bind(&m.body)
                .push_bind(m.content_type)
                .push_bind(1_i64)
                .push_bind(Value::Object(m.metadata.clone()).to_string())
                .push_bind(m.file_meta.as_ref().map(Value::to_string))
                .push_bind(m.ts)
                .push_bind(m.ts);
        });
        qb.build().execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO direct_receipts (user_id, peer_id, read_up_to, read_at, delivered_up_to, delivered_at) \
         VALUES (?1, ?2, ?3, ?3, ?3, ?3), (?2, ?1, ?3, ?3, ?3, ?3)",
    )
    .bind(AGENTS[0].0)
    .bind(AGENTS[1].0)
    .bind(direct.last().map_or(now, |m| m.ts))
    .execute(&mut *tx)
    .await?;

    // The files the attachment messages point at.
    for c in &convs {
        for m in &c.messages {
            let Some(fm) = &m.file_meta else { continue };
            let blob = fm
                .get("blobKey")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = fm.get("name").and_then(Value::as_str).unwrap_or("file");
            let (ct, data) = if name.ends_with(".png") {
                ("image/png", PNG)
            } else {
                ("application/pdf", PDF)
            };
            sqlx::query(
                "INSERT OR IGNORE INTO files (blob_key, owner_id, name, content_type, size, data, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(blob)
            .bind(&m.sender)
            .bind(name)
            .bind(ct)
            .bind(data.len() as i64)
            .bind(data)
            .bind(m.ts)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query("UPDATE users SET last_message_at = (SELECT MAX(created_at) FROM messages m WHERE m.sender_id = users.user_id)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(last_ts)
}
