//! One-off NYSE decisions that no annual rule produces: unscheduled full-day
//! closures and ad hoc early closes, as announced by the exchange.

use jiff::civil::{Date, Time, date, time};

use crate::rules::{Closure, EarlyClose};

const fn closed(date: Date, reason: &'static str) -> Closure {
    Closure { date, reason }
}

const fn early(date: Date, close: Time) -> EarlyClose {
    EarlyClose { date, close }
}

/// Unscheduled full-day closures, in date order.
pub(crate) const CLOSURES: &[Closure] = &[
    closed(
        date(1994, 4, 27),
        "National Day of Mourning for President Richard Nixon",
    ),
    // The exchange stayed shut from the attacks until Monday, September 17.
    closed(date(2001, 9, 11), "September 11 attacks"),
    closed(date(2001, 9, 12), "September 11 attacks"),
    closed(date(2001, 9, 13), "September 11 attacks"),
    closed(date(2001, 9, 14), "September 11 attacks"),
    closed(
        date(2004, 6, 11),
        "National Day of Mourning for President Ronald Reagan",
    ),
    closed(
        date(2007, 1, 2),
        "National Day of Mourning for President Gerald R. Ford",
    ),
    closed(date(2012, 10, 29), "Hurricane Sandy"),
    closed(date(2012, 10, 30), "Hurricane Sandy"),
    closed(
        date(2018, 12, 5),
        "National Day of Mourning for President George H. W. Bush",
    ),
    closed(
        date(2025, 1, 9),
        "National Day of Mourning for President Jimmy Carter",
    ),
];

/// Ad hoc early closes, in date order.
pub(crate) const EARLY_CLOSES: &[EarlyClose] = &[
    // Fridays after a Thursday Christmas. Not a rule: the Fridays of 2008,
    // 2014 and 2025 in the same position were full days.
    early(date(1997, 12, 26), time(13, 0, 0, 0)),
    // New Year's Eve 1999 (the Y2K rollover).
    early(date(1999, 12, 31), time(13, 0, 0, 0)),
    early(date(2003, 12, 26), time(13, 0, 0, 0)),
];

#[cfg(test)]
mod tests {
    use jiff::civil::Weekday;

    use super::*;
    use crate::{FIRST_YEAR, LAST_YEAR};

    #[test]
    fn tables_are_sorted_weekdays_in_range() {
        let dates = || {
            CLOSURES
                .iter()
                .map(|c| c.date)
                .chain(EARLY_CLOSES.iter().map(|e| e.date))
        };
        for d in dates() {
            assert!((FIRST_YEAR..=LAST_YEAR).contains(&d.year()), "{d}");
            assert!(
                !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
                "{d}"
            );
        }
        assert!(CLOSURES.windows(2).all(|w| w[0].date < w[1].date));
        assert!(EARLY_CLOSES.windows(2).all(|w| w[0].date < w[1].date));
    }
}
