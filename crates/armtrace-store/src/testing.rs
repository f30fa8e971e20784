//! Test databases for the store scenario and the CLI tests (feature `testing`): SQLite in a
//! temporary directory always, and PostgreSQL when `ARMTRACE_TEST_PG` holds a URL, each test in a
//! schema of its own that is dropped afterwards.

use crate::{Location, StoreError};
use sqlx::Connection;
use std::path::PathBuf;

/// The environment variable that switches the PostgreSQL tests on.
pub const PG_ENV: &str = "ARMTRACE_TEST_PG";

/// A database for one test. Dropping it removes the PostgreSQL schema (best effort); the SQLite
/// file goes with its temporary directory.
#[derive(Debug)]
pub struct TestDb {
    pub location: Location,
    /// The URL or path to give `--db`.
    pub url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let path: PathBuf = dir.path().join("test.db");
        TestDb {
            location: Location::Sqlite(path.clone()),
            url: path.display().to_string(),
            pg: None,
            _dir: Some(dir),
        }
    }

    /// A fresh schema on the PostgreSQL server named by `ARMTRACE_TEST_PG`, or `None` (after saying
    /// so on stderr) when it is not set.
    #[allow(clippy::print_stderr)] // Test support: a skip must be visible in the test log.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(base) = std::env::var(PG_ENV) else {
            // CI switches the PostgreSQL tests on; there a missing URL is a broken set-up, not a skip.
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but {PG_ENV} is not set: .ci/run must point the tests at PostgreSQL"
                );
            }
            eprintln!("SKIPPED {test} on PostgreSQL: set {PG_ENV}=postgres://… to run it");
            return None;
        };
        let schema = format!("armtrace_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL does not answer: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("create schema {schema}: {e}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            location: Location::Postgres(url.clone()),
            url,
            pg: Some((base, schema)),
            _dir: None,
        })
    }

    /// Every backend this run can test: SQLite, and PostgreSQL when switched on.
    pub async fn all(test: &str) -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres(test).await);
        v
    }

    pub fn backend(&self) -> &'static str {
        match self.location {
            Location::Sqlite(_) => "sqlite",
            Location::Postgres(_) => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg.take() {
            // A separate thread with its own runtime: Drop may run inside another runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP SCHEMA IF EXISTS {schema} CASCADE"
                            )))
                            .execute(&mut c)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// The tables and columns of a store's schema, as (table, column, normalised type, nullable), sorted:
/// used to prove that the SQLite and PostgreSQL migrations define the same schema.
pub async fn schema_of(
    store: &crate::Store,
) -> Result<Vec<(String, String, String, bool)>, StoreError> {
    let mut cols: Vec<(String, String, String, bool)> = match &store.backend {
        crate::Backend::Sqlite(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            let mut out = Vec::new();
            for t in tables {
                let rows: Vec<(String, String, bool, bool)> = sqlx::query_as(
                    "SELECT name, type, \"notnull\", pk > 0 FROM pragma_table_info($1)",
                )
                .bind(&t)
                .fetch_all(p)
                .await?;
                for (name, ty, notnull, pk) in rows {
                    out.push((t.clone(), name, normalise_type(&ty), !(notnull || pk)));
                }
            }
            out
        }
        crate::Backend::Postgres(p) => {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|(t, c, ty, n)| (t, c, normalise_type(&ty), n == "YES"))
                .collect()
        }
    };
    cols.sort();
    Ok(cols)
}

fn normalise_type(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "text" | "character varying" => "text".into(),
        "bigint" | "integer" | "int8" => "integer".into(),
        "boolean" | "bool" => "boolean".into(),
        "blob" | "bytea" => "bytes".into(),
        other => other.into(),
    }
}

/// Writes transfers into a new release the way armtrace did before segments (schemas 2 to 5:
/// one `transfers` row and one `deliveries` row per delivery year), for proving that such
/// databases migrate. Use on a store from [`store_at_version`] at 5 or lower.
pub async fn write_schema5_transfers(
    store: &crate::Store,
    source: &str,
    name: &str,
    format: &str,
    transfers: &[armtrace_core::transfer::Transfer],
) -> Result<(), StoreError> {
    use crate::bulk::{OnConflict, Value, insert_rows};
    let release_id = armtrace_core::transfer::release_id(source, name, format).to_string();
    crate::with_pool!(store, p => {
        let mut tx = p.begin().await?;
        let no: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(release_no), 0) + 1 FROM releases")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO releases (id, release_no, source, name, format, selection, created_at) \
             VALUES ($1, $2, $3, $4, $5, NULL, '2025-01-01T00:00:00Z')",
        )
        .bind(&release_id)
        .bind(no)
        .bind(source)
        .bind(name)
        .bind(format)
        .execute(&mut *tx)
        .await?;
        let (mut rows, mut years, mut names) = (Vec::new(), Vec::new(), Vec::new());
        for (n, t) in transfers.iter().enumerate() {
            let n = n as i64;
            let values = (!t.values.is_empty()).then(|| serde_json::to_string(&t.values).unwrap_or_default());
            let r = armtrace_core::segment::row_of(n, t, values.as_deref());
            let (supplier, recipient) = (t.supplier.to_string(), t.recipient.to_string());
            names.push(vec![Value::Int(Some(no)), Value::from(supplier.as_str()), Value::from(r.supplier_name)]);
            names.push(vec![Value::Int(Some(no)), Value::from(recipient.as_str()), Value::from(r.recipient_name)]);
            for y in &r.deliveries {
                years.push(vec![
                    Value::Int(Some(no)), Value::Int(Some(n)), Value::Int(Some(y.year)),
                    Value::from(supplier.as_str()), Value::from(recipient.as_str()),
                    Value::Text(r.category.map(str::to_string)), Value::Bool(y.year_est),
                    Value::Int(y.number), Value::Bool(y.number_est), Value::Int(y.tiv), Value::Bool(y.spread),
                ]);
            }
            rows.push(vec![
                Value::Int(Some(no)), Value::Int(Some(n)), Value::from(r.record_key),
                Value::from(r.kind), Value::from(r.source_type),
                Value::from(supplier), Value::from(r.supplier_name),
                Value::from(recipient), Value::from(r.recipient_name),
                Value::from(r.designation), Value::from(armtrace_core::text::fold(r.designation)),
                Value::Text(r.description.map(str::to_string)), Value::Text(r.category.map(str::to_string)),
                Value::Int(r.order_year), Value::Bool(r.order_year_est),
                Value::Int(r.number_ordered), Value::Bool(r.number_ordered_est),
                Value::Int(r.number_delivered), Value::Bool(r.number_delivered_est),
                Value::Int(r.first_delivery), Value::Int(r.last_delivery),
                Value::Text(r.status.map(str::to_string)), Value::Bool(r.local_production),
                Value::Int(r.tiv_per_unit), Value::Int(r.tiv_deal_unit), Value::Int(r.tiv_total_order),
                Value::Int(r.tiv_delivered), Value::Int(r.deal_id),
                Value::Text(r.values_json.map(str::to_string)), Value::Text(r.comments.map(str::to_string)),
                Value::from(r.source_file), Value::Int(Some(r.source_line)),
            ]);
        }
        insert_rows(&mut tx, "transfers", &[
            "release_no", "n", "record_key", "kind", "source_type", "supplier", "supplier_name",
            "recipient", "recipient_name", "designation", "designation_folded", "description",
            "category", "order_year", "order_year_est", "number_ordered", "number_ordered_est",
            "number_delivered", "number_delivered_est", "first_delivery", "last_delivery", "status",
            "local_production", "tiv_per_unit", "tiv_deal_unit", "tiv_total_order", "tiv_delivered",
            "deal_id", "values_json", "comments", "source_file", "source_line",
        ], rows, OnConflict::Fail).await?;
        insert_rows(&mut tx, "deliveries", &[
            "release_no", "n", "year", "supplier", "recipient", "category", "year_est", "number",
            "number_est", "tiv", "spread",
        ], years, OnConflict::Fail).await?;
        insert_rows(&mut tx, "release_parties", &["release_no", "party", "name"], names, OnConflict::Ignore).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// A store left at an older schema `version` (only the migrations up to it applied), as an older
/// armtrace would have left it, for proving that existing databases migrate. The store's own
/// code may not run on an old schema; use it only for what that version already had.
pub async fn store_at_version(
    location: &Location,
    version: i64,
) -> Result<crate::Store, StoreError> {
    let backend = match location {
        Location::Sqlite(path) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .foreign_keys(true);
            let pool = sqlx::SqlitePool::connect_with(options).await?;
            crate::open::SQLITE_MIGRATIONS
                .run_to(version, &pool)
                .await?;
            crate::Backend::Sqlite(pool)
        }
        Location::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await?;
            crate::open::POSTGRES_MIGRATIONS
                .run_to(version, &pool)
                .await?;
            crate::Backend::Postgres(pool)
        }
    };
    Ok(crate::Store {
        backend,
        location: location.clone(),
        signer: None,
    })
}

/// Records a migration newer than this build knows, as a newer armtrace would have.
pub async fn pretend_newer_schema(store: &crate::Store, version: i64) -> Result<(), StoreError> {
    crate::with_pool!(store, p => {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, 'from a newer armtrace', TRUE, $2, 0)",
        )
        .bind(version)
        .bind(Vec::<u8>::new())
        .execute(p)
        .await?;
    });
    Ok(())
}

/// Ways to tamper with the audit log and the records directly in the database, as someone with
/// write access to the database (but not to the key file) could. Used by the tamper tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Change who made entry `seq`, leaving its hash as it was.
    ChangeEntry(i64),
    /// Delete entry `seq`.
    DeleteEntry(i64),
    /// Swap the sequence numbers of two entries.
    SwapEntries(i64, i64),
    /// Change who made entry `seq`, then recompute every hash so the chain is consistent again.
    RewriteChain(i64),
    /// Rewrite from `seq` as above and delete every checkpoint too.
    RewriteChainAndDropCheckpoints(i64),
    /// Rewrite from `seq` as above and delete the checkpoints from `seq` on (the checkpoints
    /// before still vouch for the unchanged entries).
    RewriteChainAndDropLaterCheckpoints(i64),
    /// Replace the public key recorded in the database with another.
    ReplaceRecordedKey,
    /// Append a `user.add` of an admin called mallory after the head, with the right hash for
    /// the chain rule (the first attack).
    AppendForgedEntry,
    /// Delete every entry and every checkpoint.
    Wipe,
    /// Delete the entries after `seq` and their checkpoints: the log looks like an older copy.
    CutAfter(i64),
    /// Any SQL on the records (`UPDATE evidence SET sha256 = …`, `INSERT INTO users …`).
    Sql(String),
}

/// Tampers with the audit log (or the records) of `store` with plain SQL.
pub async fn tamper(store: &crate::Store, how: Tamper) -> Result<(), StoreError> {
    use armtrace_core::audit::{AuditEntry, Change, GENESIS};
    crate::with_pool!(store, p => {
        match &how {
            Tamper::ChangeEntry(seq) => {
                sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1")
                    .bind(seq)
                    .execute(p)
                    .await?;
            }
            Tamper::DeleteEntry(seq) => {
                sqlx::query("DELETE FROM audit_log WHERE seq = $1")
                    .bind(seq)
                    .execute(p)
                    .await?;
            }
            Tamper::SwapEntries(a, b) => {
                for (from, to) in [(*a, -1), (*b, *a), (-1, *b)] {
                    sqlx::query("UPDATE audit_log SET seq = $1 WHERE seq = $2")
                        .bind(to)
                        .bind(from)
                        .execute(p)
                        .await?;
                }
            }
            Tamper::RewriteChain(seq)
            | Tamper::RewriteChainAndDropCheckpoints(seq)
            | Tamper::RewriteChainAndDropLaterCheckpoints(seq) => {
                sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1")
                    .bind(seq)
                    .execute(p)
                    .await?;
                let mut prev = GENESIS.to_string();
                for mut e in store.all_entries().await? {
                    e.prev_hash = prev;
                    e.hash = e.compute_hash();
                    sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                        .bind(&e.prev_hash)
                        .bind(&e.hash)
                        .bind(e.seq)
                        .execute(p)
                        .await?;
                    prev = e.hash;
                }
                match how {
                    Tamper::RewriteChainAndDropCheckpoints(_) => {
                        sqlx::query("DELETE FROM audit_checkpoints").execute(p).await?;
                    }
                    Tamper::RewriteChainAndDropLaterCheckpoints(seq) => {
                        sqlx::query("DELETE FROM audit_checkpoints WHERE seq >= $1")
                            .bind(seq)
                            .execute(p)
                            .await?;
                    }
                    _ => {}
                }
            }
            Tamper::ReplaceRecordedKey => {
                let other = armtrace_core::audit::AuditSigner::from_secret([42; 32]);
                sqlx::query("UPDATE schema_meta SET value = $1 WHERE key = 'audit_public_key'")
                    .bind(other.public_key_hex())
                    .execute(p)
                    .await?;
            }
            Tamper::AppendForgedEntry => {
                let (seq, prev): (i64, String) =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_one(p)
                        .await?;
                let e = AuditEntry::seal(
                    Change {
                        actor: "owner".into(),
                        action: "user.add".into(),
                        record_kind: "user".into(),
                        record_id: Some("x".into()),
                        investigation: None,
                        before: None,
                        after: Some(serde_json::json!({"name": "mallory", "role": "admin", "active": true})),
                    },
                    seq + 1,
                    crate::clock::now(),
                    prev,
                );
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor, action, record_kind, record_id, \
                     investigation_id, before_json, after_json, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $9)",
                )
                .bind(e.seq)
                .bind(&e.at)
                .bind(&e.change.actor)
                .bind(&e.change.action)
                .bind(&e.change.record_kind)
                .bind(&e.change.record_id)
                .bind(e.change.after.as_ref().map(armtrace_core::canonical::to_string))
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .execute(p)
                .await?;
            }
            Tamper::Wipe => {
                sqlx::query("DELETE FROM audit_log").execute(p).await?;
                sqlx::query("DELETE FROM audit_checkpoints").execute(p).await?;
            }
            Tamper::CutAfter(seq) => {
                sqlx::query("DELETE FROM audit_log WHERE seq > $1").bind(seq).execute(p).await?;
                sqlx::query("DELETE FROM audit_checkpoints WHERE seq > $1")
                    .bind(seq)
                    .execute(p)
                    .await?;
            }
            Tamper::Sql(sql) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(p).await?;
            }
        }
    });
    Ok(())
}

/// What the old code did at the end of every write command: sign whatever the head is, without
/// looking at it (the hole of the first attack). For the tests that show an attack
/// passed before.
pub async fn sign_head_blindly(
    store: &crate::Store,
    key: &armtrace_core::audit::AuditSigner,
) -> Result<(), StoreError> {
    crate::with_pool!(store, p => {
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_one(p)
                .await?;
        let cp = key.sign(seq, &hash, crate::clock::now());
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head_hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(cp.seq)
        .bind(&cp.head_hash)
        .bind(&cp.at)
        .bind(&cp.public_key)
        .bind(&cp.signature)
        .execute(p)
        .await?;
    });
    Ok(())
}

/// The verification armtrace did before issue 17, kept to show that each attack passed it: the
/// chain and its checkpoints (an empty log was valid), and the recorded key.
pub async fn legacy_verify(
    store: &crate::Store,
    trusted_key: &str,
) -> Result<armtrace_core::audit::Verification, StoreError> {
    use armtrace_core::audit::{Problem, ProblemKind, verify};
    let entries = store.all_entries().await?;
    let checkpoints = store.checkpoints().await?;
    let mut v = verify(&entries, &checkpoints, trusted_key);
    match store.audit_public_key().await? {
        Some(k) if k == trusted_key => {}
        None if entries.is_empty() => {}
        _ => v.problems.insert(
            0,
            Problem {
                seq: None,
                kind: ProblemKind::WrongKey,
                record: None,
                reason: "wrong key".into(),
            },
        ),
    }
    Ok(v)
}

/// The entries as stored, for tests.
pub async fn entries(
    store: &crate::Store,
) -> Result<Vec<armtrace_core::audit::AuditEntry>, StoreError> {
    store.all_entries().await
}

/// How many audit entries the store holds (to prove a refused write left nothing behind).
pub async fn audit_entry_count(store: &crate::Store) -> Result<usize, StoreError> {
    Ok(store.all_entries().await?.len())
}
