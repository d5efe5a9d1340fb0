//! Structured logging: one JSON object per line in `<app log dir>/parley.log`, and readable
//! lines on stderr. Nothing secret is ever passed to a log macro: secrets are `Secret`s,
//! whose `Debug`/`Display` print `***`.

use std::time::{SystemTime, UNIX_EPOCH};

use tauri::plugin::TauriPlugin;
use tauri::Wry;
use tauri_plugin_log::{RotationStrategy, Target, TargetKind};

pub fn plugin() -> TauriPlugin<Wry> {
    let level = std::env::var("PARLEY_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::LogDir {
                file_name: Some("parley".into()),
            }),
            Target::new(TargetKind::Stderr),
        ])
        .level(level)
        // Third-party crates are noisy at info; keep warnings from them.
        .level_for("tao", log::LevelFilter::Warn)
        .level_for("wry", log::LevelFilter::Warn)
        .max_file_size(10 * 1024 * 1024)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .format(|out, message, record| {
            let ts = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let line = serde_json::json!({
                "ts": ts as u64,
                "level": record.level().as_str(),
                "target": record.target(),
                "msg": message.to_string(),
            });
            out.finish(format_args!("{line}"))
        })
        .build()
}
