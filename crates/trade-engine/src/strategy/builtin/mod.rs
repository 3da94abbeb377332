//! Built-in strategies and the [`registry`] that names them.
//!
//! Every built-in declares the common sizing parameters of
//! [`sizing_params`] next to its own, keeps one independent state per
//! instrument it trades (found through a dense lookup table, not a hash
//! map) and decides on bar closes, so market orders fill at the next bar's
//! open.
//!
//! When a strategy holds several instruments, the sizing budget is split
//! equally: each instrument gets `1 / n` of the fraction (or volatility
//! target) — `n` the number of instruments for `ma_crossover` and
//! `buy_and_hold`, `top_k` for `momentum`.

mod buy_and_hold;
mod ma_crossover;
mod momentum;

#[cfg(test)]
mod testkit;

pub use buy_and_hold::BuyAndHold;
pub use ma_crossover::MaCrossover;
pub use momentum::Momentum;

use trade_core::InstrumentId;

use super::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Registry};
use crate::sizing::{Sizer, Sizing, sizing_params};

/// A registry with every built-in strategy: `buy_and_hold`,
/// `ma_crossover` and `momentum`.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(
        "ma_crossover",
        ma_crossover::DESCRIPTION,
        with_sizing(ma_crossover::params()),
        ma_crossover::build,
    );
    r.register(
        "momentum",
        momentum::DESCRIPTION,
        with_sizing(momentum::params()),
        momentum::build,
    );
    r.register(
        "buy_and_hold",
        buy_and_hold::DESCRIPTION,
        with_sizing(Vec::new()),
        buy_and_hold::build,
    );
    r
}

fn with_sizing(mut specs: Vec<ParamSpec>) -> Vec<ParamSpec> {
    specs.extend(sizing_params());
    specs
}

/// An integer parameter with a default and an inclusive range.
fn int_spec(name: &'static str, default: i64, range: (f64, f64), help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Int,
        default: Some(ParamValue::Int(default)),
        range: Some(range),
        choices: &[],
        help,
    }
}

/// A declared integer parameter as a count (ranges keep it positive).
fn count(params: &Params, name: &str) -> Result<usize, ParamError> {
    let v = params.int(name);
    usize::try_from(v)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| params.invalid(name, format!("{v} must be at least 1")))
}

/// One sizer per traded instrument.
fn sizers(params: &Params, n: usize) -> Result<Vec<Sizer>, ParamError> {
    let sizing = Sizing::from_params(params)?;
    let sizer = Sizer::new(sizing).map_err(|e| params.invalid("vol_lookback", e.to_string()))?;
    Ok(vec![sizer; n])
}

/// The instruments a strategy trades, deduplicated in order, with a dense
/// `InstrumentId -> slot` table so per-bar lookups are one array index.
#[derive(Debug, Clone)]
struct Slots {
    ids: Vec<InstrumentId>,
    index: Vec<u32>,
}

impl Slots {
    const NONE: u32 = u32::MAX;

    fn new(params: &Params, instruments: &[InstrumentId]) -> Result<Slots, ParamError> {
        let mut ids: Vec<InstrumentId> = Vec::with_capacity(instruments.len());
        let size = instruments.iter().map(|i| i.index() + 1).max().unwrap_or(0);
        let mut index = vec![Self::NONE; size];
        for &id in instruments {
            if index[id.index()] == Self::NONE {
                index[id.index()] = ids.len() as u32;
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(params.invalid("instruments", "the strategy trades no instrument"));
        }
        Ok(Slots { ids, index })
    }

    /// The slot of `id`, if the strategy trades it.
    #[inline]
    fn get(&self, id: InstrumentId) -> Option<usize> {
        match self.index.get(id.index()) {
            Some(&k) if k != Self::NONE => Some(k as usize),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn registry_lists_every_builtin_with_sizing_params() {
        let r = registry();
        let names: Vec<&str> = r.list().map(|i| i.name).collect();
        assert_eq!(names, ["buy_and_hold", "ma_crossover", "momentum"]);
        for info in r.list() {
            assert!(!info.description.is_empty());
            for spec in &info.params {
                assert!(
                    spec.default.is_some(),
                    "{}.{} has a default",
                    info.name,
                    spec.name
                );
                assert!(
                    !spec.help.is_empty(),
                    "{}.{} has help",
                    info.name,
                    spec.name
                );
            }
            for name in [
                "sizing",
                "qty",
                "fraction",
                "vol_target",
                "vol_method",
                "vol_lookback",
            ] {
                assert!(
                    info.params.iter().any(|s| s.name == name),
                    "{} lacks {name}",
                    info.name
                );
            }
            // Defaults alone build a working instance.
            let params = r.resolve(info.name, &BTreeMap::new()).unwrap();
            r.build(&params, &[InstrumentId(0), InstrumentId(2)])
                .unwrap();
        }
    }

    #[test]
    fn parameter_errors() {
        let r = registry();
        let given = |kv: &[(&str, ParamValue)]| -> BTreeMap<String, ParamValue> {
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
        };
        let one = [InstrumentId(0)];
        // fast >= slow is rejected by the factory, naming `fast`.
        let p = r
            .resolve("ma_crossover", &given(&[("fast", ParamValue::Int(50))]))
            .unwrap();
        let err = r.build(&p, &one).unwrap_err();
        assert!(
            matches!(&err, ParamError::Invalid { name, .. } if name == "fast"),
            "{err}"
        );
        assert!(err.to_string().contains("must be shorter than"), "{err}");
        // An unknown sizing rule or mode is named.
        let err = r
            .resolve(
                "momentum",
                &given(&[("sizing", ParamValue::Str("kelly".into()))]),
            )
            .unwrap_err();
        assert!(
            matches!(&err, ParamError::Invalid { name, .. } if name == "sizing"),
            "{err}"
        );
        let err = r
            .resolve(
                "ma_crossover",
                &given(&[("mode", ParamValue::Str("short".into()))]),
            )
            .unwrap_err();
        assert!(
            matches!(&err, ParamError::Invalid { name, .. } if name == "mode"),
            "{err}"
        );
        // A typo is an unknown parameter.
        let err = r.resolve(
            "buy_and_hold",
            &given(&[("fractoin", ParamValue::Float(0.5))]),
        );
        assert!(matches!(err, Err(ParamError::Unknown { .. })));
        // top_k beyond the instruments, and no instruments at all.
        let p = r
            .resolve("momentum", &given(&[("top_k", ParamValue::Int(2))]))
            .unwrap();
        let err = r.build(&p, &one).unwrap_err();
        assert!(
            matches!(&err, ParamError::Invalid { name, .. } if name == "top_k"),
            "{err}"
        );
        let p = r.resolve("buy_and_hold", &BTreeMap::new()).unwrap();
        assert!(r.build(&p, &[]).is_err());
    }

    #[test]
    fn slots_dedupe_and_look_up() {
        let p = Params::default();
        let s = Slots::new(&p, &[InstrumentId(3), InstrumentId(1), InstrumentId(3)]).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(InstrumentId(3)), Some(0));
        assert_eq!(s.get(InstrumentId(1)), Some(1));
        assert_eq!(s.get(InstrumentId(0)), None);
        assert_eq!(s.get(InstrumentId(9)), None);
    }
}
