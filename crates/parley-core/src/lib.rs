//! Parley core: the domain types and pure logic shared by every host (the Tauri app, the CLI,
//! tests). Nothing here performs I/O or knows about Tauri, GTK or WebKit, so it builds and tests
//! anywhere in seconds.

pub mod error;
pub mod secret;
pub mod server;
pub mod signin;

pub use error::{AppError, ErrorCode};
pub use secret::Secret;
pub use server::{Endpoints, ServerChoice, ServerPreset};
pub use signin::{SignInForm, SignInPlan, SignInRole, ValidSignIn};
