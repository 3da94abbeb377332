//! OCC option symbols (the Options Symbology Initiative format, "OSI").
//!
//! The padded form is 21 characters: the root left-justified and padded
//! with spaces to 6, the expiry as `YYMMDD`, `C` or `P`, and the strike in
//! thousandths of a dollar as 8 digits:
//!
//! ```text
//! SPY   250418C00560000    SPY, 2025-04-18, call, strike 560.000
//! ```
//!
//! Data vendors (yfinance, most REST APIs) drop the padding:
//! `SPY250829C00560000`, `SPXW250829P05600000`. [`OccSymbol::parse`] reads
//! both; [`OccSymbol`]'s `Display` writes the padded form and
//! [`OccSymbol::compact`] the vendor form.
//!
//! The root is not always the underlying: PM-settled index weeklies trade
//! under `SPXW`, `NDXP`, `RUTW`, `VIXW`, and corporate actions create
//! adjusted roots (`AAPL1`) whose deliverable differs from 100 shares.
//! [`OccSymbol::underlying`] maps the index weekly roots and nothing else.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use trade_core::{ExerciseStyle, OptionRight, OptionTerms, Price, Settlement, Symbol};

/// Longest root the format holds.
const ROOT_WIDTH: usize = 6;
/// `YYMMDD` + `C`/`P` + 8 strike digits.
const TAIL: usize = 15;
/// Raw [`Price`] units (1e-8 dollars) per thousandth of a dollar.
const RAW_PER_THOUSANDTH: i64 = 100_000;
/// Largest strike the 8 digits hold, in thousandths ($99,999.999).
const MAX_THOUSANDTHS: i64 = 99_999_999;

/// Roots of PM-settled weekly index options and their underlying index.
const WEEKLY_INDEX_ROOTS: [(&str, &str); 5] = [
    ("SPXW", "SPX"),
    ("SPXPM", "SPX"),
    ("NDXP", "NDX"),
    ("RUTW", "RUT"),
    ("VIXW", "VIX"),
];

/// A parsed or built OCC option symbol. Always valid: the root is 1-6
/// characters `A-Z0-9`, the expiry year 2000-2099, the strike a positive
/// whole number of thousandths below $100,000.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OccSymbol {
    root: Symbol,
    expiry: Date,
    right: OptionRight,
    strike: Price,
}

/// Why text is not an OCC option symbol: the position (0-based character
/// index into the input) and what the format needs there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OCC option symbol {input:?}: at position {position} expected {expected}, found {}", found_text(*.found))]
pub struct OccParseError {
    /// The text given.
    pub input: String,
    /// 0-based character index of the first offending character (the
    /// input's length if it ends too early).
    pub position: usize,
    /// What the format needs at that position.
    pub expected: &'static str,
    /// The character found there (`None` at the end of the text).
    pub found: Option<char>,
}

fn found_text(found: Option<char>) -> String {
    match found {
        Some(c) => format!("{c:?}"),
        None => "the end of the text".to_string(),
    }
}

/// Why terms cannot be written as an OCC symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OccError {
    /// The root is empty, longer than 6 characters or not `A-Z0-9`.
    #[error("OCC root {root:?}: expected 1 to 6 characters A-Z or 0-9")]
    Root {
        /// The root given.
        root: String,
    },
    /// The expiry's year does not fit `YY` (2000-2099).
    #[error("OCC expiry {expiry}: expected a year from 2000 to 2099")]
    Expiry {
        /// The expiry given.
        expiry: Date,
    },
    /// The strike is not a positive whole number of thousandths below
    /// $100,000.
    #[error("OCC strike {strike}: expected a positive multiple of 0.001 up to 99999.999")]
    Strike {
        /// The strike given.
        strike: Price,
    },
}

impl OccSymbol {
    /// Builds a symbol from its parts.
    ///
    /// # Errors
    /// [`OccError`] naming the part that does not fit the format.
    pub fn new(
        root: &str,
        expiry: Date,
        right: OptionRight,
        strike: Price,
    ) -> Result<Self, OccError> {
        let root_ok = !root.is_empty()
            && root.len() <= ROOT_WIDTH
            && root
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        let root = root_ok
            .then(|| Symbol::new(root).ok())
            .flatten()
            .ok_or_else(|| OccError::Root {
                root: root.to_string(),
            })?;
        if !(2000..=2099).contains(&expiry.year()) {
            return Err(OccError::Expiry { expiry });
        }
        let raw = strike.raw();
        if raw <= 0 || raw % RAW_PER_THOUSANDTH != 0 || raw / RAW_PER_THOUSANDTH > MAX_THOUSANDTHS {
            return Err(OccError::Strike { strike });
        }
        Ok(OccSymbol {
            root,
            expiry,
            right,
            strike,
        })
    }

    /// The symbol of listed terms, with the underlying's symbol as the root
    /// (right for SPY, QQQ, equities; index weeklies need
    /// [`OccSymbol::new`] with their own root, such as `SPXW`).
    ///
    /// # Errors
    /// As [`OccSymbol::new`].
    pub fn from_terms(terms: &OptionTerms) -> Result<Self, OccError> {
        OccSymbol::new(
            terms.underlying.as_str(),
            terms.expiry,
            terms.right,
            terms.strike,
        )
    }

    /// Parses the padded (`SPY   250418C00560000`) or compact
    /// (`SPY250418C00560000`) form. Strict: upper case, no surrounding
    /// whitespace, a padded root exactly 6 characters wide.
    ///
    /// # Errors
    /// [`OccParseError`] with the position and what was expected there.
    pub fn parse(text: &str) -> Result<Self, OccParseError> {
        let fail = |position: usize, expected: &'static str| OccParseError {
            input: text.to_string(),
            position,
            expected,
            found: text.chars().nth(position),
        };
        if let Some(position) = text.chars().position(|c| !c.is_ascii()) {
            return Err(fail(position, "ASCII characters only"));
        }
        // ASCII from here on: byte index = character index.
        let bytes = text.as_bytes();
        let n = bytes.len();
        if n < 1 + TAIL {
            return Err(fail(
                n,
                "a root of 1-6 characters, then YYMMDD, C or P and an 8-digit strike (the text is too short)",
            ));
        }
        let tail = n - TAIL;
        if tail > ROOT_WIDTH {
            return Err(fail(
                ROOT_WIDTH,
                "the expiry YYMMDD after a root of at most 6 characters (the text is too long)",
            ));
        }
        let root_field = &text[..tail];
        let root = root_field.trim_end_matches(' ');
        if root.is_empty() {
            return Err(fail(0, "an upper-case letter or digit starting the root"));
        }
        if root.len() < root_field.len() && root_field.len() != ROOT_WIDTH {
            return Err(fail(
                root_field.len(),
                "a space: a padded root is exactly 6 characters wide",
            ));
        }
        if let Some(i) = root
            .bytes()
            .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()))
        {
            return Err(fail(i, "an upper-case letter or digit of the root"));
        }
        let digits =
            |from: usize, len: usize, expected: &'static str| -> Result<i64, OccParseError> {
                bytes[from..from + len]
                    .iter()
                    .enumerate()
                    .try_fold(0i64, |acc, (i, &b)| {
                        if b.is_ascii_digit() {
                            Ok(acc * 10 + i64::from(b - b'0'))
                        } else {
                            Err(fail(from + i, expected))
                        }
                    })
            };
        let yy = digits(tail, 2, "a digit of the expiry year (YYMMDD)")?;
        let mm = digits(tail + 2, 2, "a digit of the expiry month (YYMMDD)")?;
        let dd = digits(tail + 4, 2, "a digit of the expiry day (YYMMDD)")?;
        if !(1..=12).contains(&mm) {
            return Err(fail(tail + 2, "an expiry month from 01 to 12"));
        }
        // yy, mm, dd are two-digit numbers here, so the casts are exact.
        let expiry = Date::new(2000 + yy as i16, mm as i8, dd as i8)
            .map_err(|_| fail(tail + 4, "an expiry day that exists in that month"))?;
        let right = match bytes[tail + 6] {
            b'C' => OptionRight::Call,
            b'P' => OptionRight::Put,
            _ => return Err(fail(tail + 6, "C (call) or P (put)")),
        };
        let thousandths = digits(
            tail + 7,
            8,
            "a digit of the strike (8 digits, dollars x 1000)",
        )?;
        if thousandths == 0 {
            return Err(fail(tail + 7, "a strike above zero"));
        }
        let root =
            Symbol::new(root).map_err(|_| fail(0, "an upper-case letter or digit of the root"))?;
        Ok(OccSymbol {
            root,
            expiry,
            right,
            strike: Price::from_raw(thousandths * RAW_PER_THOUSANDTH),
        })
    }

    /// The root as listed (`SPY`, `SPXW`, `AAPL1`).
    pub fn root(&self) -> &Symbol {
        &self.root
    }

    /// Expiry date.
    pub fn expiry(&self) -> Date {
        self.expiry
    }

    /// Call or put.
    pub fn right(&self) -> OptionRight {
        self.right
    }

    /// Strike.
    pub fn strike(&self) -> Price {
        self.strike
    }

    /// The underlying: the index for PM-settled weekly index roots (`SPXW`
    /// and `SPXPM` -> `SPX`, `NDXP` -> `NDX`, `RUTW` -> `RUT`, `VIXW` ->
    /// `VIX`), the root itself otherwise. Adjusted roots (`AAPL1`) are
    /// returned as they are: their deliverable is not the plain underlying,
    /// so mapping them would be wrong; use
    /// [`OccSymbol::terms_with_underlying`] when you know better.
    pub fn underlying(&self) -> Symbol {
        WEEKLY_INDEX_ROOTS
            .iter()
            .find(|(root, _)| *root == self.root.as_str())
            .and_then(|(_, index)| Symbol::new(index).ok())
            .unwrap_or_else(|| self.root.clone())
    }

    /// Contract terms with [`OccSymbol::underlying`] as the underlying; the
    /// symbol does not say how the option exercises or settles, so the
    /// caller does (American/physical for ETFs and equities,
    /// European/cash for SPX and XSP).
    pub fn terms(&self, style: ExerciseStyle, settlement: Settlement) -> OptionTerms {
        self.terms_with_underlying(self.underlying(), style, settlement)
    }

    /// Contract terms with an explicit underlying.
    pub fn terms_with_underlying(
        &self,
        underlying: Symbol,
        style: ExerciseStyle,
        settlement: Settlement,
    ) -> OptionTerms {
        OptionTerms {
            underlying,
            expiry: self.expiry,
            strike: self.strike,
            right: self.right,
            style,
            settlement,
        }
    }

    /// The vendor form without padding (`SPY250418C00560000`).
    pub fn compact(&self) -> String {
        let mut out = String::with_capacity(self.root.as_str().len() + TAIL);
        out.push_str(self.root.as_str());
        self.write_tail(&mut out);
        out
    }

    /// The padded form as a [`Symbol`] (what an [`trade_core::Instrument`]
    /// for this option is called).
    pub fn symbol(&self) -> Symbol {
        // The padded form is 21 characters of A-Z, 0-9 and spaces, never
        // starting with a space: always a valid Symbol.
        Symbol::new(&self.to_string()).expect("an OSI symbol is a valid Symbol")
    }

    fn write_tail(&self, out: &mut String) {
        use std::fmt::Write;
        let thousandths = self.strike.raw() / RAW_PER_THOUSANDTH;
        let right = match self.right {
            OptionRight::Call => 'C',
            OptionRight::Put => 'P',
        };
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{:02}{:02}{:02}{right}{thousandths:08}",
            self.expiry.year() % 100,
            self.expiry.month(),
            self.expiry.day()
        );
    }
}

impl fmt::Display for OccSymbol {
    /// The padded 21-character form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tail = String::with_capacity(TAIL);
        self.write_tail(&mut tail);
        write!(
            f,
            "{:<width$}{tail}",
            self.root.as_str(),
            width = ROOT_WIDTH
        )
    }
}

impl FromStr for OccSymbol {
    type Err = OccParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OccSymbol::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn reads_the_padded_and_compact_forms() {
        let cases = [
            (
                "SPY   250418C00560000",
                "SPY",
                date(2025, 4, 18),
                OptionRight::Call,
                "560",
            ),
            (
                "SPY250829C00560000",
                "SPY",
                date(2025, 8, 29),
                OptionRight::Call,
                "560",
            ),
            (
                "SPXW  250829P05600000",
                "SPXW",
                date(2025, 8, 29),
                OptionRight::Put,
                "5600",
            ),
            (
                "SPXW250829P05600000",
                "SPXW",
                date(2025, 8, 29),
                OptionRight::Put,
                "5600",
            ),
            (
                "AAPL1 240119C00152500",
                "AAPL1",
                date(2024, 1, 19),
                OptionRight::Call,
                "152.5",
            ),
            (
                "F251219P00012500",
                "F",
                date(2025, 12, 19),
                OptionRight::Put,
                "12.5",
            ),
            (
                "QQQ   280229C00000001",
                "QQQ",
                date(2028, 2, 29),
                OptionRight::Call,
                "0.001",
            ),
        ];
        for (i, (text, root, expiry, right, strike)) in cases.into_iter().enumerate() {
            let s = OccSymbol::parse(text).unwrap_or_else(|e| panic!("case {i}: {e}"));
            assert_eq!(s.root().as_str(), root, "case {i}");
            assert_eq!(s.expiry(), expiry, "case {i}");
            assert_eq!(s.right(), right, "case {i}");
            assert_eq!(s.strike(), strike.parse::<Price>().unwrap(), "case {i}");
        }
        let spy = OccSymbol::parse("SPY250829C00560000").unwrap();
        assert_eq!(spy.to_string(), "SPY   250829C00560000");
        assert_eq!(spy.compact(), "SPY250829C00560000");
        assert_eq!(spy.symbol().as_str(), "SPY   250829C00560000");
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let cases: [(&str, usize, &str, Option<char>); 14] = [
            ("", 0, "too short", None),
            ("SPY   25041", 11, "too short", None),
            ("SPYSPYX250418C00560000", 6, "too long", Some('X')),
            ("      250418C00560000", 0, "starting the root", Some(' ')),
            ("SPY  250418C00560000", 5, "exactly 6", Some('2')),
            (
                "S-Y   250418C00560000",
                1,
                "letter or digit of the root",
                Some('-'),
            ),
            (
                "spy   250418C00560000",
                0,
                "letter or digit of the root",
                Some('s'),
            ),
            ("SPY   2504x8C00560000", 10, "expiry day", Some('x')),
            ("SPY   251318C00560000", 8, "month from 01 to 12", Some('1')),
            (
                "SPY   250231C00560000",
                10,
                "exists in that month",
                Some('3'),
            ),
            (
                "SPY   250418X00560000",
                12,
                "C (call) or P (put)",
                Some('X'),
            ),
            (
                "SPY   250418C0056000A",
                20,
                "digit of the strike",
                Some('A'),
            ),
            ("SPY   250418C00000000", 13, "above zero", Some('0')),
            ("SPŸ   250418C00560000", 2, "ASCII", Some('Ÿ')),
        ];
        for (i, (text, position, expected, found)) in cases.into_iter().enumerate() {
            let e = OccSymbol::parse(text).unwrap_err();
            assert_eq!(e.position, position, "case {i}: {e}");
            assert!(e.expected.contains(expected), "case {i}: {e}");
            assert_eq!(e.found, found, "case {i}: {e}");
            assert!(
                e.to_string().contains(&format!("position {position}")),
                "case {i}: {e}"
            );
        }
        assert_eq!(
            OccSymbol::parse("SPY   250418X00560000")
                .unwrap_err()
                .to_string(),
            "invalid OCC option symbol \"SPY   250418X00560000\": at position 12 expected C (call) or P (put), found 'X'"
        );
    }

    #[test]
    fn building_checks_each_part() {
        let day = date(2025, 4, 18);
        let strike = Price::from_cents(56_000);
        assert!(OccSymbol::new("SPY", day, OptionRight::Call, strike).is_ok());
        for root in ["", "TOOLONG", "SP Y", "spy", "BRK.B"] {
            assert_eq!(
                OccSymbol::new(root, day, OptionRight::Call, strike),
                Err(OccError::Root {
                    root: root.to_string()
                })
            );
        }
        let bad_day = date(2100, 1, 1);
        assert_eq!(
            OccSymbol::new("SPY", bad_day, OptionRight::Call, strike),
            Err(OccError::Expiry { expiry: bad_day })
        );
        for raw in [0, -100_000, 50_000, 100_000 * (MAX_THOUSANDTHS + 1)] {
            let strike = Price::from_raw(raw);
            assert_eq!(
                OccSymbol::new("SPY", day, OptionRight::Call, strike),
                Err(OccError::Strike { strike })
            );
        }
    }

    #[test]
    fn terms_carry_style_settlement_and_the_index_of_weeklies() {
        let spxw = OccSymbol::parse("SPXW250829P05600000").unwrap();
        let terms = spxw.terms(ExerciseStyle::European, Settlement::Cash);
        assert_eq!(terms.underlying.as_str(), "SPX");
        assert_eq!(terms.style, ExerciseStyle::European);
        assert_eq!(terms.settlement, Settlement::Cash);
        assert_eq!(terms.strike, Price::from_cents(560_000));
        // Terms name the underlying, so they rebuild the SPX root.
        assert_eq!(
            OccSymbol::from_terms(&terms).unwrap().compact(),
            "SPX250829P05600000"
        );
        let adjusted = OccSymbol::parse("AAPL1 240119C00152500").unwrap();
        assert_eq!(adjusted.underlying().as_str(), "AAPL1");
        let spy = OccSymbol::parse("SPY   250418C00560000").unwrap();
        let t = spy.terms(ExerciseStyle::American, Settlement::Physical);
        assert_eq!(OccSymbol::from_terms(&t).unwrap(), spy);
    }

    prop_compose! {
        fn occ()(
            root in "[A-Z][A-Z0-9]{0,5}",
            year in 2000i16..=2099,
            month in 1i8..=12,
            day in 1i8..=31,
            call in any::<bool>(),
            thousandths in 1i64..=MAX_THOUSANDTHS,
        ) -> OccSymbol {
            // Clamp the day into the month rather than filtering cases.
            let first = Date::new(year, month, 1).unwrap();
            let expiry = Date::new(year, month, day.min(first.days_in_month())).unwrap();
            let right = if call { OptionRight::Call } else { OptionRight::Put };
            OccSymbol::new(&root, expiry, right, Price::from_raw(thousandths * RAW_PER_THOUSANDTH)).unwrap()
        }
    }

    proptest! {
        #[test]
        fn parse_inverts_both_forms(s in occ()) {
            let padded = s.to_string();
            prop_assert_eq!(padded.len(), 21);
            prop_assert_eq!(OccSymbol::parse(&padded).unwrap(), s.clone());
            prop_assert_eq!(OccSymbol::parse(&s.compact()).unwrap(), s.clone());
            let terms = s.terms_with_underlying(s.root().clone(), ExerciseStyle::American, Settlement::Physical);
            prop_assert_eq!(OccSymbol::from_terms(&terms).unwrap(), s);
        }

        /// Text built by hand to the OSI layout (independently of the
        /// formatter) parses and formats back to itself.
        #[test]
        fn format_inverts_parse(
            root in "[A-Z][A-Z0-9]{0,5}",
            yy in 0u32..100,
            month in 1u32..=12,
            day in 1u32..=28,
            cp in "[CP]",
            strike in 1u32..=99_999_999,
        ) {
            let tail = format!("{yy:02}{month:02}{day:02}{cp}{strike:08}");
            let padded = format!("{root}{}{tail}", " ".repeat(6 - root.len()));
            let compact = format!("{root}{tail}");
            let parsed = OccSymbol::parse(&padded).unwrap();
            prop_assert_eq!(parsed.to_string(), padded);
            prop_assert_eq!(parsed.compact(), compact.clone());
            prop_assert_eq!(OccSymbol::parse(&compact).unwrap(), parsed);
        }

        /// Any text: parse never panics, and what it accepts is exactly one
        /// of the two canonical forms of the result.
        #[test]
        fn parse_accepts_only_canonical_text(text in "\\PC{0,24}|[A-Z ]{1,6}[0-9]{6}[CPX][0-9]{8}") {
            if let Ok(s) = OccSymbol::parse(&text) {
                prop_assert!(s.to_string() == text || s.compact() == text, "{text:?}");
            }
        }
    }
}
