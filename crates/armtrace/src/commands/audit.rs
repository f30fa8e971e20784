//! `armtrace audit …`: verify the hash chain and its signed checkpoints, show history, sign a
//! checkpoint.

use super::Ctx;
use crate::cli::{AuditCommand, Format};
use crate::output::{Listing, print};
use std::io::Write;

pub async fn run(cx: &Ctx, cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify(args) => verify(cx, args.format).await,
        AuditCommand::Log { record, format } => log(cx, record, format.format).await,
        AuditCommand::Checkpoint => {
            let by = cx.identity()?;
            let app = cx.app().await?;
            let cp = app.checkpoint(&by).await;
            app.close().await;
            let mut out = std::io::stdout().lock();
            match cp? {
                Some(cp) => writeln!(
                    out,
                    "Signed a checkpoint at entry {} (head {}…) with key {}….",
                    cp.seq,
                    &cp.head_hash[..12],
                    &cp.public_key[..16]
                )?,
                None => writeln!(
                    out,
                    "Nothing new to sign: the last entry is already covered by a checkpoint."
                )?,
            }
            Ok(())
        }
    }
}

/// Verification needs no identity, only the key file.
async fn verify(cx: &Ctx, format: Format) -> anyhow::Result<()> {
    let app = cx.app().await?;
    let report = app.verify_audit().await;
    app.close().await;
    let report = report?;
    let v = &report.verification;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Audit log of {}: {} entries, {} checkpoints, signed through entry {}; key {}… from {}.",
            report.database,
            v.entries,
            v.checkpoints,
            v.signed_through,
            &report.public_key[..16],
            report.key_file
        )?;
        if report.ok {
            writeln!(
                out,
                "OK: the chain is unbroken and every entry is covered by a checkpoint signed with the key."
            )?;
        } else {
            for p in &v.problems {
                match p.seq {
                    Some(s) => writeln!(out, "  entry {s}: {} ({})", p.reason, p.kind)?,
                    None => writeln!(out, "  {} ({})", p.reason, p.kind)?,
                }
            }
        }
    }
    match report.failure() {
        None => Ok(()),
        Some(e) => Err(e.into()),
    }
}

async fn log(cx: &Ctx, record: Option<String>, format: Format) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let entries = app.audit_log(&by, record.as_deref()).await;
    app.close().await;
    let entries = entries?;
    let mut listing = Listing::new(
        vec!["seq", "at", "actor", "action", "record", "before", "after"],
        &entries,
    )?;
    let compact = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map(armtrace_core::canonical::to_string)
            .unwrap_or_default()
    };
    listing.rows = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.at.clone(),
                e.change.actor.clone(),
                e.change.action.clone(),
                format!(
                    "{} {}",
                    e.change.record_kind,
                    e.change.record_id.clone().unwrap_or_default()
                )
                .trim()
                .to_string(),
                compact(&e.change.before),
                compact(&e.change.after),
            ]
        })
        .collect();
    listing.notes.push(
        "Entries of investigations you are not a member of are left out. Corrections are new entries; none is ever edited."
            .into(),
    );
    print(&listing, format)
}
