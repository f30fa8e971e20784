//! The demo database: built from data shipped inside armtrace (reference data, SIPRI's Iraq/Iran
//! 1970–1990 register subset) and a few SYNTHETIC documented items, labelled as such, made up to
//! show field documentation. The demo only ever replaces a database that an earlier demo built.

use crate::{App, Config, Identity};
use armtrace_core::Country;
use armtrace_core::actor::Party;
use armtrace_core::error::{Code, Error, Result};
use armtrace_core::model::WeaponModel;
use armtrace_store::{
    Counts, Location, OpenMode, Period, ReleaseChoice, Store, SuppliersAnswer, YearBasis,
};
use serde::Serialize;
use std::path::Path;

/// The metadata key that marks a database as built by the demo.
const DEMO_MARK: &str = "demo_database";

/// The demo's investigation: its items are SYNTHETIC, made up to show field documentation.
pub const DEMO_INVESTIGATION: &str = "Synthetic demo investigation";

/// One synthetic item: reference, model, made in, lat, lon, date, possessor, marking.
type DemoItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// SYNTHETIC documented items, invented for the demo, not findings.
const DEMO_ITEMS: &[DemoItem] = &[
    (
        "SYN-1",
        "Type 56",
        "",
        "36.34",
        "43.13",
        "2014-06",
        "Islamic State",
        "receiver:digits:66",
    ),
    (
        "SYN-2",
        "AKM",
        "Soviet Union",
        "36.36",
        "43.15",
        "2014-07",
        "Islamic State",
        "receiver:cyrillic:ТП?:..?",
    ),
    (
        "SYN-3",
        "AKM-63",
        "",
        "35.47",
        "44.39",
        "2015-03",
        "Islamic State",
        "",
    ),
    (
        "SYN-4",
        "Type 56",
        "",
        "36.20",
        "43.95",
        "2014",
        "unknown",
        "receiver:digits:66",
    ),
    (
        "SYN-5",
        "Type 56",
        "",
        "36.34",
        "43.12",
        "2014-06-20",
        "Islamic State",
        "receiver:digits:66",
    ),
];

/// Distinct weapons of one country of manufacture in the demo investigation.
#[derive(Clone, Debug, Serialize)]
pub struct CountryCount {
    pub made_in: String,
    pub weapons: u64,
    pub sightings: u64,
}

/// The demo investigation's SYNTHETIC items, by country of manufacture.
#[derive(Clone, Debug, Serialize)]
pub struct SyntheticItems {
    pub investigation: &'static str,
    pub note: &'static str,
    pub distinct_weapons_by_country_of_manufacture: Vec<CountryCount>,
}

/// What the demo database holds, for showing.
#[derive(Clone, Debug, Serialize)]
pub struct Demo {
    pub database: String,
    /// Who the demo acted as (its owner).
    pub acting_as: String,
    pub reference_version: String,
    pub counts: Counts,
    pub historic_states: Vec<Country>,
    pub kalashnikov_family: Vec<WeaponModel>,
    pub embargoes: usize,
    pub embargoes_without_end_date: usize,
    pub sipri_transfers: i64,
    pub suppliers_of_iraq_1970_1990: SuppliersAnswer,
    /// Says which part is synthetic.
    pub synthetic: &'static str,
    pub synthetic_demo_items: SyntheticItems,
}

/// Builds the demo database at `path` (a SQLite file; its audit key beside it), replacing only a
/// database an earlier demo built, and returns it open with what it holds.
pub async fn build(path: &Path, acting: Option<&str>) -> Result<(App, Demo)> {
    let location = Location::Sqlite(path.to_path_buf());
    remove_previous_demo(&location, path).await?;
    let config = Config::new(location);
    let (app, done) = crate::init::init(&config, acting).await?;
    let by = Identity::user(done.acting_as.clone());
    app.write(&by, async |store| {
        Ok(store
            .set_meta(&by, DEMO_MARK, "built by armtrace demo")
            .await?)
    })
    .await?;
    app.import_shipped_subset(&by).await?;
    field_demo(&app, &by).await?;
    let demo = app.demo_facts(&by).await?;
    Ok((app, demo))
}

/// Documents the synthetic items, and merges SYN-5 into SYN-1 (the same rifle seen twice).
async fn field_demo(app: &App, by: &Identity) -> Result<()> {
    app.add_investigation(
        by,
        DEMO_INVESTIGATION,
        Some("SYNTHETIC items made up by armtrace demo to show field documentation; not findings"),
    )
    .await?;
    for (reference, model, made_in, lat, lon, date, possessor, marking) in DEMO_ITEMS {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let fields = crate::items::ItemFields {
            item_ref: some(reference),
            model: some(model),
            made_in: some(made_in),
            lat: some(lat),
            lon: some(lon),
            precision_m: Some("1000".into()),
            date: some(date),
            possessor: some(possessor),
            acquired: Some("captured_in_battle".into()),
            acquired_basis: Some("inferred".into()),
            notes: Some("SYNTHETIC: made up by armtrace demo".into()),
            markings: if marking.is_empty() {
                vec![]
            } else {
                vec![crate::items::marking_arg(marking)?]
            },
            ..Default::default()
        };
        app.add_item(by, DEMO_INVESTIGATION, &fields, "armtrace demo (synthetic)")
            .await
            .map_err(|e| e.context(format!("demo item {reference}")))?;
    }
    app.merge_items(
        by,
        "SYN-1",
        &["SYN-5".to_string()],
        Some(DEMO_INVESTIGATION),
    )
    .await?;
    Ok(())
}

impl App {
    /// What the demo database holds.
    async fn demo_facts(&self, by: &Identity) -> Result<Demo> {
        let store = &self.store;
        let counts = store.counts().await?;
        let countries = store.countries(None).await?;
        let names: std::collections::HashMap<&str, &str> = countries
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let list = self
            .items(
                by,
                &crate::items::ItemQuery {
                    investigation: Some(DEMO_INVESTIGATION.into()),
                    ..Default::default()
                },
            )
            .await?;
        let mut by_country: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for i in &list.items {
            let e = by_country
                .entry(match &i.made_in {
                    Some(code) => names
                        .get(code.as_str())
                        .map_or(code.clone(), |n| n.to_string()),
                    None => "unknown".into(),
                })
                .or_default();
            e.0 += 1;
            e.1 += i.sightings;
        }
        let historic = countries
            .iter()
            .filter(|c| c.historic && (c.valid_from.is_some() || c.code.starts_with('X')))
            .cloned()
            .collect();
        // The family column as the sources put it: "Kalashnikov (modernised AK-47)", but also
        // "vz. 58 (not a Kalashnikov derivative)", so match its start, not any mention.
        let kalashnikov = store
            .models(None)
            .await?
            .into_iter()
            .filter(|m| {
                m.family
                    .as_deref()
                    .is_some_and(|f| f.starts_with("Kalashnikov"))
            })
            .collect();
        let embargoes = store.embargoes().await?;
        let suppliers = store
            .suppliers(
                &ReleaseChoice::LatestSipri,
                &Party::Country("IRQ".into()),
                YearBasis::Order,
                Period {
                    from: Some(1970),
                    to: Some(1990),
                },
                Some(&Party::Country("IRN".into())),
            )
            .await?;
        Ok(Demo {
            database: self.config.location.to_string(),
            acting_as: by.name().to_string(),
            reference_version: store.meta("reference_version").await?.unwrap_or_default(),
            counts,
            historic_states: historic,
            kalashnikov_family: kalashnikov,
            embargoes: embargoes.len(),
            embargoes_without_end_date: embargoes.iter().filter(|e| e.end.is_none()).count(),
            sipri_transfers: store
                .releases()
                .await?
                .iter()
                .filter(|r| r.source == "sipri")
                .map(|r| r.transfers)
                .sum(),
            suppliers_of_iraq_1970_1990: suppliers,
            synthetic: "partly: only the items in synthetic_demo_items",
            synthetic_demo_items: SyntheticItems {
                investigation: DEMO_INVESTIGATION,
                note: "SYNTHETIC: the demo investigation's items are made up by armtrace demo to show field documentation; everything else is shipped data",
                distinct_weapons_by_country_of_manufacture: by_country
                    .into_iter()
                    .map(|(made_in, (weapons, sightings))| CountryCount {
                        made_in,
                        weapons,
                        sightings,
                    })
                    .collect(),
            },
        })
    }
}

/// Deletes a database at `path` only if an earlier demo built it.
async fn remove_previous_demo(location: &Location, path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let refuse = || {
        Error::new(
            Code::ConflictExists,
            format!(
                "{} exists and is not a demo database, so the demo will not replace it: build the demo at another path",
                path.display()
            ),
        )
        .with_field("db")
    };
    let store = match Store::open(location, OpenMode::Existing).await {
        Ok(s) => s,
        Err(e) if e.code() == Code::DbSchemaOutdated => {
            return Err(Error::new(
                Code::DbSchemaOutdated,
                format!(
                    "{} was built by an older armtrace: delete it and build the demo again",
                    path.display()
                ),
            ));
        }
        Err(e)
            if e.code() == Code::DbNotInitialised
                && std::fs::metadata(path).is_ok_and(|m| m.len() == 0) =>
        {
            return Ok(());
        }
        Err(e) if e.code() == Code::DbNotInitialised => return Err(refuse()),
        Err(e) => return Err(e.into()),
    };
    let mark = store.meta(DEMO_MARK).await;
    store.close().await;
    if mark?.is_none() {
        return Err(refuse());
    }
    for suffix in ["", "-wal", "-shm", ".audit-key"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::new(
                    Code::FileUnreadable,
                    format!("cannot remove the old demo database: {e}"),
                )
                .with_file(path.display().to_string()));
            }
        }
    }
    Ok(())
}
