//! The server's modules import only downwards: each top-level module of `server/src` has a
//! layer, and a `crate::` path in a module's code may name only a module of its own layer or a
//! lower one. Decisions live low (the world, the store, the domain modules), adapters high
//! (`http`, `ws`, `town`), and composition at the top (`startup`, `app_router`). Comments and
//! test-only code are not counted. docs/ARCHITECTURE.md ("Layers") draws the same table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    // Leaves: no module of the crate below them.
    ("clock", 0),
    ("metrics", 0),
    ("telemetry", 0),
    ("data_dir", 0),
    ("tick_frame", 0),
    ("paging", 0),
    ("compliance", 1),
    // The world: the authoritative state, pure (no store, no I/O).
    ("world", 2),
    // Persistence (it stores the world's records) and field checks (on the world's text rule).
    ("store", 3),
    ("fields", 3),
    // The domain: decisions over the store and the world.
    ("auth", 4),
    ("board", 4),
    ("economy", 4),
    ("llm", 4),
    ("payments", 4),
    ("kill_switch", 4),
    ("disk_limit", 4),
    ("runtime_changes", 4),
    ("runtime_reports", 4),
    ("population", 4),
    ("demo", 4),
    ("tool_calls", 4),
    ("notebooks", 4),
    // The settings, composed from each domain's own section.
    ("config", 5),
    // What the adapters share: every part of the running server.
    ("state", 6),
    // Adapters: HTTP, the WebSocket streams, the town hall's pages.
    ("http", 7),
    ("ws", 7),
    ("town", 7),
    // Composition and the binary's commands.
    ("app_router", 8),
    ("tier_announce", 8),
    ("startup", 8),
    ("commands", 8),
    ("cli", 8),
    ("lib", 9),
    ("main", 9),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// Every `.rs` file under `dir`, with the top-level module it belongs to.
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("the source folder reads") {
        let path = entry.expect("a folder entry reads").path();
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under the root");
            let first = relative.components().next().expect("a non-empty path");
            let top = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            out.push((top, path));
        }
    }
}

/// The code of a file without comments and without its test module; `None` for a file that is
/// test code only.
fn code(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return None;
    }
    let text = std::fs::read_to_string(path).expect("a source file reads");
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    Some(without_comments(text))
}

/// `text` with every `//` comment cut off its line.
fn without_comments(text: &str) -> String {
    let lines = text.lines().map(|line| match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    });
    lines.collect::<Vec<_>>().join("\n")
}

/// The top-level modules a piece of code names with `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, prefix)| {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[..end].to_string()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_module_imports_only_its_own_layer_or_lower() {
    // A module naming a higher one is an arrow the wrong way; a module missing from the table
    // must be placed in it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 100, "found only {} source files", files.len());
    let mut upward = Vec::new();
    for (top, path) in &files {
        let own = layer(top).unwrap_or_else(|| panic!("{top} has no layer in LAYERS"));
        let Some(code) = code(path) else { continue };
        for named in named_modules(&code) {
            let Some(theirs) = layer(&named) else {
                continue;
            };
            if theirs > own {
                let file = path.strip_prefix(&root).expect("under the root").display();
                upward.push(format!(
                    "{file}: {top} (layer {own}) -> {named} (layer {theirs})"
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports up the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_scan_sees_an_upward_import() {
    // The check itself can fail: a made-up domain file naming the state is caught.
    let code = "use crate::state::AppState; // crate::http in a comment\nfn f() {}";
    let named = named_modules(&without_comments(code));
    assert_eq!(named, BTreeSet::from(["state".to_string()]));
    assert!(layer("state") > layer("board"));
}
