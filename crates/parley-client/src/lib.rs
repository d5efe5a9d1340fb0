//! Parley's client core: everything between the platform and the local cache. No Tauri here;
//! the desktop app and `parley-cli` are two hosts of the same core.

pub mod api;
pub mod api_dixa;
pub mod api_files;
pub mod api_groups;
pub mod api_kommunicate;
pub mod api_messages;
pub mod api_retry;
pub mod api_users;
pub mod api_util;
pub mod api_wapikit;
pub mod attachments;
pub mod client;
pub mod error;
pub mod http;
pub mod login;
pub mod mqtt;
pub mod secrets;

pub use client::{Client, ClientEvent, ClientOptions, OpenedConversation};
pub use error::{ClientError, Result};
pub use http::Session;
pub use login::{remember_account, sign_in, sign_in_wapikit, SignedIn};
pub use secrets::{MemorySecrets, SecretKind, SecretStore};

/// rustls needs one process-wide crypto provider; Parley uses ring (reqwest's choice), so no
/// second crypto library is compiled. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
