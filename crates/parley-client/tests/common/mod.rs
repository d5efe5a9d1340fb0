//! Test harness: a sandbox in-process, a controllable loopback proxy in front of it (to cut
//! the link), an agent signed in through the real sign-in code, and a "customer" speaking
//! the platform's REST API like the web widget would.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use parley_client::{sign_in, Client, ClientEvent, ClientOptions, MemorySecrets, SecretStore};
use parley_core::store::Store;
use parley_core::{Secret, ServerChoice, ServerPreset, SignInForm, SignInRole};
use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use parley_store::SqliteStore;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,parley_client=info".into()),
        )
        .with_test_writer()
        .try_init();
}

pub async fn sandbox(seed: SeedConfig) -> Sandbox {
    init_logs();
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = seed;
    Sandbox::start(cfg).await.expect("sandbox starts")
}

/// What the [`Proxy`] does with the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Close every connection (FIN) and refuse new ones (accepted, then closed at once).
    Drop,
    /// Accept, never forward: the link is silently gone. When the mode changes, held
    /// connections are reset (the path's state is lost).
    Blackhole,
    /// Forward, but hold every chunk from the server this long (a very slow server).
    Delay(u64),
    /// Reset every connection (RST) and new ones at once.
    Reset,
    /// HTTP only: each request is forwarded to the server (which acts on it), its answer is
    /// thrown away and the client gets `503 Service Unavailable` (a failing gateway).
    Http503,
    /// HTTP only: [`Mode::Http503`] for requests that change something (every method but
    /// GET), on open connections too; GETs pass. An event stream stays up while the answers
    /// to sends are lost.
    Http503Writes,
}

/// A TCP proxy on loopback that the test controls: [`Mode`]s for faults, `cut`/`restore` as
/// shorthands for `Drop`/`Pass`. Changing the mode applies to open connections too.
pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<std::sync::Mutex<Mode>>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
    /// Connections accepted so far.
    pub accepted: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(std::sync::Mutex::new(Mode::Pass));
        let (gen_tx, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(gen_tx);
        let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (mode2, gen2, acc2) = (mode.clone(), generation.clone(), accepted.clone());
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                acc2.fetch_add(1, Ordering::SeqCst);
                let cut = gen2.subscribe();
                tokio::spawn(proxy_connection(inbound, target, mode2.clone(), cut));
            }
        });
        Self {
            addr,
            mode,
            generation,
            accepted,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    pub fn cut(&self) {
        self.set_mode(Mode::Drop);
    }

    pub fn restore(&self) {
        self.set_mode(Mode::Pass);
    }
}

fn current(mode: &std::sync::Mutex<Mode>) -> Mode {
    *mode.lock().unwrap()
}

/// Close with RST (SO_LINGER 0 does not block).
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn proxy_connection(
    inbound: TcpStream,
    target: SocketAddr,
    mode: Arc<std::sync::Mutex<Mode>>,
    mut cut: tokio::sync::watch::Receiver<u64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    match current(&mode) {
        Mode::Drop => return,
        Mode::Reset => return reset(inbound),
        Mode::Blackhole => {
            while current(&mode) == Mode::Blackhole {
                if cut.changed().await.is_err() {
                    break;
                }
            }
            return reset(inbound);
        }
        Mode::Http503 => return http_503(inbound, target, Vec::new()).await,
        Mode::Pass | Mode::Delay(_) | Mode::Http503Writes => {}
    }
    let Ok(outbound) = TcpStream::connect(target).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let _ = inbound.set_nodelay(true);
    let (mut ir, mut iw) = inbound.into_split();
    let (mut or, mut ow) = outbound.into_split();
    let (mut up, mut down) = (vec![0u8; 32 * 1024], vec![0u8; 32 * 1024]);
    // The start of a write request held back in `Http503Writes` mode.
    let mut held = Vec::new();
    let end = loop {
        tokio::select! {
            n = ir.read(&mut up) => {
                let Ok(n @ 1..) = n else { break Mode::Drop };
                if current(&mode) == Mode::Http503Writes && !up[..n].starts_with(b"GET ") {
                    held.extend_from_slice(&up[..n]);
                    break Mode::Http503Writes;
                }
                if ow.write_all(&up[..n]).await.is_err() { break Mode::Drop }
            }
            n = or.read(&mut down) => {
                let Ok(n @ 1..) = n else { break Mode::Drop };
                if let Mode::Delay(ms) = current(&mode) {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                if iw.write_all(&down[..n]).await.is_err() { break Mode::Drop }
            }
            r = cut.changed() => {
                if r.is_err() { break Mode::Drop }
                match current(&mode) {
                    Mode::Pass | Mode::Delay(_) | Mode::Http503Writes => {}
                    Mode::Blackhole => {
                        // Frozen: nothing moves until the mode changes, then the path is gone.
                        while current(&mode) == Mode::Blackhole {
                            if cut.changed().await.is_err() { break }
                        }
                        break Mode::Reset;
                    }
                    other => break other,
                }
            }
        }
    };
    if let Ok(stream) = ir.reunite(iw) {
        if end == Mode::Reset || end == Mode::Http503 {
            reset(stream);
        } else if end == Mode::Http503Writes {
            http_503(stream, target, held).await;
        }
    }
}

/// Reads one HTTP/1.1 message (head + Content-Length or chunked body) from `s`.
async fn read_http_message<R: tokio::io::AsyncRead + Unpin>(
    s: &mut R,
    mut buf: Vec<u8>,
) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    if let Some(len) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    } else if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while !buf[head_end..].ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    Some(buf)
}

/// One request (its first bytes in `start`): forwarded to the server, whose answer is
/// dropped; the client gets a 503.
async fn http_503(mut inbound: TcpStream, target: SocketAddr, start: Vec<u8>) {
    use tokio::io::AsyncWriteExt;
    let Some(request) = read_http_message(&mut inbound, start).await else {
        return;
    };
    if let Ok(mut outbound) = TcpStream::connect(target).await {
        if outbound.write_all(&request).await.is_ok() {
            let _ = tokio::time::timeout(
                Duration::from_secs(10),
                read_http_message(&mut outbound, Vec::new()),
            )
            .await;
        }
    }
    let body = r#"{"status":"error","errorResponse":[{"errorCode":"AL-503","description":"fault injected"}]}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = inbound.write_all(answer.as_bytes()).await;
    let _ = inbound.shutdown().await;
}

pub struct Agent {
    pub client: Client<SqliteStore>,
    pub store: Arc<SqliteStore>,
    pub secrets: Arc<MemorySecrets>,
    pub events: broadcast::Receiver<ClientEvent>,
    pub user_id: String,
    pub password: String,
}

pub fn fast_options() -> ClientOptions {
    let mut o = ClientOptions::default();
    o.reconnect.base_ms = 100;
    o.reconnect.max_ms = 1_000;
    o.send_retry.base_ms = 100;
    o.send_retry.max_ms = 1_000;
    o
}

pub fn form(
    http: &str,
    mqtt: &str,
    app_key: &str,
    user: &str,
    password: &str,
    role: SignInRole,
) -> SignInForm {
    SignInForm {
        server: ServerChoice {
            preset: ServerPreset::Custom,
            custom_url: Some(http.to_owned()),
            custom_broker: Some(mqtt.to_owned()),
        },
        role,
        app_key: app_key.to_owned(),
        user_id: user.to_owned(),
        password: serde_json::from_value::<Secret>(json!(password)).unwrap(),
    }
}

/// Sign in the first demo agent through `http`/`mqtt` (the sandbox or a proxy) and start
/// the client services on a temporary SQLite cache.
pub async fn agent(sb: &Sandbox, http: &str, mqtt: &str) -> Agent {
    let creds = sb.ready_info().agents[0].clone();
    agent_as(sb, http, mqtt, &creds.user_id, &creds.password).await
}

/// Sign an agent in (secrets in memory): what every client test does before starting one.
pub async fn sign_in_agent(
    sb: &Sandbox,
    http: &str,
    mqtt: &str,
    user: &str,
    password: &str,
) -> (parley_client::SignedIn, Arc<MemorySecrets>, reqwest::Client) {
    let secrets = Arc::new(MemorySecrets::default());
    let valid = form(
        http,
        mqtt,
        sb.application_id(),
        user,
        password,
        SignInRole::Agent,
    )
    .validate()
    .expect("valid form");
    let http_client = parley_client::http::http_client().unwrap();
    let signed = sign_in(
        &http_client,
        &valid,
        secrets.clone() as Arc<dyn SecretStore>,
    )
    .await
    .expect("agent signs in");
    (signed, secrets, http_client)
}

pub async fn agent_as(sb: &Sandbox, http: &str, mqtt: &str, user: &str, password: &str) -> Agent {
    let (signed, secrets, http_client) = sign_in_agent(sb, http, mqtt, user, password).await;
    start_agent(signed, secrets, http_client, password).await
}

/// Start the client services of a signed-in account on a temporary SQLite cache.
pub async fn start_agent(
    signed: parley_client::SignedIn,
    secrets: Arc<MemorySecrets>,
    http_client: reqwest::Client,
    password: &str,
) -> Agent {
    let user = signed.account.user_id.clone();
    let store = Arc::new(SqliteStore::open_temporary().await.unwrap());
    store.save_account(&signed.account).await.unwrap();
    let client = Client::start(
        signed.account,
        signed.session,
        store.clone(),
        http_client,
        fast_options(),
    )
    .expect("client starts");
    let events = client.subscribe();
    Agent {
        client,
        store,
        secrets,
        events,
        user_id: user,
        password: password.to_owned(),
    }
}

pub fn proxied_urls(http: &Proxy, mqtt: &Proxy) -> (String, String) {
    (
        format!("http://{}", http.addr),
        format!("tcp://{}", mqtt.addr),
    )
}

/// A customer using the platform's REST API directly (like the web widget).
pub struct Customer {
    pub user_id: String,
    http: reqwest::Client,
    base: String,
    app: String,
    token: String,
}

impl Customer {
    pub async fn sign_in(sb: &Sandbox, user_id: &str, password: Option<&str>) -> Self {
        let http = reqwest::Client::new();
        let mut body =
            json!({"userId": user_id, "applicationId": sb.application_id(), "deviceType": 4});
        if let Some(p) = password {
            body["password"] = json!(p);
        }
        let r: Value = http
            .post(format!("{}/rest/ws/register/client", sb.http_url()))
            .header("Application-Key", sb.application_id())
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["authToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {r}"))
            .to_owned();
        Self {
            user_id: user_id.to_owned(),
            http,
            base: sb.http_url().to_owned(),
            app: sb.application_id().to_owned(),
            token,
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Application-Key", &self.app)
            .header("X-Authorization", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// A new support conversation assigned to `agent` (routing skipped). Returns the group id.
    pub async fn start_conversation(&self, title: &str, agent: &str) -> i64 {
        let r = self
            .call(
                reqwest::Method::POST,
                "/rest/ws/group/conversation",
                Some(json!({
                    "groupName": title,
                    "groupMemberList": [agent],
                    "metadata": {"SKIP_ROUTING": "true", "CONVERSATION_ASSIGNEE": agent},
                })),
            )
            .await;
        let resp = if r.get("response").is_some() {
            &r["response"]
        } else {
            &r
        };
        resp["id"]
            .as_i64()
            .or_else(|| resp["groupId"].as_i64())
            .or_else(|| resp.as_i64())
            .unwrap_or_else(|| panic!("no group id in {r}"))
    }

    pub async fn send(&self, group_id: i64, text: &str) -> String {
        let r = self
            .call(
                reqwest::Method::POST,
                "/rest/ws/message/send",
                Some(json!({"groupId": group_id, "message": text, "contentType": 0, "type": 5, "source": 1})),
            )
            .await;
        let r = if r.get("response").is_some() {
            r["response"].clone()
        } else {
            r
        };
        r["messageKey"]
            .as_str()
            .unwrap_or_else(|| panic!("no key in {r}"))
            .to_owned()
    }

    /// Texts of the conversation as the server has them, oldest first.
    pub async fn thread(&self, group_id: i64) -> Vec<(String, Value)> {
        let r = self
            .call(
                reqwest::Method::GET,
                &format!("/rest/ws/message/list?groupId={group_id}&pageSize=200"),
                None,
            )
            .await;
        let mut v: Vec<(String, Value)> = r["message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m["message"].as_str().unwrap_or_default().to_owned(), m))
            .collect();
        v.reverse();
        v
    }
}

/// Wait until `cond` holds, polling; panics with `what` after `secs`.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first demo agent, online, reaching the sandbox's REST and MQTT through proxies the test
/// can cut.
pub async fn proxied_agent(sb: &Sandbox) -> (Agent, Proxy, Proxy) {
    let http_proxy = Proxy::start(sb.http_addr()).await;
    let (mh, mp) = sb.mqtt_addr();
    let mqtt_proxy = Proxy::start(format!("{mh}:{mp}").parse().unwrap()).await;
    let (http_url, mqtt_url) = proxied_urls(&http_proxy, &mqtt_proxy);
    let a = agent(sb, &http_url, &mqtt_url).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    (a, http_proxy, mqtt_proxy)
}
