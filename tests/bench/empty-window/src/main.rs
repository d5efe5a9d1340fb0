//! A Tauri window with a one-line page: what Parley's launch time and memory are compared
//! with (`cargo xtask bench`). It starts the way the app does, at its best: the window is
//! created hidden and shown once the page is in it (`shown`), since WebKitGTK's first draw of a
//! window shown before its page has loaded can block for up to 500 ms; the page's script then
//! waits two animation frames and calls `painted`, which writes `PARLEY_READY_FILE`
//! (milliseconds since start), as the app does once its inbox is painted. (A page's `load`
//! comes before its first paint: reporting at `load` would leave the first style, layout and
//! paint out of the baseline.) Its milestones are printed as the app logs its own, so the
//! benchmark shows both side by side.

use std::time::Instant;

use tauri::Manager;

struct Started {
    at: Instant,
    ready: Option<std::ffi::OsString>,
}

impl Started {
    fn mark(&self, what: &str) -> u128 {
        let ms = self.at.elapsed().as_millis();
        eprintln!("{{\"msg\":\"startup: {what} at {ms} ms\"}}");
        ms
    }
}

/// The page is in the window: show it.
#[tauri::command]
fn shown(window: tauri::WebviewWindow, started: tauri::State<'_, Started>) {
    let _ = window.show();
    started.mark("window shown");
}

/// The page's first frame is on screen.
#[tauri::command]
fn painted(started: tauri::State<'_, Started>) {
    let ms = started.mark("painted");
    if let Some(path) = &started.ready {
        let _ = std::fs::write(path, ms.to_string());
    }
}

fn main() {
    let started = Started {
        at: Instant::now(),
        ready: std::env::var_os("PARLEY_READY_FILE"),
    };
    tauri::Builder::default()
        .setup(|app| {
            app.state::<Started>().mark("setup begins");
            Ok(())
        })
        .manage(started)
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                webview.state::<Started>().mark("page loaded");
            }
        })
        .invoke_handler(tauri::generate_handler![shown, painted])
        .run(tauri::generate_context!())
        .expect("the empty window runs");
}
