//! Two runs side by side.

use serde::Serialize;

use crate::runs::{KeyMetrics, SummaryView};

/// How a compared value is meant to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A fraction shown as a percentage.
    Percent,
    /// A plain ratio.
    Ratio,
    /// A count.
    Count,
    /// Dollars.
    Dollars,
}

/// One metric of both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    /// Field name, as in `summary.json`.
    pub key: &'static str,
    /// Human label.
    pub label: &'static str,
    /// Display format.
    pub format: Format,
    /// Run a's value (`None`: undefined).
    pub a: Option<f64>,
    /// Run b's value.
    pub b: Option<f64>,
    /// `b - a` when both are defined.
    pub b_minus_a: Option<f64>,
}

/// A run's identity in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareSide {
    /// The run id.
    pub run_id: String,
    /// Headline numbers.
    #[serde(flatten)]
    pub key: KeyMetrics,
    /// Commissions, exact decimal string.
    pub commissions: String,
}

/// The comparison of run `a` with run `b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Run a.
    pub a: CompareSide,
    /// Run b.
    pub b: CompareSide,
    /// Metrics side by side, in a fixed order.
    pub metrics: Vec<CompareRow>,
}

type Getter = fn(&SummaryView) -> Option<f64>;

// u64 counts fit f64 exactly up to 2^53, far beyond any trade count.
#[allow(clippy::cast_precision_loss)]
const ROWS: &[(&str, &str, Format, Getter)] = &[
    ("total_return", "Total return", Format::Percent, |s| {
        s.metrics.strategy.total_return
    }),
    ("cagr", "CAGR", Format::Percent, |s| s.metrics.strategy.cagr),
    (
        "annual_volatility",
        "Volatility (annual)",
        Format::Percent,
        |s| s.metrics.strategy.annual_volatility,
    ),
    ("sharpe", "Sharpe", Format::Ratio, |s| {
        s.metrics.strategy.sharpe
    }),
    ("sortino", "Sortino", Format::Ratio, |s| {
        s.metrics.strategy.sortino
    }),
    ("max_drawdown", "Max drawdown", Format::Percent, |s| {
        s.metrics.strategy.max_drawdown
    }),
    ("calmar", "Calmar", Format::Ratio, |s| {
        s.metrics.strategy.calmar
    }),
    (
        "benchmark_total_return",
        "Benchmark total return",
        Format::Percent,
        |s| s.metrics.benchmark.as_ref().and_then(|b| b.total_return),
    ),
    ("trades", "Closed trades", Format::Count, |s| {
        Some(s.trades.count as f64)
    }),
    ("hit_rate", "Hit rate", Format::Percent, |s| {
        s.trades.hit_rate
    }),
    ("profit_factor", "Profit factor", Format::Ratio, |s| {
        s.trades.profit_factor
    }),
    (
        "net_profit",
        "Net profit (closed trades)",
        Format::Dollars,
        |s| s.trades.net_profit,
    ),
    ("time_in_market", "Time in market", Format::Percent, |s| {
        s.activity.time_in_market
    }),
    ("annual_turnover", "Turnover (annual)", Format::Ratio, |s| {
        s.activity.annual_turnover
    }),
];

/// Compares two parsed summaries.
pub fn compare(a: &SummaryView, b: &SummaryView) -> Comparison {
    let side = |s: &SummaryView| CompareSide {
        run_id: s.run_id.clone(),
        key: KeyMetrics::from(s),
        commissions: s.activity.commissions.clone(),
    };
    let metrics = ROWS
        .iter()
        .map(|&(key, label, format, get)| {
            let (va, vb) = (get(a), get(b));
            CompareRow {
                key,
                label,
                format,
                a: va,
                b: vb,
                b_minus_a: va.zip(vb).map(|(x, y)| y - x),
            }
        })
        .collect();
    Comparison {
        a: side(a),
        b: side(b),
        metrics,
    }
}
