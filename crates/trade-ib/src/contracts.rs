//! Our instruments and orders in IB's terms, and IB's reports in ours.
//! Everything the broker sends is checked here: a NaN, negative or
//! non-integral quantity or price becomes an error naming the field, never
//! a number in the portfolio.

use ibapi::contracts::{
    ComboLeg, ComboLegOpenClose, Contract, LegAction, OptionRight, SecurityType,
};
use ibapi::orders::{Action, ExecutionSide, Order, TimeInForce as IbTif};
use trade_core::{Instrument, InstrumentKind, OrderType, Price, Qty, Side, TimeInForce, Timestamp};
use trade_live::adapter::OutboundOrder;
use trade_options::occ::OccSymbol;

/// A value from the broker that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct BadField {
    /// Which field.
    pub field: &'static str,
    /// What was wrong.
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> BadField {
    BadField {
        field,
        problem: problem.into(),
    }
}

/// A positive, finite price.
pub fn price(field: &'static str, x: f64) -> Result<Price, BadField> {
    if !x.is_finite() || x <= 0.0 {
        return Err(bad(field, format!("{x} is not a positive price")));
    }
    Price::from_f64(x).ok_or_else(|| bad(field, format!("{x} is out of range")))
}

/// A whole, non-negative quantity.
pub fn quantity(field: &'static str, x: f64) -> Result<Qty, BadField> {
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 || x > 1e12 {
        return Err(bad(
            field,
            format!("{x} is not a whole non-negative quantity"),
        ));
    }
    Ok(Qty::new(x as u64))
}

/// The contract of an instrument (stocks and ETFs on SMART in USD;
/// options by their terms).
pub fn contract(instrument: &Instrument) -> Contract {
    match &instrument.kind {
        InstrumentKind::Option(t) => Contract {
            symbol: t.underlying.as_str().into(),
            security_type: SecurityType::Option,
            last_trade_date_or_contract_month: t.expiry.strftime("%Y%m%d").to_string(),
            strike: t.strike.to_f64(),
            right: Some(match t.right {
                trade_core::OptionRight::Call => OptionRight::Call,
                trade_core::OptionRight::Put => OptionRight::Put,
            }),
            multiplier: instrument.multiplier.to_string(),
            exchange: "SMART".into(),
            currency: "USD".into(),
            ..Default::default()
        },
        _ => Contract::stock(instrument.symbol.as_str()).build(),
    }
}

/// The BAG contract of a combination: `legs` are (contract id, signed ratio).
pub fn bag(underlying: &str, legs: &[(i32, i32)]) -> Contract {
    Contract {
        symbol: underlying.into(),
        security_type: SecurityType::Spread,
        currency: "USD".into(),
        exchange: "SMART".into(),
        combo_legs: legs
            .iter()
            .map(|&(contract_id, ratio)| ComboLeg {
                contract_id,
                ratio: ratio.abs(),
                action: if ratio > 0 {
                    LegAction::Buy
                } else {
                    LegAction::Sell
                },
                exchange: "SMART".into(),
                open_close: ComboLegOpenClose::Same,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The IB order for an outbound order: type, prices, time in force, the
/// local id in `orderRef`, the account when configured; combinations are
/// all-or-none.
pub fn order(o: &OutboundOrder, account: Option<&str>) -> Order {
    let intent = &o.order.intent;
    let (order_type, limit, stop) = match intent.order_type {
        OrderType::Market => ("MKT", None, None),
        OrderType::Limit { limit } => ("LMT", Some(limit), None),
        OrderType::Stop { stop } => ("STP", None, Some(stop)),
        OrderType::StopLimit { stop, limit } => ("STP LMT", Some(limit), Some(stop)),
    };
    Order {
        action: match intent.side {
            Side::Buy => Action::Buy,
            Side::Sell => Action::Sell,
        },
        total_quantity: intent.qty.get() as f64,
        order_type: order_type.into(),
        limit_price: limit.map(Price::to_f64),
        aux_price: stop.map(Price::to_f64),
        tif: match intent.tif {
            TimeInForce::Day => IbTif::Day,
            TimeInForce::Gtc => IbTif::GoodTillCanceled,
        },
        order_ref: o.local_id.order_ref(),
        account: account.unwrap_or_default().to_string(),
        all_or_none: !o.legs.is_empty(),
        transmit: true,
        ..Default::default()
    }
}

/// Our instrument key for an IB contract: the symbol for stocks and ETFs,
/// the padded OCC symbol for options, `BAG:<symbol>` for combinations.
///
/// # Errors
/// An option whose expiry, strike or right cannot be read.
pub fn instrument_key(c: &Contract) -> Result<String, BadField> {
    match c.security_type {
        SecurityType::Option => {
            let date = c.last_trade_date_or_contract_month.get(..8).unwrap_or("");
            let expiry = jiff::civil::Date::strptime("%Y%m%d", date).map_err(|e| {
                bad(
                    "contract.lastTradeDateOrContractMonth",
                    format!("{date:?}: {e}"),
                )
            })?;
            let right = match c.right {
                Some(OptionRight::Call) => trade_core::OptionRight::Call,
                Some(OptionRight::Put) => trade_core::OptionRight::Put,
                None => return Err(bad("contract.right", "missing on an option")),
            };
            let strike = price("contract.strike", c.strike)?;
            let terms = trade_core::OptionTerms {
                underlying: trade_core::Symbol::new(c.symbol.as_str())
                    .map_err(|e| bad("contract.symbol", e.to_string()))?,
                expiry,
                strike,
                right,
                style: trade_core::ExerciseStyle::American,
                settlement: trade_core::Settlement::Physical,
            };
            OccSymbol::from_terms(&terms)
                .map(|s| s.to_string())
                .map_err(|e| bad("contract", e.to_string()))
        }
        SecurityType::Spread => Ok(format!("BAG:{}", c.symbol.as_str())),
        _ => Ok(c.symbol.as_str().to_string()),
    }
}

/// The side of an execution.
pub fn side(s: &ExecutionSide) -> Side {
    match s {
        ExecutionSide::Bought => Side::Buy,
        ExecutionSide::Sold => Side::Sell,
    }
}

/// An order's side from IB's action.
pub fn action_side(a: &Action) -> Side {
    match a {
        Action::Buy => Side::Buy,
        _ => Side::Sell,
    }
}

/// IB's execution time (`yyyymmdd hh:mm:ss` and a zone name, or UTC
/// epoch seconds); `None` when unreadable.
pub fn execution_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Some(Timestamp::from_secs(secs));
    }
    let (stamp, zone) = match text.get(17..) {
        Some(rest) => (&text[..17], rest.trim()),
        None => (text, ""),
    };
    let civil = jiff::civil::DateTime::strptime("%Y%m%d %H:%M:%S", stamp.replace('-', " ")).ok()?;
    let tz = match zone {
        "" | "UTC" | "GMT" => jiff::tz::TimeZone::UTC,
        "US/Eastern" | "EST" | "EDT" | "EST5EDT" => {
            jiff::tz::TimeZone::get("America/New_York").ok()?
        }
        other => jiff::tz::TimeZone::get(other).ok()?,
    };
    let ts = civil.to_zoned(tz).ok()?.timestamp();
    Timestamp::from_jiff(ts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_core::{ClientOrderId, Order as CoreOrder, OrderIntent, OrderStatus, StrategyId};
    use trade_journal::LocalOrderId;

    fn outbound(order_type: OrderType, tif: TimeInForce) -> OutboundOrder {
        let spy = Instrument::etf(trade_core::Symbol::new("SPY").unwrap());
        OutboundOrder {
            local_id: LocalOrderId(42),
            order: CoreOrder {
                id: ClientOrderId(7),
                broker_id: None,
                strategy: StrategyId("s".into()),
                intent: OrderIntent {
                    instrument: trade_core::InstrumentId(0),
                    side: Side::Sell,
                    qty: Qty::new(30),
                    order_type,
                    tif,
                    tag: "t".into(),
                },
                created: Timestamp::from_secs(0),
                status: OrderStatus::Working,
                filled: Qty::ZERO,
                triggered: false,
                closed: None,
                reason: None,
            },
            instrument: spy,
            legs: Vec::new(),
        }
    }

    #[test]
    fn every_order_type_maps_to_ibs_fields_with_the_local_id_in_order_ref() {
        let p = |s: &str| s.parse::<Price>().unwrap();
        let cases = [
            (OrderType::Market, "MKT", None, None),
            (
                OrderType::Limit { limit: p("501.25") },
                "LMT",
                Some(501.25),
                None,
            ),
            (OrderType::Stop { stop: p("490") }, "STP", None, Some(490.0)),
            (
                OrderType::StopLimit {
                    stop: p("490"),
                    limit: p("489.5"),
                },
                "STP LMT",
                Some(489.5),
                Some(490.0),
            ),
        ];
        for (t, name, limit, aux) in cases {
            let o = order(&outbound(t, TimeInForce::Gtc), Some("DU1234567"));
            assert_eq!(o.order_type, name);
            assert_eq!((o.limit_price, o.aux_price), (limit, aux), "{name}");
            assert_eq!(o.action, Action::Sell);
            assert_eq!(o.total_quantity, 30.0);
            assert_eq!(o.tif, IbTif::GoodTillCanceled);
            assert_eq!(o.order_ref, "trade-42");
            assert_eq!(o.account, "DU1234567");
            assert!(!o.all_or_none);
        }
        assert_eq!(
            order(&outbound(OrderType::Market, TimeInForce::Day), None).tif,
            IbTif::Day
        );
    }

    #[test]
    fn option_contracts_round_trip_through_the_occ_key() {
        let occ = OccSymbol::parse("SPY   250321C00560000").unwrap();
        let terms = occ.terms(
            trade_core::ExerciseStyle::American,
            trade_core::Settlement::Physical,
        );
        let ins = Instrument {
            symbol: trade_core::Symbol::new(&occ.to_string()).unwrap(),
            kind: InstrumentKind::Option(terms),
            tick_size: "0.01".parse().unwrap(),
            multiplier: 100,
        };
        let c = contract(&ins);
        assert_eq!(c.security_type, SecurityType::Option);
        assert_eq!(c.last_trade_date_or_contract_month, "20250321");
        assert_eq!(
            (c.strike, c.right, c.multiplier.as_str()),
            (560.0, Some(OptionRight::Call), "100")
        );
        assert_eq!(instrument_key(&c).unwrap(), "SPY   250321C00560000");
        assert_eq!(
            instrument_key(&Contract::stock("QQQ").build()).unwrap(),
            "QQQ"
        );
    }

    #[test]
    fn broker_numbers_are_checked() {
        assert!(price("price", f64::NAN).is_err());
        assert!(price("price", -1.0).is_err());
        assert!(price("price", 0.0).is_err());
        assert_eq!(price("price", 558.51).unwrap(), "558.51".parse().unwrap());
        assert!(quantity("shares", 1.5).is_err());
        assert!(quantity("shares", -3.0).is_err());
        assert!(quantity("shares", f64::INFINITY).is_err());
        let e = quantity("execution.shares", f64::NAN)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("execution.shares:"), "{e}");
        assert_eq!(quantity("shares", 100.0).unwrap(), Qty::new(100));
    }

    #[test]
    fn execution_times_in_ibs_renderings() {
        // 2025-03-18 09:30:01 New York (EDT) = 13:30:01 UTC.
        let want = Timestamp::from_secs(1_742_304_601);
        assert_eq!(execution_time("20250318 09:30:01 US/Eastern"), Some(want));
        assert_eq!(execution_time("20250318-13:30:01"), Some(want));
        assert_eq!(execution_time("20250318 13:30:01 UTC"), Some(want));
        assert_eq!(execution_time("1742304601"), Some(want));
        assert_eq!(execution_time("yesterday"), None);
    }
}
