//! IB's official Python client (`ibapi-stable==10.50.2`) against the
//! simulator: it negotiates a protobuf server version, reads contract
//! details, places a market order and receives its fill. The test installs
//! nothing: without `python3` and the `ibapi` module it prints a SKIP line
//! (see the crate README for the pip command).

mod common;

use std::process::Command;

use common::{manual_config, start};

fn official_client_available() -> bool {
    Command::new("python3")
        .args(["-c", "import ibapi, google.protobuf"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_places_an_order_and_receives_the_fill() {
    if !official_client_available() {
        println!(
            "SKIP official_python_client: python3 with the `ibapi` module not found (pip install ibapi-stable==10.50.2)"
        );
        return;
    }
    let sim = start(manual_config()).await;
    let port = sim.port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/official_client_check.py"
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .output()
    })
    .await
    .expect("join")
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python client failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    let line = stdout.lines().last().unwrap_or("");
    println!("official client saw: {line}");
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
    assert!(v["server_version"].as_i64().unwrap_or(0) >= 213, "{v}");
    assert_eq!(v["next_valid_id"], 1);
    assert_eq!(v["con_id"], 756_733);
    // One execution: BOT 10 SPY at the ask of the start quote (560.01).
    let execs = v["executions"].as_array().expect("executions");
    assert_eq!(execs.len(), 1, "{v}");
    assert_eq!(execs[0][0], 1);
    assert_eq!(execs[0][1], "SPY");
    assert_eq!(execs[0][2], "BOT");
    assert_eq!(execs[0][3], 10.0);
    assert_eq!(execs[0][4], 560.01);
    let statuses = v["statuses"].as_array().expect("statuses");
    let last = statuses.last().expect("a status");
    assert_eq!(last[1], "Filled");
    assert_eq!(
        (last[2].as_f64(), last[3].as_f64(), last[4].as_f64()),
        (Some(10.0), Some(0.0), Some(560.01))
    );
    // Commission report joined by execId: 10 x 0.005 raised to the 1.00 minimum.
    let comm = v["commissions"].as_array().expect("commissions");
    assert_eq!(comm[0][0], execs[0][5]);
    assert_eq!(comm[0][1], 1.0);
    let snap = sim.snapshot();
    assert_eq!(snap.positions.len(), 1);
    assert_eq!(snap.positions[0].1.quantity, 10.0);
    sim.shutdown().await;
}
