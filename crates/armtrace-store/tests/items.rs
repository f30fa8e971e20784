//! Documented items and evidence records, on SQLite always and on PostgreSQL when
//! `ARMTRACE_TEST_PG` is set: adding and reading back, need-to-know, the verification workflow,
//! merged sightings, listing filters, data tiers, imports, and evidence. Every test ends with a
//! signed, verified audit chain, and both backends must give the same answers (each test keeps a
//! transcript without ids or times and compares them).

use armtrace_core::Id;
use armtrace_core::access::{AccessError, Identity, Role};
use armtrace_core::actor::Party;
use armtrace_core::audit::AuditSigner;
use armtrace_core::date::PartialDate;
use armtrace_core::evidence::{Collection, EvidenceAnchor};
use armtrace_core::investigation::Tier;
use armtrace_core::item::{
    Acquisition, AcquisitionRoute, Basis, CountryBasis, IdentificationBasis, IdentificationDraft,
    ItemDraft, ModelRef, Place, VerificationStatus,
};
use armtrace_core::marking::{EnclosingSymbol, Marking, MarkingPosition, Script};
use armtrace_store::testing::{TestDb, audit_entry_count};
use armtrace_store::{
    EvidenceFilter, EvidenceRecord, ItemDetail, ItemFilter, ItemSummary, NewEvidence, OpenMode,
    Store, StoreError,
};

/// The investigation most tests work in: ina (investigator) made it; ivo (investigator), rev
/// (reviewer), vic (viewer) and owner (admin) are members.
const INV: &str = "Mosul depots";
/// Made by out (investigator); ina is a member too.
const SINJAR: &str = "Sinjar";
/// Made by out; nobody else is a member.
const SECRET: &str = "Secret";

fn key() -> AuditSigner {
    AuditSigner::from_secret([7; 32])
}

/// Edits an item at the version it holds now (the store refuses an edit made against another).
trait EditCurrent {
    async fn edit_current(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        draft: &ItemDraft,
    ) -> Result<VerificationStatus, StoreError>;
}

impl EditCurrent for Store {
    async fn edit_current(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        draft: &ItemDraft,
    ) -> Result<VerificationStatus, StoreError> {
        let version = match self.item_for_edit(by, key, investigation).await {
            Ok(d) => d.summary.version,
            Err(_) => String::new(),
        };
        self.edit_item(by, key, investigation, &version, draft)
            .await
            .map(|(status, _)| status)
    }
}

fn user(name: &str) -> Identity {
    Identity::user(name)
}

/// A migrated database with its owner `owner` (admin) and the test key recorded.
async fn setup(db: &TestDb) -> Store {
    let store = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await
        .unwrap_or_else(|e| panic!("{}: open: {e}", db.backend()))
        .with_signer(armtrace_store::AuditKey::new(key(), None));
    store
        .bootstrap("owner", &key())
        .await
        .unwrap_or_else(|e| panic!("{}: bootstrap: {e}", db.backend()));
    store
}

/// The users and investigations every test starts from (see [`INV`], [`SINJAR`], [`SECRET`]).
async fn team(store: &Store, b: &str) {
    let owner = user("owner");
    for (name, role) in [
        ("ina", Role::Investigator),
        ("ivo", Role::Investigator),
        ("rev", Role::Reviewer),
        ("vic", Role::Viewer),
        ("out", Role::Investigator),
    ] {
        store
            .add_user(&owner, name, role)
            .await
            .unwrap_or_else(|e| panic!("{b}: add user {name}: {e}"));
    }
    for (by, name) in [("ina", INV), ("out", SINJAR), ("out", SECRET)] {
        store
            .add_investigation(&user(by), name, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: add investigation {name}: {e}"));
    }
    for (inv, member) in [
        (INV, "ivo"),
        (INV, "rev"),
        (INV, "vic"),
        (INV, "owner"),
        (SINJAR, "ina"),
    ] {
        store
            .add_member(&owner, inv, member)
            .await
            .unwrap_or_else(|e| panic!("{b}: add {member} to {inv}: {e}"));
    }
}

/// Verifies the chain and the records with the key: every write in the test was audited, and
/// signed by itself.
async fn audit_is_intact(store: &Store, b: &str) {
    let v = store
        .verify_audit(&armtrace_store::AuditKey::new(key(), None), true)
        .await
        .unwrap_or_else(|e| panic!("{b}: verify: {e}"));
    assert!(v.ok(), "{b}: {:#?}", v.problems);
    assert_eq!(v.signed_through, v.entries as i64, "{b}: all signed");
    assert!(v.entries > 10, "{b}: the test's writes are in the log");
}

/// Both backends must answer alike: compares each backend's transcript with the first one.
fn same_on_every_backend(test: &str, transcripts: &[(&'static str, Vec<String>)]) {
    let Some((first, expected)) = transcripts.first() else {
        panic!("{test}: no backend ran");
    };
    assert!(!expected.is_empty(), "{test}: empty transcript");
    for (b, got) in &transcripts[1..] {
        assert_eq!(
            got, expected,
            "{test}: {b} answers differently from {first}"
        );
    }
}

fn date(s: &str) -> PartialDate {
    s.parse().unwrap_or_else(|e| panic!("test date {s}: {e}"))
}

fn place(lat: f64, lon: f64, precision_m: u32, name: &str, country: &str) -> Place {
    Place {
        lat: Some(lat),
        lon: Some(lon),
        precision_m: Some(precision_m),
        name: Some(name.into()),
        country: Some(country.into()),
    }
}

fn named_place(name: &str, country: &str) -> Place {
    Place {
        lat: None,
        lon: None,
        precision_m: None,
        name: Some(name.into()),
        country: Some(country.into()),
    }
}

fn marking(
    position: MarkingPosition,
    script: Script,
    text: &str,
    mask: Option<&str>,
    transliteration: Option<&str>,
    symbol: Option<EnclosingSymbol>,
) -> Marking {
    let mut m = Marking::with_mask(position, script, text, mask)
        .unwrap_or_else(|e| panic!("test marking {text}: {e}"));
    m.transliteration = transliteration.map(str::to_string);
    m.symbol = symbol;
    m
}

/// An unidentified item: a description of what was seen.
fn described(reference: Option<&str>, description: &str) -> ItemDraft {
    ItemDraft {
        reference: reference.map(str::to_string),
        description: Some(description.into()),
        identification: None,
        markings: vec![],
        place: None,
        country_basis: None,
        location_sensitive: false,
        date: None,
        possessor: None,
        acquisition: None,
        notes: None,
        source: "armtrace items add".into(),
    }
}

fn identification(
    model: &str,
    category: &str,
    made_in: &str,
    year: Option<&str>,
) -> IdentificationDraft {
    IdentificationDraft {
        model: Some(ModelRef {
            id: Id::for_reference("weapon_model", model),
            designation: model.into(),
            category: Some(category.into()),
        }),
        country_of_manufacture: Some(made_in.into()),
        year_of_manufacture: year.map(date),
        basis: IdentificationBasis::Markings,
        notes: None,
    }
}

/// An item identified as a catalogue model.
fn identified(reference: Option<&str>, model: &str, category: &str, made_in: &str) -> ItemDraft {
    ItemDraft {
        description: None,
        identification: Some(identification(model, category, made_in, None)),
        ..described(reference, "")
    }
}

async fn add(store: &Store, b: &str, by: &str, investigation: &str, draft: &ItemDraft) -> String {
    store
        .add_item(&user(by), investigation, draft)
        .await
        .unwrap_or_else(|e| panic!("{b}: {by} adds {:?}: {e}", draft.reference))
}

async fn list(store: &Store, b: &str, by: &str, filter: &ItemFilter) -> Vec<ItemSummary> {
    store
        .items(&user(by), filter, None)
        .await
        .unwrap_or_else(|e| panic!("{b}: {by} lists items: {e}"))
        .1
}

async fn show(store: &Store, b: &str, by: &str, key: &str) -> ItemDetail {
    store
        .item(&user(by), key, None, Some(Tier::Confidential))
        .await
        .unwrap_or_else(|e| panic!("{b}: {by} shows {key}: {e}"))
}

fn in_investigation(name: &str) -> ItemFilter {
    ItemFilter {
        investigation: Some(name.into()),
        ..Default::default()
    }
}

fn refs(items: &[ItemSummary]) -> Vec<String> {
    items.iter().map(|s| s.reference.clone()).collect()
}

/// A listing row without ids or times, for transcripts.
fn line(s: &ItemSummary) -> String {
    let markings: Vec<String> = s
        .markings
        .iter()
        .map(|m| {
            format!(
                "{}/{}:{}[{}]{}{}",
                m.position,
                m.script,
                m.text,
                m.mask(),
                m.transliteration
                    .as_deref()
                    .map(|t| format!(" '{t}'"))
                    .unwrap_or_default(),
                m.symbol.map(|x| format!(" in {x}")).unwrap_or_default()
            )
        })
        .collect();
    format!(
        "{}/{} model={:?} category={:?} made_in={:?} year={:?} description={:?} place={:?} \
         basis={:?} sensitive={} date={:?} possessor={:?} acquisition={:?} {} merged_into={:?} \
         sightings={} evidence={} markings={markings:?}",
        s.investigation,
        s.reference,
        s.model,
        s.category,
        s.made_in,
        s.year_made,
        s.description,
        s.place,
        s.country_basis,
        s.location_sensitive,
        s.date.map(|d| d.to_string()),
        s.possessor.as_ref().map(|p| p.to_string()),
        s.acquisition,
        s.verification,
        s.merged_into,
        s.sightings,
        s.evidence,
    )
}

/// The text of an error, or "ok".
fn outcome<T>(r: Result<T, StoreError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

fn not_permitted<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Access(AccessError::NotPermitted { .. })))
}

fn no_item(key: &str) -> String {
    format!("there is no item '{key}' in your investigations")
}

fn no_investigation(name: &str) -> String {
    format!("there is no investigation '{name}' that you are a member of")
}

#[tokio::test]
async fn items_are_added_and_shown_back_exactly() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("items_are_added_and_shown_back_exactly").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        use MarkingPosition::{Receiver, Trunnion};
        let ak = ItemDraft {
            identification: Some(identification(
                "AK-47",
                "salw.sa.assault_rifle",
                "SUHH",
                Some("1985"),
            )),
            markings: vec![
                marking(
                    Receiver,
                    Script::Digits,
                    "56-1?2",
                    Some("...~?."),
                    None,
                    None,
                ),
                marking(
                    Receiver,
                    Script::Cyrillic,
                    "ТПЗ",
                    Some("..~"),
                    Some("TPZ"),
                    Some(EnclosingSymbol::Triangle),
                ),
                marking(Trunnion, Script::Latin, "19?5", None, None, None),
            ],
            place: Some(place(36.3456, 43.1234, 50, "Mosul, al-Zuhur", "IRQ")),
            country_basis: Some(CountryBasis::Map),
            date: Some(date("2014-06")),
            possessor: Some(Party::Actor("isil".into())),
            acquisition: Some(Acquisition {
                route: AcquisitionRoute::LootedFromStocks,
                basis: Basis::Reported,
                event: None,
            }),
            notes: Some("photographed at a checkpoint".into()),
            ..identified(None, "AK-47", "salw.sa.assault_rifle", "SUHH")
        };
        let folding = ItemDraft {
            place: Some(named_place("Tal Afar", "IRQ")),
            country_basis: Some(CountryBasis::Given),
            date: Some(date("2015")),
            possessor: Some(Party::Unknown),
            ..described(None, "rifle, folding stock, unidentified")
        };
        let type56 = ItemDraft {
            date: Some(date("2016-03-02")),
            possessor: Some(Party::Country("IRQ".into())),
            acquisition: Some(Acquisition {
                route: AcquisitionRoute::CapturedInBattle,
                basis: Basis::Observed,
                event: None,
            }),
            ..identified(
                Some("CAR-IS-0012"),
                "Type 56-1",
                "salw.sa.assault_rifle",
                "CHN",
            )
        };
        let mortar = described(None, "mortar tube, 82 mm");
        let mut added = Vec::new();
        for d in [&ak, &folding, &type56, &mortar] {
            added.push(add(&store, b, "ina", INV, d).await);
        }
        assert_eq!(
            added,
            ["item-1", "item-2", "CAR-IS-0012", "item-3"],
            "{b}: automatic references number the items without one"
        );

        // Each item reads back exactly as it was drafted.
        for (reference, draft) in [
            ("item-1", &ak),
            ("item-2", &folding),
            ("CAR-IS-0012", &type56),
            ("item-3", &mortar),
        ] {
            let d = show(&store, b, "ina", reference).await;
            let s = &d.summary;
            assert_eq!(
                (
                    s.investigation.as_str(),
                    s.reference.as_str(),
                    &s.description,
                    &s.markings,
                    &s.place,
                    &s.country_basis,
                    s.location_sensitive,
                    &s.date,
                    &s.possessor,
                    &s.acquisition,
                    &d.notes,
                    d.source.as_str(),
                ),
                (
                    INV,
                    reference,
                    &draft.description,
                    &draft.markings,
                    &draft.place,
                    &draft.country_basis,
                    draft.location_sensitive,
                    &draft.date,
                    &draft.possessor,
                    &draft.acquisition,
                    &draft.notes,
                    draft.source.as_str(),
                ),
                "{b}: {reference}"
            );
            let i = draft.identification.as_ref();
            let model = i.and_then(|i| i.model.as_ref());
            assert_eq!(
                (&s.model, &s.category, &s.made_in, &s.year_made),
                (
                    &model.map(|m| m.designation.clone()),
                    &model.and_then(|m| m.category.clone()),
                    &i.and_then(|i| i.country_of_manufacture.clone()),
                    &i.and_then(|i| i.year_of_manufacture.map(|y| y.to_string())),
                ),
                "{b}: {reference}"
            );
            let idents: Vec<(Option<&str>, &str, &str, &str, bool)> = d
                .identifications
                .iter()
                .map(|x| {
                    (
                        x.model.as_deref(),
                        x.basis.as_str(),
                        x.by.as_str(),
                        x.origin.as_str(),
                        x.current,
                    )
                })
                .collect();
            let want: Vec<(Option<&str>, &str, &str, &str, bool)> = model
                .map(|m| {
                    (
                        Some(m.designation.as_str()),
                        "markings",
                        "ina",
                        "analyst_decision",
                        true,
                    )
                })
                .into_iter()
                .collect();
            assert_eq!(idents, want, "{b}: {reference}");
            assert_eq!(
                (
                    s.verification,
                    &s.merged_into,
                    s.sightings,
                    s.evidence,
                    d.tier,
                    d.created_by.as_str(),
                    d.updated_by.as_str(),
                    &d.authors,
                ),
                (
                    VerificationStatus::Unverified,
                    &None,
                    1,
                    0,
                    Tier::Confidential,
                    "ina",
                    "ina",
                    &vec!["ina".to_string()],
                ),
                "{b}: {reference}"
            );
            assert!(
                d.reviews.is_empty()
                    && d.merged_sightings.is_empty()
                    && d.evidence_links.is_empty(),
                "{b}: {reference}"
            );
            // The same item by its full id.
            let by_id = show(&store, b, "ina", &s.id.to_string()).await;
            assert_eq!(by_id.summary.reference, reference, "{b}");
        }

        // Refused drafts leave nothing behind, not even an audit entry.
        let entries = audit_entry_count(&store).await.unwrap_or(0);
        let half = ItemDraft {
            place: Some(Place {
                lon: None,
                ..place(36.0, 43.0, 10, "Mosul", "IRQ")
            }),
            ..described(Some("X-1"), "rifle")
        };
        for (draft, expected) in [
            (
                described(Some("CAR-IS-0012"), "another rifle"),
                "investigation 'Mosul depots' already has an item 'CAR-IS-0012': choose another reference, or edit that one",
            ),
            (
                described(None, "  "),
                "an item needs a model from the catalogue, or a description of what was seen when it is unidentified",
            ),
            (half, "give both latitude and longitude, or neither"),
        ] {
            let got = outcome(store.add_item(&user("ina"), INV, &draft).await);
            assert_eq!(got, expected, "{b}");
        }
        assert_eq!(audit_entry_count(&store).await.unwrap_or(0), entries, "{b}");

        // The next automatic reference is above every automatic one, given or not.
        add(&store, b, "ina", INV, &described(Some("item-7"), "pistol")).await;
        assert_eq!(
            add(&store, b, "ina", INV, &described(None, "pistol")).await,
            "item-8",
            "{b}"
        );

        // The listing is sorted by reference and agrees with what `item` shows.
        let listed = list(&store, b, "ina", &in_investigation(INV)).await;
        assert_eq!(
            refs(&listed),
            [
                "CAR-IS-0012",
                "item-1",
                "item-2",
                "item-3",
                "item-7",
                "item-8"
            ],
            "{b}"
        );
        let confidential = store
            .items(
                &user("ina"),
                &in_investigation(INV),
                Some(Tier::Confidential),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(confidential.0, Tier::Confidential, "{b}");
        for s in &confidential.1 {
            let d = show(&store, b, "ina", &s.reference).await;
            assert_eq!(*s, d.summary, "{b}: listing and detail of {}", s.reference);
        }
        transcripts.push((b, listed.iter().map(line).collect::<Vec<_>>()));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend("items_are_added_and_shown_back_exactly", &transcripts);
}

/// One attempt at a write by key, as its outcome with the key replaced by `KEY`: a refusal must
/// read the same whether the key names an item in another investigation or nothing at all.
async fn attempt(store: &Store, who: &str, op: &str, key: &str) -> String {
    let by = user(who);
    let r: Result<(), StoreError> = match op {
        "edit" => store
            .edit_current(&by, key, None, &described(None, "changed"))
            .await
            .map(drop),
        "review" => store
            .review_item(
                &by,
                key,
                None,
                VerificationStatus::Verified,
                "markings match",
            )
            .await
            .map(drop),
        "merge" => store
            .merge_items(&by, key, &["M-1".to_string()], None)
            .await
            .map(drop),
        "unmerge" => store.unmerge_item(&by, key, None).await.map(drop),
        "add evidence" => store
            .add_evidence(&by, None, Some(key), &EvidenceAnchor::Whole, &[photo('d')])
            .await
            .map(drop),
        other => panic!("unknown operation {other}"),
    };
    outcome(r).replace(key, "KEY")
}

#[tokio::test]
async fn need_to_know_hides_items_from_non_members() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("need_to_know_hides_items_from_non_members").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        add(&store, b, "ina", INV, &described(Some("M-1"), "rifle")).await;
        add(
            &store,
            b,
            "ina",
            INV,
            &described(Some("CAR-1"), "Mosul CAR-1"),
        )
        .await;
        add(
            &store,
            b,
            "out",
            SECRET,
            &described(Some("CAR-1"), "Secret CAR-1"),
        )
        .await;
        add(
            &store,
            b,
            "out",
            SECRET,
            &described(Some("S-1"), "secret rifle"),
        )
        .await;
        add(&store, b, "out", SINJAR, &described(Some("SJ-1"), "pistol")).await;
        let mut t = Vec::new();

        // Each user lists only the items of their own investigations.
        for (who, expected) in [
            (
                "ina",
                vec!["Mosul depots/CAR-1", "Mosul depots/M-1", "Sinjar/SJ-1"],
            ),
            ("out", vec!["Secret/CAR-1", "Secret/S-1", "Sinjar/SJ-1"]),
            ("ivo", vec!["Mosul depots/CAR-1", "Mosul depots/M-1"]),
            ("rev", vec!["Mosul depots/CAR-1", "Mosul depots/M-1"]),
            ("vic", vec!["Mosul depots/CAR-1", "Mosul depots/M-1"]),
            ("owner", vec!["Mosul depots/CAR-1", "Mosul depots/M-1"]),
        ] {
            let got: Vec<String> = list(&store, b, who, &ItemFilter::default())
                .await
                .iter()
                .map(|s| format!("{}/{}", s.investigation, s.reference))
                .collect();
            assert_eq!(got, expected, "{b}: {who}");
            t.push(format!("{who}: {got:?}"));
        }
        assert!(
            list(&store, b, "out", &in_investigation(INV))
                .await
                .is_empty(),
            "{b}"
        );

        // `item` does not show them either, by reference or by id.
        let m1 = show(&store, b, "ina", "M-1").await.summary.id.to_string();
        for (who, key, investigation) in [
            ("out", "M-1", None),
            ("out", m1.as_str(), None),
            ("out", "CAR-1", Some(INV)),
            ("owner", "S-1", None),
            ("vic", "SJ-1", None),
        ] {
            let got = outcome(store.item(&user(who), key, investigation, None).await);
            assert_eq!(got, no_item(key), "{b}: {who} {key}");
        }
        // A reference used in several investigations names the reader's own.
        for (who, description) in [("ina", "Mosul CAR-1"), ("out", "Secret CAR-1")] {
            let d = show(&store, b, who, "CAR-1").await;
            assert_eq!(
                d.summary.description.as_deref(),
                Some(description),
                "{b}: {who}"
            );
        }

        // Adding: only members, and only roles that write items.
        for (who, investigation, expected) in [
            ("out", INV, no_investigation(INV)),
            ("out", "Nowhere", no_investigation("Nowhere")),
        ] {
            let got = outcome(
                store
                    .add_item(&user(who), investigation, &described(None, "rifle"))
                    .await,
            );
            assert_eq!(got, expected, "{b}: {who}");
        }
        for who in ["rev", "vic"] {
            let r = store
                .add_item(&user(who), INV, &described(None, "rifle"))
                .await;
            assert!(not_permitted(r), "{b}: {who} may not add items");
        }

        // Writes by key: another investigation's item with the same reference is not in the way
        // (nor named), and a refusal reads the same whether the key exists elsewhere or not.
        let edited = store
            .edit_current(
                &user("ina"),
                "CAR-1",
                None,
                &described(None, "Mosul CAR-1, edited"),
            )
            .await;
        assert_eq!(outcome(edited), "ok", "{b}");
        let secret = show(&store, b, "out", "CAR-1").await;
        assert_eq!(
            secret.summary.description.as_deref(),
            Some("Secret CAR-1"),
            "{b}"
        );
        let reviewed = store
            .review_item(
                &user("rev"),
                "CAR-1",
                None,
                VerificationStatus::Verified,
                "matches the photo",
            )
            .await;
        assert_eq!(outcome(reviewed), "ok", "{b}");
        for (who, op) in [
            ("ivo", "edit"),
            ("ivo", "review"),
            ("ivo", "merge"),
            ("ivo", "add evidence"),
            ("vic", "edit"),
            ("vic", "review"),
            ("vic", "unmerge"),
            ("vic", "add evidence"),
            ("rev", "edit"),
        ] {
            let elsewhere = attempt(&store, who, op, "S-1").await;
            let nowhere = attempt(&store, who, op, "no-such-item").await;
            assert_ne!(elsewhere, "ok", "{b}: {who} {op}");
            assert_eq!(elsewhere, nowhere, "{b}: {who} {op}");
            assert!(!elsewhere.contains(SECRET), "{b}: {who} {op}");
            t.push(format!("{who} {op}: {elsewhere}"));
        }
        // A reference in two of the user's own investigations is ambiguous until one is named.
        add(
            &store,
            b,
            "ina",
            SINJAR,
            &described(Some("CAR-1"), "Sinjar CAR-1"),
        )
        .await;
        let got = outcome(
            store
                .edit_current(&user("ina"), "CAR-1", None, &described(None, "which?"))
                .await,
        );
        assert_eq!(
            got,
            "'CAR-1' names several items (CAR-1 in 'Mosul depots'; CAR-1 in 'Sinjar'): name the investigation, or give the item's id",
            "{b}"
        );
        let got = outcome(
            store
                .edit_current(
                    &user("ina"),
                    "CAR-1",
                    Some(SINJAR),
                    &described(None, "Sinjar CAR-1, edited"),
                )
                .await,
        );
        assert_eq!(got, "ok", "{b}");
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend("need_to_know_hides_items_from_non_members", &transcripts);
}

#[tokio::test]
async fn the_verification_workflow() {
    use VerificationStatus::{Disputed, Unverified, Verified};
    let mut transcripts = Vec::new();
    for db in TestDb::all("the_verification_workflow").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        // The owner (an admin and a member) writes the item, so may not review it.
        add(&store, b, "owner", INV, &described(Some("V-1"), "rifle")).await;
        let review = |who: &'static str, to, reason: &'static str| {
            let store = store.clone();
            async move { store.review_item(&user(who), "V-1", None, to, reason).await }
        };
        let mut t = Vec::new();
        for (who, to, reason, expected) in [
            (
                "owner",
                Verified,
                "mine",
                "owner wrote this record, and the reviewer is never the author: ask another reviewer",
            ),
            (
                "rev",
                Verified,
                "   ",
                "give a reason for the review: the audit log and the report show it",
            ),
            (
                "rev",
                Unverified,
                "nothing new",
                "the record is already unverified",
            ),
        ] {
            assert_eq!(
                outcome(review(who, to, reason).await),
                expected,
                "{b}: {who}"
            );
        }
        for who in ["ina", "vic"] {
            assert!(
                not_permitted(review(who, Verified, "looks right").await),
                "{b}: {who} may not review"
            );
        }
        let first = review("rev", Verified, "markings match the factory code")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (
                first.from,
                first.to,
                first.by.as_str(),
                first.reason.as_str()
            ),
            (
                Unverified,
                Verified,
                "rev",
                "markings match the factory code"
            ),
            "{b}"
        );
        for (to, expected) in [
            (Verified, "the record is already verified"),
            (
                Unverified,
                "a verified record cannot become unverified: dispute it first, with the reason for the doubt",
            ),
        ] {
            assert_eq!(outcome(review("rev", to, "again").await), expected, "{b}");
        }
        let listed = |status| {
            let store = store.clone();
            async move {
                let filter = ItemFilter {
                    status: Some(status),
                    ..Default::default()
                };
                refs(&list(&store, "", "rev", &filter).await)
            }
        };
        assert_eq!(listed(Verified).await, ["V-1"], "{b}");

        // An investigator's edit of a verified item sends it back to unverified, with a review
        // entry saying why; a changed identification is a new identification.
        let edit = |by: &'static str, draft: ItemDraft| {
            let store = store.clone();
            async move { store.edit_current(&user(by), "V-1", None, &draft).await }
        };
        let with_ak = ItemDraft {
            identification: Some(identification(
                "AK-47",
                "salw.sa.assault_rifle",
                "SUHH",
                None,
            )),
            notes: Some("serial read again".into()),
            ..described(None, "rifle")
        };
        assert_eq!(
            edit("ina", with_ak.clone()).await.ok(),
            Some(Unverified),
            "{b}"
        );
        assert!(listed(Verified).await.is_empty(), "{b}");
        assert_eq!(listed(Unverified).await, ["V-1"], "{b}");
        // Disputed work stays disputed when edited, and no review entry is added.
        review("rev", Disputed, "two readings of the serial")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let with_type56 = ItemDraft {
            identification: Some(identification(
                "Type 56",
                "salw.sa.assault_rifle",
                "CHN",
                None,
            )),
            ..with_ak
        };
        assert_eq!(edit("ivo", with_type56).await.ok(), Some(Disputed), "{b}");
        review("rev", Verified, "settled by a second photo")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Everyone who wrote it is now an author: the admin still may not review.
        assert!(
            outcome(review("owner", Disputed, "doubt").await)
                .contains("the reviewer is never the author"),
            "{b}"
        );

        let d = show(&store, b, "rev", "V-1").await;
        let history: Vec<String> = d
            .reviews
            .iter()
            .map(|r| format!("{} -> {} by {}: {}", r.from, r.to, r.by, r.reason))
            .collect();
        assert_eq!(
            history,
            [
                "unverified -> verified by rev: markings match the factory code",
                "verified -> unverified by ina: edited by ina after review: the content that was verified has changed",
                "unverified -> disputed by rev: two readings of the serial",
                "disputed -> verified by rev: settled by a second photo",
            ],
            "{b}"
        );
        assert_eq!(d.summary.verification, Verified, "{b}");
        assert_eq!(d.authors, ["ina", "ivo", "owner"], "{b}");
        assert_eq!(
            (d.created_by.as_str(), d.updated_by.as_str()),
            ("owner", "ivo"),
            "{b}"
        );
        let idents: Vec<String> = d
            .identifications
            .iter()
            .map(|i| {
                format!(
                    "{:?} {:?} by {} current={}",
                    i.model, i.country_of_manufacture, i.by, i.current
                )
            })
            .collect();
        assert_eq!(
            idents,
            [
                "Some(\"Type 56\") Some(\"CHN\") by ivo current=true",
                "Some(\"AK-47\") Some(\"SUHH\") by ina current=false",
            ],
            "{b}: newest first"
        );
        assert_eq!(
            (d.summary.model.as_deref(), d.summary.made_in.as_deref()),
            (Some("Type 56"), Some("CHN")),
            "{b}"
        );
        t.extend(history);
        t.extend(idents);
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend("the_verification_workflow", &transcripts);
}

/// (reference, sightings, merged into) of each listed row.
fn sighting_rows(items: &[ItemSummary]) -> Vec<(String, u64, Option<String>)> {
    items
        .iter()
        .map(|s| (s.reference.clone(), s.sightings, s.merged_into.clone()))
        .collect()
}

fn row(
    reference: &str,
    sightings: u64,
    merged_into: Option<&str>,
) -> (String, u64, Option<String>) {
    (
        reference.to_string(),
        sightings,
        merged_into.map(str::to_string),
    )
}

#[tokio::test]
async fn sightings_merge_into_one_weapon() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("sightings_merge_into_one_weapon").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        let ina = user("ina");
        for n in 1..=4 {
            add(
                &store,
                b,
                "ina",
                INV,
                &described(None, &format!("sighting {n}")),
            )
            .await;
        }
        add(&store, b, "ina", SINJAR, &described(Some("SJ-1"), "rifle")).await;
        let mut t = Vec::new();
        let weapons = |sightings: bool| {
            let store = store.clone();
            async move {
                let filter = ItemFilter {
                    sightings,
                    ..in_investigation(INV)
                };
                list(&store, "", "ina", &filter).await
            }
        };
        let merged = store
            .merge_items(&ina, "item-1", &["item-2".into(), "item-3".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(merged, ["item-2", "item-3"], "{b}");
        assert_eq!(
            sighting_rows(&weapons(false).await),
            [row("item-1", 3, None), row("item-4", 1, None)],
            "{b}: one row per distinct weapon"
        );
        let all = weapons(true).await;
        assert_eq!(
            sighting_rows(&all),
            [
                row("item-1", 3, None),
                row("item-2", 1, Some("item-1")),
                row("item-3", 1, Some("item-1")),
                row("item-4", 1, None),
            ],
            "{b}: every sighting"
        );
        t.extend(all.iter().map(line));
        let d = show(&store, b, "ina", "item-1").await;
        assert_eq!(
            (d.summary.sightings, d.merged_sightings.clone()),
            (3, vec!["item-2".to_string(), "item-3".to_string()]),
            "{b}"
        );
        let d = show(&store, b, "ina", "item-2").await;
        assert_eq!(
            (d.summary.sightings, d.summary.merged_into.as_deref()),
            (1, Some("item-1")),
            "{b}"
        );

        // Merging into a sighting merges into the weapon it belongs to.
        let merged = store
            .merge_items(&ina, "item-2", &["item-4".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(merged, ["item-4"], "{b}");
        assert_eq!(
            sighting_rows(&weapons(false).await),
            [row("item-1", 4, None)],
            "{b}"
        );
        assert_eq!(
            show(&store, b, "ina", "item-4")
                .await
                .summary
                .merged_into
                .as_deref(),
            Some("item-1"),
            "{b}"
        );

        // What cannot be merged, and who may not.
        for (keep, other, expected) in [
            (
                "item-3",
                "item-1",
                "item-1 is already item-1 (or one of its sightings)",
            ),
            (
                "item-1",
                "item-2",
                "item-2 is already item-1 (or one of its sightings)",
            ),
        ] {
            let got = outcome(store.merge_items(&ina, keep, &[other.into()], None).await);
            assert_eq!(got, expected, "{b}");
        }
        assert!(
            not_permitted(
                store
                    .merge_items(&user("vic"), "item-1", &["item-2".into()], None)
                    .await
            ),
            "{b}"
        );

        // A sighting merged by mistake is separated again.
        let unmerged = store.unmerge_item(&ina, "item-3", None).await;
        assert_eq!(unmerged.ok().as_deref(), Some("item-3"), "{b}");
        assert_eq!(
            sighting_rows(&weapons(false).await),
            [row("item-1", 3, None), row("item-3", 1, None)],
            "{b}"
        );
        assert_eq!(
            show(&store, b, "ina", "item-1").await.merged_sightings,
            ["item-2", "item-4"],
            "{b}"
        );
        for key in ["item-3", "item-1"] {
            let got = outcome(store.unmerge_item(&ina, key, None).await);
            assert_eq!(got, format!("{key} is not merged into another item"), "{b}");
        }

        // Sightings of one weapon are in one investigation: merging across fails both ways, and
        // changes nothing.
        let entries = audit_entry_count(&store).await.unwrap_or(0);
        for (keep, other) in [("item-1", "SJ-1"), ("SJ-1", "item-3")] {
            let got = store.merge_items(&ina, keep, &[other.into()], None).await;
            assert_eq!(outcome(got), no_item(other), "{b}: {keep} <- {other}");
        }
        assert_eq!(audit_entry_count(&store).await.unwrap_or(0), entries, "{b}");
        assert_eq!(
            show(&store, b, "ina", "SJ-1").await.summary.merged_into,
            None,
            "{b}"
        );
        let all = weapons(true).await;
        assert_eq!(
            sighting_rows(&all),
            [
                row("item-1", 3, None),
                row("item-2", 1, Some("item-1")),
                row("item-3", 1, None),
                row("item-4", 1, Some("item-1")),
            ],
            "{b}"
        );
        t.extend(all.iter().map(line));

        // A sighting of another weapon is not merged on its own: that would take its weapon
        // along unseen.
        let got = outcome(
            store
                .merge_items(&ina, "item-3", &["item-2".into()], None)
                .await,
        );
        assert_eq!(
            got,
            "item-2 is a sighting of item-1: merge item-1 (the weapon) into item-3, or unmerge item-2 first",
            "{b}"
        );
        // Merging a weapon brings its sightings along, and the audit entry lists each one moved.
        let mut moved = store
            .merge_items(&ina, "item-3", &["item-1".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        moved.sort();
        assert_eq!(moved, ["item-1", "item-2", "item-4"], "{b}");
        assert_eq!(
            sighting_rows(&weapons(false).await),
            [row("item-3", 4, None)],
            "{b}"
        );
        let log = store
            .audit_log(&ina, None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let last = log
            .iter()
            .rev()
            .find(|e| e.change.action == "item.merge")
            .and_then(|e| e.change.after.clone())
            .unwrap_or_default();
        assert_eq!(
            last["moved"].as_array().map(Vec::len),
            Some(3),
            "{b}: {last}"
        );
        t.push(format!("merged into item-3: {moved:?}"));
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend("sightings_merge_into_one_weapon", &transcripts);
}

#[tokio::test]
async fn filters_select_items() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("filters_select_items").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        let isil = || Some(Party::Actor("isil".into()));
        let drafts = [
            (
                INV,
                ItemDraft {
                    place: Some(place(36.34, 43.13, 100, "Mosul", "IRQ")),
                    possessor: isil(),
                    date: Some(date("2014")),
                    ..identified(Some("F-1"), "AK-47", "salw.sa.assault_rifle", "SUHH")
                },
            ),
            (
                INV,
                ItemDraft {
                    place: Some(named_place("Tal Afar", "IRQ")),
                    possessor: Some(Party::Country("IRQ".into())),
                    date: Some(date("2016-03-02")),
                    ..identified(Some("F-2"), "Type 56-1", "salw.sa.assault_rifle", "CHN")
                },
            ),
            (
                INV,
                ItemDraft {
                    place: Some(named_place("Raqqa", "SYR")),
                    possessor: isil(),
                    date: Some(date("2013-11")),
                    ..identified(Some("F-3"), "RPG-7", "salw.lw.grenade_launcher", "SUHH")
                },
            ),
            (
                INV,
                ItemDraft {
                    possessor: Some(Party::Unknown),
                    ..described(Some("F-4"), "crate of 7.62 mm ammunition")
                },
            ),
            // A later sighting of F-1, in Syria.
            (
                INV,
                ItemDraft {
                    place: Some(named_place("Raqqa", "SYR")),
                    possessor: isil(),
                    date: Some(date("2017-05")),
                    ..identified(Some("F-5"), "AK-47", "salw.sa.assault_rifle", "SUHH")
                },
            ),
            (
                SINJAR,
                ItemDraft {
                    place: Some(named_place("Sinjar", "IRQ")),
                    possessor: isil(),
                    date: Some(date("2015-08")),
                    ..identified(Some("G-1"), "AK-47", "salw.sa.assault_rifle", "SUHH")
                },
            ),
        ];
        for (inv, d) in &drafts {
            add(&store, b, "ina", inv, d).await;
        }
        store
            .merge_items(&user("ina"), "F-1", &["F-5".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        store
            .review_item(
                &user("rev"),
                "F-1",
                None,
                VerificationStatus::Verified,
                "ok",
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));

        let f = ItemFilter::default;
        let s = |v: &str| Some(v.to_string());
        let cases: Vec<(&str, ItemFilter, Vec<&str>)> = vec![
            ("everything", f(), vec!["F-1", "F-2", "F-3", "F-4", "G-1"]),
            ("investigation", in_investigation(SINJAR), vec!["G-1"]),
            (
                "made in SUHH",
                ItemFilter {
                    made_in: s("SUHH"),
                    ..f()
                },
                vec!["F-1", "F-3", "G-1"],
            ),
            (
                "made in CHN",
                ItemFilter {
                    made_in: s("CHN"),
                    ..f()
                },
                vec!["F-2"],
            ),
            (
                "possessor isil",
                ItemFilter {
                    possessor: isil(),
                    ..f()
                },
                vec!["F-1", "F-3", "G-1"],
            ),
            (
                "possessor unknown",
                ItemFilter {
                    possessor: Some(Party::Unknown),
                    ..f()
                },
                vec!["F-4"],
            ),
            (
                "possessor IRQ",
                ItemFilter {
                    possessor: Some(Party::Country("IRQ".into())),
                    ..f()
                },
                vec!["F-2"],
            ),
            (
                "model ak-47",
                ItemFilter {
                    model: s("ak-47"),
                    ..f()
                },
                vec!["F-1", "G-1"],
            ),
            (
                "model type 56",
                ItemFilter {
                    model: s("TYPE 56"),
                    ..f()
                },
                vec!["F-2"],
            ),
            (
                "category salw.sa",
                ItemFilter {
                    category: s("salw.sa"),
                    ..f()
                },
                vec!["F-1", "F-2", "G-1"],
            ),
            (
                "category salw",
                ItemFilter {
                    category: s("salw"),
                    ..f()
                },
                vec!["F-1", "F-2", "F-3", "G-1"],
            ),
            (
                "category salw.s",
                ItemFilter {
                    category: s("salw.s"),
                    ..f()
                },
                vec![],
            ),
            (
                "category exact",
                ItemFilter {
                    category: s("salw.lw.grenade_launcher"),
                    ..f()
                },
                vec!["F-3"],
            ),
            (
                // F-1 was seen in Iraq, and again in Syria (its sighting F-5).
                "country SYR",
                ItemFilter {
                    country: s("SYR"),
                    ..f()
                },
                vec!["F-1", "F-3"],
            ),
            (
                "country IRQ",
                ItemFilter {
                    country: s("IRQ"),
                    ..f()
                },
                vec!["F-1", "F-2", "G-1"],
            ),
            (
                "place mosul",
                ItemFilter {
                    place: s("mosul"),
                    ..f()
                },
                vec!["F-1"],
            ),
            (
                "place TAL AFAR",
                ItemFilter {
                    place: s("TAL AFAR"),
                    ..f()
                },
                vec!["F-2"],
            ),
            (
                "from 2014-06",
                ItemFilter {
                    from: Some(date("2014-06")),
                    ..f()
                },
                vec!["F-1", "F-2", "G-1"],
            ),
            (
                "to 2014-01",
                ItemFilter {
                    to: Some(date("2014-01")),
                    ..f()
                },
                vec!["F-1", "F-3"],
            ),
            (
                "from 2014-06 to 2015-12",
                ItemFilter {
                    from: Some(date("2014-06")),
                    to: Some(date("2015-12")),
                    ..f()
                },
                vec!["F-1", "G-1"],
            ),
            (
                "within 2013-11-30",
                ItemFilter {
                    from: Some(date("2013-11-30")),
                    to: Some(date("2013-11-30")),
                    ..f()
                },
                vec!["F-3"],
            ),
            (
                "status verified",
                ItemFilter {
                    status: Some(VerificationStatus::Verified),
                    ..f()
                },
                vec!["F-1"],
            ),
            (
                "status unverified",
                ItemFilter {
                    status: Some(VerificationStatus::Unverified),
                    ..f()
                },
                vec!["F-2", "F-3", "F-4", "G-1"],
            ),
            (
                "isil in IRQ",
                ItemFilter {
                    possessor: isil(),
                    country: s("IRQ"),
                    ..f()
                },
                vec!["F-1", "G-1"],
            ),
            (
                "every sighting",
                ItemFilter {
                    sightings: true,
                    ..f()
                },
                vec!["F-1", "F-2", "F-3", "F-4", "F-5", "G-1"],
            ),
            (
                "sightings in SYR",
                ItemFilter {
                    sightings: true,
                    country: s("SYR"),
                    ..f()
                },
                vec!["F-3", "F-5"],
            ),
            (
                "sightings from 2017",
                ItemFilter {
                    sightings: true,
                    from: Some(date("2017")),
                    ..f()
                },
                vec!["F-5"],
            ),
        ];
        let mut t = Vec::new();
        for (label, filter, expected) in cases {
            let got = refs(&list(&store, b, "ina", &filter).await);
            assert_eq!(got, expected, "{b}: {label}");
            t.push(format!("{label}: {got:?}"));
        }
        // Filters never widen what the reader may see.
        let vic = list(
            &store,
            b,
            "vic",
            &ItemFilter {
                made_in: s("SUHH"),
                ..f()
            },
        )
        .await;
        assert_eq!(refs(&vic), ["F-1", "F-3"], "{b}");
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend("filters_select_items", &transcripts);
}

/// (lat, lon, precision) of a listed item.
fn coordinates(s: &ItemSummary) -> (Option<f64>, Option<f64>, Option<u32>) {
    let p = s.place.as_ref();
    (
        p.and_then(|p| p.lat),
        p.and_then(|p| p.lon),
        p.and_then(|p| p.precision_m),
    )
}

#[tokio::test]
async fn sensitive_coordinates_are_rounded_in_the_public_tier() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("sensitive_coordinates_are_rounded_in_the_public_tier").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        let exact = place(36.3456, 43.1234, 50, "Mosul", "IRQ");
        let sensitive = |reference: &str, place: Place| ItemDraft {
            place: Some(place),
            location_sensitive: true,
            ..described(Some(reference), "rifle")
        };
        add(&store, b, "ina", INV, &sensitive("T-1", exact.clone())).await;
        add(
            &store,
            b,
            "ina",
            INV,
            &ItemDraft {
                place: Some(exact.clone()),
                ..described(Some("T-2"), "rifle")
            },
        )
        .await;
        add(
            &store,
            b,
            "ina",
            INV,
            &sensitive("T-3", place(36.06, 42.33, 25_000, "Tal Afar", "IRQ")),
        )
        .await;
        add(
            &store,
            b,
            "ina",
            INV,
            &sensitive("T-4", named_place("Hammam al-Alil", "IRQ")),
        )
        .await;
        // T-3 becomes a sighting of T-1: sightings are rounded too.
        store
            .merge_items(&user("ina"), "T-1", &["T-3".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let every = ItemFilter {
            sightings: true,
            ..in_investigation(INV)
        };
        let public = vec![
            (Some(36.3), Some(43.1), Some(11_000)),
            (Some(36.3456), Some(43.1234), Some(50)),
            (Some(36.1), Some(42.3), Some(25_000)),
            (None, None, None),
        ];
        let confidential = vec![
            (Some(36.3456), Some(43.1234), Some(50)),
            (Some(36.3456), Some(43.1234), Some(50)),
            (Some(36.06), Some(42.33), Some(25_000)),
            (None, None, None),
        ];
        let mut t = Vec::new();
        for (who, tier, expected_tier, expected) in [
            ("ina", None, Tier::Public, &public),
            ("ina", Some(Tier::Public), Tier::Public, &public),
            (
                "ina",
                Some(Tier::Confidential),
                Tier::Confidential,
                &confidential,
            ),
            (
                "rev",
                Some(Tier::Confidential),
                Tier::Confidential,
                &confidential,
            ),
            ("vic", None, Tier::Public, &public),
        ] {
            let (got_tier, items) = store
                .items(&user(who), &every, tier)
                .await
                .unwrap_or_else(|e| panic!("{b}: {who}: {e}"));
            assert_eq!(got_tier, expected_tier, "{b}: {who} {tier:?}");
            let got: Vec<_> = items.iter().map(coordinates).collect();
            assert_eq!(&got, expected, "{b}: {who} {tier:?}");
            // Names and countries are public either way.
            let names: Vec<_> = items
                .iter()
                .map(|s| {
                    s.place
                        .as_ref()
                        .map(|p| (p.name.clone(), p.country.clone()))
                })
                .collect();
            assert!(
                names
                    .iter()
                    .all(|n| n.as_ref().is_some_and(|(n, c)| n.is_some() && c.is_some())),
                "{b}: {names:?}"
            );
            t.extend(
                items
                    .iter()
                    .map(|s| format!("{who} {got_tier}: {}", line(s))),
            );
        }
        for (tier, expected_tier, expected) in [
            (None, Tier::Public, public[0]),
            (Some(Tier::Public), Tier::Public, public[0]),
            (
                Some(Tier::Confidential),
                Tier::Confidential,
                confidential[0],
            ),
        ] {
            let d = store
                .item(&user("ina"), "T-1", None, tier)
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"));
            assert_eq!(
                (d.tier, coordinates(&d.summary)),
                (expected_tier, expected),
                "{b}: {tier:?}"
            );
        }
        // A viewer may not ask for the confidential tier.
        let refused = "a viewer may not read the confidential tier: use the public tier (the default), or ask an admin";
        let got = outcome(
            store
                .items(&user("vic"), &every, Some(Tier::Confidential))
                .await,
        );
        assert_eq!(got, refused, "{b}");
        let got = outcome(
            store
                .item(&user("vic"), "T-1", None, Some(Tier::Confidential))
                .await,
        );
        assert_eq!(got, refused, "{b}");
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend(
        "sensitive_coordinates_are_rounded_in_the_public_tier",
        &transcripts,
    );
}

/// Drafts as an import file gives them: (line, draft), with `FILE:LINE` sources.
fn import_drafts(file: &str, drafts: &[(u64, ItemDraft)]) -> Vec<(u64, ItemDraft)> {
    drafts
        .iter()
        .map(|(line, d)| {
            (
                *line,
                ItemDraft {
                    source: format!("{file}:{line}"),
                    ..d.clone()
                },
            )
        })
        .collect()
}

#[tokio::test]
async fn imports_are_all_or_nothing_and_add_nothing_twice() {
    let mut transcripts = Vec::new();
    for db in TestDb::all("imports_are_all_or_nothing_and_add_nothing_twice").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        let ina = user("ina");
        let records = vec![
            (
                2,
                ItemDraft {
                    markings: vec![marking(
                        MarkingPosition::Receiver,
                        Script::Latin,
                        "KK 1?3",
                        None,
                        None,
                        None,
                    )],
                    date: Some(date("2014-06-10")),
                    possessor: Some(Party::Actor("isil".into())),
                    ..identified(Some("I-1"), "AK-47", "salw.sa.assault_rifle", "SUHH")
                },
            ),
            (3, described(Some("I-2"), "rifle, folding stock")),
            (
                4,
                ItemDraft {
                    place: Some(named_place("Mosul", "IRQ")),
                    ..described(Some("I-3"), "pistol")
                },
            ),
        ];
        let import = |file: &'static str, drafts: Vec<(u64, ItemDraft)>| {
            let store = store.clone();
            let ina = ina.clone();
            async move {
                store
                    .import_items(&ina, INV, file, "0123abcd", &import_drafts(file, &drafts))
                    .await
            }
        };
        let count = || {
            let store = store.clone();
            async move { list(&store, "", "ina", &in_investigation(INV)).await.len() }
        };
        let mut t = Vec::new();
        let first = import("items.jsonl", records.clone())
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (first.investigation.as_str(), first.added, first.unchanged),
            (INV, 3, 0),
            "{b}"
        );
        // The same records again (from another file, on other lines) add nothing.
        let moved: Vec<(u64, ItemDraft)> =
            records.iter().map(|(l, d)| (l + 10, d.clone())).collect();
        let again = import("copy.jsonl", moved)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!((again.added, again.unchanged), (0, 3), "{b}");
        assert_eq!(count().await, 3, "{b}");
        let d = show(&store, b, "ina", "I-1").await;
        assert_eq!(
            (
                d.source.as_str(),
                d.summary.markings.clone(),
                d.created_by.as_str()
            ),
            ("items.jsonl:2", records[0].1.markings.clone(), "ina"),
            "{b}: the first import's record is kept"
        );
        t.push(format!("{first:?}"));
        t.push(format!("{again:?}"));

        // A changed record under an existing reference fails the whole import, naming the file,
        // line and field, and writes nothing: not even the new record before it.
        let entries = audit_entry_count(&store).await.unwrap_or(0);
        let changed = vec![
            (2, described(Some("I-4"), "new mortar")),
            (
                3,
                ItemDraft {
                    notes: Some("stock is wooden".into()),
                    ..records[1].1.clone()
                },
            ),
        ];
        let got = outcome(import("fix.jsonl", changed).await);
        assert_eq!(
            got,
            "fix.jsonl, line 3, field 'item_ref': investigation 'Mosul depots' already has an item 'I-2' with other content: edit that item, or give this one another reference; nothing was imported",
            "{b}"
        );
        t.push(got);
        let got = outcome(
            import(
                "noref.jsonl",
                vec![
                    (2, described(Some("I-5"), "grenade")),
                    (7, described(None, "no reference")),
                ],
            )
            .await,
        );
        assert_eq!(
            got,
            "noref.jsonl, line 7, field 'item_ref': every imported item needs its reference; nothing was imported",
            "{b}"
        );
        assert_eq!(
            count().await,
            3,
            "{b}: nothing of the failed imports was written"
        );
        assert_eq!(audit_entry_count(&store).await.unwrap_or(0), entries, "{b}");
        for key in ["I-4", "I-5"] {
            assert_eq!(
                outcome(store.item(&ina, key, None, None).await),
                no_item(key),
                "{b}"
            );
        }
        assert_eq!(show(&store, b, "ina", "I-2").await.notes, None, "{b}");

        // Known records with new ones: only the new ones are added.
        let mixed = vec![records[0].clone(), (5, described(Some("I-6"), "magazine"))];
        let report = import("more.jsonl", mixed)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!((report.added, report.unchanged), (1, 1), "{b}");
        assert_eq!(count().await, 4, "{b}");

        // Who may import where.
        let viewer = store
            .import_items(
                &user("vic"),
                INV,
                "v.jsonl",
                "x",
                &import_drafts("v.jsonl", &records),
            )
            .await;
        assert!(not_permitted(viewer), "{b}");
        let outsider = store
            .import_items(
                &user("out"),
                INV,
                "o.jsonl",
                "x",
                &import_drafts("o.jsonl", &records),
            )
            .await;
        assert_eq!(outcome(outsider), no_investigation(INV), "{b}");
        t.extend(
            list(&store, b, "ina", &in_investigation(INV))
                .await
                .iter()
                .map(line),
        );
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend(
        "imports_are_all_or_nothing_and_add_nothing_twice",
        &transcripts,
    );
}

fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

/// A video with every piece of collection metadata, confidential fields included.
fn video() -> NewEvidence {
    NewEvidence {
        sha256: sha('a'),
        size: 1_048_576,
        media_type: "video/mp4".into(),
        original_name: Some("checkpoint.mp4".into()),
        collection: Collection {
            original_url: Some("https://t.me/example/123".into()),
            platform: Some("telegram".into()),
            post_id: Some("123".into()),
            uploader: Some("@frontline_source".into()),
            retrieved_at: Some("2024-05-01T10:00:00Z".into()),
            retrieved_by: Some("ina".into()),
            archive_url: Some("https://archive.example/abc".into()),
        },
        exif_capture_time: Some("2024-04-30T08:15:00".into()),
        exif_gps: Some((36.34, 43.13)),
        exif_camera: Some("Pixel 7".into()),
        warnings: vec!["EXIF capture time is after the upload".into()],
        width: Some(1920),
        height: Some(1080),
        perceptual_hash: Some(0xF0F0_0000_0000_0001),
    }
}

fn photo(c: char) -> NewEvidence {
    NewEvidence {
        sha256: sha(c),
        size: 2048,
        media_type: "image/jpeg".into(),
        original_name: Some(format!("{c}.jpg")),
        collection: Collection {
            uploader: Some("anonymous".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// An evidence record without its id or times, for transcripts.
fn evidence_line(e: &EvidenceRecord) -> String {
    format!(
        "{} {}… {} {} {:?} uploader={:?} retrieved_by={:?} gps={:?} url={:?} camera={:?} \
         warnings={:?} {:?}x{:?} phash={:?} {} by {} items={:?}",
        e.investigation,
        &e.sha256[..8],
        e.size,
        e.media_type,
        e.original_name,
        e.collection.uploader,
        e.collection.retrieved_by,
        e.exif_gps,
        e.collection.original_url,
        e.exif_camera,
        e.warnings,
        e.width,
        e.height,
        e.perceptual_hash,
        e.verification,
        e.added_by,
        e.items,
    )
}

#[tokio::test]
async fn evidence_is_recorded_linked_tiered_and_reviewed() {
    use VerificationStatus::{Disputed, Unverified, Verified};
    let mut transcripts = Vec::new();
    for db in TestDb::all("evidence_is_recorded_linked_tiered_and_reviewed").await {
        let b = db.backend();
        let store = setup(&db).await;
        team(&store, b).await;
        let ina = user("ina");
        add(
            &store,
            b,
            "ina",
            INV,
            &described(Some("E-1"), "rifle in a video"),
        )
        .await;
        add(
            &store,
            b,
            "ina",
            INV,
            &described(Some("E-2"), "rifle in a photo"),
        )
        .await;
        let evidence = |by: &'static str,
                        investigation: Option<&'static str>,
                        item: Option<&'static str>,
                        anchor: EvidenceAnchor,
                        files: Vec<NewEvidence>| {
            let store = store.clone();
            async move {
                store
                    .add_evidence(&user(by), investigation, item, &anchor, &files)
                    .await
            }
        };
        let added = |r: Result<Vec<armtrace_store::AddedEvidence>, StoreError>| {
            r.unwrap_or_else(|e| panic!("{b}: add evidence: {e}"))
                .into_iter()
                .map(|a| (a.id, a.sha256, a.already_recorded, a.linked_to))
                .collect::<Vec<_>>()
        };
        let clip = EvidenceAnchor::TimeCode {
            start_ms: 83_000,
            end_ms: Some(91_500),
        };
        let later = EvidenceAnchor::TimeCode {
            start_ms: 120_000,
            end_ms: None,
        };
        let first = added(evidence("ina", None, Some("E-1"), clip.clone(), vec![video()]).await);
        let video_id = first[0].0;
        assert_eq!(
            first,
            [(video_id, sha('a'), false, Some("E-1".to_string()))],
            "{b}"
        );
        // The same file again keeps its record and only gets the new link.
        let again = added(evidence("ina", None, Some("E-1"), later.clone(), vec![video()]).await);
        assert_eq!(
            again,
            [(video_id, sha('a'), true, Some("E-1".to_string()))],
            "{b}"
        );
        let region = EvidenceAnchor::Region {
            x: 10,
            y: 20,
            width: 300,
            height: 200,
        };
        let both = added(
            evidence(
                "ina",
                Some(INV),
                Some("E-2"),
                region.clone(),
                vec![video(), photo('b')],
            )
            .await,
        );
        let photo_id = both[1].0;
        assert_eq!(
            both,
            [
                (video_id, sha('a'), true, Some("E-2".to_string())),
                (photo_id, sha('b'), false, Some("E-2".to_string())),
            ],
            "{b}"
        );
        let document = NewEvidence {
            media_type: "application/pdf".into(),
            size: 512,
            ..photo('c')
        };
        let doc = added(
            evidence(
                "owner",
                Some(INV),
                None,
                EvidenceAnchor::Whole,
                vec![document],
            )
            .await,
        );
        assert_eq!((doc[0].2, doc[0].3.clone()), (false, None), "{b}");
        // Another investigation gets its own record of the same file.
        let sinjar = added(
            evidence(
                "ina",
                Some(SINJAR),
                None,
                EvidenceAnchor::Whole,
                vec![video()],
            )
            .await,
        );
        assert!(!sinjar[0].2 && sinjar[0].0 != video_id, "{b}");

        // Refusals.
        let entries = audit_entry_count(&store).await.unwrap_or(0);
        for (by, investigation, item, anchor, expected) in [
            (
                "ina",
                Some(INV),
                None,
                clip.clone(),
                "a time code or region points into the evidence for an item: name the item"
                    .to_string(),
            ),
            (
                "ina",
                None,
                None,
                EvidenceAnchor::Whole,
                "say where the evidence belongs: an item, or an investigation".to_string(),
            ),
            (
                "out",
                None,
                Some("E-1"),
                EvidenceAnchor::Whole,
                no_item("E-1"),
            ),
            (
                "out",
                Some(INV),
                None,
                EvidenceAnchor::Whole,
                no_investigation(INV),
            ),
        ] {
            let got = outcome(evidence(by, investigation, item, anchor, vec![photo('e')]).await);
            assert_eq!(got, expected, "{b}: {by}");
        }
        for by in ["rev", "vic"] {
            let r = evidence(
                by,
                None,
                Some("E-1"),
                EvidenceAnchor::Whole,
                vec![photo('e')],
            )
            .await;
            assert!(not_permitted(r), "{b}: {by} may not add evidence");
        }
        assert_eq!(audit_entry_count(&store).await.unwrap_or(0), entries, "{b}");

        // The item shows its links, in the order they were made.
        let links = |d: &ItemDetail| -> Vec<(Id, String, EvidenceAnchor)> {
            d.evidence_links
                .iter()
                .map(|l| (l.evidence, l.sighting.clone(), l.anchor.clone()))
                .collect()
        };
        let d = show(&store, b, "ina", "E-1").await;
        assert_eq!(
            links(&d),
            [
                (video_id, "E-1".to_string(), clip.clone()),
                (video_id, "E-1".to_string(), later.clone()),
            ],
            "{b}"
        );
        assert_eq!(d.summary.evidence, 1, "{b}: one file");
        let l = &d.evidence_links[0];
        assert_eq!(
            (
                l.sha256.as_str(),
                l.media_type.as_str(),
                l.original_name.as_deref()
            ),
            (sha('a').as_str(), "video/mp4", Some("checkpoint.mp4")),
            "{b}"
        );

        // Merged, E-1 holds the evidence of both sightings; files are counted once.
        store
            .merge_items(&ina, "E-1", &["E-2".into()], None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let d = show(&store, b, "ina", "E-1").await;
        let mut got = links(&d);
        got.sort_by(|a, b| (a.1.as_str(), a.0).cmp(&(b.1.as_str(), b.0)));
        assert_eq!(
            got[2..],
            [
                (video_id, "E-2".to_string(), region.clone()),
                (photo_id, "E-2".to_string(), region.clone()),
            ],
            "{b}"
        );
        assert_eq!(got.len(), 4, "{b}");
        assert_eq!(d.summary.evidence, 2, "{b}: two distinct files");
        let listed = list(&store, b, "ina", &in_investigation(INV)).await;
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.reference.as_str(), s.sightings, s.evidence))
                .collect::<Vec<_>>(),
            [("E-1", 2, 2)],
            "{b}: the listing counts distinct files, as the detail does"
        );
        let for_item = |key: &'static str| {
            let store = store.clone();
            async move {
                let filter = EvidenceFilter {
                    investigation: None,
                    item: Some(key.into()),
                };
                store
                    .evidence(&user("ina"), &filter, None)
                    .await
                    .map(|(_, v)| v.into_iter().map(|e| e.sha256).collect::<Vec<_>>())
            }
        };
        assert_eq!(
            for_item("E-1").await.ok(),
            Some(vec![sha('a'), sha('b')]),
            "{b}: the root lists its sightings' evidence"
        );

        // Tiers: the public tier leaves out who uploaded and retrieved it, and the EXIF position.
        let mosul = EvidenceFilter {
            investigation: Some(INV.into()),
            item: None,
        };
        let mut t = Vec::new();
        for (who, tier, expected_tier) in [
            ("ina", None, Tier::Public),
            ("ina", Some(Tier::Confidential), Tier::Confidential),
            ("vic", None, Tier::Public),
        ] {
            let (got_tier, records) = store
                .evidence(&user(who), &mosul, tier)
                .await
                .unwrap_or_else(|e| panic!("{b}: {who}: {e}"));
            assert_eq!(got_tier, expected_tier, "{b}: {who}");
            let shas: Vec<&str> = records.iter().map(|e| &e.sha256[..1]).collect();
            assert_eq!(shas, ["a", "b", "c"], "{b}: {who}");
            let v = &records[0];
            let confidential = (
                v.collection.uploader.clone(),
                v.collection.retrieved_by.clone(),
                v.exif_gps,
            );
            let public = (
                v.collection.original_url.as_deref(),
                v.collection.platform.as_deref(),
                v.collection.post_id.as_deref(),
                v.collection.retrieved_at.as_deref(),
                v.collection.archive_url.as_deref(),
                v.exif_camera.as_deref(),
                v.exif_capture_time.as_deref(),
            );
            let want = video();
            let c = &want.collection;
            // Addresses that lead to the uploader are confidential too.
            fn leads(tier: Tier, v: &Option<String>) -> Option<&str> {
                match tier {
                    Tier::Public => None,
                    Tier::Confidential => v.as_deref(),
                }
            }
            assert_eq!(
                public,
                (
                    leads(got_tier, &c.original_url),
                    c.platform.as_deref(),
                    leads(got_tier, &c.post_id),
                    c.retrieved_at.as_deref(),
                    leads(got_tier, &c.archive_url),
                    // The camera can tell whose phone it was: confidential too.
                    leads(got_tier, &want.exif_camera),
                    want.exif_capture_time.as_deref(),
                ),
                "{b}: {who}"
            );
            if got_tier == Tier::Confidential {
                assert_eq!(
                    confidential,
                    (c.uploader.clone(), c.retrieved_by.clone(), want.exif_gps),
                    "{b}"
                );
            } else {
                assert_eq!(confidential, (None, None, None), "{b}: {who}");
                assert_eq!(records[1].collection.uploader, None, "{b}: {who}");
            }
            assert_eq!(
                (
                    v.size,
                    v.width,
                    v.height,
                    v.perceptual_hash.as_deref(),
                    &v.warnings,
                    v.items.clone(),
                ),
                (
                    want.size,
                    want.width,
                    want.height,
                    Some("f0f0000000000001"),
                    &want.warnings,
                    vec!["E-1".to_string(), "E-2".to_string()],
                ),
                "{b}: {who}"
            );
            t.extend(
                records
                    .iter()
                    .map(|e| format!("{who} {got_tier}: {}", evidence_line(e))),
            );
        }
        let got = outcome(
            store
                .evidence(&user("vic"), &mosul, Some(Tier::Confidential))
                .await,
        );
        assert_eq!(
            got,
            "a viewer may not read the confidential tier: use the public tier (the default), or ask an admin",
            "{b}"
        );
        // Need-to-know: out sees only Sinjar's record of the video.
        let outs = store
            .evidence(&user("out"), &EvidenceFilter::default(), None)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .1;
        assert_eq!(
            outs.iter()
                .map(|e| (e.investigation.as_str(), e.sha256.clone()))
                .collect::<Vec<_>>(),
            [(SINJAR, sha('a'))],
            "{b}"
        );

        // Reviews: never by whoever added the file, only by a role that reviews, with a reason.
        let review = |by: &'static str, key: String, to, reason: &'static str| {
            let store = store.clone();
            async move {
                store
                    .review_evidence(&user(by), &key, None, to, reason)
                    .await
            }
        };
        let doc_key = sha('c')[..12].to_string();
        assert_eq!(
            outcome(review("owner", doc_key.clone(), Verified, "mine").await),
            "owner wrote this record, and the reviewer is never the author: ask another reviewer",
            "{b}"
        );
        assert_eq!(
            outcome(review("rev", doc_key.clone(), Verified, "").await),
            "give a reason for the review: the audit log and the report show it",
            "{b}"
        );
        for by in ["ina", "vic"] {
            assert!(
                not_permitted(review(by, doc_key.clone(), Verified, "fine").await),
                "{b}: {by}"
            );
        }
        assert_eq!(
            outcome(review("rev", "deadbeef".into(), Verified, "fine").await),
            "there is no evidence 'deadbeef' in your investigations (give its id, or at least 8 digits of its SHA-256)",
            "{b}"
        );
        let r = review("rev", doc_key, Verified, "the ministry's original PDF")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (r.from, r.to, r.by.as_str()),
            (Unverified, Verified, "rev"),
            "{b}"
        );
        // The video is in Sinjar too, which rev is not a member of: its SHA-256 names the one rev
        // may see.
        review(
            "rev",
            sha('a')[..8].to_string(),
            Disputed,
            "the uploader stages videos",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        review("rev", photo_id.to_string(), Verified, "matches the video")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let statuses = |who: &'static str| {
            let store = store.clone();
            async move {
                store
                    .evidence(&user(who), &EvidenceFilter::default(), None)
                    .await
                    .map(|(_, v)| {
                        v.into_iter()
                            .map(|e| {
                                format!(
                                    "{} {}… {}",
                                    e.investigation,
                                    &e.sha256[..4],
                                    e.verification
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_else(|e| panic!("{who}: {e}"))
            }
        };
        let seen = statuses("ina").await;
        assert_eq!(
            seen,
            [
                "Mosul depots aaaa… disputed",
                "Mosul depots bbbb… verified",
                "Mosul depots cccc… verified",
                "Sinjar aaaa… unverified",
            ],
            "{b}"
        );
        t.extend(seen);

        // The files the database refers to, each once: an admin checks the whole folder, a
        // member the files of their investigations.
        let (files, complete) = store
            .evidence_files(&user("owner"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(
            (files, complete),
            (
                vec![(sha('a'), 1_048_576), (sha('b'), 2048), (sha('c'), 512)],
                true
            ),
            "{b}"
        );
        let (files, complete) = store
            .evidence_files(&user("vic"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(!complete, "{b}");
        assert!(
            files
                .iter()
                .all(|(s, _)| [sha('a'), sha('b'), sha('c')].contains(s)),
            "{b}"
        );
        transcripts.push((b, t));
        audit_is_intact(&store, b).await;
        store.close().await;
    }
    same_on_every_backend(
        "evidence_is_recorded_linked_tiered_and_reviewed",
        &transcripts,
    );
}
