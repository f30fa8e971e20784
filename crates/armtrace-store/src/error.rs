//! Store errors. Everything the user can act on is an [`armtrace_core::Error`] with its code;
//! what stays typed here is what only the store can see: database and migration failures (the
//! program's fault, `internal`), and refusals of the permission table, which the store turns into
//! "not found" where need-to-know requires it. Every `StoreError` converts into the program's one
//! error type without losing its code.

use armtrace_core::access::AccessError;
use armtrace_core::error::{Code, Error, Hint};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An error with its stable code (input, not found, conflict, configuration).
    #[error(transparent)]
    Error(#[from] Error),
    /// Refused by the permission table or need-to-know; nothing was written.
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The stable code of this error.
    pub fn code(&self) -> Code {
        match self {
            StoreError::Error(e) => e.code(),
            StoreError::Access(e) => armtrace_core::access::access_code(e),
            StoreError::Database(_) | StoreError::Migration(_) => Code::Internal,
        }
    }

    /// Whether the user can fix this (a wrong path, an old schema) rather than it being a fault.
    pub fn is_user_error(&self) -> bool {
        !self.code().is_internal()
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Error(e) => e,
            StoreError::Access(e) => e.into(),
            StoreError::Database(e) => Error::internal("the database failed", e),
            StoreError::Migration(e) => Error::internal("migrating the database failed", e),
        }
    }
}

/// The location holds something that is not an armtrace database.
pub(crate) fn not_a_database(path: &Path) -> StoreError {
    Error::new(
        Code::DbNotArmtrace,
        format!(
            "{} is not an armtrace database (it is not a SQLite file, or it holds another program's tables); it was left untouched",
            path.display()
        ),
    )
    .with_hint(Hint::GiveDatabase)
    .into()
}

/// No database at `path`.
pub(crate) fn no_database(path: &Path) -> StoreError {
    Error::new(
        Code::DbMissing,
        format!("no database at {}", path.display()),
    )
    .with_hint(Hint::RunInit)
    .into()
}

pub(crate) fn unreachable(url: &str, reason: &str) -> StoreError {
    Error::new(
        Code::DbUnreachable,
        format!(
            "cannot reach PostgreSQL at {url}: {reason}. Check that the server runs and the URL is right"
        ),
    )
    .into()
}

pub(crate) fn bad_location(s: &str) -> StoreError {
    Error::new(
        Code::DbBadLocation,
        format!("'{s}' is not a database location: give a SQLite file path or a postgres:// URL"),
    )
    .with_field("db")
    .into()
}

pub(crate) fn schema_too_new(found: i64, known: i64) -> StoreError {
    Error::new(
        Code::DbSchemaTooNew,
        format!(
            "the database has schema version {found} but this armtrace knows only up to {known}: it was written by a newer armtrace. Upgrade armtrace; the database was not changed"
        ),
    )
    .into()
}

pub(crate) fn schema_outdated(found: i64, known: i64) -> StoreError {
    Error::new(
        Code::DbSchemaOutdated,
        format!(
            "the database has schema version {found}, this armtrace needs {known}: migrate it (initialising an existing database migrates it and keeps every record)"
        ),
    )
    .with_hint(Hint::RunInit)
    .into()
}

pub(crate) fn not_initialised() -> StoreError {
    Error::new(Code::DbNotInitialised, "the database is not initialised")
        .with_hint(Hint::RunInit)
        .into()
}

/// A stored value that no longer reads back as armtrace wrote it.
pub(crate) fn invalid(message: impl Into<String>) -> StoreError {
    Error::corrupt(format!("invalid data: {}", message.into())).into()
}

pub(crate) fn no_audit_key(path: &Path) -> StoreError {
    Error::new(
        Code::AuditKeyMissing,
        format!(
            "no audit key at {}: name the key file that was made when this database was initialised, or restore it from your backup",
            path.display()
        ),
    )
    .with_hint(Hint::GiveAuditKey)
    .into()
}

pub(crate) fn bad_audit_key(path: &Path, reason: &str) -> StoreError {
    Error::new(
        Code::AuditKeyDamaged,
        format!(
            "the audit key file {} is damaged ({reason}): restore it from your backup",
            path.display()
        ),
    )
    .into()
}

pub(crate) fn wrong_audit_key(path: &Path, expected: &str, found: &str) -> StoreError {
    Error::new(
        Code::AuditKeyWrong,
        format!(
            "the audit key at {} is not this database's (the database expects public key {expected}…, the file holds {found}…): name the key file made for this database",
            path.display()
        ),
    )
    .with_hint(Hint::GiveAuditKey)
    .into()
}

impl From<armtrace_core::item::ReviewError> for StoreError {
    fn from(e: armtrace_core::item::ReviewError) -> StoreError {
        StoreError::Error(e.into())
    }
}
