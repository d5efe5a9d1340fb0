//! Groups (channels) and Kommunicate conversations (support groups, type 10).

use serde_json::{json, Map, Value};
use sqlx::SqliteConnection;

use crate::error::{ApiError, ApiResult};
use crate::model::{self, group_role, ChannelRow, SUPPORT_GROUP};
use crate::mqtt::events;
use crate::services::users;
use crate::state::AppState;

#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub name: String,
    pub client_group_id: Option<String>,
    pub admin: String,
    pub kind: i64,
    pub image_url: Option<String>,
    pub parent_key: Option<i64>,
    pub metadata: Map<String, Value>,
    /// (userId, role); the admin is added with role ADMIN if missing.
    pub members: Vec<(String, i64)>,
    /// Create unknown members instead of failing with `AL-U-01`.
    pub create_missing_users: bool,
}

/// `CONVERSATION_STATUS`, `CONVERSATION_ASSIGNEE` and `KM_TEAM_ID`, cached in columns.
pub fn cached_columns(
    metadata: &Map<String, Value>,
) -> (Option<i64>, Option<String>, Option<String>) {
    let text = |k: &str| {
        metadata
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    (
        text("CONVERSATION_STATUS").and_then(|s| s.parse().ok()),
        text("CONVERSATION_ASSIGNEE"),
        text("KM_TEAM_ID"),
    )
}

pub fn validate_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("groupName is required"));
    }
    if name.chars().count() > 500 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid groupName"));
    }
    Ok(())
}

/// Inserts a group inside an open transaction; returns its id.
pub async fn insert_group(conn: &mut SqliteConnection, g: &NewGroup, now: i64) -> ApiResult<i64> {
    validate_name(&g.name)?;
    if let Some(cid) = &g.client_group_id {
        if cid.chars().count() > 250 || cid.chars().any(char::is_control) {
            return Err(ApiError::bad_request("invalid clientGroupId"));
        }
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM channels WHERE client_group_id = ?")
                .bind(cid)
                .fetch_optional(&mut *conn)
                .await?;
        if exists.is_some() {
            return Err(ApiError::group_exists());
        }
    }
    let mut members = g.members.clone();
    if !members.iter().any(|(u, _)| *u == g.admin) {
        members.push((g.admin.clone(), group_role::ADMIN));
    }
    members.dedup_by(|a, b| a.0 == b.0);
    for (user_id, _) in &members {
        if g.create_missing_users {
            users::ensure_user(conn, user_id, now).await?;
        } else {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE user_id = ?")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_none() {
                return Err(ApiError::user_not_found());
            }
        }
    }
    let (status, assignee, team) = cached_columns(&g.metadata);
    let placeholder = format!("pending-{}", uuid::Uuid::new_v4());
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO channels (client_group_id, name, admin_id, type, image_url, parent_key, \
         metadata, status, assignee, team_id, created_at, updated_at, last_message_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(g.client_group_id.as_deref().unwrap_or(&placeholder))
    .bind(&g.name)
    .bind(&g.admin)
    .bind(g.kind)
    .bind(&g.image_url)
    .bind(g.parent_key)
    .bind(Value::Object(g.metadata.clone()).to_string())
    .bind(status)
    .bind(assignee)
    .bind(team)
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id = id.0;
    if g.client_group_id.is_none() {
        sqlx::query("UPDATE channels SET client_group_id = CAST(id AS TEXT) WHERE id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for (user_id, role) in &members {
        sqlx::query(
            "INSERT OR IGNORE INTO channel_users (channel_id, user_id, role, joined_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

pub async fn create_group(state: &AppState, g: NewGroup) -> ApiResult<ChannelRow> {
    let id = {
        let w = state.begin_write().await;
        let mut tx = state.db.begin().await?;
        let id = insert_group(&mut tx, &g, w.now).await?;
        tx.commit().await?;
        id
    };
    let channel = model::find_channel(&state.db, id)
        .await?
        .ok_or_else(ApiError::group_not_found)?;
    notify_group_changed(state, &channel).await?;
    Ok(channel)
}

/// The active members' ids.
pub async fn member_ids(state: &AppState, channel_id: i64) -> ApiResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT user_id FROM channel_users WHERE channel_id = ? AND removed_at IS NULL",
    )
    .bind(channel_id)
    .fetch_all(&state.db)
    .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// APPLOZIC_15 (group sync) to members; for support groups also APPLOZIC_42 on the support
/// channel with the group's current metadata.
pub async fn notify_group_changed(state: &AppState, channel: &ChannelRow) -> ApiResult<()> {
    let members = member_ids(state, channel.id).await?;
    state
        .notify_users(
            &members,
            events::GROUP_SYNC,
            json!(channel.id.to_string()),
            false,
        )
        .await;
    if channel.kind == SUPPORT_GROUP {
        state
            .notify_support(
                events::GROUP_UPDATE,
                json!({
                    "groupId": channel.id,
                    "clientGroupId": channel.client_group_id,
                    "metadata": model::parse_map(&channel.metadata),
                }),
                false,
            )
            .await;
    }
    Ok(())
}

/// Whether `user` may change the group: members (and, in private groups, only admins and
/// moderators), privileged callers, and agents on support groups.
pub async fn can_manage(
    state: &AppState,
    channel: &ChannelRow,
    user_id: &str,
    privileged: bool,
    agent_like: bool,
    admin_only: bool,
) -> ApiResult<bool> {
    if privileged || (agent_like && channel.kind == SUPPORT_GROUP) {
        return Ok(true);
    }
    let Some(member) = model::active_member(&state.db, channel.id, user_id).await? else {
        return Ok(false);
    };
    let is_admin = channel.admin_id.as_deref() == Some(user_id)
        || member.role == group_role::ADMIN
        || member.role == group_role::MODERATOR;
    Ok(!admin_only || is_admin || channel.kind == 2)
}

pub async fn add_member(
    state: &AppState,
    channel: &ChannelRow,
    user_id: &str,
    role: i64,
) -> ApiResult<()> {
    {
        let w = state.begin_write().await;
        let mut tx = state.db.begin().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(ApiError::user_not_found());
        }
        sqlx::query(
            "INSERT INTO channel_users (channel_id, user_id, role, joined_at, read_up_to) \
             VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT (channel_id, user_id) DO UPDATE SET removed_at = NULL, role = ?3",
        )
        .bind(channel.id)
        .bind(user_id)
        .bind(role)
        .bind(w.now)
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, channel.id, w.now).await?;
        tx.commit().await?;
    }
    notify_group_changed(state, channel).await
}

pub async fn remove_member(state: &AppState, channel: &ChannelRow, user_id: &str) -> ApiResult<()> {
    {
        let w = state.begin_write().await;
        let mut tx = state.db.begin().await?;
        let done = sqlx::query(
            "UPDATE channel_users SET removed_at = ? \
             WHERE channel_id = ? AND user_id = ? AND removed_at IS NULL",
        )
        .bind(w.now)
        .bind(channel.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::user_not_found());
        }
        touch(&mut tx, channel.id, w.now).await?;
        tx.commit().await?;
    }
    notify_group_changed(state, channel).await?;
    // The removed member syncs too, so the group leaves their list.
    state
        .notify_user(
            user_id,
            events::GROUP_SYNC,
            json!(channel.id.to_string()),
            false,
        )
        .await;
    Ok(())
}

/// Bumps `updated_at`, the cursor of `group/v5/list?updatedAt=`.
pub async fn touch(conn: &mut SqliteConnection, channel_id: i64, now: i64) -> ApiResult<()> {
    sqlx::query("UPDATE channels SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct GroupUpdate {
    pub new_name: Option<String>,
    pub image_url: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub roles: Vec<(String, i64)>,
}

/// Applies an update; metadata keys are merged into the existing map.
pub async fn update_group(
    state: &AppState,
    channel: &ChannelRow,
    update: &GroupUpdate,
) -> ApiResult<ChannelRow> {
    if let Some(name) = &update.new_name {
        validate_name(name)?;
    }
    {
        let w = state.begin_write().await;
        let mut tx = state.db.begin().await?;
        let mut metadata = match model::parse_map(&channel.metadata) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(extra) = &update.metadata {
            for (k, v) in extra {
                metadata.insert(k.clone(), v.clone());
            }
        }
        let (status, assignee, team) = cached_columns(&metadata);
        sqlx::query(
            "UPDATE channels SET name = COALESCE(?, name), image_url = COALESCE(?, image_url), \
             metadata = ?, status = ?, assignee = ?, team_id = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&update.new_name)
        .bind(&update.image_url)
        .bind(Value::Object(metadata).to_string())
        .bind(status)
        .bind(assignee)
        .bind(team)
        .bind(w.now)
        .bind(channel.id)
        .execute(&mut *tx)
        .await?;
        for (user_id, role) in &update.roles {
            if !(1..=3).contains(role) {
                return Err(ApiError::bad_request("role must be 1, 2 or 3"));
            }
            let done = sqlx::query(
                "UPDATE channel_users SET role = ? \
                 WHERE channel_id = ? AND user_id = ? AND removed_at IS NULL",
            )
            .bind(role)
            .bind(channel.id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(ApiError::user_not_found());
            }
        }
        tx.commit().await?;
    }
    let updated = model::find_channel(&state.db, channel.id)
        .await?
        .ok_or_else(ApiError::group_not_found)?;
    notify_group_changed(state, &updated).await?;
    Ok(updated)
}

pub async fn delete_group(state: &AppState, channel: &ChannelRow) -> ApiResult<()> {
    let members = member_ids(state, channel.id).await?;
    {
        let w = state.begin_write().await;
        sqlx::query("UPDATE channels SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(w.now)
            .bind(channel.id)
            .execute(&state.db)
            .await?;
    }
    state
        .notify_users(
            &members,
            events::GROUP_CONVERSATION_DELETED,
            json!(channel.id.to_string()),
            false,
        )
        .await;
    if channel.kind == SUPPORT_GROUP {
        state
            .notify_support(
                events::GROUP_UPDATE,
                json!({
                    "groupId": channel.id,
                    "clientGroupId": channel.client_group_id,
                    "metadata": {"KM_REMOVE_GROUP": "true"},
                }),
                false,
            )
            .await;
    }
    Ok(())
}

/// A change announced in the group as a `contentType` 10 message (`metadata.action`).
#[derive(Debug, Clone)]
pub enum Action {
    Created,
    Added(String),
    Removed(String),
    Left(String),
    Renamed,
    IconChanged,
    RoleChanged(String, i64),
    MetadataUpdated,
}

impl Action {
    /// (`metadata.action` code, template key, default template).
    fn parts(&self) -> (i64, &'static str, Option<&'static str>) {
        match self {
            Self::Created => (
                0,
                "CREATE_GROUP_MESSAGE",
                Some(":adminName created group :groupName"),
            ),
            Self::Added(_) => (1, "ADD_MEMBER_MESSAGE", Some(":adminName added :userName")),
            Self::Removed(_) => (
                2,
                "REMOVE_MEMBER_MESSAGE",
                Some(":adminName removed :userName"),
            ),
            Self::Left(_) => (3, "GROUP_LEFT_MESSAGE", Some(":userName left")),
            Self::Renamed => (
                5,
                "GROUP_NAME_CHANGE_MESSAGE",
                Some(":adminName changed group name to :groupName"),
            ),
            Self::IconChanged => (
                6,
                "GROUP_ICON_CHANGE_MESSAGE",
                Some(":adminName changed group icon"),
            ),
            Self::RoleChanged(..) => (
                8,
                "GROUP_USER_ROLE_UPDATED_MESSAGE",
                Some(":userName is :role now"),
            ),
            // Metadata changes are announced only when the group sets a template.
            Self::MetadataUpdated => (9, "GROUP_META_DATA_UPDATED_MESSAGE", None),
        }
    }
}

fn role_name(role: i64) -> &'static str {
    match role {
        group_role::ADMIN => "admin",
        group_role::MODERATOR => "moderator",
        _ => "member",
    }
}

/// Posts the action message of an Applozic group change, honouring the group's templates
/// (`CREATE_GROUP_MESSAGE`, …): a blank template makes the message silent, `HIDE: "true"`
/// marks it `hide`, `ALERT: "false"` marks it `show: "false"` and silent. Kommunicate
/// conversations, contact lists and topic pairs get none.
pub async fn announce(
    state: &AppState,
    channel: &ChannelRow,
    actor: &model::UserRow,
    action: Action,
) -> ApiResult<()> {
    if matches!(channel.kind, 7..=10) {
        return Ok(());
    }
    let metadata = match model::parse_map(&channel.metadata) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let (code, key, default) = action.parts();
    let template = metadata.get(key).and_then(Value::as_str);
    let silent_template = template.is_some_and(|t| t.trim().is_empty());
    // No template and no default (metadata updates): nothing to announce.
    let Some(pattern) = template.filter(|t| !t.trim().is_empty()).or(default) else {
        return Ok(());
    };
    let subject = match &action {
        Action::Added(u) | Action::Removed(u) | Action::Left(u) | Action::RoleChanged(u, _) => {
            model::find_user(&state.db, u)
                .await?
                .map(|row| row.display().to_owned())
                .unwrap_or_else(|| u.clone())
        }
        _ => String::new(),
    };
    let role = match &action {
        Action::RoleChanged(_, r) => role_name(*r),
        _ => "",
    };
    let text = pattern
        .replace(":adminName", actor.display())
        .replace(":groupName", &channel.name)
        .replace(":userName", &subject)
        .replace(":role", role);
    let mut meta = Map::new();
    meta.insert("action".into(), json!(code.to_string()));
    if metadata.get("HIDE").and_then(Value::as_str) == Some("true") {
        meta.insert("hide".into(), json!("true"));
    }
    if silent_template || metadata.get("ALERT").and_then(Value::as_str) == Some("false") {
        meta.insert("show".into(), json!("false"));
    }
    crate::services::messages::send(
        state,
        crate::services::messages::NewMessage {
            sender: actor.clone(),
            device_key: None,
            target: crate::services::messages::Target::Group(channel.clone()),
            body: text,
            content_type: 10,
            source: 1,
            metadata: meta,
            file_meta: None,
            conversation_id: None,
        },
    )
    .await?;
    Ok(())
}
