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
//! | `year_made` | year of manufacture, `YYYY` or `YYYY-MM` (not a full date), not after today |
//! | `identified_by` | what the identification rests on: `markings`, `physical_features`, `documents`, `expert_opinion`, `catalogue_rule` (default: `markings` when the item has markings, else `physical_features`) |
//! | `lat`, `lon` | WGS 84 decimal degrees; the country is then resolved from the bundled map |
//! | `precision_m` | radius in metres within which the item was |
//! | `place` | a place name, when there are no coordinates (or as well) |
//! | `country` | the country, when there are no coordinates, or to settle a point near a border |
//! | `sensitive_location` | `true` when exact coordinates must stay in the confidential tier |
//! | `date` | when it was seen, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, not after today |
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
//! A column or key given twice is refused (`input.repeated_field`), as is an unknown one
//! (`input.unknown_field`) and a JSON object or array where text goes. Imports never set a
//! verification status: every imported item starts unverified, and a reviewer who did not write
//! it verifies it.

use crate::json::{self, Node};
use crate::text::decode;
use crate::{IngestError, Problems};
use armtrace_core::actor::Party;
use armtrace_core::date::PartialDate;
use armtrace_core::error::{Code, Error};
use armtrace_core::item::{
    Acquisition, AcquisitionRoute, Basis, CountryBasis, IdentificationBasis, IdentificationDraft,
    ItemDraft, ModelRef, Place,
};
use armtrace_core::marking::{EnclosingSymbol, Marking, MarkingError, MarkingPosition, Script};
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

/// A field that failed its check: `input.invalid`, or `input.missing` for a required field left
/// out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub code: Code,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
            code: Code::InputInvalid,
        }
    }

    pub fn missing(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            code: Code::InputMissing,
            ..FieldError::new(field, message)
        }
    }
}

/// A field typed by a user: the error for that field, with its code.
impl From<FieldError> for Error {
    fn from(e: FieldError) -> Error {
        Error::new(e.code, e.message).with_field(e.field)
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What checking an item needs: names, the weapon catalogue, the map and today's date.
pub struct ItemLookup<'a> {
    resolver: &'a NameResolver,
    models: HashMap<String, Vec<ModelEntry>>,
    map: &'a (dyn Fn(f64, f64, Option<u32>) -> MapAnswer + Sync),
    /// The latest date anywhere on Earth now: a date after it has not happened.
    today: PartialDate,
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
            today: latest_date_on_earth(),
        }
    }

    /// The same lookup with another idea of today (tests).
    pub fn with_today(self, today: PartialDate) -> ItemLookup<'a> {
        ItemLookup { today, ..self }
    }

    /// A date that is not in the future: an item is seen, and made, before it is documented.
    fn not_future(&self, field: &str, s: &str, d: PartialDate) -> Result<PartialDate, FieldError> {
        if d.is_after(&self.today) {
            return Err(FieldError::new(
                field,
                format!("'{s}' is in the future: give the date it was, or leave it out"),
            ));
        }
        Ok(d)
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
                let d = y
                    .parse::<PartialDate>()
                    .map_err(|e| FieldError::new("year_made", e.to_string()))?;
                if d.day_part().is_some() {
                    return Err(FieldError::new(
                        "year_made",
                        format!(
                            "'{y}' is a full date: the year of manufacture is YYYY or YYYY-MM (a date stamped on the weapon is a marking; the day it was seen is `date`)"
                        ),
                    ));
                }
                self.not_future("year_made", y, d)
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
                    // Near a border, naming the map's country settles the question: the
                    // investigator's word, not only the map's.
                    country_basis = Some(if answer.also_possible.is_empty() {
                        CountryBasis::Map
                    } else {
                        CountryBasis::Given
                    });
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
                let date = d
                    .parse::<PartialDate>()
                    .map_err(|e| FieldError::new("date", e.to_string()))?;
                self.not_future("date", d, date)
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
                return Err(FieldError::missing(
                    "acquired_basis",
                    "say how the acquisition is known: observed, reported or inferred",
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::missing(
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
            if m.starts_with("an item needs") {
                FieldError::missing("model", m)
            } else {
                FieldError::new("item_ref", m)
            }
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

/// The latest calendar date anywhere on Earth now (UTC+14): a date after it has not happened
/// anywhere yet.
fn latest_date_on_earth() -> PartialDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs + 14 * 3600) / 86_400;
    i64::try_from(days)
        .ok()
        .and_then(PartialDate::from_unix_days)
        .unwrap_or(PartialDate::year(9999))
}

/// Checks one marking. Errors name the marking's own fields (`position`, `script`, `text`,
/// `mask`, `transliteration`, `symbol`); a file names them as its columns or keys.
pub fn marking(m: &MarkingFields) -> Result<Marking, FieldError> {
    let position = match m.position.trim() {
        "" => {
            return Err(FieldError::missing(
                "position",
                format!(
                    "missing: say where the marking is: {}",
                    words(MarkingPosition::ALL)
                ),
            ));
        }
        p => p
            .parse::<MarkingPosition>()
            .map_err(|e| FieldError::new("position", e))?,
    };
    let script = match m.script.trim() {
        "" => {
            return Err(FieldError::missing(
                "script",
                format!(
                    "missing: say which script the marking is in: {}",
                    words(Script::ALL)
                ),
            ));
        }
        s => s
            .parse::<Script>()
            .map_err(|e| FieldError::new("script", e))?,
    };
    let mask = m.mask.as_deref().filter(|s| !s.is_empty());
    let mut marking = Marking::with_mask(position, script, &m.text, mask).map_err(|e| match e {
        MarkingError::Empty => FieldError::missing("text", e.to_string()),
        _ => FieldError::new("mask", e.to_string()),
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
                .map_err(|e| FieldError::new("symbol", e))
        })
        .transpose()?;
    Ok(marking)
}

fn words<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits and checks a marking written as one value, `POSITION:SCRIPT:TEXT[:MASK]` (how
/// `items add --marking` takes it): `receiver:latin:56-1?23:...~?..`. Every unescaped `:`
/// separates two parts, so a fourth part is always the mask and a marking that does not check
/// is refused with the reason, never stored with the rest run into its text. A `:` that belongs
/// to the text is written `\:` (and a `\` just before a `:` as `\\`); any other `\` is itself.
/// Errors are for the field `marking`.
pub fn parse_marking_arg(s: &str) -> Result<MarkingFields, FieldError> {
    const FORM: &str = "write POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23:...~?.., and '\\:' for a ':' in the text";
    let mut parts = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(':' | '\\')) => {
                if let (Some(part), Some(next)) = (parts.last_mut(), chars.next()) {
                    part.push(next);
                }
            }
            ':' => parts.push(String::new()),
            c => {
                if let Some(part) = parts.last_mut() {
                    part.push(c);
                }
            }
        }
    }
    let bad = |message: String| FieldError::new("marking", format!("'{s}': {message}"));
    let fields = match parts.as_slice() {
        [position, script, text] => MarkingFields {
            position: position.clone(),
            script: script.clone(),
            text: text.clone(),
            ..MarkingFields::default()
        },
        [_, _, _, mask] if mask.is_empty() => {
            return Err(bad(format!(
                "nothing after the last ':', where the mask goes: {FORM}"
            )));
        }
        [position, script, text, mask] => MarkingFields {
            position: position.clone(),
            script: script.clone(),
            text: text.clone(),
            mask: Some(mask.clone()),
            ..MarkingFields::default()
        },
        few if few.len() < 3 => return Err(bad(FORM.to_string())),
        many => {
            return Err(bad(format!(
                "{} parts where a marking has at most 4: {FORM}",
                many.len()
            )));
        }
    };
    match marking(&fields) {
        Ok(_) => Ok(fields),
        Err(e) if e.field == "mask" => Err(FieldError {
            code: e.code,
            ..bad(format!(
                "{} (the part after the third ':' is the mask; a ':' in the text is written '\\:')",
                e.message
            ))
        }),
        Err(e) => Err(FieldError {
            code: e.code,
            ..bad(e.message)
        }),
    }
}

/// Which format an item file is in, for naming fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Jsonl,
}

/// One item as a file gives it: its fields, the line it starts on and the line of each marking.
#[derive(Debug)]
struct Record {
    line: u64,
    fields: ItemFields,
    marking_lines: Vec<u64>,
}

impl Format {
    /// How the file names field `field` of marking `i` (from 0): its CSV column, or its key in
    /// the JSONL object's `markings` array.
    fn marking_field(self, i: usize, field: &str) -> String {
        match self {
            Format::Csv => format!("marking_{field}"),
            Format::Jsonl => format!("markings[{i}].{field}"),
        }
    }
}

/// Parses a native item file (JSONL when the name ends in `.jsonl`/`.ndjson` or the first
/// non-blank character is `{`, else CSV) into checked items, all or nothing: a file with bad
/// items is refused (`import.invalid`) listing every one found, each with its line, field and
/// code (every bad marking, the first bad field of each item, every repeated or unknown field).
/// A damaged CSV header stops the file; a bad record does not stop the others.
pub fn parse_items(
    file: &str,
    bytes: &[u8],
    lookup: &ItemLookup<'_>,
) -> Result<Vec<Drafted>, Error> {
    let (content, _) = decode(bytes);
    let jsonl = file.ends_with(".jsonl")
        || file.ends_with(".ndjson")
        || content.trim_start().starts_with('{');
    let mut problems = Problems::new(file);
    let (format, records) = if jsonl {
        (Format::Jsonl, jsonl_records(file, &content, &mut problems))
    } else {
        (Format::Csv, csv_records(file, &content, &mut problems)?)
    };
    if records.is_empty() && problems.is_empty() {
        return Err(IngestError::file(file, "no items")
            .with_code(Code::InputMissing)
            .into());
    }
    let mut out = Vec::with_capacity(records.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for Record {
        line,
        mut fields,
        marking_lines,
    } in records
    {
        let before = problems.total();
        match text(&fields.item_ref) {
            None => problems.push(
                IngestError::field(
                    file,
                    line,
                    "item_ref",
                    "every item in a file needs its reference, so that importing it again adds nothing",
                )
                .with_code(Code::InputMissing),
            ),
            Some(r) => {
                if let Some(first) = seen.insert(r.to_string(), line) {
                    problems.push(
                        IngestError::field(
                            file,
                            line,
                            "item_ref",
                            format!("'{r}' is already used on line {first}"),
                        )
                        .with_code(Code::ConflictExists),
                    );
                }
            }
        }
        // Each marking at its own line (a CSV row each), then the item's other fields.
        let mut markings_good = true;
        for (i, (m, at)) in fields.markings.iter().zip(&marking_lines).enumerate() {
            if let Err(e) = marking(m) {
                markings_good = false;
                let field = format.marking_field(i, &e.field);
                problems.push(IngestError::field(file, *at, &field, e.message).with_code(e.code));
            }
        }
        if !markings_good {
            fields.markings.clear();
        }
        match lookup.draft(&fields, &format!("{file}:{line}")) {
            Ok(mut d) if problems.total() == before => {
                d.line = line;
                out.push(d);
            }
            Ok(_) => {}
            Err(e) => {
                problems.push(IngestError::field(file, line, &e.field, e.message).with_code(e.code))
            }
        }
    }
    problems.finish(out)
}

/// The items of a JSONL file, one object a line. A line that is not an object, a key given
/// twice, an unknown key or a value that is not text is a problem, and the line is left out.
fn jsonl_records(file: &str, text: &str, problems: &mut Problems) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let obj = match json::object(line) {
            Ok(obj) => obj,
            Err(e) => {
                problems.push(IngestError::line(
                    file,
                    line_no,
                    format!("not a JSON object: {e}"),
                ));
                continue;
            }
        };
        let before = problems.total();
        let err = |field: &str, message: String, code: Code| {
            IngestError::field(file, line_no, field, message).with_code(code)
        };
        let repeated = |entries: &[(String, Node)], field: &dyn Fn(&str) -> String| {
            json::repeated_key(entries).map(|k| {
                err(
                    &field(k),
                    "given twice: keep one (nothing says which value is meant)".into(),
                    Code::InputRepeatedField,
                )
            })
        };
        let as_text = |field: &str, v: &Node| {
            v.as_text().map_err(|what| {
                err(
                    field,
                    format!("expected a string or a number, not {what}"),
                    Code::InputInvalid,
                )
            })
        };
        if let Some(e) = repeated(&obj, &|k| k.to_string()) {
            problems.push(e);
        }
        let mut f = ItemFields::default();
        for (key, value) in &obj {
            if key == "markings" {
                let Node::Array(list) = value else {
                    problems.push(err(
                        "markings",
                        "expected an array of markings".into(),
                        Code::InputInvalid,
                    ));
                    continue;
                };
                for (mi, m) in list.iter().enumerate() {
                    let name = |k: &str| Format::Jsonl.marking_field(mi, k);
                    let Node::Object(m) = m else {
                        problems.push(err(
                            &format!("markings[{mi}]"),
                            "each marking is an object with position, script and text".into(),
                            Code::InputInvalid,
                        ));
                        continue;
                    };
                    if let Some(e) = repeated(m, &name) {
                        problems.push(e);
                    }
                    let mut mf = MarkingFields::default();
                    for (k, v) in m {
                        let Some(v) = problems.check(as_text(&name(k), v)) else {
                            continue;
                        };
                        match k.as_str() {
                            "position" => mf.position = v.unwrap_or_default(),
                            "script" => mf.script = v.unwrap_or_default(),
                            "text" => mf.text = v.unwrap_or_default(),
                            "mask" => mf.mask = v,
                            "transliteration" => mf.transliteration = v,
                            "symbol" => mf.symbol = v,
                            _ => problems.push(err(
                                &name(k),
                                format!(
                                    "unknown marking field: a marking has {}",
                                    MARKING_FIELDS.join(", ")
                                ),
                                Code::InputUnknownField,
                            )),
                        }
                    }
                    f.markings.push(mf);
                }
                continue;
            }
            let Some(v) = problems.check(as_text(key, value)) else {
                continue;
            };
            if !set_field(&mut f, key, v) {
                problems.push(err(
                    key,
                    format!(
                        "unknown field: the native item format has {}",
                        ITEM_FIELDS.join(", ")
                    ),
                    Code::InputUnknownField,
                ));
            }
        }
        if problems.total() == before {
            let marking_lines = vec![line_no; f.markings.len()];
            out.push(Record {
                line: line_no,
                fields: f,
                marking_lines,
            });
        }
    }
    out
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
/// exactly). A bad header (an unknown or repeated column, no `item_ref`) stops the file with
/// every problem it has; a bad row is a problem and left out.
fn csv_records(file: &str, text: &str, problems: &mut Problems) -> Result<Vec<Record>, Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(IngestError::line(file, 1, format!("cannot read the header: {e}")).into());
        }
    };
    let item_columns: Vec<&str> = ITEM_FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "markings")
        .collect();
    let mut header = Problems::new(file);
    for (i, h) in headers.iter().enumerate() {
        if headers.iter().take(i).any(|earlier| earlier == h) {
            header.push(
                IngestError::field(file, 1, h, "the column appears twice: keep one")
                    .with_code(Code::InputRepeatedField),
            );
            continue;
        }
        let known = item_columns.contains(&h)
            || h.strip_prefix("marking_")
                .is_some_and(|m| MARKING_FIELDS.contains(&m));
        if !known {
            header.push(
                IngestError::field(
                    file,
                    1,
                    h,
                    format!(
                        "unknown column: the native item format has {} and marking_{}",
                        item_columns.join(", "),
                        MARKING_FIELDS.join(", marking_")
                    ),
                )
                .with_code(Code::InputUnknownField),
            );
        }
    }
    if !headers.iter().any(|h| h == "item_ref") {
        header.push(
            IngestError::field(file, 1, "item_ref", "required column is missing")
                .with_code(Code::InputMissing),
        );
    }
    if !header.is_empty() {
        return Err(header.into_error());
    }
    let mut out: Vec<Record> = Vec::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut last_error_at = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| p.byte());
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields where the header has {expected_len}"),
                    _ => format!("not valid CSV: {e}"),
                };
                problems.push(IngestError::line(file, line, message));
                // A record of the wrong length is skipped and reading goes on; an error that
                // does not move forward ends the file.
                if at.is_none() || at == last_error_at {
                    break;
                }
                last_error_at = at;
                continue;
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
                let first = &mut out[i];
                let mut bare = f.clone();
                bare.markings.clear();
                let mut repeat = first.fields.clone();
                repeat.markings.clear();
                let empty = ItemFields {
                    item_ref: bare.item_ref.clone(),
                    ..ItemFields::default()
                };
                if bare != empty && bare != repeat {
                    problems.push(IngestError::line(
                        file,
                        line,
                        format!(
                            "item '{key}' already has its fields on line {}: a further row adds a marking and leaves the item fields empty",
                            first.line
                        ),
                    ));
                    continue;
                }
                first
                    .marking_lines
                    .extend(std::iter::repeat_n(line, f.markings.len()));
                first.fields.markings.extend(f.markings);
            }
            _ => {
                by_ref.insert(key, out.len());
                let marking_lines = vec![line; f.markings.len()];
                out.push(Record {
                    line,
                    fields: f,
                    marking_lines,
                });
            }
        }
    }
    Ok(out)
}
