//! The options section of the report, from a run's `options.json`: P&L by
//! exit rule, by DTE bucket and by underlying, where the quotes came from,
//! portfolio Greeks over time, and the payoff at expiry of each kind of
//! structure traded (the first position of each kind, as an example).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use trade_core::{ExerciseStyle, Qty, Settlement};
use trade_core::{Money, Price};
use trade_options::occ::OccSymbol;
use trade_options::structure::{Leg, Structure, StructureKind};

use crate::error::ReportError;

/// The file the options desk writes.
pub const OPTIONS_FILE: &str = "options.json";

#[derive(Debug, Deserialize)]
struct Ledger {
    positions: Vec<PositionIn>,
    greeks: Vec<GreeksIn>,
    quotes: QuotesIn,
    chain_source: String,
    refusals: Vec<serde_json::Value>,
    decisions: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct PositionIn {
    structure: String,
    underlying: String,
    contracts: u64,
    bucket: String,
    pnl: Option<Money>,
    exit_rule: Option<String>,
    legs: Vec<LegIn>,
}

#[derive(Debug, Deserialize)]
struct LegIn {
    symbol: String,
    ratio: i32,
    entry_price: Price,
}

#[derive(Debug, Deserialize)]
struct GreeksIn {
    delta: f64,
    vega: f64,
    theta: f64,
}

#[derive(Debug, Deserialize)]
struct QuotesIn {
    real: u64,
    modelled: u64,
    stale_marks: u64,
}

/// One row of a P&L breakdown.
#[derive(Debug, Serialize)]
pub(crate) struct GroupRow {
    key: String,
    count: u64,
    wins: String,
    pnl: String,
    avg: String,
    class: &'static str,
}

/// One payoff diagram.
#[derive(Debug, Serialize)]
pub(crate) struct Payoff {
    title: String,
    legs: String,
    svg: String,
}

/// What the template shows.
#[derive(Debug, Serialize)]
pub(crate) struct OptionsPage {
    summary: String,
    provenance: String,
    by_rule: Vec<GroupRow>,
    by_bucket: Vec<GroupRow>,
    by_underlying: Vec<GroupRow>,
    greeks: Vec<GreeksChart>,
    payoffs: Vec<Payoff>,
}

/// Reads one Greek from a row.
type GreekOf = fn(&GreeksIn) -> f64;

/// One Greek over time.
#[derive(Debug, Serialize)]
pub(crate) struct GreeksChart {
    title: &'static str,
    svg: String,
}

fn money(m: Money) -> String {
    let v = m.to_f64();
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}${:.2}", v.abs())
}

fn group(positions: &[PositionIn], key: impl Fn(&PositionIn) -> String) -> Vec<GroupRow> {
    let mut g: BTreeMap<String, (u64, u64, Money)> = BTreeMap::new();
    for p in positions {
        let Some(pnl) = p.pnl else { continue };
        let e = g.entry(key(p)).or_insert((0, 0, Money::ZERO));
        e.0 += 1;
        e.1 += u64::from(pnl > Money::ZERO);
        e.2 += pnl;
    }
    g.into_iter()
        .map(|(key, (n, wins, pnl))| GroupRow {
            key,
            count: n,
            wins: format!("{:.0}%", 100.0 * wins as f64 / n as f64),
            pnl: money(pnl),
            avg: money(pnl.mul_div(1, n as i64)),
            class: if pnl.is_negative() { "neg" } else { "pos" },
        })
        .collect()
}

/// A line chart of `ys` over `xs` with a zero line, as inline SVG.
fn line_svg(xs: &[f64], ys: &[f64], width: f64, height: f64, label: &str) -> Option<String> {
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let lo = ys.iter().copied().fold(0.0_f64, f64::min);
    let hi = ys.iter().copied().fold(0.0_f64, f64::max);
    let spans = x1 > x0 && hi > lo;
    if !spans || !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let pad = 28.0;
    let px = |x: f64| pad + (x - x0) / (x1 - x0) * (width - 2.0 * pad);
    let py = |y: f64| 8.0 + (hi - y) / (hi - lo) * (height - 24.0);
    let mut path = String::new();
    for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
        let _ = write!(
            path,
            "{}{:.1},{:.1}",
            if i == 0 { "M" } else { " L" },
            px(*x),
            py(*y)
        );
    }
    Some(format!(
        r##"<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg"><line x1="{pad}" x2="{x2:.1}" y1="{zy:.1}" y2="{zy:.1}" stroke="#9aa4b2" stroke-dasharray="3 3"/><path d="{path}" fill="none" stroke="#2563eb" stroke-width="1.6"/><text x="{pad}" y="{by:.1}" font-size="10" fill="#667085">{lo_t}</text><text x="{pad}" y="12" font-size="10" fill="#667085">{hi_t}</text><text x="{x2:.1}" y="{by:.1}" font-size="10" fill="#667085" text-anchor="end">{x1_t}</text><text x="{pad}" y="{by:.1}" dx="60" font-size="10" fill="#667085">{x0_t}</text></svg>"##,
        x2 = width - pad,
        zy = py(0.0),
        by = height - 2.0,
        lo_t = format_args!("{lo:.0}"),
        hi_t = format_args!("{hi:.0}"),
        x0_t = format_args!("{x0:.0}"),
        x1_t = format_args!("{x1:.0}"),
    ))
}

fn payoff_diagram(p: &PositionIn) -> Option<Payoff> {
    // The structure's own exact payoff (the one the desk's max profit and
    // loss come from), rebuilt from the recorded legs: US equity-option
    // contracts of 100 shares.
    let mut legs = Vec::with_capacity(p.legs.len());
    let mut prices = Vec::with_capacity(p.legs.len());
    for l in &p.legs {
        let sym = OccSymbol::parse(&l.symbol).ok()?;
        legs.push(Leg {
            terms: sym.terms(ExerciseStyle::American, Settlement::Physical),
            multiplier: 100,
            ratio: l.ratio,
        });
        prices.push(l.entry_price);
    }
    let structure = Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        legs,
        Qty::new(p.contracts),
    )
    .ok()?;
    let strikes: Vec<i64> = structure.legs().iter().map(|l| l.strike().raw()).collect();
    let (lo, hi) = (*strikes.iter().min()?, *strikes.iter().max()?);
    let margin = ((hi - lo) * 3 / 5).max(hi / 50);
    let points = structure
        .payoff(&prices)
        .ok()?
        .points(
            Price::from_raw(lo - margin),
            Price::from_raw(hi + margin),
            120,
        )
        .ok()?;
    let xs: Vec<f64> = points.iter().map(|pt| pt.underlying.to_f64()).collect();
    let ys: Vec<f64> = points.iter().map(|pt| pt.at_expiry.to_f64()).collect();
    let svg = line_svg(&xs, &ys, 360.0, 160.0, "payoff at expiry")?;
    let legs_text = p
        .legs
        .iter()
        .map(|l| {
            format!(
                "{:+} {} @ {}",
                l.ratio,
                l.symbol.split_whitespace().collect::<Vec<_>>().join(" "),
                l.entry_price
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    Some(Payoff {
        title: format!(
            "{} on {} (first traded)",
            p.structure.replace('_', " "),
            p.underlying
        ),
        legs: legs_text,
        svg,
    })
}

/// Builds the section from `options.json`'s bytes.
///
/// # Errors
/// [`ReportError::InvalidInput`] when the file is not an options ledger.
pub(crate) fn page(bytes: &[u8]) -> Result<OptionsPage, ReportError> {
    let l: Ledger = serde_json::from_slice(bytes)
        .map_err(|e| ReportError::InvalidInput(format!("{OPTIONS_FILE}: {e}")))?;
    let closed: Vec<&PositionIn> = l.positions.iter().filter(|p| p.pnl.is_some()).collect();
    let total: Money = closed.iter().filter_map(|p| p.pnl).sum();
    let summary = format!(
        "{} structures opened, {} closed, net {} after commissions; {} exit-rule decisions journaled; {} entries refused.",
        l.positions.len(),
        closed.len(),
        money(total),
        l.decisions.len(),
        l.refusals.len()
    );
    let provenance = format!(
        "Quotes: {} real, {} modelled ({}){}.",
        l.quotes.real,
        l.quotes.modelled,
        l.chain_source,
        if l.quotes.stale_marks > 0 {
            format!(
                "; {} leg marks had no quote and kept their last mark",
                l.quotes.stale_marks
            )
        } else {
            String::new()
        }
    );
    let xs: Vec<f64> = (0..l.greeks.len()).map(|i| i as f64).collect();
    let charts: [(&'static str, GreekOf); 3] = [
        ("Portfolio delta (shares) at each close", |g| g.delta),
        ("Portfolio vega ($ per vol point)", |g| g.vega),
        ("Portfolio theta ($ per calendar day)", |g| g.theta),
    ];
    let greeks = charts
        .iter()
        .filter_map(|(title, f)| {
            let ys: Vec<f64> = l.greeks.iter().map(f).collect();
            line_svg(&xs, &ys, 720.0, 140.0, title).map(|svg| GreeksChart { title, svg })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let payoffs = l
        .positions
        .iter()
        .filter(|p| seen.insert(p.structure.clone()))
        .filter_map(payoff_diagram)
        .collect();
    Ok(OptionsPage {
        summary,
        provenance,
        by_rule: group(&l.positions, |p| {
            p.exit_rule.clone().unwrap_or_else(|| "open".into())
        }),
        by_bucket: group(&l.positions, |p| p.bucket.clone()),
        by_underlying: group(&l.positions, |p| p.underlying.clone()),
        greeks,
        payoffs,
    })
}
