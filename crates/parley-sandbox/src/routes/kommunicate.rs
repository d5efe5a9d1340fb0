//! Kommunicate's conversation layer on top of support groups (type 10): create conversation
//! with routing, status and assignee changes, the agent's conversation lists, teams and tags.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, group_role, role, ChannelRow, MessageRow, SUPPORT_GROUP};
use crate::routes::groups::feed_of;
use crate::routes::messages::{can_access, thread_response};
use crate::services::groups::{self as svc, GroupUpdate, NewGroup};
use crate::services::messages::{self as msgs, NewMessage, Target};
use crate::state::SharedState;

/// Conversation status codes and their `KM_STATUS` names.
pub fn status_name(status: i64) -> Option<&'static str> {
    Some(match status {
        -1 => "Initial",
        0 => "Open",
        1 => "In progress",
        2 => "Resolved",
        3 => "Spam/Irrelevant",
        4 => "Duplicate",
        5 => "Archive",
        6 => "Unresponded",
        7 => "Waiting",
        _ => return None,
    })
}

/// Statuses that count towards an agent's load.
const ACTIVE_STATUSES: &str = "(-1, 0, 1, 6, 7)";

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The agent with the fewest active conversations (ties: user id), if any.
async fn route(state: &SharedState) -> ApiResult<Option<String>> {
    let sql = format!(
        "SELECT u.user_id FROM users u WHERE u.role_type = ?1 AND u.deactivated = 0 \
         ORDER BY (SELECT COUNT(*) FROM channels c WHERE c.assignee = u.user_id AND c.type = 10 \
                   AND c.deleted_at IS NULL AND COALESCE(c.status, 0) IN {ACTIVE_STATUSES}), u.user_id \
         LIMIT 1"
    );
    let row: Option<(String,)> = sqlx::query_as(&sql)
        .bind(role::AGENT)
        .fetch_optional(&state.db)
        .await?;
    Ok(row.map(|(u,)| u))
}

/// `POST /rest/ws/group/conversation {groupName, groupMemberList, clientGroupId, metadata}`.
pub async fn create_conversation(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let name = field::opt_text(&obj, "groupName")?
        .ok_or_else(|| ApiError::bad_request("groupName is required"))?;
    let member_list = field::str_list(&obj, "groupMemberList")?;
    if member_list.is_empty() && caller.privileged {
        return Err(ApiError::bad_request(
            "groupMemberList needs at least one user",
        ));
    }
    if member_list.len() > 100 {
        return Err(ApiError::bad_request("too many members"));
    }
    let raw_meta = match obj.get("metadata") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::bad_request("metadata must be an object")),
    };
    let skip_routing = truthy(raw_meta.get("SKIP_ROUTING"));
    let mut metadata = model::normalise_metadata(Some(&Value::Object(raw_meta)))?;

    // Existing users keep their roles; unknown ids become customers.
    let known = model::users_by_ids(&state.db, &member_list).await?;
    let role_of = |user_id: &str| {
        known
            .iter()
            .find(|u| u.user_id == user_id)
            .map(|u| match u.role_type {
                role::AGENT | role::APPLICATION_ADMIN => group_role::ADMIN,
                role::BOT => group_role::MODERATOR,
                _ => group_role::MEMBER,
            })
            .unwrap_or(group_role::MEMBER)
    };
    let mut members: Vec<(String, i64)> = member_list
        .iter()
        .map(|u| (u.clone(), role_of(u)))
        .collect();
    if !caller.privileged && !members.iter().any(|(u, _)| u == caller.user_id()) {
        members.push((caller.user_id().to_owned(), group_role::MEMBER));
    }

    let assignee = if skip_routing {
        match metadata
            .get("CONVERSATION_ASSIGNEE")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(a) if members.iter().any(|(u, _)| u == a) => Some(a.to_owned()),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "CONVERSATION_ASSIGNEE must be in groupMemberList",
                ));
            }
            None => None,
        }
    } else {
        let passed_agent = members
            .iter()
            .find(|(_, r)| *r == group_role::ADMIN)
            .map(|(u, _)| u.clone());
        match passed_agent {
            Some(a) => Some(a),
            None => route(&state).await?,
        }
    };
    if let Some(a) = &assignee {
        if !members.iter().any(|(u, _)| u == a) {
            members.push((a.clone(), group_role::ADMIN));
        }
        metadata.insert("CONVERSATION_ASSIGNEE".into(), json!(a));
    } else {
        metadata.remove("CONVERSATION_ASSIGNEE");
    }
    metadata.insert("CONVERSATION_STATUS".into(), json!("0"));
    metadata.insert("SKIP_ROUTING".into(), json!(skip_routing.to_string()));
    metadata
        .entry("KM_CONVERSATION_TITLE")
        .or_insert_with(|| json!(name));
    let admin = members
        .iter()
        .find(|(_, r)| *r == group_role::MEMBER)
        .map(|(u, _)| u.clone())
        .unwrap_or_else(|| caller.user_id().to_owned());
    let group = NewGroup {
        name,
        client_group_id: field::opt_str(&obj, "clientGroupId")?,
        admin,
        kind: SUPPORT_GROUP,
        image_url: field::opt_text(&obj, "imageUrl")?,
        parent_key: None,
        metadata,
        members,
        create_missing_users: true,
    };
    let channel = svc::create_group(&state, group).await?;
    let feed = feed_of(&state, &channel, caller.user_id()).await?;
    Ok(ok(feed))
}

async fn support_channel(state: &SharedState, params: &Params) -> ApiResult<ChannelRow> {
    let group_id = params.i64("groupId")?;
    let channel = model::resolve_channel(&state.db, group_id, params.str("clientGroupId")).await?;
    Ok(channel)
}

/// Posts the action message (`contentType` 10) that tells clients about a conversation change.
async fn action_message(
    state: &SharedState,
    caller: &Caller,
    channel: &ChannelRow,
    text: String,
    metadata: Map<String, Value>,
) -> ApiResult<()> {
    msgs::send(
        state,
        NewMessage {
            sender: caller.user.clone(),
            device_key: caller.device_key.clone(),
            target: Target::Group(channel.clone()),
            body: text,
            content_type: 10,
            source: 1,
            metadata,
            file_meta: None,
            conversation_id: None,
        },
    )
    .await?;
    Ok(())
}

/// `PATCH /rest/ws/group/status/change?groupId=&status=[&sendNotifyMessage=]`
pub async fn change_status(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let channel = support_channel(&state, &params).await?;
    let status = params
        .i64("status")?
        .ok_or_else(|| ApiError::bad_request("status is required"))?;
    let name = status_name(status).ok_or_else(|| ApiError::bad_request("unknown status"))?;
    let notify = params.bool("sendNotifyMessage")?.unwrap_or(true);
    if !can_access(&state, &caller, &channel).await? {
        return Err(ApiError::group_not_found());
    }
    if channel.status == Some(status) {
        return Ok(ok("already updated"));
    }
    let update = GroupUpdate {
        metadata: Some(Map::from_iter([(
            "CONVERSATION_STATUS".to_owned(),
            json!(status.to_string()),
        )])),
        ..GroupUpdate::default()
    };
    let updated = svc::update_group(&state, &channel, &update).await?;
    if notify {
        let meta = Map::from_iter([
            ("KM_STATUS".to_owned(), json!(name)),
            ("CONVERSATION_STATUS".to_owned(), json!(status.to_string())),
        ]);
        action_message(
            &state,
            &caller,
            &updated,
            format!("Conversation marked as {name} by {}", caller.user.display()),
            meta,
        )
        .await?;
    }
    Ok(ok("updated"))
}

/// `PATCH /rest/ws/group/assignee/change?groupId=&assignee=&switchAssignee=&sendNotifyMessage=&takeOverFromBot=`
/// (and `/group/v2/assignee/change`): `updated`, `already updated` or `AGENT_IS_ALREADY_ENGAGED`.
pub async fn change_assignee(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let channel = support_channel(&state, &params).await?;
    let assignee_id = params.required_str("assignee")?;
    let assignee = model::require_user(&state.db, assignee_id).await?;
    if !assignee.is_agent_like() {
        return Err(ApiError::user_not_found());
    }
    let notify = params.bool("sendNotifyMessage")?.unwrap_or(true);
    let take_over = params.bool("takeOverFromBot")?.unwrap_or(false);
    // Validated only: the assignment always switches and the previous assignee stays a member.
    params.bool("switchAssignee")?;
    if !can_access(&state, &caller, &channel).await? {
        return Err(ApiError::group_not_found());
    }
    if channel.assignee.as_deref() == Some(assignee_id) {
        return Ok(ok("already updated"));
    }
    let limit = model::parse_map(&assignee.metadata)
        .get("KM_MAX_CONCURRENT_CHATS")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok());
    if let Some(limit) = limit {
        let sql = format!(
            "SELECT COUNT(*) FROM channels WHERE assignee = ? AND type = 10 AND deleted_at IS NULL \
             AND COALESCE(status, 0) IN {ACTIVE_STATUSES}"
        );
        let (load,): (i64,) = sqlx::query_as(&sql)
            .bind(assignee_id)
            .fetch_one(&state.db)
            .await?;
        if load >= limit {
            return Ok(ok("AGENT_IS_ALREADY_ENGAGED"));
        }
    }
    if model::active_member(&state.db, channel.id, assignee_id)
        .await?
        .is_none()
    {
        svc::add_member(&state, &channel, assignee_id, group_role::ADMIN).await?;
    }
    if take_over {
        let bots: Vec<(String,)> = sqlx::query_as(
            "SELECT cu.user_id FROM channel_users cu JOIN users u ON u.user_id = cu.user_id \
             WHERE cu.channel_id = ? AND cu.removed_at IS NULL AND u.role_type = ? AND cu.user_id <> ?",
        )
        .bind(channel.id)
        .bind(role::BOT)
        .bind(assignee_id)
        .fetch_all(&state.db)
        .await?;
        for (bot,) in bots {
            svc::remove_member(&state, &channel, &bot).await?;
        }
    }
    let update = GroupUpdate {
        metadata: Some(Map::from_iter([(
            "CONVERSATION_ASSIGNEE".to_owned(),
            json!(assignee_id),
        )])),
        ..GroupUpdate::default()
    };
    let updated = svc::update_group(&state, &channel, &update).await?;
    if notify {
        let meta = Map::from_iter([("KM_ASSIGN_TO".to_owned(), json!(assignee_id))]);
        action_message(
            &state,
            &caller,
            &updated,
            format!("Assigned to {}", assignee.display()),
            meta,
        )
        .await?;
    }
    Ok(ok("updated"))
}

/// `GET /rest/ws/group/support?pageSize=&lastFetchTime=&status=0&status=6[&search=]`
pub async fn support_list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    support_query(&state, &caller, &params, None).await
}

/// `GET /rest/ws/group/support/assigned?userId=&pageSize=&lastFetchTime=&status=…`
pub async fn assigned_list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let assignee = params.str("userId").unwrap_or(caller.user_id()).to_owned();
    support_query(&state, &caller, &params, Some(assignee)).await
}

async fn support_query(
    state: &SharedState,
    caller: &Caller,
    params: &Params,
    assignee: Option<String>,
) -> ApiResult<Response> {
    let page = params.page_size("pageSize", 60, 200)?;
    let before = params
        .i64("lastFetchTime")?
        .filter(|t| *t > 0)
        .unwrap_or(i64::MAX);
    let statuses = params.all_i64("status")?;
    let search = params.str("search").map(|s| s.to_owned());
    if let Some(s) = &search {
        if s.chars().count() > 200 {
            return Err(ApiError::bad_request("search is too long"));
        }
    }
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT c.id, c.last_message_at FROM channels c WHERE c.type = 10 AND c.deleted_at IS NULL AND c.last_message_at < ",
    );
    qb.push_bind(before);
    if !statuses.is_empty() {
        qb.push(" AND COALESCE(c.status, 0) IN (");
        let mut sep = qb.separated(", ");
        for s in &statuses {
            sep.push_bind(*s);
        }
        sep.push_unseparated(")");
    }
    if let Some(a) = &assignee {
        qb.push(" AND c.assignee = ").push_bind(a.clone());
    }
    if !caller.sees_all_support() {
        qb.push(" AND c.id IN (SELECT channel_id FROM channel_users WHERE removed_at IS NULL AND user_id = ")
            .push_bind(caller.user_id().to_owned())
            .push(")");
    }
    if let Some(s) = &search {
        let pattern = format!(
            "%{}%",
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(" AND (c.name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.id IN (SELECT channel_id FROM channel_users cu2 WHERE cu2.user_id LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    qb.push(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT ")
        .push_bind(page);
    let ids: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&state.db).await?;
    let last_fetch = ids.last().map(|(_, t)| *t);
    let channel_ids: Vec<i64> = ids.iter().map(|(i, _)| *i).collect();
    let rows: Vec<MessageRow> = model::latest_messages(&state.db, &channel_ids).await?;
    let mut body = thread_response(state, &rows, caller.user_id()).await?;
    // Groups without messages still belong in the list.
    let with_messages: HashSet<i64> = rows.iter().filter_map(|m| m.channel_id).collect();
    let missing: Vec<i64> = ids
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| !with_messages.contains(i))
        .collect();
    let extra = crate::routes::messages::group_feeds(state, &missing, caller.user_id()).await?;
    // Keep groupFeeds in list order.
    if let Some(Value::Array(feeds)) = body.get_mut("groupFeeds") {
        feeds.extend(extra);
        let order: Vec<i64> = ids.iter().map(|(i, _)| *i).collect();
        feeds.sort_by_key(|f| {
            let id = f.get("id").and_then(Value::as_i64).unwrap_or(0);
            order.iter().position(|x| *x == id).unwrap_or(usize::MAX)
        });
    }
    if let Some(t) = last_fetch {
        body["lastFetchTime"] = json!(t);
    }
    Ok(ok(body))
}

/// `GET /rest/ws/group/waiting/list?teamId=`: conversations waiting in the queue (status 7).
pub async fn waiting_list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if !caller.sees_all_support() {
        return Err(ApiError::forbidden());
    }
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT id FROM channels WHERE type = 10 AND deleted_at IS NULL AND status = 7",
    );
    if let Some(team) = params.str("teamId") {
        qb.push(" AND team_id = ").push_bind(team.to_owned());
    }
    qb.push(" ORDER BY created_at LIMIT 500");
    let ids: Vec<(i64,)> = qb.build_query_as().fetch_all(&state.db).await?;
    Ok(ok(ids.into_iter().map(|(i,)| i).collect::<Vec<_>>()))
}

/// `GET /rest/ws/team/list`
pub async fn team_list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Response> {
    let teams: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT team_id, name, admin, agent_routing FROM teams ORDER BY name")
            .fetch_all(&state.db)
            .await?;
    let mut out = Vec::new();
    for (id, name, admin, routing) in teams {
        let members: Vec<(String,)> =
            sqlx::query_as("SELECT user_id FROM team_members WHERE team_id = ? ORDER BY user_id")
                .bind(&id)
                .fetch_all(&state.db)
                .await?;
        out.push(json!({
            "teamId": id,
            "teamName": name,
            "teamMembers": members.into_iter().map(|(u,)| u).collect::<Vec<_>>(),
            "admin": admin,
            "agentRouting": routing,
        }));
    }
    Ok(ok(out))
}

fn tag_json(
    state: &SharedState,
    id: i64,
    name: &str,
    color: &str,
    created_by: Option<&str>,
) -> Value {
    json!({"id": id, "name": name, "color": color, "applicationId": state.app.application_id, "createdBy": created_by})
}

async fn all_tags(state: &SharedState) -> ApiResult<Vec<Value>> {
    let rows: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, color, created_by FROM tags ORDER BY name")
            .fetch_all(&state.db)
            .await?;
    Ok(rows
        .iter()
        .map(|(i, n, c, b)| tag_json(state, *i, n, c, b.as_deref()))
        .collect())
}

fn kommunicate_ok(response: Value) -> Response {
    let mut body = Map::new();
    body.insert("code".into(), json!("SUCCESS"));
    body.insert("response".into(), response);
    Json(Value::Object(body)).into_response()
}

/// `GET /rest/ws/tags`
pub async fn tags_list(State(state): State<SharedState>, _caller: Caller) -> ApiResult<Response> {
    Ok(kommunicate_ok(json!(all_tags(&state).await?)))
}

fn tag_fields(obj: &Map<String, Value>) -> ApiResult<(Option<String>, Option<String>)> {
    let name = field::opt_str(obj, "name")?;
    let color = field::opt_str(obj, "color")?;
    for v in [&name, &color].into_iter().flatten() {
        if v.chars().count() > 100 || v.chars().any(char::is_control) {
            return Err(ApiError::bad_request("invalid tag"));
        }
    }
    Ok((name, color))
}

/// `POST /rest/ws/tags {name, color}`
pub async fn tags_create(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    if !caller.sees_all_support() {
        return Err(ApiError::forbidden());
    }
    let obj = body.object()?;
    let (name, color) = tag_fields(&obj)?;
    let name = name.ok_or_else(|| ApiError::bad_request("name is required"))?;
    let color = color.unwrap_or_else(|| "#888888".to_owned());
    let w = state.begin_write().await;
    let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM tags WHERE name = ?")
        .bind(&name)
        .fetch_optional(&state.db)
        .await?;
    if exists.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "AL-T-02",
            "tag already exists",
        ));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO tags (name, color, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(&name)
    .bind(&color)
    .bind(caller.user_id())
    .bind(w.now)
    .fetch_one(&state.db)
    .await?;
    Ok(kommunicate_ok(tag_json(
        &state,
        id,
        &name,
        &color,
        Some(caller.user_id()),
    )))
}

/// `PATCH /rest/ws/tags {id, name, color}`
pub async fn tags_update(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    if !caller.sees_all_support() {
        return Err(ApiError::forbidden());
    }
    let obj = body.object()?;
    let id = field::opt_i64(&obj, "id")?.ok_or_else(|| ApiError::bad_request("id is required"))?;
    let (name, color) = tag_fields(&obj)?;
    let _w = state.begin_write().await;
    let done = sqlx::query(
        "UPDATE tags SET name = COALESCE(?, name), color = COALESCE(?, color) WHERE id = ?",
    )
    .bind(name)
    .bind(color)
    .bind(id)
    .execute(&state.db)
    .await
    .map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "AL-T-02",
            "tag already exists",
        )
    })?;
    if done.rows_affected() == 0 {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "AL-T-01",
            "tag not found",
        ));
    }
    Ok(kommunicate_ok(json!("updated")))
}

/// `DELETE /rest/ws/tags?id=`
pub async fn tags_delete(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if !caller.sees_all_support() {
        return Err(ApiError::forbidden());
    }
    let id = params
        .i64("id")?
        .ok_or_else(|| ApiError::bad_request("id is required"))?;
    let _w = state.begin_write().await;
    let done = sqlx::query("DELETE FROM tags WHERE id = ?")
        .bind(id)
        .execute(&state.db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "AL-T-01",
            "tag not found",
        ));
    }
    Ok(kommunicate_ok(json!("deleted")))
}

/// `PATCH /rest/ws/group/add/tags?groupId=` and `/group/remove/tags?groupId=` with `[KmTag]`:
/// kept in the group's `KM_TAGS` metadata (a JSON list).
pub async fn group_tags(
    state: SharedState,
    caller: Caller,
    params: Params,
    body: Body,
    add: bool,
) -> ApiResult<Response> {
    let channel = support_channel(&state, &params).await?;
    if !caller.sees_all_support() && !can_access(&state, &caller, &channel).await? {
        return Err(ApiError::group_not_found());
    }
    let tags: Vec<Value> = match body.json::<Value>()? {
        Value::Array(items) => items,
        _ => return Err(ApiError::bad_request("body must be a list of tags")),
    };
    let mut current: Vec<Value> = model::parse_map(&channel.metadata)
        .get("KM_TAGS")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Vec<Value>>(s).ok())
        .unwrap_or_default();
    for tag in tags {
        let Some(id) = tag.get("id").and_then(Value::as_i64) else {
            return Err(ApiError::bad_request("tags need an id"));
        };
        let row: Option<(i64, String, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, color, created_by FROM tags WHERE id = ?")
                .bind(id)
                .fetch_optional(&state.db)
                .await?;
        let Some((id, name, color, by)) = row else {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "AL-T-01",
                "tag not found",
            ));
        };
        current.retain(|t| t.get("id").and_then(Value::as_i64) != Some(id));
        if add {
            current.push(tag_json(&state, id, &name, &color, by.as_deref()));
        }
    }
    let update = GroupUpdate {
        metadata: Some(Map::from_iter([(
            "KM_TAGS".to_owned(),
            json!(Value::Array(current).to_string()),
        )])),
        ..GroupUpdate::default()
    };
    svc::update_group(&state, &channel, &update).await?;
    Ok(ok("success"))
}

pub async fn group_add_tags(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    group_tags(state, caller, params, body, true).await
}

pub async fn group_remove_tags(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    group_tags(state, caller, params, body, false).await
}
