//! Every indicator against golden values computed independently with
//! pandas on the first 300 real SPY daily bars (see
//! `tests/data/README.md` and `tests/data/make_indicator_golden.py`).

use std::path::Path;

use serde::Deserialize;
use trade_engine::indicators::{Atr, Ema, EwmaVol, ReturnKind, Roc, Sma};

#[derive(Deserialize)]
struct Golden {
    source: String,
    rows: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    indicator: String,
    period: usize,
    lambda: Option<f64>,
    returns: Option<String>,
    values: Vec<Option<f64>>,
}

struct Ohlc {
    high: f64,
    low: f64,
    close: f64,
}

/// Reads `date,open,high,low,close,...` rows with plain std parsing.
fn read_bars(path: &Path, rows: usize) -> Vec<Ohlc> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("date,open,high,low,close"),
        "unexpected header {header}"
    );
    lines
        .take(rows)
        .map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .skip(1)
                .take(4)
                .map(|s| s.parse().expect("number"))
                .collect();
            Ohlc {
                high: f[1],
                low: f[2],
                close: f[3],
            }
        })
        .collect()
}

fn close_enough(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(got.abs()) + 1e-12
}

fn run(case: &Case, bars: &[Ohlc]) -> Vec<Option<f64>> {
    let n = case.period;
    match case.indicator.as_str() {
        "sma" => {
            let mut i = Sma::new(n).unwrap();
            bars.iter().map(|b| i.update(b.close)).collect()
        }
        "ema" => {
            let mut i = Ema::new(n).unwrap();
            bars.iter().map(|b| i.update(b.close)).collect()
        }
        "atr" => {
            let mut i = Atr::new(n).unwrap();
            bars.iter()
                .map(|b| i.update(b.high, b.low, b.close))
                .collect()
        }
        "roc" => {
            let mut i = Roc::new(n).unwrap();
            bars.iter().map(|b| i.update(b.close)).collect()
        }
        "ewma_vol" => {
            let kind = match case.returns.as_deref() {
                Some("log") => ReturnKind::Log,
                Some("simple") => ReturnKind::Simple,
                other => panic!("unknown returns {other:?}"),
            };
            let mut i = EwmaVol::new(n, case.lambda.expect("lambda"), kind).unwrap();
            bars.iter().map(|b| i.update(b.close)).collect()
        }
        other => panic!("unknown indicator {other}"),
    }
}

#[test]
fn indicators_match_pandas_on_real_spy_bars() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden: Golden = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tests/data/indicator_golden.json")).unwrap(),
    )
    .unwrap();
    let bars = read_bars(&dir.join("../..").join(&golden.source), golden.rows);
    assert_eq!(bars.len(), golden.rows);
    assert!(golden.cases.len() >= 15, "golden file lost cases");
    let mut checked = 0;
    let mut worst = 0.0f64;
    for case in &golden.cases {
        let label = format!(
            "{}({}, {:?}, {:?})",
            case.indicator, case.period, case.lambda, case.returns
        );
        let got = run(case, &bars);
        assert_eq!(got.len(), case.values.len(), "{label}");
        for (row, (g, w)) in got.iter().zip(&case.values).enumerate() {
            match (g, w) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    assert!(
                        close_enough(*g, *w),
                        "{label} row {row}: got {g}, pandas {w}"
                    );
                    checked += 1;
                    worst = worst.max((g - w).abs() / w.abs().max(1e-300));
                }
                _ => panic!("{label} row {row}: got {g:?}, pandas {w:?} (warm-up mismatch)"),
            }
        }
    }
    assert!(checked > 4000, "only {checked} values checked");
    eprintln!("{checked} values checked, worst relative error {worst:e}");
}
