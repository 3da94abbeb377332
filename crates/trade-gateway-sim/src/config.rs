//! What the simulator simulates: accounts, instruments, price paths, clock,
//! limits. [`SimConfig::default`] gives a working SPY/QQQ setup with a SPY
//! option chain.

use std::time::Duration;

use jiff::civil::{Date, Weekday};

use crate::timefmt;

/// How simulated time advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// One simulated second passes every `step_every` of wall time
    /// (`Duration::from_secs(1)` is real time; tests use milliseconds).
    Auto {
        /// Wall time per simulated second.
        step_every: Duration,
    },
    /// Time stands still until [`crate::SimHandle::advance`] moves it.
    Manual,
}

/// Where an underlying's prices come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// Seeded geometric Brownian motion at one-second resolution.
    Generated {
        /// Price at the sim's start time.
        start_price: f64,
        /// Annualised volatility (trading-time: 252 days of 6.5 h).
        annual_vol: f64,
        /// Annualised drift.
        annual_drift: f64,
    },
    /// Caller-supplied bars replayed in order; inside a bar the price walks
    /// open → low → high → close (up bar) or open → high → low → close
    /// (down bar). After the last bar the last close holds.
    Replay {
        /// Length of every bar in seconds.
        bar_secs: i64,
        /// Bars sorted by start time, contiguous.
        bars: Vec<ReplayBar>,
    },
}

/// One replayed bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayBar {
    /// Bar start, epoch seconds.
    pub time: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume traded in the bar.
    pub volume: f64,
}

/// Listed options on an underlying, priced with Black-Scholes-Merton.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionChainSpec {
    /// Expiration dates (options expire 16:00 Eastern that day).
    pub expiries: Vec<Date>,
    /// Distance between strikes.
    pub strike_step: f64,
    /// Strikes on each side of the at-the-money strike at start.
    pub strikes_each_side: u32,
    /// At-the-money implied volatility.
    pub vol: f64,
    /// Vol added per unit of ln(K/S) squared (a symmetric smile); 0 = flat.
    pub smile: f64,
    /// Half the bid/ask spread around the model price.
    pub half_spread: f64,
    /// Contract multiplier.
    pub multiplier: f64,
}

/// One stock or ETF the gateway knows.
#[derive(Debug, Clone, PartialEq)]
pub struct UnderlyingSpec {
    /// Ticker.
    pub symbol: String,
    /// IB contract id.
    pub con_id: i32,
    /// Primary listing exchange (ARCA, NASDAQ, NYSE...).
    pub primary_exchange: String,
    /// Descriptive name.
    pub long_name: String,
    /// IB stock type (`ETF`, `COMMON`).
    pub stock_type: String,
    /// Half the bid/ask spread around the path price.
    pub half_spread: f64,
    /// Continuous dividend yield used by the option model.
    pub dividend_yield: f64,
    /// Price path.
    pub prices: PriceSource,
    /// Listed options, if any.
    pub options: Option<OptionChainSpec>,
}

impl UnderlyingSpec {
    /// An ETF on a generated path with a one-cent half spread and no options.
    pub fn generated(symbol: &str, con_id: i32, start_price: f64, annual_vol: f64) -> Self {
        UnderlyingSpec {
            symbol: symbol.to_owned(),
            con_id,
            primary_exchange: "ARCA".to_owned(),
            long_name: format!("{symbol} (simulated)"),
            stock_type: "ETF".to_owned(),
            half_spread: 0.01,
            dividend_yield: 0.0,
            prices: PriceSource::Generated {
                start_price,
                annual_vol,
                annual_drift: 0.0,
            },
            options: None,
        }
    }
}

/// Client → gateway message pacing (IB: 50 messages per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacingConfig {
    /// Messages accepted per rolling second; beyond it error 100.
    pub max_per_sec: u32,
    /// Rejected messages after which the gateway closes the socket
    /// (0 = never).
    pub disconnect_after: u32,
}

/// IB Pro "fixed" commissions (US stocks and options).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommissionSchedule {
    /// Per share (stocks).
    pub per_share: f64,
    /// Minimum per stock order.
    pub stock_min: f64,
    /// Cap as a fraction of trade value (stocks).
    pub stock_max_pct: f64,
    /// Per option contract.
    pub per_contract: f64,
    /// Minimum per option order.
    pub option_min: f64,
}

impl Default for CommissionSchedule {
    fn default() -> Self {
        // IBKR Pro Fixed: USD 0.005/share, min 1.00, max 1% of trade value;
        // options USD 0.65/contract, min 1.00 (premium tiers not modelled).
        CommissionSchedule {
            per_share: 0.005,
            stock_min: 1.0,
            stock_max_pct: 0.01,
            per_contract: 0.65,
            option_min: 1.0,
        }
    }
}

/// Everything the simulator needs to run.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Server version announced in the handshake (213..=226).
    pub server_version: i32,
    /// The managed account.
    pub account: String,
    /// Opening cash balance (USD).
    pub starting_cash: f64,
    /// Simulated time at start, epoch seconds.
    pub start_time: i64,
    /// Clock mode.
    pub clock: ClockMode,
    /// Seed of every generated path and size.
    pub seed: u64,
    /// Instruments.
    pub underlyings: Vec<UnderlyingSpec>,
    /// nextValidId of the first session.
    pub first_order_id: i32,
    /// Message pacing.
    pub pacing: PacingConfig,
    /// Concurrent market-data lines (error 101 beyond).
    pub max_market_data_lines: usize,
    /// Seconds of generated history before `start_time`.
    pub history_secs: i64,
    /// Commission schedule.
    pub commissions: CommissionSchedule,
    /// Risk-free rate used by the option model.
    pub rate: f64,
    /// Largest quantity one order can fill per simulated second (None = the
    /// whole order at once). All-or-none orders ignore it.
    pub max_fill_per_step: Option<f64>,
}

/// 2025-03-18 09:30:00 US/Eastern.
pub const DEFAULT_START: i64 = 1_742_304_600;

/// The next `n` Fridays strictly after the start date (weekly expiries).
pub fn fridays_after(start_epoch: i64, n: usize) -> Vec<Date> {
    let mut out = Vec::with_capacity(n);
    let mut d = timefmt::eastern_date(start_epoch);
    while out.len() < n {
        d = match d.tomorrow() {
            Ok(next) => next,
            Err(_) => break,
        };
        if d.weekday() == Weekday::Friday {
            out.push(d);
        }
    }
    out
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut spy = UnderlyingSpec::generated("SPY", 756_733, 560.0, 0.18);
        spy.long_name = "SPDR S&P 500 ETF TRUST".to_owned();
        spy.dividend_yield = 0.013;
        spy.options = Some(OptionChainSpec {
            expiries: fridays_after(DEFAULT_START, 4),
            strike_step: 5.0,
            strikes_each_side: 10,
            vol: 0.18,
            smile: 0.5,
            half_spread: 0.02,
            multiplier: 100.0,
        });
        let mut qqq = UnderlyingSpec::generated("QQQ", 320_227_571, 480.0, 0.22);
        qqq.primary_exchange = "NASDAQ".to_owned();
        qqq.long_name = "INVESCO QQQ TRUST SERIES 1".to_owned();
        SimConfig {
            server_version: 222,
            account: "DU1234567".to_owned(),
            starting_cash: 1_000_000.0,
            start_time: DEFAULT_START,
            clock: ClockMode::Auto {
                step_every: Duration::from_secs(1),
            },
            seed: 42,
            underlyings: vec![spy, qqq],
            first_order_id: 1,
            pacing: PacingConfig {
                max_per_sec: 50,
                disconnect_after: 100,
            },
            max_market_data_lines: 100,
            history_secs: 2 * 86_400,
            commissions: CommissionSchedule::default(),
            rate: 0.045,
            max_fill_per_step: None,
        }
    }
}

/// A configuration the simulator cannot run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// Server version outside the protobuf range the simulator speaks.
    #[error(
        "server_version {0} is outside 213..=226 (the simulator speaks only the protobuf dialect)"
    )]
    ServerVersion(i32),
    /// Two instruments share a symbol or contract id.
    #[error("underlying {symbol:?}: duplicate symbol or con_id {con_id}")]
    Duplicate {
        /// Symbol.
        symbol: String,
        /// Contract id.
        con_id: i32,
    },
    /// A numeric field is out of range.
    #[error("underlying {symbol:?}: {field} = {value} ({expected})")]
    Field {
        /// Symbol.
        symbol: String,
        /// Field name.
        field: &'static str,
        /// Offending value.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// Replay bars unusable.
    #[error("underlying {symbol:?}: replay bar {index}: {reason}")]
    Replay {
        /// Symbol.
        symbol: String,
        /// Bar index.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A global setting out of range.
    #[error("{field} = {value} ({expected})")]
    Setting {
        /// Field name.
        field: &'static str,
        /// Value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl SimConfig {
    /// Checks everything [`crate::GatewaySim::start`] relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(213..=226).contains(&self.server_version) {
            return Err(ConfigError::ServerVersion(self.server_version));
        }
        if self.account.is_empty() || !self.account.is_ascii() {
            return Err(ConfigError::Setting {
                field: "account",
                value: self.account.clone(),
                expected: "non-empty ASCII",
            });
        }
        if !(self.starting_cash.is_finite()) {
            return Err(ConfigError::Setting {
                field: "starting_cash",
                value: self.starting_cash.to_string(),
                expected: "finite",
            });
        }
        if self.first_order_id < 1 {
            return Err(ConfigError::Setting {
                field: "first_order_id",
                value: self.first_order_id.to_string(),
                expected: ">= 1",
            });
        }
        if self.history_secs < 0 || self.history_secs > 400 * 86_400 {
            return Err(ConfigError::Setting {
                field: "history_secs",
                value: self.history_secs.to_string(),
                expected: "0..=400 days",
            });
        }
        if let Some(q) = self.max_fill_per_step
            && !(q.is_finite() && q > 0.0)
        {
            return Err(ConfigError::Setting {
                field: "max_fill_per_step",
                value: q.to_string(),
                expected: "> 0",
            });
        }
        let mut seen = std::collections::HashSet::new();
        for u in &self.underlyings {
            let field =
                |field: &'static str, value: f64, expected: &'static str| ConfigError::Field {
                    symbol: u.symbol.clone(),
                    field,
                    value,
                    expected,
                };
            if !seen.insert(u.symbol.clone())
                || !seen.insert(format!("#{}", u.con_id))
                || u.con_id <= 0
            {
                return Err(ConfigError::Duplicate {
                    symbol: u.symbol.clone(),
                    con_id: u.con_id,
                });
            }
            if !(u.half_spread.is_finite() && u.half_spread >= 0.0) {
                return Err(field("half_spread", u.half_spread, ">= 0"));
            }
            if !(u.dividend_yield.is_finite()) {
                return Err(field("dividend_yield", u.dividend_yield, "finite"));
            }
            match &u.prices {
                PriceSource::Generated {
                    start_price,
                    annual_vol,
                    annual_drift,
                } => {
                    if !(start_price.is_finite() && *start_price > 0.0) {
                        return Err(field("start_price", *start_price, "> 0"));
                    }
                    if !(annual_vol.is_finite() && *annual_vol >= 0.0 && *annual_vol < 5.0) {
                        return Err(field("annual_vol", *annual_vol, "0 <= vol < 5"));
                    }
                    if !annual_drift.is_finite() {
                        return Err(field("annual_drift", *annual_drift, "finite"));
                    }
                }
                PriceSource::Replay { bar_secs, bars } => {
                    if *bar_secs <= 0 {
                        return Err(field("bar_secs", *bar_secs as f64, "> 0"));
                    }
                    if bars.is_empty() {
                        return Err(ConfigError::Replay {
                            symbol: u.symbol.clone(),
                            index: 0,
                            reason: "no bars",
                        });
                    }
                    for (i, b) in bars.iter().enumerate() {
                        let replay = |reason| ConfigError::Replay {
                            symbol: u.symbol.clone(),
                            index: i,
                            reason,
                        };
                        let prices = [b.open, b.high, b.low, b.close];
                        if prices.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
                            return Err(replay("prices must be finite and > 0"));
                        }
                        if b.high < b.open.max(b.close).max(b.low) || b.low > b.open.min(b.close) {
                            return Err(replay("high/low do not bracket open and close"));
                        }
                        if !(b.volume.is_finite() && b.volume >= 0.0) {
                            return Err(replay("volume must be >= 0"));
                        }
                        if i > 0 && b.time != bars[i - 1].time + bar_secs {
                            return Err(replay(
                                "bars must be contiguous (time = previous time + bar_secs)",
                            ));
                        }
                    }
                }
            }
            if let Some(ch) = &u.options {
                if !(ch.strike_step.is_finite() && ch.strike_step > 0.0) {
                    return Err(field("options.strike_step", ch.strike_step, "> 0"));
                }
                if !(ch.vol.is_finite() && ch.vol > 0.0 && ch.vol < 5.0) {
                    return Err(field("options.vol", ch.vol, "0 < vol < 5"));
                }
                if !(ch.smile.is_finite() && ch.smile >= 0.0) {
                    return Err(field("options.smile", ch.smile, ">= 0"));
                }
                if !(ch.multiplier.is_finite() && ch.multiplier > 0.0) {
                    return Err(field("options.multiplier", ch.multiplier, "> 0"));
                }
                if !(ch.half_spread.is_finite() && ch.half_spread >= 0.0) {
                    return Err(field("options.half_spread", ch.half_spread, ">= 0"));
                }
            }
        }
        Ok(())
    }
}
