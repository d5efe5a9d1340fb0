//! `cargo xtask bench [--smoke]`: first the cache in process (`cargo bench -p parley-store`:
//! ingest vs a raw insert, search vs the bare FTS5 query at 1 M messages, inbox pages at 100 k
//! conversations, opening a conversation), then the app measured in the real window against
//! the sandbox, in two phases (the demo seed: launch → cached inbox painted, opening
//! conversations, customer message → D-Bus Notify; the scale seed: launch and memory with 10 k
//! conversations cached), each beside an empty Tauri window (`tests/bench/empty-window`)
//! launched in the same run; the full run also bundles and reports the .deb size. Written to
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
    /// Only these groups of metrics (comma-separated: store, launch, scroll, open, notify,
    /// memory, deb).
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

/// A metric's budget: the statistic it applies to and the most (or least) it may be.
struct Goal {
    name: &'static str,
    stat: &'static str,
    max: Option<f64>,
    min: Option<f64>,
    label: &'static str,
}

const GOALS: &[Goal] = &[
    Goal {
        name: "launch_to_inbox_ms",
        stat: "p50",
        max: None,
        min: None,
        label: "median of the launches (demo cache)",
    },
    Goal {
        name: "launch_to_inbox_over_empty_ms",
        stat: "p50",
        max: Some(150.0),
        min: None,
        label: "median app − median empty window, same run ≤ 150 ms",
    },
    Goal {
        name: "launch_scale_over_empty_ms",
        stat: "p50",
        max: Some(300.0),
        min: None,
        label: "scale cache: median app − median empty window ≤ 300 ms",
    },
    Goal {
        name: "memory_scale_pss_over_empty_mib",
        stat: "p50",
        max: Some(64.0),
        min: None,
        label: "PSS after idle, app − empty window ≤ 64 MiB",
    },
    Goal {
        name: "inbox_scroll_frame_ms",
        stat: "p95",
        max: Some(16.7),
        min: None,
        label: "frame time while scrolling the inbox (scale cache), p95 ≤ 16.7 ms",
    },
    Goal {
        name: "timeline_scroll_frame_ms",
        stat: "p95",
        max: Some(16.7),
        min: None,
        label: "frame time scrolling up a 5 k-message thread, p95 ≤ 16.7 ms",
    },
    Goal {
        name: "timeline_scroll_frames_at_start",
        stat: "p50",
        max: Some(30.0),
        min: None,
        label: "frames of those 600 that found the thread at its start, waiting for a page (no scrolling work) ≤ 30",
    },
    Goal {
        name: "deb_mib",
        stat: "p50",
        max: Some(12.0 * 1.048_576),
        min: None,
        label: "release .deb ≤ 12 MB",
    },
    Goal {
        name: "message_to_notify_ms",
        stat: "p95",
        max: Some(100.0),
        min: None,
        label: "p95 ≤ 100 ms",
    },
    Goal {
        name: "open_conversation_painted_ms",
        stat: "p95",
        max: Some(100.0),
        min: None,
        label: "click in the inbox → its last messages painted, p95 ≤ 100 ms",
    },
    Goal {
        name: "store_ingest_realtime_over_raw",
        stat: "p50",
        max: None,
        min: Some(0.5),
        label: "envelopes decoded → repeats dropped → stored → broadcast, as the real-time task runs it, vs raw batched insert ≥ 0.5",
    },
    Goal {
        name: "store_ingest_batched_over_raw",
        stat: "p50",
        max: None,
        min: Some(0.5),
        label: "the same envelopes through writer batches (the catch-up path's shape) vs raw ≥ 0.5",
    },
    Goal {
        name: "store_search_common_ms",
        stat: "p95",
        max: Some(30.0),
        min: None,
        label: "search at 1 M messages, common term, p95 ≤ 30 ms",
    },
    Goal {
        name: "store_search_rare_ms",
        stat: "p95",
        max: Some(30.0),
        min: None,
        label: "search at 1 M messages, rare term, p95 ≤ 30 ms",
    },
    Goal {
        name: "store_search_two_terms_ms",
        stat: "p95",
        max: Some(30.0),
        min: None,
        label: "search at 1 M messages, two terms, p95 ≤ 30 ms",
    },
    Goal {
        name: "store_search_prefix_ms",
        stat: "p95",
        max: Some(30.0),
        min: None,
        label: "search at 1 M messages, prefix, p95 ≤ 30 ms",
    },
    Goal {
        name: "store_search_common_over_bare",
        stat: "p95",
        max: Some(2.0),
        min: None,
        label: "common term p95 ≤ 2× the bare FTS5 query's",
    },
    Goal {
        name: "store_search_rare_over_bare",
        stat: "p95",
        max: Some(2.0),
        min: None,
        label: "rare term p95 ≤ 2× the bare FTS5 query's",
    },
    Goal {
        name: "store_search_two_terms_over_bare",
        stat: "p95",
        max: Some(2.0),
        min: None,
        label: "two terms p95 ≤ 2× the bare FTS5 query's",
    },
    Goal {
        name: "store_search_prefix_over_bare",
        stat: "p95",
        max: Some(2.0),
        min: None,
        label: "prefix p95 ≤ 2× the bare FTS5 query's",
    },
    Goal {
        name: "store_inbox_page_ms",
        stat: "p95",
        max: Some(2.0),
        min: None,
        label: "inbox page (every view) at 100 k conversations, p95 ≤ 2 ms",
    },
    Goal {
        name: "store_open_conversation_ms",
        stat: "p95",
        max: Some(5.0),
        min: None,
        label: "open a conversation: last 50 messages in the core, p95 ≤ 5 ms",
    },
];

pub fn bench(opts: &BenchOpts) -> Result<()> {
    let suffix = if opts.smoke {
        "-smoke"
    } else if opts.only.is_some() || opts.phase.is_some() {
        "-partial"
    } else {
        ""
    };
    let mut metrics: Vec<Value> = Vec::new();
    if opts.wants("store") && opts.phase.is_none() {
        metrics.extend(store_bench(opts.smoke)?);
    }
    if !["launch", "scroll", "notify", "memory", "open", "deb"]
        .iter()
        .any(|g| opts.wants(g))
    {
        return write_report(&metrics, suffix);
    }
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
    write_report(&metrics, suffix)
}

/// The in-process store benchmark (`cargo bench -p parley-store`), its metrics read back.
fn store_bench(smoke: bool) -> Result<Vec<Value>> {
    let dir = sys::target_dir()?.join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join("store-metrics.jsonl");
    let _ = std::fs::remove_file(&out);
    let mut args = vec!["bench", "-p", "parley-store", "--bench", "store"];
    if smoke {
        // The test command's debug build: no release build of the cache's dependencies.
        args.extend(["--profile", "dev"]);
    }
    let mut cmd = sys::cargo_cmd(&args);
    cmd.env("PARLEY_BENCH_JSON", &out);
    if smoke {
        cmd.env("PARLEY_BENCH_SMOKE", "1");
    }
    proc::run(&mut cmd)?;
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    text.lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", out.display())))
        .collect()
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
        let pass = goal
            .filter(|g| g.max.is_some() || g.min.is_some())
            .map(|g| g.max.is_none_or(|max| value <= max) && g.min.is_none_or(|min| value >= min));
        let label = goal.map_or("", |g| g.label);
        // Ratios with two decimals: 0.46 is not "0.5" beside a "no".
        let shown = if m["unit"] == "ratio" {
            format!("{value:.2}")
        } else {
            format!("{value:.1}")
        };
        md.push_str(&format!(
            "| {name} ({stat}) | {shown} | {} | {} | {label} | {} |\n",
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
