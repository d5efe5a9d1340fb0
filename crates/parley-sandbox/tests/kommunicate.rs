//! Kommunicate conversations: create with routing, status and assignee changes with their
//! documented responses, the agent lists, teams and tags.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn server_api(
    sb: &parley_sandbox::Sandbox,
    method: reqwest::Method,
    path: &str,
    of: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http()
        .request(method, format!("{}{}", sb.http_url(), path))
        .header("Api-Key", sb.api_key())
        .header("Of-User-Id", of);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn test_create_conversation_routes_to_least_loaded_agent() {
    let sb = start().await;
    let _a1 = agent(&sb, "a1@x.test").await;
    let _a2 = agent(&sb, "a2@x.test").await;
    let (status, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(json!({"groupName": "Order help", "groupMemberList": ["new-customer"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let g = assert_success(&v);
    assert_eq!(g["type"], 10);
    assert_eq!(g["metadata"]["CONVERSATION_STATUS"], "0");
    let first = g["metadata"]["CONVERSATION_ASSIGNEE"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first, "a1@x.test", "ties go to the first agent id");
    let members: Vec<&str> = g["membersId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        members.contains(&"new-customer"),
        "unknown members are created"
    );
    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(json!({"groupName": "Second", "groupMemberList": ["other-customer"]})),
    )
    .await;
    assert_eq!(
        v["response"]["metadata"]["CONVERSATION_ASSIGNEE"],
        "a2@x.test"
    );
}

#[tokio::test]
async fn test_create_conversation_with_skip_routing_uses_conversation_assignee() {
    let sb = start().await;
    agent(&sb, "a1@x.test").await;
    agent(&sb, "a2@x.test").await;
    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(
            json!({"groupName": "VIP", "groupMemberList": ["vip", "a2@x.test"],
                    "metadata": {"SKIP_ROUTING": true, "CONVERSATION_ASSIGNEE": "a2@x.test"}}),
        ),
    )
    .await;
    let g = assert_success(&v);
    assert_eq!(g["metadata"]["CONVERSATION_ASSIGNEE"], "a2@x.test");
    assert_eq!(g["metadata"]["SKIP_ROUTING"], "true");

    let (_, v) = server_api(&sb, reqwest::Method::POST, "/rest/ws/group/conversation", "a1@x.test",
        Some(json!({"groupName": "Nobody", "groupMemberList": ["vip"], "metadata": {"SKIP_ROUTING": "true"}}))).await;
    assert!(
        assert_success(&v)["metadata"]
            .get("CONVERSATION_ASSIGNEE")
            .is_none(),
        "assigned to no one"
    );

    let (status, v) = server_api(&sb, reqwest::Method::POST, "/rest/ws/group/conversation", "a1@x.test",
        Some(json!({"groupName": "Bad", "groupMemberList": ["vip"], "metadata": {"SKIP_ROUTING": true, "CONVERSATION_ASSIGNEE": "a2@x.test"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");

    let (status, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(json!({"groupMemberList": ["vip"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_change_status_answers_updated_then_already_updated() {
    let sb = start().await;
    let ag = agent(&sb, "a1@x.test").await;
    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(json!({"groupName": "C", "groupMemberList": ["cust"]})),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    let mut rt = mqtt(&sb, &ag, std::slice::from_ref(&ag.user_key)).await;

    let (status, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/status/change?groupId={gid}&status=2"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assert_success(&v), "updated");
    let (_, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/status/change?groupId={gid}&status=2"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(assert_success(&v), "already updated");
    let (status, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        "/rest/ws/group/status/change?groupId=999999&status=2",
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    let (status, _) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/status/change?groupId={gid}&status=42"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, info) = get(&sb, &ag, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(info["response"]["metadata"]["CONVERSATION_STATUS"], "2");
    // The notify message tells members about the change.
    let (_, env) = rt.expect("APPLOZIC_02").await;
    assert_eq!(env["message"]["contentType"], 10);
    assert_eq!(env["message"]["metadata"]["KM_STATUS"], "Resolved");

    // Without a notify message nothing is posted.
    let (_, list) = get(&sb, &ag, &format!("/rest/ws/message/list?groupId={gid}")).await;
    let before = list["message"].as_array().unwrap().len();
    patch(
        &sb,
        &ag,
        &format!("/rest/ws/group/status/change?groupId={gid}&status=0&sendNotifyMessage=false"),
    )
    .await;
    let (_, list) = get(&sb, &ag, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(list["message"].as_array().unwrap().len(), before);
}

#[tokio::test]
async fn test_change_assignee_documented_responses() {
    let sb = start().await;
    agent(&sb, "a1@x.test").await;
    agent(&sb, "a2@x.test").await;
    register(&sb, "cust", None).await;
    let (_, v) = server_api(&sb, reqwest::Method::POST, "/rest/ws/group/conversation", "a1@x.test",
        Some(json!({"groupName": "C", "groupMemberList": ["cust", "parley-bot"], "metadata": {"SKIP_ROUTING": true, "CONVERSATION_ASSIGNEE": "parley-bot"}}))).await;
    let gid = v["response"]["id"].as_i64().unwrap();

    let path = |a: &str| {
        format!("/rest/ws/group/assignee/change?groupId={gid}&assignee={a}&sendNotifyMessage=false&takeOverFromBot=true")
    };
    let (_, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &path("a2@x.test"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(assert_success(&v), "updated");
    let (_, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &path("a2@x.test"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(assert_success(&v), "already updated");
    let (status, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &path("nobody@x.test"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
    let (status, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        "/rest/ws/group/v2/assignee/change?groupId=999999&assignee=a2@x.test",
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");

    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/user/v2/detail",
        "a1@x.test",
        Some(json!({"userIdList": ["a2@x.test"]})),
    )
    .await;
    assert_eq!(v[0]["userId"], "a2@x.test");
    let res = http()
        .get(format!(
            "{}/rest/ws/group/info?groupId={gid}",
            sb.http_url()
        ))
        .header("Api-Key", sb.api_key())
        .send()
        .await
        .unwrap();
    let info: Value = res.json().await.unwrap();
    assert_eq!(
        info["response"]["metadata"]["CONVERSATION_ASSIGNEE"],
        "a2@x.test"
    );
    let members: Vec<&str> = info["response"]["membersId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(members.contains(&"a2@x.test"));
    assert!(
        !members.contains(&"parley-bot"),
        "takeOverFromBot removes the bot"
    );
}

#[tokio::test]
async fn test_change_assignee_to_busy_agent_is_already_engaged() {
    let sb = start().await;
    agent(&sb, "a1@x.test").await;
    let busy = agent(&sb, "busy@x.test").await;
    post(
        &sb,
        &busy,
        "/rest/ws/user/update",
        json!({"metadata": {"KM_MAX_CONCURRENT_CHATS": "1"}}),
    )
    .await;
    let mk = |name: &str| json!({"groupName": name, "groupMemberList": ["c1"], "metadata": {"SKIP_ROUTING": true}});
    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(mk("one")),
    )
    .await;
    let g1 = v["response"]["id"].as_i64().unwrap();
    let (_, v) = server_api(
        &sb,
        reqwest::Method::POST,
        "/rest/ws/group/conversation",
        "a1@x.test",
        Some(mk("two")),
    )
    .await;
    let g2 = v["response"]["id"].as_i64().unwrap();
    let (_, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/assignee/change?groupId={g1}&assignee=busy@x.test"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(assert_success(&v), "updated");
    let (_, v) = server_api(
        &sb,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/assignee/change?groupId={g2}&assignee=busy@x.test"),
        "a1@x.test",
        None,
    )
    .await;
    assert_eq!(v["status"], "success");
    assert_eq!(v["response"], "AGENT_IS_ALREADY_ENGAGED");
}

#[tokio::test]
async fn test_support_list_filters_by_status_and_pages_with_last_fetch_time() {
    let sb = start_demo().await;
    let alice = register(&sb, "alice@parley.test", Some("agent-password")).await;
    let (status, v) = get(
        &sb,
        &alice,
        "/rest/ws/group/support?pageSize=50&status=0&status=6",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = assert_success(&v);
    let feeds = r["groupFeeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 50);
    for f in feeds {
        assert_eq!(f["type"], 10);
        let s = f["metadata"]["CONVERSATION_STATUS"].as_str().unwrap();
        assert!(s == "0" || s == "6", "status {s}");
    }
    assert!(!r["message"].as_array().unwrap().is_empty());
    assert!(!r["userDetails"].as_array().unwrap().is_empty());
    let last = r["lastFetchTime"].as_i64().unwrap();
    let (_, page2) = get(
        &sb,
        &alice,
        &format!("/rest/ws/group/support?pageSize=50&lastFetchTime={last}&status=0&status=6"),
    )
    .await;
    let ids1: Vec<i64> = feeds.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    let ids2: Vec<i64> = page2["response"]["groupFeeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert!(!ids2.is_empty());
    assert!(
        ids2.iter().all(|i| !ids1.contains(i)),
        "pages do not overlap"
    );

    // Closed bucket, and the SDK quirk without `?`.
    let (status, v) = get(
        &sb,
        &alice,
        "/rest/ws/group/support&pageSize=20&status=2&status=3&status=4&status=5",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for f in v["response"]["groupFeeds"].as_array().unwrap() {
        assert!(
            ["2", "3", "4", "5"].contains(&f["metadata"]["CONVERSATION_STATUS"].as_str().unwrap())
        );
    }

    // Assigned to me.
    let (_, v) = get(&sb, &alice, "/rest/ws/group/support/assigned?userId=alice@parley.test&pageSize=100&status=0&status=6&status=-1").await;
    let mine = v["response"]["groupFeeds"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(mine
        .iter()
        .all(|f| f["metadata"]["CONVERSATION_ASSIGNEE"] == "alice@parley.test"));

    // A customer sees only their own conversations.
    let cust = register(&sb, "customer-001", Some("customer-password")).await;
    let (_, v) = get(&sb, &cust, "/rest/ws/group/support?pageSize=200").await;
    for f in v["response"]["groupFeeds"].as_array().unwrap() {
        assert!(f["membersId"]
            .as_array()
            .unwrap()
            .contains(&json!("customer-001")));
    }
    let (status, v) = get(&sb, &alice, "/rest/ws/group/support?status=open").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_team_list_and_tags() {
    let sb = start_demo().await;
    let alice = register(&sb, "alice@parley.test", Some("agent-password")).await;
    let (_, v) = get(&sb, &alice, "/rest/ws/team/list").await;
    let teams = assert_success(&v).as_array().unwrap();
    assert_eq!(teams.len(), 2);
    assert!(teams[0]["teamId"].is_string() && teams[0]["teamMembers"].is_array());

    let (_, v) = get(&sb, &alice, "/rest/ws/tags").await;
    assert_eq!(v["code"], "SUCCESS");
    assert_eq!(v["response"].as_array().unwrap().len(), 5);
    let (status, v) = post(
        &sb,
        &alice,
        "/rest/ws/tags",
        json!({"name": "refund", "color": "#00ff00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tag = v["response"].clone();
    let (status, v) = post(&sb, &alice, "/rest/ws/tags", json!({"name": "refund"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");

    let (_, list) = get(&sb, &alice, "/rest/ws/group/support?pageSize=1").await;
    let gid = list["response"]["groupFeeds"][0]["id"].as_i64().unwrap();
    let (status, _) = call(
        &sb,
        &alice,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/add/tags?groupId={gid}"),
        Some(json!([tag])),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, info) = get(&sb, &alice, &format!("/rest/ws/group/info?groupId={gid}")).await;
    let tags: Vec<Value> =
        serde_json::from_str(info["response"]["metadata"]["KM_TAGS"].as_str().unwrap()).unwrap();
    assert_eq!(tags[0]["name"], "refund");
    call(
        &sb,
        &alice,
        reqwest::Method::PATCH,
        &format!("/rest/ws/group/remove/tags?groupId={gid}"),
        Some(json!([tag])),
    )
    .await;
    let (_, info) = get(&sb, &alice, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(info["response"]["metadata"]["KM_TAGS"], "[]");

    // Customers cannot manage tags.
    let cust = register(&sb, "customer-001", Some("customer-password")).await;
    let (status, _) = post(&sb, &cust, "/rest/ws/tags", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn test_agent_availability_and_users_list() {
    let sb = start_demo().await;
    let alice = register(&sb, "alice@parley.test", Some("agent-password")).await;
    let (status, v) = call(
        &sb,
        &alice,
        reqwest::Method::PATCH,
        "/rest/ws/users/status",
        Some(json!({"status": 0, "applicationId": APP})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let res = http()
        .get(format!(
            "{}/users/list?applicationId={APP}&userName=alice@parley.test",
            sb.http_url()
        ))
        .header("Authorization", &alice.token)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "SUCCESS");
    assert_eq!(v["response"][0]["status"], 0, "away");
    call(
        &sb,
        &alice,
        reqwest::Method::PATCH,
        "/rest/ws/users/status",
        Some(json!({"status": 1})),
    )
    .await;
    let res = http()
        .get(format!(
            "{}/users/list?applicationId={APP}&roleType=8",
            sb.http_url()
        ))
        .header("Authorization", &alice.token)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["response"].as_array().unwrap().len(), 3);
    assert_eq!(v["response"][0]["status"], 1);
}

#[tokio::test]
async fn test_agent_sync_includes_support_conversations_they_are_not_in() {
    let sb = start().await;
    let a1 = agent(&sb, "a1@x.test").await;
    let a2 = agent(&sb, "a2@x.test").await;
    let cust = register(&sb, "cust", None).await;
    let (_, v) = get(&sb, &a2, "/rest/ws/message/sync?lastSyncTime=0").await;
    let cursor = v["lastSyncTime"].as_i64().unwrap();
    let (_, v) = post(
        &sb,
        &cust,
        "/rest/ws/group/conversation",
        json!({"groupName": "Help", "groupMemberList": ["a1@x.test"]}),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    post(
        &sb,
        &cust,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "anyone?"}),
    )
    .await;
    let (_, v) = get(
        &sb,
        &a2,
        &format!("/rest/ws/message/sync?lastSyncTime={cursor}"),
    )
    .await;
    assert_eq!(
        v["messages"][0]["message"], "anyone?",
        "a2 is not a member but sees the inbox"
    );
    let (_, v) = get(
        &sb,
        &a1,
        &format!("/rest/ws/message/sync?lastSyncTime={cursor}"),
    )
    .await;
    assert_eq!(v["messages"][0]["groupId"], gid);
    // A customer outside the conversation does not.
    let other = register(&sb, "other", None).await;
    let (_, v) = get(&sb, &other, "/rest/ws/message/sync?lastSyncTime=0").await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn test_agent_reading_a_conversation_they_are_not_in_succeeds() {
    let sb = start().await;
    agent(&sb, "a1@x.test").await;
    let a2 = agent(&sb, "a2@x.test").await;
    let cust = register(&sb, "cust", None).await;
    let outsider = register(&sb, "outsider", None).await;
    let (_, v) = post(
        &sb,
        &cust,
        "/rest/ws/group/conversation",
        json!({"groupName": "Help", "groupMemberList": ["a1@x.test"]}),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    let (status, v) = get(
        &sb,
        &a2,
        &format!("/rest/ws/message/read/conversation?groupId={gid}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _) = get(
        &sb,
        &outsider,
        &format!("/rest/ws/message/read/conversation?groupId={gid}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
