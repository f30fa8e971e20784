//! The application layer: every armtrace operation is one function here, with typed input and
//! typed output. The CLI, the server and the reports are adapters: they parse what the user gave,
//! call one of these functions and format its answer. A rule written in an adapter would be a rule
//! the other adapters do not keep, so none is.
//!
//! Architecture invariants:
//! - only this layer decides what an operation does (which checks run, in which order, what is
//!   written, what is signed); adapters parse and format;
//! - every operation acts as an [`Identity`] (a named user) and the store checks it inside the
//!   transaction: reads included, transfer queries included; shipped reference listings are the
//!   one exception (public data, the same in every installation);
//! - every write ends by signing the audit log's new head with the database's own key, and only
//!   after the write succeeded (a refused write has nothing to sign);
//! - errors are [`armtrace_core::Error`]: a stable code, a message in words that do not assume a
//!   command line, the field, file and line where they apply;
//! - expensive shared state (the country map and its R-tree) is built once per process.
//!
//! The operations are grouped as the users think of them: [`init`] and the [`reference`]
//! listings, [`users`] and investigations, [`audit`], [`items`], [`evidence`], [`imports`],
//! and the [`demo`].

pub mod audit;
pub mod demo;
pub mod evidence;
pub mod imports;
pub mod init;
pub mod items;
pub mod reference;
pub mod time;
pub mod users;

pub use armtrace_core::access::Identity;
pub use armtrace_core::error::{Code, Error, Hint, Problem, Result};
pub use armtrace_core::investigation::Tier;
pub use armtrace_store::Location;

use armtrace_ingest::geo::{CodedMap, CountryLocator};
use armtrace_store::{AuditKey, OpenMode, Store, default_head_path, default_key_path};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Where the database, its audit key and its evidence folder are.
#[derive(Clone, Debug)]
pub struct Config {
    pub location: Location,
    /// The audit key file; `None`: beside the database (see [`default_key_path`]).
    pub audit_key: Option<PathBuf>,
    /// The file outside the database that keeps the head this machine signed last; `None`:
    /// beside the key file (see [`default_head_path`]).
    pub audit_head: Option<PathBuf>,
    /// The evidence folder; `None`: beside a SQLite database (`DB.evidence`). A PostgreSQL
    /// database has no "beside", so it needs one.
    pub evidence_dir: Option<PathBuf>,
}

impl Config {
    pub fn new(location: Location) -> Config {
        Config {
            location,
            audit_key: None,
            audit_head: None,
            evidence_dir: None,
        }
    }

    /// The audit key file for this database.
    pub fn key_path(&self) -> PathBuf {
        self.audit_key
            .clone()
            .unwrap_or_else(|| default_key_path(&self.location))
    }

    /// The outside head file for this database's key.
    pub fn head_path(&self) -> PathBuf {
        self.audit_head
            .clone()
            .unwrap_or_else(|| default_head_path(&self.key_path()))
    }

    /// The audit key with its outside head, from the key file.
    pub fn audit_key(&self) -> Result<AuditKey> {
        Ok(AuditKey::load(&self.key_path(), Some(self.head_path()))?)
    }
}

/// An open armtrace database and what operations on it share. Cheap to clone (the server hands
/// one to every request).
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    config: Config,
    /// The store holding the audit key, made at the first write (the key loaded from its file
    /// and checked against the database): every write signs its own checkpoint with it.
    writer: Arc<tokio::sync::OnceCell<Store>>,
}

impl App {
    /// Opens an initialised database.
    pub async fn open(config: Config) -> Result<App> {
        let store = Store::open(&config.location, OpenMode::Existing).await?;
        Ok(App::with_store(store, config))
    }

    pub(crate) fn with_store(store: Store, config: Config) -> App {
        App {
            store,
            config,
            writer: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// The store, for adapters' tests and benchmarks that set up data directly. Operations go
    /// through the functions of this crate.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Closes the database (flushing SQLite's write-ahead log).
    pub async fn close(&self) {
        self.store.close().await
    }

    /// The store that writes: it holds the database's own audit key, loaded from the key file
    /// and checked against the public key the database records.
    pub(crate) async fn writer(&self) -> Result<&Store> {
        self.writer
            .get_or_try_init(|| async {
                let key = self.config.audit_key()?;
                self.store
                    .check_audit_key(key.signer(), &self.config.key_path())
                    .await?;
                Ok::<_, Error>(self.store.clone().with_signer(key))
            })
            .await
    }

    /// What every write does around its work: the acting user must exist and be active, and the
    /// store must hold this database's audit key. The store then signs each write's checkpoint
    /// inside the write's own transaction (and refuses to sign over entries it did not write):
    /// a refused write leaves nothing, signed or not.
    pub(crate) async fn write<T>(
        &self,
        by: &Identity,
        work: impl AsyncFnOnce(&Store) -> Result<T>,
    ) -> Result<T> {
        self.store.acting_user(by.name()).await?;
        let store = self.writer().await?;
        work(store).await
    }
}

/// The shipped country map with its R-tree, built once per process (it takes tens of
/// milliseconds and a few megabytes).
pub fn locator() -> Result<Arc<CountryLocator>> {
    static MAP: OnceLock<std::result::Result<Arc<CountryLocator>, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        CountryLocator::from_topojson(armtrace_refdata::COUNTRIES_50M_TOPOJSON)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|e| Error::new(Code::Internal, format!("the shipped map is damaged: {e}")))
}

/// The shipped reference data, parsed once per process.
pub(crate) fn reference_set() -> Result<&'static armtrace_core::reference::ReferenceSet> {
    static SET: OnceLock<std::result::Result<armtrace_core::reference::ReferenceSet, String>> =
        OnceLock::new();
    SET.get_or_init(|| armtrace_refdata::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            Error::new(
                Code::Internal,
                format!("the shipped reference data is damaged: {e}"),
            )
        })
}

/// SIPRI's weapon descriptions and the categories they map to, parsed once per process.
pub(crate) fn sipri_description_categories()
-> Result<&'static std::collections::HashMap<String, String>> {
    static MAP: OnceLock<std::result::Result<std::collections::HashMap<String, String>, String>> =
        OnceLock::new();
    MAP.get_or_init(|| armtrace_refdata::sipri_description_categories().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            Error::new(
                Code::Internal,
                format!("the shipped SIPRI categories are damaged: {e}"),
            )
        })
}

/// The map with armtrace's country codes, for the countries the database holds.
pub(crate) async fn coded_map(store: &Store) -> Result<CodedMap> {
    Ok(CodedMap::new(locator()?, &store.countries(None).await?))
}

/// The acting user, or `access.unauthenticated` when none was named: armtrace never acts for
/// nobody. Adapters call this with what the user gave (a flag, a session).
pub fn identity(name: Option<&str>) -> Result<Identity> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Ok(Identity::user(n)),
        None => Err(Error::new(
            Code::AccessUnauthenticated,
            "this needs to know who you are, and armtrace never acts anonymously: name the user you act as (the owner was named when the database was initialised; an admin adds users)",
        )
        .with_hint(Hint::GiveUser)),
    }
}
