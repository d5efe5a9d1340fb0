//! Topic based (context based) chat: `conversation/v2/id` and `conversation/closeall`.

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};
use sqlx::FromRow;

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body, Params};
use crate::model::{self, group_role};
use crate::routes::groups::feed_of;
use crate::routes::messages::can_access;
use crate::services::groups::{self as svc, NewGroup};
use crate::state::SharedState;

const GROUP_OF_TWO: i64 = 7;

#[derive(Debug, Clone, FromRow)]
pub struct TopicConversation {
    pub id: i64,
    pub topic_id: String,
    pub topic_detail: Option<String>,
    pub sender_id: String,
    pub user_id: Option<String>,
    pub group_id: i64,
    pub closed: i64,
}

const COLUMNS: &str = "id, topic_id, topic_detail, sender_id, user_id, group_id, closed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    New,
    Open,
    Default,
}

fn pxy(c: &TopicConversation, created: bool) -> Value {
    json!({
        "id": c.id,
        "topicId": c.topic_id,
        "topicDetail": c.topic_detail,
        "userId": c.user_id,
        "created": created,
        "closed": c.closed != 0,
        "senderUserName": c.sender_id,
        "status": if c.closed != 0 { "CLOSED" } else { "OPEN" },
        "groupId": c.group_id,
    })
}

/// Finds a conversation on `topic` in `group_id`, newest first.
async fn latest(
    state: &SharedState,
    topic: &str,
    group_id: i64,
) -> ApiResult<Option<TopicConversation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM topic_conversations WHERE topic_id = ? AND group_id = ? ORDER BY id DESC LIMIT 1"
    );
    Ok(sqlx::query_as(&sql)
        .bind(topic)
        .bind(group_id)
        .fetch_optional(&state.db)
        .await?)
}

/// The type-7 group backing the 1:1 topic chats of two users.
async fn pair_group(state: &SharedState, a: &str, b: &str) -> ApiResult<model::ChannelRow> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let client_id = format!("topic-pair:{lo}:{hi}");
    if let Some(c) = model::find_channel_by_client_id(&state.db, &client_id).await? {
        return Ok(c);
    }
    svc::create_group(
        state,
        NewGroup {
            name: format!("{lo}, {hi}"),
            client_group_id: Some(client_id),
            admin: a.to_owned(),
            kind: GROUP_OF_TWO,
            members: vec![
                (a.to_owned(), group_role::ADMIN),
                (b.to_owned(), group_role::MEMBER),
            ],
            ..NewGroup::default()
        },
    )
    .await
}

/// `POST /rest/ws/conversation/v2/id {topicId, topicDetail, userId | groupId, status}` with
/// status `NEW` (close the open one, start another), `OPEN` (reopen or start) or `DEFAULT`
/// (as it is, or start).
pub async fn conversation_id(
    State(state): State<SharedState>,
    caller: Caller,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let topic = field::opt_str(&obj, "topicId")?
        .ok_or_else(|| ApiError::bad_request("topicId is required"))?;
    let detail = field::opt_text(&obj, "topicDetail")?;
    if topic.chars().count() > 250 || detail.as_ref().is_some_and(|d| d.chars().count() > 10_000) {
        return Err(ApiError::bad_request("topicId or topicDetail is too long"));
    }
    let mode = match field::opt_str(&obj, "status")?
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        Some("NEW") => Mode::New,
        Some("OPEN") => Mode::Open,
        Some("DEFAULT") | None => Mode::Default,
        Some(_) => return Err(ApiError::bad_request("status must be NEW, OPEN or DEFAULT")),
    };
    let (channel, peer) = match (
        field::opt_i64(&obj, "groupId")?,
        field::opt_str(&obj, "userId")?,
    ) {
        (Some(gid), _) => {
            let c = model::resolve_channel(&state.db, Some(gid), None).await?;
            if !can_access(&state, &caller, &c).await? {
                return Err(ApiError::group_not_found());
            }
            (c, None)
        }
        (None, Some(user)) => {
            model::require_user(&state.db, &user).await?;
            if user == caller.user_id() {
                return Err(ApiError::bad_request("userId must be another user"));
            }
            (
                pair_group(&state, caller.user_id(), &user).await?,
                Some(user),
            )
        }
        (None, None) => return Err(ApiError::bad_request("userId or groupId is required")),
    };
    let existing = latest(&state, &topic, channel.id).await?;
    let (conversation, created) = {
        let w = state.begin_write().await;
        let reuse = match (&existing, mode) {
            (Some(c), Mode::Default) => Some(c.clone()),
            (Some(c), Mode::Open) => {
                sqlx::query(
                    "UPDATE topic_conversations SET closed = 0, updated_at = ? WHERE id = ?",
                )
                .bind(w.now)
                .bind(c.id)
                .execute(&state.db)
                .await?;
                Some(TopicConversation {
                    closed: 0,
                    ..c.clone()
                })
            }
            (Some(c), Mode::New) => {
                sqlx::query(
                    "UPDATE topic_conversations SET closed = 1, updated_at = ? WHERE id = ?",
                )
                .bind(w.now)
                .bind(c.id)
                .execute(&state.db)
                .await?;
                None
            }
            (None, _) => None,
        };
        match reuse {
            Some(c) => (c, false),
            None => {
                let sql = format!(
                    "INSERT INTO topic_conversations (topic_id, topic_detail, sender_id, user_id, group_id, \
                     created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
                );
                let c: TopicConversation = sqlx::query_as(&sql)
                    .bind(&topic)
                    .bind(&detail)
                    .bind(caller.user_id())
                    .bind(&peer)
                    .bind(channel.id)
                    .bind(w.now)
                    .bind(w.now)
                    .fetch_one(&state.db)
                    .await?;
                (c, true)
            }
        }
    };
    let mut feed = feed_of(&state, &channel, caller.user_id()).await?;
    feed["conversationPxy"] = pxy(&conversation, created);
    Ok(ok(feed))
}

/// `GET /rest/ws/conversation/closeall?topicId=&withUserId=`
pub async fn close_all(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let topic = params.required_str("topicId")?;
    let with = params.required_str("withUserId")?;
    model::require_user(&state.db, with).await?;
    let w = state.begin_write().await;
    sqlx::query(
        "UPDATE topic_conversations SET closed = 1, updated_at = ?1 WHERE topic_id = ?2 AND closed = 0 \
         AND ((sender_id = ?3 AND user_id = ?4) OR (sender_id = ?4 AND user_id = ?3))",
    )
    .bind(w.now)
    .bind(topic)
    .bind(caller.user_id())
    .bind(with)
    .execute(&state.db)
    .await?;
    Ok(ok("success"))
}

/// Checks a `conversationId` sent with a message: it must exist and involve the sender.
pub async fn check_conversation(state: &SharedState, id: i64, sender: &str) -> ApiResult<()> {
    let sql = format!("SELECT {COLUMNS} FROM topic_conversations WHERE id = ?");
    let c: Option<TopicConversation> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&state.db)
        .await?;
    let c = c.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "AL-C-01",
            "conversation not found",
        )
    })?;
    let party = c.sender_id == sender
        || c.user_id.as_deref() == Some(sender)
        || model::active_member(&state.db, c.group_id, sender)
            .await?
            .is_some();
    if party {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}
