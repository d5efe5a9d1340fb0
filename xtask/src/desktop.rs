//! A private desktop for the real app: a virtual display, a session bus with a notification
//! daemon (every `Notify` call recorded), optionally a throw-away unlocked keyring, a sandbox
//! with demo data on free ports, and tauri-driver. Used by the E2E tests, the signed-in
//! screenshot of `cargo xtask run --screenshot`, and the app benchmarks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::proc::{self, Background, SessionBus, VirtualDisplay};
use crate::sys;
use crate::Result;

pub struct Desktop {
    pub display: VirtualDisplay,
    pub bus: SessionBus,
    pub scratch: PathBuf,
    pub notify_log: PathBuf,
    pub sandbox_ready: serde_json::Value,
    // Dropped (stopped) in reverse order of start.
    _sandbox: Background,
    _keyring: Option<Background>,
    _daemon: Background,
    _monitor: Background,
}

pub struct DesktopOpts {
    /// A real Secret Service (gnome-keyring) on the bus, so sign-ins survive a relaunch.
    pub keyring: bool,
    /// Extra arguments for the sandbox (after `--memory --seed demo`).
    pub sandbox_args: Vec<String>,
}

impl Desktop {
    pub fn start(name: &str, opts: &DesktopOpts) -> Result<Self> {
        let display = VirtualDisplay::start()?;
        let bus = SessionBus::start()?;
        let scratch = crate::steps::tempdir(name)?;
        let notify_log = scratch.join("notify.log");
        let monitor = Background::spawn(
            "dbus-monitor",
            Command::new("dbus-monitor")
                .arg("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .stdout(
                    std::fs::File::create(&notify_log)
                        .map_err(|e| format!("{}: {e}", notify_log.display()))?,
                )
                .stderr(Stdio::null()),
        )?;
        let daemon = Background::spawn(
            "dunst",
            Command::new("dunst")
                .env("DISPLAY", &display.display)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        wait_for_name(&bus.address, "org.freedesktop.Notifications")?;
        let keyring = if opts.keyring {
            let dir = scratch.join("keyrings");
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let mut k = Background::spawn(
                "gnome-keyring-daemon",
                Command::new("gnome-keyring-daemon")
                    .args(["--foreground", "--unlock", "--components=secrets"])
                    .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                    .env("XDG_DATA_HOME", &dir)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            if let Some(mut stdin) = k.child().stdin.take() {
                stdin
                    .write_all(b"parley-bench")
                    .map_err(|e| format!("unlocking the keyring: {e}"))?;
            }
            wait_for_name(&bus.address, "org.freedesktop.secrets")?;
            Some(k)
        } else {
            None
        };
        let mut sandbox = Background::spawn(
            "parley-sandbox",
            Command::new(crate::steps::bin("parley-sandbox")?)
                .args(["--memory", "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"])
                // The demo seed unless the caller chose one.
                .args(if opts.sandbox_args.iter().any(|a| a == "--seed") {
                    &[][..]
                } else {
                    &["--seed", "demo"][..]
                })
                .args(&opts.sandbox_args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let sandbox_ready = crate::steps::read_ready_line(&mut sandbox)?;
        Ok(Self {
            display,
            bus,
            scratch,
            notify_log,
            sandbox_ready,
            _sandbox: sandbox,
            _keyring: keyring,
            _daemon: daemon,
            _monitor: monitor,
        })
    }

    /// The display, the bus and a throw-away profile for `cmd`.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("DISPLAY", &self.display.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .env("XDG_CONFIG_HOME", self.scratch.join("config"))
            .env("XDG_DATA_HOME", self.scratch.join("data"))
            .env("XDG_CACHE_HOME", self.scratch.join("cache"));
        crate::steps::app_env(cmd);
    }

    /// Start tauri-driver (which starts the app for each WebDriver session).
    pub fn driver(&self, app_env: &[(&str, &str)]) -> Result<Driver> {
        let exe = sys::ensure_cargo_tool("tauri-driver", "tauri-driver", "^2")?;
        let port = proc::free_port()?;
        let native_port = proc::free_port()?;
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .stdout(Stdio::null());
        self.env(&mut cmd);
        for (k, v) in app_env {
            cmd.env(k, v);
        }
        let mut process = Background::spawn("tauri-driver", &mut cmd)?;
        proc::wait_until("tauri-driver", Duration::from_secs(20), || {
            proc::port_open(port) && process.check_alive().is_ok()
        })?;
        process.check_alive()?;
        Ok(Driver {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
        })
    }

    /// `node` with everything a script under tests/ needs to drive the app.
    pub fn node(&self, driver: &Driver, app: &Path) -> Result<Command> {
        let mut node = Command::new("node");
        node.env("PARLEY_APP", app)
            .env("WEBDRIVER_URL", &driver.url)
            .env("E2E_ARTIFACTS", self.scratch.join("artifacts"))
            .env("PARLEY_SANDBOX_READY", self.sandbox_ready.to_string())
            .env("PARLEY_SANDBOX_BIN", crate::steps::bin("parley-sandbox")?)
            .env("NOTIFY_LOG", &self.notify_log)
            .current_dir(sys::root());
        self.env(&mut node);
        Ok(node)
    }

    /// Remove the scratch folder (kept when something failed, or with `PARLEY_E2E_KEEP=1`, to
    /// look at: screenshots in `artifacts/`, the app's log).
    pub fn clean_up(&self, ok: bool) {
        if ok && std::env::var_os("PARLEY_E2E_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.scratch);
        } else {
            eprintln!("xtask: artifacts kept in {}", self.scratch.display());
        }
    }
}

pub struct Driver {
    pub url: String,
    _process: Background,
}

fn wait_for_name(bus: &str, name: &str) -> Result<()> {
    proc::wait_until(name, Duration::from_secs(10), || {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    })
}
