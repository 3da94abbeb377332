//! The contracts the gateway knows: stocks/ETFs from the config and the
//! option series listed on them, with IB-style contract ids, local symbols
//! and contract details.

use std::collections::HashMap;

use jiff::civil::Date;
use trade_options::pricing::OptionRight;

use crate::config::{OptionChainSpec, PriceSource, UnderlyingSpec};
use crate::messages as msg;
use crate::timefmt;

/// First contract id handed to generated option series.
const OPTION_CON_ID_BASE: i32 = 900_000_000;

/// What an instrument is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Stock or ETF.
    Stock,
    /// Listed option on the underlying at `underlying` (index into the
    /// registry's underlyings).
    Option {
        /// Expiration date.
        expiry: Date,
        /// Strike.
        strike: f64,
        /// Call or put.
        right: OptionRight,
    },
}

/// One tradable contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    /// IB contract id.
    pub con_id: i32,
    /// Underlying symbol (the ticker for stocks).
    pub symbol: String,
    /// Stock or option.
    pub kind: Kind,
    /// Index of the underlying in [`Registry::underlyings`].
    pub underlying: usize,
    /// IB local symbol (OCC symbol for options).
    pub local_symbol: String,
    /// Contract multiplier.
    pub multiplier: f64,
}

impl Instrument {
    /// IB security type.
    pub fn sec_type(&self) -> &'static str {
        match self.kind {
            Kind::Stock => "STK",
            Kind::Option { .. } => "OPT",
        }
    }

    /// True for options.
    pub fn is_option(&self) -> bool {
        matches!(self.kind, Kind::Option { .. })
    }
}

/// Why a contract in a request did not resolve to one instrument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Nothing matches (IB error 200).
    #[error("No security definition has been found for the request")]
    NotFound,
    /// More than one series matches where one was needed (IB error 200
    /// with the "ambiguous" wording).
    #[error("The contract description specified for {0} is ambiguous.")]
    Ambiguous(String),
}

/// All instruments.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Underlying specs, in config order.
    pub underlyings: Vec<UnderlyingSpec>,
    /// Every instrument (underlyings first, then option series).
    pub instruments: Vec<Instrument>,
    by_con_id: HashMap<i32, usize>,
    /// Option series per underlying index.
    pub chains: HashMap<usize, Vec<usize>>,
}

/// OCC-style local symbol: root padded to 6, yymmdd, C/P, strike × 1000 in
/// 8 digits.
pub fn occ_symbol(root: &str, expiry: Date, right: OptionRight, strike: f64) -> String {
    let r = match right {
        OptionRight::Call => 'C',
        OptionRight::Put => 'P',
    };
    format!(
        "{root:<6}{:02}{:02}{:02}{r}{:08}",
        expiry.year() % 100,
        expiry.month(),
        expiry.day(),
        (strike * 1000.0).round() as i64
    )
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn parse_right(s: &str) -> Option<OptionRight> {
    match s.to_ascii_uppercase().as_str() {
        "C" | "CALL" => Some(OptionRight::Call),
        "P" | "PUT" => Some(OptionRight::Put),
        _ => None,
    }
}

/// The strike grid listed at start: `strikes_each_side` steps either side
/// of the strike nearest to `spot`.
pub fn strike_grid(spot: f64, chain: &OptionChainSpec) -> Vec<f64> {
    let atm = (spot / chain.strike_step).round() * chain.strike_step;
    let n = chain.strikes_each_side as i64;
    (-n..=n)
        .map(|k| atm + k as f64 * chain.strike_step)
        .filter(|k| *k > 0.0)
        .collect()
}

impl Registry {
    /// Builds the registry; `start_prices` are the underlyings' prices at
    /// the sim start (they centre the strike grids).
    pub fn new(underlyings: &[UnderlyingSpec], start_prices: &[f64]) -> Self {
        let mut instruments = Vec::new();
        let mut by_con_id = HashMap::new();
        for (i, u) in underlyings.iter().enumerate() {
            by_con_id.insert(u.con_id, instruments.len());
            instruments.push(Instrument {
                con_id: u.con_id,
                symbol: u.symbol.clone(),
                kind: Kind::Stock,
                underlying: i,
                local_symbol: u.symbol.clone(),
                multiplier: 1.0,
            });
        }
        let mut chains = HashMap::new();
        let mut next_id = OPTION_CON_ID_BASE;
        for (i, u) in underlyings.iter().enumerate() {
            let Some(chain) = &u.options else { continue };
            let spot = start_prices.get(i).copied().unwrap_or(match &u.prices {
                PriceSource::Generated { start_price, .. } => *start_price,
                PriceSource::Replay { bars, .. } => bars.first().map(|b| b.open).unwrap_or(1.0),
            });
            let mut series = Vec::new();
            for &expiry in &chain.expiries {
                for strike in strike_grid(spot, chain) {
                    for right in [OptionRight::Call, OptionRight::Put] {
                        by_con_id.insert(next_id, instruments.len());
                        series.push(instruments.len());
                        instruments.push(Instrument {
                            con_id: next_id,
                            symbol: u.symbol.clone(),
                            kind: Kind::Option {
                                expiry,
                                strike,
                                right,
                            },
                            underlying: i,
                            local_symbol: occ_symbol(&u.symbol, expiry, right, strike),
                            multiplier: chain.multiplier,
                        });
                        next_id += 1;
                    }
                }
            }
            chains.insert(i, series);
        }
        Registry {
            underlyings: underlyings.to_vec(),
            instruments,
            by_con_id,
            chains,
        }
    }

    /// Instrument by contract id.
    pub fn by_con_id(&self, con_id: i32) -> Option<usize> {
        self.by_con_id.get(&con_id).copied()
    }

    /// Every instrument matching a request contract (contract details).
    pub fn matching(&self, c: &msg::Contract) -> Vec<usize> {
        if let Some(id) = c.con_id.filter(|id| *id > 0) {
            return self.by_con_id(id).into_iter().collect();
        }
        let sym = c.symbol.as_deref().unwrap_or("").to_ascii_uppercase();
        let sec = c.sec_type.as_deref().unwrap_or("").to_ascii_uppercase();
        let local = c.local_symbol.as_deref().unwrap_or("");
        let expiry = c.last_trade_date_or_contract_month.as_deref().unwrap_or("");
        let strike = c.strike.filter(|k| *k > 0.0 && *k != f64::MAX);
        let right = c
            .right
            .as_deref()
            .filter(|r| !r.is_empty() && *r != "?")
            .map(parse_right);
        if matches!(right, Some(None)) {
            return Vec::new();
        }
        let right = right.flatten();
        let currency_ok = c
            .currency
            .as_deref()
            .is_none_or(|cur| cur.is_empty() || cur.eq_ignore_ascii_case("USD"));
        if !currency_ok {
            return Vec::new();
        }
        self.instruments
            .iter()
            .enumerate()
            .filter(|(_, ins)| {
                if !local.is_empty() && ins.local_symbol != local {
                    return false;
                }
                if !sym.is_empty() && ins.symbol != sym {
                    return false;
                }
                if sym.is_empty() && local.is_empty() {
                    return false;
                }
                match (&ins.kind, sec.as_str()) {
                    (Kind::Stock, "STK" | "") => true,
                    (
                        Kind::Option {
                            expiry: e,
                            strike: k,
                            right: r,
                        },
                        "OPT",
                    ) => {
                        let ymd = ymd(*e);
                        (expiry.is_empty() || ymd.starts_with(expiry))
                            && strike.is_none_or(|s| (s - k).abs() < 1e-6)
                            && right.is_none_or(|want| want == *r)
                    }
                    _ => false,
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Exactly one instrument for a market-data or order request.
    pub fn resolve(&self, c: &msg::Contract) -> Result<usize, ResolveError> {
        let found = self.matching(c);
        match found.as_slice() {
            [] => Err(ResolveError::NotFound),
            [one] => Ok(*one),
            _ => Err(ResolveError::Ambiguous(
                c.symbol.clone().unwrap_or_default(),
            )),
        }
    }

    /// The contract as TWS echoes it in responses.
    pub fn contract_proto(&self, i: usize) -> msg::Contract {
        let Some(ins) = self.instruments.get(i) else {
            return msg::Contract::default();
        };
        let u = &self.underlyings[ins.underlying];
        match &ins.kind {
            Kind::Stock => msg::Contract {
                con_id: Some(ins.con_id),
                symbol: Some(ins.symbol.clone()),
                sec_type: Some("STK".into()),
                exchange: Some("SMART".into()),
                primary_exch: Some(u.primary_exchange.clone()),
                currency: Some("USD".into()),
                local_symbol: Some(ins.local_symbol.clone()),
                trading_class: Some(ins.symbol.clone()),
                ..Default::default()
            },
            Kind::Option {
                expiry,
                strike,
                right,
            } => msg::Contract {
                con_id: Some(ins.con_id),
                symbol: Some(ins.symbol.clone()),
                sec_type: Some("OPT".into()),
                last_trade_date_or_contract_month: Some(ymd(*expiry)),
                last_trade_date: Some(ymd(*expiry)),
                strike: Some(*strike),
                right: Some(
                    if *right == OptionRight::Call {
                        "C"
                    } else {
                        "P"
                    }
                    .into(),
                ),
                multiplier: Some(ins.multiplier),
                exchange: Some("SMART".into()),
                currency: Some("USD".into()),
                local_symbol: Some(ins.local_symbol.clone()),
                trading_class: Some(ins.symbol.clone()),
                ..Default::default()
            },
        }
    }

    /// Contract details for one instrument.
    pub fn details_proto(&self, i: usize) -> msg::ContractDetails {
        let Some(ins) = self.instruments.get(i) else {
            return msg::ContractDetails::default();
        };
        let u = &self.underlyings[ins.underlying];
        let session = |d: Date| format!("{0}:0930-{0}:1600", ymd(d));
        match &ins.kind {
            Kind::Stock => msg::ContractDetails {
                market_name: Some(ins.symbol.clone()),
                min_tick: Some("0.01".into()),
                order_types: Some("ACTIVETIM,AD,ALERT,ALLOC,AON,DAY,GTC,IOC,LIT,LMT,MIT,MKT,MOC,OCA,STP,STPLMT,TRAIL".into()),
                valid_exchanges: Some(format!("SMART,{},NYSE,NASDAQ,BATS,IEX", u.primary_exchange)),
                price_magnifier: Some(1),
                long_name: Some(u.long_name.clone()),
                time_zone_id: Some(timefmt::ZONE_NAME.into()),
                trading_hours: Some("simulated: continuous".into()),
                liquid_hours: Some("simulated: continuous".into()),
                agg_group: Some(1),
                market_rule_ids: Some("26,26,26,26,26".into()),
                stock_type: Some(u.stock_type.clone()),
                min_size: Some("1".into()),
                size_increment: Some("1".into()),
                suggested_size_increment: Some("100".into()),
                ..Default::default()
            },
            Kind::Option { expiry, .. } => msg::ContractDetails {
                market_name: Some(ins.symbol.clone()),
                min_tick: Some("0.01".into()),
                order_types: Some("ACTIVETIM,AD,ALERT,ALLOC,AON,DAY,GTC,IOC,LMT,MKT,OCA,STP,STPLMT".into()),
                valid_exchanges: Some("SMART,CBOE,AMEX,ISE,PHLX,BOX,MIAX".into()),
                price_magnifier: Some(1),
                under_con_id: Some(u.con_id),
                long_name: Some(u.long_name.clone()),
                contract_month: Some(format!("{:04}{:02}", expiry.year(), expiry.month())),
                time_zone_id: Some(timefmt::ZONE_NAME.into()),
                trading_hours: Some(session(*expiry)),
                liquid_hours: Some(session(*expiry)),
                agg_group: Some(2),
                under_symbol: Some(u.symbol.clone()),
                under_sec_type: Some("STK".into()),
                market_rule_ids: Some("32,32,32,32,32,32,32".into()),
                real_expiration_date: Some(ymd(*expiry)),
                min_size: Some("1".into()),
                size_increment: Some("1".into()),
                suggested_size_increment: Some("1".into()),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    #[test]
    fn occ_symbol_layout() {
        let d = Date::new(2025, 4, 18).unwrap();
        assert_eq!(
            occ_symbol("SPY", d, OptionRight::Call, 560.0),
            "SPY   250418C00560000"
        );
        assert_eq!(
            occ_symbol("SPY", d, OptionRight::Put, 0.5),
            "SPY   250418P00000500"
        );
    }

    #[test]
    fn resolves_stocks_and_option_series() {
        let cfg = SimConfig::default();
        let reg = Registry::new(&cfg.underlyings, &[560.0, 480.0]);
        let spy = reg.resolve(&msg::Contract {
            symbol: Some("SPY".into()),
            sec_type: Some("STK".into()),
            ..Default::default()
        });
        assert_eq!(spy.map(|i| reg.instruments[i].con_id), Ok(756_733));
        // 4 expiries x 21 strikes x 2 rights.
        assert_eq!(reg.chains[&0].len(), 4 * 21 * 2);
        let expiry = cfg.underlyings[0].options.as_ref().unwrap().expiries[0];
        let c = msg::Contract {
            symbol: Some("SPY".into()),
            sec_type: Some("OPT".into()),
            last_trade_date_or_contract_month: Some(ymd(expiry)),
            strike: Some(560.0),
            right: Some("C".into()),
            ..Default::default()
        };
        let i = reg.resolve(&c).unwrap();
        assert_eq!(
            reg.instruments[i].kind,
            Kind::Option {
                expiry,
                strike: 560.0,
                right: OptionRight::Call
            }
        );
        // Without the right both series match: ambiguous for an order.
        let both = msg::Contract {
            right: None,
            ..c.clone()
        };
        assert_eq!(reg.matching(&both).len(), 2);
        assert!(matches!(
            reg.resolve(&both),
            Err(ResolveError::Ambiguous(_))
        ));
        let none = msg::Contract {
            strike: Some(561.0),
            ..c
        };
        assert_eq!(reg.resolve(&none), Err(ResolveError::NotFound));
    }
}
