//! Real-time payloads (protocol reference §2–§3): the JSON notification envelope with its
//! `APPLOZIC_nn` codes, the CSV typing payloads, and what Parley publishes.
//!
//! `decode_envelope` never panics and never fails on an unknown code: those become
//! [`Event::Unknown`], which the sync service logs and skips.

use serde::Deserialize;
use serde_json::Value;

use crate::wire::{de_bool, de_opt_string, WireMessage};

/// The envelope `{id, type, message, notifyUser}` (§3.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    #[serde(default, deserialize_with = "de_opt_string")]
    id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "de_opt_string")]
    kind: Option<String>,
    #[serde(default)]
    message: Value,
    #[serde(default, deserialize_with = "de_bool")]
    notify_user: bool,
}

/// A decoded notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Opaque notification id, used to drop duplicates.
    pub id: Option<String>,
    pub notify_user: bool,
    pub event: Event,
}

/// Presence / availability as `APPLOZIC_25` and `status-v2` carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Offline,
    Online,
    Away,
}

impl Availability {
    /// 0 offline, 1 online, 2 away, 3 online (not away).
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::Offline),
            1 | 3 => Some(Self::Online),
            2 => Some(Self::Away),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// 01: a message for me. Sync (`message/sync`) to fetch it; the inline copy may be partial.
    MessageReceived(Box<WireMessage>),
    /// 02: I sent a message from another device.
    MessageSent(Box<WireMessage>),
    /// 03: my message reached the server.
    MessageSentUpdate {
        key: String,
    },
    /// 04: delivered to `user_id`.
    Delivered {
        key: String,
        user_id: Option<String>,
    },
    /// 08: delivered and read by `user_id`.
    DeliveredAndRead {
        key: String,
        user_id: Option<String>,
    },
    /// 05: a message was deleted.
    MessageDeleted {
        key: String,
    },
    /// 06 / 27: a 1:1 thread was deleted.
    ConversationDeleted {
        user_id: String,
    },
    /// 09 / 29: I read a 1:1 thread on another device.
    ConversationRead {
        user_id: String,
    },
    /// 10 / 28: `user_id` read all my messages to them.
    ConversationDeliveredAndRead {
        user_id: String,
    },
    /// 21: a group was read (on another device, or a read receipt).
    GroupConversationRead {
        group_id: i64,
    },
    /// 11.
    UserConnected {
        user_id: String,
    },
    /// 12: with the last-seen time when known.
    UserDisconnected {
        user_id: String,
        last_seen_at: Option<i64>,
    },
    /// 15: groups changed: sync `group/v5/list`.
    GroupSync,
    /// 16 / 17.
    UserBlocked {
        raw: String,
    },
    UserUnblocked {
        raw: String,
    },
    /// 23: a group thread was deleted.
    GroupDeleted {
        group_id: i64,
    },
    /// 25: agent availability.
    AvailabilityChanged {
        user_id: String,
        availability: Availability,
        last_seen_at: Option<i64>,
    },
    /// 30: re-fetch the user's detail.
    UserDetailChanged {
        user_id: String,
    },
    /// 33: metadata update (or "deleted for all").
    MetadataUpdate(Box<WireMessage>),
    /// 34.
    UserDeleted {
        user_id: String,
    },
    /// 37.
    UserMuted {
        user_id: String,
        muted: bool,
    },
    /// 39: group muted until (ms).
    GroupMuted {
        group_id: i64,
        until: i64,
    },
    /// 42: Kommunicate group update; `KM_REMOVE_GROUP` means remove it locally.
    GroupUpdate(Box<WireMessage>),
    /// A code Parley does not act on (18–20, 22, 24, 26, 31–32, 38, 40–41, …) or an unknown one.
    Unknown {
        kind: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("envelope has no type")]
    NoType,
    #[error("{kind}: unexpected payload {payload}")]
    BadPayload { kind: String, payload: String },
}

/// The ids of the notifications handled lately, to drop a duplicate: the official SDKs do the
/// same in memory (Android keeps the last ~20, to de-duplicate MQTT against push). The oldest
/// id is forgotten when `capacity` are remembered.
#[derive(Debug)]
pub struct RecentIds {
    capacity: usize,
    set: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl RecentIds {
    /// Keeps the memory bounded (a few hundred kB of ids) while covering far more than a broker
    /// redelivers after a reconnect (its in-flight window). A duplicate older than this is
    /// still harmless: the store keeps one row per message key; it only costs a write.
    pub const CAPACITY: usize = 4096;

    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            set: std::collections::HashSet::new(),
            order: std::collections::VecDeque::new(),
        }
    }

    /// Remembers `id`; `false` when it is remembered already (a duplicate).
    pub fn first_sighting(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

impl Default for RecentIds {
    fn default() -> Self {
        Self::new(Self::CAPACITY)
    }
}

/// Decode one MQTT payload from `<userKey>`, `support-channel-…`, `group-…`.
pub fn decode_envelope(payload: &[u8]) -> Result<Envelope, DecodeError> {
    // serde would also read a struct from a JSON array, field by field: only objects are
    // envelopes.
    if !payload.trim_ascii_start().starts_with(b"{") {
        return Err(DecodeError::NotJson("expected a JSON object".into()));
    }
    let raw: RawEnvelope =
        serde_json::from_slice(payload).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let kind = raw.kind.clone().ok_or(DecodeError::NoType)?;
    let event = decode_event(&kind, &raw.message)?;
    Ok(Envelope {
        id: raw.id,
        notify_user: raw.notify_user,
        event,
    })
}

fn code_of(kind: &str) -> Option<u32> {
    if let Some(n) = kind.strip_prefix("APPLOZIC_") {
        return n.parse().ok();
    }
    // Legacy string names (§3.1).
    Some(match kind {
        "MESSAGE_RECEIVED" => 1,
        "MESSAGE_SENT" => 2,
        "MESSAGE_DELIVERED" | "MT_MESSAGE_DELIVERED" => 4,
        "MESSAGE_DELETED" => 5,
        "CONVERSATION_DELETED" => 6,
        "MESSAGE_DELIVERED_READ" | "MT_MESSAGE_DELIVERED_READ" => 8,
        "CONVERSATION_DELIVERED_AND_READ" => 10,
        "USER_CONNECTED" => 11,
        "GROUP_CONVERSATION_DELETED" => 23,
        _ => return None,
    })
}

fn decode_event(kind: &str, message: &Value) -> Result<Event, DecodeError> {
    let bad = || DecodeError::BadPayload {
        kind: kind.to_owned(),
        payload: truncate(&message.to_string(), 200),
    };
    let Some(code) = code_of(kind) else {
        return Ok(Event::Unknown {
            kind: kind.to_owned(),
        });
    };
    let text = || -> Result<String, DecodeError> {
        match message {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(bad()),
        }
    };
    let msg = || -> Result<Box<WireMessage>, DecodeError> {
        match message {
            Value::Object(_) => serde_json::from_value(message.clone())
                .map(Box::new)
                .map_err(|_| bad()),
            // APNs form of 02: "<key>:<deviceKey>".
            Value::String(s) => Ok(Box::new(WireMessage {
                key: s.split(':').next().map(str::to_owned),
                ..WireMessage::default()
            })),
            _ => Err(bad()),
        }
    };
    let non_empty = |s: &str| -> Result<String, DecodeError> {
        let s = s.trim();
        if s.is_empty() || s == "null" {
            Err(bad())
        } else {
            Ok(s.to_owned())
        }
    };
    let key_and_user = || -> Result<(String, Option<String>), DecodeError> {
        let t = text()?;
        let mut parts = t.splitn(2, ',');
        let key = non_empty(parts.next().unwrap_or(""))?;
        let user = parts
            .next()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        Ok((key, user))
    };
    let first = || -> Result<String, DecodeError> {
        let t = text()?;
        non_empty(t.split(',').next().unwrap_or(""))
    };
    let group = || -> Result<i64, DecodeError> {
        let t = text()?;
        t.split([',', ':'])
            .next()
            .and_then(|g| g.trim().parse().ok())
            .ok_or_else(bad)
    };

    Ok(match code {
        1 => Event::MessageReceived(msg()?),
        2 => Event::MessageSent(msg()?),
        3 => match message {
            Value::Object(o) => Event::MessageSentUpdate {
                key: non_empty(o.get("key").and_then(Value::as_str).unwrap_or(""))?,
            },
            _ => Event::MessageSentUpdate { key: first()? },
        },
        4 => {
            let (key, user_id) = key_and_user()?;
            Event::Delivered { key, user_id }
        }
        8 => {
            let (key, user_id) = key_and_user()?;
            Event::DeliveredAndRead { key, user_id }
        }
        5 => match message {
            Value::Object(o) => Event::MessageDeleted {
                key: non_empty(o.get("key").and_then(Value::as_str).unwrap_or(""))?,
            },
            _ => Event::MessageDeleted { key: first()? },
        },
        6 | 27 => Event::ConversationDeleted { user_id: first()? },
        9 | 29 => Event::ConversationRead { user_id: first()? },
        10 | 28 => Event::ConversationDeliveredAndRead { user_id: first()? },
        11 => Event::UserConnected { user_id: first()? },
        12 => {
            let t = text()?;
            let mut parts = t.split(',');
            let user_id = non_empty(parts.next().unwrap_or(""))?;
            let last_seen_at = parts.next().and_then(|s| s.trim().parse().ok());
            Event::UserDisconnected {
                user_id,
                last_seen_at,
            }
        }
        15 => Event::GroupSync,
        16 => Event::UserBlocked { raw: text()? },
        17 => Event::UserUnblocked { raw: text()? },
        21 => Event::GroupConversationRead { group_id: group()? },
        23 => Event::GroupDeleted { group_id: group()? },
        25 => {
            let t = text()?;
            let mut parts = t.split(',');
            let user_id = non_empty(parts.next().unwrap_or(""))?;
            let availability = parts
                .next()
                .and_then(|s| s.trim().parse().ok())
                .and_then(Availability::from_code)
                .ok_or_else(bad)?;
            let last_seen_at = parts.next().and_then(|s| s.trim().parse().ok());
            Event::AvailabilityChanged {
                user_id,
                availability,
                last_seen_at,
            }
        }
        30 => Event::UserDetailChanged { user_id: first()? },
        33 => Event::MetadataUpdate(msg()?),
        34 => Event::UserDeleted { user_id: first()? },
        37 => {
            let t = text()?;
            let (user, flag) = t.rsplit_once(':').ok_or_else(bad)?;
            Event::UserMuted {
                user_id: non_empty(user)?,
                muted: flag.trim() == "1",
            }
        }
        39 => {
            let t = text()?;
            let (g, until) = t.split_once(':').ok_or_else(bad)?;
            Event::GroupMuted {
                group_id: g.trim().parse().map_err(|_| bad())?,
                until: until.trim().parse().map_err(|_| bad())?,
            }
        }
        42 => Event::GroupUpdate(msg()?),
        _ => Event::Unknown {
            kind: kind.to_owned(),
        },
    })
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A typing notification from `typing-<appKey>-<id>`: `"<appKey>,<userId>,<1|0>"` (§3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    /// The group id or user id the topic names.
    pub target: String,
    pub user_id: String,
    pub typing: bool,
}

/// Topic names (§2). User ids containing MQTT wildcards (or `/`, or `%` itself, so that
/// decoding gives back the id) are URL-encoded in topic names, as Java's `URLEncoder` does.
pub mod topics {
    pub const STATUS: &str = "status-v2";
    pub const MESSAGE_STATUS: &str = "message-status";

    pub fn encode_user_id(user_id: &str) -> String {
        if user_id.contains(['+', '#', '/', '%']) {
            let mut out = String::with_capacity(user_id.len() + 8);
            for b in user_id.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                        out.push(b as char);
                    }
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            out
        } else {
            user_id.to_owned()
        }
    }

    /// The inverse of [`encode_user_id`]: an encoded id (it has a `%`) is URL-decoded, `+`
    /// included (a space, as Java's `URLDecoder` reads it); any other id is kept as it is.
    pub fn decode_user_id(s: &str) -> String {
        if !s.contains('%') {
            return s.to_owned();
        }
        let hex = |b: u8| (b as char).to_digit(16);
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn typing(app_key: &str, target: &str) -> String {
        format!("typing-{app_key}-{}", encode_user_id(target))
    }

    pub fn support_channel(app_key: &str) -> String {
        format!("support-channel-{app_key}")
    }

    pub fn open_group(app_key: &str, group_id: i64) -> String {
        format!("group-{app_key}-{group_id}")
    }

    /// `<userKey>,<deviceKey>,<status>`: 1 online at connect, 0 offline (and the last will),
    /// 3 agent online / not away, 2 agent away.
    pub fn status_payload(user_key: &str, device_key: &str, status: u8) -> String {
        format!("{user_key},{device_key},{status}")
    }

    /// `<userId>,<messageKey>,<status>` with 4 delivered, 1 read.
    pub fn message_status_payload(user_id: &str, key: &str, read: bool) -> String {
        format!("{user_id},{key},{}", if read { 1 } else { 4 })
    }

    pub fn typing_payload(app_key: &str, user_id: &str, typing: bool) -> String {
        format!("{app_key},{},{}", encode_user_id(user_id), u8::from(typing))
    }
}

/// Decode a typing payload received on `topic`. `None` when the topic or payload is not a
/// typing notification of this app.
pub fn decode_typing(app_key: &str, topic: &str, payload: &[u8]) -> Option<Typing> {
    let target = topic.strip_prefix(&format!("typing-{app_key}-"))?;
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.trim().split(',');
    let app = parts.next()?;
    if app != app_key {
        return None;
    }
    let user = parts.next()?.trim();
    let flag = parts.next()?.trim();
    if user.is_empty() || parts.next().is_some() {
        return None;
    }
    let typing = match flag {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    Some(Typing {
        target: topics::decode_user_id(target),
        user_id: topics::decode_user_id(user),
        typing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> Event {
        decode_envelope(json.as_bytes()).unwrap().event
    }

    #[test]
    fn test_a_repeated_notification_id_is_a_duplicate_until_forgotten() {
        let mut recent = RecentIds::new(3);
        assert!(recent.first_sighting("a"));
        assert!(!recent.first_sighting("a"), "a repeat is a duplicate");
        assert!(recent.first_sighting("b"));
        assert!(recent.first_sighting("c"));
        assert!(!recent.first_sighting("b"));
        assert!(recent.first_sighting("d"), "a fourth id forgets the oldest");
        assert!(recent.first_sighting("a"), "the oldest id is forgotten");
        assert!(!recent.first_sighting("d"));
        assert!(!recent.first_sighting("c"));
    }

    #[test]
    fn test_message_received_envelope_from_reference_decodes() {
        let e = decode_envelope(br#"{"id":"n1","type":"APPLOZIC_01","notifyUser":true,
 "message":{"key":"5-12711281-1540200629140","groupId":12711281,"clientGroupId":"12711281","to":"customer-1",
            "contactIds":"customer-1","message":"hi","contentType":0,"type":4,"status":0,"source":1,
            "createdAtTime":1540200629140,"metadata":{},"deviceKey":"dk"}}"#).unwrap();
        assert_eq!(e.id.as_deref(), Some("n1"));
        assert!(e.notify_user);
        let Event::MessageReceived(m) = e.event else {
            panic!("wrong event")
        };
        assert_eq!(m.message.as_deref(), Some("hi"));
        assert_eq!(m.group_id, Some(12_711_281));
    }

    #[test]
    fn test_string_payload_codes_decode() {
        assert_eq!(
            ev(
                r#"{"id":"a","type":"APPLOZIC_04","message":"5-1-2,customer-1","notifyUser":false}"#
            ),
            Event::Delivered {
                key: "5-1-2".into(),
                user_id: Some("customer-1".into())
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_08","message":"k,u"}"#),
            Event::DeliveredAndRead {
                key: "k".into(),
                user_id: Some("u".into())
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_12","message":"ranjeet,1449866097000"}"#),
            Event::UserDisconnected {
                user_id: "ranjeet".into(),
                last_seen_at: Some(1_449_866_097_000)
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_12","message":"ranjeet,null"}"#),
            Event::UserDisconnected {
                user_id: "ranjeet".into(),
                last_seen_at: None
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_25","message":"agent@acme.com,2"}"#),
            Event::AvailabilityChanged {
                user_id: "agent@acme.com".into(),
                availability: Availability::Away,
                last_seen_at: None
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_05","message":"k1,tab,1"}"#),
            Event::MessageDeleted { key: "k1".into() }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_21","message":"42"}"#),
            Event::GroupConversationRead { group_id: 42 }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_23","message":42}"#),
            Event::GroupDeleted { group_id: 42 }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_37","message":"bob:1"}"#),
            Event::UserMuted {
                user_id: "bob".into(),
                muted: true
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_39","message":"42:1700000000000"}"#),
            Event::GroupMuted {
                group_id: 42,
                until: 1_700_000_000_000
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_15","message":null}"#),
            Event::GroupSync
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_30","message":"u1"}"#),
            Event::UserDetailChanged {
                user_id: "u1".into()
            }
        );
        assert_eq!(
            ev(r#"{"type":"MT_MESSAGE_DELIVERED","message":"k,u"}"#),
            Event::Delivered {
                key: "k".into(),
                user_id: Some("u".into())
            }
        );
    }

    #[test]
    fn test_apns_form_of_message_sent_keeps_key() {
        let Event::MessageSent(m) = ev(r#"{"type":"APPLOZIC_02","message":"k9:dev1"}"#) else {
            panic!()
        };
        assert_eq!(m.key.as_deref(), Some("k9"));
    }

    #[test]
    fn test_unknown_codes_are_skipped_not_fatal() {
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_99","message":"x"}"#),
            Event::Unknown {
                kind: "APPLOZIC_99".into()
            }
        );
        assert_eq!(
            ev(r#"{"type":"SOMETHING_NEW","message":{}}"#),
            Event::Unknown {
                kind: "SOMETHING_NEW".into()
            }
        );
        assert_eq!(
            ev(r#"{"type":"APPLOZIC_40","message":"x"}"#),
            Event::Unknown {
                kind: "APPLOZIC_40".into()
            }
        );
    }

    #[test]
    fn test_malformed_envelopes_are_errors_not_panics() {
        for bad in [
            &b"not json"[..],
            b"",
            b"[]",
            b"{}",
            br#"{"type":"APPLOZIC_04","message":""}"#,
            br#"{"type":"APPLOZIC_04","message":{"a":1}}"#,
            br#"{"type":"APPLOZIC_25","message":"u,9"}"#,
            br#"{"type":"APPLOZIC_39","message":"x:y"}"#,
            br#"{"type":"APPLOZIC_01","message":[1,2]}"#,
            b"\xff\xfe",
        ] {
            assert!(
                decode_envelope(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn test_wrongly_typed_fields_decode_leniently() {
        let Event::MessageReceived(m) =
            ev(r#"{"type":"APPLOZIC_01","message":{"groupId":{"nested":true},"key":"k"}}"#)
        else {
            panic!()
        };
        assert_eq!(m.group_id, None);
        assert_eq!(m.key.as_deref(), Some("k"));
    }

    #[test]
    fn test_typing_payload_round_trips_and_rejects_foreign_apps() {
        let topic = topics::typing("app1", "12711281");
        let payload = topics::typing_payload("app1", "agent@acme.com", true);
        assert_eq!(topic, "typing-app1-12711281");
        assert_eq!(payload, "app1,agent@acme.com,1");
        assert_eq!(
            decode_typing("app1", &topic, payload.as_bytes()),
            Some(Typing {
                target: "12711281".into(),
                user_id: "agent@acme.com".into(),
                typing: true
            })
        );
        assert_eq!(decode_typing("app2", &topic, payload.as_bytes()), None);
        assert_eq!(decode_typing("app1", &topic, b"app1,u,7"), None);
        assert_eq!(decode_typing("app1", &topic, b"app1,,1"), None);
    }

    #[test]
    fn test_user_ids_with_wildcards_are_encoded_in_topics() {
        let t = topics::typing("a", "odd+user#1");
        assert!(!t.contains('+') && !t.contains('#'), "{t}");
        assert_eq!(
            topics::decode_user_id(&topics::encode_user_id("odd+user#1")),
            "odd+user#1"
        );
        assert_eq!(topics::decode_user_id("bad%zz%"), "bad%zz%");
        assert_eq!(topics::decode_user_id("é%é%4"), "é%é%4");
    }

    #[test]
    fn test_json_arrays_are_not_envelopes() {
        // Found by the `envelope` fuzz target: serde read `[id, type, message]` as an envelope.
        for payload in [
            "[]",
            r#"["n1","APPLOZIC_05","k1"]"#,
            " 1",
            "\"APPLOZIC_15\"",
        ] {
            assert!(
                matches!(
                    decode_envelope(payload.as_bytes()),
                    Err(DecodeError::NotJson(_))
                ),
                "{payload}"
            );
        }
        assert!(decode_envelope(br#" {"type":"APPLOZIC_15"}"#).is_ok());
    }

    #[test]
    fn test_user_ids_with_percent_or_spaces_survive_the_topic_encoding() {
        // Found by the `envelope` fuzz target: an id with `%` was not encoded but was decoded.
        for id in ["odd%2Buser%231", "50%", "a b/c", "a+b c", "x%zz y#"] {
            assert_eq!(topics::decode_user_id(&topics::encode_user_id(id)), id);
            let t = decode_typing(
                "app1",
                &topics::typing("app1", id),
                topics::typing_payload("app1", id, true).as_bytes(),
            )
            .unwrap();
            assert_eq!((t.target.as_str(), t.user_id.as_str()), (id, id));
        }
        // What Java's URLEncoder sends for "a b/c".
        assert_eq!(topics::decode_user_id("a+b%2Fc"), "a b/c");
    }

    #[test]
    fn test_an_empty_or_blank_key_in_object_form_is_refused() {
        for code in ["APPLOZIC_03", "APPLOZIC_05"] {
            for key in ["\"\"", "\"  \"", "\"null\"", "null"] {
                let env = format!(
                    r#"{{"id":"n","type":"{code}","message":{{"key":{key},"groupId":7}}}}"#
                );
                assert!(decode_envelope(env.as_bytes()).is_err(), "{env}");
            }
        }
        let ok = decode_envelope(br#"{"id":"n","type":"APPLOZIC_05","message":{"key":" k1 "}}"#)
            .unwrap();
        assert_eq!(ok.event, Event::MessageDeleted { key: "k1".into() });
    }
}
