//! `trade options payoff`: the payoff at expiry of any multi-leg position,
//! its maximum profit and loss and its breakevens, exact to the cent.

use anyhow::{Context as _, bail};
use clap::Args;
use jiff::civil::Date;
use serde::Serialize;
use trade_core::{ExerciseStyle, OptionRight, OptionTerms, Price, Qty, Settlement, Symbol};
use trade_options::structure::{Bound, Leg, Structure, StructureKind};

use crate::table;

/// `trade options payoff`.
#[derive(Debug, Clone, Args)]
pub struct PayoffArgs {
    /// Underlying symbol.
    #[arg(long, default_value = "SPY")]
    pub underlying: String,
    /// Expiry of every leg.
    #[arg(long)]
    pub expiry: Date,
    /// A leg: `RATIO RIGHT STRIKE @PRICE`, e.g. `-1 P 540 @1.21` (sell one
    /// 540 put at 1.21) or `+1 C 585 @0.61`. Repeat for each leg.
    #[arg(long = "leg", required = true, allow_hyphen_values = true)]
    pub legs: Vec<String>,
    /// Structures (each leg trades `ratio x contracts`).
    #[arg(long, default_value_t = 1)]
    pub contracts: u64,
    /// Shares per contract.
    #[arg(long, default_value_t = 100)]
    pub multiplier: u32,
    /// Points in the payoff table.
    #[arg(long, default_value_t = 12)]
    pub steps: usize,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Parses `-1 P 540 @1.21` into a leg and its price.
fn parse_leg(
    text: &str,
    underlying: &Symbol,
    expiry: Date,
    multiplier: u32,
) -> anyhow::Result<(Leg, Price)> {
    let bad =
        || format!("--leg {text:?}: expected `RATIO RIGHT STRIKE @PRICE`, e.g. `-1 P 540 @1.21`");
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [ratio, right, strike, price] = parts.as_slice() else {
        bail!(bad());
    };
    let ratio: i32 = ratio
        .trim_start_matches('+')
        .parse()
        .with_context(|| format!("{}: ratio {ratio:?} is not a whole number", bad()))?;
    let right = match right.to_ascii_uppercase().as_str() {
        "C" | "CALL" => OptionRight::Call,
        "P" | "PUT" => OptionRight::Put,
        _ => bail!("{}: right {right:?} is not C or P", bad()),
    };
    let strike: Price = strike
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: strike {strike:?}: {e}", bad()))?;
    let price: Price = price
        .strip_prefix('@')
        .ok_or_else(|| anyhow::anyhow!("{}: the price needs an `@`", bad()))?
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: price {price:?}: {e}", bad()))?;
    Ok((
        Leg {
            terms: OptionTerms {
                underlying: underlying.clone(),
                expiry,
                strike,
                right,
                style: ExerciseStyle::American,
                settlement: Settlement::Physical,
            },
            multiplier,
            ratio,
        },
        price,
    ))
}

#[derive(Debug, Serialize)]
struct PayoffOut {
    net_premium: String,
    max_profit: String,
    max_loss: String,
    breakevens: Vec<String>,
    points: Vec<(String, String)>,
}

fn bound(b: Bound) -> String {
    match b {
        Bound::Limited(m) => m.to_string(),
        Bound::Unlimited => "unlimited".into(),
    }
}

/// Prints the payoff of the legs.
///
/// # Errors
/// A leg that does not parse, or a structure that is malformed (named leg).
pub fn run(args: &PayoffArgs) -> anyhow::Result<String> {
    let underlying = Symbol::new(&args.underlying)
        .map_err(|e| anyhow::anyhow!("--underlying {:?}: {e}", args.underlying))?;
    anyhow::ensure!(args.contracts > 0, "--contracts must be at least 1");
    let (legs, prices): (Vec<Leg>, Vec<Price>) = args
        .legs
        .iter()
        .map(|l| parse_leg(l, &underlying, args.expiry, args.multiplier))
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let structure = Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        legs,
        Qty::new(args.contracts),
    )?;
    let payoff = structure.payoff(&prices)?;
    let strikes: Vec<i64> = structure.legs().iter().map(|l| l.strike().raw()).collect();
    let (lo, hi) = (
        strikes.iter().copied().min().unwrap_or(0),
        strikes.iter().copied().max().unwrap_or(0),
    );
    let margin = ((hi - lo) / 2).max(hi / 50);
    let points = payoff.points(
        Price::from_raw(lo - margin),
        Price::from_raw(hi + margin),
        args.steps.clamp(2, 200),
    )?;
    let out = PayoffOut {
        net_premium: structure.net_premium(&prices)?.to_string(),
        max_profit: bound(payoff.max_profit()),
        max_loss: bound(payoff.max_loss()),
        breakevens: payoff
            .breakevens()
            .iter()
            .map(ToString::to_string)
            .collect(),
        points: points
            .iter()
            .map(|p| {
                (
                    format!("{:.2}", p.underlying.to_f64()),
                    p.at_expiry.to_string(),
                )
            })
            .collect(),
    };
    if args.json {
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    let mut s = format!(
        "net premium {} (+ credit)  max profit {}  max loss {}  breakevens {}\n\n",
        out.net_premium,
        out.max_profit,
        out.max_loss,
        if out.breakevens.is_empty() {
            "none".to_string()
        } else {
            out.breakevens.join(", ")
        }
    );
    let rows: Vec<Vec<String>> = out
        .points
        .iter()
        .map(|(u, p)| vec![u.clone(), p.clone()])
        .collect();
    s.push_str(&table::render(
        &[&format!("{} at expiry", args.underlying), "P&L"],
        &rows,
        &[0, 1],
    ));
    Ok(s)
}
