//! Alerts for an unattended trading session: an [`AlertManager`] that
//! raises, de-duplicates, resolves, acknowledges and snoozes alerts (pure
//! logic, time passed in), and notifiers that deliver what it decides to
//! Telegram, Discord or a generic webhook from their own tasks.
//!
//! Guarantees:
//! - trading never waits for a notifier: [`Dispatcher::notify`] only puts
//!   the message on a bounded queue (when full, the oldest non-critical
//!   message is dropped and counted);
//! - delivery is at least once within the retry budget (5xx, timeouts and
//!   connection errors are retried with capped exponential backoff and
//!   jitter; 429 waits as long as the service says; other 4xx are not
//!   retried);
//! - one unresolved alert notifies once per severity it reaches, again
//!   after it resolved and came back, and again when a snooze ends while
//!   it is still active;
//! - tokens and webhook URLs never appear in logs, errors or `Debug`.

mod config;
mod dispatch;
mod manager;
mod notifiers;
mod telegram;

pub use config::{AlertsConfig, DiscordConfig, Route, TelegramConfig, WebhookConfig};
pub use dispatch::{DeliveryStats, Dispatcher};
pub use manager::{
    AlertManager, AlertState, ManagedAlert, Notification, NotificationKind, Severity,
};
pub use notifiers::{Discord, Notifier, SendError, Webhook};
pub use telegram::{Telegram, TelegramCommand};

/// Installs the process's TLS provider (ring) once; notifiers call it.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
