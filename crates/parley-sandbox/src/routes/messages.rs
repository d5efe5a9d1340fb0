//! Message endpoints: send, sync, list, receipts, delete, info, metadata.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, ChannelRow, MessageRow, UserRow, SUPPORT_GROUP};
use crate::mqtt::events;
use crate::services::messages::{self as svc, NewMessage, Target};
use crate::services::receipts::{self, Mark};
use crate::state::SharedState;

/// May `caller` read and post in `channel`?
pub async fn can_access(
    state: &SharedState,
    caller: &Caller,
    channel: &ChannelRow,
) -> ApiResult<bool> {
    if caller.privileged || (channel.kind == SUPPORT_GROUP && caller.sees_all_support()) {
        return Ok(true);
    }
    Ok(
        model::active_member(&state.db, channel.id, caller.user_id())
            .await?
            .is_some(),
    )
}

async fn group_from_body(
    state: &SharedState,
    obj: &Map<String, Value>,
) -> ApiResult<Option<ChannelRow>> {
    let group_id = field::opt_i64(obj, "groupId")?;
    let client_group_id = field::opt_str(obj, "clientGroupId")?;
    if group_id.is_none() && client_group_id.is_none() {
        return Ok(None);
    }
    model::resolve_channel(&state.db, group_id, client_group_id.as_deref())
        .await
        .map(Some)
}

/// `POST /rest/ws/message/send` and `/message/v2/send`.
pub async fn send(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let file_meta = match obj.get("fileMeta") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(ApiError::bad_request("fileMeta must be an object")),
    };
    let content_type =
        field::opt_i64(&obj, "contentType")?.unwrap_or(if file_meta.is_some() { 1 } else { 0 });
    let text = match obj.get("message") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::bad_request("message must be a string")),
    };
    let source = field::opt_i64(&obj, "source")?.unwrap_or(1);
    let metadata = model::normalise_metadata(obj.get("metadata"))?;
    let conversation_id = field::opt_i64(&obj, "conversationId")?;
    let mut sender = caller.user.clone();
    if let Some(from) = field::opt_str(&obj, "fromUserName")? {
        if from != sender.user_id {
            if !(caller.privileged || caller.user.is_agent_like()) {
                return Err(ApiError::forbidden());
            }
            sender = model::require_user(&state.db, &from).await?;
        }
    }
    let target = match group_from_body(&state, &obj).await? {
        Some(channel) => {
            let member = model::active_member(&state.db, channel.id, &sender.user_id)
                .await?
                .is_some();
            let allowed = member
                || caller.privileged
                || (channel.kind == SUPPORT_GROUP && sender.is_agent_like());
            if !allowed {
                return Err(ApiError::forbidden());
            }
            Target::Group(channel)
        }
        None => {
            let to = field::opt_str(&obj, "to")?
                .ok_or_else(|| ApiError::bad_request("to, groupId or clientGroupId is required"))?;
            let recipient = model::require_user(&state.db, &to).await?;
            if recipient.user_id == sender.user_id {
                return Err(ApiError::bad_request("cannot send a message to yourself"));
            }
            if is_blocked(&state, &recipient.user_id, &sender.user_id).await? {
                return Err(ApiError::forbidden());
            }
            Target::User(recipient)
        }
    };
    let msg = NewMessage {
        device_key: if sender.user_id == caller.user.user_id {
            caller.device_key.clone()
        } else {
            None
        },
        sender,
        target,
        body: text,
        content_type,
        source,
        metadata,
        file_meta,
        conversation_id,
    };
    if let Some(id) = msg.conversation_id {
        crate::routes::topics::check_conversation(&state, id, &msg.sender.user_id).await?;
    }
    let row = svc::send(&state, msg).await?;
    Ok(ok(svc::send_response(&row)))
}

async fn is_blocked(state: &SharedState, blocker: &str, blocked: &str) -> ApiResult<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT user_blocked FROM blocks WHERE blocker_id = ? AND blocked_id = ?")
            .bind(blocker)
            .bind(blocked)
            .fetch_optional(&state.db)
            .await?;
    Ok(row.is_some_and(|(b,)| b != 0))
}

const VISIBLE: &str = "m.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM message_hidden h \
    WHERE h.message_id = m.id AND h.user_id = ?1)";

const MEMBERSHIP: &str = "(m.channel_id IN (SELECT channel_id FROM channel_users \
    WHERE user_id = ?1 AND removed_at IS NULL) OR m.sender_id = ?1 OR m.recipient_id = ?1)";

/// Agents (and bots) also sync every support conversation: they see the whole inbox.
const AGENT_MEMBERSHIP: &str = "(m.channel_id IN (SELECT channel_id FROM channel_users \
    WHERE user_id = ?1 AND removed_at IS NULL) OR m.sender_id = ?1 OR m.recipient_id = ?1 \
    OR m.channel_id IN (SELECT id FROM channels WHERE type = 10))";

/// `GET /rest/ws/message/sync?lastSyncTime=<ms>[&metadataUpdate=true]`: messages after the
/// cursor, newest first, with the next cursor in `lastSyncTime`. Agents also get the messages
/// of support conversations they are not a member of.
pub async fn sync(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let cursor = params.i64("lastSyncTime")?.unwrap_or(0).max(0);
    let metadata_update = params.bool("metadataUpdate")?.unwrap_or(false);
    let page = params.page_size("pageSize", 200, 1000)?;
    let generated = state.cursor_now().await;
    let column = if metadata_update {
        "updated_at"
    } else {
        "created_at"
    };
    let sql = format!(
        "SELECT {cols} FROM messages m WHERE m.{column} > ?2 AND m.{column} <= ?3 \
         AND {membership} AND NOT EXISTS (SELECT 1 FROM message_hidden h \
         WHERE h.message_id = m.id AND h.user_id = ?1) {deleted} \
         ORDER BY m.{column} ASC LIMIT ?4",
        cols = model::MESSAGE_COLUMNS,
        membership = if caller.sees_all_support() {
            AGENT_MEMBERSHIP
        } else {
            MEMBERSHIP
        },
        deleted = if metadata_update {
            ""
        } else {
            "AND m.deleted_at IS NULL"
        },
    );
    let mut rows: Vec<MessageRow> = sqlx::query_as(&sql)
        .bind(caller.user_id())
        .bind(cursor)
        .bind(generated)
        .bind(page)
        .fetch_all(&state.db)
        .await?;
    let next = if i64::try_from(rows.len()).unwrap_or(i64::MAX) >= page {
        rows.last()
            .map(|m| {
                if metadata_update {
                    m.updated_at
                } else {
                    m.created_at
                }
            })
            .unwrap_or(generated)
    } else {
        generated
    };
    rows.reverse();
    let messages = model::render_messages(&state.db, &rows, caller.user_id()).await?;
    Ok(Json(json!({
        "lastSyncTime": next,
        "currentSyncTime": generated,
        "messages": messages,
        "regIdInvalid": false,
        "deliveredMessageKeys": [],
    }))
    .into_response())
}

/// `GET /rest/ws/message/list` (also `v2`, `v3`): one thread (`userId` / `groupId` /
/// `clientGroupId`) or, without either, the latest message of each conversation.
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let viewer = caller.user_id().to_owned();
    let page = params.page_size("pageSize", 50, 200)?;
    let start_index = params.i64("startIndex")?.unwrap_or(0).max(0);
    let end_time = params.i64("endTime")?.unwrap_or(i64::MAX);
    let start_time = params.i64("startTime")?.unwrap_or(0);
    let group_id = params.i64("groupId")?;
    let client_group_id = params.str("clientGroupId");
    let rows: Vec<MessageRow> = if group_id.is_some() || client_group_id.is_some() {
        let channel = model::resolve_channel(&state.db, group_id, client_group_id).await?;
        if !can_access(&state, &caller, &channel).await? {
            return Err(ApiError::forbidden());
        }
        let sql = format!(
            "SELECT {} FROM messages m WHERE m.channel_id = ?2 AND {VISIBLE} \
             AND m.created_at < ?3 AND m.created_at > ?4 \
             ORDER BY m.created_at DESC LIMIT ?5 OFFSET ?6",
            model::MESSAGE_COLUMNS
        );
        sqlx::query_as(&sql)
            .bind(&viewer)
            .bind(channel.id)
            .bind(end_time)
            .bind(start_time)
            .bind(page)
            .bind(start_index)
            .fetch_all(&state.db)
            .await?
    } else if let Some(peer) = params.str("userId") {
        model::require_user(&state.db, peer).await?;
        let sql = format!(
            "SELECT {} FROM messages m WHERE m.recipient_id IS NOT NULL AND \
             ((m.sender_id = ?1 AND m.recipient_id = ?2) OR (m.sender_id = ?2 AND m.recipient_id = ?1)) \
             AND {VISIBLE} AND m.created_at < ?3 AND m.created_at > ?4 \
             ORDER BY m.created_at DESC LIMIT ?5 OFFSET ?6",
            model::MESSAGE_COLUMNS
        );
        sqlx::query_as(&sql)
            .bind(&viewer)
            .bind(peer)
            .bind(end_time)
            .bind(start_time)
            .bind(page)
            .bind(start_index)
            .fetch_all(&state.db)
            .await?
    } else {
        let main = params.page_size("mainPageSize", 60, 200)?;
        latest_per_conversation(&state, &viewer, end_time, main).await?
    };
    let body = thread_response(&state, &rows, &viewer).await?;
    Ok(Json(body).into_response())
}

async fn latest_per_conversation(
    state: &SharedState,
    viewer: &str,
    end_time: i64,
    limit: i64,
) -> ApiResult<Vec<MessageRow>> {
    let cols = model::MESSAGE_COLUMNS;
    let groups_sql = format!(
        "SELECT {cols} FROM channels c \
         JOIN channel_users cu ON cu.channel_id = c.id AND cu.user_id = ?1 AND cu.removed_at IS NULL \
         JOIN messages m ON m.id = (SELECT x.id FROM messages x WHERE x.channel_id = c.id \
              AND x.deleted_at IS NULL AND x.created_at < ?2 ORDER BY x.created_at DESC LIMIT 1) \
         WHERE c.deleted_at IS NULL ORDER BY m.created_at DESC LIMIT ?3"
    );
    let mut rows: Vec<MessageRow> = sqlx::query_as(&groups_sql)
        .bind(viewer)
        .bind(end_time)
        .bind(limit)
        .fetch_all(&state.db)
        .await?;
    let direct_sql = format!(
        "SELECT {cols} FROM messages m WHERE m.id IN (SELECT MAX(x.id) FROM messages x \
         WHERE x.recipient_id IS NOT NULL AND (x.sender_id = ?1 OR x.recipient_id = ?1) \
         AND x.deleted_at IS NULL AND x.created_at < ?2 \
         GROUP BY CASE WHEN x.sender_id = ?1 THEN x.recipient_id ELSE x.sender_id END) \
         ORDER BY m.created_at DESC LIMIT ?3"
    );
    rows.extend(
        sqlx::query_as::<_, MessageRow>(&direct_sql)
            .bind(viewer)
            .bind(end_time)
            .bind(limit)
            .fetch_all(&state.db)
            .await?,
    );
    rows.sort_by_key(|m| std::cmp::Reverse(m.created_at));
    rows.truncate(usize::try_from(limit).unwrap_or(60));
    Ok(rows)
}

/// `{message, userDetails, groupFeeds, conversationPxys}` for a set of messages.
pub async fn thread_response(
    state: &SharedState,
    rows: &[MessageRow],
    viewer: &str,
) -> ApiResult<Value> {
    let messages = model::render_messages(&state.db, rows, viewer).await?;
    // First-appearance order keeps responses deterministic.
    let mut seen_users: HashSet<&str> = HashSet::new();
    let mut user_ids: Vec<String> = Vec::new();
    let mut seen_channels: HashSet<i64> = HashSet::new();
    let mut channel_ids: Vec<i64> = Vec::new();
    for m in rows {
        for u in std::iter::once(m.sender_id.as_str()).chain(m.recipient_id.as_deref()) {
            if u != viewer && seen_users.insert(u) {
                user_ids.push(u.to_owned());
            }
        }
        if let Some(c) = m.channel_id {
            if seen_channels.insert(c) {
                channel_ids.push(c);
            }
        }
    }
    let users: Vec<Value> = model::users_by_ids(&state.db, &user_ids)
        .await?
        .iter()
        .map(UserRow::detail)
        .collect();
    let feeds = group_feeds(state, &channel_ids, viewer).await?;
    Ok(json!({
        "message": messages,
        "userDetails": users,
        "groupFeeds": feeds,
        "conversationPxys": [],
    }))
}

pub async fn group_feeds(state: &SharedState, ids: &[i64], viewer: &str) -> ApiResult<Vec<Value>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let channels = model::channels_by_ids(&state.db, ids).await?;
    let members = model::group_by_channel(model::members_of(&state.db, ids).await?);
    Ok(channels
        .iter()
        .map(|c| {
            c.feed(
                members.get(&c.id).map(Vec::as_slice).unwrap_or(&[]),
                Some(viewer),
            )
        })
        .collect())
}

/// `GET /rest/ws/message/read/conversation?userId=` or `?groupId=`.
pub async fn read_conversation(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let group_id = params.i64("groupId")?;
    let client_group_id = params.str("clientGroupId");
    if group_id.is_some() || client_group_id.is_some() {
        let channel = model::resolve_channel(&state.db, group_id, client_group_id).await?;
        if model::active_member(&state.db, channel.id, caller.user_id())
            .await?
            .is_some()
        {
            receipts::read_group(&state, caller.user_id(), &channel).await?;
        } else if !can_access(&state, &caller, &channel).await? {
            return Err(ApiError::forbidden());
        }
        // An agent reading a support conversation they are not in has nothing to mark.
    } else {
        let peer = params.required_str("userId")?;
        model::require_user(&state.db, peer).await?;
        receipts::read_direct(&state, caller.user_id(), peer).await?;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/message/read?key=`
pub async fn read_one(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    receipts::mark_message(&state, caller.user_id(), key, Mark::Read).await?;
    Ok(ok("success"))
}

/// `GET /rest/ws/message/delivered?key=&userId=`
pub async fn delivered(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    let user = match params.str("userId") {
        Some(u) if u != caller.user_id() && caller.privileged => u.to_owned(),
        _ => caller.user_id().to_owned(),
    };
    receipts::mark_message(&state, &user, key, Mark::Delivered).await?;
    Ok(ok("success"))
}

async fn participants(state: &SharedState, m: &MessageRow) -> ApiResult<Vec<String>> {
    match m.channel_id {
        Some(cid) => crate::services::groups::member_ids(state, cid).await,
        None => Ok(vec![
            m.sender_id.clone(),
            m.recipient_id.clone().unwrap_or_default(),
        ]),
    }
}

/// `GET /rest/ws/message/delete?key=[&deleteForAll=true]` (and `v2/delete`).
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    let for_all = params.bool("deleteForAll")?.unwrap_or(false);
    let m = model::find_message(&state.db, key)
        .await?
        .ok_or_else(ApiError::message_not_found)?;
    let viewer = caller.user_id();
    let is_participant = m.sender_id == viewer
        || m.recipient_id.as_deref() == Some(viewer)
        || match m.channel_id {
            Some(cid) => match model::find_channel(&state.db, cid).await? {
                Some(c) => can_access(&state, &caller, &c).await?,
                None => false,
            },
            None => false,
        };
    if !is_participant && !caller.privileged {
        return Err(ApiError::message_not_found());
    }
    let tab = match (&m.channel_id, &m.recipient_id) {
        (Some(cid), _) => (cid.to_string(), 1),
        (None, Some(r)) if r == viewer => (m.sender_id.clone(), 0),
        (None, Some(r)) => (r.clone(), 0),
        (None, None) => (String::new(), 0),
    };
    if for_all {
        if m.sender_id != viewer && !caller.privileged && !caller.user.is_agent_like() {
            return Err(ApiError::forbidden());
        }
        {
            let w = state.begin_write().await;
            let mut meta = match model::parse_map(&m.metadata) {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            meta.insert("AL_DELETE_GROUP_MESSAGE_FOR_ALL".into(), json!("true"));
            sqlx::query(
                "UPDATE messages SET deleted_at = ?1, updated_at = ?1, metadata = ?2 WHERE id = ?3",
            )
            .bind(w.now)
            .bind(Value::Object(meta).to_string())
            .bind(m.id)
            .execute(&state.db)
            .await?;
        }
        let everyone = participants(&state, &m).await?;
        state
            .notify_users(
                &everyone,
                events::MESSAGE_DELETED,
                json!(format!("{},{},{}", m.key, tab.0, tab.1)),
                false,
            )
            .await;
    } else {
        {
            let _w = state.begin_write().await;
            sqlx::query("INSERT OR IGNORE INTO message_hidden (message_id, user_id) VALUES (?, ?)")
                .bind(m.id)
                .bind(viewer)
                .execute(&state.db)
                .await?;
        }
        state
            .notify_user(
                viewer,
                events::MESSAGE_DELETED,
                json!(format!("{},{},{}", key, tab.0, tab.1)),
                false,
            )
            .await;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/message/info?key=`: per-recipient delivery and read state.
pub async fn info(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    let m = model::find_message(&state.db, key)
        .await?
        .ok_or_else(ApiError::message_not_found)?;
    let mut out = Vec::new();
    match m.channel_id {
        Some(cid) => {
            let channel = model::find_channel(&state.db, cid)
                .await?
                .ok_or_else(ApiError::group_not_found)?;
            if !can_access(&state, &caller, &channel).await? {
                return Err(ApiError::message_not_found());
            }
            for member in model::members_of(&state.db, &[cid]).await? {
                if member.user_id == m.sender_id || member.removed_at.is_some() {
                    continue;
                }
                out.push(receipt_json(
                    &member.user_id,
                    member.delivered_up_to.max(member.read_up_to) >= m.created_at,
                    member.delivered_at,
                    member.read_up_to >= m.created_at,
                    member.read_at,
                ));
            }
        }
        None => {
            let viewer = caller.user_id();
            if m.sender_id != viewer
                && m.recipient_id.as_deref() != Some(viewer)
                && !caller.privileged
            {
                return Err(ApiError::message_not_found());
            }
            let recipient = m.recipient_id.clone().unwrap_or_default();
            let row: Option<(i64, Option<i64>, i64, Option<i64>)> = sqlx::query_as(
                "SELECT read_up_to, read_at, delivered_up_to, delivered_at FROM direct_receipts \
                 WHERE user_id = ? AND peer_id = ?",
            )
            .bind(&recipient)
            .bind(&m.sender_id)
            .fetch_optional(&state.db)
            .await?;
            let (read_up_to, read_at, delivered_up_to, delivered_at) =
                row.unwrap_or((0, None, 0, None));
            out.push(receipt_json(
                &recipient,
                delivered_up_to.max(read_up_to) >= m.created_at,
                delivered_at,
                read_up_to >= m.created_at,
                read_at,
            ));
        }
    }
    Ok(ok(out))
}

fn receipt_json(
    user_id: &str,
    delivered: bool,
    delivered_at: Option<i64>,
    read: bool,
    read_at: Option<i64>,
) -> Value {
    let mut v = json!({"userId": user_id});
    if delivered {
        if let Some(t) = delivered_at.or(read_at) {
            v["deliveredAtTime"] = json!(t);
        }
    }
    if read {
        if let Some(t) = read_at {
            v["readAtTime"] = json!(t);
        }
    }
    v["status"] = json!(if read {
        1
    } else if delivered {
        4
    } else {
        3
    });
    v
}

/// `GET /rest/ws/message/detail?keys=a&keys=b`
pub async fn detail(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let keys = params.all("keys");
    if keys.is_empty() {
        return Err(ApiError::bad_request("keys is required"));
    }
    let mut rows = Vec::new();
    for key in keys.iter().take(200) {
        if let Some(m) = model::find_message(&state.db, key).await? {
            let visible = m.sender_id == caller.user_id()
                || m.recipient_id.as_deref() == Some(caller.user_id())
                || match m.channel_id {
                    Some(cid) => match model::find_channel(&state.db, cid).await? {
                        Some(c) => can_access(&state, &caller, &c).await?,
                        None => false,
                    },
                    None => caller.privileged,
                };
            if visible {
                rows.push(m);
            }
        }
    }
    let body = thread_response(&state, &rows, caller.user_id()).await?;
    Ok(ok(body))
}

/// `POST /rest/ws/message/update/metadata {key, metadata}`: merges and sends APPLOZIC_33.
pub async fn update_metadata(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let key =
        field::opt_str(&obj, "key")?.ok_or_else(|| ApiError::bad_request("key is required"))?;
    let extra = model::normalise_metadata(obj.get("metadata"))?;
    let m = model::find_message(&state.db, &key)
        .await?
        .ok_or_else(ApiError::message_not_found)?;
    let allowed = m.sender_id == caller.user_id()
        || caller.privileged
        || caller.user.is_agent_like()
        || m.recipient_id.as_deref() == Some(caller.user_id());
    if !allowed {
        return Err(ApiError::forbidden());
    }
    {
        let w = state.begin_write().await;
        let mut meta = match model::parse_map(&m.metadata) {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        meta.extend(extra);
        sqlx::query("UPDATE messages SET metadata = ?, updated_at = ? WHERE id = ?")
            .bind(Value::Object(meta).to_string())
            .bind(w.now)
            .bind(m.id)
            .execute(&state.db)
            .await?;
    }
    let updated = model::find_message(&state.db, &m.key)
        .await?
        .ok_or_else(ApiError::message_not_found)?;
    let everyone = participants(&state, &updated).await?;
    let ctx = model::ReceiptContext::load(&state.db, std::slice::from_ref(&updated)).await?;
    for user in everyone {
        let rendered = ctx.render(&updated, &user);
        state
            .notify_user(&user, events::MESSAGE_METADATA_UPDATE, rendered, false)
            .await;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/message/delete/conversation?userId=|groupId=`: hides the thread for the caller.
pub async fn delete_conversation(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let viewer = caller.user_id().to_owned();
    let group_id = params.i64("groupId")?;
    let client_group_id = params.str("clientGroupId");
    let _w = state.begin_write().await;
    if group_id.is_some() || client_group_id.is_some() {
        let channel = model::resolve_channel(&state.db, group_id, client_group_id).await?;
        sqlx::query(
            "INSERT OR IGNORE INTO message_hidden (message_id, user_id) \
             SELECT id, ?1 FROM messages WHERE channel_id = ?2",
        )
        .bind(&viewer)
        .bind(channel.id)
        .execute(&state.db)
        .await?;
    } else {
        let peer = params.required_str("userId")?;
        sqlx::query(
            "INSERT OR IGNORE INTO message_hidden (message_id, user_id) \
             SELECT id, ?1 FROM messages WHERE recipient_id IS NOT NULL AND \
             ((sender_id = ?1 AND recipient_id = ?2) OR (sender_id = ?2 AND recipient_id = ?1))",
        )
        .bind(&viewer)
        .bind(peer)
        .execute(&state.db)
        .await?;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/message/delete/all`: hides every conversation for the caller.
pub async fn delete_all(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    let _w = state.begin_write().await;
    let sql = format!(
        "INSERT OR IGNORE INTO message_hidden (message_id, user_id) \
         SELECT m.id, ?1 FROM messages m WHERE {MEMBERSHIP}"
    );
    sqlx::query(&sql)
        .bind(caller.user_id())
        .execute(&state.db)
        .await?;
    Ok("success".into_response())
}

/// `POST /rest/ws/user/messages/delete?days=N`: hides messages older than N days.
pub async fn delete_older_than(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let days = params
        .i64("days")?
        .ok_or_else(|| ApiError::bad_request("days is required"))?;
    if !(0..=36_500).contains(&days) {
        return Err(ApiError::bad_request("days must be between 0 and 36500"));
    }
    let w = state.begin_write().await;
    let before = w.now - days * 86_400_000;
    let sql = format!(
        "INSERT OR IGNORE INTO message_hidden (message_id, user_id) \
         SELECT m.id, ?1 FROM messages m WHERE m.created_at < ?2 AND {MEMBERSHIP}"
    );
    sqlx::query(&sql)
        .bind(caller.user_id())
        .bind(before)
        .execute(&state.db)
        .await?;
    Ok(ok("success"))
}

/// `GET /rest/ws/user/read`: resets the caller's unread counters.
pub async fn reset_unread(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    let w = state.begin_write().await;
    sqlx::query(
        "UPDATE channel_users SET unread_count = 0, read_up_to = MAX(read_up_to, ?1), read_at = ?1 \
         WHERE user_id = ?2",
    )
    .bind(w.now)
    .bind(caller.user_id())
    .execute(&state.db)
    .await?;
    Ok(ok("success"))
}

/// `POST /rest/ws/message/sendall`: broadcast to users and/or groups (at most 50 each).
pub async fn send_all(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let users = field::str_list(&obj, "userNames")?;
    let groups = field::str_list(&obj, "clientGroupIds")?;
    if users.is_empty() && groups.is_empty() {
        return Err(ApiError::bad_request(
            "userNames or clientGroupIds is required",
        ));
    }
    if users.len() > 50 || groups.len() > 50 {
        return Err(ApiError::bad_request(
            "at most 50 userNames and 50 clientGroupIds",
        ));
    }
    let Some(Value::Object(template)) = obj.get("messageObject") else {
        return Err(ApiError::bad_request("messageObject is required"));
    };
    let text = field::opt_str(template, "message")?.unwrap_or_default();
    let metadata = model::normalise_metadata(template.get("metadata"))?;
    let content_type = field::opt_i64(template, "contentType")?.unwrap_or(0);
    let mut targets = Vec::new();
    for u in &users {
        targets.push(Target::User(model::require_user(&state.db, u).await?));
    }
    for g in &groups {
        let channel = model::resolve_channel(&state.db, None, Some(g)).await?;
        if !can_access(&state, &caller, &channel).await? {
            return Err(ApiError::forbidden());
        }
        targets.push(Target::Group(channel));
    }
    let mut keys = Vec::new();
    for target in targets {
        let row = svc::send(
            &state,
            NewMessage {
                sender: caller.user.clone(),
                device_key: caller.device_key.clone(),
                target,
                body: text.clone(),
                content_type,
                source: 1,
                metadata: metadata.clone(),
                file_meta: None,
                conversation_id: None,
            },
        )
        .await?;
        keys.push(row.key);
    }
    Ok(ok(json!({"messageKeys": keys})))
}
