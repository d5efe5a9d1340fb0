//! Group endpoints (`/rest/ws/group/...`).

use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::{ok, success, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, group_role, ChannelRow, SUPPORT_GROUP};
use crate::mqtt::events;
use crate::routes::messages::{can_access, group_feeds};
use crate::services::groups::{self as svc, Action, GroupUpdate, NewGroup};
use crate::state::SharedState;

pub async fn feed_of(state: &SharedState, channel: &ChannelRow, viewer: &str) -> ApiResult<Value> {
    let members = model::members_of(&state.db, &[channel.id]).await?;
    Ok(channel.feed(&members, Some(viewer)))
}

/// `POST /rest/ws/group/v2/create` (docs: `groupMemberList`) and `/group/v2.1/create` (SDK:
/// `users:[{userId, groupRole}]`).
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let name = field::opt_text(&obj, "groupName")?
        .ok_or_else(|| ApiError::bad_request("groupName is required"))?;
    let kind = field::opt_i64(&obj, "type")?.unwrap_or(2);
    if !matches!(kind, 0..=12 | 106) {
        return Err(ApiError::bad_request("invalid group type"));
    }
    let admin = field::opt_str(&obj, "admin")?.unwrap_or_else(|| caller.user_id().to_owned());
    let mut members: Vec<(String, i64)> = field::str_list(&obj, "groupMemberList")?
        .into_iter()
        .map(|u| (u, group_role::MEMBER))
        .collect();
    if let Some(Value::Array(users)) = obj.get("users") {
        for u in users {
            let Value::Object(u) = u else {
                return Err(ApiError::bad_request("users must be objects"));
            };
            let user_id = field::opt_str(u, "userId")?
                .ok_or_else(|| ApiError::bad_request("users[].userId is required"))?;
            let role = field::opt_i64(u, "groupRole")?
                .or(field::opt_i64(u, "role")?)
                .unwrap_or(group_role::MEMBER);
            members.push((user_id, role));
        }
    }
    if !members.iter().any(|(u, _)| *u == caller.user.user_id) && caller.user_id() == admin {
        members.push((admin.clone(), group_role::ADMIN));
    }
    let group = NewGroup {
        name,
        client_group_id: field::opt_str(&obj, "clientGroupId")?,
        admin,
        kind,
        image_url: field::opt_text(&obj, "imageUrl")?,
        parent_key: field::opt_i64(&obj, "parentKey")?,
        metadata: model::normalise_metadata(obj.get("metadata"))?,
        members,
        create_missing_users: false,
    };
    let channel = svc::create_group(&state, group).await?;
    svc::announce(&state, &channel, &caller.user, Action::Created).await?;
    Ok(ok(feed_of(&state, &channel, caller.user_id()).await?))
}

async fn channel_from_params(state: &SharedState, params: &Params) -> ApiResult<ChannelRow> {
    let group_id = params.i64("groupId")?.or(params.i64("id")?);
    model::resolve_channel(&state.db, group_id, params.str("clientGroupId")).await
}

async fn channel_from_body(state: &SharedState, obj: &Map<String, Value>) -> ApiResult<ChannelRow> {
    let group_id = field::opt_i64(obj, "groupId")?.or(field::opt_i64(obj, "id")?);
    let client = field::opt_str(obj, "clientGroupId")?;
    model::resolve_channel(&state.db, group_id, client.as_deref()).await
}

/// `GET /rest/ws/group/info` and `/group/v2/info`.
pub async fn info(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let channel = channel_from_params(&state, &params).await?;
    if !can_access(&state, &caller, &channel).await? && channel.kind != 6 {
        return Err(ApiError::group_not_found());
    }
    Ok(ok(feed_of(&state, &channel, caller.user_id()).await?))
}

async fn changed_groups(
    state: &SharedState,
    caller: &Caller,
    updated_at: i64,
    generated: i64,
) -> ApiResult<Vec<Value>> {
    // Deleted groups are included (with deletedAtTime) so clients can drop them.
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT c.id FROM channels c JOIN channel_users cu ON cu.channel_id = c.id \
         WHERE cu.user_id = ?1 AND c.updated_at > ?2 AND c.updated_at <= ?3 \
         ORDER BY c.updated_at LIMIT 5000",
    )
    .bind(caller.user_id())
    .bind(updated_at)
    .bind(generated)
    .fetch_all(&state.db)
    .await?;
    let ids: Vec<i64> = ids.into_iter().map(|(i,)| i).collect();
    let sql = format!(
        "SELECT {} FROM channels WHERE id = ?",
        model::CHANNEL_COLUMNS
    );
    let members = model::group_by_channel(model::members_of(&state.db, &ids).await?);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = sqlx::query_as::<_, ChannelRow>(&sql)
            .bind(id)
            .fetch_optional(&state.db)
            .await?
        {
            out.push(c.feed(
                members.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                Some(caller.user_id()),
            ));
        }
    }
    Ok(out)
}

/// `GET /rest/ws/group/v2/list?updatedAt=`: the caller's groups changed after the cursor.
pub async fn list_v2(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let updated_at = params.i64("updatedAt")?.unwrap_or(0);
    let generated = state.cursor_now().await;
    let feeds = changed_groups(&state, &caller, updated_at, generated).await?;
    Ok(success(generated, feeds))
}

/// `GET /rest/ws/group/v3/list` and `/group/v5/list?updatedAt=`: `{groupPxys}`; the next
/// cursor is `generatedAt` (also echoed as `updatedAt`).
pub async fn list_v5(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let updated_at = params.i64("updatedAt")?.unwrap_or(0);
    let generated = state.cursor_now().await;
    let feeds = changed_groups(&state, &caller, updated_at, generated).await?;
    Ok(Json(json!({
        "status": "success",
        "generatedAt": generated,
        "response": {"groupPxys": feeds},
        "updatedAt": generated,
    }))
    .into_response())
}

/// Reads `{userId, clientGroupId|groupId, role}` from the body (POST) or the query (GET).
async fn member_request(
    state: &SharedState,
    method: &Method,
    params: &Params,
    body: &Body,
) -> ApiResult<(ChannelRow, Option<String>, Option<i64>)> {
    if *method == Method::GET || body.is_empty() {
        let channel = channel_from_params(state, params).await?;
        Ok((
            channel,
            params.str("userId").map(str::to_owned),
            params.i64("role")?,
        ))
    } else {
        let obj = body.object()?;
        let channel = channel_from_body(state, &obj).await?;
        Ok((
            channel,
            field::opt_str(&obj, "userId")?,
            field::opt_i64(&obj, "role")?,
        ))
    }
}

/// `POST|GET /rest/ws/group/add/member`
pub async fn add_member(
    State(state): State<SharedState>,
    caller: Caller,
    method: Method,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    let (channel, user_id, role) = member_request(&state, &method, &params, &body).await?;
    let user_id = user_id.ok_or_else(|| ApiError::bad_request("userId is required"))?;
    let role = role.unwrap_or(group_role::MEMBER);
    if !(1..=3).contains(&role) {
        return Err(ApiError::bad_request("role must be 1, 2 or 3"));
    }
    if !svc::can_manage(
        &state,
        &channel,
        caller.user_id(),
        caller.privileged,
        caller.user.is_agent_like(),
        channel.kind == 1,
    )
    .await?
    {
        return Err(ApiError::forbidden());
    }
    svc::add_member(&state, &channel, &user_id, role).await?;
    svc::announce(&state, &channel, &caller.user, Action::Added(user_id)).await?;
    Ok(ok("success"))
}

/// `POST|GET /rest/ws/group/remove/member`
pub async fn remove_member(
    State(state): State<SharedState>,
    caller: Caller,
    method: Method,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    let (channel, user_id, _) = member_request(&state, &method, &params, &body).await?;
    let user_id = user_id.ok_or_else(|| ApiError::bad_request("userId is required"))?;
    if !svc::can_manage(
        &state,
        &channel,
        caller.user_id(),
        caller.privileged,
        caller.user.is_agent_like(),
        true,
    )
    .await?
    {
        return Err(ApiError::forbidden());
    }
    svc::remove_member(&state, &channel, &user_id).await?;
    svc::announce(&state, &channel, &caller.user, Action::Removed(user_id)).await?;
    Ok(ok("success"))
}

/// `POST|GET /rest/ws/group/left`
pub async fn leave(
    State(state): State<SharedState>,
    caller: Caller,
    method: Method,
    params: Params,
    body: Body,
) -> ApiResult<Response> {
    let (channel, _, _) = member_request(&state, &method, &params, &body).await?;
    if model::active_member(&state.db, channel.id, caller.user_id())
        .await?
        .is_none()
    {
        return Err(ApiError::forbidden());
    }
    svc::remove_member(&state, &channel, caller.user_id()).await?;
    svc::announce(
        &state,
        &channel,
        &caller.user,
        Action::Left(caller.user_id().to_owned()),
    )
    .await?;
    Ok(ok("success"))
}

/// `POST /rest/ws/group/add/users` and `/group/remove/users`.
pub async fn add_users(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    many_users(state, caller, body, true).await
}

pub async fn remove_users(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    many_users(state, caller, body, false).await
}

async fn many_users(
    state: SharedState,
    caller: Caller,
    body: Body,
    add: bool,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let user_ids = field::str_list(&obj, "userIds")?;
    let group_ids = field::str_list(&obj, "clientGroupIds")?;
    if user_ids.is_empty() || group_ids.is_empty() {
        return Err(ApiError::bad_request(
            "userIds and clientGroupIds are required",
        ));
    }
    // Validate everything first so nothing is half-applied.
    let mut channels = Vec::new();
    for g in &group_ids {
        let c = model::resolve_channel(&state.db, None, Some(g)).await?;
        if !svc::can_manage(
            &state,
            &c,
            caller.user_id(),
            caller.privileged,
            caller.user.is_agent_like(),
            c.kind == 1,
        )
        .await?
        {
            return Err(ApiError::forbidden());
        }
        channels.push(c);
    }
    for u in &user_ids {
        model::require_user(&state.db, u).await?;
    }
    for c in &channels {
        for u in &user_ids {
            if add {
                svc::add_member(&state, c, u, group_role::MEMBER).await?;
                svc::announce(&state, c, &caller.user, Action::Added(u.clone())).await?;
            } else if model::active_member(&state.db, c.id, u).await?.is_some() {
                svc::remove_member(&state, c, u).await?;
                svc::announce(&state, c, &caller.user, Action::Removed(u.clone())).await?;
            }
        }
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/user/remove/group/all?userId=`
pub async fn remove_from_all(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let user_id = params.str("userId").unwrap_or(caller.user_id()).to_owned();
    if user_id != caller.user_id() && !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT c.id FROM channels c JOIN channel_users cu ON cu.channel_id = c.id \
         WHERE cu.user_id = ? AND cu.removed_at IS NULL AND c.deleted_at IS NULL AND c.type IN (1, 2, 6)",
    )
    .bind(&user_id)
    .fetch_all(&state.db)
    .await?;
    for (id,) in ids {
        if let Some(c) = model::find_channel(&state.db, id).await? {
            svc::remove_member(&state, &c, &user_id).await?;
            svc::announce(&state, &c, &caller.user, Action::Left(user_id.clone())).await?;
        }
    }
    Ok(ok("success"))
}

/// `POST /rest/ws/group/update` `{groupId|clientGroupId, newName, imageUrl, metadata, users}`.
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let channel = channel_from_body(&state, &obj).await?;
    let mut update = GroupUpdate {
        new_name: field::opt_text(&obj, "newName")?,
        image_url: field::opt_text(&obj, "imageUrl")?,
        metadata: match obj.get("metadata") {
            None | Some(Value::Null) => None,
            other => Some(model::normalise_metadata(other)?),
        },
        roles: Vec::new(),
    };
    if let Some(Value::Array(users)) = obj.get("users") {
        for u in users {
            let Value::Object(u) = u else {
                return Err(ApiError::bad_request("users must be objects"));
            };
            let user_id = field::opt_str(u, "userId")?
                .ok_or_else(|| ApiError::bad_request("users[].userId is required"))?;
            let role = field::opt_i64(u, "role")?
                .ok_or_else(|| ApiError::bad_request("users[].role is required"))?;
            update.roles.push((user_id, role));
        }
    }
    let admin_only = !update.roles.is_empty();
    if !svc::can_manage(
        &state,
        &channel,
        caller.user_id(),
        caller.privileged,
        caller.user.is_agent_like(),
        admin_only,
    )
    .await?
    {
        return Err(ApiError::forbidden());
    }
    let updated = svc::update_group(&state, &channel, &update).await?;
    let mut actions = Vec::new();
    if update.new_name.as_ref().is_some_and(|n| *n != channel.name) {
        actions.push(Action::Renamed);
    }
    if update.image_url.is_some() && update.image_url != channel.image_url {
        actions.push(Action::IconChanged);
    }
    for (user_id, role) in &update.roles {
        actions.push(Action::RoleChanged(user_id.clone(), *role));
    }
    if update.metadata.is_some() {
        actions.push(Action::MetadataUpdated);
    }
    for action in actions {
        svc::announce(&state, &updated, &caller.user, action).await?;
    }
    Ok(ok("success"))
}

/// `POST /rest/ws/group/user/update {clientGroupId|groupId|id, notificationAfterTime}`: mute;
/// APPLOZIC_39 to the caller's devices.
pub async fn user_update(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let channel = channel_from_body(&state, &obj).await?;
    let after = field::opt_i64(&obj, "notificationAfterTime")?
        .ok_or_else(|| ApiError::bad_request("notificationAfterTime is required"))?;
    {
        let _w = state.begin_write().await;
        let done = sqlx::query(
            "UPDATE channel_users SET notification_after_time = ? \
             WHERE channel_id = ? AND user_id = ? AND removed_at IS NULL",
        )
        .bind(after)
        .bind(channel.id)
        .bind(caller.user_id())
        .execute(&state.db)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::forbidden());
        }
    }
    state
        .notify_user(
            caller.user_id(),
            events::GROUP_MUTE_NOTIFICATION,
            json!(format!("{}:{}", channel.id, after)),
            false,
        )
        .await;
    Ok(ok("success"))
}

/// `GET /rest/ws/group/check/user?clientGroupId=&userId=`
pub async fn check_user(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let channel = channel_from_params(&state, &params).await?;
    if !can_access(&state, &caller, &channel).await? {
        return Err(ApiError::group_not_found());
    }
    let user_id = params.required_str("userId")?;
    Ok(ok(model::active_member(&state.db, channel.id, user_id)
        .await?
        .is_some()))
}

/// `GET /rest/ws/group/user/count?clientGroupIds=a&clientGroupIds=b`
pub async fn user_count(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let mut out = Vec::new();
    let ids = params.all("clientGroupIds");
    if ids.is_empty() {
        return Err(ApiError::bad_request("clientGroupIds is required"));
    }
    for cid in ids {
        let channel = model::resolve_channel(&state.db, None, Some(cid)).await?;
        if !can_access(&state, &caller, &channel).await? {
            return Err(ApiError::group_not_found());
        }
        let count = svc::member_ids(&state, channel.id).await?.len();
        out.push(
            json!({"id": channel.id, "clientGroupId": channel.client_group_id, "userCount": count}),
        );
    }
    Ok(ok(out))
}

async fn may_delete(state: &SharedState, caller: &Caller, channel: &ChannelRow) -> ApiResult<bool> {
    if caller.privileged || (channel.kind == SUPPORT_GROUP && caller.user.is_agent_like()) {
        return Ok(true);
    }
    if channel.admin_id.as_deref() == Some(caller.user_id()) {
        return Ok(true);
    }
    Ok(
        model::active_member(&state.db, channel.id, caller.user_id())
            .await?
            .is_some_and(|m| m.role == group_role::ADMIN),
    )
}

/// `GET /rest/ws/group/delete?clientGroupId=|groupId=`: admins only.
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let channel = channel_from_params(&state, &params).await?;
    if !may_delete(&state, &caller, &channel).await? {
        return Err(ApiError::forbidden());
    }
    svc::delete_group(&state, &channel).await?;
    Ok(ok(true))
}

/// `GET|POST /rest/ws/group/multiple/delete?groupIds=&clientGroupIds=`
pub async fn delete_many(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let mut channels = Vec::new();
    for id in params.all_i64("groupIds")? {
        channels.push(model::resolve_channel(&state.db, Some(id), None).await?);
    }
    for cid in params.all("clientGroupIds") {
        channels.push(model::resolve_channel(&state.db, None, Some(cid)).await?);
    }
    if channels.is_empty() {
        return Err(ApiError::bad_request(
            "groupIds or clientGroupIds is required",
        ));
    }
    for c in &channels {
        if !may_delete(&state, &caller, c).await? {
            return Err(ApiError::forbidden());
        }
    }
    for c in &channels {
        svc::delete_group(&state, c).await?;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/group/v2/channel?pageSize=&endTime=`: open groups (type 6).
pub async fn open_channels(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let page = params.page_size("pageSize", 50, 200)?;
    let end = params.i64("endTime")?.unwrap_or(i64::MAX);
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, created_at FROM channels WHERE type = 6 AND deleted_at IS NULL AND created_at < ? \
         ORDER BY created_at DESC LIMIT ?",
    )
    .bind(end)
    .bind(page)
    .fetch_all(&state.db)
    .await?;
    let last = ids.last().map(|(_, t)| *t);
    let feeds = group_feeds(
        &state,
        &ids.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        caller.user_id(),
    )
    .await?;
    let mut body = json!({"groupPxys": feeds});
    if let Some(t) = last {
        body["lastFetchTime"] = json!(t);
    }
    Ok(ok(body))
}

/// `GET /rest/ws/group/filter?pageSize=&endTime=` (application bot): all groups of the app.
pub async fn filter(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let page = params.page_size("pageSize", 500, 1000)?;
    let end = params.i64("endTime")?.unwrap_or(i64::MAX);
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, created_at FROM channels WHERE deleted_at IS NULL AND created_at < ? \
         ORDER BY created_at DESC LIMIT ?",
    )
    .bind(end)
    .bind(page)
    .fetch_all(&state.db)
    .await?;
    let feeds = group_feeds(
        &state,
        &ids.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        caller.user_id(),
    )
    .await?;
    let mut body = json!({
        "users": [],
        "groups": feeds,
        "devices": [],
        "totalUnreadCount": 0,
    });
    if let Some((_, t)) = ids.last() {
        body["lastFetchTime"] = json!(t);
        body["lastFetchIndex"] = json!(ids.len().saturating_sub(1));
    }
    Ok(ok(body))
}
