//! What the machine needs: Debian packages, UI dependencies, cargo tools, and where things are.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::proc;
use crate::Result;

/// To build the Tauri app (WebKitGTK and friends) and the keyring crate.
pub const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libdbus-1-dev",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
];

/// To run the app on a virtual display and take screenshots.
pub const RUN_PACKAGES: &[&str] = &["xvfb", "xauth", "dbus", "imagemagick", "x11-utils"];

/// To run the tests: WebDriver for WebKitGTK, the Secret Service, a notification daemon and an
/// MQTT broker.
pub const TEST_PACKAGES: &[&str] = &[
    "webkit2gtk-driver",
    "gnome-keyring",
    "libsecret-tools",
    "dunst",
    "libnotify-bin",
    "mosquitto",
    "mosquitto-clients",
];

pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    // Found at run time, not from CARGO_MANIFEST_DIR: with a target dir shared between
    // clones, a cached xtask binary would otherwise point at another checkout.
    ROOT.get_or_init(|| {
        let is_root = |d: &Path| {
            std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
                && d.join("xtask").is_dir()
        };
        std::env::current_dir()
            .ok()
            .and_then(|cwd| cwd.ancestors().find(|d| is_root(d)).map(Path::to_path_buf))
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .expect("xtask lives one level below the workspace root")
                    .to_path_buf()
            })
    })
}

pub fn ui_dir() -> PathBuf {
    root().join("ui")
}

/// The cargo target directory (honours CARGO_TARGET_DIR and .cargo/config).
pub fn target_dir() -> Result<PathBuf> {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err("cargo metadata failed".into());
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata has no target_directory".into())
}

/// npm's launcher: a .cmd script on Windows, which `Command` does not find by its bare name.
pub fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

pub fn cargo_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(cargo());
    c.args(args).current_dir(root());
    c
}

fn is_debian_like() -> bool {
    Path::new("/etc/debian_version").exists() && which("apt-get").is_some()
}

pub fn which(bin: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(bin)).find(|p| p.is_file())
}

fn is_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Install the Debian packages that are missing, saying which. Elsewhere, name them and go on.
pub fn ensure_packages(sets: &[&[&str]]) -> Result<()> {
    let wanted: Vec<&str> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    if !is_debian_like() {
        eprintln!(
            "xtask: not a Debian/Ubuntu system; make sure the equivalents of these are installed: {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing missing system packages: {}",
        missing.join(" ")
    );
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        } else {
            Command::new("apt-get")
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    proc::run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    proc::run(&mut install)
}

/// Install the UI's npm dependencies when node_modules is missing or older than the lock file.
pub fn ensure_ui_deps() -> Result<()> {
    if which(npm()).is_none() {
        ensure_packages(&[&["nodejs", "npm"]])?;
    }
    let ui = ui_dir();
    let marker = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let fresh = match (marker.metadata(), lock.metadata()) {
        (Ok(m), Ok(l)) => match (m.modified(), l.modified()) {
            (Ok(m), Ok(l)) => m >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    // `npm install` (it follows package-lock.json) rather than `npm ci`: npm 11.19 writes lock
    // files without other platforms' optional packages and `npm ci` then refuses them.
    eprintln!("xtask: installing UI dependencies (npm install, from package-lock.json)");
    proc::run(
        Command::new(npm())
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&ui),
    )
}

/// A cargo-installed tool, installed on first use.
pub fn ensure_cargo_tool(bin: &str, krate: &str, version: &str) -> Result<PathBuf> {
    if let Some(p) = which(bin) {
        return Ok(p);
    }
    eprintln!("xtask: installing {krate} {version} (cargo install)");
    proc::run(
        Command::new(cargo())
            .args(["install", krate, "--locked", "--version", version])
            // Tools are built in their own target dir, not the project's.
            .env_remove("CARGO_TARGET_DIR"),
    )?;
    which(bin).ok_or_else(|| format!("{bin} not found after installing {krate}"))
}
