//! A platform message (wire JSON: text, HTML, rich-message metadata with its JSON payload,
//! attachments) into the model Parley stores and shows: `Message::from_wire`, `preview`,
//! `strip_tags`, `is_rich`, `Attachment::from_meta`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_core::model::{strip_tags, Direction, Message};
use parley_core::wire::WireMessage;

const ME: &str = "agent@example.com";

fuzz_target!(|data: &[u8]| {
    // Any text as HTML: tags go, and what is left is never longer than the input (entities
    // only shrink) plus the space each tag becomes.
    let text = String::from_utf8_lossy(data);
    let plain = strip_tags(&text);
    assert!(plain.chars().count() <= text.chars().count());

    let Ok(w) = serde_json::from_slice::<WireMessage>(data) else {
        return;
    };
    let Some(m) = Message::from_wire(&w, ME) else {
        // Nothing to store: no key or no conversation.
        assert!(
            w.key.as_deref().is_none_or(str::is_empty)
                || (w.group_id.is_none()
                    && w.contact_ids.as_deref().is_none_or(str::is_empty)
                    && w.to.as_deref().is_none_or(str::is_empty))
        );
        return;
    };
    assert!(!m.key.is_empty());
    assert!(m.conversation_id.starts_with("g:") || m.conversation_id.starts_with("u:"));
    if m.direction == Direction::Outgoing {
        assert_eq!(m.sender_id, ME);
    }
    // The metadata map (rich payloads included) is kept as it came.
    assert_eq!(m.metadata, w.metadata);
    assert_eq!(
        m.is_rich(),
        w.metadata.get("contentType").map(String::as_str) == Some("300")
    );
    if let Some(a) = &m.attachment {
        assert!(a.size >= 0);
        assert!(!a.content_type.is_empty());
    }

    let preview = m.preview();
    // One line, bounded: 140 characters and the ellipsis, whatever the text or file name.
    assert!(
        preview.chars().count() <= 141,
        "{} chars",
        preview.chars().count()
    );
    assert!(!preview.contains(['\n', '\r', '\t']), "{preview:?}");
    if m.content_type == 3 {
        // HTML never shows its markup in the inbox row.
        assert!(
            !preview_has_tag(&preview) || m.text.contains("&lt;"),
            "{:?} → {preview:?}",
            m.text
        );
    }

    // What the store keeps round-trips through its JSON form.
    let json = serde_json::to_string(&m).expect("message serialises");
    let back: Message = serde_json::from_str(&json).expect("message deserialises");
    assert_eq!(back, m);
});

/// `<` followed by a letter, `/` or `!`: the start of an HTML tag.
fn preview_has_tag(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}
