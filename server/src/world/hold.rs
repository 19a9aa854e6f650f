//! The kill switch's effect on the world: a held agent stops where it stands and is refused
//! every move and action until released. Deciding holds is `crate::kill_switch`'s job.

use shared::{AgentId, AgentStatus};

use super::error::WorldError;
use super::state::World;

impl World {
    /// Sets an agent's status to `status` (a held one, or `Idle` on release), ends its walk,
    /// and announces the change; returns the status it had. Releasing an agent that is not
    /// held, or holding it again the same way, changes nothing.
    pub fn set_held_status(
        &mut self,
        id: AgentId,
        status: AgentStatus,
    ) -> Result<AgentStatus, WorldError> {
        let slot = self.slot(id)?;
        let before = self.agents[slot].view.status;
        let unchanged = before == status || (status.may_act() && before.may_act());
        if !unchanged {
            self.agents[slot].view.status = status;
            if !status.may_act() {
                self.agents[slot].path.clear();
            }
            self.note_status(slot);
        }
        Ok(before)
    }
}
