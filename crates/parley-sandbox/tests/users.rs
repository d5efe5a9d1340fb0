//! User endpoints: detail, status, filter, passwords, block list, mute list, user creation.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn test_user_detail_get_and_v2_post_return_user_details() {
    let sb = start().await;
    let me = register_as(&sb, json!({"userId": "UserId1", "applicationId": APP, "displayName": "Name1", "contactNumber": "+912345678954", "imageLink": "http://image.url"})).await;
    let (status, v) = get(
        &sb,
        &me,
        "/rest/ws/user/detail?userIds=UserId1&userIds=ghost",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "unknown ids are skipped");
    let u = &list[0];
    assert_eq!(u["userId"], "UserId1");
    assert_eq!(u["userName"], "Name1");
    assert_eq!(u["displayName"], "Name1");
    assert_eq!(u["imageLink"], "http://image.url");
    assert_eq!(u["phoneNumber"], "+912345678954");
    assert_eq!(u["connected"], false);
    assert_eq!(u["deactivated"], false);
    assert!(u["createdAtTime"].is_i64());
    let (_, v) = post(
        &sb,
        &me,
        "/rest/ws/user/v2/detail",
        json!({"phoneNumberList": ["+912345678954"]}),
    )
    .await;
    assert_eq!(v[0]["userId"], "UserId1");
}

#[tokio::test]
async fn test_user_update_changes_profile_and_metadata() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (_, v) = post(&sb, &me, "/rest/ws/user/update", json!({"email": "me@x.test", "displayName": "Me", "imageLink": "i", "statusMessage": "busy", "metadata": {"a": "1"}})).await;
    assert_eq!(assert_success(&v), "success");
    let (_, v) = get(&sb, &me, "/rest/ws/user/detail?userIds=me").await;
    assert_eq!(v[0]["email"], "me@x.test");
    assert_eq!(v[0]["statusMessage"], "busy");
    assert_eq!(v[0]["metadata"]["a"], "1");
    post(
        &sb,
        &me,
        "/rest/ws/user/update",
        json!({"metadata": {"b": "2"}}),
    )
    .await;
    let (_, v) = get(&sb, &me, "/rest/ws/user/detail?userIds=me").await;
    assert_eq!(
        v[0]["metadata"],
        json!({"a": "1", "b": "2"}),
        "metadata merges"
    );
}

#[tokio::test]
async fn test_update_password_needs_the_old_one() {
    let sb = start().await;
    let me = register(&sb, "me", Some("qwerty1234")).await;
    let (status, v) = get(
        &sb,
        &me,
        "/rest/ws/user/update/password?oldPassword=wrong&newPassword=x",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&v, "AL-UN-01");
    let (status, _) = get(
        &sb,
        &me,
        "/rest/ws/user/update/password?oldPassword=qwerty1234&newPassword=mypass1234",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    register(&sb, "me", Some("mypass1234")).await;
}

#[tokio::test]
async fn test_bot_creates_users_and_sets_passwords() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, _) = post(&sb, &me, "/rest/ws/user/v2/create", json!({"userId": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "bot API only");
    let bot = bot_auth(&sb);
    let send = |path: &str, body: Option<serde_json::Value>| {
        let mut req = if body.is_some() {
            http().post(format!("{}{}", sb.http_url(), path))
        } else {
            http().get(format!("{}{}", sb.http_url(), path))
        };
        req = req
            .header("Application-Key", APP)
            .header("Authorization", &bot);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let res = send("/rest/ws/user/v2/create", Some(json!({"userId": "DemoUser", "password": "pw", "displayName": "Demo", "roleName": "USER"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(
        "/rest/ws/user/v2/create",
        Some(json!({"userId": "DemoUser"})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_error(&res.json().await.unwrap(), "AL-U-01");
    let res = send(
        "/rest/ws/user/v2/create",
        Some(json!({"userId": "Bot2", "roleName": "BOT"})),
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "bots need a password"
    );
    let res = send(
        "/rest/ws/user/set/password?userId=DemoUser&password=1234567",
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    register(&sb, "DemoUser", Some("1234567")).await;
}

#[tokio::test]
async fn test_user_filter_pages_with_last_fetch_time() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    for i in 0..5 {
        register(&sb, &format!("u{i}"), None).await;
    }
    let (status, v) = get(&sb, &me, "/rest/ws/user/filter?pageSize=3").await;
    assert_eq!(status, StatusCode::OK);
    let users = v["users"].as_array().unwrap();
    assert_eq!(users.len(), 3);
    let last = v["lastFetchTime"].as_i64().unwrap();
    let (_, v) = get(
        &sb,
        &me,
        &format!("/rest/ws/user/filter?pageSize=10&startTime={last}"),
    )
    .await;
    assert_eq!(
        v["users"].as_array().unwrap().len(),
        3,
        "2 more users and the bot"
    );
    let (_, v) = get(&sb, &me, "/rest/ws/user/filter?role=BOT").await;
    assert_eq!(v["users"][0]["userId"], "parley-bot");
}

#[tokio::test]
async fn test_block_list_sync_reports_blocked_by_and_blocked_to() {
    let sb = start().await;
    let mink = register(&sb, "mink", None).await;
    let mink2 = register(&sb, "mink2", None).await;
    register(&sb, "jack", None).await;
    let (_, v) = get(&sb, &mink, "/rest/ws/user/block?userId=jack").await;
    assert_eq!(assert_success(&v), true);
    get(&sb, &mink2, "/rest/ws/user/block?userId=mink").await;
    let (_, v) = get(&sb, &mink, "/rest/ws/user/blocked/sync?lastSyncTime=0").await;
    let r = assert_success(&v);
    assert_eq!(r["blockedByUserList"][0]["blockedBy"], "mink2");
    assert_eq!(r["blockedToUserList"][0]["blockedTo"], "jack");
    assert_eq!(r["blockedToUserList"][0]["userBlocked"], true);
    // A blocked user cannot message the blocker.
    let (status, _) = post(
        &sb,
        &mink,
        "/rest/ws/message/send",
        json!({"to": "mink2", "message": "hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let cursor = v["generatedAt"].as_i64().unwrap();
    get(&sb, &mink, "/rest/ws/user/unblock?userId=jack").await;
    let (_, v) = get(
        &sb,
        &mink,
        &format!("/rest/ws/user/blocked/sync?lastSyncTime={cursor}"),
    )
    .await;
    assert_eq!(v["response"]["blockedToUserList"][0]["userBlocked"], false);
    assert_eq!(
        v["response"]["blockedByUserList"].as_array().unwrap().len(),
        0
    );
    let (status, v) = get(&sb, &mink, "/rest/ws/user/block?userId=ghost").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
}

#[tokio::test]
async fn test_mute_list_and_online_list() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    register(&sb, "noisy", None).await;
    post(
        &sb,
        &me,
        "/rest/ws/user/chat/mute?userId=noisy&notificationAfterTime=1999999999999",
        json!({}),
    )
    .await;
    let (_, v) = get(&sb, &me, "/rest/ws/user/chat/mute/list").await;
    assert_eq!(v[0]["userId"], "noisy");
    assert_eq!(v[0]["notificationAfterTime"], 1_999_999_999_999_i64);
    let (status, v) = get(&sb, &me, "/rest/ws/user/ol/list?startIndex=0&pageSize=10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(assert_success(&v).is_array());
}
