//! The SQLite store: one file under `--data DIR`, or one in-memory database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions;
use sqlx::SqlitePool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the database and applies the migrations. For the in-memory
/// database, also a second connection that is never used: it keeps the database alive.
///
/// An in-memory database lives as long as one of its connections does. The pool has a single
/// connection, and sqlx closes a pooled connection it finds broken on release (a request
/// dropped mid-query, e.g. a client that was killed). It then opens a replacement. Without
/// the keeper, the replacement was a new, empty database ("no such table: users"). The
/// replacement now joins the same database, and the swap is logged.
pub async fn open(
    data_dir: Option<&Path>,
) -> anyhow::Result<(SqlitePool, Option<std::sync::Mutex<sqlx::SqliteConnection>>)> {
    let (pool, keeper) = match data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let options = SqliteConnectOptions::new()
                .filename(dir.join("sandbox.sqlite3"))
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(false);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?;
            (pool, None)
        }
        None => {
            // One pooled connection: the database is shared (sqlx names it and opens it with a
            // shared cache), but its connections would lock each other's tables.
            let options = SqliteConnectOptions::from_str("sqlite::memory:")?
                .journal_mode(SqliteJournalMode::Memory)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(false);
            let keeper = options.connect().await?;
            let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |_, _| {
                    let opened = opened.clone();
                    Box::pin(async move {
                        if opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 0 {
                            tracing::warn!(
                                "the in-memory database's connection was replaced (sqlx closed \
                                 the previous one); the data is kept"
                            );
                        }
                        Ok(())
                    })
                })
                .connect_with(options)
                .await?;
            (pool, Some(std::sync::Mutex::new(keeper)))
        }
    };
    MIGRATOR.run(&pool).await?;
    Ok((pool, keeper))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn test_the_in_memory_database_survives_its_connection_being_replaced() {
        let (pool, _keeper) = open(None).await.unwrap();
        let users = || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users");
        let before = users().fetch_one(&pool).await.unwrap();
        // What sqlx does with a connection it finds broken on release: close it; the pool
        // then opens a replacement (min_connections = 1).
        let mut conn = pool.acquire().await.unwrap();
        conn.close_on_drop();
        drop(conn);
        let after = tokio::time::timeout(Duration::from_secs(10), users().fetch_one(&pool))
            .await
            .expect("the pool answers")
            .expect("the tables are still there");
        assert_eq!(after, before);
    }
}
