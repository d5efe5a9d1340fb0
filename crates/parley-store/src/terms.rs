//! The vocabulary of the message search index, kept beside it so a prefix query can name its
//! words. FTS5 answers `"deliv"*` by merging the full list of every matching word's rows
//! before it can hand out the newest 50 (~30 ms at 1 M messages, whatever the LIMIT), while
//! `"delivery" OR "delivered"` walks those lists lazily from the newest row (well under 1 ms).
//!
//! The words are cut and folded here the way the index's tokenizer (`unicode61
//! remove_diacritics 2`) does, erring towards more: every variant a doubtful character could
//! give is kept (a word the index lacks only matches nothing). [`expand`]'s callers fall back
//! to FTS5's own prefix query when the vocabulary has nothing for a prefix or too much.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// A prefix naming more words than this runs FTS5's own prefix query.
pub const MAX_EXPANSION: usize = 64;

/// Adds the words of `text` (as the index folds them, with variants) to `out`.
pub fn collect(text: &str, out: &mut HashSet<String>) {
    if text.is_ascii() {
        for w in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            if !w.is_empty() {
                add_folded(w, out);
            }
        }
        return;
    }
    // Doubtful characters: marks (word characters to the tokenizer when they are diacritics,
    // separators otherwise) and symbols beyond the Basic Multilingual Plane (emoji are word
    // characters to it). Cut every way they could go.
    let is_astral_symbol = |c: char| {
        c > '\u{ffff}'
            && !matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Letter
                    | GeneralCategoryGroup::Number
                    | GeneralCategoryGroup::Mark
            )
    };
    let has_marks = text
        .chars()
        .any(|c| !c.is_ascii() && c.general_category_group() == GeneralCategoryGroup::Mark);
    let has_astral = text.chars().any(is_astral_symbol);
    for marks_in_words in [true, false] {
        for astral_in_words in [true, false] {
            if (!marks_in_words && !has_marks) || (!astral_in_words && !has_astral) {
                continue;
            }
            let is_word = |c: char| {
                if c.is_ascii() {
                    return c.is_ascii_alphanumeric();
                }
                if is_astral_symbol(c) {
                    return astral_in_words;
                }
                match c.general_category_group() {
                    GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number => true,
                    GeneralCategoryGroup::Mark => marks_in_words,
                    _ => c.general_category() == GeneralCategory::PrivateUse,
                }
            };
            let mut word = String::new();
            for c in text.chars().chain(std::iter::once(' ')) {
                if is_word(c) {
                    word.push(c);
                } else if !word.is_empty() {
                    add_folded(&word, out);
                    word.clear();
                }
            }
        }
    }
}

/// The forms a word of the index may take: lowercased, case-folded (the tokenizer folds
/// `ς` to `σ`, `µ` to `μ`…) and lowercased in the oldest scripts only, each with and without
/// diacritics.
pub fn folded(word: &str) -> Vec<String> {
    if word.is_ascii() {
        return vec![word.to_ascii_lowercase()];
    }
    // Character by character (the tokenizer has no final sigma).
    let lower: String = word.chars().flat_map(char::to_lowercase).collect();
    let fold: String = lower.chars().map(case_fold).collect();
    // Lowercased only in the Latin, Greek and Cyrillic blocks too: the tokenizer's tables
    // predate some scripts' lowercase (Cherokee, Adlam…).
    let old_scripts: String = word
        .chars()
        .flat_map(|c| {
            let lower: Vec<char> = if c < '\u{530}' {
                c.to_lowercase().map(case_fold).collect()
            } else {
                vec![c]
            };
            lower
        })
        .collect();
    let mut forms = Vec::with_capacity(6);
    for form in [lower, fold, old_scripts] {
        let bare: String = form
            .nfd()
            .filter(|c| c.general_category_group() != GeneralCategoryGroup::Mark)
            .collect();
        for f in [form, bare] {
            if !f.is_empty() && !forms.contains(&f) {
                forms.push(f);
            }
        }
    }
    forms
}

/// The lowercase letters Unicode's case folding maps further.
fn case_fold(c: char) -> char {
    match c {
        'ς' => 'σ',
        'µ' => 'μ',
        'ſ' => 's',
        'ϐ' => 'β',
        'ϑ' => 'θ',
        'ϕ' => 'φ',
        'ϖ' => 'π',
        'ϰ' => 'κ',
        'ϱ' => 'ρ',
        'ϵ' => 'ε',
        'ẛ' => 'ṡ',
        '\u{345}' => 'ι',
        'ι' => 'ι',
        other => other,
    }
}

fn add_folded(word: &str, out: &mut HashSet<String>) {
    if word.is_ascii() {
        if word.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = word.to_ascii_lowercase();
            if !out.contains(&lower) {
                out.insert(lower);
            }
        } else if !out.contains(word) {
            out.insert(word.to_owned());
        }
        return;
    }
    for f in folded(word) {
        out.insert(f);
    }
}

/// The half-open range of words starting with `prefix`, for `term >= lo AND term < hi`.
pub fn range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}{}", char::MAX))
}

/// An FTS5 string literal: quoted, inner quotes doubled.
pub fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = HashSet::new();
        collect(text, &mut out);
        let mut v: Vec<String> = out.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn test_words_are_cut_and_folded_like_the_index() {
        assert_eq!(
            words("Where's my ORDER #123?"),
            ["123", "my", "order", "s", "where"]
        );
        assert_eq!(words("Café"), ["cafe", "café"]);
        assert_eq!(folded("ΟΔΟΣ"), ["οδοσ"]);
        assert_eq!(
            folded("Σίσυφος"),
            ["σίσυφος", "σισυφος", "σίσυφοσ", "σισυφοσ"]
        );
    }
}
