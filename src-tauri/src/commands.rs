//! IPC commands. Each one: parse input (serde does it), one core call, typed error out.

use parley_core::model::ConnectionState;
use parley_core::model::{
    Agent, Contact, Conversation, ConversationStatus, InboxSort, InboxView, Message,
};
use parley_core::server::broker_is_unencrypted_remote;
use parley_core::store::{InboxQuery, SearchHit, Store, ViewCounts};
use parley_core::{AppError, Endpoints, ErrorCode, Platform, ServerPreset, SignInForm, SignInPlan};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use crate::settings::{AgentAvailability, AppSettings};
use crate::shell::{Shell, UploadProgress};
use crate::Launch;

/// The commands registered in `build.rs` (for permissions) and in `specta_builder`.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "check_sign_in",
    "ui_ready",
    "ui_rendered",
    "sign_in",
    "sign_in_wapikit",
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
    "unified_inbox",
    "unified_search",
    "find_conversations",
    "set_typing",
    "close_conversation",
    "open_external",
    "agents",
    "settings",
    "save_settings",
    "set_availability",
    "pick_and_send_files",
    "send_attachment",
    "attachment_preview",
    "open_attachment",
    "groups",
    "refresh_group",
    "create_group",
    "update_group",
    "upload_image",
    "image_preview",
    "add_group_member",
    "remove_group_member",
    "set_member_role",
    "leave_group",
    "delete_group",
    "mute_conversation",
    "open_groups",
    "join_group",
    "contact_list",
    "edit_contact_list",
    "search_people",
    "contact_profile",
    "update_contact",
    "set_blocked",
    "start_conversation",
    "send_rich",
    "delete_message",
    "message_info",
    "canned_responses",
    "save_canned_response",
    "delete_canned_response",
    "storage_info",
    "clear_cache",
    "open_logs_folder",
    "remote_image",
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
    /// WapiKit's API on the local sandbox: the WhatsApp sign-in's default address.
    pub wapikit_sandbox_url: String,
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
    launch.mark("the page's first call (app_info)");
    AppInfo {
        name: "Parley".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        presets: presets(),
        wapikit_sandbox_url: format!("{}/api", parley_core::server::SANDBOX_HTTP),
        theme_override: launch.theme,
    }
}

/// Validate the sign-in form and resolve where it would connect, without network traffic.
#[tauri::command]
#[specta::specta]
pub fn check_sign_in(form: SignInForm) -> Result<SignInPlan, AppError> {
    form.validate().map(|v| v.plan())
}

/// A start-up milestone on the page's side: what happened and when (milliseconds since
/// 1970, `performance.timeOrigin + performance.now()`).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PageMark {
    pub name: String,
    pub at: f64,
}

/// Page marks logged at most (the page sends a handful).
const PAGE_MARKS_MAX: usize = 32;

/// Called by the UI once its first screen is painted, with the page's own start-up
/// milestones (logged as "startup: page … at N ms", N since the process started): the
/// resumed accounts connect and catch up from now on. Returns milliseconds since launch.
#[tauri::command]
#[specta::specta]
pub fn ui_ready(shell: State<'_, Shell>, launch: State<'_, Launch>, marks: Vec<PageMark>) -> u32 {
    shell.first_screen_painted();
    let ms = u32::try_from(launch.started.elapsed().as_millis()).unwrap_or(u32::MAX);
    for (name, at) in launch.page_marks(&marks, PAGE_MARKS_MAX) {
        log::info!("startup: page {name} at {at} ms");
    }
    log::info!("first screen painted {ms} ms after launch");
    if let Some(path) = &launch.ready_file {
        if let Err(e) = std::fs::write(path, ms.to_string()) {
            log::warn!("could not write ready file {}: {e}", path.display());
        }
    }
    ms
}

/// Called by the UI once its first screen (the cached inbox, the sign-in form, a start-up
/// error) is in the page, before it is painted: the window, created hidden, is shown now
/// (see `FirstShow`), so neither the page's loading nor its IPC waits on the first draw.
#[tauri::command]
#[specta::specta]
pub fn ui_rendered(app: AppHandle, show: State<'_, crate::FirstShow>) {
    show.show(&app, "window shown (first screen rendered)");
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
    /// Where the account lives (the UI only shows it as a badge).
    pub platform: Platform,
    /// What the platform offers (the UI shows only that).
    pub features: parley_core::server::PlatformFeatures,
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
        platform: a.platform,
        features: a.platform.features(),
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
    start_signed_in(&app, &shell, signed).await
}

/// Sign in to WapiKit (WhatsApp) with an API key: the key goes to the keyring, the account
/// syncs like any other and its conversations join the inbox.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_wapikit(
    app: AppHandle,
    shell: State<'_, Shell>,
    form: parley_core::WapiKitSignInForm,
) -> Result<AccountSummary, AppError> {
    let valid = form.validate()?;
    let signed = parley_client::sign_in_wapikit(
        &shell.http,
        &valid.url,
        valid.api_key,
        shell.secrets.clone(),
    )
    .await
    .inspect_err(|e| log::warn!("WapiKit sign-in failed: {e}"))
    .map_err(|e| {
        let mut err = e.to_app_error();
        if matches!(e, parley_client::ClientError::ApiKeyRejected { .. }) {
            err.field = Some("apiKey".into());
        }
        err
    })?;
    start_signed_in(&app, &shell, signed).await
}

/// Replace an older client of the same account, remember the account, start syncing.
async fn start_signed_in(
    app: &AppHandle,
    shell: &Shell,
    signed: parley_client::SignedIn,
) -> Result<AccountSummary, AppError> {
    if let Some(old) = shell.clients.write().await.remove(&signed.account.id) {
        old.stop().await;
    }
    parley_client::remember_account(shell.store.as_ref(), &signed.account).await?;
    let client = shell
        .start_client(app, signed.account, signed.session)
        .await?;
    Ok(summary(&client))
}

#[tauri::command]
#[specta::specta]
pub async fn accounts(
    shell: State<'_, Shell>,
    launch: State<'_, Launch>,
) -> Result<Vec<AccountSummary>, AppError> {
    launch.mark("accounts asked");
    shell.wait_resumed(std::time::Duration::from_secs(10)).await;
    let clients = shell.clients.read().await;
    let mut v: Vec<AccountSummary> = clients.values().map(summary).collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(v)
}

/// `device/logout`, forget the secrets and this account's cache.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(
    app: AppHandle,
    shell: State<'_, Shell>,
    account_id: String,
) -> Result<(), AppError> {
    let client = shell.clients.write().await.remove(&account_id);
    match client {
        Some(c) => {
            shell.set_unread(&app, &account_id, None);
            c.sign_out(shell.secrets.as_ref())
                .await
                .map_err(AppError::from)
        }
        None => Err(AppError::new(ErrorCode::InvalidInput, "Not signed in.")),
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    pub rows: Vec<Conversation>,
    pub counts: ViewCounts,
    /// Messages waiting in the send queue.
    pub queued: u32,
}

/// A page of a view, from the cache.
#[tauri::command]
#[specta::specta]
pub async fn inbox(
    shell: State<'_, Shell>,
    launch: State<'_, Launch>,
    account_id: String,
    view: InboxView,
    sort: InboxSort,
    offset: u32,
    limit: u32,
) -> Result<InboxPage, AppError> {
    launch.mark("first inbox page asked");
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
    let queued = crate::shell::queued_len(&c.outbox().await?);
    launch.mark("first inbox page answered");
    Ok(InboxPage {
        rows,
        counts,
        queued,
    })
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

/// Messages a conversation opens with.
const OPEN_MESSAGES: u32 = 50;

/// Open a conversation, from the cache: its newest messages, its draft, its customer; marks
/// it read and follows typing. Older history, when the cache has little, and the read receipt
/// go over the network afterwards (`Client::open_conversation`): their changes arrive as
/// batches.
#[tauri::command]
#[specta::specta]
pub async fn open_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<ConversationDetail, AppError> {
    let c = shell.client(&account_id).await?;
    let opened = c
        .open_conversation(&conversation_id, OPEN_MESSAGES)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidInput,
                "That conversation is not in the cache.",
            )
        })?;
    Ok(ConversationDetail {
        conversation: opened.conversation,
        messages: opened.messages,
        draft: opened.draft,
        customer: opened.customer,
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

/// One row of the unified inbox: a conversation and the account it belongs to.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRow {
    pub account_id: String,
    pub platform: Platform,
    pub conversation: Conversation,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedPage {
    pub rows: Vec<UnifiedRow>,
    /// The chosen accounts' view counts, summed.
    pub counts: ViewCounts,
    /// Messages waiting in the chosen accounts' send queues.
    pub queued: u32,
    /// Each chosen account's own counts and queue (the window title, the queue indicator).
    pub accounts: Vec<AccountTotals>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountTotals {
    pub account_id: String,
    pub counts: ViewCounts,
    pub queued: u32,
}

/// A search hit of the unified inbox: the message, its conversation's title, its account.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedHit {
    pub account_id: String,
    pub platform: Platform,
    pub message: Message,
    pub conversation_title: String,
}

/// The signed-in accounts a unified view covers: those named in `accounts` (all when `None`)
/// on `platform` (any when `None`), by id. Naming an account that is not signed in is an error.
pub fn choose_accounts(
    signed_in: &[(String, Platform)],
    accounts: Option<&[String]>,
    platform: Option<Platform>,
) -> Result<Vec<(String, Platform)>, AppError> {
    if let Some(wanted) = accounts {
        if let Some(unknown) = wanted
            .iter()
            .find(|w| !signed_in.iter().any(|(id, _)| id == *w))
        {
            log::warn!("unified view asked for an account that is not signed in: {unknown}");
            return Err(AppError::new(
                ErrorCode::Unauthorized,
                "That account is not signed in on this computer.",
            ));
        }
    }
    let mut chosen: Vec<(String, Platform)> = signed_in
        .iter()
        .filter(|(id, p)| {
            accounts.is_none_or(|w| w.contains(id)) && platform.is_none_or(|want| want == *p)
        })
        .cloned()
        .collect();
    chosen.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(chosen)
}

/// View counts of several accounts, added up.
pub fn sum_counts(counts: impl IntoIterator<Item = ViewCounts>) -> ViewCounts {
    counts
        .into_iter()
        .fold(ViewCounts::default(), |a, c| ViewCounts {
            assigned_to_me: a.assigned_to_me + c.assigned_to_me,
            unassigned: a.unassigned + c.unassigned,
            all: a.all + c.all,
            closed: a.closed + c.closed,
            spam: a.spam + c.spam,
            unread: a.unread + c.unread,
        })
}

/// Every account's hits (each newest first) merged newest first (ties: message key, then
/// account, descending), at most `limit`.
pub fn merge_hits(mut hits: Vec<UnifiedHit>, limit: usize) -> Vec<UnifiedHit> {
    hits.sort_by(|a, b| {
        b.message
            .created_at
            .cmp(&a.message.created_at)
            .then_with(|| b.message.key.cmp(&a.message.key))
            .then_with(|| b.account_id.cmp(&a.account_id))
    });
    hits.truncate(limit);
    hits
}

async fn signed_in(shell: &Shell) -> Vec<(String, Platform)> {
    shell
        .clients
        .read()
        .await
        .values()
        .map(|c| (c.account().id.clone(), c.account().platform))
        .collect()
}

/// A page of a view over several signed-in accounts (all when `accounts` is `None`, narrowed
/// to one platform when `platform` is set), from the cache, each row with its account.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
pub async fn unified_inbox(
    shell: State<'_, Shell>,
    launch: State<'_, Launch>,
    view: InboxView,
    sort: InboxSort,
    offset: u32,
    limit: u32,
    accounts: Option<Vec<String>>,
    platform: Option<Platform>,
) -> Result<UnifiedPage, AppError> {
    launch.mark("first inbox page asked");
    let chosen = choose_accounts(&signed_in(&shell).await, accounts.as_deref(), platform)?;
    let ids: Vec<String> = chosen.iter().map(|(id, _)| id.clone()).collect();
    let rows = shell
        .store
        .inbox_across(
            &ids,
            InboxQuery {
                view,
                sort,
                offset,
                limit: limit.min(500),
            },
        )
        .await
        .map_err(parley_client::ClientError::from)?;
    let mut totals = Vec::with_capacity(ids.len());
    for id in &ids {
        let c = shell.client(id).await?;
        totals.push(AccountTotals {
            account_id: id.clone(),
            counts: c.counts().await?,
            queued: crate::shell::queued_len(&c.outbox().await?),
        });
    }
    launch.mark("first inbox page answered");
    let platform_of = |id: &str| {
        chosen
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, p)| *p)
            .unwrap_or_default()
    };
    Ok(UnifiedPage {
        rows: rows
            .into_iter()
            .map(|(account_id, conversation)| UnifiedRow {
                platform: platform_of(&account_id),
                account_id,
                conversation,
            })
            .collect(),
        counts: sum_counts(totals.iter().map(|t| t.counts)),
        queued: totals.iter().fold(0u32, |n, t| n.saturating_add(t.queued)),
        accounts: totals,
    })
}

/// Full-text search over the cached messages of several accounts, newest first.
#[tauri::command]
#[specta::specta]
pub async fn unified_search(
    shell: State<'_, Shell>,
    terms: String,
    limit: u32,
    accounts: Option<Vec<String>>,
    platform: Option<Platform>,
) -> Result<Vec<UnifiedHit>, AppError> {
    let limit = limit.min(200);
    let chosen = choose_accounts(&signed_in(&shell).await, accounts.as_deref(), platform)?;
    let mut hits = Vec::new();
    for (id, platform) in chosen {
        let c = shell.client(&id).await?;
        for h in c.search(&terms, limit).await? {
            hits.push(UnifiedHit {
                account_id: id.clone(),
                platform,
                message: h.message,
                conversation_title: h.conversation_title,
            });
        }
    }
    Ok(merge_hits(hits, limit as usize))
}

/// Cached conversations of every kind by title, customer id, name or e-mail (the command
/// palette); the newest when `terms` is empty.
#[tauri::command]
#[specta::specta]
pub async fn find_conversations(
    shell: State<'_, Shell>,
    account_id: String,
    terms: String,
    limit: u32,
) -> Result<Vec<Conversation>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.find_conversations(&terms, limit.min(200)).await?)
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

/// Agents a conversation can be assigned to.
#[tauri::command]
#[specta::specta]
pub async fn agents(shell: State<'_, Shell>, account_id: String) -> Result<Vec<Agent>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.agents().await?)
}

#[tauri::command]
#[specta::specta]
pub fn settings(shell: State<'_, Shell>) -> AppSettings {
    shell.current_settings()
}

#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    shell: State<'_, Shell>,
    mut settings: AppSettings,
) -> Result<(), AppError> {
    // The Dixa address is saved by `dixa_connect`; a settings screen holding an older copy
    // must not put the previous address back.
    settings.dixa_url = shell.current_settings().dixa_url;
    shell.apply_settings(settings).await
}

/// Online or away, on every account (the tray menu does the same).
#[tauri::command]
#[specta::specta]
pub async fn set_availability(
    shell: State<'_, Shell>,
    availability: AgentAvailability,
) -> Result<(), AppError> {
    shell.set_availability(availability).await
}

/// From the tray menu: set availability and tell the UI through a settings reload.
pub fn apply_availability(app: &AppHandle, availability: AgentAvailability) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = app.state::<Shell>().set_availability(availability).await {
            log::warn!("could not set availability: {}", e.message);
        }
    });
}

/// Upload `bytes` as `name` and queue a message carrying it, reporting progress.
async fn upload_and_send(
    app: &AppHandle,
    c: &crate::shell::AppClient,
    conversation_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<String, AppError> {
    use parley_core::files;
    let name = files::safe_file_name(name);
    files::check_upload(&name, bytes.len())?;
    let content_type = files::sniff_type(&bytes);
    let progress = UploadProgress {
        account_id: c.account().id.clone(),
        conversation_id: conversation_id.to_owned(),
        upload_id: uuid::Uuid::new_v4().to_string(),
        name: name.clone(),
        sent: 0,
        total: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        done: false,
        error: None,
    };
    let emit = {
        let app = app.clone();
        move |p: &UploadProgress| {
            let _ = tauri_specta::Event::emit(p, &app);
        }
    };
    emit(&progress);
    // At most one progress event per frame.
    let last = std::sync::Mutex::new(std::time::Instant::now());
    let on_progress = {
        let template = progress.clone();
        let emit = emit.clone();
        std::sync::Arc::new(move |sent: u64, total: u64| {
            let Ok(mut t) = last.lock() else { return };
            if sent < total && t.elapsed() < std::time::Duration::from_millis(16) {
                return;
            }
            *t = std::time::Instant::now();
            emit(&UploadProgress {
                sent: u32::try_from(sent).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
                ..template.clone()
            });
        }) as std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>
    };
    let result = c
        .send_file(
            conversation_id,
            &name,
            content_type,
            bytes.into(),
            "",
            Some(on_progress),
        )
        .await
        .map_err(AppError::from);
    emit(&UploadProgress {
        sent: progress.total,
        done: true,
        error: result.as_ref().err().map(|e| e.message.clone()),
        ..progress
    });
    if let Err(e) = &result {
        log::warn!("upload of a file failed: {}", e.message);
    }
    result
}

/// Choose files with the system dialog and send each one. Returns the queued messages' keys
/// (empty when the agent cancels). The UI never sees a path.
#[tauri::command]
#[specta::specta]
pub async fn pick_and_send_files(
    app: AppHandle,
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<Vec<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    let c = shell.client(&account_id).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Attach files")
        .pick_files(move |paths| {
            let _ = tx.send(paths);
        });
    let paths = rx.await.ok().flatten().unwrap_or_default();
    let mut keys = Vec::new();
    for p in paths {
        let path = p
            .into_path()
            .map_err(|e| AppError::invalid_field("file", format!("Not a local file: {e}")))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        parley_core::files::check_upload(&name, usize::try_from(len).unwrap_or(usize::MAX))?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| AppError::invalid_field("file", format!("Could not read {name}: {e}")))?;
        keys.push(upload_and_send(&app, &c, &conversation_id, &name, bytes).await?);
    }
    Ok(keys)
}

/// Send a file the agent dropped or pasted (its bytes, base64).
#[tauri::command]
#[specta::specta]
pub async fn send_attachment(
    app: AppHandle,
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    name: String,
    data_base64: String,
) -> Result<String, AppError> {
    use base64::Engine;
    let c = shell.client(&account_id).await?;
    if data_base64.len() > parley_core::files::MAX_UPLOAD / 3 * 4 + 8 {
        parley_core::files::check_upload(&name, data_base64.len() / 4 * 3)?;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| AppError::invalid_field("file", "That file could not be read."))?;
    upload_and_send(&app, &c, &conversation_id, &name, bytes).await
}

/// Largest image shown inline.
const MAX_PREVIEW: u64 = 10 * 1024 * 1024;

/// An image attachment as a `data:` URL (downloaded once into the attachment cache). Only
/// images whose content is a raster format are previewed.
#[tauri::command]
#[specta::specta]
pub async fn attachment_preview(
    shell: State<'_, Shell>,
    account_id: String,
    blob_key: String,
) -> Result<String, AppError> {
    let c = shell.client(&account_id).await?;
    preview_blob(&shell, &c, &blob_key).await
}

/// A cached (or downloaded) blob as a `data:` URL when its content is a raster image.
pub async fn preview_blob(
    shell: &Shell,
    c: &crate::shell::AppClient,
    blob_key: &str,
) -> Result<String, AppError> {
    use base64::Engine;
    let path = shell.attachments.fetch(c.rest()?, blob_key).await?;
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if len > MAX_PREVIEW {
        return Err(AppError::invalid_field(
            "file",
            "That image is too large to preview; open it instead.",
        ));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    let content_type = parley_core::files::sniff_type(&bytes);
    if !parley_core::files::is_inline_image(content_type) {
        return Err(AppError::invalid_field(
            "file",
            "That file is not an image Parley can show.",
        ));
    }
    Ok(format!(
        "data:{content_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Save an attachment in the Downloads folder (never overwriting a file; the name made safe)
/// and open it with the system's default app. Only after the agent clicks it.
#[tauri::command]
#[specta::specta]
pub async fn open_attachment(
    app: AppHandle,
    shell: State<'_, Shell>,
    account_id: String,
    blob_key: String,
    name: String,
) -> Result<String, AppError> {
    use tauri_plugin_opener::OpenerExt;
    let c = shell.client(&account_id).await?;
    let cached = shell.attachments.fetch(c.rest()?, &blob_key).await?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("No downloads folder: {e}")))?;
    let safe = parley_core::files::safe_file_name(&name);
    let unique = parley_core::files::unique_name(&safe, |n| dir.join(n).exists());
    let target = dir.join(unique);
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::copy(&cached, &target))
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("Could not save the file: {e}")))?;
    log::info!("attachment saved to {}", target.display());
    app.opener()
        .open_path(target.to_string_lossy(), None::<&str>)
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("Could not open the file: {e}")))?;
    Ok(target.to_string_lossy().into_owned())
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

    fn signed_in() -> Vec<(String, Platform)> {
        vec![
            ("k:bob".into(), Platform::Kommunicate),
            ("w:ann".into(), Platform::WapiKit),
            ("k:ada".into(), Platform::Kommunicate),
        ]
    }

    fn ids(v: &[(String, Platform)]) -> Vec<&str> {
        v.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn test_unified_view_covers_every_account_unless_narrowed_by_account_or_platform() {
        let all = choose_accounts(&signed_in(), None, None).unwrap();
        assert_eq!(ids(&all), ["k:ada", "k:bob", "w:ann"]);
        let whatsapp = choose_accounts(&signed_in(), None, Some(Platform::WapiKit)).unwrap();
        assert_eq!(ids(&whatsapp), ["w:ann"]);
        let one = choose_accounts(&signed_in(), Some(&["k:bob".into()]), None).unwrap();
        assert_eq!(ids(&one), ["k:bob"]);
        let both = choose_accounts(
            &signed_in(),
            Some(&["k:bob".into(), "w:ann".into()]),
            Some(Platform::Kommunicate),
        )
        .unwrap();
        assert_eq!(ids(&both), ["k:bob"]);
        assert!(choose_accounts(&signed_in(), Some(&[]), None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn test_unified_view_refuses_an_account_that_is_not_signed_in() {
        let e = choose_accounts(&signed_in(), Some(&["k:ada".into(), "k:gone".into()]), None)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthorized);
    }

    #[test]
    fn test_unified_counts_add_up_every_view() {
        let a = ViewCounts {
            assigned_to_me: 1,
            unassigned: 2,
            all: 3,
            closed: 4,
            spam: 5,
            unread: 6,
        };
        let b = ViewCounts {
            assigned_to_me: 10,
            unassigned: 20,
            all: 30,
            closed: 40,
            spam: 50,
            unread: 60,
        };
        let sum = sum_counts([a, b]);
        assert_eq!(
            sum,
            ViewCounts {
                assigned_to_me: 11,
                unassigned: 22,
                all: 33,
                closed: 44,
                spam: 55,
                unread: 66,
            }
        );
        assert_eq!(sum_counts([]), ViewCounts::default());
    }

    fn hit(account: &str, key: &str, at: i64) -> UnifiedHit {
        UnifiedHit {
            account_id: account.into(),
            platform: Platform::Kommunicate,
            message: Message {
                key: key.into(),
                conversation_id: "g:1".into(),
                sender_id: "c".into(),
                created_at: at,
                text: "refund".into(),
                content_type: 0,
                metadata: Default::default(),
                attachment: None,
                direction: parley_core::model::Direction::Incoming,
                state: parley_core::model::DeliveryState::Delivered,
                client_key: None,
            },
            conversation_title: "T".into(),
        }
    }

    #[test]
    fn test_unified_search_merges_hits_of_every_account_newest_first_up_to_the_limit() {
        let merged = merge_hits(
            vec![
                hit("a", "a1", 300),
                hit("a", "a2", 100),
                hit("b", "b1", 400),
                hit("b", "b2", 200),
                hit("b", "b0", 100),
            ],
            4,
        );
        let got: Vec<(&str, &str)> = merged
            .iter()
            .map(|h| (h.account_id.as_str(), h.message.key.as_str()))
            .collect();
        assert_eq!(got, [("b", "b1"), ("a", "a1"), ("b", "b2"), ("b", "b0")]);
    }

    #[test]
    fn test_ui_metadata_keys_are_the_models() {
        let ts = include_str!("../../ui/src/lib/metadataKeys.ts");
        for (name, key) in [
            ("ASSIGNEE_NAME", parley_core::model::keys::ASSIGNEE_NAME),
            ("TAGS", parley_core::model::keys::TAGS),
        ] {
            assert!(
                ts.contains(&format!("export const {name} = \"{key}\";")),
                "ui/src/lib/metadataKeys.ts: {name} should be {key:?}"
            );
        }
    }

    #[test]
    fn test_build_rs_permissions_match_registered_commands() {
        let build_rs = include_str!("../build.rs");
        let all = || COMMANDS.iter().chain(crate::commands_dixa::COMMANDS);
        for c in all() {
            assert!(
                build_rs.contains(&format!("\"{c}\"")),
                "{c} missing in build.rs"
            );
        }
        let caps = include_str!("../capabilities/main-window.json");
        for c in all() {
            let perm = format!("allow-{}", c.replace('_', "-"));
            assert!(caps.contains(&perm), "{perm} missing in capabilities");
        }
        let lib = include_str!("lib.rs");
        for c in all() {
            assert!(
                lib.contains(&format!("commands::{c},"))
                    || lib.contains(&format!("commands_people::{c},"))
                    || lib.contains(&format!("commands_dixa::{c},")),
                "{c} missing in specta_builder"
            );
        }
    }
}
