//! Tests of the tier table's format and validation: one case per rule.

use super::*;

#[test]
fn tables_round_trip_through_json_and_refuse_unknown_fields() {
    // Serde names match the config format, gpu is snake_case, and typos in a tier are errors.
    // A typo inside the entitlements is refused by the tier file's loader (the server's
    // `economy::tiers`, with its path), since the entitlements are also an answer type that
    // must read a newer server's fields.
    let table = table();
    let json = serde_json::to_string(&table).expect("serializes");
    assert!(json.contains(r#""gpu":"dedicated""#));
    let back: TierTable = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, table);
    let typo = json.replacen(r#""entitlements":"#, r#""nmae":"x","entitlements":"#, 1);
    assert_ne!(typo, json);
    assert!(serde_json::from_str::<TierTable>(&typo).is_err());
}

/// Validates `table()` after `edit`.
fn validate_edited(edit: impl FnOnce(&mut Vec<TierSpec>)) -> Result<(), TierError> {
    let mut tiers = table().tiers;
    edit(&mut tiers);
    TierTable { tiers }.validate()
}

#[test]
fn an_empty_table_is_invalid() {
    // A table with no tiers cannot place any balance.
    assert_eq!(
        TierTable { tiers: vec![] }.validate(),
        Err(TierError::NoTiers)
    );
}

#[test]
fn a_single_free_tier_is_valid() {
    // The smallest valid table is one tier at 0 with no boost price.
    assert_eq!(
        TierTable::new(vec![spec("only", 0, None, 0)]).map(|_| ()),
        Ok(())
    );
}

#[test]
fn an_empty_name_is_invalid() {
    // The error names the tier by its index since it has no name.
    let err = validate_edited(|t| t[2].name.clear()).expect_err("invalid");
    assert_eq!(err, TierError::EmptyName { index: 2 });
}

#[test]
fn names_with_uppercase_spaces_or_too_many_characters_are_invalid() {
    // Only lowercase a-z, digits, `_` and `-` up to the length limit are accepted.
    for bad in [
        "Pro",
        "pro tier",
        "pró",
        &"x".repeat(TIER_NAME_CHARS_MAX + 1),
    ] {
        let err = validate_edited(|t| t[2].name = bad.to_string()).expect_err("invalid");
        assert_eq!(err, TierError::InvalidName { tier: bad.into() });
    }
    let longest = "x".repeat(TIER_NAME_CHARS_MAX);
    assert_eq!(validate_edited(|t| t[2].name = longest), Ok(()));
    assert_eq!(validate_edited(|t| t[2].name = "pro_2-b".into()), Ok(()));
}

#[test]
fn duplicate_names_are_invalid() {
    // Two tiers may not share a name, or by_name would be ambiguous.
    let err = validate_edited(|t| t[3].name = "basic".into()).expect_err("invalid");
    assert_eq!(
        err,
        TierError::DuplicateName {
            tier: "basic".into()
        }
    );
}

#[test]
fn the_first_tier_must_start_at_zero() {
    // Both a positive and a negative first threshold are refused.
    for min in [1, -1] {
        let err = validate_edited(|t| t[0].min_balance_micros = min).expect_err("invalid");
        assert_eq!(
            err,
            TierError::FirstThresholdNotZero {
                tier: "free".into(),
                min_balance_micros: min
            }
        );
    }
}

#[test]
fn equal_thresholds_are_invalid() {
    // Thresholds must strictly increase; the message names both tiers and both values.
    let err = validate_edited(|t| t[2].min_balance_micros = 10 * AID).expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "tier `pro`: min_balance_micros 10000000 must be above 10000000 of tier `basic`"
    );
}

#[test]
fn decreasing_thresholds_are_invalid() {
    // A tier below its predecessor's threshold is refused.
    let err = validate_edited(|t| t[3].min_balance_micros = 50 * AID).expect_err("invalid");
    assert!(matches!(err, TierError::ThresholdNotIncreasing { tier, .. } if tier == "max"));
}

#[test]
fn the_first_tier_cannot_be_a_boost() {
    // The first tier is everyone's floor, so selling it makes no sense.
    let err = validate_edited(|t| t[0].boost_price_per_hour_micros = Some(1)).expect_err("invalid");
    assert_eq!(
        err,
        TierError::FirstTierBoostable {
            tier: "free".into()
        }
    );
}

#[test]
fn boost_prices_must_be_positive() {
    // Zero and negative prices are both refused.
    for price in [0, -AID] {
        let err = validate_edited(|t| t[1].boost_price_per_hour_micros = Some(price))
            .expect_err("invalid");
        assert_eq!(
            err,
            TierError::BoostPriceNotPositive {
                tier: "basic".into(),
                price_micros: price
            }
        );
    }
}

#[test]
fn a_higher_tier_without_a_boost_price_is_valid() {
    // Not every tier has to be for sale.
    assert_eq!(
        validate_edited(|t| t[3].boost_price_per_hour_micros = None),
        Ok(())
    );
}

#[test]
fn zero_request_rate_is_invalid() {
    // An agent with no request rate could never act.
    let err = validate_edited(|t| {
        for spec in t.iter_mut() {
            spec.entitlements.requests_per_minute = 0;
        }
    })
    .expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "tier `free`: entitlements.requests_per_minute must be at least 1"
    );
}

#[test]
fn zero_request_burst_is_invalid() {
    // A bucket of size zero admits nothing, whatever the rate.
    let err = validate_edited(|t| t[0].entitlements.request_burst = 0).expect_err("invalid");
    assert_eq!(
        err,
        TierError::ZeroLimit {
            tier: "free".into(),
            field: "request_burst"
        }
    );
}

#[test]
fn zero_container_resources_are_invalid() {
    // CPU, memory and pids of zero would make a container that cannot start; no disk at all
    // would stop the agent as soon as it was measured.
    for (field, edit) in [
        ("cpu_millicores", 0usize),
        ("memory_mib", 1),
        ("pids_max", 2),
        ("disk_mib", 3),
    ] {
        let err = validate_edited(|t| {
            let e = &mut t[0].entitlements;
            match edit {
                0 => e.cpu_millicores = 0,
                1 => e.memory_mib = 0,
                2 => e.pids_max = 0,
                _ => e.disk_mib = 0,
            }
        })
        .expect_err("invalid");
        assert_eq!(
            err,
            TierError::ZeroLimit {
                tier: "free".into(),
                field
            }
        );
    }
}

#[test]
fn zero_tools_and_tokens_are_valid_in_the_first_tier() {
    // A tier may grant no tools and no LLM tokens.
    assert_eq!(
        validate_edited(|t| {
            t[0].entitlements.concurrent_tool_runs = 0;
            t[0].entitlements.llm_tokens_per_hour = 0;
            t[0].entitlements.llm_models.clear();
        }),
        Ok(())
    );
}

#[test]
fn every_numeric_entitlement_must_not_decrease() {
    // Lowering any one numeric field in a higher tier is refused, naming that field.
    let fields = numeric_entitlements(&entitlements(0)).map(|(field, _)| field);
    for field in fields {
        let err = validate_edited(|t| {
            let e = &mut t[2].entitlements;
            match field {
                "requests_per_minute" => e.requests_per_minute = 1,
                "request_burst" => e.request_burst = 1,
                "concurrent_tool_runs" => e.concurrent_tool_runs = 0,
                "llm_tokens_per_hour" => e.llm_tokens_per_hour = 0,
                "cpu_millicores" => e.cpu_millicores = 1,
                "memory_mib" => e.memory_mib = 1,
                "pids_max" => e.pids_max = 1,
                "disk_mib" => e.disk_mib = 1,
                other => panic!("untested field {other}"),
            }
        })
        .expect_err("invalid");
        match err {
            TierError::EntitlementDecreases {
                tier,
                field: f,
                below,
                ..
            } => {
                assert_eq!((tier.as_str(), f, below.as_str()), ("pro", field, "basic"));
            }
            other => panic!("{field}: unexpected {other:?}"),
        }
    }
}

#[test]
fn equal_entitlements_in_consecutive_tiers_are_valid() {
    // Non-decreasing allows a tier to differ only in threshold.
    assert_eq!(
        validate_edited(|t| t[2].entitlements = t[1].entitlements.clone()),
        Ok(())
    );
}

#[test]
fn a_lower_gpu_share_in_a_higher_tier_is_invalid() {
    // Dedicated below shared is refused.
    let err = validate_edited(|t| t[3].entitlements.gpu = GpuShare::None).expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "tier `max`: entitlements.gpu is `none`, below `shared` of tier `pro`"
    );
}

#[test]
fn egress_cannot_be_taken_away() {
    // A higher tier without egress under one with it is refused.
    let err = validate_edited(|t| t[2].entitlements.egress = false).expect_err("invalid");
    assert_eq!(
        err,
        TierError::EgressRemoved {
            tier: "pro".into(),
            below: "basic".into()
        }
    );
}

#[test]
fn a_higher_tier_must_keep_every_model_below() {
    // Dropping a model granted lower down is refused, naming the model.
    let err = validate_edited(|t| t[2].entitlements.llm_models.retain(|m| m != "small"))
        .expect_err("invalid");
    assert_eq!(
        err,
        TierError::ModelDropped {
            tier: "pro".into(),
            model: "small".into(),
            below: "basic".into()
        }
    );
}

#[test]
fn empty_model_names_are_invalid() {
    // An empty string cannot name a model.
    let err =
        validate_edited(|t| t[3].entitlements.llm_models.push(String::new())).expect_err("invalid");
    assert_eq!(err, TierError::EmptyModelName { tier: "max".into() });
}

#[test]
fn duplicate_models_are_invalid() {
    // A model listed twice in one tier is a typo waiting to happen.
    let err = validate_edited(|t| t[1].entitlements.llm_models.push("small".into()))
        .expect_err("invalid");
    assert_eq!(
        err,
        TierError::DuplicateModel {
            tier: "basic".into(),
            model: "small".into()
        }
    );
}
