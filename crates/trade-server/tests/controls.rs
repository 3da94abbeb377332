//! Controls over real HTTP on 127.0.0.1: who may act (token, login,
//! CSRF, rate limit), what reaches the session (and what never does), and
//! the JSON errors of bad requests.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Resp, assert_json_error, send};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use trade_server::{
    AuthConfig, ControlRefusal, ControlRequest, LiveFeed, PasswordHash, RefusalKind, Secret,
    Server, ServerHandle, User,
};

const TOKEN: &str = "tok-0123456789abcdef";

/// A stand-in session: records every control it receives and answers
/// like the real one would for a few cases.
struct Fake {
    handle: ServerHandle,
    seen: Arc<Mutex<Vec<(Value, String, String)>>>,
    _dir: tempfile::TempDir,
}

async fn start(public_read: bool) -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let status = json!({
        "connection": "up", "paused": [], "halted": null,
        "positions": [{"symbol": "SPY", "qty": 40, "mark": "450.25", "market_value": "18010.00"}],
        "working_orders": [], "alerts": [{"kind": "connection"}],
        "feeds": [{"symbol": "SPY", "last_bar_unix": now_unix() - 5.0, "stale": false}],
        "journal_write_seconds": {"buckets": [[0.001, 9], [0.01, 10]], "sum": 0.01, "count": 10},
        "counters": {"reconnects": 2},
    });
    let (_status_tx, status_rx) = watch::channel(status);
    std::mem::forget(_status_tx);
    let (tx, mut rx) = mpsc::channel::<ControlRequest>(4);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            log.lock()
                .unwrap()
                .push((req.command.clone(), req.actor.clone(), req.reason.clone()));
            let answer = match req.command["action"].as_str() {
                Some("cancel") if req.command["local_id"] == 999 => {
                    Err(ControlRefusal::new(RefusalKind::NotFound, "no order 999"))
                }
                Some("close_position") if req.command["expected_qty"] != 40 => Err(
                    ControlRefusal::new(RefusalKind::Conflict, "the SPY position is 40 now"),
                ),
                _ => Ok(json!({"done": req.command["action"]})),
            };
            let _ = req.reply.send(answer);
        }
    });
    let auth = AuthConfig {
        token: Some(Secret::new(TOKEN)),
        users: vec![User {
            name: "ops".into(),
            password: PasswordHash::create("hunter2-but-longer", 1000),
        }],
        public_read,
        session_ttl: Duration::from_secs(600),
    };
    let live = LiveFeed {
        status: status_rx,
        controls: Some(tx),
        journal: None,
    };
    let handle = Server::bind_with("127.0.0.1:0".parse().unwrap(), dir.path(), Some(live), auth)
        .await
        .unwrap();
    Fake {
        handle,
        seen,
        _dir: dir,
    }
}

impl Fake {
    async fn post(&self, target: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        send(self.handle.local_addr(), "POST", target, &h, body).await
    }

    async fn get(&self, target: &str, headers: &[(&str, &str)]) -> Resp {
        send(self.handle.local_addr(), "GET", target, headers, "").await
    }

    fn seen(&self) -> Vec<(Value, String, String)> {
        self.seen.lock().unwrap().clone()
    }

    /// Logs in with the password; returns the cookie header value and the
    /// first CSRF token.
    async fn login(&self) -> (String, String) {
        let r = self
            .post(
                "/api/login",
                &[],
                r#"{"user": "ops", "password": "hunter2-but-longer"}"#,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let set = r.header("set-cookie").unwrap().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        (cookie, r.json()["csrf"].as_str().unwrap().to_owned())
    }
}

const BEARER: &str = "Bearer tok-0123456789abcdef";

#[tokio::test]
async fn an_unauthenticated_or_wrongly_authenticated_control_is_refused_and_reaches_nothing() {
    let f = start(true).await;
    let r = f.post("/api/control/pause", &[], "{}").await;
    assert_json_error(&r, 401, "unauthorized");
    let r = f
        .post(
            "/api/control/pause",
            &[("Authorization", "Bearer wrong-token")],
            "{}",
        )
        .await;
    assert_json_error(&r, 401, "unauthorized");
    assert!(!r.text().contains(TOKEN));
    let r = f
        .post(
            "/api/control/flatten",
            &[("Authorization", "Basic b3BzOnB3")],
            r#"{"confirm": true}"#,
        )
        .await;
    assert_json_error(&r, 401, "unauthorized");
    // A close preview needs a login too (it shows what would be sent).
    let r = f.post("/api/positions/SPY/close", &[], "{}").await;
    assert_json_error(&r, 401, "unauthorized");
    assert!(f.seen().is_empty(), "{:?}", f.seen());
    // Reads stay public here.
    assert_eq!(f.get("/api/live/status", &[]).await.status, 200);
}

#[tokio::test]
async fn a_bearer_token_acts_without_csrf_and_the_session_gets_who_and_why() {
    let f = start(true).await;
    let r = f
        .post(
            "/api/control/pause",
            &[("Authorization", BEARER)],
            r#"{"strategy": "spy_cross", "reason": "earnings"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["done"], "pause");
    let seen = f.seen();
    assert_eq!(
        seen,
        vec![(
            json!({"action": "pause", "strategy": "spy_cross"}),
            "token".to_string(),
            "earnings".to_string()
        )]
    );
    // The session's refusals come back with their status.
    let r = f
        .post("/api/orders/999/cancel", &[("Authorization", BEARER)], "")
        .await;
    assert_json_error(&r, 404, "not_found");
}

#[tokio::test]
async fn a_cookie_session_needs_a_fresh_csrf_token_per_change_and_a_replay_is_refused() {
    let f = start(true).await;
    let (cookie, csrf) = f.login().await;
    let c = ("Cookie", cookie.as_str());
    let r = f.post("/api/control/resume", &[c], "{}").await;
    assert_json_error(&r, 403, "csrf_missing");
    let r = f
        .post("/api/control/resume", &[c, ("X-CSRF-Token", &csrf)], "{}")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let replay = f
        .post("/api/control/resume", &[c, ("X-CSRF-Token", &csrf)], "{}")
        .await;
    assert_json_error(&replay, 403, "csrf_invalid");
    let fresh = f.get("/api/csrf", &[c]).await.json()["csrf"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = f
        .post(
            "/api/control/pause",
            &[
                c,
                ("X-CSRF-Token", &fresh),
                ("Origin", "http://evil.example"),
            ],
            "{}",
        )
        .await;
    assert_json_error(&foreign, 403, "foreign_origin");
    assert_eq!(f.seen().len(), 1, "only the one good request got through");
    assert_eq!(f.seen()[0].1, "ops");
    // Logged out: the cookie is worth nothing.
    f.post("/api/logout", &[c], "").await;
    let r = f.get("/api/csrf", &[c]).await;
    assert_json_error(&r, 401, "unauthorized");
}

#[tokio::test]
async fn closing_a_position_takes_a_preview_then_a_confirmation_of_that_quantity() {
    let f = start(true).await;
    let auth = ("Authorization", BEARER);
    let preview = f.post("/api/positions/SPY/close", &[auth], "{}").await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    let p = preview.json();
    assert_eq!(p["confirm_required"], true);
    assert_eq!(p["would_send"], "SELL 40 SPY at market");
    assert_eq!(
        p["confirm_with"],
        json!({"confirm": true, "expected_qty": 40})
    );
    assert!(f.seen().is_empty(), "a preview changes nothing");
    let r = f
        .post("/api/positions/SPY/close", &[auth], r#"{"confirm": true}"#)
        .await;
    assert_json_error(&r, 400, "bad_request");
    let r = f
        .post(
            "/api/positions/SPY/close",
            &[auth],
            r#"{"confirm": true, "expected_qty": 40, "reason": "risk off"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stale = f
        .post(
            "/api/positions/SPY/close",
            &[auth],
            r#"{"confirm": true, "expected_qty": 41}"#,
        )
        .await;
    assert_json_error(&stale, 409, "conflict");
    let none = f.post("/api/positions/QQQ/close", &[auth], "{}").await;
    assert_json_error(&none, 404, "not_found");
    let bad = f.post("/api/positions/..%2Fetc/close", &[auth], "{}").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
}

#[tokio::test]
async fn malformed_oversized_and_unconfirmed_controls_are_4xx_and_change_nothing() {
    let f = start(true).await;
    let auth = ("Authorization", BEARER);
    for (target, body, status) in [
        ("/api/control/pause", "{not json", 400),
        ("/api/control/pause", r#"{"strategy": 3}"#, 400),
        (
            "/api/control/pause",
            r#"{"strategy": "a", "bogus": 1}"#,
            400,
        ),
        ("/api/control/flatten", "{}", 400),
        ("/api/control/flatten", r#"{"confirm": false}"#, 400),
        ("/api/orders/abc/cancel", "", 400),
        ("/api/limits/max_position_pct", r#"{"value": "big"}"#, 400),
        ("/api/alerts/1/snooze", r#"{"minutes": 0}"#, 400),
        ("/api/alerts/1/snooze", r#"{"minutes": 100000}"#, 400),
    ] {
        let r = f.post(target, &[auth], body).await;
        assert_eq!(r.status, status, "{target} {body}: {}", r.text());
        assert!(r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let big = format!(r#"{{"reason": "{}"}}"#, "x".repeat(70_000));
    let r = f.post("/api/control/pause", &[auth], &big).await;
    assert_json_error(&r, 413, "payload_too_large");
    let r = f
        .post(
            "/api/control/pause",
            &[auth],
            &format!(r#"{{"reason": "{}"}}"#, "y".repeat(600)),
        )
        .await;
    assert_json_error(&r, 400, "bad_request");
    assert!(f.seen().is_empty(), "{:?}", f.seen());
}

#[tokio::test]
async fn failed_logins_are_rate_limited_and_reads_can_require_a_login() {
    let f = start(false).await;
    let r = f.get("/api/live/status", &[]).await;
    assert_json_error(&r, 401, "unauthorized");
    let page = f.get("/live", &[("Accept", "text/html")]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login"));
    assert_eq!(f.get("/health", &[]).await.status, 200);
    assert_eq!(f.get("/login", &[]).await.status, 200);
    assert_eq!(
        f.get("/api/live/status", &[("Authorization", BEARER)])
            .await
            .status,
        200
    );
    for _ in 0..5 {
        let r = f
            .post("/api/login", &[], r#"{"user": "ops", "password": "nope"}"#)
            .await;
        assert_json_error(&r, 401, "unauthorized");
    }
    let r = f
        .post(
            "/api/login",
            &[],
            r#"{"user": "ops", "password": "hunter2-but-longer"}"#,
        )
        .await;
    assert_json_error(&r, 429, "too_many_logins");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn system_health_reports_the_process_the_feeds_and_the_journal() {
    let f = start(true).await;
    let r = f.get("/api/system", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(v["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert!(
        v["process"]["rss_bytes"].as_u64().unwrap() > 1_000_000,
        "{v}"
    );
    let s = &v["session"];
    assert_eq!(s["connection"], "up");
    assert_eq!(s["ready"], true);
    assert_eq!(s["reconnects"], 2);
    let age = s["feeds"][0]["last_bar_age_seconds"].as_f64().unwrap();
    assert!((4.0..60.0).contains(&age), "{age}");
    assert_eq!(s["journal"]["write_p50_seconds"], 0.001);
    assert_eq!(s["journal"]["write_p99_seconds"], 0.01);
    assert_eq!(s["alerts_by_kind"]["connection"], 1);
    let page = f.get("/system", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/api/system"));
}

#[tokio::test]
async fn the_journal_api_lists_orders_fills_and_the_audit_trail_newest_first() {
    use trade_core::{Price, Qty, Side, Timestamp};
    use trade_journal::{Execution, Journal, NewIntent, SqliteJournal};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    {
        let mut j = SqliteJournal::open(&path).unwrap();
        for i in 0..3 {
            let id = j
                .record_intent(&NewIntent {
                    ts: Timestamp::from_secs(1_700_000_000 + i),
                    strategy: "trend".into(),
                    instrument: "SPY".into(),
                    side: Side::Buy,
                    qty: Qty::new(10),
                    limit_price: None,
                    order: json!({}),
                })
                .unwrap();
            j.record_execution(&Execution {
                exec_id: format!("E{i}"),
                order_ref: Some(id.order_ref()),
                perm_id: None,
                ts: Timestamp::from_secs(1_700_000_100 + i),
                instrument: "SPY".into(),
                side: Side::Buy,
                qty: Qty::new(10),
                price: Price::from_cents(45_000 + i * 100),
            })
            .unwrap();
        }
        j.record_control(
            Timestamp::from_secs(1_700_000_200),
            None,
            &json!({"action": "pause", "actor": "ops", "reason": "lunch"}),
        )
        .unwrap();
    }
    let runs = tempfile::tempdir().unwrap();
    let h = Server::bind_full(
        "127.0.0.1:0".parse().unwrap(),
        runs.path(),
        None,
        AuthConfig::default(),
        Some(path.clone()),
    )
    .await
    .unwrap();
    let addr = h.local_addr();
    let get = |t: &'static str| send(addr, "GET", t, &[], "");
    let orders = get("/api/journal/orders?limit=2").await.json();
    assert_eq!(orders["count"], 2);
    assert_eq!(orders["orders"][0]["local_id"], 3, "newest first");
    assert!(orders["orders"][0]["age_seconds"].as_f64().unwrap() > 1e6);
    let fills = get("/api/journal/fills").await.json();
    assert_eq!(fills["count"], 3);
    assert_eq!(fills["fills"][0]["exec_id"], "E2");
    assert_eq!(fills["fills"][0]["price"], "452.00");
    let audit = get("/api/journal/audit?kind=control").await.json();
    assert_eq!(audit["count"], 1);
    assert_eq!(audit["lines"][0]["payload"]["reason"], "lunch");
    let all = get("/api/journal/audit?limit=1000").await.json();
    let seqs: Vec<i64> = all["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    let before = format!("/api/journal/audit?before={}&limit=1000", seqs[1]);
    let older = send(addr, "GET", &before, &[], "").await.json();
    assert_eq!(older["count"].as_u64().unwrap() as usize, seqs.len() - 2);
    for bad in [
        "/api/journal/audit?kind=gossip",
        "/api/journal/orders?state=happy",
        "/api/journal/orders?limit=0",
        "/api/journal/fills?limit=5000",
        "/api/journal/orders?sql=drop",
    ] {
        let r = send(addr, "GET", bad, &[], "").await;
        assert_json_error(&r, 400, "bad_request");
    }
    for page in ["/orders", "/decisions"] {
        assert_eq!(send(addr, "GET", page, &[], "").await.status, 200);
    }
    h.shutdown().await.unwrap();
    // Without a journal: a clear 404.
    let h = Server::bind("127.0.0.1:0".parse().unwrap(), runs.path())
        .await
        .unwrap();
    let r = send(h.local_addr(), "GET", "/api/journal/fills", &[], "").await;
    assert_json_error(&r, 404, "no_journal");
}
