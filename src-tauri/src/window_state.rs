//! Remember the window's size and position even when the app does not exit cleanly.
//!
//! tauri-plugin-window-state writes its file when the app exits normally. A desktop app is
//! also killed, logged out of, or crashes; so after every resize or move (debounced: once the
//! window has been still for 400 ms) the state is written too.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::Duration;

use tauri::{AppHandle, Manager, Window, WindowEvent, Wry};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

const QUIET: Duration = Duration::from_millis(400);

pub struct StateSaver(Mutex<Sender<()>>);

impl StateSaver {
    pub fn start(app: &AppHandle<Wry>) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let app = app.clone();
        let spawned = std::thread::Builder::new()
            .name("window-state".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    loop {
                        match rx.recv_timeout(QUIET) {
                            Ok(()) => continue,
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    if let Err(e) = app.save_window_state(StateFlags::all()) {
                        log::warn!("could not save the window state: {e}");
                    }
                }
            });
        if let Err(e) = spawned {
            log::warn!("window state will only be saved on exit: {e}");
        }
        Self(Mutex::new(tx))
    }

    fn changed(&self) {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(());
        }
    }
}

/// Hook for `tauri::Builder::on_window_event`.
pub fn on_window_event(window: &Window<Wry>, event: &WindowEvent) {
    if matches!(event, WindowEvent::Resized(_) | WindowEvent::Moved(_)) {
        if let Some(saver) = window.try_state::<StateSaver>() {
            saver.changed();
        }
    }
}
