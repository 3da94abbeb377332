//! Column mapping: which header column plays which role, configured or
//! auto-detected from the vendor names seen in the wild.
//!
//! Names are compared after lower-casing and dropping everything that is
//! not a letter or digit, so `Adj Close`, `adj_close` and `AdjClose` are the
//! same name and a BOM or stray spaces around a header do not matter.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::error::{Location, Problem, ProblemKind};

/// One column choice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ColumnSel {
    /// Detect from the header (the default).
    #[default]
    Auto,
    /// This header name (matched loosely, see the module docs).
    Name(String),
    /// This 0-based position.
    Index(usize),
    /// Do not use this role even if a column looks like it (`false` in TOML).
    Off,
}

impl<'de> Deserialize<'de> for ColumnSel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ColumnSel;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column name, a 0-based column index, or false")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ColumnSel, E> {
                if v == "auto" {
                    Ok(ColumnSel::Auto)
                } else {
                    Ok(ColumnSel::Name(v.to_string()))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ColumnSel, E> {
                usize::try_from(v)
                    .map(ColumnSel::Index)
                    .map_err(|_| E::custom("column index too large"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ColumnSel, E> {
                usize::try_from(v)
                    .map(ColumnSel::Index)
                    .map_err(|_| E::custom("column index must not be negative"))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ColumnSel, E> {
                if v {
                    Err(E::custom("use a column name or index, or false to disable"))
                } else {
                    Ok(ColumnSel::Off)
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Which column holds what. Every role defaults to auto-detection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColumnMap {
    /// Date or date-time (`date`, `datetime`, `timestamp`, `time`, ...).
    pub timestamp: ColumnSel,
    /// A separate time-of-day column (`Date,Time,...` exports).
    pub time: ColumnSel,
    /// Open price.
    pub open: ColumnSel,
    /// High price.
    pub high: ColumnSel,
    /// Low price.
    pub low: ColumnSel,
    /// Close price; set to `"Adj Close"` to take the vendor's adjusted close.
    pub close: ColumnSel,
    /// Volume; optional (missing means 0).
    pub volume: ColumnSel,
    /// Adjusted close, used with `scale_to_adj_close`.
    pub adj_close: ColumnSel,
    /// Cash dividend per share on the ex-date (`dividends`, `ex-dividend`,
    /// `dividend_amount`).
    pub dividend: ColumnSel,
    /// Split ratio on the ex-date (`stock splits`, `split_ratio`,
    /// `split_coefficient`); 0 and 1 mean "no split".
    pub split: ColumnSel,
    /// Ticker, for files holding several symbols.
    pub symbol: ColumnSel,
}

impl ColumnMap {
    pub(crate) fn canonical(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.timestamp,
            self.time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.adj_close,
            self.dividend,
            self.split,
            self.symbol
        )
    }
}

/// Column positions after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Timestamp column.
    pub timestamp: usize,
    /// Separate time column.
    pub time: Option<usize>,
    /// Open.
    pub open: usize,
    /// High.
    pub high: usize,
    /// Low.
    pub low: usize,
    /// Close.
    pub close: usize,
    /// Volume.
    pub volume: Option<usize>,
    /// Adjusted close (only resolved when needed).
    pub adj_close: Option<usize>,
    /// Dividend.
    pub dividend: Option<usize>,
    /// Split.
    pub split: Option<usize>,
    /// Symbol.
    pub symbol: Option<usize>,
    /// Header names (or `column N` without a header), for messages.
    pub names: Vec<String>,
}

impl Resolved {
    /// The display name of column `i`.
    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("?", String::as_str)
    }
}

pub(crate) fn normalise(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

// Preference order matters: `datetime` beats `date` when both exist, and
// `close` must never pick up `adj_close` by accident (exact names only).
const TIMESTAMP: &[&str] = &[
    "datetime",
    "timestamp",
    "date",
    "time",
    "dt",
    "datetimeutc",
    "tradedate",
    "day",
];
const TIME: &[&str] = &["time"];
const OPEN: &[&str] = &["open", "o", "openprice"];
const HIGH: &[&str] = &["high", "h", "highprice"];
const LOW: &[&str] = &["low", "l", "lowprice"];
const CLOSE: &[&str] = &["close", "c", "closeprice", "last"];
const VOLUME: &[&str] = &["volume", "vol", "v"];
const ADJ_CLOSE: &[&str] = &["adjclose", "adjustedclose", "adjclosed"];
const DIVIDEND: &[&str] = &[
    "dividends",
    "dividend",
    "dividendamount",
    "exdividend",
    "div",
];
const SPLIT: &[&str] = &[
    "stocksplits",
    "split",
    "splits",
    "splitcoefficient",
    "splitratio",
    "splitfactor",
];
const SYMBOL: &[&str] = &["ticker", "symbol", "sym"];

/// Positional default for files without a header.
const HEADERLESS: [&str; 6] = ["date", "open", "high", "low", "close", "volume"];

struct Ctx<'a> {
    file: &'a str,
    names: &'a [String],
    norm: Vec<String>,
    header_line: Location,
}

impl Ctx<'_> {
    fn find(&self, candidates: &[&str]) -> Option<usize> {
        candidates
            .iter()
            .find_map(|c| self.norm.iter().position(|n| n == c))
    }

    fn resolve(
        &self,
        role: &'static str,
        sel: &ColumnSel,
        candidates: &[&str],
        required: bool,
    ) -> Result<Option<usize>, Box<Problem>> {
        let missing = |wanted: String| {
            Box::new(Problem::error(
                self.file,
                self.header_line,
                None,
                ProblemKind::UnknownColumn {
                    role,
                    wanted,
                    available: self.names.to_vec(),
                },
            ))
        };
        match sel {
            ColumnSel::Off if required => Err(Box::new(Problem::error(
                self.file,
                Location::File,
                None,
                ProblemKind::BadSpec(format!("the {role} column cannot be disabled")),
            ))),
            ColumnSel::Off => Ok(None),
            ColumnSel::Index(i) if *i < self.names.len() => Ok(Some(*i)),
            ColumnSel::Index(i) => Err(missing(format!("#{i}"))),
            ColumnSel::Name(n) => {
                let want = normalise(n);
                // Exact (trimmed) match first, so two headers that only
                // differ in punctuation can still be told apart.
                if let Some(i) = self.names.iter().position(|h| h.trim() == n.trim()) {
                    return Ok(Some(i));
                }
                match self.norm.iter().position(|h| *h == want) {
                    Some(i) => Ok(Some(i)),
                    None => Err(missing(n.clone())),
                }
            }
            ColumnSel::Auto => match self.find(candidates) {
                Some(i) => Ok(Some(i)),
                None if required => Err(Box::new(Problem::error(
                    self.file,
                    self.header_line,
                    None,
                    ProblemKind::MissingColumn {
                        role,
                        available: self.names.to_vec(),
                    },
                ))),
                None => Ok(None),
            },
        }
    }
}

/// Resolves the map against a header (`Some(names)`) or, for headerless
/// files, against `n_fields` positions.
///
/// # Errors
/// A [`Problem`] naming the role, the wanted column and the available ones
/// (boxed: problems are large and this is not a hot path).
pub fn resolve(
    map: &ColumnMap,
    header: Option<&[String]>,
    n_fields: usize,
    file: &str,
    need_adj_close: bool,
) -> Result<Resolved, Box<Problem>> {
    let (names, norm, header_line): (Vec<String>, Vec<String>, Location) = match header {
        Some(h) => {
            let names: Vec<String> = h
                .iter()
                .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
                .collect();
            let norm = names.iter().map(|n| normalise(n)).collect();
            (names, norm, Location::Line(1))
        }
        None => {
            let names: Vec<String> = (0..n_fields).map(|i| format!("column {i}")).collect();
            let norm = (0..n_fields)
                .map(|i| {
                    HEADERLESS
                        .get(i)
                        .map_or_else(String::new, |s| (*s).to_string())
                })
                .collect();
            (names, norm, Location::File)
        }
    };
    let ctx = Ctx {
        file,
        names: &names,
        norm,
        header_line,
    };
    let req = |role, sel, cands| ctx.resolve(role, sel, cands, true).map(|o| o.unwrap_or(0));
    let timestamp = req("timestamp", &map.timestamp, TIMESTAMP)?;
    let open = req("open", &map.open, OPEN)?;
    let high = req("high", &map.high, HIGH)?;
    let low = req("low", &map.low, LOW)?;
    let close = req("close", &map.close, CLOSE)?;
    // A `time` column only counts as separate when the timestamp column is
    // something else (typically `Date`).
    let time = match &map.time {
        ColumnSel::Auto => ctx.find(TIME).filter(|&i| i != timestamp),
        sel => ctx.resolve("time", sel, TIME, false)?,
    };
    let volume = ctx.resolve("volume", &map.volume, VOLUME, false)?;
    let adj_close = if need_adj_close || !matches!(map.adj_close, ColumnSel::Auto) {
        ctx.resolve("adj_close", &map.adj_close, ADJ_CLOSE, need_adj_close)?
    } else {
        None
    };
    let dividend = ctx.resolve("dividend", &map.dividend, DIVIDEND, false)?;
    let split = ctx.resolve("split", &map.split, SPLIT, false)?;
    let symbol = ctx.resolve("symbol", &map.symbol, SYMBOL, false)?;
    let mut used: Vec<usize> = vec![timestamp, open, high, low, close];
    used.extend(
        [time, volume, dividend, split, symbol]
            .into_iter()
            .flatten(),
    );
    let mut sorted = used.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(Box::new(Problem::error(
            file,
            header_line,
            None,
            ProblemKind::ColumnUsedTwice {
                column: names[w[0]].clone(),
            },
        )));
    }
    Ok(Resolved {
        timestamp,
        time,
        open,
        high,
        low,
        close,
        volume,
        adj_close,
        dividend,
        split,
        symbol,
        names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn auto_detects_vendor_headers() {
        // (case, header, expected [ts, open, high, low, close], volume, dividend, split, symbol)
        type Case = (
            &'static str,
            &'static str,
            [usize; 5],
            Option<usize>,
            Option<usize>,
            Option<usize>,
            Option<usize>,
        );
        let cases: &[Case] = &[
            (
                "pandas-ta",
                "date,open,high,low,close,volume,dividends,stock splits",
                [0, 1, 2, 3, 4],
                Some(5),
                Some(6),
                Some(7),
                None,
            ),
            (
                "yahoo",
                "Date,Open,High,Low,Close,Adj Close,Volume",
                [0, 1, 2, 3, 4],
                Some(6),
                None,
                None,
                None,
            ),
            (
                "alitalbi order",
                "Date,Close,High,Low,Open,Volume",
                [0, 4, 2, 3, 1],
                Some(5),
                None,
                None,
                None,
            ),
            (
                "polygon",
                "datetime,open,high,low,close,volume,vwap,transactions",
                [0, 1, 2, 3, 4],
                Some(5),
                None,
                None,
                None,
            ),
            (
                "quandl",
                "ticker,date,open,high,low,close,volume,ex-dividend,split_ratio,adj_open,adj_high,adj_low,adj_close,adj_volume",
                [1, 2, 3, 4, 5],
                Some(6),
                Some(7),
                Some(8),
                Some(0),
            ),
            (
                "alpha vantage",
                "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient",
                [0, 1, 2, 3, 4],
                Some(6),
                Some(7),
                Some(8),
                None,
            ),
            (
                "tradingview",
                "time,open,high,low,close,Volume",
                [0, 1, 2, 3, 4],
                Some(5),
                None,
                None,
                None,
            ),
            (
                "bom and spaces",
                "\u{feff}Date, Open ,High,Low,Close",
                [0, 1, 2, 3, 4],
                None,
                None,
                None,
                None,
            ),
        ];
        for (name, h, cols, vol, div, split, sym) in cases {
            let r = resolve(&ColumnMap::default(), Some(&header(h)), 0, "f", false)
                .unwrap_or_else(|e| panic!("case {name}: {e}"));
            assert_eq!(
                [r.timestamp, r.open, r.high, r.low, r.close],
                *cols,
                "case {name}"
            );
            assert_eq!(
                (r.volume, r.dividend, r.split, r.symbol),
                (*vol, *div, *split, *sym),
                "case {name}"
            );
        }
    }

    #[test]
    fn date_and_time_columns_combine() {
        let r = resolve(
            &ColumnMap::default(),
            Some(&header("Date,Time,Open,High,Low,Close,Volume")),
            0,
            "f",
            false,
        )
        .unwrap();
        assert_eq!((r.timestamp, r.time), (0, Some(1)));
    }

    #[test]
    fn configured_names_and_errors() {
        let h = header("Date,Open,High,Low,Close,Adj Close,Volume");
        let map = ColumnMap {
            close: ColumnSel::Name("adj close".into()),
            ..ColumnMap::default()
        };
        assert_eq!(resolve(&map, Some(&h), 0, "f", false).unwrap().close, 5);

        let map = ColumnMap {
            close: ColumnSel::Name("Adj Clse".into()),
            ..ColumnMap::default()
        };
        let err = resolve(&map, Some(&h), 0, "data/x.csv", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("data/x.csv:1: close column \"Adj Clse\" not found"),
            "{err}"
        );
        assert!(err.contains("\"Adj Close\", \"Volume\""), "{err}");

        let map = ColumnMap {
            volume: ColumnSel::Off,
            ..ColumnMap::default()
        };
        assert_eq!(resolve(&map, Some(&h), 0, "f", false).unwrap().volume, None);

        let err = resolve(
            &ColumnMap::default(),
            Some(&header("when,o,h,l,c")),
            0,
            "f",
            false,
        )
        .unwrap_err();
        assert!(
            matches!(
                err.kind,
                ProblemKind::MissingColumn {
                    role: "timestamp",
                    ..
                }
            ),
            "{err}"
        );

        let map = ColumnMap {
            open: ColumnSel::Name("Close".into()),
            ..ColumnMap::default()
        };
        let err = resolve(&map, Some(&h), 0, "f", false).unwrap_err();
        assert!(
            matches!(err.kind, ProblemKind::ColumnUsedTwice { .. }),
            "{err}"
        );
    }

    #[test]
    fn headerless_is_positional() {
        let r = resolve(&ColumnMap::default(), None, 6, "f", false).unwrap();
        assert_eq!(
            [r.timestamp, r.open, r.high, r.low, r.close],
            [0, 1, 2, 3, 4]
        );
        assert_eq!(r.volume, Some(5));
        assert_eq!(r.name(3), "column 3");
    }
}
