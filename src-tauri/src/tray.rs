//! The tray icon: the unread count, and a menu to open Parley, set availability and quit.
//! The same count goes into the window title.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::settings::AgentAvailability;

pub struct Tray {
    icon: Option<TrayIcon>,
    online: Option<CheckMenuItem<Wry>>,
    away: Option<CheckMenuItem<Wry>>,
}

/// "Parley" or "Parley (3)".
pub fn title_for(unread: i64) -> String {
    if unread > 0 {
        format!("Parley ({unread})")
    } else {
        "Parley".to_owned()
    }
}

/// The count in the window title, and on the dock / launcher icon where the OS has a badge
/// (macOS; Linux desktops with the Unity launcher API). Windows has no badge for this.
pub fn set_window_unread(app: &AppHandle, unread: i64) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&title_for(unread));
        #[cfg(not(windows))]
        let _ = w.set_badge_count((unread > 0).then_some(unread));
    }
}

pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

impl Tray {
    /// Build the tray. Where the desktop has no tray (or no indicator library), Parley runs
    /// without one: the title still carries the count.
    pub fn build(app: &AppHandle, availability: AgentAvailability) -> Self {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Self::try_build(app, availability)
        })) {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                log::warn!("no tray icon: {e}");
                Self::none()
            }
            Err(_) => {
                log::warn!("no tray icon: the system tray library is missing");
                Self::none()
            }
        }
    }

    fn none() -> Self {
        Self {
            icon: None,
            online: None,
            away: None,
        }
    }

    fn try_build(app: &AppHandle, availability: AgentAvailability) -> tauri::Result<Self> {
        let open = MenuItem::with_id(app, "open", "Open Parley", true, None::<&str>)?;
        let online = CheckMenuItem::with_id(
            app,
            "online",
            "Online",
            true,
            availability == AgentAvailability::Online,
            None::<&str>,
        )?;
        let away = CheckMenuItem::with_id(
            app,
            "away",
            "Away",
            true,
            availability == AgentAvailability::Away,
            None::<&str>,
        )?;
        let quit = MenuItem::with_id(app, "quit", "Quit Parley", true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &open,
                &PredefinedMenuItem::separator(app)?,
                &online,
                &away,
                &PredefinedMenuItem::separator(app)?,
                &quit,
            ],
        )?;
        let mut builder = TrayIconBuilder::with_id("main")
            .tooltip("Parley")
            .menu(&menu)
            .show_menu_on_left_click(false)
            .on_menu_event(|app, event| match event.id.as_ref() {
                "open" => show_main_window(app),
                "online" => crate::commands::apply_availability(app, AgentAvailability::Online),
                "away" => crate::commands::apply_availability(app, AgentAvailability::Away),
                "quit" => {
                    let app = app.clone();
                    tauri::async_runtime::spawn(async move {
                        app.state::<crate::shell::Shell>().stop_all().await;
                        app.exit(0);
                    });
                }
                _ => {}
            })
            .on_tray_icon_event(|tray, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    show_main_window(tray.app_handle());
                }
            });
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        let icon = builder.build(app)?;
        Ok(Self {
            icon: Some(icon),
            online: Some(online),
            away: Some(away),
        })
    }

    pub fn set_availability(&self, a: AgentAvailability) {
        if let (Some(on), Some(away)) = (&self.online, &self.away) {
            let _ = on.set_checked(a == AgentAvailability::Online);
            let _ = away.set_checked(a == AgentAvailability::Away);
        }
    }

    /// The unread count on the tray (tooltip; a label beside the icon on Linux) and in the
    /// window title.
    pub fn set_unread(&self, app: &AppHandle, unread: i64) {
        set_window_unread(app, unread);
        if let Some(icon) = &self.icon {
            let tip = if unread > 0 {
                format!("Parley: {unread} unread")
            } else {
                "Parley: nothing unread".to_owned()
            };
            let _ = icon.set_tooltip(Some(&tip));
            let label = (unread > 0).then(|| unread.to_string());
            let _ = icon.set_title(label.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_title_carries_the_unread_count_only_when_there_is_one() {
        assert_eq!(title_for(0), "Parley");
        assert_eq!(title_for(3), "Parley (3)");
    }
}
