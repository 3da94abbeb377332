//! Property tests: invariances and identities that hold for any input, and
//! robustness (no panic, no NaN/inf in a `Some`) on arbitrary `f64`s.

use proptest::prelude::*;
use trade_metrics::{
    MetricsConfig, ReturnMetrics, aggregate_monthly, aggregate_yearly, alpha_beta,
    benchmark_metrics, drawdown_series, drawdown_stats, exposure, max_drawdown, return_metrics,
    returns_from_equity, sharpe_ratio, sortino_ratio, total_return, trade_stats, turnover,
};

/// Returns on a 1e-4 grid in [-0.5, 0.5]: distinct values stay distinct
/// after scaling, so "constant" is scale-invariant too.
fn grid_returns(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        (-5000i32..=5000).prop_map(|k| f64::from(k) / 1e4),
        0..max_len,
    )
}

/// Any f64 at all, NaN and infinities included, with extra weight on the
/// special values.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => prop::num::f64::ANY,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-1.0),
        2 => -1.5f64..1.5,
    ]
}

fn ok(x: Option<f64>) -> bool {
    x.is_none_or(f64::is_finite)
}

fn all_finite(m: &ReturnMetrics) -> bool {
    [
        m.total_return,
        m.cagr,
        m.annual_volatility,
        m.sharpe,
        m.sortino,
        m.downside_risk,
        m.max_drawdown,
        m.calmar,
        m.best_period,
        m.worst_period,
    ]
    .into_iter()
    .all(ok)
}

/// Assigns each return a month: a new month starts where `new_month` is
/// true, months roll over into years.
fn month_keys(new_month: &[bool]) -> Vec<(i32, u8)> {
    let mut idx = 2020 * 12;
    new_month
        .iter()
        .map(|&step| {
            if step {
                idx += 1;
            }
            (idx / 12, u8::try_from(idx % 12 + 1).expect("month"))
        })
        .collect()
}

proptest! {
    #[test]
    fn sharpe_and_sortino_are_scale_invariant(returns in grid_returns(200), c in 0.01f64..100.0) {
        let cfg = MetricsConfig::default();
        let scaled: Vec<f64> = returns.iter().map(|r| r * c).collect();
        for (f, name) in [(sharpe_ratio as fn(&[f64], &MetricsConfig) -> Option<f64>, "sharpe"),
                          (sortino_ratio, "sortino")] {
            match (f(&returns, &cfg), f(&scaled, &cfg)) {
                (None, None) => {}
                (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{name}: {a} vs {b}"),
                (a, b) => prop_assert!(false, "{name}: {a:?} vs {b:?}"),
            }
        }
    }

    #[test]
    fn max_drawdown_is_a_fraction_of_wealth(returns in prop::collection::vec(-1.0f64..=10.0, 0..300)) {
        let dd = drawdown_series(&returns);
        prop_assert_eq!(dd.len(), returns.len());
        prop_assert!(dd.iter().all(|d| (-1.0..=0.0).contains(d)));
        match max_drawdown(&returns) {
            None => prop_assert!(returns.is_empty()),
            Some(m) => {
                prop_assert!((-1.0..=0.0).contains(&m));
                let min = dd.iter().copied().fold(0.0, f64::min);
                prop_assert_eq!(m, min);
            }
        }
        if let Some(s) = drawdown_stats(&returns) {
            for ep in [s.deepest, s.longest].into_iter().flatten() {
                prop_assert!(ep.peak < ep.trough && ep.trough <= returns.len());
                prop_assert!(ep.recovery.is_none_or(|r| r > ep.trough && r <= returns.len()));
                prop_assert!(ep.duration >= 1 && ep.duration <= returns.len());
            }
            prop_assert!(s.longest.is_none_or(|l| l.duration == s.max_drawdown_duration));
            prop_assert_eq!(s.deepest.is_some(), s.max_drawdown != Some(0.0));
        }
    }

    #[test]
    fn total_return_is_the_compounded_product(returns in prop::collection::vec(-0.99f64..1.0, 1..300)) {
        // Independent route: exp(sum(ln(1 + r))) - 1, compared on the total
        // (not on 1 + total, which loses all precision when wealth is ~0).
        let log_growth: f64 = returns.iter().map(|r| r.ln_1p()).sum();
        let total = total_return(&returns).expect("defined");
        prop_assert!((total - log_growth.exp_m1()).abs() <= 1e-9 * (1.0 + total.abs()));
        let m = return_metrics(&returns, &MetricsConfig::default());
        prop_assert_eq!(m.total_return, Some(total));
    }

    #[test]
    fn equity_round_trips_through_returns(equity in prop::collection::vec(1.0f64..1e6, 2..200)) {
        let r = returns_from_equity(&equity);
        prop_assert_eq!(r.len(), equity.len() - 1);
        let total = total_return(&r).expect("defined");
        let direct = equity[equity.len() - 1] / equity[0] - 1.0;
        prop_assert!((total - direct).abs() <= 1e-9 * (1.0 + direct.abs()));
    }

    #[test]
    fn calendar_aggregates_compound_back_to_total(
        rows in prop::collection::vec((-0.2f64..0.2, prop::bool::weighted(0.1)), 1..400),
        shuffle_seed in any::<u64>(),
    ) {
        let returns: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let keys = month_keys(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let total = total_return(&returns).expect("defined");
        let compound = |rets: &mut dyn Iterator<Item = Option<f64>>| -> f64 {
            rets.fold(1.0, |w, r| w * (1.0 + r.expect("month defined"))) - 1.0
        };
        let monthly = aggregate_monthly(&keys, &returns);
        prop_assert!(monthly.windows(2).all(|w| (w[0].year, w[0].month) < (w[1].year, w[1].month)));
        let from_months = compound(&mut monthly.iter().map(|m| m.ret));
        prop_assert!((from_months - total).abs() <= 1e-9 * (1.0 + total.abs()));
        let years: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let yearly = aggregate_yearly(&years, &returns);
        let from_years = compound(&mut yearly.iter().map(|y| y.ret));
        prop_assert!((from_years - total).abs() <= 1e-9 * (1.0 + total.abs()));

        // Out-of-order input groups to the same months (compounding commutes).
        let mut pairs: Vec<((i32, u8), f64)> = keys.iter().copied().zip(returns.iter().copied()).collect();
        let mut state = shuffle_seed | 1;
        for i in (1..pairs.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).expect("index");
            pairs.swap(i, j);
        }
        let (skeys, srets): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        let shuffled = aggregate_monthly(&skeys, &srets);
        prop_assert_eq!(shuffled.len(), monthly.len());
        for (a, b) in shuffled.iter().zip(&monthly) {
            prop_assert_eq!((a.year, a.month), (b.year, b.month));
            let (a, b) = (a.ret.expect("defined"), b.ret.expect("defined"));
            prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()));
        }
    }

    #[test]
    fn no_panic_and_no_non_finite_result_on_arbitrary_input(
        returns in prop::collection::vec(any_f64(), 0..60),
        bench in prop::collection::vec(any_f64(), 0..60),
        ppy in any_f64(),
        rf in any_f64(),
        notional in any_f64(),
    ) {
        for cfg in [MetricsConfig::default(), MetricsConfig { periods_per_year: ppy, risk_free_annual: rf }] {
            let m = return_metrics(&returns, &cfg);
            prop_assert!(all_finite(&m), "{m:?}");
            prop_assert_eq!(m.n_periods, returns.len());

            let n = returns.len().min(bench.len());
            let b = benchmark_metrics(&returns[..n], &bench[..n], &cfg);
            prop_assert!([b.alpha, b.beta, b.tracking_error, b.information_ratio].into_iter().all(ok), "{b:?}");
            let (alpha, beta) = alpha_beta(&returns, &bench, &cfg);
            prop_assert!(ok(alpha) && ok(beta));

            let t = turnover(notional, &bench, &cfg);
            prop_assert!([t.avg_equity, t.total, t.annual].into_iter().all(ok), "{t:?}");
        }
        prop_assert!(drawdown_series(&returns).iter().all(|d| !d.is_nan()));
        prop_assert!(returns_from_equity(&returns).len() == returns.len().saturating_sub(1));

        let t = trade_stats(&returns);
        prop_assert!([t.hit_rate, t.gross_profit, t.gross_loss, t.net_profit, t.profit_factor, t.avg_win,
                      t.avg_loss, t.avg_trade, t.payoff_ratio, t.largest_win, t.largest_loss, t.expectancy]
            .into_iter().all(ok), "{t:?}");
        prop_assert_eq!(t.n_trades + t.n_invalid, returns.len());

        let n = returns.len().min(bench.len());
        let e = exposure(&returns[..n], &bench[..n]);
        prop_assert!(ok(e.time_in_market) && ok(e.avg_gross_exposure));

        let keys: Vec<(i32, u8)> = bench.iter().map(|x| (x.to_bits() as i32 % 3, (x.to_bits() % 12) as u8)).collect();
        let monthly = aggregate_monthly(&keys, &returns[..returns.len().min(keys.len())]);
        prop_assert!(monthly.iter().all(|m| ok(m.ret)));
        let years: Vec<i32> = keys.iter().map(|k| k.0).collect();
        prop_assert!(aggregate_yearly(&years, &returns).iter().all(|y| ok(y.ret)));
    }
}
