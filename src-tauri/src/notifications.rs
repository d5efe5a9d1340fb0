//! Native notifications for the core's notification intents. Clicking one brings the window
//! forward on its conversation.
//!
//! - Linux and the BSDs: straight over D-Bus (`org.freedesktop.Notifications.Notify`, via
//!   notify-rust, the library tauri-plugin-notification uses there) so Parley hears the
//!   `ActionInvoked` signal of the click; one notification per conversation, replaced by the
//!   next one for the same conversation.
//! - macOS and Windows: tauri-plugin-notification (Notification Center, toasts); a click
//!   brings Parley forward.

use parley_core::notify::NotificationIntent;
use tauri::AppHandle;

use crate::shell::OpenConversation;

/// Bring the window forward on the notification's conversation.
pub fn open_target(app: &AppHandle, n: &NotificationIntent) {
    crate::tray::show_main_window(app);
    let target = OpenConversation {
        account_id: n.account_id.clone(),
        conversation_id: n.conversation_id.clone(),
    };
    if let Err(e) = tauri_specta::Event::emit(&target, app) {
        log::warn!("could not ask the UI to open a conversation: {e}");
    }
}

/// Notification servers may read the body as markup: customer text is escaped.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(all(unix, not(target_os = "macos")))]
pub fn show(app: &AppHandle, n: &NotificationIntent, sound: Option<&str>) {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use notify_rust::{Hint, Notification, Timeout};

    // Conversation → the id of its notification, so a newer one replaces it.
    static IDS: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    let key = format!("{}/{}", n.account_id, n.conversation_id);
    let previous = IDS
        .get_or_init(Default::default)
        .lock()
        .ok()
        .and_then(|m| m.get(&key).copied());

    let mut note = Notification::new();
    note.appname("Parley")
        .summary(&n.title)
        .body(&escape_markup(&n.body))
        .icon("io.parley.desktop")
        .action("default", "Open")
        .hint(Hint::Category("im.received".into()))
        .hint(Hint::DesktopEntry("parley".into()))
        .timeout(Timeout::Default);
    if let Some(name) = sound {
        note.sound_name(name);
    }
    if let Some(id) = previous {
        note.id(id);
    }
    let app = app.clone();
    let n = n.clone();
    // The D-Bus call blocks; waiting for the click blocks until the notification closes.
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || match note.show() {
            Ok(handle) => {
                log::info!("notified: {:?} in {}", n.kind, n.conversation_id);
                if let Ok(mut m) = IDS.get_or_init(Default::default).lock() {
                    m.insert(key, handle.id());
                }
                handle.wait_for_action(|action| {
                    if action == "default" || action == "Open" {
                        log::info!("notification clicked: opening {}", n.conversation_id);
                        open_target(&app, &n);
                    }
                });
            }
            Err(e) => log::warn!("could not show a notification: {e}"),
        });
    if let Err(e) = spawned {
        log::warn!("could not show a notification: {e}");
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn show(app: &AppHandle, n: &NotificationIntent, sound: Option<&str>) {
    use tauri_plugin_notification::NotificationExt;
    let mut b = app.notification().builder().title(&n.title).body(&n.body);
    if let Some(name) = sound {
        // The nearest system sound to the freedesktop name chosen in settings.
        let mac = match name {
            "bell" => "Glass",
            "complete" => "Hero",
            "dialog-information" => "Pop",
            _ => "Ping",
        };
        b = b.sound(if cfg!(target_os = "macos") {
            mac
        } else {
            "Default"
        });
    }
    match b.show() {
        Ok(()) => log::info!("notified: {:?} in {}", n.kind, n.conversation_id),
        Err(e) => log::warn!("could not show a notification: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_customer_text_cannot_inject_notification_markup() {
        assert_eq!(
            escape_markup("<a href='x'>hi</a> & <b>"),
            "&lt;a href='x'&gt;hi&lt;/a&gt; &amp; &lt;b&gt;"
        );
    }
}
