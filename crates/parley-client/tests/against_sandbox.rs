//! The client core against the sandbox: sign-in, first sync, real-time, replies, the send
//! queue offline, reconnect catch-up, token refresh, hostile envelopes, typing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use parley_client::{sign_in, ClientError, ClientEvent, MemorySecrets, SecretKind, SecretStore};
use parley_core::model::{
    ConnectionState, ConversationStatus, DeliveryState, InboxSort, InboxView,
};
use parley_core::store::{InboxQuery, Store};
use parley_core::SignInRole;
use parley_sandbox::SeedConfig;

fn all_open() -> InboxQuery {
    InboxQuery {
        view: InboxView::All,
        sort: InboxSort::Newest,
        offset: 0,
        limit: 500,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_agent_sign_in_keeps_secrets_out_of_the_cache() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let acc = a.client.account().clone();
    assert_eq!(acc.user_id, a.user_id);
    assert!(acc.is_agent);
    for kind in [
        SecretKind::DeviceKey,
        SecretKind::AuthToken,
        SecretKind::Password,
    ] {
        assert!(
            a.secrets.get(&acc.id, kind).unwrap().is_some(),
            "{kind:?} kept"
        );
    }
    a.client.wait_online(Duration::from_secs(20)).await.unwrap();
    // Nothing secret in the SQLite cache.
    let db: Vec<(String,)> = sqlx::query_as("SELECT group_concat(endpoints) FROM accounts")
        .fetch_all(a.store.pool())
        .await
        .unwrap();
    let blob = format!("{db:?}");
    for kind in [
        SecretKind::DeviceKey,
        SecretKind::AuthToken,
        SecretKind::Password,
    ] {
        let s = a.secrets.get(&acc.id, kind).unwrap().unwrap();
        assert!(!blob.contains(s.expose()));
    }
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sign_in_errors_are_told_apart() {
    let sb = sandbox(SeedConfig::Demo).await;
    let creds = sb.ready_info().agents[0].clone();
    let http = parley_client::http::http_client().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());

    let wrong = form(
        sb.http_url(),
        sb.mqtt_url(),
        sb.application_id(),
        &creds.user_id,
        "not-it",
        SignInRole::Agent,
    )
    .validate()
    .unwrap();
    let e = sign_in(&http, &wrong, secrets.clone()).await.err().unwrap();
    assert_eq!(e, ClientError::InvalidCredentials);

    let unknown_app = form(
        sb.http_url(),
        sb.mqtt_url(),
        "no-such-app",
        &creds.user_id,
        &creds.password,
        SignInRole::AppUser,
    )
    .validate()
    .unwrap();
    let e = sign_in(&http, &unknown_app, secrets.clone())
        .await
        .err()
        .unwrap();
    assert!(matches!(e, ClientError::UnknownApplication(_)), "{e:?}");

    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = form(
        &format!("http://127.0.0.1:{port}"),
        sb.mqtt_url(),
        sb.application_id(),
        &creds.user_id,
        &creds.password,
        SignInRole::Agent,
    )
    .validate()
    .unwrap();
    let e = sign_in(&http, &nowhere, secrets).await.err().unwrap();
    assert!(matches!(e, ClientError::Network { .. }), "{e:?}");
    assert!(e.to_app_error().message.contains("Can't reach"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_first_sync_fills_inbox_and_counts_from_demo_data() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let counts = a.client.counts().await.unwrap();
    assert!(counts.all > 20, "open conversations cached: {counts:?}");
    assert!(counts.closed > 0, "closed conversations cached: {counts:?}");
    assert!(counts.assigned_to_me > 0, "{counts:?}");
    let rows = a.client.inbox(all_open()).await.unwrap();
    assert_eq!(rows.len() as i64, counts.all.min(500));
    assert!(rows
        .windows(2)
        .all(|w| w[0].last_activity_at >= w[1].last_activity_at));
    assert!(rows.iter().any(|c| c.last_message_preview.is_some()));
    // A conversation's history loads from the server when the cache has little.
    let first = &rows[0];
    let tl = a.client.timeline(&first.id, None, 50).await.unwrap();
    assert!(!tl.is_empty());
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_agents_list_offers_every_demo_agent_and_assigning_to_one_reaches_the_sandbox() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let agents = a.client.agents().await.unwrap();
    let ids: Vec<&str> = agents.iter().map(|x| x.user_id.as_str()).collect();
    for creds in &sb.ready_info().agents {
        assert!(
            ids.contains(&creds.user_id.as_str()),
            "{} in {ids:?}",
            creds.user_id
        );
    }
    assert!(
        !ids.contains(&sb.ready_info().bot.user_id.as_str()),
        "no bots: {ids:?}"
    );
    let customers: Vec<&str> = sb
        .ready_info()
        .customers
        .iter()
        .map(|c| c.user_id.as_str())
        .collect();
    assert!(ids.iter().all(|i| !customers.contains(i)), "no customers");
    let names: Vec<String> = agents
        .iter()
        .map(|x| x.name.clone().unwrap_or_default().to_lowercase())
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] <= w[1]),
        "sorted by name: {names:?}"
    );

    // Assign a conversation to a colleague from that list.
    let colleague = agents
        .iter()
        .find(|x| x.user_id != a.user_id)
        .expect("a colleague");
    let cust = sb.ready_info().customers[0].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Hand over", &a.user_id).await;
    let conv_id = format!("g:{group}");
    eventually(10, "the conversation in the cache", || async {
        a.client.conversation(&conv_id).await.unwrap().is_some()
    })
    .await;
    a.client.assign(&conv_id, &colleague.user_id).await.unwrap();
    let info = customer
        .call(
            reqwest::Method::GET,
            &format!("/rest/ws/group/info?groupId={group}"),
            None,
        )
        .await;
    let info = info.get("response").unwrap_or(&info);
    assert_eq!(
        info["metadata"]["CONVERSATION_ASSIGNEE"].as_str(),
        Some(colleague.user_id.as_str())
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_first_sync_open_count_matches_what_the_server_lists_as_open() {
    use parley_client::api::SupportFilter;
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let mut open = std::collections::HashSet::new();
    let mut last = None;
    loop {
        let page = a
            .client
            .rest()
            .unwrap()
            .support_page(SupportFilter::Open, None, last, 50)
            .await
            .unwrap();
        let n = page.page.group_feeds.len();
        open.extend(page.page.group_feeds.iter().map(|g| g.id));
        if n < 50 || Some(page.last_fetch_time) == last {
            break;
        }
        last = Some(page.last_fetch_time);
    }
    let counts = a.client.counts().await.unwrap();
    let cached: Vec<String> = a
        .client
        .inbox(InboxQuery {
            limit: 1000,
            ..all_open()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let extra: Vec<&String> = cached
        .iter()
        .filter(|id| !open.contains(&id.trim_start_matches("g:").parse::<i64>().unwrap_or(-1)))
        .collect();
    assert!(
        extra.is_empty(),
        "open in the cache, not on the server: {extra:?}"
    );
    assert_eq!(counts.all as usize, open.len(), "{counts:?}");
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_customer_message_arrives_live_and_reply_reaches_sandbox_once() {
    let sb = sandbox(SeedConfig::Demo).await;
    let mut a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[0].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer
        .start_conversation("Parcel never arrived", &a.user_id)
        .await;
    let conv_id = format!("g:{group}");
    let started = std::time::Instant::now();
    customer.send(group, "Hello, my parcel never arrived").await;

    // Live: the message is in the cache and a notification intent names the customer.
    let mut notified = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline && !notified {
        if let Ok(Ok(ClientEvent::Notify(n))) =
            tokio::time::timeout(Duration::from_millis(200), a.events.recv()).await
        {
            notified = n.conversation_id == conv_id;
        }
    }
    assert!(notified, "a notification intent for the new message");
    let tl = a.client.timeline(&conv_id, None, 50).await.unwrap();
    assert!(tl
        .iter()
        .any(|m| m.text == "Hello, my parcel never arrived"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "arrived in {:?}",
        started.elapsed()
    );

    // Reply: queued at once, then sent exactly once.
    let key = a
        .client
        .send_text(
            &conv_id,
            "Sorry about that! Checking now.",
            0,
            Default::default(),
        )
        .await
        .unwrap();
    let echo = a
        .store
        .message(&a.client.account().id, &key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo.state, DeliveryState::Queued);
    eventually(10, "the reply confirmed", || async {
        a.client.outbox().await.unwrap().is_empty()
    })
    .await;
    let thread = customer.thread(group).await;
    let copies = thread
        .iter()
        .filter(|(t, _)| t == "Sorry about that! Checking now.")
        .count();
    assert_eq!(copies, 1);
    let tl = a.client.timeline(&conv_id, None, 50).await.unwrap();
    let mine: Vec<_> = tl
        .iter()
        .filter(|m| m.text == "Sorry about that! Checking now.")
        .collect();
    assert_eq!(mine.len(), 1, "one copy in the timeline: {tl:#?}");
    assert!(mine[0].state >= DeliveryState::Sent);

    // Resolve: the sandbox status is 2 and the conversation moves to closed.
    a.client
        .set_status(&conv_id, ConversationStatus::Resolved)
        .await
        .unwrap();
    let c = a.client.conversation(&conv_id).await.unwrap().unwrap();
    assert_eq!(c.status, ConversationStatus::Resolved);
    let info = a.client.rest().unwrap().group_info(group).await.unwrap();
    assert_eq!(
        info.metadata.get("CONVERSATION_STATUS").map(String::as_str),
        Some("2")
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_replies_written_offline_are_sent_once_in_order_after_reconnect() {
    let sb = sandbox(SeedConfig::Demo).await;
    let (a, http_proxy, mqtt_proxy) = proxied_agent(&sb).await;
    let cust = sb.ready_info().customers[1].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer
        .start_conversation("Offline replies", &a.user_id)
        .await;
    let conv_id = format!("g:{group}");

    http_proxy.cut();
    mqtt_proxy.cut();
    eventually(10, "offline", || async {
        matches!(
            *a.client.connection().borrow(),
            ConnectionState::Offline { .. }
        )
    })
    .await;
    for i in 0..100 {
        a.client
            .send_text(
                &conv_id,
                &format!("offline reply {i:03}"),
                0,
                Default::default(),
            )
            .await
            .unwrap();
    }
    assert_eq!(a.client.outbox().await.unwrap().len(), 100);
    http_proxy.restore();
    mqtt_proxy.restore();
    eventually(60, "the queue drained", || async {
        a.client.outbox().await.unwrap().is_empty()
    })
    .await;
    let thread = customer.thread(group).await;
    // (reply number, server time). The server lists same-millisecond messages in any order,
    // so order is checked on the server's timestamps: reply n+1 never arrived before reply n.
    let mut sent: Vec<(usize, i64)> = thread
        .iter()
        .filter_map(|(t, m)| {
            let n = t.strip_prefix("offline reply ")?.parse().ok()?;
            Some((n, m["createdAtTime"].as_i64().unwrap_or(0)))
        })
        .collect();
    sent.sort_unstable();
    let numbers: Vec<usize> = sent.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (0..100).collect::<Vec<_>>(), "all 100, once each");
    assert!(
        sent.windows(2).all(|w| w[0].1 <= w[1].1),
        "sent in order: {sent:?}"
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_reconnect_fills_gap_from_cursor() {
    let sb = sandbox(SeedConfig::Demo).await;
    let (a, http_proxy, mqtt_proxy) = proxied_agent(&sb).await;
    let cust = sb.ready_info().customers[2].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer
        .start_conversation("While you were away", &a.user_id)
        .await;
    let conv_id = format!("g:{group}");

    // The broker link goes down while the customer sends 500 messages.
    mqtt_proxy.cut();
    for i in 0..500 {
        customer.send(group, &format!("gap message {i:03}")).await;
    }
    mqtt_proxy.restore();
    let _ = &http_proxy;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    eventually(30, "all 500 cached", || async {
        let tl = a
            .client
            .store()
            .timeline(&a.client.account().id, &conv_id, None, 1000)
            .await
            .unwrap();
        tl.iter()
            .filter(|m| m.text.starts_with("gap message"))
            .count()
            >= 200
    })
    .await;
    let tl = a
        .store
        .timeline(&a.client.account().id, &conv_id, None, 1000)
        .await
        .unwrap();
    let texts: Vec<&str> = tl
        .iter()
        .map(|m| m.text.as_str())
        .filter(|t| t.starts_with("gap"))
        .collect();
    let expected: Vec<String> = (0..500).map(|i| format!("gap message {i:03}")).collect();
    assert_eq!(texts, expected, "each exactly once, in order");
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_expired_token_is_refreshed_without_the_user_noticing() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let acc = a.client.account().clone();
    // Replace the session's token with one that expired an hour ago.
    let expired = sb.mint_token(
        &acc.user_id,
        parley_client::http::now_ms() - 3 * 3600 * 1000,
        60,
    );
    let session = parley_client::Session::new(
        acc.id.clone(),
        acc.app_key.clone(),
        acc.user_id.clone(),
        acc.user_key.clone(),
        true,
        a.secrets
            .get(&acc.id, SecretKind::DeviceKey)
            .unwrap()
            .unwrap(),
        parley_core::Secret::new(expired.clone()),
        None,
        a.secrets.clone(),
    );
    let rest = parley_client::http::RestClient::new(
        parley_client::http::http_client().unwrap(),
        acc.endpoints.clone(),
        Arc::new(session),
    );
    let feed = rest
        .message_sync(0)
        .await
        .expect("the call works after a silent refresh");
    let _ = feed;
    let fresh = rest.session.token().await;
    assert_ne!(fresh.expose(), expired);
    assert_eq!(
        a.secrets
            .get(&acc.id, SecretKind::AuthToken)
            .unwrap()
            .unwrap()
            .expose(),
        fresh.expose()
    );
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_malformed_envelopes_are_skipped_and_typing_is_relayed() {
    let sb = sandbox(SeedConfig::Demo).await;
    let mut a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let acc = a.client.account().clone();
    let cust = sb.ready_info().customers[3].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Hostile", &a.user_id).await;
    let conv_id = format!("g:{group}");
    a.client.watch_typing(&conv_id).await;

    // A raw MQTT client with the SDK's CONNECT settings publishes junk to the agent's topic.
    let token = sb.mint_token(&cust.user_id, parley_client::http::now_ms(), 60);
    let (host, port) = sb.mqtt_addr();
    let mut opts = rumqttc::MqttOptions::new(format!("{}-raw", cust.user_id), host, port);
    opts.set_credentials(sb.application_id(), token);
    let (raw, mut el) = rumqttc::AsyncClient::new(opts, 16);
    tokio::spawn(async move { while el.poll().await.is_ok() {} });
    for junk in [
        &b"not json"[..],
        b"{\"type\":\"APPLOZIC_04\",\"message\":{}}",
        b"{\"type\":\"APPLOZIC_99\",\"message\":\"x\"}",
        &[0xff, 0xfe, 0x00][..],
    ] {
        raw.publish(
            acc.user_key.clone(),
            rumqttc::QoS::AtMostOnce,
            false,
            junk.to_vec(),
        )
        .await
        .unwrap();
    }
    raw.publish(
        format!("typing-{}-{group}", sb.application_id()),
        rumqttc::QoS::AtMostOnce,
        false,
        format!("{},{},1", sb.application_id(), cust.user_id),
    )
    .await
    .unwrap();
    let mut saw_typing = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline && !saw_typing {
        if let Ok(Ok(ClientEvent::Typing {
            conversation_id,
            user_id,
            typing,
        })) = tokio::time::timeout(Duration::from_millis(200), a.events.recv()).await
        {
            saw_typing = conversation_id == conv_id && user_id == cust.user_id && typing;
        }
    }
    assert!(saw_typing, "typing relayed");
    // Still online, still ingesting.
    customer.send(group, "after the junk").await;
    eventually(5, "message after junk", || async {
        a.client
            .store()
            .timeline(&acc.id, &conv_id, None, 50)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text == "after the junk")
    })
    .await;
    assert_eq!(*a.client.connection().borrow(), ConnectionState::Online);
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_repeated_notification_id_is_handled_once() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let acc = a.client.account().clone();
    let cust = sb.ready_info().customers[5].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Twice", &a.user_id).await;
    let conv_id = format!("g:{group}");

    let token = sb.mint_token(&cust.user_id, parley_client::http::now_ms(), 60);
    let (host, port) = sb.mqtt_addr();
    let mut opts = rumqttc::MqttOptions::new(format!("{}-raw", cust.user_id), host, port);
    opts.set_credentials(sb.application_id(), token);
    let (raw, mut el) = rumqttc::AsyncClient::new(opts, 16);
    tokio::spawn(async move { while el.poll().await.is_ok() {} });
    // The same notification id twice (the second carrying another message, so a repeat that
    // got through would show), then a new one; one connection keeps their order.
    let now = parley_client::http::now_ms();
    for (id, key, text) in [
        ("n-1", "5-twice-1", "first copy"),
        ("n-1", "5-twice-2", "repeat that must be dropped"),
        ("n-2", "5-twice-3", "next notification"),
    ] {
        let envelope = serde_json::json!({
            "id": id,
            "type": "APPLOZIC_01",
            "notifyUser": true,
            "message": {
                "key": key, "groupId": group, "contactIds": cust.user_id, "message": text,
                "contentType": 0, "type": 4, "status": 3, "source": 1,
                "createdAtTime": now, "metadata": {},
            },
        });
        raw.publish(
            acc.user_key.clone(),
            rumqttc::QoS::AtMostOnce,
            false,
            serde_json::to_vec(&envelope).unwrap(),
        )
        .await
        .unwrap();
    }
    eventually(5, "the next notification is cached", || async {
        a.store
            .message(&acc.id, "5-twice-3")
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert!(a
        .store
        .message(&acc.id, "5-twice-1")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        a.store.message(&acc.id, "5-twice-2").await.unwrap(),
        None,
        "the repeated id was dropped"
    );
    let _ = conv_id;
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_token_rejected_by_server_is_refreshed_on_401_and_the_call_retried() {
    use base64::Engine;
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    let acc = a.client.account().clone();
    // Looks valid for another hour to the client, but the server cannot verify it.
    let claims = serde_json::json!({
        "userId": acc.user_id,
        "createdAtTime": parley_client::http::now_ms(),
        "validUpto": 60,
    });
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let forged = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"not-the-signature")
    );
    let session = parley_client::Session::new(
        acc.id.clone(),
        acc.app_key.clone(),
        acc.user_id.clone(),
        acc.user_key.clone(),
        true,
        a.secrets
            .get(&acc.id, SecretKind::DeviceKey)
            .unwrap()
            .unwrap(),
        parley_core::Secret::new(forged.clone()),
        None,
        a.secrets.clone(),
    );
    let rest = parley_client::http::RestClient::new(
        parley_client::http::http_client().unwrap(),
        acc.endpoints.clone(),
        Arc::new(session),
    );
    rest.message_sync(0)
        .await
        .expect("retried with a fresh token");
    assert_ne!(rest.session.token().await.expose(), forged);
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_link_waits_for_the_network_gate_then_connects_and_catches_up() {
    let sb = sandbox(SeedConfig::Demo).await;
    let creds = sb.ready_info().agents[0].clone();
    let (signed, _secrets, http) = sign_in_agent(
        &sb,
        sb.http_url(),
        sb.mqtt_url(),
        &creds.user_id,
        &creds.password,
    )
    .await;
    let store = Arc::new(parley_store::SqliteStore::open_temporary().await.unwrap());
    store.save_account(&signed.account).await.unwrap();
    let account_id = signed.account.id.clone();
    let (gate, held) = tokio::sync::watch::channel(false);
    let mut options = fast_options();
    options.network_gate = Some(held);
    let client =
        parley_client::Client::start(signed.account, signed.session, store.clone(), http, options)
            .unwrap();
    // Held: not online, and the cache (read by the UI meanwhile) is not being filled.
    assert!(client
        .wait_online(Duration::from_millis(800))
        .await
        .is_err());
    assert_eq!(*client.connection().borrow(), ConnectionState::Connecting);
    assert!(store
        .inbox(&account_id, all_open())
        .await
        .unwrap()
        .is_empty());
    // Opened: online, and the first sync fills the cache.
    gate.send_replace(true);
    client.wait_online(Duration::from_secs(20)).await.unwrap();
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = store.inbox(&account_id, all_open()).await.unwrap();
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!rows.is_empty(), "the first sync ran once the gate opened");
    client.stop().await;
}
