//! Discord and generic-webhook notifiers (Telegram has its own module) and
//! what a failed delivery says about retrying.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::time::Instant;

use crate::config::{DiscordConfig, WebhookConfig};
use crate::manager::{Notification, NotificationKind, Severity};
use crate::telegram::Telegram;

/// Why a delivery failed, and whether to try again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// For the log (never with a token or URL).
    pub message: String,
    /// Worth another attempt (5xx, timeout, connection, 429).
    pub retryable: bool,
    /// The service said how long to wait (429).
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub(crate) fn from_reqwest(e: reqwest::Error) -> SendError {
        // reqwest puts the URL (with its token) in the message.
        let e = e.without_url();
        SendError {
            retryable: e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
            message: e.to_string(),
            retry_after: None,
        }
    }

    pub(crate) fn status(
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &str,
    ) -> SendError {
        let body: String = body.chars().take(200).collect();
        SendError {
            message: format!("HTTP {status}: {body}"),
            retryable: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
            retry_after,
        }
    }
}

/// One destination for notifications.
#[derive(Debug)]
pub enum Notifier {
    /// Telegram Bot API `sendMessage`.
    Telegram(Telegram),
    /// Discord webhook.
    Discord(Discord),
    /// Generic JSON webhook.
    Webhook(Webhook),
}

impl Notifier {
    /// The route name (`telegram`, `discord`, `webhook`).
    pub fn name(&self) -> &'static str {
        match self {
            Notifier::Telegram(_) => "telegram",
            Notifier::Discord(_) => "discord",
            Notifier::Webhook(_) => "webhook",
        }
    }

    /// Delivers one notification (one attempt).
    ///
    /// # Errors
    /// What went wrong and whether a retry may help.
    pub async fn send(&self, n: &Notification) -> Result<(), SendError> {
        match self {
            Notifier::Telegram(t) => t.send(n).await,
            Notifier::Discord(d) => d.send(n).await,
            Notifier::Webhook(w) => w.send(n).await,
        }
    }
}

pub(crate) fn client(timeout: Duration) -> reqwest::Client {
    crate::install_tls_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default()
}

/// A one-line summary: `[CRITICAL] raised: broker down`.
pub(crate) fn headline(n: &Notification) -> String {
    let what = match n.event {
        NotificationKind::Raised => "raised",
        NotificationKind::Escalated => "escalated",
        NotificationKind::Resolved => "resolved",
    };
    format!(
        "[{}] {what}: {}",
        n.alert.severity.as_str().to_uppercase(),
        n.alert.title
    )
}

/// Seconds in a `Retry-After`-style header (decimals allowed).
pub(crate) fn header_secs(h: &reqwest::header::HeaderMap, name: &str) -> Option<Duration> {
    h.get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(600.0)))
}

/// Discord's documented limits (characters).
const DISCORD_CONTENT: usize = 2000;
const DISCORD_TITLE: usize = 256;
const DISCORD_DESCRIPTION: usize = 4096;

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A Discord webhook (`POST .../webhooks/{id}/{token}`).
pub struct Discord {
    url: String,
    http: reqwest::Client,
    /// Don't send before this (the bucket said it was empty).
    not_before: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Discord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discord { url: *** }")
    }
}

impl Discord {
    /// A notifier for `cfg` (10 s per request).
    pub fn new(cfg: &DiscordConfig) -> Discord {
        Discord {
            url: cfg.webhook_url.clone(),
            http: client(Duration::from_secs(10)),
            not_before: Mutex::new(None),
        }
    }

    async fn send(&self, n: &Notification) -> Result<(), SendError> {
        let wait = self.not_before.lock().ok().and_then(|g| *g);
        if let Some(t) = wait {
            tokio::time::sleep_until(t).await;
        }
        let color = match (n.event, n.alert.severity) {
            (NotificationKind::Resolved, _) => 0x15_80_3d,
            (_, Severity::Critical) => 0xb9_1c_1c,
            (_, Severity::Warning) => 0xd9_77_06,
            (_, Severity::Info) => 0x25_63_eb,
        };
        let body = json!({
            "content": truncate(&headline(n), DISCORD_CONTENT),
            "embeds": [{
                "title": truncate(&n.alert.title, DISCORD_TITLE),
                "description": truncate(&n.alert.detail, DISCORD_DESCRIPTION),
                "color": color,
                "fields": [
                    {"name": "kind", "value": n.alert.kind, "inline": true},
                    {"name": "alert", "value": n.alert.id.to_string(), "inline": true},
                    {"name": "count", "value": n.alert.count.to_string(), "inline": true},
                ],
            }],
        });
        let r = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(SendError::from_reqwest)?;
        let status = r.status();
        let headers = r.headers().clone();
        if headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            == Some("0")
            && let Some(after) = header_secs(&headers, "x-ratelimit-reset-after")
            && let Ok(mut g) = self.not_before.lock()
        {
            *g = Some(Instant::now() + after);
        }
        if status.is_success() {
            return Ok(());
        }
        let text = r.text().await.unwrap_or_default();
        let retry_after = header_secs(&headers, "retry-after").or_else(|| {
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()?
                .get("retry_after")?
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(600.0)))
        });
        Err(SendError::status(status, retry_after, &text))
    }
}

/// A generic webhook: the notification as JSON.
pub struct Webhook {
    url: String,
    headers: Vec<(String, String)>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Webhook { url: *** }")
    }
}

impl Webhook {
    /// A notifier for `cfg` (10 s per request).
    pub fn new(cfg: &WebhookConfig) -> Webhook {
        Webhook {
            url: cfg.url.clone(),
            headers: cfg
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            http: client(Duration::from_secs(10)),
        }
    }

    async fn send(&self, n: &Notification) -> Result<(), SendError> {
        let mut req = self.http.post(&self.url).json(&json!({
            "text": headline(n),
            "event": n.event,
            "alert": n.alert,
        }));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let r = req.send().await.map_err(SendError::from_reqwest)?;
        let status = r.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = header_secs(r.headers(), "retry-after");
        let text = r.text().await.unwrap_or_default();
        Err(SendError::status(status, retry_after, &text))
    }
}
