//! [`RiskState`]: what the risk layer remembers between decisions — the
//! kill switch, the day's starting equity, the equity peak, and per
//! instrument the P&L at the session start.

use serde::Serialize;
use trade_core::{InstrumentId, Money, Portfolio, Timestamp};

use super::{RiskLimits, RiskRule};

/// A kill switch that tripped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KillSwitch {
    /// When.
    pub ts: Timestamp,
    /// Which rule.
    pub rule: RiskRule,
    /// Why, with the numbers.
    pub reason: String,
}

/// Risk memory across decisions.
#[derive(Debug, Clone)]
pub struct RiskState {
    kill: Option<KillSwitch>,
    session: Option<usize>,
    day_start_equity: Money,
    peak_equity: Money,
    inst_day_start: Vec<Money>,
    blocked: Vec<bool>,
}

fn instrument_pnl(pf: &Portfolio, id: InstrumentId) -> Money {
    let p = pf.position(id);
    p.realized + p.unrealized(pf.mark_of(id))
}

impl RiskState {
    /// Fresh state for an account starting at `equity`.
    pub fn new(equity: Money, n_instruments: usize) -> Self {
        RiskState {
            kill: None,
            session: None,
            day_start_equity: equity,
            peak_equity: equity,
            inst_day_start: vec![Money::ZERO; n_instruments],
            blocked: vec![false; n_instruments],
        }
    }

    /// The tripped kill switch, if any.
    pub fn kill_switch(&self) -> Option<&KillSwitch> {
        self.kill.as_ref()
    }

    /// Per-instrument blocks for the current session.
    pub fn blocked(&self) -> &[bool] {
        &self.blocked
    }

    /// Call at the start of each instant with its session number, *before*
    /// fills: a new session snapshots the previous close's equity and the
    /// instruments' P&L, and lifts instrument blocks.
    #[inline]
    pub fn begin_instant(&mut self, session: usize, pf: &Portfolio) {
        if self.session != Some(session) {
            self.begin_session(session, pf);
        }
    }

    /// Once per session, out of the per-bar path.
    #[cold]
    #[inline(never)]
    fn begin_session(&mut self, session: usize, pf: &Portfolio) {
        self.session = Some(session);
        self.day_start_equity = pf.equity();
        for (i, v) in self.inst_day_start.iter_mut().enumerate() {
            *v = instrument_pnl(pf, InstrumentId(i as u32));
        }
        self.blocked.iter_mut().for_each(|b| *b = false);
    }

    /// Call after the instant's marks. Returns a kill switch that tripped
    /// now, and pushes newly blocked instruments into `newly_blocked`.
    pub fn after_marks(
        &mut self,
        ts: Timestamp,
        pf: &Portfolio,
        limits: &RiskLimits,
        touched: &[InstrumentId],
        newly_blocked: &mut Vec<(InstrumentId, String)>,
    ) -> Option<KillSwitch> {
        if limits.daily_loss_limit_pct.is_none()
            && limits.max_drawdown_pct.is_none()
            && limits.instrument_daily_loss_pct.is_none()
        {
            return None;
        }
        let equity = pf.equity();
        self.peak_equity = self.peak_equity.max(equity);
        if let Some(pct) = limits.instrument_daily_loss_pct {
            let cap = self.day_start_equity.to_f64() * pct;
            for &id in touched {
                let i = id.index();
                if self.blocked[i] {
                    continue;
                }
                let loss = (self.inst_day_start[i] - instrument_pnl(pf, id)).to_f64();
                if loss > cap {
                    self.blocked[i] = true;
                    newly_blocked.push((
                        id,
                        format!(
                            "lost {loss:.2} this session, cap {pct} x {:.2} = {cap:.2}",
                            self.day_start_equity.to_f64()
                        ),
                    ));
                }
            }
        }
        if self.kill.is_some() {
            return None;
        }
        let e = equity.to_f64();
        let tripped = if let Some(pct) = limits.daily_loss_limit_pct
            && e < self.day_start_equity.to_f64() * (1.0 - pct)
        {
            let start = self.day_start_equity.to_f64();
            Some((
                RiskRule::DailyLossLimit,
                format!(
                    "equity {e:.2} is {:.2}% below the session's starting equity {start:.2} (limit {:.2}%)",
                    (1.0 - e / start) * 100.0,
                    pct * 100.0
                ),
            ))
        } else if let Some(pct) = limits.max_drawdown_pct
            && e < self.peak_equity.to_f64() * (1.0 - pct)
        {
            let peak = self.peak_equity.to_f64();
            Some((
                RiskRule::MaxDrawdown,
                format!(
                    "equity {e:.2} is {:.2}% below its peak {peak:.2} (limit {:.2}%)",
                    (1.0 - e / peak) * 100.0,
                    pct * 100.0
                ),
            ))
        } else {
            None
        };
        let (rule, reason) = tripped?;
        let k = KillSwitch { ts, rule, reason };
        self.kill = Some(k.clone());
        Some(k)
    }
}
