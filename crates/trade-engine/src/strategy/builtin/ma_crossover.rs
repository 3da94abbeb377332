//! `ma_crossover`: a fast/slow simple-moving-average crossover on closes.
//!
//! Per instrument, on each closed bar: update SMA(fast) and SMA(slow) of
//! the close. Once both are ready, the *regime* is the sign of `fast -
//! slow` (differences within 1e-12 of the slow average count as equal and
//! keep the previous regime). The first regime seen after warm-up is only
//! recorded; each later change of regime is a cross and trades:
//!
//! - cross up → target long `qty` units;
//! - cross down → target flat (`long_only`) or short `qty` units
//!   (`long_short`, reversing with one order).
//!
//! `qty` comes from the sizing parameters at the cross, with the budget
//! split equally across the instruments traded. Orders go through
//! [`Context::target_position`], which nets working orders, so a decision
//! never double-submits. Nothing trades between crosses: a refused entry is
//! not retried until the next cross.
//!
//! The per-bar path does no allocation, formatting or hashing: one table
//! index, two O(1) SMA updates and a comparison.

use trade_core::{Bar, InstrumentId};

use super::{Slots, count, int_spec, sizers};
use crate::indicators::SmaPair;
use crate::sizing::Sizer;
use crate::strategy::{Context, ParamError, ParamKind, ParamSpec, ParamValue, Params, Strategy};

pub(super) const DESCRIPTION: &str = "Moving-average crossover: goes long when the fast SMA of \
     closes crosses above the slow SMA and exits (long_only) or reverses short (long_short) when \
     it crosses below. Decides on the close; fills at the next open. Independent per instrument, \
     sizing budget split equally across instruments.";

const TAG_UP: &str = "ma_cross_up";
const TAG_DOWN: &str = "ma_cross_down";

pub(super) fn params() -> Vec<ParamSpec> {
    vec![
        int_spec(
            "fast",
            20,
            (1.0, 10_000.0),
            "fast SMA period in bars (must be < slow)",
        ),
        int_spec("slow", 50, (2.0, 10_000.0), "slow SMA period in bars"),
        ParamSpec {
            name: "mode",
            kind: ParamKind::Str,
            default: Some(ParamValue::Str("long_only".into())),
            range: None,
            choices: &["long_only", "long_short"],
            help: "long_only exits on a cross down; long_short reverses to a short",
        },
    ]
}

pub(super) fn build(
    params: &Params,
    instruments: &[InstrumentId],
) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(MaCrossover::new(params, instruments)?))
}

#[derive(Debug, Clone)]
struct Leg {
    id: InstrumentId,
    /// Fast and slow SMAs of the closes.
    smas: SmaPair,
    /// -1 below, +1 above, 0 not yet known.
    regime: i8,
    sizer: Sizer,
}

/// The `ma_crossover` strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct MaCrossover {
    slots: Slots,
    legs: Vec<Leg>,
    long_short: bool,
    weight: f64,
}

impl MaCrossover {
    /// Builds from resolved parameters (`fast`, `slow`, `mode` and the
    /// sizing parameters).
    ///
    /// # Errors
    /// [`ParamError::Invalid`] if `fast >= slow`, `mode` is unknown, the
    /// sizing is invalid or `instruments` is empty.
    pub fn new(params: &Params, instruments: &[InstrumentId]) -> Result<Self, ParamError> {
        let fast = count(params, "fast")?;
        let slow = count(params, "slow")?;
        if fast >= slow {
            return Err(params.invalid(
                "fast",
                format!("fast period {fast} must be shorter than slow period {slow}"),
            ));
        }
        let long_short = match params.str("mode") {
            "long_only" => false,
            "long_short" => true,
            other => {
                return Err(params.invalid(
                    "mode",
                    format!("{other:?} is not one of long_only, long_short"),
                ));
            }
        };
        let slots = Slots::new(params, instruments)?;
        let smas = || SmaPair::new(fast, slow).map_err(|e| params.invalid("fast", e.to_string()));
        let legs = slots
            .ids
            .iter()
            .zip(sizers(params, slots.len())?)
            .map(|(&id, sizer)| {
                Ok(Leg {
                    id,
                    smas: smas()?,
                    regime: 0,
                    sizer,
                })
            })
            .collect::<Result<Vec<_>, ParamError>>()?;
        let weight = 1.0 / legs.len() as f64;
        Ok(MaCrossover {
            slots,
            legs,
            long_short,
            weight,
        })
    }
}

impl Strategy for MaCrossover {
    fn on_start(&mut self, ctx: &mut Context<'_>) {
        for leg in &mut self.legs {
            leg.sizer.set_multiplier(ctx.instrument(leg.id).multiplier);
        }
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let Some(k) = self.slots.get(bar.instrument) else {
            return;
        };
        let leg = &mut self.legs[k];
        let close = bar.close.to_f64();
        leg.sizer.update(bar);
        let Some((fast, slow)) = leg.smas.update(close) else {
            return;
        };
        let diff = fast - slow;
        let eps = slow.abs() * 1e-12;
        let sign: i8 = if diff > eps {
            1
        } else if diff < -eps {
            -1
        } else {
            return;
        };
        let previous = leg.regime;
        leg.regime = sign;
        if previous == 0 || previous == sign {
            return;
        }
        self.cross(ctx, k, sign, bar);
    }
}

impl MaCrossover {
    /// Trades a change of regime of leg `k` to `sign`. Rare (one bar in
    /// tens) and kept out of line: inlined, its register pressure made
    /// every bar's call save and restore registers it only needs here.
    #[cold]
    #[inline(never)]
    fn cross(&mut self, ctx: &mut Context<'_>, k: usize, sign: i8, bar: &Bar) {
        let leg = &mut self.legs[k];
        let qty = leg
            .sizer
            .target_qty_weighted(ctx.equity(), bar.close, self.weight)
            .signed();
        if sign > 0 {
            ctx.target_position(leg.id, qty, TAG_UP);
        } else {
            let target = if self.long_short { -qty } else { 0 };
            ctx.target_position(leg.id, target, TAG_DOWN);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testkit::{Harness, signed};
    use super::*;

    fn strategy(kv: &[(&str, ParamValue)], n: u32) -> MaCrossover {
        let given: BTreeMap<String, ParamValue> =
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let p = super::super::registry()
            .resolve("ma_crossover", &given)
            .unwrap();
        let ids: Vec<InstrumentId> = (0..n).map(InstrumentId).collect();
        MaCrossover::new(&p, &ids).unwrap()
    }

    fn fixed(mode: &str) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("fast", ParamValue::Int(2)),
            ("slow", ParamValue::Int(4)),
            ("mode", ParamValue::Str(mode.into())),
            ("sizing", ParamValue::Str("fixed".into())),
            ("qty", ParamValue::Int(10)),
        ]
    }

    /// Closes and what SMA(2)/SMA(4) make of them:
    /// 10 10 10 10 (slow ready, equal: no regime), 9 (9.5 < 9.75: below,
    /// recorded), 8 (8.5 < 9.25), 12 (10 > 9.75: cross up), 13 (12.5 >
    /// 10.5), 5 (9 < 9.5: cross down), 4 (4.5 < 8.5).
    const CLOSES: [f64; 11] = [10.0, 10.0, 10.0, 10.0, 9.0, 8.0, 12.0, 13.0, 5.0, 4.0, 4.0];

    fn run(s: &mut MaCrossover, h: &mut Harness) -> Vec<Vec<(u32, i64, &'static str)>> {
        h.start(s);
        CLOSES
            .iter()
            .map(|&c| {
                let intents = h.step(s, &[(0, c)]);
                signed(&intents)
                    .into_iter()
                    .map(|(i, q, t)| match t {
                        TAG_UP => (i, q, TAG_UP),
                        TAG_DOWN => (i, q, TAG_DOWN),
                        other => panic!("unexpected tag {other}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn long_only_buys_on_the_cross_up_and_exits_on_the_cross_down() {
        let mut s = strategy(&fixed("long_only"), 1);
        let mut h = Harness::new(1, 100_000);
        let per_bar = run(&mut s, &mut h);
        for (i, intents) in per_bar.iter().enumerate() {
            match i {
                6 => assert_eq!(intents, &[(0, 10, TAG_UP)], "bar {i}"),
                8 => assert_eq!(intents, &[(0, -10, TAG_DOWN)], "bar {i}"),
                _ => assert!(intents.is_empty(), "bar {i}: {intents:?}"),
            }
        }
        assert_eq!(h.own[0], 0);
    }

    #[test]
    fn long_short_reverses_with_one_order() {
        let mut s = strategy(&fixed("long_short"), 1);
        let mut h = Harness::new(1, 100_000);
        let per_bar = run(&mut s, &mut h);
        assert_eq!(per_bar[6], [(0, 10, TAG_UP)]);
        assert_eq!(per_bar[8], [(0, -20, TAG_DOWN)]);
        assert_eq!(per_bar.iter().map(Vec::len).sum::<usize>(), 2);
        h.step(&mut s, &[(0, 4.0)]);
        assert_eq!(h.own[0], -10);
    }

    #[test]
    fn working_orders_are_netted_not_doubled() {
        // Nothing fills: the reversal counts the working buy of 10.
        let mut s = strategy(&fixed("long_short"), 1);
        let mut h = Harness::new(1, 100_000);
        h.auto_fill = false;
        let per_bar = run(&mut s, &mut h);
        assert_eq!(per_bar[6], [(0, 10, TAG_UP)]);
        assert_eq!(per_bar[8], [(0, -20, TAG_DOWN)]);
    }

    #[test]
    fn no_trade_without_a_cross_after_warm_up() {
        // Rising from the start: fast > slow at warm-up is recorded, not traded.
        let mut s = strategy(&fixed("long_only"), 1);
        let mut h = Harness::new(1, 100_000);
        for i in 0..30 {
            assert!(h.step(&mut s, &[(0, 100.0 + f64::from(i))]).is_empty());
        }
    }

    #[test]
    fn instruments_are_independent_and_share_the_budget() {
        // Default sizing: 0.95 of equity split over 2 instruments. Only
        // instrument 1 crosses: 100 000 * 0.95 / 2 / 12 = 3 958.3 -> 3 958.
        let mut kv = fixed("long_only");
        kv.truncate(3);
        let mut s = strategy(&kv, 2);
        let mut h = Harness::new(2, 100_000);
        h.start(&mut s);
        let mut orders = Vec::new();
        for (k, &c) in CLOSES.iter().enumerate() {
            let intents = h.step(&mut s, &[(0, 50.0), (1, c)]);
            orders.extend(signed(&intents).into_iter().map(|(i, q, _)| (k, i, q)));
        }
        // Exit on bar 8 sells what was bought at the bar-7 open (12 -> 13).
        assert_eq!(orders, [(6, 1, 3_958), (8, 1, -3_958)]);
    }

    #[test]
    fn ignores_bars_of_other_instruments() {
        let mut s = strategy(&fixed("long_only"), 1);
        let mut h = Harness::new(3, 100_000);
        for &c in &CLOSES {
            assert!(h.step(&mut s, &[(2, c)]).is_empty());
        }
    }
}
