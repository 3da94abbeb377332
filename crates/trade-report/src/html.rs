//! `report.html`: one self-contained page (inline CSS and SVG, no scripts,
//! no external fonts or links) rendered with minijinja from a view model
//! of pre-formatted strings. Autoescape is on for the `.html` template, so
//! every symbol, strategy name, tag and message is HTML-escaped; only the
//! SVG produced by [`crate::charts`] is inserted verbatim.

use minijinja::value::Serde;
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::charts::{ChartData, NARROW, WIDE, drawdown_svg, equity_svg};
use crate::error::ReportError;
use crate::format::{DASH, count, dollars, hours, num, ny_time, pct, sign_class, signed_pct};
use crate::records::{Ledgers, OrderRecord, RiskEventRecord, TradeRecord};
use crate::returns::DailySeries;
use crate::summary::{Performance, Summary};

const TEMPLATE: &str = include_str!("../templates/report.html");
const STYLE: &str = include_str!("../templates/report.css");

/// Rows of a long table shown from its start and from its end.
pub(crate) const TRADES_HEAD: usize = 100;
/// See [`TRADES_HEAD`].
pub(crate) const TRADES_TAIL: usize = 100;
const EVENTS_HEAD: usize = 25;
const EVENTS_TAIL: usize = 25;

/// A long table cut to its first and last rows.
#[derive(Debug, Serialize)]
struct Capped<T> {
    head: Vec<T>,
    tail: Vec<T>,
    omitted: String,
    omitted_n: usize,
    total: usize,
    total_text: String,
}

fn capped<R, T>(rows: &[R], head: usize, tail: usize, view: impl Fn(&R) -> T) -> Capped<T> {
    let total = rows.len();
    // Cutting fewer than ~25 % of the rows would save little: show them all.
    let (h, t) = if total <= (head + tail) * 5 / 4 {
        (total, 0)
    } else {
        (head, tail)
    };
    Capped {
        head: rows[..h].iter().map(&view).collect(),
        tail: rows[total - t..].iter().map(&view).collect(),
        omitted: count((total - h - t) as u64),
        omitted_n: total - h - t,
        total,
        total_text: count(total as u64),
    }
}

#[derive(Debug, Serialize)]
struct Meta {
    label: &'static str,
    value: String,
    title: Option<String>,
    /// Long values take a whole row on phones.
    long: bool,
}

#[derive(Debug, Serialize)]
struct Kpi {
    label: &'static str,
    value: String,
    class: &'static str,
    sub: String,
}

#[derive(Debug, Serialize)]
struct MetricRow {
    label: &'static str,
    strategy: String,
    s_class: &'static str,
    benchmark: String,
    b_class: &'static str,
    hint: &'static str,
}

#[derive(Debug, Serialize)]
struct Kv {
    label: &'static str,
    value: String,
    class: &'static str,
}

#[derive(Debug, Serialize)]
struct Cell {
    text: String,
    style: String,
    title: String,
}

#[derive(Debug, Serialize)]
struct MonthRow {
    year: i32,
    cells: Vec<Cell>,
    total: Cell,
    bench: Option<Cell>,
}

#[derive(Debug, Serialize)]
struct Monthly {
    rows: Vec<MonthRow>,
    has_bench: bool,
}

#[derive(Debug, Serialize)]
struct TradeRow {
    symbol: String,
    direction: String,
    entry: String,
    exit: String,
    entry_price: String,
    exit_price: String,
    qty: String,
    pnl: String,
    ret: String,
    class: &'static str,
}

#[derive(Debug, Serialize)]
struct OrderRow {
    time: String,
    id: String,
    strategy: String,
    symbol: String,
    side: String,
    qty: String,
    order_type: String,
    tag: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct RiskRow {
    time: String,
    rule: String,
    action: String,
    symbol: String,
    strategy: String,
    message: String,
    kill: bool,
}

#[derive(Debug, Serialize)]
struct KillView {
    time: String,
    rule: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct FileRow {
    path: String,
    symbol: String,
    rows: String,
    sha256: String,
    sha_short: String,
}

#[derive(Debug, Serialize)]
struct Page {
    title: String,
    style: &'static str,
    run_id: String,
    strategies: String,
    period: String,
    meta: Vec<Meta>,
    kill_switch: Option<KillView>,
    kpis: Vec<Kpi>,
    equity_svg: Option<String>,
    drawdown_svg: Option<String>,
    equity_svg_narrow: Option<String>,
    drawdown_svg_narrow: Option<String>,
    strategy_label: String,
    benchmark_label: Option<String>,
    metrics: Vec<MetricRow>,
    relative: Vec<MetricRow>,
    trade_stats: Vec<Kv>,
    activity: Vec<Kv>,
    monthly: Option<Monthly>,
    months: [&'static str; 12],
    trades: Capped<TradeRow>,
    rejected: Capped<OrderRow>,
    risk_events: Capped<RiskRow>,
    risk_by_rule: Vec<String>,
    details: Vec<Kv>,
    data_files: Vec<FileRow>,
    footer: String,
    options: Option<crate::options::OptionsPage>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn metric_rows(s: &Performance, b: Option<&Performance>) -> Vec<MetricRow> {
    type Get = fn(&Performance) -> Option<f64>;
    type Fmt = fn(Option<f64>) -> String;
    let signed: Fmt = |v| signed_pct(v, 2);
    let plain_pct: Fmt = |v| pct(v, 2);
    let ratio: Fmt = |v| num(v, 2);
    let money: Fmt = dollars;
    let days: Fmt = |v| {
        v.map_or(DASH.to_string(), |d| {
            format!("{} sessions", count(d as u64))
        })
    };
    let rows: [(&'static str, Get, Fmt, bool, &'static str); 12] = [
        (
            "Total return",
            |p| p.total_return,
            signed,
            true,
            "Compounded over the period",
        ),
        (
            "CAGR",
            |p| p.cagr,
            signed,
            true,
            "Compound annual growth rate",
        ),
        (
            "Annual volatility",
            |p| p.annual_volatility,
            plain_pct,
            false,
            "Std. dev. of daily returns × √252",
        ),
        (
            "Sharpe ratio",
            |p| p.sharpe,
            ratio,
            true,
            "Annualised, daily returns",
        ),
        (
            "Sortino ratio",
            |p| p.sortino,
            ratio,
            true,
            "Annualised, required return 0",
        ),
        (
            "Max drawdown",
            |p| p.max_drawdown,
            plain_pct,
            true,
            "Deepest fall from a daily peak",
        ),
        (
            "Max drawdown duration",
            |p| p.max_drawdown_duration.map(|d| d as f64),
            days,
            false,
            "Longest peak-to-recovery",
        ),
        (
            "Calmar ratio",
            |p| p.calmar,
            ratio,
            true,
            "CAGR / |max drawdown|",
        ),
        ("Best day", |p| p.best_day, signed, true, ""),
        ("Worst day", |p| p.worst_day, signed, true, ""),
        (
            "Downside deviation",
            |p| p.downside_risk,
            plain_pct,
            false,
            "Annualised",
        ),
        ("Final equity", |p| p.final_equity, money, false, ""),
    ];
    rows.iter()
        .map(|&(label, get, fmt, colour, hint)| {
            let sv = get(s);
            let bv = b.and_then(get);
            MetricRow {
                label,
                strategy: fmt(sv),
                s_class: if colour { sign_class(sv) } else { "" },
                benchmark: if b.is_some() { fmt(bv) } else { String::new() },
                b_class: if colour { sign_class(bv) } else { "" },
                hint,
            }
        })
        .collect()
}

fn relative_rows(summary: &Summary) -> Vec<MetricRow> {
    let Some(r) = &summary.metrics.relative else {
        return Vec::new();
    };
    let row = |label, v: String, class, hint| MetricRow {
        label,
        strategy: v,
        s_class: class,
        benchmark: String::new(),
        b_class: "",
        hint,
    };
    vec![
        row(
            "Alpha",
            signed_pct(r.alpha, 2),
            sign_class(r.alpha),
            "Annualised, vs benchmark",
        ),
        row("Beta", num(r.beta, 2), "", "Sensitivity to the benchmark"),
        row("Tracking error", pct(r.tracking_error, 2), "", "Annualised"),
        row(
            "Information ratio",
            num(r.information_ratio, 2),
            sign_class(r.information_ratio),
            "Annualised",
        ),
    ]
}

fn kv(label: &'static str, value: String, class: &'static str) -> Kv {
    Kv {
        label,
        value,
        class,
    }
}

fn trade_stats(s: &Summary) -> Vec<Kv> {
    let t = &s.trades;
    vec![
        kv("Trades", count(t.count as u64), ""),
        kv(
            "Wins / losses",
            format!(
                "{} / {}{}",
                count(t.wins as u64),
                count(t.losses as u64),
                if t.breakeven > 0 {
                    format!(" / {} even", t.breakeven)
                } else {
                    String::new()
                }
            ),
            "",
        ),
        kv("Hit rate", pct(t.hit_rate, 1), ""),
        kv("Profit factor", num(t.profit_factor, 2), ""),
        kv(
            "Net profit",
            dollars(t.net_profit),
            sign_class(t.net_profit),
        ),
        kv(
            "Average trade",
            dollars(t.avg_trade),
            sign_class(t.avg_trade),
        ),
        kv("Average win", dollars(t.avg_win), sign_class(t.avg_win)),
        kv("Average loss", dollars(t.avg_loss), sign_class(t.avg_loss)),
        kv("Payoff ratio", num(t.payoff_ratio, 2), ""),
        kv(
            "Largest win",
            dollars(t.largest_win),
            sign_class(t.largest_win),
        ),
        kv(
            "Largest loss",
            dollars(t.largest_loss),
            sign_class(t.largest_loss),
        ),
        kv(
            "Average return / trade",
            signed_pct(t.avg_return, 2),
            sign_class(t.avg_return),
        ),
        kv("Average holding time", hours(t.avg_holding_hours), ""),
    ]
}

fn activity(s: &Summary) -> Vec<Kv> {
    let a = &s.activity;
    vec![
        kv(
            "Orders",
            format!(
                "{} ({} filled, {} rejected, {} cancelled, {} expired)",
                count(a.orders as u64),
                count(a.orders_filled as u64),
                count(a.orders_rejected as u64),
                count(a.orders_cancelled as u64),
                count(a.orders_expired as u64)
            ),
            "",
        ),
        kv("Fills", count(a.fills as u64), ""),
        kv("Commissions", dollars(Some(a.commissions.to_f64())), ""),
        kv("Traded notional", dollars(Some(a.traded_notional)), ""),
        kv("Time in market", pct(a.time_in_market, 1), ""),
        kv("Average gross exposure", pct(a.avg_gross_exposure, 1), ""),
        kv(
            "Turnover (annual)",
            a.annual_turnover
                .map_or(DASH.to_string(), |t| format!("{}×", num(Some(t), 2))),
            "",
        ),
        kv(
            "Risk events",
            count(s.risk.events as u64),
            if s.risk.events > 0 { "warn" } else { "" },
        ),
        kv("Bars processed", count(s.bars_processed), ""),
    ]
}

/// Green for gains, red for losses, the intensity scaled to `scale`.
fn heat(r: Option<f64>, scale: f64) -> String {
    let Some(r) = r.filter(|r| r.is_finite()) else {
        return String::new();
    };
    let t = (r.abs() / scale).min(1.0);
    let alpha = 0.08 + 0.72 * t.sqrt();
    let (red, green, blue) = if r >= 0.0 {
        (22, 163, 74)
    } else {
        (220, 38, 38)
    };
    let fg = if alpha > 0.5 { ";color:#fff" } else { "" };
    format!("background:rgba({red},{green},{blue},{alpha:.2}){fg}")
}

fn monthly(series: &DailySeries) -> Option<Monthly> {
    let months = series.monthly();
    if months.is_empty() {
        return None;
    }
    let yearly = series.yearly();
    let bench = series.benchmark_yearly();
    let has_bench = series.benchmark.is_some();
    let scale = months
        .iter()
        .filter_map(|m| m.ret)
        .map(f64::abs)
        .fold(0.0_f64, f64::max)
        .max(0.01);
    let year_scale = yearly
        .iter()
        .filter_map(|y| y.ret)
        .map(f64::abs)
        .fold(0.0_f64, f64::max)
        .max(0.01);
    let rows = yearly
        .iter()
        .map(|y| {
            let cells = (1..=12u8)
                .map(|m| {
                    let ret = months
                        .iter()
                        .find(|x| x.year == y.year && x.month == m)
                        .and_then(|x| x.ret);
                    Cell {
                        text: match ret {
                            Some(_) => signed_pct(ret, 1),
                            None => String::new(),
                        },
                        style: heat(ret, scale),
                        title: match ret {
                            Some(_) => format!(
                                "{} {}: {}",
                                MONTHS[usize::from(m - 1)],
                                y.year,
                                signed_pct(ret, 2)
                            ),
                            None => String::new(),
                        },
                    }
                })
                .collect();
            let b = bench.iter().find(|b| b.year == y.year).and_then(|b| b.ret);
            MonthRow {
                year: y.year,
                cells,
                total: Cell {
                    text: signed_pct(y.ret, 1),
                    style: heat(y.ret, year_scale),
                    title: format!("{}: {}", y.year, signed_pct(y.ret, 2)),
                },
                bench: has_bench.then(|| Cell {
                    text: signed_pct(b, 1),
                    style: String::new(),
                    title: String::new(),
                }),
            }
        })
        .collect();
    Some(Monthly { rows, has_bench })
}

fn trade_row(t: &TradeRecord) -> TradeRow {
    let pnl = t.pnl.to_f64();
    TradeRow {
        symbol: t.symbol.clone(),
        direction: t.direction.clone(),
        entry: ny_time(t.entry_ts),
        exit: ny_time(t.exit_ts),
        entry_price: num(Some(t.entry_price), 2),
        exit_price: num(Some(t.exit_price), 2),
        qty: count(t.qty),
        pnl: dollars(Some(pnl)),
        ret: signed_pct(Some(t.return_pct), 2),
        class: sign_class(Some(pnl)),
    }
}

fn order_row(o: &OrderRecord) -> OrderRow {
    let order_type = match (o.limit_price, o.stop_price) {
        (Some(l), Some(s)) => format!("{} {s} / {l}", o.order_type),
        (Some(p), None) | (None, Some(p)) => format!("{} {p}", o.order_type),
        (None, None) => o.order_type.clone(),
    };
    OrderRow {
        time: ny_time(o.created),
        id: format!("O{}", o.order_id),
        strategy: o.strategy.clone(),
        symbol: o.symbol.clone(),
        side: o.side.clone(),
        qty: count(o.qty),
        order_type,
        tag: o.tag.clone(),
        reason: o.reason.clone().unwrap_or_default(),
    }
}

fn risk_row(e: &RiskEventRecord) -> RiskRow {
    RiskRow {
        time: ny_time(e.ts),
        rule: e.rule.clone(),
        action: e.action.clone(),
        symbol: e.symbol.clone().unwrap_or_default(),
        strategy: e.strategy.clone().unwrap_or_default(),
        message: e.message.clone(),
        kill: e.action == "kill_switch" || e.rule == "kill_switch",
    }
}

fn details(summary: &Summary) -> Vec<Kv> {
    let cfg = &summary.metrics_config;
    let mut v = vec![
        kv("Run ID", summary.run_id.clone(), "mono"),
        kv("Strategies", summary.strategies.join(", "), "val"),
        kv("Instruments", instruments_text(summary), "val"),
    ];
    if let Some(b) = &summary.benchmark {
        let bought = match (b.first_close, b.first_close_ts) {
            (Some(p), Some(t)) => format!("{}, bought at {p} on {}", b.symbol, ny_time(t)),
            _ => b.symbol.clone(),
        };
        v.push(kv("Benchmark", bought, "val"));
    }
    v.push(kv(
        "Version",
        format!("trade {}", summary.trade_version),
        "val",
    ));
    v.push(kv(
        "Git commit",
        summary
            .git_sha
            .clone()
            .unwrap_or_else(|| "unknown".to_string()),
        "mono",
    ));
    v.push(kv("Config hash", summary.config_hash.clone(), "mono"));
    v.push(kv(
        "Metrics",
        format!(
            "{} daily returns, {} periods a year, risk-free {} a year",
            count(summary.metrics.strategy.sessions as u64),
            num(Some(cfg.periods_per_year), 0),
            pct(Some(cfg.risk_free_annual), 2)
        ),
        "val",
    ));
    v
}

/// `$113,229`: dollars without cents for the headline cards.
/// The run's instruments; option contracts (an options run lists hundreds)
/// are counted rather than listed.
fn instruments_text(summary: &Summary) -> String {
    let mut listed: Vec<String> = Vec::new();
    let mut options = 0usize;
    for i in &summary.instruments {
        if i.kind == "option" {
            options += 1;
        } else {
            listed.push(format!("{} ({})", i.symbol, i.kind));
        }
    }
    if options > 0 {
        listed.push(format!(
            "{} option contracts (see options.json)",
            count(options as u64)
        ));
    }
    listed.join(", ")
}

fn whole_dollars(v: f64) -> String {
    let s = dollars(Some(v.round()));
    s.strip_suffix(".00").map_or(s.clone(), str::to_string)
}

fn short(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn page(
    summary: &Summary,
    ledgers: &Ledgers<'_>,
    series: &DailySeries,
    options: Option<crate::options::OptionsPage>,
) -> Result<Page, ReportError> {
    let s = &summary.metrics.strategy;
    let b = summary.metrics.benchmark.as_ref();
    let bench_symbol = summary.benchmark.as_ref().map(|b| b.symbol.clone());
    let strategies = if summary.strategies.is_empty() {
        "Backtest".to_string()
    } else {
        summary.strategies.join(", ")
    };
    let period = match (summary.period.first_date, summary.period.last_date) {
        (Some(a), Some(z)) => format!("{a} → {z}"),
        _ => "no data".to_string(),
    };
    let vs = |v: Option<f64>, f: fn(Option<f64>) -> String| match (&bench_symbol, b) {
        (Some(sym), Some(_)) => format!("{sym} {}", f(v)),
        _ => String::new(),
    };
    let kpis = vec![
        Kpi {
            label: "Total return",
            value: signed_pct(s.total_return, 2),
            class: sign_class(s.total_return),
            sub: vs(b.and_then(|b| b.total_return), |v| signed_pct(v, 2)),
        },
        Kpi {
            label: "CAGR",
            value: signed_pct(s.cagr, 2),
            class: sign_class(s.cagr),
            sub: vs(b.and_then(|b| b.cagr), |v| signed_pct(v, 2)),
        },
        Kpi {
            label: "Sharpe",
            value: num(s.sharpe, 2),
            class: "",
            sub: vs(b.and_then(|b| b.sharpe), |v| num(v, 2)),
        },
        Kpi {
            label: "Max drawdown",
            value: pct(s.max_drawdown, 2),
            class: sign_class(s.max_drawdown),
            sub: vs(b.and_then(|b| b.max_drawdown), |v| pct(v, 2)),
        },
        Kpi {
            label: "Final equity",
            value: whole_dollars(summary.final_equity.to_f64()),
            class: "",
            sub: format!("from {}", whole_dollars(summary.initial_equity.to_f64())),
        },
        Kpi {
            label: "Trades",
            value: count(summary.trades.count as u64),
            class: "",
            sub: match summary.trades.hit_rate {
                Some(h) => format!("{} hit rate", pct(Some(h), 1)),
                None => "no closed trades".to_string(),
            },
        },
    ];
    let version = match &summary.git_sha {
        Some(sha) => format!("trade {} · {}", summary.trade_version, short(sha, 10)),
        None => format!("trade {}", summary.trade_version),
    };
    let mut meta = vec![
        Meta {
            long: true,
            label: "Run",
            value: summary.run_id.clone(),
            title: None,
        },
        Meta {
            long: true,
            label: "Period",
            value: period.clone(),
            title: None,
        },
        Meta {
            long: false,
            label: "Sessions",
            value: format!(
                "{} ({} bars)",
                count(summary.period.sessions as u64),
                count(summary.bars_processed)
            ),
            title: None,
        },
        Meta {
            long: false,
            label: "Benchmark",
            value: bench_symbol.clone().unwrap_or_else(|| "none".to_string()),
            title: None,
        },
        Meta {
            long: false,
            label: "Config hash",
            value: short(&summary.config_hash, 12),
            title: Some(summary.config_hash.clone()),
        },
        Meta {
            long: true,
            label: "Version",
            value: version,
            title: summary.git_sha.clone(),
        },
    ];
    if summary.instruments.len() > 1
        || summary
            .instruments
            .first()
            .is_some_and(|i| Some(&i.symbol) != bench_symbol.as_ref())
    {
        let syms: Vec<&str> = summary
            .instruments
            .iter()
            .map(|i| i.symbol.as_str())
            .collect();
        let text = if syms.len() > 8 {
            format!("{} … ({} total)", syms[..8].join(", "), syms.len())
        } else {
            syms.join(", ")
        };
        meta.insert(
            3,
            Meta {
                long: false,
                label: "Instruments",
                value: text,
                title: Some(syms.join(", ")),
            },
        );
    }
    let data = ChartData::new(
        &ledgers.equity,
        summary.initial_equity,
        ledgers.benchmark.as_ref().zip(series.benchmark.as_ref()),
    );
    let rejected: Vec<&OrderRecord> = ledgers
        .orders
        .iter()
        .filter(|o| o.status == "rejected")
        .collect();
    let cfg = &summary.metrics_config;
    Ok(Page {
        title: format!("{strategies} · {}", summary.run_id),
        style: STYLE,
        run_id: summary.run_id.clone(),
        strategies: strategies.clone(),
        period,
        meta,
        kill_switch: summary.risk.kill_switch.as_ref().map(|k| KillView {
            time: ny_time(k.ts),
            rule: k.rule.clone(),
            reason: k.reason.clone(),
        }),
        kpis,
        equity_svg: equity_svg(&data, WIDE)?,
        drawdown_svg: drawdown_svg(&data, WIDE)?,
        equity_svg_narrow: equity_svg(&data, NARROW)?,
        drawdown_svg_narrow: drawdown_svg(&data, NARROW)?,
        strategy_label: strategies,
        benchmark_label: bench_symbol.map(|s| format!("{s} (buy & hold)")),
        metrics: metric_rows(s, b),
        relative: relative_rows(summary),
        trade_stats: trade_stats(summary),
        activity: activity(summary),
        monthly: monthly(series),
        months: MONTHS,
        trades: capped(&ledgers.trades, TRADES_HEAD, TRADES_TAIL, trade_row),
        rejected: capped(&rejected, EVENTS_HEAD, EVENTS_TAIL, |o| order_row(o)),
        risk_events: capped(&ledgers.risk_events, EVENTS_HEAD, EVENTS_TAIL, risk_row),
        risk_by_rule: summary
            .risk
            .by_rule
            .iter()
            .map(|(rule, n)| format!("{rule}: {}", count(*n as u64)))
            .collect(),
        details: details(summary),
        data_files: summary
            .data_files
            .iter()
            .map(|f| FileRow {
                path: f.path.clone(),
                symbol: f.symbol.clone(),
                rows: count(f.rows),
                sha256: f.sha256.clone(),
                sha_short: short(&f.sha256, 12),
            })
            .collect(),
        footer: format!(
            "Times are New York (America/New_York). Metrics use {} daily closes, {} periods per year, risk-free rate {} a year.",
            count(summary.period.sessions as u64),
            num(cfg.periods_per_year.into(), 0),
            pct(Some(cfg.risk_free_annual), 2),
        ),
        options,
    })
}

/// Renders the report page.
///
/// # Errors
/// [`ReportError::Chart`] or [`ReportError::Template`] (bugs, not data problems).
pub(crate) fn render(
    summary: &Summary,
    ledgers: &Ledgers<'_>,
    series: &DailySeries,
    options: Option<crate::options::OptionsPage>,
) -> Result<String, ReportError> {
    let page = page(summary, ledgers, series, options)?;
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)?;
    let tmpl = env.get_template("report.html")?;
    Ok(tmpl.render(Value::from(Serde(&page)))?)
}
