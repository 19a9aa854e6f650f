//! The agent's desk for the tasks people give it: the task chats ([`ChatWatch`]), the posts
//! addressed to it ([`PostWatch`]) and its task book ([`TaskBook`]) together. It picks the
//! task to work on next (a chat waiting, then a post waiting, then a task it reported progress
//! on), turns a finished turn into the message or reply that answers it, keeps a post's answer
//! as a draft until the agent stands at the board, and publishes the book for staff. It makes
//! API reads and the notebook write, never a model call: the brain runs the turn.

use std::path::Path;
use std::time::Duration;

use shared::api::AgentPerception;
use shared::api::notebook::{TaskSource, TaskState};
use shared::{ActivityKind, AgentId, ChatId, ChatMessage, MessageId, PostId, PostStatus};
use tokio::time::Instant;

use super::brain::{Intent, Outcome, Recall};
use super::chat_watch::{ChatWatch, PendingChat};
use super::client::{ApiClient, ClientError};
use super::post_watch::PostWatch;
use super::scripted::BOARD;
use super::task_ask::{TaskAsk, Through};
use super::task_book::{Draft, TaskBook, TurnRecord};
use super::task_turn::TaskAnswer;

/// Least time between two publications of the notebook.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(30);
/// Replies to posts sent in one step.
const DRAFTS_PER_STEP_MAX: usize = 2;
/// Refusals of a reply or chat message after which it is not tried again.
pub const FINAL_ANSWER_CODES: [&str; 4] = [
    "thread_locked",
    "thread_full",
    "unknown_post",
    "unknown_chat",
];

/// A task to work on, and whether the person wrote since the agent last answered.
#[derive(Debug, Clone)]
pub struct Picked {
    pub ask: TaskAsk,
    pub fresh: bool,
}

/// The desk of one agent.
#[derive(Debug)]
pub struct TaskDesk {
    me: AgentId,
    pub chats: ChatWatch,
    posts: PostWatch,
    pub book: TaskBook,
    last_publish: Option<Instant>,
    requests: u32,
}

impl TaskDesk {
    /// The desk of agent `me`, its state in `workspace` (read now).
    pub fn open(me: AgentId, workspace: &Path) -> TaskDesk {
        TaskDesk {
            me,
            chats: ChatWatch::open(me, workspace),
            posts: PostWatch::open(me, workspace),
            book: TaskBook::open(workspace),
            last_publish: None,
            requests: 0,
        }
    }

    /// The same desk reading chats and threads every `every` (tests: a fraction of a second).
    pub fn with_poll_interval(mut self, every: Duration) -> TaskDesk {
        self.chats = self.chats.with_poll_interval(every);
        self.posts = self.posts.with_poll_interval(every);
        self
    }

    /// Folds in the posts addressed to it and what became of last step's answers.
    pub fn observe(&mut self, perception: &AgentPerception, recall: &Recall<'_>) {
        self.posts.note_feed(&perception.board.posts_to_me);
        for (intent, outcome) in recall.previous {
            let delivered = match outcome {
                Outcome::Done | Outcome::Ran(_) => true,
                Outcome::Failed { code, .. } => FINAL_ANSWER_CODES.contains(&code.as_str()),
            };
            match (intent, delivered) {
                (Intent::Reply { post_id, .. }, true) => {
                    if let Some(draft) = self.book.drop_draft(*post_id) {
                        self.posts.answered(*post_id, draft.through);
                    }
                }
                (
                    Intent::ChatMessage {
                        chat_id, through, ..
                    },
                    true,
                ) => self.chats.answered(*chat_id, *through),
                _ => {}
            }
        }
    }

    /// The task to work on now, if any, within `calls_max` model calls per ask.
    pub async fn next(
        &mut self,
        client: &ApiClient,
        calls_max: u32,
    ) -> Result<Option<Picked>, ClientError> {
        if let Some(picked) = self.next_chat(client).await? {
            return Ok(Some(picked));
        }
        let drafted: Vec<PostId> = self.book.drafts().iter().map(|d| d.post_id).collect();
        let post = self.posts.next(client, &drafted).await;
        self.requests += self.posts.take_requests();
        if let Some(post) = post? {
            self.requests += 1;
            let thread = client.post_thread(post).await?;
            let ask = TaskAsk::from_post(self.me, &thread);
            let latest = match ask.through {
                Through::Post(latest) => latest,
                Through::Chat(_) => 0,
            };
            if thread.post.status != PostStatus::Open {
                // Closed or locked since: nothing can be answered there any more.
                self.posts.answered(post, latest);
                return Ok(None);
            }
            self.posts.note_latest(post, latest);
            return Ok(Some(self.fresh(ask)));
        }
        let Some(source) = self.continuing(calls_max) else {
            return Ok(None);
        };
        self.requests += 1;
        let ask = match source {
            TaskSource::Chat(chat) => {
                let thread = client.chat(chat).await?;
                TaskAsk::from_chat(
                    self.me,
                    &pending_chat(self.me, thread.chat, thread.messages, chat),
                )
            }
            TaskSource::Post(post) => TaskAsk::from_post(self.me, &client.post_thread(post).await?),
        };
        Ok(Some(Picked { ask, fresh: false }))
    }

    /// The task chat waiting for an answer, if any (the scripted brain answers only these:
    /// it answers posts addressed to it by its own rules).
    pub async fn next_chat(&mut self, client: &ApiClient) -> Result<Option<Picked>, ClientError> {
        let chat = self.chats.next(client).await;
        self.requests += self.chats.take_requests();
        Ok(chat?.map(|pending| self.fresh(TaskAsk::from_chat(self.me, &pending))))
    }

    /// The model calls left for `source` since its person last wrote, of `calls_max`.
    pub fn calls_left(&self, source: TaskSource, calls_max: u32) -> u32 {
        calls_max.saturating_sub(self.book.spent_since_ask(source))
    }

    /// What a turn on `ask` did: folded into the book; the answer, if any, as the intent
    /// that sends it (a post's answer is kept as a draft until the agent is at the board).
    pub async fn settle(
        &mut self,
        client: &ApiClient,
        ask: &TaskAsk,
        record: TurnRecord,
        answer: Option<TaskAnswer>,
        perception: &AgentPerception,
    ) -> Vec<Intent> {
        self.book.record_turn(ask.source, record);
        let Some(answer) = answer else {
            return Vec::new();
        };
        match (ask.source, ask.through) {
            (TaskSource::Chat(chat_id), Through::Chat(through)) => vec![Intent::ChatMessage {
                chat_id,
                body: answer.text,
                through,
            }],
            (TaskSource::Post(post_id), Through::Post(through)) => {
                self.book.keep_draft(Draft {
                    post_id,
                    body: answer.text,
                    through,
                });
                self.deliver(client, perception).await
            }
            _ => Vec::new(),
        }
    }

    /// The drafts as replies when the agent stands at the board; else the walk there. A draft
    /// the thread already shows from the agent (sent just before a restart, its outcome never
    /// seen) is dropped, not sent twice.
    pub async fn deliver(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
    ) -> Vec<Intent> {
        if self.book.drafts().is_empty() {
            return Vec::new();
        }
        let me = &perception.world.me;
        if perception.world.at_landmark.as_deref() != Some(BOARD) {
            let walking = me.activity.kind == ActivityKind::Walking
                && me.activity.landmark.as_deref() == Some(BOARD);
            return if walking {
                Vec::new()
            } else {
                vec![Intent::MoveTo {
                    landmark: BOARD.to_string(),
                }]
            };
        }
        let drafts: Vec<Draft> = self
            .book
            .drafts()
            .iter()
            .take(DRAFTS_PER_STEP_MAX)
            .cloned()
            .collect();
        let mut replies = Vec::new();
        for draft in drafts {
            self.requests += 1;
            let sent = match client.post_thread(draft.post_id).await {
                Ok(thread) => thread.replies.iter().any(|r| {
                    r.author.agent_id == Some(self.me) && r.body.trim() == draft.body.trim()
                }),
                // Unreadable now: try to send; a refusal for good drops it (`observe`).
                Err(_) => false,
            };
            if sent {
                self.book.drop_draft(draft.post_id);
                self.posts.answered(draft.post_id, draft.through);
                continue;
            }
            replies.push(Intent::Reply {
                post_id: draft.post_id,
                body: draft.body,
            });
        }
        replies
    }

    /// Publishes the notebook when the book changed and the last publication is old enough.
    pub async fn publish(&mut self, client: &ApiClient, life: &str) {
        let due = self
            .last_publish
            .is_none_or(|at| at.elapsed() >= PUBLISH_INTERVAL);
        if !due || !self.book.take_changed() {
            return;
        }
        self.last_publish = Some(Instant::now());
        self.requests += 1;
        let mut notebook = self.book.notebook(life);
        notebook.fit();
        if let Err(error) = client.put_notebook(&notebook).await {
            // An older server has no notebook route; the book in the workspace is what counts.
            tracing::warn!(%error, "publishing the notebook failed");
        }
    }

    /// The API requests made since the last call.
    pub fn take_requests(&mut self) -> u32 {
        std::mem::take(&mut self.requests)
    }

    /// A person's new words on `ask`: the task is opened or asked again in the book.
    fn fresh(&mut self, ask: TaskAsk) -> Picked {
        self.book
            .note_asked(ask.source, &ask.title, &ask.asker, ask.request());
        Picked { ask, fresh: true }
    }

    /// The task the agent reported progress on, when it has calls left.
    fn continuing(&self, calls_max: u32) -> Option<TaskSource> {
        let working = self.book.tasks().filter(|t| t.state == TaskState::Working);
        let mut left = working.filter(|t| self.calls_left(t.source, calls_max) > 0);
        left.next().map(|t| t.source)
    }
}

/// A chat's thread as a pending chat: its visible messages, through the person's latest.
fn pending_chat(
    me: AgentId,
    chat: shared::Chat,
    messages: Vec<ChatMessage>,
    id: ChatId,
) -> PendingChat {
    let messages: Vec<ChatMessage> = messages.into_iter().filter(|m| !m.held).collect();
    let theirs = messages.iter().filter(|m| m.author.agent_id != Some(me));
    let through = theirs.map(|m| m.id).max().unwrap_or(MessageId(0));
    debug_assert_eq!(chat.id, id);
    PendingChat {
        chat,
        messages,
        through,
    }
}
