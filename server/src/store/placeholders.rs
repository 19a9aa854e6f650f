//! SQL placeholder lists for statements with many parameters (the ledger's group commit and
//! its lookups), written for the backend in use.

use super::Backend;

/// `count` placeholders numbered from `first`, as `($a, $b, ...)`. SQLite gets anonymous `?`s
/// instead: for numbered ones, sqlx looks up each parameter's name, which SQLite finds by a
/// linear scan, so binding a group's thousands of parameters took quadratic time (P4).
pub(super) fn placeholders(backend: Backend, first: usize, count: usize) -> String {
    let list: Vec<String> = (first..first + count)
        .map(|n| match backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}"),
        })
        .collect();
    format!("({})", list.join(", "))
}

/// `count` rows of `width` placeholders each, numbered from 1.
pub(super) fn value_rows(backend: Backend, count: usize, width: usize) -> String {
    let rows: Vec<String> = (0..count)
        .map(|row| placeholders(backend, 1 + row * width, width))
        .collect();
    rows.join(", ")
}
