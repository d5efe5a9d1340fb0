//! Contract tests of the Dixa end users client (`api_dixa`) against the sandbox's emulation of
//! `https://dev.dixa.io/v1/endusers…`: every endpoint's happy path and shapes, authentication,
//! bad input, unknown ids, anonymization, bulk calls with mixed rows, the CSV import and the
//! per-token rate limit (10/s, burst 4).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use parley_client::api_dixa::{
    AttributeColumn, AttributeValue, BulkOutcome, Channel, ConversationState, DixaClient,
    EndUserFilter, EndUserPatch, EndUserPatchRow, EndUserUpdateRow, ImportOptions, NewEndUser,
    PageRequest, RetryPolicy, RowOutcome, CONFLICT, NOT_FOUND,
};
use parley_client::ClientError;
use parley_core::dixa::EndUserCsv;
use parley_core::Secret;
use parley_sandbox::seed::dixa as seed;
use parley_sandbox::{Sandbox, SandboxConfig, SeedConfig};
use serde_json::{json, Value};

/// A demo sandbox with Dixa's documented rate limit.
async fn demo() -> Sandbox {
    sandbox(SeedConfig::Demo).await
}

/// A demo sandbox without the rate limit, for tests that also call the API raw.
async fn demo_unlimited() -> Sandbox {
    init_logs();
    let mut cfg = SandboxConfig::for_tests();
    cfg.seed = SeedConfig::Demo;
    cfg.dixa_rate_per_second = 0.0;
    Sandbox::start(cfg).await.expect("sandbox starts")
}

fn client(sb: &Sandbox) -> DixaClient {
    DixaClient::new(sb.http_url(), Secret::new(sb.dixa_token())).expect("client")
}

/// One raw request: (status, Retry-After, JSON body).
async fn raw(
    sb: &Sandbox,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", sb.http_url()));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

fn is_iso_second(s: &str) -> bool {
    // 2020-12-16T09:41:43Z
    s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z')
}

fn invalid(e: &ClientError) -> &str {
    match e {
        ClientError::Invalid(m) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn platform_code(e: &ClientError) -> &str {
    match e {
        ClientError::Platform { code, .. } => code,
        other => panic!("expected Platform, got {other:?}"),
    }
}

fn new_user(name: &str, email: Option<&str>, phone: Option<&str>) -> NewEndUser {
    NewEndUser {
        display_name: Some(name.to_owned()),
        email: email.map(str::to_owned),
        phone_number: phone.map(str::to_owned),
        ..NewEndUser::default()
    }
}

#[tokio::test]
async fn test_demo_seed_exposes_the_token_and_end_users_with_attributes() {
    let sb = demo().await;
    assert_eq!(sb.ready_info().dixa_token, seed::DEMO_TOKEN);
    let line = serde_json::to_value(sb.ready_info()).unwrap();
    assert_eq!(line["dixaToken"], seed::DEMO_TOKEN);

    let dixa = client(&sb);
    let ingrid = dixa.end_user(seed::INGRID_LARSEN).await.unwrap();
    assert_eq!(ingrid.id, seed::INGRID_LARSEN);
    assert_eq!(ingrid.display_name.as_deref(), Some("Ingrid Larsen"));
    assert_eq!(ingrid.email.as_deref(), Some("ingrid.larsen@example.com"));
    assert_eq!(ingrid.phone_number.as_deref(), Some("+4520123456"));
    assert_eq!(
        ingrid.additional_emails,
        vec!["ingrid@larsen-design.example"]
    );
    assert_eq!(ingrid.external_id.as_deref(), Some("CRM-1001"));
    assert!(is_iso_second(ingrid.created_at.as_deref().unwrap()));
    assert_eq!(
        ingrid.attribute("customer_tier"),
        Some(&AttributeValue::Select(vec!["Enterprise".into()]))
    );
    assert_eq!(
        ingrid.attribute("account_number"),
        Some(&AttributeValue::Text("AC-88231".into()))
    );
    assert!(!ingrid.is_anonymized());
    let gone = dixa.end_user(seed::ANONYMIZED).await.unwrap();
    assert!(gone.is_anonymized());
    assert_eq!(gone.email, None);
}

#[tokio::test]
async fn test_create_end_user_answers_the_documented_shape() {
    let sb = demo_unlimited().await;
    let body = json!({
        "displayName": "Alice Brown",
        "email": "alice@brown.com",
        "phoneNumber": "+551155256325",
        "additionalEmails": ["alice@secondary.email"],
        "additionalPhoneNumbers": ["+5566778899"],
        "firstName": "Alice",
        "lastName": "Brown",
        "middleNames": [],
        "avatarUrl": "http://avatar.url",
        "externalId": "#12345678"
    });
    let (status, _, answer) = raw(
        &sb,
        reqwest::Method::POST,
        "/v1/endusers",
        Some(sb.dixa_token()),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let data = &answer["data"];
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "additionalEmails",
            "additionalPhoneNumbers",
            "createdAt",
            "customAttributes",
            "displayName",
            "email",
            "externalId",
            "firstName",
            "id",
            "lastName",
            "middleNames",
            "phoneNumber"
        ]
    );
    assert!(uuid::Uuid::parse_str(data["id"].as_str().unwrap()).is_ok());
    assert_eq!(data["customAttributes"], json!([]));
    assert_eq!(data["additionalPhoneNumbers"], json!(["+5566778899"]));

    // The typed client reads the same end user back.
    let dixa = client(&sb);
    let got = dixa.end_user(data["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(got.display_name.as_deref(), Some("Alice Brown"));
    assert_eq!(got.middle_names, Vec::<String>::new());
    let created = dixa
        .create_end_user(&NewEndUser {
            phone_number: Some("+45 31 22 33 44".into()),
            first_name: Some("Bo".into()),
            ..NewEndUser::default()
        })
        .await
        .unwrap();
    assert_eq!(created.phone_number.as_deref(), Some("+4531223344"));
    assert_eq!(created.display_name, None);
}

#[tokio::test]
async fn test_create_refuses_bad_input_and_a_taken_email() {
    let sb = demo_unlimited().await;
    let dixa = client(&sb);
    let e = dixa
        .create_end_user(&new_user("X", Some("not-an-email"), None))
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("InvalidEmail"), "{e}");
    let e = dixa
        .create_end_user(&new_user("X", Some("INGRID.larsen@example.com"), None))
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("EmailExists"), "{e}");
    let e = dixa
        .create_end_user(&new_user("Only a name", None, None))
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("MissingContactDetails"), "{e}");
    let e = dixa
        .create_end_user(&new_user("X", None, Some("+45 12")))
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("InvalidPhoneNumber"), "{e}");

    for body in ["{", "[]", r#"{"email": 42}"#, ""] {
        let (status, _, answer) = raw(
            &sb,
            reqwest::Method::POST,
            "/v1/endusers",
            Some(sb.dixa_token()),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            message(&answer).starts_with("Invalid value for: body"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn test_bulk_create_reports_success_or_failure_per_row() {
    let sb = demo().await;
    let dixa = client(&sb);
    let rows = vec![
        new_user("First", Some("first@example.com"), None),
        new_user("Same email", Some("FIRST@example.com"), None),
        new_user("Bad phone", None, Some("call me")),
        new_user("Fourth", None, Some("+4570707070")),
    ];
    let out = dixa.create_end_users(&rows).await.unwrap();
    assert_eq!(out.len(), 4);
    let first = out[0].success().expect("row 1 created");
    assert_eq!(first.email.as_deref(), Some("first@example.com"));
    let dup = out[1].failure().expect("row 2 refused");
    assert_eq!(dup.kind, "Validation");
    assert_eq!(dup.error_codes(), vec!["EmailExists"]);
    assert!(
        dup.message.starts_with("Create EndUser [userId="),
        "{}",
        dup.message
    );
    assert_eq!(
        out[2].failure().unwrap().error_codes(),
        vec!["InvalidPhoneNumber"]
    );
    let fourth = out[3].success().expect("row 4 created");
    assert_eq!(
        dixa.end_user(&fourth.id)
            .await
            .unwrap()
            .phone_number
            .as_deref(),
        Some("+4570707070")
    );
    // The refused rows were not created.
    let found = dixa
        .end_users(
            &EndUserFilter::Email("first@example.com".into()),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(dixa.create_end_users(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn test_unknown_end_user_is_not_found_and_a_bad_id_is_invalid() {
    let sb = demo_unlimited().await;
    let dixa = client(&sb);
    let e = dixa
        .end_user("6bf55369-a670-4e6b-9f70-ecdb9913549f")
        .await
        .unwrap_err();
    assert_eq!(platform_code(&e), NOT_FOUND);
    let e = dixa
        .patch_end_user(
            "6bf55369-a670-4e6b-9f70-ecdb9913549f",
            &EndUserPatch::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(platform_code(&e), NOT_FOUND);
    let e = dixa
        .end_user_conversations(
            "6bf55369-a670-4e6b-9f70-ecdb9913549f",
            &PageRequest::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(platform_code(&e), NOT_FOUND);

    // A malformed id never leaves the client; the server refuses it too.
    let before = dixa.stats().requests;
    assert!(matches!(
        dixa.end_user("../../v1/endusers").await,
        Err(ClientError::Invalid(_))
    ));
    assert_eq!(dixa.stats().requests, before);
    let (status, _, answer) = raw(
        &sb,
        reqwest::Method::GET,
        "/v1/endusers/not-a-uuid",
        Some(sb.dixa_token()),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message(&answer), "Invalid value for: path parameter userId");
    let (status, _, answer) = raw(
        &sb,
        reqwest::Method::GET,
        "/v1/elsewhere",
        Some(sb.dixa_token()),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(answer["message"].is_string());
}

#[tokio::test]
async fn test_list_filters_by_email_phone_or_external_id() {
    let sb = demo().await;
    let dixa = client(&sb);
    let first = PageRequest::default();
    let by_email = dixa
        .end_users(
            &EndUserFilter::Email("Ingrid.Larsen@example.com".into()),
            &first,
        )
        .await
        .unwrap();
    assert_eq!(ids(&by_email.items), vec![seed::INGRID_LARSEN]);
    assert_eq!(by_email.next_page_key, None);
    let by_other_email = dixa
        .end_users(
            &EndUserFilter::Email("oluwaseun.adeyemi@example.net".into()),
            &first,
        )
        .await
        .unwrap();
    assert_eq!(ids(&by_other_email.items), vec![seed::OLUWASEUN_ADEYEMI]);
    let by_phone = dixa
        .end_users(&EndUserFilter::Phone("+45 20 12 34 56".into()), &first)
        .await
        .unwrap();
    assert_eq!(ids(&by_phone.items), vec![seed::INGRID_LARSEN]);
    let by_external = dixa
        .end_users(&EndUserFilter::ExternalId("CRM-1003".into()), &first)
        .await
        .unwrap();
    assert_eq!(ids(&by_external.items), vec![seed::MEI_CHEN]);
    let nobody = dixa
        .end_users(&EndUserFilter::Email("nobody@example.com".into()), &first)
        .await
        .unwrap();
    assert!(nobody.items.is_empty());
    let e = dixa
        .end_users(&EndUserFilter::Email("not an email".into()), &first)
        .await
        .unwrap_err();
    assert_eq!(invalid(&e), "Invalid value for: query parameter email");
}

fn ids(users: &[parley_client::api_dixa::EndUser]) -> Vec<&str> {
    users.iter().map(|u| u.id.as_str()).collect()
}

#[tokio::test]
async fn test_list_refuses_two_filters_duplicates_and_bad_paging() {
    let sb = demo_unlimited().await;
    let token = sb.dixa_token();
    for (query, expected) in [
        (
            "email=a@b.co&phone=%2B4512345678",
            "Invalid filters: Cannot provide more than one filter",
        ),
        (
            "email=a@b.co&externalId=x",
            "Invalid filters: Cannot provide more than one filter",
        ),
        ("email=a@b.co&email=c@d.co", "Duplicate email address"),
        ("phone=123456&phone=654321", "Duplicate phone number"),
        (
            "pageLimit=0",
            "Invalid value for: query parameter pageLimit",
        ),
        (
            "pageLimit=ten",
            "Invalid value for: query parameter pageLimit",
        ),
        ("pageKey=%%%", "Invalid value for: query parameter pageKey"),
        (
            "pageKey=bm90IGpzb24",
            "Invalid value for: query parameter pageKey",
        ),
    ] {
        let (status, _, answer) = raw(
            &sb,
            reqwest::Method::GET,
            &format!("/v1/endusers?{query}"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert_eq!(message(&answer), expected, "{query}");
    }
    let (status, _, answer) = raw(
        &sb,
        reqwest::Method::GET,
        "/v1/endusers?pageLimit=2",
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert!(answer["meta"]["next"]
        .as_str()
        .unwrap()
        .starts_with("/v1/endusers?pageKey="));
}

#[tokio::test]
async fn test_list_pages_through_every_end_user_with_page_keys() {
    let sb = demo().await;
    let dixa = client(&sb);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut request = PageRequest::first(3);
    loop {
        let page = dixa.end_users(&EndUserFilter::All, &request).await.unwrap();
        sizes.push(page.items.len());
        seen.extend(page.items.into_iter().map(|u| u.id));
        match page.next_page_key {
            Some(k) => request.key = Some(k),
            None => break,
        }
    }
    assert_eq!(sizes, vec![3, 3, 2]);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8);
    assert_eq!(seen[0], seed::INGRID_LARSEN);

    // The page key carries the filter: external ids are not unique.
    let shared: Vec<NewEndUser> = (0..3)
        .map(|i| NewEndUser {
            email: Some(format!("shared{i}@example.com")),
            external_id: Some("SHARED-EXT".into()),
            ..NewEndUser::default()
        })
        .collect();
    let created = dixa.create_end_users(&shared).await.unwrap();
    assert!(created.iter().all(|o| o.success().is_some()));
    let filter = EndUserFilter::ExternalId("SHARED-EXT".into());
    let p1 = dixa
        .end_users(&filter, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = dixa
        .end_users(
            &filter,
            &PageRequest {
                key: p1.next_page_key.clone(),
                limit: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.items[0].email.as_deref(), Some("shared2@example.com"));
    assert_eq!(p2.next_page_key, None);
    assert_eq!(dixa.all_end_users(&filter).await.unwrap().len(), 3);
    assert_eq!(
        dixa.all_end_users(&EndUserFilter::All).await.unwrap().len(),
        11
    );
}

#[tokio::test]
async fn test_patch_changes_given_fields_and_clears_nulls() {
    let sb = demo().await;
    let dixa = client(&sb);
    let patched = dixa
        .patch_end_user(
            seed::INGRID_LARSEN,
            &EndUserPatch {
                display_name: Some(Some("Ingrid L. Holm".into())),
                phone_number: Some(None),
                middle_names: Some(vec!["Louise".into()]),
                ..EndUserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.display_name.as_deref(), Some("Ingrid L. Holm"));
    assert_eq!(patched.phone_number, None);
    assert_eq!(patched.middle_names, vec!["Louise"]);
    // Untouched fields and custom attributes stay.
    assert_eq!(patched.email.as_deref(), Some("ingrid.larsen@example.com"));
    assert_eq!(patched.external_id.as_deref(), Some("CRM-1001"));
    assert_eq!(patched.custom_attributes.len(), 2);
    assert_eq!(dixa.end_user(seed::INGRID_LARSEN).await.unwrap(), patched);

    // PUT replaces every field.
    let updated = dixa
        .update_end_user(
            seed::INGRID_LARSEN,
            &NewEndUser {
                display_name: Some("Ingrid Holm".into()),
                email: Some("ingrid.holm@example.com".into()),
                ..NewEndUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.email.as_deref(), Some("ingrid.holm@example.com"));
    assert_eq!(updated.external_id, None);
    assert_eq!(updated.first_name, None);
    assert!(updated.additional_emails.is_empty());
    let e = dixa
        .update_end_user(seed::INGRID_LARSEN, &NewEndUser::default())
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Invalid(_)));
    // A patch must leave a way to find the end user.
    let e = dixa
        .patch_end_user(
            seed::INGRID_LARSEN,
            &EndUserPatch {
                email: Some(None),
                ..EndUserPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("MissingContactDetails"), "{e}");
}

#[tokio::test]
async fn test_patch_to_a_taken_phone_number_is_refused() {
    let sb = demo().await;
    let dixa = client(&sb);
    let e = dixa
        .patch_end_user(
            seed::MEI_CHEN,
            &EndUserPatch {
                phone_number: Some(Some("+45 20 12 34 56".into())),
                ..EndUserPatch::default()
            },
        )
        .await
        .unwrap_err();
    let m = invalid(&e);
    assert!(m.starts_with("Validation failure during update"), "{m}");
    assert!(m.contains("PhoneNumberExists"), "{m}");
    // Giving an end user their own email again is fine.
    dixa.patch_end_user(
        seed::SOFIA_ROSSI,
        &EndUserPatch {
            email: Some(Some("SOFIA.ROSSI@example.it".into())),
            ..EndUserPatch::default()
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn test_bulk_patch_and_update_report_each_row() {
    let sb = demo().await;
    let dixa = client(&sb);
    let unknown = "6bf55369-a670-4e6b-9f70-ecdb9913549f";
    let out = dixa
        .patch_end_users(&[
            EndUserPatchRow {
                id: seed::JONAS_BECKER.into(),
                patch: EndUserPatch {
                    email: Some(Some("jonas.becker@example.de".into())),
                    ..EndUserPatch::default()
                },
            },
            EndUserPatchRow {
                id: unknown.into(),
                patch: EndUserPatch::default(),
            },
            EndUserPatchRow {
                id: seed::SOFIA_ROSSI.into(),
                patch: EndUserPatch {
                    email: Some(Some("tomas.ruiz@example.com".into())),
                    ..EndUserPatch::default()
                },
            },
            EndUserPatchRow {
                id: seed::ANONYMIZED.into(),
                patch: EndUserPatch {
                    display_name: Some(Some("Back again".into())),
                    ..EndUserPatch::default()
                },
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        out[0].success().unwrap().email.as_deref(),
        Some("jonas.becker@example.de")
    );
    let nf = out[1].failure().unwrap();
    assert_eq!(
        (nf.kind.as_str(), nf.id.as_deref()),
        ("NotFound", Some(unknown))
    );
    let taken = out[2].failure().unwrap();
    assert_eq!(taken.kind, "Validation");
    assert_eq!(taken.error_codes(), vec!["EmailExists"]);
    assert!(
        taken.message.starts_with("Updating EndUser [id="),
        "{}",
        taken.message
    );
    assert_eq!(
        out[3].failure().unwrap().error_codes(),
        vec!["EndUserAnonymized"]
    );
    assert_eq!(
        dixa.end_user(seed::SOFIA_ROSSI)
            .await
            .unwrap()
            .email
            .as_deref(),
        Some("sofia.rossi@example.it")
    );

    let out = dixa
        .update_end_users(&[
            EndUserUpdateRow {
                id: seed::MEI_CHEN.into(),
                fields: NewEndUser {
                    display_name: Some("Chen Mei".into()),
                    phone_number: Some("+85291234567".into()),
                    ..NewEndUser::default()
                },
            },
            EndUserUpdateRow {
                id: seed::AMELIE_DUBOIS.into(),
                fields: NewEndUser {
                    display_name: Some("Amélie".into()),
                    ..NewEndUser::default()
                },
            },
        ])
        .await
        .unwrap();
    let mei = out[0].success().unwrap();
    assert_eq!(mei.display_name.as_deref(), Some("Chen Mei"));
    assert_eq!(mei.external_id, None);
    assert_eq!(
        out[1].failure().unwrap().error_codes(),
        vec!["MissingContactDetails"]
    );
    // A row without a display name is refused before sending.
    assert!(matches!(
        dixa.update_end_users(&[EndUserUpdateRow {
            id: seed::MEI_CHEN.into(),
            fields: NewEndUser::default(),
        }])
        .await,
        Err(ClientError::Invalid(_))
    ));
}

#[tokio::test]
async fn test_custom_attributes_are_patched_and_checked_against_their_type() {
    let sb = demo().await;
    let dixa = client(&sb);
    let values = BTreeMap::from([
        (
            seed::ATTR_CUSTOMER_TIER.to_owned(),
            Some(AttributeValue::Select(vec!["Pro".into()])),
        ),
        (seed::ATTR_ACCOUNT_NUMBER.to_owned(), None),
        (
            seed::ATTR_INTERESTS.to_owned(),
            Some(AttributeValue::Select(vec!["API".into(), "Billing".into()])),
        ),
    ]);
    let patched = dixa
        .patch_custom_attributes(seed::SOFIA_ROSSI, &values)
        .await
        .unwrap();
    let names: Vec<&str> = patched.iter().map(|a| a.identifier.as_str()).collect();
    assert_eq!(names, vec!["customer_tier", "interests"]);
    assert_eq!(patched[1].name, "Interests");
    let sofia = dixa.end_user(seed::SOFIA_ROSSI).await.unwrap();
    assert_eq!(
        sofia.attribute("interests"),
        Some(&AttributeValue::Select(vec![
            "API".into(),
            "Billing".into()
        ]))
    );
    assert_eq!(sofia.attribute("account_number"), None);

    for (attr, value) in [
        (seed::ATTR_CUSTOMER_TIER, AttributeValue::Text("Pro".into())),
        (
            seed::ATTR_CUSTOMER_TIER,
            AttributeValue::Select(vec!["Gold".into()]),
        ),
        (
            seed::ATTR_ACCOUNT_NUMBER,
            AttributeValue::Select(vec!["x".into()]),
        ),
        (
            "6bf55369-a670-4e6b-9f70-ecdb9913549f",
            AttributeValue::Text("x".into()),
        ),
    ] {
        let e = dixa
            .patch_custom_attributes(
                seed::SOFIA_ROSSI,
                &BTreeMap::from([(attr.to_owned(), Some(value.clone()))]),
            )
            .await
            .unwrap_err();
        assert!(
            invalid(&e).starts_with("Invalid input for patching"),
            "{value:?}: {e}"
        );
    }
    let e = dixa
        .patch_custom_attributes("6bf55369-a670-4e6b-9f70-ecdb9913549f", &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(platform_code(&e), NOT_FOUND);
}

#[tokio::test]
async fn test_anonymize_refuses_open_conversations_until_forced() {
    let sb = demo().await;
    let dixa = client(&sb);
    let e = dixa
        .anonymize_end_user(seed::TOMAS_RUIZ, false)
        .await
        .unwrap_err();
    assert_eq!(platform_code(&e), CONFLICT);
    assert!(e.to_string().contains("force=true"), "{e}");
    // Nothing changed.
    let tomas = dixa.end_user(seed::TOMAS_RUIZ).await.unwrap();
    assert_eq!(tomas.email.as_deref(), Some("tomas.ruiz@example.com"));
    let open = dixa
        .end_user_conversations(seed::TOMAS_RUIZ, &PageRequest::default())
        .await
        .unwrap();
    assert!(open
        .items
        .iter()
        .any(|c| c.state == ConversationState::Open));

    let request = dixa
        .anonymize_end_user(seed::TOMAS_RUIZ, true)
        .await
        .unwrap();
    assert_eq!(request.target_entity_id, seed::TOMAS_RUIZ);
    assert_eq!(request.kind.as_deref(), Some("User"));
    assert_eq!(
        request.entity_type.as_deref(),
        Some("UserAnonymizationType")
    );
    assert_eq!(request.requested_by.as_deref(), Some(seed::TOKEN_AGENT_ID));
    assert!(request.initiated_at.as_deref().unwrap().ends_with("Z[GMT]"));
    assert!(request.processed_at.is_some());

    let tomas = dixa.end_user(seed::TOMAS_RUIZ).await.unwrap();
    assert!(tomas.is_anonymized());
    assert!(is_iso_second(tomas.anonymized_at.as_deref().unwrap()));
    assert_eq!(tomas.display_name.as_deref(), Some("Anonymized user"));
    assert_eq!(
        (
            &tomas.email,
            &tomas.phone_number,
            &tomas.first_name,
            &tomas.last_name,
            &tomas.external_id
        ),
        (&None, &None, &None, &None, &None)
    );
    assert!(tomas.custom_attributes.is_empty());
    let convs = dixa
        .end_user_conversations(seed::TOMAS_RUIZ, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(convs.items.len(), 3);
    for c in &convs.items {
        assert_eq!(c.state, ConversationState::Closed, "{c:?}");
        assert!(c.anonymized_at.is_some());
        assert_eq!(c.browser_info, None);
    }
    let found = dixa
        .end_users(
            &EndUserFilter::Email("tomas.ruiz@example.com".into()),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(found.items.is_empty());
    // Asking again answers the same request; editing is refused.
    let again = dixa
        .anonymize_end_user(seed::TOMAS_RUIZ, false)
        .await
        .unwrap();
    assert_eq!(again.id, request.id);
    let e = dixa
        .patch_end_user(
            seed::TOMAS_RUIZ,
            &EndUserPatch {
                email: Some(Some("back@example.com".into())),
                ..EndUserPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(invalid(&e).contains("EndUserAnonymized"));
    // The email is free for someone new.
    dixa.create_end_user(&new_user("New Tomás", Some("tomas.ruiz@example.com"), None))
        .await
        .unwrap();
}

#[tokio::test]
async fn test_anonymize_without_open_conversations_needs_no_force() {
    let sb = demo().await;
    let dixa = client(&sb);
    let request = dixa
        .anonymize_end_user(seed::INGRID_LARSEN, false)
        .await
        .unwrap();
    assert_eq!(request.target_entity_id, seed::INGRID_LARSEN);
    let ingrid = dixa.end_user(seed::INGRID_LARSEN).await.unwrap();
    assert!(ingrid.is_anonymized());
    assert!(ingrid.additional_emails.is_empty());
    assert_eq!(
        platform_code(
            &dixa
                .anonymize_end_user("6bf55369-a670-4e6b-9f70-ecdb9913549f", true)
                .await
                .unwrap_err()
        ),
        NOT_FOUND
    );
}

#[tokio::test]
async fn test_end_user_conversations_are_listed_in_pages() {
    let sb = demo().await;
    let dixa = client(&sb);
    let p1 = dixa
        .end_user_conversations(seed::TOMAS_RUIZ, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = dixa
        .end_user_conversations(
            seed::TOMAS_RUIZ,
            &PageRequest {
                key: p1.next_page_key.clone(),
                limit: Some(2),
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.next_page_key, None);
    let all: Vec<_> = p1.items.iter().chain(&p2.items).collect();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![1003, 1004, 1005]
    );
    let chat = all[1];
    assert_eq!(chat.channel, Channel::WidgetChat);
    assert_eq!(chat.kind.as_deref(), Some("ChatConversation"));
    assert_eq!(chat.state, ConversationState::Open);
    assert_eq!(chat.requester_id.as_deref(), Some(seed::TOMAS_RUIZ));
    assert!(chat.assignment.is_some());
    assert!(chat.queue.is_some());
    assert!(chat.browser_info.as_ref().unwrap().ip_address.is_some());
    assert_eq!(chat.language.as_deref(), Some("en"));
    assert!(is_iso_second(chat.created_at.as_deref().unwrap()));
    let side = all[2];
    assert_eq!(side.link.as_ref().map(|l| l.parent_id), Some(1004));
    assert_eq!(side.kind.as_deref(), Some("EmailConversation"));

    let none = dixa
        .end_user_conversations(seed::OLUWASEUN_ADEYEMI, &PageRequest::default())
        .await
        .unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn test_requests_without_or_with_a_wrong_token_are_unauthorized() {
    let sb = demo_unlimited().await;
    let path = format!("/v1/endusers/{}", seed::INGRID_LARSEN);
    let (status, _, answer) = raw(&sb, reqwest::Method::GET, &path, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(message(&answer), "Missing Authorization header");
    for auth in ["wrong-token", "Bearer wrong-token", "Bearer"] {
        let (status, _, answer) = raw(&sb, reqwest::Method::GET, &path, Some(auth), None).await;
        assert_eq!(status, 401, "{auth}");
        assert_eq!(message(&answer), "Invalid API token");
    }
    // The raw token and `Bearer <token>` both work.
    for auth in [
        sb.dixa_token().to_owned(),
        format!("Bearer {}", sb.dixa_token()),
    ] {
        let (status, _, _) = raw(&sb, reqwest::Method::GET, &path, Some(&auth), None).await;
        assert_eq!(status, 200);
    }

    let wrong = DixaClient::new(sb.http_url(), Secret::new("wrong-token")).unwrap();
    let e = wrong.end_user(seed::INGRID_LARSEN).await.unwrap_err();
    assert_eq!(e, ClientError::Unauthorized("Invalid API token".into()));
    // `Bearer` first, then the bare token once; no more.
    assert_eq!(wrong.stats().requests, 2);
    assert!(matches!(
        DixaClient::new(sb.http_url(), Secret::new("")),
        Err(ClientError::Invalid(_))
    ));
}

#[tokio::test]
async fn test_rate_limit_answers_429_with_retry_after_per_token() {
    let sb = demo().await;
    let token = sb.issue_dixa_token().await.unwrap();
    let path = format!("/v1/endusers/{}", seed::MEI_CHEN);
    // Unknown tokens are refused before the limit and cost nothing.
    for _ in 0..6 {
        let (status, _, _) = raw(&sb, reqwest::Method::GET, &path, Some("nope"), None).await;
        assert_eq!(status, 401);
    }
    let calls = (0..10).map(|_| raw(&sb, reqwest::Method::GET, &path, Some(&token), None));
    let answers = futures::future::join_all(calls).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _, _)| *s).collect();
    // The burst of 4 passes, then the bucket refills at 10/s only.
    assert!(
        statuses.iter().filter(|s| **s == 200).count() >= 4,
        "{statuses:?}"
    );
    let (_, retry, answer) = answers
        .iter()
        .find(|(s, _, _)| *s == 429)
        .unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(answer, &json!({"message": "Too Many Requests"}));
    // Another token has a bucket of its own.
    let (status, _, _) = raw(
        &sb,
        reqwest::Method::GET,
        &path,
        Some(sb.dixa_token()),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn test_burst_over_the_rate_limit_completes_by_honouring_retry_after() {
    let sb = demo().await;
    // No pacing: the client meets the limit and has to back off.
    let dixa = client(&sb).with_pacing(None);
    let started = Instant::now();
    let calls = (0..12).map(|_| dixa.end_user(seed::AMELIE_DUBOIS));
    let results = futures::future::join_all(calls).await;
    let elapsed = started.elapsed();
    for r in &results {
        assert_eq!(r.as_ref().unwrap().id, seed::AMELIE_DUBOIS);
    }
    let stats = dixa.stats();
    assert!(stats.rate_limited > 0, "{stats:?}");
    assert_eq!(stats.requests, 12 + stats.rate_limited);
    // 4 pass at once; the others waited at least one Retry-After (1 s).
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    // Bounded: one wait per round of at least 4 requests, never a storm of retries.
    assert!(stats.rate_limited <= 8 + 4 + 4, "{stats:?}");
}

#[tokio::test]
async fn test_paced_client_stays_under_the_rate_limit() {
    let sb = demo().await;
    let dixa = client(&sb);
    let started = Instant::now();
    let calls = (0..12).map(|_| dixa.end_user(seed::AMELIE_DUBOIS));
    let results = futures::future::join_all(calls).await;
    let elapsed = started.elapsed();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(dixa.stats().rate_limited, 0, "{:?}", dixa.stats());
    assert_eq!(dixa.stats().requests, 12);
    // 3 at once, then 9 per second.
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
}

#[tokio::test]
async fn test_rate_limit_gives_up_after_bounded_attempts() {
    let sb = demo().await;
    let dixa = client(&sb)
        .with_pacing(None)
        .with_retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        });
    let calls = (0..8).map(|_| dixa.end_user(seed::AMELIE_DUBOIS));
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let limited: Vec<&ClientError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(ok >= 4, "{results:?}");
    assert!(!limited.is_empty());
    for e in &limited {
        assert!(
            matches!(e, ClientError::Http { status: 429, .. }) && e.is_transient(),
            "{e:?}"
        );
    }
    // One request per call: nothing was retried.
    assert_eq!(dixa.stats().requests, 8);

    // A Retry-After longer than the client accepts fails at once too.
    let impatient = client(&sb)
        .with_pacing(None)
        .with_retry_policy(RetryPolicy {
            max_wait: Duration::from_millis(200),
            ..RetryPolicy::default()
        });
    let calls = (0..8).map(|_| impatient.end_user(seed::AMELIE_DUBOIS));
    let results = futures::future::join_all(calls).await;
    assert!(results
        .iter()
        .any(|r| matches!(r, Err(ClientError::Http { status: 429, .. }))));
    assert_eq!(impatient.stats().requests, 8);
}

#[tokio::test]
async fn test_csv_import_creates_valid_rows_and_reports_the_rest() {
    let sb = demo().await;
    let dixa = client(&sb);
    let csv = EndUserCsv::parse(
        "name,email,phone,externalId,Customer tier,Account number,Favourite colour\n\
         Nora Berg,nora@example.no,+47 912 34 567,EXT-1,Pro,AC-1,green\n\
         Pål Dahl,pal@example.no,,EXT-2,,,\n\
         Broken,not-an-email,,,,,\n\
         Copy of Ingrid,ingrid.larsen@example.com,,,,,\n\
         Gold member,gold@example.no,,,Gold,,\n\
         ,,,,,,blue\n\
         Multi,multi@example.no,,,Free|Pro,AC-9,\n",
    )
    .unwrap();
    assert_eq!(csv.rows.len(), 5);
    assert_eq!(csv.rejected.len(), 2);
    let options = ImportOptions {
        batch_size: 2,
        attributes: BTreeMap::from([
            (
                "Customer tier".to_owned(),
                AttributeColumn {
                    id: seed::ATTR_CUSTOMER_TIER.into(),
                    select: true,
                },
            ),
            (
                "Account number".to_owned(),
                AttributeColumn {
                    id: seed::ATTR_ACCOUNT_NUMBER.into(),
                    select: false,
                },
            ),
        ]),
    };
    let report = dixa.import_csv(&csv, &options).await;
    assert_eq!(report.stopped, None);
    assert_eq!(report.unmapped_columns, vec!["Favourite colour"]);
    assert_eq!(
        report.rows.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![2, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(report.created(), 4);
    assert_eq!(report.not_created(), 3);
    let RowOutcome::Created { id: nora } = report.outcome(2).unwrap() else {
        panic!("{:?}", report.outcome(2));
    };
    assert!(matches!(
        report.outcome(3),
        Some(RowOutcome::Created { .. })
    ));
    assert!(
        matches!(report.outcome(4), Some(RowOutcome::Rejected(e)) if e[0].column.as_deref() == Some("email"))
    );
    assert!(matches!(report.outcome(5), Some(RowOutcome::Failed(m)) if m.contains("EmailExists")));
    assert!(
        matches!(report.outcome(6), Some(RowOutcome::AttributesFailed { message, .. }) if message.contains("Gold"))
    );
    assert!(matches!(report.outcome(7), Some(RowOutcome::Rejected(_))));
    let RowOutcome::Created { id: multi } = report.outcome(8).unwrap() else {
        panic!("{:?}", report.outcome(8));
    };

    let nora = dixa.end_user(nora).await.unwrap();
    assert_eq!(nora.phone_number.as_deref(), Some("+4791234567"));
    assert_eq!(nora.external_id.as_deref(), Some("EXT-1"));
    assert_eq!(
        nora.attribute("customer_tier"),
        Some(&AttributeValue::Select(vec!["Pro".into()]))
    );
    assert_eq!(
        nora.attribute("account_number"),
        Some(&AttributeValue::Text("AC-1".into()))
    );
    let multi = dixa.end_user(multi).await.unwrap();
    assert_eq!(
        multi.attribute("customer_tier"),
        Some(&AttributeValue::Select(vec!["Free".into(), "Pro".into()]))
    );
}

#[tokio::test]
async fn test_csv_import_stops_cleanly_when_the_token_is_refused() {
    let sb = demo().await;
    let wrong = DixaClient::new(sb.http_url(), Secret::new("revoked")).unwrap();
    let csv = EndUserCsv::parse("email\na@example.com\nb@example.com\nc@example.com\n").unwrap();
    let report = wrong
        .import_csv(
            &csv,
            &ImportOptions {
                batch_size: 1,
                ..ImportOptions::default()
            },
        )
        .await;
    assert!(matches!(report.stopped, Some(ClientError::Unauthorized(_))));
    assert_eq!(report.created(), 0);
    assert!(report
        .rows
        .iter()
        .all(|(_, o)| matches!(o, RowOutcome::Failed(m) if m.starts_with("not sent"))));
    // One batch tried (Bearer, then the bare token); the others were not sent.
    assert_eq!(wrong.stats().requests, 2);
}

#[tokio::test]
async fn test_dixa_routes_never_answer_5xx_to_garbage() {
    let sb = demo_unlimited().await;
    let token = sb.dixa_token();
    let user = seed::SOFIA_ROSSI;
    let routes = [
        ("POST", "/v1/endusers".to_owned()),
        ("POST", "/v1/endusers/bulk".to_owned()),
        ("GET", "/v1/endusers".to_owned()),
        ("PATCH", "/v1/endusers".to_owned()),
        ("PUT", "/v1/endusers".to_owned()),
        ("GET", format!("/v1/endusers/{user}")),
        ("PATCH", format!("/v1/endusers/{user}")),
        ("PUT", format!("/v1/endusers/{user}")),
        ("PATCH", format!("/v1/endusers/{user}/custom-attributes")),
        (
            "PATCH",
            format!("/v1/endusers/{user}/anonymize?force=maybe"),
        ),
        (
            "GET",
            format!("/v1/endusers/{user}/conversations?pageLimit=-1"),
        ),
        ("GET", "/v1/endusers/%00/conversations".to_owned()),
    ];
    let bodies = [
        "",
        "null",
        "{}",
        "[]",
        "{\"data\": null}",
        "{\"data\": [null]}",
        "{\"data\": [{\"id\": 5}]}",
        "{\"data\": [{\"id\": \"x\"}]}",
        "{\"data\": []}",
        "{\"email\": [1, 2]}",
        "{\"d1a0a77e-0000-4000-8000-000000000001\": {\"a\": 1}}",
        "\u{0}\u{1}",
    ];
    for (method, path) in &routes {
        for body in bodies {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let (status, _, answer) = raw(&sb, m, path, Some(token), Some(body)).await;
            assert!(status < 500, "{method} {path} {body:?} → {status} {answer}");
            if status >= 400 {
                assert!(answer["message"].is_string(), "{method} {path}: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn test_bulk_results_keep_the_order_of_the_rows() {
    let sb = demo().await;
    let dixa = client(&sb);
    let rows: Vec<NewEndUser> = (0..25)
        .map(|i| {
            if i % 5 == 4 {
                new_user(&format!("Bad {i}"), Some("broken"), None)
            } else {
                new_user(
                    &format!("User {i}"),
                    Some(&format!("u{i}@bulk.example")),
                    None,
                )
            }
        })
        .collect();
    let out = dixa.create_end_users(&rows).await.unwrap();
    for (i, outcome) in out.iter().enumerate() {
        match outcome {
            BulkOutcome::Success(u) => {
                assert_ne!(i % 5, 4);
                assert_eq!(
                    u.display_name.as_deref(),
                    Some(format!("User {i}").as_str())
                );
            }
            BulkOutcome::Failure(f) => {
                assert_eq!(i % 5, 4);
                assert_eq!(f.error_codes(), vec!["InvalidEmail"]);
            }
        }
    }
}

/// A one-route fake of a Dixa that accepts only the bare token (the sandbox takes both forms,
/// so the client's fallback needs this): answers each request and closes the connection.
async fn bare_token_only_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf).to_lowercase();
            let (status, body) = if head.contains("authorization: bearer ") {
                ("401 Unauthorized", json!({"message": "Invalid API token"}))
            } else if head.contains("authorization: bare-only-token") {
                (
                    "200 OK",
                    json!({"data": {"id": seed::MEI_CHEN, "createdAt": "2020-12-16T09:41:43Z",
                        "additionalEmails": [], "additionalPhoneNumbers": [], "middleNames": [],
                        "customAttributes": []}}),
                )
            } else {
                ("401 Unauthorized", json!({"message": "Invalid API token"}))
            };
            let body = body.to_string();
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn test_client_falls_back_to_the_bare_token_once_and_keeps_it() {
    let (url, seen) = bare_token_only_server().await;
    let dixa = DixaClient::new(&url, Secret::new("bare-only-token")).unwrap();
    let first = dixa.end_user(seed::MEI_CHEN).await.unwrap();
    assert_eq!(first.id, seed::MEI_CHEN);
    // `Bearer` refused, then the bare token.
    assert_eq!(dixa.stats().requests, 2);
    dixa.end_user(seed::MEI_CHEN).await.unwrap();
    // Remembered: one request only.
    assert_eq!(dixa.stats().requests, 3);
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 3);
}
