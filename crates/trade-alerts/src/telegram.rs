//! Telegram: `sendMessage` with Acknowledge / Snooze / Pause buttons, and a
//! `getUpdates` long-polling loop that turns presses from the configured
//! chat into [`TelegramCommand`]s (presses from anywhere else are answered
//! and ignored).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::TelegramConfig;
use crate::manager::{Notification, NotificationKind};
use crate::notifiers::{SendError, client, headline};

/// A button press, for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramCommand {
    /// Acknowledge alert `id`.
    Ack(u64),
    /// Snooze alert `id` for this many minutes.
    Snooze(u64, u32),
    /// Pause new entries.
    PauseAll,
}

impl TelegramCommand {
    /// The button's `callback_data` (≤ 64 bytes, as the Bot API requires).
    pub fn callback_data(&self) -> String {
        match self {
            TelegramCommand::Ack(id) => format!("ack:{id}"),
            TelegramCommand::Snooze(id, m) => format!("snooze:{id}:{m}"),
            TelegramCommand::PauseAll => "pause".into(),
        }
    }

    /// Parses `callback_data`.
    pub fn parse(data: &str) -> Option<TelegramCommand> {
        let mut it = data.split(':');
        match (it.next()?, it.next(), it.next(), it.next()) {
            ("ack", Some(id), None, None) => Some(TelegramCommand::Ack(id.parse().ok()?)),
            ("snooze", Some(id), Some(m), None) => Some(TelegramCommand::Snooze(
                id.parse().ok()?,
                m.parse().ok().filter(|m| (1..=1440).contains(m))?,
            )),
            ("pause", None, None, None) => Some(TelegramCommand::PauseAll),
            _ => None,
        }
    }
}

/// Escapes text for `parse_mode = "HTML"`.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Telegram bot talking to one chat.
pub struct Telegram {
    base: String,
    token: String,
    chat_id: i64,
    http: reqwest::Client,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("chat_id", &self.chat_id)
            .finish_non_exhaustive()
    }
}

impl Telegram {
    /// A bot for `cfg` (requests time out after 40 s: long polls wait 30).
    pub fn new(cfg: &TelegramConfig) -> Telegram {
        Telegram {
            base: cfg.base_url.trim_end_matches('/').to_string(),
            token: cfg.token.clone(),
            chat_id: cfg.chat_id,
            http: client(Duration::from_secs(40)),
        }
    }

    async fn call(&self, method: &str, body: &Value) -> Result<Value, SendError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token);
        let r = self
            .http
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(SendError::from_reqwest)?;
        let status = r.status();
        let text = r.text().await.map_err(SendError::from_reqwest)?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() && v["ok"] == true {
            return Ok(v["result"].clone());
        }
        let retry_after = v["parameters"]["retry_after"]
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(600.0)));
        let detail = v["description"].as_str().unwrap_or("");
        Err(SendError::status(
            status,
            retry_after,
            &format!("{method}: {detail}"),
        ))
    }

    pub(crate) async fn send(&self, n: &Notification) -> Result<(), SendError> {
        let id = n.alert.id;
        let text = format!(
            "<b>{}</b>\n{}\n<i>{} · alert {id} · seen {}×</i>",
            html(&headline(n)),
            html(&n.alert.detail),
            html(&n.alert.kind),
            n.alert.count
        );
        let mut body = json!({
            "chat_id": self.chat_id,
            "text": text.chars().take(4096).collect::<String>(),
            "parse_mode": "HTML",
        });
        if n.event != NotificationKind::Resolved {
            let button = |label: &str, c: TelegramCommand| json!({"text": label, "callback_data": c.callback_data()});
            body["reply_markup"] = json!({"inline_keyboard": [[
                button("Acknowledge", TelegramCommand::Ack(id)),
                button("Snooze 1h", TelegramCommand::Snooze(id, 60)),
                button("Pause trading", TelegramCommand::PauseAll),
            ]]});
        }
        self.call("sendMessage", &body).await.map(|_| ())
    }

    /// Long-polls `getUpdates` until `commands` is closed, sending each
    /// button press from the configured chat; every press is answered
    /// (`answerCallbackQuery`). Errors wait and retry (capped backoff).
    pub async fn poll(&self, commands: mpsc::Sender<TelegramCommand>, long_poll: Duration) {
        let mut offset: i64 = 0;
        let mut backoff = Duration::from_secs(1);
        while !commands.is_closed() {
            let body = json!({
                "offset": offset,
                "timeout": long_poll.as_secs(),
                "allowed_updates": ["callback_query"],
            });
            let updates = match self.call("getUpdates", &body).await {
                Ok(u) => {
                    backoff = Duration::from_secs(1);
                    u
                }
                Err(e) => {
                    tracing::warn!(error = %e, "telegram getUpdates failed; retrying");
                    tokio::time::sleep(e.retry_after.unwrap_or(backoff)).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            for u in updates.as_array().map(Vec::as_slice).unwrap_or_default() {
                if let Some(id) = u["update_id"].as_i64() {
                    // Confirms this update: it is not delivered again.
                    offset = offset.max(id + 1);
                }
                let q = &u["callback_query"];
                let Some(qid) = q["id"].as_str() else {
                    continue;
                };
                let chat = q["message"]["chat"]["id"].as_i64();
                let answer = if chat != Some(self.chat_id) {
                    tracing::warn!(
                        from = q["from"]["id"].as_i64(),
                        "telegram: a button press from a chat that is not configured; ignored"
                    );
                    "not allowed"
                } else {
                    match q["data"].as_str().and_then(TelegramCommand::parse) {
                        Some(c) => {
                            let text = match c {
                                TelegramCommand::Ack(_) => "acknowledged",
                                TelegramCommand::Snooze(..) => "snoozed",
                                TelegramCommand::PauseAll => "pausing new entries",
                            };
                            if commands.send(c).await.is_err() {
                                return;
                            }
                            text
                        }
                        None => "unknown button",
                    }
                };
                let _ = self
                    .call(
                        "answerCallbackQuery",
                        &json!({"callback_query_id": qid, "text": answer}),
                    )
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_within_64_bytes() {
        for c in [
            TelegramCommand::Ack(u64::MAX),
            TelegramCommand::Snooze(u64::MAX, 1440),
            TelegramCommand::PauseAll,
        ] {
            let d = c.callback_data();
            assert!(d.len() <= 64, "{d}");
            assert_eq!(TelegramCommand::parse(&d), Some(c));
        }
        for bad in [
            "",
            "ack",
            "ack:x",
            "snooze:1:0",
            "snooze:1:99999",
            "pause:1",
            "rm -rf",
        ] {
            assert_eq!(TelegramCommand::parse(bad), None, "{bad}");
        }
        assert_eq!(html("<b>&"), "&lt;b&gt;&amp;");
    }
}
