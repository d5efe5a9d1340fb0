//! The platform's JSON, as the official SDKs send and parse it (protocol reference §4–§6).
//!
//! Decoding is lenient where the platform is loose (numbers sent as strings, `null` for empty
//! lists, metadata values that are not strings) and strict nowhere else: unknown fields are
//! ignored, missing ones take defaults. Nothing here panics on any input.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Metadata maps: the platform documents `map<string,string>`, but numbers, booleans and
/// nested JSON occur in the wild. Non-strings are kept as their JSON text.
pub type Metadata = BTreeMap<String, String>;

pub fn de_metadata<'de, D: Deserializer<'de>>(d: D) -> Result<Metadata, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    let mut out = Metadata::new();
    if let Some(Value::Object(map)) = v {
        for (k, v) in map {
            let s = match v {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            out.insert(k, s);
        }
    }
    Ok(out)
}

/// An integer that may arrive as a number, a numeric string, `""` or `null` (→ 0).
pub fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Bool(b)) => i64::from(b),
        _ => 0,
    })
}

/// Like [`de_i64`] but `None` when absent, null or unparsable.
pub fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string that may arrive as a number (group ids in `clientGroupId`, keys).
pub fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A list that may be `null`.
pub fn de_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A boolean that may arrive as `true`, `"true"`, `1`.
pub fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    })
}

/// `FileMeta` (protocol §4.7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FileMeta {
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub blob_key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub thumbnail_blob_key: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub name: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub size: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub content_type: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub thumbnail_url: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub created_at_time: i64,
}

/// A message as the platform sends it (protocol §5.1). Only the fields Parley uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WireMessage {
    #[serde(deserialize_with = "de_opt_string")]
    pub key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<i64>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_group_id: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub contact_ids: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub content_type: i64,
    #[serde(rename = "type", deserialize_with = "de_i64")]
    pub kind: i64,
    #[serde(deserialize_with = "de_i64")]
    pub status: i64,
    #[serde(deserialize_with = "de_i64")]
    pub source: i64,
    #[serde(deserialize_with = "de_i64")]
    pub created_at_time: i64,
    #[serde(deserialize_with = "de_metadata")]
    pub metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_meta: Option<FileMeta>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub paired_message_key: Option<String>,
    #[serde(
        deserialize_with = "de_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub conversation_id: Option<i64>,
    #[serde(deserialize_with = "de_bool")]
    pub delivered: bool,
    #[serde(deserialize_with = "de_bool")]
    pub read: bool,
}

/// `groupUsers[]` of a ChannelFeed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupUser {
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub role: i64,
    #[serde(deserialize_with = "de_i64")]
    pub status: i64,
    #[serde(deserialize_with = "de_i64")]
    pub unread_count: i64,
    #[serde(deserialize_with = "de_bool")]
    pub deleted: bool,
}

/// A group / conversation as the platform sends it (`ChannelFeed`, protocol §5.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChannelFeed {
    #[serde(deserialize_with = "de_i64")]
    pub id: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub client_group_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub admin_id: Option<String>,
    #[serde(rename = "type", deserialize_with = "de_i64")]
    pub kind: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub image_url: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub unread_count: i64,
    #[serde(deserialize_with = "de_i64")]
    pub user_count: i64,
    #[serde(deserialize_with = "de_vec")]
    pub members_id: Vec<String>,
    #[serde(deserialize_with = "de_vec")]
    pub group_users: Vec<GroupUser>,
    #[serde(deserialize_with = "de_vec")]
    pub users: Vec<UserDetail>,
    #[serde(deserialize_with = "de_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "de_opt_i64")]
    pub notification_after_time: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub deleted_at_time: Option<i64>,
    #[serde(deserialize_with = "de_i64")]
    pub created_at_time: i64,
}

/// `UserDetail` (protocol §4.6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserDetail {
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub display_name: Option<String>,
    #[serde(deserialize_with = "de_bool")]
    pub connected: bool,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_seen_at_time: Option<i64>,
    #[serde(deserialize_with = "de_opt_string")]
    pub image_link: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub unread_count: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub phone_number: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub email: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub status_message: Option<String>,
    #[serde(deserialize_with = "de_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "de_i64")]
    pub role_type: i64,
    #[serde(deserialize_with = "de_opt_i64")]
    pub deleted_at_time: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_message_at_time: Option<i64>,
}

/// One item of `errorResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorItem {
    #[serde(deserialize_with = "de_opt_string")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub display_message: Option<String>,
}

/// `{status, generatedAt, response, errorResponse}` (protocol §4.8).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse<T> {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "de_i64")]
    pub generated_at: i64,
    #[serde(default = "none")]
    pub response: Option<T>,
    #[serde(default, deserialize_with = "de_vec")]
    pub error_response: Vec<ErrorItem>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> ApiResponse<T> {
    pub fn is_success(&self) -> bool {
        self.status.as_deref() == Some("success") && self.error_response.is_empty()
    }
}

/// `message/list`, `message/v3/list` and `group/support` bodies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationPage {
    #[serde(deserialize_with = "de_vec")]
    pub message: Vec<WireMessage>,
    #[serde(deserialize_with = "de_vec")]
    pub group_feeds: Vec<ChannelFeed>,
    #[serde(deserialize_with = "de_vec")]
    pub user_details: Vec<UserDetail>,
}

/// `message/sync` (protocol §4.4): `lastSyncTime` is the next cursor.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncMessageFeed {
    #[serde(deserialize_with = "de_i64")]
    pub last_sync_time: i64,
    #[serde(deserialize_with = "de_i64")]
    pub current_sync_time: i64,
    #[serde(deserialize_with = "de_vec")]
    pub messages: Vec<WireMessage>,
    #[serde(deserialize_with = "de_vec")]
    pub delivered_message_keys: Vec<String>,
}

/// `group/v5/list` and `v3/list`: `{status, generatedAt, response:{groupPxys:[…]}}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupSyncBody {
    #[serde(deserialize_with = "de_vec")]
    pub group_pxys: Vec<ChannelFeed>,
}

/// `message/send` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SendResponse {
    #[serde(deserialize_with = "de_opt_string")]
    pub message_key: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub created_at: i64,
    #[serde(deserialize_with = "de_opt_i64")]
    pub conversation_id: Option<i64>,
}

/// `register/client` answer and `loginv2`'s `result.applozicUser` (protocol §4.3).
/// `auth_token` and `device_key` are secrets: they move into `Secret`s straight away.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationResponse {
    #[serde(deserialize_with = "de_opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub device_key: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub user_key: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub display_name: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub last_sync_time: i64,
    #[serde(deserialize_with = "de_i64")]
    pub current_time_stamp: i64,
    #[serde(deserialize_with = "de_opt_string")]
    pub broker_url: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub image_link: Option<String>,
    #[serde(deserialize_with = "de_opt_string")]
    pub auth_token: Option<String>,
    #[serde(deserialize_with = "de_i64")]
    pub role_type: i64,
}

impl std::fmt::Debug for RegistrationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationResponse")
            .field("message", &self.message)
            .field("user_id", &self.user_id)
            .field("user_key", &self.user_key)
            .field("device_key", &self.device_key.as_ref().map(|_| "***"))
            .field("auth_token", &self.auth_token.as_ref().map(|_| "***"))
            .field("broker_url", &self.broker_url)
            .finish_non_exhaustive()
    }
}

impl RegistrationResponse {
    /// `REGISTERED`, `UPDATED` and `REGISTERED.WITHOUTREGISTRATIONID` mean success.
    pub fn is_success(&self) -> bool {
        matches!(
            self.message.as_deref(),
            Some("REGISTERED" | "UPDATED" | "REGISTERED.WITHOUTREGISTRATIONID")
        )
    }
}

/// The claims of the platform's JWT that clients read (protocol §4.3): `createdAtTime` in
/// ms and `validUpto` in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwtClaims {
    pub created_at_ms: i64,
    pub valid_upto_min: i64,
}

impl JwtClaims {
    /// Decode the payload (middle part) of a JWT without checking its signature: the client
    /// only needs to know when to refresh.
    pub fn parse(token: &str) -> Option<Self> {
        use base64::Engine;
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            #[serde(deserialize_with = "de_i64", default)]
            created_at_time: i64,
            #[serde(deserialize_with = "de_i64", default)]
            valid_upto: i64,
        }
        let raw: Raw = serde_json::from_slice(&bytes).ok()?;
        (raw.created_at_time > 0 && raw.valid_upto > 0).then_some(Self {
            created_at_ms: raw.created_at_time,
            valid_upto_min: raw.valid_upto,
        })
    }

    pub fn expires_at_ms(&self) -> i64 {
        self.created_at_ms
            .saturating_add(self.valid_upto_min.saturating_mul(60_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_fixture_group_feed_decodes() {
        // Verbatim fixture from the protocol reference §3.5.
        let json = r#"{"status":"success","generatedAt":1536076407406,"response":[{"id":9229677,"clientGroupId":"9229677","name":"Hey Group","adminId":"reytum6","memberUserKeys":["059bc953-2689-465a-b9b4-cc27c197a739","5319d80e-a269-4582-b86b-63f81d2145b0"],"membersId":["reytum7","reytum6"],"removedMembersId":["reytum9"],"unreadCount":0,"type":2,"imageUrl":"https://www.applozic.com/favicon.ico","createdAtTime":1527612484476,"userCount":2,"groupUsers":[{"userId":"reytum6","status":0,"unreadCount":0,"role":1,"deleted":false},{"userId":"reytum7","status":0,"unreadCount":0,"role":3,"deleted":false}],"childKeys":[],"childClientGroupIds":[],"metadata":{"key1":"value1","key2":"value2"}}]}"#;
        let r: ApiResponse<Vec<ChannelFeed>> = serde_json::from_str(json).unwrap();
        assert!(r.is_success());
        let g = &r.response.unwrap()[0];
        assert_eq!(g.id, 9_229_677);
        assert_eq!(g.kind, 2);
        assert_eq!(g.group_users[1].role, 3);
        assert_eq!(g.metadata["key2"], "value2");
    }

    #[test]
    fn test_fixture_error_envelope_decodes() {
        let json = r#"{"status":"error","errorResponse":[{"errorCode":"AL-U-01","description":"user already exist","displayMessage":"unable to process"}],"generatedAt":1536759151819}"#;
        let r: ApiResponse<Value> = serde_json::from_str(json).unwrap();
        assert!(!r.is_success());
        assert_eq!(r.error_response[0].error_code.as_deref(), Some("AL-U-01"));
    }

    #[test]
    fn test_fixture_attachment_message_with_empty_created_at_decodes() {
        let json = r#"{"attDownloadInProgress":false,"canceled":false,"clientGroupId":"12711281","connected":false,"contentType":1,"createdAtTime":"","delivered":false,"fileMeta":{"blobKey":"AMIfv9","contentType":"image/jpeg","name":"20181022.jpg","size":104639,"thumbnailUrl":"https://x/t"},"groupId":12711281,"hidden":false,"key":"5-12711281-1540200629140","message":"","id":416,"metadata":{},"read":true,"source":2,"status":1,"type":5}"#;
        let m: WireMessage = serde_json::from_str(json).unwrap();
        assert_eq!(m.created_at_time, 0);
        assert_eq!(m.group_id, Some(12_711_281));
        assert_eq!(m.file_meta.unwrap().size, 104_639);
        assert!(m.read);
    }

    #[test]
    fn test_loose_types_are_accepted() {
        let json = r#"{"key":123,"groupId":"77","type":"4","metadata":{"n":1,"b":true,"o":{"a":1},"z":null},"createdAtTime":1.7e12}"#;
        let m: WireMessage = serde_json::from_str(json).unwrap();
        assert_eq!(m.key.as_deref(), Some("123"));
        assert_eq!(m.group_id, Some(77));
        assert_eq!(m.kind, 4);
        assert_eq!(m.metadata["n"], "1");
        assert_eq!(m.metadata["b"], "true");
        assert_eq!(m.metadata["o"], r#"{"a":1}"#);
        assert!(!m.metadata.contains_key("z"));
        assert_eq!(m.created_at_time, 1_700_000_000_000);
    }

    #[test]
    fn test_jwt_claims_give_expiry() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"createdAtTime":1000,"validUpto":2}"#);
        let token = format!("h.{payload}.s");
        let c = JwtClaims::parse(&token).unwrap();
        assert_eq!(c.expires_at_ms(), 1000 + 120_000);
        assert!(JwtClaims::parse("garbage").is_none());
        assert!(JwtClaims::parse("a.b.c").is_none());
    }

    #[test]
    fn test_registration_debug_hides_secrets() {
        let r = RegistrationResponse {
            device_key: Some("dk-secret".into()),
            auth_token: Some("jwt-secret".into()),
            ..Default::default()
        };
        let s = format!("{r:?}");
        assert!(!s.contains("dk-secret") && !s.contains("jwt-secret"));
    }
}
