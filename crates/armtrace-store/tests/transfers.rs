//! The transfer register on both backends: import, re-import, atomicity, suppliers, listings,
//! volumes and release differences. Expected figures were computed from the SIPRI files with
//! Python's csv and decimal modules, independently of armtrace.

use armtrace_core::access::{Identity, Role};
use armtrace_core::actor::Party;
use armtrace_core::audit::AuditSigner;
use armtrace_core::transfer::Transfer;
use armtrace_ingest::sipri::{Lookup, parse};
use armtrace_ingest::{IngestError, NoProgress};
use armtrace_store::testing::TestDb;
use armtrace_store::{
    ImportError, OpenMode, Period, ReleaseChoice, ReleaseSpec, Store, TransferFilter, VolumeGroup,
    VolumesQuery, YearBasis,
};
use std::path::PathBuf;

/// The analyst every import acts as (an admin, the database's owner).
fn analyst() -> Identity {
    Identity::user("analyst")
}

/// The key the tests' stores write with.
fn signer() -> armtrace_store::AuditKey {
    armtrace_store::AuditKey::new(AuditSigner::from_secret([3; 32]), None)
}

async fn store(db: &TestDb) -> Store {
    let s = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.backend()))
        .with_signer(signer());
    s.bootstrap("analyst", &AuditSigner::from_secret([3; 32]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    s.load_reference(&set, &analyst())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s
}

fn parse_export(name: &str, bytes: &[u8]) -> armtrace_ingest::sipri::SipriExport {
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    let resolver = set.resolver();
    let lookup = Lookup {
        resolver: &resolver,
        categories: armtrace_refdata::category_index(&set.categories),
        description_categories: armtrace_refdata::sipri_description_categories()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    parse(name, bytes, &lookup, &mut NoProgress).unwrap_or_else(|e| panic!("{e}"))
}

async fn import(s: &Store, name: &str, bytes: &[u8]) -> armtrace_store::ImportReport {
    let e = parse_export(name, bytes);
    let spec = ReleaseSpec {
        source: "sipri".into(),
        name: e.generated.to_string(),
        format: e.format.as_str().into(),
        selection: Some(e.selection.clone()),
    };
    let batches = e
        .transfers
        .chunks(100)
        .map(|c| Ok::<_, IngestError>(c.to_vec()))
        .collect::<Vec<_>>();
    s.import_transfers(
        &analyst(),
        &spec,
        name,
        &armtrace_ingest::sha256_hex(bytes),
        batches.into_iter(),
        &mut |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("import {name}: {e}"))
}

fn country(code: &str) -> Party {
    Party::Country(code.into())
}

fn summary(rows: &[armtrace_store::SupplierRow]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.supplier, r.deals, r.number_delivered, r.tiv_delivered
            )
        })
        .collect()
}

async fn scenario(db: &TestDb) -> String {
    let b = db.backend();
    let s = store(db).await;
    let subset = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET;
    let first = import(&s, "subset.csv", subset).await;
    assert_eq!(
        (first.records, first.added, first.new_release),
        (398, 398, true),
        "{b}"
    );
    let again = import(&s, "subset.csv", subset).await;
    assert_eq!(
        (again.added, again.already_present, again.new_release),
        (0, 398, false),
        "{b}: nothing added twice"
    );

    let iraq = country("IRQ");
    let iran = country("IRN");
    let p7090 = Period {
        from: Some(1970),
        to: Some(1990),
    };
    let a = s
        .suppliers(
            &ReleaseChoice::LatestSipri,
            &iraq,
            YearBasis::Order,
            p7090,
            Some(&iran),
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert_eq!(a.suppliers.len(), 23, "{b}");
    let top = summary(&a.suppliers);
    assert_eq!(
        top[..3],
        [
            "Soviet Union 99 55260 28502.31",
            "France 48 15665 5397.49",
            "China 12 4664 4295"
        ],
        "{b}"
    );
    assert!(top.contains(&"Jordan 1 2 2.4".to_string()), "{b}");
    assert_eq!(
        a.common.clone().unwrap_or_default(),
        [
            "Austria",
            "Brazil",
            "Canada",
            "China",
            "East Germany (GDR)",
            "France",
            "Germany",
            "Italy",
            "Soviet Union",
            "Sweden",
            "Switzerland",
            "United Kingdom",
            "United States"
        ],
        "{b}"
    );
    let by_delivery = s
        .suppliers(
            &ReleaseChoice::LatestSipri,
            &iraq,
            YearBasis::Delivery,
            Period {
                from: Some(1980),
                to: Some(1988),
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    let soviet = by_delivery
        .suppliers
        .iter()
        .find(|r| r.supplier == "Soviet Union")
        .map(|r| r.deals);
    assert_eq!(soviet, Some(65), "{b}: deals with a delivery in 1980–1988");
    assert_eq!(by_delivery.suppliers.len(), 22, "{b}");

    let total = s
        .volumes(
            &ReleaseChoice::LatestSipri,
            &VolumesQuery {
                by: VolumeGroup::Year,
                basis: YearBasis::Order,
                supplier: None,
                recipient: None,
                category: None,
                period: Period::default(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert_eq!(
        total.total_tiv.to_string(),
        "74795.22",
        "{b}: all TIV delivered in the subset"
    );
    let spread = s
        .volumes(
            &ReleaseChoice::LatestSipri,
            &VolumesQuery {
                by: VolumeGroup::Recipient,
                basis: YearBasis::Delivery,
                supplier: None,
                recipient: None,
                category: None,
                period: Period::default(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert_eq!(
        spread.total_tiv, total.total_tiv,
        "{b}: spreading over delivery years keeps totals exact"
    );

    let (_, t72) = s
        .list_transfers(
            &ReleaseChoice::LatestSipri,
            &TransferFilter {
                recipient: Some(iraq.clone()),
                designation: Some("t-72".into()),
                ..TransferFilter::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert!(
        !t72.is_empty()
            && t72
                .iter()
                .all(|t| t.designation.to_lowercase().contains("t-72")),
        "{b}"
    );

    let mut out = String::new();
    out += &format!("{top:?}\n{:?}\n", summary(&by_delivery.suppliers));
    for by in [
        VolumeGroup::Year,
        VolumeGroup::Supplier,
        VolumeGroup::Category,
    ] {
        let v = s
            .volumes(
                &ReleaseChoice::LatestSipri,
                &VolumesQuery {
                    by,
                    basis: YearBasis::Delivery,
                    supplier: None,
                    recipient: Some(iran.clone()),
                    category: None,
                    period: Period {
                        from: Some(1975),
                        to: Some(1985),
                    },
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        out += &format!("{:?} {:?}\n", v.rows, v.estimated_deals);
    }
    out += &format!(
        "{:?}\n",
        t72.iter()
            .map(|t| (&t.designation, t.order_year, t.number_delivered))
            .collect::<Vec<_>>()
    );
    s.close().await;
    out
}

#[tokio::test]
async fn transfer_register_gives_the_same_answers_on_every_backend() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("transfer_register").await {
        transcripts.push((db.backend(), scenario(&db).await));
    }
    for (backend, t) in &transcripts[1..] {
        assert_eq!(t, &transcripts[0].1, "{backend} differs from SQLite");
    }
}

/// What a few questions answer, for comparing a database before and after a migration.
async fn answers(s: &Store) -> String {
    let latest = ReleaseChoice::LatestSipri;
    let mut out = String::new();
    for r in s.releases().await.unwrap_or_else(|e| panic!("{e}")) {
        out.push_str(&format!(
            "{} {} {} {}\n",
            r.id, r.name, r.format, r.transfers
        ));
    }
    for basis in [YearBasis::Order, YearBasis::Delivery] {
        let a = s
            .suppliers(
                &latest,
                &country("IRQ"),
                basis,
                Period::default(),
                Some(&country("IRN")),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        out.push_str(&format!("{:?} {:?}\n", a.suppliers, a.common));
        for by in [VolumeGroup::Year, VolumeGroup::Supplier] {
            let q = VolumesQuery {
                by,
                basis,
                supplier: None,
                recipient: Some(country("IRQ")),
                category: None,
                period: Period::default(),
            };
            let v = s
                .volumes(&latest, &q)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            out.push_str(&format!(
                "{:?} {} {}\n",
                v.rows, v.total_tiv, v.estimated_deals
            ));
        }
    }
    let (_, rows) = s
        .list_transfers(&latest, &TransferFilter::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    out.push_str(&format!("{rows:?}\n"));
    out
}

/// A database written before segments (schemas 4 and 5 kept a row per transfer and per delivery
/// year) migrates: its transfers move into segments, it answers exactly as a database that
/// imported the same file today, and re-importing the file adds nothing.
#[tokio::test]
async fn an_existing_database_migrates_and_answers_the_same() {
    let subset = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET;
    let e = parse_export("subset.csv", subset);
    let today = TestDb::sqlite();
    let expected = {
        let s = store(&today).await;
        import(&s, "subset.csv", subset).await;
        let a = answers(&s).await;
        s.close().await;
        a
    };
    for version in [4, 5] {
        for db in TestDb::all(&format!("existing_database_migrates_from_{version}")).await {
            let b = db.backend();
            let old = armtrace_store::testing::store_at_version(&db.location, version)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .with_signer(signer());
            old.bootstrap("analyst", &AuditSigner::from_secret([3; 32]))
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
            old.load_reference(&set, &analyst())
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            armtrace_store::testing::write_schema5_transfers(
                &old,
                "sipri",
                &e.generated.to_string(),
                e.format.as_str(),
                &e.transfers,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
            old.close().await;
            // Migration 6 applied but its transfers not yet moved into segments (as after a
            // conversion that failed): only `init` may open the store.
            armtrace_store::testing::store_at_version(&db.location, armtrace_store::SCHEMA_VERSION)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .close()
                .await;
            match Store::open(&db.location, OpenMode::Existing).await {
                Err(e) => assert_eq!(e.code(), armtrace_core::Code::DbSchemaOutdated, "{b}: {e}"),
                Ok(_) => panic!("{b}: a store whose transfers are not converted was opened"),
            }
            let s = Store::open(&db.location, OpenMode::CreateOrMigrate)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .with_signer(signer());
            assert_eq!(
                s.applied_version().await.ok().flatten(),
                Some(armtrace_store::SCHEMA_VERSION),
                "{b}"
            );
            assert_eq!(answers(&s).await, expected, "{b} from schema {version}");
            assert_eq!(import(&s, "subset.csv", subset).await.added, 0, "{b}");
            s.close().await;
            // Opening again finds nothing left to convert.
            let again = Store::open(&db.location, OpenMode::CreateOrMigrate)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            assert_eq!(answers(&again).await, expected, "{b} reopened");
            again.close().await;
        }
    }
}

/// No unique index guards record keys any more: the importer refuses a key written twice in one
/// load (the parsers never produce one; the store must not rely on that).
#[tokio::test]
async fn a_record_key_twice_in_one_import_is_refused() {
    for db in TestDb::all("a_record_key_twice").await {
        let b = db.backend();
        let s = store(&db).await;
        let e = parse_export("subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET);
        let spec = ReleaseSpec {
            source: "sipri".into(),
            name: "2025-03-13".into(),
            format: "sipri_trade_register".into(),
            selection: None,
        };
        let batches: Vec<Result<Vec<Transfer>, IngestError>> = vec![
            Ok(e.transfers[..10].to_vec()),
            Ok(e.transfers[5..6].to_vec()),
        ];
        match s
            .import_transfers(
                &analyst(),
                &spec,
                "subset.csv",
                "twice",
                batches.into_iter(),
                &mut |_| {},
            )
            .await
        {
            Err(ImportError::Store(e)) => {
                assert!(e.to_string().contains("appears twice"), "{b}: {e}")
            }
            other => panic!("{b}: expected a refusal, got {other:?}"),
        }
        assert!(s.releases().await.unwrap_or_default().is_empty(), "{b}");
        s.close().await;
    }
}

#[derive(Debug)]
struct Broken;
impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("line 999: broken record")
    }
}
impl std::error::Error for Broken {}

#[tokio::test]
async fn a_failed_import_writes_nothing() {
    for db in TestDb::all("a_failed_import_writes_nothing").await {
        let s = store(&db).await;
        let e = parse_export("subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET);
        let spec = ReleaseSpec {
            source: "sipri".into(),
            name: "2025-03-13".into(),
            format: "sipri_trade_register".into(),
            selection: None,
        };
        // Many records (copies under new keys), so that segments are written before it fails:
        // the rollback must take them all back.
        let good: Vec<Transfer> = (0..101)
            .flat_map(|copy| {
                e.transfers[..200].iter().map(move |t| {
                    let mut t = t.clone();
                    t.record_key = format!("{}#{copy}", t.record_key);
                    t
                })
            })
            .collect();
        let batches: Vec<Result<Vec<Transfer>, Broken>> = vec![Ok(good), Err(Broken)];
        match s
            .import_transfers(
                &analyst(),
                &spec,
                "subset.csv",
                "abc",
                batches.into_iter(),
                &mut |_| {},
            )
            .await
        {
            Err(ImportError::Source(Broken)) => {}
            other => panic!("{}: expected the source error, got {other:?}", db.backend()),
        }
        assert!(
            s.releases().await.unwrap_or_default().is_empty(),
            "{}: no release, no transfers",
            db.backend()
        );
        assert_eq!(s.file_imported("abc", None).await.ok().flatten(), None);
        s.close().await;
    }
}

#[tokio::test]
async fn differences_between_releases() {
    for db in TestDb::all("differences_between_releases").await {
        let s = store(&db).await;
        let e = parse_export("subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET);
        let spec = |name: &str| ReleaseSpec {
            source: "sipri".into(),
            name: name.into(),
            format: "sipri_trade_register".into(),
            selection: None,
        };
        let older = e.transfers.clone();
        // A synthetic later release: one record revised, one dropped, one new.
        let mut newer = e.transfers.clone();
        let dropped = newer.remove(5);
        if let Some(sf) = newer[0].sipri.as_mut() {
            sf.tiv_delivered = sf.tiv_delivered.map(|m| armtrace_core::Milli(m.0 + 1_000));
        }
        newer[0].record_key = "revised".into();
        let mut added = dropped.clone();
        added.designation = "SYNTHETIC-1".into();
        added.record_key = "added".into();
        newer.push(added);
        for (name, ts) in [("2024-01-01", older), ("2025-01-01", newer)] {
            let batches = vec![Ok::<_, IngestError>(ts)];
            s.import_transfers(
                &analyst(),
                &spec(name),
                name,
                name,
                batches.into_iter(),
                &mut |_| {},
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let d = s
            .diff_releases(
                &ReleaseChoice::Sipri("2024-01-01".into()),
                &ReleaseChoice::Sipri("2025-01-01".into()),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (d.added.len(), d.removed.len(), d.changed.len(), d.unchanged),
            (1, 1, 1, 396),
            "{}",
            db.backend()
        );
        assert_eq!(d.changed[0].fields, ["tiv_delivered"]);
        assert_eq!(d.added[0].designation, "SYNTHETIC-1");
        assert_eq!(d.removed[0].designation, dropped.designation);
        s.close().await;
    }
}

/// A file of ../shared/data/sipri (or `ARMTRACE_SHARED_DATA`). Only `#[ignore]`d tests call
/// it, and they fail when it is absent: a check that cannot run never counts as passed.
fn shared(file: &str) -> Vec<u8> {
    let dir = std::env::var_os("ARMTRACE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = dir.join("sipri").join(file);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. This test needs ../shared/data (or ARMTRACE_SHARED_DATA); without it, run the tests without --ignored",
            p.display()
        )
    })
}

#[tokio::test]
#[ignore = "needs ../shared/data: cargo test -- --ignored"]
async fn full_registers_follow_sipri_semantics_on_every_backend() {
    let old = shared("sipri_trade_register_all_years_generated_2025-03-13.csv");
    let new = shared("sipri_transfers_newformat_2000-2030_generated_2025-01-03.csv");
    for db in TestDb::all("full_registers_follow_sipri_semantics").await {
        let b = db.backend();
        let s = store(&db).await;
        assert_eq!(
            import(&s, "register-2025.csv", &old).await.added,
            29_515,
            "{b}"
        );
        assert_eq!(
            import(&s, "deal-years-2025.csv", &new).await.added,
            10_396,
            "{b}"
        );
        // Older format, order basis: whole register total and Iraq's suppliers.
        let v = s
            .volumes(
                &ReleaseChoice::Sipri("2025-03-13".into()),
                &VolumesQuery {
                    by: VolumeGroup::Year,
                    basis: YearBasis::Order,
                    supplier: None,
                    recipient: None,
                    category: None,
                    period: Period::default(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(v.total_tiv.to_string(), "2092211.45", "{b}");
        // Newer format: exact yearly TIV for India, 2015–2020.
        let india = country("IND");
        let v = s
            .volumes(
                &ReleaseChoice::Sipri("2025-01-03".into()),
                &VolumesQuery {
                    by: VolumeGroup::Year,
                    basis: YearBasis::Delivery,
                    supplier: None,
                    recipient: Some(india.clone()),
                    category: None,
                    period: Period {
                        from: Some(2015),
                        to: Some(2020),
                    },
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let years: Vec<String> = v
            .rows
            .iter()
            .map(|r| format!("{} {}", r.key, r.tiv))
            .collect();
        assert_eq!(
            years,
            [
                "2015 2723.88",
                "2016 2553.43",
                "2017 2656.22",
                "2018 2006.37",
                "2019 3147.34",
                "2020 2636.89"
            ],
            "{b}"
        );
        assert_eq!(
            v.estimated_deals, 0,
            "{b}: the deal-year format states yearly figures"
        );
        let a = s
            .suppliers(
                &ReleaseChoice::Sipri("2025-01-03".into()),
                &india,
                YearBasis::Delivery,
                Period {
                    from: Some(2015),
                    to: Some(2020),
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            summary(&a.suppliers)[..4],
            [
                "Russia 27 22726 8300.16",
                "France 13 2705 2278.24",
                "Israel 15 2552 2051.8",
                "United States 19 3277 1765.44"
            ],
            "{b}"
        );
        s.close().await;
    }
}

#[tokio::test]
async fn only_permitted_users_import_and_each_import_is_audited() {
    for db in TestDb::all("only_permitted_users_import").await {
        let b = db.backend();
        let s = store(&db).await;
        s.add_user(&analyst(), "visitor", Role::Viewer)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let before = armtrace_store::testing::audit_entry_count(&s)
            .await
            .unwrap_or_default();
        let e = parse_export("subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET);
        let spec = ReleaseSpec {
            source: "sipri".into(),
            name: "2025-03-13".into(),
            format: "sipri_trade_register".into(),
            selection: None,
        };
        for who in [Identity::user("visitor"), Identity::user("nobody")] {
            let batches = vec![Ok::<_, IngestError>(e.transfers.clone())];
            let r = s
                .import_transfers(
                    &who,
                    &spec,
                    "subset.csv",
                    "x",
                    batches.into_iter(),
                    &mut |_| {},
                )
                .await;
            assert!(
                matches!(r, Err(ImportError::Store(_))),
                "{b}: {who} may not import: {r:?}"
            );
        }
        assert!(
            s.releases().await.unwrap_or_default().is_empty(),
            "{b}: nothing written"
        );
        assert_eq!(
            armtrace_store::testing::audit_entry_count(&s)
                .await
                .unwrap_or_default(),
            before,
            "{b}"
        );
        import(&s, "subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).await;
        assert_eq!(
            armtrace_store::testing::audit_entry_count(&s)
                .await
                .unwrap_or_default(),
            before + 1,
            "{b}: one entry per import"
        );
        s.close().await;
    }
}
