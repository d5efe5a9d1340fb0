//! `cargo xtask bench [--smoke]`: the app measured in the real window against the sandbox, in
//! two phases (the demo seed: launch → cached inbox painted, customer message → D-Bus Notify;
//! the scale seed: launch and memory with 10 k conversations cached), each beside an empty
//! Tauri window (`tests/bench/empty-window`) launched in the same run; the full run also
//! bundles and reports the .deb size. Written to
//! `<target>/bench/report.json` and `report.md`. `--smoke` (run by the test command) uses
//! the debug build and few samples, only to keep the benchmarks working: no timing is
//! asserted there.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{json, Value};

use crate::desktop::{Desktop, DesktopOpts};
use crate::{proc, steps, sys, Result};

pub struct BenchOpts {
    pub smoke: bool,
    /// Only these groups of metrics (comma-separated: launch, scroll, notify, memory, deb).
    pub only: Option<String>,
    /// Only this phase (seed): demo or scale.
    pub phase: Option<String>,
}

impl BenchOpts {
    fn wants(&self, group: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| only.split(',').any(|g| g.trim() == group))
    }
}

/// A metric's budget: the statistic it applies to and the most it may be.
struct Goal {
    name: &'static str,
    stat: &'static str,
    max: Option<f64>,
    label: &'static str,
}

const GOALS: &[Goal] = &[
    Goal {
        name: "launch_to_inbox_ms",
        stat: "p50",
        max: None,
        label: "median of the launches (demo cache)",
    },
    Goal {
        name: "launch_to_inbox_over_empty_ms",
        stat: "p50",
        max: Some(150.0),
        label: "median app − median empty window, same run ≤ 150 ms",
    },
    Goal {
        name: "launch_scale_over_empty_ms",
        stat: "p50",
        max: Some(300.0),
        label: "scale cache: median app − median empty window ≤ 300 ms",
    },
    Goal {
        name: "memory_scale_pss_over_empty_mib",
        stat: "p50",
        max: Some(64.0),
        label: "PSS after idle, app − empty window ≤ 64 MiB",
    },
    Goal {
        name: "inbox_scroll_frame_ms",
        stat: "p95",
        max: Some(16.7),
        label: "frame time while scrolling the inbox (scale cache), p95 ≤ 16.7 ms",
    },
    Goal {
        name: "timeline_scroll_frame_ms",
        stat: "p95",
        max: Some(16.7),
        label: "frame time scrolling up a 5 k-message thread, p95 ≤ 16.7 ms",
    },
    Goal {
        name: "deb_mib",
        stat: "p50",
        max: Some(12.0 * 1.048_576),
        label: "release .deb ≤ 12 MB",
    },
    Goal {
        name: "message_to_notify_ms",
        stat: "p95",
        max: Some(100.0),
        label: "p95 ≤ 100 ms",
    },
];

pub fn bench(opts: &BenchOpts) -> Result<()> {
    let mut metrics: Vec<Value> = Vec::new();
    if opts.smoke {
        steps::build_all(false)?;
    } else if !opts.wants("deb") {
        steps::build_all(true)?;
    } else {
        // The package first (its size is a metric); the release binaries are then current.
        crate::bundle::bundle(&crate::bundle::BundleOpts {
            install_test: false,
        })?;
        steps::build_all(true)?;
        if let Some(deb) = newest_deb()? {
            #[allow(clippy::cast_precision_loss)]
            let mib = std::fs::metadata(&deb).map_or(0, |m| m.len()) as f64 / 1_048_576.0;
            metrics.push(
                json!({"name": "deb_mib", "unit": "MiB", "samples": 1, "p50": mib,
                "p95": mib, "file": deb.display().to_string()}),
            );
        }
    }
    // Scale phase: the cache filled with this many conversations at sign-in.
    let conversations: u32 = if opts.smoke { 300 } else { 10_000 };
    let scale_args: Vec<String> = [
        "--seed",
        "scale",
        "--conversations",
        &conversations.to_string(),
        "--messages",
        &(conversations * 10).to_string(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let pages = (conversations / 50 + 2).to_string();
    for (phase, sandbox_args, app_env) in [
        ("demo", Vec::new(), Vec::new()),
        (
            "scale",
            scale_args,
            vec![("PARLEY_INITIAL_PAGES", pages.as_str())],
        ),
    ] {
        if opts.phase.as_deref().is_some_and(|p| p != phase) {
            continue;
        }
        metrics.extend(run_phase(opts, phase, sandbox_args, &app_env)?);
    }
    let suffix = if opts.smoke {
        "-smoke"
    } else if opts.only.is_some() || opts.phase.is_some() {
        "-partial"
    } else {
        ""
    };
    write_report(&metrics, suffix)
}

fn newest_deb() -> Result<Option<std::path::PathBuf>> {
    let dir = sys::target_dir()?.join("release/bundle/deb");
    Ok(std::fs::read_dir(&dir).ok().and_then(|rd| {
        rd.flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "deb"))
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    }))
}

/// One desktop, one sandbox, the benchmark script in one phase; its metrics.
fn run_phase(
    opts: &BenchOpts,
    phase: &str,
    sandbox_args: Vec<String>,
    app_env: &[(&str, &str)],
) -> Result<Vec<Value>> {
    let app = steps::bin("parley")?;
    let empty = steps::bin("parley-empty-window")?;
    let desktop = Desktop::start(
        &format!("parley-bench-{phase}"),
        &DesktopOpts {
            keyring: true,
            sandbox_args,
        },
    )?;
    let driver = desktop.driver(app_env)?;
    let mut node = desktop.node(&driver, &app)?;
    node.arg("tests/bench/app.bench.mjs")
        .env("BENCH_SMOKE", if opts.smoke { "1" } else { "0" })
        .env("BENCH_PHASE", phase)
        .env("BENCH_ONLY", opts.only.as_deref().unwrap_or_default())
        .env("PARLEY_EMPTY_APP", &empty)
        .envs(app_env.iter().copied())
        .stdout(Stdio::piped());
    eprintln!("xtask: {}", proc::describe(&node));
    let mut child = node
        .spawn()
        .map_err(|e| format!("starting the app benchmarks: {e}"))?;
    let mut metrics: Vec<Value> = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(std::io::Result::ok) {
            match serde_json::from_str::<Value>(&line) {
                Ok(v) if v.get("name").is_some() => metrics.push(v),
                _ => println!("{line}"),
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    drop(driver);
    desktop.clean_up(status.success());
    if !status.success() {
        return Err(format!("the {phase} benchmarks failed ({status})"));
    }
    Ok(metrics)
}

fn write_report(metrics: &[Value], suffix: &str) -> Result<()> {
    let mut rows = Vec::new();
    let mut md = String::from(
        "| Metric | Value | Unit | Samples | Budget | Pass |\n|---|---|---|---|---|---|\n",
    );
    for m in metrics {
        let name = m["name"].as_str().unwrap_or_default();
        let goal = GOALS.iter().find(|g| g.name == name);
        let stat = goal.map_or("p50", |g| g.stat);
        let value = m[stat].as_f64().unwrap_or(f64::NAN);
        let pass = goal.and_then(|g| g.max).map(|max| value <= max);
        let label = goal.map_or("", |g| g.label);
        md.push_str(&format!(
            "| {name} ({stat}) | {value:.1} | {} | {} | {label} | {} |\n",
            m["unit"].as_str().unwrap_or_default(),
            m["samples"],
            match pass {
                Some(true) => "yes",
                Some(false) => "no",
                None => "—",
            }
        ));
        rows.push(json!({
            "name": format!("{name}_{stat}"),
            "value": value,
            "unit": m["unit"],
            "goal": label,
            "pass": pass,
            "detail": m,
        }));
    }
    let dir = sys::target_dir()?.join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json_path = dir.join(format!("report{suffix}.json"));
    let md_path = dir.join(format!("report{suffix}.md"));
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", json_path.display()))?;
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    println!("\n{md}");
    eprintln!(
        "xtask: bench report in {} and {}",
        json_path.display(),
        md_path.display()
    );
    Ok(())
}
