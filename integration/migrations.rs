//! The two migration sets are one schema written twice: `migrations/sqlite` and
//! `migrations/postgres` hold the same files with the same statements, differing only where the
//! dialects must (ARCHITECTURE.md, "Two databases, one code path"). A column added to one set
//! and forgotten in the other would pass every test of the other backend; this check does not
//! let the two drift apart.

use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn the_sqlite_and_postgresql_migrations_differ_only_in_their_dialects() {
    let sqlite = migration_set("sqlite");
    let postgres = migration_set("postgres");
    assert!(!sqlite.is_empty(), "no migrations found");
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the two sets must have the same files"
    );
    for (name, sqlite_text) in &sqlite {
        let postgres_text = as_sqlite(&postgres[name]);
        let sqlite_lines: Vec<&str> = sqlite_text.lines().collect();
        let postgres_lines: Vec<&str> = postgres_text.lines().collect();
        for number in 0..sqlite_lines.len().max(postgres_lines.len()) {
            let (ours, theirs) = (sqlite_lines.get(number), postgres_lines.get(number));
            assert!(
                ours == theirs,
                "{name} line {}: the sets differ beyond their dialects\n  sqlite:   {}\n  \
                 postgres: {} (as SQLite would spell it)",
                number + 1,
                ours.unwrap_or(&"(no line)"),
                theirs.unwrap_or(&"(no line)"),
            );
        }
    }
}

#[test]
fn only_the_dialects_spellings_of_bytes_are_made_alike() {
    assert_eq!(
        as_sqlite("hash BYTEA NOT NULL, root BYTEA,\n"),
        "hash BLOB NOT NULL, root BLOB,\n"
    );
    assert_eq!(
        as_sqlite("VALUES (1, '\\x00ff'::bytea);"),
        "VALUES (1, X'00ff');"
    );
    // Names that merely contain the word, and every other difference, stay as they are.
    for kept in [
        "bytea_count BIGINT",
        "NOT_BYTEA BYTEAS",
        "id BIGSERIAL",
        "'\\x0g'::bytea",
        "at TIMESTAMPTZ",
    ] {
        assert_eq!(as_sqlite(kept), kept);
    }
}

fn migration_set(backend: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// PostgreSQL's spelling of the differences the dialects force, turned into SQLite's: the
/// bytes type (`BYTEA` → `BLOB`) and bytes literals (`'\x…'::bytea` → `X'…'`). Nothing else
/// may differ.
fn as_sqlite(postgres: &str) -> String {
    let mut text = String::with_capacity(postgres.len());
    let mut rest = postgres;
    while !rest.is_empty() {
        let before_word = text
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if let Some(after) = rest.strip_prefix("BYTEA")
            && before_word
            && after
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        {
            text.push_str("BLOB");
            rest = after;
        } else if let Some((hex, after)) = rest
            .strip_prefix("'\\x")
            .and_then(|tail| tail.split_once("'::bytea"))
            .filter(|(hex, _)| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        {
            text.push_str(&format!("X'{hex}'"));
            rest = after;
        } else {
            let mut chars = rest.chars();
            text.extend(chars.next());
            rest = chars.as_str();
        }
    }
    text
}
