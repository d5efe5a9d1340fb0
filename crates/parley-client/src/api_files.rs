//! Typed calls for files: profile / group image uploads (`upload/file` → URL), download
//! URLs, downloads by blob key with a size cap, deletion.

use std::sync::OnceLock;

use reqwest::StatusCode;

use crate::api_util::{text_answer, Method};
use crate::error::{ClientError, Result};
use crate::http::{check_status, network_error, Body, RestClient};

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub bytes: bytes::Bytes,
    pub content_type: Option<String>,
}

/// Blob keys are opaque tokens; refusing anything else keeps them from steering the path.
fn valid_blob_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
        && key != "."
        && key != ".."
}

const ERROR_BODY_CAP: u64 = 64 * 1024;

fn too_large(max_bytes: u64) -> ClientError {
    ClientError::Http {
        status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
        body: format!("the file is larger than {max_bytes} bytes"),
    }
}

/// Reads the body up to `cap` bytes; `None` when it is longer.
async fn read_capped(
    resp: &mut reqwest::Response,
    url: &str,
    cap: u64,
) -> Result<Option<bytes::Bytes>> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network_error(url, &e))? {
        if (buf.len() + chunk.len()) as u64 > cap {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf.freeze()))
}

fn download_client() -> Result<&'static reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = crate::http::http_client()?;
    Ok(CLIENT.get_or_init(|| c))
}

impl RestClient {
    /// `POST /rest/ws/upload/file` (multipart `file`) — a profile or group image; the
    /// answer is its URL.
    pub async fn upload_file(
        &self,
        name: &str,
        content_type: &str,
        bytes: bytes::Bytes,
    ) -> Result<String> {
        let text = self
            .chat(
                Method::POST,
                "/rest/ws/upload/file",
                &[],
                Body::File {
                    field: "file",
                    name: name.to_owned(),
                    content_type: content_type.to_owned(),
                    bytes,
                    progress: None,
                },
                false,
            )
            .await?;
        text_answer(&text)
    }

    /// `GET /rest/ws/file/url?key=` — a download URL for a blob key (AL-F-01 when unknown).
    pub async fn file_url(&self, blob_key: &str) -> Result<String> {
        let text = self
            .chat(
                Method::GET,
                "/rest/ws/file/url",
                &[("key", blob_key.to_owned())],
                Body::None,
                true,
            )
            .await?;
        text_answer(&text)
    }

    /// `GET /rest/ws/file/delete?key=` — the uploader only.
    pub async fn delete_file(&self, blob_key: &str) -> Result<()> {
        self.chat_get_done("/rest/ws/file/delete", &[("key", blob_key.to_owned())])
            .await
    }

    /// `GET /rest/ws/aws/file/{blobKey}` — the bytes, refused beyond `max_bytes` (checked
    /// on the announced length and while reading, so a lying server cannot exhaust memory).
    pub async fn download_file(&self, blob_key: &str, max_bytes: u64) -> Result<Download> {
        if !valid_blob_key(blob_key) {
            return Err(ClientError::Invalid("invalid blob key".into()));
        }
        // Same session rules as every other call: refresh a token about to expire first.
        if let Err(e) = self.refresh_token(false).await {
            if !e.is_transient() {
                return Err(e);
            }
        }
        let url = format!("{}/rest/ws/aws/file/{blob_key}", self.endpoints.chat);
        let token = self.session.token().await;
        let mut resp = download_client()?
            .get(&url)
            .header("Application-Key", &self.session.app_key)
            .header("X-Authorization", token.expose())
            .send()
            .await
            .map_err(|e| network_error(&url, &e))?;
        let status = resp.status();
        if !status.is_success() {
            // Error bodies are small; read at most 64 KiB of one.
            let body = read_capped(&mut resp, &url, ERROR_BODY_CAP)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            check_status(status, &String::from_utf8_lossy(&body))?;
            return Err(ClientError::Http {
                status: status.as_u16(),
                body: String::new(),
            });
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large(max_bytes));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let buf = read_capped(&mut resp, &url, max_bytes)
            .await?
            .ok_or_else(|| too_large(max_bytes))?;
        Ok(Download {
            bytes: buf,
            content_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_blob_key;

    #[test]
    fn test_blob_keys_cannot_steer_the_path() {
        assert!(valid_blob_key("AbC-123_x"));
        for bad in ["", "..", "a/b", "a?b", "a b", "%2e%2e"] {
            assert!(!valid_blob_key(bad), "{bad}");
        }
    }
}
