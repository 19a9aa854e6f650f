//! Where the tier watcher's changes go, wired at startup (`economy` itself touches neither the
//! runtime's wake-up nor the world): the agent runtime is woken first, so the container's new
//! limits do not wait, then the change joins the world stream's next delta.

use shared::protocol::VillageEvent;

use crate::economy::tier_watch::{Announce, TierChange};
use crate::state::AppState;

/// The announcer the tier watcher is started with.
pub fn announce_tier_changes(state: &AppState) -> Announce {
    let (runtime, world) = (state.runtime_changes.clone(), state.world.clone());
    Box::new(move |change: TierChange| {
        runtime.bump();
        let world = world.clone();
        Box::pin(async move {
            let agent = change.agent;
            let event = VillageEvent::TierChanged {
                agent,
                from: change.from,
                to: change.to,
                reason: change.reason,
            };
            let pushed = world.call(move |world, _| world.push_event(event)).await;
            if !matches!(pushed, Ok(true)) {
                tracing::warn!(%agent, "a tier change did not reach the world stream");
            }
        })
    })
}
