//! `trade serve` as a process over a run folder the binary itself wrote:
//! it prints its address, lists the run with the summary's numbers, serves
//! the report, refuses traversal, and stops cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::*;

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("response");
    let status = buf[9..12].parse().expect("status");
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serves_runs_written_by_backtest() {
    let s = Scratch::new("serve");
    let cfg = repo().join("examples/spy_ma_crossover.toml");
    let o = trade_in(
        &s.0,
        &[
            "backtest",
            "--config",
            cfg.to_str().unwrap(),
            "--output-dir",
            "runs",
            "--json",
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary json");
    let run_id = summary["run_id"].as_str().unwrap().to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "serve",
            "--runs",
            "runs",
            "--http",
            "127.0.0.1:0",
            "--quiet",
        ])
        .current_dir(&s.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("listening line");
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");

    let (status, body) = get(&addr, "/api/runs");
    assert_eq!(status, 200, "{body}");
    let runs: serde_json::Value = serde_json::from_str(&body).expect("runs json");
    let text = runs.to_string();
    assert!(text.contains(&run_id), "{text}");
    let (status, report) = get(&addr, &format!("/runs/{run_id}/report"));
    assert_eq!(status, 200);
    assert!(report.contains("<html"), "not a page");
    let (status, body) = get(&addr, "/api/runs/..%2f..%2fetc");
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(body.contains("\"error\""), "{body}");
    let (status, _) = get(&addr, "/health");
    assert_eq!(status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
}
