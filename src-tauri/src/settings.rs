//! The agent's settings: a JSON file in the app's config directory. Nothing secret lives here
//! (secrets are in the OS keyring). A damaged file is set aside and defaults are used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parley_core::notify::NotificationSettings;
use parley_core::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AgentAvailability {
    #[default]
    Online,
    Away,
}

/// Light, dark, or whatever the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ThemePreference {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    pub notifications: NotificationSettings,
    pub availability: AgentAvailability,
    pub theme: ThemePreference,
    /// UI language (a locale the UI has a catalogue for; "en" first).
    pub locale: String,
    /// Changed keyboard shortcuts: action id → key combo (e.g. "Mod+Shift+E"). Actions not
    /// listed use their default.
    pub shortcuts: BTreeMap<String, String>,
    /// The Dixa API address (e.g. `https://dev.dixa.io/v1`); `None` uses the default for the
    /// signed-in account. Owned by the Dixa commands: `save_settings` keeps the saved one.
    /// (The token is in the keyring, never here.)
    #[serde(default)]
    pub dixa_url: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            notifications: NotificationSettings::default(),
            availability: AgentAvailability::default(),
            theme: ThemePreference::default(),
            locale: "en".into(),
            shortcuts: BTreeMap::new(),
            dixa_url: None,
        }
    }
}

impl AppSettings {
    /// Settings as saved: shortcut entries bounded and well-formed, a known sound.
    pub fn checked(mut self) -> Result<Self, AppError> {
        if self.shortcuts.len() > 100 {
            return Err(AppError::invalid_field("shortcuts", "Too many shortcuts."));
        }
        for (action, combo) in &self.shortcuts {
            let ok = |t: &str| {
                !t.is_empty()
                    && t.len() <= 64
                    && t.chars().all(|c| c.is_ascii_graphic() || c == ' ')
            };
            if !ok(action) || !ok(combo) {
                return Err(AppError::invalid_field(
                    "shortcuts",
                    format!("\"{combo}\" is not a key combination."),
                ));
            }
        }
        if self.locale.is_empty() || self.locale.len() > 16 {
            self.locale = "en".into();
        }
        self.notifications.sound_name = self.notifications.sound_name().to_owned();
        self.notifications.repeat_minutes = self.notifications.repeat_minutes.min(120);
        for m in [
            &mut self.notifications.quiet_from_minute,
            &mut self.notifications.quiet_to_minute,
        ] {
            if m.is_some_and(|v| v >= 24 * 60) {
                return Err(AppError::invalid_field(
                    "quietHours",
                    "Quiet hours are times of day.",
                ));
            }
        }
        Ok(self)
    }
}

/// A file from an older (or newer) version: what it has over the defaults, unknown keys ignored.
fn over_defaults(file: serde_json::Value) -> serde_json::Result<AppSettings> {
    fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
        match (base, over) {
            (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
                for (k, v) in o {
                    if let Some(slot) = b.get_mut(&k) {
                        merge(slot, v);
                    }
                }
            }
            (slot, v) => *slot = v,
        }
    }
    let mut base = serde_json::to_value(AppSettings::default())?;
    merge(&mut base, file);
    serde_json::from_value(base)
}

pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join("settings.json"),
        }
    }

    pub fn load(&self) -> AppSettings {
        match std::fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice(&bytes).and_then(over_defaults) {
                Ok(s) => s,
                Err(e) => {
                    let aside = self.path.with_extension("json.damaged");
                    log::warn!(
                        "settings file is damaged ({e}); using defaults, old file kept as {}",
                        aside.display()
                    );
                    let _ = std::fs::rename(&self.path, aside);
                    AppSettings::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AppSettings::default(),
            Err(e) => {
                log::warn!("cannot read {}: {e}; using defaults", self.path.display());
                AppSettings::default()
            }
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a file.
    pub fn save(&self, settings: &AppSettings) -> Result<(), AppError> {
        let fail = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Storage,
                format!("Parley could not save its settings: {e}"),
            )
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(settings)
            .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        std::fs::write(&tmp, json).map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_settings_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load(), AppSettings::default());
        let mut s = AppSettings::default();
        s.notifications.sound = true;
        s.availability = AgentAvailability::Away;
        file.save(&s).unwrap();
        assert_eq!(SettingsFile::new(dir.path()).load(), s);
    }

    #[test]
    fn test_saved_settings_are_checked_and_normalised() {
        let mut s = AppSettings::default();
        s.shortcuts.insert("resolve".into(), "Mod+Shift+E".into());
        s.notifications.sound_name = "../../etc/passwd".into();
        s.notifications.repeat_minutes = 9999;
        s.locale = String::new();
        let c = s.clone().checked().unwrap();
        assert_eq!(c.notifications.sound_name, "message-new-instant");
        assert_eq!(c.notifications.repeat_minutes, 120);
        assert_eq!(c.locale, "en");
        assert_eq!(
            c.shortcuts.get("resolve").map(String::as_str),
            Some("Mod+Shift+E")
        );

        let mut bad = s.clone();
        bad.shortcuts.insert("resolve".into(), "Ctrl+\u{0}".into());
        assert_eq!(
            bad.checked().unwrap_err().field.as_deref(),
            Some("shortcuts")
        );
        let mut bad = s;
        bad.notifications.quiet_from_minute = Some(24 * 60);
        assert_eq!(
            bad.checked().unwrap_err().field.as_deref(),
            Some("quietHours")
        );
    }

    #[test]
    fn test_a_damaged_settings_file_falls_back_to_defaults_and_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), b"{not json").unwrap();
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load(), AppSettings::default());
        assert!(dir.path().join("settings.json.damaged").exists());
    }

    #[test]
    fn test_settings_from_an_older_version_keep_what_they_had() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("settings.json"),
            br#"{"notifications":{"sound":true}}"#,
        )
        .unwrap();
        let s = SettingsFile::new(dir.path()).load();
        assert!(s.notifications.sound);
        assert!(s.notifications.enabled);
        assert_eq!(s.availability, AgentAvailability::Online);
    }
}
