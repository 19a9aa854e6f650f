//! A base for the agent image: a root filesystem archive (a plain tar, such as the Debian one
//! `deploy/agent-image/build.sh` makes with debootstrap) that the image starts from instead of
//! an empty one. Opening it reads the file twice, in bounded steps: once for its SHA-256 (part
//! of the image's content-hash tag) and once for the names of its files (so the launcher can
//! check the base holds the libraries the agent binary loads). The archive's bytes are read
//! again only when an engine lacks the image and it is built. It must not unpack anything.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Most entries a base archive may hold (a Debian minbase with git and python3 has about
/// 15,000).
pub const BASE_ENTRIES_MAX: usize = 200_000;

/// Why a base archive cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ImageBaseError {
    #[error("the base archive {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the base archive {path} holds more than {BASE_ENTRIES_MAX} entries")]
    TooManyEntries { path: String },
}

/// An opened base archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBase {
    /// Where the archive is on this machine.
    pub path: PathBuf,
    /// Its SHA-256, hex.
    pub digest: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The file names (last path part) of its regular files and links.
    names: BTreeSet<String>,
}

impl ImageBase {
    /// Hashes and lists the archive at `path`.
    pub fn open(path: &Path) -> Result<ImageBase, ImageBaseError> {
        let unreadable = |reason: String| ImageBaseError::Unreadable {
            path: path.display().to_string(),
            reason,
        };
        let mut file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let mut hash = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut bytes: u64 = 0;
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|e| unreadable(e.to_string()))?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
            bytes += read as u64;
        }
        let digest: String = hash
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let mut archive = tar::Archive::new(file);
        let mut names = BTreeSet::new();
        let entries = archive.entries().map_err(|e| unreadable(e.to_string()))?;
        for (count, entry) in entries.enumerate() {
            if count >= BASE_ENTRIES_MAX {
                return Err(ImageBaseError::TooManyEntries {
                    path: path.display().to_string(),
                });
            }
            let entry = entry.map_err(|e| unreadable(format!("not a tar archive: {e}")))?;
            if entry.header().entry_type().is_dir() {
                continue;
            }
            let name = entry
                .path()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
            if let Some(name) = name {
                names.insert(name);
            }
        }
        if names.is_empty() {
            return Err(unreadable("it holds no files".to_string()));
        }
        Ok(ImageBase {
            path: path.to_path_buf(),
            digest,
            bytes,
            names,
        })
    }

    /// Whether the archive holds a file (or link) named `name`, in any folder.
    pub fn has_file_named(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(dir: &Path, files: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("base.tar");
        let mut tar = tar::Builder::new(std::fs::File::create(&path).unwrap());
        for (name, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, *contents).unwrap();
        }
        tar.finish().unwrap();
        path
    }

    #[test]
    fn a_base_is_hashed_and_its_file_names_known() {
        // The digest follows the bytes; names are found in any folder; a change of one byte
        // changes the digest.
        let dir = tempfile::tempdir().unwrap();
        let path = archive(
            dir.path(),
            &[("./usr/lib/libc.so.6", b"elf"), ("bin/sh", b"x")],
        );
        let base = ImageBase::open(&path).unwrap();
        assert_eq!(base.digest.len(), 64);
        assert_eq!(base.bytes, std::fs::metadata(&path).unwrap().len());
        assert!(base.has_file_named("libc.so.6"));
        assert!(base.has_file_named("sh"));
        assert!(!base.has_file_named("libm.so.6"));
        let other = archive(
            dir.path(),
            &[("./usr/lib/libc.so.6", b"elf!"), ("bin/sh", b"x")],
        );
        assert_ne!(ImageBase::open(&other).unwrap().digest, base.digest);
    }

    #[test]
    fn a_missing_empty_or_foreign_file_is_refused_with_its_path() {
        // Each refusal names the file.
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.tar");
        assert!(
            ImageBase::open(&missing)
                .unwrap_err()
                .to_string()
                .contains("nope.tar")
        );
        let empty = archive(dir.path(), &[]);
        assert!(
            ImageBase::open(&empty)
                .unwrap_err()
                .to_string()
                .contains("no files")
        );
        let text = dir.path().join("notes.tar");
        std::fs::write(
            &text,
            "this is not a tar archive at all, just words ".repeat(20),
        )
        .unwrap();
        assert!(ImageBase::open(&text).is_err());
    }
}
