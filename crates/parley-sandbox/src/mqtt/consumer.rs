//! Consumes what clients publish: `status-v2` presence (including last wills) and
//! `message-status` receipts.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Incoming, MESSAGE_STATUS_TOPIC, STATUS_TOPIC};
use crate::services::{presence, receipts};
use crate::state::AppState;

pub async fn run(state: Arc<AppState>, mut rx: mpsc::Receiver<Incoming>) {
    while let Some(msg) = rx.recv().await {
        let Ok(text) = std::str::from_utf8(&msg.payload) else {
            tracing::debug!(topic = %msg.topic, "ignoring non-UTF-8 payload");
            continue;
        };
        let parts: Vec<&str> = text.trim().split(',').map(str::trim).collect();
        let result = match (msg.topic.as_str(), parts.as_slice()) {
            (STATUS_TOPIC, [user_key, _device_key, status]) => match status.parse::<i64>() {
                Ok(status) => presence::update_by_key(&state, user_key, status).await,
                Err(_) => Ok(()),
            },
            (MESSAGE_STATUS_TOPIC, [user_id, key, status]) => match *status {
                "4" => {
                    receipts::mark_message(&state, user_id, key, receipts::Mark::Delivered).await
                }
                "1" | "5" => {
                    receipts::mark_message(&state, user_id, key, receipts::Mark::Read).await
                }
                _ => Ok(()),
            },
            _ => {
                tracing::debug!(topic = %msg.topic, "ignoring malformed payload");
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, topic = %msg.topic, "real-time event not applied");
        }
    }
}
