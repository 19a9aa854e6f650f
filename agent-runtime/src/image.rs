//! Agent images built on each node from a recipe, with no registry: a scratch image holding
//! the given files, tagged by the hash of everything that goes into it, so a node that has the
//! tag has exactly this image and a rebuild is skipped.
//!
//! Pure: the recipe, its tag and its build context (a tar holding a Dockerfile and the files).
//! Backends do the building.

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::image_base::ImageBase;

/// Largest build context the runtime sends to an engine, in bytes.
pub const CONTEXT_BYTES_MAX: usize = 512 * 1024 * 1024;

/// Hex digits of the content hash in a tag: 48 bits, no collision among a village's images.
const TAG_HEX_DIGITS: usize = 12;

/// One file placed in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Absolute path inside the image, e.g. `/bin/village-agent`.
    pub path: String,
    pub contents: Vec<u8>,
    /// Unix permission bits, e.g. `0o755`.
    pub mode: u32,
}

impl ImageFile {
    /// Reads a file from the host to place at `path` in the image.
    pub fn from_host(path: &str, host_path: &Path, mode: u32) -> io::Result<ImageFile> {
        Ok(ImageFile {
            path: path.to_string(),
            contents: std::fs::read(host_path)?,
            mode,
        })
    }
}

/// What an agent image holds: files on an empty base or on a root filesystem archive, and
/// the command it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecipe {
    /// Image name without tag, e.g. `aivillage-agent`.
    pub repository: String,
    /// The root filesystem the files go on; `None`: an empty one.
    pub base: Option<ImageBase>,
    pub files: Vec<ImageFile>,
    pub command: Vec<String>,
}

impl ImageRecipe {
    /// `repository:hash`, the hash covering the base's digest, every path, mode, byte and the
    /// command.
    pub fn tag(&self) -> String {
        let mut hash = Sha256::new();
        if let Some(base) = &self.base {
            hash.update(b"base:");
            hash.update(base.digest.as_bytes());
        }
        for file in &self.files {
            hash.update(file.path.as_bytes());
            hash.update([0]);
            hash.update(file.mode.to_le_bytes());
            hash.update((file.contents.len() as u64).to_le_bytes());
            hash.update(&file.contents);
        }
        for word in &self.command {
            hash.update(word.as_bytes());
            hash.update([0]);
        }
        let digest = hash.finalize();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{}:{}", self.repository, &hex[..TAG_HEX_DIGITS])
    }

    /// The build context: a Dockerfile (`FROM scratch`, the base archive unpacked, the files,
    /// the command), the base as `base.tar`, and the files under `rootfs/`.
    pub fn context_tar(&self) -> Result<Vec<u8>, ImageError> {
        let base_bytes = self
            .base
            .as_ref()
            .map_or(0, |b| usize::try_from(b.bytes).unwrap_or(usize::MAX));
        let size: usize = self
            .files
            .iter()
            .map(|f| f.contents.len())
            .fold(base_bytes, usize::saturating_add);
        if size > CONTEXT_BYTES_MAX {
            return Err(ImageError::TooLarge { bytes: size });
        }
        if let Some(bad) = self.files.iter().find(|f| !valid_image_path(&f.path)) {
            return Err(ImageError::Path(bad.path.clone()));
        }
        let command = serde_json::to_string(&self.command)
            .map_err(|error| ImageError::Context(error.to_string()))?;
        // `ADD` of a local tar unpacks it at `/`.
        let unpack = if self.base.is_some() {
            "ADD base.tar /\n"
        } else {
            ""
        };
        let dockerfile = format!("FROM scratch\n{unpack}COPY rootfs/ /\nCMD {command}\n");
        let mut tar = tar::Builder::new(Vec::with_capacity(size + 4096));
        append(&mut tar, "Dockerfile", dockerfile.as_bytes(), 0o644)?;
        if let Some(base) = &self.base {
            let context = |error: std::io::Error| {
                ImageError::Context(format!("{}: {error}", base.path.display()))
            };
            // Read once, and only if it is still the archive the tag was made from.
            let bytes = std::fs::read(&base.path).map_err(context)?;
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            if digest != base.digest {
                return Err(ImageError::Context(format!(
                    "{} changed since the launcher started: restart it to build the new base",
                    base.path.display()
                )));
            }
            append(&mut tar, "base.tar", &bytes, 0o644)?;
        }
        for file in &self.files {
            let path = format!("rootfs{}", file.path);
            append(&mut tar, &path, &file.contents, file.mode)?;
        }
        tar.into_inner()
            .map_err(|error| ImageError::Context(error.to_string()))
    }
}

/// A tar of one file at the absolute `path` (relative inside the archive, so it unpacks at
/// `/`), after an entry for each parent directory: for writing a file into a container.
pub fn single_file_tar(path: &str, contents: &[u8], mode: u32) -> Result<Vec<u8>, ImageError> {
    if !valid_image_path(path) {
        return Err(ImageError::Path(path.to_string()));
    }
    let relative = &path[1..];
    let mut tar = tar::Builder::new(Vec::with_capacity(contents.len() + 2048));
    let mut parent = String::new();
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        parent.push_str(part);
        parent.push('/');
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        header.set_mode(0o755);
        header.set_cksum();
        tar.append_data(&mut header, &parent, std::io::empty())
            .map_err(|error| ImageError::Context(error.to_string()))?;
    }
    append(&mut tar, relative, contents, mode)?;
    tar.into_inner()
        .map_err(|error| ImageError::Context(error.to_string()))
}

/// An absolute path with no `..`, no empty or `.` parts.
fn valid_image_path(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
    })
}

fn append(
    tar: &mut tar::Builder<Vec<u8>>,
    path: &str,
    contents: &[u8],
    mode: u32,
) -> Result<(), ImageError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(mode);
    header.set_cksum();
    tar.append_data(&mut header, path, contents)
        .map_err(|error| ImageError::Context(error.to_string()))
}

/// Why an image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image's files are {bytes} bytes, over the {CONTEXT_BYTES_MAX}-byte limit")]
    TooLarge { bytes: usize },
    #[error("{0:?} is not an absolute path inside the image")]
    Path(String),
    #[error("the build context could not be written: {0}")]
    Context(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe() -> ImageRecipe {
        ImageRecipe {
            repository: "aivillage-agent".into(),
            base: None,
            files: vec![ImageFile {
                path: "/bin/agent".into(),
                contents: b"#!binary".to_vec(),
                mode: 0o755,
            }],
            command: vec!["/bin/agent".into(), "--brain".into(), "scripted".into()],
        }
    }

    #[test]
    fn the_tag_changes_with_any_byte_mode_or_word() {
        // Same recipe, same tag; each change gives a new one.
        let tag = recipe().tag();
        assert_eq!(tag, recipe().tag());
        assert!(tag.starts_with("aivillage-agent:"));
        assert_eq!(tag.len(), "aivillage-agent:".len() + TAG_HEX_DIGITS);
        let mut changed = recipe();
        changed.files[0].contents.push(0);
        assert_ne!(changed.tag(), tag);
        let mut changed = recipe();
        changed.files[0].mode = 0o700;
        assert_ne!(changed.tag(), tag);
        let mut changed = recipe();
        changed.command.pop();
        assert_ne!(changed.tag(), tag);
    }

    #[test]
    fn the_context_holds_the_dockerfile_and_the_files() {
        // Read back: a Dockerfile from scratch with the command, then the file with its mode.
        let tar = recipe().context_tar().unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mode = entry.header().mode().unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            seen.push((path, mode, text));
        }
        assert_eq!(seen[0].0, "Dockerfile");
        assert!(seen[0].2.starts_with("FROM scratch\n"));
        assert!(
            seen[0]
                .2
                .contains(r#"CMD ["/bin/agent","--brain","scripted"]"#)
        );
        assert_eq!(
            seen[1],
            (
                "rootfs/bin/agent".to_string(),
                0o755,
                "#!binary".to_string()
            )
        );
    }

    #[test]
    fn a_single_file_tar_holds_its_parents_then_the_file() {
        // Directories first (so the file's parents exist when unpacked), then the file with
        // its mode; a path that escapes is refused.
        let tar = single_file_tar("/run/village/token", b"secret", 0o400).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let path = entry.path().unwrap().display().to_string();
                (path, entry.header().mode().unwrap())
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("run/".to_string(), 0o755),
                ("run/village/".to_string(), 0o755),
                ("run/village/token".to_string(), 0o400),
            ]
        );
        assert!(matches!(
            single_file_tar("/run/../etc/shadow", b"x", 0o400),
            Err(ImageError::Path(_))
        ));
    }

    #[test]
    fn paths_that_escape_the_image_are_refused() {
        // Relative paths and `..` never reach a build.
        for path in ["bin/agent", "/", "/bin/../etc/passwd", "/bin//agent"] {
            let mut bad = recipe();
            bad.files[0].path = path.into();
            assert!(
                matches!(bad.context_tar(), Err(ImageError::Path(_))),
                "{path}"
            );
        }
    }
}
