//! What `trade paper` and `trade live` share: opening the journal, running
//! a session on its own thread with the adapters on a small runtime, the
//! clean stop on SIGINT/SIGTERM, and the run folder with the end-of-session
//! report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use tokio::sync::{oneshot, watch};
use trade_journal::{Journal, SqliteJournal};
use trade_live::adapter::{BrokerLink, FeedLink};
use trade_live::{JournalBackend, Session, SessionOutcome, SessionSetup, SessionStatus};

use crate::config::LoadedConfig;
use crate::data_source::LoadedData;
use crate::pipeline::{self, RunOptions, RunOutcome};

/// The journal a session writes: `--journal PATH` (SQLite) wins over `[journal]`.
///
/// # Errors
/// The file cannot be opened or created (the error names it), or the
/// configured backend is not in this build.
pub fn open_journal(
    cfg: &LoadedConfig,
    journal: Option<&Path>,
) -> anyhow::Result<(Box<dyn Journal + Send>, String)> {
    let section = cfg.raw.journal.clone().unwrap_or_default();
    let path = match (journal, section.backend) {
        (Some(p), _) => p.to_path_buf(),
        (None, JournalBackend::Sqlite) => section.path.clone(),
        (None, JournalBackend::Postgres) => {
            let url = std::env::var("TRADE_JOURNAL_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .or(section.url)
                .with_context(|| {
                    format!(
                        "{}: journal.backend = \"postgres\" needs journal.url (or TRADE_JOURNAL_URL)",
                        cfg.source.display()
                    )
                })?;
            let j = trade_journal::PgJournal::connect(&url)
                .context("opening the PostgreSQL journal")?;
            let label = format!("postgres://{}", j.target());
            tracing::info!(journal = %label, "journal opened");
            return Ok((Box::new(j), label));
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the journal's folder {}", dir.display()))?;
    }
    let j = SqliteJournal::open(&path)
        .with_context(|| format!("opening the journal {}", path.display()))?;
    Ok((Box::new(j), path.display().to_string()))
}

/// Adapter tasks to run beside the session.
pub type Tasks = Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>;

/// Runs a session to its end on its own thread while `tasks` (the
/// adapters) run on a two-worker runtime; SIGINT/SIGTERM stop it cleanly.
/// `links` is awaited on that runtime first (an adapter may connect and
/// spawn its socket tasks there).
/// `after_build` receives the status receiver before anything runs (the
/// replay paces itself on it) and returns further tasks.
///
/// # Errors
/// The runtime or thread cannot start, or the session fails.
pub fn run_session(
    setup: SessionSetup,
    journal: Box<dyn Journal + Send>,
    controls: Controls,
    links: impl Future<Output = anyhow::Result<(BrokerLink, FeedLink)>>,
    mut tasks: Tasks,
    after_build: impl FnOnce(watch::Receiver<SessionStatus>) -> Tasks,
) -> anyhow::Result<SessionOutcome> {
    let rt = super::shutdown::runtime()?;
    let links = rt.block_on(links)?;
    let (mut session, status) = {
        let _guard = rt.enter();
        Session::new(setup, journal, links.0, links.1).context("starting the session")?
    };
    session.set_controls(controls.rx);
    let notifier = controls.alerts.as_ref().map(|alerts| {
        let _guard = rt.enter();
        let d = start_notifiers(alerts, controls.tx.clone());
        session.set_notifier(d.clone());
        d
    });
    tasks.extend(after_build(status.clone()));
    let (stop_tx, stop_rx) = oneshot::channel();
    let handle = trade_live::spawn(session, stop_rx).context("starting the session thread")?;
    rt.block_on(async move {
        for t in tasks {
            tokio::spawn(t);
        }
        let shutdown = super::shutdown::Shutdown::install();
        let heartbeat = async {
            // The health line: one per minute while the session runs.
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                let s = status.borrow().clone();
                tracing::info!(
                    connection = ?s.connection,
                    equity = %s.equity.round_cents(),
                    day_pnl = %s.day_pnl.round_cents(),
                    working_orders = s.working_orders.len(),
                    paused = s.paused.len(),
                    instants = s.instants,
                    last_bar = ?s.last_bar_time,
                    "heartbeat"
                );
            }
        };
        let mut ended = status.clone();
        tokio::select! {
            () = shutdown.wait() => {
                tracing::info!("stop requested: no new orders, cancelling working orders if configured");
                let _ = stop_tx.send(());
            }
            () = async {
                let _ = ended
                    .wait_for(|s| s.connection == trade_live::Connection::Stopped)
                    .await;
            } => {}
            () = heartbeat => {}
        }
    });
    let outcome = handle
        .join()
        .map_err(|_| anyhow::anyhow!("the session thread panicked"))??;
    if let Some(d) = notifier
        && !rt.block_on(d.flush(std::time::Duration::from_secs(10)))
    {
        tracing::warn!(stats = ?d.stats(), "some alert notifications were not delivered before exit");
    }
    // Adapter tasks end with the session; the runtime drops what is left.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(outcome)
}

/// A run id for a session: `<name>-<mode>-<UTC time>`.
pub fn session_run_id(cfg: &LoadedConfig, mode: &str) -> String {
    let name = cfg.raw.run.name.clone().unwrap_or_else(|| {
        cfg.source
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into())
    });
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S");
    format!("{name}-{mode}-{now}")
}

/// Writes the run folder `opts.run_id` (the backtest's ledgers and report, plus
/// `session.html`, the end-of-session report, and `session.json`, the
/// final status and every alert) and renders the summary.
///
/// # Errors
/// The folder cannot be written.
pub fn finish(
    cfg: &LoadedConfig,
    opts: &RunOptions,
    data: Option<&LoadedData>,
    instruments: &[trade_core::Instrument],
    outcome: SessionOutcome,
    journal_path: &str,
    started: Instant,
) -> anyhow::Result<String> {
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| session_run_id(cfg, "session"));
    let title = format!("{run_id}: end-of-session report");
    let html = trade_live::daily_report::render(&title, &outcome, instruments);
    let status_json = serde_json::to_vec_pretty(&serde_json::json!({
        "status": &outcome.status,
        "alerts": &outcome.alerts,
        "journal": journal_path,
    }))?;
    let t2 = Instant::now();
    let input = trade_report::RunInput {
        run_id: run_id.clone(),
        version: crate::VERSION.to_string(),
        git_sha: pipeline::git_sha(),
        config_toml: cfg.effective_toml.clone(),
        config_hash: cfg.hash.clone(),
        data_files: data.map(|d| d.files.clone()).unwrap_or_default(),
        instruments: instruments.to_vec(),
        strategy_names: cfg.strategies.iter().map(|s| s.name.clone()).collect(),
        benchmark: data.and_then(|d| d.benchmark(cfg.benchmark)),
        result: &outcome.result,
        metrics_config: trade_metrics::MetricsConfig {
            periods_per_year: cfg.raw.metrics.periods_per_year,
            risk_free_annual: cfg.raw.metrics.risk_free_rate,
        },
        extra_files: vec![
            trade_report::ExtraFile {
                name: "session.html".into(),
                bytes: html.into_bytes(),
            },
            trade_report::ExtraFile {
                name: "session.json".into(),
                bytes: status_json,
            },
        ],
    };
    let run_dir: PathBuf = pipeline::write_folder(cfg, opts, &input)?;
    let write_time = t2.elapsed();
    let alerts = outcome.alerts.len();
    let outstanding = outcome.outstanding.len();
    let dry_run = outcome.status.dry_run;
    let engine_time = started.elapsed();
    let run = RunOutcome {
        run_id,
        run_dir: run_dir.clone(),
        result: outcome.result,
        load_time: std::time::Duration::ZERO,
        engine_time,
        write_time,
    };
    let summary_path = run_dir.join(trade_report::SUMMARY_FILE);
    let text = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("reading {}", summary_path.display()))?;
    let summary: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", summary_path.display()))?;
    let mut o = super::backtest::render_summary(&summary, &run)?;
    writeln!(
        o,
        "journal {journal_path}{}\noutstanding orders {outstanding}, alerts {alerts}\n{}",
        if dry_run {
            " (dry run: nothing sent)"
        } else {
            ""
        },
        run_dir.join("session.html").display()
    )?;
    Ok(o)
}

/// The `--http` dashboard of a session: where it listens, who may log in,
/// and the sending side of the session's controls.
#[derive(Debug)]
pub struct Dashboard {
    addr: std::net::SocketAddr,
    runs_dir: PathBuf,
    journal: PathBuf,
    auth: trade_server::AuthConfig,
    controls: trade_live::control::ControlSender,
}

/// How operators reach a session: the control channel (the dashboard and
/// Telegram's buttons send into it) and the `[alerts]` notifiers.
#[derive(Debug)]
pub struct Controls {
    tx: trade_live::control::ControlSender,
    rx: tokio::sync::mpsc::Receiver<trade_live::control::Control>,
    alerts: Option<trade_alerts::AlertsConfig>,
}

impl Controls {
    /// The notifiers to start, if `[alerts]` routes any, and the control
    /// channel their buttons send into.
    pub(crate) fn notifiers(
        &self,
    ) -> Option<(
        trade_alerts::AlertsConfig,
        trade_live::control::ControlSender,
    )> {
        self.alerts.clone().map(|a| (a, self.tx.clone()))
    }
}

/// `[alerts]` with the secrets from the environment
/// (`TRADE_TELEGRAM_TOKEN`, `TRADE_DISCORD_WEBHOOK_URL`,
/// `TRADE_ALERT_WEBHOOK_URL`), when any route is configured.
fn alerts_config(cfg: &LoadedConfig) -> anyhow::Result<Option<trade_alerts::AlertsConfig>> {
    let Some(mut a) = cfg.raw.alerts.clone() else {
        return Ok(None);
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(t) = a.telegram.as_mut() {
        if let Some(v) = env("TRADE_TELEGRAM_TOKEN") {
            t.token = v;
        }
        if t.token.is_empty() {
            anyhow::bail!(
                "{}: alerts.telegram.token: missing (set it or TRADE_TELEGRAM_TOKEN)",
                cfg.source.display()
            );
        }
    }
    if let Some(d) = a.discord.as_mut() {
        if let Some(v) = env("TRADE_DISCORD_WEBHOOK_URL") {
            d.webhook_url = v;
        }
        if !d.webhook_url.starts_with("http") {
            anyhow::bail!(
                "{}: alerts.discord.webhook_url: expected an https:// URL (set it or TRADE_DISCORD_WEBHOOK_URL)",
                cfg.source.display()
            );
        }
    }
    if let Some(w) = a.webhook.as_mut() {
        if let Some(v) = env("TRADE_ALERT_WEBHOOK_URL") {
            w.url = v;
        }
        if !w.url.starts_with("http") {
            anyhow::bail!(
                "{}: alerts.webhook.url: expected an http(s):// URL (set it or TRADE_ALERT_WEBHOOK_URL)",
                cfg.source.display()
            );
        }
    }
    Ok((!a.routes.is_empty()).then_some(a))
}

/// Starts the notifier tasks (on the current runtime) and, with Telegram,
/// the button poller that turns presses into controls.
pub(crate) fn start_notifiers(
    a: &trade_alerts::AlertsConfig,
    controls: trade_live::control::ControlSender,
) -> trade_alerts::Dispatcher {
    use trade_alerts::{Discord, Notifier, Telegram, TelegramCommand, Webhook};
    use trade_live::control::{Control, ControlCommand};
    let mut notifiers = Vec::new();
    if let Some(t) = &a.telegram {
        notifiers.push(Notifier::Telegram(Telegram::new(t)));
        let poller = Telegram::new(t);
        let actor = format!("telegram:{}", t.chat_id);
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        tokio::spawn(async move { poller.poll(tx, std::time::Duration::from_secs(30)).await });
        tokio::spawn(async move {
            while let Some(c) = rx.recv().await {
                let command = match c {
                    TelegramCommand::Ack(id) => ControlCommand::AckAlert { id },
                    TelegramCommand::Snooze(id, minutes) => {
                        ControlCommand::SnoozeAlert { id, minutes }
                    }
                    TelegramCommand::PauseAll => ControlCommand::Pause { strategy: None },
                };
                let (reply, answer) = oneshot::channel();
                let sent = controls
                    .send(Control {
                        command,
                        actor: actor.clone(),
                        reason: "Telegram button".into(),
                        reply,
                    })
                    .await;
                if sent.is_err() {
                    return;
                }
                if let Ok(Err(e)) = answer.await {
                    tracing::warn!(error = %e, "telegram control refused");
                }
            }
        });
    }
    if let Some(d) = &a.discord {
        notifiers.push(Notifier::Discord(Discord::new(d)));
    }
    if let Some(w) = &a.webhook {
        notifiers.push(Notifier::Webhook(Webhook::new(w)));
    }
    tracing::info!(
        notifiers = notifiers.len(),
        routes = a.routes.len(),
        "alert notifications on"
    );
    trade_alerts::Dispatcher::start(notifiers, &a.routes, std::time::Duration::from_secs(1))
}

/// The dashboard for `--http ADDR` (none without it) and the operators'
/// controls, for [`run_session`].
///
/// # Errors
/// A password hash in `[dashboard]` does not parse (validation already
/// refused it; kept for callers that skip validation).
pub fn dashboard(
    cfg: &LoadedConfig,
    addr: Option<std::net::SocketAddr>,
    runs_dir: PathBuf,
    journal: &str,
) -> anyhow::Result<(Option<Dashboard>, Controls)> {
    let (tx, rx) = trade_live::control::control_channel();
    let controls = Controls {
        tx: tx.clone(),
        rx,
        alerts: alerts_config(cfg)?,
    };
    let Some(addr) = addr else {
        return Ok((None, controls));
    };
    let section = cfg.raw.dashboard.clone().unwrap_or_default();
    let token = std::env::var("TRADE_DASHBOARD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .or(section.token);
    if let Some(t) = &token
        && t.trim().len() < 16
    {
        anyhow::bail!("TRADE_DASHBOARD_TOKEN: expected at least 16 characters");
    }
    let users = section
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            trade_server::PasswordHash::parse(&u.password_hash)
                .map(|password| trade_server::User {
                    name: u.name.clone(),
                    password,
                })
                .map_err(|e| anyhow::anyhow!("dashboard.users[{i}].password_hash: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let auth = trade_server::AuthConfig {
        token: token.map(|t| trade_server::Secret::new(t.trim())),
        users,
        public_read: section.public_read,
        session_ttl: std::time::Duration::from_secs(u64::from(section.session_hours) * 3600),
    };
    if !auth.controls_enabled() {
        tracing::warn!(
            "dashboard controls are off: set TRADE_DASHBOARD_TOKEN or [dashboard] token/users to pause, close or flatten from it"
        );
    }
    Ok((
        Some(Dashboard {
            addr,
            runs_dir,
            // The dashboard reads a SQLite journal file; a PostgreSQL one
            // is not a path.
            journal: PathBuf::from(journal),
            auth,
            controls: tx,
        }),
        controls,
    ))
}

impl Dashboard {
    /// The server task: serves the session's status (as JSON, re-sent on
    /// every change) and forwards controls to the session.
    pub fn task(
        self,
        mut status: watch::Receiver<SessionStatus>,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        let first = serde_json::to_value(&*status.borrow()).unwrap_or_default();
        let (json_tx, json_rx) = watch::channel(first);
        let serve = self.serve_json(json_rx, true);
        Box::pin(async move {
            tokio::spawn(serve);
            while status.changed().await.is_ok() {
                let v = serde_json::to_value(&*status.borrow_and_update()).unwrap_or_default();
                json_tx.send_replace(v);
            }
            // The session ended: keep its last status until the process exits.
            std::future::pending::<()>().await;
        })
    }

    /// Serves a status already in JSON (the options desk's); `controls`:
    /// whether the session takes controls.
    pub fn serve_json(
        self,
        json_rx: watch::Receiver<serde_json::Value>,
        controls: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            if let Err(e) = std::fs::create_dir_all(&self.runs_dir) {
                tracing::error!(dir = %self.runs_dir.display(), error = %e, "dashboard: cannot create the runs folder");
                return;
            }
            let (server_tx, server_rx) = tokio::sync::mpsc::channel(16);
            if controls {
                tokio::spawn(forward_controls(server_rx, self.controls));
            }
            let live = trade_server::LiveFeed {
                status: json_rx,
                controls: controls.then_some(server_tx),
                journal: self.journal.is_file().then_some(self.journal),
            };
            let handle = match trade_server::Server::bind_with(
                self.addr,
                &self.runs_dir,
                Some(live),
                self.auth,
            )
            .await
            {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(addr = %self.addr, error = %e, "dashboard not started");
                    return;
                }
            };
            println!("dashboard on http://{}/live", handle.local_addr());
            // Serve until the process exits.
            let _ = handle.wait().await;
        })
    }
}

/// Turns the server's JSON controls into the session's typed ones and the
/// session's answers back (a malformed command never reaches the session).
async fn forward_controls(
    mut from_server: tokio::sync::mpsc::Receiver<trade_server::ControlRequest>,
    to_session: trade_live::control::ControlSender,
) {
    use trade_live::control::{Control, ControlCommand, ControlError};
    use trade_server::{ControlRefusal, RefusalKind};
    while let Some(req) = from_server.recv().await {
        let command = match serde_json::from_value::<ControlCommand>(req.command) {
            Ok(c) => c,
            Err(e) => {
                let _ = req.reply.send(Err(ControlRefusal::new(
                    RefusalKind::Invalid,
                    format!("control: {e}"),
                )));
                continue;
            }
        };
        let (tx, rx) = oneshot::channel();
        let sent = to_session
            .send(Control {
                command,
                actor: req.actor,
                reason: req.reason,
                reply: tx,
            })
            .await;
        let answer = match (sent, rx.await) {
            (Ok(()), Ok(Ok(v))) => Ok(v),
            (Ok(()), Ok(Err(e))) => {
                let kind = match &e {
                    ControlError::Invalid(_) => RefusalKind::Invalid,
                    ControlError::NotFound(_) => RefusalKind::NotFound,
                    ControlError::Conflict(_) => RefusalKind::Conflict,
                    ControlError::Unavailable(_) => RefusalKind::Unavailable,
                };
                Err(ControlRefusal::new(kind, e.to_string()))
            }
            _ => Err(ControlRefusal::new(
                RefusalKind::Unavailable,
                "the session has stopped",
            )),
        };
        let _ = req.reply.send(answer);
    }
}
