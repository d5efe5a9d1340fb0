//! Groups: create, info, list cursors, members, update, delete, open channels, user count.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn test_create_group_returns_channel_feed_like_the_docs() {
    let sb = start().await;
    let t = register(&sb, "TestUser", None).await;
    for u in ["UserName1", "UserName2", "UserName3"] {
        register(&sb, u, None).await;
    }
    let (status, v) = post(
        &sb,
        &t,
        "/rest/ws/group/v2/create",
        json!({"clientGroupId": "Client Group Id", "groupName": "Group Name",
               "groupMemberList": ["UserName1", "UserName2", "UserName3"], "imageUrl": "Group image Url",
               "metadata": {"key1": "value1"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let g = assert_success(&v);
    assert!(g["id"].is_i64());
    assert_eq!(g["clientGroupId"], "Client Group Id");
    assert_eq!(g["name"], "Group Name");
    assert_eq!(g["adminId"], "TestUser");
    assert_eq!(g["type"], 2);
    assert_eq!(g["userCount"], 4);
    assert_eq!(g["imageUrl"], "Group image Url");
    assert_eq!(g["metadata"]["key1"], "value1");
    let mut members: Vec<&str> = g["membersId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["TestUser", "UserName1", "UserName2", "UserName3"]);
    let admin = g["groupUsers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "TestUser")
        .unwrap();
    assert_eq!(admin["role"], 1);

    // The same clientGroupId again: AL-G-02.
    let (status, v) = post(
        &sb,
        &t,
        "/rest/ws/group/v2/create",
        json!({"clientGroupId": "Client Group Id", "groupName": "Again", "groupMemberList": []}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&v, "AL-G-02");
    // Unknown member: AL-U-01.
    let (status, v) = post(
        &sb,
        &t,
        "/rest/ws/group/v2/create",
        json!({"groupName": "X", "groupMemberList": ["nobody"]}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
}

#[tokio::test]
async fn test_create_v2_1_accepts_sdk_users_with_roles() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    register(&sb, "bob", None).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/group/v2.1/create",
        json!({"groupName": "Support", "type": 10, "users": [{"userId": "bob", "groupRole": 2}],
               "metadata": {"CONVERSATION_STATUS": "-1"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let g = assert_success(&v);
    assert_eq!(g["type"], 10);
    let bob = g["groupUsers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "bob")
        .unwrap();
    assert_eq!(bob["role"], 2);
}

#[tokio::test]
async fn test_group_info_by_id_and_client_id_and_not_found() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let gid = group(&sb, &a, "G", &[]).await;
    let (_, v) = get(&sb, &a, &format!("/rest/ws/group/v2/info?groupId={gid}")).await;
    assert_eq!(assert_success(&v)["name"], "G");
    let (_, v) = get(&sb, &a, &format!("/rest/ws/group/info?clientGroupId={gid}")).await;
    assert_eq!(assert_success(&v)["id"], gid);
    let (status, v) = get(&sb, &a, "/rest/ws/group/info?groupId=6689118").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    let (status, v) = get(&sb, &a, "/rest/ws/group/info?groupId=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_group_v5_list_returns_groups_changed_after_updated_at() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let g1 = group(&sb, &a, "One", &[]).await;
    let (status, v) = get(&sb, &a, "/rest/ws/group/v5/list?updatedAt=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["response"]["groupPxys"][0]["id"], g1);
    let cursor = v["generatedAt"].as_i64().unwrap();
    assert_eq!(v["updatedAt"], cursor);

    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/v5/list?updatedAt={cursor}"),
    )
    .await;
    assert_eq!(v["response"]["groupPxys"].as_array().unwrap().len(), 0);

    post(
        &sb,
        &a,
        "/rest/ws/group/update",
        json!({"groupId": g1, "metadata": {"CONVERSATION_STATUS": "2"}}),
    )
    .await;
    let g2 = group(&sb, &a, "Two", &[]).await;
    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/v3/list?updatedAt={cursor}"),
    )
    .await;
    let ids: Vec<i64> = v["response"]["groupPxys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [g1, g2]);
    assert_eq!(
        v["response"]["groupPxys"][0]["metadata"]["CONVERSATION_STATUS"],
        "2"
    );

    // v2 answers a plain list.
    let (_, v) = get(&sb, &a, "/rest/ws/group/v2/list?updatedAt=0").await;
    assert_eq!(assert_success(&v).as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn test_add_and_remove_member_by_body_and_query() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    register(&sb, "carl", None).await;
    let gid = group(&sb, &a, "G", &[&b]).await;
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/group/add/member",
        json!({"userId": "carl", "clientGroupId": gid.to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(assert_success(&v), "success");
    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/check/user?clientGroupId={gid}&userId=carl"),
    )
    .await;
    assert_eq!(assert_success(&v), true);

    let (status, _) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/remove/member?groupId={gid}&userId=carl"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &a, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(v["response"]["removedMembersId"], json!(["carl"]));
    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/user/count?clientGroupIds={gid}"),
    )
    .await;
    assert_eq!(v["response"][0]["userCount"], 2);

    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/group/add/member",
        json!({"userId": "ghost", "groupId": gid}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-U-01");
}

#[tokio::test]
async fn test_only_admin_removes_members_from_private_group() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let c = register(&sb, "carl", None).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/group/v2/create",
        json!({"groupName": "P", "type": 1, "groupMemberList": ["bob", "carl"]}),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    let (status, v) = post(
        &sb,
        &b,
        "/rest/ws/group/remove/member",
        json!({"userId": "carl", "groupId": gid}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&v, "AL-UN-01");
    let (status, _) = post(&sb, &c, "/rest/ws/group/left", json!({"groupId": gid})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &a, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(v["response"]["membersId"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn test_update_group_name_roles_and_metadata() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Old", &[&b]).await;
    let (status, _) = post(
        &sb,
        &a,
        "/rest/ws/group/update",
        json!({"clientGroupId": gid.to_string(), "newName": "The Starks", "imageUrl": "https://x/i.png",
               "users": [{"userId": "bob", "role": 1}], "metadata": {"HIDE": "true"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &b, &format!("/rest/ws/group/info?groupId={gid}")).await;
    let g = assert_success(&v);
    assert_eq!(g["name"], "The Starks");
    assert_eq!(g["imageUrl"], "https://x/i.png");
    assert_eq!(g["metadata"]["HIDE"], "true");
    let bob = g["groupUsers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "bob")
        .unwrap();
    assert_eq!(bob["role"], 1);
    let (status, v) = post(
        &sb,
        &a,
        "/rest/ws/group/update",
        json!({"groupId": gid, "users": [{"userId": "bob", "role": 9}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
}

#[tokio::test]
async fn test_delete_group_needs_admin_and_hides_it() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "G", &[&b]).await;
    let (status, v) = get(
        &sb,
        &b,
        &format!("/rest/ws/group/delete?clientGroupId={gid}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&v, "AL-UN-01");
    let (status, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/delete?clientGroupId={gid}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assert_success(&v), true);
    let (status, v) = get(&sb, &a, &format!("/rest/ws/group/info?groupId={gid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "AL-G-01");
    // The deletion shows in the group sync with deletedAtTime.
    let (_, v) = get(&sb, &b, "/rest/ws/group/v5/list?updatedAt=0").await;
    assert!(v["response"]["groupPxys"][0]["deletedAtTime"].is_i64());
}

#[tokio::test]
async fn test_multiple_delete_and_add_users_to_many_groups() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    register(&sb, "u1", None).await;
    register(&sb, "u2", None).await;
    let g1 = group(&sb, &a, "A", &[]).await;
    let g2 = group(&sb, &a, "B", &[]).await;
    let (status, _) = post(
        &sb,
        &a,
        "/rest/ws/group/add/users",
        json!({"userIds": ["u1", "u2"], "clientGroupIds": [g1.to_string(), g2.to_string()]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/user/count?clientGroupIds={g1}&clientGroupIds={g2}"),
    )
    .await;
    assert_eq!(v["response"][0]["userCount"], 3);
    assert_eq!(v["response"][1]["userCount"], 3);
    let (status, _) = post(
        &sb,
        &a,
        "/rest/ws/group/remove/users",
        json!({"userIds": ["u2"], "clientGroupIds": [g1.to_string()]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(
        &sb,
        &a,
        &format!("/rest/ws/group/multiple/delete?groupIds={g1}&groupIds={g2}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&sb, &a, &format!("/rest/ws/group/info?groupId={g2}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn test_open_channels_and_group_filter() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/group/v2/create",
        json!({"groupName": "Live", "type": 6, "groupMemberList": []}),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    let (_, v) = get(&sb, &a, "/rest/ws/group/v2/channel?pageSize=10").await;
    assert_eq!(assert_success(&v)["groupPxys"][0]["id"], gid);
    assert!(v["response"]["lastFetchTime"].is_i64());
    // group/filter is for the application bot.
    let (status, _) = get(&sb, &a, "/rest/ws/group/filter?pageSize=2").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = http()
        .get(format!("{}/rest/ws/group/filter?pageSize=2", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", bot_auth(&sb))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(assert_success(&v)["groups"][0]["id"], gid);
}

#[tokio::test]
async fn test_group_changes_post_action_messages_with_templates() {
    let sb = start().await;
    let a = register_as(
        &sb,
        json!({"userId": "alice", "applicationId": APP, "displayName": "Alice"}),
    )
    .await;
    let b = register_as(
        &sb,
        json!({"userId": "bob", "applicationId": APP, "displayName": "Bob"}),
    )
    .await;
    register(&sb, "carl", None).await;
    // Connect first: notifications are published asynchronously, in order.
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/group/v2/create",
        json!({"groupName": "Team", "groupMemberList": ["bob"],
               "metadata": {"ADD_MEMBER_MESSAGE": ":adminName Ne :userName ko add kiya", "REMOVE_MEMBER_MESSAGE": "", "HIDE": "true"}}),
    )
    .await;
    let gid = v["response"]["id"].as_i64().unwrap();
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["message"], "Alice created group Team");
    post(
        &sb,
        &a,
        "/rest/ws/group/add/member",
        json!({"userId": "carl", "groupId": gid}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["message"], "Alice Ne carl ko add kiya");
    assert_eq!(env["message"]["contentType"], 10);
    assert_eq!(env["message"]["metadata"]["action"], "1");
    assert_eq!(env["message"]["metadata"]["hide"], "true");
    assert_eq!(env["notifyUser"], false, "HIDE makes it silent");
    post(
        &sb,
        &a,
        "/rest/ws/group/remove/member",
        json!({"userId": "carl", "groupId": gid}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(
        env["message"]["message"], "Alice removed carl",
        "blank template: default text, silent"
    );
    assert_eq!(env["message"]["metadata"]["show"], "false");
    post(
        &sb,
        &a,
        "/rest/ws/group/update",
        json!({"groupId": gid, "newName": "Crew", "users": [{"userId": "bob", "role": 2}]}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(
        env["message"]["message"],
        "Alice changed group name to Crew"
    );
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["message"], "Bob is moderator now");
    post(&sb, &b, "/rest/ws/group/left", json!({"groupId": gid})).await;
    let (_, v) = get(&sb, &a, &format!("/rest/ws/message/list?groupId={gid}")).await;
    assert_eq!(v["message"][0]["message"], "Bob left");
    assert_eq!(v["message"][0]["metadata"]["action"], "3");
}
