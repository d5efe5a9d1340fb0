//! MQTT connection settings exactly as the SDKs use them (protocol §1.1, §8): username = app
//! key, password = JWT, client id `<userId>-<millis>`, keep-alive 60 s, clean session, QoS 0,
//! last will on `status-v2`. `tcp://` and `ssl://`/`tls://`/`mqtts://` broker URLs.

use std::sync::Arc;
use std::time::Duration;

use parley_core::realtime::topics;
use parley_core::server::host_is_loopback;
use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};

use crate::error::{ClientError, Result};
use crate::http::{now_ms, Session};

/// A broker URL, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    /// Plain TCP to another machine: credentials travel in clear text (reported to the UI).
    pub insecure_remote: bool,
}

pub fn parse_broker(url: &str) -> Result<Broker> {
    let u = url::Url::parse(url.trim())
        .map_err(|e| ClientError::Invalid(format!("broker URL {url}: {e}")))?;
    let tls = match u.scheme() {
        "tcp" | "mqtt" => false,
        "ssl" | "tls" | "mqtts" => true,
        other => {
            return Err(ClientError::Invalid(format!(
                "broker URL {url}: unsupported scheme {other}"
            )))
        }
    };
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ClientError::Invalid(format!("broker URL {url} has no host")))?
        .trim_matches(['[', ']'])
        .to_owned();
    let port = u.port().unwrap_or(if tls { 8883 } else { 1883 });
    Ok(Broker {
        insecure_remote: !tls && !host_is_loopback(&u),
        host,
        port,
        tls,
    })
}

/// The CONNECT options for one attempt (a fresh client id and the current token each time).
pub fn options(broker: &Broker, session: &Session, token: &str) -> MqttOptions {
    let client_id = format!("{}-{}", session.user_id, now_ms());
    let mut o = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    o.set_credentials(session.app_key.clone(), token.to_owned());
    o.set_keep_alive(Duration::from_secs(60));
    o.set_clean_session(true);
    o.set_max_packet_size(1024 * 1024, 256 * 1024);
    o.set_last_will(LastWill::new(
        topics::STATUS,
        topics::status_payload(&session.user_key, session.device_key().expose(), 0),
        QoS::AtMostOnce,
        false,
    ));
    if broker.tls {
        crate::install_crypto_provider();
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(config),
        )));
    }
    o
}

/// The topics a session subscribes to after each CONNECT.
pub fn base_topics(session: &Session) -> Vec<String> {
    let mut t = vec![session.user_key.clone()];
    if session.is_agent {
        t.push(topics::support_channel(&session.app_key));
    }
    // Typing in 1:1 threads arrives on our own user id.
    t.push(topics::typing(&session.app_key, &session.user_id));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_broker_urls_parse_with_default_ports_and_tls() {
        let b = parse_broker("tcp://socket.kommunicate.io:1883").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.tls, b.insecure_remote),
            ("socket.kommunicate.io", 1883, false, true)
        );
        let b = parse_broker("ssl://mq.example.com").unwrap();
        assert_eq!((b.port, b.tls, b.insecure_remote), (8883, true, false));
        let b = parse_broker("tcp://127.0.0.1:18830").unwrap();
        assert!(!b.insecure_remote);
        assert!(parse_broker("http://x:1").is_err());
        assert!(parse_broker("tcp://:1883").is_err());
    }
}
