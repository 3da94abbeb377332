//! Hot paths of option pricing, one evaluation each: Black-Scholes-Merton
//! price + Greeks (goal: well under 100 ns, 20 million per second per core),
//! the same over a 1024-option chain, implied volatility (goal: under 1 µs),
//! Barone-Adesi-Whaley price and Greeks, and a 200-step CRR tree.
//!
//! Run: `cargo bench -p trade-options --bench pricing`. Before timing, each
//! input is priced once and checked against QuantLib's value from
//! `tests/golden/quantlib_grid.csv` (S = K = 100, 45 days, r = 5%, q = 2%,
//! vol 20%), so a faster but wrong build cannot pass as a win.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trade_options::pricing::{American, AmericanModel, Bsm, OptionRight, implied_vol_bsm};

const ATM_CALL: Bsm = Bsm {
    right: OptionRight::Call,
    spot: 100.0,
    strike: 100.0,
    years: 45.0 / 365.0,
    rate: 0.05,
    dividend_yield: 0.02,
    vol: 0.2,
};

/// QuantLib 1.44 (golden CSV rows bsm_ql / american_baw_ql, call and put,
/// K = 100, 45 days, r = 0.05, q = 0.02, vol 0.2).
const QL_CALL_PRICE: f64 = 2.9769295992699445;
const QL_CALL_DELTA: f64 = 0.5336570844683586;
const QL_BAW_PUT_PRICE: f64 = 2.631322881183563;

fn check(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: {got} != {want}: refusing to time a wrong result"
    );
}

fn chain() -> Vec<Bsm> {
    (0..1024)
        .map(|i| Bsm {
            right: if i % 2 == 0 {
                OptionRight::Call
            } else {
                OptionRight::Put
            },
            strike: 60.0 + 0.08 * f64::from(i),
            years: f64::from(1 + i % 90) / 365.0,
            vol: 0.1 + 0.0005 * f64::from(i),
            ..ATM_CALL
        })
        .collect()
}

fn european(c: &mut Criterion) {
    let g = ATM_CALL.greeks().expect("valid inputs");
    check("BSM price", g.price, QL_CALL_PRICE, 1e-12);
    check("BSM delta", g.delta, QL_CALL_DELTA, 1e-12);
    let iv = implied_vol_bsm(
        OptionRight::Call,
        QL_CALL_PRICE,
        100.0,
        100.0,
        45.0 / 365.0,
        0.05,
        0.02,
    )
    .expect("solvable price");
    check("implied vol", iv, 0.2, 1e-12);

    c.bench_function("bsm_greeks", |b| {
        b.iter(|| black_box(black_box(&ATM_CALL).greeks()))
    });
    c.bench_function("bsm_price", |b| {
        b.iter(|| black_box(black_box(&ATM_CALL).price()))
    });

    let options = chain();
    let mut group = c.benchmark_group("bsm_greeks_chain");
    group.throughput(Throughput::Elements(options.len() as u64));
    group.bench_function("1024", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for o in black_box(&options) {
                if let Ok(g) = o.greeks() {
                    sum += g.delta + g.gamma + g.vega + g.theta + g.rho + g.price;
                }
            }
            black_box(sum)
        })
    });
    group.finish();

    c.bench_function("implied_vol_bsm", |b| {
        b.iter(|| {
            black_box(implied_vol_bsm(
                OptionRight::Call,
                black_box(QL_CALL_PRICE),
                black_box(100.0),
                100.0,
                45.0 / 365.0,
                0.05,
                0.02,
            ))
        })
    });
}

fn american(c: &mut Criterion) {
    let put = American {
        right: OptionRight::Put,
        spot: 100.0,
        strike: 100.0,
        years: 45.0 / 365.0,
        rate: 0.05,
        dividend_yield: 0.02,
        vol: 0.2,
    };
    let baw = put
        .price(AmericanModel::BaroneAdesiWhaley)
        .expect("valid inputs");
    check("BAW put price", baw, QL_BAW_PUT_PRICE, 1e-6 * 100.0);
    let tree = AmericanModel::Binomial { steps: 200 };

    c.bench_function("baw_price", |b| {
        b.iter(|| black_box(black_box(&put).price(AmericanModel::BaroneAdesiWhaley)))
    });
    c.bench_function("baw_greeks", |b| {
        b.iter(|| black_box(black_box(&put).greeks(AmericanModel::BaroneAdesiWhaley)))
    });
    c.bench_function("binomial_200_greeks", |b| {
        b.iter(|| black_box(black_box(&put).greeks(tree)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = european, american
}
criterion_main!(benches);
