//! Documented items: document one, edit it (the rules by which an edit's fields merge with what
//! the item holds live here, once), add a marking, show, list, import, merge and unmerge
//! sightings, review.

use crate::{App, Identity};
use armtrace_core::actor::Party;
use armtrace_core::error::{Code, Error, Result};
use armtrace_core::investigation::Tier;
use armtrace_core::item::{CountryBasis, VerificationStatus};
use armtrace_core::marking::Marking;
use armtrace_ingest::items::{
    Drafted, FieldError, ItemLookup, MapAnswer, parse_items, parse_marking_arg,
};
use armtrace_store::{ItemDetail, ItemFilter, ItemImportReport, ItemSummary, Review, Store};
use serde::Serialize;
use std::path::PathBuf;

pub use armtrace_ingest::items::{ItemFields, MarkingFields};

/// An item documented.
#[derive(Clone, Debug, Serialize)]
pub struct AddedItem {
    pub reference: String,
    pub investigation: String,
    /// Worth a look, not errors: a point near a border, a point at sea.
    pub warnings: Vec<String>,
}

/// What an edit changes. Fields given in `set` replace the item's; the rest stay.
#[derive(Clone, Debug, Default)]
pub struct ItemEdit {
    /// The item: a reference, an id, or a unique leading part of an id.
    pub item: String,
    /// The investigation, when the reference is used in several.
    pub investigation: Option<String>,
    /// The version the edit was made against (the item's `version` when it was read). `None`:
    /// the version read just before the edit, which still refuses an edit that another writer
    /// overtakes between the two.
    pub version: Option<String>,
    pub set: ItemFields,
    /// The model is no longer known: the item becomes unidentified (it needs a description).
    pub unidentified: bool,
    pub clear_coordinates: bool,
    pub clear_date: bool,
    pub not_sensitive: bool,
    /// Markings to remove, numbered from 1 as the item shows them.
    pub remove_markings: Vec<usize>,
}

/// An item edited.
#[derive(Clone, Debug, Serialize)]
pub struct EditedItem {
    pub reference: String,
    /// The verification status after the edit (an edit of a verified item makes it unverified).
    pub status: VerificationStatus,
    /// The new version.
    pub version: String,
    pub warnings: Vec<String>,
}

/// What `items list` asks: filters as users write them (names, codes, partial dates).
#[derive(Clone, Debug, Default)]
pub struct ItemQuery {
    pub investigation: Option<String>,
    /// Country of manufacture: a name as sources write it, or a code.
    pub made_in: Option<String>,
    /// Possessor: a country, an actor or `unknown`.
    pub possessor: Option<String>,
    /// Text in the model's designation.
    pub model: Option<String>,
    /// A category code, code prefix or name.
    pub category: Option<String>,
    /// Country where the item was seen.
    pub country: Option<String>,
    /// Text in the place name.
    pub place: Option<String>,
    /// Seen on or after (a partial date).
    pub from: Option<String>,
    /// Seen on or before (a partial date).
    pub to: Option<String>,
    pub status: Option<String>,
    /// Every sighting, merged ones included (default: one row per distinct weapon).
    pub sightings: bool,
    /// `public` (default) or `confidential`.
    pub tier: Option<String>,
    /// At most this many (a page); `None`: every one.
    pub limit: Option<u64>,
    /// Where the page starts: the `next` cursor of the page before.
    pub after: Option<String>,
}

/// A listing of items (all of them, or one page).
#[derive(Clone, Debug, Serialize)]
pub struct ItemList {
    pub tier: Tier,
    /// How many are listed here.
    pub count: usize,
    /// "distinct weapons" or "sightings".
    pub counts: &'static str,
    pub items: Vec<ItemSummary>,
    /// With a limit: where the next page starts (`None` on the last page).
    pub next: Option<String>,
    /// The display name of every country code and party in the listing (`CHN` → China,
    /// `actor:isil` → Islamic State), so that a reader sees names, not only codes.
    pub names: std::collections::BTreeMap<String, String>,
}

pub use armtrace_store::{ItemCount, ItemCounts, ItemGroup};

/// What importing one item file did.
#[derive(Clone, Debug, Serialize)]
pub struct ItemFileReport {
    pub file: String,
    pub sha256: String,
    pub investigation: String,
    pub added: u64,
    pub unchanged: u64,
    pub warnings: Vec<String>,
}

/// Reads `public` or `confidential`.
pub fn tier(s: Option<&str>) -> Result<Option<Tier>> {
    s.map(|t| t.parse::<Tier>().map_err(|e| Error::invalid("tier", e)))
        .transpose()
}

/// What checking items needs from the database and the shipped map.
pub(crate) struct Checks {
    resolver: armtrace_core::resolve::NameResolver,
    models: Vec<armtrace_core::model::WeaponModel>,
    map: armtrace_ingest::geo::CodedMap,
}

impl Checks {
    pub(crate) async fn load(store: &Store) -> Result<Checks> {
        Ok(Checks {
            resolver: store.resolver().await?,
            models: store.models(None).await?,
            map: crate::coded_map(store).await?,
        })
    }

    /// Checks one item's fields.
    pub(crate) fn draft(&self, fields: &ItemFields, source: &str) -> Result<Drafted> {
        self.with_lookup(|l| l.draft(fields, source))
            .map_err(field_error)
    }

    fn with_lookup<T>(&self, f: impl FnOnce(&ItemLookup<'_>) -> T) -> T {
        let map = |lat: f64, lon: f64, precision: Option<u32>| -> MapAnswer {
            self.map.answer(lat, lon, precision)
        };
        let lookup = ItemLookup::new(&self.resolver, &self.models, &map);
        f(&lookup)
    }
}

/// A field that failed its check, as `input.invalid` (or `input.missing`) for that field.
fn field_error(e: FieldError) -> Error {
    e.into()
}

/// Splits and checks `POSITION:SCRIPT:TEXT[:MASK]` (`\:` for a colon in the text): the rule is
/// `armtrace_ingest::items::parse_marking_arg`.
pub fn marking_arg(s: &str) -> Result<MarkingFields> {
    parse_marking_arg(s).map_err(field_error)
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

/// The item an edit makes of `current`: the edit's rules, in one place.
/// - a field given replaces the item's;
/// - a new model is a new identification: its country and year of manufacture and its basis
///   come from the edit (or the catalogue), never from the old identification;
/// - new coordinates are resolved to a country again (the old country and precision go);
/// - `unidentified` clears the model and what came with it; `clear_*` clear their fields;
/// - markings are removed by number (1 = the first shown), then the edit's markings added.
pub fn merge_edit(current: &ItemFields, edit: &ItemEdit) -> Result<ItemFields> {
    let mut f = current.clone();
    let mut new = edit.set.clone();
    let set = |slot: &mut Option<String>, v: &mut Option<String>| {
        if v.is_some() {
            *slot = v.take();
        }
    };
    set(&mut f.item_ref, &mut new.item_ref);
    if new.model.is_some() {
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
    if edit.unidentified {
        f.model = None;
        f.made_in = None;
        f.year_made = None;
        f.identified_by = None;
    }
    if edit.clear_coordinates {
        f.lat = None;
        f.lon = None;
        f.precision_m = None;
        f.sensitive_location = None;
    }
    if edit.clear_date {
        f.date = None;
    }
    if edit.not_sensitive {
        f.sensitive_location = None;
    }
    let mut remove = edit.remove_markings.clone();
    remove.sort_unstable();
    remove.dedup();
    for n in remove.iter().rev() {
        if *n == 0 || *n > f.markings.len() {
            return Err(Error::invalid(
                "remove_marking",
                format!(
                    "there is no marking {n}: the item has markings 1 to {}",
                    f.markings.len()
                ),
            ));
        }
        f.markings.remove(n - 1);
    }
    f.markings.extend(new.markings);
    Ok(f)
}

impl App {
    /// Documents an item in `investigation`. It starts unverified: a reviewer who did not write
    /// it verifies it.
    pub async fn add_item(
        &self,
        by: &Identity,
        investigation: &str,
        fields: &ItemFields,
        source: &str,
    ) -> Result<AddedItem> {
        self.write(by, async |store| {
            let checks = Checks::load(store).await?;
            let drafted = checks.draft(fields, source)?;
            let reference = store.add_item(by, investigation, &drafted.draft).await?;
            Ok(AddedItem {
                reference,
                investigation: investigation.to_string(),
                warnings: drafted.warnings,
            })
        })
        .await
    }

    /// Edits an item: the edit's fields merge with what the item holds (see [`merge_edit`]), the
    /// whole is checked again, and it is written only if the item is still at the version the
    /// edit was made against.
    pub async fn edit_item(&self, by: &Identity, edit: &ItemEdit) -> Result<EditedItem> {
        self.write(by, async |store| {
            // The writer's own view: permission to write is checked first, so that a reader who
            // may not edit is told that, not something about tiers.
            let detail = store
                .item_for_edit(by, &edit.item, edit.investigation.as_deref())
                .await?;
            let version = edit
                .version
                .clone()
                .unwrap_or_else(|| detail.summary.version.clone());
            let fields = merge_edit(&fields_of(&detail), edit)?;
            let checks = Checks::load(store).await?;
            let drafted = checks.draft(&fields, &detail.source)?;
            let (status, version) = store
                .edit_item(
                    by,
                    &detail.summary.id.to_string(),
                    edit.investigation.as_deref(),
                    &version,
                    &drafted.draft,
                )
                .await?;
            Ok(EditedItem {
                reference: drafted
                    .draft
                    .reference
                    .clone()
                    .unwrap_or_else(|| detail.summary.reference.clone()),
                status,
                version,
                warnings: drafted.warnings,
            })
        })
        .await
    }

    /// One item with its markings, identifications, sightings, evidence and reviews.
    pub async fn item(
        &self,
        by: &Identity,
        item: &str,
        investigation: Option<&str>,
        tier: Option<Tier>,
    ) -> Result<ItemDetail> {
        Ok(self.store.item(by, item, investigation, tier).await?)
    }

    /// The items `by` may see, one row per distinct weapon unless `query.sightings`: every one,
    /// or with `query.limit` one page of them (keyset pages: `next` says where the next starts).
    pub async fn items(&self, by: &Identity, query: &ItemQuery) -> Result<ItemList> {
        let filter = self.item_filter(query).await?;
        let tier = tier(query.tier.as_deref())?;
        let counts = if query.sightings {
            "sightings"
        } else {
            "distinct weapons"
        };
        if query.limit.is_none() && query.after.is_none() {
            let (tier, items) = self.store.items(by, &filter, tier).await?;
            let names = self.display_names(&items).await?;
            return Ok(ItemList {
                tier,
                count: items.len(),
                counts,
                items,
                next: None,
                names,
            });
        }
        let limit = query.limit.unwrap_or(armtrace_store::MAX_PAGE);
        if limit == 0 || limit > armtrace_store::MAX_PAGE {
            return Err(Error::invalid(
                "limit",
                format!(
                    "a page holds 1 to {} items: page on with the cursor",
                    armtrace_store::MAX_PAGE
                ),
            ));
        }
        let page = self
            .store
            .items_page(by, &filter, tier, limit, query.after.as_deref())
            .await?;
        let names = self.display_names(&page.items).await?;
        Ok(ItemList {
            tier: page.tier,
            count: page.items.len(),
            counts,
            items: page.items,
            next: page.next,
            names,
        })
    }

    /// The display names of the countries and parties `items` name.
    async fn display_names(
        &self,
        items: &[ItemSummary],
    ) -> Result<std::collections::BTreeMap<String, String>> {
        let mut wanted = std::collections::BTreeSet::new();
        for i in items {
            wanted.extend(i.made_in.clone());
            wanted.extend(i.place.as_ref().and_then(|p| p.country.clone()));
            if let Some(p) = &i.possessor {
                wanted.insert(p.to_string());
            }
        }
        if wanted.is_empty() {
            return Ok(Default::default());
        }
        let mut names = std::collections::BTreeMap::new();
        for c in self.store.countries(None).await? {
            let party = Party::Country(c.code.clone()).to_string();
            if wanted.contains(&c.code) {
                names.insert(c.code.clone(), c.name.clone());
            }
            if wanted.contains(&party) {
                names.insert(party, c.name.clone());
            }
        }
        for a in self.store.actors().await? {
            let party = Party::Actor(a.key.clone()).to_string();
            if wanted.contains(&party) {
                names.insert(party, a.name.clone());
            }
        }
        if wanted.contains("unknown") {
            names.insert("unknown".into(), "unknown".into());
        }
        Ok(names)
    }

    /// Distinct weapons that pass the query's filters, by `group` (`made_in`, `model`,
    /// `category`, `possessor`, `route`, `route_basis`, `decade`, `country`, `year_seen`,
    /// `status`, `investigation`). A weapon counts once in each group any of its matching
    /// sightings falls in, and once in the total.
    pub async fn item_counts(
        &self,
        by: &Identity,
        query: &ItemQuery,
        group: &str,
    ) -> Result<ItemCounts> {
        let group: ItemGroup = group.parse().map_err(|e: String| Error::invalid("by", e))?;
        let filter = self.item_filter(query).await?;
        Ok(self.store.item_counts(by, &filter, group).await?)
    }

    /// The store's filter for a query: names resolved, dates and statuses parsed.
    async fn item_filter(&self, q: &ItemQuery) -> Result<ItemFilter> {
        let resolver = self.store.resolver().await?;
        let country = |field: &str, v: &Option<String>| -> Result<Option<String>> {
            match v {
                None => Ok(None),
                Some(name) => match resolver.resolve(name) {
                    Ok(Party::Country(code)) => Ok(Some(code)),
                    Ok(other) => Err(Error::new(
                        Code::NameUnknown,
                        format!("'{name}' is {other}, not a country"),
                    )
                    .with_field(field)),
                    Err(e) => Err(Error::new(Code::NameUnknown, e.to_string()).with_field(field)),
                },
            }
        };
        let category = match &q.category {
            None => None,
            Some(c) => {
                let index = armtrace_refdata::category_index(&self.store.categories().await?);
                Some(
                    index
                        .get(&armtrace_core::text::fold(c))
                        .cloned()
                        .unwrap_or_else(|| c.clone()),
                )
            }
        };
        let date = |field: &str, v: &Option<String>| {
            v.as_deref()
                .map(|d| {
                    d.parse::<armtrace_core::PartialDate>()
                        .map_err(|e| Error::invalid(field, e.to_string()))
                })
                .transpose()
        };
        Ok(ItemFilter {
            investigation: q.investigation.clone(),
            made_in: country("made_in", &q.made_in)?,
            possessor: q
                .possessor
                .as_deref()
                .map(|p| {
                    resolver.resolve(p).map_err(|e| {
                        Error::new(Code::NameUnknown, e.to_string()).with_field("possessor")
                    })
                })
                .transpose()?,
            model: match &q.model {
                None => None,
                Some(m) => Some(self.model_designation(m).await?),
            },
            category,
            country: country("country", &q.country)?,
            place: q.place.clone(),
            from: date("from", &q.from)?,
            to: date("to", &q.to)?,
            status: q
                .status
                .as_deref()
                .map(|s| {
                    s.parse::<VerificationStatus>()
                        .map_err(|e| Error::invalid("status", e))
                })
                .transpose()?,
            sightings: q.sightings,
        })
    }

    /// The designation a `--model` filter looks for: a catalogue model named by its designation or
    /// one of its aliases (case- and accent-insensitive) stands for its designation; any other
    /// text is looked for in designations as it is.
    async fn model_designation(&self, text: &str) -> Result<String> {
        let folded = armtrace_core::text::fold(text);
        let models = self.store.models(None).await?;
        let hit = models.iter().find(|m| {
            armtrace_core::text::fold(&m.designation) == folded
                || m.aliases
                    .iter()
                    .any(|a| armtrace_core::text::fold(a) == folded)
        });
        Ok(hit.map_or_else(|| text.to_string(), |m| m.designation.clone()))
    }

    /// Imports native item files into `investigation`, each file in one transaction; importing
    /// the same items again adds nothing.
    pub async fn import_items(
        &self,
        by: &Identity,
        investigation: &str,
        files: &[PathBuf],
    ) -> Result<Vec<ItemFileReport>> {
        if files.is_empty() {
            return Err(Error::missing(
                "file",
                "give one or more item files to import",
            ));
        }
        self.write(by, async |store| {
            let checks = Checks::load(store).await?;
            let mut reports = Vec::new();
            for path in files {
                let name = path.display().to_string();
                let bytes = std::fs::read(path).map_err(|e| {
                    Error::new(Code::FileUnreadable, format!("cannot read it: {e}"))
                        .with_file(name.clone())
                })?;
                let sha = armtrace_ingest::sha256_hex(&bytes);
                let drafted = checks.with_lookup(|l| parse_items(&name, &bytes, l))?;
                let mut warnings = Vec::new();
                for d in &drafted {
                    for w in &d.warnings {
                        warnings.push(format!("{name}, line {}: {w}", d.line));
                    }
                }
                let drafts: Vec<(u64, armtrace_core::item::ItemDraft)> =
                    drafted.into_iter().map(|d| (d.line, d.draft)).collect();
                let report: ItemImportReport = store
                    .import_items(by, investigation, &name, &sha, &drafts)
                    .await?;
                reports.push(ItemFileReport {
                    file: name,
                    sha256: sha,
                    investigation: report.investigation,
                    added: report.added,
                    unchanged: report.unchanged,
                    warnings,
                });
            }
            Ok(reports)
        })
        .await
    }

    /// Merges sightings of one weapon into `keep`. Returns the references merged.
    pub async fn merge_items(
        &self,
        by: &Identity,
        keep: &str,
        others: &[String],
        investigation: Option<&str>,
    ) -> Result<Vec<String>> {
        self.write(by, async |store| {
            Ok(store.merge_items(by, keep, others, investigation).await?)
        })
        .await
    }

    /// Separates a sighting merged by mistake. Returns its reference.
    pub async fn unmerge_item(
        &self,
        by: &Identity,
        item: &str,
        investigation: Option<&str>,
    ) -> Result<String> {
        self.write(by, async |store| {
            Ok(store.unmerge_item(by, item, investigation).await?)
        })
        .await
    }

    /// Moves an item along the verification workflow (reviewers and admins; never on their
    /// own work).
    pub async fn review_item(
        &self,
        by: &Identity,
        item: &str,
        investigation: Option<&str>,
        status: &str,
        reason: &str,
    ) -> Result<Review> {
        let to: VerificationStatus = status
            .parse()
            .map_err(|e: String| Error::invalid("status", e))?;
        self.write(by, async |store| {
            Ok(store
                .review_item(by, item, investigation, to, reason)
                .await?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ItemFields {
        ItemFields {
            item_ref: Some("CAR-1".into()),
            model: Some("Type 56".into()),
            made_in: Some("CHN".into()),
            year_made: Some("1971".into()),
            identified_by: Some("markings".into()),
            lat: Some("36.34".into()),
            lon: Some("43.13".into()),
            precision_m: Some("50".into()),
            country: Some("IRQ".into()),
            sensitive_location: Some("true".into()),
            date: Some("2014-06".into()),
            markings: vec![
                marking_arg("receiver:digits:66").unwrap_or_default(),
                marking_arg("receiver:latin:56-1").unwrap_or_default(),
            ],
            ..ItemFields::default()
        }
    }

    /// The edit-merge rules as data: an edit, and what the merged fields hold.
    #[test]
    fn edits_merge_with_the_item_by_these_rules() {
        type Check = fn(&ItemFields) -> bool;
        let cases: Vec<(&str, ItemEdit, Check)> = vec![
            (
                "a new model drops the old identification's country, year and basis",
                ItemEdit {
                    set: ItemFields {
                        model: Some("AKM".into()),
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| {
                    f.model.as_deref() == Some("AKM")
                        && f.made_in.is_none()
                        && f.year_made.is_none()
                        && f.identified_by.is_none()
                },
            ),
            (
                "a new model with its country keeps the country given",
                ItemEdit {
                    set: ItemFields {
                        model: Some("AKM".into()),
                        made_in: Some("SUHH".into()),
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| f.made_in.as_deref() == Some("SUHH") && f.year_made.is_none(),
            ),
            (
                "new coordinates resolve the country again and drop the old precision",
                ItemEdit {
                    set: ItemFields {
                        lat: Some("35.0".into()),
                        lon: Some("38.0".into()),
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| {
                    f.lat.as_deref() == Some("35.0")
                        && f.country.is_none()
                        && f.precision_m.is_none()
                        && f.sensitive_location.is_some()
                },
            ),
            (
                "unidentified clears the model and what came with it",
                ItemEdit {
                    unidentified: true,
                    set: ItemFields {
                        description: Some("a rifle".into()),
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| {
                    f.model.is_none()
                        && f.made_in.is_none()
                        && f.description.as_deref() == Some("a rifle")
                },
            ),
            (
                "clearing coordinates also clears precision and sensitivity",
                ItemEdit {
                    clear_coordinates: true,
                    ..ItemEdit::default()
                },
                |f| {
                    f.lat.is_none()
                        && f.lon.is_none()
                        && f.precision_m.is_none()
                        && f.sensitive_location.is_none()
                        && f.country.as_deref() == Some("IRQ")
                },
            ),
            (
                "markings are removed by number, then the new ones added",
                ItemEdit {
                    remove_markings: vec![1, 1],
                    set: ItemFields {
                        markings: vec![marking_arg("stock:latin:X").unwrap_or_default()],
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| {
                    f.markings
                        .iter()
                        .map(|m| m.text.as_str())
                        .collect::<Vec<_>>()
                        == ["56-1", "X"]
                },
            ),
            (
                "fields not given stay",
                ItemEdit {
                    set: ItemFields {
                        notes: Some("seen again".into()),
                        ..ItemFields::default()
                    },
                    ..ItemEdit::default()
                },
                |f| f.model.as_deref() == Some("Type 56") && f.date.as_deref() == Some("2014-06"),
            ),
        ];
        for (what, edit, check) in cases {
            let merged = merge_edit(&fields(), &edit).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(check(&merged), "{what}: {merged:?}");
        }
    }

    #[test]
    fn removing_a_marking_that_is_not_there_names_the_range() {
        let edit = ItemEdit {
            remove_markings: vec![3],
            ..ItemEdit::default()
        };
        let e = merge_edit(&fields(), &edit)
            .err()
            .map(|e| (e.code(), e.to_string()));
        assert_eq!(
            e,
            Some((
                Code::InputInvalid,
                "there is no marking 3: the item has markings 1 to 2".to_string()
            ))
        );
    }

    #[test]
    fn marking_arguments() {
        for (arg, want) in [
            ("receiver:latin:56-1", Some(("56-1", None))),
            (
                "receiver:latin:56-1?23:....?..",
                Some(("56-1?23", Some("....?.."))),
            ),
            ("receiver:latin:A\\:B", Some(("A:B", None))),
            ("receiver:latin:A:B", None),
            ("receiver:latin:56-1?23:...~?.x", None),
            ("receiver:latin:ABC:..", None),
            ("receiver", None),
        ] {
            let got = marking_arg(arg).ok();
            assert_eq!(
                got.as_ref().map(|m| (m.text.as_str(), m.mask.as_deref())),
                want,
                "{arg}"
            );
        }
    }
}
