//! The HTTP contract: every request and answer body that two programs exchange (the server,
//! the in-container agent, the viewer, scripts) is one type here, never a copy on the other
//! side. Requests are strict (`deny_unknown_fields`: a typo is an error, not a silent no-op);
//! answers are tolerant (unknown fields ignored, lists absent read as empty) so a newer server
//! does not break an older agent or viewer. With the `openapi` feature every type derives its
//! schema, and the server's OpenAPI document is built from them, so it cannot drift from what
//! the programs send. The rules behind the bodies (limits, who may do what) stay the server's.

pub mod action;
pub mod audit;
pub mod auth;
pub mod board;
pub mod brain;
pub mod chat;
pub mod economy;
pub mod error;
pub mod movement;
pub mod notebook;
pub mod perception;
pub mod standing;
pub mod transcript;

pub use action::{Action, ActionError, ActionFields, ActionName, ActionOutcome};
pub use audit::AuditQuery;
pub use auth::{AgentToken, Credentials, RefreshRequest, TokenResponse};
pub use board::{CreatePostRequest, CreateReplyRequest, PostListQuery, PostPage, PostWithReplies};
pub use brain::{BrainRequest, BrainSwitched};
pub use chat::{ChatList, ChatMessageRequest, ChatThread, OpenChatRequest};
pub use economy::{
    DepositRequest, FeedbackRequest, LedgerPage, LedgerQuery, PurchaseRequest, TransferResult,
    TransferView,
};
pub use error::{ErrorBody, ErrorDetail};
pub use movement::{MoveFields, MovePlan, MoveRequest, MoveShapeError};
pub use notebook::{AgentNotebook, NotebookError, NotebookTask, TaskSource, TaskState};
pub use perception::{
    AgentPerception, BOARD_FEED_ITEMS_MAX, BoardFeed, HeardSpeech, NearbyAgent, NearbyLandmark,
    Perception,
};
pub use standing::{AgentDetail, BoostView, DowngradeView, LlmCallView, Standing};
pub use transcript::{ToolCallPage, ToolCallQuery};
