//! Application bot APIs (dispatch, export) and friend / favourite contact lists.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn as_bot(
    sb: &parley_sandbox::Sandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http()
        .request(method, format!("{}{}", sb.http_url(), path))
        .header("Application-Key", APP)
        .header("Authorization", bot_auth(sb));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn test_dispatch_sends_on_behalf_of_sender_name() {
    let sb = start().await;
    register(&sb, "john", None).await;
    let steve = register(&sb, "steve", None).await;
    let (status, v) = as_bot(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/message/dispatch",
        Some(json!({"message": "HI STEVE", "senderName": "john", "to": "steve"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(assert_success(&v)["messageKey"].is_string());
    let (_, v) = get(&sb, &steve, "/rest/ws/message/list?userId=john").await;
    assert_eq!(v["message"][0]["message"], "HI STEVE");
    assert_eq!(v["message"][0]["source"], 4);
    // Users cannot dispatch.
    let (status, _) = post(
        &sb,
        &steve,
        "/rest/ws/message/dispatch",
        json!({"message": "x", "senderName": "john", "to": "steve"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = as_bot(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/message/dispatch",
        Some(json!({"message": "x", "senderName": "ghost", "to": "steve"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
}

#[tokio::test]
async fn test_message_export_lists_history_with_receipts() {
    let sb = start().await;
    let john = register(&sb, "john", None).await;
    let steve = register(&sb, "steve", None).await;
    post(
        &sb,
        &john,
        "/rest/ws/message/send",
        json!({"to": "steve", "message": "Hello"}),
    )
    .await;
    get(
        &sb,
        &steve,
        "/rest/ws/message/read/conversation?userId=john",
    )
    .await;
    let (status, v) = as_bot(
        &sb,
        reqwest::Method::GET,
        &format!("/rest/ws/analytics/message?applicationId={APP}&pageSize=50&from=john"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let row = &assert_success(&v)[0];
    assert_eq!(row["fromUserId"], "john");
    assert_eq!(row["toUserId"], "steve");
    assert_eq!(row["content"], "Hello");
    assert!(row["readAtTime"].is_i64());
    assert!(row["deliveredAtTime"].is_i64());
    let (status, _) = as_bot(
        &sb,
        reqwest::Method::GET,
        "/rest/ws/analytics/message?applicationId=other",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(
        &sb,
        &john,
        &format!("/rest/ws/analytics/message?applicationId={APP}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn test_friend_list_add_get_remove_delete() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    for u in ["UserName1", "UserName2"] {
        register(&sb, u, None).await;
    }
    let (status, v) = post(
        &sb,
        &me,
        "/rest/ws/group/favourite/add",
        json!(["UserName1", "UserName1"]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    post(
        &sb,
        &me,
        "/rest/ws/group/favourite/add",
        json!(["UserName2"]),
    )
    .await;
    let (_, v) = get(&sb, &me, "/rest/ws/group/favourite/get").await;
    let g = assert_success(&v);
    assert_eq!(g["type"], 8);
    assert_eq!(g["name"], "favourite");
    assert_eq!(g["userCount"], 3);
    let (status, _) = get(&sb, &me, "/rest/ws/group/favourite/remove?userId=UserName1").await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &me, "/rest/ws/group/favourite/get").await;
    assert_eq!(v["response"]["userCount"], 2);
    let (status, _) = get(&sb, &me, "/rest/ws/group/favourite/delete").await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = get(&sb, &me, "/rest/ws/group/favourite/get").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    let (status, v) = post(
        &sb,
        &me,
        "/rest/ws/group/favourite/add",
        json!({"not": "a list"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_open_contact_list_is_shared_by_members() {
    let sb = start().await;
    let owner = register(&sb, "owner", None).await;
    let member = register(&sb, "user1", None).await;
    let outsider = register(&sb, "outsider", None).await;
    let (status, v) = post(
        &sb,
        &owner,
        "/rest/ws/group/MyList/add/members",
        json!({"type": "9", "groupMemberList": ["user1"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, v) = get(&sb, &member, "/rest/ws/group/MyList/get?groupType=9").await;
    assert_eq!(assert_success(&v)["type"], 9);
    let (status, _) = get(&sb, &outsider, "/rest/ws/group/MyList/get?groupType=9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&sb, &member, "/rest/ws/group/MyList/delete?groupType=9").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
