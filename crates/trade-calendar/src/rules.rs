//! Recurring NYSE rules: the annual holidays with the exchange's weekend
//! observance, and the regular early closes, each with the years it applied.
//!
//! Only years in `FIRST_YEAR..=LAST_YEAR` are ever asked for, so every date
//! built here is valid by construction (no holiday is shifted across a month
//! boundary).

use jiff::civil::{Date, Time, Weekday, date, time};

/// Regular opening bell, New York time.
pub(crate) const OPEN: Time = time(9, 30, 0, 0);
/// Regular closing bell, New York time.
pub(crate) const CLOSE: Time = time(16, 0, 0, 0);

/// A weekday on which the exchange is closed all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closure {
    pub(crate) date: Date,
    pub(crate) reason: &'static str,
}

/// A weekday on which the exchange closes before [`CLOSE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EarlyClose {
    pub(crate) date: Date,
    pub(crate) close: Time,
}

/// How a fixed-date holiday falling on a weekend is observed.
#[derive(Debug, Clone, Copy)]
enum Weekend {
    /// Saturday → the Friday before, Sunday → the Monday after.
    NearestWeekday,
    /// Sunday → the Monday after; Saturday → not observed at all. NYSE Rule
    /// 7.2 lets the exchange stay open on the Friday before a Saturday
    /// holiday when it ends an accounting period, which the last trading day
    /// of the year always does.
    SundayOnly,
}

/// A holiday on a fixed month and day.
#[derive(Debug, Clone, Copy)]
struct Fixed {
    month: i8,
    day: i8,
    weekend: Weekend,
    name: &'static str,
    /// The name on the weekday it moves to.
    observed: &'static str,
}

const NEW_YEARS_DAY: Fixed = Fixed {
    month: 1,
    day: 1,
    weekend: Weekend::SundayOnly,
    name: "New Year's Day",
    observed: "New Year's Day (observed)",
};
const JUNETEENTH: Fixed = Fixed {
    month: 6,
    day: 19,
    weekend: Weekend::NearestWeekday,
    name: "Juneteenth National Independence Day",
    observed: "Juneteenth National Independence Day (observed)",
};
const INDEPENDENCE_DAY: Fixed = Fixed {
    month: 7,
    day: 4,
    weekend: Weekend::NearestWeekday,
    name: "Independence Day",
    observed: "Independence Day (observed)",
};
const CHRISTMAS_DAY: Fixed = Fixed {
    month: 12,
    day: 25,
    weekend: Weekend::NearestWeekday,
    name: "Christmas Day",
    observed: "Christmas Day (observed)",
};

impl Fixed {
    /// The weekday closed for this holiday in `year`, if any.
    fn in_year(self, year: i16) -> Option<Closure> {
        let Fixed {
            month,
            day,
            weekend,
            name,
            observed,
        } = self;
        let actual = date(year, month, day);
        let moved = |day| {
            Some(Closure {
                date: date(year, month, day),
                reason: observed,
            })
        };
        match (actual.weekday(), weekend) {
            (Weekday::Saturday, Weekend::NearestWeekday) => moved(day - 1),
            (Weekday::Saturday, Weekend::SundayOnly) => None,
            (Weekday::Sunday, _) => moved(day + 1),
            _ => Some(Closure {
                date: actual,
                reason: name,
            }),
        }
    }
}

/// The `n`th (1-based) `weekday` of `month`.
fn nth_weekday(year: i16, month: i8, weekday: Weekday, n: i8) -> Date {
    let first = date(year, month, 1);
    let offset = weekday.since(first.weekday());
    date(year, month, 1 + offset + 7 * (n - 1))
}

/// The last `weekday` of `month`.
fn last_weekday(year: i16, month: i8, weekday: Weekday) -> Date {
    let last = date(year, month, 1).last_of_month();
    let back = last.weekday().since(weekday);
    date(year, month, last.day() - back)
}

/// Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher).
pub(crate) fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    // n / 31 is 3 or 4 and n % 31 + 1 is at most 31: both fit an i8.
    date(year, (n / 31) as i8, (n % 31 + 1) as i8)
}

/// Easter Sunday minus two days. Easter is never before March 22, so Good
/// Friday is always in March or April of the same year.
fn good_friday(year: i16) -> Date {
    let e = easter(year);
    if e.day() > 2 {
        date(year, e.month(), e.day() - 2)
    } else {
        date(year, 3, 31 + e.day() - 2)
    }
}

fn fourth_thursday_of_november(year: i16) -> Date {
    nth_weekday(year, 11, Weekday::Thursday, 4)
}

/// The weekday holidays of `year`, in date order.
pub(crate) fn holidays(year: i16) -> Vec<Closure> {
    use Weekday::Monday;
    let on = |date: Date, reason: &'static str| Some(Closure { date, reason });
    let all = [
        NEW_YEARS_DAY.in_year(year),
        // The NYSE first closed for Martin Luther King Jr. Day in 1998, years
        // after it became a federal holiday (1986).
        (year >= 1998)
            .then(|| nth_weekday(year, 1, Monday, 3))
            .and_then(|d| on(d, "Martin Luther King Jr. Day")),
        on(nth_weekday(year, 2, Monday, 3), "Washington's Birthday"),
        on(good_friday(year), "Good Friday"),
        on(last_weekday(year, 5, Monday), "Memorial Day"),
        // Made a federal holiday in June 2021, too late for the NYSE's 2021
        // schedule; the exchange observes it from 2022.
        (year >= 2022).then(|| JUNETEENTH.in_year(year)).flatten(),
        INDEPENDENCE_DAY.in_year(year),
        on(nth_weekday(year, 9, Monday, 1), "Labor Day"),
        on(fourth_thursday_of_november(year), "Thanksgiving Day"),
        CHRISTMAS_DAY.in_year(year),
    ];
    all.into_iter().flatten().collect()
}

/// The half-day bell of `year`.
fn half_day(year: i16) -> Time {
    // Half days ended at 14:00 until the NYSE moved them to 13:00 in 1993.
    if year < 1993 {
        time(14, 0, 0, 0)
    } else {
        time(13, 0, 0, 0)
    }
}

/// The rule-based early closes of `year`, in date order.
pub(crate) fn early_closes(year: i16) -> Vec<EarlyClose> {
    use Weekday::{Friday, Monday, Thursday, Tuesday, Wednesday};
    let close = half_day(year);
    let mut out = Vec::with_capacity(3);

    // Independence Day half days began in 1995. The exchange shortens the
    // weekday next to the holiday that would otherwise be a lone "bridge"
    // session: July 3 when the 4th is a Tuesday, Wednesday or Friday. With the
    // 4th on a Thursday it shortened Friday the 5th until 2012, then switched
    // to Wednesday the 3rd (first in 2013), leaving the Friday a full day.
    if year >= 1995 {
        let half = match date(year, 7, 4).weekday() {
            Tuesday | Wednesday | Friday => Some(date(year, 7, 3)),
            Thursday if year <= 2012 => Some(date(year, 7, 5)),
            Thursday => Some(date(year, 7, 3)),
            _ => None,
        };
        out.extend(half.map(|date| EarlyClose { date, close }));
    }

    // The day after Thanksgiving has been a half day since 1992.
    if year >= 1992 {
        let thanksgiving = fourth_thursday_of_november(year);
        // The fourth Thursday is at most the 28th, so the Friday is in November.
        let friday = date(year, 11, thanksgiving.day() + 1);
        out.push(EarlyClose {
            date: friday,
            close,
        });
    }

    // Christmas Eve on Monday–Thursday is a half day. On a Friday it is the
    // observed Christmas holiday (Christmas on Saturday); on a weekend there
    // is nothing to shorten.
    let eve = date(year, 12, 24);
    if matches!(eve.weekday(), Monday | Tuesday | Wednesday | Thursday) {
        out.push(EarlyClose { date: eve, close });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_matches_published_dates() {
        // Cross-checked against python-dateutil's `easter()`, an independent
        // implementation.
        for (y, m, d) in [
            (1990, 4, 15),
            (1991, 3, 31),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2016, 3, 27),
            (2018, 4, 1),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2029, 4, 1),
            (2035, 3, 25),
        ] {
            assert_eq!(easter(y), date(y, m, d), "{y}");
        }
    }

    #[test]
    fn good_friday_crosses_into_march() {
        // Easter on April 1 or 2 puts Good Friday in March.
        assert_eq!(easter(2018), date(2018, 4, 1));
        assert_eq!(good_friday(2018), date(2018, 3, 30));
        assert_eq!(easter(2029), date(2029, 4, 1));
        assert_eq!(good_friday(2029), date(2029, 3, 30));
        assert_eq!(good_friday(2024), date(2024, 3, 29));
    }

    #[test]
    fn weekday_helpers() {
        assert_eq!(nth_weekday(2024, 1, Weekday::Monday, 3), date(2024, 1, 15));
        assert_eq!(nth_weekday(2024, 9, Weekday::Monday, 1), date(2024, 9, 2));
        assert_eq!(
            nth_weekday(2024, 11, Weekday::Thursday, 4),
            date(2024, 11, 28)
        );
        assert_eq!(last_weekday(2024, 5, Weekday::Monday), date(2024, 5, 27));
        assert_eq!(last_weekday(2021, 5, Weekday::Monday), date(2021, 5, 31));
    }

    #[test]
    fn rules_only_produce_weekdays_within_the_year() {
        for year in crate::FIRST_YEAR..=crate::LAST_YEAR {
            let dates = holidays(year)
                .into_iter()
                .map(|c| c.date)
                .chain(early_closes(year).into_iter().map(|e| e.date));
            for d in dates {
                assert_eq!(d.year(), year);
                assert!(
                    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
                    "{d}"
                );
            }
            assert!(
                holidays(year).windows(2).all(|w| w[0].date < w[1].date),
                "{year}"
            );
        }
    }
}
