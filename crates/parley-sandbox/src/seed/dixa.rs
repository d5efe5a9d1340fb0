//! Dixa data: the organisation's custom attribute definitions and an API token (every seed),
//! and with `--seed demo` eight end users, most with conversations: Tomás Ruiz has an open one
//! (anonymizing him needs `force=true`), one end user is already anonymized. Ids are fixed so
//! tests and demos can name them.

use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use crate::dixa::model::{self, EndUserFields};
use crate::SeedConfig;

/// The demo seed's Dixa API token (other seeds get a random one).
pub const DEMO_TOKEN: &str = "parley-dixa-demo-token";
/// The Dixa agent who created the sandbox's tokens (Alice Martin): `requestedBy` of
/// anonymization requests.
pub const TOKEN_AGENT_ID: &str = "d1a0a9e0-0000-4000-8000-000000000001";
const BOB_AGENT_ID: &str = "d1a0a9e0-0000-4000-8000-000000000002";
const QUEUE_ID: &str = "d1a0c0e0-0000-4000-8000-000000000001";

/// Custom attribute definitions: (id, name, identifier, input type, options).
pub const ATTRIBUTES: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        ATTR_CUSTOMER_TIER,
        "Customer tier",
        "customer_tier",
        "Select",
        &["Free", "Pro", "Enterprise"],
    ),
    (
        ATTR_ACCOUNT_NUMBER,
        "Account number",
        "account_number",
        "Text",
        &[],
    ),
    (
        ATTR_INTERESTS,
        "Interests",
        "interests",
        "Select",
        &["Billing", "Shipping", "Returns", "API"],
    ),
];
/// Select: Free, Pro, Enterprise.
pub const ATTR_CUSTOMER_TIER: &str = "d1a0a77e-0000-4000-8000-000000000001";
/// Text.
pub const ATTR_ACCOUNT_NUMBER: &str = "d1a0a77e-0000-4000-8000-000000000002";
/// Select: Billing, Shipping, Returns, API.
pub const ATTR_INTERESTS: &str = "d1a0a77e-0000-4000-8000-000000000003";

/// Two closed conversations (chat and email), custom attributes.
pub const INGRID_LARSEN: &str = "d1a0e5e0-0000-4000-8000-000000000001";
/// One open chat conversation (and two closed ones, one a side conversation).
pub const TOMAS_RUIZ: &str = "d1a0e5e0-0000-4000-8000-000000000002";
/// Phone only; a closed phone call.
pub const MEI_CHEN: &str = "d1a0e5e0-0000-4000-8000-000000000003";
/// Additional emails; no conversations.
pub const OLUWASEUN_ADEYEMI: &str = "d1a0e5e0-0000-4000-8000-000000000004";
/// A closed SMS conversation.
pub const SOFIA_ROSSI: &str = "d1a0e5e0-0000-4000-8000-000000000005";
/// External id only; no conversations.
pub const JONAS_BECKER: &str = "d1a0e5e0-0000-4000-8000-000000000006";
/// Three closed conversations.
pub const AMELIE_DUBOIS: &str = "d1a0e5e0-0000-4000-8000-000000000007";
/// Already anonymized, with one closed conversation.
pub const ANONYMIZED: &str = "d1a0e5e0-0000-4000-8000-000000000008";

const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

/// A new random token (40 hex characters).
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Stores a token of the sandbox's organisation; returns it.
pub async fn insert_token(db: &SqlitePool, token: &str) -> anyhow::Result<String> {
    let mut conn = db.acquire().await?;
    insert_token_with(&mut conn, token, crate::clock::wall_ms()).await?;
    Ok(token.to_owned())
}

async fn insert_token_with(
    conn: &mut SqliteConnection,
    token: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO dixa_tokens (token, agent_id, name, created_at) VALUES (?, ?, 'Parley sandbox', ?)",
    )
    .bind(token)
    .bind(TOKEN_AGENT_ID)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes sure the attribute definitions and a token exist (the demo end users too, the first
/// time with `--seed demo`); returns the token.
pub async fn ensure(db: &SqlitePool, seed: &SeedConfig, now: i64) -> anyhow::Result<String> {
    let mut tx = db.begin().await?;
    for (id, name, identifier, kind, options) in ATTRIBUTES {
        sqlx::query(
            "INSERT OR IGNORE INTO dixa_custom_attributes (id, name, identifier, input_type, options) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(name)
        .bind(identifier)
        .bind(kind)
        .bind(json!(options).to_string())
        .execute(&mut *tx)
        .await?;
    }
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT token FROM dixa_tokens ORDER BY created_at, token LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let token = match existing {
        Some((t,)) => t,
        None => {
            let demo = *seed == SeedConfig::Demo;
            let token = if demo {
                DEMO_TOKEN.to_owned()
            } else {
                random_token()
            };
            insert_token_with(&mut tx, &token, now).await?;
            if demo {
                demo_end_users(&mut tx, now).await?;
            }
            token
        }
    };
    tx.commit().await?;
    Ok(token)
}

struct DemoUser {
    id: &'static str,
    name: &'static str,
    first: Option<&'static str>,
    last: Option<&'static str>,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    more_emails: &'static [&'static str],
    external: Option<&'static str>,
    days_ago: i64,
}

const USERS: &[DemoUser] = &[
    DemoUser {
        id: INGRID_LARSEN,
        name: "Ingrid Larsen",
        first: Some("Ingrid"),
        last: Some("Larsen"),
        email: Some("ingrid.larsen@example.com"),
        phone: Some("+4520123456"),
        more_emails: &["ingrid@larsen-design.example"],
        external: Some("CRM-1001"),
        days_ago: 60,
    },
    DemoUser {
        id: TOMAS_RUIZ,
        name: "Tomás Ruiz",
        first: Some("Tomás"),
        last: Some("Ruiz"),
        email: Some("tomas.ruiz@example.com"),
        phone: Some("+34600111222"),
        more_emails: &[],
        external: Some("CRM-1002"),
        days_ago: 45,
    },
    DemoUser {
        id: MEI_CHEN,
        name: "Mei Chen",
        first: Some("Mei"),
        last: Some("Chen"),
        email: None,
        phone: Some("+85291234567"),
        more_emails: &[],
        external: Some("CRM-1003"),
        days_ago: 40,
    },
    DemoUser {
        id: OLUWASEUN_ADEYEMI,
        name: "Oluwaseun Adeyemi",
        first: Some("Oluwaseun"),
        last: Some("Adeyemi"),
        email: Some("seun@example.org"),
        phone: None,
        more_emails: &["oluwaseun.adeyemi@example.net"],
        external: None,
        days_ago: 30,
    },
    DemoUser {
        id: SOFIA_ROSSI,
        name: "Sofia Rossi",
        first: Some("Sofia"),
        last: Some("Rossi"),
        email: Some("sofia.rossi@example.it"),
        phone: Some("+393331234567"),
        more_emails: &[],
        external: Some("CRM-1005"),
        days_ago: 20,
    },
    DemoUser {
        id: JONAS_BECKER,
        name: "Jonas Becker",
        first: None,
        last: None,
        email: None,
        phone: None,
        more_emails: &[],
        external: Some("CRM-1006"),
        days_ago: 12,
    },
    DemoUser {
        id: AMELIE_DUBOIS,
        name: "Amélie Dubois",
        first: Some("Amélie"),
        last: Some("Dubois"),
        email: Some("amelie.dubois@example.fr"),
        phone: None,
        more_emails: &[],
        external: Some("CRM-1007"),
        days_ago: 9,
    },
    DemoUser {
        id: ANONYMIZED,
        name: model::ANONYMIZED_NAME,
        first: None,
        last: None,
        email: None,
        phone: None,
        more_emails: &[],
        external: None,
        days_ago: 90,
    },
];

/// (id, requester, channel, direction, state, days ago, assigned agent, side conversation of)
type DemoConversation = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<&'static str>,
    Option<i64>,
);

const CONVERSATIONS: &[DemoConversation] = &[
    (
        1001,
        INGRID_LARSEN,
        "WidgetChat",
        "Inbound",
        "Closed",
        50,
        Some(TOKEN_AGENT_ID),
        None,
    ),
    (
        1002,
        INGRID_LARSEN,
        "Email",
        "Inbound",
        "Closed",
        14,
        Some(BOB_AGENT_ID),
        None,
    ),
    (
        1003,
        TOMAS_RUIZ,
        "Email",
        "Inbound",
        "Closed",
        30,
        Some(TOKEN_AGENT_ID),
        None,
    ),
    (
        1004,
        TOMAS_RUIZ,
        "WidgetChat",
        "Inbound",
        "Open",
        0,
        Some(BOB_AGENT_ID),
        None,
    ),
    (
        1005,
        TOMAS_RUIZ,
        "Email",
        "Outbound",
        "Closed",
        0,
        Some(BOB_AGENT_ID),
        Some(1004),
    ),
    (
        1006,
        MEI_CHEN,
        "PstnPhone",
        "Inbound",
        "Closed",
        33,
        Some(TOKEN_AGENT_ID),
        None,
    ),
    (
        1007,
        SOFIA_ROSSI,
        "Sms",
        "Outbound",
        "Closed",
        15,
        Some(BOB_AGENT_ID),
        None,
    ),
    (
        1008,
        AMELIE_DUBOIS,
        "WidgetChat",
        "Inbound",
        "Closed",
        8,
        Some(TOKEN_AGENT_ID),
        None,
    ),
    (
        1009,
        AMELIE_DUBOIS,
        "Email",
        "Inbound",
        "Closed",
        5,
        Some(BOB_AGENT_ID),
        None,
    ),
    (
        1010,
        AMELIE_DUBOIS,
        "WidgetChat",
        "Inbound",
        "Closed",
        2,
        None,
        None,
    ),
    (
        1011,
        ANONYMIZED,
        "Email",
        "Inbound",
        "Closed",
        85,
        Some(TOKEN_AGENT_ID),
        None,
    ),
];

async fn demo_end_users(conn: &mut SqliteConnection, now: i64) -> anyhow::Result<()> {
    for u in USERS {
        let fields = EndUserFields {
            display_name: Some(u.name.to_owned()),
            email: u.email.map(str::to_owned),
            phone_number: u.phone.map(str::to_owned),
            additional_emails: u.more_emails.iter().map(|e| (*e).to_owned()).collect(),
            first_name: u.first.map(str::to_owned),
            last_name: u.last.map(str::to_owned),
            external_id: u.external.map(str::to_owned),
            ..EndUserFields::default()
        };
        model::insert_end_user(&mut *conn, u.id, &fields, now - u.days_ago * DAY).await?;
    }
    let anonymized_at = now - 80 * DAY;
    sqlx::query("UPDATE dixa_end_users SET anonymized_at = ? WHERE id = ?")
        .bind(anonymized_at)
        .bind(ANONYMIZED)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO dixa_anonymizations (id, target_id, entity, requested_by, initiated_at, processed_at) \
         VALUES ('d1a0a10e-0000-4000-8000-000000000001', ?, 'User', ?, ?, ?)",
    )
    .bind(ANONYMIZED)
    .bind(TOKEN_AGENT_ID)
    .bind(anonymized_at)
    .bind(anonymized_at + MINUTE)
    .execute(&mut *conn)
    .await?;

    let values = [
        (INGRID_LARSEN, ATTR_CUSTOMER_TIER, json!(["Enterprise"])),
        (INGRID_LARSEN, ATTR_ACCOUNT_NUMBER, json!("AC-88231")),
        (TOMAS_RUIZ, ATTR_CUSTOMER_TIER, json!(["Pro"])),
        (TOMAS_RUIZ, ATTR_INTERESTS, json!(["Shipping", "Returns"])),
        (SOFIA_ROSSI, ATTR_ACCOUNT_NUMBER, json!("AC-10442")),
    ];
    for (user, attr, value) in values {
        sqlx::query(
            "INSERT INTO dixa_end_user_attributes (user_id, attribute_id, value) VALUES (?, ?, ?)",
        )
        .bind(user)
        .bind(attr)
        .bind(value.to_string())
        .execute(&mut *conn)
        .await?;
    }

    for (i, (id, requester, channel, direction, state, days_ago, agent, parent)) in
        CONVERSATIONS.iter().enumerate()
    {
        // Spread within the day so conversations of one day keep their order.
        let created = now - days_ago * DAY - 3 * 60 * MINUTE + i as i64 * MINUTE;
        let queued = created + MINUTE;
        let assigned = created + 2 * MINUTE;
        let state_at = if *state == "Closed" {
            created + 45 * MINUTE
        } else {
            assigned
        };
        let browser = (*channel == "WidgetChat" && *requester != ANONYMIZED).then(|| {
            json!({
                "name": "Firefox",
                "version": "128.0",
                "ipAddress": format!("192.0.2.{}", 10 + i),
                "originatingUrl": "https://shop.example.com/help",
            })
            .to_string()
        });
        sqlx::query(
            "INSERT INTO dixa_conversations (id, requester_id, channel, direction, state, \
             state_updated_at, created_at, agent_id, assigned_at, queue_id, queued_at, language, \
             browser_info, link_parent_id, anonymized_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?)",
        )
        .bind(id)
        .bind(requester)
        .bind(channel)
        .bind(direction)
        .bind(state)
        .bind(state_at)
        .bind(created)
        .bind(agent)
        .bind(agent.map(|_| assigned))
        .bind(QUEUE_ID)
        .bind(queued)
        .bind(browser)
        .bind(parent)
        .bind((*requester == ANONYMIZED).then_some(anonymized_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
