//! Sending messages and fanning them out.

use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::model::{self, ChannelRow, MessageRow, ReceiptContext, UserRow, SUPPORT_GROUP};
use crate::mqtt::events;
use crate::state::AppState;

pub const MAX_MESSAGE_CHARS: usize = 100_000;

#[derive(Debug, Clone)]
pub enum Target {
    Group(ChannelRow),
    User(UserRow),
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: UserRow,
    pub device_key: Option<String>,
    pub target: Target,
    pub body: String,
    pub content_type: i64,
    pub source: i64,
    pub metadata: Map<String, Value>,
    pub file_meta: Option<Value>,
    pub conversation_id: Option<i64>,
}

/// Stores the message and publishes APPLOZIC_01 to the recipients (and the support channel for
/// support groups) and APPLOZIC_02 to the sender's other devices.
pub async fn send(state: &AppState, msg: NewMessage) -> ApiResult<MessageRow> {
    if msg.body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::too_large("message is too long"));
    }
    if msg.body.is_empty() && msg.file_meta.is_none() && msg.metadata.is_empty() {
        return Err(ApiError::bad_request("message is required"));
    }
    let id = {
        let w = state.begin_write().await;
        let now = w.now;
        let mut tx = state.db.begin().await?;
        let (key, paired, channel_id, recipient) = match &msg.target {
            Target::Group(c) => (format!("5-{}-{}", c.id, now), None, Some(c.id), None),
            Target::User(u) => (
                format!("5-{}-{}", msg.sender.user_key, now),
                Some(format!("4-{}-{}", msg.sender.user_key, now)),
                None,
                Some(u.user_id.clone()),
            ),
        };
        let id: (i64,) = sqlx::query_as(
            "INSERT INTO messages (key, paired_key, channel_id, sender_id, recipient_id, body, \
             content_type, source, metadata, file_meta, device_key, conversation_id, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&key)
        .bind(&paired)
        .bind(channel_id)
        .bind(&msg.sender.user_id)
        .bind(&recipient)
        .bind(&msg.body)
        .bind(msg.content_type)
        .bind(msg.source)
        .bind(Value::Object(msg.metadata.clone()).to_string())
        .bind(msg.file_meta.as_ref().map(Value::to_string))
        .bind(&msg.device_key)
        .bind(msg.conversation_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(cid) = channel_id {
            sqlx::query("UPDATE channels SET last_message_at = ? WHERE id = ?")
                .bind(now)
                .bind(cid)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE channel_users SET unread_count = unread_count + 1 \
                 WHERE channel_id = ? AND user_id <> ? AND removed_at IS NULL",
            )
            .bind(cid)
            .bind(&msg.sender.user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE channel_users SET read_up_to = ?1, delivered_up_to = ?1, unread_count = 0 \
                 WHERE channel_id = ?2 AND user_id = ?3",
            )
            .bind(now)
            .bind(cid)
            .bind(&msg.sender.user_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE users SET last_message_at = ?1 WHERE user_id = ?2 OR user_id = ?3")
            .bind(now)
            .bind(&msg.sender.user_id)
            .bind(recipient.as_deref().unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        id.0
    };

    let sql = format!(
        "SELECT {} FROM messages m WHERE m.id = ?",
        model::MESSAGE_COLUMNS
    );
    let row: MessageRow = sqlx::query_as(&sql).bind(id).fetch_one(&state.db).await?;
    publish_new(state, &row, &msg.target).await?;
    Ok(row)
}

async fn publish_new(state: &AppState, row: &MessageRow, target: &Target) -> ApiResult<()> {
    let ctx = ReceiptContext::load(&state.db, std::slice::from_ref(row)).await?;
    let recipients: Vec<String> = match target {
        Target::Group(c) => crate::services::groups::member_ids(state, c.id)
            .await?
            .into_iter()
            .filter(|u| *u != row.sender_id)
            .collect(),
        Target::User(u) => vec![u.user_id.clone()],
    };
    let meta = model::parse_map(&row.metadata);
    let flag = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_owned);
    // Hidden messages and silent group actions do not alert.
    let hidden = flag("category").as_deref() == Some("HIDDEN")
        || flag("show").as_deref() == Some("false")
        || flag("hide").as_deref() == Some("true");
    // Every recipient sees the same inbound rendering (type 4, unread).
    let as_recipient = ctx.render(row, "\u{0}recipient");
    state
        .notify_users(
            &recipients,
            events::MESSAGE_RECEIVED,
            as_recipient.clone(),
            !hidden,
        )
        .await;
    state
        .notify_user(
            &row.sender_id,
            events::MESSAGE_SENT,
            ctx.render(row, &row.sender_id),
            false,
        )
        .await;
    if let Target::Group(c) = target {
        if c.kind == SUPPORT_GROUP {
            state
                .notify_support(events::MESSAGE_RECEIVED, as_recipient, !hidden)
                .await;
        }
    }
    Ok(())
}

/// The `message/send` response body.
pub fn send_response(row: &MessageRow) -> Value {
    let mut v = json!({
        "messageKey": row.key,
        "createdAt": row.created_at,
    });
    if let Some(c) = row.conversation_id {
        v["conversationId"] = json!(c);
    }
    v
}
