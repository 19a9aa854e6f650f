//! Counting what an agent's workspace holds on disk, from outside the agent's reach.
//!
//! The engine here (fuse-overlayfs on ext4) cannot cap a volume's size, so the runtime
//! measures it instead (ADR 0013): a short-lived meter container of the agent image, with each
//! workspace mounted read-only, runs `village-agent measure-disk` — this module — and prints
//! one JSON line per workspace. The agent's own container cannot run it: root in there could
//! replace the binary.
//!
//! The count is of allocated blocks (a sparse file counts what it holds), every file, folder
//! and link once however many hard links it has, symbolic links never followed and no other
//! file system entered. Each walk has a time limit: an agent that makes more files than can
//! be walked in that time gets an incomplete count, which the server treats as over its limit.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::runtime::DiskUse;

/// The argument that makes `village-agent` measure instead of running an agent.
pub const MEASURE_DISK_ARG: &str = "measure-disk";

/// How many hard-linked files a walk remembers to count once. Past it, further links are
/// each counted in full: the count can only grow, so a flood of links cannot hide bytes, and
/// the meter's memory stays bounded (about 32 bytes a file).
pub const LINKED_FILES_REMEMBERED_MAX: usize = 1 << 20;

/// How often the walk looks at the clock, in entries.
const CLOCK_EVERY_ENTRIES: u64 = 1024;

/// One line of the meter's output: a path and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasuredPath {
    pub path: String,
    #[serde(flatten)]
    pub disk: DiskUse,
}

/// What `root` holds on disk, counted for at most `limit`.
pub fn measure(root: &Path, limit: Duration) -> DiskUse {
    let deadline = Instant::now() + limit;
    let mut linked: HashSet<(u64, u64)> = HashSet::new();
    let mut disk = DiskUse {
        bytes: 0,
        entries: 0,
        complete: true,
    };
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .same_file_system(true);
    for entry in walk {
        if disk.entries.is_multiple_of(CLOCK_EVERY_ENTRIES) && Instant::now() >= deadline {
            disk.complete = false;
            break;
        }
        // An entry that vanished or cannot be read while walking adds nothing; the meter runs
        // with the capability to read every folder, so this is only files deleted meanwhile.
        let Ok(metadata) = entry.and_then(|entry| entry.metadata()) else {
            continue;
        };
        disk.entries += 1;
        if metadata.nlink() > 1 && !metadata.is_dir() {
            let key = (metadata.dev(), metadata.ino());
            if linked.contains(&key) {
                continue;
            }
            if linked.len() < LINKED_FILES_REMEMBERED_MAX {
                linked.insert(key);
            }
        }
        // `blocks` is in 512-byte units whatever the file system's block size.
        disk.bytes = disk
            .bytes
            .saturating_add(metadata.blocks().saturating_mul(512));
    }
    disk
}

/// The meter's output line for `path`.
pub fn output_line(path: &str, disk: DiskUse) -> String {
    let line = MeasuredPath {
        path: path.to_string(),
        disk,
    };
    serde_json::to_string(&line).expect("a MeasuredPath always serializes")
}

/// `village-agent measure-disk SECONDS PATH...`: each path measured for at most SECONDS, one
/// output line each on stdout. The arguments after [`MEASURE_DISK_ARG`]; an error names what
/// is wrong with them.
pub fn run_meter(args: &[String]) -> Result<(), String> {
    let (seconds, paths) = args
        .split_first()
        .ok_or("usage: village-agent measure-disk SECONDS PATH...")?;
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| format!("seconds per path: `{seconds}` is not a whole number"))?;
    for path in paths {
        let disk = measure(Path::new(path), Duration::from_secs(seconds));
        println!("{}", output_line(path, disk));
    }
    Ok(())
}

/// The lines of the meter's output that parse; anything else (a log line) is skipped.
pub fn parse_output(output: &str) -> Vec<MeasuredPath> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str(line.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::{Seek, SeekFrom, Write};

    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn counts_blocks_once_per_file_and_never_follows_links() {
        // 2 MiB written, a hard link to it and a symbolic link to a 3 MiB file outside:
        // about 2 MiB (plus the folders' own blocks), the link counted once, the outside
        // file not at all; a 1 GiB sparse file holding one byte adds one block.
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("big"), vec![7u8; 3 * MIB as usize]).unwrap();
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("sub")).unwrap();
        fs::write(root.path().join("sub/data"), vec![1u8; 2 * MIB as usize]).unwrap();
        fs::hard_link(root.path().join("sub/data"), root.path().join("again")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("big"), root.path().join("far")).unwrap();
        let mut sparse = fs::File::create(root.path().join("sparse")).unwrap();
        sparse.seek(SeekFrom::Start(1 << 30)).unwrap();
        sparse.write_all(b"x").unwrap();
        drop(sparse);

        let disk = measure(root.path(), Duration::from_secs(10));
        assert!(disk.complete);
        assert_eq!(disk.entries, 6, "root, sub, data, again, far, sparse");
        assert!(disk.bytes >= 2 * MIB, "{disk:?}");
        assert!(disk.bytes < 2 * MIB + 128 * 1024, "{disk:?}");
    }

    #[test]
    fn a_walk_past_its_time_is_marked_incomplete() {
        // No time at all: the first clock check ends the walk, and the count says so.
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("a"), b"a").unwrap();
        let disk = measure(root.path(), Duration::ZERO);
        assert!(!disk.complete, "{disk:?}");
        assert_eq!(disk.entries, 0);
    }

    #[test]
    fn output_lines_read_back_and_other_lines_are_skipped() {
        let disk = DiskUse {
            bytes: 4096,
            entries: 3,
            complete: true,
        };
        let output = format!(
            "{}\nwarning: something\n{}\n",
            output_line("/ws/7", disk),
            output_line(
                "/ws/8",
                DiskUse {
                    complete: false,
                    ..disk
                }
            )
        );
        let lines = parse_output(&output);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].path, "/ws/7");
        assert_eq!(lines[0].disk, disk);
        assert!(!lines[1].disk.complete);
    }
}
