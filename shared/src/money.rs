//! Money as the village counts it: integer micro-aiDollars in an `i64`, and the one way to turn
//! an amount into text and back.
//!
//! Amounts are never floats: every balance, price and burn rate is a whole number of micros, so
//! sums are exact and the server, the runtime and the viewer agree to the last micro. This module
//! only formats and parses; it must not hold balances or do I/O.

use thiserror::Error;

/// How many micro-aiDollars make one aiDollar.
pub const MICROS_PER_AIDOLLAR: i64 = 1_000_000;

/// The most decimal places an amount may be written with: one micro-aiDollar is `0.000001`.
pub const AIDOLLAR_DECIMALS_MAX: usize = 6;

/// Micros per displayed cent (0.01 aiDollar).
const MICROS_PER_CENT: i128 = 10_000;

/// Why a text could not be read as an amount of aiDollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The text was empty (or only a sign).
    #[error("the amount is empty")]
    Empty,
    /// The text is not of the form `12`, `12.5` or `-3.25`.
    #[error("the amount must be written like `12`, `12.5` or `-3.25` (digits, one optional `.`)")]
    Malformed,
    /// More than [`AIDOLLAR_DECIMALS_MAX`] digits after the point.
    #[error("the amount has more than {AIDOLLAR_DECIMALS_MAX} decimal places")]
    TooManyDecimals,
    /// The amount does not fit in an `i64` of micros.
    #[error("the amount is too large")]
    OutOfRange,
}

/// Formats `micros` as aiDollars with two decimals, rounding half away from zero:
/// `1_235_000` → `"1.24"`, `1_234_999` → `"1.23"`, `-5_000` → `"-0.01"`.
///
/// An amount that rounds to zero is written `"0.00"`, never `"-0.00"`. Works for every `i64`,
/// `i64::MIN` included. No unit or thousands separator is added.
pub fn format_aidollar(micros: i64) -> String {
    // i128 so that the magnitude of i64::MIN and the rounding addend cannot overflow.
    let magnitude = i128::from(micros).abs();
    let cents = (magnitude + MICROS_PER_CENT / 2) / MICROS_PER_CENT;
    let sign = if micros < 0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// Reads an amount of aiDollars written as `12`, `12.5`, `0.000001` or `-3.25` into micros.
///
/// The grammar is strict: an optional leading `-`, at least one digit, then optionally a `.`
/// followed by one to six digits. No `+`, spaces, exponent, thousands separator or unit. Every
/// amount that fits in an `i64` of micros is accepted, `i64::MIN` included; larger ones are
/// [`MoneyError::OutOfRange`].
pub fn parse_aidollar(text: &str) -> Result<i64, MoneyError> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if unsigned.is_empty() {
        return Err(MoneyError::Empty);
    }
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::Malformed);
    }
    let fraction = fraction.unwrap_or("");
    if unsigned.contains('.') && fraction.is_empty() {
        return Err(MoneyError::Malformed);
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::Malformed);
    }
    if fraction.len() > AIDOLLAR_DECIMALS_MAX {
        return Err(MoneyError::TooManyDecimals);
    }

    // The magnitude of i64::MIN (2^63) fits in a u64, so one accumulator serves both signs.
    let mut magnitude: u64 = 0;
    let padding = AIDOLLAR_DECIMALS_MAX - fraction.len();
    let digits = whole
        .bytes()
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', padding));
    for digit in digits {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(digit - b'0')))
            .ok_or(MoneyError::OutOfRange)?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
            .ok_or(MoneyError::OutOfRange)
    } else {
        i64::try_from(magnitude).map_err(|_| MoneyError::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_two_decimals_rounding_half_away_from_zero() {
        // Halves round away from zero in both directions and anything below a half rounds down.
        assert_eq!(format_aidollar(1_235_000), "1.24");
        assert_eq!(format_aidollar(1_234_999), "1.23");
        assert_eq!(format_aidollar(1_005_000), "1.01");
        assert_eq!(format_aidollar(-5_000), "-0.01");
        assert_eq!(format_aidollar(-1_235_000), "-1.24");
        assert_eq!(format_aidollar(-1_234_999), "-1.23");
        assert_eq!(format_aidollar(12_000_000), "12.00");
        assert_eq!(format_aidollar(990_000), "0.99");
        assert_eq!(format_aidollar(995_000), "1.00");
    }

    #[test]
    fn amounts_that_round_to_zero_have_no_minus_sign() {
        // A tiny negative amount shows as 0.00 rather than the confusing -0.00.
        assert_eq!(format_aidollar(0), "0.00");
        assert_eq!(format_aidollar(-1), "0.00");
        assert_eq!(format_aidollar(-4_999), "0.00");
        assert_eq!(format_aidollar(4_999), "0.00");
        assert_eq!(format_aidollar(5_000), "0.01");
    }

    #[test]
    fn formats_the_extremes_of_i64_without_panicking() {
        // i64::MIN and i64::MAX (±9_223_372_036_854.775807 aiD) format and round correctly.
        assert_eq!(format_aidollar(i64::MAX), "9223372036854.78");
        assert_eq!(format_aidollar(i64::MIN), "-9223372036854.78");
        assert_eq!(format_aidollar(i64::MIN + 1), "-9223372036854.78");
    }

    #[test]
    fn parses_whole_fractional_and_negative_amounts() {
        // Each accepted form reads to the exact number of micros.
        assert_eq!(parse_aidollar("12"), Ok(12_000_000));
        assert_eq!(parse_aidollar("12.5"), Ok(12_500_000));
        assert_eq!(parse_aidollar("0.000001"), Ok(1));
        assert_eq!(parse_aidollar("-3.25"), Ok(-3_250_000));
        assert_eq!(parse_aidollar("0"), Ok(0));
        assert_eq!(parse_aidollar("-0"), Ok(0));
        assert_eq!(parse_aidollar("007.10"), Ok(7_100_000));
        assert_eq!(parse_aidollar("1.234567"), Ok(1_234_567));
    }

    #[test]
    fn parses_up_to_the_limits_of_i64_and_refuses_beyond() {
        // The exact i64 extremes are accepted; one micro further, or a huge digit string, is refused.
        assert_eq!(parse_aidollar("9223372036854.775807"), Ok(i64::MAX));
        assert_eq!(parse_aidollar("-9223372036854.775808"), Ok(i64::MIN));
        assert_eq!(
            parse_aidollar("9223372036854.775808"),
            Err(MoneyError::OutOfRange)
        );
        assert_eq!(
            parse_aidollar("-9223372036854.775809"),
            Err(MoneyError::OutOfRange)
        );
        assert_eq!(
            parse_aidollar("99999999999999999999999999"),
            Err(MoneyError::OutOfRange)
        );
    }

    #[test]
    fn refuses_malformed_text() {
        // Every form outside the strict grammar is refused with the matching error.
        assert_eq!(parse_aidollar(""), Err(MoneyError::Empty));
        assert_eq!(parse_aidollar("-"), Err(MoneyError::Empty));
        for bad in [
            "+1", " 1", "1 ", "1e3", "1.", ".5", "-.5", "1.2.3", "1,5", "--1", "abc", "1.-5", "½",
            "1_000",
        ] {
            assert_eq!(parse_aidollar(bad), Err(MoneyError::Malformed), "{bad:?}");
        }
        assert_eq!(
            parse_aidollar("0.0000001"),
            Err(MoneyError::TooManyDecimals)
        );
    }

    #[test]
    fn formatting_a_parsed_whole_cent_amount_gives_the_text_back() {
        // Amounts written with two decimals survive a parse and format round trip.
        for text in ["0.00", "1.23", "-42.50", "1000000.99"] {
            let micros = parse_aidollar(text).expect("valid amount");
            assert_eq!(format_aidollar(micros), text);
        }
    }
}
