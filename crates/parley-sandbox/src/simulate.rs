//! `--simulate RATE`: simulated customers type and send messages in open conversations.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Map;

use crate::model::{self, group_role};
use crate::seed::text::SIMULATED_LINES;
use crate::services::messages::{self, NewMessage, Target};
use crate::state::AppState;

pub async fn run(state: Arc<AppState>, rate: f64) {
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let typing_pause = period.min(Duration::from_millis(300)) / 2;
    let mut rng = StdRng::seed_from_u64(0x51_4d_75_6c);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = one(&state, &mut rng, typing_pause).await {
            tracing::debug!(error = %e, "simulated message skipped");
        }
    }
}

async fn one(state: &AppState, rng: &mut StdRng, pause: Duration) -> crate::error::ApiResult<()> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM channels WHERE type = 10 AND deleted_at IS NULL AND COALESCE(status, 0) IN (0, 6, 7)",
    )
    .fetch_one(&state.db)
    .await?;
    if count == 0 {
        return Ok(());
    }
    let offset = rng.gen_range(0..count);
    let sql = format!(
        "SELECT {} FROM channels WHERE type = 10 AND deleted_at IS NULL AND COALESCE(status, 0) IN (0, 6, 7) \
         ORDER BY id LIMIT 1 OFFSET ?",
        model::CHANNEL_COLUMNS
    );
    let channel: model::ChannelRow = sqlx::query_as(&sql)
        .bind(offset)
        .fetch_one(&state.db)
        .await?;
    let customer: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM channel_users WHERE channel_id = ? AND role = ? AND removed_at IS NULL LIMIT 1",
    )
    .bind(channel.id)
    .bind(group_role::MEMBER)
    .fetch_optional(&state.db)
    .await?;
    let Some((customer,)) = customer else {
        return Ok(());
    };
    let sender = model::require_user(&state.db, &customer).await?;
    let topic = state.bus.typing_topic(&channel.id.to_string());
    let app = state.app.application_id.clone();
    state
        .bus
        .publish(&topic, format!("{app},{customer},1").into_bytes())
        .await;
    tokio::time::sleep(pause).await;
    let body = SIMULATED_LINES[rng.gen_range(0..SIMULATED_LINES.len())].to_owned();
    messages::send(
        state,
        NewMessage {
            sender,
            device_key: None,
            target: Target::Group(channel),
            body,
            content_type: 0,
            source: 1,
            metadata: Map::new(),
            file_meta: None,
            conversation_id: None,
        },
    )
    .await?;
    state
        .bus
        .publish(&topic, format!("{app},{customer},0").into_bytes())
        .await;
    Ok(())
}
