//! Each exit rule on its own (`ExitConfig::only`), firing and not firing on
//! both sides of its threshold. Thresholds are computed here from the
//! rule's definition and the scenario's numbers (see `exits_support`).

mod exits_support;
mod structure_support;

use exits_support::{Scenario, ny};
use structure_support::{call, p, prices, vertical};
use trade_core::{Money, OptionRight, Price};
use trade_options::exits::{Action, Adjustment, Distance, ExitConfig, ExitState, RuleId, Urgency};
use trade_options::portfolio::{Breach, Limit, PortfolioSignal};
use trade_options::structure::VerticalKind;

fn fires(s: &Scenario, c: &ExitConfig) -> Option<(Action, Urgency, String)> {
    let e = s.eval_fresh(c);
    e.decision
        .rule
        .map(|_| (e.decision.action, e.decision.urgency, e.decision.reason))
}

#[test]
fn rule1_catastrophe_sigma_move() {
    let mut c = ExitConfig::only(RuleId::Catastrophe);
    c.catastrophe.short_strike_breach = None;
    c.catastrophe.max_sigma_move = Some(3.0);
    // Held 30 minutes, so the horizon is one session: 3 sigma at 20% vol
    // is a log move of 3 x 0.20 / sqrt(252) = 3.7796%.
    let limit = 3.0 * 0.20 / 252f64.sqrt();
    let at = |log_move: f64| {
        let mut s = Scenario::condor();
        s.volatility = 0.20;
        s.underlying = Price::from_f64(57.50 * log_move.exp()).unwrap();
        s
    };
    let hit = fires(&at(limit + 0.0002), &c).expect("fires above 3 sigma");
    assert_eq!((hit.0, hit.1), (Action::Close, Urgency::Immediate));
    assert!(
        hit.2.starts_with("catastrophe: underlying 57.50 -> "),
        "{}",
        hit.2
    );
    assert!(fires(&at(limit - 0.0002), &c).is_none());
    // Down moves count the same.
    assert!(fires(&at(-(limit + 0.0002)), &c).is_some());
    // After ten sessions held, the same move is ordinary (3 / sqrt(10) sigma).
    let mut held = at(limit + 0.0002);
    held.entry.time = ny("10:30:00").add_secs(-10 * 86_400 * 365 / 252);
    assert!(fires(&held, &c).is_none());
}

#[test]
fn rule1_catastrophe_strike_breach() {
    let mut c = ExitConfig::only(RuleId::Catastrophe);
    c.catastrophe.max_sigma_move = None;
    // 0.5% of the 60 call strike = 0.30; of the 55 put strike = 0.275.
    c.catastrophe.short_strike_breach = Some(Distance::Percent(0.005));
    let at = |spot: &str| {
        let mut s = Scenario::condor();
        s.underlying = p(spot);
        s
    };
    let r = fires(&at("60.30"), &c).expect("call breached by 0.30");
    assert!(
        r.2.contains("beyond short Call strike 60.00 (leg 2)"),
        "{}",
        r.2
    );
    assert!(fires(&at("60.29"), &c).is_none());
    assert!(fires(&at("54.725"), &c).is_some());
    assert!(fires(&at("54.73"), &c).is_none());
    // Volatility-scaled cushion, half a one-day sigma: at 60.30 and 16% vol
    // it is 60.30 x 0.16 / sqrt(252) / 2 = 0.3039 > 0.30 beyond the strike.
    c.catastrophe.short_strike_breach = Some(Distance::DailySigmas(0.5));
    let mut s = at("60.30");
    s.volatility = 0.16;
    assert!(fires(&s, &c).is_none());
    let mut s = at("60.30");
    s.volatility = 0.15; // cushion 0.2849
    assert!(fires(&s, &c).is_some());
}

#[test]
fn rule2_trailing_stop_whipsaw_protection() {
    let mut c = ExitConfig::only(RuleId::TrailingStop);
    c.trailing_stop.activation = 0.25; // $75 of the $300 max profit
    c.trailing_stop.trail = 0.15; // $45
    c.trailing_stop.min_hold_secs = 900;
    let mut st = ExitState::default();
    // 10:31: P&L $100 arms the stop (high 100, stop 55), held 60 s.
    let e = Scenario::condor()
        .pnl(100.0)
        .at("10:31:00")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Hold);
    assert_eq!(st.high_water, Some(Money::from_dollars(100)));
    assert_eq!(st.trailing_armed_at, Some(ny("10:31:00")));
    // 10:32: P&L $50 <= 55, but the minimum hold has not passed: no fire.
    let e = Scenario::condor()
        .pnl(50.0)
        .at("10:32:00")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Hold);
    // 10:44:59: still inside the 15-minute hold.
    let e = Scenario::condor()
        .pnl(50.0)
        .at("10:44:59")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Hold);
    // 10:45: hold passed, P&L 56 is above the stop 55: no fire.
    let e = Scenario::condor()
        .pnl(56.0)
        .at("10:45:00")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Hold);
    // P&L 55 = stop: fires.
    let e = Scenario::condor()
        .pnl(55.0)
        .at("10:46:00")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Close);
    assert_eq!(
        e.decision.reason,
        "trailing stop: P&L $55.00 <= stop $55.00 (high $100.00 - trail $45.00 of max profit $300.00), held 960s"
    );
    assert_eq!(st.last_fired, Some(RuleId::TrailingStop));
}

#[test]
fn rule2_trailing_stop_needs_activation() {
    let c = ExitConfig::only(RuleId::TrailingStop); // defaults: 25%, 15%, 900 s
    let mut st = ExitState::default();
    // $74.99 < $75 activation: never arms, so a fall to -$100 does not fire.
    Scenario::condor()
        .pnl(74.99)
        .at("10:40:00")
        .eval(&c, &mut st);
    assert_eq!(st.trailing_armed_at, None);
    let e = Scenario::condor()
        .pnl(-100.0)
        .at("12:00:00")
        .eval(&c, &mut st);
    assert_eq!(e.decision.action, Action::Hold);
    // Exactly $75 arms it.
    Scenario::condor()
        .pnl(75.0)
        .at("12:01:00")
        .eval(&c, &mut st);
    assert_eq!(st.trailing_armed_at, Some(ny("12:01:00")));
    assert_eq!(st.high_water, Some(Money::from_dollars(75)));
}

#[test]
fn rule3_time_exit() {
    let mut c = ExitConfig::only(RuleId::TimeExit);
    c.time_exit.close_at = Some(jiff::civil::time(15, 30, 0, 0));
    assert!(fires(&Scenario::condor().at("15:29:59"), &c).is_none());
    let r = fires(&Scenario::condor().at("15:30:00"), &c).unwrap();
    assert_eq!(r.2, "time exit: New York time 15:30:00 >= 15:30:00");
    c.time_exit.close_at = None;
    c.time_exit.sessions_before_expiry = Some(2);
    let mut s = Scenario::condor();
    s.dte = 3;
    assert!(fires(&s, &c).is_none());
    s.dte = 2;
    assert_eq!(
        fires(&s, &c).unwrap().2,
        "time exit: 2 sessions to expiry <= 2"
    );
}

#[test]
fn rule4_take_profit() {
    let c = ExitConfig::only(RuleId::TakeProfit); // 50% of $300 = $150
    let r = fires(&Scenario::condor().pnl(150.0), &c).unwrap();
    assert_eq!((r.0, r.1), (Action::Close, Urgency::Normal));
    assert_eq!(
        r.2,
        "take profit: P&L $150.00 is 50.0% of max profit $300.00 >= 50%"
    );
    assert!(fires(&Scenario::condor().pnl(149.99), &c).is_none());
    let r = fires(&Scenario::condor().pnl(187.2), &c).unwrap();
    assert_eq!(
        r.2,
        "take profit: P&L $187.20 is 62.4% of max profit $300.00 >= 50%"
    );
}

#[test]
fn rule5_stop_loss_credit_and_debit() {
    let mut c = ExitConfig::only(RuleId::StopLoss);
    c.stop_loss.credit_multiple = 0.5; // loss of 0.5 x $300 = $150
    let r = fires(&Scenario::condor().pnl(-150.0), &c).unwrap();
    assert_eq!(r.1, Urgency::High);
    assert_eq!(
        r.2,
        "stop loss: P&L -$150.00 is a loss of 0.50x the $300.00 credit >= 0.50x"
    );
    assert!(fires(&Scenario::condor().pnl(-149.99), &c).is_none());

    // Hull's bull call spread, $200 debit; stop at half the debit = $100.
    let mut s = Scenario::condor();
    s.structure = vertical(VerticalKind::BullCall, vec![call(1, "30"), call(-1, "35")]);
    s.entry.leg_prices = prices(&["3", "1"]);
    s.entry.leg_ivs = vec![0.25; 2];
    s.underlying = p("31");
    s.marks.truncate(2);
    let with = |s: &Scenario, long: &str, short: &str| {
        let mut s2 = Scenario {
            marks: s.marks.clone(),
            entry: s.entry.clone(),
            structure: s.structure.clone(),
            signal: None,
            ..*s
        };
        s2.marks[0].bid = p(long);
        s2.marks[0].ask = p(long);
        s2.marks[1].bid = p(short);
        s2.marks[1].ask = p(short);
        s2
    };
    // Spread worth 1.00 (was 2.00): loss $100 = 50% of the debit.
    let r = fires(&with(&s, "1.50", "0.50"), &c).unwrap();
    assert_eq!(
        r.2,
        "stop loss: P&L -$100.00 is a loss of 50.0% of the $200.00 debit >= 50.0%"
    );
    assert!(fires(&with(&s, "1.51", "0.50"), &c).is_none());
}

fn with_deltas(mut s: Scenario, d: [f64; 4]) -> Scenario {
    for (m, x) in s.marks.iter_mut().zip(d) {
        m.delta = x;
    }
    s
}

#[test]
fn rule6_delta_risk() {
    let mut c = ExitConfig::only(RuleId::DeltaRisk); // short leg |delta| > 0.30
    let s = with_deltas(Scenario::condor(), [-0.05, -0.20, 0.31, 0.15]);
    let r = fires(&s, &c).unwrap();
    assert_eq!(r.0, Action::Close);
    assert_eq!(
        r.2,
        "delta risk: short leg 2 (strike 60.00) |delta| 0.310 > 0.3"
    );
    assert!(
        fires(
            &with_deltas(Scenario::condor(), [-0.05, -0.20, 0.30, 0.15]),
            &c
        )
        .is_none()
    );
    c.delta_risk.adjust = true;
    assert_eq!(
        fires(&s, &c).unwrap().0,
        Action::Adjust(Adjustment::RollTestedSide {
            leg: 2,
            strike: p("60")
        })
    );
    // Position delta: 100 x (0.05 x 1... ) = +(-5) + 20 - 40 + 15 = -10 shares.
    c.delta_risk.max_short_leg_delta = None;
    c.delta_risk.max_delta_per_unit = Some(9.0);
    let s = with_deltas(Scenario::condor(), [-0.05, -0.20, 0.40, 0.15]);
    let r = fires(&s, &c).unwrap();
    assert_eq!(r.0, Action::Adjust(Adjustment::HedgeDelta { shares: 10 }));
    assert!(
        r.2.contains("position delta -10.0 shares per contract"),
        "{}",
        r.2
    );
    c.delta_risk.max_delta_per_unit = Some(10.0);
    assert!(fires(&s, &c).is_none());
    // A hedge is part of the position's delta: long 10 shares against the
    // -10 leaves 0, and the rule is quiet at a limit of 9; half a hedge
    // (5 shares) leaves -5, still quiet; short 10 shares doubles it to -20
    // and the rule asks for 20 more.
    c.delta_risk.max_delta_per_unit = Some(9.0);
    for (hedge, fired) in [(10, None), (5, None), (-10, Some(20))] {
        let mut h = with_deltas(Scenario::condor(), [-0.05, -0.20, 0.40, 0.15]);
        h.hedge_shares = hedge;
        let got = fires(&h, &c).map(|r| r.0);
        assert_eq!(
            got,
            fired.map(|shares| Action::Adjust(Adjustment::HedgeDelta { shares })),
            "hedge {hedge}"
        );
    }
}

#[test]
fn rule7_gamma_risk_near_expiry() {
    let mut c = ExitConfig::only(RuleId::GammaRisk);
    let mut s = Scenario::condor();
    for (m, g) in s.marks.iter_mut().zip([0.05, 0.10, 0.20, 0.05]) {
        m.gamma = g;
    }
    // Gamma = 100 x (0.05 - 0.10 - 0.20 + 0.05) = -20 shares/$; a 1% move
    // of 57.50 is 0.575, so 0.5 x 20 x 0.575^2 = $3.30625 per contract.
    s.dte = 0;
    c.gamma_risk.max_gamma_pnl_1pct_near_expiry = Some("3.30".parse().unwrap());
    let r = fires(&s, &c).unwrap();
    assert!(
        r.2.starts_with(
            "gamma risk: a 1% move is $3.31 of gamma P&L per contract (gamma -20.000/$"
        ),
        "{}",
        r.2
    );
    c.gamma_risk.max_gamma_pnl_1pct_near_expiry = Some("3.31".parse().unwrap());
    assert!(fires(&s, &c).is_none());
    // One session out the near-expiry limit does not apply, and the
    // any-day limit (none by default) does not fire.
    c.gamma_risk.max_gamma_pnl_1pct_near_expiry = Some("3.30".parse().unwrap());
    s.dte = 1;
    assert!(fires(&s, &c).is_none());
    c.gamma_risk.max_gamma_pnl_1pct = Some("3.30".parse().unwrap());
    assert!(fires(&s, &c).is_some());
}

#[test]
fn rule8_iv_expansion_and_crush() {
    let mut c = ExitConfig::only(RuleId::IvChange); // expansion +50%
    let with_iv = |short_iv: f64| {
        let mut s = Scenario::condor();
        s.marks[1].iv = short_iv;
        s.marks[2].iv = short_iv;
        // Long legs' IV is ignored when there are short legs.
        s.marks[0].iv = 5.0;
        s
    };
    // 0.375 / 0.25 = 1.5 exactly in binary floating point.
    let r = fires(&with_iv(0.375), &c).unwrap();
    assert_eq!(
        r.2,
        "IV expansion: short-leg IV 37.5% vs 25.0% at entry (+50.0% >= +50.0%)"
    );
    assert!(fires(&with_iv(0.37), &c).is_none());
    c.iv_change.expansion = None;
    c.iv_change.crush = Some(0.25);
    let r = fires(&with_iv(0.1875), &c).unwrap();
    assert!(
        r.2.starts_with("IV crush: short-leg IV 18.8% vs 25.0%"),
        "{}",
        r.2
    );
    assert!(fires(&with_iv(0.19), &c).is_none());
}

#[test]
fn rule9_dte_roll() {
    let mut c = ExitConfig::only(RuleId::DteRoll);
    let mut s = Scenario::condor();
    s.dte = 22;
    assert!(fires(&s, &c).is_none());
    s.dte = 21;
    let r = fires(&s, &c).unwrap();
    assert_eq!((r.0, r.1), (Action::Roll { to_dte: 45 }, Urgency::Low));
    // Tested: the underlying below the 55 short put.
    s.underlying = p("54.99");
    assert!(fires(&s, &c).is_none());
    c.dte_roll.close_if_not_rollable = true;
    let r = fires(&s, &c).unwrap();
    assert_eq!(r.0, Action::Close);
    assert!(r.2.contains("short leg 1 in the money"), "{}", r.2);
    // P&L floor: at most half the $300 credit lost.
    c.dte_roll.close_if_not_rollable = false;
    c.dte_roll.min_pnl_fraction = Some(-0.5);
    let mut s = Scenario::condor().pnl(-150.0);
    s.dte = 21;
    assert_eq!(fires(&s, &c).unwrap().0, Action::Roll { to_dte: 45 });
    let mut s = Scenario::condor().pnl(-150.01);
    s.dte = 21;
    assert!(fires(&s, &c).is_none());
}

#[test]
fn rule10_vix_exit() {
    let c = ExitConfig::only(RuleId::VixExit); // level 35, rise 20%
    let with = |vix: Option<f64>, open: f64| {
        let mut s = Scenario::condor();
        s.vix = vix;
        s.vix_open = Some(open);
        s
    };
    assert_eq!(
        fires(&with(Some(35.0), 34.0), &c).unwrap().2,
        "VIX exit: VIX 35.00 >= 35.00"
    );
    assert!(fires(&with(Some(34.99), 34.0), &c).is_none());
    // 20 / 16 = 1.25: up 25%.
    let mut c25 = c.clone();
    c25.vix_exit.max_rise_from_open = Some(0.25);
    assert_eq!(
        fires(&with(Some(20.0), 16.0), &c25).unwrap().2,
        "VIX exit: VIX 20.00 is up 25.0% from the open 16.00 >= 25.0%"
    );
    assert!(fires(&with(Some(19.99), 16.0), &c25).is_none());
    assert!(fires(&with(None, 16.0), &c).is_none());
}

#[test]
fn rule11_portfolio_limits_closes_the_riskiest_first() {
    let c = ExitConfig::only(RuleId::PortfolioLimits);
    let breach = Breach {
        limit: Limit::Delta,
        value: 612.5,
        max: 500.0,
        scope: None,
    };
    let mut s = Scenario::condor();
    s.signal = Some(PortfolioSignal {
        breach: breach.clone(),
        rank: 0,
        ranked: 3,
    });
    let r = fires(&s, &c).unwrap();
    assert_eq!(
        r.2,
        "portfolio limits: max_abs_delta: 612.50 beyond ±500.00; this position ranks 1 of 3 riskiest (closing 1 per update)"
    );
    s.signal = Some(PortfolioSignal {
        breach,
        rank: 1,
        ranked: 3,
    });
    assert!(fires(&s, &c).is_none());
    let mut c2 = c.clone();
    c2.portfolio_limits.close_per_update = 2;
    assert!(fires(&s, &c2).is_some());
    s.signal = None;
    assert!(fires(&s, &c2).is_none());
}

#[test]
fn rule12_expiry_day_protection() {
    let c = ExitConfig::only(RuleId::ExpiryProtection); // 15 min, pin 0.2% in the last hour
    let mut s = Scenario::condor();
    s.dte = 0;
    assert!(fires(&s.clone_at("15:44:59"), &c).is_none());
    let r = fires(&s.clone_at("15:45:00"), &c).unwrap();
    assert_eq!((r.0, r.1), (Action::Close, Urgency::Immediate));
    assert_eq!(
        r.2,
        "expiry protection: expiry day, New York time 15:45 >= cutoff 15:45 (16:00 close)"
    );
    // Half day: the close is 13:00, so 12:45 fires.
    s.session_close = Some(jiff::civil::time(13, 0, 0, 0));
    assert!(fires(&s.clone_at("12:45:00"), &c).is_some());
    assert!(fires(&s.clone_at("12:44:00"), &c).is_none());
    s.session_close = None;
    // Not expiry day: nothing.
    s.dte = 1;
    assert!(fires(&s.clone_at("15:50:00"), &c).is_none());
    s.dte = 0;
    // Pin: 0.2% of 60.11 is 0.1202; 60.11 is 0.11 from the 60 call.
    s.underlying = p("60.11");
    let r = fires(&s.clone_at("15:10:00"), &c).unwrap();
    assert!(r.2.contains("short strike 60.00 (leg 2) pinned"), "{}", r.2);
    // Before the pin window (15:00) the same spot is fine.
    assert!(fires(&s.clone_at("14:59:59"), &c).is_none());
    s.underlying = p("60.13"); // 0.13 > 0.1203
    assert!(fires(&s.clone_at("15:10:00"), &c).is_none());
}

trait CloneAt {
    fn clone_at(&self, hms: &str) -> Scenario;
}

impl CloneAt for Scenario {
    fn clone_at(&self, hms: &str) -> Scenario {
        Scenario {
            structure: self.structure.clone(),
            entry: self.entry.clone(),
            marks: self.marks.clone(),
            signal: self.signal.clone(),
            now: ny(hms),
            ..*self
        }
    }
}

#[test]
fn leg_right_helper_is_consistent() {
    let s = Scenario::condor();
    assert_eq!(s.structure.legs()[1].right(), OptionRight::Put);
    assert_eq!(s.structure.legs()[2].right(), OptionRight::Call);
}
