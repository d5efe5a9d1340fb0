//! Dixa end users: the checks Parley makes on contact details before sending them to Dixa, and
//! the end-user CSV import (parse, validate each row, cut into bulk requests). Pure: the client
//! (`parley_client::api_dixa`) sends the batches.
//!
//! The CSV has a header row. Known columns (any case; spaces, `_` and `-` ignored): `name` /
//! `displayName`, `firstName`, `lastName`, `email`, `phone` / `phoneNumber`, `externalId`.
//! Every other column is a custom attribute, kept under its header. Fields may be quoted
//! (RFC 4180: `""` is a quote, quoted fields may hold the delimiter and line breaks); the
//! delimiter is `,`, or `;` / tab when the header uses those instead (spreadsheets in many
//! locales export `;`).

use std::collections::{BTreeMap, HashMap};

use crate::AppError;

/// The longest name, email or external id Dixa accepts.
pub const MAX_TEXT: usize = 255;
/// The longest custom attribute value sent from a CSV.
pub const MAX_ATTRIBUTE_TEXT: usize = 1000;
/// The most data rows in one CSV file.
pub const MAX_ROWS: usize = 50_000;
/// The most end users in one bulk request Parley sends.
pub const DEFAULT_BATCH: usize = 100;

/// `local@domain.tld`, no spaces, at most 254 characters.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// A phone number as Dixa keeps it: a leading `+` and digits (spaces, dashes, dots and
/// brackets removed).
pub fn normalise_phone(raw: &str) -> String {
    let t = raw.trim();
    let mut out = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        if (c == '+' && i == 0) || !matches!(c, ' ' | '-' | '.' | '(' | ')') {
            out.push(c);
        }
    }
    out
}

/// A normalised phone number: an optional `+` and 6 to 15 digits.
pub fn valid_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CsvColumn {
    DisplayName,
    FirstName,
    LastName,
    Email,
    Phone,
    ExternalId,
    /// A custom attribute, named by the header as written (trimmed).
    Custom(String),
}

impl CsvColumn {
    /// The column a header names.
    pub fn from_header(header: &str) -> Self {
        let key: String = header
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "name" | "displayname" | "fullname" => Self::DisplayName,
            "firstname" | "givenname" => Self::FirstName,
            "lastname" | "surname" | "familyname" => Self::LastName,
            "email" | "emailaddress" => Self::Email,
            "phone" | "phonenumber" | "telephone" => Self::Phone,
            "externalid" => Self::ExternalId,
            _ => Self::Custom(header.trim().to_owned()),
        }
    }

    fn label(&self) -> &str {
        match self {
            Self::DisplayName => "name",
            Self::FirstName => "firstName",
            Self::LastName => "lastName",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::ExternalId => "externalId",
            Self::Custom(name) => name,
        }
    }
}

/// A valid end user from the CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvEndUser {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Normalised (see [`normalise_phone`]).
    pub phone_number: Option<String>,
    pub external_id: Option<String>,
    /// Custom attribute column → value (empty cells left out).
    pub custom: BTreeMap<String, String>,
}

/// Why one cell (or the whole row, `column: None`) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFieldError {
    pub column: Option<String>,
    pub message: String,
}

/// A row that will not be sent, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRejectedRow {
    pub row: usize,
    pub errors: Vec<CsvFieldError>,
}

/// A parsed end-user CSV: valid rows to send, and rejected rows with their errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndUserCsv {
    pub columns: Vec<CsvColumn>,
    pub rows: Vec<CsvEndUser>,
    pub rejected: Vec<CsvRejectedRow>,
}

fn file_error(message: impl Into<String>) -> AppError {
    AppError::invalid_field("file", message)
}

/// The delimiter the header line uses most: `,` (the default), `;` or tab.
fn detect_delimiter(text: &str) -> char {
    let mut counts = [(',', 0usize), (';', 0), ('\t', 0)];
    let mut in_quotes = false;
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == c) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(',', |(d, _)| *d)
}

/// RFC 4180 records. Lenient where spreadsheets are sloppy (text after a closing quote is
/// kept, a lone `\r` ends a record); an unclosed quote is an error.
fn records(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, AppError> {
    let mut out = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut field_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                in_quotes = true;
                field_started = true;
            }
            c if c == delimiter => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut record));
                field_started = false;
            }
            c => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(file_error(
            "The file ends inside a quoted field: a closing quote (\") is missing.",
        ));
    }
    if field_started || !record.is_empty() {
        record.push(field);
        out.push(record);
    }
    Ok(out)
}

fn is_blank(record: &[String]) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

fn check_text(
    errors: &mut Vec<CsvFieldError>,
    column: &CsvColumn,
    value: &str,
    max: usize,
) -> bool {
    if value.chars().count() > max {
        errors.push(CsvFieldError {
            column: Some(column.label().to_owned()),
            message: format!("is longer than {max} characters"),
        });
        return false;
    }
    if value.chars().any(char::is_control) {
        errors.push(CsvFieldError {
            column: Some(column.label().to_owned()),
            message: "contains a line break or control character".to_owned(),
        });
        return false;
    }
    true
}

impl EndUserCsv {
    /// Parses and validates a CSV file. File-level problems (no header, no column to identify
    /// an end user by, duplicate or unnamed columns, an unclosed quote, too many rows) are an
    /// error; row-level problems reject that row only.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let delimiter = detect_delimiter(text);
        let mut records = records(text, delimiter)?
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(_, r)| !is_blank(r));
        let Some((_, header)) = records.next() else {
            return Err(file_error("The file is empty: it needs a header row."));
        };
        let mut columns = Vec::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            if h.trim().is_empty() {
                return Err(file_error(format!("Column {} has no name.", i + 1)));
            }
            let col = CsvColumn::from_header(h);
            let clash = columns.iter().any(|c: &CsvColumn| match (c, &col) {
                (CsvColumn::Custom(a), CsvColumn::Custom(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            });
            if clash {
                return Err(file_error(format!(
                    "The column \"{}\" appears twice.",
                    h.trim()
                )));
            }
            columns.push(col);
        }
        if !columns.iter().any(|c| {
            matches!(
                c,
                CsvColumn::Email | CsvColumn::Phone | CsvColumn::ExternalId
            )
        }) {
            return Err(file_error(
                "The file needs an email, phone or externalId column to identify end users.",
            ));
        }
        let mut csv = Self {
            columns,
            ..Self::default()
        };
        let mut seen_emails: HashMap<String, usize> = HashMap::new();
        let mut seen_phones: HashMap<String, usize> = HashMap::new();
        for (row, record) in records {
            if csv.rows.len() + csv.rejected.len() >= MAX_ROWS {
                return Err(file_error(format!(
                    "The file has more than {MAX_ROWS} rows: split it."
                )));
            }
            match csv.check_row(row, &record, &seen_emails, &seen_phones) {
                Ok(user) => {
                    if let Some(e) = &user.email {
                        seen_emails.insert(e.to_lowercase(), row);
                    }
                    if let Some(p) = &user.phone_number {
                        seen_phones.insert(p.clone(), row);
                    }
                    csv.rows.push(user);
                }
                Err(errors) => csv.rejected.push(CsvRejectedRow { row, errors }),
            }
        }
        Ok(csv)
    }

    fn check_row(
        &self,
        row: usize,
        record: &[String],
        seen_emails: &HashMap<String, usize>,
        seen_phones: &HashMap<String, usize>,
    ) -> Result<CsvEndUser, Vec<CsvFieldError>> {
        let mut errors = Vec::new();
        if record.len() > self.columns.len() {
            errors.push(CsvFieldError {
                column: None,
                message: format!(
                    "has {} cells but the header has {} columns",
                    record.len(),
                    self.columns.len()
                ),
            });
            return Err(errors);
        }
        let mut user = CsvEndUser {
            row,
            ..CsvEndUser::default()
        };
        for (col, raw) in self.columns.iter().zip(record) {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            let max = if matches!(col, CsvColumn::Custom(_)) {
                MAX_ATTRIBUTE_TEXT
            } else {
                MAX_TEXT
            };
            if !check_text(&mut errors, col, value, max) {
                continue;
            }
            let value = value.to_owned();
            match col {
                CsvColumn::DisplayName => user.display_name = Some(value),
                CsvColumn::FirstName => user.first_name = Some(value),
                CsvColumn::LastName => user.last_name = Some(value),
                CsvColumn::ExternalId => user.external_id = Some(value),
                CsvColumn::Email => {
                    if !valid_email(&value) {
                        errors.push(CsvFieldError {
                            column: Some("email".into()),
                            message: format!("\"{value}\" is not an email address"),
                        });
                    } else if let Some(first) = seen_emails.get(&value.to_lowercase()) {
                        errors.push(CsvFieldError {
                            column: Some("email".into()),
                            message: format!("the same email is on row {first}"),
                        });
                    } else {
                        user.email = Some(value);
                    }
                }
                CsvColumn::Phone => {
                    let phone = normalise_phone(&value);
                    if !valid_phone(&phone) {
                        errors.push(CsvFieldError {
                            column: Some("phone".into()),
                            message: format!("\"{value}\" is not a phone number"),
                        });
                    } else if let Some(first) = seen_phones.get(&phone) {
                        errors.push(CsvFieldError {
                            column: Some("phone".into()),
                            message: format!("the same phone number is on row {first}"),
                        });
                    } else {
                        user.phone_number = Some(phone);
                    }
                }
                CsvColumn::Custom(name) => {
                    user.custom.insert(name.clone(), value);
                }
            }
        }
        let has_identity =
            user.email.is_some() || user.phone_number.is_some() || user.external_id.is_some();
        if !has_identity && errors.is_empty() {
            errors.push(CsvFieldError {
                column: None,
                message: "needs an email, a phone number or an external id".into(),
            });
        }
        if errors.is_empty() {
            Ok(user)
        } else {
            Err(errors)
        }
    }

    /// The custom attribute columns, in file order.
    pub fn custom_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter_map(|c| match c {
                CsvColumn::Custom(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The valid rows cut into bulk requests of at most `size` (at least 1) rows.
    pub fn batches(&self, size: usize) -> std::slice::Chunks<'_, CsvEndUser> {
        self.rows.chunks(size.max(1))
    }
}

/// The end-user form of the contact panel (create, or edit a profile). Blank fields are
/// `None` after [`EndUserForm::checked`].
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase", default)]
pub struct EndUserForm {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub external_id: Option<String>,
}

/// A custom attribute value from the edit form: `values` empty clears it; a Text attribute
/// takes the first value, a Select attribute all of them.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase", default)]
pub struct AttributeEdit {
    pub id: String,
    pub select: bool,
    pub values: Vec<String>,
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn check_form_text(field: &str, label: &str, v: &Option<String>) -> Result<(), AppError> {
    if let Some(s) = v {
        if s.chars().count() > MAX_TEXT {
            return Err(AppError::invalid_field(
                field,
                format!("{label} is at most {MAX_TEXT} characters."),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(AppError::invalid_field(
                field,
                format!("{label} cannot hold line breaks or control characters."),
            ));
        }
    }
    Ok(())
}

impl EndUserForm {
    /// Trimmed, blanks removed, the phone number normalised, every field checked; the first
    /// problem is an `invalid_input` error naming its field (`email`, `phoneNumber`, …). Dixa
    /// needs an email, a phone number or an external id (`contact` when all are missing).
    pub fn checked(self) -> Result<Self, AppError> {
        let form = Self {
            display_name: blank_to_none(self.display_name),
            first_name: blank_to_none(self.first_name),
            last_name: blank_to_none(self.last_name),
            email: blank_to_none(self.email),
            phone_number: blank_to_none(self.phone_number).map(|p| normalise_phone(&p)),
            external_id: blank_to_none(self.external_id),
        };
        check_form_text("displayName", "The name", &form.display_name)?;
        check_form_text("firstName", "The first name", &form.first_name)?;
        check_form_text("lastName", "The last name", &form.last_name)?;
        check_form_text("externalId", "The external id", &form.external_id)?;
        if let Some(e) = &form.email {
            if !valid_email(e) {
                return Err(AppError::invalid_field(
                    "email",
                    format!("\"{e}\" is not an email address."),
                ));
            }
        }
        if let Some(p) = &form.phone_number {
            if !valid_phone(p) {
                return Err(AppError::invalid_field(
                    "phoneNumber",
                    "A phone number is an optional + and 6 to 15 digits.",
                ));
            }
        }
        if form.email.is_none() && form.phone_number.is_none() && form.external_id.is_none() {
            return Err(AppError::invalid_field(
                "contact",
                "Dixa needs an email, a phone number or an external id.",
            ));
        }
        Ok(form)
    }
}

impl AttributeEdit {
    /// Trimmed values, blanks removed; each at most [`MAX_ATTRIBUTE_TEXT`] characters.
    pub fn checked(self) -> Result<Self, AppError> {
        let field = format!("attr:{}", self.id);
        if self.id.trim().is_empty() || self.id.len() > 64 {
            return Err(AppError::invalid_field(&field, "Unknown custom attribute."));
        }
        let values: Vec<String> = self
            .values
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() > 100 {
            return Err(AppError::invalid_field(&field, "Too many values."));
        }
        if values
            .iter()
            .any(|v| v.chars().count() > MAX_ATTRIBUTE_TEXT || v.chars().any(char::is_control))
        {
            return Err(AppError::invalid_field(
                &field,
                format!("A value is one line of at most {MAX_ATTRIBUTE_TEXT} characters."),
            ));
        }
        Ok(Self { values, ..self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn test_csv_rows_are_parsed_with_quotes_and_custom_columns() {
        let csv = EndUserCsv::parse(
            "\u{feff}Name,Email,Phone,External ID,Customer tier\r\n\
             \"Brown, Alice\",alice@brown.com,+45 20 12 34 56,#1,Pro\r\n\
             \"Bob \"\"The Builder\"\"\",,,#2,\r\n",
        )
        .unwrap();
        assert_eq!(
            csv.columns,
            vec![
                CsvColumn::DisplayName,
                CsvColumn::Email,
                CsvColumn::Phone,
                CsvColumn::ExternalId,
                CsvColumn::Custom("Customer tier".into()),
            ]
        );
        assert_eq!(csv.custom_columns(), vec!["Customer tier"]);
        assert!(csv.rejected.is_empty(), "{:?}", csv.rejected);
        assert_eq!(
            csv.rows[0],
            CsvEndUser {
                row: 2,
                display_name: Some("Brown, Alice".into()),
                email: Some("alice@brown.com".into()),
                phone_number: Some("+4520123456".into()),
                external_id: Some("#1".into()),
                custom: BTreeMap::from([("Customer tier".into(), "Pro".into())]),
                ..CsvEndUser::default()
            }
        );
        assert_eq!(
            csv.rows[1].display_name.as_deref(),
            Some("Bob \"The Builder\"")
        );
        assert!(csv.rows[1].custom.is_empty());
    }

    #[test]
    fn test_invalid_rows_are_rejected_one_by_one_with_reasons() {
        let csv = EndUserCsv::parse(
            "name;email;phone\n\
             Ok;ok@example.com;\n\
             Bad email;not-an-email;\n\
             Bad phone;;12ab\n\
             Nobody;;\n\
             \n\
             Twice;OK@example.com;\n\
             Too many;a@b.co;123456;extra\n\
             Last;last@example.com;+1 (555) 010-9999\n",
        )
        .unwrap();
        let ok: Vec<usize> = csv.rows.iter().map(|r| r.row).collect();
        assert_eq!(ok, vec![2, 9]);
        let rejected: Vec<(usize, Option<String>)> = csv
            .rejected
            .iter()
            .map(|r| (r.row, r.errors[0].column.clone()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (3, Some("email".into())),
                (4, Some("phone".into())),
                (5, None),
                (7, Some("email".into())),
                (8, None),
            ]
        );
        assert!(csv.rejected[3].errors[0].message.contains("row 2"));
        assert_eq!(csv.rows[1].phone_number.as_deref(), Some("+15550109999"));
    }

    #[test]
    fn test_file_level_problems_are_errors() {
        for (text, needle) in [
            ("", "empty"),
            ("name,company\nA,B\n", "email, phone or externalId"),
            ("email,,phone\n", "Column 2"),
            ("email,E-mail\n", "twice"),
            ("email\n\"open@x.co\n", "quote"),
        ] {
            let err = EndUserCsv::parse(text).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("file"));
            assert!(err.message.contains(needle), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn test_quoted_fields_keep_delimiters_and_line_breaks() {
        let recs = records("a,\"b,\nc\",d\r\ne,f", ',').unwrap();
        assert_eq!(
            recs,
            vec![
                vec!["a".to_owned(), "b,\nc".to_owned(), "d".to_owned()],
                vec!["e".to_owned(), "f".to_owned()],
            ]
        );
        // A line break inside a quoted name is refused for that row only.
        let csv = EndUserCsv::parse("name,email\n\"two\nlines\",a@b.co\nfine,c@d.co\n").unwrap();
        assert_eq!(csv.rows.len(), 1);
        assert_eq!(csv.rows[0].row, 3);
        assert_eq!(csv.rejected[0].row, 2);
    }

    #[test]
    fn test_batches_cut_the_valid_rows() {
        let mut text = String::from("email\n");
        for i in 0..250 {
            text.push_str(&format!("user{i}@example.com\n"));
        }
        let csv = EndUserCsv::parse(&text).unwrap();
        let sizes: Vec<usize> = csv.batches(100).map(<[CsvEndUser]>::len).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        assert_eq!(csv.batches(0).count(), 250);
    }

    #[test]
    fn test_contact_details_checks() {
        assert!(valid_email("alice@brown.com"));
        assert!(!valid_email("alice@brown"));
        assert!(!valid_email("a b@c.de"));
        assert_eq!(normalise_phone(" +55 (11) 5525-6325 "), "+551155256325");
        assert!(valid_phone("+551155256325"));
        assert!(!valid_phone("+12"));
    }

    #[test]
    fn test_end_user_form_names_the_field_at_fault() {
        let form = |email: &str, phone: &str, ext: &str| EndUserForm {
            display_name: Some("  Ann  ".into()),
            email: Some(email.into()),
            phone_number: Some(phone.into()),
            external_id: Some(ext.into()),
            ..EndUserForm::default()
        };
        let ok = form(" ann@x.io ", "+45 20 12-34 56", "").checked().unwrap();
        assert_eq!(ok.display_name.as_deref(), Some("Ann"));
        assert_eq!(ok.email.as_deref(), Some("ann@x.io"));
        assert_eq!(ok.phone_number.as_deref(), Some("+4520123456"));
        assert_eq!(ok.external_id, None);
        let field = |f: EndUserForm| f.checked().unwrap_err().field.unwrap();
        assert_eq!(field(form("ann@", "", "")), "email");
        assert_eq!(field(form("", "12ab", "")), "phoneNumber");
        assert_eq!(field(form(" ", " ", " ")), "contact");
        assert_eq!(field(form("", "", &"x".repeat(MAX_TEXT + 1))), "externalId");
        let mut f = form("a@b.co", "", "");
        f.display_name = Some("a\nb".into());
        assert_eq!(field(f), "displayName");
    }

    #[test]
    fn test_attribute_edit_drops_blank_values_and_bounds_length() {
        let e = AttributeEdit {
            id: "a1".into(),
            select: true,
            values: vec![" Gold ".into(), "".into()],
        };
        assert_eq!(e.checked().unwrap().values, vec!["Gold"]);
        let long = AttributeEdit {
            id: "a1".into(),
            select: false,
            values: vec!["x".repeat(MAX_ATTRIBUTE_TEXT + 1)],
        };
        assert_eq!(
            long.checked().unwrap_err().field.as_deref(),
            Some("attr:a1")
        );
    }
}
