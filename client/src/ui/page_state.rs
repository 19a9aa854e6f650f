//! Browser only: the viewer's state as attributes on the page's `<html>` element
//! (`data-village-state`, `data-village-tick`, `data-village-agents`, `data-village-frames`),
//! so that page scripts, monitoring and the browser test can tell a live village from a
//! loading or failed one without reading pixels.

use bevy::prelude::*;

use crate::net::{LinkState, LinkStatus};
use crate::world::model::WorldModel;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Last, publish_page_state);
}

fn publish_page_state(link: Res<LinkStatus>, model: Res<WorldModel>, mut frames: Local<u64>) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let state = match (&link.state, link.mismatch()) {
        (_, Some(_)) => "protocol-mismatch",
        (LinkState::Live, _) => "live",
        (LinkState::Idle | LinkState::Connecting { .. }, _) => "connecting",
        (LinkState::Waiting { .. }, _) => "reconnecting",
    };
    if state == "live" {
        *frames += 1;
    }
    let tick = model.tick().map_or(0, |t| t.0);
    for (name, value) in [
        ("data-village-state", state.to_string()),
        ("data-village-tick", tick.to_string()),
        ("data-village-agents", model.agent_count().to_string()),
        ("data-village-frames", frames.to_string()),
    ] {
        let _ = root.set_attribute(name, &value);
    }
}
