//! Accounting identities on real backtests, to the last 10^-8 dollar:
//! cash = initial - Σ signed fill notionals - Σ commissions; fills sum to
//! the final positions; equity = cash + Σ position × last close.

use trade::config::{self, Sources};
use trade::pipeline::{self, RunOptions};
use trade_core::{InstrumentId, Money, Side};

use crate::harness::{Scratch, repo};

fn check(example: &str, sets: &[&str]) {
    check_with(example, sets, |t| t);
}

type Result = trade_engine::BacktestResult;

/// Runs `example` after `edit` rewrote its text (data paths made absolute).
fn check_with(example: &str, sets: &[&str], edit: impl Fn(String) -> String) -> Result {
    let s = Scratch::new("acct");
    let registry = trade_engine::strategy::builtin::registry();
    let sources = Sources {
        sets: sets.iter().map(|x| x.to_string()).collect(),
        ..Sources::default()
    };
    let text = std::fs::read_to_string(repo().join(example)).unwrap();
    let text = edit(text.replace("\"../data/", &format!("\"{}/data/", repo().display())));
    let path = s.write("config.toml", &text);
    let cfg = config::load(&path, &sources, &registry).unwrap();
    let opts = RunOptions {
        output_dir: Some(s.path("runs")),
        run_id: None,
        progress: false,
    };
    let out = pipeline::run(&cfg, &opts, &registry).unwrap();
    let r = &out.result;
    assert!(!r.fills.is_empty(), "{example}: no fills");
    let n = r.final_marks.len();
    let mut cash = r.initial_cash;
    let mut pos = vec![0i64; n];
    let mut commissions = Money::ZERO;
    for f in &r.fills {
        let f = f.fill;
        let notional = Money::notional(f.price, f.qty, 1);
        match f.side {
            Side::Buy => cash -= notional,
            Side::Sell => cash += notional,
        }
        cash -= f.commission;
        commissions += f.commission;
        pos[f.instrument.index()] += f.qty.signed() * f.side.sign();
    }
    let last = r.equity.last().unwrap();
    assert_eq!(
        last.cash, cash,
        "{example}: cash ledger != fills and commissions"
    );
    let marked: Money = (0..n)
        .map(|i| {
            Money::notional(
                r.final_marks[i],
                trade_core::Qty::new(pos[i].unsigned_abs()),
                1,
            )
            .mul_div(pos[i].signum(), 1)
        })
        .sum();
    assert_eq!(
        last.equity(),
        cash + marked,
        "{example}: equity != cash + marked positions"
    );
    for (i, p) in pos.iter().enumerate() {
        let from_ledger = r
            .positions
            .iter()
            .rev()
            .find(|row| row.instrument == InstrumentId(i as u32))
            .map_or(0, |row| row.qty);
        assert_eq!(
            *p, from_ledger,
            "{example}: fills do not sum to the position of instrument {i}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.run_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["activity"]["commissions"]
            .as_str()
            .unwrap()
            .parse::<Money>()
            .unwrap(),
        commissions
    );
    assert_eq!(
        summary["final_equity"]
            .as_str()
            .unwrap()
            .parse::<Money>()
            .unwrap(),
        last.equity()
    );
    out.result
}

#[test]
fn spy_daily_crossover() {
    check("examples/spy_ma_crossover.toml", &[]);
}

#[test]
fn four_etf_rotation_with_slippage() {
    check("examples/etf_momentum.toml", &[]);
}

#[test]
fn intraday_long_short_flat_at_close() {
    check("examples/spy_intraday.toml", &[]);
}

#[test]
fn percent_commission_and_volume_cap() {
    // One-minute bars: a DAY order's unfilled rest carries to the next bars.
    let r = check_with(
        "examples/spy_intraday.toml",
        &["fill.volume_cap=0.0002"],
        |t| {
            t.replace(
                "model = \"per_share\"\nrate = 0.005\nmin = 1.0\nmax_pct = 0.01",
                "model = \"percent\"\nrate = 0.0007",
            )
        },
    );
    // The cap must have split orders across bars for this test to mean anything.
    let mut per_order = std::collections::BTreeMap::new();
    for f in &r.fills {
        *per_order.entry(f.fill.order_id).or_insert(0) += 1;
    }
    assert!(
        per_order.values().any(|&n| n > 1),
        "no order was partly filled"
    );
}
