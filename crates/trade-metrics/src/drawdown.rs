//! Drawdowns of the compounded wealth index `W_k = prod_{i<k}(1 + r_i)`,
//! anchored at `W_0 = 1` before the first return (empyrical anchors at 100;
//! the fractions are the same).
//!
//! **Positions.** Drawdown periods are reported in *wealth-index positions*
//! `0..=n` for `n` returns: position `k` is the wealth after the first `k`
//! returns, so position 0 is the starting capital and position `k` is the
//! end of return `k - 1` (`returns[k - 1]`). A missing (non-finite) return
//! leaves wealth unchanged but still advances the position.
//!
//! **Episodes.** A drawdown episode starts at a *peak* (a position whose
//! wealth is at least every earlier wealth) followed by lower wealth, and
//! ends at the *recovery*: the first later position whose wealth is back at
//! or above the peak value. Its *duration* is `recovery - peak` periods, or
//! `n - peak` when it has not recovered by the end of the series. pyfolio's
//! drawdown table counts business days from peak to recovery *inclusive*
//! (one more than this).

use serde::Serialize;

use crate::returns::compound;
use crate::stats::finite;

/// Drawdown of wealth `w` from running peak `peak >= 1`, as empyrical
/// computes it: `(w - peak) / peak`. Never `NaN`.
fn drawdown_from(w: f64, peak: f64) -> f64 {
    if w >= peak {
        return 0.0;
    }
    if peak == f64::INFINITY {
        // The peak overflowed: any finite wealth is ~100 % below it.
        return if w == f64::NEG_INFINITY { w } else { -1.0 };
    }
    (w - peak) / peak
}

/// The underwater curve, one value per return (empyrical's
/// `drawdown_series`, which also drops the anchor): entry `i` is
/// `W_{i+1} / max_{k<=i+1} W_k - 1`, in `[-1, 0]` for returns `>= -1`.
///
/// Never `NaN`. Values are finite whenever the wealth index stays within
/// `f64` range; only a wealth overflow combined with returns below −100 %
/// can produce `-inf`.
#[must_use]
pub fn drawdown_series(returns: &[f64]) -> Vec<f64> {
    let mut w = 1.0_f64;
    let mut peak = 1.0_f64;
    returns
        .iter()
        .map(|&r| {
            w = compound(w, r);
            peak = peak.max(w);
            drawdown_from(w, peak)
        })
        .collect()
}

/// One drawdown episode, in wealth-index positions (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrawdownPeriod {
    /// Deepest drawdown in the episode, a negative fraction (−0.2 = −20 %).
    pub depth: f64,
    /// Position of the peak the episode falls from.
    pub peak: usize,
    /// Position of the lowest wealth (first one if tied).
    pub trough: usize,
    /// First position back at or above the peak, `None` if never regained.
    pub recovery: Option<usize>,
    /// `recovery - peak`, or `n - peak` when not recovered, in periods.
    pub duration: usize,
}

/// Depth and duration summary of all drawdown episodes of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrawdownStats {
    /// Deepest drawdown (empyrical's `max_drawdown`), `0.0` if wealth never
    /// fell below a previous peak. `None` if the depth is not finite.
    pub max_drawdown: Option<f64>,
    /// Longest episode duration in periods, `0` if there was no drawdown.
    pub max_drawdown_duration: usize,
    /// The deepest episode (the first, if tied).
    pub deepest: Option<DrawdownPeriod>,
    /// The longest episode (the first, if tied).
    pub longest: Option<DrawdownPeriod>,
}

/// All drawdown episodes summarised in one O(n) pass without allocation.
/// `None` when the series has no finite observation.
#[must_use]
pub fn drawdown_stats(returns: &[f64]) -> Option<DrawdownStats> {
    if !returns.iter().any(|r| r.is_finite()) {
        return None;
    }
    let n = returns.len();
    let mut deepest: Option<DrawdownPeriod> = None;
    let mut longest: Option<DrawdownPeriod> = None;
    let mut finish = |mut ep: DrawdownPeriod, recovery: Option<usize>| {
        ep.recovery = recovery;
        ep.duration = recovery.unwrap_or(n) - ep.peak;
        if deepest.is_none_or(|d| ep.depth < d.depth) {
            deepest = Some(ep);
        }
        if longest.is_none_or(|l| ep.duration > l.duration) {
            longest = Some(ep);
        }
    };

    let mut w = 1.0_f64;
    let mut peak_value = 1.0_f64;
    let mut peak_pos = 0usize;
    let mut current: Option<DrawdownPeriod> = None;
    for (i, &r) in returns.iter().enumerate() {
        let pos = i + 1;
        w = compound(w, r);
        if w >= peak_value {
            if let Some(ep) = current.take() {
                finish(ep, Some(pos));
            }
            peak_value = w;
            peak_pos = pos;
        } else {
            let dd = drawdown_from(w, peak_value);
            match &mut current {
                None => {
                    current = Some(DrawdownPeriod {
                        depth: dd,
                        peak: peak_pos,
                        trough: pos,
                        recovery: None,
                        duration: 0,
                    });
                }
                Some(ep) if dd < ep.depth => {
                    ep.depth = dd;
                    ep.trough = pos;
                }
                Some(_) => {}
            }
        }
    }
    if let Some(ep) = current {
        finish(ep, None);
    }

    Some(DrawdownStats {
        max_drawdown: match deepest {
            Some(d) => finite(d.depth),
            None => Some(0.0),
        },
        max_drawdown_duration: longest.map_or(0, |l| l.duration),
        deepest,
        longest,
    })
}

/// Maximum drawdown (empyrical's `max_drawdown`): the minimum of
/// [`drawdown_series`], a fraction in `[-1, 0]` for returns `>= -1`.
/// `None` when there is no finite observation.
#[must_use]
pub fn max_drawdown(returns: &[f64]) -> Option<f64> {
    drawdown_stats(returns)?.max_drawdown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_episodes() {
        // wealth by position: 0:1.0  1:1.1  2:0.99  3:1.1  4:1.21  5:0.968  6:1.0648  7:1.2
        // episode A: peak 1 (1.1), trough 2 (-10 %), recovery 3 (1.1 == peak), duration 2
        // episode B: peak 4 (1.21), trough 5 (-20 %), never back above 1.21 by
        //            position 7?  1.2 < 1.21, so unrecovered: duration 7 - 4 = 3
        let r = [
            0.1,
            -0.1,
            1.1 / 0.99 - 1.0,
            0.1,
            -0.2,
            0.1,
            1.2 / 1.0648 - 1.0,
        ];
        let s = drawdown_stats(&r).unwrap();
        let b = s.deepest.unwrap();
        assert!((b.depth + 0.2).abs() < 1e-12);
        assert_eq!((b.peak, b.trough, b.recovery, b.duration), (4, 5, None, 3));
        assert_eq!(s.longest, Some(b));
        assert_eq!(s.max_drawdown_duration, 3);
        let dd = drawdown_series(&r);
        assert!(dd[2].abs() < 1e-12, "recovered");
        assert!((dd[6] - (1.2 / 1.21 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn no_drawdown_and_empty() {
        let s = drawdown_stats(&[0.01, 0.0, 0.02]).unwrap();
        assert_eq!(s.max_drawdown, Some(0.0));
        assert_eq!(s.max_drawdown_duration, 0);
        assert_eq!((s.deepest, s.longest), (None, None));
        assert_eq!(drawdown_stats(&[]), None);
        assert_eq!(drawdown_stats(&[f64::NAN, f64::INFINITY]), None);
        assert_eq!(max_drawdown(&[]), None);
    }

    #[test]
    fn missing_returns_keep_positions_aligned() {
        let s = drawdown_stats(&[-0.1, f64::NAN, 0.2]).unwrap();
        let d = s.deepest.unwrap();
        assert_eq!(
            (d.peak, d.trough, d.recovery, d.duration),
            (0, 1, Some(3), 3)
        );
    }

    #[test]
    fn overflowing_wealth_gives_no_nan() {
        let dd = drawdown_series(&[1e300, 1e300, -1.0, -2.0, 1e300]);
        assert!(dd.iter().all(|d| !d.is_nan()), "{dd:?}");
        assert_eq!(dd[2], -1.0);
    }
}
