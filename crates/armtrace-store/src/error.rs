//! Store errors. Each says what happened and what the user can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} is not an armtrace database (it is not a SQLite file); it was left untouched. Give another --db path"
    )]
    NotADatabase { path: PathBuf },
    #[error("no database at {path}: run `armtrace init` first, or give --db")]
    NoDatabase { path: PathBuf },
    #[error(
        "cannot reach PostgreSQL at {url}: {reason}. Check that the server runs and the URL is right"
    )]
    Unreachable { url: String, reason: String },
    #[error("'{0}' is not a database location: give a SQLite file path or a postgres:// URL")]
    BadLocation(String),
    #[error(
        "the database has schema version {found} but this armtrace knows only up to {known}: it was written by a newer armtrace. Upgrade armtrace; the database was not changed"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error(
        "the database has schema version {found}, this armtrace needs {known}: run `armtrace init` to migrate it"
    )]
    SchemaOutdated { found: i64, known: i64 },
    #[error("the database is not initialised: run `armtrace init`")]
    NotInitialised,
    #[error("invalid data: {0}")]
    Invalid(String),
    /// Refused by the permission table or need-to-know; nothing was written.
    #[error(transparent)]
    Access(#[from] armtrace_core::access::AccessError),
    /// Input the user can correct (a bad name, a duplicate, an unknown record); the message says how.
    #[error("{0}")]
    Input(String),
    #[error(
        "no audit key at {path}: give --audit-key the key file that `armtrace init` made for this database, or restore it from your backup"
    )]
    NoAuditKey { path: PathBuf },
    #[error("the audit key file {path} is damaged ({reason}): restore it from your backup")]
    BadAuditKey { path: PathBuf, reason: String },
    #[error(
        "the audit key at {path} is not this database's (the database expects public key {expected}…, the file holds {found}…): give --audit-key the key file made for this database"
    )]
    WrongAuditKey {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the user can fix this (a wrong path, an old schema) rather than it being a fault.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, StoreError::Database(_) | StoreError::Migration(_))
    }
}
