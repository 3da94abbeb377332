//! Hand-worked examples of every sizing rule.

use std::collections::BTreeMap;

use trade_core::{InstrumentId, Timestamp};

use super::*;

fn params(given: &[(&str, ParamValue)]) -> Result<Params, ParamError> {
    let given: BTreeMap<String, ParamValue> = given
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Params::resolve("s", &sizing_params(), &given)
}

fn bar(close: Price, high: Price, low: Price) -> Bar {
    let ts = Timestamp::from_secs(0);
    Bar {
        instrument: InstrumentId(0),
        ts,
        open: close,
        high,
        low,
        close,
        volume: 1,
    }
}

fn dollars(d: i64) -> Money {
    Money::from_dollars(d)
}

#[test]
fn defaults_are_95_percent_of_equity() {
    let sizing = Sizing::from_params(&params(&[]).unwrap()).unwrap();
    assert_eq!(sizing, Sizing::Fraction { fraction: 0.95 });
    let sizer = Sizer::new(sizing).unwrap();
    // 0.95 * 10 000 = 9 500 buys exactly 100 at 95.00 (no float floor slip) ...
    assert_eq!(
        sizer.target_qty(dollars(10_000), Price::from_cents(9_500)),
        Qty::new(100)
    );
    // ... and 99 at 95.01 (99.989...).
    assert_eq!(
        sizer.target_qty(dollars(10_000), Price::from_cents(9_501)),
        Qty::new(99)
    );
    // Half the budget: 4 750 / 95 = 50.
    let half = sizer.target_qty_weighted(dollars(10_000), Price::from_cents(9_500), 0.5);
    assert_eq!(half, Qty::new(50));
    assert_eq!(
        sizer.target_qty(dollars(-5), Price::from_cents(100)),
        Qty::ZERO
    );
    assert_eq!(sizer.target_qty(dollars(10_000), Price::ZERO), Qty::ZERO);
    // An option (multiplier 100) at 2.50: 9 500 / 250 = 38 contracts.
    let mut opt = Sizer::new(sizing).unwrap();
    opt.set_multiplier(100);
    assert_eq!(
        opt.target_qty(dollars(10_000), Price::from_cents(250)),
        Qty::new(38)
    );
}

#[test]
fn fixed_ignores_price_and_weight() {
    let p = params(&[
        ("sizing", ParamValue::Str("fixed".into())),
        ("qty", ParamValue::Int(7)),
    ]);
    let sizer = Sizer::new(Sizing::from_params(&p.unwrap()).unwrap()).unwrap();
    assert_eq!(
        sizer.target_qty_weighted(dollars(1), Price::from_cents(99_999), 0.25),
        Qty::new(7)
    );
    assert!(sizer.is_ready());
}

#[test]
fn vol_target_with_atr() {
    // Close 100, high 101, low 99 every bar: TR = 2, ATR(3) = 2 from bar 4.
    // sigma = 2/100 * sqrt(252) = 0.31749; 0.15 / 0.31749 = 0.47246 of
    // 100 000 = 47 245.56 -> 472 units at 100. Capped at 0.3: 300 units.
    let p = params(&[
        ("sizing", ParamValue::Str("vol_target".into())),
        ("vol_lookback", ParamValue::Int(3)),
    ])
    .unwrap();
    let sizing = Sizing::from_params(&p).unwrap();
    let mut sizer = Sizer::new(sizing).unwrap();
    let b = bar(
        Price::from_cents(10_000),
        Price::from_cents(10_100),
        Price::from_cents(9_900),
    );
    for _ in 0..3 {
        sizer.update(&b);
        assert!(!sizer.is_ready());
        assert_eq!(
            sizer.target_qty(dollars(100_000), b.close),
            Qty::ZERO,
            "warming up"
        );
    }
    sizer.update(&b);
    assert!(sizer.is_ready());
    assert_eq!(sizer.target_qty(dollars(100_000), b.close), Qty::new(472));
    let Sizing::VolTarget {
        target,
        method,
        lookback,
        ..
    } = sizing
    else {
        panic!()
    };
    let capped = Sizing::VolTarget {
        target,
        method,
        lookback,
        max_fraction: 0.3,
    };
    let mut capped = Sizer::new(capped).unwrap();
    for _ in 0..4 {
        capped.update(&b);
    }
    assert_eq!(capped.target_qty(dollars(100_000), b.close), Qty::new(300));
}

#[test]
fn vol_target_with_ewma() {
    // Prices alternate 100, 101: every log return is +-ln(1.01), so the
    // variance is ln(1.01)^2 whatever lambda: sigma = 0.0099503 *
    // sqrt(252) = 0.157957; 0.15 / 0.157957 * 100 000 = 94 962.79 ->
    // 949 units at 100.00, 940 at 101.00.
    let p = params(&[
        ("sizing", ParamValue::Str("vol_target".into())),
        ("vol_method", ParamValue::Str("ewma".into())),
        ("vol_lookback", ParamValue::Int(4)),
    ])
    .unwrap();
    let mut sizer = Sizer::new(Sizing::from_params(&p).unwrap()).unwrap();
    for i in 0..5 {
        assert!(!sizer.is_ready());
        let c = Price::from_cents(10_000 + 100 * (i % 2));
        sizer.update(&bar(c, c, c));
    }
    assert!(sizer.is_ready());
    assert!((sizer.volatility(Price::from_cents(10_000)).unwrap() - 0.157_956_6).abs() < 1e-6);
    assert_eq!(
        sizer.target_qty(dollars(100_000), Price::from_cents(10_000)),
        Qty::new(949)
    );
    assert_eq!(
        sizer.target_qty(dollars(100_000), Price::from_cents(10_100)),
        Qty::new(940)
    );
}

#[test]
fn bad_params_are_named() {
    let err = params(&[("sizing", ParamValue::Str("kelly".into()))]).unwrap_err();
    assert!(
        matches!(&err, ParamError::Invalid { name, .. } if name == "sizing"),
        "{err}"
    );
    let err = params(&[("fraction", ParamValue::Float(5.0))]).unwrap_err();
    assert!(
        matches!(&err, ParamError::Invalid { name, .. } if name == "fraction"),
        "{err}"
    );
    // Without the declarations (a strategy that forgot sizing_params).
    let bare = Params::resolve("s", &[], &BTreeMap::new()).unwrap();
    let err = Sizing::from_params(&bare).unwrap_err();
    assert!(
        matches!(&err, ParamError::Missing { name, .. } if name == "sizing"),
        "{err}"
    );
    let bad = Sizing::VolTarget {
        target: 0.1,
        method: VolMethod::Ewma,
        lookback: 1,
        max_fraction: 1.0,
    };
    assert!(Sizer::new(bad).is_err());
}
