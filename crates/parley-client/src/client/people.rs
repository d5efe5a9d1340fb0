//! Groups, contacts, canned responses and message actions. Each action is one platform call;
//! what it changed is read back from the server and written to the cache, so every screen
//! (and every other window on the account) sees the server's truth.

use parley_core::model::{
    group_conversation_id, Contact, Conversation, DeliveryState, Direction, Metadata, Role,
};
use parley_core::people::{
    assignable_role, check_outgoing, check_user_id, ContactProfile, ContactUpdate, GroupForm,
    GroupUpdate, NewConversationForm, RecipientState,
};
use parley_core::store::{CannedResponse, Change, Store};

use super::{group_id_of, Client};
use crate::api_groups::{GroupChanges, GroupMember, NewGroup, RoleChange};
use crate::api_kommunicate::NewConversation;
use crate::api_users::{ProfileUpdate, UserFilter};
use crate::api_util::GroupRef;
use crate::error::{ClientError, Result};

fn group_ref(conversation_id: &str) -> Result<GroupRef> {
    group_id_of(conversation_id)
        .map(GroupRef::Id)
        .ok_or_else(|| ClientError::Invalid("That is not a group.".into()))
}

/// A check's refusal, keeping the form field it names (shown beside that field).
fn invalid(e: parley_core::AppError) -> ClientError {
    match e.field {
        Some(field) => ClientError::InvalidField {
            field,
            message: e.message,
        },
        None => ClientError::Invalid(e.message),
    }
}

impl<S: Store> Client<S> {
    /// Groups other than support conversations, from the cache.
    pub async fn groups(&self) -> Result<Vec<Conversation>> {
        Ok(self.store().groups(&self.account().id).await?)
    }

    /// Read a group back from the server into the cache; the cached copy.
    pub async fn refresh_group(&self, conversation_id: &str) -> Result<Conversation> {
        let g = group_ref(conversation_id)?;
        let feed = self.rest()?.group_info_by(&g).await?;
        let c = Conversation::from_feed(&feed);
        self.write(vec![Change::UpsertConversation(c)]).await?;
        self.conversation(conversation_id)
            .await?
            .ok_or_else(|| ClientError::BadResponse("the group vanished from the cache".into()))
    }

    /// Create a group of any user-facing type; the agent is its admin.
    pub async fn create_group(&self, form: &GroupForm) -> Result<Conversation> {
        let me = self.account().user_id.clone();
        let f = form.checked(&me).map_err(invalid)?;
        let mut users: Vec<GroupMember> = f
            .members
            .iter()
            .map(|u| GroupMember {
                user_id: u.clone(),
                group_role: crate::api_groups::group_role::MEMBER,
            })
            .collect();
        users.push(GroupMember {
            user_id: me,
            group_role: crate::api_groups::group_role::ADMIN,
        });
        let feed = self
            .rest()?
            .group_create(&NewGroup {
                group_name: f.name,
                client_group_id: None,
                kind: Some(f.kind.code()),
                image_url: f.image_url,
                metadata: f.metadata,
                users,
            })
            .await?;
        let id = group_conversation_id(feed.id);
        self.write(vec![Change::UpsertConversation(Conversation::from_feed(
            &feed,
        ))])
        .await?;
        // The create answer may list members without roles; read the group back.
        self.refresh_group(&id).await
    }

    /// Rename, change the image or merge metadata.
    pub async fn update_group(
        &self,
        conversation_id: &str,
        update: &GroupUpdate,
    ) -> Result<Conversation> {
        let u = update.checked().map_err(invalid)?;
        let g = group_ref(conversation_id)?;
        self.rest()?
            .group_update(
                &g,
                &GroupChanges {
                    new_name: u.name,
                    image_url: u.image_url,
                    metadata: u.metadata,
                    users: Vec::new(),
                },
            )
            .await?;
        self.refresh_group(conversation_id).await
    }

    /// Upload an image (a group's or a profile's); its URL.
    pub async fn upload_image(
        &self,
        name: &str,
        content_type: &str,
        bytes: bytes::Bytes,
    ) -> Result<String> {
        self.rest()?.upload_file(name, content_type, bytes).await
    }

    pub async fn add_group_member(
        &self,
        conversation_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<Conversation> {
        let u = check_user_id(user_id).map_err(invalid)?;
        let role = assignable_role(role).map_err(invalid)?;
        self.rest()?
            .group_add_member(&group_ref(conversation_id)?, &u, Some(role.code()))
            .await?;
        self.refresh_group(conversation_id).await
    }

    pub async fn remove_group_member(
        &self,
        conversation_id: &str,
        user_id: &str,
    ) -> Result<Conversation> {
        let u = check_user_id(user_id).map_err(invalid)?;
        self.rest()?
            .group_remove_member(&group_ref(conversation_id)?, &u)
            .await?;
        self.refresh_group(conversation_id).await
    }

    pub async fn set_member_role(
        &self,
        conversation_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<Conversation> {
        let u = check_user_id(user_id).map_err(invalid)?;
        let role = assignable_role(role).map_err(invalid)?;
        self.rest()?
            .group_update(
                &group_ref(conversation_id)?,
                &GroupChanges {
                    users: vec![RoleChange {
                        user_id: u,
                        role: role.code(),
                    }],
                    ..Default::default()
                },
            )
            .await?;
        self.refresh_group(conversation_id).await
    }

    /// Leave a group: it leaves the cache.
    pub async fn leave_group(&self, conversation_id: &str) -> Result<()> {
        self.rest()?
            .group_leave(&group_ref(conversation_id)?)
            .await?;
        self.write(vec![Change::RemoveConversation {
            id: conversation_id.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    /// Delete a group (admins only: the platform's refusal comes back as the error).
    pub async fn delete_group(&self, conversation_id: &str) -> Result<()> {
        self.rest()?
            .group_delete(&group_ref(conversation_id)?)
            .await?;
        self.write(vec![Change::RemoveConversation {
            id: conversation_id.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    /// Mute a conversation (group or 1:1) until `until` (ms), or unmute with `None`.
    pub async fn mute(&self, conversation_id: &str, until: Option<i64>) -> Result<()> {
        let t = until.unwrap_or(0).max(0);
        if let Some(g) = group_id_of(conversation_id) {
            self.rest()?.group_mute_until(&GroupRef::Id(g), t).await?;
        } else if let Some(user) = conversation_id.strip_prefix("u:") {
            self.rest()?.mute_user_until(user, t).await?;
        } else {
            return Err(ClientError::Invalid("Unknown conversation.".into()));
        }
        self.write(vec![Change::SetMuted {
            id: conversation_id.to_owned(),
            until: until.filter(|t| *t > 0),
        }])
        .await
        .map(|_| ())
    }

    /// Open groups anyone may join (newest first), from the server.
    pub async fn open_groups(&self) -> Result<Vec<Conversation>> {
        let page = self.rest()?.open_groups(50, None).await?;
        Ok(page
            .group_pxys
            .iter()
            .map(Conversation::from_feed)
            .collect())
    }

    /// Join an open group.
    pub async fn join_group(&self, conversation_id: &str) -> Result<Conversation> {
        let me = self.account().user_id.clone();
        self.rest()?
            .group_add_member(&group_ref(conversation_id)?, &me, None)
            .await?;
        self.refresh_group(conversation_id).await
    }

    /// The members of one of the agent's contact lists (friends, favourites…), by name.
    pub async fn contact_list(&self, name: &str) -> Result<Vec<Contact>> {
        let feed = self
            .rest()?
            .contact_list_get(name, crate::api_groups::ContactList::Private)
            .await;
        let ids: Vec<String> = match feed {
            Ok(f) => f.members_id,
            // A list that was never created is an empty list.
            Err(ClientError::Platform { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        self.contacts_for(&ids).await
    }

    /// Add and remove people on a contact list; the list afterwards.
    pub async fn edit_contact_list(
        &self,
        name: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<Contact>> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 || name.contains(['/', '?', '#']) {
            return Err(ClientError::Invalid("That is not a list name.".into()));
        }
        if !add.is_empty() {
            self.rest()?.contact_list_add(name, add).await?;
        }
        for u in remove {
            self.rest()?
                .contact_list_remove(name, crate::api_groups::ContactList::Private, u)
                .await?;
        }
        self.contact_list(name).await
    }

    /// Contacts for these ids: the cache first, the server for the rest.
    async fn contacts_for(&self, ids: &[String]) -> Result<Vec<Contact>> {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.contact(id).await? {
                Some(c) => out.push(c),
                None => missing.push(id.clone()),
            }
        }
        if !missing.is_empty() {
            let fetched: Vec<Contact> = self
                .rest()?
                .user_details_v2(&missing, &[])
                .await?
                .iter()
                .filter_map(Contact::from_detail)
                .collect();
            self.write(fetched.iter().cloned().map(Change::UpsertContact).collect())
                .await?;
            out.extend(fetched);
        }
        out.sort_by_cached_key(|c| c.name().to_lowercase());
        Ok(out)
    }

    /// People matching `terms` (name, e-mail, phone, id) for member pickers. The first search
    /// of a session loads the application's users into the cache; later ones are local.
    pub async fn search_people(&self, terms: &str, limit: u32) -> Result<Vec<Contact>> {
        if !self
            .inner
            .people_loaded
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let mut start_time = None;
            for _ in 0..5 {
                let page = match self
                    .rest()?
                    .user_filter(&UserFilter {
                        page_size: Some(200),
                        start_time,
                        ..Default::default()
                    })
                    .await
                {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::info!("user list not loaded ({e}); searching the cache only");
                        self.inner
                            .people_loaded
                            .store(false, std::sync::atomic::Ordering::SeqCst);
                        break;
                    }
                };
                let contacts: Vec<Change> = page
                    .users
                    .iter()
                    .filter_map(Contact::from_detail)
                    .map(Change::UpsertContact)
                    .collect();
                let full = contacts.len() >= 200;
                self.write(contacts).await?;
                match page.last_fetch_time {
                    Some(t) if full && Some(t) != start_time => start_time = Some(t),
                    _ => break,
                }
            }
        }
        Ok(self
            .store()
            .search_contacts(&self.account().id, terms, limit.min(100))
            .await?)
    }

    /// The contact panel: fresh from the server when it answers, else the cached copy.
    pub async fn contact_profile(&self, user_id: &str) -> Result<ContactProfile> {
        let u = check_user_id(user_id).map_err(invalid)?;
        if self.platform() == parley_core::Platform::WapiKit {
            return self.wapikit_contact_profile(&u).await;
        }
        let fresh = match self
            .rest()?
            .user_details_v2(std::slice::from_ref(&u), &[])
            .await
        {
            Ok(details) => {
                let contacts: Vec<Change> = details
                    .iter()
                    .filter_map(Contact::from_detail)
                    .filter(|c| c.user_id == u)
                    .map(Change::UpsertContact)
                    .collect();
                let any = !contacts.is_empty();
                self.write(contacts).await?;
                any
            }
            Err(e) if e.is_transient() => false,
            Err(e) => return Err(e),
        };
        let blocked = match self.rest()?.blocked_sync(0).await {
            Ok((sync, _)) => Some(
                sync.blocked_to_user_list
                    .iter()
                    .any(|b| b.blocked_to.as_deref() == Some(u.as_str()) && b.user_blocked),
            ),
            Err(e) => {
                tracing::info!("block list not available: {e}");
                None
            }
        };
        let contact = self.contact(&u).await?.ok_or_else(|| {
            ClientError::Invalid("Parley knows nothing about that person yet.".into())
        })?;
        let conversations = self
            .store()
            .conversations_of_customer(&self.account().id, &u, 50)
            .await?;
        Ok(ContactProfile {
            contact,
            conversations,
            blocked,
            fresh,
        })
    }

    /// WapiKit's contact (name, phone, attributes) read again; WapiKit keeps no block list.
    async fn wapikit_contact_profile(&self, u: &str) -> Result<ContactProfile> {
        let fresh = match self.inner.wk_contact(u).await {
            Ok(c) => {
                self.write(vec![Change::UpsertContact(c)]).await?;
                true
            }
            Err(e) if e.is_transient() => false,
            Err(e) => return Err(e),
        };
        let contact = self.contact(u).await?.ok_or_else(|| {
            ClientError::Invalid("Parley knows nothing about that person yet.".into())
        })?;
        let conversations = self
            .store()
            .conversations_of_customer(&self.account().id, u, 50)
            .await?;
        Ok(ContactProfile {
            contact,
            conversations,
            blocked: None,
            fresh,
        })
    }

    /// Edit a contact's profile (an agent edits a customer through `Of-User-Id`).
    pub async fn update_contact(&self, user_id: &str, update: &ContactUpdate) -> Result<Contact> {
        let u = check_user_id(user_id).map_err(invalid)?;
        let c = update.checked().map_err(invalid)?;
        self.rest()?
            .update_profile_of(
                &u,
                &ProfileUpdate {
                    display_name: c.display_name,
                    email: c.email,
                    image_link: c.image_url,
                    status_message: None,
                    phone_number: c.phone,
                    metadata: c.metadata,
                },
            )
            .await?;
        let fresh: Vec<Contact> = self
            .rest()?
            .user_details_v2(std::slice::from_ref(&u), &[])
            .await?
            .iter()
            .filter_map(Contact::from_detail)
            .filter(|c| c.user_id == u)
            .collect();
        self.write(fresh.iter().cloned().map(Change::UpsertContact).collect())
            .await?;
        fresh
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::BadResponse("the profile did not come back".into()))
    }

    pub async fn set_blocked(&self, user_id: &str, blocked: bool) -> Result<()> {
        let u = check_user_id(user_id).map_err(invalid)?;
        if blocked {
            self.rest()?.block_user(&u).await
        } else {
            self.rest()?.unblock_user(&u).await
        }
    }

    /// Start a support conversation with a customer (Kommunicate create conversation), with
    /// an assignee or routing, and an optional first message (queued like any reply).
    pub async fn start_conversation(&self, form: &NewConversationForm) -> Result<Conversation> {
        let customer = check_user_id(&form.customer_id).map_err(invalid)?;
        let me = self.account().user_id.clone();
        let title = match form.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => self
                .contact(&customer)
                .await?
                .map(|c| c.name().to_owned())
                .unwrap_or_else(|| customer.clone()),
        };
        let assignee = form
            .assignee
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        // The assignee must be a member (the platform's rule). Without one, only the customer
        // is listed: an agent in the list would become the assignee and routing would never
        // decide; the starting agent joins as the creator either way.
        let mut members = vec![customer.clone()];
        match &assignee {
            Some(a) if *a != customer => members.push(a.clone()),
            Some(_) => {}
            None if form.skip_routing => members.push(me),
            None => {}
        }
        let feed = self
            .rest()?
            .create_conversation(&NewConversation {
                title,
                members,
                client_group_id: None,
                image_url: None,
                metadata: Metadata::new(),
                skip_routing: form.skip_routing || assignee.is_some(),
                assignee,
            })
            .await?;
        let id = group_conversation_id(feed.id);
        self.write(vec![Change::UpsertConversation(Conversation::from_feed(
            &feed,
        ))])
        .await?;
        if let Some(text) = form.message.as_deref().filter(|t| !t.trim().is_empty()) {
            self.send_text(&id, text, 0, Metadata::new()).await?;
        }
        self.conversation(&id)
            .await?
            .ok_or_else(|| ClientError::BadResponse("the new conversation vanished".into()))
    }

    /// Queue a message with a content type and metadata (rich messages, HTML, hidden notes),
    /// checked first.
    pub async fn send_rich(
        &self,
        conversation_id: &str,
        text: &str,
        content_type: i64,
        metadata: Metadata,
    ) -> Result<String> {
        check_outgoing(content_type, &metadata).map_err(invalid)?;
        self.send_text(conversation_id, text, content_type, metadata)
            .await
    }

    /// Delete a message for the agent only, or for everyone. A queued one leaves the queue.
    pub async fn delete_message(&self, key: &str, for_everyone: bool) -> Result<()> {
        let m = self
            .store()
            .message(&self.account().id, key)
            .await?
            .ok_or_else(|| ClientError::Invalid("That message is not in the cache.".into()))?;
        if m.state == DeliveryState::Queued || m.state == DeliveryState::Failed {
            if let Some(ck) = &m.client_key {
                return self.cancel_queued(ck).await;
            }
        }
        self.rest()?.delete_message(key, for_everyone).await?;
        self.write(vec![Change::DeleteMessage {
            key: key.to_owned(),
        }])
        .await
        .map(|_| ())
    }

    /// Delivered and read, per recipient (from the server).
    pub async fn message_info(&self, key: &str) -> Result<Vec<RecipientState>> {
        let receipts = self.rest()?.message_info(key).await?;
        let mut out = Vec::new();
        for r in receipts {
            let Some(user_id) = r.user_id.clone().filter(|u| !u.is_empty()) else {
                continue;
            };
            let name = self.contact(&user_id).await?.and_then(|c| c.display_name);
            out.push(RecipientState {
                state: DeliveryState::from_status(r.status, Direction::Outgoing),
                delivered_at: r.delivered_at_time.or(r.read_at_time),
                read_at: r.read_at_time,
                user_id,
                name,
            });
        }
        out.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(out)
    }

    pub async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        Ok(self.store().canned_responses(&self.account().id).await?)
    }

    /// Create (no id) or edit a canned response.
    pub async fn save_canned_response(
        &self,
        id: Option<&str>,
        shortcut: &str,
        text: &str,
    ) -> Result<CannedResponse> {
        let (shortcut, text) = CannedResponse::check(shortcut, text).map_err(invalid)?;
        let existing = self.canned_responses().await?;
        if existing
            .iter()
            .any(|c| c.shortcut.eq_ignore_ascii_case(&shortcut) && Some(c.id.as_str()) != id)
        {
            return Err(ClientError::Invalid(format!(
                "/{shortcut} is already a canned response."
            )));
        }
        let id = match id {
            Some(i) if existing.iter().any(|c| c.id == i) => i.to_owned(),
            Some(_) => {
                return Err(ClientError::Invalid(
                    "That canned response no longer exists.".into(),
                ))
            }
            None => format!(
                "cr-{:x}-{:x}",
                self.inner.session.now_ms(),
                rand::random::<u32>()
            ),
        };
        let c = CannedResponse {
            id,
            shortcut,
            text,
            updated_at: self.inner.session.now_ms(),
        };
        self.write(vec![Change::SaveCanned(c.clone())]).await?;
        Ok(c)
    }

    pub async fn delete_canned_response(&self, id: &str) -> Result<()> {
        self.write(vec![Change::DeleteCanned { id: id.to_owned() }])
            .await
            .map(|_| ())
    }

    /// Forget the cached conversations and messages and fetch them again (the send queue,
    /// drafts and canned responses stay).
    pub async fn clear_cache(&self) -> Result<()> {
        self.write(vec![Change::ClearCache]).await?;
        self.inner
            .people_loaded
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.request_sync();
        Ok(())
    }
}
