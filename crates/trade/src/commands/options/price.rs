//! `trade options price` and `trade options iv`.

use anyhow::bail;
use clap::Args;
use serde::Serialize;
use trade_options::pricing::{
    American, AmericanModel, Black76, Bsm, Greeks, PricingError, implied_vol_american,
    implied_vol_black76, implied_vol_bsm,
};

use super::terms::{Model, OptionArgs};
use crate::table;

/// `trade options price`.
#[derive(Debug, Clone, Args)]
pub struct PriceArgs {
    #[command(flatten)]
    pub option: OptionArgs,
    /// Volatility (0.20 = 20%).
    #[arg(long)]
    pub vol: f64,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `trade options iv`.
#[derive(Debug, Clone, Args)]
pub struct IvArgs {
    #[command(flatten)]
    pub option: OptionArgs,
    /// The option's price (per unit of the underlying, not per contract).
    #[arg(long)]
    pub price: f64,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct PriceOut {
    model: &'static str,
    years: f64,
    vol: f64,
    price: f64,
    delta: f64,
    gamma: f64,
    vega: f64,
    vega_per_point: f64,
    theta_per_year: f64,
    theta_per_day: f64,
    rho: f64,
}

fn american_model(o: &OptionArgs) -> Option<AmericanModel> {
    match o.model {
        Model::American => Some(AmericanModel::BaroneAdesiWhaley),
        Model::Binomial => Some(AmericanModel::Binomial { steps: o.steps }),
        Model::Bsm | Model::Black76 => None,
    }
}

fn model_greeks(o: &OptionArgs, years: f64, vol: f64) -> Result<Greeks, PricingError> {
    if let Some(model) = american_model(o) {
        return American {
            right: o.right.into(),
            spot: o.spot,
            strike: o.strike,
            years,
            rate: o.rate,
            dividend_yield: o.dividend_yield,
            vol,
        }
        .greeks(model);
    }
    match o.model {
        Model::Black76 => Black76 {
            right: o.right.into(),
            forward: o.spot,
            strike: o.strike,
            years,
            rate: o.rate,
            vol,
        }
        .greeks(),
        _ => Bsm {
            right: o.right.into(),
            spot: o.spot,
            strike: o.strike,
            years,
            rate: o.rate,
            dividend_yield: o.dividend_yield,
            vol,
        }
        .greeks(),
    }
}

fn model_name(m: Model) -> &'static str {
    match m {
        Model::Bsm => "bsm",
        Model::Black76 => "black76",
        Model::American => "american (barone-adesi-whaley)",
        Model::Binomial => "american (crr binomial)",
    }
}

/// Prices one option and prints its Greeks.
///
/// # Errors
/// Invalid terms or volatility.
pub fn run_price(args: &PriceArgs) -> anyhow::Result<String> {
    let o = &args.option;
    o.validate()?;
    if !(args.vol.is_finite() && args.vol >= 0.0) {
        bail!("--vol must be a number >= 0 (0.20 = 20%), got {}", args.vol);
    }
    let years = o.years()?;
    let g = model_greeks(o, years, args.vol)?;
    let out = PriceOut {
        model: model_name(o.model),
        years,
        vol: args.vol,
        price: g.price,
        delta: g.delta,
        gamma: g.gamma,
        vega: g.vega,
        vega_per_point: g.vega_per_point(),
        theta_per_year: g.theta,
        theta_per_day: g.theta_per_day(),
        rho: g.rho,
    };
    if args.json {
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    let rows = vec![
        vec!["model".into(), out.model.into()],
        vec!["years (ACT/365)".into(), format!("{:.6}", out.years)],
        vec!["price".into(), format!("{:.4}", out.price)],
        vec!["delta".into(), format!("{:.4}", out.delta)],
        vec!["gamma".into(), format!("{:.6}", out.gamma)],
        vec![
            "vega (per vol point)".into(),
            format!("{:.4}", out.vega_per_point),
        ],
        vec![
            "theta (per day)".into(),
            format!("{:.4}", out.theta_per_day),
        ],
        vec!["rho (per 1.00)".into(), format!("{:.4}", out.rho)],
    ];
    Ok(table::render(&["", "value"], &rows, &[1]))
}

/// Solves for the implied volatility of a price.
///
/// # Errors
/// Invalid terms, or a price with no implied volatility (below intrinsic,
/// at or above the arbitrage bound, expired).
pub fn run_iv(args: &IvArgs) -> anyhow::Result<String> {
    let o = &args.option;
    o.validate()?;
    let years = o.years()?;
    let iv = match o.model {
        Model::American | Model::Binomial => implied_vol_american(
            o.right.into(),
            args.price,
            o.spot,
            o.strike,
            years,
            o.rate,
            o.dividend_yield,
            american_model(o).unwrap_or(AmericanModel::BaroneAdesiWhaley),
        ),
        Model::Bsm => implied_vol_bsm(
            o.right.into(),
            args.price,
            o.spot,
            o.strike,
            years,
            o.rate,
            o.dividend_yield,
        ),
        Model::Black76 => {
            implied_vol_black76(o.right.into(), args.price, o.spot, o.strike, years, o.rate)
        }
    };
    let iv = match iv {
        Ok(v) => v,
        Err(e) => bail!("no implied volatility for --price {}: {e}", args.price),
    };
    if args.json {
        let g = model_greeks(o, years, iv)?;
        let out = serde_json::json!({
            "model": model_name(o.model),
            "years": years,
            "price": args.price,
            "iv": iv,
            "delta": g.delta,
            "vega_per_point": g.vega_per_point(),
        });
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    Ok(format!("{iv:.10}\n"))
}
