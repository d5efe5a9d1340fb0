//! Creating and updating users.

use serde_json::{Map, Value};
use sqlx::SqliteConnection;

use crate::auth::hash_password;
use crate::error::{ApiError, ApiResult};
use crate::model::role;

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub user_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub image_link: Option<String>,
    pub password: Option<String>,
    pub role_type: i64,
    pub user_type_id: Option<i64>,
    pub metadata: Map<String, Value>,
}

impl NewUser {
    pub fn plain(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            role_type: role::USER,
            ..Self::default()
        }
    }
}

/// A user id must be non-empty, at most 250 characters and free of control characters.
pub fn validate_user_id(user_id: &str) -> ApiResult<()> {
    if user_id.trim().is_empty() {
        return Err(ApiError::bad_request("userId is required"));
    }
    if user_id.chars().count() > 250 || user_id.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid userId"));
    }
    Ok(())
}

pub async fn insert_user(conn: &mut SqliteConnection, user: &NewUser, now: i64) -> ApiResult<()> {
    validate_user_id(&user.user_id)?;
    let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE user_id = ?")
        .bind(&user.user_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Err(ApiError::user_exists());
    }
    sqlx::query(
        "INSERT INTO users (user_id, user_key, display_name, email, phone, image_link, \
         password_hash, role_type, user_type_id, metadata, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.user_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&user.display_name)
    .bind(&user.email)
    .bind(&user.phone)
    .bind(&user.image_link)
    .bind(user.password.as_deref().map(hash_password))
    .bind(user.role_type)
    .bind(user.user_type_id)
    .bind(Value::Object(user.metadata.clone()).to_string())
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates a plain user if missing (Kommunicate creates unknown members of a conversation).
pub async fn ensure_user(conn: &mut SqliteConnection, user_id: &str, now: i64) -> ApiResult<()> {
    let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE user_id = ?")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        insert_user(conn, &NewUser::plain(user_id), now).await?;
    }
    Ok(())
}

/// Maps the SDKs' `roleName` to a `roleType`.
pub fn role_from_name(name: &str) -> Option<i64> {
    match name.to_ascii_uppercase().as_str() {
        "BOT" => Some(role::BOT),
        "APPLICATION_ADMIN" | "ADMIN" => Some(role::APPLICATION_ADMIN),
        "USER" => Some(role::USER),
        "AGENT" | "APPLICATION_WEB_ADMIN" | "SUPPORT" => Some(role::AGENT),
        _ => None,
    }
}
