//! [`ChainFileSpec`]: how to read one end-of-day chain file, as written in
//! TOML config. Raw (everything optional, a `preset` fills the gaps), then
//! resolved once into the [`Resolved`] plan the reader follows.
//!
//! ```toml
//! # iVolatility "Raw IV" with everything from the preset:
//! preset = "ivolatility_rawiv"
//!
//! # A yfinance `option_chain` dump has no quote date and no underlying:
//! preset = "yfinance"
//! underlying = "SPY"
//! quote_date = "2025-08-26"
//!
//! # A vendor layout of your own:
//! underlying = "SPY"
//! date_format = "%d.%m.%Y"
//! strike_divisor = 1000             # strikes written as 00450000
//! underlying_price = { column = "close" }
//! rights = { call = ["CALL"], put = ["PUT"] }
//! [columns]
//! quote_date = "day"
//! expiry = "exp"
//! strike = "k"
//! right = "cp"
//! bid = "b"
//! ask = "a"
//! ```
//!
//! Unknown keys are rejected, so a typo fails loudly instead of silently
//! falling back to a default.

use jiff::civil::Date;
use serde::{Deserialize, Deserializer};
use trade_core::{ExerciseStyle, Price, Symbol};

use super::error::ChainError;
use super::validate::ValidationRules;

/// A known vendor layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Cboe DataShop "Option EOD Summary" (and "EOD with calcs"), using the
    /// 15:45 New York snapshot columns (`bid_1545`, `ask_1545`,
    /// `underlying_bid_1545`/`_ask_1545`, and the `*_1545` IV and Greeks
    /// when the file has them): the one consistent instant of that format.
    CboeEod1545,
    /// Cboe DataShop "Option EOD Summary" at the close (`bid_eod`,
    /// `ask_eod`, `underlying_bid_eod`/`_ask_eod`); no IV or Greeks (the
    /// calcs are computed at 15:45 and would not match these quotes).
    CboeEod,
    /// iVolatility "Raw IV" end-of-day files: `stock_price_close`
    /// underlying, per-row exercise style, IV and Greeks (vega and rho per
    /// vol/rate point, theta per calendar day).
    IvolatilityRawiv,
    /// A yfinance `Ticker.option_chain()` dump (calls and puts concatenated
    /// with `Type` and `Expiration_Date` columns). It has no quote date and
    /// no underlying price: set `quote_date`, and the underlying is implied
    /// from put-call parity unless configured.
    Yfinance,
}

/// Column names by role. Each one set here is required to exist in the
/// file; roles left empty come from the preset (where the analytics
/// columns are optional) or are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnNames {
    /// The underlying's symbol (`^SPX`, `SPY`); a leading `^` is dropped.
    pub underlying_symbol: Option<String>,
    /// The option root (`SPXW`, `VIX`), for the `roots` filter.
    pub root: Option<String>,
    /// The quote date.
    pub quote_date: Option<String>,
    /// The expiry date.
    pub expiry: Option<String>,
    /// The strike.
    pub strike: Option<String>,
    /// Call or put (see `rights`).
    pub right: Option<String>,
    /// Exercise style per row (`A`/`American`, `E`/`European`).
    pub style: Option<String>,
    /// Bid.
    pub bid: Option<String>,
    /// Ask.
    pub ask: Option<String>,
    /// Last trade.
    pub last: Option<String>,
    /// Volume.
    pub volume: Option<String>,
    /// Open interest.
    pub open_interest: Option<String>,
    /// Implied volatility as a fraction (0.20).
    pub iv: Option<String>,
    /// Delta.
    pub delta: Option<String>,
    /// Gamma.
    pub gamma: Option<String>,
    /// Theta (unit: `greek_units.theta`).
    pub theta: Option<String>,
    /// Vega (unit: `greek_units.vega`).
    pub vega: Option<String>,
    /// Rho (unit: `greek_units.rho`).
    pub rho: Option<String>,
}

/// Where the underlying's price comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UnderlyingPrice {
    /// A column holding the price: `{ column = "stock_price_close" }`.
    Column(String),
    /// The mid of two columns: `{ mid = { bid = "..", ask = ".." } }`.
    Mid {
        /// Bid column.
        bid: String,
        /// Ask column.
        ask: String,
    },
    /// One price for the whole file: `{ fixed = "645.75" }`.
    Fixed(Price),
    /// Implied from the chain itself: `K + C_mid - P_mid` at the strike
    /// where the call and put mids are closest, in the nearest expiry at
    /// least one day out. Ignores carry over that day (about `K r / 365`,
    /// a few cents on SPY); meant for dumps that carry no underlying.
    Parity,
    /// Supplied by the caller per quote date (a bar series), see
    /// [`load_chain_file_with_prices`](super::load_chain_file_with_prices).
    External,
}

/// How dates are written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// Recognised per value: `2024-02-20`, `2024/02/20`, `20240220`,
    /// `2/20/2024`, `2/20/24` (two-digit years pivot at 70: `69` is 2069,
    /// `70` is 1970), each optionally followed by a time that is ignored
    /// (`1/4/2016 0:00:00`, `2024-02-20T00:00:00`).
    #[default]
    Auto,
    /// A `strftime` pattern (jiff's `strtime`), e.g. `%d.%m.%Y`.
    Pattern(String),
}

impl<'de> Deserialize<'de> for DateFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "auto" => Ok(DateFormat::Auto),
            p if p.contains('%') => Ok(DateFormat::Pattern(s)),
            _ => Err(serde::de::Error::custom(format!(
                "date format {s:?}: expected \"auto\" or a strftime pattern such as \"%m/%d/%Y\""
            ))),
        }
    }
}

/// When the quotes were taken (New York time), which becomes the
/// snapshot's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuoteTime {
    /// The NYSE closing bell of the quote date (13:00 on half days; 16:00
    /// when the date is not a session).
    #[default]
    Close,
    /// A fixed New York wall-clock time.
    At {
        /// Hour, 0-23.
        hour: i8,
        /// Minute, 0-59.
        minute: i8,
    },
}

impl<'de> Deserialize<'de> for QuoteTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_quote_time(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "quote_time {s:?}: expected \"close\" or a New York time \"HH:MM\" such as \"15:45\""
            ))
        })
    }
}

fn parse_quote_time(s: &str) -> Option<QuoteTime> {
    if s == "close" {
        return Some(QuoteTime::Close);
    }
    let (h, m) = s.split_once(':')?;
    let hour: i8 = h.parse().ok()?;
    let minute: i8 = m.parse().ok()?;
    ((0..24).contains(&hour) && (0..60).contains(&minute) && m.len() == 2)
        .then_some(QuoteTime::At { hour, minute })
}

/// The texts that mean call and put (compared trimmed, ignoring case).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightCodes {
    /// Call codes.
    pub call: Vec<String>,
    /// Put codes.
    pub put: Vec<String>,
}

impl Default for RightCodes {
    fn default() -> Self {
        RightCodes {
            call: vec!["C".into(), "CALL".into()],
            put: vec!["P".into(), "PUT".into()],
        }
    }
}

/// Unit of a vendor's vega or rho.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerUnit {
    /// Per 1.00 of volatility or rate (our convention).
    #[default]
    PerOne,
    /// Per point (0.01): multiplied by 100 when loaded.
    PerPoint,
}

/// Unit of a vendor's theta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThetaUnit {
    /// Per year of calendar time (our convention).
    #[default]
    PerYear,
    /// Per calendar day: multiplied by 365 when loaded.
    PerDay,
}

/// The units a file's Greeks are written in; they are converted to the
/// conventions of [`crate::pricing`] when loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GreekUnits {
    /// Vega unit.
    pub vega: PerUnit,
    /// Theta unit.
    pub theta: ThetaUnit,
    /// Rho unit.
    pub rho: PerUnit,
}

/// What to do with a row that cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowPolicy {
    /// Stop with an error naming file, line and column (the default: a
    /// garbled row in backtest data is a bug to fix, not to step over).
    #[default]
    Error,
    /// Count it under [`Issue::Malformed`](super::Issue::Malformed), with
    /// examples, and go on.
    Skip,
}

/// How to read one chain file. See the module documentation.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainFileSpec {
    /// A known layout to start from.
    pub preset: Option<Preset>,
    /// The underlying symbol for every row; without it, the
    /// `underlying_symbol` column names it.
    pub underlying: Option<String>,
    /// Keep only rows whose underlying column is this symbol (`^` and case
    /// ignored).
    pub underlying_filter: Option<String>,
    /// Keep only rows with one of these roots (case ignored): Cboe files
    /// mix roots of different contracts on the same underlying.
    pub roots: Option<Vec<String>>,
    /// Field delimiter (default `,`).
    pub delimiter: Option<char>,
    /// Column names by role.
    #[serde(default)]
    pub columns: ColumnNames,
    /// Format of the quote date (default auto).
    pub date_format: Option<DateFormat>,
    /// Format of the expiry (default: `date_format`).
    pub expiry_format: Option<DateFormat>,
    /// The quote date of every row, for files without a date column.
    pub quote_date: Option<Date>,
    /// When the quotes were taken, New York time (`"close"` or `"HH:MM"`).
    pub quote_time: Option<QuoteTime>,
    /// Call and put codes.
    pub rights: Option<RightCodes>,
    /// Divide strikes by this (1000 for OCC-style `00450000`).
    pub strike_divisor: Option<u32>,
    /// Where the underlying price comes from.
    pub underlying_price: Option<UnderlyingPrice>,
    /// Exercise style when there is no style column (decides the lower
    /// price bound of validation).
    pub style: Option<ExerciseStyle>,
    /// Units of the Greek columns.
    pub greek_units: Option<GreekUnits>,
    /// Validation thresholds.
    #[serde(default)]
    pub validation: ValidationRules,
    /// What to do with unparseable rows.
    pub on_bad_row: Option<RowPolicy>,
}

/// A column the reader looks up in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnRef {
    pub name: String,
    /// Missing from the header is an error (else the role is just absent).
    pub required: bool,
}

/// Column plan after preset and overrides are merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ColumnPlan {
    pub underlying_symbol: Option<ColumnRef>,
    pub root: Option<ColumnRef>,
    pub quote_date: Option<ColumnRef>,
    pub expiry: Option<ColumnRef>,
    pub strike: Option<ColumnRef>,
    pub right: Option<ColumnRef>,
    pub style: Option<ColumnRef>,
    pub bid: Option<ColumnRef>,
    pub ask: Option<ColumnRef>,
    pub last: Option<ColumnRef>,
    pub volume: Option<ColumnRef>,
    pub open_interest: Option<ColumnRef>,
    pub iv: Option<ColumnRef>,
    pub delta: Option<ColumnRef>,
    pub gamma: Option<ColumnRef>,
    pub theta: Option<ColumnRef>,
    pub vega: Option<ColumnRef>,
    pub rho: Option<ColumnRef>,
}

/// A spec with every default filled in; what the reader follows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    pub underlying: Option<Symbol>,
    pub underlying_filter: Option<String>,
    pub roots: Option<Vec<String>>,
    pub delimiter: u8,
    pub columns: ColumnPlan,
    pub date_format: DateFormat,
    pub expiry_format: DateFormat,
    pub quote_date: Option<Date>,
    pub quote_time: QuoteTime,
    pub rights: RightCodes,
    pub strike_divisor: u32,
    pub underlying_price: UnderlyingPrice,
    pub style: ExerciseStyle,
    pub greek_units: GreekUnits,
    pub validation: ValidationRules,
    pub on_bad_row: RowPolicy,
}

/// The defaults a preset contributes.
struct PresetDefaults {
    /// (role, column, required)
    columns: &'static [(&'static str, &'static str, bool)],
    underlying_price: Option<UnderlyingPrice>,
    quote_time: QuoteTime,
    style: ExerciseStyle,
    greek_units: GreekUnits,
}

const CBOE_1545: &[(&str, &str, bool)] = &[
    ("underlying_symbol", "underlying_symbol", false),
    ("root", "root", false),
    ("quote_date", "quote_date", true),
    ("expiry", "expiration", true),
    ("strike", "strike", true),
    ("right", "option_type", true),
    ("bid", "bid_1545", true),
    ("ask", "ask_1545", true),
    ("last", "close", false),
    ("volume", "trade_volume", false),
    ("open_interest", "open_interest", false),
    ("iv", "implied_volatility_1545", false),
    ("delta", "delta_1545", false),
    ("gamma", "gamma_1545", false),
    ("theta", "theta_1545", false),
    ("vega", "vega_1545", false),
    ("rho", "rho_1545", false),
];

const CBOE_EOD: &[(&str, &str, bool)] = &[
    ("underlying_symbol", "underlying_symbol", false),
    ("root", "root", false),
    ("quote_date", "quote_date", true),
    ("expiry", "expiration", true),
    ("strike", "strike", true),
    ("right", "option_type", true),
    ("bid", "bid_eod", true),
    ("ask", "ask_eod", true),
    ("last", "close", false),
    ("volume", "trade_volume", false),
    ("open_interest", "open_interest", false),
];

const IVOLATILITY: &[(&str, &str, bool)] = &[
    ("underlying_symbol", "symbol", false),
    ("quote_date", "date", true),
    ("expiry", "option_expiration", true),
    ("strike", "strike", true),
    ("right", "call/put", true),
    ("style", "style", false),
    ("bid", "bid", true),
    ("ask", "ask", true),
    ("volume", "volume", false),
    ("open_interest", "open_interest", false),
    ("iv", "iv", false),
    ("delta", "delta", false),
    ("gamma", "gamma", false),
    ("theta", "theta", false),
    ("vega", "vega", false),
    ("rho", "rho", false),
];

const YFINANCE: &[(&str, &str, bool)] = &[
    ("expiry", "Expiration_Date", true),
    ("strike", "strike", true),
    ("right", "Type", true),
    ("bid", "bid", true),
    ("ask", "ask", true),
    ("last", "lastPrice", false),
    ("volume", "volume", false),
    ("open_interest", "openInterest", false),
    ("iv", "impliedVolatility", false),
];

impl Preset {
    fn defaults(self) -> PresetDefaults {
        match self {
            Preset::CboeEod1545 => PresetDefaults {
                columns: CBOE_1545,
                underlying_price: Some(UnderlyingPrice::Mid {
                    bid: "underlying_bid_1545".into(),
                    ask: "underlying_ask_1545".into(),
                }),
                quote_time: QuoteTime::At {
                    hour: 15,
                    minute: 45,
                },
                // DataShop files are mostly index options; set `style`
                // for equity and ETF files.
                style: ExerciseStyle::European,
                // Cboe documents the calcs per vol point and per day, like
                // most vendors; the shipped sample has only zeros, so this
                // is not verified against data.
                greek_units: GreekUnits {
                    vega: PerUnit::PerPoint,
                    theta: ThetaUnit::PerDay,
                    rho: PerUnit::PerPoint,
                },
            },
            Preset::CboeEod => PresetDefaults {
                columns: CBOE_EOD,
                underlying_price: Some(UnderlyingPrice::Mid {
                    bid: "underlying_bid_eod".into(),
                    ask: "underlying_ask_eod".into(),
                }),
                quote_time: QuoteTime::Close,
                style: ExerciseStyle::European,
                greek_units: GreekUnits::default(),
            },
            Preset::IvolatilityRawiv => PresetDefaults {
                columns: IVOLATILITY,
                underlying_price: Some(UnderlyingPrice::Column("stock_price_close".into())),
                quote_time: QuoteTime::Close,
                style: ExerciseStyle::European,
                // Checked on the shipped sample: the SPX 1270 call of
                // 2011-01-03 (18 days, iv 0.1298) has vega 1.116, and
                // S n(d1) sqrt(T) / 100 = 1.12; theta -0.378 per day.
                greek_units: GreekUnits {
                    vega: PerUnit::PerPoint,
                    theta: ThetaUnit::PerDay,
                    rho: PerUnit::PerPoint,
                },
            },
            Preset::Yfinance => PresetDefaults {
                columns: YFINANCE,
                underlying_price: Some(UnderlyingPrice::Parity),
                quote_time: QuoteTime::Close,
                // US equity and ETF options.
                style: ExerciseStyle::American,
                greek_units: GreekUnits::default(),
            },
        }
    }
}

fn plan_slot<'a>(plan: &'a mut ColumnPlan, role: &str) -> Option<&'a mut Option<ColumnRef>> {
    Some(match role {
        "underlying_symbol" => &mut plan.underlying_symbol,
        "root" => &mut plan.root,
        "quote_date" => &mut plan.quote_date,
        "expiry" => &mut plan.expiry,
        "strike" => &mut plan.strike,
        "right" => &mut plan.right,
        "style" => &mut plan.style,
        "bid" => &mut plan.bid,
        "ask" => &mut plan.ask,
        "last" => &mut plan.last,
        "volume" => &mut plan.volume,
        "open_interest" => &mut plan.open_interest,
        "iv" => &mut plan.iv,
        "delta" => &mut plan.delta,
        "gamma" => &mut plan.gamma,
        "theta" => &mut plan.theta,
        "vega" => &mut plan.vega,
        "rho" => &mut plan.rho,
        _ => return None,
    })
}

/// Strips a leading `^` (Yahoo and Cboe write indices as `^SPX`) and
/// checks the symbol.
pub(crate) fn symbol_of(text: &str) -> Option<Symbol> {
    Symbol::new(text.trim().trim_start_matches('^')).ok()
}

impl ChainFileSpec {
    /// A spec that is only a preset.
    pub fn preset(preset: Preset) -> Self {
        ChainFileSpec {
            preset: Some(preset),
            ..ChainFileSpec::default()
        }
    }

    /// Merges the preset and the overrides, and checks the result.
    ///
    /// # Errors
    /// [`ChainError::Spec`] naming the setting that is missing or wrong.
    pub(crate) fn resolve(&self) -> Result<Resolved, ChainError> {
        let spec_err = |m: String| ChainError::Spec(m);
        let defaults = self.preset.map(Preset::defaults);
        let mut columns = ColumnPlan::default();
        if let Some(d) = &defaults {
            for &(role, name, required) in d.columns {
                if let Some(slot) = plan_slot(&mut columns, role) {
                    *slot = Some(ColumnRef {
                        name: name.to_string(),
                        required,
                    });
                }
            }
        }
        let c = &self.columns;
        let overrides: [(&str, &Option<String>); 18] = [
            ("underlying_symbol", &c.underlying_symbol),
            ("root", &c.root),
            ("quote_date", &c.quote_date),
            ("expiry", &c.expiry),
            ("strike", &c.strike),
            ("right", &c.right),
            ("style", &c.style),
            ("bid", &c.bid),
            ("ask", &c.ask),
            ("last", &c.last),
            ("volume", &c.volume),
            ("open_interest", &c.open_interest),
            ("iv", &c.iv),
            ("delta", &c.delta),
            ("gamma", &c.gamma),
            ("theta", &c.theta),
            ("vega", &c.vega),
            ("rho", &c.rho),
        ];
        for (role, name) in overrides {
            if let (Some(name), Some(slot)) = (name, plan_slot(&mut columns, role)) {
                *slot = Some(ColumnRef {
                    name: name.clone(),
                    required: true,
                });
            }
        }
        if self.quote_date.is_some() {
            // A fixed date wins over a preset's date column.
            if c.quote_date.is_some() {
                return Err(spec_err(
                    "both quote_date and columns.quote_date are set: keep one".into(),
                ));
            }
            columns.quote_date = None;
        }
        for (role, slot) in [
            ("expiry", &columns.expiry),
            ("strike", &columns.strike),
            ("right", &columns.right),
            ("bid", &columns.bid),
            ("ask", &columns.ask),
        ] {
            if slot.is_none() {
                return Err(spec_err(format!(
                    "no column for {role}: set a preset or columns.{role}"
                )));
            }
        }
        if columns.quote_date.is_none() && self.quote_date.is_none() {
            return Err(spec_err(
                "no quote date: set quote_date = \"YYYY-MM-DD\" (the file has no date column) or columns.quote_date".into(),
            ));
        }
        let underlying = match &self.underlying {
            Some(u) => Some(
                symbol_of(u)
                    .ok_or_else(|| spec_err(format!("underlying {u:?} is not a valid symbol")))?,
            ),
            None => None,
        };
        if underlying.is_none() && columns.underlying_symbol.is_none() {
            return Err(spec_err(
                "no underlying: set underlying = \"SPY\" or columns.underlying_symbol".into(),
            ));
        }
        let underlying_price = self
            .underlying_price
            .clone()
            .or_else(|| defaults.as_ref().and_then(|d| d.underlying_price.clone()))
            .ok_or_else(|| {
                spec_err(
                    "no underlying price: set underlying_price = { column = \"..\" }, { mid = { bid = \"..\", ask = \"..\" } }, { fixed = \"..\" }, \"parity\" or \"external\"".into(),
                )
            })?;
        if let UnderlyingPrice::Fixed(p) = &underlying_price
            && *p <= Price::ZERO
        {
            return Err(spec_err(format!(
                "underlying_price.fixed {p} must be positive"
            )));
        }
        let delimiter = match self.delimiter {
            None => b',',
            Some(ch) if ch.is_ascii() && ch != '"' && ch != '\n' && ch != '\r' => ch as u8,
            Some(ch) => {
                return Err(spec_err(format!(
                    "delimiter {ch:?}: expected one ASCII character other than a quote or newline"
                )));
            }
        };
        if self.strike_divisor == Some(0) {
            return Err(spec_err("strike_divisor must be at least 1".into()));
        }
        let rights = self.rights.clone().unwrap_or_default();
        if rights.call.is_empty() || rights.put.is_empty() {
            return Err(spec_err(
                "rights.call and rights.put need at least one code each".into(),
            ));
        }
        if rights.call.iter().any(|c| {
            rights
                .put
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(c.trim()))
        }) {
            return Err(spec_err("a code is listed both as call and as put".into()));
        }
        self.validation.check().map_err(spec_err)?;
        let date_format = self.date_format.clone().unwrap_or_default();
        for f in [Some(&date_format), self.expiry_format.as_ref()]
            .into_iter()
            .flatten()
        {
            if let DateFormat::Pattern(p) = f
                && jiff::fmt::strtime::format(p, jiff::civil::date(2024, 1, 2)).is_err()
            {
                return Err(spec_err(format!(
                    "date format {p:?} is not a valid strftime pattern"
                )));
            }
        }
        Ok(Resolved {
            underlying,
            underlying_filter: self.underlying_filter.clone(),
            roots: self.roots.clone(),
            delimiter,
            columns,
            expiry_format: self
                .expiry_format
                .clone()
                .unwrap_or_else(|| date_format.clone()),
            date_format,
            quote_date: self.quote_date,
            quote_time: self
                .quote_time
                .or(defaults.as_ref().map(|d| d.quote_time))
                .unwrap_or_default(),
            rights,
            strike_divisor: self.strike_divisor.unwrap_or(1),
            underlying_price,
            style: self
                .style
                .or(defaults.as_ref().map(|d| d.style))
                .unwrap_or(ExerciseStyle::American),
            greek_units: self
                .greek_units
                .or(defaults.as_ref().map(|d| d.greek_units))
                .unwrap_or_default(),
            validation: self.validation.clone(),
            on_bad_row: self.on_bad_row.unwrap_or_default(),
        })
    }
}

/// Parses a date in the given format; `None` if it does not match.
pub(crate) fn parse_date(format: &DateFormat, text: &str) -> Option<Date> {
    let t = text.trim();
    match format {
        DateFormat::Auto => parse_date_auto(t),
        DateFormat::Pattern(p) => jiff::fmt::strtime::parse(p, t)
            .ok()
            .and_then(|b| b.to_date().ok()),
    }
}

fn parse_date_auto(text: &str) -> Option<Date> {
    // Only the date part matters; a time after a space or `T` is ignored.
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    let num = |s: &str| -> Option<i32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        (
            num(date_part.get(0..4)?)?,
            num(date_part.get(4..6)?)?,
            num(date_part.get(6..8)?)?,
        )
    } else {
        let sep = if date_part.contains('-') { '-' } else { '/' };
        let mut parts = date_part.split(sep);
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        if a.len() == 4 {
            (num(a)?, num(b)?, num(c)?)
        } else if sep == '/' && (c.len() == 4 || c.len() == 2) {
            let y = num(c)?;
            let y = match c.len() {
                2 if y < 70 => 2000 + y,
                2 => 1900 + y,
                _ => y,
            };
            (y, num(a)?, num(b)?)
        } else {
            return None;
        }
    };
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn auto_dates() {
        let cases = [
            ("2016-06-01", Some(date(2016, 6, 1))),
            ("1/4/2016 0:00:00", Some(date(2016, 1, 4))),
            ("1/21/11", Some(date(2011, 1, 21))),
            ("12/02/2016", Some(date(2016, 12, 2))),
            ("20240220", Some(date(2024, 2, 20))),
            ("2024/02/20", Some(date(2024, 2, 20))),
            ("2024-02-20T00:00:00", Some(date(2024, 2, 20))),
            ("1/1/70", Some(date(1970, 1, 1))),
            ("1/1/69", Some(date(2069, 1, 1))),
            ("2024-02-30", None),
            ("13/01/2024", None),
            ("", None),
            ("abc", None),
            ("1/2/3/4", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_date(&DateFormat::Auto, text), want, "{text:?}");
        }
        let p = DateFormat::Pattern("%d.%m.%Y".into());
        assert_eq!(parse_date(&p, "20.02.2024"), Some(date(2024, 2, 20)));
        assert_eq!(parse_date(&p, "2024-02-20"), None);
    }

    #[test]
    fn toml_specs_parse_and_resolve() {
        let spec: ChainFileSpec = toml::from_str(
            r#"
            preset = "yfinance"
            underlying = "SPY"
            quote_date = "2025-08-26"
            "#,
        )
        .unwrap();
        let r = spec.resolve().unwrap();
        assert_eq!(r.underlying_price, UnderlyingPrice::Parity);
        assert_eq!(r.style, ExerciseStyle::American);
        assert!(r.columns.quote_date.is_none());

        let custom: ChainFileSpec = toml::from_str(
            r#"
            underlying = "SPY"
            date_format = "%d.%m.%Y"
            strike_divisor = 1000
            quote_time = "15:45"
            underlying_price = { mid = { bid = "ub", ask = "ua" } }
            rights = { call = ["CALL"], put = ["PUT"] }
            greek_units = { vega = "per_point", theta = "per_day" }
            validation = { skip_zero_bid = true }
            [columns]
            quote_date = "day"
            expiry = "exp"
            strike = "k"
            right = "cp"
            bid = "b"
            ask = "a"
            "#,
        )
        .unwrap();
        let r = custom.resolve().unwrap();
        assert_eq!(
            r.quote_time,
            QuoteTime::At {
                hour: 15,
                minute: 45
            }
        );
        assert_eq!(r.strike_divisor, 1000);
        assert!(r.validation.skip_zero_bid);
        assert_eq!(r.greek_units.vega, PerUnit::PerPoint);
        assert_eq!(r.greek_units.rho, PerUnit::PerOne);
    }

    #[test]
    fn bad_specs_are_rejected_with_the_setting_named() {
        let bad_toml = [
            ("preset = \"ivolatility\"", "unknown variant"),
            (
                "preset = \"yfinance\"\nunderlyng = \"SPY\"",
                "unknown field",
            ),
            ("quote_time = \"4pm\"", "quote_time"),
            ("date_format = \"MM/DD/YYYY\"", "strftime"),
            ("validation = { skip_zero_bids = true }", "unknown field"),
        ];
        for (text, want) in bad_toml {
            let err = toml::from_str::<ChainFileSpec>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let unresolvable = [
            ("preset = \"yfinance\"\nunderlying = \"SPY\"", "quote_date"),
            (
                "preset = \"yfinance\"\nquote_date = \"2025-08-26\"",
                "underlying",
            ),
            (
                "underlying = \"SPY\"\nquote_date = \"2025-08-26\"",
                "no column for expiry",
            ),
            (
                "preset = \"ivolatility_rawiv\"\nstrike_divisor = 0",
                "strike_divisor",
            ),
            (
                "preset = \"ivolatility_rawiv\"\nrights = { call = [\"C\"], put = [\"c\"] }",
                "both as call and as put",
            ),
            (
                "preset = \"ivolatility_rawiv\"\nvalidation = { max_iv = -1.0 }",
                "max_iv",
            ),
            (
                "preset = \"ivolatility_rawiv\"\ndate_format = \"%Q\"",
                "strftime",
            ),
        ];
        for (text, want) in unresolvable {
            let spec: ChainFileSpec = toml::from_str(text).unwrap();
            let err = spec.resolve().unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
