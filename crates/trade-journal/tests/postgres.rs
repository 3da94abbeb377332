//! The PostgreSQL journal against the server on 127.0.0.1 (trust auth, as
//! on this project's machines and CI): the backend contract, the writer
//! lock, masked passwords, and a connection killed by the server. Each
//! test gets a database of its own, dropped at the end.
//!
//! `TRADE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! names the server and the database to create others from. Without a
//! server these tests fail: CI has one.

mod common;
mod contract;

use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};
use trade_journal::{Journal, JournalError, PgJournal, SqliteJournal};

fn admin_url() -> String {
    std::env::var("TRADE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database, dropped (with its connections) when this goes.
struct Db {
    name: String,
    url: String,
}

impl Db {
    fn new() -> Db {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "trade_journal_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = Client::connect(&admin_url(), NoTls).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is needed for these tests: {e}",
                trade_journal::mask_url(&admin_url())
            )
        });
        // One statement per call: DROP/CREATE DATABASE refuse to run in
        // the implicit transaction of a multi-statement batch.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = admin_url();
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("TRADE_TEST_PG_URL must end in /<database>"),
        };
        Db { name, url }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&admin_url(), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
fn postgres_keeps_the_order_lifecycle_across_reconnects() {
    let db = Db::new();
    let url = db.url.clone();
    contract::lifecycle_survives_reopen(&move || Box::new(PgJournal::connect(&url).unwrap()));
}

#[test]
fn postgres_keeps_the_audit_trail_in_order() {
    let db = Db::new();
    contract::audit_trail_in_order(&mut PgJournal::connect(&db.url).unwrap());
}

#[test]
fn postgres_reconciliation_applies_once() {
    let db = Db::new();
    contract::reconciliation_applies_once(&mut PgJournal::connect(&db.url).unwrap());
}

/// The same contract on SQLite, so the two backends are held to one bar.
#[test]
fn sqlite_meets_the_same_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    contract::lifecycle_survives_reopen(&|| Box::new(SqliteJournal::open(&path).unwrap()));
    contract::audit_trail_in_order(&mut SqliteJournal::open_in_memory().unwrap());
    contract::reconciliation_applies_once(&mut SqliteJournal::open_in_memory().unwrap());
}

#[test]
fn a_second_writer_is_refused_until_the_first_is_gone() {
    let db = Db::new();
    let first = PgJournal::connect(&db.url).unwrap();
    let err = PgJournal::connect(&db.url).unwrap_err();
    assert!(matches!(err, JournalError::PgLocked { .. }), "{err}");
    assert!(
        err.to_string().contains("already open for writing"),
        "{err}"
    );
    drop(first);
    // The lock goes with the connection.
    let mut again = PgJournal::connect(&db.url).unwrap();
    again.record_intent(&common::intent(1, 1)).unwrap();
}

#[test]
fn passwords_never_appear_in_errors() {
    let db = Db::new();
    // A wrong port with a password in the URL: the error names where, not
    // the password.
    let url = "postgres://trader:hunter2secret@127.0.0.1:1/nowhere";
    let err = PgJournal::connect(url).unwrap_err().to_string();
    assert!(err.contains("127.0.0.1:1/nowhere"), "{err}");
    assert!(
        !err.contains("hunter2secret") && !err.contains("trader"),
        "{err}"
    );
    drop(db);
}

#[test]
fn a_connection_killed_by_the_server_is_an_error_not_a_panic() {
    let db = Db::new();
    let mut j = PgJournal::connect(&db.url).unwrap();
    j.record_intent(&common::intent(1, 1)).unwrap();
    let mut admin = Client::connect(&admin_url(), NoTls).unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db.name],
        )
        .unwrap();
    let err = j.record_intent(&common::intent(2, 1)).unwrap_err();
    assert!(matches!(err, JournalError::Postgres { .. }), "{err}");
    // Reads fail the same way; nothing panics, nothing reconnects silently.
    assert!(j.open_orders().is_err());
}

#[test]
fn a_database_with_foreign_tables_is_refused() {
    let db = Db::new();
    let mut c = Client::connect(&db.url, NoTls).unwrap();
    c.batch_execute("CREATE TABLE orders (id INT)").unwrap();
    drop(c);
    let err = PgJournal::connect(&db.url).unwrap_err().to_string();
    assert!(err.contains("not a trade journal"), "{err}");
    let mut c = Client::connect(&db.url, NoTls).unwrap();
    c.batch_execute("DROP TABLE orders; CREATE TABLE schema_version (version BIGINT); INSERT INTO schema_version VALUES (99)")
        .unwrap();
    drop(c);
    let err = PgJournal::connect(&db.url).unwrap_err();
    assert!(
        matches!(err, JournalError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}
