//! [`SqliteJournal`]: the default [`Journal`] backend (one SQLite file, WAL,
//! `synchronous=FULL`).

mod query;

pub use query::{FillLine, JournalHealth, OrderQuery};

use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, Transaction, params};
use serde_json::json;
use trade_core::{Money, Price, Qty, Side, Timestamp};

use crate::error::{JournalError, Result};
use crate::schema::{SCHEMA_V1, SCHEMA_VERSION};
use crate::{
    ApplySummary, AuditEntry, AuditKind, BrokerAck, BrokerView, Commission, Execution, Journal,
    JournalOrder, JournalSnapshot, LocalOrderId, NewIntent, OrderState, PositionLine,
    ReconcilePlan, Recorded, StateChange,
};

/// The SQLite journal. Single writer: open one per process and account.
#[derive(Debug)]
pub struct SqliteJournal {
    conn: Connection,
    path: PathBuf,
    /// Held (advisory `flock`) for the journal's lifetime by writers; released
    /// by the OS when the process dies, so a crash never leaves it stale.
    _lock: Option<File>,
}

/// How a journal is opened.
enum Access {
    /// Writes allowed; the lock file handle for an on-disk journal.
    Writer(Option<File>),
    /// Reads only, no lock.
    ReadOnly,
}

const ORDER_COLUMNS: &str = "local_id, created_ns, updated_ns, strategy, instrument, side, qty, \
     limit_price_raw, state, broker_order_id, perm_id, filled_qty, order_json";

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

fn to_i64(what: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| JournalError::OutOfRange { what, value })
}

fn side_from(text: &str, table: &'static str, row: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(JournalError::Decode {
            table,
            row: row.to_owned(),
            column: "side",
            detail: format!("expected 'buy' or 'sell', found {other:?}"),
        }),
    }
}

fn qty_from(value: i64, table: &'static str, column: &'static str, row: &str) -> Result<Qty> {
    u64::try_from(value)
        .map(Qty::new)
        .map_err(|_| JournalError::Decode {
            table,
            row: row.to_owned(),
            column,
            detail: format!("expected a non-negative quantity, found {value}"),
        })
}

/// The raw column values of an `orders` row, decoded outside rusqlite's
/// closure so decoding errors keep their context.
struct OrderRow {
    local_id: i64,
    created_ns: i64,
    updated_ns: i64,
    strategy: String,
    instrument: String,
    side: String,
    qty: i64,
    limit_price_raw: Option<i64>,
    state: String,
    broker_order_id: Option<i64>,
    perm_id: Option<i64>,
    filled_qty: i64,
    order_json: String,
}

impl OrderRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
        Ok(OrderRow {
            local_id: r.get(0)?,
            created_ns: r.get(1)?,
            updated_ns: r.get(2)?,
            strategy: r.get(3)?,
            instrument: r.get(4)?,
            side: r.get(5)?,
            qty: r.get(6)?,
            limit_price_raw: r.get(7)?,
            state: r.get(8)?,
            broker_order_id: r.get(9)?,
            perm_id: r.get(10)?,
            filled_qty: r.get(11)?,
            order_json: r.get(12)?,
        })
    }

    fn decode(self) -> Result<JournalOrder> {
        let row = self.local_id.to_string();
        let state = OrderState::parse(&self.state).ok_or_else(|| JournalError::Decode {
            table: "orders",
            row: row.clone(),
            column: "state",
            detail: format!("unknown state {:?}", self.state),
        })?;
        let order = serde_json::from_str(&self.order_json).map_err(|e| JournalError::Decode {
            table: "orders",
            row: row.clone(),
            column: "order_json",
            detail: e.to_string(),
        })?;
        Ok(JournalOrder {
            local_id: LocalOrderId(self.local_id),
            created: Timestamp::from_nanos(self.created_ns),
            updated: Timestamp::from_nanos(self.updated_ns),
            strategy: self.strategy,
            instrument: self.instrument,
            side: side_from(&self.side, "orders", &row)?,
            qty: qty_from(self.qty, "orders", "qty", &row)?,
            limit_price: self.limit_price_raw.map(Price::from_raw),
            state,
            broker_order_id: self.broker_order_id,
            perm_id: self.perm_id,
            filled: qty_from(self.filled_qty, "orders", "filled_qty", &row)?,
            order,
        })
    }
}

impl SqliteJournal {
    /// Opens (or creates) the journal at `path`.
    ///
    /// # Errors
    /// [`JournalError::Corrupt`] if the file is not a SQLite database, fails
    /// `PRAGMA quick_check`, or holds tables but no schema version;
    /// [`JournalError::NewerSchema`] if a newer program wrote it (the file is
    /// left untouched); [`JournalError::Open`] for anything else.
    /// [`JournalError::Locked`] if another writer has it open.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteJournal> {
        let path = path.as_ref().to_path_buf();
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| JournalError::Lock {
                path: lock_path.clone(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path,
                    lock: lock_path,
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(JournalError::Lock {
                    path: lock_path,
                    source,
                });
            }
        }
        let journal = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&path, e))
        .and_then(|conn| Self::init(conn, path, Access::Writer(Some(lock))));
        if let Err(e) = &journal {
            // The one line an operator needs: which file, what is wrong, and
            // that nothing will be traded until it is fixed.
            tracing::error!(error = %e, "journal refused; trading stays stopped");
        }
        journal
    }

    /// Opens an existing journal for reading only (the `trade journal`
    /// command, while the engine writes). Takes no lock and changes nothing;
    /// the write methods of [`Journal`] fail with [`JournalError::Sqlite`].
    ///
    /// # Errors
    /// As [`SqliteJournal::open`], and [`JournalError::Corrupt`] for a file
    /// without a journal schema.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteJournal> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&path, e))?;
        Self::init(conn, path, Access::ReadOnly)
    }

    /// A journal in memory (tests, simulations): same SQL, no durability.
    ///
    /// # Errors
    /// [`JournalError::Open`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<SqliteJournal> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| classify(&path, e))?;
        Self::init(conn, path, Access::Writer(None))
    }

    /// The file this journal lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Only a writer may switch to WAL or create the schema.
    fn init(conn: Connection, path: PathBuf, access: Access) -> Result<SqliteJournal> {
        let fail = |e: rusqlite::Error| classify(&path, e);
        conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
        // Check before changing anything: a newer or foreign file must stay untouched.
        let check: Vec<String> = {
            let mut stmt = conn.prepare("PRAGMA quick_check(5)").map_err(fail)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(fail)?;
            rows.collect::<rusqlite::Result<_>>().map_err(fail)?
        };
        if check.first().map(String::as_str) != Some("ok") {
            return Err(JournalError::Corrupt {
                path,
                detail: format!("PRAGMA quick_check: {}", check.join("; ")),
            });
        }
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        let has_version: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(fail)?
            > 0;
        let found = if has_version {
            let v: Option<i64> = conn
                .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
                .map_err(fail)?;
            Some(v.ok_or_else(|| JournalError::Corrupt {
                path: path.clone(),
                detail: "table schema_version is empty".to_owned(),
            })?)
        } else if tables > 0 {
            return Err(JournalError::Corrupt {
                path,
                detail: format!("{tables} tables but no schema_version: not a trade journal"),
            });
        } else if matches!(access, Access::ReadOnly) {
            return Err(JournalError::Corrupt {
                path,
                detail: "empty file: not a trade journal".to_owned(),
            });
        } else {
            None
        };
        if let Some(found) = found {
            if found > SCHEMA_VERSION {
                return Err(JournalError::NewerSchema {
                    path,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < 1 {
                return Err(JournalError::Corrupt {
                    path,
                    detail: format!("schema version {found} is not a valid version"),
                });
            }
        }
        let lock = match access {
            Access::ReadOnly => {
                return Ok(SqliteJournal {
                    conn,
                    path,
                    _lock: None,
                });
            }
            Access::Writer(lock) => lock,
        };
        // WAL: a torn write of the last transaction is discarded by checksum on
        // recovery; FULL: every commit is fsynced before the call returns.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if mode != "wal" && path != Path::new(":memory:") {
            tracing::warn!(path = %path.display(), mode, "journal: WAL not available");
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(fail)?;
        if found.is_none() {
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA_V1} COMMIT;"))
                .map_err(fail)?;
            tracing::info!(path = %path.display(), version = SCHEMA_VERSION, "journal created");
        }
        Ok(SqliteJournal {
            conn,
            path,
            _lock: lock,
        })
    }

    fn tx(&mut self) -> Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(JournalError::sql("begin transaction"))
    }

    fn load_order(conn: &Connection, id: LocalOrderId) -> Result<Option<JournalOrder>> {
        conn.query_row(
            &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE local_id = ?1"),
            [id.0],
            OrderRow::read,
        )
        .optional()
        .map_err(JournalError::sql("read order"))?
        .map(OrderRow::decode)
        .transpose()
    }

    fn load_orders(&self, where_clause: &str) -> Result<Vec<JournalOrder>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE {where_clause} ORDER BY local_id"
            ))
            .map_err(JournalError::sql("read orders"))?;
        let rows = stmt
            .query_map([], OrderRow::read)
            .map_err(JournalError::sql("read orders"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(JournalError::sql("read orders"))?;
        rows.into_iter().map(OrderRow::decode).collect()
    }
}

fn classify(path: &Path, e: rusqlite::Error) -> JournalError {
    if is_corruption(&e) {
        JournalError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    } else {
        JournalError::Open {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// The columns of an `executions` row, in `SELECT exec_id, order_ref,
/// perm_id, ts_ns, instrument, side, qty, price_raw` order.
type ExecutionRow = (
    String,
    Option<String>,
    Option<i64>,
    i64,
    String,
    String,
    i64,
    i64,
);

/// An `executions` row, its side and quantity checked.
fn decode_execution(row: ExecutionRow) -> Result<Execution> {
    let (exec_id, order_ref, perm_id, ts, instrument, side, qty, price) = row;
    Ok(Execution {
        side: side_from(&side, "executions", &exec_id)?,
        qty: qty_from(qty, "executions", "qty", &exec_id)?,
        exec_id,
        order_ref,
        perm_id,
        ts: Timestamp::from_nanos(ts),
        instrument,
        price: Price::from_raw(price),
    })
}

fn audit(
    tx: &Transaction<'_>,
    ts: Timestamp,
    kind: AuditKind,
    local_id: Option<LocalOrderId>,
    payload: &serde_json::Value,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO audit (ts_ns, kind, local_id, payload) VALUES (?1, ?2, ?3, ?4)",
        params![
            ts.nanos(),
            kind.as_str(),
            local_id.map(|i| i.0),
            payload.to_string()
        ],
    )
    .map_err(JournalError::sql("write audit line"))?;
    Ok(tx.last_insert_rowid())
}

fn current_state(tx: &Transaction<'_>, id: LocalOrderId) -> Result<OrderState> {
    let text: Option<String> = tx
        .query_row(
            "SELECT state FROM orders WHERE local_id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(JournalError::sql("read order state"))?;
    let text = text.ok_or(JournalError::UnknownOrder(id))?;
    OrderState::parse(&text).ok_or_else(|| JournalError::Decode {
        table: "orders",
        row: id.to_string(),
        column: "state",
        detail: format!("unknown state {text:?}"),
    })
}

/// Moves an order to `next` if that is progress, storing broker ids if given,
/// and logs the report either way.
fn transition(
    tx: &Transaction<'_>,
    id: LocalOrderId,
    next: OrderState,
    ack: Option<BrokerAck>,
    ts: Timestamp,
    detail: &str,
) -> Result<StateChange> {
    let cur = current_state(tx, id)?;
    if let Some(ack) = ack {
        tx.execute(
            "UPDATE orders SET broker_order_id = coalesce(?2, broker_order_id), \
             perm_id = coalesce(?3, perm_id), updated_ns = ?4 WHERE local_id = ?1",
            params![id.0, ack.broker_order_id, ack.perm_id, ts.nanos()],
        )
        .map_err(JournalError::sql("store broker ids"))?;
    }
    let change = if cur.accepts(next) {
        tx.execute(
            "UPDATE orders SET state = ?2, updated_ns = ?3 WHERE local_id = ?1",
            params![id.0, next.as_str(), ts.nanos()],
        )
        .map_err(JournalError::sql("update order state"))?;
        StateChange::Applied
    } else {
        StateChange::Stale
    };
    audit(
        tx,
        ts,
        AuditKind::Order,
        Some(id),
        &json!({
            "from": cur.as_str(),
            "to": next.as_str(),
            "applied": change == StateChange::Applied,
            "broker_order_id": ack.and_then(|a| a.broker_order_id),
            "perm_id": ack.and_then(|a| a.perm_id),
            "detail": detail,
        }),
    )?;
    Ok(change)
}

/// Writes one execution unless its exec id is known; links it to a journal
/// order by `local_id` hint, `orderRef` or permId.
fn insert_execution(
    tx: &Transaction<'_>,
    exec: &Execution,
    hint: Option<LocalOrderId>,
) -> Result<Recorded> {
    let qty = to_i64("execution quantity", exec.qty.get())?;
    let by_ref = exec
        .order_ref
        .as_deref()
        .and_then(LocalOrderId::from_order_ref);
    let mut local_id = None;
    for candidate in hint.into_iter().chain(by_ref) {
        let exists: bool = tx
            .query_row(
                "SELECT count(*) FROM orders WHERE local_id = ?1",
                [candidate.0],
                |r| r.get::<_, i64>(0),
            )
            .map_err(JournalError::sql("look up order of execution"))?
            > 0;
        if exists {
            local_id = Some(candidate);
            break;
        }
    }
    if local_id.is_none()
        && let Some(perm) = exec.perm_id
    {
        local_id = tx
            .query_row(
                "SELECT local_id FROM orders WHERE perm_id = ?1 ORDER BY local_id DESC LIMIT 1",
                [perm],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(JournalError::sql("look up order of execution"))?
            .map(LocalOrderId);
    }
    let inserted = tx
        .execute(
            "INSERT INTO executions (exec_id, local_id, order_ref, perm_id, ts_ns, instrument, side, qty, price_raw) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(exec_id) DO NOTHING",
            params![
                exec.exec_id,
                local_id.map(|i| i.0),
                exec.order_ref,
                exec.perm_id,
                exec.ts.nanos(),
                exec.instrument,
                exec.side.as_str(),
                qty,
                exec.price.raw()
            ],
        )
        .map_err(JournalError::sql("write execution"))?;
    if inserted == 0 {
        let (old_qty, old_price): (i64, i64) = tx
            .query_row(
                "SELECT qty, price_raw FROM executions WHERE exec_id = ?1",
                [&exec.exec_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(JournalError::sql("read execution"))?;
        if old_qty != qty || old_price != exec.price.raw() {
            // Same id, different content: keep the first (the journal never
            // rewrites a fill) but leave a trace for the operator.
            tracing::warn!(exec_id = %exec.exec_id, old_qty, qty, "journal: execution repeated with different content; first kept");
            audit(
                tx,
                exec.ts,
                AuditKind::Reconcile,
                local_id,
                &json!({"duplicate_exec_id_differs": exec.exec_id, "kept_qty": old_qty,
                        "kept_price_raw": old_price, "new_qty": qty, "new_price_raw": exec.price.raw()}),
            )?;
        }
        return Ok(Recorded::AlreadyKnown);
    }
    if let Some(id) = local_id {
        tx.execute(
            "UPDATE orders SET filled_qty = filled_qty + ?2, updated_ns = max(updated_ns, ?3) WHERE local_id = ?1",
            params![id.0, qty, exec.ts.nanos()],
        )
        .map_err(JournalError::sql("update filled quantity"))?;
    }
    audit(
        tx,
        exec.ts,
        AuditKind::Fill,
        local_id,
        &serde_json::to_value(exec).unwrap_or_else(|e| json!({"encode_error": e.to_string()})),
    )?;
    Ok(Recorded::New)
}

impl Journal for SqliteJournal {
    fn record_intent(&mut self, intent: &NewIntent) -> Result<LocalOrderId> {
        let qty = to_i64("order quantity", intent.qty.get())?;
        let tx = self.tx()?;
        tx.execute(
            "INSERT INTO orders (created_ns, updated_ns, strategy, instrument, side, qty, limit_price_raw, state, order_json) \
             VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                intent.ts.nanos(),
                intent.strategy,
                intent.instrument,
                intent.side.as_str(),
                qty,
                intent.limit_price.map(Price::raw),
                OrderState::PendingSubmit.as_str(),
                intent.order.to_string()
            ],
        )
        .map_err(JournalError::sql("write order intent"))?;
        let id = LocalOrderId(tx.last_insert_rowid());
        audit(
            &tx,
            intent.ts,
            AuditKind::Order,
            Some(id),
            &json!({"to": OrderState::PendingSubmit.as_str(), "order_ref": id.order_ref(),
                    "intent": serde_json::to_value(intent).unwrap_or_default()}),
        )?;
        tx.commit()
            .map_err(JournalError::sql("commit order intent"))?;
        Ok(id)
    }

    fn mark_sent(&mut self, id: LocalOrderId, ts: Timestamp) -> Result<StateChange> {
        let tx = self.tx()?;
        let change = transition(&tx, id, OrderState::Sent, None, ts, "sent")?;
        tx.commit().map_err(JournalError::sql("commit sent"))?;
        Ok(change)
    }

    fn record_broker_ack(
        &mut self,
        id: LocalOrderId,
        ack: BrokerAck,
        ts: Timestamp,
    ) -> Result<StateChange> {
        let tx = self.tx()?;
        let change = transition(&tx, id, OrderState::Working, Some(ack), ts, "broker ack")?;
        tx.commit()
            .map_err(JournalError::sql("commit broker ack"))?;
        Ok(change)
    }

    fn record_status(
        &mut self,
        id: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) -> Result<StateChange> {
        let tx = self.tx()?;
        let change = transition(&tx, id, state, None, ts, detail)?;
        tx.commit()
            .map_err(JournalError::sql("commit order state"))?;
        Ok(change)
    }

    fn record_execution(&mut self, exec: &Execution) -> Result<Recorded> {
        let tx = self.tx()?;
        let rec = insert_execution(&tx, exec, None)?;
        tx.commit().map_err(JournalError::sql("commit execution"))?;
        Ok(rec)
    }

    fn record_commission(&mut self, c: &Commission) -> Result<Recorded> {
        let tx = self.tx()?;
        let n = tx
            .execute(
                "INSERT INTO commissions (exec_id, commission_raw, currency, realized_pnl_raw, ts_ns) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(exec_id) DO NOTHING",
                params![
                    c.exec_id,
                    c.commission.raw(),
                    c.currency,
                    c.realized_pnl.map(Money::raw),
                    c.ts.nanos()
                ],
            )
            .map_err(JournalError::sql("write commission"))?;
        let rec = if n == 0 {
            Recorded::AlreadyKnown
        } else {
            let local_id: Option<i64> = tx
                .query_row(
                    "SELECT local_id FROM executions WHERE exec_id = ?1",
                    [&c.exec_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(JournalError::sql("look up execution of commission"))?
                .flatten();
            audit(
                &tx,
                c.ts,
                AuditKind::Commission,
                local_id.map(LocalOrderId),
                &serde_json::to_value(c).unwrap_or_default(),
            )?;
            Recorded::New
        };
        tx.commit()
            .map_err(JournalError::sql("commit commission"))?;
        Ok(rec)
    }

    fn record_positions(&mut self, ts: Timestamp, lines: &[PositionLine]) -> Result<i64> {
        let tx = self.tx()?;
        tx.execute(
            "INSERT INTO position_snapshots (ts_ns) VALUES (?1)",
            [ts.nanos()],
        )
        .map_err(JournalError::sql("write position snapshot"))?;
        let id = tx.last_insert_rowid();
        for l in lines {
            tx.execute(
                "INSERT INTO position_lines (snapshot_id, instrument, qty, avg_cost_raw) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(snapshot_id, instrument) DO UPDATE SET qty = qty + excluded.qty",
                params![id, l.instrument, l.qty, l.avg_cost.raw()],
            )
            .map_err(JournalError::sql("write position line"))?;
        }
        audit(
            &tx,
            ts,
            AuditKind::Positions,
            None,
            &json!({"snapshot_id": id, "lines": lines.len()}),
        )?;
        tx.commit()
            .map_err(JournalError::sql("commit position snapshot"))?;
        Ok(id)
    }

    fn record_decision(
        &mut self,
        ts: Timestamp,
        strategy: &str,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let tx = self.tx()?;
        let seq = audit(
            &tx,
            ts,
            AuditKind::Decision,
            None,
            &json!({"strategy": strategy, "decision": payload}),
        )?;
        tx.commit().map_err(JournalError::sql("commit decision"))?;
        Ok(seq)
    }

    fn record_risk_verdict(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let tx = self.tx()?;
        let seq = audit(&tx, ts, AuditKind::RiskVerdict, local_id, payload)?;
        tx.commit()
            .map_err(JournalError::sql("commit risk verdict"))?;
        Ok(seq)
    }

    fn record_control(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let tx = self.tx()?;
        let seq = audit(&tx, ts, AuditKind::Control, local_id, payload)?;
        tx.commit().map_err(JournalError::sql("commit control"))?;
        Ok(seq)
    }

    fn order(&self, id: LocalOrderId) -> Result<Option<JournalOrder>> {
        Self::load_order(&self.conn, id)
    }

    fn orders_with_unknown_outcome(&self) -> Result<Vec<JournalOrder>> {
        self.load_orders("state IN ('pending_submit', 'sent')")
    }

    fn open_orders(&self) -> Result<Vec<JournalOrder>> {
        self.load_orders("state IN ('pending_submit', 'sent', 'working')")
    }

    fn executions_for(&self, id: LocalOrderId) -> Result<Vec<Execution>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT exec_id, order_ref, perm_id, ts_ns, instrument, side, qty, price_raw \
                 FROM executions WHERE local_id = ?1 ORDER BY ts_ns, exec_id",
            )
            .map_err(JournalError::sql("read executions"))?;
        let rows: Vec<ExecutionRow> = stmt
            .query_map([id.0], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(JournalError::sql("read executions"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(JournalError::sql("read executions"))?;
        rows.into_iter().map(decode_execution).collect()
    }

    fn last_execution_time(&self) -> Result<Option<Timestamp>> {
        let ns: Option<i64> = self
            .conn
            .query_row("SELECT max(ts_ns) FROM executions", [], |r| r.get(0))
            .map_err(JournalError::sql("read last execution time"))?;
        Ok(ns.map(Timestamp::from_nanos))
    }

    fn max_broker_order_id(&self) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT max(broker_order_id) FROM orders", [], |r| r.get(0))
            .map_err(JournalError::sql("read the highest broker order id"))
    }

    fn snapshot_for(&self, view: &BrokerView) -> Result<JournalSnapshot> {
        let mut orders = self.open_orders()?;
        let mut have: HashSet<LocalOrderId> = orders.iter().map(|o| o.local_id).collect();
        let refs = view
            .open_orders
            .iter()
            .chain(&view.completed_orders)
            .map(|o| (o.order_ref.as_deref(), o.perm_id))
            .chain(
                view.executions
                    .iter()
                    .map(|e| (e.order_ref.as_deref(), e.perm_id)),
            );
        let mut by_perm = self
            .conn
            .prepare("SELECT local_id FROM orders WHERE perm_id = ?1")
            .map_err(JournalError::sql("look up order by permId"))?;
        for (order_ref, perm_id) in refs {
            let mut ids: Vec<LocalOrderId> = order_ref
                .and_then(LocalOrderId::from_order_ref)
                .into_iter()
                .collect();
            if let Some(perm) = perm_id {
                let found = by_perm
                    .query_map([perm], |r| r.get::<_, i64>(0))
                    .map_err(JournalError::sql("look up order by permId"))?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(JournalError::sql("look up order by permId"))?;
                ids.extend(found.into_iter().map(LocalOrderId));
            }
            for id in ids {
                if have.insert(id)
                    && let Some(o) = self.order(id)?
                {
                    orders.push(o);
                }
            }
        }
        let mut known_exec_ids = HashSet::new();
        let mut stmt = self
            .conn
            .prepare("SELECT 1 FROM executions WHERE exec_id = ?1")
            .map_err(JournalError::sql("look up execution"))?;
        for e in &view.executions {
            if stmt
                .exists([&e.exec_id])
                .map_err(JournalError::sql("look up execution"))?
            {
                known_exec_ids.insert(e.exec_id.clone());
            }
        }
        Ok(JournalSnapshot {
            orders,
            known_exec_ids,
        })
    }

    fn apply(&mut self, plan: &ReconcilePlan, ts: Timestamp) -> Result<ApplySummary> {
        let tx = self.tx()?;
        let mut summary = ApplySummary::default();
        for f in &plan.fills {
            match insert_execution(&tx, &f.exec, f.local_id)? {
                Recorded::New => summary.fills_applied += 1,
                Recorded::AlreadyKnown => summary.fills_already_known += 1,
            }
        }
        for s in &plan.states {
            if transition(&tx, s.local_id, s.state, Some(s.ack), ts, "reconciliation")?
                == StateChange::Applied
            {
                summary.states_applied += 1;
            }
        }
        for o in &plan.external_orders {
            tracing::warn!(perm_id = ?o.perm_id, order_ref = ?o.order_ref, instrument = %o.instrument, "journal: external order at the broker");
            audit(
                &tx,
                ts,
                AuditKind::Reconcile,
                None,
                &json!({"external_order": serde_json::to_value(o).unwrap_or_default()}),
            )?;
        }
        for id in &plan.unresolved {
            tracing::warn!(local_id = %id, "journal: order outcome unknown and not at the broker; not resubmitting");
            audit(
                &tx,
                ts,
                AuditKind::Reconcile,
                Some(*id),
                &json!({"unresolved": id.0}),
            )?;
        }
        for a in &plan.anomalies {
            tracing::warn!(anomaly = %a, "journal: reconciliation anomaly");
            audit(&tx, ts, AuditKind::Reconcile, None, &json!({"anomaly": a}))?;
        }
        tx.commit()
            .map_err(JournalError::sql("commit reconciliation"))?;
        Ok(summary)
    }

    fn audit_after(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.audit_rows(
            "SELECT seq, ts_ns, kind, local_id, payload FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            &[&after, &limit],
        )
    }
}

impl SqliteJournal {
    /// Decodes audit rows selected by `sql` (columns seq, ts_ns, kind,
    /// local_id, payload).
    pub(crate) fn audit_rows(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(JournalError::sql("read audit"))?;
        let rows: Vec<(i64, i64, String, Option<i64>, String)> = stmt
            .query_map(params, |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(JournalError::sql("read audit"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(JournalError::sql("read audit"))?;
        rows.into_iter()
            .map(|(seq, ts, kind, local_id, payload)| {
                let decode = |column, detail| JournalError::Decode {
                    table: "audit",
                    row: seq.to_string(),
                    column,
                    detail,
                };
                Ok(AuditEntry {
                    seq,
                    ts: Timestamp::from_nanos(ts),
                    kind: AuditKind::parse(&kind)
                        .ok_or_else(|| decode("kind", format!("unknown kind {kind:?}")))?,
                    local_id: local_id.map(LocalOrderId),
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| decode("payload", e.to_string()))?,
                })
            })
            .collect()
    }
}
