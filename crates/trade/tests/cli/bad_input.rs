//! Bad input: one clear error line naming what and where, exit code 2,
//! and no run folder (not even a partial one).

use crate::harness::*;

fn assert_no_runs(s: &Scratch) {
    let runs = s.path("runs");
    let n = std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(n, 0, "a failed run left something in {}", runs.display());
}

fn backtest(s: &Scratch, config: &str) -> std::process::Output {
    let cfg = s.write("c.toml", config);
    trade_in(
        &s.0,
        &["backtest", "--config", cfg.to_str().unwrap(), "--quiet"],
        &[],
    )
}

#[test]
fn config_errors_name_file_line_and_key() {
    type Case = (&'static str, String, &'static [&'static str]);
    let cases: Vec<Case> = vec![
        (
            "typo'd top-level key",
            spy_config("[rsk]\nmax_drawdown_pct = 0.2\n"),
            &["c.toml:", "rsk"],
        ),
        (
            "typo'd nested key",
            spy_config("[risk]\nmax_drawdown = 0.2\n"),
            &["c.toml:", "max_drawdown"],
        ),
        (
            "wrong type",
            spy_config("[account]\nmax_leverage = \"lots\"\n"),
            &["c.toml:", "max_leverage"],
        ),
        (
            "unknown strategy",
            spy_config("").replace("ma_crossover", "ma_crosover"),
            &["c.toml", "ma_crosover", "unknown strategy type"],
        ),
        (
            "unknown parameter",
            spy_config("fsat = 3\n"),
            &["c.toml", "fsat", "known:"],
        ),
        (
            "bad parameter combination",
            spy_config("").replace("fast = 10", "fast = 40"),
            &["c.toml", "fast"],
        ),
        (
            "contradictory risk limits",
            spy_config("[risk]\nmax_position_pct = 0.8\nmax_gross_exposure_pct = 0.5\n"),
            &["c.toml", "max_position_pct", "max_gross_exposure_pct"],
        ),
        (
            "unknown symbol",
            spy_config("").replace("symbols = [\"SPY\"]", "symbols = [\"QQQ\"]"),
            &["c.toml", "QQQ", "[data.QQQ]"],
        ),
        ("syntax error", spy_config("[risk\n"), &["c.toml:", "risk"]),
        (
            "missing data file",
            spy_config("").replace("pandas_ta/SPY.csv", "pandas_ta/NOPE.csv"),
            &["NOPE.csv"],
        ),
        (
            "start after end",
            spy_config("").replace("start = \"2015-01-01\"", "start = \"2020-06-01\""),
            &["c.toml", "run.start", "run.end"],
        ),
    ];
    for (name, config, needles) in cases {
        let s = Scratch::new("cfg");
        let o = backtest(&s, &config);
        assert_user_error(&o, needles);
        assert_no_runs(&s);
        eprintln!("ok: {name}");
    }
}

#[test]
fn missing_config_file() {
    let s = Scratch::new("nocfg");
    let o = trade_in(&s.0, &["backtest", "--config", "does-not-exist.toml"], &[]);
    assert_user_error(&o, &["does-not-exist.toml"]);
}

#[test]
fn malformed_data_files_are_refused_with_their_line() {
    let header = "date,open,high,low,close,volume\n";
    type Case = (&'static str, String, &'static [&'static str]);
    let cases: Vec<Case> = vec![
        (
            "truncated row",
            format!(
                "{header}2019-01-02,245.98,251.21,245.95,250.18,126925200\n2019-01-03,248.23,248.57\n"
            ),
            &["bars.csv:3"],
        ),
        (
            "garbage price",
            format!("{header}2019-01-02,245.98,251.21,245.95,abc,126925200\n"),
            &["bars.csv:2", "abc"],
        ),
        (
            "duplicate timestamp",
            format!(
                "{header}2019-01-02,245.98,251.21,245.95,250.18,1\n2019-01-02,245.98,251.21,245.95,250.18,1\n"
            ),
            &["bars.csv:3"],
        ),
        (
            "unsorted",
            format!(
                "{header}2019-01-03,245.98,251.21,245.95,250.18,1\n2019-01-02,245.98,251.21,245.95,250.18,1\n2019-01-04,245.98,251.21,245.95,250.18,1\n"
            ),
            &["bars.csv"],
        ),
        (
            "high below low",
            format!("{header}2019-01-02,245.98,240.00,245.95,250.18,1\n"),
            &["bars.csv:2"],
        ),
        (
            "negative price",
            format!("{header}2019-01-02,-245.98,251.21,245.95,250.18,1\n"),
            &["bars.csv:2"],
        ),
        ("empty file", String::new(), &["bars.csv"]),
    ];
    for (name, csv, needles) in cases {
        let s = Scratch::new("csv");
        let data = s.write("bars.csv", &csv);
        let config = format!(
            "[data.SPY]\npath = \"{}\"\ncache = false\n\n[[strategies]]\nname = \"t\"\ntype = \"buy_and_hold\"\nsymbols = [\"SPY\"]\n",
            data.display()
        );
        let o = backtest(&s, &config);
        assert_user_error(&o, needles);
        assert_no_runs(&s);
        eprintln!("ok: {name}");
    }
}

#[test]
fn yaml_config_errors_name_file_line_and_key() {
    let s = Scratch::new("yaml-bad");
    let bad = s.write("bad.yaml", "run:\n  name: x\n  bogus: 1\n");
    let o = trade_in(&s.0, &["plan", "--config", bad.to_str().unwrap()], &[]);
    assert_user_error(&o, &["bad.yaml:3:3", "unknown field `bogus`"]);
    let null = s.write(
        "null.yaml",
        "run:\n  name: x\naccount:\n  initial_cash: ~\n",
    );
    let o = trade_in(&s.0, &["plan", "--config", null.to_str().unwrap()], &[]);
    assert_user_error(&o, &["null.yaml:4:17", "account.initial_cash"]);
}

#[test]
fn dashboard_secrets_never_appear_in_config_errors() {
    let s = Scratch::new("bad-dashboard");
    // A token that parses as a number is the wrong type: the error names
    // the key and its origin, not the value.
    let cfg = s.write("c.toml", &spy_config(""));
    let o = trade_in(
        &s.0,
        &["plan", "--config", cfg.to_str().unwrap()],
        &[("TRADE_DASHBOARD__TOKEN", "9876543210987")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("dashboard.token=*** (environment variable TRADE_DASHBOARD__TOKEN)"),
        "{err}"
    );
    assert!(!err.contains("9876543210987"), "{err}");
    // Short tokens and malformed password hashes are refused by key.
    let o = backtest(
        &s,
        &spy_config(
            "[dashboard]\ntoken = \"short\"\n[[dashboard.users]]\nname = \"ops\"\npassword_hash = \"md5$1$aa$bb\"\n",
        ),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("dashboard.token: expected at least 16"),
        "{err}"
    );
    assert!(err.contains("dashboard.users[0].password_hash"), "{err}");
    assert!(!err.contains("short\""), "{err}");
    assert_no_runs(&s);
}
