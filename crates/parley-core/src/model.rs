//! Parley's domain: conversations, messages, contacts, as every screen shows them. Built
//! from the platform's wire types (`crate::wire`) by pure functions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::{ChannelFeed, FileMeta, UserDetail, WireMessage};

pub type Millis = i64;
pub type Metadata = BTreeMap<String, String>;

/// Metadata keys the platform uses on support conversations (protocol §5.2).
pub mod keys {
    pub const CONVERSATION_STATUS: &str = "CONVERSATION_STATUS";
    pub const CONVERSATION_ASSIGNEE: &str = "CONVERSATION_ASSIGNEE";
    pub const CONVERSATION_TITLE: &str = "KM_CONVERSATION_TITLE";
    pub const SKIP_ROUTING: &str = "SKIP_ROUTING";
    pub const KM_STATUS: &str = "KM_STATUS";
    pub const KM_ASSIGN_TO: &str = "KM_ASSIGN_TO";
    pub const REMOVE_GROUP: &str = "KM_REMOVE_GROUP";
    pub const DELETE_FOR_ALL: &str = "AL_DELETE_GROUP_MESSAGE_FOR_ALL";
    /// Parley's idempotency key on messages it sends (see `send queue`).
    pub const CLIENT_KEY: &str = "PARLEY_CLIENT_KEY";
    /// The assignee's display name, when the platform sends it with the row (WapiKit's
    /// `assignedTo.name`); the inbox shows it instead of the id.
    pub const ASSIGNEE_NAME: &str = "PARLEY_ASSIGNEE_NAME";
    /// The conversation's tags (labels joined with ", "), when the platform has them
    /// (WapiKit's conversation tags); the conversation header shows them as chips.
    pub const TAGS: &str = "PARLEY_TAGS";
}

/// Kommunicate conversation status (`groupStatus` / `CONVERSATION_STATUS`, protocol §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Initial,
    Open,
    Progress,
    Resolved,
    Spam,
    Duplicate,
    Archive,
    Unresponded,
    Waiting,
}

impl ConversationStatus {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            -1 => Self::Initial,
            0 => Self::Open,
            1 => Self::Progress,
            2 => Self::Resolved,
            3 => Self::Spam,
            4 => Self::Duplicate,
            5 => Self::Archive,
            6 => Self::Unresponded,
            7 => Self::Waiting,
            _ => return None,
        })
    }

    pub fn code(self) -> i64 {
        match self {
            Self::Initial => -1,
            Self::Open => 0,
            Self::Progress => 1,
            Self::Resolved => 2,
            Self::Spam => 3,
            Self::Duplicate => 4,
            Self::Archive => 5,
            Self::Unresponded => 6,
            Self::Waiting => 7,
        }
    }

    /// Still needs an agent: shows in the open views.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Self::Resolved | Self::Spam | Self::Duplicate | Self::Archive
        )
    }
}

/// The inbox views (issue 4/5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    AssignedToMe,
    Unassigned,
    All,
    Closed,
    Spam,
}

impl InboxView {
    pub const ALL: [InboxView; 5] = [
        Self::AssignedToMe,
        Self::Unassigned,
        Self::All,
        Self::Closed,
        Self::Spam,
    ];

    /// Whether a conversation with this status and assignee belongs in the view, for agent `me`.
    pub fn contains(self, status: ConversationStatus, assignee: Option<&str>, me: &str) -> bool {
        let unassigned = assignee.is_none_or(str::is_empty);
        match self {
            Self::AssignedToMe => status.is_open() && assignee == Some(me),
            Self::Unassigned => status.is_open() && unassigned,
            Self::All => status.is_open(),
            Self::Closed => matches!(
                status,
                ConversationStatus::Resolved
                    | ConversationStatus::Duplicate
                    | ConversationStatus::Archive
            ),
            Self::Spam => status == ConversationStatus::Spam,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InboxSort {
    /// Most recent activity first (the default).
    Newest,
    /// Oldest activity first: who has waited longest.
    Oldest,
    /// Unread first, then newest.
    UnreadFirst,
}

/// Group member roles (protocol §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Moderator,
    Member,
    User,
}

impl Role {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Admin,
            2 => Self::Moderator,
            3 => Self::Member,
            _ => Self::User,
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Self::Admin => 1,
            Self::Moderator => 2,
            Self::Member => 3,
            Self::User => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: String,
    pub role: Role,
}

/// A conversation: a support group (type 10), another group, or a 1:1 thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// `g:<groupId>` for groups, `u:<userId>` for 1:1 threads.
    pub id: String,
    pub group_id: Option<i64>,
    pub client_group_id: Option<String>,
    pub title: String,
    /// Platform group type (10 = support conversation).
    pub group_type: i64,
    pub status: ConversationStatus,
    pub assignee: Option<String>,
    /// The customer (role member) of a support conversation.
    pub customer_id: Option<String>,
    pub image_url: Option<String>,
    pub members: Vec<Member>,
    pub metadata: Metadata,
    pub created_at: Millis,
    /// Time of the newest message (or creation), for sorting.
    pub last_activity_at: Millis,
    pub last_message_preview: Option<String>,
    pub unread: i64,
    pub muted_until: Option<Millis>,
}

/// Group type of a support conversation (Kommunicate's "support group").
pub const SUPPORT_GROUP: i64 = 10;

impl Conversation {
    /// Whether the inbox view lists this conversation for agent `me`. The views are of support
    /// conversations; team groups and direct chats are not customers waiting.
    pub fn in_view(&self, view: InboxView, me: &str) -> bool {
        self.group_type == SUPPORT_GROUP && view.contains(self.status, self.assignee.as_deref(), me)
    }
}

pub fn group_conversation_id(group_id: i64) -> String {
    format!("g:{group_id}")
}

pub fn user_conversation_id(user_id: &str) -> String {
    format!("u:{user_id}")
}

impl Conversation {
    /// From the platform's `ChannelFeed`. Status and assignee come from the metadata keys
    /// `CONVERSATION_STATUS` and `CONVERSATION_ASSIGNEE`.
    pub fn from_feed(feed: &ChannelFeed) -> Self {
        let status = feed
            .metadata
            .get(keys::CONVERSATION_STATUS)
            .and_then(|s| s.trim().parse().ok())
            .and_then(ConversationStatus::from_code)
            .unwrap_or(ConversationStatus::Open);
        let assignee = feed
            .metadata
            .get(keys::CONVERSATION_ASSIGNEE)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let members: Vec<Member> = if feed.group_users.is_empty() {
            feed.members_id
                .iter()
                .map(|u| Member {
                    user_id: u.clone(),
                    role: Role::Member,
                })
                .collect()
        } else {
            feed.group_users
                .iter()
                .filter(|g| !g.deleted)
                .filter_map(|g| {
                    g.user_id.clone().map(|user_id| Member {
                        user_id,
                        role: Role::from_code(g.role),
                    })
                })
                .collect()
        };
        let customer_id = members
            .iter()
            .find(|m| m.role == Role::Member)
            .map(|m| m.user_id.clone());
        let title = feed
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| feed.metadata.get(keys::CONVERSATION_TITLE).cloned())
            .or_else(|| customer_id.clone())
            .unwrap_or_else(|| format!("Conversation {}", feed.id));
        Self {
            id: group_conversation_id(feed.id),
            group_id: Some(feed.id),
            client_group_id: feed.client_group_id.clone(),
            title,
            group_type: feed.kind,
            status,
            assignee,
            customer_id,
            image_url: feed.image_url.clone().filter(|s| !s.is_empty()),
            members,
            metadata: feed.metadata.clone(),
            created_at: feed.created_at_time,
            last_activity_at: feed.created_at_time,
            last_message_preview: None,
            unread: feed.unread_count.max(0),
            muted_until: feed.notification_after_time.filter(|t| *t > 0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// Where an outgoing message is, shown as ticks. Incoming messages are `Delivered` or `Read`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// In the local send queue (offline or waiting for its turn).
    Queued,
    /// Given up after retries; the agent can retry, edit or cancel.
    Failed,
    Sent,
    Delivered,
    Read,
}

impl DeliveryState {
    /// Platform status codes (protocol §5.1): 0 unread, 1 read, 2 pending, 3 sent,
    /// 4 delivered, 5 delivered and read.
    pub fn from_status(status: i64, direction: Direction) -> Self {
        match (direction, status) {
            (_, 5) => Self::Read,
            (Direction::Incoming, 1) => Self::Read,
            (_, 4) => Self::Delivered,
            (Direction::Outgoing, 2) => Self::Queued,
            (Direction::Outgoing, _) => Self::Sent,
            (Direction::Incoming, _) => Self::Delivered,
        }
    }
}

/// An attachment's metadata as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub blob_key: Option<String>,
    pub url: Option<String>,
    pub thumbnail_url: Option<String>,
}

impl Attachment {
    pub fn from_meta(m: &FileMeta) -> Self {
        Self {
            name: m
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "file".into()),
            size: m.size.max(0),
            // An empty type is no type (found by the rich_message fuzzer).
            content_type: m
                .content_type
                .clone()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "application/octet-stream".into()),
            blob_key: m.blob_key.clone(),
            url: m.url.clone(),
            thumbnail_url: m.thumbnail_url.clone(),
        }
    }
}

/// A message in a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The server's key, or the client key while the message is queued.
    pub key: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub created_at: Millis,
    pub text: String,
    /// Platform content type: 0 text, 1 attachment, 3 HTML, 10 group action, …
    pub content_type: i64,
    pub metadata: Metadata,
    pub attachment: Option<Attachment>,
    pub direction: Direction,
    pub state: DeliveryState,
    /// Parley's idempotency key for messages this device sent.
    pub client_key: Option<String>,
}

impl Message {
    /// From the platform's message, seen by user `me`. `None` when the message names no
    /// conversation or has no key (nothing can be stored for it).
    pub fn from_wire(w: &WireMessage, me: &str) -> Option<Self> {
        let key = w.key.clone().filter(|k| !k.is_empty())?;
        // An empty `contactIds` does not hide `to` (found by the rich_message fuzzer).
        let peer = w
            .contact_ids
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| w.to.clone().filter(|s| !s.is_empty()));
        let conversation_id = match (w.group_id, &peer) {
            (Some(g), _) => group_conversation_id(g),
            (None, Some(p)) => user_conversation_id(p),
            (None, None) => return None,
        };
        // type 5 (MT_OUTBOX) and 1/3 are sent by this user; everything else is received.
        let outgoing = matches!(w.kind, 1 | 3 | 5);
        let direction = if outgoing {
            Direction::Outgoing
        } else {
            Direction::Incoming
        };
        let sender_id = if outgoing {
            me.to_owned()
        } else {
            peer.unwrap_or_else(|| "unknown".into())
        };
        Some(Self {
            key,
            conversation_id,
            sender_id,
            created_at: w.created_at_time,
            text: w.message.clone().unwrap_or_default(),
            content_type: w.content_type,
            attachment: w.file_meta.as_ref().map(Attachment::from_meta),
            state: DeliveryState::from_status(w.status, direction),
            client_key: w.metadata.get(keys::CLIENT_KEY).cloned(),
            metadata: w.metadata.clone(),
            direction,
        })
    }

    /// A rich message (metadata contentType 300).
    pub fn is_rich(&self) -> bool {
        self.metadata.get("contentType").map(String::as_str) == Some("300")
    }

    /// One line for the inbox row: at most 140 characters and an ellipsis.
    pub fn preview(&self) -> String {
        let text = if self.content_type == 3 {
            strip_tags(&self.text)
        } else {
            self.text.clone()
        };
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = one_line(&text);
        if text.is_empty() {
            if let Some(a) = &self.attachment {
                // The sender chose the file name: it is as long and as multi-line as the text.
                return truncate_chars(&format!("📎 {}", one_line(&a.name)), 140);
            }
        }
        truncate_chars(&text, 140)
    }
}

/// Plain text of an HTML message for previews and search (not a sanitizer: the result is
/// shown as text, never as markup).
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    // `&amp;` last, so "&amp;lt;" is the text "&lt;", not "<".
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// An agent a conversation can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Available (online) rather than away.
    pub available: bool,
}

/// A person: customer, agent or bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub user_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub image_url: Option<String>,
    pub metadata: Metadata,
    pub online: bool,
    pub last_seen_at: Option<Millis>,
    pub role_type: i64,
}

impl Contact {
    pub fn from_detail(d: &UserDetail) -> Option<Self> {
        Some(Self {
            user_id: d.user_id.clone().filter(|u| !u.is_empty())?,
            display_name: d.display_name.clone().filter(|s| !s.is_empty()),
            email: d.email.clone().filter(|s| !s.is_empty()),
            phone: d.phone_number.clone().filter(|s| !s.is_empty()),
            image_url: d.image_link.clone().filter(|s| !s.is_empty()),
            metadata: d.metadata.clone(),
            online: d.connected,
            last_seen_at: d.last_seen_at_time.filter(|t| *t > 0),
            role_type: d.role_type,
        })
    }

    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_an_attachment_with_an_empty_type_or_name_gets_the_defaults() {
        let w: WireMessage = serde_json::from_str(
            r#"{"key":"0","groupId":"0","fileMeta":{"bm":9,"contentType":"","name":" "}}"#,
        )
        .unwrap();
        let a = Message::from_wire(&w, "agent@x")
            .unwrap()
            .attachment
            .unwrap();
        assert_eq!(a.content_type, "application/octet-stream");
        assert_eq!(a.name, "file");
    }

    #[test]
    fn test_an_empty_contact_ids_falls_back_to_to() {
        let w: WireMessage = serde_json::from_str(
            r#"{"key":"5-711281-154711281","to":"customer-1","contactIds":"","message":"hi"}"#,
        )
        .unwrap();
        let m = Message::from_wire(&w, "agent@x").expect("a conversation");
        assert_eq!(m.conversation_id, "u:customer-1");
    }

    fn feed(meta: &[(&str, &str)]) -> ChannelFeed {
        ChannelFeed {
            id: 7,
            name: Some("Ada Lovelace".into()),
            kind: 10,
            metadata: meta
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            group_users: vec![
                crate::wire::GroupUser {
                    user_id: Some("agent@x".into()),
                    role: 1,
                    ..Default::default()
                },
                crate::wire::GroupUser {
                    user_id: Some("bot".into()),
                    role: 2,
                    ..Default::default()
                },
                crate::wire::GroupUser {
                    user_id: Some("ada".into()),
                    role: 3,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn test_support_group_status_and_assignee_come_from_metadata() {
        let c = Conversation::from_feed(&feed(&[
            ("CONVERSATION_STATUS", "2"),
            ("CONVERSATION_ASSIGNEE", "agent@x"),
        ]));
        assert_eq!(c.id, "g:7");
        assert_eq!(c.status, ConversationStatus::Resolved);
        assert_eq!(c.assignee.as_deref(), Some("agent@x"));
        assert_eq!(c.customer_id.as_deref(), Some("ada"));
        assert!(InboxView::Closed.contains(c.status, c.assignee.as_deref(), "agent@x"));
        assert!(!InboxView::All.contains(c.status, c.assignee.as_deref(), "agent@x"));
    }

    #[test]
    fn test_views_partition_open_conversations_by_assignee() {
        let open = ConversationStatus::Open;
        assert!(InboxView::AssignedToMe.contains(open, Some("me"), "me"));
        assert!(!InboxView::AssignedToMe.contains(open, Some("other"), "me"));
        assert!(InboxView::Unassigned.contains(open, None, "me"));
        assert!(InboxView::Unassigned.contains(open, Some(""), "me"));
        assert!(InboxView::All.contains(ConversationStatus::Waiting, Some("other"), "me"));
        assert!(InboxView::Spam.contains(ConversationStatus::Spam, None, "me"));
        assert!(!InboxView::All.contains(ConversationStatus::Spam, None, "me"));
    }

    #[test]
    fn test_status_codes_round_trip() {
        for code in -1..=7 {
            assert_eq!(ConversationStatus::from_code(code).unwrap().code(), code);
        }
        assert_eq!(ConversationStatus::from_code(42), None);
    }

    #[test]
    fn test_message_direction_sender_and_state_from_wire() {
        let w = WireMessage {
            key: Some("k1".into()),
            group_id: Some(7),
            to: Some("ada".into()),
            contact_ids: Some("ada".into()),
            message: Some("hello".into()),
            kind: 4,
            status: 0,
            ..Default::default()
        };
        let m = Message::from_wire(&w, "agent@x").unwrap();
        assert_eq!(m.conversation_id, "g:7");
        assert_eq!(m.sender_id, "ada");
        assert_eq!(m.direction, Direction::Incoming);
        let out = Message::from_wire(
            &WireMessage {
                kind: 5,
                status: 4,
                ..w.clone()
            },
            "agent@x",
        )
        .unwrap();
        assert_eq!(out.sender_id, "agent@x");
        assert_eq!(out.state, DeliveryState::Delivered);
        assert!(Message::from_wire(
            &WireMessage {
                key: None,
                ..w.clone()
            },
            "me"
        )
        .is_none());
    }

    #[test]
    fn test_preview_strips_html_and_shortens() {
        let m = Message {
            key: "k".into(),
            conversation_id: "g:1".into(),
            sender_id: "a".into(),
            created_at: 0,
            text: "<p>Hello <b>there</b></p>\n<script>x</script>".into(),
            content_type: 3,
            metadata: Metadata::new(),
            attachment: None,
            direction: Direction::Incoming,
            state: DeliveryState::Delivered,
            client_key: None,
        };
        assert_eq!(m.preview(), "Hello there x");
        assert_eq!(truncate_chars("ééé", 2), "éé…");
    }

    #[test]
    fn test_preview_of_an_attachment_is_one_bounded_line() {
        let m = Message {
            key: "k".into(),
            conversation_id: "g:1".into(),
            sender_id: "a".into(),
            created_at: 0,
            text: String::new(),
            content_type: 1,
            metadata: Metadata::new(),
            attachment: Some(Attachment {
                name: format!("two\nlines {}.pdf", "x".repeat(500)),
                size: 1,
                content_type: "application/pdf".into(),
                blob_key: None,
                url: None,
                thumbnail_url: None,
            }),
            direction: Direction::Incoming,
            state: DeliveryState::Delivered,
            client_key: None,
        };
        let p = m.preview();
        assert!(p.starts_with("📎 two lines x"), "{p}");
        assert_eq!(p.chars().count(), 141);
    }

    #[test]
    fn test_escaped_entities_are_decoded_once() {
        assert_eq!(strip_tags("&amp;lt;b&amp;gt; &lt;i&gt;"), "&lt;b&gt; <i>");
    }
}

/// The real-time link as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Connecting or catching up after a (re)connect.
    Connecting,
    Online,
    /// Not connected; retrying in `retryInMs`.
    Offline {
        #[serde(rename = "retryInMs")]
        retry_in_ms: u64,
        reason: String,
    },
    /// Stopped: needs the person (e.g. sign in again).
    Error {
        message: String,
    },
}
