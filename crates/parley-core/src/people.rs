//! Groups, contacts and outgoing rich content: the forms the UI sends and the views it gets,
//! with their validation. Pure: the client turns them into platform calls.

use serde::{Deserialize, Serialize};

use crate::model::{Contact, Conversation, DeliveryState, Metadata, Millis, Role};
use crate::AppError;

/// The user-facing group types (protocol §5: group `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Members only; only admins add people.
    Private,
    /// Anyone may be added by a member.
    Public,
    /// Anyone may join; listed under "open groups".
    Open,
    /// One sender, many receivers.
    Broadcast,
    /// A Kommunicate support conversation.
    Support,
}

impl GroupKind {
    pub const ALL: [Self; 5] = [
        Self::Private,
        Self::Public,
        Self::Open,
        Self::Broadcast,
        Self::Support,
    ];

    pub fn code(self) -> i64 {
        match self {
            Self::Private => 1,
            Self::Public => 2,
            Self::Broadcast => 5,
            Self::Open => 6,
            Self::Support => crate::model::SUPPORT_GROUP,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

pub const MAX_GROUP_NAME: usize = 255;
pub const MAX_MEMBERS_AT_ONCE: usize = 100;
const MAX_META_ENTRIES: usize = 50;
const MAX_META_TEXT: usize = 2000;

/// A new group, as the "new group" form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GroupForm {
    pub name: String,
    pub kind: GroupKind,
    /// User ids, without the agent (who becomes admin).
    pub members: Vec<String>,
    pub image_url: Option<String>,
    pub metadata: Metadata,
}

/// What to change in a group; `None` leaves a field as it is. Metadata is merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub image_url: Option<String>,
    pub metadata: Option<Metadata>,
}

fn check_name(name: &str, field: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid_field(field, "Give the group a name."));
    }
    if n.chars().count() > MAX_GROUP_NAME {
        return Err(AppError::invalid_field(
            field,
            format!("A group name is at most {MAX_GROUP_NAME} characters."),
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            field,
            "A group name cannot contain control characters.",
        ));
    }
    Ok(n.to_owned())
}

pub fn check_user_id(user_id: &str) -> Result<String, AppError> {
    let u = user_id.trim();
    if u.is_empty() || u.chars().count() > 250 || u.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            "userId",
            "That is not a valid user id.",
        ));
    }
    Ok(u.to_owned())
}

/// An image address the platform can store: http(s) only, no credentials.
pub fn check_image_url(url: &str) -> Result<String, AppError> {
    let u = url.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 2000
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        && !u
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .is_some_and(|host| host.contains('@'));
    if ok {
        Ok(u.to_owned())
    } else {
        Err(AppError::invalid_field(
            "imageUrl",
            "An image must be a web address (http or https).",
        ))
    }
}

pub fn check_metadata(meta: &Metadata) -> Result<(), AppError> {
    if meta.len() > MAX_META_ENTRIES {
        return Err(AppError::invalid_field(
            "metadata",
            format!("At most {MAX_META_ENTRIES} metadata entries."),
        ));
    }
    for (k, v) in meta {
        if k.trim().is_empty() || k.chars().count() > 100 || k.chars().any(char::is_control) {
            return Err(AppError::invalid_field(
                "metadata",
                "Metadata keys are non-empty words of at most 100 characters.",
            ));
        }
        if v.chars().count() > MAX_META_TEXT {
            return Err(AppError::invalid_field(
                "metadata",
                format!("A metadata value is at most {MAX_META_TEXT} characters."),
            ));
        }
    }
    Ok(())
}

impl GroupForm {
    /// The form as sent: trimmed, members de-duplicated and without `me`.
    pub fn checked(&self, me: &str) -> Result<Self, AppError> {
        let name = check_name(&self.name, "name")?;
        let mut members: Vec<String> = Vec::new();
        for m in &self.members {
            let u = check_user_id(m)?;
            if u != me && !members.contains(&u) {
                members.push(u);
            }
        }
        if members.len() > MAX_MEMBERS_AT_ONCE {
            return Err(AppError::invalid_field(
                "members",
                format!("Add at most {MAX_MEMBERS_AT_ONCE} members at once."),
            ));
        }
        if self.kind == GroupKind::Support && members.is_empty() {
            return Err(AppError::invalid_field(
                "members",
                "A support conversation needs the customer as a member.",
            ));
        }
        let image_url = match self.image_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => Some(check_image_url(u)?),
            _ => None,
        };
        check_metadata(&self.metadata)?;
        Ok(Self {
            name,
            kind: self.kind,
            members,
            image_url,
            metadata: self.metadata.clone(),
        })
    }
}

impl GroupUpdate {
    pub fn checked(&self) -> Result<Self, AppError> {
        let name = self
            .name
            .as_deref()
            .map(|n| check_name(n, "name"))
            .transpose()?;
        let image_url = match self.image_url.as_deref().map(str::trim) {
            Some("") => Some(String::new()),
            Some(u) => Some(check_image_url(u)?),
            None => None,
        };
        if let Some(m) = &self.metadata {
            check_metadata(m)?;
        }
        if name.is_none() && image_url.is_none() && self.metadata.is_none() {
            return Err(AppError::invalid_field("name", "Nothing to change."));
        }
        Ok(Self {
            name,
            image_url,
            metadata: self.metadata.clone(),
        })
    }
}

/// Roles a member can be given from the group screen.
pub fn assignable_role(role: Role) -> Result<Role, AppError> {
    match role {
        Role::Admin | Role::Moderator | Role::Member => Ok(role),
        Role::User => Err(AppError::invalid_field(
            "role",
            "Choose admin, moderator or member.",
        )),
    }
}

/// Profile fields an agent may change on a contact; `None` leaves a field as it is.
/// Metadata entries are merged (the custom attributes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ContactUpdate {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub image_url: Option<String>,
    pub metadata: Metadata,
}

impl ContactUpdate {
    pub fn checked(&self) -> Result<Self, AppError> {
        let text = |v: &Option<String>,
                    field: &str,
                    max: usize|
         -> Result<Option<String>, AppError> {
            match v.as_deref().map(str::trim) {
                None => Ok(None),
                Some(t) if t.chars().count() > max || t.chars().any(char::is_control) => Err(
                    AppError::invalid_field(field, format!("At most {max} characters, one line.")),
                ),
                Some(t) => Ok(Some(t.to_owned())),
            }
        };
        let display_name = text(&self.display_name, "displayName", 200)?;
        let email = text(&self.email, "email", 254)?;
        if let Some(e) = email.as_deref().filter(|e| !e.is_empty()) {
            let mut parts = e.split('@');
            let ok = matches!((parts.next(), parts.next(), parts.next()),
                (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
            if !ok || e.contains(char::is_whitespace) {
                return Err(AppError::invalid_field(
                    "email",
                    "That is not an e-mail address.",
                ));
            }
        }
        let phone = text(&self.phone, "phone", 32)?;
        if let Some(p) = phone.as_deref().filter(|p| !p.is_empty()) {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 3;
            if !ok {
                return Err(AppError::invalid_field(
                    "phone",
                    "A phone number has digits, spaces, + - ( ) only.",
                ));
            }
        }
        let image_url = match self.image_url.as_deref().map(str::trim) {
            Some("") => Some(String::new()),
            Some(u) => Some(check_image_url(u)?),
            None => None,
        };
        check_metadata(&self.metadata)?;
        Ok(Self {
            display_name,
            email,
            phone,
            image_url,
            metadata: self.metadata.clone(),
        })
    }
}

/// The contact panel: the person, their presence and their previous conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ContactProfile {
    pub contact: Contact,
    /// Support conversations of this customer, newest first (from the cache).
    pub conversations: Vec<Conversation>,
    /// Whether the agent blocked them; `None` when the server could not be asked.
    pub blocked: Option<bool>,
    /// Refreshed from the server just now (false: the cached copy, offline).
    pub fresh: bool,
}

/// Kommunicate "create conversation" from the agent app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewConversationForm {
    pub customer_id: String,
    /// Shown as the conversation's title; the customer's name when empty.
    pub title: Option<String>,
    /// An agent to assign to (with routing skipped), or none to let routing decide.
    pub assignee: Option<String>,
    /// Keep the assignee given (or none) instead of the routing rules.
    pub skip_routing: bool,
    /// A first message from the agent.
    pub message: Option<String>,
}

/// One recipient in "message info".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipientState {
    pub user_id: String,
    pub name: Option<String>,
    pub state: DeliveryState,
    pub delivered_at: Option<Millis>,
    pub read_at: Option<Millis>,
}

/// Kommunicate rich message template ids Parley composes (metadata `templateId`).
pub mod template {
    pub const BUTTONS: &str = "3";
    pub const SUGGESTED_REPLIES: &str = "6";
    pub const LIST: &str = "7";
    pub const CARDS: &str = "10";
}

/// Content types the composer may send.
pub const SENDABLE_CONTENT_TYPES: [i64; 2] = [0, 3];

/// Check an outgoing message's content type and metadata. Rich messages carry
/// `contentType` "300", a known `templateId` and a `payload` that is a JSON string (an array
/// or object); hidden notes carry `category` "HIDDEN".
pub fn check_outgoing(content_type: i64, metadata: &Metadata) -> Result<(), AppError> {
    if !SENDABLE_CONTENT_TYPES.contains(&content_type) {
        return Err(AppError::invalid_field(
            "contentType",
            "Messages are sent as text (0) or HTML (3).",
        ));
    }
    check_metadata(metadata)?;
    let reserved = [
        crate::model::keys::CLIENT_KEY,
        "AL_DELETE_GROUP_MESSAGE_FOR_ALL",
        "KM_ASSIGN",
        "KM_ASSIGN_TO",
        "KM_ASSIGN_TEAM",
        "KM_STATUS",
    ];
    if let Some(k) = metadata.keys().find(|k| reserved.contains(&k.as_str())) {
        return Err(AppError::invalid_field(
            "metadata",
            format!("{k} is set by Parley or the platform, not by hand."),
        ));
    }
    let rich = metadata.get("contentType").map(String::as_str);
    match rich {
        None => {}
        Some("300") => {
            let template = metadata.get("templateId").map(String::as_str).unwrap_or("");
            if ![
                template::BUTTONS,
                template::SUGGESTED_REPLIES,
                template::LIST,
                template::CARDS,
            ]
            .contains(&template)
            {
                return Err(AppError::invalid_field(
                    "templateId",
                    "Parley sends buttons (3), suggested replies (6), lists (7) and cards (10).",
                ));
            }
            let payload = metadata.get("payload").map(String::as_str).unwrap_or("");
            match serde_json::from_str::<serde_json::Value>(payload) {
                Ok(serde_json::Value::Array(a)) if !a.is_empty() => {}
                Ok(serde_json::Value::Object(o)) if !o.is_empty() => {}
                _ => {
                    return Err(AppError::invalid_field(
                        "payload",
                        "A rich message needs a payload: a JSON list or object, as text.",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(AppError::invalid_field(
                "metadata",
                "Metadata contentType is only for rich messages (\"300\").",
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn test_group_kinds_map_to_platform_types() {
        let codes: Vec<i64> = GroupKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, [1, 2, 6, 5, 10]);
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::from_code(k.code()), Some(k));
        }
        assert_eq!(GroupKind::from_code(7), None);
    }

    #[test]
    fn test_group_form_is_trimmed_deduplicated_and_without_me() {
        let f = GroupForm {
            name: "  Billing team ".into(),
            kind: GroupKind::Private,
            members: vec!["ada".into(), " ada ".into(), "me".into(), "bob".into()],
            image_url: Some(" ".into()),
            metadata: Metadata::new(),
        };
        let c = f.checked("me").unwrap();
        assert_eq!(c.name, "Billing team");
        assert_eq!(c.members, ["ada", "bob"]);
        assert_eq!(c.image_url, None);
    }

    #[test]
    fn test_bad_group_forms_name_the_field_at_fault() {
        let base = GroupForm {
            name: "x".into(),
            kind: GroupKind::Public,
            members: vec![],
            image_url: None,
            metadata: Metadata::new(),
        };
        let field = |f: GroupForm| f.checked("me").unwrap_err().field;
        assert_eq!(
            field(GroupForm {
                name: " ".into(),
                ..base.clone()
            })
            .as_deref(),
            Some("name")
        );
        assert_eq!(
            field(GroupForm {
                name: "a\u{0}b".into(),
                ..base.clone()
            })
            .as_deref(),
            Some("name")
        );
        assert_eq!(
            field(GroupForm {
                image_url: Some("javascript:alert(1)".into()),
                ..base.clone()
            })
            .as_deref(),
            Some("imageUrl")
        );
        assert_eq!(
            field(GroupForm {
                image_url: Some("https://u:p@evil/x.png".into()),
                ..base.clone()
            })
            .as_deref(),
            Some("imageUrl")
        );
        assert_eq!(
            field(GroupForm {
                kind: GroupKind::Support,
                ..base.clone()
            })
            .as_deref(),
            Some("members")
        );
        assert_eq!(
            field(GroupForm {
                members: vec!["".into()],
                ..base
            })
            .as_deref(),
            Some("userId")
        );
    }

    #[test]
    fn test_contact_update_checks_email_phone_and_image() {
        let ok = ContactUpdate {
            display_name: Some(" Ada ".into()),
            email: Some("ada@example.com".into()),
            phone: Some("+44 (0) 20-7946".into()),
            image_url: None,
            metadata: meta(&[("plan", "gold")]),
        };
        assert_eq!(ok.checked().unwrap().display_name.as_deref(), Some("Ada"));
        for (bad, field) in [
            (
                ContactUpdate {
                    email: Some("ada@".into()),
                    ..ok.clone()
                },
                "email",
            ),
            (
                ContactUpdate {
                    email: Some("a b@c.de".into()),
                    ..ok.clone()
                },
                "email",
            ),
            (
                ContactUpdate {
                    phone: Some("<script>".into()),
                    ..ok.clone()
                },
                "phone",
            ),
            (
                ContactUpdate {
                    image_url: Some("file:///etc/passwd".into()),
                    ..ok.clone()
                },
                "imageUrl",
            ),
            (
                ContactUpdate {
                    display_name: Some("a\nb".into()),
                    ..ok.clone()
                },
                "displayName",
            ),
        ] {
            assert_eq!(
                bad.checked().unwrap_err().field.as_deref(),
                Some(field),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn test_rich_metadata_needs_a_known_template_and_a_json_payload() {
        let card = meta(&[
            ("contentType", "300"),
            ("templateId", "10"),
            ("payload", r#"[{"title":"Plan","buttons":[]}]"#),
        ]);
        assert!(check_outgoing(0, &card).is_ok());
        assert!(check_outgoing(0, &meta(&[("category", "HIDDEN")])).is_ok());
        let field = |ct: i64, m: Metadata| check_outgoing(ct, &m).unwrap_err().field;
        assert_eq!(field(1, Metadata::new()).as_deref(), Some("contentType"));
        let mut bad = card.clone();
        bad.insert("templateId".into(), "99".into());
        assert_eq!(field(0, bad).as_deref(), Some("templateId"));
        for payload in ["", "[]", "{", "\"text\"", "3"] {
            let mut bad = card.clone();
            bad.insert("payload".into(), payload.into());
            assert_eq!(field(0, bad).as_deref(), Some("payload"), "{payload}");
        }
        assert_eq!(
            field(0, meta(&[("KM_STATUS", "Resolved")])).as_deref(),
            Some("metadata")
        );
        assert_eq!(
            field(0, meta(&[("contentType", "3")])).as_deref(),
            Some("metadata")
        );
    }
}
