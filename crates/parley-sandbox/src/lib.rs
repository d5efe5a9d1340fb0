//! Parley sandbox: a local emulator of the Applozic/Kommunicate platform.
//!
//! It serves the REST API the SDKs and the agent app use (axum) and real-time notifications over
//! MQTT 3.1.1 (an embedded rumqttd broker, or an external broker such as mosquitto), keeping
//! its state in SQLite (a file, or memory).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sandbox = parley_sandbox::Sandbox::start(parley_sandbox::SandboxConfig::for_tests()).await?;
//! println!("{}", sandbox.http_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod clock;
pub mod db;
pub mod dixa;
pub mod error;
pub mod extract;
pub mod jwt;
pub mod model;
pub mod mqtt;
pub mod routes;
pub mod seed;
pub mod services;
pub mod simulate;
pub mod state;
pub mod wapikit;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::RngCore as _;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::jwt::{Claims, JwtKeys};
use crate::mqtt::Bus;
use crate::state::{AppIdentity, AppState, Limits};

/// Where the MQTT broker is.
#[derive(Debug, Clone)]
pub enum BrokerConfig {
    /// Start rumqttd in-process on this address (port 0: any free port).
    Embedded(SocketAddr),
    /// Use an external broker, `tcp://host:port`. It must let the sandbox connect with
    /// username = application key and password = a JWT (or allow anonymous clients);
    /// JWT checks of other clients are then up to that broker.
    External(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedConfig {
    None,
    Demo,
    Scale { conversations: u64, messages: u64 },
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub http_addr: SocketAddr,
    pub broker: BrokerConfig,
    /// `None`: in memory.
    pub data_dir: Option<PathBuf>,
    pub seed: SeedConfig,
    /// Simulated customer messages (and typing) per second.
    pub simulate: Option<f64>,
    pub application_id: String,
    /// `None`: a random key.
    pub api_key: Option<String>,
    pub token_valid_minutes: i64,
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    /// Dixa API rate limit per token: requests per second (0: none) and burst.
    pub dixa_rate_per_second: f64,
    pub dixa_burst: u32,
    /// WapiKit API rate limit: requests per route and caller in each window (0: none).
    /// WapiKit's conversation routes allow 600 per hour.
    pub wapikit_rate_limit: u32,
    pub wapikit_rate_window: Duration,
}

impl SandboxConfig {
    /// Loopback, ephemeral ports, in memory, nothing seeded.
    pub fn for_tests() -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            http_addr: any,
            broker: BrokerConfig::Embedded(any),
            data_dir: None,
            seed: SeedConfig::None,
            simulate: None,
            application_id: "parley-sandbox".to_owned(),
            api_key: None,
            token_valid_minutes: 30 * 24 * 60,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            dixa_rate_per_second: 10.0,
            dixa_burst: 4,
            wapikit_rate_limit: 600,
            wapikit_rate_window: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    #[serde(rename = "userId")]
    pub user_id: String,
    pub password: String,
}

/// The one JSON line printed when the sandbox is ready.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyInfo {
    pub ready: bool,
    pub http: String,
    pub mqtt: String,
    pub application_id: String,
    pub api_key: String,
    pub agents: Vec<Credentials>,
    pub customers: Vec<Credentials>,
    pub bot: Credentials,
    /// The Dixa API token (`Authorization: <token>` or `Bearer <token>` on `/v1/...`).
    pub dixa_token: String,
    /// The WapiKit API key (`x-access-token: <key>` on `/api/...`) of the demo member.
    pub wapikit_key: String,
    /// WapiKit's API root: `<http>/api`.
    pub wapikit_url: String,
}

/// A running sandbox.
pub struct Sandbox {
    state: Arc<AppState>,
    ready: ReadyInfo,
    http_addr: SocketAddr,
    mqtt_addr: (String, u16),
    shutdown: Option<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
    /// Seeding time, for reports.
    pub seed_duration: Duration,
    /// Keeps the in-memory database alive (see [`db::open`]); dropped with the sandbox.
    _memory_keeper: Option<std::sync::Mutex<sqlx::SqliteConnection>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("http", &self.ready.http)
            .field("mqtt", &self.ready.mqtt)
            .finish()
    }
}

fn parse_tcp_url(url: &str) -> anyhow::Result<(String, u16)> {
    let rest = url
        .strip_prefix("tcp://")
        .or_else(|| url.strip_prefix("mqtt://"))
        .unwrap_or(url);
    let (host, port) = rest
        .rsplit_once(':')
        .with_context(|| format!("broker URL {url} needs a port"))?;
    let port: u16 = port
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("bad port in {url}"))?;
    Ok((host.trim_matches(['[', ']']).to_owned(), port))
}

impl Sandbox {
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let jwt = Arc::new(JwtKeys::new(&secret));
        let app_id = config.application_id.clone();
        let api_key = config
            .api_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());

        let (db, memory_keeper) = db::open(config.data_dir.as_deref()).await?;

        let (mqtt_host, mqtt_port) = match &config.broker {
            BrokerConfig::Embedded(addr) => {
                let jwt = jwt.clone();
                let app = app_id.clone();
                let addr = *addr;
                let bound = tokio::task::spawn_blocking(move || {
                    mqtt::broker::start_embedded(addr, jwt, app)
                })
                .await??;
                (bound.ip().to_string(), bound.port())
            }
            BrokerConfig::External(url) => parse_tcp_url(url)?,
        };
        let mqtt_url = format!("tcp://{mqtt_host}:{mqtt_port}");

        // The sandbox's own client authenticates like everyone else, with a long-lived token.
        let internal_token = jwt.sign(&Claims {
            user_id: "parley-sandbox-internal".to_owned(),
            application_id: app_id.clone(),
            created_at_time: clock::wall_ms(),
            valid_upto: 10 * 365 * 24 * 60,
            device_key: None,
            role_type: model::role::APPLICATION_ADMIN,
        });
        let (incoming_tx, incoming_rx) = mpsc::channel(4096);
        let (bus, bus_task) =
            Bus::connect(&mqtt_host, mqtt_port, &app_id, &internal_token, incoming_tx).await?;

        let listener = tokio::net::TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("binding HTTP on {}", config.http_addr))?;
        let http_addr = listener.local_addr()?;
        let http_url = format!("http://{http_addr}");

        let state = Arc::new(AppState::new(
            db,
            AppIdentity {
                application_id: app_id.clone(),
                api_key: api_key.clone(),
                bot_user_id: seed::BOT_USER_ID.to_owned(),
            },
            jwt,
            bus,
            Limits {
                max_body_bytes: config.max_body_bytes,
                max_upload_bytes: config.max_upload_bytes,
                token_valid_minutes: config.token_valid_minutes,
                dixa_rate_per_second: config.dixa_rate_per_second,
                dixa_burst: config.dixa_burst,
                wapikit_rate_limit: config.wapikit_rate_limit,
                wapikit_rate_window: config.wapikit_rate_window,
            },
            http_url.clone(),
            mqtt_url.clone(),
        ));

        let seed_started = Instant::now();
        let accounts = seed::run(&state, &config.seed).await?;
        let seed_duration = seed_started.elapsed();

        let mut tasks = vec![bus_task];
        tasks.push(tokio::spawn(mqtt::consumer::run(
            state.clone(),
            incoming_rx,
        )));

        let app = routes::router(state.clone());
        let service = tower::ServiceBuilder::new()
            .map_request(routes::fix_query_quirk)
            .service(app);
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        tasks.push(tokio::spawn(async move {
            let make = axum::ServiceExt::<axum::extract::Request>::into_make_service(service);
            let result = axum::serve(listener, make)
                .with_graceful_shutdown(async {
                    let _ = shutdown_rx.await;
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        }));

        if let Some(rate) = config.simulate {
            if rate > 0.0 {
                tasks.push(tokio::spawn(simulate::run(state.clone(), rate)));
            }
        }

        let ready = ReadyInfo {
            ready: true,
            http: http_url.clone(),
            mqtt: mqtt_url,
            application_id: app_id,
            api_key,
            agents: accounts.agents,
            customers: accounts.customers,
            bot: accounts.bot,
            dixa_token: accounts.dixa_token,
            wapikit_key: accounts.wapikit_key,
            wapikit_url: format!("{http_url}/api"),
        };
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "sandbox ready"
        );
        Ok(Self {
            state,
            ready,
            http_addr,
            mqtt_addr: (mqtt_host, mqtt_port),
            shutdown: Some(shutdown_tx),
            tasks,
            seed_duration,
            _memory_keeper: memory_keeper,
        })
    }

    pub fn ready_info(&self) -> &ReadyInfo {
        &self.ready
    }

    pub fn http_url(&self) -> &str {
        &self.ready.http
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    pub fn mqtt_url(&self) -> &str {
        &self.ready.mqtt
    }

    /// Host and port of the broker.
    pub fn mqtt_addr(&self) -> (&str, u16) {
        (&self.mqtt_addr.0, self.mqtt_addr.1)
    }

    pub fn application_id(&self) -> &str {
        &self.ready.application_id
    }

    pub fn api_key(&self) -> &str {
        &self.ready.api_key
    }

    /// The Dixa API token.
    pub fn dixa_token(&self) -> &str {
        &self.ready.dixa_token
    }

    /// The demo WapiKit API key (of the first member, "me").
    pub fn wapikit_key(&self) -> &str {
        &self.ready.wapikit_key
    }

    /// WapiKit's API root (`<http>/api`).
    pub fn wapikit_url(&self) -> &str {
        &self.ready.wapikit_url
    }

    /// A WapiKit API key of the member with `email` (e.g. [`seed::wapikit::OTHER_EMAIL`], of
    /// another organisation), or `None`.
    pub async fn wapikit_key_for(&self, email: &str) -> anyhow::Result<Option<String>> {
        let Some(signer) = self.state.wapikit.keys.get() else {
            return Ok(None);
        };
        seed::wapikit::mint_key(&self.state.db, signer, email).await
    }

    /// A WapiKit API key with these claims, signed with the server's secret (expired keys,
    /// keys of unknown users).
    pub fn wapikit_key_with(&self, claims: &wapikit::auth::KeyClaims) -> Option<String> {
        self.state.wapikit.keys.get().map(|s| s.sign(claims))
    }

    /// Creates another Dixa API token (it has a rate limit of its own).
    pub async fn issue_dixa_token(&self) -> anyhow::Result<String> {
        seed::dixa::insert_token(&self.state.db, &seed::dixa::random_token()).await
    }

    /// Mints a JWT for `user_id` with the given claims (tests use it for expired tokens).
    pub fn mint_token(&self, user_id: &str, created_at_ms: i64, valid_minutes: i64) -> String {
        self.state.jwt.sign(&Claims {
            user_id: user_id.to_owned(),
            application_id: self.ready.application_id.clone(),
            created_at_time: created_at_ms,
            valid_upto: valid_minutes,
            device_key: None,
            role_type: model::role::USER,
        })
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops the HTTP server and the sandbox's tasks (the embedded broker thread stays until
    /// the process exits).
    pub async fn shutdown(mut self) {
        // Open WapiKit event streams end, so the server's graceful shutdown is not held up.
        self.state.wapikit.stopping.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.bus.disconnect().await;
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.state.wapikit.stopping.send_replace(true);
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}
