//! Dashboard load: a real `trade paper --replay --http` session on
//! 127.0.0.1 with 100 clients, each holding an SSE stream open and reading
//! the JSON API in a loop (status, runs, metrics) while the replay trades.
//! Prints request latency percentiles and how many status events each
//! stream received.
//!
//!     cargo bench -p trade --bench dashboard_load [-- --clients 100 --seconds 20]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One GET on a fresh connection; the time to the whole response.
async fn get(addr: SocketAddr, path: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(16 * 1024);
    s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
    if !buf.starts_with(b"HTTP/1.1 200") {
        return Err(String::from_utf8_lossy(&buf[..buf.len().min(80)]).into_owned());
    }
    Ok(start.elapsed())
}

/// Holds an SSE stream open and counts `status` events until `stop`.
async fn stream(addr: SocketAddr, events: Arc<AtomicU64>, stop: Arc<AtomicBool>) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    if s.write_all(
        b"GET /api/live/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n",
    )
    .await
    .is_err()
    {
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                let k = buf[..n]
                    .windows(13)
                    .filter(|w| w == b"event: status")
                    .count();
                events.fetch_add(k as u64, Ordering::Relaxed);
            }
            Err(_) => {}
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo bench -- --list` (and nextest) enumerate benchmarks.
        println!("dashboard_load: bench");
        return;
    }
    let clients = arg("--clients", 100) as usize;
    let seconds = arg("--seconds", 20);
    let dir = tempfile_dir();
    let cfg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/spy_ma_crossover.toml"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "paper",
            "--config",
            cfg,
            "--replay",
            "--speed",
            "2000000",
            "--journal",
            "j.sqlite",
            "--output-dir",
            "runs",
            "--http",
            "127.0.0.1:0",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade paper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("dashboard line");
    let addr: SocketAddr = line
        .trim()
        .trim_start_matches("dashboard on http://")
        .trim_end_matches("/live")
        .parse()
        .unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (latencies, errors, per_stream, instants) = rt.block_on(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let counters: Vec<Arc<AtomicU64>> = (0..clients).map(|_| Arc::default()).collect();
        let mut streams = Vec::new();
        for c in &counters {
            streams.push(tokio::spawn(stream(addr, c.clone(), stop.clone())));
        }
        let errors = Arc::new(AtomicU64::new(0));
        let mut readers = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        for i in 0..clients {
            let errors = errors.clone();
            readers.push(tokio::spawn(async move {
                let mut out = Vec::new();
                let paths = ["/api/live/status", "/api/runs", "/metrics"];
                let mut k = i;
                while Instant::now() < deadline {
                    match get(addr, paths[k % paths.len()]).await {
                        Ok(d) => out.push(d),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    k += 1;
                    // A person's dashboard polls a few times a second, not
                    // in a tight loop.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                out
            }));
        }
        let mut latencies = Vec::new();
        for r in readers {
            latencies.extend(r.await.expect("reader"));
        }
        let instants = get_json(addr, "/api/live/status").await["instants"]
            .as_u64()
            .unwrap_or(0);
        stop.store(true, Ordering::Relaxed);
        for s in streams {
            let _ = s.await;
        }
        let per_stream: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        (
            latencies,
            errors.load(Ordering::Relaxed),
            per_stream,
            instants,
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let mut sorted = latencies;
    sorted.sort();
    let mut streams = per_stream;
    streams.sort();
    println!(
        "dashboard_load: {clients} clients x (1 SSE stream + API reads every 100 ms) for {seconds} s during a paper replay ({instants} bars)"
    );
    println!(
        "  API reads: {} ok, {errors} failed; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        pct(&sorted, 0.5).as_secs_f64() * 1e3,
        pct(&sorted, 0.9).as_secs_f64() * 1e3,
        pct(&sorted, 0.99).as_secs_f64() * 1e3,
        sorted.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    println!(
        "  SSE status events per stream: min {}, median {}, max {} ({} streams)",
        streams.first().copied().unwrap_or(0),
        streams.get(streams.len() / 2).copied().unwrap_or(0),
        streams.last().copied().unwrap_or(0),
        streams.len()
    );
}

async fn get_json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return serde_json::Value::Null;
    };
    let _ = s
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let body = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| &buf[i + 4..])
        .unwrap_or_default();
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("trade-dashboard-load-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
