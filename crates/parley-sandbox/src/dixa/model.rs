//! Dixa end users, custom attributes and conversations: rows as stored, their JSON as the API
//! answers it, the request bodies, and the validation the API applies.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::time::iso;

/// The longest text field accepted.
pub const MAX_TEXT: usize = 255;
/// The most additional emails / phone numbers / middle names.
pub const MAX_LIST: usize = 20;
/// The most rows in one bulk request.
pub const MAX_BULK: usize = 500;
/// Shown instead of the name of an anonymized end user.
pub const ANONYMIZED_NAME: &str = "Anonymized user";

#[derive(Debug, Clone, FromRow)]
pub struct EndUserRow {
    pub seq: i64,
    pub id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub additional_emails: String,
    pub additional_phone_numbers: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_names: String,
    pub avatar_url: Option<String>,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub anonymized_at: Option<i64>,
}

pub const END_USER_COLUMNS: &str = "seq, id, display_name, email, phone_number, \
    additional_emails, additional_phone_numbers, first_name, last_name, middle_names, \
    avatar_url, external_id, created_at, updated_at, anonymized_at";

fn list_of(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

/// An end user's editable fields, normalised (trimmed; blank = absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndUserFields {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub additional_emails: Vec<String>,
    pub additional_phone_numbers: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_names: Vec<String>,
    pub avatar_url: Option<String>,
    pub external_id: Option<String>,
}

impl EndUserRow {
    pub fn fields(&self) -> EndUserFields {
        EndUserFields {
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            phone_number: self.phone_number.clone(),
            additional_emails: list_of(&self.additional_emails),
            additional_phone_numbers: list_of(&self.additional_phone_numbers),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            middle_names: list_of(&self.middle_names),
            avatar_url: self.avatar_url.clone(),
            external_id: self.external_id.clone(),
        }
    }

    /// The `EndUser` JSON. Absent optional fields are left out, lists are always there.
    /// `avatarUrl` is stored but, as in the documented responses, not answered.
    pub fn to_json(&self, attributes: &[Value]) -> Value {
        let f = self.fields();
        let mut v = Map::new();
        v.insert("id".into(), json!(self.id));
        v.insert("createdAt".into(), json!(iso(self.created_at)));
        let mut opt = |k: &str, val: &Option<String>| {
            if let Some(s) = val {
                v.insert(k.into(), json!(s));
            }
        };
        opt("displayName", &f.display_name);
        opt("email", &f.email);
        opt("phoneNumber", &f.phone_number);
        opt("firstName", &f.first_name);
        opt("lastName", &f.last_name);
        opt("externalId", &f.external_id);
        v.insert("additionalEmails".into(), json!(f.additional_emails));
        v.insert(
            "additionalPhoneNumbers".into(),
            json!(f.additional_phone_numbers),
        );
        v.insert("middleNames".into(), json!(f.middle_names));
        v.insert("customAttributes".into(), Value::Array(attributes.to_vec()));
        if let Some(t) = self.anonymized_at {
            v.insert("anonymizedAt".into(), json!(iso(t)));
        }
        Value::Object(v)
    }
}

pub async fn find_end_user(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<EndUserRow>, sqlx::Error> {
    let sql = format!("SELECT {END_USER_COLUMNS} FROM dixa_end_users WHERE id = ?");
    sqlx::query_as::<_, EndUserRow>(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A custom attribute definition.
#[derive(Debug, Clone, FromRow)]
pub struct AttributeDef {
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub input_type: String,
    pub options: String,
}

impl AttributeDef {
    pub fn is_select(&self) -> bool {
        self.input_type == "Select"
    }

    pub fn options(&self) -> Vec<String> {
        list_of(&self.options)
    }

    pub fn to_json(&self, value: Value) -> Value {
        json!({"id": self.id, "name": self.name, "identifier": self.identifier, "value": value})
    }
}

pub async fn attribute_defs(conn: &mut SqliteConnection) -> Result<Vec<AttributeDef>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, identifier, input_type, options FROM dixa_custom_attributes ORDER BY name, id",
    )
    .fetch_all(conn)
    .await
}

/// The custom attributes (with values) of each of `user_ids`, in definition name order.
pub async fn attributes_of(
    conn: &mut SqliteConnection,
    user_ids: &[String],
) -> Result<HashMap<String, Vec<Value>>, sqlx::Error> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(out);
    }
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
        "SELECT v.user_id, a.id, a.name, a.identifier, v.value FROM dixa_end_user_attributes v \
         JOIN dixa_custom_attributes a ON a.id = v.attribute_id WHERE v.user_id IN (",
    );
    let mut sep = qb.separated(", ");
    for id in user_ids {
        sep.push_bind(id.clone());
    }
    sep.push_unseparated(") ORDER BY a.name, a.id");
    let rows: Vec<(String, String, String, String, String)> =
        qb.build_query_as().fetch_all(conn).await?;
    for (user, id, name, identifier, value) in rows {
        let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
        out.entry(user)
            .or_default()
            .push(json!({"id": id, "name": name, "identifier": identifier, "value": value}));
    }
    Ok(out)
}

/// End users as JSON, with their custom attributes.
pub async fn end_users_json(
    conn: &mut SqliteConnection,
    rows: &[EndUserRow],
) -> Result<Vec<Value>, sqlx::Error> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let attrs = attributes_of(conn, &ids).await?;
    Ok(rows
        .iter()
        .map(|r| r.to_json(attrs.get(&r.id).map(Vec::as_slice).unwrap_or(&[])))
        .collect())
}

#[derive(Debug, Clone, FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub requester_id: String,
    pub channel: String,
    pub direction: Option<String>,
    pub state: String,
    pub state_updated_at: i64,
    pub created_at: i64,
    pub agent_id: Option<String>,
    pub assigned_at: Option<i64>,
    pub queue_id: Option<String>,
    pub queued_at: Option<i64>,
    pub language: Option<String>,
    pub browser_info: Option<String>,
    pub link_parent_id: Option<i64>,
    pub anonymized_at: Option<i64>,
}

pub const CONVERSATION_COLUMNS: &str = "id, requester_id, channel, direction, state, \
    state_updated_at, created_at, agent_id, assigned_at, queue_id, queued_at, language, \
    browser_info, link_parent_id, anonymized_at";

/// The conversation `_type` of a channel (inferred: the docs show `ChatConversation` for
/// `WidgetChat`).
pub fn conversation_type(channel: &str) -> &'static str {
    match channel {
        "WidgetChat" => "ChatConversation",
        "Email" => "EmailConversation",
        "ContactForm" => "ContactFormConversation",
        "PstnPhone" | "Callback" | "Voicemail" => "PstnPhoneConversation",
        "Sms" => "SmsConversation",
        "WhatsApp" => "WhatsAppConversation",
        "FacebookMessenger" | "Messenger" => "MessengerConversation",
        "Twitter" => "TwitterConversation",
        _ => "GenericConversation",
    }
}

impl ConversationRow {
    pub fn to_json(&self) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), json!(self.id));
        v.insert("requesterId".into(), json!(self.requester_id));
        v.insert("channel".into(), json!(self.channel));
        v.insert("createdAt".into(), json!(iso(self.created_at)));
        if let Some(d) = &self.direction {
            v.insert("direction".into(), json!(d));
        }
        v.insert("state".into(), json!(self.state));
        v.insert("stateUpdatedAt".into(), json!(iso(self.state_updated_at)));
        if let (Some(agent), Some(at)) = (&self.agent_id, self.assigned_at) {
            v.insert(
                "assignment".into(),
                json!({"agentId": agent, "assignedAt": iso(at)}),
            );
        }
        if let (Some(queue), Some(at)) = (&self.queue_id, self.queued_at) {
            v.insert("queue".into(), json!({"id": queue, "queuedAt": iso(at)}));
        }
        if let Some(info) = self
            .browser_info
            .as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        {
            v.insert("browserInfo".into(), info);
        }
        if let Some(lang) = &self.language {
            v.insert("language".into(), json!(lang));
        }
        if let Some(parent) = self.link_parent_id {
            v.insert(
                "link".into(),
                json!({"parentId": parent, "_type": "SideConversation"}),
            );
        }
        if let Some(t) = self.anonymized_at {
            v.insert("anonymizedAt".into(), json!(iso(t)));
        }
        v.insert("_type".into(), json!(conversation_type(&self.channel)));
        Value::Object(v)
    }
}

// ---- request bodies -----------------------------------------------------------------------

/// `Some(value)` whenever the field is present, `null` included (`Some(None)`): for patches,
/// where an absent field is left alone and `null` clears it.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `CreateEndUserInput`, and `UpdateEndUserInput` (where `displayName` is required).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndUserInput {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub additional_emails: Option<Vec<String>>,
    pub additional_phone_numbers: Option<Vec<String>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_names: Option<Vec<String>>,
    pub avatar_url: Option<String>,
    pub external_id: Option<String>,
}

/// `PatchEndUserInput`: absent = unchanged, `null` = cleared.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndUserPatch {
    #[serde(default, deserialize_with = "present")]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub additional_emails: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub additional_phone_numbers: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub middle_names: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<Option<String>>,
}

/// One row of `PATCH /v1/endusers` (`BulkPatchEndUserInput`).
#[derive(Debug, Clone, Deserialize)]
pub struct BulkPatchItem {
    pub id: String,
    #[serde(flatten)]
    pub patch: EndUserPatch,
}

/// One row of `PUT /v1/endusers` (`BulkUpdateEndUserInput`).
#[derive(Debug, Clone, Deserialize)]
pub struct BulkUpdateItem {
    pub id: String,
    #[serde(flatten)]
    pub input: EndUserInput,
}

/// `{"data": [...]}`
#[derive(Debug, Clone, Deserialize)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn texts(v: Option<Vec<String>>) -> Vec<String> {
    v.unwrap_or_default()
        .into_iter()
        .filter_map(|s| text(Some(s)))
        .collect()
}

/// Phone numbers are kept as `+` and digits: spaces, dashes, dots and brackets go.
pub fn normalise_phone(raw: &str) -> String {
    let t = raw.trim();
    let mut out = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        if (c == '+' && i == 0) || !matches!(c, ' ' | '-' | '.' | '(' | ')') {
            out.push(c);
        }
    }
    out
}

fn phone(v: Option<String>) -> Option<String> {
    text(v).map(|s| normalise_phone(&s))
}

fn phones(v: Option<Vec<String>>) -> Vec<String> {
    texts(v).iter().map(|s| normalise_phone(s)).collect()
}

impl EndUserInput {
    pub fn into_fields(self) -> EndUserFields {
        EndUserFields {
            display_name: text(self.display_name),
            email: text(self.email),
            phone_number: phone(self.phone_number),
            additional_emails: texts(self.additional_emails),
            additional_phone_numbers: phones(self.additional_phone_numbers),
            first_name: text(self.first_name),
            last_name: text(self.last_name),
            middle_names: texts(self.middle_names),
            avatar_url: text(self.avatar_url),
            external_id: text(self.external_id),
        }
    }
}

impl EndUserPatch {
    pub fn apply(self, mut f: EndUserFields) -> EndUserFields {
        if let Some(v) = self.display_name {
            f.display_name = text(v);
        }
        if let Some(v) = self.email {
            f.email = text(v);
        }
        if let Some(v) = self.phone_number {
            f.phone_number = phone(v);
        }
        if let Some(v) = self.additional_emails {
            f.additional_emails = texts(v);
        }
        if let Some(v) = self.additional_phone_numbers {
            f.additional_phone_numbers = phones(v);
        }
        if let Some(v) = self.first_name {
            f.first_name = text(v);
        }
        if let Some(v) = self.last_name {
            f.last_name = text(v);
        }
        if let Some(v) = self.middle_names {
            f.middle_names = texts(v);
        }
        if let Some(v) = self.avatar_url {
            f.avatar_url = text(v);
        }
        if let Some(v) = self.external_id {
            f.external_id = text(v);
        }
        f
    }
}

// ---- validation ---------------------------------------------------------------------------

/// `local@domain.tld`, no spaces, at most 254 characters.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// A normalised phone number: an optional `+` and 6 to 15 digits (E.164 allows 15).
pub fn valid_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The validation errors of an end user's fields, in Dixa's `[errors=…]` vocabulary.
pub fn validate(f: &EndUserFields) -> Vec<&'static str> {
    let mut errors = Vec::new();
    let texts = [&f.display_name, &f.first_name, &f.last_name, &f.external_id];
    let too_long = texts
        .iter()
        .filter_map(|t| t.as_deref())
        .chain(f.middle_names.iter().map(String::as_str))
        .any(|t| t.chars().count() > MAX_TEXT || t.chars().any(char::is_control));
    if too_long {
        errors.push("InvalidText");
    }
    if f.email.as_deref().is_some_and(|e| !valid_email(e))
        || f.additional_emails.iter().any(|e| !valid_email(e))
    {
        errors.push("InvalidEmail");
    }
    if f.phone_number.as_deref().is_some_and(|p| !valid_phone(p))
        || f.additional_phone_numbers.iter().any(|p| !valid_phone(p))
    {
        errors.push("InvalidPhoneNumber");
    }
    if [
        f.additional_emails.len(),
        f.additional_phone_numbers.len(),
        f.middle_names.len(),
    ]
    .iter()
    .any(|n| *n > MAX_LIST)
    {
        errors.push("TooManyValues");
    }
    if let Some(url) = &f.avatar_url {
        let ok = url.len() <= 2048
            && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            errors.push("InvalidAvatarUrl");
        }
    }
    if f.email.is_none() && f.phone_number.is_none() && f.external_id.is_none() {
        errors.push("MissingContactDetails");
    }
    errors
}

/// `EmailExists` / `PhoneNumberExists` when another end user (not `except`) already has this
/// primary email (any case) or phone number.
pub async fn duplicates(
    conn: &mut SqliteConnection,
    f: &EndUserFields,
    except: Option<&str>,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let mut errors = Vec::new();
    let except = except.unwrap_or("");
    if let Some(email) = &f.email {
        let hit: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM dixa_end_users WHERE email = ? COLLATE NOCASE AND id <> ?",
        )
        .bind(email)
        .bind(except)
        .fetch_optional(&mut *conn)
        .await?;
        if hit.is_some() {
            errors.push("EmailExists");
        }
    }
    if let Some(phone) = &f.phone_number {
        let hit: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM dixa_end_users WHERE phone_number = ? AND id <> ?")
                .bind(phone)
                .bind(except)
                .fetch_optional(&mut *conn)
                .await?;
        if hit.is_some() {
            errors.push("PhoneNumberExists");
        }
    }
    Ok(errors)
}

pub async fn insert_end_user(
    conn: &mut SqliteConnection,
    id: &str,
    f: &EndUserFields,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dixa_end_users (id, display_name, email, phone_number, additional_emails, \
         additional_phone_numbers, first_name, last_name, middle_names, avatar_url, external_id, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(&f.display_name)
    .bind(&f.email)
    .bind(&f.phone_number)
    .bind(json!(f.additional_emails).to_string())
    .bind(json!(f.additional_phone_numbers).to_string())
    .bind(&f.first_name)
    .bind(&f.last_name)
    .bind(json!(f.middle_names).to_string())
    .bind(&f.avatar_url)
    .bind(&f.external_id)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_end_user(
    conn: &mut SqliteConnection,
    id: &str,
    f: &EndUserFields,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE dixa_end_users SET display_name = ?, email = ?, phone_number = ?, \
         additional_emails = ?, additional_phone_numbers = ?, first_name = ?, last_name = ?, \
         middle_names = ?, avatar_url = ?, external_id = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&f.display_name)
    .bind(&f.email)
    .bind(&f.phone_number)
    .bind(json!(f.additional_emails).to_string())
    .bind(json!(f.additional_phone_numbers).to_string())
    .bind(&f.first_name)
    .bind(&f.last_name)
    .bind(json!(f.middle_names).to_string())
    .bind(&f.avatar_url)
    .bind(&f.external_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_emails_and_phones_are_checked_like_the_api() {
        assert!(valid_email("alice@brown.com"));
        assert!(!valid_email("alice@brown"));
        assert!(!valid_email("alice brown@x.com"));
        assert!(!valid_email("@x.com"));
        assert_eq!(normalise_phone(" +45 (12) 34-56.78 "), "+4512345678");
        assert!(valid_phone("+551155256325"));
        assert!(!valid_phone("+55abc"));
        assert!(!valid_phone("123"));
    }

    #[test]
    fn test_an_end_user_needs_a_way_to_be_found() {
        let f = EndUserInput {
            display_name: Some("Only a name".into()),
            ..EndUserInput::default()
        }
        .into_fields();
        assert_eq!(validate(&f), vec!["MissingContactDetails"]);
        let f = EndUserInput {
            external_id: Some(" #1 ".into()),
            email: Some("  ".into()),
            ..EndUserInput::default()
        }
        .into_fields();
        assert_eq!(f.external_id.as_deref(), Some("#1"));
        assert_eq!(f.email, None);
        assert!(validate(&f).is_empty());
    }

    #[test]
    fn test_patch_leaves_absent_fields_and_clears_nulls() {
        let base = EndUserInput {
            display_name: Some("A".into()),
            email: Some("a@b.co".into()),
            external_id: Some("x".into()),
            ..EndUserInput::default()
        }
        .into_fields();
        let patch: EndUserPatch =
            serde_json::from_str(r#"{"email": null, "firstName": "Ann"}"#).unwrap();
        let f = patch.apply(base);
        assert_eq!(f.display_name.as_deref(), Some("A"));
        assert_eq!(f.email, None);
        assert_eq!(f.first_name.as_deref(), Some("Ann"));
        let item: BulkPatchItem =
            serde_json::from_str(r#"{"id": "u1", "displayName": "B"}"#).unwrap();
        assert_eq!(item.id, "u1");
        assert_eq!(item.patch.display_name, Some(Some("B".into())));
        assert!(serde_json::from_str::<EndUserPatch>(r#"{"email": 3}"#).is_err());
    }
}
