//! WapiKit rows as stored and their JSON as the API answers it (`ConversationSchema`,
//! `ContactSchema`, `MessageSchema`, `OrganizationMemberSchema`, `TagSchema`, `UserSchema`),
//! and the checks a new message goes through.

use serde_json::{json, Map, Value};
use sqlx::{FromRow, SqliteConnection};

use super::error::{WkError, WkResult};
use super::iso_ms;

pub const CONVERSATION_STATUSES: &[&str] = &["Active", "Closed", "Deleted"];
pub const MESSAGE_TYPES: &[&str] = &[
    "Text", "Image", "Video", "Audio", "Document", "Sticker", "Location", "Contacts", "Reaction",
    "Address",
];
/// WhatsApp's longest text message.
pub const MAX_TEXT: usize = 4096;
/// WhatsApp's longest media caption.
pub const MAX_CAPTION: usize = 1024;

#[derive(Debug, Clone, FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub org_id: String,
    pub contact_id: String,
    pub campaign_id: Option<String>,
    pub initiated_by: String,
    pub status: String,
    pub assigned_member_id: Option<String>,
    pub created_at: i64,
}

pub const CONVERSATION_COLUMNS: &str =
    "id, org_id, contact_id, campaign_id, initiated_by, status, assigned_member_id, created_at";

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub direction: String,
    pub status: String,
    pub message_type: String,
    pub message_data: String,
    pub reply_to: Option<String>,
    pub whatsapp_message_id: Option<String>,
    pub created_at: i64,
}

pub const MESSAGE_COLUMNS: &str = "id, conversation_id, direction, status, message_type, \
    message_data, reply_to, whatsapp_message_id, created_at";

impl MessageRow {
    pub fn to_json(&self) -> Value {
        let data: Value = serde_json::from_str(&self.message_data).unwrap_or_else(|_| json!({}));
        let mut v = json!({
            "uniqueId": self.id,
            "conversationId": self.conversation_id,
            "direction": self.direction,
            "status": self.status,
            "messageType": self.message_type,
            "createdAt": iso_ms(self.created_at),
            "messageData": data,
        });
        if let Some(r) = &self.reply_to {
            v["replyToMessageId"] = json!(r);
        }
        if let Some(w) = &self.whatsapp_message_id {
            v["whatsAppMessageId"] = json!(w);
        }
        v
    }
}

pub async fn contact_json(conn: &mut SqliteConnection, id: &str) -> WkResult<Option<Value>> {
    let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, phone, attributes, status, created_at FROM wapikit_contacts WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, name, phone, attributes, status, created)| {
        json!({
            "uniqueId": id,
            "name": name,
            "phone": phone,
            "attributes": serde_json::from_str::<Value>(&attributes).unwrap_or_else(|_| json!({})),
            "createdAt": iso_ms(created),
            "status": status,
        })
    }))
}

pub async fn member_json(conn: &mut SqliteConnection, member_id: &str) -> WkResult<Option<Value>> {
    let row: Option<(String, String, String, i64, String, String)> = sqlx::query_as(
        "SELECT m.id, m.access_level, m.roles, m.created_at, u.name, u.email \
         FROM wapikit_members m JOIN wapikit_users u ON u.id = m.user_id WHERE m.id = ?",
    )
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, level, roles, created, name, email)| {
        json!({
            "uniqueId": id,
            "createdAt": iso_ms(created),
            "accessLevel": level,
            "name": name,
            "email": email,
            "roles": serde_json::from_str::<Value>(&roles).unwrap_or_else(|_| json!([])),
        })
    }))
}

pub async fn tags_of(conn: &mut SqliteConnection, conversation_id: &str) -> WkResult<Vec<Value>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.id, t.label FROM wapikit_conversation_tags ct \
         JOIN wapikit_tags t ON t.id = ct.tag_id WHERE ct.conversation_id = ? ORDER BY t.label",
    )
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, label)| json!({"uniqueId": id, "label": label}))
        .collect())
}

pub async fn find_conversation(
    conn: &mut SqliteConnection,
    org_id: &str,
    id: &str,
) -> WkResult<Option<ConversationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM wapikit_conversations WHERE id = ? AND org_id = ?"
    ))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// `ConversationSchema`: the contact, the latest message (`messages` holds at most one: ask
/// `/conversation/{id}/messages` for the rest), unread (inbound `Sent`) and total counts, the
/// assignee and the tags.
pub async fn conversation_json(
    conn: &mut SqliteConnection,
    c: &ConversationRow,
) -> WkResult<Value> {
    let contact = contact_json(&mut *conn, &c.contact_id)
        .await?
        .unwrap_or_else(|| {
            json!({"uniqueId": c.contact_id, "name": "", "phone": "",
            "attributes": {}, "createdAt": iso_ms(c.created_at), "status": "Active"})
        });
    let last: Option<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM wapikit_messages WHERE conversation_id = ? \
         ORDER BY created_at DESC, seq DESC LIMIT 1"
    ))
    .bind(&c.id)
    .fetch_optional(&mut *conn)
    .await?;
    let (total, unread): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(direction = 'InBound' AND status = 'Sent'), 0) \
         FROM wapikit_messages WHERE conversation_id = ?",
    )
    .bind(&c.id)
    .fetch_one(&mut *conn)
    .await?;
    let mut v = json!({
        "uniqueId": c.id,
        "contact": contact,
        "contactId": c.contact_id,
        "organizationId": c.org_id,
        "initiatedBy": c.initiated_by,
        "messages": last.iter().map(MessageRow::to_json).collect::<Vec<_>>(),
        "createdAt": iso_ms(c.created_at),
        "numberOfUnreadMessages": unread,
        "totalMessages": total,
        "status": c.status,
        "tags": tags_of(&mut *conn, &c.id).await?,
    });
    if let Some(cid) = &c.campaign_id {
        v["campaignId"] = json!(cid);
    }
    if let Some(m) = &c.assigned_member_id {
        if let Some(member) = member_json(&mut *conn, m).await? {
            v["assignedTo"] = member;
        }
    }
    Ok(v)
}

fn text_field<'a>(data: &'a Map<String, Value>, key: &str) -> WkResult<Option<&'a str>> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
        Some(_) => Err(WkError::bad_request(format!(
            "messageData.{key} must be a string"
        ))),
    }
}

/// Checks a new message's `messageType` and `messageData` (as WhatsApp's Cloud API would
/// refuse them); the data as stored, with `messageType` in it.
pub fn check_new_message(
    message_type: &str,
    data: &Map<String, Value>,
) -> WkResult<Map<String, Value>> {
    if !MESSAGE_TYPES.contains(&message_type) {
        return Err(WkError::bad_request(format!(
            "invalid message type {message_type:?}"
        )));
    }
    let caption = text_field(data, "caption")?;
    if caption.is_some_and(|c| c.chars().count() > MAX_CAPTION) {
        return Err(WkError::bad_request("caption is too long"));
    }
    let media = || -> WkResult<()> {
        if text_field(data, "id")?.is_none() && text_field(data, "link")?.is_none() {
            return Err(WkError::bad_request("media id or link is required"));
        }
        Ok(())
    };
    match message_type {
        "Text" => {
            let text = text_field(data, "text")?
                .ok_or_else(|| WkError::bad_request("text is required"))?;
            if text.chars().count() > MAX_TEXT {
                return Err(WkError::bad_request(format!(
                    "text is longer than {MAX_TEXT} characters"
                )));
            }
        }
        "Image" | "Video" | "Audio" | "Sticker" => media()?,
        "Document" => {
            media()?;
            text_field(data, "fileName")?
                .ok_or_else(|| WkError::bad_request("fileName is required"))?;
        }
        "Location" => {
            let num = |k: &str| data.get(k).and_then(Value::as_f64);
            match (num("latitude"), num("longitude")) {
                (Some(lat), Some(lng))
                    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) => {}
                _ => return Err(WkError::bad_request("latitude and longitude are required")),
            }
        }
        "Reaction" => {
            text_field(data, "reaction")?
                .ok_or_else(|| WkError::bad_request("reaction is required"))?;
        }
        other => {
            return Err(WkError::bad_request(format!(
                "sending {other} messages is not supported"
            )))
        }
    }
    let mut stored = data.clone();
    stored.insert("messageType".into(), json!(message_type));
    Ok(stored)
}

/// A WhatsApp message id (`wamid.` and base64 of random bytes).
pub fn wamid() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    format!(
        "wamid.{}",
        base64::engine::general_purpose::STANDARD.encode(b)
    )
}

/// Inserts a message; returns it as stored.
#[allow(clippy::too_many_arguments)]
pub async fn insert_message(
    conn: &mut SqliteConnection,
    org_id: &str,
    conversation_id: &str,
    direction: &str,
    status: &str,
    message_type: &str,
    data: &Map<String, Value>,
    reply_to: Option<&str>,
    now: i64,
) -> WkResult<MessageRow> {
    let row = MessageRow {
        id: uuid::Uuid::new_v4().to_string(),
        conversation_id: conversation_id.to_owned(),
        direction: direction.to_owned(),
        status: status.to_owned(),
        message_type: message_type.to_owned(),
        message_data: Value::Object(data.clone()).to_string(),
        reply_to: reply_to.map(str::to_owned),
        whatsapp_message_id: Some(wamid()),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO wapikit_messages (id, org_id, conversation_id, direction, status, \
         message_type, message_data, reply_to, whatsapp_message_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.id)
    .bind(org_id)
    .bind(&row.conversation_id)
    .bind(&row.direction)
    .bind(&row.status)
    .bind(&row.message_type)
    .bind(&row.message_data)
    .bind(&row.reply_to)
    .bind(&row.whatsapp_message_id)
    .bind(row.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn test_new_messages_are_checked_by_type() {
        assert!(check_new_message("Text", &data(json!({"text": "hi"}))).is_ok());
        assert!(check_new_message("Text", &data(json!({"text": "  "}))).is_err());
        assert!(check_new_message("Text", &data(json!({"text": 5}))).is_err());
        assert!(check_new_message("Gif", &data(json!({}))).is_err());
        assert!(check_new_message("Image", &data(json!({"link": "https://x/y.png"}))).is_ok());
        assert!(check_new_message("Document", &data(json!({"link": "https://x/y.pdf"}))).is_err());
        assert!(
            check_new_message("Location", &data(json!({"latitude": 91, "longitude": 0}))).is_err()
        );
        assert!(check_new_message("Contacts", &data(json!({}))).is_err());
        let stored = check_new_message("Reaction", &data(json!({"reaction": "👍"}))).unwrap();
        assert_eq!(stored["messageType"], json!("Reaction"));
    }
}
