//! The app's commands are declared here so Tauri generates an `allow-<command>` permission
//! for each; a command is then only callable where a capability grants it
//! (`capabilities/main-window.json`).

/// Every command the UI may call. Keep in sync with `commands::COMMANDS` (a test checks).
const COMMANDS: &[&str] = &[
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
    "agents",
    "settings",
    "save_settings",
    "set_availability",
    "pick_and_send_files",
    "send_attachment",
    "attachment_preview",
    "open_attachment",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
