//! [`PgJournal`]: the journal in PostgreSQL, for an operator who keeps
//! state in a database server (backups, replicas, several readers).
//!
//! Same tables and semantics as the SQLite journal (every write is one
//! committed transaction before the call returns; executions and
//! commissions idempotent by exec id; stale states logged, not applied).
//! The connection lives on a thread of its own: the synchronous
//! `postgres` client runs its own small runtime, which must not be nested
//! in the session's. One writer per database, enforced by a session-level
//! advisory lock that the server releases when the connection dies. A lost
//! connection is an error of every later call, never a reconnect: the
//! session halts new orders rather than risk an unrecorded one.

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread::JoinHandle;

use postgres::{Client, NoTls, Transaction};
use serde_json::json;
use trade_core::{Money, Price, Qty, Side, Timestamp};

use crate::error::{JournalError, Result};
use crate::schema::SCHEMA_VERSION;
use crate::{
    ApplySummary, AuditEntry, AuditKind, BrokerAck, BrokerView, Commission, Execution, Journal,
    JournalOrder, JournalSnapshot, LocalOrderId, NewIntent, OrderState, PositionLine,
    ReconcilePlan, Recorded, StateChange,
};

/// The advisory lock key of the writer ("trade" journal).
pub const LOCK_KEY: i64 = 0x7472_6164_655f_6a31;

/// Schema version 1 in PostgreSQL types (same columns as SQLite's).
const SCHEMA_V1: &str = "
CREATE TABLE schema_version (version BIGINT NOT NULL);
CREATE TABLE orders (
    local_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_ns      BIGINT NOT NULL,
    updated_ns      BIGINT NOT NULL,
    strategy        TEXT   NOT NULL,
    instrument      TEXT   NOT NULL,
    side            TEXT   NOT NULL CHECK (side IN ('buy', 'sell')),
    qty             BIGINT NOT NULL CHECK (qty > 0),
    limit_price_raw BIGINT,
    state           TEXT   NOT NULL,
    broker_order_id BIGINT,
    perm_id         BIGINT,
    filled_qty      BIGINT NOT NULL DEFAULT 0,
    order_json      TEXT   NOT NULL
);
CREATE INDEX orders_by_perm_id ON orders(perm_id);
CREATE INDEX orders_by_state ON orders(state);
CREATE TABLE executions (
    exec_id    TEXT PRIMARY KEY,
    local_id   BIGINT REFERENCES orders(local_id),
    order_ref  TEXT,
    perm_id    BIGINT,
    ts_ns      BIGINT NOT NULL,
    instrument TEXT   NOT NULL,
    side       TEXT   NOT NULL CHECK (side IN ('buy', 'sell')),
    qty        BIGINT NOT NULL CHECK (qty > 0),
    price_raw  BIGINT NOT NULL
);
CREATE INDEX executions_by_order ON executions(local_id);
CREATE TABLE commissions (
    exec_id          TEXT PRIMARY KEY,
    commission_raw   BIGINT NOT NULL,
    currency         TEXT   NOT NULL,
    realized_pnl_raw BIGINT,
    ts_ns            BIGINT NOT NULL
);
CREATE TABLE position_snapshots (
    snapshot_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts_ns       BIGINT NOT NULL
);
CREATE TABLE position_lines (
    snapshot_id  BIGINT NOT NULL REFERENCES position_snapshots(snapshot_id),
    instrument   TEXT   NOT NULL,
    qty          BIGINT NOT NULL,
    avg_cost_raw BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, instrument)
);
CREATE TABLE audit (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts_ns    BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    local_id BIGINT,
    payload  TEXT   NOT NULL
);
CREATE INDEX audit_by_order ON audit(local_id);
INSERT INTO schema_version (version) VALUES (1);
";

const ORDER_COLUMNS: &str = "local_id, created_ns, updated_ns, strategy, instrument, side, qty, \
     limit_price_raw, state, broker_order_id, perm_id, filled_qty, order_json";

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// The PostgreSQL journal.
pub struct PgJournal {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
    target: String,
}

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJournal")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// `host:port/db` of a `postgres://user:password@host:port/db?...` URL (or
/// of a `key=value` connection string), without user or password.
pub fn mask_url(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let after_at = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        return after_at
            .split_once('?')
            .map_or(after_at, |(h, _)| h)
            .to_string();
    }
    let get = |k: &str| {
        url.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("?")
    };
    format!("{}:{}/{}", get("host"), get("port"), get("dbname"))
}

fn pg<'a>(target: &'a str, op: &'static str) -> impl Fn(postgres::Error) -> JournalError + 'a {
    move |e| JournalError::Postgres {
        target: target.to_string(),
        op,
        detail: e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
    }
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

fn decode_order(r: &postgres::Row) -> Result<JournalOrder> {
    let local_id: i64 = r.get(0);
    let row = local_id.to_string();
    let state: String = r.get(8);
    let order_json: String = r.get(12);
    let side: String = r.get(5);
    Ok(JournalOrder {
        local_id: LocalOrderId(local_id),
        created: Timestamp::from_nanos(r.get(1)),
        updated: Timestamp::from_nanos(r.get(2)),
        strategy: r.get(3),
        instrument: r.get(4),
        side: side_from(&side, "orders", &row)?,
        qty: qty_from(r.get(6), "orders", "qty", &row)?,
        limit_price: r.get::<_, Option<i64>>(7).map(Price::from_raw),
        state: OrderState::parse(&state).ok_or_else(|| JournalError::Decode {
            table: "orders",
            row: row.clone(),
            column: "state",
            detail: format!("unknown state {state:?}"),
        })?,
        broker_order_id: r.get(9),
        perm_id: r.get(10),
        filled: qty_from(r.get(11), "orders", "filled_qty", &row)?,
        order: serde_json::from_str(&order_json).map_err(|e| JournalError::Decode {
            table: "orders",
            row,
            column: "order_json",
            detail: e.to_string(),
        })?,
    })
}

fn decode_execution(r: &postgres::Row) -> Result<Execution> {
    let exec_id: String = r.get(0);
    let side: String = r.get(5);
    Ok(Execution {
        side: side_from(&side, "executions", &exec_id)?,
        qty: qty_from(r.get(6), "executions", "qty", &exec_id)?,
        order_ref: r.get(1),
        perm_id: r.get(2),
        ts: Timestamp::from_nanos(r.get(3)),
        instrument: r.get(4),
        price: Price::from_raw(r.get(7)),
        exec_id,
    })
}

fn decode_audit(r: &postgres::Row) -> Result<AuditEntry> {
    let seq: i64 = r.get(0);
    let kind: String = r.get(2);
    let payload: String = r.get(4);
    let decode = |column, detail| JournalError::Decode {
        table: "audit",
        row: seq.to_string(),
        column,
        detail,
    };
    Ok(AuditEntry {
        seq,
        ts: Timestamp::from_nanos(r.get(1)),
        kind: AuditKind::parse(&kind)
            .ok_or_else(|| decode("kind", format!("unknown kind {kind:?}")))?,
        local_id: r.get::<_, Option<i64>>(3).map(LocalOrderId),
        payload: serde_json::from_str(&payload).map_err(|e| decode("payload", e.to_string()))?,
    })
}

/// Work inside one transaction, with the target for error messages.
struct Tx<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    target: &'a str,
}

impl Tx<'_, '_> {
    fn audit(
        &mut self,
        ts: Timestamp,
        kind: AuditKind,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let row = self
            .tx
            .query_one(
                "INSERT INTO audit (ts_ns, kind, local_id, payload) VALUES ($1, $2, $3, $4) RETURNING seq",
                &[
                    &ts.nanos(),
                    &kind.as_str(),
                    &local_id.map(|i| i.0),
                    &payload.to_string(),
                ],
            )
            .map_err(pg(self.target, "write audit line"))?;
        Ok(row.get(0))
    }

    fn current_state(&mut self, id: LocalOrderId) -> Result<OrderState> {
        let row = self
            .tx
            .query_opt("SELECT state FROM orders WHERE local_id = $1", &[&id.0])
            .map_err(pg(self.target, "read order state"))?
            .ok_or(JournalError::UnknownOrder(id))?;
        let text: String = row.get(0);
        OrderState::parse(&text).ok_or_else(|| JournalError::Decode {
            table: "orders",
            row: id.to_string(),
            column: "state",
            detail: format!("unknown state {text:?}"),
        })
    }

    fn transition(
        &mut self,
        id: LocalOrderId,
        next: OrderState,
        ack: Option<BrokerAck>,
        ts: Timestamp,
        detail: &str,
    ) -> Result<StateChange> {
        let cur = self.current_state(id)?;
        if let Some(ack) = ack {
            self.tx
                .execute(
                    "UPDATE orders SET broker_order_id = coalesce($2, broker_order_id), \
                     perm_id = coalesce($3, perm_id), updated_ns = $4 WHERE local_id = $1",
                    &[&id.0, &ack.broker_order_id, &ack.perm_id, &ts.nanos()],
                )
                .map_err(pg(self.target, "store broker ids"))?;
        }
        let change = if cur.accepts(next) {
            self.tx
                .execute(
                    "UPDATE orders SET state = $2, updated_ns = $3 WHERE local_id = $1",
                    &[&id.0, &next.as_str(), &ts.nanos()],
                )
                .map_err(pg(self.target, "update order state"))?;
            StateChange::Applied
        } else {
            StateChange::Stale
        };
        self.audit(
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

    fn insert_execution(
        &mut self,
        exec: &Execution,
        hint: Option<LocalOrderId>,
    ) -> Result<Recorded> {
        let target = self.target;
        let qty = to_i64("execution quantity", exec.qty.get())?;
        let by_ref = exec
            .order_ref
            .as_deref()
            .and_then(LocalOrderId::from_order_ref);
        let mut local_id = None;
        for candidate in hint.into_iter().chain(by_ref) {
            let exists = self
                .tx
                .query_opt("SELECT 1 FROM orders WHERE local_id = $1", &[&candidate.0])
                .map_err(pg(target, "look up order of execution"))?
                .is_some();
            if exists {
                local_id = Some(candidate);
                break;
            }
        }
        if local_id.is_none()
            && let Some(perm) = exec.perm_id
        {
            local_id = self
                .tx
                .query_opt(
                    "SELECT local_id FROM orders WHERE perm_id = $1 ORDER BY local_id DESC LIMIT 1",
                    &[&perm],
                )
                .map_err(pg(target, "look up order of execution"))?
                .map(|r| LocalOrderId(r.get(0)));
        }
        let inserted = self
            .tx
            .execute(
                "INSERT INTO executions (exec_id, local_id, order_ref, perm_id, ts_ns, instrument, side, qty, price_raw) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (exec_id) DO NOTHING",
                &[
                    &exec.exec_id,
                    &local_id.map(|i| i.0),
                    &exec.order_ref,
                    &exec.perm_id,
                    &exec.ts.nanos(),
                    &exec.instrument,
                    &exec.side.as_str(),
                    &qty,
                    &exec.price.raw(),
                ],
            )
            .map_err(pg(target, "write execution"))?;
        if inserted == 0 {
            let row = self
                .tx
                .query_one(
                    "SELECT qty, price_raw FROM executions WHERE exec_id = $1",
                    &[&exec.exec_id],
                )
                .map_err(pg(target, "read execution"))?;
            let (old_qty, old_price): (i64, i64) = (row.get(0), row.get(1));
            if old_qty != qty || old_price != exec.price.raw() {
                tracing::warn!(exec_id = %exec.exec_id, old_qty, qty, "journal: execution repeated with different content; first kept");
                self.audit(
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
            self.tx
                .execute(
                    "UPDATE orders SET filled_qty = filled_qty + $2, updated_ns = greatest(updated_ns, $3) WHERE local_id = $1",
                    &[&id.0, &qty, &exec.ts.nanos()],
                )
                .map_err(pg(target, "update filled quantity"))?;
        }
        self.audit(
            exec.ts,
            AuditKind::Fill,
            local_id,
            &serde_json::to_value(exec).unwrap_or_else(|e| json!({"encode_error": e.to_string()})),
        )?;
        Ok(Recorded::New)
    }
}

impl PgJournal {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`),
    /// takes the writer lock, and creates the schema if the database has
    /// none.
    ///
    /// # Errors
    /// [`JournalError::Postgres`] when the server cannot be reached or a
    /// statement fails; [`JournalError::PgLocked`] when another process
    /// writes this journal; [`JournalError::NewerSchema`] when a newer
    /// program created it. No error message carries the password.
    pub fn connect(url: &str) -> Result<PgJournal> {
        Self::open(url, true)
    }

    /// Connects for reading only: no writer lock, no schema creation (a
    /// running session may hold the lock). Writes through it are refused
    /// by nothing but convention: use it for queries.
    ///
    /// # Errors
    /// As [`PgJournal::connect`], and when the database holds no journal.
    pub fn connect_read_only(url: &str) -> Result<PgJournal> {
        Self::open(url, false)
    }

    fn open(url: &str, writer: bool) -> Result<PgJournal> {
        let target = mask_url(url);
        let mut client = Client::connect(url, NoTls).map_err(pg(&target, "connect"))?;
        Self::prepare(&mut client, &target, writer)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name("trade-journal-pg".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut client);
                }
            })
            .map_err(|e| JournalError::Postgres {
                target: target.clone(),
                op: "start the connection thread",
                detail: e.to_string(),
            })?;
        Ok(PgJournal {
            jobs: Some(tx),
            worker: Some(worker),
            target,
        })
    }

    /// Where this journal lives (`host:port/db`).
    pub fn target(&self) -> &str {
        &self.target
    }

    fn prepare(client: &mut Client, target: &str, writer: bool) -> Result<()> {
        let locked: bool = !writer
            || client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
                .map_err(pg(target, "take the writer lock"))?
                .get::<_, bool>(0);
        if !locked {
            return Err(JournalError::PgLocked {
                target: target.to_string(),
                key: LOCK_KEY,
            });
        }
        let has_version = client
            .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
            .map_err(pg(target, "read the schema"))?
            .get::<_, bool>(0);
        if !has_version {
            let has_orders = client
                .query_one("SELECT to_regclass('orders') IS NOT NULL", &[])
                .map_err(pg(target, "read the schema"))?
                .get::<_, bool>(0);
            if has_orders || !writer {
                let detail = if has_orders {
                    "table orders exists but schema_version does not: not a trade journal"
                } else {
                    "no journal in this database"
                };
                return Err(JournalError::Postgres {
                    target: target.to_string(),
                    op: "read the schema",
                    detail: detail.into(),
                });
            }
            let mut tx = client
                .transaction()
                .map_err(pg(target, "create the schema"))?;
            tx.batch_execute(SCHEMA_V1)
                .map_err(pg(target, "create the schema"))?;
            tx.commit().map_err(pg(target, "create the schema"))?;
            tracing::info!(target = %target, version = SCHEMA_VERSION, "journal created");
            return Ok(());
        }
        let found: Option<i64> = client
            .query_one("SELECT max(version) FROM schema_version", &[])
            .map_err(pg(target, "read the schema version"))?
            .get(0);
        match found {
            Some(v) if v > SCHEMA_VERSION => Err(JournalError::NewerSchema {
                path: target.into(),
                found: v,
                supported: SCHEMA_VERSION,
            }),
            Some(v) if v >= 1 => Ok(()),
            other => Err(JournalError::Postgres {
                target: target.to_string(),
                op: "read the schema version",
                detail: format!("invalid schema version {other:?}"),
            }),
        }
    }

    /// Runs `f` on the connection thread and waits for its answer.
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &str) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let gone = || JournalError::Postgres {
            target: self.target.clone(),
            op: "call",
            detail: "the connection thread has stopped".into(),
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let target = self.target.clone();
        let job: Job = Box::new(move |client| {
            let _ = reply_tx.send(f(client, &target));
        });
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        reply_rx.recv().map_err(|_| gone())?
    }

    /// Runs `f` in one transaction, committed before returning.
    fn write<R: Send + 'static>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut Tx<'_, '_>) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.call(move |client, target| {
            let mut tx = client.transaction().map_err(pg(target, op))?;
            let out = f(&mut Tx {
                tx: &mut tx,
                target,
            })?;
            tx.commit().map_err(pg(target, op))?;
            Ok(out)
        })
    }

    fn load_orders(&self, where_clause: &'static str) -> Result<Vec<JournalOrder>> {
        self.call(move |c, target| {
            c.query(
                &format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE {where_clause} ORDER BY local_id"
                ),
                &[],
            )
            .map_err(pg(target, "read orders"))?
            .iter()
            .map(decode_order)
            .collect()
        })
    }
}

impl crate::JournalQueries for PgJournal {
    fn query_orders(&self, q: &crate::OrderQuery) -> Result<Vec<JournalOrder>> {
        let q = q.clone();
        let limit = if q.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(q.limit).unwrap_or(i64::MAX)
        };
        self.call(move |c, target| {
            c.query(
                &format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE ($1::TEXT IS NULL OR state = $1) \
                     AND ($2::TEXT IS NULL OR strategy = $2) AND ($3::BIGINT IS NULL OR created_ns >= $3) \
                     ORDER BY local_id DESC LIMIT $4"
                ),
                &[
                    &q.state.map(OrderState::as_str),
                    &q.strategy,
                    &q.since.map(Timestamp::nanos),
                    &limit,
                ],
            )
            .map_err(pg(target, "read orders"))?
            .iter()
            .map(decode_order)
            .collect()
        })
    }

    fn query_fills(&self, since: Option<Timestamp>, limit: usize) -> Result<Vec<crate::FillLine>> {
        let from = since.map_or(i64::MIN, Timestamp::nanos);
        let limit = if limit == 0 {
            i64::MAX
        } else {
            i64::try_from(limit).unwrap_or(i64::MAX)
        };
        self.call(move |c, target| {
            c.query(
                "SELECT e.exec_id, e.order_ref, e.perm_id, e.ts_ns, e.instrument, e.side, e.qty, \
                 e.price_raw, e.local_id, c.commission_raw \
                 FROM executions e LEFT JOIN commissions c ON c.exec_id = e.exec_id \
                 WHERE e.ts_ns >= $1 ORDER BY e.ts_ns DESC, e.exec_id LIMIT $2",
                &[&from, &limit],
            )
            .map_err(pg(target, "read executions"))?
            .iter()
            .map(|r| {
                Ok(crate::FillLine {
                    execution: decode_execution(r)?,
                    local_id: r.get::<_, Option<i64>>(8).map(LocalOrderId),
                    commission: r.get::<_, Option<i64>>(9).map(Money::from_raw),
                })
            })
            .collect()
        })
    }

    fn audit_of(&self, id: LocalOrderId) -> Result<Vec<AuditEntry>> {
        self.call(move |c, target| {
            c.query(
                "SELECT seq, ts_ns, kind, local_id, payload FROM audit WHERE local_id = $1 ORDER BY seq",
                &[&id.0],
            )
            .map_err(pg(target, "read audit"))?
            .iter()
            .map(decode_audit)
            .collect()
        })
    }

    fn health(&self) -> Result<crate::JournalHealth> {
        self.call(|c, target| {
            let count = |c: &mut Client, sql: &str| -> Result<i64> {
                Ok(c.query_one(sql, &[])
                    .map_err(pg(target, "count rows"))?
                    .get(0))
            };
            let version: Option<i64> = c
                .query_one("SELECT max(version) FROM schema_version", &[])
                .map_err(pg(target, "read schema version"))?
                .get(0);
            Ok(crate::JournalHealth {
                schema_version: version.unwrap_or(0),
                // Page-level integrity is the server's (checksums, WAL);
                // references are enforced by the schema's constraints.
                integrity: "ok".into(),
                orders: count(c, "SELECT count(*) FROM orders")?,
                executions: count(c, "SELECT count(*) FROM executions")?,
                commissions: count(c, "SELECT count(*) FROM commissions")?,
                audit: count(c, "SELECT count(*) FROM audit")?,
                unknown_outcome: count(
                    c,
                    "SELECT count(*) FROM orders WHERE state IN ('pending_submit', 'sent')",
                )?,
                fills_without_commission: count(
                    c,
                    "SELECT count(*) FROM executions e WHERE NOT EXISTS \
                     (SELECT 1 FROM commissions c WHERE c.exec_id = e.exec_id)",
                )?,
            })
        })
    }
}

impl Drop for PgJournal {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which closes the connection
        // (and with it the advisory lock).
        self.jobs.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Journal for PgJournal {
    fn record_intent(&mut self, intent: &NewIntent) -> Result<LocalOrderId> {
        let qty = to_i64("order quantity", intent.qty.get())?;
        let intent = intent.clone();
        self.write("write order intent", move |t| {
            let row = t
                .tx
                .query_one(
                    "INSERT INTO orders (created_ns, updated_ns, strategy, instrument, side, qty, limit_price_raw, state, order_json) \
                     VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING local_id",
                    &[
                        &intent.ts.nanos(),
                        &intent.strategy,
                        &intent.instrument,
                        &intent.side.as_str(),
                        &qty,
                        &intent.limit_price.map(Price::raw),
                        &OrderState::PendingSubmit.as_str(),
                        &intent.order.to_string(),
                    ],
                )
                .map_err(pg(t.target, "write order intent"))?;
            let id = LocalOrderId(row.get(0));
            t.audit(
                intent.ts,
                AuditKind::Order,
                Some(id),
                &json!({"to": OrderState::PendingSubmit.as_str(), "order_ref": id.order_ref(),
                        "intent": serde_json::to_value(&intent).unwrap_or_default()}),
            )?;
            Ok(id)
        })
    }

    fn mark_sent(&mut self, id: LocalOrderId, ts: Timestamp) -> Result<StateChange> {
        self.write("commit sent", move |t| {
            t.transition(id, OrderState::Sent, None, ts, "sent")
        })
    }

    fn record_broker_ack(
        &mut self,
        id: LocalOrderId,
        ack: BrokerAck,
        ts: Timestamp,
    ) -> Result<StateChange> {
        self.write("commit broker ack", move |t| {
            t.transition(id, OrderState::Working, Some(ack), ts, "broker ack")
        })
    }

    fn record_status(
        &mut self,
        id: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) -> Result<StateChange> {
        let detail = detail.to_string();
        self.write("commit order state", move |t| {
            t.transition(id, state, None, ts, &detail)
        })
    }

    fn record_execution(&mut self, exec: &Execution) -> Result<Recorded> {
        let exec = exec.clone();
        self.write("commit execution", move |t| t.insert_execution(&exec, None))
    }

    fn record_commission(&mut self, c: &Commission) -> Result<Recorded> {
        let c = c.clone();
        self.write("commit commission", move |t| {
            let n = t
                .tx
                .execute(
                    "INSERT INTO commissions (exec_id, commission_raw, currency, realized_pnl_raw, ts_ns) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (exec_id) DO NOTHING",
                    &[
                        &c.exec_id,
                        &c.commission.raw(),
                        &c.currency,
                        &c.realized_pnl.map(Money::raw),
                        &c.ts.nanos(),
                    ],
                )
                .map_err(pg(t.target, "write commission"))?;
            if n == 0 {
                return Ok(Recorded::AlreadyKnown);
            }
            let local_id: Option<i64> = t
                .tx
                .query_opt(
                    "SELECT local_id FROM executions WHERE exec_id = $1",
                    &[&c.exec_id],
                )
                .map_err(pg(t.target, "look up execution of commission"))?
                .and_then(|r| r.get(0));
            t.audit(
                c.ts,
                AuditKind::Commission,
                local_id.map(LocalOrderId),
                &serde_json::to_value(&c).unwrap_or_default(),
            )?;
            Ok(Recorded::New)
        })
    }

    fn record_positions(&mut self, ts: Timestamp, lines: &[PositionLine]) -> Result<i64> {
        let lines = lines.to_vec();
        self.write("commit position snapshot", move |t| {
            let id: i64 = t
                .tx
                .query_one(
                    "INSERT INTO position_snapshots (ts_ns) VALUES ($1) RETURNING snapshot_id",
                    &[&ts.nanos()],
                )
                .map_err(pg(t.target, "write position snapshot"))?
                .get(0);
            for l in &lines {
                t.tx.execute(
                    "INSERT INTO position_lines (snapshot_id, instrument, qty, avg_cost_raw) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (snapshot_id, instrument) DO UPDATE SET qty = position_lines.qty + excluded.qty",
                    &[&id, &l.instrument, &l.qty, &l.avg_cost.raw()],
                )
                .map_err(pg(t.target, "write position line"))?;
            }
            t.audit(
                ts,
                AuditKind::Positions,
                None,
                &json!({"snapshot_id": id, "lines": lines.len()}),
            )?;
            Ok(id)
        })
    }

    fn record_decision(
        &mut self,
        ts: Timestamp,
        strategy: &str,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let p = json!({"strategy": strategy, "decision": payload});
        self.write("commit decision", move |t| {
            t.audit(ts, AuditKind::Decision, None, &p)
        })
    }

    fn record_risk_verdict(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let p = payload.clone();
        self.write("commit risk verdict", move |t| {
            t.audit(ts, AuditKind::RiskVerdict, local_id, &p)
        })
    }

    fn record_control(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let p = payload.clone();
        self.write("commit control", move |t| {
            t.audit(ts, AuditKind::Control, local_id, &p)
        })
    }

    fn order(&self, id: LocalOrderId) -> Result<Option<JournalOrder>> {
        self.call(move |c, target| {
            c.query_opt(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE local_id = $1"),
                &[&id.0],
            )
            .map_err(pg(target, "read order"))?
            .as_ref()
            .map(decode_order)
            .transpose()
        })
    }

    fn orders_with_unknown_outcome(&self) -> Result<Vec<JournalOrder>> {
        self.load_orders("state IN ('pending_submit', 'sent')")
    }

    fn open_orders(&self) -> Result<Vec<JournalOrder>> {
        self.load_orders("state IN ('pending_submit', 'sent', 'working')")
    }

    fn executions_for(&self, id: LocalOrderId) -> Result<Vec<Execution>> {
        self.call(move |c, target| {
            c.query(
                "SELECT exec_id, order_ref, perm_id, ts_ns, instrument, side, qty, price_raw \
                 FROM executions WHERE local_id = $1 ORDER BY ts_ns, exec_id",
                &[&id.0],
            )
            .map_err(pg(target, "read executions"))?
            .iter()
            .map(decode_execution)
            .collect()
        })
    }

    fn last_execution_time(&self) -> Result<Option<Timestamp>> {
        self.call(|c, target| {
            let ns: Option<i64> = c
                .query_one("SELECT max(ts_ns) FROM executions", &[])
                .map_err(pg(target, "read last execution time"))?
                .get(0);
            Ok(ns.map(Timestamp::from_nanos))
        })
    }

    fn max_broker_order_id(&self) -> Result<Option<i64>> {
        self.call(|c, target| {
            Ok(c.query_one("SELECT max(broker_order_id) FROM orders", &[])
                .map_err(pg(target, "read the highest broker order id"))?
                .get(0))
        })
    }

    fn snapshot_for(&self, view: &BrokerView) -> Result<JournalSnapshot> {
        let mut orders = self.open_orders()?;
        let mut have: HashSet<LocalOrderId> = orders.iter().map(|o| o.local_id).collect();
        let perms: Vec<Option<i64>> = view
            .open_orders
            .iter()
            .chain(&view.completed_orders)
            .map(|o| o.perm_id)
            .chain(view.executions.iter().map(|e| e.perm_id))
            .collect();
        let exec_ids: Vec<String> = view.executions.iter().map(|e| e.exec_id.clone()).collect();
        let (by_perm, known): (Vec<Vec<i64>>, Vec<String>) = self.call(move |c, target| {
            let mut by_perm = Vec::with_capacity(perms.len());
            for perm in &perms {
                let ids = match perm {
                    Some(p) => c
                        .query("SELECT local_id FROM orders WHERE perm_id = $1", &[p])
                        .map_err(pg(target, "look up order by permId"))?
                        .iter()
                        .map(|r| r.get(0))
                        .collect(),
                    None => Vec::new(),
                };
                by_perm.push(ids);
            }
            let known = c
                .query(
                    "SELECT exec_id FROM executions WHERE exec_id = ANY($1)",
                    &[&exec_ids],
                )
                .map_err(pg(target, "look up execution"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            Ok((by_perm, known))
        })?;
        let refs = view
            .open_orders
            .iter()
            .chain(&view.completed_orders)
            .map(|o| o.order_ref.as_deref())
            .chain(view.executions.iter().map(|e| e.order_ref.as_deref()));
        for (order_ref, perm_ids) in refs.zip(by_perm) {
            let ids = order_ref
                .and_then(LocalOrderId::from_order_ref)
                .into_iter()
                .chain(perm_ids.into_iter().map(LocalOrderId));
            for id in ids {
                if have.insert(id)
                    && let Some(o) = self.order(id)?
                {
                    orders.push(o);
                }
            }
        }
        Ok(JournalSnapshot {
            orders,
            known_exec_ids: known.into_iter().collect(),
        })
    }

    fn apply(&mut self, plan: &ReconcilePlan, ts: Timestamp) -> Result<ApplySummary> {
        let plan = plan.clone();
        self.write("commit reconciliation", move |t| {
            let mut summary = ApplySummary::default();
            for f in &plan.fills {
                match t.insert_execution(&f.exec, f.local_id)? {
                    Recorded::New => summary.fills_applied += 1,
                    Recorded::AlreadyKnown => summary.fills_already_known += 1,
                }
            }
            for s in &plan.states {
                if t.transition(s.local_id, s.state, Some(s.ack), ts, "reconciliation")?
                    == StateChange::Applied
                {
                    summary.states_applied += 1;
                }
            }
            for o in &plan.external_orders {
                tracing::warn!(perm_id = ?o.perm_id, order_ref = ?o.order_ref, instrument = %o.instrument, "journal: external order at the broker");
                t.audit(
                    ts,
                    AuditKind::Reconcile,
                    None,
                    &json!({"external_order": serde_json::to_value(o).unwrap_or_default()}),
                )?;
            }
            for id in &plan.unresolved {
                tracing::warn!(local_id = %id, "journal: order outcome unknown and not at the broker; not resubmitting");
                t.audit(ts, AuditKind::Reconcile, Some(*id), &json!({"unresolved": id.0}))?;
            }
            for a in &plan.anomalies {
                tracing::warn!(anomaly = %a, "journal: reconciliation anomaly");
                t.audit(ts, AuditKind::Reconcile, None, &json!({"anomaly": a}))?;
            }
            Ok(summary)
        })
    }

    fn audit_after(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |c, target| {
            c.query(
                "SELECT seq, ts_ns, kind, local_id, payload FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )
            .map_err(pg(target, "read audit"))?
            .iter()
            .map(decode_audit)
            .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_masked_to_host_port_and_database() {
        assert_eq!(
            mask_url("postgres://trader:s3cret@db.local:5433/journal?sslmode=disable"),
            "db.local:5433/journal"
        );
        assert_eq!(mask_url("postgresql://127.0.0.1/test"), "127.0.0.1/test");
        assert_eq!(
            mask_url("host=127.0.0.1 port=5432 user=u password=pw dbname=test"),
            "127.0.0.1:5432/test"
        );
    }
}
