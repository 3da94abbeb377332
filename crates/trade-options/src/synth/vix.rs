//! [`VixSeries`]: daily VIX closes by date, read from Cboe's
//! `VIX_History.csv` (`DATE,OPEN,HIGH,LOW,CLOSE`, dates `MM/DD/YYYY`) or a
//! Yahoo-style download (`Date,...,Close,...`, ISO dates): the date column
//! is the one named `date` and the close the one named `close` (case
//! ignored).

use std::path::Path;

use jiff::civil::Date;

use super::SynthError;
use crate::chain::DateFormat;

/// Daily VIX closes, ascending by date.
#[derive(Debug, Clone, PartialEq)]
pub struct VixSeries {
    points: Vec<(Date, f64)>,
}

impl VixSeries {
    /// Reads a VIX history file.
    ///
    /// # Errors
    /// [`SynthError::Io`] when unreadable, [`SynthError::Vix`] naming file,
    /// line and what was expected for a missing column, a bad date or
    /// close, a non-positive close, or dates out of order or repeated.
    pub fn load(path: &Path) -> Result<Self, SynthError> {
        let bytes = std::fs::read(path).map_err(|source| SynthError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Reads VIX history from CSV bytes; `file` names them in errors.
    ///
    /// # Errors
    /// As [`VixSeries::load`].
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, SynthError> {
        let err = |line: u64, message: String| SynthError::Vix {
            file: file.into(),
            line,
            message,
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| err(1, e.to_string()))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                err(1, format!("no column {name:?}: expected a header with date and close, found {header:?}"))
            })
        };
        let (di, ci) = (col("date")?, col("close")?);
        let mut points: Vec<(Date, f64)> = Vec::new();
        let mut rec = csv::ByteRecord::new();
        let mut line = 1u64;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => line += 1,
                Err(e) => return Err(err(line + 1, e.to_string())),
            }
            let field = |i: usize| {
                rec.get(i)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .map(str::trim)
                    .unwrap_or("")
            };
            let (dt, ct) = (field(di), field(ci));
            let date = crate::chain::parse_date_text(&DateFormat::Auto, dt)
                .ok_or_else(|| err(line, format!("column date: expected a date such as 01/02/1990 or 1990-01-02, found {dt:?}")))?;
            let close: f64 = ct
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    err(
                        line,
                        format!("column close: expected a positive number, found {ct:?}"),
                    )
                })?;
            if let Some(&(prev, _)) = points.last()
                && prev >= date
            {
                return Err(err(
                    line,
                    format!(
                        "date {date} does not follow {prev}: expected ascending dates without repeats"
                    ),
                ));
            }
            points.push((date, close));
        }
        if points.is_empty() {
            return Err(err(1, "no data rows".into()));
        }
        Ok(VixSeries { points })
    }

    /// A series from points (ascending, unique dates, positive closes).
    ///
    /// # Errors
    /// [`SynthError::Vix`] when the points are not ascending or a close is
    /// not a positive number.
    pub fn from_points(points: Vec<(Date, f64)>) -> Result<Self, SynthError> {
        let bad = |m: String| SynthError::Vix {
            file: "<points>".into(),
            line: 0,
            message: m,
        };
        if let Some(w) = points.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(bad(format!("{} does not follow {}", w[1].0, w[0].0)));
        }
        if let Some(p) = points.iter().find(|p| !(p.1.is_finite() && p.1 > 0.0)) {
            return Err(bad(format!("close {} on {} is not positive", p.1, p.0)));
        }
        Ok(VixSeries { points })
    }

    /// Number of closes.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the series is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// First and last date.
    pub fn range(&self) -> Option<(Date, Date)> {
        Some((self.points.first()?.0, self.points.last()?.0))
    }

    /// The close of `date`.
    pub fn close(&self, date: Date) -> Option<f64> {
        self.points
            .binary_search_by(|p| p.0.cmp(&date))
            .ok()
            .map(|i| self.points[i].1)
    }

    /// The latest close on or before `date` (for a session the VIX file
    /// lacks), with its date.
    pub fn close_on_or_before(&self, date: Date) -> Option<(Date, f64)> {
        let i = self.points.partition_point(|p| p.0 <= date);
        i.checked_sub(1).map(|i| self.points[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_cboe_and_yahoo_layouts() {
        let cboe = b"DATE,OPEN,HIGH,LOW,CLOSE\n01/02/1990,17.24,17.24,17.24,17.240000\n01/03/1990,18.19,18.19,18.19,18.190000\n";
        let s = VixSeries::parse(cboe, "c").unwrap();
        assert_eq!(s.close(date(1990, 1, 3)), Some(18.19));
        assert_eq!(
            s.close_on_or_before(date(1990, 1, 5)),
            Some((date(1990, 1, 3), 18.19))
        );
        assert_eq!(s.close_on_or_before(date(1989, 12, 29)), None);
        let yahoo = b"Date,Close,High,Low,Open,Volume\n2000-01-03,24.21,26.15,23.98,24.36,0\n";
        assert_eq!(VixSeries::parse(yahoo, "y").unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let cases: [(&[u8], &str); 4] = [
            (b"DATE,CLOSE\n01/02/1990,abc\n", "y:2: column close"),
            (
                b"DATE,CLOSE\n01/02/1990,1\n01/02/1990,2\n",
                "y:3: date 1990-01-02 does not follow",
            ),
            (b"DAY,CLOSE\n", "y:1: no column \"date\""),
            (b"DATE,CLOSE\n01/02/1990,-3\n", "expected a positive number"),
        ];
        for (bytes, want) in cases {
            let e = VixSeries::parse(bytes, "y").unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
