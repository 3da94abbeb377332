//! The intermediate form every reader produces (parsed rows before any
//! time-zone, order or session work), the number parsers shared by the CSV
//! and Parquet readers, and the sink that applies fail-fast or
//! collect-everything semantics to problems.

use jiff::civil::Date;
use trade_core::fixed::{self, ParseFixedError, SCALE};
use trade_core::{Bar, InstrumentId, Price, Timestamp};

use crate::error::{Location, Problem, ProblemKind, Severity};
use crate::spec::Policy;

/// A corporate action read from a dividend or split column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnAction {
    Dividend(i64),
    Split(i64),
}

/// Everything a reader hands to normalisation: parsed rows as `Bar`s plus
/// a `(line, offset)` per row. Keeping the final `Bar` layout from the
/// start means the output vector is this one, compacted in place: no
/// second million-element copy. Until normalisation stamps it, a row's
/// `ts` field holds its sort key (see [`RawTable::key`]), not an instant.
#[derive(Debug, Default)]
pub(crate) struct RawTable {
    pub bars: Vec<Bar>,
    /// 1-based line (CSV) or row (Parquet), and the explicit UTC offset in
    /// seconds or [`NO_OFFSET`](crate::timestamps::NO_OFFSET).
    pub meta: Vec<(u32, i32)>,
    /// Data rows seen (of the chosen symbol), including rows with problems.
    pub data_rows: usize,
    pub all_date_only: bool,
    pub all_midnight: bool,
    /// (date, action) from dividend/split columns.
    pub actions: Vec<(Date, ColumnAction)>,
    /// Whether locations are lines (CSV) or rows (Parquet).
    pub rows_not_lines: bool,
}

/// One parsed row on its way into a [`RawTable`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub line: u64,
    pub offset: i32,
    pub local: i64,
    pub date_only: bool,
    pub open: i64,
    pub high: i64,
    pub low: i64,
    pub close: i64,
    pub volume: u64,
}

impl RawTable {
    pub fn new(rows_not_lines: bool) -> Self {
        RawTable {
            all_date_only: true,
            all_midnight: true,
            rows_not_lines,
            ..RawTable::default()
        }
    }

    pub fn with_capacity(rows_not_lines: bool, n: usize) -> Self {
        let mut t = RawTable::new(rows_not_lines);
        t.bars.reserve(n);
        t.meta.reserve(n);
        t
    }

    pub fn location(&self, n: u32) -> Location {
        if self.rows_not_lines {
            Location::Row(u64::from(n))
        } else {
            Location::Line(u64::from(n))
        }
    }

    /// Location of row `i`.
    pub fn loc(&self, i: usize) -> Location {
        self.location(self.meta[i].0)
    }

    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// Sort key of row `i`: civil seconds after reading, then a day number
    /// (daily) or UTC seconds (intraday).
    #[inline]
    pub fn key(&self, i: usize) -> i64 {
        self.bars[i].ts.nanos()
    }

    #[inline]
    pub fn set_key(&mut self, i: usize, key: i64) {
        self.bars[i].ts = Timestamp::from_nanos(key);
    }

    #[inline]
    pub fn push(&mut self, r: Row) {
        self.all_date_only &= r.date_only;
        self.all_midnight &= r.local.rem_euclid(crate::timestamps::DAY) == 0;
        self.bars.push(Bar {
            instrument: InstrumentId(0),
            ts: Timestamp::from_nanos(r.local),
            open: Price::from_raw(r.open),
            high: Price::from_raw(r.high),
            low: Price::from_raw(r.low),
            close: Price::from_raw(r.close),
            volume: r.volume,
        });
        self.meta
            .push((u32::try_from(r.line).unwrap_or(u32::MAX), r.offset));
    }

    /// Keeps rows `i` with `keep[i]`, preserving order, in place.
    pub fn retain(&mut self, keep: &[bool]) {
        let mut w = 0;
        for (i, _) in keep
            .iter()
            .enumerate()
            .take(self.bars.len())
            .filter(|(_, k)| **k)
        {
            self.bars[w] = self.bars[i];
            self.meta[w] = self.meta[i];
            w += 1;
        }
        self.bars.truncate(w);
        self.meta.truncate(w);
    }

    pub fn reverse(&mut self) {
        self.bars.reverse();
        self.meta.reverse();
    }
}

/// Marker: stop processing (fail-fast hit an error, or a fatal problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop;

/// Collects problems; in fail-fast mode the first error stops the run.
#[derive(Debug)]
pub(crate) struct Sink {
    pub file: String,
    pub fail_fast: bool,
    pub problems: Vec<Problem>,
}

impl Sink {
    pub fn new(file: String, fail_fast: bool) -> Self {
        Sink {
            file,
            fail_fast,
            problems: Vec::new(),
        }
    }

    /// Records an error; `Err(Stop)` in fail-fast mode.
    pub fn error(
        &mut self,
        location: Location,
        column: Option<&str>,
        kind: ProblemKind,
    ) -> Result<(), Stop> {
        self.problems
            .push(Problem::error(&self.file, location, column, kind));
        if self.fail_fast { Err(Stop) } else { Ok(()) }
    }

    /// Records an error that makes going on pointless in any mode.
    pub fn fatal(&mut self, location: Location, column: Option<&str>, kind: ProblemKind) -> Stop {
        self.problems
            .push(Problem::error(&self.file, location, column, kind));
        Stop
    }

    /// Applies a policy; returns whether to keep the row.
    pub fn policy(
        &mut self,
        policy: Policy,
        location: Location,
        column: Option<&str>,
        kind: ProblemKind,
    ) -> Result<bool, Stop> {
        match policy {
            Policy::Error => self.error(location, column, kind).map(|()| false),
            Policy::Warn | Policy::Drop => {
                let mut p = Problem::error(&self.file, location, column, kind);
                p.severity = Severity::Warning;
                p.dropped = policy == Policy::Drop;
                self.problems.push(p);
                Ok(policy == Policy::Warn)
            }
        }
    }

    /// Records a warning.
    pub fn warn(&mut self, location: Location, column: Option<&str>, kind: ProblemKind) {
        let mut p = Problem::error(&self.file, location, column, kind);
        p.severity = Severity::Warning;
        self.problems.push(p);
    }

    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A decimal price field to raw 10^-8 units. Plain `123.45` is parsed in
/// place; anything else (signs, exponents, long tails) goes through
/// [`fixed::parse_raw`], so results are identical either way.
///
/// # Errors
/// `EmptyField` or `BadNumber`.
#[inline]
pub(crate) fn parse_decimal(field: &[u8]) -> Result<i64, ProblemKind> {
    let f = field.trim_ascii();
    if let Some(v) = fast_decimal(f) {
        return Ok(v);
    }
    slow_decimal(f)
}

#[cold]
fn slow_decimal(f: &[u8]) -> Result<i64, ProblemKind> {
    if f.is_empty() {
        return Err(ProblemKind::EmptyField);
    }
    let s = std::str::from_utf8(f).map_err(|_| ProblemKind::BadNumber { found: lossy(f) })?;
    fixed::parse_raw(s).map_err(|e| match e {
        ParseFixedError::Empty => ProblemKind::EmptyField,
        _ => ProblemKind::BadNumber {
            found: s.to_string(),
        },
    })
}

pub(crate) const POW10: [i64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// `\d{1,10}(\.\d{0,8})?` exactly (no sign, no spaces); `None` sends the
/// caller to the full parser. Ten integer digits times 10^8 stays far
/// below `i64::MAX`, so no overflow checks are needed.
#[inline]
pub(crate) fn fast_decimal(f: &[u8]) -> Option<i64> {
    let n = f.len();
    let mut i = 0;
    let mut int: i64 = 0;
    while i < n && i < 11 {
        let d = f[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        int = int * 10 + i64::from(d);
        i += 1;
    }
    if i == 0 || i > 10 {
        return None;
    }
    if i == n {
        return Some(int * SCALE);
    }
    if f[i] != b'.' || n - i - 1 > 8 {
        return None;
    }
    let mut frac: i64 = 0;
    for &b in &f[i + 1..] {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        frac = frac * 10 + i64::from(d);
    }
    Some(int * SCALE + frac * POW10[8 - (n - i - 1)])
}

/// A plain whole-number volume (`3952` or `3952.0`); `None` sends the
/// caller to [`parse_volume`].
#[inline]
pub(crate) fn fast_volume(f: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    let mut i = 0;
    while i < f.len() && i < 19 {
        let d = f[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + u64::from(d);
        i += 1;
    }
    (i > 0 && (i == f.len() || (f[i] == b'.' && f[i + 1..].iter().all(|&b| b == b'0'))))
        .then_some(v)
}

/// A volume field: a non-negative whole number, also written as a float
/// (`8164300.0`); fractional volumes round half up.
///
/// # Errors
/// `EmptyField` or `BadVolume`.
#[inline]
pub(crate) fn parse_volume(field: &[u8]) -> Result<u64, ProblemKind> {
    let f = field.trim_ascii();
    if let Some(v) = fast_volume(f) {
        return Ok(v);
    }
    if f.is_empty() {
        return Err(ProblemKind::EmptyField);
    }
    let bad = || ProblemKind::BadVolume { found: lossy(f) };
    let s = std::str::from_utf8(f).map_err(|_| bad())?;
    match fixed::parse_raw(s) {
        Ok(raw) if raw >= 0 => Ok(((raw + SCALE / 2) / SCALE) as u64),
        Ok(_) => Err(bad()),
        Err(ParseFixedError::OutOfRange(_)) => {
            let x: f64 = s.parse().map_err(|_| bad())?;
            if (0.0..1.8e19).contains(&x) {
                Ok(x.round() as u64)
            } else {
                Err(bad())
            }
        }
        Err(_) => Err(bad()),
    }
}

/// `a * num / den` rounded half away from zero, `None` on overflow.
pub(crate) fn mul_div(a: i64, num: i64, den: i64) -> Option<i64> {
    if den == 0 {
        return None;
    }
    let (a, num, den) = (i128::from(a), i128::from(num), i128::from(den));
    let p = a * num;
    let q = p / den;
    let r = p % den;
    let q = if 2 * r.abs() >= den.abs() {
        q + if (p < 0) == (den < 0) { 1 } else { -1 }
    } else {
        q
    };
    i64::try_from(q).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_table() {
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("498.33", Ok(49_833_000_000)),
            (" 1 ", Ok(100_000_000)),
            ("0.00000001", Ok(1)),
            ("25.818120120768864", Ok(2_581_812_012)),
            ("-1", Ok(-100_000_000)),
            ("1e2", Ok(10_000_000_000)),
            ("12.", Ok(1_200_000_000)),
            ("9999999999.99999999", Ok(999_999_999_999_999_999)),
            ("", Err("empty")),
            ("abc", Err("bad")),
            ("NaN", Err("bad")),
            ("inf", Err("bad")),
            ("1.2.3", Err("bad")),
        ];
        for (text, want) in cases {
            let got = parse_decimal(text.as_bytes());
            match want {
                Ok(v) => assert_eq!(got, Ok(*v), "case {text:?}"),
                Err("empty") => assert_eq!(got, Err(ProblemKind::EmptyField), "case {text:?}"),
                Err(_) => assert!(
                    matches!(got, Err(ProblemKind::BadNumber { .. })),
                    "case {text:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn volume_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("8164300.0", Some(8_164_300)),
            ("3952", Some(3952)),
            ("0", Some(0)),
            ("1.5e6", Some(1_500_000)),
            ("2.5", Some(3)),
            ("1e12", Some(1_000_000_000_000)),
            ("-5", None),
            ("x", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_volume(text.as_bytes()).ok(), *want, "case {text:?}");
        }
    }

    #[test]
    fn mul_div_rounds() {
        assert_eq!(mul_div(7, 1, 2), Some(4));
        assert_eq!(mul_div(-7, 1, 2), Some(-4));
        assert_eq!(mul_div(10, 1, 3), Some(3));
        assert_eq!(mul_div(1, 1, 0), None);
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_parse_raw(s in "[0-9]{1,12}(\\.[0-9]{0,10})?") {
            let full = fixed::parse_raw(&s).ok();
            proptest::prop_assert_eq!(parse_decimal(s.as_bytes()).ok(), full);
            if let Some(v) = fast_decimal(s.as_bytes()) {
                proptest::prop_assert_eq!(Some(v), full);
            }
        }

        #[test]
        fn fast_volume_agrees(s in "[0-9]{1,21}(\\.0{0,3})?") {
            if let Some(v) = fast_volume(s.as_bytes()) {
                let int: String = s.split('.').next().unwrap_or_default().to_string();
                proptest::prop_assert_eq!(Some(v), int.parse::<u64>().ok());
            }
        }
    }
}
