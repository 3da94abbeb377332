//! The option terms every calculator subcommand shares: right, spot or
//! forward, strike, time to expiry, rate, dividend yield.

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use trade_core::OptionRight;

/// Call or put on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Right {
    /// A call.
    Call,
    /// A put.
    Put,
}

impl From<Right> for OptionRight {
    fn from(r: Right) -> Self {
        match r {
            Right::Call => OptionRight::Call,
            Right::Put => OptionRight::Put,
        }
    }
}

/// Which model prices the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// Black-Scholes-Merton on a spot with a continuous dividend yield
    /// (European; index ETFs and indices).
    Bsm,
    /// Black-76 on a forward or future (`--spot` is the forward).
    Black76,
    /// American exercise by Barone-Adesi-Whaley (US equity and ETF options).
    American,
    /// American exercise on a Cox-Ross-Rubinstein tree (`--steps`).
    Binomial,
}

/// Terms of one option.
#[derive(Debug, Clone, Args)]
pub struct OptionArgs {
    /// Call or put.
    #[arg(long, value_enum)]
    pub right: Right,
    /// Spot price of the underlying (the forward with `--model black76`).
    #[arg(long)]
    pub spot: f64,
    /// Strike.
    #[arg(long)]
    pub strike: f64,
    /// Calendar days to expiry (ACT/365). Give this, or `--expiry` (and
    /// optionally `--as-of`).
    #[arg(long, conflicts_with_all = ["expiry", "as_of"])]
    pub days: Option<f64>,
    /// Expiry date; the option expires at 16:00 New York time that day.
    #[arg(long, requires = "as_of")]
    pub expiry: Option<Date>,
    /// Valuation time: a date (16:00 New York that day) or a New York
    /// date-time such as 2025-08-26T10:30.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Risk-free rate, continuously compounded (0.04 = 4%).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Dividend yield, continuously compounded (BSM only).
    #[arg(long = "div", default_value_t = 0.0)]
    pub dividend_yield: f64,
    /// Pricing model.
    #[arg(long, value_enum, default_value_t = Model::Bsm)]
    pub model: Model,
    /// Tree steps for `--model binomial`.
    #[arg(long, default_value_t = 1000)]
    pub steps: u32,
}

impl OptionArgs {
    /// Time to expiry in ACT/365 years.
    pub fn years(&self) -> anyhow::Result<f64> {
        let years = match (self.days, self.expiry, &self.as_of) {
            (Some(d), _, _) => {
                if !(d.is_finite() && d >= 0.0) {
                    bail!("--days must be a number >= 0, got {d}");
                }
                d / 365.0
            }
            (None, Some(expiry), Some(as_of)) => {
                let ny = TimeZone::get("America/New_York").context("time zone America/New_York")?;
                let close = Time::constant(16, 0, 0, 0);
                let exp = expiry
                    .to_datetime(close)
                    .to_zoned(ny.clone())
                    .context("--expiry")?
                    .timestamp();
                let at = parse_as_of(as_of)?
                    .to_zoned(ny)
                    .context("--as-of")?
                    .timestamp();
                let secs = (exp.as_second() - at.as_second()) as f64;
                if secs < 0.0 {
                    bail!("--as-of {as_of} is after the expiry {expiry} 16:00 New York");
                }
                secs / (365.0 * 86_400.0)
            }
            _ => bail!("give --days, or --expiry with --as-of"),
        };
        Ok(years)
    }

    /// Refuses inputs no model accepts, naming the flag.
    pub fn validate(&self) -> anyhow::Result<()> {
        let positive = |v: f64, flag: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                bail!("{flag} must be a positive number, got {v}")
            }
        };
        positive(self.spot, "--spot")?;
        positive(self.strike, "--strike")?;
        for (v, flag) in [(self.rate, "--rate"), (self.dividend_yield, "--div")] {
            if !v.is_finite() {
                bail!("{flag} must be a finite number, got {v}");
            }
        }
        Ok(())
    }
}

fn parse_as_of(s: &str) -> anyhow::Result<DateTime> {
    // jiff reads "2025-08-26T10:30" as a Date (dropping the time) and
    // "2025-08-26" as a DateTime at midnight, so the length decides.
    if s.len() > "2025-08-26".len()
        && let Ok(dt) = s.parse::<DateTime>()
    {
        return Ok(dt);
    }
    s.parse::<Date>()
        .map(|d| d.to_datetime(Time::constant(16, 0, 0, 0)))
        .with_context(|| {
            format!(
                "--as-of {s:?}: expected a date (2025-08-26) or a New York date-time (2025-08-26T10:30)"
            )
        })
}
