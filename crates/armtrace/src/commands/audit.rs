//! `armtrace audit …`: verify the hash chain, its signed checkpoints, the head kept outside the
//! database and (deep) the records against the log; show history; accept a log after
//! verification found problems.

use super::{Who, Writer, location, open};
use crate::UserError;
use crate::cli::{AuditCommand, Format};
use crate::output::{Listing, print};
use armtrace_core::audit::Verification;
use std::io::Write;

pub async fn run(db: Option<String>, who: &Who, cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { deep, format } => verify(db, who, deep, format.format).await,
        AuditCommand::Log { record, format } => log(db, who, record, format.format).await,
        AuditCommand::Accept { reason } => accept(db, who, &reason).await,
    }
}

/// Verification needs no identity, only the key file: it shows entry numbers, record ids and
/// what is wrong, never the content of entries.
async fn verify(db: Option<String>, who: &Who, deep: bool, format: Format) -> anyhow::Result<()> {
    let loc = location(db.clone())?;
    let path = who.key_path(&loc);
    let key = who.audit_key(&loc)?;
    let store = open(db).await?;
    let v = store.verify_audit(&key, deep).await;
    store.close().await;
    let v = v?;
    let head = who.head_path(&loc);
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let j = serde_json::json!({
            "database": loc.to_string(),
            "key_file": path.display().to_string(),
            "head_file": head.display().to_string(),
            "public_key": key.public_key_hex(),
            "deep": deep,
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
        match v.outside_head {
            Some(n) => writeln!(out, "Outside head {}: entry {n}.", head.display())?,
            None => writeln!(
                out,
                "No outside head at {}: whether the newest entries were cut off could not be checked (this machine has not written since it was kept, or it was removed).",
                head.display()
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
        if v.ok() {
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
    failure(&v)
}

fn failure(v: &Verification) -> anyhow::Result<()> {
    match v.first_problem() {
        None => Ok(()),
        Some(p) => Err(UserError(match (&p.record, p.seq) {
            (Some(r), _) => format!(
                "the audit log failed verification; first record that differs: {r} ({}). Keep a copy of the database as it is for investigation, and restore the last good backup (or, having checked, `armtrace audit accept --reason TEXT`)",
                p.kind
            ),
            (None, Some(s)) => format!(
                "the audit log failed verification; first bad entry: {s} ({}). Keep a copy of the database as it is for investigation, and restore the last good backup (or, having checked, `armtrace audit accept --reason TEXT`)",
                p.kind
            ),
            (None, None) => format!(
                "the audit log failed verification: {}. Keep a copy of the database as it is for investigation",
                p.reason
            ),
        })
        .into()),
    }
}

/// Verifies deeply, then records the admin's decision to go on with what was found.
async fn accept(db: Option<String>, who: &Who, reason: &str) -> anyhow::Result<()> {
    let w = Writer::open(db, who, "accepting the audit log").await?;
    let loc = w.store.location().clone();
    let key = who.audit_key(&loc)?;
    let v = w.store.verify_audit(&key, true).await?;
    let result = w.store.accept_audit(&w.by, reason, &v).await;
    w.finish().await?;
    let cp = result?;
    let mut out = std::io::stdout().lock();
    for p in &v.problems {
        writeln!(out, "  accepted: {} ({})", p.reason, p.kind)?;
    }
    writeln!(
        out,
        "Accepted {} problems as entry {} (signed, head {}…). They stay in the log's history; verification reports them as accepted.",
        v.problems.len(),
        cp.seq,
        &cp.head_hash[..12]
    )?;
    Ok(())
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
