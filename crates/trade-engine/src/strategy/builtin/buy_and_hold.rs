//! `buy_and_hold`: the benchmark. On the first bar of each instrument it
//! trades (the first bar after the volatility warm-up with `vol_target`
//! sizing), buys `1 / n` of the sizing budget of it, then holds for good.
//! A buy that is refused or expires is not retried.

use trade_core::{Bar, InstrumentId};

use super::{Slots, sizers};
use crate::sizing::Sizer;
use crate::strategy::{Context, ParamError, Params, Strategy};

pub(super) const DESCRIPTION: &str = "Buy and hold (benchmark): buys each instrument once at its \
     first bar, splitting the sizing budget equally across instruments, and never sells.";

pub(super) fn build(
    params: &Params,
    instruments: &[InstrumentId],
) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(BuyAndHold::new(params, instruments)?))
}

#[derive(Debug, Clone)]
struct Leg {
    id: InstrumentId,
    sizer: Sizer,
    bought: bool,
}

/// The `buy_and_hold` strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct BuyAndHold {
    slots: Slots,
    legs: Vec<Leg>,
    weight: f64,
}

impl BuyAndHold {
    /// Builds from resolved sizing parameters.
    ///
    /// # Errors
    /// [`ParamError::Invalid`] if the sizing is invalid or `instruments`
    /// is empty.
    pub fn new(params: &Params, instruments: &[InstrumentId]) -> Result<Self, ParamError> {
        let slots = Slots::new(params, instruments)?;
        let legs: Vec<Leg> = slots
            .ids
            .iter()
            .zip(sizers(params, slots.len())?)
            .map(|(&id, sizer)| Leg {
                id,
                sizer,
                bought: false,
            })
            .collect();
        let weight = 1.0 / legs.len() as f64;
        Ok(BuyAndHold {
            slots,
            legs,
            weight,
        })
    }
}

impl Strategy for BuyAndHold {
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
        if leg.bought {
            return;
        }
        leg.sizer.update(bar);
        let qty = leg
            .sizer
            .target_qty_weighted(ctx.equity(), bar.close, self.weight);
        if !qty.is_zero() {
            ctx.target_position(leg.id, qty.signed(), "buy_and_hold");
            leg.bought = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testkit::{Harness, signed};
    use super::*;
    use crate::strategy::ParamValue;

    fn strategy(kv: &[(&str, ParamValue)], n: u32) -> BuyAndHold {
        let given: BTreeMap<String, ParamValue> =
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let p = super::super::registry()
            .resolve("buy_and_hold", &given)
            .unwrap();
        let ids: Vec<InstrumentId> = (0..n).map(InstrumentId).collect();
        BuyAndHold::new(&p, &ids).unwrap()
    }

    #[test]
    fn buys_each_instrument_once_with_an_equal_split() {
        // 0.95 * 100 000 / 2 = 47 500: 475 at 100, 237 at 200 (237.5).
        let mut s = strategy(&[], 2);
        let mut h = Harness::new(2, 100_000);
        h.start(&mut s);
        let first = h.step(&mut s, &[(0, 100.0), (1, 200.0)]);
        assert_eq!(
            signed(&first),
            [(0, 475, "buy_and_hold"), (1, 237, "buy_and_hold")]
        );
        for i in 0..20 {
            let moved = 100.0 + f64::from(i % 7) * 3.0;
            assert!(h.step(&mut s, &[(0, moved), (1, 2.0 * moved)]).is_empty());
        }
        assert_eq!(h.own, [475, 237]);
    }

    #[test]
    fn late_instrument_is_bought_at_its_own_first_bar() {
        let fixed = [
            ("sizing", ParamValue::Str("fixed".into())),
            ("qty", ParamValue::Int(5)),
        ];
        let mut s = strategy(&fixed, 2);
        let mut h = Harness::new(2, 100_000);
        h.start(&mut s);
        assert_eq!(
            signed(&h.step(&mut s, &[(0, 10.0)])),
            [(0, 5, "buy_and_hold")]
        );
        assert!(h.step(&mut s, &[(0, 11.0)]).is_empty());
        assert_eq!(
            signed(&h.step(&mut s, &[(0, 12.0), (1, 30.0)])),
            [(1, 5, "buy_and_hold")]
        );
        assert!(h.step(&mut s, &[(0, 12.0), (1, 31.0)]).is_empty());
    }

    #[test]
    fn vol_target_waits_for_the_estimate() {
        // EWMA over 3 returns: ready on the 4th bar, bought then only.
        let kv = [
            ("sizing", ParamValue::Str("vol_target".into())),
            ("vol_method", ParamValue::Str("ewma".into())),
            ("vol_lookback", ParamValue::Int(3)),
        ];
        let mut s = strategy(&kv, 1);
        let mut h = Harness::new(1, 100_000);
        h.start(&mut s);
        let n: Vec<usize> = [100.0, 101.0, 100.0, 101.0, 100.0]
            .iter()
            .map(|&c| h.step(&mut s, &[(0, c)]).len())
            .collect();
        assert_eq!(n, [0, 0, 0, 1, 0]);
    }
}
