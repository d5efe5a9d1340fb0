//! Delivery and read receipts, kept as watermarks: per (group, member) and per (reader, peer).

use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::model::{self, ChannelRow};
use crate::mqtt::events;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Delivered,
    Read,
}

/// One message delivered to / read by `user_id`; APPLOZIC_04 / APPLOZIC_08 to the sender.
pub async fn mark_message(state: &AppState, user_id: &str, key: &str, mark: Mark) -> ApiResult<()> {
    let m = model::find_message(&state.db, key)
        .await?
        .ok_or_else(ApiError::message_not_found)?;
    if m.sender_id == user_id {
        return Ok(());
    }
    {
        let w = state.begin_write().await;
        let mut tx = state.db.begin().await?;
        if let Some(cid) = m.channel_id {
            let changed = match mark {
                Mark::Delivered => {
                    sqlx::query(
                        "UPDATE channel_users SET delivered_up_to = ?1, delivered_at = ?2 \
                         WHERE channel_id = ?3 AND user_id = ?4 AND delivered_up_to < ?1",
                    )
                    .bind(m.created_at)
                    .bind(w.now)
                    .bind(cid)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                }
                Mark::Read => {
                    sqlx::query(
                        "UPDATE channel_users SET read_up_to = ?1, read_at = ?2, \
                         delivered_up_to = MAX(delivered_up_to, ?1), \
                         delivered_at = COALESCE(delivered_at, ?2), \
                         unread_count = (SELECT COUNT(*) FROM messages \
                            WHERE channel_id = ?3 AND created_at > ?1 AND sender_id <> ?4 \
                            AND deleted_at IS NULL) \
                         WHERE channel_id = ?3 AND user_id = ?4 AND read_up_to < ?1",
                    )
                    .bind(m.created_at)
                    .bind(w.now)
                    .bind(cid)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if changed.rows_affected() == 0 {
                // Not a member, or already marked: nothing to tell anyone.
                tx.commit().await?;
                return Ok(());
            }
        } else {
            if m.recipient_id.as_deref() != Some(user_id) {
                return Err(ApiError::forbidden());
            }
            upsert_direct(&mut tx, user_id, &m.sender_id, m.created_at, w.now, mark).await?;
        }
        tx.commit().await?;
    }
    let kind = match mark {
        Mark::Delivered => events::MESSAGE_DELIVERED,
        Mark::Read => events::MESSAGE_DELIVERED_AND_READ,
    };
    state
        .notify_user(
            &m.sender_id,
            kind,
            json!(format!("{},{}", m.key, user_id)),
            false,
        )
        .await;
    Ok(())
}

async fn upsert_direct(
    conn: &mut sqlx::SqliteConnection,
    reader: &str,
    peer: &str,
    up_to: i64,
    now: i64,
    mark: Mark,
) -> ApiResult<()> {
    let sql = match mark {
        Mark::Delivered => {
            "INSERT INTO direct_receipts (user_id, peer_id, delivered_up_to, delivered_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, peer_id) DO UPDATE SET \
             delivered_up_to = MAX(delivered_up_to, ?3), delivered_at = ?4"
        }
        Mark::Read => {
            "INSERT INTO direct_receipts (user_id, peer_id, read_up_to, read_at, \
             delivered_up_to, delivered_at) VALUES (?1, ?2, ?3, ?4, ?3, ?4) \
             ON CONFLICT (user_id, peer_id) DO UPDATE SET read_up_to = MAX(read_up_to, ?3), \
             read_at = ?4, delivered_up_to = MAX(delivered_up_to, ?3), \
             delivered_at = COALESCE(delivered_at, ?4)"
        }
    };
    sqlx::query(sql)
        .bind(reader)
        .bind(peer)
        .bind(up_to)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks a whole group read for `user_id`; APPLOZIC_21 to the reader's devices.
pub async fn read_group(state: &AppState, user_id: &str, channel: &ChannelRow) -> ApiResult<()> {
    {
        let w = state.begin_write().await;
        let done = sqlx::query(
            "UPDATE channel_users SET read_up_to = ?1, read_at = ?1, \
             delivered_up_to = MAX(delivered_up_to, ?1), delivered_at = COALESCE(delivered_at, ?1), \
             unread_count = 0 WHERE channel_id = ?2 AND user_id = ?3 AND removed_at IS NULL",
        )
        .bind(w.now)
        .bind(channel.id)
        .bind(user_id)
        .execute(&state.db)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::forbidden());
        }
    }
    state
        .notify_user(
            user_id,
            events::GROUP_CONVERSATION_READ,
            json!(channel.id.to_string()),
            false,
        )
        .await;
    Ok(())
}

/// Marks a 1:1 chat read: APPLOZIC_10 to the peer, APPLOZIC_09 to the reader's devices.
pub async fn read_direct(state: &AppState, reader: &str, peer: &str) -> ApiResult<()> {
    {
        let w = state.begin_write().await;
        let mut conn = state.db.acquire().await?;
        upsert_direct(&mut conn, reader, peer, w.now, w.now, Mark::Read).await?;
    }
    state
        .notify_user(
            peer,
            events::CONVERSATION_DELIVERED_AND_READ,
            json!(reader),
            false,
        )
        .await;
    state
        .notify_user(reader, events::CONVERSATION_READ, json!(peer), false)
        .await;
    Ok(())
}
