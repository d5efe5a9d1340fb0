//! Sign-in (protocol §4.3): agents through Kommunicate's `loginv2`, app users through
//! `register/client`. Secrets go straight to the secret store; the account (no secrets) to the
//! cache.

use std::sync::Arc;

use base64::Engine;
use parley_core::wire::RegistrationResponse;
use parley_core::{Account, Secret, SignInRole, ValidSignIn};
use serde_json::{json, Value};

use crate::error::{ClientError, Result};
use crate::http::{check_status, network_error, now_ms, snippet, Session};
use crate::secrets::{SecretKind, SecretStore};

/// Remember a signed-in account in the cache. The same user of the same application on
/// another server (a sandbox, a self-hosted install) is another world: what was cached for it
/// is dropped first, so two servers' conversations never mix.
pub async fn remember_account<S: parley_core::Store>(
    store: &S,
    account: &Account,
) -> crate::Result<()> {
    let previous = store.accounts().await?;
    if previous
        .iter()
        .any(|a| a.id == account.id && a.endpoints != account.endpoints)
    {
        tracing::info!(
            account = %account.id,
            "signed in to another server: the old server's cache is dropped"
        );
        store.remove_account(&account.id).await?;
    }
    store.save_account(account).await?;
    Ok(())
}

/// A successful sign-in.
pub struct SignedIn {
    pub account: Account,
    pub session: Arc<Session>,
    /// The server's clock at sign-in: the first message-sync cursor.
    pub server_time: i64,
    /// The broker the server told us to use, if any.
    pub broker_url: Option<String>,
}

/// Sign in and store the secrets. Errors say which part was wrong.
pub async fn sign_in(
    http: &reqwest::Client,
    form: &ValidSignIn,
    secrets: Arc<dyn SecretStore>,
) -> Result<SignedIn> {
    let (reg, dashboard) = match form.role {
        SignInRole::Agent => login_agent(http, form).await?,
        SignInRole::AppUser => (register_app_user(http, form).await?, None),
    };
    let (Some(device_key), Some(token), Some(user_key)) = (
        reg.device_key.clone(),
        reg.auth_token.clone(),
        reg.user_key.clone(),
    ) else {
        return Err(ClientError::BadResponse(
            "the sign-in answer lacks deviceKey, authToken or userKey".into(),
        ));
    };
    let user_id = reg.user_id.clone().unwrap_or_else(|| form.user_id.clone());
    let account_id = Account::make_id(&form.app_key, &user_id);
    let device_key = Secret::new(device_key);
    let token = Secret::new(token);
    let dashboard = dashboard.map(Secret::new);
    secrets.set(&account_id, SecretKind::DeviceKey, &device_key)?;
    secrets.set(&account_id, SecretKind::AuthToken, &token)?;
    if !form.password.is_empty() {
        secrets.set(&account_id, SecretKind::Password, &form.password)?;
    }
    match &dashboard {
        Some(d) => secrets.set(&account_id, SecretKind::DashboardToken, d)?,
        None => secrets.delete(&account_id, SecretKind::DashboardToken)?,
    }
    let mut endpoints = form.endpoints.clone();
    // The broker from the sign-in answer wins over a preset's (protocol §1.1 precedence); a
    // broker the person typed in explicitly wins over both.
    if !form.explicit_broker {
        if let Some(b) = reg.broker_url.as_deref().filter(|b| !b.is_empty()) {
            endpoints.mqtt = b.to_owned();
        }
    }
    let is_agent = form.role == SignInRole::Agent;
    let account = Account {
        id: account_id.clone(),
        app_key: form.app_key.clone(),
        user_id: user_id.clone(),
        display_name: reg.display_name.clone(),
        user_key: user_key.clone(),
        endpoints,
        is_agent,
        added_at: now_ms(),
        platform: parley_core::server::Platform::Kommunicate,
    };
    let session = Arc::new(Session::new(
        account_id,
        form.app_key.clone(),
        user_id,
        user_key,
        is_agent,
        device_key,
        token,
        dashboard,
        secrets,
    ));
    tracing::info!(account = %account.id, agent = is_agent, "signed in");
    Ok(SignedIn {
        account,
        session,
        server_time: if reg.current_time_stamp > 0 {
            reg.current_time_stamp
        } else {
            now_ms()
        },
        broker_url: reg.broker_url,
    })
}

/// Sign in to WapiKit with an API key: `GET /user` and the organisation's members say whose
/// key it is (the account is that member); the key goes to the secret store.
pub async fn sign_in_wapikit(
    http: &reqwest::Client,
    base_url: &str,
    api_key: Secret,
    secrets: Arc<dyn SecretStore>,
) -> Result<SignedIn> {
    let api = crate::api_wapikit::WapiKitClient::new(http.clone(), base_url, api_key.clone())?;
    let me = api.me().await?;
    let org = me
        .user
        .organization
        .as_ref()
        .and_then(|o| o.get("uniqueId"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("org")
        .to_owned();
    let app_key = format!("wapikit-{org}");
    let user_id = me.member_id().to_owned();
    let account_id = Account::make_id(&app_key, &user_id);
    let base = api.base_url().to_owned();
    let account = Account {
        id: account_id.clone(),
        app_key: app_key.clone(),
        user_id: user_id.clone(),
        display_name: Some(me.member.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| Some(me.user.name.clone()).filter(|n| !n.is_empty())),
        user_key: me.user_id().to_owned(),
        endpoints: parley_core::Endpoints {
            chat: base.clone(),
            api: base.clone(),
            services: base,
            mqtt: String::new(),
        },
        is_agent: true,
        added_at: now_ms(),
        platform: parley_core::Platform::WapiKit,
    };
    secrets.set(&account_id, SecretKind::ApiKey, &api_key)?;
    let session = Arc::new(Session::new(
        account_id,
        app_key,
        user_id,
        me.user_id().to_owned(),
        true,
        Secret::new(String::new()),
        api_key,
        None,
        secrets,
    ));
    tracing::info!(account = %account.id, "signed in to WapiKit");
    Ok(SignedIn {
        account,
        session,
        server_time: now_ms(),
        broker_url: None,
    })
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    app_key: &str,
    body: &Value,
) -> Result<(u16, String)> {
    let resp = http
        .post(url)
        .header("Application-Key", app_key)
        .json(body)
        .send()
        .await
        .map_err(|e| network_error(url, &e))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| network_error(url, &e))?;
    Ok((status, text))
}

/// `POST <api>/rest/ws/loginv2` with the KMUser body; the answer may be base64 "encoded".
async fn login_agent(
    http: &reqwest::Client,
    form: &ValidSignIn,
) -> Result<(RegistrationResponse, Option<String>)> {
    let url = format!("{}/rest/ws/loginv2", form.endpoints.api);
    let body = json!({
        "userName": form.user_id,
        "password": form.password.expose(),
        "applicationId": form.app_key,
        "roleType": 8,
        "roleName": "APPLICATION_WEB_ADMIN",
        "deviceType": 1,
        "authenticationTypeId": 1,
    });
    let (status, text) = post_json(http, &url, &form.app_key, &body).await?;
    let mut v: Value = serde_json::from_str(&text).map_err(|_| {
        if status >= 500 {
            ClientError::Http {
                status,
                body: snippet(&text),
            }
        } else {
            ClientError::BadResponse(format!("loginv2: {}", snippet(&text)))
        }
    })?;
    if v.get("encoded").and_then(Value::as_bool) == Some(true) {
        let data = v.get("data").and_then(Value::as_str).unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| ClientError::BadResponse("loginv2: data is not base64".into()))?;
        v = serde_json::from_slice(&bytes)
            .map_err(|_| ClientError::BadResponse("loginv2: data is not JSON".into()))?;
    }
    let code = v.get("code").and_then(Value::as_str).unwrap_or_default();
    match code {
        "INVALID_CREDENTIALS" | "USER_NOT_FOUND" | "INVALID_PASSWORD" => {
            return Err(ClientError::InvalidCredentials)
        }
        "INVALID_APPID" | "APPLICATION_NOT_FOUND" => {
            return Err(ClientError::UnknownApplication(form.app_key.clone()))
        }
        "MULTIPLE_APPS" => {
            return Err(ClientError::Invalid(
                "This account belongs to several applications: enter the application key of the one to use.".into(),
            ))
        }
        _ => {}
    }
    if status == 401 || status == 403 {
        return Err(ClientError::InvalidCredentials);
    }
    check_status(
        reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK),
        &text,
    )?;
    let result = v.get("result").ok_or_else(|| {
        ClientError::BadResponse(format!("loginv2: no result in {}", snippet(&text)))
    })?;
    if let Some(app) = result.get("applicationId").and_then(Value::as_str) {
        if app != form.app_key {
            return Err(ClientError::UnknownApplication(form.app_key.clone()));
        }
    }
    let reg: RegistrationResponse = result
        .get("applozicUser")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ClientError::BadResponse(format!("loginv2 applozicUser: {e}")))?
        .ok_or_else(|| ClientError::BadResponse("loginv2: no applozicUser".into()))?;
    let dashboard = result
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((reg, dashboard))
}

/// `POST <chat>/rest/ws/register/client` with the SDK's User body.
async fn register_app_user(
    http: &reqwest::Client,
    form: &ValidSignIn,
) -> Result<RegistrationResponse> {
    let url = format!("{}/rest/ws/register/client", form.endpoints.chat);
    let mut body = json!({
        "userId": form.user_id,
        "applicationId": form.app_key,
        "deviceType": 1,
        "appVersionCode": 113,
        "prefContactAPI": 2,
        "roleName": "USER",
        "roleType": 3,
        "authenticationTypeId": 1,
        "enableEncryption": false,
    });
    if !form.password.is_empty() {
        body["password"] = json!(form.password.expose());
    }
    let (status, text) = post_json(http, &url, &form.app_key, &body).await?;
    let trimmed = text.trim().trim_matches('"');
    match trimmed {
        "INVALID_APPID" | "INVALID_APPLICATIONID" | "APPMODULE_NOT_FOUND" => {
            return Err(ClientError::UnknownApplication(form.app_key.clone()))
        }
        "INVALID_PASSWORD" | "USER_NOT_FOUND" => return Err(ClientError::InvalidCredentials),
        _ => {}
    }
    if status >= 500 {
        return Err(ClientError::Http {
            status,
            body: snippet(&text),
        });
    }
    let reg: RegistrationResponse = serde_json::from_str(&text).map_err(|_| {
        if status == 401 || status == 403 {
            ClientError::InvalidCredentials
        } else {
            ClientError::BadResponse(format!("register: {}", snippet(&text)))
        }
    })?;
    match reg.message.as_deref() {
        _ if reg.is_success() => Ok(reg),
        Some("PASSWORD_INVALID" | "PASSWORD_REQUIRED" | "INVALID_PASSWORD") => {
            Err(ClientError::InvalidCredentials)
        }
        Some("INVALID_APPID" | "INVALID_APPLICATIONID") => {
            Err(ClientError::UnknownApplication(form.app_key.clone()))
        }
        other => {
            if status == 401 || status == 403 {
                return Err(ClientError::InvalidCredentials);
            }
            check_status(
                reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK),
                &text,
            )?;
            Err(ClientError::BadResponse(format!(
                "register: {}",
                other.unwrap_or("no message")
            )))
        }
    }
}

#[cfg(test)]
mod remember_tests {
    use parley_core::model::ConversationStatus;
    use parley_core::store::Change;
    use parley_core::store_suite::{account, conversation};
    use parley_core::{MemoryStore, Store};

    use super::remember_account;

    async fn cached(s: &MemoryStore, id: &str) -> bool {
        s.conversation("app:a@x", id).await.unwrap().is_some()
    }

    #[tokio::test]
    async fn test_signing_in_to_another_server_drops_the_old_servers_cache() {
        let s = MemoryStore::default();
        let first = account("app:a@x", "a@x");
        remember_account(&s, &first).await.unwrap();
        s.apply(
            "app:a@x",
            vec![Change::UpsertConversation(conversation(
                1,
                ConversationStatus::Open,
                None,
                1,
            ))],
        )
        .await
        .unwrap();
        // Signing in again to the same server keeps the cache.
        remember_account(&s, &first).await.unwrap();
        assert!(cached(&s, "g:1").await);
        // The same user and app key on another server: the old cache goes.
        let mut elsewhere = first.clone();
        elsewhere.endpoints.chat = "https://chat.example.com".into();
        remember_account(&s, &elsewhere).await.unwrap();
        assert!(!cached(&s, "g:1").await);
        assert_eq!(s.accounts().await.unwrap(), vec![elsewhere]);
    }
}
