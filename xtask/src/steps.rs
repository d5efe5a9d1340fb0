//! The commands themselves, as sequences of named steps.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::desktop::{Desktop, DesktopOpts};
use crate::proc::{self, Background, VirtualDisplay};
use crate::sys::{self, BUILD_PACKAGES, RUN_PACKAGES, TEST_PACKAGES};
use crate::{Result, RunOpts, TestOpts};

/// Fixed local addresses of the sandbox started by `cargo xtask run` (the sign-in screen's
/// "Local sandbox" preset points here; see parley_core::server).
const SANDBOX_HTTP: &str = "127.0.0.1:18080";
const SANDBOX_MQTT: &str = "127.0.0.1:18830";

struct Timer {
    steps: Vec<(String, Duration)>,
}

impl Timer {
    fn new() -> Self {
        Self { steps: Vec::new() }
    }

    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let r = f();
        self.steps.push((name.to_owned(), start.elapsed()));
        r.map_err(|e| format!("{name}: {e}"))
    }

    fn summary(&self) {
        eprintln!("\nxtask: step durations");
        for (name, d) in &self.steps {
            eprintln!("  {:>7.1}s  {name}", d.as_secs_f64());
        }
    }
}

pub fn deps() -> Result<()> {
    sys::ensure_packages(&[BUILD_PACKAGES, RUN_PACKAGES, TEST_PACKAGES])?;
    sys::ensure_ui_deps()
}

pub fn bindings() -> Result<()> {
    build_ui()?;
    proc::run(
        sys::cargo_cmd(&["test", "-p", "parley-app", "--test", "bindings"])
            .env("UPDATE_BINDINGS", "1"),
    )?;
    eprintln!("xtask: ui/src/lib/ipc/bindings.ts regenerated");
    Ok(())
}

fn build_ui() -> Result<()> {
    sys::ensure_ui_deps()?;
    proc::run(
        Command::new("npm")
            .args(["run", "build", "--silent"])
            .current_dir(sys::ui_dir()),
    )
}

fn sandbox_exists() -> bool {
    sys::root()
        .join("crates/parley-sandbox/Cargo.toml")
        .is_file()
}

/// The app, and the sandbox when wanted. `--workspace` keeps cargo's feature unification the
/// same as clippy's and the tests', so switching between them does not rebuild dependencies.
fn build_binaries(with_sandbox: bool) -> Result<()> {
    let args: &[&str] = if with_sandbox && sandbox_exists() {
        &["build", "--workspace", "--bins"]
    } else {
        &["build", "-p", "parley-app"]
    };
    proc::run(&mut sys::cargo_cmd(args))
}

/// The profile `bin` finds binaries in: debug, or release once `build_all(true)` ran.
static PROFILE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// UI and every binary, in the release profile when asked (benchmarks).
pub fn build_all(release: bool) -> Result<()> {
    build_ui()?;
    if release {
        let _ = PROFILE.set("release");
        proc::run(&mut sys::cargo_cmd(&[
            "build",
            "--release",
            "--workspace",
            "--bins",
        ]))
    } else {
        build_binaries(true)
    }
}

pub fn bin(name: &str) -> Result<PathBuf> {
    let profile = PROFILE.get().copied().unwrap_or("debug");
    let p = sys::target_dir()?.join(profile).join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} was not built", p.display()))
    }
}

/// Environment every app launch gets: WebKit paints sooner without the DMA-BUF renderer.
pub fn app_env(cmd: &mut Command) {
    cmd.env("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
}

// ---------------------------------------------------------------------------------------------
// cargo xtask run

pub fn run(opts: RunOpts) -> Result<()> {
    let mut t = Timer::new();
    t.step("system packages", || {
        sys::ensure_packages(&[BUILD_PACKAGES, RUN_PACKAGES])
    })?;
    t.step("UI build", build_ui)?;
    t.step("cargo build", || build_binaries(opts.sandbox))?;
    t.summary();
    if let (Some(out), true) = (&opts.screenshot, opts.sandbox) {
        return signed_in_screenshot(out, opts.theme.as_deref());
    }

    let _sandbox = if opts.sandbox && sandbox_exists() {
        start_sandbox()?
    } else {
        None
    };

    // A screenshot always uses a private virtual display, so it is the same on every machine.
    let headless =
        std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
    let display = if opts.screenshot.is_some() || headless {
        let d = VirtualDisplay::start()?;
        eprintln!(
            "xtask: {} started a virtual display (Xvfb {}, 1280×800)",
            if headless {
                "no display found:"
            } else {
                "for the screenshot,"
            },
            d.display
        );
        Some(d)
    } else {
        None
    };

    let app = bin("parley")?;
    let scratch = tempdir("parley-run")?;
    let ready_file = scratch.join("ready");
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--").arg(&app);
    app_env(&mut cmd);
    cmd.env("PARLEY_READY_FILE", &ready_file);
    if let Some(d) = &display {
        cmd.env("DISPLAY", &d.display);
    }
    if let Some(theme) = &opts.theme {
        cmd.env("PARLEY_THEME", theme);
    }
    if opts.screenshot.is_some() {
        // A fresh profile: the picture does not depend on a remembered window size.
        for (var, sub) in [
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_CACHE_HOME", "cache"),
        ] {
            cmd.env(var, scratch.join(sub));
        }
    }
    eprintln!("xtask: starting Parley");
    let mut app_proc = Background::spawn("parley", &mut cmd)?;

    if let Some(out) = &opts.screenshot {
        let display = display
            .as_ref()
            .map(|d| d.display.clone())
            .ok_or("no display")?;
        proc::wait_until(
            "the first screen to be painted",
            Duration::from_secs(90),
            || ready_file.exists() || app_proc.check_alive().is_err(),
        )?;
        app_proc.check_alive()?;
        let ms = std::fs::read_to_string(&ready_file).unwrap_or_default();
        // Let fonts and images settle after the first paint.
        std::thread::sleep(Duration::from_millis(700));
        screenshot(&display, out)?;
        eprintln!(
            "xtask: first screen painted {} ms after launch; screenshot written to {}",
            ms.trim(),
            out.display()
        );
        app_proc.stop();
    } else {
        let status = app_proc
            .child()
            .wait()
            .map_err(|e| format!("waiting for parley: {e}"))?;
        eprintln!("xtask: Parley exited ({status})");
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// What an agent sees on a working day: signed in to a private demo sandbox, the inbox with a
/// conversation open (tests/e2e/screenshot.mjs drives the real window).
fn signed_in_screenshot(out: &Path, theme: Option<&str>) -> Result<()> {
    let app = bin("parley")?;
    let desktop = Desktop::start(
        "parley-screenshot",
        &DesktopOpts {
            keyring: false,
            sandbox_args: Vec::new(),
        },
    )?;
    let mut app_env = vec![("PARLEY_SECRETS", "memory")];
    if let Some(theme) = theme {
        app_env.push(("PARLEY_THEME", theme));
    }
    let driver = desktop.driver(&app_env)?;
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(out)
    };
    let mut node = desktop.node(&driver, &app)?;
    node.arg("tests/e2e/screenshot.mjs")
        .env("SCREENSHOT_OUT", &out);
    let r = proc::run(&mut node);
    drop(driver);
    desktop.clean_up(r.is_ok());
    r?;
    eprintln!("xtask: screenshot written to {}", out.display());
    Ok(())
}

fn screenshot(display: &str, out: &Path) -> Result<()> {
    // ImageMagick's `import` (Debian's imagemagick; /usr/local/bin/convert may be a stand-in).
    let import = ["/usr/bin/import", "import"]
        .into_iter()
        .find(|p| Path::new(p).is_file() || sys::which(p).is_some())
        .ok_or("ImageMagick's import is missing (apt-get install imagemagick)")?;
    proc::run(
        Command::new(import)
            .args(["-display", display, "-window", "root"])
            .arg(out),
    )
}

pub fn tempdir(prefix: &str) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Start the sandbox with demo data on the fixed local ports, print how to sign in, and keep
/// it running until the returned guard is dropped. If something already listens there (a
/// sandbox from another terminal), use that.
fn start_sandbox() -> Result<Option<Background>> {
    let port: u16 = SANDBOX_HTTP
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or("bad sandbox address")?;
    if proc::port_open(port) {
        eprintln!("xtask: something already listens on {SANDBOX_HTTP}; using it as the sandbox");
        return Ok(None);
    }
    let data = sandbox_data_dir()?;
    let mut sandbox = Background::spawn(
        "parley-sandbox",
        Command::new(bin("parley-sandbox")?)
            .args([
                "--http",
                SANDBOX_HTTP,
                "--mqtt",
                SANDBOX_MQTT,
                "--seed",
                "demo",
            ])
            .arg("--data")
            .arg(&data)
            .stdout(Stdio::piped()),
    )?;
    let ready = read_ready_line(&mut sandbox)?;
    print_sign_in_help(&ready, &data);
    Ok(Some(sandbox))
}

/// The sandbox prints one JSON line on stdout when it is ready.
pub fn read_ready_line(sandbox: &mut Background) -> Result<serde_json::Value> {
    let stdout = sandbox
        .child()
        .stdout
        .take()
        .ok_or("sandbox stdout missing")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("reading the sandbox's ready line: {e}"))?;
    let ready: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("the sandbox's first line is not its ready JSON ({e}): {line}"))?;
    if ready["ready"] != serde_json::Value::Bool(true) {
        return Err(format!("the sandbox did not report ready: {line}"));
    }
    Ok(ready)
}

fn sandbox_data_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or("neither XDG_DATA_HOME nor HOME is set")?;
    let dir = base.join("parley-sandbox");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

fn print_sign_in_help(ready: &serde_json::Value, data: &Path) {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_owned();
    eprintln!("\n┌ Parley sandbox is running (data in {})", data.display());
    eprintln!("│ REST {}   MQTT {}", s(&ready["http"]), s(&ready["mqtt"]));
    eprintln!(
        "│ Sign in with server \"Local sandbox\", application key {}",
        s(&ready["applicationId"])
    );
    if let Some(agents) = ready["agents"].as_array() {
        for a in agents {
            eprintln!(
                "│   agent {}  password {}",
                s(&a["userId"]),
                s(&a["password"])
            );
        }
    }
    if let Some(token) = ready["dixaToken"].as_str() {
        eprintln!("│ Dixa API {}  token {token}", s(&ready["http"]));
    }
    if let Some(key) = ready["wapikitKey"].as_str() {
        eprintln!(
            "│ WapiKit API {}  API key (x-access-token):\n│   {key}",
            s(&ready["wapikitUrl"])
        );
    }
    eprintln!("└");
}

// ---------------------------------------------------------------------------------------------
// cargo xtask test

pub fn test(opts: &TestOpts) -> Result<()> {
    let mut t = Timer::new();
    let r = test_steps(&mut t, opts);
    t.summary();
    r
}

fn test_steps(t: &mut Timer, opts: &TestOpts) -> Result<()> {
    t.step("system packages", || {
        sys::ensure_packages(&[BUILD_PACKAGES, RUN_PACKAGES, TEST_PACKAGES])
    })?;
    t.step("rustfmt", || {
        proc::run(&mut sys::cargo_cmd(&["fmt", "--all", "--", "--check"]))
    })?;
    // The app embeds the built UI, so the UI is built before anything compiles the app.
    t.step("UI build", build_ui)?;
    t.step("UI type check (svelte-check)", || {
        proc::run(
            Command::new("npm")
                .args(["run", "check", "--silent"])
                .current_dir(sys::ui_dir()),
        )
    })?;
    t.step("UI unit tests (vitest)", || {
        proc::run(
            Command::new("npm")
                .args(["test", "--silent"])
                .current_dir(sys::ui_dir()),
        )
    })?;
    t.step("clippy (warnings are errors)", || {
        proc::run(&mut sys::cargo_cmd(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    t.step(
        "core crates are free of tauri/gtk/webkit",
        core_crates_are_gui_free,
    )?;
    t.step(
        "release workflow lint (actionlint)",
        crate::bundle::lint_workflows,
    )?;
    t.step("Rust tests (nextest, incl. bindings check)", rust_tests)?;
    t.step(
        "fuzzing, short run (200k runs per target, fixed seed)",
        fuzz_short,
    )?;
    if opts.e2e {
        t.step("build app binaries", || build_binaries(true))?;
        t.step("end-to-end tests (tauri-driver, Xvfb)", e2e)?;
        t.step("app benchmarks, smoke run (no timing asserted)", || {
            crate::bench::bench(&crate::bench::BenchOpts {
                smoke: true,
                only: None,
                phase: None,
            })
        })?;
    }
    Ok(())
}

/// Every cargo-fuzz target for a fixed number of runs from a fixed seed (repeatable); the
/// exploring run is `fuzz/run.sh 3600`.
fn fuzz_short() -> Result<()> {
    sys::ensure_cargo_tool("cargo-fuzz", "cargo-fuzz", "^0.13")?;
    proc::run(
        Command::new("bash")
            .args(["fuzz/run.sh", "10"])
            .env("CARGO_TARGET_DIR", sys::target_dir()?.join("fuzz"))
            .env("FUZZ_WORK", sys::target_dir()?.join("fuzz-corpus"))
            .env("PARLEY_NO_CARGO_LOCK", "1")
            .env("FUZZ_RUNS", "200000")
            .env("FUZZ_SEED", "1")
            .current_dir(sys::root()),
    )
}

/// `cargo tree` of every crate under crates/ must show no tauri, gtk or webkit2gtk.
fn core_crates_are_gui_free() -> Result<()> {
    let crates_dir = sys::root().join("crates");
    let entries =
        std::fs::read_dir(&crates_dir).map_err(|e| format!("{}: {e}", crates_dir.display()))?;
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let out = sys::cargo_cmd(&[
            "tree",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo tree failed for {}: {}",
                manifest.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let tree = String::from_utf8_lossy(&out.stdout);
        let bad: Vec<&str> = tree
            .lines()
            .filter(|l| {
                let name = l.split_whitespace().next().unwrap_or("");
                name.starts_with("tauri")
                    || name.starts_with("gtk")
                    || name.starts_with("webkit2gtk")
            })
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "{} depends on GUI crates: {}",
                entry.path().display(),
                bad.join(", ")
            ));
        }
        eprintln!(
            "  {}: no tauri, gtk or webkit2gtk",
            entry.file_name().to_string_lossy()
        );
    }
    Ok(())
}

/// Rust tests run inside a private D-Bus session with an unlocked gnome-keyring, so keyring
/// tests use the real Secret Service.
fn rust_tests() -> Result<()> {
    crate::faults::reset()?;
    let r = rust_tests_run();
    // The fault suite's scenarios, as one table (short mode here).
    let t = crate::faults::print_table();
    r.and(t)
}

fn rust_tests_run() -> Result<()> {
    let runner = if sys::which("cargo-nextest").is_some() {
        "cargo nextest run --workspace --no-fail-fast"
    } else {
        eprintln!("xtask: cargo-nextest not found, using cargo test");
        "cargo test --workspace --no-fail-fast"
    };
    // The keyring daemon keeps its files in a throw-away directory: a fresh, unlocked "login"
    // collection every run, and the person's own keyrings are never touched.
    let script = format!(
        "keyrings=$(mktemp -d) && \
         echo -n parley-test | XDG_DATA_HOME=\"$keyrings\" gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
         PARLEY_REQUIRE_KEYRING=1 PARLEY_REQUIRE_MOSQUITTO=1 {runner}; rc=$?; rm -rf \"$keyrings\"; exit $rc"
    );
    proc::run(
        Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .current_dir(sys::root()),
    )
}

pub fn e2e_only() -> Result<()> {
    let mut t = Timer::new();
    let r = t
        .step("UI build", build_ui)
        .and_then(|()| t.step("build app binaries", || build_binaries(true)))
        .and_then(|()| t.step("end-to-end tests (tauri-driver, Xvfb)", e2e));
    t.summary();
    r
}

/// `PARLEY_E2E_ONLY=07,03` runs only the test files whose names contain one of the parts
/// (for working on one capability; the test command always runs them all).
fn only_these(p: &std::path::Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::env::var("PARLEY_E2E_ONLY") {
        Ok(parts) if !parts.trim().is_empty() => parts.split(',').any(|s| name.contains(s.trim())),
        _ => true,
    }
}

fn e2e() -> Result<()> {
    let app = bin("parley")?;
    let desktop = Desktop::start(
        "parley-e2e",
        &DesktopOpts {
            keyring: false,
            sandbox_args: Vec::new(),
        },
    )?;
    // No keyring daemon on the test bus: the app keeps secrets in memory here.
    let driver = desktop.driver(&[("PARLEY_SECRETS", "memory")])?;
    let tests_dir = sys::root().join("tests/e2e");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tests_dir)
        .map_err(|e| format!("{}: {e}", tests_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .filter(|p| only_these(p))
        .collect();
    files.sort();
    let mut node = desktop.node(&driver, &app)?;
    node.arg("--test").arg("--test-concurrency=1").args(&files);
    let r = proc::run(&mut node);
    drop(driver);
    desktop.clean_up(r.is_ok());
    r
}
