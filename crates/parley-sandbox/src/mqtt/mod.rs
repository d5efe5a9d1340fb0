//! Real-time: the MQTT broker (embedded rumqttd or an external one), the sandbox's own client
//! on it ("the bus"), the notification envelopes, and the consumers of `status-v2` and
//! `message-status`.

pub mod broker;
pub mod consumer;
pub mod events;

use std::time::Duration;

use bytes::Bytes;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Topics the sandbox itself consumes.
pub const STATUS_TOPIC: &str = "status-v2";
pub const MESSAGE_STATUS_TOPIC: &str = "message-status";

/// A publish the sandbox received.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub topic: String,
    pub payload: Bytes,
}

/// The sandbox's MQTT client: publishes notifications, receives `status-v2` and
/// `message-status`.
#[derive(Clone)]
pub struct Bus {
    client: AsyncClient,
    app_id: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("app_id", &self.app_id).finish()
    }
}

impl Bus {
    /// Connects, subscribes to the consumed topics and waits for the broker to confirm both.
    pub async fn connect(
        host: &str,
        port: u16,
        app_id: &str,
        password: &str,
        incoming: mpsc::Sender<Incoming>,
    ) -> anyhow::Result<(Self, JoinHandle<()>)> {
        let client_id = format!("parley-sandbox-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(client_id, host, port);
        options
            .set_credentials(app_id, password)
            .set_keep_alive(Duration::from_secs(60))
            .set_clean_session(true)
            .set_max_packet_size(2 * 1024 * 1024, 2 * 1024 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 4096);
        let (ready_tx, mut ready_rx) = watch::channel(false);
        let sub_client = client.clone();
        let task = tokio::spawn(async move {
            let mut pending_subacks = 0usize;
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        // (Re)subscribe on every connect: the session is clean.
                        pending_subacks = 2;
                        for topic in [STATUS_TOPIC, MESSAGE_STATUS_TOPIC] {
                            if let Err(e) = sub_client.try_subscribe(topic, QoS::AtMostOnce) {
                                tracing::warn!(error = %e, topic, "subscribe failed");
                            }
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        pending_subacks = pending_subacks.saturating_sub(1);
                        if pending_subacks == 0 {
                            let _ = ready_tx.send(true);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let msg = Incoming {
                            topic: p.topic.clone(),
                            payload: p.payload.clone(),
                        };
                        if incoming.send(msg).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "sandbox MQTT connection error; retrying");
                        let _ = ready_tx.send(false);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            while !*ready_rx.borrow_and_update() {
                if ready_rx.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        if waited.is_err() || !*ready_rx.borrow() {
            task.abort();
            anyhow::bail!("could not connect to the MQTT broker at {host}:{port}");
        }
        Ok((
            Self {
                client,
                app_id: app_id.to_owned(),
            },
            task,
        ))
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Publishes at QoS 0, as the platform does. Failures are logged, never fatal.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) {
        if let Err(e) = self
            .client
            .publish(topic, QoS::AtMostOnce, false, payload)
            .await
        {
            tracing::warn!(error = %e, topic, "publish failed");
        }
    }

    pub fn support_topic(&self) -> String {
        format!("support-channel-{}", self.app_id)
    }

    pub fn typing_topic(&self, id: &str) -> String {
        format!("typing-{}-{}", self.app_id, id)
    }

    pub async fn disconnect(&self) {
        let _ = self.client.disconnect().await;
    }
}
