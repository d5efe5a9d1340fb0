//! Registration, login and the platform's authentication schemes.

mod common;

use common::*;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn raw_register(sb: &parley_sandbox::Sandbox, body: Value) -> (StatusCode, Value) {
    let res = http()
        .post(format!("{}/rest/ws/register/client", sb.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn test_register_new_user_returns_registration_response() {
    let sb = start().await;
    let (status, v) = raw_register(&sb, json!({"userId": "user1234", "applicationId": APP, "password": "1234", "displayName": "User"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["message"], "REGISTERED.WITHOUTREGISTRATIONID");
    assert_eq!(v["userId"], "user1234");
    assert_eq!(v["displayName"], "User");
    for key in ["userKey", "deviceKey", "authToken", "brokerUrl"] {
        assert!(
            v[key].as_str().is_some_and(|s| !s.is_empty()),
            "{key} in {v}"
        );
    }
    assert_eq!(v["brokerUrl"], sb.mqtt_url());
    assert!(v["lastSyncTime"].is_i64() && v["currentTimeStamp"].is_i64());
    assert_eq!(v["roleType"], 3);
    assert_eq!(v["newUser"], true);
}

#[tokio::test]
async fn test_register_existing_user_answers_updated_and_checks_password() {
    let sb = start().await;
    register(&sb, "u1", Some("pw")).await;
    let (status, v) = raw_register(
        &sb,
        json!({"userId": "u1", "applicationId": APP, "password": "pw"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["message"], "UPDATED");
    let (status, v) = raw_register(
        &sb,
        json!({"userId": "u1", "applicationId": APP, "password": "nope"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["message"], "PASSWORD_INVALID");
    let (_, v) = raw_register(&sb, json!({"userId": "u1", "applicationId": APP})).await;
    assert_eq!(v["message"], "PASSWORD_REQUIRED");
}

#[tokio::test]
async fn test_register_with_registration_id_answers_registered() {
    let sb = start().await;
    let (_, v) = raw_register(
        &sb,
        json!({"userId": "u1", "applicationId": APP, "registrationId": "fcm-token"}),
    )
    .await;
    assert_eq!(v["message"], "REGISTERED");
}

#[tokio::test]
async fn test_register_without_user_or_app_is_invalid_parameter() {
    let sb = start().await;
    let (status, v) = raw_register(&sb, json!({"applicationId": APP})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["message"], "INVALID_PARAMETER");
    assert!(v["currentTimeStamp"].is_i64());
    let (_, v) = raw_register(&sb, json!({"userId": "x"})).await;
    assert_eq!(v["message"], "INVALID_PARAMETER");
    let (status, v) = raw_register(&sb, json!({"userId": "x", "applicationId": "other-app"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["message"], "INVALID_APPLICATIONID");
}

#[tokio::test]
async fn test_jwt_auth_works_and_missing_credentials_are_unauthorized() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, v) = get(&sb, &me, "/rest/ws/user/detail?userIds=me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v[0]["userId"], "me");

    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=me", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "AL-UN-01");

    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=me", sb.http_url()))
        .header("X-Authorization", "not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "AL-UN-01");
}

#[tokio::test]
async fn test_expired_jwt_is_rejected() {
    let sb = start().await;
    register(&sb, "me", None).await;
    let long_ago = parley_sandbox::clock::wall_ms() - 11 * 60_000;
    let expired = sb.mint_token("me", long_ago, 10);
    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=me", sb.http_url()))
        .header("Application-Key", APP)
        .header("X-Authorization", expired)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let v: Value = res.json().await.unwrap();
    assert_error(&v, "AL-UN-01");
    assert_eq!(v["errorResponse"][0]["description"], "token expired");
}

#[tokio::test]
async fn test_jwt_with_other_application_key_header_is_rejected() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=me", sb.http_url()))
        .header("Application-Key", "someone-else")
        .header("X-Authorization", &me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_basic_device_key_auth_needs_access_token_when_password_set() {
    let sb = start().await;
    let plain = register(&sb, "plain", None).await;
    let url = format!("{}/rest/ws/user/detail?userIds=plain", sb.http_url());
    let res = http()
        .get(&url)
        .header("Application-Key", APP)
        .header("Authorization", basic("plain", &plain.device_key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let secure = register(&sb, "secure", Some("s3cret")).await;
    let auth = basic("secure", &secure.device_key);
    let res = http()
        .get(&url)
        .header("Application-Key", APP)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http()
        .get(&url)
        .header("Application-Key", APP)
        .header("Authorization", &auth)
        .header("Access-Token", "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Basic auth without Application-Key fails.
    let res = http()
        .get(&url)
        .header("Authorization", &auth)
        .header("Access-Token", "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A wrong device key fails.
    let res = http()
        .get(&url)
        .header("Application-Key", APP)
        .header("Authorization", basic("plain", "wrong-device"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "AL-UN-01");
}

#[tokio::test]
async fn test_application_bot_acts_as_of_user_id() {
    let sb = start().await;
    register(&sb, "alice", None).await;
    register(&sb, "bob", None).await;
    let res = http()
        .post(format!("{}/rest/ws/message/v2/send", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", bot_auth(&sb))
        .header("Of-User-Id", "alice")
        .json(&json!({"to": "bob", "message": "hi from the bot on alice's behalf"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    let key = assert_success(&v)["messageKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("5-"));

    // Unknown Of-User-Id: AL-U-01.
    let res = http()
        .post(format!("{}/rest/ws/message/v2/send", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", bot_auth(&sb))
        .header("Of-User-Id", "ghost")
        .json(&json!({"to": "bob", "message": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_error(&res.json().await.unwrap(), "AL-U-01");

    // Wrong bot password.
    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=bob", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", basic("parley-bot", "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_plain_user_cannot_use_of_user_id() {
    let sb = start().await;
    let mallory = register(&sb, "mallory", None).await;
    register(&sb, "victim", None).await;
    let res = http()
        .post(format!("{}/rest/ws/user/update", sb.http_url()))
        .header("X-Authorization", &mallory.token)
        .header("Of-User-Id", "victim")
        .json(&json!({"displayName": "pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_error(&res.json().await.unwrap(), "AL-UN-01");
}

#[tokio::test]
async fn test_api_key_server_api_with_of_user_id() {
    let sb = start().await;
    register(&sb, "cust", None).await;
    let res = http()
        .post(format!("{}/rest/ws/user/update", sb.http_url()))
        .header("Api-Key", sb.api_key())
        .header("Of-User-Id", "cust")
        .json(&json!({"displayName": "Customer One", "metadata": {"key-1": "value-1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(assert_success(&v), "success");

    let res = http()
        .post(format!("{}/rest/ws/user/v2/detail", sb.http_url()))
        .header("Api-Key", sb.api_key())
        .json(&json!({"userIdList": ["cust"]}))
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v[0]["userName"], "Customer One");
    assert_eq!(v[0]["metadata"]["key-1"], "value-1");

    let res = http()
        .post(format!("{}/rest/ws/user/v2/detail", sb.http_url()))
        .header("Api-Key", "wrong")
        .json(&json!({"userIdList": ["cust"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "AL-UN-01");
}

#[tokio::test]
async fn test_refresh_token_returns_a_working_jwt() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let res = http()
        .post(format!("{}/rest/ws/register/refresh/token", sb.http_url()))
        .header("Application-Key", APP)
        .header("Device-Key", &me.device_key)
        .json(&json!({"applicationId": APP, "userId": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    let token = assert_success(&v).as_str().unwrap().to_owned();
    let fresh = Session {
        token,
        ..me.clone()
    };
    let (status, _) = get(&sb, &fresh, "/rest/ws/user/detail?userIds=me").await;
    assert_eq!(status, StatusCode::OK);

    let res = http()
        .post(format!("{}/rest/ws/register/refresh/token", sb.http_url()))
        .header("Application-Key", APP)
        .header("Device-Key", "not-a-device")
        .json(&json!({"applicationId": APP, "userId": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_logout_revokes_the_device_key() {
    let sb = start().await;
    let me = register(&sb, "me", None).await;
    let (status, v) = post(&sb, &me, "/rest/ws/device/logout", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let res = http()
        .get(format!("{}/rest/ws/user/detail?userIds=me", sb.http_url()))
        .header("Application-Key", APP)
        .header("Authorization", basic("me", &me.device_key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_loginv2_returns_applozic_user_and_dashboard_token() {
    let sb = start_demo().await;
    let res = http()
        .post(format!("{}/rest/ws/loginv2", sb.http_url()))
        .json(&json!({"userName": "alice@parley.test", "password": "agent-password", "applicationId": APP, "roleType": 8}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "SUCCESS");
    assert_eq!(v["result"]["applozicUser"]["userId"], "alice@parley.test");
    assert_eq!(v["result"]["applozicUser"]["roleType"], 8);
    assert!(v["result"]["applozicUser"]["authToken"].is_string());
    let dashboard = v["result"]["token"].as_str().unwrap();
    // The dashboard token works as `Authorization` for the Kommunicate API.
    let res = http()
        .get(format!("{}/rest/ws/team/list", sb.http_url()))
        .header("Authorization", dashboard)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The encoded form.
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .encode(r#"{"userName":"bob@parley.test","password":"agent-password"}"#);
    let res = http()
        .post(format!("{}/rest/ws/loginv2", sb.http_url()))
        .json(&json!({"encoded": true, "data": data}))
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["result"]["applozicUser"]["userId"], "bob@parley.test");

    let res = http()
        .post(format!("{}/rest/ws/loginv2", sb.http_url()))
        .json(&json!({"userName": "alice@parley.test", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "INVALID_CREDENTIALS");
    // Customers cannot use the agent login.
    let res = http()
        .post(format!("{}/rest/ws/loginv2", sb.http_url()))
        .json(&json!({"userName": "customer-001", "password": "customer-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_web_initialize_page_returns_token_and_auth_token() {
    let sb = start().await;
    let res = http()
        .post(format!("{}/v2/tab/initialize.page", sb.http_url()))
        .header("Application-Key", APP)
        .json(&json!({"applicationId": APP, "userId": "webby", "displayName": "Web"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert!(v["token"].is_string() && v["authToken"].is_string() && v["deviceKey"].is_string());
    let res = http()
        .post(format!("{}/v2/tab/initialize.page", sb.http_url()))
        .json(&json!({"applicationId": "nope", "userId": "webby"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "INVALID_APPID");
}

#[tokio::test]
async fn test_of_user_id_accepts_raw_and_url_encoded_ids() {
    let sb = start().await;
    register(&sb, "a+b@x.test", None).await;
    for of in ["a+b@x.test", "a%2Bb%40x.test"] {
        let res = http()
            .post(format!("{}/rest/ws/user/update", sb.http_url()))
            .header("Api-Key", sb.api_key())
            .header("Of-User-Id", of)
            .json(&json!({"displayName": "Plus"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{of}");
    }
}
