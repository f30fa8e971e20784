//! `armtrace init`: create or migrate the database, make sure it has an owner and an audit key,
//! and load the shipped reference data (one audit entry per load).

use super::Who;
use crate::cli::Format;
use anyhow::Context;
use armtrace_core::access::{Identity, User, validate_user_name};
use armtrace_store::{
    AuditKey, LoadReport, Location, OpenMode, SCHEMA_VERSION, Store, StoreError, load_key,
    load_or_create_key,
};
use std::io::Write;
use std::path::PathBuf;

/// What `init` did besides loading reference data.
pub struct Initialised {
    pub report: LoadReport,
    /// Who acted (the owner on a fresh database).
    pub acting: String,
    pub owner_created: Option<User>,
    pub key_path: PathBuf,
    pub key_created: bool,
}

pub async fn run(location: &Location, who: &Who, format: Format) -> anyhow::Result<()> {
    let (store, done) = init(location, who).await?;
    let report = &done.report;
    let counts = store.counts().await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "database": location.to_string(),
                "backend": store.backend_name(),
                "schema_version": SCHEMA_VERSION,
                "reference_version": report.version,
                "previous_reference_version": report.previous_version,
                "written": report.written,
                "removed": report.removed,
                "counts": counts,
                "acting_as": done.acting,
                "owner_created": done.owner_created,
                "audit_key": done.key_path.display().to_string(),
                "audit_key_created": done.key_created,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Table | Format::Csv => {
            let what = match &report.previous_version {
                None => "Initialised".to_string(),
                Some(v) if *v == report.version => "Checked (already up to date)".to_string(),
                Some(v) => format!("Updated reference data from {v} in"),
            };
            writeln!(
                out,
                "{what} armtrace database {location} ({}, schema v{SCHEMA_VERSION}).",
                store.backend_name()
            )?;
            writeln!(
                out,
                "Reference data {}: {} countries ({} historic), {} actors, {} name variants, {} categories, {} weapon models, {} manufacturers, {} factory codes, {} arms embargoes.",
                report.version,
                counts.countries,
                counts.historic_states,
                counts.actors,
                counts.aliases,
                counts.categories,
                counts.models,
                counts.manufacturers,
                counts.factory_codes,
                counts.embargoes
            )?;
            if report.removed > 0 {
                writeln!(
                    out,
                    "Removed {} reference rows that the new version no longer ships.",
                    report.removed
                )?;
            }
            if let Some(owner) = &done.owner_created {
                writeln!(
                    out,
                    "Created the owner, user {} (admin). Write commands act as a user: pass --as {} or set ARMTRACE_USER={}.",
                    owner.name, owner.name, owner.name
                )?;
            }
            if done.key_created {
                writeln!(
                    out,
                    "Created the audit key {} (it signs the audit log's checkpoints). Keep it apart from the database and back it up: without it, new checkpoints cannot be signed.",
                    done.key_path.display()
                )?;
            }
            writeln!(
                out,
                "Next: armtrace countries --search yemen | armtrace models --search kalashnikov | armtrace categories"
            )?;
        }
    }
    Ok(())
}

/// Opens (creating or migrating) the database, bootstraps its owner and audit key, loads the
/// reference data as the acting user (each write signs its own checkpoint), and, for a log older
/// than record digests, records a baseline of every record.
pub async fn init(location: &Location, who: &Who) -> anyhow::Result<(Store, Initialised)> {
    let set = armtrace_refdata::load().context("the shipped reference data is damaged")?;
    let store = Store::open(location, OpenMode::CreateOrMigrate)
        .await
        .with_context(|| format!("opening {location}"))?;
    let key_path = who.key_path(location);
    // A database that already has an audit key must get that key back, never a new one.
    let (key, key_created) = if store.audit_public_key().await?.is_some() {
        (load_key(&key_path)?, false)
    } else {
        load_or_create_key(&key_path)?
    };
    let acting = who.acting.clone().unwrap_or_else(default_owner);
    let store = store.with_signer(AuditKey::new(key.clone(), Some(who.head_path(location))));
    let boot = store.bootstrap(&acting, &key).await?;
    let by = Identity::User(acting.clone());
    let report = store.load_reference(&set, &by).await.map_err(|e| match e {
        StoreError::Access(_) => anyhow::Error::new(e).context(
            "init loads reference data, which only an admin may do: pass --as with an admin's name",
        ),
        e => e.into(),
    })?;
    store.record_baseline(&by).await?;
    Ok((
        store,
        Initialised {
            report,
            acting,
            owner_created: boot.owner_created,
            key_path,
            key_created,
        },
    ))
}

/// The owner's name when neither --as nor ARMTRACE_USER gives one: the login name, else "owner".
fn default_owner() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| validate_user_name(u).is_ok())
        .unwrap_or_else(|| "owner".to_string())
}
