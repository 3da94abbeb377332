//! `trade options`: the calculator against published worked examples.

use crate::harness::*;

fn json(args: &[&str]) -> serde_json::Value {
    let o = trade(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("JSON output")
}

/// Hull, *Options, Futures, and Other Derivatives* (8th ed.), Example 15.6:
/// S0 = 42, K = 40, r = 10%, sigma = 20%, T = 0.5 gives c = 4.76, p = 0.81.
/// T = 0.5 years is 182.5 days in ACT/365.
#[test]
fn price_matches_hull_example_15_6() {
    let base = [
        "options", "price", "--spot", "42", "--strike", "40", "--days", "182.5", "--rate", "0.1",
        "--vol", "0.2", "--json", "--right",
    ];
    let call = json(&[&base[..], &["call"]].concat());
    let put = json(&[&base[..], &["put"]].concat());
    assert!(
        (call["price"].as_f64().unwrap() - 4.76).abs() < 0.005,
        "{call}"
    );
    assert!(
        (put["price"].as_f64().unwrap() - 0.81).abs() < 0.005,
        "{put}"
    );
    // Hull Example 19.1 uses the same kind of option: delta N(d1) with
    // S0 = 49, K = 50, r = 5%, sigma = 20%, T = 20 weeks is 0.522.
    let d = json(&[
        "options",
        "price",
        "--right",
        "call",
        "--spot",
        "49",
        "--strike",
        "50",
        "--days",
        &format!("{}", 20.0 / 52.0 * 365.0),
        "--rate",
        "0.05",
        "--vol",
        "0.2",
        "--json",
    ]);
    assert!((d["delta"].as_f64().unwrap() - 0.522).abs() < 0.0005, "{d}");
}

#[test]
fn iv_inverts_a_published_price_and_names_why_it_cannot() {
    // Hull Example 15.6's call again: its price 4.7594 (to 4 d.p.) implies 20%.
    let o = trade(&[
        "options", "iv", "--right", "call", "--spot", "42", "--strike", "40", "--days", "182.5",
        "--rate", "0.1", "--price", "4.7594",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let iv: f64 = stdout(&o).trim().parse().expect("a number");
    assert!((iv - 0.20).abs() < 1e-4, "iv {iv}");

    let below = trade(&[
        "options", "iv", "--right", "call", "--spot", "100", "--strike", "50", "--days", "30",
        "--price", "0.5",
    ]);
    assert_user_error(
        &below,
        &["no implied volatility", "below the intrinsic value"],
    );
    let above = trade(&[
        "options", "iv", "--right", "put", "--spot", "100", "--strike", "50", "--days", "30",
        "--price", "60",
    ]);
    assert_user_error(&above, &["arbitrage bound"]);
}

#[test]
fn calculator_rejects_bad_terms_by_flag() {
    let o = trade(&[
        "options",
        "price",
        "--right",
        "put",
        "--spot=-1",
        "--strike",
        "95",
        "--days",
        "3",
        "--vol",
        "0.2",
    ]);
    assert_user_error(&o, &["--spot must be a positive number"]);
    let o = trade(&[
        "options",
        "price",
        "--right",
        "put",
        "--spot",
        "100",
        "--strike",
        "95",
        "--expiry",
        "2025-09-19",
        "--as-of",
        "2025-09-22",
        "--vol",
        "0.2",
    ]);
    assert_user_error(&o, &["--as-of 2025-09-22 is after the expiry"]);
    let o = trade(&[
        "options",
        "price",
        "--right",
        "put",
        "--spot",
        "100",
        "--strike",
        "95",
        "--expiry",
        "2025-09-19",
        "--as-of",
        "Tuesday",
        "--vol",
        "0.2",
    ]);
    assert_user_error(&o, &["--as-of \"Tuesday\"", "expected a date"]);
}

/// An expiry date and a New York valuation time give the ACT/365 year
/// fraction of the wall-clock interval: 2025-08-26 10:30 EDT to 2025-09-19
/// 16:00 EDT is 24 days and 5.5 hours.
#[test]
fn expiry_and_as_of_give_calendar_time_to_the_close() {
    let p = json(&[
        "options",
        "price",
        "--right",
        "put",
        "--spot",
        "100",
        "--strike",
        "95",
        "--expiry",
        "2025-09-19",
        "--as-of",
        "2025-08-26T10:30",
        "--vol",
        "0.2",
        "--json",
    ]);
    let want = (24.0 + 5.5 / 24.0) / 365.0;
    assert!((p["years"].as_f64().unwrap() - want).abs() < 1e-12, "{p}");
}

/// A bare `--as-of` date means that day's 16:00 close: one day before
/// expiry is exactly 1/365 of a year.
#[test]
fn as_of_date_means_the_close() {
    let p = json(&[
        "options",
        "price",
        "--right",
        "put",
        "--spot",
        "100",
        "--strike",
        "95",
        "--expiry",
        "2025-09-19",
        "--as-of",
        "2025-09-18",
        "--vol",
        "0.2",
        "--json",
    ]);
    assert!(
        (p["years"].as_f64().unwrap() - 1.0 / 365.0).abs() < 1e-15,
        "{p}"
    );
}

/// Hull, *Options, Futures, and Other Derivatives* (8th ed.), section 21.1:
/// an American put with S0 = 50, K = 50, r = 10%, sigma = 40%, T = 5 months
/// is worth about 4.28 on fine trees (4.283 with 500 steps), above the
/// European 4.08 of the same terms.
#[test]
fn american_put_matches_hull_section_21_1() {
    let days = format!("{}", 5.0 / 12.0 * 365.0);
    let base = [
        "options",
        "price",
        "--right",
        "put",
        "--spot",
        "50",
        "--strike",
        "50",
        "--days",
        days.as_str(),
        "--rate",
        "0.1",
        "--vol",
        "0.4",
        "--json",
        "--model",
    ];
    let tree = json(&[&base[..], &["binomial", "--steps", "500"]].concat());
    let baw = json(&[&base[..], &["american"]].concat());
    let euro = json(&[&base[..], &["bsm"]].concat());
    assert!(
        (tree["price"].as_f64().unwrap() - 4.283).abs() < 0.002,
        "{tree}"
    );
    assert!(
        (baw["price"].as_f64().unwrap() - 4.28).abs() < 0.01,
        "{baw}"
    );
    assert!(
        (euro["price"].as_f64().unwrap() - 4.08).abs() < 0.005,
        "{euro}"
    );
}

/// The shipped 45-DTE iron-condor example (cut to one year) runs through
/// `trade backtest`: the run folder has the usual artifacts plus
/// `options.json`, which says every quote was modelled; each closed
/// structure's P&L equals its legs' round trips less commissions
/// (recomputed here from the recorded leg prices), and every exit rule that
/// closed one is in the decision journal. (The cash reconciliation is in
/// `trade-engine/tests/options_backtest.rs`.)
#[test]
fn iron_condor_example_writes_an_options_run() {
    let s = Scratch::new("ic45");
    let cfg = repo().join("examples/spy_iron_condor_45dte.toml");
    let o = trade_in(
        &s.0,
        &[
            "backtest",
            "--config",
            cfg.to_str().unwrap(),
            "--set",
            "run.start=2019-01-02",
            "--set",
            "run.end=2019-12-31",
            "--output-dir",
            "runs",
            "--json",
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = s.path("runs");
    let dir = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in [
        "summary.json",
        "config.toml",
        "report.html",
        "fills.parquet",
        "equity.parquet",
        "options.json",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let ledger: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("options.json")).unwrap()).unwrap();
    assert_eq!(ledger["quotes"]["real"], 0);
    assert!(ledger["quotes"]["modelled"].as_u64().unwrap() > 100_000);
    assert!(
        ledger["chain_source"]
            .as_str()
            .unwrap()
            .contains("modelled")
    );
    let positions = ledger["positions"].as_array().unwrap();
    assert!(positions.len() >= 10, "{} positions", positions.len());
    let dollars = |v: &serde_json::Value| -> f64 { v.as_str().unwrap().parse().unwrap() };
    let mut closed_by_rule = 0;
    for p in positions {
        assert_eq!(p["structure"], "iron_condor");
        assert_eq!(p["quotes"], "modelled");
        let rule = p["exit_rule"].as_str();
        if rule.is_some_and(|r| r != "expiry") {
            closed_by_rule += 1;
            let contracts = p["contracts"].as_f64().unwrap();
            let flows: f64 = p["legs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    l["ratio"].as_f64().unwrap()
                        * contracts
                        * 100.0
                        * (dollars(&l["exit_price"]) - dollars(&l["entry_price"]))
                })
                .sum();
            let want = flows - dollars(&p["commissions"]);
            assert!((dollars(&p["pnl"]) - want).abs() < 0.005, "{p}");
        }
    }
    assert!(closed_by_rule > 0);
    // The report's options section: breakdowns and a payoff diagram.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for needle in [
        "P&amp;L by exit rule",
        "P&amp;L by DTE bucket",
        "Payoff at expiry: iron condor on SPY",
        "0 real,",
    ] {
        assert!(html.contains(needle), "report lacks {needle:?}");
    }
    // `trade report` re-renders it from the folder alone, options included.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let o = trade_in(&s.0, &["report", dir.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(dir.join("report.html"))
            .unwrap()
            .contains("P&amp;L by exit rule")
    );
    // Every rule that closed a position is in the decision journal.
    let decisions = ledger["decisions"].as_array().unwrap();
    for p in positions {
        if let Some(rule) = p["exit_rule"].as_str().filter(|r| *r != "expiry") {
            assert!(
                decisions
                    .iter()
                    .any(|d| d["position"] == p["id"] && d["rule"] == rule),
                "no journal line for {}",
                p["id"]
            );
        }
    }
}

#[test]
fn options_config_errors_name_the_key() {
    let s = Scratch::new("ic-bad");
    let base = std::fs::read_to_string(repo().join("examples/spy_iron_condor_45dte.toml"))
        .unwrap()
        .replace("../data/", &format!("{}/data/", repo().display()));
    let cases = [
        (
            "structure = \"iron_condor\"",
            "structure = \"iron_butterfly\"",
            "options: unknown variant `iron_butterfly`",
        ),
        (
            "width = 5.0",
            "width = 5.0\nwingspan = 3",
            "unknown field `wingspan`",
        ),
        (
            "width = 5.0",
            "width = 50.0",
            "options.width 50.00 is wider than options.entry.max_width",
        ),
        (
            "underlying = \"SPY\"",
            "underlying = \"QQQ\"",
            "options.underlying \"QQQ\" has no [data.QQQ] table",
        ),
        (
            "fill_fraction = 0.5",
            "fill_fraction = 1.5",
            "combo.fill_fraction must be in [0, 1]",
        ),
        (
            "vix = \"",
            "# vix = \"",
            "options.vix: synthetic chains need a VIX history file",
        ),
        (
            "concession = 0.10",
            "concession = 0.10\nconcession_fraction = 2.0",
            "options.concession_fraction must be in [0, 1]",
        ),
        (
            "max_abs_delta = 200.0",
            "max_abs_delta = 200.0\nbenchmark = \"QQQ\"",
            "options.limits.betas: no beta for SPY",
        ),
    ];
    for (from, to, needle) in cases {
        assert!(base.contains(from), "{from}");
        let cfg = s.write("bad.toml", &base.replacen(from, to, 1));
        let o = trade_in(&s.0, &["backtest", "--config", cfg.to_str().unwrap()], &[]);
        assert_user_error(&o, &["bad.toml", needle]);
        assert!(
            !s.path("runs").exists(),
            "a run folder after a config error"
        );
    }
}

fn run_example(s: &Scratch, example: &str, sets: &[&str]) -> serde_json::Value {
    let cfg = repo().join(example);
    let mut args = vec![
        "backtest",
        "--config",
        cfg.to_str().unwrap(),
        "--output-dir",
        "runs",
        "--quiet",
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let o = trade_in(&s.0, &args, &[]);
    assert!(o.status.success(), "{example}: {}", stderr(&o));
    let dir = std::fs::read_dir(s.path("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    serde_json::from_slice(&std::fs::read(dir.join("options.json")).unwrap()).unwrap()
}

/// The 0DTE example trades same-day condors on one-minute bars: every
/// position opens and expires on the same New York date, inside the entry
/// window, and none is left for settlement without the expiry rules having
/// had their turn.
#[test]
fn zero_dte_example_trades_same_day_condors() {
    let s = Scratch::new("ic0");
    let ledger = run_example(&s, "examples/spy_0dte_iron_condor.toml", &[]);
    let positions = ledger["positions"].as_array().unwrap();
    assert!(!positions.is_empty());
    for p in positions {
        assert_eq!(p["dte_at_entry"], 0, "{p}");
        assert_eq!(p["bucket"], "0dte");
        let opened = p["opened"].as_str().unwrap();
        // Entries between 10:00 and 13:30 New York: 14:00-17:30 UTC in EDT,
        // 15:00-18:30 UTC in EST.
        let hhmm = &opened[11..16];
        assert!(("14:00".."18:31").contains(&hhmm), "entry at {opened}");
        assert_eq!(&opened[..10], p["expiry"].as_str().unwrap());
    }
}

/// The QQQ example opens two-legged bull put spreads, is refused by the
/// max-loss-at-risk limit at least once (journaled with its numbers), and
/// beta-weights QQQ into SPY shares.
#[test]
fn qqq_bull_put_example_respects_its_limits() {
    let s = Scratch::new("bp");
    let ledger = run_example(
        &s,
        "examples/qqq_bull_put.toml",
        &["run.start=2018-01-02", "run.end=2019-12-31"],
    );
    let positions = ledger["positions"].as_array().unwrap();
    assert!(positions.len() >= 5, "{} positions", positions.len());
    for p in positions {
        assert_eq!(p["structure"], "bull_put_spread");
        let legs = p["legs"].as_array().unwrap();
        assert_eq!(legs.len(), 2);
        // Short the higher put, long the lower: a credit.
        assert!(p["entry_net"].as_str().unwrap().starts_with('-'), "{p}");
    }
    // Without SPY's bars the beta-weighted delta has no price ratio.
    let text = std::fs::read_to_string(repo().join("examples/qqq_bull_put.toml"))
        .unwrap()
        .replace("../data/", &format!("{}/data/", repo().display()))
        .replace("[data.SPY]", "[data.SPYX]");
    let cfg = s.write("no_spy.toml", &text);
    let o = trade_in(&s.0, &["plan", "--config", cfg.to_str().unwrap()], &[]);
    assert_user_error(
        &o,
        &["options.limits.benchmark \"SPY\" needs a [data.SPY] table"],
    );
    let refusals = ledger["refusals"].as_array().unwrap();
    for r in refusals.iter().filter(|r| r["check"] == "greeks_limits") {
        assert!(
            r["reason"].as_str().unwrap().contains("limit $1500.00"),
            "{r}"
        );
    }
}

/// Hull, *Options, Futures, and Other Derivatives* (8th ed.), Example 12.1:
/// buy a 30-strike call for $3 and sell a 35-strike call for $1 — a bull
/// call spread costing $2 that makes at most $3 and loses at most $2, with
/// breakeven at 32 (per share; x100 per contract).
#[test]
fn payoff_matches_hull_example_12_1() {
    let o = trade(&[
        "options",
        "payoff",
        "--underlying",
        "XYZ",
        "--expiry",
        "2025-09-19",
        "--leg",
        "+1 C 30 @3",
        "--leg",
        "-1 C 35 @1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let money = |k: &str| v[k].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(money("net_premium"), -200.0);
    assert_eq!(money("max_profit"), 300.0);
    assert_eq!(money("max_loss"), 200.0);
    assert_eq!(v["breakevens"], serde_json::json!(["32.00"]));
    let o = trade(&[
        "options",
        "payoff",
        "--expiry",
        "2025-09-19",
        "--leg",
        "-1 C 30",
        "--leg",
        "+1 C 35 @1",
    ]);
    assert_user_error(&o, &["--leg \"-1 C 30\"", "RATIO RIGHT STRIKE @PRICE"]);
}

/// `trade options chain` shows where each quote came from: the real SPY
/// chain of 2025-08-26 (6,900 usable of 7,011 rows, per the chain tests)
/// is all `real`; a synthetic chain is all `modelled`, with put deltas in
/// [-1, 0] and call deltas in [0, 1].
#[test]
fn chain_shows_real_and_modelled_quotes() {
    let o = trade(&[
        "options",
        "chain",
        "--date",
        "2025-08-26",
        "--file",
        "data/options/SPY_yfinance_chain_2025-08-26.csv",
        "--file-format",
        "yfinance",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("SPY 2025-08-26 at 645.75: 6900 quotes (6900 real, 0 modelled)"),
        "{}",
        stdout(&o)
    );
    let o = trade(&[
        "options",
        "chain",
        "--date",
        "2025-08-26",
        "--spot",
        "645.75",
        "--vix",
        "14.6",
        "--max-dte",
        "7",
        "--csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(rows.len() > 20);
    for r in &rows {
        assert_eq!(r[8], "modelled");
        let delta: f64 = r[7].parse().unwrap();
        match r[3] {
            // Printed to 3 decimals: far from the money rounds to 0 or 1.
            "C" => assert!((0.0..=1.0).contains(&delta), "{r:?}"),
            "P" => assert!((-1.0..=0.0).contains(&delta), "{r:?}"),
            other => panic!("right {other}"),
        }
    }
    let o = trade(&[
        "options",
        "chain",
        "--date",
        "2025-08-23",
        "--spot",
        "645",
        "--vix",
        "15",
    ]);
    assert_user_error(&o, &["2025-08-23", "not a trading session"]);
}
