//! [`Timestamp`]: an instant in UTC, nanoseconds since the Unix epoch.
//!
//! The engine orders events by this integer; `jiff` is used at the edges
//! (parsing, formatting, the exchange calendar's time zone).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC as nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_nanos(ns: i64) -> Self {
        Timestamp(ns)
    }

    /// From whole seconds since the epoch.
    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s * NANOS_PER_SEC)
    }

    /// Nanoseconds since the epoch.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (floor).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// As a `jiff` timestamp (always in range for values built from jiff or
    /// from data files between years -9999 and 9999).
    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_nanosecond(i128::from(self.0)).unwrap_or(jiff::Timestamp::MIN)
    }

    /// From a `jiff` timestamp; `None` beyond the i64 nanosecond range
    /// (years 1677..2262).
    pub fn from_jiff(ts: jiff::Timestamp) -> Option<Self> {
        i64::try_from(ts.as_nanosecond()).ok().map(Timestamp)
    }

    /// `self + secs` seconds.
    pub const fn add_secs(self, secs: i64) -> Self {
        Timestamp(self.0 + secs * NANOS_PER_SEC)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_jiff())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let ts: jiff::Timestamp = s.parse().map_err(serde::de::Error::custom)?;
        Timestamp::from_jiff(ts)
            .ok_or_else(|| serde::de::Error::custom(format!("timestamp {s} out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiff_round_trip_and_display() {
        let j: jiff::Timestamp = "2024-03-08T21:00:00Z".parse().unwrap();
        let t = Timestamp::from_jiff(j).unwrap();
        assert_eq!(t.secs(), 1_709_931_600);
        assert_eq!(t.to_string(), "2024-03-08T21:00:00Z");
        assert_eq!(t.to_jiff(), j);
    }
}
