//! Secrets through the real OS keyring (Secret Service on Linux). `cargo xtask test` runs
//! this inside a private D-Bus session with an unlocked gnome-keyring and sets
//! PARLEY_REQUIRE_KEYRING=1, so there it must pass; elsewhere it is skipped when no keyring
//! answers.

use parley_client::secrets::{KeyringSecrets, SecretKind, SecretStore};
use parley_core::Secret;

#[test]
fn test_secrets_round_trip_through_secret_service_and_sign_out_forgets_them() {
    let service = format!("io.parley.test.{}", std::process::id());
    let store = KeyringSecrets::with_service(&service);
    let account = "parley-sandbox:alice@parley.test";
    let probe = store.set(account, SecretKind::Password, &Secret::new("probe"));
    if let Err(e) = &probe {
        assert!(
            std::env::var_os("PARLEY_REQUIRE_KEYRING").is_none(),
            "the keyring is required here but failed: {e}"
        );
        eprintln!("no keyring available, skipping: {e}");
        return;
    }
    for (kind, value) in [
        (SecretKind::Password, "hunter2"),
        (SecretKind::DeviceKey, "device-key-123"),
        (SecretKind::AuthToken, "eyJhbGciOi.jwt.sig"),
    ] {
        store.set(account, kind, &Secret::new(value)).unwrap();
        assert_eq!(store.get(account, kind).unwrap().unwrap().expose(), value);
    }
    // A second store instance (a restarted app) reads the same secrets.
    let again = KeyringSecrets::with_service(&service);
    assert_eq!(
        again
            .get(account, SecretKind::DeviceKey)
            .unwrap()
            .unwrap()
            .expose(),
        "device-key-123"
    );
    store.delete_all(account).unwrap();
    for kind in SecretKind::ALL {
        assert!(
            store.get(account, kind).unwrap().is_none(),
            "{kind:?} forgotten"
        );
    }
}
