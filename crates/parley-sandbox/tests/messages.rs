//! Messages: send, sync cursor, list, receipts, delete, info, metadata.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn test_send_to_user_returns_message_key_and_created_at() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    register(&sb, "bob", None).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "Hi Bob"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = assert_success(&v);
    assert!(r["messageKey"]
        .as_str()
        .unwrap()
        .starts_with(&format!("5-{}-", a.user_key)));
    assert!(r["createdAt"].is_i64());
}

#[tokio::test]
async fn test_send_to_unknown_user_or_group_fails_with_platform_codes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/v2/send",
        json!({"to": "ghost", "message": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/v2/send",
        json!({"groupId": 999_999, "message": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/v2/send",
        json!({"message": "nowhere"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_sync_returns_messages_after_cursor() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let (_, first) = get(&sb, &b, "/rest/ws/message/sync?lastSyncTime=0").await;
    assert_eq!(first["messages"].as_array().unwrap().len(), 0);
    let cursor = first["lastSyncTime"].as_i64().unwrap();

    for text in ["one", "two", "three"] {
        post(
            &sb,
            &a,
            "/rest/ws/message/send",
            json!({"to": "bob", "message": text}),
        )
        .await;
    }
    let (status, v) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/sync?lastSyncTime={cursor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let msgs = v["messages"].as_array().unwrap();
    let texts: Vec<&str> = msgs
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["three", "two", "one"], "newest first");
    assert_eq!(msgs[0]["type"], 4, "received by bob");
    assert_eq!(msgs[0]["status"], 0, "unread");
    assert_eq!(msgs[0]["to"], "alice");
    assert!(msgs[0]["key"].as_str().unwrap().starts_with("4-"));
    assert!(msgs[0]["pairedMessageKey"]
        .as_str()
        .unwrap()
        .starts_with("5-"));
    let next = v["lastSyncTime"].as_i64().unwrap();
    assert!(next > cursor);
    assert!(v["currentSyncTime"].is_i64());

    let (_, again) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/sync?lastSyncTime={next}"),
    )
    .await;
    assert_eq!(again["messages"].as_array().unwrap().len(), 0);

    // The sender sees their own messages as sent (type 5).
    let (_, mine) = get(&sb, &a, "/rest/ws/message/sync?lastSyncTime=0").await;
    assert_eq!(mine["messages"][0]["type"], 5);
    assert_eq!(mine["messages"][0]["to"], "bob");
}

#[tokio::test]
async fn test_sync_pages_with_the_cursor() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    for i in 0..5 {
        post(
            &sb,
            &a,
            "/rest/ws/message/send",
            json!({"to": "bob", "message": format!("m{i}")}),
        )
        .await;
    }
    let mut cursor = 0;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let (_, v) = get(
            &sb,
            &b,
            &format!("/rest/ws/message/sync?lastSyncTime={cursor}&pageSize=2"),
        )
        .await;
        let page = v["messages"].as_array().unwrap();
        if page.is_empty() {
            break;
        }
        for m in page.iter().rev() {
            seen.push(m["message"].as_str().unwrap().to_owned());
        }
        cursor = v["lastSyncTime"].as_i64().unwrap();
    }
    assert_eq!(seen, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn test_message_list_returns_thread_with_user_details_and_group_feeds() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "direct"}),
    )
    .await;
    post(
        &sb,
        &b,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "in group"}),
    )
    .await;
    post(
        &sb,
        &b,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "<b>bold</b>", "contentType": 3}),
    )
    .await;

    let (status, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/message/list?groupId={gid}&startIndex=0&pageSize=50"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let msgs = v["message"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "two messages and the group's creation");
    assert_eq!(msgs[0]["contentType"], 3);
    assert_eq!(msgs[2]["contentType"], 10);
    assert_eq!(msgs[2]["metadata"]["action"], "0");
    assert_eq!(msgs[2]["message"], "alice created group Team");
    assert_eq!(msgs[0]["groupId"], gid);
    assert_eq!(v["groupFeeds"][0]["id"], gid);
    assert_eq!(v["userDetails"][0]["userId"], "bob");

    // The conversation list: the latest message per conversation.
    let (_, v) = get(
        &sb,
        &a,
        "/rest/ws/message/v3/list?startIndex=0&mainPageSize=10",
    )
    .await;
    let latest: Vec<&str> = v["message"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(latest, ["<b>bold</b>", "direct"]);

    let (_, v) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(v["message"][0]["message"], "direct");

    // Older pages with endTime.
    let oldest = msgs[2]["createdAtTime"].as_i64().unwrap();
    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/message/list?groupId={gid}&endTime={oldest}"),
    )
    .await;
    assert_eq!(v["message"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn test_non_member_cannot_read_or_post_in_group() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let eve = register(&sb, "eve", None).await;
    let gid = group(&sb, &a, "Private", &[&b]).await;
    let (status, v) = get(&sb, &eve, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&v, "AL-UN-01");
    let (status, _) = post(
        &sb,
        &eve,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "let me in"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, v) = get(&sb, &eve, "/rest/ws/message/sync?lastSyncTime=0").await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn test_read_receipts_change_sender_status_and_info() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "hello"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();

    let (_, info) = get(&sb, &a, &format!("/rest/ws/message/info?key={key}")).await;
    assert_eq!(assert_success(&info)[0]["status"], 3);

    let (status, _) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/delivered?key={key}&userId=bob"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, info) = get(&sb, &a, &format!("/rest/ws/message/info?key={key}")).await;
    assert_eq!(info["response"][0]["userId"], "bob");
    assert_eq!(info["response"][0]["status"], 4);
    assert!(info["response"][0]["deliveredAtTime"].is_i64());

    let (status, _) = get(&sb, &b, "/rest/ws/message/read/conversation?userId=alice").await;
    assert_eq!(status, StatusCode::OK);
    let (_, info) = get(&sb, &a, &format!("/rest/ws/message/info?key={key}")).await;
    assert_eq!(info["response"][0]["status"], 1);
    assert!(info["response"][0]["readAtTime"].is_i64());
    let (_, mine) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(mine["message"][0]["status"], 5, "delivered and read");
    let (_, theirs) = get(&sb, &b, "/rest/ws/message/list?userId=alice").await;
    assert_eq!(theirs["message"][0]["status"], 1, "read");
}

#[tokio::test]
async fn test_group_read_resets_unread_count() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    for i in 0..3 {
        post(
            &sb,
            &a,
            "/rest/ws/message/send",
            json!({"groupId": gid, "message": format!("m{i}")}),
        )
        .await;
    }
    let (_, info) = get(&sb, &b, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(
        info["response"]["unreadCount"], 4,
        "three messages and the group's creation"
    );
    let (_, v) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/read/conversation?groupId={gid}"),
    )
    .await;
    assert_eq!(assert_success(&v), "success");
    let (_, info) = get(&sb, &b, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(info["response"]["unreadCount"], 0);
    let (status, v) = get(&sb, &b, "/rest/ws/message/read/conversation?groupId=424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
}

#[tokio::test]
async fn test_delete_hides_for_caller_and_delete_for_all_hides_for_everyone() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "oops"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    let (status, v) = get(&sb, &b, &format!("/rest/ws/message/delete?key={key}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, theirs) = get(&sb, &b, "/rest/ws/message/list?userId=alice").await;
    assert_eq!(theirs["message"].as_array().unwrap().len(), 0);
    let (_, mine) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(mine["message"].as_array().unwrap().len(), 1);

    // Only the sender deletes for everyone.
    let (status, _) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/delete?key={key}&deleteForAll=true"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(
        &sb,
        &a,
        &format!("/rest/ws/message/v2/delete?key={key}&deleteForAll=true"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(mine["message"].as_array().unwrap().len(), 0);

    let (status, v) = get(&sb, &a, "/rest/ws/message/delete?key=5-nope-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-M-01");
}

#[tokio::test]
async fn test_metadata_update_is_visible_in_metadata_sync() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "hi", "metadata": {"k": "v"}}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    let (_, first) = get(
        &sb,
        &b,
        "/rest/ws/message/sync?lastSyncTime=0&metadataUpdate=true",
    )
    .await;
    let cursor = first["lastSyncTime"].as_i64().unwrap();
    let (status, _) = post(
        &sb,
        &a,
        "/rest/ws/message/update/metadata",
        json!({"key": key, "metadata": {"edited": "true"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(
        &sb,
        &b,
        &format!("/rest/ws/message/sync?lastSyncTime={cursor}&metadataUpdate=true"),
    )
    .await;
    let m = &v["messages"][0];
    assert_eq!(m["metadata"]["k"], "v");
    assert_eq!(m["metadata"]["edited"], "true");
}

#[tokio::test]
async fn test_rich_message_metadata_and_file_meta_round_trip() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let payload = r#"[{"title":"Yes","message":"Cool! send me more."}]"#;
    let (status, _) = post(
        &sb,
        &a,
        "/rest/ws/message/v2/send",
        json!({"groupId": gid.to_string(), "message": "Do you want more updates?",
               "metadata": {"contentType": "300", "templateId": "6", "skipBot": true, "payload": payload}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let fm = json!({"blobKey": "abc", "name": "ABX.png", "url": "u", "size": 182025, "contentType": "image/png"});
    post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"type": 5, "contentType": 1, "message": "img", "groupId": gid, "fileMeta": fm}),
    )
    .await;
    let (_, v) = get(&sb, &b, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(v["message"][0]["fileMeta"]["name"], "ABX.png");
    assert_eq!(v["message"][0]["contentType"], 1);
    let rich = &v["message"][1]["metadata"];
    assert_eq!(rich["contentType"], "300");
    assert_eq!(rich["skipBot"], "true", "metadata values are strings");
    assert_eq!(rich["payload"], payload);
}

#[tokio::test]
async fn test_broadcast_sends_to_users_and_groups() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let c = register(&sb, "carl", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/message/sendall",
        json!({"userNames": ["carl"], "clientGroupIds": [gid.to_string()], "messageObject": {"message": "Hi all"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, v) = get(&sb, &c, "/rest/ws/message/list?userId=alice").await;
    assert_eq!(v["message"][0]["message"], "Hi all");
    let (_, v) = get(&sb, &b, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(v["message"][0]["message"], "Hi all");
}

#[tokio::test]
async fn test_delete_older_than_days_hides_only_old_messages() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    register(&sb, "bob", None).await;
    post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "recent"}),
    )
    .await;
    let (status, _) = post(&sb, &a, "/rest/ws/user/messages/delete?days=15", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(v["message"].as_array().unwrap().len(), 1);
    let (status, _) = post(&sb, &a, "/rest/ws/user/messages/delete?days=0", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &a, "/rest/ws/message/list?userId=bob").await;
    assert_eq!(v["message"].as_array().unwrap().len(), 0);
    let (status, v) = post(&sb, &a, "/rest/ws/user/messages/delete?days=abc", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}
