//! Back-adjustment of raw bars for splits and dividends, with a guard
//! against adjusting data that the vendor already adjusted.
//!
//! Method (CRSP, also Yahoo's): for an action with ex-date `D`, every bar
//! that ends before `D` (00:00 New York) is scaled; bars from `D` on are
//! unchanged, so the latest prices stay as traded.
//! * split `new:old`: prices × old/new, volume × new/old;
//! * cash dividend `d`: prices × (1 − d / P), `P` the raw close of the last
//!   bar before `D` (in post-split terms when a split shares the ex-date).
//!
//! Factors of successive actions multiply. Split-only adjustment is exact
//! rational arithmetic rounded once to 10^-8; dividend factors are `f64`
//! (relative error ~1e-16, far below 10^-8 of a price).
//!
//! The guard: an unadjusted series drops by about the split ratio from the
//! last close before a split to the first open on the ex-date. If the
//! observed ratio is closer to 1 than to the split ratio (in log terms) the
//! data is already adjusted and applying the split again would be wrong.

use jiff::civil::Date;
use serde::Deserialize;
use thiserror::Error;
use trade_core::{Bar, Price, Timestamp};

use crate::actions::{ActionKind, CorporateAction, SplitRatio};
use crate::table::mul_div;

/// What to adjust for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustMode {
    /// Leave prices as read.
    #[default]
    None,
    /// Splits only (prices comparable across splits, dividends not added back).
    Splits,
    /// Splits and cash dividends (total-return prices).
    SplitsAndDividends,
}

/// What to do when a split looks already applied to the prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlreadyAdjusted {
    /// Refuse with [`AdjustError::AlreadyAdjusted`] (the default).
    #[default]
    Error,
    /// Treat the split as already reflected in the prices: skip it (its
    /// dividends are then taken to be per post-split share).
    SkipSplit,
    /// Trust the action and apply it anyway.
    Apply,
}

/// Adjuster settings (embeddable in TOML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdjustOptions {
    /// `none` (default), `splits` or `splits_and_dividends`.
    pub mode: AdjustMode,
    /// `error` (default), `skip_split` or `apply`.
    pub on_already_adjusted: AlreadyAdjusted,
}

/// Why adjustment was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AdjustError {
    /// The prices already reflect a split flagged in the actions.
    #[error(
        "split {ratio} on {date} looks already applied: close before the ex-date {before}, open on it {after}, \
         observed price ratio {observed:.4} where unadjusted prices would show about {expected:.4}; \
         refusing to adjust twice (set on_already_adjusted = \"skip_split\" if the prices are adjusted, \
         or \"apply\" to trust the action)"
    )]
    AlreadyAdjusted {
        /// Ex-date.
        date: Date,
        /// The flagged ratio.
        ratio: SplitRatio,
        /// Last close before the ex-date.
        before: Price,
        /// First open on or after the ex-date.
        after: Price,
        /// `before / after`.
        observed: f64,
        /// The ratio as a number.
        expected: f64,
    },
    /// A dividend not smaller than the price it comes out of.
    #[error("dividend {dividend} on {date} is not below the previous close {prev_close}")]
    DividendTooLarge {
        /// Ex-date.
        date: Date,
        /// Dividend per share.
        dividend: Price,
        /// The close it would be taken from.
        prev_close: Price,
    },
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedAction {
    /// The action.
    pub action: CorporateAction,
    /// Price factor applied to earlier bars (1.0 if skipped).
    pub price_factor: f64,
    /// For splits: last close before / first open on the ex-date.
    pub observed_ratio: Option<f64>,
    /// Why it was not applied, if it was not.
    pub skipped: Option<&'static str>,
}

/// Adjusted bars and an account of each action.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjusted {
    /// The bars, same order and timestamps as the input.
    pub bars: Vec<Bar>,
    /// One entry per input action (relevant to the mode), by ex-date.
    pub applied: Vec<AppliedAction>,
}

/// Splits smaller than this (in either direction) cannot be told from a
/// day's move, so the already-adjusted guard does not judge them.
const MIN_CHECKED_RATIO: f64 = 1.2;

fn boundary(date: Date) -> Option<Timestamp> {
    let z = date.to_zoned(crate::timestamps::new_york()).ok()?;
    Timestamp::from_jiff(z.timestamp())
}

/// One ex-date's combined effect.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// First bar index not affected.
    idx: usize,
    split_num: u128,
    split_den: u128,
    div: f64,
}

/// Back-adjusts `bars` (sorted by `ts`) for `actions` (any order).
///
/// # Errors
/// [`AdjustError`] when a split looks already applied (and the policy is
/// `error`) or a dividend is not below the previous close.
pub fn adjust(
    bars: &[Bar],
    actions: &[CorporateAction],
    opts: &AdjustOptions,
) -> Result<Adjusted, AdjustError> {
    if opts.mode == AdjustMode::None {
        return Ok(Adjusted {
            bars: bars.to_vec(),
            applied: Vec::new(),
        });
    }
    let mut actions: Vec<&CorporateAction> = actions
        .iter()
        .filter(|a| {
            opts.mode == AdjustMode::SplitsAndDividends || matches!(a.kind, ActionKind::Split(_))
        })
        .collect();
    // Splits first within a date so a same-day dividend sees post-split terms.
    actions.sort_by_key(|a| (a.ex_date, matches!(a.kind, ActionKind::Dividend(_))));

    let mut applied = Vec::with_capacity(actions.len());
    let mut steps: Vec<Step> = Vec::new();
    for a in actions {
        let idx = boundary(a.ex_date).map_or(bars.len(), |b| bars.partition_point(|x| x.ts < b));
        let mut record = AppliedAction {
            action: a.clone(),
            price_factor: 1.0,
            observed_ratio: None,
            skipped: None,
        };
        if idx == 0 || idx == bars.len() {
            record.skipped = Some(if idx == 0 {
                "ex-date on or before the first bar"
            } else {
                "ex-date after the last bar"
            });
            applied.push(record);
            continue;
        }
        if steps.last().is_none_or(|s| s.idx != idx) {
            steps.push(Step {
                idx,
                split_num: 1,
                split_den: 1,
                div: 1.0,
            });
        }
        let (prev, next) = (&bars[idx - 1], &bars[idx]);
        let Some(step) = steps.last_mut() else {
            continue;
        };
        match a.kind {
            ActionKind::Split(r) => {
                let observed = prev.close.to_f64() / next.open.to_f64();
                record.observed_ratio = Some(observed);
                let expected = r.to_f64();
                let looks_applied = expected.ln().abs() >= MIN_CHECKED_RATIO.ln()
                    && observed.ln() / expected.ln() < 0.5;
                if looks_applied {
                    match opts.on_already_adjusted {
                        AlreadyAdjusted::Error => {
                            return Err(AdjustError::AlreadyAdjusted {
                                date: a.ex_date,
                                ratio: r,
                                before: prev.close,
                                after: next.open,
                                observed,
                                expected,
                            });
                        }
                        AlreadyAdjusted::SkipSplit => {
                            record.skipped = Some("prices already reflect the split");
                            applied.push(record);
                            continue;
                        }
                        AlreadyAdjusted::Apply => {}
                    }
                }
                step.split_num *= u128::from(r.new);
                step.split_den *= u128::from(r.old);
                record.price_factor = r.old as f64 / r.new as f64;
            }
            ActionKind::Dividend(d) => {
                // The dividend is per share as of the ex-date: bring the
                // previous close into those terms if a split shares the date.
                let p = prev.close.to_f64() * step.split_den as f64 / step.split_num as f64;
                let f = 1.0 - d.to_f64() / p;
                if !(f > 0.0 && f.is_finite()) {
                    return Err(AdjustError::DividendTooLarge {
                        date: a.ex_date,
                        dividend: d,
                        prev_close: prev.close,
                    });
                }
                step.div *= f;
                record.price_factor = f;
            }
        }
        applied.push(record);
    }

    // Cumulative factors from the newest step back; bars before steps[k].idx
    // take the product of steps k.. .
    let mut out = bars.to_vec();
    let (mut num, mut den, mut div) = (1u128, 1u128, 1.0f64);
    let mut end = bars.len();
    for s in steps.iter().rev() {
        apply(&mut out[s.idx..end], num, den, div);
        num *= s.split_num;
        den *= s.split_den;
        let g = gcd(num, den);
        (num, den) = (num / g, den / g);
        div *= s.div;
        end = s.idx;
    }
    apply(&mut out[..end], num, den, div);
    Ok(Adjusted { bars: out, applied })
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn apply(bars: &mut [Bar], num: u128, den: u128, div: f64) {
    if num == 1 && den == 1 && div == 1.0 {
        return;
    }
    let (n, d) = (
        i64::try_from(num).unwrap_or(i64::MAX),
        i64::try_from(den).unwrap_or(i64::MAX),
    );
    let factor = den as f64 / num as f64 * div;
    let price = |p: Price| -> Price {
        if div == 1.0 {
            Price::from_raw(mul_div(p.raw(), d, n).unwrap_or(p.raw()))
        } else {
            Price::from_raw((p.raw() as f64 * factor).round() as i64)
        }
    };
    for b in bars {
        b.open = price(b.open);
        b.high = price(b.high);
        b.low = price(b.low);
        b.close = price(b.close);
        let v = u128::from(b.volume) * num;
        b.volume = u64::try_from((v + den / 2) / den).unwrap_or(u64::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use trade_core::InstrumentId;

    fn bar(d: Date, o: i64, c: i64, v: u64) -> Bar {
        let ts = Timestamp::from_jiff(
            d.at(16, 0, 0, 0)
                .to_zoned(crate::timestamps::new_york())
                .unwrap()
                .timestamp(),
        )
        .unwrap();
        let (o, c) = (Price::from_cents(o), Price::from_cents(c));
        Bar {
            instrument: InstrumentId(0),
            ts,
            open: o,
            high: o.max(c),
            low: o.min(c),
            close: c,
            volume: v,
        }
    }

    fn split(d: Date, new: u64, old: u64) -> CorporateAction {
        CorporateAction {
            ex_date: d,
            symbol: None,
            kind: ActionKind::Split(SplitRatio::new(new, old).unwrap()),
        }
    }

    fn dividend(d: Date, cents: i64) -> CorporateAction {
        CorporateAction {
            ex_date: d,
            symbol: None,
            kind: ActionKind::Dividend(Price::from_cents(cents)),
        }
    }

    #[test]
    fn adjust_table() {
        let bars = vec![
            bar(date(2024, 1, 2), 10_000, 10_000, 100),
            bar(date(2024, 1, 3), 5_000, 5_000, 200),
            bar(date(2024, 1, 4), 4_900, 5_000, 200),
        ];
        let all = |m| AdjustOptions {
            mode: m,
            ..AdjustOptions::default()
        };
        // (case, actions, options, expected closes in cents (x100 for precision), volumes)
        type Case = (
            &'static str,
            Vec<CorporateAction>,
            AdjustOptions,
            Vec<i64>,
            Vec<u64>,
        );
        let cases: Vec<Case> = vec![
            (
                "none",
                vec![split(date(2024, 1, 3), 2, 1)],
                all(AdjustMode::None),
                vec![10_000, 5_000, 5_000],
                vec![100, 200, 200],
            ),
            (
                "2:1 split",
                vec![split(date(2024, 1, 3), 2, 1)],
                all(AdjustMode::Splits),
                vec![5_000, 5_000, 5_000],
                vec![200, 200, 200],
            ),
            (
                "dividend ignored in splits mode",
                vec![dividend(date(2024, 1, 4), 50)],
                all(AdjustMode::Splits),
                vec![10_000, 5_000, 5_000],
                vec![100, 200, 200],
            ),
            // factor 1 - 0.50/50.00 = 0.99 on both earlier bars.
            (
                "dividend",
                vec![dividend(date(2024, 1, 4), 50)],
                all(AdjustMode::SplitsAndDividends),
                vec![9_900, 4_950, 5_000],
                vec![100, 200, 200],
            ),
            (
                "both",
                vec![
                    split(date(2024, 1, 3), 2, 1),
                    dividend(date(2024, 1, 4), 50),
                ],
                all(AdjustMode::SplitsAndDividends),
                vec![4_950, 4_950, 5_000],
                vec![200, 200, 200],
            ),
            (
                "out of range",
                vec![split(date(2024, 1, 2), 2, 1), split(date(2024, 2, 1), 2, 1)],
                all(AdjustMode::Splits),
                vec![10_000, 5_000, 5_000],
                vec![100, 200, 200],
            ),
        ];
        for (name, actions, opts, closes, vols) in cases {
            let got = adjust(&bars, &actions, &opts).unwrap_or_else(|e| panic!("case {name}: {e}"));
            let c: Vec<i64> = got.bars.iter().map(|b| b.close.raw() / 1_000_000).collect();
            assert_eq!(c, closes, "case {name}");
            assert_eq!(
                got.bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
                vols,
                "case {name}"
            );
            assert!(
                got.bars.iter().zip(&bars).all(|(a, b)| a.ts == b.ts),
                "case {name}"
            );
        }
    }

    #[test]
    fn already_adjusted_split_is_refused_skipped_or_applied() {
        // Prices continuous across a flagged 2:1 split: already adjusted.
        let bars = vec![
            bar(date(2024, 1, 2), 5_000, 5_000, 100),
            bar(date(2024, 1, 3), 5_010, 5_020, 100),
        ];
        let acts = vec![
            split(date(2024, 1, 3), 2, 1),
            dividend(date(2024, 1, 3), 100),
        ];
        let opts = |p| AdjustOptions {
            mode: AdjustMode::SplitsAndDividends,
            on_already_adjusted: p,
        };
        let e = adjust(&bars, &acts, &opts(AlreadyAdjusted::Error)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("split 2:1 on 2024-01-03 looks already applied"),
            "{msg}"
        );
        assert!(msg.contains("observed price ratio 0.9980"), "{msg}");
        let skipped = adjust(&bars, &acts, &opts(AlreadyAdjusted::SkipSplit)).unwrap();
        // Only the dividend: 1 - 1.00 / 50.00 = 0.98.
        assert_eq!(skipped.bars[0].close, Price::from_cents(4_900));
        let applied = adjust(&bars, &acts, &opts(AlreadyAdjusted::Apply)).unwrap();
        // Split and dividend in post-split terms: 50/2 * (1 - 1/25) = 24.00.
        assert_eq!(applied.bars[0].close, Price::from_cents(2_400));
    }

    #[test]
    fn dividend_above_price_is_an_error() {
        let bars = vec![
            bar(date(2024, 1, 2), 100, 100, 1),
            bar(date(2024, 1, 3), 100, 100, 1),
        ];
        let e = adjust(
            &bars,
            &[dividend(date(2024, 1, 3), 100)],
            &AdjustOptions {
                mode: AdjustMode::SplitsAndDividends,
                ..AdjustOptions::default()
            },
        );
        assert!(matches!(e, Err(AdjustError::DividendTooLarge { .. })));
    }
}
