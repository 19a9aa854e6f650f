//! The server's settings: built-in defaults, then an optional TOML file, then environment
//! variables (`VILLAGE__SECTION__KEY`), then command-line flags. This is the only module that
//! reads the environment. Secrets (JWT keys) are never logged: `Debug` redacts them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::economy::EconomySettings;
use crate::llm::LlmSettings;
use crate::payments::PaymentsSettings;
use crate::world::WorldLimits;

mod sections;

pub use sections::*;

pub use crate::auth::settings::{AuthSettings, JwtKeySetting};
pub use crate::board::settings::BoardSettings;

/// Every setting of `village serve`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub world: WorldSettings,
    pub limits: WorldLimits,
    pub stream: StreamSettings,
    pub http: HttpSettings,
    pub store: StoreSettings,
    pub auth: AuthSettings,
    pub board: BoardSettings,
    pub economy: EconomySettings,
    pub llm: LlmSettings,
    pub payments: PaymentsSettings,
    pub demo: DemoSettings,
}

/// Values given on the command line, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub assets_dir: Option<PathBuf>,
    pub viewer_dir: Option<PathBuf>,
    pub demo_agents: Option<usize>,
    pub demo_seed: Option<u64>,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads defaults, then `file` (if given), then `VILLAGE__*` variables, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Settings, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(SettingsError(format!(
                    "config file {} not found",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("VILLAGE__").split("__"));
        let set = |figment: Figment, key: &str, value: Option<String>| match value {
            Some(value) => figment.merge(Serialized::default(key, value)),
            None => figment,
        };
        figment = set(
            figment,
            "server.bind",
            overrides.bind.map(|b| b.to_string()),
        );
        figment = set(
            figment,
            "server.data_dir",
            overrides.data_dir.as_ref().map(|d| d.display().to_string()),
        );
        figment = set(
            figment,
            "server.database_url",
            overrides.database_url.clone(),
        );
        figment = set(
            figment,
            "server.assets_dir",
            overrides
                .assets_dir
                .as_ref()
                .map(|d| d.display().to_string()),
        );
        figment = set(
            figment,
            "server.viewer_dir",
            overrides
                .viewer_dir
                .as_ref()
                .map(|d| d.display().to_string()),
        );
        if let Some(agents) = overrides.demo_agents {
            figment = figment.merge(Serialized::default("demo.agents", agents));
        }
        if let Some(seed) = overrides.demo_seed {
            figment = figment.merge(Serialized::default("demo.seed", seed));
        }
        let settings: Settings = figment
            .extract()
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let fail = |what: &str| Err(SettingsError(what.to_string()));
        if !(1..=10_000).contains(&self.limits.tick_interval_ms) {
            return fail("limits.tick_interval_ms must be 1..=10000");
        }
        if self.stream.ws_frame_bytes_max < 256 {
            return fail("stream.ws_frame_bytes_max must be at least 256");
        }
        if self.stream.client_queue_frames == 0 || self.world.command_queue_max == 0 {
            return fail("queue sizes must be at least 1");
        }
        if !(256..=65_534).contains(&self.http.uri_bytes_max) {
            return fail("http.uri_bytes_max must be 256..=65534 (hyper refuses longer targets)");
        }
        if self.stream.viewport_tiles_max == 0 {
            return fail("stream.viewport_tiles_max must be at least 1");
        }
        if self.stream.viewport_margin_tiles > self.stream.viewport_tiles_max {
            return fail("stream.viewport_margin_tiles must not exceed stream.viewport_tiles_max");
        }
        if self
            .auth
            .jwt_keys
            .iter()
            .any(|k| k.secret.len() < crate::auth::jwt::SECRET_BYTES_MIN || k.kid.is_empty())
        {
            return fail("every auth.jwt_keys entry needs a kid and a secret of at least 32 bytes");
        }
        if self.auth.access_token_ttl_s == 0
            || self.auth.refresh_token_ttl_s == 0
            || self.auth.web_session_ttl_s == 0
        {
            return fail("token lifetimes must be at least 1 s");
        }
        if self.board.board_page_size_max == 0 || self.board.stream_queue_events == 0 {
            return fail("board page and queue sizes must be at least 1");
        }
        self.economy.validate().map_err(SettingsError)?;
        self.llm.validate().map_err(SettingsError)?;
        self.payments.validate().map_err(SettingsError)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags_override_defaults_and_unknown_keys_fail() {
        // A TOML file changes what it names, flags beat the file, and a typo is an error.
        let dir = std::env::temp_dir().join(format!("village-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("village.toml");
        std::fs::write(
            &file,
            "[limits]\ntick_interval_ms = 50\n[demo]\nagents = 3\n",
        )
        .unwrap();
        let overrides = Overrides {
            demo_agents: Some(5),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&file), &overrides).unwrap();
        assert_eq!(settings.limits.tick_interval_ms, 50);
        assert_eq!(settings.demo.agents, 5);
        assert_eq!(settings.stream.ws_frame_bytes_max, 64 * 1024);
        std::fs::write(&file, "[world]\ntick_intervall_ms = 50\n").unwrap();
        assert!(Settings::load(Some(&file), &Overrides::default()).is_err());
        std::fs::write(&file, "[limits]\ntick_interval_ms = 0\n").unwrap();
        assert!(Settings::load(Some(&file), &Overrides::default()).is_err());
        std::fs::write(&file, "[stream]\nviewport_tiles_max = 0\n").unwrap();
        assert!(Settings::load(Some(&file), &Overrides::default()).is_err());
        std::fs::write(&file, "[server]\nviewer_dir = \"web/out\"\n").unwrap();
        let from_file = Settings::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(from_file.server.viewer_dir, PathBuf::from("web/out"));
        let flagged = Overrides {
            viewer_dir: Some(PathBuf::from("elsewhere")),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&file), &flagged).unwrap();
        assert_eq!(settings.server.viewer_dir, PathBuf::from("elsewhere"));
        assert_eq!(settings.stream.viewport_margin_tiles, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
