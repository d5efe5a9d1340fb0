//! What the rate-limited third-party clients (`api_dixa`, `api_wapikit`) share: the retry
//! policy with its backoff, and the 429 gate that holds every request of one client until the
//! server's wait is over.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;

/// How many times a request is sent and how long the client waits in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The longest wait a `Retry-After` may ask for; a longer one fails the call at once.
    pub max_wait: Duration,
    /// The first backoff after a network error or 5xx (or a 429 without `Retry-After`);
    /// it doubles with each attempt.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_wait: Duration::from_secs(30),
            backoff: Duration::from_millis(250),
        }
    }
}

impl RetryPolicy {
    /// At least one attempt.
    pub fn checked(self) -> Self {
        Self {
            max_attempts: self.max_attempts.max(1),
            ..self
        }
    }

    /// The wait before attempt `attempt + 1`: the backoff doubled per attempt (capped at
    /// 64×), plus up to half of it again as jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self.backoff.saturating_mul(1 << attempt.min(6));
        let half = u64::try_from(base.as_millis() / 2).unwrap_or(u64::MAX);
        base + Duration::from_millis(rand::thread_rng().gen_range(0..=half))
    }
}

/// Send one request (auth headers already on it) as JSON, and read the whole answer: status,
/// headers and body. A failure to connect or to read is a `Network` error naming `url`.
pub async fn exchange(
    req: reqwest::RequestBuilder,
    url: &str,
    body: Option<&serde_json::Value>,
) -> crate::error::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, String)> {
    let mut req = req.header(reqwest::header::ACCEPT, "application/json");
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| crate::http::network_error(url, &e))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp
        .text()
        .await
        .map_err(|e| crate::http::network_error(url, &e))?;
    Ok((status, headers, text))
}

/// After a 429 nobody in the client sends until the server's wait is over.
#[derive(Debug, Default)]
pub struct RateGate(Mutex<Option<Instant>>);

impl RateGate {
    /// Wait while the gate is closed (re-checked: another 429 may push it later).
    pub async fn wait(&self) {
        loop {
            let until = *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
    }

    /// Close the gate for `wait` (plus a little jitter, so the waiting requests do not all
    /// arrive in the same millisecond); never shortens a longer close.
    pub fn close(&self, wait: Duration) {
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=50));
        let until = Instant::now() + wait + jitter;
        let mut gate = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if gate.is_none_or(|g| g < until) {
            *gate = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_backoff_doubles_with_jitter_and_stops_doubling_at_64x() {
        let p = RetryPolicy {
            backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for (attempt, base) in [(0u32, 100u64), (1, 200), (3, 800), (6, 6_400), (20, 6_400)] {
            let d = p.backoff(attempt).as_millis() as u64;
            assert!(
                (base..=base + base / 2).contains(&d),
                "attempt {attempt}: {d} ms"
            );
        }
        assert_eq!(
            RetryPolicy {
                max_attempts: 0,
                ..p
            }
            .checked()
            .max_attempts,
            1
        );
    }

    #[tokio::test]
    async fn test_a_closed_gate_holds_until_the_longest_wait() {
        let gate = RateGate::default();
        let start = Instant::now();
        gate.wait().await;
        assert!(start.elapsed() < Duration::from_millis(50), "open at first");
        gate.close(Duration::from_millis(300));
        gate.close(Duration::from_millis(10)); // never shortens
        gate.wait().await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
    }
}
