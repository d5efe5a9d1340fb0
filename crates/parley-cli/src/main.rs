//! `parley-cli`: a second host of Parley's core. JSON output with `--json`.
//!
//! ```text
//! parley-cli --profile DIR login --server sandbox --app-key parley-sandbox --user alice@parley.test < password
//! parley-cli --profile DIR sync
//! parley-cli --profile DIR inbox --view mine
//! parley-cli --profile DIR messages g:123
//! parley-cli --profile DIR send g:123 "On my way"
//! parley-cli --profile DIR search refund
//! parley-cli --profile DIR watch
//! parley-cli --profile DIR logout
//! ```

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use parley_client::secrets::{KeyringSecrets, SecretStore};
use parley_client::{Client, ClientEvent, ClientOptions, Session};
use parley_core::model::{InboxSort, InboxView};
use parley_core::store::{InboxQuery, Store};
use parley_core::{Account, Secret, ServerChoice, ServerPreset, SignInForm, SignInRole};
use parley_store::SqliteStore;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "parley-cli",
    version,
    about = "Parley's core from the command line"
)]
struct Cli {
    /// Data directory (the SQLite cache). Default: the platform's data dir + parley-cli.
    #[arg(long, global = true)]
    profile: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Keyring service name (separate namespaces for tests).
    #[arg(
        long,
        global = true,
        env = "PARLEY_KEYRING_SERVICE",
        default_value = "io.parley.desktop"
    )]
    keyring_service: String,
    /// Account id (`appKey:userId`); default: the first signed-in account.
    #[arg(long, global = true)]
    account: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in; the password is read from standard input.
    Login {
        /// sandbox | kommunicate | eu | applozic | an http(s) URL
        #[arg(long, default_value = "sandbox")]
        server: String,
        /// MQTT broker for a custom server, e.g. tcp://host:1883.
        #[arg(long)]
        broker: Option<String>,
        #[arg(long)]
        app_key: String,
        #[arg(long)]
        user: String,
        /// Sign in as an app user (register/client) instead of an agent (loginv2).
        #[arg(long)]
        app_user: bool,
    },
    /// Sign out: device/logout, forget the secrets and the cache of the account.
    Logout,
    /// Connect, catch up, and return.
    Sync {
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// List a view of the inbox (from the cache).
    Inbox {
        /// mine | unassigned | all | closed | spam
        #[arg(long, default_value = "all")]
        view: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The newest messages of a conversation (from the cache).
    Messages {
        conversation: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Queue a message; it is sent now if the server is reachable, else on the next run.
    Send {
        conversation: String,
        text: String,
        /// Seconds to wait for the send to be confirmed.
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// Full-text search over cached messages.
    Search {
        terms: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Print one JSON line per event until interrupted.
    Watch,
}

fn default_profile() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("parley-cli")
}

struct Ctx {
    store: Arc<SqliteStore>,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    json: bool,
    account: Option<String>,
}

impl Ctx {
    async fn account(&self) -> anyhow::Result<Account> {
        let accounts = self.store.accounts().await?;
        match &self.account {
            Some(id) => accounts
                .into_iter()
                .find(|a| &a.id == id)
                .ok_or_else(|| anyhow!("no account {id} in this profile")),
            None => accounts
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("not signed in: run `parley-cli login` first")),
        }
    }

    async fn client(&self) -> anyhow::Result<Client<SqliteStore>> {
        let account = self.account().await?;
        let session = Session::restore(&account, self.secrets.clone())?.ok_or_else(|| {
            anyhow!(
                "{} has no secrets in the keyring: sign in again",
                account.id
            )
        })?;
        Ok(Client::start(
            account,
            Arc::new(session),
            self.store.clone(),
            self.http.clone(),
            ClientOptions::default(),
        )?)
    }

    fn print(&self, value: serde_json::Value, text: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", text());
        }
    }
}

fn parse_view(v: &str) -> anyhow::Result<InboxView> {
    Ok(match v {
        "mine" | "assigned" | "assigned_to_me" => InboxView::AssignedToMe,
        "unassigned" => InboxView::Unassigned,
        "all" | "open" => InboxView::All,
        "closed" | "resolved" => InboxView::Closed,
        "spam" => InboxView::Spam,
        other => bail!("unknown view {other}: use mine, unassigned, all, closed or spam"),
    })
}

fn server_choice(server: &str, broker: Option<String>) -> ServerChoice {
    let preset = match server {
        "sandbox" => ServerPreset::Sandbox,
        "kommunicate" | "cloud" => ServerPreset::KommunicateCloud,
        "eu" => ServerPreset::KommunicateEu,
        "applozic" => ServerPreset::ApplozicLegacy,
        _ => ServerPreset::Custom,
    };
    ServerChoice {
        preset,
        custom_url: (preset == ServerPreset::Custom).then(|| server.to_owned()),
        custom_broker: broker,
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PARLEY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("parley-cli: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let profile = cli.profile.clone().unwrap_or_else(default_profile);
    let store = Arc::new(
        SqliteStore::open(&profile.join("cache.sqlite"))
            .await
            .with_context(|| format!("opening the cache in {}", profile.display()))?,
    );
    let ctx = Ctx {
        store,
        secrets: Arc::new(KeyringSecrets::with_service(&cli.keyring_service)),
        http: parley_client::http::http_client()?,
        json: cli.json,
        account: cli.account.clone(),
    };
    match cli.command {
        Command::Login {
            server,
            broker,
            app_key,
            user,
            app_user,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let form = SignInForm {
                server: server_choice(&server, broker),
                role: if app_user {
                    SignInRole::AppUser
                } else {
                    SignInRole::Agent
                },
                app_key,
                user_id: user,
                password: Secret::new(password.trim_end_matches(['\r', '\n'])),
            };
            let valid = form.validate().map_err(|e| anyhow!(e.message))?;
            let signed = parley_client::sign_in(&ctx.http, &valid, ctx.secrets.clone())
                .await
                .map_err(|e| anyhow!(e.to_app_error().message))?;
            parley_client::remember_account(ctx.store.as_ref(), &signed.account).await?;
            let a = &signed.account;
            ctx.print(
                json!({"account": a.id, "userId": a.user_id, "server": a.endpoints.chat}),
                || format!("signed in as {} ({})", a.user_id, a.id),
            );
        }
        Command::Logout => {
            let client = ctx.client().await?;
            let id = client.account().id.clone();
            client.sign_out(ctx.secrets.as_ref()).await?;
            ctx.print(json!({"signedOut": id}), || format!("signed out of {id}"));
        }
        Command::Sync { timeout } => {
            let client = ctx.client().await?;
            let r = client.wait_online(Duration::from_secs(timeout)).await;
            let counts = client.counts().await?;
            client.stop().await;
            r.map_err(|e| anyhow!(e.to_app_error().message))?;
            ctx.print(json!({"caughtUp": true, "counts": counts}), || {
                format!(
                    "caught up: {} open ({} mine, {} unassigned), {} closed, {} unread",
                    counts.all,
                    counts.assigned_to_me,
                    counts.unassigned,
                    counts.closed,
                    counts.unread
                )
            });
        }
        Command::Inbox { view, limit } => {
            let account = ctx.account().await?;
            let rows = ctx
                .store
                .inbox(
                    &account.id,
                    InboxQuery {
                        view: parse_view(&view)?,
                        sort: InboxSort::Newest,
                        offset: 0,
                        limit,
                    },
                )
                .await?;
            if ctx.json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                for c in rows {
                    println!(
                        "{:<12} {:<28} {:>3} {:<10} {}",
                        c.id,
                        parley_core::model::truncate_chars(&c.title, 26),
                        c.unread,
                        format!("{:?}", c.status).to_lowercase(),
                        c.last_message_preview.unwrap_or_default()
                    );
                }
            }
        }
        Command::Messages {
            conversation,
            limit,
        } => {
            let account = ctx.account().await?;
            let msgs = ctx
                .store
                .timeline(&account.id, &conversation, None, limit)
                .await?;
            if ctx.json {
                println!("{}", serde_json::to_string(&msgs)?);
            } else {
                for m in msgs {
                    println!("[{}] {}: {}", m.created_at, m.sender_id, m.text);
                }
            }
        }
        Command::Send {
            conversation,
            text,
            wait,
        } => {
            let client = ctx.client().await?;
            let key = client
                .send_text(&conversation, &text, 0, Default::default())
                .await
                .map_err(|e| anyhow!(e.to_app_error().message))?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
            let mut sent = false;
            while tokio::time::Instant::now() < deadline {
                if !client.outbox().await?.iter().any(|i| i.client_key == key) {
                    sent = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            client.stop().await;
            ctx.print(json!({"clientKey": key, "sent": sent}), || {
                if sent {
                    "sent".to_owned()
                } else {
                    "queued: it will be sent the next time Parley is online".to_owned()
                }
            });
        }
        Command::Search { terms, limit } => {
            let account = ctx.account().await?;
            let hits = ctx.store.search(&account.id, &terms, limit).await?;
            if ctx.json {
                println!("{}", serde_json::to_string(&hits)?);
            } else {
                for h in hits {
                    println!(
                        "{} [{}] {}",
                        h.message.conversation_id,
                        h.conversation_title,
                        h.message.preview()
                    );
                }
            }
        }
        Command::Watch => {
            let client = ctx.client().await?;
            let mut rx = client.subscribe();
            loop {
                tokio::select! {
                    ev = rx.recv() => match ev {
                        Ok(ev) => println!("{}", event_json(&ev)),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            println!("{}", json!({"event": "lagged", "missed": n}));
                        }
                        Err(_) => break,
                    },
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            client.stop().await;
        }
    }
    Ok(())
}

fn event_json(ev: &ClientEvent) -> serde_json::Value {
    match ev {
        ClientEvent::Changed(a) => json!({
            "event": "changed",
            "conversations": a.conversations,
            "messages": a.messages,
            "removed": a.removed_messages,
        }),
        ClientEvent::Connection(c) => json!({"event": "connection", "state": c}),
        ClientEvent::Typing {
            conversation_id,
            user_id,
            typing,
        } => json!({
            "event": "typing", "conversation": conversation_id, "user": user_id, "typing": typing,
        }),
        ClientEvent::Notify(n) => json!({"event": "notify", "notification": n}),
        ClientEvent::StoreError(e) => json!({"event": "storeError", "error": e}),
    }
}
