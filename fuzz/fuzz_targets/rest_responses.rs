//! The REST answers: the lenient wire types of `parley_core::wire` (sync feed, group feeds,
//! user details, the `{status, response}` envelope, …) and the decoders `parley-client` runs
//! on every answer body (`http::{check_status, decode, unwrap_api}`, `api_util::*`,
//! `api::decode_*`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_client::api::{
    decode_assignee_answer, decode_message_info, decode_page, decode_send_answer,
    decode_upload_answer, decode_user_details, SupportPage,
};
use parley_client::api_util::{envelope_or_bare, expect_done, kommunicate_answer, text_answer};
use parley_client::http::{check_status, snippet, unwrap_api};
use parley_core::model::{Contact, Conversation, Message};
use parley_core::wire::{
    ApiResponse, ChannelFeed, ConversationPage, ErrorItem, FileMeta, GroupSyncBody, GroupUser,
    JwtClaims, RegistrationResponse, SendResponse, SyncMessageFeed, UserDetail, WireMessage,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decode; when it works and the type serialises, serialise and decode again: same value.
fn stable<T>(text: &str) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let v: T = serde_json::from_str(text).ok()?;
    let json = serde_json::to_string(&v).expect("a decoded value serialises");
    let again: T =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-decoding {json} failed: {e}"));
    assert_eq!(again, v, "not stable through {json}");
    Some(v)
}

fn models(messages: &[WireMessage], feeds: &[ChannelFeed], users: &[UserDetail]) {
    for w in messages {
        if let Some(m) = Message::from_wire(w, "agent@example.com") {
            assert!(m.preview().chars().count() <= 141);
        }
    }
    for f in feeds {
        let c = Conversation::from_feed(f);
        assert!(c.unread >= 0);
        for u in &f.users {
            let _ = Contact::from_detail(u);
        }
    }
    for u in users {
        if let Some(c) = Contact::from_detail(u) {
            assert!(!c.user_id.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // reqwest's `text()` decodes bodies lossily, so every byte string is a possible body.
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    // Wire types that serialise: decoding is stable.
    if let Some(w) = stable::<WireMessage>(text) {
        models(std::slice::from_ref(&w), &[], &[]);
    }
    if let Some(f) = stable::<ChannelFeed>(text) {
        models(&[], std::slice::from_ref(&f), &[]);
    }
    if let Some(users) = stable::<Vec<UserDetail>>(text) {
        models(&[], &[], &users);
    }
    let _ = stable::<UserDetail>(text);
    let _ = stable::<FileMeta>(text);
    let _ = stable::<GroupUser>(text);
    let _ = stable::<Vec<ErrorItem>>(text);

    // Response bodies as the calls decode them.
    if let Ok(r) = serde_json::from_str::<ApiResponse<SyncMessageFeed>>(text) {
        let _ = r.is_success();
        if let Some(feed) = &r.response {
            models(&feed.messages, &[], &[]);
        }
    }
    if let Ok(r) = serde_json::from_str::<ApiResponse<Vec<ChannelFeed>>>(text) {
        models(&[], r.response.as_deref().unwrap_or_default(), &[]);
    }
    if let Ok((body, _)) = unwrap_api::<GroupSyncBody>(text) {
        models(&[], &body.group_pxys, &[]);
    }
    if let Ok((feed, _)) = unwrap_api::<SyncMessageFeed>(text) {
        models(&feed.messages, &[], &[]);
    }
    if let Ok((page, _)) = unwrap_api::<SupportPage>(text) {
        models(
            &page.page.message,
            &page.page.group_feeds,
            &page.page.user_details,
        );
    }
    if let Ok(page) = decode_page(text) {
        models(&page.message, &page.group_feeds, &page.user_details);
    }
    if let Ok(page) = envelope_or_bare::<ConversationPage>(text) {
        models(&page.message, &page.group_feeds, &page.user_details);
    }
    if let Ok(r) = decode_send_answer(text) {
        assert!(r.message_key.as_deref().is_some_and(|k| !k.is_empty()));
    }
    let _ = envelope_or_bare::<SendResponse>(text);
    let _ = decode_message_info(text);
    let _ = decode_assignee_answer(text);
    if let Ok(users) = decode_user_details(text) {
        models(&[], &[], &users);
    }
    if let Ok(meta) = decode_upload_answer(text) {
        assert!(meta.blob_key.is_some() || meta.url.is_some());
    }
    let _ = expect_done(text);
    if let Ok(s) = text_answer(text) {
        assert!(!s.is_empty());
    }
    let _ = kommunicate_answer::<Value>(text);
    if let Ok(r) = envelope_or_bare::<RegistrationResponse>(text) {
        // Secrets never reach debug output: with the shown fields cleared, the output does not
        // depend on the secrets' values.
        let cleared = RegistrationResponse {
            message: None,
            user_id: None,
            user_key: None,
            broker_url: None,
            ..r.clone()
        };
        let placeholder = RegistrationResponse {
            device_key: r.device_key.as_ref().map(|_| "x".into()),
            auth_token: r.auth_token.as_ref().map(|_| "x".into()),
            ..RegistrationResponse::default()
        };
        assert_eq!(format!("{cleared:?}"), format!("{placeholder:?}"));
    }

    // Error mapping, for any HTTP status the first two bytes name.
    let status = data
        .get(..2)
        .map_or(200, |b| 100 + u16::from_le_bytes([b[0], b[1]]) % 500);
    if let Ok(status) = reqwest::StatusCode::from_u16(status) {
        let r = check_status(status, text);
        if !status.is_success() {
            assert!(r.is_err(), "{status} accepted");
        }
        if let Err(e) = r {
            let _ = e.to_string();
        }
    }
    // Errors quote bodies in snippets: bounded.
    assert!(snippet(text).chars().count() <= 201);

    // The JWT, whose claims decide when to refresh.
    if let Some(c) = JwtClaims::parse(text.trim()) {
        assert!(c.created_at_ms > 0 && c.valid_upto_min > 0);
        assert!(c.expires_at_ms() >= c.created_at_ms);
    }
});
