//! Binding a unix socket file that a crashed process may have left behind: the server's API
//! socket and the node relay's socket are bound the same way, by this one function. Only the
//! `socket-file` feature builds it (std only, unix only): the viewer's wasm build never sees it.

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::Path;

/// Binds `path` (making its folder), replacing a stale socket left by an earlier run but never
/// another kind of file, and sets the socket's mode to `mode`. The listener is non-blocking,
/// ready for `tokio::net::UnixListener::from_std`.
pub fn bind_replacing_stale(path: &Path, mode: u32) -> io::Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_socket_is_replaced_and_any_other_file_is_kept() {
        // A socket left behind is bound again; a regular file in its place is an error and
        // stays as it was.
        let dir = std::env::temp_dir().join(format!("village-socket-{}", std::process::id()));
        let path = dir.join("nested").join("api.sock");
        let first = bind_replacing_stale(&path, 0o666).unwrap();
        drop(first);
        let again = bind_replacing_stale(&path, 0o600).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(again);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"keep me").unwrap();
        let refused = bind_replacing_stale(&path, 0o666).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
