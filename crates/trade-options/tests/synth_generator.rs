//! Synthetic chain invariants, over random dates, spots, VIX levels and
//! surface parameters:
//! 1. quotes are never crossed or locked, bids are never negative, prices
//!    sit on the product's tick grid, and every quote passes the same
//!    validation as real data with no issue at all;
//! 2. put-call parity of mids holds within the two half-spreads (exactly
//!    for European exercise, as the American inequality otherwise);
//! 3. delta is monotone in strike, for calls and puts;
//! 4. ATM volatility follows the VIX: the volatility implied back from
//!    the quoted mid matches the surface, and rises with the VIX;
//! 5. only the DTE, moneyness and delta windows asked for are generated;
//!    every quote is marked modelled; the same inputs give the same chain.

use jiff::civil::{Date, date};
use proptest::prelude::*;
use trade_calendar::Nyse;
use trade_core::{ExerciseStyle, OptionRight, Price, Symbol};
use trade_options::chain::{
    ChainSnapshot, OptionQuote, QuoteSource, RawQuote, ValidationReport, ValidationRules,
    validate_quotes,
};
use trade_options::pricing::{implied_vol_bsm, year_fraction};
use trade_options::synth::{ChainGenerator, ListingRules, SynthConfig, SynthError, VolSurface};

fn spy(cfg: SynthConfig) -> ChainGenerator {
    ChainGenerator::new(Symbol::new("SPY").unwrap(), cfg).unwrap()
}

fn years_to(snap: &ChainSnapshot, expiry: Date) -> f64 {
    let close = Nyse.session(expiry).unwrap().unwrap().close;
    year_fraction(snap.ts(), close).max(0.0)
}

fn to_raw(q: &OptionQuote, style: ExerciseStyle) -> RawQuote {
    RawQuote {
        key: q.key,
        bid: Some(q.bid),
        ask: Some(q.ask),
        last: q.last,
        volume: q.volume,
        open_interest: q.open_interest,
        iv: q.iv,
        greeks: q.greeks,
        style,
        line: 0,
    }
}

/// A session between 2011 and 2025 picked by index.
fn session(i: usize) -> Date {
    let all = Nyse.sessions(date(2011, 1, 3), date(2025, 12, 31)).unwrap();
    all[i % all.len()].date
}

fn config(
    skew: f64,
    curvature: f64,
    rate: f64,
    q: f64,
    dte_max: i32,
    moneyness: f64,
) -> SynthConfig {
    let mut c = SynthConfig::default();
    c.vol.smile.skew = skew;
    c.vol.smile.curvature = curvature;
    c.rate = rate;
    c.dividend_yield = q;
    c.dte.max = dte_max;
    c.strikes.moneyness = moneyness;
    c
}

fn check_chain(
    snap: &ChainSnapshot,
    generator: &ChainGenerator,
    style: ExerciseStyle,
) -> Result<(), TestCaseError> {
    let s = snap.underlying_price().to_f64();
    let cfg = generator.config();
    let ticks = generator.rules().tick_rule(snap.date());
    let r = cfg.rate_on(snap.date());
    let q = cfg.dividend_yield;
    // 1. Quote sanity and validation.
    for quote in snap.quotes() {
        prop_assert!(quote.bid >= Price::ZERO);
        prop_assert!(
            quote.bid < quote.ask,
            "{} {} {}",
            quote.key,
            quote.bid,
            quote.ask
        );
        prop_assert!(quote.bid.is_on_tick(ticks.below_3) && quote.ask.is_on_tick(ticks.below_3));
        prop_assert_eq!(quote.source, QuoteSource::Modelled);
        prop_assert!(quote.iv.is_some_and(|v| v.is_finite() && v > 0.0));
        prop_assert!(quote.greeks.is_some_and(|g| g.is_finite()));
        let k = quote.key.strike.to_f64();
        prop_assert!((k / s - 1.0).abs() <= cfg.strikes.moneyness + 1e-12);
        let dte = snap.dte(quote.key.expiry);
        prop_assert!(cfg.dte.min <= dte && dte <= cfg.dte.max);
    }
    let mut report = ValidationReport::default();
    let raw: Vec<RawQuote> = snap.quotes().iter().map(|q| to_raw(q, style)).collect();
    let kept = validate_quotes(
        snap.date(),
        snap.underlying_price(),
        raw,
        QuoteSource::Modelled,
        &ValidationRules::default(),
        "synthetic",
        &mut report,
    );
    prop_assert_eq!(kept.len(), snap.len(), "{}", report);
    prop_assert_eq!(report.counts().count(), 0, "{}", report);

    for &expiry in snap.expiries() {
        let t = years_to(snap, expiry);
        // 3. Delta monotone (non-increasing) in strike for both rights.
        for right in [OptionRight::Call, OptionRight::Put] {
            let deltas: Vec<f64> = snap
                .quotes_of(expiry, right)
                .map(|q| q.greeks.unwrap().delta)
                .collect();
            prop_assert!(
                deltas.windows(2).all(|w| w[1] <= w[0] + 1e-12),
                "{expiry} {right:?} deltas not monotone: {deltas:?}"
            );
        }
        // 2. Parity of mids within the half-spreads.
        for call in snap.quotes_of(expiry, OptionRight::Call) {
            let Some(put) = snap.quote(&trade_options::chain::ContractKey::new(
                expiry,
                call.key.strike,
                OptionRight::Put,
            )) else {
                continue;
            };
            let k = call.key.strike.to_f64();
            let diff = call.mid().to_f64() - put.mid().to_f64();
            let tol = (call.spread().to_f64() + put.spread().to_f64()) / 2.0 + 1e-9;
            let (lo, hi) = match style {
                ExerciseStyle::European => {
                    let f = s * (-q * t).exp() - k * (-r * t).exp();
                    (f, f)
                }
                ExerciseStyle::American => (s * (-q * t).exp() - k, s - k * (-r * t).exp()),
            };
            prop_assert!(
                lo - tol <= diff && diff <= hi + tol,
                "{expiry} K={k}: C-P={diff}, bounds [{lo}, {hi}] +- {tol}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn american_chains_hold_the_invariants(
        day in 0usize..4000,
        spot_cents in 2_000i64..100_000,
        vix in 8.0f64..90.0,
        skew in -3.0f64..0.0,
        curvature_frac in 0.0f64..1.0,
        rate in 0.0f64..0.08,
        q in 0.0f64..0.04,
        dte_max in 0i32..70,
        moneyness in 0.02f64..0.3,
    ) {
        // The largest curvature the config accepts (see `Smile`), scaled.
        let curvature = curvature_frac * (1.0f64).min(-skew / 2.0);
        let generator = spy(config(skew, curvature, rate, q, dte_max, moneyness));
        let d = session(day);
        let snap = generator.generate(d, Price::from_cents(spot_cents), vix).unwrap();
        check_chain(&snap, &generator, ExerciseStyle::American)?;
    }

    #[test]
    fn european_chains_hold_exact_parity(
        day in 0usize..4000,
        spot_cents in 2_000i64..100_000,
        vix in 8.0f64..90.0,
        rate in 0.0f64..0.08,
        q in 0.0f64..0.04,
    ) {
        let mut rules = ListingRules::spy();
        rules.style = ExerciseStyle::European;
        let generator = spy(config(-2.6, 0.0, rate, q, 45, 0.15)).with_rules(rules);
        let snap = generator.generate(session(day), Price::from_cents(spot_cents), vix).unwrap();
        check_chain(&snap, &generator, ExerciseStyle::European)?;
    }

    #[test]
    fn delta_window_is_respected(day in 0usize..4000, lo in 0.05f64..0.3, width in 0.05f64..0.5) {
        let mut cfg = SynthConfig::default();
        cfg.strikes.min_abs_delta = Some(lo);
        cfg.strikes.max_abs_delta = Some((lo + width).min(1.0));
        let generator = spy(cfg.clone());
        let snap = generator.generate(session(day), Price::from_cents(45_000), 18.0).unwrap();
        for quote in snap.quotes() {
            let d = quote.greeks.unwrap().delta.abs();
            prop_assert!(lo <= d && d <= cfg.strikes.max_abs_delta.unwrap());
        }
    }
}

/// The IV implied back from each quoted mid (European pricing, so the
/// inversion is exact) matches the surface within what the spread allows,
/// and the ATM level follows the VIX.
#[test]
fn atm_vol_follows_the_vix() {
    let mut rules = ListingRules::spy();
    rules.style = ExerciseStyle::European;
    let mut cfg = SynthConfig::default();
    cfg.dte.min = 25;
    cfg.dte.max = 35;
    cfg.strikes.moneyness = 0.01;
    let generator = spy(cfg.clone()).with_rules(rules);
    let d = date(2024, 3, 1); // 2024-03-28 (end of quarter) is 27 days out
    let spot = Price::from_cents(51_000);
    let mut last_atm = 0.0;
    for vix in [10.0, 15.0, 20.0, 30.0, 45.0, 80.0] {
        let snap = generator.generate(d, spot, vix).unwrap();
        let expiry = snap.nearest_expiry(30).unwrap();
        let t = years_to(&snap, expiry);
        let surface = VolSurface::from_vix(&cfg.vol, vix);
        let r = cfg.rate_on(d);
        let fwd = 510.0 * ((r - cfg.dividend_yield) * t).exp();
        let atm_quote = snap
            .nearest_strike(expiry, OptionRight::Call, Price::from_f64(fwd).unwrap())
            .unwrap();
        let k = atm_quote.key.strike.to_f64();
        let iv = implied_vol_bsm(
            OptionRight::Call,
            atm_quote.mid().to_f64(),
            510.0,
            k,
            t,
            r,
            cfg.dividend_yield,
        )
        .unwrap();
        let vega = atm_quote.greeks.unwrap().vega;
        let tol = atm_quote.spread().to_f64() / 2.0 / vega + 1e-6;
        let want = surface.vol(t, fwd, k);
        assert!(
            (iv - want).abs() <= tol,
            "vix {vix}: implied {iv} vs surface {want} (tol {tol})"
        );
        assert!((atm_quote.iv.unwrap() - want).abs() < 1e-12);
        // 25..35 days from the 30-day reference: the term structure moves
        // ATM by well under a vol point.
        assert!(
            (surface.atm_vol(t) - cfg.vol.vix_scale * vix / 100.0).abs() < 0.01,
            "vix {vix}"
        );
        assert!(iv > last_atm, "ATM vol must rise with the VIX");
        last_atm = iv;
    }
}

#[test]
fn windows_restrict_what_is_generated() {
    let mut cfg = SynthConfig::default();
    cfg.dte.min = 30;
    cfg.dte.max = 60;
    cfg.strikes.moneyness = 0.15;
    let generator = spy(cfg);
    let snap = generator
        .generate(date(2025, 8, 26), Price::from_cents(64_575), 14.62)
        .unwrap();
    // Listed on 2025-08-26 with 30..60 days: 09-26, 09-30, 10-03, 10-17.
    assert_eq!(
        snap.expiries(),
        &[
            date(2025, 9, 26),
            date(2025, 9, 30),
            date(2025, 10, 3),
            date(2025, 10, 17)
        ]
    );
    // $1 strikes within 10% of 645.75 (582..710), $5 strikes beyond to 15%
    // (550..740): 129 + 7 + 6 = 142 strikes, two rights, four expiries.
    assert_eq!(snap.len(), 142 * 2 * 4);
    assert_eq!(snap.provenance().modelled, snap.len());
    assert_eq!(snap.ts().to_string(), "2025-08-26T20:00:00Z");
    // Deterministic.
    let again = generator
        .generate(date(2025, 8, 26), Price::from_cents(64_575), 14.62)
        .unwrap();
    assert_eq!(snap, again);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let generator = spy(SynthConfig::default());
    let spot = Price::from_cents(40_000);
    assert!(matches!(
        generator.generate(date(2024, 3, 2), spot, 15.0),
        Err(SynthError::NotASession(_))
    ));
    assert!(matches!(
        generator.generate(date(2024, 3, 1), Price::ZERO, 15.0),
        Err(SynthError::BadInput(_))
    ));
    for vix in [f64::NAN, 0.0, -3.0, f64::INFINITY] {
        assert!(matches!(
            generator.generate(date(2024, 3, 1), spot, vix),
            Err(SynthError::BadInput(_))
        ));
    }
    assert!(matches!(
        generator.generate(date(2040, 3, 1), spot, 15.0),
        Err(SynthError::Calendar(_))
    ));
    // Before SPY options existed: an empty chain, not an invented one.
    let snap = generator.generate(date(2004, 6, 1), spot, 15.0).unwrap();
    assert!(snap.is_empty());
}

#[test]
fn ticks_follow_the_era() {
    let generator = spy(SynthConfig::default());
    // 2006: nickels below $3, dimes above.
    let snap = generator
        .generate(date(2006, 3, 1), Price::from_cents(12_900), 12.0)
        .unwrap();
    for q in snap.quotes() {
        assert!(q.bid.is_on_tick(Price::from_cents(5)) && q.ask.is_on_tick(Price::from_cents(5)));
        if q.bid >= Price::from_cents(300) {
            assert!(
                q.bid.is_on_tick(Price::from_cents(10)),
                "{} {}",
                q.key,
                q.bid
            );
        }
    }
    assert!(
        snap.quotes()
            .iter()
            .all(|q| q.spread() >= Price::from_cents(5))
    );
    // 2015: pennies at every price.
    let snap = generator
        .generate(date(2015, 3, 2), Price::from_cents(21_100), 14.0)
        .unwrap();
    assert!(
        snap.quotes()
            .iter()
            .any(|q| !q.ask.is_on_tick(Price::from_cents(5)))
    );
}
