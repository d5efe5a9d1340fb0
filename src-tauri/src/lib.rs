//! The Tauri shell. Thin on purpose: each command parses its input, makes one call into the
//! core crates and maps the result to `Result<T, AppError>` (`{code, message, field}` in the UI).

pub mod commands;
pub mod commands_dixa;
pub mod commands_people;
mod logging;
mod notifications;
pub mod settings;
pub mod shell;
mod tray;
mod window_state;

use std::time::Instant;

use tauri::Manager;
use tauri_plugin_window_state::StateFlags;

/// Every command the UI can call, registered once for both the invoke handler and the
/// TypeScript bindings generator (`ui/src/lib/ipc/bindings.ts`).
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // One TypeScript type per Rust type (our IPC types serialize and deserialize alike).
        .disable_serde_phases()
        // Times are milliseconds since 1970 and ids are small: both fit a JS number.
        .dangerously_cast_bigints_to_number()
        .commands(tauri_specta::collect_commands![
            commands::app_info,
            commands::check_sign_in,
            commands::ui_ready,
            commands::ui_rendered,
            commands::sign_in,
            commands::sign_in_wapikit,
            commands::accounts,
            commands::sign_out,
            commands::inbox,
            commands::open_conversation,
            commands::older_messages,
            commands::send_message,
            commands::set_draft,
            commands::set_status,
            commands::assign,
            commands::search,
            commands::unified_inbox,
            commands::unified_search,
            commands::find_conversations,
            commands::set_typing,
            commands::close_conversation,
            commands::open_external,
            commands::agents,
            commands::settings,
            commands::save_settings,
            commands::set_availability,
            commands::pick_and_send_files,
            commands::send_attachment,
            commands::attachment_preview,
            commands::open_attachment,
            commands_people::groups,
            commands_people::refresh_group,
            commands_people::create_group,
            commands_people::update_group,
            commands_people::upload_image,
            commands_people::image_preview,
            commands_people::add_group_member,
            commands_people::remove_group_member,
            commands_people::set_member_role,
            commands_people::leave_group,
            commands_people::delete_group,
            commands_people::mute_conversation,
            commands_people::open_groups,
            commands_people::join_group,
            commands_people::contact_list,
            commands_people::edit_contact_list,
            commands_people::search_people,
            commands_people::contact_profile,
            commands_people::update_contact,
            commands_people::set_blocked,
            commands_people::start_conversation,
            commands_people::send_rich,
            commands_people::delete_message,
            commands_people::message_info,
            commands_people::canned_responses,
            commands_people::save_canned_response,
            commands_people::delete_canned_response,
            commands_people::storage_info,
            commands_people::clear_cache,
            commands_people::open_logs_folder,
            commands_people::remote_image,
            commands_dixa::dixa_status,
            commands_dixa::dixa_connect,
            commands_dixa::dixa_disconnect,
            commands_dixa::dixa_lookup,
            commands_dixa::dixa_end_user,
            commands_dixa::dixa_create_end_user,
            commands_dixa::dixa_update_end_user,
            commands_dixa::dixa_conversations,
            commands_dixa::dixa_anonymize,
            commands_dixa::dixa_import_pick,
            commands_dixa::dixa_import_csv,
        ])
        .events(tauri_specta::collect_events![
            shell::UiBatch,
            shell::OpenConversation,
            shell::UploadProgress
        ])
}

/// Where the generated bindings live, relative to this crate.
pub const BINDINGS_PATH: &str = "../ui/src/lib/ipc/bindings.ts";

/// Options that come from the environment at launch (used by `cargo xtask run` and tests).
#[derive(Debug, Clone)]
pub struct Launch {
    pub started: Instant,
    /// `started` as milliseconds since 1970 (the page's marks are in that clock).
    started_epoch_ms: f64,
    /// Start-up milestones already logged (each once: the first IPC call, the first inbox…).
    marked: std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>,
    /// `PARLEY_THEME=light|dark` forces a theme (screenshots in both themes).
    pub theme: Option<commands::ThemeChoice>,
    /// `PARLEY_READY_FILE=path`: written once the first screen is painted.
    pub ready_file: Option<std::path::PathBuf>,
}

impl Launch {
    fn from_env(started: Instant) -> Self {
        let theme = match std::env::var("PARLEY_THEME").ok().as_deref() {
            Some("dark") => Some(commands::ThemeChoice::Dark),
            Some("light") => Some(commands::ThemeChoice::Light),
            _ => None,
        };
        let started_epoch_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            - started.elapsed().as_secs_f64() * 1000.0;
        Self {
            started,
            started_epoch_ms,
            marked: std::sync::Arc::default(),
            theme,
            ready_file: std::env::var_os("PARLEY_READY_FILE").map(Into::into),
        }
    }
}

impl Launch {
    /// Log "startup: {what} at N ms" the first time `what` happens (where launch time goes).
    pub fn mark(&self, what: &'static str) {
        if let Ok(mut m) = self.marked.lock() {
            if !m.contains(&what) {
                m.push(what);
                log::info!(
                    "startup: {what} at {} ms",
                    self.started.elapsed().as_millis()
                );
            }
        }
    }

    /// The page's start-up marks as (name, ms since `started`), at most `max`; names are cut
    /// to 40 characters of letters, digits, spaces and `()_-.,'`, times that are not finite
    /// or more than a day away are dropped (the page is not trusted to send sense).
    pub fn page_marks(&self, marks: &[commands::PageMark], max: usize) -> Vec<(String, i64)> {
        const DAY_MS: f64 = 86_400_000.0;
        marks
            .iter()
            .filter(|m| m.at.is_finite() && (m.at - self.started_epoch_ms).abs() < DAY_MS)
            .take(max)
            .map(|m| {
                let name: String = m
                    .name
                    .chars()
                    .filter(|c| c.is_alphanumeric() || " ()_-.,'".contains(*c))
                    .take(40)
                    .collect();
                #[allow(clippy::cast_possible_truncation)]
                let at = (m.at - self.started_epoch_ms).round() as i64;
                (name, at)
            })
            .collect()
    }
}

/// Whether `url` is Parley's own bundle (`tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows). The window never shows anything else.
pub fn is_app_url(url: &url::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Refuses (and logs) any navigation of a webview away from the bundle: a link or a script
/// that slipped past the sanitizer cannot take the window to a remote page. Links open in
/// the system browser through `open_external` instead.
fn navigation_guard() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let ok = is_app_url(url);
            if !ok {
                log::warn!("refused to navigate the window to a {} page", url.scheme());
            }
            ok
        })
        .build()
}

/// Shows the main window once the page says its first screen is rendered (`ui_rendered`), and
/// at the latest after `WINDOW_SHOW_FALLBACK`.
///
/// The window is created hidden (`"visible": false` in tauri.conf.json). WebKitGTK's first
/// paint of a web view blocks the main thread until the web process has drawn the page at the
/// view's size, for at most 500 ms. Shown at once, the window was painted while the web
/// process was still starting or while the page still waited for its script and style sheet,
/// which are served on that same blocked main thread: the wait then ran its full 500 ms and
/// the page's first call came at ~350 or ~850 ms (strace: one 500 ms timed futex wait under
/// `webkit_web_view_base` draw). Shown when the page had loaded, the wait fell on the page's
/// first IPC answers instead (its first inbox page arrived ~80 ms later than when the
/// window stayed hidden). Shown once the first screen is in the page, the draw has something
/// to paint and nothing is waiting on the main thread.
#[derive(Clone, Default)]
pub struct FirstShow(std::sync::Arc<std::sync::atomic::AtomicBool>);

/// Shown anyway after this long (a page that never renders must not hide the app).
const WINDOW_SHOW_FALLBACK: std::time::Duration = std::time::Duration::from_secs(3);

impl FirstShow {
    /// Show the window (the first call only); `why` is logged as a start-up mark.
    pub fn show(&self, app: &tauri::AppHandle, why: &'static str) {
        if self.0.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if let Some(w) = app.get_webview_window("main") {
            if let Err(e) = w.show() {
                log::warn!("could not show the window: {e}");
            }
        }
        if let Some(launch) = app.try_state::<Launch>() {
            launch.mark(why);
        }
    }
}

pub fn run() {
    let launch = Launch::from_env(Instant::now());
    let specta = specta_builder();
    let first_show = FirstShow::default();

    let result = tauri::Builder::default()
        // Single instance first: a second launch focuses the running window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_main_window(app);
        }))
        // Everything but visibility: the window is shown when its page starts loading.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
                .build(),
        )
        .plugin(logging::plugin())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .invoke_handler(specta.invoke_handler())
        .on_window_event(window_state::on_window_event)
        .setup(move |app| {
            let started = launch.started;
            let at = move || started.elapsed().as_millis();
            log::info!("startup: setup begins at {} ms", at());
            specta.mount_events(app);
            app.manage(window_state::StateSaver::start(app.handle()));
            if let (Some(theme), Some(w)) = (launch.theme, app.get_webview_window("main")) {
                let _ = w.set_theme(Some(theme.into()));
            }
            log::info!(
                "parley {} starting; log dir {}",
                env!("CARGO_PKG_VERSION"),
                app.path()
                    .app_log_dir()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            app.manage(launch);
            app.manage(first_show.clone());
            let fallback = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(WINDOW_SHOW_FALLBACK).await;
                first_show.show(&fallback, "window shown (fallback)");
            });
            // The cache opens before the first command can run; accounts resume in the
            // background (the UI shows the cached inbox meanwhile).
            let handle = app.handle().clone();
            let shell = tauri::async_runtime::block_on(shell::Shell::open(&handle))
                .map_err(|e| e.message)?;
            log::info!("startup: cache and settings open at {} ms", at());
            let tray = tray::Tray::build(&handle, shell.current_settings().availability);
            log::info!("startup: tray built at {} ms", at());
            if let Ok(mut t) = shell.tray.lock() {
                *t = Some(tray);
            }
            shell.hold_network_at_most();
            app.manage(shell);
            tauri::async_runtime::spawn(async move {
                let shell = handle.state::<shell::Shell>();
                shell.resume_accounts(&handle).await;
                log::info!("startup: accounts resumed at {} ms", at());
            });
            Ok(())
        })
        .run(tauri::generate_context!());

    if let Err(e) = result {
        log::error!("parley could not start: {e}");
        eprintln!("Parley could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{is_app_url, Launch};
    use crate::commands::PageMark;

    #[test]
    fn test_page_marks_are_logged_relative_to_process_start_and_sanitised() {
        let launch = Launch::from_env(std::time::Instant::now());
        let t0 = launch.started_epoch_ms;
        let mark = |name: &str, at: f64| PageMark {
            name: name.into(),
            at,
        };
        let got = launch.page_marks(
            &[
                mark("script starts", t0 + 120.4),
                mark("evil\n\"msg\":\"x", t0 + 130.0),
                mark(&"long".repeat(30), t0 + 140.0),
                mark("not a number", f64::NAN),
                mark("far away", t0 + 3.0 * 86_400_000.0),
                mark("before start", t0 - 5.0),
            ],
            16,
        );
        assert_eq!(
            got,
            vec![
                ("script starts".to_owned(), 120),
                ("evilmsgx".to_owned(), 130),
                ("long".repeat(10), 140),
                ("before start".to_owned(), -5),
            ]
        );
        assert_eq!(
            launch.page_marks(&[mark("a", t0), mark("b", t0)], 1).len(),
            1
        );
    }

    #[test]
    fn test_only_the_bundle_is_a_place_the_window_may_go() {
        let ok = |u: &str| is_app_url(&url::Url::parse(u).unwrap());
        assert!(ok("tauri://localhost/index.html"));
        assert!(ok("http://tauri.localhost/"));
        assert!(!ok("https://example.com/"));
        assert!(!ok("http://127.0.0.1:18080/page"));
        assert!(!ok("http://tauri.localhost.evil.example/"));
        assert!(!ok("javascript:alert(1)"));
        assert!(!ok("data:text/html,<script>1</script>"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("tauri://evil/"));
    }
}
