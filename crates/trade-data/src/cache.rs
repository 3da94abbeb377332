//! The local Parquet cache of normalised CSV bars.
//!
//! Key: sha256 of (format version, crate version, sha256 of the file
//! bytes, the canonical spec). A cache file is only trusted when its stored
//! key, row count and content checksum match and the trading calendar still
//! gives the same sessions over the bars' range (the calendar decides bar
//! timestamps and closed days, and it can change under a cache file).
//! Anything else counts as corrupt: the file is rebuilt from the CSV.
//!
//! Writes go to a temporary file in the same directory and are renamed
//! into place, so readers never see a half-written file. There is no fsync:
//! after a crash a truncated file fails the checks and is rebuilt.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use sha2::{Digest, Sha256};
use trade_core::{Bar, BarProblem, InstrumentId};

use crate::error::{Location, Problem, ProblemKind, Severity};
use crate::parquet_io::{self, BarCompression};
use crate::spec::{BarFileSpec, Interval, RowOrder};
use crate::table::ColumnAction;
use crate::timestamps::{SessionLookup, date_of_day, day_of_date};

/// Bump when the meaning of cached bars changes.
pub const FORMAT_VERSION: u32 = 1;

/// Hex sha256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Hex sha256 of a file, read in 1 MiB chunks.
///
/// # Errors
/// The I/O error.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex(&h.finalize()))
}

/// The cache key of a file's bytes (by hash) read with a spec.
pub(crate) fn key(file_sha256: &str, spec: &BarFileSpec) -> String {
    let text = format!(
        "trade-data cache v{FORMAT_VERSION}\ncrate {}\nfile {file_sha256}\n{}",
        env!("CARGO_PKG_VERSION"),
        spec.canonical()
    );
    sha256_hex(text.as_bytes())
}

/// Where a key's cache file lives.
pub(crate) fn path_for(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.parquet"))
}

/// What the cache holds besides bars: enough to rebuild `LoadedBars`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub bars: Vec<Bar>,
    pub rows: usize,
    pub interval: Interval,
    pub order: RowOrder,
    pub skipped: usize,
    pub warnings: Vec<Problem>,
    pub actions: Vec<(Date, ColumnAction)>,
}

/// Order-sensitive 64-bit mix of every value; any single changed value
/// changes the result (each step is a bijection of its lane's state). One
/// lane per field keeps six independent multiply chains in flight.
fn checksum(bars: &[Bar], meta: &[&str]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, v: u64| (h.rotate_left(5) ^ v).wrapping_mul(K);
    let mut l = [0xcbf2_9ce4_8422_2325u64; 6];
    for b in bars {
        l[0] = mix(l[0], b.ts.nanos() as u64);
        l[1] = mix(l[1], b.open.raw() as u64);
        l[2] = mix(l[2], b.high.raw() as u64);
        l[3] = mix(l[3], b.low.raw() as u64);
        l[4] = mix(l[4], b.close.raw() as u64);
        l[5] = mix(l[5], b.volume);
    }
    let h = l.iter().fold(bars.len() as u64, |h, &x| mix(h, x));
    meta.iter()
        .flat_map(|m| m.bytes().chain([0xff]))
        .fold(h, |h, b| mix(h, u64::from(b)))
}

/// Fingerprint of the calendar's sessions over the bars' date range.
fn calendar_fingerprint(bars: &[Bar], interval: Interval) -> u64 {
    let step = interval.seconds().unwrap_or(0);
    let mut lookup = SessionLookup::new();
    let (Some(a), Some(b)) = (bars.first(), bars.last()) else {
        return 0;
    };
    let (Some(from), Some(to)) = (
        lookup.at(a.ts.secs() - step).0,
        lookup.at(b.ts.secs() - step).0,
    ) else {
        return 0;
    };
    let clamp = |d: Date| {
        d.max(Date::new(trade_calendar::FIRST_YEAR, 1, 1).unwrap_or(d))
            .min(Date::new(trade_calendar::LAST_YEAR, 12, 31).unwrap_or(d))
    };
    let sessions = trade_calendar::Nyse
        .sessions(clamp(from), clamp(to))
        .unwrap_or_default();
    let mut h: u64 = 0x8422_2325_cbf2_9ce4;
    for s in sessions {
        for v in [day_of_date(s.date), s.open.secs(), s.close.secs()] {
            h = (h.rotate_left(5) ^ v as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    h
}

fn encode_problem(p: &Problem) -> Option<String> {
    let (lk, n) = match p.location {
        Location::File => ("F", 0),
        Location::Line(n) => ("L", n),
        Location::Row(n) => ("R", n),
    };
    let kind = match &p.kind {
        ProblemKind::NoVolume => "novolume".to_string(),
        ProblemKind::NonSession { date, .. } => format!("nonsession\t{date}"),
        ProblemKind::OutsideCalendar { date } => format!("outside\t{date}"),
        ProblemKind::NonPositivePrice { found } => format!("nonpositive\t{found}"),
        ProblemKind::BadOhlc { problem, ohlc } => {
            let t = match problem {
                BarProblem::NonPositivePrice => "np",
                BarProblem::HighTooLow => "hl",
                BarProblem::LowTooHigh => "lh",
            };
            format!("ohlc\t{t}\t{}", ohlc.join("\t"))
        }
        _ => return None,
    };
    let col = p.column.clone().unwrap_or_default();
    let text = format!("{lk}\t{n}\t{col}\t{}\t{kind}", u8::from(p.dropped));
    (!col.contains(['\t', '\n']) && p.severity == Severity::Warning).then_some(text)
}

fn decode_problem(line: &str, file: &str) -> Option<Problem> {
    let f: Vec<&str> = line.split('\t').collect();
    let n: u64 = f.get(1)?.parse().ok()?;
    let location = match *f.first()? {
        "F" => Location::File,
        "L" => Location::Line(n),
        "R" => Location::Row(n),
        _ => return None,
    };
    let date = |i: usize| f.get(i).and_then(|s| s.parse::<Date>().ok());
    let kind = match *f.get(4)? {
        "novolume" => ProblemKind::NoVolume,
        "nonsession" => {
            let date = date(5)?;
            ProblemKind::NonSession {
                date,
                reason: trade_calendar::Nyse.closure_reason(date),
            }
        }
        "outside" => ProblemKind::OutsideCalendar { date: date(5)? },
        "nonpositive" => ProblemKind::NonPositivePrice {
            found: (*f.get(5)?).to_string(),
        },
        "ohlc" => {
            let problem = match *f.get(5)? {
                "np" => BarProblem::NonPositivePrice,
                "hl" => BarProblem::HighTooLow,
                "lh" => BarProblem::LowTooHigh,
                _ => return None,
            };
            let g = |i: usize| f.get(i).map(|s| (*s).to_string());
            ProblemKind::BadOhlc {
                problem,
                ohlc: [g(6)?, g(7)?, g(8)?, g(9)?],
            }
        }
        _ => return None,
    };
    let col = *f.get(2)?;
    let mut p = Problem::error(file, location, (!col.is_empty()).then_some(col), kind);
    p.severity = Severity::Warning;
    p.dropped = *f.get(3)? == "1";
    Some(p)
}

fn encode_action(d: Date, a: ColumnAction) -> String {
    match a {
        ColumnAction::Dividend(v) => format!("{}\tD\t{v}", day_of_date(d)),
        ColumnAction::Split(v) => format!("{}\tS\t{v}", day_of_date(d)),
    }
}

fn decode_action(s: &str) -> Option<(Date, ColumnAction)> {
    let mut f = s.split('\t');
    let d = date_of_day(f.next()?.parse().ok()?)?;
    let kind = f.next()?;
    let v: i64 = f.next()?.parse().ok()?;
    match kind {
        "D" => Some((d, ColumnAction::Dividend(v))),
        "S" => Some((d, ColumnAction::Split(v))),
        _ => None,
    }
}

/// Metadata values under the checksum, in the order `store` writes them.
const CHECKED: [&str; 9] = [
    "trade.cache.key",
    "trade.cache.bars",
    "trade.cache.rows",
    "trade.cache.interval",
    "trade.cache.order",
    "trade.cache.skipped",
    "trade.cache.calendar",
    "trade.cache.warnings",
    "trade.cache.actions",
];

/// Stores an entry atomically; `Err` says why it was not stored.
pub(crate) fn store(dir: &Path, key: &str, e: &Entry) -> Result<PathBuf, String> {
    let mut warnings = Vec::with_capacity(e.warnings.len());
    for p in &e.warnings {
        warnings.push(encode_problem(p).ok_or_else(|| format!("cannot cache the warning {p}"))?);
    }
    let order = match e.order {
        RowOrder::Descending => "descending",
        _ => "ascending",
    };
    let mut meta: Vec<(String, String)> = [
        ("trade.cache.key", key.to_string()),
        ("trade.cache.bars", e.bars.len().to_string()),
        ("trade.cache.rows", e.rows.to_string()),
        ("trade.cache.interval", e.interval.to_string()),
        ("trade.cache.order", order.to_string()),
        ("trade.cache.skipped", e.skipped.to_string()),
        (
            "trade.cache.calendar",
            calendar_fingerprint(&e.bars, e.interval).to_string(),
        ),
        ("trade.cache.warnings", warnings.join("\n")),
        (
            "trade.cache.actions",
            e.actions
                .iter()
                .map(|&(d, a)| encode_action(d, a))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // The checksum covers the bars and every value read back above.
    let values: Vec<&str> = meta.iter().map(|(_, v)| v.as_str()).collect();
    let sum = checksum(&e.bars, &values).to_string();
    meta.push(("trade.cache.checksum".to_string(), sum));
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = path_for(dir, key);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{key}.{}.{nanos}.tmp", std::process::id()));
    let result = fs::File::create(&tmp)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            parquet_io::write_bars_to(
                BufWriter::with_capacity(1 << 20, f),
                &e.bars,
                &meta,
                BarCompression::None,
            )
        })
        .and_then(|()| fs::rename(&tmp, &path).map_err(|e| e.to_string()));
    if let Err(msg) = result {
        let _ = fs::remove_file(&tmp);
        return Err(format!("{}: {msg}", path.display()));
    }
    Ok(path)
}

/// Loads an entry: `Ok(None)` if there is none, `Err(reason)` if the file
/// exists but cannot be trusted.
pub(crate) fn load(
    path: &Path,
    key: &str,
    instrument: InstrumentId,
    file: &str,
) -> Result<Option<Entry>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let f = parquet_io::read_bars(path, instrument).map_err(|e| e.to_string())?;
    let m: &BTreeMap<String, String> = &f.metadata;
    let get = |k: &str| {
        m.get(k)
            .map(String::as_str)
            .ok_or_else(|| format!("missing {k}"))
    };
    let num = |k: &str| -> Result<u64, String> { get(k)?.parse().map_err(|_| format!("bad {k}")) };
    if get("trade.cache.key")? != key {
        return Err("key mismatch".into());
    }
    if num("trade.cache.bars")? != f.bars.len() as u64 {
        return Err("bar count mismatch".into());
    }
    let values = CHECKED
        .iter()
        .map(|k| get(k))
        .collect::<Result<Vec<&str>, String>>()?;
    if num("trade.cache.checksum")? != checksum(&f.bars, &values) {
        return Err("checksum mismatch".into());
    }
    let interval: Interval = get("trade.cache.interval")?.parse()?;
    if num("trade.cache.calendar")? != calendar_fingerprint(&f.bars, interval) {
        return Err("the trading calendar changed".into());
    }
    let warnings = get("trade.cache.warnings")?
        .lines()
        .map(|l| decode_problem(l, file).ok_or_else(|| "bad warning".to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let actions = get("trade.cache.actions")?
        .lines()
        .map(|l| decode_action(l).ok_or_else(|| "bad action".to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let order = if get("trade.cache.order")? == "descending" {
        RowOrder::Descending
    } else {
        RowOrder::Ascending
    };
    let to_usize = |k: &str| num(k).and_then(|v| usize::try_from(v).map_err(|e| e.to_string()));
    Ok(Some(Entry {
        bars: f.bars,
        rows: to_usize("trade.cache.rows")?,
        interval,
        order,
        skipped: to_usize("trade.cache.skipped")?,
        warnings,
        actions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_round_trip() {
        let mut cases = [
            Problem::error("f.csv", Location::File, None, ProblemKind::NoVolume),
            Problem::error(
                "f.csv",
                Location::Line(7),
                None,
                ProblemKind::NonSession {
                    date: jiff::civil::date(2024, 1, 6),
                    reason: None,
                },
            ),
            Problem::error(
                "f.csv",
                Location::Line(9),
                None,
                ProblemKind::BadOhlc {
                    problem: BarProblem::LowTooHigh,
                    ohlc: ["1.00".into(), "2.00".into(), "1.50".into(), "1.20".into()],
                },
            ),
            Problem::error(
                "f.csv",
                Location::Row(3),
                Some("Low"),
                ProblemKind::NonPositivePrice {
                    found: "0.00".into(),
                },
            ),
        ];
        for (i, p) in cases.iter_mut().enumerate() {
            p.severity = Severity::Warning;
            p.dropped = i % 2 == 0;
            let line = encode_problem(p).unwrap_or_else(|| panic!("case {i}: encode"));
            assert_eq!(
                decode_problem(&line, "f.csv").as_ref(),
                Some(&*p),
                "case {i}: {line}"
            );
        }
        let d = jiff::civil::date(2014, 6, 9);
        for a in [
            ColumnAction::Dividend(47_000_000),
            ColumnAction::Split(700_000_000),
        ] {
            assert_eq!(decode_action(&encode_action(d, a)), Some((d, a)));
        }
    }

    #[test]
    fn checksum_sees_single_changes() {
        let b = Bar {
            instrument: InstrumentId(0),
            ts: trade_core::Timestamp::from_secs(1),
            open: trade_core::Price::from_raw(1),
            high: trade_core::Price::from_raw(2),
            low: trade_core::Price::from_raw(1),
            close: trade_core::Price::from_raw(2),
            volume: 3,
        };
        let base = checksum(&[b, b], &["x"]);
        let mut c = b;
        c.volume = 4;
        assert_ne!(checksum(&[b, c], &["x"]), base);
        c = b;
        c.close = trade_core::Price::from_raw(3);
        assert_ne!(checksum(&[c, b], &["x"]), base);
        assert_ne!(checksum(&[b, b], &["y"]), base);
        assert_ne!(checksum(&[b, b], &["x", ""]), base);
    }
}
