//! Fault injection (issue 9): real traffic in both directions while the link, the server, the
//! broker, the token, the disk or the clock misbehave; then every message is counted, lost
//! and duplicated, in both directions.
//!
//! - customers send N messages to the agent through the sandbox's REST API (as the widget
//!   would); the agent's `Client` sends M replies through its send queue;
//! - incoming lost = customer messages missing from the agent's cache; incoming duplicated =
//!   the same text more than once in the cache;
//! - outgoing lost = replies missing on the server (the thread listed through the REST API)
//!   or left failed in the queue; outgoing duplicated = a reply stored twice on the server (or
//!   shown twice in the agent's cache).
//!
//! Each test prints one line `FAULTS | scenario | in | out | lost | dup | result | secs` and
//! writes `<target>/faults/<scenario>.json`; all counts must be zero.
//!
//! Short mode by default (CI); `PARLEY_FAULTS=full cargo nextest run -p parley-client --test
//! faults` runs the full sizes (a 60 s outage with 500 customer messages, and so on).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use parley_client::{Client, ClientEvent, SecretStore, Session};
use parley_core::store::Store;
use parley_sandbox::{BrokerConfig, Sandbox, SandboxConfig, SeedConfig};
use parley_store::SqliteStore;
use serde_json::json;

fn full() -> bool {
    std::env::var("PARLEY_FAULTS").is_ok_and(|v| v == "full")
}

/// `short` in CI, `full` on demand.
fn size<T>(short: T, full_size: T) -> T {
    if full() {
        full_size
    } else {
        short
    }
}

// ---- the table -------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Row {
    scenario: &'static str,
    sent_in: usize,
    sent_out: usize,
    lost_in: usize,
    lost_out: usize,
    dup_in: usize,
    dup_out: usize,
    /// Replies the app refused with an error at the time (disk full), sent again later.
    refused_out: usize,
    secs: f64,
    note: String,
}

impl Row {
    fn lost(&self) -> usize {
        self.lost_in + self.lost_out
    }
    fn dup(&self) -> usize {
        self.dup_in + self.dup_out
    }
    fn ok(&self) -> bool {
        self.lost() == 0 && self.dup() == 0
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")))
}

/// Prints the row, writes it as JSON for the summary, then asserts zeros.
fn record(row: Row) {
    let mode = if full() { "full" } else { "short" };
    let result = if row.ok() { "ok" } else { "FAIL" };
    println!(
        "FAULTS | {} | {} | {} | {} | {} | {} | {:.1}s | {mode}{}",
        row.scenario,
        row.sent_in,
        row.sent_out,
        row.lost(),
        row.dup(),
        result,
        row.secs,
        if row.note.is_empty() {
            String::new()
        } else {
            format!(" | {}", row.note)
        }
    );
    let dir = target_dir().join("faults");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("{}.json", row.scenario)),
        serde_json::to_string_pretty(&json!({
            "scenario": row.scenario,
            "mode": mode,
            "sentIn": row.sent_in,
            "sentOut": row.sent_out,
            "lostIn": row.lost_in,
            "lostOut": row.lost_out,
            "duplicatedIn": row.dup_in,
            "duplicatedOut": row.dup_out,
            "refusedOut": row.refused_out,
            "lost": row.lost(),
            "duplicated": row.dup(),
            "result": result,
            "seconds": row.secs,
            "note": row.note,
        }))
        .unwrap(),
    );
    assert!(
        row.ok(),
        "{}: lost {} in / {} out, duplicated {} in / {} out",
        row.scenario,
        row.lost_in,
        row.lost_out,
        row.dup_in,
        row.dup_out
    );
}

// ---- the scene -------------------------------------------------------------------------------

/// A sandbox, the agent behind two proxies (REST and MQTT), a customer and their conversation.
struct Scene {
    name: &'static str,
    /// Kept running for the scene's life.
    _sandbox: Sandbox,
    agent: Agent,
    http: Proxy,
    mqtt: Proxy,
    customer: Arc<Customer>,
    group: i64,
    conv: String,
    started: Instant,
}

/// How to start the agent.
#[derive(Default)]
struct AgentSetup {
    /// The cache (default: a temporary file).
    store: Option<Arc<SqliteStore>>,
    /// The agent's clock is off by this much.
    clock_offset_ms: i64,
    /// Start the session with this token instead of the one sign-in got.
    token: Option<String>,
    /// The real-time link's reconnect backoff (default: the short one of the tests).
    reconnect: Option<parley_client::client::Backoff>,
}

async fn start_agent(sb: &Sandbox, http: &str, mqtt: &str, setup: AgentSetup) -> Agent {
    let creds = sb.ready_info().agents[0].clone();
    let (signed, secrets, http_client) =
        sign_in_agent(sb, http, mqtt, &creds.user_id, &creds.password).await;
    let session = match setup.token {
        None => signed.session,
        Some(token) => {
            let s = &signed.session;
            // Kept where a restart of the app would find it, as sign-in keeps its own.
            secrets
                .set(
                    &s.account_id,
                    parley_client::SecretKind::AuthToken,
                    &parley_core::Secret::new(token.clone()),
                )
                .unwrap();
            Arc::new(Session::new(
                s.account_id.clone(),
                s.app_key.clone(),
                s.user_id.clone(),
                s.user_key.clone(),
                s.is_agent,
                s.device_key().clone(),
                parley_core::Secret::new(token),
                None,
                secrets.clone() as Arc<dyn SecretStore>,
            ))
        }
    };
    session.set_clock_offset_ms(setup.clock_offset_ms);
    let store = match setup.store {
        Some(s) => s,
        None => Arc::new(SqliteStore::open_temporary().await.unwrap()),
    };
    store.save_account(&signed.account).await.unwrap();
    let mut options = fast_options();
    if let Some(b) = setup.reconnect {
        options.reconnect = b;
    }
    let client = Client::start(signed.account, session, store.clone(), http_client, options)
        .expect("client starts");
    let events = client.subscribe();
    Agent {
        client,
        store,
        secrets,
        events,
        user_id: creds.user_id,
        password: creds.password,
    }
}

async fn demo_sandbox(cfg: Option<SandboxConfig>) -> Sandbox {
    init_logs();
    let mut cfg = cfg.unwrap_or_else(SandboxConfig::for_tests);
    cfg.seed = SeedConfig::Demo;
    Sandbox::start(cfg).await.expect("sandbox starts")
}

/// The agent online behind proxies, a customer with a conversation assigned to the agent.
async fn scene_with(name: &'static str, sb: Sandbox, setup: AgentSetup) -> Scene {
    let started = Instant::now();
    let http = Proxy::start(sb.http_addr()).await;
    let (mh, mp) = sb.mqtt_addr();
    let mqtt = Proxy::start(format!("{mh}:{mp}").parse().unwrap()).await;
    let (http_url, mqtt_url) = proxied_urls(&http, &mqtt);
    let agent = start_agent(&sb, &http_url, &mqtt_url, setup).await;
    agent
        .client
        .wait_online(Duration::from_secs(60))
        .await
        .expect("agent online");
    let cust = sb.ready_info().customers[3].clone();
    let customer = Arc::new(Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await);
    let group = customer
        .start_conversation(&format!("Faults: {name}"), &agent.user_id)
        .await;
    let conv = format!("g:{group}");
    let acc = agent.client.account().id.clone();
    eventually(30, "the conversation reaches the agent", || async {
        agent
            .store
            .conversation(&acc, &conv)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    Scene {
        name,
        _sandbox: sb,
        agent,
        http,
        mqtt,
        customer,
        group,
        conv,
        started,
    }
}

async fn scene(name: &'static str) -> Scene {
    scene_with(name, demo_sandbox(None).await, AgentSetup::default()).await
}

fn in_text(name: &str, i: usize) -> String {
    format!("in {name} {i:05}")
}

fn out_text(name: &str, i: usize) -> String {
    format!("out {name} {i:05}")
}

/// Customers send `n_in` messages, spread over `spread`, in a task.
fn customers_send(s: &Scene, n_in: usize, spread: Duration) -> tokio::task::JoinHandle<()> {
    let customer = s.customer.clone();
    let (group, name) = (s.group, s.name);
    tokio::spawn(async move {
        let pause = spread / u32::try_from(n_in.max(1)).unwrap();
        for i in 0..n_in {
            customer.send(group, &in_text(name, i)).await;
            tokio::time::sleep(pause).await;
        }
    })
}

/// The agent queues `n_out` replies, spread over `spread`, in a task. Returns how many the app
/// refused at the time (with an error: e.g. the disk is full) and their numbers.
fn agent_replies(
    s: &Scene,
    n_out: usize,
    spread: Duration,
) -> tokio::task::JoinHandle<Vec<(usize, String)>> {
    let client = s.agent.client.clone();
    let (conv, name) = (s.conv.clone(), s.name);
    tokio::spawn(async move {
        let pause = spread / u32::try_from(n_out.max(1)).unwrap();
        let mut refused = Vec::new();
        for i in 0..n_out {
            if let Err(e) = client
                .send_text(&conv, &out_text(name, i), 0, Default::default())
                .await
            {
                refused.push((i, e.to_app_error().message));
            }
            tokio::time::sleep(pause).await;
        }
        refused
    })
}

/// Every message of the thread on the server, listed through the REST API (as the customer).
async fn server_texts(s: &Scene) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let r = s
            .customer
            .call(
                reqwest::Method::GET,
                &format!(
                    "/rest/ws/message/list?groupId={}&pageSize=200&startIndex={start}",
                    s.group
                ),
                None,
            )
            .await;
        let page = r["message"].as_array().cloned().unwrap_or_default();
        let n = page.len();
        out.extend(
            page.iter()
                .filter_map(|m| m["message"].as_str().map(str::to_owned)),
        );
        if n < 200 {
            return out;
        }
        start += n;
    }
}

async fn cached_texts(s: &Scene) -> Vec<String> {
    let acc = s.agent.client.account().id.clone();
    s.agent
        .store
        .timeline(&acc, &s.conv, None, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// (lost, duplicated) of `expected` in `seen`.
fn tally(expected: &[String], seen: &[String]) -> (usize, usize) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in seen {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let lost = expected
        .iter()
        .filter(|t| !counts.contains_key(t.as_str()))
        .count();
    let dup = expected
        .iter()
        .map(|t| {
            counts
                .get(t.as_str())
                .copied()
                .unwrap_or(0)
                .saturating_sub(1)
        })
        .sum();
    (lost, dup)
}

/// Waits (up to `secs`) until the agent has every customer message and the queue is empty,
/// then counts. Never panics on a timeout: what is missing is counted as lost.
async fn settle_and_count(s: &Scene, n_in: usize, n_out: usize, secs: u64) -> Row {
    let expected_in: Vec<String> = (0..n_in).map(|i| in_text(s.name, i)).collect();
    let expected_out: Vec<String> = (0..n_out).map(|i| out_text(s.name, i)).collect();
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let cached = cached_texts(s).await;
        let (lost_in, _) = tally(&expected_in, &cached);
        let queue_empty = s.agent.client.outbox().await.unwrap().is_empty();
        if (lost_in == 0 && queue_empty) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything late would show up now as a duplicate: give real-time a moment to misbehave.
    s.agent.client.request_sync();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cached = cached_texts(s).await;
    let on_server = server_texts(s).await;
    let failed_in_queue = s
        .agent
        .client
        .outbox()
        .await
        .unwrap()
        .iter()
        .filter(|i| i.failed)
        .count();
    let (lost_in, dup_in) = tally(&expected_in, &cached);
    let (lost_out, dup_out_server) = tally(&expected_out, &on_server);
    let (_, dup_out_cache) = tally(&expected_out, &cached);
    let (lost_in_server, _) = tally(&expected_in, &on_server);
    assert_eq!(
        lost_in_server, 0,
        "the customers' messages all reached the server"
    );
    let mut note = String::new();
    if failed_in_queue > 0 {
        note = format!("{failed_in_queue} replies failed in the queue");
    }
    Row {
        scenario: s.name,
        sent_in: n_in,
        sent_out: n_out,
        lost_in,
        lost_out,
        dup_in,
        dup_out: dup_out_server + dup_out_cache,
        secs: s.started.elapsed().as_secs_f64(),
        note,
        ..Row::default()
    }
}

// ---- scenarios -------------------------------------------------------------------------------

/// Stand-in mosquitto that dies with the test.
struct Mosquitto(std::process::Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mosquitto_bin() -> Option<&'static str> {
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

async fn start_mosquitto(bin: &str, conf: &std::path::Path, port: u16) -> Mosquitto {
    let m = Mosquitto(
        std::process::Command::new(bin)
            .arg("-c")
            .arg(conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually(10, "mosquitto listening", || async move {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
    m
}

/// The broker (a real mosquitto the sandbox and the agent share) is killed mid-stream and
/// started again on the same port. Without mosquitto, the broker's link is reset instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_broker_restart_mid_stream_loses_and_duplicates_nothing() {
    let (n_in, n_out) = (size(100, 500), size(20, 100));
    let spread = Duration::from_secs(size(6, 20));
    let down = Duration::from_secs(size(2, 10));
    let Some(bin) = mosquitto_bin() else {
        assert!(
            std::env::var_os("PARLEY_REQUIRE_MOSQUITTO").is_none(),
            "mosquitto is required here"
        );
        eprintln!("mosquitto not installed: the broker's link is reset instead");
        let s = scene("broker_restart_mid_stream").await;
        let (c, r) = (
            customers_send(&s, n_in, spread),
            agent_replies(&s, n_out, spread),
        );
        tokio::time::sleep(spread / 3).await;
        s.mqtt.set_mode(Mode::Reset);
        tokio::time::sleep(down).await;
        s.mqtt.set_mode(Mode::Pass);
        c.await.unwrap();
        assert!(r.await.unwrap().is_empty());
        let mut row = settle_and_count(&s, n_in, n_out, 120).await;
        row.note = "mosquitto missing: link reset instead".into();
        s.agent.client.stop().await;
        return record(row);
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n"),
    )
    .unwrap();
    let mut broker = Some(start_mosquitto(bin, &conf, port).await);
    let mut cfg = SandboxConfig::for_tests();
    cfg.broker = BrokerConfig::External(format!("tcp://127.0.0.1:{port}"));
    let sb = demo_sandbox(Some(cfg)).await;
    let s = scene_with("broker_restart_mid_stream", sb, AgentSetup::default()).await;
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(spread / 3).await;
    drop(broker.take()); // SIGKILL: no goodbye to anyone
    tokio::time::sleep(down).await;
    broker = Some(start_mosquitto(bin, &conf, port).await);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 120).await;
    s.agent.client.stop().await;
    drop(broker);
    record(row);
}

/// Both links silently black-holed (60 s full, 5 s short) while customers send 500 (50)
/// messages and the agent replies; then the path comes back (connections reset).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_link_lost_while_customers_send_loses_and_duplicates_nothing() {
    let (n_in, n_out) = (size(50, 500), size(10, 50));
    let outage = Duration::from_secs(size(5, 60));
    let s = scene("link_lost").await;
    // Some traffic before, most of it during the outage, the rest after.
    let spread = outage + Duration::from_secs(2);
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.http.set_mode(Mode::Blackhole);
    s.mqtt.set_mode(Mode::Blackhole);
    tokio::time::sleep(outage).await;
    s.http.set_mode(Mode::Pass);
    s.mqtt.set_mode(Mode::Pass);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 180).await;
    s.agent.client.stop().await;
    record(row);
}

/// The server answers 503 for a while — after doing the work, so the app cannot know whether
/// a send went through and must look before sending again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_server_answering_503_for_a_while_loses_and_duplicates_nothing() {
    let (n_in, n_out) = (size(50, 300), size(20, 100));
    let failing = Duration::from_secs(size(4, 20));
    let s = scene("server_503").await;
    let spread = failing + Duration::from_secs(2);
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.http.set_mode(Mode::Http503);
    // A reconnect in the middle: the catch-up must also survive the 503s.
    tokio::time::sleep(failing / 2).await;
    s.mqtt.set_mode(Mode::Reset);
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.mqtt.set_mode(Mode::Pass);
    tokio::time::sleep(failing / 2).await;
    s.http.set_mode(Mode::Pass);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 180).await;
    s.agent.client.stop().await;
    record(row);
}

/// Every REST answer takes 2 s (the server is very slow) while traffic flows both ways and
/// the real-time link drops once (so the catch-up runs on the slow server).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_very_slow_server_loses_and_duplicates_nothing() {
    let (n_in, n_out) = (size(50, 300), size(5, 20));
    let spread = Duration::from_secs(size(6, 30));
    let s = scene("very_slow_server").await;
    s.http.set_mode(Mode::Delay(2_000));
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(spread / 3).await;
    s.mqtt.set_mode(Mode::Drop);
    tokio::time::sleep(Duration::from_secs(1)).await;
    s.mqtt.set_mode(Mode::Pass);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 240).await;
    s.http.set_mode(Mode::Pass);
    s.agent.client.stop().await;
    record(row);
}

/// The session's JWT expires mid-session. The agent's clock is 10 minutes slow, so it does
/// not see the expiry coming: the server answers 401 and the broker refuses the reconnect;
/// the app must refresh and carry on, losing and duplicating nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_jwt_expiring_mid_session_loses_and_duplicates_nothing() {
    let (n_in, n_out) = (size(50, 300), size(10, 50));
    let lifetime_ms = size(6_000i64, 30_000);
    let sb = demo_sandbox(None).await;
    let user = sb.ready_info().agents[0].user_id.clone();
    // Valid for one minute from 1 min − lifetime ago: it expires `lifetime_ms` from now.
    let token = sb.mint_token(
        &user,
        parley_client::http::now_ms() - 60_000 + lifetime_ms,
        1,
    );
    let s = scene_with(
        "jwt_expiring_mid_session",
        sb,
        AgentSetup {
            token: Some(token),
            clock_offset_ms: -10 * 60_000,
            ..AgentSetup::default()
        },
    )
    .await;
    let spread = Duration::from_millis(u64::try_from(lifetime_ms).unwrap() + 4_000);
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    // After the expiry, the real-time link drops: reconnecting needs a fresh token.
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(lifetime_ms).unwrap() + 1_000,
    ))
    .await;
    s.mqtt.set_mode(Mode::Reset);
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.mqtt.set_mode(Mode::Pass);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 120).await;
    let state = s.agent.client.connection().borrow().clone();
    assert!(
        matches!(state, parley_core::model::ConnectionState::Online),
        "still signed in and online: {state:?}"
    );
    s.agent.client.stop().await;
    record(row);
}

/// A token the server no longer accepts though the app's clock says it is valid (signed with
/// the key of before a server restart): the broker hangs up on CONNECT without answering.
/// The app renews the token and is online again at once: not after its reconnect backoff
/// (30 s here, as it has grown by the time a server is back), and not only once some REST
/// call happens to be refused and renews the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_token_from_before_a_server_restart_is_renewed_when_the_broker_hangs_up() {
    let sb = demo_sandbox(None).await;
    let user_id = sb.ready_info().agents[0].user_id.clone();
    let stale = parley_sandbox::jwt::JwtKeys::new(b"the key of before the restart").sign(
        &parley_sandbox::jwt::Claims {
            user_id,
            application_id: sb.ready_info().application_id.clone(),
            created_at_time: parley_client::http::now_ms(),
            valid_upto: 60,
            device_key: None,
            role_type: 1,
        },
    );
    let http = Proxy::start(sb.http_addr()).await;
    let (mh, mp) = sb.mqtt_addr();
    let mqtt = Proxy::start(format!("{mh}:{mp}").parse().unwrap()).await;
    let (http_url, mqtt_url) = proxied_urls(&http, &mqtt);
    let mut slow = parley_client::client::Backoff::default();
    slow.base_ms = 30_000;
    slow.max_ms = 60_000;
    let started = Instant::now();
    let agent = start_agent(
        &sb,
        &http_url,
        &mqtt_url,
        AgentSetup {
            token: Some(stale.clone()),
            reconnect: Some(slow),
            ..AgentSetup::default()
        },
    )
    .await;
    agent
        .client
        .wait_online(Duration::from_secs(12))
        .await
        .expect("online again with a renewed token, before the backoff's first 15 s");
    let kept = agent
        .secrets
        .get(
            &agent.client.account().id,
            parley_client::SecretKind::AuthToken,
        )
        .unwrap()
        .expect("a token in the secret store");
    assert_ne!(kept.expose(), stale, "the token was renewed");
    assert!(
        sb.state().jwt.verify(kept.expose()).is_ok(),
        "the server accepts the renewed token"
    );
    eprintln!("online {:?} after start", started.elapsed());
    agent.client.stop().await;
}

/// A small tmpfs for the cache; `None` (skipped) when mounting is not allowed here.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system at `dir` to the last byte; returns the filler's path.
fn fill_disk(dir: &std::path::Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        if f.write_all(&block).is_err() {
            break;
        }
    }
    let small = vec![0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
    path
}

/// The cache's disk fills up mid-stream: a clear error reaches the UI (a `StoreError` event
/// saying the disk is full, and sending refuses with that message), the database stays
/// intact, and once space returns nothing is lost or duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_disk_full_for_the_cache_is_a_clear_error_and_loses_nothing() {
    let (n_in, n_out) = (size(40, 200), size(10, 40));
    let Some(fs) = Tmpfs::mount("16m") else {
        println!("FAULTS | disk_full | skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let db_path = fs.path().join("cache.sqlite");
    let store = Arc::new(SqliteStore::open(&db_path).await.unwrap());
    let sb = demo_sandbox(None).await;
    let s = scene_with(
        "disk_full",
        sb,
        AgentSetup {
            store: Some(store.clone()),
            ..AgentSetup::default()
        },
    )
    .await;
    let mut events = s.agent.client.subscribe();
    let full_for = Duration::from_secs(size(4, 15));
    // Half the replies go out before the disk fills, so some confirmations hit a full disk.
    let spread = full_for + Duration::from_secs(2);
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let filler = fill_disk(fs.path());
    tokio::time::sleep(full_for).await;
    std::fs::remove_file(&filler).unwrap();
    c.await.unwrap();
    let refused = r.await.unwrap();
    // A clear error surfaced.
    let mut store_errors = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let ClientEvent::StoreError(e) = ev {
            store_errors.push(e);
        }
    }
    assert!(
        !store_errors.is_empty() || !refused.is_empty(),
        "a full disk was noticed"
    );
    for e in &store_errors {
        assert!(e.contains("disk is full"), "a clear error: {e}");
    }
    for (_, e) in &refused {
        assert!(
            e.contains("disk is full"),
            "a clear error for the user: {e}"
        );
    }
    // What was refused, the user sends again now that there is space.
    for (i, _) in &refused {
        s.agent
            .client
            .send_text(&s.conv, &out_text(s.name, *i), 0, Default::default())
            .await
            .expect("sending works again");
    }
    let mut row = settle_and_count(&s, n_in, n_out, 120).await;
    row.refused_out = refused.len();
    row.note = format!(
        "{} store errors, {} replies refused then resent",
        store_errors.len(),
        refused.len()
    );
    s.agent.client.stop().await;
    // No corruption.
    store.close().await;
    drop(store);
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check.0, "ok", "the cache is not corrupt");
    drop(conn);
    record(row);
}

/// The agent's clock is an hour fast (and, in another test, slow) while the real-time link
/// drops and the server fails sends after doing them: catch-up and the look-before-resend
/// check must not trust the local clock.
async fn clock_off(name: &'static str, offset_ms: i64) {
    let (n_in, n_out) = (size(50, 300), size(10, 50));
    let s = scene_with(
        name,
        demo_sandbox(None).await,
        AgentSetup {
            clock_offset_ms: offset_ms,
            ..AgentSetup::default()
        },
    )
    .await;
    let spread = Duration::from_secs(size(6, 20));
    let (c, r) = (
        customers_send(&s, n_in, spread),
        agent_replies(&s, n_out, spread),
    );
    tokio::time::sleep(spread / 6).await;
    // Sends whose outcome the app cannot know (done, then answered 503)…
    s.http.set_mode(Mode::Http503);
    tokio::time::sleep(spread / 4).await;
    s.http.set_mode(Mode::Pass);
    // …then the real-time link drops: the catch-up must fill the gap.
    s.mqtt.set_mode(Mode::Drop);
    tokio::time::sleep(spread / 4).await;
    s.mqtt.set_mode(Mode::Pass);
    c.await.unwrap();
    assert!(r.await.unwrap().is_empty(), "every reply was queued");
    let row = settle_and_count(&s, n_in, n_out, 120).await;
    s.agent.client.stop().await;
    record(row);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_clock_an_hour_fast_loses_and_duplicates_nothing() {
    clock_off("clock_an_hour_fast", 3_600_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_clock_an_hour_slow_loses_and_duplicates_nothing() {
    clock_off("clock_an_hour_slow", -3_600_000).await;
}

// ---- SIGKILL during an ingest ----------------------------------------------------------------

/// The child half of the SIGKILL scenario: this test binary run again with
/// `PARLEY_KILL_CHILD=<dir>`. It signs the agent in, opens the cache in `<dir>`, queues the
/// replies listed in `<dir>/replies` (first run only) and syncs until it is killed. Without
/// the variable (every normal run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child half of the SIGKILL scenario, started by it"]
async fn sigkill_child() {
    let Some(dir) = std::env::var_os("PARLEY_KILL_CHILD").map(PathBuf::from) else {
        return;
    };
    init_logs();
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("child.json")).unwrap()).unwrap();
    let s = |k: &str| cfg[k].as_str().unwrap().to_owned();
    let valid = form(
        &s("http"),
        &s("mqtt"),
        &s("app"),
        &s("user"),
        &s("password"),
        parley_core::SignInRole::Agent,
    )
    .validate()
    .unwrap();
    let http_client = parley_client::http::http_client().unwrap();
    let secrets = Arc::new(parley_client::MemorySecrets::default());
    let signed = parley_client::sign_in(
        &http_client,
        &valid,
        secrets.clone() as Arc<dyn SecretStore>,
    )
    .await
    .unwrap();
    let store = Arc::new(SqliteStore::open(&dir.join("cache.db")).await.unwrap());
    parley_client::remember_account(store.as_ref(), &signed.account)
        .await
        .unwrap();
    let client = Client::start(
        signed.account,
        signed.session,
        store,
        http_client,
        fast_options(),
    )
    .unwrap();
    let replies = dir.join("replies");
    if let Ok(text) = std::fs::read_to_string(&replies) {
        for line in text.lines() {
            client
                .send_text(&s("conv"), line, 0, Default::default())
                .await
                .unwrap();
        }
        std::fs::remove_file(&replies).unwrap();
    }
    client.wait_online(Duration::from_secs(60)).await.unwrap();
    std::fs::write(dir.join("online"), b"1").unwrap();
    // Sync until killed.
    tokio::time::sleep(Duration::from_secs(600)).await;
}

fn spawn_child(dir: &std::path::Path) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PARLEY_KILL_CHILD", dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child starts")
}

async fn wait_for_file(p: &std::path::Path, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !p.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", p.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The app is killed (SIGKILL, no chance to clean up) while it ingests a burst of 10 k
/// customer messages with replies still queued, then started again: the catch-up from the
/// cursors in SQLite must end with every message exactly once, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_killed_during_a_10k_ingest_and_restarted_loses_and_duplicates_nothing() {
    let name = "sigkill_during_ingest";
    let (n_in, n_out) = (size(2_000, 10_000), size(20, 50));
    let started = Instant::now();
    let sb = demo_sandbox(None).await;
    let creds = sb.ready_info().agents[0].clone();
    let cust = sb.ready_info().customers[3].clone();
    let customer = Arc::new(Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await);
    let group = customer
        .start_conversation(&format!("Faults: {name}"), &creds.user_id)
        .await;
    let conv = format!("g:{group}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("child.json"),
        serde_json::to_vec(&json!({
            "http": sb.http_url(), "mqtt": sb.mqtt_url(), "app": sb.application_id(),
            "user": creds.user_id, "password": creds.password, "conv": conv,
        }))
        .unwrap(),
    )
    .unwrap();
    let replies: Vec<String> = (0..n_out).map(|i| out_text(name, i)).collect();
    std::fs::write(dir.path().join("replies"), replies.join("\n")).unwrap();

    let mut child = spawn_child(dir.path());
    wait_for_file(&dir.path().join("online"), 60).await;

    // The burst: eight customers' worth of parallel sends.
    let sender = {
        let customer = customer.clone();
        tokio::spawn(async move {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let (customer, next) = (customer.clone(), next.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if i >= n_in {
                            return;
                        }
                        customer.send(group, &in_text(name, i)).await;
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
    };
    // Kill it mid-ingest: once a quarter of the burst is in its cache.
    let reader = SqliteStore::open(&dir.path().join("cache.db"))
        .await
        .unwrap();
    let acc = parley_core::Account::make_id(sb.application_id(), &creds.user_id);
    async fn ingested(reader: &SqliteStore, acc: &str, conv: &str) -> usize {
        reader
            .conversation(acc, conv)
            .await
            .ok()
            .flatten()
            .map_or(0, |c| usize::try_from(c.unread).unwrap_or(0))
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while ingested(&reader, &acc, &conv).await < n_in / 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at_kill = ingested(&reader, &acc, &conv).await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    sender.await.unwrap();

    // Restarted: it catches up from its cursors and sends what is left in its queue.
    let _ = std::fs::remove_file(dir.path().join("online"));
    let mut child = spawn_child(dir.path());
    let expected_in: Vec<String> = (0..n_in).map(|i| in_text(name, i)).collect();
    async fn texts(reader: &SqliteStore, acc: &str, conv: &str) -> Vec<String> {
        reader
            .timeline(acc, conv, None, 1_000_000)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect()
    }
    let deadline = Instant::now() + Duration::from_secs(size(120, 300));
    loop {
        let (lost, _) = tally(&expected_in, &texts(&reader, &acc, &conv).await);
        let queue_empty = reader.outbox(&acc).await.unwrap().is_empty();
        if (lost == 0 && queue_empty) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let in_cache = texts(&reader, &acc, &conv).await;
    child.kill().expect("stop the child");
    child.wait().unwrap();
    let mut on_server = Vec::new();
    let mut start = 0;
    loop {
        let r = customer
            .call(
                reqwest::Method::GET,
                &format!("/rest/ws/message/list?groupId={group}&pageSize=200&startIndex={start}"),
                None,
            )
            .await;
        let page = r["message"].as_array().cloned().unwrap_or_default();
        on_server.extend(
            page.iter()
                .filter_map(|m| m["message"].as_str().map(str::to_owned)),
        );
        if page.len() < 200 {
            break;
        }
        start += page.len();
    }
    let (lost_in, dup_in) = tally(&expected_in, &in_cache);
    let (lost_out, dup_out_server) = tally(&replies, &on_server);
    let (_, dup_out_cache) = tally(&replies, &in_cache);
    record(Row {
        scenario: name,
        sent_in: n_in,
        sent_out: n_out,
        lost_in,
        lost_out,
        dup_in,
        dup_out: dup_out_server + dup_out_cache,
        secs: started.elapsed().as_secs_f64(),
        note: format!("killed with {at_kill} of {n_in} ingested"),
        ..Row::default()
    });
}
