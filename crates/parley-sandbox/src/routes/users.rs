//! User endpoints (`/rest/ws/user/...`) and Kommunicate's `users` API.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::auth::{hash_password, verify_password, Caller};
use crate::error::{ok, success, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, role, UserRow};
use crate::mqtt::events;
use crate::services::{presence, users};
use crate::state::SharedState;

const MAX_IDS: usize = 500;

/// `GET /rest/ws/user/detail?userIds=a&userIds=b` (also `user/info`): a bare `[UserDetail]`.
pub async fn detail(
    State(state): State<SharedState>,
    _caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let ids: Vec<String> = params
        .all("userIds")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request("userIds is required"));
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_request("too many userIds"));
    }
    let users = model::users_by_ids(&state.db, &ids).await?;
    Ok(Json(users.iter().map(UserRow::detail).collect::<Vec<_>>()).into_response())
}

/// `POST /rest/ws/user/v2/detail {"userIdList":[…]}` or `{"phoneNumberList":[…]}`.
pub async fn detail_v2(
    State(state): State<SharedState>,
    _caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let ids = field::str_list(&obj, "userIdList")?;
    let phones = field::str_list(&obj, "phoneNumberList")?;
    if ids.is_empty() && phones.is_empty() {
        return Err(ApiError::bad_request(
            "userIdList or phoneNumberList is required",
        ));
    }
    if ids.len() > MAX_IDS || phones.len() > MAX_IDS {
        return Err(ApiError::bad_request("too many ids"));
    }
    let mut users = model::users_by_ids(&state.db, &ids).await?;
    for phone in &phones {
        let sql = format!("SELECT {} FROM users WHERE phone = ?", model::USER_COLUMNS);
        users.extend(
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(phone)
                .fetch_all(&state.db)
                .await?,
        );
    }
    Ok(Json(users.iter().map(UserRow::detail).collect::<Vec<_>>()).into_response())
}

/// `GET /rest/ws/user/status?lastSeenAt=`: users whose presence changed after the cursor.
pub async fn status(
    State(state): State<SharedState>,
    _caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let since = params.i64("lastSeenAt")?.unwrap_or(0);
    let generated = state.cursor_now().await;
    let sql = format!(
        "SELECT {} FROM users WHERE last_seen_at > ? AND last_seen_at <= ? \
         ORDER BY last_seen_at LIMIT 1000",
        model::USER_COLUMNS
    );
    let users: Vec<UserRow> = sqlx::query_as(&sql)
        .bind(since)
        .bind(generated)
        .fetch_all(&state.db)
        .await?;
    Ok(success(
        generated,
        users.iter().map(UserRow::detail).collect::<Vec<_>>(),
    ))
}

/// `GET /rest/ws/user/ol/list?startIndex=&pageSize=`: online users.
pub async fn online_list(
    State(state): State<SharedState>,
    _caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let page = params.page_size("pageSize", 50, 500)?;
    let start = params.i64("startIndex")?.unwrap_or(0).max(0);
    let sql = format!(
        "SELECT {} FROM users WHERE connected = 1 ORDER BY user_id LIMIT ? OFFSET ?",
        model::USER_COLUMNS
    );
    let users: Vec<UserRow> = sqlx::query_as(&sql)
        .bind(page)
        .bind(start)
        .fetch_all(&state.db)
        .await?;
    Ok(ok(users.iter().map(UserRow::detail).collect::<Vec<_>>()))
}

/// `POST /rest/ws/user/update` (`Of-User-Id` for bots and the server API); APPLOZIC_30.
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let target = caller.user.clone();
    let display_name = field::opt_text(&obj, "displayName")?;
    let email = field::opt_text(&obj, "email")?;
    let image_link = field::opt_text(&obj, "imageLink")?;
    let status_message = field::opt_text(&obj, "statusMessage")?;
    let phone = field::opt_str(&obj, "phoneNumber")?.or(field::opt_str(&obj, "contactNumber")?);
    let extra = model::normalise_metadata(obj.get("metadata"))?;
    for text in [&display_name, &email, &image_link, &status_message, &phone]
        .into_iter()
        .flatten()
    {
        if text.chars().count() > 2000 {
            return Err(ApiError::bad_request("field too long"));
        }
    }
    {
        let w = state.begin_write().await;
        let mut meta = match model::parse_map(&target.metadata) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        meta.extend(extra);
        sqlx::query(
            "UPDATE users SET display_name = COALESCE(?, display_name), email = COALESCE(?, email), \
             image_link = COALESCE(?, image_link), status_message = COALESCE(?, status_message), \
             phone = COALESCE(?, phone), metadata = ?, updated_at = ? WHERE user_id = ?",
        )
        .bind(&display_name)
        .bind(&email)
        .bind(&image_link)
        .bind(&status_message)
        .bind(&phone)
        .bind(Value::Object(meta).to_string())
        .bind(w.now)
        .bind(&target.user_id)
        .execute(&state.db)
        .await?;
    }
    let mut audience = events::contacts_of(&state.db, &target.user_id).await?;
    audience.push(target.user_id.clone());
    state
        .notify_users(
            &audience,
            events::USER_DETAIL_CHANGED,
            json!(target.user_id),
            false,
        )
        .await;
    Ok(ok("success"))
}

/// `GET /rest/ws/user/update/password?oldPassword=&newPassword=`
pub async fn update_password(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let old = params.required_str("oldPassword")?;
    let new = params.required_str("newPassword")?;
    let valid = caller
        .user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(old, h));
    if !valid {
        return Err(ApiError::unauthorized("invalid password"));
    }
    set_password_of(&state, caller.user_id(), new).await?;
    Ok(ok("success"))
}

async fn set_password_of(state: &SharedState, user_id: &str, password: &str) -> ApiResult<()> {
    if password.is_empty() || password.chars().count() > 200 {
        return Err(ApiError::bad_request("invalid password"));
    }
    let w = state.begin_write().await;
    sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE user_id = ?")
        .bind(hash_password(password))
        .bind(w.now)
        .bind(user_id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// `GET /rest/ws/user/set/password?userId=&password=` (application bot only).
pub async fn set_password(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let user_id = params.required_str("userId")?;
    model::require_user(&state.db, user_id).await?;
    set_password_of(&state, user_id, params.required_str("password")?).await?;
    Ok(ok("success"))
}

/// `POST /rest/ws/user/v2/create` (application bot only).
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    if !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let obj = body.object()?;
    let user_id = field::opt_str(&obj, "userId")?
        .ok_or_else(|| ApiError::bad_request("userId is required"))?;
    let role_type = match field::opt_str(&obj, "roleName")? {
        Some(name) => {
            users::role_from_name(&name).ok_or_else(|| ApiError::bad_request("unknown roleName"))?
        }
        None => role::USER,
    };
    let password = field::opt_str(&obj, "password")?;
    if role_type == role::BOT && password.is_none() {
        return Err(ApiError::bad_request("password is required for BOT users"));
    }
    let new = users::NewUser {
        user_id,
        display_name: field::opt_text(&obj, "displayName")?,
        email: field::opt_text(&obj, "email")?,
        phone: field::opt_str(&obj, "contactNumber")?,
        image_link: field::opt_text(&obj, "imageLink")?,
        password,
        role_type,
        user_type_id: field::opt_i64(&obj, "userTypeId")?,
        metadata: model::normalise_metadata(obj.get("metadata"))?,
    };
    {
        let w = state.begin_write().await;
        let mut conn = state.db.acquire().await?;
        users::insert_user(&mut conn, &new, w.now).await?;
    }
    Ok(ok("success"))
}

/// `GET /rest/ws/user/filter?pageSize=&startTime=&role=`: a bare `{users, lastFetchTime}`.
pub async fn filter(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let page = params.page_size("pageSize", 500, 1000)?;
    let start = params.i64("startTime")?.unwrap_or(i64::MAX);
    let role = match params.str("role").or(params.str("roleName")) {
        Some(name) => {
            Some(users::role_from_name(name).ok_or_else(|| ApiError::bad_request("unknown role"))?)
        }
        None => params.i64("roleType")?,
    };
    let mut sql = format!(
        "SELECT {} FROM users WHERE created_at < ?",
        model::USER_COLUMNS
    );
    if role.is_some() {
        sql.push_str(" AND role_type = ?");
    }
    if params.str("userId").is_some() {
        sql.push_str(" AND user_id = ?");
    }
    sql.push_str(" AND user_id <> ? ORDER BY created_at DESC, user_id LIMIT ?");
    let mut q = sqlx::query_as::<_, UserRow>(&sql).bind(start);
    if let Some(r) = role {
        q = q.bind(r);
    }
    if let Some(u) = params.str("userId") {
        q = q.bind(u.to_owned());
    }
    let users: Vec<UserRow> = q
        .bind(caller.user_id())
        .bind(page)
        .fetch_all(&state.db)
        .await?;
    let mut body = json!({
        "users": users.iter().map(UserRow::detail).collect::<Vec<_>>(),
        "totalUnreadCount": 0,
    });
    if let Some(last) = users.last() {
        body["lastFetchTime"] = json!(last.created_at);
    }
    Ok(Json(body).into_response())
}

async fn set_block(
    state: &SharedState,
    caller: &Caller,
    target: &str,
    blocked: bool,
) -> ApiResult<Response> {
    if target == caller.user_id() {
        return Err(ApiError::bad_request("cannot block yourself"));
    }
    model::require_user(&state.db, target).await?;
    {
        let w = state.begin_write().await;
        sqlx::query(
            "INSERT INTO blocks (blocker_id, blocked_id, user_blocked, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (blocker_id, blocked_id) \
             DO UPDATE SET user_blocked = ?3, updated_at = ?4",
        )
        .bind(caller.user_id())
        .bind(target)
        .bind(i64::from(blocked))
        .bind(w.now)
        .execute(&state.db)
        .await?;
    }
    let (kind, by, to) = if blocked {
        (events::USER_BLOCKED, "BLOCKED_BY", "BLOCKED_TO")
    } else {
        (events::USER_UN_BLOCKED, "UNBLOCKED_BY", "UNBLOCKED_TO")
    };
    state
        .notify_user(
            target,
            kind,
            json!(format!("{by}:{}", caller.user_id())),
            false,
        )
        .await;
    state
        .notify_user(
            caller.user_id(),
            kind,
            json!(format!("{to}:{target}")),
            false,
        )
        .await;
    Ok(ok(true))
}

/// `GET /rest/ws/user/block?userId=`
pub async fn block(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let target = params.required_str("userId")?;
    set_block(&state, &caller, target, true).await
}

/// `GET /rest/ws/user/unblock?userId=`
pub async fn unblock(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let target = params.required_str("userId")?;
    set_block(&state, &caller, target, false).await
}

/// `GET /rest/ws/user/blocked/sync?lastSyncTime=`
pub async fn blocked_sync(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let since = params.i64("lastSyncTime")?.unwrap_or(0);
    let generated = state.cursor_now().await;
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT blocker_id, blocked_id, user_blocked, created_at, updated_at FROM blocks \
         WHERE (blocker_id = ?1 OR blocked_id = ?1) AND updated_at > ?2 AND updated_at <= ?3 \
         ORDER BY updated_at",
    )
    .bind(caller.user_id())
    .bind(since)
    .bind(generated)
    .fetch_all(&state.db)
    .await?;
    let mut by = Vec::new();
    let mut to = Vec::new();
    for (blocker, blocked, flag, created, updated) in rows {
        if blocker == caller.user_id() {
            to.push(json!({"blockedTo": blocked, "createdAtTime": created, "userBlocked": flag != 0, "updatedAtTime": updated}));
        } else {
            by.push(json!({"blockedBy": blocker, "createdAtTime": created, "userBlocked": flag != 0, "updatedAtTime": updated}));
        }
    }
    Ok(success(
        generated,
        json!({"blockedByUserList": by, "blockedToUserList": to}),
    ))
}

/// `POST /rest/ws/user/chat/mute?userId=&notificationAfterTime=`; APPLOZIC_37.
pub async fn mute(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let target = params.required_str("userId")?;
    let after = params
        .i64("notificationAfterTime")?
        .ok_or_else(|| ApiError::bad_request("notificationAfterTime is required"))?;
    model::require_user(&state.db, target).await?;
    {
        let _w = state.begin_write().await;
        sqlx::query(
            "INSERT INTO muted_users (user_id, muted_id, notification_after_time) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id, muted_id) DO UPDATE SET notification_after_time = ?3",
        )
        .bind(caller.user_id())
        .bind(target)
        .bind(after)
        .execute(&state.db)
        .await?;
    }
    let muted = i64::from(after > crate::clock::wall_ms());
    state
        .notify_user(
            caller.user_id(),
            events::USER_MUTE_NOTIFICATION,
            json!(format!("{target}:{muted}")),
            false,
        )
        .await;
    Ok(ok("success"))
}

/// `GET /rest/ws/user/chat/mute/list`
pub async fn mute_list(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT muted_id, notification_after_time FROM muted_users WHERE user_id = ? ORDER BY muted_id",
    )
    .bind(caller.user_id())
    .fetch_all(&state.db)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(u, t)| json!({"userId": u, "notificationAfterTime": t}))
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// `PATCH /rest/ws/users/status {"status":1|0}` (agent availability, dashboard token):
/// 1 online, 0 away; APPLOZIC_25 on the support channel.
pub async fn set_availability(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let status = field::opt_i64(&obj, "status")?
        .ok_or_else(|| ApiError::bad_request("status is required"))?;
    let mqtt_status = match status {
        1 => 3,
        0 => 2,
        _ => return Err(ApiError::bad_request("status must be 0 or 1")),
    };
    presence::update(
        &state,
        caller.user_id(),
        mqtt_status,
        caller.user.is_agent_like(),
    )
    .await?;
    Ok(Json(json!({"code": "SUCCESS", "response": "updated"})).into_response())
}

/// `GET /users/list?applicationId=&userName=|roleType=` (Kommunicate): `{code, response:[…]}`.
pub async fn kommunicate_list(
    State(state): State<SharedState>,
    _caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    if let Some(app) = params.str("applicationId") {
        if app != state.app.application_id {
            return Err(ApiError::unauthorized("invalid application key"));
        }
    }
    let users: Vec<UserRow> = if let Some(name) = params.str("userName") {
        model::find_user(&state.db, name)
            .await?
            .into_iter()
            .collect()
    } else {
        let roles = params.all_i64("roleType")?;
        let roles = if roles.is_empty() {
            vec![role::AGENT]
        } else {
            roles
        };
        let mut out = Vec::new();
        for r in roles {
            let sql = format!(
                "SELECT {} FROM users WHERE role_type = ? ORDER BY user_id LIMIT 1000",
                model::USER_COLUMNS
            );
            out.extend(
                sqlx::query_as::<_, UserRow>(&sql)
                    .bind(r)
                    .fetch_all(&state.db)
                    .await?,
            );
        }
        out
    };
    let response: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "userName": u.user_id,
                "name": u.display(),
                "email": u.email,
                "roleType": u.role_type,
                "status": i64::from(u.availability == 1 || u.availability == 3),
                "availabilityStatus": u.availability,
                "connected": u.connected != 0,
                "applicationId": state.app.application_id,
            })
        })
        .collect();
    Ok(Json(json!({"code": "SUCCESS", "response": response})).into_response())
}
