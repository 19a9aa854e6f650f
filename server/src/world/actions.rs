//! Actions an agent takes where it stands: talk, use the board, work, idle.

use shared::api::{Action, ActionOutcome, HeardSpeech};
use shared::protocol::Speech;
use shared::{Activity, ActivityKind, AgentId, Tick, TilePos};

use super::error::WorldError;
use super::state::World;
use super::text::checked_text;

/// The kind of landmark where agents use the board (and post on it).
pub const BOARD_KIND: &str = "board";

impl World {
    /// Performs an action for agent `id` at time `now_ms`.
    pub fn act(
        &mut self,
        id: AgentId,
        action: Action,
        now_ms: i64,
    ) -> Result<ActionOutcome, WorldError> {
        let slot = self.slot(id)?;
        let status = self.agents[slot].view.status;
        if !status.may_act() {
            return Err(WorldError::NotAllowed(status));
        }
        let name = action.name();
        let heard_by = match action {
            Action::Talk { text } => Some(self.talk(slot, text)?),
            Action::UseBoard {} => {
                let board = self.landmark_kind_at(self.agents[slot].pos(), BOARD_KIND)?;
                self.settle(slot, ActivityKind::UsingBoard, Some(board), None);
                None
            }
            Action::Work { detail } => {
                let detail = detail
                    .map(|d| checked_text("detail", &d, self.limits.activity_detail_chars_max))
                    .transpose()?;
                let at = self.agents[slot].pos();
                let landmark =
                    self.map
                        .landmark_at(at)
                        .map(|l| l.key.clone())
                        .ok_or_else(|| WorldError::WrongPlace {
                            wanted: "a landmark".into(),
                            at,
                        })?;
                self.settle(slot, ActivityKind::Working, Some(landmark), detail);
                None
            }
            Action::Idle {} => {
                let landmark = self
                    .map
                    .landmark_at(self.agents[slot].pos())
                    .map(|l| l.key.clone());
                self.settle(slot, ActivityKind::Idle, landmark, None);
                None
            }
        };
        self.touch(slot, now_ms);
        Ok(ActionOutcome {
            action: name,
            activity: self.agents[slot].view.activity.clone(),
            heard_by,
        })
    }

    /// Stops the agent's walk and starts an activity where it stands.
    fn settle(
        &mut self,
        slot: usize,
        kind: ActivityKind,
        landmark: Option<String>,
        detail: Option<String>,
    ) {
        self.stop_walking(slot);
        self.set_activity(
            slot,
            Activity {
                kind,
                landmark,
                detail,
            },
        );
    }

    /// Says `text`; returns how many agents heard it.
    fn talk(&mut self, slot: usize, text: String) -> Result<usize, WorldError> {
        let text = checked_text("text", &text, self.limits.speech_chars_max)?;
        let speaker = &self.agents[slot];
        // The line is spoken during the tick being built, which is `self.tick + 1`.
        let now = self.tick.next();
        if now < speaker.talk_ready_at {
            let ticks = speaker.talk_ready_at.0 - now.0;
            return Err(WorldError::TalkTooSoon {
                retry_after_ms: ticks * self.limits.tick_interval_ms,
            });
        }
        let line = HeardSpeech {
            tick: now,
            from: speaker.id(),
            from_name: speaker.view.display_name.clone(),
            from_pos: speaker.pos(),
            text: text.clone(),
        };
        let radius = u32::from(self.limits.talk_radius_tiles);
        let heard_max = self.limits.heard_speech_max;
        let mut heard_by = 0;
        for (other_slot, other) in self.agents.iter_mut().enumerate() {
            if other_slot != slot && other.pos().chebyshev(line.from_pos) <= radius {
                other.hear(line.clone(), heard_max);
                heard_by += 1;
            }
        }
        let speaker = &mut self.agents[slot];
        speaker.talk_ready_at = Tick(now.0 + self.limits.talk_cooldown_ticks);
        self.pending.speech.push(Speech {
            id: line.from,
            pos: line.from_pos,
            text,
        });
        Ok(heard_by)
    }

    /// The key of the first landmark of `kind`, or the kind itself when there is none.
    /// The key of the landmark of `kind` agent `id` stands on, or `WrongPlace` naming one.
    /// The board's rule (agents post only at the board) asks this too.
    pub fn standing_on(&self, id: AgentId, kind: &str) -> Result<String, WorldError> {
        self.landmark_kind_at(self.agent(id)?.pos, kind)
    }

    fn landmark_kind_at(&self, at: TilePos, kind: &str) -> Result<String, WorldError> {
        self.map
            .landmark_at(at)
            .filter(|l| l.kind == kind)
            .map(|l| l.key.clone())
            .ok_or_else(|| WorldError::WrongPlace {
                wanted: self.landmark_of_kind(kind),
                at,
            })
    }

    fn landmark_of_kind(&self, kind: &str) -> String {
        self.map
            .landmarks()
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| format!("the {} landmark ({})", l.key, l.label))
            .unwrap_or_else(|| format!("a {kind} landmark"))
    }
}
