//! Typed calls for the platform's user endpoints (`/rest/ws/user/...`): details, presence,
//! profile, password, blocking, muting and the user filter.

use parley_core::wire::{de_bool, de_i64, de_opt_i64, de_opt_string, de_vec, Metadata, UserDetail};
use parley_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api_util::{envelope_or_bare, expect_done, to_body, Method};
use crate::error::{ClientError, Result};
use crate::http::{Body, Host, RestClient};

/// `POST user/update`: only the fields that are set change; metadata is merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// One entry of `user/blocked/sync`: `blocked_to` is set for users the caller blocked,
/// `blocked_by` for users who blocked the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlockEntry {
    #[serde(deserialize_with = "de_opt_string")]
    pub blocked_to: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub blocked_by: Option<String>,
    #[serde(deserialize_with = "de_bool")]
    pub user_blocked: bool,
    #[serde(deserialize_with = "de_i64")]
    pub created_at_time: i64,
    #[serde(deserialize_with = "de_i64")]
    pub updated_at_time: i64,
}

/// `user/blocked/sync` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlockedSync {
    #[serde(deserialize_with = "de_vec")]
    pub blocked_by_user_list: Vec<BlockEntry>,
    #[serde(deserialize_with = "de_vec")]
    pub blocked_to_user_list: Vec<BlockEntry>,
}

/// One item of `user/chat/mute/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MutedUser {
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub notification_after_time: i64,
}

/// Filters of `user/v3/filter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub page_size: Option<u32>,
    /// Users created before this time (ms): the previous page's `last_fetch_time`.
    pub start_time: Option<i64>,
    /// `USER`, `BOT`, `AGENT`, `APPLICATION_ADMIN`.
    pub role: Option<String>,
    pub user_id: Option<String>,
}

/// `user/v3/filter` body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserPage {
    #[serde(deserialize_with = "de_vec")]
    pub users: Vec<UserDetail>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_fetch_time: Option<i64>,
}

/// Replaces every form of the secrets (raw, query-encoded, percent-encoded) in an error's
/// text with `***`.
fn scrub(e: ClientError, secrets: &[&Secret]) -> ClientError {
    let clean = |text: String| -> String {
        let mut out = text;
        for s in secrets {
            let raw = s.expose();
            if raw.is_empty() {
                continue;
            }
            let form: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
            let percent = form.replace('+', "%20");
            for variant in [raw.to_owned(), form, percent] {
                out = out.replace(&variant, "***");
            }
        }
        out
    };
    match e {
        ClientError::Network { host, detail } => ClientError::Network {
            host,
            detail: clean(detail),
        },
        ClientError::Http { status, body } => ClientError::Http {
            status,
            body: clean(body),
        },
        ClientError::BadResponse(d) => ClientError::BadResponse(clean(d)),
        ClientError::Unauthorized(d) => ClientError::Unauthorized(clean(d)),
        ClientError::Forbidden(d) => ClientError::Forbidden(clean(d)),
        ClientError::Platform { code, description } => ClientError::Platform {
            code,
            description: clean(description),
        },
        ClientError::Invalid(d) => ClientError::Invalid(clean(d)),
        other => other,
    }
}

impl RestClient {
    /// `POST /rest/ws/user/v2/detail {userIdList, phoneNumberList}` (read-only).
    pub async fn user_details_v2(
        &self,
        user_ids: &[String],
        phone_numbers: &[String],
    ) -> Result<Vec<UserDetail>> {
        if user_ids.is_empty() && phone_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut body = serde_json::Map::new();
        if !user_ids.is_empty() {
            body.insert("userIdList".into(), json!(user_ids));
        }
        if !phone_numbers.is_empty() {
            body.insert("phoneNumberList".into(), json!(phone_numbers));
        }
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/user/v2/detail",
                &[],
                Body::Json(body.into()),
                true,
            )
            .await?;
        envelope_or_bare(&text)
    }

    /// `GET /rest/ws/user/status?lastSeenAt=` — users whose presence changed since the
    /// cursor; the next cursor is the returned `generatedAt`.
    pub async fn user_presence_since(&self, last_seen_at: i64) -> Result<(Vec<UserDetail>, i64)> {
        self.get_api(
            Host::Chat,
            "/rest/ws/user/status",
            &[("lastSeenAt", last_seen_at.to_string())],
        )
        .await
    }

    /// `GET /rest/ws/user/ol/list?startIndex=&pageSize=` — online users.
    pub async fn online_users(&self, start_index: u32, page_size: u32) -> Result<Vec<UserDetail>> {
        self.chat_get(
            "/rest/ws/user/ol/list",
            &[
                ("startIndex", start_index.to_string()),
                ("pageSize", page_size.to_string()),
            ],
        )
        .await
    }

    /// `POST /rest/ws/user/update` — the caller's profile.
    pub async fn update_profile(&self, update: &ProfileUpdate) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/user/update",
                &[],
                to_body("profile", update)?,
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `POST /rest/ws/user/update` with `Of-User-Id` — another user's profile (a customer's,
    /// edited by an agent; the platform refuses it for plain users).
    pub async fn update_profile_of(&self, user_id: &str, update: &ProfileUpdate) -> Result<()> {
        if user_id == self.session.user_id {
            return self.update_profile(update).await;
        }
        let text = self
            .call_as(
                Some(user_id),
                Method::POST,
                crate::http::Host::Chat,
                "/rest/ws/user/update",
                &[],
                to_body("profile", update)?,
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET /rest/ws/user/update/password?oldPassword=&newPassword=`. A wrong old password
    /// answers [`ClientError::Unauthorized`] (the platform's AL-UN-01).
    pub async fn update_password(&self, old: &Secret, new: &Secret) -> Result<()> {
        if new.expose().is_empty() {
            return Err(ClientError::Invalid("the new password is empty".into()));
        }
        // The platform wants the passwords in the query string; a transport error's text
        // can quote the URL, so it is scrubbed before it can reach a log or the UI.
        let text = self
            .chat(
                Method::GET,
                "/rest/ws/user/update/password",
                &[
                    ("oldPassword", old.expose().to_owned()),
                    ("newPassword", new.expose().to_owned()),
                ],
                Body::None,
                false,
            )
            .await
            .map_err(|e| scrub(e, &[old, new]))?;
        expect_done(&text)
    }

    /// `GET /rest/ws/user/block?userId=`.
    pub async fn block_user(&self, user_id: &str) -> Result<()> {
        self.chat_get_done("/rest/ws/user/block", &[("userId", user_id.to_owned())])
            .await
    }

    /// `GET /rest/ws/user/unblock?userId=`.
    pub async fn unblock_user(&self, user_id: &str) -> Result<()> {
        self.chat_get_done("/rest/ws/user/unblock", &[("userId", user_id.to_owned())])
            .await
    }

    /// `GET /rest/ws/user/blocked/sync?lastSyncTime=` — block changes since the cursor; the
    /// next cursor is the returned `generatedAt`.
    pub async fn blocked_sync(&self, last_sync_time: i64) -> Result<(BlockedSync, i64)> {
        self.get_api(
            Host::Chat,
            "/rest/ws/user/blocked/sync",
            &[("lastSyncTime", last_sync_time.to_string())],
        )
        .await
    }

    /// `POST /rest/ws/user/chat/mute?userId=&notificationAfterTime=` — mute a 1:1 chat until
    /// the time (ms; 0 unmutes).
    pub async fn mute_user_until(&self, user_id: &str, until_ms: i64) -> Result<()> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/user/chat/mute",
                &[
                    ("userId", user_id.to_owned()),
                    ("notificationAfterTime", until_ms.to_string()),
                ],
                Body::None,
                true,
            )
            .await?;
        expect_done(&text)
    }

    /// `GET /rest/ws/user/chat/mute/list`.
    pub async fn muted_users(&self) -> Result<Vec<MutedUser>> {
        self.chat_get("/rest/ws/user/chat/mute/list", &[]).await
    }

    /// `GET /rest/ws/user/v3/filter` — users, newest first, a page at a time.
    pub async fn user_filter(&self, filter: &UserFilter) -> Result<UserPage> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(n) = filter.page_size {
            q.push(("pageSize", n.to_string()));
        }
        if let Some(t) = filter.start_time {
            q.push(("startTime", t.to_string()));
        }
        if let Some(r) = &filter.role {
            q.push(("role", r.clone()));
        }
        if let Some(u) = &filter.user_id {
            q.push(("userId", u.clone()));
        }
        self.chat_get("/rest/ws/user/v3/filter", &q).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_password_errors_never_quote_the_passwords() {
        let old = Secret::new("old pass&1");
        let new = Secret::new("n3w/pass");
        let e = ClientError::Network {
            host: "h".into(),
            detail: "error sending request for url \
                     (http://h/rest/ws/user/update/password?oldPassword=old+pass%261&newPassword=n3w%2Fpass)"
                .into(),
        };
        let text = scrub(e, &[&old, &new]).to_string();
        assert!(
            !text.contains("old+pass") && !text.contains("n3w"),
            "{text}"
        );
        let e = ClientError::Http {
            status: 500,
            body: "old pass&1 / old%20pass%261".into(),
        };
        let text = scrub(e, &[&old, &new]).to_string();
        assert!(!text.contains("old"), "{text}");
    }
}
