//! Builders and entry criteria on a hand-made chain whose numbers can be
//! checked on paper: spot 100, strikes 80..=120, call delta
//! 0.50 - 0.05 x (K - 100) clamped to [0.02, 0.98], put delta = call delta
//! - 1, bid = 4 x |delta| dollars, ask = bid + 0.10.

mod structure_support;

use jiff::civil::date;
use structure_support::*;
use trade_core::{ExerciseStyle, OptionRight, Price, Qty, Settlement, Symbol, Timestamp};
use trade_options::structure::{
    BuildError, CustomSpec, DteBucket, EntryCriteria, EntryMarket, EntryRefusal, ExpiryQuotes,
    IronCondorSpec, LegSpec, Offset, PriceBasis, StrikeQuote, StrikeRule, VerticalKind,
    VerticalSpec, VixRegime,
};

fn cents(x: f64) -> Price {
    Price::from_cents((x * 100.0).round() as i64)
}

fn chain() -> ExpiryQuotes {
    let mut quotes = Vec::new();
    for k in 80..=120i64 {
        let cd = (0.50 - 0.05 * (k - 100) as f64).clamp(0.02, 0.98);
        for (right, delta) in [(OptionRight::Call, cd), (OptionRight::Put, cd - 1.0)] {
            let bid = cents(4.0 * delta.abs());
            quotes.push(StrikeQuote {
                strike: Price::from_cents(k * 100),
                right,
                bid,
                ask: Price::from_raw(bid.raw() + Price::from_cents(10).raw()),
                delta,
            });
        }
    }
    ExpiryQuotes {
        underlying: Symbol::new("XYZ").unwrap(),
        expiry: EXPIRY,
        style: ExerciseStyle::American,
        settlement: Settlement::Physical,
        multiplier: 100,
        spot: p("100"),
        quotes,
    }
}

fn delta(target: f64) -> StrikeRule {
    StrikeRule::Delta {
        target,
        tolerance: 0.01,
    }
}

fn ic_spec(put: StrikeRule, call: StrikeRule, wing: &str) -> IronCondorSpec {
    IronCondorSpec {
        short_put: put,
        short_call: call,
        put_wing: p(wing),
        call_wing: p(wing),
        quantity: Qty::new(1),
        min_credit: None,
        max_width: None,
        basis: PriceBasis::Mid,
    }
}

fn strikes(b: &trade_options::structure::BuiltStructure) -> Vec<Price> {
    b.structure.legs().iter().map(|l| l.strike()).collect()
}

#[test]
fn iron_condor_by_delta() {
    // 0.15 delta: call at 100 + (0.50 - 0.15) / 0.05 = 107, put at 93.
    let b = ic_spec(delta(0.15), delta(0.15), "2")
        .build(&chain())
        .unwrap();
    assert_eq!(strikes(&b), prices(&["91", "93", "107", "109"]));
    // Natural: sell 93P and 107C at 0.60, buy 91P and 109C at 0.30 -> 0.60.
    assert_eq!(b.credit(PriceBasis::Natural), p("0.60"));
    // Mid: 0.65 + 0.65 - 0.25 - 0.25 = 0.80.
    assert_eq!(b.credit(PriceBasis::Mid), p("0.80"));
    assert_eq!(b.structure.width(), Some(p("2")));
    let pay = b.structure.payoff(&b.leg_prices(PriceBasis::Mid)).unwrap();
    assert_eq!(pay.max_profit().limited(), Some(m("80")));
    assert_eq!(pay.max_loss().limited(), Some(m("120")));
}

#[test]
fn iron_condor_by_distance() {
    let pts = StrikeRule::Distance(Offset::Points(p("5")));
    let b = ic_spec(pts, pts, "5").build(&chain()).unwrap();
    assert_eq!(strikes(&b), prices(&["90", "95", "105", "110"]));
    // 3.5% of 100 is 96.5 / 103.5: the first strikes at least that far out.
    let pct = StrikeRule::Distance(Offset::Percent(0.035));
    let b = ic_spec(pct, pct, "1").build(&chain()).unwrap();
    assert_eq!(strikes(&b), prices(&["95", "96", "104", "105"]));
}

#[test]
fn builder_failures_say_what_was_missing() {
    // |delta| 0.33 ± 0.01: the nearest calls are 0.35 (103) and 0.30 (104).
    let err = ic_spec(delta(0.15), delta(0.33), "2")
        .build(&chain())
        .unwrap_err();
    match &err {
        BuildError::NoStrikeNearTarget {
            right: OptionRight::Call,
            wanted,
            nearest: Some((k, d)),
        } => {
            assert_eq!(wanted, "|delta| 0.33 ± 0.01");
            assert_eq!(*k, p("103"));
            assert!((d - 0.35).abs() < 1e-12);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().contains("nearest usable: strike 103.00"),
        "{err}"
    );

    let err = ic_spec(delta(0.15), delta(0.15), "20")
        .build(&chain())
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::WingMissing {
            right: OptionRight::Put,
            from: p("93"),
            width: p("20"),
            wanted: p("73"),
        }
    );

    // |delta| 0.60: the put is at 102, the call at 98 -> crossed.
    let err = ic_spec(delta(0.60), delta(0.60), "2")
        .build(&chain())
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::CrossedShorts {
            put: p("102"),
            call: p("98")
        }
    );

    let mut spec = ic_spec(delta(0.15), delta(0.15), "2");
    spec.min_credit = Some(p("0.81"));
    assert_eq!(
        spec.build(&chain()).unwrap_err(),
        BuildError::CreditBelowMinimum {
            basis: PriceBasis::Mid,
            credit: p("0.80"),
            minimum: p("0.81")
        }
    );
    spec.min_credit = Some(p("0.80"));
    spec.build(&chain()).unwrap();
    spec.max_width = Some(p("1.5"));
    assert_eq!(
        spec.build(&chain()).unwrap_err(),
        BuildError::WidthAboveMaximum {
            width: p("2"),
            maximum: p("1.5")
        }
    );

    let bad = ic_spec(delta(1.5), delta(0.15), "2")
        .build(&chain())
        .unwrap_err();
    assert!(
        matches!(
            bad,
            BuildError::BadSpec {
                field: "short_put",
                ..
            }
        ),
        "{bad}"
    );
    let bad = ic_spec(delta(0.15), delta(0.15), "0")
        .build(&chain())
        .unwrap_err();
    assert!(
        matches!(
            bad,
            BuildError::BadSpec {
                field: "put_wing",
                ..
            }
        ),
        "{bad}"
    );
}

#[test]
fn unusable_quotes_are_skipped() {
    let mut q = chain();
    // Cross the market of the 107 call: the builder must not pick it.
    for s in q.quotes.iter_mut() {
        if s.right == OptionRight::Call && s.strike == p("107") {
            s.bid = p("2");
            s.ask = p("1");
        }
    }
    let rule = StrikeRule::Delta {
        target: 0.15,
        tolerance: 0.05,
    };
    let b = ic_spec(rule, rule, "2").build(&q).unwrap();
    let short_call = strikes(&b)[2];
    assert!(
        short_call == p("106") || short_call == p("108"),
        "{short_call}"
    );
}

#[test]
fn delta_ties_go_further_out_of_the_money() {
    // 0.375 and 0.125 are exactly 0.125 from 0.25 in binary floating point.
    let mut q = chain();
    q.quotes
        .retain(|s| s.right == OptionRight::Put || s.strike == p("104") || s.strike == p("109"));
    for s in q.quotes.iter_mut().filter(|s| s.right == OptionRight::Call) {
        s.delta = if s.strike == p("104") { 0.375 } else { 0.125 };
    }
    let call = StrikeRule::Delta {
        target: 0.25,
        tolerance: 0.2,
    };
    let spec = VerticalSpec {
        kind: VerticalKind::BearCall,
        anchor: call,
        width: p("5"),
        quantity: Qty::new(1),
        min_credit: None,
        max_debit: None,
        max_width: None,
        basis: PriceBasis::Mid,
    };
    // 109 + 5 = 114 is not listed any more, so the tie-break shows up as
    // the wing that is missing.
    assert_eq!(
        spec.build(&q).unwrap_err(),
        BuildError::WingMissing {
            right: OptionRight::Call,
            from: p("109"),
            width: p("5"),
            wanted: p("114")
        }
    );
}

#[test]
fn verticals() {
    let cases = [
        // (kind, anchor delta, width, near strike, far strike, near ratio)
        (VerticalKind::BullPut, 0.20, "5", "94", "89", -1),
        (VerticalKind::BearCall, 0.20, "5", "106", "111", -1),
        (VerticalKind::BullCall, 0.50, "5", "100", "105", 1),
        (VerticalKind::BearPut, 0.50, "5", "100", "95", 1),
    ];
    for (i, (kind, d, w, near, far, ratio)) in cases.into_iter().enumerate() {
        let spec = VerticalSpec {
            kind,
            anchor: delta(d),
            width: p(w),
            quantity: Qty::new(2),
            min_credit: None,
            max_debit: None,
            max_width: None,
            basis: PriceBasis::Natural,
        };
        let b = spec.build(&chain()).unwrap();
        let legs = b.structure.legs();
        assert_eq!(legs[0].strike(), p(near), "case {i}");
        assert_eq!(legs[1].strike(), p(far), "case {i}");
        assert_eq!(legs[0].ratio, ratio, "case {i}");
        assert_eq!(b.structure.quantity(), Qty::new(2), "case {i}");
    }
    // Bull put 94/89 natural: sell 94P at 4 x 0.20 = 0.80, buy 89P (put
    // delta clamped to -0.02) at 0.08 + 0.10 = 0.18 -> credit 0.62. Bull call 100/105 natural: buy
    // 100C at 2.00 + 0.10, sell 105C at 1.00 -> debit 1.10.
    let mut spec = VerticalSpec {
        kind: VerticalKind::BullPut,
        anchor: delta(0.20),
        width: p("5"),
        quantity: Qty::new(1),
        min_credit: Some(p("0.63")),
        max_debit: None,
        max_width: None,
        basis: PriceBasis::Natural,
    };
    assert_eq!(
        spec.build(&chain()).unwrap_err(),
        BuildError::CreditBelowMinimum {
            basis: PriceBasis::Natural,
            credit: p("0.62"),
            minimum: p("0.63")
        }
    );
    spec.kind = VerticalKind::BullCall;
    spec.anchor = delta(0.50);
    spec.min_credit = None;
    spec.max_debit = Some(p("1.09"));
    assert_eq!(
        spec.build(&chain()).unwrap_err(),
        BuildError::DebitAboveMaximum {
            basis: PriceBasis::Natural,
            debit: p("1.10"),
            maximum: p("1.09")
        }
    );
}

#[test]
fn custom_from_leg_specs() {
    let fly = CustomSpec {
        legs: vec![
            LegSpec {
                right: OptionRight::Call,
                strike: p("95"),
                ratio: 1,
            },
            LegSpec {
                right: OptionRight::Call,
                strike: p("100"),
                ratio: -2,
            },
            LegSpec {
                right: OptionRight::Call,
                strike: p("105"),
                ratio: 1,
            },
        ],
        quantity: Qty::new(1),
        defined_risk: true,
        min_credit: None,
        max_debit: None,
        basis: PriceBasis::Mid,
    };
    let b = fly.build(&chain()).unwrap();
    assert_eq!(strikes(&b), prices(&["95", "100", "105"]));
    let mut missing = fly.clone();
    missing.legs[2].strike = p("130");
    assert_eq!(
        missing.build(&chain()).unwrap_err(),
        BuildError::StrikeNotListed {
            leg: 2,
            right: OptionRight::Call,
            strike: p("130")
        }
    );
    let mut naked = fly.clone();
    naked.legs[2].ratio = 0;
    naked.legs.pop();
    assert!(matches!(
        naked.build(&chain()).unwrap_err(),
        BuildError::Structure(trade_options::structure::StructureError::UndefinedRisk { .. })
    ));
}

fn at(utc: &str) -> Timestamp {
    Timestamp::from_jiff(utc.parse().unwrap()).unwrap()
}

#[test]
fn entry_window_is_new_york_time() {
    let c = EntryCriteria::zero_dte();
    c.validate().unwrap();
    let m = |now: &str| EntryMarket {
        now: at(now),
        dte: 0,
        vix: Some(15.0),
        vix_open: Some(14.5),
    };
    // 2024-03-15 is EDT (UTC-4): 14:30Z is 10:30 New York.
    assert_eq!(c.check_market(&m("2024-03-15T14:30:00Z")), Ok(()));
    // 13:45Z is 09:45 New York: before the 10:00 window.
    assert!(matches!(
        c.check_market(&m("2024-03-15T13:45:00Z")),
        Err(EntryRefusal::OutsideWindow { .. })
    ));
    // In January (EST, UTC-5) 14:30Z is 09:30 New York: refused; 15:30Z is 10:30.
    assert!(c.check_market(&m("2024-01-19T14:30:00Z")).is_err());
    assert_eq!(c.check_market(&m("2024-01-19T15:30:00Z")), Ok(()));
    // 13:30 New York is the inclusive end; 13:31 is out.
    assert_eq!(c.check_market(&m("2024-03-15T17:30:00Z")), Ok(()));
    assert!(c.check_market(&m("2024-03-15T17:31:00Z")).is_err());
}

#[test]
fn entry_bucket_and_vix_regime() {
    let c = EntryCriteria::zero_dte();
    let base = EntryMarket {
        now: at("2024-03-15T14:30:00Z"),
        dte: 0,
        vix: Some(15.0),
        vix_open: Some(15.0),
    };
    let check = |f: &dyn Fn(&mut EntryMarket)| {
        let mut m = base;
        f(&mut m);
        c.check_market(&m)
    };
    assert_eq!(
        check(&|m| m.dte = 1),
        Err(EntryRefusal::WrongBucket {
            dte: 1,
            bucket: DteBucket::ZeroDte
        })
    );
    assert!(matches!(
        check(&|m| m.vix = Some(11.9)),
        Err(EntryRefusal::VixOutOfRegime { .. })
    ));
    assert_eq!(check(&|m| m.vix = Some(12.0)), Ok(()));
    assert!(matches!(
        check(&|m| m.vix = Some(30.1)),
        Err(EntryRefusal::VixOutOfRegime { .. })
    ));
    assert!(matches!(
        check(&|m| m.vix = None),
        Err(EntryRefusal::VixUnavailable { .. })
    ));
    assert!(matches!(
        check(&|m| m.vix_open = None),
        Err(EntryRefusal::VixUnavailable { .. })
    ));
    // Up 10.7% from the open with a 10% limit: refused; up 9.3%: fine.
    let r = check(&|m| {
        m.vix = Some(16.6);
        m.vix_open = Some(15.0)
    });
    assert!(matches!(r, Err(EntryRefusal::VixRising { .. })), "{r:?}");
    assert!(r.unwrap_err().to_string().contains("up 10.7%"));
    assert_eq!(
        check(&|m| {
            m.vix = Some(16.4);
            m.vix_open = Some(15.0)
        }),
        Ok(())
    );
    // Without a VIX filter, a missing VIX is no reason to refuse.
    let mut off = c.clone();
    off.vix = VixRegime::default();
    assert_eq!(off.check_market(&EntryMarket { vix: None, ..base }), Ok(()));
    let swing = EntryCriteria::swing();
    assert!(swing.bucket.contains(14) && swing.bucket.contains(60));
    assert!(!swing.bucket.contains(13) && !swing.bucket.contains(61));
    assert!(EntryCriteria::one_dte().bucket.contains(1));
}

#[test]
fn entry_structure_checks() {
    let mut c = EntryCriteria::zero_dte();
    c.target_delta = 0.15;
    c.delta_tolerance = 0.02;
    c.min_credit = p("0.80");
    c.max_width = p("2");
    let b = c
        .iron_condor_spec(p("2"), Qty::new(1))
        .build(&chain())
        .unwrap();
    assert_eq!(c.check_structure(&b), Ok(()));
    c.min_credit = p("0.85");
    assert!(matches!(
        c.check_structure(&b),
        Err(EntryRefusal::CreditBelowMinimum { .. })
    ));
    c.min_credit = p("0.80");
    c.max_width = p("1");
    assert!(matches!(
        c.check_structure(&b),
        Err(EntryRefusal::WidthAboveMaximum { .. })
    ));
    c.max_width = p("2");
    c.target_delta = 0.10;
    assert_eq!(
        c.check_structure(&b),
        Err(EntryRefusal::ShortDeltaOffTarget {
            leg: 1,
            delta: b.quotes[1].delta,
            target: 0.10,
            tolerance: 0.02
        })
    );
    let mut bad = EntryCriteria::swing();
    bad.window_start = jiff::civil::time(16, 0, 0, 0);
    bad.bucket = DteBucket::Swing {
        min_dte: 30,
        max_dte: 20,
    };
    assert_eq!(bad.validate().unwrap_err().len(), 2);
}

#[test]
fn entry_criteria_load_from_toml_like_json() {
    let text = r#"{
        "bucket": {"swing": {"min_dte": 14, "max_dte": 45}},
        "window_start": "10:00", "window_end": "15:30",
        "target_delta": 0.16, "delta_tolerance": 0.05,
        "min_credit": "1.00", "max_width": "10",
        "vix": {"max": 35}
    }"#;
    let c: EntryCriteria = serde_json::from_str(text).unwrap();
    assert_eq!(c.window_start, jiff::civil::time(10, 0, 0, 0));
    assert_eq!(c.vix.max, Some(35.0));
    let unknown = text.replace("\"vix\"", "\"vixx\"");
    assert!(serde_json::from_str::<EntryCriteria>(&unknown).is_err());
    let _ = date(2024, 1, 1);
}
