//! The same inbox / timeline / send-queue tests over every provider: Kommunicate (REST + MQTT)
//! and WapiKit (REST + server-sent events), each against its part of the sandbox, through a
//! proxy the test can cut. A [`Peer`] hides only what differs on the server side: how a
//! customer starts a conversation and writes, what the server holds, and which link carries
//! the real-time events. The client calls are the same for both.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use parley_client::{sign_in_wapikit, Client, ClientEvent, MemorySecrets, SecretKind, SecretStore};
use parley_core::model::{
    ConnectionState, ConversationStatus, DeliveryState, InboxSort, InboxView, Message,
};
use parley_core::store::{InboxQuery, Store};
use parley_core::{Platform, Secret};
use parley_sandbox::{Sandbox, SeedConfig};
use parley_store::SqliteStore;
use serde_json::{json, Value};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kommunicate,
    WapiKit,
}

/// A sandbox, an agent's client signed in to `kind` through proxies, and the customer side.
struct Peer {
    kind: Kind,
    sb: Sandbox,
    http: Proxy,
    mqtt: Proxy,
    agent: Agent,
    /// Kommunicate: the customer who started each conversation (by conversation id).
    customers: Mutex<Vec<(String, i64, Customer)>>,
    started: AtomicUsize,
    raw: reqwest::Client,
}

impl Peer {
    async fn start(kind: Kind) -> Self {
        let sb = sandbox(SeedConfig::Demo).await;
        let http = Proxy::start(sb.http_addr()).await;
        let (mh, mp) = sb.mqtt_addr();
        let mqtt = Proxy::start(format!("{mh}:{mp}").parse().unwrap()).await;
        let agent = match kind {
            Kind::Kommunicate => {
                let (http_url, mqtt_url) = proxied_urls(&http, &mqtt);
                agent(&sb, &http_url, &mqtt_url).await
            }
            Kind::WapiKit => wapikit_agent(&sb, &format!("http://{}/api", http.addr)).await,
        };
        agent
            .client
            .wait_online(Duration::from_secs(30))
            .await
            .expect("online");
        Self {
            kind,
            sb,
            http,
            mqtt,
            agent,
            customers: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
            raw: reqwest::Client::new(),
        }
    }

    fn client(&self) -> &Client<SqliteStore> {
        &self.agent.client
    }

    /// A message of this agent's cache, by key (it must be there).
    async fn cached_message(&self, key: &str) -> Message {
        self.agent
            .store
            .message(&self.client().account().id, key)
            .await
            .unwrap()
            .unwrap()
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .raw
            .request(method, format!("{}{path}", self.sb.http_url()))
            .header("Api-Key", self.sb.api_key());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A customer starts a conversation that the agent sees; returns its id in the model.
    async fn new_conversation(&self, title: &str) -> String {
        let n = self.started.fetch_add(1, Ordering::SeqCst);
        match self.kind {
            Kind::Kommunicate => {
                let creds = self.sb.ready_info().customers[n].clone();
                let customer =
                    Customer::sign_in(&self.sb, &creds.user_id, Some(&creds.password)).await;
                let group = customer
                    .start_conversation(title, &self.agent.user_id)
                    .await;
                let id = format!("g:{group}");
                self.customers
                    .lock()
                    .await
                    .push((id.clone(), group, customer));
                id
            }
            Kind::WapiKit => {
                let v = self
                    .admin(
                        reqwest::Method::POST,
                        "/admin/wapikit/inbound",
                        Some(json!({
                            "phone": format!("+44 7700 9{n:05}"),
                            "name": format!("Customer {n}"),
                            "text": title,
                        })),
                    )
                    .await;
                let id = v["conversation"]["uniqueId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no conversation id in {v}"));
                format!("w:{id}")
            }
        }
    }

    /// The customer writes in `conv` (straight to the sandbox, never through the proxy).
    async fn customer_says(&self, conv: &str, text: &str) {
        match self.kind {
            Kind::Kommunicate => {
                let customers = self.customers.lock().await;
                let (_, group, c) = customers.iter().find(|(id, ..)| id == conv).unwrap();
                c.send(*group, text).await;
            }
            Kind::WapiKit => {
                let id = conv.strip_prefix("w:").unwrap();
                self.admin(
                    reqwest::Method::POST,
                    "/admin/wapikit/inbound",
                    Some(json!({"conversationId": id, "text": text})),
                )
                .await;
            }
        }
    }

    /// The conversation's texts as the server holds them, oldest first.
    async fn server_texts(&self, conv: &str) -> Vec<String> {
        match self.kind {
            Kind::Kommunicate => {
                let customers = self.customers.lock().await;
                let (_, group, c) = customers.iter().find(|(id, ..)| id == conv).unwrap();
                c.thread(*group).await.into_iter().map(|(t, _)| t).collect()
            }
            Kind::WapiKit => {
                let id = conv.strip_prefix("w:").unwrap();
                let v = self
                    .admin(
                        reqwest::Method::GET,
                        &format!("/admin/wapikit/messages?conversationId={id}"),
                        None,
                    )
                    .await;
                v["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        m["messageData"]["text"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect()
            }
        }
    }

    /// Whether the server has the conversation closed.
    async fn server_says_resolved(&self, conv: &str) -> bool {
        match self.kind {
            Kind::Kommunicate => {
                let group: i64 = conv.strip_prefix("g:").unwrap().parse().unwrap();
                let info = self
                    .client()
                    .rest()
                    .unwrap()
                    .group_info(group)
                    .await
                    .unwrap();
                info.metadata.get("CONVERSATION_STATUS").map(String::as_str) == Some("2")
            }
            Kind::WapiKit => {
                let id = conv.strip_prefix("w:").unwrap();
                let v: Value = self
                    .raw
                    .get(format!("{}/conversation/{id}", self.sb.wapikit_url()))
                    .header("x-access-token", self.sb.wapikit_key())
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v["conversation"]["status"] == "Closed"
            }
        }
    }

    /// Cut the link that carries real-time events (WapiKit's event stream shares the HTTP
    /// link; Kommunicate's is the MQTT connection).
    fn cut_realtime(&self) {
        match self.kind {
            Kind::Kommunicate => self.mqtt.cut(),
            Kind::WapiKit => self.http.cut(),
        }
    }

    fn restore_realtime(&self) {
        self.mqtt.restore();
        self.http.restore();
    }

    fn cut_everything(&self) {
        self.http.cut();
        self.mqtt.cut();
    }

    /// Wait until the conversation is in the cache.
    async fn wait_cached(&self, conv: &str) {
        eventually(10, "the conversation cached", || async {
            self.client().conversation(conv).await.unwrap().is_some()
        })
        .await;
    }

    /// The send queue drains within `secs`; `text` is then once on the server and, after the
    /// server's own copy had time to come back (event or catch-up), once in the timeline,
    /// sent.
    async fn assert_sent_once(&self, conv: &str, text: &str, secs: u64) {
        let kind = self.kind;
        eventually(secs, "the reply confirmed", || async {
            self.client().outbox().await.unwrap().is_empty()
        })
        .await;
        let on_server = self.server_texts(conv).await;
        let copies = on_server.iter().filter(|t| *t == text).count();
        assert_eq!(copies, 1, "{kind:?}: once on the server: {on_server:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let tl = self.client().timeline(conv, None, 50).await.unwrap();
        let mine: Vec<_> = tl.iter().filter(|m| m.text == text).collect();
        assert_eq!(mine.len(), 1, "{kind:?}: once in the timeline: {tl:#?}");
        assert!(mine[0].state >= DeliveryState::Sent);
    }

    async fn stop(self) {
        self.agent.client.stop().await;
    }
}

/// Sign in to the sandbox's WapiKit with the demo key and start a client on a temporary cache.
async fn wapikit_agent(sb: &Sandbox, base_url: &str) -> Agent {
    let secrets = Arc::new(MemorySecrets::default());
    let http = parley_client::http::http_client().unwrap();
    let signed = sign_in_wapikit(
        &http,
        base_url,
        Secret::new(sb.wapikit_key()),
        secrets.clone() as Arc<dyn SecretStore>,
    )
    .await
    .expect("WapiKit sign-in");
    start_agent(signed, secrets, http, "").await
}

fn everything() -> InboxQuery {
    InboxQuery {
        view: InboxView::All,
        sort: InboxSort::Newest,
        offset: 0,
        limit: 500,
    }
}

/// Runs each scenario once per provider, as `<scenario>_over_kommunicate` / `_over_wapikit`.
macro_rules! over_every_provider {
    ($($name:ident),* $(,)?) => {
        mod over_kommunicate {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::Kommunicate).await
                }
            )*
        }
        mod over_wapikit {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::WapiKit).await
                }
            )*
        }
    };
}

over_every_provider!(
    test_first_sync_fills_the_inbox_newest_first_with_previews_and_history,
    test_customer_message_arrives_live_and_reply_reaches_the_server_once,
    test_replies_written_offline_are_sent_once_in_order_after_reconnect,
    test_reconnect_fills_gap_from_cursor,
    test_opening_a_conversation_answers_from_the_cache_and_fills_history_behind,
    test_search_finds_a_message_that_arrived_live,
    test_a_reply_whose_answer_was_lost_reaches_the_server_once,
    test_contact_panel_reads_the_customer_of_a_conversation_fresh,
    test_a_restart_restores_the_account_from_the_secret_store_and_catches_up,
);

async fn test_first_sync_fills_the_inbox_newest_first_with_previews_and_history(kind: Kind) {
    let p = Peer::start(kind).await;
    let account = p.client().account().clone();
    assert_eq!(
        account.platform,
        match kind {
            Kind::Kommunicate => Platform::Kommunicate,
            Kind::WapiKit => Platform::WapiKit,
        }
    );
    let counts = p.client().counts().await.unwrap();
    assert!(
        counts.all > 0,
        "{kind:?}: open conversations cached: {counts:?}"
    );
    let rows = p.client().inbox(everything()).await.unwrap();
    assert_eq!(rows.len() as i64, counts.all.min(500), "{kind:?}");
    assert!(rows
        .windows(2)
        .all(|w| w[0].last_activity_at >= w[1].last_activity_at));
    let with_preview = rows
        .iter()
        .find(|c| c.last_message_preview.is_some())
        .unwrap_or_else(|| panic!("{kind:?}: no row has a preview: {rows:#?}"));
    let tl = p
        .client()
        .timeline(&with_preview.id, None, 50)
        .await
        .unwrap();
    assert!(!tl.is_empty(), "{kind:?}: history of {}", with_preview.id);
    assert!(tl.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    // The secret that signs this account in is in the secret store, and not in the cache.
    let kinds: &[SecretKind] = match kind {
        Kind::Kommunicate => &[SecretKind::AuthToken, SecretKind::DeviceKey],
        Kind::WapiKit => &[SecretKind::ApiKey],
    };
    let db: Vec<(String,)> = sqlx::query_as("SELECT group_concat(endpoints) FROM accounts")
        .fetch_all(p.agent.store.pool())
        .await
        .unwrap();
    for k in kinds {
        let s = p.agent.secrets.get(&account.id, *k).unwrap().expect("kept");
        assert!(
            !format!("{db:?}").contains(s.expose()),
            "{k:?} in the cache"
        );
    }
    p.stop().await;
}

async fn test_customer_message_arrives_live_and_reply_reaches_the_server_once(kind: Kind) {
    let mut p = Peer::start(kind).await;
    let conv = p.new_conversation("Parcel never arrived").await;
    let started = std::time::Instant::now();
    p.customer_says(&conv, "Hello, my parcel never arrived")
        .await;
    let mut notified = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline && !notified {
        if let Ok(Ok(ClientEvent::Notify(n))) =
            tokio::time::timeout(Duration::from_millis(200), p.agent.events.recv()).await
        {
            notified = n.conversation_id == conv;
        }
    }
    assert!(
        notified,
        "{kind:?}: a notification intent for the new message"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{kind:?}: arrived in {:?}",
        started.elapsed()
    );
    let tl = p.client().timeline(&conv, None, 50).await.unwrap();
    assert!(tl
        .iter()
        .any(|m| m.text == "Hello, my parcel never arrived"));
    let row = p
        .client()
        .conversation(&conv)
        .await
        .unwrap()
        .expect("in the inbox");
    assert_eq!(
        row.last_message_preview.as_deref(),
        Some("Hello, my parcel never arrived")
    );

    let key = p
        .client()
        .send_text(
            &conv,
            "Sorry about that! Checking now.",
            0,
            Default::default(),
        )
        .await
        .unwrap();
    let echo = p.cached_message(&key).await;
    assert_eq!(echo.state, DeliveryState::Queued, "local echo at once");
    p.assert_sent_once(&conv, "Sorry about that! Checking now.", 15)
        .await;

    p.client()
        .set_status(&conv, ConversationStatus::Resolved)
        .await
        .unwrap();
    let c = p.client().conversation(&conv).await.unwrap().unwrap();
    assert_eq!(c.status, ConversationStatus::Resolved);
    assert!(
        p.server_says_resolved(&conv).await,
        "{kind:?}: closed on the server"
    );
    p.stop().await;
}

async fn test_replies_written_offline_are_sent_once_in_order_after_reconnect(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("Offline replies").await;
    p.wait_cached(&conv).await;
    p.cut_everything();
    eventually(15, "offline", || async {
        matches!(
            *p.client().connection().borrow(),
            ConnectionState::Offline { .. }
        )
    })
    .await;
    const N: usize = 40;
    for i in 0..N {
        p.client()
            .send_text(
                &conv,
                &format!("offline reply {i:03}"),
                0,
                Default::default(),
            )
            .await
            .unwrap();
    }
    assert_eq!(p.client().outbox().await.unwrap().len(), N);
    p.restore_realtime();
    eventually(60, "the queue drained", || async {
        p.client().outbox().await.unwrap().is_empty()
    })
    .await;
    let on_server: Vec<usize> = p
        .server_texts(&conv)
        .await
        .iter()
        .filter_map(|t| t.strip_prefix("offline reply ")?.parse().ok())
        .collect();
    let mut sorted = on_server.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..N).collect::<Vec<_>>(),
        "{kind:?}: all, once each"
    );
    if kind == Kind::WapiKit {
        // WapiKit orders by its own clock, in distinct milliseconds here: exactly as sent.
        assert_eq!(on_server, sorted, "{kind:?}: in order");
    }
    let tl = p.client().timeline(&conv, None, 200).await.unwrap();
    let mine = tl
        .iter()
        .filter(|m| m.text.starts_with("offline reply "))
        .count();
    assert_eq!(mine, N, "{kind:?}: each once in the timeline");
    p.stop().await;
}

async fn test_reconnect_fills_gap_from_cursor(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("While you were away").await;
    p.wait_cached(&conv).await;
    p.cut_realtime();
    const N: usize = 150;
    for i in 0..N {
        p.customer_says(&conv, &format!("gap message {i:03}")).await;
    }
    p.restore_realtime();
    p.client()
        .wait_online(Duration::from_secs(30))
        .await
        .unwrap();
    let expected: Vec<String> = (0..N).map(|i| format!("gap message {i:03}")).collect();
    let texts = || async {
        p.agent
            .store
            .timeline(&p.client().account().id, &conv, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.starts_with("gap message"))
            .collect::<Vec<_>>()
    };
    eventually(30, "every missed message cached", || async {
        texts().await.len() >= N
    })
    .await;
    assert_eq!(
        texts().await,
        expected,
        "{kind:?}: each exactly once, in order"
    );
    let row = p.client().conversation(&conv).await.unwrap().unwrap();
    assert_eq!(row.last_message_preview.as_deref(), Some("gap message 149"));
    p.stop().await;
}

async fn test_opening_a_conversation_answers_from_the_cache_and_fills_history_behind(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("History behind").await;
    p.wait_cached(&conv).await;
    for i in 0..3 {
        p.customer_says(&conv, &format!("earlier {i}")).await;
    }
    let account = p.client().account().id.clone();
    let earlier = || async {
        p.agent
            .store
            .timeline(&account, &conv, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.text.starts_with("earlier"))
            .count()
    };
    eventually(15, "the customer's messages cached", || async {
        earlier().await == 3
    })
    .await;
    // The cache lost them (cleared): only the server has them now, behind the sync cursors.
    sqlx::query("DELETE FROM messages WHERE conversation_id = ?")
        .bind(&conv)
        .execute(p.agent.store.pool())
        .await
        .unwrap();
    let unread = || async {
        p.client()
            .conversation(&conv)
            .await
            .unwrap()
            .expect("cached")
            .unread
    };
    assert!(unread().await > 0);
    // Offline, the conversation still opens, from the cache, and is marked read there.
    p.cut_everything();
    let opened = p
        .client()
        .open_conversation(&conv, 50)
        .await
        .unwrap()
        .expect("cached");
    assert_eq!(opened.conversation.id, conv);
    assert!(
        opened.messages.is_empty(),
        "{kind:?}: {:?}",
        opened.messages
    );
    eventually(10, "marked read in the cache", || async {
        unread().await == 0
    })
    .await;
    // Back online, opening it again fetches the history behind (the offline attempt failed);
    // it arrives as a change, as any other does.
    let mut events = p.client().subscribe();
    p.restore_realtime();
    p.client()
        .wait_online(Duration::from_secs(30))
        .await
        .unwrap();
    eventually(20, "the history fetched behind the open", || async {
        p.client().open_conversation(&conv, 50).await.unwrap();
        earlier().await == 3
    })
    .await;
    // (The catch-up after the reconnect may announce the newest again: it is the same row.)
    let mut announced = std::collections::BTreeSet::new();
    while let Ok(e) = events.try_recv() {
        if let ClientEvent::Changed(applied) = e {
            announced.extend(
                applied
                    .messages
                    .iter()
                    .filter(|m| m.conversation_id == conv && m.text.starts_with("earlier"))
                    .map(|m| m.text.clone()),
            );
        }
    }
    assert_eq!(
        announced.into_iter().collect::<Vec<_>>(),
        ["earlier 0", "earlier 1", "earlier 2"],
        "{kind:?}: the fetched messages announced"
    );
    p.stop().await;
}

async fn test_search_finds_a_message_that_arrived_live(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("Refund question").await;
    p.customer_says(&conv, "Could I get a refund for the zebraprint umbrella?")
        .await;
    eventually(10, "the message cached", || async {
        p.client()
            .timeline(&conv, None, 20)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text.contains("zebraprint"))
    })
    .await;
    let hits = p.client().search("zebraprint", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{kind:?}: {hits:#?}");
    assert_eq!(hits[0].message.conversation_id, conv);
    // The palette finds the conversation by its title (Kommunicate: the conversation's name;
    // WapiKit: the customer's).
    let title = p.client().conversation(&conv).await.unwrap().unwrap().title;
    let found = p.client().find_conversations(&title, 10).await.unwrap();
    assert!(found.iter().any(|c| c.id == conv), "{kind:?}: {found:#?}");
    p.stop().await;
}

async fn test_a_reply_whose_answer_was_lost_reaches_the_server_once(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("Lost answers").await;
    p.wait_cached(&conv).await;
    // Every send reaches the server, which acts on it; every answer is lost (503). Reads
    // pass, so the real-time link (WapiKit's event stream is HTTP too) stays up.
    p.http.set_mode(Mode::Http503Writes);
    p.client()
        .send_text(&conv, "sent while answers are lost", 0, Default::default())
        .await
        .unwrap();
    eventually(10, "the server has the reply", || async {
        p.server_texts(&conv)
            .await
            .iter()
            .any(|t| t == "sent while answers are lost")
    })
    .await;
    // A few more attempts with their answers lost.
    tokio::time::sleep(Duration::from_millis(800)).await;
    p.http.set_mode(Mode::Pass);
    p.assert_sent_once(&conv, "sent while answers are lost", 30)
        .await;
    p.stop().await;
}

async fn test_contact_panel_reads_the_customer_of_a_conversation_fresh(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("Who is this?").await;
    p.customer_says(&conv, "It's me again").await;
    p.wait_cached(&conv).await;
    let row = p.client().conversation(&conv).await.unwrap().unwrap();
    let customer = row
        .customer_id
        .clone()
        .expect("a support conversation has a customer");
    let profile = p.client().contact_profile(&customer).await.unwrap();
    assert!(profile.fresh, "{kind:?}: read from the server");
    assert_eq!(profile.contact.user_id, customer);
    assert!(
        profile.contact.display_name.is_some(),
        "{kind:?}: {profile:#?}"
    );
    assert!(
        profile.conversations.iter().any(|c| c.id == conv),
        "{kind:?}: the customer's conversations: {profile:#?}"
    );
    match kind {
        Kind::Kommunicate => assert!(profile.blocked.is_some()),
        Kind::WapiKit => {
            // WhatsApp: the number, and no block list to ask.
            assert!(
                profile
                    .contact
                    .phone
                    .as_deref()
                    .is_some_and(|ph| ph.ends_with("900000")),
                "{profile:#?}"
            );
            assert_eq!(profile.blocked, None);
        }
    }
    // Offline: the cached copy, said to be so.
    p.cut_everything();
    let cached = p.client().contact_profile(&customer).await.unwrap();
    assert!(!cached.fresh, "{kind:?}");
    assert_eq!(cached.contact.user_id, customer);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_hidden_note_or_html_is_never_sent_to_a_whatsapp_customer() {
    let p = Peer::start(Kind::WapiKit).await;
    let conv = p.new_conversation("Notes stay inside").await;
    p.wait_cached(&conv).await;
    let hidden = [("category".to_owned(), "HIDDEN".to_owned())]
        .into_iter()
        .collect();
    let note = p
        .client()
        .send_text(&conv, "internal: refund approved by Bob", 0, hidden)
        .await
        .unwrap();
    let html = p
        .client()
        .send_text(&conv, "<b>bold offer</b>", 3, Default::default())
        .await
        .unwrap();
    p.client()
        .send_text(&conv, "A plain answer", 0, Default::default())
        .await
        .unwrap();
    eventually(15, "the plain answer sent, the others failed", || async {
        let out = p.client().outbox().await.unwrap();
        out.len() == 2 && out.iter().all(|i| i.failed)
    })
    .await;
    let on_server = p.server_texts(&conv).await;
    assert!(
        on_server.iter().any(|t| t == "A plain answer"),
        "{on_server:?}"
    );
    assert!(
        !on_server
            .iter()
            .any(|t| t.contains("refund approved") || t.contains("bold offer")),
        "{on_server:?}"
    );
    for key in [note, html] {
        let m = p.cached_message(&key).await;
        assert_eq!(m.state, DeliveryState::Failed, "{m:#?}");
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_assign_and_unassign_reach_wapikit_and_kommunicate_refuses_nobody() {
    let p = Peer::start(Kind::WapiKit).await;
    let conv = p.new_conversation("Who takes this?").await;
    p.wait_cached(&conv).await;
    let agents = p.client().agents().await.unwrap();
    let other = agents
        .iter()
        .find(|a| a.user_id != p.agent.user_id)
        .expect("the demo team has another member");
    p.client().assign(&conv, &other.user_id).await.unwrap();
    let server = |p: &Peer| {
        let id = conv.strip_prefix("w:").unwrap().to_owned();
        let url = format!("{}/conversation/{id}", p.sb.wapikit_url());
        let key = p.sb.wapikit_key().to_owned();
        let raw = p.raw.clone();
        async move {
            let v: Value = raw
                .get(url)
                .header("x-access-token", key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["conversation"]["assignedTo"]["uniqueId"]
                .as_str()
                .map(str::to_owned)
        }
    };
    assert_eq!(server(&p).await.as_deref(), Some(other.user_id.as_str()));
    let row = p.client().conversation(&conv).await.unwrap().unwrap();
    assert_eq!(row.assignee.as_deref(), Some(other.user_id.as_str()));

    p.client().assign(&conv, "").await.unwrap();
    assert_eq!(server(&p).await, None, "nobody on the server");
    let row = p.client().conversation(&conv).await.unwrap().unwrap();
    assert_eq!(row.assignee, None, "nobody in the cache");
    p.stop().await;

    let k = Peer::start(Kind::Kommunicate).await;
    let conv = k.new_conversation("Always someone").await;
    k.wait_cached(&conv).await;
    let e = k.client().assign(&conv, " ").await.unwrap_err();
    assert!(matches!(e, parley_client::ClientError::Invalid(_)), "{e:?}");
    k.stop().await;
}

async fn test_a_restart_restores_the_account_from_the_secret_store_and_catches_up(kind: Kind) {
    let p = Peer::start(kind).await;
    let conv = p.new_conversation("Across a restart").await;
    p.wait_cached(&conv).await;
    let account = p.client().account().clone();
    p.client().stop().await;
    // While the app is closed the customer writes.
    p.customer_says(&conv, "Written while Parley was closed")
        .await;

    // Start again as the shell does: the account from the cache, its secrets from the store.
    let saved = p
        .agent
        .store
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == account.id)
        .expect("the account is remembered");
    assert_eq!(saved.platform, account.platform);
    let session =
        parley_client::Session::restore(&saved, p.agent.secrets.clone() as Arc<dyn SecretStore>)
            .unwrap()
            .expect("its secrets are still there");
    let client = Client::start(
        saved,
        Arc::new(session),
        p.agent.store.clone(),
        parley_client::http::http_client().unwrap(),
        fast_options(),
    )
    .unwrap();
    client.wait_online(Duration::from_secs(30)).await.unwrap();
    eventually(15, "the message written while closed", || async {
        client
            .timeline(&conv, None, 50)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text == "Written while Parley was closed")
    })
    .await;

    // Signing out forgets the secrets and the cache of this account.
    client
        .sign_out(p.agent.secrets.as_ref() as &dyn SecretStore)
        .await
        .unwrap();
    for k in SecretKind::ALL {
        assert!(
            p.agent.secrets.get(&account.id, k).unwrap().is_none(),
            "{kind:?}: {k:?} forgotten"
        );
    }
    assert!(p
        .agent
        .store
        .accounts()
        .await
        .unwrap()
        .iter()
        .all(|a| a.id != account.id));
}
