//! A full disk: writes fail with `StoreError::DiskFull`, the cache stays intact, and once
//! space returns writing works again (nothing stays locked). Needs root to mount a small
//! tmpfs; skipped with a message otherwise.

use parley_core::store::{Change, Store};
use parley_core::store_suite::{account, incoming, ACCOUNT, ME};
use parley_core::StoreError;
use parley_store::SqliteStore;

struct Tmpfs(tempfile::TempDir);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

fn mount_tmpfs(size: &str) -> Option<Tmpfs> {
    let dir = tempfile::tempdir().ok()?;
    std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(Tmpfs(dir))
}

fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    for size in [64 * 1024, 512] {
        let block = vec![0u8; size];
        while f.write_all(&block).is_ok() {}
    }
    path
}

fn batch(from: usize, n: usize) -> Vec<Change> {
    (from..from + n)
        .map(|i| {
            let text = format!("message {i} {}", "lorem ipsum ".repeat(40));
            Change::UpsertMessage(incoming(1, &format!("k{i}"), i as i64 + 1, &text))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_disk_full_is_reported_and_writing_resumes_once_space_returns() {
    let Some(fs) = mount_tmpfs("4m") else {
        eprintln!("cannot mount a tmpfs here (needs root): skipped");
        return;
    };
    let path = fs.0.path().join("cache.sqlite");
    let s = SqliteStore::open(&path).await.unwrap();
    s.save_account(&account(ACCOUNT, ME)).await.unwrap();
    s.apply(ACCOUNT, batch(0, 50)).await.unwrap();
    let filler = fill(fs.0.path());
    let mut next = 50;
    let err = loop {
        match s.apply(ACCOUNT, batch(next, 50)).await {
            Ok(_) => next += 50,
            Err(e) => break e,
        }
        assert!(next < 100_000, "the disk never filled");
    };
    assert!(
        matches!(err, StoreError::DiskFull(_)),
        "a clear error: {err:?}"
    );
    // Still full: every write fails the same way, none hangs on a lock.
    for _ in 0..3 {
        let e = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            s.apply(ACCOUNT, batch(next, 50)),
        )
        .await
        .expect("no hang")
        .unwrap_err();
        assert!(matches!(e, StoreError::DiskFull(_)), "{e:?}");
    }
    std::fs::remove_file(&filler).unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        s.apply(ACCOUNT, batch(next, 50)),
    )
    .await
    .expect("no lock left behind")
    .expect("writing works again");
    let stored: (i64,) = sqlx::query_as("SELECT count(*) FROM messages")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(
        stored.0,
        i64::try_from(next + 50).unwrap(),
        "every committed batch is there, nothing else"
    );
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(check.0, "ok");
    s.close().await;
}
