//! Creating or migrating a database: make sure it has an owner and an audit key, and load the
//! shipped reference data (one audit entry per load).

use crate::{App, Config, Identity};
use armtrace_core::access::{User, validate_user_name};
use armtrace_core::error::{Code, Error, Result};
use armtrace_store::{
    AuditKey, Counts, LoadReport, OpenMode, SCHEMA_VERSION, Store, load_key, load_or_create_key,
};
use serde::Serialize;
use std::path::PathBuf;

/// What `init` did.
#[derive(Clone, Debug, Serialize)]
pub struct Initialised {
    pub database: String,
    pub backend: &'static str,
    pub schema_version: i64,
    pub reference_version: String,
    pub previous_reference_version: Option<String>,
    pub written: std::collections::BTreeMap<String, u64>,
    pub removed: u64,
    pub counts: Counts,
    /// Who acted (the owner, on a fresh database).
    pub acting_as: String,
    pub owner_created: Option<User>,
    pub audit_key: PathBuf,
    pub audit_key_created: bool,
}

/// Opens (creating or migrating) the database at `config`, bootstraps its owner and audit key,
/// loads the reference data as `acting` (the owner's name on a fresh database; `None`: the
/// login name, else `owner`) and signs a checkpoint.
pub async fn init(config: &Config, acting: Option<&str>) -> Result<(App, Initialised)> {
    let set = crate::reference_set()?;
    let store = Store::open(&config.location, OpenMode::CreateOrMigrate).await?;
    let key_path = config.key_path();
    // A database that already has an audit key must get that key back, never a new one.
    let (key, key_created) = if store.audit_public_key().await?.is_some() {
        (load_key(&key_path)?, false)
    } else {
        load_or_create_key(&key_path)?
    };
    let acting = acting.map(str::to_string).unwrap_or_else(default_owner);
    // Every write signs its own checkpoint, bootstrapping included.
    let store = store.with_signer(AuditKey::new(key.clone(), Some(config.head_path())));
    let boot = store.bootstrap(&acting, &key).await?;
    let by = Identity::user(acting.clone());
    let report: LoadReport = store.load_reference(set, &by).await.map_err(|e| {
        let e = Error::from(e);
        if e.code() == Code::AccessDenied {
            e.context(
                "initialising loads reference data, which only an admin may do: act as an admin",
            )
        } else {
            e
        }
    })?;
    // A log older than record digests gets a baseline of every record, once.
    store.record_baseline(&by).await?;
    let app = App::with_store(store, config.clone());
    let counts = app.store.counts().await?;
    let done = Initialised {
        database: config.location.to_string(),
        backend: app.backend_name(),
        schema_version: SCHEMA_VERSION,
        reference_version: report.version,
        previous_reference_version: report.previous_version,
        written: report.written,
        removed: report.removed,
        counts,
        acting_as: acting,
        owner_created: boot.owner_created,
        audit_key: key_path,
        audit_key_created: key_created,
    };
    Ok((app, done))
}

/// The owner's name when none is given: the login name, else "owner".
fn default_owner() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| validate_user_name(u).is_ok())
        .unwrap_or_else(|| "owner".to_string())
}
