//! Contract tests of the WapiKit client (`api_wapikit`) against the sandbox's emulation of
//! WapiKit's `/api`: every endpoint's shapes through the typed client, authentication (missing,
//! wrong, expired keys, the docs' `x-access-key`, a key of another organisation), bad input,
//! unknown ids, the per-route rate limit (the client waits, boundedly), transient failures,
//! and the SSE event stream (API sends, admin inbound, assignment, close, read; per
//! organisation; the end of the stream when the sandbox stops).

mod common;

use std::time::{Duration, Instant};

use common::*;
use parley_client::api_wapikit::{
    ConversationQuery, EventStream, MessageQuery, RetryPolicy, WapiKitClient, NOT_FOUND,
};
use parley_client::ClientError;
use parley_core::wapikit::{
    ConversationStatus, MessageContent, MessageDirection, MessageStatus, MessageType, NewMessage,
    Order, WkEvent,
};
use parley_core::Secret;
use parley_sandbox::seed::wapikit::{MEMBERS, ORG_ID, OTHER_EMAIL};
use parley_sandbox::wapikit::auth::KeyClaims;
use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use serde_json::{json, Value};

/// Seeded conversation n (1-based, see `seed/wapikit.rs`).
fn conv(n: usize) -> String {
    format!("5eed2000-0000-4000-8000-{n:012x}")
}
fn contact_id(n: usize) -> String {
    format!("5eed1000-0000-4000-8000-{n:012x}")
}
const UNKNOWN: &str = "0b0b0b0b-1111-4222-8333-444444444444";

async fn demo() -> Sandbox {
    sandbox(SeedConfig::Demo).await
}

async fn demo_limited(limit: u32, window: Duration) -> Sandbox {
    init_logs();
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = SeedConfig::Demo;
    cfg.wapikit_rate_limit = limit;
    cfg.wapikit_rate_window = window;
    Sandbox::start(cfg).await.expect("sandbox starts")
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_wait: Duration::from_secs(10),
        backoff: Duration::from_millis(20),
    }
}

fn client_with_key(sb: &Sandbox, key: &str) -> WapiKitClient {
    WapiKitClient::new(reqwest::Client::new(), sb.wapikit_url(), Secret::new(key))
        .expect("client")
        .with_retry_policy(fast_policy())
}

fn client(sb: &Sandbox) -> WapiKitClient {
    client_with_key(sb, sb.wapikit_key())
}

/// One raw request: (status, headers, JSON body or the text as a string).
async fn raw(
    sb: &Sandbox,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", sb.http_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        h,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn me_member() -> &'static str {
    MEMBERS[0].1
}
fn me_user() -> &'static str {
    MEMBERS[0].0
}
fn bob_member() -> &'static str {
    MEMBERS[1].1
}

fn is_not_found(e: &ClientError) -> bool {
    matches!(e, ClientError::Platform { code, .. } if code == NOT_FOUND)
}

/// The next event matching `pred` within 5 s (others are skipped).
async fn expect_event(s: &mut EventStream, what: &str, pred: impl Fn(&WkEvent) -> bool) -> WkEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let next = tokio::time::timeout_at(deadline, s.next())
            .await
            .unwrap_or_else(|_| panic!("no {what} event within 5 s"));
        match next {
            Some(Ok(ev)) if pred(&ev) => return ev,
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("event stream error while waiting for {what}: {e}"),
            None => panic!("event stream ended while waiting for {what}"),
        }
    }
}

/// No event matching `pred` within `ms`.
async fn expect_no_event(s: &mut EventStream, ms: u64, pred: impl Fn(&WkEvent) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(next) = tokio::time::timeout_at(deadline, s.next()).await {
        match next {
            Some(Ok(ev)) => assert!(!pred(&ev), "unexpected event {ev:?}"),
            other => panic!("stream ended or failed: {other:?}"),
        }
    }
}

async fn admin_inbound(sb: &Sandbox, body: Value) -> Value {
    let (status, _, v) = raw(
        sb,
        reqwest::Method::POST,
        "/admin/wapikit/inbound",
        &[("Api-Key", sb.api_key())],
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

// ---- me, members, tags, contacts ----------------------------------------------------------------

#[tokio::test]
async fn test_me_names_the_keys_user_and_member() {
    let sb = demo().await;
    let me = client(&sb).me().await.unwrap();
    assert_eq!(me.user_id(), me_user());
    assert_eq!(me.member_id(), me_member());
    assert_eq!(me.user.email, "alice@parley.test");
    assert!(me.user.is_owner);
    assert_eq!(
        me.user.organization.as_ref().unwrap()["uniqueId"],
        json!(ORG_ID)
    );
}

#[tokio::test]
async fn test_members_tags_and_contact_round_trip() {
    let sb = demo().await;
    let c = client(&sb);
    let members = c.members().await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[1].name, "Bob Okoye");
    assert_eq!(members[1].roles[0].name, "Support agent");
    assert!(members[1].roles[0]
        .permissions
        .contains(&"Get:Conversation".to_owned()));
    let tags = c.tags().await.unwrap();
    let labels: Vec<_> = tags.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Billing", "Campaign lead", "Returns", "Shipping", "VIP"]
    );
    let ana = c.contact(&contact_id(1)).await.unwrap();
    assert_eq!(ana.name, "Ana Souza");
    assert_eq!(ana.phone, "5511987654321");
    assert_eq!(ana.attributes["plan"], json!("Premium"));
    assert!(is_not_found(&c.contact(UNKNOWN).await.unwrap_err()));
    let page = c.contacts(1, 5).await.unwrap();
    assert_eq!((page.items.len(), page.total), (5, Some(12)));
    assert!(page.has_more());
}

// ---- conversations --------------------------------------------------------------------------

#[tokio::test]
async fn test_conversation_list_defaults_to_open_and_filters_by_status_and_contact() {
    let sb = demo().await;
    let c = client(&sb);
    let open = c
        .conversations(&ConversationQuery::default())
        .await
        .unwrap();
    assert_eq!(open.total, Some(8));
    assert!(open
        .items
        .iter()
        .all(|c| c.status == ConversationStatus::Active));
    // Most recent activity first: Mateo's sticker 5 minutes ago.
    assert_eq!(open.items[0].unique_id, conv(10));
    let closed = c
        .conversations(&ConversationQuery {
            status: Some(ConversationStatus::Closed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(closed.items.len(), 2);
    let by_contact = c
        .conversations(&ConversationQuery {
            contact_id: Some(contact_id(1)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_contact.items.len(), 1);
    let ana = &by_contact.items[0];
    assert_eq!(ana.contact.name, "Ana Souza");
    assert_eq!(ana.assigned_to.as_ref().unwrap().unique_id, me_member());
    assert_eq!(ana.number_of_unread_messages, 2);
    assert_eq!(ana.total_messages, 4);
    assert_eq!(ana.messages.len(), 1, "the latest message comes along");
    let labels: Vec<_> = ana.tags.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["Shipping", "VIP"]);
    // The campaign conversation.
    let amara = c.conversation(&conv(9)).await.unwrap();
    assert_eq!(
        amara.initiated_by,
        parley_core::wapikit::InitiatedBy::Campaign
    );
    assert!(amara.campaign_id.is_some());
    assert_eq!(amara.assigned_to, None);
}

#[tokio::test]
async fn test_conversation_pages_follow_per_page_and_order() {
    let sb = demo().await;
    let c = client(&sb);
    let q = |page, order| ConversationQuery {
        page: Some(page),
        per_page: Some(3),
        order,
        ..Default::default()
    };
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = c.conversations(&q(page, None)).await.unwrap();
        assert_eq!((p.page, p.per_page, p.total), (page, 3, Some(8)));
        assert_eq!(p.has_more(), page < 3);
        seen.extend(p.items.into_iter().map(|c| c.unique_id));
    }
    assert_eq!(seen.len(), 8);
    let oldest = c.conversations(&q(1, Some(Order::Asc))).await.unwrap();
    assert_eq!(oldest.items[0].unique_id, *seen.last().unwrap());
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "no conversation twice");
    // The server's own checks.
    let key = sb.wapikit_key().to_owned();
    let h = [("x-access-token", key.as_str())];
    for bad in [
        "/api/conversations?page=0&per_page=5",
        "/api/conversations?page=1&per_page=51",
        "/api/conversations?per_page=5",
        "/api/conversations?page=1&per_page=5&status=Snoozed",
        "/api/conversations?page=1&per_page=5&order=sideways",
        "/api/conversations?page=1&per_page=5&contact_id=nope",
    ] {
        let (status, _, body) = raw(&sb, reqwest::Method::GET, bad, &h, None).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            body.is_string(),
            "WapiKit's errors are JSON strings: {body}"
        );
    }
}

#[tokio::test]
async fn test_update_status_closes_and_reopens_and_refuses_unknown_values() {
    let sb = demo().await;
    let c = client(&sb);
    let closed = c
        .update_status(&conv(1), ConversationStatus::Closed)
        .await
        .unwrap();
    assert_eq!(closed.status, ConversationStatus::Closed);
    let open = c
        .conversations(&ConversationQuery::default())
        .await
        .unwrap();
    assert!(open.items.iter().all(|x| x.unique_id != conv(1)));
    let again = c
        .update_status(&conv(1), ConversationStatus::Active)
        .await
        .unwrap();
    assert_eq!(again.status, ConversationStatus::Active);
    // Unknown values: the client refuses to send them, the server answers 400.
    let e = c
        .update_status(&conv(1), ConversationStatus::Unknown("Snoozed".into()))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Invalid(_)), "{e:?}");
    let key = sb.wapikit_key().to_owned();
    let path = format!("/api/conversation/{}", conv(1));
    let (status, _, body) = raw(
        &sb,
        reqwest::Method::POST,
        &path,
        &[("x-access-token", &key)],
        Some(json!({"status": "Snoozed"})),
    )
    .await;
    assert_eq!(
        (status, body.as_str().unwrap()),
        (400, "invalid status \"Snoozed\"")
    );
    let (status, _, _) = raw(
        &sb,
        reqwest::Method::POST,
        &path,
        &[("x-access-token", &key)],
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(is_not_found(
        &c.update_status(UNKNOWN, ConversationStatus::Closed)
            .await
            .unwrap_err()
    ));
}

#[tokio::test]
async fn test_delete_conversation_removes_it_and_its_messages() {
    let sb = demo().await;
    let c = client(&sb);
    c.delete_conversation(&conv(8)).await.unwrap();
    assert!(is_not_found(&c.conversation(&conv(8)).await.unwrap_err()));
    let left = c
        .all_messages(&MessageQuery {
            conversation_id: Some(conv(8)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(left.items.is_empty());
    assert!(is_not_found(
        &c.delete_conversation(&conv(8)).await.unwrap_err()
    ));
    // A malformed id never reaches the server.
    let e = c.delete_conversation("../organization").await.unwrap_err();
    assert!(matches!(e, ClientError::Invalid(_)), "{e:?}");
}

#[tokio::test]
async fn test_assign_and_unassign_change_assigned_to() {
    let sb = demo().await;
    let c = client(&sb);
    c.assign(&conv(3), bob_member()).await.unwrap();
    let priya = c.conversation(&conv(3)).await.unwrap();
    assert_eq!(priya.assigned_to.unwrap().name, "Bob Okoye");
    c.unassign(&conv(3), MEMBERS[1].0).await.unwrap();
    assert_eq!(c.conversation(&conv(3)).await.unwrap().assigned_to, None);
    // Unknown member, unknown conversation, the other organisation's member.
    assert!(is_not_found(
        &c.assign(&conv(3), UNKNOWN).await.unwrap_err()
    ));
    assert!(is_not_found(
        &c.assign(UNKNOWN, bob_member()).await.unwrap_err()
    ));
    let outsider = "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e79";
    assert!(is_not_found(
        &c.assign(&conv(3), outsider).await.unwrap_err()
    ));
    // Bodies the server refuses.
    let key = sb.wapikit_key().to_owned();
    let path = format!("/api/conversation/{}/assign", conv(3));
    for body in [
        json!({}),
        json!({"organizationMemberId": "bob"}),
        json!({"organizationMemberId": 7}),
    ] {
        let (status, _, _) = raw(
            &sb,
            reqwest::Method::POST,
            &path,
            &[("x-access-token", &key)],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}");
    }
}

// ---- messages ----------------------------------------------------------------------------------

#[tokio::test]
async fn test_conversation_messages_are_newest_first_paged_and_typed() {
    let sb = demo().await;
    let c = client(&sb);
    // WapiKit's default: the newest page, chronological within it.
    let default = c
        .messages(
            &conv(1),
            &MessageQuery {
                per_page: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((default.items.len(), default.total), (3, Some(4)));
    assert!(default.items[2].text().unwrap().contains("customs"));
    let older = c
        .messages(
            &conv(1),
            &MessageQuery {
                page: Some(2),
                per_page: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(older.items.len(), 1);
    assert!(older.items[0].text().unwrap().contains("#4821"));
    let page = c
        .messages(
            &conv(1),
            &MessageQuery {
                per_page: Some(3),
                order: Some(Order::Desc),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (3, Some(4)));
    assert!(page.has_more());
    let newest = &page.items[0];
    assert_eq!(newest.direction, MessageDirection::InBound);
    assert_eq!(newest.status, MessageStatus::Sent);
    assert!(newest.text().unwrap().contains("customs"));
    let image = &page.items[1];
    assert!(matches!(
        image.content(),
        MessageContent::Media {
            kind: MessageType::Image,
            caption: Some(_),
            ..
        }
    ));
    assert!(image
        .whats_app_message_id
        .as_deref()
        .unwrap()
        .starts_with("wamid."));
    let asc = c
        .messages(
            &conv(2),
            &MessageQuery {
                order: Some(Order::Asc),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        asc.items[2].content(),
        MessageContent::Location { .. }
    ));
    assert_eq!(asc.items[0].direction, MessageDirection::InBound);
    assert!(is_not_found(
        &c.messages(UNKNOWN, &MessageQuery::default())
            .await
            .unwrap_err()
    ));
}

#[tokio::test]
async fn test_all_messages_filter_by_conversation_direction_and_status() {
    let sb = demo().await;
    let c = client(&sb);
    let all = c.all_messages(&MessageQuery::default()).await.unwrap();
    assert_eq!(all.total, Some(26), "the demo organisation's messages only");
    let unread = c
        .all_messages(&MessageQuery {
            direction: Some(MessageDirection::InBound),
            status: Some(MessageStatus::Sent),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(unread.total, Some(6));
    assert!(unread
        .items
        .iter()
        .all(|m| m.direction == MessageDirection::InBound && m.status == MessageStatus::Sent));
    let one = c
        .all_messages(&MessageQuery {
            conversation_id: Some(conv(5)),
            direction: Some(MessageDirection::InBound),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(one.items.len(), 2);
    assert!(one
        .items
        .iter()
        .any(|m| matches!(m.content(), MessageContent::Reaction { .. })));
}

#[tokio::test]
async fn test_send_message_round_trips_text_and_media_and_refuses_bad_input() {
    let sb = demo().await;
    let c = client(&sb);
    let sent = c
        .send_message(
            &conv(1),
            &NewMessage::text("We'll call customs today, Ana."),
        )
        .await
        .unwrap();
    assert_eq!(sent.direction, MessageDirection::OutBound);
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.conversation_id, conv(1));
    assert_eq!(
        sent.text().as_deref(),
        Some("We'll call customs today, Ana.")
    );
    let newest = c
        .messages(&conv(1), &MessageQuery::default())
        .await
        .unwrap();
    assert_eq!(
        newest.items.last(),
        Some(&sent),
        "the list answers the stored message"
    );
    let img = c
        .send_message(
            &conv(1),
            &NewMessage::image("https://example.invalid/label.png", Some("Label".into())),
        )
        .await
        .unwrap();
    assert_eq!(img.message_type, MessageType::Image);
    let doc = c
        .send_message(
            &conv(1),
            &NewMessage::document("https://example.invalid/r.pdf", "r.pdf"),
        )
        .await
        .unwrap();
    assert!(
        matches!(doc.content(), MessageContent::Media { file_name: Some(f), .. } if f == "r.pdf")
    );
    let react = c
        .send_message(&conv(1), &NewMessage::reaction("👍", &sent.unique_id))
        .await
        .unwrap();
    assert!(matches!(react.content(), MessageContent::Reaction { emoji, .. } if emoji == "👍"));

    // Empty text, a bad type, missing data, an unknown conversation.
    let e = c
        .send_message(&conv(1), &NewMessage::text("  "))
        .await
        .unwrap_err();
    assert_eq!(e, ClientError::Invalid("text is required".into()));
    let mut bad = NewMessage::text("x");
    bad.message_type = MessageType::Unknown("Gif".into());
    assert!(matches!(
        c.send_message(&conv(1), &bad).await.unwrap_err(),
        ClientError::Invalid(_)
    ));
    let key = sb.wapikit_key().to_owned();
    let path = format!("/api/conversation/{}/messages", conv(1));
    for body in [
        json!({"messageType": "Gif", "messageData": {"text": "x"}}),
        json!({"messageType": "Text"}),
        json!({"messageType": "Document", "messageData": {"link": "https://x/y.pdf"}}),
        json!({"messageType": "Text", "messageData": {"messageType": "Image", "text": "x"}}),
    ] {
        let (status, _, v) = raw(
            &sb,
            reqwest::Method::POST,
            &path,
            &[("x-access-token", &key)],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body} → {v}");
    }
    let (status, _, _) = raw(
        &sb,
        reqwest::Method::POST,
        &path,
        &[
            ("x-access-token", &key),
            ("content-type", "application/json"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(is_not_found(
        &c.send_message(UNKNOWN, &NewMessage::text("hi"))
            .await
            .unwrap_err()
    ));
}

#[tokio::test]
async fn test_mark_read_clears_the_unread_count() {
    let sb = demo().await;
    let c = client(&sb);
    assert_eq!(
        c.conversation(&conv(1))
            .await
            .unwrap()
            .number_of_unread_messages,
        2
    );
    c.mark_read(&conv(1)).await.unwrap();
    let ana = c.conversation(&conv(1)).await.unwrap();
    assert_eq!(ana.number_of_unread_messages, 0);
    let msgs = c
        .messages(&conv(1), &MessageQuery::default())
        .await
        .unwrap();
    assert!(msgs
        .items
        .iter()
        .filter(|m| m.direction == MessageDirection::InBound)
        .all(|m| m.status == MessageStatus::Read));
    assert!(is_not_found(&c.mark_read(UNKNOWN).await.unwrap_err()));
}

// ---- authentication ----------------------------------------------------------------------------

#[tokio::test]
async fn test_missing_wrong_expired_and_x_access_key_are_refused() {
    let sb = demo().await;
    let key = sb.wapikit_key().to_owned();
    let get = reqwest::Method::GET;
    let (status, _, body) = raw(&sb, get.clone(), "/api/user", &[], None).await;
    assert_eq!((status, body), (401, json!("Unauthorized access")));
    // The docs' header name is not what WapiKit reads.
    let (status, _, _) = raw(
        &sb,
        get.clone(),
        "/api/user",
        &[("x-access-key", &key)],
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = raw(
        &sb,
        get.clone(),
        "/api/user",
        &[("Authorization", &format!("Bearer {key}"))],
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = raw(&sb, get, "/api/user", &[("x-access-token", &key)], None).await;
    assert_eq!(status, 200);

    let claims = |email: &str, exp: i64| KeyClaims {
        unique_id: MEMBERS[0].0.into(),
        username: "alice".into(),
        email: email.into(),
        role: "Owner".into(),
        organization_id: ORG_ID.into(),
        name: "Alice Martin".into(),
        exp,
        iss: "wapikit".into(),
    };
    let expired = sb
        .wapikit_key_with(&claims("alice@parley.test", 1_000))
        .unwrap();
    let stranger = sb
        .wapikit_key_with(&claims("mallory@parley.test", i64::MAX / 2))
        .unwrap();
    // A valid key with one signature byte changed.
    let mut tampered: Vec<char> = key.chars().collect();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    for bad in [
        expired.as_str(),
        stranger.as_str(),
        tampered.as_str(),
        "not-a-jwt",
    ] {
        let e = client_with_key(&sb, bad)
            .conversations(&ConversationQuery::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ClientError::ApiKeyRejected { service, .. } if service == "WapiKit"),
            "{e:?}"
        );
        assert_eq!(e.to_app_error().code, parley_core::ErrorCode::Unauthorized);
        assert!(e
            .to_app_error()
            .message
            .contains("WapiKit refused this API key"));
        let e = client_with_key(&sb, bad).events().await.unwrap_err();
        assert!(matches!(e, ClientError::ApiKeyRejected { .. }), "{e:?}");
    }
    // A missing key never leaves the client.
    assert!(WapiKitClient::new(reqwest::Client::new(), sb.wapikit_url(), Secret::new("")).is_err());
}

#[tokio::test]
async fn test_a_key_of_another_organisation_sees_only_its_own() {
    let sb = demo().await;
    let other = sb.wapikit_key_for(OTHER_EMAIL).await.unwrap().unwrap();
    let c = client_with_key(&sb, &other);
    let theirs = c
        .conversations(&ConversationQuery::default())
        .await
        .unwrap();
    assert_eq!(theirs.items.len(), 1);
    assert_eq!(theirs.items[0].contact.name, "Hiro Sato");
    assert!(is_not_found(&c.conversation(&conv(1)).await.unwrap_err()));
    assert!(is_not_found(&c.contact(&contact_id(1)).await.unwrap_err()));
    assert!(is_not_found(
        &c.send_message(&conv(1), &NewMessage::text("hi"))
            .await
            .unwrap_err()
    ));
    assert_eq!(c.members().await.unwrap().len(), 1);
    assert_eq!(c.me().await.unwrap().user.email, OTHER_EMAIL);
}

// ---- rate limits and transient failures --------------------------------------------------------

#[tokio::test]
async fn test_rate_limit_answers_429_with_retry_after_and_the_client_waits() {
    let sb = demo_limited(2, Duration::from_secs(2)).await;
    let key = sb.wapikit_key().to_owned();
    let h = [("x-access-token", key.as_str())];
    let path = format!("/api/conversation/{}", conv(1));
    for _ in 0..2 {
        assert_eq!(raw(&sb, reqwest::Method::GET, &path, &h, None).await.0, 200);
    }
    let (status, headers, body) = raw(&sb, reqwest::Method::GET, &path, &h, None).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"], json!("Rate limit exceeded"));
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(headers["x-ratelimit-limit"], "2");
    // Another route has its own window.
    assert_eq!(
        raw(&sb, reqwest::Method::GET, "/api/user", &h, None)
            .await
            .0,
        200
    );

    // The client waits the window out and succeeds; every caller of the client waits.
    let c = client(&sb);
    let started = Instant::now();
    for _ in 0..3 {
        c.conversation(&conv(2)).await.unwrap();
    }
    let stats = c.stats();
    assert!(stats.rate_limited >= 1, "{stats:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(
        stats.requests <= 3 + stats.rate_limited,
        "no request storm: {stats:?}"
    );
}

#[tokio::test]
async fn test_rate_limit_gives_up_after_bounded_attempts() {
    let sb = demo_limited(1, Duration::from_secs(30)).await;
    let c = client(&sb).with_retry_policy(RetryPolicy {
        max_attempts: 3,
        max_wait: Duration::from_secs(60),
        backoff: Duration::from_millis(10),
    });
    c.conversation(&conv(1)).await.unwrap();
    // Retry-After (30 s) is over max_wait: fail at once instead of hanging.
    let quick = client(&sb).with_retry_policy(RetryPolicy {
        max_attempts: 3,
        max_wait: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
    });
    let started = Instant::now();
    let e = quick.conversation(&conv(1)).await.unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 429, .. }), "{e:?}");
    assert!(e.is_transient());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(quick.stats().requests, 1);
}

#[tokio::test]
async fn test_network_errors_and_5xx_are_transient_and_retried() {
    let sb = demo().await;
    let proxy = Proxy::start(sb.http_addr()).await;
    let url = format!("http://{}/api", proxy.addr);
    let c = WapiKitClient::new(reqwest::Client::new(), &url, Secret::new(sb.wapikit_key()))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 3,
            max_wait: Duration::from_secs(5),
            backoff: Duration::from_millis(10),
        });
    proxy.set_mode(Mode::Http503);
    let e = c.conversation(&conv(1)).await.unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 503, .. }), "{e:?}");
    assert!(e.is_transient());
    assert_eq!(
        c.stats().requests,
        3,
        "a read is retried up to the attempt limit"
    );
    // Sending is not repeated after a 5xx (it may have been stored).
    let before = c.stats().requests;
    assert!(c
        .send_message(&conv(1), &NewMessage::text("once"))
        .await
        .is_err());
    assert_eq!(c.stats().requests, before + 1);
    proxy.set_mode(Mode::Reset);
    let e = c.conversation(&conv(1)).await.unwrap_err();
    assert!(matches!(e, ClientError::Network { .. }), "{e:?}");
    assert!(e.is_transient());
    proxy.set_mode(Mode::Pass);
    assert_eq!(c.conversation(&conv(1)).await.unwrap().unique_id, conv(1));
}

// ---- events ------------------------------------------------------------------------------------

#[tokio::test]
async fn test_events_bring_api_sends_and_customer_messages_typed() {
    let sb = demo().await;
    let c = client(&sb);
    let mut events = c.events().await.unwrap();
    expect_event(&mut events, "Connected", |e| *e == WkEvent::Connected).await;

    let sent = c
        .send_message(&conv(2), &NewMessage::text("See you at the pick-up point"))
        .await
        .unwrap();
    let ev = expect_event(&mut events, "NewMessage (sent)", |e| {
        matches!(e, WkEvent::NewMessage { .. })
    })
    .await;
    let WkEvent::NewMessage {
        conversation,
        message,
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(*message, sent);
    assert_eq!(conversation.unique_id, conv(2));
    assert_eq!(conversation.contact.name, "Liam O'Brien");

    // The customer answers in an existing conversation…
    admin_inbound(
        &sb,
        json!({"conversationId": conv(2), "text": "Great, on my way"}),
    )
    .await;
    let ev = expect_event(&mut events, "NewMessage (inbound)", |e| {
        matches!(e, WkEvent::NewMessage { message, .. } if message.direction == MessageDirection::InBound)
    })
    .await;
    let WkEvent::NewMessage {
        message,
        conversation,
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(message.text().as_deref(), Some("Great, on my way"));
    assert_eq!(message.status, MessageStatus::Sent);
    assert_eq!(conversation.number_of_unread_messages, 1);

    // …and a new number starts a conversation.
    let v = admin_inbound(
        &sb,
        json!({"phone": "+49 151 2222 3333", "text": "Hallo!", "name": "Greta Vogel"}),
    )
    .await;
    let new_id = v["conversation"]["uniqueId"].as_str().unwrap().to_owned();
    let ev = expect_event(&mut events, "NewConversation", |e| {
        matches!(e, WkEvent::NewConversation { .. })
    })
    .await;
    let WkEvent::NewConversation { conversation } = ev else {
        unreachable!()
    };
    assert_eq!(conversation.unique_id, new_id);
    assert_eq!(conversation.contact.phone, "4915122223333");
    assert_eq!(conversation.contact.name, "Greta Vogel");
    expect_event(&mut events, "NewMessage (new conversation)", |e| {
        matches!(e, WkEvent::NewMessage { conversation, .. } if conversation.unique_id == new_id)
    })
    .await;
    // The new conversation is in the list, unassigned, with its message.
    let listed = c.conversation(&new_id).await.unwrap();
    assert_eq!(listed.total_messages, 1);
    assert_eq!(listed.assigned_to, None);

    // Assignment to me, then to Bob (I am told it was taken from me), close, read.
    c.assign(&new_id, me_member()).await.unwrap();
    expect_event(&mut events, "ChatAssignment", |e| {
        *e == WkEvent::ChatAssignment {
            conversation_id: new_id.clone(),
        }
    })
    .await;
    c.assign(&new_id, bob_member()).await.unwrap();
    expect_event(&mut events, "ChatUnAssignment", |e| {
        *e == WkEvent::ChatUnAssignment {
            conversation_id: new_id.clone(),
        }
    })
    .await;
    c.mark_read(&new_id).await.unwrap();
    expect_event(&mut events, "MessageRead", |e| {
        matches!(e, WkEvent::MessageRead { .. })
    })
    .await;
    c.update_status(&new_id, ConversationStatus::Closed)
        .await
        .unwrap();
    expect_event(&mut events, "ConversationClosed", |e| {
        *e == WkEvent::ConversationClosed {
            conversation_id: new_id.clone(),
        }
    })
    .await;
}

#[tokio::test]
async fn test_events_are_filtered_per_organisation_and_user() {
    let sb = demo().await;
    let other = sb.wapikit_key_for(OTHER_EMAIL).await.unwrap().unwrap();
    let mut theirs = client_with_key(&sb, &other).events().await.unwrap();
    expect_event(&mut theirs, "Connected", |e| *e == WkEvent::Connected).await;
    let bob_key = sb
        .wapikit_key_for("bob@parley.test")
        .await
        .unwrap()
        .unwrap();
    let mut bobs = client_with_key(&sb, &bob_key).events().await.unwrap();
    expect_event(&mut bobs, "Connected", |e| *e == WkEvent::Connected).await;

    let c = client(&sb);
    c.send_message(&conv(4), &NewMessage::text("Hello Kenji"))
        .await
        .unwrap();
    // Alice assigns conversation 3 to herself: Bob's stream does not hear of it.
    c.assign(&conv(3), me_member()).await.unwrap();
    expect_event(&mut bobs, "NewMessage (same organisation)", |e| {
        matches!(e, WkEvent::NewMessage { .. })
    })
    .await;
    expect_no_event(&mut bobs, 300, |e| {
        matches!(e, WkEvent::ChatAssignment { .. })
    })
    .await;
    expect_no_event(&mut theirs, 300, |_| true).await;
}

#[tokio::test]
async fn test_event_stream_ends_cleanly_when_the_sandbox_stops() {
    let sb = demo().await;
    let mut events = client(&sb).events().await.unwrap();
    expect_event(&mut events, "Connected", |e| *e == WkEvent::Connected).await;
    sb.shutdown().await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.next().await {
                None => return None,
                Some(Err(e)) => return Some(e),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the stream ends within 5 s");
    if let Some(e) = end {
        assert!(e.is_transient(), "a dropped link is transient: {e:?}");
    }
    assert!(events.next().await.is_none(), "and stays ended");
}

#[tokio::test]
async fn test_admin_routes_need_the_application_key_and_good_input() {
    let sb = demo().await;
    let post = reqwest::Method::POST;
    let body = json!({"phone": "+351 912 345 678", "text": "Olá"});
    let (status, _, _) = raw(
        &sb,
        post.clone(),
        "/admin/wapikit/inbound",
        &[],
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = raw(
        &sb,
        post.clone(),
        "/admin/wapikit/inbound",
        &[("Api-Key", "nope")],
        Some(body),
    )
    .await;
    assert_eq!(status, 401);
    let k = sb.api_key().to_owned();
    for bad in [
        json!({"phone": "12", "text": "x"}),
        json!({"phone": "+351912345678"}),
        json!({"phone": "+351912345678", "text": ""}),
        json!({"text": "x"}),
    ] {
        let (status, _, _) = raw(
            &sb,
            post.clone(),
            "/admin/wapikit/inbound",
            &[("Api-Key", &k)],
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 400, "{bad}");
    }
    let (status, _, _) = raw(
        &sb,
        post,
        "/admin/wapikit/inbound",
        &[("Api-Key", &k)],
        Some(json!({"conversationId": UNKNOWN, "text": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    // A closed conversation opens again when the customer writes.
    admin_inbound(
        &sb,
        json!({"conversationId": conv(6), "text": "One more question"}),
    )
    .await;
    let lucas = client(&sb).conversation(&conv(6)).await.unwrap();
    assert_eq!(lucas.status, ConversationStatus::Active);
    let (status, _, v) = raw(
        &sb,
        reqwest::Method::GET,
        &format!("/admin/wapikit/messages?conversationId={}", conv(6)),
        &[("Api-Key", &k)],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let texts: Vec<_> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["messageData"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(texts.last().unwrap(), "One more question");
}
