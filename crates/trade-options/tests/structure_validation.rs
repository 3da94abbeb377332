//! Structure validation: each typed error names the leg and the problem;
//! deserialisation goes through the same checks.

mod structure_support;

use jiff::civil::date;
use structure_support::*;
use trade_core::{OptionRight, Qty};
use trade_options::structure::{Structure, StructureError, StructureKind, VerticalKind};

fn ic(legs: Vec<trade_options::structure::Leg>) -> Result<Structure, StructureError> {
    Structure::new(StructureKind::IronCondor, legs, Qty::new(1))
}

#[test]
fn iron_condor_order_is_checked_leg_by_leg() {
    // Short put above short call: crossed inner strikes.
    let err = ic(vec![
        put(1, "50"),
        put(-1, "61"),
        call(-1, "60"),
        call(1, "65"),
    ])
    .unwrap_err();
    match err {
        StructureError::CrossedStrikes {
            leg_a,
            leg_b,
            strike_a,
            strike_b,
            ..
        } => {
            assert_eq!((leg_a, leg_b), (1, 2));
            assert_eq!((strike_a, strike_b), (p("61"), p("60")));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Short put and short call at one strike (an iron butterfly): equal.
    let err = ic(vec![
        put(1, "55"),
        put(-1, "60"),
        call(-1, "60"),
        call(1, "65"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            StructureError::CrossedStrikes {
                leg_a: 1,
                leg_b: 2,
                ..
            }
        ),
        "{err}"
    );
    // Long and short the same put is one contract twice.
    let err = ic(vec![
        put(1, "55"),
        put(-1, "55"),
        call(-1, "60"),
        call(1, "65"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            StructureError::DuplicateContract {
                leg: 1,
                first: 0,
                ..
            }
        ),
        "{err}"
    );
    // Long call below the short call.
    let err = ic(vec![
        put(1, "50"),
        put(-1, "55"),
        call(-1, "60"),
        call(1, "58"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            StructureError::CrossedStrikes {
                leg_a: 2,
                leg_b: 3,
                ..
            }
        ),
        "{err}"
    );
    // Legs in another order are fine: roles come from right and sign.
    ic(vec![
        call(1, "65"),
        put(-1, "55"),
        put(1, "50"),
        call(-1, "60"),
    ])
    .unwrap();
}

#[test]
fn iron_condor_shape_errors() {
    let three = ic(vec![put(1, "50"), put(-1, "55"), call(-1, "60")]).unwrap_err();
    assert!(matches!(three, StructureError::Shape { .. }), "{three}");
    let unequal = ic(vec![
        put(1, "50"),
        put(-2, "55"),
        call(-1, "60"),
        call(1, "65"),
    ])
    .unwrap_err();
    assert!(matches!(unequal, StructureError::Shape { .. }), "{unequal}");
    assert!(
        unequal.to_string().contains("-2 XYZ 2024-03-15 55.00P"),
        "{unequal}"
    );
    // Long inner strikes (a long condor) is not the IronCondor kind: the
    // long put sits above the short put.
    let long = ic(vec![
        put(-1, "50"),
        put(1, "55"),
        call(1, "60"),
        call(-1, "65"),
    ])
    .unwrap_err();
    assert!(
        long.to_string()
            .contains("long put strike < short put strike"),
        "{long}"
    );
}

#[test]
fn verticals_need_their_own_arrangement() {
    let cases = [
        (
            VerticalKind::BullPut,
            vec![put(-1, "55"), put(1, "50")],
            true,
        ),
        (
            VerticalKind::BullPut,
            vec![put(-1, "50"), put(1, "55")],
            false,
        ),
        (
            VerticalKind::BearCall,
            vec![call(-1, "60"), call(1, "65")],
            true,
        ),
        (
            VerticalKind::BearCall,
            vec![call(-1, "65"), call(1, "60")],
            false,
        ),
        (
            VerticalKind::BullCall,
            vec![call(1, "60"), call(-1, "65")],
            true,
        ),
        (
            VerticalKind::BullCall,
            vec![call(1, "65"), call(-1, "60")],
            false,
        ),
        (
            VerticalKind::BearPut,
            vec![put(1, "55"), put(-1, "50")],
            true,
        ),
        (
            VerticalKind::BearPut,
            vec![put(1, "50"), put(-1, "55")],
            false,
        ),
        (
            VerticalKind::BearPut,
            vec![put(1, "55"), put(-1, "55")],
            false,
        ),
    ];
    for (i, (kind, legs, ok)) in cases.into_iter().enumerate() {
        let r = Structure::new(StructureKind::Vertical(kind), legs, Qty::new(1));
        assert_eq!(r.is_ok(), ok, "case {i}: {r:?}");
        if !ok {
            assert!(
                matches!(
                    r,
                    Err(StructureError::CrossedStrikes { .. }
                        | StructureError::DuplicateContract { .. })
                ),
                "case {i}"
            );
        }
    }
    // A bull put made of calls is a shape error.
    let r = Structure::new(
        StructureKind::Vertical(VerticalKind::BullPut),
        vec![call(-1, "55"), call(1, "50")],
        Qty::new(1),
    );
    assert!(matches!(r, Err(StructureError::Shape { .. })));
}

#[test]
fn underlyings_expiries_and_duplicates() {
    let other = leg_on("ABC", EXPIRY, 1, "65", OptionRight::Call);
    let err = ic(vec![put(1, "50"), put(-1, "55"), call(-1, "60"), other]).unwrap_err();
    assert!(
        matches!(err, StructureError::MixedUnderlyings { leg: 3, .. }),
        "{err}"
    );

    let later = leg_on("XYZ", date(2024, 4, 19), 1, "65", OptionRight::Call);
    let err = ic(vec![
        put(1, "50"),
        put(-1, "55"),
        call(-1, "60"),
        later.clone(),
    ])
    .unwrap_err();
    assert!(
        matches!(err, StructureError::MixedExpiries { leg: 3, .. }),
        "{err}"
    );
    // A calendar is a valid custom structure, but has no payoff at one expiry.
    let cal = custom(vec![call(-1, "65"), later], true);
    assert!(matches!(
        cal.payoff(&prices(&["1", "2"])),
        Err(StructureError::PayoffNeedsOneExpiry { leg: 1, .. })
    ));

    let err = Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        vec![call(1, "60"), call(-1, "60")],
        Qty::new(1),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            StructureError::DuplicateContract {
                leg: 1,
                first: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn quantity_ratio_strike_and_defined_risk() {
    let k = StructureKind::Custom { defined_risk: true };
    assert!(matches!(
        Structure::new(k, vec![call(1, "60")], Qty::ZERO),
        Err(StructureError::ZeroQuantity { .. })
    ));
    assert!(matches!(
        Structure::new(k, vec![], Qty::new(1)),
        Err(StructureError::NoLegs { .. })
    ));
    assert!(matches!(
        Structure::new(k, vec![call(0, "60")], Qty::new(1)),
        Err(StructureError::ZeroRatio { leg: 0, .. })
    ));
    assert!(matches!(
        Structure::new(k, vec![call(1, "0")], Qty::new(1)),
        Err(StructureError::NonPositiveStrike { leg: 0, .. })
    ));
    let mut zero_mult = call(1, "60");
    zero_mult.multiplier = 0;
    assert!(matches!(
        Structure::new(k, vec![zero_mult], Qty::new(1)),
        Err(StructureError::ZeroMultiplier { leg: 0, .. })
    ));
    // 1x2 call ratio: one more call sold than bought -> unbounded.
    let err = Structure::new(k, vec![call(1, "60"), call(-2, "65")], Qty::new(1)).unwrap_err();
    assert_eq!(
        err,
        StructureError::UndefinedRisk {
            kind: k,
            net_call_units: -100
        }
    );
    // The same legs without the defined-risk requirement are accepted.
    Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        vec![call(1, "60"), call(-2, "65")],
        Qty::new(1),
    )
    .unwrap();
}

#[test]
fn price_lists_are_checked() {
    let s = condor("50", "55", "60", "65", 1);
    assert!(matches!(
        s.net_premium(&prices(&["1", "2", "3"])),
        Err(StructureError::LegCount {
            expected: 4,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        s.payoff(&prices(&["1", "-2", "3", "1"])),
        Err(StructureError::NegativePrice { leg: 1, .. })
    ));
}

#[test]
fn serde_round_trip_and_validation_on_load() {
    let s = condor("50", "55", "60", "65", 2);
    let json = serde_json::to_string(&s).unwrap();
    let back: Structure = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    // Swap two strikes in the text: loading must fail like `new` does.
    let crossed = json.replacen("\"55.00\"", "\"49.00\"", 1);
    let err = serde_json::from_str::<Structure>(&crossed).unwrap_err();
    assert!(err.to_string().contains("crossed"), "{err}");
}
