//! `trade live` as a user runs it, against `trade gateway-sim` as IB
//! Gateway, both real processes speaking the TWS protocol on 127.0.0.1: the
//! session connects, reconciles, trades a minute-bar strategy on the
//! simulator's bars, journals everything and stops cleanly on SIGTERM; a
//! session killed with SIGKILL mid-trading and started again on the same
//! journal reuses no order id, duplicates no execution and leaves no order
//! with an unknown outcome.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trade_journal::{Journal, LocalOrderId, OrderState, SqliteJournal};

use crate::browser::Reaped;
use crate::harness::{Scratch, repo};

/// `trade gateway-sim` at `speed` x real time; its port.
fn gateway(speed: &str) -> (Reaped, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args(["gateway-sim", "--port", "0", "--speed", speed, "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade gateway-sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (Reaped(child), port)
}

/// A 3/8 minute-bar crossover on SPY, warmed up on the repository's
/// minute bars; the simulator's clock is in 2025, so the wall-clock market
/// hours gate is off.
fn config(s: &Scratch, port: u16) -> std::path::PathBuf {
    let data = repo().join("data/intraday/SPY_1min_2024-02-20_2024-05-17.csv");
    s.write(
        "live.toml",
        &format!(
            r#"
[run]
name = "live_e2e"

[account]
initial_cash = 100000
allow_short = true

[risk]
market_hours_only = false

[data.SPY]
path = "{}"
hours = "regular"
label = "start"

[[strategies]]
name = "scalper"
type = "ma_crossover"
symbols = ["SPY"]

[strategies.params]
fast = 3
slow = 8

[live]
port = {port}
client_id = 7

[session]
trade_outside_session = true
"#,
            data.display()
        ),
    )
}

fn live(s: &Scratch, cfg: &Path, journal: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "live",
            "--config",
            cfg.to_str().expect("utf-8"),
            "--journal",
            journal.to_str().expect("utf-8"),
            "--output-dir",
            "runs",
        ])
        .current_dir(&s.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start trade live")
}

/// Every order in the journal, by local id.
fn orders(journal: &Path) -> Vec<trade_journal::JournalOrder> {
    try_orders(journal).expect("journal readable")
}

/// As [`orders`]; an error while the live process is still creating the file.
fn try_orders(
    journal: &Path,
) -> Result<Vec<trade_journal::JournalOrder>, trade_journal::JournalError> {
    let j = SqliteJournal::open_read_only(journal)?;
    let mut out = Vec::new();
    let mut id = 1;
    while let Ok(Some(o)) = j.order(LocalOrderId(id)) {
        out.push(o);
        id += 1;
    }
    Ok(out)
}

/// Waits until the journal holds at least `n` filled orders.
fn wait_filled(journal: &Path, n: usize, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // The file may exist before the live process has written its schema.
        if let Ok(all) = try_orders(journal) {
            let filled = all.iter().filter(|o| o.state == OrderState::Filled).count();
            if filled >= n {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("trade live exited early ({status}): {err}");
        }
        assert!(
            Instant::now() < deadline,
            "fewer than {n} filled orders after 90 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

/// The journal's invariants after any number of runs: every broker order
/// id used once, every filled order's executions add up to its quantity,
/// nothing left with an unknown outcome.
fn check_journal(journal: &Path) -> usize {
    let all = orders(journal);
    let j = SqliteJournal::open_read_only(journal).expect("journal");
    let mut ids: Vec<i64> = all.iter().filter_map(|o| o.broker_order_id).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "a broker order id was used twice: {all:?}");
    for o in &all {
        let execs = j.executions_for(o.local_id).expect("executions");
        let filled: u64 = execs.iter().map(|e| e.qty.get()).sum();
        if o.state == OrderState::Filled {
            assert_eq!(filled, o.qty.get(), "order {} executions", o.local_id);
        }
        assert!(filled <= o.qty.get(), "order {} overfilled", o.local_id);
    }
    let unknown = j.orders_with_unknown_outcome().expect("pending");
    assert!(
        unknown.is_empty(),
        "unknown outcome after a clean stop: {unknown:?}"
    );
    all.len()
}

#[test]
fn a_live_session_trades_against_the_gateway_and_survives_sigkill_without_duplicates() {
    let s = Scratch::new("live");
    let (_gw, port) = gateway("600");
    let cfg = config(&s, port);
    let journal = s.path("journal.sqlite");

    // 1. Trade, then SIGTERM: a clean stop with a summary.
    let mut first = live(&s, &cfg, &journal);
    wait_filled(&journal, 2, &mut first);
    signal(&first, "-TERM");
    let out = first.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("run live_e2e-live-"), "{text}");
    assert!(text.contains("journal "), "{text}");
    let after_first = check_journal(&journal);
    assert!(after_first >= 2);

    // 2. Trade again on the same journal, SIGKILL mid-session.
    let mut second = live(&s, &cfg, &journal);
    let filled_first = orders(&journal)
        .iter()
        .filter(|o| o.state == OrderState::Filled)
        .count();
    wait_filled(&journal, filled_first + 1, &mut second);
    signal(&second, "-KILL");
    let _ = second.wait();

    // 3. Start again: reconciliation settles whatever the kill left open,
    //    trading goes on, and a clean stop leaves a consistent journal.
    let before = orders(&journal).len();
    let mut third = live(&s, &cfg, &journal);
    wait_filled(
        &journal,
        orders(&journal)
            .iter()
            .filter(|o| o.state == OrderState::Filled)
            .count()
            + 1,
        &mut third,
    );
    signal(&third, "-TERM");
    let out = third.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = check_journal(&journal);
    assert!(total > before, "the third session traded");
}

#[test]
fn a_live_session_warms_up_on_the_gateways_history_when_asked() {
    let s = Scratch::new("live-warmup");
    let (_gw, port) = gateway("600");
    let cfg = config(&s, port);
    // Same config, warm-up from IB instead of the files (40 minute bars).
    let text = std::fs::read_to_string(&cfg).expect("config").replace(
        "client_id = 7",
        "client_id = 7\nwarmup = \"ib\"\nwarmup_bars = 40",
    );
    let cfg = s.write("live-ib.toml", &text);
    let journal = s.path("journal.sqlite");
    let mut child = live(&s, &cfg, &journal);
    wait_filled(&journal, 1, &mut child);
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("wait");
    // Without the terminal colours of human-format logs.
    let raw = String::from_utf8_lossy(&out.stderr);
    let mut log = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            log.push(c);
        }
    }
    assert!(out.status.success(), "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("historical warm-up bars"))
        .unwrap_or_else(|| panic!("no warm-up line in {log}"));
    assert!(line.contains("bars=40") && line.contains("SPY"), "{line}");
    let warmed = log
        .lines()
        .find(|l| l.contains("strategies warmed up"))
        .unwrap_or_else(|| panic!("no warmed-up line in {log}"));
    assert!(warmed.contains("instants=40"), "{warmed}");
}

/// A manual trade: another client (TWS, a phone) buys SPY on the same
/// account while `trade live` runs. This session gets no execution event
/// for it; its periodic reconciliation must notice and flag it.
#[test]
fn a_manual_trade_made_in_tws_while_connected_is_flagged() {
    let s = Scratch::new("live-manual");
    let (_gw, port) = gateway("600");
    let cfg = config(&s, port);
    let text = std::fs::read_to_string(&cfg).expect("config").replace(
        "trade_outside_session = true",
        "trade_outside_session = true\nreconcile_every = \"500ms\"\nexternal = \"flag\"",
    );
    let cfg = s.write("live-manual.toml", &text);
    let journal = s.path("journal.sqlite");
    let mut child = live(&s, &cfg, &journal);
    wait_filled(&journal, 1, &mut child);
    // "TWS" (client 0) buys 7 SPY at market, with no orderRef of ours.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use ibapi::orders::{Action, order_builder};
        let tws = ibapi::Client::connect(&format!("127.0.0.1:{port}"), 0)
            .await
            .expect("a second client");
        let id = tws.next_valid_order_id().await.expect("order id");
        let spy = ibapi::contracts::Contract::stock("SPY").build();
        tws.submit_order(id, &spy, &order_builder::market_order(Action::Buy, 7.0))
            .await
            .expect("manual order");
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    });
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = s.path("runs");
    let run = std::fs::read_dir(&runs)
        .expect("runs")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("live_e2e-live-")
        })
        .expect("a run folder");
    let session: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.path().join("session.json")).expect("session.json"),
    )
    .expect("json");
    let alerts = session["alerts"].as_array().expect("alerts");
    assert!(
        alerts.iter().any(|a| {
            let k = a["kind"].as_str().unwrap_or("");
            (k == "position_mismatch" || k == "external_execution" || k == "external_order")
                && a["instrument"] == "SPY"
        }),
        "the manual trade was not flagged: {alerts:#?}"
    );
}
