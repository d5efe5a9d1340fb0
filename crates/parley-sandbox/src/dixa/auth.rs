//! Dixa authentication: `Authorization: <API token>` or `Authorization: Bearer <API token>`
//! (the docs show both), then the token's rate limit. A missing or unknown token is a 401 and
//! costs nothing; every authenticated request takes one from the token's bucket.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::DixaError;
use super::limiter::retry_after_secs;
use crate::state::SharedState;

/// An authenticated Dixa API caller.
#[derive(Debug, Clone)]
pub struct DixaCaller {
    /// The agent who created the token (`requestedBy`).
    pub agent_id: String,
}

/// The token in an `Authorization` value: `Bearer <t>` (any case) or the bare token.
pub fn token_of(value: &str) -> Option<&str> {
    let v = value.trim();
    let token = match v.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => v,
    };
    (!token.is_empty() && !token.contains(char::is_whitespace)).then_some(token)
}

impl FromRequestParts<SharedState> for DixaCaller {
    type Rejection = DixaError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(AUTHORIZATION) else {
            return Err(DixaError::unauthorized("Missing Authorization header"));
        };
        let token = raw
            .to_str()
            .ok()
            .and_then(token_of)
            .ok_or_else(|| DixaError::unauthorized("Malformed Authorization header"))?;
        let row: Option<(String,)> =
            sqlx::query_as("SELECT agent_id FROM dixa_tokens WHERE token = ?")
                .bind(token)
                .fetch_optional(&state.db)
                .await?;
        let Some((agent_id,)) = row else {
            return Err(DixaError::unauthorized("Invalid API token"));
        };
        if let Err(wait) = state.dixa_limiter.take(token) {
            return Err(DixaError::too_many_requests(retry_after_secs(wait)));
        }
        Ok(Self { agent_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_bearer_and_raw_tokens_are_both_accepted() {
        assert_eq!(token_of("Bearer abc"), Some("abc"));
        assert_eq!(token_of("bearer  abc "), Some("abc"));
        assert_eq!(token_of("abc"), Some("abc"));
        assert_eq!(token_of("Bearer"), Some("Bearer"));
        assert_eq!(token_of("Bearer "), Some("Bearer"));
        assert_eq!(token_of(""), None);
        assert_eq!(token_of("Basic a b"), None);
    }
}
