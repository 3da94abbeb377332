//! A position the exit tests move around: the Leavitt Brothers iron
//! condor (long 50P at 0.50, short 55P at 2.00, short 60C at 2.00, long
//! 65C at 0.50: credit $300, max profit $300, max loss $200) opened at
//! 10:30 New York on 2024-03-15 with XYZ at 57.50.
#![allow(dead_code)]

use trade_core::{Price, Timestamp};
use trade_options::exits::{
    EntrySnapshot, Evaluation, ExitConfig, ExitEngine, ExitState, LegMark, PositionView,
};
use trade_options::portfolio::{PortfolioSignal, StructureId};
use trade_options::structure::Structure;

use crate::structure_support::{condor, p, prices};

/// 2024-03-15 is in EDT: New York = UTC - 4.
pub fn ny(hms: &str) -> Timestamp {
    let text = format!("2024-03-15T{hms}-04:00");
    Timestamp::from_jiff(text.parse::<jiff::Timestamp>().expect("test time")).expect("in range")
}

pub struct Scenario {
    pub structure: Structure,
    pub entry: EntrySnapshot,
    pub marks: Vec<LegMark>,
    pub underlying: Price,
    pub volatility: f64,
    pub vix: Option<f64>,
    pub vix_open: Option<f64>,
    pub now: Timestamp,
    pub dte: u32,
    pub session_close: Option<jiff::civil::Time>,
    pub signal: Option<PortfolioSignal>,
    pub hedge_shares: i64,
}

fn mark(mid: &str) -> LegMark {
    let m = p(mid);
    let half = Price::from_cents(5);
    LegMark {
        bid: Price::from_raw((m.raw() - half.raw()).max(0)),
        ask: Price::from_raw(m.raw() + half.raw()),
        delta: 0.0,
        gamma: 0.0,
        iv: 0.25,
    }
}

impl Scenario {
    /// The condor at entry: marks equal to the fills (P&L 0 at mid).
    pub fn condor() -> Self {
        let structure = condor("50", "55", "60", "65", 1);
        Scenario {
            structure,
            entry: EntrySnapshot {
                time: ny("10:30:00"),
                leg_prices: prices(&["0.50", "2.00", "2.00", "0.50"]),
                underlying: p("57.50"),
                leg_ivs: vec![0.25; 4],
            },
            marks: ["0.50", "2.00", "2.00", "0.50"]
                .iter()
                .map(|m| mark(m))
                .collect(),
            underlying: p("57.50"),
            volatility: 0.0,
            vix: Some(15.0),
            vix_open: Some(15.0),
            now: ny("11:00:00"),
            dte: 5,
            session_close: None,
            signal: None,
            hedge_shares: 0,
        }
    }

    /// Sets the leg mids (bid/ask ± 0.05).
    pub fn mids(mut self, mids: [&str; 4]) -> Self {
        for (m, mid) in self.marks.iter_mut().zip(mids) {
            let keep = *m;
            *m = LegMark {
                delta: keep.delta,
                gamma: keep.gamma,
                iv: keep.iv,
                ..mark(mid)
            };
        }
        self
    }

    /// Moves P&L at mid to `pnl` dollars by repricing the short put:
    /// P&L = 300 - 100 x (sp + sc - lp - lc) with the others at entry.
    pub fn pnl(self, dollars: f64) -> Self {
        let sp = (300.0 - dollars) / 100.0 - 2.00 + 0.50 + 0.50;
        let text = format!("{sp:.4}");
        self.mids(["0.50", &text, "2.00", "0.50"])
    }

    pub fn at(mut self, hms: &str) -> Self {
        self.now = ny(hms);
        self
    }

    pub fn view(&self) -> PositionView<'_> {
        PositionView {
            id: StructureId(7),
            structure: &self.structure,
            entry: &self.entry,
            legs: &self.marks,
            underlying: self.underlying,
            volatility: self.volatility,
            vix: self.vix,
            vix_open: self.vix_open,
            now: self.now,
            dte: self.dte,
            session_close: self.session_close,
            portfolio: self.signal.as_ref(),
            hedge_shares: self.hedge_shares,
        }
    }

    pub fn eval(&self, config: &ExitConfig, state: &mut ExitState) -> Evaluation {
        let engine = ExitEngine::new(config.clone()).expect("valid test config");
        engine.evaluate(&self.view(), state).expect("valid view")
    }

    pub fn eval_fresh(&self, config: &ExitConfig) -> Evaluation {
        self.eval(config, &mut ExitState::default())
    }
}
