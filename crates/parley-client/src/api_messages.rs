//! Typed calls for the message endpoints `api.rs` does not cover: `message/v2/send`, the
//! broadcast, receipts of one message, deleting threads, details by key, metadata updates.

use parley_core::wire::{
    de_bool, de_i64, de_opt_string, de_vec, ChannelFeed, ConversationPage, FileMeta, Metadata,
    SendResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api_util::{envelope_or_bare, expect_done, to_body, Method};
use crate::error::{ClientError, Result};
use crate::http::{snippet, Body, RestClient};

/// A 1:1 or group thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    User(String),
    Group(i64),
    ClientGroup(String),
}

impl Thread {
    fn query(&self) -> (&'static str, String) {
        match self {
            Self::User(u) => ("userId", u.clone()),
            Self::Group(g) => ("groupId", g.to_string()),
            Self::ClientGroup(c) => ("clientGroupId", c.clone()),
        }
    }
}

/// `POST message/v2/send` body: exactly one of `to`, `group_id`, `client_group_id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_group_id: Option<String>,
    pub message: String,
    pub content_type: i64,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_meta: Option<FileMeta>,
    /// Send on behalf of another user (agents, bots and the server API only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user_name: Option<String>,
    /// The topic conversation the message belongs to (see
    /// [`RestClient::topic_conversation`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
}

impl OutgoingMessage {
    /// A text message into a thread.
    pub fn text(thread: &Thread, message: impl Into<String>) -> Self {
        let mut m = Self {
            message: message.into(),
            ..Self::default()
        };
        match thread {
            Thread::User(u) => m.to = Some(u.clone()),
            Thread::Group(g) => m.group_id = Some(*g),
            Thread::ClientGroup(c) => m.client_group_id = Some(c.clone()),
        }
        m
    }

    fn targets(&self) -> usize {
        usize::from(self.to.is_some())
            + usize::from(self.group_id.is_some())
            + usize::from(self.client_group_id.is_some())
    }
}

/// `POST message/sendall`: one message to many users and/or groups (at most 50 each).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Broadcast {
    pub user_names: Vec<String>,
    pub client_group_ids: Vec<String>,
    pub message_object: BroadcastMessage,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastMessage {
    pub message: String,
    pub content_type: i64,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// How `conversation/v2/id` treats an existing conversation on the topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TopicMode {
    /// Reuse the latest one as it is.
    #[default]
    Default,
    /// Reuse the latest one, reopened.
    Open,
    /// Close the latest one and start another.
    New,
}

/// Who a topic conversation is with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicPeer {
    User(String),
    Group(i64),
}

/// `POST conversation/v2/id`: a conversation about a topic (an order, a product).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRequest {
    pub topic_id: String,
    pub topic_detail: Option<String>,
    pub with: TopicPeer,
    pub mode: TopicMode,
}

/// The `conversationPxy` of a topic conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConversation {
    #[serde(deserialize_with = "de_i64")]
    pub id: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub topic_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub topic_detail: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub sender_user_name: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub group_id: i64,
    /// Whether this call created it.
    #[serde(deserialize_with = "de_bool")]
    pub created: bool,
    #[serde(deserialize_with = "de_bool")]
    pub closed: bool,
}

/// `conversation/v2/id` answer: the group the topic lives in, and the conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicChannel {
    #[serde(flatten)]
    pub group: ChannelFeed,
    pub conversation_pxy: TopicConversation,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BroadcastAnswer {
    #[serde(deserialize_with = "de_vec")]
    message_keys: Vec<String>,
}

impl RestClient {
    /// `POST /rest/ws/message/v2/send` (`to` | `groupId` | `clientGroupId`). Not retried:
    /// a retry could send twice.
    pub async fn send_message_v2(&self, message: &OutgoingMessage) -> Result<SendResponse> {
        if message.targets() != 1 {
            return Err(ClientError::Invalid(
                "a message needs exactly one of to, groupId, clientGroupId".into(),
            ));
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/message/v2/send",
                &[],
                to_body("message", message)?,
                false,
            )
            .await?;
        let r: SendResponse = envelope_or_bare(&text)?;
        if r.message_key.as_deref().is_none_or(str::is_empty) {
            return Err(ClientError::BadResponse(format!(
                "send: no messageKey in {}",
                snippet(&text)
            )));
        }
        Ok(r)
    }

    /// `POST /rest/ws/message/sendall` → the keys of the messages created, users first.
    pub async fn send_broadcast(&self, broadcast: &Broadcast) -> Result<Vec<String>> {
        if broadcast.user_names.is_empty() && broadcast.client_group_ids.is_empty() {
            return Err(ClientError::Invalid("a broadcast needs recipients".into()));
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/message/sendall",
                &[],
                to_body("broadcast", broadcast)?,
                false,
            )
            .await?;
        let a: BroadcastAnswer = envelope_or_bare(&text)?;
        Ok(a.message_keys)
    }

    /// `GET /rest/ws/message/list?userId|groupId|clientGroupId=` — a page of any thread,
    /// newest first, older than `end_time`.
    pub async fn thread_page(
        &self,
        thread: &Thread,
        end_time: Option<i64>,
        page_size: u32,
    ) -> Result<ConversationPage> {
        let mut q = vec![thread.query(), ("pageSize", page_size.to_string())];
        if let Some(t) = end_time {
            q.push(("endTime", t.to_string()));
        }
        self.chat_get("/rest/ws/message/list", &q).await
    }

    /// `GET /rest/ws/message/list?mainPageSize=[&endTime=]` — the latest message of each
    /// conversation, newest first (the inbox's first page).
    pub async fn recent_threads(
        &self,
        main_page_size: u32,
        end_time: Option<i64>,
    ) -> Result<ConversationPage> {
        let mut q = vec![("mainPageSize", main_page_size.to_string())];
        if let Some(t) = end_time {
            q.push(("endTime", t.to_string()));
        }
        self.chat_get("/rest/ws/message/list", &q).await
    }

    /// `POST /rest/ws/conversation/v2/id` — the conversation about a topic with a user (in
    /// a 1:1 topic group) or in a group; not retried (`New` creates one each time).
    pub async fn topic_conversation(&self, request: &TopicRequest) -> Result<TopicChannel> {
        if request.topic_id.trim().is_empty() {
            return Err(ClientError::Invalid("a topic needs an id".into()));
        }
        let mut body = json!({"topicId": request.topic_id, "status": request.mode});
        if let Some(d) = &request.topic_detail {
            body["topicDetail"] = json!(d);
        }
        match &request.with {
            TopicPeer::User(u) => body["userId"] = json!(u),
            TopicPeer::Group(g) => body["groupId"] = json!(g),
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/conversation/v2/id",
                &[],
                Body::Json(body),
                false,
            )
            .await?;
        envelope_or_bare(&text)
    }

    /// `GET /rest/ws/conversation/closeall?topicId=&withUserId=` — closes the caller's open
    /// conversations on the topic with the user.
    pub async fn close_topic_conversations(&self, topic_id: &str, with_user: &str) -> Result<()> {
        self.chat_get_done(
            "/rest/ws/conversation/closeall",
            &[
                ("topicId", topic_id.to_owned()),
                ("withUserId", with_user.to_owned()),
            ],
        )
        .await
    }

    /// `GET /rest/ws/message/read/conversation?userId=|groupId=` — any thread read.
    pub async fn mark_thread_read(&self, thread: &Thread) -> Result<()> {
        self.chat_get_done("/rest/ws/message/read/conversation", &[thread.query()])
            .await
    }

    /// `GET /rest/ws/message/read?key=` — one message read.
    pub async fn mark_message_read(&self, key: &str) -> Result<()> {
        self.chat_get_done("/rest/ws/message/read", &[("key", key.to_owned())])
            .await
    }

    /// `GET /rest/ws/message/delivered?key=&userId=` — one message delivered to the caller.
    pub async fn mark_message_delivered(&self, key: &str) -> Result<()> {
        let q = [
            ("key", key.to_owned()),
            ("userId", self.session.user_id.clone()),
        ];
        self.chat_get_done("/rest/ws/message/delivered", &q).await
    }

    /// `GET /rest/ws/message/delete/conversation?userId=|groupId=` — hides the thread for
    /// the caller.
    pub async fn delete_thread(&self, thread: &Thread) -> Result<()> {
        self.chat_get_done("/rest/ws/message/delete/conversation", &[thread.query()])
            .await
    }

    /// `GET /rest/ws/message/delete/all` — hides every thread for the caller.
    pub async fn delete_all_threads(&self) -> Result<()> {
        self.chat_get_done("/rest/ws/message/delete/all", &[]).await
    }

    /// `POST /rest/ws/user/messages/delete?days=N` — hides the caller's messages older than
    /// N days.
    pub async fn delete_messages_older_than(&self, days: u32) -> Result<()> {
        if days > 36_500 {
            return Err(ClientError::Invalid("days must be at most 36500".into()));
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/user/messages/delete",
                &[("days", days.to_string())],
                Body::None,
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET /rest/ws/user/read` — resets every unread counter of the caller.
    pub async fn reset_unread_counts(&self) -> Result<()> {
        self.chat_get_done("/rest/ws/user/read", &[]).await
    }

    /// `GET /rest/ws/message/detail?keys=…` — the messages the caller may see, with their
    /// groups and users. Unknown keys are left out.
    pub async fn message_details(&self, keys: &[String]) -> Result<ConversationPage> {
        if keys.is_empty() {
            return Ok(ConversationPage::default());
        }
        let q: Vec<(&str, String)> = keys.iter().map(|k| ("keys", k.clone())).collect();
        self.chat_get("/rest/ws/message/detail", &q).await
    }

    /// `POST /rest/ws/message/update/metadata {key, metadata}` — merged into the message's.
    pub async fn update_message_metadata(&self, key: &str, metadata: &Metadata) -> Result<()> {
        let body: Value = json!({"key": key, "metadata": metadata});
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/message/update/metadata",
                &[],
                Body::Json(body),
                true,
            )
            .await?;
        expect_done(&text)
    }
}
