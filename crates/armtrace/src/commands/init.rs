//! `armtrace init`: create or migrate the database, make sure it has an owner and an audit key,
//! and load the shipped reference data.

use super::Ctx;
use crate::cli::Format;
use std::io::Write;

pub async fn run(cx: &Ctx, format: Format) -> anyhow::Result<()> {
    let (app, done) = armtrace_app::init::init(&cx.config, cx.acting.as_deref()).await?;
    app.close().await;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &done)?;
        writeln!(out)?;
        return Ok(());
    }
    let what = match &done.previous_reference_version {
        None => "Initialised".to_string(),
        Some(v) if *v == done.reference_version => "Checked (already up to date)".to_string(),
        Some(v) => format!("Updated reference data from {v} in"),
    };
    let counts = &done.counts;
    writeln!(
        out,
        "{what} armtrace database {} ({}, schema v{}).",
        done.database, done.backend, done.schema_version
    )?;
    writeln!(
        out,
        "Reference data {}: {} countries ({} historic), {} actors, {} name variants, {} categories, {} weapon models, {} manufacturers, {} factory codes, {} arms embargoes.",
        done.reference_version,
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
    if done.removed > 0 {
        writeln!(
            out,
            "Removed {} reference rows that the new version no longer ships.",
            done.removed
        )?;
    }
    if let Some(owner) = &done.owner_created {
        writeln!(
            out,
            "Created the owner, user {} (admin). Write commands act as a user: pass --as {} or set ARMTRACE_USER={}.",
            owner.name, owner.name, owner.name
        )?;
    }
    if done.audit_key_created {
        writeln!(
            out,
            "Created the audit key {} (it signs the audit log's checkpoints). Keep it apart from the database and back it up: without it, new checkpoints cannot be signed.",
            done.audit_key.display()
        )?;
    }
    writeln!(
        out,
        "Next: armtrace countries --search yemen | armtrace models --search kalashnikov | armtrace categories"
    )?;
    Ok(())
}
