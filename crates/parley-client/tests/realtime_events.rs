//! Real-time events end to end: receipts upgrade ticks, deletions, another agent's status
//! change, and the whole client through a real mosquitto broker.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use parley_core::model::{ConversationStatus, DeliveryState};
use parley_core::store::Store;
use parley_sandbox::{BrokerConfig, Sandbox, SandboxConfig, SeedConfig};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_customer_reading_the_reply_turns_its_ticks_read() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[4].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Receipts", &a.user_id).await;
    let conv = format!("g:{group}");
    customer.send(group, "hi").await;
    a.client
        .send_text(&conv, "Hello! How can I help?", 0, Default::default())
        .await
        .unwrap();
    eventually(10, "reply sent", || async {
        a.client.outbox().await.unwrap().is_empty()
    })
    .await;
    // The customer's widget reports the reply read (per message, as the SDKs do in groups).
    let thread = customer.thread(group).await;
    let (_, reply) = thread
        .iter()
        .find(|(t, _)| t == "Hello! How can I help?")
        .expect("the reply is on the server");
    let key = reply["key"].as_str().unwrap().to_owned();
    customer
        .call(
            reqwest::Method::GET,
            &format!("/rest/ws/message/read?key={key}"),
            None,
        )
        .await;
    let acc = a.client.account().id.clone();
    eventually(5, "the reply shows as read", || async {
        a.store
            .timeline(&acc, &conv, None, 50)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text == "Hello! How can I help?" && m.state == DeliveryState::Read)
    })
    .await;
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_message_deleted_for_everyone_disappears_from_the_timeline() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[7].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Oops", &a.user_id).await;
    let conv = format!("g:{group}");
    let key = customer
        .send(group, "my card number is 4111 1111 1111 1111")
        .await;
    let acc = a.client.account().id.clone();
    eventually(5, "message cached", || async {
        a.store.message(&acc, &key).await.unwrap().is_some()
    })
    .await;
    customer
        .call(
            reqwest::Method::GET,
            &format!("/rest/ws/message/delete?key={key}&deleteForAll=true"),
            None,
        )
        .await;
    eventually(5, "message removed", || async {
        a.store.message(&acc, &key).await.unwrap().is_none()
    })
    .await;
    assert!(
        a.store.search(&acc, "4111", 10).await.unwrap().is_empty(),
        "not searchable either"
    );
    let _ = conv;
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_another_agent_resolving_moves_the_conversation_to_closed() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let other = sb.ready_info().agents[1].clone();
    let b = agent_as(
        &sb,
        sb.http_url(),
        sb.mqtt_url(),
        &other.user_id,
        &other.password,
    )
    .await;
    b.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[8].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer
        .start_conversation("Handled by B", &a.user_id)
        .await;
    let conv = format!("g:{group}");
    customer.send(group, "anyone?").await;
    eventually(5, "A sees it open", || async {
        a.client
            .conversation(&conv)
            .await
            .unwrap()
            .is_some_and(|c| c.status.is_open())
    })
    .await;
    eventually(5, "B sees it", || async {
        b.client.conversation(&conv).await.unwrap().is_some()
    })
    .await;
    b.client
        .set_status(&conv, ConversationStatus::Resolved)
        .await
        .unwrap();
    eventually(5, "A sees it resolved", || async {
        a.client
            .conversation(&conv)
            .await
            .unwrap()
            .is_some_and(|c| c.status == ConversationStatus::Resolved)
    })
    .await;
    a.client.stop().await;
    b.client.stop().await;
}

struct Mosquitto(std::process::Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_client_works_through_a_mosquitto_broker() {
    let Some(bin) = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("PARLEY_REQUIRE_MOSQUITTO").is_none(),
            "mosquitto is required here (cargo xtask test installs it)"
        );
        eprintln!("mosquitto not installed: skipped");
        return;
    };
    init_logs();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"),
    )
    .unwrap();
    let _broker = Mosquitto(
        Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually(5, "mosquitto listening", || async move {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = SeedConfig::Demo;
    cfg.broker = BrokerConfig::External(format!("tcp://127.0.0.1:{port}"));
    let sb = Sandbox::start(cfg).await.unwrap();
    let a = agent(&sb, sb.http_url(), &format!("tcp://127.0.0.1:{port}")).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[9].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer
        .start_conversation("Via mosquitto", &a.user_id)
        .await;
    customer.send(group, "hello through mosquitto").await;
    let acc = a.client.account().id.clone();
    let conv = format!("g:{group}");
    eventually(5, "live through mosquitto", || async {
        a.store
            .timeline(&acc, &conv, None, 10)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text == "hello through mosquitto")
    })
    .await;
    let _ = json!({});
    a.client.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_agent_typing_and_availability_go_out_on_the_sdk_topics() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[1].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Typing out", &a.user_id).await;
    let conv = format!("g:{group}");

    // A second agent's plain MQTT client, connected like the SDK, listens.
    let other = sb.ready_info().agents[2].clone();
    let token = sb.mint_token(&other.user_id, parley_client::http::now_ms(), 60);
    let (host, port) = sb.mqtt_addr();
    let mut opts = rumqttc::MqttOptions::new(format!("{}-listener", other.user_id), host, port);
    opts.set_credentials(sb.application_id(), token);
    let (raw, mut el) = rumqttc::AsyncClient::new(opts, 64);
    let typing_topic = format!("typing-{}-{group}", sb.application_id());
    raw.subscribe(typing_topic.clone(), rumqttc::QoS::AtMostOnce)
        .await
        .unwrap();
    raw.subscribe(
        format!("support-channel-{}", sb.application_id()),
        rumqttc::QoS::AtMostOnce,
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    tokio::spawn(async move {
        while let Ok(ev) = el.poll().await {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) = ev {
                let _ = tx.send((
                    p.topic.clone(),
                    String::from_utf8_lossy(&p.payload).into_owned(),
                ));
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    a.client.send_typing(&conv, true).await;
    a.client
        .set_availability(parley_core::realtime::Availability::Away)
        .await
        .unwrap();
    let want_typing = format!("{},{},1", sb.application_id(), a.user_id);
    let want_away = format!("{},2", a.user_id);
    let (mut saw_typing, mut saw_away) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline && !(saw_typing && saw_away) {
        if let Ok(Some((topic, payload))) =
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        {
            saw_typing |= topic == typing_topic && payload == want_typing;
            saw_away |= payload.contains("APPLOZIC_25") && payload.contains(&want_away);
        }
    }
    assert!(saw_typing, "typing published as <appKey>,<userId>,1");
    assert!(
        saw_away,
        "availability away reached the support channel as APPLOZIC_25"
    );
    a.client.stop().await;
}
