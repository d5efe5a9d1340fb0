//! Parley core: the domain types and pure logic shared by every host (the Tauri app, the CLI,
//! tests). Nothing here performs I/O or knows about Tauri, GTK or WebKit, so it builds and tests
//! anywhere in seconds.

pub mod dixa;
pub mod error;
pub mod files;
pub mod memory_store;
pub mod model;
pub mod notify;
pub mod people;
pub mod realtime;
pub mod secret;
pub mod server;
pub mod signin;
pub mod store;
#[cfg(any(test, feature = "store-suite"))]
pub mod store_suite;
pub mod wapikit;
pub mod wapikit_model;
pub mod wire;

pub use error::{AppError, ErrorCode};
pub use memory_store::MemoryStore;
pub use secret::Secret;
pub use server::{Endpoints, Platform, ServerChoice, ServerPreset};
pub use signin::{
    SignInForm, SignInPlan, SignInRole, ValidSignIn, ValidWapiKitSignIn, WapiKitSignInForm,
};
pub use store::{Account, Applied, Change, Store, StoreError};

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn test_memory_store_passes_the_store_suite() {
        crate::store_suite::run_all(|| async { crate::MemoryStore::new() }).await;
    }
}
