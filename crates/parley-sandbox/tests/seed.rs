//! Seed data: demo content and determinism, scale generation, the simulator.

mod common;

use common::*;
use parley_sandbox::{SandboxConfig, SeedConfig};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::Value;

async fn fingerprint(
    sb: &parley_sandbox::Sandbox,
) -> Vec<(String, Option<i64>, Option<String>, String)> {
    sqlx::query_as(
        "SELECT c.name, c.status, c.assignee, \
                COALESCE((SELECT group_concat(body, '|') FROM (SELECT body FROM messages m WHERE m.channel_id = c.id ORDER BY created_at)), '') \
         FROM channels c ORDER BY c.id",
    )
    .fetch_all(&sb.state().db)
    .await
    .unwrap()
}

#[tokio::test]
async fn test_demo_seed_has_agents_customers_and_conversations_in_every_status() {
    let sb = start_demo().await;
    let db = &sb.state().db;
    let (agents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role_type = 8")
        .fetch_one(db)
        .await
        .unwrap();
    let (bots,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role_type = 1")
        .fetch_one(db)
        .await
        .unwrap();
    let (customers,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role_type = 3")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!((agents, bots, customers), (3, 1, 150));
    let (support,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM channels WHERE type = 10")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(support, 400);
    let (ordinary,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM channels WHERE type <> 10")
        .fetch_one(db)
        .await
        .unwrap();
    assert!(ordinary >= 3);
    let statuses: Vec<(i64,)> =
        sqlx::query_as("SELECT DISTINCT status FROM channels WHERE type = 10 ORDER BY status")
            .fetch_all(db)
            .await
            .unwrap();
    let statuses: Vec<i64> = statuses.into_iter().map(|(s,)| s).collect();
    assert_eq!(statuses, [-1, 0, 1, 2, 3, 4, 5, 6, 7]);
    let assignees: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT DISTINCT assignee FROM channels WHERE type = 10")
            .fetch_all(db)
            .await
            .unwrap();
    assert_eq!(assignees.len(), 5, "3 agents, the bot and unassigned");
    for (sql, what) in [
        (
            "SELECT COUNT(*) FROM messages WHERE content_type = 3",
            "HTML",
        ),
        (
            "SELECT COUNT(*) FROM messages WHERE json_extract(metadata, '$.contentType') = '300'",
            "rich",
        ),
        (
            "SELECT COUNT(*) FROM messages WHERE content_type = 1 AND file_meta IS NOT NULL",
            "attachments",
        ),
        (
            "SELECT COUNT(*) FROM messages WHERE content_type = 10",
            "status changes",
        ),
        (
            "SELECT COUNT(*) FROM messages WHERE recipient_id IS NOT NULL",
            "1:1",
        ),
    ] {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db).await.unwrap();
        assert!(n > 0, "{what}");
    }
    let templates: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT json_extract(metadata, '$.templateId') FROM messages WHERE json_extract(metadata, '$.contentType') = '300'").fetch_all(db).await.unwrap();
    assert!(
        templates.len() >= 4,
        "suggested replies, buttons, cards, lists"
    );

    // Attachments can be downloaded.
    let (fm,): (String,) =
        sqlx::query_as("SELECT file_meta FROM messages WHERE file_meta IS NOT NULL LIMIT 1")
            .fetch_one(db)
            .await
            .unwrap();
    let fm: Value = serde_json::from_str(&fm).unwrap();
    let res = http()
        .get(fm["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The ready line lists agents with working passwords.
    let info = sb.ready_info();
    assert_eq!(info.agents.len(), 3);
    let a = &info.agents[0];
    register(&sb, &a.user_id, Some(&a.password)).await;
    let c = &info.customers[0];
    register(&sb, &c.user_id, Some(&c.password)).await;
}

#[tokio::test]
async fn test_demo_seed_is_deterministic() {
    let one = start_demo().await;
    let two = start_demo().await;
    let a = fingerprint(&one).await;
    let b = fingerprint(&two).await;
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two demo seeds differ");
}

#[tokio::test]
async fn test_demo_customer_sync_sees_their_conversations() {
    let sb = start_demo().await;
    let c = register(&sb, "customer-001", Some("customer-password")).await;
    let (_, v) = get(
        &sb,
        &c,
        "/rest/ws/message/list?startIndex=0&mainPageSize=100",
    )
    .await;
    let msgs = v["message"].as_array().unwrap();
    let (own,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM channel_users WHERE user_id = 'customer-001'")
            .fetch_one(&sb.state().db)
            .await
            .unwrap();
    assert_eq!(msgs.len() as i64, own);
    assert!(v["groupFeeds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["type"] == 10));
}

#[tokio::test]
async fn test_scale_seed_generates_requested_counts() {
    let mut config = SandboxConfig::for_tests();
    config.seed = SeedConfig::Scale {
        conversations: 1_000,
        messages: 10_000,
    };
    let sb = start_with(config).await;
    let db = &sb.state().db;
    let (convs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM channels WHERE type = 10")
        .fetch_one(db)
        .await
        .unwrap();
    let (msgs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!((convs, msgs), (1_000, 10_000));
    let (bad,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM channels c WHERE c.last_message_at <> (SELECT MAX(created_at) FROM messages m WHERE m.channel_id = c.id)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(bad, 0, "last_message_at matches the messages");
    let alice = register(&sb, "alice@parley.test", Some("agent-password")).await;
    let (status, v) = get(
        &sb,
        &alice,
        "/rest/ws/group/support/assigned?userId=alice@parley.test&pageSize=25&status=0",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["response"]["groupFeeds"].as_array().unwrap().len(), 25);
    assert_eq!(v["response"]["message"].as_array().unwrap().len(), 25);
    // New writes land after the seeded data.
    let (_, s) = get(
        &sb,
        &alice,
        "/rest/ws/message/sync?lastSyncTime=0&pageSize=1",
    )
    .await;
    assert_eq!(s["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn test_simulator_sends_customer_messages_and_typing() {
    let mut config = SandboxConfig::for_tests();
    config.seed = SeedConfig::Demo;
    config.simulate = Some(40.0);
    let sb = start_with(config).await;
    let alice = register(&sb, "alice@parley.test", Some("agent-password")).await;
    // Typing topics are flat names, so a wildcard subscription sees them all.
    let mut rt = mqtt(&sb, &alice, &["#".to_owned()]).await;
    let (_, env) = rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["type"], 4);
    assert!(env["message"]["groupId"].is_i64());
    let typing = loop {
        let (topic, text) = rt.rx.recv().await.unwrap();
        if topic.starts_with("typing-") {
            break text;
        }
    };
    assert!(typing.starts_with(&format!("{APP},customer-")));
}

#[tokio::test]
async fn test_ready_line_lists_ten_customers_with_passwords() {
    let sb = start_demo().await;
    let customers = &sb.ready_info().customers;
    assert_eq!(customers.len(), 10);
    let last = &customers[9];
    assert_eq!(last.user_id, "customer-010");
    register(&sb, &last.user_id, Some(&last.password)).await;
    let line = serde_json::to_value(sb.ready_info()).unwrap();
    for key in [
        "ready",
        "http",
        "mqtt",
        "applicationId",
        "apiKey",
        "agents",
        "customers",
    ] {
        assert!(line.get(key).is_some(), "{key}");
    }
}
