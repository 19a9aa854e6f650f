//! The no-model mode's answer to task chats: the scripted brain with a task desk. The scripted
//! brain cannot work on requests written in plain words, so each new message of a person in a
//! task chat gets one honest answer at once (no model is thinking for the agent now, nothing
//! was done, and what it can do instead) and the task is marked failed in its book: the person
//! is never left waiting and nothing is claimed. Posts addressed to the agent stay the scripted
//! brain's (it runs a ``run `command` `` asked there); everything else is the scripted brain's.

use shared::api::AgentPerception;

use super::brain::{Brain, Decider, Decision, INTENTS_PER_STEP_MAX, Intent, Recall};
use super::client::ApiClient;
use super::scripted::ScriptedBrain;
use super::task_book::TurnRecord;
use super::task_desk::TaskDesk;
use super::task_turn::TaskAnswer;

/// What a person who wrote in a task chat is told.
pub const NO_MODEL_ANSWER: &str = "I am sorry: I am running without a language model right \
    now, so I cannot work on requests written in plain words, and I have done nothing for this \
    one. What I can do: run one shell command in my container and show you its output. Post it \
    on the board addressed to me, written as run `your command`.";

/// The scripted brain, answering its task chats honestly.
#[derive(Debug)]
pub struct ScriptedOperator {
    brain: ScriptedBrain,
    desk: TaskDesk,
}

impl ScriptedOperator {
    pub fn new(brain: ScriptedBrain, desk: TaskDesk) -> ScriptedOperator {
        ScriptedOperator { brain, desk }
    }

    /// The intents answering the task chat waiting, if any (read failures are logged: the
    /// chat stays waiting and is answered a later step).
    async fn answer_chat(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
    ) -> Vec<Intent> {
        let picked = match self.desk.next_chat(client).await {
            Ok(Some(picked)) => picked,
            Ok(None) => return Vec::new(),
            Err(error) => {
                tracing::warn!(%error, "reading the task chats failed");
                return Vec::new();
            }
        };
        let answer = TaskAnswer::failed(NO_MODEL_ANSWER.to_string());
        let mut record = TurnRecord::default();
        answer.note_in(&mut record);
        self.desk
            .settle(client, &picked.ask, record, Some(answer), perception)
            .await
    }
}

impl Decider for ScriptedOperator {
    fn label(&self) -> &'static str {
        self.brain.name()
    }

    async fn decide_step<'a>(
        &'a mut self,
        client: &'a ApiClient,
        perception: &'a AgentPerception,
        recall: Recall<'a>,
    ) -> Decision {
        self.desk.observe(perception, &recall);
        let mut intents = self.brain.decide(perception, &recall);
        let answers = self.answer_chat(client, perception).await;
        intents.truncate(INTENTS_PER_STEP_MAX.saturating_sub(answers.len()));
        intents.splice(0..0, answers);
        let life = format!(
            "step {}; scripted brain (no model); {} tier, balance {} aiDollar",
            recall.step, perception.economy.tier, perception.economy.balance
        );
        self.desk.publish(client, &life).await;
        Decision {
            intents,
            acts: Vec::new(),
            requests: self.desk.take_requests(),
        }
    }
}
