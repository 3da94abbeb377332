//! The two entry points: fail-fast [`load_bars`] for backtests (with the
//! cache) and collect-everything [`check_file`] for `trade data check`.

use std::path::{Path, PathBuf};

use trade_core::{Bar, InstrumentId, Timestamp};

use crate::actions::{self, CorporateAction};
use crate::cache::{self, Entry};
use crate::error::{DataError, Location, Problem, ProblemKind, Severity};
use crate::gaps::{GapReport, gap_report};
use crate::parquet_io;
use crate::report::DataReport;
use crate::spec::{BarFileSpec, FileFormat, Interval, RowOrder};
use crate::table::{RawTable, Sink, Stop};
use crate::validate;

/// What the cache did for a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// Caching is off in the spec, or the input is Parquet already.
    Off,
    /// Bars came from this cache file.
    Hit(PathBuf),
    /// Bars were parsed and stored in this cache file.
    Stored(PathBuf),
    /// A cache file existed but was not trusted; it was rebuilt.
    Rebuilt {
        /// The cache file.
        path: PathBuf,
        /// Why the old one was rejected.
        reason: String,
    },
    /// Parsed fine, but the cache could not be written (read-only dir...).
    StoreFailed(String),
}

/// Bars loaded from one file, with provenance and diagnostics.
#[derive(Debug, Clone)]
pub struct LoadedBars {
    /// The bars, oldest first, `ts` = bar end (UTC), strictly increasing.
    pub bars: Vec<Bar>,
    /// Hex sha256 of the file bytes.
    pub sha256: String,
    /// Data rows read (of the chosen symbol), before filtering.
    pub rows: usize,
    /// First bar's `ts`.
    pub first: Timestamp,
    /// Last bar's `ts`.
    pub last: Timestamp,
    /// Detected or configured interval.
    pub interval: Interval,
    /// Row order found in the file.
    pub order: RowOrder,
    /// Warnings (including rows dropped by a `drop` policy).
    pub warnings: Vec<Problem>,
    /// Missing sessions / bars per the calendar.
    pub gaps: GapReport,
    /// Actions found in dividend/split columns, by ex-date.
    pub actions: Vec<CorporateAction>,
    /// Intraday bars outside regular hours that were left out.
    pub skipped_outside_hours: usize,
    /// What the cache did.
    pub cache: CacheStatus,
}

impl LoadedBars {
    /// Writes the bars in our Parquet format, recording interval and source.
    ///
    /// # Errors
    /// [`DataError::Io`] or [`DataError::Parquet`].
    pub fn write_parquet(&self, path: &Path) -> Result<(), DataError> {
        let meta = vec![
            ("trade.interval".to_string(), self.interval.to_string()),
            ("trade.source_sha256".to_string(), self.sha256.clone()),
        ];
        parquet_io::write_bars(path, &self.bars, &meta)
    }
}

fn io_error(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Size and modification time, to notice a file changing under us.
fn stamp(path: &Path) -> Result<(u64, Option<std::time::SystemTime>), DataError> {
    let m = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    Ok((m.len(), m.modified().ok()))
}

fn first_error(sink: Sink) -> DataError {
    let file = sink.file.clone();
    let p = sink
        .problems
        .into_iter()
        .find(|p| p.severity == Severity::Error)
        .unwrap_or_else(|| {
            Problem::error(
                &file,
                Location::File,
                None,
                ProblemKind::Malformed("stopped without a reason".into()),
            )
        });
    DataError::from(p)
}

/// Reads and normalises; returns the entry and the sha256 if it was
/// computed on the way (CSV with `hash`).
fn parse(
    spec: &BarFileSpec,
    sink: &mut Sink,
    instrument: InstrumentId,
    hash: bool,
) -> Result<(Entry, Option<String>), Stop> {
    let (table, sha256): (RawTable, Option<String>) = match spec.resolved_format() {
        FileFormat::Parquet => (parquet_io::read_table(&spec.path, spec, sink)?, None),
        _ => {
            let r = crate::csv_reader::read_file(&spec.path, spec, sink, hash)?;
            (r.table, r.sha256)
        }
    };
    let rows = table.data_rows;
    let actions = table.actions.clone();
    let n = validate::normalise(table, spec, sink, instrument)?;
    let entry = Entry {
        bars: n.bars,
        rows,
        interval: n.interval,
        order: n.order,
        skipped: n.skipped_outside_hours,
        warnings: Vec::new(),
        actions,
    };
    Ok((entry, sha256))
}

fn finish(
    file: &str,
    entry: Entry,
    sha256: String,
    cache: CacheStatus,
) -> Result<LoadedBars, DataError> {
    let (Some(first), Some(last)) = (
        entry.bars.first().map(|b| b.ts),
        entry.bars.last().map(|b| b.ts),
    ) else {
        return Err(DataError::from(Problem::error(
            file,
            Location::File,
            None,
            ProblemKind::NoBarsLeft,
        )));
    };
    let gaps = gap_report(&entry.bars, entry.interval);
    Ok(LoadedBars {
        gaps,
        first,
        last,
        sha256,
        rows: entry.rows,
        interval: entry.interval,
        order: entry.order,
        warnings: entry.warnings,
        actions: actions::from_columns(&entry.actions),
        skipped_outside_hours: entry.skipped,
        bars: entry.bars,
        cache,
    })
}

/// Loads a bar file for a backtest: fails on the first error, keeps
/// warnings, and for CSV uses the Parquet cache (see [`BarFileSpec::cache`]).
///
/// # Errors
/// [`DataError::Io`] naming the path when the file cannot be read,
/// [`DataError::Invalid`] with the first located problem, or
/// [`DataError::Parquet`].
pub fn load_bars(spec: &BarFileSpec, instrument: InstrumentId) -> Result<LoadedBars, DataError> {
    let path = &spec.path;
    let before = stamp(path)?;
    let format = spec.resolved_format();
    if format == FileFormat::Parquet && parquet_io::is_own_format(path) {
        let sha256 = cache::sha256_file(path).map_err(|e| io_error(path, e))?;
        return load_own(spec, instrument, sha256);
    }
    let use_cache = spec.cache && format == FileFormat::Csv;
    // With the cache, the hash is needed before parsing (it is the key);
    // without, it is computed while parsing, in the same pass.
    let known_sha = if use_cache || format == FileFormat::Parquet {
        Some(cache::sha256_file(path).map_err(|e| io_error(path, e))?)
    } else {
        None
    };
    let mut rebuilt: Option<(PathBuf, String)> = None;
    let mut key = String::new();
    if let (true, Some(sha)) = (use_cache, &known_sha) {
        key = cache::key(sha, spec);
        let cache_path = cache::path_for(&spec.resolved_cache_dir(), &key);
        match cache::load(&cache_path, &key, instrument, &spec.display_path()) {
            Ok(Some(entry)) => {
                return finish(
                    &spec.display_path(),
                    entry,
                    sha.clone(),
                    CacheStatus::Hit(cache_path),
                );
            }
            Ok(None) => {}
            Err(reason) => rebuilt = Some((cache_path, reason)),
        }
    }
    let mut sink = Sink::new(spec.display_path(), true);
    let Ok((mut entry, parsed_sha)) = parse(spec, &mut sink, instrument, known_sha.is_none())
    else {
        return Err(first_error(sink));
    };
    if stamp(path)? != before {
        let kind = ProblemKind::Malformed("the file changed while it was being read".into());
        return Err(DataError::from(Problem::error(
            &spec.display_path(),
            Location::File,
            None,
            kind,
        )));
    }
    entry.warnings = sink.problems;
    let sha256 = known_sha.or(parsed_sha).unwrap_or_default();
    let status = if use_cache {
        match (
            cache::store(&spec.resolved_cache_dir(), &key, &entry),
            rebuilt,
        ) {
            (Ok(_), Some((path, reason))) => CacheStatus::Rebuilt { path, reason },
            (Ok(path), None) => CacheStatus::Stored(path),
            (Err(e), _) => CacheStatus::StoreFailed(e),
        }
    } else {
        CacheStatus::Off
    };
    finish(&spec.display_path(), entry, sha256, status)
}

fn load_own(
    spec: &BarFileSpec,
    instrument: InstrumentId,
    sha256: String,
) -> Result<LoadedBars, DataError> {
    let f = parquet_io::read_bars(&spec.path, instrument)?;
    let mut sink = Sink::new(spec.display_path(), true);
    let mut bars = Vec::with_capacity(f.bars.len());
    for (i, b) in f.bars.iter().enumerate() {
        let loc = Location::Row(i as u64 + 1);
        if let Some(prev) = bars.last().map(|p: &Bar| p.ts)
            && b.ts <= prev
        {
            let kind = ProblemKind::OutOfOrder {
                previous: i as u64,
                order: "ascending",
            };
            let _ = sink.error(loc, None, kind);
            return Err(first_error(sink));
        }
        if let Err(problem) = b.check() {
            let ohlc = [b.open, b.high, b.low, b.close].map(|p| p.to_string());
            match sink.policy(
                spec.on_bad_ohlc,
                loc,
                None,
                ProblemKind::BadOhlc { problem, ohlc },
            ) {
                Err(Stop) => return Err(first_error(sink)),
                Ok(false) => continue,
                Ok(true) => {}
            }
        }
        bars.push(*b);
    }
    let interval = f
        .metadata
        .get("trade.interval")
        .or_else(|| f.metadata.get("trade.cache.interval"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| guess_interval(&bars));
    let entry = Entry {
        rows: f.bars.len(),
        bars,
        interval,
        order: RowOrder::Ascending,
        skipped: 0,
        warnings: sink.problems,
        actions: Vec::new(),
    };
    finish(&spec.display_path(), entry, sha256, CacheStatus::Off)
}

fn guess_interval(bars: &[Bar]) -> Interval {
    let step = bars
        .windows(2)
        .map(|w| w[1].ts.secs() - w[0].ts.secs())
        .filter(|&d| d > 0)
        .min()
        .unwrap_or(crate::timestamps::DAY);
    match u32::try_from(step) {
        Ok(s) if i64::from(s) < crate::timestamps::DAY / 2 => Interval::Seconds(s),
        _ => Interval::Daily,
    }
}

/// Checks a file and reports every problem found, for `trade data check`.
/// Never uses the cache: the point is to look at the file itself.
pub fn check_file(spec: &BarFileSpec) -> DataReport {
    let file = spec.display_path();
    let mut report = DataReport {
        file: file.clone(),
        ..DataReport::default()
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        Problem::error(
            &file,
            Location::File,
            None,
            ProblemKind::Unreadable(e.to_string()),
        )
    };
    if let Err(e) = std::fs::metadata(&spec.path) {
        report.problems.push(unreadable(&e));
        return report;
    }
    let format = spec.resolved_format();
    if format == FileFormat::Parquet {
        match cache::sha256_file(&spec.path) {
            Ok(sha) => report.sha256 = Some(sha),
            Err(e) => {
                report.problems.push(unreadable(&e));
                return report;
            }
        }
        if parquet_io::is_own_format(&spec.path) {
            match load_own(
                spec,
                InstrumentId(0),
                report.sha256.clone().unwrap_or_default(),
            ) {
                Ok(l) => fill(&mut report, &l),
                Err(e) => report
                    .problems
                    .push(e.problem().cloned().unwrap_or_else(|| unreadable(&e))),
            }
            return report;
        }
    }
    let mut sink = Sink::new(file.clone(), false);
    let parsed = parse(spec, &mut sink, InstrumentId(0), format == FileFormat::Csv);
    report.problems = sink.problems;
    if let Ok((e, sha)) = parsed {
        if sha.is_some() {
            report.sha256 = sha;
        }
        report.rows = e.rows;
        report.bars = e.bars.len();
        report.interval = Some(e.interval);
        report.order = Some(e.order);
        report.first = e.bars.first().map(|b| b.ts);
        report.last = e.bars.last().map(|b| b.ts);
        report.skipped_outside_hours = e.skipped;
        report.actions = actions::from_columns(&e.actions);
        if !e.bars.is_empty() {
            report.gaps = Some(gap_report(&e.bars, e.interval));
        }
    } else if report.sha256.is_none() {
        report.sha256 = cache::sha256_file(&spec.path).ok();
    }
    report
}

fn fill(report: &mut DataReport, l: &LoadedBars) {
    report.rows = l.rows;
    report.bars = l.bars.len();
    report.interval = Some(l.interval);
    report.order = Some(l.order);
    report.first = Some(l.first);
    report.last = Some(l.last);
    report.problems.extend(l.warnings.iter().cloned());
    report.gaps = Some(l.gaps.clone());
}
