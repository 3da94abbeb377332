//! End-to-end tests: a real server on 127.0.0.1:0 over copies of run
//! folders written by `trade backtest` (see `fixtures/README.md`), driven
//! by raw HTTP/1.1 over a TcpStream so that request targets reach the
//! server byte for byte (no client-side path normalisation).

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::TcpStream;
use trade_server::{Server, ServerError, ServerHandle};

mod common;
use common::{assert_json_error, get, raw};

const SPY: &str = "spy_ma_crossover-b56c83f88dd6";
const QQQ: &str = "qqq_bull_put-6e480ad9fe28";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runs")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A temp runs directory holding copies of the fixture runs.
fn runs_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), dir.path());
    dir
}

fn fixture_summary(id: &str) -> Value {
    let text = fs::read_to_string(fixtures().join(id).join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn start(dir: &Path) -> ServerHandle {
    Server::bind("127.0.0.1:0".parse().unwrap(), dir)
        .await
        .unwrap()
}

fn run<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {list}"))
}

#[tokio::test]
async fn health_is_json_and_startup_is_fast() {
    let dir = runs_dir();
    let t = Instant::now();
    let h = start(dir.path()).await;
    let bound = t.elapsed();
    eprintln!("Server::bind took {bound:?}");
    assert!(bound < Duration::from_millis(500), "bind took {bound:?}");
    assert_ne!(h.port(), 0);
    assert!(h.local_addr().ip().is_loopback());
    let r = get(h.local_addr(), "/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn run_list_mirrors_each_summary() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let list = get(h.local_addr(), "/api/runs").await.json();
    assert_eq!(list["count"], 2);
    for id in [SPY, QQQ] {
        let s = fixture_summary(id);
        let r = run(&list, id);
        let strat = &s["metrics"]["strategy"];
        assert_eq!(r["strategies"], s["strategies"]);
        assert_eq!(r["first_date"], s["period"]["first_date"]);
        assert_eq!(r["last_date"], s["period"]["last_date"]);
        assert_eq!(r["sessions"], s["period"]["sessions"]);
        assert_eq!(r["initial_equity"], s["initial_equity"]);
        assert_eq!(r["final_equity"], s["final_equity"]);
        for k in ["total_return", "cagr", "sharpe", "max_drawdown"] {
            assert_eq!(r[k], strat[k], "{id} {k}");
        }
        assert_eq!(r["trades"], s["trades"]["count"]);
        assert_eq!(r["kind"], "stock");
        assert!(r.get("error").is_none());
    }
    // The binary printed `74 trades`, `502 trades` and `total return
    // 461.72%` for these runs (fixtures/README.md).
    assert_eq!(run(&list, SPY)["trades"], 74);
    assert_eq!(run(&list, QQQ)["trades"], 502);
    let tr = run(&list, SPY)["total_return"].as_f64().unwrap();
    assert_eq!(format!("{:.2}%", tr * 100.0), "461.72%");
    assert_eq!(run(&list, SPY)["has_report"], true);
    assert_eq!(run(&list, QQQ)["has_report"], false);
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn options_runs_are_marked() {
    let dir = runs_dir();
    fs::write(
        dir.path().join(QQQ).join("options.json"),
        "{\"positions\": []}",
    )
    .unwrap();
    let h = start(dir.path()).await;
    let list = get(h.local_addr(), "/api/runs").await.json();
    assert_eq!(run(&list, QQQ)["kind"], "options");
    assert_eq!(run(&list, SPY)["kind"], "stock");
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn run_summary_is_served_as_written() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let r = get(h.local_addr(), &format!("/api/runs/{SPY}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), fixture_summary(SPY));
    assert_json_error(
        &get(h.local_addr(), "/api/runs/no_such_run").await,
        404,
        "run_not_found",
    );
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn compare_puts_metrics_side_by_side() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let c = get(h.local_addr(), &format!("/api/runs/{SPY}/compare/{QQQ}"))
        .await
        .json();
    let (sa, sb) = (fixture_summary(SPY), fixture_summary(QQQ));
    assert_eq!(c["a"]["run_id"], SPY);
    assert_eq!(c["b"]["run_id"], QQQ);
    assert_eq!(c["a"]["commissions"], sa["activity"]["commissions"]);
    let rows = c["metrics"].as_array().unwrap();
    let row = |k: &str| {
        rows.iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("{k}"))
    };
    for k in ["total_return", "cagr", "sharpe", "max_drawdown", "sortino"] {
        let (a, b) = (&sa["metrics"]["strategy"][k], &sb["metrics"]["strategy"][k]);
        assert_eq!(&row(k)["a"], a, "{k}");
        assert_eq!(&row(k)["b"], b, "{k}");
        let diff = b.as_f64().unwrap() - a.as_f64().unwrap();
        assert_eq!(row(k)["b_minus_a"].as_f64().unwrap(), diff, "{k}");
    }
    assert_eq!(row("trades")["a"].as_f64(), sa["trades"]["count"].as_f64());
    assert_eq!(row("trades")["b"].as_f64(), sb["trades"]["count"].as_f64());
    assert_eq!(row("hit_rate")["b"], sb["trades"]["hit_rate"]);
    assert_eq!(
        row("benchmark_total_return")["a"],
        sa["metrics"]["benchmark"]["total_return"]
    );
    assert_json_error(
        &get(h.local_addr(), &format!("/api/runs/{SPY}/compare/nope")).await,
        404,
        "run_not_found",
    );
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn report_is_the_file_byte_for_byte() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let r = get(h.local_addr(), &format!("/runs/{SPY}/report")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.body,
        fs::read(fixtures().join(SPY).join("report.html")).unwrap()
    );
    assert_json_error(
        &get(h.local_addr(), &format!("/runs/{QQQ}/report")).await,
        404,
        "file_not_found",
    );
    h.shutdown().await.unwrap();
}

/// Every route the router declares is documented, and every documented
/// path is a route.
#[tokio::test]
async fn openapi_documents_every_route() {
    let src = include_str!("../src/routes.rs");
    // (path, method) of every `.route("/path", method(handler))`.
    let routes: Vec<(&str, &str)> = src
        .split(".route(\"")
        .skip(1)
        .map(|s| {
            let path = &s[..s.find('"').unwrap()];
            let rest = s[path.len() + 1..].trim_start_matches([',', ' ', '\n']);
            (path, &rest[..rest.find('(').unwrap()])
        })
        .collect();
    assert!(routes.len() >= 20, "{routes:?}");
    let doc: Value = serde_json::from_str(trade_server::OPENAPI_JSON).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (r, method) in &routes {
        assert!(
            paths.contains_key(*r),
            "route {r} missing from openapi.json"
        );
        assert!(paths[*r].get(*method).is_some(), "{r} has no {method}");
    }
    let routes: Vec<&str> = routes.iter().map(|(p, _)| *p).collect();
    for p in paths.keys() {
        assert!(
            routes.contains(&p.as_str()),
            "openapi.json documents {p}, not a route"
        );
    }
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let served = get(h.local_addr(), "/api/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.json(), doc);
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn metrics_count_requests_latency_and_runs() {
    let dir = runs_dir();
    fs::create_dir(dir.path().join("broken")).unwrap();
    fs::write(dir.path().join("broken/summary.json"), "{ nope").unwrap();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    get(a, "/api/runs").await;
    get(a, "/api/runs").await;
    get(a, "/api/runs/nope").await;
    get(a, "/definitely/not/a/route").await;
    let r = get(a, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let t = r.text();
    for line in [
        "trade_server_http_requests_total{method=\"GET\",route=\"/api/runs\",status=\"200\"} 2\n",
        "trade_server_http_requests_total{method=\"GET\",route=\"/api/runs/{id}\",status=\"404\"} 1\n",
        "trade_server_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n",
        "trade_server_http_request_duration_seconds_count{route=\"/api/runs\"} 2\n",
        "trade_server_http_request_duration_seconds_bucket{route=\"/api/runs\",le=\"+Inf\"} 2\n",
        "trade_server_runs{state=\"ok\"} 2\n",
        "trade_server_runs{state=\"error\"} 1\n",
    ] {
        assert!(t.contains(line), "missing {line:?} in\n{t}");
    }
    assert!(t.contains("# TYPE trade_server_http_request_duration_seconds histogram"));
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn index_page_lists_runs_without_external_fetches() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let r = get(h.local_addr(), "/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = r.text();
    let s = fixture_summary(SPY);
    let tr = s["metrics"]["strategy"]["total_return"].as_f64().unwrap();
    assert!(html.contains(SPY) && html.contains(QQQ));
    assert!(
        html.contains(&format!("{:.2} %", tr * 100.0)),
        "total return shown"
    );
    assert!(html.contains(">461.72 %<"), "as the binary printed it");
    assert!(html.contains("name=\"viewport\""));
    assert!(
        html.contains("@media (max-width"),
        "stacks on narrow screens"
    );
    assert!(html.contains("data-label=\"Total return\""));
    assert!(html.contains(&format!("href=\"/runs/{SPY}/report\"")));
    for external in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(external), "page contains {external}");
    }
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn compare_page_renders_both_runs() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let r = get(h.local_addr(), &format!("/compare?a={SPY}&b={QQQ}")).await;
    assert_eq!(r.status, 200);
    let html = r.text();
    let (sa, sb) = (fixture_summary(SPY), fixture_summary(QQQ));
    for s in [&sa, &sb] {
        let sharpe = s["metrics"]["strategy"]["sharpe"].as_f64().unwrap();
        assert!(
            html.contains(&format!(">{sharpe:.2}<")),
            "sharpe {sharpe:.2}"
        );
    }
    // Final equity as dollars to the cent, grouped (the fixtures' exact
    // strings are 561724.03299267 and 95007.40).
    assert!(html.contains(">$561,724.03<"), "{html}");
    assert!(html.contains(">$95,007.40<"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_json_error(
        &get(h.local_addr(), &format!("/compare?a={SPY}")).await,
        400,
        "bad_request",
    );
    assert_json_error(
        &get(h.local_addr(), "/compare?a=x&b=y").await,
        404,
        "run_not_found",
    );
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn path_traversal_is_refused_with_json_4xx() {
    let dir = runs_dir();
    // A secret beside the runs directory, the target of the attempts.
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("summary.json"),
        "{\"secret\": \"SECRET-OUTSIDE\"}",
    )
    .unwrap();
    fs::write(outside.path().join("report.html"), "SECRET-OUTSIDE").unwrap();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    let outside_abs = outside.path().display().to_string();
    let targets = [
        "/api/runs/..".to_owned(),
        "/api/runs/.".to_owned(),
        "/api/runs/%2e%2e".to_owned(),
        "/api/runs/%2E%2E".to_owned(),
        "/api/runs/..%2f..%2fetc%2fpasswd".to_owned(),
        "/api/runs/%2fetc%2fpasswd".to_owned(),
        "/api/runs/..%5c..%5cwindows".to_owned(),
        "/api/runs/%00".to_owned(),
        "/api/runs/%ff".to_owned(),
        format!("/api/runs/{}", outside_abs.replace('/', "%2f")),
        "/runs/%2e%2e/report".to_owned(),
        "/runs/..%2f..%2f..%2fetc/report".to_owned(),
        format!("/runs/{}/report", outside_abs.replace('/', "%2F")),
        "/api/runs/%2e%2e/compare/x".to_owned(),
        format!("/api/runs/{SPY}/compare/%2e%2e"),
        "/compare?a=..&b=x".to_owned(),
        format!("/compare?a=%2e%2e%2f%2e%2e&b={SPY}"),
        format!("/compare?a={}&b={SPY}", outside_abs.replace('/', "%2F")),
        "/runs/../../etc/passwd".to_owned(),
        "/api/runs/../../../etc/passwd".to_owned(),
        format!("/api/runs/{SPY}/../../../etc/passwd"),
        format!("/runs{outside_abs}/report"),
        "/api/runs//etc/passwd".to_owned(),
        "/..%2f..%2fetc%2fpasswd".to_owned(),
    ];
    for t in &targets {
        let r = get(a, t).await;
        assert!((400..500).contains(&r.status), "{t}: status {}", r.status);
        let v = r.json();
        assert!(
            v["error"].is_string() && v["detail"].is_string(),
            "{t}: {v}"
        );
        let body = r.text();
        assert!(
            !body.contains("SECRET-OUTSIDE") && !body.contains("root:"),
            "{t} leaked"
        );
    }
    h.shutdown().await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_out_of_the_runs_directory_are_not_followed() {
    let dir = runs_dir();
    let outside = tempfile::tempdir().unwrap();
    let evil_run = outside.path().join("evil");
    copy_dir(&fixtures().join(SPY), &evil_run);
    fs::write(evil_run.join("report.html"), "SECRET-OUTSIDE").unwrap();
    // A run folder that is a link to a folder outside, and a report inside
    // a real run folder that links to a file outside.
    std::os::unix::fs::symlink(&evil_run, dir.path().join("linked")).unwrap();
    fs::remove_file(dir.path().join(SPY).join("report.html")).unwrap();
    std::os::unix::fs::symlink(
        evil_run.join("report.html"),
        dir.path().join(SPY).join("report.html"),
    )
    .unwrap();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    let list = get(a, "/api/runs").await.json();
    assert_eq!(list["count"], 2, "{list}");
    assert_eq!(run(&list, SPY)["has_report"], false);
    assert_json_error(&get(a, "/api/runs/linked").await, 404, "run_not_found");
    assert_json_error(&get(a, "/runs/linked/report").await, 404, "run_not_found");
    assert_json_error(
        &get(a, &format!("/runs/{SPY}/report")).await,
        404,
        "file_not_found",
    );
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn corrupt_summaries_are_listed_with_an_error() {
    let dir = runs_dir();
    let p = dir.path();
    fs::create_dir(p.join("broken")).unwrap();
    fs::write(
        p.join("broken/summary.json"),
        "{\n  \"schema_version\": 1,\n  oops",
    )
    .unwrap();
    fs::create_dir(p.join("renamed")).unwrap();
    fs::copy(
        fixtures().join(SPY).join("summary.json"),
        p.join("renamed/summary.json"),
    )
    .unwrap();
    fs::create_dir(p.join("empty")).unwrap();
    fs::create_dir(p.join(".tmp-staging-1")).unwrap();
    fs::write(p.join("stray.txt"), "not a run").unwrap();
    let h = start(p).await;
    let a = h.local_addr();
    let list = get(a, "/api/runs").await.json();
    assert_eq!(list["count"], 5, "{list}");
    let broken = run(&list, "broken");
    let err = broken["error"].as_str().unwrap();
    assert!(
        err.contains("broken/summary.json") && err.contains("line 3"),
        "{err}"
    );
    assert!(broken.get("total_return").is_none());
    assert!(
        run(&list, "renamed")["error"]
            .as_str()
            .unwrap()
            .contains("folder is named")
    );
    assert!(
        run(&list, "empty")["error"]
            .as_str()
            .unwrap()
            .contains("summary.json")
    );
    assert_eq!(run(&list, SPY)["trades"], 74);
    assert_json_error(&get(a, "/api/runs/broken").await, 422, "corrupt_summary");
    assert_json_error(
        &get(a, &format!("/api/runs/broken/compare/{SPY}")).await,
        422,
        "corrupt_summary",
    );
    assert_json_error(
        &get(a, "/api/runs/.tmp-staging-1").await,
        400,
        "invalid_run_id",
    );
    let page = get(a, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("summary unreadable"));
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversized_and_unknown_requests_get_json_4xx() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    let long = format!("/api/runs/{}", "a".repeat(5000));
    assert_json_error(&get(a, &long).await, 414, "uri_too_long");
    assert_json_error(
        &get(a, &format!("/api/runs/{}", "a".repeat(200))).await,
        400,
        "invalid_run_id",
    );
    let big = raw(a, "GET /api/runs HTTP/1.1\r\nContent-Length: 100000000").await;
    assert_json_error(&big, 413, "payload_too_large");
    assert_json_error(
        &raw(a, "POST /api/runs HTTP/1.1\r\nContent-Length: 0").await,
        405,
        "method_not_allowed",
    );
    assert_json_error(&get(a, "/nope").await, 404, "not_found");
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    assert_eq!(get(a, "/health").await.status, 200);
    h.shutdown().await.unwrap();
    assert!(
        TcpStream::connect(a).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let dir = runs_dir();
    let h = start(dir.path()).await;
    let a = h.local_addr();
    drop(h);
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(a).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting 2 s after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn bad_runs_directory_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let missing = Server::bind(addr, &dir.path().join("missing")).await;
    assert!(
        matches!(missing, Err(ServerError::RunsDir { .. })),
        "{missing:?}"
    );
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let not_dir = Server::bind(addr, &file).await;
    assert!(
        matches!(not_dir, Err(ServerError::NotADirectory { .. })),
        "{not_dir:?}"
    );
    assert!(trade_server::DEFAULT_ADDR.ip().is_loopback());
}
