//! The attacks of issue 17, each done as an attacker would (plain SQL on the database, without
//! the key file), on SQLite always and on PostgreSQL when `ARMTRACE_TEST_PG` is set. Each is first
//! shown to pass the verification armtrace had before (`testing::legacy_verify`, with the old
//! write path's blind signing where it mattered), so the test cannot be vacuous, and then to be
//! caught. Then a property test: random legitimate writes, a random tampering step or none, and
//! verification fails exactly when something was tampered with.

use armtrace_core::Code;
use armtrace_core::access::{Identity, Role};
use armtrace_core::audit::{AuditSigner, ProblemKind, Verification};
use armtrace_core::item::{ItemDraft, Place};
use armtrace_store::testing::{Tamper, TestDb, legacy_verify, sign_head_blindly, tamper};
use armtrace_store::{AuditKey, NewEvidence, OpenMode, Store};
use proptest::prelude::*;

fn signer() -> AuditSigner {
    AuditSigner::from_secret([7; 32])
}

fn user(name: &str) -> Identity {
    Identity::user(name)
}

/// A database with its owner, a viewer vic and an investigator ina in investigation "Mosul";
/// the outside head in `dir`.
async fn setup(db: &TestDb, dir: &std::path::Path) -> (Store, AuditKey) {
    let key = AuditKey::new(signer(), Some(dir.join("test.audit-head")));
    let store = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await
        .unwrap_or_else(|e| panic!("{}: open: {e}", db.backend()))
        .with_signer(key.clone());
    store
        .bootstrap("owner", &signer())
        .await
        .unwrap_or_else(|e| panic!("bootstrap: {e}"));
    let owner = user("owner");
    for (n, r) in [("vic", Role::Viewer), ("ina", Role::Investigator)] {
        store
            .add_user(&owner, n, r)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    store
        .add_investigation(&user("ina"), "Mosul", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .add_member(&user("ina"), "Mosul", "vic")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (store, key)
}

async fn verify(store: &Store, key: &AuditKey) -> Verification {
    store
        .verify_audit(key, true)
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"))
}

async fn legacy(store: &Store) -> Verification {
    legacy_verify(store, &signer().public_key_hex())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn first(v: &Verification) -> Option<ProblemKind> {
    v.first_problem().map(|p| p.kind)
}

fn sensitive(lat: f64, lon: f64) -> ItemDraft {
    ItemDraft {
        reference: Some("S-1".into()),
        description: Some("rifle".into()),
        identification: None,
        markings: vec![],
        place: Some(Place {
            lat: Some(lat),
            lon: Some(lon),
            precision_m: Some(20),
            name: None,
            country: None,
        }),
        country_basis: None,
        location_sensitive: true,
        date: None,
        possessor: None,
        acquisition: None,
        notes: None,
        source: "armtrace items add".into(),
    }
}

/// Attack 1: a forged entry (appended, or an entry rewritten and the chain recomputed with its
/// later checkpoints dropped), then an ordinary write.
#[tokio::test]
async fn a_normal_write_no_longer_signs_forged_entries() {
    for how in [
        Tamper::AppendForgedEntry,
        Tamper::RewriteChainAndDropLaterCheckpoints(5),
    ] {
        for db in TestDb::all("a_normal_write_no_longer_signs_forged_entries").await {
            let b = db.backend();
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let (store, key) = setup(&db, dir.path()).await;
            // Before: the old write path signed the head blindly, and the old verification
            // said OK.
            tamper(&store, how.clone())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sign_head_blindly(&store, &signer())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(legacy(&store).await.ok(), "{b} {how:?}: passed before");
            undo_blind_signature(&store).await;
            // Now: the ordinary write refuses and writes nothing; verification names it.
            let before = db_copy_state(&store).await;
            let r = store.add_user(&user("owner"), "bob", Role::Viewer).await;
            assert_eq!(
                r.err().map(|e| e.code()),
                Some(Code::AuditUnsigned),
                "{b} {how:?}"
            );
            assert_eq!(db_copy_state(&store).await, before, "{b}: nothing written");
            let v = verify(&store, &key).await;
            assert_eq!(
                first(&v),
                Some(ProblemKind::Unsigned),
                "{b} {how:?}: {:#?}",
                v.problems
            );
            // Only an admin's explicit decision goes on, and it is recorded.
            store
                .accept_audit(&user("owner"), "checked: a test forgery", &v)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            store
                .add_user(&user("owner"), "bob", Role::Viewer)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            let v = verify(&store, &key).await;
            assert!(v.ok(), "{b} {how:?}: {:#?}", v.problems);
            assert_eq!(v.acceptances.len(), 1, "{b}");
            store.close().await;
        }
    }
}

/// (entries, checkpoints) — to show that a refused write left nothing.
async fn db_copy_state(store: &Store) -> (usize, usize) {
    let e = armtrace_store::testing::audit_entry_count(store)
        .await
        .unwrap_or(0);
    let c = store.checkpoints().await.map(|c| c.len()).unwrap_or(0);
    (e, c)
}

/// Removes the checkpoint `sign_head_blindly` added (the new code never made it).
async fn undo_blind_signature(store: &Store) {
    let last = store
        .checkpoints()
        .await
        .ok()
        .and_then(|c| c.last().map(|c| c.seq))
        .unwrap_or(0);
    tamper(
        store,
        Tamper::Sql(format!("DELETE FROM audit_checkpoints WHERE seq = {last}")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Attack 2: wiping the whole log.
#[tokio::test]
async fn a_wiped_log_fails() {
    for db in TestDb::all("a_wiped_log_fails").await {
        let b = db.backend();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (store, key) = setup(&db, dir.path()).await;
        tamper(&store, Tamper::Wipe)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy(&store).await.ok(), "{b}: passed before");
        let v = verify(&store, &key).await;
        assert_eq!(
            first(&v),
            Some(ProblemKind::Wiped),
            "{b}: {:#?}",
            v.problems
        );
        // Without the outside head too.
        let inside = AuditKey::new(signer(), None);
        assert_eq!(
            first(&verify(&store, &inside).await),
            Some(ProblemKind::Wiped),
            "{b}"
        );
        let r = store.add_user(&user("owner"), "bob", Role::Viewer).await;
        assert_eq!(r.err().map(|e| e.code()), Some(Code::AuditTampered), "{b}");
        store.close().await;
    }
}

/// The known limit before: cutting off the newest entries with their checkpoints looked like an
/// older backup. The outside head finds it.
#[tokio::test]
async fn a_cut_log_is_found_by_the_outside_head() {
    for db in TestDb::all("a_cut_log_is_found_by_the_outside_head").await {
        let b = db.backend();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (store, key) = setup(&db, dir.path()).await;
        // The last write (the membership) and its checkpoint go, with the row it wrote.
        let n = armtrace_store::testing::audit_entry_count(&store)
            .await
            .unwrap_or(0) as i64;
        tamper(&store, Tamper::CutAfter(n - 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tamper(&store, Tamper::Sql("DELETE FROM memberships WHERE added_by = 'ina' AND user_id IN (SELECT id FROM users WHERE name = 'vic')".into()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy(&store).await.ok(), "{b}: passed before");
        let inside = AuditKey::new(signer(), None);
        assert!(
            verify(&store, &inside).await.ok(),
            "{b}: the database alone cannot tell"
        );
        let v = verify(&store, &key).await;
        assert_eq!(first(&v), Some(ProblemKind::Cut), "{b}: {:#?}", v.problems);
        let r = store.add_user(&user("owner"), "bob", Role::Viewer).await;
        assert_eq!(r.err().map(|e| e.code()), Some(Code::AuditTampered), "{b}");
        store.close().await;
    }
}

/// Attack 3: a viewer recovers exact sensitive coordinates from the log by brute force over the
/// rounding cell. The old entries held a plain SHA-256 of the exact content; the new ones hold
/// only a digest keyed by the audit key, and a viewer sees no hashes.
#[tokio::test]
async fn a_viewer_cannot_brute_force_sensitive_coordinates_from_the_log() {
    for db in TestDb::all("a_viewer_cannot_brute_force_coordinates").await {
        let b = db.backend();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (store, _) = setup(&db, dir.path()).await;
        let (lat, lon) = (36.3456, 43.1234);
        store
            .add_item(&user("ina"), "Mosul", &sensitive(lat, lon))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let log = store
            .audit_log(&user("vic"), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let entry = log
            .iter()
            .find(|e| e.change.action == "item.add")
            .unwrap_or_else(|| panic!("{b}: no item.add"));
        let after = entry.change.after.clone().unwrap_or_default();
        assert_eq!(
            after["place"]["lat"], 36.3,
            "{b}: the viewer sees it rounded"
        );
        // What the old entry held beside that: the plain hash of the exact content.
        let old_hash = sensitive(lat, lon).content_sha256();
        // The search: every 4-decimal point of the part of the rounding cell around the truth
        // (the issue searched the whole cell in 4.6 s of Python), each draft as the log shows it.
        let search = |target: &dyn Fn(&str) -> bool| {
            let mut found = None;
            for i in 0..200 {
                for j in 0..200 {
                    let (la, lo) = (
                        36.33 + f64::from(i) / 10_000.0,
                        43.11 + f64::from(j) / 10_000.0,
                    );
                    let (la, lo) = ((la * 1e4).round() / 1e4, (lo * 1e4).round() / 1e4);
                    if target(&sensitive(la, lo).content_sha256()) {
                        found = Some((la, lo));
                    }
                }
            }
            found
        };
        assert_eq!(
            search(&|h| h == old_hash),
            Some((lat, lon)),
            "{b}: the old data made it feasible"
        );
        // The new view: no value in it to test a guess against.
        let view = serde_json::to_string(&log).unwrap_or_default();
        assert!(
            !view.contains("content_sha256") && !view.contains(&old_hash),
            "{b}"
        );
        assert!(
            !view.contains("36.3456") && !view.contains("43.1234"),
            "{b}"
        );
        let hexes: Vec<String> = view
            .split(|c: char| !c.is_ascii_hexdigit())
            .filter(|s| s.len() >= 32 && *s != signer().public_key_hex())
            .map(str::to_string)
            .collect();
        assert!(
            hexes.iter().all(|h| h.len() == 32),
            "{b}: only keyed 128-bit record digests, no hash: {hexes:?}"
        );
        assert_eq!(
            search(&|h| hexes.iter().any(|x| h.starts_with(x.as_str()))),
            None,
            "{b}"
        );
        // An investigator (confidential tier) may see the hashes of the entries.
        let full = store
            .audit_log(&user("ina"), None)
            .await
            .unwrap_or_default();
        assert!(full.iter().all(|e| e.hash.len() == 64), "{b}");
        store.close().await;
    }
}

/// Attack 4: data tables edited directly — an evidence record pointed at a planted file's hash,
/// and a user row inserted with role admin (or a viewer made admin).
#[tokio::test]
async fn records_are_checked_against_the_log() {
    for db in TestDb::all("records_are_checked_against_the_log").await {
        let b = db.backend();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (store, key) = setup(&db, dir.path()).await;
        let original = "a".repeat(64);
        store
            .add_evidence(
                &user("ina"),
                Some("Mosul"),
                None,
                &armtrace_core::evidence::EvidenceAnchor::Whole,
                &[NewEvidence {
                    sha256: original.clone(),
                    size: 10,
                    media_type: "image/jpeg".into(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(verify(&store, &key).await.ok(), "{b}");
        let planted = "b".repeat(64);
        tamper(
            &store,
            Tamper::Sql(format!("UPDATE evidence SET sha256 = '{planted}'")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy(&store).await.ok(), "{b}: passed before");
        let v = verify(&store, &key).await;
        let p = v.first_problem().cloned();
        assert_eq!(
            p.as_ref().map(|p| p.kind),
            Some(ProblemKind::RecordChanged),
            "{b}: {:#?}",
            v.problems
        );
        assert!(
            p.and_then(|p| p.record)
                .is_some_and(|r| r.starts_with("evidence/")),
            "{b}"
        );
        tamper(
            &store,
            Tamper::Sql(format!("UPDATE evidence SET sha256 = '{original}'")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(verify(&store, &key).await.ok(), "{b}: put back");

        // An admin row inserted directly could act at once before.
        tamper(&store, Tamper::Sql("INSERT INTO users (id, name, role, active, created_at, created_by) VALUES ('0192a000-0000-7000-8000-000000000001', 'mallory', 'admin', TRUE, '2025-01-01T00:00:00.000Z', 'owner')".into()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy(&store).await.ok(), "{b}: passed before");
        assert!(store.user("mallory").await.ok().flatten().is_some(), "{b}");
        let r = store.add_user(&user("mallory"), "eve", Role::Admin).await;
        assert_eq!(
            r.err().map(|e| e.code()),
            Some(Code::AuditTampered),
            "{b}: refused"
        );
        let r = store.users(&user("mallory")).await;
        assert_eq!(
            r.err().map(|e| e.code()),
            Some(Code::AuditTampered),
            "{b}: reads too"
        );
        let v = verify(&store, &key).await;
        assert_eq!(
            first(&v),
            Some(ProblemKind::RecordUnknown),
            "{b}: {:#?}",
            v.problems
        );
        tamper(
            &store,
            Tamper::Sql("DELETE FROM users WHERE name = 'mallory'".into()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        // A viewer made admin.
        tamper(
            &store,
            Tamper::Sql("UPDATE users SET role = 'admin' WHERE name = 'vic'".into()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy(&store).await.ok(), "{b}: passed before");
        let r = store.add_user(&user("vic"), "eve", Role::Admin).await;
        assert_eq!(r.err().map(|e| e.code()), Some(Code::AuditTampered), "{b}");
        assert_eq!(
            first(&verify(&store, &key).await),
            Some(ProblemKind::RecordChanged),
            "{b}"
        );
        store.close().await;
    }
}

/// A legitimate write of the property test.
#[derive(Clone, Debug)]
enum Write {
    User(u8),
    Investigation(u8),
    Member(u8),
    Item(u8),
    Review,
}

/// A tampering step of the property test.
#[derive(Clone, Debug)]
enum Step {
    Edit,
    Insert,
    Delete,
    Reorder,
    Rechain,
    Wipe,
    Cut,
    TableEdit(u8),
}

fn writes() -> impl Strategy<Value = Vec<Write>> {
    prop::collection::vec(
        prop_oneof![
            any::<u8>().prop_map(Write::User),
            any::<u8>().prop_map(Write::Investigation),
            any::<u8>().prop_map(Write::Member),
            any::<u8>().prop_map(Write::Item),
            Just(Write::Review),
        ],
        1..6,
    )
}

fn steps() -> impl Strategy<Value = Option<(Step, u8)>> {
    prop::option::weighted(
        0.8,
        (
            prop_oneof![
                Just(Step::Edit),
                Just(Step::Insert),
                Just(Step::Delete),
                Just(Step::Reorder),
                Just(Step::Rechain),
                Just(Step::Wipe),
                Just(Step::Cut),
                (0u8..4).prop_map(Step::TableEdit),
            ],
            any::<u8>(),
        ),
    )
}

/// Runs the writes (each may be refused, as a user would see), tampers, and says whether
/// verification failed.
async fn case(db: &TestDb, ws: &[Write], step: Option<(Step, u8)>) -> bool {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (store, key) = setup(db, dir.path()).await;
    let mut n_items = 0;
    for w in ws {
        let _ = match w {
            Write::User(n) => store
                .add_user(&user("owner"), &format!("u{n}"), Role::Viewer)
                .await
                .map(drop),
            Write::Investigation(n) => store
                .add_investigation(&user("ina"), &format!("I{n}"), None)
                .await
                .map(drop),
            Write::Member(n) => {
                store
                    .add_member(&user("ina"), "Mosul", &format!("u{n}"))
                    .await
            }
            Write::Item(n) => {
                n_items += 1;
                let mut d = sensitive(36.0 + f64::from(*n) / 1000.0, 43.0);
                d.reference = Some(format!("R{n_items}"));
                store.add_item(&user("ina"), "Mosul", &d).await.map(drop)
            }
            Write::Review => store
                .review_item(
                    &user("owner"),
                    "R1",
                    Some("Mosul"),
                    armtrace_core::item::VerificationStatus::Verified,
                    "seen",
                )
                .await
                .map(drop),
        };
    }
    assert!(verify(&store, &key).await.ok(), "legitimate writes verify");
    let entries = armtrace_store::testing::audit_entry_count(&store)
        .await
        .unwrap_or(0) as i64;
    let pick = |r: u8| 1 + i64::from(r) % entries;
    if let Some((step, r)) = step {
        let how = match step {
            Step::Edit => Tamper::ChangeEntry(pick(r)),
            Step::Insert => Tamper::AppendForgedEntry,
            Step::Delete => Tamper::DeleteEntry(pick(r)),
            Step::Reorder => {
                let a = 1 + i64::from(r) % (entries - 1);
                Tamper::SwapEntries(a, a + 1)
            }
            Step::Rechain => Tamper::RewriteChainAndDropLaterCheckpoints(pick(r)),
            Step::Wipe => Tamper::Wipe,
            Step::Cut => Tamper::CutAfter(pick(r).min(entries - 1)),
            Step::TableEdit(0) => Tamper::Sql("UPDATE users SET role = 'admin' WHERE name = 'vic'".into()),
            Step::TableEdit(1) => Tamper::Sql("INSERT INTO users (id, name, role, active, created_at, created_by) VALUES ('0192a000-0000-7000-8000-000000000001', 'mallory', 'admin', TRUE, 'x', 'y')".into()),
            Step::TableEdit(2) => Tamper::Sql("UPDATE investigations SET description = 'x'".into()),
            Step::TableEdit(_) => Tamper::Sql("DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE name = 'vic')".into()),
        };
        tamper(&store, how).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let failed = !verify(&store, &key).await.ok();
    store.close().await;
    failed
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn verification_fails_exactly_when_something_was_tampered_with(ws in writes(), step in steps()) {
        let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let tampered = step.is_some();
        let results: Vec<(String, bool)> = rt.block_on(async {
            let mut out = Vec::new();
            // PostgreSQL for a share of the cases (each needs a schema of its own).
            let dbs = if ws.len() % 3 == 0 { TestDb::all("proptest").await } else { vec![TestDb::sqlite()] };
            for db in dbs {
                out.push((db.backend().to_string(), case(&db, &ws, step.clone()).await));
            }
            out
        });
        for (b, failed) in results {
            prop_assert_eq!(failed, tampered, "{}: {:?} then {:?}", b, ws, step);
        }
    }
}
