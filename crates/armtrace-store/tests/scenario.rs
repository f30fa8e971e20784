//! The store scenario: the same script runs on SQLite always and on PostgreSQL when
//! `ARMTRACE_TEST_PG` holds a URL, and both must give the same answers.

use armtrace_core::Code;
use armtrace_core::access::Identity;
use armtrace_core::reference::ReferenceSet;
use armtrace_store::testing::{TestDb, schema_of};

use armtrace_store::{Location, OpenMode, SCHEMA_VERSION, Store};

fn reference() -> ReferenceSet {
    armtrace_refdata::load().unwrap_or_else(|e| panic!("reference data: {e}"))
}

async fn open(db: &TestDb, mode: OpenMode) -> Store {
    Store::open(&db.location, mode)
        .await
        .unwrap_or_else(|e| panic!("{}: open: {e}", db.backend()))
}

/// Runs the scenario and returns a transcript of every answer, to compare across backends.
async fn scenario(db: &TestDb) -> String {
    let set = reference();
    let b = db.backend();
    match Store::open(&db.location, OpenMode::Existing).await {
        Err(e) if [Code::DbNotInitialised, Code::DbMissing].contains(&e.code()) => {}
        other => panic!("{b}: an empty database is not initialised, got {other:?}"),
    }
    let key = armtrace_core::audit::AuditSigner::from_secret([5; 32]);
    let store = open(db, OpenMode::CreateOrMigrate)
        .await
        .with_signer(armtrace_store::AuditKey::new(key.clone(), None));
    assert_eq!(
        store.applied_version().await.ok().flatten(),
        Some(SCHEMA_VERSION),
        "{b}"
    );
    store
        .bootstrap("owner", &key)
        .await
        .unwrap_or_else(|e| panic!("{b}: bootstrap: {e}"));

    // `init` makes the owner first; reference data is loaded as them.
    let owner = Identity::user("owner");
    let first = store
        .load_reference(&set, &owner)
        .await
        .unwrap_or_else(|e| panic!("{b}: load: {e}"));
    assert_eq!(first.previous_version, None, "{b}");
    assert_eq!(
        first.written.get("weapon_models"),
        Some(&(set.models.len() as u64)),
        "{b}"
    );
    let counts = store
        .counts()
        .await
        .unwrap_or_else(|e| panic!("{b}: counts: {e}"));
    assert_eq!(counts.countries as usize, set.countries.len(), "{b}");
    assert_eq!(counts.models as usize, set.models.len(), "{b}");
    assert_eq!(counts.embargoes as usize, set.embargoes.len(), "{b}");

    // Loading again changes nothing and removes nothing.
    let second = store
        .load_reference(&set, &owner)
        .await
        .unwrap_or_else(|e| panic!("{b}: reload: {e}"));
    assert_eq!(second.removed, 0, "{b}");
    assert_eq!(
        second.previous_version.as_deref(),
        Some(set.version.as_str()),
        "{b}"
    );
    assert_eq!(
        store.counts().await.ok(),
        Some(counts.clone()),
        "{b}: idempotent"
    );

    // A later version without one model removes exactly that model.
    let mut smaller = set.clone();
    let dropped = smaller.models.pop().map(|m| m.designation);
    let third = store
        .load_reference(&smaller, &owner)
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert_eq!(third.removed, 1, "{b}");
    let models = store.models(None).await.unwrap_or_default();
    assert_eq!(models.len(), set.models.len() - 1, "{b}");
    assert!(
        !models
            .iter()
            .any(|m| Some(&m.designation) == dropped.as_ref()),
        "{b}"
    );
    store
        .load_reference(&set, &owner)
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));

    // Round trip: what comes back is what went in.
    let mut countries = store
        .countries(None)
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    let mut shipped = set.countries.clone();
    for c in countries.iter_mut().chain(shipped.iter_mut()) {
        c.aliases.sort();
    }
    shipped.sort_by(|a, b| a.code.cmp(&b.code));
    let mut by_code = countries.clone();
    by_code.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(by_code.len(), shipped.len(), "{b}: countries round-trip");
    for (got, want) in by_code.iter().zip(&shipped) {
        assert_eq!(got, want, "{b}: country {} round-trip", want.code);
    }
    let mut models = store.models(None).await.unwrap_or_default();
    let mut shipped_models = set.models.clone();
    models.sort_by(|a, b| a.designation.cmp(&b.designation));
    shipped_models.sort_by(|a, b| a.designation.cmp(&b.designation));
    assert_eq!(models.len(), shipped_models.len(), "{b}: models round-trip");
    for (got, want) in models.iter().zip(&shipped_models) {
        assert_eq!(got, want, "{b}: model {} round-trip", want.designation);
    }

    let mut t = String::new();
    let soviet = store.countries(Some("soviet")).await.unwrap_or_default();
    t += &format!(
        "search soviet: {:?}\n",
        soviet.iter().map(|c| &c.code).collect::<Vec<_>>()
    );
    let yemen = store.countries(Some("yemen")).await.unwrap_or_default();
    t += &format!(
        "search yemen: {:?}\n",
        yemen
            .iter()
            .map(|c| format!("{} {}", c.code, c.validity()))
            .collect::<Vec<_>>()
    );
    let kalash = store.models(Some("kalashnikov")).await.unwrap_or_default();
    t += &format!("models kalashnikov: {}\n", kalash.len());
    let cats = store.categories().await.unwrap_or_default();
    t += &format!(
        "categories: {}\n",
        cats.iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let embargoes = store.embargoes().await.unwrap_or_default();
    t += &format!(
        "first embargo: {} {:?}\n",
        embargoes[0].target,
        embargoes[0].start.map(|d| d.to_string())
    );
    t += &format!(
        "factory codes: {}\n",
        store.factory_codes().await.unwrap_or_default().len()
    );
    t += &format!(
        "actors: {}\n",
        store.actors().await.unwrap_or_default().len()
    );
    t += &format!(
        "all countries sorted: {}\n",
        countries
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    store.close().await;

    // Reopening an initialised database works without migrating.
    let again = open(db, OpenMode::Existing).await;
    assert_eq!(again.counts().await.ok(), Some(counts), "{b}");
    again.close().await;
    t
}

#[tokio::test]
async fn store_scenario_gives_the_same_answers_on_every_backend() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("store_scenario").await {
        transcripts.push((db.backend(), scenario(&db).await));
    }
    let (_, sqlite) = &transcripts[0];
    expect_test::expect![[r#"
        search soviet: ["BYAA", "SUHH"]
        search yemen: ["XYAR 1926–1990", "YEM 1990–", "YDYE 1967–1990"]
        models kalashnikov: 18
        categories: I II III IV V VI VII VII.b salw.lw salw.lw.at_gun salw.lw.at_missile_rocket salw.lw.grenade_launcher salw.lw.hmg salw.lw.mortar salw.lw.recoilless_rifle salw.sa salw.sa.assault_rifle salw.sa.lmg salw.sa.lmg.gpmg salw.sa.revolver_pistol salw.sa.rifle_carbine salw.sa.smg ML1 ML2 ML3 ML4 ML5 ML6 ML7 ML8 ML9 ML10 ML11 ML12 ML13 ML14 ML15 ML16 ML17 ML18 ML19 ML20 ML21 ML22 sipri.air_defence sipri.aircraft sipri.armoured_vehicles sipri.artillery sipri.asw sipri.engines sipri.missiles sipri.naval_weapons sipri.other sipri.satellites sipri.sensors sipri.ships
        first embargo: Southern Rhodesia Some("1966")
        factory codes: 21
        actors: 62
    "#]]
    .assert_eq(&sqlite.lines().filter(|l| !l.starts_with("all countries")).map(|l| format!("{l}\n")).collect::<String>());
    for (backend, t) in &transcripts[1..] {
        assert_eq!(t, sqlite, "{backend} answers differ from SQLite");
    }
}

#[tokio::test]
async fn both_migrations_define_the_same_schema() {
    let Some(pg) = TestDb::postgres("both_migrations_define_the_same_schema").await else {
        return;
    };
    let sqlite = TestDb::sqlite();
    let a = schema_of(&open(&sqlite, OpenMode::CreateOrMigrate).await).await;
    let b = schema_of(&open(&pg, OpenMode::CreateOrMigrate).await).await;
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    assert!(!a.is_empty());
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("notes.txt");
    let content = b"field notes, not a database\n".repeat(100);
    std::fs::write(&path, &content).unwrap_or_else(|e| panic!("{e}"));
    for mode in [OpenMode::CreateOrMigrate, OpenMode::Existing] {
        match Store::open(&Location::Sqlite(path.clone()), mode).await {
            Err(e) if e.code() == Code::DbNotArmtrace => {
                assert!(e.to_string().contains("notes.txt"), "{e}");
                assert!(e.is_user_error());
            }
            other => panic!("{mode:?}: expected NotADatabase, got {other:?}"),
        }
        assert_eq!(
            std::fs::read(&path).ok().as_deref(),
            Some(&content[..]),
            "file untouched"
        );
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(
        names.len(),
        1,
        "no -wal or -shm files were created: {names:?}"
    );
}

#[tokio::test]
async fn another_programs_sqlite_database_is_refused() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("contacts.db");
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("CREATE TABLE contacts (name TEXT)")
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    conn.close().await.unwrap_or_else(|e| panic!("{e}"));
    let before = std::fs::read(&path).unwrap_or_default();
    match Store::open(&Location::Sqlite(path.clone()), OpenMode::CreateOrMigrate).await {
        Err(e) if e.code() == Code::DbNotArmtrace => {}
        other => panic!("expected NotADatabase, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap_or_default(),
        before,
        "file untouched"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_downgraded() {
    for db in TestDb::all("a_newer_schema_is_refused_not_downgraded").await {
        let store = open(&db, OpenMode::CreateOrMigrate).await;
        armtrace_store::testing::pretend_newer_schema(&store, SCHEMA_VERSION + 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store.close().await;
        for mode in [OpenMode::CreateOrMigrate, OpenMode::Existing] {
            match Store::open(&db.location, mode).await {
                Err(e) if e.code() == Code::DbSchemaTooNew => {
                    let want = format!(
                        "schema version {} but this armtrace knows only up to {SCHEMA_VERSION}",
                        SCHEMA_VERSION + 1
                    );
                    assert!(e.to_string().contains(&want), "{e}");
                }
                other => panic!(
                    "{}: {mode:?}: expected SchemaTooNew, got {other:?}",
                    db.backend()
                ),
            }
        }
    }
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_error_within_seconds() {
    let started = std::time::Instant::now();
    // Port 9 (discard) on loopback: nothing listens there.
    let loc = Location::parse("postgres://armtrace:secret@127.0.0.1:9/none")
        .unwrap_or_else(|e| panic!("{e}"));
    match Store::open(&loc, OpenMode::Existing).await {
        Err(e) if e.code() == Code::DbUnreachable => {
            let msg = e.to_string();
            assert!(
                msg.contains("cannot reach PostgreSQL at postgres://armtrace:***@127.0.0.1:9/none"),
                "{msg}"
            );
            assert!(!msg.contains("secret"), "password hidden: {msg}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(
        started.elapsed().as_secs() < 10,
        "gave up in {:?}",
        started.elapsed()
    );
}
