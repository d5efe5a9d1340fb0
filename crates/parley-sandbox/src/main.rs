//! `parley-sandbox`: runs the emulator and prints one JSON "ready" line on stdout.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use parley_sandbox::{BrokerConfig, Sandbox, SandboxConfig, SeedConfig};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Seed {
    Demo,
    Scale,
    None,
}

/// A local emulator of the Applozic/Kommunicate platform (REST + MQTT).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// HTTP listen address (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    http: SocketAddr,
    /// Embedded MQTT broker listen address (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0", conflicts_with = "broker")]
    mqtt: SocketAddr,
    /// Use an external MQTT broker instead, e.g. tcp://127.0.0.1:1883.
    #[arg(long)]
    broker: Option<String>,
    /// Keep state in DIR/sandbox.sqlite3.
    #[arg(long, value_name = "DIR", conflicts_with = "memory")]
    data: Option<PathBuf>,
    /// Keep state in memory (the default when --data is not given).
    #[arg(long)]
    memory: bool,
    /// Data to generate at start.
    #[arg(long, value_enum, default_value = "demo")]
    seed: Seed,
    /// Conversations for --seed scale.
    #[arg(long, default_value_t = 100_000)]
    conversations: u64,
    /// Messages for --seed scale.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Simulated customers send messages and typing at RATE per second.
    #[arg(long, value_name = "RATE")]
    simulate: Option<f64>,
    /// Application key (default: parley-sandbox).
    #[arg(long, default_value = "parley-sandbox")]
    application_id: String,
    /// Server API key (default: random).
    #[arg(long)]
    api_key: Option<String>,
    /// JWT lifetime in minutes.
    #[arg(long, default_value_t = 30 * 24 * 60)]
    token_minutes: i64,
    /// Largest upload in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_upload: usize,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rumqttd=off".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(rate) = args.simulate {
        if !(rate.is_finite() && rate > 0.0 && rate <= 10_000.0) {
            anyhow::bail!("--simulate needs a rate between 0 and 10000");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut config = SandboxConfig::for_tests();
        config.http_addr = args.http;
        config.broker = match args.broker {
            Some(url) => BrokerConfig::External(url),
            None => BrokerConfig::Embedded(args.mqtt),
        };
        config.data_dir = if args.memory { None } else { args.data };
        config.seed = match args.seed {
            Seed::Demo => SeedConfig::Demo,
            Seed::None => SeedConfig::None,
            Seed::Scale => SeedConfig::Scale {
                conversations: args.conversations,
                messages: args.messages,
            },
        };
        config.simulate = args.simulate;
        config.application_id = args.application_id;
        config.api_key = args.api_key;
        config.token_valid_minutes = args.token_minutes.max(1);
        config.max_upload_bytes = args.max_upload;

        let sandbox = Sandbox::start(config).await?;
        tracing::info!(seed_ms = sandbox.seed_duration.as_millis() as u64, "seeded");
        let line = serde_json::to_string(sandbox.ready_info())?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        wait_for_signal().await;
        tracing::info!("shutting down");
        sandbox.shutdown().await;
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
