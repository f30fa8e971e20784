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
    pub public_key: String,
    pub ok: bool,
    pub verification: Verification,
}

impl AuditReport {
    /// The error a failed verification is: `audit.tampered`, naming the first bad entry.
    pub fn failure(&self) -> Option<Error> {
        let p = self.verification.first_problem()?;
        Some(Error::new(
            Code::AuditTampered,
            match p.seq {
                Some(s) => format!(
                    "the audit log failed verification; first bad entry: {s} ({}). Keep a copy of the database as it is for investigation, and restore the last good backup",
                    p.kind
                ),
                None => format!(
                    "the audit log failed verification: {}. Keep a copy of the database as it is for investigation",
                    p.reason
                ),
            },
        ))
    }
}

impl App {
    /// Checks the chain and its checkpoints against the key file. Needs no identity: it shows
    /// sequence numbers and what is wrong, never the content of entries.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let path = self.config.key_path();
        let key = armtrace_store::load_key(&path)?;
        let verification = self.store.verify_audit(&key.public_key_hex()).await?;
        Ok(AuditReport {
            database: self.config.location.to_string(),
            key_file: path.display().to_string(),
            public_key: key.public_key_hex(),
            ok: verification.ok(),
            verification,
        })
    }

    /// The history `by` may see (entries of investigations they are not a member of are left
    /// out); with `record`, the history of one record (an id, or a user or investigation name).
    pub async fn audit_log(&self, by: &Identity, record: Option<&str>) -> Result<Vec<AuditEntry>> {
        Ok(self.store.audit_log(by, record).await?)
    }

    /// Signs the log's head now (every write already does); `None` when nothing was new.
    pub async fn checkpoint(&self, by: &Identity) -> Result<Option<Checkpoint>> {
        self.store.acting_user(by.name()).await?;
        let key = self.signer().await?;
        Ok(self.store.checkpoint(by, key).await?)
    }
}
