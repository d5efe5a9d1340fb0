//! `parley_core::files`: the names Parley saves received files under, and the type it reads
//! from their first bytes.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use parley_core::files::{safe_file_name, sniff_type, unique_name};

const TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "application/pdf",
    "application/zip",
    "video/mp4",
    "audio/ogg",
    "audio/mpeg",
    "text/plain",
    "application/octet-stream",
];

/// What a name Parley creates on disk must be, on every OS.
fn check_safe(input: &str, name: &str) {
    assert!(!name.is_empty(), "{input:?} → empty");
    assert!(!name.contains(['/', '\\']), "{input:?} → {name:?}");
    assert!(!name.chars().any(char::is_control), "{input:?} → {name:?}");
    assert!(!name.starts_with('.'), "{input:?} → {name:?}");
    assert!(
        !name.ends_with(['.', ' ']),
        "{input:?} → {name:?} ends with a dot or space"
    );
    assert!(
        name.chars().count() <= 120,
        "{input:?} → {} chars",
        name.chars().count()
    );
    // File systems refuse names over 255 bytes; Parley keeps to 240.
    assert!(name.len() <= 240, "{input:?} → {} bytes", name.len());
}

fuzz_target!(|data: &[u8]| {
    let t = sniff_type(data);
    assert!(TYPES.contains(&t), "{t}");

    let input = String::from_utf8_lossy(data);
    let safe = safe_file_name(&input);
    check_safe(&input, &safe);
    // Idempotent: a safe name stays as it is.
    assert_eq!(safe_file_name(&safe), safe, "{input:?}");

    // A directory already holding the name and some numbered copies: the answer is free and
    // as safe as the name it came from.
    let taken_copies = data.first().map_or(0, |b| usize::from(b % 8));
    let mut taken: HashSet<String> = HashSet::new();
    taken.insert(safe.clone());
    for _ in 0..taken_copies {
        let next = unique_name(&safe, |c| taken.contains(c));
        taken.insert(next);
    }
    let unique = unique_name(&safe, |c| taken.contains(c));
    assert!(!taken.contains(&unique), "{unique:?} is taken");
    check_safe(&input, &unique);
});
