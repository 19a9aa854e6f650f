//! The demo driver: one world command per cycle moves every demo resident along its schedule,
//! starts its work on arrival and now and then has it say a line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared::api::{Action, MoveRequest};
use shared::{ActivityKind, AgentId};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::population::Resident;
use crate::world::{World, WorldHandle, WorldUnavailable};

/// How often the driver looks at its residents.
const DRIVE_INTERVAL: Duration = Duration::from_millis(500);
/// The village clock starts at 08:00 so residents head to work at once.
const START_MINUTE: u64 = 8 * 60;
/// Chance per cycle that a resident at its destination says something: 1 in this many.
const TALK_ODDS: u32 = 40;

/// A resident the driver moves.
#[derive(Debug, Clone)]
pub struct DemoResident {
    pub id: AgentId,
    pub resident: Resident,
}

struct Progress {
    entry: Option<usize>,
    arrived: bool,
}

struct Driver {
    residents: Arc<Vec<DemoResident>>,
    progress: Vec<Progress>,
    talk: Arc<Vec<String>>,
    rng: ChaCha8Rng,
}

/// Starts driving `residents` until `shutdown`.
pub fn spawn_demo(
    world: WorldHandle,
    residents: Vec<DemoResident>,
    talk: Vec<String>,
    seed: u64,
    village_minute_ms: u64,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    let progress = residents
        .iter()
        .map(|_| Progress {
            entry: None,
            arrived: false,
        })
        .collect();
    let mut driver = Some(Driver {
        residents: Arc::new(residents),
        progress,
        talk: Arc::new(talk),
        rng: ChaCha8Rng::seed_from_u64(seed),
    });
    tokio::spawn(async move {
        let started = Instant::now();
        let mut ticker = tokio::time::interval(DRIVE_INTERVAL);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let elapsed_minutes = started.elapsed().as_millis() as u64 / village_minute_ms.max(1);
            let minute = ((START_MINUTE + elapsed_minutes) % 1440) as u16;
            let Some(mut d) = driver.take() else { return };
            // The driver state travels into the world and back; on a timeout it is lost with the
            // command, so the demo starts over from fresh progress rather than stopping.
            let fresh = Driver::fresh_like(&d);
            match world
                .call(move |w, now| {
                    d.drive(w, now, minute);
                    d
                })
                .await
            {
                Ok(d) => driver = Some(d),
                Err(WorldUnavailable::Stopped) => return,
                Err(_) => driver = Some(fresh),
            }
        }
    })
}

impl Driver {
    /// A driver for the same residents with no progress (after a lost command).
    fn fresh_like(other: &Driver) -> Driver {
        Driver {
            residents: other.residents.clone(),
            progress: other
                .residents
                .iter()
                .map(|_| Progress {
                    entry: None,
                    arrived: false,
                })
                .collect(),
            talk: other.talk.clone(),
            rng: other.rng.clone(),
        }
    }

    fn drive(&mut self, world: &mut World, now_ms: i64, minute: u16) {
        for i in 0..self.residents.len() {
            let DemoResident { id, resident } = &self.residents[i];
            let id = *id;
            let Some(entry_index) = current_entry(resident, minute) else {
                continue;
            };
            let entry = resident.schedule[entry_index].clone();
            let progress = &mut self.progress[i];
            if progress.entry != Some(entry_index) {
                progress.entry = Some(entry_index);
                progress.arrived = false;
                let target = MoveRequest::Landmark {
                    landmark: entry.landmark.clone(),
                };
                if let Err(error) = world.request_move(id, target, now_ms) {
                    tracing::debug!(%error, %id, "demo resident could not set off");
                }
                continue;
            }
            let Ok(view) = world.agent(id) else { continue };
            if !progress.arrived {
                let there = world
                    .map()
                    .landmark(&entry.landmark)
                    .is_some_and(|l| l.area.contains(view.pos));
                if there && view.activity.kind != ActivityKind::Walking {
                    progress.arrived = true;
                    let is_board = world
                        .map()
                        .landmark(&entry.landmark)
                        .is_some_and(|l| l.kind == "board");
                    let action = if is_board {
                        Action::UseBoard {}
                    } else {
                        Action::Work {
                            detail: Some(entry.activity.clone()),
                        }
                    };
                    let _ = world.act(id, action, now_ms);
                } else if view.activity.kind != ActivityKind::Walking {
                    // Gave up on a blocked walk: try again.
                    let _ = world.request_move(
                        id,
                        MoveRequest::Landmark {
                            landmark: entry.landmark.clone(),
                        },
                        now_ms,
                    );
                }
                continue;
            }
            if self.rng.random_ratio(1, TALK_ODDS) {
                let line = self.line(i, &entry.landmark, world);
                let _ = world.act(id, Action::Talk { text: line }, now_ms);
            }
        }
    }

    fn line(&mut self, i: usize, landmark: &str, world: &World) -> String {
        let resident = &self.residents[i].resident;
        let template = self.talk.choose(&mut self.rng).cloned().unwrap_or_default();
        let interest = resident
            .interests
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_default();
        let place = world
            .map()
            .landmark(landmark)
            .map_or_else(|| landmark.to_string(), |l| l.label.clone());
        template
            .replace("{interest}", &interest)
            .replace("{place}", &place)
            .replace("{name}", &resident.display_name)
    }
}

/// The schedule entry in force at `minute`: the last one started, else yesterday's last.
fn current_entry(resident: &Resident, minute: u16) -> Option<usize> {
    let schedule = &resident.schedule;
    if schedule.is_empty() {
        return None;
    }
    Some(
        schedule
            .iter()
            .rposition(|e| e.minute <= minute)
            .unwrap_or(schedule.len() - 1),
    )
}
