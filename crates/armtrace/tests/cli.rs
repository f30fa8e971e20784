//! The real `armtrace` binary, run in temporary directories.

use armtrace_store::testing::TestDb;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn armtrace_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armtrace"));
    cmd.current_dir(dir).args(args).env_remove("ARMTRACE_DB");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap_or_else(|e| panic!("run armtrace: {e}"));
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn armtrace(dir: &Path, args: &[&str]) -> Run {
    armtrace_in(dir, args, &[])
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = armtrace(dir, args);
    assert_eq!(r.code, 0, "armtrace {args:?} failed:\n{}", r.stderr);
    r.stdout
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = ok(dir, args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("armtrace {args:?} printed invalid JSON ({e}):\n{out}"))
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
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
            .contains("no database at armtrace.db: run `armtrace init` first"),
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
    assert_eq!(again["synthetic"], false);
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
    ok(d, &["init"]);
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
