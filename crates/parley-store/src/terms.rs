//! The vocabulary of the message search index, kept beside it so a prefix query can name its
//! words. FTS5 answers `"deliv"*` by merging the full list of every matching word's rows
//! before it can hand out the newest 50 (~30 ms at 1 M messages, whatever the LIMIT), while
//! `"delivery" OR "delivered"` walks those lists lazily from the newest row (well under 1 ms).
//!
//! The words must be exactly the index's. ASCII text is cut here (the tokenizer, `unicode61
//! remove_diacritics 2`, splits ASCII on every character that is not a letter or digit and
//! lowercases it, nothing else); any other text is cut by SQLite itself, through a scratch
//! FTS5 table with the same tokenizer ([`probe`]), because its Unicode tables are its own
//! (older than Rust's; emoji and some marks are word characters to it). [`expand`]'s callers
//! fall back to FTS5's own prefix query when the vocabulary has nothing for a prefix or too
//! much.

use std::collections::HashSet;

use sqlx::SqliteConnection;

/// A prefix naming more words than this runs FTS5's own prefix query.
pub const MAX_EXPANSION: usize = 64;

/// Texts [`probe`] cuts in one statement.
const PROBE_CHUNK: usize = 500;

/// Adds the words of an ASCII `text` to `out`, as the index cuts and folds them; returns
/// `false` (adding nothing) when `text` is not ASCII and must go to [`probe`].
pub fn collect_ascii(text: &str, out: &mut HashSet<String>) -> bool {
    if !text.is_ascii() {
        return false;
    }
    for w in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = w.to_ascii_lowercase();
            if !out.contains(&lower) {
                out.insert(lower);
            }
        } else if !out.contains(w) {
            out.insert(w.to_owned());
        }
    }
    true
}

/// The index's words of each of `texts`, in order, cut by SQLite's own tokenizer: the texts go
/// into a scratch FTS5 table (temporary, created once per connection) inside a savepoint that
/// is rolled back, so nothing stays behind and an enclosing transaction is left as it was.
pub async fn probe(
    conn: &mut SqliteConnection,
    texts: &[&str],
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let mut words = vec![Vec::new(); texts.len()];
    if texts.is_empty() {
        return Ok(words);
    }
    let Probed::PerText(rows) = scratch(conn, texts, Read::PerText).await? else {
        unreachable!("a per-text read answers per text")
    };
    for (doc, term) in rows {
        if let Some(slot) = usize::try_from(doc).ok().and_then(|d| words.get_mut(d)) {
            slot.push(term);
        }
    }
    Ok(words)
}

/// The index's words of all of `texts` together, each once, cut as [`probe`] cuts them. They
/// leave SQLite as one JSON row: the thousands of (text, word) rows of a writer batch, each
/// crossing sqlx's worker channel, cost more than the cutting (50 ms of a 5 000-message batch
/// whose texts are one in ten not ASCII).
pub async fn probe_distinct(
    conn: &mut SqliteConnection,
    texts: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let Probed::Distinct(json) = scratch(conn, texts, Read::Distinct).await? else {
        unreachable!("a distinct read answers distinct words")
    };
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// What [`scratch`] reads of the texts it holds.
enum Read {
    /// (text index, word) in text order.
    PerText,
    /// Every word once, as a JSON array.
    Distinct,
}

enum Probed {
    PerText(Vec<(i64, String)>),
    Distinct(String),
}

/// `texts` in the scratch table (rowid = their index), `read` from it, all undone after.
async fn scratch(
    conn: &mut SqliteConnection,
    texts: &[&str],
    read: Read,
) -> Result<Probed, sqlx::Error> {
    for create in [
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_probe \
         USING fts5(t, tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_probe_words \
         USING fts5vocab('temp', 'fts_probe', 'instance')",
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_probe_terms \
         USING fts5vocab('temp', 'fts_probe', 'row')",
    ] {
        sqlx::query(create).execute(&mut *conn).await?;
    }
    sqlx::query("SAVEPOINT fts_probe")
        .execute(&mut *conn)
        .await?;
    let result = fill_and_read(conn, texts, read).await;
    // Undo the rows whatever happened; the savepoint's own errors only matter when the probe
    // itself went well.
    let undone = async {
        sqlx::query("ROLLBACK TO fts_probe")
            .execute(&mut *conn)
            .await?;
        sqlx::query("RELEASE fts_probe").execute(&mut *conn).await
    }
    .await;
    let out = result?;
    undone?;
    Ok(out)
}

async fn fill_and_read(
    conn: &mut SqliteConnection,
    texts: &[&str],
    read: Read,
) -> Result<Probed, sqlx::Error> {
    for (n, chunk) in texts.chunks(PROBE_CHUNK).enumerate() {
        let first = n * PROBE_CHUNK;
        let mut q = sqlx::QueryBuilder::new("INSERT INTO temp.fts_probe (rowid, t) ");
        q.push_values(chunk.iter().enumerate(), |mut b, (i, t)| {
            b.push_bind(i64::try_from(first + i).unwrap_or(i64::MAX))
                .push_bind(*t);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(match read {
        Read::PerText => Probed::PerText(
            sqlx::query_as("SELECT doc, term FROM temp.fts_probe_words ORDER BY doc, col, offset")
                .fetch_all(&mut *conn)
                .await?,
        ),
        Read::Distinct => Probed::Distinct(
            sqlx::query_scalar("SELECT json_group_array(term) FROM temp.fts_probe_terms")
                .fetch_one(&mut *conn)
                .await?,
        ),
    })
}

/// The half-open range of words starting with `prefix`, for `term >= lo AND term < hi`.
pub fn range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}{}", char::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    fn words(text: &str) -> Vec<String> {
        let mut out = HashSet::new();
        assert!(collect_ascii(text, &mut out));
        let mut v: Vec<String> = out.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn test_ascii_words_are_cut_and_lowercased_like_the_index() {
        assert_eq!(
            words("Where's my ORDER #123?"),
            ["123", "my", "order", "s", "where"]
        );
        assert!(!collect_ascii("Café", &mut HashSet::new()));
    }

    #[tokio::test]
    async fn test_probe_cuts_text_as_sqlite_does_and_leaves_nothing_behind() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let texts = [
            "Café ΟΔΟΣ",
            "great\u{1f44d}thanks\u{1f642}",
            "x\u{301}y\u{305}z",
            "",
            "ORDER 123",
        ];
        let words = probe(&mut conn, &texts).await.unwrap();
        assert_eq!(words[0], ["cafe", "οδοσ"]);
        assert_eq!(words[1], ["great", "thanks\u{1f642}"]);
        assert_eq!(words[2], ["xy", "z"]);
        assert!(words[3].is_empty());
        assert_eq!(words[4], ["order", "123"]);
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM temp.fts_probe")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0);
        // Again on the same connection, inside a transaction that stays open.
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        let again = probe(&mut conn, &["Ünïcödé"]).await.unwrap();
        assert_eq!(again, [["unicode"]]);
        sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    }

    #[tokio::test]
    async fn test_distinct_probe_names_every_word_of_the_texts_once() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let texts = [
            "Café ΟΔΟΣ café",
            "great\u{1f44d}thanks\u{1f642}",
            "",
            "ORDER 123 Ünïcödé",
        ];
        let mut words = probe_distinct(&mut conn, &texts).await.unwrap();
        words.sort();
        let mut expected: Vec<String> = probe(&mut conn, &texts)
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        expected.sort();
        assert_eq!(words, expected);
        assert_eq!(
            words,
            [
                "123",
                "cafe",
                "great",
                "order",
                "thanks\u{1f642}",
                "unicode",
                "οδοσ"
            ]
        );
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM temp.fts_probe")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0);
        assert!(probe_distinct(&mut conn, &[]).await.unwrap().is_empty());
    }
}
