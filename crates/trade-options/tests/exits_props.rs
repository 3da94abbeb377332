//! Property test of the trailing stop's whipsaw protection: along any
//! path of P&L values, the stop never fires before the minimum hold, never
//! before P&L first reached the activation level, and whenever it fires
//! P&L is at or below the high-water mark minus the trail.

mod exits_support;
mod structure_support;

use exits_support::{Scenario, ny};
use proptest::prelude::*;
use trade_core::Money;
use trade_options::exits::{Action, ExitConfig, ExitState, RuleId};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn trailing_stop_respects_activation_hold_and_trail(
        path in proptest::collection::vec((-150i64..=195, 1i64..=300), 1..25),
        activation in 0.05f64..0.6,
        trail in 0.05f64..0.5,
        hold in 0u32..3_600,
    ) {
        let mut c = ExitConfig::only(RuleId::TrailingStop);
        c.trailing_stop.activation = activation;
        c.trailing_stop.trail = trail;
        c.trailing_stop.min_hold_secs = hold;
        let entry = ny("10:30:00");
        let mut st = ExitState::default();
        let mut t = entry;
        let mut high = i64::MIN;
        let mut reached_activation = false;
        let act = 300.0 * activation;
        for (pnl, dt) in path {
            t = t.add_secs(dt);
            let mut s = Scenario::condor().pnl(pnl as f64);
            s.now = t;
            high = high.max(pnl);
            reached_activation |= pnl as f64 >= act - 1e-6;
            let e = s.eval(&c, &mut st);
            if e.decision.action == Action::Close {
                prop_assert!(t.secs() - entry.secs() >= i64::from(hold));
                prop_assert!(reached_activation);
                prop_assert!((pnl as f64) <= high as f64 - 300.0 * trail + 1e-6);
            }
            prop_assert_eq!(st.high_water, Some(Money::from_dollars(high)));
        }
    }
}
