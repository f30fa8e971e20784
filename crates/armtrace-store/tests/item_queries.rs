//! Item queries in SQL, on SQLite always and PostgreSQL when `ARMTRACE_TEST_PG` is set: keyset
//! pages, filters over distinct weapons and counts, checked against an oracle that computes the
//! same answers from the generated items in plain Rust (not through the store).

use armtrace_core::Id;
use armtrace_core::access::{Identity, Role};
use armtrace_core::actor::Party;
use armtrace_core::audit::AuditSigner;
use armtrace_core::item::{
    Acquisition, AcquisitionRoute, Basis, IdentificationBasis, IdentificationDraft, ItemDraft,
    ModelRef, Place, VerificationStatus,
};
use armtrace_core::text::collate;
use armtrace_store::testing::TestDb;
use armtrace_store::{ItemFilter, ItemGroup, OpenMode, Store};
use std::collections::{BTreeMap, BTreeSet};

const MOSUL: &str = "Mosul depots";
const ANBAR: &str = "Anbar";
const HIDDEN: &str = "Hidden";

/// One generated sighting, as the oracle sees it.
#[derive(Clone, Debug)]
struct Sighting {
    investigation: &'static str,
    reference: String,
    made_in: &'static str,
    model: &'static str,
    category: &'static str,
    country: &'static str,
    possessor: Party,
    route: AcquisitionRoute,
    year_made: i32,
    seen: &'static str,
    /// The reference of the weapon it is a sighting of (itself when it is a weapon).
    weapon: String,
}

const MADE_IN: [&str; 4] = ["CHN", "SUHH", "BGR", "ROU"];
const MODELS: [(&str, &str); 3] = [
    ("Type 56", "salw.sa.assault_rifle"),
    ("AKM", "salw.sa.assault_rifle"),
    ("PK", "salw.lw.general_purpose_machine_gun"),
];
const COUNTRIES: [&str; 2] = ["IRQ", "SYR"];
const SEEN: [&str; 4] = ["2014-06", "2014-07-02", "2015", "2016-03"];

/// A deterministic spread of sightings: the n-th gets attributes from n.
fn generate() -> Vec<Sighting> {
    let mut v = Vec::new();
    for n in 0..70u32 {
        let investigation = match n % 5 {
            0..=2 => MOSUL,
            3 => ANBAR,
            _ => HIDDEN,
        };
        let (model, category) = MODELS[(n % 3) as usize];
        // References that sort differently folded and raw, with accents.
        let reference = match n % 4 {
            0 => format!("CAR-{n:03}"),
            1 => format!("car-{n:03}b"),
            2 => format!("Çar-{n:03}"),
            _ => format!("item {n}"),
        };
        v.push(Sighting {
            investigation,
            weapon: reference.clone(),
            reference,
            made_in: MADE_IN[(n * 7 % 4) as usize],
            model,
            category,
            country: COUNTRIES[(n / 3 % 2) as usize],
            possessor: if n % 6 == 0 {
                Party::Unknown
            } else {
                Party::Actor("isil".into())
            },
            route: if n % 2 == 0 {
                AcquisitionRoute::LootedFromStocks
            } else {
                AcquisitionRoute::CapturedInBattle
            },
            year_made: 1960 + (n as i32 % 40),
            seen: SEEN[(n % 4) as usize],
        });
    }
    v
}

/// The merges the test makes: (weapon, sightings), within one investigation each.
fn merges(all: &[Sighting]) -> Vec<(String, Vec<String>)> {
    let refs_in = |inv: &str| -> Vec<String> {
        all.iter()
            .filter(|s| s.investigation == inv)
            .map(|s| s.reference.clone())
            .collect()
    };
    let mosul = refs_in(MOSUL);
    let anbar = refs_in(ANBAR);
    vec![
        (mosul[0].clone(), vec![mosul[1].clone(), mosul[2].clone()]),
        (mosul[5].clone(), vec![mosul[9].clone()]),
        (anbar[1].clone(), vec![anbar[3].clone()]),
    ]
}

fn draft(s: &Sighting) -> ItemDraft {
    ItemDraft {
        reference: Some(s.reference.clone()),
        description: None,
        identification: Some(IdentificationDraft {
            model: Some(ModelRef {
                id: Id::for_reference("weapon_model", s.model),
                designation: s.model.into(),
                category: Some(s.category.into()),
            }),
            country_of_manufacture: Some(s.made_in.into()),
            year_of_manufacture: Some(
                s.year_made
                    .to_string()
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
            basis: IdentificationBasis::Markings,
            notes: None,
        }),
        markings: vec![],
        place: Some(Place {
            lat: None,
            lon: None,
            precision_m: None,
            name: Some(format!("Place {}", s.country)),
            country: Some(s.country.into()),
        }),
        country_basis: None,
        location_sensitive: false,
        date: Some(s.seen.parse().unwrap_or_else(|e| panic!("{e}"))),
        possessor: Some(s.possessor.clone()),
        acquisition: Some(Acquisition {
            route: s.route,
            basis: Basis::Reported,
            event: None,
        }),
        notes: None,
        source: "test".into(),
    }
}

/// What the oracle knows of a filter: a predicate on a sighting.
struct Case {
    name: &'static str,
    filter: ItemFilter,
    keep: fn(&Sighting) -> bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "everything",
            filter: ItemFilter::default(),
            keep: |_| true,
        },
        Case {
            name: "made in China",
            filter: ItemFilter {
                made_in: Some("CHN".into()),
                ..Default::default()
            },
            keep: |s| s.made_in == "CHN",
        },
        Case {
            name: "made in China, seen in Syria",
            filter: ItemFilter {
                made_in: Some("CHN".into()),
                country: Some("SYR".into()),
                ..Default::default()
            },
            keep: |s| s.made_in == "CHN" && s.country == "SYR",
        },
        Case {
            name: "model text, folded",
            filter: ItemFilter {
                model: Some("type".into()),
                ..Default::default()
            },
            keep: |s| s.model == "Type 56",
        },
        Case {
            name: "category prefix",
            filter: ItemFilter {
                category: Some("salw.lw".into()),
                ..Default::default()
            },
            keep: |s| s.category.starts_with("salw.lw."),
        },
        Case {
            name: "possessor unknown",
            filter: ItemFilter {
                possessor: Some(Party::Unknown),
                ..Default::default()
            },
            keep: |s| s.possessor == Party::Unknown,
        },
        Case {
            name: "seen from 2015",
            filter: ItemFilter {
                from: Some("2015".parse().unwrap_or_else(|e| panic!("{e}"))),
                ..Default::default()
            },
            keep: |s| s.seen >= "2015",
        },
        Case {
            name: "seen up to June 2014",
            filter: ItemFilter {
                to: Some("2014-06".parse().unwrap_or_else(|e| panic!("{e}"))),
                ..Default::default()
            },
            keep: |s| s.seen == "2014-06",
        },
        Case {
            name: "place text",
            filter: ItemFilter {
                place: Some("place irq".into()),
                ..Default::default()
            },
            keep: |s| s.country == "IRQ",
        },
        Case {
            name: "one investigation",
            filter: ItemFilter {
                investigation: Some(ANBAR.into()),
                ..Default::default()
            },
            keep: |s| s.investigation == ANBAR,
        },
    ]
}

/// The weapons (by reference) a filter selects, as the oracle sees them: those the reader may
/// see of which any sighting passes.
fn expected_weapons(all: &[Sighting], keep: fn(&Sighting) -> bool) -> Vec<(String, String)> {
    let mut weapons: BTreeSet<(&str, &str)> = BTreeSet::new();
    for s in all.iter().filter(|s| s.investigation != HIDDEN && keep(s)) {
        weapons.insert((s.investigation, s.weapon.as_str()));
    }
    let mut v: Vec<(String, String)> = weapons
        .into_iter()
        .map(|(i, w)| (i.to_string(), w.to_string()))
        .collect();
    v.sort_by(|a, b| collate(&a.0, &b.0).then_with(|| collate(&a.1, &b.1)));
    v
}

async fn build(db: &TestDb) -> (Store, Vec<Sighting>) {
    let b = db.backend();
    let key = AuditSigner::from_secret([5; 32]);
    let store = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"))
        .with_signer(armtrace_store::AuditKey::new(key.clone(), None));
    store
        .bootstrap("owner", &key)
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    let owner = Identity::user("owner");
    for (name, role) in [("ina", Role::Investigator), ("other", Role::Investigator)] {
        store
            .add_user(&owner, name, role)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
    }
    for (by, inv) in [("ina", MOSUL), ("ina", ANBAR), ("other", HIDDEN)] {
        store
            .add_investigation(&Identity::user(by), inv, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
    }
    let mut all = generate();
    for inv in [MOSUL, ANBAR, HIDDEN] {
        let by = if inv == HIDDEN { "other" } else { "ina" };
        let drafts: Vec<(u64, ItemDraft)> = all
            .iter()
            .filter(|s| s.investigation == inv)
            .enumerate()
            .map(|(n, s)| (n as u64 + 1, draft(s)))
            .collect();
        store
            .import_items(&Identity::user(by), inv, "gen.jsonl", "0", &drafts)
            .await
            .unwrap_or_else(|e| panic!("{b}: import into {inv}: {e}"));
    }
    for (keep, others) in merges(&all) {
        store
            .merge_items(&Identity::user("ina"), &keep, &others, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: merge into {keep}: {e}"));
        for s in all.iter_mut().filter(|s| others.contains(&s.reference)) {
            s.weapon = keep.clone();
        }
    }
    (store, all)
}

#[tokio::test]
async fn pages_filters_and_counts_answer_what_the_oracle_computes() {
    for db in TestDb::all("pages_filters_and_counts_answer_what_the_oracle_computes").await {
        let b = db.backend();
        let (store, all) = build(&db).await;
        let ina = Identity::user("ina");
        for case in cases() {
            let want = expected_weapons(&all, case.keep);
            // Every page size gives the same listing, each weapon once, in order.
            for size in [1, 4, 7, 1000] {
                let mut got = Vec::new();
                let mut after: Option<String> = None;
                let mut pages = 0;
                loop {
                    let page = store
                        .items_page(&ina, &case.filter, None, size, after.as_deref())
                        .await
                        .unwrap_or_else(|e| panic!("{b}: {}: {e}", case.name));
                    pages += 1;
                    assert!(page.items.len() as u64 <= size, "{b}: {}", case.name);
                    got.extend(
                        page.items
                            .iter()
                            .map(|s| (s.investigation.clone(), s.reference.clone())),
                    );
                    match page.next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                    assert!(pages < 1000, "{b}: {}: pages never end", case.name);
                }
                assert_eq!(got, want, "{b}: {} in pages of {size}", case.name);
            }
            // The listing before item queries moved into SQL answers the same (the benchmark
            // compares the two).
            let legacy: Vec<(String, String)> = store
                .legacy_items(&ina, &case.filter)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .iter()
                .map(|s| (s.investigation.clone(), s.reference.clone()))
                .collect();
            assert_eq!(legacy, want, "{b}: {} the old way", case.name);
            // Counts of distinct weapons by country of manufacture and by country seen.
            for (group, key) in [
                (
                    ItemGroup::MadeIn,
                    (|s: &Sighting| s.made_in.to_string()) as fn(&Sighting) -> String,
                ),
                (ItemGroup::Country, |s: &Sighting| s.country.to_string()),
                (ItemGroup::Decade, |s: &Sighting| {
                    format!("{}s", s.year_made / 10 * 10)
                }),
                (ItemGroup::YearSeen, |s: &Sighting| s.seen[..4].to_string()),
            ] {
                let mut expected: BTreeMap<String, BTreeSet<(&str, &str)>> = BTreeMap::new();
                let mut total: BTreeSet<(&str, &str)> = BTreeSet::new();
                for s in all
                    .iter()
                    .filter(|s| s.investigation != HIDDEN && (case.keep)(s))
                {
                    expected
                        .entry(key(s))
                        .or_default()
                        .insert((s.investigation, s.weapon.as_str()));
                    total.insert((s.investigation, s.weapon.as_str()));
                }
                let counts = store
                    .item_counts(&ina, &case.filter, group)
                    .await
                    .unwrap_or_else(|e| panic!("{b}: {}: {e}", case.name));
                let got: BTreeMap<String, u64> = counts
                    .groups
                    .iter()
                    .map(|g| (g.key.clone().unwrap_or_default(), g.weapons))
                    .collect();
                let want: BTreeMap<String, u64> = expected
                    .iter()
                    .map(|(k, v)| (k.clone(), v.len() as u64))
                    .collect();
                assert_eq!(got, want, "{b}: {} by {}", case.name, group.as_str());
                assert_eq!(counts.total, total.len() as u64, "{b}: {} total", case.name);
            }
        }
        // The status filter is the weapon's own: verifying a weapon lists it, with its sightings
        // counted, under "verified".
        let all_weapons = store
            .items(&ina, &ItemFilter::default(), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .1;
        let merged = all_weapons
            .iter()
            .find(|s| s.sightings == 3)
            .unwrap_or_else(|| panic!("{b}: a weapon with three sightings"));
        store
            .add_user(&Identity::user("owner"), "rev", Role::Reviewer)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        store
            .add_member(&Identity::user("owner"), MOSUL, "rev")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        store
            .review_item(
                &Identity::user("rev"),
                &merged.reference,
                Some(MOSUL),
                VerificationStatus::Verified,
                "checked",
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let verified = ItemFilter {
            status: Some(VerificationStatus::Verified),
            ..Default::default()
        };
        let listed = store
            .items(&ina, &verified, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .1;
        assert_eq!(
            listed
                .iter()
                .map(|s| (&s.reference, s.sightings))
                .collect::<Vec<_>>(),
            [(&merged.reference, 3)],
            "{b}"
        );
        let by_status = store
            .item_counts(&ina, &ItemFilter::default(), ItemGroup::Status)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let verified_count = by_status
            .groups
            .iter()
            .find(|g| g.key.as_deref() == Some("verified"))
            .map(|g| g.weapons);
        assert_eq!(verified_count, Some(1), "{b}: {by_status:?}");
        // A cursor that this listing did not give is refused, not misread.
        let e = store
            .items_page(&ina, &ItemFilter::default(), None, 5, Some("7b7d"))
            .await
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some(armtrace_core::Code::InputInvalid), "{b}");
    }
}
