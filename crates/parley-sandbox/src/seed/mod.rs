//! Seed data: the accounts every sandbox has, `--seed demo` and `--seed scale`.

mod demo;
pub mod dixa;
mod scale;
pub mod text;
pub mod wapikit;

use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::auth::hash_password;
use crate::model::role;
use crate::state::AppState;
use crate::{Credentials, SeedConfig};

pub const BOT_USER_ID: &str = "parley-bot";
pub const BOT_PASSWORD: &str = "bot-password";
pub const AGENT_PASSWORD: &str = "agent-password";
pub const CUSTOMER_PASSWORD: &str = "customer-password";

pub const AGENTS: &[(&str, &str)] = &[
    ("alice@parley.test", "Alice Martin"),
    ("bob@parley.test", "Bob Okoye"),
    ("carol@parley.test", "Carol Jensen"),
];

#[derive(Debug, Clone)]
pub struct Accounts {
    pub agents: Vec<Credentials>,
    pub customers: Vec<Credentials>,
    pub bot: Credentials,
    pub dixa_token: String,
    /// The demo WapiKit API key (`x-access-token`), of the first member.
    pub wapikit_key: String,
}

/// A user row to insert in bulk.
#[derive(Debug, Clone)]
pub(crate) struct SeedUser {
    pub user_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
    pub role_type: i64,
    pub metadata: Map<String, Value>,
    pub created_at: i64,
}

pub(crate) async fn insert_users(
    conn: &mut SqliteConnection,
    users: &[SeedUser],
) -> anyhow::Result<()> {
    for chunk in users.chunks(200) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO users (user_id, user_key, display_name, email, phone, image_link, \
             password_hash, role_type, metadata, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, u| {
            b.push_bind(&u.user_id)
                .push_bind(user_key_for(&u.user_id))
                .push_bind(&u.display_name)
                .push_bind(&u.email)
                .push_bind(&u.phone)
                .push_bind(format!(
                    "https://example.invalid/avatars/{}.png",
                    u.user_id.replace(['@', '.'], "_")
                ))
                .push_bind(u.password.as_deref().map(hash_password))
                .push_bind(u.role_type)
                .push_bind(Value::Object(u.metadata.clone()).to_string())
                .push_bind(u.created_at)
                .push_bind(u.created_at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deterministic user keys for seeded users (registered users get random ones).
pub(crate) fn user_key_for(user_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let h2 = h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        h & 0xfff,
        h2 & 0xfff,
        h2 >> 16 & 0xffff_ffff_ffff
    )
}

pub(crate) fn base_users(now: i64) -> Vec<SeedUser> {
    let mut users = vec![SeedUser {
        user_id: BOT_USER_ID.to_owned(),
        display_name: "Parley Bot".to_owned(),
        email: None,
        phone: None,
        password: Some(BOT_PASSWORD.to_owned()),
        role_type: role::BOT,
        metadata: Map::new(),
        created_at: now - 90 * 86_400_000,
    }];
    for (i, (id, name)) in AGENTS.iter().enumerate() {
        users.push(SeedUser {
            user_id: (*id).to_owned(),
            display_name: (*name).to_owned(),
            email: Some((*id).to_owned()),
            phone: None,
            password: Some(AGENT_PASSWORD.to_owned()),
            role_type: role::AGENT,
            metadata: Map::from_iter([(
                "KM_AGENT_LEVEL".to_owned(),
                json!(if i == 0 { "admin" } else { "agent" }),
            )]),
            created_at: now - 80 * 86_400_000 + i as i64,
        });
    }
    users
}

fn agent_credentials() -> Vec<Credentials> {
    AGENTS
        .iter()
        .map(|(id, _)| Credentials {
            user_id: (*id).to_owned(),
            password: AGENT_PASSWORD.to_owned(),
        })
        .collect()
}

/// Seeds the database (always: the application bot).
pub async fn run(state: &AppState, seed: &SeedConfig) -> anyhow::Result<Accounts> {
    let bot = Credentials {
        user_id: BOT_USER_ID.to_owned(),
        password: BOT_PASSWORD.to_owned(),
    };
    let existing: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE user_id = ?")
        .bind(BOT_USER_ID)
        .fetch_optional(&state.db)
        .await?;
    if existing.is_some() {
        // A persistent database that was seeded before: keep it as it is.
        let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(created_at) FROM messages")
            .fetch_one(&state.db)
            .await?;
        state.clock.advance_past(max.unwrap_or(0));
        let dixa_token = dixa::ensure(&state.db, seed, crate::clock::wall_ms()).await?;
        let wapikit_key = wapikit::ensure(
            &state.db,
            &state.wapikit.keys,
            seed,
            crate::clock::wall_ms(),
        )
        .await?;
        return Ok(Accounts {
            agents: agent_credentials(),
            customers: demo::customer_credentials(),
            bot,
            dixa_token,
            wapikit_key,
        });
    }
    let now = crate::clock::wall_ms();
    let dixa_token = dixa::ensure(&state.db, seed, now).await?;
    let wapikit_key = wapikit::ensure(&state.db, &state.wapikit.keys, seed, now).await?;
    match seed {
        SeedConfig::None => {
            let mut conn = state.db.acquire().await?;
            let bot_only: Vec<SeedUser> = base_users(now).into_iter().take(1).collect();
            insert_users(&mut conn, &bot_only).await?;
            Ok(Accounts {
                agents: Vec::new(),
                customers: Vec::new(),
                bot,
                dixa_token,
                wapikit_key,
            })
        }
        SeedConfig::Demo => {
            let last = demo::seed(state, now).await?;
            state.clock.advance_past(last);
            Ok(Accounts {
                agents: agent_credentials(),
                customers: demo::customer_credentials(),
                bot,
                dixa_token,
                wapikit_key,
            })
        }
        SeedConfig::Scale {
            conversations,
            messages,
        } => {
            let last = scale::seed(state, now, *conversations, *messages).await?;
            state.clock.advance_past(last);
            Ok(Accounts {
                agents: agent_credentials(),
                customers: Vec::new(),
                bot,
                dixa_token,
                wapikit_key,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_user_keys_are_stable_and_distinct() {
        assert_eq!(user_key_for("a"), user_key_for("a"));
        assert_ne!(user_key_for("a"), user_key_for("b"));
        assert_eq!(user_key_for("customer-001").len(), 36);
    }
}
