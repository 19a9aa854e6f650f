//! Loads the compute tier table: the file named by `economy.tiers_file`, or the default that
//! ships inside the binary (`default_tiers.toml`). The table's meaning (thresholds, boosts,
//! downgrade outlook) lives in `shared::tier`, so the server, the runtime and the viewer agree.
//!
//! The file is strict where the wire is not: `shared::tier::Entitlements` accepts fields it
//! does not know (an older runtime reading a newer server), so a key this loader does not know
//! (a typo such as `pid_max`) is refused here, with its path, through `serde_ignored`.

use std::path::Path;

use shared::tier::TierTable;

/// The tier table that ships.
pub const DEFAULT_TIERS_TOML: &str = include_str!("default_tiers.toml");

/// Why the tier table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("tier table {source_name}: {message}")]
pub struct TiersError {
    source_name: String,
    message: String,
}

/// Parses and checks a tier table from TOML text.
pub fn parse_tiers(text: &str, source_name: &str) -> Result<TierTable, TiersError> {
    let fail = |message: String| TiersError {
        source_name: source_name.to_string(),
        message,
    };
    let document = toml::Deserializer::parse(text).map_err(|e| fail(e.to_string()))?;
    let mut unknown = Vec::new();
    let table = serde_ignored::deserialize(document, |path| unknown.push(path.to_string()))
        .map_err(|e: toml::de::Error| fail(e.to_string()))?;
    let table: TierTable = table;
    if !unknown.is_empty() {
        return Err(fail(format!("unknown keys: {}", unknown.join(", "))));
    }
    table.validate().map_err(|e| fail(e.to_string()))?;
    Ok(table)
}

/// The table from `file`, or the default one.
pub fn load_tiers(file: Option<&Path>) -> Result<TierTable, TiersError> {
    match file {
        None => parse_tiers(DEFAULT_TIERS_TOML, "(built-in)"),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| TiersError {
                source_name: path.display().to_string(),
                message: e.to_string(),
            })?;
            parse_tiers(&text, &path.display().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_loads_and_a_broken_one_is_refused() {
        // The shipped table passes validation; the same with its first threshold moved off
        // zero, or with a typo in a key, does not.
        let table = load_tiers(None).unwrap();
        assert!(table.tiers.len() >= 2);
        assert_eq!(table.tiers[0].min_balance_micros, 0);
        let moved =
            DEFAULT_TIERS_TOML.replacen("min_balance_micros = 0", "min_balance_micros = 5", 1);
        assert_ne!(moved, DEFAULT_TIERS_TOML);
        assert!(parse_tiers(&moved, "test").is_err());
        let typo = DEFAULT_TIERS_TOML.replacen("pids_max =", "pid_max =", 1);
        assert_ne!(typo, DEFAULT_TIERS_TOML);
        assert!(parse_tiers(&typo, "test").is_err());
        assert!(parse_tiers("tiers = 3", "test").is_err());
    }

    #[test]
    fn a_key_the_file_does_not_know_is_refused_by_its_path() {
        // The wire's entitlements take unknown fields; the file does not, at any depth.
        let extra = DEFAULT_TIERS_TOML.replacen(
            "egress = false",
            "egress = false
swap_mib = 0",
            1,
        );
        assert_ne!(extra, DEFAULT_TIERS_TOML);
        let error = parse_tiers(&extra, "test").unwrap_err().to_string();
        assert!(
            error.contains("unknown keys: tiers.0.entitlements.swap_mib"),
            "{error}"
        );
        let top = format!(
            "{DEFAULT_TIERS_TOML}
free_lunch = true
"
        );
        let error = parse_tiers(&top, "test").unwrap_err().to_string();
        assert!(error.contains("free_lunch"), "{error}");
    }

    #[test]
    fn the_roomy_test_table_differs_from_the_default_only_in_request_limits() {
        // Tests run with `tests/support/roomy_tiers.toml`; it must stay the shipped table but
        // for requests per minute and burst, or tests would check a different economy.
        let default = load_tiers(None).unwrap();
        let roomy_text = include_str!("../../tests/support/roomy_tiers.toml");
        let mut roomy = parse_tiers(roomy_text, "roomy").unwrap();
        for (tier, shipped) in roomy.tiers.iter_mut().zip(&default.tiers) {
            assert!(tier.entitlements.requests_per_minute >= 100_000);
            tier.entitlements.requests_per_minute = shipped.entitlements.requests_per_minute;
            tier.entitlements.request_burst = shipped.entitlements.request_burst;
        }
        assert_eq!(roomy, default);
    }

    #[test]
    fn the_cpu_only_tables_differ_from_theirs_only_in_gpus() {
        // `deploy/tiers/cpu_only.toml` is the shipped table without GPUs, and the runtime's
        // end-to-end table is the roomy one without GPUs; anything else drifting would run a
        // different economy.
        use shared::tier::GpuShare;
        let cases = [
            (
                load_tiers(None).unwrap(),
                include_str!("../../../deploy/tiers/cpu_only.toml"),
            ),
            (
                parse_tiers(
                    include_str!("../../tests/support/roomy_tiers.toml"),
                    "roomy",
                )
                .unwrap(),
                include_str!("../../../agent-runtime/tests/support/cpu_only_tiers.toml"),
            ),
        ];
        for (original, cpu_only_text) in cases {
            let mut cpu_only = parse_tiers(cpu_only_text, "cpu only").unwrap();
            for (tier, with_gpu) in cpu_only.tiers.iter_mut().zip(&original.tiers) {
                assert_eq!(tier.entitlements.gpu, GpuShare::None, "{}", tier.name);
                tier.entitlements.gpu = with_gpu.entitlements.gpu;
            }
            assert_eq!(cpu_only, original);
        }
    }
}
