//! Dixa's end users API (`/v1/endusers…`, see `shared/api-docs/endusers-api.txt`): create (one
//! or in bulk), get, list with one filter (email, phone or externalId) and page keys, update
//! and patch (one or in bulk), patch custom attributes, anonymize (refused while the end user
//! has conversations that are not closed, unless `force=true`, which closes them) and list an
//! end user's conversations.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::dixa::model::{
    self, BulkPatchItem, BulkUpdateItem, ConversationRow, DataList, EndUserFields, EndUserInput,
    EndUserPatch, EndUserRow, CONVERSATION_COLUMNS, END_USER_COLUMNS, MAX_BULK,
};
use crate::dixa::time::zoned;
use crate::dixa::{DixaCaller, DixaError, DixaResult, ORG_ID};
use crate::error::ApiError;
use crate::extract::{Body, Params};
use crate::state::SharedState;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 1000;
/// The longest Text custom attribute value.
const MAX_ATTRIBUTE_TEXT: usize = 1000;

/// The `/v1` routes (nested by `routes::router`).
pub fn router() -> Router<SharedState> {
    Router::new()
        .route(
            "/endusers",
            get(list).post(create).patch(bulk_patch).put(bulk_update),
        )
        .route("/endusers/bulk", post(bulk_create))
        .route(
            "/endusers/{user_id}",
            get(get_one).patch(patch_one).put(update_one),
        )
        .route(
            "/endusers/{user_id}/custom-attributes",
            patch(patch_attributes),
        )
        .route("/endusers/{user_id}/anonymize", patch(anonymize))
        .route("/endusers/{user_id}/conversations", get(conversations))
        .fallback(|| async { DixaError::not_found_route() })
        .method_not_allowed_fallback(|| async { DixaError::method_not_allowed() })
}

fn data(status: StatusCode, value: Value) -> Response {
    (status, Json(json!({ "data": value }))).into_response()
}

/// A path `userId`: a UUID, answered in its canonical lowercase form.
fn user_id(path: Result<Path<String>, PathRejection>) -> DixaResult<String> {
    let Path(raw) = path.map_err(|_| DixaError::invalid_path("userId"))?;
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| DixaError::invalid_path("userId"))
}

fn body_json<T: DeserializeOwned>(body: Result<Body, ApiError>) -> DixaResult<T> {
    let body = body?;
    if body.is_empty() {
        return Err(DixaError::invalid_body("a request body is required"));
    }
    serde_json::from_slice(&body.0).map_err(DixaError::invalid_body)
}

fn canonical_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

async fn require_end_user(conn: &mut SqliteConnection, id: &str) -> DixaResult<EndUserRow> {
    model::find_end_user(conn, id)
        .await?
        .ok_or_else(|| DixaError::end_user_not_found(id))
}

async fn end_user_json(conn: &mut SqliteConnection, id: &str) -> DixaResult<Value> {
    let row = require_end_user(&mut *conn, id).await?;
    Ok(model::end_users_json(conn, &[row])
        .await?
        .pop()
        .unwrap_or(Value::Null))
}

/// Validation and uniqueness errors of `fields` (for end user `except`, when updating).
async fn check(
    conn: &mut SqliteConnection,
    fields: &EndUserFields,
    except: Option<&str>,
) -> DixaResult<Vec<&'static str>> {
    let mut errors = model::validate(fields);
    errors.extend(model::duplicates(conn, fields, except).await?);
    Ok(errors)
}

fn bulk_failure(id: &str, kind: &str, message: String) -> Value {
    json!({
        "error": {"id": id, "message": message, "_type": kind},
        "_type": "BulkActionFailure",
    })
}

fn bulk_success(user: Value) -> Value {
    json!({"data": user, "_type": "BulkActionSuccess"})
}

fn check_bulk_size(n: usize) -> DixaResult<()> {
    if n == 0 {
        return Err(DixaError::invalid_body("data is empty"));
    }
    if n > MAX_BULK {
        return Err(DixaError::invalid_body(format!(
            "at most {MAX_BULK} end users per request"
        )));
    }
    Ok(())
}

/// `POST /v1/endusers` → 201 `{data: EndUser}`; 400 on validation failure (a taken email or
/// phone number included).
pub async fn create(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let input: EndUserInput = body_json(body)?;
    let fields = input.into_fields();
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let errors = check(&mut tx, &fields, None).await?;
    if !errors.is_empty() {
        return Err(DixaError::bad_request(format!(
            "Validation failure during enduser creation: [errors={}]",
            errors.join(",")
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    model::insert_end_user(&mut tx, &id, &fields, w.now).await?;
    let user = end_user_json(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(data(StatusCode::CREATED, user))
}

/// `POST /v1/endusers/bulk {data: [CreateEndUserInput]}` → 201 with one success or failure
/// per row, in order. Rows are created one after the other: a row may not reuse the email of
/// an earlier one.
pub async fn bulk_create(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let list: DataList<EndUserInput> = body_json(body)?;
    check_bulk_size(list.data.len())?;
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let mut items = Vec::with_capacity(list.data.len());
    for input in list.data {
        let fields = input.into_fields();
        let id = uuid::Uuid::new_v4().to_string();
        let errors = check(&mut tx, &fields, None).await?;
        if errors.is_empty() {
            model::insert_end_user(&mut tx, &id, &fields, w.now).await?;
            items.push(bulk_success(end_user_json(&mut tx, &id).await?));
        } else {
            items.push(bulk_failure(
                &id,
                "Validation",
                format!(
                    "Create EndUser [userId={id}] in [orgId={ORG_ID}] failed with [errors={}]",
                    errors.join(",")
                ),
            ));
        }
    }
    tx.commit().await?;
    Ok(data(StatusCode::CREATED, Value::Array(items)))
}

/// `GET /v1/endusers/{userId}`
pub async fn get_one(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let mut conn = state.db.acquire().await?;
    Ok(data(StatusCode::OK, end_user_json(&mut conn, &id).await?))
}

/// What changes one end user: a patch (absent = unchanged) or a full update.
enum Change {
    Patch(EndUserPatch),
    Replace(EndUserInput),
}

/// Why a change was refused.
enum Refused {
    NotFound,
    /// Validation error names.
    Invalid(Vec<&'static str>),
}

/// Applies `change` to end user `id` inside the caller's transaction: the updated end user,
/// or why not.
async fn apply_change(
    conn: &mut SqliteConnection,
    id: &str,
    change: Change,
    now: i64,
) -> DixaResult<Result<Value, Refused>> {
    let Some(row) = model::find_end_user(&mut *conn, id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if row.anonymized_at.is_some() {
        return Ok(Err(Refused::Invalid(vec!["EndUserAnonymized"])));
    }
    let fields = match change {
        Change::Patch(p) => p.apply(row.fields()),
        Change::Replace(input) => input.into_fields(),
    };
    let errors = check(&mut *conn, &fields, Some(id)).await?;
    if !errors.is_empty() {
        return Ok(Err(Refused::Invalid(errors)));
    }
    model::update_end_user(&mut *conn, id, &fields, now).await?;
    Ok(Ok(end_user_json(conn, id).await?))
}

async fn change_one(state: &SharedState, id: &str, change: Change) -> DixaResult<Response> {
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    match apply_change(&mut tx, id, change, w.now).await? {
        Ok(user) => {
            tx.commit().await?;
            Ok(data(StatusCode::OK, user))
        }
        Err(Refused::NotFound) => Err(DixaError::end_user_not_found(id)),
        Err(Refused::Invalid(errors)) => Err(DixaError::bad_request(format!(
            "Validation failure during update: [errors={}]",
            errors.join(",")
        ))),
    }
}

/// `PATCH /v1/endusers/{userId}`: the fields given replace the stored ones (`null` clears).
pub async fn patch_one(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let patch: EndUserPatch = body_json(body)?;
    change_one(&state, &id, Change::Patch(patch)).await
}

fn require_display_name(input: &EndUserInput) -> DixaResult<()> {
    if input
        .display_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(DixaError::invalid_body("displayName is required"));
    }
    Ok(())
}

/// `PUT /v1/endusers/{userId}`: replaces every field (`displayName` required).
pub async fn update_one(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let input: EndUserInput = body_json(body)?;
    require_display_name(&input)?;
    change_one(&state, &id, Change::Replace(input)).await
}

async fn change_many(state: &SharedState, rows: Vec<(String, Change)>) -> DixaResult<Response> {
    check_bulk_size(rows.len())?;
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, change) in rows {
        match apply_change(&mut tx, &id, change, w.now).await? {
            Ok(user) => items.push(bulk_success(user)),
            Err(Refused::NotFound) => items.push(bulk_failure(
                &id,
                "NotFound",
                format!("EndUser [id={id}] in [org={ORG_ID}] could not be found"),
            )),
            Err(Refused::Invalid(errors)) => items.push(bulk_failure(
                &id,
                "Validation",
                format!(
                    "Updating EndUser [id={id}] in [org={ORG_ID}] failed with [errors={}]",
                    errors.join(",")
                ),
            )),
        }
    }
    tx.commit().await?;
    Ok(data(StatusCode::OK, Value::Array(items)))
}

fn bulk_ids<T>(items: Vec<T>, id: impl Fn(&T) -> &str) -> DixaResult<Vec<(String, T)>> {
    items
        .into_iter()
        .map(|item| match canonical_id(id(&item)) {
            Some(c) => Ok((c, item)),
            None => Err(DixaError::invalid_body(format!(
                "{:?} is not an end user id",
                id(&item)
            ))),
        })
        .collect()
}

/// `PATCH /v1/endusers {data: [{id, …patch}]}` → 200, one success or failure per row.
pub async fn bulk_patch(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let list: DataList<BulkPatchItem> = body_json(body)?;
    let rows = bulk_ids(list.data, |i| &i.id)?
        .into_iter()
        .map(|(id, item)| (id, Change::Patch(item.patch)))
        .collect();
    change_many(&state, rows).await
}

/// `PUT /v1/endusers {data: [{id, displayName, …}]}` → 200, one success or failure per row.
pub async fn bulk_update(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let list: DataList<BulkUpdateItem> = body_json(body)?;
    for item in &list.data {
        require_display_name(&item.input)?;
    }
    let rows = bulk_ids(list.data, |i| &i.id)?
        .into_iter()
        .map(|(id, item)| (id, Change::Replace(item.input)))
        .collect();
    change_many(&state, rows).await
}

/// `PATCH /v1/endusers/{userId}/custom-attributes {<attributeId>: value | [values] | null}`
/// → 200 `{data: [the patched attributes that have a value]}`. Text attributes take a
/// string, Select attributes a list of their options; `null` (or empty) removes the value.
pub async fn patch_attributes(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Body, ApiError>,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let patch: Map<String, Value> = body_json(body)?;
    let _w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let user = require_end_user(&mut tx, &id).await?;
    if user.anonymized_at.is_some() {
        return Err(DixaError::bad_request(
            "Invalid input for patching: the end user is anonymized",
        ));
    }
    let defs = model::attribute_defs(&mut tx).await?;
    let invalid =
        |msg: String| DixaError::bad_request(format!("Invalid input for patching: {msg}"));
    let mut changes: Vec<(&model::AttributeDef, Option<Value>)> = Vec::new();
    for (key, value) in &patch {
        let attr_id = canonical_id(key).ok_or_else(|| {
            DixaError::invalid_body(format!("{key:?} is not a custom attribute id"))
        })?;
        let def = defs
            .iter()
            .find(|d| d.id == attr_id)
            .ok_or_else(|| invalid(format!("unknown custom attribute {attr_id}")))?;
        let value = match (def.is_select(), value) {
            (_, Value::Null) => None,
            (false, Value::String(s)) => {
                let s = s.trim();
                if s.chars().count() > MAX_ATTRIBUTE_TEXT || s.chars().any(char::is_control) {
                    return Err(invalid(format!("{} is too long", def.identifier)));
                }
                (!s.is_empty()).then(|| json!(s))
            }
            (true, Value::Array(items)) => {
                let options = def.options();
                let mut chosen = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(v) if options.iter().any(|o| o == v) => {
                            if !chosen.contains(&v) {
                                chosen.push(v);
                            }
                        }
                        _ => {
                            return Err(invalid(format!(
                                "{item} is not an option of {}",
                                def.identifier
                            )))
                        }
                    }
                }
                (!chosen.is_empty()).then(|| json!(chosen))
            }
            (true, _) => {
                return Err(invalid(format!(
                    "{} is a Select attribute: its value is a list of options",
                    def.identifier
                )))
            }
            (false, _) => {
                return Err(invalid(format!(
                    "{} is a Text attribute: its value is a string",
                    def.identifier
                )))
            }
        };
        changes.push((def, value));
    }
    for (def, value) in &changes {
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO dixa_end_user_attributes (user_id, attribute_id, value) VALUES (?, ?, ?) \
                     ON CONFLICT(user_id, attribute_id) DO UPDATE SET value = excluded.value",
                )
                .bind(&id)
                .bind(&def.id)
                .bind(v.to_string())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM dixa_end_user_attributes WHERE user_id = ? AND attribute_id = ?",
                )
                .bind(&id)
                .bind(&def.id)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    let mut patched: Vec<Value> = changes
        .into_iter()
        .filter_map(|(def, value)| value.map(|v| (def, v)))
        .map(|(def, v)| def.to_json(v))
        .collect();
    patched.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_owned());
    Ok(data(StatusCode::OK, Value::Array(patched)))
}

/// `PATCH /v1/endusers/{userId}/anonymize[?force=true]` → 202 with the anonymization
/// request. The sandbox processes it at once: personal fields are replaced, custom attributes
/// removed, `anonymizedAt` set (on the end user and their conversations), browser info of
/// their conversations dropped. While the end user has conversations that are not closed it
/// answers 409, unless `force=true`, which closes them first. Anonymizing again answers the
/// first request.
pub async fn anonymize(
    State(state): State<SharedState>,
    caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
    params: Params,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let force = params
        .bool("force")
        .map_err(|_| DixaError::invalid_query("force"))?
        .unwrap_or(false);
    let w = state.begin_write().await;
    let mut tx = state.db.begin().await?;
    let user = require_end_user(&mut tx, &id).await?;
    if user.anonymized_at.is_some() {
        let previous: Option<AnonymizationRow> = sqlx::query_as(
            "SELECT id, target_id, requested_by, initiated_at, processed_at FROM dixa_anonymizations \
             WHERE target_id = ? AND entity = 'User' ORDER BY initiated_at LIMIT 1",
        )
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(p) = previous {
            return Ok(data(StatusCode::ACCEPTED, p.to_json()));
        }
    }
    let (open,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM dixa_conversations WHERE requester_id = ? AND state <> 'Closed'",
    )
    .bind(&id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 && !force {
        return Err(DixaError::conflict(format!(
            "EndUser [id={id}] has {open} conversation(s) that are not closed: close them or \
             anonymize with force=true"
        )));
    }
    let now = w.now;
    sqlx::query(
        "UPDATE dixa_conversations SET state = 'Closed', state_updated_at = ? \
         WHERE requester_id = ? AND state <> 'Closed'",
    )
    .bind(now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE dixa_conversations SET anonymized_at = ?, browser_info = NULL WHERE requester_id = ?",
    )
    .bind(now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE dixa_end_users SET display_name = ?, email = NULL, phone_number = NULL, \
         additional_emails = '[]', additional_phone_numbers = '[]', first_name = NULL, \
         last_name = NULL, middle_names = '[]', avatar_url = NULL, external_id = NULL, \
         anonymized_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(model::ANONYMIZED_NAME)
    .bind(now)
    .bind(now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM dixa_end_user_attributes WHERE user_id = ?")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let request = AnonymizationRow {
        id: uuid::Uuid::new_v4().to_string(),
        target_id: id.clone(),
        requested_by: caller.agent_id,
        initiated_at: now,
        processed_at: Some(now),
    };
    sqlx::query(
        "INSERT INTO dixa_anonymizations (id, target_id, entity, requested_by, initiated_at, processed_at) \
         VALUES (?, ?, 'User', ?, ?, ?)",
    )
    .bind(&request.id)
    .bind(&request.target_id)
    .bind(&request.requested_by)
    .bind(request.initiated_at)
    .bind(request.processed_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(data(StatusCode::ACCEPTED, request.to_json()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct AnonymizationRow {
    id: String,
    target_id: String,
    requested_by: String,
    initiated_at: i64,
    processed_at: Option<i64>,
}

impl AnonymizationRow {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "entityType": "UserAnonymizationType",
            "_type": "User",
            "initiatedAt": zoned(self.initiated_at),
            "targetEntityId": self.target_id,
            "requestedBy": self.requested_by,
        });
        if let Some(t) = self.processed_at {
            v["processedAt"] = json!(zoned(t));
        }
        v
    }
}

// ---- lists and page keys --------------------------------------------------------------------

/// What a `pageKey` carries: where the next page starts, its size and the list's filter.
/// Base64 (URL-safe) JSON; clients must treat it as opaque.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageKey {
    after: i64,
    limit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
}

impl PageKey {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str) -> DixaResult<Self> {
        let bad = || DixaError::invalid_query("pageKey");
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim().trim_end_matches('='))
            .map_err(|_| bad())?;
        let key: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if key.after < 0 || key.limit < 1 {
            return Err(bad());
        }
        Ok(key)
    }
}

fn page_limit(params: &Params) -> DixaResult<Option<i64>> {
    match params.str("pageLimit") {
        None => Ok(None),
        Some(raw) => match raw.trim().parse::<i32>() {
            Ok(n) if n >= 1 => Ok(Some(i64::from(n).min(MAX_PAGE))),
            _ => Err(DixaError::invalid_query("pageLimit")),
        },
    }
}

/// The page to read: from `pageKey` when given (its filter included), `pageLimit` overriding
/// its size.
fn page_of(params: &Params) -> DixaResult<PageKey> {
    let limit = page_limit(params)?;
    let mut key = match params.str("pageKey") {
        Some(raw) => PageKey::decode(raw)?,
        None => PageKey {
            limit: DEFAULT_PAGE,
            ..PageKey::default()
        },
    };
    if let Some(l) = limit {
        key.limit = l;
    }
    Ok(key)
}

/// A `phone` query value: `+` arrives as a space when the caller did not encode it.
fn phone_query(raw: &str) -> String {
    let fixed = match raw.strip_prefix(' ') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("+{rest}"),
        _ => raw.to_owned(),
    };
    model::normalise_phone(&fixed)
}

fn list_answer(items: Vec<Value>, next: Option<String>) -> Response {
    let mut meta = Map::new();
    if let Some(n) = next {
        meta.insert("next".into(), json!(n));
    }
    (
        StatusCode::OK,
        Json(json!({"data": items, "meta": Value::Object(meta)})),
    )
        .into_response()
}

/// `GET /v1/endusers[?email=|phone=|externalId=][&pageKey=][&pageLimit=]`: at most one
/// filter (email and phone also match additional emails / numbers); the next page's link is
/// in `meta.next`.
pub async fn list(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    params: Params,
) -> DixaResult<Response> {
    if params.count("email") > 1 {
        return Err(DixaError::bad_request("Duplicate email address"));
    }
    if params.count("phone") > 1 {
        return Err(DixaError::bad_request("Duplicate phone number"));
    }
    if params.count("externalId") > 1 {
        return Err(DixaError::invalid_query("externalId"));
    }
    let mut page = page_of(&params)?;
    if params.str("pageKey").is_none() {
        let email = params.str("email").map(|s| s.trim().to_owned());
        let phone = params.str("phone").map(phone_query);
        let external = params.str("externalId").map(|s| s.trim().to_owned());
        let filters = [email.is_some(), phone.is_some(), external.is_some()];
        if filters.iter().filter(|f| **f).count() > 1 {
            return Err(DixaError::bad_request(
                "Invalid filters: Cannot provide more than one filter",
            ));
        }
        if email.as_deref().is_some_and(|e| !model::valid_email(e)) {
            return Err(DixaError::invalid_query("email"));
        }
        if phone.as_deref().is_some_and(|p| !model::valid_phone(p)) {
            return Err(DixaError::invalid_query("phone"));
        }
        if external.as_deref().is_some_and(|e| e.chars().count() > 255) {
            return Err(DixaError::invalid_query("externalId"));
        }
        page.email = email;
        page.phone = phone;
        page.external_id = external;
    }
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
        "SELECT {END_USER_COLUMNS} FROM dixa_end_users WHERE seq > "
    ));
    qb.push_bind(page.after);
    if let Some(email) = &page.email {
        qb.push(" AND (email = ")
            .push_bind(email.clone())
            .push(
                " COLLATE NOCASE OR EXISTS (SELECT 1 FROM json_each(additional_emails) j \
                 WHERE j.value = ",
            )
            .push_bind(email.clone())
            .push(" COLLATE NOCASE))");
    }
    if let Some(phone) = &page.phone {
        qb.push(" AND (phone_number = ")
            .push_bind(phone.clone())
            .push(
                " OR EXISTS (SELECT 1 FROM json_each(additional_phone_numbers) j WHERE j.value = ",
            )
            .push_bind(phone.clone())
            .push("))");
    }
    if let Some(ext) = &page.external_id {
        qb.push(" AND external_id = ").push_bind(ext.clone());
    }
    qb.push(" ORDER BY seq LIMIT ").push_bind(page.limit + 1);
    let mut conn = state.db.acquire().await?;
    let mut rows: Vec<EndUserRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let next = if rows.len() as i64 > page.limit {
        rows.truncate(page.limit as usize);
        let key = PageKey {
            after: rows.last().map_or(page.after, |r| r.seq),
            ..page
        };
        Some(format!("/v1/endusers?pageKey={}", key.encode()))
    } else {
        None
    };
    let items = model::end_users_json(&mut conn, &rows).await?;
    Ok(list_answer(items, next))
}

/// `GET /v1/endusers/{userId}/conversations[?pageKey=][&pageLimit=]`, oldest first.
pub async fn conversations(
    State(state): State<SharedState>,
    _caller: DixaCaller,
    path: Result<Path<String>, PathRejection>,
    params: Params,
) -> DixaResult<Response> {
    let id = user_id(path)?;
    let page = page_of(&params)?;
    let mut conn = state.db.acquire().await?;
    require_end_user(&mut conn, &id).await?;
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM dixa_conversations WHERE requester_id = ? AND id > ? \
         ORDER BY id LIMIT ?"
    );
    let mut rows: Vec<ConversationRow> = sqlx::query_as(&sql)
        .bind(&id)
        .bind(page.after)
        .bind(page.limit + 1)
        .fetch_all(&mut *conn)
        .await?;
    let next = if rows.len() as i64 > page.limit {
        rows.truncate(page.limit as usize);
        let key = PageKey {
            after: rows.last().map_or(page.after, |r| r.id),
            limit: page.limit,
            ..PageKey::default()
        };
        Some(format!(
            "/v1/endusers/{id}/conversations?pageKey={}",
            key.encode()
        ))
    } else {
        None
    };
    Ok(list_answer(
        rows.iter().map(ConversationRow::to_json).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_page_keys_round_trip_and_reject_garbage() {
        let key = PageKey {
            after: 7,
            limit: 2,
            email: Some("a@b.co".into()),
            ..PageKey::default()
        };
        assert_eq!(PageKey::decode(&key.encode()).unwrap(), key);
        assert!(PageKey::decode("not base64!").is_err());
        assert!(PageKey::decode(&URL_SAFE_NO_PAD.encode(b"{\"after\":-1,\"limit\":2}")).is_err());
    }

    #[test]
    fn test_unencoded_plus_in_a_phone_filter_is_restored() {
        assert_eq!(phone_query(" 4512345678"), "+4512345678");
        assert_eq!(phone_query("+45 12 34 56 78"), "+4512345678");
    }
}
