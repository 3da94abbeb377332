//! The end-of-session report: one self-contained HTML page with the
//! session's orders, fills, positions, cash and P&L, outstanding orders,
//! risk events and alerts — what an operator reads after the close.

use std::fmt::Write as _;

use trade_core::{Instrument, InstrumentId, Money, OrderStatus};

use crate::session::SessionOutcome;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn table(out: &mut String, title: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = write!(out, "<h2>{} ({})</h2>", esc(title), rows.len());
    if rows.is_empty() {
        out.push_str("<p class=\"none\">none</p>");
        return;
    }
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn symbol(instruments: &[Instrument], id: InstrumentId) -> String {
    instruments
        .get(id.index())
        .map(|i| i.symbol.to_string())
        .unwrap_or_else(|| format!("#{}", id.0))
}

/// Renders the report of a finished session.
pub fn render(title: &str, outcome: &SessionOutcome, instruments: &[Instrument]) -> String {
    let r = &outcome.result;
    let st = &outcome.status;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f3f3f3}}\
td:first-child,th:first-child{{text-align:left}}.none{{color:#888}}</style></head><body><h1>{t}</h1>",
        t = esc(title)
    );
    let pnl: Money = st.equity - r.initial_cash;
    let commissions: Money = r.fills.iter().map(|f| f.fill.commission).sum();
    let summary = vec![
        vec![
            "mode".into(),
            format!(
                "{:?}{}",
                st.mode,
                if st.dry_run { " (dry run)" } else { "" }
            ),
        ],
        vec![
            "last bar".into(),
            st.last_bar_time.map(|t| t.to_string()).unwrap_or_default(),
        ],
        vec![
            "starting cash".into(),
            r.initial_cash.round_cents().to_string(),
        ],
        vec!["cash".into(), st.cash.round_cents().to_string()],
        vec!["equity".into(), st.equity.round_cents().to_string()],
        vec!["P&L since start".into(), pnl.round_cents().to_string()],
        vec![
            "P&L this session".into(),
            st.day_pnl.round_cents().to_string(),
        ],
        vec!["commissions".into(), commissions.round_cents().to_string()],
        vec![
            "kill switch".into(),
            st.kill_switch.clone().unwrap_or_else(|| "-".into()),
        ],
    ];
    table(&mut o, "Account", &["item", "value"], &summary);
    let positions: Vec<Vec<String>> = st
        .positions
        .iter()
        .map(|p| {
            vec![
                p.symbol.clone(),
                p.qty.to_string(),
                p.mark.to_string(),
                p.market_value.round_cents().to_string(),
            ]
        })
        .collect();
    table(
        &mut o,
        "Positions",
        &["symbol", "qty", "mark", "value"],
        &positions,
    );
    let order_row = |ord: &trade_core::Order| {
        vec![
            ord.id.0.to_string(),
            ord.created.to_string(),
            ord.strategy.0.clone(),
            symbol(instruments, ord.intent.instrument),
            ord.intent.side.as_str().to_string(),
            ord.intent.qty.get().to_string(),
            ord.intent.order_type.name().to_string(),
            ord.filled.get().to_string(),
            ord.status.as_str().to_string(),
            ord.reason.clone().unwrap_or_default(),
        ]
    };
    let head = [
        "id", "created", "strategy", "symbol", "side", "qty", "type", "filled", "status", "reason",
    ];
    let outstanding: Vec<Vec<String>> = outcome.outstanding.iter().map(order_row).collect();
    table(&mut o, "Outstanding orders", &head, &outstanding);
    let orders: Vec<Vec<String>> = r
        .orders
        .iter()
        .filter(|x| x.status != OrderStatus::Working)
        .map(order_row)
        .collect();
    table(&mut o, "Orders", &head, &orders);
    let fills: Vec<Vec<String>> = r
        .fills
        .iter()
        .map(|f| {
            vec![
                f.fill.ts.to_string(),
                f.fill.order_id.0.to_string(),
                symbol(instruments, f.fill.instrument),
                f.fill.side.as_str().to_string(),
                f.fill.qty.get().to_string(),
                f.fill.price.to_string(),
                f.fill.commission.round_cents().to_string(),
                f.realized.round_cents().to_string(),
            ]
        })
        .collect();
    table(
        &mut o,
        "Fills",
        &[
            "time",
            "order",
            "symbol",
            "side",
            "qty",
            "price",
            "commission",
            "realized",
        ],
        &fills,
    );
    let adopted: Vec<Vec<String>> = outcome
        .adopted
        .iter()
        .map(|e| {
            vec![
                e.ts.to_string(),
                e.exec_id.clone(),
                e.instrument.clone(),
                e.side.as_str().to_string(),
                e.qty.get().to_string(),
                e.price.to_string(),
            ]
        })
        .collect();
    table(
        &mut o,
        "Adopted executions and positions",
        &["time", "exec id", "symbol", "side", "qty", "price"],
        &adopted,
    );
    let risk: Vec<Vec<String>> = r
        .risk_events
        .iter()
        .map(|e| {
            vec![
                e.ts.to_string(),
                e.rule.as_str().to_string(),
                e.action.to_string(),
                e.instrument
                    .map(|i| symbol(instruments, i))
                    .unwrap_or_default(),
                e.message.clone(),
            ]
        })
        .collect();
    table(
        &mut o,
        "Risk events",
        &["time", "rule", "action", "symbol", "message"],
        &risk,
    );
    let alerts: Vec<Vec<String>> = outcome
        .alerts
        .iter()
        .map(|a| {
            vec![
                a.ts.to_string(),
                format!("{:?}", a.kind),
                a.instrument.clone().unwrap_or_default(),
                a.message.clone(),
            ]
        })
        .collect();
    table(
        &mut o,
        "Alerts",
        &["time", "kind", "symbol", "message"],
        &alerts,
    );
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
