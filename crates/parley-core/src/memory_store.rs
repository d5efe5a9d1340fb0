//! An in-memory [`Store`]: the reference behaviour the SQLite store must match, and a fast
//! store for tests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use crate::model::{
    group_conversation_id, Contact, Conversation, ConversationStatus, DeliveryState, Direction,
    InboxSort, InboxView, Message, Metadata, Millis, SUPPORT_GROUP,
};
use crate::store::{
    search_tokens, text_matches, Account, Applied, CannedResponse, Change, InboxQuery, OutboxItem,
    SearchHit, Store, StoreError, StoreResult, ViewCounts,
};

#[derive(Default)]
struct AccountData {
    conversations: HashMap<String, Conversation>,
    messages: HashMap<String, Message>,
    contacts: HashMap<String, Contact>,
    cursors: HashMap<String, i64>,
    drafts: HashMap<String, String>,
    /// Keyed by enqueue order: the send order.
    outbox: BTreeMap<u64, OutboxItem>,
    next_outbox_seq: u64,
    canned: BTreeMap<String, CannedResponse>,
}

#[derive(Default)]
pub struct MemoryStore {
    accounts: Mutex<BTreeMap<String, Account>>,
    data: Mutex<HashMap<String, AccountData>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Other("memory store lock poisoned".into())
}

/// Messages that do not count as unread: group actions (10) and hidden ones (11).
pub fn counts_as_unread(m: &Message) -> bool {
    m.direction == Direction::Incoming
        && !matches!(m.content_type, 10 | 11)
        && m.state != DeliveryState::Read
}

/// A conversation row for a message whose conversation is not cached yet (the next group
/// sync fills in the rest). Nothing is dropped for want of its conversation.
pub fn placeholder_conversation(m: &Message) -> Conversation {
    let (group_id, title) = match m.conversation_id.strip_prefix("g:") {
        Some(g) => (g.parse().ok(), format!("Conversation {g}")),
        None => (
            None,
            m.conversation_id
                .strip_prefix("u:")
                .unwrap_or(&m.conversation_id)
                .to_owned(),
        ),
    };
    Conversation {
        id: group_id.map_or_else(|| m.conversation_id.clone(), group_conversation_id),
        group_id,
        client_group_id: None,
        title,
        group_type: if group_id.is_some() { 10 } else { -1 },
        status: ConversationStatus::Open,
        assignee: None,
        customer_id: (m.direction == Direction::Incoming).then(|| m.sender_id.clone()),
        image_url: None,
        members: Vec::new(),
        metadata: Metadata::new(),
        created_at: m.created_at,
        last_activity_at: m.created_at,
        last_message_preview: None,
        unread: 0,
        muted_until: None,
    }
}

impl AccountData {
    fn upsert_message(&mut self, mut m: Message, applied: &mut Applied) {
        let existing_key = if self.messages.contains_key(&m.key) {
            Some(m.key.clone())
        } else {
            m.client_key.as_ref().and_then(|ck| {
                self.messages
                    .values()
                    .find(|x| x.client_key.as_ref() == Some(ck))
                    .map(|x| x.key.clone())
            })
        };
        if let Some(old_key) = existing_key {
            let Some(old) = self.messages.remove(&old_key) else {
                return;
            };
            if old_key != m.key {
                applied.rekeyed.push((old_key.clone(), m.key.clone()));
                // A server copy of a queued echo: the queue entry is done.
                if let Some(ck) = &m.client_key {
                    self.outbox.retain(|_, item| &item.client_key != ck);
                }
            }
            m.state = m.state.max(old.state);
            if m.client_key.is_none() {
                m.client_key = old.client_key;
            }
            self.bump_conversation(&m, false, applied);
            applied.conversations.push(m.conversation_id.clone());
            applied.messages.push(m.clone());
            self.messages.insert(m.key.clone(), m);
        } else {
            let unread = counts_as_unread(&m);
            self.bump_conversation(&m, unread, applied);
            if m.direction == Direction::Incoming {
                applied.new_incoming.push(m.clone());
            }
            applied.conversations.push(m.conversation_id.clone());
            applied.messages.push(m.clone());
            self.messages.insert(m.key.clone(), m);
        }
    }

    fn bump_conversation(&mut self, m: &Message, unread: bool, applied: &mut Applied) {
        if !self.conversations.contains_key(&m.conversation_id) {
            applied.new_conversations.push(m.conversation_id.clone());
        }
        let conv = self
            .conversations
            .entry(m.conversation_id.clone())
            .or_insert_with(|| placeholder_conversation(m));
        if m.created_at >= conv.last_activity_at || conv.last_message_preview.is_none() {
            conv.last_activity_at = conv.last_activity_at.max(m.created_at);
            if !matches!(m.content_type, 10 | 11) {
                conv.last_message_preview = Some(m.preview());
            }
        }
        if unread {
            conv.unread += 1;
        }
    }

    fn apply(&mut self, change: Change, applied: &mut Applied) {
        match change {
            Change::UpsertConversation(mut c) => {
                if !self.conversations.contains_key(&c.id) {
                    applied.new_conversations.push(c.id.clone());
                }
                if let Some(old) = self.conversations.get(&c.id) {
                    if old.last_activity_at > c.last_activity_at {
                        c.last_activity_at = old.last_activity_at;
                        c.last_message_preview = old.last_message_preview.clone();
                    } else if c.last_message_preview.is_none() {
                        c.last_message_preview = old.last_message_preview.clone();
                    }
                    c.unread = old.unread;
                }
                applied.conversations.push(c.id.clone());
                self.conversations.insert(c.id.clone(), c);
            }
            Change::RemoveConversation { id } => {
                if self.conversations.remove(&id).is_some() {
                    applied.conversations.push(id.clone());
                }
                let keys: Vec<String> = self
                    .messages
                    .values()
                    .filter(|m| m.conversation_id == id)
                    .map(|m| m.key.clone())
                    .collect();
                for k in keys {
                    self.messages.remove(&k);
                    applied.removed_messages.push((id.clone(), k));
                }
            }
            Change::SetConversationStatus { id, status } => {
                if let Some(c) = self.conversations.get_mut(&id) {
                    c.status = status;
                    c.metadata.insert(
                        crate::model::keys::CONVERSATION_STATUS.into(),
                        status.code().to_string(),
                    );
                    applied.conversations.push(id);
                }
            }
            Change::SetAssignee { id, assignee } => {
                if let Some(c) = self.conversations.get_mut(&id) {
                    match &assignee {
                        Some(a) => c
                            .metadata
                            .insert(crate::model::keys::CONVERSATION_ASSIGNEE.into(), a.clone()),
                        None => c.metadata.remove(crate::model::keys::CONVERSATION_ASSIGNEE),
                    };
                    c.assignee = assignee;
                    applied.conversations.push(id);
                }
            }
            Change::SetMuted { id, until } => {
                if let Some(c) = self.conversations.get_mut(&id) {
                    c.muted_until = until;
                    applied.conversations.push(id);
                }
            }
            Change::UpsertMessage(m) => self.upsert_message(m, applied),
            Change::SetMessageState { key, state } => {
                if let Some(m) = self.messages.get_mut(&key) {
                    if state > m.state {
                        m.state = state;
                        applied.messages.push(m.clone());
                    }
                }
            }
            Change::SetConversationMessagesState {
                conversation_id,
                state,
            } => {
                for m in self.messages.values_mut() {
                    if m.conversation_id == conversation_id
                        && m.direction == Direction::Outgoing
                        && m.state >= DeliveryState::Sent
                        && m.state < state
                    {
                        m.state = state;
                        applied.messages.push(m.clone());
                    }
                }
            }
            Change::DeleteMessage { key } => {
                if let Some(m) = self.messages.remove(&key) {
                    applied.conversations.push(m.conversation_id.clone());
                    applied.removed_messages.push((m.conversation_id, key));
                }
            }
            Change::MarkConversationRead { conversation_id } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    if c.unread != 0 {
                        c.unread = 0;
                        applied.conversations.push(conversation_id);
                    }
                }
            }
            Change::UpsertContact(c) => {
                applied.contacts.push(c.user_id.clone());
                self.contacts.insert(c.user_id.clone(), c);
            }
            Change::SetPresence {
                user_id,
                online,
                last_seen_at,
            } => {
                let c = self
                    .contacts
                    .entry(user_id.clone())
                    .or_insert_with(|| Contact {
                        user_id: user_id.clone(),
                        display_name: None,
                        email: None,
                        phone: None,
                        image_url: None,
                        metadata: Metadata::new(),
                        online: false,
                        last_seen_at: None,
                        role_type: 0,
                    });
                c.online = online;
                if last_seen_at.is_some() {
                    c.last_seen_at = last_seen_at;
                }
                applied.contacts.push(user_id);
            }
            Change::SetCursor { name, value } => {
                self.cursors.insert(name, value);
            }
            Change::Enqueue { item, echo } => {
                self.next_outbox_seq += 1;
                self.outbox.insert(self.next_outbox_seq, item);
                self.upsert_message(echo, applied);
            }
            Change::ConfirmSent {
                client_key,
                server_key,
                created_at,
            } => {
                self.outbox.retain(|_, i| i.client_key != client_key);
                let echo_key = self
                    .messages
                    .values()
                    .find(|m| m.client_key.as_deref() == Some(&client_key))
                    .map(|m| m.key.clone());
                if let Some(k) = echo_key {
                    if let Some(mut m) = self.messages.remove(&k) {
                        // The server copy may already be here (sync won the race).
                        if k != server_key {
                            if let Some(server_copy) = self.messages.remove(&server_key) {
                                m.state = m.state.max(server_copy.state);
                            }
                            applied.rekeyed.push((k, server_key.clone()));
                        }
                        m.key = server_key;
                        m.state = m.state.max(DeliveryState::Sent);
                        if created_at > 0 {
                            m.created_at = created_at;
                        }
                        applied.messages.push(m.clone());
                        self.messages.insert(m.key.clone(), m);
                    }
                }
            }
            Change::RecordAttempt {
                client_key,
                error,
                next_attempt_at,
                failed,
            } => {
                for item in self.outbox.values_mut() {
                    if item.client_key == client_key {
                        item.attempts += 1;
                        item.last_error = Some(error.clone());
                        item.next_attempt_at = next_attempt_at;
                        item.failed = failed;
                    }
                }
                if let Some(m) = self.messages.get_mut(&client_key) {
                    let state = if failed {
                        DeliveryState::Failed
                    } else {
                        DeliveryState::Queued
                    };
                    if m.state != state {
                        m.state = state;
                        applied.messages.push(m.clone());
                    }
                }
            }
            Change::CancelQueued { client_key } => {
                self.outbox.retain(|_, i| i.client_key != client_key);
                if let Some(m) = self.messages.remove(&client_key) {
                    applied
                        .removed_messages
                        .push((m.conversation_id.clone(), client_key));
                    applied.conversations.push(m.conversation_id);
                }
            }
            Change::EditQueued { client_key, text } => {
                for item in self.outbox.values_mut() {
                    if item.client_key == client_key {
                        item.text = text.clone();
                    }
                }
                if let Some(m) = self.messages.get_mut(&client_key) {
                    m.text = text;
                    applied.messages.push(m.clone());
                }
            }
            Change::SetDraft {
                conversation_id,
                text,
            } => {
                if text.is_empty() {
                    self.drafts.remove(&conversation_id);
                } else {
                    self.drafts.insert(conversation_id, text);
                }
            }
            Change::SaveCanned(c) => {
                self.canned.insert(c.id.clone(), c);
            }
            Change::DeleteCanned { id } => {
                self.canned.remove(&id);
            }
            Change::ClearCache => {
                let queued: HashSet<&str> = self
                    .outbox
                    .values()
                    .map(|i| i.client_key.as_str())
                    .collect();
                let keep: HashSet<String> = self
                    .outbox
                    .values()
                    .map(|i| i.conversation_id.clone())
                    .collect();
                self.messages
                    .retain(|_, m| m.client_key.as_deref().is_some_and(|k| queued.contains(k)));
                self.conversations.retain(|id, _| keep.contains(id));
                for id in self.conversations.keys() {
                    applied.conversations.push(id.clone());
                }
                self.contacts.clear();
                self.cursors.clear();
            }
        }
    }
}

fn sort_key(c: &Conversation, sort: InboxSort) -> (i64, i64) {
    match sort {
        InboxSort::Newest => (0, -c.last_activity_at),
        InboxSort::Oldest => (0, c.last_activity_at),
        InboxSort::UnreadFirst => (i64::from(c.unread == 0), -c.last_activity_at),
    }
}

impl Store for MemoryStore {
    async fn save_account(&self, account: &Account) -> StoreResult<()> {
        self.accounts
            .lock()
            .map_err(poisoned)?
            .insert(account.id.clone(), account.clone());
        Ok(())
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let mut v: Vec<Account> = self
            .accounts
            .lock()
            .map_err(poisoned)?
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|a| a.added_at);
        Ok(v)
    }

    async fn remove_account(&self, account: &str) -> StoreResult<()> {
        self.accounts.lock().map_err(poisoned)?.remove(account);
        self.data.lock().map_err(poisoned)?.remove(account);
        Ok(())
    }

    async fn apply(&self, account: &str, changes: Vec<Change>) -> StoreResult<Applied> {
        let mut data = self.data.lock().map_err(poisoned)?;
        let d = data.entry(account.to_owned()).or_default();
        let mut applied = Applied::default();
        for c in changes {
            d.apply(c, &mut applied);
        }
        applied.conversations.sort();
        applied.conversations.dedup();
        Ok(applied)
    }

    async fn conversation(&self, account: &str, id: &str) -> StoreResult<Option<Conversation>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data
            .get(account)
            .and_then(|d| d.conversations.get(id).cloned()))
    }

    async fn inbox(&self, account: &str, q: InboxQuery) -> StoreResult<Vec<Conversation>> {
        let me = self
            .accounts
            .lock()
            .map_err(poisoned)?
            .get(account)
            .map(|a| a.user_id.clone())
            .unwrap_or_default();
        let data = self.data.lock().map_err(poisoned)?;
        let Some(d) = data.get(account) else {
            return Ok(Vec::new());
        };
        let mut rows: Vec<&Conversation> = d
            .conversations
            .values()
            .filter(|c| c.in_view(q.view, &me))
            .collect();
        rows.sort_by(|a, b| {
            sort_key(a, q.sort)
                .cmp(&sort_key(b, q.sort))
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(rows
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .cloned()
            .collect())
    }

    async fn inbox_across(
        &self,
        accounts: &[String],
        q: InboxQuery,
    ) -> StoreResult<Vec<(String, Conversation)>> {
        let mes: Vec<(String, String)> = {
            let known = self.accounts.lock().map_err(poisoned)?;
            accounts
                .iter()
                .filter_map(|a| known.get(a).map(|acc| (a.clone(), acc.user_id.clone())))
                .collect()
        };
        let data = self.data.lock().map_err(poisoned)?;
        let mut rows: Vec<(&str, &Conversation)> = Vec::new();
        for (account, me) in &mes {
            if let Some(d) = data.get(account) {
                rows.extend(
                    d.conversations
                        .values()
                        .filter(|c| c.in_view(q.view, me))
                        .map(|c| (account.as_str(), c)),
                );
            }
        }
        rows.sort_by(|(aa, a), (ba, b)| {
            sort_key(a, q.sort)
                .cmp(&sort_key(b, q.sort))
                .then_with(|| b.id.cmp(&a.id))
                .then_with(|| ba.cmp(aa))
        });
        Ok(rows
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .map(|(a, c)| (a.to_owned(), c.clone()))
            .collect())
    }

    async fn counts(&self, account: &str) -> StoreResult<ViewCounts> {
        let me = self
            .accounts
            .lock()
            .map_err(poisoned)?
            .get(account)
            .map(|a| a.user_id.clone())
            .unwrap_or_default();
        let data = self.data.lock().map_err(poisoned)?;
        let mut counts = ViewCounts::default();
        if let Some(d) = data.get(account) {
            for c in d.conversations.values() {
                for v in InboxView::ALL {
                    if c.in_view(v, &me) {
                        match v {
                            InboxView::AssignedToMe => counts.assigned_to_me += 1,
                            InboxView::Unassigned => counts.unassigned += 1,
                            InboxView::All => counts.all += 1,
                            InboxView::Closed => counts.closed += 1,
                            InboxView::Spam => counts.spam += 1,
                        }
                    }
                }
                if c.in_view(InboxView::All, &me) {
                    counts.unread += c.unread;
                }
            }
        }
        Ok(counts)
    }

    async fn timeline(
        &self,
        account: &str,
        conversation_id: &str,
        before: Option<(Millis, String)>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let data = self.data.lock().map_err(poisoned)?;
        let Some(d) = data.get(account) else {
            return Ok(Vec::new());
        };
        let mut v: Vec<&Message> = d
            .messages
            .values()
            .filter(|m| m.conversation_id == conversation_id)
            .filter(|m| match &before {
                Some((t, k)) => (m.created_at, &m.key) < (*t, k),
                None => true,
            })
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
        let skip = v.len().saturating_sub(limit as usize);
        Ok(v.into_iter().skip(skip).cloned().collect())
    }

    async fn message(&self, account: &str, key: &str) -> StoreResult<Option<Message>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data.get(account).and_then(|d| d.messages.get(key).cloned()))
    }

    async fn search(&self, account: &str, terms: &str, limit: u32) -> StoreResult<Vec<SearchHit>> {
        let tokens = search_tokens(terms);
        let data = self.data.lock().map_err(poisoned)?;
        let Some(d) = data.get(account) else {
            return Ok(Vec::new());
        };
        let mut hits: Vec<&Message> = d
            .messages
            .values()
            .filter(|m| {
                let text = if m.content_type == 3 {
                    crate::model::strip_tags(&m.text)
                } else {
                    m.text.clone()
                };
                text_matches(&text, &tokens)
            })
            .collect();
        hits.sort_by(|a, b| (b.created_at, &b.key).cmp(&(a.created_at, &a.key)));
        Ok(hits
            .into_iter()
            .take(limit as usize)
            .map(|m| SearchHit {
                conversation_title: d
                    .conversations
                    .get(&m.conversation_id)
                    .map(|c| c.title.clone())
                    .unwrap_or_default(),
                message: m.clone(),
            })
            .collect())
    }

    async fn search_contacts(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> StoreResult<Vec<Contact>> {
        let tokens = search_tokens(terms);
        let data = self.data.lock().map_err(poisoned)?;
        let Some(d) = data.get(account) else {
            return Ok(Vec::new());
        };
        let mut v: Vec<&Contact> = d
            .contacts
            .values()
            .filter(|c| {
                let hay = format!(
                    "{} {} {} {}",
                    c.user_id,
                    c.display_name.as_deref().unwrap_or(""),
                    c.email.as_deref().unwrap_or(""),
                    c.phone.as_deref().unwrap_or("")
                );
                text_matches(&hay, &tokens)
            })
            .collect();
        v.sort_by_key(|c| c.name().to_lowercase());
        Ok(v.into_iter().take(limit as usize).cloned().collect())
    }

    async fn contact(&self, account: &str, user_id: &str) -> StoreResult<Option<Contact>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data
            .get(account)
            .and_then(|d| d.contacts.get(user_id).cloned()))
    }

    async fn cursor(&self, account: &str, name: &str) -> StoreResult<Option<i64>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data.get(account).and_then(|d| d.cursors.get(name).copied()))
    }

    async fn draft(&self, account: &str, conversation_id: &str) -> StoreResult<Option<String>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data
            .get(account)
            .and_then(|d| d.drafts.get(conversation_id).cloned()))
    }

    async fn outbox(&self, account: &str) -> StoreResult<Vec<OutboxItem>> {
        let data = self.data.lock().map_err(poisoned)?;
        Ok(data
            .get(account)
            .map(|d| d.outbox.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn groups(&self, account: &str) -> StoreResult<Vec<Conversation>> {
        let data = self.data.lock().map_err(poisoned)?;
        let mut v: Vec<Conversation> = data
            .get(account)
            .map(|d| {
                d.conversations
                    .values()
                    .filter(|c| c.group_id.is_some() && c.group_type != SUPPORT_GROUP)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| {
            a.title
                .to_lowercase()
                .cmp(&b.title.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(v)
    }

    async fn find_conversations(
        &self,
        account: &str,
        terms: &str,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let words = crate::store::find_words(terms);
        let whole = words.join(" ");
        let data = self.data.lock().map_err(poisoned)?;
        let Some(d) = data.get(account) else {
            return Ok(Vec::new());
        };
        let mut v: Vec<(bool, &Conversation)> = d
            .conversations
            .values()
            .filter_map(|c| {
                let customer = c.customer_id.as_ref().and_then(|id| d.contacts.get(id));
                let hay = crate::store::find_haystack(c, customer);
                words
                    .iter()
                    .all(|w| hay.contains(w.as_str()))
                    .then(|| (c.title.to_ascii_lowercase().starts_with(&whole), c))
            })
            .collect();
        v.sort_by(|(pa, a), (pb, b)| {
            pb.cmp(pa)
                .then_with(|| b.last_activity_at.cmp(&a.last_activity_at))
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(v.into_iter()
            .take(limit as usize)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn conversations_of_customer(
        &self,
        account: &str,
        user_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let data = self.data.lock().map_err(poisoned)?;
        let mut v: Vec<Conversation> = data
            .get(account)
            .map(|d| {
                d.conversations
                    .values()
                    .filter(|c| {
                        c.group_type == SUPPORT_GROUP && c.customer_id.as_deref() == Some(user_id)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| {
            b.last_activity_at
                .cmp(&a.last_activity_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        v.truncate(limit as usize);
        Ok(v)
    }

    async fn canned_responses(&self, account: &str) -> StoreResult<Vec<CannedResponse>> {
        let data = self.data.lock().map_err(poisoned)?;
        let mut v: Vec<CannedResponse> = data
            .get(account)
            .map(|d| d.canned.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.shortcut.cmp(&b.shortcut).then_with(|| a.id.cmp(&b.id)));
        Ok(v)
    }
}
