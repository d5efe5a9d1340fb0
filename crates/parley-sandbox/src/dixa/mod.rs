//! Dixa's platform API (`https://dev.dixa.io`, `/v1/...`): the end users (contacts) Parley
//! reads and edits, served next to the Applozic/Kommunicate API.
//!
//! Dixa speaks differently from Applozic: `Authorization: <API token>` (or `Bearer <token>`),
//! bodies wrapped in `{"data": …}`, errors as `{"message": "…"}` with the HTTP status, bulk
//! calls answering one `BulkActionSuccess` / `BulkActionFailure` item per input row, and a
//! per-token rate limit (10 requests/s, burst 4) answered with 429 and `Retry-After`.
//! The handlers are in `routes/dixa.rs`.

pub mod auth;
pub mod error;
pub mod limiter;
pub mod model;
pub mod time;

pub use auth::DixaCaller;
pub use error::{DixaError, DixaResult};
pub use limiter::RateLimiter;

/// The organisation every sandbox token belongs to (it appears in bulk failure messages).
pub const ORG_ID: &str = "5b1a7c4e-2f0d-4e8a-9c61-3d2b8e7f9a10";
