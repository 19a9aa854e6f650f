//! Agent tokens for containers: where the launcher writes a fresh one before every start, and
//! where it gets it from ([`TokenSource`]: the server in the launcher, nothing or a stand-in in
//! tests of the engine alone).

use shared::AgentId;

/// Where the agent's token is written inside its container before every start (the agent's
/// own constant, which it reads the path by).
pub use agent::config::AGENT_TOKEN_PATH;

/// Where a container's agent token comes from: asked for a fresh one before every start.
pub trait TokenSource: Send + Sync {
    /// A new token for `agent` (the previous one stops working), or `None` to start without.
    fn fresh_token(
        &self,
        agent: AgentId,
    ) -> impl std::future::Future<Output = Result<Option<String>, String>> + Send;
}

impl<T: TokenSource> TokenSource for std::sync::Arc<T> {
    async fn fresh_token(&self, agent: AgentId) -> Result<Option<String>, String> {
        self.as_ref().fresh_token(agent).await
    }
}

/// Containers start without a token (tests of the engine alone).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTokens;

impl TokenSource for NoTokens {
    async fn fresh_token(&self, _agent: AgentId) -> Result<Option<String>, String> {
        Ok(None)
    }
}
