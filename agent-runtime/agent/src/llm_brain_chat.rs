//! The LLM brain's chat step: when a task chat waits for an answer, the step works on it
//! (`chat_turn.rs`) before anything else; a failed gateway call pauses the gateway as any
//! other and the scripted routine lives the step. A child of `llm_brain.rs`, which owns the
//! brain's state.

use shared::api::AgentPerception;

use super::LlmBrain;
use crate::brain::{DECIDE_ACTS_MAX, Decision, Recall};
use crate::chat_turn::{ChatTurn, ChatTurnEnd, answer_chat};
use crate::client::ApiClient;
use crate::tools::ToolLimits;

impl LlmBrain {
    /// A chat turn, when a task chat waits for an answer: the chat goes first. `None`: no
    /// chat waits (or the chats could not be read: logged, and life goes on).
    pub(super) async fn chat_step(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
        recall: &Recall<'_>,
    ) -> Option<Decision> {
        let chats = self.chats.as_mut()?;
        let next = chats.next(client).await;
        let watched = chats.take_requests();
        let pending = match next {
            Ok(pending) => pending?,
            Err(error) => {
                tracing::warn!(step = recall.step, %error, "reading the task chats failed");
                return None;
            }
        };
        let turn = ChatTurn {
            me: &perception.world.me,
            step: recall.step,
            model: &self.model,
            tools: &self.chat_tools,
            toolbox: self.toolbox.as_ref(),
            limits: ToolLimits::of(&perception.economy.entitlements),
            client: &client.clone().with_timeout(self.call_timeout),
        };
        tracing::info!(step = recall.step, chat = %pending.chat.id, "working on a task chat");
        let mut decision = match answer_chat(turn, &pending).await {
            ChatTurnEnd::Answered(decision) => {
                (self.failures, self.paused_until) = (0, None);
                decision
            }
            ChatTurnEnd::Failed { error, decision } => {
                let failed = self.call_failed(&error, recall.step, 0);
                let mut fallback =
                    self.scripted(perception, recall, decision.acts, decision.requests);
                fallback.acts.push(failed);
                fallback
            }
        };
        decision.requests += watched;
        decision.acts.truncate(DECIDE_ACTS_MAX);
        Some(decision)
    }
}
