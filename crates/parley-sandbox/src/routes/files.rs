//! Files: `upload/image` (multipart `file` → FileMeta), `upload/file` (→ URL), the legacy
//! `aws/file/url` + `files/upload` pair (multipart `files[]` → `{fileMeta}`), download by
//! blobKey, `file/url` and `file/delete`.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::Params;
use crate::state::SharedState;

/// Makes an uploaded file name safe: the last path component, no control characters, no
/// leading dots, at most 200 characters.
pub fn sanitize_file_name(raw: &str) -> ApiResult<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return Err(ApiError::bad_request("invalid file name"));
    }
    if cleaned.chars().count() > 200 {
        return Err(ApiError::bad_request("file name is too long"));
    }
    Ok(cleaned.to_owned())
}

fn guess_content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

struct Stored {
    blob_key: String,
    name: String,
    content_type: String,
    size: i64,
    created_at: i64,
}

async fn store_upload(
    state: &SharedState,
    caller: &Caller,
    multipart: Result<Multipart, MultipartRejection>,
    field_names: &[&str],
) -> ApiResult<Stored> {
    let mut multipart = multipart.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("upload is too large")
        } else {
            ApiError::bad_request("expected a multipart/form-data body")
        }
    })?;
    let limit = state.limits.max_upload_bytes;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(&e))?;
        let Some(mut field) = field else {
            return Err(ApiError::bad_request(format!(
                "multipart field `{}` is required",
                field_names.first().copied().unwrap_or("file")
            )));
        };
        if !field_names.contains(&field.name().unwrap_or("")) {
            continue;
        }
        let name = sanitize_file_name(field.file_name().unwrap_or("file"))?;
        let content_type = field
            .content_type()
            .filter(|ct| ct.len() < 200 && ct.contains('/') && !ct.chars().any(char::is_control))
            .map(str::to_owned)
            .unwrap_or_else(|| guess_content_type(&name).to_owned());
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
            if data.len() + chunk.len() > limit {
                return Err(ApiError::too_large(format!("upload exceeds {limit} bytes")));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(ApiError::bad_request("empty file"));
        }
        let blob_key = uuid::Uuid::new_v4().simple().to_string();
        let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
        let w = state.begin_write().await;
        sqlx::query(
            "INSERT INTO files (blob_key, owner_id, name, content_type, size, data, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&blob_key)
        .bind(caller.user_id())
        .bind(&name)
        .bind(&content_type)
        .bind(size)
        .bind(data)
        .bind(w.now)
        .execute(&state.db)
        .await?;
        return Ok(Stored {
            blob_key,
            name,
            content_type,
            size,
            created_at: w.now,
        });
    }
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("upload is too large")
    } else {
        ApiError::bad_request("malformed multipart body")
    }
}

fn file_url(state: &SharedState, blob_key: &str) -> String {
    format!("{}/rest/ws/aws/file/{blob_key}", state.http_url)
}

fn file_meta(state: &SharedState, caller: &Caller, s: &Stored) -> Value {
    let url = file_url(state, &s.blob_key);
    let mut v = json!({
        "key": s.blob_key,
        "userKey": caller.user.user_key,
        "blobKey": s.blob_key,
        "name": s.name,
        "url": url,
        "size": s.size,
        "contentType": s.content_type,
        "createdAtTime": s.created_at,
    });
    if s.content_type.starts_with("image/") {
        v["thumbnailUrl"] = json!(url);
    }
    v
}

/// `POST /rest/ws/upload/image[?aclsPrivate=true]`: the body is the FileMeta JSON.
pub async fn upload_image(
    State(state): State<SharedState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let stored = store_upload(&state, &caller, multipart, &["file"]).await?;
    Ok(Json(file_meta(&state, &caller, &stored)).into_response())
}

/// `POST /rest/ws/upload/file`: profile or group icon; the body is the URL as text.
pub async fn upload_file(
    State(state): State<SharedState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let stored = store_upload(&state, &caller, multipart, &["file"]).await?;
    Ok(file_url(&state, &stored.blob_key).into_response())
}

/// `GET /rest/ws/aws/file/url?data=<ts>`: legacy upload URL (text).
pub async fn legacy_upload_url(
    State(state): State<SharedState>,
    _caller: Caller,
) -> ApiResult<Response> {
    Ok(format!("{}/files/upload/", state.http_url).into_response())
}

/// `POST /files/upload/`: legacy upload, multipart `files[]` → `{fileMeta}`.
pub async fn legacy_upload(
    State(state): State<SharedState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let stored = store_upload(&state, &caller, multipart, &["files[]", "files", "file"]).await?;
    Ok(Json(json!({"fileMeta": file_meta(&state, &caller, &stored)})).into_response())
}

fn valid_blob_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET /rest/ws/aws/file/{blobKey}`: the bytes (blob keys are unguessable, as on the
/// platform's storage).
pub async fn download(
    State(state): State<SharedState>,
    Path(blob_key): Path<String>,
) -> ApiResult<Response> {
    if !valid_blob_key(&blob_key) {
        return Err(ApiError::file_not_found());
    }
    let row: Option<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT name, content_type, data FROM files WHERE blob_key = ?")
            .bind(&blob_key)
            .fetch_optional(&state.db)
            .await?;
    let (name, content_type, data) = row.ok_or_else(ApiError::file_not_found)?;
    let ascii_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{ascii_name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        data,
    )
        .into_response())
}

/// `GET /rest/ws/file/url?key=`: a download URL as text.
pub async fn signed_url(
    State(state): State<SharedState>,
    _caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    let key = key.strip_prefix("AWS-ENCRYPTED-").unwrap_or(key);
    if !valid_blob_key(key) {
        return Err(ApiError::file_not_found());
    }
    let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM files WHERE blob_key = ?")
        .bind(key)
        .fetch_optional(&state.db)
        .await?;
    exists.ok_or_else(ApiError::file_not_found)?;
    Ok(file_url(&state, key).into_response())
}

/// `GET /rest/ws/file/delete?key=`: the uploader (or a privileged caller) only.
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let key = params.required_str("key")?;
    let owner: Option<(String,)> = sqlx::query_as("SELECT owner_id FROM files WHERE blob_key = ?")
        .bind(key)
        .fetch_optional(&state.db)
        .await?;
    let (owner,) = owner.ok_or_else(ApiError::file_not_found)?;
    if owner != caller.user_id() && !caller.privileged {
        return Err(ApiError::forbidden());
    }
    let _w = state.begin_write().await;
    sqlx::query("DELETE FROM files WHERE blob_key = ?")
        .bind(key)
        .execute(&state.db)
        .await?;
    Ok(ok("success"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_sanitize_file_name_strips_paths_and_dots() {
        assert_eq!(sanitize_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\boot.ini").unwrap(), "boot.ini");
        assert_eq!(sanitize_file_name(".hidden").unwrap(), "hidden");
        assert_eq!(sanitize_file_name("a\u{0}b.png").unwrap(), "ab.png");
        assert!(sanitize_file_name("../..").is_err());
        assert!(sanitize_file_name("dir/").is_err());
    }
}
