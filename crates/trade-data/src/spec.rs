//! [`BarFileSpec`]: how to read one bar file, as written in TOML config.
//!
//! Everything has a default so that `path = "SPY.csv"` alone works for the
//! common vendor shapes; unknown keys are rejected so that a typo such as
//! `on_bad_ohcl` fails loudly instead of silently using the strict default.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::columns::ColumnMap;

/// What to do with a recoverable problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Refuse the file (the default: surprises in backtest data are bugs).
    #[default]
    Error,
    /// Keep the row and report it.
    Warn,
    /// Drop the row and report it.
    Drop,
}

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// By extension: `.parquet`/`.pq` is Parquet, anything else CSV.
    #[default]
    Auto,
    /// Delimited text.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Whether a vendor stamps a bar with its start or its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarLabel {
    /// The label is the bar's first instant (Polygon, IB, most vendors).
    #[default]
    Start,
    /// The label is the bar's last instant.
    End,
}

/// Which intraday bars to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradingHours {
    /// Only bars inside the regular session (09:30-16:00 New York).
    #[default]
    Regular,
    /// Pre- and post-market bars too.
    All,
}

/// Row order of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOrder {
    /// Detect; newest-first files are reversed.
    #[default]
    Auto,
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

impl RowOrder {
    pub(crate) fn name(self) -> &'static str {
        match self {
            RowOrder::Auto => "auto",
            RowOrder::Ascending => "ascending",
            RowOrder::Descending => "descending",
        }
    }
}

/// How timestamps are written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum TimestampFormat {
    /// Recognise per value: `2024-02-20`, `2024-02-20 09:30[:00][±hh:mm|Z]`,
    /// `T` separators, `M/D/YYYY[ H:MM[:SS]]`, `YYYYMMDD`, Unix epoch
    /// seconds (9-10 digits) or milliseconds (12-13 digits).
    #[default]
    Auto,
    /// Unix epoch seconds (UTC).
    EpochSeconds,
    /// Unix epoch milliseconds (UTC).
    EpochMillis,
    /// A `strftime` pattern such as `%d.%m.%Y %H:%M` (jiff's `strtime`).
    Pattern(String),
}

impl TryFrom<String> for TimestampFormat {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "auto" => Ok(TimestampFormat::Auto),
            "epoch" | "epoch_s" | "unix" => Ok(TimestampFormat::EpochSeconds),
            "epoch_ms" | "unix_ms" => Ok(TimestampFormat::EpochMillis),
            p if p.contains('%') => Ok(TimestampFormat::Pattern(s)),
            _ => Err(format!(
                "timestamp_format {s:?}: expected \"auto\", \"epoch_s\", \"epoch_ms\" or a strftime pattern such as \"%m/%d/%Y\""
            )),
        }
    }
}

/// Bar length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// One regular session per bar.
    Daily,
    /// A fixed number of seconds.
    Seconds(u32),
}

impl Interval {
    /// Length in seconds (`None` for daily bars, whose length varies).
    pub fn seconds(self) -> Option<i64> {
        match self {
            Interval::Daily => None,
            Interval::Seconds(s) => Some(i64::from(s)),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Interval::Daily => f.write_str("1d"),
            Interval::Seconds(s) if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            Interval::Seconds(s) if s % 60 == 0 => write!(f, "{}m", s / 60),
            Interval::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("interval {s:?}: expected 1d, or a number with s, m or h (30s, 1m, 5m, 1h)");
        let t = s.trim();
        if t == "1d" || t == "daily" {
            return Ok(Interval::Daily);
        }
        let (num, mult) = match t.as_bytes().last() {
            Some(b's') => (&t[..t.len() - 1], 1),
            Some(b'm') => (&t[..t.len() - 1], 60),
            Some(b'h') => (&t[..t.len() - 1], 3600),
            _ => return Err(bad()),
        };
        let n: u32 = num.parse().map_err(|_| bad())?;
        match n.checked_mul(mult) {
            Some(secs) if secs > 0 && secs < 86_400 => Ok(Interval::Seconds(secs)),
            _ => Err(bad()),
        }
    }
}

/// Interval setting: detect or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum IntervalSpec {
    /// Date-only (or all-midnight) timestamps are daily; otherwise the most
    /// common step between consecutive bars of a day.
    #[default]
    Auto,
    /// This interval.
    Fixed(Interval),
}

impl TryFrom<String> for IntervalSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "auto" {
            Ok(IntervalSpec::Auto)
        } else {
            s.parse().map(IntervalSpec::Fixed)
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_tz() -> String {
    "America/New_York".to_string()
}
fn default_delimiter() -> char {
    ','
}

/// How to read one bar file. Deserialisable from TOML; every field except
/// `path` has a default.
///
/// ```
/// let spec: trade_data::BarFileSpec = toml::from_str(r#"
///     path = "data/stocks/alphavantage_AAPL_2000-2020.csv"
///     on_bad_ohlc = "warn"
///     [columns]
///     close = "close"
/// "#).unwrap();
/// assert_eq!(spec.timezone, "America/New_York");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarFileSpec {
    /// The data file.
    pub path: PathBuf,
    /// `auto` (by extension), `csv` or `parquet`.
    #[serde(default)]
    pub format: FileFormat,
    /// Which column holds what; auto-detected from the header by default.
    #[serde(default)]
    pub columns: ColumnMap,
    /// Whether the first CSV line is a header (default `true`). Without one,
    /// columns are `date,open,high,low,close,volume` unless mapped by index.
    #[serde(default = "default_true")]
    pub header: bool,
    /// CSV field separator (default `,`).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Timestamp format (default `auto`).
    #[serde(default)]
    pub timestamp_format: TimestampFormat,
    /// IANA zone of timestamps without an offset (default `America/New_York`).
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// Intraday bars labelled by their `start` (default) or `end`.
    #[serde(default)]
    pub label: BarLabel,
    /// Intraday: `regular` hours only (default) or `all`.
    #[serde(default)]
    pub hours: TradingHours,
    /// `auto` (default), `ascending` or `descending`.
    #[serde(default)]
    pub order: RowOrder,
    /// `auto` (default), `1d`, `1m`, `5m`, `30s`, `1h`...
    #[serde(default)]
    pub interval: IntervalSpec,
    /// Keep only rows of this symbol (files with a ticker column).
    #[serde(default)]
    pub symbol: Option<String>,
    /// Scale open, high, low and close by `adj_close / close` (total-return
    /// OHLC from a Yahoo-style file). Needs an `adj_close` column.
    #[serde(default)]
    pub scale_to_adj_close: bool,
    /// Parquet only: decimals implied in integer price columns (default 0).
    #[serde(default)]
    pub int_price_decimals: u32,
    /// Rows whose prices are inconsistent or not positive (default `error`).
    #[serde(default)]
    pub on_bad_ohlc: Policy,
    /// Rows dated on a day the exchange was closed (default `error`).
    #[serde(default)]
    pub on_non_session: Policy,
    /// Cache normalised CSV bars as Parquet (default `true`).
    #[serde(default = "default_true")]
    pub cache: bool,
    /// Cache directory (default `<file dir>/.trade-cache/`).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

impl BarFileSpec {
    /// A spec with every default for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        BarFileSpec {
            path: path.into(),
            format: FileFormat::Auto,
            columns: ColumnMap::default(),
            header: true,
            delimiter: ',',
            timestamp_format: TimestampFormat::Auto,
            timezone: default_tz(),
            label: BarLabel::Start,
            hours: TradingHours::Regular,
            order: RowOrder::Auto,
            interval: IntervalSpec::Auto,
            symbol: None,
            scale_to_adj_close: false,
            int_price_decimals: 0,
            on_bad_ohlc: Policy::Error,
            on_non_session: Policy::Error,
            cache: true,
            cache_dir: None,
        }
    }

    /// The format after resolving `auto` by extension.
    pub fn resolved_format(&self) -> FileFormat {
        match self.format {
            FileFormat::Auto => {
                let ext = self
                    .path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                match ext.as_deref() {
                    Some("parquet" | "pq") => FileFormat::Parquet,
                    _ => FileFormat::Csv,
                }
            }
            f => f,
        }
    }

    /// The cache directory after applying the default.
    pub fn resolved_cache_dir(&self) -> PathBuf {
        match &self.cache_dir {
            Some(d) => d.clone(),
            None => self
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .join(".trade-cache"),
        }
    }

    /// The path as shown in messages.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// Every setting that changes the bars produced from given file bytes,
    /// one `key=value` per line, in a fixed order. Path and cache settings
    /// are left out: the same bytes under another name give the same bars.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        let mut kv = |k: &str, v: String| {
            s.push_str(k);
            s.push('=');
            s.push_str(&v);
            s.push('\n');
        };
        kv("format", format!("{:?}", self.resolved_format()));
        kv("columns", self.columns.canonical());
        kv("header", self.header.to_string());
        kv("delimiter", u32::from(self.delimiter).to_string());
        kv("timestamp_format", format!("{:?}", self.timestamp_format));
        kv("timezone", self.timezone.clone());
        kv("label", format!("{:?}", self.label));
        kv("hours", format!("{:?}", self.hours));
        kv("order", format!("{:?}", self.order));
        kv("interval", format!("{:?}", self.interval));
        kv("symbol", format!("{:?}", self.symbol));
        kv("scale_to_adj_close", self.scale_to_adj_close.to_string());
        kv("int_price_decimals", self.int_price_decimals.to_string());
        kv("on_bad_ohlc", format!("{:?}", self.on_bad_ohlc));
        kv("on_non_session", format!("{:?}", self.on_non_session));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_toml_gets_defaults() {
        let spec: BarFileSpec = toml::from_str(r#"path = "x.csv""#).unwrap();
        assert_eq!(spec, BarFileSpec::new("x.csv"));
        assert_eq!(spec.resolved_cache_dir(), PathBuf::from(".trade-cache"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        for (name, text) in [
            ("top level", "path = \"x\"\non_bad_ohcl = \"warn\""),
            ("columns", "path = \"x\"\n[columns]\nclos = \"Adj Close\""),
            ("policy value", "path = \"x\"\non_bad_ohlc = \"ignore\""),
            ("interval", "path = \"x\"\ninterval = \"7x\""),
            ("format", "path = \"x\"\ntimestamp_format = \"yyyy-mm-dd\""),
        ] {
            assert!(toml::from_str::<BarFileSpec>(text).is_err(), "case {name}");
        }
    }

    #[test]
    fn full_toml() {
        let spec: BarFileSpec = toml::from_str(
            r#"
            path = "data/x.csv"
            timestamp_format = "%m/%d/%Y"
            timezone = "UTC"
            label = "end"
            hours = "all"
            order = "descending"
            interval = "5m"
            on_bad_ohlc = "drop"
            on_non_session = "warn"
            cache_dir = "/tmp/c"
            [columns]
            timestamp = "Date"
            close = "Adj Close"
            volume = false
            dividend = 7
            "#,
        )
        .unwrap();
        assert_eq!(spec.interval, IntervalSpec::Fixed(Interval::Seconds(300)));
        assert_eq!(spec.on_bad_ohlc, Policy::Drop);
        assert_eq!(
            spec.timestamp_format,
            TimestampFormat::Pattern("%m/%d/%Y".into())
        );
        assert!(spec.canonical().contains("Adj Close"));
    }

    #[test]
    fn interval_parse_and_display() {
        for (text, want) in [
            ("1d", Some(Interval::Daily)),
            ("1m", Some(Interval::Seconds(60))),
            ("5m", Some(Interval::Seconds(300))),
            ("30s", Some(Interval::Seconds(30))),
            ("1h", Some(Interval::Seconds(3600))),
            ("0m", None),
            ("24h", None),
            ("m", None),
            ("5", None),
        ] {
            let got = text.parse::<Interval>().ok();
            assert_eq!(got, want, "case {text}");
            if let Some(i) = got {
                assert_eq!(i.to_string(), text, "display of {text}");
            }
        }
    }
}
