//! `armtrace items …`: documented items — add, edit, mark, show, list, import, merge, unmerge,
//! review. The application layer decides what each does; this module turns flags into its input
//! and renders the answer.

use super::Ctx;
use crate::cli::{Format, ItemArgs, ItemCountArgs, ItemFilterArgs, ItemListArgs, ItemsCommand};
use crate::output::{Listing, print};
use armtrace_app::items::{ItemEdit, ItemFields, ItemQuery, MarkingFields, marking_arg, tier};
use armtrace_core::item::CountryBasis;
use armtrace_core::marking::Marking;
use armtrace_store::{ItemDetail, ItemSummary};
use std::io::Write;

pub async fn run(cx: &Ctx, cmd: ItemsCommand) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let result = run_on(&app, &by, cmd).await;
    app.close().await;
    result
}

async fn run_on(
    app: &armtrace_app::App,
    by: &armtrace_app::Identity,
    cmd: ItemsCommand,
) -> anyhow::Result<()> {
    match cmd {
        ItemsCommand::Add {
            investigation,
            item,
            format,
        } => {
            let fields = fields_from_args(item)?;
            let added = app
                .add_item(by, &investigation, &fields, "armtrace items add")
                .await?;
            let mut out = std::io::stdout().lock();
            if format.format == Format::Json {
                serde_json::to_writer_pretty(&mut out, &added)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "Documented item {} in '{}' (unverified: a reviewer who did not write it verifies it).",
                    added.reference, added.investigation
                )?;
                for w in &added.warnings {
                    writeln!(out, "warning: {w}")?;
                }
            }
        }
        ItemsCommand::Edit {
            item,
            investigation,
            version,
            fields,
            unidentified,
            clear_coordinates,
            clear_date,
            remove_marking,
            not_sensitive,
            format,
        } => {
            let edit = ItemEdit {
                item,
                investigation,
                version,
                set: fields_from_args(fields)?,
                unidentified,
                clear_coordinates,
                clear_date,
                not_sensitive,
                remove_markings: remove_marking,
            };
            report_edit(&app.edit_item(by, &edit).await?, format.format)?;
        }
        ItemsCommand::Mark {
            item,
            investigation,
            version,
            position,
            script,
            text,
            mask,
            transliteration,
            symbol,
            format,
        } => {
            let edit = ItemEdit {
                item,
                investigation,
                version,
                set: ItemFields {
                    markings: vec![MarkingFields {
                        position,
                        script,
                        text,
                        mask,
                        transliteration,
                        symbol,
                    }],
                    ..ItemFields::default()
                },
                ..ItemEdit::default()
            };
            report_edit(&app.edit_item(by, &edit).await?, format.format)?;
        }
        ItemsCommand::Show {
            item,
            investigation,
            tier: t,
            format,
        } => {
            let detail = app
                .item(
                    by,
                    &item,
                    investigation.as_deref(),
                    tier(t.tier.as_deref())?,
                )
                .await?;
            show(&detail, format.format)?;
        }
        ItemsCommand::List(args) => list(app, by, args).await?,
        ItemsCommand::Count(args) => count(app, by, args).await?,
        ItemsCommand::Import {
            files,
            investigation,
            format,
        } => {
            let reports = app.import_items(by, &investigation, &files).await?;
            let mut out = std::io::stdout().lock();
            if format.format == Format::Json {
                serde_json::to_writer_pretty(&mut out, &reports)?;
                writeln!(out)?;
            } else {
                for r in &reports {
                    writeln!(
                        out,
                        "{}: {} items added to '{}', {} already there unchanged.",
                        r.file, r.added, r.investigation, r.unchanged
                    )?;
                    for w in &r.warnings {
                        writeln!(out, "warning: {w}")?;
                    }
                }
            }
        }
        ItemsCommand::Merge {
            keep,
            others,
            investigation,
        } => {
            let merged = app
                .merge_items(by, &keep, &others, investigation.as_deref())
                .await?;
            writeln!(
                std::io::stdout(),
                "Merged {} into {keep}: one weapon, {} more sighting{} (each keeps its markings and evidence).",
                merged.join(", "),
                merged.len(),
                if merged.len() == 1 { "" } else { "s" }
            )?;
        }
        ItemsCommand::Unmerge {
            item,
            investigation,
        } => {
            let reference = app
                .unmerge_item(by, &item, investigation.as_deref())
                .await?;
            writeln!(std::io::stdout(), "{reference} is its own weapon again.")?;
        }
        ItemsCommand::Review {
            item,
            investigation,
            status,
            reason,
        } => {
            let review = app
                .review_item(by, &item, investigation.as_deref(), &status, &reason)
                .await?;
            writeln!(
                std::io::stdout(),
                "{item}: {} → {} by {} ({}).",
                review.from,
                review.to,
                review.by,
                review.reason
            )?;
        }
    }
    Ok(())
}

fn report_edit(edited: &armtrace_app::items::EditedItem, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, edited)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Changed {}; it is now {} (version {}).",
        edited.reference,
        edited.status,
        &edited.version[..edited.version.len().min(12)]
    )?;
    for w in &edited.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn fields_from_args(a: ItemArgs) -> armtrace_app::Result<ItemFields> {
    Ok(ItemFields {
        item_ref: a.reference,
        model: a.model,
        description: a.description,
        made_in: a.made_in,
        year_made: a.year_made,
        identified_by: a.identified_by,
        lat: a.lat,
        lon: a.lon,
        precision_m: a.precision_m,
        place: a.place,
        country: a.country,
        sensitive_location: a.sensitive_location.then(|| "true".to_string()),
        date: a.date,
        possessor: a.possessor,
        acquired: a.acquired,
        acquired_basis: a.acquired_basis,
        notes: a.notes,
        markings: a
            .markings
            .iter()
            .map(|m| marking_arg(m))
            .collect::<armtrace_app::Result<_>>()?,
    })
}

async fn list(
    app: &armtrace_app::App,
    by: &armtrace_app::Identity,
    a: ItemListArgs,
) -> anyhow::Result<()> {
    let query = ItemQuery {
        sightings: a.sightings,
        tier: a.tier.tier,
        limit: a.limit,
        after: a.after,
        ..query_of(a.filter)
    };
    let answer = app.items(by, &query).await?;
    let items = &answer.items;
    let mut columns = SUMMARY_COLUMNS.to_vec();
    if a.sightings {
        columns[10] = "merged into";
    }
    let mut listing = Listing::new(columns, items)?;
    listing.json = serde_json::to_value(&answer)?;
    listing.rows = items
        .iter()
        .map(|s| summary_row(s, a.sightings, &answer.names))
        .collect();
    listing.notes.push(if a.sightings {
        format!(
            "{} sightings (merged sightings listed separately).",
            items.len()
        )
    } else {
        format!(
            "{} distinct weapons (sightings of one weapon count once; --sightings lists each).",
            items.len()
        )
    });
    listing.notes.push(answer.tier.notice().to_string());
    if let Some(next) = &answer.next {
        listing
            .notes
            .push(format!("More: the next page is --after {next}"));
    }
    print(&listing, a.format.format)
}

fn query_of(f: ItemFilterArgs) -> ItemQuery {
    ItemQuery {
        investigation: f.investigation,
        made_in: f.made_in,
        possessor: f.possessor,
        model: f.model,
        category: f.category,
        country: f.country,
        place: f.place,
        from: f.from,
        to: f.to,
        status: f.status,
        ..ItemQuery::default()
    }
}

async fn count(
    app: &armtrace_app::App,
    by: &armtrace_app::Identity,
    a: ItemCountArgs,
) -> anyhow::Result<()> {
    let counts = app.item_counts(by, &query_of(a.filter), &a.by).await?;
    let mut listing = Listing::new(vec![counts.by.as_str(), "weapons"], &counts.groups)?;
    listing.json = serde_json::to_value(&counts)?;
    listing.rows = counts
        .groups
        .iter()
        .map(|g| {
            vec![
                g.key.clone().unwrap_or_else(|| "(not recorded)".into()),
                g.weapons.to_string(),
            ]
        })
        .collect();
    listing.notes.push(format!(
        "{} distinct weapons in all; a weapon seen under two {}s counts under each, and once in all.",
        counts.total,
        a.by.replace('_', " ")
    ));
    print(&listing, a.format.format)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

fn place_text(s: &ItemSummary, names: &Names) -> (String, String) {
    let Some(p) = &s.place else {
        return (String::new(), String::new());
    };
    let coords = match (p.lat, p.lon) {
        (Some(lat), Some(lon)) => match p.precision_m {
            Some(m) => format!("{lat}, {lon} (±{m} m)"),
            None => format!("{lat}, {lon}"),
        },
        _ => String::new(),
    };
    let mut place = p.name.clone().unwrap_or_default();
    if let Some(c) = &p.country {
        let c = names.get(c).unwrap_or(c);
        if place.is_empty() {
            place = c.clone();
        } else {
            place = format!("{place}, {c}");
        }
    }
    (place, coords)
}

fn markings_text(m: &[Marking]) -> String {
    m.iter()
        .map(|m| format!("{}: {}", m.position, m.text))
        .collect::<Vec<_>>()
        .join("; ")
}

const SUMMARY_COLUMNS: [&str; 13] = [
    "investigation",
    "ref",
    "model",
    "made in",
    "seen",
    "place",
    "coordinates",
    "possessor",
    "acquired",
    "status",
    "sightings",
    "evidence",
    "markings",
];

/// One listing row; with `sightings`, the "sightings" column says what it was merged into.
/// Display names of codes (`CHN` → China), as the listing gives them.
type Names = std::collections::BTreeMap<String, String>;

/// A code with its name when there is one: `China (CHN)`.
fn named(names: &Names, code: Option<String>) -> String {
    match code {
        None => String::new(),
        Some(c) => match names.get(&c) {
            Some(n) if *n != c => format!("{n} ({c})"),
            _ => c,
        },
    }
}

fn summary_row(s: &ItemSummary, sightings: bool, names: &Names) -> Vec<String> {
    let (place, coords) = place_text(s, names);
    vec![
        s.investigation.clone(),
        s.reference.clone(),
        s.model.clone().unwrap_or_else(|| {
            format!(
                "unidentified: {}",
                s.description.clone().unwrap_or_default()
            )
        }),
        named(names, s.made_in.clone()),
        opt(&s.date),
        place,
        coords,
        named(names, s.possessor.as_ref().map(|p| p.to_string())),
        s.acquisition
            .as_ref()
            .map(|a| format!("{} ({})", a.route, a.basis))
            .unwrap_or_default(),
        s.verification.to_string(),
        if sightings {
            s.merged_into.clone().unwrap_or_default()
        } else {
            s.sightings.to_string()
        },
        s.evidence.to_string(),
        markings_text(&s.markings),
    ]
}

fn show(d: &ItemDetail, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, d)?;
            writeln!(out)?;
            return Ok(());
        }
        Format::Csv => {
            drop(out);
            let mut listing = Listing::new(SUMMARY_COLUMNS.to_vec(), &[&d.summary])?;
            listing.rows = vec![summary_row(&d.summary, false, &Names::new())];
            return print(&listing, Format::Csv);
        }
        Format::Table => {}
    }
    let s = &d.summary;
    let (place, coords) = place_text(s, &Names::new());
    let line = |out: &mut std::io::StdoutLock<'_>, k: &str, v: String| -> std::io::Result<()> {
        if v.is_empty() {
            Ok(())
        } else {
            writeln!(out, "{k:<16}{v}")
        }
    };
    line(&mut out, "item", format!("{} ({})", s.reference, s.id))?;
    line(&mut out, "version", s.version.clone())?;
    line(&mut out, "investigation", s.investigation.clone())?;
    line(
        &mut out,
        "model",
        s.model.clone().unwrap_or_else(|| "unidentified".into()),
    )?;
    line(&mut out, "description", opt(&s.description))?;
    line(&mut out, "made in", opt(&s.made_in))?;
    line(&mut out, "year made", opt(&s.year_made))?;
    line(&mut out, "seen", opt(&s.date))?;
    line(&mut out, "place", place)?;
    line(
        &mut out,
        "coordinates",
        if coords.is_empty() {
            coords
        } else {
            format!(
                "{coords}{}{}",
                s.country_basis
                    .map(|b| format!(
                        ", country from {}",
                        if b == CountryBasis::Map {
                            "the map"
                        } else {
                            "the investigator"
                        }
                    ))
                    .unwrap_or_default(),
                if s.location_sensitive {
                    ", sensitive"
                } else {
                    ""
                }
            )
        },
    )?;
    line(&mut out, "possessor", opt(&s.possessor))?;
    line(
        &mut out,
        "acquired",
        s.acquisition
            .as_ref()
            .map(|a| format!("{} ({})", a.route, a.basis))
            .unwrap_or_default(),
    )?;
    line(&mut out, "status", s.verification.to_string())?;
    line(&mut out, "merged into", opt(&s.merged_into))?;
    line(&mut out, "sightings", d.merged_sightings.join(", "))?;
    line(&mut out, "notes", opt(&d.notes))?;
    line(&mut out, "source", d.source.clone())?;
    line(
        &mut out,
        "created",
        format!("{} by {}", d.created_at, d.created_by),
    )?;
    line(
        &mut out,
        "updated",
        format!("{} by {}", d.updated_at, d.updated_by),
    )?;
    line(&mut out, "authors", d.authors.join(", "))?;
    for (i, m) in s.markings.iter().enumerate() {
        writeln!(
            out,
            "marking {:<8}{} {} '{}' legibility {}{}{}",
            i + 1,
            m.position,
            m.script,
            m.text,
            m.mask(),
            m.transliteration
                .as_ref()
                .map(|t| format!(" transliteration '{t}'"))
                .unwrap_or_default(),
            m.symbol.map(|s| format!(" in a {s}")).unwrap_or_default()
        )?;
    }
    for i in &d.identifications {
        writeln!(
            out,
            "identification  {}{} {} made in {} basis {} by {} at {}{}",
            if i.current { "* " } else { "  " },
            i.model.clone().unwrap_or_else(|| "unidentified".into()),
            i.year_of_manufacture.clone().unwrap_or_default(),
            i.country_of_manufacture
                .clone()
                .unwrap_or_else(|| "?".into()),
            i.basis,
            i.by,
            i.at,
            i.notes
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        )?;
    }
    for e in &d.evidence_links {
        let anchor = match &e.anchor {
            armtrace_core::evidence::EvidenceAnchor::Whole => String::new(),
            armtrace_core::evidence::EvidenceAnchor::TimeCode { start_ms, end_ms } => format!(
                " at {}{}",
                armtrace_app::time::time_text(*start_ms),
                end_ms
                    .map(|e| format!("–{}", armtrace_app::time::time_text(e)))
                    .unwrap_or_default()
            ),
            armtrace_core::evidence::EvidenceAnchor::Region {
                x,
                y,
                width,
                height,
            } => format!(" region {x},{y} {width}×{height}"),
        };
        writeln!(
            out,
            "evidence        {} {} {}{anchor} (sighting {})",
            &e.sha256[..e.sha256.len().min(16)],
            e.media_type,
            e.original_name.clone().unwrap_or_default(),
            e.sighting
        )?;
    }
    for r in &d.reviews {
        writeln!(
            out,
            "review          {} → {} by {} at {}: {}",
            r.from, r.to, r.by, r.at, r.reason
        )?;
    }
    writeln!(out, "{}", d.tier.notice())?;
    Ok(())
}
