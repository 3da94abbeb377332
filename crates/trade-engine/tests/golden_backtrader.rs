//! End-to-end golden backtest: the built-in `ma_crossover` (SMA 20/50,
//! fixed 100 shares) on real SPY daily bars 2010–2012, against the fills,
//! cash, position, equity and round trips that backtrader 1.9.78.123
//! produced for the same strategy (see `tests/data/backtrader/README.md`
//! and `make_golden.py` there).
//!
//! Conventions matched on both sides: decide at a bar's close, market
//! orders fill at the next bar's open, fill prices on the $0.01 tick, IB
//! fixed commission `max($1, $0.005/share)` capped at 1% of value per
//! order, the first SMA regime after warm-up is not a cross.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Deserialize;
use trade_calendar::Nyse;
use trade_core::{
    Bar, Instrument, InstrumentId, Money, OrderStatus, Price, Side, StrategyId, Symbol, Timestamp,
};
use trade_engine::broker::CommissionModel;
use trade_engine::market_hours::{MarketHours, SessionTimes};
use trade_engine::strategy::ParamValue;
use trade_engine::strategy::builtin::registry;
use trade_engine::{BacktestResult, BacktestSpec, StrategySlot, run_backtest};

#[derive(Deserialize)]
struct Golden {
    python: String,
    backtrader: String,
    bars: usize,
    first_date: String,
    last_date: String,
    initial_cash: Money,
    fast: i64,
    slow: i64,
    qty: i64,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    mode: String,
    commission: String,
    fills: Vec<GoldenFill>,
    final_cash: Money,
    final_position: i64,
    final_value: Money,
    last_close: Price,
    trades_closed: usize,
    trades: Vec<GoldenTrade>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct GoldenFill {
    decided: String,
    date: String,
    side: String,
    qty: u64,
    price: Price,
    commission: Money,
}

impl std::fmt::Display for GoldenFill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "decided {} filled {} {} {} @ {} commission {}",
            self.decided, self.date, self.side, self.qty, self.price, self.commission
        )
    }
}

#[derive(Deserialize, Debug, PartialEq)]
struct GoldenTrade {
    entry: String,
    exit: String,
    direction: String,
    pnl: Money,
    pnl_net: Money,
    commission: Money,
}

impl std::fmt::Display for GoldenTrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {} pnl {} net {} commission {}",
            self.direction, self.entry, self.exit, self.pnl, self.pnl_net, self.commission
        )
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/backtrader")
}

fn golden() -> Golden {
    let path = data_dir().join("golden.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads `Date,Open,High,Low,Close,Adj Close,Volume` rows with plain std
/// parsing. Prices are kept exactly as written (sub-cent float noise such
/// as `139.53999` included): the engine rounds fill prices to the tick.
/// Each bar is stamped with its NYSE session's close (13:00 New York on
/// early-close days).
fn read_bars(path: &Path) -> (Vec<Bar>, Vec<Date>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Date,Open,High,Low,Close,Adj Close,Volume"),
        "header of {}",
        path.display()
    );
    let mut bars = Vec::new();
    let mut dates = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 7, "row {line}");
        let date: Date = f[0].parse().expect("date");
        let session = Nyse
            .session(date)
            .expect("date in the calendar's range")
            .unwrap_or_else(|| panic!("{date} is not an NYSE session"));
        let price = |s: &str| -> Price { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        let volume: f64 = f[6].parse().expect("volume");
        bars.push(Bar {
            instrument: InstrumentId(0),
            ts: session.close,
            open: price(f[1]),
            high: price(f[2]),
            low: price(f[3]),
            close: price(f[4]),
            volume: volume as u64,
        });
        dates.push(date);
    }
    (bars, dates)
}

/// Every NYSE session from `first` to `last`, inclusive.
fn sessions(first: Date, last: Date) -> MarketHours {
    let mut out = Vec::new();
    let mut d = first;
    while d <= last {
        if let Some(s) = Nyse.session(d).expect("in range") {
            out.push(SessionTimes {
                open: s.open,
                close: s.close,
            });
        }
        d = d.tomorrow().expect("date");
    }
    MarketHours::new(out)
}

/// The New York date of an instant.
fn ny_date(ts: Timestamp) -> String {
    ts.to_jiff()
        .in_tz("America/New_York")
        .expect("tz")
        .date()
        .to_string()
}

fn run(g: &Golden, case: &Case, bars: &[Bar], hours: &MarketHours) -> BacktestResult {
    let given: BTreeMap<String, ParamValue> = [
        ("fast", ParamValue::Int(g.fast)),
        ("slow", ParamValue::Int(g.slow)),
        ("mode", ParamValue::Str(case.mode.clone())),
        ("sizing", ParamValue::Str("fixed".into())),
        ("qty", ParamValue::Int(g.qty)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let reg = registry();
    let params = reg.resolve("ma_crossover", &given).expect("params");
    let strategy = reg.build(&params, &[InstrumentId(0)]).expect("strategy");
    let mut spec = BacktestSpec {
        commission: match case.commission.as_str() {
            "ib_fixed" => CommissionModel::default(),
            "none" => CommissionModel::None,
            other => panic!("unknown commission {other}"),
        },
        ..BacktestSpec::default()
    };
    spec.account.initial_cash = g.initial_cash;
    spec.fill.slippage_bps = 0.0;
    let instruments = [Instrument::etf(Symbol::new("SPY").expect("symbol"))];
    run_backtest(
        &spec,
        &instruments,
        &[bars.to_vec()],
        hours,
        vec![StrategySlot {
            id: StrategyId("ma_crossover".into()),
            instruments: vec![InstrumentId(0)],
            strategy,
        }],
        &mut |_, _| {},
    )
    .expect("backtest runs")
}

/// `m` to the cent, and checks it has no sub-cent part to hide.
fn cents(m: Money, what: &str) -> Money {
    assert_eq!(
        m,
        m.round_cents(),
        "{what} = {m} is not a whole number of cents"
    );
    m.round_cents()
}

fn check(case: &Case, r: &BacktestResult) {
    let name = &case.name;
    assert!(
        r.risk_events.is_empty(),
        "{name}: unexpected risk events {:?}",
        r.risk_events
    );
    for o in &r.orders {
        assert_eq!(o.status, OrderStatus::Filled, "{name}: order {o:?}");
    }

    let fills: Vec<GoldenFill> = r
        .fills
        .iter()
        .map(|row| {
            let f = &row.fill;
            let order = &r.orders[(f.order_id.0 - 1) as usize];
            assert_eq!(order.id, f.order_id);
            GoldenFill {
                decided: ny_date(order.created),
                date: ny_date(f.ts),
                side: f.side.as_str().to_string(),
                qty: f.qty.get(),
                price: f.price,
                commission: cents(f.commission, "commission"),
            }
        })
        .collect();
    for (k, (got, want)) in fills.iter().zip(&case.fills).enumerate() {
        assert!(
            got == want,
            "{name}: fill #{k}: engine {got}, backtrader {want}"
        );
    }
    assert_eq!(fills.len(), case.fills.len(), "{name}: number of fills");

    let last = r.equity.last().expect("equity rows");
    assert!(
        r.final_marks[0] == case.last_close,
        "{name}: last close: engine {}, backtrader {}",
        r.final_marks[0],
        case.last_close
    );
    let cash = cents(last.cash, "final cash");
    assert!(
        cash == case.final_cash,
        "{name}: final cash: engine {cash}, backtrader {}",
        case.final_cash
    );
    let position = r.positions.last().map_or(0, |p| p.qty);
    assert_eq!(position, case.final_position, "{name}: final position");
    let signed: i64 = r
        .fills
        .iter()
        .map(|f| f.fill.qty.signed() * f.fill.side.sign())
        .sum();
    assert_eq!(signed, position, "{name}: fills add up to the position");
    let equity = cents(last.equity(), "final equity");
    assert!(
        equity == case.final_value,
        "{name}: final equity: engine {equity}, backtrader {}",
        case.final_value
    );

    let trades: Vec<GoldenTrade> = r
        .trades
        .iter()
        .map(|t| GoldenTrade {
            entry: ny_date(t.entry_ts),
            exit: ny_date(t.exit_ts),
            direction: match t.direction {
                Side::Buy => "long",
                Side::Sell => "short",
            }
            .to_string(),
            pnl: cents(t.pnl + t.commission, "trade pnl"),
            pnl_net: cents(t.pnl, "trade net pnl"),
            commission: cents(t.commission, "trade commission"),
        })
        .collect();
    for (k, (got, want)) in trades.iter().zip(&case.trades).enumerate() {
        assert!(
            got == want,
            "{name}: trade #{k}: engine {got}, backtrader {want}"
        );
    }
    assert_eq!(trades.len(), case.trades_closed, "{name}: closed trades");
    assert_eq!(
        case.trades.len(),
        case.trades_closed,
        "{name}: golden trades"
    );
}

#[test]
fn ma_crossover_matches_backtrader() {
    let g = golden();
    assert!(
        g.backtrader.starts_with("1.9.78") && !g.python.is_empty(),
        "golden generated with backtrader {} / Python {}",
        g.backtrader,
        g.python
    );
    let (bars, dates) = read_bars(&data_dir().join("spy_2010_2012.csv"));
    assert_eq!(bars.len(), g.bars, "bars in the fixture");
    assert_eq!(dates[0].to_string(), g.first_date);
    assert_eq!(dates[dates.len() - 1].to_string(), g.last_date);
    let hours = sessions(dates[0], dates[dates.len() - 1]);
    // The fixture has a bar for every session of the period.
    assert_eq!(hours.sessions().len(), bars.len(), "sessions vs bars");
    assert_eq!(g.cases.len(), 3, "cases");
    for case in &g.cases {
        let r = run(&g, case, &bars, &hours);
        check(case, &r);
    }
}
