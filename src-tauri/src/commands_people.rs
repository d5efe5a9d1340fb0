//! IPC for groups, contacts, rich sending, message actions and canned responses. Same rule as
//! `commands.rs`: parse, one core call, typed error.

use parley_core::model::{Contact, Conversation, Metadata, Role};
use parley_core::people::{
    ContactProfile, ContactUpdate, GroupForm, GroupUpdate, NewConversationForm, RecipientState,
};
use parley_core::store::CannedResponse;
use parley_core::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::shell::Shell;

/// Groups (not support conversations) from the cache.
#[tauri::command]
#[specta::specta]
pub async fn groups(
    shell: State<'_, Shell>,
    account_id: String,
) -> Result<Vec<Conversation>, AppError> {
    Ok(shell.client(&account_id).await?.groups().await?)
}

/// A group read back from the server (members, roles, metadata) into the cache.
#[tauri::command]
#[specta::specta]
pub async fn refresh_group(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.refresh_group(&conversation_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn create_group(
    shell: State<'_, Shell>,
    account_id: String,
    form: GroupForm,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.create_group(&form).await?)
}

/// Rename, change the image, merge metadata.
#[tauri::command]
#[specta::specta]
pub async fn update_group(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    update: GroupUpdate,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.update_group(&conversation_id, &update).await?)
}

/// Upload an image (bytes as base64) for a group or a profile; its URL. Only raster images.
#[tauri::command]
#[specta::specta]
pub async fn upload_image(
    shell: State<'_, Shell>,
    account_id: String,
    name: String,
    data_base64: String,
) -> Result<String, AppError> {
    use base64::Engine;
    const MAX_IMAGE: usize = 5 * 1024 * 1024;
    let c = shell.client(&account_id).await?;
    if data_base64.len() > MAX_IMAGE / 3 * 4 + 8 {
        return Err(AppError::invalid_field(
            "image",
            "An image is at most 5 MB.",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| AppError::invalid_field("image", "That image could not be read."))?;
    let content_type = parley_core::files::sniff_type(&bytes);
    if !parley_core::files::is_inline_image(content_type) {
        return Err(AppError::invalid_field(
            "image",
            "Choose a PNG, JPEG, GIF or WebP image.",
        ));
    }
    let name = parley_core::files::safe_file_name(&name);
    Ok(c.upload_image(&name, content_type, bytes.into()).await?)
}

/// A group or profile image as a `data:` URL, when it is stored on the account's own server
/// (remote addresses are not fetched: no tracking, no mixed content).
#[tauri::command]
#[specta::specta]
pub async fn image_preview(
    shell: State<'_, Shell>,
    account_id: String,
    url: String,
) -> Result<String, AppError> {
    let c = shell.client(&account_id).await?;
    let prefix = format!("{}/rest/ws/aws/file/", c.account().endpoints.chat);
    let blob = url
        .strip_prefix(&prefix)
        .filter(|b| !b.is_empty() && !b.contains(['/', '?', '#']))
        .ok_or_else(|| {
            AppError::invalid_field("url", "Images from other servers are not loaded.")
        })?;
    crate::commands::preview_blob(&shell, &c, blob).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_group_member(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    user_id: String,
    role: Role,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.add_group_member(&conversation_id, &user_id, role).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_group_member(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    user_id: String,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.remove_group_member(&conversation_id, &user_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_member_role(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    user_id: String,
    role: Role,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.set_member_role(&conversation_id, &user_id, role).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn leave_group(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.leave_group(&conversation_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_group(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.delete_group(&conversation_id).await?)
}

/// Mute a conversation until a time (ms since 1970), or unmute (`None`).
#[tauri::command]
#[specta::specta]
pub async fn mute_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    until: Option<f64>,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    #[allow(clippy::cast_possible_truncation)]
    let until = until
        .filter(|t| t.is_finite() && *t > 0.0)
        .map(|t| t as i64);
    Ok(c.mute(&conversation_id, until).await?)
}

/// Open groups anyone may join (from the server).
#[tauri::command]
#[specta::specta]
pub async fn open_groups(
    shell: State<'_, Shell>,
    account_id: String,
) -> Result<Vec<Conversation>, AppError> {
    Ok(shell.client(&account_id).await?.open_groups().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn join_group(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.join_group(&conversation_id).await?)
}

/// The people on one of the agent's contact lists (e.g. "friends", "favourites").
#[tauri::command]
#[specta::specta]
pub async fn contact_list(
    shell: State<'_, Shell>,
    account_id: String,
    name: String,
) -> Result<Vec<Contact>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.contact_list(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn edit_contact_list(
    shell: State<'_, Shell>,
    account_id: String,
    name: String,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Vec<Contact>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.edit_contact_list(&name, &add, &remove).await?)
}

/// People by name, e-mail, phone or id (member pickers).
#[tauri::command]
#[specta::specta]
pub async fn search_people(
    shell: State<'_, Shell>,
    account_id: String,
    terms: String,
    limit: u32,
) -> Result<Vec<Contact>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.search_people(&terms, limit).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn contact_profile(
    shell: State<'_, Shell>,
    account_id: String,
    user_id: String,
) -> Result<ContactProfile, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.contact_profile(&user_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_contact(
    shell: State<'_, Shell>,
    account_id: String,
    user_id: String,
    update: ContactUpdate,
) -> Result<Contact, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.update_contact(&user_id, &update).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_blocked(
    shell: State<'_, Shell>,
    account_id: String,
    user_id: String,
    blocked: bool,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.set_blocked(&user_id, blocked).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn start_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    form: NewConversationForm,
) -> Result<Conversation, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.start_conversation(&form).await?)
}

/// Queue a message with a content type (0 text, 3 HTML) and metadata: rich messages
/// (`contentType` "300", `templateId`, `payload` as a JSON string), hidden notes, custom keys.
#[tauri::command]
#[specta::specta]
pub async fn send_rich(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    text: String,
    content_type: i32,
    metadata: Metadata,
) -> Result<String, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(
        c.send_rich(&conversation_id, &text, i64::from(content_type), metadata)
            .await?,
    )
}

/// Delete a message for the agent, or for everyone (where the platform allows).
#[tauri::command]
#[specta::specta]
pub async fn delete_message(
    shell: State<'_, Shell>,
    account_id: String,
    key: String,
    for_everyone: bool,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.delete_message(&key, for_everyone).await?)
}

/// Delivered and read per recipient.
#[tauri::command]
#[specta::specta]
pub async fn message_info(
    shell: State<'_, Shell>,
    account_id: String,
    key: String,
) -> Result<Vec<RecipientState>, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.message_info(&key).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn canned_responses(
    shell: State<'_, Shell>,
    account_id: String,
) -> Result<Vec<CannedResponse>, AppError> {
    Ok(shell.client(&account_id).await?.canned_responses().await?)
}

/// A canned response as the editor sends it (`id` null: a new one).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CannedForm {
    pub id: Option<String>,
    pub shortcut: String,
    pub text: String,
}

#[tauri::command]
#[specta::specta]
pub async fn save_canned_response(
    shell: State<'_, Shell>,
    account_id: String,
    form: CannedForm,
) -> Result<CannedResponse, AppError> {
    let c = shell.client(&account_id).await?;
    Ok(
        c.save_canned_response(form.id.as_deref(), &form.shortcut, &form.text)
            .await?,
    )
}

#[tauri::command]
#[specta::specta]
pub async fn delete_canned_response(
    shell: State<'_, Shell>,
    account_id: String,
    id: String,
) -> Result<(), AppError> {
    let c = shell.client(&account_id).await?;
    Ok(c.delete_canned_response(&id).await?)
}

/// Sizes for the settings screen's "storage" and "about" sections.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StorageInfo {
    pub database_bytes: f64,
    pub attachments_bytes: f64,
    pub logs_dir: String,
    pub data_dir: String,
    pub version: String,
}

#[tauri::command]
#[specta::specta]
pub async fn storage_info(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
) -> Result<StorageInfo, AppError> {
    use tauri::Manager;
    let data_dir = app
        .path()
        .app_data_dir()
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    let logs_dir = app
        .path()
        .app_log_dir()
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    let database_bytes = std::fs::read_dir(&data_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("parley.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    Ok(StorageInfo {
        database_bytes: database_bytes as f64,
        attachments_bytes: shell.attachments.size() as f64,
        logs_dir: logs_dir.to_string_lossy().into_owned(),
        data_dir: data_dir.to_string_lossy().into_owned(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Empty the attachment cache and refetch every account's conversations (the send queue,
/// drafts and canned responses are kept).
#[tauri::command]
#[specta::specta]
pub async fn clear_cache(shell: State<'_, Shell>) -> Result<(), AppError> {
    shell.attachments.clear();
    let clients: Vec<_> = shell.clients.read().await.values().cloned().collect();
    for c in clients {
        c.clear_cache().await?;
    }
    log::info!("cache cleared by the agent");
    Ok(())
}

/// Open the logs folder in the file manager.
#[tauri::command]
#[specta::specta]
pub fn open_logs_folder(app: tauri::AppHandle) -> Result<(), AppError> {
    use tauri::Manager;
    use tauri_plugin_opener::OpenerExt;
    let dir = app
        .path()
        .app_log_dir()
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    let _ = std::fs::create_dir_all(&dir);
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                ErrorCode::Internal,
                format!("Could not open the folder: {e}"),
            )
        })
}

/// Largest remote image Parley loads.
const MAX_REMOTE_IMAGE: usize = 5 * 1024 * 1024;

/// An image from the web (a rich card's picture, an external thumbnail) as a `data:` URL,
/// loaded only when the agent asks for it: the webview never contacts other servers itself
/// (no tracking pixels, no mixed content, a strict CSP). http(s) only, no credentials in the
/// address, no cookies sent, 5 MB at most, raster images only (no SVG).
#[tauri::command]
#[specta::specta]
pub async fn remote_image(shell: State<'_, Shell>, url: String) -> Result<String, AppError> {
    use base64::Engine;
    let bad = || AppError::invalid_field("url", "That is not an image address Parley loads.");
    let parsed = url::Url::parse(url.trim()).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.host_str().is_none()
    {
        return Err(bad());
    }
    let unreachable = |e: reqwest::Error| {
        log::info!("remote image not loaded: {e}");
        AppError::new(ErrorCode::Unreachable, "The image could not be loaded.")
    };
    let mut resp = shell
        .http
        .get(parsed.as_str())
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await
        .map_err(unreachable)?;
    if !resp.status().is_success() {
        return Err(AppError::new(
            ErrorCode::BadResponse,
            format!("The image server answered {}.", resp.status().as_u16()),
        ));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_REMOTE_IMAGE as u64)
    {
        return Err(AppError::invalid_field(
            "url",
            "That image is larger than 5 MB.",
        ));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
        if bytes.len() + chunk.len() > MAX_REMOTE_IMAGE {
            return Err(AppError::invalid_field(
                "url",
                "That image is larger than 5 MB.",
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let content_type = parley_core::files::sniff_type(&bytes);
    if !parley_core::files::is_inline_image(content_type) {
        return Err(AppError::invalid_field(
            "url",
            "That address is not a PNG, JPEG, GIF or WebP image.",
        ));
    }
    Ok(format!(
        "data:{content_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}
