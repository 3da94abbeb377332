//! Compounding returns within calendar months and years, like
//! `empyrical.aggregate_returns(returns, 'monthly' | 'yearly')`.
//!
//! Each return is labelled with the calendar period it belongs to (the
//! period of the bar that *ends* it). Within a period the returns compound:
//! `prod(1 + r) - 1`, missing (non-finite) returns skipped. The output has
//! one entry per distinct period, in ascending order, as pandas' `groupby`
//! gives. Labels are not validated (a month of 13 is just a label).
//!
//! Differences from empyrical, both deliberate: a period with no finite
//! return is `None` (empyrical reports 0.0), and slices of different lengths
//! give an empty result (empyrical aligns by index).

use serde::Serialize;

use crate::returns::compound;
use crate::stats::finite;

/// The compounded return of one calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonthlyReturn {
    /// Calendar year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Compounded return over the month; `None` if it had no finite return.
    pub ret: Option<f64>,
}

/// The compounded return of one calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YearlyReturn {
    /// Calendar year.
    pub year: i32,
    /// Compounded return over the year; `None` if it had no finite return.
    pub ret: Option<f64>,
}

/// Groups by key, compounding wealth. O(n) for chronological input (runs of
/// equal keys in ascending order); out-of-order input costs a sort of the
/// runs and still merges every key into one group.
fn aggregate_by<K: Ord + Copy>(keys: &[K], returns: &[f64]) -> Vec<(K, Option<f64>)> {
    if keys.len() != returns.len() {
        return Vec::new();
    }
    // (key, growth factor, has a finite return)
    let mut runs: Vec<(K, f64, bool)> = Vec::new();
    let mut sorted = true;
    for (&k, &r) in keys.iter().zip(returns) {
        match runs.last_mut() {
            Some(last) if last.0 == k => {
                last.1 = compound(last.1, r);
                last.2 |= r.is_finite();
            }
            last => {
                if last.is_some_and(|l| l.0 > k) {
                    sorted = false;
                }
                runs.push((k, compound(1.0, r), r.is_finite()));
            }
        }
    }
    if !sorted {
        runs.sort_by_key(|run| run.0);
        runs.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 = if kept.1 == 0.0 || later.1 == 0.0 {
                    0.0
                } else {
                    kept.1 * later.1
                };
                kept.2 |= later.2;
                true
            } else {
                false
            }
        });
    }
    runs.into_iter()
        .map(|(k, growth, any)| (k, if any { finite(growth - 1.0) } else { None }))
        .collect()
}

/// Monthly compounded returns. `periods[i]` is the `(year, month)` of
/// `returns[i]`; see the module docs.
///
/// ```
/// use trade_metrics::aggregate_monthly;
/// let m = aggregate_monthly(&[(2024, 1), (2024, 1), (2024, 2)], &[0.10, 0.10, -0.05]);
/// assert_eq!((m[0].year, m[0].month), (2024, 1));
/// assert!((m[0].ret.unwrap() - 0.21).abs() < 1e-12);
/// assert!((m[1].ret.unwrap() + 0.05).abs() < 1e-12);
/// ```
#[must_use]
pub fn aggregate_monthly(periods: &[(i32, u8)], returns: &[f64]) -> Vec<MonthlyReturn> {
    aggregate_by(periods, returns)
        .into_iter()
        .map(|((year, month), ret)| MonthlyReturn { year, month, ret })
        .collect()
}

/// Yearly compounded returns. `years[i]` is the calendar year of
/// `returns[i]`; see the module docs.
#[must_use]
pub fn aggregate_yearly(years: &[i32], returns: &[f64]) -> Vec<YearlyReturn> {
    aggregate_by(years, returns)
        .into_iter()
        .map(|(year, ret)| YearlyReturn { year, ret })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_without_finite_returns_is_none() {
        let m = aggregate_monthly(&[(2024, 1), (2024, 2)], &[0.01, f64::NAN]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].ret, None);
    }

    #[test]
    fn mismatched_lengths_give_nothing() {
        assert!(aggregate_monthly(&[(2024, 1)], &[]).is_empty());
        assert!(aggregate_yearly(&[], &[0.1]).is_empty());
    }

    #[test]
    fn out_of_order_keys_are_merged() {
        let y = aggregate_yearly(&[2021, 2020, 2021], &[0.1, 0.5, 0.1]);
        assert_eq!(y.len(), 2);
        assert_eq!((y[0].year, y[0].ret), (2020, Some(0.5)));
        assert_eq!(y[1].year, 2021);
        assert!((y[1].ret.unwrap() - 0.21).abs() < 1e-12);
    }
}
