//! The listing and inspection commands.

use crate::harness::*;

#[test]
fn help_lists_every_subcommand_and_each_has_help() {
    let o = trade(&["--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for sub in [
        "backtest",
        "plan",
        "strategies",
        "calendar",
        "data",
        "report",
        "bench",
        "options",
        "gateway-sim",
        "serve",
    ] {
        assert!(out.contains(sub), "--help lacks {sub}:\n{out}");
        let h = trade(&[sub, "--help"]);
        assert!(h.status.success(), "{sub} --help failed");
        assert!(
            stdout(&h).contains("Usage: trade"),
            "{sub} --help:\n{}",
            stdout(&h)
        );
    }
    let h = trade(&["data", "check", "--help"]);
    assert!(stdout(&h).contains("Validate a bar file"));
}

#[test]
fn strategies_lists_builtins_with_parameters() {
    let out = stdout(&trade(&["strategies"]));
    for s in [
        "ma_crossover",
        "momentum",
        "buy_and_hold",
        "fast",
        "slow",
        "lookback",
        "top_k",
        "sizing",
    ] {
        assert!(out.contains(s), "missing {s}:\n{out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&trade(&["strategies", "--format", "json"]))).unwrap();
    let ma = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ma_crossover")
        .unwrap();
    let fast = ma["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "fast")
        .unwrap();
    assert_eq!(fast["default"], 20);
}

#[test]
fn calendar_formats_and_closures() {
    // 2025-01-09: closed for President Carter's funeral; 2024-07-03: early close.
    let csv = stdout(&trade(&[
        "calendar",
        "--from",
        "2025-01-06",
        "--to",
        "2025-01-10",
        "--format",
        "csv",
        "--closures",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date,status,open_utc,close_utc,open_ny,close_ny,early_close,reason"
    );
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[1].starts_with(
        "2025-01-06,open,2025-01-06T14:30:00Z,2025-01-06T21:00:00Z,09:30 EST,16:00 EST,false"
    ));
    assert!(lines[4].starts_with("2025-01-09,closed"), "{csv}");
    assert!(lines[4].contains("Carter"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&trade(&[
        "calendar",
        "--from",
        "2024-07-03",
        "--to",
        "2024-07-05",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json[0]["close_utc"], "2024-07-03T17:00:00Z");
    assert_eq!(json[0]["early_close"], true);
    assert_eq!(json.as_array().unwrap().len(), 2, "July 4th is a holiday");
    let table = stdout(&trade(&[
        "calendar",
        "--from",
        "2024-03-08",
        "--to",
        "2024-03-11",
    ]));
    assert!(
        table.contains("21:00:00Z") && table.contains("20:00:00Z"),
        "DST shift:\n{table}"
    );
}

#[test]
fn plan_shows_hash_data_and_limits_and_layers_overrides() {
    let s = Scratch::new("plan");
    let cfg = s.write("c.toml", &spy_config("[risk]\nmax_drawdown_pct = 0.3\n"));
    let cfg = cfg.to_str().unwrap();
    let o = trade_in(&s.0, &["plan", "--config", cfg], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("config hash  "), "{out}");
    assert!(
        out.contains("max drawdown          30.00% (kill switch)"),
        "{out}"
    );
    assert!(out.contains("pandas_ta/SPY.csv"), "{out}");
    let hash = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .find(|l| l.starts_with("config hash"))
            .unwrap()
            .to_string()
    };
    // Environment beats the file, .env is below the environment, --set beats both.
    let env = trade_in(
        &s.0,
        &["plan", "--config", cfg],
        &[("TRADE_RISK__MAX_DRAWDOWN_PCT", "0.2")],
    );
    assert!(
        stdout(&env).contains("max drawdown          20.00%"),
        "{}",
        stdout(&env)
    );
    assert_ne!(hash(&o), hash(&env));
    s.write(".env", "TRADE_RISK__MAX_DRAWDOWN_PCT=0.25\n");
    let dotenv = trade_in(&s.0, &["plan", "--config", cfg], &[]);
    assert!(
        stdout(&dotenv).contains("max drawdown          25.00%"),
        "{}",
        stdout(&dotenv)
    );
    let both = trade_in(
        &s.0,
        &["plan", "--config", cfg],
        &[("TRADE_RISK__MAX_DRAWDOWN_PCT", "0.2")],
    );
    assert!(stdout(&both).contains("max drawdown          20.00%"));
    let set = trade_in(
        &s.0,
        &[
            "plan",
            "--config",
            cfg,
            "--set",
            "risk.max_drawdown_pct=0.1",
        ],
        &[("TRADE_RISK__MAX_DRAWDOWN_PCT", "0.2")],
    );
    assert!(
        stdout(&set).contains("max drawdown          10.00%"),
        "{}",
        stdout(&set)
    );
    // The hash is stable for the same effective config.
    let again = trade_in(
        &s.0,
        &[
            "plan",
            "--config",
            cfg,
            "--set",
            "risk.max_drawdown_pct=0.1",
        ],
        &[],
    );
    assert_eq!(hash(&set), hash(&again));
}

#[test]
fn data_check_reports_problems_with_lines() {
    let ok = trade(&["data", "check", "data/daily/pandas_ta/SPY.csv"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    let bad = trade(&["data", "check", "data/daily/mplfinance/SPY_2008_2017.csv"]);
    assert_eq!(bad.status.code(), Some(2));
    let out = stdout(&bad);
    assert!(
        out.contains(":1808") && out.contains(":1825"),
        "both glitches named by line:\n{out}"
    );
    assert!(stderr(&bad).contains("error(s) found"), "{}", stderr(&bad));
}

/// The YAML example holds the same settings as the TOML one: same effective
/// config, same hash, same run.
#[test]
fn yaml_and_toml_configs_hash_alike() {
    let hash_of = |file: &str| {
        let o = trade(&["plan", "--config", file]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        stdout(&o)
            .lines()
            .find(|l| l.starts_with("config hash"))
            .map(|l| l.split_whitespace().last().unwrap_or("").to_string())
            .expect("a config hash line")
    };
    let toml = hash_of("examples/spy_ma_crossover.toml");
    assert_eq!(toml.len(), 64);
    assert_eq!(hash_of("examples/spy_ma_crossover.yaml"), toml);
}
