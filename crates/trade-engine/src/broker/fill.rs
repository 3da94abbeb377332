//! The fill model: at what price, if any, a working order trades against a
//! bar. Pure functions of (order, bar, config), so each rule is testable on
//! its own.
//!
//! Conventions (those of backtrader and backtesting.py):
//! - a market order decided at a bar's close fills at the **next bar's
//!   open** (or, configurable, its close);
//! - a limit order fills when the bar's range touches the limit, at the
//!   better of the open and the limit (a gap through the limit fills at the
//!   open);
//! - a stop triggers when the range touches the stop and fills at the
//!   worse of the open and the stop (a gap through the stop fills at the
//!   open), then slips like a market order;
//! - a stop-limit triggers like a stop and then behaves as a limit; once
//!   triggered it stays triggered on later bars;
//! - slippage moves market and stop fills by `slippage_bps` against the
//!   trader; limit fills never slip past their limit;
//! - fill prices are rounded to the instrument's tick (to the nearest tick,
//!   then any slippage rounds against the trader).

use serde::{Deserialize, Serialize};
use trade_core::{Bar, OrderType, Price, Side, TickRounding};

/// Which price of the next bar a market order gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketFill {
    /// The next bar's open (default).
    #[default]
    NextOpen,
    /// The next bar's close.
    NextClose,
}

/// Fill model configuration (`[fill]` in config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FillConfig {
    /// Price of the next bar that market orders get.
    pub market: MarketFill,
    /// Slippage against the trader on market and stop fills, in basis points.
    pub slippage_bps: f64,
    /// At most this fraction of a bar's volume fills per bar (across all
    /// orders on the instrument); the rest carries to later bars. `None`:
    /// no cap.
    pub volume_cap: Option<f64>,
}

impl Default for FillConfig {
    fn default() -> Self {
        FillConfig {
            market: MarketFill::NextOpen,
            slippage_bps: 0.0,
            volume_cap: None,
        }
    }
}

impl FillConfig {
    /// Checks ranges.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.slippage_bps.is_finite() && (0.0..=1000.0).contains(&self.slippage_bps)) {
            return Err(format!(
                "fill.slippage_bps must be in [0, 1000], got {}",
                self.slippage_bps
            ));
        }
        if let Some(c) = self.volume_cap
            && !(c.is_finite() && c > 0.0 && c <= 1.0)
        {
            return Err(format!("fill.volume_cap must be in (0, 1], got {c}"));
        }
        Ok(())
    }
}

/// The outcome of matching one order against one bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Trade price (before tick rounding and slippage are applied by
    /// [`finalize_price`]).
    pub price: Price,
    /// Whether the price is a market-like price that slips.
    pub slips: bool,
    /// Whether a stop triggered on this bar (so it stays triggered).
    pub triggered: bool,
}

/// Whether and at what raw price an order trades against `bar`.
/// `triggered` says whether a stop(-limit) triggered on an earlier bar.
/// Returns the match, or `Err(true)` if a stop triggered but the limit did
/// not fill, `Err(false)` if nothing happened.
pub fn match_order(
    order_type: OrderType,
    side: Side,
    triggered: bool,
    bar: &Bar,
    market: MarketFill,
) -> Result<Match, bool> {
    let limit_fill = |limit: Price, from_open: bool| -> Option<Price> {
        match side {
            Side::Buy if from_open && bar.open <= limit => Some(bar.open),
            Side::Buy if bar.low <= limit => Some(limit),
            Side::Sell if from_open && bar.open >= limit => Some(bar.open),
            Side::Sell if bar.high >= limit => Some(limit),
            _ => None,
        }
    };
    // Where a stop triggers: Some(true) at the open (gap), Some(false) intrabar.
    let stop_trigger = |stop: Price| -> Option<bool> {
        match side {
            Side::Buy if bar.open >= stop => Some(true),
            Side::Buy if bar.high >= stop => Some(false),
            Side::Sell if bar.open <= stop => Some(true),
            Side::Sell if bar.low <= stop => Some(false),
            _ => None,
        }
    };
    match order_type {
        OrderType::Market => {
            let price = match market {
                MarketFill::NextOpen => bar.open,
                MarketFill::NextClose => bar.close,
            };
            Ok(Match {
                price,
                slips: true,
                triggered: false,
            })
        }
        OrderType::Limit { limit } => limit_fill(limit, true)
            .map(|price| Match {
                price,
                slips: false,
                triggered: false,
            })
            .ok_or(false),
        OrderType::Stop { stop } => {
            if triggered {
                return Ok(Match {
                    price: bar.open,
                    slips: true,
                    triggered: true,
                });
            }
            match stop_trigger(stop) {
                Some(true) => Ok(Match {
                    price: bar.open,
                    slips: true,
                    triggered: true,
                }),
                Some(false) => Ok(Match {
                    price: stop,
                    slips: true,
                    triggered: true,
                }),
                None => Err(false),
            }
        }
        OrderType::StopLimit { stop, limit } => {
            let at_open = if triggered {
                true
            } else {
                match stop_trigger(stop) {
                    Some(gap) => gap,
                    None => return Err(false),
                }
            };
            if at_open {
                return limit_fill(limit, true)
                    .map(|price| Match {
                        price,
                        slips: false,
                        triggered: true,
                    })
                    .ok_or(true);
            }
            // Triggered intrabar at the stop: the limit is marketable there
            // if it is at least as good as the stop; otherwise the price
            // must come back to the limit within the same bar.
            let price = match side {
                Side::Buy if limit >= stop => Some(stop),
                Side::Sell if limit <= stop => Some(stop),
                _ => limit_fill(limit, false),
            };
            price
                .map(|price| Match {
                    price,
                    slips: false,
                    triggered: true,
                })
                .ok_or(true)
        }
    }
}

/// Rounds a matched price to the tick and applies slippage against the
/// trader. Limit prices are already on the tick and do not slip.
pub fn finalize_price(m: Match, side: Side, tick: Price, slippage_bps: f64) -> Price {
    let base = m.price.round_to_tick(tick, TickRounding::Nearest);
    if !m.slips || slippage_bps == 0.0 {
        return base;
    }
    // Exact integer arithmetic; slippage resolves to 0.01 bp (1 ppm).
    let ppm = (slippage_bps * 100.0).round() as i64;
    let slipped = base.offset_ppm(side.sign() * ppm);
    let mode = match side {
        Side::Buy => TickRounding::Up,
        Side::Sell => TickRounding::Down,
    };
    slipped.round_to_tick(tick, mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_core::{InstrumentId, Timestamp};

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn bar(o: &str, h: &str, l: &str, c: &str) -> Bar {
        Bar {
            instrument: InstrumentId(0),
            ts: Timestamp::from_secs(0),
            open: p(o),
            high: p(h),
            low: p(l),
            close: p(c),
            volume: 1000,
        }
    }

    #[test]
    fn match_table() {
        let b = bar("100", "105", "95", "102");
        let gap_up = bar("110", "112", "108", "111");
        let gap_down = bar("90", "92", "88", "91");
        let mk = MarketFill::NextOpen;
        type Case = (
            &'static str,
            OrderType,
            Side,
            bool,
            Bar,
            Result<(Price, bool), bool>,
        );
        let cases: Vec<Case> = vec![
            (
                "market buy at open",
                OrderType::Market,
                Side::Buy,
                false,
                b,
                Ok((p("100"), true)),
            ),
            (
                "buy limit touched",
                OrderType::Limit { limit: p("96") },
                Side::Buy,
                false,
                b,
                Ok((p("96"), false)),
            ),
            (
                "buy limit not touched",
                OrderType::Limit { limit: p("94") },
                Side::Buy,
                false,
                b,
                Err(false),
            ),
            (
                "buy limit gap down fills at open",
                OrderType::Limit { limit: p("96") },
                Side::Buy,
                false,
                gap_down,
                Ok((p("90"), false)),
            ),
            (
                "sell limit gap up fills at open",
                OrderType::Limit { limit: p("104") },
                Side::Sell,
                false,
                gap_up,
                Ok((p("110"), false)),
            ),
            (
                "sell limit touched",
                OrderType::Limit { limit: p("104") },
                Side::Sell,
                false,
                b,
                Ok((p("104"), false)),
            ),
            (
                "buy stop intrabar",
                OrderType::Stop { stop: p("103") },
                Side::Buy,
                false,
                b,
                Ok((p("103"), true)),
            ),
            (
                "buy stop gap up at open",
                OrderType::Stop { stop: p("103") },
                Side::Buy,
                false,
                gap_up,
                Ok((p("110"), true)),
            ),
            (
                "sell stop gap down at open",
                OrderType::Stop { stop: p("97") },
                Side::Sell,
                false,
                gap_down,
                Ok((p("90"), true)),
            ),
            (
                "sell stop not reached",
                OrderType::Stop { stop: p("94") },
                Side::Sell,
                false,
                b,
                Err(false),
            ),
            (
                "buy stop-limit intrabar, limit above stop",
                OrderType::StopLimit {
                    stop: p("103"),
                    limit: p("104"),
                },
                Side::Buy,
                false,
                b,
                Ok((p("103"), false)),
            ),
            (
                "buy stop-limit gap above limit: triggered, unfilled",
                OrderType::StopLimit {
                    stop: p("103"),
                    limit: p("104"),
                },
                Side::Buy,
                false,
                gap_up,
                Err(true),
            ),
            (
                "triggered stop-limit later fills as limit",
                OrderType::StopLimit {
                    stop: p("103"),
                    limit: p("104"),
                },
                Side::Buy,
                true,
                b,
                Ok((p("100"), false)),
            ),
            (
                "sell stop-limit gap down, limit touched later in bar",
                OrderType::StopLimit {
                    stop: p("97"),
                    limit: p("91"),
                },
                Side::Sell,
                false,
                gap_down,
                Ok((p("91"), false)),
            ),
        ];
        for (name, ot, side, trig, bar, want) in cases {
            let got = match_order(ot, side, trig, &bar, mk).map(|m| (m.price, m.slips));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn slippage_against_trader_and_tick_rounding() {
        let tick = Price::from_cents(1);
        let m = Match {
            price: p("100.004"),
            slips: true,
            triggered: false,
        };
        assert_eq!(finalize_price(m, Side::Buy, tick, 0.0), p("100"));
        assert_eq!(finalize_price(m, Side::Buy, tick, 5.0), p("100.05"));
        assert_eq!(finalize_price(m, Side::Sell, tick, 5.0), p("99.95"));
        let lim = Match {
            price: p("96"),
            slips: false,
            triggered: false,
        };
        assert_eq!(finalize_price(lim, Side::Buy, tick, 50.0), p("96"));
    }
}
