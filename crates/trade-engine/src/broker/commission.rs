//! Commission models. Charges are computed per *order* (IB applies its
//! minimum and maximum per order) and booked per execution as the increase
//! of the order's total, so partial fills add up exactly to the per-order
//! formula.

use serde::{Deserialize, Serialize};
use trade_core::Money;

/// Parts per billion, the integer form of configured rates, so commission
/// arithmetic stays exact and deterministic.
const PPB: i64 = 1_000_000_000;

fn to_ppb(rate: f64) -> i64 {
    (rate * PPB as f64).round() as i64
}

/// How commissions are charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommissionModel {
    /// No commission.
    None,
    /// A flat amount per order, charged on its first execution.
    PerOrder {
        /// Dollars per order.
        amount: Money,
    },
    /// IB "fixed" style: a rate per share (or contract) with a per-order
    /// minimum and an optional maximum as a fraction of the trade value.
    PerShare {
        /// Dollars per unit, e.g. 0.005.
        rate: Money,
        /// Per-order minimum, e.g. 1.00.
        #[serde(default)]
        min: Money,
        /// Per-order maximum as a fraction of trade value, e.g. 0.01.
        #[serde(default)]
        max_pct: Option<f64>,
    },
    /// A fraction of the traded notional, e.g. 0.001 for 10 bps.
    Percent {
        /// Fraction of notional.
        rate: f64,
    },
}

impl Default for CommissionModel {
    /// IB Pro fixed pricing for US stocks: $0.005/share, $1.00 minimum,
    /// 1% of trade value maximum.
    fn default() -> Self {
        CommissionModel::PerShare {
            rate: Money::from_raw(500_000),
            min: Money::from_dollars(1),
            max_pct: Some(0.01),
        }
    }
}

impl CommissionModel {
    /// Checks the parameters (non-negative, fractions in range).
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            CommissionModel::None => Ok(()),
            CommissionModel::PerOrder { amount } if amount.is_negative() => {
                Err("commission.amount must not be negative".into())
            }
            CommissionModel::PerShare { rate, min, max_pct } => {
                if rate.is_negative() || min.is_negative() {
                    return Err("commission.rate and commission.min must not be negative".into());
                }
                match max_pct {
                    Some(p) if !(p.is_finite() && *p > 0.0 && *p <= 1.0) => {
                        Err(format!("commission.max_pct must be in (0, 1], got {p}"))
                    }
                    _ => Ok(()),
                }
            }
            CommissionModel::Percent { rate }
                if !(rate.is_finite() && (0.0..=0.1).contains(rate)) =>
            {
                Err(format!(
                    "commission.rate must be a fraction in [0, 0.1], got {rate}"
                ))
            }
            _ => Ok(()),
        }
    }

    /// Total commission of an order that has executed `units` units for a
    /// total notional of `notional` so far.
    pub fn order_total(&self, units: u64, notional: Money) -> Money {
        if units == 0 {
            return Money::ZERO;
        }
        match self {
            CommissionModel::None => Money::ZERO,
            CommissionModel::PerOrder { amount } => *amount,
            CommissionModel::PerShare { rate, min, max_pct } => {
                let units = i64::try_from(units).unwrap_or(i64::MAX);
                let base = Money::from_raw(rate.raw().saturating_mul(units)).max(*min);
                match max_pct {
                    // The cap is applied last, so on tiny trades it wins over
                    // the minimum (IB: "maximum per order 1% of trade value").
                    Some(p) => base.min(notional.abs().mul_div(to_ppb(*p), PPB)),
                    None => base,
                }
            }
            CommissionModel::Percent { rate } => notional.abs().mul_div(to_ppb(*rate), PPB),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ib_fixed_worked_examples() {
        // IB's published examples for US stocks, fixed pricing:
        // 100 shares at $25: 100 * 0.005 = 0.50 -> minimum 1.00.
        // 1,000 shares at $25: 5.00. 1,000 shares at $0.25 (value $250):
        // 5.00 capped at 1% of value = 2.50.
        let m = CommissionModel::default();
        assert_eq!(
            m.order_total(100, Money::from_dollars(2_500)),
            Money::from_dollars(1)
        );
        assert_eq!(
            m.order_total(1_000, Money::from_dollars(25_000)),
            Money::from_dollars(5)
        );
        assert_eq!(
            m.order_total(1_000, Money::from_dollars(250)),
            "2.50".parse().unwrap()
        );
        // Cap below the minimum: 100 shares at $0.25 -> 1% of $25.
        assert_eq!(
            m.order_total(100, Money::from_dollars(25)),
            "0.25".parse().unwrap()
        );
    }

    #[test]
    fn percent_and_per_order() {
        let p = CommissionModel::Percent { rate: 0.001 };
        assert_eq!(
            p.order_total(10, Money::from_dollars(4_123)),
            "4.123".parse().unwrap()
        );
        let o = CommissionModel::PerOrder {
            amount: Money::from_dollars(2),
        };
        assert_eq!(
            o.order_total(1, Money::from_dollars(1)),
            Money::from_dollars(2)
        );
        assert_eq!(o.order_total(0, Money::ZERO), Money::ZERO);
    }

    #[test]
    fn validation() {
        assert!(CommissionModel::Percent { rate: -0.1 }.validate().is_err());
        assert!(
            CommissionModel::PerShare {
                rate: Money::ZERO,
                min: Money::ZERO,
                max_pct: Some(2.0)
            }
            .validate()
            .is_err()
        );
        assert!(CommissionModel::default().validate().is_ok());
    }
}
