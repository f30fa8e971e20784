//! The real `armtrace` binary, run in temporary directories.

use armtrace_store::testing::TestDb;
use serde_json::Value;
use std::path::Path;

mod common;
use common::{Run, armtrace_in, json_in, ok_in, tempdir};

fn armtrace(dir: &Path, args: &[&str]) -> Run {
    armtrace_in(dir, args, &[])
}

fn ok(dir: &Path, args: &[&str]) -> String {
    ok_in(dir, args, &[])
}

fn json(dir: &Path, args: &[&str]) -> Value {
    json_in(dir, args, &[])
}

#[test]
fn init_is_idempotent_and_listings_work_in_every_format() {
    let dir = tempdir();
    let d = dir.path();
    let first = ok(d, &["init"]);
    let v = armtrace_store::SCHEMA_VERSION;
    let expected = format!("Initialised armtrace database armtrace.db (sqlite, schema v{v}).");
    assert!(first.starts_with(&expected), "{first}");
    assert!(d.join("armtrace.db").is_file());
    let second = ok(d, &["init"]);
    assert!(
        second.starts_with("Checked (already up to date)"),
        "{second}"
    );
    let summary = json(d, &["init", "--format", "json"]);
    assert_eq!(summary["removed"], 0);
    assert_eq!(summary["counts"]["models"], 45);

    let soviet = json(
        d,
        &["countries", "--search", "Soviet Union", "--format", "json"],
    );
    let codes: Vec<&str> = soviet
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert_eq!(codes, ["SUHH"]);
    assert_eq!(soviet[0]["valid_to"], 1991);
    assert_eq!(soviet[0]["historic"], true);

    let table = ok(d, &["countries", "--search", "yemen"]);
    expect_test::expect![[r#"
        code  name                                              alpha2  alpha3  numeric  existed    historic  also known as
        ----  ------------------------------------------------  ------  ------  -------  ---------  --------  ------------------------------------------------
        XYAR  North Yemen                                                                1926–1990  yes       Yemen Arab Republic; Yemen Arab Republic (North…
        YEM   Yemen                                             YE      YEM     887      1990–
        YDYE  Yemen, Democratic, People's Democratic Republic…  YD      YMD     720      1967–1990  yes       People's Democratic Republic of Yemen; South Ye…
        (3 rows)
        Codes: ISO alpha-3 for current states, ISO 3166-3 alpha-4 for former ones, X… for states ISO never listed.
    "#]]
    .assert_eq(&table);

    let csv = ok(d, &["countries", "--search", "vietnam", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("code,name,alpha2,alpha3,numeric,existed,historic,also known as")
    );
    let codes: Vec<&str> = lines.filter_map(|l| l.split(',').next()).collect();
    assert_eq!(codes, ["XRVN", "VNM", "VDVN"]);

    let historic = json(d, &["countries", "--historic", "--format", "json"]);
    let all = historic.as_array().map(Vec::len).unwrap_or(0);
    assert!(all > 30, "{all} historic states");
    assert!(
        historic
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["historic"] == true)
    );

    let models = json(d, &["models", "--search", "type 56", "--format", "json"]);
    let t56 = models
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["designation"] == "Type 56");
    let t56 = t56.unwrap_or_else(|| panic!("Type 56 listed: {models}"));
    assert_eq!(t56["country_of_design"], "CHN");
    assert_eq!(t56["category"], "salw.sa.assault_rifle");
    assert!(
        t56["source"]["citation"]
            .as_str()
            .is_some_and(|s| s.contains("wikipedia"))
    );

    let ml = json(d, &["categories", "--scheme", "ml", "--format", "json"]);
    assert_eq!(ml.as_array().map(Vec::len), Some(22));
    let un = ok(d, &["categories", "--scheme", "un_register"]);
    expect_test::expect![[r#"
        scheme       code   name                                              parent
        -----------  -----  ------------------------------------------------  ------
        un_register  I      Battle tanks
        un_register  II     Armoured combat vehicles
        un_register  III    Large-calibre artillery systems
        un_register  IV     Combat aircraft and unmanned combat aerial vehi…
        un_register  V      Attack helicopters
        un_register  VI     Warships
        un_register  VII    Missiles and missile launchers
        un_register  VII.b  Man-portable air-defence systems (MANPADS)        VII
        (8 rows)
    "#]]
    .assert_eq(&un);
}

#[test]
fn bad_arguments_are_user_errors() {
    let dir = tempdir();
    let d = dir.path();
    ok(d, &["init"]);
    let r = armtrace(d, &["categories", "--scheme", "nato"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--scheme: unknown category scheme 'nato': use one of un_register, salw, ml, sipri, user"), "{}", r.stderr);
    let r = armtrace(d, &["countries", "--format", "xml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = armtrace(d, &["no-such-command"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = armtrace(d, &["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("init") && r.stdout.contains("demo"));
}

#[test]
fn listing_before_init_says_to_run_init() {
    let dir = tempdir();
    let r = armtrace(dir.path(), &["countries"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no database at armtrace.db\nhint: run `armtrace init`"),
        "{}",
        r.stderr
    );
    assert!(
        !dir.path().join("armtrace.db").exists(),
        "nothing was created"
    );
}

#[test]
fn a_db_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempdir();
    let d = dir.path();
    let content = "Recipient,Supplier\nIraq,France\n".repeat(50);
    std::fs::write(d.join("register.csv"), &content).unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["--db", "register.csv", "init"][..],
        &["--db", "register.csv", "countries"][..],
    ] {
        let r = armtrace(d, args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("register.csv is not an armtrace database"),
            "{}",
            r.stderr
        );
        assert_eq!(
            std::fs::read_to_string(d.join("register.csv"))
                .ok()
                .as_deref(),
            Some(content.as_str())
        );
    }
    let entries = std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    assert_eq!(entries, 1, "no other files were created");
}

#[test]
fn unreachable_postgres_fails_fast_with_a_clear_message() {
    let dir = tempdir();
    let started = std::time::Instant::now();
    let r = armtrace(
        dir.path(),
        &[
            "--db",
            "postgres://armtrace:hunter2@127.0.0.1:9/armtrace",
            "countries",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot reach PostgreSQL at postgres://armtrace:***@127.0.0.1:9/armtrace"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("hunter2"));
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_database_from_a_newer_armtrace_is_refused() {
    let db = TestDb::sqlite();
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let store =
            armtrace_store::Store::open(&db.location, armtrace_store::OpenMode::CreateOrMigrate)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        armtrace_store::testing::pretend_newer_schema(&store, 99)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store.close().await;
    });
    let dir = tempdir();
    for cmd in ["init", "countries"] {
        let r = armtrace(dir.path(), &["--db", &db.url, cmd]);
        assert_eq!(r.code, 1, "{cmd}: {}", r.stderr);
        let expected = format!(
            "schema version 99 but this armtrace knows only up to {}",
            armtrace_store::SCHEMA_VERSION
        );
        assert!(r.stderr.contains(&expected), "{}", r.stderr);
    }
}

#[test]
fn the_database_can_come_from_the_environment() {
    let dir = tempdir();
    let d = dir.path();
    let r = armtrace_in(d, &["init"], &[("ARMTRACE_DB", "field.db")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join("field.db").is_file() && !d.join("armtrace.db").exists());
    let r = armtrace_in(
        d,
        &["models", "--format", "json"],
        &[("ARMTRACE_DB", "field.db")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn demo_builds_its_own_database_and_never_replaces_another() {
    let dir = tempdir();
    let d = dir.path();
    let out = ok(d, &["demo"]);
    assert!(
        out.starts_with("armtrace demo database: armtrace-demo.db"),
        "{out}"
    );
    assert!(out.contains("XYAR  North Yemen"), "{out}");
    assert!(out.contains("Type 56"), "{out}");
    // Running it again rebuilds the demo database.
    let again = json(d, &["demo", "--format", "json"]);
    assert_eq!(again["counts"]["models"], 45);
    assert_eq!(
        again["synthetic"],
        "partly: only the items in synthetic_demo_items"
    );
    // Only the demo investigation's items are synthetic, and they say so; merged sightings
    // count once.
    let items = &again["synthetic_demo_items"];
    assert!(
        items["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("SYNTHETIC"))
    );
    let china = items["distinct_weapons_by_country_of_manufacture"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["made_in"] == "China")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (china["weapons"].as_u64(), china["sightings"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(out.contains("SYNTHETIC documented items"), "{out}");
    let listed = json(
        d,
        &["--db", "armtrace-demo.db", "models", "--format", "json"],
    );
    assert_eq!(listed.as_array().map(Vec::len), Some(45));
    // A real database is never replaced by the demo.
    ok(d, &["init"]);
    let before = std::fs::read(d.join("armtrace.db")).unwrap_or_default();
    let r = armtrace(d, &["demo", "--db", "armtrace.db"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("armtrace.db exists and is not a demo database"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(d.join("armtrace.db")).unwrap_or_default(),
        before
    );
}

#[test]
fn postgres_gives_the_same_answers_as_sqlite() {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let Some(pg) = rt.block_on(TestDb::postgres(
        "postgres_gives_the_same_answers_as_sqlite",
    )) else {
        return;
    };
    let dir = tempdir();
    let d = dir.path();
    let r = armtrace(d, &["--db", &pg.url, "init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "(postgres, schema v{})",
            armtrace_store::SCHEMA_VERSION
        )),
        "{}",
        r.stdout
    );
    assert!(
        d.join("test.audit-key").is_file(),
        "the key file is named after the database, in the current directory"
    );
    ok(d, &["init"]);
    // Writes, membership and verification work the same on PostgreSQL.
    let pg_db = pg.url.as_str();
    let r = armtrace(
        d,
        &[
            "--db",
            pg_db,
            "user",
            "add",
            "bob",
            "--role",
            "investigator",
        ],
    );
    assert_eq!(r.code, 1, "no identity: {}", r.stderr);
    let owner = json(d, &["--db", pg_db, "init", "--format", "json"]);
    let owner = owner["acting_as"].as_str().unwrap_or("owner").to_string();
    ok(
        d,
        &[
            "--db",
            pg_db,
            "--as",
            &owner,
            "user",
            "add",
            "bob",
            "--role",
            "investigator",
        ],
    );
    ok(
        d,
        &[
            "--db",
            pg_db,
            "--as",
            "bob",
            "investigation",
            "add",
            "Mosul depots",
        ],
    );
    let mine = json(
        d,
        &[
            "--db",
            pg_db,
            "--as",
            "bob",
            "investigation",
            "list",
            "--format",
            "json",
        ],
    );
    assert_eq!(mine[0]["name"], "Mosul depots");
    let theirs = json(
        d,
        &[
            "--db",
            pg_db,
            "--as",
            &owner,
            "investigation",
            "list",
            "--format",
            "json",
        ],
    );
    assert_eq!(theirs.as_array().map(Vec::len), Some(0));
    let v = json(d, &["--db", pg_db, "audit", "verify", "--format", "json"]);
    assert_eq!(v["ok"], true, "{v}");
    for args in [
        &["countries", "--format", "json"][..],
        &["countries", "--search", "congo", "--format", "csv"][..],
        &["models", "--format", "json"][..],
        &["categories", "--format", "json"][..],
    ] {
        let sqlite = ok(d, args);
        let mut with_pg = vec!["--db", pg.url.as_str()];
        with_pg.extend_from_slice(args);
        assert_eq!(ok(d, &with_pg), sqlite, "{args:?}");
    }
}

/// Opens the SQLite database in `dir` with the store, for tests that look or tamper directly.
fn with_store<T>(path: &Path, f: impl AsyncFnOnce(&armtrace_store::Store) -> T) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let loc = armtrace_store::Location::Sqlite(path.to_path_buf());
        let store = armtrace_store::Store::open(&loc, armtrace_store::OpenMode::Existing)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let out = f(&store).await;
        store.close().await;
        out
    })
}

fn entry_count(d: &Path) -> usize {
    with_store(&d.join("armtrace.db"), async |s| {
        armtrace_store::testing::audit_entry_count(s)
            .await
            .unwrap_or(0)
    })
}

/// A laptop set-up: the owner ana (admin), bob (investigator), vic (viewer), and zed (disabled).
fn team(d: &Path) {
    let r = armtrace(d, &["--as", "ana", "init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Created the owner, user ana (admin)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Created the audit key armtrace.db.audit-key"),
        "{}",
        r.stdout
    );
    for (name, role) in [
        ("bob", "investigator"),
        ("vic", "viewer"),
        ("zed", "reviewer"),
    ] {
        ok(d, &["--as", "ana", "user", "add", name, "--role", role]);
    }
    ok(d, &["--as", "ana", "user", "disable", "zed"]);
}

#[test]
fn init_creates_an_owner_and_a_private_audit_key_beside_the_database() {
    let dir = tempdir();
    let d = dir.path();
    team(d);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("armtrace.db.audit-key"))
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600));
    }
    let key = std::fs::read_to_string(d.join("armtrace.db.audit-key")).unwrap_or_default();
    let secret = key
        .lines()
        .find_map(|l| l.strip_prefix("secret-key: "))
        .unwrap_or_else(|| panic!("{key}"));
    let db = std::fs::read(d.join("armtrace.db")).unwrap_or_default();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret key is never stored in the database"
    );
    let users = json(d, &["--as", "vic", "user", "list", "--format", "json"]);
    let listed: Vec<String> = users
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| format!("{} {} {}", u["name"], u["role"], u["active"]))
        .collect();
    assert_eq!(
        listed,
        [
            r#""ana" "admin" true"#,
            r#""bob" "investigator" true"#,
            r#""vic" "viewer" true"#,
            r#""zed" "reviewer" false"#
        ]
    );
    // Running init again as the owner checks and refreshes; as anyone else it is refused.
    let again = ok(d, &["--as", "ana", "init"]);
    assert!(again.starts_with("Checked (already up to date)"), "{again}");
    let r = armtrace(d, &["--as", "bob", "init"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("only an admin may do"), "{}", r.stderr);
    // Without its key file the database takes no writes, and init never makes a new key for it.
    std::fs::rename(d.join("armtrace.db.audit-key"), d.join("backup.key"))
        .unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["--as", "ana", "init"][..],
        &["--as", "ana", "user", "add", "x", "--role", "viewer"][..],
    ] {
        let r = armtrace(d, args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("no audit key at armtrace.db.audit-key"),
            "{}",
            r.stderr
        );
    }
    assert!(!d.join("armtrace.db.audit-key").exists());
    ok(
        d,
        &[
            "--as",
            "ana",
            "--audit-key",
            "backup.key",
            "user",
            "add",
            "x",
            "--role",
            "viewer",
        ],
    );
}

/// A write without a usable identity, or by a user whose role does not allow it, is refused with
/// exit code 1 and a message that says what to do, and writes nothing.
#[test]
fn writes_need_a_known_active_permitted_user() {
    let dir = tempdir();
    let d = dir.path();
    team(d);
    let before = entry_count(d);
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            &["user", "add", "eve", "--role", "admin"],
            &[],
            "pass --as NAME or set ARMTRACE_USER=NAME",
        ),
        (
            &["--as", "nobody", "user", "add", "eve", "--role", "admin"],
            &[],
            "there is no user 'nobody'",
        ),
        (
            &["user", "add", "eve", "--role", "admin"],
            &[("ARMTRACE_USER", "nobody")],
            "there is no user 'nobody'",
        ),
        (
            &["--as", "zed", "user", "add", "eve", "--role", "admin"],
            &[],
            "user 'zed' is disabled and can no longer act: ask an admin",
        ),
        (
            &["--as", "vic", "user", "add", "eve", "--role", "admin"],
            &[],
            "vic has the role viewer, which may not manage user: ask an admin for a role that may",
        ),
        (
            &["--as", "bob", "user", "disable", "vic"],
            &[],
            "bob has the role investigator, which may not manage user",
        ),
        (
            &["--as", "vic", "investigation", "add", "Sneaky"],
            &[],
            "role viewer, which may not write investigation",
        ),
        (
            &["--as", "ana", "user", "add", "eve", "--role", "boss"],
            &[],
            "--role: unknown role 'boss': use one of viewer, investigator, reviewer, licensing_officer, admin",
        ),
        (
            &[
                "--as",
                "ana",
                "user",
                "add",
                "two words",
                "--role",
                "viewer",
            ],
            &[],
            "may hold only letters, digits",
        ),
        (
            &["--as", "ana", "user", "add", "bob", "--role", "viewer"],
            &[],
            "there is already a user 'bob'",
        ),
        (
            &["--as", "ana", "user", "disable", "ana"],
            &[],
            "'ana' is the last active admin",
        ),
        (&["investigation", "list"], &[], "pass --as NAME"),
        (&["audit", "log"], &[], "pass --as NAME"),
    ];
    for (args, env, want) in cases {
        let r = armtrace_in(d, args, env);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(want),
            "{args:?}: wanted {want:?} in:\n{}",
            r.stderr
        );
    }
    assert_eq!(entry_count(d), before, "nothing was written");
    // Reading reference data needs no identity.
    ok(d, &["countries", "--search", "yemen"]);
}

#[test]
fn members_see_only_their_investigations_and_their_history() {
    let dir = tempdir();
    let d = dir.path();
    team(d);
    ok(
        d,
        &[
            "--as",
            "ana",
            "user",
            "add",
            "dan",
            "--role",
            "investigator",
        ],
    );
    ok(
        d,
        &[
            "--as",
            "bob",
            "investigation",
            "add",
            "A",
            "--description",
            "source: K.",
        ],
    );
    ok(d, &["--as", "dan", "investigation", "add", "B"]);
    let names = |who: &str| -> Vec<String> {
        let v = json(
            d,
            &["--as", who, "investigation", "list", "--format", "json"],
        );
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["name"].as_str().map(String::from))
            .collect()
    };
    assert_eq!(names("bob"), ["A"]);
    assert_eq!(names("dan"), ["B"]);
    assert!(names("ana").is_empty());
    let r = armtrace(
        d,
        &["--as", "bob", "investigation", "add-member", "B", "bob"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("there is no investigation 'B' that you are a member of"),
        "{}",
        r.stderr
    );
    let bob_log = json(d, &["--as", "bob", "audit", "log", "--format", "json"]);
    let text = bob_log.to_string();
    assert!(
        text.contains("source: K.") && !text.contains(r#""name":"B""#),
        "{text}"
    );
    ok(
        d,
        &["--as", "bob", "investigation", "add-member", "A", "vic"],
    );
    assert_eq!(names("vic"), ["A"]);
    let history = json(
        d,
        &[
            "--as", "bob", "audit", "log", "--record", "A", "--format", "json",
        ],
    );
    let actions: Vec<&str> = history
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "investigation.add",
            "investigation.add_member",
            "investigation.add_member"
        ]
    );
    let zed = json(
        d,
        &[
            "--as", "vic", "audit", "log", "--record", "zed", "--format", "json",
        ],
    );
    let actions: Vec<(&str, &str)> = zed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["actor"].as_str()?, e["action"].as_str()?)))
        .collect();
    assert_eq!(actions, [("ana", "user.add"), ("ana", "user.disable")]);
}

/// Tampering done directly in the database makes `audit verify` fail with exit code 1 and name
/// the first bad entry.
#[test]
fn audit_verify_names_the_first_bad_entry_after_tampering() {
    use armtrace_store::testing::{Tamper, tamper};
    let cases = [
        (
            Tamper::ChangeEntry(5),
            "entry 5: entry 5 was changed after it was written",
        ),
        (Tamper::DeleteEntry(5), "entry 5: entry 5 is missing"),
        (
            Tamper::SwapEntries(5, 6),
            "entry 5: entry 5 does not follow entry 4",
        ),
        (Tamper::RewriteChain(6), "entries 6–6 were rewritten"),
        (
            Tamper::RewriteChainAndDropCheckpoints(2),
            "entry 1: entries 1–",
        ),
    ];
    for (how, want) in cases {
        let dir = tempdir();
        let d = dir.path();
        team(d);
        let v = json(d, &["audit", "verify", "--format", "json"]);
        assert_eq!(v["ok"], true, "{v}");
        assert!(ok(d, &["audit", "verify"]).contains("OK: the chain is unbroken"));
        with_store(&d.join("armtrace.db"), async |s| {
            tamper(s, how.clone()).await
        })
        .unwrap_or_else(|e| panic!("{how:?}: {e}"));
        let r = armtrace(d, &["audit", "verify"]);
        assert_eq!(r.code, 1, "{how:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(want),
            "{how:?}: wanted {want:?} in:\n{}",
            r.stdout
        );
        assert!(
            r.stderr
                .contains("the audit log failed verification; first bad entry:"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_write_refuses_to_sign_over_a_forged_entry_until_an_admin_accepts() {
    use armtrace_store::testing::{Tamper, tamper};
    let dir = tempdir();
    let d = dir.path();
    team(d);
    with_store(&d.join("armtrace.db"), async |s| {
        tamper(s, Tamper::AppendForgedEntry).await
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let before = entry_count(d);
    let r = armtrace(
        d,
        &["--as", "ana", "user", "add", "carl", "--role", "viewer"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("will not sign over them"), "{}", r.stderr);
    assert!(r.stderr.contains("armtrace audit verify"), "{}", r.stderr);
    assert_eq!(entry_count(d), before, "nothing written");
    let r = armtrace(d, &["--as", "vic", "audit", "accept", "--reason", "x"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("role viewer, which may not manage audit"),
        "{}",
        r.stderr
    );
    let out = ok(
        d,
        &[
            "--as",
            "ana",
            "audit",
            "accept",
            "--reason",
            "checked: test forgery",
        ],
    );
    assert!(out.contains("Accepted 1 problems"), "{out}");
    ok(
        d,
        &["--as", "ana", "user", "add", "carl", "--role", "viewer"],
    );
    let out = ok(d, &["audit", "verify", "--deep"]);
    assert!(
        out.contains("accepted at entry") && out.contains("OK:"),
        "{out}"
    );
}

/// With `--format json`, a failing command prints its error as JSON on standard error: a stable
/// code, the message, and the field, file and line where they apply.
#[test]
fn errors_are_json_when_json_is_asked_for() {
    let dir = tempdir();
    let d = dir.path();
    let parse = |r: &Run| -> Value {
        serde_json::from_str(&r.stderr).unwrap_or_else(|e| panic!("{e}: {}", r.stderr))
    };
    let r = armtrace(d, &["countries", "--format", "json"]);
    assert_eq!(r.code, 1);
    let e = parse(&r);
    assert_eq!(e["error"]["code"], "db.missing", "{e}");
    assert_eq!(e["error"]["hint"], "run_init", "{e}");
    ok(d, &["--as", "ana", "init"]);
    let r = armtrace(d, &["categories", "--scheme", "nato", "--format", "json"]);
    assert_eq!(r.code, 1);
    let e = parse(&r);
    assert_eq!(e["error"]["code"], "input.invalid", "{e}");
    assert_eq!(e["error"]["field"], "scheme", "{e}");
    // An import names the file, the line and the field of its bad record.
    std::fs::write(
        d.join("bad.csv"),
        "kind,source_type,supplier,recipient,designation,year\ndelivery,national_report,France,Iraq,Mirage,19x2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = armtrace(
        d,
        &[
            "--as",
            "ana",
            "import",
            "transfers",
            "bad.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let e = parse(&r);
    assert_eq!(e["error"]["code"], "import.invalid", "{e}");
    assert_eq!(e["error"]["file"], "bad.csv", "{e}");
    assert_eq!(e["error"]["line"], 2, "{e}");
    assert_eq!(e["error"]["field"], "year", "{e}");
    // Nobody named: never anonymous.
    let r = armtrace(d, &["items", "list", "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(parse(&r)["error"]["code"], "access.unauthenticated");
}

/// Analysts expected to list the reference data `init` loads (issue 16): factory codes and UN
/// arms embargoes, with their sources, in every format.
#[test]
fn factory_codes_and_embargoes_are_listed_with_their_sources() {
    let dir = tempdir();
    let d = dir.path();
    ok(d, &["--as", "ana", "init"]);
    let codes = json(d, &["factory-codes", "--search", "66", "--format", "json"]);
    let codes = codes.as_array().cloned().unwrap_or_default();
    assert!(
        codes
            .iter()
            .any(|c| c["code"] == "66" && c["symbol"] == "triangle" && c["country"] == "CHN"),
        "{codes:?}"
    );
    assert!(codes.iter().all(|c| {
        c["source"]["citation"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    }));
    let iraq = json(
        d,
        &[
            "embargoes",
            "--target",
            "Iraq",
            "--in-force",
            "2014",
            "--format",
            "json",
        ],
    );
    let iraq = iraq.as_array().cloned().unwrap_or_default();
    assert!(
        !iraq.is_empty() && iraq.iter().all(|e| e["target_country"] == "IRQ"),
        "{iraq:?}"
    );
    // Before the embargo of August 1990, none was in force on Iraq.
    let before = json(
        d,
        &[
            "embargoes",
            "--target",
            "IRQ",
            "--in-force",
            "1990-07",
            "--format",
            "json",
        ],
    );
    assert_eq!(before.as_array().map(Vec::len), Some(0), "{before}");
    let csv = ok(d, &["embargoes", "--format", "csv"]);
    assert!(
        csv.starts_with("target,imposed by,decision,start,end,status,scope,source"),
        "{csv}"
    );
    let r = armtrace(d, &["embargoes", "--target", "Narnia"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("'Narnia' is not a known country"),
        "{}",
        r.stderr
    );
}
