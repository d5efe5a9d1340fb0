//! Dixa's two time formats: ISO 8601 UTC to the second (`2020-12-16T09:41:43Z`, end users and
//! conversations) and Java's zoned form with milliseconds (`2021-12-01T12:46:36.581Z[GMT]`,
//! anonymization requests).

fn utc(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `2020-12-16T09:41:43Z`
pub fn iso(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2021-12-01T12:46:36.581Z[GMT]`
pub fn zoned(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ[GMT]").to_string()
}

/// `2021-12-01T12:46:36.581Z` (WapiKit's times: always milliseconds).
pub fn iso_ms(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_times_format_like_dixa() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        // 2020-12-16T09:41:43Z
        assert_eq!(iso(1_608_111_703_000), "2020-12-16T09:41:43Z");
        assert_eq!(zoned(1_638_362_796_581), "2021-12-01T12:46:36.581Z[GMT]");
        // A leap day.
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_ms(1_638_362_796_581), "2021-12-01T12:46:36.581Z");
        assert_eq!(iso_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
