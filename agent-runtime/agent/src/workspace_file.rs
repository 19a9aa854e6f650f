//! The agent's small JSON state files in its workspace (`chats.json`, `posts.json`,
//! `tasks.json`): read whole, or empty when missing or unreadable (logged), and written whole
//! through a temporary file renamed over the old one, so a crash leaves the old file or the new
//! one, never half of either. Plain blocking I/O on files of a few kilobytes.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value in `path`, or the default when there is none or it cannot be read (logged).
pub fn read_or_default<T: DeserializeOwned + Default>(path: &Path) -> T {
    let Ok(bytes) = std::fs::read(path) else {
        return T::default();
    };
    serde_json::from_slice(&bytes).unwrap_or_else(|error| {
        tracing::warn!(%error, path = %path.display(), "a workspace file is unreadable; starting afresh");
        T::default()
    })
}

/// Writes `value` to `path` through a rename; a failure is logged, not returned: the file is
/// the agent's memory of what it did, and the next write tries again.
pub fn write_whole<T: Serialize>(path: &Path, value: &T) {
    let temporary = path.with_extension("json.tmp");
    let written = serde_json::to_vec(value)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&temporary, bytes))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        tracing::warn!(%error, path = %path.display(), "could not save a workspace file");
    }
}
