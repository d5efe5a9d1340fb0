//! IPC commands. Each one: parse input (serde does it), one core call, typed error out.

use parley_core::server::broker_is_unencrypted_remote;
use parley_core::{AppError, Endpoints, ServerPreset, SignInForm, SignInPlan};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::Launch;

/// The commands registered in `build.rs` (for permissions) and in `specta_builder`.
pub const COMMANDS: &[&str] = &["app_info", "check_sign_in", "ui_ready"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    Light,
    Dark,
}

impl From<ThemeChoice> for tauri::Theme {
    fn from(t: ThemeChoice) -> Self {
        match t {
            ThemeChoice::Light => tauri::Theme::Light,
            ThemeChoice::Dark => tauri::Theme::Dark,
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PresetInfo {
    pub preset: ServerPreset,
    pub label: String,
    /// `None` for the custom preset.
    pub endpoints: Option<Endpoints>,
    /// True when the preset's real-time link is plain TCP to another machine.
    pub unencrypted_broker: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub presets: Vec<PresetInfo>,
    /// A theme forced at launch (`PARLEY_THEME`), overriding the system's.
    pub theme_override: Option<ThemeChoice>,
}

pub fn presets() -> Vec<PresetInfo> {
    ServerPreset::ALL
        .iter()
        .map(|&p| {
            let endpoints = p.fixed_endpoints();
            PresetInfo {
                preset: p,
                label: p.label().to_owned(),
                unencrypted_broker: endpoints
                    .as_ref()
                    .is_some_and(|e| broker_is_unencrypted_remote(&e.mqtt)),
                endpoints,
            }
        })
        .collect()
}

/// Name, version and the server presets for the sign-in screen.
#[tauri::command]
#[specta::specta]
pub fn app_info(launch: State<'_, Launch>) -> AppInfo {
    AppInfo {
        name: "Parley".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        presets: presets(),
        theme_override: launch.theme,
    }
}

/// Validate the sign-in form and resolve where it would connect. No network traffic: the
/// answer is either the plan (endpoints + warnings) or the first invalid field.
#[tauri::command]
#[specta::specta]
pub fn check_sign_in(form: SignInForm) -> Result<SignInPlan, AppError> {
    let plan = form.validate().map(|v| v.plan());
    match &plan {
        Ok(p) => log::info!(
            "sign-in form valid for {} as {:?} ({} warnings)",
            p.endpoints.chat,
            p.role,
            p.warnings.len()
        ),
        Err(e) => log::info!("sign-in form rejected: {:?} on {:?}", e.code, e.field),
    }
    plan
}

/// Called by the UI once its first screen is painted. Returns milliseconds since launch.
#[tauri::command]
#[specta::specta]
pub fn ui_ready(launch: State<'_, Launch>) -> u32 {
    let ms = u32::try_from(launch.started.elapsed().as_millis()).unwrap_or(u32::MAX);
    log::info!("first screen painted {ms} ms after launch");
    if let Some(path) = &launch.ready_file {
        if let Err(e) = std::fs::write(path, ms.to_string()) {
            log::warn!("could not write ready file {}: {e}", path.display());
        }
    }
    ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_every_preset_is_offered_and_only_custom_lacks_endpoints() {
        let p = presets();
        assert_eq!(p.len(), ServerPreset::ALL.len());
        for info in &p {
            assert_eq!(
                info.endpoints.is_none(),
                info.preset == ServerPreset::Custom
            );
        }
        let cloud = p
            .iter()
            .find(|i| i.preset == ServerPreset::KommunicateCloud)
            .unwrap();
        assert!(cloud.unencrypted_broker);
    }

    #[test]
    fn test_build_rs_permissions_match_registered_commands() {
        let build_rs = include_str!("../build.rs");
        for c in COMMANDS {
            assert!(
                build_rs.contains(&format!("\"{c}\"")),
                "{c} missing in build.rs"
            );
        }
        let caps = include_str!("../capabilities/main-window.json");
        for c in COMMANDS {
            let perm = format!("allow-{}", c.replace('_', "-"));
            assert!(caps.contains(&perm), "{perm} missing in capabilities");
        }
    }
}
