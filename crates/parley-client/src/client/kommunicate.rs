//! The Kommunicate / Applozic provider, the reference implementation: REST (`RestClient`:
//! platform headers, JWT refresh) and real-time over MQTT (SDK CONNECT settings, the
//! `APPLOZIC_nn` envelope). Catch-up from the `message/sync` and `group/v5/list` cursors, history
//! from `message/list`, sending with the client key in the metadata (looked up before a retry).
//! Everything else (writer, sender loop, syncer loop, reconnect backoff, notifications, the
//! cache) is shared in `client.rs`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use parley_core::model::{
    keys, Agent, ConnectionState, Contact, Conversation, DeliveryState, Message, Millis,
};
use parley_core::realtime::{decode_envelope, decode_typing, topics, Availability, Event};
use parley_core::store::{Applied, Change, OutboxItem, Store};
use parley_core::wire::{ChannelFeed, WireMessage};
use rumqttc::{AsyncClient, Event as MqttEvent, Packet, QoS};
use tokio::sync::watch;

use super::{group_id_of, Backoff, ClientEvent, Inner, CURSOR_GROUPS, CURSOR_MESSAGES};
use crate::api::SupportFilter;
use crate::error::{ClientError, Result};
use crate::http::RestClient;
use crate::mqtt::{self, Broker};

/// What a Kommunicate account holds beyond the shared services.
pub(crate) struct Kommunicate {
    pub(crate) rest: Arc<RestClient>,
    pub(crate) broker: Broker,
    pub(crate) mqtt: StdMutex<Option<AsyncClient>>,
    /// Conversations whose typing topic is subscribed (re-subscribed after reconnects).
    pub(crate) watched: StdMutex<HashSet<String>>,
    /// Server clock minus local clock, as last measured by a catch-up (the local clock may
    /// be off by hours; queued messages carry local times).
    pub(crate) server_skew_ms: AtomicI64,
}

impl Kommunicate {
    pub(crate) fn new(rest: Arc<RestClient>, broker: Broker) -> Self {
        Self {
            rest,
            broker,
            mqtt: StdMutex::new(None),
            watched: StdMutex::new(HashSet::new()),
            server_skew_ms: AtomicI64::new(0),
        }
    }
}

impl<S: Store> Inner<S> {
    /// `message/list` before `before` into the cache (support groups only).
    pub(super) async fn km_history(
        &self,
        conversation_id: &str,
        before: Option<Millis>,
        limit: u32,
    ) -> Result<bool> {
        let Some(group_id) = group_id_of(conversation_id) else {
            return Ok(false);
        };
        let page = self.rest()?.message_list(group_id, before, limit).await?;
        self.ingest_page(page.message, page.user_details, false)
            .await?;
        Ok(true)
    }

    pub(super) fn mqtt_client(&self) -> Option<AsyncClient> {
        self.km().ok()?.mqtt.lock().ok().and_then(|m| m.clone())
    }

    pub(super) fn typing_topic(&self, conversation_id: &str) -> Option<String> {
        let target = match conversation_id.split_once(':') {
            Some(("g", g)) => g,
            Some(("u", u)) => u,
            _ => return None,
        };
        Some(topics::typing(&self.account.app_key, target))
    }

    /// Messages (and the people in them) from a page or a sync, with an optional cursor moved
    /// in the same transaction.
    pub(super) async fn ingest_page(
        &self,
        messages: Vec<WireMessage>,
        users: Vec<parley_core::wire::UserDetail>,
        notify: bool,
    ) -> Result<Applied> {
        let mut changes: Vec<Change> = users
            .iter()
            .filter_map(Contact::from_detail)
            .map(Change::UpsertContact)
            .collect();
        changes.extend(self.message_changes(&messages));
        self.write(changes, notify, Vec::new()).await
    }

    fn message_changes(&self, messages: &[WireMessage]) -> Vec<Change> {
        let mut out = Vec::new();
        for w in messages {
            if w.metadata.get(keys::DELETE_FOR_ALL).map(String::as_str) == Some("true") {
                if let Some(k) = &w.key {
                    out.push(Change::DeleteMessage { key: k.clone() });
                }
                continue;
            }
            match Message::from_wire(w, self.me()) {
                Some(m) => out.push(Change::UpsertMessage(m)),
                None => tracing::debug!("skipping a message without key or conversation"),
            }
        }
        out
    }

    /// Conversation rows from group feeds, noting which became assigned to me.
    async fn group_changes(&self, feeds: &[ChannelFeed]) -> Result<(Vec<Change>, Vec<String>)> {
        let mut changes = Vec::with_capacity(feeds.len());
        let mut assigned = Vec::new();
        for f in feeds {
            let c = Conversation::from_feed(f);
            if f.deleted_at_time.is_some_and(|t| t > 0)
                || f.metadata.get(keys::REMOVE_GROUP).map(String::as_str) == Some("true")
            {
                changes.push(Change::RemoveConversation { id: c.id });
                continue;
            }
            if c.assignee.as_deref() == Some(self.me()) {
                let before = self.store.conversation(&self.account.id, &c.id).await?;
                if before.is_some_and(|b| b.assignee.as_deref() != Some(self.me())) {
                    assigned.push(c.id.clone());
                }
            }
            for u in &f.users {
                if let Some(contact) = Contact::from_detail(u) {
                    changes.push(Change::UpsertContact(contact));
                }
            }
            changes.push(Change::UpsertConversation(c));
        }
        Ok((changes, assigned))
    }

    /// Catch up from the cursors. Each page is written with its cursor in one transaction.
    pub(super) async fn km_catch_up(&self, messages: bool, groups: bool) -> Result<()> {
        let acc = &self.account.id;
        if groups {
            let cursor = self.store.cursor(acc, CURSOR_GROUPS).await?;
            if cursor.is_none() && self.account.is_agent {
                self.initial_support_load().await?;
            }
            let (feeds, generated_at) = self.rest()?.group_sync(cursor.unwrap_or(0)).await?;
            let (mut changes, assigned) = self.group_changes(&feeds).await?;
            if generated_at > 0 {
                changes.push(Change::SetCursor {
                    name: CURSOR_GROUPS.into(),
                    value: generated_at,
                });
            }
            self.write(changes, cursor.is_some(), assigned).await?;
        }
        if messages {
            // Without a cursor yet, start from the local clock, but trust only the server's
            // answer after that: a clock that is ahead must not push the cursor into the
            // future (every later catch-up would then come back empty).
            let stored = self.store.cursor(acc, CURSOR_MESSAGES).await?;
            let mut from_server = stored.is_some();
            let mut cursor = stored.unwrap_or_else(|| self.session.now_ms());
            // Bounded: a server that never advances its cursor cannot loop us forever.
            for _ in 0..10_000 {
                let feed = self.rest()?.message_sync(cursor).await?;
                if feed.current_sync_time > 0 {
                    self.km()?.server_skew_ms.store(
                        feed.current_sync_time - self.session.now_ms(),
                        Ordering::Relaxed,
                    );
                }
                let next = if from_server || feed.last_sync_time <= 0 {
                    feed.last_sync_time.max(cursor)
                } else {
                    feed.last_sync_time
                };
                from_server = true;
                let progressed = next > cursor;
                let got = feed.messages.len();
                let mut changes = self.message_changes(&feed.messages);
                changes.push(Change::SetCursor {
                    name: CURSOR_MESSAGES.into(),
                    value: next,
                });
                let applied = self.write(changes, true, Vec::new()).await?;
                self.fetch_missing_contacts(&applied).await;
                if !applied.new_conversations.is_empty() {
                    self.want_groups.store(true, Ordering::SeqCst);
                }
                cursor = next;
                if got == 0 || !progressed {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The first sync of an agent account: the newest open conversations and the first page
    /// of closed ones, with their latest messages and people. Silent (no notifications).
    async fn initial_support_load(&self) -> Result<()> {
        let pages = self.options.lock().map(|o| o.initial_pages).unwrap_or(10);
        for filter in [SupportFilter::Open, SupportFilter::Closed] {
            let mut last_fetch = None;
            let max = if filter == SupportFilter::Open {
                pages
            } else {
                1
            };
            for _ in 0..max {
                let page = self
                    .rest()?
                    .support_page(filter, None, last_fetch, 50)
                    .await?;
                let n = page.page.group_feeds.len();
                let (mut changes, _) = self.group_changes(&page.page.group_feeds).await?;
                changes.extend(
                    page.page
                        .user_details
                        .iter()
                        .filter_map(Contact::from_detail)
                        .map(Change::UpsertContact),
                );
                changes.extend(self.message_changes(&page.page.message));
                self.write(changes, false, Vec::new()).await?;
                if n < 50 || page.last_fetch_time <= 0 || Some(page.last_fetch_time) == last_fetch {
                    break;
                }
                last_fetch = Some(page.last_fetch_time);
            }
        }
        Ok(())
    }

    /// People who sent new messages but are not cached yet.
    async fn fetch_missing_contacts(&self, applied: &Applied) {
        let mut missing = Vec::new();
        for m in &applied.new_incoming {
            if missing.contains(&m.sender_id) {
                continue;
            }
            if let Ok(None) = self.store.contact(&self.account.id, &m.sender_id).await {
                missing.push(m.sender_id.clone());
            }
        }
        if missing.is_empty() {
            return;
        }
        let Ok(rest) = self.rest() else { return };
        match rest.user_details(&missing).await {
            Ok(users) => {
                let changes: Vec<Change> = users
                    .iter()
                    .filter_map(Contact::from_detail)
                    .map(Change::UpsertContact)
                    .collect();
                let _ = self.write(changes, false, Vec::new()).await;
            }
            Err(e) => tracing::info!("user details not fetched now: {e}"),
        }
    }

    /// One envelope or typing payload from the broker.
    pub(super) async fn handle_publish(&self, topic: &str, payload: &[u8]) {
        if topic.starts_with("typing-") {
            if let Some(t) = decode_typing(&self.account.app_key, topic, payload) {
                if t.user_id == self.account.user_id {
                    return;
                }
                let conversation_id = if t.target == self.account.user_id {
                    parley_core::model::user_conversation_id(&t.user_id)
                } else if t.target.parse::<i64>().is_ok() {
                    format!("g:{}", t.target)
                } else {
                    parley_core::model::user_conversation_id(&t.target)
                };
                let _ = self.events.send(ClientEvent::Typing {
                    conversation_id,
                    user_id: t.user_id,
                    typing: t.typing,
                });
            }
            return;
        }
        let env = match decode_envelope(payload) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!(%topic, "skipping a malformed real-time payload: {e}");
                return;
            }
        };
        if let Some(id) = &env.id {
            let first = self
                .recent_envelopes
                .lock()
                .map(|mut recent| recent.first_sighting(id))
                .unwrap_or(true);
            if !first {
                tracing::debug!(%id, "duplicate envelope dropped");
                return;
            }
        }
        let changes = self.handle_event(env.event).await;
        // Queued, not awaited: the writer takes what a burst of notifications queued in one
        // transaction, not one each.
        if !changes.is_empty() {
            if let Err(e) = self.submit(changes) {
                tracing::warn!(%topic, "storing a real-time event failed: {e}");
            }
        }
    }

    /// What a notification changes in the cache; its other effects (a sync asked for, the
    /// connection state) happen here.
    async fn handle_event(&self, event: Event) -> Vec<Change> {
        let me = self.me().to_owned();
        match event {
            Event::MessageReceived(m) | Event::MessageSent(m) | Event::MetadataUpdate(m) => {
                // Our own echo from this device is confirmed by the send queue.
                let own_device =
                    m.device_key.as_deref() == Some(self.session.device_key().expose());
                if m.metadata.contains_key(keys::KM_STATUS)
                    || m.metadata.contains_key(keys::KM_ASSIGN_TO)
                {
                    self.want_groups.store(true, Ordering::SeqCst);
                }
                self.request_sync(true, false);
                if own_device {
                    Vec::new()
                } else {
                    self.message_changes(std::slice::from_ref(&m))
                }
            }
            Event::GroupUpdate(m) => {
                if m.metadata.get(keys::REMOVE_GROUP).map(String::as_str) == Some("true") {
                    m.group_id
                        .map(|g| Change::RemoveConversation {
                            id: format!("g:{g}"),
                        })
                        .into_iter()
                        .collect()
                } else {
                    self.request_sync(true, true);
                    Vec::new()
                }
            }
            Event::MessageSentUpdate { key } => vec![Change::SetMessageState {
                key,
                state: DeliveryState::Sent,
            }],
            Event::Delivered { key, .. } => vec![Change::SetMessageState {
                key,
                state: DeliveryState::Delivered,
            }],
            Event::DeliveredAndRead { key, .. } => vec![Change::SetMessageState {
                key,
                state: DeliveryState::Read,
            }],
            Event::MessageDeleted { key } => vec![Change::DeleteMessage { key }],
            Event::ConversationDeleted { user_id } => vec![Change::RemoveConversation {
                id: parley_core::model::user_conversation_id(&user_id),
            }],
            Event::ConversationRead { user_id } => vec![Change::MarkConversationRead {
                conversation_id: parley_core::model::user_conversation_id(&user_id),
            }],
            Event::ConversationDeliveredAndRead { user_id } => {
                vec![Change::SetConversationMessagesState {
                    conversation_id: parley_core::model::user_conversation_id(&user_id),
                    state: DeliveryState::Read,
                }]
            }
            Event::GroupConversationRead { group_id } => vec![Change::MarkConversationRead {
                conversation_id: format!("g:{group_id}"),
            }],
            Event::UserConnected { user_id } => vec![Change::SetPresence {
                user_id,
                online: true,
                last_seen_at: None,
            }],
            Event::UserDisconnected {
                user_id,
                last_seen_at,
            } => vec![Change::SetPresence {
                user_id,
                online: false,
                last_seen_at,
            }],
            Event::AvailabilityChanged {
                user_id,
                availability,
                last_seen_at,
            } => vec![Change::SetPresence {
                user_id,
                online: availability != Availability::Offline,
                last_seen_at,
            }],
            Event::GroupSync => {
                self.request_sync(false, true);
                Vec::new()
            }
            Event::GroupDeleted { group_id } => vec![Change::RemoveConversation {
                id: format!("g:{group_id}"),
            }],
            Event::GroupMuted { group_id, until } => vec![Change::SetMuted {
                id: format!("g:{group_id}"),
                until: (until > 0).then_some(until),
            }],
            Event::UserDetailChanged { user_id } => {
                let fetched = match self.rest() {
                    Ok(rest) => rest.user_details(std::slice::from_ref(&user_id)).await,
                    Err(e) => Err(e),
                };
                match fetched {
                    Ok(users) => users
                        .iter()
                        .filter_map(Contact::from_detail)
                        .map(Change::UpsertContact)
                        .collect(),
                    Err(e) => {
                        tracing::info!(%user_id, "user detail not fetched: {e}");
                        Vec::new()
                    }
                }
            }
            Event::UserDeleted { user_id } if user_id == me => {
                self.set_state(ConnectionState::Error {
                    message: "This user was deleted on the server.".into(),
                });
                Vec::new()
            }
            Event::UserDeleted { .. }
            | Event::UserBlocked { .. }
            | Event::UserUnblocked { .. }
            | Event::UserMuted { .. } => Vec::new(),
            Event::Unknown { kind } => {
                tracing::debug!(%kind, "real-time code not handled; skipped");
                Vec::new()
            }
        }
    }
}

/// One connection, until it drops. Returns why.
pub(super) async fn run_connection<S: Store>(
    inner: &Arc<Inner<S>>,
    km: &Kommunicate,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
) -> LinkEnd {
    let token = inner.session.token().await;
    let opts = mqtt::options(&km.broker, &inner.session, token.expose());
    let (client, mut eventloop) = AsyncClient::new(opts, 256);
    eventloop.network_options.set_connection_timeout(10);
    if let Ok(mut m) = km.mqtt.lock() {
        *m = Some(client.clone());
    }
    let mut acked = false;
    loop {
        let ev = tokio::select! {
            ev = eventloop.poll() => ev,
            () = inner.reconnect_now.notified() => return "reconnect requested".to_owned().into(),
            _ = shutdown.changed() => return "stopping".to_owned().into(),
        };
        match ev {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                acked = true;
                backoff.reset();
                inner.link_up.store(true, Ordering::SeqCst);
                let mut topics_to_sub = mqtt::base_topics(&inner.session);
                if let Ok(w) = km.watched.lock() {
                    topics_to_sub.extend(w.iter().filter_map(|c| inner.typing_topic(c)));
                }
                for t in topics_to_sub {
                    if let Err(e) = client.subscribe(t, QoS::AtMostOnce).await {
                        return format!("subscribe failed: {e}").into();
                    }
                }
                let status = if inner.session.is_agent { 3 } else { 1 };
                let _ = client
                    .publish(
                        topics::STATUS,
                        QoS::AtMostOnce,
                        false,
                        topics::status_payload(
                            &inner.session.user_key,
                            inner.session.device_key().expose(),
                            status,
                        ),
                    )
                    .await;
                tracing::info!(broker = %km.broker.host, "real-time connected; catching up");
                // Online once the catch-up from the cursors is done (the syncer sets it).
                inner.request_sync(true, true);
            }
            Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                inner.handle_publish(&p.topic, &p.payload).await;
            }
            Ok(_) => {}
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                // Usually an expired or revoked token: refresh before the next attempt.
                let renewed = renew_token(inner, km).await;
                return LinkEnd {
                    reason: format!("broker refused the connection ({code:?})"),
                    renewed,
                };
            }
            // The broker took the connection and hung up before answering CONNECT. Brokers
            // that check the password in an authentication hook do this to a token they no
            // longer accept (signed with the key of before a server restart, revoked) instead
            // of answering "not authorized": renew it, or the link never comes back until some
            // REST call happens to be refused and renews it.
            Err(
                e @ (rumqttc::ConnectionError::MqttState(_)
                | rumqttc::ConnectionError::NotConnAck(_)),
            ) if !acked => {
                let renewed = renew_token(inner, km).await;
                return LinkEnd {
                    reason: format!("broker hung up before accepting the connection ({e})"),
                    renewed,
                };
            }
            Err(e) => return e.to_string().into(),
        }
    }
}

/// Why a real-time connection ended.
pub(super) struct LinkEnd {
    pub reason: String,
    /// The server turned the credentials away and they were renewed since: the next attempt
    /// may succeed at once.
    pub renewed: bool,
}

impl From<String> for LinkEnd {
    fn from(reason: String) -> Self {
        Self {
            reason,
            renewed: false,
        }
    }
}

/// A fresh token after the broker turned the connection away: `true` when there is one. The
/// server refusing the refresh itself (the device signed out elsewhere, the password changed)
/// stops the link with an error state; any other failure (a server in trouble, a garbled
/// answer) leaves it to the next attempt.
async fn renew_token<S: Store>(inner: &Arc<Inner<S>>, km: &Kommunicate) -> bool {
    match km.rest.refresh_token(true).await {
        Ok(()) => true,
        Err(e @ ClientError::Unauthorized(_)) => {
            tracing::error!("the server refused to renew the session token: {e}");
            inner.set_state(ConnectionState::Error {
                message: e.to_app_error().message,
            });
            let _ = inner.shutdown.send(true);
            false
        }
        Err(e) => {
            tracing::info!("renewing the token after the broker turned the link away failed: {e}");
            false
        }
    }
}

/// Send one queued message. After an attempt whose outcome is unknown, look on the server
/// first: if the message is there (found by its client key), it is not sent again.
pub(super) async fn deliver(km: &Kommunicate, item: &OutboxItem) -> Result<(String, i64)> {
    let group_id = group_id_of(&item.conversation_id);
    if item.attempts > 0 {
        if let Some(g) = group_id {
            // `created_at` is the local clock's; the server filters by its own.
            let skew = km.server_skew_ms.load(Ordering::Relaxed);
            let since = item.created_at.min(item.created_at + skew) - 10 * 60 * 1000;
            let page = km.rest.message_list_since(g, since, 100).await?;
            if let Some(found) = page.message.iter().find(|m| {
                m.metadata.get(keys::CLIENT_KEY).map(String::as_str) == Some(&item.client_key)
            }) {
                if let Some(k) = &found.key {
                    tracing::info!(client_key = %item.client_key, "already on the server; not sent again");
                    return Ok((k.clone(), found.created_at_time));
                }
            }
        }
    }
    let to = item.conversation_id.strip_prefix("u:").map(str::to_owned);
    let wire = WireMessage {
        group_id,
        client_group_id: None,
        to: to.clone(),
        contact_ids: to,
        message: Some(item.text.clone()),
        content_type: item.content_type,
        kind: 5,
        source: 1,
        metadata: item.metadata.clone(),
        file_meta: item
            .file_meta_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        device_key: None,
        ..WireMessage::default()
    };
    let r = km.rest.send_message(&wire).await?;
    let key = r
        .message_key
        .ok_or_else(|| ClientError::BadResponse("send: no messageKey".into()))?;
    Ok((key, r.created_at))
}

/// Agents a conversation can be assigned to: Kommunicate's user list (agents and admins); on a
/// plain Applozic server, the users with the `AGENT` role.
pub(super) async fn agents(km: &Kommunicate) -> Result<Vec<Agent>> {
    use crate::api_kommunicate::KmUserQuery;
    let rest = &km.rest;
    let agents: Vec<Agent> = match rest
        .kommunicate_users(&KmUserQuery::Roles(vec![8, 2]))
        .await
    {
        Ok(users) => users
            .into_iter()
            .filter_map(|u| {
                Some(Agent {
                    user_id: u.user_name?,
                    name: u.name,
                    email: u.email,
                    available: u.availability_status.unwrap_or(u.status) == 1,
                })
            })
            .collect(),
        Err(e) => {
            tracing::info!("no Kommunicate user list ({e}); asking user/v3/filter");
            let filter = crate::api_users::UserFilter {
                role: Some("AGENT".into()),
                page_size: Some(200),
                ..Default::default()
            };
            rest.user_filter(&filter)
                .await?
                .users
                .into_iter()
                .filter_map(|u| {
                    Some(Agent {
                        user_id: u.user_id?,
                        name: u.display_name,
                        email: u.email,
                        available: u.connected,
                    })
                })
                .collect()
        }
    };
    Ok(agents)
}

pub(super) async fn assign(
    km: &Kommunicate,
    conversation_id: &str,
    assignee: &str,
) -> Result<String> {
    let g = group_id_of(conversation_id)
        .ok_or_else(|| ClientError::Invalid("not a support conversation".into()))?;
    let answer = km.rest.change_assignee(g, assignee).await?;
    if answer.contains("AGENT_IS_ALREADY_ENGAGED") {
        return Err(ClientError::Platform {
            code: "AGENT_IS_ALREADY_ENGAGED".into(),
            description: "That agent is already engaged in this conversation.".into(),
        });
    }
    Ok(answer)
}
