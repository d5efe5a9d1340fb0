//! Where Parley connects: the platform's server presets and the endpoints each one implies.
//! Hosts come from the protocol reference §1.1 and §4.1.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::AppError;

/// The local sandbox's default addresses, used by `cargo xtask run` and the sign-in screen.
pub const SANDBOX_HTTP: &str = "http://127.0.0.1:18080";
pub const SANDBOX_MQTT: &str = "tcp://127.0.0.1:18830";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ServerPreset {
    /// chat/api/services.kommunicate.io, MQTT socket.kommunicate.io:1883.
    KommunicateCloud,
    /// chat-eu/api-eu.kommunicate.io, MQTT socket-eu.kommunicate.io:1883.
    KommunicateEu,
    /// apps.applozic.com, MQTT apps.applozic.com:1883.
    ApplozicLegacy,
    /// Parley's own local server with demo data.
    Sandbox,
    /// Any server: the user gives the base URL (and optionally the broker).
    Custom,
}

impl ServerPreset {
    pub const ALL: [ServerPreset; 5] = [
        ServerPreset::Sandbox,
        ServerPreset::KommunicateCloud,
        ServerPreset::KommunicateEu,
        ServerPreset::ApplozicLegacy,
        ServerPreset::Custom,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ServerPreset::KommunicateCloud => "Kommunicate cloud",
            ServerPreset::KommunicateEu => "Kommunicate EU",
            ServerPreset::ApplozicLegacy => "Applozic (legacy)",
            ServerPreset::Sandbox => "Local sandbox",
            ServerPreset::Custom => "Custom server",
        }
    }

    /// The endpoints of a fixed preset; `None` for `Custom`, whose endpoints come from the user.
    pub fn fixed_endpoints(self) -> Option<Endpoints> {
        let e = |chat: &str, api: &str, services: &str, mqtt: &str| Endpoints {
            chat: chat.to_owned(),
            api: api.to_owned(),
            services: services.to_owned(),
            mqtt: mqtt.to_owned(),
        };
        match self {
            ServerPreset::KommunicateCloud => Some(e(
                "https://chat.kommunicate.io",
                "https://api.kommunicate.io",
                "https://services.kommunicate.io",
                "tcp://socket.kommunicate.io:1883",
            )),
            ServerPreset::KommunicateEu => Some(e(
                "https://chat-eu.kommunicate.io",
                "https://api-eu.kommunicate.io",
                "https://services.kommunicate.io",
                "tcp://socket-eu.kommunicate.io:1883",
            )),
            ServerPreset::ApplozicLegacy => Some(e(
                "https://apps.applozic.com",
                "https://apps.applozic.com",
                "https://apps.applozic.com",
                "tcp://apps.applozic.com:1883",
            )),
            ServerPreset::Sandbox => {
                Some(e(SANDBOX_HTTP, SANDBOX_HTTP, SANDBOX_HTTP, SANDBOX_MQTT))
            }
            ServerPreset::Custom => None,
        }
    }
}

/// Which platform an account lives on. Everything platform-specific (sign-in, REST, real-time,
/// wire types) sits behind the client's provider for it; the inbox, timeline, send queue,
/// search and notifications do not look at this except to show a badge.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase")]
pub enum Platform {
    /// Kommunicate / Applozic: REST + MQTT (the reference implementation).
    #[default]
    Kommunicate,
    /// WapiKit, a WhatsApp Business team inbox: REST + server-sent events.
    #[serde(rename = "wapikit")]
    WapiKit,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kommunicate => "kommunicate",
            Self::WapiKit => "wapikit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kommunicate" => Some(Self::Kommunicate),
            "wapikit" => Some(Self::WapiKit),
            _ => None,
        }
    }

    /// What an account on this platform can do, so the UI offers only that (it never asks
    /// which platform it is).
    pub fn features(self) -> PlatformFeatures {
        use crate::model::ConversationStatus as S;
        match self {
            Self::Kommunicate => PlatformFeatures {
                statuses: vec![S::Open, S::Resolved, S::Spam, S::Duplicate],
                edit_contacts: true,
                block_contacts: true,
                start_conversations: true,
                groups: true,
                presence: true,
                attachments: true,
                rich_messages: true,
                unassign: false,
            },
            // WapiKit's API: conversations Active/Closed, contacts read-only, no groups.
            Self::WapiKit => PlatformFeatures {
                statuses: vec![S::Open, S::Resolved],
                edit_contacts: false,
                block_contacts: false,
                start_conversations: false,
                groups: false,
                presence: false,
                attachments: false,
                rich_messages: false,
                unassign: true,
            },
        }
    }
}

/// What an account's platform offers (see [`Platform::features`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformFeatures {
    /// The statuses a conversation can be given (the header's status actions).
    pub statuses: Vec<crate::model::ConversationStatus>,
    /// Edit a customer's profile from the contact panel.
    pub edit_contacts: bool,
    /// Block and unblock a customer.
    pub block_contacts: bool,
    /// Start a conversation with a customer.
    pub start_conversations: bool,
    /// Groups, open groups and contact lists (the groups screen).
    pub groups: bool,
    /// Customers' online / last-seen presence.
    pub presence: bool,
    /// Files sent from Parley.
    pub attachments: bool,
    /// HTML messages, hidden notes (agents only), rich messages and message metadata.
    pub rich_messages: bool,
    /// A conversation can be left with nobody assigned.
    pub unassign: bool,
}

/// The server a person picked on the sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerChoice {
    pub preset: ServerPreset,
    /// For `Custom`: the chat/REST base URL, e.g. `https://chat.example.com`.
    pub custom_url: Option<String>,
    /// For `Custom`: the MQTT broker, e.g. `tcp://mqtt.example.com:1883`. Derived when empty.
    pub custom_broker: Option<String>,
}

/// The concrete hosts Parley talks to for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Chat REST (`/rest/ws/...`), uploads and downloads.
    pub chat: String,
    /// Kommunicate business API (agent login, users, tags).
    pub api: String,
    /// Server-to-server API (Api-Key).
    pub services: String,
    /// MQTT broker URL, `tcp://` or `ssl://`/`tls://`/`mqtts://`.
    pub mqtt: String,
}

impl ServerChoice {
    /// Resolve the choice to concrete endpoints, validating custom URLs.
    pub fn endpoints(&self) -> Result<Endpoints, AppError> {
        if let Some(e) = self.preset.fixed_endpoints() {
            return Ok(e);
        }
        let raw = self.custom_url.as_deref().map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Err(AppError::invalid_field(
                "customUrl",
                "Enter the server address, for example https://chat.example.com.",
            ));
        }
        let url = parse_http_url(raw).ok_or_else(|| {
            AppError::invalid_field(
                "customUrl",
                "The server address must be an http:// or https:// URL with a host.",
            )
        })?;
        let base = url.as_str().trim_end_matches('/').to_owned();
        let host = url.host_str().unwrap_or_default();
        let broker = match self.custom_broker.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() => parse_broker_url(b).ok_or_else(|| {
                AppError::invalid_field(
                    "customBroker",
                    "The broker must look like tcp://host:1883 or ssl://host:8883.",
                )
            })?,
            _ => format!("tcp://{host}:1883"),
        };
        Ok(Endpoints {
            chat: base.clone(),
            api: base.clone(),
            services: base,
            mqtt: broker,
        })
    }
}

pub(crate) fn parse_http_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url)
}

fn parse_broker_url(raw: &str) -> Option<String> {
    let url = Url::parse(raw).ok()?;
    let ok = matches!(url.scheme(), "tcp" | "mqtt" | "ssl" | "tls" | "mqtts")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.port().is_some();
    ok.then(|| raw.trim_end_matches('/').to_owned())
}

/// True when the broker link would carry credentials in clear text to another machine.
/// The UI warns about it (issue 4: "an unencrypted link to a non-loopback host is reported").
pub fn broker_is_unencrypted_remote(mqtt: &str) -> bool {
    let Ok(url) = Url::parse(mqtt) else {
        return false;
    };
    let plain = matches!(url.scheme(), "tcp" | "mqtt" | "ws");
    plain && !host_is_loopback(&url)
}

/// True for localhost, 127.0.0.0/8 and ::1. Non-http schemes (`tcp://`) keep IP hosts as
/// opaque domain strings, so those are parsed here too.
pub fn host_is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(url: &str, broker: Option<&str>) -> ServerChoice {
        ServerChoice {
            preset: ServerPreset::Custom,
            custom_url: Some(url.to_owned()),
            custom_broker: broker.map(str::to_owned),
        }
    }

    #[test]
    fn test_kommunicate_preset_uses_documented_hosts() {
        let e = ServerPreset::KommunicateCloud.fixed_endpoints().unwrap();
        assert_eq!(e.chat, "https://chat.kommunicate.io");
        assert_eq!(e.api, "https://api.kommunicate.io");
        assert_eq!(e.mqtt, "tcp://socket.kommunicate.io:1883");
        let eu = ServerPreset::KommunicateEu.fixed_endpoints().unwrap();
        assert_eq!(eu.mqtt, "tcp://socket-eu.kommunicate.io:1883");
    }

    #[test]
    fn test_custom_url_derives_broker_on_same_host() {
        let e = custom("https://chat.example.com/", None)
            .endpoints()
            .unwrap();
        assert_eq!(e.chat, "https://chat.example.com");
        assert_eq!(e.mqtt, "tcp://chat.example.com:1883");
    }

    #[test]
    fn test_custom_url_rejects_non_http_and_credentials() {
        for bad in [
            "",
            "chat.example.com",
            "ftp://x.com",
            "javascript:alert(1)",
            "https://u:p@x.com",
        ] {
            let err = custom(bad, None).endpoints().unwrap_err();
            assert_eq!(err.field.as_deref(), Some("customUrl"), "{bad}");
        }
    }

    #[test]
    fn test_custom_broker_must_have_scheme_and_port() {
        let err = custom("https://x.com", Some("x.com"))
            .endpoints()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("customBroker"));
        let ok = custom("https://x.com", Some("ssl://mq.x.com:8883"))
            .endpoints()
            .unwrap();
        assert_eq!(ok.mqtt, "ssl://mq.x.com:8883");
    }

    #[test]
    fn test_unencrypted_remote_broker_is_flagged_but_loopback_is_not() {
        assert!(broker_is_unencrypted_remote(
            "tcp://socket.kommunicate.io:1883"
        ));
        assert!(!broker_is_unencrypted_remote("tcp://127.0.0.1:1883"));
        assert!(!broker_is_unencrypted_remote("tcp://localhost:1883"));
        assert!(!broker_is_unencrypted_remote(
            "ssl://socket.kommunicate.io:8883"
        ));
    }
}
