//! The armtrace store: one interface over two backends, SQLite (the default: one file, for field
//! laptops) and PostgreSQL (shared deployments).
//!
//! Architecture invariants:
//! - this is the only crate that knows SQL;
//! - every query is written once and runs on both backends (see [`with_pool!`]), so answers do not
//!   depend on the backend; sorting that users see happens in Rust with
//!   [`armtrace_core::text::collate`], never with a database collation;
//! - every multi-row write is batched and runs in one transaction;
//! - exact quantities are stored as integer thousandths, never as floating point;
//! - every write is authorised, appends its audit entry and signs its own checkpoint inside its
//!   own locked transaction, through `audit::commit_signed` (see `audit.rs`); the audit log is
//!   never updated or deleted, and the checkpoint signing key never enters the database.

mod audit;
mod bulk;
mod clock;
mod error;
mod evidence;
mod identity;
mod item_queries;
mod items;
mod key;
#[cfg(feature = "testing")]
mod legacy_items;
mod location;
mod open;
mod records;
mod reference;
#[cfg(feature = "testing")]
pub mod testing;
mod tier;
mod transfer_queries;
mod transfers;

pub use error::StoreError;
pub use evidence::{AddedEvidence, EvidenceFilter, EvidenceRecord, NewEvidence};
pub use identity::Bootstrap;
pub use item_queries::{ItemCount, ItemCounts, ItemGroup, ItemPage, MAX_PAGE};
pub use items::{
    IdentificationRecord, ItemDetail, ItemEvidence, ItemFilter, ItemImportReport, ItemSummary,
    Review,
};
pub use key::{
    AuditKey, create_key, default_head_path, default_key_path, load_key, load_or_create_key,
    read_head,
};
pub use location::Location;
pub use open::{OpenMode, SCHEMA_VERSION};
pub use reference::{Counts, LoadReport};
pub use transfer_queries::{
    Change, DiffAnswer, Period, SupplierRow, SuppliersAnswer, TransferFilter, TransferRow,
    VolumeGroup, VolumeRow, VolumesAnswer, VolumesQuery, YearBasis,
};
pub use transfers::{ImportError, ImportReport, Release, ReleaseChoice, ReleaseSpec};

use sqlx::{PgPool, SqlitePool};

/// The store. Cheap to clone; holds a connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    location: Location,
    /// The key every write signs with (see [`Store::with_signer`]); a store without one only
    /// reads.
    signer: Option<std::sync::Arc<AuditKey>>,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store has. The body is compiled once per
/// backend with concrete types, which is how one query text serves both databases.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Store {
    /// Where this store lives (path or URL with the password hidden).
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool, flushing SQLite's write-ahead log.
    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}
