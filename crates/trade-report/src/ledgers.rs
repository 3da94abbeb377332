//! The Parquet ledgers of a run folder: their schemas (one table per file),
//! the writers and the readers.
//!
//! Column types are chosen so pandas, polars and DuckDB read the files
//! without help and nothing is rounded:
//!
//! * instants: `Timestamp(Nanosecond, "UTC")`;
//! * money and prices: `Decimal128(18, 8)`, the engine's exact 10^-8
//!   fixed point (stored as Parquet `INT64` decimals), so `|value| < 1e10`;
//! * quantities and ids: `Int64`; averages and ratios: `Float64`;
//! * instruments by symbol, strategies by name, enums by snake-case name:
//!   `Utf8`.
//!
//! Integers, timestamps and decimals use `DELTA_BINARY_PACKED` (ledgers are
//! time series: consecutive values are close) without block compression
//! (the bit-packed deltas are dense; zstd would more than double the write
//! time of a million-row ledger to halve its size). Every other column is
//! zstd(1)-compressed, repetitive strings dictionary-encoded. One row group
//! holds up to 8M rows. The columns of the equity ledger are encoded on
//! several threads. `README.md` lists every column; a test keeps the two
//! in sync.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampNanosecondType,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal64Array, DictionaryArray, Float64Array, Int64Array,
    RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use trade_core::{Money, Price, Timestamp};
use trade_engine::ledger::EquityRow;

use crate::error::ReportError;
use crate::records::{
    BenchmarkSeries, FillRecord, Ledgers, OrderRecord, PositionRecord, RiskEventRecord, TradeRecord,
};

/// Precision of the money and price columns.
pub const DECIMAL_PRECISION: u8 = 18;
/// Scale of the money and price columns (the engine's 10^-8 units).
pub const DECIMAL_SCALE: i8 = 8;
/// Largest raw 10^-8 value a `Decimal128(18, 8)` column holds.
const DECIMAL_MAX_RAW: i64 = 999_999_999_999_999_999;

/// The logical type of a ledger column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `Timestamp(Nanosecond, "UTC")`.
    Timestamp,
    /// `Decimal128(18, 8)`.
    Decimal,
    /// `Int64`.
    Int64,
    /// `Float64`.
    Float64,
    /// `Utf8`.
    Utf8,
    /// `Boolean`.
    Bool,
}

impl ColumnType {
    /// The Arrow data type written.
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            ColumnType::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Bool => DataType::Boolean,
        }
    }

    /// Whether a column read back is acceptable for this type (timestamps
    /// in nanoseconds with any zone label: the values are UTC regardless).
    fn accepts(self, dt: &DataType) -> bool {
        match self {
            ColumnType::Timestamp => matches!(dt, DataType::Timestamp(TimeUnit::Nanosecond, _)),
            other => *dt == other.arrow(),
        }
    }
}

/// One column of a ledger table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether it may be null.
    pub nullable: bool,
    /// Whether the values are few and repeated (dictionary-encoded).
    dictionary: bool,
}

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        dictionary: false,
    }
}
const fn opt(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
        dictionary: false,
    }
}
const fn dict(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Utf8,
        nullable: false,
        dictionary: true,
    }
}
const fn opt_dict(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Utf8,
        nullable: true,
        dictionary: true,
    }
}

/// A ledger table: one Parquet file of a run folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// File name in the run folder.
    pub file: &'static str,
    /// Columns in file order.
    pub columns: &'static [Column],
}

use ColumnType::{Bool, Decimal, Float64, Int64, Timestamp as Ts, Utf8};

/// `orders.parquet`: every order in its final state, in id order.
pub const ORDERS: Table = Table {
    file: "orders.parquet",
    columns: &[
        col("order_id", Int64),
        opt("broker_id", Utf8),
        dict("strategy"),
        dict("symbol"),
        dict("side"),
        dict("order_type"),
        opt("limit_price", Decimal),
        opt("stop_price", Decimal),
        col("qty", Int64),
        dict("tif"),
        dict("tag"),
        col("created", Ts),
        dict("status"),
        col("filled_qty", Int64),
        col("triggered", Bool),
        opt("closed", Ts),
        opt_dict("reason"),
    ],
};

/// `fills.parquet`: every execution, in time order.
pub const FILLS: Table = Table {
    file: "fills.parquet",
    columns: &[
        col("ts", Ts),
        col("order_id", Int64),
        dict("strategy"),
        dict("symbol"),
        dict("side"),
        col("qty", Int64),
        col("price", Decimal),
        col("commission", Decimal),
        col("realized", Decimal),
    ],
};

/// `equity.parquet`: the account at the end of every instant.
pub const EQUITY: Table = Table {
    file: "equity.parquet",
    columns: &[
        col("ts", Ts),
        col("cash", Decimal),
        col("equity", Decimal),
        col("gross_exposure", Decimal),
        col("net_exposure", Decimal),
    ],
};

/// `positions.parquet`: a position after each change.
pub const POSITIONS: Table = Table {
    file: "positions.parquet",
    columns: &[
        col("ts", Ts),
        dict("symbol"),
        col("qty", Int64),
        col("cost_basis", Decimal),
        col("realized", Decimal),
    ],
};

/// `trades.parquet`: closed round trips, flat to flat.
pub const TRADES: Table = Table {
    file: "trades.parquet",
    columns: &[
        dict("symbol"),
        dict("direction"),
        col("entry_ts", Ts),
        col("exit_ts", Ts),
        col("qty", Int64),
        col("entry_price", Float64),
        col("exit_price", Float64),
        col("pnl", Decimal),
        col("commission", Decimal),
        col("return_pct", Float64),
    ],
};

/// `risk_events.parquet`: decisions of the risk layer.
pub const RISK_EVENTS: Table = Table {
    file: "risk_events.parquet",
    columns: &[
        col("ts", Ts),
        dict("rule"),
        dict("action"),
        opt_dict("symbol"),
        opt_dict("strategy"),
        col("message", Utf8),
    ],
};

/// `benchmark.parquet`: the benchmark's closes (only when the run has one).
/// Its symbol is the file's key-value metadata [`SYMBOL_KEY`] (and
/// `benchmark.symbol` in `summary.json`), not a column repeated per row.
pub const BENCHMARK: Table = Table {
    file: "benchmark.parquet",
    columns: &[col("ts", Ts), col("close", Decimal)],
};

/// Parquet key-value metadata key holding the benchmark's symbol.
pub const SYMBOL_KEY: &str = "trade.symbol";

/// Every table, in the order they are written.
pub const TABLES: [Table; 7] = [
    ORDERS,
    FILLS,
    EQUITY,
    POSITIONS,
    TRADES,
    RISK_EVENTS,
    BENCHMARK,
];

impl Table {
    /// The Arrow schema of the file, as readers see it.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.ty.arrow(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }

    /// The schema of the batches handed to the writer: money as
    /// `Decimal64(18, 8)`, which has the same Parquet representation
    /// (`INT64` `DECIMAL(18, 8)`) as `Decimal128(18, 8)` but needs no
    /// 16-byte intermediate values. The file's embedded Arrow schema is
    /// [`Table::schema`], so every reader sees `Decimal128(18, 8)`.
    /// Repetitive string columns are handed over dictionary-encoded (and
    /// read back as plain `Utf8`).
    fn batch_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| {
                    let dt = match c.ty {
                        Decimal => DataType::Decimal64(DECIMAL_PRECISION, DECIMAL_SCALE),
                        Utf8 if c.dictionary => DataType::Dictionary(
                            Box::new(DataType::Int32),
                            Box::new(DataType::Utf8),
                        ),
                        other => other.arrow(),
                    };
                    Field::new(c.name, dt, c.nullable)
                })
                .collect::<Vec<_>>(),
        ))
    }

    fn writer_properties(&self, metadata: Vec<KeyValue>) -> WriterProperties {
        let zstd = ZstdLevel::try_new(1).unwrap_or_default();
        let mut b = WriterProperties::builder()
            .set_compression(Compression::ZSTD(zstd))
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_max_row_group_row_count(Some(8 * 1024 * 1024))
            .set_created_by(format!("trade-report {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata((!metadata.is_empty()).then_some(metadata));
        for c in self.columns {
            let path = ColumnPath::from(c.name);
            if c.dictionary {
                b = b.set_column_dictionary_enabled(path, true);
            } else if matches!(c.ty, Ts | Decimal | Int64) {
                // Bit-packed deltas are dense already: zstd would cost more
                // than half of the write time of a large ledger for a
                // smaller file, so these columns are not block-compressed.
                b = b
                    .set_column_encoding(path.clone(), Encoding::DELTA_BINARY_PACKED)
                    .set_column_compression(path, Compression::UNCOMPRESSED);
            }
        }
        let mut props = b.build();
        add_encoded_arrow_schema_to_metadata(&self.schema(), &mut props);
        props
    }
}

// ---------------------------------------------------------------- writing

fn ts_col(v: impl Iterator<Item = Timestamp>) -> ArrayRef {
    Arc::new(
        TimestampNanosecondArray::from_iter_values(v.map(Timestamp::nanos)).with_timezone("UTC"),
    )
}

fn opt_ts_col(v: impl Iterator<Item = Option<Timestamp>>) -> ArrayRef {
    Arc::new(
        TimestampNanosecondArray::from_iter(v.map(|t| t.map(Timestamp::nanos)))
            .with_timezone("UTC"),
    )
}

fn check_decimal(column: &str, raw: i64) -> Result<i64, ReportError> {
    if raw.unsigned_abs() > DECIMAL_MAX_RAW as u64 {
        return Err(ReportError::DecimalOverflow {
            column: column.to_string(),
            value: trade_core::fixed::format_raw(raw, 2),
        });
    }
    Ok(raw)
}

fn decimal(a: Decimal64Array) -> Result<ArrayRef, ReportError> {
    let a = a
        .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)
        .map_err(|e| ReportError::InvalidInput(e.to_string()))?;
    Ok(Arc::new(a))
}

fn dec_col(column: &str, v: impl Iterator<Item = i64>) -> Result<ArrayRef, ReportError> {
    let out: Vec<i64> = v.collect();
    // A separate (vectorised) range check; the error is built only once.
    if let Some(&raw) = out
        .iter()
        .find(|v| v.unsigned_abs() > DECIMAL_MAX_RAW as u64)
    {
        check_decimal(column, raw)?;
    }
    decimal(Decimal64Array::from(out))
}

fn opt_dec_col(
    column: &str,
    v: impl Iterator<Item = Option<i64>>,
) -> Result<ArrayRef, ReportError> {
    let values = v
        .map(|o| o.map(|raw| check_decimal(column, raw)).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    decimal(Decimal64Array::from(values))
}

fn int_col(column: &str, v: impl Iterator<Item = u64>) -> Result<ArrayRef, ReportError> {
    let values = v
        .map(|x| {
            i64::try_from(x)
                .map_err(|_| ReportError::InvalidInput(format!("{column} value {x} exceeds Int64")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(Int64Array::from(values)))
}

fn str_col<'s>(v: impl Iterator<Item = &'s str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

/// A dictionary-encoded string column (for the columns marked `dictionary`).
fn dict_col<'s>(v: impl Iterator<Item = &'s str>) -> ArrayRef {
    Arc::new(v.collect::<DictionaryArray<Int32Type>>())
}

fn opt_dict_col<'s>(v: impl Iterator<Item = Option<&'s str>>) -> ArrayRef {
    Arc::new(v.collect::<DictionaryArray<Int32Type>>())
}

fn opt_str_col<'s>(v: impl Iterator<Item = Option<&'s str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(v))
}

fn f64_col(v: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(v))
}

/// Rows per array handed to a column writer: small enough that a chunk of
/// source rows (40 bytes each for equity) stays in L2 cache while every
/// column of a thread's group is built from it, large enough to amortise
/// per-call costs.
const CHUNK_ROWS: usize = 8 * 1024;

/// Rows per row group (large: readers scan whole columns anyway).
const ROW_GROUP_ROWS: usize = 8 * 1024 * 1024;

/// Builds column `col` of a table for the rows in `range`.
type ColumnSource<'a> =
    dyn Fn(usize, std::ops::Range<usize>) -> Result<ArrayRef, ReportError> + Sync + 'a;

fn no_such_column(table: &Table, col: usize) -> ReportError {
    ReportError::InvalidInput(format!("{} has no column {col}", table.file))
}

/// Splits the columns into `threads` groups of similar encoding cost
/// (greedy, heaviest first; decimals and timestamps dominate).
fn column_groups(table: &Table, threads: usize) -> Vec<Vec<usize>> {
    let weight = |c: &Column| match c.ty {
        Decimal | Float64 => 3,
        Ts | Int64 => 2,
        Utf8 | Bool => 1,
    };
    let mut order: Vec<usize> = (0..table.columns.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&table.columns[i])));
    let n = threads.clamp(1, table.columns.len().max(1));
    let mut groups = vec![(0u32, Vec::new()); n];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|g| g.0)
            .expect("at least one group");
        g.0 += weight(&table.columns[i]);
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|g| g.1)
        .filter(|g| !g.is_empty())
        .collect()
}

/// Writes one table of `rows` rows to `dir/<table.file>` and fsyncs it,
/// encoding its columns on `threads` threads (each column chunk by chunk
/// from `source`). `on_encoded` is called once every column is encoded,
/// before the bytes go to the file. Returns the rows.
fn write_table(
    dir: &Path,
    table: &Table,
    rows: usize,
    threads: usize,
    metadata: Vec<KeyValue>,
    on_encoded: &dyn Fn(),
    source: &ColumnSource<'_>,
) -> Result<u64, ReportError> {
    let path = dir.join(table.file);
    let pq_err = |source| ReportError::Parquet {
        path: path.clone(),
        source,
    };
    let schema = table.batch_schema();
    let props = Arc::new(table.writer_properties(metadata));
    let descr = ArrowSchemaConverter::new()
        .with_coerce_types(props.coerce_types())
        .convert(&schema)
        .map_err(pq_err)?;
    let file = File::create(&path).map_err(|e| ReportError::io(&path, e))?;
    let mut writer =
        SerializedFileWriter::new(file, descr.root_schema_ptr(), props).map_err(pq_err)?;
    let factory = ArrowRowGroupWriterFactory::new(&writer, schema.clone());
    let groups = column_groups(table, threads);
    let mut start = 0;
    for rg in 0.. {
        let end = (start + ROW_GROUP_ROWS).min(rows);
        let mut writers: Vec<Option<_>> = factory
            .create_column_writers(rg)
            .map_err(pq_err)?
            .into_iter()
            .map(Some)
            .collect();
        // Encode one group of columns: returns (column index, chunk).
        // Encode one group of columns, chunk by chunk: each chunk of rows is
        // read into cache once and serves every column of the group.
        let encode = |mut cols: Vec<(usize, parquet::arrow::arrow_writer::ArrowColumnWriter)>| -> Result<Vec<(usize, ArrowColumnChunk)>, ReportError> {
            let mut a = start;
            loop {
                let b = (a + CHUNK_ROWS).min(end);
                for (ci, w) in &mut cols {
                    let field = schema.field(*ci);
                    let array = source(*ci, a..b)?;
                    if array.data_type() != field.data_type() {
                        return Err(ReportError::InvalidInput(format!(
                            "{}: column {} built as {}, expected {}",
                            table.file,
                            field.name(),
                            array.data_type(),
                            field.data_type()
                        )));
                    }
                    for leaf in compute_leaves(field, &array).map_err(pq_err)? {
                        w.write(&leaf).map_err(pq_err)?;
                    }
                }
                a = b;
                if a >= end {
                    break;
                }
            }
            cols.into_iter()
                .map(|(ci, w)| Ok((ci, w.close().map_err(pq_err)?)))
                .collect()
        };
        let mut jobs: Vec<Vec<(usize, _)>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|&ci| Some((ci, writers[ci].take()?)))
                    .collect()
            })
            .collect();
        let mut chunks: Vec<(usize, ArrowColumnChunk)> = if jobs.len() == 1 {
            encode(jobs.pop().unwrap_or_default())?
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = jobs
                    .into_iter()
                    .map(|job| scope.spawn(|| encode(job)))
                    .collect();
                let mut all = Vec::new();
                let mut first_err = None;
                for h in handles {
                    match h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)) {
                        Ok(v) => all.extend(v),
                        Err(e) => first_err = first_err.or(Some(e)),
                    }
                }
                first_err.map_or(Ok(all), Err)
            })?
        };
        chunks.sort_by_key(|c| c.0);
        if end >= rows {
            on_encoded();
        }
        let mut rg_writer = writer.next_row_group().map_err(pq_err)?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut rg_writer).map_err(pq_err)?;
        }
        rg_writer.close().map_err(pq_err)?;
        start = end;
        if start >= rows {
            break;
        }
    }
    let file = writer.into_inner().map_err(pq_err)?;
    file.sync_all().map_err(|e| ReportError::io(&path, e))?;
    Ok(rows as u64)
}

/// Writes `orders.parquet`.
fn write_orders(dir: &Path, rows: &[OrderRecord]) -> Result<u64, ReportError> {
    write_table(
        dir,
        &ORDERS,
        rows.len(),
        1,
        Vec::new(),
        &|| {},
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => int_col("orders.order_id", rows.iter().map(|r| r.order_id))?,
                1 => opt_str_col(rows.iter().map(|r| r.broker_id.as_deref())),
                2 => dict_col(rows.iter().map(|r| r.strategy.as_str())),
                3 => dict_col(rows.iter().map(|r| r.symbol.as_str())),
                4 => dict_col(rows.iter().map(|r| r.side.as_str())),
                5 => dict_col(rows.iter().map(|r| r.order_type.as_str())),
                6 => opt_dec_col(
                    "orders.limit_price",
                    rows.iter().map(|r| r.limit_price.map(Price::raw)),
                )?,
                7 => opt_dec_col(
                    "orders.stop_price",
                    rows.iter().map(|r| r.stop_price.map(Price::raw)),
                )?,
                8 => int_col("orders.qty", rows.iter().map(|r| r.qty))?,
                9 => dict_col(rows.iter().map(|r| r.tif.as_str())),
                10 => dict_col(rows.iter().map(|r| r.tag.as_str())),
                11 => ts_col(rows.iter().map(|r| r.created)),
                12 => dict_col(rows.iter().map(|r| r.status.as_str())),
                13 => int_col("orders.filled_qty", rows.iter().map(|r| r.filled_qty))?,
                14 => Arc::new(BooleanArray::from_iter(
                    rows.iter().map(|r| Some(r.triggered)),
                )),
                15 => opt_ts_col(rows.iter().map(|r| r.closed)),
                16 => opt_dict_col(rows.iter().map(|r| r.reason.as_deref())),
                _ => return Err(no_such_column(&ORDERS, col)),
            })
        },
    )
}

fn write_fills(dir: &Path, rows: &[FillRecord]) -> Result<u64, ReportError> {
    write_table(
        dir,
        &FILLS,
        rows.len(),
        1,
        Vec::new(),
        &|| {},
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => ts_col(rows.iter().map(|r| r.ts)),
                1 => int_col("fills.order_id", rows.iter().map(|r| r.order_id))?,
                2 => dict_col(rows.iter().map(|r| r.strategy.as_str())),
                3 => dict_col(rows.iter().map(|r| r.symbol.as_str())),
                4 => dict_col(rows.iter().map(|r| r.side.as_str())),
                5 => int_col("fills.qty", rows.iter().map(|r| r.qty))?,
                6 => dec_col("fills.price", rows.iter().map(|r| r.price.raw()))?,
                7 => dec_col("fills.commission", rows.iter().map(|r| r.commission.raw()))?,
                8 => dec_col("fills.realized", rows.iter().map(|r| r.realized.raw()))?,
                _ => return Err(no_such_column(&FILLS, col)),
            })
        },
    )
}

/// Writes `equity.parquet` from the engine's rows, its columns encoded on
/// `threads` threads; `on_encoded` as in [`write_table`].
pub(crate) fn write_equity(
    dir: &Path,
    rows: &[EquityRow],
    threads: usize,
    on_encoded: &dyn Fn(),
) -> Result<u64, ReportError> {
    write_table(
        dir,
        &EQUITY,
        rows.len(),
        threads,
        Vec::new(),
        on_encoded,
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => ts_col(rows.iter().map(|r| r.ts)),
                1 => dec_col("equity.cash", rows.iter().map(|r| r.cash.raw()))?,
                // Not stored in the row: cash plus net exposure. Saturating,
                // so a sum beyond i64 is reported as out of the column's range
                // rather than panicking.
                2 => dec_col(
                    "equity.equity",
                    rows.iter()
                        .map(|r| r.cash.raw().saturating_add(r.net_exposure.raw())),
                )?,
                3 => dec_col(
                    "equity.gross_exposure",
                    rows.iter().map(|r| r.gross_exposure.raw()),
                )?,
                4 => dec_col(
                    "equity.net_exposure",
                    rows.iter().map(|r| r.net_exposure.raw()),
                )?,
                _ => return Err(no_such_column(&EQUITY, col)),
            })
        },
    )
}

fn write_positions(dir: &Path, rows: &[PositionRecord]) -> Result<u64, ReportError> {
    write_table(
        dir,
        &POSITIONS,
        rows.len(),
        1,
        Vec::new(),
        &|| {},
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => ts_col(rows.iter().map(|r| r.ts)),
                1 => dict_col(rows.iter().map(|r| r.symbol.as_str())),
                2 => Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.qty))),
                3 => dec_col(
                    "positions.cost_basis",
                    rows.iter().map(|r| r.cost_basis.raw()),
                )?,
                4 => dec_col("positions.realized", rows.iter().map(|r| r.realized.raw()))?,
                _ => return Err(no_such_column(&POSITIONS, col)),
            })
        },
    )
}

fn write_trades(dir: &Path, rows: &[TradeRecord]) -> Result<u64, ReportError> {
    write_table(
        dir,
        &TRADES,
        rows.len(),
        1,
        Vec::new(),
        &|| {},
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => dict_col(rows.iter().map(|r| r.symbol.as_str())),
                1 => dict_col(rows.iter().map(|r| r.direction.as_str())),
                2 => ts_col(rows.iter().map(|r| r.entry_ts)),
                3 => ts_col(rows.iter().map(|r| r.exit_ts)),
                4 => int_col("trades.qty", rows.iter().map(|r| r.qty))?,
                5 => f64_col(rows.iter().map(|r| r.entry_price)),
                6 => f64_col(rows.iter().map(|r| r.exit_price)),
                7 => dec_col("trades.pnl", rows.iter().map(|r| r.pnl.raw()))?,
                8 => dec_col("trades.commission", rows.iter().map(|r| r.commission.raw()))?,
                9 => f64_col(rows.iter().map(|r| r.return_pct)),
                _ => return Err(no_such_column(&TRADES, col)),
            })
        },
    )
}

fn write_risk_events(dir: &Path, rows: &[RiskEventRecord]) -> Result<u64, ReportError> {
    write_table(
        dir,
        &RISK_EVENTS,
        rows.len(),
        1,
        Vec::new(),
        &|| {},
        &|col, range| {
            let rows = &rows[range];
            Ok(match col {
                0 => ts_col(rows.iter().map(|r| r.ts)),
                1 => dict_col(rows.iter().map(|r| r.rule.as_str())),
                2 => dict_col(rows.iter().map(|r| r.action.as_str())),
                3 => opt_dict_col(rows.iter().map(|r| r.symbol.as_deref())),
                4 => opt_dict_col(rows.iter().map(|r| r.strategy.as_deref())),
                5 => str_col(rows.iter().map(|r| r.message.as_str())),
                _ => return Err(no_such_column(&RISK_EVENTS, col)),
            })
        },
    )
}

fn write_benchmark(dir: &Path, b: &BenchmarkSeries<'_>) -> Result<u64, ReportError> {
    let metadata = vec![KeyValue::new(SYMBOL_KEY.to_string(), b.symbol.clone())];
    write_table(
        dir,
        &BENCHMARK,
        b.closes.len(),
        1,
        metadata,
        &|| {},
        &|col, range| {
            let closes = b.closes.slice(range);
            Ok(match col {
                0 => ts_col(closes.iter().map(|c| c.0)),
                1 => dec_col("benchmark.close", closes.iter().map(|c| c.1.raw()))?,
                _ => return Err(no_such_column(&BENCHMARK, col)),
            })
        },
    )
}

/// Rows per file, in [`TABLES`] order (`benchmark.parquet` only when the
/// run has a benchmark).
pub(crate) fn row_counts(ledgers: &Ledgers<'_>) -> Vec<(&'static str, u64)> {
    let mut out = vec![
        (ORDERS.file, ledgers.orders.len() as u64),
        (FILLS.file, ledgers.fills.len() as u64),
        (EQUITY.file, ledgers.equity.len() as u64),
        (POSITIONS.file, ledgers.positions.len() as u64),
        (TRADES.file, ledgers.trades.len() as u64),
        (RISK_EVENTS.file, ledgers.risk_events.len() as u64),
    ];
    if let Some(b) = &ledgers.benchmark {
        out.push((BENCHMARK.file, b.closes.len() as u64));
    }
    out
}

/// Which ledger files a writer call covers (`equity.parquet` has its own
/// writer, [`write_equity`]): the benchmark, one row per bar, on its own
/// thread, the rest together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// `benchmark.parquet` (nothing without a benchmark).
    Benchmark,
    /// Orders, fills, positions, trades and risk events.
    Small,
}

impl Part {
    /// The files of this part.
    pub(crate) fn files(self, ledgers: &Ledgers<'_>) -> Vec<&'static str> {
        match self {
            Part::Benchmark if ledgers.benchmark.is_some() => vec![BENCHMARK.file],
            Part::Benchmark => Vec::new(),
            Part::Small => vec![
                ORDERS.file,
                FILLS.file,
                POSITIONS.file,
                TRADES.file,
                RISK_EVENTS.file,
            ],
        }
    }
}

/// Writes the files of `part` into `dir` (each fsynced).
pub(crate) fn write_part(dir: &Path, ledgers: &Ledgers<'_>, part: Part) -> Result<(), ReportError> {
    match part {
        Part::Benchmark => match &ledgers.benchmark {
            Some(b) => write_benchmark(dir, b).map(drop),
            None => Ok(()),
        },
        Part::Small => {
            write_orders(dir, &ledgers.orders)?;
            write_fills(dir, &ledgers.fills)?;
            write_positions(dir, &ledgers.positions)?;
            write_trades(dir, &ledgers.trades)?;
            write_risk_events(dir, &ledgers.risk_events).map(drop)
        }
    }
}

// ---------------------------------------------------------------- reading

/// One table read back: its batches and the file they came from.
struct Read {
    path: std::path::PathBuf,
    batches: Vec<RecordBatch>,
    metadata: Vec<KeyValue>,
}

fn read_table(dir: &Path, table: &Table) -> Result<Read, ReportError> {
    let path = dir.join(table.file);
    let pq_err = |source| ReportError::Parquet {
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(|e| ReportError::io(&path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq_err)?;
    let schema = builder.schema().clone();
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    for c in table.columns {
        let field = schema
            .field_with_name(c.name)
            .map_err(|_| ReportError::schema(&path, format!("missing column {:?}", c.name)))?;
        if !c.ty.accepts(field.data_type()) {
            return Err(ReportError::schema(
                &path,
                format!(
                    "column {:?} is {}, expected {}",
                    c.name,
                    field.data_type(),
                    c.ty.arrow()
                ),
            ));
        }
    }
    let reader = builder.with_batch_size(64 * 1024).build().map_err(pq_err)?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ReportError::Arrow {
            path: path.clone(),
            source,
        })?;
    Ok(Read {
        path,
        batches,
        metadata,
    })
}

/// Typed access to the columns of one batch (types were checked on open).
struct Cols<'b> {
    path: &'b Path,
    batch: &'b RecordBatch,
}

impl<'b> Cols<'b> {
    fn get(&self, name: &str) -> Result<&'b ArrayRef, ReportError> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| ReportError::schema(self.path, format!("missing column {name:?}")))
    }

    fn null_error(&self, name: &str, row: usize) -> ReportError {
        ReportError::schema(self.path, format!("column {name:?} is null at row {row}"))
    }

    fn ts(&self, name: &str) -> Result<Vec<Timestamp>, ReportError> {
        let a = self.get(name)?.as_primitive::<TimestampNanosecondType>();
        (0..a.len())
            .map(|i| {
                if a.is_null(i) {
                    Err(self.null_error(name, i))
                } else {
                    Ok(Timestamp::from_nanos(a.value(i)))
                }
            })
            .collect()
    }

    fn opt_ts(&self, name: &str) -> Result<Vec<Option<Timestamp>>, ReportError> {
        let a = self.get(name)?.as_primitive::<TimestampNanosecondType>();
        Ok(a.iter().map(|v| v.map(Timestamp::from_nanos)).collect())
    }

    fn opt_raw(&self, name: &str) -> Result<Vec<Option<i64>>, ReportError> {
        let a = self.get(name)?.as_primitive::<Decimal128Type>();
        a.iter()
            .map(|v| {
                v.map(|x| {
                    i64::try_from(x).map_err(|_| {
                        ReportError::schema(
                            self.path,
                            format!("column {name:?} value {x} beyond 10^-8 i64 range"),
                        )
                    })
                })
                .transpose()
            })
            .collect()
    }

    fn raw(&self, name: &str) -> Result<Vec<i64>, ReportError> {
        self.opt_raw(name)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| self.null_error(name, i)))
            .collect()
    }

    fn money(&self, name: &str) -> Result<Vec<Money>, ReportError> {
        Ok(self.raw(name)?.into_iter().map(Money::from_raw).collect())
    }

    fn int(&self, name: &str) -> Result<Vec<i64>, ReportError> {
        let a = self.get(name)?.as_primitive::<Int64Type>();
        (0..a.len())
            .map(|i| {
                if a.is_null(i) {
                    Err(self.null_error(name, i))
                } else {
                    Ok(a.value(i))
                }
            })
            .collect()
    }

    fn uint(&self, name: &str) -> Result<Vec<u64>, ReportError> {
        self.int(name)?
            .into_iter()
            .map(|v| {
                u64::try_from(v).map_err(|_| {
                    ReportError::schema(
                        self.path,
                        format!("column {name:?} has negative value {v}"),
                    )
                })
            })
            .collect()
    }

    fn f64(&self, name: &str) -> Result<Vec<f64>, ReportError> {
        let a = self.get(name)?.as_primitive::<Float64Type>();
        Ok((0..a.len())
            .map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) })
            .collect())
    }

    fn opt_str(&self, name: &str) -> Result<Vec<Option<String>>, ReportError> {
        let a = self.get(name)?.as_string::<i32>();
        Ok(a.iter().map(|v| v.map(str::to_string)).collect())
    }

    fn str(&self, name: &str) -> Result<Vec<String>, ReportError> {
        self.opt_str(name)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| self.null_error(name, i)))
            .collect()
    }

    fn bool(&self, name: &str) -> Result<Vec<bool>, ReportError> {
        let a = self.get(name)?.as_boolean();
        Ok(a.iter().map(|v| v.unwrap_or(false)).collect())
    }
}

/// Reads every batch of a table, decoding each with `decode`.
fn read_rows<T>(
    dir: &Path,
    table: &Table,
    mut decode: impl FnMut(&Cols<'_>, &mut Vec<T>) -> Result<(), ReportError>,
) -> Result<Vec<T>, ReportError> {
    let read = read_table(dir, table)?;
    let mut out = Vec::with_capacity(read.batches.iter().map(RecordBatch::num_rows).sum());
    for batch in &read.batches {
        decode(
            &Cols {
                path: &read.path,
                batch,
            },
            &mut out,
        )?;
    }
    Ok(out)
}

/// Reads `orders.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_orders(dir: &Path) -> Result<Vec<OrderRecord>, ReportError> {
    read_rows(dir, &ORDERS, |c, out| {
        let order_id = c.uint("order_id")?;
        let mut broker_id = c.opt_str("broker_id")?.into_iter();
        let mut strategy = c.str("strategy")?.into_iter();
        let mut symbol = c.str("symbol")?.into_iter();
        let mut side = c.str("side")?.into_iter();
        let mut order_type = c.str("order_type")?.into_iter();
        let limit = c.opt_raw("limit_price")?;
        let stop = c.opt_raw("stop_price")?;
        let qty = c.uint("qty")?;
        let mut tif = c.str("tif")?.into_iter();
        let mut tag = c.str("tag")?.into_iter();
        let created = c.ts("created")?;
        let mut status = c.str("status")?.into_iter();
        let filled = c.uint("filled_qty")?;
        let triggered = c.bool("triggered")?;
        let closed = c.opt_ts("closed")?;
        let mut reason = c.opt_str("reason")?.into_iter();
        for i in 0..order_id.len() {
            out.push(OrderRecord {
                order_id: order_id[i],
                broker_id: broker_id.next().flatten(),
                strategy: strategy.next().unwrap_or_default(),
                symbol: symbol.next().unwrap_or_default(),
                side: side.next().unwrap_or_default(),
                order_type: order_type.next().unwrap_or_default(),
                limit_price: limit[i].map(Price::from_raw),
                stop_price: stop[i].map(Price::from_raw),
                qty: qty[i],
                tif: tif.next().unwrap_or_default(),
                tag: tag.next().unwrap_or_default(),
                created: created[i],
                status: status.next().unwrap_or_default(),
                filled_qty: filled[i],
                triggered: triggered[i],
                closed: closed[i],
                reason: reason.next().flatten(),
            });
        }
        Ok(())
    })
}

/// Reads `fills.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_fills(dir: &Path) -> Result<Vec<FillRecord>, ReportError> {
    read_rows(dir, &FILLS, |c, out| {
        let ts = c.ts("ts")?;
        let order_id = c.uint("order_id")?;
        let mut strategy = c.str("strategy")?.into_iter();
        let mut symbol = c.str("symbol")?.into_iter();
        let mut side = c.str("side")?.into_iter();
        let qty = c.uint("qty")?;
        let price = c.raw("price")?;
        let commission = c.money("commission")?;
        let realized = c.money("realized")?;
        for i in 0..ts.len() {
            out.push(FillRecord {
                ts: ts[i],
                order_id: order_id[i],
                strategy: strategy.next().unwrap_or_default(),
                symbol: symbol.next().unwrap_or_default(),
                side: side.next().unwrap_or_default(),
                qty: qty[i],
                price: Price::from_raw(price[i]),
                commission: commission[i],
                realized: realized[i],
            });
        }
        Ok(())
    })
}

/// Reads `equity.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_equity(dir: &Path) -> Result<Vec<EquityRow>, ReportError> {
    read_rows(dir, &EQUITY, |c, out| {
        let ts = c.ts("ts")?;
        let cash = c.money("cash")?;
        let equity = c.money("equity")?;
        let gross = c.money("gross_exposure")?;
        let net = c.money("net_exposure")?;
        // The row keeps no equity of its own: a file whose equity column is
        // not cash plus net exposure was not written by this crate.
        if let Some(i) = (0..ts.len())
            .find(|&i| cash[i].raw().checked_add(net[i].raw()) != Some(equity[i].raw()))
        {
            return Err(ReportError::Schema {
                path: c.path.to_path_buf(),
                message: format!(
                    "row {} (ts {}): equity {} is not cash {} plus net_exposure {}",
                    out.len() + i,
                    ts[i],
                    equity[i],
                    cash[i],
                    net[i]
                ),
            });
        }
        out.extend((0..ts.len()).map(|i| EquityRow {
            ts: ts[i],
            cash: cash[i],
            gross_exposure: gross[i],
            net_exposure: net[i],
        }));
        Ok(())
    })
}

/// Reads `positions.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_positions(dir: &Path) -> Result<Vec<PositionRecord>, ReportError> {
    read_rows(dir, &POSITIONS, |c, out| {
        let ts = c.ts("ts")?;
        let mut symbol = c.str("symbol")?.into_iter();
        let qty = c.int("qty")?;
        let cost = c.money("cost_basis")?;
        let realized = c.money("realized")?;
        for i in 0..ts.len() {
            out.push(PositionRecord {
                ts: ts[i],
                symbol: symbol.next().unwrap_or_default(),
                qty: qty[i],
                cost_basis: cost[i],
                realized: realized[i],
            });
        }
        Ok(())
    })
}

/// Reads `trades.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_trades(dir: &Path) -> Result<Vec<TradeRecord>, ReportError> {
    read_rows(dir, &TRADES, |c, out| {
        let mut symbol = c.str("symbol")?.into_iter();
        let mut direction = c.str("direction")?.into_iter();
        let entry_ts = c.ts("entry_ts")?;
        let exit_ts = c.ts("exit_ts")?;
        let qty = c.uint("qty")?;
        let entry = c.f64("entry_price")?;
        let exit = c.f64("exit_price")?;
        let pnl = c.money("pnl")?;
        let commission = c.money("commission")?;
        let ret = c.f64("return_pct")?;
        for i in 0..entry_ts.len() {
            out.push(TradeRecord {
                symbol: symbol.next().unwrap_or_default(),
                direction: direction.next().unwrap_or_default(),
                entry_ts: entry_ts[i],
                exit_ts: exit_ts[i],
                qty: qty[i],
                entry_price: entry[i],
                exit_price: exit[i],
                pnl: pnl[i],
                commission: commission[i],
                return_pct: ret[i],
            });
        }
        Ok(())
    })
}

/// Reads `risk_events.parquet` from a run folder.
///
/// # Errors
/// [`ReportError`] if the file is missing, unreadable or has other columns.
pub fn read_risk_events(dir: &Path) -> Result<Vec<RiskEventRecord>, ReportError> {
    read_rows(dir, &RISK_EVENTS, |c, out| {
        let ts = c.ts("ts")?;
        let mut rule = c.str("rule")?.into_iter();
        let mut action = c.str("action")?.into_iter();
        let mut symbol = c.opt_str("symbol")?.into_iter();
        let mut strategy = c.opt_str("strategy")?.into_iter();
        let mut message = c.str("message")?.into_iter();
        for &t in &ts {
            out.push(RiskEventRecord {
                ts: t,
                rule: rule.next().unwrap_or_default(),
                action: action.next().unwrap_or_default(),
                symbol: symbol.next().flatten(),
                strategy: strategy.next().flatten(),
                message: message.next().unwrap_or_default(),
            });
        }
        Ok(())
    })
}

/// Reads `benchmark.parquet` from a run folder; `Ok(None)` when the run
/// had no benchmark (no file).
///
/// # Errors
/// [`ReportError`] if the file exists but is unreadable or has other columns.
pub fn read_benchmark(dir: &Path) -> Result<Option<BenchmarkSeries<'static>>, ReportError> {
    if !dir.join(BENCHMARK.file).exists() {
        return Ok(None);
    }
    let read = read_table(dir, &BENCHMARK)?;
    let symbol = read
        .metadata
        .iter()
        .find(|kv| kv.key == SYMBOL_KEY)
        .and_then(|kv| kv.value.clone())
        .ok_or_else(|| ReportError::schema(&read.path, format!("no {SYMBOL_KEY:?} metadata")))?;
    let mut closes = Vec::with_capacity(read.batches.iter().map(RecordBatch::num_rows).sum());
    for batch in &read.batches {
        let c = Cols {
            path: &read.path,
            batch,
        };
        let ts = c.ts("ts")?;
        let close = c.raw("close")?;
        closes.extend(
            ts.into_iter()
                .zip(close)
                .map(|(t, p)| (t, Price::from_raw(p))),
        );
    }
    Ok(Some(BenchmarkSeries {
        symbol,
        closes: closes.into(),
    }))
}

/// Reads every ledger of a run folder.
///
/// # Errors
/// The first [`ReportError`] of the individual readers.
pub fn read_all(dir: &Path) -> Result<Ledgers<'static>, ReportError> {
    Ok(Ledgers {
        orders: read_orders(dir)?,
        fills: read_fills(dir)?,
        equity: read_equity(dir)?.into(),
        positions: read_positions(dir)?,
        trades: read_trades(dir)?,
        risk_events: read_risk_events(dir)?,
        benchmark: read_benchmark(dir)?,
    })
}

#[cfg(test)]
mod equity_column_tests {
    use super::*;
    use crate::tests::TestDir;
    use trade_core::{Money, Timestamp};

    /// `equity.parquet` written by hand with an equity column one unit
    /// (10^-8 dollar) away from cash plus net exposure in its second row.
    fn write_inconsistent(dir: &Path) {
        let ts = [Timestamp::from_secs(60), Timestamp::from_secs(120)];
        let cash = [
            Money::from_dollars(1_000).raw(),
            Money::from_dollars(400).raw(),
        ];
        let net = [0, Money::from_dollars(600).raw()];
        let equity = [cash[0] + net[0], cash[1] + net[1] + 1];
        write_table(dir, &EQUITY, 2, 1, Vec::new(), &|| {}, &|col, _| {
            Ok(match col {
                0 => ts_col(ts.iter().copied()),
                1 => dec_col("equity.cash", cash.iter().copied())?,
                2 => dec_col("equity.equity", equity.iter().copied())?,
                3 => dec_col("equity.gross_exposure", net.iter().copied())?,
                4 => dec_col("equity.net_exposure", net.iter().copied())?,
                _ => return Err(no_such_column(&EQUITY, col)),
            })
        })
        .unwrap();
    }

    #[test]
    fn an_equity_column_that_is_not_cash_plus_net_exposure_is_refused() {
        let dir = TestDir::new("eqcol");
        write_inconsistent(&dir.0);
        let err = read_equity(&dir.0).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ReportError::Schema { .. }) && msg.contains("row 1"),
            "{msg}"
        );
    }
}
