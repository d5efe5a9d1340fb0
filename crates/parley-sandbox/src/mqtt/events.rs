//! Notification envelopes `{id, type, message, notifyUser}` and their fan-out.

use serde_json::{json, Value};
use sqlx::SqlitePool;

use crate::error::ApiResult;
use crate::state::AppState;

pub const MESSAGE_RECEIVED: &str = "APPLOZIC_01";
pub const MESSAGE_SENT: &str = "APPLOZIC_02";
pub const MESSAGE_DELIVERED: &str = "APPLOZIC_04";
pub const MESSAGE_DELETED: &str = "APPLOZIC_05";
pub const MESSAGE_DELIVERED_AND_READ: &str = "APPLOZIC_08";
pub const CONVERSATION_READ: &str = "APPLOZIC_09";
pub const CONVERSATION_DELIVERED_AND_READ: &str = "APPLOZIC_10";
pub const USER_CONNECTED: &str = "APPLOZIC_11";
pub const USER_DISCONNECTED: &str = "APPLOZIC_12";
pub const GROUP_SYNC: &str = "APPLOZIC_15";
pub const USER_BLOCKED: &str = "APPLOZIC_16";
pub const USER_UN_BLOCKED: &str = "APPLOZIC_17";
pub const GROUP_CONVERSATION_READ: &str = "APPLOZIC_21";
pub const GROUP_CONVERSATION_DELETED: &str = "APPLOZIC_23";
pub const USER_ONLINE_STATUS: &str = "APPLOZIC_25";
pub const USER_DETAIL_CHANGED: &str = "APPLOZIC_30";
pub const MESSAGE_METADATA_UPDATE: &str = "APPLOZIC_33";
pub const USER_MUTE_NOTIFICATION: &str = "APPLOZIC_37";
pub const GROUP_MUTE_NOTIFICATION: &str = "APPLOZIC_39";
pub const GROUP_UPDATE: &str = "APPLOZIC_42";

pub fn envelope(kind: &str, message: Value, notify_user: bool) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
    body.insert("type".into(), json!(kind));
    body.insert("message".into(), message);
    body.insert("notifyUser".into(), json!(notify_user));
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

impl AppState {
    /// Publishes one envelope to each user's `<userKey>` topic.
    pub async fn notify_users(
        &self,
        user_ids: &[String],
        kind: &str,
        message: Value,
        notify: bool,
    ) {
        let keys = match user_keys(&self.db, user_ids).await {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "could not resolve user keys for a notification");
                return;
            }
        };
        let payload = envelope(kind, message, notify);
        for key in keys {
            self.bus.publish(&key, payload.clone()).await;
        }
    }

    pub async fn notify_user(&self, user_id: &str, kind: &str, message: Value, notify: bool) {
        self.notify_users(&[user_id.to_owned()], kind, message, notify)
            .await;
    }

    /// Publishes on `support-channel-<appKey>` (agents' app-wide feed).
    pub async fn notify_support(&self, kind: &str, message: Value, notify: bool) {
        let topic = self.bus.support_topic();
        self.bus
            .publish(&topic, envelope(kind, message, notify))
            .await;
    }
}

pub async fn user_keys(db: &SqlitePool, user_ids: &[String]) -> ApiResult<Vec<String>> {
    let users = crate::model::users_by_ids(db, user_ids).await?;
    Ok(users.into_iter().map(|u| u.user_key).collect())
}

/// Users who share a live group with `user_id` or have a 1:1 chat with them (capped, so a
/// presence change of an agent in 100k conversations stays cheap).
pub async fn contacts_of(db: &SqlitePool, user_id: &str) -> ApiResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT b.user_id FROM channel_users a \
         JOIN channel_users b ON a.channel_id = b.channel_id \
         WHERE a.user_id = ?1 AND a.removed_at IS NULL AND b.removed_at IS NULL \
           AND b.user_id <> ?1 \
         UNION \
         SELECT DISTINCT CASE WHEN sender_id = ?1 THEN recipient_id ELSE sender_id END \
         FROM messages WHERE recipient_id IS NOT NULL AND (sender_id = ?1 OR recipient_id = ?1) \
         LIMIT 2000",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}
