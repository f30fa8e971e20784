//! The audit log in the store: every write runs in a *locked* transaction ([`LockedPool`]), checks
//! who acts ([`authorize`]) and appends its entry ([`append`]) before it commits, so the entry and
//! the change land together or not at all, and two writers can never fork the chain. PostgreSQL
//! serialises appends with a transaction-scoped advisory lock; SQLite with `BEGIN IMMEDIATE`,
//! which takes the database's write lock before the transaction reads the chain's head.
//! Checkpoints sign the head with the key from the key file ([`crate::key`]); verification reads
//! everything back and leaves the judgement to [`armtrace_core::audit::verify`].

use crate::{Store, StoreError, with_pool};
use armtrace_core::access::{AccessError, Action, Identity, Resource, Role, Scope, User, check};
use armtrace_core::audit::{
    AuditEntry, AuditSigner, Change, Checkpoint, GENESIS, Problem, ProblemKind, Verification,
    verify,
};
use serde_json::Value;
use sqlx::{Database, Transaction};
use std::collections::HashSet;

/// The PostgreSQL advisory lock that serialises audit appends ("armtrace" in ASCII).
const AUDIT_LOCK: i64 = 0x6172_6d74_7261_6365;

/// The metadata key holding the public half of the checkpoint key.
pub(crate) const PUBLIC_KEY_META: &str = "audit_public_key";

pub(crate) use crate::clock::now;

/// A pool that can begin a transaction holding the audit lock.
pub(crate) trait LockedPool {
    type DB: Database;
    async fn begin_locked(&self) -> Result<Transaction<'static, Self::DB>, sqlx::Error>;
}

impl LockedPool for sqlx::SqlitePool {
    type DB = sqlx::Sqlite;
    async fn begin_locked(&self) -> Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so no other writer
        // can append between our reading the head and writing after it.
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl LockedPool for sqlx::PgPool {
    type DB = sqlx::Postgres;
    async fn begin_locked(&self) -> Result<Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

pub(crate) type UserRow = (String, String, String, bool, String, String);

pub(crate) fn user_from_row(r: UserRow) -> Result<User, StoreError> {
    let (id, name, role, active, created_at, created_by) = r;
    Ok(User {
        id: id
            .parse()
            .map_err(|e| crate::error::invalid(format!("stored user id '{id}': {e}")))?,
        role: role
            .parse::<Role>()
            .map_err(|e| crate::error::invalid(format!("stored role: {e}")))?,
        name,
        active,
        created_at,
        created_by,
    })
}

pub(crate) const USER_COLUMNS: &str = "id, name, role, active, created_at, created_by";

/// The queries every audited write needs, written once for both backends.
pub(crate) trait WriteTx: Database {
    async fn user_by_name(
        tx: &mut Transaction<'_, Self>,
        name: &str,
    ) -> Result<Option<User>, StoreError>;
    async fn is_member(
        tx: &mut Transaction<'_, Self>,
        investigation_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError>;
    async fn head(tx: &mut Transaction<'_, Self>) -> Result<Option<(i64, String)>, StoreError>;
    async fn insert_entry(tx: &mut Transaction<'_, Self>, e: &AuditEntry)
    -> Result<(), StoreError>;
}

macro_rules! impl_write_tx {
    ($($db:ty),+) => {$(
        impl WriteTx for $db {
            async fn user_by_name(tx: &mut Transaction<'_, Self>, name: &str) -> Result<Option<User>, StoreError> {
                let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE name = $1"
                )))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?;
                row.map(user_from_row).transpose()
            }
            async fn is_member(tx: &mut Transaction<'_, Self>, investigation_id: &str, user_id: &str) -> Result<bool, StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM memberships WHERE investigation_id = $1 AND user_id = $2",
                )
                .bind(investigation_id)
                .bind(user_id)
                .fetch_one(&mut **tx)
                .await?;
                Ok(n > 0)
            }
            async fn head(tx: &mut Transaction<'_, Self>) -> Result<Option<(i64, String)>, StoreError> {
                Ok(sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await?)
            }
            async fn insert_entry(tx: &mut Transaction<'_, Self>, e: &AuditEntry) -> Result<(), StoreError> {
                let json = |v: &Option<Value>| v.as_ref().map(armtrace_core::canonical::to_string);
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor, action, record_kind, record_id, \
                     investigation_id, before_json, after_json, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(e.seq)
                .bind(&e.at)
                .bind(&e.change.actor)
                .bind(&e.change.action)
                .bind(&e.change.record_kind)
                .bind(&e.change.record_id)
                .bind(&e.change.investigation)
                .bind(json(&e.change.before))
                .bind(json(&e.change.after))
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }
    )+};
}
impl_write_tx!(sqlx::Sqlite, sqlx::Postgres);

/// Who acts, checked inside the write's own transaction: the user must exist, be active, and be
/// allowed `action` on `resource` (inside `investigation`, given as (id, name), they must also be a
/// member). Returns the user, or `None` for the system identity.
pub(crate) async fn authorize<DB: WriteTx>(
    tx: &mut Transaction<'_, DB>,
    by: &Identity,
    action: Action,
    resource: Resource,
    investigation: Option<(&str, &str)>,
) -> Result<Option<User>, StoreError> {
    let name = match by {
        Identity::System => return Ok(None),
        Identity::User(name) => name,
    };
    let user = DB::user_by_name(tx, name)
        .await?
        .ok_or_else(|| AccessError::UnknownUser(name.clone()))?;
    let scope = match investigation {
        None => Scope::Global,
        Some((id, _)) => Scope::Investigation {
            member: DB::is_member(tx, id, &user.id.to_string()).await?,
        },
    };
    check(
        &user,
        action,
        resource,
        scope,
        investigation.map(|(_, n)| n),
    )?;
    Ok(Some(user))
}

/// Appends `change` to the chain inside the caller's locked transaction.
pub(crate) async fn append<DB: WriteTx>(
    tx: &mut Transaction<'_, DB>,
    change: Change,
) -> Result<AuditEntry, StoreError> {
    let (seq, prev) = match DB::head(tx).await? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let entry = AuditEntry::seal(change, seq, now(), prev);
    DB::insert_entry(tx, &entry).await?;
    Ok(entry)
}

/// A change made by `by`.
pub(crate) fn change(
    by: &Identity,
    action: &str,
    record_kind: &str,
    record_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> Change {
    Change {
        actor: by.name().to_string(),
        action: action.into(),
        record_kind: record_kind.into(),
        record_id,
        investigation: None,
        before,
        after,
    }
}

type EntryRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// Stored JSON that no longer parses is kept as text, so verification reports the entry as
/// changed instead of failing.
fn parse_json(s: Option<String>) -> Option<Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s)))
}

fn entry_from_row(r: EntryRow) -> AuditEntry {
    let (seq, at, actor, action, record_kind, record_id, investigation, before, after, prev, hash) =
        r;
    AuditEntry {
        seq,
        at,
        change: Change {
            actor,
            action,
            record_kind,
            record_id,
            investigation,
            before: parse_json(before),
            after: parse_json(after),
        },
        prev_hash: prev,
        hash,
    }
}

const ENTRY_COLUMNS: &str = "seq, at, actor, action, record_kind, record_id, investigation_id, \
                             before_json, after_json, prev_hash, hash";

impl Store {
    /// Every audit entry, in sequence order.
    pub(crate) async fn all_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<EntryRow> = with_pool!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq"
            )))
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(entry_from_row).collect())
    }

    /// Every checkpoint, in sequence order.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT seq, head_hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(seq, head_hash, at, public_key, signature)| Checkpoint {
                seq,
                head_hash,
                at,
                public_key,
                signature,
            })
            .collect())
    }

    /// The audit history `by` may see: entries of investigations they are not a member of are
    /// left out. With `record`, only the entries about that record (an id, or a user or
    /// investigation name). Oldest first.
    pub async fn audit_log(
        &self,
        by: &Identity,
        record: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let visible = self
            .visible_investigations(by, Action::Read, Resource::Audit)
            .await?;
        let record_ids: Option<Vec<String>> = match record {
            None => None,
            Some(r) => Some(self.record_ids(r).await?),
        };
        let mut entries = self.all_entries().await?;
        entries.retain(|e| {
            e.change
                .investigation
                .as_ref()
                .is_none_or(|i| visible.as_ref().is_none_or(|v| v.contains(i)))
                && record_ids.as_ref().is_none_or(|ids| {
                    // Membership entries are about "investigation/user": both parts match.
                    e.change.record_id.as_ref().is_some_and(|r| {
                        ids.contains(r) || r.split('/').any(|part| ids.iter().any(|i| i == part))
                    })
                })
        });
        Ok(entries)
    }

    /// The ids a user-given record reference stands for: itself, and the user or investigation of
    /// that name.
    async fn record_ids(&self, record: &str) -> Result<Vec<String>, StoreError> {
        let mut ids = vec![record.to_string()];
        let named: Vec<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT id FROM users WHERE name = $1 UNION SELECT id FROM investigations WHERE name = $1",
            )
            .bind(record)
            .fetch_all(p)
            .await?
        });
        ids.extend(named);
        Ok(ids)
    }

    /// For a reader: `None` if they may see every investigation (the system identity), else the
    /// ids of the investigations they are a member of. Checks that they may `action` `resource`.
    pub(crate) async fn visible_investigations(
        &self,
        by: &Identity,
        action: Action,
        resource: Resource,
    ) -> Result<Option<HashSet<String>>, StoreError> {
        let Identity::User(name) = by else {
            return Ok(None);
        };
        let user = self.acting_user(name).await?;
        check(&user, action, resource, Scope::Global, None)?;
        let ids: Vec<String> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT investigation_id FROM memberships WHERE user_id = $1")
                .bind(user.id.to_string())
                .fetch_all(p)
                .await?
        });
        Ok(Some(ids.into_iter().collect()))
    }

    /// The public key this database's checkpoints are signed with (hex), once `init` recorded it.
    pub async fn audit_public_key(&self) -> Result<Option<String>, StoreError> {
        self.meta(PUBLIC_KEY_META).await
    }

    /// Fails unless `key` (loaded from `path`) is the key this database expects.
    pub async fn check_audit_key(
        &self,
        key: &AuditSigner,
        path: &std::path::Path,
    ) -> Result<(), StoreError> {
        match self.audit_public_key().await? {
            Some(expected) if expected != key.public_key_hex() => {
                Err(crate::error::wrong_audit_key(
                    path,
                    &expected.chars().take(16).collect::<String>(),
                    &key.public_key_hex().chars().take(16).collect::<String>(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Signs the chain's head with `key` if entries were appended since the last checkpoint.
    /// Returns the new checkpoint, or `None` when there was nothing new to sign.
    pub async fn checkpoint(
        &self,
        by: &Identity,
        key: &AuditSigner,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let expected = self.audit_public_key().await?;
        if let Some(expected) = expected
            && expected != key.public_key_hex()
        {
            return Err(armtrace_core::Error::new(
                armtrace_core::Code::AuditKeyWrong,
                format!(
                    "this key (public {}…) is not the database's audit key ({}…): name the key file made for this database",
                    &key.public_key_hex()[..16],
                    expected.chars().take(16).collect::<String>()
                ),
            )
            .with_hint(armtrace_core::Hint::GiveAuditKey)
            .into());
        }
        let cp = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Write, Resource::Audit, None).await?;
            let head = WriteTx::head(&mut tx).await?;
            let last_signed: Option<i64> =
                sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
                    .fetch_one(&mut *tx)
                    .await?;
            match head {
                Some((seq, hash)) if Some(seq) > last_signed => {
                    let cp = key.sign(seq, &hash, now());
                    sqlx::query(
                        "INSERT INTO audit_checkpoints (seq, head_hash, at, public_key, signature) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(cp.seq)
                    .bind(&cp.head_hash)
                    .bind(&cp.at)
                    .bind(&cp.public_key)
                    .bind(&cp.signature)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Some(cp)
                }
                _ => None,
            }
        });
        Ok(cp)
    }

    /// Verifies the whole chain and its checkpoints against `trusted_key`, the public key of the
    /// key file (hex). Needs no identity: it reveals only sequence numbers and what is wrong.
    pub async fn verify_audit(&self, trusted_key: &str) -> Result<Verification, StoreError> {
        let entries = self.all_entries().await?;
        let checkpoints = self.checkpoints().await?;
        let mut v = verify(&entries, &checkpoints, trusted_key);
        match self.audit_public_key().await? {
            Some(k) if k == trusted_key => {}
            Some(k) => v.problems.insert(
                0,
                Problem {
                    seq: None,
                    kind: ProblemKind::WrongKey,
                    record: None,
                    reason: format!(
                        "the database names audit key {}… but the key file holds {}…: either this is another database's key file, or someone replaced the key recorded in the database",
                        k.chars().take(16).collect::<String>(),
                        trusted_key.chars().take(16).collect::<String>()
                    ),
                },
            ),
            None if !entries.is_empty() => v.problems.insert(
                0,
                Problem {
                    seq: None,
                    kind: ProblemKind::WrongKey,
                    record: None,
                    reason: "the database records no audit key although it has audit entries: it was removed".into(),
                },
            ),
            None => {}
        }
        Ok(v)
    }
}
