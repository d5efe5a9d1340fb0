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

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
