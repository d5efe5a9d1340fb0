//! Secrets (password, deviceKey, authToken, dashboard token) live only in the OS keyring, as
//! `Secret`s in memory. Never in SQLite, logs or config files.

use std::collections::HashMap;
use std::sync::Mutex;

use parley_core::Secret;

use crate::error::{ClientError, Result};

/// Which secret of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    Password,
    DeviceKey,
    AuthToken,
    DashboardToken,
    /// A platform API key (WapiKit's `x-access-token`).
    ApiKey,
    /// The Dixa API token. App-wide (kept under the account name [`DIXA_ACCOUNT`]), so not
    /// in [`SecretKind::ALL`], which lists what an account's sign-out forgets.
    DixaToken,
}

/// The keyring account name the Dixa API token is kept under (no chat account id has this
/// form: those are `<appKey>:<userId>`).
pub const DIXA_ACCOUNT: &str = "parley-dixa";

impl SecretKind {
    pub const ALL: [SecretKind; 5] = [
        Self::Password,
        Self::DeviceKey,
        Self::AuthToken,
        Self::DashboardToken,
        Self::ApiKey,
    ];

    #[cfg_attr(not(feature = "os-keyring"), allow(dead_code))]
    fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::DeviceKey => "device-key",
            Self::AuthToken => "auth-token",
            Self::DashboardToken => "dashboard-token",
            Self::ApiKey => "api-key",
            Self::DixaToken => "dixa-token",
        }
    }
}

/// Where secrets are kept. `KeyringSecrets` in the app; `MemorySecrets` in tests.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, account: &str, kind: SecretKind) -> Result<Option<Secret>>;
    fn set(&self, account: &str, kind: SecretKind, value: &Secret) -> Result<()>;
    fn delete(&self, account: &str, kind: SecretKind) -> Result<()>;

    /// Forget every secret of an account (sign-out).
    fn delete_all(&self, account: &str) -> Result<()> {
        for kind in SecretKind::ALL {
            self.delete(account, kind)?;
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct MemorySecrets(Mutex<HashMap<(String, SecretKind), Secret>>);

impl SecretStore for MemorySecrets {
    fn get(&self, account: &str, kind: SecretKind) -> Result<Option<Secret>> {
        let map = self
            .0
            .lock()
            .map_err(|_| ClientError::Keyring("poisoned".into()))?;
        Ok(map.get(&(account.to_owned(), kind)).cloned())
    }

    fn set(&self, account: &str, kind: SecretKind, value: &Secret) -> Result<()> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| ClientError::Keyring("poisoned".into()))?;
        map.insert((account.to_owned(), kind), value.clone());
        Ok(())
    }

    fn delete(&self, account: &str, kind: SecretKind) -> Result<()> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| ClientError::Keyring("poisoned".into()))?;
        map.remove(&(account.to_owned(), kind));
        Ok(())
    }
}

/// The OS keyring through the `keyring` crate: Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows. Entries: service `parley`, user `<kind>:<account>`.
#[cfg(feature = "os-keyring")]
pub struct KeyringSecrets {
    service: String,
}

#[cfg(feature = "os-keyring")]
impl KeyringSecrets {
    pub fn new() -> Self {
        Self::with_service("io.parley.desktop")
    }

    /// A separate namespace (tests use one of their own).
    pub fn with_service(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, account: &str, kind: SecretKind) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("{}:{account}", kind.name()))
            .map_err(|e| ClientError::Keyring(e.to_string()))
    }
}

#[cfg(feature = "os-keyring")]
impl Default for KeyringSecrets {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "os-keyring")]
impl SecretStore for KeyringSecrets {
    fn get(&self, account: &str, kind: SecretKind) -> Result<Option<Secret>> {
        match self.entry(account, kind)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(ClientError::Keyring(e.to_string())),
        }
    }

    fn set(&self, account: &str, kind: SecretKind, value: &Secret) -> Result<()> {
        self.entry(account, kind)?
            .set_password(value.expose())
            .map_err(|e| ClientError::Keyring(e.to_string()))
    }

    fn delete(&self, account: &str, kind: SecretKind) -> Result<()> {
        match self.entry(account, kind)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(ClientError::Keyring(e.to_string())),
        }
    }
}
