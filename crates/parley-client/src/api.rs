//! Typed calls for the platform endpoints Parley uses (protocol reference §4–§6).

use parley_core::wire::{
    de_i64, ChannelFeed, ConversationPage, FileMeta, GroupSyncBody, SendResponse, SyncMessageFeed,
    UserDetail, WireMessage,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ClientError, Result};
use crate::http::{decode, snippet, unwrap_api, Body, Host, RestClient};

/// `group/support` answers, with the cursor for the next page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SupportPage {
    #[serde(flatten)]
    pub page: ConversationPage,
    #[serde(deserialize_with = "de_i64")]
    pub last_fetch_time: i64,
}

/// `message/info`: per-recipient delivery state.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct RecipientStatus {
    #[serde(deserialize_with = "parley_core::wire::de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub status: i64,
    #[serde(deserialize_with = "parley_core::wire::de_opt_i64")]
    pub delivered_at_time: Option<i64>,
    #[serde(deserialize_with = "parley_core::wire::de_opt_i64")]
    pub read_at_time: Option<i64>,
}

/// Which conversations `group/support` lists (protocol §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportFilter {
    /// Open and unresponded (0, 6) plus initial (-1) and waiting (7).
    Open,
    /// Resolved, spam, duplicate, archived (2, 3, 4, 5).
    Closed,
}

impl SupportFilter {
    fn statuses(self) -> &'static [i64] {
        match self {
            Self::Open => &[-1, 0, 1, 6, 7],
            Self::Closed => &[2, 3, 4, 5],
        }
    }
}

impl RestClient {
    /// `GET /rest/ws/message/sync?lastSyncTime=` — messages since the cursor.
    pub async fn message_sync(&self, last_sync_time: i64) -> Result<SyncMessageFeed> {
        self.get_json(
            Host::Chat,
            "/rest/ws/message/sync",
            &[("lastSyncTime", last_sync_time.to_string())],
        )
        .await
    }

    /// `GET /rest/ws/message/list?groupId=&endTime=&pageSize=` — a page of a thread, newest
    /// first, older than `end_time`.
    pub async fn message_list(
        &self,
        group_id: i64,
        end_time: Option<i64>,
        page_size: u32,
    ) -> Result<ConversationPage> {
        let mut q = vec![
            ("groupId", group_id.to_string()),
            ("pageSize", page_size.to_string()),
            ("startIndex", "0".to_owned()),
        ];
        if let Some(t) = end_time {
            q.push(("endTime", t.to_string()));
        }
        let text = self
            .call(
                Method::GET,
                Host::Chat,
                "/rest/ws/message/list",
                &q,
                Body::None,
                true,
            )
            .await?;
        decode_page(&text)
    }

    /// `GET /rest/ws/message/list?groupId=&startTime=` — messages of a thread after a time
    /// (used to check whether a send whose answer was lost reached the server).
    pub async fn message_list_since(
        &self,
        group_id: i64,
        start_time: i64,
        page_size: u32,
    ) -> Result<ConversationPage> {
        let q = [
            ("groupId", group_id.to_string()),
            ("startTime", start_time.to_string()),
            ("pageSize", page_size.to_string()),
        ];
        let text = self
            .call(
                Method::GET,
                Host::Chat,
                "/rest/ws/message/list",
                &q,
                Body::None,
                true,
            )
            .await?;
        decode_page(&text)
    }

    /// `POST /rest/ws/message/send`. Not retried here: the send queue decides, after checking
    /// whether an earlier attempt arrived.
    pub async fn send_message(&self, message: &WireMessage) -> Result<SendResponse> {
        let body = serde_json::to_value(message)
            .map_err(|e| ClientError::Invalid(format!("message: {e}")))?;
        let text = self
            .call(
                Method::POST,
                Host::Chat,
                "/rest/ws/message/send",
                &[],
                Body::Json(body),
                false,
            )
            .await?;
        decode_send_answer(&text)
    }

    /// `GET /rest/ws/message/read/conversation?groupId=`.
    pub async fn mark_group_read(&self, group_id: i64) -> Result<()> {
        self.call(
            Method::GET,
            Host::Chat,
            "/rest/ws/message/read/conversation",
            &[("groupId", group_id.to_string())],
            Body::None,
            true,
        )
        .await
        .map(|_| ())
    }

    /// `GET /rest/ws/message/delete?key=[&deleteForAll=true]`.
    pub async fn delete_message(&self, key: &str, for_all: bool) -> Result<()> {
        let mut q = vec![("key", key.to_owned())];
        if for_all {
            q.push(("deleteForAll", "true".to_owned()));
        }
        self.call(
            Method::GET,
            Host::Chat,
            "/rest/ws/message/delete",
            &q,
            Body::None,
            true,
        )
        .await
        .map(|_| ())
    }

    /// `GET /rest/ws/message/info?key=`.
    pub async fn message_info(&self, key: &str) -> Result<Vec<RecipientStatus>> {
        let text = self
            .call(
                Method::GET,
                Host::Chat,
                "/rest/ws/message/info",
                &[("key", key.to_owned())],
                Body::None,
                true,
            )
            .await?;
        decode_message_info(&text)
    }

    /// `GET /rest/ws/group/v5/list?updatedAt=` — groups changed since the cursor; the next
    /// cursor is the answer's `generatedAt`.
    pub async fn group_sync(&self, updated_at: i64) -> Result<(Vec<ChannelFeed>, i64)> {
        let (body, generated_at): (GroupSyncBody, i64) = self
            .get_api(
                Host::Chat,
                "/rest/ws/group/v5/list",
                &[("updatedAt", updated_at.to_string())],
            )
            .await?;
        Ok((body.group_pxys, generated_at))
    }

    /// `GET /rest/ws/group/info?groupId=`.
    pub async fn group_info(&self, group_id: i64) -> Result<ChannelFeed> {
        self.get_api(
            Host::Chat,
            "/rest/ws/group/info",
            &[("groupId", group_id.to_string())],
        )
        .await
        .map(|(g, _)| g)
    }

    /// `GET /rest/ws/group/support` (or `/assigned?userId=`): a page of support conversations
    /// with their latest message, newest activity first.
    pub async fn support_page(
        &self,
        filter: SupportFilter,
        assigned_to: Option<&str>,
        last_fetch_time: Option<i64>,
        page_size: u32,
    ) -> Result<SupportPage> {
        let mut q: Vec<(&str, String)> = vec![("pageSize", page_size.to_string())];
        for s in filter.statuses() {
            q.push(("status", s.to_string()));
        }
        if let Some(t) = last_fetch_time {
            q.push(("lastFetchTime", t.to_string()));
        }
        let path = match assigned_to {
            Some(u) => {
                q.push(("userId", u.to_owned()));
                "/rest/ws/group/support/assigned"
            }
            None => "/rest/ws/group/support",
        };
        let (page, _) = self.get_api::<SupportPage>(Host::Chat, path, &q).await?;
        Ok(page)
    }

    /// `PATCH /rest/ws/group/status/change?groupId=&status=`.
    pub async fn change_status(&self, group_id: i64, status: i64) -> Result<()> {
        self.call(
            Method::PATCH,
            Host::Chat,
            "/rest/ws/group/status/change",
            &[
                ("groupId", group_id.to_string()),
                ("status", status.to_string()),
                ("sendNotifyMessage", "true".to_owned()),
            ],
            Body::None,
            true,
        )
        .await
        .map(|_| ())
    }

    /// `PATCH /rest/ws/group/assignee/change?groupId=&assignee=`. Returns the platform's
    /// status text (`updated`, `already updated`, `AGENT_IS_ALREADY_ENGAGED`).
    pub async fn change_assignee(&self, group_id: i64, assignee: &str) -> Result<String> {
        let text = self
            .call(
                Method::PATCH,
                Host::Chat,
                "/rest/ws/group/assignee/change",
                &[
                    ("groupId", group_id.to_string()),
                    ("assignee", assignee.to_owned()),
                    ("switchAssignee", "true".to_owned()),
                    ("takeOverFromBot", "true".to_owned()),
                    ("sendNotifyMessage", "true".to_owned()),
                ],
                Body::None,
                true,
            )
            .await?;
        Ok(decode_assignee_answer(&text))
    }

    /// `GET /rest/ws/user/detail?userIds=…`.
    pub async fn user_details(&self, user_ids: &[String]) -> Result<Vec<UserDetail>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let q: Vec<(&str, String)> = user_ids.iter().map(|u| ("userIds", u.clone())).collect();
        let text = self
            .call(
                Method::GET,
                Host::Chat,
                "/rest/ws/user/detail",
                &q,
                Body::None,
                true,
            )
            .await?;
        decode_user_details(&text)
    }

    /// `POST /rest/ws/upload/image` (multipart `file`) → the FileMeta to put in the message.
    pub async fn upload(
        &self,
        name: &str,
        content_type: &str,
        bytes: bytes::Bytes,
        progress: Option<std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>>,
    ) -> Result<FileMeta> {
        let text = self
            .call(
                Method::POST,
                Host::Chat,
                "/rest/ws/upload/image",
                &[("aclsPrivate", "true".to_owned())],
                Body::File {
                    field: "file",
                    name: name.to_owned(),
                    content_type: content_type.to_owned(),
                    bytes,
                    progress,
                },
                true,
            )
            .await?;
        decode_upload_answer(&text)
    }

    /// `POST /rest/ws/device/logout`.
    pub async fn logout(&self) -> Result<()> {
        self.call(
            Method::POST,
            Host::Chat,
            "/rest/ws/device/logout",
            &[],
            Body::None,
            false,
        )
        .await
        .map(|_| ())
    }

    /// `PATCH <api>/rest/ws/users/status`: agent availability (1 online, 0 away).
    pub async fn set_availability(&self, online: bool) -> Result<()> {
        let s = &self.session;
        self.call(
            Method::PATCH,
            Host::Api,
            "/rest/ws/users/status",
            &[],
            Body::Json(serde_json::json!({
                "status": i32::from(online),
                "applicationId": s.app_key,
                "userName": s.user_id,
            })),
            true,
        )
        .await
        .map(|_| ())
    }
}

// The decoders below are the pure halves of the calls above (no I/O), public so the fuzz
// targets in `fuzz/` exercise exactly what the calls run on the platform's answers.

/// `message/list` answers raw `{message, groupFeeds, userDetails}`; accept the envelope too.
pub fn decode_page(text: &str) -> Result<ConversationPage> {
    let v: Value = decode(text)?;
    if v.get("status").is_some() && v.get("response").is_some() {
        return unwrap_api::<ConversationPage>(text).map(|(p, _)| p);
    }
    serde_json::from_value(v).map_err(|e| ClientError::BadResponse(format!("list: {e}")))
}

/// `message/send`: either `{messageKey, createdAt}` or the same inside the envelope; an answer
/// without a message key is an error.
pub fn decode_send_answer(text: &str) -> Result<SendResponse> {
    let v: Value = decode(text)?;
    let inner = match v.get("response") {
        Some(r) if r.is_object() => r.clone(),
        _ => v,
    };
    let r: SendResponse = serde_json::from_value(inner)
        .map_err(|e| ClientError::BadResponse(format!("send: {e}")))?;
    if r.message_key.as_deref().is_none_or(str::is_empty) {
        return Err(ClientError::BadResponse(format!(
            "send: no messageKey in {}",
            snippet(text)
        )));
    }
    Ok(r)
}

/// `message/info`: the list bare or as the envelope's `response`.
pub fn decode_message_info(text: &str) -> Result<Vec<RecipientStatus>> {
    let v: Value = decode(text)?;
    let list = match v.get("response") {
        Some(r) => r.clone(),
        None => v,
    };
    serde_json::from_value(list).map_err(|e| ClientError::BadResponse(format!("info: {e}")))
}

/// `group/assignee/change`: the platform's status text, from the envelope, JSON or plain text.
pub fn decode_assignee_answer(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::String(text.to_owned()));
    match v.get("response") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => text.trim().to_owned(),
    }
}

/// `user/detail`: the list bare or as the envelope's `response`.
pub fn decode_user_details(text: &str) -> Result<Vec<UserDetail>> {
    let v: Value = decode(text)?;
    let list = match v.get("response") {
        Some(r) => r.clone(),
        None => v,
    };
    serde_json::from_value(list).map_err(|e| ClientError::BadResponse(format!("users: {e}")))
}

/// `upload/image`: the FileMeta bare, under `fileMeta` or as the envelope's `response`; one
/// with neither a blob key nor a URL is an error.
pub fn decode_upload_answer(text: &str) -> Result<FileMeta> {
    let v: Value = decode(text)?;
    let meta = match (v.get("fileMeta"), v.get("response")) {
        (Some(m), _) => m.clone(),
        (None, Some(r)) if r.is_object() => r.clone(),
        _ => v,
    };
    let meta: FileMeta = serde_json::from_value(meta)
        .map_err(|e| ClientError::BadResponse(format!("upload: {e}")))?;
    if meta.blob_key.is_none() && meta.url.is_none() {
        return Err(ClientError::BadResponse(format!(
            "upload: no blobKey in {}",
            snippet(text)
        )));
    }
    Ok(meta)
}
