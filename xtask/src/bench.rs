//! `cargo xtask bench [--smoke]`: the app measured in the real window (launch → cached inbox
//! painted, customer message → D-Bus Notify) against the sandbox, written to
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
        label: "median; issue 7 compares it with an empty Tauri window",
    },
    Goal {
        name: "message_to_notify_ms",
        stat: "p95",
        max: Some(100.0),
        label: "p95 ≤ 100 ms",
    },
];

pub fn bench(opts: &BenchOpts) -> Result<()> {
    if opts.smoke {
        steps::build_all(false)?;
    } else {
        steps::build_all(true)?;
    }
    let app = steps::bin("parley")?;
    let desktop = Desktop::start(
        "parley-bench",
        &DesktopOpts {
            keyring: true,
            sandbox_args: Vec::new(),
        },
    )?;
    let driver = desktop.driver(&[])?;
    let mut node = desktop.node(&driver, &app)?;
    node.arg("tests/bench/app.bench.mjs")
        .env("BENCH_SMOKE", if opts.smoke { "1" } else { "0" })
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
        return Err(format!("the app benchmarks failed ({status})"));
    }
    write_report(&metrics, opts.smoke)
}

fn write_report(metrics: &[Value], smoke: bool) -> Result<()> {
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
    let suffix = if smoke { "-smoke" } else { "" };
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
