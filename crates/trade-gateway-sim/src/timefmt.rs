//! The time renderings TWS uses on the wire: wall clock in the login time
//! zone (`yyyymmdd hh:mm:ss US/Eastern`), plain dates, and the end-date
//! strings clients send with historical requests.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The zone the simulated gateway is "logged in" from; IB renders times in it.
pub const ZONE_NAME: &str = "US/Eastern";

/// America/New_York (the IANA name behind `US/Eastern`).
pub fn eastern() -> TimeZone {
    // The bundled tz database always has this zone; UTC only if it ever
    // went missing, which would shift rendered times but not break framing.
    TimeZone::get("America/New_York").unwrap_or(TimeZone::UTC)
}

fn zoned(epoch_secs: i64) -> Zoned {
    let ts = Timestamp::from_second(epoch_secs).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.to_zoned(eastern())
}

/// `yyyymmdd hh:mm:ss US/Eastern`.
pub fn tws_datetime(epoch_secs: i64) -> String {
    format!(
        "{} {ZONE_NAME}",
        zoned(epoch_secs).strftime("%Y%m%d %H:%M:%S")
    )
}

/// `yyyymmdd` of the Eastern calendar day.
pub fn tws_date(epoch_secs: i64) -> String {
    zoned(epoch_secs).strftime("%Y%m%d").to_string()
}

/// Eastern calendar date of an instant.
pub fn eastern_date(epoch_secs: i64) -> Date {
    zoned(epoch_secs).date()
}

/// Epoch seconds of midnight Eastern starting `date`.
pub fn eastern_midnight(date: Date) -> i64 {
    date.to_zoned(eastern())
        .map(|z| z.timestamp().as_second())
        .unwrap_or(0)
}

/// Epoch seconds of `date` at `hh:mm` Eastern.
pub fn eastern_at(date: Date, hour: i8, minute: i8) -> i64 {
    date.at(hour, minute, 0, 0)
        .to_zoned(eastern())
        .map(|z| z.timestamp().as_second())
        .unwrap_or(0)
}

/// Why an end-date string was not understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "end date/time {text:?} is not one of 'yyyymmdd hh:mm:ss [zone]', 'yyyymmdd-hh:mm:ss', 'yyyymmdd'"
)]
pub struct BadDateTime {
    /// The text as received.
    pub text: String,
}

/// Parses the end date of a historical request. Empty means "now"
/// (`Ok(None)`). Accepted forms, as IB documents them: `yyyymmdd hh:mm:ss
/// <zone>`, `yyyymmdd hh:mm:ss` (login zone), `yyyymmdd-hh:mm:ss` (UTC),
/// `yyyymmdd` (end of that day in the login zone).
pub fn parse_end_datetime(text: &str) -> Result<Option<i64>, BadDateTime> {
    let t = text.trim();
    let bad = || BadDateTime {
        text: text.to_owned(),
    };
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(dt) = DateTime::strptime("%Y%m%d-%H:%M:%S", t) {
        return dt
            .to_zoned(TimeZone::UTC)
            .map(|z| Some(z.timestamp().as_second()))
            .map_err(|_| bad());
    }
    if t.len() == 8 {
        let date = Date::strptime("%Y%m%d", t).map_err(|_| bad())?;
        let next = date.tomorrow().map_err(|_| bad())?;
        return Ok(Some(eastern_midnight(next)));
    }
    let mut parts = t.splitn(3, ' ');
    let (Some(d), Some(tm)) = (parts.next(), parts.next()) else {
        return Err(bad());
    };
    let dt = DateTime::strptime("%Y%m%d %H:%M:%S", format!("{d} {tm}")).map_err(|_| bad())?;
    let tz = match parts.next().map(str::trim) {
        None | Some("") => eastern(),
        Some(name) => TimeZone::get(name).map_err(|_| bad())?,
    };
    dt.to_zoned(tz)
        .map(|z| Some(z.timestamp().as_second()))
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2025-03-18 13:30:00 UTC is 09:30 EDT (DST began 2025-03-09).
    const OPEN: i64 = 1_742_304_600;

    #[test]
    fn renders_eastern_wall_clock() {
        assert_eq!(tws_datetime(OPEN), "20250318 09:30:00 US/Eastern");
        assert_eq!(tws_date(OPEN), "20250318");
    }

    #[test]
    fn parses_every_documented_end_date_form() {
        assert_eq!(parse_end_datetime(""), Ok(None));
        assert_eq!(parse_end_datetime("20250318 13:30:00 UTC"), Ok(Some(OPEN)));
        assert_eq!(parse_end_datetime("20250318-13:30:00"), Ok(Some(OPEN)));
        assert_eq!(
            parse_end_datetime("20250318 09:30:00 US/Eastern"),
            Ok(Some(OPEN))
        );
        assert_eq!(parse_end_datetime("20250318 09:30:00"), Ok(Some(OPEN)));
        // 2025-03-19 00:00 EDT = 04:00 UTC.
        assert_eq!(parse_end_datetime("20250318"), Ok(Some(1_742_356_800)));
        assert!(parse_end_datetime("2025-03-18").is_err());
        assert!(parse_end_datetime("20250318 09:30:00 Mars/Olympus").is_err());
    }
}
