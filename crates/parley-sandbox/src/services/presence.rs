//! Presence from `status-v2`: 1 online, 0 offline (also the last will), 3 online-not-away and
//! 2 away for agents.

use serde_json::json;

use crate::error::ApiResult;
use crate::model;
use crate::mqtt::events;
use crate::state::AppState;

pub async fn update_by_key(state: &AppState, user_key: &str, status: i64) -> ApiResult<()> {
    let Some(user) = model::find_user_by_key(&state.db, user_key).await? else {
        return Ok(());
    };
    update(state, &user.user_id, status, user.is_agent_like()).await
}

pub async fn update(state: &AppState, user_id: &str, status: i64, agent: bool) -> ApiResult<()> {
    if !(0..=3).contains(&status) {
        return Ok(());
    }
    let connected = i64::from(status != 0);
    let now = {
        let w = state.begin_write().await;
        sqlx::query(
            "UPDATE users SET connected = ?1, last_seen_at = ?2, \
             availability = CASE WHEN ?3 >= 2 THEN ?3 WHEN ?3 = 0 THEN 0 ELSE \
                CASE WHEN availability >= 2 THEN availability ELSE 1 END END \
             WHERE user_id = ?4",
        )
        .bind(connected)
        .bind(w.now)
        .bind(status)
        .bind(user_id)
        .execute(&state.db)
        .await?;
        w.now
    };
    let contacts = events::contacts_of(&state.db, user_id).await?;
    match status {
        0 => {
            let payload = json!(format!("{user_id},{now}"));
            state
                .notify_users(&contacts, events::USER_DISCONNECTED, payload.clone(), false)
                .await;
            if agent {
                state
                    .notify_support(
                        events::USER_ONLINE_STATUS,
                        json!(format!("{user_id},0,{now}")),
                        false,
                    )
                    .await;
            }
        }
        1 => {
            state
                .notify_users(&contacts, events::USER_CONNECTED, json!(user_id), false)
                .await;
        }
        _ => {
            let payload = json!(format!("{user_id},{status}"));
            state
                .notify_users(
                    &contacts,
                    events::USER_ONLINE_STATUS,
                    payload.clone(),
                    false,
                )
                .await;
            state
                .notify_support(events::USER_ONLINE_STATUS, payload, false)
                .await;
        }
    }
    Ok(())
}
