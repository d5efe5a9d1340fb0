//! The sign-in form as the UI sends it, and its validation. Pure: no network here.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::secret::Secret;
use crate::server::{broker_is_unencrypted_remote, Endpoints, ServerChoice};

/// Agents sign in through Kommunicate's `loginv2`; app users through `register/client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SignInRole {
    Agent,
    AppUser,
}

/// What the sign-in screen submits. The password is a [`Secret`]: it can be received but this
/// struct can never be serialized or printed with it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SignInForm {
    pub server: ServerChoice,
    pub role: SignInRole,
    pub app_key: String,
    pub user_id: String,
    #[specta(type = String)]
    pub password: Secret,
}

/// A form that passed validation, with its endpoints resolved.
#[derive(Debug, Clone)]
pub struct ValidSignIn {
    pub endpoints: Endpoints,
    /// The person typed the broker URL (custom server): it wins over the server's `brokerUrl`.
    pub explicit_broker: bool,
    pub role: SignInRole,
    pub app_key: String,
    pub user_id: String,
    pub password: Secret,
}

/// What the UI is told about a valid form before any network traffic: where it will connect,
/// and anything the person should know first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SignInPlan {
    pub endpoints: Endpoints,
    pub role: SignInRole,
    pub app_key: String,
    pub user_id: String,
    pub warnings: Vec<String>,
}

const MAX_APP_KEY: usize = 128;
const MAX_USER_ID: usize = 255;
const MAX_PASSWORD: usize = 1024;

impl SignInForm {
    /// Check every field; the first problem found is returned with the field it belongs to,
    /// in the order the fields appear on screen.
    pub fn validate(self) -> Result<ValidSignIn, AppError> {
        let endpoints = self.server.endpoints()?;

        let app_key = self.app_key.trim().to_owned();
        if app_key.is_empty() {
            return Err(AppError::invalid_field(
                "appKey",
                "Enter your application key (APP_ID). You find it in the dashboard under Settings → Install.",
            ));
        }
        if app_key.len() > MAX_APP_KEY
            || !app_key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(AppError::invalid_field(
                "appKey",
                "An application key has only letters, digits, '-', '_' and '.'.",
            ));
        }

        let user_id = self.user_id.trim().to_owned();
        if user_id.is_empty() {
            return Err(AppError::invalid_field(
                "userId",
                "Enter your user id (for agents, the e-mail you sign in with).",
            ));
        }
        if user_id.chars().count() > MAX_USER_ID || user_id.chars().any(char::is_control) {
            return Err(AppError::invalid_field(
                "userId",
                "That user id is too long or has characters a user id cannot have.",
            ));
        }

        if self.role == SignInRole::Agent && self.password.is_empty() {
            return Err(AppError::invalid_field("password", "Enter your password."));
        }
        if self.password.expose().len() > MAX_PASSWORD {
            return Err(AppError::invalid_field(
                "password",
                "That password is too long.",
            ));
        }

        let explicit_broker = self.server.preset == crate::server::ServerPreset::Custom
            && self
                .server
                .custom_broker
                .as_deref()
                .is_some_and(|b| !b.trim().is_empty());
        Ok(ValidSignIn {
            endpoints,
            explicit_broker,
            role: self.role,
            app_key,
            user_id,
            password: self.password,
        })
    }
}

impl ValidSignIn {
    pub fn plan(&self) -> SignInPlan {
        let mut warnings = Vec::new();
        if broker_is_unencrypted_remote(&self.endpoints.mqtt) {
            warnings.push(format!(
                "The real-time link to {} is not encrypted: messages and your session token travel in clear text.",
                self.endpoints.mqtt
            ));
        }
        let loopback = url::Url::parse(&self.endpoints.chat)
            .is_ok_and(|u| crate::server::host_is_loopback(&u));
        if self.endpoints.chat.starts_with("http://") && !loopback {
            warnings.push(format!(
                "{} uses http://, not https://: your password would travel in clear text.",
                self.endpoints.chat
            ));
        }
        SignInPlan {
            endpoints: self.endpoints.clone(),
            role: self.role,
            app_key: self.app_key.clone(),
            user_id: self.user_id.clone(),
            warnings,
        }
    }
}

/// WapiKit's sign-in: where its API is and the member's API key (sent as `x-access-token`).
/// The key is a [`Secret`]: received, never serialized or printed.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WapiKitSignInForm {
    /// The API root, e.g. `https://wapikit.example.com/api`.
    pub url: String,
    #[specta(type = String)]
    pub api_key: Secret,
}

/// A [`WapiKitSignInForm`] that passed validation.
#[derive(Debug, Clone)]
pub struct ValidWapiKitSignIn {
    /// The API root without a trailing slash.
    pub url: String,
    pub api_key: Secret,
}

/// Longest API key accepted (WapiKit's are JWTs of a few hundred bytes).
const MAX_API_KEY: usize = 4096;

impl WapiKitSignInForm {
    /// Check both fields; errors name the field (`wapikitUrl`, `apiKey`).
    pub fn validate(self) -> Result<ValidWapiKitSignIn, AppError> {
        let raw = self.url.trim();
        if raw.is_empty() {
            return Err(AppError::invalid_field(
                "wapikitUrl",
                "Enter WapiKit's API address, for example https://wapikit.example.com/api.",
            ));
        }
        let url = crate::server::parse_http_url(raw).ok_or_else(|| {
            AppError::invalid_field(
                "wapikitUrl",
                "WapiKit's address must be an http:// or https:// URL with a host.",
            )
        })?;
        if url.scheme() == "http" && !crate::server::host_is_loopback(&url) {
            return Err(AppError::invalid_field(
                "wapikitUrl",
                "Use https:// for a WapiKit server on another machine: over http:// the API key would travel in clear text.",
            ));
        }
        let key = self.api_key.expose().trim();
        if key.is_empty() {
            return Err(AppError::invalid_field(
                "apiKey",
                "Enter your WapiKit API key. You create one in WapiKit under Settings → API keys.",
            ));
        }
        if key.len() > MAX_API_KEY || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AppError::invalid_field(
                "apiKey",
                "That does not look like a WapiKit API key: paste the key exactly as WapiKit shows it.",
            ));
        }
        Ok(ValidWapiKitSignIn {
            url: url.as_str().trim_end_matches('/').to_owned(),
            api_key: Secret::new(key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::server::ServerPreset;

    fn form(preset: ServerPreset, app_key: &str, user: &str, pw: &str) -> SignInForm {
        SignInForm {
            server: ServerChoice {
                preset,
                custom_url: None,
                custom_broker: None,
            },
            role: SignInRole::Agent,
            app_key: app_key.into(),
            user_id: user.into(),
            password: Secret::new(pw),
        }
    }

    #[test]
    fn test_valid_form_resolves_sandbox_endpoints_without_warnings() {
        let v = form(ServerPreset::Sandbox, " parley-demo ", " agent@x.io ", "pw")
            .validate()
            .unwrap();
        assert_eq!(v.app_key, "parley-demo");
        assert_eq!(v.user_id, "agent@x.io");
        let plan = v.plan();
        assert_eq!(plan.endpoints.chat, crate::server::SANDBOX_HTTP);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn test_missing_fields_are_reported_in_screen_order() {
        let e = form(ServerPreset::Sandbox, "", "", "")
            .validate()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("appKey"));
        let e = form(ServerPreset::Sandbox, "k", "", "")
            .validate()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("userId"));
        let e = form(ServerPreset::Sandbox, "k", "u", "")
            .validate()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
    }

    #[test]
    fn test_app_user_may_sign_in_without_password() {
        let mut f = form(ServerPreset::Sandbox, "k", "u", "");
        f.role = SignInRole::AppUser;
        assert!(f.validate().is_ok());
    }

    #[test]
    fn test_hostile_app_key_and_user_id_are_rejected() {
        let e = form(ServerPreset::Sandbox, "<script>", "u", "p")
            .validate()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("appKey"));
        let e = form(ServerPreset::Sandbox, "k", "a\u{0}b", "p")
            .validate()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("userId"));
        let long = "x".repeat(300);
        let e = form(ServerPreset::Sandbox, "k", &long, "p")
            .validate()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("userId"));
    }

    #[test]
    fn test_cloud_preset_warns_about_plain_tcp_broker() {
        let plan = form(ServerPreset::KommunicateCloud, "k", "u", "p")
            .validate()
            .unwrap()
            .plan();
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].contains("socket.kommunicate.io"));
    }

    #[test]
    fn test_form_debug_output_hides_password() {
        let f = form(ServerPreset::Sandbox, "k", "u", "s3cret-pw");
        assert!(!format!("{f:?}").contains("s3cret-pw"));
    }

    fn wapikit(url: &str, key: &str) -> Result<ValidWapiKitSignIn, AppError> {
        WapiKitSignInForm {
            url: url.to_owned(),
            api_key: Secret::new(key),
        }
        .validate()
    }

    #[test]
    fn test_wapikit_form_keeps_a_clean_address_and_key() {
        let v = wapikit(" http://127.0.0.1:18080/api/ ", " eyJ.abc.def ").unwrap();
        assert_eq!(v.url, "http://127.0.0.1:18080/api");
        assert_eq!(v.api_key.expose(), "eyJ.abc.def");
        let v = wapikit("https://inbox.example.com/api", "k").unwrap();
        assert_eq!(v.url, "https://inbox.example.com/api");
    }

    #[test]
    fn test_wapikit_form_names_the_field_that_is_wrong() {
        let field = |r: Result<ValidWapiKitSignIn, AppError>| r.err().unwrap().field.unwrap();
        assert_eq!(field(wapikit("", "k")), "wapikitUrl");
        assert_eq!(field(wapikit("ftp://x.example.com", "k")), "wapikitUrl");
        assert_eq!(
            field(wapikit("https://u:p@x.example.com/api", "k")),
            "wapikitUrl"
        );
        // The key would cross the network in clear text.
        assert_eq!(
            field(wapikit("http://wapikit.example.com/api", "k")),
            "wapikitUrl"
        );
        assert_eq!(field(wapikit("https://x.example.com/api", "  ")), "apiKey");
        assert_eq!(field(wapikit("https://x.example.com/api", "a b")), "apiKey");
        let long = "k".repeat(MAX_API_KEY + 1);
        assert_eq!(field(wapikit("https://x.example.com/api", &long)), "apiKey");
    }

    #[test]
    fn test_wapikit_form_never_prints_the_key() {
        let f = WapiKitSignInForm {
            url: "https://x.example.com/api".into(),
            api_key: Secret::new("super-secret-key"),
        };
        assert!(!format!("{f:?}").contains("super-secret-key"));
        let v = f.validate().unwrap();
        assert!(!format!("{v:?}").contains("super-secret-key"));
    }
}
