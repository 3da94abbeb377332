//! `trade backtest` end to end: the README's example, the run folder, determinism.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::*;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn only_run_dir(runs: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "expected exactly one run folder (no temp leftovers): {dirs:?}"
    );
    dirs[0].clone()
}

#[test]
fn readme_example_runs_and_writes_a_whole_run_folder() {
    let s = Scratch::new("example");
    let cfg = repo().join("examples/spy_ma_crossover.toml");
    let o = trade_in(
        &s.0,
        &["backtest", "--config", cfg.to_str().unwrap(), "--quiet"],
        &[],
    );
    assert!(o.status.success(), "stderr:\n{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "total return",
        "Sharpe",
        "max drawdown",
        "benchmark",
        "report.html",
    ] {
        assert!(out.contains(needle), "summary lacks {needle}:\n{out}");
    }
    let dir = only_run_dir(&s.path("runs"));
    let f = files(&dir);
    for name in [
        "orders.parquet",
        "fills.parquet",
        "equity.parquet",
        "positions.parquet",
        "summary.json",
        "config.toml",
        "report.html",
    ] {
        assert!(
            f.contains_key(name),
            "{name} missing in {}: {:?}",
            dir.display(),
            f.keys()
        );
    }
    let summary: serde_json::Value = serde_json::from_slice(&f["summary.json"]).unwrap();
    assert_eq!(
        summary["run_id"].as_str(),
        dir.file_name().unwrap().to_str()
    );
    assert_eq!(summary["config_hash"].as_str().map(str::len), Some(64));
    assert_eq!(
        summary["data_files"][0]["sha256"],
        "f8e55dd5cbe8f56147bbc76898d7191b74725fd91800a6e7683a97243b0664ed"
    );
    let html = String::from_utf8(f["report.html"].clone()).unwrap();
    assert!(html.contains("<svg"), "report has charts");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "report is self-contained"
    );
    // The effective config reloads and hashes the same.
    let reloaded = trade_in(
        &s.0,
        &[
            "plan",
            "--config",
            dir.join("config.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert!(reloaded.status.success(), "{}", stderr(&reloaded));
    let hash = summary["config_hash"].as_str().unwrap();
    assert!(
        stdout(&reloaded).contains(&format!("config hash  {hash}")),
        "reloaded effective config hashes differently:\n{}",
        stdout(&reloaded)
    );
}

#[test]
fn same_config_and_data_give_byte_identical_outputs() {
    let a = Scratch::new("det-a");
    let b = Scratch::new("det-b");
    let cfg = repo().join("examples/etf_momentum.toml");
    for s in [&a, &b] {
        let o = trade_in(
            &s.0,
            &["backtest", "--config", cfg.to_str().unwrap(), "--quiet"],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (da, db) = (only_run_dir(&a.path("runs")), only_run_dir(&b.path("runs")));
    assert_eq!(
        da.file_name(),
        db.file_name(),
        "run ids are content-addressed"
    );
    let (fa, fb) = (files(&da), files(&db));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two identical runs"
        );
    }
}

#[test]
fn report_rerenders_from_the_run_folder() {
    let s = Scratch::new("rerender");
    let o = trade_in(
        &s.0,
        &[
            "backtest",
            "--config",
            s.write("c.toml", &spy_config("")).to_str().unwrap(),
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = only_run_dir(&s.path("runs"));
    let before = std::fs::read(dir.join("report.html")).unwrap();
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let r = trade_in(&s.0, &["report", dir.to_str().unwrap()], &[]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(
        std::fs::read(dir.join("report.html")).unwrap(),
        before,
        "re-rendered report is identical"
    );
    let missing = trade_in(&s.0, &["report", s.path("nope").to_str().unwrap()], &[]);
    assert_user_error(&missing, &["nope"]);
}

#[test]
fn json_summary_and_every_log_line_carry_the_run_id() {
    let s = Scratch::new("json");
    // SPY without its volume column: loading warns about it, before the
    // data (and so the run id, which hashes it) is complete.
    let spy = std::fs::read_to_string(repo().join("data/daily/pandas_ta/SPY.csv")).unwrap();
    let no_volume: String = spy
        .lines()
        .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let csv = s.write("spy_no_volume.csv", &no_volume);
    let cfg = spy_config("").replace(
        repo()
            .join("data/daily/pandas_ta/SPY.csv")
            .to_str()
            .unwrap(),
        csv.to_str().unwrap(),
    );
    let cfg = s.write("c.toml", &cfg);
    let o = trade_in(
        &s.0,
        &[
            "backtest",
            "--config",
            cfg.to_str().unwrap(),
            "--json",
            "--log-format",
            "json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let run_id = summary["run_id"].as_str().unwrap().to_string();
    let logs: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&str> = logs.iter().filter_map(|l| l["message"].as_str()).collect();
    let warned = messages.iter().position(|m| m.contains("volume"));
    let loaded = messages.iter().position(|&m| m == "data loaded");
    assert!(
        warned.is_some() && loaded.is_some(),
        "expected the load warning and the data loaded line: {}",
        stderr(&o)
    );
    for l in &logs {
        assert_eq!(
            l["span"]["run_id"].as_str(),
            Some(run_id.as_str()),
            "log line without run id: {l}"
        );
    }
}

#[test]
fn rerunning_replaces_a_derived_run_but_never_an_explicit_one() {
    let s = Scratch::new("rerun");
    let cfg = s.write("c.toml", &spy_config(""));
    let cfg = cfg.to_str().unwrap();
    for _ in 0..2 {
        let o = trade_in(&s.0, &["backtest", "--config", cfg, "--quiet"], &[]);
        assert!(
            o.status.success(),
            "re-running the same config must work: {}",
            stderr(&o)
        );
    }
    only_run_dir(&s.path("runs"));
    let first = trade_in(
        &s.0,
        &["backtest", "--config", cfg, "--quiet", "--run-id", "mine"],
        &[],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let again = trade_in(
        &s.0,
        &["backtest", "--config", cfg, "--quiet", "--run-id", "mine"],
        &[],
    );
    assert_user_error(&again, &["mine", "already exists"]);
}
