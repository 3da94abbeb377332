//! Crate-level tests: a hand-built, realistic `BacktestResult` written to
//! a run folder, read back and rendered.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use trade_core::{
    ClientOrderId, Fill, Instrument, InstrumentId, Money, Order, OrderIntent, OrderStatus,
    OrderType, Price, Qty, Side, StrategyId, Symbol, TimeInForce, Timestamp,
};
use trade_engine::BacktestResult;
use trade_engine::ledger::{EquityRow, FillRow, PositionRow, RiskEvent, Trade};
use trade_engine::risk::{KillSwitch, RiskRule};

use crate::error::ReportError;
use crate::run_dir::write_run_with;
use crate::{
    Benchmark, DataFileInfo, Ledgers, MetricsConfig, RunInput, Summary, ledgers, render_report,
    write_run,
};

/// A unique directory under the system temp dir, removed on drop.
pub(crate) struct TestDir(pub PathBuf);

impl TestDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!(
            "trade-report-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TestDir(p)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn ts(s: &str) -> Timestamp {
    Timestamp::from_jiff(s.parse().unwrap()).unwrap()
}

/// 16:00 New York on the `i`-th weekday from 2023-01-03.
fn close_of_day(i: usize) -> Timestamp {
    let tz = crate::daily::new_york();
    let mut d = jiff::civil::date(2023, 1, 3);
    let mut k = 0;
    loop {
        if d.weekday().to_monday_one_offset() <= 5 {
            if k == i {
                break;
            }
            k += 1;
        }
        d = d.tomorrow().unwrap();
    }
    let z = d.at(16, 0, 0, 0).to_zoned(tz).unwrap();
    Timestamp::from_jiff(z.timestamp()).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn order(
    id: u64,
    strategy: &str,
    inst: u32,
    side: Side,
    qty: u64,
    order_type: OrderType,
    created: Timestamp,
    status: OrderStatus,
    reason: Option<&str>,
    tag: &str,
) -> Order {
    Order {
        id: ClientOrderId(id),
        broker_id: (status != OrderStatus::Rejected)
            .then(|| trade_core::BrokerOrderId(format!("SIM-{id}"))),
        strategy: StrategyId(strategy.to_string()),
        intent: OrderIntent {
            instrument: InstrumentId(inst),
            side,
            qty: Qty::new(qty),
            order_type,
            tif: TimeInForce::Day,
            tag: tag.to_string().into(),
        },
        created,
        status,
        filled: if status == OrderStatus::Filled {
            Qty::new(qty)
        } else {
            Qty::ZERO
        },
        triggered: false,
        closed: Some(created.add_secs(60)),
        reason: reason.map(str::to_string),
    }
}

pub(crate) const DAYS: usize = 300;
pub(crate) const EVIL: &str = "<script>alert('x')</script> & \"q\"";

/// A realistic result: two ETFs, two strategies, ~14 months of daily
/// equity, a handful of trades, a rejected order, risk events and
/// (optionally) a tripped kill switch.
pub(crate) fn fixture(kill: bool) -> BacktestResult {
    let initial = Money::from_dollars(100_000);
    let mut equity = Vec::with_capacity(DAYS);
    let mut e = 100_000.0_f64;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..DAYS {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state % 10_000) as f64 / 10_000.0 - 0.5;
        e *= 1.0 + 0.0006 + 0.022 * u;
        let eq = Money::from_f64((e * 100.0).round() / 100.0).unwrap();
        let gross = if i % 7 < 4 {
            Money::from_f64(e * 0.95).unwrap().round_cents()
        } else {
            Money::ZERO
        };
        equity.push(EquityRow {
            ts: close_of_day(i),
            cash: eq - gross,
            gross_exposure: gross,
            net_exposure: gross,
        });
    }
    let p = |s: &str| s.parse::<Price>().unwrap();
    let mut orders = vec![
        order(
            1,
            "spy_trend",
            0,
            Side::Buy,
            200,
            OrderType::Market,
            close_of_day(3),
            OrderStatus::Filled,
            None,
            "entry",
        ),
        order(
            2,
            "spy_trend",
            0,
            Side::Sell,
            200,
            OrderType::Market,
            close_of_day(20),
            OrderStatus::Filled,
            None,
            "exit",
        ),
        order(
            3,
            EVIL,
            1,
            Side::Buy,
            50,
            OrderType::Limit { limit: p("310.25") },
            close_of_day(30),
            OrderStatus::Rejected,
            Some(EVIL),
            EVIL,
        ),
        order(
            4,
            EVIL,
            1,
            Side::Sell,
            60,
            OrderType::StopLimit {
                stop: p("300.00"),
                limit: p("299.50"),
            },
            close_of_day(40),
            OrderStatus::Filled,
            None,
            "short",
        ),
        order(
            5,
            EVIL,
            1,
            Side::Buy,
            60,
            OrderType::Market,
            close_of_day(55),
            OrderStatus::Filled,
            None,
            "cover",
        ),
        order(
            6,
            "spy_trend",
            0,
            Side::Buy,
            10,
            OrderType::Stop { stop: p("420.00") },
            close_of_day(60),
            OrderStatus::Expired,
            Some("session closed"),
            "breakout",
        ),
    ];
    orders[3].triggered = true;
    let fill = |oid: u64,
                inst: u32,
                side: Side,
                qty: u64,
                price: &str,
                day: usize,
                strategy: u32,
                realized: Money| FillRow {
        fill: Fill {
            order_id: ClientOrderId(oid),
            instrument: InstrumentId(inst),
            side,
            qty: Qty::new(qty),
            price: p(price),
            commission: Money::from_cents(100),
            ts: close_of_day(day).add_secs(-6 * 3600 - 29 * 60),
        },
        strategy,
        realized,
    };
    let fills = vec![
        fill(1, 0, Side::Buy, 200, "401.12345678", 4, 0, Money::ZERO),
        fill(
            2,
            0,
            Side::Sell,
            200,
            "409.87",
            21,
            0,
            Money::from_cents(174_931),
        ),
        fill(4, 1, Side::Sell, 60, "300.00", 41, 1, Money::ZERO),
        fill(
            5,
            1,
            Side::Buy,
            60,
            "305.55",
            56,
            1,
            Money::from_cents(-33_300),
        ),
    ];
    let positions = vec![
        PositionRow {
            ts: fills[0].fill.ts,
            instrument: InstrumentId(0),
            qty: 200,
            cost_basis: Money::from_cents(8_022_469),
            realized: Money::ZERO,
        },
        PositionRow {
            ts: fills[1].fill.ts,
            instrument: InstrumentId(0),
            qty: 0,
            cost_basis: Money::ZERO,
            realized: Money::from_cents(174_931),
        },
        PositionRow {
            ts: fills[2].fill.ts,
            instrument: InstrumentId(1),
            qty: -60,
            cost_basis: Money::from_cents(-1_800_000),
            realized: Money::ZERO,
        },
        PositionRow {
            ts: fills[3].fill.ts,
            instrument: InstrumentId(1),
            qty: 0,
            cost_basis: Money::ZERO,
            realized: Money::from_cents(-33_300),
        },
    ];
    let trades = vec![
        Trade {
            instrument: InstrumentId(0),
            direction: Side::Buy,
            entry_ts: fills[0].fill.ts,
            exit_ts: fills[1].fill.ts,
            max_qty: 200,
            entry_price: 401.12345678,
            exit_price: 409.87,
            pnl: Money::from_cents(174_731),
            commission: Money::from_cents(200),
            return_pct: 1747.31 / 80_224.69,
        },
        Trade {
            instrument: InstrumentId(1),
            direction: Side::Sell,
            entry_ts: fills[2].fill.ts,
            exit_ts: fills[3].fill.ts,
            max_qty: 60,
            entry_price: 300.0,
            exit_price: 305.55,
            pnl: Money::from_cents(-33_500),
            commission: Money::from_cents(200),
            return_pct: -335.0 / 18_000.0,
        },
    ];
    let mut risk_events = vec![RiskEvent {
        ts: close_of_day(30),
        rule: RiskRule::MaxPosition,
        action: "refused",
        instrument: Some(InstrumentId(1)),
        strategy: Some(1),
        message: EVIL.to_string(),
    }];
    let kill_switch = kill.then(|| KillSwitch {
        ts: close_of_day(250),
        rule: RiskRule::MaxDrawdown,
        reason: "equity 81234.56 is 18.77% below the peak 100012.00 (limit 15.00%)".to_string(),
    });
    if let Some(k) = &kill_switch {
        risk_events.push(RiskEvent {
            ts: k.ts,
            rule: k.rule,
            action: "kill_switch",
            instrument: None,
            strategy: None,
            message: k.reason.clone(),
        });
    }
    BacktestResult {
        orders,
        fills,
        equity,
        positions,
        trades,
        risk_events,
        kill_switch,
        bars: (DAYS * 2) as u64,
        final_marks: vec![p("450.00"), p("320.00")],
        initial_cash: initial,
    }
}

pub(crate) fn benchmark() -> Benchmark<'static> {
    let mut c = 380.0_f64;
    let closes = (0..DAYS + 5)
        .map(|i| {
            c *= 1.0 + 0.0004 + 0.01 * ((i * 7919 % 13) as f64 / 13.0 - 0.5);
            (
                close_of_day(i),
                Price::from_f64((c * 100.0).round() / 100.0).unwrap(),
            )
        })
        .collect::<Vec<_>>();
    Benchmark {
        symbol: "SPY".to_string(),
        closes: closes.into(),
    }
}

pub(crate) fn input<'a>(
    run_id: &str,
    result: &'a BacktestResult,
    bench: Option<Benchmark<'a>>,
) -> RunInput<'a> {
    RunInput {
        run_id: run_id.to_string(),
        version: "0.1.0".to_string(),
        git_sha: Some("0123456789abcdef0123456789abcdef01234567".to_string()),
        config_toml: "[account]\ninitial_cash = 100000\n".to_string(),
        config_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_string(),
        data_files: vec![DataFileInfo {
            path: "data/spy_daily.csv".to_string(),
            symbol: "SPY".to_string(),
            sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string(),
            rows: DAYS as u64,
        }],
        instruments: vec![
            Instrument::etf(Symbol::new("SPY").unwrap()),
            Instrument::etf(Symbol::new("QQQ").unwrap()),
        ],
        strategy_names: vec!["spy_trend".to_string(), EVIL.to_string()],
        benchmark: bench,
        result,
        metrics_config: MetricsConfig::default(),
        extra_files: Vec::new(),
    }
}

fn assert_clean(root: &Path, run_id: &str) {
    assert!(!root.join(run_id).exists(), "partial run folder left");
    let left: Vec<String> = entries(root)
        .into_iter()
        .filter(|e| e.starts_with(".tmp-"))
        .collect();
    assert!(left.is_empty(), "temporary folder left: {left:?}");
}

// ------------------------------------------------------------ atomic folder

#[test]
fn writes_a_complete_folder() {
    let root = TestDir::new("complete");
    let result = fixture(false);
    let dir = write_run(&root.0, &input("r1", &result, Some(benchmark()))).unwrap();
    assert_eq!(dir, root.0.join("r1"));
    assert_eq!(
        entries(&dir),
        [
            "benchmark.parquet",
            "config.toml",
            "equity.parquet",
            "fills.parquet",
            "orders.parquet",
            "positions.parquet",
            "report.html",
            "risk_events.parquet",
            "summary.json",
            "trades.parquet",
        ]
    );
    assert_eq!(entries(&root.0), ["r1"], "no temporary folder left");
    assert_eq!(
        std::fs::read_to_string(dir.join("config.toml")).unwrap(),
        "[account]\ninitial_cash = 100000\n"
    );
}

#[test]
fn injected_failure_at_any_step_leaves_nothing() {
    let steps = [
        "orders.parquet",
        "fills.parquet",
        "equity.parquet",
        "trades.parquet",
        "benchmark.parquet",
        "summary.json",
        "config.toml",
        "report.html",
        "rename",
    ];
    let result = fixture(true);
    for step in steps {
        let root = TestDir::new("inject");
        let mut seen = Vec::new();
        let err = write_run_with(
            &root.0,
            &input("r1", &result, Some(benchmark())),
            false,
            &mut |s| {
                seen.push(s.to_string());
                if s == step {
                    Err(ReportError::Injected(s.to_string()))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, ReportError::Injected(ref s) if s == step),
            "{step}: {err}"
        );
        assert!(
            seen.contains(&step.to_string()),
            "{step} was never reached: {seen:?}"
        );
        assert_clean(&root.0, "r1");
        assert!(
            entries(&root.0).is_empty(),
            "{step}: {:?}",
            entries(&root.0)
        );
    }
}

#[test]
fn data_error_mid_write_leaves_nothing() {
    // orders.parquet and fills.parquet are written, then equity fails: cash
    // and net exposure fit Decimal128(18, 8) but the equity column, their
    // sum ($12 billion), does not.
    let root = TestDir::new("overflow");
    let mut result = fixture(false);
    let six_billion = Money::from_dollars(6_000_000_000);
    let row = &mut result.equity[150];
    (row.cash, row.gross_exposure, row.net_exposure) = (six_billion, six_billion, six_billion);
    let err = write_run(&root.0, &input("r1", &result, None)).unwrap_err();
    assert!(
        matches!(err, ReportError::DecimalOverflow { ref column, .. } if column == "equity.equity"),
        "{err}"
    );
    assert_clean(&root.0, "r1");
}

#[test]
fn unwritable_runs_root_fails_cleanly() {
    let root = TestDir::new("unwritable");
    let file = root.0.join("runs");
    std::fs::write(&file, b"not a directory").unwrap();
    let result = fixture(false);
    let err = write_run(&file, &input("r1", &result, None)).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err}");
    assert_eq!(entries(&root.0), ["runs"]);
}

#[test]
fn replace_run_swaps_in_a_whole_new_folder() {
    let root = TestDir::new("replace");
    let result = fixture(false);
    write_run(&root.0, &input("r1", &result, None)).unwrap();
    std::fs::write(root.0.join("r1/stale.txt"), "from the old run").unwrap();
    let dir = crate::replace_run(&root.0, &input("r1", &result, None)).unwrap();
    assert!(
        !dir.join("stale.txt").exists(),
        "the old folder was replaced, not merged"
    );
    assert!(dir.join("summary.json").exists());
    assert_eq!(
        entries(&root.0),
        ["r1"],
        "no temp or old folder left behind"
    );
}

#[test]
fn existing_run_is_never_overwritten() {
    let root = TestDir::new("exists");
    let result = fixture(false);
    write_run(&root.0, &input("r1", &result, None)).unwrap();
    let before = std::fs::read(root.0.join("r1/summary.json")).unwrap();
    let err = write_run(&root.0, &input("r1", &result, None)).unwrap_err();
    assert!(matches!(err, ReportError::RunExists(_)), "{err}");
    assert_eq!(
        std::fs::read(root.0.join("r1/summary.json")).unwrap(),
        before
    );
    assert_clean(&root.0, "r2");
}

#[test]
fn run_ids_must_be_plain_names() {
    let root = TestDir::new("ids");
    let result = fixture(false);
    for bad in ["", ".hidden", "a/b", "..", "a b", "x\\y", &"x".repeat(129)] {
        let err = write_run(&root.0, &input(bad, &result, None)).unwrap_err();
        assert!(
            matches!(err, ReportError::InvalidRunId(_)),
            "{bad:?}: {err}"
        );
    }
    assert!(entries(&root.0).is_empty());
    assert!(crate::validate_run_id("2024-03-08T16-00-00_spy.trend").is_ok());
}

#[test]
fn inconsistent_input_is_refused_and_leaves_nothing() {
    let root = TestDir::new("badinput");
    let mut result = fixture(false);
    result.fills[0].fill.instrument = InstrumentId(7);
    let err = write_run(&root.0, &input("r1", &result, None)).unwrap_err();
    assert!(
        matches!(err, ReportError::InvalidInput(ref m) if m.contains("instrument id 7")),
        "{err}"
    );
    let mut result = fixture(false);
    result.equity.swap(10, 11);
    let err = write_run(&root.0, &input("r1", &result, None)).unwrap_err();
    assert!(
        matches!(err, ReportError::InvalidInput(ref m) if m.contains("time order")),
        "{err}"
    );
    assert!(entries(&root.0).is_empty());
}

// ------------------------------------------------------------ parquet

#[test]
fn parquet_round_trip_is_exact() {
    let root = TestDir::new("roundtrip");
    let result = fixture(true);
    let inp = input("r1", &result, Some(benchmark()));
    let dir = write_run(&root.0, &inp).unwrap();
    let want = Ledgers::from_input(&inp).unwrap();
    let got = ledgers::read_all(&dir).unwrap();
    assert_eq!(got.orders, want.orders);
    assert_eq!(got.fills, want.fills);
    assert_eq!(&*got.equity, &*want.equity);
    assert_eq!(&*got.equity, result.equity.as_slice());
    assert_eq!(got.positions, want.positions);
    assert_eq!(got.trades, want.trades);
    assert_eq!(got.risk_events, want.risk_events);
    assert_eq!(got.benchmark, want.benchmark);
    // Spot checks of the resolved values.
    assert_eq!(got.fills[0].price, "401.12345678".parse().unwrap());
    assert_eq!(got.orders[2].strategy, EVIL);
    assert_eq!(got.orders[2].limit_price, Some("310.25".parse().unwrap()));
    assert_eq!(got.orders[3].order_type, "stop_limit");
    assert_eq!(got.trades[1].direction, "short");
    assert_eq!(got.risk_events[0].symbol.as_deref(), Some("QQQ"));
}

#[test]
fn parquet_column_types_are_portable() {
    let root = TestDir::new("types");
    let result = fixture(false);
    let dir = write_run(&root.0, &input("r1", &result, Some(benchmark()))).unwrap();
    for table in ledgers::TABLES {
        let f = std::fs::File::open(dir.join(table.file)).unwrap();
        let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let schema = b.schema().clone();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let want: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, want, "{}", table.file);
        for field in schema.fields() {
            match field.data_type() {
                DataType::Timestamp(unit, tz) => {
                    assert_eq!(*unit, TimeUnit::Nanosecond);
                    assert_eq!(tz.as_deref(), Some("UTC"));
                }
                DataType::Decimal128(p, s) => assert_eq!((*p, *s), (18, 8)),
                DataType::Int64 | DataType::Float64 | DataType::Utf8 | DataType::Boolean => {}
                other => panic!("{}: unexpected {other}", field.name()),
            }
        }
        // Money in the Parquet schema itself: INT64-backed DECIMAL(18, 8).
        let pq = b.metadata().file_metadata().schema_descr();
        for c in pq.columns() {
            if matches!(
                c.logical_type_ref(),
                Some(parquet::basic::LogicalType::Decimal(_))
            ) {
                assert_eq!((c.type_precision(), c.type_scale()), (18, 8));
                assert_eq!(c.physical_type(), parquet::basic::Type::INT64);
            }
        }
        let rows: usize = b.build().unwrap().map(|r| r.unwrap().num_rows()).sum();
        let summary = Summary::read(&dir).unwrap();
        let listed = summary.files.iter().find(|f| f.file == table.file).unwrap();
        assert_eq!(listed.rows as usize, rows, "{}", table.file);
    }
}

#[test]
fn readme_documents_every_column() {
    let readme = include_str!("../README.md");
    for table in ledgers::TABLES {
        let start = readme
            .find(&format!("### `{}`", table.file))
            .unwrap_or_else(|| panic!("{} not in README", table.file));
        let section = &readme[start..];
        let end = section[4..].find("\n### ").map_or(section.len(), |e| e + 4);
        let section = &section[..end];
        for c in table.columns {
            assert!(
                section.contains(&format!("| `{}` |", c.name)),
                "{}: column {} not documented",
                table.file,
                c.name
            );
        }
    }
}

// ------------------------------------------------------------ summary.json

#[test]
fn summary_json_has_the_documented_fields() {
    let root = TestDir::new("summary");
    let result = fixture(true);
    let dir = write_run(&root.0, &input("r1", &result, Some(benchmark()))).unwrap();
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let at = |p: &str| v.pointer(p).unwrap_or_else(|| panic!("missing {p}"));
    assert_eq!(at("/schema_version"), 1);
    assert_eq!(at("/run_id"), "r1");
    assert_eq!(at("/trade_version"), "0.1.0");
    assert_eq!(at("/git_sha"), "0123456789abcdef0123456789abcdef01234567");
    assert!(at("/config_hash").as_str().unwrap().starts_with("9f86d0"));
    assert_eq!(at("/data_files/0/sha256").as_str().unwrap().len(), 64);
    assert_eq!(at("/data_files/0/rows"), DAYS as u64);
    assert_eq!(
        at("/period/start"),
        &serde_json::json!(close_of_day(0).to_string())
    );
    assert_eq!(
        at("/period/end"),
        &serde_json::json!(close_of_day(DAYS - 1).to_string())
    );
    assert_eq!(at("/period/first_date"), "2023-01-03");
    assert_eq!(at("/period/sessions"), DAYS as u64);
    assert_eq!(at("/initial_equity"), "100000.00");
    assert_eq!(
        at("/final_equity"),
        &serde_json::json!(result.equity.last().unwrap().equity().to_string())
    );
    for side in ["strategy", "benchmark"] {
        for k in [
            "total_return",
            "cagr",
            "annual_volatility",
            "sharpe",
            "sortino",
            "max_drawdown",
            "max_drawdown_duration",
            "max_drawdown_peak",
            "calmar",
            "best_day",
            "worst_day",
            "final_equity",
        ] {
            assert!(
                at(&format!("/metrics/{side}/{k}")).is_number()
                    || at(&format!("/metrics/{side}/{k}")).is_string(),
                "{side}.{k}"
            );
        }
    }
    for k in ["alpha", "beta", "tracking_error", "information_ratio"] {
        assert!(at(&format!("/metrics/relative/{k}")).is_number(), "{k}");
    }
    assert_eq!(at("/benchmark/symbol"), "SPY");
    assert_eq!(at("/trades/count"), 2);
    assert_eq!(at("/trades/wins"), 1);
    assert_eq!(at("/trades/hit_rate"), 0.5);
    assert!(at("/trades/profit_factor").is_number());
    assert_eq!(at("/activity/orders"), 6);
    assert_eq!(at("/activity/orders_rejected"), 1);
    assert_eq!(at("/activity/fills"), 4);
    assert_eq!(at("/activity/commissions"), "4.00");
    assert!(at("/activity/time_in_market").is_number());
    assert!(at("/activity/annual_turnover").is_number());
    assert_eq!(at("/risk/events"), 2);
    assert_eq!(at("/risk/by_rule/max_drawdown_pct"), 1);
    assert_eq!(at("/risk/kill_switch/rule"), "max_drawdown_pct");
    assert_eq!(at("/bars_processed"), (DAYS * 2) as u64);
    assert!(
        v.get("wall_time_ms").is_none(),
        "timings would break byte-identical summaries"
    );
    assert_eq!(at("/metrics_config/periods_per_year"), 252.0);
    // Total return is exactly final / initial - 1 (first return from the initial cash).
    let tr = at("/metrics/strategy/total_return").as_f64().unwrap();
    let fe = result.equity.last().unwrap().equity().to_f64();
    assert!((tr - (fe / 100_000.0 - 1.0)).abs() < 1e-12);
    // The benchmark's total return is last / first close - 1.
    let b = benchmark();
    let close = |i| b.closes.get(i).unwrap().1.to_f64();
    let want = close(DAYS - 1) / close(0) - 1.0;
    assert!((at("/metrics/benchmark/total_return").as_f64().unwrap() - want).abs() < 1e-12);
    // And it parses back into the typed summary.
    let s = Summary::read(&dir).unwrap();
    assert_eq!(s.run_id, "r1");
    assert_eq!(String::from_utf8(s.to_json().unwrap()).unwrap(), text);
}

#[test]
fn intraday_metrics_use_one_return_per_session() {
    // Three sessions of minute bars: 3 daily returns, not ~1,170.
    let root = TestDir::new("intraday");
    let mut result = fixture(false);
    result.equity.clear();
    for (d, date) in ["2024-03-07", "2024-03-08", "2024-03-11"]
        .iter()
        .enumerate()
    {
        let open =
            ts(&format!("{date}T14:30:00Z")).nanos() - if d == 2 { 3_600_000_000_000 } else { 0 };
        for m in 1..=390i64 {
            let e = Money::from_dollars(100_000 + (d as i64) * 500 + (m % 7) * 10);
            result.equity.push(EquityRow {
                ts: Timestamp::from_nanos(open + m * 60_000_000_000),
                cash: e,
                gross_exposure: Money::ZERO,
                net_exposure: Money::ZERO,
            });
        }
    }
    let dir = write_run(&root.0, &input("r1", &result, None)).unwrap();
    let s = Summary::read(&dir).unwrap();
    assert_eq!(s.period.sessions, 3);
    assert_eq!(s.period.equity_rows, 1170);
    assert_eq!(s.metrics.strategy.sessions, 3);
    assert_eq!(s.period.last_date, Some(jiff::civil::date(2024, 3, 11)));
}

// ------------------------------------------------------------ html

fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "<script src",
        "<link",
        "@import",
        "url(",
        "http://",
        "https://",
        "<iframe",
        "<img",
    ] {
        assert!(!lower.contains(bad), "report contains {bad:?}");
    }
}

#[test]
fn report_is_self_contained_and_escaped() {
    let root = TestDir::new("html");
    let result = fixture(true);
    let dir = write_run(&root.0, &input("r1", &result, Some(benchmark()))).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(
        !html.contains("<script"),
        "no script at all, and the evil name is escaped"
    );
    assert!(
        html.contains("&lt;script&gt;alert("),
        "escaped strategy name / message"
    );
    assert!(html.contains("<svg viewBox"), "inline charts");
    assert!(html.contains("Monthly returns"));
    assert!(
        html.contains("<td class=\"num\">401.12</td>"),
        "trade entry price"
    );
    assert!(html.len() < 400_000, "{} bytes", html.len());
}

#[test]
fn report_highlights_the_kill_switch() {
    let root = TestDir::new("kill");
    let result = fixture(true);
    let dir = write_run(&root.0, &input("r1", &result, None)).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("class=\"alert\""));
    assert!(html.contains("Kill switch tripped · max_drawdown_pct"));
    assert!(html.contains("<tr class=\"kill\">"));
    let result = fixture(false);
    let dir = write_run(&root.0, &input("r2", &result, None)).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("class=\"alert\""));
}

#[test]
fn report_renders_for_an_empty_run() {
    let root = TestDir::new("empty");
    // No orders, trades or events, but equity rows.
    let mut result = fixture(false);
    result.orders.clear();
    result.fills.clear();
    result.positions.clear();
    result.trades.clear();
    result.risk_events.clear();
    let dir = write_run(&root.0, &input("flat", &result, Some(benchmark()))).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("No closed trades."));
    assert!(html.contains("No risk events."));
    let s = Summary::read(&dir).unwrap();
    assert_eq!(s.trades.count, 0);
    assert_eq!(s.trades.hit_rate, None);
    // Nothing at all: no bars.
    result.equity.clear();
    result.bars = 0;
    let dir = write_run(&root.0, &input("nothing", &result, Some(benchmark()))).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("No equity recorded."));
    let s = Summary::read(&dir).unwrap();
    assert_eq!(s.final_equity, s.initial_equity);
    assert_eq!(s.metrics.strategy.sharpe, None);
    assert!(
        s.metrics.benchmark.is_none(),
        "no dates to align the benchmark on"
    );
    render_report(&dir).unwrap();
}

#[test]
fn long_trade_lists_are_capped() {
    let root = TestDir::new("cap");
    let mut result = fixture(false);
    let t = result.trades[0];
    result.trades = (0..10_000)
        .map(|i| Trade {
            max_qty: i + 1,
            ..t
        })
        .collect();
    let dir = write_run(&root.0, &input("r1", &result, None)).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("9,800 trades not shown"));
    assert!(html.len() < 400_000, "{} bytes", html.len());
    let s = Summary::read(&dir).unwrap();
    assert_eq!(s.trades.count, 10_000);
}

#[test]
fn render_report_from_the_folder_alone_reproduces_the_page() {
    let root = TestDir::new("rerender");
    let result = fixture(true);
    let dir = write_run(&root.0, &input("r1", &result, Some(benchmark()))).unwrap();
    let original = std::fs::read(dir.join("report.html")).unwrap();
    std::fs::remove_file(dir.join("report.html")).unwrap();
    render_report(&dir).unwrap();
    assert_eq!(
        std::fs::read(dir.join("report.html")).unwrap(),
        original,
        "byte-identical re-render"
    );
    assert!(
        !entries(&dir).iter().any(|e| e.starts_with('.')),
        "no temporary file left"
    );
    // A folder missing a ledger fails and leaves report.html untouched.
    std::fs::remove_file(dir.join("fills.parquet")).unwrap();
    let err = render_report(&dir).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err}");
    assert_eq!(std::fs::read(dir.join("report.html")).unwrap(), original);
}

/// Writes sample folders for looking at the report in a browser:
/// `TRADE_REPORT_KEEP=/tmp/samples cargo test -p trade-report --lib sample -- --ignored`.
#[test]
#[ignore]
fn sample_reports() {
    let root = PathBuf::from(std::env::var_os("TRADE_REPORT_KEEP").expect("set TRADE_REPORT_KEEP"));
    let kill = fixture(true);
    for id in ["kill", "empty"] {
        let _ = std::fs::remove_dir_all(root.join(id));
    }
    write_run(&root, &input("kill", &kill, Some(benchmark()))).unwrap();
    let mut empty = fixture(false);
    empty.equity.clear();
    empty.orders.clear();
    empty.fills.clear();
    empty.trades.clear();
    empty.risk_events.clear();
    write_run(&root, &input("empty", &empty, None)).unwrap();
}

fn equity_rows(raw: &[(i64, i64, i64, i64)]) -> Vec<EquityRow> {
    raw.iter()
        .map(|&(t, c, g, n)| EquityRow {
            ts: Timestamp::from_nanos(t),
            cash: Money::from_raw(c),
            gross_exposure: Money::from_raw(g),
            net_exposure: Money::from_raw(n),
        })
        .collect()
}

fn equity_round_trip(rows: &[EquityRow], threads: usize) -> Vec<EquityRow> {
    let dir = TestDir::new("eqrt");
    let called = std::cell::Cell::new(0);
    ledgers::write_equity(&dir.0, rows, threads, &|| called.set(called.get() + 1)).unwrap();
    assert_eq!(called.get(), 1, "on_encoded once");
    ledgers::read_equity(&dir.0).unwrap()
}

#[test]
fn large_equity_ledger_round_trips_across_chunks_and_threads() {
    // 150,001 rows: three column chunks of 64K, the last one partial.
    let raw: Vec<(i64, i64, i64, i64)> = (0..150_001i64)
        .map(|i| {
            let e = 10_000_000_000_000 + (i * 7_919 % 100_003) * 1_000_000 - i;
            (
                1_700_000_000_000_000_000 + i * 60_000_000_000,
                e / 2,
                e / 3,
                -e / 3,
            )
        })
        .collect();
    let rows = equity_rows(&raw);
    for threads in [1, 2, 4] {
        assert_eq!(equity_round_trip(&rows, threads), rows, "{threads} threads");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn any_in_range_equity_ledger_round_trips_exactly(
        raw in proptest::collection::vec(
            (
                proptest::num::i64::ANY,
                // Cash and net exposure each below half the column's range,
                // so the equity column written from their sum fits too.
                -499_999_999_999_999_999i64..=499_999_999_999_999_999,
                -999_999_999_999_999_999i64..=999_999_999_999_999_999,
                -499_999_999_999_999_999i64..=499_999_999_999_999_999,
            ),
            0..200,
        )
    ) {
        let rows = equity_rows(&raw);
        proptest::prop_assert_eq!(equity_round_trip(&rows, 2), rows);
    }
}
