//! `parley-cli` end to end against the sandbox, with the real keyring (run inside the
//! D-Bus session `cargo xtask test` provides): sign in, sync, inbox, send, search, sign out;
//! a SIGKILL during ingest loses nothing; no secret ever reaches the cache files.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use parley_client::secrets::{KeyringSecrets, SecretKind, SecretStore};
use parley_core::store::Store;
use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_parley-cli");

fn keyring_available(service: &str) -> bool {
    let s = KeyringSecrets::with_service(service);
    match s.set(
        "probe",
        SecretKind::Password,
        &parley_core::Secret::new("x"),
    ) {
        Ok(()) => {
            let _ = s.delete("probe", SecretKind::Password);
            true
        }
        Err(e) => {
            assert!(
                std::env::var_os("PARLEY_REQUIRE_KEYRING").is_none(),
                "the keyring is required here but failed: {e}"
            );
            eprintln!("no keyring available, skipping: {e}");
            false
        }
    }
}

/// Everything the CLI printed on stderr in this test process (its log), scanned for secrets.
static STDERR: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn cli(
    profile: &Path,
    service: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--profile")
        .arg(profile)
        .arg("--keyring-service")
        .arg(service)
        .arg("--json")
        .args(args)
        // Every log line, so the secrets scan below sees everything the CLI could log.
        .env("PARLEY_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("parley-cli runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    if let Ok(mut all) = STDERR.lock() {
        all.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn sandbox() -> Sandbox {
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = SeedConfig::Demo;
    Sandbox::start(cfg).await.unwrap()
}

async fn customer_token(sb: &Sandbox, user: &str, password: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{}/rest/ws/register/client", sb.http_url()))
        .header("Application-Key", sb.application_id())
        .json(&json!({"userId": user, "password": password, "applicationId": sb.application_id()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["authToken"].as_str().unwrap().to_owned()
}

async fn customer_call(sb: &Sandbox, token: &str, path: &str, body: Value) -> Value {
    let text = reqwest::Client::new()
        .post(format!("{}{path}", sb.http_url()))
        .header("Application-Key", sb.application_id())
        .header("X-Authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

fn group_id(v: &Value) -> i64 {
    let r = if v.get("response").is_some() {
        &v["response"]
    } else {
        v
    };
    r["id"]
        .as_i64()
        .or_else(|| r["groupId"].as_i64())
        .unwrap_or_else(|| panic!("{v}"))
}

/// Every file of the profile, scanned for a secret's bytes.
fn scan(profile: &Path, secret: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(profile).unwrap().flatten() {
        let data = std::fs::read(entry.path()).unwrap_or_default();
        if data.windows(secret.len()).any(|w| w == secret.as_bytes()) {
            hits.push(entry.path().display().to_string());
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_cli_session_signs_in_syncs_sends_and_signs_out_leaving_no_secrets() {
    let service = format!("io.parley.cli-test.{}", std::process::id());
    if !keyring_available(&service) {
        return;
    }
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path();
    let agent = sb.ready_info().agents[0].clone();
    let mqtt = sb.mqtt_url().to_owned();
    let (ok, out, err) = cli(
        profile,
        &service,
        &[
            "login",
            "--server",
            sb.http_url(),
            "--broker",
            &mqtt,
            "--app-key",
            sb.application_id(),
            "--user",
            &agent.user_id,
        ],
        Some(&format!("{}\n", agent.password)),
    );
    assert!(ok, "login: {err}");
    let login: Value = serde_json::from_str(out.trim()).unwrap();
    let account = login["account"].as_str().unwrap().to_owned();

    let (ok, out, err) = cli(profile, &service, &["sync", "--timeout", "30"], None);
    assert!(ok, "sync: {err}");
    let sync: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(sync["counts"]["all"].as_i64().unwrap() > 0, "{sync}");

    let (ok, out, _) = cli(
        profile,
        &service,
        &["inbox", "--view", "all", "--limit", "5"],
        None,
    );
    assert!(ok);
    let rows: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5);

    // A fresh conversation from a customer, answered from the CLI.
    let cust = sb.ready_info().customers[5].clone();
    let token = customer_token(&sb, &cust.user_id, &cust.password).await;
    let created = customer_call(
        &sb,
        &token,
        "/rest/ws/group/conversation",
        json!({"groupName": "CLI test", "groupMemberList": [agent.user_id], "metadata": {"SKIP_ROUTING": "true", "CONVERSATION_ASSIGNEE": agent.user_id}}),
    )
    .await;
    let g = group_id(&created);
    customer_call(
        &sb,
        &token,
        "/rest/ws/message/send",
        json!({"groupId": g, "message": "refund please, order 991"}),
    )
    .await;
    let conv = format!("g:{g}");
    let (ok, out, err) = cli(
        profile,
        &service,
        &["send", &conv, "Refund issued for order 991"],
        None,
    );
    assert!(ok, "send: {err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["sent"], json!(true));
    let (ok, out, _) = cli(profile, &service, &["search", "991"], None);
    assert!(ok);
    let hits: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(hits.as_array().unwrap().len() >= 2, "{hits}");

    // The secrets are in the keyring, never in the profile's files.
    let ks = KeyringSecrets::with_service(&service);
    let device = ks.get(&account, SecretKind::DeviceKey).unwrap().unwrap();
    let jwt = ks.get(&account, SecretKind::AuthToken).unwrap().unwrap();
    for secret in [agent.password.as_str(), device.expose(), jwt.expose()] {
        assert!(
            scan(profile, secret).is_empty(),
            "a secret leaked into the cache files"
        );
    }

    let (ok, _, err) = cli(profile, &service, &["logout"], None);
    assert!(ok, "logout: {err}");
    for kind in SecretKind::ALL {
        assert!(
            ks.get(&account, kind).unwrap().is_none(),
            "{kind:?} removed from the keyring"
        );
    }
    let (ok, _, err) = cli(profile, &service, &["inbox"], None);
    assert!(!ok && err.contains("not signed in"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sigkill_during_ingest_loses_nothing_acknowledged() {
    let service = format!("io.parley.cli-kill.{}", std::process::id());
    if !keyring_available(&service) {
        return;
    }
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path();
    let agent = sb.ready_info().agents[1].clone();
    let mqtt = sb.mqtt_url().to_owned();
    let (ok, _, err) = cli(
        profile,
        &service,
        &[
            "login",
            "--server",
            sb.http_url(),
            "--broker",
            &mqtt,
            "--app-key",
            sb.application_id(),
            "--user",
            &agent.user_id,
        ],
        Some(&agent.password),
    );
    assert!(ok, "login: {err}");
    let (ok, _, err) = cli(profile, &service, &["sync", "--timeout", "30"], None);
    assert!(ok, "first sync: {err}");

    // While the CLI is not running, a customer sends a large backlog.
    let cust = sb.ready_info().customers[6].clone();
    let token = customer_token(&sb, &cust.user_id, &cust.password).await;
    let created = customer_call(
        &sb,
        &token,
        "/rest/ws/group/conversation",
        json!({"groupName": "Backlog", "groupMemberList": [agent.user_id], "metadata": {"SKIP_ROUTING": "true", "CONVERSATION_ASSIGNEE": agent.user_id}}),
    )
    .await;
    let g = group_id(&created);
    const N: usize = 2000;
    for i in 0..N {
        customer_call(
            &sb,
            &token,
            "/rest/ws/message/send",
            json!({"groupId": g, "message": format!("backlog {i:05}")}),
        )
        .await;
    }

    // Start catching up, and kill it hard part-way.
    let mut child = Command::new(BIN)
        .arg("--profile")
        .arg(profile)
        .args(["--keyring-service", &service, "sync", "--timeout", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();

    let before_restart = {
        let store = parley_store::SqliteStore::open(&profile.join("cache.sqlite"))
            .await
            .unwrap();
        let account = store.accounts().await.unwrap()[0].id.clone();
        let n = store
            .timeline(&account, &format!("g:{g}"), None, 10_000)
            .await
            .unwrap()
            .len();
        store.close().await;
        n
    };
    println!(
        "SIGKILL test: {before_restart} of {N} messages were committed when the process was killed"
    );
    // Restart: it resumes from the cursor it committed with the data.
    let (ok, _, err) = cli(profile, &service, &["sync", "--timeout", "60"], None);
    assert!(ok, "resumed sync: {err}");
    let store = parley_store::SqliteStore::open(&profile.join("cache.sqlite"))
        .await
        .unwrap();
    let account = store.accounts().await.unwrap()[0].id.clone();
    let tl = store
        .timeline(&account, &format!("g:{g}"), None, 10_000)
        .await
        .unwrap();
    let texts: Vec<&str> = tl
        .iter()
        .map(|m| m.text.as_str())
        .filter(|t| t.starts_with("backlog"))
        .collect();
    let expected: Vec<String> = (0..N).map(|i| format!("backlog {i:05}")).collect();
    println!(
        "SIGKILL test: {} of {N} backlog messages present after restart, {} duplicates",
        texts.len(),
        texts.len().saturating_sub(expected.len())
    );
    assert_eq!(texts, expected, "all present, once each, in order");
    let _ = KeyringSecrets::with_service(&service).delete_all(&account);
}
