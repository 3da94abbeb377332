//! `[alerts]`: which notifiers exist and which alerts go to each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::manager::{Notification, Severity};

/// `[alerts]`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Which notifications go where; an alert goes to every route it
    /// matches.
    pub routes: Vec<Route>,
    /// `[alerts.telegram]`.
    pub telegram: Option<TelegramConfig>,
    /// `[alerts.discord]`.
    pub discord: Option<DiscordConfig>,
    /// `[alerts.webhook]`.
    pub webhook: Option<WebhookConfig>,
}

impl std::fmt::Debug for AlertsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertsConfig")
            .field("routes", &self.routes)
            .field("telegram", &self.telegram.as_ref().map(|_| "***"))
            .field("discord", &self.discord.as_ref().map(|_| "***"))
            .field("webhook", &self.webhook.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `[[alerts.routes]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `telegram`, `discord` or `webhook`.
    pub notifier: String,
    /// Least severity sent.
    #[serde(default = "default_severity")]
    pub min_severity: Severity,
    /// Only these kinds (empty: all).
    #[serde(default)]
    pub kinds: Vec<String>,
}

fn default_severity() -> Severity {
    Severity::Warning
}

impl Route {
    /// Whether `n` goes through this route.
    pub fn matches(&self, n: &Notification) -> bool {
        n.alert.severity >= self.min_severity
            && (self.kinds.is_empty() || self.kinds.contains(&n.alert.kind))
    }
}

/// `[alerts.telegram]`: a bot and the one chat it talks to (and takes
/// button presses from).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// Bot token (or env `TRADE_TELEGRAM_TOKEN`).
    #[serde(default, skip_serializing)]
    pub token: String,
    /// The chat id messages go to and button presses are accepted from.
    pub chat_id: i64,
    /// API base (tests point it at a local fake).
    #[serde(default = "telegram_base")]
    pub base_url: String,
}

fn telegram_base() -> String {
    "https://api.telegram.org".into()
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("token", &"***")
            .field("chat_id", &self.chat_id)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// `[alerts.discord]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// Webhook URL (its token is in the path; or env
    /// `TRADE_DISCORD_WEBHOOK_URL`).
    #[serde(default, skip_serializing)]
    pub webhook_url: String,
}

impl std::fmt::Debug for DiscordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiscordConfig { webhook_url: *** }")
    }
}

/// `[alerts.webhook]`: a generic JSON POST.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// URL.
    #[serde(default, skip_serializing)]
    pub url: String,
    /// Extra headers (e.g. `Authorization`); values are never logged.
    #[serde(default, skip_serializing)]
    pub headers: BTreeMap<String, String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &"***")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AlertsConfig {
    /// What is wrong, one message per problem, naming the key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, r) in self.routes.iter().enumerate() {
            let configured = match r.notifier.as_str() {
                "telegram" => self.telegram.is_some(),
                "discord" => self.discord.is_some(),
                "webhook" => self.webhook.is_some(),
                other => {
                    out.push(format!(
                        "alerts.routes[{i}].notifier: {other:?} is not one of telegram, discord, webhook"
                    ));
                    continue;
                }
            };
            if !configured {
                out.push(format!(
                    "alerts.routes[{i}].notifier: {} has no [alerts.{}] section",
                    r.notifier, r.notifier
                ));
            }
        }
        if let Some(w) = &self.webhook
            && !(w.url.starts_with("http://") || w.url.starts_with("https://"))
            && !w.url.is_empty()
        {
            out.push("alerts.webhook.url: expected an http:// or https:// URL".into());
        }
        out
    }
}
