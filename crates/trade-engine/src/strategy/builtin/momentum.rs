//! `momentum`: cross-sectional rotation into the strongest instruments.
//!
//! Each bar updates the instrument's `lookback`-bar rate of change of the
//! close ([`Roc`]). Decisions happen in `on_close`, after every bar of the
//! instant has arrived: the first rebalance is at the first instant where
//! any instrument's ROC is ready, then every `rebalance_days` instants.
//! A rebalance ranks the instruments whose ROC is ready and above
//! `min_momentum` (absolute-momentum filter; ties by instrument order),
//! keeps the best `top_k`, and targets each of them with `1 / top_k` of the
//! sizing budget; everything else targets flat. Slots left empty by the
//! filter stay in cash. Orders are sent sells first, then buys, each
//! through [`Context::target_position`] (working orders are netted).
//! Held winners are resized to their target at every rebalance.

use trade_core::{Bar, InstrumentId, Price};

use super::{Slots, count, int_spec, sizers};
use crate::indicators::Roc;
use crate::sizing::Sizer;
use crate::strategy::{Context, ParamError, ParamKind, ParamSpec, ParamValue, Params, Strategy};

pub(super) const DESCRIPTION: &str = "Momentum rotation: every rebalance_days bars, holds the \
     top_k instruments by lookback-bar rate of change (only those above min_momentum), equal \
     weight, flat in the rest. Decides after all bars of an instant; sells before buys.";

pub(super) fn params() -> Vec<ParamSpec> {
    vec![
        int_spec(
            "lookback",
            126,
            (1.0, 2_520.0),
            "rate-of-change lookback in bars",
        ),
        int_spec(
            "rebalance_days",
            21,
            (1.0, 2_520.0),
            "bars between rebalances",
        ),
        int_spec(
            "top_k",
            1,
            (1.0, 1_000.0),
            "number of instruments held (<= instruments traded)",
        ),
        ParamSpec {
            name: "min_momentum",
            kind: ParamKind::Float,
            default: Some(ParamValue::Float(0.0)),
            range: Some((-1.0, 100.0)),
            choices: &[],
            help: "hold only if ROC > this (0: absolute momentum; -1 disables the filter)",
        },
    ]
}

pub(super) fn build(
    params: &Params,
    instruments: &[InstrumentId],
) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(Momentum::new(params, instruments)?))
}

#[derive(Debug, Clone)]
struct Leg {
    id: InstrumentId,
    roc: Roc,
    sizer: Sizer,
    last: Price,
}

/// The `momentum` strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct Momentum {
    slots: Slots,
    legs: Vec<Leg>,
    rebalance_days: u32,
    top_k: usize,
    min_momentum: f64,
    started: bool,
    countdown: u32,
    /// Scratch: candidate slots, best first (preallocated).
    ranked: Vec<usize>,
    /// Scratch: target signed quantity per slot (preallocated).
    targets: Vec<i64>,
}

impl Momentum {
    /// Builds from resolved parameters (`lookback`, `rebalance_days`,
    /// `top_k`, `min_momentum` and the sizing parameters).
    ///
    /// # Errors
    /// [`ParamError::Invalid`] if `top_k` exceeds the number of
    /// instruments, the sizing is invalid or `instruments` is empty.
    pub fn new(params: &Params, instruments: &[InstrumentId]) -> Result<Self, ParamError> {
        let lookback = count(params, "lookback")?;
        let rebalance_days = count(params, "rebalance_days")?;
        let top_k = count(params, "top_k")?;
        let slots = Slots::new(params, instruments)?;
        let n = slots.len();
        if top_k > n {
            return Err(params.invalid(
                "top_k",
                format!("top_k {top_k} exceeds the {n} instrument(s) the strategy trades"),
            ));
        }
        let roc = Roc::new(lookback).map_err(|e| params.invalid("lookback", e.to_string()))?;
        let legs = slots
            .ids
            .iter()
            .zip(sizers(params, n)?)
            .map(|(&id, sizer)| Leg {
                id,
                roc: roc.clone(),
                sizer,
                last: Price::ZERO,
            })
            .collect();
        Ok(Momentum {
            slots,
            legs,
            rebalance_days: u32::try_from(rebalance_days).unwrap_or(u32::MAX),
            top_k,
            min_momentum: params.float("min_momentum"),
            started: false,
            countdown: 0,
            ranked: Vec::with_capacity(n),
            targets: vec![0; n],
        })
    }

    fn rebalance(&mut self, ctx: &mut Context<'_>) {
        let legs = &self.legs;
        self.ranked.clear();
        for (k, leg) in legs.iter().enumerate() {
            if let Some(r) = leg.roc.value()
                && r > self.min_momentum
                && leg.last.raw() > 0
            {
                self.ranked.push(k);
            }
        }
        let roc = |k: usize| legs[k].roc.value().unwrap_or(f64::NEG_INFINITY);
        self.ranked
            .sort_unstable_by(|&a, &b| roc(b).total_cmp(&roc(a)).then(a.cmp(&b)));
        self.ranked.truncate(self.top_k);
        let equity = ctx.equity();
        let weight = 1.0 / self.top_k as f64;
        self.targets.fill(0);
        for &k in &self.ranked {
            let leg = &legs[k];
            self.targets[k] = leg
                .sizer
                .target_qty_weighted(equity, leg.last, weight)
                .signed();
        }
        for sells in [true, false] {
            for (leg, &target) in legs.iter().zip(&self.targets) {
                let current = ctx.position(leg.id) + ctx.pending(leg.id);
                if (sells && target < current) || (!sells && target > current) {
                    let tag = match (current, target) {
                        (_, 0) => "momentum_exit",
                        (0, _) => "momentum_entry",
                        _ => "momentum_rebalance",
                    };
                    ctx.target_position(leg.id, target, tag);
                }
            }
        }
    }
}

impl Strategy for Momentum {
    fn on_start(&mut self, ctx: &mut Context<'_>) {
        for leg in &mut self.legs {
            leg.sizer.set_multiplier(ctx.instrument(leg.id).multiplier);
        }
    }

    #[inline]
    fn on_bar(&mut self, _ctx: &mut Context<'_>, bar: &Bar) {
        let Some(k) = self.slots.get(bar.instrument) else {
            return;
        };
        let leg = &mut self.legs[k];
        leg.roc.update(bar.close.to_f64());
        leg.sizer.update(bar);
        leg.last = bar.close;
    }

    fn on_close(&mut self, ctx: &mut Context<'_>) {
        if !self.started {
            if !self.legs.iter().any(|l| l.roc.value().is_some()) {
                return;
            }
            self.started = true;
        }
        if self.countdown > 0 {
            self.countdown -= 1;
            return;
        }
        self.countdown = self.rebalance_days - 1;
        self.rebalance(ctx);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testkit::{Harness, signed};
    use super::*;

    fn strategy(kv: &[(&str, ParamValue)], n: u32) -> Momentum {
        let mut given: BTreeMap<String, ParamValue> = [
            ("lookback", ParamValue::Int(2)),
            ("rebalance_days", ParamValue::Int(3)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        given.extend(kv.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let p = super::super::registry()
            .resolve("momentum", &given)
            .unwrap();
        let ids: Vec<InstrumentId> = (0..n).map(InstrumentId).collect();
        Momentum::new(&p, &ids).unwrap()
    }

    /// Closes of I0, I1, I2 per instant, with the ROC(2) at rebalances:
    /// bar 2: 0.10, 0.05, -0.10 -> I0 best.
    /// bar 5: 110/110-1 = 0, 140/120-1 = 0.167, 95/90-1 = 0.056 -> I1 best.
    /// bar 8: 100/110-1 < 0, 120/150-1 < 0, 80/95-1 < 0 -> nothing passes 0.
    const BARS: [[f64; 3]; 9] = [
        [100.0, 100.0, 100.0],
        [100.0, 100.0, 100.0],
        [110.0, 105.0, 90.0],
        [110.0, 120.0, 90.0],
        [110.0, 130.0, 90.0],
        [110.0, 140.0, 95.0],
        [110.0, 150.0, 95.0],
        [105.0, 130.0, 90.0],
        [100.0, 120.0, 80.0],
    ];

    fn run(s: &mut Momentum, h: &mut Harness) -> Vec<Vec<(u32, i64, String)>> {
        h.start(s);
        BARS.iter()
            .map(|b| {
                let intents = h.step(s, &[(0, b[0]), (1, b[1]), (2, b[2])]);
                signed(&intents)
                    .into_iter()
                    .map(|(i, q, t)| (i, q, t.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rotates_to_the_top_instrument_and_to_cash() {
        let fixed = [
            ("sizing", ParamValue::Str("fixed".into())),
            ("qty", ParamValue::Int(10)),
        ];
        let mut s = strategy(&fixed, 3);
        let mut h = Harness::new(3, 100_000);
        let per_bar = run(&mut s, &mut h);
        let tag = |t: &str| t.to_string();
        for (i, intents) in per_bar.iter().enumerate() {
            let want = match i {
                2 => vec![(0, 10, tag("momentum_entry"))],
                // Sells before buys.
                5 => vec![
                    (0, -10, tag("momentum_exit")),
                    (1, 10, tag("momentum_entry")),
                ],
                8 => vec![(1, -10, tag("momentum_exit"))],
                _ => vec![],
            };
            assert_eq!(intents, &want, "bar {i}");
        }
    }

    #[test]
    fn top_k_splits_the_fraction_equally() {
        // top 2 at bar 2 (I2 is negative): 0.9 * 100 000 / 2 = 45 000 each:
        // I0 at 110 -> 409, I1 at 105 -> 428.
        let kv = [
            ("top_k", ParamValue::Int(2)),
            ("fraction", ParamValue::Float(0.9)),
        ];
        let mut s = strategy(&kv, 3);
        let mut h = Harness::new(3, 100_000);
        let per_bar = run(&mut s, &mut h);
        let q: Vec<(u32, i64)> = per_bar[2].iter().map(|(i, q, _)| (*i, *q)).collect();
        assert_eq!(q, [(0, 409), (1, 428)]);
    }

    #[test]
    fn disabled_filter_holds_the_least_bad() {
        // min_momentum -1: at bar 8 every ROC is negative; the best is
        // I0 (100/110-1 = -0.091 vs -0.2, -0.158): rotate I1 -> I0.
        let kv = [
            ("sizing", ParamValue::Str("fixed".into())),
            ("qty", ParamValue::Int(10)),
            ("min_momentum", ParamValue::Float(-1.0)),
        ];
        let mut s = strategy(&kv, 3);
        let mut h = Harness::new(3, 100_000);
        let per_bar = run(&mut s, &mut h);
        let q: Vec<(u32, i64)> = per_bar[8].iter().map(|(i, q, _)| (*i, *q)).collect();
        assert_eq!(q, [(1, -10), (0, 10)]);
    }
}
