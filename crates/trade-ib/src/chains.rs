//! Option chains from IB: the expiries and strikes of an underlying
//! (`reqSecDefOptParams`), then one snapshot per contract near the money
//! (bid, ask, last, and the model's implied volatility and Greeks from the
//! option-computation ticks), as a [`ChainSnapshot`] the options desk reads
//! like any other chain source. Snapshots hold no market-data line.
//!
//! IB quotes vega per volatility point and theta per calendar day; the
//! chain's Greeks are per 1.00 of volatility and per year
//! ([`QuoteGreeks`]), so they are converted here.

use std::time::Duration;

use ibapi::Client;
use ibapi::contracts::tick_types::TickType;
use ibapi::contracts::{Contract, OptionRight as IbRight, SecurityType};
use ibapi::market_data::realtime::TickTypes;
use ibapi::prelude::StreamExt;
use ibapi::subscriptions::SubscriptionItem;
use jiff::civil::Date;
use trade_core::{Instrument, OptionRight, Price, Timestamp};
use trade_options::chain::{ChainSnapshot, ContractKey, OptionQuote, QuoteGreeks, QuoteSource};

use crate::contracts;

/// Which part of the chain to fetch.
#[derive(Debug, Clone)]
pub struct ChainRequest {
    /// The underlying.
    pub underlying: Instrument,
    /// Calendar days to expiry, at least.
    pub min_days: i64,
    /// Calendar days to expiry, at most.
    pub max_days: i64,
    /// Strikes within this fraction of the spot (0.10 = ±10%).
    pub moneyness: f64,
    /// How long one contract's snapshot may take.
    pub snapshot_timeout: Duration,
}

fn yyyymmdd(text: &str) -> Option<Date> {
    if text.len() < 8 {
        return None;
    }
    let y: i16 = text.get(0..4)?.parse().ok()?;
    let m: i8 = text.get(4..6)?.parse().ok()?;
    let d: i8 = text.get(6..8)?.parse().ok()?;
    Date::new(y, m, d).ok()
}

/// Greeks as the chain keeps them, from IB's option computation.
fn greeks(c: &ibapi::contracts::OptionComputation) -> Option<QuoteGreeks> {
    let g = QuoteGreeks {
        delta: c.delta?,
        gamma: c.gamma?,
        vega: c.vega? * 100.0,
        theta: c.theta? * 365.0,
        rho: 0.0,
    };
    g.is_finite().then_some(g)
}

/// One contract's snapshot.
#[derive(Default)]
struct Snap {
    bid: Option<f64>,
    ask: Option<f64>,
    last: Option<f64>,
    iv: Option<f64>,
    greeks: Option<QuoteGreeks>,
}

async fn snapshot(client: &Client, contract: &Contract, timeout: Duration) -> Option<Snap> {
    let mut ticks = client
        .market_data(contract)
        .snapshot()
        .subscribe()
        .await
        .ok()?;
    let mut s = Snap::default();
    let collect = async {
        while let Some(item) = ticks.next().await {
            match item {
                Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd)) | Err(_) => break,
                Ok(SubscriptionItem::Data(TickTypes::PriceSize(p))) => match p.price_tick_type {
                    TickType::Bid => s.bid = Some(p.price),
                    TickType::Ask => s.ask = Some(p.price),
                    TickType::Last => s.last = Some(p.price),
                    _ => {}
                },
                Ok(SubscriptionItem::Data(TickTypes::Price(p))) => match p.tick_type {
                    TickType::Bid => s.bid = Some(p.price),
                    TickType::Ask => s.ask = Some(p.price),
                    TickType::Last => s.last = Some(p.price),
                    _ => {}
                },
                Ok(SubscriptionItem::Data(TickTypes::OptionComputation(c))) => {
                    // The model's computation is the consistent set; the
                    // bid/ask ones are implied from each side's price.
                    if c.field == TickType::ModelOption || s.greeks.is_none() {
                        s.iv = c.implied_volatility.filter(|v| v.is_finite() && *v > 0.0);
                        s.greeks = greeks(&c);
                    }
                }
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(timeout, collect).await;
    Some(s)
}

/// The chain of `req.underlying` on `date` around `spot`: every listed
/// expiry within the day window and strike within the moneyness band,
/// calls and puts, each with a two-sided quote (contracts without one are
/// left out), marked real.
///
/// # Errors
/// The underlying is unknown to IB, it lists no options, or no contract
/// in the window has a two-sided quote.
pub async fn fetch_chain(
    client: &Client,
    req: &ChainRequest,
    date: Date,
    ts: Timestamp,
    spot: Price,
) -> Result<ChainSnapshot, String> {
    let symbol = req.underlying.symbol.to_string();
    let details = client
        .contract_details(&contracts::contract(&req.underlying))
        .await
        .map_err(|e| format!("{symbol}: contract details: {e}"))?;
    let con_id = details
        .first()
        .map(|d| d.contract.contract_id)
        .ok_or_else(|| format!("{symbol}: IB knows no such contract"))?;
    let mut params = client
        .option_chain(&symbol, SecurityType::Stock, con_id)
        .subscribe()
        .await
        .map_err(|e| format!("{symbol}: option parameters: {e}"))?;
    let mut expiries = Vec::new();
    let mut strikes = Vec::new();
    while let Some(item) = params.next().await {
        let Ok(SubscriptionItem::Data(chain)) = item else {
            break;
        };
        if chain.exchange != "SMART" {
            continue;
        }
        expiries.extend(chain.expirations.iter().filter_map(|e| yyyymmdd(e)));
        strikes.extend(chain.strikes.iter().copied());
    }
    expiries.sort();
    expiries.dedup();
    strikes.sort_by(f64::total_cmp);
    strikes.dedup();
    let s = spot.to_f64();
    let expiries: Vec<Date> = expiries
        .into_iter()
        .filter(|e| {
            let days = date.until(*e).map_or(-1, |span| i64::from(span.get_days()));
            (req.min_days..=req.max_days).contains(&days)
        })
        .collect();
    let strikes: Vec<f64> = strikes
        .into_iter()
        .filter(|k| (k / s - 1.0).abs() <= req.moneyness)
        .collect();
    if expiries.is_empty() || strikes.is_empty() {
        return Err(format!(
            "{symbol}: no listed expiry in {}..={} days or strike within {:.0}% of {s}",
            req.min_days,
            req.max_days,
            req.moneyness * 100.0
        ));
    }
    let mut quotes = Vec::new();
    for e in &expiries {
        let last_day = format!("{:04}{:02}{:02}", e.year(), e.month(), e.day());
        for k in &strikes {
            for (right, ib) in [
                (OptionRight::Call, IbRight::Call),
                (OptionRight::Put, IbRight::Put),
            ] {
                let contract = Contract::option(&symbol, &last_day, *k, ib);
                let Some(snap) = snapshot(client, &contract, req.snapshot_timeout).await else {
                    continue;
                };
                let (Some(bid), Some(ask)) = (snap.bid, snap.ask) else {
                    continue;
                };
                let (Ok(bid), Ok(ask), Ok(strike)) = (
                    contracts::price("option bid", bid.max(0.0)),
                    contracts::price("option ask", ask),
                    contracts::price("option strike", *k),
                ) else {
                    continue;
                };
                if ask < bid || ask <= Price::ZERO {
                    continue;
                }
                quotes.push(OptionQuote {
                    key: ContractKey::new(*e, strike, right),
                    bid,
                    ask,
                    last: snap
                        .last
                        .and_then(|l| contracts::price("option last", l).ok()),
                    volume: None,
                    open_interest: None,
                    iv: snap.iv,
                    greeks: snap.greeks,
                    source: QuoteSource::Real,
                });
            }
        }
    }
    if quotes.is_empty() {
        return Err(format!("{symbol}: no two-sided option quote in the window"));
    }
    ChainSnapshot::new(req.underlying.symbol.clone(), date, ts, spot, quotes)
        .map_err(|e| format!("{symbol}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ib_dates_and_greek_units_convert() {
        assert_eq!(yyyymmdd("20240315"), Some(jiff::civil::date(2024, 3, 15)));
        assert_eq!(yyyymmdd("2024031"), None);
        assert_eq!(yyyymmdd("20241345"), None);
        let c = ibapi::contracts::OptionComputation {
            field: TickType::ModelOption,
            tick_attribute: Some(0),
            implied_volatility: Some(0.2),
            delta: Some(0.5),
            option_price: Some(2.0),
            present_value_dividend: Some(0.0),
            gamma: Some(0.03),
            vega: Some(0.12),
            theta: Some(-0.05),
            underlying_price: Some(100.0),
        };
        let g = greeks(&c).unwrap();
        assert!((g.vega - 12.0).abs() < 1e-12, "per 1.00 of volatility");
        assert!((g.theta + 18.25).abs() < 1e-12, "per year");
        assert_eq!((g.delta, g.gamma), (0.5, 0.03));
    }
}
