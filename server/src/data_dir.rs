//! Keeps the server's files private to its own user: the data folder (the JWT key, the API
//! socket's folder, the SQLite database) is made `0700`, and the SQLite database with its WAL
//! and shared-memory files `0600`, at every start, so that a folder or database made by an
//! older version, or by hand with a loose umask, is fixed too. The database holds password
//! hashes, private chats and the audit log; no other local user may read it.
//!
//! A new database file is made empty with `0600` before SQLite opens it: SQLite gives its WAL
//! and shared-memory files the database file's mode, so they are born private too.

use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The data folder's mode: its owner only.
pub const DATA_DIR_MODE: u32 = 0o700;
/// The database files' mode: its owner only.
pub const DATABASE_FILE_MODE: u32 = 0o600;

/// Makes `data_dir` (creating it) and the SQLite files of `database_url`, if it names one,
/// private to this user.
pub fn make_private(data_dir: &Path, database_url: &str) -> io::Result<()> {
    fs::create_dir_all(data_dir)?;
    fs::set_permissions(data_dir, Permissions::from_mode(DATA_DIR_MODE))?;
    let Some(database) = sqlite_file(database_url) else {
        return Ok(());
    };
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    // Made empty and private if missing (an empty file is a new database to SQLite).
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(DATABASE_FILE_MODE)
        .open(&database)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = database.clone().into_os_string();
        name.push(suffix);
        match fs::set_permissions(&name, Permissions::from_mode(DATABASE_FILE_MODE)) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// The database file of a `sqlite://` URL (its query string dropped); `None` for an
/// in-memory database or another backend.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://")?;
    let file = path.split('?').next().unwrap_or(path);
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn loose_folder_and_database_files_are_made_private() {
        // A folder and database files left readable by others (as an older version made
        // them) are owner-only after the call; a missing database is born private.
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::set_permissions(&data, Permissions::from_mode(0o755)).unwrap();
        let db = data.join("village.db");
        for name in ["village.db", "village.db-wal"] {
            fs::write(data.join(name), b"x").unwrap();
            fs::set_permissions(data.join(name), Permissions::from_mode(0o644)).unwrap();
        }
        make_private(&data, &format!("sqlite://{}?mode=rwc", db.display())).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&data.join("village.db-wal")), 0o600);
        assert_eq!(
            fs::read(&db).unwrap(),
            b"x",
            "the database is not truncated"
        );

        let fresh = root.path().join("fresh");
        let new_db = fresh.join("village.db");
        make_private(&fresh, &format!("sqlite://{}", new_db.display())).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&new_db), 0o600);
        make_private(&fresh, "postgres://village@localhost/village").unwrap();
    }
}
