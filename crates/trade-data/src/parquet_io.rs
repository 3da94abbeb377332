//! Parquet: reading bar files of common shapes into the same intermediate
//! rows as CSV (so they get the same validation), and writing/reading our
//! own bar format.
//!
//! Our format: required INT64 columns `ts` (TIMESTAMP(NANOS, UTC) = bar
//! end), `open`, `high`, `low`, `close` (DECIMAL(18, 8) = the fixed-point
//! raw values unchanged) and `volume` (UINT_64); key-value metadata
//! `trade.format = trade-bars/1`. Generic readers (pandas, polars, DuckDB)
//! see a UTC timestamp, exact decimals and an unsigned volume.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal64Type, Decimal128Type, Float32Type, Float64Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use jiff::tz::TimeZone;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use trade_core::fixed::SCALE;
use trade_core::{Bar, InstrumentId, Price, Timestamp};

use crate::columns::{self, Resolved};
use crate::error::{DataError, Location, ProblemKind};
use crate::spec::{BarFileSpec, TimestampFormat};
use crate::table::{ColumnAction, RawTable, Row, Sink, Stop};
use crate::timestamps::{self, DAY, NO_OFFSET, Parsed, date_of_day};

/// Value of the `trade.format` metadata key in our bar files.
pub const FORMAT: &str = "trade-bars/1";
const BATCH: usize = 64 * 1024;

fn pq_err(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Our format's Parquet schema. Logical types make generic readers see a
/// UTC timestamp, exact decimals and an unsigned volume.
const SCHEMA: &str = "message trade_bars {
    required int64 ts (TIMESTAMP(NANOS,true));
    required int64 open (DECIMAL(18,8));
    required int64 high (DECIMAL(18,8));
    required int64 low (DECIMAL(18,8));
    required int64 close (DECIMAL(18,8));
    required int64 volume (INTEGER(64,false));
}";

/// How to compress a bar file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BarCompression {
    /// None: fastest to read back (the cache).
    None,
    /// Zstandard level 1: about a third of the size (files to keep or share).
    Zstd,
}

/// Writes bars in our format to any writer, with the low-level column
/// writer fed from one reusable buffer: no Arrow arrays in between.
///
/// # Errors
/// Parquet errors as text.
pub(crate) fn write_bars_to<W: std::io::Write + Send>(
    w: W,
    bars: &[Bar],
    metadata: &[(String, String)],
    compression: BarCompression,
) -> Result<(), String> {
    use parquet::data_type::Int64Type;
    use parquet::file::properties::EnabledStatistics;
    use parquet::file::writer::SerializedFileWriter;

    let s = |e: &dyn std::fmt::Display| e.to_string();
    let schema = Arc::new(parquet::schema::parser::parse_message_type(SCHEMA).map_err(|e| s(&e))?);
    let mut kv = vec![KeyValue::new("trade.format".into(), FORMAT.to_string())];
    kv.extend(
        metadata
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    let props = WriterProperties::builder()
        .set_compression(match compression {
            BarCompression::None => Compression::UNCOMPRESSED,
            BarCompression::Zstd => Compression::ZSTD(ZstdLevel::try_new(1).map_err(|e| s(&e))?),
        })
        .set_dictionary_enabled(compression == BarCompression::Zstd)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_key_value_metadata(Some(kv))
        .build();
    let mut writer = SerializedFileWriter::new(w, schema, Arc::new(props)).map_err(|e| s(&e))?;
    let fields: [fn(&Bar) -> i64; 6] = [
        |b| b.ts.nanos(),
        |b| b.open.raw(),
        |b| b.high.raw(),
        |b| b.low.raw(),
        |b| b.close.raw(),
        |b| b.volume as i64, // UINT_64 travels in INT64 bits
    ];
    let mut buf: Vec<i64> = Vec::with_capacity(BATCH);
    for chunk in bars.chunks(BATCH) {
        let mut group = writer.next_row_group().map_err(|e| s(&e))?;
        for field in fields {
            buf.clear();
            buf.extend(chunk.iter().map(field));
            let mut col = group
                .next_column()
                .map_err(|e| s(&e))?
                .ok_or("schema has fewer columns than bars")?;
            col.typed::<Int64Type>()
                .write_batch(&buf, None, None)
                .map_err(|e| s(&e))?;
            col.close().map_err(|e| s(&e))?;
        }
        group.close().map_err(|e| s(&e))?;
    }
    writer.close().map_err(|e| s(&e))?;
    Ok(())
}

/// Writes bars to `path` in our format (zstd), with extra metadata pairs.
///
/// # Errors
/// [`DataError::Io`] or [`DataError::Parquet`].
pub fn write_bars(
    path: &Path,
    bars: &[Bar],
    metadata: &[(String, String)],
) -> Result<(), DataError> {
    let f = File::create(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    write_bars_to(f, bars, metadata, BarCompression::Zstd).map_err(|e| pq_err(path, e))
}

/// Bars read from our format, with the file's key-value metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsFile {
    /// The bars, in file order.
    pub bars: Vec<Bar>,
    /// Key-value metadata (including `trade.format`).
    pub metadata: BTreeMap<String, String>,
}

/// Reads a file written by [`write_bars`] (or the cache).
///
/// Our files are read with the low-level column reader straight into
/// reusable `i64` buffers, one row group at a time: no Arrow arrays, casts
/// or per-batch allocations, which makes the cache several times faster
/// than going through `ParquetRecordBatchReader`.
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parquet`] when the file is not ours,
/// has nulls, or does not decode.
pub fn read_bars(path: &Path, instrument: InstrumentId) -> Result<BarsFile, DataError> {
    use parquet::basic::Type as Physical;
    use parquet::column::reader::ColumnReader;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let f = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = SerializedFileReader::new(f).map_err(|e| pq_err(path, e))?;
    let md = reader.metadata();
    let metadata: BTreeMap<String, String> = md
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if metadata.get("trade.format").map(String::as_str) != Some(FORMAT) {
        return Err(pq_err(
            path,
            format!("not a {FORMAT} file (no trade.format metadata)"),
        ));
    }
    let schema = md.file_metadata().schema_descr();
    let names = ["ts", "open", "high", "low", "close", "volume"];
    let shape_ok = schema.num_columns() == names.len()
        && schema.columns().iter().zip(names).all(|(c, n)| {
            c.name() == n
                && c.physical_type() == Physical::INT64
                && c.max_def_level() == 0
                && c.max_rep_level() == 0
        });
    if !shape_ok {
        return Err(pq_err(
            path,
            "unexpected columns: expected required INT64 ts, open, high, low, close, volume",
        ));
    }
    let n = usize::try_from(md.file_metadata().num_rows()).unwrap_or(0);
    let mut bars = Vec::with_capacity(n);
    let mut cols: [Vec<i64>; 6] = Default::default();
    for rg in 0..reader.num_row_groups() {
        let group = reader.get_row_group(rg).map_err(|e| pq_err(path, e))?;
        let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        for (j, buf) in cols.iter_mut().enumerate() {
            buf.clear();
            let ColumnReader::Int64ColumnReader(mut r) =
                group.get_column_reader(j).map_err(|e| pq_err(path, e))?
            else {
                return Err(pq_err(path, "column is not INT64"));
            };
            while buf.len() < rows {
                let before = buf.len();
                r.read_records(rows - before, None, None, buf)
                    .map_err(|e| pq_err(path, e))?;
                if buf.len() == before {
                    return Err(pq_err(
                        path,
                        format!("row group {rg} column {j}: {before} of {rows} values"),
                    ));
                }
            }
        }
        let [ts, o, h, l, c, v] = &cols;
        // Zipped slices: no bounds check per element, exact-size extend.
        bars.extend(ts.iter().zip(o).zip(h).zip(l).zip(c).zip(v).map(
            |(((((&ts, &o), &h), &l), &c), &v)| Bar {
                instrument,
                ts: Timestamp::from_nanos(ts),
                open: Price::from_raw(o),
                high: Price::from_raw(h),
                low: Price::from_raw(l),
                close: Price::from_raw(c),
                volume: v as u64, // UINT_64 is stored in INT64 bits
            },
        ));
    }
    if bars.len() != n {
        return Err(pq_err(
            path,
            format!("{} rows decoded, footer says {n}", bars.len()),
        ));
    }
    Ok(BarsFile { bars, metadata })
}

fn kv_metadata<T: parquet::file::reader::ChunkReader>(
    b: &ParquetRecordBatchReaderBuilder<T>,
) -> BTreeMap<String, String> {
    b.metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `path` is a Parquet file in our own format.
pub(crate) fn is_own_format(path: &Path) -> bool {
    File::open(path)
        .ok()
        .and_then(|f| ParquetRecordBatchReaderBuilder::try_new(f).ok())
        .is_some_and(|b| kv_metadata(&b).get("trade.format").map(String::as_str) == Some(FORMAT))
}

fn parse_tz(name: &str) -> Option<TimeZone> {
    if let Ok(tz) = TimeZone::get(name) {
        return Some(tz);
    }
    let p = timestamps::parse_auto(format!("2000-01-01 00:00{name}").as_bytes())?;
    (p.offset != NO_OFFSET)
        .then(|| {
            jiff::tz::Offset::from_seconds(p.offset)
                .ok()
                .map(TimeZone::fixed)
        })
        .flatten()
}

/// A numeric column of one batch, whatever its Arrow type.
enum Num<'a> {
    F64(&'a arrow_array::Float64Array),
    F32(&'a arrow_array::Float32Array),
    Dec128(&'a arrow_array::Decimal128Array, i8),
    Dec64(&'a arrow_array::Decimal64Array, i8),
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
    U64(&'a arrow_array::UInt64Array),
    U32(&'a arrow_array::UInt32Array),
}

impl<'a> Num<'a> {
    fn of(a: &'a ArrayRef) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Float64 => Num::F64(a.as_primitive::<Float64Type>()),
            DataType::Float32 => Num::F32(a.as_primitive::<Float32Type>()),
            DataType::Decimal128(_, s) => Num::Dec128(a.as_primitive::<Decimal128Type>(), *s),
            DataType::Decimal64(_, s) => Num::Dec64(a.as_primitive::<Decimal64Type>(), *s),
            DataType::Int64 => Num::I64(a.as_primitive::<Int64Type>()),
            DataType::Int32 => Num::I32(a.as_primitive::<Int32Type>()),
            DataType::UInt64 => Num::U64(a.as_primitive::<UInt64Type>()),
            DataType::UInt32 => Num::U32(a.as_primitive::<UInt32Type>()),
            _ => return None,
        })
    }

    fn is_null(&self, i: usize) -> bool {
        match self {
            Num::F64(a) => a.is_null(i),
            Num::F32(a) => a.is_null(i),
            Num::Dec128(a, _) => a.is_null(i),
            Num::Dec64(a, _) => a.is_null(i),
            Num::I64(a) => a.is_null(i),
            Num::I32(a) => a.is_null(i),
            Num::U64(a) => a.is_null(i),
            Num::U32(a) => a.is_null(i),
        }
    }

    /// Value scaled by 10^`decimals` (an integer count of 10^-decimals units),
    /// `int_decimals` being the decimals implied in integer columns.
    fn scaled(&self, i: usize, decimals: u32, int_decimals: u32) -> Result<i128, ProblemKind> {
        if self.is_null(i) {
            return Err(ProblemKind::EmptyField);
        }
        let rescale = |v: i128, s: i32| -> Option<i128> {
            let shift = i32::try_from(decimals).ok()? - s;
            if shift >= 0 {
                v.checked_mul(10i128.checked_pow(shift as u32)?)
            } else {
                let d = 10i128.checked_pow(shift.unsigned_abs())?;
                Some((v + d / 2 * v.signum()) / d)
            }
        };
        let float = |x: f64| -> Result<i128, ProblemKind> {
            let y = (x * 10f64.powi(decimals as i32)).round();
            if y.is_finite() && y.abs() < 9.2e18 {
                Ok(y as i128)
            } else {
                Err(ProblemKind::BadNumber {
                    found: x.to_string(),
                })
            }
        };
        let int_scale = i32::try_from(int_decimals).unwrap_or(i32::MAX);
        let v = match self {
            Num::F64(a) => return float(a.value(i)),
            Num::F32(a) => return float(f64::from(a.value(i))),
            Num::Dec128(a, s) => rescale(a.value(i), i32::from(*s)),
            Num::Dec64(a, s) => rescale(i128::from(a.value(i)), i32::from(*s)),
            Num::I64(a) => rescale(i128::from(a.value(i)), int_scale),
            Num::I32(a) => rescale(i128::from(a.value(i)), int_scale),
            Num::U64(a) => rescale(i128::from(a.value(i)), int_scale),
            Num::U32(a) => rescale(i128::from(a.value(i)), int_scale),
        };
        v.ok_or_else(|| ProblemKind::BadNumber {
            found: "out of range".into(),
        })
    }

    fn price(&self, i: usize, int_decimals: u32) -> Result<i64, ProblemKind> {
        let v = self.scaled(i, 8, int_decimals)?;
        i64::try_from(v).map_err(|_| ProblemKind::BadNumber {
            found: format!("{v}e-8"),
        })
    }

    fn volume(&self, i: usize) -> Result<u64, ProblemKind> {
        let v = self.scaled(i, 0, 0)?;
        u64::try_from(v).map_err(|_| ProblemKind::BadVolume {
            found: v.to_string(),
        })
    }
}

/// Reads a foreign-shaped Parquet bar file into rows.
pub(crate) fn read_table(
    path: &Path,
    spec: &BarFileSpec,
    sink: &mut Sink,
) -> Result<RawTable, Stop> {
    let file = File::open(path)
        .map_err(|e| sink.fatal(Location::File, None, ProblemKind::Unreadable(e.to_string())))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| sink.fatal(Location::File, None, ProblemKind::Malformed(e.to_string())))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let cols = columns::resolve(
        &spec.columns,
        Some(&names),
        names.len(),
        &sink.file,
        spec.scale_to_adj_close,
    )
    .map_err(|p| {
        sink.problems.push(*p);
        Stop
    })?;
    if cols.volume.is_none() {
        sink.warn(Location::File, None, ProblemKind::NoVolume);
    }
    let reader = builder
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| sink.fatal(Location::File, None, ProblemKind::Malformed(e.to_string())))?;
    let mut table = RawTable::new(true);
    let mut row_no: u64 = 0;
    for batch in reader {
        let batch = batch
            .map_err(|e| sink.fatal(Location::File, None, ProblemKind::Malformed(e.to_string())))?;
        batch_rows(&batch, &cols, spec, sink, &mut table, &mut row_no)?;
    }
    if table.data_rows == 0 {
        return Err(sink.fatal(Location::File, None, ProblemKind::NoDataRows));
    }
    Ok(table)
}

fn unsupported(sink: &mut Sink, cols: &Resolved, i: usize, t: &DataType) -> Stop {
    sink.fatal(
        Location::File,
        Some(cols.name(i)),
        ProblemKind::BadSpec(format!("unsupported column type {t}")),
    )
}

fn string_at(a: &ArrayRef, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(a.as_string_view().value(i)),
        _ => None,
    }
}

fn timestamp_at(
    a: &ArrayRef,
    i: usize,
    format: &TimestampFormat,
    tz: Option<&TimeZone>,
) -> Result<Parsed, String> {
    let expected = || timestamps::EXPECTED.to_string();
    if a.is_null(i) {
        return Err(expected());
    }
    let instant = |secs: i64| -> Parsed {
        match tz {
            Some(tz) => {
                let off =
                    jiff::Timestamp::from_second(secs).map_or(0, |t| tz.to_offset(t).seconds());
                Parsed {
                    local: secs + i64::from(off),
                    offset: off,
                    date_only: false,
                }
            }
            None => Parsed {
                local: secs,
                offset: NO_OFFSET,
                date_only: false,
            },
        }
    };
    Ok(match a.data_type() {
        DataType::Timestamp(unit, _) => {
            let (v, per_sec) = match unit {
                TimeUnit::Second => (a.as_primitive::<TimestampSecondType>().value(i), 1),
                TimeUnit::Millisecond => {
                    (a.as_primitive::<TimestampMillisecondType>().value(i), 1_000)
                }
                TimeUnit::Microsecond => (
                    a.as_primitive::<TimestampMicrosecondType>().value(i),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => (
                    a.as_primitive::<TimestampNanosecondType>().value(i),
                    1_000_000_000,
                ),
            };
            instant(v.div_euclid(per_sec))
        }
        DataType::Date32 => Parsed {
            local: i64::from(a.as_primitive::<Date32Type>().value(i)) * DAY,
            offset: NO_OFFSET,
            date_only: true,
        },
        DataType::Date64 => Parsed {
            local: a
                .as_primitive::<Date64Type>()
                .value(i)
                .div_euclid(86_400_000)
                * DAY,
            offset: NO_OFFSET,
            date_only: true,
        },
        DataType::Int64 | DataType::Int32 | DataType::UInt32 | DataType::UInt64 => {
            let v: i64 = match a.data_type() {
                DataType::Int64 => a.as_primitive::<Int64Type>().value(i),
                DataType::Int32 => i64::from(a.as_primitive::<Int32Type>().value(i)),
                DataType::UInt32 => i64::from(a.as_primitive::<UInt32Type>().value(i)),
                _ => i64::try_from(a.as_primitive::<UInt64Type>().value(i))
                    .map_err(|_| expected())?,
            };
            match format {
                TimestampFormat::Auto => {
                    timestamps::parse_auto(v.to_string().as_bytes()).ok_or_else(expected)?
                }
                f => timestamps::parse(f, v.to_string().as_bytes())?,
            }
        }
        _ => {
            let s = string_at(a, i).ok_or_else(expected)?;
            timestamps::parse(format, s.as_bytes())?
        }
    })
}

fn batch_rows(
    batch: &RecordBatch,
    cols: &Resolved,
    spec: &BarFileSpec,
    sink: &mut Sink,
    table: &mut RawTable,
    row_no: &mut u64,
) -> Result<(), Stop> {
    let col = |i: usize| &batch.columns()[i];
    let num = |sink: &mut Sink, i: usize| {
        Num::of(col(i)).ok_or_else(|| unsupported(sink, cols, i, col(i).data_type()))
    };
    let (open, high, low, close) = (
        num(sink, cols.open)?,
        num(sink, cols.high)?,
        num(sink, cols.low)?,
        num(sink, cols.close)?,
    );
    let volume = cols.volume.map(|i| num(sink, i)).transpose()?;
    let adj = match cols.adj_close {
        Some(i) if spec.scale_to_adj_close => Some(num(sink, i)?),
        _ => None,
    };
    let dividend = cols.dividend.map(|i| num(sink, i)).transpose()?;
    let split = cols.split.map(|i| num(sink, i)).transpose()?;
    let ts_col = col(cols.timestamp);
    let tz = match ts_col.data_type() {
        DataType::Timestamp(_, Some(name)) => Some(
            parse_tz(name)
                .ok_or_else(|| unsupported(sink, cols, cols.timestamp, ts_col.data_type()))?,
        ),
        _ => None,
    };
    if cols.time.is_some() {
        return Err(sink.fatal(
            Location::File,
            None,
            ProblemKind::BadSpec("a separate time column is supported for CSV only".into()),
        ));
    }
    for i in 0..batch.num_rows() {
        *row_no += 1;
        let loc = Location::Row(*row_no);
        if let (Some(si), Some(want)) = (cols.symbol, &spec.symbol)
            && !string_at(col(si), i).is_some_and(|s| s.trim().eq_ignore_ascii_case(want))
        {
            continue;
        }
        table.data_rows += 1;
        let mut ok = true;
        let parsed = match timestamp_at(ts_col, i, &spec.timestamp_format, tz.as_ref()) {
            Ok(p) => Some(p),
            Err(expected) => {
                let found = string_at(ts_col, i)
                    .map_or_else(|| format!("{:?}", ts_col.data_type()), str::to_string);
                sink.error(
                    loc,
                    Some(cols.name(cols.timestamp)),
                    ProblemKind::BadTimestamp { found, expected },
                )?;
                None
            }
        };
        let mut price = |sink: &mut Sink, n: &Num<'_>, ci: usize| -> Result<i64, Stop> {
            n.price(i, spec.int_price_decimals).or_else(|kind| {
                ok = false;
                sink.error(loc, Some(cols.name(ci)), kind).map(|()| 0)
            })
        };
        let mut o = price(sink, &open, cols.open)?;
        let mut h = price(sink, &high, cols.high)?;
        let mut l = price(sink, &low, cols.low)?;
        let mut c = price(sink, &close, cols.close)?;
        if let (Some(a), Some(ai)) = (&adj, cols.adj_close) {
            let a = price(sink, a, ai)?;
            let scale = |v: i64| crate::table::mul_div(v, a, c).unwrap_or(0);
            (o, h, l) = (scale(o), scale(h), scale(l));
            c = a;
        }
        let v = match (&volume, cols.volume) {
            (Some(n), Some(vi)) => n.volume(i).or_else(|kind| {
                ok = false;
                sink.error(loc, Some(cols.name(vi)), kind).map(|()| 0)
            })?,
            _ => 0,
        };
        let Some(p) = parsed.filter(|_| ok) else {
            continue;
        };
        if let Some(date) = date_of_day(p.local.div_euclid(DAY)) {
            if let Some(d) = dividend
                .as_ref()
                .and_then(|n| n.price(i, spec.int_price_decimals).ok())
                .filter(|&d| d > 0)
            {
                table.actions.push((date, ColumnAction::Dividend(d)));
            }
            if let Some(s) = split
                .as_ref()
                .and_then(|n| n.price(i, spec.int_price_decimals).ok())
                .filter(|&s| s > 0 && s != SCALE)
            {
                table.actions.push((date, ColumnAction::Split(s)));
            }
        }
        table.push(Row {
            line: *row_no,
            offset: p.offset,
            local: p.local,
            date_only: p.date_only,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: v,
        });
    }
    Ok(())
}
