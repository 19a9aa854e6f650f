//! The one typeface every panel and label uses: Ubuntu Light, for both egui families.
//!
//! egui's default set adds Hack, Noto Emoji and an icon font: 1.05 MB more in the browser
//! download for glyphs the viewer does not draw (docs/PERFORMANCE.md, P8). Ubuntu Light covers
//! Latin, Greek and Cyrillic text and the punctuation the panels use; a glyph it lacks shows as
//! a box rather than failing.

use bevy::prelude::*;
use bevy_egui::{EguiContext, egui};

pub(super) fn plugin(app: &mut App) {
    app.add_observer(use_viewer_fonts);
}

/// The font set for the viewer: one typeface serving both families.
pub fn viewer_fonts() -> egui::FontDefinitions {
    const NAME: &str = "Ubuntu-Light";
    let mut fonts = egui::FontDefinitions::empty();
    fonts.font_data.insert(
        NAME.to_owned(),
        std::sync::Arc::new(egui::FontData::from_static(
            epaint_default_fonts::UBUNTU_LIGHT,
        )),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.insert(family, vec![NAME.to_owned()]);
    }
    fonts
}

/// Sets the fonts as each egui context appears, before its first pass lays out any text
/// (without the default set, a pass with no fonts would panic on the first label).
fn use_viewer_fonts(added: On<Add, EguiContext>, mut contexts: Query<&mut EguiContext>) {
    if let Ok(mut context) = contexts.get_mut(added.entity) {
        context.get_mut().set_fonts(viewer_fonts());
    }
}
