//! What every request handler can reach: settings, the world, the store, auth, metrics, and
//! the board's and chats' event streams.

use std::sync::Arc;

use shared::tier::TierTable;
use shared::{AccountId, AgentId, BoardEvent, ChatMessage};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::auth::{Credentials, JwtKeys, RateLimits};
use crate::config::Settings;
use crate::economy::{Ledger, TierBook, TierRequestLimits};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::world::{TileMap, WorldHandle};

/// Shared state of the HTTP and WebSocket handlers. Every extractor and middleware clones it,
/// so it is one `Arc` (one atomic increment per clone, not one per field); fields are reached
/// through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl AppState {
    /// The compliance guard with the store its decisions go to, for `board::screen`.
    pub fn screener(&self) -> crate::board::screen::Screener<'_> {
        crate::board::screen::Screener {
            guard: &self.guard,
            store: &self.store,
        }
    }

    /// What settling an LLM call writes to, for `llm::meter::settle`.
    pub fn llm_meter(&self) -> crate::llm::meter::MeterOutlets<'_> {
        crate::llm::meter::MeterOutlets {
            ledger: &self.ledger,
            store: &self.store,
            metrics: &self.metrics,
        }
    }

    /// What registering and signing in use, for `auth::sign_in`.
    pub fn sign_in_desk(&self) -> crate::auth::sign_in::SignInDesk<'_> {
        crate::auth::sign_in::SignInDesk {
            settings: &self.settings.auth,
            store: &self.store,
            rate_limits: &self.rate_limits,
            screener: self.screener(),
            logins: &self.metrics.auth_logins,
            dummy_password_hash: &self.dummy_password_hash,
        }
    }

    /// What recording and reading agents' tool calls use, for `tool_calls`.
    pub fn transcripts(&self) -> crate::tool_calls::Transcripts<'_> {
        crate::tool_calls::Transcripts {
            store: &self.store,
            world: &self.world,
            tiers: &self.tiers,
            tier_book: &self.tier_book,
        }
    }

    /// What publishing and reading agents' notebooks use, for `notebooks`.
    pub fn notebooks(&self) -> crate::notebooks::Notebooks<'_> {
        crate::notebooks::Notebooks {
            store: &self.store,
            world: &self.world,
        }
    }

    /// What money requests use, for `economy::desk`.
    pub fn money_desk(&self) -> crate::economy::desk::MoneyDesk<'_> {
        crate::economy::desk::MoneyDesk {
            settings: &self.settings.economy,
            tiers: &self.tiers,
            ledger: &self.ledger,
            store: &self.store,
            world: &self.world,
            board: self.board_desk(),
        }
    }

    /// What the board's reads and writes use, for `board::posts`.
    pub fn board_desk(&self) -> crate::board::posts::BoardDesk<'_> {
        crate::board::posts::BoardDesk {
            settings: &self.settings.board,
            store: &self.store,
            world: &self.world,
            screener: self.screener(),
            outlets: self.board_outlets(),
        }
    }

    /// What an admin's work on agents' accounts uses, for `auth::agents_admin`.
    pub fn agent_desk(&self) -> crate::auth::agents_admin::AgentDesk<'_> {
        crate::auth::agents_admin::AgentDesk {
            store: &self.store,
            world: &self.world,
            map: &self.map,
            credentials: &self.credentials,
            tier_book: &self.tier_book,
            screener: self.screener(),
            runtime_changes: &self.runtime_changes,
        }
    }

    /// What the kill switch uses, for `auth::agent_control`.
    pub fn control_desk(&self) -> crate::auth::agent_control::ControlDesk<'_> {
        crate::auth::agent_control::ControlDesk {
            store: &self.store,
            world: &self.world,
            credentials: &self.credentials,
            tier_book: &self.tier_book,
            runtime_reports: &self.runtime_reports,
        }
    }

    /// What an admin's work on people's accounts uses, for `auth::accounts_admin`.
    pub fn account_desk(&self) -> crate::auth::accounts_admin::AccountDesk<'_> {
        crate::auth::accounts_admin::AccountDesk {
            store: &self.store,
            credentials: &self.credentials,
            screener: self.screener(),
        }
    }

    /// Where committed chat messages go (`WS /ws/chats`), for `board::chats`.
    pub fn chat_outlet(&self) -> crate::board::chats::ChatOutlet<'_> {
        crate::board::chats::ChatOutlet::new(move |chat, message| {
            // No subscribers is not an error.
            let _ = self.chat_events.send(Arc::new(ChatDelivery {
                human_account_id: chat.human_account_id,
                agent_id: chat.agent_id,
                message,
            }));
        })
    }

    /// What the chats' reads and writes use, for `board::chats`.
    pub fn chat_desk(&self) -> crate::board::chats::ChatDesk<'_> {
        crate::board::chats::ChatDesk {
            settings: &self.settings.board,
            store: &self.store,
            world: &self.world,
            screener: self.screener(),
            outlet: self.chat_outlet(),
        }
    }

    /// What moderation uses, for `board::moderation`.
    pub fn moderation_desk(&self) -> crate::board::moderation::ModerationDesk<'_> {
        crate::board::moderation::ModerationDesk {
            store: &self.store,
            outlets: self.board_outlets(),
            chats: self.chat_outlet(),
        }
    }

    /// Where committed board events go, for `board::publish`.
    pub fn board_outlets(&self) -> crate::board::publish::BoardOutlets<'_> {
        crate::board::publish::BoardOutlets {
            store: &self.store,
            board_events: &self.board_events,
            world: &self.world,
            metrics: &self.metrics,
        }
    }
}

/// What [`AppState`] holds.
pub struct SharedState {
    pub settings: Arc<Settings>,
    /// The compliance guard every post, reply and chat message passes.
    pub guard: Arc<crate::compliance::Guard>,
    /// The static map, for checks that need no world state (landmark names).
    pub map: Arc<TileMap>,
    pub world: WorldHandle,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub jwt: Arc<JwtKeys>,
    pub credentials: Arc<Credentials>,
    pub rate_limits: Arc<RateLimits>,
    /// Held while a change to credentials (token issue or revoke, role change, logout) is
    /// committed and mirrored into `credentials`, so two changes cannot interleave and leave
    /// memory disagreeing with the database.
    pub credential_changes: tokio::sync::Mutex<()>,
    /// Checked when a login names no account, so a miss takes as long as a wrong password.
    pub dummy_password_hash: String,
    /// Board changes, after they are committed, for `WS /ws/board`.
    pub board_events: broadcast::Sender<Arc<BoardEvent>>,
    /// Chat messages, after they are committed, for `WS /ws/chats` (each client keeps only
    /// those of its own chats).
    pub chat_events: broadcast::Sender<Arc<ChatDelivery>>,
    /// The ledger writer: the only way money moves.
    pub ledger: Ledger,
    /// The compute tier table in effect.
    pub tiers: Arc<TierTable>,
    /// Every agent's committed balance and boosts, for the tier of each request.
    pub tier_book: Arc<TierBook>,
    /// Agents' request limits by tier.
    pub tier_limits: Arc<TierRequestLimits>,
    /// The LLM gateway's client to its upstreams (`llm.upstream_timeout_ms` per call).
    pub llm_client: reqwest::Client,
    /// Tokens and money held by LLM calls in flight.
    pub llm_reservations: Arc<crate::llm::reservations::Reservations>,
    /// The agent runtime's latest report of each agent's container.
    pub runtime_reports: Arc<crate::runtime_reports::RuntimeReports>,
    /// Bumped whenever what the runtime should run may have changed; the launcher waits on it.
    pub runtime_changes: Arc<crate::runtime_changes::RuntimeChanges>,
    /// Cancelled when the server shuts down; streams close on it.
    pub shutdown: CancellationToken,
}

/// A committed chat message and the two members who may see it.
#[derive(Debug)]
pub struct ChatDelivery {
    pub human_account_id: AccountId,
    pub agent_id: AgentId,
    pub message: ChatMessage,
}
