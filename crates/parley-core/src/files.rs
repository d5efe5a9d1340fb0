//! Files an agent sends or saves: names made safe, types read from content (never from the
//! name a sender chose), and size limits. Pure.

use crate::error::AppError;

/// Largest file Parley uploads (the platform's own limit is higher; agents rarely need more).
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// Longest file name kept, in characters (before the extension is re-attached).
const MAX_NAME: usize = 120;

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A file name safe on every OS: the last path component only, no control or separator
/// characters, no leading dots, no trailing dots or spaces, no reserved device names, at most
/// [`MAX_NAME`] characters; `"file"` when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .filter(|c| !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    cleaned = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    if cleaned.chars().count() > MAX_NAME {
        let (stem, ext) = split_ext(&cleaned);
        let ext: String = ext.chars().take(16).collect();
        let keep = MAX_NAME.saturating_sub(ext.chars().count() + 1);
        let stem: String = stem.chars().take(keep).collect();
        cleaned = if ext.is_empty() {
            stem
        } else {
            format!("{stem}.{ext}")
        };
    }
    let (stem, _) = split_ext(&cleaned);
    if cleaned.is_empty() || RESERVED.contains(&stem.to_ascii_lowercase().as_str()) {
        cleaned = format!(
            "file{}{}",
            if cleaned.is_empty() { "" } else { "-" },
            cleaned
        );
    }
    cleaned
}

fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    }
}

/// `name`, or `name (2)`, `name (3)`… : the first for which `exists` is false. Saving never
/// overwrites a file.
pub fn unique_name(name: &str, exists: impl Fn(&str) -> bool) -> String {
    if !exists(name) {
        return name.to_owned();
    }
    let (stem, ext) = split_ext(name);
    for n in 2..10_000 {
        let candidate = if ext.is_empty() {
            format!("{stem} ({n})")
        } else {
            format!("{stem} ({n}).{ext}")
        };
        if !exists(&candidate) {
            return candidate;
        }
    }
    format!("{stem}-{}", uuid_like(name))
}

fn uuid_like(seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The media type of a file, from its first bytes. Text that is valid UTF-8 is `text/plain`;
/// anything unrecognised is `application/octet-stream`. SVG is deliberately not recognised as
/// an image: it can carry scripts.
pub fn sniff_type(bytes: &[u8]) -> &'static str {
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if starts(b"BM") && bytes.len() > 14 {
        "image/bmp"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "video/mp4"
    } else if starts(b"OggS") {
        "audio/ogg"
    } else if starts(b"ID3") || starts(b"\xff\xfb") {
        "audio/mpeg"
    } else if !bytes.is_empty()
        && std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok_and(|s| {
            !s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        })
    {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// Images Parley shows inline (decoded by the webview from a data URL).
pub fn is_inline_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp"
    )
}

/// Check a file before it is uploaded: not empty, not over the limit.
pub fn check_upload(name: &str, len: usize) -> Result<(), AppError> {
    if len == 0 {
        return Err(AppError::invalid_field("file", format!("{name} is empty.")));
    }
    if len > MAX_UPLOAD {
        return Err(AppError::invalid_field(
            "file",
            format!(
                "{name} is {:.1} MB; Parley sends files up to {} MB.",
                len as f64 / 1_048_576.0,
                MAX_UPLOAD / 1_048_576
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_safe_file_name_drops_paths_and_hostile_characters() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(
            safe_file_name("a<b>c:d\"e|f?g*h.txt"),
            "a_b_c_d_e_f_g_h.txt"
        );
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("report.pdf. . "), "report.pdf");
        assert_eq!(safe_file_name("in\u{202e}fdp.exe"), "infdp.exe");
        assert_eq!(safe_file_name("tab\tnew\nline"), "tabnewline");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name("../"), "file");
        assert_eq!(safe_file_name("CON.txt"), "file-CON.txt");
        assert_eq!(safe_file_name("lpt1"), "file-lpt1");
    }

    #[test]
    fn test_safe_file_name_shortens_long_names_keeping_the_extension() {
        let long = format!("{}.png", "x".repeat(500));
        let safe = safe_file_name(&long);
        assert!(safe.chars().count() <= 120, "{}", safe.len());
        assert!(safe.ends_with(".png"));
    }

    #[test]
    fn test_unique_name_never_overwrites() {
        let taken = ["a.txt", "a (2).txt", "b"];
        assert_eq!(unique_name("c.txt", |n| taken.contains(&n)), "c.txt");
        assert_eq!(unique_name("a.txt", |n| taken.contains(&n)), "a (3).txt");
        assert_eq!(unique_name("b", |n| taken.contains(&n)), "b (2)");
    }

    #[test]
    fn test_type_comes_from_content_not_name() {
        assert_eq!(sniff_type(b"\x89PNG\r\n\x1a\n0000"), "image/png");
        assert_eq!(sniff_type(b"\xff\xd8\xff\xe0"), "image/jpeg");
        assert_eq!(sniff_type(b"GIF89a..."), "image/gif");
        assert_eq!(sniff_type(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff_type(b"%PDF-1.7"), "application/pdf");
        assert_eq!(sniff_type(b"hello\nworld"), "text/plain");
        assert_eq!(
            sniff_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
            "text/plain"
        );
        assert_eq!(sniff_type(b"\0\x01\x02binary"), "application/octet-stream");
        assert_eq!(sniff_type(b""), "application/octet-stream");
        assert!(!is_inline_image("image/svg+xml"));
        assert!(is_inline_image("image/png"));
    }

    #[test]
    fn test_uploads_over_the_limit_or_empty_are_refused_with_a_reason() {
        assert!(check_upload("a", 1).is_ok());
        let e = check_upload("big.zip", MAX_UPLOAD + 1).unwrap_err();
        assert!(e.message.contains("25 MB"), "{}", e.message);
        assert!(check_upload("empty.txt", 0).is_err());
    }
}
