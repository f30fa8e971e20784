//! The audit key file: the Ed25519 key that signs audit checkpoints, kept outside the database so
//! that someone who can write to the database still cannot re-sign a rewritten history. `init`
//! creates it beside a SQLite database (`armtrace.db.audit-key`, mode 0600) or, for PostgreSQL,
//! in the current directory named after the database (`armtrace.audit-key` for
//! `postgres://…/armtrace`); `--audit-key PATH` puts it anywhere. Only its public half goes into
//! the database.

use crate::{Location, StoreError};
use armtrace_core::audit::{AuditSigner, hex32};
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
