//! Checking a tier table before it is used: names, thresholds, boost prices, and that no tier
//! grants less than the one below it. Also the error every tier function returns.

use std::collections::HashSet;

use thiserror::Error;

use super::{Entitlements, GpuShare, TIER_NAME_CHARS_MAX, TierSpec, TierTable};

/// A tier table that fails validation, or a tier request the table cannot satisfy.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TierError {
    #[error("the tier table has no tiers")]
    NoTiers,
    #[error("tier #{index}: name is empty")]
    EmptyName { index: usize },
    #[error(
        "tier `{tier}`: name must be lowercase a-z, 0-9, `_` or `-` and at most {TIER_NAME_CHARS_MAX} characters"
    )]
    InvalidName { tier: String },
    #[error("tier `{tier}`: name is used by more than one tier")]
    DuplicateName { tier: String },
    #[error(
        "tier `{tier}`: min_balance_micros is {min_balance_micros}, but the first tier must start at 0"
    )]
    FirstThresholdNotZero {
        tier: String,
        min_balance_micros: i64,
    },
    #[error(
        "tier `{tier}`: min_balance_micros {min_balance_micros} must be above {below_min_balance_micros} of tier `{below}`"
    )]
    ThresholdNotIncreasing {
        tier: String,
        min_balance_micros: i64,
        below: String,
        below_min_balance_micros: i64,
    },
    #[error("tier `{tier}`: the first tier cannot have a boost_price_per_hour_micros")]
    FirstTierBoostable { tier: String },
    #[error("tier `{tier}`: boost_price_per_hour_micros must be above 0, got {price_micros}")]
    BoostPriceNotPositive { tier: String, price_micros: i64 },
    #[error("tier `{tier}`: entitlements.{field} must be at least 1")]
    ZeroLimit { tier: String, field: &'static str },
    #[error(
        "tier `{tier}`: entitlements.{field} is {value}, below {below_value} of tier `{below}`"
    )]
    EntitlementDecreases {
        tier: String,
        field: &'static str,
        value: u64,
        below: String,
        below_value: u64,
    },
    #[error(
        "tier `{tier}`: entitlements.gpu is `{value}`, below `{below_value}` of tier `{below}`"
    )]
    GpuDecreases {
        tier: String,
        value: GpuShare,
        below: String,
        below_value: GpuShare,
    },
    #[error("tier `{tier}`: entitlements.egress is false, but tier `{below}` grants it")]
    EgressRemoved { tier: String, below: String },
    #[error("tier `{tier}`: entitlements.llm_models lacks `{model}`, which tier `{below}` grants")]
    ModelDropped {
        tier: String,
        model: String,
        below: String,
    },
    #[error("tier `{tier}`: entitlements.llm_models has an empty model name")]
    EmptyModelName { tier: String },
    #[error("tier `{tier}`: entitlements.llm_models lists `{model}` more than once")]
    DuplicateModel { tier: String, model: String },
    #[error("there is no tier of rank {rank}")]
    UnknownRank { rank: usize },
    #[error("tier `{tier}` cannot be bought as a boost")]
    NotPurchasable { tier: String },
    #[error("a boost must last at least one hour")]
    ZeroHours,
    #[error("a {hours}-hour boost of tier `{tier}` costs more than an i64 of micros can hold")]
    PriceOverflow { tier: String, hours: u32 },
}

/// The numeric entitlements with their config names, in declaration order.
pub(super) fn numeric_entitlements(e: &Entitlements) -> [(&'static str, u64); 8] {
    [
        ("requests_per_minute", u64::from(e.requests_per_minute)),
        ("request_burst", u64::from(e.request_burst)),
        ("concurrent_tool_runs", u64::from(e.concurrent_tool_runs)),
        ("llm_tokens_per_hour", e.llm_tokens_per_hour),
        ("cpu_millicores", u64::from(e.cpu_millicores)),
        ("memory_mib", u64::from(e.memory_mib)),
        ("pids_max", u64::from(e.pids_max)),
        ("disk_mib", u64::from(e.disk_mib)),
    ]
}

/// Entitlements that must be at least 1 in every tier: a zero would lock the agent out.
const NONZERO_ENTITLEMENTS: [&str; 6] = [
    "requests_per_minute",
    "request_burst",
    "cpu_millicores",
    "memory_mib",
    "pids_max",
    "disk_mib",
];

fn valid_tier_name(name: &str) -> bool {
    name.chars().count() <= TIER_NAME_CHARS_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl TierTable {
    /// Checks the table's invariants: at least one tier; names non-empty, unique, lowercase
    /// `[a-z0-9_-]`; the first tier starts at balance 0 and has no boost price; thresholds
    /// strictly increase; boost prices are positive; a higher tier never grants less (every
    /// numeric limit, the GPU share, egress and the model list); rate limits, CPU, memory,
    /// pids and disk are at least 1; model names are non-empty and listed once per tier.
    pub fn validate(&self) -> Result<(), TierError> {
        let first = self.tiers.first().ok_or(TierError::NoTiers)?;
        let mut names = HashSet::new();
        for (index, spec) in self.tiers.iter().enumerate() {
            Self::validate_own(index, spec)?;
            if !names.insert(spec.name.as_str()) {
                return Err(TierError::DuplicateName {
                    tier: spec.name.clone(),
                });
            }
        }
        if first.min_balance_micros != 0 {
            return Err(TierError::FirstThresholdNotZero {
                tier: first.name.clone(),
                min_balance_micros: first.min_balance_micros,
            });
        }
        if first.boost_price_per_hour_micros.is_some() {
            return Err(TierError::FirstTierBoostable {
                tier: first.name.clone(),
            });
        }
        for pair in self.tiers.windows(2) {
            if let [below, spec] = pair {
                Self::validate_step(below, spec)?;
            }
        }
        Ok(())
    }

    /// The checks on one tier alone.
    fn validate_own(index: usize, spec: &TierSpec) -> Result<(), TierError> {
        let tier = || spec.name.clone();
        if spec.name.is_empty() {
            return Err(TierError::EmptyName { index });
        }
        if !valid_tier_name(&spec.name) {
            return Err(TierError::InvalidName { tier: tier() });
        }
        if let Some(price_micros) = spec.boost_price_per_hour_micros
            && price_micros <= 0
        {
            return Err(TierError::BoostPriceNotPositive {
                tier: tier(),
                price_micros,
            });
        }
        for (field, value) in numeric_entitlements(&spec.entitlements) {
            if value == 0 && NONZERO_ENTITLEMENTS.contains(&field) {
                return Err(TierError::ZeroLimit {
                    tier: tier(),
                    field,
                });
            }
        }
        let mut models = HashSet::new();
        for model in &spec.entitlements.llm_models {
            if model.is_empty() {
                return Err(TierError::EmptyModelName { tier: tier() });
            }
            if !models.insert(model.as_str()) {
                return Err(TierError::DuplicateModel {
                    tier: tier(),
                    model: model.clone(),
                });
            }
        }
        Ok(())
    }

    /// The checks between a tier and the one right below it.
    fn validate_step(below: &TierSpec, spec: &TierSpec) -> Result<(), TierError> {
        let tier = || spec.name.clone();
        let below_name = || below.name.clone();
        if spec.min_balance_micros <= below.min_balance_micros {
            return Err(TierError::ThresholdNotIncreasing {
                tier: tier(),
                min_balance_micros: spec.min_balance_micros,
                below: below_name(),
                below_min_balance_micros: below.min_balance_micros,
            });
        }
        let (lower, upper) = (&below.entitlements, &spec.entitlements);
        for ((field, below_value), (_, value)) in numeric_entitlements(lower)
            .into_iter()
            .zip(numeric_entitlements(upper))
        {
            if value < below_value {
                return Err(TierError::EntitlementDecreases {
                    tier: tier(),
                    field,
                    value,
                    below: below_name(),
                    below_value,
                });
            }
        }
        if upper.gpu < lower.gpu {
            return Err(TierError::GpuDecreases {
                tier: tier(),
                value: upper.gpu,
                below: below_name(),
                below_value: lower.gpu,
            });
        }
        if lower.egress && !upper.egress {
            return Err(TierError::EgressRemoved {
                tier: tier(),
                below: below_name(),
            });
        }
        if let Some(model) = lower
            .llm_models
            .iter()
            .find(|model| !upper.llm_models.contains(model))
        {
            return Err(TierError::ModelDropped {
                tier: tier(),
                model: model.clone(),
                below: below_name(),
            });
        }
        Ok(())
    }
}
