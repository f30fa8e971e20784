//! `armtrace demo`: builds the demo database (see `armtrace_app::demo`) and shows what is in it.

use super::Ctx;
use crate::cli::{DEFAULT_DEMO_DB, Format};
use crate::output::write_table;
use armtrace_app::demo::{DEMO_INVESTIGATION, Demo};
use armtrace_core::transfer::{SIPRI_COVERAGE, SIPRI_CREDIT, SIPRI_DERIVED};
use armtrace_store::Location;
use std::io::Write;

pub async fn run(db: Option<&str>, cx: &Ctx, format: Format) -> anyhow::Result<()> {
    let location = Location::parse(db.unwrap_or(DEFAULT_DEMO_DB))?;
    let Location::Sqlite(path) = &location else {
        return Err(armtrace_core::Error::invalid(
            "db",
            "the demo builds a SQLite file of its own: give a file path (the default is armtrace-demo.db)",
        )
        .into());
    };
    let (app, demo) = armtrace_app::demo::build(path, cx.acting.as_deref()).await?;
    app.close().await;
    show(&demo, format)
}

fn show(demo: &Demo, format: Format) -> anyhow::Result<()> {
    let counts = &demo.counts;
    let version = &demo.reference_version;
    let historic = &demo.historic_states;
    let kalashnikov = &demo.kalashnikov_family;
    let open_ended = demo.embargoes_without_end_date;
    let suppliers = &demo.suppliers_of_iraq_1970_1990;
    let sipri_records = demo.sipri_transfers;
    let location = &demo.database;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let mut v = serde_json::to_value(demo)?;
        v["credit"] = SIPRI_CREDIT.into();
        v["coverage"] = SIPRI_COVERAGE.into();
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
    let rows: Vec<Vec<String>> = demo
        .synthetic_demo_items
        .distinct_weapons_by_country_of_manufacture
        .iter()
        .map(|c| {
            vec![
                c.made_in.clone(),
                c.weapons.to_string(),
                c.sightings.to_string(),
            ]
        })
        .collect();
    write_table(&mut out, &["made in", "weapons", "sightings"], &rows)?;
    writeln!(
        out,
        "One rifle seen twice counts once: SYN-5 is a second sighting of SYN-1."
    )?;
    writeln!(out)?;
    let db = location;
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
        demo.acting_as
    )?;
    Ok(())
}
