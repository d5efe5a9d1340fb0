//! Which events become a desktop notification. Pure: the client feeds it what changed, it
//! returns intents; the shell shows them (or not).

use serde::{Deserialize, Serialize};

use crate::model::{Conversation, Direction, Message, Millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    NewConversation,
    AssignedToMe,
    NewMessage,
    Mention,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NotificationIntent {
    pub kind: NotificationKind,
    pub account_id: String,
    pub conversation_id: String,
    /// The customer's (or sender's) name.
    pub title: String,
    pub body: String,
}

/// The agent's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    pub enabled: bool,
    pub new_conversations: bool,
    pub assigned_to_me: bool,
    pub messages_in_mine: bool,
    pub mentions: bool,
    /// Quiet hours in local minutes since midnight, e.g. (22*60, 7*60). Wraps midnight.
    pub quiet_from_minute: Option<u16>,
    pub quiet_to_minute: Option<u16>,
    pub sound: bool,
    /// The sound theme name played with a notification (freedesktop names, e.g.
    /// "message-new-instant", "bell", "complete"; mapped to the nearest system sound
    /// elsewhere).
    pub sound_name: String,
    /// Repeat a notification every this many minutes while its conversation stays unread
    /// (0: never).
    pub repeat_minutes: u16,
}

/// Sounds offered in settings.
pub const SOUNDS: [&str; 4] = [
    "message-new-instant",
    "bell",
    "complete",
    "dialog-information",
];

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            new_conversations: true,
            assigned_to_me: true,
            messages_in_mine: true,
            mentions: true,
            quiet_from_minute: None,
            quiet_to_minute: None,
            sound: false,
            sound_name: SOUNDS[0].to_owned(),
            repeat_minutes: 0,
        }
    }
}

impl NotificationSettings {
    /// The chosen sound when it is one Parley offers, else the default.
    pub fn sound_name(&self) -> &str {
        SOUNDS
            .iter()
            .find(|s| **s == self.sound_name)
            .copied()
            .unwrap_or(SOUNDS[0])
    }

    pub fn is_quiet(&self, local_minute_of_day: u16) -> bool {
        match (self.quiet_from_minute, self.quiet_to_minute) {
            (Some(from), Some(to)) if from != to => {
                if from < to {
                    (from..to).contains(&local_minute_of_day)
                } else {
                    local_minute_of_day >= from || local_minute_of_day < to
                }
            }
            _ => false,
        }
    }
}

/// What happened to one conversation in a batch, as far as notifications care.
#[derive(Debug, Clone)]
pub struct ConversationEvent<'a> {
    pub conversation: &'a Conversation,
    /// The conversation did not exist in the cache before this batch.
    pub is_new: bool,
    /// Its assignee changed to this agent in this batch.
    pub newly_assigned_to_me: bool,
    /// New incoming messages in it, oldest first.
    pub messages: Vec<&'a Message>,
    /// A name for the sender of the newest message.
    pub sender_name: String,
}

/// Decide the notifications for one batch. At most one per conversation.
pub fn decide(
    account_id: &str,
    me: &str,
    my_name: Option<&str>,
    settings: &NotificationSettings,
    local_minute_of_day: u16,
    now: Millis,
    events: &[ConversationEvent<'_>],
) -> Vec<NotificationIntent> {
    if !settings.enabled || settings.is_quiet(local_minute_of_day) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for ev in events {
        let c = ev.conversation;
        if c.muted_until.is_some_and(|t| t > now) || !c.status.is_open() {
            continue;
        }
        let incoming: Vec<&&Message> = ev
            .messages
            .iter()
            .filter(|m| m.direction == Direction::Incoming && m.sender_id != me)
            .filter(|m| !matches!(m.content_type, 10 | 11))
            .collect();
        let newest = incoming.last();
        let mine = c.assignee.as_deref() == Some(me);
        let mentioned = incoming.iter().any(|m| mentions(&m.text, me, my_name));
        let kind = if ev.newly_assigned_to_me && settings.assigned_to_me {
            Some(NotificationKind::AssignedToMe)
        } else if mentioned && settings.mentions {
            Some(NotificationKind::Mention)
        } else if ev.is_new
            && newest.is_some()
            && settings.new_conversations
            && (mine || c.assignee.is_none())
        {
            Some(NotificationKind::NewConversation)
        } else if mine && newest.is_some() && settings.messages_in_mine {
            Some(NotificationKind::NewMessage)
        } else {
            None
        };
        let Some(kind) = kind else { continue };
        let body = match newest {
            Some(m) => m.preview(),
            None => c.last_message_preview.clone().unwrap_or_default(),
        };
        let title = match kind {
            NotificationKind::AssignedToMe => format!("Assigned to you: {}", c.title),
            NotificationKind::NewConversation => format!("New conversation: {}", ev.sender_name),
            NotificationKind::Mention => format!("{} mentioned you", ev.sender_name),
            NotificationKind::NewMessage => ev.sender_name.clone(),
        };
        out.push(NotificationIntent {
            kind,
            account_id: account_id.to_owned(),
            conversation_id: c.id.clone(),
            title,
            body,
        });
    }
    out
}

fn mentions(text: &str, me: &str, my_name: Option<&str>) -> bool {
    let lower = text.to_lowercase();
    let at = |name: &str| !name.is_empty() && lower.contains(&format!("@{}", name.to_lowercase()));
    at(me) || my_name.is_some_and(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConversationStatus, DeliveryState, Metadata};

    fn conv(assignee: Option<&str>) -> Conversation {
        Conversation {
            id: "g:1".into(),
            group_id: Some(1),
            client_group_id: None,
            title: "Ada".into(),
            group_type: 10,
            status: ConversationStatus::Open,
            assignee: assignee.map(str::to_owned),
            customer_id: Some("ada".into()),
            image_url: None,
            members: vec![],
            metadata: Metadata::new(),
            created_at: 0,
            last_activity_at: 0,
            last_message_preview: None,
            unread: 1,
            muted_until: None,
        }
    }

    fn msg(text: &str) -> Message {
        Message {
            key: "k".into(),
            conversation_id: "g:1".into(),
            sender_id: "ada".into(),
            created_at: 1,
            text: text.into(),
            content_type: 0,
            metadata: Metadata::new(),
            attachment: None,
            direction: Direction::Incoming,
            state: DeliveryState::Delivered,
            client_key: None,
        }
    }

    fn run(
        c: &Conversation,
        m: &Message,
        is_new: bool,
        assigned: bool,
        s: &NotificationSettings,
    ) -> Vec<NotificationKind> {
        let ev = ConversationEvent {
            conversation: c,
            is_new,
            newly_assigned_to_me: assigned,
            messages: vec![m],
            sender_name: "Ada".into(),
        };
        decide("acc", "me", Some("Sam"), s, 12 * 60, 100, &[ev])
            .into_iter()
            .map(|i| i.kind)
            .collect()
    }

    #[test]
    fn test_policy_notifies_mine_new_and_assigned_only() {
        let s = NotificationSettings::default();
        let m = msg("Where is my parcel?");
        assert_eq!(
            run(&conv(Some("me")), &m, false, false, &s),
            [NotificationKind::NewMessage]
        );
        assert!(run(&conv(Some("other")), &m, false, false, &s).is_empty());
        assert_eq!(
            run(&conv(None), &m, true, false, &s),
            [NotificationKind::NewConversation]
        );
        assert_eq!(
            run(&conv(Some("me")), &m, false, true, &s),
            [NotificationKind::AssignedToMe]
        );
        assert_eq!(
            run(
                &conv(Some("other")),
                &msg("hey @sam can you help"),
                false,
                false,
                &s
            ),
            [NotificationKind::Mention]
        );
    }

    #[test]
    fn test_muted_quiet_and_closed_conversations_stay_silent() {
        let m = msg("hello");
        let mut muted = conv(Some("me"));
        muted.muted_until = Some(1_000);
        assert!(run(&muted, &m, false, false, &NotificationSettings::default()).is_empty());
        let mut closed = conv(Some("me"));
        closed.status = ConversationStatus::Resolved;
        assert!(run(&closed, &m, false, false, &NotificationSettings::default()).is_empty());
        let quiet = NotificationSettings {
            quiet_from_minute: Some(11 * 60),
            quiet_to_minute: Some(13 * 60),
            ..Default::default()
        };
        assert!(run(&conv(Some("me")), &m, false, false, &quiet).is_empty());
        let overnight = NotificationSettings {
            quiet_from_minute: Some(22 * 60),
            quiet_to_minute: Some(7 * 60),
            ..Default::default()
        };
        assert!(
            overnight.is_quiet(23 * 60) && overnight.is_quiet(60) && !overnight.is_quiet(12 * 60)
        );
    }
}
