//! Application bot APIs: `message/dispatch` and the message history export.

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model;
use crate::services::messages::{self as svc, NewMessage, Target};
use crate::state::SharedState;

/// `POST /rest/ws/message/dispatch {message, senderName, to | groupId}` (application bot): sends
/// on behalf of `senderName`. `oldTimestamp` is not honoured: every message gets the current
/// time, so sync cursors stay gap-free.
pub async fn dispatch(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    if !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let obj = body.object()?;
    let text = field::opt_text(&obj, "message")?
        .ok_or_else(|| ApiError::bad_request("message is required"))?;
    let sender_id = field::opt_str(&obj, "senderName")?
        .ok_or_else(|| ApiError::bad_request("senderName is required"))?;
    let sender = model::require_user(&state.db, &sender_id).await?;
    let target = match (
        field::opt_i64(&obj, "groupId")?,
        field::opt_str(&obj, "to")?,
    ) {
        (Some(gid), _) => Target::Group(model::resolve_channel(&state.db, Some(gid), None).await?),
        (None, Some(to)) => Target::User(model::require_user(&state.db, &to).await?),
        (None, None) => return Err(ApiError::bad_request("to or groupId is required")),
    };
    if let Target::User(u) = &target {
        if u.user_id == sender.user_id {
            return Err(ApiError::bad_request("cannot send a message to yourself"));
        }
    }
    let row = svc::send(
        &state,
        NewMessage {
            sender,
            device_key: None,
            target,
            body: text,
            content_type: field::opt_i64(&obj, "contentType")?.unwrap_or(0),
            source: 4,
            metadata: model::normalise_metadata(obj.get("metadata"))?,
            file_meta: None,
            conversation_id: None,
        },
    )
    .await?;
    Ok(ok(svc::send_response(&row)))
}

/// `GET /rest/ws/analytics/message?applicationId=&startIndex=&pageSize=&from=&to=&startTime=&endTime=`
/// (application bot): the message history, oldest first.
pub async fn export(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let app = params.required_str("applicationId")?;
    if app != state.app.application_id {
        return Err(ApiError::unauthorized("invalid application key"));
    }
    let page = params.page_size("pageSize", 50, 1000)?;
    let start = params.i64("startIndex")?.unwrap_or(0).max(0);
    let start_time = params.i64("startTime")?.unwrap_or(0);
    let end_time = params.i64("endTime")?.unwrap_or(i64::MAX);
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT m.key, m.sender_id, m.recipient_id, c.name, m.body, m.created_at, \
         CASE WHEN m.recipient_id IS NOT NULL THEN \
            (SELECT CASE WHEN d.delivered_up_to >= m.created_at THEN d.delivered_at END FROM direct_receipts d \
             WHERE d.user_id = m.recipient_id AND d.peer_id = m.sender_id) END, \
         CASE WHEN m.recipient_id IS NOT NULL THEN \
            (SELECT CASE WHEN d.read_up_to >= m.created_at THEN d.read_at END FROM direct_receipts d \
             WHERE d.user_id = m.recipient_id AND d.peer_id = m.sender_id) END \
         FROM messages m LEFT JOIN channels c ON c.id = m.channel_id \
         WHERE m.deleted_at IS NULL AND m.created_at >= ",
    );
    qb.push_bind(start_time)
        .push(" AND m.created_at <= ")
        .push_bind(end_time);
    if let Some(from) = params.str("from") {
        qb.push(" AND m.sender_id = ").push_bind(from.to_owned());
    }
    if let Some(to) = params.str("to") {
        qb.push(" AND m.recipient_id = ").push_bind(to.to_owned());
    }
    qb.push(" ORDER BY m.created_at LIMIT ")
        .push_bind(page)
        .push(" OFFSET ")
        .push_bind(start);
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        i64,
        Option<i64>,
        Option<i64>,
    );
    let rows: Vec<Row> = qb.build_query_as().fetch_all(&state.db).await?;
    let out: Vec<Value> = rows
        .into_iter()
        .map(|(id, from, to, group, content, created, delivered, read)| {
            json!({
                "id": id,
                "fromUserId": from,
                "toUserId": to,
                "groupName": group,
                "content": content,
                "createdAtTime": created,
                "deliveredAtTime": delivered,
                "readAtTime": read,
            })
        })
        .collect();
    Ok(ok(out))
}
