//! Parquet bar files in common shapes, and our own format round trip.

mod common;

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampNanosecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use common::{TempDir, spec, temp_spec};
use trade_core::{Bar, InstrumentId};
use trade_data::{
    CacheStatus, Interval, Location, ProblemKind, check_file, load_bars, read_bars, write_bars,
};

fn write(path: &std::path::Path, cols: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect()).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn daily_reference() -> Vec<Bar> {
    let mut b = load_bars(&spec("daily/yahoo_xjcarter_2022/SPY.csv"), InstrumentId(0))
        .unwrap()
        .bars;
    b.truncate(60);
    b
}

fn ny_midnight_ms(b: &Bar) -> i64 {
    let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
    b.ts.to_jiff()
        .to_zoned(ny.clone())
        .date()
        .to_zoned(ny)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn days(b: &Bar) -> i32 {
    let d = b.ts.to_jiff().to_zoned(jiff::tz::TimeZone::UTC).date();
    (d - jiff::civil::date(1970, 1, 1)).get_days()
}

fn f64s(bars: &[Bar], f: fn(&Bar) -> trade_core::Price) -> ArrayRef {
    Arc::new(Float64Array::from(
        bars.iter().map(|b| f(b).to_f64()).collect::<Vec<_>>(),
    ))
}

#[test]
fn daily_shapes_match_the_csv() {
    let bars = daily_reference();
    let dir = TempDir::new("pq-daily");
    let volume: ArrayRef = Arc::new(Int64Array::from(
        bars.iter().map(|b| b.volume as i64).collect::<Vec<_>>(),
    ));
    let dec = |f: fn(&Bar) -> trade_core::Price| -> ArrayRef {
        // Decimal128 with 10 places: raw 10^-8 units times 100.
        Arc::new(
            Decimal128Array::from(
                bars.iter()
                    .map(|b| i128::from(f(b).raw()) * 100)
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(38, 10)
            .unwrap(),
        )
    };
    let prices = |dec_prices: bool| -> Vec<(&'static str, ArrayRef)> {
        if dec_prices {
            vec![
                ("Open", dec(|b| b.open)),
                ("High", dec(|b| b.high)),
                ("Low", dec(|b| b.low)),
                ("Close", dec(|b| b.close)),
            ]
        } else {
            vec![
                ("open", f64s(&bars, |b| b.open)),
                ("high", f64s(&bars, |b| b.high)),
                ("low", f64s(&bars, |b| b.low)),
                ("close", f64s(&bars, |b| b.close)),
            ]
        }
    };
    // (case, timestamp column, decimal prices)
    let cases: Vec<(&str, (&str, ArrayRef), bool)> = vec![
        (
            "pandas tz-aware midnight",
            (
                "Date",
                Arc::new(
                    TimestampMillisecondArray::from(
                        bars.iter().map(ny_midnight_ms).collect::<Vec<_>>(),
                    )
                    .with_timezone("America/New_York"),
                ),
            ),
            false,
        ),
        (
            "date32",
            (
                "date",
                Arc::new(Date32Array::from(bars.iter().map(days).collect::<Vec<_>>())),
            ),
            true,
        ),
        (
            "naive timestamp",
            (
                "timestamp",
                Arc::new(TimestampNanosecondArray::from(
                    bars.iter()
                        .map(|b| i64::from(days(b)) * 86_400 * 1_000_000_000)
                        .collect::<Vec<_>>(),
                )),
            ),
            false,
        ),
        (
            "strings",
            (
                "date",
                Arc::new(StringArray::from(
                    bars.iter()
                        .map(|b| b.ts.to_string()[..10].to_string())
                        .collect::<Vec<_>>(),
                )),
            ),
            true,
        ),
    ];
    for (name, ts_col, dec_prices) in cases {
        let mut cols = vec![ts_col];
        cols.extend(prices(dec_prices));
        cols.push(("volume", volume.clone()));
        let path = dir
            .path()
            .join(format!("{}.parquet", name.replace(' ', "_")));
        write(&path, cols);
        let l = load_bars(&temp_spec(&path), InstrumentId(0))
            .unwrap_or_else(|e| panic!("case {name}: {e}"));
        assert_eq!(l.interval, Interval::Daily, "case {name}");
        assert_eq!(l.bars, bars, "case {name}");
        assert_eq!(l.cache, CacheStatus::Off, "case {name}");
    }
}

#[test]
fn intraday_epoch_and_integer_prices() {
    let csv = load_bars(
        &spec("intraday/SPY_1min_2024-02-20_2024-05-17.csv"),
        InstrumentId(0),
    )
    .unwrap();
    let bars = &csv.bars[..780]; // two sessions
    let dir = TempDir::new("pq-intra");
    let path = dir.path().join("epoch.parquet");
    // Epoch seconds of the bar start; prices in integer cents... of a cent
    // (4 implied decimals).
    let cents = |f: fn(&Bar) -> trade_core::Price| -> ArrayRef {
        Arc::new(Int64Array::from(
            bars.iter().map(|b| f(b).raw() / 10_000).collect::<Vec<_>>(),
        ))
    };
    write(
        &path,
        vec![
            (
                "time",
                Arc::new(Int64Array::from(
                    bars.iter().map(|b| b.ts.secs() - 60).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            ("open", cents(|b| b.open)),
            ("high", cents(|b| b.high)),
            ("low", cents(|b| b.low)),
            ("close", cents(|b| b.close)),
            (
                "volume",
                Arc::new(UInt64Array::from(
                    bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
                )),
            ),
        ],
    );
    let mut s = temp_spec(&path);
    s.int_price_decimals = 4;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert_eq!(l.interval, Interval::Seconds(60));
    assert_eq!(l.bars, bars);
    assert_eq!(l.gaps.per_session.len(), 2);
}

#[test]
fn nulls_and_bad_rows_are_located_by_row() {
    let dir = TempDir::new("pq-null");
    let path = dir.path().join("nulls.parquet");
    let n = |v: Vec<Option<f64>>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
    write(
        &path,
        vec![
            (
                "date",
                Arc::new(Date32Array::from(vec![19_724, 19_725, 19_726])) as ArrayRef,
            ), // 2024-01-02..04
            ("open", n(vec![Some(1.0), Some(1.0), Some(1.0)])),
            ("high", n(vec![Some(1.0), None, Some(1.0)])),
            ("low", n(vec![Some(1.0), Some(1.0), Some(2.0)])),
            ("close", n(vec![Some(1.0), Some(1.0), Some(f64::NAN)])),
        ],
    );
    let r = check_file(&temp_spec(&path));
    let got: Vec<(Location, Option<&str>)> = r
        .errors()
        .map(|p| (p.location, p.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Location::Row(2), Some("high")),
            (Location::Row(3), Some("close"))
        ],
        "{}",
        r.render(9)
    );
    assert!(
        r.render(9)
            .contains("nulls.parquet: row 2: column \"high\": empty value"),
        "{}",
        r.render(9)
    );
    assert!(r.warnings().any(|w| w.kind == ProblemKind::NoVolume));
}

#[test]
fn own_format_round_trip() {
    let dir = TempDir::new("pq-own");
    let l = load_bars(
        &spec("intraday/SPY_1min_2024-02-20_2024-05-17.csv"),
        InstrumentId(4),
    )
    .unwrap();
    // Through write_bars / read_bars.
    let p1 = dir.path().join("bars.parquet");
    write_bars(&p1, &l.bars, &[("note".into(), "test".into())]).unwrap();
    let back = read_bars(&p1, InstrumentId(4)).unwrap();
    assert_eq!(back.bars, l.bars);
    assert_eq!(back.metadata.get("note").map(String::as_str), Some("test"));
    assert_eq!(
        back.metadata.get("trade.format").map(String::as_str),
        Some("trade-bars/1")
    );

    // Through LoadedBars::write_parquet and load_bars (interval from metadata).
    let p2 = dir.path().join("loaded.parquet");
    l.write_parquet(&p2).unwrap();
    let again = load_bars(&temp_spec(&p2), InstrumentId(4)).unwrap();
    assert_eq!(again.bars, l.bars);
    assert_eq!(again.interval, Interval::Seconds(60));
    assert_eq!(again.gaps, l.gaps);
    assert!(check_file(&temp_spec(&p2)).is_ok());

    // Generic Arrow readers see a UTC timestamp, exact decimals and unsigned volume.
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&p2).unwrap(),
    )
    .unwrap();
    let fields: Vec<(String, DataType)> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    assert_eq!(
        fields[0],
        (
            "ts".into(),
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
        )
    );
    assert!(
        matches!(
            fields[1].1,
            DataType::Decimal128(18, 8) | DataType::Decimal64(18, 8)
        ),
        "{:?}",
        fields[1]
    );
    assert_eq!(fields[5], ("volume".into(), DataType::UInt64));

    // Not ours: a clear error from read_bars.
    let e = read_bars(&common::data("daily/pandas_ta/SPY.csv"), InstrumentId(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("SPY.csv: parquet:"), "{e}");
}
