//! `trade backtest`: run and summarise.

use std::fmt::Write as _;

use anyhow::Context as _;
use serde_json::Value;
use trade_engine::strategy::Registry;

use crate::cli::BacktestArgs;
use crate::config::{self, Sources};
use crate::pipeline::{self, RunOptions};
use crate::table;

/// Runs a backtest and renders its summary.
///
/// # Errors
/// Config, data, engine or output errors.
pub fn run(args: &BacktestArgs, registry: &Registry, quiet: bool) -> anyhow::Result<String> {
    let cfg = config::load(
        &args.config.config,
        &Sources::from_process(args.config.sets.clone()),
        registry,
    )?;
    let opts = RunOptions {
        output_dir: args.output_dir.clone(),
        run_id: args.run_id.clone(),
        progress: !quiet,
    };
    let out = pipeline::run(&cfg, &opts, registry)?;
    let summary_path = out.run_dir.join("summary.json");
    let text = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("reading {}", summary_path.display()))?;
    if args.json {
        return Ok(text);
    }
    let summary: Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", summary_path.display()))?;
    render_summary(&summary, &out)
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_f64()
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.2}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn ratio(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

/// Renders the summary table of a run.
///
/// # Errors
/// Only formatting errors.
pub fn render_summary(s: &Value, out: &pipeline::RunOutcome) -> anyhow::Result<String> {
    let m = |k: &str| num(s, &["metrics", "strategy", k]);
    let b = |k: &str| num(s, &["metrics", "benchmark", k]);
    let rows = vec![
        vec![
            "total return".into(),
            pct(m("total_return")),
            pct(b("total_return")),
        ],
        vec!["CAGR".into(), pct(m("cagr")), pct(b("cagr"))],
        vec![
            "annual volatility".into(),
            pct(m("annual_volatility")),
            pct(b("annual_volatility")),
        ],
        vec!["Sharpe".into(), ratio(m("sharpe")), ratio(b("sharpe"))],
        vec!["Sortino".into(), ratio(m("sortino")), ratio(b("sortino"))],
        vec![
            "max drawdown".into(),
            pct(m("max_drawdown")),
            pct(b("max_drawdown")),
        ],
        vec!["Calmar".into(), ratio(m("calmar")), ratio(b("calmar"))],
    ];
    let mut o = String::new();
    writeln!(
        o,
        "run {}  ({} bars, {} orders, {} fills, {} trades)",
        out.run_id,
        out.result.bars,
        out.result.orders.len(),
        out.result.fills.len(),
        out.result.trades.len()
    )?;
    let eq0 = out.result.initial_cash;
    let eq1 = out.result.equity.last().map(|e| e.equity()).unwrap_or(eq0);
    writeln!(o, "equity {} -> {}\n", eq0.round_cents(), eq1.round_cents())?;
    o.push_str(&table::render(
        &["metric", "strategy", "benchmark"],
        &rows,
        &[1, 2],
    ));
    let t = |k: &str| num(s, &["trades", k]);
    let a = |k: &str| num(s, &["activity", k]);
    writeln!(
        o,
        "\ntrades {}  hit rate {}  profit factor {}  time in market {}  turnover {}x/yr  commissions {}",
        t("count").unwrap_or(0.0),
        pct(t("hit_rate")),
        ratio(t("profit_factor")),
        pct(a("time_in_market")),
        ratio(a("annual_turnover")),
        s["activity"]["commissions"].as_str().unwrap_or("-"),
    )?;
    if let Some(k) = &out.result.kill_switch {
        writeln!(
            o,
            "\nKILL SWITCH tripped at {} ({}): {}",
            k.ts,
            k.rule.as_str(),
            k.reason
        )?;
    }
    let refused = out
        .result
        .risk_events
        .iter()
        .filter(|e| e.action == "refused")
        .count();
    if refused > 0 {
        writeln!(o, "risk gate refused {refused} orders (see the report)")?;
    }
    writeln!(o, "\n{}", out.run_dir.join("report.html").display())?;
    writeln!(
        o,
        "timings: load {} ms, engine {} ms, write {} ms",
        out.load_time.as_millis(),
        out.engine_time.as_millis(),
        out.write_time.as_millis()
    )?;
    Ok(o)
}
