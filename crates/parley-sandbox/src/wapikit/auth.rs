//! WapiKit API keys: HS256 JWTs with `unique_id` (the user), `email`, `organization_id`,
//! `username`, `name`, `role`, `exp` and `iss: "wapikit"`, signed with the server's secret.
//! `x-access-token: <key>` authenticates; the key's user must exist, be Active and still be a
//! member of the key's organisation. Then the route's rate limit applies.

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::error::WkError;
use crate::state::SharedState;

/// The claims of an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyClaims {
    pub unique_id: String,
    pub username: String,
    pub email: String,
    pub role: String,
    pub organization_id: String,
    pub name: String,
    /// Unix seconds.
    pub exp: i64,
    pub iss: String,
}

pub struct KeySigner {
    key: hmac::Key,
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySigner(..)")
    }
}

impl KeySigner {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    pub fn sign(&self, claims: &KeyClaims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{payload}");
        let tag = hmac::sign(&self.key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The claims of a key signed here that has not expired at `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Option<KeyClaims> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        hmac::verify(&self.key, format!("{h}.{p}").as_bytes(), &sig).ok()?;
        let claims: KeyClaims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
        (claims.exp > now_secs && !claims.email.is_empty() && !claims.unique_id.is_empty())
            .then_some(claims)
    }
}

/// An authenticated WapiKit API caller.
#[derive(Debug, Clone)]
pub struct WkCaller {
    pub user_id: String,
    pub member_id: String,
    pub org_id: String,
    pub email: String,
}

pub fn now_secs() -> i64 {
    crate::clock::wall_ms().div_euclid(1000)
}

/// The caller a key stands for, or `None` (401).
pub async fn caller_of_key(
    state: &SharedState,
    token: &str,
) -> Result<Option<WkCaller>, sqlx::Error> {
    let Some(signer) = state.wapikit.keys.get() else {
        return Ok(None);
    };
    let Some(claims) = signer.verify(token, now_secs()) else {
        return Ok(None);
    };
    member_of(
        &state.db,
        &claims.unique_id,
        &claims.email,
        &claims.organization_id,
    )
    .await
}

async fn member_of(
    db: &SqlitePool,
    user_id: &str,
    email: &str,
    org_id: &str,
) -> Result<Option<WkCaller>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT m.id FROM wapikit_users u JOIN wapikit_members m ON m.user_id = u.id \
         WHERE u.id = ? AND u.email = ? AND u.status = 'Active' AND m.org_id = ?",
    )
    .bind(user_id)
    .bind(email)
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(member_id,)| WkCaller {
        user_id: user_id.to_owned(),
        member_id,
        org_id: org_id.to_owned(),
        email: email.to_owned(),
    }))
}

impl FromRequestParts<SharedState> for WkCaller {
    type Rejection = WkError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        // Only `x-access-token`: the docs' `x-access-key` is not what the server reads.
        let token = parts
            .headers
            .get("x-access-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(WkError::unauthorized)?;
        let caller = caller_of_key(state, token)
            .await?
            .ok_or_else(WkError::unauthorized)?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let key = format!("{}|{} {route}", caller.user_id, parts.method);
        if let Err(wait) = state.wapikit.limiter.take(&key) {
            let secs = crate::dixa::limiter::retry_after_secs(wait);
            return Err(WkError::too_many_requests(
                state.wapikit.limiter.limit(),
                secs,
                now_secs() + secs as i64,
            ));
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> KeyClaims {
        KeyClaims {
            unique_id: "u".into(),
            username: "u".into(),
            email: "u@x.test".into(),
            role: "Member".into(),
            organization_id: "o".into(),
            name: "U".into(),
            exp,
            iss: "wapikit".into(),
        }
    }

    #[test]
    fn test_keys_verify_only_when_signed_here_and_unexpired() {
        let s = KeySigner::new(b"one");
        let key = s.sign(&claims(100));
        assert_eq!(s.verify(&key, 99), Some(claims(100)));
        assert_eq!(s.verify(&key, 100), None, "expired");
        assert_eq!(KeySigner::new(b"two").verify(&key, 0), None, "other secret");
        assert_eq!(s.verify("a.b.c", 0), None);
        assert_eq!(s.verify("", 0), None);
    }
}
