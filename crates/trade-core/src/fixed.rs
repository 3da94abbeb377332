//! The fixed-point representation shared by [`Price`](crate::Price) and
//! [`Money`](crate::Money): a signed 64-bit count of 10^-8 units.
//!
//! Why 10^-8: US equity and option prices need at most 4 decimals
//! (sub-penny quotes under $1), commissions such as $0.0035/share need 4 more
//! once multiplied out, and total-return-adjusted history carries long
//! decimal tails that we keep to 8 places. An i64 at this scale holds
//! ±92 billion dollars, ample for one person's account, and makes the hot
//! path (mark-to-market, fills) a plain integer multiply.
//!
//! Values are parsed from decimal *text*, never from `f64`: going through a
//! float first is the classic way to turn `0.1` into `0.09999999`.
//! Digits past the 8th decimal are rounded half-to-even, which is what the
//! text `17.239999771118164` (a Yahoo float printed in full) needs.

use thiserror::Error;

/// Number of decimal places in a raw value.
pub const DECIMALS: u32 = 8;
/// Raw units per whole unit (10^8).
pub const SCALE: i64 = 100_000_000;

const _: () = assert!(SCALE == 10i64.pow(DECIMALS));

/// Why a decimal string could not become a fixed-point value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseFixedError {
    /// Nothing to parse.
    #[error("empty number")]
    Empty,
    /// A character that is not part of a decimal number.
    #[error("invalid number {0:?}: expected a decimal such as 123.45")]
    Invalid(String),
    /// The value does not fit in the representation (about ±9.2e10).
    #[error("number {0:?} is out of range (|x| must be below 9.2e10)")]
    OutOfRange(String),
}

/// Parses decimal text (`-12.345`, `+1`, `.5`, `1e-3`, `1.5E+2`) into raw
/// 10^-8 units, rounding half-to-even beyond 8 decimals.
///
/// # Errors
/// [`ParseFixedError`] when the text is empty, is not a decimal number
/// (including `NaN`/`inf`), or does not fit in an `i64` at this scale.
pub fn parse_raw(text: &str) -> Result<i64, ParseFixedError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(ParseFixedError::Empty);
    }
    let bytes = s.as_bytes();
    let (neg, body) = match bytes[0] {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let invalid = || ParseFixedError::Invalid(text.to_string());
    let (mantissa, exp) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        Some(p) => {
            let e = std::str::from_utf8(&body[p + 1..])
                .ok()
                .and_then(|e| e.parse::<i32>().ok())
                .ok_or_else(invalid)?;
            (&body[..p], e)
        }
        None => (body, 0),
    };
    // Collect the significant digits and where the decimal point sits.
    let mut digits: u128 = 0;
    let mut n_digits_after_point: i32 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    // Digits beyond what u128 can hold only matter for rounding.
    let mut dropped_nonzero = false;
    let mut dropped_count: i32 = 0;
    for &b in mantissa {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                if digits < 10u128.pow(36) {
                    digits = digits * 10 + u128::from(b - b'0');
                    if seen_point {
                        n_digits_after_point += 1;
                    }
                } else {
                    if b != b'0' {
                        dropped_nonzero = true;
                    }
                    if !seen_point {
                        dropped_count += 1;
                    }
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(invalid()),
        }
    }
    if !seen_digit {
        return Err(invalid());
    }
    // value = digits * 10^(dropped_count - n_after + exp); we want value * 10^8.
    let shift = dropped_count - n_digits_after_point + exp + DECIMALS as i32;
    let out_of_range = || ParseFixedError::OutOfRange(text.to_string());
    let raw: u128 = if shift >= 0 {
        if digits == 0 {
            0
        } else {
            if shift > 30 {
                return Err(out_of_range());
            }
            digits
                .checked_mul(10u128.pow(shift as u32))
                .ok_or_else(out_of_range)?
        }
    } else {
        let down = (-shift) as u32;
        if down > 38 {
            0
        } else {
            let div = 10u128.pow(down);
            let q = digits / div;
            let r = digits % div;
            let half = div / 2;
            let round_up = r > half || (r == half && (dropped_nonzero || q % 2 == 1));
            q + u128::from(round_up)
        }
    };
    if raw > i64::MAX as u128 {
        return Err(out_of_range());
    }
    let raw = raw as i64;
    Ok(if neg { -raw } else { raw })
}

/// Formats raw units as a decimal with trailing zeros trimmed (at least
/// `min_decimals` decimals are kept).
pub fn format_raw(raw: i64, min_decimals: u32) -> String {
    let neg = raw < 0;
    let abs = raw.unsigned_abs();
    let int = abs / SCALE as u64;
    let frac = abs % SCALE as u64;
    let mut frac_s = format!("{frac:08}");
    while frac_s.len() > min_decimals as usize && frac_s.ends_with('0') {
        frac_s.pop();
    }
    let sign = if neg { "-" } else { "" };
    if frac_s.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac_s}")
    }
}

/// Divides `num` by `den` rounding half away from zero; `den` must not be 0.
pub(crate) fn div_round(num: i128, den: i128) -> i128 {
    debug_assert!(den != 0);
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den.abs() {
        q + if (num < 0) == (den < 0) { 1 } else { -1 }
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_decimals() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("1", SCALE),
            ("-1", -SCALE),
            ("123.45", 12_345_000_000),
            (".5", 50_000_000),
            ("+0.00000001", 1),
            ("8164300.0", 816_430_000_000_000),
            ("1e-3", 100_000),
            ("1.5E+2", 15_000_000_000),
        ];
        for (i, (text, want)) in cases.iter().enumerate() {
            assert_eq!(parse_raw(text), Ok(*want), "case {i}: {text}");
        }
    }

    #[test]
    fn rounds_half_to_even_past_eight_decimals() {
        // A Yahoo float printed in full: 17.239999771118164 -> 17.23999977
        assert_eq!(parse_raw("17.239999771118164"), Ok(1_723_999_977));
        assert_eq!(parse_raw("0.000000005"), Ok(0)); // tie, even stays
        assert_eq!(parse_raw("0.000000015"), Ok(2)); // tie, odd goes up
        assert_eq!(parse_raw("0.0000000050001"), Ok(1)); // above tie
        assert_eq!(parse_raw("-0.000000015"), Ok(-2));
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        for bad in [
            "", "  ", "abc", "1.2.3", "NaN", "inf", "-", ".", "1e", "12a",
        ] {
            assert!(parse_raw(bad).is_err(), "{bad:?} should fail");
        }
        assert!(matches!(
            parse_raw("1e20"),
            Err(ParseFixedError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_raw("99999999999"),
            Err(ParseFixedError::OutOfRange(_))
        ));
    }

    #[test]
    fn formats_trimmed() {
        assert_eq!(format_raw(12_345_000_000, 2), "123.45");
        assert_eq!(format_raw(-1, 2), "-0.00000001");
        assert_eq!(format_raw(SCALE, 0), "1");
        assert_eq!(format_raw(SCALE, 2), "1.00");
    }

    #[test]
    fn div_round_is_half_away_from_zero() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(4, 3), 1);
        assert_eq!(div_round(-4, 3), -1);
        assert_eq!(div_round(7, -2), -4);
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_round_trips(raw in proptest::num::i64::ANY) {
            let raw = raw / 2; // keep away from i64::MIN whose abs overflows
            proptest::prop_assert_eq!(parse_raw(&format_raw(raw, 0)), Ok(raw));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse_raw(&s);
        }
    }
}
