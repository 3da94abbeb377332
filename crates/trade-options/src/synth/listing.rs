//! Which expiries and strikes a product had listed on a given date, and
//! its minimum price increment: the skeleton a synthetic chain is priced
//! on, so that a backtest can only trade contracts that existed.
//!
//! Expiry families (each dated from its introduction; sources and the
//! uncertain dates are listed in the crate README, "Chains"):
//! - monthlies: the third Friday, the Thursday before when that Friday is
//!   an exchange holiday;
//! - end-of-quarter ("Quarterlys", QOS): the last session of March, June,
//!   September and December;
//! - end-of-month: the last session of the other months;
//! - weekday series: Friday weeklies, and the later Monday, Wednesday,
//!   Tuesday and Thursday expirations. A series listed "N weeks ahead"
//!   has its weekday in the current week and the next N weeks. A Monday
//!   that is a holiday expires the next session (Cboe's SPY Monday
//!   notice); any other expiry falling on a holiday moves to the previous
//!   session.
//!
//! Dates are computed with [`trade_calendar::Nyse`], which covers
//! 1990-2035; expiries beyond it are not listed.

use jiff::civil::{Date, Weekday, date};
use trade_calendar::{Nyse, OutOfRange};
use trade_core::{ExerciseStyle, Price};

use crate::chain::days_between;

/// A setting in force from `from` until the next era's `from`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Era<T> {
    /// First date (inclusive) the value applies.
    pub from: Date,
    /// The value.
    pub value: T,
}

/// The value in force on `date`, if any era has started.
fn in_force<T: Copy>(eras: &[Era<T>], date: Date) -> Option<T> {
    eras.iter().rev().find(|e| e.from <= date).map(|e| e.value)
}

/// How far out the standard monthly cycle is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyCycle {
    /// The nearest unexpired monthlies listed.
    pub near: u8,
    /// Further quarterly-cycle months (March, June, September, December)
    /// after the near ones.
    pub quarterly_after: u8,
    /// Long-dated (LEAPS) months listed within `leaps_within` months:
    /// January, and December too when `december_leaps`.
    pub leaps_within: u8,
    /// Whether December is a LEAPS month besides January.
    pub december_leaps: bool,
}

/// The minimum price increment of a product's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickRule {
    /// Tick of options priced below $3.
    pub below_3: Price,
    /// Tick of options priced at $3 or more.
    pub from_3: Price,
}

impl TickRule {
    /// The tick for an option priced `price`.
    pub fn tick(&self, price: f64) -> Price {
        if price < 3.0 {
            self.below_3
        } else {
            self.from_3
        }
    }
}

/// Strike increments: `inner_step` within `inner_band` (a fraction of the
/// spot) around the money, `outer_step` beyond.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrikeGrid {
    /// Increment near the money.
    pub inner_step: Price,
    /// Half-width of the near-the-money band, as a fraction of the spot.
    pub inner_band: f64,
    /// Increment further out.
    pub outer_step: Price,
}

/// Weekday series, Monday (index 0) to Friday (4).
const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

/// The listing rules of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRules {
    /// Product name (`SPY`, `generic`).
    pub name: &'static str,
    /// First day options were listed; nothing before.
    pub first_listed: Date,
    /// Monthly cycle by era.
    pub monthly: Vec<Era<MonthlyCycle>>,
    /// Number of end-of-quarter expiries listed (consecutive quarters), by
    /// era; `None` = not listed.
    pub quarterly: Vec<Era<Option<u8>>>,
    /// End-of-month expiries listed up to this many months ahead, by era;
    /// `None` = not listed.
    pub end_of_month: Vec<Era<Option<u8>>>,
    /// Weekday series Monday..Friday: weeks ahead listed, by era; `None` =
    /// not listed.
    pub weekly: [Vec<Era<Option<u8>>>; 5],
    /// Strike increments.
    pub strikes: StrikeGrid,
    /// Minimum price increments by era.
    pub ticks: Vec<Era<TickRule>>,
    /// Exercise style.
    pub style: ExerciseStyle,
}

const fn c(n: i64) -> Price {
    Price::from_cents(n)
}

/// Nickels below $3 and dimes above: the classic increments before the
/// penny pilot.
const NICKEL_DIME: TickRule = TickRule {
    below_3: c(5),
    from_3: c(10),
};
/// The penny pilot's increments for most classes.
const PENNY_NICKEL: TickRule = TickRule {
    below_3: c(1),
    from_3: c(5),
};
/// Pennies at every price (QQQ from the pilot's start; SPY and IWM from
/// 2010-02-01).
const PENNY: TickRule = TickRule {
    below_3: c(1),
    from_3: c(1),
};

const fn era<T>(from: Date, value: T) -> Era<T> {
    Era { from, value }
}

/// SPY, QQQ and IWM share these from their option launches: three near
/// months plus three from the March quarterly cycle, January LEAPS (Cboe
/// SPDR option specification).
const MONTHLY_2005: MonthlyCycle = MonthlyCycle {
    near: 3,
    quarterly_after: 3,
    leaps_within: 28,
    december_leaps: false,
};

/// What the SPY chain of 2025-08-26 shows (the yfinance snapshot shipped
/// in `data/options`): seven near months, three quarterly-cycle months
/// after them, January and December LEAPS up to 28 months out.
const MONTHLY_2025: MonthlyCycle = MonthlyCycle {
    near: 7,
    quarterly_after: 3,
    leaps_within: 28,
    december_leaps: true,
};

/// The earliest date we hold evidence of the 2025 cycles (the shipped
/// snapshot); when they really began is unknown.
const EVIDENCE_2025: Date = date(2025, 8, 26);
/// Cboe lists Friday Weeklys on SPY, QQQQ, DIA and IWM (first expiring
/// 2010-06-11).
const WEEKLYS_2010: Date = date(2010, 6, 4);
/// Exchanges expand Weeklys to five consecutive weeks.
const WEEKLYS_2012: Date = date(2012, 11, 15);
/// Cboe files the Tuesday/Thursday expirations for SPY and QQQ
/// (SR-CBOE-2022-059, effective on filing).
const TUE_THU_2022: Date = date(2022, 11, 14);
/// Cboe's Quarterlys (QOS) on SPY, QQQQ, IWM, DIA, XLE began in July
/// 2006; the day is not known, the first session of July is used.
const QUARTERLYS_2006: Date = date(2006, 7, 3);

impl ListingRules {
    /// SPDR S&P 500 ETF (SPY).
    pub fn spy() -> Self {
        ListingRules {
            name: "SPY",
            first_listed: date(2005, 1, 10),
            monthly: vec![
                era(date(2005, 1, 10), MONTHLY_2005),
                era(EVIDENCE_2025, MONTHLY_2025),
            ],
            quarterly: vec![era(QUARTERLYS_2006, Some(4))],
            end_of_month: vec![era(EVIDENCE_2025, Some(5))],
            weekly: [
                // Monday: Cboe lists SPY Mondays from 2018-02-16, up to
                // five; two weeks once the dailies came (assumed at the
                // Tuesday/Thursday launch, as the 2025 snapshot shows).
                vec![era(date(2018, 2, 16), Some(4)), era(TUE_THU_2022, Some(1))],
                vec![era(TUE_THU_2022, Some(1))],
                // Wednesday: MIAX lists SPY Wednesdays from 2016-09-07 (up
                // to five); Cboe's own start may differ by days.
                vec![era(date(2016, 9, 7), Some(4)), era(TUE_THU_2022, Some(1))],
                vec![era(TUE_THU_2022, Some(1))],
                vec![era(WEEKLYS_2010, Some(1)), era(WEEKLYS_2012, Some(5))],
            ],
            strikes: StrikeGrid {
                inner_step: c(100),
                inner_band: 0.10,
                outer_step: c(500),
            },
            ticks: vec![
                era(date(2005, 1, 10), NICKEL_DIME),
                // SPY's entry into the penny pilot: taken as the pilot's
                // first expansion (2007-09-28); not verified.
                era(date(2007, 9, 28), PENNY_NICKEL),
                era(date(2010, 2, 1), PENNY),
            ],
            style: ExerciseStyle::American,
        }
    }

    /// Invesco QQQ Trust (QQQ; QQQQ 2004-2011).
    pub fn qqq() -> Self {
        ListingRules {
            name: "QQQ",
            first_listed: date(1999, 3, 10),
            monthly: vec![
                era(date(1999, 3, 10), MONTHLY_2005),
                era(EVIDENCE_2025, MONTHLY_2025),
            ],
            quarterly: vec![era(QUARTERLYS_2006, Some(4))],
            end_of_month: vec![],
            weekly: [
                // Phlx's Monday/Wednesday QQQ rule was approved
                // 2021-04-20; QQQ 2021-05-10 (a Monday) series existed by
                // 2021-05-08. Listing start taken as 2021-04-21.
                vec![era(date(2021, 4, 21), Some(4)), era(TUE_THU_2022, Some(1))],
                vec![era(TUE_THU_2022, Some(1))],
                vec![era(date(2021, 4, 21), Some(4)), era(TUE_THU_2022, Some(1))],
                vec![era(TUE_THU_2022, Some(1))],
                vec![era(WEEKLYS_2010, Some(1)), era(WEEKLYS_2012, Some(5))],
            ],
            strikes: StrikeGrid {
                inner_step: c(100),
                inner_band: 0.10,
                outer_step: c(500),
            },
            ticks: vec![
                era(date(1999, 3, 10), NICKEL_DIME),
                // QQQQ quoted in pennies at every price from the pilot's
                // start (its phase-in day within 2007-01-26..02-09 is not
                // known).
                era(date(2007, 1, 26), PENNY),
            ],
            style: ExerciseStyle::American,
        }
    }

    /// iShares Russell 2000 ETF (IWM).
    pub fn iwm() -> Self {
        ListingRules {
            name: "IWM",
            // IWM began trading 2000-05-26; its options' first day is not
            // known to us (mid-2000).
            first_listed: date(2000, 7, 31),
            monthly: vec![
                era(date(2000, 7, 31), MONTHLY_2005),
                era(EVIDENCE_2025, MONTHLY_2025),
            ],
            quarterly: vec![era(QUARTERLYS_2006, Some(4))],
            end_of_month: vec![],
            weekly: [
                // Nasdaq and Cboe filed IWM Monday/Wednesday expirations
                // on 2021-09-30 / 2021-10-01, effective on filing.
                vec![era(date(2021, 10, 4), Some(4)), era(TUE_THU_2022, Some(1))],
                // No Tuesday/Thursday IWM expirations are modelled: a 2025
                // product page lists IWM as Monday/Wednesday/Friday.
                vec![],
                vec![era(date(2021, 10, 4), Some(4)), era(TUE_THU_2022, Some(1))],
                vec![],
                vec![era(WEEKLYS_2010, Some(1)), era(WEEKLYS_2012, Some(5))],
            ],
            strikes: StrikeGrid {
                inner_step: c(100),
                inner_band: 0.10,
                outer_step: c(500),
            },
            ticks: vec![
                era(date(2000, 7, 31), NICKEL_DIME),
                era(date(2007, 2, 9), PENNY_NICKEL),
                era(date(2010, 2, 1), PENNY),
            ],
            style: ExerciseStyle::American,
        }
    }

    /// Any other underlying: standard monthlies only, $5 strikes ($1
    /// within 5% of the spot), nickel/dime ticks, American exercise.
    pub fn generic() -> Self {
        ListingRules {
            name: "generic",
            first_listed: date(1990, 1, 1),
            monthly: vec![era(date(1990, 1, 1), MONTHLY_2005)],
            quarterly: vec![],
            end_of_month: vec![],
            weekly: [vec![], vec![], vec![], vec![], vec![]],
            strikes: StrikeGrid {
                inner_step: c(100),
                inner_band: 0.05,
                outer_step: c(500),
            },
            ticks: vec![era(date(1990, 1, 1), NICKEL_DIME)],
            style: ExerciseStyle::American,
        }
    }

    /// The rules of a product by name (`spy`, `qqq`/`qqqq`, `iwm`, anything
    /// else: generic).
    pub fn for_symbol(symbol: &str) -> Self {
        match symbol.to_ascii_uppercase().as_str() {
            "SPY" => Self::spy(),
            "QQQ" | "QQQQ" => Self::qqq(),
            "IWM" => Self::iwm(),
            _ => Self::generic(),
        }
    }

    /// The tick rule in force on `date` (the earliest era's before it).
    pub fn tick_rule(&self, date: Date) -> TickRule {
        in_force(&self.ticks, date)
            .or_else(|| self.ticks.first().map(|e| e.value))
            .unwrap_or(NICKEL_DIME)
    }

    /// Every expiry listed on `date` with `min_dte <= days to expiry <=
    /// max_dte`, ascending. Empty before the product's first listing.
    ///
    /// # Errors
    /// [`OutOfRange`] when `date` is outside the calendar's years.
    pub fn expiries(
        &self,
        date: Date,
        min_dte: i32,
        max_dte: i32,
    ) -> Result<Vec<Date>, OutOfRange> {
        let nyse = Nyse;
        nyse.session(date)?; // range check of the date itself
        let mut out: Vec<Date> = Vec::new();
        if date < self.first_listed || max_dte < min_dte.max(0) {
            return Ok(out);
        }
        let lo = min_dte.max(0);
        let keep = |e: Date, out: &mut Vec<Date>| {
            let d = days_between(date, e);
            if lo <= d && d <= max_dte {
                out.push(e);
            }
        };
        // Monthly cycle.
        if let Some(cycle) = in_force(&self.monthly, date) {
            let mut near_left = cycle.near;
            let mut quarterly_left = cycle.quarterly_after;
            let horizon = i32::from(
                cycle
                    .leaps_within
                    .max(cycle.near + 3 * cycle.quarterly_after),
            );
            for m in 0..=horizon {
                let Some((y, mo)) = add_months(date, m) else {
                    break;
                };
                if beyond_window(date, y, mo, max_dte) {
                    break;
                }
                let Some(exp) = monthly_expiry(y, mo) else {
                    continue;
                };
                if exp < date {
                    continue;
                }
                let listed = if near_left > 0 {
                    near_left -= 1;
                    true
                } else if mo % 3 == 0 && quarterly_left > 0 {
                    quarterly_left -= 1;
                    true
                } else {
                    let leaps_month = mo == 1 || (cycle.december_leaps && mo == 12);
                    leaps_month && m <= i32::from(cycle.leaps_within)
                };
                if listed {
                    keep(exp, &mut out);
                }
            }
        }
        // End of quarter.
        if let Some(Some(n)) = in_force(&self.quarterly, date) {
            let mut left = n;
            for m in 0..=(3 * i32::from(n) + 3) {
                if left == 0 {
                    break;
                }
                let Some((y, mo)) = add_months(date, m) else {
                    break;
                };
                if beyond_window(date, y, mo, max_dte) {
                    break;
                }
                if mo % 3 != 0 {
                    continue;
                }
                let Some(e) = last_session_of_month(y, mo) else {
                    continue;
                };
                if e >= date {
                    left -= 1;
                    keep(e, &mut out);
                }
            }
        }
        // End of month.
        if let Some(Some(n)) = in_force(&self.end_of_month, date) {
            for m in 0..=i32::from(n) {
                let Some((y, mo)) = add_months(date, m) else {
                    break;
                };
                if beyond_window(date, y, mo, max_dte) {
                    break;
                }
                if let Some(e) = last_session_of_month(y, mo).filter(|&e| e >= date) {
                    keep(e, &mut out);
                }
            }
        }
        // Weekday series.
        let monday = monday_of(date);
        for (i, eras) in self.weekly.iter().enumerate() {
            let Some(Some(weeks)) = in_force(eras, date) else {
                continue;
            };
            let roll_forward = i == 0;
            for w in 0..=i64::from(weeks) {
                if 7 * w - 7 > i64::from(max_dte) {
                    break;
                }
                let Some(nominal) = monday
                    .checked_add(jiff::Span::new().days(7 * w + i as i64))
                    .ok()
                else {
                    break;
                };
                let Some(e) = roll(nominal, roll_forward) else {
                    continue;
                };
                if e >= date {
                    keep(e, &mut out);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The strikes listed between `lo` and `hi` (inclusive) around `spot`,
    /// ascending.
    pub fn strikes(&self, spot: f64, lo: f64, hi: f64) -> Vec<Price> {
        let g = self.strikes;
        let mut out = Vec::new();
        if !(spot.is_finite() && spot > 0.0 && lo.is_finite() && hi.is_finite() && lo <= hi) {
            return out;
        }
        let band_lo = spot * (1.0 - g.inner_band);
        let band_hi = spot * (1.0 + g.inner_band);
        let mut push_range = |step: Price, a: f64, b: f64| {
            let s = step.to_f64();
            if s <= 0.0 || a > b {
                return;
            }
            let first = (a / s).ceil().max(1.0) as i64;
            let last = (b / s).floor() as i64;
            for k in first..=last {
                out.push(Price::from_raw(k.saturating_mul(step.raw())));
            }
        };
        push_range(g.inner_step, lo.max(band_lo), hi.min(band_hi));
        push_range(g.outer_step, lo, hi.min(band_lo));
        push_range(g.outer_step, lo.max(band_hi), hi);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `(year, month)` of the month `m` months after `date`'s.
fn add_months(date: Date, m: i32) -> Option<(i16, i8)> {
    let idx = i32::from(date.year()) * 12 + i32::from(date.month()) - 1 + m;
    let y = i16::try_from(idx.div_euclid(12)).ok()?;
    let mo = i8::try_from(idx.rem_euclid(12) + 1).ok()?;
    (y <= trade_calendar::LAST_YEAR).then_some((y, mo))
}

/// Whether every day of month `(y, mo)` is more than `max_dte` days after
/// `date`: the listing loops stop there instead of walking out to the
/// LEAPS horizon on every call.
fn beyond_window(date: Date, y: i16, mo: i8, max_dte: i32) -> bool {
    Date::new(y, mo, 1).is_ok_and(|first| days_between(date, first) > max_dte)
}

/// The Monday of `date`'s week.
fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(jiff::Span::new().days(back))
        .unwrap_or(date)
}

/// `date` moved to a session: itself, the next one (`forward`) or the
/// previous one. `None` outside the calendar.
fn roll(date: Date, forward: bool) -> Option<Date> {
    let nyse = Nyse;
    match nyse.session(date) {
        Ok(Some(_)) => Some(date),
        Ok(None) if forward => nyse.next_session(date).ok().flatten().map(|s| s.date),
        Ok(None) => nyse.previous_session(date).ok().flatten().map(|s| s.date),
        Err(_) => None,
    }
}

/// The third Friday of a month, or the session before it when it is a
/// holiday.
pub fn monthly_expiry(year: i16, month: i8) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    let to_friday = (WEEKDAYS[4].to_monday_zero_offset() - first.weekday().to_monday_zero_offset())
        .rem_euclid(7);
    let third = Date::new(year, month, 1 + to_friday + 14).ok()?;
    roll(third, false)
}

/// The last session of a month.
pub fn last_session_of_month(year: i16, month: i8) -> Option<Date> {
    let last = Date::new(year, month, 1).ok()?.last_of_month();
    roll(last, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_expiry_moves_before_holidays() {
        assert_eq!(monthly_expiry(2025, 9), Some(date(2025, 9, 19)));
        // Good Friday 2014-04-18 was the third Friday: Thursday instead.
        assert_eq!(monthly_expiry(2014, 4), Some(date(2014, 4, 17)));
        // Juneteenth 2026 is the third Friday of June.
        assert_eq!(monthly_expiry(2026, 6), Some(date(2026, 6, 18)));
        assert_eq!(last_session_of_month(2025, 11), Some(date(2025, 11, 28)));
        assert_eq!(last_session_of_month(2026, 1), Some(date(2026, 1, 30)));
    }

    #[test]
    fn strike_grid_is_dollar_near_and_five_dollar_far() {
        let r = ListingRules::spy();
        let s = r.strikes(100.0, 80.0, 120.0);
        assert_eq!(s.first(), Some(&c(8_000)));
        assert_eq!(s.last(), Some(&c(12_000)));
        assert!(s.contains(&c(9_000)) && s.contains(&c(9_100)) && s.contains(&c(11_000)));
        assert!(!s.contains(&c(8_900)) && s.contains(&c(8_500)));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(r.strikes(f64::NAN, 1.0, 2.0).is_empty());
    }

    #[test]
    fn ticks_by_era() {
        let r = ListingRules::spy();
        assert_eq!(r.tick_rule(date(2006, 1, 3)).tick(2.0), c(5));
        assert_eq!(r.tick_rule(date(2006, 1, 3)).tick(3.5), c(10));
        assert_eq!(r.tick_rule(date(2009, 1, 2)).tick(3.5), c(5));
        assert_eq!(r.tick_rule(date(2015, 1, 2)).tick(30.0), c(1));
    }
}
