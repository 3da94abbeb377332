//! The SQLite schema and its version.

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1. Prices and money are trade-core fixed-point raw values (1e-8),
/// timestamps are UTC nanoseconds, quantities whole units.
pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE orders (
    local_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ns      INTEGER NOT NULL,
    updated_ns      INTEGER NOT NULL,
    strategy        TEXT    NOT NULL,
    instrument      TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    qty             INTEGER NOT NULL CHECK (qty > 0),
    limit_price_raw INTEGER,
    state           TEXT    NOT NULL,
    broker_order_id INTEGER,
    perm_id         INTEGER,
    filled_qty      INTEGER NOT NULL DEFAULT 0,
    order_json      TEXT    NOT NULL
);
CREATE INDEX orders_by_perm_id ON orders(perm_id);
CREATE INDEX orders_by_state ON orders(state);
CREATE TABLE executions (
    exec_id    TEXT PRIMARY KEY,
    local_id   INTEGER REFERENCES orders(local_id),
    order_ref  TEXT,
    perm_id    INTEGER,
    ts_ns      INTEGER NOT NULL,
    instrument TEXT    NOT NULL,
    side       TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    qty        INTEGER NOT NULL CHECK (qty > 0),
    price_raw  INTEGER NOT NULL
);
CREATE INDEX executions_by_order ON executions(local_id);
CREATE TABLE commissions (
    exec_id          TEXT PRIMARY KEY,
    commission_raw   INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    realized_pnl_raw INTEGER,
    ts_ns            INTEGER NOT NULL
);
CREATE TABLE position_snapshots (
    snapshot_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns       INTEGER NOT NULL
);
CREATE TABLE position_lines (
    snapshot_id  INTEGER NOT NULL REFERENCES position_snapshots(snapshot_id),
    instrument   TEXT    NOT NULL,
    qty          INTEGER NOT NULL,
    avg_cost_raw INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, instrument)
);
CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns    INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    local_id INTEGER,
    payload  TEXT    NOT NULL
);
CREATE INDEX audit_by_order ON audit(local_id);
INSERT INTO schema_version (version) VALUES (1);
";
