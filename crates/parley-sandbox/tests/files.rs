//! Files: upload (multipart `file` → FileMeta), download by blobKey, limits and path tricks.

mod common;

use common::*;
use parley_sandbox::SandboxConfig;
use pretty_assertions::assert_eq;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn upload(
    sb: &parley_sandbox::Sandbox,
    s: &Session,
    path: &str,
    field: &str,
    name: &str,
    data: Vec<u8>,
    mime: &str,
) -> (StatusCode, String) {
    let part = Part::bytes(data)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let res = http()
        .post(format!("{}{}", sb.http_url(), path))
        .header("Application-Key", APP)
        .header("X-Authorization", &s.token)
        .multipart(Form::new().part(field.to_owned(), part))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn test_upload_image_returns_file_meta_and_download_serves_bytes() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let bytes = b"\x89PNG\r\n\x1a\nnot-really-a-png".to_vec();
    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image?aclsPrivate=true",
        "file",
        "photo.png",
        bytes.clone(),
        "image/png",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let meta: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(meta["name"], "photo.png");
    assert_eq!(meta["contentType"], "image/png");
    assert_eq!(meta["size"], bytes.len());
    assert_eq!(meta["userKey"], me.user_key);
    assert!(meta["createdAtTime"].is_i64());
    let blob = meta["blobKey"].as_str().unwrap();
    assert!(meta["thumbnailUrl"].is_string());

    let res = http()
        .get(meta["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);

    let (status, url) = get(&sb, &me, &format!("/rest/ws/file/url?key={blob}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(url.as_str().unwrap().ends_with(blob));

    // The FileMeta goes into a message as is.
    register(&sb, "peer", None).await;
    let (status, _) = post(
        &sb,
        &me,
        "/rest/ws/message/send",
        json!({"to": "peer", "message": "", "fileMeta": meta}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = get(&sb, &me, "/rest/ws/message/list?userId=peer").await;
    assert_eq!(v["message"][0]["contentType"], 1);
    assert_eq!(v["message"][0]["fileMeta"]["blobKey"], blob);

    let (status, _) = get(&sb, &me, &format!("/rest/ws/file/delete?key={blob}")).await;
    assert_eq!(status, StatusCode::OK);
    let res = http()
        .get(meta["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_error(&res.json().await.unwrap(), "AL-F-01");
}

#[tokio::test]
async fn test_upload_strips_path_tricks_from_file_names() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image",
        "file",
        "../../etc/passwd",
        b"x".to_vec(),
        "text/plain",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let meta: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(meta["name"], "passwd");
    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image",
        "file",
        "../..",
        b"x".to_vec(),
        "text/plain",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert_error(&serde_json::from_str(&text).unwrap(), "AL-IP-01");
    // Blob keys with path characters are never looked up.
    let res = http()
        .get(format!(
            "{}/rest/ws/aws/file/..%2F..%2Fsecret",
            sb.http_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn test_oversized_upload_is_413_and_nothing_is_stored() {
    let mut config = SandboxConfig::for_tests();
    config.max_upload_bytes = 1024;
    let sb = start_with(config).await;
    let me = register(&sb, "me", None).await;
    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image",
        "file",
        "big.bin",
        vec![7u8; 4096],
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert_error(&serde_json::from_str(&text).unwrap(), "AL-IP-02");
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM files")
        .fetch_one(&sb.state().db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let (status, _) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image",
        "file",
        "ok.bin",
        vec![7u8; 512],
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn test_upload_without_file_field_or_multipart_is_400() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/image",
        "other",
        "a.txt",
        b"x".to_vec(),
        "text/plain",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, v) = post(&sb, &me, "/rest/ws/upload/image", json!({"file": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "AL-IP-01");
    // Uploads need authentication.
    let part = Part::bytes(b"x".to_vec()).file_name("a.txt");
    let res = http()
        .post(format!("{}/rest/ws/upload/image", sb.http_url()))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_legacy_upload_url_and_files_array_upload() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, url) = get(&sb, &me, "/rest/ws/aws/file/url?data=1532966195593").await;
    assert_eq!(status, StatusCode::OK);
    let url = url.as_str().unwrap().to_owned();
    let path = url.strip_prefix(sb.http_url()).unwrap().to_owned();
    let (status, text) = upload(
        &sb,
        &me,
        &path,
        "files[]",
        "applozic_logo.gif",
        b"GIF89a".to_vec(),
        "image/gif",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fileMeta"]["contentType"], "image/gif");
    assert_eq!(v["fileMeta"]["name"], "applozic_logo.gif");

    let (status, text) = upload(
        &sb,
        &me,
        "/rest/ws/upload/file",
        "file",
        "avatar.png",
        b"png".to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with("http://"));
}
