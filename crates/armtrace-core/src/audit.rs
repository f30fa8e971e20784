//! The tamper-evident audit log, as pure functions: sealing an entry into the hash chain, signing
//! and checking checkpoints, and verifying a whole chain. The store appends and reads; this module
//! decides what is valid.
//!
//! Every write appends one [`AuditEntry`] (who, when, what, before and after). Its hash is
//! SHA-256 over the RFC 8785 canonical JSON of its content, which includes the previous entry's
//! hash, so changing, deleting or reordering an entry breaks the chain. A [`Checkpoint`] is an
//! Ed25519 signature over the chain's head (sequence number and hash) made with a key kept outside
//! the database, so someone who can write to the database but lacks the key cannot rewrite
//! history and recompute every hash unnoticed. Corrections are new entries, never edits.

use crate::canonical;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The previous-hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a write changed, before it is sealed into the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The user name, or "system".
    pub actor: String,
    /// What happened, as `kind.verb`: `user.add`, `reference.load`, `investigation.add_member`.
    pub action: String,
    /// The kind of record changed: `user`, `investigation`, `reference_data`, `audit_key`…
    pub record_kind: String,
    pub record_id: Option<String>,
    /// The investigation the record belongs to; only its members see the entry.
    pub investigation: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3… without gaps.
    pub seq: i64,
    /// RFC 3339 UTC, milliseconds.
    pub at: String,
    #[serde(flatten)]
    pub change: Change,
    /// The hash of entry `seq - 1` ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Lower-case hex SHA-256 of [`AuditEntry::content`] in canonical JSON.
    pub hash: String,
}

impl AuditEntry {
    /// Seals `change` as entry `seq` after the entry whose hash is `prev_hash`.
    pub fn seal(change: Change, seq: i64, at: String, prev_hash: String) -> AuditEntry {
        let mut e = AuditEntry {
            seq,
            at,
            change,
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// What the hash covers: everything but the hash itself.
    pub fn content(&self) -> Value {
        let c = &self.change;
        json!({
            "v": 1,
            "seq": self.seq,
            "at": self.at,
            "actor": c.actor,
            "action": c.action,
            "record_kind": c.record_kind,
            "record_id": c.record_id,
            "investigation": c.investigation,
            "before": c.before,
            "after": c.after,
            "prev": self.prev_hash,
        })
    }

    pub fn compute_hash(&self) -> String {
        sha256_hex(canonical::to_string(&self.content()).as_bytes())
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A signed statement that the chain's entry `seq` has hash `head_hash`; since every hash covers
/// the one before, it vouches for entries 1 to `seq`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub head_hash: String,
    /// RFC 3339 UTC.
    pub at: String,
    /// Hex Ed25519 public key of the signer.
    pub public_key: String,
    /// Hex Ed25519 signature over [`Checkpoint::payload`].
    pub signature: String,
}

/// An Ed25519 key that signs checkpoints. The secret never goes into the database.
#[derive(Clone)]
pub struct AuditSigner(SigningKey);

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditSigner(public {})", self.public_key_hex())
    }
}

impl AuditSigner {
    /// The key with this 32-byte secret (from a key file, or fresh random bytes).
    pub fn from_secret(secret: [u8; 32]) -> AuditSigner {
        AuditSigner(SigningKey::from_bytes(&secret))
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// The key of record digests, derived from this key's secret (see [`RecordKey`]).
    pub fn record_key(&self) -> RecordKey {
        RecordKey(hmac_sha256(
            &self.0.to_bytes(),
            b"armtrace audit record digests v1",
        ))
    }

    /// Signs the head `seq`/`head_hash` of a chain.
    pub fn sign(&self, seq: i64, head_hash: &str, at: String) -> Checkpoint {
        let public_key = self.public_key_hex();
        let payload = Checkpoint::payload(seq, head_hash, &at, &public_key);
        let signature = hex::encode(self.0.sign(payload.as_bytes()).to_bytes());
        Checkpoint {
            seq,
            head_hash: head_hash.to_string(),
            at,
            public_key,
            signature,
        }
    }
}

impl Checkpoint {
    /// The bytes a checkpoint signs: canonical JSON of what it states.
    pub fn payload(seq: i64, head_hash: &str, at: &str, public_key: &str) -> String {
        canonical::to_string(&json!({
            "statement": "armtrace audit log head",
            "seq": seq,
            "head": head_hash,
            "at": at,
            "public_key": public_key,
        }))
    }

    /// Whether this checkpoint was signed by `trusted_public_key` (hex) and is unaltered.
    pub fn signed_by(&self, trusted_public_key: &str) -> bool {
        if self.public_key != trusted_public_key {
            return false;
        }
        let key = hex32(trusted_public_key).and_then(|k| VerifyingKey::from_bytes(&k).ok());
        let sig = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .map(|b| Signature::from_bytes(&b));
        match (key, sig) {
            (Some(key), Some(sig)) => {
                let payload =
                    Checkpoint::payload(self.seq, &self.head_hash, &self.at, &self.public_key);
                key.verify(payload.as_bytes(), &sig).is_ok()
            }
            _ => false,
        }
    }
}

/// 32 bytes from 64 hex digits.
pub fn hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s.trim()).ok()?.try_into().ok()
}

crate::vocab::vocabulary! {
    "audit problem",
    /// What is wrong with an entry, a checkpoint, the outside head or a record.
    ProblemKind {
        /// A sequence number is missing: an entry was deleted.
        Missing => "missing",
        /// An entry does not link to the one before it: entries were reordered or replaced.
        Unlinked => "unlinked",
        /// An entry's content no longer matches its hash: it was changed after it was written.
        Changed => "changed",
        /// The hashes are consistent but a signed checkpoint vouched for another head: the chain
        /// was rewritten and recomputed.
        Rewritten => "rewritten",
        /// A checkpoint is not signed by the audit key.
        BadSignature => "bad_signature",
        /// Entries no checkpoint covers.
        Unsigned => "unsigned",
        /// The database names another audit key than the key file.
        WrongKey => "wrong_key",
        /// The log is empty (or was restarted) although the database holds records: it was wiped.
        Wiped => "wiped",
        /// The head kept outside the database vouches for entries the log no longer has: the
        /// newest entries were cut off, with their checkpoints.
        Cut => "cut",
        /// A record is not what the last entry about it recorded: it was changed outside armtrace.
        RecordChanged => "record_changed",
        /// A record no entry vouches for: it was added outside armtrace.
        RecordUnknown => "record_unknown",
        /// A record the log vouches for is gone: it was deleted outside armtrace.
        RecordDeleted => "record_deleted",
    }
}

/// One thing verification found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The first entry that can no longer be trusted, when the problem is about entries; for a
    /// record, the entry that last vouched for it.
    pub seq: Option<i64>,
    pub kind: ProblemKind,
    /// The record (`kind/id`: `user/…`, `item/…`) when the problem is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub reason: String,
}

/// An admin's decision, recorded in the log, to go on after verification found problems: the
/// problems it names are reported as accepted, not as failures, once the decision is signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// The `audit.accept` entry.
    pub seq: i64,
    pub actor: String,
    pub at: String,
    pub reason: String,
    /// The first entry no checkpoint signed when the decision was taken (0: none).
    pub unsigned_from: i64,
}

/// The action of an acceptance entry.
pub const ACCEPT_ACTION: &str = "audit.accept";

/// The key in an entry's `after` that holds the digests of the records it wrote
/// (`{"user/…": "digest", …}`; `null` for a record it removed).
pub const RECORDS_KEY: &str = "records";

/// What [`verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub checkpoints: usize,
    /// The highest entry a valid checkpoint vouches for (0: none).
    pub signed_through: i64,
    /// The last entry's number and hash (what an acceptance is about).
    pub head: Option<(i64, String)>,
    /// The entry the head kept outside the database vouches for, when one was checked.
    pub outside_head: Option<i64>,
    /// Records compared with the log (a deep verification), when that was done.
    pub records_checked: Option<u64>,
    /// Sorted: problems with the chain first, each by entry, so the first problem names the
    /// first bad entry (or, when the chain is sound, the first record that differs).
    pub problems: Vec<Problem>,
    /// Problems an admin's signed decision accepted (see [`Acceptance`]).
    pub accepted: Vec<Problem>,
    pub acceptances: Vec<Acceptance>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

/// Verifies a chain: `entries` in the order of their sequence numbers, `checkpoints` in any
/// order, against the public key of the key file (hex). Every entry must be covered by a
/// checkpoint signed with that key. (The store streams both through a [`Verifier`].)
pub fn verify(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    trusted_key: &str,
) -> Verification {
    let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| c.seq);
    let mut v = Verifier::new(trusted_key);
    let mut next = sorted.into_iter().peekable();
    for e in entries {
        v.entry(e);
        while let Some(cp) = next.next_if(|c| c.seq <= e.seq) {
            v.checkpoint(cp);
        }
    }
    for cp in next {
        v.checkpoint(cp);
    }
    v.finish()
}

/// An acceptance as read from its entry, with the problems it names.
#[derive(Debug)]
struct Accept {
    acceptance: Acceptance,
    problems: Vec<(ProblemKind, Option<i64>)>,
}

/// Verification one entry and one checkpoint at a time, so that a log of millions of entries is
/// checked in bounded memory. Give it the entries in sequence order ([`Verifier::entry`]), each
/// checkpoint once every entry up to its number was given ([`Verifier::checkpoint`], in order of
/// their numbers), then [`Verifier::finish`].
#[derive(Debug)]
pub struct Verifier {
    trusted: String,
    expected: i64,
    prev: String,
    last: i64,
    head: Option<(i64, String)>,
    entries: usize,
    checkpoints: usize,
    problems: Vec<Problem>,
    /// Entries the walk found bad, ascending.
    walk: Vec<i64>,
    /// Hashes of the entries after the last checkpoint given.
    hashes: std::collections::HashMap<i64, String>,
    good_through: i64,
    covered: i64,
    accepts: Vec<Accept>,
    outside_head: Option<i64>,
}

impl Verifier {
    pub fn new(trusted_key: &str) -> Verifier {
        Verifier {
            trusted: trusted_key.to_string(),
            expected: 1,
            prev: GENESIS.to_string(),
            last: 0,
            head: None,
            entries: 0,
            checkpoints: 0,
            problems: Vec::new(),
            walk: Vec::new(),
            hashes: Default::default(),
            good_through: 0,
            covered: 0,
            accepts: Vec::new(),
            outside_head: None,
        }
    }

    /// The next entry, in sequence order.
    pub fn entry(&mut self, e: &AuditEntry) {
        self.entries += 1;
        let before = self.problems.len();
        if e.seq != self.expected {
            let (from, to) = (self.expected, e.seq - 1);
            let which = if from == to {
                format!(
                    "entry {from} is missing: entries are numbered without gaps, so it was deleted"
                )
            } else {
                format!(
                    "entries {from}–{to} are missing: entries are numbered without gaps, so they were deleted"
                )
            };
            self.push(Some(self.expected.min(e.seq)), ProblemKind::Missing, which);
        } else if e.prev_hash != self.prev {
            self.push(
                Some(e.seq),
                ProblemKind::Unlinked,
                format!(
                    "entry {} does not follow entry {}: it records another previous entry (entries were reordered, or one was replaced)",
                    e.seq,
                    e.seq - 1
                ),
            );
        } else if e.compute_hash() != e.hash {
            self.push(
                Some(e.seq),
                ProblemKind::Changed,
                format!(
                    "entry {} was changed after it was written: its content no longer matches its hash",
                    e.seq
                ),
            );
        }
        if self.problems.len() > before {
            self.walk
                .extend(self.problems[before..].iter().filter_map(|p| p.seq));
        }
        if e.change.action == ACCEPT_ACTION {
            self.accepts.push(read_accept(e));
        }
        self.prev = e.hash.clone();
        self.expected = e.seq + 1;
        self.last = e.seq;
        self.head = Some((e.seq, e.hash.clone()));
        self.hashes.insert(e.seq, e.hash.clone());
    }

    /// Whether the walk found a bad entry numbered `from` to `to`.
    fn chain_broken(&self, from: i64, to: i64) -> bool {
        let i = self.walk.partition_point(|s| *s < from);
        self.walk.get(i).is_some_and(|s| *s <= to)
    }

    /// The next checkpoint (in order of numbers), once every entry up to its number was given.
    pub fn checkpoint(&mut self, cp: &Checkpoint) {
        let signed = cp.signed_by(&self.trusted);
        self.checkpoint_checked(cp, signed);
    }

    /// [`Verifier::checkpoint`] with its signature already checked (`signed`), so that the
    /// caller may check signatures on several threads.
    pub fn checkpoint_checked(&mut self, cp: &Checkpoint, signed: bool) {
        self.checkpoints += 1;
        self.covered = self.covered.max(cp.seq);
        if !signed {
            self.push(
                Some(cp.seq),
                ProblemKind::BadSignature,
                format!(
                    "the checkpoint at entry {} is not signed by the audit key: it was forged or altered",
                    cp.seq
                ),
            );
            return;
        }
        let last = self.last;
        match self.hashes.get(&cp.seq).cloned() {
            None => {
                let reason = if cp.seq <= last {
                    format!(
                        "entry {} is missing although a signed checkpoint vouches for it: it was deleted",
                        cp.seq
                    )
                } else {
                    format!(
                        "a signed checkpoint vouches for entries up to {}, but the log ends at entry {last}: entries were deleted",
                        cp.seq
                    )
                };
                self.push(Some(cp.seq.min(last + 1)), ProblemKind::Missing, reason);
            }
            // A break the walk already located is reported there, more precisely.
            Some(hash)
                if hash != cp.head_hash && !self.chain_broken(self.good_through + 1, cp.seq) =>
            {
                let from = self.good_through + 1;
                self.push(
                    Some(from),
                    ProblemKind::Rewritten,
                    format!(
                        "entries {from}–{} were rewritten: the checkpoint signed at {} vouches for head {}… at entry {}, the log now has {}…",
                        cp.seq,
                        cp.at,
                        short(&cp.head_hash),
                        cp.seq,
                        short(&hash)
                    ),
                );
            }
            Some(_) => self.good_through = self.good_through.max(cp.seq),
        }
        self.hashes.retain(|s, _| *s > cp.seq);
    }

    /// Compares the log with the head kept outside the database (a checkpoint this machine
    /// signed), given the hash the log has at that entry (`None`: the log has no such entry).
    pub fn outside_head(&mut self, head: &Checkpoint, log_hash: Option<&str>) {
        self.outside_head = Some(head.seq);
        if !head.signed_by(&self.trusted) {
            self.push(
                None,
                ProblemKind::BadSignature,
                format!(
                    "the head kept outside the database (entry {}) is not signed by the audit key: it was forged or altered",
                    head.seq
                ),
            );
            return;
        }
        match log_hash {
            None => self.push(
                Some((self.last + 1).min(head.seq)),
                ProblemKind::Cut,
                format!(
                    "the head kept outside the database vouches for entries up to {}, signed at {}, but the log ends at entry {}: the newest entries were cut off",
                    head.seq, head.at, self.last
                ),
            ),
            Some(h) if h != head.head_hash => self.push(
                Some(head.seq),
                ProblemKind::Rewritten,
                format!(
                    "the head kept outside the database vouches for head {}… at entry {}, the log now has {}…: the log was rewritten",
                    short(&head.head_hash),
                    head.seq,
                    short(h)
                ),
            ),
            Some(_) => {}
        }
    }

    /// Adds a problem found outside the chain (a wiped log, a record that differs).
    pub fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }

    /// The last entry given so far.
    pub fn last(&self) -> i64 {
        self.last
    }

    pub fn finish(mut self) -> Verification {
        let last = self.last;
        if last > self.covered {
            self.push(
                Some(self.covered + 1),
                ProblemKind::Unsigned,
                format!(
                    "entries {}–{last} are not covered by any signed checkpoint: they cannot be told apart from forgeries",
                    self.covered + 1
                ),
            );
        }
        // Acceptances count once they are signed themselves and intact.
        let mut acceptances = Vec::new();
        let mut accepted_keys: Vec<(ProblemKind, Option<i64>, i64)> = Vec::new();
        for a in std::mem::take(&mut self.accepts) {
            let seq = a.acceptance.seq;
            if seq <= self.good_through && !self.chain_broken(seq, seq) {
                accepted_keys.extend(a.problems.iter().map(|(k, s)| (*k, *s, seq)));
                acceptances.push(a.acceptance);
            }
        }
        let (mut accepted, mut problems): (Vec<Problem>, Vec<Problem>) =
            self.problems.into_iter().partition(|p| {
                p.record.is_none()
                    && accepted_keys.iter().any(|(k, s, at)| {
                        *k == p.kind && *s == p.seq && p.seq.is_none_or(|ps| ps < *at)
                    })
            });
        // Problems with the chain first (they explain the records'), each by entry.
        problems.sort_by(|a, b| {
            (a.record.is_some(), a.seq, a.kind, &a.record).cmp(&(
                b.record.is_some(),
                b.seq,
                b.kind,
                &b.record,
            ))
        });
        problems.dedup();
        accepted.sort_by_key(|p| (p.seq, p.kind));
        accepted.dedup();
        Verification {
            entries: self.entries,
            checkpoints: self.checkpoints,
            signed_through: self.good_through,
            head: self.head,
            outside_head: self.outside_head,
            records_checked: None,
            problems,
            accepted,
            acceptances,
        }
    }

    fn push(&mut self, seq: Option<i64>, kind: ProblemKind, reason: String) {
        self.problems.push(Problem {
            seq,
            kind,
            record: None,
            reason,
        });
    }
}

/// An `audit.accept` entry's decision: `after` holds `reason`, `unsigned_from` and `problems`
/// (`[{"kind", "seq"}]`).
fn read_accept(e: &AuditEntry) -> Accept {
    let after = e.change.after.as_ref();
    let field = |k: &str| after.and_then(|a| a.get(k));
    let problems = field("problems")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    let kind = p.get("kind")?.as_str()?.parse::<ProblemKind>().ok()?;
                    Some((kind, p.get("seq").and_then(Value::as_i64)))
                })
                .collect()
        })
        .unwrap_or_default();
    Accept {
        acceptance: Acceptance {
            seq: e.seq,
            actor: e.change.actor.clone(),
            at: e.at.clone(),
            reason: field("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            unsigned_from: field("unsigned_from").and_then(Value::as_i64).unwrap_or(0),
        },
        problems,
    }
}

/// The key that makes record digests: HMAC-SHA-256 with a key derived from the audit key file's
/// secret. The digests in the log let verification replay it against the tables, and tell a
/// reader without the key file nothing: unlike a plain hash of a record, they cannot be
/// recomputed for guessed content (exact coordinates behind rounded ones).
#[derive(Clone)]
pub struct RecordKey([u8; 32]);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(…)")
    }
}

type HmacSha256 = hmac::Hmac<Sha256>;

/// HMAC-SHA-256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl RecordKey {
    /// The digest of `record` (`kind/id`) whose content is `value`: HMAC-SHA-256 over the
    /// canonical JSON of both, its first 128 bits in hex.
    pub fn digest(&self, record: &str, value: &Value) -> String {
        let text = canonical::to_string(&json!({"record": record, "content": value}));
        hex::encode(&hmac_sha256(&self.0, text.as_bytes())[..16])
    }

    /// A keyed digest of any bytes (an import file's SHA-256, for readers without clearance).
    pub fn digest_bytes(&self, what: &str, bytes: &[u8]) -> String {
        let mut m = what.as_bytes().to_vec();
        m.push(0);
        m.extend_from_slice(bytes);
        hex::encode(&hmac_sha256(&self.0, &m)[..16])
    }
}

/// What the log says each record should be, replayed entry by entry: its latest digest and the
/// entry that wrote it. Records are kept by a 128-bit hash of their name, so a million of them
/// take tens of megabytes.
#[derive(Debug, Default)]
pub struct Replay {
    expected: std::collections::HashMap<u128, (i64, [u8; 16])>,
}

/// How a stored record compares with the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordCheck {
    Matches,
    /// Not what entry `seq`, the last about it, recorded.
    Differs {
        seq: i64,
    },
    /// No entry vouches for it.
    Unknown,
}

/// The 128-bit name of a record in a [`Replay`].
pub fn record_name_hash(record: &str) -> u128 {
    let d = Sha256::digest(record.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_be_bytes(b)
}

impl Replay {
    /// Takes in the digests an entry recorded (entries before record digests existed carry none).
    pub fn entry(&mut self, e: &AuditEntry) {
        let Some(records) = e
            .change
            .after
            .as_ref()
            .and_then(|a| a.get(RECORDS_KEY))
            .and_then(Value::as_object)
        else {
            return;
        };
        for (name, digest) in records {
            let key = record_name_hash(name);
            match digest.as_str().and_then(digest16) {
                Some(d) => {
                    self.expected.insert(key, (e.seq, d));
                }
                None => {
                    self.expected.remove(&key);
                }
            }
        }
    }

    /// Compares the stored `record` (its digest) with the log, and counts it as seen.
    pub fn check(&mut self, record: &str, digest: &str) -> RecordCheck {
        match self.expected.remove(&record_name_hash(record)) {
            None => RecordCheck::Unknown,
            Some((seq, d)) if Some(d) != digest16(digest) => RecordCheck::Differs { seq },
            Some(_) => RecordCheck::Matches,
        }
    }

    /// The records the log vouches for that were not seen, as (name hash, entry), by entry.
    pub fn unseen(&self) -> Vec<(u128, i64)> {
        let mut v: Vec<(u128, i64)> = self.expected.iter().map(|(k, (s, _))| (*k, *s)).collect();
        v.sort_by_key(|(k, s)| (*s, *k));
        v
    }

    pub fn len(&self) -> usize {
        self.expected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expected.is_empty()
    }
}

fn digest16(s: &str) -> Option<[u8; 16]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// An entry as a reader without the confidential tier sees it: no hashes (an entry's hash
/// covers its content, and entries written before record digests held a plain SHA-256 of an
/// item's exact content, or of the file it was imported from, either of which lets a guess at
/// exact coordinates be checked), and no such legacy content hash.
pub fn public_view(e: &AuditEntry) -> AuditEntry {
    let strip = |v: &Option<Value>| {
        v.as_ref().map(|v| {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("content_sha256");
                if e.change.action == "item.import" {
                    o.remove("sha256");
                }
            }
            v
        })
    };
    let mut out = e.clone();
    out.change.before = strip(&e.change.before);
    out.change.after = strip(&e.change.after);
    out.prev_hash = WITHHELD_HASH.to_string();
    out.hash = WITHHELD_HASH.to_string();
    out
}

/// What the public view shows instead of an entry's hash.
pub const WITHHELD_HASH: &str = "(withheld in the public tier)";

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC: `2025-03-01T12:00:00.000Z`.
pub fn utc_timestamp(unix_millis: i64) -> String {
    let secs = unix_millis.div_euclid(1000);
    let millis = unix_millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: i64) -> Change {
        Change {
            actor: "ana".into(),
            action: "user.add".into(),
            record_kind: "user".into(),
            record_id: Some(format!("u{n}")),
            investigation: None,
            before: None,
            after: Some(json!({"name": format!("user{n}"), "role": "viewer"})),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or(GENESIS.into());
            out.push(AuditEntry::seal(
                change(seq),
                seq,
                utc_timestamp(seq * 1000),
                prev,
            ));
        }
        out
    }

    fn signer(b: u8) -> AuditSigner {
        AuditSigner::from_secret([b; 32])
    }

    fn sign_at(entries: &[AuditEntry], seqs: &[i64], key: &AuditSigner) -> Vec<Checkpoint> {
        seqs.iter()
            .map(|s| {
                let e = &entries[(*s - 1) as usize];
                key.sign(e.seq, &e.hash, "2025-01-01T00:00:00.000Z".into())
            })
            .collect()
    }

    /// Recomputes every hash from entry `from` on, as someone who knows the algorithm would.
    fn recompute(entries: &mut [AuditEntry]) {
        let mut prev = GENESIS.to_string();
        for e in entries.iter_mut() {
            e.prev_hash = prev;
            e.hash = e.compute_hash();
            prev = e.hash.clone();
        }
    }

    fn summary(v: &Verification) -> String {
        match v.first_problem() {
            None => format!("ok, signed through {}", v.signed_through),
            Some(p) => format!("{} at {:?}", p.kind, p.seq),
        }
    }

    #[test]
    fn the_pinned_hash_of_an_entry_does_not_change() {
        let e = AuditEntry::seal(change(1), 1, utc_timestamp(0), GENESIS.into());
        assert_eq!(
            canonical::to_string(&e.content()),
            r#"{"action":"user.add","actor":"ana","after":{"name":"user1","role":"viewer"},"at":"1970-01-01T00:00:00.000Z","before":null,"investigation":null,"prev":"0000000000000000000000000000000000000000000000000000000000000000","record_id":"u1","record_kind":"user","seq":1,"v":1}"#
        );
        assert_eq!(
            e.hash,
            sha256_hex(canonical::to_string(&e.content()).as_bytes())
        );
        assert_eq!(e.hash.len(), 64);
    }

    #[test]
    fn tampering_is_detected_and_the_first_bad_entry_named() {
        let key = signer(7);
        let trusted = key.public_key_hex();
        type Tamper = fn(&mut Vec<AuditEntry>, &mut Vec<Checkpoint>);
        let cases: Vec<(&str, Tamper, &str)> = vec![
            ("untouched", |_, _| {}, "ok, signed through 6"),
            (
                "change entry 3",
                |e, _| e[2].change.actor = "mallory".into(),
                "changed at Some(3)",
            ),
            (
                "change entry 6 (the head)",
                |e, _| e[5].change.after = None,
                "changed at Some(6)",
            ),
            (
                "delete entry 4",
                |e, _| {
                    e.remove(3);
                },
                "missing at Some(4)",
            ),
            (
                "delete entry 1",
                |e, _| {
                    e.remove(0);
                },
                "missing at Some(1)",
            ),
            (
                "delete the last entry",
                |e, _| {
                    e.pop();
                },
                "missing at Some(6)",
            ),
            (
                "swap the numbers of entries 2 and 3",
                |e, _| {
                    e.swap(1, 2);
                    e[1].seq = 2;
                    e[2].seq = 3;
                },
                "unlinked at Some(2)",
            ),
            (
                "change entry 5 and recompute every hash",
                |e, _| {
                    e[4].change.actor = "mallory".into();
                    recompute(e);
                },
                "rewritten at Some(4)",
            ),
            (
                "recompute and delete every checkpoint",
                |e, c| {
                    e[1].change.actor = "mallory".into();
                    recompute(e);
                    c.clear();
                },
                "unsigned at Some(1)",
            ),
            (
                "forge a checkpoint with another key",
                |e, c| {
                    e[4].change.actor = "mallory".into();
                    recompute(e);
                    *c = sign_at(e, &[3, 6], &signer(9));
                },
                "bad_signature at Some(3)",
            ),
            (
                "alter a checkpoint's head",
                |_, c| c[0].head_hash = GENESIS.into(),
                "bad_signature at Some(3)",
            ),
            (
                "append after the last checkpoint",
                |e, _| {
                    let prev = e[5].hash.clone();
                    e.push(AuditEntry::seal(change(7), 7, utc_timestamp(7000), prev));
                },
                "unsigned at Some(7)",
            ),
        ];
        for (what, tamper, want) in cases {
            let mut entries = chain(6);
            let mut checkpoints = sign_at(&entries, &[3, 6], &key);
            tamper(&mut entries, &mut checkpoints);
            let v = verify(&entries, &checkpoints, &trusted);
            assert_eq!(summary(&v), want, "{what}: {:#?}", v.problems);
        }
    }

    #[test]
    fn problems_are_explained() {
        let key = signer(7);
        let mut entries = chain(4);
        let checkpoints = sign_at(&entries, &[2, 4], &key);
        entries[2].change.actor = "mallory".into();
        recompute(&mut entries);
        let v = verify(&entries, &checkpoints, &key.public_key_hex());
        let p = v
            .first_problem()
            .map(|p| p.reason.clone())
            .unwrap_or_default();
        assert!(
            p.starts_with("entries 3–4 were rewritten: the checkpoint signed at"),
            "{p}"
        );
        assert_eq!(v.signed_through, 2);

        let mut entries = chain(5);
        let checkpoints = sign_at(&entries, &[5], &key);
        entries.remove(1);
        entries.remove(1);
        let v = verify(&entries, &checkpoints, &key.public_key_hex());
        assert_eq!(
            v.first_problem().map(|p| p.reason.as_str()),
            Some(
                "entries 2–3 are missing: entries are numbered without gaps, so they were deleted"
            )
        );

        let mut entries = chain(4);
        let checkpoints = sign_at(&entries, &[2, 4], &key);
        entries.remove(1);
        let v = verify(&entries, &checkpoints, &key.public_key_hex());
        let reasons: Vec<&str> = v.problems.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "entry 2 is missing: entries are numbered without gaps, so it was deleted",
                "entry 2 is missing although a signed checkpoint vouches for it: it was deleted"
            ]
        );
    }

    #[test]
    fn checkpoints_need_the_trusted_key() {
        let entries = chain(2);
        let cp = sign_at(&entries, &[2], &signer(1));
        assert!(cp[0].signed_by(&signer(1).public_key_hex()));
        assert!(!cp[0].signed_by(&signer(2).public_key_hex()));
        let v = verify(&entries, &cp, &signer(2).public_key_hex());
        assert_eq!(summary(&v), "bad_signature at Some(2)");
        assert!(verify(&[], &[], "").ok(), "an empty log is valid");
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let k = signer(7).record_key();
        let d = k.digest("item/1", &json!({"lat": 36.3456}));
        assert_eq!(d.len(), 32);
        assert_ne!(
            d,
            signer(8)
                .record_key()
                .digest("item/1", &json!({"lat": 36.3456}))
        );
        assert_ne!(d, k.digest("item/2", &json!({"lat": 36.3456})));
    }

    #[test]
    fn an_acceptance_that_is_signed_accepts_the_problems_it_names() {
        let key = signer(7);
        let mut entries = chain(4);
        let checkpoints = sign_at(&entries, &[2, 4], &key);
        entries[2].change.actor = "mallory".into();
        recompute(&mut entries);
        let before = verify(&entries, &checkpoints, &key.public_key_hex());
        assert_eq!(summary(&before), "rewritten at Some(3)");
        let problems: Vec<Value> = before
            .problems
            .iter()
            .map(|p| json!({"kind": p.kind, "seq": p.seq}))
            .collect();
        let accept = Change {
            actor: "ana".into(),
            action: ACCEPT_ACTION.into(),
            record_kind: "audit".into(),
            record_id: None,
            investigation: None,
            before: None,
            after: Some(json!({"reason": "checked", "problems": problems, "unsigned_from": 0})),
        };
        let prev = entries[3].hash.clone();
        entries.push(AuditEntry::seal(accept, 5, utc_timestamp(5000), prev));
        // Unsigned, the decision counts for nothing.
        let unsigned = verify(&entries, &checkpoints, &key.public_key_hex());
        assert_eq!(summary(&unsigned), "rewritten at Some(3)");
        let mut signed = checkpoints.clone();
        signed.extend(sign_at(&entries, &[5], &key));
        let v = verify(&entries, &signed, &key.public_key_hex());
        assert!(v.ok(), "{:#?}", v.problems);
        assert_eq!(v.accepted.len(), 1);
        assert_eq!(v.acceptances[0].reason, "checked");
        // A problem it did not name still fails.
        entries[0].change.actor = "eve".into();
        let v = verify(&entries, &signed, &key.public_key_hex());
        assert_eq!(summary(&v), "changed at Some(1)");
    }

    #[test]
    fn the_outside_head_finds_a_cut_log() {
        let key = signer(7);
        let entries = chain(6);
        let head = sign_at(&entries, &[6], &key).remove(0);
        let checkpoints = sign_at(&entries, &[2, 4], &key);
        let cases: Vec<(usize, Option<&str>, &str)> = vec![
            (6, Some(entries[5].hash.as_str()), "ok, signed through 4"),
            (4, None, "cut at Some(5)"),
            (6, Some(GENESIS), "rewritten at Some(6)"),
        ];
        for (n, log_hash, want) in cases {
            let mut v = Verifier::new(&key.public_key_hex());
            for e in &entries[..n] {
                v.entry(e);
            }
            for c in &checkpoints {
                v.checkpoint(c);
            }
            v.outside_head(&head, log_hash);
            let mut r = v.finish();
            // Entries 5-6 are signed only by the outside head in this set-up.
            r.problems.retain(|p| p.kind != ProblemKind::Unsigned);
            assert_eq!(summary(&r), want, "{n}");
        }
        let mut v = Verifier::new(&key.public_key_hex());
        v.outside_head(&sign_at(&entries, &[6], &signer(9)).remove(0), None);
        assert_eq!(summary(&v.finish()), "bad_signature at None");
    }

    #[test]
    fn a_replay_knows_what_each_record_should_be() {
        let k = signer(7).record_key();
        let with = |seq: i64, records: Value| {
            let mut c = change(seq);
            c.after = Some(json!({ RECORDS_KEY: records }));
            AuditEntry::seal(c, seq, utc_timestamp(0), GENESIS.into())
        };
        let mut r = Replay::default();
        r.entry(&with(1, json!({"user/a": k.digest("user/a", &json!(1)), "user/b": k.digest("user/b", &json!(1))})));
        r.entry(&with(2, json!({"user/a": k.digest("user/a", &json!(2)), "user/c": k.digest("user/c", &json!(1))})));
        r.entry(&with(3, json!({"user/c": null})));
        r.entry(&AuditEntry::seal(
            change(4),
            4,
            utc_timestamp(0),
            GENESIS.into(),
        ));
        assert_eq!(
            r.check("user/a", &k.digest("user/a", &json!(1))),
            RecordCheck::Differs { seq: 2 }
        );
        assert_eq!(
            r.check("user/c", &k.digest("user/c", &json!(1))),
            RecordCheck::Unknown
        );
        assert_eq!(r.check("user/d", "00"), RecordCheck::Unknown);
        assert_eq!(r.unseen(), vec![(record_name_hash("user/b"), 1)]);
        assert_eq!(
            r.check("user/b", &k.digest("user/b", &json!(1))),
            RecordCheck::Matches
        );
        assert!(r.is_empty());
    }

    #[test]
    fn the_public_view_holds_no_hash_to_check_a_guess_against() {
        let mut c = change(1);
        c.action = "item.add".into();
        c.after = Some(
            json!({"place": {"lat": 36.3}, "content_sha256": "ab", "records": {"item/x": "cd"}}),
        );
        let e = AuditEntry::seal(c, 1, utc_timestamp(0), GENESIS.into());
        let p = public_view(&e);
        assert_eq!(
            p.change.after,
            Some(json!({"place": {"lat": 36.3}, "records": {"item/x": "cd"}}))
        );
        assert_eq!(
            (p.hash.as_str(), p.prev_hash.as_str()),
            (WITHHELD_HASH, WITHHELD_HASH)
        );
    }

    #[test]
    fn timestamps_are_rfc_3339_utc() {
        for (ms, want) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_740_830_400_123, "2025-03-01T12:00:00.123Z"),
            (20_526 * 86_400_000, "2026-03-14T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(utc_timestamp(ms), want, "{ms}");
        }
    }
}
