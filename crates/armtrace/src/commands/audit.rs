//! `armtrace audit …`: verify the hash chain and its signed checkpoints, show history, sign a
//! checkpoint.

use super::{Who, Writer, location, open};
use crate::UserError;
use crate::cli::{AuditCommand, Format};
use crate::output::{Listing, print};
use armtrace_store::load_key;
use std::io::Write;

pub async fn run(db: Option<String>, who: &Who, cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify(args) => verify(db, who, args.format).await,
        AuditCommand::Log { record, format } => log(db, who, record, format.format).await,
        AuditCommand::Checkpoint => {
            let w = Writer::open(db, who, "signing a checkpoint").await?;
            let mut out = std::io::stdout().lock();
            match w.finish().await? {
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

/// Verification needs no identity, only the key file: it shows sequence numbers and what is
/// wrong, never the content of entries.
async fn verify(db: Option<String>, who: &Who, format: Format) -> anyhow::Result<()> {
    let loc = location(db.clone())?;
    let path = who.key_path(&loc);
    let key = load_key(&path)?;
    let store = open(db).await?;
    let v = store.verify_audit(&key.public_key_hex()).await;
    store.close().await;
    let v = v?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let j = serde_json::json!({
            "database": loc.to_string(),
            "key_file": path.display().to_string(),
            "public_key": key.public_key_hex(),
            "ok": v.ok(),
            "verification": v,
        });
        serde_json::to_writer_pretty(&mut out, &j)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Audit log of {loc}: {} entries, {} checkpoints, signed through entry {}; key {}… from {}.",
            v.entries,
            v.checkpoints,
            v.signed_through,
            &key.public_key_hex()[..16],
            path.display()
        )?;
        if v.ok() {
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
    match v.first_problem() {
        None => Ok(()),
        Some(p) => Err(UserError(match p.seq {
            Some(s) => format!(
                "the audit log failed verification; first bad entry: {s} ({}). Keep a copy of the database as it is for investigation, and restore the last good backup",
                p.kind
            ),
            None => format!(
                "the audit log failed verification: {}. Keep a copy of the database as it is for investigation",
                p.reason
            ),
        })
        .into()),
    }
}

async fn log(
    db: Option<String>,
    who: &Who,
    record: Option<String>,
    format: Format,
) -> anyhow::Result<()> {
    let by = who.identity("reading the audit log")?;
    let store = open(db).await?;
    let entries = store.audit_log(&by, record.as_deref()).await;
    store.close().await;
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
