//! `trade calendar`: NYSE sessions (and closures) in a date range.

use anyhow::Context as _;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use trade_calendar::Nyse;

use crate::cli::Format;
use crate::table;

#[derive(Debug, Serialize)]
struct Row {
    date: Date,
    status: &'static str,
    open_utc: Option<String>,
    close_utc: Option<String>,
    open_ny: Option<String>,
    close_ny: Option<String>,
    early_close: bool,
    reason: Option<&'static str>,
}

/// Renders the sessions from `from` to `to`.
///
/// # Errors
/// Dates outside 1990..=2035 or `from` after `to`.
pub fn run(from: Date, to: Date, format: Format, closures: bool) -> anyhow::Result<String> {
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    let nyse = Nyse;
    let ny = TimeZone::get("America/New_York").context("time zone America/New_York")?;
    let mut rows = Vec::new();
    let mut d = from;
    loop {
        match nyse.session(d)? {
            Some(s) => {
                let fmt_utc = |t: trade_core::Timestamp| {
                    t.to_jiff().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
                };
                let fmt_ny = |t: trade_core::Timestamp| {
                    t.to_jiff()
                        .to_zoned(ny.clone())
                        .strftime("%H:%M %Z")
                        .to_string()
                };
                rows.push(Row {
                    date: d,
                    status: "open",
                    open_utc: Some(fmt_utc(s.open)),
                    close_utc: Some(fmt_utc(s.close)),
                    open_ny: Some(fmt_ny(s.open)),
                    close_ny: Some(fmt_ny(s.close)),
                    early_close: s.early_close,
                    reason: None,
                });
            }
            None => {
                if let Some(reason) = nyse.closure_reason(d).filter(|_| closures) {
                    rows.push(Row {
                        date: d,
                        status: "closed",
                        open_utc: None,
                        close_utc: None,
                        open_ny: None,
                        close_ny: None,
                        early_close: false,
                        reason: Some(reason),
                    });
                }
            }
        }
        if d >= to {
            break;
        }
        d = d.tomorrow()?;
    }
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&rows)? + "\n",
        Format::Csv => {
            let mut s = String::from(
                "date,status,open_utc,close_utc,open_ny,close_ny,early_close,reason\n",
            );
            for r in &rows {
                let cells = [
                    r.date.to_string(),
                    r.status.to_string(),
                    r.open_utc.clone().unwrap_or_default(),
                    r.close_utc.clone().unwrap_or_default(),
                    r.open_ny.clone().unwrap_or_default(),
                    r.close_ny.clone().unwrap_or_default(),
                    r.early_close.to_string(),
                    r.reason.unwrap_or_default().to_string(),
                ];
                s.push_str(
                    &cells
                        .iter()
                        .map(|c| table::csv_field(c))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                s.push('\n');
            }
            s
        }
        Format::Table => {
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.date.to_string(),
                        r.status.to_string(),
                        r.open_utc.clone().unwrap_or_default(),
                        r.close_utc.clone().unwrap_or_default(),
                        r.open_ny.clone().unwrap_or_default(),
                        r.close_ny.clone().unwrap_or_default(),
                        if r.early_close {
                            "early close".into()
                        } else {
                            r.reason.unwrap_or_default().to_string()
                        },
                    ]
                })
                .collect();
            table::render(
                &[
                    "date",
                    "status",
                    "open (UTC)",
                    "close (UTC)",
                    "open (NY)",
                    "close (NY)",
                    "note",
                ],
                &body,
                &[],
            )
        }
    })
}
