//! Measures the latency of durable journal writes (each one a committed,
//! fsynced transaction) on the disk holding the given directory.
//!
//! `cargo run --release -p trade-journal --example journal_latency -- /tmp 500`

use std::time::Instant;

use trade_core::{Price, Qty, Side, Timestamp};
use trade_journal::{Execution, Journal, NewIntent, SqliteJournal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp".to_owned()));
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let path = dir.join(format!("journal-latency-{}.sqlite", std::process::id()));
    let mut j = SqliteJournal::open(&path)?;
    let mut intent_us = Vec::with_capacity(n);
    let mut exec_us = Vec::with_capacity(n);
    for i in 0..n {
        let ts = Timestamp::from_secs(i64::try_from(i)?);
        let t0 = Instant::now();
        let id = j.record_intent(&NewIntent {
            ts,
            strategy: "bench".to_owned(),
            instrument: "SPY".to_owned(),
            side: Side::Buy,
            qty: Qty::new(1),
            limit_price: Some(Price::from_cents(50_000)),
            order: serde_json::json!({"type": "limit"}),
        })?;
        intent_us.push(t0.elapsed().as_secs_f64() * 1e6);
        let t1 = Instant::now();
        j.record_execution(&Execution {
            exec_id: format!("x{i}"),
            order_ref: Some(id.order_ref()),
            perm_id: None,
            ts,
            instrument: "SPY".to_owned(),
            side: Side::Buy,
            qty: Qty::new(1),
            price: Price::from_cents(50_000),
        })?;
        exec_us.push(t1.elapsed().as_secs_f64() * 1e6);
    }
    drop(j);
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    for (name, mut v) in [("record_intent", intent_us), ("record_execution", exec_us)] {
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
        println!(
            "{name}: n={} p50={:.0} us p99={:.0} us max={:.0} us",
            v.len(),
            pct(0.5),
            pct(0.99),
            pct(1.0)
        );
    }
    Ok(())
}
