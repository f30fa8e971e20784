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
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
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
    /// What is wrong with an entry or checkpoint.
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
    }
}

/// One thing verification found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The first entry that can no longer be trusted, when the problem is about entries.
    pub seq: Option<i64>,
    pub kind: ProblemKind,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub checkpoints: usize,
    /// The highest entry a valid checkpoint vouches for (0: none).
    pub signed_through: i64,
    /// Sorted: the first problem names the first bad entry.
    pub problems: Vec<Problem>,
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
/// checkpoint signed with that key.
pub fn verify(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    trusted_key: &str,
) -> Verification {
    let mut problems = Vec::new();
    let mut expected = 1;
    let mut prev = GENESIS.to_string();
    for e in entries {
        if e.seq != expected {
            let (from, to) = (expected, e.seq - 1);
            let which = if from == to {
                format!(
                    "entry {from} is missing: entries are numbered without gaps, so it was deleted"
                )
            } else {
                format!(
                    "entries {from}–{to} are missing: entries are numbered without gaps, so they were deleted"
                )
            };
            push(
                &mut problems,
                Some(expected.min(e.seq)),
                ProblemKind::Missing,
                which,
            );
        } else if e.prev_hash != prev {
            push(
                &mut problems,
                Some(e.seq),
                ProblemKind::Unlinked,
                format!(
                    "entry {} does not follow entry {}: it records another previous entry (entries were reordered, or one was replaced)",
                    e.seq,
                    e.seq - 1
                ),
            );
        } else if e.compute_hash() != e.hash {
            push(
                &mut problems,
                Some(e.seq),
                ProblemKind::Changed,
                format!(
                    "entry {} was changed after it was written: its content no longer matches its hash",
                    e.seq
                ),
            );
        }
        prev = e.hash.clone();
        expected = e.seq + 1;
    }
    let last = entries.last().map(|e| e.seq).unwrap_or(0);
    let walk: Vec<i64> = problems.iter().filter_map(|p| p.seq).collect();
    let chain_broken = |from: i64, to: i64| walk.iter().any(|s| (from..=to).contains(s));

    let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| c.seq);
    let mut good_through = 0;
    let mut covered = 0;
    for cp in sorted {
        covered = covered.max(cp.seq);
        if !cp.signed_by(trusted_key) {
            push(
                &mut problems,
                Some(cp.seq),
                ProblemKind::BadSignature,
                format!(
                    "the checkpoint at entry {} is not signed by the audit key: it was forged or altered",
                    cp.seq
                ),
            );
            continue;
        }
        match entries.iter().find(|e| e.seq == cp.seq) {
            None => push(
                &mut problems,
                Some(cp.seq.min(last + 1)),
                ProblemKind::Missing,
                if cp.seq <= last {
                    format!(
                        "entry {} is missing although a signed checkpoint vouches for it: it was deleted",
                        cp.seq
                    )
                } else {
                    format!(
                        "a signed checkpoint vouches for entries up to {}, but the log ends at entry {last}: entries were deleted",
                        cp.seq
                    )
                },
            ),
            // A break the walk above already located is reported there, more precisely.
            Some(e) if e.hash != cp.head_hash && !chain_broken(good_through + 1, cp.seq) => push(
                &mut problems,
                Some(good_through + 1),
                ProblemKind::Rewritten,
                format!(
                    "entries {}–{} were rewritten: the checkpoint signed at {} vouches for head {}… at entry {}, the log now has {}…",
                    good_through + 1,
                    cp.seq,
                    cp.at,
                    short(&cp.head_hash),
                    cp.seq,
                    short(&e.hash)
                ),
            ),
            Some(_) => good_through = good_through.max(cp.seq),
        }
    }
    if last > covered {
        push(
            &mut problems,
            Some(covered + 1),
            ProblemKind::Unsigned,
            format!(
                "entries {}–{last} are not covered by any signed checkpoint: they cannot be told apart from forgeries. If you trust them, sign them with `armtrace audit checkpoint`",
                covered + 1
            ),
        );
    }
    problems.sort_by_key(|p| (p.seq, p.kind));
    problems.dedup();
    Verification {
        entries: entries.len(),
        checkpoints: checkpoints.len(),
        signed_through: good_through,
        problems,
    }
}

fn push(problems: &mut Vec<Problem>, seq: Option<i64>, kind: ProblemKind, reason: String) {
    problems.push(Problem { seq, kind, reason });
}

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
