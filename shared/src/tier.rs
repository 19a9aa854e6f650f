//! Compute tiers: what an agent's balance (or a bought boost) entitles it to, and when that
//! will change. Shared so the server, the agent runtime and the viewer compute the same tier
//! from the same numbers.
//!
//! Pure arithmetic over a [`TierTable`]: this module must not read the clock (callers pass
//! `now_ms`), touch balances or do I/O. Money is integer micro-aiDollars (see [`crate::money`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest a tier name may be, in characters; names are shown in the viewer and logs.
pub const TIER_NAME_CHARS_MAX: usize = 32;

/// Milliseconds in an hour: burn rates and boost prices are per hour, time is in ms.
const MS_PER_HOUR: i128 = 3_600_000;

/// How much GPU an agent's container may use. Ordered: `None < Shared < Dedicated`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GpuShare {
    /// No GPU device is passed to the container.
    #[default]
    None,
    /// A GPU shared with other agents' containers.
    Shared,
    /// A GPU reserved for this agent.
    Dedicated,
}

impl GpuShare {
    /// The name used in config files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            GpuShare::None => "none",
            GpuShare::Shared => "shared",
            GpuShare::Dedicated => "dedicated",
        }
    }
}

impl fmt::Display for GpuShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a tier grants. Every limit is per agent; a higher tier never grants less. An answer
/// type: it reads fields it does not know without complaint (a newer server's), so the agent
/// and the runtime read it as it is; the tier file's loader refuses unknown keys itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entitlements {
    /// Sustained API request rate (token-bucket refill), requests per minute; at least 1.
    pub requests_per_minute: u32,
    /// Token-bucket size: requests allowed at once after a quiet spell; at least 1.
    pub request_burst: u32,
    /// Tool runs (sandboxed commands) allowed at the same time; 0 means no tools.
    pub concurrent_tool_runs: u32,
    /// LLM model names the agent may call.
    pub llm_models: Vec<String>,
    /// LLM tokens (prompt plus completion) per rolling hour.
    pub llm_tokens_per_hour: u64,
    /// Container CPU limit in thousandths of a core.
    pub cpu_millicores: u32,
    /// Container memory limit in MiB.
    pub memory_mib: u32,
    /// Container process (pids cgroup) limit.
    pub pids_max: u32,
    /// Disk the agent may fill, in MiB: its container's writable layer and its workspace
    /// together. Measured by the runtime; an agent found over it is paused (see
    /// docs/SECURITY.md, "Disk").
    pub disk_mib: u32,
    pub gpu: GpuShare,
    /// Whether the container may open connections outside the village network.
    pub egress: bool,
}

/// One tier: its name, the balance that reaches it, its boost price and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Lowercase `[a-z0-9_-]`, at most [`TIER_NAME_CHARS_MAX`] characters, unique in the table.
    pub name: String,
    /// The lowest balance, in micro-aiDollars, that is in this tier; 0 for the first tier.
    pub min_balance_micros: i64,
    /// Price of one hour of this tier as a boost, in micro-aiDollars; `None`: cannot be bought
    /// as a boost (always so for the first tier).
    pub boost_price_per_hour_micros: Option<i64>,
    pub entitlements: Entitlements,
}

/// A tier's position in its [`TierTable`]: the index into [`TierTable::tiers`], 0 for the
/// lowest. Ranks compare by height, so `max` of two ranks is the better tier.
///
/// A rank means something only with the table it came from. Anything stored for longer than
/// one table's lifetime (a boost in the database) should keep the tier's name and look the rank
/// up again with [`TierTable::by_name`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct TierRank(pub usize);

impl TierRank {
    /// The lowest tier of every table.
    pub const FIRST: TierRank = TierRank(0);

    /// The index into [`TierTable::tiers`].
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for TierRank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A bought boost: the agent is in at least `tier` while `now_ms < ends_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Boost {
    pub tier: TierRank,
    /// Unix time in ms at which the boost stops applying (exclusive).
    pub ends_ms: i64,
}

impl Boost {
    /// Of bought boosts given as `(tier, starts_ms, ends_ms)`, the one that counts at `now_ms`:
    /// the highest tier among those running (a boost bought to follow another has not started
    /// yet), the later end among equals.
    pub fn best_running(
        boosts: impl IntoIterator<Item = (TierRank, i64, i64)>,
        now_ms: i64,
    ) -> Option<Boost> {
        boosts
            .into_iter()
            .filter(|(_, starts, ends)| *starts <= now_ms && now_ms < *ends)
            .max_by_key(|(tier, _, ends)| (*tier, *ends))
            .map(|(tier, _, ends_ms)| Boost { tier, ends_ms })
    }

    /// Whether the boost applies at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.ends_ms
    }
}

/// When an agent's effective tier next drops, and to which tier; see
/// [`TierTable::downgrade_outlook`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DowngradeOutlook {
    /// The effective tier right after the drop; `None`: no drop is foreseen.
    pub next_tier: Option<TierRank>,
    /// Milliseconds from `now_ms` until the drop; `None` exactly when `next_tier` is.
    pub in_ms: Option<i64>,
    /// Whether the drop is within the caller's warning window.
    pub warning: bool,
}

impl DowngradeOutlook {
    /// No drop foreseen.
    pub const NONE: DowngradeOutlook = DowngradeOutlook {
        next_tier: None,
        in_ms: None,
        warning: false,
    };
}

/// The tiers, lowest first. Every method except [`TierTable::validate`] assumes a table that
/// passed it; [`TierTable::new`] builds only such tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TierTable {
    pub tiers: Vec<TierSpec>,
}

impl TierTable {
    /// Builds a table and validates it.
    pub fn new(tiers: Vec<TierSpec>) -> Result<TierTable, TierError> {
        let table = TierTable { tiers };
        table.validate()?;
        Ok(table)
    }

    /// The tier a balance alone reaches: the highest tier whose threshold is at most the
    /// balance. A balance below the second threshold, negative ones included, is in the first.
    pub fn balance_tier(&self, balance_micros: i64) -> TierRank {
        // Thresholds are strictly increasing, so the reached tiers are a prefix of the table.
        let reached = self
            .tiers
            .partition_point(|spec| spec.min_balance_micros <= balance_micros);
        TierRank(reached.saturating_sub(1))
    }

    /// The tier in force: the better of the balance tier and a boost that is live at `now_ms`.
    /// A boost whose rank is not in this table is ignored.
    pub fn effective_tier(
        &self,
        balance_micros: i64,
        boost: Option<&Boost>,
        now_ms: i64,
    ) -> TierRank {
        let balance_tier = self.balance_tier(balance_micros);
        match self.live_boost_tier(boost, now_ms) {
            Some(boosted) => balance_tier.max(boosted),
            None => balance_tier,
        }
    }

    /// The boost's tier if the boost is live at `now_ms` and its rank is in this table.
    fn live_boost_tier(&self, boost: Option<&Boost>, now_ms: i64) -> Option<TierRank> {
        boost
            .filter(|boost| boost.is_live(now_ms) && boost.tier.index() < self.tiers.len())
            .map(|boost| boost.tier)
    }

    /// The rank of the tier called `name`.
    pub fn by_name(&self, name: &str) -> Option<TierRank> {
        self.tiers
            .iter()
            .position(|spec| spec.name == name)
            .map(TierRank)
    }

    /// The tier of rank `rank`.
    ///
    /// # Panics
    /// If `rank` is not a rank of this table: ranks come from this table's own methods, so that
    /// is a bug in the caller. Use [`TierTable::try_get`] for ranks from elsewhere.
    pub fn get(&self, rank: TierRank) -> &TierSpec {
        &self.tiers[rank.index()]
    }

    /// The tier of rank `rank`, or `None` if the table has no such rank.
    pub fn try_get(&self, rank: TierRank) -> Option<&TierSpec> {
        self.tiers.get(rank.index())
    }

    /// The price in micro-aiDollars of boosting to `rank` for `hours` hours.
    pub fn boost_price_micros(&self, rank: TierRank, hours: u32) -> Result<i64, TierError> {
        let spec = self
            .try_get(rank)
            .ok_or(TierError::UnknownRank { rank: rank.index() })?;
        let per_hour =
            spec.boost_price_per_hour_micros
                .ok_or_else(|| TierError::NotPurchasable {
                    tier: spec.name.clone(),
                })?;
        if hours == 0 {
            return Err(TierError::ZeroHours);
        }
        per_hour
            .checked_mul(i64::from(hours))
            .ok_or_else(|| TierError::PriceOverflow {
                tier: spec.name.clone(),
                hours,
            })
    }

    /// When the effective tier next drops, and to which tier.
    ///
    /// The model: from `now_ms` on, the balance is debited continuously at
    /// `burn_micros_per_hour`, rounded down to whole micros, so after `t` ms it is
    /// `balance − ⌊burn·t / 3_600_000⌋`. A burn of zero or less is taken as a flat balance:
    /// income is never forecast, so a warning errs on the early side. A live boost holds its
    /// tier until `ends_ms` (exclusive) and then stops. The effective tier at any moment is
    /// [`TierTable::effective_tier`] of the balance at that moment, so it can change only when
    /// the balance first falls below its tier's threshold (the first ms at which it is at least
    /// one micro below; `⌈(balance − threshold + 1)·3_600_000 / burn⌉` ms from now) or when the
    /// boost ends. Whichever of those two moments comes first and lowers the tier is the drop:
    ///
    /// - a live boost above the balance tier: the drop is at `ends_ms`, to the balance tier of
    ///   the balance burnt down to that moment (which may be several tiers below);
    /// - no live boost, or one at or below the balance tier: the drop is when the balance
    ///   crosses its threshold, unless a boost of the same tier still holds it then, in which
    ///   case the drop moves to `ends_ms`;
    /// - the balance in the first tier with no boost above it, or no burn and no boost above
    ///   the balance tier: no drop (`None`s, `warning` false).
    ///
    /// A drop more than `i64::MAX` ms away counts as none. `warning` is `in_ms <=
    /// warn_within_ms`.
    pub fn downgrade_outlook(
        &self,
        balance_micros: i64,
        burn_micros_per_hour: i64,
        boost: Option<&Boost>,
        now_ms: i64,
        warn_within_ms: i64,
    ) -> DowngradeOutlook {
        let burn = burn_micros_per_hour.max(0);
        let balance_tier = self.balance_tier(balance_micros);
        let boost = self
            .live_boost_tier(boost, now_ms)
            .zip(boost.map(|boost| i128::from(boost.ends_ms) - i128::from(now_ms)));
        let current = match boost {
            Some((boosted, _)) => balance_tier.max(boosted),
            None => balance_tier,
        };

        // The only two moments at which the effective tier can first change (ms from now).
        let crossing_ms = match self.try_get(balance_tier) {
            Some(spec) if burn > 0 && balance_tier > TierRank::FIRST => {
                let micros_to_cross =
                    i128::from(balance_micros) - i128::from(spec.min_balance_micros) + 1;
                Some(div_ceil(micros_to_cross * MS_PER_HOUR, i128::from(burn)))
            }
            _ => None,
        };
        let boost_end_ms = boost.map(|(_, in_ms)| in_ms);
        let mut moments: Vec<i128> = crossing_ms.into_iter().chain(boost_end_ms).collect();
        moments.sort_unstable();
        moments.dedup();

        for in_ms in moments {
            let Ok(in_ms) = i64::try_from(in_ms) else {
                break;
            };
            let burnt = i128::from(burn) * i128::from(in_ms) / MS_PER_HOUR;
            let balance_then = i128::from(balance_micros) - burnt;
            // Below i64::MIN the balance is certainly in the first tier.
            let balance_then = i64::try_from(balance_then).unwrap_or(i64::MIN);
            let mut tier_then = self.balance_tier(balance_then);
            if let Some((boosted, ends_in_ms)) = boost
                && i128::from(in_ms) < ends_in_ms
            {
                tier_then = tier_then.max(boosted);
            }
            if tier_then < current {
                return DowngradeOutlook {
                    next_tier: Some(tier_then),
                    in_ms: Some(in_ms),
                    warning: in_ms <= warn_within_ms,
                };
            }
        }
        DowngradeOutlook::NONE
    }
}

/// `⌈n / d⌉` for `n ≥ 0`, `d > 0`.
fn div_ceil(n: i128, d: i128) -> i128 {
    debug_assert!(n >= 0 && d > 0);
    n / d + i128::from(n % d != 0)
}

mod validate;
pub use validate::TierError;

#[cfg(test)]
mod tests;
