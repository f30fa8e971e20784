//! Identity, need-to-know and the audit log, on SQLite always and on PostgreSQL when
//! `ARMTRACE_TEST_PG` is set: each role against each write, investigations hidden from
//! non-members, tampering done directly in the database, and concurrent writers.

use armtrace_core::access::{Identity, Role};
use armtrace_core::audit::{AuditSigner, ProblemKind, Verification};
use armtrace_core::reference::ReferenceSet;
use armtrace_store::testing::{Tamper, TestDb, audit_entry_count, tamper};
use armtrace_store::{AuditKey, OpenMode, Store, StoreError};

fn key() -> AuditSigner {
    AuditSigner::from_secret([7; 32])
}

/// The test key, keeping no head outside the database.
fn akey() -> AuditKey {
    AuditKey::new(key(), None)
}

fn user(name: &str) -> Identity {
    Identity::user(name)
}

/// A migrated database with its owner `owner` (admin) and the test key recorded.
async fn setup(db: &TestDb) -> Store {
    let store = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await
        .unwrap_or_else(|e| panic!("{}: open: {e}", db.backend()))
        .with_signer(akey());
    let done = store
        .bootstrap("owner", &key())
        .await
        .unwrap_or_else(|e| panic!("{}: bootstrap: {e}", db.backend()));
    assert!(done.key_recorded && done.owner_created.is_some());
    store
}

async fn verified(store: &Store) -> Verification {
    store
        .verify_audit(&akey(), true)
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"))
}

fn summary(v: &Verification) -> String {
    match v.first_problem() {
        None => format!(
            "ok: {} entries, signed through {}",
            v.entries, v.signed_through
        ),
        Some(p) => format!("{} at {:?}", p.kind, p.seq),
    }
}

#[tokio::test]
async fn bootstrap_creates_one_owner_and_records_the_key_once() {
    for db in TestDb::all("bootstrap").await {
        let b = db.backend();
        let store = setup(&db).await;
        let again = store.bootstrap("someone-else", &key()).await;
        assert_eq!(
            again.ok(),
            Some(Default::default()),
            "{b}: nothing to do twice"
        );
        let users = store.users(&user("owner")).await.unwrap_or_default();
        assert_eq!(users.len(), 1, "{b}");
        assert_eq!(
            (users[0].name.as_str(), users[0].role),
            ("owner", Role::Admin)
        );
        // Another key is refused: the database keeps the key it was made with.
        let other = AuditSigner::from_secret([8; 32]);
        let err = store
            .bootstrap("owner", &other)
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains("name the key file made for this database")),
            "{b}"
        );
        let log = store
            .audit_log(&Identity::user("owner"), None)
            .await
            .unwrap_or_default();
        let actions: Vec<(&str, &str)> = log
            .iter()
            .map(|e| (e.change.actor.as_str(), e.change.action.as_str()))
            .collect();
        assert_eq!(
            actions,
            [("system", "audit_key.record"), ("system", "user.add")],
            "{b}"
        );
        store.close().await;
    }
}

/// Every role (and a disabled admin and an unknown name) against every write. A refused write
/// leaves the audit log as it was; an allowed one appends to it.
#[tokio::test]
async fn each_role_against_each_write() {
    for db in TestDb::all("each_role_against_each_write").await {
        let b = db.backend();
        let store = setup(&db).await;
        let owner = user("owner");
        let must = |r: Result<(), StoreError>| r.unwrap_or_else(|e| panic!("{b}: set-up: {e}"));
        must(
            store
                .add_user(&owner, "target", Role::Viewer)
                .await
                .map(drop),
        );
        must(
            store
                .add_investigation(&owner, "Secret", None)
                .await
                .map(drop),
        );
        must(
            store
                .add_user(&owner, "retired", Role::Admin)
                .await
                .map(drop),
        );
        must(store.disable_user(&owner, "retired").await.map(drop));
        let mut grid = String::new();
        let mut actors: Vec<(String, Identity)> = Vec::new();
        for role in Role::ALL {
            let name = format!("as-{role}");
            must(store.add_user(&owner, &name, *role).await.map(drop));
            actors.push((role.to_string(), user(&name)));
        }
        actors.push(("disabled admin".into(), user("retired")));
        actors.push(("unknown user".into(), user("nobody")));
        for (label, by) in &actors {
            // Each actor gets an investigation of its own that it is a member of.
            let shared = format!("Shared with {label}");
            must(
                store
                    .add_investigation(&owner, &shared, None)
                    .await
                    .map(drop),
            );
            let n = by.name();
            if store.user(n).await.ok().flatten().is_some_and(|u| u.active) {
                must(store.add_member(&owner, &shared, n).await);
            }
            let n = by.name().to_string();
            let victim = format!("victim-of-{n}");
            must(
                store
                    .add_user(&owner, &victim, Role::Viewer)
                    .await
                    .map(drop),
            );
            let writes: Vec<(&str, Result<(), StoreError>)> = vec![
                (
                    "user add",
                    store
                        .add_user(by, &format!("new-by-{n}"), Role::Viewer)
                        .await
                        .map(drop),
                ),
                (
                    "user disable",
                    store.disable_user(by, &victim).await.map(drop),
                ),
                (
                    "investigation add",
                    store
                        .add_investigation(by, &format!("By {n}"), None)
                        .await
                        .map(drop),
                ),
                (
                    "add member (own investigation)",
                    store.add_member(by, &shared, "target").await,
                ),
                (
                    "add member (other investigation)",
                    store.add_member(by, "Secret", &format!("new-by-{n}")).await,
                ),
                ("set meta", store.set_meta(by, "note", &n).await),
                (
                    "load reference",
                    store
                        .load_reference(
                            &ReferenceSet {
                                version: "test".into(),
                                ..Default::default()
                            },
                            by,
                        )
                        .await
                        .map(drop),
                ),
            ];
            for (what, result) in writes {
                let cell = match result {
                    Ok(()) => "ok".to_string(),
                    Err(StoreError::Access(e)) => format!("refused ({})", kind(&e.to_string())),
                    Err(StoreError::Error(m)) => format!("refused ({})", m.message()),
                    Err(e) => panic!("{b}: {label} {what}: unexpected error {e}"),
                };
                grid += &format!("{label:<17} {what:<33} {cell}\n");
            }
        }
        expect_test::expect![[r#"
            viewer            user add                          refused (not permitted)
            viewer            user disable                      refused (not permitted)
            viewer            investigation add                 refused (not permitted)
            viewer            add member (own investigation)    refused (not permitted)
            viewer            add member (other investigation)  refused (not permitted)
            viewer            set meta                          refused (not permitted)
            viewer            load reference                    refused (not permitted)
            investigator      user add                          refused (not permitted)
            investigator      user disable                      refused (not permitted)
            investigator      investigation add                 ok
            investigator      add member (own investigation)    ok
            investigator      add member (other investigation)  refused (there is no investigation 'Secret' that you are a member of)
            investigator      set meta                          refused (not permitted)
            investigator      load reference                    refused (not permitted)
            reviewer          user add                          refused (not permitted)
            reviewer          user disable                      refused (not permitted)
            reviewer          investigation add                 refused (not permitted)
            reviewer          add member (own investigation)    refused (not permitted)
            reviewer          add member (other investigation)  refused (not permitted)
            reviewer          set meta                          refused (not permitted)
            reviewer          load reference                    refused (not permitted)
            licensing_officer user add                          refused (not permitted)
            licensing_officer user disable                      refused (not permitted)
            licensing_officer investigation add                 refused (not permitted)
            licensing_officer add member (own investigation)    refused (not permitted)
            licensing_officer add member (other investigation)  refused (not permitted)
            licensing_officer set meta                          refused (not permitted)
            licensing_officer load reference                    refused (not permitted)
            admin             user add                          ok
            admin             user disable                      ok
            admin             investigation add                 ok
            admin             add member (own investigation)    ok
            admin             add member (other investigation)  ok
            admin             set meta                          ok
            admin             load reference                    ok
            disabled admin    user add                          refused (disabled)
            disabled admin    user disable                      refused (disabled)
            disabled admin    investigation add                 refused (disabled)
            disabled admin    add member (own investigation)    refused (disabled)
            disabled admin    add member (other investigation)  refused (disabled)
            disabled admin    set meta                          refused (disabled)
            disabled admin    load reference                    refused (disabled)
            unknown user      user add                          refused (unknown user)
            unknown user      user disable                      refused (unknown user)
            unknown user      investigation add                 refused (unknown user)
            unknown user      add member (own investigation)    refused (unknown user)
            unknown user      add member (other investigation)  refused (unknown user)
            unknown user      set meta                          refused (unknown user)
            unknown user      load reference                    refused (unknown user)
        "#]]
        .assert_eq(&grid);
        assert_eq!(
            summary(&verified(&store).await).split(':').next(),
            Some("ok"),
            "{b}"
        );
        // A refused write leaves nothing behind, not even an audit entry.
        let before = audit_entry_count(&store).await.unwrap_or(0);
        let users = store.users(&owner).await.map(|u| u.len()).unwrap_or(0);
        for by in [user("as-viewer"), user("retired"), user("nobody")] {
            assert!(
                store.add_user(&by, "sneaky", Role::Admin).await.is_err(),
                "{b}"
            );
            assert!(
                store.add_investigation(&by, "Sneaky", None).await.is_err(),
                "{b}"
            );
        }
        assert_eq!(audit_entry_count(&store).await.unwrap_or(0), before, "{b}");
        assert_eq!(
            store.users(&owner).await.map(|u| u.len()).unwrap_or(0),
            users,
            "{b}"
        );
        store.close().await;
    }
}

/// The kind of an access refusal, from its message.
fn kind(msg: &str) -> &'static str {
    if msg.contains("is disabled") {
        "disabled"
    } else if msg.contains("there is no user") {
        "unknown user"
    } else if msg.contains("may not") {
        "not permitted"
    } else {
        "other"
    }
}

#[tokio::test]
async fn a_member_of_one_investigation_cannot_read_another() {
    for db in TestDb::all("a_member_of_one_investigation_cannot_read_another").await {
        let b = db.backend();
        let store = setup(&db).await;
        let owner = user("owner");
        for (name, role) in [("alice", Role::Investigator), ("bob", Role::Investigator)] {
            store
                .add_user(&owner, name, role)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        let a = store
            .add_investigation(&user("alice"), "A: Mosul depots", Some("sources: X"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let bb = store
            .add_investigation(&user("bob"), "B: Sinjar", None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let names = |v: Vec<armtrace_core::investigation::Investigation>| {
            v.into_iter().map(|i| i.name).collect::<Vec<_>>()
        };
        let seen = |who: &'static str| {
            let store = store.clone();
            async move { names(store.investigations(&user(who)).await.unwrap_or_default()) }
        };
        assert_eq!(seen("alice").await, ["A: Mosul depots"], "{b}");
        assert_eq!(seen("bob").await, ["B: Sinjar"], "{b}");
        assert!(
            seen("owner").await.is_empty(),
            "{b}: admins are not members either"
        );

        // Alice cannot add herself to B, and cannot even learn that B exists.
        let err = store.add_member(&user("alice"), "B: Sinjar", "alice").await;
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg, "there is no investigation 'B: Sinjar' that you are a member of",
            "{b}"
        );
        // Her view of the audit log holds nothing about B.
        let log = store
            .audit_log(&user("alice"), None)
            .await
            .unwrap_or_default();
        let b_id = bb.id.to_string();
        assert!(
            !log.iter()
                .any(|e| e.change.investigation.as_deref() == Some(b_id.as_str())),
            "{b}"
        );
        assert!(
            log.iter()
                .any(|e| e.change.investigation == Some(a.id.to_string())),
            "{b}"
        );
        let about_b = store
            .audit_log(&user("alice"), Some("B: Sinjar"))
            .await
            .unwrap_or_default();
        assert!(about_b.is_empty(), "{b}: {about_b:?}");
        let about_b = store
            .audit_log(&user("bob"), Some("B: Sinjar"))
            .await
            .unwrap_or_default();
        let actions: Vec<&str> = about_b.iter().map(|e| e.change.action.as_str()).collect();
        assert_eq!(
            actions,
            ["investigation.add", "investigation.add_member"],
            "{b}"
        );

        // An admin may add members (and the log says so), and then the member sees it.
        store
            .add_member(&owner, "B: Sinjar", "alice")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(seen("alice").await, ["A: Mosul depots", "B: Sinjar"], "{b}");
        let last = store
            .audit_log(&Identity::user("alice"), None)
            .await
            .unwrap_or_default();
        let last = last
            .last()
            .map(|e| (e.change.actor.clone(), e.change.action.clone()));
        assert_eq!(
            last,
            Some(("owner".into(), "investigation.add_member".into())),
            "{b}"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn corrections_are_new_entries_and_the_history_of_a_record_shows_them() {
    for db in TestDb::all("corrections_are_new_entries").await {
        let b = db.backend();
        let store = setup(&db).await;
        let owner = user("owner");
        store
            .add_user(&owner, "carol", Role::Reviewer)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        store
            .disable_user(&owner, "carol")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let history = store
            .audit_log(&owner, Some("carol"))
            .await
            .unwrap_or_default();
        let h: Vec<String> = history
            .iter()
            .map(|e| {
                format!(
                    "{} {} {:?} -> {:?}",
                    e.change.actor,
                    e.change.action,
                    e.change.before.as_ref().map(|v| v["active"].clone()),
                    e.change.after.as_ref().map(|v| v["active"].clone())
                )
            })
            .collect();
        assert_eq!(
            h,
            [
                "owner user.add None -> Some(Bool(true))",
                "owner user.disable Some(Bool(true)) -> Some(Bool(false))"
            ],
            "{b}"
        );
        // The last active admin cannot be disabled.
        let err = store
            .disable_user(&owner, "owner")
            .await
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("last active admin")), "{b}");
        store.close().await;
    }
}

/// Tampering done directly in the database: each kind is found and the first bad entry named.
#[tokio::test]
async fn tampering_in_the_database_is_detected() {
    let cases = [
        (None, "ok: 6 entries, signed through 6"),
        (Some(Tamper::ChangeEntry(3)), "changed at Some(3)"),
        (Some(Tamper::DeleteEntry(4)), "missing at Some(4)"),
        (Some(Tamper::DeleteEntry(6)), "missing at Some(6)"),
        (Some(Tamper::SwapEntries(3, 4)), "unlinked at Some(3)"),
        (Some(Tamper::RewriteChain(5)), "rewritten at Some(5)"),
        (Some(Tamper::RewriteChain(1)), "rewritten at Some(1)"),
        (
            Some(Tamper::RewriteChainAndDropCheckpoints(3)),
            "unsigned at Some(1)",
        ),
        (Some(Tamper::ReplaceRecordedKey), "wrong_key at None"),
    ];
    for db_case in cases {
        for db in TestDb::all("tampering_in_the_database_is_detected").await {
            let b = db.backend();
            let (how, want) = db_case.clone();
            let store = setup(&db).await;
            let owner = user("owner");
            // Entries 1–2 bootstrap; 3–6 four users; each write signs its own checkpoint.
            for n in 1..=4 {
                store
                    .add_user(&owner, &format!("u{n}"), Role::Viewer)
                    .await
                    .unwrap_or_else(|e| panic!("{b}: {e}"));
            }
            if let Some(how) = how.clone() {
                tamper(&store, how.clone())
                    .await
                    .unwrap_or_else(|e| panic!("{b}: tamper {how:?}: {e}"));
            }
            let v = verified(&store).await;
            assert_eq!(summary(&v), want, "{b}: {how:?}: {:#?}", v.problems);
            if how.is_some() {
                assert!(!v.ok());
            }
            store.close().await;
        }
    }
}

/// Several writers at once, each on its own connection, leave one valid chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_leave_one_valid_chain() {
    for db in TestDb::all("concurrent_writers_leave_one_valid_chain").await {
        let b = db.backend();
        let store = setup(&db).await;
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..5 {
                    store
                        .add_user(&Identity::user("owner"), &format!("w{t}-{n}"), Role::Viewer)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            }));
        }
        for t in tasks {
            t.await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        let v = verified(&store).await;
        assert_eq!(
            summary(&v),
            "ok: 42 entries, signed through 42",
            "{b}: {:#?}",
            v.problems
        );
        assert_eq!(
            store.users(&user("owner")).await.map(|u| u.len()).ok(),
            Some(41),
            "{b}"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_database_opened_with_another_key_fails_verification() {
    for db in TestDb::all("another_key").await {
        let store = setup(&db).await;
        let other = AuditKey::new(AuditSigner::from_secret([9; 32]), None);
        let v = store
            .verify_audit(&other, false)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            v.first_problem().map(|p| p.kind),
            Some(ProblemKind::WrongKey),
            "{}",
            db.backend()
        );
        let refused = store
            .clone()
            .with_signer(other)
            .add_user(&user("owner"), "x", Role::Viewer)
            .await;
        assert!(
            refused.is_err_and(|e| e.code() == armtrace_core::Code::AuditKeyWrong),
            "{}",
            db.backend()
        );
        store.close().await;
    }
}
