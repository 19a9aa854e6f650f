//! Agents' notebooks: an agent publishes its task memory (`shared::api::AgentNotebook`) for
//! itself only, and the agent itself and staff read it back. A notebook past its limits
//! ([`AgentNotebook::check`]) is refused whole and the stored one kept; one within them replaces
//! the stored one. Publishing is not audited: it is the agent's own memory, replaced every few
//! turns, and changes nothing anyone else relies on. Nothing here knows a transport.

use shared::AgentId;
use shared::api::{AgentNotebook, NotebookError};

use crate::auth::principal::AccessError;
use crate::auth::{Principal, Role};
use crate::board::rules::{self, BoardError};
use crate::clock::now_ms;
use crate::store::{PublishedNotebook, Store, StoreError};
use crate::world::{WorldError, WorldHandle};

/// Why a notebook was not stored or not shown.
#[derive(Debug, thiserror::Error)]
pub enum NotebookRefusal {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Past one of the notebook's limits.
    #[error("{0}")]
    TooLong(#[from] NotebookError),
    /// The agent exists but never published a notebook.
    #[error("agent {0} has not published a notebook")]
    NotPublished(AgentId),
    /// Unknown agent, or the world did not answer.
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What publishing and reading notebooks use (`AppState::notebooks`).
pub struct Notebooks<'a> {
    pub store: &'a Store,
    pub world: &'a WorldHandle,
}

impl Notebooks<'_> {
    /// Stores `notebook` as the calling agent's own, replacing the one before (agents only;
    /// there is no way to name another agent).
    pub async fn publish(
        &self,
        principal: &Principal,
        notebook: &AgentNotebook,
    ) -> Result<AgentId, NotebookRefusal> {
        principal.require(&[Role::Agent])?;
        let only_agents = || AccessError::ForbiddenRole("agents only".into());
        let agent = principal.agent_id.ok_or_else(only_agents)?;
        notebook.check()?;
        match self
            .store
            .save_agent_notebook(agent, notebook, now_ms())
            .await
        {
            Ok(()) => Ok(agent),
            // The agent's row went away while its token still worked.
            Err(error) if error.is_foreign_key_violation() => {
                Err(BoardError::World(WorldError::UnknownAgent(agent)).into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The notebook `agent` last published: for the agent itself and staff, the same rule as
    /// its transcript (`tool_calls::Transcripts::page`).
    pub async fn read(
        &self,
        principal: &Principal,
        agent: AgentId,
    ) -> Result<PublishedNotebook, NotebookRefusal> {
        principal.require_agent_or_staff(agent)?;
        rules::agent_exists(self.world, agent).await?;
        self.store
            .find_agent_notebook(agent)
            .await?
            .ok_or(NotebookRefusal::NotPublished(agent))
    }
}
