//! Notifiers against local fakes of the Telegram Bot API, a Discord
//! webhook and a generic webhook on 127.0.0.1, answering with the shapes
//! the services document (see `research/protocols.md` §3).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use trade_alerts::{
    AlertManager, DiscordConfig, Dispatcher, Notification, Notifier, Route, Severity, Telegram,
    TelegramCommand, TelegramConfig, Webhook, WebhookConfig,
};

type Log = Arc<Mutex<Vec<(String, Value, Instant)>>>;

#[derive(Clone)]
struct Fake {
    log: Log,
    /// Status codes to answer, in order; 200/204 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
}

async fn serve(router: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    format!("http://{addr}")
}

fn fake() -> Fake {
    Fake {
        log: Arc::default(),
        script: Arc::default(),
    }
}

async fn discord_hook(State(f): State<Fake>, headers: HeaderMap, body: String) -> Response {
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/json",
        "Discord takes JSON"
    );
    f.log.lock().unwrap().push((
        "discord".into(),
        serde_json::from_str(&body).unwrap(),
        Instant::now(),
    ));
    let next = {
        let mut s = f.script.lock().unwrap();
        if s.is_empty() { 204 } else { s.remove(0) }
    };
    match next {
        429 => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0.3"), ("x-ratelimit-global", "false")],
            r#"{"message": "You are being rate limited.", "retry_after": 0.3, "global": false}"#,
        )
            .into_response(),
        s => StatusCode::from_u16(s).unwrap().into_response(),
    }
}

fn notification(kind: &str, severity: Severity, title: &str, detail: &str) -> Notification {
    AlertManager::new()
        .raise(kind, kind, severity, title, detail, 0.0)
        .unwrap()
}

fn route(notifier: &str) -> Route {
    Route {
        notifier: notifier.into(),
        min_severity: Severity::Info,
        kinds: Vec::new(),
    }
}

async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn discord_429_waits_as_told_then_delivers_once_within_the_documented_limits() {
    let f = fake();
    f.script.lock().unwrap().push(429);
    let base = serve(
        Router::new()
            .route("/api/webhooks/1/tok", post(discord_hook))
            .with_state(f.clone()),
    )
    .await;
    let d = Dispatcher::start(
        vec![Notifier::Discord(trade_alerts::Discord::new(
            &DiscordConfig {
                webhook_url: format!("{base}/api/webhooks/1/tok"),
            },
        ))],
        &[route("discord")],
        Duration::from_millis(10),
    );
    let long = "x".repeat(5000);
    d.notify(&notification(
        "connection",
        Severity::Critical,
        &long,
        &long,
    ));
    until("delivery", || d.stats()[0].sent == 1).await;
    let log = f.log.lock().unwrap().clone();
    assert_eq!(log.len(), 2, "one refused, one delivered");
    assert!(
        log[1].2.duration_since(log[0].2) >= Duration::from_millis(300),
        "retried before Retry-After"
    );
    let body = &log[1].1;
    assert!(body["content"].as_str().unwrap().chars().count() <= 2000);
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .starts_with("[CRITICAL] raised: ")
    );
    let embed = &body["embeds"][0];
    assert!(embed["title"].as_str().unwrap().chars().count() <= 256);
    assert!(embed["description"].as_str().unwrap().chars().count() <= 4096);
    assert_eq!(embed["color"], 0xb91c1c);
    let s = &d.stats()[0];
    assert_eq!((s.sent, s.retries, s.failed), (1, 1, 0));
}

async fn webhook_hook(State(f): State<Fake>, headers: HeaderMap, body: String) -> Response {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut v: Value = serde_json::from_str(&body).unwrap();
    v["auth"] = json!(auth);
    f.log
        .lock()
        .unwrap()
        .push(("webhook".into(), v, Instant::now()));
    let next = {
        let mut s = f.script.lock().unwrap();
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    StatusCode::from_u16(next).unwrap().into_response()
}

#[tokio::test]
async fn webhooks_retry_server_errors_but_not_client_errors() {
    let f = fake();
    f.script.lock().unwrap().extend([503, 500, 200, 400]);
    let base = serve(
        Router::new()
            .route("/hook", post(webhook_hook))
            .with_state(f.clone()),
    )
    .await;
    let d = Dispatcher::start(
        vec![Notifier::Webhook(Webhook::new(&WebhookConfig {
            url: format!("{base}/hook"),
            headers: [(
                "Authorization".to_string(),
                "Bearer hook-secret".to_string(),
            )]
            .into(),
        }))],
        &[route("webhook")],
        Duration::from_millis(5),
    );
    d.notify(&notification("fill", Severity::Info, "filled", "10 SPY"));
    until("delivery", || d.stats()[0].sent == 1).await;
    d.notify(&notification("fill", Severity::Info, "filled", "5 QQQ"));
    until("the 400", || d.stats()[0].failed == 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let log = f.log.lock().unwrap().clone();
    assert_eq!(log.len(), 4, "3 attempts for the first, 1 for the 400");
    assert_eq!(log[0].1["auth"], "Bearer hook-secret");
    assert_eq!(log[0].1["alert"]["detail"], "10 SPY");
    assert_eq!(log[0].1["event"], "raised");
    let s = &d.stats()[0];
    assert_eq!((s.sent, s.failed, s.retries), (1, 1, 2));
}

#[tokio::test]
async fn a_notifier_that_never_answers_blocks_neither_the_caller_nor_the_others() {
    // Accepts connections and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_addr = hang.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hang.accept().await {
            held.push(s);
        }
    });
    let f = fake();
    let base = serve(
        Router::new()
            .route("/api/webhooks/1/tok", post(discord_hook))
            .with_state(f.clone()),
    )
    .await;
    let d = Dispatcher::start(
        vec![
            Notifier::Webhook(Webhook::new(&WebhookConfig {
                url: format!("http://{hang_addr}/hook"),
                headers: Default::default(),
            })),
            Notifier::Discord(trade_alerts::Discord::new(&DiscordConfig {
                webhook_url: format!("{base}/api/webhooks/1/tok"),
            })),
        ],
        &[route("webhook"), route("discord")],
        Duration::from_millis(5),
    );
    let start = Instant::now();
    for i in 0..1000 {
        d.notify(&notification(
            "fill",
            Severity::Info,
            "fill",
            &i.to_string(),
        ));
    }
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "notify waited: {:?}",
        start.elapsed()
    );
    until("discord deliveries", || d.stats()[1].sent >= 10).await;
    let hung = &d.stats()[0];
    assert_eq!(hung.sent, 0);
    assert!(hung.dropped >= 1000 - 256 - 1, "{hung:?}");
}

#[derive(Clone)]
struct Tg {
    log: Log,
    /// Updates served once by the first getUpdates.
    updates: Arc<Mutex<Option<Value>>>,
}

async fn telegram_api(
    State(t): State<Tg>,
    axum::extract::Path((token, method)): axum::extract::Path<(String, String)>,
    body: String,
) -> Response {
    assert_eq!(token, "bot123:SECRET");
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    t.log
        .lock()
        .unwrap()
        .push((method.clone(), v, Instant::now()));
    let result = match method.as_str() {
        "sendMessage" => {
            json!({"message_id": 77, "date": 1742311900, "chat": {"id": 111, "type": "private"}})
        }
        "getUpdates" => t.updates.lock().unwrap().take().unwrap_or(json!([])),
        "answerCallbackQuery" => json!(true),
        _ => {
            return (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"ok": false, "error_code": 404, "description": "Not Found"})),
            )
                .into_response();
        }
    };
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn callback(update_id: i64, chat: i64, data: &str) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("q{update_id}"),
            "from": {"id": chat, "is_bot": false, "first_name": "Ops"},
            "message": {"message_id": 77, "date": 1742311900, "chat": {"id": chat, "type": "private"}, "text": "…"},
            "chat_instance": "-81726354",
            "data": data,
        }
    })
}

#[tokio::test]
async fn telegram_sends_buttons_and_takes_presses_only_from_its_chat() {
    let tg = Tg {
        log: Arc::default(),
        updates: Arc::new(Mutex::new(Some(json!([
            callback(512000101, 111, "ack:7"),
            callback(512000102, 999, "pause"),
            callback(512000103, 111, "snooze:7:60"),
        ])))),
    };
    let base = serve(
        Router::new()
            .route("/{token}/{method}", post(telegram_api))
            .with_state(tg.clone()),
    )
    .await;
    let cfg = TelegramConfig {
        token: "123:SECRET".into(),
        chat_id: 111,
        base_url: base,
    };
    let d = Dispatcher::start(
        vec![Notifier::Telegram(Telegram::new(&cfg))],
        &[route("telegram")],
        Duration::from_millis(5),
    );
    d.notify(&notification(
        "kill_switch",
        Severity::Critical,
        "kill <switch>",
        "daily loss & more",
    ));
    until("sendMessage", || d.stats()[0].sent == 1).await;
    let sent = tg.log.lock().unwrap()[0].1.clone();
    assert_eq!(sent["chat_id"], 111);
    assert_eq!(sent["parse_mode"], "HTML");
    assert!(
        sent["text"]
            .as_str()
            .unwrap()
            .contains("kill &lt;switch&gt;"),
        "{sent}"
    );
    assert!(
        sent["text"]
            .as_str()
            .unwrap()
            .contains("daily loss &amp; more")
    );
    let buttons = sent["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap();
    let data: Vec<&str> = buttons
        .iter()
        .map(|b| b["callback_data"].as_str().unwrap())
        .collect();
    assert_eq!(data, ["ack:1", "snooze:1:60", "pause"]);

    let (tx, mut rx) = mpsc::channel(8);
    let poller = Telegram::new(&cfg);
    let task = tokio::spawn(async move { poller.poll(tx, Duration::from_secs(0)).await });
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert_eq!(
        (first, second),
        (TelegramCommand::Ack(7), TelegramCommand::Snooze(7, 60)),
        "the press from chat 999 must not arrive"
    );
    until("the next getUpdates", || {
        tg.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _, _)| m == "getUpdates")
            .count()
            >= 2
    })
    .await;
    drop(rx);
    task.abort();
    let log = tg.log.lock().unwrap().clone();
    let polls: Vec<&Value> = log
        .iter()
        .filter(|(m, _, _)| m == "getUpdates")
        .map(|(_, v, _)| v)
        .collect();
    assert_eq!(polls[0]["offset"], 0);
    assert_eq!(polls[1]["offset"], 512000104, "offset = last update_id + 1");
    assert_eq!(polls[0]["allowed_updates"], json!(["callback_query"]));
    let answered: Vec<(&str, &str)> = log
        .iter()
        .filter(|(m, _, _)| m == "answerCallbackQuery")
        .map(|(_, v, _)| {
            (
                v["callback_query_id"].as_str().unwrap(),
                v["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        answered,
        [
            ("q512000101", "acknowledged"),
            ("q512000102", "not allowed"),
            ("q512000103", "snoozed")
        ]
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let cfg = TelegramConfig {
        token: "123:SECRET".into(),
        chat_id: 1,
        base_url: "https://api.telegram.org".into(),
    };
    assert!(!format!("{cfg:?}").contains("SECRET"));
    assert!(!format!("{:?}", Telegram::new(&cfg)).contains("SECRET"));
    let d = DiscordConfig {
        webhook_url: "https://discord.com/api/webhooks/1/TOKEN".into(),
    };
    assert!(!format!("{d:?}").contains("TOKEN"));
}
