//! Documented items: create, import, edit, merge sightings, review, and read them back. Every
//! write is authorised inside the item's investigation and appends its audit entry in the same
//! locked transaction (see [`crate::audit`]); reads show only the investigations the reader is a
//! member of, in the tier they may read.

use crate::audit::{LockedPool, WriteTx, authorize, change, commit_signed, now, vouch};
use crate::bulk::{BindValues, OnConflict, Value as Cell, insert_rows};
use crate::records::{Kind, Record};
use crate::{Store, StoreError, with_pool};
use armtrace_core::Id;
use armtrace_core::access::{Action, Identity, Resource};
use armtrace_core::actor::Party;
use armtrace_core::date::PartialDate;
use armtrace_core::error::{Code, Error, Hint};
use armtrace_core::investigation::{Tier, export_tier};
use armtrace_core::item::{
    Acquisition, CountryBasis, IdentificationDraft, ItemDraft, Place, VerificationStatus,
    check_review, public_place,
};
use armtrace_core::marking::{EnclosingSymbol, Marking, MarkingPosition, Script};
use armtrace_core::text::{collate, fold};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// What `items list` selects. Empty fields select everything.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    /// Investigation name.
    pub investigation: Option<String>,
    /// Country of manufacture (armtrace code).
    pub made_in: Option<String>,
    /// Possessor as a party (`actor:isil`, `country:IRQ`, `unknown`).
    pub possessor: Option<Party>,
    /// Text in the model's designation.
    pub model: Option<String>,
    /// A category code or a code prefix (`salw.sa`).
    pub category: Option<String>,
    /// Country where the item was seen (armtrace code).
    pub country: Option<String>,
    /// Text in the place name.
    pub place: Option<String>,
    /// Seen on or after (the date's first day).
    pub from: Option<PartialDate>,
    /// Seen on or before (the date's last day).
    pub to: Option<PartialDate>,
    pub status: Option<VerificationStatus>,
    /// List every sighting, merged ones included (default: one row per distinct weapon).
    pub sightings: bool,
}

/// An item as listed: one distinct weapon (or, with `sightings`, one sighting).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemSummary {
    pub id: Id,
    pub investigation: String,
    pub reference: String,
    pub model: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub made_in: Option<String>,
    pub year_made: Option<String>,
    pub place: Option<Place>,
    pub country_basis: Option<CountryBasis>,
    pub location_sensitive: bool,
    pub date: Option<PartialDate>,
    pub possessor: Option<Party>,
    pub acquisition: Option<Acquisition>,
    pub verification: VerificationStatus,
    /// The item this sighting was merged into (its reference).
    pub merged_into: Option<String>,
    /// Sightings of this weapon, itself included.
    pub sightings: u64,
    /// Evidence files linked to any of its sightings.
    pub evidence: u64,
    pub markings: Vec<Marking>,
    /// The item's version: the hash of its content. An edit names the version it was made
    /// against, and is refused when the item has changed since.
    pub version: String,
}

/// An identification as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentificationRecord {
    pub id: Id,
    pub model: Option<String>,
    pub category: Option<String>,
    pub country_of_manufacture: Option<String>,
    pub year_of_manufacture: Option<String>,
    pub basis: String,
    pub by: String,
    pub at: String,
    pub origin: String,
    pub notes: Option<String>,
    /// Whether this is the identification in force.
    pub current: bool,
}

/// A review of an item or piece of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Review {
    pub from: VerificationStatus,
    pub to: VerificationStatus,
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// A link from an item to evidence, as shown with the item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemEvidence {
    pub evidence: Id,
    pub sha256: String,
    pub media_type: String,
    pub original_name: Option<String>,
    /// The sighting (item reference) the link belongs to.
    pub sighting: String,
    pub anchor: armtrace_core::evidence::EvidenceAnchor,
}

/// Everything about one item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub summary: ItemSummary,
    pub tier: Tier,
    pub notes: Option<String>,
    pub source: String,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
    /// Everyone who wrote the item: none of them may review it.
    pub authors: Vec<String>,
    /// Identifications, newest first.
    pub identifications: Vec<IdentificationRecord>,
    /// The references of sightings merged into this item.
    pub merged_sightings: Vec<String>,
    pub evidence_links: Vec<ItemEvidence>,
    pub reviews: Vec<Review>,
}

/// What an item import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ItemImportReport {
    pub investigation: String,
    pub added: u64,
    /// Items whose reference and content were already there.
    pub unchanged: u64,
}

/// An item found by its key, with what writes need to know.
#[derive(Clone, Debug)]
pub(crate) struct FoundItem {
    pub id: String,
    pub investigation_id: String,
    pub investigation: String,
    pub reference: String,
    pub merged_into: Option<String>,
    pub verification: String,
}

/// Everything stored in an items row, as text.
#[derive(Clone, Debug)]
pub(crate) struct ItemRow {
    pub(crate) id: String,
    pub(crate) investigation: String,
    pub(crate) reference: String,
    pub(crate) description: Option<String>,
    pub(crate) identification_id: Option<String>,
    pub(crate) lat: Option<f64>,
    pub(crate) lon: Option<f64>,
    pub(crate) precision_m: Option<i64>,
    pub(crate) place_name: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) country_basis: Option<String>,
    pub(crate) location_sensitive: bool,
    pub(crate) date_text: Option<String>,
    pub(crate) possessor: Option<String>,
    pub(crate) acquisition_route: Option<String>,
    pub(crate) acquisition_basis: Option<String>,
    pub(crate) verification: String,
    pub(crate) merged_into: Option<String>,
    pub(crate) notes: Option<String>,
    pub(crate) source: String,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    pub(crate) updated_at: String,
    pub(crate) updated_by: String,
    pub(crate) model: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) made_in: Option<String>,
    pub(crate) year_made: Option<String>,
    pub(crate) version: String,
    /// On a weapon's own row, how many sightings it has (itself included).
    pub(crate) sightings: i64,
}

pub(crate) const ITEM_SELECT: &str = "SELECT i.id, i.investigation_id, v.name, i.ref, i.description, \
    i.identification_id, i.lat, i.lon, i.precision_m, i.place_name, i.country, i.country_basis, \
    i.location_sensitive, i.date_text, i.possessor, i.acquisition_route, i.acquisition_basis, \
    i.verification, i.merged_into, i.notes, i.source, i.created_at, i.created_by, i.updated_at, \
    i.updated_by, d.model, d.category, d.country_of_manufacture, d.year_of_manufacture, \
    i.content_sha256, i.sightings, i.sort_key \
    FROM items i JOIN investigations v ON v.id = i.investigation_id \
    LEFT JOIN identifications d ON d.id = i.identification_id";

/// Reads an items row selected with [`ITEM_SELECT`]; written once, compiled per backend.
macro_rules! item_row {
    ($r:expr) => {{
        let r = $r;
        ItemRow {
            id: r.try_get(0)?,
            investigation: r.try_get(2)?,
            reference: r.try_get(3)?,
            description: r.try_get(4)?,
            identification_id: r.try_get(5)?,
            lat: r.try_get(6)?,
            lon: r.try_get(7)?,
            precision_m: r.try_get(8)?,
            place_name: r.try_get(9)?,
            country: r.try_get(10)?,
            country_basis: r.try_get(11)?,
            location_sensitive: r.try_get(12)?,
            date_text: r.try_get(13)?,
            possessor: r.try_get(14)?,
            acquisition_route: r.try_get(15)?,
            acquisition_basis: r.try_get(16)?,
            verification: r.try_get(17)?,
            merged_into: r.try_get(18)?,
            notes: r.try_get(19)?,
            source: r.try_get(20)?,
            created_at: r.try_get(21)?,
            created_by: r.try_get(22)?,
            updated_at: r.try_get(23)?,
            updated_by: r.try_get(24)?,
            model: r.try_get(25)?,
            category: r.try_get(26)?,
            made_in: r.try_get(27)?,
            year_made: r.try_get(28)?,
            version: r.try_get::<Option<String>, _>(29)?.unwrap_or_default(),
            sightings: r.try_get(30)?,
        }
    }};
}
pub(crate) use item_row;

/// The tier `user` gets when they ask for `requested`: public unless they ask for confidential
/// and may read it.
pub(crate) fn tier_of(
    user: &armtrace_core::access::User,
    requested: Option<Tier>,
) -> Result<Tier, StoreError> {
    export_tier(user.role, requested)
        .map_err(|e| Error::new(Code::AccessDenied, e).with_field("tier").into())
}

/// The first 12 digits of a version, as messages show it.
fn short_version(v: &str) -> &str {
    v.get(..12).unwrap_or(v)
}

/// A stored value that no longer reads back.
pub(crate) fn invalid(what: &str, e: impl std::fmt::Display) -> StoreError {
    crate::error::invalid(format!("stored {what}: {e}"))
}

fn parse_opt<T: std::str::FromStr>(what: &str, v: &Option<String>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    v.as_deref()
        .map(|s| s.parse::<T>().map_err(|e| invalid(what, e)))
        .transpose()
}

/// A marking row: position, script, text, transliteration, symbol, legibility.
pub(crate) type MarkingRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

pub(crate) fn marking_from_row(r: MarkingRow) -> Result<Marking, StoreError> {
    let (position, script, text, transliteration, symbol, mask) = r;
    let mut m = Marking::with_mask(
        position
            .parse::<MarkingPosition>()
            .map_err(|e| invalid("marking", e))?,
        script
            .parse::<Script>()
            .map_err(|e| invalid("marking", e))?,
        &text,
        Some(&mask),
    )
    .map_err(|e| invalid("marking", e))?;
    m.transliteration = transliteration;
    m.symbol = parse_opt::<EnclosingSymbol>("marking symbol", &symbol)?;
    Ok(m)
}

/// The stored columns of an item's content, from a draft.
fn item_cells(d: &ItemDraft) -> Vec<(&'static str, Cell)> {
    let place = d.place.as_ref();
    let ident = d.identification.as_ref();
    vec![
        ("description", Cell::from(d.description.clone())),
        ("lat", Cell::from(place.and_then(|p| p.lat))),
        ("lon", Cell::from(place.and_then(|p| p.lon))),
        (
            "precision_m",
            Cell::from(place.and_then(|p| p.precision_m).map(i64::from)),
        ),
        ("place_name", Cell::from(place.and_then(|p| p.name.clone()))),
        ("country", Cell::from(place.and_then(|p| p.country.clone()))),
        (
            "country_basis",
            Cell::from(d.country_basis.map(|b| b.as_str().to_string())),
        ),
        ("location_sensitive", Cell::from(d.location_sensitive)),
        ("date_text", Cell::from(d.date.map(|x| x.to_string()))),
        ("date_first", Cell::from(d.date.map(|x| ymd(x.earliest())))),
        ("date_last", Cell::from(d.date.map(|x| ymd(x.latest())))),
        (
            "possessor",
            Cell::from(d.possessor.as_ref().map(|p| p.to_string())),
        ),
        (
            "acquisition_route",
            Cell::from(d.acquisition.as_ref().map(|a| a.route.as_str().to_string())),
        ),
        (
            "acquisition_basis",
            Cell::from(d.acquisition.as_ref().map(|a| a.basis.as_str().to_string())),
        ),
        ("notes", Cell::from(d.notes.clone())),
        // What queries filter and group by, copied from the identification and folded.
        (
            "made_in",
            Cell::from(ident.and_then(|i| i.country_of_manufacture.clone())),
        ),
        (
            "model",
            Cell::from(
                ident
                    .and_then(|i| i.model.as_ref())
                    .map(|m| m.designation.clone()),
            ),
        ),
        (
            "category",
            Cell::from(
                ident
                    .and_then(|i| i.model.as_ref())
                    .and_then(|m| m.category.clone()),
            ),
        ),
        (
            "year_made",
            Cell::from(
                ident
                    .and_then(|i| i.year_of_manufacture)
                    .map(|d| i64::from(d.earliest().0)),
            ),
        ),
        (
            "model_fold",
            Cell::from(
                ident
                    .and_then(|i| i.model.as_ref())
                    .map(|m| fold(&m.designation)),
            ),
        ),
        (
            "place_fold",
            Cell::from(place.and_then(|p| p.name.as_deref()).map(fold)),
        ),
    ]
}

/// The listing order of an item: its folded reference, its reference and its id, joined by
/// U+0001 (which no part holds), so that comparing keys byte by byte is comparing the three in
/// turn — the order [`collate`] gives references, on both backends.
pub(crate) fn sort_key(reference: &str, id: &str) -> String {
    format!("{}\u{1}{reference}\u{1}{id}", fold(reference))
}

/// The content hash of an item as stored under `reference`: a record imported later with the
/// same reference and content is recognised as already there.
fn content_of(reference: &str, d: &ItemDraft) -> String {
    let mut d = d.clone();
    d.reference = Some(reference.to_string());
    d.content_sha256()
}

fn ymd((y, m, d): (i32, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// The audit record of an item's content. Every member may read the audit log, so exact
/// sensitive coordinates are recorded rounded, as the public tier shows them; the entry's keyed
/// record digest (see [`crate::records`]) pins the exact content, and tells a reader without the
/// key file nothing.
fn draft_json(reference: &str, d: &ItemDraft) -> serde_json::Value {
    let mut public = d.clone();
    public.place = d
        .place
        .as_ref()
        .map(|p| public_place(p, d.location_sensitive));
    let mut v = serde_json::to_value(&public).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("reference".into(), json!(reference));
    }
    v
}

/// The audit record of an item as it was (see [`draft_json`]).
fn summary_json(s: &ItemSummary) -> serde_json::Value {
    let mut public = s.clone();
    public.place = s
        .place
        .as_ref()
        .map(|p| public_place(p, s.location_sensitive));
    serde_json::to_value(&public).unwrap_or_default()
}

/// The columns of a marking row.
const MARKING_COLUMNS: &[&str] = &[
    "item_id",
    "n",
    "position",
    "script",
    "text",
    "transliteration",
    "symbol",
    "legibility",
];

/// The rows of an item's markings, numbered from 1.
fn marking_cells(item_id: &str, markings: &[Marking]) -> Vec<Vec<Cell>> {
    markings
        .iter()
        .enumerate()
        .map(|(n, m)| {
            vec![
                Cell::from(item_id),
                Cell::Int(Some(n as i64 + 1)),
                Cell::from(m.position.as_str()),
                Cell::from(m.script.as_str()),
                Cell::from(m.text.as_str()),
                Cell::from(m.transliteration.clone()),
                Cell::from(m.symbol.map(|s| s.as_str().to_string())),
                Cell::from(m.mask()),
            ]
        })
        .collect()
}

/// The columns of an identification row.
const IDENTIFICATION_COLUMNS: &[&str] = &[
    "id",
    "item_id",
    "model_id",
    "model",
    "category",
    "country_of_manufacture",
    "year_of_manufacture",
    "basis",
    "by_name",
    "at",
    "origin",
    "notes",
];

/// An analyst's identification of an item, as a row.
fn identification_cells(
    by: &Identity,
    item_id: &str,
    i: &IdentificationDraft,
    id: &str,
    at: &str,
) -> Vec<Cell> {
    vec![
        Cell::from(id),
        Cell::from(item_id),
        Cell::from(i.model.as_ref().map(|m| m.id.to_string())),
        Cell::from(i.model.as_ref().map(|m| m.designation.clone())),
        Cell::from(i.model.as_ref().and_then(|m| m.category.clone())),
        Cell::from(i.country_of_manufacture.clone()),
        Cell::from(i.year_of_manufacture.map(|y| y.to_string())),
        Cell::from(i.basis.as_str()),
        Cell::from(by.name()),
        Cell::from(at),
        Cell::from("analyst_decision"),
        Cell::from(i.notes.clone()),
    ]
}

/// Writes that need the generic transaction: inserting an item's markings and identification.
async fn insert_markings<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    item_id: &str,
    markings: &[Marking],
) -> Result<(), StoreError>
where
    DB: BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    insert_rows(
        tx,
        "markings",
        MARKING_COLUMNS,
        marking_cells(item_id, markings),
        OnConflict::Fail,
    )
    .await?;
    Ok(())
}

async fn insert_identification<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &Identity,
    item_id: &str,
    i: &IdentificationDraft,
    id: String,
) -> Result<String, StoreError>
where
    DB: BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    insert_rows(
        tx,
        "identifications",
        IDENTIFICATION_COLUMNS,
        vec![identification_cells(by, item_id, i, &id, &now())],
        OnConflict::Fail,
    )
    .await?;
    Ok(id)
}

/// Brings a weapon's copies up to date after its status or its sightings changed: every
/// sighting carries the weapon's status, and the weapon its count of sightings.
pub(crate) async fn refresh_weapon<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    weapon_id: &str,
) -> Result<(), StoreError>
where
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "UPDATE items SET w_status = (SELECT r.verification FROM items r WHERE r.id = $1) \
         WHERE weapon_id = $1",
    )
    .bind(weapon_id.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE items SET sightings = (SELECT COUNT(*) FROM items s WHERE s.weapon_id = $1) \
         WHERE id = $1",
    )
    .bind(weapon_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn add_author<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    item_ids: &[String],
    by: &Identity,
) -> Result<(), StoreError>
where
    DB: BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let rows = item_ids
        .iter()
        .map(|id| vec![Cell::from(id.as_str()), Cell::from(by.name())])
        .collect();
    insert_rows(
        tx,
        "item_authors",
        &["item_id", "user_name"],
        rows,
        OnConflict::Ignore,
    )
    .await?;
    Ok(())
}

/// Inserts new items (their rows, markings, identifications and author) in the caller's
/// transaction. `numbered_from` is the next automatic reference number.
async fn insert_items<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &Identity,
    investigation_id: &str,
    drafts: &[(String, &ItemDraft, Option<String>)],
) -> Result<Vec<String>, StoreError>
where
    DB: BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let at = now();
    let mut ids = Vec::with_capacity(drafts.len());
    let mut rows = Vec::with_capacity(drafts.len());
    let mut columns: Vec<&str> = vec![
        "id",
        "investigation_id",
        "ref",
        "verification",
        "identification_id",
        "weapon_id",
        "w_status",
        "sort_key",
    ];
    for (n, (reference, d, content)) in drafts.iter().enumerate() {
        let id = Id::new_random().to_string();
        let ident = d
            .identification
            .as_ref()
            .map(|_| Id::new_random().to_string());
        let cells = item_cells(d);
        if n == 0 {
            columns.extend(cells.iter().map(|(c, _)| *c));
            columns.extend([
                "source",
                "content_sha256",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
            ]);
        }
        let mut row = vec![
            Cell::from(id.as_str()),
            Cell::from(investigation_id),
            Cell::from(reference.as_str()),
            Cell::from(VerificationStatus::Unverified.as_str()),
            Cell::from(ident.clone()),
            Cell::from(id.as_str()),
            Cell::from(VerificationStatus::Unverified.as_str()),
            Cell::from(sort_key(reference, &id)),
        ];
        row.extend(cells.into_iter().map(|(_, v)| v));
        row.extend([
            Cell::from(d.source.as_str()),
            Cell::from(content.clone()),
            Cell::from(at.as_str()),
            Cell::from(by.name()),
            Cell::from(at.as_str()),
            Cell::from(by.name()),
        ]);
        rows.push(row);
        ids.push((id, ident));
    }
    insert_rows(tx, "items", &columns, rows, OnConflict::Fail).await?;
    // Markings and identifications of every item in two batched inserts, not two per item.
    let mut marking_rows = Vec::new();
    let mut identification_rows = Vec::new();
    let at = now();
    for ((id, ident), (_, d, _)) in ids.iter().zip(drafts) {
        marking_rows.extend(marking_cells(id, &d.markings));
        if let (Some(i), Some(ident)) = (&d.identification, ident) {
            identification_rows.push(identification_cells(by, id, i, ident, &at));
        }
    }
    insert_rows(
        tx,
        "markings",
        MARKING_COLUMNS,
        marking_rows,
        OnConflict::Fail,
    )
    .await?;
    insert_rows(
        tx,
        "identifications",
        IDENTIFICATION_COLUMNS,
        identification_rows,
        OnConflict::Fail,
    )
    .await?;
    let ids: Vec<String> = ids.into_iter().map(|(id, _)| id).collect();
    add_author(tx, &ids, by).await?;
    Ok(ids)
}

/// The next automatic reference in an investigation: "item-N" for the smallest N above every
/// automatic reference there.
async fn next_reference<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    investigation_id: &str,
) -> Result<u64, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String,): sqlx::FromRow<'r, DB::Row>,
{
    let refs: Vec<(String,)> =
        sqlx::query_as("SELECT ref FROM items WHERE investigation_id = $1 AND ref LIKE 'item-%'")
            .bind(investigation_id.to_string())
            .fetch_all(&mut **tx)
            .await?;
    // References an investigator typed with huge numbers are not part of the sequence.
    Ok(refs
        .iter()
        .filter_map(|(r,)| r.strip_prefix("item-")?.parse::<u64>().ok())
        .filter(|n| *n < 1_000_000_000_000)
        .max()
        .unwrap_or(0)
        + 1)
}

/// Finds an item by id, unique id prefix (8+ characters) or reference; `investigation` narrows
/// the search when a reference is used in several.
async fn find_item<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    key: &str,
    investigation: Option<&str>,
) -> Result<Vec<FoundItem>, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String, String, String, String, Option<String>, String): sqlx::FromRow<'r, DB::Row>,
{
    let key = key.trim();
    let prefix = if key.len() >= 8
        && key.len() < 36
        && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    {
        format!("{}%", key.to_ascii_lowercase())
    } else {
        String::new()
    };
    let rows: Vec<(String, String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT i.id, i.investigation_id, v.name, i.ref, i.merged_into, i.verification \
         FROM items i JOIN investigations v ON v.id = i.investigation_id \
         WHERE (i.id = $1 OR i.ref = $1 OR i.id LIKE $2) AND (v.name = $3 OR $3 = '')",
    )
    .bind(key.to_string())
    .bind(prefix)
    .bind(investigation.unwrap_or("").to_string())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, investigation_id, investigation, reference, merged_into, verification)| {
                FoundItem {
                    id,
                    investigation_id,
                    investigation,
                    reference,
                    merged_into,
                    verification,
                }
            },
        )
        .collect())
}

/// Picks the one item a key names, or says why it cannot. Items in investigations the user is
/// not a member of are invisible (need-to-know): authorising inside the item's investigation
/// refuses them with the same message as an unknown key.
fn one_item(key: &str, found: Vec<FoundItem>) -> Result<FoundItem, StoreError> {
    match found.len() {
        0 => Err(Error::new(
            Code::ItemNotFound,
            format!("there is no item '{key}' in your investigations"),
        )
        .with_field("item")
        .into()),
        1 => Ok(found
            .into_iter()
            .next()
            .ok_or_else(|| crate::error::invalid("empty"))?),
        _ => {
            let mut names: Vec<String> = found
                .iter()
                .map(|f| format!("{} in '{}'", f.reference, f.investigation))
                .collect();
            names.sort();
            Err(Error::new(
                Code::ItemAmbiguous,
                format!(
                    "'{key}' names several items ({}): name the investigation, or give the item's id",
                    names.join("; ")
                ),
            )
            .with_field("item")
            .into())
        }
    }
}

/// Looks up an investigation by name inside a write; unknown and not-a-member look alike.
pub(crate) async fn investigation_for_write<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &Identity,
    name: &str,
    action: Action,
    resource: Resource,
) -> Result<String, StoreError>
where
    DB: WriteTx,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String,): sqlx::FromRow<'r, DB::Row>,
{
    let id: Option<(String,)> = sqlx::query_as("SELECT id FROM investigations WHERE name = $1")
        .bind(name.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let unknown = || {
        StoreError::from(
            Error::new(
                Code::InvestigationNotFound,
                format!("there is no investigation '{name}' that you are a member of"),
            )
            .with_field("investigation")
            .with_hint(Hint::ListInvestigations),
        )
    };
    let Some((id,)) = id else {
        authorize(tx, by, action, resource, None).await?;
        return Err(unknown());
    };
    match authorize(tx, by, action, resource, Some((&id, name))).await {
        Err(StoreError::Access(armtrace_core::access::AccessError::NotMember { .. })) => {
            Err(unknown())
        }
        other => other.map(|_| id),
    }
}

/// Authorises `action` on an item found by key, inside its investigation.
pub(crate) async fn authorize_item<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &Identity,
    key: &str,
    investigation: Option<&str>,
    action: Action,
) -> Result<FoundItem, StoreError>
where
    DB: WriteTx,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String, String, String, String, Option<String>, String): sqlx::FromRow<'r, DB::Row>,
{
    // The role first, so that a refusal reads the same whether the key exists or not; then the
    // items in investigations the user is not a member of are left out before the key is
    // settled, so that neither "not found" nor "names several items" reveals them.
    authorize(tx, by, action, Resource::DocumentedItem, None).await?;
    let mut mine = Vec::new();
    for item in find_item(tx, key, investigation).await? {
        match authorize(
            tx,
            by,
            action,
            Resource::DocumentedItem,
            Some((&item.investigation_id, &item.investigation)),
        )
        .await
        {
            Err(StoreError::Access(armtrace_core::access::AccessError::NotMember { .. })) => {}
            other => {
                other?;
                mine.push(item);
            }
        }
    }
    one_item(key, mine)
}

/// Everything about one item, read inside the transaction `$tx` (written once, compiled per
/// backend inside `with_pool!`).
macro_rules! detail_in {
    ($tx:ident, $id:expr) => {{
        let id: &str = $id;
        let sql = format!("{ITEM_SELECT} WHERE i.id = $1 OR i.merged_into = $1");
        let raw = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_all(&mut *$tx)
            .await?;
        let mut rows = Vec::with_capacity(raw.len());
        for r in &raw {
            rows.push(item_row!(r));
        }
        let Some(row) = rows.iter().find(|r| r.id == id).cloned() else {
            return Err(Error::new(Code::ItemNotFound, format!("there is no item {id}")).into());
        };
        let mut markings: HashMap<String, Vec<Marking>> = HashMap::new();
        let marks: Vec<MarkingRow> = sqlx::query_as(
            "SELECT position, script, text, transliteration, symbol, legibility FROM markings WHERE item_id = $1 ORDER BY n",
        )
        .bind(id.to_string())
        .fetch_all(&mut *$tx)
        .await?;
        markings.insert(
            id.to_string(),
            marks.into_iter().map(marking_from_row).collect::<Result<_, _>>()?,
        );
        let by_id: HashMap<&str, &ItemRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut s = summary(&row, &markings, &by_id)?;
        // A sighting names the weapon it was merged into by its reference, as listings do.
        if let Some(root) = &row.merged_into {
            let reference: Option<String> = sqlx::query_scalar("SELECT ref FROM items WHERE id = $1")
                .bind(root.clone())
                .fetch_optional(&mut *$tx)
                .await?;
            s.merged_into = reference.or_else(|| Some(root.clone()));
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let authors: Vec<(String,)> =
            sqlx::query_as("SELECT user_name FROM item_authors WHERE item_id = $1 ORDER BY user_name")
                .bind(id.to_string())
                .fetch_all(&mut *$tx)
                .await?;
        let idents: Vec<IdentificationRow> = sqlx::query_as(
            "SELECT id, model, category, country_of_manufacture, year_of_manufacture, basis, by_name, at, origin, notes \
             FROM identifications WHERE item_id = $1 ORDER BY at DESC, id DESC",
        )
        .bind(id.to_string())
        .fetch_all(&mut *$tx)
        .await?;
        let reviews: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT from_status, to_status, reason, by_name, at FROM reviews WHERE record_id = $1 ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *$tx)
        .await?;
        let mut evidence_links = Vec::new();
        for sid in &ids {
            let links: Vec<LinkRow> = sqlx::query_as(
                "SELECT e.id, e.sha256, e.media_type, e.original_name, l.anchor, l.start_ms, l.end_ms, l.x, l.y, l.width, l.height \
                 FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id WHERE l.item_id = $1 ORDER BY l.added_at, l.n",
            )
            .bind(sid.clone())
            .fetch_all(&mut *$tx)
            .await?;
            let sighting = by_id.get(sid.as_str()).map(|r| r.reference.clone()).unwrap_or_default();
            for l in links {
                evidence_links.push(link_from_row(l, &sighting)?);
            }
        }
        // One order on every backend: by sighting, then by file.
        evidence_links.sort_by(|a, b| a.sighting.cmp(&b.sighting).then_with(|| a.sha256.cmp(&b.sha256)));
        s.sightings = rows.len() as u64;
        s.evidence = {
            let mut e: Vec<&Id> = evidence_links.iter().map(|l| &l.evidence).collect();
            e.sort();
            e.dedup();
            e.len() as u64
        };
        let mut merged_sightings: Vec<String> = rows
            .iter()
            .filter(|r| r.id != id)
            .map(|r| r.reference.clone())
            .collect();
        merged_sightings.sort_by(|a, b| collate(a, b));
        ItemDetail {
            summary: s,
            tier: Tier::Confidential,
            notes: row.notes.clone(),
            source: row.source.clone(),
            created_at: row.created_at.clone(),
            created_by: row.created_by.clone(),
            updated_at: row.updated_at.clone(),
            updated_by: row.updated_by.clone(),
            authors: authors.into_iter().map(|(a,)| a).collect(),
            identifications: idents
                .into_iter()
                .map(|r| identification_from_row(r, row.identification_id.as_deref()))
                .collect::<Result<_, _>>()?,
            merged_sightings,
            evidence_links,
            reviews: reviews
                .into_iter()
                .map(|(from, to, reason, by, at)| {
                    Ok(Review {
                        from: from.parse().map_err(|e| invalid("review", e))?,
                        to: to.parse().map_err(|e| invalid("review", e))?,
                        reason,
                        by,
                        at,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        }
    }};
}

impl Store {
    /// Creates one documented item in `investigation` (by name). Needs `write documented_item`
    /// and membership. Returns the new item's reference.
    pub async fn add_item(
        &self,
        by: &Identity,
        investigation: &str,
        draft: &ItemDraft,
    ) -> Result<String, StoreError> {
        draft
            .validate()
            .map_err(|e| Error::new(Code::InputInvalid, e))?;
        let reference = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let inv = investigation_for_write(&mut tx, by, investigation, Action::Write, Resource::DocumentedItem).await?;
            let reference = match &draft.reference {
                Some(r) => {
                    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE investigation_id = $1 AND ref = $2")
                        .bind(&inv).bind(r).fetch_one(&mut *tx).await?;
                    if taken > 0 {
                        return Err(Error::new(Code::ConflictExists, format!(
                            "investigation '{investigation}' already has an item '{r}': choose another reference, or edit that one"
                        )).with_field("item_ref").into());
                    }
                    r.clone()
                }
                None => format!("item-{}", next_reference(&mut tx, &inv).await?),
            };
            let content = content_of(&reference, draft);
            let ids = insert_items(&mut tx, by, &inv, &[(reference.clone(), draft, Some(content))]).await?;
            let mut c = change(by, "item.add", "documented_item", ids.first().cloned(), None,
                Some(draft_json(&reference, draft)));
            c.investigation = Some(inv.clone());
            commit_signed(self, tx, vec![vouch(c, ids.iter().map(|id| Record::new(Kind::Item, id.as_str())))]).await?;
            reference
        });
        Ok(reference)
    }

    /// Imports items into `investigation` in one transaction: all or nothing. An item whose
    /// reference exists with the same content is left alone (importing a file twice adds
    /// nothing); one whose content differs is refused, naming its line.
    pub async fn import_items(
        &self,
        by: &Identity,
        investigation: &str,
        file: &str,
        sha256: &str,
        drafts: &[(u64, ItemDraft)],
    ) -> Result<ItemImportReport, StoreError> {
        let report = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let inv = investigation_for_write(&mut tx, by, investigation, Action::Write, Resource::DocumentedItem).await?;
            // Only the references this file brings are looked up (an investigation of a million
            // items is not read to import a thousand more).
            let mut existing: HashMap<String, Option<String>> = HashMap::new();
            let refs: Vec<&String> = drafts.iter().filter_map(|(_, d)| d.reference.as_ref()).collect();
            for chunk in refs.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT ref, content_sha256 FROM items WHERE investigation_id = $1 AND ref IN ({})",
                    marks.join(", ")
                );
                let mut q = sqlx::query_as::<_, (String, Option<String>)>(sqlx::AssertSqlSafe(sql)).bind(&inv);
                for r in chunk {
                    q = q.bind((*r).clone());
                }
                existing.extend(q.fetch_all(&mut *tx).await?);
            }
            let mut new = Vec::new();
            let mut unchanged = 0u64;
            let mut seen: HashMap<String, u64> = HashMap::new();
            for (line, d) in drafts {
                if let Some(r) = &d.reference
                    && let Some(first) = seen.insert(r.clone(), *line)
                {
                    return Err(Error::new(Code::ImportInvalid, format!(
                        "'{r}' is already used on line {first}; nothing was imported"
                    )).with_file(file).with_line(*line).with_field("item_ref").into());
                }
                let reference = d.reference.clone().ok_or_else(|| StoreError::from(Error::new(Code::ImportInvalid,
                    "every imported item needs its reference; nothing was imported").with_file(file).with_line(*line).with_field("item_ref")))?;
                let content = content_of(&reference, d);
                match existing.get(&reference) {
                    Some(Some(c)) if *c == content => unchanged += 1,
                    Some(_) => return Err(StoreError::from(Error::new(Code::ConflictExists, format!(
                        "investigation '{investigation}' already has an item '{reference}' with other content: edit that item, or give this one another reference; nothing was imported"
                    )).with_file(file).with_line(*line).with_field("item_ref"))),
                    None => new.push((reference, d, Some(content))),
                }
            }
            let ids = if new.is_empty() { Vec::new() } else { insert_items(&mut tx, by, &inv, &new).await? };
            let mut c = change(by, "item.import", "documented_item", None, None, Some(json!({
                "file": file, "sha256": sha256, "added": new.len(), "unchanged": unchanged,
                "references": new.iter().map(|(r, _, _)| r.as_str()).collect::<Vec<_>>(),
            })));
            c.investigation = Some(inv.clone());
            commit_signed(self, tx, vec![vouch(c, ids.iter().map(|id| Record::new(Kind::Item, id.as_str())))]).await?;
            ItemImportReport { investigation: investigation.to_string(), added: new.len() as u64, unchanged }
        });
        Ok(report)
    }

    /// Replaces an item's content with `draft` (the caller builds it from the current item and
    /// the changes), if the item is still at `version` (its content hash when the caller read
    /// it): an edit made against a version that has changed since is refused with
    /// `conflict.stale`, so that two editors never overwrite each other. A changed
    /// identification is recorded as a new identification; a verified item goes back to
    /// unverified, since what was verified has changed. Returns the new status and version.
    pub async fn edit_item(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        version: &str,
        draft: &ItemDraft,
    ) -> Result<(VerificationStatus, String), StoreError> {
        draft
            .validate()
            .map_err(|e| Error::new(Code::InputInvalid, e))?;
        let status = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let item = authorize_item(&mut tx, by, key, investigation, Action::Write).await?;
            let before = detail_in!(tx, &item.id);
            let reference = draft.reference.clone().unwrap_or_else(|| item.reference.clone());
            if reference != item.reference {
                let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE investigation_id = $1 AND ref = $2")
                    .bind(&item.investigation_id).bind(&reference).fetch_one(&mut *tx).await?;
                if taken > 0 {
                    return Err(Error::new(Code::ConflictExists, format!("investigation '{}' already has an item '{reference}'", item.investigation)).with_field("item_ref").into());
                }
            }
            let stored: Option<String> = sqlx::query_scalar("SELECT content_sha256 FROM items WHERE id = $1")
                .bind(&item.id).fetch_one(&mut *tx).await?;
            if stored.as_deref().unwrap_or_default() != version {
                return Err(Error::new(Code::ConflictStale, format!(
                    "{} has changed since this edit was made (it is at version {}, the edit was made against {}): read it again and make the edit on what it holds now",
                    item.reference,
                    short_version(stored.as_deref().unwrap_or_default()),
                    short_version(version),
                )).with_field("version").with_hint(Hint::ShowItem).into());
            }
            if stored.as_deref() == Some(content_of(&reference, draft).as_str()) {
                return Err(Error::new(Code::InputNoChange, format!(
                    "nothing to change in {}: give the fields that change",
                    item.reference
                )).into());
            }
            let old: VerificationStatus = item.verification.parse().map_err(|e| invalid("verification", e))?;
            let status = old.after_edit();
            let cells = item_cells(draft);
            let mut sets: Vec<String> = cells.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let n = cells.len();
            sets.push(format!("ref = ${}", n + 1));
            sets.push(format!("verification = ${}", n + 2));
            sets.push(format!("updated_at = ${}", n + 3));
            sets.push(format!("updated_by = ${}", n + 4));
            sets.push(format!("content_sha256 = ${}", n + 5));
            let sql = format!("UPDATE items SET {} WHERE id = ${}", sets.join(", "), n + 6);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (_, v) in cells {
                q = match v {
                    Cell::Text(s) => q.bind(s),
                    Cell::Int(i) => q.bind(i),
                    Cell::Float(x) => q.bind(x),
                    Cell::Bool(b) => q.bind(b),
                    Cell::Bytes(b) => q.bind(b),
                };
            }
            q.bind(&reference).bind(status.as_str()).bind(now()).bind(by.name())
                .bind(content_of(&reference, draft)).bind(&item.id)
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE items SET sort_key = $1 WHERE id = $2")
                .bind(sort_key(&reference, &item.id)).bind(&item.id).execute(&mut *tx).await?;
            refresh_weapon(&mut tx, item.merged_into.as_deref().unwrap_or(&item.id)).await?;
            sqlx::query("DELETE FROM markings WHERE item_id = $1").bind(&item.id).execute(&mut *tx).await?;
            insert_markings(&mut tx, &item.id, &draft.markings).await?;
            let current = before.identifications.iter().find(|i| i.current);
            let same_identification = match (&draft.identification, current) {
                (None, None) => true,
                (Some(d), Some(c)) => d.model.as_ref().map(|m| m.designation.clone()) == c.model
                    && d.country_of_manufacture == c.country_of_manufacture
                    && d.year_of_manufacture.map(|y| y.to_string()) == c.year_of_manufacture
                    && d.basis.as_str() == c.basis,
                _ => false,
            };
            if !same_identification {
                let ident = match &draft.identification {
                    Some(i) => Some(insert_identification(&mut tx, by, &item.id, i, Id::new_random().to_string()).await?),
                    None => None,
                };
                sqlx::query("UPDATE items SET identification_id = $1 WHERE id = $2")
                    .bind(ident).bind(&item.id).execute(&mut *tx).await?;
            }
            add_author(&mut tx, std::slice::from_ref(&item.id), by).await?;
            if status != old {
                insert_review(&mut tx, &item.investigation_id, "documented_item", &item.id, old, status,
                    &format!("edited by {} after review: the content that was verified has changed", by.name()), by.name()).await?;
            }
            let mut c = change(by, "item.edit", "documented_item", Some(item.id.clone()),
                Some(summary_json(&before.summary)),
                Some(draft_json(&reference, draft)));
            c.investigation = Some(item.investigation_id.clone());
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Item, item.id.as_str())])]).await?;
            (status, content_of(&reference, draft))
        });
        Ok(status)
    }

    /// Merges sightings of one physical weapon: each of `others` (and any sightings already
    /// merged into them) points at `keep`, keeping its own markings and evidence. All must be in
    /// the same investigation. Returns the references merged.
    pub async fn merge_items(
        &self,
        by: &Identity,
        keep: &str,
        others: &[String],
        investigation: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let merged = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let mut target = authorize_item(&mut tx, by, keep, investigation, Action::Write).await?;
            // Merging into a sighting merges into the weapon it belongs to.
            if let Some(root) = target.merged_into.clone() {
                let found = find_item(&mut tx, &root, None).await?.into_iter().filter(|f| f.id == root).collect();
                target = one_item(&root, found)?;
            }
            let mut merged = Vec::new();
            let mut moved = Vec::new();
            for key in others {
                let other = authorize_item(&mut tx, by, key, Some(&target.investigation), Action::Write).await?;
                if other.id == target.id || other.merged_into.as_deref() == Some(target.id.as_str()) {
                    return Err(Error::new(Code::ConflictState, format!("{key} is already {} (or one of its sightings)", target.reference)).into());
                }
                if let Some(root) = &other.merged_into {
                    let root_ref: Option<String> = sqlx::query_scalar("SELECT ref FROM items WHERE id = $1")
                        .bind(root).fetch_optional(&mut *tx).await?;
                    let root_ref = root_ref.unwrap_or_else(|| root.clone());
                    return Err(Error::new(Code::ConflictState, format!(
                        "{key} is a sighting of {root_ref}: merge {root_ref} (the weapon) into {}, or unmerge {key} first",
                        target.reference
                    )).into());
                }
                // The weapon and every sighting already merged into it.
                let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, ref FROM items WHERE merged_into = $1 OR id = $1")
                    .bind(&other.id).fetch_all(&mut *tx).await?;
                for (id, reference) in &rows {
                    sqlx::query("UPDATE items SET merged_into = $1, weapon_id = $1, sightings = 1, updated_at = $2, updated_by = $3 WHERE id = $4")
                        .bind(&target.id).bind(now()).bind(by.name()).bind(id).execute(&mut *tx).await?;
                    moved.push(json!({
                        "id": id,
                        "reference": reference,
                        "merged_into_before": if *id == other.id { serde_json::Value::Null } else { json!(other.id) },
                    }));
                    merged.push(reference.clone());
                }
            }
            // Saying two sightings are one weapon is a claim about the weapon: its maker is one
            // of its authors, and may not verify it.
            add_author(&mut tx, std::slice::from_ref(&target.id), by).await?;
            refresh_weapon(&mut tx, &target.id).await?;
            let mut c = change(by, "item.merge", "documented_item", Some(target.id.clone()), None,
                Some(json!({"into": target.reference, "moved": moved})));
            c.investigation = Some(target.investigation_id.clone());
            let records: Vec<Record> = std::iter::once(target.id.clone())
                .chain(moved.iter().filter_map(|m| m["id"].as_str().map(str::to_string)))
                .map(|id| Record::new(Kind::Item, id))
                .collect();
            commit_signed(self, tx, vec![vouch(c, records)]).await?;
            merged
        });
        Ok(merged)
    }

    /// Separates a sighting that was merged by mistake: it becomes its own weapon again.
    pub async fn unmerge_item(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
    ) -> Result<String, StoreError> {
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let item = authorize_item(&mut tx, by, key, investigation, Action::Write).await?;
            let Some(from) = item.merged_into.clone() else {
                return Err(Error::new(Code::ConflictState, format!("{} is not merged into another item", item.reference)).into());
            };
            sqlx::query("UPDATE items SET merged_into = NULL, weapon_id = id, updated_at = $1, updated_by = $2 WHERE id = $3")
                .bind(now()).bind(by.name()).bind(&item.id).execute(&mut *tx).await?;
            refresh_weapon(&mut tx, &item.id).await?;
            refresh_weapon(&mut tx, &from).await?;
            let mut c = change(by, "item.unmerge", "documented_item", Some(item.id.clone()),
                Some(json!({"merged_into": from})), Some(json!({"merged_into": null})));
            c.investigation = Some(item.investigation_id.clone());
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Item, item.id.as_str())])]).await?;
            Ok(item.reference)
        })
    }

    /// Reviews an item: moves its verification status, with a reason. Needs `review
    /// documented_item` (reviewers, admins) and may not be done by any of the item's authors.
    pub async fn review_item(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        to: VerificationStatus,
        reason: &str,
    ) -> Result<Review, StoreError> {
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let item = authorize_item(&mut tx, by, key, investigation, Action::Review).await?;
            // Verification is of the weapon: a sighting merged into it is reviewed with it.
            if let Some(root) = &item.merged_into {
                let root_ref: Option<String> = sqlx::query_scalar("SELECT ref FROM items WHERE id = $1")
                    .bind(root).fetch_optional(&mut *tx).await?;
                let root_ref = root_ref.unwrap_or_else(|| root.clone());
                return Err(Error::new(Code::ConflictState, format!(
                    "{} is a sighting of {root_ref}: a weapon is verified as one, so review {root_ref} (or unmerge {} first)",
                    item.reference, item.reference
                )).into());
            }
            let authors: Vec<String> = sqlx::query_scalar("SELECT user_name FROM item_authors WHERE item_id = $1")
                .bind(&item.id).fetch_all(&mut *tx).await?;
            let from: VerificationStatus = item.verification.parse().map_err(|e| invalid("verification", e))?;
            check_review(&authors, by.name(), from, to, reason)?;
            sqlx::query("UPDATE items SET verification = $1 WHERE id = $2")
                .bind(to.as_str()).bind(&item.id).execute(&mut *tx).await?;
            refresh_weapon(&mut tx, item.merged_into.as_deref().unwrap_or(&item.id)).await?;
            let review = insert_review(&mut tx, &item.investigation_id, "documented_item", &item.id, from, to, reason.trim(), by.name()).await?;
            let mut c = change(by, "item.review", "documented_item", Some(item.id.clone()),
                Some(json!({"verification": from})), Some(json!({"verification": to, "reason": reason.trim()})));
            c.investigation = Some(item.investigation_id.clone());
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Item, item.id.as_str())])]).await?;
            Ok(review)
        })
    }

    /// Every item the reader may see that passes the filters, page after page (see
    /// [`Store::items_page`]): one row per distinct weapon unless `sightings`, sorted by
    /// investigation, then reference, in the reader's tier.
    pub async fn items(
        &self,
        by: &Identity,
        filter: &ItemFilter,
        tier: Option<Tier>,
    ) -> Result<(Tier, Vec<ItemSummary>), StoreError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .items_page(by, filter, tier, crate::MAX_PAGE, after.as_deref())
                .await?;
            all.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok((page.tier, all)),
            }
        }
    }

    /// One item with everything about it.
    pub async fn item(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        tier: Option<Tier>,
    ) -> Result<ItemDetail, StoreError> {
        let tier = self.tier_for(by, tier).await?;
        self.item_in_tier(by, key, investigation, tier).await
    }

    /// An item as its editor needs it: everything, once the reader has shown they may write
    /// items (so a reader who may not is told that, not something about tiers). The result is
    /// for merging an edit, never for display.
    pub async fn item_for_edit(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
    ) -> Result<ItemDetail, StoreError> {
        let user = self.acting_user(by.name()).await?;
        armtrace_core::access::check(
            &user,
            Action::Write,
            Resource::DocumentedItem,
            armtrace_core::access::Scope::Global,
            None,
        )?;
        self.item_in_tier(by, key, investigation, Tier::Confidential)
            .await
    }

    async fn item_in_tier(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        tier: Tier,
    ) -> Result<ItemDetail, StoreError> {
        let visible = self
            .visible_investigations(by, Action::Read, Resource::DocumentedItem)
            .await?;
        let found = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let found = find_item(&mut tx, key, investigation).await?;
            tx.commit().await?;
            found
        });
        let found: Vec<FoundItem> = found
            .into_iter()
            .filter(|f| {
                visible
                    .as_ref()
                    .is_none_or(|v| v.contains(&f.investigation_id))
            })
            .collect();
        let item = one_item(key, found)?;
        let mut detail = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let d = detail_in!(tx, &item.id);
            tx.commit().await?;
            d
        });
        detail.tier = tier;
        Ok(crate::tier::in_tier(detail, tier))
    }

    /// The tier a reader gets: public unless they ask for confidential and may read it.
    pub(crate) async fn tier_for(
        &self,
        by: &Identity,
        requested: Option<Tier>,
    ) -> Result<Tier, StoreError> {
        let user = self.acting_user(by.name()).await?;
        tier_of(&user, requested)
    }
}

/// id, model, category, country_of_manufacture, year_of_manufacture, basis, by, at, origin, notes
type IdentificationRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn identification_from_row(
    r: IdentificationRow,
    current: Option<&str>,
) -> Result<IdentificationRecord, StoreError> {
    let (id, model, category, country, year, basis, by, at, origin, notes) = r;
    Ok(IdentificationRecord {
        current: current == Some(id.as_str()),
        id: id.parse().map_err(|e| invalid("identification id", e))?,
        model,
        category,
        country_of_manufacture: country,
        year_of_manufacture: year,
        basis,
        by,
        at,
        origin,
        notes,
    })
}

/// evidence id, sha256, media type, original name, anchor, start, end, x, y, width, height
pub(crate) type LinkRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn link_from_row(l: LinkRow, sighting: &str) -> Result<ItemEvidence, StoreError> {
    use armtrace_core::evidence::EvidenceAnchor;
    let (id, sha256, media_type, original_name, anchor, start, end, x, y, w, h) = l;
    let u = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
    let u32_ = |v: Option<i64>| u32::try_from(v.unwrap_or(0)).unwrap_or(0);
    let anchor = match anchor.as_str() {
        "time_code" => EvidenceAnchor::TimeCode {
            start_ms: u(start),
            end_ms: end.map(|e| e.max(0) as u64),
        },
        "region" => EvidenceAnchor::Region {
            x: u32_(x),
            y: u32_(y),
            width: u32_(w),
            height: u32_(h),
        },
        _ => EvidenceAnchor::Whole,
    };
    Ok(ItemEvidence {
        evidence: id.parse().map_err(|e| invalid("evidence id", e))?,
        sha256,
        media_type,
        original_name,
        sighting: sighting.to_string(),
        anchor,
    })
}

/// Records a change of verification status.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_review<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    investigation_id: &str,
    record_kind: &str,
    record_id: &str,
    from: VerificationStatus,
    to: VerificationStatus,
    reason: &str,
    by: &str,
) -> Result<Review, StoreError>
where
    DB: BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let at = now();
    insert_rows(
        tx,
        "reviews",
        &[
            "id",
            "investigation_id",
            "record_kind",
            "record_id",
            "from_status",
            "to_status",
            "reason",
            "by_name",
            "at",
        ],
        vec![vec![
            Cell::from(Id::new_random().to_string()),
            Cell::from(investigation_id),
            Cell::from(record_kind),
            Cell::from(record_id),
            Cell::from(from.as_str()),
            Cell::from(to.as_str()),
            Cell::from(reason),
            Cell::from(by),
            Cell::from(at.as_str()),
        ]],
        OnConflict::Fail,
    )
    .await?;
    Ok(Review {
        from,
        to,
        reason: reason.to_string(),
        by: by.to_string(),
        at,
    })
}

/// A listing row from a stored item, in `tier`.
pub(crate) fn summary(
    r: &ItemRow,
    markings: &HashMap<String, Vec<Marking>>,
    by_id: &HashMap<&str, &ItemRow>,
) -> Result<ItemSummary, StoreError> {
    let place = (r.lat.is_some() || r.place_name.is_some() || r.country.is_some()).then(|| Place {
        lat: r.lat,
        lon: r.lon,
        precision_m: r.precision_m.and_then(|p| u32::try_from(p).ok()),
        name: r.place_name.clone(),
        country: r.country.clone(),
    });
    // The confidential form: readers get it through `tier::in_tier`.
    let acquisition = match (&r.acquisition_route, &r.acquisition_basis) {
        (Some(route), Some(basis)) => Some(Acquisition {
            route: route.parse().map_err(|e| invalid("acquisition", e))?,
            basis: basis.parse().map_err(|e| invalid("acquisition", e))?,
            event: None,
        }),
        _ => None,
    };
    Ok(ItemSummary {
        id: r.id.parse().map_err(|e| invalid("item id", e))?,
        investigation: r.investigation.clone(),
        reference: r.reference.clone(),
        model: r.model.clone(),
        category: r.category.clone(),
        description: r.description.clone(),
        made_in: r.made_in.clone(),
        year_made: r.year_made.clone(),
        place,
        country_basis: parse_opt("country basis", &r.country_basis)?,
        location_sensitive: r.location_sensitive,
        date: parse_opt("date", &r.date_text)?,
        possessor: parse_opt("possessor", &r.possessor)?,
        acquisition,
        verification: r
            .verification
            .parse()
            .map_err(|e| invalid("verification", e))?,
        merged_into: r.merged_into.as_deref().map(|m| {
            by_id
                .get(m)
                .map(|x| x.reference.clone())
                .unwrap_or_else(|| m.to_string())
        }),
        sightings: 1,
        evidence: 0,
        markings: markings.get(&r.id).cloned().unwrap_or_default(),
        version: r.version.clone(),
    })
}

/// A listing row in the confidential tier, without its sightings and evidence counts.
pub(crate) fn summary_of(
    r: &ItemRow,
    markings: &HashMap<String, Vec<Marking>>,
) -> Result<ItemSummary, StoreError> {
    summary(r, markings, &HashMap::new())
}
