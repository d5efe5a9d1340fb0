//! The embedded MQTT 3.1.1 broker (rumqttd). CONNECT must carry username = application key
//! and password = a valid, unexpired JWT of that application.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::jwt::JwtKeys;

/// Starts the broker on `listen` (port 0 picks a free port) and returns the bound address once
/// it accepts connections.
pub fn start_embedded(
    listen: SocketAddr,
    jwt: Arc<JwtKeys>,
    app_id: String,
) -> anyhow::Result<SocketAddr> {
    let addr = if listen.port() == 0 {
        // rumqttd binds by itself and does not report the port: find a free one first.
        let probe = TcpListener::bind(listen)?;
        let addr = probe.local_addr()?;
        drop(probe);
        addr
    } else {
        listen
    };

    let mut connections = ConnectionSettings {
        connection_timeout_ms: 10_000,
        max_payload_size: 1024 * 1024,
        max_inflight_count: 200,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    connections.set_auth_handler(
        move |_client_id: String, username: String, password: String| {
            let ok = username == app_id
                && jwt
                    .verify(&password)
                    .is_ok_and(|claims| claims.application_id == app_id);
            if !ok {
                tracing::info!("MQTT CONNECT refused: bad application key or token");
            }
            async move { ok }
        },
    );

    let server = ServerSettings {
        name: "v4".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_010,
            max_outgoing_packet_count: 200,
            max_segment_size: 4 * 1024 * 1024,
            max_segment_count: 4,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("v4".to_owned(), server)])),
        ..Config::default()
    };

    let mut broker = Broker::new(config);
    std::thread::Builder::new()
        .name("mqtt-broker".to_owned())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "MQTT broker stopped");
            }
        })?;

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(addr);
        }
        if Instant::now() > deadline {
            anyhow::bail!("MQTT broker did not start listening on {addr}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
