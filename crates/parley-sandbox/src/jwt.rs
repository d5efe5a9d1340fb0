//! HS256 JSON Web Tokens as the platform issues them: the claims carry `createdAtTime` (ms)
//! and `validUpto` (minutes); a token is valid while `(now - createdAtTime)/60000 < validUpto`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::clock::wall_ms;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub user_id: String,
    pub application_id: String,
    pub created_at_time: i64,
    pub valid_upto: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    #[serde(default)]
    pub role_type: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

pub struct JwtKeys {
    key: hmac::Key,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        // Serialising a struct of strings and integers cannot fail.
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let signing_input = format!("{header}.{payload}");
        let tag = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Checks the signature and the expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        self.verify_at(token, wall_ms())
    }

    pub fn verify_at(&self, token: &str, now_ms: i64) -> Result<Claims, JwtError> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| JwtError::Malformed)?;
        let signing_input_len = header.len() + 1 + payload.len();
        let signing_input = token.get(..signing_input_len).ok_or(JwtError::Malformed)?;
        hmac::verify(&self.key, signing_input.as_bytes(), &sig)
            .map_err(|_| JwtError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| JwtError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| JwtError::Malformed)?;
        let age_minutes = (now_ms - claims.created_at_time) / 60_000;
        if now_ms < claims.created_at_time || age_minutes >= claims.valid_upto {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(created: i64, valid: i64) -> Claims {
        Claims {
            user_id: "u1".into(),
            application_id: "app".into(),
            created_at_time: created,
            valid_upto: valid,
            device_key: None,
            role_type: 3,
        }
    }

    #[test]
    fn test_jwt_round_trips() {
        let keys = JwtKeys::new(b"secret");
        let now = wall_ms();
        let token = keys.sign(&claims(now, 10));
        assert_eq!(keys.verify_at(&token, now).unwrap(), claims(now, 10));
    }

    #[test]
    fn test_jwt_expires_after_valid_upto_minutes() {
        let keys = JwtKeys::new(b"secret");
        let token = keys.sign(&claims(0, 10));
        assert!(keys.verify_at(&token, 9 * 60_000 + 59_999).is_ok());
        assert_eq!(keys.verify_at(&token, 10 * 60_000), Err(JwtError::Expired));
    }

    #[test]
    fn test_jwt_rejects_other_keys_and_garbage() {
        let keys = JwtKeys::new(b"secret");
        let other = JwtKeys::new(b"other");
        let token = other.sign(&claims(wall_ms(), 10));
        assert_eq!(keys.verify(&token), Err(JwtError::BadSignature));
        assert_eq!(keys.verify("a.b"), Err(JwtError::Malformed));
        assert_eq!(keys.verify("é.é.é"), Err(JwtError::Malformed));
    }
}
