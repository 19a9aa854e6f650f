//! The inspector: the selected agent's name, persona, position, status, activity, and from
//! the API its balance, tier, entitlements, time to the next downgrade and recent posts.
//! The standing is read again when the agent's tier changes and every few seconds while shown.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use shared::api::AgentDetail;
use shared::protocol::VillageEvent;
use shared::{AgentId, AgentView, BoardPost};

use super::camera::Follow;
use super::select::Selected;
use crate::api::{ApiAnswer, ApiCall, ApiReply, Request};
use crate::world::model::{WorldChange, WorldModel};

/// Seconds between standing refreshes while an agent is shown.
const STANDING_REFRESH_SECONDS: f64 = 10.0;
/// Posts listed.
const RECENT_POSTS_SHOWN: usize = 5;

/// What the API said about the selected agent.
#[derive(Resource, Debug, Default)]
pub struct InspectorData {
    pub agent: Option<AgentId>,
    pub detail: Option<AgentDetail>,
    pub posts: Vec<BoardPost>,
    pub error: Option<String>,
    fetched_at: f64,
}

/// The lines the inspector shows for an agent, from the stream's view and the API's detail;
/// plain text so that the logic tests can read them.
pub fn inspector_lines(view: &AgentView, detail: Option<&AgentDetail>) -> Vec<(String, String)> {
    let mut lines = vec![
        ("name".to_string(), view.display_name.clone()),
        ("persona".into(), view.persona.clone()),
        (
            "position".into(),
            format!("({}, {})", view.pos.x, view.pos.y),
        ),
        ("status".into(), view.status.as_str().into()),
        ("activity".into(), activity_text(view)),
        ("tier".into(), view.tier.clone()),
    ];
    let Some(detail) = detail else {
        lines.push(("balance".into(), "…".into()));
        return lines;
    };
    let economy = &detail.economy;
    let model = detail.last_llm_call.as_ref().map_or(String::new(), |call| {
        format!(", thinks with {}", call.model)
    });
    lines.push(("brain".into(), format!("{}{model}", detail.brain.as_str())));
    lines.push(("balance".into(), format!("{} aiDollar", economy.balance)));
    if let Some(boost) = &economy.boost {
        lines.push((
            "boost".into(),
            format!("{} until {}", boost.tier, boost.ends_ms),
        ));
    }
    let e = &economy.entitlements;
    lines.push((
        "entitlements".into(),
        format!(
            "{} req/min, {} LLM tokens/h, {} mCPU, {} MiB memory, {} MiB disk, GPU {}, egress {}, \
             models {}",
            e.requests_per_minute,
            e.llm_tokens_per_hour,
            e.cpu_millicores,
            e.memory_mib,
            e.disk_mib,
            e.gpu.as_str(),
            e.egress,
            e.llm_models.join(", "),
        ),
    ));
    lines.push((
        "next downgrade".into(),
        match &economy.next_downgrade {
            Some(next) => format!("to {} in {}", next.tier, duration_text(next.in_ms)),
            None => "none at this burn rate".into(),
        },
    ));
    lines
}

fn activity_text(view: &AgentView) -> String {
    let kind = format!("{:?}", view.activity.kind).to_lowercase();
    match (&view.activity.landmark, &view.activity.detail) {
        (Some(at), Some(detail)) => format!("{kind} at {at}: {detail}"),
        (Some(at), None) => format!("{kind} at {at}"),
        (None, Some(detail)) => format!("{kind}: {detail}"),
        (None, None) => kind,
    }
}

/// `ms` as hours and minutes (or seconds when short).
pub fn duration_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<InspectorData>()
        .add_systems(Update, fetch_for_selection)
        .add_systems(EguiPrimaryContextPass, draw_inspector);
}

fn fetch_for_selection(
    time: Res<Time<Real>>,
    selected: Res<Selected>,
    mut data: ResMut<InspectorData>,
    mut changes: MessageReader<WorldChange>,
    mut replies: MessageReader<ApiReply>,
    mut requests: MessageWriter<Request>,
) {
    let now = time.elapsed_secs_f64();
    let retiered = changes.read().any(|c| match c {
        WorldChange::Events(events) => events.iter().any(
            |e| matches!(e, VillageEvent::TierChanged { agent, .. } if Some(*agent) == selected.0),
        ),
        _ => false,
    });
    if data.agent != selected.0 {
        *data = InspectorData {
            agent: selected.0,
            ..default()
        };
    }
    let Some(id) = selected.0 else { return };
    let stale = data.fetched_at == 0.0 || now - data.fetched_at > STANDING_REFRESH_SECONDS;
    if stale || retiered {
        data.fetched_at = now.max(f64::MIN_POSITIVE);
        requests.write(Request(ApiCall::Agent(id)));
    }
    for reply in replies.read() {
        match (&reply.call, &reply.result) {
            (ApiCall::Agent(of), Ok(ApiAnswer::Agent(detail))) if *of == id => {
                let first = data.detail.is_none();
                data.detail = Some(detail.clone());
                data.error = None;
                if first {
                    requests.write(Request(ApiCall::PostsBy {
                        agent: id,
                        account_id: detail.account_id,
                    }));
                }
            }
            (ApiCall::PostsBy { agent, .. }, Ok(ApiAnswer::Posts(page))) if *agent == id => {
                data.posts = page
                    .posts
                    .iter()
                    .filter(|p| p.author.agent_id == Some(id))
                    .take(RECENT_POSTS_SHOWN)
                    .cloned()
                    .collect();
            }
            (ApiCall::Agent(of) | ApiCall::PostsBy { agent: of, .. }, Err(failure))
                if *of == id =>
            {
                data.error = Some(failure.to_string());
            }
            _ => {}
        }
    }
}

fn draw_inspector(
    mut contexts: EguiContexts,
    model: Res<WorldModel>,
    data: Res<InspectorData>,
    mut selected: ResMut<Selected>,
    mut follow: ResMut<Follow>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(id) = selected.0 else { return Ok(()) };
    let Some(view) = model.mirror.as_ref().and_then(|m| m.agents.get(&id)) else {
        return Ok(());
    };
    let mut open = true;
    egui::Window::new(format!("Agent {}", view.display_name))
        .id(egui::Id::new("inspector"))
        .open(&mut open)
        .default_pos([12.0, 12.0])
        .default_width(320.0)
        .show(ctx, |ui| {
            egui::Grid::new("inspector-grid")
                .num_columns(2)
                .show(ui, |ui| {
                    for (label, value) in inspector_lines(view, data.detail.as_ref()) {
                        ui.strong(label);
                        ui.add(egui::Label::new(value).wrap());
                        ui.end_row();
                    }
                });
            if let Some(error) = &data.error {
                ui.colored_label(egui::Color32::LIGHT_RED, error);
            }
            ui.checkbox(&mut follow.0, "follow (F)");
            ui.separator();
            ui.strong("recent posts");
            if data.posts.is_empty() {
                ui.label("none");
            }
            for post in &data.posts {
                ui.label(format!(
                    "#{} {} ({} replies, {})",
                    post.id.0,
                    post.title,
                    post.reply_count,
                    post.status.as_str()
                ));
            }
        });
    if !open {
        selected.0 = None;
    }
    Ok(())
}
