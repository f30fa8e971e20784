//! Opening a store: checking the location, connecting, and creating or migrating the schema.
//! Migrations are versioned per backend (`migrations/sqlite`, `migrations/postgres`); a database
//! written by a newer armtrace is refused, never downgraded.

use crate::error::{
    bad_location, no_database, not_a_database, not_initialised, schema_outdated, schema_too_new,
    unreachable,
};
use crate::location::redact;
use crate::{Backend, Location, Store, StoreError, with_pool};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The schema version this build of armtrace writes (the highest migration).
pub const SCHEMA_VERSION: i64 = 9;

/// How long to wait for PostgreSQL before saying it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What opening may do to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the database if it is missing and migrate it to [`SCHEMA_VERSION`] (`init`, `demo`).
    CreateOrMigrate,
    /// Use an existing database that is already at [`SCHEMA_VERSION`].
    Existing,
}

impl Store {
    /// Opens the store at `location`.
    pub async fn open(location: &Location, mode: OpenMode) -> Result<Store, StoreError> {
        let backend = match location {
            Location::Sqlite(path) => Backend::Sqlite(open_sqlite(path, mode).await?),
            Location::Postgres(url) => Backend::Postgres(open_postgres(url).await?),
        };
        let store = Store {
            backend,
            location: location.clone(),
            signer: None,
        };
        let found = store.applied_version().await?;
        match (mode, found) {
            (_, Some(v)) if v > SCHEMA_VERSION => {
                store.close().await;
                Err(schema_too_new(v, SCHEMA_VERSION))
            }
            (OpenMode::CreateOrMigrate, _) => {
                store.migrate().await?;
                Ok(store)
            }
            (OpenMode::Existing, None) => Err(not_initialised()),
            (OpenMode::Existing, Some(v)) if v < SCHEMA_VERSION => {
                Err(schema_outdated(v, SCHEMA_VERSION))
            }
            // Migration 6 ran but moving its transfers into segments did not finish: until it
            // does, the transfers are not where queries and imports look.
            (OpenMode::Existing, Some(_)) if store.has_legacy_transfers().await? => {
                Err(schema_outdated(5, SCHEMA_VERSION))
            }
            (OpenMode::Existing, Some(_)) => Ok(store),
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Backend::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        // Migration 6 moved transfers to segments; their rows are encoded in Rust.
        self.convert_legacy_transfers().await?;
        // Migration 9's folded columns are armtrace's own folding.
        crate::item_queries::fill_item_keys(self).await
    }

    /// The highest migration applied, or `None` for a database armtrace never initialised.
    pub async fn applied_version(&self) -> Result<Option<i64>, StoreError> {
        let has_table: bool = match &self.backend {
            Backend::Sqlite(p) => sqlx::query_scalar(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(p)
            .await
            .map_err(|e| self.explain_open_error(e))?,
            Backend::Postgres(p) => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(p)
                    .await?
            }
        };
        if !has_table {
            return Ok(None);
        }
        let v: Option<i64> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(p)
                .await?
        });
        Ok(v)
    }

    fn explain_open_error(&self, e: sqlx::Error) -> StoreError {
        match (&self.location, &e) {
            (Location::Sqlite(path), sqlx::Error::Database(db))
                if db.message().contains("not a database") =>
            {
                not_a_database(path)
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

async fn open_sqlite(path: &Path, mode: OpenMode) -> Result<sqlx::SqlitePool, StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(not_a_database(path));
        }
        Ok(meta) if meta.len() > 0 => {
            let mut header = [0u8; 16];
            let ok = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
                .is_ok();
            if !ok || &header != SQLITE_HEADER {
                return Err(not_a_database(path));
            }
        }
        Ok(_) => {}
        Err(_) if mode == OpenMode::Existing => {
            return Err(no_database(path));
        }
        Err(_) => {}
    }
    if mode == OpenMode::CreateOrMigrate && std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        refuse_foreign_sqlite(path).await?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(mode == OpenMode::CreateOrMigrate)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Bulk imports touch several indexes at random (UUID keys): a 64 MiB page cache and an
        // in-memory statement journal keep them from spilling pages to disk mid-transaction.
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.message().contains("not a database") => {
                not_a_database(path)
            }
            _ => StoreError::Database(e),
        })?;
    Ok(pool)
}

/// A SQLite file that holds another program's tables is not ours to add tables to. Looks read-only,
/// before anything (such as switching to WAL) could change the file.
async fn refuse_foreign_sqlite(path: &Path) -> Result<(), StoreError> {
    use sqlx::Connection;
    let not_ours = || not_a_database(path);
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|_| not_ours())?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|_| not_ours())?;
    let _ = conn.close().await;
    if tables.is_empty() || tables.iter().any(|t| t == "_sqlx_migrations") {
        Ok(())
    } else {
        Err(not_ours())
    }
}

async fn open_postgres(url: &str) -> Result<sqlx::PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url).map_err(|_| bad_location(&redact(url)))?;
    let unreachable = |reason: String| unreachable(&redact(url), &reason);
    let connect = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options);
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(pool)) => Ok(pool),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} seconds",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}
