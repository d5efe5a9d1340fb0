//! IPC commands. Each one: parse input (serde does it), one core call, typed error out.

use parley_core::model::ConnectionState;
use parley_core::model::{
    Contact, Conversation, ConversationStatus, InboxSort, InboxView, Message,
};
use parley_core::server::broker_is_unencrypted_remote;
use parley_core::store::{InboxQuery, SearchHit, Store, ViewCounts};
use parley_core::{AppError, Endpoints, ErrorCode, ServerPreset, SignInForm, SignInPlan};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::shell::Shell;
use crate::Launch;

/// The commands registered in `build.rs` (for permissions) and in `specta_builder`.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "check_sign_in",
    "ui_ready",
    "sign_in",
    "accounts",
    "sign_out",
    "inbox",
    "open_conversation",
    "older_messages",
    "send_message",
    "set_draft",
    "set_status",
    "assign",
    "search",
    "set_typing",
    "close_conversation",
    "open_external",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    Light,
    Dark,
}

impl From<ThemeChoice> for tauri::Theme {
    fn from(t: ThemeChoice) -> Self {
        match t {
            ThemeChoice::Light => tauri::Theme::Light,
            ThemeChoice::Dark => tauri::Theme::Dark,
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PresetInfo {
    pub preset: ServerPreset,
    pub label: String,
    /// `None` for the custom preset.
    pub endpoints: Option<Endpoints>,
    /// True when the preset's real-time link is plain TCP to another machine.
    pub unencrypted_broker: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub presets: Vec<PresetInfo>,
    /// A theme forced at launch (`PARLEY_THEME`), overriding the system's.
    pub theme_override: Option<ThemeChoice>,
}

pub fn presets() -> Vec<PresetInfo> {
    ServerPreset::ALL
        .iter()
        .map(|&p| {
            let endpoints = p.fixed_endpoints();
            PresetInfo {
                preset: p,
                label: p.label().to_owned(),
                unencrypted_broker: endpoints
                    .as_ref()
                    .is_some_and(|e| broker_is_unencrypted_remote(&e.mqtt)),
                endpoints,
            }
        })
        .collect()
}

/// Name, version and the server presets for the sign-in screen.
#[tauri::command]
#[specta::specta]
pub fn app_info(launch: State<'_, Launch>) -> AppInfo {
    AppInfo {
        name: "Parley".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        presets: presets(),
        theme_override: launch.theme,
    }
}

/// Validate the sign-in form and resolve where it would connect, without network traffic.
#[tauri::command]
#[specta::specta]
pub fn check_sign_in(form: SignInForm) -> Result<SignInPlan, AppError> {
    form.validate().map(|v| v.plan())
}

/// Called by the UI once its first screen is painted. Returns milliseconds since launch.
#[tauri::command]
#[specta::specta]
pub fn ui_ready(launch: State<'_, Launch>) -> u32 {
    let ms = u32::try_from(launch.started.elapsed().as_millis()).unwrap_or(u32::MAX);
    log::info!("first screen painted {ms} ms after launch");
    if let Some(path) = &launch.ready_file {
        if let Err(e) = std::fs::write(path, ms.to_string()) {
            log::warn!("could not write ready file {}: {e}", path.display());
        }
    }
    ms
}

/// A signed-in account as the account switcher shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub id: String,
    pub user_id: String,
    pub display_name: Option<String>,
    pub app_key: String,
    pub server: String,
    pub is_agent: bool,
    pub connection: ConnectionState,
    /// The real-time link is plain TCP to another machine.
    pub insecure_link: bool,
}

fn summary(c: &crate::shell::AppClient) -> AccountSummary {
    let a = c.account();
    AccountSummary {
        id: a.id.clone(),
        user_id: a.user_id.clone(),
        display_name: a.display_name.clone(),
        app_key: a.app_key.clone(),
        server: a.endpoints.chat.clone(),
        is_agent: a.is_agent,
        connection: c.connection().borrow().clone(),
        insecure_link: c.link_is_insecure(),
    }
}

/// Sign in (agent: loginv2; app user: register/client), keep the secrets in the keyring,
/// and start syncing.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    app: AppHandle,
    shell: State<'_, Shell>,
    form: SignInForm,
) -> Result<AccountSummary, AppError> {
    let valid = form.validate()?;
    let signed = parley_client::sign_in(&shell.http, &valid, shell.secrets.clone())
        .await
        .inspect_err(|e| log::warn!("sign-in failed: {e}"))?;
    shell
        .store
        .save_account(&signed.account)
        .await
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    if let Some(old) = shell.clients.write().await.remove(&signed.account.id) {
        old.stop().await;
    }
    let client = shell
        .start_client(&app, signed.account, signed.session)
        .await?;
    Ok(summary(&client))
}

#[tauri::command]
#[specta::specta]
pub async fn accounts(shell: State<'_, Shell>) -> Result<Vec<AccountSummary>, AppError> {
    let clients = shell.clients.read().await;
    let mut v: Vec<AccountSummary> = clients.values().map(summary).collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(v)
}

/// `device/logout`, forget the secrets and this account's cache.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(shell: State<'_, Shell>, account_id: String) -> Result<(), AppError> {
    let client = shell.clients.write().await.remove(&account_id);
    match client {
        Some(c) => c
            .sign_out(shell.secrets.as_ref())
            .await
            .map_err(AppError::from),
        None => Err(AppError::new(ErrorCode::InvalidInput, "Not signed in.")),
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    pub rows: Vec<Conversation>,
    pub counts: ViewCounts,
}

/// A page of a view, from the cache.
#[tauri::command]
#[specta::specta]
pub async fn inbox(
    shell: State<'_, Shell>,
    account_id: String,
    view: InboxView,
    sort: InboxSort,
    offset: u32,
    limit: u32,
) -> Result<InboxPage, AppError> {
    let c = shell.client(&account_id).await?;
    let rows = c
        .inbox(InboxQuery {
            view,
            sort,
            offset,
            limit: limit.min(500),
        })
        .await?;
    let counts = c.counts().await?;
    Ok(InboxPage { rows, counts })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    pub conversation: Conversation,
    /// The newest messages, oldest first.
    pub messages: Vec<Message>,
    pub draft: Option<String>,
    pub customer: Option<Contact>,
}

/// Open a conversation: its newest messages (history fetched if the cache has little), its
/// draft, its customer; marks it read and follows typing.
#[tauri::command]
#[specta::specta]
pub async fn open_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<ConversationDetail, AppError> {
    let c = shell.client(&account_id).await?;
    let conversation = c.conversation(&conversation_id).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            "That conversation is not in the cache.",
        )
    })?;
    let messages = c.timeline(&conversation_id, None, 50).await?;
    let draft = c.draft(&conversation_id).await?;
    let customer = match &conversation.customer_id {
        Some(u) => c.contact(u).await?,
        None => None,
    };
    c.watch_typing(&conversation_id).await;
    c.mark_read(&conversation_id).await?;
    Ok(ConversationDetail {
        conversation,
        messages,
        draft,
        customer,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn close_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    c.unwatch_typing(&conversation_id).await;
    Ok(())
}

/// Older messages than (`before_at`, `before_key`), oldest first.
#[tauri::command]
#[specta::specta]
pub async fn older_messages(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    before_at: f64,
    before_key: String,
    limit: u32,
) -> Result<Vec<Message>, AppError> {
    let c = shell.client(&account_id).await?;
    #[allow(clippy::cast_possible_truncation)]
    let before = Some((before_at as i64, before_key));
    Ok(c.timeline(&conversation_id, before, limit.min(200)).await?)
}

/// Queue a reply (HTML when `html`); it shows at once and is sent exactly once.
#[tauri::command]
#[specta::specta]
pub async fn send_message(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    text: String,
    html: bool,
) -> Result<String, AppError> {
    let c = shell.client(&account_id).await?;
    let content_type = if html { 3 } else { 0 };
    Ok(
        c.send_text(&conversation_id, &text, content_type, Default::default())
            .await?,
    )
}

#[tauri::command]
#[specta::specta]
pub async fn set_draft(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    text: String,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.set_draft(&conversation_id, &text).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_status(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    status: ConversationStatus,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.set_status(&conversation_id, status).await?)
}

/// Assign to an agent (the platform's answer text on success).
#[tauri::command]
#[specta::specta]
pub async fn assign(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    assignee: String,
) -> Result<String, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.assign(&conversation_id, &assignee).await?)
}

/// Full-text search over cached messages, newest first.
#[tauri::command]
#[specta::specta]
pub async fn search(
    shell: State<'_, Shell>,
    account_id: String,
    terms: String,
    limit: u32,
) -> Result<Vec<SearchHit>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.search(&terms, limit.min(200)).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_typing(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    typing: bool,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    c.send_typing(&conversation_id, typing).await;
    Ok(())
}

/// Open a link from a message in the system browser, after a click. Only http(s) and mailto
/// links; everything else (javascript:, file:, data:, custom schemes) is refused.
#[tauri::command]
#[specta::specta]
pub fn open_external(app: AppHandle, url: String) -> Result<(), AppError> {
    use tauri_plugin_opener::OpenerExt;
    let parsed = url::Url::parse(url.trim())
        .map_err(|_| AppError::invalid_field("url", "That link is not a valid address."))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        log::warn!("refused to open a {} link", parsed.scheme());
        return Err(AppError::invalid_field(
            "url",
            "Parley only opens web and e-mail links.",
        ));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("Could not open the link: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_every_preset_is_offered_and_only_custom_lacks_endpoints() {
        let p = presets();
        assert_eq!(p.len(), ServerPreset::ALL.len());
        for info in &p {
            assert_eq!(
                info.endpoints.is_none(),
                info.preset == ServerPreset::Custom
            );
        }
        let cloud = p
            .iter()
            .find(|i| i.preset == ServerPreset::KommunicateCloud)
            .unwrap();
        assert!(cloud.unencrypted_broker);
    }

    #[test]
    fn test_build_rs_permissions_match_registered_commands() {
        let build_rs = include_str!("../build.rs");
        for c in COMMANDS {
            assert!(
                build_rs.contains(&format!("\"{c}\"")),
                "{c} missing in build.rs"
            );
        }
        let caps = include_str!("../capabilities/main-window.json");
        for c in COMMANDS {
            let perm = format!("allow-{}", c.replace('_', "-"));
            assert!(caps.contains(&perm), "{perm} missing in capabilities");
        }
        let lib = include_str!("lib.rs");
        for c in COMMANDS {
            assert!(
                lib.contains(&format!("commands::{c},")),
                "{c} missing in specta_builder"
            );
        }
    }
}
