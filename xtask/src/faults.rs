//! The fault suite's table. Each scenario of `crates/parley-client/tests/faults.rs` writes
//! `<target>/faults/<scenario>.json`; this assembles them into one table (after the test
//! command's Rust tests, and for `cargo xtask faults [--full]`).

use std::process::Command;

use crate::{proc, sys, Result};

fn dir() -> Result<std::path::PathBuf> {
    Ok(sys::target_dir()?.join("faults"))
}

/// Forget the previous run's rows (so the table is this run's).
pub fn reset() -> Result<()> {
    let d = dir()?;
    if d.exists() {
        std::fs::remove_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    Ok(())
}

/// Print the table; an error when a row is missing its zeros.
pub fn print_table() -> Result<()> {
    let d = dir()?;
    let mut rows: Vec<serde_json::Value> = std::fs::read_dir(&d)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| serde_json::from_slice(&b).ok())
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        println!("fault suite: no scenario ran");
        return Ok(());
    }
    rows.sort_by_key(|r| r["scenario"].as_str().unwrap_or_default().to_owned());
    println!(
        "\n{:<34} {:>5} {:>6} {:>6} {:>5} {:>5} {:>4} {:>7}  note",
        "scenario", "mode", "in", "out", "lost", "dup", "ok", "secs"
    );
    let mut bad = Vec::new();
    for r in &rows {
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        let scenario = r["scenario"].as_str().unwrap_or("?");
        let ok = r["result"].as_str() == Some("ok");
        if !ok {
            bad.push(scenario.to_owned());
        }
        println!(
            "{:<34} {:>5} {:>6} {:>6} {:>5} {:>5} {:>4} {:>7.1}  {}",
            scenario,
            r["mode"].as_str().unwrap_or("?"),
            n("sentIn"),
            n("sentOut"),
            n("lost"),
            n("duplicated"),
            if ok { "yes" } else { "NO" },
            r["seconds"].as_f64().unwrap_or(0.0),
            r["note"].as_str().unwrap_or("")
        );
    }
    let total = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap_or(0)).sum::<u64>();
    println!(
        "{:<34} {:>5} {:>6} {:>6} {:>5} {:>5}\n",
        "total",
        "",
        total("sentIn"),
        total("sentOut"),
        total("lost"),
        total("duplicated")
    );
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fault scenarios lost or duplicated messages: {}",
            bad.join(", ")
        ))
    }
}

/// `cargo xtask faults [--full]`: only the fault suite, then its table.
pub fn run(full: bool) -> Result<()> {
    reset()?;
    let mut cmd = Command::new("cargo");
    cmd.args([
        "nextest",
        "run",
        "-p",
        "parley-client",
        "--test",
        "faults",
        "--no-fail-fast",
    ])
    .current_dir(sys::root());
    if full {
        cmd.env("PARLEY_FAULTS", "full");
    }
    let r = proc::run(&mut cmd);
    let t = print_table();
    r.and(t)
}
