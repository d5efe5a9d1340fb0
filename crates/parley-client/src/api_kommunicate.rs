//! Typed calls for Kommunicate's endpoints: new conversations with routing, teams, tags,
//! the waiting queue and the agents' user list.

use parley_core::wire::{
    de_bool, de_i64, de_opt_i64, de_opt_string, de_vec, ChannelFeed, Metadata,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api_util::{envelope_or_bare, expect_done, kommunicate_answer, to_body, Method};
use crate::error::{ClientError, Result};
use crate::http::{Body, Host, RestClient};

/// `POST group/conversation`: a support conversation. Without `assignee` and with routing
/// on, the platform assigns the least-loaded agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewConversation {
    pub title: String,
    pub members: Vec<String>,
    pub client_group_id: Option<String>,
    pub image_url: Option<String>,
    pub metadata: Metadata,
    /// `SKIP_ROUTING`: keep the assignee given (or none) instead of routing.
    pub skip_routing: bool,
    /// `CONVERSATION_ASSIGNEE` (must be one of `members` when routing is skipped).
    pub assignee: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationBody<'a> {
    group_name: &'a str,
    group_member_list: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    client_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<&'a str>,
    metadata: Metadata,
}

/// One team of `team/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Team {
    #[serde(deserialize_with = "de_opt_string")]
    pub team_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub team_name: Option<String>,
    #[serde(deserialize_with = "de_vec")]
    pub team_members: Vec<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub admin: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub agent_routing: i64,
}

/// A conversation tag (`KmTag`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tag {
    #[serde(deserialize_with = "de_i64")]
    pub id: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub color: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_by: Option<String>,
}

/// One user of Kommunicate's `/users/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KmUser {
    #[serde(deserialize_with = "de_opt_string")]
    pub user_name: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub email: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub role_type: i64,
    /// 1 available, 0 away.
    #[serde(deserialize_with = "de_i64")]
    pub status: i64,
    #[serde(deserialize_with = "de_opt_i64")]
    pub availability_status: Option<i64>,
    #[serde(deserialize_with = "de_bool")]
    pub connected: bool,
    #[serde(deserialize_with = "de_opt_string")]
    pub application_id: Option<String>,
}

/// Which users `/users/list` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmUserQuery {
    /// One user by id.
    Name(String),
    /// Users of these role types (8 agents, 1 bots, 2 admins); empty = agents.
    Roles(Vec<i64>),
}

fn tag_refs(ids: &[i64]) -> Value {
    Value::Array(ids.iter().map(|id| json!({ "id": id })).collect())
}

impl RestClient {
    /// `POST /rest/ws/group/conversation` — a support conversation (type 10), routed or
    /// with the given assignee.
    pub async fn create_conversation(&self, new: &NewConversation) -> Result<ChannelFeed> {
        if new.title.trim().is_empty() {
            return Err(ClientError::Invalid("a conversation needs a title".into()));
        }
        let mut metadata = new.metadata.clone();
        if new.skip_routing {
            metadata.insert("SKIP_ROUTING".into(), "true".into());
        }
        if let Some(a) = &new.assignee {
            metadata.insert("CONVERSATION_ASSIGNEE".into(), a.clone());
        }
        let body = ConversationBody {
            group_name: &new.title,
            group_member_list: &new.members,
            client_group_id: new.client_group_id.as_deref(),
            image_url: new.image_url.as_deref(),
            metadata,
        };
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/group/conversation",
                &[],
                to_body("conversation", &body)?,
                false,
            )
            .await?;
        envelope_or_bare(&text)
    }

    /// `GET /rest/ws/team/list`.
    pub async fn teams(&self) -> Result<Vec<Team>> {
        self.chat_get("/rest/ws/team/list", &[]).await
    }

    /// `GET /rest/ws/group/waiting/list[?teamId=]` — ids of the conversations waiting in
    /// the queue (agents only).
    pub async fn waiting_list(&self, team_id: Option<&str>) -> Result<Vec<i64>> {
        let q: Vec<(&str, String)> = team_id
            .map(|t| vec![("teamId", t.to_owned())])
            .unwrap_or_default();
        self.chat_get("/rest/ws/group/waiting/list", &q).await
    }

    /// `GET <api>/rest/ws/tags`.
    pub async fn tags(&self) -> Result<Vec<Tag>> {
        let text = self
            .call(
                Method::GET,
                Host::Api,
                "/rest/ws/tags",
                &[],
                Body::None,
                true,
            )
            .await?;
        kommunicate_answer(&text)
    }

    /// `POST <api>/rest/ws/tags {name, color}` → the new tag (AL-T-02 when the name exists).
    pub async fn create_tag(&self, name: &str, color: Option<&str>) -> Result<Tag> {
        if name.trim().is_empty() {
            return Err(ClientError::Invalid("a tag needs a name".into()));
        }
        let mut body = json!({ "name": name });
        if let Some(c) = color {
            body["color"] = json!(c);
        }
        let text = self
            .call(
                Method::POST,
                Host::Api,
                "/rest/ws/tags",
                &[],
                Body::Json(body),
                false,
            )
            .await?;
        kommunicate_answer(&text)
    }

    /// `PATCH <api>/rest/ws/tags {id, name, color}` (AL-T-01 when unknown).
    pub async fn update_tag(&self, id: i64, name: Option<&str>, color: Option<&str>) -> Result<()> {
        let mut body = json!({ "id": id });
        if let Some(n) = name {
            body["name"] = json!(n);
        }
        if let Some(c) = color {
            body["color"] = json!(c);
        }
        let text = self
            .call(
                Method::PATCH,
                Host::Api,
                "/rest/ws/tags",
                &[],
                Body::Json(body),
                true,
            )
            .await?;
        kommunicate_answer::<Value>(&text).map(|_| ())
    }

    /// `DELETE <api>/rest/ws/tags?id=` (AL-T-01 when unknown; not retried, a retry after a
    /// lost answer would report that).
    pub async fn delete_tag(&self, id: i64) -> Result<()> {
        let text = self
            .call(
                Method::DELETE,
                Host::Api,
                "/rest/ws/tags",
                &[("id", id.to_string())],
                Body::None,
                false,
            )
            .await?;
        kommunicate_answer::<Value>(&text).map(|_| ())
    }

    /// `PATCH /rest/ws/group/add/tags?groupId=` with `[{id}]` — kept in `KM_TAGS`.
    pub async fn group_add_tags(&self, group_id: i64, tag_ids: &[i64]) -> Result<()> {
        self.group_tags("/rest/ws/group/add/tags", group_id, tag_ids)
            .await
    }

    /// `PATCH /rest/ws/group/remove/tags?groupId=` with `[{id}]`.
    pub async fn group_remove_tags(&self, group_id: i64, tag_ids: &[i64]) -> Result<()> {
        self.group_tags("/rest/ws/group/remove/tags", group_id, tag_ids)
            .await
    }

    async fn group_tags(&self, path: &str, group_id: i64, tag_ids: &[i64]) -> Result<()> {
        let text = self
            .chat(
                Method::PATCH,
                path,
                &[("groupId", group_id.to_string())],
                Body::Json(tag_refs(tag_ids)),
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET <api>/users/list?applicationId=&userName=|roleType=` (`{code, response}`).
    pub async fn kommunicate_users(&self, query: &KmUserQuery) -> Result<Vec<KmUser>> {
        let mut q = vec![("applicationId", self.session.app_key.clone())];
        match query {
            KmUserQuery::Name(n) => q.push(("userName", n.clone())),
            KmUserQuery::Roles(roles) => {
                q.extend(roles.iter().map(|r| ("roleType", r.to_string())));
            }
        }
        let text = self
            .call(Method::GET, Host::Api, "/users/list", &q, Body::None, true)
            .await?;
        kommunicate_answer(&text)
    }
}
