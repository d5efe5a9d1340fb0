//! Groups, contacts, rich sending, message actions and canned responses against the sandbox:
//! each action reaches the server, and the cache shows what the server now holds.

mod common;

use std::time::Duration;

use common::{agent, agent_as, eventually, sandbox, Customer};
use parley_client::ClientError;
use parley_core::model::{DeliveryState, Metadata, Role};
use parley_core::people::{ContactUpdate, GroupForm, GroupKind, GroupUpdate, NewConversationForm};
use parley_sandbox::SeedConfig;
use reqwest::Method;
use serde_json::Value;

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The group as a member sees it on the server.
async fn group_on_server(who: &Customer, group_id: i64) -> Value {
    let v = who
        .call(
            Method::GET,
            &format!("/rest/ws/group/v2/info?groupId={group_id}"),
            None,
        )
        .await;
    v.get("response").cloned().unwrap_or(v)
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["groupUsers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|u| !u["deleted"].as_bool().unwrap_or(false))
                .filter_map(|u| u["userId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_lifecycle_is_reflected_in_the_sandbox() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let c1 = sb.ready_info().customers[0].clone();
    let c2 = sb.ready_info().customers[1].clone();
    let colleague = sb.ready_info().agents[1].clone();
    let cust1 = Customer::sign_in(&sb, &c1.user_id, Some(&c1.password)).await;

    let g = a
        .client
        .create_group(&GroupForm {
            name: "  VIP escalations ".into(),
            kind: GroupKind::Private,
            members: vec![c1.user_id.clone(), c2.user_id.clone()],
            image_url: None,
            metadata: meta(&[("team", "billing")]),
        })
        .await
        .expect("group created");
    let gid = g.group_id.expect("a group id");
    assert_eq!(g.title, "VIP escalations");
    assert_eq!(g.group_type, 1);
    let on_server = group_on_server(&cust1, gid).await;
    assert_eq!(on_server["name"].as_str(), Some("VIP escalations"));
    let mut want = vec![a.user_id.clone(), c1.user_id.clone(), c2.user_id.clone()];
    want.sort();
    assert_eq!(member_ids(&on_server), want);
    assert!(
        g.members
            .iter()
            .any(|m| m.user_id == a.user_id && m.role == Role::Admin),
        "the agent is admin: {:?}",
        g.members
    );
    let listed = a.client.groups().await.unwrap();
    assert!(listed.iter().any(|c| c.id == g.id), "on the group screen");

    let renamed = a
        .client
        .update_group(
            &g.id,
            &GroupUpdate {
                name: Some("VIP".into()),
                image_url: None,
                metadata: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title, "VIP");
    assert_eq!(
        group_on_server(&cust1, gid).await["name"].as_str(),
        Some("VIP")
    );

    let with_colleague = a
        .client
        .add_group_member(&g.id, &colleague.user_id, Role::Moderator)
        .await
        .unwrap();
    assert!(with_colleague
        .members
        .iter()
        .any(|m| m.user_id == colleague.user_id && m.role == Role::Moderator));

    let without = a
        .client
        .remove_group_member(&g.id, &c2.user_id)
        .await
        .unwrap();
    assert!(!without.members.iter().any(|m| m.user_id == c2.user_id));
    assert!(!member_ids(&group_on_server(&cust1, gid).await).contains(&c2.user_id));

    // A moderator may not delete: the platform's refusal reaches the agent, nothing changes.
    let b = agent_as(
        &sb,
        sb.http_url(),
        sb.mqtt_url(),
        &colleague.user_id,
        &colleague.password,
    )
    .await;
    let err = b.client.delete_group(&g.id).await.unwrap_err();
    assert!(matches!(err, ClientError::Forbidden(_)), "{err:?}");
    let shown = err.to_app_error().message;
    assert!(shown.contains("The server says"), "{shown}");
    assert_eq!(
        group_on_server(&cust1, gid).await["name"].as_str(),
        Some("VIP")
    );

    a.client.mute(&g.id, Some(4_102_444_800_000)).await.unwrap();
    assert_eq!(
        a.client
            .conversation(&g.id)
            .await
            .unwrap()
            .unwrap()
            .muted_until,
        Some(4_102_444_800_000)
    );

    a.client.delete_group(&g.id).await.unwrap();
    assert!(a.client.conversation(&g.id).await.unwrap().is_none());
    assert!(!a
        .client
        .groups()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == g.id));
    a.client.stop().await;
    b.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_bad_group_forms_never_reach_the_server() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let before = a.client.groups().await.unwrap().len();
    for form in [
        GroupForm {
            name: " ".into(),
            kind: GroupKind::Public,
            members: vec![],
            image_url: None,
            metadata: Metadata::new(),
        },
        GroupForm {
            name: "x".into(),
            kind: GroupKind::Open,
            members: vec![],
            image_url: Some("javascript:alert(1)".into()),
            metadata: Metadata::new(),
        },
    ] {
        let e = a.client.create_group(&form).await.unwrap_err();
        assert!(
            matches!(
                e,
                ClientError::Invalid(_) | ClientError::InvalidField { .. }
            ),
            "{e:?}"
        );
    }
    assert_eq!(a.client.groups().await.unwrap().len(), before);
    // The refusal names its form field, so the UI can show it beside the name box.
    let nameless = a
        .client
        .create_group(&GroupForm {
            name: " ".into(),
            kind: GroupKind::Public,
            members: vec![],
            image_url: None,
            metadata: Metadata::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(nameless.to_app_error().field.as_deref(), Some("name"));
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_agent_edits_a_customer_profile_and_the_sandbox_stores_it() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let cust = sb.ready_info().customers[0].user_id.clone();
    let saved = a
        .client
        .update_contact(
            &cust,
            &ContactUpdate {
                display_name: Some("Ada Byron".into()),
                email: Some("ada@example.org".into()),
                phone: Some("+44 20 7946 0000".into()),
                image_url: None,
                metadata: meta(&[("plan", "gold")]),
            },
        )
        .await
        .expect("profile saved");
    assert_eq!(saved.display_name.as_deref(), Some("Ada Byron"));
    // Read back from the server, not the cache.
    let fresh = a
        .client
        .rest()
        .unwrap()
        .user_details_v2(std::slice::from_ref(&cust), &[])
        .await
        .unwrap();
    let d = fresh.first().expect("the customer");
    assert_eq!(d.display_name.as_deref(), Some("Ada Byron"));
    assert_eq!(d.email.as_deref(), Some("ada@example.org"));
    assert_eq!(d.metadata.get("plan").map(String::as_str), Some("gold"));

    let profile = a.client.contact_profile(&cust).await.unwrap();
    assert!(profile.fresh);
    assert_eq!(profile.contact.email.as_deref(), Some("ada@example.org"));
    assert_eq!(profile.blocked, Some(false));
    a.client.set_blocked(&cust, true).await.unwrap();
    assert_eq!(
        a.client.contact_profile(&cust).await.unwrap().blocked,
        Some(true)
    );
    a.client.set_blocked(&cust, false).await.unwrap();
    assert_eq!(
        a.client.contact_profile(&cust).await.unwrap().blocked,
        Some(false)
    );

    let bad = a
        .client
        .update_contact(
            &cust,
            &ContactUpdate {
                email: Some("not-an-address".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            bad,
            ClientError::Invalid(_) | ClientError::InvalidField { .. }
        ),
        "{bad:?}"
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_rich_messages_are_stored_with_the_documented_metadata() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let c = sb.ready_info().customers[0].clone();
    let customer = Customer::sign_in(&sb, &c.user_id, Some(&c.password)).await;
    let group = customer.start_conversation("Plans", &a.user_id).await;
    let conv = format!("g:{group}");
    eventually(10, "conversation cached", || async {
        a.client.conversation(&conv).await.unwrap().is_some()
    })
    .await;
    let payload = r#"[{"title":"Gold","subtitle":"$10","buttons":[{"name":"Buy","action":{"type":"link","payload":{"url":"https://example.com/gold"}}}]}]"#;
    let key = a
        .client
        .send_rich(
            &conv,
            "Our plans",
            0,
            meta(&[
                ("contentType", "300"),
                ("templateId", "10"),
                ("payload", payload),
            ]),
        )
        .await
        .unwrap();
    let refused = a
        .client
        .send_rich(
            &conv,
            "broken",
            0,
            meta(&[
                ("contentType", "300"),
                ("templateId", "10"),
                ("payload", "{"),
            ]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ClientError::Invalid(_) | ClientError::InvalidField { .. }
        ),
        "{refused:?}"
    );
    eventually(15, "the card reaches the sandbox", || async {
        let m = customer
            .call(
                Method::GET,
                &format!("/rest/ws/message/list?groupId={group}&pageSize=50"),
                None,
            )
            .await;
        m["message"].as_array().is_some_and(|list| {
            list.iter().any(|x| {
                x["message"].as_str() == Some("Our plans")
                    && x["metadata"]["contentType"].as_str() == Some("300")
                    && x["metadata"]["templateId"].as_str() == Some("10")
                    && x["metadata"]["payload"]
                        .as_str()
                        .and_then(|p| serde_json::from_str::<Value>(p).ok())
                        .is_some_and(|p| p[0]["title"] == "Gold")
            })
        })
    })
    .await;
    let list = customer
        .call(
            Method::GET,
            &format!("/rest/ws/message/list?groupId={group}&pageSize=50"),
            None,
        )
        .await;
    let broken = list["message"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["message"].as_str() == Some("broken"))
        .count();
    assert_eq!(broken, 0, "a refused message never leaves");

    // Message info lists the customer; delete for everyone marks it on the server.
    let mut server_key = None;
    for _ in 0..100 {
        let t = a.client.timeline(&conv, None, 50).await.unwrap();
        server_key = t
            .iter()
            .find(|m| m.text == "Our plans" && m.state >= DeliveryState::Sent)
            .map(|m| m.key.clone());
        if server_key.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let server_key = server_key.expect("the card confirmed");
    assert_ne!(server_key, key, "the echo took the server's key");
    let info = a.client.message_info(&server_key).await.unwrap();
    assert!(info.iter().any(|r| r.user_id == c.user_id), "{info:?}");
    a.client.delete_message(&server_key, true).await.unwrap();
    assert!(a
        .client
        .timeline(&conv, None, 50)
        .await
        .unwrap()
        .iter()
        .all(|m| m.key != server_key));
    let list = customer
        .call(
            Method::GET,
            &format!("/rest/ws/message/list?groupId={group}&pageSize=50"),
            None,
        )
        .await;
    let still_there = list["message"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["key"].as_str() == Some(server_key.as_str()));
    assert!(!still_there, "gone for the customer too: {list}");
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_start_conversation_with_assignee_and_first_message() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let c = sb.ready_info().customers[2].clone();
    let conv = a
        .client
        .start_conversation(&NewConversationForm {
            customer_id: c.user_id.clone(),
            title: Some("Your order".into()),
            assignee: Some(a.user_id.clone()),
            skip_routing: true,
            message: Some("Hello from support".into()),
        })
        .await
        .unwrap();
    assert_eq!(conv.title, "Your order");
    assert_eq!(conv.assignee.as_deref(), Some(a.user_id.as_str()));
    assert_eq!(conv.customer_id.as_deref(), Some(c.user_id.as_str()));
    let customer = Customer::sign_in(&sb, &c.user_id, Some(&c.password)).await;
    let gid = conv.group_id.unwrap();
    eventually(15, "the first message reaches the customer", || async {
        let m = customer
            .call(
                Method::GET,
                &format!("/rest/ws/message/list?groupId={gid}&pageSize=20"),
                None,
            )
            .await;
        m["message"].as_array().is_some_and(|l| {
            l.iter()
                .any(|x| x["message"].as_str() == Some("Hello from support"))
        })
    })
    .await;
    let history = a.client.contact_profile(&c.user_id).await.unwrap();
    assert!(history.conversations.iter().any(|x| x.id == conv.id));
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_start_conversation_without_assignee_lets_routing_choose() {
    // Agents but no conversations: every agent starts with nothing assigned, so the
    // platform's routing (least-loaded agent) gives two new conversations to two different
    // agents. Passing the starting agent as a member made them the assignee every time.
    let sb = sandbox(SeedConfig::Scale {
        conversations: 0,
        messages: 0,
    })
    .await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let start = |customer: &'static str| {
        let client = a.client.clone();
        async move {
            client
                .start_conversation(&NewConversationForm {
                    customer_id: customer.into(),
                    title: Some(format!("Routed for {customer}")),
                    assignee: None,
                    skip_routing: false,
                    message: None,
                })
                .await
                .unwrap()
        }
    };
    let first = start("routed-one").await;
    let second = start("routed-two").await;
    let agents: Vec<String> = sb
        .ready_info()
        .agents
        .iter()
        .map(|c| c.user_id.clone())
        .collect();
    for conv in [&first, &second] {
        let who = conv.assignee.clone().expect("routing assigned someone");
        assert!(agents.contains(&who), "{who} is not an agent");
    }
    assert_ne!(
        first.assignee, second.assignee,
        "routing (least-loaded agent) decides, not the agent who started them"
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_canned_responses_persist_and_shortcuts_stay_unique() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let hi = a
        .client
        .save_canned_response(None, "/hi", "Hi {{customer.name}}, I'm {{agent.name}}.")
        .await
        .unwrap();
    assert_eq!(hi.shortcut, "hi");
    let dup = a
        .client
        .save_canned_response(None, "HI", "again")
        .await
        .unwrap_err();
    assert!(
        matches!(
            dup,
            ClientError::Invalid(_) | ClientError::InvalidField { .. }
        ),
        "{dup:?}"
    );
    let edited = a
        .client
        .save_canned_response(Some(&hi.id), "hello", "Hello!")
        .await
        .unwrap();
    assert_eq!(edited.id, hi.id);
    let all = a.client.canned_responses().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].text, "Hello!");
    a.client.delete_canned_response(&hi.id).await.unwrap();
    assert!(a.client.canned_responses().await.unwrap().is_empty());
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_clear_cache_refetches_conversations() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let q = parley_core::store::InboxQuery {
        view: parley_core::model::InboxView::All,
        sort: parley_core::model::InboxSort::Newest,
        offset: 0,
        limit: 500,
    };
    eventually(20, "first sync", || async {
        !a.client.inbox(q).await.unwrap().is_empty()
    })
    .await;
    let before = a.client.counts().await.unwrap().all;
    a.client
        .save_canned_response(None, "bye", "Bye!")
        .await
        .unwrap();
    a.client.clear_cache().await.unwrap();
    eventually(30, "the inbox comes back", || async {
        a.client.counts().await.unwrap().all == before
    })
    .await;
    assert_eq!(a.client.canned_responses().await.unwrap().len(), 1);
    a.client.stop().await;
}
