//! The attachment cache: downloaded files live under one directory, named by a hash of their
//! blob key, never by the name a sender chose. The total size is capped; the least recently
//! used files go first.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{ClientError, Result};
use crate::http::RestClient;

/// Largest single download Parley accepts.
pub const MAX_DOWNLOAD: u64 = 50 * 1024 * 1024;

pub struct AttachmentCache {
    dir: PathBuf,
    cap_bytes: u64,
}

fn io(e: std::io::Error) -> ClientError {
    ClientError::Store(parley_core::StoreError::Other(format!(
        "attachment cache: {e}"
    )))
}

/// A stable file name for a blob key: FNV-1a 64 of the key, hex. Blob keys come from the
/// server and may contain anything; the name on disk never does.
fn file_name(blob_key: &str) -> String {
    format!("{}.bin", parley_core::files::fnv1a_hex(blob_key))
}

impl AttachmentCache {
    pub fn new(dir: impl Into<PathBuf>, cap_bytes: u64) -> Self {
        Self {
            dir: dir.into(),
            cap_bytes,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cached file for `blob_key`, if present (and marks it recently used).
    pub fn get(&self, blob_key: &str) -> Option<PathBuf> {
        let p = self.dir.join(file_name(blob_key));
        if p.is_file() {
            // Touch: the modification time is the "last used" time for eviction.
            if let Ok(f) = std::fs::File::options().append(true).open(&p) {
                let _ = f.set_modified(SystemTime::now());
            }
            Some(p)
        } else {
            None
        }
    }

    /// Store bytes for `blob_key` (atomically: written to a temp file, then renamed) and
    /// evict old files beyond the cap.
    pub fn put(&self, blob_key: &str, bytes: &[u8]) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let target = self.dir.join(file_name(blob_key));
        let tmp = self.dir.join(format!("{}.part", file_name(blob_key)));
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &target).map_err(io)?;
        self.evict(Some(&target))?;
        Ok(target)
    }

    /// Download through `rest` unless cached.
    pub async fn fetch(&self, rest: &RestClient, blob_key: &str) -> Result<PathBuf> {
        if let Some(p) = self.get(blob_key) {
            return Ok(p);
        }
        let download = rest.download_file(blob_key, MAX_DOWNLOAD).await?;
        self.put(blob_key, &download.bytes)
    }

    /// Remove every cached file (the agent asked to clear the cache).
    pub fn clear(&self) {
        for (path, _, _) in self.entries() {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!("could not remove {}: {e}", path.display());
            }
        }
    }

    /// Total bytes cached.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|(_, len, _)| len).sum()
    }

    fn entries(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        rd.flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                m.is_file().then(|| {
                    (
                        e.path(),
                        m.len(),
                        m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    )
                })
            })
            .filter(|(p, _, _)| p.extension().is_some_and(|x| x == "bin"))
            .collect()
    }

    fn evict(&self, keep: Option<&Path>) -> Result<()> {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|(_, l, _)| l).sum();
        if total <= self.cap_bytes {
            return Ok(());
        }
        entries.sort_by_key(|(_, _, t)| *t);
        for (path, len, _) in entries {
            if total <= self.cap_bytes {
                break;
            }
            if Some(path.as_path()) == keep {
                continue;
            }
            std::fs::remove_file(&path).map_err(io)?;
            total = total.saturating_sub(len);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cache_names_files_by_hash_and_evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AttachmentCache::new(dir.path(), 250);
        let a = cache.put("../../etc/passwd", &[1; 100]).unwrap();
        assert!(a.starts_with(dir.path()), "no path tricks: {}", a.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
        cache.put("b", &[2; 100]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Using "a" makes "b" the least recently used.
        assert!(cache.get("../../etc/passwd").is_some());
        std::thread::sleep(std::time::Duration::from_millis(20));
        cache.put("c", &[3; 100]).unwrap();
        assert!(cache.size() <= 250);
        assert!(cache.get("b").is_none(), "b evicted");
        assert!(cache.get("../../etc/passwd").is_some());
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn test_a_file_larger_than_the_cap_is_still_kept_alone() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AttachmentCache::new(dir.path(), 10);
        cache.put("small", &[0; 5]).unwrap();
        let big = cache.put("big", &[0; 50]).unwrap();
        assert!(big.is_file());
        assert!(cache.get("small").is_none());
    }
}
