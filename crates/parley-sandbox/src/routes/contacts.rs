//! Friend / favourite contact lists: `group/{GroupName}/add`, `/add/members`, `/get`,
//! `/remove`, `/delete`. A user's own list is a group of type 8 owned by them; an open list
//! (`type` 9) is shared by its members.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, group_role, ChannelRow};
use crate::routes::groups::feed_of;
use crate::services::groups::{self as svc, NewGroup};
use crate::state::SharedState;

const PRIVATE_LIST: i64 = 8;
const OPEN_LIST: i64 = 9;

fn list_client_id(owner: &str, name: &str, kind: i64) -> String {
    if kind == OPEN_LIST {
        format!("contacts:open:{name}")
    } else {
        format!("contacts:{owner}:{name}")
    }
}

fn list_kind(params: &Params) -> ApiResult<i64> {
    match params.i64("groupType")? {
        None | Some(PRIVATE_LIST) => Ok(PRIVATE_LIST),
        Some(OPEN_LIST) => Ok(OPEN_LIST),
        Some(_) => Err(ApiError::bad_request("groupType must be 9 for open lists")),
    }
}

async fn find_list(
    state: &SharedState,
    caller: &Caller,
    name: &str,
    kind: i64,
) -> ApiResult<ChannelRow> {
    let channel =
        model::find_channel_by_client_id(&state.db, &list_client_id(caller.user_id(), name, kind))
            .await?
            .ok_or_else(ApiError::group_not_found)?;
    if kind == OPEN_LIST
        && model::active_member(&state.db, channel.id, caller.user_id())
            .await?
            .is_none()
    {
        return Err(ApiError::group_not_found());
    }
    Ok(channel)
}

async fn add_to_list(
    state: &SharedState,
    caller: &Caller,
    name: &str,
    kind: i64,
    users: Vec<String>,
) -> ApiResult<Response> {
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid list name"));
    }
    if users.len() > 500 {
        return Err(ApiError::bad_request("too many users"));
    }
    for u in &users {
        model::require_user(&state.db, u).await?;
    }
    let client_id = list_client_id(caller.user_id(), name, kind);
    match model::find_channel_by_client_id(&state.db, &client_id).await? {
        Some(channel) => {
            for u in users {
                if model::active_member(&state.db, channel.id, &u)
                    .await?
                    .is_none()
                {
                    svc::add_member(state, &channel, &u, group_role::MEMBER).await?;
                }
            }
        }
        None => {
            let mut members: Vec<(String, i64)> =
                users.into_iter().map(|u| (u, group_role::MEMBER)).collect();
            members.push((caller.user_id().to_owned(), group_role::ADMIN));
            svc::create_group(
                state,
                NewGroup {
                    name: name.to_owned(),
                    client_group_id: Some(client_id),
                    admin: caller.user_id().to_owned(),
                    kind,
                    members,
                    ..NewGroup::default()
                },
            )
            .await?;
        }
    }
    Ok(ok("success"))
}

/// `POST /rest/ws/group/{GroupName}/add` with `["user1", …]`.
pub async fn add(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let users: Vec<String> = match body.json::<Value>()? {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(ApiError::bad_request("body must be a list of user ids")),
            })
            .collect::<ApiResult<_>>()?,
        _ => return Err(ApiError::bad_request("body must be a list of user ids")),
    };
    add_to_list(&state, &caller, &name, PRIVATE_LIST, users).await
}

/// `POST /rest/ws/group/{GroupName}/add/members {type: 9, groupMemberList}`.
pub async fn add_members(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let kind = field::opt_i64(&obj, "type")?.unwrap_or(OPEN_LIST);
    if kind != OPEN_LIST {
        return Err(ApiError::bad_request("type must be 9"));
    }
    let users = field::str_list(&obj, "groupMemberList")?;
    add_to_list(&state, &caller, &name, OPEN_LIST, users).await
}

/// `GET /rest/ws/group/{GroupName}/get[?groupType=9]`
pub async fn get_list(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let channel = find_list(&state, &caller, &name, list_kind(&params)?).await?;
    Ok(ok(feed_of(&state, &channel, caller.user_id()).await?))
}

/// `GET /rest/ws/group/{GroupName}/remove?userId=[&groupType=9]`
pub async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let channel = find_list(&state, &caller, &name, list_kind(&params)?).await?;
    let user = params.required_str("userId")?;
    svc::remove_member(&state, &channel, user).await?;
    Ok(ok("success"))
}

/// `GET /rest/ws/group/{GroupName}/delete[?groupType=9]`
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let kind = list_kind(&params)?;
    let channel = find_list(&state, &caller, &name, kind).await?;
    if kind == OPEN_LIST
        && channel.admin_id.as_deref() != Some(caller.user_id())
        && !caller.privileged
    {
        return Err(ApiError::forbidden());
    }
    svc::delete_group(&state, &channel).await?;
    Ok(ok("success"))
}
