//! `armtrace demo`: builds a demo database from data shipped inside armtrace and shows what is in
//! it. It only ever replaces a database that an earlier `demo` built.

use super::Who;
use super::init::init;
use crate::UserError;
use crate::cli::{DEFAULT_DEMO_DB, Format};
use crate::output::write_table;
use armtrace_core::access::Identity;
use armtrace_core::actor::Party;
use armtrace_core::transfer::{SIPRI_COVERAGE, SIPRI_CREDIT, SIPRI_DERIVED};
use armtrace_store::{Location, OpenMode, Period, ReleaseChoice, Store, YearBasis};
use std::io::Write;
use std::path::Path;

/// The metadata key that marks a database as built by `armtrace demo`.
const DEMO_MARK: &str = "demo_database";

pub async fn run(db: Option<&str>, who: &Who, format: Format) -> anyhow::Result<()> {
    let location = Location::parse(db.unwrap_or(DEFAULT_DEMO_DB))?;
    let Location::Sqlite(path) = &location else {
        return Err(UserError(
            "demo builds a SQLite file of its own: give --db a file path (the default is armtrace-demo.db)".into(),
        )
        .into());
    };
    // The demo's audit key always lives beside it, and goes with it.
    let who = Who {
        audit_key: None,
        audit_head: None,
        ..who.clone()
    };
    remove_previous_demo(&location, path).await?;
    let (store, done) = init(&location, &who).await?;
    let by = Identity::User(done.acting.clone());
    store
        .set_meta(&by, DEMO_MARK, "built by armtrace demo")
        .await?;
    super::import::shipped_subset(&store, &by).await?;
    field_demo(&store, &by).await?;
    let result = show(&store, &location, &by, format).await;
    store.close().await;
    result
}

/// The demo's investigation: its items are SYNTHETIC, made up to show field documentation.
const DEMO_INVESTIGATION: &str = "Synthetic demo investigation";

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

/// Documents the synthetic items, and merges SYN-5 into SYN-1 (the same rifle seen twice).
async fn field_demo(store: &Store, by: &Identity) -> anyhow::Result<()> {
    store
        .add_investigation(
            by,
            DEMO_INVESTIGATION,
            Some("SYNTHETIC items made up by armtrace demo to show field documentation; not findings"),
        )
        .await?;
    let checks = super::items::Checks::load(store).await?;
    for (reference, model, made_in, lat, lon, date, possessor, marking) in DEMO_ITEMS {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let fields = armtrace_ingest::items::ItemFields {
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
                vec![super::items::marking_arg(marking)?]
            },
            ..Default::default()
        };
        let drafted = checks
            .draft(&fields, "armtrace demo (synthetic)")
            .map_err(|e| anyhow::anyhow!("demo item {reference}: {e}"))?;
        store
            .add_item(by, DEMO_INVESTIGATION, &drafted.draft)
            .await?;
    }
    store
        .merge_items(
            by,
            "SYN-1",
            &["SYN-5".to_string()],
            Some(DEMO_INVESTIGATION),
        )
        .await?;
    Ok(())
}

/// Distinct weapons of the demo investigation by country of manufacture.
async fn demo_items_by_country(
    store: &Store,
    by: &Identity,
) -> anyhow::Result<Vec<(String, u64, u64)>> {
    let filter = armtrace_store::ItemFilter {
        investigation: Some(DEMO_INVESTIGATION.into()),
        ..Default::default()
    };
    let (_, items) = store.items(by, &filter, None).await?;
    let names: std::collections::HashMap<String, String> = store
        .countries(None)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let mut by_country: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for i in &items {
        let e = by_country
            .entry(match &i.made_in {
                Some(code) => names.get(code).cloned().unwrap_or_else(|| code.clone()),
                None => "unknown".into(),
            })
            .or_default();
        e.0 += 1;
        e.1 += i.sightings;
    }
    Ok(by_country
        .into_iter()
        .map(|(c, (w, s))| (c, w, s))
        .collect())
}

/// Deletes a database at `path` only if an earlier demo built it.
async fn remove_previous_demo(location: &Location, path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let refuse = || {
        UserError(format!(
            "{} exists and is not a demo database, so demo will not replace it: give another --db path",
            path.display()
        ))
    };
    let store = match Store::open(location, OpenMode::Existing).await {
        Ok(s) => s,
        Err(e) if e.code() == armtrace_core::Code::DbSchemaOutdated => {
            return Err(UserError(format!(
                "{} was built by an older armtrace: delete it and run demo again",
                path.display()
            ))
            .into());
        }
        Err(e)
            if e.code() == armtrace_core::Code::DbNotInitialised
                && std::fs::metadata(path).is_ok_and(|m| m.len() == 0) =>
        {
            return Ok(());
        }
        Err(e) if e.code() == armtrace_core::Code::DbNotInitialised => return Err(refuse().into()),
        Err(e) => return Err(e.into()),
    };
    let mark = store.meta(DEMO_MARK).await?;
    store.close().await;
    if mark.is_none() {
        return Err(refuse().into());
    }
    for suffix in [
        "",
        "-wal",
        "-shm",
        ".audit-key",
        ".audit-head",
        ".audit-head.lock",
    ] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "cannot remove the old demo database {}: {e}",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

async fn show(
    store: &Store,
    location: &Location,
    by: &Identity,
    format: Format,
) -> anyhow::Result<()> {
    let demo_items = demo_items_by_country(store, by).await?;
    let counts = store.counts().await?;
    let version = store.meta("reference_version").await?.unwrap_or_default();
    let historic: Vec<_> = store
        .countries(None)
        .await?
        .into_iter()
        .filter(|c| c.historic && (c.valid_from.is_some() || c.code.starts_with('X')))
        .collect();
    // The family column as the sources put it: "Kalashnikov (modernised AK-47)", but also
    // "vz. 58 (not a Kalashnikov derivative)", so match its start, not any mention.
    let kalashnikov: Vec<_> = store
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
    let open_ended = embargoes.iter().filter(|e| e.end.is_none()).count();
    let iraq = Party::Country("IRQ".into());
    let iran = Party::Country("IRN".into());
    let period = Period {
        from: Some(1970),
        to: Some(1990),
    };
    let suppliers = store
        .suppliers(
            &ReleaseChoice::LatestSipri,
            &iraq,
            YearBasis::Order,
            period,
            Some(&iran),
        )
        .await?;
    let sipri_records = store
        .releases()
        .await?
        .iter()
        .filter(|r| r.source == "sipri")
        .map(|r| r.transfers)
        .sum::<i64>();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let v = serde_json::json!({
            "database": location.to_string(),
            "synthetic": "partly: only the items in synthetic_demo_items",
            "synthetic_demo_items": {
                "investigation": DEMO_INVESTIGATION,
                "note": "SYNTHETIC: the demo investigation's items are made up by armtrace demo to show field documentation; everything else is shipped data",
                "distinct_weapons_by_country_of_manufacture": demo_items.iter().map(|(c, w, s)| serde_json::json!({"made_in": c, "weapons": w, "sightings": s})).collect::<Vec<_>>(),
            },
            "reference_version": version,
            "counts": counts,
            "historic_states": historic,
            "kalashnikov_family": kalashnikov,
            "embargoes": embargoes.len(),
            "embargoes_without_end_date": open_ended,
            "suppliers_of_iraq_1970_1990": suppliers,
            "credit": SIPRI_CREDIT,
            "coverage": SIPRI_COVERAGE,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "armtrace demo database: {location}")?;
    writeln!(
        out,
        "Built from data shipped inside armtrace: reference data {version} and SIPRI's Iraq/Iran 1970–1990 register subset. Only the items of '{DEMO_INVESTIGATION}' are synthetic (made up to show field documentation)."
    )?;
    writeln!(out)?;
    let rows: Vec<Vec<String>> = [
        (
            "countries",
            counts.countries,
            format!("{} of them historic states", counts.historic_states),
        ),
        (
            "name variants",
            counts.aliases,
            "as SIPRI and other sources write them".into(),
        ),
        (
            "actors",
            counts.actors,
            "non-state armed groups and organisations SIPRI names".into(),
        ),
        (
            "weapon categories",
            counts.categories,
            "UN Register I–VII, SALW, ML1–ML22, SIPRI".into(),
        ),
        (
            "weapon models",
            counts.models,
            "starter catalogue, each row with its source and grade".into(),
        ),
        (
            "manufacturers",
            counts.manufacturers,
            "named by the catalogue and factory codes".into(),
        ),
        (
            "factory codes",
            counts.factory_codes,
            "marks such as 66 in a triangle".into(),
        ),
        (
            "UN arms embargoes",
            counts.embargoes,
            format!("{open_ended} with no end date in the source"),
        ),
        (
            "SIPRI transfers",
            sipri_records,
            format!(
                "release {}, Iraq and Iran 1970–1990",
                suppliers.release.name
            ),
        ),
    ]
    .into_iter()
    .map(|(what, n, note)| vec![what.to_string(), n.to_string(), note])
    .collect();
    write_table(&mut out, &["what", "rows", "notes"], &rows)?;
    writeln!(out)?;
    writeln!(
        out,
        "Historic states that sources use (a transfer names the state of its time, not its successor):"
    )?;
    let rows: Vec<Vec<String>> = historic
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.name.clone(),
                c.validity(),
                c.successors.join(" "),
            ]
        })
        .collect();
    write_table(&mut out, &["code", "name", "existed", "successors"], &rows)?;
    writeln!(out)?;
    writeln!(
        out,
        "The Kalashnikov family in the catalogue (licensed copies and derivatives included):"
    )?;
    let rows: Vec<Vec<String>> = kalashnikov
        .iter()
        .map(|m| {
            let mut producers: Vec<String> = m
                .producers
                .iter()
                .map(|p| p.country_as_written.clone())
                .collect();
            producers.dedup();
            vec![
                m.designation.clone(),
                m.country_of_design_as_written.clone().unwrap_or_default(),
                producers.join("; "),
                m.source.reliability.to_string(),
            ]
        })
        .collect();
    write_table(
        &mut out,
        &["designation", "designed in", "produced in", "source grade"],
        &rows,
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Who armed Iraq, 1970–1990 (deals by order year; from the SIPRI subset shipped with armtrace, release {}):",
        suppliers.release.name
    )?;
    let rows: Vec<Vec<String>> = suppliers
        .suppliers
        .iter()
        .take(12)
        .map(|s| {
            vec![
                s.supplier.clone(),
                s.deals.to_string(),
                s.number_delivered.to_string(),
                s.tiv_delivered.to_string(),
            ]
        })
        .collect();
    write_table(
        &mut out,
        &["supplier", "deals", "number delivered", "TIV delivered (m)"],
        &rows,
    )?;
    writeln!(
        out,
        "{} suppliers in all; {} of them also supplied Iran in the same years: {}.",
        suppliers.suppliers.len(),
        suppliers.common.as_ref().map_or(0, Vec::len),
        suppliers.common.clone().unwrap_or_default().join(", ")
    )?;
    writeln!(out, "{SIPRI_CREDIT}. {SIPRI_DERIVED}")?;
    writeln!(out, "{SIPRI_COVERAGE}")?;
    writeln!(out)?;
    writeln!(
        out,
        "SYNTHETIC documented items in '{DEMO_INVESTIGATION}' (made up by the demo, not findings), distinct weapons by country of manufacture:"
    )?;
    let rows: Vec<Vec<String>> = demo_items
        .iter()
        .map(|(c, w, s)| vec![c.clone(), w.to_string(), s.to_string()])
        .collect();
    write_table(&mut out, &["made in", "weapons", "sightings"], &rows)?;
    writeln!(
        out,
        "One rifle seen twice counts once: SYN-5 is a second sighting of SYN-1."
    )?;
    writeln!(out)?;
    let db = location.to_string();
    writeln!(out, "Try next:")?;
    writeln!(out, "  armtrace --db {db} countries --search yemen")?;
    writeln!(
        out,
        "  armtrace --db {db} models --search 7.62 --format json"
    )?;
    writeln!(out, "  armtrace --db {db} categories --scheme un_register")?;
    writeln!(
        out,
        "  armtrace --db {db} transfers suppliers --recipient Iran --from 1980 --to 1988 --by delivery"
    )?;
    writeln!(
        out,
        "  armtrace --db {db} transfers list --recipient Iraq --designation T-72"
    )?;
    writeln!(
        out,
        "  armtrace --db {db} --as {} items list --investigation \"{DEMO_INVESTIGATION}\"",
        by.name()
    )?;
    Ok(())
}
