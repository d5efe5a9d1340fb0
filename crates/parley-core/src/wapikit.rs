//! WapiKit (WhatsApp team inbox, `<host>/api`) wire types: conversations, contacts, messages,
//! organisation members and tags as the API answers them, the pagination envelope, the body of
//! a new message, and the real-time events of `GET /api/events` (SSE whose `data:` lines are
//! base64 MessagePack). Pure: no I/O. The client is `parley_client::api_wapikit`.
//!
//! Decoding is lenient where the server is (it is written in Go): `null` lists are empty,
//! enum values Parley does not know decode as `Unknown(..)` instead of failing, an
//! `assignedTo` with an empty `uniqueId` (Go's zero struct) means "nobody".

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::de_vec;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version of Parley does not know (kept as sent).
            Unknown(String),
        }

        impl $name {
            /// Every known value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(s) => s,
                }
            }

            /// The value for `s` (exact spelling), `Unknown(s)` for anything else.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = Option::<String>::deserialize(d)?.unwrap_or_default();
                Ok(Self::parse(&s))
            }
        }
    };
}

wire_enum!(
    /// `ConversationStatusEnum`.
    ConversationStatus { Active = "Active", Closed = "Closed", Deleted = "Deleted" }
);
wire_enum!(
    /// `ContactStatusEnum`.
    ContactStatus { Active = "Active", Inactive = "Inactive", Blocked = "Blocked" }
);
wire_enum!(
    /// `ConversationInitiatedByEnum`.
    InitiatedBy { Contact = "Contact", Campaign = "Campaign" }
);
wire_enum!(
    /// `MessageDirectionEnum`: `InBound` from the WhatsApp contact, `OutBound` from the team.
    MessageDirection { InBound = "InBound", OutBound = "OutBound" }
);
wire_enum!(
    /// `MessageStatusEnum`. An inbound message nobody has read yet is `Sent`; reading the
    /// conversation makes it `Read`.
    MessageStatus {
        Read = "Read",
        Unread = "Unread",
        Sent = "Sent",
        Delivered = "Delivered",
        UnDelivered = "UnDelivered",
        Failed = "Failed",
    }
);
wire_enum!(
    /// `MessageTypeEnum`.
    MessageType {
        Text = "Text",
        Image = "Image",
        Video = "Video",
        Audio = "Audio",
        Document = "Document",
        Sticker = "Sticker",
        Location = "Location",
        Contacts = "Contacts",
        Reaction = "Reaction",
        Address = "Address",
    }
);
wire_enum!(
    /// `UserPermissionLevelEnum`: a member's access level in the organisation.
    AccessLevel { Owner = "Owner", Member = "Member" }
);
wire_enum!(
    /// `OrderEnum` (list queries).
    Order { Asc = "asc", Desc = "desc" }
);

fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn de_object<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Object(m)) => m,
        // The server keeps attributes as a JSON string in places.
        Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or_default(),
        _ => Map::new(),
    })
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            .unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

fn de_member<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Member>, D::Error> {
    Ok(Option::<Member>::deserialize(d)?.filter(|m| !m.unique_id.is_empty()))
}

/// A WhatsApp contact (`ContactWithoutConversationSchema`; `GET /contacts/{id}` adds lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    /// The WhatsApp number, digits with the country code (as WapiKit keeps it).
    #[serde(default, deserialize_with = "de_string")]
    pub phone: String,
    #[serde(default, deserialize_with = "de_object")]
    pub attributes: Map<String, Value>,
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
    #[serde(default = "contact_active")]
    pub status: ContactStatus,
}

fn contact_active() -> ContactStatus {
    ContactStatus::Active
}

/// An organisation role (`OrganizationRoleSchema`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de_vec")]
    pub permissions: Vec<String>,
}

/// An organisation member (`OrganizationMemberSchema`): `uniqueId` is the member id that
/// `assign` takes and `assignedTo` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
    #[serde(default = "member_level")]
    pub access_level: AccessLevel,
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    #[serde(default, deserialize_with = "de_string")]
    pub email: String,
    #[serde(default, deserialize_with = "de_vec")]
    pub roles: Vec<Role>,
}

fn member_level() -> AccessLevel {
    AccessLevel::Member
}

/// The signed-in user (`UserSchema`, `GET /user`): `uniqueId` is the user id that `unassign`
/// takes; the member id is found through the members list (by email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub username: String,
    #[serde(default, deserialize_with = "de_string")]
    pub email: String,
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_organization_access_level: Option<AccessLevel>,
    #[serde(default)]
    pub is_owner: bool,
    /// `{uniqueId, name, …}` of the organisation the key belongs to, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Value>,
}

/// Whose API key this is: the user and their membership of the key's organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: User,
    pub member: Member,
}

impl Me {
    /// The id `unassign` takes.
    pub fn user_id(&self) -> &str {
        &self.user.unique_id
    }
    /// The id `assign` takes and `Conversation::assigned_to` names.
    pub fn member_id(&self) -> &str {
        &self.member.unique_id
    }
}

/// A conversation tag (`TagSchema`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub label: String,
}

/// A message (`MessageSchema`). `messageData` is kept as sent; [`Message::content`] reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    #[serde(default, deserialize_with = "de_string")]
    pub conversation_id: String,
    pub direction: MessageDirection,
    pub status: MessageStatus,
    pub message_type: MessageType,
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub reply_to_message_id: Option<String>,
    #[serde(
        default,
        rename = "whatsAppMessageId",
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub whats_app_message_id: Option<String>,
    #[serde(default, deserialize_with = "de_object")]
    pub message_data: Map<String, Value>,
}

/// What a message carries, read from its `messageData` by its `messageType`.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    Text(String),
    /// Image, video, audio, sticker or document: a media id and/or link.
    Media {
        kind: MessageType,
        id: Option<String>,
        link: Option<String>,
        caption: Option<String>,
        file_name: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Reaction {
        emoji: String,
        message_id: Option<String>,
    },
    /// Contacts, address or an unknown type: the data as sent.
    Other(MessageType, Map<String, Value>),
}

impl Message {
    fn data_str(&self, key: &str) -> Option<String> {
        self.message_data
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    pub fn content(&self) -> MessageContent {
        match &self.message_type {
            MessageType::Text => MessageContent::Text(self.data_str("text").unwrap_or_default()),
            kind @ (MessageType::Image
            | MessageType::Video
            | MessageType::Audio
            | MessageType::Sticker
            | MessageType::Document) => MessageContent::Media {
                kind: kind.clone(),
                id: self.data_str("id"),
                link: self.data_str("link"),
                caption: self.data_str("caption"),
                file_name: self.data_str("fileName"),
            },
            MessageType::Location => {
                let num = |k: &str| self.message_data.get(k).and_then(Value::as_f64);
                match (num("latitude"), num("longitude")) {
                    (Some(latitude), Some(longitude)) => MessageContent::Location {
                        latitude,
                        longitude,
                        name: self.data_str("name"),
                        address: self.data_str("address"),
                    },
                    _ => {
                        MessageContent::Other(self.message_type.clone(), self.message_data.clone())
                    }
                }
            }
            MessageType::Reaction => MessageContent::Reaction {
                emoji: self.data_str("reaction").unwrap_or_default(),
                message_id: self.data_str("messageId"),
            },
            other => MessageContent::Other(other.clone(), self.message_data.clone()),
        }
    }

    /// The text of a text message, or a media caption.
    pub fn text(&self) -> Option<String> {
        match self.content() {
            MessageContent::Text(t) => Some(t),
            MessageContent::Media { caption, .. } => caption,
            _ => None,
        }
    }
}

/// A conversation with one WhatsApp contact (`ConversationSchema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(deserialize_with = "de_string")]
    pub unique_id: String,
    pub contact: Contact,
    #[serde(default, deserialize_with = "de_string")]
    pub contact_id: String,
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub campaign_id: Option<String>,
    #[serde(default, deserialize_with = "de_string")]
    pub organization_id: String,
    #[serde(default = "initiated_by_contact")]
    pub initiated_by: InitiatedBy,
    /// The latest messages the server includes (may be empty: ask `messages`).
    #[serde(default, deserialize_with = "de_vec")]
    pub messages: Vec<Message>,
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
    #[serde(default, deserialize_with = "de_u64")]
    pub number_of_unread_messages: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub total_messages: u64,
    pub status: ConversationStatus,
    #[serde(
        default,
        deserialize_with = "de_member",
        skip_serializing_if = "Option::is_none"
    )]
    pub assigned_to: Option<Member>,
    #[serde(default, deserialize_with = "de_vec")]
    pub tags: Vec<Tag>,
}

fn initiated_by_contact() -> InitiatedBy {
    InitiatedBy::Contact
}

/// `paginationMeta` of list answers. `total` is missing from some answers (the conversation
/// list of the real server sends only `page` and `per_page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaginationMeta {
    #[serde(default, deserialize_with = "de_u64")]
    pub page: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub per_page: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    /// All items over all pages, when the server says.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, meta: PaginationMeta) -> Self {
        Self {
            items,
            page: meta.page,
            per_page: meta.per_page,
            total: meta.total,
        }
    }

    /// Whether a next page may hold more: by `total` when known, else a full page.
    pub fn has_more(&self) -> bool {
        match self.total {
            Some(total) => self.page.saturating_mul(self.per_page) < total,
            None => self.per_page > 0 && self.items.len() as u64 >= self.per_page,
        }
    }
}

/// The body of `POST /conversation/{id}/messages` (`NewMessageSchema`). `messageData` carries
/// the discriminating `messageType` too, as the schema's union wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    pub message_type: MessageType,
    /// RFC 3339; the client fills in the current time when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub message_data: Map<String, Value>,
}

impl NewMessage {
    fn with(kind: MessageType, fields: Vec<(&str, Option<Value>)>) -> Self {
        let mut data = Map::new();
        data.insert(
            "messageType".into(),
            Value::String(kind.as_str().to_owned()),
        );
        for (k, v) in fields {
            if let Some(v) = v {
                data.insert(k.to_owned(), v);
            }
        }
        Self {
            message_type: kind,
            created_at: None,
            message_data: data,
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        Self::with(
            MessageType::Text,
            vec![("text", Some(Value::String(text.into())))],
        )
    }

    /// An image by link (or media id), with an optional caption.
    pub fn image(link: impl Into<String>, caption: Option<String>) -> Self {
        let link = link.into();
        Self::with(
            MessageType::Image,
            vec![
                ("id", Some(Value::String(link.clone()))),
                ("link", Some(Value::String(link))),
                ("caption", caption.map(Value::String)),
            ],
        )
    }

    pub fn document(link: impl Into<String>, file_name: impl Into<String>) -> Self {
        let link = link.into();
        Self::with(
            MessageType::Document,
            vec![
                ("id", Some(Value::String(link.clone()))),
                ("link", Some(Value::String(link))),
                ("fileName", Some(Value::String(file_name.into()))),
            ],
        )
    }

    pub fn location(latitude: f64, longitude: f64, name: Option<String>) -> Self {
        Self::with(
            MessageType::Location,
            vec![
                ("latitude", Some(Value::from(latitude))),
                ("longitude", Some(Value::from(longitude))),
                ("name", name.map(Value::String)),
            ],
        )
    }

    pub fn reaction(emoji: impl Into<String>, message_id: impl Into<String>) -> Self {
        Self::with(
            MessageType::Reaction,
            vec![
                ("reaction", Some(Value::String(emoji.into()))),
                ("messageId", Some(Value::String(message_id.into()))),
            ],
        )
    }

    pub fn with_created_at(mut self, rfc3339: impl Into<String>) -> Self {
        self.created_at = Some(rfc3339.into());
        self
    }
}

// ---- real-time events ---------------------------------------------------------------------------

/// An event of `GET /api/events` (SSE), decoded by [`decode_event`].
#[derive(Debug, Clone, PartialEq)]
pub enum WkEvent {
    /// `event: connected` / `data: OK`: the stream is live.
    Connected,
    /// A message arrived (inbound) or was sent, with its conversation.
    NewMessage {
        conversation: Box<Conversation>,
        message: Box<Message>,
    },
    /// The conversation was assigned to the member whose stream this is.
    ChatAssignment {
        conversation_id: String,
    },
    /// The conversation was taken from the member whose stream this is.
    ChatUnAssignment {
        conversation_id: String,
    },
    ConversationClosed {
        conversation_id: String,
    },
    NewConversation {
        conversation: Box<Conversation>,
    },
    MessageRead {
        message_id: String,
    },
    MessageDelivered {
        message_id: String,
    },
    MessageSent {
        message_id: String,
    },
    /// Sending failed (`error` when the server says why). The server also sends this type
    /// with only a conversation id (its "conversation read" event reuses the type).
    MessageErrored {
        message_id: Option<String>,
        conversation_id: Option<String>,
        error: Option<String>,
    },
    /// The client should reload its lists.
    ReloadRequired {
        is_reload_required: bool,
    },
    Error {
        error: String,
    },
    /// A type this version does not know (e.g. `CampaignProgress`, `NewNotification`), with its
    /// data when it decoded.
    Unknown {
        event_type: String,
        data: Value,
    },
}

/// The JSON key a Go field name or JSON tag stands for: MessagePack from Go may carry the field
/// names (`ConversationId`) rather than the JSON tags (`conversationId`).
fn json_key(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_uppercase() => {
            // `ID` → `id`, `URL` → `url`; otherwise lower the first letter.
            if key.chars().all(|c| c.is_ascii_uppercase()) {
                key.to_ascii_lowercase()
            } else {
                let mut s = String::with_capacity(key.len());
                s.push(c.to_ascii_lowercase());
                s.push_str(chars.as_str());
                s
            }
        }
        _ => key.to_owned(),
    }
}

/// Maps whose keys are user data, not field names: left as they are.
const DATA_KEYS: &[&str] = &["attributes", "messageData"];

fn rmpv_to_json(v: rmpv::Value, normalise_keys: bool) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(i) => i
            .as_i64()
            .map(Value::from)
            .or_else(|| i.as_u64().map(Value::from))
            .unwrap_or(Value::Null),
        M::F32(f) => serde_json::Number::from_f64(f64::from(f))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        M::F64(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        M::String(s) => Value::String(s.into_str().unwrap_or_default()),
        M::Binary(b) => {
            use base64::Engine as _;
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        M::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| rmpv_to_json(i, normalise_keys))
                .collect(),
        ),
        M::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match k {
                    M::String(s) => s.into_str().unwrap_or_default(),
                    other => other.to_string(),
                };
                let key = if normalise_keys { json_key(&key) } else { key };
                let inner = normalise_keys && !DATA_KEYS.contains(&key.as_str());
                out.insert(key, rmpv_to_json(v, inner));
            }
            Value::Object(out)
        }
        // MessagePack's timestamp extension (Go's time.Time): RFC 3339.
        M::Ext(-1, bytes) => timestamp_ext(&bytes)
            .map(|(secs, nanos)| Value::String(rfc3339(secs, nanos)))
            .unwrap_or(Value::Null),
        M::Ext(_, _) => Value::Null,
    }
}

/// (seconds, nanoseconds) of a MessagePack timestamp extension (4, 8 or 12 bytes).
fn timestamp_ext(b: &[u8]) -> Option<(i64, u32)> {
    match b.len() {
        4 => Some((i64::from(u32::from_be_bytes(b.try_into().ok()?)), 0)),
        8 => {
            let v = u64::from_be_bytes(b.try_into().ok()?);
            Some(((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32))
        }
        12 => {
            let nanos = u32::from_be_bytes(b[..4].try_into().ok()?);
            let secs = i64::from_be_bytes(b[4..].try_into().ok()?);
            Some((secs, nanos))
        }
        _ => None,
    }
}

/// RFC 3339 in UTC: `2025-02-18T09:41:43Z`, with milliseconds when not whole seconds.
pub fn rfc3339(secs: i64, nanos: u32) -> String {
    let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap_or_default();
    if nanos / 1_000_000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// RFC 3339 of a time in milliseconds since the epoch.
pub fn rfc3339_ms(ms: i64) -> String {
    rfc3339(
        ms.div_euclid(1000),
        (ms.rem_euclid(1000) as u32) * 1_000_000,
    )
}

/// Milliseconds since the epoch of an RFC 3339 time (`Z` or `±hh:mm`, any fraction).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationIdData {
    #[serde(default, deserialize_with = "de_string")]
    conversation_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageIdData {
    #[serde(default, deserialize_with = "de_string")]
    message_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErroredData {
    #[serde(default, deserialize_with = "de_opt_string")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    conversation_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct NewMessageData {
    conversation: Conversation,
    message: Message,
}

#[derive(Deserialize)]
struct ConversationData {
    conversation: Conversation,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReloadData {
    #[serde(default)]
    is_reload_required: bool,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default, deserialize_with = "de_string")]
    error: String,
}

/// The most bytes of one event's `data` (base64) that are decoded.
pub const MAX_EVENT_DATA: usize = 4 * 1024 * 1024;

/// base64 → MessagePack → a JSON value with the JSON tag names.
pub fn decode_event_data(data_base64: &str) -> Result<Value, String> {
    use base64::Engine as _;
    if data_base64.len() > MAX_EVENT_DATA {
        return Err(format!(
            "event data of {} bytes is too large",
            data_base64.len()
        ));
    }
    let compact: String = data_base64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes()))
        .map_err(|e| format!("event data is not base64: {e}"))?;
    let mut slice = bytes.as_slice();
    let value = rmpv::decode::read_value_ref(&mut slice)
        .map_err(|e| format!("event data is not MessagePack: {e}"))?
        .to_owned();
    if !slice.is_empty() {
        return Err(format!(
            "event data has {} bytes after the MessagePack value",
            slice.len()
        ));
    }
    Ok(rmpv_to_json(value, true))
}

fn typed<T: serde::de::DeserializeOwned>(event_type: &str, data: Value) -> Result<T, String> {
    serde_json::from_value(data).map_err(|e| format!("{event_type} event: {e}"))
}

/// Decodes one SSE event of `GET /api/events`: `event: <event_type>` and `data:
/// <data_base64>` (base64 of MessagePack). `connected` (whose data is `OK`) is
/// [`WkEvent::Connected`]; unknown types are [`WkEvent::Unknown`] (their data as JSON when it
/// decodes, else `null`). A known type whose data does not decode is an error.
pub fn decode_event(event_type: &str, data_base64: &str) -> Result<WkEvent, String> {
    let event_type = event_type.trim();
    if event_type.eq_ignore_ascii_case("connected") {
        return Ok(WkEvent::Connected);
    }
    let known = matches!(
        event_type,
        "NewMessage"
            | "ChatAssignment"
            | "ChatUnAssignment"
            | "ConversationClosed"
            | "NewConversation"
            | "MessageRead"
            | "MessageDelivered"
            | "MessageSent"
            | "MessageErrored"
            | "ReloadRequired"
            | "Error"
    );
    if !known {
        return Ok(WkEvent::Unknown {
            event_type: event_type.to_owned(),
            data: decode_event_data(data_base64).unwrap_or(Value::Null),
        });
    }
    let data = decode_event_data(data_base64)?;
    let t = event_type;
    Ok(match t {
        "NewMessage" => {
            let d: NewMessageData = typed(t, data)?;
            WkEvent::NewMessage {
                conversation: Box::new(d.conversation),
                message: Box::new(d.message),
            }
        }
        "NewConversation" => WkEvent::NewConversation {
            conversation: Box::new(typed::<ConversationData>(t, data)?.conversation),
        },
        "ChatAssignment" | "ChatUnAssignment" | "ConversationClosed" => {
            let d: ConversationIdData = typed(t, data)?;
            if d.conversation_id.is_empty() {
                return Err(format!("{t} event without a conversationId"));
            }
            let conversation_id = d.conversation_id;
            match t {
                "ChatAssignment" => WkEvent::ChatAssignment { conversation_id },
                "ChatUnAssignment" => WkEvent::ChatUnAssignment { conversation_id },
                _ => WkEvent::ConversationClosed { conversation_id },
            }
        }
        "MessageRead" | "MessageDelivered" | "MessageSent" => {
            let d: MessageIdData = typed(t, data)?;
            if d.message_id.is_empty() {
                return Err(format!("{t} event without a messageId"));
            }
            let message_id = d.message_id;
            match t {
                "MessageRead" => WkEvent::MessageRead { message_id },
                "MessageDelivered" => WkEvent::MessageDelivered { message_id },
                _ => WkEvent::MessageSent { message_id },
            }
        }
        "MessageErrored" => {
            let d: ErroredData = typed(t, data)?;
            WkEvent::MessageErrored {
                message_id: d.message_id,
                conversation_id: d.conversation_id,
                error: d.error,
            }
        }
        "ReloadRequired" => WkEvent::ReloadRequired {
            is_reload_required: typed::<ReloadData>(t, data)?.is_reload_required,
        },
        _ => WkEvent::Error {
            error: typed::<ErrorData>(t, data)?.error,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn msgpack(v: &rmpv::Value) -> String {
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, v).unwrap();
        base64::engine::general_purpose::STANDARD.encode(buf)
    }

    fn map(entries: Vec<(&str, rmpv::Value)>) -> rmpv::Value {
        rmpv::Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (rmpv::Value::from(k), v))
                .collect(),
        )
    }

    fn conversation_json() -> Value {
        json!({
            "uniqueId": "c1",
            "contact": {"uniqueId": "k1", "name": "Ana", "phone": "5511999990000",
                        "attributes": {"City": "São Paulo"}, "createdAt": "2025-02-01T10:00:00Z",
                        "status": "Active"},
            "contactId": "k1",
            "organizationId": "o1",
            "initiatedBy": "Contact",
            "messages": null,
            "createdAt": "2025-02-01T10:00:00Z",
            "numberOfUnreadMessages": 2,
            "status": "Active",
            "assignedTo": {"uniqueId": "", "name": "", "email": "", "accessLevel": "", "roles": null,
                           "createdAt": ""},
            "tags": [{"uniqueId": "t1", "label": "vip"}]
        })
    }

    #[test]
    fn test_conversation_decodes_go_zero_values_leniently() {
        let c: Conversation = serde_json::from_value(conversation_json()).unwrap();
        assert_eq!(c.unique_id, "c1");
        assert!(c.messages.is_empty());
        assert_eq!(c.assigned_to, None, "a zero member is nobody");
        assert_eq!(c.number_of_unread_messages, 2);
        assert_eq!(c.total_messages, 0);
        assert_eq!(c.tags[0].label, "vip");
        assert_eq!(c.contact.attributes["City"], json!("São Paulo"));
        assert_eq!(c.status, ConversationStatus::Active);
    }

    #[test]
    fn test_unknown_enum_values_decode_as_unknown_and_round_trip() {
        let mut v = conversation_json();
        v["status"] = json!("Snoozed");
        v["contact"]["status"] = json!("Archived");
        let c: Conversation = serde_json::from_value(v).unwrap();
        assert_eq!(c.status, ConversationStatus::Unknown("Snoozed".into()));
        assert!(!c.status.is_known());
        assert_eq!(
            serde_json::to_value(&c).unwrap()["status"],
            json!("Snoozed")
        );
        assert_eq!(
            MessageType::parse("Interactive"),
            MessageType::Unknown("Interactive".into())
        );
        assert_eq!(
            MessageStatus::parse("UnDelivered"),
            MessageStatus::UnDelivered
        );
    }

    #[test]
    fn test_message_content_reads_message_data_by_type() {
        let m: Message = serde_json::from_value(json!({
            "uniqueId": "m1", "conversationId": "c1", "direction": "InBound", "status": "Sent",
            "messageType": "Location", "createdAt": "2025-02-01T10:00:00Z",
            "messageData": {"latitude": 52.5, "longitude": 13.4, "name": "Office"}
        }))
        .unwrap();
        assert_eq!(
            m.content(),
            MessageContent::Location {
                latitude: 52.5,
                longitude: 13.4,
                name: Some("Office".into()),
                address: None
            }
        );
        let t = NewMessage::text("hi");
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"messageType": "Text", "messageData": {"messageType": "Text", "text": "hi"}})
        );
    }

    #[test]
    fn test_page_has_more_uses_total_or_a_full_page() {
        let meta = |total| PaginationMeta {
            page: 2,
            per_page: 10,
            total,
        };
        assert!(Page::new(vec![1; 10], meta(Some(25))).has_more());
        assert!(!Page::new(vec![1; 5], meta(Some(15))).has_more());
        assert!(Page::new(vec![1; 10], meta(None)).has_more());
        assert!(!Page::new(vec![1; 9], meta(None)).has_more());
    }

    #[test]
    fn test_rfc3339_round_trips() {
        assert_eq!(rfc3339_ms(1_739_871_703_000), "2025-02-18T09:41:43Z");
        assert_eq!(rfc3339_ms(1_739_871_703_250), "2025-02-18T09:41:43.250Z");
        assert_eq!(
            parse_rfc3339_ms("2025-02-18T09:41:43Z"),
            Some(1_739_871_703_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2025-02-18T09:41:43.25Z"),
            Some(1_739_871_703_250)
        );
        assert_eq!(
            parse_rfc3339_ms("2025-02-18T11:41:43.123456+02:00"),
            Some(1_739_871_703_123)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        assert_eq!(parse_rfc3339_ms("2025-13-01T00:00:00Z"), None);
    }

    #[test]
    fn test_decode_event_valid_assignment_with_go_field_names() {
        // Go's msgpack without tags sends the field name.
        let data = msgpack(&map(vec![("ConversationId", rmpv::Value::from("c9"))]));
        assert_eq!(
            decode_event("ChatAssignment", &data).unwrap(),
            WkEvent::ChatAssignment {
                conversation_id: "c9".into()
            }
        );
        let data = msgpack(&map(vec![("messageId", rmpv::Value::from("m1"))]));
        assert_eq!(
            decode_event("MessageRead", &data).unwrap(),
            WkEvent::MessageRead {
                message_id: "m1".into()
            }
        );
    }

    #[test]
    fn test_decode_event_new_message_with_timestamp_extension() {
        // createdAt as MessagePack's timestamp (8-byte form: 250 ms after a whole second).
        let secs: u64 = 1_739_871_703;
        let nanos: u64 = 250_000_000;
        let ts = rmpv::Value::Ext(-1, ((nanos << 34) | secs).to_be_bytes().to_vec());
        let contact = map(vec![
            ("uniqueId", "k1".into()),
            ("name", "Ana".into()),
            ("phone", "5511".into()),
            ("attributes", map(vec![("City", "Porto".into())])),
            ("createdAt", ts.clone()),
            ("status", "Active".into()),
        ]);
        let conversation = map(vec![
            ("uniqueId", "c1".into()),
            ("contact", contact),
            ("contactId", "k1".into()),
            ("organizationId", "o1".into()),
            ("initiatedBy", "Contact".into()),
            ("messages", rmpv::Value::Nil),
            ("createdAt", ts.clone()),
            ("numberOfUnreadMessages", 1.into()),
            ("status", "Active".into()),
            ("tags", rmpv::Value::Array(vec![])),
        ]);
        let message = map(vec![
            ("uniqueId", "m1".into()),
            ("conversationId", "c1".into()),
            ("direction", "InBound".into()),
            ("status", "Sent".into()),
            ("messageType", "Text".into()),
            ("createdAt", ts),
            ("messageData", map(vec![("text", "Olá".into())])),
        ]);
        let data = msgpack(&map(vec![
            ("conversation", conversation),
            ("message", message),
        ]));
        let WkEvent::NewMessage {
            conversation,
            message,
        } = decode_event("NewMessage", &data).unwrap()
        else {
            panic!("not a NewMessage");
        };
        assert_eq!(conversation.unique_id, "c1");
        assert_eq!(
            conversation.contact.attributes["City"],
            json!("Porto"),
            "data keys kept"
        );
        assert_eq!(message.created_at, "2025-02-18T09:41:43.250Z");
        assert_eq!(message.text().as_deref(), Some("Olá"));
    }

    #[test]
    fn test_decode_event_bad_base64_is_an_error() {
        let e = decode_event("MessageRead", "not base64!").unwrap_err();
        assert!(e.contains("base64"), "{e}");
    }

    #[test]
    fn test_decode_event_bad_msgpack_is_an_error() {
        // A str8 without its length; a truncated map; trailing bytes.
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert!(decode_event("MessageRead", &b64(&[0xd9]))
            .unwrap_err()
            .contains("MessagePack"));
        assert!(decode_event("MessageRead", &b64(&[0x80, 0x80]))
            .unwrap_err()
            .contains("after"));
        assert!(decode_event("MessageRead", &b64(&[0x81, 0xa1])).is_err());
        // Valid MessagePack of the wrong shape.
        let e = decode_event("NewMessage", &msgpack(&rmpv::Value::from(7))).unwrap_err();
        assert!(e.contains("NewMessage"), "{e}");
        // A known id event without its id.
        assert!(decode_event("ChatAssignment", &msgpack(&map(vec![]))).is_err());
    }

    #[test]
    fn test_decode_event_unknown_type_is_kept_not_failed() {
        let data = msgpack(&map(vec![("campaignId", "x".into())]));
        assert_eq!(
            decode_event("CampaignProgress", &data).unwrap(),
            WkEvent::Unknown {
                event_type: "CampaignProgress".into(),
                data: json!({"campaignId": "x"})
            }
        );
        assert_eq!(
            decode_event("Whatever", "%%").unwrap(),
            WkEvent::Unknown {
                event_type: "Whatever".into(),
                data: Value::Null
            }
        );
        assert_eq!(decode_event("connected", "OK").unwrap(), WkEvent::Connected);
    }
}
