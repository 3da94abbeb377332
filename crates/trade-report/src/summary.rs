//! `summary.json`: the run's identity, provenance and headline numbers,
//! in a schema owned by this crate (so old runs stay readable when the
//! metrics crate changes its types).
//!
//! Conventions: money amounts are exact decimal strings (`"100000.00"`),
//! ratios and returns are plain fractions (`0.0123` = 1.23 %), an undefined
//! metric is `null`, instants are RFC 3339 UTC strings and dates are New
//! York calendar dates (`"2024-03-08"`).

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{Money, Price, Timestamp};
use trade_metrics::{
    BenchmarkMetrics, MetricsConfig, ReturnMetrics, TradeStats, benchmark_metrics, exposure,
    return_metrics, trade_stats, turnover,
};

use crate::error::ReportError;
use crate::input::{DataFileInfo, RunInput};
use crate::records::Ledgers;
use crate::returns::DailySeries;

/// Version of the `summary.json` layout.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// File name of the summary in a run folder.
pub const SUMMARY_FILE: &str = "summary.json";

/// The contents of `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Layout version ([`SUMMARY_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The run's id (its folder name).
    pub run_id: String,
    /// The `trade` version that produced it.
    pub trade_version: String,
    /// The code's git commit, if known.
    pub git_sha: Option<String>,
    /// Hash of the effective configuration (`config.toml`).
    pub config_hash: String,
    /// Strategy instance names, in configuration order.
    pub strategies: Vec<String>,
    /// The instruments of the run.
    pub instruments: Vec<InstrumentInfo>,
    /// Market-data files read.
    pub data_files: Vec<DataFileInfo>,
    /// Ledger files written, with their row counts.
    pub files: Vec<FileInfo>,
    /// The period the equity ledger covers.
    pub period: Period,
    /// Starting cash.
    pub initial_equity: Money,
    /// Equity at the last instant (the starting cash if there was none).
    pub final_equity: Money,
    /// How the metrics were annualised.
    pub metrics_config: MetricsConfig,
    /// Performance of the strategy, of the benchmark, and relative.
    pub metrics: Metrics,
    /// The benchmark, if the run had one.
    pub benchmark: Option<BenchmarkInfo>,
    /// Closed-trade statistics.
    pub trades: TradeSummary,
    /// Orders, fills, exposure and turnover.
    pub activity: Activity,
    /// Risk events and the kill switch.
    pub risk: RiskSummary,
    /// Bars the backtest processed.
    pub bars_processed: u64,
}

/// An instrument of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentInfo {
    /// Symbol.
    pub symbol: String,
    /// `stock`, `etf`, `index`, `option` or `future`.
    pub kind: String,
    /// Contract multiplier.
    pub multiplier: u32,
}

/// A ledger file of the run folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// File name within the folder.
    pub file: String,
    /// Rows written.
    pub rows: u64,
}

/// The span of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First equity instant.
    pub start: Option<Timestamp>,
    /// Last equity instant.
    pub end: Option<Timestamp>,
    /// New York date of the first session.
    pub first_date: Option<Date>,
    /// New York date of the last session.
    pub last_date: Option<Date>,
    /// Sessions (New York dates with at least one equity row): the number
    /// of daily returns behind the metrics.
    pub sessions: usize,
    /// Rows of the equity ledger.
    pub equity_rows: u64,
}

/// Strategy, benchmark and relative metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The strategy, from its daily equity.
    pub strategy: Performance,
    /// The benchmark's buy and hold over the same dates.
    pub benchmark: Option<Performance>,
    /// Alpha, beta, tracking error, information ratio.
    pub relative: Option<Relative>,
}

/// Performance of a daily equity series (see `trade_metrics::ReturnMetrics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Daily returns used.
    pub sessions: usize,
    /// Compounded total return.
    pub total_return: Option<f64>,
    /// Compound annual growth rate.
    pub cagr: Option<f64>,
    /// Annualised volatility.
    pub annual_volatility: Option<f64>,
    /// Annualised Sharpe ratio (configured risk-free rate).
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    pub sortino: Option<f64>,
    /// Annualised downside deviation.
    pub downside_risk: Option<f64>,
    /// Deepest drawdown, a negative fraction.
    pub max_drawdown: Option<f64>,
    /// Longest drawdown, peak to recovery (or to the end), in sessions.
    pub max_drawdown_duration: Option<usize>,
    /// Peak date of the deepest drawdown.
    pub max_drawdown_peak: Option<Date>,
    /// Trough date of the deepest drawdown.
    pub max_drawdown_trough: Option<Date>,
    /// Recovery date of the deepest drawdown (`null`: not recovered).
    pub max_drawdown_recovery: Option<Date>,
    /// CAGR over |max drawdown|.
    pub calmar: Option<f64>,
    /// Best daily return.
    pub best_day: Option<f64>,
    /// Worst daily return.
    pub worst_day: Option<f64>,
    /// Equity at the end (for the benchmark: initial cash × last / first close).
    pub final_equity: Option<f64>,
}

/// Benchmark-relative metrics of the strategy's daily returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relative {
    /// Sessions where both returns exist.
    pub sessions: usize,
    /// Annualised alpha.
    pub alpha: Option<f64>,
    /// Beta.
    pub beta: Option<f64>,
    /// Annualised tracking error.
    pub tracking_error: Option<f64>,
    /// Annualised information ratio.
    pub information_ratio: Option<f64>,
}

/// The benchmark held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkInfo {
    /// Symbol.
    pub symbol: String,
    /// The close it was bought at.
    pub first_close: Option<Price>,
    /// When.
    pub first_close_ts: Option<Timestamp>,
    /// Its last close within the period.
    pub last_close: Option<Price>,
    /// When.
    pub last_close_ts: Option<Timestamp>,
}

/// Closed-trade statistics (see `trade_metrics::TradeStats`); amounts in dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeSummary {
    /// Closed trades.
    pub count: usize,
    /// Trades with P&L > 0.
    pub wins: usize,
    /// Trades with P&L < 0.
    pub losses: usize,
    /// Trades with P&L == 0.
    pub breakeven: usize,
    /// Wins over trades.
    pub hit_rate: Option<f64>,
    /// Gross profit over |gross loss|.
    pub profit_factor: Option<f64>,
    /// Sum of winning P&Ls.
    pub gross_profit: Option<f64>,
    /// Sum of losing P&Ls (negative).
    pub gross_loss: Option<f64>,
    /// Sum of all P&Ls.
    pub net_profit: Option<f64>,
    /// Mean winning P&L.
    pub avg_win: Option<f64>,
    /// Mean losing P&L (negative).
    pub avg_loss: Option<f64>,
    /// Mean P&L.
    pub avg_trade: Option<f64>,
    /// Average win over |average loss|.
    pub payoff_ratio: Option<f64>,
    /// Largest win.
    pub largest_win: Option<f64>,
    /// Largest loss (negative).
    pub largest_loss: Option<f64>,
    /// Mean return per trade (P&L over opening notional).
    pub avg_return: Option<f64>,
    /// Mean holding time in hours.
    pub avg_holding_hours: Option<f64>,
}

/// Order flow, exposure and turnover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Orders submitted (after the risk gate, including rejected ones).
    pub orders: usize,
    /// Orders completely filled.
    pub orders_filled: usize,
    /// Orders rejected.
    pub orders_rejected: usize,
    /// Orders cancelled.
    pub orders_cancelled: usize,
    /// Orders expired.
    pub orders_expired: usize,
    /// Executions.
    pub fills: usize,
    /// Commissions paid.
    pub commissions: Money,
    /// Two-sided traded notional in dollars (Σ |qty × price × multiplier|).
    pub traded_notional: f64,
    /// Fraction of equity rows with a position.
    pub time_in_market: Option<f64>,
    /// Mean gross exposure over equity.
    pub avg_gross_exposure: Option<f64>,
    /// Traded notional over average daily equity.
    pub turnover: Option<f64>,
    /// Turnover per year.
    pub annual_turnover: Option<f64>,
}

/// The kill switch that tripped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitchInfo {
    /// When.
    pub ts: Timestamp,
    /// Rule name.
    pub rule: String,
    /// Why, with the numbers.
    pub reason: String,
}

/// Risk events and the kill switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSummary {
    /// Risk events recorded.
    pub events: usize,
    /// Events per rule name.
    pub by_rule: BTreeMap<String, usize>,
    /// The kill switch, if it tripped.
    pub kill_switch: Option<KillSwitchInfo>,
}

impl Performance {
    fn from_metrics(m: &ReturnMetrics, series: &DailySeries, final_equity: Option<f64>) -> Self {
        let date_at = |pos: usize| series.days.get(pos.saturating_sub(1)).map(|d| d.date);
        let deepest = m.deepest_drawdown;
        Performance {
            sessions: m.n_periods,
            total_return: m.total_return,
            cagr: m.cagr,
            annual_volatility: m.annual_volatility,
            sharpe: m.sharpe,
            sortino: m.sortino,
            downside_risk: m.downside_risk,
            max_drawdown: m.max_drawdown,
            max_drawdown_duration: m.max_drawdown_duration,
            max_drawdown_peak: deepest.and_then(|d| date_at(d.peak)),
            max_drawdown_trough: deepest.and_then(|d| date_at(d.trough)),
            max_drawdown_recovery: deepest.and_then(|d| d.recovery).and_then(date_at),
            calmar: m.calmar,
            best_day: m.best_period,
            worst_day: m.worst_period,
            final_equity: final_equity.filter(|v| v.is_finite()),
        }
    }
}

impl Relative {
    fn from_metrics(b: &BenchmarkMetrics) -> Self {
        Relative {
            sessions: b.n_periods,
            alpha: b.alpha,
            beta: b.beta,
            tracking_error: b.tracking_error,
            information_ratio: b.information_ratio,
        }
    }
}

fn trade_summary(ledgers: &Ledgers<'_>) -> TradeSummary {
    let pnls: Vec<f64> = ledgers.trades.iter().map(|t| t.pnl.to_f64()).collect();
    let s: TradeStats = trade_stats(&pnls);
    let n = ledgers.trades.len();
    let mean = |sum: f64, k: usize| (k > 0 && sum.is_finite()).then(|| sum / k as f64);
    let rets = ledgers
        .trades
        .iter()
        .map(|t| t.return_pct)
        .filter(|r| r.is_finite());
    let (rsum, rn) = rets.fold((0.0, 0usize), |(s, k), r| (s + r, k + 1));
    let hours: f64 = ledgers
        .trades
        .iter()
        .map(|t| (t.exit_ts.nanos() - t.entry_ts.nanos()) as f64 / 3.6e12)
        .sum();
    TradeSummary {
        count: s.n_trades,
        wins: s.n_wins,
        losses: s.n_losses,
        breakeven: s.n_breakeven,
        hit_rate: s.hit_rate,
        profit_factor: s.profit_factor,
        gross_profit: s.gross_profit,
        gross_loss: s.gross_loss,
        net_profit: s.net_profit,
        avg_win: s.avg_win,
        avg_loss: s.avg_loss,
        avg_trade: s.avg_trade,
        payoff_ratio: s.payoff_ratio,
        largest_win: s.largest_win,
        largest_loss: s.largest_loss,
        avg_return: mean(rsum, rn),
        avg_holding_hours: mean(hours, n),
    }
}

fn activity(
    input: &RunInput<'_>,
    ledgers: &Ledgers<'_>,
    series: &DailySeries,
    cfg: &MetricsConfig,
) -> Activity {
    let r = input.result;
    let count =
        |status: trade_core::OrderStatus| r.orders.iter().filter(|o| o.status == status).count();
    let notional_raw: i128 = r
        .fills
        .iter()
        .map(|f| {
            let mult = input
                .instruments
                .get(f.fill.instrument.index())
                .map_or(1, |i| i.multiplier);
            i128::from(f.fill.price.raw()).abs() * i128::from(f.fill.qty.get()) * i128::from(mult)
        })
        .sum();
    let traded_notional = notional_raw as f64 / 1e8;
    let exp = chunked_exposure(&ledgers.equity);
    let daily: Vec<f64> = series.days.iter().map(|d| d.value).collect();
    let t = turnover(traded_notional, &daily, cfg);
    Activity {
        orders: r.orders.len(),
        orders_filled: count(trade_core::OrderStatus::Filled),
        orders_rejected: count(trade_core::OrderStatus::Rejected),
        orders_cancelled: count(trade_core::OrderStatus::Cancelled),
        orders_expired: count(trade_core::OrderStatus::Expired),
        fills: r.fills.len(),
        commissions: r.fills.iter().map(|f| f.fill.commission).sum(),
        traded_notional,
        time_in_market: exp.time_in_market,
        avg_gross_exposure: exp.avg_gross_exposure,
        turnover: t.total,
        annual_turnover: t.annual,
    }
}

/// `trade_metrics::exposure` over every equity row, computed on blocks of
/// rows (no million-element temporaries) and combined: the block results
/// are sums divided by counts, so recombining them by their counts gives
/// the same time in market exactly and the same average exposure up to
/// floating-point rounding.
fn chunked_exposure(rows: &[trade_engine::ledger::EquityRow]) -> trade_metrics::Exposure {
    const BLOCK: usize = 16 * 1024;
    let mut gross = Vec::with_capacity(BLOCK.min(rows.len()));
    let mut equity = Vec::with_capacity(BLOCK.min(rows.len()));
    let (mut n, mut invested, mut sum) = (0usize, 0usize, 0.0_f64);
    for block in rows.chunks(BLOCK) {
        gross.clear();
        equity.clear();
        // Only ratios matter: raw 10^-8 units need no scaling.
        gross.extend(block.iter().map(|e| e.gross_exposure.raw() as f64));
        equity.extend(block.iter().map(|e| e.equity().raw() as f64));
        let e = exposure(&gross, &equity);
        if e.n_periods > 0 {
            n += e.n_periods;
            // An exact count divided by `n_periods`: multiply back and round.
            invested += (e.time_in_market.unwrap_or(0.0) * e.n_periods as f64).round() as usize;
            sum += e.avg_gross_exposure.unwrap_or(0.0) * e.n_periods as f64;
        }
    }
    trade_metrics::Exposure {
        n_periods: n,
        time_in_market: (n > 0).then(|| invested as f64 / n as f64),
        avg_gross_exposure: (n > 0).then(|| sum / n as f64).filter(|v| v.is_finite()),
    }
}

impl Summary {
    /// Computes the summary of a run.
    pub(crate) fn build(
        input: &RunInput<'_>,
        ledgers: &Ledgers<'_>,
        series: &DailySeries,
        files: &[(&str, u64)],
    ) -> Summary {
        let r = input.result;
        let cfg = input.metrics_config;
        let final_equity = ledgers.equity.last().map_or(r.initial_cash, |e| e.equity());
        let strategy = return_metrics(&series.returns, &cfg);
        let bench = series.benchmark.as_ref();
        let bench_perf = bench.map(|b| {
            let m = return_metrics(&b.returns, &cfg);
            Performance::from_metrics(&m, series, b.equity.last().copied())
        });
        let relative = bench
            .map(|b| Relative::from_metrics(&benchmark_metrics(&series.returns, &b.returns, &cfg)));
        let mut by_rule = BTreeMap::new();
        for e in &ledgers.risk_events {
            *by_rule.entry(e.rule.clone()).or_insert(0) += 1;
        }
        Summary {
            schema_version: SUMMARY_SCHEMA_VERSION,
            run_id: input.run_id.clone(),
            trade_version: input.version.clone(),
            git_sha: input.git_sha.clone(),
            config_hash: input.config_hash.clone(),
            strategies: input.strategy_names.clone(),
            instruments: input
                .instruments
                .iter()
                .map(|i| InstrumentInfo {
                    symbol: i.symbol.to_string(),
                    kind: instrument_kind(&i.kind).to_string(),
                    multiplier: i.multiplier,
                })
                .collect(),
            data_files: input.data_files.clone(),
            files: files
                .iter()
                .map(|&(file, rows)| FileInfo {
                    file: file.to_string(),
                    rows,
                })
                .collect(),
            period: Period {
                start: ledgers.equity.first().map(|e| e.ts),
                end: ledgers.equity.last().map(|e| e.ts),
                first_date: series.days.first().map(|d| d.date),
                last_date: series.days.last().map(|d| d.date),
                sessions: series.days.len(),
                equity_rows: ledgers.equity.len() as u64,
            },
            initial_equity: r.initial_cash,
            final_equity,
            metrics_config: cfg,
            metrics: Metrics {
                strategy: Performance::from_metrics(&strategy, series, Some(final_equity.to_f64())),
                benchmark: bench_perf,
                relative,
            },
            benchmark: ledgers.benchmark.as_ref().map(|b| BenchmarkInfo {
                symbol: b.symbol.clone(),
                first_close: bench.map(|d| d.base.1),
                first_close_ts: bench.map(|d| d.base.0),
                last_close: bench.map(|d| d.last.1),
                last_close_ts: bench.map(|d| d.last.0),
            }),
            trades: trade_summary(ledgers),
            activity: activity(input, ledgers, series, &cfg),
            risk: RiskSummary {
                events: ledgers.risk_events.len(),
                by_rule,
                kill_switch: r.kill_switch.as_ref().map(|k| KillSwitchInfo {
                    ts: k.ts,
                    rule: k.rule.as_str().to_string(),
                    reason: k.reason.clone(),
                }),
            },
            bars_processed: r.bars,
        }
    }

    /// Reads `summary.json` from a run folder.
    ///
    /// # Errors
    /// [`ReportError::Io`] if it cannot be read, [`ReportError::Json`] if it
    /// is not a summary, [`ReportError::Schema`] if a newer `trade` wrote it.
    pub fn read(run_dir: &Path) -> Result<Summary, ReportError> {
        let path = run_dir.join(SUMMARY_FILE);
        let bytes = std::fs::read(&path).map_err(|e| ReportError::io(&path, e))?;
        let summary: Summary =
            serde_json::from_slice(&bytes).map_err(|source| ReportError::Json {
                path: path.clone(),
                source,
            })?;
        if summary.schema_version > SUMMARY_SCHEMA_VERSION {
            return Err(ReportError::schema(
                &path,
                format!(
                    "schema_version {} is newer than this build understands ({SUMMARY_SCHEMA_VERSION})",
                    summary.schema_version
                ),
            ));
        }
        Ok(summary)
    }

    /// The summary as pretty-printed JSON.
    ///
    /// # Errors
    /// [`ReportError::Json`] if serialization fails (it does not for
    /// summaries built by this crate).
    pub fn to_json(&self) -> Result<Vec<u8>, ReportError> {
        let mut v = serde_json::to_vec_pretty(self).map_err(|source| ReportError::Json {
            path: SUMMARY_FILE.into(),
            source,
        })?;
        v.push(b'\n');
        Ok(v)
    }
}

fn instrument_kind(k: &trade_core::InstrumentKind) -> &'static str {
    use trade_core::InstrumentKind as K;
    match k {
        K::Stock => "stock",
        K::Etf => "etf",
        K::Index => "index",
        K::Option(_) => "option",
        K::Future(_) => "future",
    }
}
