//! Parley's project commands. Two of them are the README's:
//!
//! - `cargo xtask run [--screenshot FILE] [--theme light|dark] [--no-sandbox]`: installs what
//!   is missing, builds, starts the sandbox server, opens the app.
//! - `cargo xtask test [--no-e2e]`: every check and test the project has.
//!
//! Others: `cargo xtask bindings` (regenerate the TypeScript bindings), `cargo xtask deps`
//! (install system and UI dependencies only), `cargo xtask bundle [--install-test]` (release
//! packages for this OS), `cargo xtask install-test` (install, start and purge the .deb in a
//! fresh Debian root), `cargo xtask lint-workflows` (actionlint).

mod bench;
mod bundle;
mod desktop;
mod faults;
mod proc;
mod steps;
mod sys;

use std::path::PathBuf;
use std::process::ExitCode;

pub type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => steps::run(parse_run(&args[1..])),
        Some("test") => steps::test(&TestOpts {
            e2e: !args.iter().any(|a| a == "--no-e2e"),
        }),
        Some("e2e") => steps::e2e_only(),
        Some("faults") => faults::run(args.iter().any(|a| a == "--full")),
        Some("bindings") => steps::bindings(),
        Some("deps") => steps::deps(),
        Some("bench") => bench::bench(&parse_bench(&args[1..])),
        Some("bundle") => bundle::bundle(&bundle::BundleOpts {
            install_test: args.iter().any(|a| a == "--install-test"),
        }),
        Some("install-test") => bundle::install_test(),
        Some("lint-workflows") => bundle::lint_workflows(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>
  run [--screenshot FILE] [--theme light|dark] [--no-sandbox]
                 install what is missing, build, start the sandbox and open Parley
  test [--no-e2e] formatting, clippy, Rust tests, UI tests, bindings check, end-to-end tests
  e2e            build the app and run only the end-to-end tests (PARLEY_E2E_ONLY=07,09:
                 only the files whose names contain one of these)
  faults [--full] the fault-injection suite and its table (--full: the long sizes)
  bindings       regenerate ui/src/lib/ipc/bindings.ts from the Rust commands
  deps           install missing system packages and UI dependencies
  bench [--smoke] [--only store,launch,scroll,open,notify,memory,deb] [--phase demo|scale]
                 the cache's benchmark, then the app's in the real window (release build;
                 --smoke: debug, few samples) → <target>/bench/report.json and report.md (--only: those
                 metrics, → report-partial.*; --phase: that seed only)
  bundle [--install-test]
                 release build and this OS's packages (Linux .deb/.rpm, macOS .app/.dmg,
                 Windows .msi/.exe); --install-test then runs install-test
  install-test   install the .deb in a fresh Debian root (root only), start it, purge it
  lint-workflows actionlint over .github/workflows";

#[derive(Debug, Default)]
pub struct RunOpts {
    pub screenshot: Option<PathBuf>,
    pub theme: Option<String>,
    pub sandbox: bool,
}

#[derive(Debug)]
pub struct TestOpts {
    pub e2e: bool,
}

fn parse_bench(args: &[String]) -> bench::BenchOpts {
    let mut opts = bench::BenchOpts {
        smoke: false,
        only: None,
        phase: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => opts.smoke = true,
            "--only" => opts.only = it.next().cloned(),
            "--phase" => opts.phase = it.next().cloned(),
            other => eprintln!("xtask: ignoring unknown option {other}"),
        }
    }
    opts
}

fn parse_run(args: &[String]) -> RunOpts {
    let mut opts = RunOpts {
        sandbox: true,
        ..RunOpts::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--screenshot" => opts.screenshot = it.next().map(PathBuf::from),
            "--theme" => opts.theme = it.next().cloned(),
            "--no-sandbox" => opts.sandbox = false,
            other => eprintln!("xtask: ignoring unknown option {other}"),
        }
    }
    opts
}
