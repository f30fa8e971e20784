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
use armtrace_store::{
    Location, OpenMode, Period, ReleaseChoice, Store, StoreError, YearBasis, load_key,
};
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
        ..who.clone()
    };
    remove_previous_demo(&location, path).await?;
    let (store, done) = init(&location, &who).await?;
    let by = Identity::User(done.acting.clone());
    store
        .set_meta(&by, DEMO_MARK, "built by armtrace demo")
        .await?;
    super::import::shipped_subset(&store, &by).await?;
    let key = load_key(&who.key_path(&location))?;
    store.checkpoint(&by, &key).await?;
    let result = show(&store, &location, format).await;
    store.close().await;
    result
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
        Err(StoreError::SchemaOutdated { .. }) => {
            return Err(UserError(format!(
                "{} was built by an older armtrace: delete it and run demo again",
                path.display()
            ))
            .into());
        }
        Err(StoreError::NotInitialised) if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) => {
            return Ok(());
        }
        Err(StoreError::NotInitialised) => return Err(refuse().into()),
        Err(e) => return Err(e.into()),
    };
    let mark = store.meta(DEMO_MARK).await?;
    store.close().await;
    if mark.is_none() {
        return Err(refuse().into());
    }
    for suffix in ["", "-wal", "-shm", ".audit-key"] {
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

async fn show(store: &Store, location: &Location, format: Format) -> anyhow::Result<()> {
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
            "synthetic": false,
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
        "Built from data shipped inside armtrace: reference data {version} and SIPRI's Iraq/Iran 1970–1990 register subset. Nothing in it is synthetic."
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
    Ok(())
}
