//! The AI Village viewer: a Bevy app that draws the living village from the server's world
//! stream, on the desktop and in the browser from the same code.
//!
//! It renders server state and sends only intents (its viewport, a human's board actions):
//! nothing the viewer shows is decided here. Plugins, one per file: `net` (the stream),
//! `world` (the model and the entities that mirror it), `render` (tilemap, sprites, labels),
//! `ui` (camera, selection, panels).

pub mod api;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench_scene;
pub mod config;
pub mod net;
pub mod render;
pub mod ui;
pub mod world;

use bevy::prelude::*;

pub use config::ViewerConfig;

/// The order of a frame: read the network, update the model, fit entities to it, animate,
/// then draw panels.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewerSet {
    Net,
    Model,
    Scene,
    Animate,
}

/// Everything but drawing: the stream, the model and the agent entities. Runs headless (the
/// logic tests add it to `MinimalPlugins`).
pub fn logic_plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (
            ViewerSet::Net,
            ViewerSet::Model,
            ViewerSet::Scene,
            ViewerSet::Animate,
        )
            .chain(),
    )
    .add_plugins((net::plugin, world::plugin));
}

/// The whole viewer for `config`'s server, in a window (or the page's canvas).
pub fn viewer_app(config: ViewerConfig) -> App {
    let mut app = App::new();
    #[cfg(not(target_arch = "wasm32"))]
    let bench = config.bench;
    #[cfg(target_arch = "wasm32")]
    let bench: Option<(u32, usize)> = None;
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "AI Village".into(),
                    // In the browser: the page's canvas, sized by the page.
                    canvas: Some("#village".into()),
                    fit_canvas_to_parent: true,
                    prevent_default_event_handling: true,
                    // Frame times in the bench are the renderer's, not the display's.
                    present_mode: if bench.is_some() {
                        bevy::window::PresentMode::AutoNoVsync
                    } else {
                        bevy::window::PresentMode::AutoVsync
                    },
                    ..default()
                }),
                ..default()
            })
            .set(ImagePlugin::default_nearest()),
    )
    .insert_resource(net::StreamTarget {
        url: config.stream_url(),
        connector: default_connector(),
    })
    .insert_resource(config)
    .add_plugins(logic_plugin)
    .add_plugins((render::plugin, ui::plugin, api::plugin));
    #[cfg(not(target_arch = "wasm32"))]
    if let Some((agents, frames)) = bench {
        app.insert_resource(net::StreamTarget {
            url: "bench://generated".into(),
            connector: bench_scene::connector(agents),
        })
        .insert_resource(bench_scene::BenchScene { agents, frames })
        .add_plugins(bench_scene::plugin);
    }
    app
}

fn default_connector() -> net::socket::Connector {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::sync::Arc::new(net::native_socket::connect)
    }
    #[cfg(target_arch = "wasm32")]
    {
        std::sync::Arc::new(net::web_socket::connect)
    }
}
