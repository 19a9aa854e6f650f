//! The file tools: read a file of the workspace, or write one whole. A path is relative to the
//! workspace, or absolute inside it; one that leaves it (`..`, another absolute path) or passes
//! through a symbolic link is refused, so the tools keep to the workspace volume the agent
//! owns (the shell, as root, is the tool for anything else, and is audited as such). Bounded:
//! [`READ_BYTES_MAX`] read, [`WRITE_BYTES_MAX`] written; a write goes through a temporary
//! file and a rename, so a reader never sees half a file. Blocking file calls run on the
//! blocking pool.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use shared::tool_call::ToolOutcome;

use super::RawRun;

/// Bytes read of a file; its size is still reported whole.
pub const READ_BYTES_MAX: u64 = 64 * 1024;
/// Largest file the tool writes.
pub const WRITE_BYTES_MAX: usize = 256 * 1024;

/// Reads `path` in `workspace`.
pub async fn read(workspace: &Path, path: &str) -> RawRun {
    let target = match resolve(workspace, path) {
        Ok(target) => target,
        Err(why) => return RawRun::refused(why),
    };
    blocking(move || {
        let file = std::fs::File::open(&target)?;
        let size = file.metadata()?.len();
        let mut kept = Vec::new();
        file.take(READ_BYTES_MAX).read_to_end(&mut kept)?;
        Ok(RawRun {
            outcome: ToolOutcome::Ok,
            exit_code: None,
            output: String::from_utf8_lossy(&kept).into_owned(),
            output_bytes: size,
        })
    })
    .await
}

/// Writes `content` to `path` in `workspace`, making its folders; `write` numbers this write
/// among the process's, naming its temporary file.
pub async fn write(workspace: &Path, path: &str, content: &str, write: u64) -> RawRun {
    if content.len() > WRITE_BYTES_MAX {
        return RawRun::refused(format!(
            "{} bytes is more than the {WRITE_BYTES_MAX} a file may be",
            content.len()
        ));
    }
    let target = match resolve(workspace, path) {
        Ok(target) => target,
        Err(why) => return RawRun::refused(why),
    };
    let content = content.to_string();
    let shown = path.to_string();
    blocking(move || {
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let mut temporary = target
            .file_name()
            .map_or_else(Default::default, |n| n.to_os_string());
        // Unique per write: two writes of one path may run at once.
        temporary.push(format!(".tmp-{}-{write}", std::process::id()));
        let temporary = target.with_file_name(temporary);
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(content.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &target)?;
        let output = format!("wrote {} bytes to {shown}", content.len());
        Ok(RawRun {
            outcome: ToolOutcome::Ok,
            exit_code: None,
            output_bytes: output.len() as u64,
            output,
        })
    })
    .await
}

/// Runs a file operation on the blocking pool; an I/O error is a failed call saying why.
async fn blocking(operation: impl FnOnce() -> std::io::Result<RawRun> + Send + 'static) -> RawRun {
    let failed = |why: String| RawRun {
        outcome: ToolOutcome::Failed,
        exit_code: None,
        output_bytes: why.len() as u64,
        output: why,
    };
    match tokio::task::spawn_blocking(operation).await {
        Ok(Ok(run)) => run,
        Ok(Err(error)) => failed(error.to_string()),
        Err(error) => failed(format!("the file task failed: {error}")),
    }
}

/// The file `path` names inside `workspace`, or why it may not be used.
pub fn resolve(workspace: &Path, path: &str) -> Result<PathBuf, String> {
    let given = Path::new(path.trim());
    let relative = if given.is_absolute() {
        given
            .strip_prefix(workspace)
            .map_err(|_| format!("{path} is outside the workspace {}", workspace.display()))?
    } else {
        given
    };
    let mut target = workspace.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                target.push(part);
                let is_link = std::fs::symlink_metadata(&target)
                    .is_ok_and(|meta| meta.file_type().is_symlink());
                if is_link {
                    return Err(format!("{path} passes through a symbolic link"));
                }
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{path} leaves the workspace"));
            }
        }
    }
    if target == workspace {
        return Err("a file path is needed, not the workspace itself".to_string());
    }
    Ok(target)
}
