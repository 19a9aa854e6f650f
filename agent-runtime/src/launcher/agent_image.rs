//! The agent image recipe the launcher builds on each node: the `village-agent` binary on an
//! empty base, with the shared libraries it loads copied from this machine at the paths the
//! binary looks for them (read from `ldd`), and busybox as its shell when the machine has one.
//! Small and registry-free; the fuller Debian image (bash, coreutils, curl, git, python3) is
//! built by `deploy/agent-image/build.sh`.

use std::path::Path;
use std::process::Command;

use crate::image::{ImageFile, ImageRecipe};
use crate::image_base::ImageBase;

/// Where the agent binary sits inside the image.
pub const AGENT_PATH: &str = "/usr/local/bin/village-agent";

/// Why the recipe could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AgentImageError {
    #[error("the agent binary {path}: {reason}")]
    Binary { path: String, reason: String },
    #[error("ldd on {path}: {reason}")]
    Ldd { path: String, reason: String },
    #[error(
        "the base archive {base} has no {library}, which the agent binary loads (build the base from this machine's Debian release)"
    )]
    BaseLacks { base: String, library: String },
}

/// Where the launcher looks for a busybox to give the image a shell (Debian's
/// `busybox-static`); without one the image has no shell and the shell tool says so.
pub const HOST_BUSYBOX: &str = "/bin/busybox";

/// The recipe for `binary`. On an empty base: it, the libraries it loads, a busybox shell
/// when this machine has [`HOST_BUSYBOX`] (its applets run without links: `uname`, `ls`,
/// `cat`, ...), and the command that runs the agent. On a root filesystem `base` (the Debian
/// one of `deploy/agent-image/build.sh`): the binary alone, the base's own libraries and shell
/// serving it, after checking the base has every library the binary loads.
pub fn agent_recipe(
    repository: &str,
    binary: &Path,
    base: Option<ImageBase>,
) -> Result<ImageRecipe, AgentImageError> {
    let mut files = Vec::new();
    let added = match &base {
        Some(base) => add_on_base(&mut files, binary, base),
        None => add_with_libraries(&mut files, AGENT_PATH, binary),
    };
    added.map_err(|error| match error {
        AgentImageError::Binary { path, reason } => AgentImageError::Binary {
            path,
            reason: format!("{reason} (build it with cargo build --release -p village-agent)"),
        },
        other => other,
    })?;
    let busybox = Path::new(HOST_BUSYBOX);
    if base.is_none() && busybox.is_file() {
        add_with_libraries(&mut files, "/bin/busybox", busybox)?;
        files.push(
            ImageFile::from_host("/bin/sh", busybox, 0o755).map_err(|error| {
                AgentImageError::Binary {
                    path: HOST_BUSYBOX.to_string(),
                    reason: error.to_string(),
                }
            })?,
        );
    }
    Ok(ImageRecipe {
        repository: repository.to_string(),
        base,
        files,
        command: vec![AGENT_PATH.to_string()],
    })
}

/// Adds the agent binary alone, after checking `base` holds a file of each library name it
/// loads (the base must be of the same distribution release as this machine).
fn add_on_base(
    files: &mut Vec<ImageFile>,
    binary: &Path,
    base: &ImageBase,
) -> Result<(), AgentImageError> {
    let shown = binary.display().to_string();
    let file = ImageFile::from_host(AGENT_PATH, binary, 0o755).map_err(|error| {
        AgentImageError::Binary {
            path: shown.clone(),
            reason: error.to_string(),
        }
    })?;
    files.push(file);
    let listing = ldd(binary)?;
    for library in libraries(&listing) {
        let name = Path::new(library)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if !base.has_file_named(&name) {
            return Err(AgentImageError::BaseLacks {
                base: base.path.display().to_string(),
                library: library.to_string(),
            });
        }
    }
    Ok(())
}

/// What `ldd` prints for `binary` (nothing for a static one).
fn ldd(binary: &Path) -> Result<String, AgentImageError> {
    let output =
        Command::new("ldd")
            .arg(binary)
            .output()
            .map_err(|error| AgentImageError::Ldd {
                path: binary.display().to_string(),
                reason: error.to_string(),
            })?;
    // A static binary makes ldd fail with "not a dynamic executable": no libraries to copy.
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Adds the host's `host` at `path` in the image, and the libraries `ldd` says it loads at
/// their own paths (each once).
fn add_with_libraries(
    files: &mut Vec<ImageFile>,
    path: &str,
    host: &Path,
) -> Result<(), AgentImageError> {
    let shown = host.display().to_string();
    let file =
        ImageFile::from_host(path, host, 0o755).map_err(|error| AgentImageError::Binary {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
    files.push(file);
    let listing = ldd(host)?;
    for library in libraries(&listing) {
        if files.iter().any(|f| f.path == library) {
            continue;
        }
        let file = ImageFile::from_host(library, Path::new(library), 0o755).map_err(|error| {
            AgentImageError::Ldd {
                path: shown.clone(),
                reason: format!("{library}: {error}"),
            }
        })?;
        files.push(file);
    }
    Ok(())
}

/// The absolute library paths in `ldd` output: `name => /path (0x...)` and the loader's
/// `/path (0x...)`; the kernel's vDSO has no file and is skipped.
fn libraries(listing: &str) -> Vec<&str> {
    let mut found: Vec<&str> = listing
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.trim(),
                None => line.trim(),
            };
            let path = path.split_whitespace().next()?;
            path.starts_with('/').then_some(path)
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines_give_the_library_and_loader_paths() {
        // Both line shapes are read; the vDSO and "not found" lines give nothing.
        let listing = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f1)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f3)\n\
            \tlibmissing.so => not found\n";
        assert_eq!(
            libraries(listing),
            vec![
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib64/ld-linux-x86-64.so.2",
            ]
        );
    }

    #[test]
    fn a_missing_binary_is_named_with_how_to_build_it() {
        // The launcher says which file it needs and how to make it.
        let error = agent_recipe("aivillage-agent", Path::new("/no/such/village-agent"), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("/no/such/village-agent"), "{error}");
        assert!(error.contains("cargo build"), "{error}");
    }
}
