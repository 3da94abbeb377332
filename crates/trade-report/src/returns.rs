//! Daily equity and returns of the strategy and its benchmark, aligned on
//! the strategy's session dates, and their calendar aggregation.
//!
//! * Strategy: the last equity of each New York date
//!   ([`last_per_ny_date`]); the first return is measured from the initial
//!   cash, so `n` sessions give `n` returns and compounding them gives
//!   exactly `final / initial - 1`.
//! * Benchmark: buy and hold, bought at the close of the first session
//!   (`equity = initial × close / base close`). On each strategy date its
//!   value is the last benchmark close on or before that date; dates before
//!   its first close are missing (`NaN`), which the metrics skip.

use jiff::civil::Date;
use trade_core::{Money, Price, Timestamp};
use trade_engine::ledger::EquityRow;
use trade_metrics::{
    MonthlyReturn, YearlyReturn, aggregate_monthly, aggregate_yearly, returns_from_equity,
};

use crate::daily::{DailyPoint, last_per_ny_date};
use crate::records::BenchmarkSeries;

/// The benchmark aligned on the strategy's dates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BenchmarkDaily {
    /// Symbol.
    pub symbol: String,
    /// The close it was bought at, and when.
    pub base: (Timestamp, Price),
    /// Its last close within the period.
    pub last: (Timestamp, Price),
    /// Buy-and-hold equity on each strategy date (`NaN` before its first close).
    pub equity: Vec<f64>,
    /// Daily returns, aligned with the strategy's.
    pub returns: Vec<f64>,
}

/// Daily series of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DailySeries {
    /// Starting cash.
    pub initial: f64,
    /// One point per New York date: the date's last equity.
    pub days: Vec<DailyPoint<f64>>,
    /// `returns[i]`: from the previous date's equity (the initial cash for
    /// the first) to `days[i]`.
    pub returns: Vec<f64>,
    /// The benchmark, if any close falls on or before the last date.
    pub benchmark: Option<BenchmarkDaily>,
}

impl DailySeries {
    /// Resamples the equity ledger and aligns the benchmark.
    pub fn new(
        equity: &[EquityRow],
        initial: Money,
        benchmark: Option<&BenchmarkSeries<'_>>,
    ) -> Self {
        let initial = initial.to_f64();
        // Resample the exact amounts; convert only the daily values.
        let days: Vec<DailyPoint<f64>> =
            last_per_ny_date(equity.iter().map(|r| (r.ts, r.equity())))
                .into_iter()
                .map(|d| DailyPoint {
                    date: d.date,
                    ts: d.ts,
                    value: d.value.to_f64(),
                })
                .collect();
        let mut levels = Vec::with_capacity(days.len() + 1);
        levels.push(initial);
        levels.extend(days.iter().map(|d| d.value));
        let returns = returns_from_equity(&levels);
        let benchmark = benchmark.and_then(|b| align_benchmark(b, &days, initial));
        DailySeries {
            initial,
            days,
            returns,
            benchmark,
        }
    }

    /// The dates.
    pub fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.days.iter().map(|d| d.date)
    }

    /// Strategy returns compounded per calendar month.
    pub fn monthly(&self) -> Vec<MonthlyReturn> {
        let keys: Vec<(i32, u8)> = self
            .dates()
            .map(|d| (i32::from(d.year()), d.month() as u8))
            .collect();
        aggregate_monthly(&keys, &self.returns)
    }

    /// Strategy returns compounded per calendar year.
    pub fn yearly(&self) -> Vec<YearlyReturn> {
        aggregate_yearly(&self.years(), &self.returns)
    }

    /// Benchmark returns compounded per calendar year.
    pub fn benchmark_yearly(&self) -> Vec<YearlyReturn> {
        match &self.benchmark {
            Some(b) => aggregate_yearly(&self.years(), &b.returns),
            None => Vec::new(),
        }
    }

    fn years(&self) -> Vec<i32> {
        self.dates().map(|d| i32::from(d.year())).collect()
    }
}

fn align_benchmark(
    b: &BenchmarkSeries<'_>,
    days: &[DailyPoint<f64>],
    initial: f64,
) -> Option<BenchmarkDaily> {
    let last_date = days.last()?.date;
    let bench_days = last_per_ny_date(b.closes.iter());
    // Close on or before each strategy date (forward-filled).
    let mut aligned: Vec<Option<DailyPoint<Price>>> = Vec::with_capacity(days.len());
    let mut j = 0;
    let mut current = None;
    for d in days {
        while j < bench_days.len() && bench_days[j].date <= d.date {
            current = Some(bench_days[j]);
            j += 1;
        }
        aligned.push(current);
    }
    let base = aligned.iter().flatten().next().copied()?;
    let last = aligned.last().copied().flatten()?;
    debug_assert!(last.date <= last_date);
    let base_close = base.value.to_f64();
    if base_close <= 0.0 {
        return None;
    }
    let equity: Vec<f64> = aligned
        .iter()
        .map(|c| c.map_or(f64::NAN, |c| initial * c.value.to_f64() / base_close))
        .collect();
    let mut levels = Vec::with_capacity(equity.len() + 1);
    levels.push(initial);
    levels.extend(&equity);
    // Before the base close the benchmark is missing; the return into the
    // base date is 0 (bought at that close).
    let returns = returns_from_equity(&levels);
    Some(BenchmarkDaily {
        symbol: b.symbol.clone(),
        base: (base.ts, base.value),
        last: (last.ts, last.value),
        equity,
        returns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::from_jiff(s.parse().unwrap()).unwrap()
    }

    fn row(t: &str, equity: i64) -> EquityRow {
        EquityRow {
            ts: ts(t),
            cash: Money::from_dollars(equity),
            gross_exposure: Money::ZERO,
            net_exposure: Money::ZERO,
        }
    }

    #[test]
    fn intraday_equity_gives_one_return_per_session() {
        let eq = [
            row("2024-01-02T14:31:00Z", 100_500),
            row("2024-01-02T21:00:00Z", 101_000),
            row("2024-01-03T14:31:00Z", 99_000),
            row("2024-01-03T21:00:00Z", 99_990),
        ];
        let s = DailySeries::new(&eq, Money::from_dollars(100_000), None);
        assert_eq!(s.days.len(), 2);
        assert_eq!(s.returns.len(), 2);
        assert!((s.returns[0] - 0.01).abs() < 1e-12);
        assert!((s.returns[1] - (99_990.0 / 101_000.0 - 1.0)).abs() < 1e-12);
        let total = trade_metrics::total_return(&s.returns).unwrap();
        assert!((total - (99_990.0 / 100_000.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn benchmark_is_buy_and_hold_from_the_first_close_forward_filled() {
        let eq = [
            row("2024-01-02T21:00:00Z", 100_000),
            row("2024-01-03T21:00:00Z", 100_000),
            row("2024-01-04T21:00:00Z", 100_000),
        ];
        let closes = vec![
            (ts("2024-01-02T21:00:00Z"), Price::from_cents(40_000)),
            // no close on 01-03: forward-filled
            (ts("2024-01-04T21:00:00Z"), Price::from_cents(44_000)),
        ];
        let b = BenchmarkSeries {
            symbol: "SPY".into(),
            closes: closes.into(),
        };
        let s = DailySeries::new(&eq, Money::from_dollars(100_000), Some(&b));
        let bd = s.benchmark.unwrap();
        assert_eq!(bd.equity, [100_000.0, 100_000.0, 110_000.0]);
        assert_eq!(bd.returns.len(), 3);
        assert_eq!(bd.returns[0], 0.0);
        assert_eq!(bd.returns[1], 0.0);
        assert!((bd.returns[2] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn benchmark_starting_late_is_missing_before_its_first_close() {
        let eq = [
            row("2024-01-02T21:00:00Z", 100_000),
            row("2024-01-03T21:00:00Z", 100_000),
        ];
        let b = BenchmarkSeries {
            symbol: "QQQ".into(),
            closes: vec![(ts("2024-01-03T21:00:00Z"), Price::from_cents(100))].into(),
        };
        let s = DailySeries::new(&eq, Money::from_dollars(100_000), Some(&b));
        let bd = s.benchmark.unwrap();
        assert!(bd.equity[0].is_nan());
        assert!(bd.returns[0].is_nan() && bd.returns[1].is_nan());
    }

    #[test]
    fn empty_ledger() {
        let s = DailySeries::new(&[], Money::from_dollars(1), None);
        assert!(s.days.is_empty() && s.returns.is_empty() && s.monthly().is_empty());
    }
}
