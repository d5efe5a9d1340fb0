//! WapiKit's wire types (`crate::wapikit`) as Parley's model: a WhatsApp conversation is a
//! support conversation (`w:<uniqueId>`), its contact the customer, an organisation member an
//! agent. Pure: the WapiKit provider in parley-client uses these, and so do the tests that run
//! the same inbox/timeline checks over every platform.

use crate::model::{
    Contact, Conversation, ConversationStatus, DeliveryState, Direction, Message, Metadata, Millis,
    SUPPORT_GROUP,
};
use crate::wapikit::{self as wk, MessageContent, MessageDirection, MessageStatus, MessageType};

/// Metadata keys Parley sets on WapiKit rows (shown by the UI like any metadata).
pub mod keys {
    /// Conversation tags, labels joined with ", " (the model's key: the UI shows them).
    pub const TAGS: &str = crate::model::keys::TAGS;
    /// The contact's WhatsApp number on a conversation.
    pub const PHONE: &str = "WAPIKIT_PHONE";
    /// WhatsApp's own message id.
    pub const WHATSAPP_ID: &str = "WAPIKIT_WHATSAPP_ID";
    /// The message this one answers (a WapiKit message id).
    pub const REPLY_TO: &str = "WAPIKIT_REPLY_TO";
    /// Outgoing messages: the send time Parley asked for (RFC 3339), which identifies the
    /// message on the server if the answer to the send was lost.
    pub const SENT_AT: &str = "WAPIKIT_SENT_AT";
}

const PREFIX: &str = "w:";

/// Parley's id of a WapiKit conversation.
pub fn conversation_id(unique_id: &str) -> String {
    format!("{PREFIX}{unique_id}")
}

/// WapiKit's id of a Parley conversation id (`None`: not a WapiKit conversation).
pub fn wapikit_id(conversation_id: &str) -> Option<&str> {
    conversation_id
        .strip_prefix(PREFIX)
        .filter(|s| !s.is_empty())
}

/// Times are RFC 3339 on the wire; unparseable or missing ones become 0 ("unknown").
pub fn time_ms(s: &str) -> Millis {
    wk::parse_rfc3339_ms(s).unwrap_or(0)
}

pub fn status(s: &wk::ConversationStatus) -> ConversationStatus {
    match s {
        wk::ConversationStatus::Closed | wk::ConversationStatus::Deleted => {
            ConversationStatus::Resolved
        }
        // Active, and anything newer than this version: keep it in front of the agent.
        _ => ConversationStatus::Open,
    }
}

/// The WapiKit status for a Parley status change: WhatsApp conversations are open or closed.
pub fn wire_status(s: ConversationStatus) -> Option<wk::ConversationStatus> {
    match s {
        ConversationStatus::Open | ConversationStatus::Initial | ConversationStatus::Progress => {
            Some(wk::ConversationStatus::Active)
        }
        ConversationStatus::Resolved | ConversationStatus::Archive => {
            Some(wk::ConversationStatus::Closed)
        }
        _ => None,
    }
}

pub fn contact(c: &wk::Contact) -> Contact {
    let mut metadata = Metadata::new();
    for (k, v) in &c.attributes {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        metadata.insert(k.clone(), text);
    }
    Contact {
        user_id: c.unique_id.clone(),
        display_name: Some(c.name.trim().to_owned()).filter(|s| !s.is_empty()),
        email: None,
        phone: international(&c.phone),
        image_url: None,
        metadata,
        online: false,
        last_seen_at: None,
        role_type: 3,
    }
}

/// A WhatsApp number as people write it: WapiKit keeps the digits with the country code.
fn international(phone: &str) -> Option<String> {
    let digits = phone.trim().trim_start_matches('+');
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

/// The conversation row. `me` is the account's member id ("Mine" = assigned to it).
pub fn conversation(c: &wk::Conversation) -> Conversation {
    let created_at = time_ms(&c.created_at);
    let newest = c.messages.iter().max_by_key(|m| time_ms(&m.created_at));
    let mut metadata = Metadata::new();
    if !c.tags.is_empty() {
        let labels: Vec<&str> = c.tags.iter().map(|t| t.label.as_str()).collect();
        metadata.insert(keys::TAGS.into(), labels.join(", "));
    }
    if !c.contact.phone.is_empty() {
        metadata.insert(keys::PHONE.into(), c.contact.phone.clone());
    }
    if let Some(name) = c
        .assigned_to
        .as_ref()
        .map(|m| m.name.trim())
        .filter(|n| !n.is_empty())
    {
        metadata.insert(crate::model::keys::ASSIGNEE_NAME.into(), name.to_owned());
    }
    let title = if c.contact.name.trim().is_empty() {
        international(&c.contact.phone).unwrap_or_default()
    } else {
        c.contact.name.trim().to_owned()
    };
    let customer = if c.contact.unique_id.is_empty() {
        c.contact_id.clone()
    } else {
        c.contact.unique_id.clone()
    };
    Conversation {
        id: conversation_id(&c.unique_id),
        group_id: None,
        client_group_id: None,
        title,
        group_type: SUPPORT_GROUP,
        status: status(&c.status),
        assignee: c.assigned_to.as_ref().map(|m| m.unique_id.clone()),
        customer_id: Some(customer).filter(|s| !s.is_empty()),
        image_url: None,
        members: Vec::new(),
        metadata,
        created_at,
        last_activity_at: newest
            .map(|m| time_ms(&m.created_at))
            .unwrap_or(0)
            .max(created_at),
        last_message_preview: newest.map(preview),
        unread: i64::try_from(c.number_of_unread_messages).unwrap_or(i64::MAX),
        muted_until: None,
    }
}

/// What a message shows as text: its text, or a short description of media, places and
/// reactions (with the caption).
pub fn preview(m: &wk::Message) -> String {
    match m.content() {
        MessageContent::Text(t) => t,
        MessageContent::Media {
            kind,
            caption,
            file_name,
            ..
        } => {
            let label = match kind {
                MessageType::Image => "📷 Photo",
                MessageType::Video => "🎬 Video",
                MessageType::Audio => "🎤 Audio",
                MessageType::Sticker => "Sticker",
                _ => "📄 Document",
            };
            match (caption, file_name) {
                (Some(c), _) => format!("{label}: {c}"),
                (None, Some(f)) => format!("{label}: {f}"),
                (None, None) => label.to_owned(),
            }
        }
        MessageContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            let place = name.or(address).unwrap_or_default();
            format!("📍 {place} ({latitude:.5}, {longitude:.5})").replace("📍  (", "📍 (")
        }
        MessageContent::Reaction { emoji, .. } => format!("Reacted {emoji}"),
        MessageContent::Other(kind, _) => format!("[{kind}]"),
    }
}

pub fn delivery(s: &MessageStatus) -> DeliveryState {
    match s {
        MessageStatus::Read => DeliveryState::Read,
        MessageStatus::Delivered | MessageStatus::Unread => DeliveryState::Delivered,
        MessageStatus::Failed | MessageStatus::UnDelivered => DeliveryState::Failed,
        _ => DeliveryState::Sent,
    }
}

/// A message of a conversation whose customer is `customer_id`; outgoing ones are the team's
/// (WapiKit does not say which member wrote them): `me`.
pub fn message(m: &wk::Message, customer_id: &str, me: &str) -> Message {
    let outgoing = m.direction == MessageDirection::OutBound;
    let mut metadata = Metadata::new();
    if let Some(w) = &m.whats_app_message_id {
        metadata.insert(keys::WHATSAPP_ID.into(), w.clone());
    }
    if let Some(r) = &m.reply_to_message_id {
        metadata.insert(keys::REPLY_TO.into(), r.clone());
    }
    Message {
        key: m.unique_id.clone(),
        conversation_id: conversation_id(&m.conversation_id),
        sender_id: if outgoing { me } else { customer_id }.to_owned(),
        created_at: time_ms(&m.created_at),
        text: preview(m),
        content_type: 0,
        metadata,
        attachment: None,
        direction: if outgoing {
            Direction::Outgoing
        } else {
            Direction::Incoming
        },
        state: if outgoing {
            delivery(&m.status)
        } else {
            DeliveryState::Delivered
        },
        client_key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_conversation() -> wk::Conversation {
        serde_json::from_value(serde_json::json!({
            "uniqueId": "c1",
            "contact": {"uniqueId": "k1", "name": " Asha Rao ", "phone": "919800000001",
                        "attributes": {"city": "Pune", "vip": true, "none": null},
                        "createdAt": "2025-01-02T03:04:05Z", "status": "Active"},
            "contactId": "k1",
            "organizationId": "o1",
            "initiatedBy": "Contact",
            "messages": [
                {"uniqueId": "m1", "conversationId": "c1", "direction": "InBound", "status": "Read",
                 "messageType": "Text", "createdAt": "2025-01-02T03:05:00Z",
                 "messageData": {"text": "Hello"}},
                {"uniqueId": "m2", "conversationId": "c1", "direction": "OutBound", "status": "Delivered",
                 "messageType": "Image", "createdAt": "2025-01-02T03:06:00Z",
                 "messageData": {"link": "https://x/y.png", "caption": "the invoice"}}
            ],
            "createdAt": "2025-01-02T03:04:59Z",
            "numberOfUnreadMessages": 2,
            "totalMessages": 2,
            "status": "Active",
            "assignedTo": {"uniqueId": "mem1", "name": "Ravi", "email": "r@x", "accessLevel": "Member", "roles": []},
            "tags": [{"uniqueId": "t1", "label": "billing"}, {"uniqueId": "t2", "label": "vip"}]
        }))
        .expect("decodes")
    }

    #[test]
    fn test_wapikit_conversation_becomes_a_support_conversation() {
        let c = conversation(&wire_conversation());
        assert_eq!(c.id, "w:c1");
        assert_eq!(c.group_type, SUPPORT_GROUP);
        assert_eq!(c.title, "Asha Rao");
        assert_eq!(c.status, ConversationStatus::Open);
        assert_eq!(c.assignee.as_deref(), Some("mem1"));
        assert_eq!(c.customer_id.as_deref(), Some("k1"));
        assert_eq!(c.unread, 2);
        assert_eq!(c.last_activity_at, time_ms("2025-01-02T03:06:00Z"));
        assert_eq!(
            c.last_message_preview.as_deref(),
            Some("📷 Photo: the invoice")
        );
        assert_eq!(
            c.metadata.get(keys::TAGS).map(String::as_str),
            Some("billing, vip")
        );
        assert!(c.in_view(crate::model::InboxView::AssignedToMe, "mem1"));
        assert!(!c.in_view(crate::model::InboxView::Unassigned, "mem1"));
        assert_eq!(wapikit_id(&c.id), Some("c1"));
        assert_eq!(wapikit_id("g:12"), None);
    }

    #[test]
    fn test_wapikit_messages_keep_direction_state_and_customer() {
        let w = wire_conversation();
        let inbound = message(&w.messages[0], "k1", "mem1");
        assert_eq!(inbound.direction, Direction::Incoming);
        assert_eq!(inbound.sender_id, "k1");
        assert_eq!(inbound.text, "Hello");
        assert_eq!(inbound.conversation_id, "w:c1");
        let outbound = message(&w.messages[1], "k1", "mem1");
        assert_eq!(outbound.direction, Direction::Outgoing);
        assert_eq!(outbound.sender_id, "mem1");
        assert_eq!(outbound.state, DeliveryState::Delivered);
    }

    #[test]
    fn test_wapikit_contact_attributes_become_metadata() {
        let c = contact(&wire_conversation().contact);
        assert_eq!(c.name(), "Asha Rao");
        assert_eq!(c.phone.as_deref(), Some("+919800000001"));
        assert_eq!(c.metadata.get("city").map(String::as_str), Some("Pune"));
        assert_eq!(c.metadata.get("vip").map(String::as_str), Some("true"));
        assert!(!c.metadata.contains_key("none"));
    }

    #[test]
    fn test_closed_and_deleted_are_resolved_and_status_changes_map_back() {
        assert_eq!(
            status(&wk::ConversationStatus::Closed),
            ConversationStatus::Resolved
        );
        assert_eq!(
            status(&wk::ConversationStatus::Unknown("Snoozed".into())),
            ConversationStatus::Open
        );
        assert_eq!(
            wire_status(ConversationStatus::Resolved),
            Some(wk::ConversationStatus::Closed)
        );
        assert_eq!(
            wire_status(ConversationStatus::Open),
            Some(wk::ConversationStatus::Active)
        );
        assert_eq!(wire_status(ConversationStatus::Spam), None);
    }

    #[test]
    fn test_nameless_contact_is_titled_by_number() {
        let mut w = wire_conversation();
        w.contact.name = "  ".into();
        assert_eq!(conversation(&w).title, "+919800000001");
    }
}
