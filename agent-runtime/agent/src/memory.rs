//! The reflect step: the agent's memory, `<workspace>/memory.jsonl`, one JSON line per loop
//! step (where it was, what it tried, what failed). The file is bounded: past
//! [`MEMORY_BYTES_MAX`] it is rewritten as one summary line (counts of moves, posts, replies
//! and failures, first and last time) followed by the last [`KEEP_LINES`] step lines, through a
//! temporary file renamed over the old one, so a crash leaves either file whole. A crash in
//! the middle of an append leaves at most one torn last line, which every reader skips. On
//! start the memory tells the loop where it left off (step number, board cursor). Plain
//! blocking file I/O on small files; the loop runs it on the blocking pool.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared::TilePos;

/// The memory file's name inside the workspace.
pub const MEMORY_FILE: &str = "memory.jsonl";
/// Size past which the file is summarised, in bytes.
pub const MEMORY_BYTES_MAX: u64 = 256 * 1024;
/// Step lines kept whole when summarising.
pub const KEEP_LINES: usize = 128;
/// Longest line written, in bytes; step lines are far shorter (kinds and codes, no texts).
pub const LINE_BYTES_MAX: usize = 1024;
/// Most bytes read back: the memory keeps its file under [`MEMORY_BYTES_MAX`] plus a line,
/// so only a file grown by something else is larger, and then only its tail is read.
pub const READ_BYTES_MAX: u64 = 4 * MEMORY_BYTES_MAX;
/// Longest error code or landmark key kept in a line, in characters.
const FIELD_CHARS_MAX: usize = 64;

// The kept lines fill at most half the limit, so a summary frees at least half the file and
// summaries cannot follow each other step after step.
const _: () = assert!((KEEP_LINES * LINE_BYTES_MAX) as u64 <= MEMORY_BYTES_MAX / 2);

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("memory file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("memory line cannot be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("memory line of {0} bytes is over {LINE_BYTES_MAX}")]
    LineTooLong(usize),
}

/// One intent of a step and, when it failed, its error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActRecord {
    /// `move`, `work`, `post`, `reply`, ...
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ActRecord {
    pub fn new(kind: &str, error: Option<&str>) -> ActRecord {
        ActRecord {
            kind: clip(kind),
            error: error.map(clip),
        }
    }
}

/// One loop step as remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StepRecord {
    pub step: u64,
    /// Wall-clock time of the step, ms since the Unix epoch.
    pub at_ms: i64,
    /// The world tick it perceived (none when perceiving failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<TilePos>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_landmark: Option<String>,
    /// The board cursor after this step, to resume the feed after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board_cursor: Option<String>,
    #[serde(default)]
    pub acts: Vec<ActRecord>,
    /// Why the step itself failed (perceiving, or running out of time), as an error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl StepRecord {
    /// Clips the free-form fields so the line stays under [`LINE_BYTES_MAX`].
    pub fn clipped(mut self) -> StepRecord {
        self.at_landmark = self.at_landmark.as_deref().map(clip);
        self.board_cursor = self.board_cursor.as_deref().map(clip);
        self.failure = self.failure.as_deref().map(clip);
        self
    }

    fn count_into(&self, summary: &mut Summary) {
        let done = |kind: &str| {
            self.acts
                .iter()
                .filter(|a| a.kind == kind && a.error.is_none())
                .count() as u64
        };
        summary.steps += 1;
        summary.moves += done("move");
        summary.posts += done("post");
        summary.replies += done("reply");
        summary.failures += self.acts.iter().filter(|a| a.error.is_some()).count() as u64
            + u64::from(self.failure.is_some());
        summary.first_ms = Some(summary.first_ms.map_or(self.at_ms, |t| t.min(self.at_ms)));
        summary.last_ms = Some(summary.last_ms.map_or(self.at_ms, |t| t.max(self.at_ms)));
        summary.last_step = Some(summary.last_step.map_or(self.step, |s| s.max(self.step)));
        if self.board_cursor.is_some() {
            summary.board_cursor.clone_from(&self.board_cursor);
        }
    }
}

/// Steps folded into one line: what they did, in counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Summary {
    pub steps: u64,
    pub moves: u64,
    pub posts: u64,
    pub replies: u64,
    pub failures: u64,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub last_step: Option<u64>,
    pub board_cursor: Option<String>,
}

impl Summary {
    fn merge(&mut self, other: &Summary) {
        self.steps += other.steps;
        self.moves += other.moves;
        self.posts += other.posts;
        self.replies += other.replies;
        self.failures += other.failures;
        self.first_ms = min_some(self.first_ms, other.first_ms);
        self.last_ms = self.last_ms.max(other.last_ms);
        self.last_step = self.last_step.max(other.last_step);
        if other.board_cursor.is_some() {
            self.board_cursor.clone_from(&other.board_cursor);
        }
    }
}

/// A line of the file: the summary (first line, if any) or a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Line {
    Summary { summary: Summary },
    Step(StepRecord),
}

/// Where the previous run left off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resume {
    /// The number of the next step (0 for a fresh memory).
    pub next_step: u64,
    /// The last board cursor seen, so answered posts are not answered again.
    pub board_cursor: Option<String>,
}

/// The memory file of one agent. Cheap to clone; holds no open file.
#[derive(Debug, Clone)]
pub struct Memory {
    path: PathBuf,
    bytes_max: u64,
    keep_lines: usize,
}

impl Memory {
    /// The memory in `workspace`, with the standard limits.
    pub fn new(workspace: &Path) -> Memory {
        Memory::with_limits(workspace, MEMORY_BYTES_MAX, KEEP_LINES)
    }

    /// The memory with other limits (tests summarise small files).
    pub fn with_limits(workspace: &Path, bytes_max: u64, keep_lines: usize) -> Memory {
        Memory {
            path: workspace.join(MEMORY_FILE),
            bytes_max,
            keep_lines,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, source: std::io::Error) -> MemoryError {
        MemoryError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends one step line, then summarises the file if it has grown past the limit.
    pub fn append(&self, record: &StepRecord) -> Result<(), MemoryError> {
        // The same JSON as `Line::Step(record)`: the untagged variant adds nothing.
        let mut line = serde_json::to_string(record)?;
        if line.len() > LINE_BYTES_MAX {
            return Err(MemoryError::LineTooLong(line.len()));
        }
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| self.io_error(e))?;
        // One write of the whole line: O_APPEND keeps it in one piece unless the process dies.
        file.write_all(line.as_bytes())
            .map_err(|e| self.io_error(e))?;
        let len = file.metadata().map_err(|e| self.io_error(e))?.len();
        if len > self.bytes_max {
            self.summarise()?;
        }
        Ok(())
    }

    /// Every readable line of the file, oldest first (none when there is no file yet); of a
    /// file grown past [`READ_BYTES_MAX`] by something else, only the lines of its tail.
    pub fn read_lines(&self) -> Result<Vec<Line>, MemoryError> {
        let mut file = match fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io_error(e)),
        };
        let len = file.metadata().map_err(|e| self.io_error(e))?.len();
        let skip = len.saturating_sub(READ_BYTES_MAX);
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(skip))
            .and_then(|_| file.take(READ_BYTES_MAX).read_to_end(&mut bytes))
            .map_err(|e| self.io_error(e))?;
        let text = String::from_utf8_lossy(&bytes);
        // A read from the middle of the file starts inside a line: that line is dropped.
        let text = match skip {
            0 => &text[..],
            _ => text.split_once('\n').map_or("", |(_, rest)| rest),
        };
        Ok(text
            .lines()
            // A torn line (a crash mid-append) or a foreign line is skipped, not fatal.
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect())
    }

    /// Where the previous run left off.
    pub fn resume(&self) -> Result<Resume, MemoryError> {
        let mut summary = Summary::default();
        for line in self.read_lines()? {
            match line {
                Line::Summary { summary: s } => summary.merge(&s),
                Line::Step(step) => step.count_into(&mut summary),
            }
        }
        Ok(Resume {
            next_step: summary.last_step.map_or(0, |s| s.saturating_add(1)),
            board_cursor: summary.board_cursor,
        })
    }

    /// Rewrites the file as one summary line plus the last `keep_lines` step lines.
    fn summarise(&self) -> Result<(), MemoryError> {
        let lines = self.read_lines()?;
        let fold = lines.len().saturating_sub(self.keep_lines);
        let mut summary = Summary::default();
        for line in &lines[..fold] {
            match line {
                Line::Summary { summary: s } => summary.merge(s),
                Line::Step(step) => step.count_into(&mut summary),
            }
        }
        let mut text = serde_json::to_string(&Line::Summary { summary })?;
        text.push('\n');
        for line in &lines[fold..] {
            text.push_str(&serde_json::to_string(line)?);
            text.push('\n');
        }
        let temp = self.path.with_extension("jsonl.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temp)?;
            file.write_all(text.as_bytes())?;
            // On disk before the rename, so the rename never exposes a half-written file.
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        };
        write().map_err(|e| self.io_error(e))?;
        tracing::debug!(path = %self.path.display(), folded = fold, "memory summarised");
        Ok(())
    }
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn clip(text: &str) -> String {
    text.chars().take(FIELD_CHARS_MAX).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn record(step: u64, acts: &[(&str, Option<&str>)]) -> StepRecord {
        StepRecord {
            step,
            at_ms: 1_000 + step as i64,
            tick: Some(step * 10),
            board_cursor: Some(format!("r{step}-p0")),
            acts: acts.iter().map(|(k, e)| ActRecord::new(k, *e)).collect(),
            ..StepRecord::default()
        }
    }

    #[test]
    fn each_step_is_one_line_and_resume_continues_after_the_last() {
        // Appends add one line each; a new run starts at the step after the last, with its cursor.
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        assert_eq!(memory.resume().unwrap(), Resume::default());
        for step in 0..3 {
            memory.append(&record(step, &[("move", None)])).unwrap();
        }
        let text = fs::read_to_string(memory.path()).unwrap();
        assert_eq!(text.lines().count(), 3);
        let resume = memory.resume().unwrap();
        assert_eq!(resume.next_step, 3);
        assert_eq!(resume.board_cursor.as_deref(), Some("r2-p0"));
    }

    #[test]
    fn a_full_file_is_summarised_into_counts_and_the_last_lines() {
        // Past the limit, old lines become one summary whose counts add up to what was folded.
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::with_limits(dir.path(), 2_000, 4);
        let steps = 40;
        for step in 0..steps {
            let acts: &[(&str, Option<&str>)] = match step % 4 {
                0 => &[("move", None)],
                1 => &[("post", None), ("reply", None)],
                2 => &[("reply", Some("not_at_board"))],
                _ => &[],
            };
            memory.append(&record(step, acts)).unwrap();
        }
        let len = fs::metadata(memory.path()).unwrap().len();
        assert!(len <= 2_000, "file of {len} bytes");
        let lines = memory.read_lines().unwrap();
        let Line::Summary { summary } = &lines[0] else {
            panic!("first line is not a summary: {:?}", lines[0]);
        };
        let kept: Vec<&StepRecord> = lines[1..]
            .iter()
            .map(|l| match l {
                Line::Step(s) => s,
                Line::Summary { .. } => panic!("a second summary"),
            })
            .collect();
        assert!(kept.len() >= 4, "{} kept", kept.len());
        assert_eq!(summary.steps + kept.len() as u64, steps);
        assert_eq!(summary.first_ms, Some(1_000));
        assert_eq!(summary.last_step, Some(kept[0].step - 1));
        // Every summarised step is counted once: the folded ones are 0..first kept step.
        let folded = kept[0].step;
        let of_kind = |k: u64| (0..folded).filter(|s| s % 4 == k).count() as u64;
        assert_eq!(summary.moves, of_kind(0));
        assert_eq!(summary.posts, of_kind(1));
        assert_eq!(summary.replies, of_kind(1));
        assert_eq!(summary.failures, of_kind(2));
        assert_eq!(memory.resume().unwrap().next_step, steps);
        assert!(!dir.path().join("memory.jsonl.tmp").exists());
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        // A crash mid-append leaves a partial line; reading and resuming ignore it.
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        memory.append(&record(7, &[])).unwrap();
        let mut file = OpenOptions::new().append(true).open(memory.path()).unwrap();
        file.write_all(br#"{"step":8,"at_ms":12"#).unwrap();
        assert_eq!(memory.read_lines().unwrap().len(), 1);
        assert_eq!(memory.resume().unwrap().next_step, 8);
    }

    #[test]
    fn an_oversized_file_is_read_from_its_tail_only() {
        // A file grown far past the limit by something else is read only in its last bytes.
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        let junk = "x".repeat(READ_BYTES_MAX as usize + 10);
        fs::write(
            memory.path(),
            format!("{{\"step\":1,\"at_ms\":1}}\n{junk}\n"),
        )
        .unwrap();
        memory.append(&record(9, &[])).unwrap();
        let lines = memory.read_lines().unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(matches!(lines[0], Line::Summary { .. }));
        assert_eq!(memory.resume().unwrap().next_step, 10);
    }

    #[test]
    fn long_fields_are_clipped_to_keep_lines_bounded() {
        // A huge error code or landmark key cannot make a line exceed the line limit.
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        let long = "x".repeat(10_000);
        let mut step = record(1, &[("move", Some(long.as_str())); 4]);
        step.at_landmark = Some(long.clone());
        step.failure = Some(long);
        memory.append(&step.clipped()).unwrap();
        let text = fs::read_to_string(memory.path()).unwrap();
        assert!(text.len() <= LINE_BYTES_MAX + 1);
    }
}
