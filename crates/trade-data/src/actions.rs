//! Corporate actions: types, the actions-file format, and conversion of
//! vendor dividend/split columns.
//!
//! # Actions file format
//!
//! A CSV file with a header naming (in any order) `date`, `action`,
//! `value` and optionally `symbol`. Lines starting with `#` and blank lines
//! are ignored.
//!
//! ```text
//! # ex-dates, New York
//! date,symbol,action,value
//! 2014-06-09,AAPL,split,7:1
//! 2014-08-07,AAPL,dividend,0.47
//! 2019-05-01,XYZ,split,1:10
//! ```
//!
//! * `date`: the **ex-date** (first day trading without the dividend or at
//!   the new share count), any date shape the bar loader accepts
//!   (`2014-06-09`, `6/9/2014`, ...).
//! * `action`: `split` or `dividend` (case-insensitive; `div` also works).
//! * `value`: for a split, new shares per old share: `7` or `7:1` (7-for-1),
//!   `3:2`, `1:10` (1-for-10 reverse split), or a decimal such as `0.5`;
//!   for a dividend, cash per share in the trading currency (`0.47`).
//! * `symbol`: optional; actions without one apply to any file.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use jiff::civil::Date;
use trade_core::fixed::{self, SCALE};
use trade_core::{Price, Symbol};

use crate::columns::normalise;
use crate::error::{DataError, Location, Problem, ProblemKind};
use crate::table::ColumnAction;
use crate::timestamps::{self, DAY, date_of_day};

/// A split: `new` shares for every `old` share (7:1 forward, 1:10 reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitRatio {
    /// Shares after.
    pub new: u64,
    /// Shares before.
    pub old: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl SplitRatio {
    /// `new:old` in lowest terms; `None` if either is zero.
    pub fn new(new: u64, old: u64) -> Option<Self> {
        if new == 0 || old == 0 {
            return None;
        }
        let g = gcd(new, old);
        Some(SplitRatio {
            new: new / g,
            old: old / g,
        })
    }

    /// From a positive decimal in raw 10^-8 units (`7.0`, `0.5`, `1.5`).
    pub fn from_raw(raw: i64) -> Option<Self> {
        SplitRatio::new(u64::try_from(raw).ok()?, SCALE as u64)
    }

    /// Price divisor (`new / old`).
    pub fn to_f64(self) -> f64 {
        self.new as f64 / self.old as f64
    }
}

impl fmt::Display for SplitRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.new, self.old)
    }
}

impl FromStr for SplitRatio {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected a split ratio such as 7, 7:1, 3:2 or 1:10, found {s:?}");
        let t = s.trim();
        if let Some((a, b)) = t.split_once(':').or_else(|| t.split_once('/')) {
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b.trim().parse().map_err(|_| bad())?;
            return SplitRatio::new(a, b).ok_or_else(bad);
        }
        let raw = fixed::parse_raw(t).map_err(|_| bad())?;
        SplitRatio::from_raw(raw).ok_or_else(bad)
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// A split (or reverse split).
    Split(SplitRatio),
    /// A cash dividend per share.
    Dividend(Price),
}

/// A corporate action effective on its ex-date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorporateAction {
    /// The ex-date (New York).
    pub ex_date: Date,
    /// The symbol, if the source names one.
    pub symbol: Option<Symbol>,
    /// Split or dividend.
    pub kind: ActionKind,
}

impl fmt::Display for CorporateAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sym = self
            .symbol
            .as_ref()
            .map_or(String::new(), |s| format!("{s} "));
        match self.kind {
            ActionKind::Split(r) => write!(f, "{sym}split {r} on {}", self.ex_date),
            ActionKind::Dividend(d) => write!(f, "{sym}dividend {d} on {}", self.ex_date),
        }
    }
}

/// Actions of `symbol` (and those without a symbol), by ex-date.
pub fn actions_for(actions: &[CorporateAction], symbol: &str) -> Vec<CorporateAction> {
    let mut out: Vec<CorporateAction> = actions
        .iter()
        .filter(|a| {
            a.symbol
                .as_ref()
                .is_none_or(|s| s.as_str().eq_ignore_ascii_case(symbol))
        })
        .cloned()
        .collect();
    out.sort_by_key(|a| a.ex_date);
    out
}

pub(crate) fn from_columns(found: &[(Date, ColumnAction)]) -> Vec<CorporateAction> {
    let mut out: Vec<CorporateAction> = found
        .iter()
        .filter_map(|&(ex_date, a)| {
            let kind = match a {
                ColumnAction::Dividend(raw) => ActionKind::Dividend(Price::from_raw(raw)),
                ColumnAction::Split(raw) => ActionKind::Split(SplitRatio::from_raw(raw)?),
            };
            Some(CorporateAction {
                ex_date,
                symbol: None,
                kind,
            })
        })
        .collect();
    out.sort_by_key(|a| a.ex_date);
    out
}

/// Reads an actions file (format in the module docs).
///
/// # Errors
/// [`DataError::Io`], or the first located problem.
pub fn read_actions_file(path: &Path) -> Result<Vec<CorporateAction>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_actions(&bytes, &path.display().to_string())
}

/// Parses actions-file bytes; `file` names the source in messages.
///
/// # Errors
/// The first located problem ([`DataError::Invalid`]).
pub fn parse_actions(bytes: &[u8], file: &str) -> Result<Vec<CorporateAction>, DataError> {
    let err = |loc: Location, col: Option<&str>, kind: ProblemKind| {
        DataError::from(Problem::error(file, loc, col, kind))
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut idx = [usize::MAX; 4]; // date, symbol, action, value
    let mut out = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(err(
                    Location::Line(line),
                    None,
                    ProblemKind::Malformed(e.to_string()),
                ));
            }
        }
        let line = rec.position().map_or(0, csv::Position::line);
        let loc = Location::Line(line);
        if rec.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        let Some(names) = &header else {
            let names: Vec<String> = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect();
            for (slot, (role, required)) in idx.iter_mut().zip([
                ("date", true),
                ("symbol", false),
                ("action", true),
                ("value", true),
            ]) {
                match names.iter().position(|n| normalise(n) == role) {
                    Some(i) => *slot = i,
                    None if required => {
                        return Err(err(
                            loc,
                            None,
                            ProblemKind::MissingColumn {
                                role,
                                available: names.clone(),
                            },
                        ));
                    }
                    None => {}
                }
            }
            header = Some(names);
            continue;
        };
        let get = |i: usize| {
            rec.get(i)
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
        };
        let col = |i: usize| names.get(i).map(String::as_str);
        let Some(date_text) = get(idx[0]) else {
            return Err(err(
                loc,
                None,
                ProblemKind::FieldCount {
                    expected: names.len(),
                    found: rec.len(),
                },
            ));
        };
        let ex_date = timestamps::parse_auto(date_text.as_bytes())
            .filter(|p| p.local.rem_euclid(DAY) == 0)
            .and_then(|p| date_of_day(p.local.div_euclid(DAY)))
            .ok_or_else(|| {
                err(
                    loc,
                    col(idx[0]),
                    ProblemKind::BadTimestamp {
                        found: date_text.clone(),
                        expected: "a date such as 2014-06-09".into(),
                    },
                )
            })?;
        let symbol = match (idx[1] != usize::MAX).then(|| get(idx[1])).flatten() {
            Some(s) if !s.is_empty() => Some(
                Symbol::new(&s)
                    .map_err(|e| err(loc, col(idx[1]), ProblemKind::BadSpec(e.to_string())))?,
            ),
            _ => None,
        };
        let action = get(idx[2]).unwrap_or_default();
        let value = get(idx[3]).unwrap_or_default();
        let kind = match normalise(&action).as_str() {
            "split" | "splits" | "stocksplit" => ActionKind::Split(
                value
                    .parse::<SplitRatio>()
                    .map_err(|m| err(loc, col(idx[3]), ProblemKind::BadSpec(m)))?,
            ),
            "dividend" | "dividends" | "div" | "cashdividend" => {
                let raw = fixed::parse_raw(&value).map_err(|_| {
                    err(
                        loc,
                        col(idx[3]),
                        ProblemKind::BadNumber {
                            found: value.clone(),
                        },
                    )
                })?;
                if raw <= 0 {
                    return Err(err(
                        loc,
                        col(idx[3]),
                        ProblemKind::NonPositivePrice { found: value },
                    ));
                }
                ActionKind::Dividend(Price::from_raw(raw))
            }
            _ => {
                let kind = ProblemKind::BadSpec(format!(
                    "action {action:?}: expected \"split\" or \"dividend\""
                ));
                return Err(err(loc, col(idx[2]), kind));
            }
        };
        out.push(CorporateAction {
            ex_date,
            symbol,
            kind,
        });
    }
    if header.is_none() {
        return Err(err(Location::File, None, ProblemKind::EmptyFile));
    }
    out.sort_by_key(|a| a.ex_date);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn split_ratio_table() {
        let cases: &[(&str, Option<(u64, u64)>)] = &[
            ("7", Some((7, 1))),
            ("7:1", Some((7, 1))),
            ("1:10", Some((1, 10))),
            ("3:2", Some((3, 2))),
            ("6:4", Some((3, 2))),
            ("0.5", Some((1, 2))),
            ("1.5", Some((3, 2))),
            ("2/1", Some((2, 1))),
            ("0", None),
            ("-2", None),
            ("7:0", None),
            ("x", None),
        ];
        for (text, want) in cases {
            let got = text.parse::<SplitRatio>().ok().map(|r| (r.new, r.old));
            assert_eq!(got, *want, "case {text:?}");
        }
    }

    #[test]
    fn parses_documented_example() {
        let text = "# ex-dates, New York\ndate,symbol,action,value\n2014-06-09,AAPL,split,7:1\n\n2014-08-07,AAPL,dividend,0.47\n2019-05-01,XYZ,split,1:10\n";
        let a = parse_actions(text.as_bytes(), "a.csv").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].kind, ActionKind::Split(SplitRatio { new: 7, old: 1 }));
        assert_eq!(a[1].kind, ActionKind::Dividend(Price::from_cents(47)));
        assert_eq!(a[2].ex_date, date(2019, 5, 1));
        assert_eq!(actions_for(&a, "aapl").len(), 2);
        assert_eq!(a[0].to_string(), "AAPL split 7:1 on 2014-06-09");
    }

    #[test]
    fn errors_are_located() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "bad ratio",
                "date,action,value\n2014-06-09,split,x",
                "a.csv:2: column \"value\"",
            ),
            (
                "bad action",
                "date,action,value\n2014-06-09,merger,1",
                "a.csv:2: column \"action\"",
            ),
            (
                "bad date",
                "date,action,value\n2014-13-09,split,7",
                "a.csv:2: column \"date\"",
            ),
            (
                "negative dividend",
                "date,action,value\n2014-06-09,dividend,-1",
                "a.csv:2: column \"value\"",
            ),
            (
                "missing column",
                "date,kind,value\n",
                "a.csv:1: no action column",
            ),
            ("empty", "", "a.csv: the file is empty"),
        ];
        for (name, text, want) in cases {
            let e = parse_actions(text.as_bytes(), "a.csv")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "case {name}: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_actions(&bytes, "p.csv");
        }

        #[test]
        fn never_panics_on_rows(rows in proptest::collection::vec("[-0-9a-z:./ ,]{0,30}", 0..8)) {
            let text = format!("date,symbol,action,value\n{}", rows.join("\n"));
            let _ = parse_actions(text.as_bytes(), "p.csv");
        }
    }
}
