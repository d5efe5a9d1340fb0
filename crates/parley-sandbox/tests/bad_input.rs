//! Bad input gets a 4xx with the platform error envelope, stores nothing and never panics;
//! many concurrent clients work.

mod common;

use common::*;
use parley_sandbox::SandboxConfig;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn raw(
    sb: &parley_sandbox::Sandbox,
    s: &Session,
    method: reqwest::Method,
    path: &str,
    body: &str,
) -> (StatusCode, Value) {
    let res = http()
        .request(method, format!("{}{}", sb.http_url(), path))
        .header("Application-Key", APP)
        .header("X-Authorization", &s.token)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn test_malformed_json_and_wrong_types_are_400_envelopes() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    register(&sb, "peer", None).await;
    for body in [
        "{",
        "[1,2]",
        "\"text\"",
        "",
        "{\"to\": true, \"message\": \"x\"}",
        "{\"to\": \"peer\", \"message\": {\"a\": 1}}",
        "{\"to\": [\"peer\"], \"message\": \"x\"}",
        "{\"to\":\"peer\",\"message\":\"x\",\"metadata\":[1]}",
        "{\"to\":\"peer\",\"message\":\"x\",\"contentType\":\"abc\"}",
    ] {
        let (status, v) = raw(
            &sb,
            &me,
            reqwest::Method::POST,
            "/rest/ws/message/send",
            body,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "body {body}: {v}");
        assert_error(&v, "AL-IP-01");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
        .fetch_one(&sb.state().db)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing stored");

    for (path, body) in [
        ("/rest/ws/group/v2/create", "{\"groupName\": 7}"),
        ("/rest/ws/group/v2/create", "{\"groupName\": \"\"}"),
        (
            "/rest/ws/group/v2/create",
            "{\"groupName\": \"x\", \"groupMemberList\": \"peer\"}",
        ),
        ("/rest/ws/group/update", "{\"groupId\": \"abc\"}"),
        ("/rest/ws/user/update", "{\"metadata\": \"nope\"}"),
        ("/rest/ws/user/v2/detail", "{}"),
        ("/rest/ws/register/client", "not json"),
    ] {
        let (status, v) = raw(&sb, &me, reqwest::Method::POST, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {v}");
        assert_error(&v, "AL-IP-01");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM channels")
        .fetch_one(&sb.state().db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn test_bad_query_parameters_are_400() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    for path in [
        "/rest/ws/message/sync?lastSyncTime=yesterday",
        "/rest/ws/message/list?groupId=1e9",
        "/rest/ws/message/list?pageSize=-",
        "/rest/ws/group/v5/list?updatedAt=%00",
        "/rest/ws/message/read?key=",
        "/rest/ws/user/detail",
        "/rest/ws/message/sync?metadataUpdate=maybe",
    ] {
        let (status, v) = get(&sb, &me, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_error(&v, "AL-IP-01");
    }
}

#[tokio::test]
async fn test_unknown_routes_and_methods_get_envelopes() {
    let sb = start().await;
    let res = http()
        .get(format!("{}/rest/ws/nothing/here", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_error(&res.json().await.unwrap(), "AL-NF-01");
    let res = http()
        .delete(format!("{}/rest/ws/message/send", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&res.json().await.unwrap(), "AL-NF-02");
}

#[tokio::test]
async fn test_oversized_json_body_is_413() {
    let mut config = SandboxConfig::for_tests();
    config.max_body_bytes = 4096;
    let sb = start_with(config).await;
    let me = register(&sb, "me", None).await;
    register(&sb, "peer", None).await;
    let big = json!({"to": "peer", "message": "x".repeat(10_000)}).to_string();
    let (status, v) = raw(
        &sb,
        &me,
        reqwest::Method::POST,
        "/rest/ws/message/send",
        &big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_error(&v, "AL-IP-02");
}

#[tokio::test]
async fn test_hostile_strings_are_stored_verbatim_not_interpreted() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let nasty = "'; DROP TABLE messages; -- <script>alert(1)</script> \u{202e} 🙂";
    let (status, v) = post(
        &sb,
        &me,
        "/rest/ws/group/v2/create",
        json!({"groupName": nasty, "groupMemberList": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let gid = v["response"]["id"].as_i64().unwrap();
    post(
        &sb,
        &me,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": nasty}),
    )
    .await;
    let (_, v) = get(&sb, &me, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(v["message"][0]["message"], nasty);
    assert_eq!(v["groupFeeds"][0]["name"], nasty);
    let (_, v) = get(
        &sb,
        &me,
        &format!("/rest/ws/group/support?search={}", "%25%27"),
    )
    .await;
    assert_eq!(v["status"], "success");
}

#[tokio::test]
async fn test_hundred_concurrent_clients_register_send_and_sync() {
    let sb = start().await;
    let hub = register(&sb, "hub", None).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http_url = sb.http_url().to_owned();
        tasks.push(tokio::spawn(async move {
            let client = http();
            let v: Value = client
                .post(format!("{http_url}/rest/ws/register/client"))
                .json(&json!({"userId": format!("client-{i}"), "applicationId": APP}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let token = v["authToken"].as_str().unwrap().to_owned();
            let res = client
                .post(format!("{http_url}/rest/ws/message/send"))
                .header("X-Authorization", &token)
                .json(&json!({"to": "hub", "message": format!("hello from {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let res = client
                .get(format!("{http_url}/rest/ws/message/sync?lastSyncTime=0"))
                .header("X-Authorization", &token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut cursor = 0;
    let mut total = 0;
    loop {
        let (_, v) = get(
            &sb,
            &hub,
            &format!("/rest/ws/message/sync?lastSyncTime={cursor}&pageSize=30"),
        )
        .await;
        let n = v["messages"].as_array().unwrap().len();
        if n == 0 {
            break;
        }
        total += n;
        cursor = v["lastSyncTime"].as_i64().unwrap();
    }
    assert_eq!(total, 100);
}
