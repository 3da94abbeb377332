//! The read side behind `trade journal`: orders by state, strategy and
//! time, fills with their commissions, an order's audit trail, and a
//! health check of the file.

use rusqlite::OptionalExtension as _;
use rusqlite::types::Value;
use trade_core::{Money, Timestamp};

use super::{ExecutionRow, ORDER_COLUMNS, OrderRow, SqliteJournal, decode_execution};
use crate::{
    AuditEntry, Execution, Journal as _, JournalError, JournalOrder, LocalOrderId, OrderState,
    Result,
};

/// Which orders to list (all conditions must hold), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only orders in this state.
    pub state: Option<OrderState>,
    /// Only this strategy's orders.
    pub strategy: Option<String>,
    /// Only orders created at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many (0: no limit).
    pub limit: usize,
}

/// One execution with the order it belongs to and its commission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillLine {
    /// The execution.
    pub execution: Execution,
    /// Our order, when it was ours.
    pub local_id: Option<LocalOrderId>,
    /// Its commission, once reported.
    pub commission: Option<Money>,
}

/// What `trade journal check` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalHealth {
    /// Schema version in the file.
    pub schema_version: i64,
    /// `PRAGMA integrity_check`: `ok` or the problems found.
    pub integrity: String,
    /// Orders journaled.
    pub orders: i64,
    /// Executions.
    pub executions: i64,
    /// Commission reports.
    pub commissions: i64,
    /// Audit lines.
    pub audit: i64,
    /// Orders whose outcome is unknown (what reconciliation must resolve).
    pub unknown_outcome: i64,
    /// Executions whose commission has not arrived.
    pub fills_without_commission: i64,
}

impl SqliteJournal {
    /// Orders matching `q`, newest first.
    ///
    /// # Errors
    /// A read or decode error naming the table, row and column.
    pub fn query_orders(&self, q: &OrderQuery) -> Result<Vec<JournalOrder>> {
        let mut sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE 1 = 1");
        let mut params: Vec<Value> = Vec::new();
        if let Some(s) = q.state {
            sql.push_str(" AND state = ?");
            params.push(Value::Text(s.as_str().into()));
        }
        if let Some(s) = &q.strategy {
            sql.push_str(" AND strategy = ?");
            params.push(Value::Text(s.clone()));
        }
        if let Some(t) = q.since {
            sql.push_str(" AND created_ns >= ?");
            params.push(Value::Integer(t.nanos()));
        }
        sql.push_str(" ORDER BY local_id DESC");
        if q.limit > 0 {
            sql.push_str(" LIMIT ?");
            params.push(Value::Integer(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        }
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(JournalError::sql("read orders"))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), OrderRow::read)
            .map_err(JournalError::sql("read orders"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(JournalError::sql("read orders"))?;
        rows.into_iter().map(OrderRow::decode).collect()
    }

    /// Executions at or after `since` (all when `None`), newest first, at
    /// most `limit` (0: all), each with its order and commission.
    ///
    /// # Errors
    /// A read or decode error naming the table and row.
    pub fn query_fills(&self, since: Option<Timestamp>, limit: usize) -> Result<Vec<FillLine>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.exec_id, e.order_ref, e.perm_id, e.ts_ns, e.instrument, e.side, e.qty, \
                 e.price_raw, e.local_id, c.commission_raw \
                 FROM executions e LEFT JOIN commissions c ON c.exec_id = e.exec_id \
                 WHERE e.ts_ns >= ?1 ORDER BY e.ts_ns DESC, e.exec_id LIMIT ?2",
            )
            .map_err(JournalError::sql("read executions"))?;
        let from = since.map_or(i64::MIN, Timestamp::nanos);
        let limit = if limit == 0 {
            i64::MAX
        } else {
            i64::try_from(limit).unwrap_or(i64::MAX)
        };
        let rows: Vec<(ExecutionRow, Option<i64>, Option<i64>)> = stmt
            .query_map([from, limit], |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ),
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .map_err(JournalError::sql("read executions"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(JournalError::sql("read executions"))?;
        rows.into_iter()
            .map(|(row, local, commission)| {
                Ok(FillLine {
                    execution: decode_execution(row)?,
                    local_id: local.map(LocalOrderId),
                    commission: commission.map(Money::from_raw),
                })
            })
            .collect()
    }

    /// Every audit line of one order, oldest first.
    ///
    /// # Errors
    /// A read or decode error.
    pub fn audit_of(&self, id: LocalOrderId) -> Result<Vec<AuditEntry>> {
        let seqs: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT seq FROM audit WHERE local_id = ?1 ORDER BY seq")
                .map_err(JournalError::sql("read audit"))?;
            stmt.query_map([id.0], |r| r.get(0))
                .map_err(JournalError::sql("read audit"))?
                .collect::<rusqlite::Result<_>>()
                .map_err(JournalError::sql("read audit"))?
        };
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            out.extend(self.audit_after(seq - 1, 1)?);
        }
        Ok(out)
    }

    /// Audit lines of the given kinds (all kinds when empty) with `seq <
    /// before` (all when `None`), newest first, at most `limit`.
    ///
    /// # Errors
    /// A read or decode error.
    pub fn audit_recent(
        &self,
        kinds: &[crate::AuditKind],
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        let before = before.unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if kinds.is_empty() {
            return self.audit_rows(
                "SELECT seq, ts_ns, kind, local_id, payload FROM audit WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
                &[&before, &limit],
            );
        }
        // Kinds are our own fixed names, never user text.
        let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
        self.audit_rows(
            &format!(
                "SELECT seq, ts_ns, kind, local_id, payload FROM audit WHERE seq < ?1 AND kind IN ({}) ORDER BY seq DESC LIMIT ?2",
                list.join(", ")
            ),
            &[&before, &limit],
        )
    }

    /// Schema version, SQLite's integrity check and row counts.
    ///
    /// # Errors
    /// A read error.
    pub fn health(&self) -> Result<JournalHealth> {
        let count = |sql: &str| -> Result<i64> {
            self.conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(JournalError::sql("count rows"))
        };
        let version: Option<i64> = self
            .conn
            .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
            .optional()
            .map_err(JournalError::sql("read schema version"))?
            .flatten();
        let problems: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("PRAGMA integrity_check")
                .map_err(JournalError::sql("integrity check"))?;
            stmt.query_map([], |r| r.get(0))
                .map_err(JournalError::sql("integrity check"))?
                .collect::<rusqlite::Result<_>>()
                .map_err(JournalError::sql("integrity check"))?
        };
        Ok(JournalHealth {
            schema_version: version.unwrap_or(0),
            integrity: problems.join("; "),
            orders: count("SELECT count(*) FROM orders")?,
            executions: count("SELECT count(*) FROM executions")?,
            commissions: count("SELECT count(*) FROM commissions")?,
            audit: count("SELECT count(*) FROM audit")?,
            unknown_outcome: count(
                "SELECT count(*) FROM orders WHERE state IN ('pending_submit', 'sent')",
            )?,
            fills_without_commission: count(
                "SELECT count(*) FROM executions e WHERE NOT EXISTS \
                 (SELECT 1 FROM commissions c WHERE c.exec_id = e.exec_id)",
            )?,
        })
    }
}
