//! Typed calls for the platform's group endpoints (`/rest/ws/group/...`), friend / contact
//! lists (`group/{name}/...`) and group membership housekeeping.

use parley_core::wire::{de_i64, de_opt_i64, de_opt_string, de_vec, ChannelFeed, Metadata};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::api_util::{expect_done, path_segment, to_body, GroupRef, Method};
use crate::error::{ClientError, Result};
use crate::http::{Body, RestClient};

/// Roles inside a group (`groupRole` / `role`).
pub mod group_role {
    pub const ADMIN: i64 = 1;
    pub const MODERATOR: i64 = 2;
    pub const MEMBER: i64 = 3;
}

/// Group types the platform documents (`type`).
pub mod group_type {
    pub const PRIVATE: i64 = 1;
    pub const PUBLIC: i64 = 2;
    pub const OPEN: i64 = 6;
    pub const SUPPORT: i64 = 10;
}

/// One member of a new group with its role (`users[]` of `group/v2.1/create`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    pub user_id: String,
    pub group_role: i64,
}

/// `POST group/v2.1/create` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewGroup {
    pub group_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_group_id: Option<String>,
    /// `type`: see [`group_type`]; the platform's default is public (2).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub users: Vec<GroupMember>,
}

/// A role change inside `group/update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleChange {
    pub user_id: String,
    pub role: i64,
}

/// `POST group/update`: only the fields that are set change; metadata is merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<RoleChange>,
}

/// One item of `group/user/count`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupUserCount {
    #[serde(deserialize_with = "de_i64")]
    pub id: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub client_group_id: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub user_count: i64,
}

/// `group/v2/channel`: a page of open groups; `last_fetch_time` is the next `endTime`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OpenGroupsPage {
    #[serde(deserialize_with = "de_vec")]
    pub group_pxys: Vec<ChannelFeed>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_fetch_time: Option<i64>,
}

/// `group/filter` (application bot): every group of the application, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupFilterPage {
    #[serde(deserialize_with = "de_vec")]
    pub groups: Vec<ChannelFeed>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_fetch_time: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_fetch_index: Option<i64>,
}

/// Which kind of contact list: the caller's own (type 8) or an open one shared by its
/// members (type 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactList {
    Private,
    Open,
}

impl ContactList {
    fn query(self) -> Vec<(&'static str, String)> {
        match self {
            Self::Private => Vec::new(),
            Self::Open => vec![("groupType", "9".to_owned())],
        }
    }
}

fn group_body(group: &GroupRef, extra: Value) -> Body {
    let mut obj = match extra {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    group.put_into(&mut obj);
    Body::Json(Value::Object(obj))
}

fn list_path(name: &str, tail: &str) -> Result<String> {
    if name.trim().is_empty() {
        return Err(ClientError::Invalid("a contact list needs a name".into()));
    }
    Ok(format!("/rest/ws/group/{}/{tail}", path_segment(name)))
}

impl RestClient {
    /// `POST /rest/ws/group/v2.1/create` — a group with members and roles, type, metadata
    /// and image. The caller becomes admin when not listed.
    pub async fn group_create(&self, group: &NewGroup) -> Result<ChannelFeed> {
        if group.group_name.trim().is_empty() {
            return Err(ClientError::Invalid("a group needs a name".into()));
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/v2.1/create",
                &[],
                to_body("group", group)?,
                false,
            )
            .await?;
        crate::api_util::envelope_or_bare(&text)
    }

    /// `GET /rest/ws/group/v2/info?groupId=|clientGroupId=`.
    pub async fn group_info_by(&self, group: &GroupRef) -> Result<ChannelFeed> {
        self.chat_get("/rest/ws/group/v2/info", &[group.query()])
            .await
    }

    /// `GET /rest/ws/group/v2/list?updatedAt=` — the caller's groups changed since the
    /// cursor (deleted ones carry `deletedAtTime`); the next cursor is the returned
    /// `generatedAt`.
    pub async fn group_list_since(&self, updated_at: i64) -> Result<(Vec<ChannelFeed>, i64)> {
        self.get_api(
            crate::http::Host::Chat,
            "/rest/ws/group/v2/list",
            &[("updatedAt", updated_at.to_string())],
        )
        .await
    }

    /// `POST /rest/ws/group/update` — rename, new image, metadata merge, role changes.
    pub async fn group_update(&self, group: &GroupRef, changes: &GroupChanges) -> Result<()> {
        let v = serde_json::to_value(changes)
            .map_err(|e| ClientError::Invalid(format!("group update: {e}")))?;
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/update",
                &[],
                group_body(group, v),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/add/member {groupId|clientGroupId, userId, role}`.
    pub async fn group_add_member(
        &self,
        group: &GroupRef,
        user_id: &str,
        role: Option<i64>,
    ) -> Result<()> {
        let mut extra = json!({ "userId": user_id });
        if let Some(r) = role {
            extra["role"] = json!(r);
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/add/member",
                &[],
                group_body(group, extra),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/remove/member {groupId|clientGroupId, userId}`.
    pub async fn group_remove_member(&self, group: &GroupRef, user_id: &str) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/remove/member",
                &[],
                group_body(group, json!({ "userId": user_id })),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/left` — the caller leaves the group.
    pub async fn group_leave(&self, group: &GroupRef) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/left",
                &[],
                group_body(group, json!({})),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/add/users {userIds, clientGroupIds}` — every user into every
    /// group (all checked first, nothing half-applied).
    pub async fn groups_add_users(
        &self,
        user_ids: &[String],
        client_group_ids: &[String],
    ) -> Result<()> {
        self.many_users("/rest/ws/group/add/users", user_ids, client_group_ids)
            .await
    }

    /// `POST /rest/ws/group/remove/users {userIds, clientGroupIds}`.
    pub async fn groups_remove_users(
        &self,
        user_ids: &[String],
        client_group_ids: &[String],
    ) -> Result<()> {
        self.many_users("/rest/ws/group/remove/users", user_ids, client_group_ids)
            .await
    }

    async fn many_users(
        &self,
        path: &str,
        user_ids: &[String],
        client_group_ids: &[String],
    ) -> Result<()> {
        if user_ids.is_empty() || client_group_ids.is_empty() {
            return Err(ClientError::Invalid(
                "at least one user and one group are needed".into(),
            ));
        }
        let body = json!({"userIds": user_ids, "clientGroupIds": client_group_ids});
        let text = self
            .chat(Method::POST, path, &[], Body::Json(body), false)
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/user/update {groupId|clientGroupId, notificationAfterTime}` —
    /// mute the group for the caller until the time (ms; 0 unmutes).
    pub async fn group_mute_until(&self, group: &GroupRef, until_ms: i64) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/user/update",
                &[],
                group_body(group, json!({ "notificationAfterTime": until_ms })),
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET /rest/ws/group/check/user` — whether the user is an active member.
    pub async fn group_check_user(&self, group: &GroupRef, user_id: &str) -> Result<bool> {
        let v: Value = self
            .chat_get(
                "/rest/ws/group/check/user",
                &[group.query(), ("userId", user_id.to_owned())],
            )
            .await?;
        match v {
            Value::Bool(b) => Ok(b),
            Value::String(s) => Ok(s.eq_ignore_ascii_case("true")),
            other => Err(ClientError::BadResponse(format!("check user: {other}"))),
        }
    }

    /// `GET /rest/ws/group/user/count?clientGroupIds=…`.
    pub async fn group_user_counts(
        &self,
        client_group_ids: &[String],
    ) -> Result<Vec<GroupUserCount>> {
        if client_group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let q: Vec<(&str, String)> = client_group_ids
            .iter()
            .map(|c| ("clientGroupIds", c.clone()))
            .collect();
        self.chat_get("/rest/ws/group/user/count", &q).await
    }

    /// `GET /rest/ws/group/delete?groupId=|clientGroupId=` (admins only).
    pub async fn group_delete(&self, group: &GroupRef) -> Result<()> {
        self.chat_get_done("/rest/ws/group/delete", &[group.query()])
            .await
    }

    /// `GET /rest/ws/group/multiple/delete?groupIds=&clientGroupIds=`.
    pub async fn groups_delete(
        &self,
        group_ids: &[i64],
        client_group_ids: &[String],
    ) -> Result<()> {
        if group_ids.is_empty() && client_group_ids.is_empty() {
            return Ok(());
        }
        let mut q: Vec<(&str, String)> = group_ids
            .iter()
            .map(|g| ("groupIds", g.to_string()))
            .collect();
        q.extend(
            client_group_ids
                .iter()
                .map(|c| ("clientGroupIds", c.clone())),
        );
        self.chat_get_done("/rest/ws/group/multiple/delete", &q)
            .await
    }

    /// `GET /rest/ws/user/remove/group/all` — the caller leaves every ordinary group.
    pub async fn leave_all_groups(&self) -> Result<()> {
        self.chat_get_done("/rest/ws/user/remove/group/all", &[])
            .await
    }

    /// `GET /rest/ws/group/v2/channel?pageSize=&endTime=` — open groups, newest first.
    pub async fn open_groups(
        &self,
        page_size: u32,
        end_time: Option<i64>,
    ) -> Result<OpenGroupsPage> {
        let mut q = vec![("pageSize", page_size.to_string())];
        if let Some(t) = end_time {
            q.push(("endTime", t.to_string()));
        }
        self.chat_get("/rest/ws/group/v2/channel", &q).await
    }

    /// `GET /rest/ws/group/filter?pageSize=&endTime=` — every group (application bot only;
    /// others get [`ClientError::Unauthorized`]).
    pub async fn group_filter(
        &self,
        page_size: u32,
        end_time: Option<i64>,
    ) -> Result<GroupFilterPage> {
        let mut q = vec![("pageSize", page_size.to_string())];
        if let Some(t) = end_time {
            q.push(("endTime", t.to_string()));
        }
        self.chat_get("/rest/ws/group/filter", &q).await
    }

    /// `POST /rest/ws/group/{name}/add` with `["user", …]` — the caller's own contact list
    /// (created on first use).
    pub async fn contact_list_add(&self, name: &str, user_ids: &[String]) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                &list_path(name, "add")?,
                &[],
                Body::Json(json!(user_ids)),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/group/{name}/add/members {type: 9, groupMemberList}` — an open list
    /// shared by its members.
    pub async fn open_list_add_members(&self, name: &str, user_ids: &[String]) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                &list_path(name, "add/members")?,
                &[],
                Body::Json(json!({"type": 9, "groupMemberList": user_ids})),
                false,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET /rest/ws/group/{name}/get[?groupType=9]`.
    pub async fn contact_list_get(&self, name: &str, kind: ContactList) -> Result<ChannelFeed> {
        self.chat_get(&list_path(name, "get")?, &kind.query()).await
    }

    /// `GET /rest/ws/group/{name}/remove?userId=[&groupType=9]`.
    pub async fn contact_list_remove(
        &self,
        name: &str,
        kind: ContactList,
        user_id: &str,
    ) -> Result<()> {
        let mut q = kind.query();
        q.push(("userId", user_id.to_owned()));
        self.chat_get_done(&list_path(name, "remove")?, &q).await
    }

    /// `GET /rest/ws/group/{name}/delete[?groupType=9]`.
    pub async fn contact_list_delete(&self, name: &str, kind: ContactList) -> Result<()> {
        self.chat_get_done(&list_path(name, "delete")?, &kind.query())
            .await
    }
}
