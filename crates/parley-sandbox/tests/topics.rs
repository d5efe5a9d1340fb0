//! Topic based (context based) chat.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn test_conversation_id_creates_reuses_and_renews_topic_chats() {
    let sb = start().await;
    let a = register(&sb, "buyer", None).await;
    let b = register(&sb, "seller", None).await;
    let body = |status: &str| json!({"topicId": "ac-1", "topicDetail": "{\"title\":\"Air Condition\"}", "userId": "seller", "status": status});
    let (status, v) = post(&sb, &a, "/rest/ws/conversation/v2/id", body("new")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let g = assert_success(&v);
    assert_eq!(g["type"], 7);
    let pxy = &g["conversationPxy"];
    assert_eq!(pxy["topicId"], "ac-1");
    assert_eq!(pxy["userId"], "seller");
    assert_eq!(pxy["senderUserName"], "buyer");
    assert_eq!(pxy["created"], true);
    assert_eq!(pxy["closed"], false);
    let first = pxy["id"].as_i64().unwrap();

    let (_, v) = post(&sb, &a, "/rest/ws/conversation/v2/id", body("DEFAULT")).await;
    assert_eq!(v["response"]["conversationPxy"]["id"], first);
    assert_eq!(v["response"]["conversationPxy"]["created"], false);

    // Messages carry the conversation id.
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "seller", "message": "Is it available?", "conversationId": first}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["response"]["conversationId"], first);
    let (_, v) = get(&sb, &b, "/rest/ws/message/list?userId=buyer").await;
    assert_eq!(v["message"][0]["conversationId"], first);

    let (status, _) = get(
        &sb,
        &b,
        "/rest/ws/conversation/closeall?topicId=ac-1&withUserId=buyer",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = post(&sb, &a, "/rest/ws/conversation/v2/id", body("DEFAULT")).await;
    assert_eq!(v["response"]["conversationPxy"]["closed"], true);
    let (_, v) = post(&sb, &a, "/rest/ws/conversation/v2/id", body("OPEN")).await;
    assert_eq!(v["response"]["conversationPxy"]["id"], first);
    assert_eq!(v["response"]["conversationPxy"]["closed"], false);
    let (_, v) = post(&sb, &a, "/rest/ws/conversation/v2/id", body("NEW")).await;
    assert_ne!(v["response"]["conversationPxy"]["id"], first);
}

#[tokio::test]
async fn test_conversation_id_bad_input_and_unknown_conversation() {
    let sb = start().await;
    let a = register(&sb, "buyer", None).await;
    register(&sb, "seller", None).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/conversation/v2/id",
        json!({"topicId": "t", "userId": "seller", "status": "maybe"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/conversation/v2/id",
        json!({"topicId": "t", "userId": "ghost"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/conversation/v2/id",
        json!({"topicId": "t", "groupId": 987654}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "seller", "message": "x", "conversationId": 4242}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-C-01");
}
