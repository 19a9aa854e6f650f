//! The agent image recipe the launcher builds on each node: the `village-agent` binary on an
//! empty base, with the shared libraries it loads copied from this machine at the paths the
//! binary looks for them (read from `ldd`). Small and registry-free; the fuller image with a
//! shell and tools is `deploy/agent-image/`.

use std::path::Path;
use std::process::Command;

use crate::image::{ImageFile, ImageRecipe};

/// Where the agent binary sits inside the image.
pub const AGENT_PATH: &str = "/usr/local/bin/village-agent";

/// Why the recipe could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AgentImageError {
    #[error("the agent binary {path}: {reason}")]
    Binary { path: String, reason: String },
    #[error("ldd on {path}: {reason}")]
    Ldd { path: String, reason: String },
}

/// The recipe for `binary`: it, the libraries it loads, and the command that runs it.
pub fn agent_recipe(repository: &str, binary: &Path) -> Result<ImageRecipe, AgentImageError> {
    let shown = binary.display().to_string();
    let binary_error = |reason: String| AgentImageError::Binary {
        path: shown.clone(),
        reason,
    };
    let mut files = vec![
        ImageFile::from_host(AGENT_PATH, binary, 0o755)
            .map_err(|error| binary_error(format!("{error} (build it with cargo build --release -p village-runtime --bin village-agent)")))?,
    ];
    let output =
        Command::new("ldd")
            .arg(binary)
            .output()
            .map_err(|error| AgentImageError::Ldd {
                path: shown.clone(),
                reason: error.to_string(),
            })?;
    // A static binary makes ldd fail with "not a dynamic executable": no libraries to copy.
    let listing = String::from_utf8_lossy(&output.stdout);
    for library in libraries(&listing) {
        let file = ImageFile::from_host(library, Path::new(library), 0o755).map_err(|error| {
            AgentImageError::Ldd {
                path: shown.clone(),
                reason: format!("{library}: {error}"),
            }
        })?;
        files.push(file);
    }
    Ok(ImageRecipe {
        repository: repository.to_string(),
        files,
        command: vec![AGENT_PATH.to_string()],
    })
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
        let error = agent_recipe("aivillage-agent", Path::new("/no/such/village-agent"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/no/such/village-agent"), "{error}");
        assert!(error.contains("cargo build"), "{error}");
    }
}
