//! The shared store behaviour suite, run against the SQLite store.

use parley_store::SqliteStore;

#[tokio::test]
async fn test_sqlite_store_passes_the_store_suite() {
    parley_core::store_suite::run_all(|| async {
        SqliteStore::open_temporary().await.expect("open cache")
    })
    .await;
}

#[tokio::test]
async fn test_cache_survives_reopen() {
    use parley_core::store::{Change, Store};
    use parley_core::store_suite::{account, incoming, ACCOUNT, ME};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.save_account(&account(ACCOUNT, ME)).await.unwrap();
        s.apply(
            ACCOUNT,
            vec![
                Change::UpsertMessage(incoming(1, "k1", 10, "persisted")),
                Change::SetCursor {
                    name: "message_sync".into(),
                    value: 99,
                },
            ],
        )
        .await
        .unwrap();
        s.close().await;
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.accounts().await.unwrap().len(), 1);
    assert_eq!(s.cursor(ACCOUNT, "message_sync").await.unwrap(), Some(99));
    assert_eq!(s.search(ACCOUNT, "persisted", 5).await.unwrap().len(), 1);
    assert_eq!(s.counts(ACCOUNT).await.unwrap().unread, 1);
}
