//! `armtrace audit …`: verify the hash chain and its signed checkpoints, show history, sign a
//! checkpoint.

use super::Ctx;
use crate::cli::{AuditCommand, Format};
use crate::output::{Listing, print};
use std::io::Write;

pub async fn run(cx: &Ctx, cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { deep, format } => verify(cx, deep, format.format).await,
        AuditCommand::Log { record, format } => log(cx, record, format.format).await,
        AuditCommand::Accept { reason } => {
            let by = cx.identity()?;
            let app = cx.app().await?;
            let accepted = app.accept_audit(&by, &reason).await;
            app.close().await;
            let accepted = accepted?;
            let mut out = std::io::stdout().lock();
            for p in &accepted.problems {
                writeln!(out, "  accepted: {} ({})", p.reason, p.kind)?;
            }
            writeln!(
                out,
                "Accepted {} problems as entry {} (signed, head {}…). They stay in the log's history; verification reports them as accepted.",
                accepted.problems.len(),
                accepted.checkpoint.seq,
                &accepted.checkpoint.head_hash[..12]
            )?;
            Ok(())
        }
    }
}

/// Verification needs no identity, only the key file.
async fn verify(cx: &Ctx, deep: bool, format: Format) -> anyhow::Result<()> {
    let app = cx.app().await?;
    let report = app.verify_audit(deep).await;
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
        match v.outside_head {
            Some(n) => writeln!(out, "Outside head {}: entry {n}.", report.head_file)?,
            None => writeln!(
                out,
                "No outside head at {}: whether the newest entries were cut off could not be checked (this machine has not written since it was kept, or it was removed).",
                report.head_file
            )?,
        }
        if let Some(n) = v.records_checked {
            writeln!(out, "Compared {n} records with the log.")?;
        }
        for a in &v.acceptances {
            writeln!(
                out,
                "  accepted at entry {} by {} ({}): {}",
                a.seq, a.actor, a.at, a.reason
            )?;
        }
        for p in &v.accepted {
            writeln!(out, "  accepted: {} ({})", p.reason, p.kind)?;
        }
        if report.ok {
            writeln!(
                out,
                "OK: the chain is unbroken and every entry is covered by a checkpoint signed with the key{}.",
                if deep {
                    "; every record is what the log says it is"
                } else {
                    ""
                }
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
