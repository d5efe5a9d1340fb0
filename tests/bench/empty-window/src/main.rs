//! A Tauri window with a one-line page: what Parley's launch time and memory are compared
//! with (`cargo xtask bench`). Writes `PARLEY_READY_FILE` (milliseconds since start) when the
//! page has loaded, like the app does when its inbox is painted.

use std::time::Instant;

fn main() {
    let started = Instant::now();
    let ready = std::env::var_os("PARLEY_READY_FILE");
    tauri::Builder::default()
        .on_page_load(move |_webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                if let Some(path) = &ready {
                    let _ = std::fs::write(path, started.elapsed().as_millis().to_string());
                }
            }
        })
        .run(tauri::generate_context!())
        .expect("the empty window runs");
}
