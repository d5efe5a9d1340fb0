//! Native notifications for the core's notification intents (tauri-plugin-notification:
//! D-Bus `Notify` on Linux, Notification Center on macOS, toasts on Windows).

use parley_core::notify::NotificationIntent;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub fn show(app: &AppHandle, n: &NotificationIntent) {
    let result = app
        .notification()
        .builder()
        .title(&n.title)
        .body(&n.body)
        .show();
    match result {
        Ok(()) => log::info!("notified: {:?} in {}", n.kind, n.conversation_id),
        Err(e) => log::warn!("could not show a notification: {e}"),
    }
}
