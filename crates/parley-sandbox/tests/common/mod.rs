//! Shared helpers for the contract tests: start a sandbox on ephemeral ports with in-memory
//! state, talk REST with reqwest and MQTT with rumqttc (configured like the SDKs).

#![allow(dead_code)]

use std::time::Duration;

use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use reqwest::{Method, StatusCode};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use tokio::sync::mpsc;

pub const APP: &str = "parley-sandbox";

pub async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests())
        .await
        .expect("sandbox starts")
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub async fn start_demo() -> Sandbox {
    let mut config = SandboxConfig::for_tests();
    config.seed = SeedConfig::Demo;
    start_with(config).await
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub user_key: String,
    pub device_key: String,
    pub token: String,
}

/// `POST /rest/ws/register/client`, asserting success.
pub async fn register(sb: &Sandbox, user_id: &str, password: Option<&str>) -> Session {
    register_as(
        sb,
        json!({"userId": user_id, "applicationId": APP, "password": password}),
    )
    .await
}

pub async fn register_as(sb: &Sandbox, body: Value) -> Session {
    let res = http()
        .post(format!("{}/rest/ws/register/client", sb.http_url()))
        .json(&body)
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    Session {
        user_id: v["userId"].as_str().expect("userId").to_owned(),
        user_key: v["userKey"].as_str().expect("userKey").to_owned(),
        device_key: v["deviceKey"].as_str().expect("deviceKey").to_owned(),
        token: v["authToken"].as_str().expect("authToken").to_owned(),
    }
}

/// Creates an agent through the application bot API and logs it in.
pub async fn agent(sb: &Sandbox, user_id: &str) -> Session {
    let bot = bot_auth(sb);
    let res = http()
        .post(format!("{}/rest/ws/user/v2/create", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", bot)
        .json(&json!({"userId": user_id, "password": "pw", "roleName": "AGENT", "displayName": user_id}))
        .send()
        .await
        .expect("create agent");
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    register(sb, user_id, Some("pw")).await
}

pub fn bot_auth(sb: &Sandbox) -> String {
    let bot = &sb.ready_info().bot;
    basic(&bot.user_id, &bot.password)
}

pub fn basic(user: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// A request with the SDK's JWT headers.
pub async fn call(
    sb: &Sandbox,
    s: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http()
        .request(method, format!("{}{}", sb.http_url(), path))
        .header("Application-Key", APP)
        .header("X-Authorization", &s.token)
        .header("Device-Key", &s.device_key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn get(sb: &Sandbox, s: &Session, path: &str) -> (StatusCode, Value) {
    call(sb, s, Method::GET, path, None).await
}

pub async fn post(sb: &Sandbox, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    call(sb, s, Method::POST, path, Some(body)).await
}

pub async fn patch(sb: &Sandbox, s: &Session, path: &str) -> (StatusCode, Value) {
    call(sb, s, Method::PATCH, path, None).await
}

pub fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["status"], "error", "{v}");
    assert_eq!(v["errorResponse"][0]["errorCode"], code, "{v}");
    assert!(v["errorResponse"][0]["description"].is_string(), "{v}");
    assert!(v["errorResponse"][0]["displayMessage"].is_string(), "{v}");
    assert!(v["generatedAt"].is_i64(), "{v}");
}

pub fn assert_success(v: &Value) -> &Value {
    assert_eq!(v["status"], "success", "{v}");
    assert!(v["generatedAt"].is_i64(), "{v}");
    &v["response"]
}

/// Creates a group of `members` (plus the creator) and returns its id.
pub async fn group(sb: &Sandbox, creator: &Session, name: &str, members: &[&Session]) -> i64 {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let (status, v) = post(
        sb,
        creator,
        "/rest/ws/group/v2/create",
        json!({"groupName": name, "groupMemberList": ids}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_success(&v)["id"].as_i64().expect("group id")
}

pub struct Mqtt {
    pub client: AsyncClient,
    pub rx: mpsc::UnboundedReceiver<(String, String)>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Mqtt {
    /// Drops the connection without DISCONNECT (as a crashed app would): the will fires.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects like the Android SDK: username = app key, password = JWT, clean session, QoS 0,
/// last will `status-v2 <userKey>,<deviceKey>,0`; subscribes to `topics`.
pub async fn mqtt(sb: &Sandbox, s: &Session, topics: &[String]) -> Mqtt {
    mqtt_with(
        sb,
        &format!("{}-{}", s.user_id, uuid_like()),
        APP,
        &s.token,
        Some(s),
        topics,
    )
    .await
    .expect("mqtt connects")
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

pub async fn mqtt_with(
    sb: &Sandbox,
    client_id: &str,
    username: &str,
    password: &str,
    session: Option<&Session>,
    topics: &[String],
) -> Result<Mqtt, String> {
    let (host, port) = sb.mqtt_addr();
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_credentials(username, password);
    options.set_keep_alive(Duration::from_secs(60));
    options.set_clean_session(true);
    if let Some(s) = session {
        options.set_last_will(LastWill::new(
            "status-v2",
            format!("{},{},0", s.user_key, s.device_key),
            QoS::AtMostOnce,
            false,
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    // Wait for CONNACK.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("timeout".into()),
        }
    }
    for t in topics {
        client
            .subscribe(t.clone(), QoS::AtMostOnce)
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut pending = topics.len();
    while pending > 0 {
        match tokio::time::timeout(Duration::from_secs(5), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => pending -= 1,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("suback timeout".into()),
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let text = String::from_utf8_lossy(&p.payload).into_owned();
                    if tx.send((p.topic.clone(), text)).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    Ok(Mqtt { client, rx, task })
}

impl Mqtt {
    /// The next envelope of `kind` (other publishes are skipped), within 5 s.
    pub async fn expect(&mut self, kind: &str) -> (String, Value) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Ok(Some((topic, text))) = tokio::time::timeout(left, self.rx.recv()).await else {
                panic!("no {kind} envelope within 5 s");
            };
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                if v["type"] == kind {
                    return (topic, v);
                }
            }
        }
    }

    /// The next raw publish on `topic`.
    pub async fn expect_raw(&mut self, topic: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Ok(Some((t, text))) = tokio::time::timeout(left, self.rx.recv()).await else {
                panic!("nothing on {topic} within 5 s");
            };
            if t == topic {
                return text;
            }
        }
    }

    /// Asserts that no envelope of `kind` arrives within `ms`.
    pub async fn expect_none(&mut self, kind: &str, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some((_, text))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        assert_ne!(v["type"], kind, "unexpected {kind}: {v}");
                    }
                }
                _ => return,
            }
        }
    }

    pub async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtMostOnce, false, payload.as_bytes().to_vec())
            .await
            .expect("publish");
    }
}
