//! `--broker tcp://…`: the sandbox publishes and consumes through an external broker
//! (mosquitto, when installed; the test says so and passes trivially otherwise).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use parley_sandbox::{BrokerConfig, SandboxConfig};
use pretty_assertions::assert_eq;
use serde_json::json;

struct Mosquitto(std::process::Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mosquitto_binary() -> Option<&'static str> {
    [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test]
async fn test_external_broker_mode_delivers_envelopes_and_consumes_receipts() {
    let Some(bin) = mosquitto_binary() else {
        assert!(
            std::env::var_os("PARLEY_REQUIRE_MOSQUITTO").is_none(),
            "mosquitto is required here (cargo xtask test installs it)"
        );
        eprintln!("mosquitto is not installed: external broker mode not exercised");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"),
    )
    .unwrap();
    let _broker = Mosquitto(
        Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut config = SandboxConfig::for_tests();
    config.broker = BrokerConfig::External(format!("tcp://127.0.0.1:{port}"));
    let sb = start_with(config).await;
    assert_eq!(sb.mqtt_url(), format!("tcp://127.0.0.1:{port}"));
    let a = register(&sb, "alice", None).await;
    let b = register(&sb, "bob", None).await;
    let mut alice_rt = mqtt(&sb, &a, std::slice::from_ref(&a.user_key)).await;
    let mut bob_rt = mqtt(&sb, &b, std::slice::from_ref(&b.user_key)).await;
    let (_, v) = post(
        &sb,
        &a,
        "/rest/ws/message/send",
        json!({"to": "bob", "message": "via mosquitto"}),
    )
    .await;
    let key = v["response"]["messageKey"].as_str().unwrap().to_owned();
    let (_, env) = bob_rt.expect("APPLOZIC_01").await;
    assert_eq!(env["message"]["message"], "via mosquitto");
    bob_rt
        .publish("message-status", &format!("bob,{key},4"))
        .await;
    let (_, env) = alice_rt.expect("APPLOZIC_04").await;
    assert_eq!(env["message"], format!("{key},bob"));
}
