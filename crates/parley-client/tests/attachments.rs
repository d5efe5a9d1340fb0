//! Attachments: upload with progress, the message carries the FileMeta, the file downloads
//! into the size-capped cache.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use parley_client::attachments::AttachmentCache;
use parley_core::store::Store;
use parley_sandbox::SeedConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_file_upload_reports_progress_sends_and_downloads_into_the_cache() {
    let sb = sandbox(SeedConfig::Demo).await;
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(30)).await.unwrap();
    let cust = sb.ready_info().customers[2].clone();
    let customer = Customer::sign_in(&sb, &cust.user_id, Some(&cust.password)).await;
    let group = customer.start_conversation("Invoice", &a.user_id).await;
    let conv = format!("g:{group}");

    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let progress: Arc<dyn Fn(u64, u64) + Send + Sync> = Arc::new(move |sent, total| {
        assert!(sent <= total);
        s2.store(sent, Ordering::SeqCst);
    });
    a.client
        .send_file(
            &conv,
            "invoice.pdf",
            "application/pdf",
            bytes.clone().into(),
            "Here is the invoice",
            Some(progress),
        )
        .await
        .unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        bytes.len() as u64,
        "progress reached 100%"
    );
    eventually(10, "sent", || async {
        a.client.outbox().await.unwrap().is_empty()
    })
    .await;

    // The customer sees the file message; the agent's cache holds its metadata.
    let thread = customer.thread(group).await;
    let (_, m) = thread
        .iter()
        .find(|(t, _)| t == "Here is the invoice")
        .expect("on the server");
    let blob = m["fileMeta"]["blobKey"]
        .as_str()
        .expect("fileMeta.blobKey")
        .to_owned();
    let acc = a.client.account().id.clone();
    let tl = a.store.timeline(&acc, &conv, None, 10).await.unwrap();
    let att = tl
        .iter()
        .find_map(|m| m.attachment.clone())
        .expect("attachment cached");
    assert_eq!(att.name, "invoice.pdf");
    assert_eq!(att.size, bytes.len() as i64);

    let dir = tempfile::tempdir().unwrap();
    let cache = AttachmentCache::new(dir.path(), 10 * 1024 * 1024);
    let path = cache.fetch(a.client.rest().unwrap(), &blob).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(path.starts_with(dir.path()));
    // A second fetch is served from the cache.
    assert_eq!(
        cache.fetch(a.client.rest().unwrap(), &blob).await.unwrap(),
        path
    );
    a.client.stop().await;
}
