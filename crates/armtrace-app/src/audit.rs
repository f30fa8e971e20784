//! The audit log: verifying its hash chain and signed checkpoints, reading its history, signing a
//! checkpoint now.

use crate::{App, Identity};
use armtrace_core::audit::{AuditEntry, Checkpoint, Verification};

use armtrace_core::error::{Code, Error, Result};
use serde::Serialize;

/// What verifying the log found, with where the key came from.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    pub database: String,
    pub key_file: String,
    pub head_file: String,
    pub public_key: String,
    /// The records were compared with the log too.
    pub deep: bool,
    pub ok: bool,
    pub verification: Verification,
}

impl AuditReport {
    /// The error a failed verification is: `audit.tampered`, naming the first record that
    /// differs or the first bad entry.
    pub fn failure(&self) -> Option<Error> {
        let p = self.verification.first_problem()?;
        let next = "Keep a copy of the database as it is for investigation, and restore the last good backup (or, having checked, an admin may accept the log as it is, with a reason)";
        Some(Error::new(
            Code::AuditTampered,
            match (&p.record, p.seq) {
                (Some(r), _) => format!(
                    "the audit log failed verification; first record that differs: {r} ({}). {next}",
                    p.kind
                ),
                (None, Some(s)) => format!(
                    "the audit log failed verification; first bad entry: {s} ({}). {next}",
                    p.kind
                ),
                (None, None) => format!(
                    "the audit log failed verification: {}. Keep a copy of the database as it is for investigation",
                    p.reason
                ),
            },
        ))
    }
}

impl App {
    /// Checks the chain, its checkpoints and the head kept outside the database against the key
    /// file; `deep` also replays the log against the records and names the first that differs.
    /// Needs no identity: it shows entry numbers, record ids and what is wrong, never the content
    /// of entries.
    pub async fn verify_audit(&self, deep: bool) -> Result<AuditReport> {
        let key = self.config.audit_key()?;
        let verification = self.store.verify_audit(&key, deep).await?;
        Ok(AuditReport {
            database: self.config.location.to_string(),
            key_file: self.config.key_path().display().to_string(),
            head_file: self.config.head_path().display().to_string(),
            public_key: key.public_key_hex(),
            deep,
            ok: verification.ok(),
            verification,
        })
    }

    /// The history `by` may see (entries of investigations they are not a member of are left
    /// out); with `record`, the history of one record (an id, or a user or investigation name).
    pub async fn audit_log(&self, by: &Identity, record: Option<&str>) -> Result<Vec<AuditEntry>> {
        let entries = self.store.audit_log(by, record).await?;
        if let Some(r) = record
            && entries.is_empty()
        {
            // An empty history is not an answer: the record was not recognised (or is in an
            // investigation the reader is not a member of, which must read the same).
            return Err(Error::new(
                Code::RecordNotFound,
                format!(
                    "no record '{r}' with a history you may see: give an id (or its first 8 digits), an item's reference, or a user's or investigation's name"
                ),
            )
            .with_field("record"));
        }
        Ok(entries)
    }

    /// An admin's decision to go on after verification found problems: verifies deeply, then
    /// records what was found and why it is accepted, signed. Returns what was accepted.
    pub async fn accept_audit(&self, by: &Identity, reason: &str) -> Result<Accepted> {
        // Who may decide comes first: a reader who may not is told that, not what was found.
        let user = self.store.acting_user(by.name()).await?;
        armtrace_core::access::check(
            &user,
            armtrace_core::access::Action::Manage,
            armtrace_core::access::Resource::Audit,
            armtrace_core::access::Scope::Global,
            None,
        )?;
        let report = self.verify_audit(true).await?;
        let checkpoint = self
            .write(by, async |store| {
                Ok(store.accept_audit(by, reason, &report.verification).await?)
            })
            .await?;
        Ok(Accepted {
            problems: report.verification.problems,
            checkpoint,
        })
    }
}

/// What an acceptance recorded.
#[derive(Clone, Debug, Serialize)]
pub struct Accepted {
    pub problems: Vec<armtrace_core::audit::Problem>,
    pub checkpoint: Checkpoint,
}
