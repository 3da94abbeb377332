//! Statistics of closed trades from their net P&L in dollars.
//!
//! Conventions:
//! * A **win** is a trade with P&L `> 0`, a **loss** one with P&L `< 0`. A
//!   trade with P&L exactly `0` (a *breakeven* or scratch trade) is neither,
//!   but it is a trade: it counts in `n_trades`, so it lowers the hit rate.
//!   This matches backtesting.py (`Win Rate = mean(pl > 0)`); backtrader's
//!   `TradeAnalyzer` would count it as won.
//! * Non-finite P&Ls are not trades: they are skipped and counted in
//!   `n_invalid`.
//! * Losses are reported as negative numbers (`gross_loss`, `avg_loss`,
//!   `largest_loss`).

use serde::Serialize;

use crate::stats::finite;

/// Summary statistics of closed trades.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TradeStats {
    /// Trades with a finite P&L (wins + losses + breakevens).
    pub n_trades: usize,
    /// Trades with P&L > 0.
    pub n_wins: usize,
    /// Trades with P&L < 0.
    pub n_losses: usize,
    /// Trades with P&L == 0.
    pub n_breakeven: usize,
    /// Non-finite P&Ls skipped.
    pub n_invalid: usize,
    /// `n_wins / n_trades`; `None` without trades.
    pub hit_rate: Option<f64>,
    /// Sum of winning P&Ls (`0.0` without wins).
    pub gross_profit: Option<f64>,
    /// Sum of losing P&Ls, negative (`0.0` without losses).
    pub gross_loss: Option<f64>,
    /// Sum of all P&Ls.
    pub net_profit: Option<f64>,
    /// `gross_profit / |gross_loss|`; `None` without losing trades.
    pub profit_factor: Option<f64>,
    /// Mean winning P&L; `None` without wins.
    pub avg_win: Option<f64>,
    /// Mean losing P&L (negative); `None` without losses.
    pub avg_loss: Option<f64>,
    /// Mean P&L over all trades; `None` without trades.
    pub avg_trade: Option<f64>,
    /// `avg_win / |avg_loss|`; `None` unless there are both wins and losses.
    pub payoff_ratio: Option<f64>,
    /// Largest winning P&L; `None` without wins.
    pub largest_win: Option<f64>,
    /// Largest (most negative) losing P&L; `None` without losses.
    pub largest_loss: Option<f64>,
    /// Expected P&L per trade, `hit_rate × avg_win + loss_rate × avg_loss`
    /// (a missing average contributes 0). Algebraically equal to
    /// `avg_trade`, and computed this way as a cross-check; `None` without
    /// trades.
    pub expectancy: Option<f64>,
}

/// Trade statistics from closed-trade net P&Ls (one pass, no allocation).
/// See the module docs for the win/loss/breakeven conventions.
#[must_use]
pub fn trade_stats(pnls: &[f64]) -> TradeStats {
    let (mut n_wins, mut n_losses, mut n_breakeven, mut n_invalid) =
        (0usize, 0usize, 0usize, 0usize);
    let (mut profit, mut loss) = (0.0_f64, 0.0_f64);
    let mut largest_win: Option<f64> = None;
    let mut largest_loss: Option<f64> = None;
    for &p in pnls {
        if !p.is_finite() {
            n_invalid += 1;
        } else if p > 0.0 {
            n_wins += 1;
            profit += p;
            largest_win = Some(largest_win.map_or(p, |m| m.max(p)));
        } else if p < 0.0 {
            n_losses += 1;
            loss += p;
            largest_loss = Some(largest_loss.map_or(p, |m| m.min(p)));
        } else {
            n_breakeven += 1;
        }
    }
    let n_trades = n_wins + n_losses + n_breakeven;
    let per = |sum: f64, n: usize| if n == 0 { None } else { finite(sum / n as f64) };
    let avg_win = per(profit, n_wins);
    let avg_loss = per(loss, n_losses);
    let hit_rate = per(n_wins as f64, n_trades);
    let loss_rate = per(n_losses as f64, n_trades);
    TradeStats {
        n_trades,
        n_wins,
        n_losses,
        n_breakeven,
        n_invalid,
        hit_rate,
        gross_profit: finite(profit),
        gross_loss: finite(loss),
        net_profit: finite(profit + loss),
        profit_factor: if n_losses == 0 {
            None
        } else {
            finite(profit / loss.abs())
        },
        avg_win,
        avg_loss,
        avg_trade: per(profit + loss, n_trades),
        payoff_ratio: match (avg_win, avg_loss) {
            (Some(w), Some(l)) => finite(w / l.abs()),
            _ => None,
        },
        largest_win,
        largest_loss,
        expectancy: match (hit_rate, loss_rate) {
            (Some(h), Some(l)) => finite(h * avg_win.unwrap_or(0.0) + l * avg_loss.unwrap_or(0.0)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakeven_is_neither_win_nor_loss_but_is_a_trade() {
        let t = trade_stats(&[100.0, -50.0, 0.0, f64::NAN]);
        assert_eq!(
            (t.n_trades, t.n_wins, t.n_losses, t.n_breakeven, t.n_invalid),
            (3, 1, 1, 1, 1)
        );
        assert_eq!(t.hit_rate, Some(1.0 / 3.0));
        assert_eq!(t.profit_factor, Some(2.0));
        assert_eq!(t.payoff_ratio, Some(2.0));
        assert_eq!(t.avg_trade, Some(50.0 / 3.0));
        assert!((t.expectancy.unwrap() - 50.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn empty_is_undefined_not_zero() {
        let t = trade_stats(&[]);
        assert_eq!(t.n_trades, 0);
        assert_eq!(
            (t.hit_rate, t.avg_trade, t.expectancy, t.profit_factor),
            (None, None, None, None)
        );
        assert_eq!(t.net_profit, Some(0.0));
    }
}
