//! WapiKit's real-time stream: the SSE parser (`api_wapikit::SseParser`) on raw bytes, and
//! `parley_core::wapikit::decode_event` on what it yields and on the input itself (first line:
//! the event type; the rest as the base64 data, and base64-encoded as MessagePack bytes).
//! Never panics; a decoded conversation or message is stable through JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_client::api_wapikit::SseParser;
use parley_core::wapikit::{decode_event, Conversation, Message, WkEvent};

fn stable_conversation(c: &Conversation) {
    let json = serde_json::to_string(c).expect("a conversation serialises");
    let again: Conversation = serde_json::from_str(&json).expect("and decodes again");
    assert_eq!(&again, c, "not stable through {json}");
}

fn stable_message(m: &Message) {
    let json = serde_json::to_string(m).expect("a message serialises");
    let again: Message = serde_json::from_str(&json).expect("and decodes again");
    assert_eq!(&again, m, "not stable through {json}");
    let _ = m.content();
    let _ = m.text();
}

fn check(event: &str, data: &str) {
    match decode_event(event, data) {
        Ok(WkEvent::NewMessage {
            conversation,
            message,
        }) => {
            stable_conversation(&conversation);
            stable_message(&message);
        }
        Ok(WkEvent::NewConversation { conversation }) => stable_conversation(&conversation),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    // As a stream, in two chunks split at the first byte's value.
    let mut parser = SseParser::default();
    let cut = usize::from(data.first().copied().unwrap_or(0)).min(data.len());
    for chunk in [&data[..cut], &data[cut..]] {
        if let Ok(events) = parser.push(chunk) {
            for ev in events {
                check(&ev.event, &ev.data);
            }
        }
    }
    // As one event: the type, then base64 text or MessagePack bytes.
    let (head, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let event = String::from_utf8_lossy(head);
    check(&event, &String::from_utf8_lossy(rest));
    use base64::Engine as _;
    check(&event, &base64::engine::general_purpose::STANDARD.encode(rest));
});
