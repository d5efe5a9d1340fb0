//! Real-time: CONNECT auth and the envelopes a plain MQTT client sees with the SDK's settings.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

#[tokio::test]
async fn test_connect_requires_app_key_and_valid_jwt() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    assert!(mqtt_with(&sb, "c1", APP, &me.token, None, &[])
        .await
        .is_ok());
    assert!(mqtt_with(&sb, "c2", "other-app", &me.token, None, &[])
        .await
        .is_err());
    assert!(mqtt_with(&sb, "c3", APP, "garbage", None, &[])
        .await
        .is_err());
    let expired = sb.mint_token("me", parley_sandbox::clock::wall_ms() - 3 * 60_000, 2);
    assert!(mqtt_with(&sb, "c4", APP, &expired, None, &[])
        .await
        .is_err());
}

#[tokio::test]
async fn test_message_received_and_sent_envelopes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "ping"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();

    let (topic, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(topic, b.user_key);
    assert!(env["id"].is_string());
    assert_eq!(env["notifyUser"], true);
    let m = &env["message"];
    assert_eq!(m["message"], "ping");
    assert_eq!(m["type"], 4);
    assert_eq!(m["to"], "alice");
    assert_eq!(m["pairedMessageKey"], key);

    let (_, env) = alice_rt.expect("APPLOZIC_02").await;
    assert_eq!(env["message"]["key"], key);
    assert_eq!(
        env["message"]["deviceKey"], a.device_key,
        "lets the sending device ignore it"
    );
    assert_eq!(env["notifyUser"], false);
}

#[tokio::test]
async fn test_group_message_reaches_members_not_outsiders() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let eve = register(&sb, "eve", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let mut eve_rt = mqtt(&sb, &eve, std::slice::from_ref(&eve.user_key)).await;
    post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "team news"}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["groupId"], gid);
    assert_eq!(env["message"]["clientGroupId"], gid.to_string());
    assert_eq!(env["message"]["contactIds"], "alice");
    eve_rt.expect_none("APPLOZIC_01", 300).await;
}

#[tokio::test]
async fn test_message_status_publishes_become_delivered_and_read_envelopes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    let bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "ping"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();

    bob_rt
        .publish("message-status", &format!("bob,{key},4"))
        .await;
    let (_, env) = alice_rt.expect("APPLOZIC_04").await;
    assert_eq!(env["message"], format!("{key},bob"));

    // The SDKs send the pairedMessageKey with READ.
    bob_rt
        .publish("message-status", &format!("bob,{key},1"))
        .await;
    let (_, env) = alice_rt.expect("APPLOZIC_08").await;
    assert_eq!(env["message"], format!("{key},bob"));
    let (_, info) = get(&sb, &a, &format!("/rest/ws/message/info?key={key}")).await;
    assert_eq!(info["response"][0]["status"], 1);
}

#[tokio::test]
async fn test_rest_receipts_and_conversation_read_envelopes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "ping"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    get(&sb, &b, &format!("/rest/ws/message/read?key={key}")).await;
    let (_, env) = alice_rt.expect("APPLOZIC_08").await;
    assert_eq!(env["message"], format!("{key},bob"));

    get(&sb, &b, "/rest/ws/message/read/conversation?userId=alice").await;
    let (_, env) = alice_rt.expect("APPLOZIC_10").await;
    assert_eq!(env["message"], "bob");
    let (_, env) = bob_rt.expect("APPLOZIC_09").await;
    assert_eq!(env["message"], "alice");

    let gid = group(&sb, &a, "Team", &[&b]).await;
    get(
        &sb,
        &b,
        &format!("/rest/ws/message/read/conversation?groupId={gid}"),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_21").await;
    assert_eq!(env["message"], gid.to_string());
}

#[tokio::test]
async fn test_delete_for_all_publishes_message_deleted() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "oops"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    get(
        &sb,
        &a,
        &format!("/rest/ws/message/delete?key={key}&deleteForAll=true"),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_05").await;
    assert_eq!(env["message"], format!("{key},{gid},1"));
}

#[tokio::test]
async fn test_presence_connect_and_last_will_publish_connected_and_disconnected() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    group(&sb, &a, "Team", &[&b]).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    let bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    bob_rt
        .publish("status-v2", &format!("{},{},1", b.user_key, b.device_key))
        .await;
    let (_, env) = alice_rt.expect("APPLOZIC_11").await;
    assert_eq!(env["message"], "bob");
    let (_, detail) = get(&sb, &a, "/rest/ws/user/detail?userIds=bob").await;
    assert_eq!(detail[0]["connected"], true);

    // Drop the connection without DISCONNECT: the broker publishes the last will.
    drop(bob_rt);
    let (_, env) = alice_rt.expect("APPLOZIC_12").await;
    let text = env["message"].as_str().unwrap();
    let (user, last_seen) = text.split_once(',').unwrap();
    assert_eq!(user, "bob");
    assert!(last_seen.parse::<i64>().is_ok());
    let (_, status) = get(&sb, &a, "/rest/ws/user/status?lastSeenAt=0").await;
    let bob = assert_success(&status)
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "bob")
        .cloned()
        .unwrap();
    assert_eq!(bob["connected"], false);
}

#[tokio::test]
async fn test_typing_is_relayed_on_the_group_topic() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let topic = format!("typing-{APP}-{gid}");
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&topic)).await;
    let alice_rt = mqtt(&sb, &a, &[]).await;
    alice_rt.publish(&topic, &format!("{APP},alice,1")).await;
    assert_eq!(bob_rt.expect_raw(&topic).await, format!("{APP},alice,1"));
}

#[tokio::test]
async fn test_support_channel_carries_conversation_traffic_and_agent_availability() {
    let sb = start().await;
    let agent = agent(&sb, "agent@x.test").await;
    let customer = register(&sb, "cust", None).await;
    let mut agent_rt = mqtt(
        &sb,
        &agent,
        &[format!("support-channel-{APP}"), agent.user_key.clone()],
    )
    .await;
    let (_, v) = post(
        &sb,
        &customer,
        "/rest/ws/group/conversation",
        json!({"groupName": "Help", "groupMemberList": []}),
    )
    .await;
    let gid = assert_success(&v)["id"].as_i64().unwrap();
    post(
        &sb,
        &customer,
        "/rest/ws/message/send",
        json!({"groupId": gid, "message": "I need help"}),
    )
    .await;
    loop {
        let (topic, env) = agent_rt.expect("APPLOZIC_01").await;
        if topic == format!("support-channel-{APP}") {
            assert_eq!(env["message"]["message"], "I need help");
            break;
        }
    }
    // Away (2) via status-v2.
    agent_rt
        .publish(
            "status-v2",
            &format!("{},{},2", agent.user_key, agent.device_key),
        )
        .await;
    let (_, env) = agent_rt.expect("APPLOZIC_25").await;
    assert_eq!(env["message"], "agent@x.test,2");
}

#[tokio::test]
async fn test_group_changes_publish_sync_and_delete_envelopes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    post(
        &sb,
        &a,
        "/rest/ws/group/update",
        json!({"groupId": gid, "newName": "Renamed"}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_15").await;
    assert_eq!(env["message"], gid.to_string());
    get(&sb, &a, &format!("/rest/ws/group/delete?groupId={gid}")).await;
    let (_, env) = bob_rt.expect("APPLOZIC_23").await;
    assert_eq!(env["message"], gid.to_string());
}

#[tokio::test]
async fn test_user_update_mute_and_block_envelopes() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let gid = group(&sb, &a, "Team", &[&b]).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    post(
        &sb,
        &a,
        "/rest/ws/user/update",
        json!({"displayName": "Alice A."}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_30").await;
    assert_eq!(env["message"], "alice");

    post(
        &sb,
        &a,
        "/rest/ws/user/chat/mute?userId=bob&notificationAfterTime=9999999999999",
        json!({}),
    )
    .await;
    let (_, env) = alice_rt.expect("APPLOZIC_37").await;
    assert_eq!(env["message"], "bob:1");

    post(
        &sb,
        &a,
        "/rest/ws/group/user/update",
        json!({"groupId": gid, "notificationAfterTime": 1234}),
    )
    .await;
    let (_, env) = alice_rt.expect("APPLOZIC_39").await;
    assert_eq!(env["message"], format!("{gid}:1234"));

    get(&sb, &a, "/rest/ws/user/block?userId=bob").await;
    let (_, env) = bob_rt.expect("APPLOZIC_16").await;
    assert_eq!(env["message"], "BLOCKED_BY:alice");
    let (_, env) = alice_rt.expect("APPLOZIC_16").await;
    assert_eq!(env["message"], "BLOCKED_TO:bob");
}

#[tokio::test]
async fn test_metadata_update_publishes_message_metadata_update() {
    let sb = start().await;
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "x"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    bob_rt.expect("APPLOZIC_01").await;
    post(
        &sb,
        &a,
        "/rest/ws/message/update/metadata",
        json!({"key": key, "metadata": {"AL_DELETE_GROUP_MESSAGE_FOR_ALL": "true"}}),
    )
    .await;
    let (_, env) = bob_rt.expect("APPLOZIC_33").await;
    let m: &Value = &env["message"];
    assert_eq!(m["metadata"]["AL_DELETE_GROUP_MESSAGE_FOR_ALL"], "true");
}
