//! Authentication the way the platform does it.
//!
//! * `X-Authorization: <JWT>` (+ `Application-Key`): the user in the token; it expires.
//! * `Authorization: Basic base64(userId:deviceKey)` + `Application-Key` (+ `Access-Token`
//!   when the user has a password).
//! * Application bot: `Authorization: Basic base64(botUserId:password)` + `Application-Key`,
//!   acting as `Of-User-Id` where given.
//! * Server API: `Api-Key: <key>`, acting as `Of-User-Id` (or as the application bot).
//! * Agent dashboard calls: `Authorization: <dashboard JWT>` (optionally `Bearer `).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore as _;
use ring::digest;

use crate::error::{ApiError, ApiResult};
use crate::jwt::JwtError;
use crate::model::{self, UserRow};
use crate::state::SharedState;

/// Who is calling, and as whom.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The effective user (the `Of-User-Id` user for bots and the server API).
    pub user: UserRow,
    /// The authenticated principal's user id.
    pub principal: String,
    pub device_key: Option<String>,
    /// Application bot, application admin or `Api-Key`: may act for anyone.
    pub privileged: bool,
}

impl Caller {
    pub fn user_id(&self) -> &str {
        &self.user.user_id
    }

    /// Agents, bots and the server API see every support conversation of the application.
    pub fn sees_all_support(&self) -> bool {
        self.privileged || self.user.is_agent_like()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `sha256$<salt>$<digest>`.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    hash_with_salt(password, &salt)
}

fn hash_with_salt(password: &str, salt: &[u8]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(salt);
    ctx.update(password.as_bytes());
    let d = ctx.finish();
    format!(
        "sha256${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(d.as_ref())
    )
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("sha256"), Some(salt), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(salt) = STANDARD.decode(salt) else {
        return false;
    };
    hash_with_salt(password, &salt) == stored
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(&parts.headers, state).await
    }
}

async fn act_as(
    state: &SharedState,
    headers: &HeaderMap,
    principal: UserRow,
    device_key: Option<String>,
    privileged: bool,
) -> ApiResult<Caller> {
    let may_act = privileged || principal.is_agent_like();
    let principal_id = principal.user_id.clone();
    let user = match header(headers, "Of-User-Id") {
        Some(of) if may_act && of != principal.user_id => {
            // Android URL-encodes the header; the server API examples send it raw.
            match model::find_user(&state.db, of).await? {
                Some(user) => user,
                None => model::require_user(&state.db, &decode_component(of)).await?,
            }
        }
        Some(of) if !may_act && of != principal.user_id => return Err(ApiError::forbidden()),
        _ => principal,
    };
    Ok(Caller {
        user,
        principal: principal_id,
        device_key,
        privileged,
    })
}

/// The Android SDK URL-encodes `Of-User-Id`.
fn decode_component(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| raw.to_owned())
}

fn check_app_key(state: &SharedState, headers: &HeaderMap, required: bool) -> ApiResult<()> {
    let key = header(headers, "Application-Key").or_else(|| header(headers, "Apz-AppId"));
    match key {
        Some(k) if k == state.app.application_id => Ok(()),
        Some(_) => Err(ApiError::unauthorized("invalid application key")),
        None if required => Err(ApiError::unauthorized("Application-Key header is required")),
        None => Ok(()),
    }
}

async fn user_from_jwt(state: &SharedState, token: &str) -> ApiResult<(UserRow, Option<String>)> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let claims = state.jwt.verify(token).map_err(|e| match e {
        JwtError::Expired => ApiError::unauthorized("token expired"),
        JwtError::Malformed | JwtError::BadSignature => ApiError::unauthorized("invalid token"),
    })?;
    if claims.application_id != state.app.application_id {
        return Err(ApiError::unauthorized("token of another application"));
    }
    let user = model::find_user(&state.db, &claims.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown user"))?;
    if user.deactivated != 0 {
        return Err(ApiError::unauthorized("user deactivated"));
    }
    Ok((user, claims.device_key))
}

pub async fn authenticate(headers: &HeaderMap, state: &SharedState) -> ApiResult<Caller> {
    // Server API.
    if let Some(api_key) = header(headers, "Api-Key") {
        if api_key != state.app.api_key {
            return Err(ApiError::unauthorized("invalid api key"));
        }
        let bot = model::require_user(&state.db, &state.app.bot_user_id).await?;
        return act_as(state, headers, bot, None, true).await;
    }

    if let Some(token) = header(headers, "X-Authorization") {
        check_app_key(state, headers, false)?;
        let (user, claim_device) = user_from_jwt(state, token).await?;
        let device = header(headers, "Device-Key")
            .map(str::to_owned)
            .or(claim_device);
        let privileged = user.is_privileged();
        return act_as(state, headers, user, device, privileged).await;
    }

    let Some(authorization) = header(headers, "Authorization") else {
        return Err(ApiError::unauthorized("authentication required"));
    };

    let Some(basic) = authorization.strip_prefix("Basic ") else {
        // Kommunicate dashboard token.
        let (user, device) = user_from_jwt(state, authorization).await?;
        let privileged = user.is_privileged();
        return act_as(state, headers, user, device, privileged).await;
    };

    check_app_key(state, headers, true)?;
    let decoded = STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::unauthorized("malformed Authorization header"))?;
    let Some((user_id, secret)) = decoded.split_once(':') else {
        return Err(ApiError::unauthorized("malformed Authorization header"));
    };
    let user = model::find_user(&state.db, user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown user"))?;
    if user.deactivated != 0 {
        return Err(ApiError::unauthorized("user deactivated"));
    }

    // userId:deviceKey
    let device: Option<(String,)> = sqlx::query_as(
        "SELECT device_key FROM devices WHERE device_key = ? AND user_id = ? \
         AND logged_out_at IS NULL",
    )
    .bind(secret)
    .bind(&user.user_id)
    .fetch_optional(&state.db)
    .await?;
    if let Some((device_key,)) = device {
        if let Some(hash) = &user.password_hash {
            let ok = header(headers, "Access-Token").is_some_and(|t| verify_password(t, hash));
            if !ok {
                return Err(ApiError::unauthorized("invalid Access-Token"));
            }
        }
        return act_as(state, headers, user, Some(device_key), false).await;
    }

    // Application bot: botUserId:password.
    if user.is_privileged() {
        if let Some(hash) = &user.password_hash {
            if verify_password(secret, hash) {
                return act_as(state, headers, user, None, true).await;
            }
        }
    }
    Err(ApiError::unauthorized("invalid credentials"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_password_hash_verifies_only_the_same_password() {
        let h = hash_password("s3cret");
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("s3cret ", &h));
        assert!(!verify_password("s3cret", "garbage"));
    }

    #[test]
    fn test_of_user_id_is_url_decoded() {
        assert_eq!(decode_component("a%2Bb%40x.com"), "a+b@x.com");
    }
}
