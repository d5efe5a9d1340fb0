//! The SQLite store: one file under `--data DIR`, or one in-memory database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the database and applies the migrations.
pub async fn open(data_dir: Option<&Path>) -> anyhow::Result<SqlitePool> {
    let pool = match data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let options = SqliteConnectOptions::new()
                .filename(dir.join("sandbox.sqlite3"))
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(false);
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?
        }
        None => {
            // One connection: every connection to ":memory:" would be a database of its own.
            let options = SqliteConnectOptions::from_str("sqlite::memory:")?
                .journal_mode(SqliteJournalMode::Memory)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(false);
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        }
    };
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
