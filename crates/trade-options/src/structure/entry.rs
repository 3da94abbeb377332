//! Entry criteria of the DTE buckets (0DTE, 1DTE, 14+ DTE) as pure checks:
//! is now a time to enter ([`EntryCriteria::check_market`]), and is this
//! built structure good enough ([`EntryCriteria::check_structure`]).
//!
//! Days to expiry are counted in trading sessions (0 on the expiry day, 1
//! when the expiry is the next session), which the engine computes with
//! the exchange calendar: a Friday 1DTE is Monday's expiry.

use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use trade_core::{Price, Qty, Timestamp};

use super::build::{BuiltStructure, IronCondorSpec, PriceBasis, StrikeRule};
use super::model::ny_wall;

/// Which expiries a strategy trades, in sessions to expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DteBucket {
    /// Expires today.
    ZeroDte,
    /// Expires at the next session.
    OneDte,
    /// Expires in `min_dte..=max_dte` sessions (14+ DTE swing trades).
    Swing {
        /// Fewest sessions to expiry.
        min_dte: u32,
        /// Most sessions to expiry.
        max_dte: u32,
    },
}

impl DteBucket {
    /// Whether `dte` sessions to expiry fall in the bucket.
    pub fn contains(self, dte: u32) -> bool {
        match self {
            DteBucket::ZeroDte => dte == 0,
            DteBucket::OneDte => dte == 1,
            DteBucket::Swing { min_dte, max_dte } => (min_dte..=max_dte).contains(&dte),
        }
    }
}

/// A VIX filter: enter only in this volatility regime.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VixRegime {
    /// Refuse below this VIX level (premium too thin).
    pub min: Option<f64>,
    /// Refuse above this VIX level (moves too wild).
    pub max: Option<f64>,
    /// Refuse when VIX is up more than this fraction since today's open
    /// (0.10 = +10%).
    pub max_rise_from_open: Option<f64>,
}

impl VixRegime {
    fn is_active(&self) -> bool {
        self.min.is_some() || self.max.is_some() || self.max_rise_from_open.is_some()
    }
}

/// The market facts an entry decision needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryMarket {
    /// Now.
    pub now: Timestamp,
    /// Sessions to the candidate expiry.
    pub dte: u32,
    /// VIX now, if known.
    pub vix: Option<f64>,
    /// VIX at today's open, if known.
    pub vix_open: Option<f64>,
}

/// Why an entry is refused, with the numbers.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EntryRefusal {
    /// Before the window opens or after it closes.
    #[error("New York time {now} is outside the entry window {start}..{end}")]
    OutsideWindow {
        /// New York wall time now.
        now: Time,
        /// Window start.
        start: Time,
        /// Window end.
        end: Time,
    },
    /// The expiry is not in the bucket.
    #[error("{dte} sessions to expiry is outside the bucket {bucket:?}")]
    WrongBucket {
        /// Sessions to expiry.
        dte: u32,
        /// The bucket.
        bucket: DteBucket,
    },
    /// A VIX filter is configured but VIX (or its open) is not known.
    #[error("VIX filter is on but {what} is unavailable")]
    VixUnavailable {
        /// Which value is missing.
        what: &'static str,
    },
    /// VIX outside `[min, max]`.
    #[error("VIX {vix:.2} is outside the regime [{min}, {max}]", min = fmt_opt(*.min), max = fmt_opt(*.max))]
    VixOutOfRegime {
        /// VIX now.
        vix: f64,
        /// Lower bound.
        min: Option<f64>,
        /// Upper bound.
        max: Option<f64>,
    },
    /// VIX up too much since the open.
    #[error("VIX {vix:.2} is up {:.1}% from the open {open:.2}, above the {:.1}% limit", rise * 100.0, limit * 100.0)]
    VixRising {
        /// VIX now.
        vix: f64,
        /// VIX at the open.
        open: f64,
        /// Fractional rise.
        rise: f64,
        /// The limit.
        limit: f64,
    },
    /// A short leg's delta is too far from the target.
    #[error("short leg {leg} has |delta| {delta:.3}, outside target {target} ± {tolerance}", delta = .delta.abs())]
    ShortDeltaOffTarget {
        /// Leg index.
        leg: usize,
        /// Its delta.
        delta: f64,
        /// Target |delta|.
        target: f64,
        /// Tolerance.
        tolerance: f64,
    },
    /// Credit below the minimum.
    #[error("credit {credit} at {basis:?} is below the minimum {minimum}")]
    CreditBelowMinimum {
        /// Price basis used.
        basis: PriceBasis,
        /// Credit per unit.
        credit: Price,
        /// The minimum.
        minimum: Price,
    },
    /// Wider than allowed (or a custom structure with no width).
    #[error("width {width} is above the maximum {maximum}", width = fmt_width(*.width))]
    WidthAboveMaximum {
        /// The structure's width, `None` for custom structures.
        width: Option<Price>,
        /// The maximum.
        maximum: Price,
    },
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x}"))
}

fn fmt_width(w: Option<Price>) -> String {
    w.map_or_else(|| "undefined".to_string(), |x| x.to_string())
}

/// What a strategy requires to open a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryCriteria {
    /// Which expiries.
    pub bucket: DteBucket,
    /// Earliest New York wall time to enter.
    pub window_start: Time,
    /// Latest New York wall time to enter (inclusive).
    pub window_end: Time,
    /// Target |delta| of the short strikes.
    pub target_delta: f64,
    /// Accepted distance from the target |delta|.
    pub delta_tolerance: f64,
    /// Smallest credit per unit, before the multiplier.
    pub min_credit: Price,
    /// Widest spread (wing) accepted.
    pub max_width: Price,
    /// Prices the credit is judged at.
    #[serde(default)]
    pub basis: PriceBasis,
    /// VIX filter.
    #[serde(default)]
    pub vix: VixRegime,
}

impl EntryCriteria {
    /// 0DTE defaults: enter 10:00-13:30 New York (after the opening swings,
    /// with time left for theta), 10-delta shorts ± 0.04, at least $0.25
    /// credit, wings up to $5, VIX between 12 and 30 and not up more than
    /// 10% since the open.
    pub fn zero_dte() -> Self {
        EntryCriteria {
            bucket: DteBucket::ZeroDte,
            window_start: Time::constant(10, 0, 0, 0),
            window_end: Time::constant(13, 30, 0, 0),
            target_delta: 0.10,
            delta_tolerance: 0.04,
            min_credit: Price::from_cents(25),
            max_width: Price::from_cents(500),
            basis: PriceBasis::Mid,
            vix: VixRegime {
                min: Some(12.0),
                max: Some(30.0),
                max_rise_from_open: Some(0.10),
            },
        }
    }

    /// 1DTE defaults: enter 15:00-15:55 New York for tomorrow's expiry
    /// (overnight decay), 12-delta shorts ± 0.04, at least $0.40, wings up
    /// to $5, VIX between 12 and 30 and not up more than 10% today.
    pub fn one_dte() -> Self {
        EntryCriteria {
            bucket: DteBucket::OneDte,
            window_start: Time::constant(15, 0, 0, 0),
            window_end: Time::constant(15, 55, 0, 0),
            target_delta: 0.12,
            delta_tolerance: 0.04,
            min_credit: Price::from_cents(40),
            max_width: Price::from_cents(500),
            basis: PriceBasis::Mid,
            vix: VixRegime {
                min: Some(12.0),
                max: Some(30.0),
                max_rise_from_open: Some(0.10),
            },
        }
    }

    /// 14+ DTE defaults: 14 to 60 sessions out, enter 10:00-15:30 New
    /// York, 16-delta shorts ± 0.05, at least $1.00, wings up to $10, VIX
    /// between 13 and 35 and not up more than 15% today.
    pub fn swing() -> Self {
        EntryCriteria {
            bucket: DteBucket::Swing {
                min_dte: 14,
                max_dte: 60,
            },
            window_start: Time::constant(10, 0, 0, 0),
            window_end: Time::constant(15, 30, 0, 0),
            target_delta: 0.16,
            delta_tolerance: 0.05,
            min_credit: Price::from_cents(100),
            max_width: Price::from_cents(1000),
            basis: PriceBasis::Mid,
            vix: VixRegime {
                min: Some(13.0),
                max: Some(35.0),
                max_rise_from_open: Some(0.15),
            },
        }
    }

    /// Checks the criteria's own consistency.
    ///
    /// # Errors
    /// Every problem found, one message each, naming the field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        if self.window_start > self.window_end {
            errs.push(format!(
                "entry.window_start {} is after entry.window_end {}",
                self.window_start, self.window_end
            ));
        }
        if !(self.target_delta > 0.0 && self.target_delta < 1.0) {
            errs.push(format!(
                "entry.target_delta must be in (0, 1), got {}",
                self.target_delta
            ));
        }
        if !(self.delta_tolerance.is_finite() && self.delta_tolerance >= 0.0) {
            errs.push(format!(
                "entry.delta_tolerance must be >= 0, got {}",
                self.delta_tolerance
            ));
        }
        if self.max_width <= Price::ZERO {
            errs.push(format!(
                "entry.max_width must be positive, got {}",
                self.max_width
            ));
        }
        if let DteBucket::Swing { min_dte, max_dte } = self.bucket
            && min_dte > max_dte
        {
            errs.push(format!(
                "entry.bucket.swing.min_dte {min_dte} is above max_dte {max_dte}"
            ));
        }
        let vix_ok = |v: Option<f64>| v.is_none_or(|x| x.is_finite() && x >= 0.0);
        if !vix_ok(self.vix.min) || !vix_ok(self.vix.max) || !vix_ok(self.vix.max_rise_from_open) {
            errs.push("entry.vix bounds must be finite and >= 0".to_string());
        }
        if let (Some(lo), Some(hi)) = (self.vix.min, self.vix.max)
            && lo > hi
        {
            errs.push(format!("entry.vix.min {lo} is above entry.vix.max {hi}"));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Whether now, this expiry and this VIX allow an entry.
    ///
    /// # Errors
    /// The first [`EntryRefusal`] found, in the order: window, bucket, VIX.
    pub fn check_market(&self, m: &EntryMarket) -> Result<(), EntryRefusal> {
        let now = ny_wall(m.now).time();
        if now < self.window_start || now > self.window_end {
            return Err(EntryRefusal::OutsideWindow {
                now,
                start: self.window_start,
                end: self.window_end,
            });
        }
        if !self.bucket.contains(m.dte) {
            return Err(EntryRefusal::WrongBucket {
                dte: m.dte,
                bucket: self.bucket,
            });
        }
        if !self.vix.is_active() {
            return Ok(());
        }
        let vix = m
            .vix
            .filter(|v| v.is_finite())
            .ok_or(EntryRefusal::VixUnavailable { what: "VIX" })?;
        let (min, max) = (self.vix.min, self.vix.max);
        if min.is_some_and(|lo| vix < lo) || max.is_some_and(|hi| vix > hi) {
            return Err(EntryRefusal::VixOutOfRegime { vix, min, max });
        }
        if let Some(limit) = self.vix.max_rise_from_open {
            let open = m.vix_open.filter(|v| v.is_finite() && *v > 0.0).ok_or(
                EntryRefusal::VixUnavailable {
                    what: "VIX at the open",
                },
            )?;
            let rise = vix / open - 1.0;
            if rise > limit {
                return Err(EntryRefusal::VixRising {
                    vix,
                    open,
                    rise,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// Whether a built structure meets the short-delta target, the minimum
    /// credit and the maximum width.
    ///
    /// # Errors
    /// The first [`EntryRefusal`] found, in the order: short deltas,
    /// credit, width.
    pub fn check_structure(&self, built: &BuiltStructure) -> Result<(), EntryRefusal> {
        for (leg, delta) in built.short_deltas() {
            if (delta.abs() - self.target_delta).abs() > self.delta_tolerance || !delta.is_finite()
            {
                return Err(EntryRefusal::ShortDeltaOffTarget {
                    leg,
                    delta,
                    target: self.target_delta,
                    tolerance: self.delta_tolerance,
                });
            }
        }
        let credit = built.credit(self.basis);
        if credit < self.min_credit {
            return Err(EntryRefusal::CreditBelowMinimum {
                basis: self.basis,
                credit,
                minimum: self.min_credit,
            });
        }
        let width = built.structure.width();
        if width.is_none_or(|w| w > self.max_width) {
            return Err(EntryRefusal::WidthAboveMaximum {
                width,
                maximum: self.max_width,
            });
        }
        Ok(())
    }

    /// An iron condor spec that targets these criteria: shorts at the
    /// target delta, the given wing on both sides, the criteria's minimum
    /// credit and maximum width.
    pub fn iron_condor_spec(&self, wing: Price, quantity: Qty) -> IronCondorSpec {
        let rule = StrikeRule::Delta {
            target: self.target_delta,
            tolerance: self.delta_tolerance,
        };
        IronCondorSpec {
            short_put: rule,
            short_call: rule,
            put_wing: wing,
            call_wing: wing,
            quantity,
            min_credit: Some(self.min_credit),
            max_width: Some(self.max_width),
            basis: self.basis,
        }
    }
}
