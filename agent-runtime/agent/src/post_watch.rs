//! Which posts addressed to the agent wait for its answer. A post reaches the agent once, in
//! its perception's board feed; the asker's later words (the answer to a clarifying question,
//! "that is not what I meant") come as replies in the post's thread, which no feed shows, so
//! the watch reads the thread of each post it answered, one post per [`POLL_INTERVAL`], for
//! [`FOLLOW_UP_WINDOW`] after its answer. A post waits while the asker's latest word (0 for
//! the post itself, else a reply id) is newer than what the agent answered; `posts.json` in
//! the workspace keeps that, so a restarted agent neither answers twice nor forgets a post.
//! Bounded: [`POSTS_KEPT_MAX`] posts. It decides nothing: the brain does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::{AgentId, BoardPost, PostId, PostStatus};
use tokio::time::Instant;

use super::client::{ApiClient, ClientError};
use super::task_book::now_ms;
use super::workspace_file::{read_or_default, write_whole};

/// Least time between two reads of a thread for the asker's follow-up.
pub const POLL_INTERVAL: Duration = Duration::from_secs(20);
/// How long after its answer a thread is read for a follow-up, in ms.
pub const FOLLOW_UP_WINDOW_MS: i64 = 24 * 3_600 * 1_000;
/// The same, as a duration, for the docs.
pub const FOLLOW_UP_WINDOW: Duration = Duration::from_millis(FOLLOW_UP_WINDOW_MS as u64);
/// Posts whose state is kept (the most recently answered or seen).
pub const POSTS_KEPT_MAX: usize = 32;

/// What is kept per post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    /// The asker's latest word seen: 0 for the post itself, else a reply id.
    latest: u64,
    /// The asker's word answered last, if any.
    answered: Option<u64>,
    /// When the agent answered last, or first saw the post (ms since the epoch).
    at_ms: i64,
    /// When the thread was last read for a follow-up.
    read_at_ms: i64,
}

impl Seen {
    fn waits(&self) -> bool {
        self.answered.is_none_or(|a| self.latest > a)
    }
}

/// The agent's view of the posts addressed to it.
#[derive(Debug)]
pub struct PostWatch {
    me: AgentId,
    path: PathBuf,
    seen: BTreeMap<PostId, Seen>,
    next_poll: Option<Instant>,
    /// Least time between two looks ([`POLL_INTERVAL`]; tests shorten it).
    poll_every: Duration,
    requests: u32,
}

impl PostWatch {
    /// The watch of agent `me`, its state in `workspace/posts.json` (read now; a missing or
    /// unreadable file starts empty).
    pub fn open(me: AgentId, workspace: &Path) -> PostWatch {
        let path = workspace.join("posts.json");
        let seen = read_or_default(&path);
        PostWatch {
            me,
            path,
            seen,
            next_poll: None,
            poll_every: POLL_INTERVAL,
            requests: 0,
        }
    }

    /// The same watch looking every `every` (tests: a fraction of a second).
    pub fn with_poll_interval(mut self, every: Duration) -> PostWatch {
        self.poll_every = every;
        self
    }

    /// Notes the open posts addressed to the agent that its board feed brought.
    pub fn note_feed(&mut self, posts: &[BoardPost]) {
        let mut changed = false;
        for post in posts {
            let mine = post.author.agent_id == Some(self.me);
            if mine || post.status != PostStatus::Open || self.seen.contains_key(&post.id) {
                continue;
            }
            let now = now_ms();
            let seen = Seen {
                at_ms: now,
                read_at_ms: now,
                ..Seen::default()
            };
            self.seen.insert(post.id, seen);
            changed = true;
        }
        if changed {
            self.forget_oldest();
            self.save();
        }
    }

    /// The post to answer now, if any (the longest waiting first), but those in `drafted`
    /// (their answer waits for the board); reads one answered thread for a follow-up when a
    /// read is due.
    pub async fn next(
        &mut self,
        client: &ApiClient,
        drafted: &[PostId],
    ) -> Result<Option<PostId>, ClientError> {
        if self.next_poll.is_none_or(|at| Instant::now() >= at) {
            self.next_poll = Some(Instant::now() + self.poll_every);
            self.read_one_thread(client).await?;
        }
        let waiting = self
            .seen
            .iter()
            .filter(|(id, s)| s.waits() && !drafted.contains(id));
        Ok(waiting.min_by_key(|(_, s)| s.at_ms).map(|(id, _)| *id))
    }

    /// The API requests made since the last call.
    pub fn take_requests(&mut self) -> u32 {
        std::mem::take(&mut self.requests)
    }

    /// Notes the asker's latest word in `post` as read in its thread.
    pub fn note_latest(&mut self, post: PostId, latest: u64) {
        let seen = self.seen.entry(post).or_default();
        seen.latest = seen.latest.max(latest);
        self.save();
    }

    /// Notes that `post` was answered through the asker's word `through`, or given up on.
    pub fn answered(&mut self, post: PostId, through: u64) {
        let seen = self.seen.entry(post).or_default();
        seen.answered = seen.answered.max(Some(through));
        seen.latest = seen.latest.max(through);
        seen.at_ms = now_ms();
        self.save();
    }

    /// Reads the thread of the answered post read longest ago within the window.
    async fn read_one_thread(&mut self, client: &ApiClient) -> Result<(), ClientError> {
        let now = now_ms();
        let due = self
            .seen
            .iter()
            .filter(|(_, s)| !s.waits() && now - s.at_ms < FOLLOW_UP_WINDOW_MS)
            .min_by_key(|(_, s)| s.read_at_ms)
            .map(|(id, _)| *id);
        let Some(post) = due else { return Ok(()) };
        self.requests += 1;
        if let Some(seen) = self.seen.get_mut(&post) {
            seen.read_at_ms = now;
        }
        let thread = match client.post_thread(post).await {
            Ok(thread) => thread,
            Err(error) if error.code() == "unknown_post" => {
                self.seen.remove(&post);
                self.save();
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let asker = thread.post.author.account_id;
        let latest = thread
            .replies
            .iter()
            .filter(|r| r.author.account_id == asker && !r.held && !r.hidden)
            .map(|r| r.id.0)
            .max()
            .unwrap_or(0);
        if thread.post.status == PostStatus::Open {
            self.note_latest(post, latest);
        }
        Ok(())
    }

    /// Keeps at most [`POSTS_KEPT_MAX`] posts: the most recently answered or seen.
    fn forget_oldest(&mut self) {
        while self.seen.len() > POSTS_KEPT_MAX {
            let oldest = self
                .seen
                .iter()
                .min_by_key(|(_, s)| s.at_ms)
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { break };
            self.seen.remove(&oldest);
        }
    }

    /// Writes the state (a failure is logged: the agent may answer twice).
    fn save(&self) {
        write_whole(&self.path, &self.seen);
    }
}
