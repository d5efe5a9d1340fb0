//! The MQTT payload decoders: `decode_envelope` (JSON notifications) and `decode_typing`
//! (CSV typing payloads), plus the typing topic/payload encoders they must invert.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_core::model::Message;
use parley_core::realtime::{decode_envelope, decode_typing, topics, DecodeError, Event, Typing};

/// A key or id taken from a CSV payload: never empty, never padded, never the text "null".
fn check_id(what: &str, s: &str) {
    assert!(!s.is_empty(), "{what} is empty");
    assert_eq!(s, s.trim(), "{what} is not trimmed");
    assert_ne!(s, "null", "{what} is the text null");
}

fn check_message(w: &parley_core::wire::WireMessage) {
    // What the real-time task does with an inline message.
    if let Some(m) = Message::from_wire(w, "me@example.com") {
        assert!(!m.key.is_empty());
        assert!(m.preview().chars().count() <= 141);
    }
}

fuzz_target!(|data: &[u8]| {
    let first = decode_envelope(data);
    // Deterministic: the same bytes always decode to the same thing.
    assert_eq!(first, decode_envelope(data));
    match &first {
        Err(e) => {
            let _ = e.to_string();
            if let DecodeError::BadPayload { payload, .. } = e {
                // Errors quote at most 200 bytes of the payload (plus the ellipsis).
                assert!(payload.len() <= 200 + '…'.len_utf8(), "{}", payload.len());
            }
            // Input that is not JSON at all is refused as such. (Not every refused input is
            // `NotJson`: serde_json skips unknown fields without checking their UTF-8 or the
            // range of their numbers, and then the envelope may have no type.)
            if !data.trim_ascii_start().starts_with(b"{") {
                assert!(matches!(e, DecodeError::NotJson(_)), "{e:?}");
            }
        }
        Ok(env) => {
            // Only JSON objects are envelopes.
            assert!(data.trim_ascii_start().starts_with(b"{"));
            match &env.event {
                Event::MessageReceived(w)
                | Event::MessageSent(w)
                | Event::MetadataUpdate(w)
                | Event::GroupUpdate(w) => check_message(w),
                Event::MessageSentUpdate { key } | Event::MessageDeleted { key } => {
                    check_id("key", key)
                }
                Event::Delivered { key, user_id } | Event::DeliveredAndRead { key, user_id } => {
                    check_id("key", key);
                    if let Some(u) = user_id {
                        assert!(!u.is_empty() && u == u.trim());
                    }
                }
                Event::ConversationDeleted { user_id }
                | Event::ConversationRead { user_id }
                | Event::ConversationDeliveredAndRead { user_id }
                | Event::UserConnected { user_id }
                | Event::UserDisconnected { user_id, .. }
                | Event::AvailabilityChanged { user_id, .. }
                | Event::UserDetailChanged { user_id }
                | Event::UserDeleted { user_id }
                | Event::UserMuted { user_id, .. } => check_id("user id", user_id),
                Event::Unknown { kind } => {
                    // Codes Parley acts on never end up here.
                    let acted_on = [
                        1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 15, 16, 17, 21, 23, 25, 27, 28, 29, 30,
                        33, 34, 37, 39, 42,
                    ];
                    if let Some(n) = kind.strip_prefix("APPLOZIC_").and_then(|n| n.parse().ok()) {
                        assert!(!acted_on.contains(&n), "{kind} decoded as unknown");
                    }
                }
                _ => {}
            }
        }
    }

    // Typing: "<app key>\n<topic>\n<payload>".
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let (Some(app), Some(topic), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let app = String::from_utf8_lossy(app);
    let topic = String::from_utf8_lossy(topic);
    if let Some(t) = decode_typing(&app, &topic, payload) {
        assert!(!t.user_id.is_empty());
        assert!(topic.starts_with(&format!("typing-{app}-")));
    }

    // Round trip: what Parley publishes, Parley (and the SDKs) read back. The topic's target
    // is the second line, the user id the third; app keys are alphanumeric and user ids have
    // no commas or padding (the CSV cannot carry those).
    let target = topic.as_ref();
    let user = String::from_utf8_lossy(payload);
    let user = user.as_ref();
    if !app.is_empty()
        && app.chars().all(|c| c.is_ascii_alphanumeric())
        && !user.is_empty()
        && user == user.trim()
        && !user.contains(',')
    {
        for typing in [true, false] {
            let t = topics::typing(&app, target);
            let p = topics::typing_payload(&app, user, typing);
            assert_eq!(
                decode_typing(&app, &t, p.as_bytes()),
                Some(Typing {
                    target: target.to_owned(),
                    user_id: user.to_owned(),
                    typing,
                }),
                "topic {t:?} payload {p:?}"
            );
        }
    }
    // User ids survive the topic encoding whatever they contain.
    assert_eq!(
        topics::decode_user_id(&topics::encode_user_id(target)),
        target
    );
});
