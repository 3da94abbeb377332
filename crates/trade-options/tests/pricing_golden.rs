//! Pricing against an independent source: `tests/golden/quantlib_grid.csv`,
//! written by `tests/golden/quantlib_grid.py` with QuantLib 1.44 (and
//! mpmath at 50 digits for the exact closed forms); the script's docstring
//! has the command and the grid (spot 100, strikes 50..200, 1 day to 2
//! years, vols 5% to 150%, zero/positive/negative rates and yields).
//!
//! Tolerances, and why:
//! - Closed forms vs mpmath: `1e-12 * |value| + 1e-14 * scale`, where
//!   `scale` is the size of the terms the formula adds up (S + K for the
//!   price, 1 for delta, `1/(S vol sqrt T)` for gamma, `S sqrt T` for vega,
//!   `S vol / sqrt T + |r| K + |q| S` for theta, `K T` for rho): double
//!   arithmetic cannot do better than a few ulps of those terms.
//! - Closed forms vs QuantLib: the same with `1e-13 * scale`, because
//!   QuantLib's normal CDF, `0.5 * (1 + erf(x/sqrt 2))`, has an absolute
//!   error up to ~4e-16 (relative 7e-8 near x = -5.7), which shows as
//!   relative errors up to 2e-9 on prices of 1e-6.
//! - Implied volatility: recovers the vol to 1e-10 wherever vega (per 1.00)
//!   is at least 1e-5 * (S + K), i.e. wherever the few-ulp uncertainty of a
//!   price of that size moves the vol by less than 1e-10; everywhere else
//!   the implied vol must reprice the given price to rounding.
//! - BAW vs QuantLib's BAW: QuantLib stops its critical-price iteration at
//!   a residual of 1e-6 * K and the price moves by `(S/S*)^Q` (<= 1) times
//!   that residual, so the two agree to 1e-6 * K; with QuantLib's stopping
//!   rule they agree to rounding (unit test in `american/baw.rs`).
//! - CRR tree vs the true American price (QuantLib's QdFp engine, high
//!   precision): the tree's error shrinks like `S vol sqrt(T) / steps`;
//!   the constants below are about twice the largest ratio seen on the grid.

use std::sync::OnceLock;

use trade_options::pricing::{
    American, AmericanModel, Black76, Bsm, Greeks, IvError, OptionRight, implied_vol_black76,
    implied_vol_bsm,
};

#[derive(Debug, Clone)]
struct Row {
    model: String,
    right: OptionRight,
    /// Spot (forward for Black-76).
    s: f64,
    k: f64,
    days: u32,
    r: f64,
    q: f64,
    vol: f64,
    /// price, delta, gamma, vega, theta, rho (NaN = not recorded).
    v: [f64; 6],
}

impl Row {
    fn years(&self) -> f64 {
        f64::from(self.days) / 365.0
    }

    /// Size of the terms each Greek's formula adds up (see the module doc).
    fn scales(&self) -> [f64; 6] {
        let (s, k, t) = (self.s, self.k, self.years());
        let sq = t.sqrt();
        [
            s + k,
            1.0,
            1.0 / (s * self.vol * sq),
            s * sq,
            s * self.vol / sq + self.r.abs() * k + self.q.abs() * s,
            k * t,
        ]
    }

    fn bsm(&self) -> Bsm {
        Bsm {
            right: self.right,
            spot: self.s,
            strike: self.k,
            years: self.years(),
            rate: self.r,
            dividend_yield: self.q,
            vol: self.vol,
        }
    }

    fn american(&self) -> American {
        American {
            right: self.right,
            spot: self.s,
            strike: self.k,
            years: self.years(),
            rate: self.r,
            dividend_yield: self.q,
            vol: self.vol,
        }
    }

    fn black76(&self) -> Black76 {
        Black76 {
            right: self.right,
            forward: self.s,
            strike: self.k,
            years: self.years(),
            rate: self.r,
            vol: self.vol,
        }
    }
}

const GREEKS: [&str; 6] = ["price", "delta", "gamma", "vega", "theta", "rho"];

fn as_array(g: Greeks) -> [f64; 6] {
    [g.price, g.delta, g.gamma, g.vega, g.theta, g.rho]
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/quantlib_grid.csv");
        let text = std::fs::read_to_string(path).expect("golden CSV is committed beside the test");
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        assert_eq!(
            lines.next(),
            Some("model,right,underlying,strike,days,rate,dividend_yield,vol,price,delta,gamma,vega,theta,rho")
        );
        lines
            .enumerate()
            .map(|(i, line)| {
                let f: Vec<&str> = line.split(',').collect();
                assert_eq!(f.len(), 14, "row {i}: {line}");
                let num = |j: usize| {
                    f[j].parse::<f64>()
                        .unwrap_or_else(|e| panic!("row {i} column {j}: {e}: {line}"))
                };
                Row {
                    model: f[0].to_string(),
                    right: match f[1] {
                        "call" => OptionRight::Call,
                        "put" => OptionRight::Put,
                        other => panic!("row {i}: right {other}"),
                    },
                    s: num(2),
                    k: num(3),
                    days: f[4].parse().expect("whole days"),
                    r: num(5),
                    q: num(6),
                    vol: num(7),
                    v: [num(8), num(9), num(10), num(11), num(12), num(13)],
                }
            })
            .collect()
    })
}

fn rows_of(model: &str) -> impl Iterator<Item = &'static Row> + '_ {
    rows().iter().filter(move |r| r.model == model)
}

/// Asserts every recorded Greek of `row` within `rel * |want| + abs * scale`.
fn assert_close(row: &Row, got: [f64; 6], rel: f64, abs: f64) {
    for (i, ((g, w), scale)) in got.iter().zip(row.v).zip(row.scales()).enumerate() {
        if w.is_nan() {
            continue;
        }
        let tol = rel * w.abs() + abs * scale;
        assert!(
            (g - w).abs() <= tol,
            "{}: got {g}, want {w} (diff {:e}, tol {tol:e}) for {row:?}",
            GREEKS[i],
            (g - w).abs()
        );
    }
}

#[test]
fn grid_is_complete() {
    let count = |m: &str| rows_of(m).count();
    assert_eq!(count("bsm_ql"), 960);
    assert_eq!(count("bsm_mp"), 960);
    assert_eq!(count("black76_ql"), 480);
    assert_eq!(count("black76_mp"), 480);
    for m in ["american_baw_ql", "american_crr_ql", "american_qdfp_ql"] {
        assert_eq!(count(m), 720, "{m}");
    }
    assert!(rows().iter().all(|r| r.v[0].is_finite()));
}

#[test]
fn bsm_matches_the_exact_closed_form() {
    for row in rows_of("bsm_mp") {
        assert_close(row, as_array(row.bsm().greeks().unwrap()), 1e-12, 1e-14);
    }
}

#[test]
fn bsm_matches_quantlib() {
    for row in rows_of("bsm_ql") {
        assert_close(row, as_array(row.bsm().greeks().unwrap()), 1e-12, 1e-13);
        assert_eq!(
            row.bsm().price().unwrap(),
            row.bsm().greeks().unwrap().price
        );
    }
}

#[test]
fn black76_matches_the_exact_closed_form_and_quantlib() {
    for row in rows_of("black76_mp") {
        assert_close(row, as_array(row.black76().greeks().unwrap()), 1e-12, 1e-14);
    }
    for row in rows_of("black76_ql") {
        let g = row.black76().greeks().unwrap();
        assert_close(row, as_array(g), 1e-12, 1e-13);
        // Rho with the forward fixed is -T * price; QuantLib's price is the
        // independent side of that identity.
        let want = -row.years() * row.v[0];
        assert!(
            (g.rho - want).abs() <= 1e-12 * want.abs() + 1e-13 * row.k * row.years(),
            "{row:?}"
        );
    }
}

/// Checks one implied vol against the row's vol, or its error against the
/// arbitrage bounds. Returns whether the 1e-10 claim applied.
fn check_iv(row: &Row, got: Result<f64, IvError>, reprice: impl Fn(f64) -> f64) -> bool {
    let scale = row.s + row.k;
    match got {
        Ok(vol) => {
            let vega = row.v[3];
            let informative = vega >= 1e-5 * scale;
            if informative {
                assert!(
                    (vol - row.vol).abs() <= 1e-10,
                    "vol {vol} vs {} for {row:?}",
                    row.vol
                );
            }
            let p = reprice(vol);
            assert!(
                (p - row.v[0]).abs() <= 1e-12 * row.v[0] + 1e-14 * scale,
                "implied vol {vol} reprices to {p}, not {} for {row:?}",
                row.v[0]
            );
            informative
        }
        // Only prices at a bound (to rounding) may fail, and for the right
        // reason.
        Err(IvError::BelowIntrinsic { price, intrinsic }) => {
            assert!(intrinsic - price <= 1e-13 * scale, "{row:?}");
            false
        }
        Err(IvError::AboveBound { price, bound }) => {
            assert!(bound - price <= 1e-13 * scale, "{row:?}");
            false
        }
        // QuantLib's cancellation can leave a far out-of-the-money price a
        // few ulps below zero; that is refused as input, by name.
        Err(IvError::InvalidInput(e)) if e.field == "price" && row.v[0] > -1e-13 * scale => false,
        Err(e) => panic!("{e} for {row:?}"),
    }
}

#[test]
fn implied_vol_recovers_the_vol_of_quantlib_and_exact_prices() {
    let mut informative = 0;
    for model in ["bsm_ql", "bsm_mp"] {
        for row in rows_of(model) {
            let iv = implied_vol_bsm(row.right, row.v[0], row.s, row.k, row.years(), row.r, row.q);
            let reprice = |vol| Bsm { vol, ..row.bsm() }.price().unwrap();
            informative += usize::from(check_iv(row, iv, reprice));
        }
    }
    for model in ["black76_ql", "black76_mp"] {
        for row in rows_of(model) {
            let iv = implied_vol_black76(row.right, row.v[0], row.s, row.k, row.years(), row.r);
            let reprice = |vol| {
                Black76 {
                    vol,
                    ..row.black76()
                }
                .price()
                .unwrap()
            };
            informative += usize::from(check_iv(row, iv, reprice));
        }
    }
    // Most of the grid carries information about the vol; the claim must
    // not hold vacuously.
    assert!(informative > 1500, "{informative}");
}

#[test]
fn barone_adesi_whaley_matches_quantlib() {
    for row in rows_of("american_baw_ql") {
        let got = row
            .american()
            .price(AmericanModel::BaroneAdesiWhaley)
            .unwrap();
        let tol = 1e-6 * row.k + 1e-12 * row.v[0];
        assert!((got - row.v[0]).abs() <= tol, "got {got} for {row:?}");
    }
}

/// Not a test of our code against a reference, but a record of what the
/// approximation is worth: BAW is within 0.5% of `S vol sqrt(T)` of the
/// true American price on the whole grid (worst: two-year calls with
/// q > r at 5% vol).
#[test]
fn barone_adesi_whaley_accuracy_against_the_true_american_price() {
    for row in rows_of("american_qdfp_ql") {
        let got = row
            .american()
            .price(AmericanModel::BaroneAdesiWhaley)
            .unwrap();
        let tol = 1e-2 * row.scales()[3] * row.vol;
        assert!((got - row.v[0]).abs() <= tol, "got {got} for {row:?}");
        assert!(got >= row.bsm().price().unwrap() - 1e-12 * row.k, "{row:?}");
    }
}

const STEPS: u32 = 400;

/// Whether the option is exercised now or nearly so: the tree's three-node
/// Greek stencils straddle the exercise boundary there, where gamma jumps,
/// so only the price is compared.
fn near_exercise_boundary(row: &Row) -> bool {
    let exercise = match row.right {
        OptionRight::Call => row.s - row.k,
        OptionRight::Put => row.k - row.s,
    }
    .max(0.0);
    row.v[0] - exercise < 1e-2 * row.s * row.vol * row.years().sqrt()
}

#[test]
fn binomial_tree_converges_to_the_true_american_price() {
    let n = f64::from(STEPS);
    let mut greeks_compared = 0;
    for row in rows_of("american_qdfp_ql") {
        let g = as_array(
            row.american()
                .greeks(AmericanModel::Binomial { steps: STEPS })
                .unwrap(),
        );
        let sc = row.scales();
        let vol_scale = row.vol * sc[3];
        let price_tol = 0.25 * vol_scale / n;
        assert!(
            (g[0] - row.v[0]).abs() <= price_tol,
            "price {} for {row:?}",
            g[0]
        );
        if near_exercise_boundary(row) {
            continue;
        }
        greeks_compared += 1;
        // The tree's delta, gamma and theta are differences across nodes
        // (error ~1/steps); vega is a bump of a price that moves in small
        // steps as nodes cross the strike (error ~1/sqrt(steps)). Rho at
        // r = 0 is not compared: the American price has a kink there (early
        // exercise of deep puts starts, of deep calls stops).
        let tols = [
            price_tol,
            3.0 / n,
            4.0 * sc[2] / n,
            0.5 * sc[3] / n.sqrt(),
            0.5 * sc[4] / n,
            3.0 * sc[5] / n,
        ];
        for i in 1..6 {
            if i == 5 && row.r == 0.0 {
                continue;
            }
            assert!(
                (g[i] - row.v[i]).abs() <= tols[i],
                "{}: got {}, want {} (tol {:e}) for {row:?}",
                GREEKS[i],
                g[i],
                row.v[i],
                tols[i]
            );
        }
    }
    assert!(greeks_compared > 400, "{greeks_compared}");
}

/// The tree's error falls like 1/steps: quadrupling the steps cuts the
/// worst error over a slice of the grid by at least half (1/4 in theory;
/// CRR's error oscillates with the strike's position among the nodes).
#[test]
fn binomial_tree_error_falls_with_steps() {
    let slice: Vec<&Row> = rows_of("american_qdfp_ql")
        .filter(|r| r.days == 365 && r.vol == 0.2 && r.q == 0.02)
        .collect();
    assert_eq!(slice.len(), 12);
    let worst = |steps| {
        slice
            .iter()
            .map(|r| {
                (r.american()
                    .price(AmericanModel::Binomial { steps })
                    .unwrap()
                    - r.v[0])
                    .abs()
            })
            .fold(0.0, f64::max)
    };
    let (coarse, fine) = (worst(100), worst(400));
    assert!(fine <= 0.5 * coarse, "{coarse} -> {fine}");
}

/// QuantLib's own CRR tree (5000 steps; its probability is the log-drift
/// approximation, ours the exact risk-neutral one) and ours (1000 steps)
/// agree within the sum of the two trees' convergence bounds.
#[test]
fn binomial_tree_agrees_with_quantlibs_fine_tree() {
    let (ours, theirs) = (1000.0, 5000.0);
    let mut compared = 0;
    for row in rows_of("american_crr_ql").filter(|r| r.days == 45 && r.vol == 0.2) {
        let g = row
            .american()
            .greeks(AmericanModel::Binomial { steps: 1000 })
            .unwrap();
        let vol_scale = row.s * row.vol * row.years().sqrt();
        let price_tol = 0.25 * vol_scale * (1.0 / ours + 1.0 / theirs);
        assert!(
            (g.price - row.v[0]).abs() <= price_tol,
            "{} for {row:?}",
            g.price
        );
        if !near_exercise_boundary(row) {
            let delta_tol = 3.0 * (1.0 / ours + 1.0 / theirs);
            assert!(
                (g.delta - row.v[1]).abs() <= delta_tol,
                "{} for {row:?}",
                g.delta
            );
            compared += 1;
        }
    }
    assert!(compared >= 12, "{compared}");
}
