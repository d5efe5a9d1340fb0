//! Sandbox benchmark: ready time, seed times, REST and MQTT throughput on loopback.
//!
//! `cargo bench -p parley-sandbox` (PARLEY_BENCH_SMOKE=1 for a tiny run).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use serde_json::{json, Value};

async fn start(seed: SeedConfig) -> (Sandbox, Duration) {
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = seed;
    let t = Instant::now();
    let sb = Sandbox::start(cfg).await.expect("sandbox");
    (sb, t.elapsed())
}

async fn token(http: &reqwest::Client, sb: &Sandbox, user: &str, password: &str) -> String {
    let r: Value = http
        .post(format!("{}/rest/ws/register/client", sb.http_url()))
        .header("Application-Key", sb.application_id())
        .json(&json!({"userId": user, "password": password, "applicationId": sb.application_id()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["authToken"].as_str().unwrap().to_owned()
}

#[tokio::main]
async fn main() {
    let smoke = std::env::var_os("PARLEY_BENCH_SMOKE").is_some();
    let mut rows: Vec<(String, f64, &str)> = Vec::new();

    let mut ready = Vec::new();
    for _ in 0..5 {
        let (sb, d) = start(SeedConfig::None).await;
        ready.push(d.as_secs_f64() * 1000.0);
        sb.shutdown().await;
    }
    ready.sort_by(f64::total_cmp);
    rows.push(("ready, no seed (median of 5)".into(), ready[2], "ms"));

    let (sb, demo) = start(SeedConfig::Demo).await;
    rows.push((
        "ready with demo seed".into(),
        demo.as_secs_f64() * 1000.0,
        "ms",
    ));
    rows.push((
        "demo seed alone".into(),
        sb.seed_duration.as_secs_f64() * 1000.0,
        "ms",
    ));

    let (conv, msgs) = if smoke {
        (1_000, 10_000)
    } else {
        (10_000, 100_000)
    };
    let (scale, _) = start(SeedConfig::Scale {
        conversations: conv,
        messages: msgs,
    })
    .await;
    rows.push((
        format!("scale seed {conv} conv / {msgs} msg"),
        scale.seed_duration.as_secs_f64() * 1000.0,
        "ms",
    ));
    scale.shutdown().await;

    // REST: message/send from a customer into one conversation, 8 connections in parallel.
    let http = reqwest::Client::new();
    let agent = sb.ready_info().agents[0].clone();
    let cust = sb.ready_info().customers[0].clone();
    let tok = token(&http, &sb, &cust.user_id, &cust.password).await;
    let created: Value = http
        .post(format!("{}/rest/ws/group/conversation", sb.http_url()))
        .header("Application-Key", sb.application_id())
        .header("X-Authorization", &tok)
        .json(&json!({"groupName": "bench", "groupMemberList": [agent.user_id],
                      "metadata": {"SKIP_ROUTING": "true", "CONVERSATION_ASSIGNEE": agent.user_id}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = if created.get("response").is_some() {
        &created["response"]
    } else {
        &created
    };
    let group = r["id"]
        .as_i64()
        .or_else(|| r["groupId"].as_i64())
        .expect("group id");

    // An MQTT subscriber on the agent's topic counts the envelopes the sends produce.
    let agent_tok = token(&http, &sb, &agent.user_id, &agent.password).await;
    let reg: Value = http
        .post(format!("{}/rest/ws/register/client", sb.http_url()))
        .header("Application-Key", sb.application_id())
        .json(&json!({"userId": agent.user_id, "password": agent.password, "applicationId": sb.application_id()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_key = reg["userKey"].as_str().unwrap().to_owned();
    let (host, port) = sb.mqtt_addr();
    let mut opts = rumqttc::MqttOptions::new(format!("{}-bench", agent.user_id), host, port);
    opts.set_credentials(sb.application_id(), agent_tok);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (sub, mut el) = rumqttc::AsyncClient::new(opts, 1024);
    sub.subscribe(user_key.clone(), rumqttc::QoS::AtMostOnce)
        .await
        .unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let rc = received.clone();
    tokio::spawn(async move {
        while let Ok(ev) = el.poll().await {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) = ev {
                if p.payload.windows(11).any(|w| w == b"APPLOZIC_01") {
                    rc.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let n = if smoke { 200 } else { 3_000 };
    let t = Instant::now();
    let per = n / 8;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (http, url, app, tok) = (
            http.clone(),
            sb.http_url().to_owned(),
            sb.application_id().to_owned(),
            tok.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let r = http
                    .post(format!("{url}/rest/ws/message/send"))
                    .header("Application-Key", &app)
                    .header("X-Authorization", &tok)
                    .json(&json!({"groupId": group, "message": format!("bench {w} {i}")}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let send_secs = t.elapsed().as_secs_f64();
    rows.push((
        "REST message/send, 8 connections".into(),
        (per * 8) as f64 / send_secs,
        "req/s",
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::Relaxed) < per * 8 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = received.load(Ordering::Relaxed);
    rows.push((
        "MQTT APPLOZIC_01 envelopes delivered".into(),
        got as f64 / t.elapsed().as_secs_f64(),
        "msg/s",
    ));
    rows.push((
        "MQTT envelopes received / sent".into(),
        got as f64 / (per * 8) as f64,
        "ratio",
    ));

    let t = Instant::now();
    let reads = if smoke { 100 } else { 1_000 };
    for _ in 0..reads {
        let r = http
            .get(format!(
                "{}/rest/ws/message/sync?lastSyncTime=0",
                sb.http_url()
            ))
            .header("Application-Key", sb.application_id())
            .header("X-Authorization", &tok)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let _ = r.bytes().await;
    }
    rows.push((
        "REST message/sync, 1 connection".into(),
        reads as f64 / t.elapsed().as_secs_f64(),
        "req/s",
    ));

    println!("\nparley-sandbox bench (loopback, in-process)\n");
    println!("| metric | value | unit |\n|---|---|---|");
    for (name, v, unit) in rows {
        println!("| {name} | {v:.2} | {unit} |");
    }
    sb.shutdown().await;
}
