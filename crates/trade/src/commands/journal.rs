//! `trade journal`: the order journal as an audit trail — orders, one
//! order's history, fills, the audit log, what reconciliation must still
//! resolve, and a health check of the file. Read-only: the journal can be
//! read while a session writes it.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use trade_core::Timestamp;
use trade_journal::{
    AuditEntry, AuditKind, FillLine, JournalOrder, JournalQueries, LocalOrderId, OrderQuery,
    OrderState, PgJournal, SqliteJournal,
};

use crate::cli::Format;
use crate::table;

/// Arguments of `trade journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The journal file (SQLite).
    #[arg(long, default_value = "journal.sqlite")]
    pub journal: PathBuf,
    /// A PostgreSQL journal instead (`postgres://user@host/db`); read
    /// without taking the writer lock. Never printed with its password.
    #[arg(long, env = "TRADE_JOURNAL_URL", hide_env_values = true)]
    pub journal_url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
    /// What to show.
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// `trade journal ...`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Orders, newest first.
    Orders {
        /// Only this state: pending_submit, sent, working, filled,
        /// cancelled, rejected, abandoned.
        #[arg(long)]
        state: Option<String>,
        /// Only this strategy's orders.
        #[arg(long)]
        strategy: Option<String>,
        /// Only orders created on or after this date (YYYY-MM-DD, UTC) or
        /// time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One order: its fields, executions and every audit line about it.
    Order {
        /// Its local id (the number in `orderRef = trade-<id>`).
        id: i64,
    },
    /// Executions with their commissions, newest first.
    Fills {
        /// Only executions on or after this date or time.
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// The audit trail: decisions, risk verdicts, orders, fills, positions.
    Audit {
        /// Only lines after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Only this kind: decision, risk_verdict, order, fill, commission,
        /// positions, reconcile, control.
        #[arg(long)]
        kind: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Orders whose outcome is unknown: what reconciliation must resolve
    /// before anything is resubmitted.
    Pending,
    /// Schema version, SQLite's integrity check and row counts; exit code 2
    /// when the file has problems.
    Check,
}

/// `2026-11-22` (midnight UTC) or an RFC 3339 time.
fn parse_since(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    let ts = if let Ok(d) = text.parse::<jiff::civil::Date>() {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(anyhow::Error::from)
    } else {
        text.parse::<jiff::Timestamp>().map_err(anyhow::Error::from)
    }
    .with_context(|| format!("{flag} {text:?}: expected YYYY-MM-DD or an RFC 3339 time"))?;
    Timestamp::from_jiff(ts).with_context(|| format!("{flag} {text:?}: out of range"))
}

fn parse_state(text: &str) -> anyhow::Result<OrderState> {
    OrderState::parse(text).with_context(|| {
        format!(
            "--state {text:?}: expected one of pending_submit, sent, working, filled, cancelled, rejected, abandoned"
        )
    })
}

fn parse_kind(text: &str) -> anyhow::Result<AuditKind> {
    AuditKind::parse(text).with_context(|| {
        format!(
            "--kind {text:?}: expected one of decision, risk_verdict, order, fill, commission, positions, reconcile, control"
        )
    })
}

/// Masks anything that looks like an IB account id (`U1234567`,
/// `DU1234567`, `DF12345`): the journal's payloads may carry one, and a
/// listing may be pasted anywhere.
pub fn mask_accounts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let letters = word.chars().take_while(char::is_ascii_uppercase).count();
        let digits = word.len() - letters;
        let looks_like_account = (1..=2).contains(&letters)
            && digits >= 5
            && word[letters..].chars().all(|c| c.is_ascii_digit());
        if looks_like_account {
            out.push_str(&trade_live::config::mask_account(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn ts(t: Timestamp) -> String {
    t.to_jiff().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn order_json(o: &JournalOrder) -> serde_json::Value {
    serde_json::json!({
        "local_id": o.local_id.0,
        "created": ts(o.created),
        "updated": ts(o.updated),
        "strategy": o.strategy,
        "instrument": o.instrument,
        "side": o.side.as_str(),
        "qty": o.qty.get(),
        "filled": o.filled.get(),
        "limit_price": o.limit_price.map(|p| p.to_string()),
        "state": o.state.as_str(),
        "broker_order_id": o.broker_order_id,
        "perm_id": o.perm_id,
        "order": o.order,
    })
}

fn order_row(o: &JournalOrder) -> Vec<String> {
    vec![
        o.local_id.0.to_string(),
        ts(o.created),
        o.strategy.clone(),
        o.instrument.clone(),
        o.side.as_str().into(),
        o.qty.get().to_string(),
        o.filled.get().to_string(),
        o.limit_price.map(|p| p.to_string()).unwrap_or_default(),
        o.state.as_str().into(),
        o.broker_order_id.map(|b| b.to_string()).unwrap_or_default(),
        o.perm_id.map(|b| b.to_string()).unwrap_or_default(),
    ]
}

const ORDER_HEADER: [&str; 11] = [
    "local_id",
    "created",
    "strategy",
    "instrument",
    "side",
    "qty",
    "filled",
    "limit",
    "state",
    "broker_id",
    "perm_id",
];

fn fill_json(f: &FillLine) -> serde_json::Value {
    let e = &f.execution;
    serde_json::json!({
        "exec_id": e.exec_id,
        "ts": ts(e.ts),
        "local_id": f.local_id.map(|l| l.0),
        "order_ref": e.order_ref,
        "instrument": e.instrument,
        "side": e.side.as_str(),
        "qty": e.qty.get(),
        "price": e.price.to_string(),
        "commission": f.commission.map(|c| c.to_string()),
    })
}

fn fill_row(f: &FillLine) -> Vec<String> {
    let e = &f.execution;
    vec![
        ts(e.ts),
        e.exec_id.clone(),
        f.local_id
            .map(|l| l.0.to_string())
            .unwrap_or_else(|| "external".into()),
        e.instrument.clone(),
        e.side.as_str().into(),
        e.qty.get().to_string(),
        e.price.to_string(),
        f.commission
            .map(|c| c.round_cents().to_string())
            .unwrap_or_default(),
    ]
}

const FILL_HEADER: [&str; 8] = [
    "time",
    "exec_id",
    "local_id",
    "instrument",
    "side",
    "qty",
    "price",
    "commission",
];

fn audit_json(a: &AuditEntry) -> serde_json::Value {
    serde_json::json!({
        "seq": a.seq,
        "ts": ts(a.ts),
        "kind": a.kind.as_str(),
        "local_id": a.local_id.map(|l| l.0),
        "payload": a.payload,
    })
}

fn audit_row(a: &AuditEntry) -> Vec<String> {
    vec![
        a.seq.to_string(),
        ts(a.ts),
        a.kind.as_str().into(),
        a.local_id.map(|l| l.0.to_string()).unwrap_or_default(),
        a.payload.to_string(),
    ]
}

const AUDIT_HEADER: [&str; 5] = ["seq", "time", "kind", "local_id", "payload"];

fn render(
    format: Format,
    header: &[&str],
    rows: Vec<Vec<String>>,
    json: Vec<serde_json::Value>,
) -> anyhow::Result<String> {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&json)? + "\n",
        Format::Csv => {
            let mut s = header.join(",") + "\n";
            for r in &rows {
                let fields: Vec<String> = r.iter().map(|f| table::csv_field(f)).collect();
                s.push_str(&fields.join(","));
                s.push('\n');
            }
            s
        }
        Format::Table => {
            if rows.is_empty() {
                "(none)\n".to_string()
            } else {
                table::render(header, &rows, &[])
            }
        }
    };
    Ok(mask_accounts(&text))
}

/// Runs `trade journal`; returns the output and whether `check` found a problem.
///
/// # Errors
/// The journal cannot be opened (missing, not a journal, newer schema,
/// corrupt), or a flag's value is malformed.
pub fn run(args: &JournalArgs) -> anyhow::Result<(String, bool)> {
    let j: Box<dyn JournalQueries> = match &args.journal_url {
        Some(url) => {
            Box::new(PgJournal::connect_read_only(url).context("opening the PostgreSQL journal")?)
        }
        None => {
            anyhow::ensure!(
                args.journal.is_file(),
                "{}: no such journal file",
                args.journal.display()
            );
            Box::new(
                SqliteJournal::open_read_only(&args.journal)
                    .with_context(|| format!("opening the journal {}", args.journal.display()))?,
            )
        }
    };
    let f = args.format;
    let out = match &args.command {
        JournalCommand::Orders {
            state,
            strategy,
            since,
            limit,
        } => {
            let q = OrderQuery {
                state: state.as_deref().map(parse_state).transpose()?,
                strategy: strategy.clone(),
                since: since
                    .as_deref()
                    .map(|s| parse_since("--since", s))
                    .transpose()?,
                limit: *limit,
            };
            let orders = j.query_orders(&q)?;
            render(
                f,
                &ORDER_HEADER,
                orders.iter().map(order_row).collect(),
                orders.iter().map(order_json).collect(),
            )?
        }
        JournalCommand::Order { id } => {
            let id = LocalOrderId(*id);
            let o = j
                .order(id)?
                .with_context(|| format!("order {id}: not in {}", args.journal.display()))?;
            let execs = j.executions_for(id)?;
            let audit = j.audit_of(id)?;
            match f {
                Format::Json => mask_accounts(
                    &(serde_json::to_string_pretty(&serde_json::json!({
                        "order": order_json(&o),
                        "executions": execs.iter().map(|e| serde_json::json!({
                            "exec_id": e.exec_id, "ts": ts(e.ts), "qty": e.qty.get(),
                            "price": e.price.to_string(), "side": e.side.as_str(),
                        })).collect::<Vec<_>>(),
                        "audit": audit.iter().map(audit_json).collect::<Vec<_>>(),
                    }))? + "\n"),
                ),
                _ => {
                    let mut s = render(f, &ORDER_HEADER, vec![order_row(&o)], Vec::new())?;
                    writeln!(s, "\nexecutions")?;
                    let rows: Vec<Vec<String>> = execs
                        .iter()
                        .map(|e| {
                            vec![
                                ts(e.ts),
                                e.exec_id.clone(),
                                e.side.as_str().into(),
                                e.qty.get().to_string(),
                                e.price.to_string(),
                            ]
                        })
                        .collect();
                    s.push_str(&render(
                        f,
                        &["time", "exec_id", "side", "qty", "price"],
                        rows,
                        Vec::new(),
                    )?);
                    writeln!(s, "\nhistory")?;
                    s.push_str(&render(
                        f,
                        &AUDIT_HEADER,
                        audit.iter().map(audit_row).collect(),
                        Vec::new(),
                    )?);
                    s
                }
            }
        }
        JournalCommand::Fills { since, limit } => {
            let since = since
                .as_deref()
                .map(|s| parse_since("--since", s))
                .transpose()?;
            let fills = j.query_fills(since, *limit)?;
            render(
                f,
                &FILL_HEADER,
                fills.iter().map(fill_row).collect(),
                fills.iter().map(fill_json).collect(),
            )?
        }
        JournalCommand::Audit { after, kind, limit } => {
            let kind = kind.as_deref().map(parse_kind).transpose()?;
            let mut lines = Vec::new();
            let mut cursor = *after;
            // Filtered in pages so `--limit` counts matching lines.
            while lines.len() < *limit {
                let page = j.audit_after(cursor, 1_000)?;
                let Some(last) = page.last() else { break };
                cursor = last.seq;
                lines.extend(
                    page.into_iter()
                        .filter(|a| kind.is_none_or(|k| a.kind == k)),
                );
            }
            lines.truncate(*limit);
            render(
                f,
                &AUDIT_HEADER,
                lines.iter().map(audit_row).collect(),
                lines.iter().map(audit_json).collect(),
            )?
        }
        JournalCommand::Pending => {
            let orders = j.orders_with_unknown_outcome()?;
            render(
                f,
                &ORDER_HEADER,
                orders.iter().map(order_row).collect(),
                orders.iter().map(order_json).collect(),
            )?
        }
        JournalCommand::Check => {
            let h = j.health()?;
            let bad = h.integrity != "ok" || h.schema_version != trade_journal::SCHEMA_VERSION;
            let text = match f {
                Format::Json => serde_json::to_string_pretty(&h)? + "\n",
                _ => {
                    let rows = vec![
                        vec!["schema version".into(), h.schema_version.to_string()],
                        vec!["integrity".into(), h.integrity.clone()],
                        vec!["orders".into(), h.orders.to_string()],
                        vec!["executions".into(), h.executions.to_string()],
                        vec!["commissions".into(), h.commissions.to_string()],
                        vec![
                            "fills without commission".into(),
                            h.fills_without_commission.to_string(),
                        ],
                        vec![
                            "orders with unknown outcome".into(),
                            h.unknown_outcome.to_string(),
                        ],
                        vec!["audit lines".into(), h.audit.to_string()],
                    ];
                    render(f, &["check", "value"], rows, Vec::new())?
                }
            };
            return Ok((text, bad));
        }
    };
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_masked_wherever_they_appear() {
        let m = mask_accounts(r#"{"account":"DU1234567","note":"U7654321 traded; order 1234567"}"#);
        assert!(!m.contains("DU1234567") && !m.contains("U7654321"), "{m}");
        // A bare number (an order id) and ordinary words are left alone.
        assert!(m.contains("order 1234567") && m.contains("traded"), "{m}");
    }

    #[test]
    fn dates_times_states_and_kinds_are_checked() {
        assert_eq!(
            parse_since("--since", "2025-03-18").unwrap(),
            Timestamp::from_secs(1_742_256_000)
        );
        assert_eq!(
            parse_since("--since", "2025-03-18T13:30:00Z").unwrap(),
            Timestamp::from_secs(1_742_304_600)
        );
        let e = parse_since("--since", "yesterday").unwrap_err().to_string();
        assert!(e.contains("--since") && e.contains("YYYY-MM-DD"), "{e}");
        assert!(
            parse_state("filed")
                .unwrap_err()
                .to_string()
                .contains("pending_submit")
        );
        assert!(
            parse_kind("trade")
                .unwrap_err()
                .to_string()
                .contains("risk_verdict")
        );
    }
}
