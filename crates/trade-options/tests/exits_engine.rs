//! The engine as a whole: first rule wins in the configured order,
//! disabled rules are skipped, records serialise and round-trip, configs
//! are validated, inconsistent views are refused without touching state.

mod exits_support;
mod structure_support;

use exits_support::Scenario;
use trade_core::{Money, Price};
use trade_options::exits::{
    Action, Distance, Evidence, ExitConfig, ExitEngine, ExitRecord, ExitState, RuleId, Urgency,
    ViewError,
};

/// P&L $150 after the 15-minute hold, having been $195: both the trailing
/// stop (high 195 - trail 45 = 150 >= 150) and take profit (150 >= 50% of
/// $300) fire.
fn both_fire(config: &ExitConfig) -> (Option<RuleId>, ExitState) {
    let mut st = ExitState::default();
    Scenario::condor()
        .pnl(195.0)
        .at("10:40:00")
        .eval(&only_trailing(), &mut st);
    let e = Scenario::condor()
        .pnl(150.0)
        .at("11:00:00")
        .eval(config, &mut st);
    (e.decision.rule, st)
}

fn only_trailing() -> ExitConfig {
    ExitConfig::only(RuleId::TrailingStop)
}

fn two_rules(order: [RuleId; 2]) -> ExitConfig {
    let mut c = ExitConfig::default();
    for r in RuleId::ALL {
        c.set_enabled(r, order.contains(&r));
    }
    c.order = order.to_vec();
    c
}

#[test]
fn first_rule_in_order_wins() {
    let (rule, _) = both_fire(&two_rules([RuleId::TrailingStop, RuleId::TakeProfit]));
    assert_eq!(rule, Some(RuleId::TrailingStop));
    let (rule, _) = both_fire(&two_rules([RuleId::TakeProfit, RuleId::TrailingStop]));
    assert_eq!(rule, Some(RuleId::TakeProfit));
    // Default order: trailing stop comes before take profit.
    let d = ExitConfig::default();
    let ti = d.order.iter().position(|r| *r == RuleId::TrailingStop);
    let pi = d.order.iter().position(|r| *r == RuleId::TakeProfit);
    assert!(ti < pi);
    let (rule, _) = both_fire(&d);
    assert_eq!(rule, Some(RuleId::TrailingStop));
}

#[test]
fn disabled_rules_are_skipped() {
    let mut c = two_rules([RuleId::TrailingStop, RuleId::TakeProfit]);
    c.trailing_stop.enabled = false;
    let (rule, _) = both_fire(&c);
    assert_eq!(rule, Some(RuleId::TakeProfit));
}

#[test]
fn catastrophe_outranks_stop_loss_by_default() {
    let mut s = Scenario::condor().pnl(-190.0);
    s.underlying = "60.50".parse().unwrap(); // 0.50 beyond the 60 call
    let mut c = ExitConfig::default();
    c.stop_loss.credit_multiple = 0.5;
    let e = s.eval_fresh(&c);
    assert_eq!(e.decision.rule, Some(RuleId::Catastrophe));
    assert_eq!(e.decision.urgency, Urgency::Immediate);
    c.order.retain(|r| *r != RuleId::StopLoss);
    c.order.insert(0, RuleId::StopLoss);
    assert_eq!(s.eval_fresh(&c).decision.rule, Some(RuleId::StopLoss));
}

#[test]
fn hold_has_no_record_and_defaults_hold_a_quiet_position() {
    let e = Scenario::condor()
        .pnl(20.0)
        .eval_fresh(&ExitConfig::default());
    assert_eq!(e.decision.action, Action::Hold);
    assert_eq!(e.decision.rule, None);
    assert_eq!(e.decision.reason, "hold: no rule fired (P&L $20.00)");
    assert!(e.record.is_none());
}

#[test]
fn records_serialise_with_rule_and_inputs() {
    let mut st = ExitState::default();
    let e = Scenario::condor()
        .pnl(187.2)
        .eval(&ExitConfig::only(RuleId::TakeProfit), &mut st);
    let rec = e.record.expect("take profit fired");
    assert_eq!(rec.rule, RuleId::TakeProfit);
    assert_eq!(rec.new_york, "2024-03-15 11:00:00");
    assert_eq!(rec.pnl, "187.2".parse::<Money>().unwrap());
    assert_eq!(rec.evaluation, 1);
    let json = serde_json::to_string(&rec).unwrap();
    assert!(json.contains("\"rule\":\"take_profit\""), "{json}");
    assert!(
        json.contains(
            "\"take_profit\":{\"pnl\":\"187.20\",\"max_profit\":\"300.00\",\"fraction\":0.5}"
        ),
        "{json}"
    );
    let back: ExitRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);
    assert!(matches!(back.evidence, Evidence::TakeProfit(_)));
    // The state serialises too (a restart resumes the trailing stop).
    let st_json = serde_json::to_string(&st).unwrap();
    assert_eq!(serde_json::from_str::<ExitState>(&st_json).unwrap(), st);
}

#[test]
fn every_rule_record_round_trips() {
    // Fire each rule once through its own scenario and round-trip the record.
    let cases: Vec<(RuleId, Scenario, ExitConfig)> = {
        let mut v = Vec::new();
        let mut s = Scenario::condor();
        s.underlying = "61".parse().unwrap();
        v.push((
            RuleId::Catastrophe,
            s,
            ExitConfig::only(RuleId::Catastrophe),
        ));
        let mut c = ExitConfig::only(RuleId::TimeExit);
        c.time_exit.close_at = Some(jiff::civil::time(10, 0, 0, 0));
        v.push((RuleId::TimeExit, Scenario::condor(), c));
        v.push((
            RuleId::TakeProfit,
            Scenario::condor().pnl(200.0),
            ExitConfig::only(RuleId::TakeProfit),
        ));
        let mut c = ExitConfig::only(RuleId::StopLoss);
        c.stop_loss.credit_multiple = 0.1;
        v.push((RuleId::StopLoss, Scenario::condor().pnl(-100.0), c));
        let mut s = Scenario::condor();
        s.marks[2].delta = 0.5;
        v.push((RuleId::DeltaRisk, s, ExitConfig::only(RuleId::DeltaRisk)));
        let mut s = Scenario::condor();
        s.dte = 0;
        s.marks[1].gamma = 100.0;
        v.push((RuleId::GammaRisk, s, ExitConfig::only(RuleId::GammaRisk)));
        let mut s = Scenario::condor();
        s.marks[1].iv = 0.5;
        v.push((RuleId::IvChange, s, ExitConfig::only(RuleId::IvChange)));
        let mut s = Scenario::condor();
        s.dte = 10;
        let mut c = ExitConfig::only(RuleId::DteRoll);
        c.dte_roll.enabled = true;
        v.push((RuleId::DteRoll, s, c));
        let mut s = Scenario::condor();
        s.vix = Some(40.0);
        v.push((RuleId::VixExit, s, ExitConfig::only(RuleId::VixExit)));
        let mut s = Scenario::condor();
        s.signal = Some(trade_options::portfolio::PortfolioSignal {
            breach: trade_options::portfolio::Breach {
                limit: trade_options::portfolio::Limit::Vega,
                value: -900.0,
                max: 500.0,
                scope: None,
            },
            rank: 0,
            ranked: 2,
        });
        v.push((
            RuleId::PortfolioLimits,
            s,
            ExitConfig::only(RuleId::PortfolioLimits),
        ));
        let mut s = Scenario::condor().at("15:50:00");
        s.dte = 0;
        v.push((
            RuleId::ExpiryProtection,
            s,
            ExitConfig::only(RuleId::ExpiryProtection),
        ));
        v
    };
    for (rule, s, c) in cases {
        let rec = s
            .eval_fresh(&c)
            .record
            .unwrap_or_else(|| panic!("{rule} did not fire"));
        assert_eq!(rec.rule, rule);
        assert_eq!(rec.evidence.rule(), rule);
        assert!(rec.reason.len() > 20, "{rule}: {}", rec.reason);
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(
            serde_json::from_str::<ExitRecord>(&json).unwrap(),
            rec,
            "{rule}"
        );
    }
}

#[test]
fn config_validation_and_loading() {
    ExitConfig::default().validate().unwrap();
    let mut c = ExitConfig::default();
    c.order.retain(|r| *r != RuleId::VixExit);
    let errs = ExitEngine::new(c).unwrap_err();
    assert!(
        errs[0].contains("vix_exit is enabled but missing from exits.order"),
        "{errs:?}"
    );
    let mut c = ExitConfig::default();
    c.order.push(RuleId::TakeProfit);
    c.take_profit.fraction = 1.5;
    c.dte_roll.roll_to_dte = 10;
    let errs = c.validate().unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");

    let text = r#"{
        "order": ["stop_loss", "take_profit"],
        "take_profit": {"fraction": 0.6},
        "stop_loss": {"credit_multiple": 1.5},
        "catastrophe": {"enabled": false}, "trailing_stop": {"enabled": false},
        "delta_risk": {"enabled": false}, "gamma_risk": {"enabled": false},
        "iv_change": {"enabled": false}, "vix_exit": {"enabled": false},
        "portfolio_limits": {"enabled": false}, "expiry_protection": {"enabled": false},
        "pnl_mark": "natural"
    }"#;
    let c: ExitConfig = serde_json::from_str(text).unwrap();
    assert_eq!(c.take_profit.fraction, 0.6);
    assert_eq!(
        c.stop_loss.debit_fraction, 0.5,
        "omitted keys take defaults"
    );
    ExitEngine::new(c).unwrap();
    let typo = text.replace("credit_multiple", "credit_multiplier");
    assert!(serde_json::from_str::<ExitConfig>(&typo).is_err());
    let bad_rule = text.replace("\"stop_loss\", \"take_profit\"", "\"stop_los\"");
    assert!(serde_json::from_str::<ExitConfig>(&bad_rule).is_err());
}

#[test]
fn natural_mark_is_more_conservative() {
    // Mid P&L $150 fires take profit; at the natural mark (long legs sold at
    // the bid, shorts bought at the ask, each 0.05 off mid) it is
    // 150 - 4 x 5 = $130, which does not.
    let s = Scenario::condor().pnl(150.0);
    let mut c = ExitConfig::only(RuleId::TakeProfit);
    assert!(s.eval_fresh(&c).record.is_some());
    c.pnl_mark = trade_options::exits::PnlMark::Natural;
    let e = s.eval_fresh(&c);
    assert_eq!(e.decision.reason, "hold: no rule fired (P&L $130.00)");
}

#[test]
fn inconsistent_views_are_refused_and_state_untouched() {
    let mut s = Scenario::condor();
    s.marks[1].delta = f64::NAN;
    let mut st = ExitState::default();
    let engine = ExitEngine::new(ExitConfig::default()).unwrap();
    let err = engine.evaluate(&s.view(), &mut st).unwrap_err();
    assert!(
        matches!(err, ViewError::Invalid { ref field, .. } if field == "legs[1].delta"),
        "{err}"
    );
    assert_eq!(st, ExitState::default());
    let mut s = Scenario::condor();
    s.marks.pop();
    let err = engine.evaluate(&s.view(), &mut st).unwrap_err();
    assert!(matches!(
        err,
        ViewError::LegCount {
            what: "legs",
            expected: 4,
            found: 3,
            ..
        }
    ));
    let mut s = Scenario::condor();
    s.marks[0].bid = "1".parse().unwrap();
    s.marks[0].ask = "0.5".parse().unwrap();
    assert!(engine.evaluate(&s.view(), &mut st).is_err());
}

/// Proximity, from the Leavitt condor's numbers: max profit $300, so the
/// 50% take-profit target is $150 (P&L $75 is half way there); a $150 loss
/// against a 1x-credit stop is half of $300; 25 sessions left against a
/// roll at 21 is (21+1)/(25+1).
#[test]
fn proximity_says_how_close_each_rule_is_and_changes_nothing() {
    let mut c = ExitConfig::default();
    for r in RuleId::ALL {
        c.set_enabled(
            r,
            matches!(r, RuleId::TakeProfit | RuleId::StopLoss | RuleId::DteRoll),
        );
    }
    c.stop_loss.credit_multiple = 1.0;
    let engine = ExitEngine::new(c).unwrap();
    let state = ExitState::default();
    let mut s = Scenario::condor().pnl(75.0);
    s.dte = 25;
    let p = engine.proximity(&s.view(), &state).unwrap();
    let get = |r: RuleId| p.iter().find(|(id, _)| *id == r).map(|(_, v)| *v);
    assert!(
        (get(RuleId::TakeProfit).unwrap() - 0.5).abs() < 1e-9,
        "{p:?}"
    );
    assert_eq!(
        get(RuleId::StopLoss),
        Some(0.0),
        "a profit is far from the stop"
    );
    assert!((get(RuleId::DteRoll).unwrap() - 22.0 / 26.0).abs() < 1e-12);
    assert_eq!(p[0].0, RuleId::DteRoll, "closest first");
    let loss = Scenario::condor().pnl(-150.0);
    let p = engine.proximity(&loss.view(), &state).unwrap();
    let stop = p.iter().find(|(id, _)| *id == RuleId::StopLoss).unwrap().1;
    assert!((stop - 0.5).abs() < 1e-9, "{p:?}");
    assert_eq!(state, ExitState::default());
}

/// Gamma: ½·|Γ|·(1% of spot)² against its limit. The condor's short legs
/// carry gamma 0.10 per share each (long legs 0): Γ = -0.2 per share x 100
/// = -20 shares/$ per contract; at $57.50 a 1% move is $0.575, so the gamma
/// P&L is ½·20·0.575² = $3.30625; against a $5 limit that is 0.66125.
#[test]
fn gamma_proximity_is_the_gamma_pnl_of_a_one_percent_move_over_its_limit() {
    let mut c = ExitConfig::only(RuleId::GammaRisk);
    c.gamma_risk.max_gamma_pnl_1pct = Some(Money::from_dollars(5));
    c.gamma_risk.max_gamma_pnl_1pct_near_expiry = None;
    let engine = ExitEngine::new(c).unwrap();
    let mut s = Scenario::condor();
    s.marks[1].gamma = 0.10;
    s.marks[2].gamma = 0.10;
    let p = engine.proximity(&s.view(), &ExitState::default()).unwrap();
    assert_eq!(p.len(), 1);
    assert!((p[0].1 - 3.306_25 / 5.0).abs() < 1e-9, "{p:?}");
}

fn closeness(c: ExitConfig, s: &Scenario, state: &ExitState) -> Vec<(RuleId, f64)> {
    ExitEngine::new(c)
        .unwrap()
        .proximity(&s.view(), state)
        .unwrap()
}

/// Trailing stop: armed at a $195 high (activation 25% of $300 = $75), the
/// trail is 15% of $300 = $45; at $172.50 half of it ($22.50) is given
/// back. Before it is armed there is no distance.
#[test]
fn trailing_proximity_is_the_give_back_over_the_trail_once_armed() {
    let c = only_trailing();
    let s = Scenario::condor().pnl(172.5);
    assert!(closeness(c.clone(), &s, &ExitState::default()).is_empty());
    let mut st = ExitState::default();
    Scenario::condor()
        .pnl(195.0)
        .at("10:40:00")
        .eval(&c, &mut st);
    let p = closeness(c, &s, &st);
    assert_eq!(p.len(), 1);
    assert!((p[0].1 - 0.5).abs() < 1e-9, "{p:?}");
}

/// Catastrophe, strike part: breach at the short strikes themselves
/// (cushion 0). From 57.50 the short 60 call is $2.50 away; at 59.00 the
/// underlying has covered $1.50 of it: 0.6 (the put side moved away: 0).
/// Sigma part: ln(59/57.5) = 0.0257525 over 0.25·√(1/252) = 0.0157485
/// (the horizon floors at one session) is 1.63523 sigmas, 0.545078 of 3.
#[test]
fn catastrophe_proximity_is_the_nearer_of_the_breach_and_the_sigma_move() {
    let mut c = ExitConfig::only(RuleId::Catastrophe);
    c.catastrophe.max_sigma_move = None;
    c.catastrophe.short_strike_breach = Some(Distance::Points(Price::ZERO));
    let mut s = Scenario::condor();
    s.underlying = "59.00".parse().unwrap();
    s.volatility = 0.25;
    let p = closeness(c.clone(), &s, &ExitState::default());
    assert!((p[0].1 - 0.6).abs() < 1e-9, "{p:?}");
    c.catastrophe.short_strike_breach = None;
    c.catastrophe.max_sigma_move = Some(3.0);
    let p = closeness(c, &s, &ExitState::default());
    assert!((p[0].1 - 0.545_078).abs() < 1e-6, "{p:?}");
}

/// IV change: the short legs' IV from 0.25 to 0.30 is +20%, 0.4 of a 50%
/// expansion threshold; down to 0.20 is -20%, two thirds of a 30% crush.
#[test]
fn iv_change_proximity_is_the_change_over_its_threshold() {
    let mut c = ExitConfig::only(RuleId::IvChange);
    c.iv_change.expansion = Some(0.5);
    c.iv_change.crush = Some(0.3);
    for (iv, want) in [(0.30, 0.4), (0.20, 2.0 / 3.0), (0.25, 0.0)] {
        let mut s = Scenario::condor();
        for m in &mut s.marks {
            m.iv = iv;
        }
        let p = closeness(c.clone(), &s, &ExitState::default());
        assert!((p[0].1 - want).abs() < 1e-9, "iv {iv}: {p:?}");
    }
}
