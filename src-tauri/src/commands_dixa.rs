//! IPC for Dixa end users: the token (Settings › Dixa), the contact panel's Dixa section and
//! the CSV import. Same rule as `commands.rs`: parse, one core call, typed error. The token
//! goes into the keyring and never comes back to the UI.

use std::collections::BTreeMap;

use parley_client::api_dixa::{
    dixa_app_error, AttributeValue, Conversation as DixaConversation, CustomAttribute, EndUser,
    EndUserFilter, EndUserPatch, ImportOptions, NewEndUser, PageRequest, RowOutcome,
};
use parley_core::dixa::{AttributeEdit, EndUserCsv, EndUserForm};
use parley_core::{AppError, Secret};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::shell::Shell;

/// The Dixa commands (registered in `build.rs`, the capability and `specta_builder`).
pub const COMMANDS: &[&str] = &[
    "dixa_status",
    "dixa_connect",
    "dixa_disconnect",
    "dixa_lookup",
    "dixa_end_user",
    "dixa_create_end_user",
    "dixa_update_end_user",
    "dixa_conversations",
    "dixa_anonymize",
    "dixa_import_pick",
    "dixa_import_csv",
];

/// The largest CSV file imported at once.
pub const MAX_CSV_BYTES: usize = 5 * 1024 * 1024;
/// Conversations listed in the contact panel (the newest of the first page).
const CONVERSATIONS_SHOWN: u32 = 50;

/// What Settings › Dixa shows. Never the token itself.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaStatus {
    pub has_token: bool,
    /// The address in use.
    pub url: String,
    /// The address used when none is saved (the sandbox's for a local account).
    pub default_url: String,
}

/// Settings › Dixa's form: the address and a pasted token (received, never sent back;
/// `None` keeps the saved token).
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaConnectForm {
    pub url: String,
    #[specta(type = Option<String>)]
    pub token: Option<Secret>,
}

/// A custom attribute of an end user: Select attributes hold options, Text ones one value.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaAttribute {
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub select: bool,
    pub values: Vec<String>,
}

/// A Dixa end user as the contact panel shows it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaEndUser {
    pub id: String,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub external_id: Option<String>,
    pub additional_emails: Vec<String>,
    pub additional_phone_numbers: Vec<String>,
    pub created_at: Option<String>,
    /// Set once anonymized.
    pub anonymized_at: Option<String>,
    pub attributes: Vec<DixaAttribute>,
}

/// The result of a lookup: the end user and which detail matched, or nothing.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaLookup {
    /// `email`, `phone` or `externalId`.
    pub matched_by: Option<String>,
    pub user: Option<DixaEndUser>,
}

/// One of the end user's Dixa conversations.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaConversationRow {
    pub id: i64,
    /// Dixa's channel name (`WidgetChat`, `Email`, …; `Other` when unknown).
    pub channel: String,
    /// `Open`, `Pending`, `AwaitingPending`, `Closed` or `Other`.
    pub state: String,
    pub created_at: Option<String>,
    pub state_updated_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DixaRowResult {
    Created,
    /// Not sent: the row is invalid.
    Rejected,
    /// Dixa refused it (or the import stopped before it).
    Failed,
    /// Created, but its custom attributes were refused.
    AttributesFailed,
}

/// One CSV row's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaImportRow {
    /// The spreadsheet's row number (the header is row 1).
    pub row: u32,
    pub name: Option<String>,
    pub email: Option<String>,
    pub result: DixaRowResult,
    pub id: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DixaImport {
    pub file_name: String,
    pub rows: Vec<DixaImportRow>,
    pub created: u32,
    pub not_created: u32,
    /// Custom attribute columns that were not imported.
    pub ignored_columns: Vec<String>,
    /// Why the import stopped early, if it did.
    pub stopped: Option<String>,
}

fn attribute(a: CustomAttribute) -> DixaAttribute {
    let (select, values) = match a.value {
        Some(AttributeValue::Select(v)) => (true, v),
        Some(AttributeValue::Text(t)) => (false, vec![t]),
        None => (false, Vec::new()),
    };
    DixaAttribute {
        id: a.id,
        name: a.name,
        identifier: a.identifier,
        select,
        values,
    }
}

impl From<EndUser> for DixaEndUser {
    fn from(u: EndUser) -> Self {
        Self {
            id: u.id,
            display_name: u.display_name,
            first_name: u.first_name,
            last_name: u.last_name,
            email: u.email,
            phone_number: u.phone_number,
            external_id: u.external_id,
            additional_emails: u.additional_emails,
            additional_phone_numbers: u.additional_phone_numbers,
            created_at: u.created_at,
            anonymized_at: u.anonymized_at,
            attributes: u.custom_attributes.into_iter().map(attribute).collect(),
        }
    }
}

/// A failed Dixa call as the UI shows it.
fn dx(e: parley_client::ClientError) -> AppError {
    dixa_app_error(&e)
}

/// A serde enum's wire name (`WidgetChat`…).
fn wire_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "Other".into())
}

impl From<DixaConversation> for DixaConversationRow {
    fn from(c: DixaConversation) -> Self {
        Self {
            id: c.id,
            channel: wire_name(&c.channel),
            state: wire_name(&c.state),
            created_at: c.created_at,
            state_updated_at: c.state_updated_at,
        }
    }
}

/// Dixa's validation codes in a refused creation or update → the form field at fault.
fn with_dixa_field(e: AppError) -> AppError {
    const FIELDS: &[(&str, &str, &str)] = &[
        (
            "EmailExists",
            "email",
            "Another Dixa end user has this email.",
        ),
        (
            "PhoneNumberExists",
            "phoneNumber",
            "Another Dixa end user has this phone number.",
        ),
        ("InvalidEmail", "email", "Dixa refused this email address."),
        (
            "InvalidPhoneNumber",
            "phoneNumber",
            "Dixa refused this phone number.",
        ),
        (
            "MissingContactDetails",
            "contact",
            "Dixa needs an email, a phone number or an external id.",
        ),
        (
            "EndUserAnonymized",
            "contact",
            "This end user is anonymized and cannot be changed.",
        ),
    ];
    if e.field.is_some() {
        return e;
    }
    match FIELDS.iter().find(|(code, _, _)| e.message.contains(code)) {
        Some((_, field, message)) => AppError::invalid_field(field, *message),
        None => e,
    }
}

fn new_end_user(f: EndUserForm) -> NewEndUser {
    NewEndUser {
        display_name: f.display_name,
        email: f.email,
        phone_number: f.phone_number,
        first_name: f.first_name,
        last_name: f.last_name,
        external_id: f.external_id,
        ..NewEndUser::default()
    }
}

/// Every form field is sent: a blank one clears the value in Dixa.
fn patch_of(f: EndUserForm) -> EndUserPatch {
    EndUserPatch {
        display_name: Some(f.display_name),
        email: Some(f.email),
        phone_number: Some(f.phone_number),
        first_name: Some(f.first_name),
        last_name: Some(f.last_name),
        external_id: Some(f.external_id),
        ..EndUserPatch::default()
    }
}

fn attribute_values(
    edits: Vec<AttributeEdit>,
) -> Result<BTreeMap<String, Option<AttributeValue>>, AppError> {
    let mut out = BTreeMap::new();
    for e in edits {
        let e = e.checked()?;
        let value = match (e.select, e.values.is_empty()) {
            (_, true) => None,
            (true, false) => Some(AttributeValue::Select(e.values)),
            (false, false) => Some(AttributeValue::Text(e.values.join(", "))),
        };
        out.insert(e.id, value);
    }
    Ok(out)
}

#[tauri::command]
#[specta::specta]
pub async fn dixa_status(shell: State<'_, Shell>) -> Result<DixaStatus, AppError> {
    status(&shell).await
}

async fn status(shell: &Shell) -> Result<DixaStatus, AppError> {
    Ok(DixaStatus {
        has_token: shell.dixa_has_token()?,
        url: shell.dixa_url().await,
        default_url: shell.dixa_default_url().await,
    })
}

/// Check the token (or, without one, the saved token) against `url` with one cheap call; on
/// success keep the token in the keyring and the address in the settings.
#[tauri::command]
#[specta::specta]
pub async fn dixa_connect(
    shell: State<'_, Shell>,
    form: DixaConnectForm,
) -> Result<DixaStatus, AppError> {
    shell.connect_dixa(&form.url, form.token).await?;
    status(&shell).await
}

#[tauri::command]
#[specta::specta]
pub async fn dixa_disconnect(shell: State<'_, Shell>) -> Result<DixaStatus, AppError> {
    shell.disconnect_dixa().await?;
    status(&shell).await
}

/// The end user with this email, else this phone number, else this external id.
#[tauri::command]
#[specta::specta]
pub async fn dixa_lookup(
    shell: State<'_, Shell>,
    email: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
) -> Result<DixaLookup, AppError> {
    let dixa = shell.dixa().await?;
    let filled = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let phone = filled(phone).map(|p| parley_core::dixa::normalise_phone(&p));
    let tries = [
        ("email", filled(email).map(EndUserFilter::Email)),
        (
            "phone",
            phone
                .filter(|p| parley_core::dixa::valid_phone(p))
                .map(EndUserFilter::Phone),
        ),
        (
            "externalId",
            filled(external_id).map(EndUserFilter::ExternalId),
        ),
    ];
    for (by, filter) in tries {
        let Some(filter) = filter else { continue };
        let page = dixa
            .end_users(&filter, &PageRequest::first(1))
            .await
            .map_err(dx)?;
        if let Some(user) = page.items.into_iter().next() {
            return Ok(DixaLookup {
                matched_by: Some(by.into()),
                user: Some(user.into()),
            });
        }
    }
    Ok(DixaLookup {
        matched_by: None,
        user: None,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn dixa_end_user(shell: State<'_, Shell>, id: String) -> Result<DixaEndUser, AppError> {
    let dixa = shell.dixa().await?;
    Ok(dixa.end_user(&id).await.map_err(dx)?.into())
}

#[tauri::command]
#[specta::specta]
pub async fn dixa_create_end_user(
    shell: State<'_, Shell>,
    form: EndUserForm,
) -> Result<DixaEndUser, AppError> {
    let form = form.checked()?;
    let dixa = shell.dixa().await?;
    let user = dixa
        .create_end_user(&new_end_user(form))
        .await
        .map_err(|e| with_dixa_field(dx(e)))?;
    log::info!("Dixa end user created");
    Ok(user.into())
}

/// Patch the profile (blank fields are cleared) and the custom attributes given; the end
/// user as Dixa has it afterwards.
#[tauri::command]
#[specta::specta]
pub async fn dixa_update_end_user(
    shell: State<'_, Shell>,
    id: String,
    form: EndUserForm,
    attributes: Vec<AttributeEdit>,
) -> Result<DixaEndUser, AppError> {
    let form = form.checked()?;
    let values = attribute_values(attributes)?;
    let dixa = shell.dixa().await?;
    let mut user = dixa
        .patch_end_user(&id, &patch_of(form))
        .await
        .map_err(|e| with_dixa_field(dx(e)))?;
    if !values.is_empty() {
        user.custom_attributes = dixa
            .patch_custom_attributes(&id, &values)
            .await
            .map_err(|e| {
                let e = dx(e);
                let field = values.keys().next().map(|k| format!("attr:{k}"));
                AppError { field, ..e }
            })?;
        user = dixa.end_user(&id).await.map_err(dx)?;
    }
    Ok(user.into())
}

/// The end user's conversations in Dixa, newest first.
#[tauri::command]
#[specta::specta]
pub async fn dixa_conversations(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Vec<DixaConversationRow>, AppError> {
    let dixa = shell.dixa().await?;
    let page = dixa
        .end_user_conversations(&id, &PageRequest::first(CONVERSATIONS_SHOWN))
        .await
        .map_err(dx)?;
    Ok(page.items.into_iter().rev().map(Into::into).collect())
}

/// Anonymize (irreversible). Without `force`, open conversations make it fail with
/// `forbidden`, field `force`; with it Dixa closes them first. The end user afterwards.
#[tauri::command]
#[specta::specta]
pub async fn dixa_anonymize(
    shell: State<'_, Shell>,
    id: String,
    force: bool,
) -> Result<DixaEndUser, AppError> {
    let dixa = shell.dixa().await?;
    dixa.anonymize_end_user(&id, force).await.map_err(dx)?;
    log::info!("Dixa end user anonymized (force: {force})");
    Ok(dixa.end_user(&id).await.map_err(dx)?.into())
}

/// Pick a CSV file in the system dialog and import it; `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn dixa_import_pick(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<Option<DixaImport>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    shell.dixa().await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import end users into Dixa")
        .add_filter("CSV", &["csv", "txt"])
        .pick_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(path) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path
        .into_path()
        .map_err(|e| AppError::invalid_field("file", format!("Not a local file: {e}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    check_csv_size(usize::try_from(len).unwrap_or(usize::MAX))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::invalid_field("file", format!("Could not read {name}: {e}")))?;
    import(&shell, name, &bytes).await.map(Some)
}

/// Import a dropped CSV file (its bytes, base64).
#[tauri::command]
#[specta::specta]
pub async fn dixa_import_csv(
    shell: State<'_, Shell>,
    name: String,
    data_base64: String,
) -> Result<DixaImport, AppError> {
    use base64::Engine;
    check_csv_size(data_base64.len() / 4 * 3)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| AppError::invalid_field("file", "That file could not be read."))?;
    import(&shell, name, &bytes).await
}

fn check_csv_size(len: usize) -> Result<(), AppError> {
    if len > MAX_CSV_BYTES {
        return Err(AppError::invalid_field(
            "file",
            format!(
                "A CSV file to import is at most {} MB.",
                MAX_CSV_BYTES / 1024 / 1024
            ),
        ));
    }
    Ok(())
}

async fn import(shell: &Shell, name: String, bytes: &[u8]) -> Result<DixaImport, AppError> {
    let name = parley_core::files::safe_file_name(&name);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        AppError::invalid_field(
            "file",
            "This file is not UTF-8 text: save it as \"CSV UTF-8\".",
        )
    })?;
    let csv = EndUserCsv::parse(text)?;
    let dixa = shell.dixa().await?;
    let report = dixa.import_csv(&csv, &ImportOptions::default()).await;
    log::info!(
        "Dixa CSV import: {} created, {} not",
        report.created(),
        report.not_created()
    );
    Ok(import_result(name, &csv, report))
}

fn import_result(
    file_name: String,
    csv: &EndUserCsv,
    report: parley_client::api_dixa::ImportReport,
) -> DixaImport {
    let by_row: BTreeMap<usize, &parley_core::dixa::CsvEndUser> =
        csv.rows.iter().map(|r| (r.row, r)).collect();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let rows = report
        .rows
        .iter()
        .map(|(row, outcome)| {
            let source = by_row.get(row);
            let name = source.and_then(|r| {
                r.display_name.clone().or_else(|| {
                    let full = [r.first_name.as_deref(), r.last_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    (!full.is_empty()).then_some(full)
                })
            });
            let (result, id, message) = match outcome {
                RowOutcome::Created { id } => (DixaRowResult::Created, Some(id.clone()), None),
                RowOutcome::Rejected(errors) => (
                    DixaRowResult::Rejected,
                    None,
                    Some(
                        errors
                            .iter()
                            .map(|e| match &e.column {
                                Some(c) => format!("{c}: {}", e.message),
                                None => e.message.clone(),
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ),
                RowOutcome::Failed(m) => (DixaRowResult::Failed, None, Some(m.clone())),
                RowOutcome::AttributesFailed { id, message } => (
                    DixaRowResult::AttributesFailed,
                    Some(id.clone()),
                    Some(message.clone()),
                ),
            };
            DixaImportRow {
                row: count(*row),
                name,
                email: source.and_then(|r| r.email.clone()),
                result,
                id,
                message,
            }
        })
        .collect();
    DixaImport {
        file_name,
        rows,
        created: count(report.created()),
        not_created: count(report.not_created()),
        ignored_columns: report.unmapped_columns.clone(),
        stopped: report.stopped.as_ref().map(|e| dixa_app_error(e).message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::normalise_dixa_url;

    #[test]
    fn test_dixa_address_is_normalised_and_plain_http_only_for_this_machine() {
        assert_eq!(
            normalise_dixa_url(" https://dev.dixa.io/ ").unwrap(),
            "https://dev.dixa.io/v1"
        );
        assert_eq!(
            normalise_dixa_url("http://127.0.0.1:18080/v1/").unwrap(),
            "http://127.0.0.1:18080/v1"
        );
        for bad in [
            "http://dixa.example/v1",
            "ftp://dev.dixa.io",
            "dev.dixa.io",
            "https://dev.dixa.io/v1?x=1",
        ] {
            assert_eq!(
                normalise_dixa_url(bad).unwrap_err().field.as_deref(),
                Some("url"),
                "{bad}"
            );
        }
    }

    #[test]
    fn test_dixa_validation_codes_point_at_the_form_field() {
        let e = with_dixa_field(AppError::new(
            parley_core::ErrorCode::InvalidInput,
            "Dixa: Validation failure during enduser creation: [errors=EmailExists]",
        ));
        assert_eq!(e.field.as_deref(), Some("email"));
        let e = with_dixa_field(AppError::new(parley_core::ErrorCode::BadResponse, "other"));
        assert_eq!(e.field, None);
    }

    #[test]
    fn test_attribute_edits_become_text_select_or_cleared_values() {
        let v = attribute_values(vec![
            AttributeEdit {
                id: "a".into(),
                select: true,
                values: vec!["Gold".into()],
            },
            AttributeEdit {
                id: "b".into(),
                select: false,
                values: vec!["  ".into()],
            },
            AttributeEdit {
                id: "c".into(),
                select: false,
                values: vec!["42".into()],
            },
        ])
        .unwrap();
        assert_eq!(v["a"], Some(AttributeValue::Select(vec!["Gold".into()])));
        assert_eq!(v["b"], None);
        assert_eq!(v["c"], Some(AttributeValue::Text("42".into())));
    }

    #[test]
    fn test_import_rows_carry_name_email_and_the_reason() {
        let csv = EndUserCsv::parse("name,email\nAnn,ann@x.io\nBob,not-an-email\n").unwrap();
        let report = parley_client::api_dixa::ImportReport {
            rows: vec![
                (2, RowOutcome::Created { id: "u1".into() }),
                (3, RowOutcome::Rejected(csv.rejected[0].errors.clone())),
            ],
            ..Default::default()
        };
        let r = import_result("people.csv".into(), &csv, report);
        assert_eq!(r.created, 1);
        assert_eq!(r.rows[0].name.as_deref(), Some("Ann"));
        assert_eq!(r.rows[0].email.as_deref(), Some("ann@x.io"));
        assert_eq!(r.rows[1].result, DixaRowResult::Rejected);
        assert!(r.rows[1].message.as_deref().unwrap().contains("email"));
        assert!(check_csv_size(MAX_CSV_BYTES + 1).is_err());
    }
}
