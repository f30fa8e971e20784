//! The audit log in the store: every write runs in a *locked* transaction ([`LockedPool`]), checks
//! who acts ([`authorize`]) and ends in [`commit_signed`], the one place where an audited write
//! commits: it refuses to sign over entries no checkpoint signs (someone else wrote them), checks
//! that the acting user is in the log as they are in the table, appends the write's entries with
//! the digests of the records they wrote, signs the new head and commits — so the entries, their
//! checkpoint and the change land together or not at all, and two writers can never fork the
//! chain. Then it leaves the signed head in the file outside the database ([`crate::AuditKey`]).
//! PostgreSQL serialises appends with a transaction-scoped advisory lock; SQLite with `BEGIN
//! IMMEDIATE`, which takes the database's write lock before the transaction reads the head.
//! Verification streams everything back through [`armtrace_core::audit::Verifier`] and, when deep,
//! replays the log against the tables ([`crate::records`]).

use crate::records::{Kind, Record, RecordTx};
use crate::{AuditKey, Store, StoreError, with_pool};
use armtrace_core::access::{AccessError, Action, Identity, Resource, Role, Scope, User, check};
use armtrace_core::audit::{
    ACCEPT_ACTION, AuditEntry, AuditSigner, Change, Checkpoint, GENESIS, Problem, ProblemKind,
    RECORDS_KEY, RecordCheck, RecordKey, Replay, Verification, Verifier, public_view,
};
use armtrace_core::error::{Code, Error, Hint};
use armtrace_core::investigation::{Tier, export_tier};
use serde_json::{Value, json};
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
    /// The checkpoint with the highest number.
    async fn last_checkpoint(
        tx: &mut Transaction<'_, Self>,
    ) -> Result<Option<Checkpoint>, StoreError>;
    async fn insert_checkpoint(
        tx: &mut Transaction<'_, Self>,
        cp: &Checkpoint,
    ) -> Result<(), StoreError>;
    /// The hash of entry `seq`, if there is one.
    async fn hash_at(
        tx: &mut Transaction<'_, Self>,
        seq: i64,
    ) -> Result<Option<String>, StoreError>;
    /// The public key `schema_meta` records.
    async fn recorded_key(tx: &mut Transaction<'_, Self>) -> Result<Option<String>, StoreError>;
    /// The latest entry about the record `record_id`.
    async fn latest_about(
        tx: &mut Transaction<'_, Self>,
        record_id: &str,
    ) -> Result<Option<AuditEntry>, StoreError>;
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
            async fn last_checkpoint(tx: &mut Transaction<'_, Self>) -> Result<Option<Checkpoint>, StoreError> {
                let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
                    "SELECT seq, head_hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
                )
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.map(checkpoint_from_row))
            }
            async fn insert_checkpoint(tx: &mut Transaction<'_, Self>, cp: &Checkpoint) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_checkpoints (seq, head_hash, at, public_key, signature) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(cp.seq)
                .bind(&cp.head_hash)
                .bind(&cp.at)
                .bind(&cp.public_key)
                .bind(&cp.signature)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
            async fn hash_at(tx: &mut Transaction<'_, Self>, seq: i64) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(seq)
                    .fetch_optional(&mut **tx)
                    .await?)
            }
            async fn recorded_key(tx: &mut Transaction<'_, Self>) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT value FROM schema_meta WHERE key = $1")
                    .bind(PUBLIC_KEY_META)
                    .fetch_optional(&mut **tx)
                    .await?)
            }
            async fn latest_about(tx: &mut Transaction<'_, Self>, record_id: &str) -> Result<Option<AuditEntry>, StoreError> {
                let row: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE record_id = $1 ORDER BY seq DESC LIMIT 1"
                )))
                .bind(record_id)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.map(entry_from_row))
            }
        }
    )+};
}
impl_write_tx!(sqlx::Sqlite, sqlx::Postgres);

fn checkpoint_from_row(r: (i64, String, String, String, String)) -> Checkpoint {
    let (seq, head_hash, at, public_key, signature) = r;
    Checkpoint {
        seq,
        head_hash,
        at,
        public_key,
        signature,
    }
}

/// Who acts, checked inside the write's own transaction: the user must exist, be active, and be
/// allowed `action` on `resource` (inside `investigation`, given as (id, name), they must also be a
/// member). Returns the user. ([`commit_signed`] also checks that the user's row is what the log
/// says it is.)
pub(crate) async fn authorize<DB: WriteTx>(
    tx: &mut Transaction<'_, DB>,
    by: &Identity,
    action: Action,
    resource: Resource,
    investigation: Option<(&str, &str)>,
) -> Result<User, StoreError> {
    let name = by.name();
    let user = DB::user_by_name(tx, name)
        .await?
        .ok_or_else(|| AccessError::UnknownUser(name.to_string()))?;
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
    Ok(user)
}

/// A change and the records it wrote, which its entry vouches for (their digests, as the
/// transaction leaves them, go into the entry's `after.records`).
#[derive(Debug)]
pub(crate) struct Vouched {
    pub change: Change,
    pub records: Vec<Record>,
}

/// `change`, vouching for `records`.
pub(crate) fn vouch(change: Change, records: impl IntoIterator<Item = Record>) -> Vouched {
    Vouched {
        change,
        records: records.into_iter().collect(),
    }
}

/// Commits an audited write: the one way anything audited reaches the database. Inside the
/// write's locked transaction it checks that the store has the database's key, that no entry
/// precedes this write's without a checkpoint signed by that key (else refuses with
/// `audit.unsigned`: someone without the key wrote them), that the log is not shorter than the
/// head this machine last signed, and that each acting user's row is what the log says; then it
/// appends `entries` (with their record digests), signs the new head and commits. A refused write
/// leaves nothing. Afterwards the signed head goes to the file outside the database.
pub(crate) async fn commit_signed<DB: WriteTx + RecordTx>(
    store: &Store,
    tx: Transaction<'static, DB>,
    entries: Vec<Vouched>,
) -> Result<Checkpoint, StoreError> {
    commit_with(store, tx, entries, false).await
}

async fn commit_with<DB: WriteTx + RecordTx>(
    store: &Store,
    mut tx: Transaction<'static, DB>,
    entries: Vec<Vouched>,
    accepting: bool,
) -> Result<Checkpoint, StoreError> {
    let key = store.audit_key()?;
    match DB::recorded_key(&mut tx).await? {
        Some(k) if k == key.public_key_hex() => {}
        Some(k) => return Err(wrong_key(&k, &key.public_key_hex())),
        None => {
            return Err(Error::new(
                Code::AuditTampered,
                "the database records no audit key although it is being written to: it was removed; nothing was written",
            )
            .with_hint(Hint::VerifyAudit)
            .into());
        }
    }
    let head = DB::head(&mut tx).await?;
    let outside = key.read_head()?;
    if !accepting {
        check_signed_head(&mut tx, key, head.as_ref(), &entries).await?;
        if let Some(out) = &outside
            && out.public_key == key.public_key_hex()
        {
            let log_hash = DB::hash_at(&mut tx, out.seq).await?;
            if log_hash.as_deref() != Some(out.head_hash.as_str()) {
                return Err(Error::new(
                    Code::AuditTampered,
                    format!(
                        "the head this machine signed last (entry {}, {}) is not in the log: its newest entries were cut off or rewritten; nothing was written",
                        out.seq, out.at
                    ),
                )
                .with_hint(Hint::VerifyAudit)
                .into());
            }
        }
    }
    let mut actors: Vec<&str> = entries.iter().map(|e| e.change.actor.as_str()).collect();
    actors.sort_unstable();
    actors.dedup();
    for actor in actors {
        if actor != armtrace_core::access::SYSTEM_NAME {
            check_actor(&mut tx, Some(key.record_key()), actor).await?;
        }
    }
    let (mut seq, mut prev) = match head {
        Some((seq, hash)) => (seq, hash),
        None => (0, GENESIS.to_string()),
    };
    for Vouched {
        mut change,
        records,
    } in entries
    {
        if !records.is_empty() {
            let digests = crate::records::digests(&mut tx, key.record_key(), &records).await?;
            let after = change.after.get_or_insert_with(|| json!({}));
            match after.as_object_mut() {
                Some(o) => {
                    o.insert(RECORDS_KEY.into(), Value::Object(digests));
                }
                None => *after = json!({"value": after.clone(), RECORDS_KEY: digests}),
            }
        }
        seq += 1;
        let entry = AuditEntry::seal(change, seq, now(), prev);
        DB::insert_entry(&mut tx, &entry).await?;
        prev = entry.hash;
    }
    let cp = key.signer().sign(seq, &prev, now());
    DB::insert_checkpoint(&mut tx, &cp).await?;
    tx.commit().await?;
    key.write_head(&cp, accepting).map_err(|e| {
        StoreError::from(
            Error::from(e).context("the change was saved and signed, but the head kept outside the database was not updated"),
        )
    })?;
    Ok(cp)
}

/// Refuses when the log's head is not what the last checkpoint signed with `key`.
async fn check_signed_head<DB: WriteTx>(
    tx: &mut Transaction<'_, DB>,
    key: &AuditKey,
    head: Option<&(i64, String)>,
    entries: &[Vouched],
) -> Result<(), StoreError> {
    let Some((seq, hash)) = head else {
        // Only bootstrapping starts a log: its first entry records the audit key.
        if entries
            .first()
            .is_some_and(|e| e.change.action == KEY_RECORD_ACTION)
        {
            return Ok(());
        }
        return Err(Error::new(
            Code::AuditTampered,
            "the audit log is empty although the database records an audit key: it was wiped; nothing was written",
        )
        .with_hint(Hint::VerifyAudit)
        .into());
    };
    let cp = DB::last_checkpoint(tx).await?;
    let signed = cp.as_ref().is_some_and(|cp| {
        cp.seq == *seq && cp.head_hash == *hash && cp.signed_by(&key.public_key_hex())
    });
    if signed {
        return Ok(());
    }
    let from = cp.map_or(1, |c| (c.seq + 1).min(*seq));
    Err(Error::new(
        Code::AuditUnsigned,
        format!(
            "the audit log holds entries that no checkpoint signed with the audit key covers (from entry {from} to {seq}): they may have been written by someone without the key, so this write will not sign over them; nothing was written. Verify the log; an admin may accept it after checking"
        ),
    )
    .with_hint(Hint::VerifyAudit)
    .into())
}

/// The action of the entry that records the audit key; the first entry of every log.
pub(crate) const KEY_RECORD_ACTION: &str = "audit_key.record";

/// Refuses a user whose row is not what the latest entry about them recorded (a row inserted or
/// changed outside armtrace). With the record key, the entry's digest of the row is compared;
/// without it (or for entries older than record digests), the name, role and active flag.
pub(crate) async fn check_actor<DB: WriteTx + RecordTx>(
    tx: &mut Transaction<'_, DB>,
    key: Option<&RecordKey>,
    name: &str,
) -> Result<(), StoreError> {
    let Some(user) = DB::user_by_name(tx, name).await? else {
        return Err(AccessError::UnknownUser(name.to_string()).into());
    };
    let id = user.id.to_string();
    let entry = DB::latest_about(tx, &id).await?;
    let record = Record::new(Kind::User, id.as_str());
    let digest = match (key, &entry) {
        (Some(k), Some(e)) if recorded_digest(e, &record.name()).is_some() => {
            crate::records::digests(tx, k, std::slice::from_ref(&record))
                .await?
                .get(&record.name())
                .and_then(Value::as_str)
                .map(str::to_string)
        }
        _ => None,
    };
    actor_matches(&user, entry.as_ref(), digest.as_deref())
}

/// The acting user, for a read: they must exist, be active, and their row must be what the log
/// last said it is (name, role, active flag; the keyed digest needs the key, which reads do not
/// hold). Two round trips on the pool, no transaction: reads are on the hot path of the server.
pub(crate) async fn reader(store: &Store, name: &str) -> Result<User, StoreError> {
    let (user, entry) = with_pool!(store, p => {
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE name = $1"
        )))
        .bind(name)
        .fetch_optional(p)
        .await?;
        let Some(row) = row else {
            return Err(AccessError::UnknownUser(name.to_string()).into());
        };
        let user = user_from_row(row)?;
        let entry: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE record_id = $1 ORDER BY seq DESC LIMIT 1"
        )))
        .bind(user.id.to_string())
        .fetch_optional(p)
        .await?;
        (user, entry.map(entry_from_row))
    });
    if !user.active {
        return Err(AccessError::Disabled(name.to_string()).into());
    }
    actor_matches(&user, entry.as_ref(), None)?;
    Ok(user)
}

fn recorded_digest<'a>(e: &'a AuditEntry, record: &str) -> Option<&'a str> {
    e.change
        .after
        .as_ref()?
        .get(RECORDS_KEY)?
        .get(record)?
        .as_str()
}

/// Whether `user`'s row matches `entry`, the latest entry about them (`digest`: the row's digest
/// now, when the entry carries one and the key is at hand).
fn actor_matches(
    user: &User,
    entry: Option<&AuditEntry>,
    digest: Option<&str>,
) -> Result<(), StoreError> {
    let refuse = |why: &str| {
        Err(Error::new(
            Code::AuditTampered,
            format!(
                "user '{}' may not act: {why}. Their row was changed outside armtrace; nothing was done",
                user.name
            ),
        )
        .with_hint(Hint::VerifyAudit)
        .into())
    };
    let Some(e) = entry else {
        return refuse("no audit entry records them");
    };
    if e.compute_hash() != e.hash {
        return refuse(&format!(
            "the entry that records them (entry {}) was changed after it was written",
            e.seq
        ));
    }
    let record = Record::new(Kind::User, user.id.to_string()).name();
    if let (Some(now), Some(then)) = (digest, recorded_digest(e, &record)) {
        return if now == then {
            Ok(())
        } else {
            refuse(&format!("their row is not what entry {} recorded", e.seq))
        };
    }
    let after = e.change.after.as_ref();
    let field = |k: &str| after.and_then(|a| a.get(k));
    let same = field("name").and_then(Value::as_str) == Some(user.name.as_str())
        && field("role").and_then(Value::as_str) == Some(user.role.as_str())
        && field("active").and_then(Value::as_bool) == Some(user.active);
    if same {
        Ok(())
    } else {
        refuse(&format!(
            "their name, role or state is not what entry {} recorded",
            e.seq
        ))
    }
}

fn wrong_key(recorded: &str, given: &str) -> StoreError {
    Error::new(
        Code::AuditKeyWrong,
        format!(
            "this key (public {}…) is not the database's audit key ({}…): name the key file made for this database",
            given.chars().take(16).collect::<String>(),
            recorded.chars().take(16).collect::<String>()
        ),
    )
    .with_hint(Hint::GiveAuditKey)
    .into()
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
    change_as(by.name(), action, record_kind, record_id, before, after)
}

/// A change made by the user (or, bootstrapping, armtrace itself) called `actor`.
pub(crate) fn change_as(
    actor: &str,
    action: &str,
    record_kind: &str,
    record_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> Change {
    Change {
        actor: actor.to_string(),
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
    /// The store, writing with `key`: every write signs its own checkpoint with it (a store
    /// without a key refuses to write), and deep verification uses its record key.
    pub fn with_signer(mut self, key: AuditKey) -> Store {
        self.signer = Some(std::sync::Arc::new(key));
        self
    }

    /// The key writes sign with.
    pub(crate) fn audit_key(&self) -> Result<&AuditKey, StoreError> {
        self.signer.as_deref().ok_or_else(|| {
            Error::new(
                Code::AuditKeyMissing,
                "every write signs the audit log, and no audit key was given: name the key file made for this database; nothing was written",
            )
            .with_hint(Hint::GiveAuditKey)
            .into()
        })
    }

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

    /// The sequence number of the newest audit entry (0 for an empty log).
    pub async fn audit_head(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT MAX(seq) FROM audit_log").fetch_one(p).await?
        });
        Ok(seq.unwrap_or(0))
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
        Ok(rows.into_iter().map(checkpoint_from_row).collect())
    }

    /// The audit history `by` may see: entries of investigations they are not a member of are
    /// left out, and a reader whose role may not read the confidential tier gets the public view
    /// of each entry (no hashes, no plain content hash of older entries; see
    /// [`armtrace_core::audit::public_view`]). With `record`, only the entries about that record
    /// (an id, or a user or investigation name). Oldest first.
    pub async fn audit_log(
        &self,
        by: &Identity,
        record: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let visible = self
            .visible_investigations(by, Action::Read, Resource::Audit)
            .await?;
        let public = {
            let user = self.acting_user(by.name()).await?;
            export_tier(user.role, Some(Tier::Confidential)).is_err()
        };
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
        if public {
            entries = entries.iter().map(public_view).collect();
        }
        Ok(entries)
    }

    /// The ids a user-given record reference stands for: itself; the user, investigation or item
    /// (by its reference) of that name; and, for 8 or more hex digits, the records whose id (or
    /// evidence SHA-256) begins with them.
    async fn record_ids(&self, record: &str) -> Result<Vec<String>, StoreError> {
        let mut ids = vec![record.to_string()];
        // A leading part of an id (or of an evidence file's SHA-256), as `items show` takes:
        // only hex digits and dashes, so LIKE's own characters never reach the pattern.
        let key = record.trim().to_ascii_lowercase();
        let prefix = if key.len() >= 8 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            format!("{key}%")
        } else {
            String::new()
        };
        let named: Vec<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT id FROM users WHERE name = $1 \
                 UNION SELECT id FROM investigations WHERE name = $1 \
                 UNION SELECT id FROM items WHERE ref = $1 \
                 UNION SELECT id FROM items WHERE $2 <> '' AND id LIKE $2 \
                 UNION SELECT id FROM evidence WHERE $2 <> '' AND (id LIKE $2 OR sha256 LIKE $2) \
                 UNION SELECT id FROM users WHERE $2 <> '' AND id LIKE $2 \
                 UNION SELECT id FROM investigations WHERE $2 <> '' AND id LIKE $2",
            )
            .bind(record)
            .bind(prefix)
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
        let user = self.acting_user(by.name()).await?;
        check(&user, action, resource, Scope::Global, None)?;
        let ids: Vec<String> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT investigation_id FROM memberships WHERE user_id = $1")
                .bind(user.id.to_string())
                .fetch_all(p)
                .await?
        });
        Ok(Some(ids.into_iter().collect()))
    }

    /// Verifies the log, streaming it (pages of entries and checkpoints) in one consistent read:
    /// the chain and its checkpoints against `key`'s public half, the signed beginning (an empty
    /// log in a database that records an audit key or holds users is wiped), and the head kept
    /// outside the database, when there is one. `deep` also replays the log against the tables:
    /// every record it vouches for must be as its last entry recorded, and every record must be
    /// vouched for. Needs no identity: it reveals only entry numbers, record ids and what is
    /// wrong.
    pub async fn verify_audit(
        &self,
        key: &AuditKey,
        deep: bool,
    ) -> Result<Verification, StoreError> {
        let trusted = key.public_key_hex();
        let mut v = Verifier::new(&trusted);
        let mut replay = Replay::default();
        let mut first: Option<AuditEntry> = None;
        let mut checked = 0u64;
        let outside = match key.read_head() {
            Ok(h) => h,
            Err(e) => {
                v.problem(Problem {
                    seq: None,
                    kind: ProblemKind::BadSignature,
                    record: None,
                    reason: Error::from(e).message().to_string(),
                });
                None
            }
        };
        let (recorded, users) = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            if matches!(self.backend, crate::Backend::Postgres(_)) {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let mut after_seq = i64::MIN;
            let mut after_cp = i64::MIN;
            loop {
                let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT {PAGE}"
                )))
                .bind(after_seq)
                .fetch_all(&mut *tx)
                .await?;
                let done = rows.len() < PAGE as usize;
                let mut page: Vec<AuditEntry> = rows.into_iter().map(entry_from_row).collect();
                let Some(last) = page.last().map(|e| e.seq) else { break };
                for e in &page {
                    v.entry(e);
                    if deep {
                        replay.entry(e);
                    }
                }
                if first.is_none() {
                    first = page.first().cloned();
                }
                page.clear();
                // The checkpoints up to the last entry read (the rest after the last page).
                let upto = if done { i64::MAX } else { last };
                loop {
                    let cps: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                        "SELECT seq, head_hash, at, public_key, signature FROM audit_checkpoints \
                         WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 5000",
                    )
                    .bind(after_cp)
                    .bind(upto)
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(l) = cps.last().map(|c| c.0) else { break };
                    after_cp = l;
                    let cps: Vec<Checkpoint> = cps.into_iter().map(checkpoint_from_row).collect();
                    for (cp, ok) in cps.iter().zip(signatures(&cps, &trusted)) {
                        v.checkpoint_checked(cp, ok);
                    }
                }
                after_seq = last;
                if done {
                    break;
                }
            }
            if first.is_none() {
                // No entries: any checkpoint vouches for entries that are gone.
                let cps: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                    "SELECT seq, head_hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq",
                )
                .fetch_all(&mut *tx)
                .await?;
                for cp in cps.into_iter().map(checkpoint_from_row) {
                    v.checkpoint(&cp);
                }
            }
            if let Some(head) = &outside {
                let h: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(head.seq)
                    .fetch_optional(&mut *tx)
                    .await?;
                v.outside_head(head, h.as_deref());
            }
            let recorded: Option<String> = sqlx::query_scalar("SELECT value FROM schema_meta WHERE key = $1")
                .bind(PUBLIC_KEY_META)
                .fetch_optional(&mut *tx)
                .await?;
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
            if deep {
                for kind in Kind::ALL {
                    let mut problems = Vec::new();
                    crate::records::each_digest(&mut tx, key.record_key(), kind, |page| {
                        for (name, digest) in page {
                            checked += 1;
                            match replay.check(&name, &digest) {
                                RecordCheck::Matches => {}
                                RecordCheck::Differs { seq } => problems.push(Problem {
                                    seq: Some(seq),
                                    kind: ProblemKind::RecordChanged,
                                    reason: format!("{name} is not what entry {seq}, the last about it, recorded: it was changed outside armtrace"),
                                    record: Some(name),
                                }),
                                // Metadata rows that no entry names are not records of anyone's.
                                RecordCheck::Unknown if kind == Kind::Meta => {}
                                RecordCheck::Unknown => problems.push(Problem {
                                    seq: None,
                                    kind: ProblemKind::RecordUnknown,
                                    reason: format!("{name} is in the database but no entry vouches for it: it was added outside armtrace (or before the log recorded its records, which an admin's initialisation records)"),
                                    record: Some(name),
                                }),
                            }
                        }
                    })
                    .await?;
                    for p in problems {
                        v.problem(p);
                    }
                }
                for (hash, seq) in replay.unseen() {
                    let name = record_named(&mut tx, seq, hash).await?;
                    v.problem(Problem {
                        seq: Some(seq),
                        kind: ProblemKind::RecordDeleted,
                        reason: format!("{name}, which entry {seq} vouches for, is not in the database: it was deleted outside armtrace"),
                        record: Some(name),
                    });
                }
            }
            tx.rollback().await?;
            (recorded, users)
        });
        match (&first, &recorded) {
            (None, Some(_)) => v.problem(wiped(
                "the audit log is empty although the database records an audit key: it was wiped",
            )),
            (None, None) if users > 0 => v.problem(wiped(
                "the audit log is empty although the database holds users: it was wiped",
            )),
            (Some(e), _)
                if e.seq != 1
                    || e.change.action != KEY_RECORD_ACTION
                    || e.change.after.as_ref().and_then(|a| a.get("public_key"))
                        != Some(&json!(trusted)) =>
            {
                v.problem(wiped(
                    "the audit log does not begin with the record of this audit key: its beginning was removed or replaced",
                ))
            }
            _ => {}
        }
        match recorded {
            Some(k) if k == trusted => {}
            Some(k) => v.problem(Problem {
                seq: None,
                kind: ProblemKind::WrongKey,
                record: None,
                reason: format!(
                    "the database names audit key {}… but the key file holds {}…: either this is another database's key file, or someone replaced the key recorded in the database",
                    k.chars().take(16).collect::<String>(),
                    trusted.chars().take(16).collect::<String>()
                ),
            }),
            None if first.is_some() => v.problem(Problem {
                seq: None,
                kind: ProblemKind::WrongKey,
                record: None,
                reason: "the database records no audit key although it has audit entries: it was removed".into(),
            }),
            None => {}
        }
        let mut out = v.finish();
        if deep {
            out.records_checked = Some(checked);
        }
        Ok(out)
    }

    /// Records an admin's decision to go on after verification found problems: `seen` is that
    /// verification (deep, for records), whose head must still be the log's. The entry names
    /// every problem (so verification reports them as accepted), the entries no checkpoint
    /// signed, and the digests of the records found changed, added or deleted as they are now;
    /// it is signed with the write. Needs `manage audit` (admins).
    pub async fn accept_audit(
        &self,
        by: &Identity,
        reason: &str,
        seen: &Verification,
    ) -> Result<Checkpoint, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::missing("reason", "say why the log is accepted as it is").into());
        }
        if seen.ok() {
            return Err(Error::new(
                Code::ConflictState,
                "the audit log verifies: there is nothing to accept",
            )
            .into());
        }
        let records: Vec<Record> = seen
            .problems
            .iter()
            .filter_map(|p| p.record.as_deref())
            .filter_map(|name| {
                let (kind, id) = name.split_once('/')?;
                let kind = Kind::ALL.into_iter().find(|k| k.as_str() == kind)?;
                Some(Record::new(kind, id))
            })
            .collect();
        let unsigned_from = seen
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::Unsigned)
            .and_then(|p| p.seq)
            .unwrap_or(0);
        let problems: Vec<Value> = seen
            .problems
            .iter()
            .map(|p| json!({"kind": p.kind, "seq": p.seq, "record": p.record}))
            .collect();
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::Audit, None).await?;
            if WriteTx::head(&mut tx).await? != seen.head {
                return Err(Error::new(Code::ConflictStale, "the audit log changed since it was verified: verify it again, then decide").with_hint(Hint::VerifyAudit).into());
            }
            let c = change(by, ACCEPT_ACTION, "audit", None, None, Some(json!({
                "reason": reason,
                "head": seen.head.as_ref().map(|(s, h)| json!({"seq": s, "hash": h})),
                "unsigned_from": unsigned_from,
                "problems": problems,
            })));
            commit_with(self, tx, vec![vouch(c, records)], true).await
        })
    }

    /// Records the digests of every record in one `audit.baseline` entry, for a log written
    /// before entries carried them (so that deep verification can check those records from now
    /// on). Only when the log verifies and has no baseline yet; returns the entry's number.
    /// Whoever runs it vouches for the records as they are: initialisation does it, once.
    pub async fn record_baseline(&self, by: &Identity) -> Result<Option<i64>, StoreError> {
        let key = self.audit_key()?.clone();
        let entries = self.all_entries().await?;
        let has_digests = entries.first().is_some_and(|e| {
            e.change
                .after
                .as_ref()
                .is_some_and(|a| a.get(RECORDS_KEY).is_some())
        });
        if entries.is_empty()
            || has_digests
            || entries.iter().any(|e| e.change.action == BASELINE_ACTION)
        {
            return Ok(None);
        }
        drop(entries);
        let v = self.verify_audit(&key, false).await?;
        if let Some(p) = v.first_problem() {
            return Err(Error::new(Code::AuditTampered, format!(
                "the audit log does not verify ({}: {}), so its records cannot be vouched for now", p.kind, p.reason
            )).with_hint(Hint::VerifyAudit).into());
        }
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::Audit, None).await?;
            let mut records = Vec::new();
            for kind in Kind::ALL {
                let mut after = None;
                loop {
                    let ids = RecordTx::page(&mut tx, kind, after.as_deref(), 1000).await?;
                    let Some(last) = ids.last().cloned() else { break };
                    records.extend(ids.into_iter().map(|id| Record::new(kind, id)));
                    after = Some(last);
                }
            }
            let n = records.len();
            let c = change(by, BASELINE_ACTION, "audit", None, None, Some(json!({"records_vouched": n})));
            let cp = commit_signed(self, tx, vec![vouch(c, records)]).await?;
            Ok(Some(cp.seq))
        })
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
}

/// The action of the entry that vouches for records written before entries carried digests.
pub(crate) const BASELINE_ACTION: &str = "audit.baseline";

/// Entries read per page by verification.
const PAGE: i64 = 5000;

fn wiped(reason: &str) -> Problem {
    Problem {
        seq: Some(1),
        kind: ProblemKind::Wiped,
        record: None,
        reason: reason.into(),
    }
}

/// Whether each checkpoint is signed by `trusted`, on every core (a million signatures take
/// tens of seconds on one).
fn signatures(cps: &[Checkpoint], trusted: &str) -> Vec<bool> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cps.len() < 64 || threads == 1 {
        return cps.iter().map(|c| c.signed_by(trusted)).collect();
    }
    let per = cps.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = cps
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| c.signed_by(trusted))
                        .collect::<Vec<bool>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The name of the record entry `seq` vouches for whose name hashes to `hash`.
async fn record_named<DB: WriteTx>(
    tx: &mut Transaction<'_, DB>,
    seq: i64,
    hash: u128,
) -> Result<String, StoreError>
where
    for<'c> &'c mut <DB as Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (Option<String>,): sqlx::FromRow<'r, DB::Row>,
{
    let after: Option<(Option<String>,)> =
        sqlx::query_as("SELECT after_json FROM audit_log WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut **tx)
            .await?;
    let records = parse_json(after.and_then(|a| a.0));
    Ok(records
        .as_ref()
        .and_then(|a| a.get(RECORDS_KEY))
        .and_then(Value::as_object)
        .and_then(|o| {
            o.keys()
                .find(|k| armtrace_core::audit::record_name_hash(k) == hash)
                .cloned()
        })
        .unwrap_or_else(|| format!("a record of entry {seq}")))
}
