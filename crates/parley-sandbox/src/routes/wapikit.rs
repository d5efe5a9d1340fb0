//! WapiKit's API (`/api/...`, see `shared/api-docs/wapikit-conversation-api.txt` and WapiKit's
//! `spec.openapi.yaml`): the key's user, organisation members and tags, contacts,
//! conversations (list, get, update status, delete, assign, unassign, mark read), their
//! messages (list, send), every message of the organisation, and the SSE event stream. Plus
//! the sandbox's own admin routes that play the WhatsApp customer
//! (`/admin/wapikit/inbound`, `/admin/wapikit/messages`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use futures::StreamExt as _;
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::extract::{Body, Params};
use crate::state::SharedState;
use crate::wapikit::auth::caller_of_key;
use crate::wapikit::model::{
    self, ConversationRow, MessageRow, CONVERSATION_COLUMNS, CONVERSATION_STATUSES, MESSAGE_COLUMNS,
};
use crate::wapikit::{iso_ms, WkBusEvent, WkCaller, WkError, WkResult};

/// The largest page (`per_page` above it is a 400, as in WapiKit).
const MAX_PER_PAGE: i64 = 50;
/// Keep-alive comments on the event stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The `/api` routes (nested by `routes::router`).
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/user", get(user))
        .route("/organization/members", get(members))
        .route("/organization/tags", get(tags))
        .route("/contacts", get(contacts))
        .route("/contacts/{id}", get(contact))
        .route("/conversations", get(conversations))
        .route(
            "/conversation/{id}",
            get(conversation).post(update).delete(delete),
        )
        .route("/conversation/{id}/assign", post(assign))
        .route("/conversation/{id}/unassign", post(unassign))
        .route(
            "/conversation/{id}/messages",
            get(conversation_messages).post(send),
        )
        .route("/conversation/{id}/read", post(mark_read))
        .route("/messages", get(all_messages))
        .route("/events", get(events))
        .fallback(|| async { WkError::new(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            WkError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
}

/// The sandbox's admin routes (nested under `/admin/wapikit`).
pub fn admin_router() -> Router<SharedState> {
    Router::new()
        .route("/inbound", post(admin_inbound))
        .route("/messages", get(admin_messages))
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

fn uuid_of(raw: &str, what: &str) -> WkResult<String> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| WkError::bad_request(format!("invalid {what} id")))
}

fn path_id(path: Result<Path<String>, PathRejection>, what: &str) -> WkResult<String> {
    let Path(raw) = path.map_err(|_| WkError::bad_request(format!("{what} id is required")))?;
    uuid_of(&raw, what)
}

fn body_object(body: Result<Body, ApiError>) -> WkResult<Map<String, Value>> {
    let body = body?;
    if body.is_empty() {
        return Err(WkError::bad_request("request body is required"));
    }
    match serde_json::from_slice::<Value>(&body.0) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(WkError::bad_request("request body must be a JSON object")),
        Err(e) => Err(WkError::bad_request(format!("invalid JSON body: {e}"))),
    }
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> WkResult<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(WkError::bad_request(format!("{key} must be a string"))),
    }
}

/// `page` (from 1) and `per_page` (1 to 50): required, as in WapiKit.
fn paging(p: &Params) -> WkResult<(i64, i64)> {
    let num = |k: &str| {
        p.str(k)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let (page, per_page) = (num("page"), num("per_page"));
    if page < 1 || !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(WkError::bad_request("Invalid page or perPage value"));
    }
    Ok((page, per_page))
}

/// `order=asc|desc`; `default` when absent.
fn order(p: &Params, default: &'static str) -> WkResult<&'static str> {
    match p.str("order").map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("asc") => Ok("ASC"),
        Some("desc") => Ok("DESC"),
        Some(_) => Err(WkError::bad_request("invalid order: use asc or desc")),
    }
}

fn meta(page: i64, per_page: i64, total: i64) -> Value {
    json!({"page": page, "per_page": per_page, "total": total})
}

async fn require_conversation(
    conn: &mut SqliteConnection,
    caller: &WkCaller,
    id: &str,
) -> WkResult<ConversationRow> {
    model::find_conversation(conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| WkError::not_found("conversation"))
}

// ---- user, members, tags, contacts ----------------------------------------------------------

/// `GET /api/user` → `{user}`: the key's user, with the organisation and access level.
pub async fn user(State(state): State<SharedState>, caller: WkCaller) -> WkResult<Response> {
    let row: (
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
        String,
        i64,
    ) = sqlx::query_as(
        "SELECT u.id, u.username, u.email, u.name, u.created_at, m.access_level, o.id, o.name, \
         o.created_at FROM wapikit_users u JOIN wapikit_members m ON m.user_id = u.id \
         JOIN wapikit_orgs o ON o.id = m.org_id WHERE m.id = ?",
    )
    .bind(&caller.member_id)
    .fetch_one(&state.db)
    .await?;
    let (id, username, email, name, created, level, org_id, org_name, org_created) = row;
    Ok(ok(json!({"user": {
        "uniqueId": id,
        "username": username,
        "email": email,
        "name": name,
        "createdAt": iso_ms(created),
        "currentOrganizationAccessLevel": level,
        "isOwner": level == "Owner",
        "organization": {"uniqueId": org_id, "name": org_name, "createdAt": iso_ms(org_created)},
    }})))
}

/// `GET /api/organization/members?page&per_page` → `{members, paginationMeta}`.
pub async fn members(
    State(state): State<SharedState>,
    caller: WkCaller,
    params: Params,
) -> WkResult<Response> {
    let (page, per_page) = paging(&params)?;
    let mut conn = state.db.acquire().await?;
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM wapikit_members WHERE org_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
    )
    .bind(&caller.org_id)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&mut *conn)
    .await?;
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM wapikit_members WHERE org_id = ?")
        .bind(&caller.org_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        out.extend(model::member_json(&mut conn, &id).await?);
    }
    Ok(ok(
        json!({"members": out, "paginationMeta": meta(page, per_page, total)}),
    ))
}

/// `GET /api/organization/tags?page&per_page` → `{tags, paginationMeta}`.
pub async fn tags(
    State(state): State<SharedState>,
    caller: WkCaller,
    params: Params,
) -> WkResult<Response> {
    let (page, per_page) = paging(&params)?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, label FROM wapikit_tags WHERE org_id = ? ORDER BY label, id LIMIT ? OFFSET ?",
    )
    .bind(&caller.org_id)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&state.db)
    .await?;
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM wapikit_tags WHERE org_id = ?")
        .bind(&caller.org_id)
        .fetch_one(&state.db)
        .await?;
    let tags: Vec<Value> = rows
        .into_iter()
        .map(|(id, label)| json!({"uniqueId": id, "label": label}))
        .collect();
    Ok(ok(
        json!({"tags": tags, "paginationMeta": meta(page, per_page, total)}),
    ))
}

fn contact_with_lists(mut c: Value) -> Value {
    c["lists"] = json!([]);
    c["tags"] = json!([]);
    c
}

/// `GET /api/contacts?page&per_page&order&status` → `{contacts, paginationMeta}`.
pub async fn contacts(
    State(state): State<SharedState>,
    caller: WkCaller,
    params: Params,
) -> WkResult<Response> {
    let (page, per_page) = paging(&params)?;
    let order = order(&params, "ASC")?;
    let status = match params.str("status") {
        Some(s) if ["Active", "Inactive", "Blocked"].contains(&s) => Some(s.to_owned()),
        Some(_) => return Err(WkError::bad_request("invalid status")),
        None => None,
    };
    let mut conn = state.db.acquire().await?;
    let filter = |qb: &mut QueryBuilder<'_, Sqlite>| {
        qb.push(" WHERE org_id = ").push_bind(caller.org_id.clone());
        if let Some(s) = &status {
            qb.push(" AND status = ").push_bind(s.clone());
        }
    };
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT id FROM wapikit_contacts");
    filter(&mut qb);
    qb.push(format!(" ORDER BY seq {order} LIMIT "))
        .push_bind(per_page)
        .push(" OFFSET ")
        .push_bind((page - 1) * per_page);
    let ids: Vec<(String,)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM wapikit_contacts");
    filter(&mut qb);
    let (total,): (i64,) = qb.build_query_as().fetch_one(&mut *conn).await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        out.extend(
            model::contact_json(&mut conn, &id)
                .await?
                .map(contact_with_lists),
        );
    }
    Ok(ok(
        json!({"contacts": out, "paginationMeta": meta(page, per_page, total)}),
    ))
}

/// `GET /api/contacts/{id}` → `{contact}`.
pub async fn contact(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
) -> WkResult<Response> {
    let id = path_id(path, "contact")?;
    let mut conn = state.db.acquire().await?;
    let owned: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM wapikit_contacts WHERE id = ? AND org_id = ?")
            .bind(&id)
            .bind(&caller.org_id)
            .fetch_optional(&mut *conn)
            .await?;
    if owned.is_none() {
        return Err(WkError::not_found("contact"));
    }
    let c = model::contact_json(&mut conn, &id)
        .await?
        .ok_or_else(|| WkError::not_found("contact"))?;
    Ok(ok(json!({"contact": contact_with_lists(c)})))
}

// ---- conversations --------------------------------------------------------------------------

/// `GET /api/conversations?page&per_page&order&status&contact_id&campaign_id` →
/// `{conversations, paginationMeta}`. Without `status`: neither Closed nor Deleted (as in
/// WapiKit). Most recent activity first (`order=asc`: oldest first).
pub async fn conversations(
    State(state): State<SharedState>,
    caller: WkCaller,
    params: Params,
) -> WkResult<Response> {
    let (page, per_page) = paging(&params)?;
    let order = order(&params, "DESC")?;
    let status = match params.str("status") {
        Some(s) if CONVERSATION_STATUSES.contains(&s) => Some(s.to_owned()),
        Some(s) => return Err(WkError::bad_request(format!("invalid status {s:?}"))),
        None => None,
    };
    let contact = params
        .str("contact_id")
        .map(|c| uuid_of(c, "contact"))
        .transpose()?;
    let campaign = params
        .str("campaign_id")
        .map(|c| uuid_of(c, "campaign"))
        .transpose()?;
    let filter = |qb: &mut QueryBuilder<'_, Sqlite>| {
        qb.push(" WHERE c.org_id = ")
            .push_bind(caller.org_id.clone());
        match &status {
            Some(s) => {
                qb.push(" AND c.status = ").push_bind(s.clone());
            }
            None => {
                qb.push(" AND c.status NOT IN ('Closed', 'Deleted')");
            }
        }
        if let Some(id) = &contact {
            qb.push(" AND c.contact_id = ").push_bind(id.clone());
        }
        if let Some(id) = &campaign {
            qb.push(" AND c.campaign_id = ").push_bind(id.clone());
        }
    };
    let mut conn = state.db.acquire().await?;
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {} FROM wapikit_conversations c",
        CONVERSATION_COLUMNS
            .split(", ")
            .map(|col| format!("c.{col}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    filter(&mut qb);
    qb.push(format!(
        " ORDER BY COALESCE((SELECT MAX(m.created_at) FROM wapikit_messages m \
         WHERE m.conversation_id = c.id), c.created_at) {order}, c.seq {order} LIMIT "
    ))
    .push_bind(per_page)
    .push(" OFFSET ")
    .push_bind((page - 1) * per_page);
    let rows: Vec<ConversationRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM wapikit_conversations c");
    filter(&mut qb);
    let (total,): (i64,) = qb.build_query_as().fetch_one(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(model::conversation_json(&mut conn, row).await?);
    }
    Ok(ok(
        json!({"conversations": out, "paginationMeta": meta(page, per_page, total)}),
    ))
}

/// `GET /api/conversation/{id}` → `{conversation}`.
pub async fn conversation(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let mut conn = state.db.acquire().await?;
    let row = require_conversation(&mut conn, &caller, &id).await?;
    Ok(ok(
        json!({"conversation": model::conversation_json(&mut conn, &row).await?}),
    ))
}

/// `POST /api/conversation/{id} {status}` → `{conversation}`; closing publishes
/// `ConversationClosed` to the organisation.
pub async fn update(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let obj = body_object(body)?;
    let status =
        str_field(&obj, "status")?.ok_or_else(|| WkError::bad_request("status is required"))?;
    if !CONVERSATION_STATUSES.contains(&status) {
        return Err(WkError::bad_request(format!("invalid status {status:?}")));
    }
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let before = require_conversation(&mut tx, &caller, &id).await?;
    sqlx::query("UPDATE wapikit_conversations SET status = ? WHERE id = ?")
        .bind(status)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let row = require_conversation(&mut tx, &caller, &id).await?;
    let conversation = model::conversation_json(&mut tx, &row).await?;
    tx.commit().await?;
    if status == "Closed" && before.status != "Closed" {
        state.wapikit.publish(
            "ConversationClosed",
            json!({"conversationId": id}),
            &caller.org_id,
            None,
        );
    }
    Ok(ok(json!({"conversation": conversation})))
}

/// `DELETE /api/conversation/{id}` → `{data: true}`: the conversation, its messages and tags.
pub async fn delete(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    require_conversation(&mut tx, &caller, &id).await?;
    for sql in [
        "DELETE FROM wapikit_messages WHERE conversation_id = ?",
        "DELETE FROM wapikit_conversation_tags WHERE conversation_id = ?",
        "DELETE FROM wapikit_conversations WHERE id = ?",
    ] {
        sqlx::query(sql).bind(&id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(ok(json!({"data": true})))
}

async fn user_of_member(conn: &mut SqliteConnection, member_id: &str) -> WkResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT user_id FROM wapikit_members WHERE id = ?")
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(u,)| u))
}

/// `POST /api/conversation/{id}/assign {organizationMemberId}` → `{data: true}`.
/// `ChatAssignment` goes to the new assignee's streams (`ChatUnAssignment` to the previous
/// one's).
pub async fn assign(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let obj = body_object(body)?;
    let member = str_field(&obj, "organizationMemberId")?
        .ok_or_else(|| WkError::bad_request("organizationMemberId is required"))?;
    let member = uuid_of(member, "organization member")?;
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let in_org: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM wapikit_members WHERE id = ? AND org_id = ?")
            .bind(&member)
            .bind(&caller.org_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((new_user,)) = in_org else {
        return Err(WkError::not_found("organization member"));
    };
    let row = require_conversation(&mut tx, &caller, &id).await?;
    let previous = match &row.assigned_member_id {
        Some(m) if *m != member => user_of_member(&mut tx, m).await?,
        _ => None,
    };
    sqlx::query("UPDATE wapikit_conversations SET assigned_member_id = ? WHERE id = ?")
        .bind(&member)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let data = json!({"conversationId": id});
    if let Some(prev) = previous {
        state.wapikit.publish(
            "ChatUnAssignment",
            data.clone(),
            &caller.org_id,
            Some(&prev),
        );
    }
    state
        .wapikit
        .publish("ChatAssignment", data, &caller.org_id, Some(&new_user));
    Ok(ok(json!({"data": true})))
}

/// `POST /api/conversation/{id}/unassign {userId}` → `{data: true}`; `ChatUnAssignment` goes
/// to the previous assignee's streams.
pub async fn unassign(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let obj = body_object(body)?;
    let user =
        str_field(&obj, "userId")?.ok_or_else(|| WkError::bad_request("userId is required"))?;
    uuid_of(user, "user")?;
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let row = require_conversation(&mut tx, &caller, &id).await?;
    let previous = match &row.assigned_member_id {
        Some(m) => user_of_member(&mut tx, m).await?,
        None => None,
    };
    sqlx::query("UPDATE wapikit_conversations SET assigned_member_id = NULL WHERE id = ?")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if let Some(prev) = previous {
        state.wapikit.publish(
            "ChatUnAssignment",
            json!({"conversationId": id}),
            &caller.org_id,
            Some(&prev),
        );
    }
    Ok(ok(json!({"data": true})))
}

/// `GET /api/conversation/{id}/messages?page&per_page&order` → `{messages, paginationMeta}`.
/// Without `order`, as WapiKit: page 1 holds the newest `per_page` messages, page 2 the ones
/// before, each page in chronological order. `order=desc`: newest first throughout;
/// `order=asc`: oldest first throughout.
pub async fn conversation_messages(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
    params: Params,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let (page, per_page) = paging(&params)?;
    let chosen = params.str("order").is_some();
    let order = order(&params, "DESC")?;
    let mut conn = state.db.acquire().await?;
    require_conversation(&mut conn, &caller, &id).await?;
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM wapikit_messages WHERE conversation_id = ? \
         ORDER BY created_at {order}, seq {order} LIMIT ? OFFSET ?"
    ))
    .bind(&id)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&mut *conn)
    .await?;
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM wapikit_messages WHERE conversation_id = ?")
            .bind(&id)
            .fetch_one(&mut *conn)
            .await?;
    let mut messages: Vec<Value> = rows.iter().map(MessageRow::to_json).collect();
    if !chosen {
        messages.reverse();
    }
    Ok(ok(
        json!({"messages": messages, "paginationMeta": meta(page, per_page, total)}),
    ))
}

/// The message type of a new message body: `messageType`, or `messageData.messageType`.
fn new_message_type(obj: &Map<String, Value>, data: &Map<String, Value>) -> WkResult<String> {
    let top = str_field(obj, "messageType")?;
    let inner = str_field(data, "messageType")?;
    match (top, inner) {
        (Some(a), Some(b)) if a != b => Err(WkError::bad_request(
            "messageType and messageData.messageType differ",
        )),
        (Some(t), _) | (None, Some(t)) => Ok(t.to_owned()),
        (None, None) => Err(WkError::bad_request("messageType is required")),
    }
}

/// `POST /api/conversation/{id}/messages {messageType, createdAt, messageData}` →
/// `{message}` (OutBound, Sent); `NewMessage` goes to the organisation.
pub async fn send(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let obj = body_object(body)?;
    let data = match obj.get("messageData") {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(WkError::bad_request("messageData is required")),
    };
    let kind = new_message_type(&obj, &data)?;
    let stored = model::check_new_message(&kind, &data)?;
    let reply_to = str_field(&obj, "replyToMessageId")?.map(str::to_owned);
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let row = require_conversation(&mut tx, &caller, &id).await?;
    let message = model::insert_message(
        &mut tx,
        &caller.org_id,
        &id,
        "OutBound",
        "Sent",
        &kind,
        &stored,
        reply_to.as_deref(),
        w.now,
    )
    .await?;
    let conversation = model::conversation_json(&mut tx, &row).await?;
    tx.commit().await?;
    drop(w);
    let message = message.to_json();
    state.wapikit.publish(
        "NewMessage",
        json!({"conversation": conversation, "message": message}),
        &caller.org_id,
        None,
    );
    Ok(ok(json!({"message": message})))
}

/// `POST /api/conversation/{id}/read` → `{isRead: true}`: the contact's `Sent` messages
/// become `Read`, each announced with `MessageRead`.
pub async fn mark_read(
    State(state): State<SharedState>,
    caller: WkCaller,
    path: Result<Path<String>, PathRejection>,
) -> WkResult<Response> {
    let id = path_id(path, "conversation")?;
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    require_conversation(&mut tx, &caller, &id).await?;
    let read: Vec<(String,)> = sqlx::query_as(
        "UPDATE wapikit_messages SET status = 'Read' WHERE conversation_id = ? \
         AND direction = 'InBound' AND status = 'Sent' RETURNING id",
    )
    .bind(&id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    for (message_id,) in read {
        state.wapikit.publish(
            "MessageRead",
            json!({"messageId": message_id}),
            &caller.org_id,
            None,
        );
    }
    Ok(ok(json!({"isRead": true})))
}

/// `GET /api/messages?page&per_page&order&conversation_id&direction&status` →
/// `{messages, paginationMeta}` over the organisation, newest first unless `order=asc`.
pub async fn all_messages(
    State(state): State<SharedState>,
    caller: WkCaller,
    params: Params,
) -> WkResult<Response> {
    let (page, per_page) = paging(&params)?;
    let order = order(&params, "DESC")?;
    let conversation = params
        .str("conversation_id")
        .map(|c| uuid_of(c, "conversation"))
        .transpose()?;
    let direction = match params.str("direction") {
        Some(d @ ("InBound" | "OutBound")) => Some(d.to_owned()),
        Some(_) => return Err(WkError::bad_request("invalid direction")),
        None => None,
    };
    const STATUSES: &[&str] = &[
        "Read",
        "Unread",
        "Sent",
        "Delivered",
        "UnDelivered",
        "Failed",
    ];
    let status = match params.str("status") {
        Some(s) => Some(
            STATUSES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(s))
                .map(|k| (*k).to_owned())
                .ok_or_else(|| WkError::bad_request("invalid status"))?,
        ),
        None => None,
    };
    let filter = |qb: &mut QueryBuilder<'_, Sqlite>| {
        qb.push(" WHERE org_id = ").push_bind(caller.org_id.clone());
        if let Some(c) = &conversation {
            qb.push(" AND conversation_id = ").push_bind(c.clone());
        }
        if let Some(d) = &direction {
            qb.push(" AND direction = ").push_bind(d.clone());
        }
        if let Some(s) = &status {
            qb.push(" AND status = ").push_bind(s.clone());
        }
    };
    let mut conn = state.db.acquire().await?;
    let mut qb =
        QueryBuilder::<Sqlite>::new(format!("SELECT {MESSAGE_COLUMNS} FROM wapikit_messages"));
    filter(&mut qb);
    qb.push(format!(" ORDER BY created_at {order}, seq {order} LIMIT "))
        .push_bind(per_page)
        .push(" OFFSET ")
        .push_bind((page - 1) * per_page);
    let rows: Vec<MessageRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM wapikit_messages");
    filter(&mut qb);
    let (total,): (i64,) = qb.build_query_as().fetch_one(&mut *conn).await?;
    let messages: Vec<Value> = rows.iter().map(MessageRow::to_json).collect();
    Ok(ok(
        json!({"messages": messages, "paginationMeta": meta(page, per_page, total)}),
    ))
}

// ---- events ---------------------------------------------------------------------------------

fn encode_event_data(data: &Value) -> Result<String, String> {
    let bytes = rmp_serde::to_vec_named(data).map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn sse_event(ev: &WkBusEvent) -> Option<Event> {
    match encode_event_data(&ev.data) {
        Ok(b64) => Some(Event::default().event(ev.event_type.clone()).data(b64)),
        Err(e) => {
            tracing::error!(event = %ev.event_type, "wapikit event not encoded: {e}");
            None
        }
    }
}

/// `GET /api/events?token=<key>`: `event: connected` / `data: OK`, then the organisation's
/// events (those naming a user only on that user's streams) as `event: <Type>` / `data:
/// base64(MessagePack)`, with keep-alive comments. A stream that fell behind gets
/// `ReloadRequired`. A bad token is 401 with `event: error` / `data: Authorization failed`.
pub async fn events(State(state): State<SharedState>, params: Params) -> WkResult<Response> {
    let token = params.str("token").unwrap_or_default();
    let Some(caller) = caller_of_key(&state, token).await? else {
        tracing::info!("wapikit event stream refused: bad token");
        return Ok((
            StatusCode::UNAUTHORIZED,
            [("content-type", "text/event-stream")],
            "event: error\ndata: Authorization failed\n\n",
        )
            .into_response());
    };
    let rx = state.wapikit.events.subscribe();
    let stop = state.wapikit.stopping.subscribe();
    let first = futures::stream::once(async {
        Ok::<Event, Infallible>(Event::default().event("connected").data("OK"))
    });
    let rest = futures::stream::unfold(
        (rx, stop, caller),
        |(mut rx, mut stop, caller)| async move {
            loop {
                if *stop.borrow() {
                    return None;
                }
                let next = tokio::select! {
                    changed = stop.changed() => {
                        if changed.is_err() { return None; }
                        continue;
                    }
                    r = rx.recv() => r,
                };
                let event = match next {
                    Ok(ev) => {
                        if ev.org_id != caller.org_id
                            || ev.user_id.as_ref().is_some_and(|u| *u != caller.user_id)
                        {
                            continue;
                        }
                        match sse_event(&ev) {
                            Some(e) => e,
                            None => continue,
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "wapikit event stream fell behind");
                        let ev = WkBusEvent {
                            event_type: "ReloadRequired".into(),
                            data: json!({"isReloadRequired": true}),
                            org_id: caller.org_id.clone(),
                            user_id: None,
                        };
                        match sse_event(&ev) {
                            Some(e) => e,
                            None => continue,
                        }
                    }
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok::<Event, Infallible>(event), (rx, stop, caller)));
            }
        },
    );
    Ok(Sse::new(first.chain(rest))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

// ---- admin: the WhatsApp customer -------------------------------------------------------------

fn check_admin(state: &SharedState, headers: &HeaderMap) -> WkResult<()> {
    let key = headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if key.is_empty() || key != state.app.api_key {
        return Err(WkError::unauthorized());
    }
    Ok(())
}

/// Digits of a phone number (a leading `+`, spaces, dashes and brackets dropped): 6 to 15.
fn phone_digits(raw: &str) -> WkResult<String> {
    let digits: String = raw
        .trim()
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WkError::bad_request(format!(
            "invalid phone number {raw:?}"
        )));
    }
    Ok(digits)
}

/// `POST /admin/wapikit/inbound {conversationId | phone, text | messageType + messageData,
/// name?}` (header `Api-Key: <application key>`): a WhatsApp customer writes. The message is
/// stored InBound/Sent; by phone, the contact and an Active conversation are created when
/// missing (`NewConversation`); a Closed conversation named by id opens again. `NewMessage`
/// goes to the organisation. → `{conversation, message}`.
pub async fn admin_inbound(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Result<Body, ApiError>,
) -> WkResult<Response> {
    check_admin(&state, &headers)?;
    let obj = body_object(body)?;
    let (kind, data) = match (str_field(&obj, "text")?, obj.get("messageData")) {
        (Some(text), _) => ("Text".to_owned(), {
            let mut m = Map::new();
            m.insert("text".into(), json!(text));
            m
        }),
        (None, Some(Value::Object(d))) => (new_message_type(&obj, d)?, d.clone()),
        _ => return Err(WkError::bad_request("text or messageData is required")),
    };
    let stored = model::check_new_message(&kind, &data)?;
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let mut created = false;
    let row = if let Some(cid) = str_field(&obj, "conversationId")? {
        let cid = uuid_of(cid, "conversation")?;
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM wapikit_conversations WHERE id = ?"
        ))
        .bind(&cid)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or_else(|| WkError::not_found("conversation"))?;
        if row.status != "Active" {
            sqlx::query("UPDATE wapikit_conversations SET status = 'Active' WHERE id = ?")
                .bind(&cid)
                .execute(&mut *tx)
                .await?;
        }
        row
    } else {
        let phone = phone_digits(
            str_field(&obj, "phone")?
                .ok_or_else(|| WkError::bad_request("conversationId or phone is required"))?,
        )?;
        let org = match str_field(&obj, "organizationId")? {
            Some(o) => uuid_of(o, "organization")?,
            None => crate::seed::wapikit::ORG_ID.to_owned(),
        };
        let contact: Option<(String,)> =
            sqlx::query_as("SELECT id FROM wapikit_contacts WHERE org_id = ? AND phone = ?")
                .bind(&org)
                .bind(&phone)
                .fetch_optional(&mut *tx)
                .await?;
        let contact_id = match contact {
            Some((id,)) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let name = str_field(&obj, "name")?
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("+{phone}"));
                sqlx::query(
                    "INSERT INTO wapikit_contacts (id, org_id, name, phone, attributes, status, \
                     created_at) VALUES (?, ?, ?, ?, '{}', 'Active', ?)",
                )
                .bind(&id)
                .bind(&org)
                .bind(&name)
                .bind(&phone)
                .bind(w.now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let open: Option<ConversationRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM wapikit_conversations \
             WHERE contact_id = ? AND status = 'Active' ORDER BY seq DESC LIMIT 1"
        ))
        .bind(&contact_id)
        .fetch_optional(&mut *tx)
        .await?;
        match open {
            Some(row) => row,
            None => {
                created = true;
                let row = ConversationRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    org_id: org.clone(),
                    contact_id,
                    campaign_id: None,
                    initiated_by: "Contact".into(),
                    status: "Active".into(),
                    assigned_member_id: None,
                    created_at: w.now,
                };
                sqlx::query(
                    "INSERT INTO wapikit_conversations (id, org_id, contact_id, initiated_by, \
                     status, created_at) VALUES (?, ?, ?, 'Contact', 'Active', ?)",
                )
                .bind(&row.id)
                .bind(&row.org_id)
                .bind(&row.contact_id)
                .bind(row.created_at)
                .execute(&mut *tx)
                .await?;
                row
            }
        }
    };
    let message = model::insert_message(
        &mut tx,
        &row.org_id,
        &row.id,
        "InBound",
        "Sent",
        &kind,
        &stored,
        None,
        w.now,
    )
    .await?;
    let fresh: ConversationRow = sqlx::query_as(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM wapikit_conversations WHERE id = ?"
    ))
    .bind(&row.id)
    .fetch_one(&mut *tx)
    .await?;
    let conversation = model::conversation_json(&mut tx, &fresh).await?;
    tx.commit().await?;
    drop(w);
    let message = message.to_json();
    if created {
        state.wapikit.publish(
            "NewConversation",
            json!({"conversation": conversation}),
            &row.org_id,
            None,
        );
    }
    state.wapikit.publish(
        "NewMessage",
        json!({"conversation": conversation, "message": message}),
        &row.org_id,
        None,
    );
    Ok(ok(
        json!({"conversation": conversation, "message": message}),
    ))
}

/// `GET /admin/wapikit/messages?conversationId=…` or `?phone=…` (header `Api-Key`): the
/// conversation's messages, oldest first (for the phone: its latest conversation).
pub async fn admin_messages(
    State(state): State<SharedState>,
    headers: HeaderMap,
    params: Params,
) -> WkResult<Response> {
    check_admin(&state, &headers)?;
    let mut conn = state.db.acquire().await?;
    let cid = match (params.str("conversationId"), params.str("phone")) {
        (Some(c), _) => uuid_of(c, "conversation")?,
        (None, Some(p)) => {
            let phone = phone_digits(p)?;
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT c.id FROM wapikit_conversations c JOIN wapikit_contacts k \
                 ON k.id = c.contact_id WHERE k.phone = ? ORDER BY c.seq DESC LIMIT 1",
            )
            .bind(&phone)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|(id,)| id)
                .ok_or_else(|| WkError::not_found("conversation"))?
        }
        (None, None) => return Err(WkError::bad_request("conversationId or phone is required")),
    };
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM wapikit_messages WHERE conversation_id = ? \
         ORDER BY created_at, seq"
    ))
    .bind(&cid)
    .fetch_all(&mut *conn)
    .await?;
    let messages: Vec<Value> = rows.iter().map(MessageRow::to_json).collect();
    Ok(ok(json!({"conversationId": cid, "messages": messages})))
}
