//! WapiKit's per-route rate limit: a fixed window per (caller, route) (WapiKit counts per
//! client and route in Redis; 600 requests/hour on the conversation routes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct WindowLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl WindowLimiter {
    /// `limit` 0 turns the limit off.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window: window.max(Duration::from_millis(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Counts one request for `key`; `Err(time until the window resets)` when over the limit.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_window_allows_the_limit_then_resets() {
        let l = WindowLimiter::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        assert!(l.take_at("a", t0).is_ok());
        assert!(l.take_at("a", t0).is_ok());
        let wait = l.take_at("a", t0 + Duration::from_secs(4)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        assert!(
            l.take_at("b", t0).is_ok(),
            "another route or caller has its own window"
        );
        assert!(l.take_at("a", t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn test_zero_limit_means_none() {
        let l = WindowLimiter::new(0, Duration::from_secs(1));
        for _ in 0..100 {
            assert!(l.take("a").is_ok());
        }
    }
}
