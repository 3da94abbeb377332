//! Timestamp text to instants: a hand-written parser for the shapes vendors
//! use, local-to-UTC conversion with a per-day offset memo, and the NYSE
//! session lookup used to stamp bars by their close.
//!
//! Why not jiff for every row: a full parse plus a time-zone lookup costs
//! about a microsecond, i.e. a second per million intraday bars. The fast
//! path below parses digits in place and asks jiff only once per calendar
//! day (and for the rare shapes it does not know).

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use trade_calendar::{Nyse, OutOfRange, Session};

use crate::spec::TimestampFormat;

/// Seconds per civil day.
pub const DAY: i64 = 86_400;

/// Sentinel for "no explicit UTC offset in the text".
pub const NO_OFFSET: i32 = i32::MIN;

/// A parsed timestamp before any time-zone work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// The civil date-time written, as seconds since 1970-01-01T00:00 (no
    /// zone applied). For epoch input this is UTC.
    pub local: i64,
    /// The UTC offset written in the text, in seconds, or [`NO_OFFSET`].
    pub offset: i32,
    /// Whether the text had no time of day at all.
    pub date_only: bool,
}

/// What an auto-parse failure tells the user to write instead.
pub const EXPECTED: &str = "a date or date-time such as 2024-02-20, 2024-02-20 09:30:00, \
    2024-02-20T09:30:00-05:00, 2/20/2024 or Unix epoch seconds";

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm); the caller validates the ranges.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A jiff date for a day number, if in jiff's range.
pub fn date_of_day(day: i64) -> Option<Date> {
    let (y, m, d) = civil_from_days(day);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

/// The day number of a jiff date.
pub fn day_of_date(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Between `min` and `max` digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        let n = self.i - start;
        (n >= min).then_some((v, n))
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn ymd(y: i64, m: u32, d: u32) -> Option<i64> {
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && (1000..=9999).contains(&y))
        .then(|| days_from_civil(y, m, d))
}

fn two_digit_year(y: u32) -> i64 {
    // strptime's %y pivot: 69-99 are 1900s, 00-68 are 2000s.
    i64::from(if y >= 69 { 1900 + y } else { 2000 + y })
}

/// Date part: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `M/D/YYYY`, `M/D/YY`.
fn date_part(c: &mut Cursor<'_>) -> Option<i64> {
    let start = c.i;
    let (first, n) = c.digits(1, 8)?;
    if n == 8 {
        return ymd(i64::from(first / 10_000), first / 100 % 100, first % 100);
    }
    if n == 4 {
        let sep = c.peek()?;
        if sep != b'-' && sep != b'/' {
            return None;
        }
        c.i += 1;
        let (m, _) = c.digits(1, 2)?;
        if !c.eat(sep) {
            return None;
        }
        let (d, _) = c.digits(1, 2)?;
        return ymd(i64::from(first), m, d);
    }
    if n <= 2 && c.eat(b'/') {
        let (d, _) = c.digits(1, 2)?;
        if !c.eat(b'/') {
            return None;
        }
        let (y, yn) = c.digits(2, 4)?;
        let y = match yn {
            4 => i64::from(y),
            2 => two_digit_year(y),
            _ => return None,
        };
        return ymd(y, first, d);
    }
    c.i = start;
    None
}

/// Time part: `H:MM[:SS[.000]]` or `HHMM[SS]`, optional ` AM`/` PM`.
fn time_part(c: &mut Cursor<'_>) -> Option<i64> {
    let (h, hn) = c.digits(1, 2)?;
    let (mi, s) = if c.eat(b':') {
        let (mi, _) = c.digits(2, 2)?;
        let s = if c.eat(b':') { c.digits(2, 2)?.0 } else { 0 };
        (mi, s)
    } else if hn == 2 {
        let (mi, _) = c.digits(2, 2)?;
        let s = c.digits(2, 2).map_or(0, |x| x.0);
        (mi, s)
    } else {
        return None;
    };
    if c.eat(b'.') {
        // Sub-second labels are not bars we can represent; only zeros pass.
        let start = c.i;
        while c.eat(b'0') {}
        if c.i == start || matches!(c.peek(), Some(b'1'..=b'9')) {
            return None;
        }
    }
    let mut h = h;
    let save = c.i;
    let _ = c.eat(b' ');
    let ampm = match (
        c.peek().map(|x| x.to_ascii_uppercase()),
        c.b.get(c.i + 1).map(u8::to_ascii_uppercase),
    ) {
        (Some(b'A'), Some(b'M')) => Some(false),
        (Some(b'P'), Some(b'M')) => Some(true),
        _ => None,
    };
    match ampm {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return None;
            }
            c.i += 2;
            h = h % 12 + if pm { 12 } else { 0 };
        }
        None => c.i = save,
    }
    (h < 24 && mi < 60 && s < 60).then(|| i64::from(h * 3600 + mi * 60 + s))
}

/// Offset: `Z`, `UTC`, `±HH`, `±HHMM`, `±HH:MM` (an optional space before).
fn offset_part(c: &mut Cursor<'_>) -> Option<i32> {
    let _ = c.eat(b' ');
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    if c.b[c.i..].eq_ignore_ascii_case(b"UTC") {
        c.i += 3;
        return Some(0);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.i += 1;
    let (h, _) = c.digits(2, 2)?;
    let _ = c.eat(b':');
    let m = c.digits(2, 2).map_or(0, |x| x.0);
    (h < 24 && m < 60).then(|| sign * (h * 3600 + m * 60) as i32)
}

/// Parses the shapes listed under [`TimestampFormat::Auto`].
pub fn parse_auto(text: &[u8]) -> Option<Parsed> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return None;
    }
    if t.iter().all(u8::is_ascii_digit) {
        let v: i64 = std::str::from_utf8(t).ok()?.parse().ok()?;
        return match t.len() {
            8 => parse_iso_like(t),
            9 | 10 => Some(Parsed {
                local: v,
                offset: 0,
                date_only: false,
            }),
            12 | 13 => Some(Parsed {
                local: v.div_euclid(1000),
                offset: 0,
                date_only: false,
            })
            .filter(|_| v % 1000 == 0),
            _ => None,
        };
    }
    parse_iso_like(t).or_else(|| parse_with_jiff(t))
}

fn parse_iso_like(t: &[u8]) -> Option<Parsed> {
    let mut c = Cursor { b: t, i: 0 };
    let day = date_part(&mut c)?;
    after_date(&mut c, day)
}

/// Whatever follows the date: nothing, or a separator, time and offset.
fn after_date(c: &mut Cursor<'_>, day: i64) -> Option<Parsed> {
    if c.done() {
        return Some(Parsed {
            local: day * DAY,
            offset: NO_OFFSET,
            date_only: true,
        });
    }
    if !(c.eat(b' ') || c.eat(b'T') || c.eat(b't') || c.eat(b',')) {
        return None;
    }
    let _ = c.eat(b' ');
    let tod = time_part(c)?;
    let offset = if c.done() { NO_OFFSET } else { offset_part(c)? };
    c.done().then_some(Parsed {
        local: day * DAY + tod,
        offset,
        date_only: false,
    })
}

/// `HH:MM:SS` at byte 11 of an ISO date-time, then nothing, `Z` or
/// `±HH:MM`: the shape of nearly every intraday file, read by position.
#[inline]
fn fixed_time(t: &[u8], day: i64) -> Option<Parsed> {
    let d2 = |i: usize| -> Option<i64> {
        let (a, b) = (t[i].wrapping_sub(b'0'), t[i + 1].wrapping_sub(b'0'));
        (a < 10 && b < 10).then(|| i64::from(a * 10 + b))
    };
    if t.len() < 19 || !matches!(t[10], b' ' | b'T') || t[13] != b':' || t[16] != b':' {
        return None;
    }
    let (h, m, s) = (d2(11)?, d2(14)?, d2(17)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let offset = match t.len() {
        19 => NO_OFFSET,
        20 if t[19] == b'Z' => 0,
        25 if matches!(t[19], b'+' | b'-') && t[22] == b':' => {
            let (oh, om) = (d2(20)?, d2(23)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 3600 + om * 60) as i32;
            if t[19] == b'-' { -o } else { o }
        }
        _ => return None,
    };
    Some(Parsed {
        local: day * DAY + h * 3600 + m * 60 + s,
        offset,
        date_only: false,
    })
}

/// [`parse`] with a memo of the last ISO date seen: intraday files repeat
/// each date hundreds of times, so its validation and day arithmetic are
/// done once per date.
#[derive(Debug)]
pub struct TsParser {
    format: TimestampFormat,
    prefix: [u8; 10],
    day: i64,
}

impl TsParser {
    /// A parser for a format.
    pub fn new(format: TimestampFormat) -> Self {
        TsParser {
            format,
            prefix: [0; 10],
            day: 0,
        }
    }

    /// Parses one field.
    ///
    /// # Errors
    /// As [`parse`].
    #[inline]
    pub fn parse(&mut self, text: &[u8]) -> Result<Parsed, String> {
        if self.format == TimestampFormat::Auto {
            let t = text.trim_ascii();
            if t.len() >= 10 && t[4] == b'-' && t[7] == b'-' {
                let day = if t[..10] == self.prefix {
                    Some(self.day)
                } else {
                    let mut c = Cursor { b: &t[..10], i: 0 };
                    date_part(&mut c).filter(|_| c.done()).inspect(|&d| {
                        self.prefix.copy_from_slice(&t[..10]);
                        self.day = d;
                    })
                };
                if let Some(d) = day
                    && let Some(p) =
                        fixed_time(t, d).or_else(|| after_date(&mut Cursor { b: t, i: 10 }, d))
                {
                    return Ok(p);
                }
            }
        }
        parse(&self.format, text)
    }
}

/// RFC 9557 with a bracketed zone and other rare shapes jiff knows.
fn parse_with_jiff(t: &[u8]) -> Option<Parsed> {
    let s = std::str::from_utf8(t).ok()?;
    if let Ok(z) = s.parse::<jiff::Zoned>() {
        let dt = z.datetime();
        return Some(Parsed {
            local: civil_secs(dt),
            offset: z.offset().seconds(),
            date_only: false,
        });
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(Parsed {
            local: ts.as_second(),
            offset: 0,
            date_only: false,
        });
    }
    None
}

/// Seconds since the epoch of a civil date-time read as if it were UTC.
pub fn civil_secs(dt: DateTime) -> i64 {
    day_of_date(dt.date()) * DAY
        + i64::from(dt.hour()) * 3600
        + i64::from(dt.minute()) * 60
        + i64::from(dt.second())
}

/// Parses one timestamp field in the configured format. `Err` carries the
/// message's "expected ..." part.
///
/// # Errors
/// A description of what was expected.
pub fn parse(format: &TimestampFormat, text: &[u8]) -> Result<Parsed, String> {
    match format {
        TimestampFormat::Auto => parse_auto(text).ok_or_else(|| EXPECTED.to_string()),
        TimestampFormat::EpochSeconds | TimestampFormat::EpochMillis => {
            let ms = matches!(format, TimestampFormat::EpochMillis);
            let v: Option<i64> = std::str::from_utf8(text.trim_ascii())
                .ok()
                .and_then(|s| s.parse().ok());
            let v = v.ok_or_else(|| {
                format!("Unix epoch {}", if ms { "milliseconds" } else { "seconds" })
            })?;
            let secs = if ms { v.div_euclid(1000) } else { v };
            Ok(Parsed {
                local: secs,
                offset: 0,
                date_only: false,
            })
        }
        TimestampFormat::Pattern(p) => {
            let expected = || format!("a timestamp in the format {p:?}");
            let s = std::str::from_utf8(text.trim_ascii()).map_err(|_| expected())?;
            let tm = jiff::fmt::strtime::parse(p, s).map_err(|_| expected())?;
            if let Some(ts) = tm.timestamp() {
                return Ok(Parsed {
                    local: ts.as_second(),
                    offset: 0,
                    date_only: false,
                });
            }
            let offset = tm.offset().map_or(NO_OFFSET, |o| o.seconds());
            if tm.hour().is_none() {
                let d = tm.to_date().map_err(|_| expected())?;
                return Ok(Parsed {
                    local: day_of_date(d) * DAY,
                    offset,
                    date_only: true,
                });
            }
            let dt = tm.to_datetime().map_err(|_| expected())?;
            Ok(Parsed {
                local: civil_secs(dt),
                offset,
                date_only: false,
            })
        }
    }
}

/// Converts naive local seconds in one zone to UTC seconds, asking the
/// zone database once per local day: on days without a transition the
/// offset is constant, so it is cached; transition days take the slow path
/// (ambiguous times resolve to the earlier instant, skipped ones forward,
/// jiff's "compatible" rule).
#[derive(Debug)]
pub struct LocalToUtc {
    tz: TimeZone,
    day: i64,
    offset: Option<i64>,
}

fn datetime_of(local: i64) -> Option<DateTime> {
    let date = date_of_day(local.div_euclid(DAY))?;
    let tod = local.rem_euclid(DAY);
    Some(date.at(
        (tod / 3600) as i8,
        (tod / 60 % 60) as i8,
        (tod % 60) as i8,
        0,
    ))
}

impl LocalToUtc {
    /// For a zone.
    pub fn new(tz: TimeZone) -> Self {
        LocalToUtc {
            tz,
            day: i64::MIN,
            offset: None,
        }
    }

    fn offset_at(&self, local: i64) -> Option<i64> {
        match self.tz.to_ambiguous_timestamp(datetime_of(local)?).offset() {
            AmbiguousOffset::Unambiguous { offset } => Some(i64::from(offset.seconds())),
            _ => None,
        }
    }

    /// UTC seconds of a local civil time, `None` outside jiff's range.
    pub fn utc_of(&mut self, local: i64) -> Option<i64> {
        let day = local.div_euclid(DAY);
        if day != self.day {
            self.day = day;
            let a = self.offset_at(day * DAY);
            let b = self.offset_at((day + 1) * DAY);
            self.offset = if a == b { a } else { None };
        }
        match self.offset {
            Some(o) => Some(local - o),
            None => {
                let z = self
                    .tz
                    .to_ambiguous_zoned(datetime_of(local)?)
                    .compatible()
                    .ok()?;
                Some(z.timestamp().as_second())
            }
        }
    }
}

/// The New York trading date of UTC instants and that date's session,
/// memoised per day because bars arrive in time order.
#[derive(Debug)]
pub struct SessionLookup {
    cal: Nyse,
    ny: TimeZone,
    lo: i64,
    hi: i64,
    date: Option<Date>,
    session: Result<Option<Session>, OutOfRange>,
}

impl SessionLookup {
    /// A fresh lookup.
    pub fn new() -> Self {
        SessionLookup {
            cal: Nyse,
            ny: new_york(),
            lo: 0,
            hi: 0,
            date: None,
            session: Ok(None),
        }
    }

    /// The New York date containing UTC second `utc` and its session.
    pub fn at(&mut self, utc: i64) -> (Option<Date>, Result<Option<Session>, OutOfRange>) {
        if utc < self.lo || utc >= self.hi || self.date.is_none() {
            let Ok(ts) = jiff::Timestamp::from_second(utc) else {
                return (None, Ok(None));
            };
            let date = ts.to_zoned(self.ny.clone()).date();
            let start = date
                .to_zoned(self.ny.clone())
                .map(|z| z.timestamp().as_second());
            let end = date
                .tomorrow()
                .and_then(|d| d.to_zoned(self.ny.clone()))
                .map(|z| z.timestamp().as_second());
            let (Ok(lo), Ok(hi)) = (start, end) else {
                return (Some(date), Ok(None));
            };
            self.lo = lo;
            self.hi = hi;
            self.date = Some(date);
            self.session = self.cal.session(date);
        }
        (self.date, self.session.clone())
    }

    /// The session of a date (no memo: daily files hit each date once).
    ///
    /// # Errors
    /// [`OutOfRange`] outside the calendar's years.
    pub fn on(&self, date: Date) -> Result<Option<Session>, OutOfRange> {
        self.cal.session(date)
    }
}

impl Default for SessionLookup {
    fn default() -> Self {
        Self::new()
    }
}

/// America/New_York from the bundled database.
pub fn new_york() -> TimeZone {
    // The bundled tzdb always has it; UTC is an unreachable fallback that
    // keeps this function total.
    TimeZone::get("America/New_York").unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i64 {
        let dt: DateTime = s.parse().unwrap();
        civil_secs(dt)
    }

    #[test]
    fn civil_day_round_trip() {
        for day in [-800_000i64, -1, 0, 1, 11_016, 19_773, 2_932_896] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day, "day {day}");
        }
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(day_of_date(jiff::civil::date(2024, 2, 29)), 19_782);
    }

    #[test]
    fn auto_shapes() {
        // (case, text, local civil, offset, date_only); None = must fail.
        type Want = Option<(&'static str, i32, bool)>;
        let cases: &[(&str, Want)] = &[
            ("2024-02-20", Some(("2024-02-20T00:00", NO_OFFSET, true))),
            ("2024/02/20", Some(("2024-02-20T00:00", NO_OFFSET, true))),
            ("20240220", Some(("2024-02-20T00:00", NO_OFFSET, true))),
            ("9/1/2020", Some(("2020-09-01T00:00", NO_OFFSET, true))),
            ("12/31/99", Some(("1999-12-31T00:00", NO_OFFSET, true))),
            (
                "2024-02-20 04:00:00-05:00",
                Some(("2024-02-20T04:00", -18_000, false)),
            ),
            (
                "2024-03-11T09:30:00-04:00",
                Some(("2024-03-11T09:30", -14_400, false)),
            ),
            (
                "2024-02-20 09:30:00",
                Some(("2024-02-20T09:30", NO_OFFSET, false)),
            ),
            (
                "2024-02-20 09:30",
                Some(("2024-02-20T09:30", NO_OFFSET, false)),
            ),
            ("2024-02-20T14:30:00Z", Some(("2024-02-20T14:30", 0, false))),
            (
                "2024-02-20 09:30:00.000",
                Some(("2024-02-20T09:30", NO_OFFSET, false)),
            ),
            (
                "2024-02-20 09:30:00 +0530",
                Some(("2024-02-20T09:30", 19_800, false)),
            ),
            (
                "11/5/2019 9:30",
                Some(("2019-11-05T09:30", NO_OFFSET, false)),
            ),
            (
                "1/4/2016 0:00:00",
                Some(("2016-01-04T00:00", NO_OFFSET, false)),
            ),
            (
                "1/4/2016 1:05 PM",
                Some(("2016-01-04T13:05", NO_OFFSET, false)),
            ),
            (
                "20240220 0930",
                Some(("2024-02-20T09:30", NO_OFFSET, false)),
            ),
            ("1708439400", Some(("2024-02-20T14:30", 0, false))),
            ("1708439400000", Some(("2024-02-20T14:30", 0, false))),
            (
                "2024-02-20T09:30:00-05:00[America/New_York]",
                Some(("2024-02-20T09:30", -18_000, false)),
            ),
            ("2024-02-30", None),
            ("2024-13-01", None),
            ("2024-02-20 24:00", None),
            ("2024-02-20 09:30:00.5", None),
            ("2/20", None),
            ("abc", None),
            ("", None),
            ("123", None),
            ("2024-02-20x", None),
        ];
        for (text, want) in cases {
            let got = parse_auto(text.as_bytes());
            match want {
                None => assert_eq!(got, None, "case {text:?} should fail"),
                Some((civil, off, date_only)) => {
                    let want = Parsed {
                        local: secs(civil),
                        offset: *off,
                        date_only: *date_only,
                    };
                    assert_eq!(got, Some(want), "case {text:?}");
                }
            }
        }
    }

    #[test]
    fn patterns_and_epochs() {
        let p = TimestampFormat::Pattern("%d.%m.%Y %H:%M".into());
        assert_eq!(
            parse(&p, b"20.02.2024 09:30").unwrap().local,
            secs("2024-02-20T09:30")
        );
        let p = TimestampFormat::Pattern("%d.%m.%Y".into());
        let got = parse(&p, b"20.02.2024").unwrap();
        assert!(got.date_only);
        assert!(parse(&p, b"2024-02-20").unwrap_err().contains("%d.%m.%Y"));
        let got = parse(&TimestampFormat::EpochMillis, b"1708439400123").unwrap();
        assert_eq!(got.local, 1_708_439_400);
        assert!(parse(&TimestampFormat::EpochSeconds, b"x").is_err());
    }

    #[test]
    fn local_to_utc_across_dst() {
        let mut z = LocalToUtc::new(new_york());
        let cases = [
            ("2024-03-08T09:30", "2024-03-08T14:30:00Z"),
            ("2024-03-10T01:30", "2024-03-10T06:30:00Z"),
            ("2024-03-10T02:30", "2024-03-10T07:30:00Z"), // skipped hour: forward
            ("2024-03-10T04:00", "2024-03-10T08:00:00Z"),
            ("2024-03-11T09:30", "2024-03-11T13:30:00Z"),
            ("2024-11-03T01:30", "2024-11-03T05:30:00Z"), // repeated hour: earlier
            ("2024-11-04T09:30", "2024-11-04T14:30:00Z"),
        ];
        for (local, want) in cases {
            let got = z.utc_of(secs(local)).unwrap();
            let want: jiff::Timestamp = want.parse().unwrap();
            assert_eq!(got, want.as_second(), "case {local}");
        }
    }
}
