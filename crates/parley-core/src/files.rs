//! Files an agent sends or saves: names made safe, types read from content (never from the
//! name a sender chose), and size limits. Pure.

use crate::error::AppError;

/// Largest file Parley uploads (the platform's own limit is higher; agents rarely need more).
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// Longest file name kept, in characters, extension and any ` (n)` copy number included.
const MAX_NAME: usize = 120;

/// Longest file name kept, in UTF-8 bytes: file systems refuse names over 255 bytes, and 120
/// characters of CJK text or emoji are more than that.
const MAX_NAME_BYTES: usize = 240;

/// Longest extension kept when a name is shortened.
const MAX_EXT: usize = 16;

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A file name safe on every OS: the last path component only, no control or separator
/// characters, no leading dots, no trailing dots or spaces, no reserved device names, at most
/// [`MAX_NAME`] characters and [`MAX_NAME_BYTES`] bytes; `"file"` when nothing is left.
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
    cleaned = shorten(cleaned);
    let (stem, _) = split_ext(&cleaned);
    if cleaned.is_empty() || RESERVED.contains(&stem.to_ascii_lowercase().as_str()) {
        // After shortening: shortening can expose a reserved stem ("CON.<long tail>").
        cleaned = shorten(format!(
            "file{}{}",
            if cleaned.is_empty() { "" } else { "-" },
            cleaned
        ));
    }
    cleaned
}

/// `name` within [`MAX_NAME`] characters and [`MAX_NAME_BYTES`] bytes, keeping up to
/// [`MAX_EXT`] characters of its extension. `name` neither starts nor ends with a dot or a
/// space, and neither does the result.
fn shorten(name: String) -> String {
    if name.chars().count() <= MAX_NAME && name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let (stem, ext) = split_ext(&name);
    // Shortening may leave a space at the end of either part: trimmed again, so the name
    // still never ends with a dot or a space.
    let ext = take_within(ext, MAX_EXT, usize::MAX).trim_end_matches(['.', ' ']);
    let (room_chars, room_bytes) = if ext.is_empty() {
        (MAX_NAME, MAX_NAME_BYTES)
    } else {
        (
            MAX_NAME - ext.chars().count() - 1,
            MAX_NAME_BYTES - ext.len() - 1,
        )
    };
    let stem = take_within(stem, room_chars, room_bytes).trim_end_matches(['.', ' ']);
    if ext.is_empty() {
        stem.to_owned()
    } else {
        format!("{stem}.{ext}")
    }
}

/// The longest prefix of `s` with at most `max_chars` characters and `max_bytes` bytes.
fn take_within(s: &str, max_chars: usize, max_bytes: usize) -> &str {
    let mut end = 0;
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n == max_chars || i + c.len_utf8() > max_bytes {
            break;
        }
        end = i + c.len_utf8();
    }
    &s[..end]
}

fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    }
}

/// `name`, or `name (2)`, `name (3)`… : the first for which `exists` is false. Saving never
/// overwrites a file. The stem is shortened when the copy number would make the name longer
/// than [`MAX_NAME`] characters or [`MAX_NAME_BYTES`] bytes.
pub fn unique_name(name: &str, exists: impl Fn(&str) -> bool) -> String {
    if !exists(name) {
        return name.to_owned();
    }
    let (stem, ext) = match split_ext(name) {
        (stem, ext) if !ext.is_empty() && ext.chars().count() <= MAX_EXT => (stem, ext),
        // No extension, or a "name.<long text>" that is one really.
        _ => (name, ""),
    };
    let with_suffix = |suffix: &str| {
        let dot_ext = if ext.is_empty() {
            String::new()
        } else {
            format!(".{ext}")
        };
        let tail_chars = suffix.chars().count() + dot_ext.chars().count();
        let stem = take_within(
            stem,
            MAX_NAME.saturating_sub(tail_chars),
            MAX_NAME_BYTES.saturating_sub(suffix.len() + dot_ext.len()),
        );
        format!("{stem}{suffix}{dot_ext}")
    };
    for n in 2..10_000 {
        let candidate = with_suffix(&format!(" ({n})"));
        if !exists(&candidate) {
            return candidate;
        }
    }
    with_suffix(&format!("-{}", fnv1a_hex(name)))
}

/// FNV-1a 64 of `seed`, as 16 hex digits: a short stable name for anything.
pub fn fnv1a_hex(seed: &str) -> String {
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
    fn test_shortened_names_never_end_with_a_space_or_dot() {
        // Found by the `file_names` fuzz target: shortening cut the name after a space.
        let long = format!("a{}b", " ".repeat(200));
        let safe = safe_file_name(&long);
        assert_eq!(safe, "a");
        let ext_cut = format!("{}.{} tail", "x".repeat(200), "y".repeat(15));
        let safe = safe_file_name(&ext_cut);
        assert!(safe.ends_with(&format!(".{}", "y".repeat(15))), "{safe}");
    }

    #[test]
    fn test_reserved_names_with_long_extensions_stay_within_the_limit() {
        let safe = safe_file_name(&format!("con.{}", "x".repeat(116)));
        assert!(safe.starts_with("file-con."), "{safe}");
        assert!(safe.chars().count() <= 120, "{}", safe.chars().count());
    }

    #[test]
    fn test_shortening_never_exposes_a_reserved_name() {
        // Found by the `file_names` fuzz target: the extension was all spaces, so shortening
        // kept "CON.t…" whole, whose stem is reserved; the answer was not safe_file_name-stable.
        let name = format!("CON.t{}.{}x", "y".repeat(130), " ".repeat(20));
        let safe = safe_file_name(&name);
        assert!(safe.starts_with("file-CON.t"), "{safe}");
        assert!(safe.chars().count() <= 120);
        assert_eq!(safe_file_name(&safe), safe);
    }

    #[test]
    fn test_names_stay_within_the_file_system_byte_limit() {
        let safe = safe_file_name(&format!("{}.jpg", "é".repeat(130)));
        assert!(
            safe.len() <= 240 && safe.ends_with(".jpg"),
            "{} bytes",
            safe.len()
        );
        let emoji = safe_file_name(&"😀".repeat(100));
        assert!(emoji.len() <= 240, "{} bytes", emoji.len());
        assert_eq!(safe_file_name(&safe), safe);
    }

    #[test]
    fn test_copies_of_long_names_stay_within_the_limit() {
        // Found by the `file_names` fuzz target: "<120 chars> (2)" was 124 characters.
        let safe = safe_file_name(&format!("{}.png", "x".repeat(130)));
        let copy = unique_name(&safe, |n| n == safe);
        assert!(copy.chars().count() <= 120, "{}", copy.chars().count());
        assert!(copy.ends_with(" (2).png"), "{copy}");
        let long_ext = safe_file_name(&format!("a.{}", "z".repeat(118)));
        let copy = unique_name(&long_ext, |n| n == long_ext);
        assert!(
            copy.chars().count() <= 120 && copy.ends_with(" (2)"),
            "{copy}"
        );
        let wide = safe_file_name(&"é".repeat(200));
        let copy = unique_name(&wide, |n| n == wide);
        assert!(copy.len() <= 255, "{} bytes", copy.len());
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
