//! Rows as stored and their JSON shapes as the SDKs read them (`UserDetail`, `ChannelFeed`,
//! `Message`).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqlitePool};

use crate::error::{ApiError, ApiResult};

/// User role types (`roleType`).
pub mod role {
    pub const BOT: i64 = 1;
    pub const APPLICATION_ADMIN: i64 = 2;
    pub const USER: i64 = 3;
    pub const AGENT: i64 = 8;
}

/// Group user roles.
pub mod group_role {
    pub const ADMIN: i64 = 1;
    pub const MODERATOR: i64 = 2;
    pub const MEMBER: i64 = 3;
}

pub const SUPPORT_GROUP: i64 = 10;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: String,
    pub user_key: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub image_link: Option<String>,
    pub status_message: Option<String>,
    pub password_hash: Option<String>,
    pub role_type: i64,
    pub user_type_id: Option<i64>,
    pub metadata: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_seen_at: Option<i64>,
    pub last_logged_in_at: Option<i64>,
    pub last_message_at: Option<i64>,
    pub connected: i64,
    pub availability: i64,
    pub deactivated: i64,
}

pub const USER_COLUMNS: &str = "user_id, user_key, display_name, email, phone, image_link, \
    status_message, password_hash, role_type, user_type_id, metadata, created_at, updated_at, \
    last_seen_at, last_logged_in_at, last_message_at, connected, availability, deactivated";

impl UserRow {
    pub fn display(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.user_id)
    }

    pub fn is_privileged(&self) -> bool {
        matches!(self.role_type, role::BOT | role::APPLICATION_ADMIN)
    }

    pub fn is_agent_like(&self) -> bool {
        matches!(
            self.role_type,
            role::AGENT | role::BOT | role::APPLICATION_ADMIN
        )
    }

    /// The `UserDetail` JSON.
    pub fn detail(&self) -> Value {
        let mut v = Map::new();
        v.insert("userId".into(), json!(self.user_id));
        v.insert("userName".into(), json!(self.display()));
        if let Some(name) = &self.display_name {
            v.insert("displayName".into(), json!(name));
        }
        v.insert("connected".into(), json!(self.connected != 0));
        if let Some(t) = self.last_seen_at {
            v.insert("lastSeenAtTime".into(), json!(t));
        }
        v.insert("createdAtTime".into(), json!(self.created_at));
        if let Some(link) = &self.image_link {
            v.insert("imageLink".into(), json!(link));
        }
        if let Some(email) = &self.email {
            v.insert("email".into(), json!(email));
        }
        if let Some(phone) = &self.phone {
            v.insert("phoneNumber".into(), json!(phone));
        }
        if let Some(msg) = &self.status_message {
            v.insert("statusMessage".into(), json!(msg));
        }
        if let Some(t) = self.user_type_id {
            v.insert("userTypeId".into(), json!(t));
        }
        v.insert("deactivated".into(), json!(self.deactivated != 0));
        v.insert("unreadCount".into(), json!(0));
        if let Some(t) = self.last_logged_in_at {
            v.insert("lastLoggedInAtTime".into(), json!(t));
        }
        if let Some(t) = self.last_message_at {
            v.insert("lastMessageAtTime".into(), json!(t));
        }
        v.insert("metadata".into(), parse_map(&self.metadata));
        v.insert("roleType".into(), json!(self.role_type));
        v.insert("status".into(), json!(self.availability));
        Value::Object(v)
    }
}

pub async fn find_user(db: &SqlitePool, user_id: &str) -> ApiResult<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = ?");
    Ok(sqlx::query_as::<_, UserRow>(&sql)
        .bind(user_id)
        .fetch_optional(db)
        .await?)
}

pub async fn require_user(db: &SqlitePool, user_id: &str) -> ApiResult<UserRow> {
    find_user(db, user_id)
        .await?
        .ok_or_else(ApiError::user_not_found)
}

pub async fn find_user_by_key(db: &SqlitePool, user_key: &str) -> ApiResult<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_key = ?");
    Ok(sqlx::query_as::<_, UserRow>(&sql)
        .bind(user_key)
        .fetch_optional(db)
        .await?)
}

pub async fn users_by_ids(db: &SqlitePool, ids: &[String]) -> ApiResult<Vec<UserRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE user_id IN ("
        ));
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(id);
        }
        sep.push_unseparated(")");
        out.extend(qb.build_query_as::<UserRow>().fetch_all(db).await?);
    }
    Ok(out)
}

/// Parses a stored JSON object; anything else becomes `{}`.
pub fn parse_map(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => Value::Object(Map::new()),
    }
}

/// Platform metadata is a map of strings; other JSON values sent by clients are kept as their
/// JSON text (numbers, booleans) so nothing is lost.
pub fn normalise_metadata(value: Option<&Value>) -> ApiResult<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), Value::String(s))
            })
            .collect()),
        Some(_) => Err(ApiError::bad_request("metadata must be an object")),
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct ChannelRow {
    pub id: i64,
    pub client_group_id: String,
    pub name: String,
    pub admin_id: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: i64,
    pub image_url: Option<String>,
    pub parent_key: Option<i64>,
    pub metadata: String,
    pub status: Option<i64>,
    pub assignee: Option<String>,
    pub team_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_message_at: i64,
    pub deleted_at: Option<i64>,
}

pub const CHANNEL_COLUMNS: &str = "id, client_group_id, name, admin_id, type, image_url, \
    parent_key, metadata, status, assignee, team_id, created_at, updated_at, last_message_at, \
    deleted_at";

#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    pub channel_id: i64,
    pub user_id: String,
    pub role: i64,
    pub unread_count: i64,
    pub read_up_to: i64,
    pub read_at: Option<i64>,
    pub delivered_up_to: i64,
    pub delivered_at: Option<i64>,
    pub notification_after_time: Option<i64>,
    pub removed_at: Option<i64>,
}

pub const MEMBER_COLUMNS: &str = "channel_id, user_id, role, unread_count, read_up_to, read_at, \
    delivered_up_to, delivered_at, notification_after_time, removed_at";

pub async fn find_channel(db: &SqlitePool, id: i64) -> ApiResult<Option<ChannelRow>> {
    let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = ? AND deleted_at IS NULL");
    Ok(sqlx::query_as::<_, ChannelRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?)
}

pub async fn find_channel_by_client_id(
    db: &SqlitePool,
    client_group_id: &str,
) -> ApiResult<Option<ChannelRow>> {
    let sql = format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels WHERE client_group_id = ? AND deleted_at IS NULL"
    );
    Ok(sqlx::query_as::<_, ChannelRow>(&sql)
        .bind(client_group_id)
        .fetch_optional(db)
        .await?)
}

/// Resolves `groupId` (numeric) or `clientGroupId`; `AL-G-01` when neither names a live group.
pub async fn resolve_channel(
    db: &SqlitePool,
    group_id: Option<i64>,
    client_group_id: Option<&str>,
) -> ApiResult<ChannelRow> {
    let found = match (group_id, client_group_id) {
        (Some(id), _) => find_channel(db, id).await?,
        (None, Some(cid)) => find_channel_by_client_id(db, cid).await?,
        (None, None) => {
            return Err(ApiError::bad_request(
                "groupId or clientGroupId is required",
            ));
        }
    };
    found.ok_or_else(ApiError::group_not_found)
}

/// Live channels by id, in the order of `ids`.
pub async fn channels_by_ids(db: &SqlitePool, ids: &[i64]) -> ApiResult<Vec<ChannelRow>> {
    let mut found: HashMap<i64, ChannelRow> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE deleted_at IS NULL AND id IN ("
        ));
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        sep.push_unseparated(")");
        for c in qb.build_query_as::<ChannelRow>().fetch_all(db).await? {
            found.insert(c.id, c);
        }
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// The latest live message of each channel in `ids` (channels without messages are skipped).
pub async fn latest_messages(db: &SqlitePool, ids: &[i64]) -> ApiResult<Vec<MessageRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json_ids = serde_json::to_string(ids)?;
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id IN ( \
           SELECT (SELECT x.id FROM messages x WHERE x.channel_id = j.value AND x.deleted_at IS NULL \
                   ORDER BY x.created_at DESC LIMIT 1) FROM json_each(?) j) \
         ORDER BY m.created_at DESC"
    );
    Ok(sqlx::query_as::<_, MessageRow>(&sql)
        .bind(json_ids)
        .fetch_all(db)
        .await?)
}

pub async fn members_of(db: &SqlitePool, channel_ids: &[i64]) -> ApiResult<Vec<MemberRow>> {
    let mut out = Vec::new();
    for chunk in channel_ids.chunks(500) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT {MEMBER_COLUMNS} FROM channel_users WHERE channel_id IN ("
        ));
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        sep.push_unseparated(") ORDER BY channel_id, joined_at, user_id");
        out.extend(qb.build_query_as::<MemberRow>().fetch_all(db).await?);
    }
    Ok(out)
}

pub async fn active_member(
    db: &SqlitePool,
    channel_id: i64,
    user_id: &str,
) -> ApiResult<Option<MemberRow>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM channel_users \
         WHERE channel_id = ? AND user_id = ? AND removed_at IS NULL"
    );
    Ok(sqlx::query_as::<_, MemberRow>(&sql)
        .bind(channel_id)
        .bind(user_id)
        .fetch_optional(db)
        .await?)
}

pub fn group_by_channel(members: Vec<MemberRow>) -> HashMap<i64, Vec<MemberRow>> {
    let mut map: HashMap<i64, Vec<MemberRow>> = HashMap::new();
    for m in members {
        map.entry(m.channel_id).or_default().push(m);
    }
    map
}

impl ChannelRow {
    /// The `ChannelFeed` JSON as seen by `viewer`.
    pub fn feed(&self, members: &[MemberRow], viewer: Option<&str>) -> Value {
        let active: Vec<&MemberRow> = members.iter().filter(|m| m.removed_at.is_none()).collect();
        let removed: Vec<&str> = members
            .iter()
            .filter(|m| m.removed_at.is_some())
            .map(|m| m.user_id.as_str())
            .collect();
        let unread = viewer
            .and_then(|v| active.iter().find(|m| m.user_id == v))
            .map(|m| m.unread_count)
            .unwrap_or(0);
        let notification_after = viewer
            .and_then(|v| active.iter().find(|m| m.user_id == v))
            .and_then(|m| m.notification_after_time);
        let mut v = Map::new();
        v.insert("id".into(), json!(self.id));
        v.insert("clientGroupId".into(), json!(self.client_group_id));
        v.insert("name".into(), json!(self.name));
        if let Some(admin) = &self.admin_id {
            v.insert("adminId".into(), json!(admin));
            v.insert("adminName".into(), json!(admin));
        }
        v.insert(
            "membersId".into(),
            json!(active
                .iter()
                .map(|m| m.user_id.as_str())
                .collect::<Vec<_>>()),
        );
        v.insert(
            "membersName".into(),
            json!(active
                .iter()
                .map(|m| m.user_id.as_str())
                .collect::<Vec<_>>()),
        );
        v.insert("removedMembersId".into(), json!(removed));
        v.insert("unreadCount".into(), json!(unread));
        v.insert("type".into(), json!(self.kind));
        if let Some(url) = &self.image_url {
            v.insert("imageUrl".into(), json!(url));
        }
        if let Some(parent) = self.parent_key {
            v.insert("parentKey".into(), json!(parent));
        }
        v.insert("createdAtTime".into(), json!(self.created_at));
        v.insert("updatedAtTime".into(), json!(self.updated_at));
        v.insert("userCount".into(), json!(active.len()));
        v.insert(
            "groupUsers".into(),
            Value::Array(
                active
                    .iter()
                    .map(|m| {
                        json!({
                            "userId": m.user_id,
                            "role": m.role,
                            "status": 0,
                            "unreadCount": m.unread_count,
                            "deleted": false,
                        })
                    })
                    .collect(),
            ),
        );
        v.insert("childKeys".into(), json!([]));
        v.insert("childClientGroupIds".into(), json!([]));
        if let Some(t) = notification_after {
            v.insert("notificationAfterTime".into(), json!(t));
        }
        if let Some(t) = self.deleted_at {
            v.insert("deletedAtTime".into(), json!(t));
        }
        v.insert("metadata".into(), parse_map(&self.metadata));
        Value::Object(v)
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub key: String,
    pub paired_key: Option<String>,
    pub channel_id: Option<i64>,
    pub sender_id: String,
    pub recipient_id: Option<String>,
    pub body: String,
    pub content_type: i64,
    pub source: i64,
    pub metadata: String,
    pub file_meta: Option<String>,
    pub device_key: Option<String>,
    pub conversation_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

pub const MESSAGE_COLUMNS: &str = "m.id, m.key, m.paired_key, m.channel_id, m.sender_id, \
    m.recipient_id, m.body, m.content_type, m.source, m.metadata, m.file_meta, m.device_key, \
    m.conversation_id, m.created_at, m.updated_at, m.deleted_at";

pub async fn find_message(db: &SqlitePool, key: &str) -> ApiResult<Option<MessageRow>> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.key = ?1 OR m.paired_key = ?1");
    Ok(sqlx::query_as::<_, MessageRow>(&sql)
        .bind(key)
        .fetch_optional(db)
        .await?)
}

/// Message status codes.
pub mod status {
    pub const UNREAD: i64 = 0;
    pub const READ: i64 = 1;
    pub const SENT: i64 = 3;
    pub const DELIVERED: i64 = 4;
    pub const DELIVERED_AND_READ: i64 = 5;
}

/// What is needed to render receipts: group watermarks and 1:1 watermarks.
#[derive(Debug, Default)]
pub struct ReceiptContext {
    channels: HashMap<i64, Vec<MemberRow>>,
    direct: HashMap<(String, String), (i64, i64)>,
    channel_info: HashMap<i64, ChannelRow>,
}

impl ReceiptContext {
    pub async fn load(db: &SqlitePool, rows: &[MessageRow]) -> ApiResult<Self> {
        let channel_ids: Vec<i64> = rows
            .iter()
            .filter_map(|m| m.channel_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let channels = group_by_channel(members_of(db, &channel_ids).await?);
        let mut channel_info = HashMap::new();
        for chunk in channel_ids.chunks(500) {
            let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
                "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            for c in qb.build_query_as::<ChannelRow>().fetch_all(db).await? {
                channel_info.insert(c.id, c);
            }
        }
        let mut direct = HashMap::new();
        let pairs: HashSet<(String, String)> = rows
            .iter()
            .filter_map(|m| {
                m.recipient_id
                    .as_ref()
                    .map(|r| (r.clone(), m.sender_id.clone()))
            })
            .collect();
        for (reader, peer) in pairs {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT read_up_to, delivered_up_to FROM direct_receipts \
                 WHERE user_id = ? AND peer_id = ?",
            )
            .bind(&reader)
            .bind(&peer)
            .fetch_optional(db)
            .await?;
            direct.insert((reader, peer), row.unwrap_or((0, 0)));
        }
        Ok(Self {
            channels,
            direct,
            channel_info,
        })
    }

    fn status_for(&self, m: &MessageRow, viewer: &str) -> i64 {
        let is_sender = m.sender_id == viewer;
        if let Some(cid) = m.channel_id {
            let members = self.channels.get(&cid).map(Vec::as_slice).unwrap_or(&[]);
            if is_sender {
                let others: Vec<&MemberRow> = members
                    .iter()
                    .filter(|x| x.user_id != m.sender_id && x.removed_at.is_none())
                    .collect();
                if others.is_empty() {
                    return status::SENT;
                }
                if others.iter().all(|x| x.read_up_to >= m.created_at) {
                    status::DELIVERED_AND_READ
                } else if others
                    .iter()
                    .all(|x| x.delivered_up_to.max(x.read_up_to) >= m.created_at)
                {
                    status::DELIVERED
                } else {
                    status::SENT
                }
            } else {
                let read = members
                    .iter()
                    .find(|x| x.user_id == viewer)
                    .is_some_and(|x| x.read_up_to >= m.created_at);
                if read {
                    status::READ
                } else {
                    status::UNREAD
                }
            }
        } else {
            let recipient = m.recipient_id.clone().unwrap_or_default();
            let (read, delivered) = self
                .direct
                .get(&(recipient, m.sender_id.clone()))
                .copied()
                .unwrap_or((0, 0));
            if is_sender {
                if read >= m.created_at {
                    status::DELIVERED_AND_READ
                } else if delivered.max(read) >= m.created_at {
                    status::DELIVERED
                } else {
                    status::SENT
                }
            } else if read >= m.created_at {
                status::READ
            } else {
                status::UNREAD
            }
        }
    }

    /// The `Message` JSON as seen by `viewer`.
    pub fn render(&self, m: &MessageRow, viewer: &str) -> Value {
        let is_sender = m.sender_id == viewer;
        let status = self.status_for(m, viewer);
        let mut v = Map::new();
        let (key, paired) = match (&m.paired_key, is_sender) {
            (Some(p), false) => (p.clone(), Some(m.key.clone())),
            (Some(p), true) => (m.key.clone(), Some(p.clone())),
            (None, _) => (m.key.clone(), Some(m.key.clone())),
        };
        v.insert("key".into(), json!(key));
        if let Some(p) = paired {
            v.insert("pairedMessageKey".into(), json!(p));
        }
        // `to`/`contactIds` name the other party of a 1:1 chat; in a group, the sender.
        let to = match (&m.recipient_id, is_sender) {
            (Some(r), true) => r.clone(),
            _ => m.sender_id.clone(),
        };
        v.insert("to".into(), json!(to));
        v.insert("contactIds".into(), json!(to));
        v.insert("from".into(), json!(m.sender_id));
        if let Some(cid) = m.channel_id {
            v.insert("groupId".into(), json!(cid));
            if let Some(c) = self.channel_info.get(&cid) {
                v.insert("clientGroupId".into(), json!(c.client_group_id));
                if c.kind == SUPPORT_GROUP {
                    if let Some(s) = c.status {
                        v.insert("groupStatus".into(), json!(s));
                    }
                    if let Some(a) = &c.assignee {
                        v.insert("groupAssignee".into(), json!(a));
                    }
                }
            }
        }
        v.insert("message".into(), json!(m.body));
        v.insert("contentType".into(), json!(m.content_type));
        v.insert("type".into(), json!(if is_sender { 5 } else { 4 }));
        v.insert("status".into(), json!(status));
        v.insert("source".into(), json!(m.source));
        v.insert("createdAtTime".into(), json!(m.created_at));
        v.insert("sent".into(), json!(true));
        v.insert(
            "delivered".into(),
            json!(matches!(
                status,
                status::DELIVERED | status::DELIVERED_AND_READ | status::READ
            )),
        );
        v.insert(
            "read".into(),
            json!(matches!(status, status::DELIVERED_AND_READ | status::READ)),
        );
        v.insert("metadata".into(), parse_map(&m.metadata));
        if let Some(fm) = &m.file_meta {
            if let Ok(meta) = serde_json::from_str::<Value>(fm) {
                v.insert("fileMeta".into(), meta);
            }
        }
        if let Some(dk) = &m.device_key {
            v.insert("deviceKey".into(), json!(dk));
        }
        if let Some(c) = m.conversation_id {
            v.insert("conversationId".into(), json!(c));
        }
        if m.deleted_at.is_some() {
            v.insert("deleted".into(), json!(true));
        }
        Value::Object(v)
    }
}

pub async fn render_messages(
    db: &SqlitePool,
    rows: &[MessageRow],
    viewer: &str,
) -> ApiResult<Vec<Value>> {
    let ctx = ReceiptContext::load(db, rows).await?;
    Ok(rows.iter().map(|m| ctx.render(m, viewer)).collect())
}
