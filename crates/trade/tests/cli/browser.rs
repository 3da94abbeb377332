//! The dashboard in a real browser: headless Chromium driven over WebDriver
//! (chromedriver from Debian's packages, both on 127.0.0.1) against a
//! `trade serve` process over run folders the binary itself wrote.
//! Screenshots of each page at desktop and phone widths are saved under
//! the test's temp dir (`target/tmp/screenshots/`) for a person to look at.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::harness::*;

/// A child process killed on drop, so a failing test leaves nothing behind.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// chromedriver on a loopback port, ready to take sessions.
pub fn chromedriver() -> (Reaped, u16) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver must be installed for the browser tests \
             (apt-get install -y chromium chromium-driver; .ci/run does it)",
        );
    let child = Reaped(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// A headless Chromium session through the driver on `port`.
pub async fn browser(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-dev-shm-usage",
                     "--window-size=1280,900"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session")
}

/// Saves the page at desktop (1280 px) and phone (390 px) widths.
pub async fn screenshots(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    for (tag, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        c.set_window_size(w, h).await.expect("resize");
        let png = c.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(dir.join(format!("{name}-{tag}.png")), png).expect("write screenshot");
    }
    c.set_window_size(1280, 900).await.expect("resize back");
}

/// `trade serve` over `runs` in `cwd`; its address.
pub fn serve(cwd: &std::path::Path) -> (Reaped, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "serve",
            "--runs",
            "runs",
            "--http",
            "127.0.0.1:0",
            "--quiet",
        ])
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or("")
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    (Reaped(child), addr)
}

fn backtest(s: &Scratch, example: &str) -> String {
    let cfg = repo().join("examples").join(example);
    let o = trade_in(
        &s.0,
        &[
            "backtest",
            "--config",
            cfg.to_str().expect("utf-8 path"),
            "--output-dir",
            "runs",
            "--json",
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary json");
    summary["run_id"].as_str().expect("run_id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backtests_page_opens_reports_and_compares_two_runs_in_chromium() {
    let s = Scratch::new("browser");
    let a = backtest(&s, "spy_ma_crossover.toml");
    let b = backtest(&s, "etf_momentum.toml");
    let (_server, addr) = serve(&s.0);
    let (_driver, port) = chromedriver();
    let c = browser(port).await;

    c.goto(&format!("http://{addr}/")).await.expect("open /");
    let body = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(body.contains(&a) && body.contains(&b), "{body}");
    screenshots(&c, "backtests").await;

    // Compare: pick the two runs in the form and submit it.
    let form = c
        .form(Locator::Css("form[action='/compare']"))
        .await
        .expect("compare form");
    form.set_by_name("a", &a).await.expect("choose a");
    form.set_by_name("b", &b).await.expect("choose b");
    form.submit().await.expect("submit");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), "/compare", "{url}");
    let text = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(text.contains(&a) && text.contains(&b), "{text}");
    screenshots(&c, "compare").await;

    // The report link of run `a` opens its self-contained report.
    c.goto(&format!("http://{addr}/")).await.expect("open /");
    c.find(Locator::Css(&format!("a[href='/runs/{a}/report']")))
        .await
        .expect("report link of run a")
        .click()
        .await
        .expect("click report");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/runs/{a}/report"));
    let title = c.title().await.expect("title");
    assert!(!title.is_empty(), "the report has a title");
    screenshots(&c, "report").await;
    c.close().await.expect("close session");
}

/// The text of the element with `id`.
async fn text_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_sessions_live_page_updates_in_place_and_shows_positions() {
    let s = Scratch::new("browser-live");
    let cfg = repo().join("examples/spy_ma_crossover.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "paper",
            "--config",
            cfg.to_str().expect("utf-8"),
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
        .current_dir(&s.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade paper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("dashboard line");
    let url = line
        .trim()
        .strip_prefix("dashboard on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/live"),
        "{url}"
    );
    let child = Reaped(child);
    let (_driver, port) = chromedriver();
    let c = browser(port).await;
    c.goto(&url).await.expect("open the live page");

    // The bar count grows without a reload: the page follows the event stream.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Ok(n) = text_of(&c, "instants").await.parse::<u64>() {
            break n;
        }
        assert!(Instant::now() < deadline, "no status reached the page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let marker = c
        .execute("window.__marker = 42; return window.__marker;", vec![])
        .await
        .expect("js");
    assert_eq!(marker, serde_json::json!(42));
    let later = loop {
        let n: u64 = text_of(&c, "instants").await.parse().unwrap_or(0);
        if n > first {
            break n;
        }
        assert!(Instant::now() < deadline, "bars stuck at {first}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(later > first);
    let still = c
        .execute("return window.__marker;", vec![])
        .await
        .expect("js");
    assert_eq!(still, serde_json::json!(42), "the page was reloaded");
    assert_eq!(text_of(&c, "connection").await, "up");
    assert!(text_of(&c, "equity").await.starts_with('$'));

    // The crossover goes long within the first years: a position row appears.
    loop {
        let rows = c
            .find_all(Locator::Css("#positions tr"))
            .await
            .expect("position rows");
        if let Some(r) = rows.first() {
            let t = r.text().await.expect("row text");
            assert!(t.contains("SPY"), "{t}");
            break;
        }
        assert!(Instant::now() < deadline, "no position appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshots(&c, "live").await;

    // Readiness and the JSON the page is built from.
    let base = url.trim_end_matches("/live");
    c.goto(&format!("{base}/ready")).await.expect("ready");
    let body = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(body.contains("\"ready\":true"), "{body}");
    c.close().await.expect("close");
    drop(child);
}

/// Waits until `js` (a function body returning a value) returns something
/// truthy; returns it.
async fn until(c: &Client, what: &str, js: &str, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let v = c.execute(js, vec![]).await.expect("js");
        if !(v.is_null() || v == serde_json::json!(false) || v == serde_json::json!("")) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_position_from_the_dashboard_takes_a_login_and_a_confirmation_and_is_journaled() {
    const TOKEN: &str = "browser-test-token-0123456789";
    let s = Scratch::new("browser-close");
    let cfg = repo().join("examples/spy_ma_crossover.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "paper",
            "--config",
            cfg.to_str().expect("utf-8"),
            "--replay",
            "--speed",
            "400000",
            "--journal",
            "j.sqlite",
            "--output-dir",
            "runs",
            "--http",
            "127.0.0.1:0",
        ])
        .env("TRADE_DASHBOARD_TOKEN", TOKEN)
        .current_dir(&s.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade paper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("dashboard line");
    let url = line
        .trim()
        .strip_prefix("dashboard on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let base = url.trim_end_matches("/live").to_string();
    let child = Reaped(child);
    let (_driver, port) = chromedriver();
    let c = browser(port).await;

    // Not logged in: the page's controls are refused, and so is a direct
    // request, and nothing is journaled for them.
    c.goto(&url).await.expect("open the live page");
    c.find(Locator::Id("pause-all"))
        .await
        .expect("pause button")
        .click()
        .await
        .expect("click");
    let msg = until(
        &c,
        "the refusal",
        "return document.getElementById('control-msg').textContent;",
        Duration::from_secs(10),
    )
    .await;
    assert!(msg.as_str().unwrap().contains("log in"), "{msg}");
    let status = c
        .execute(
            "return fetch('/api/control/flatten', {method: 'POST', headers: {'content-type': 'application/json'}, \
             body: '{\"confirm\": true}'}).then((r) => r.status);",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(status, serde_json::json!(401));

    // Log in with the token through the form.
    c.goto(&format!("{base}/login")).await.expect("login page");
    screenshots(&c, "login").await;
    c.find(Locator::Id("token"))
        .await
        .expect("token field")
        .send_keys(TOKEN)
        .await
        .expect("type");
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    until(
        &c,
        "the live page after login",
        "return location.pathname === '/live' && document.getElementById('who').textContent.includes('token');",
        Duration::from_secs(10),
    )
    .await;

    // Wait for the crossover's position, then close it.
    until(
        &c,
        "a SPY position",
        "return document.querySelector('[data-testid=close-SPY]') !== null;",
        Duration::from_secs(60),
    )
    .await;
    screenshots(&c, "live-controls").await;
    c.find(Locator::Css("[data-testid=close-SPY]"))
        .await
        .expect("close button")
        .click()
        .await
        .expect("click close");
    let text = until(
        &c,
        "the confirmation",
        "const d = document.getElementById('confirm'); return d.open && document.getElementById('confirm-text').textContent;",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        text.as_str().unwrap().contains("SELL") && text.as_str().unwrap().contains("SPY at market"),
        "{text}"
    );
    screenshots(&c, "close-confirm").await;
    c.find(Locator::Id("confirm-reason"))
        .await
        .expect("reason")
        .send_keys("browser test")
        .await
        .expect("type reason");
    c.find(Locator::Id("confirm-ok"))
        .await
        .expect("confirm")
        .click()
        .await
        .expect("click confirm");
    let msg = until(
        &c,
        "the close answer",
        "const t = document.getElementById('control-msg').textContent; return t.startsWith('closing') || t.includes(':') ? t : '';",
        Duration::from_secs(10),
    )
    .await;
    assert!(msg.as_str().unwrap().starts_with("closing SPY"), "{msg}");
    // The sell fills at the next bar and the strategy may not buy back.
    until(
        &c,
        "the position closed and SPY paused",
        "return document.querySelectorAll('#positions tr').length === 0 && document.getElementById('banner') && true;",
        Duration::from_secs(30),
    )
    .await;

    // The journal, read by the CLI while the session runs, has the control
    // with who and why, and the operator's sell.
    let o = trade_in(
        &s.0,
        &[
            "journal",
            "--journal",
            "j.sqlite",
            "audit",
            "--kind",
            "control",
            "--format",
            "json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("audit json");
    let closes: Vec<&serde_json::Value> = lines
        .as_array()
        .expect("array")
        .iter()
        .filter(|l| l["payload"]["action"] == "close_position")
        .collect();
    assert_eq!(closes.len(), 1, "{lines}");
    assert_eq!(closes[0]["payload"]["actor"], "token");
    assert_eq!(closes[0]["payload"]["reason"], "browser test");
    assert!(closes[0]["payload"]["outcome"]["ok"].is_object(), "{lines}");
    assert!(
        !lines
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["payload"]["action"] == "flatten" || l["payload"]["action"] == "pause"),
        "a refused request reached the session: {lines}"
    );

    // The portfolio page draws the equity curve and its drawdown.
    c.goto(&format!("{base}/portfolio"))
        .await
        .expect("portfolio page");
    until(
        &c,
        "the equity curve",
        "return document.querySelectorAll('#curve polyline').length === 2;",
        Duration::from_secs(10),
    )
    .await;
    screenshots(&c, "portfolio").await;

    // The decisions log shows the control with who and why; the orders
    // page shows the fills.
    c.goto(&format!("{base}/decisions"))
        .await
        .expect("decisions page");
    let line = until(
        &c,
        "the control on /decisions",
        "const r = [...document.querySelectorAll('#lines tr')].find((tr) => tr.textContent.includes('token: close_position')); return r ? r.textContent : '';",
        Duration::from_secs(10),
    )
    .await;
    assert!(line.as_str().unwrap().contains("browser test"), "{line}");
    screenshots(&c, "decisions").await;
    c.goto(&format!("{base}/orders"))
        .await
        .expect("orders page");
    until(
        &c,
        "fills on /orders",
        "return document.querySelectorAll('#fills tr').length >= 2;",
        Duration::from_secs(10),
    )
    .await;
    screenshots(&c, "orders").await;

    // System health: the process, the broker, the feed and the journal.
    c.goto(&format!("{base}/system"))
        .await
        .expect("system page");
    let journal = until(
        &c,
        "the system page's journal line",
        "const w = document.getElementById('j_writes').textContent; return Number(w) > 0 && document.getElementById('connection').textContent;",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(journal, serde_json::json!("up"));
    let rss = text_of(&c, "rss").await;
    assert!(rss.ends_with("MiB"), "{rss}");
    screenshots(&c, "system").await;
    c.close().await.expect("close");
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_options_session_shows_its_structures_legs_greeks_and_closest_exit_rule() {
    let s = Scratch::new("browser-options");
    let cfg = repo().join("examples/qqq_bull_put.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args([
            "paper",
            "--config",
            cfg.to_str().expect("utf-8"),
            "--set",
            "run.start=2021-01-04",
            "--set",
            "run.end=2021-12-31",
            "--replay",
            "--speed",
            "300000",
            "--journal",
            "j.sqlite",
            "--output-dir",
            "runs",
            "--http",
            "127.0.0.1:0",
        ])
        .current_dir(&s.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade paper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("dashboard line");
    let url = line
        .trim()
        .strip_prefix("dashboard on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let child = Reaped(child);
    let (_driver, port) = chromedriver();
    let c = browser(port).await;
    c.goto(&url).await.expect("open the live page");
    let row = until(
        &c,
        "an open structure with its closest rule",
        "const r = document.querySelector('#structures tr'); return r && r.querySelector('meter') ? r.textContent : '';",
        Duration::from_secs(60),
    )
    .await;
    let row = row.as_str().unwrap().to_string();
    assert!(row.contains("BullPut") || row.contains("bull"), "{row}");
    assert!(row.contains("QQQ"), "legs carry their OCC symbols: {row}");
    let greeks = text_of(&c, "options-greeks").await;
    assert!(greeks.contains("portfolio Δ"), "{greeks}");
    // This session takes no controls: none are offered.
    let hidden = c
        .execute(
            "return getComputedStyle(document.getElementById('controls')).display === 'none';",
            vec![],
        )
        .await
        .expect("js");
    assert_eq!(hidden, serde_json::json!(true));
    screenshots(&c, "live-options").await;
    // The portfolio page: exposure by underlying and expiry, the curve.
    let base = url.trim_end_matches("/live");
    c.goto(&format!("{base}/portfolio"))
        .await
        .expect("portfolio");
    let exposure = until(
        &c,
        "exposure by expiry",
        "const r = document.querySelector('#exposure tr'); return r && document.querySelectorAll('#curve polyline').length === 2 ? r.textContent : '';",
        Duration::from_secs(30),
    )
    .await;
    assert!(
        exposure.as_str().unwrap().starts_with("QQQ 2021-"),
        "{exposure}"
    );
    screenshots(&c, "portfolio-options").await;
    c.close().await.expect("close");
    drop(child);
}
