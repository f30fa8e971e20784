//! The audit key file: the Ed25519 key that signs audit checkpoints, kept outside the database so
//! that someone who can write to the database still cannot re-sign a rewritten history. `init`
//! creates it beside a SQLite database (`armtrace.db.audit-key`, mode 0600) or, for PostgreSQL,
//! in the current directory named after the database (`armtrace.audit-key` for
//! `postgres://…/armtrace`); `--audit-key PATH` puts it anywhere. Only its public half goes into
//! the database.

use crate::{Location, StoreError};
use armtrace_core::audit::{AuditSigner, Checkpoint, RecordKey, hex32};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the key file of the database at `location` lives unless the user says otherwise.
pub fn default_key_path(location: &Location) -> PathBuf {
    match location {
        Location::Sqlite(path) => {
            let mut p = path.as_os_str().to_owned();
            p.push(".audit-key");
            PathBuf::from(p)
        }
        Location::Postgres(url) => {
            let db = sqlx::postgres::PgConnectOptions::from_str(url)
                .ok()
                .and_then(|o| o.get_database().map(str::to_string))
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "postgres".to_string());
            let safe: String = db
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            PathBuf::from(format!("{safe}.audit-key"))
        }
    }
}

const HEADER: &str = "# armtrace audit signing key. Keep it secret and apart from the database, and back it up:\n\
# without it no new checkpoint can be signed, and whoever holds it can sign a rewritten history.\n";

/// Reads the key file at `path`.
pub fn load_key(path: &Path) -> Result<AuditSigner, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(crate::error::no_audit_key(path));
        }
        Err(e) => {
            return Err(crate::error::bad_audit_key(path, &e.to_string()));
        }
    };
    let bad = |reason: &str| crate::error::bad_audit_key(path, reason);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let secret = field("secret-key:").ok_or_else(|| bad("no secret-key line"))?;
    let secret = hex32(&secret).ok_or_else(|| bad("the secret key is not 64 hex digits"))?;
    let key = AuditSigner::from_secret(secret);
    if let Some(public) = field("public-key:")
        && public != key.public_key_hex()
    {
        return Err(bad("its public key does not belong to its secret key"));
    }
    Ok(key)
}

/// Creates a new key file at `path` (never overwriting one), readable only by its owner.
pub fn create_key(path: &Path) -> Result<AuditSigner, StoreError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| {
        crate::error::bad_audit_key(path, &format!("no randomness to make a key: {e}"))
    })?;
    let key = AuditSigner::from_secret(secret);
    let fail =
        |e: std::io::Error| crate::error::bad_audit_key(path, &format!("cannot write it: {e}"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    write!(
        file,
        "{HEADER}public-key: {}\nsecret-key: {}\n",
        key.public_key_hex(),
        key.secret_hex()
    )
    .and_then(|()| file.sync_all())
    .map_err(fail)?;
    Ok(key)
}

/// Where the head kept outside the database lives beside a key file: `X.audit-head` for
/// `X.audit-key`, else the key file's name with `.audit-head` added.
pub fn default_head_path(key_path: &Path) -> PathBuf {
    let s = key_path.as_os_str().to_string_lossy();
    match s.strip_suffix(".audit-key") {
        Some(stem) => PathBuf::from(format!("{stem}.audit-head")),
        None => PathBuf::from(format!("{s}.audit-head")),
    }
}

/// What a store needs to write: the key that signs checkpoints (and makes record digests), and
/// the file outside the database where every write leaves the head it signed.
#[derive(Clone, Debug)]
pub struct AuditKey {
    signer: AuditSigner,
    records: RecordKey,
    head: Option<PathBuf>,
}

impl AuditKey {
    /// `signer`, keeping the outside head in `head` (`None`: nowhere; for tests and benchmarks).
    pub fn new(signer: AuditSigner, head: Option<PathBuf>) -> AuditKey {
        AuditKey {
            records: signer.record_key(),
            signer,
            head,
        }
    }

    /// The key file at `path`, with its head beside it unless `head` names another file.
    pub fn load(path: &Path, head: Option<PathBuf>) -> Result<AuditKey, StoreError> {
        let signer = load_key(path)?;
        Ok(AuditKey::new(
            signer,
            Some(head.unwrap_or_else(|| default_head_path(path))),
        ))
    }

    pub fn signer(&self) -> &AuditSigner {
        &self.signer
    }

    pub fn record_key(&self) -> &RecordKey {
        &self.records
    }

    pub fn public_key_hex(&self) -> String {
        self.signer.public_key_hex()
    }

    pub fn head_path(&self) -> Option<&Path> {
        self.head.as_deref()
    }

    /// The head this machine last signed, if the file is there.
    pub fn read_head(&self) -> Result<Option<Checkpoint>, StoreError> {
        match &self.head {
            None => Ok(None),
            Some(p) => read_head(p),
        }
    }

    /// Records `cp` as the head, unless the file already holds a later one (several writers
    /// on one machine finish in any order); `force` replaces it anyway (an accepted cut).
    pub(crate) fn write_head(&self, cp: &Checkpoint, force: bool) -> Result<(), StoreError> {
        let Some(path) = &self.head else {
            return Ok(());
        };
        let fail = |e: std::io::Error| head_unwritable(path, &e.to_string());
        // One writer at a time: a lock file beside the head (the head itself is replaced).
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(fail)?;
        lock.lock().map_err(fail)?;
        if !force
            && let Ok(Some(old)) = read_head(path)
            && old.public_key == cp.public_key
            && old.seq >= cp.seq
        {
            return Ok(());
        }
        let tmp = PathBuf::from(format!("{}.{}.tmp", path.display(), std::process::id()));
        let text = format!(
            "{HEAD_HEADER}seq: {}\nhead: {}\nat: {}\npublic-key: {}\nsignature: {}\n",
            cp.seq, cp.head_hash, cp.at, cp.public_key, cp.signature
        );
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(fail)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(fail)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(fail)?;
        Ok(())
    }
}

const HEAD_HEADER: &str = "# armtrace audit head: the newest checkpoint this machine signed for the database.\n\
# Verification compares the log with it, so that cutting off the newest entries is found. Keep it with the key.\n";

/// Reads a head file: `None` when there is none.
pub fn read_head(path: &Path) -> Result<Option<Checkpoint>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(head_unwritable(path, &e.to_string())),
    };
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            .ok_or_else(|| head_damaged(path, &format!("no {name} line")))
    };
    Ok(Some(Checkpoint {
        seq: field("seq:")?
            .parse()
            .map_err(|_| head_damaged(path, "its seq is not a number"))?,
        head_hash: field("head:")?,
        at: field("at:")?,
        public_key: field("public-key:")?,
        signature: field("signature:")?,
    }))
}

fn head_damaged(path: &Path, reason: &str) -> StoreError {
    armtrace_core::Error::new(
        armtrace_core::Code::AuditHeadDamaged,
        format!(
            "the audit head file {} is damaged ({reason}): restore it from your backup, or move it away to go on without it",
            path.display()
        ),
    )
    .into()
}

fn head_unwritable(path: &Path, reason: &str) -> StoreError {
    armtrace_core::Error::new(
        armtrace_core::Code::AuditHeadDamaged,
        format!(
            "the audit head file {} cannot be read or written ({reason}): check that its folder exists and is writable",
            path.display()
        ),
    )
    .into()
}

/// Loads the key file at `path`, or creates it when there is none. Says whether it was created.
pub fn load_or_create_key(path: &Path) -> Result<(AuditSigner, bool), StoreError> {
    match load_key(path) {
        Ok(k) => Ok((k, false)),
        Err(e) if e.code() == armtrace_core::Code::AuditKeyMissing => Ok((create_key(path)?, true)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths() {
        for (db, want) in [
            ("armtrace.db", "armtrace.db.audit-key"),
            ("/data/field.db", "/data/field.db.audit-key"),
            ("postgres://u:pw@db.example/armtrace", "armtrace.audit-key"),
            (
                "postgres://u@h:5432/test?options=-c%20search_path%3Dx",
                "test.audit-key",
            ),
        ] {
            let loc = Location::parse(db).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(default_key_path(&loc), PathBuf::from(want), "{db}");
        }
    }

    #[test]
    fn a_key_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("k.audit-key");
        let (made, created) = load_or_create_key(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(created);
        let (again, created) = load_or_create_key(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!created);
        assert_eq!(made.public_key_hex(), again.public_key_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        assert!(
            matches!(create_key(&path), Err(e) if e.code() == armtrace_core::Code::AuditKeyDamaged),
            "never overwritten"
        );
        std::fs::write(&path, "secret-key: 12\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            load_key(&path)
                .unwrap_err()
                .to_string()
                .contains("is damaged")
        );
        let missing = dir.path().join("none");
        assert!(matches!(
            load_key(&missing),
            Err(e) if e.code() == armtrace_core::Code::AuditKeyMissing
        ));
    }
}
