//! Dixa's two time formats: ISO 8601 UTC to the second (`2020-12-16T09:41:43Z`, end users and
//! conversations) and Java's zoned form with milliseconds (`2021-12-01T12:46:36.581Z[GMT]`,
//! anonymization requests).

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn parts(ms: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    (y, mo, d, rem / 3600, rem % 3600 / 60, rem % 60, millis)
}

/// `2020-12-16T09:41:43Z`
pub fn iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2021-12-01T12:46:36.581Z[GMT]`
pub fn zoned(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z[GMT]")
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
    }
}
