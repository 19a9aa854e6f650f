//! Tests of the tier table: thresholds, boosts, prices and the downgrade outlook; its format
//! and validation are in `tests/validation.rs`.

use super::validate::numeric_entitlements;
use super::*;

mod validation;

const AID: i64 = crate::money::MICROS_PER_AIDOLLAR;
const HOUR_MS: i64 = 3_600_000;

/// Entitlements that grow with `level`, so consecutive levels form a valid table.
fn entitlements(level: u32) -> Entitlements {
    let models = ["small", "medium", "large", "huge"];
    Entitlements {
        requests_per_minute: 6 * (level + 1),
        request_burst: 3 * (level + 1),
        concurrent_tool_runs: level + 1,
        llm_models: models[..=level as usize]
            .iter()
            .map(|m| m.to_string())
            .collect(),
        llm_tokens_per_hour: 20_000 * u64::from(level + 1),
        cpu_millicores: 500 * (level + 1),
        memory_mib: 512 * (level + 1),
        pids_max: 64 * (level + 1),
        disk_mib: 1024 * (level + 1),
        gpu: match level {
            0 => GpuShare::None,
            1 | 2 => GpuShare::Shared,
            _ => GpuShare::Dedicated,
        },
        egress: level > 0,
    }
}

fn spec(name: &str, min_balance_micros: i64, price: Option<i64>, level: u32) -> TierSpec {
    TierSpec {
        name: name.to_string(),
        min_balance_micros,
        boost_price_per_hour_micros: price,
        entitlements: entitlements(level),
    }
}

/// free (0), basic (10 aiD), pro (100 aiD), max (1000 aiD).
fn table() -> TierTable {
    TierTable::new(vec![
        spec("free", 0, None, 0),
        spec("basic", 10 * AID, Some(AID / 2), 1),
        spec("pro", 100 * AID, Some(2 * AID), 2),
        spec("max", 1000 * AID, Some(10 * AID), 3),
    ])
    .expect("the fixture table is valid")
}

const FREE: TierRank = TierRank(0);
const BASIC: TierRank = TierRank(1);
const PRO: TierRank = TierRank(2);
const MAX: TierRank = TierRank(3);

fn boost(tier: TierRank, ends_ms: i64) -> Boost {
    Boost { tier, ends_ms }
}

/// The effective tier `t` ms from `now`, computed directly from the documented model.
fn tier_at(
    table: &TierTable,
    balance: i64,
    burn: i64,
    boost: Option<&Boost>,
    now: i64,
    t: i64,
) -> TierRank {
    let burnt = i128::from(burn.max(0)) * i128::from(t) / MS_PER_HOUR;
    let balance_then = i64::try_from(i128::from(balance) - burnt).unwrap_or(i64::MIN);
    table.effective_tier(balance_then, boost, now + t)
}

/// Asserts that the outlook names the first ms at which the tier drops, and the tier then.
fn assert_outlook_is_exact(
    table: &TierTable,
    balance: i64,
    burn: i64,
    boost: Option<&Boost>,
    now: i64,
) -> DowngradeOutlook {
    let outlook = table.downgrade_outlook(balance, burn, boost, now, 0);
    let current = table.effective_tier(balance, boost, now);
    let (next, in_ms) = (
        outlook.next_tier.expect("a drop"),
        outlook.in_ms.expect("a time"),
    );
    assert!(in_ms >= 1);
    assert_eq!(
        tier_at(table, balance, burn, boost, now, in_ms - 1),
        current
    );
    assert_eq!(tier_at(table, balance, burn, boost, now, in_ms), next);
    assert!(next < current);
    outlook
}

#[test]
fn balance_tier_switches_exactly_at_each_threshold() {
    // A balance equal to a threshold is in that tier; one micro less is in the tier below.
    let table = table();
    assert_eq!(table.balance_tier(0), FREE);
    assert_eq!(table.balance_tier(10 * AID - 1), FREE);
    assert_eq!(table.balance_tier(10 * AID), BASIC);
    assert_eq!(table.balance_tier(100 * AID - 1), BASIC);
    assert_eq!(table.balance_tier(100 * AID), PRO);
    assert_eq!(table.balance_tier(1000 * AID - 1), PRO);
    assert_eq!(table.balance_tier(1000 * AID), MAX);
    assert_eq!(table.balance_tier(i64::MAX), MAX);
}

#[test]
fn negative_balances_are_in_the_first_tier() {
    // Debt never falls below the first tier.
    let table = table();
    assert_eq!(table.balance_tier(-1), FREE);
    assert_eq!(table.balance_tier(i64::MIN), FREE);
}

#[test]
fn a_live_boost_above_the_balance_tier_lifts_the_effective_tier() {
    // While now < ends_ms the boost tier applies; from ends_ms on it does not.
    let table = table();
    let b = boost(PRO, 5_000);
    assert_eq!(table.effective_tier(0, Some(&b), 4_999), PRO);
    assert_eq!(table.effective_tier(0, Some(&b), 5_000), FREE);
    assert_eq!(table.effective_tier(10 * AID, Some(&b), 6_000), BASIC);
    assert_eq!(table.effective_tier(10 * AID, None, 0), BASIC);
}

#[test]
fn a_boost_below_the_balance_tier_changes_nothing() {
    // The effective tier is the better of the two, never lowered by a boost.
    let table = table();
    let b = boost(BASIC, 5_000);
    assert_eq!(table.effective_tier(100 * AID, Some(&b), 0), PRO);
}

#[test]
fn a_boost_of_a_rank_outside_the_table_is_ignored() {
    // A stale rank cannot grant a tier that does not exist, nor panic.
    let table = table();
    let b = boost(TierRank(9), i64::MAX);
    assert_eq!(table.effective_tier(0, Some(&b), 0), FREE);
    assert_eq!(
        table.downgrade_outlook(0, 0, Some(&b), 0, 0),
        DowngradeOutlook::NONE
    );
}

#[test]
fn tiers_are_found_by_name_and_rank() {
    // by_name and get agree with the table order, and unknown names or ranks give None.
    let table = table();
    assert_eq!(table.by_name("pro"), Some(PRO));
    assert_eq!(table.by_name("Pro"), None);
    assert_eq!(table.get(MAX).name, "max");
    assert_eq!(table.try_get(TierRank(4)), None);
}

#[test]
fn boost_price_is_hourly_price_times_hours() {
    // Three hours of pro cost three times its hourly price.
    assert_eq!(table().boost_price_micros(PRO, 3), Ok(6 * AID));
}

#[test]
fn boost_price_refuses_the_first_tier_zero_hours_and_unknown_ranks() {
    // Each impossible purchase has its own error.
    let table = table();
    assert_eq!(
        table.boost_price_micros(FREE, 1),
        Err(TierError::NotPurchasable {
            tier: "free".into()
        })
    );
    assert_eq!(table.boost_price_micros(PRO, 0), Err(TierError::ZeroHours));
    assert_eq!(
        table.boost_price_micros(TierRank(4), 1),
        Err(TierError::UnknownRank { rank: 4 })
    );
}

#[test]
fn boost_price_overflow_is_an_error() {
    // A price that does not fit in i64 is refused instead of wrapping.
    let mut tiers = table().tiers;
    tiers[3].boost_price_per_hour_micros = Some(i64::MAX / 2);
    let table = TierTable::new(tiers).expect("valid");
    assert_eq!(
        table.boost_price_micros(MAX, 3),
        Err(TierError::PriceOverflow {
            tier: "max".into(),
            hours: 3
        })
    );
    assert_eq!(table.boost_price_micros(MAX, 2), Ok(i64::MAX - 1));
}

#[test]
fn burning_balance_drops_one_tier_at_the_first_ms_below_the_threshold() {
    // 5 aiD + 1 micro above the basic threshold at 1 aiD/h lasts ⌈5_000_001 × 3.6⌉ ms.
    let table = table();
    let outlook = assert_outlook_is_exact(&table, 15 * AID, AID, None, 1_000);
    assert_eq!(outlook.next_tier, Some(FREE));
    assert_eq!(outlook.in_ms, Some(18_000_004));
}

#[test]
fn a_balance_exactly_at_the_threshold_drops_after_one_micro() {
    // At 1 aiD/h one micro burns in 3.6 ms, so the drop comes at ms 4.
    let table = table();
    let outlook = assert_outlook_is_exact(&table, 10 * AID, AID, None, 0);
    assert_eq!(outlook.in_ms, Some(4));
}

#[test]
fn the_drop_time_is_exact_for_many_balances_and_burns() {
    // The reported ms is the first at which the model's tier is lower, for a grid of inputs.
    let table = table();
    for balance in [10 * AID, 10 * AID + 1, 99 * AID + 7, 100 * AID, 5_000 * AID] {
        for burn in [1, 7, 999_999, AID, 3_600_000, 123 * AID + 45, i64::MAX / 4] {
            assert_outlook_is_exact(&table, balance, burn, None, 42);
        }
    }
}

#[test]
fn no_drop_in_the_first_tier_or_without_burn() {
    // Nothing can fall below the first tier, and a flat or growing balance keeps its tier.
    let table = table();
    assert_eq!(
        table.downgrade_outlook(5 * AID, AID, None, 0, i64::MAX),
        DowngradeOutlook::NONE
    );
    assert_eq!(
        table.downgrade_outlook(-5 * AID, AID, None, 0, i64::MAX),
        DowngradeOutlook::NONE
    );
    assert_eq!(
        table.downgrade_outlook(50 * AID, 0, None, 0, i64::MAX),
        DowngradeOutlook::NONE
    );
    assert_eq!(
        table.downgrade_outlook(50 * AID, -AID, None, 0, i64::MAX),
        DowngradeOutlook::NONE
    );
}

#[test]
fn a_boost_above_the_balance_tier_drops_at_its_end_to_the_burnt_balance_tier() {
    // The boost holds pro until ends_ms; by then 1 h at 10 aiD/h took basic down to free.
    let table = table();
    let b = boost(PRO, 1_000 + HOUR_MS);
    let outlook = assert_outlook_is_exact(&table, 15 * AID, 10 * AID, Some(&b), 1_000);
    assert_eq!(outlook.next_tier, Some(FREE));
    assert_eq!(outlook.in_ms, Some(HOUR_MS));
}

#[test]
fn a_boost_above_the_balance_tier_without_burn_drops_to_the_balance_tier() {
    // With a flat balance the drop at ends_ms lands on today's balance tier.
    let table = table();
    let b = boost(MAX, 500);
    let outlook = assert_outlook_is_exact(&table, 15 * AID, 0, Some(&b), 0);
    assert_eq!(outlook.next_tier, Some(BASIC));
    assert_eq!(outlook.in_ms, Some(500));
}

#[test]
fn a_boost_that_ends_before_the_crossing_leaves_the_crossing_as_the_drop() {
    // A boost at the balance tier that ends early does not lower anything when it ends.
    let table = table();
    let b = boost(BASIC, 100);
    let outlook = assert_outlook_is_exact(&table, 15 * AID, AID, Some(&b), 0);
    assert_eq!(outlook.in_ms, Some(18_000_004));
    assert_eq!(outlook.next_tier, Some(FREE));
}

#[test]
fn a_boost_at_the_balance_tier_postpones_the_drop_to_its_end() {
    // Basic balance crossing at ~18 000 s is covered by a basic boost until 2 h.
    let table = table();
    let b = boost(BASIC, 2 * HOUR_MS);
    let outlook = assert_outlook_is_exact(&table, 10 * AID, AID, Some(&b), 0);
    assert_eq!(outlook.in_ms, Some(2 * HOUR_MS));
    assert_eq!(outlook.next_tier, Some(FREE));
}

#[test]
fn a_boost_below_the_balance_tier_catches_the_fall() {
    // Pro balance crossing while a basic boost lives drops to basic even if the balance is
    // already free-tier by then.
    let table = table();
    let b = boost(BASIC, 100 * HOUR_MS);
    let burn = 1_000_000_000 * AID;
    let outlook = assert_outlook_is_exact(&table, 100 * AID, burn, Some(&b), 0);
    assert_eq!(table.balance_tier(100 * AID - burn / HOUR_MS), FREE);
    assert_eq!(outlook.next_tier, Some(BASIC));
    assert_eq!(outlook.in_ms, Some(1));
}

#[test]
fn an_expired_boost_plays_no_part_in_the_outlook() {
    // A boost whose end has passed is the same as no boost.
    let table = table();
    let b = boost(MAX, 1_000);
    assert_eq!(
        table.downgrade_outlook(15 * AID, AID, Some(&b), 1_000, 0),
        table.downgrade_outlook(15 * AID, AID, None, 1_000, 0)
    );
}

#[test]
fn warning_is_set_when_the_drop_is_within_the_window() {
    // The window is inclusive: a drop exactly warn_within_ms away warns.
    let table = table();
    let warned = table.downgrade_outlook(15 * AID, AID, None, 0, 18_000_004);
    assert!(warned.warning);
    let calm = table.downgrade_outlook(15 * AID, AID, None, 0, 18_000_003);
    assert!(!calm.warning);
    assert_eq!(calm.in_ms, Some(18_000_004));
}

#[test]
fn extreme_inputs_do_not_overflow() {
    // Drops further than i64::MAX ms count as none; huge burns and times do not panic.
    let table = table();
    assert_eq!(
        table.downgrade_outlook(i64::MAX, 1, None, 0, 0),
        DowngradeOutlook::NONE
    );
    let outlook = table.downgrade_outlook(i64::MAX, i64::MAX, None, i64::MAX, 0);
    assert_eq!(outlook.in_ms, Some(3_600_000));
    assert_outlook_is_exact(&table, i64::MAX, i64::MAX, None, 0);
    let far = boost(MAX, i64::MAX);
    assert_eq!(
        table.downgrade_outlook(0, 0, Some(&far), i64::MIN, 0),
        DowngradeOutlook::NONE
    );
    let outlook = table.downgrade_outlook(i64::MIN, i64::MAX, Some(&far), 0, 0);
    assert_eq!(outlook.next_tier, Some(FREE));
    assert_eq!(outlook.in_ms, Some(i64::MAX));
}

#[test]
fn entitlements_on_the_wire_read_fields_they_do_not_know() {
    // A newer server's answer with a field this build lacks still reads (answers are
    // tolerant; the tier file's loader refuses unknown keys itself).
    let mut wire = serde_json::to_value(entitlements(1)).unwrap();
    wire["swap_mib"] = serde_json::json!(512);
    let read: Entitlements = serde_json::from_value(wire).unwrap();
    assert_eq!(read, entitlements(1));
}
