//! `trade paper` and `trade live` as a user runs them. The strongest check:
//! a paper session replaying the example's data trades exactly like the
//! backtest of the same config — same engine, same fill model, only the
//! clock, the feed and the broker differ.

use trade::config::{self, Sources};
use trade::pipeline::{self, RunOptions};
use trade_journal::{AuditKind, Commission, Execution, Journal, OrderState, SqliteJournal};

use crate::harness::{Scratch, assert_user_error, repo, spy_config, stdout, trade};

/// `equity A -> B` and `(N bars, N orders, N fills, N trades)` of a summary.
fn headline(out: &str) -> (String, String) {
    let run = out
        .lines()
        .find(|l| l.starts_with("run "))
        .unwrap_or_default();
    let counts = run
        .split_once('(')
        .map(|(_, c)| c.to_string())
        .unwrap_or_default();
    let equity = out
        .lines()
        .find(|l| l.starts_with("equity "))
        .unwrap_or_default()
        .to_string();
    (counts, equity)
}

#[test]
fn a_paper_replay_trades_exactly_like_the_backtest_and_journals_every_order() {
    let s = Scratch::new("paper");
    let journal = s.path("journal.sqlite");
    let runs = s.path("runs");
    let example = repo().join("examples/spy_ma_crossover.toml");
    let data = repo().join("data/daily/pandas_ta/SPY.csv");
    let paper = trade(&[
        "paper",
        "--config",
        example.to_str().unwrap(),
        "--replay",
        data.to_str().unwrap(),
        "--speed",
        "max",
        "--journal",
        journal.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "paper",
    ]);
    assert!(paper.status.success(), "{}", crate::harness::stderr(&paper));
    let backtest = trade(&[
        "backtest",
        "--config",
        example.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "backtest",
    ]);
    assert!(backtest.status.success());
    let (p_counts, p_equity) = headline(&stdout(&paper));
    let (b_counts, b_equity) = headline(&stdout(&backtest));
    assert!(
        !p_equity.is_empty() && p_counts.contains("fills"),
        "{}",
        stdout(&paper)
    );
    assert_eq!(p_equity, b_equity, "final equity");
    assert_eq!(p_counts, b_counts, "bars, orders, fills, round trips");

    // The journal holds every fill of the backtest, in order, at the same
    // price and quantity, with the same commission.
    let registry = trade_engine::strategy::builtin::registry();
    let cfg = config::load(&example, &Sources::default(), &registry).unwrap();
    let opts = RunOptions {
        output_dir: Some(s.path("inproc")),
        run_id: Some("bt".into()),
        progress: false,
    };
    let bt = pipeline::run(&cfg, &opts, &registry).unwrap().result;
    let j = SqliteJournal::open_read_only(&journal).unwrap();
    let audit = j.audit_after(0, 1_000_000).unwrap();
    let execs: Vec<Execution> = audit
        .iter()
        .filter(|a| a.kind == AuditKind::Fill)
        .map(|a| serde_json::from_value(a.payload.clone()).unwrap())
        .collect();
    let commissions: Vec<Commission> = audit
        .iter()
        .filter(|a| a.kind == AuditKind::Commission)
        .map(|a| serde_json::from_value(a.payload.clone()).unwrap())
        .collect();
    assert_eq!(execs.len(), bt.fills.len());
    assert_eq!(commissions.len(), bt.fills.len());
    for (k, (e, f)) in execs.iter().zip(&bt.fills).enumerate() {
        let f = &f.fill;
        assert_eq!(
            (e.ts, e.side, e.qty, e.price),
            (f.ts, f.side, f.qty, f.price),
            "fill {k}"
        );
        assert_eq!(commissions[k].commission, f.commission, "commission {k}");
        // Every execution belongs to a journaled intent that ended filled.
        let local = trade_journal::LocalOrderId::from_order_ref(e.order_ref.as_deref().unwrap())
            .expect("our orderRef");
        assert_eq!(
            j.order(local).unwrap().unwrap().state,
            OrderState::Filled,
            "order {local}"
        );
    }
    assert!(j.orders_with_unknown_outcome().unwrap().is_empty());
    // A second session on the same journal trades the same way again: its
    // executions are new, not taken for duplicates of the first run's.
    let again = trade(&[
        "paper",
        "--config",
        example.to_str().unwrap(),
        "--replay",
        data.to_str().unwrap(),
        "--speed",
        "max",
        "--journal",
        journal.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "paper2",
    ]);
    assert!(again.status.success(), "{}", crate::harness::stderr(&again));
    assert_eq!(
        headline(&stdout(&again)),
        (b_counts.clone(), b_equity.clone())
    );
    let report = std::fs::read_to_string(runs.join("paper/session.html")).unwrap();
    assert!(
        report.contains(&format!("Fills ({})", bt.fills.len())),
        "the end-of-session report lists the fills"
    );
    assert!(runs.join("paper/report.html").is_file());
}

#[test]
fn a_dry_run_journals_intents_and_fills_nothing() {
    let s = Scratch::new("paper-dry");
    let cfg = s.write("c.toml", &spy_config(""));
    let journal = s.path("j.sqlite");
    let o = trade(&[
        "paper",
        "--config",
        cfg.to_str().unwrap(),
        "--replay",
        "--speed",
        "max",
        "--dry-run",
        "--journal",
        journal.to_str().unwrap(),
        "--output-dir",
        s.path("runs").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    assert!(stdout(&o).contains("dry run: nothing sent"));
    let j = SqliteJournal::open_read_only(&journal).unwrap();
    let first = j
        .order(trade_journal::LocalOrderId(1))
        .unwrap()
        .expect("an intent");
    assert_eq!(first.state, OrderState::Abandoned);
    assert!(j.last_execution_time().unwrap().is_none(), "no fill");
}

#[test]
fn session_config_errors_name_the_key_and_the_file() {
    let s = Scratch::new("paper-bad");
    let cfg = s.write("c.toml", &spy_config("\n[session]\nextrnal = \"adopt\"\n"));
    let o = trade(&["paper", "--config", cfg.to_str().unwrap(), "--replay"]);
    assert_user_error(&o, &["c.toml", "extrnal"]);
    let cfg = s.write(
        "d.toml",
        &spy_config("\n[session]\nlimit_timeout = \"5 parsecs\"\n"),
    );
    let o = trade(&["paper", "--config", cfg.to_str().unwrap(), "--replay"]);
    assert_user_error(&o, &["d.toml", "limit_timeout"]);
}

#[test]
fn paper_without_a_replay_and_bad_live_settings_fail_clearly() {
    let s = Scratch::new("live");
    let cfg = s.write("c.toml", &spy_config(""));
    let o = trade(&["paper", "--config", cfg.to_str().unwrap()]);
    assert_user_error(&o, &["--replay"]);
    let o = trade(&["live", "--config", cfg.to_str().unwrap()]);
    assert_user_error(&o, &["no [live] section"]);
    let live = s.write(
        "l.toml",
        &spy_config("\n[live]\nport = 4001\naccount_type = \"live\"\n"),
    );
    let o = trade(&["live", "--config", live.to_str().unwrap()]);
    assert_user_error(&o, &["--confirm-live"]);
    let bad = s.write("b.toml", &spy_config("\n[live]\nport = 0\n"));
    let o = crate::harness::trade_in(&s.0, &["live", "--config", bad.to_str().unwrap()], &[]);
    assert_user_error(&o, &["[live]", "port must be 1..65535"]);
    // Refused before the journal is opened: no file left behind.
    assert!(!s.path("journal.sqlite").exists());
}

#[test]
fn flat_at_close_flattens_one_bar_early_and_keeps_the_backtests_trades() {
    // A real broker cannot fill at the closing bar's close, so the session
    // sends flat-at-close orders one bar early: they fill at the closing
    // bar's open. Prices (and equity) differ from the backtest's close
    // fills; the trades do not, and positions never stay open overnight
    // (which would have tripped the 2% daily loss limit on a gap).
    let s = Scratch::new("paper-intraday");
    let runs = s.path("runs");
    let example = repo().join("examples/spy_intraday.toml");
    let paper = trade(&[
        "paper",
        "--config",
        example.to_str().unwrap(),
        "--replay",
        "--speed",
        "max",
        "--journal",
        s.path("j.sqlite").to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "paper",
    ]);
    assert!(paper.status.success(), "{}", crate::harness::stderr(&paper));
    let backtest = trade(&[
        "backtest",
        "--config",
        example.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "backtest",
    ]);
    assert!(backtest.status.success());
    let fills_trades = |out: &str| {
        let (counts, _) = headline(out);
        counts
            .split(", ")
            .filter(|p| p.contains("fills") || p.contains("trades"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fills_trades(&stdout(&paper)),
        fills_trades(&stdout(&backtest))
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runs.join("paper/summary.json")).unwrap())
            .unwrap();
    assert!(
        summary["risk"]["kill_switch"].is_null(),
        "{}",
        summary["risk"]
    );
    assert!(!stdout(&paper).contains("KILL SWITCH"));
}

/// An `[options]` config in paper mode: the options desk on a replay of
/// its underlying makes exactly the backtest's trades, and the journal
/// holds every leg order (filled), its execution, and each opened
/// structure and exit decision.
#[test]
fn an_options_paper_session_trades_like_its_backtest_and_journals_each_leg() {
    let s = Scratch::new("options-paper");
    let journal = s.path("journal.sqlite");
    let runs = s.path("runs");
    let example = repo().join("examples/qqq_bull_put.toml");
    let window = [
        "--set",
        "run.start=2021-01-04",
        "--set",
        "run.end=2021-12-31",
    ];
    let mut args = vec![
        "paper",
        "--config",
        example.to_str().unwrap(),
        "--replay",
        "--speed",
        "max",
        "--journal",
        journal.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "paper",
    ];
    args.extend(window);
    let paper = trade(&args);
    assert!(paper.status.success(), "{}", crate::harness::stderr(&paper));
    let mut args = vec![
        "backtest",
        "--config",
        example.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "backtest",
    ];
    args.extend(window);
    let backtest = trade(&args);
    assert!(
        backtest.status.success(),
        "{}",
        crate::harness::stderr(&backtest)
    );
    let (p, b) = (headline(&stdout(&paper)), headline(&stdout(&backtest)));
    assert_eq!(p, b, "paper and backtest differ");
    assert!(!p.0.contains(" 0 orders"), "the year must trade: {}", p.0);
    let options: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(runs.join("paper/options.json")).expect("options.json"),
    )
    .expect("json");
    let structures = options["positions"].as_array().expect("positions").len();
    let exits = options["decisions"].as_array().expect("decisions").len();

    let j = SqliteJournal::open_read_only(&journal).expect("journal");
    assert!(j.open_orders().expect("open").is_empty());
    let mut orders = 0;
    while let Some(o) = j
        .order(trade_journal::LocalOrderId(orders + 1))
        .expect("read")
    {
        assert_eq!(o.state, OrderState::Filled, "order {}", o.local_id);
        let execs = j.executions_for(o.local_id).expect("executions");
        assert_eq!(execs.len(), 1, "order {}", o.local_id);
        assert_eq!(execs[0].qty, o.qty);
        orders += 1;
    }
    let counts = &p.0;
    assert!(
        counts.contains(&format!(" {orders} orders")),
        "journal has {orders} orders, the run: {counts}"
    );
    let audit = j.audit_after(0, 1_000_000).expect("audit");
    let kind = |k: &str| {
        audit
            .iter()
            .filter(|a| a.kind == AuditKind::Decision && a.payload["decision"]["kind"] == k)
            .count()
    };
    assert_eq!(kind("open_structure"), structures);
    assert_eq!(kind("exit_rule"), exits);
}

/// A webhook receiver on 127.0.0.1: records each POSTed JSON body.
fn webhook_receiver() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice(&body)
            {
                log.lock().unwrap().push(v);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, got)
}

fn paper_with_alerts(s: &Scratch, kinds: &str, sets: &[&str]) -> Vec<serde_json::Value> {
    let (port, got) = webhook_receiver();
    let cfg = s.write(
        "c.toml",
        &spy_config(&format!(
            "\n[[alerts.routes]]\nnotifier = \"webhook\"\nmin_severity = \"info\"\nkinds = [{kinds}]\n\n[alerts.webhook]\nurl = \"http://127.0.0.1:{port}/hook\"\n"
        )),
    );
    let journal = s.path("j.sqlite");
    let _ = std::fs::remove_file(&journal);
    let runs = s.path(&format!("runs-{}", kinds.len()));
    let mut args = vec![
        "paper",
        "--config",
        cfg.to_str().unwrap(),
        "--replay",
        "--speed",
        "max",
        "--journal",
        journal.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let o = trade(&args);
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    got.lock().unwrap().clone()
}

#[test]
fn fills_and_daily_summaries_reach_a_webhook_and_none_is_lost_at_exit() {
    let s = Scratch::new("paper-alerts");
    let got = paper_with_alerts(&s, "\"fill\"", &[]);
    let j = SqliteJournal::open_read_only(s.path("j.sqlite")).unwrap();
    let fills = j.query_fills(None, 100_000).unwrap().len();
    assert!(fills > 5, "{fills}");
    assert_eq!(
        got.len(),
        fills,
        "one notification per fill, all delivered before exit"
    );
    assert!(
        got.iter().all(|v| v["alert"]["kind"] == "fill"),
        "routes filter kinds"
    );
    assert!(
        got[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("[INFO] raised: Bought "),
        "{}",
        got[0]
    );
    // One summary per trading day after the first (June 2019: 20 days).
    let got = paper_with_alerts(
        &s,
        "\"daily_summary\"",
        &["run.start=2019-06-01", "run.end=2019-06-30"],
    );
    assert_eq!(got.len(), 19, "{got:?}");
    assert!(
        got[0]["alert"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Day 2019-06-03: P&L ")
    );
}

#[test]
fn a_paper_session_journals_to_postgres_and_trade_journal_reads_it_back() {
    use postgres::{Client, NoTls};
    let admin_url = std::env::var("TRADE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = format!("trade_cli_test_{}", std::process::id());
    let mut admin = Client::connect(&admin_url, NoTls)
        .expect("PostgreSQL on 127.0.0.1 (CI has it; see TRADE_TEST_PG_URL)");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
    let s = Scratch::new("paper-pg");
    let cfg = s.write(
        "c.toml",
        &spy_config("\n[journal]\nbackend = \"postgres\"\n"),
    );
    let runs = s.path("runs");
    let o = crate::harness::trade_in(
        &s.0,
        &[
            "paper",
            "--config",
            cfg.to_str().unwrap(),
            "--replay",
            "--speed",
            "max",
            "--output-dir",
            runs.to_str().unwrap(),
        ],
        &[("TRADE_JOURNAL_URL", &url)],
    );
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    assert!(
        stdout(&o).contains(&format!("postgres://127.0.0.1:5432/{db}")),
        "{}",
        stdout(&o)
    );
    let o = crate::harness::trade_in(
        &s.0,
        &["journal", "--format", "json", "fills", "--limit", "1000"],
        &[("TRADE_JOURNAL_URL", &url)],
    );
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    let fills: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let n = fills.as_array().unwrap().len();
    assert!(n > 5, "{n}");
    // The same session on SQLite journals the same fills.
    let o = trade(&[
        "paper",
        "--config",
        s.write("c2.toml", &spy_config("")).to_str().unwrap(),
        "--replay",
        "--speed",
        "max",
        "--journal",
        s.path("j.sqlite").to_str().unwrap(),
        "--output-dir",
        s.path("runs2").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    let j = SqliteJournal::open_read_only(s.path("j.sqlite")).unwrap();
    assert_eq!(j.query_fills(None, 0).unwrap().len(), n);
    let o = crate::harness::trade_in(&s.0, &["journal", "check"], &[("TRADE_JOURNAL_URL", &url)]);
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    drop(admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")));
}

#[test]
fn an_options_session_notifies_each_exit_rule_that_fires() {
    let s = Scratch::new("options-alerts");
    let (port, got) = webhook_receiver();
    let example = repo().join("examples/qqq_bull_put.toml");
    let url = format!("alerts.webhook.url=\"http://127.0.0.1:{port}/hook\"");
    let runs = s.path("runs");
    let o = trade(&[
        "paper",
        "--config",
        example.to_str().unwrap(),
        "--set",
        "run.start=2021-01-04",
        "--set",
        "run.end=2021-12-31",
        "--set",
        "alerts.routes=[{notifier = \"webhook\", min_severity = \"info\", kinds = [\"exit_rule\"]}]",
        "--set",
        &url,
        "--replay",
        "--speed",
        "max",
        "--journal",
        s.path("j.sqlite").to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--run-id",
        "paper",
    ]);
    assert!(o.status.success(), "{}", crate::harness::stderr(&o));
    let options: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(runs.join("paper/options.json")).expect("options.json"),
    )
    .unwrap();
    let fired = options["decisions"].as_array().expect("decisions").len();
    assert!(fired > 3, "{fired}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), fired, "one notification per exit decision");
    assert!(
        got.iter().all(|v| v["alert"]["kind"] == "exit_rule"
            && v["alert"]["title"]
                .as_str()
                .unwrap()
                .starts_with("Exit rule ")),
        "{got:?}"
    );
}
