//! [`ChainStore`]: chain snapshots kept as Parquet on local disk.
//!
//! Layout: `<root>/<UNDERLYING>/<YYYY>.parquet`, one file per underlying
//! and calendar year, rows sorted by (date, expiry, strike, right with
//! calls first), one row group per calendar month. One snapshot per
//! underlying and date: the store holds end-of-day chains, and writing a
//! date again replaces it.
//!
//! Why this layout: a backtest reads a contiguous date range of one
//! underlying, so files by underlying and year keep the number of files
//! small (a decade of SPY is ten files) while a range read opens only the
//! years it needs and skips whole months through the row groups'
//! statistics on `date`. Rewriting a year on update is cheap next to the
//! reads it serves.
//!
//! Columns (generic readers such as pandas, polars or DuckDB see exact
//! decimals and a UTC timestamp): `date` DATE32, `ts` TIMESTAMP(ns, UTC),
//! `underlying` UTF8, `underlying_price` DECIMAL(18,8), `expiry` DATE32,
//! `strike` DECIMAL(18,8), `right` UTF8 `C`/`P`, `bid`, `ask`, `last`
//! DECIMAL(18,8) (last nullable), `volume`, `open_interest` UINT64
//! nullable, `iv`, `delta`, `gamma`, `vega`, `theta`, `rho` FLOAT64
//! nullable (Greeks in [`crate::pricing`] units), `source` UTF8
//! `real`/`modelled`. Key-value metadata `trade.format =`
//! [`STORE_FORMAT`].
//!
//! Writes go to a temporary file in the same directory, are synced, and
//! are renamed into place: a reader never sees a half-written file. A
//! snapshot without quotes stores no rows (and so is not read back).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::builder::{
    Date32Builder, Decimal64Builder, Float64Builder, StringBuilder, TimestampNanosecondBuilder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal64Type, Float64Type, TimestampNanosecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use jiff::civil::Date;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::statistics::Statistics;
use trade_core::{OptionRight, Price, Symbol, Timestamp};

use super::error::ChainError;
use super::quote::{ContractKey, OptionQuote, QuoteGreeks, QuoteSource, right_code};
use super::snapshot::{ChainSnapshot, epoch_days};

/// Value of the `trade.format` metadata key of chain-store files.
pub const STORE_FORMAT: &str = "trade-chains/1";

const COLUMNS: [&str; 19] = [
    "date",
    "ts",
    "underlying",
    "underlying_price",
    "expiry",
    "strike",
    "right",
    "bid",
    "ask",
    "last",
    "volume",
    "open_interest",
    "iv",
    "delta",
    "gamma",
    "vega",
    "theta",
    "rho",
    "source",
];

fn schema() -> SchemaRef {
    let dec = DataType::Decimal64(18, 8);
    let f = |name: &str, t: DataType, nullable: bool| Field::new(name, t, nullable);
    Arc::new(Schema::new(vec![
        f("date", DataType::Date32, false),
        f(
            "ts",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        ),
        f("underlying", DataType::Utf8, false),
        f("underlying_price", dec.clone(), false),
        f("expiry", DataType::Date32, false),
        f("strike", dec.clone(), false),
        f("right", DataType::Utf8, false),
        f("bid", dec.clone(), false),
        f("ask", dec.clone(), false),
        f("last", dec, true),
        f("volume", DataType::UInt64, true),
        f("open_interest", DataType::UInt64, true),
        f("iv", DataType::Float64, true),
        f("delta", DataType::Float64, true),
        f("gamma", DataType::Float64, true),
        f("vega", DataType::Float64, true),
        f("theta", DataType::Float64, true),
        f("rho", DataType::Float64, true),
        f("source", DataType::Utf8, false),
    ]))
}

/// A directory of chain snapshots. See the module documentation for the
/// layout.
#[derive(Debug, Clone)]
pub struct ChainStore {
    root: PathBuf,
}

impl ChainStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ChainStore { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file holding `underlying`'s snapshots of `year`.
    pub fn file_for(&self, underlying: &Symbol, year: i16) -> PathBuf {
        self.root
            .join(underlying.as_str())
            .join(format!("{year:04}.parquet"))
    }

    /// Writes snapshots, replacing any stored snapshot of the same
    /// underlying and date. Returns the files written.
    ///
    /// # Errors
    /// [`ChainError::Store`] when two given snapshots share an underlying
    /// and date, or a file cannot be read, written or renamed.
    pub fn write(&self, snapshots: &[ChainSnapshot]) -> Result<Vec<PathBuf>, ChainError> {
        let mut groups: BTreeMap<(Symbol, i16), BTreeMap<Date, &ChainSnapshot>> = BTreeMap::new();
        for s in snapshots {
            let g = groups
                .entry((s.underlying().clone(), s.date().year()))
                .or_default();
            if g.insert(s.date(), s).is_some() {
                return Err(ChainError::Store {
                    path: self.file_for(s.underlying(), s.date().year()),
                    message: format!(
                        "two snapshots of {} on {}: the store keeps one per date",
                        s.underlying(),
                        s.date()
                    ),
                });
            }
        }
        let mut written = Vec::new();
        for ((underlying, year), new) in groups {
            let path = self.file_for(&underlying, year);
            let mut existing = if path.exists() {
                read_file(&path, None)?
            } else {
                Vec::new()
            };
            existing.retain(|s| !new.contains_key(&s.date()));
            let mut merged: Vec<&ChainSnapshot> = existing.iter().collect();
            merged.extend(new.values().copied());
            merged.sort_by_key(|s| s.date());
            write_atomically(&path, &merged)?;
            written.push(path);
        }
        Ok(written)
    }

    /// The stored snapshots of `underlying` with `from <= date <= to`, by
    /// date. Years without a file contribute nothing.
    ///
    /// # Errors
    /// [`ChainError::Store`] when a file is not a chain-store file or does
    /// not decode.
    pub fn read(
        &self,
        underlying: &Symbol,
        from: Date,
        to: Date,
    ) -> Result<Vec<ChainSnapshot>, ChainError> {
        let mut out = Vec::new();
        if from > to {
            return Ok(out);
        }
        for year in from.year()..=to.year() {
            let path = self.file_for(underlying, year);
            if path.exists() {
                out.extend(read_file(&path, Some((from, to)))?);
            }
        }
        Ok(out)
    }

    /// The dates stored for `underlying`, ascending.
    ///
    /// # Errors
    /// As [`ChainStore::read`].
    pub fn dates(&self, underlying: &Symbol) -> Result<Vec<Date>, ChainError> {
        let dir = self.root.join(underlying.as_str());
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut years: Vec<i16> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".parquet")?.parse().ok()
            })
            .collect();
        years.sort_unstable();
        let mut dates = Vec::new();
        for y in years {
            dates.extend(
                read_file(&self.file_for(underlying, y), None)?
                    .iter()
                    .map(ChainSnapshot::date),
            );
        }
        Ok(dates)
    }
}

fn store_err(path: &Path, e: impl std::fmt::Display) -> ChainError {
    ChainError::Store {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes `snapshots` (sorted by date) to a temporary sibling, syncs it
/// and renames it over `path`.
fn write_atomically(path: &Path, snapshots: &[&ChainSnapshot]) -> Result<(), ChainError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| ChainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_file(&tmp, snapshots).and_then(|()| {
        fs::rename(&tmp, path).map_err(|source| ChainError::Io {
            path: path.to_path_buf(),
            source,
        })
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_file(path: &Path, snapshots: &[&ChainSnapshot]) -> Result<(), ChainError> {
    let file = File::create(path).map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).map_err(|e| store_err(path, e))?,
        ))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(None)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "trade.format".into(),
            STORE_FORMAT.to_string(),
        )]))
        .build();
    let schema = schema();
    let mut writer = ArrowWriter::try_new(
        file.try_clone().map_err(|source| ChainError::Io {
            path: path.to_path_buf(),
            source,
        })?,
        schema.clone(),
        Some(props),
    )
    .map_err(|e| store_err(path, e))?;
    // One row group per calendar month: `flush` closes the group.
    let mut i = 0;
    while i < snapshots.len() {
        let month = (snapshots[i].date().year(), snapshots[i].date().month());
        let j = snapshots[i..]
            .iter()
            .position(|s| (s.date().year(), s.date().month()) != month)
            .map_or(snapshots.len(), |p| i + p);
        let batch = to_batch(&schema, &snapshots[i..j]).map_err(|e| store_err(path, e))?;
        writer.write(&batch).map_err(|e| store_err(path, e))?;
        writer.flush().map_err(|e| store_err(path, e))?;
        i = j;
    }
    writer.close().map_err(|e| store_err(path, e))?;
    file.sync_all().map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn to_batch(schema: &SchemaRef, snapshots: &[&ChainSnapshot]) -> Result<RecordBatch, String> {
    let n: usize = snapshots.iter().map(|s| s.len()).sum();
    let dec = || Decimal64Builder::with_capacity(n);
    let mut date = Date32Builder::with_capacity(n);
    let mut ts = TimestampNanosecondBuilder::with_capacity(n);
    let mut und = StringBuilder::with_capacity(n, n * 4);
    let mut und_px = dec();
    let mut expiry = Date32Builder::with_capacity(n);
    let mut strike = dec();
    let mut right = StringBuilder::with_capacity(n, n);
    let (mut bid, mut ask, mut last) = (dec(), dec(), dec());
    let mut volume = UInt64Builder::with_capacity(n);
    let mut oi = UInt64Builder::with_capacity(n);
    let mut floats: [Float64Builder; 6] = std::array::from_fn(|_| Float64Builder::with_capacity(n));
    let mut source = StringBuilder::with_capacity(n, n * 8);
    for s in snapshots {
        let d = epoch_days(s.date());
        for q in s.quotes() {
            date.append_value(d);
            ts.append_value(s.ts().nanos());
            und.append_value(s.underlying().as_str());
            und_px.append_value(s.underlying_price().raw());
            expiry.append_value(epoch_days(q.key.expiry));
            strike.append_value(q.key.strike.raw());
            right.append_value(right_code(q.key.right));
            bid.append_value(q.bid.raw());
            ask.append_value(q.ask.raw());
            last.append_option(q.last.map(Price::raw));
            volume.append_option(q.volume);
            oi.append_option(q.open_interest);
            let g = q.greeks;
            let vals = [
                q.iv,
                g.map(|g| g.delta),
                g.map(|g| g.gamma),
                g.map(|g| g.vega),
                g.map(|g| g.theta),
                g.map(|g| g.rho),
            ];
            for (b, v) in floats.iter_mut().zip(vals) {
                b.append_option(v);
            }
            source.append_value(q.source.as_str());
        }
    }
    let decimal = |mut b: Decimal64Builder| -> Result<ArrayRef, String> {
        Ok(Arc::new(
            b.finish()
                .with_precision_and_scale(18, 8)
                .map_err(|e| e.to_string())?,
        ))
    };
    let [iv, delta, gamma, vega, theta, rho] = floats;
    let fin = |mut b: Float64Builder| -> ArrayRef { Arc::new(b.finish()) };
    let cols: Vec<ArrayRef> = vec![
        Arc::new(date.finish()),
        Arc::new(ts.finish().with_timezone("UTC")),
        Arc::new(und.finish()),
        decimal(und_px)?,
        Arc::new(expiry.finish()),
        decimal(strike)?,
        Arc::new(right.finish()),
        decimal(bid)?,
        decimal(ask)?,
        decimal(last)?,
        Arc::new(volume.finish()),
        Arc::new(oi.finish()),
        fin(iv),
        fin(delta),
        fin(gamma),
        fin(vega),
        fin(theta),
        fin(rho),
        Arc::new(source.finish()),
    ];
    RecordBatch::try_new(schema.clone(), cols).map_err(|e| e.to_string())
}

/// Reads a store file, keeping the dates within `range` when given.
fn read_file(path: &Path, range: Option<(Date, Date)>) -> Result<Vec<ChainSnapshot>, ChainError> {
    let file = File::open(path).map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| store_err(path, e))?;
    let md = builder.metadata().clone();
    let format = md
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "trade.format"))
        .and_then(|k| k.value.clone());
    if format.as_deref() != Some(STORE_FORMAT) {
        return Err(store_err(
            path,
            format!("not a {STORE_FORMAT} file (trade.format is {format:?})"),
        ));
    }
    let want = schema();
    if builder.schema().fields() != want.fields() {
        return Err(store_err(
            path,
            format!("unexpected columns: expected {COLUMNS:?} with the documented types"),
        ));
    }
    let builder = match range {
        None => builder,
        Some((from, to)) => {
            let (lo, hi) = (epoch_days(from), epoch_days(to));
            let date_col = md
                .file_metadata()
                .schema_descr()
                .columns()
                .iter()
                .position(|c| c.name() == "date")
                .ok_or_else(|| store_err(path, "no date column"))?;
            let groups: Vec<usize> = (0..md.num_row_groups())
                .filter(|&i| match md.row_group(i).column(date_col).statistics() {
                    Some(Statistics::Int32(s)) => match (s.min_opt(), s.max_opt()) {
                        (Some(&min), Some(&max)) => max >= lo && min <= hi,
                        _ => true,
                    },
                    _ => true,
                })
                .collect();
            builder.with_row_groups(groups)
        }
    };
    let reader = builder.build().map_err(|e| store_err(path, e))?;
    let mut out: Vec<ChainSnapshot> = Vec::new();
    let mut current: Option<Pending> = None;
    for batch in reader {
        let batch = batch.map_err(|e| store_err(path, e))?;
        decode_batch(&batch, range, &mut current, &mut out).map_err(|e| store_err(path, e))?;
    }
    if let Some(p) = current.take() {
        out.push(p.finish().map_err(|e| store_err(path, e))?);
    }
    Ok(out)
}

/// The snapshot being assembled from consecutive rows of one date.
struct Pending {
    date: Date,
    underlying: Symbol,
    ts: Timestamp,
    price: Price,
    quotes: Vec<OptionQuote>,
}

impl Pending {
    fn finish(self) -> Result<ChainSnapshot, String> {
        ChainSnapshot::new(self.underlying, self.date, self.ts, self.price, self.quotes)
            .map_err(|e| format!("{}: {e}", self.date))
    }
}

fn decode_batch(
    batch: &RecordBatch,
    range: Option<(Date, Date)>,
    current: &mut Option<Pending>,
    out: &mut Vec<ChainSnapshot>,
) -> Result<(), String> {
    let col = |i: usize| batch.column(i);
    let date = col(0).as_primitive::<Date32Type>();
    let ts = col(1).as_primitive::<TimestampNanosecondType>();
    let und = col(2).as_string::<i32>();
    let und_px = col(3).as_primitive::<Decimal64Type>();
    let expiry = col(4).as_primitive::<Date32Type>();
    let strike = col(5).as_primitive::<Decimal64Type>();
    let right = col(6).as_string::<i32>();
    let bid = col(7).as_primitive::<Decimal64Type>();
    let ask = col(8).as_primitive::<Decimal64Type>();
    let last = col(9).as_primitive::<Decimal64Type>();
    let volume = col(10).as_primitive::<UInt64Type>();
    let oi = col(11).as_primitive::<UInt64Type>();
    let f = |i: usize| col(i).as_primitive::<Float64Type>();
    let (iv, delta, gamma, vega, theta, rho) = (f(12), f(13), f(14), f(15), f(16), f(17));
    let source = col(18).as_string::<i32>();
    let opt_f = |a: &arrow_array::Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
    let (lo, hi) = range.map_or((i32::MIN, i32::MAX), |(a, b)| {
        (epoch_days(a), epoch_days(b))
    });
    let mut cached: Option<(i32, Date)> = None;
    for i in 0..batch.num_rows() {
        let d = date.value(i);
        if d < lo || d > hi {
            continue;
        }
        let day = match cached {
            Some((n, day)) if n == d => day,
            _ => {
                let day = date_from_epoch_days(d)
                    .ok_or_else(|| format!("row {i}: date {d} out of range"))?;
                cached = Some((d, day));
                day
            }
        };
        if current.as_ref().is_some_and(|p| p.date != day)
            && let Some(p) = current.take()
        {
            out.push(p.finish()?);
        }
        if current.is_none() {
            *current = Some(Pending {
                date: day,
                underlying: Symbol::new(und.value(i)).map_err(|e| e.to_string())?,
                ts: Timestamp::from_nanos(ts.value(i)),
                price: Price::from_raw(und_px.value(i)),
                quotes: Vec::new(),
            });
        }
        let key = ContractKey::new(
            date_from_epoch_days(expiry.value(i))
                .ok_or_else(|| format!("row {i}: expiry out of range"))?,
            Price::from_raw(strike.value(i)),
            match right.value(i) {
                "C" => OptionRight::Call,
                "P" => OptionRight::Put,
                other => return Err(format!("row {i}: right {other:?} is not C or P")),
            },
        );
        let greeks = match (
            opt_f(delta, i),
            opt_f(gamma, i),
            opt_f(vega, i),
            opt_f(theta, i),
            opt_f(rho, i),
        ) {
            (Some(delta), Some(gamma), Some(vega), Some(theta), Some(rho)) => Some(QuoteGreeks {
                delta,
                gamma,
                vega,
                theta,
                rho,
            }),
            _ => None,
        };
        let q = OptionQuote {
            key,
            bid: Price::from_raw(bid.value(i)),
            ask: Price::from_raw(ask.value(i)),
            last: (!last.is_null(i)).then(|| Price::from_raw(last.value(i))),
            volume: (!volume.is_null(i)).then(|| volume.value(i)),
            open_interest: (!oi.is_null(i)).then(|| oi.value(i)),
            iv: opt_f(iv, i),
            greeks,
            source: QuoteSource::parse(source.value(i))
                .ok_or_else(|| format!("row {i}: source {:?}", source.value(i)))?,
        };
        if let Some(p) = current.as_mut() {
            p.quotes.push(q);
        }
    }
    Ok(())
}

/// The civil date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
pub(crate) fn date_from_epoch_days(days: i32) -> Option<Date> {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_round_trip() {
        for n in [-719_468, -1, 0, 1, 10_957, 19_000, 20_000, 2_932_896] {
            let d = date_from_epoch_days(n).unwrap();
            assert_eq!(epoch_days(d), n, "{d}");
        }
        assert!(date_from_epoch_days(i32::MAX).is_none());
    }
}
