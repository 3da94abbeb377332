//! System health: the process (uptime, memory, CPU, threads, open files),
//! the journal file, the broker link, market-data freshness per
//! instrument, and errors, as `GET /api/system` and the `/system` page.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::routes::AppState;

/// What `/proc/self` says about this process (Linux; `None` elsewhere).
fn process() -> Value {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    let threads = status
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok());
    // Fields 14 and 15 of /proc/self/stat (after the parenthesised name):
    // user and system time in clock ticks (100 per second on Linux).
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = f.get(11)?.parse().ok()?;
            let sys: f64 = f.get(12)?.parse().ok()?;
            Some((user + sys) / 100.0)
        });
    let fds = std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count());
    json!({
        "rss_bytes": kib("VmRSS:").map(|k| k * 1024),
        "peak_rss_bytes": kib("VmHWM:").map(|k| k * 1024),
        "cpu_seconds": cpu,
        "threads": threads,
        "open_files": fds,
    })
}

fn file_size(p: &Path) -> Option<u64> {
    std::fs::metadata(p).ok().map(|m| m.len())
}

/// The latency below which a fraction `q` of a histogram's observations
/// fall (the bucket's upper bound), or `None` without observations.
fn quantile(h: &Value, q: f64) -> Option<f64> {
    let count = h["count"].as_u64().filter(|c| *c > 0)?;
    let want = (count as f64 * q).ceil() as u64;
    h["buckets"]
        .as_array()?
        .iter()
        .find(|b| b[1].as_u64().is_some_and(|n| n >= want))
        .and_then(|b| b[0].as_f64())
}

/// `GET /api/system`.
pub(crate) async fn api(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(snapshot(&state)))
}

fn snapshot(state: &AppState) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut out = json!({
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "process": process(),
        "http_server_errors": state.metrics.server_errors(),
        "session": null,
    });
    let Some(live) = &state.live else {
        return out;
    };
    let s = live.status.borrow().clone();
    let journal = &s["journal_write_seconds"];
    let feeds: Vec<Value> = s["feeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|f| {
            json!({
                "symbol": f["symbol"],
                "stale": f["stale"],
                "last_bar_age_seconds": f["last_bar_unix"].as_f64().map(|t| (now - t).max(0.0)),
            })
        })
        .collect();
    let mut alerts = std::collections::BTreeMap::<String, u64>::new();
    for a in s["alerts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        *alerts
            .entry(a["kind"].as_str().unwrap_or("unknown").to_string())
            .or_default() += 1;
    }
    out["session"] = json!({
        "mode": s["mode"],
        "connection": s["connection"],
        "ready": crate::live::not_ready(&s).is_none(),
        "not_ready_because": crate::live::not_ready(&s),
        "halted": s["halted"],
        "reconnects": s["counters"]["reconnects"],
        "last_bar_time": s["last_bar_time"],
        "feeds": feeds,
        "journal": {
            "path": live.journal.as_ref().map(|p| p.display().to_string()),
            "bytes": live.journal.as_deref().and_then(file_size),
            "wal_bytes": live.journal.as_ref().and_then(|p| {
                let mut w = p.as_os_str().to_owned();
                w.push("-wal");
                file_size(Path::new(&w))
            }),
            "writes": journal["count"],
            "write_p50_seconds": quantile(journal, 0.5),
            "write_p99_seconds": quantile(journal, 0.99),
        },
        "alerts_by_kind": alerts,
    });
    out
}

/// `GET /system`.
pub(crate) async fn page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    state.pages.system().map(Html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_first_bucket_holding_enough_observations() {
        let h = json!({"buckets": [[0.001, 50], [0.01, 99], [0.1, 100]], "count": 100});
        assert_eq!(quantile(&h, 0.5), Some(0.001));
        assert_eq!(quantile(&h, 0.99), Some(0.01));
        assert_eq!(quantile(&h, 1.0), Some(0.1));
        assert_eq!(quantile(&json!({"buckets": [], "count": 0}), 0.5), None);
    }

    #[test]
    fn this_process_is_visible_on_linux() {
        let p = process();
        if cfg!(target_os = "linux") {
            assert!(
                p["rss_bytes"].as_u64().is_some_and(|b| b > 1_000_000),
                "{p}"
            );
            assert!(p["threads"].as_u64().is_some_and(|t| t >= 1), "{p}");
            assert!(p["cpu_seconds"].as_f64().is_some(), "{p}");
        }
    }
}
