//! `armtrace init`: create or migrate the database and load the shipped reference data.

use crate::cli::Format;
use anyhow::Context;
use armtrace_store::{LoadReport, Location, OpenMode, SCHEMA_VERSION, Store};
use std::io::Write;

pub async fn run(location: &Location, format: Format) -> anyhow::Result<()> {
    let (store, report) = init(location).await?;
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
            writeln!(
                out,
                "Next: armtrace countries --search yemen | armtrace models --search kalashnikov | armtrace categories"
            )?;
        }
    }
    Ok(())
}

/// Opens (creating or migrating) the database and loads the reference data into it.
pub async fn init(location: &Location) -> anyhow::Result<(Store, LoadReport)> {
    let set = armtrace_refdata::load().context("the shipped reference data is damaged")?;
    let store = Store::open(location, OpenMode::CreateOrMigrate)
        .await
        .with_context(|| format!("opening {location}"))?;
    let report = store.load_reference(&set).await?;
    Ok((store, report))
}
