//! A strictly increasing millisecond clock.
//!
//! Every write gets a distinct timestamp, so `createdAtTime`/`updatedAt` cursors never tie and
//! message keys built from the time (`5-<group>-<ms>`) are unique.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub struct Clock {
    last: AtomicI64,
}

/// Wall-clock milliseconds since the Unix epoch.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next timestamp: the wall clock, or one more than the previous value if the wall
    /// clock has not moved on (or went backwards).
    pub fn now(&self) -> i64 {
        let wall = wall_ms();
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = wall.max(prev + 1);
            match self
                .last
                .compare_exchange_weak(prev, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => prev = actual,
            }
        }
    }

    /// Makes sure later calls to [`Clock::now`] return values above `ts` (used after seeding
    /// data with timestamps of its own).
    pub fn advance_past(&self, ts: i64) {
        self.last.fetch_max(ts, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_is_strictly_increasing() {
        let clock = Clock::new();
        let mut prev = clock.now();
        for _ in 0..10_000 {
            let next = clock.now();
            assert!(next > prev);
            prev = next;
        }
    }

    #[test]
    fn test_clock_advance_past_moves_the_clock() {
        let clock = Clock::new();
        let far = wall_ms() + 1_000_000;
        clock.advance_past(far);
        assert!(clock.now() > far);
    }
}
