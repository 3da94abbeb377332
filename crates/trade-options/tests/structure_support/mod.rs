//! Fixtures shared by the structure, exit and portfolio tests: legs and
//! structures on a made-up expiry, written the way a person reads a trade
//! ticket ("+1 30C").
#![allow(dead_code)]

use jiff::civil::{Date, date};
use trade_core::{ExerciseStyle, OptionRight, OptionTerms, Price, Qty, Settlement, Symbol};
use trade_options::structure::{Leg, Structure, StructureKind, VerticalKind};

pub const EXPIRY: Date = date(2024, 3, 15);

pub fn p(text: &str) -> Price {
    text.parse().expect("test price literal")
}

pub fn m(text: &str) -> trade_core::Money {
    text.parse().expect("test money literal")
}

pub fn leg_on(underlying: &str, expiry: Date, ratio: i32, strike: &str, right: OptionRight) -> Leg {
    Leg {
        terms: OptionTerms {
            underlying: Symbol::new(underlying).expect("test symbol"),
            expiry,
            strike: p(strike),
            right,
            style: ExerciseStyle::American,
            settlement: Settlement::Physical,
        },
        multiplier: 100,
        ratio,
    }
}

pub fn call(ratio: i32, strike: &str) -> Leg {
    leg_on("XYZ", EXPIRY, ratio, strike, OptionRight::Call)
}

pub fn put(ratio: i32, strike: &str) -> Leg {
    leg_on("XYZ", EXPIRY, ratio, strike, OptionRight::Put)
}

pub fn custom(legs: Vec<Leg>, defined_risk: bool) -> Structure {
    Structure::new(StructureKind::Custom { defined_risk }, legs, Qty::new(1)).expect("valid custom")
}

pub fn vertical(kind: VerticalKind, legs: Vec<Leg>) -> Structure {
    Structure::new(StructureKind::Vertical(kind), legs, Qty::new(1)).expect("valid vertical")
}

/// Long put `a`, short put `b`, short call `c`, long call `d`.
pub fn condor(a: &str, b: &str, c: &str, d: &str, qty: u64) -> Structure {
    Structure::new(
        StructureKind::IronCondor,
        vec![put(1, a), put(-1, b), call(-1, c), call(1, d)],
        Qty::new(qty),
    )
    .expect("valid condor")
}

pub fn prices(list: &[&str]) -> Vec<Price> {
    list.iter().map(|t| p(t)).collect()
}
