//! Registration and login: `register/client`, `register/refresh/token`, `device/logout`,
//! `v2/tab/initialize.page` (web) and Kommunicate's agent `loginv2`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::auth::{hash_password, verify_password, Caller};
use crate::error::{ok, ApiError, ApiResult};
use crate::extract::{field, Body};
use crate::model::{self, role, UserRow};
use crate::services::users::{self, NewUser};
use crate::state::SharedState;

#[derive(Debug)]
pub struct Registration {
    pub user: UserRow,
    pub device_key: String,
    pub auth_token: String,
    pub new_user: bool,
    pub with_registration_id: bool,
    pub now: i64,
    pub total_unread: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterFailure {
    InvalidParameter,
    InvalidApplicationId,
    PasswordInvalid,
    PasswordRequired,
}

impl RegisterFailure {
    fn message(self) -> &'static str {
        match self {
            Self::InvalidParameter => "INVALID_PARAMETER",
            Self::InvalidApplicationId => "INVALID_APPLICATIONID",
            Self::PasswordInvalid => "PASSWORD_INVALID",
            Self::PasswordRequired => "PASSWORD_REQUIRED",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidParameter => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// Registers a new user or logs an existing one in, creating a device.
pub async fn register(
    state: &SharedState,
    body: &Map<String, Value>,
    allow_roles: &[i64],
) -> ApiResult<Result<Registration, RegisterFailure>> {
    let user_id = field::opt_str(body, "userId")?;
    let app_id = field::opt_str(body, "applicationId")?;
    let (Some(user_id), Some(app_id)) = (user_id, app_id) else {
        return Ok(Err(RegisterFailure::InvalidParameter));
    };
    if users::validate_user_id(&user_id).is_err() {
        return Ok(Err(RegisterFailure::InvalidParameter));
    }
    if app_id != state.app.application_id {
        return Ok(Err(RegisterFailure::InvalidApplicationId));
    }
    let password = field::opt_str(body, "password")?;
    let display_name = field::opt_str(body, "displayName")?;
    let email = field::opt_str(body, "email")?;
    let phone = field::opt_str(body, "contactNumber")?;
    let image_link = field::opt_str(body, "imageLink")?;
    let registration_id = field::opt_str(body, "registrationId")?;
    let device_type = field::opt_i64(body, "deviceType")?;
    let user_type_id = field::opt_i64(body, "userTypeId")?;
    let metadata = model::normalise_metadata(body.get("metadata"))?;
    let requested_role = match field::opt_str(body, "roleName")? {
        Some(name) => users::role_from_name(&name),
        None => field::opt_i64(body, "roleType")?,
    }
    .filter(|r| allow_roles.contains(r))
    .unwrap_or(role::USER);

    let w = state.begin_write().await;
    let now = w.now;
    let mut tx = state.db.begin().await?;
    let existing = {
        let sql = format!(
            "SELECT {} FROM users WHERE user_id = ?",
            model::USER_COLUMNS
        );
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(&user_id)
            .fetch_optional(&mut *tx)
            .await?
    };
    let new_user = existing.is_none();
    match &existing {
        Some(u) => {
            if u.deactivated != 0 {
                return Ok(Err(RegisterFailure::PasswordInvalid));
            }
            match (&u.password_hash, &password) {
                (Some(hash), Some(pw)) if !verify_password(pw, hash) => {
                    return Ok(Err(RegisterFailure::PasswordInvalid));
                }
                (Some(_), None) => return Ok(Err(RegisterFailure::PasswordRequired)),
                (None, Some(pw)) => {
                    sqlx::query("UPDATE users SET password_hash = ? WHERE user_id = ?")
                        .bind(hash_password(pw))
                        .bind(&user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {}
            }
            let mut merged = match model::parse_map(&u.metadata) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            merged.extend(metadata);
            sqlx::query(
                "UPDATE users SET display_name = COALESCE(?, display_name), \
                 email = COALESCE(?, email), phone = COALESCE(?, phone), \
                 image_link = COALESCE(?, image_link), metadata = ?, last_logged_in_at = ?, \
                 updated_at = ? WHERE user_id = ?",
            )
            .bind(&display_name)
            .bind(&email)
            .bind(&phone)
            .bind(&image_link)
            .bind(Value::Object(merged).to_string())
            .bind(now)
            .bind(now)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            let new = NewUser {
                user_id: user_id.clone(),
                display_name,
                email,
                phone,
                image_link,
                password,
                role_type: requested_role,
                user_type_id,
                metadata,
            };
            users::insert_user(&mut tx, &new, now).await?;
            sqlx::query("UPDATE users SET last_logged_in_at = ? WHERE user_id = ?")
                .bind(now)
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    let device_key = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO devices (device_key, user_id, device_type, registration_id, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&device_key)
    .bind(&user_id)
    .bind(device_type)
    .bind(&registration_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let user = {
        let sql = format!(
            "SELECT {} FROM users WHERE user_id = ?",
            model::USER_COLUMNS
        );
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(&user_id)
            .fetch_one(&mut *tx)
            .await?
    };
    let total_unread: (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(unread_count), 0) FROM channel_users \
         WHERE user_id = ? AND removed_at IS NULL",
    )
    .bind(&user_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    drop(w);
    let auth_token = state.issue_token(&user.user_id, user.role_type, Some(&device_key));
    Ok(Ok(Registration {
        user,
        device_key,
        auth_token,
        new_user,
        with_registration_id: registration_id.is_some(),
        now,
        total_unread: total_unread.0,
    }))
}

/// The `RegistrationResponse` JSON.
pub fn registration_json(state: &SharedState, r: &Registration) -> Value {
    let message = match (r.new_user, r.with_registration_id) {
        (false, _) => "UPDATED",
        (true, true) => "REGISTERED",
        (true, false) => "REGISTERED.WITHOUTREGISTRATIONID",
    };
    let mut v = json!({
        "message": message,
        "userKey": r.user.user_key,
        "deviceKey": r.device_key,
        "userId": r.user.user_id,
        "displayName": r.user.display(),
        "lastSyncTime": r.now,
        "currentTimeStamp": r.now,
        "deactivate": false,
        "brokerUrl": state.mqtt_url,
        "pricingPackage": 1,
        "totalUnreadCount": r.total_unread,
        "roleType": r.user.role_type,
        "metadata": model::parse_map(&r.user.metadata),
        "authToken": r.auth_token,
        "newUser": r.new_user,
        "encryptionType": 0,
    });
    for (key, value) in [
        ("contactNumber", &r.user.phone),
        ("imageLink", &r.user.image_link),
        ("statusMessage", &r.user.status_message),
        ("email", &r.user.email),
    ] {
        if let Some(value) = value {
            v[key] = json!(value);
        }
    }
    v
}

fn failure_response(failure: RegisterFailure, now: i64) -> Response {
    (
        failure.status(),
        Json(json!({"message": failure.message(), "currentTimeStamp": now})),
    )
        .into_response()
}

/// `POST /rest/ws/register/client`
pub async fn register_client(State(state): State<SharedState>, body: Body) -> ApiResult<Response> {
    let obj = body.object()?;
    match register(&state, &obj, &[role::USER, role::AGENT]).await? {
        Ok(r) => Ok(Json(registration_json(&state, &r)).into_response()),
        Err(f) => Ok(failure_response(f, crate::clock::wall_ms())),
    }
}

/// `POST /v2/tab/initialize.page` (web widget login).
pub async fn initialize_page(State(state): State<SharedState>, body: Body) -> ApiResult<Response> {
    let obj = body.object()?;
    match register(&state, &obj, &[role::USER]).await? {
        Ok(r) => Ok(Json(json!({
            "token": r.user.user_key,
            "deviceKey": r.device_key,
            "authToken": r.auth_token,
            "userId": r.user.user_id,
            "displayName": r.user.display(),
            "websocketUrl": state.mqtt_url,
            "fileBaseUrl": state.http_url,
            "deactivated": false,
            "totalUnreadCount": r.total_unread,
            "currentTimeStamp": r.now,
            "encryptionType": 0,
        }))
        .into_response()),
        Err(f) => {
            let text = match f {
                RegisterFailure::InvalidApplicationId => "INVALID_APPID",
                RegisterFailure::InvalidParameter => "INVALID_PARAMETER",
                RegisterFailure::PasswordInvalid | RegisterFailure::PasswordRequired => {
                    "INVALID_PASSWORD"
                }
            };
            Ok((f.status(), text).into_response())
        }
    }
}

/// `POST /rest/ws/register/refresh/token`: `Application-Key` + `Device-Key`, body
/// `{applicationId, userId}`; answers a new JWT.
pub async fn refresh_token(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let obj = body.object()?;
    let user_id = field::opt_str(&obj, "userId")?
        .or_else(|| {
            headers
                .get("Of-User-Id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .ok_or_else(|| ApiError::bad_request("userId is required"))?;
    let app_id = field::opt_str(&obj, "applicationId")?.or_else(|| {
        headers
            .get("Application-Key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    if app_id.as_deref() != Some(state.app.application_id.as_str()) {
        return Err(ApiError::unauthorized("invalid application key"));
    }
    let device_key = headers
        .get("Device-Key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("Device-Key header is required"))?;
    let device: Option<(String,)> = sqlx::query_as(
        "SELECT device_key FROM devices WHERE device_key = ? AND user_id = ? \
         AND logged_out_at IS NULL",
    )
    .bind(device_key)
    .bind(&user_id)
    .fetch_optional(&state.db)
    .await?;
    if device.is_none() {
        return Err(ApiError::unauthorized("unknown device"));
    }
    let user = model::require_user(&state.db, &user_id).await?;
    Ok(ok(state.issue_token(
        &user.user_id,
        user.role_type,
        Some(device_key),
    )))
}

/// `POST /rest/ws/device/logout`
pub async fn logout(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    if let Some(device) = &caller.device_key {
        let w = state.begin_write().await;
        sqlx::query("UPDATE devices SET logged_out_at = ? WHERE device_key = ? AND user_id = ?")
            .bind(w.now)
            .bind(device)
            .bind(&caller.principal)
            .execute(&state.db)
            .await?;
    }
    Ok(ok("success"))
}

/// `POST /rest/ws/loginv2` (Kommunicate agent login). Accepts the `KMUser` JSON or
/// `{"encoded":true,"data":base64(urlencoded JSON)}`.
pub async fn login_v2(State(state): State<SharedState>, body: Body) -> ApiResult<Response> {
    let mut obj = body.object()?;
    if field::opt_bool(&obj, "encoded")? == Some(true) {
        let data = field::opt_str(&obj, "data")?
            .ok_or_else(|| ApiError::bad_request("data is required"))?;
        let decoded = STANDARD
            .decode(data.trim())
            .map_err(|_| ApiError::bad_request("data is not base64"))?;
        let text =
            String::from_utf8(decoded).map_err(|_| ApiError::bad_request("data is not UTF-8"))?;
        let unescaped: String = url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or(text);
        obj = match serde_json::from_str::<Value>(&unescaped) {
            Ok(Value::Object(m)) => m,
            _ => return Err(ApiError::bad_request("data is not a JSON object")),
        };
    }
    let user_name = field::opt_str(&obj, "userName")?.or(field::opt_str(&obj, "userId")?);
    let password = field::opt_str(&obj, "password")?;
    let invalid = || {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "INVALID_CREDENTIALS", "message": "invalid credentials"})),
        )
            .into_response()
    };
    let (Some(user_name), Some(password)) = (user_name, password) else {
        return Ok(invalid());
    };
    let Some(user) = model::find_user(&state.db, &user_name).await? else {
        return Ok(invalid());
    };
    let password_ok = user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(&password, h));
    if !password_ok || !user.is_agent_like() {
        return Ok(invalid());
    }
    let mut login = Map::new();
    login.insert("userId".into(), json!(user.user_id));
    login.insert("applicationId".into(), json!(state.app.application_id));
    login.insert("password".into(), json!(password));
    if let Some(dt) = obj.get("deviceType") {
        login.insert("deviceType".into(), dt.clone());
    }
    let reg = match register(&state, &login, &[]).await? {
        Ok(r) => r,
        Err(_) => return Ok(invalid()),
    };
    let dashboard_token = state.issue_token(&reg.user.user_id, reg.user.role_type, None);
    Ok(Json(json!({
        "code": "SUCCESS",
        "message": "login successful",
        "result": {
            "applozicUser": registration_json(&state, &reg),
            "token": dashboard_token,
            "roleType": reg.user.role_type,
            "applicationId": state.app.application_id,
            "userName": reg.user.user_id,
            "displayName": reg.user.display(),
            "email": reg.user.email,
        }
    }))
    .into_response())
}
