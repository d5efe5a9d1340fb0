//! The WapiKit provider (a WhatsApp Business team inbox): REST with an API key
//! (`x-access-token`) and real-time from its server-sent event stream (`GET /api/events`).
//! The shared services in `client.rs` run it exactly like Kommunicate: the real-time loop
//! reconnects with backoff, the syncer catches up from a cursor kept in the cache, the sender
//! drains the persisted queue exactly once.
//!
//! Catch-up: WapiKit has no sync endpoint, so it is the newest pages of the conversation list
//! (statuses, assignments, tags change without a message) and `GET /messages` newest first down
//! to the cursor (the newest message time seen). The cursor moves once every page down to it
//! is in the cache, so a crash or a dropped link never skips a message (pages already stored
//! are written again, by key, harmlessly).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use parley_core::model::{Agent, Contact, DeliveryState, Millis};
use parley_core::store::{Change, OutboxItem, Store};
use parley_core::wapikit::{
    self as wk, ConversationStatus, MessageDirection, NewMessage, Order, WkEvent,
};
use parley_core::wapikit_model as map;
use tokio::sync::watch;

use super::{Backoff, Inner};
use crate::api_wapikit::{ConversationQuery, MessageQuery, WapiKitClient};
use crate::error::{ClientError, Result};

/// The cache cursor: the newest message time (ms) known to be in the cache with everything
/// before it.
pub const CURSOR_WAPIKIT: &str = "wapikit_messages";
const PAGE: u64 = 50;
/// Pages of `GET /messages` one catch-up reads at most (older gaps are filled by history).
const MAX_CATCH_UP_PAGES: u32 = 200;

/// What a WapiKit account holds beyond the shared services.
pub(crate) struct WapiKit {
    pub(crate) api: WapiKitClient,
    /// The key's user id (`unassign` takes it; kept as the account's `user_key`); the
    /// account's `user_id` is the member id (`assign` takes it, `assignedTo` names it).
    pub(crate) user_id: String,
    pub(crate) host: String,
    /// Plain HTTP to another machine: the API key would travel in the clear.
    pub(crate) insecure_remote: bool,
}

impl WapiKit {
    pub(crate) fn new(
        http: reqwest::Client,
        account: &parley_core::Account,
        session: &crate::http::Session,
    ) -> Result<Self> {
        let key = session.token_now().ok_or_else(|| {
            ClientError::Keyring("the WapiKit API key is not readable now".into())
        })?;
        let api = WapiKitClient::new(http, &account.endpoints.api, key)?;
        let url = url::Url::parse(api.base_url())
            .map_err(|e| ClientError::Invalid(format!("WapiKit URL: {e}")))?;
        let host = url.host_str().unwrap_or("WapiKit").to_owned();
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        Ok(Self {
            api,
            user_id: account.user_key.clone(),
            insecure_remote: url.scheme() == "http" && !loopback,
            host,
        })
    }
}

fn unsupported(what: &str) -> ClientError {
    ClientError::Unsupported(format!(
        "WhatsApp (WapiKit) conversations do not offer {what}."
    ))
}

impl<S: Store> Inner<S> {
    fn wk(&self) -> Result<&WapiKit> {
        match &self.provider {
            super::Provider::WapiKit(w) => Ok(w),
            _ => Err(ClientError::Invalid("not a WapiKit account".into())),
        }
    }

    fn wk_id<'a>(&self, conversation_id: &'a str) -> Result<&'a str> {
        map::wapikit_id(conversation_id)
            .ok_or_else(|| ClientError::Invalid("not a WhatsApp conversation".into()))
    }

    /// Conversation rows, contacts and the messages they carry, as changes.
    fn wk_conversation_changes(&self, conversations: &[wk::Conversation]) -> Vec<Change> {
        let me = self.account.user_id.as_str();
        let mut out = Vec::new();
        for c in conversations {
            if c.status == ConversationStatus::Deleted {
                out.push(Change::RemoveConversation {
                    id: map::conversation_id(&c.unique_id),
                });
                continue;
            }
            let row = map::conversation(c);
            let customer = row.customer_id.clone().unwrap_or_default();
            if !c.contact.unique_id.is_empty() {
                out.push(Change::UpsertContact(map::contact(&c.contact)));
            }
            out.push(Change::UpsertConversation(row));
            out.extend(
                c.messages
                    .iter()
                    .map(|m| Change::UpsertMessage(map::message(m, &customer, me))),
            );
        }
        out
    }

    /// Messages of conversations, each with its customer from the cache (or fetched with its
    /// conversation when the conversation is new).
    async fn wk_message_changes(&self, messages: &[wk::Message]) -> Result<Vec<Change>> {
        let api = &self.wk()?.api;
        let me = self.account.user_id.clone();
        let mut out = Vec::new();
        let mut customers: std::collections::HashMap<String, String> = Default::default();
        for m in messages {
            let conv = map::conversation_id(&m.conversation_id);
            if !customers.contains_key(&conv) {
                let customer = match self.store.conversation(&self.account.id, &conv).await? {
                    Some(c) => c.customer_id.unwrap_or_default(),
                    None => match api.conversation(&m.conversation_id).await {
                        Ok(c) => {
                            let customer = map::conversation(&c).customer_id.unwrap_or_default();
                            out.extend(self.wk_conversation_changes(std::slice::from_ref(&c)));
                            customer
                        }
                        Err(e) if e.is_transient() => return Err(e),
                        Err(e) => {
                            tracing::info!(conversation = %m.conversation_id, "message of an unknown conversation: {e}");
                            String::new()
                        }
                    },
                };
                customers.insert(conv.clone(), customer);
            }
            let customer = customers.get(&conv).map(String::as_str).unwrap_or_default();
            out.push(Change::UpsertMessage(map::message(m, customer, &me)));
        }
        Ok(out)
    }

    pub(super) async fn wk_catch_up(&self) -> Result<()> {
        let api = self.wk()?.api.clone();
        let acc = &self.account.id;
        let cursor = self.store.cursor(acc, CURSOR_WAPIKIT).await?;
        let first = cursor.is_none();
        // Conversations: open ones (as many pages as a first sync loads), then the newest
        // closed page. Silent on the first sync.
        let pages = if first {
            self.options
                .lock()
                .map(|o| o.initial_pages)
                .unwrap_or(10)
                .max(1)
        } else {
            2
        };
        for status in [ConversationStatus::Active, ConversationStatus::Closed] {
            let max = if status == ConversationStatus::Active {
                pages
            } else {
                1
            };
            for page in 1..=u64::from(max) {
                let got = api
                    .conversations(&ConversationQuery {
                        page: Some(page),
                        per_page: Some(PAGE),
                        order: Some(Order::Desc),
                        status: Some(status.clone()),
                        ..ConversationQuery::default()
                    })
                    .await?;
                let changes = self.wk_conversation_changes(&got.items);
                let assigned = self.newly_assigned_to_me(&changes).await?;
                self.write(changes, !first, assigned).await?;
                if !got.has_more() {
                    break;
                }
            }
        }
        // Messages newer than the cursor, newest first.
        let mut newest: Option<Millis> = None;
        let mut pending = Vec::new();
        'pages: for page in 1..=u64::from(MAX_CATCH_UP_PAGES) {
            let got = api
                .all_messages(&MessageQuery {
                    page: Some(page),
                    per_page: Some(PAGE),
                    order: Some(Order::Desc),
                    ..MessageQuery::default()
                })
                .await?;
            for m in got.items.iter() {
                let t = map::time_ms(&m.created_at);
                newest = newest.max(Some(t));
                match cursor {
                    Some(c) if t < c => break 'pages,
                    None => break 'pages,
                    _ => pending.push(m.clone()),
                }
            }
            if !got.has_more() {
                break;
            }
        }
        // Oldest first, so notifications and previews come in order.
        pending.reverse();
        let mut changes = self.wk_message_changes(&pending).await?;
        let value = newest.max(cursor).unwrap_or_else(|| self.session.now_ms());
        changes.push(Change::SetCursor {
            name: CURSOR_WAPIKIT.into(),
            value,
        });
        self.write(changes, !first, Vec::new()).await?;
        Ok(())
    }

    /// Conversations in `changes` that are assigned to me now and were not before.
    async fn newly_assigned_to_me(&self, changes: &[Change]) -> Result<Vec<String>> {
        let me = self.account.user_id.as_str();
        let mut out = Vec::new();
        for c in changes {
            if let Change::UpsertConversation(conv) = c {
                if conv.assignee.as_deref() == Some(me) {
                    let before = self.store.conversation(&self.account.id, &conv.id).await?;
                    if before.is_some_and(|b| b.assignee.as_deref() != Some(me)) {
                        out.push(conv.id.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    /// One event stream until it drops. `Err`: the key was refused (no point retrying).
    pub(super) async fn wk_connect_once(
        self: &Arc<Self>,
        backoff: &mut Backoff,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<String> {
        let api = self.wk()?.api.clone();
        let mut stream = match api.events().await {
            Ok(s) => s,
            Err(e @ ClientError::ApiKeyRejected { .. }) => return Err(e),
            Err(e) => return Ok(e.to_string()),
        };
        loop {
            let next = tokio::select! {
                n = stream.next() => n,
                () = self.reconnect_now.notified() => return Ok("reconnect requested".into()),
                _ = shutdown.changed() => return Ok("stopping".into()),
            };
            match next {
                None => return Ok("the event stream ended".into()),
                Some(Err(ClientError::BadResponse(e))) => {
                    tracing::warn!("skipping a malformed WapiKit event: {e}");
                }
                Some(Err(e)) => return Ok(e.to_string()),
                Some(Ok(WkEvent::Connected)) => self.wk_link_up(backoff),
                Some(Ok(event)) => {
                    // Servers that send no "connected" event are up at their first event.
                    if !self.link_up.load(Ordering::SeqCst) {
                        self.wk_link_up(backoff);
                    }
                    if let Err(e) = self.wk_handle_event(event).await {
                        tracing::warn!("handling a WapiKit event failed: {e}");
                        if e.is_transient() {
                            self.request_sync(true, true);
                        }
                    }
                }
            }
        }
    }

    fn wk_link_up(&self, backoff: &mut Backoff) {
        backoff.reset();
        self.link_up.store(true, Ordering::SeqCst);
        tracing::info!("WapiKit events connected; catching up");
        // Online once the catch-up is done (the syncer says so).
        self.request_sync(true, true);
    }

    async fn wk_handle_event(&self, event: WkEvent) -> Result<()> {
        let api = &self.wk()?.api;
        let (changes, assigned) = match event {
            WkEvent::NewMessage {
                conversation,
                message,
            } => {
                let mut changes = Vec::new();
                let conv_id = map::conversation_id(&conversation.unique_id);
                let known = self
                    .store
                    .conversation(&self.account.id, &conv_id)
                    .await?
                    .is_some();
                let mut row_source = (*conversation).clone();
                // The event's copy may carry no messages: the row's preview and time come
                // from this one.
                row_source.messages = vec![(*message).clone()];
                let mut rows = self.wk_conversation_changes(std::slice::from_ref(&row_source));
                if known {
                    // Keep the cached row's unread count and status; the message bumps it.
                    rows.retain(|c| !matches!(c, Change::UpsertConversation(_)));
                }
                changes.append(&mut rows);
                if message.direction == MessageDirection::OutBound
                    && self.sent_by_this_device(&message).await?
                {
                    // Our own send: the send queue confirms it (no second copy).
                    changes.retain(|c| !matches!(c, Change::UpsertMessage(_)));
                }
                (changes, Vec::new())
            }
            WkEvent::NewConversation { conversation } => (
                self.wk_conversation_changes(std::slice::from_ref(&conversation)),
                Vec::new(),
            ),
            WkEvent::ChatAssignment { conversation_id }
            | WkEvent::ChatUnAssignment { conversation_id } => {
                let c = api.conversation(&conversation_id).await?;
                let changes = self.wk_conversation_changes(std::slice::from_ref(&c));
                let assigned = self.newly_assigned_to_me(&changes).await?;
                (changes, assigned)
            }
            WkEvent::ConversationClosed { conversation_id } => (
                vec![Change::SetConversationStatus {
                    id: map::conversation_id(&conversation_id),
                    status: parley_core::model::ConversationStatus::Resolved,
                }],
                Vec::new(),
            ),
            WkEvent::MessageRead { message_id } => {
                (state(message_id, DeliveryState::Read), Vec::new())
            }
            WkEvent::MessageDelivered { message_id } => {
                (state(message_id, DeliveryState::Delivered), Vec::new())
            }
            WkEvent::MessageSent { message_id } => {
                (state(message_id, DeliveryState::Sent), Vec::new())
            }
            WkEvent::MessageErrored {
                message_id: Some(id),
                error,
                ..
            } => {
                tracing::warn!(message = %id, error = ?error, "WhatsApp did not deliver a message");
                (state(id, DeliveryState::Failed), Vec::new())
            }
            WkEvent::MessageErrored {
                message_id: None,
                conversation_id: Some(c),
                ..
            } => (
                // The server reuses this type for "conversation read".
                vec![Change::MarkConversationRead {
                    conversation_id: map::conversation_id(&c),
                }],
                Vec::new(),
            ),
            WkEvent::ReloadRequired { .. } => {
                self.request_sync(true, true);
                (Vec::new(), Vec::new())
            }
            WkEvent::Error { error } => {
                tracing::warn!("WapiKit event stream error: {error}");
                (Vec::new(), Vec::new())
            }
            WkEvent::Connected | WkEvent::MessageErrored { .. } => (Vec::new(), Vec::new()),
            WkEvent::Unknown { event_type, .. } => {
                tracing::debug!(%event_type, "WapiKit event not handled; skipped");
                (Vec::new(), Vec::new())
            }
        };
        if !changes.is_empty() || !assigned.is_empty() {
            self.write(changes, true, assigned).await?;
        }
        Ok(())
    }

    /// An outgoing message this app is sending (or just sent): in the send queue with the same
    /// conversation and text.
    async fn sent_by_this_device(&self, m: &wk::Message) -> Result<bool> {
        let conv = map::conversation_id(&m.conversation_id);
        let text = map::preview(m);
        Ok(self
            .store
            .outbox(&self.account.id)
            .await?
            .iter()
            .any(|i| i.conversation_id == conv && i.text == text))
    }

    pub(super) async fn wk_deliver(&self, item: &OutboxItem) -> Result<(String, i64)> {
        let api = &self.wk()?.api;
        let id = self.wk_id(&item.conversation_id)?;
        if item.file_meta_json.is_some() {
            return Err(unsupported("file attachments from Parley yet"));
        }
        // WhatsApp has no agents-only notes and no HTML: never send one to the customer as
        // plain text.
        let extra = item
            .metadata
            .keys()
            .any(|k| k != parley_core::model::keys::CLIENT_KEY);
        if item.content_type != 0 || extra {
            return Err(unsupported(
                "HTML, hidden notes, rich messages or message metadata",
            ));
        }
        let sent_at = wk::rfc3339_ms(item.created_at);
        if item.attempts > 0 {
            // The answer to an earlier attempt may have been lost: look first.
            let page = api
                .messages(
                    id,
                    &MessageQuery {
                        page: Some(1),
                        per_page: Some(PAGE),
                        order: Some(Order::Desc),
                        ..MessageQuery::default()
                    },
                )
                .await?;
            for m in &page.items {
                if m.direction != MessageDirection::OutBound || map::preview(m) != item.text {
                    continue;
                }
                let same_stamp = m.created_at == sent_at;
                let cached = self
                    .store
                    .message(&self.account.id, &m.unique_id)
                    .await?
                    .is_some();
                if same_stamp || !cached {
                    tracing::info!(client_key = %item.client_key, "already on WapiKit; not sent again");
                    return Ok((m.unique_id.clone(), map::time_ms(&m.created_at)));
                }
            }
        }
        let sent = api
            .send_message(
                id,
                &NewMessage::text(item.text.clone()).with_created_at(sent_at),
            )
            .await?;
        let at = map::time_ms(&sent.created_at);
        Ok((sent.unique_id, if at > 0 { at } else { item.created_at }))
    }

    /// Older messages: pages of the conversation, newest first, until one reaches before
    /// `before` (or the start).
    pub(super) async fn wk_history(
        &self,
        conversation_id: &str,
        before: Option<Millis>,
        limit: u32,
    ) -> Result<bool> {
        let api = self.wk()?.api.clone();
        let id = self.wk_id(conversation_id)?;
        let customer = self
            .store
            .conversation(&self.account.id, conversation_id)
            .await?
            .and_then(|c| c.customer_id)
            .unwrap_or_default();
        let per_page = u64::from(limit.clamp(10, 100));
        let mut fetched = false;
        for page in 1..=50u64 {
            let got = api
                .messages(
                    id,
                    &MessageQuery {
                        page: Some(page),
                        per_page: Some(per_page),
                        order: Some(Order::Desc),
                        ..MessageQuery::default()
                    },
                )
                .await?;
            let me = self.account.user_id.clone();
            let reached = got
                .items
                .iter()
                .any(|m| before.is_none_or(|b| map::time_ms(&m.created_at) < b));
            let changes: Vec<Change> = got
                .items
                .iter()
                .map(|m| Change::UpsertMessage(map::message(m, &customer, &me)))
                .collect();
            if !changes.is_empty() {
                self.write(changes, false, Vec::new()).await?;
                fetched = true;
            }
            if reached || !got.has_more() {
                break;
            }
        }
        Ok(fetched)
    }

    pub(super) async fn wk_status(
        &self,
        conversation_id: &str,
        status: parley_core::model::ConversationStatus,
    ) -> Result<()> {
        let wire = map::wire_status(status)
            .ok_or_else(|| unsupported("this status (only open or closed)"))?;
        let c = self
            .wk()?
            .api
            .update_status(self.wk_id(conversation_id)?, wire)
            .await?;
        let changes = self.wk_conversation_changes(std::slice::from_ref(&c));
        // The answer's copy of the row; its status is what the caller writes next.
        self.write(
            changes
                .into_iter()
                .filter(|c| !matches!(c, Change::UpsertMessage(_)))
                .collect(),
            false,
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    pub(super) async fn wk_assign(&self, conversation_id: &str, assignee: &str) -> Result<String> {
        let w = self.wk()?;
        let id = self.wk_id(conversation_id)?;
        if assignee.is_empty() {
            w.api.unassign(id, &w.user_id).await?;
        } else {
            w.api.assign(id, assignee).await?;
        }
        Ok(String::new())
    }

    pub(super) async fn wk_agents(&self) -> Result<Vec<Agent>> {
        Ok(self
            .wk()?
            .api
            .members()
            .await?
            .into_iter()
            .map(|m| Agent {
                user_id: m.unique_id,
                name: Some(m.name).filter(|n| !n.is_empty()),
                email: Some(m.email).filter(|e| !e.is_empty()),
                available: true,
            })
            .collect())
    }

    pub(super) async fn wk_fetch_contact(&self, contact_id: &str) -> Option<Contact> {
        self.wk_contact(contact_id).await.ok()
    }

    /// A WapiKit contact from the server, as the model's contact.
    pub(super) async fn wk_contact(&self, contact_id: &str) -> Result<Contact> {
        let c = self.wk()?.api.contact(contact_id).await?;
        Ok(map::contact(&c))
    }

    pub(super) async fn wk_read(&self, conversation_id: &str) -> Result<()> {
        self.wk()?.api.mark_read(self.wk_id(conversation_id)?).await
    }
}

fn state(key: String, state: DeliveryState) -> Vec<Change> {
    vec![Change::SetMessageState { key, state }]
}
