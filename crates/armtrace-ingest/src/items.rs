//! Documented items from the investigator's own words: the fields of `armtrace items add` and of
//! the native item format, checked and resolved into [`ItemDraft`]s. The same fields come as CSV
//! (a header row, RFC 4180 quoting, UTF-8; one row per marking, rows of one item share its
//! `item_ref`) or JSONL (one JSON object per item, its markings in a `markings` array).
//!
//! | field | meaning |
//! |---|---|
//! | `item_ref` | required in files: the investigator's reference for the item, unique in the investigation |
//! | `model` | a designation or alias from the weapon catalogue (`armtrace models`); leave it empty for an unidentified item |
//! | `description` | what was seen; required when there is no model |
//! | `made_in` | country of manufacture (a name or code); when empty and the catalogue knows one producing country, that one |
//! | `year_made` | year of manufacture, `YYYY` or `YYYY-MM` |
//! | `identified_by` | what the identification rests on: `markings`, `physical_features`, `documents`, `expert_opinion`, `catalogue_rule` (default: `markings` when the item has markings, else `physical_features`) |
//! | `lat`, `lon` | WGS 84 decimal degrees; the country is then resolved from the bundled map |
//! | `precision_m` | radius in metres within which the item was |
//! | `place` | a place name, when there are no coordinates (or as well) |
//! | `country` | the country, when there are no coordinates, or to settle a point near a border |
//! | `sensitive_location` | `true` when exact coordinates must stay in the confidential tier |
//! | `date` | when it was seen, `YYYY`, `YYYY-MM` or `YYYY-MM-DD` |
//! | `possessor` | who held it: a country or actor name, `actor:KEY`, `country:CODE` or `unknown` |
//! | `acquired` | `looted_from_stocks`, `captured_in_battle`, `illicit_trade`, `defection` or `unknown` |
//! | `acquired_basis` | how that is known: `observed`, `reported` or `inferred` (required with `acquired`) |
//! | `notes` | free text |
//! | `marking_position` | `receiver`, `barrel`, `bolt`, … (see `armtrace items add --help`) |
//! | `marking_script` | `latin`, `cyrillic`, `arabic`, `persian`, `chinese`, … |
//! | `marking_text` | the text exactly as read, `?` for each unreadable character |
//! | `marking_mask` | legibility per character: `.` clear, `~` uncertain, `?` unreadable |
//! | `marking_transliteration` | Latin transliteration of non-Latin text |
//! | `marking_symbol` | enclosing symbol: `triangle`, `oval`, `circle`, `double_circle`, … |
//!
//! Imports never set a verification status: every imported item starts unverified, and a
//! reviewer who did not write it verifies it.

use crate::IngestError;
use crate::text::decode;
use armtrace_core::actor::Party;
use armtrace_core::date::PartialDate;
use armtrace_core::item::{
    Acquisition, AcquisitionRoute, Basis, CountryBasis, IdentificationBasis, IdentificationDraft,
    ItemDraft, ModelRef, Place,
};
use armtrace_core::marking::{EnclosingSymbol, Marking, MarkingPosition, Script};
use armtrace_core::model::WeaponModel;
use armtrace_core::resolve::NameResolver;
use armtrace_core::text::fold;
use std::collections::HashMap;

/// The item fields of the native format, in the order a CSV header lists them.
pub const ITEM_FIELDS: [&str; 18] = [
    "item_ref",
    "model",
    "description",
    "made_in",
    "year_made",
    "identified_by",
    "lat",
    "lon",
    "precision_m",
    "place",
    "country",
    "sensitive_location",
    "date",
    "possessor",
    "acquired",
    "acquired_basis",
    "notes",
    "markings",
];

/// The marking fields: CSV columns prefixed `marking_`, JSONL keys of a `markings` entry.
pub const MARKING_FIELDS: [&str; 6] = [
    "position",
    "script",
    "text",
    "mask",
    "transliteration",
    "symbol",
];

/// One marking as typed or read from a file, before checking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarkingFields {
    pub position: String,
    pub script: String,
    pub text: String,
    pub mask: Option<String>,
    pub transliteration: Option<String>,
    pub symbol: Option<String>,
}

/// An item as typed or read from a file, before checking: every field as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFields {
    pub item_ref: Option<String>,
    pub model: Option<String>,
    pub description: Option<String>,
    pub made_in: Option<String>,
    pub year_made: Option<String>,
    pub identified_by: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub precision_m: Option<String>,
    pub place: Option<String>,
    pub country: Option<String>,
    pub sensitive_location: Option<String>,
    pub date: Option<String>,
    pub possessor: Option<String>,
    pub acquired: Option<String>,
    pub acquired_basis: Option<String>,
    pub notes: Option<String>,
    pub markings: Vec<MarkingFields>,
}

/// What the map says about a point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapAnswer {
    /// The country whose borders contain the point, by armtrace code.
    pub country: Option<String>,
    /// Other countries within the point's precision radius.
    pub also_possible: Vec<String>,
}

/// A checked item and what the investigator should know about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Drafted {
    pub draft: ItemDraft,
    /// Not errors, but worth a look: a point near a border, a point at sea.
    pub warnings: Vec<String>,
    /// The line of the file the item starts on (imports only).
    pub line: u64,
}

/// A field that failed its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What checking an item needs: names, the weapon catalogue and the map.
pub struct ItemLookup<'a> {
    resolver: &'a NameResolver,
    models: HashMap<String, Vec<ModelEntry>>,
    map: &'a (dyn Fn(f64, f64, Option<u32>) -> MapAnswer + Sync),
}

impl std::fmt::Debug for ItemLookup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemLookup")
            .field("model_names", &self.models.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
struct ModelEntry {
    model: ModelRef,
    /// The one country that produces it, when the catalogue names exactly one.
    sole_producer: Option<String>,
}

impl<'a> ItemLookup<'a> {
    /// `map` resolves a point (lat, lon, precision in metres) to countries.
    pub fn new(
        resolver: &'a NameResolver,
        models: &[WeaponModel],
        map: &'a (dyn Fn(f64, f64, Option<u32>) -> MapAnswer + Sync),
    ) -> ItemLookup<'a> {
        let mut index: HashMap<String, Vec<ModelEntry>> = HashMap::new();
        for m in models {
            let mut producers: Vec<&str> = m
                .producers
                .iter()
                .filter_map(|p| p.country.as_deref())
                .collect();
            producers.sort();
            producers.dedup();
            let entry = ModelEntry {
                model: ModelRef {
                    id: m.id,
                    designation: m.designation.clone(),
                    category: m.category.clone(),
                },
                sole_producer: match producers.as_slice() {
                    [one] => Some(one.to_string()),
                    _ => None,
                },
            };
            for name in m.names() {
                let v = index.entry(fold(name)).or_default();
                if !v.iter().any(|e| e.model.id == m.id) {
                    v.push(entry.clone());
                }
            }
        }
        ItemLookup {
            resolver,
            models: index,
            map,
        }
    }

    /// Finds a catalogue model by designation or alias.
    pub fn model(&self, name: &str) -> Result<(ModelRef, Option<String>), FieldError> {
        match self.models.get(&fold(name)).map(Vec::as_slice) {
            Some([one]) => Ok((one.model.clone(), one.sole_producer.clone())),
            Some(many) if !many.is_empty() => {
                let mut names: Vec<&str> =
                    many.iter().map(|e| e.model.designation.as_str()).collect();
                names.sort();
                Err(FieldError::new(
                    "model",
                    format!(
                        "'{name}' names several catalogue models ({}): give the designation",
                        names.join(", ")
                    ),
                ))
            }
            _ => Err(FieldError::new(
                "model",
                format!(
                    "'{name}' is not in the weapon catalogue: `armtrace models --search TEXT` lists what is; record the item as unidentified, with a description, until it is identified"
                ),
            )),
        }
    }

    fn country(&self, field: &str, name: &str) -> Result<String, FieldError> {
        match self.resolver.resolve(name) {
            Ok(Party::Country(code)) => Ok(code),
            Ok(other) => Err(FieldError::new(
                field,
                format!("'{name}' is {other}, not a country"),
            )),
            Err(e) => Err(FieldError::new(field, e.to_string())),
        }
    }

    /// Checks and resolves one item. `source` says where it came from.
    pub fn draft(&self, f: &ItemFields, source: &str) -> Result<Drafted, FieldError> {
        let mut warnings = Vec::new();
        let parse = |field: &str, v: &Option<String>| -> Result<Option<f64>, FieldError> {
            text(v)
                .map(|s| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| FieldError::new(field, format!("'{s}' is not a number")))
                })
                .transpose()
        };
        let reference = text(&f.item_ref).map(str::to_string);
        if let Some(r) = &reference {
            armtrace_core::item::validate_reference(r)
                .map_err(|m| FieldError::new("item_ref", m))?;
        }

        let markings = f
            .markings
            .iter()
            .map(marking)
            .collect::<Result<Vec<_>, _>>()?;

        let model = text(&f.model).map(|m| self.model(m)).transpose()?;
        let made_in = text(&f.made_in)
            .map(|c| self.country("made_in", c))
            .transpose()?;
        let year_made = text(&f.year_made)
            .map(|y| {
                y.parse::<PartialDate>()
                    .map_err(|e| FieldError::new("year_made", e.to_string()))
            })
            .transpose()?;
        let basis = match text(&f.identified_by) {
            Some(b) => b
                .parse::<IdentificationBasis>()
                .map_err(|e| FieldError::new("identified_by", e))?,
            None if !markings.is_empty() => IdentificationBasis::Markings,
            None => IdentificationBasis::PhysicalFeatures,
        };
        let identification = if model.is_some() || made_in.is_some() || year_made.is_some() {
            let (model, sole) = match model {
                Some((m, sole)) => (Some(m), sole),
                None => (None, None),
            };
            let mut notes = None;
            let country_of_manufacture = match (made_in, sole) {
                (Some(c), _) => Some(c),
                (None, Some(c)) => {
                    notes = Some(format!(
                        "country of manufacture {c} from the catalogue: the model's only producer"
                    ));
                    Some(c)
                }
                (None, None) => None,
            };
            Some(IdentificationDraft {
                model,
                country_of_manufacture,
                year_of_manufacture: year_made,
                basis,
                notes,
            })
        } else {
            None
        };

        let lat = parse("lat", &f.lat)?;
        let lon = parse("lon", &f.lon)?;
        let precision_m = text(&f.precision_m)
            .map(|s| {
                s.parse::<u32>().map_err(|_| {
                    FieldError::new(
                        "precision_m",
                        format!("'{s}' is not a whole number of metres (0 to 4294967295)"),
                    )
                })
            })
            .transpose()?;
        let given_country = text(&f.country)
            .map(|c| self.country("country", c))
            .transpose()?;
        let place_name = text(&f.place).map(str::to_string);
        let mut place = Place {
            lat,
            lon,
            precision_m,
            name: place_name,
            country: None,
        };
        let field_of = |e: &armtrace_core::item::PlaceError| match e {
            armtrace_core::item::PlaceError::Longitude(_) => "lon",
            _ => "lat",
        };
        place
            .validate()
            .map_err(|e| FieldError::new(field_of(&e), e.to_string()))?;
        if precision_m.is_some() && lat.is_none() {
            return Err(FieldError::new(
                "precision_m",
                "a precision needs coordinates (lat and lon)",
            ));
        }
        let mut country_basis = None;
        if let (Some(lat), Some(lon)) = (lat, lon) {
            let answer = (self.map)(lat, lon, precision_m);
            match (answer.country, given_country) {
                (Some(found), Some(given)) if found == given => {
                    place.country = Some(found);
                    country_basis = Some(CountryBasis::Map);
                }
                (Some(found), Some(given)) if answer.also_possible.contains(&given) => {
                    warnings.push(format!(
                        "the point is in {found} on the map, but within its precision of {given}: kept {given} as given"
                    ));
                    place.country = Some(given);
                    country_basis = Some(CountryBasis::Given);
                }
                (Some(found), Some(given)) => {
                    return Err(FieldError::new(
                        "country",
                        format!(
                            "the coordinates are in {found} on the map, not in {given}: check the coordinates (latitude first) or the country"
                        ),
                    ));
                }
                (Some(found), None) => {
                    if !answer.also_possible.is_empty() {
                        warnings.push(format!(
                            "the point is in {found} on the map, but {} {} within its precision: give the country to settle it",
                            answer.also_possible.join(", "),
                            if answer.also_possible.len() == 1 { "is" } else { "are" }
                        ));
                    }
                    place.country = Some(found);
                    country_basis = Some(CountryBasis::Map);
                }
                (None, Some(given)) => {
                    warnings.push(format!(
                        "the point is in no country on the map (at sea, or on a border the map draws differently): kept {given} as given"
                    ));
                    place.country = Some(given);
                    country_basis = Some(CountryBasis::Given);
                }
                (None, None) => {
                    warnings.push(if answer.also_possible.is_empty() {
                        "the point is in no country on the map (at sea?): check the coordinates, latitude first".to_string()
                    } else {
                        format!(
                            "the point is in no country on the map, but near {}: give the country to settle it",
                            answer.also_possible.join(", ")
                        )
                    });
                }
            }
        } else if let Some(given) = given_country {
            place.country = Some(given);
            country_basis = Some(CountryBasis::Given);
        }
        let place = (place.lat.is_some() || place.name.is_some() || place.country.is_some())
            .then_some(place);
        let location_sensitive = match text(&f.sensitive_location) {
            None => false,
            Some(s) => parse_bool(s).ok_or_else(|| {
                FieldError::new("sensitive_location", format!("'{s}': use true or false"))
            })?,
        };
        if location_sensitive && place.as_ref().is_none_or(|p| p.lat.is_none()) {
            return Err(FieldError::new(
                "sensitive_location",
                "only coordinates can be sensitive: give lat and lon, or leave it out",
            ));
        }
        let date = text(&f.date)
            .map(|d| {
                d.parse::<PartialDate>()
                    .map_err(|e| FieldError::new("date", e.to_string()))
            })
            .transpose()?;
        let possessor = text(&f.possessor)
            .map(|p| {
                self.resolver
                    .resolve(p)
                    .map_err(|e| FieldError::new("possessor", e.to_string()))
            })
            .transpose()?;
        let acquisition = match (text(&f.acquired), text(&f.acquired_basis)) {
            (None, None) => None,
            (Some(route), Some(basis)) => Some(Acquisition {
                route: route
                    .parse::<AcquisitionRoute>()
                    .map_err(|e| FieldError::new("acquired", e))?,
                basis: basis
                    .parse::<Basis>()
                    .map_err(|e| FieldError::new("acquired_basis", e))?,
                event: None,
            }),
            (Some(_), None) => {
                return Err(FieldError::new(
                    "acquired_basis",
                    "say how the acquisition is known: observed, reported or inferred",
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    "acquired",
                    "a basis needs a route: looted_from_stocks, captured_in_battle, illicit_trade, defection or unknown",
                ));
            }
        };
        let draft = ItemDraft {
            reference,
            description: text(&f.description).map(str::to_string),
            identification,
            markings,
            place,
            country_basis,
            location_sensitive,
            date,
            possessor,
            acquisition,
            notes: text(&f.notes).map(str::to_string),
            source: source.to_string(),
        };
        draft.validate().map_err(|m| {
            let field = if m.starts_with("an item needs") {
                "model"
            } else {
                "item_ref"
            };
            FieldError::new(field, m)
        })?;
        Ok(Drafted {
            draft,
            warnings,
            line: 0,
        })
    }
}

/// A field's text, trimmed; `None` when missing or blank.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Checks one marking.
pub fn marking(m: &MarkingFields) -> Result<Marking, FieldError> {
    let position = m
        .position
        .parse::<MarkingPosition>()
        .map_err(|e| FieldError::new("marking_position", e))?;
    let script = m
        .script
        .parse::<Script>()
        .map_err(|e| FieldError::new("marking_script", e))?;
    let mask = m.mask.as_deref().filter(|s| !s.is_empty());
    let mut marking = Marking::with_mask(position, script, &m.text, mask).map_err(|e| {
        let field = match e {
            armtrace_core::marking::MarkingError::Empty => "marking_text",
            _ => "marking_mask",
        };
        FieldError::new(field, e.to_string())
    })?;
    marking.transliteration = m
        .transliteration
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    marking.symbol = m
        .symbol
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<EnclosingSymbol>()
                .map_err(|e| FieldError::new("marking_symbol", e))
        })
        .transpose()?;
    Ok(marking)
}

/// Parses a native item file (JSONL when the name ends in `.jsonl`/`.ndjson` or the first
/// non-blank character is `{`, else CSV) into checked items, all or nothing: the first bad
/// record is an error naming file, line and field.
pub fn parse_items(
    file: &str,
    bytes: &[u8],
    lookup: &ItemLookup<'_>,
) -> Result<Vec<Drafted>, IngestError> {
    let (text, _) = decode(bytes);
    let jsonl =
        file.ends_with(".jsonl") || file.ends_with(".ndjson") || text.trim_start().starts_with('{');
    let records = if jsonl {
        jsonl_records(file, &text)?
    } else {
        csv_records(file, &text)?
    };
    if records.is_empty() {
        return Err(IngestError::file(file, "no items"));
    }
    let mut out = Vec::with_capacity(records.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, fields) in records {
        let Some(r) = fields
            .item_ref
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
        else {
            return Err(IngestError::field(
                file,
                line,
                "item_ref",
                "every item in a file needs its reference, so that importing it again adds nothing",
            ));
        };
        if let Some(first) = seen.insert(r.clone(), line) {
            return Err(IngestError::field(
                file,
                line,
                "item_ref",
                format!("'{r}' is already used on line {first}"),
            ));
        }
        let mut d = lookup
            .draft(&fields, &format!("{file}:{line}"))
            .map_err(|e| IngestError::field(file, line, &e.field, e.message))?;
        d.line = line;
        out.push(d);
    }
    Ok(out)
}

fn jsonl_records(file: &str, text: &str) -> Result<Vec<(u64, ItemFields)>, IngestError> {
    use serde_json::Value;
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, Value> = serde_json::from_str(line)
            .map_err(|e| IngestError::line(file, line_no, format!("not a JSON object: {e}")))?;
        let as_text = |key: &str, v: &Value| -> Result<Option<String>, IngestError> {
            match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                Value::Number(n) => Ok(Some(n.to_string())),
                Value::Bool(b) => Ok(Some(b.to_string())),
                _ => Err(IngestError::field(
                    file,
                    line_no,
                    key,
                    "expected a string or a number",
                )),
            }
        };
        let mut f = ItemFields::default();
        for (key, value) in &obj {
            if key == "markings" {
                let Value::Array(list) = value else {
                    return Err(IngestError::field(
                        file,
                        line_no,
                        "markings",
                        "expected an array of markings",
                    ));
                };
                for m in list {
                    let Value::Object(m) = m else {
                        return Err(IngestError::field(
                            file,
                            line_no,
                            "markings",
                            "each marking is an object with position, script and text",
                        ));
                    };
                    let mut mf = MarkingFields::default();
                    for (k, v) in m {
                        let field = format!("marking_{k}");
                        let v = as_text(&field, v)?;
                        match k.as_str() {
                            "position" => mf.position = v.unwrap_or_default(),
                            "script" => mf.script = v.unwrap_or_default(),
                            "text" => mf.text = v.unwrap_or_default(),
                            "mask" => mf.mask = v,
                            "transliteration" => mf.transliteration = v,
                            "symbol" => mf.symbol = v,
                            _ => {
                                return Err(IngestError::field(
                                    file,
                                    line_no,
                                    &field,
                                    format!(
                                        "unknown marking field: a marking has {}",
                                        MARKING_FIELDS.join(", ")
                                    ),
                                ));
                            }
                        }
                    }
                    f.markings.push(mf);
                }
                continue;
            }
            let v = as_text(key, value)?;
            if !set_field(&mut f, key, v) {
                return Err(IngestError::field(
                    file,
                    line_no,
                    key,
                    format!(
                        "unknown field: the native item format has {}",
                        ITEM_FIELDS.join(", ")
                    ),
                ));
            }
        }
        out.push((line_no, f));
    }
    Ok(out)
}

fn set_field(f: &mut ItemFields, key: &str, v: Option<String>) -> bool {
    let slot = match key {
        "item_ref" => &mut f.item_ref,
        "model" => &mut f.model,
        "description" => &mut f.description,
        "made_in" => &mut f.made_in,
        "year_made" => &mut f.year_made,
        "identified_by" => &mut f.identified_by,
        "lat" => &mut f.lat,
        "lon" => &mut f.lon,
        "precision_m" => &mut f.precision_m,
        "place" => &mut f.place,
        "country" => &mut f.country,
        "sensitive_location" => &mut f.sensitive_location,
        "date" => &mut f.date,
        "possessor" => &mut f.possessor,
        "acquired" => &mut f.acquired,
        "acquired_basis" => &mut f.acquired_basis,
        "notes" => &mut f.notes,
        _ => return false,
    };
    *slot = v.filter(|s| !s.trim().is_empty());
    true
}

/// CSV rows grouped into items: the first row of an `item_ref` carries the item's fields; later
/// rows with the same reference add markings and leave the item fields empty (or repeat them
/// exactly).
fn csv_records(file: &str, text: &str) -> Result<Vec<(u64, ItemFields)>, IngestError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| IngestError::line(file, 1, format!("cannot read the header: {e}")))?
        .clone();
    let item_columns: Vec<&str> = ITEM_FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "markings")
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if headers.iter().take(i).any(|earlier| earlier == h) {
            return Err(IngestError::field(
                file,
                1,
                h,
                "the column appears twice: keep one",
            ));
        }
        let known = item_columns.contains(&h)
            || h.strip_prefix("marking_")
                .is_some_and(|m| MARKING_FIELDS.contains(&m));
        if !known {
            return Err(IngestError::field(
                file,
                1,
                h,
                format!(
                    "unknown column: the native item format has {} and marking_{}",
                    item_columns.join(", "),
                    MARKING_FIELDS.join(", marking_")
                ),
            ));
        }
    }
    if !headers.iter().any(|h| h == "item_ref") {
        return Err(IngestError::field(
            file,
            1,
            "item_ref",
            "required column is missing",
        ));
    }
    let mut out: Vec<(u64, ItemFields)> = Vec::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(IngestError::line(file, line, format!("not valid CSV: {e}")));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut f = ItemFields::default();
        let mut m = MarkingFields::default();
        let mut has_marking = false;
        for (h, v) in headers.iter().zip(record.iter()) {
            let v = Some(v.to_string()).filter(|s| !s.trim().is_empty());
            if let Some(mk) = h.strip_prefix("marking_") {
                has_marking |= v.is_some();
                match mk {
                    "position" => m.position = v.unwrap_or_default(),
                    "script" => m.script = v.unwrap_or_default(),
                    "text" => m.text = v.unwrap_or_default(),
                    "mask" => m.mask = v,
                    "transliteration" => m.transliteration = v,
                    _ => m.symbol = v,
                }
            } else {
                set_field(&mut f, h, v);
            }
        }
        if has_marking {
            f.markings.push(m);
        }
        let key = f
            .item_ref
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        match by_ref.get(&key) {
            Some(&i) if !key.is_empty() => {
                let first = &mut out[i].1;
                let mut bare = f.clone();
                bare.markings.clear();
                let mut repeat = first.clone();
                repeat.markings.clear();
                let empty = ItemFields {
                    item_ref: bare.item_ref.clone(),
                    ..ItemFields::default()
                };
                if bare != empty && bare != repeat {
                    return Err(IngestError::line(
                        file,
                        line,
                        format!(
                            "item '{key}' already has its fields on line {}: a further row adds a marking and leaves the item fields empty",
                            out[i].0
                        ),
                    ));
                }
                first.markings.extend(f.markings);
            }
            _ => {
                by_ref.insert(key, out.len());
                out.push((line, f));
            }
        }
    }
    Ok(out)
}
