//! `armtrace items …`: documented items — add, edit, mark, show, list, import, merge, unmerge,
//! review.

use super::{Who, Writer, open, parse_arg};
use crate::UserError;
use crate::cli::{ItemArgs, ItemListArgs, ItemsCommand, TierArg};
use crate::output::{Listing, print};
use anyhow::Context;
use armtrace_core::actor::Party;
use armtrace_core::investigation::Tier;
use armtrace_core::item::{CountryBasis, VerificationStatus};
use armtrace_core::marking::Marking;
use armtrace_ingest::items::{ItemFields, ItemLookup, MapAnswer, MarkingFields, parse_items};
use armtrace_store::{ItemDetail, ItemFilter, ItemSummary, Store};
use std::io::Write;

pub async fn run(db: Option<String>, who: &Who, cmd: ItemsCommand) -> anyhow::Result<()> {
    match cmd {
        ItemsCommand::Add {
            investigation,
            item,
            format,
        } => {
            let w = Writer::open(db, who, "documenting an item").await?;
            let result = add(&w.store, &w.by, &investigation, item).await;
            let signed = w.finish().await;
            let (reference, warnings) = result?;
            signed?;
            let mut out = std::io::stdout().lock();
            if format.format == crate::cli::Format::Json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({"reference": reference, "investigation": investigation, "warnings": warnings}),
                )?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "Documented item {reference} in '{investigation}' (unverified: a reviewer who did not write it verifies it)."
                )?;
                for w in warnings {
                    writeln!(out, "warning: {w}")?;
                }
            }
        }
        ItemsCommand::Edit {
            item,
            investigation,
            fields,
            unidentified,
            clear_coordinates,
            clear_date,
            remove_marking,
            not_sensitive,
        } => {
            let w = Writer::open(db, who, "editing an item").await?;
            let changes = Changes {
                fields,
                unidentified,
                clear_coordinates,
                clear_date,
                remove_marking,
                not_sensitive,
                add_marking: None,
            };
            let result = edit(&w.store, &w.by, &item, investigation.as_deref(), changes).await;
            let signed = w.finish().await;
            let (status, warnings) = result?;
            signed?;
            report_edit(&item, status, &warnings)?;
        }
        ItemsCommand::Mark {
            item,
            investigation,
            position,
            script,
            text,
            mask,
            transliteration,
            symbol,
        } => {
            let w = Writer::open(db, who, "adding a marking").await?;
            let changes = Changes {
                add_marking: Some(MarkingFields {
                    position,
                    script,
                    text,
                    mask,
                    transliteration,
                    symbol,
                }),
                ..Changes::default()
            };
            let result = edit(&w.store, &w.by, &item, investigation.as_deref(), changes).await;
            let signed = w.finish().await;
            let (status, warnings) = result?;
            signed?;
            report_edit(&item, status, &warnings)?;
        }
        ItemsCommand::Show {
            item,
            investigation,
            tier,
            format,
        } => {
            let by = who.identity("showing an item")?;
            let store = open(db).await?;
            let detail = store
                .item(&by, &item, investigation.as_deref(), tier_of(&tier)?)
                .await;
            store.close().await;
            show(&detail?, format.format)?;
        }
        ItemsCommand::List(args) => {
            let by = who.identity("listing items")?;
            let store = open(db).await?;
            let result = list(&store, &by, args).await;
            store.close().await;
            result?;
        }
        ItemsCommand::Import {
            files,
            investigation,
            format,
        } => {
            if files.is_empty() {
                return Err(UserError("give one or more item files to import".into()).into());
            }
            let w = Writer::open(db, who, "importing items").await?;
            let result = import(&w.store, &w.by, &investigation, &files).await;
            let signed = w.finish().await;
            let reports = result?;
            signed?;
            let mut out = std::io::stdout().lock();
            if format.format == crate::cli::Format::Json {
                serde_json::to_writer_pretty(&mut out, &reports)?;
                writeln!(out)?;
            } else {
                for r in &reports {
                    writeln!(
                        out,
                        "{}: {} items added to '{}', {} already there unchanged.",
                        r["file"].as_str().unwrap_or_default(),
                        r["added"],
                        investigation,
                        r["unchanged"]
                    )?;
                    for w in r["warnings"].as_array().into_iter().flatten() {
                        writeln!(out, "warning: {}", w.as_str().unwrap_or_default())?;
                    }
                }
            }
        }
        ItemsCommand::Merge {
            keep,
            others,
            investigation,
        } => {
            let w = Writer::open(db, who, "merging sightings").await?;
            let result = w
                .store
                .merge_items(&w.by, &keep, &others, investigation.as_deref())
                .await;
            let signed = w.finish().await;
            let merged = result?;
            signed?;
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
            let w = Writer::open(db, who, "separating a sighting").await?;
            let result = w
                .store
                .unmerge_item(&w.by, &item, investigation.as_deref())
                .await;
            let signed = w.finish().await;
            let reference = result?;
            signed?;
            writeln!(std::io::stdout(), "{reference} is its own weapon again.")?;
        }
        ItemsCommand::Review {
            item,
            investigation,
            status,
            reason,
        } => {
            let to: VerificationStatus = parse_arg("--status", &status)?;
            let w = Writer::open(db, who, "reviewing an item").await?;
            let result = w
                .store
                .review_item(&w.by, &item, investigation.as_deref(), to, &reason)
                .await;
            let signed = w.finish().await;
            let review = result?;
            signed?;
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

pub(crate) fn tier_of(arg: &TierArg) -> anyhow::Result<Option<Tier>> {
    arg.tier
        .as_deref()
        .map(|t| parse_arg::<Tier>("--tier", t))
        .transpose()
}

fn report_edit(item: &str, status: VerificationStatus, warnings: &[String]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "Changed {item}; it is now {status}.")?;
    for w in warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// What checking items needs from the database and the shipped map.
pub(crate) struct Checks {
    resolver: armtrace_core::resolve::NameResolver,
    models: Vec<armtrace_core::model::WeaponModel>,
    map: armtrace_ingest::geo::CodedMap,
}

impl Checks {
    pub(crate) async fn load(store: &Store) -> anyhow::Result<Checks> {
        Ok(Checks {
            resolver: store.resolver().await?,
            models: store.models(None).await?,
            map: armtrace_ingest::geo::CodedMap::new(
                armtrace_ingest::geo::CountryLocator::from_topojson(
                    armtrace_refdata::COUNTRIES_50M_TOPOJSON,
                )
                .context("reading the shipped map")?,
                &store.countries(None).await?,
            ),
        })
    }

    /// Checks one item's fields.
    pub(crate) fn draft(
        &self,
        fields: &ItemFields,
        source: &str,
    ) -> Result<armtrace_ingest::items::Drafted, armtrace_ingest::items::FieldError> {
        self.with_lookup(|l| l.draft(fields, source))
    }

    fn with_lookup<T>(&self, f: impl FnOnce(&ItemLookup<'_>) -> T) -> T {
        let map = |lat: f64, lon: f64, precision: Option<u32>| -> MapAnswer {
            self.map.answer(lat, lon, precision)
        };
        let lookup = ItemLookup::new(&self.resolver, &self.models, &map);
        f(&lookup)
    }
}

/// Splits `POSITION:SCRIPT:TEXT[:MASK]`. The text may itself hold colons; a last part is taken
/// as the mask only when it is as long as the text before it and made of `.`, `~` and `?`.
pub(crate) fn marking_arg(s: &str) -> anyhow::Result<MarkingFields> {
    let mut parts = s.splitn(3, ':');
    let (Some(position), Some(script), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(UserError(format!(
            "--marking '{s}': write POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23"
        ))
        .into());
    };
    let (text, mask) = match rest.rsplit_once(':') {
        Some((text, mask))
            if !mask.is_empty()
                && mask.chars().all(|c| matches!(c, '.' | '~' | '?'))
                && mask.chars().count() == text.chars().count() =>
        {
            (text, Some(mask.to_string()))
        }
        _ => (rest, None),
    };
    Ok(MarkingFields {
        position: position.to_string(),
        script: script.to_string(),
        text: text.to_string(),
        mask,
        ..MarkingFields::default()
    })
}

fn fields_from_args(a: ItemArgs) -> anyhow::Result<ItemFields> {
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
            .collect::<anyhow::Result<_>>()?,
    })
}

fn field_error(e: armtrace_ingest::items::FieldError) -> anyhow::Error {
    UserError(format!("--{}: {}", e.field.replace('_', "-"), e.message)).into()
}

async fn add(
    store: &Store,
    by: &armtrace_core::access::Identity,
    investigation: &str,
    item: ItemArgs,
) -> anyhow::Result<(String, Vec<String>)> {
    let fields = fields_from_args(item)?;
    let cx = Checks::load(store).await?;
    let drafted = cx
        .with_lookup(|l| l.draft(&fields, "armtrace items add"))
        .map_err(field_error)?;
    let reference = store.add_item(by, investigation, &drafted.draft).await?;
    Ok((reference, drafted.warnings))
}

/// What `items edit` and `items mark` change.
#[derive(Default)]
struct Changes {
    fields: ItemArgs,
    unidentified: bool,
    clear_coordinates: bool,
    clear_date: bool,
    remove_marking: Vec<usize>,
    not_sensitive: bool,
    add_marking: Option<MarkingFields>,
}

fn marking_fields(m: &Marking) -> MarkingFields {
    MarkingFields {
        position: m.position.to_string(),
        script: m.script.to_string(),
        text: m.text.clone(),
        mask: Some(m.mask()),
        transliteration: m.transliteration.clone(),
        symbol: m.symbol.map(|s| s.to_string()),
    }
}

/// The item's current content as fields, so that an edit re-checks everything.
fn fields_of(d: &ItemDetail) -> ItemFields {
    let s = &d.summary;
    let current = d.identifications.iter().find(|i| i.current);
    let place = s.place.as_ref();
    ItemFields {
        item_ref: Some(s.reference.clone()),
        model: s.model.clone(),
        description: s.description.clone(),
        made_in: s.made_in.clone(),
        year_made: s.year_made.clone(),
        identified_by: current.map(|i| i.basis.clone()),
        lat: place.and_then(|p| p.lat).map(|x| x.to_string()),
        lon: place.and_then(|p| p.lon).map(|x| x.to_string()),
        precision_m: place.and_then(|p| p.precision_m).map(|x| x.to_string()),
        place: place.and_then(|p| p.name.clone()),
        // A country resolved from the map is resolved again; one given by hand stays given.
        country: match s.country_basis {
            Some(CountryBasis::Given) => place.and_then(|p| p.country.clone()),
            _ => None,
        },
        sensitive_location: s.location_sensitive.then(|| "true".into()),
        date: s.date.map(|d| d.to_string()),
        possessor: s.possessor.as_ref().map(Party::to_string),
        acquired: s.acquisition.as_ref().map(|a| a.route.to_string()),
        acquired_basis: s.acquisition.as_ref().map(|a| a.basis.to_string()),
        notes: d.notes.clone(),
        markings: s.markings.iter().map(marking_fields).collect(),
    }
}

async fn edit(
    store: &Store,
    by: &armtrace_core::access::Identity,
    key: &str,
    investigation: Option<&str>,
    c: Changes,
) -> anyhow::Result<(VerificationStatus, Vec<String>)> {
    let detail = store
        .item(by, key, investigation, Some(Tier::Confidential))
        .await?;
    let mut f = fields_of(&detail);
    let mut new = fields_from_args(c.fields)?;
    let set = |slot: &mut Option<String>, v: &mut Option<String>| {
        if v.is_some() {
            *slot = v.take();
        }
    };
    set(&mut f.item_ref, &mut new.item_ref);
    if new.model.is_some() {
        // A new model is a new identification: its country and year come from the new flags
        // (or the catalogue), not from the old identification.
        f.made_in = None;
        f.year_made = None;
        f.identified_by = None;
    }
    set(&mut f.model, &mut new.model);
    set(&mut f.description, &mut new.description);
    set(&mut f.made_in, &mut new.made_in);
    set(&mut f.year_made, &mut new.year_made);
    set(&mut f.identified_by, &mut new.identified_by);
    if new.lat.is_some() || new.lon.is_some() {
        f.country = None;
        f.precision_m = None;
    }
    set(&mut f.lat, &mut new.lat);
    set(&mut f.lon, &mut new.lon);
    set(&mut f.precision_m, &mut new.precision_m);
    set(&mut f.place, &mut new.place);
    set(&mut f.country, &mut new.country);
    set(&mut f.sensitive_location, &mut new.sensitive_location);
    set(&mut f.date, &mut new.date);
    set(&mut f.possessor, &mut new.possessor);
    set(&mut f.acquired, &mut new.acquired);
    set(&mut f.acquired_basis, &mut new.acquired_basis);
    set(&mut f.notes, &mut new.notes);
    if c.unidentified {
        f.model = None;
        f.made_in = None;
        f.year_made = None;
        f.identified_by = None;
    }
    if c.clear_coordinates {
        f.lat = None;
        f.lon = None;
        f.precision_m = None;
        f.sensitive_location = None;
    }
    if c.clear_date {
        f.date = None;
    }
    if c.not_sensitive {
        f.sensitive_location = None;
    }
    let mut remove = c.remove_marking.clone();
    remove.sort_unstable();
    remove.dedup();
    for n in remove.iter().rev() {
        if *n == 0 || *n > f.markings.len() {
            return Err(UserError(format!(
                "--remove-marking {n}: the item has markings 1 to {} (see `armtrace items show`)",
                f.markings.len()
            ))
            .into());
        }
        f.markings.remove(n - 1);
    }
    f.markings.extend(new.markings);
    f.markings.extend(c.add_marking);
    let cx = Checks::load(store).await?;
    let drafted = cx
        .with_lookup(|l| l.draft(&f, &detail.source))
        .map_err(field_error)?;
    let status = store
        .edit_item(
            by,
            &detail.summary.id.to_string(),
            investigation,
            &drafted.draft,
        )
        .await?;
    Ok((status, drafted.warnings))
}

async fn import(
    store: &Store,
    by: &armtrace_core::access::Identity,
    investigation: &str,
    files: &[std::path::PathBuf],
) -> anyhow::Result<Vec<serde_json::Value>> {
    let cx = Checks::load(store).await?;
    let mut reports = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| UserError(format!("cannot read {name}: {e}")))?;
        let sha = armtrace_ingest::sha256_hex(&bytes);
        let drafted = cx
            .with_lookup(|l| parse_items(&name, &bytes, l))
            .map_err(|e| UserError(format!("{e}; nothing was imported from {name}")))?;
        let mut warnings = Vec::new();
        for d in &drafted {
            for w in &d.warnings {
                warnings.push(format!("{name}, line {}: {w}", d.line));
            }
        }
        let drafts: Vec<(u64, armtrace_core::item::ItemDraft)> =
            drafted.into_iter().map(|d| (d.line, d.draft)).collect();
        let report = store
            .import_items(by, investigation, &name, &sha, &drafts)
            .await
            .with_context(|| format!("importing {name}"))?;
        reports.push(serde_json::json!({
            "file": name,
            "sha256": sha,
            "investigation": report.investigation,
            "added": report.added,
            "unchanged": report.unchanged,
            "warnings": warnings,
        }));
    }
    Ok(reports)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

fn place_text(s: &ItemSummary) -> (String, String) {
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

async fn list(
    store: &Store,
    by: &armtrace_core::access::Identity,
    a: ItemListArgs,
) -> anyhow::Result<()> {
    let resolver = store.resolver().await?;
    let country = |flag: &str, v: &Option<String>| -> anyhow::Result<Option<String>> {
        match v {
            None => Ok(None),
            Some(name) => match resolver.resolve(name) {
                Ok(Party::Country(code)) => Ok(Some(code)),
                Ok(other) => {
                    Err(UserError(format!("{flag}: '{name}' is {other}, not a country")).into())
                }
                Err(e) => Err(UserError(format!("{flag}: {e}")).into()),
            },
        }
    };
    let category = match &a.category {
        None => None,
        Some(c) => {
            let index = armtrace_refdata::category_index(&store.categories().await?);
            Some(
                index
                    .get(&armtrace_core::text::fold(c))
                    .cloned()
                    .unwrap_or_else(|| c.clone()),
            )
        }
    };
    let filter = ItemFilter {
        investigation: a.investigation.clone(),
        made_in: country("--made-in", &a.made_in)?,
        possessor: a
            .possessor
            .as_deref()
            .map(|p| {
                resolver
                    .resolve(p)
                    .map_err(|e| UserError(format!("--possessor: {e}")))
            })
            .transpose()?,
        model: a.model.clone(),
        category,
        country: country("--country", &a.country)?,
        place: a.place.clone(),
        from: a
            .from
            .as_deref()
            .map(|d| parse_arg("--from", d))
            .transpose()?,
        to: a.to.as_deref().map(|d| parse_arg("--to", d)).transpose()?,
        status: a
            .status
            .as_deref()
            .map(|s| parse_arg("--status", s))
            .transpose()?,
        sightings: a.sightings,
    };
    let (tier, items) = store.items(by, &filter, tier_of(&a.tier)?).await?;
    let mut columns = SUMMARY_COLUMNS.to_vec();
    if a.sightings {
        columns[10] = "merged into";
    }
    let mut listing = Listing::new(columns, &items)?;
    listing.json = serde_json::json!({
        "tier": tier,
        "count": items.len(),
        "counts": if a.sightings { "sightings" } else { "distinct weapons" },
        "items": listing.json,
    });
    listing.rows = items.iter().map(|s| summary_row(s, a.sightings)).collect();
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
    listing.notes.push(tier.notice().to_string());
    print(&listing, a.format.format)
}

/// The listing columns of one item.
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
fn summary_row(s: &ItemSummary, sightings: bool) -> Vec<String> {
    let (place, coords) = place_text(s);
    vec![
        s.investigation.clone(),
        s.reference.clone(),
        s.model.clone().unwrap_or_else(|| {
            format!(
                "unidentified: {}",
                s.description.clone().unwrap_or_default()
            )
        }),
        opt(&s.made_in),
        opt(&s.date),
        place,
        coords,
        opt(&s.possessor),
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

fn show(d: &ItemDetail, format: crate::cli::Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        crate::cli::Format::Json => {
            serde_json::to_writer_pretty(&mut out, d)?;
            writeln!(out)?;
            return Ok(());
        }
        crate::cli::Format::Csv => {
            drop(out);
            let mut listing = Listing::new(SUMMARY_COLUMNS.to_vec(), &[&d.summary])?;
            listing.rows = vec![summary_row(&d.summary, false)];
            return print(&listing, crate::cli::Format::Csv);
        }
        crate::cli::Format::Table => {}
    }
    let s = &d.summary;
    let (place, coords) = place_text(s);
    let line = |out: &mut std::io::StdoutLock<'_>, k: &str, v: String| -> std::io::Result<()> {
        if v.is_empty() {
            Ok(())
        } else {
            writeln!(out, "{k:<16}{v}")
        }
    };
    line(&mut out, "item", format!("{} ({})", s.reference, s.id))?;
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
                crate::commands::evidence::time_text(*start_ms),
                end_ms
                    .map(|e| format!("–{}", crate::commands::evidence::time_text(e)))
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
