//! Parsing the embedded files into a [`ReferenceSet`]. Errors name the file, line and field.

use crate::{
    ACTORS, ALIASES, CATEGORIES, DESCRIPTION_CATEGORIES, EMBARGOES, Embedded, FACTORY_CODES,
    HISTORIC_STATES, ISO_3166_1, ISO_3166_3, REFERENCE_VERSION, VALIDITY, WEAPON_MODELS,
};
use armtrace_core::PartialDate;
use armtrace_core::actor::{Actor, ActorKind, Party};
use armtrace_core::category::{CategoryScheme, WeaponCategory};
use armtrace_core::country::Country;
use armtrace_core::embargo::Embargo;
use armtrace_core::marking::EnclosingSymbol;
use armtrace_core::model::{FactoryCode, Manufacturer, Producer, WeaponModel};
use armtrace_core::reference::ReferenceSet;
use armtrace_core::resolve::{Alias, NameResolver};
use armtrace_core::source::SourceRef;
use armtrace_core::text::fold;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum RefDataError {
    #[error("data/{file}, line {line}, field '{field}': {message}")]
    Field {
        file: &'static str,
        line: u64,
        field: &'static str,
        message: String,
    },
    #[error("data/{file}: {message}")]
    File { file: &'static str, message: String },
}

fn field_error(
    f: &Embedded,
    line: u64,
    field: &'static str,
    message: impl Into<String>,
) -> RefDataError {
    RefDataError::Field {
        file: f.path,
        line,
        field,
        message: message.into(),
    }
}

/// Reads a CSV file into typed records, each with its 1-based line number.
fn records<T: for<'de> Deserialize<'de>>(f: &Embedded) -> Result<Vec<(u64, T)>, RefDataError> {
    let mut reader = csv::Reader::from_reader(f.text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| field_error(f, 1, "header", e.to_string()))?
        .clone();
    let mut out = Vec::new();
    for result in reader.records() {
        let rec = result.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            field_error(f, line, "record", e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let value = rec
            .deserialize::<T>(Some(&headers))
            .map_err(|e| field_error(f, line, "record", e.to_string()))?;
        out.push((line, value));
    }
    Ok(out)
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn list(s: &str) -> Vec<String> {
    s.split(';').filter_map(opt).collect()
}

fn year(
    f: &Embedded,
    line: u64,
    field: &'static str,
    s: &str,
) -> Result<Option<i32>, RefDataError> {
    opt(s)
        .map(|v| {
            v.parse::<i32>()
                .map_err(|_| field_error(f, line, field, format!("'{v}' is not a year")))
        })
        .transpose()
}

fn date(
    f: &Embedded,
    line: u64,
    field: &'static str,
    s: &str,
) -> Result<Option<PartialDate>, RefDataError> {
    opt(s)
        .map(|v| {
            v.parse::<PartialDate>()
                .map_err(|e| field_error(f, line, field, e.to_string()))
        })
        .transpose()
}

#[derive(Deserialize)]
struct IsoEntry {
    alpha_2: Option<String>,
    alpha_3: Option<String>,
    alpha_4: Option<String>,
    numeric: Option<String>,
    name: String,
    official_name: Option<String>,
    common_name: Option<String>,
    withdrawal_date: Option<String>,
}

fn iso_entries(f: &Embedded, key: &str) -> Result<Vec<IsoEntry>, RefDataError> {
    let mut doc: HashMap<String, Vec<IsoEntry>> =
        serde_json::from_str(f.text).map_err(|e| RefDataError::File {
            file: f.path,
            message: e.to_string(),
        })?;
    doc.remove(key).ok_or_else(|| RefDataError::File {
        file: f.path,
        message: format!("no '{key}' list"),
    })
}

fn countries() -> Result<Vec<Country>, RefDataError> {
    let mut out = Vec::new();
    for e in iso_entries(&ISO_3166_1, "3166-1")? {
        let code = e.alpha_3.clone().ok_or_else(|| RefDataError::File {
            file: ISO_3166_1.path,
            message: format!("{} has no alpha_3", e.name),
        })?;
        out.push(Country {
            id: Country::id_for(&code),
            code,
            name: e.name,
            official_name: e.official_name,
            alpha2: e.alpha_2,
            alpha3: e.alpha_3,
            numeric: e.numeric,
            valid_from: None,
            valid_to: None,
            historic: false,
            successors: vec![],
            aliases: e.common_name.into_iter().collect(),
            source: "ISO 3166-1 (Debian iso-codes 4.15.0)".into(),
        });
    }
    for e in iso_entries(&ISO_3166_3, "3166-3")? {
        let code = e.alpha_4.clone().ok_or_else(|| RefDataError::File {
            file: ISO_3166_3.path,
            message: format!("{} has no alpha_4", e.name),
        })?;
        let withdrawn = e
            .withdrawal_date
            .as_deref()
            .and_then(|d| d.get(..4))
            .and_then(|y| y.parse().ok());
        out.push(Country {
            id: Country::id_for(&code),
            code,
            name: e.name,
            official_name: None,
            alpha2: e.alpha_2,
            alpha3: e.alpha_3,
            numeric: e.numeric,
            valid_from: None,
            valid_to: withdrawn,
            historic: true,
            successors: vec![],
            aliases: vec![],
            source: "ISO 3166-3 former countries (Debian iso-codes 4.15.0)".into(),
        });
    }
    #[derive(Deserialize)]
    struct Historic {
        code: String,
        name: String,
        alpha2: String,
        alpha3: String,
        numeric: String,
        valid_from: String,
        valid_to: String,
        successors: String,
        source: String,
    }
    let f = &HISTORIC_STATES;
    for (line, h) in records::<Historic>(f)? {
        if !h.code.starts_with('X') || h.code.len() != 4 {
            return Err(field_error(
                f,
                line,
                "code",
                "codes of states ISO never listed are X + three letters",
            ));
        }
        // The file holds every state ISO never listed: most are historic (North Yemen), a few
        // still exist with limited recognition (Kosovo, Northern Cyprus).
        let valid_to = year(f, line, "valid_to", &h.valid_to)?;
        out.push(Country {
            id: Country::id_for(&h.code),
            name: h.name,
            official_name: None,
            alpha2: opt(&h.alpha2),
            alpha3: opt(&h.alpha3),
            numeric: opt(&h.numeric),
            valid_from: year(f, line, "valid_from", &h.valid_from)?,
            valid_to,
            historic: valid_to.is_some(),
            successors: list(&h.successors),
            aliases: vec![],
            source: h.source,
            code: h.code,
        });
    }
    #[derive(Deserialize)]
    struct Validity {
        code: String,
        valid_from: String,
        valid_to: String,
        source: String,
    }
    let f = &VALIDITY;
    for (line, v) in records::<Validity>(f)? {
        let Some(c) = out.iter_mut().find(|c| c.code == v.code) else {
            return Err(field_error(
                f,
                line,
                "code",
                format!("no country has code '{}'", v.code),
            ));
        };
        c.valid_from = year(f, line, "valid_from", &v.valid_from)?.or(c.valid_from);
        c.valid_to = year(f, line, "valid_to", &v.valid_to)?.or(c.valid_to);
        c.source = format!("{}; validity: {}", c.source, v.source);
    }
    let mut seen = HashMap::new();
    for c in &out {
        if let Some(prev) = seen.insert(c.code.clone(), c.name.clone()) {
            return Err(RefDataError::File {
                file: ISO_3166_3.path,
                message: format!("code {} is used by both {prev} and {}", c.code, c.name),
            });
        }
    }
    Ok(out)
}

fn actors() -> Result<Vec<Actor>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        kind: String,
        name: String,
        country: String,
        source: String,
    }
    let f = &ACTORS;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            Ok(Actor {
                id: Actor::id_for(&r.key),
                kind: r
                    .kind
                    .parse::<ActorKind>()
                    .map_err(|e| field_error(f, line, "kind", e))?,
                name: r.name,
                country: opt(&r.country),
                parent: None,
                aliases: vec![],
                source: r.source,
                key: r.key,
            })
        })
        .collect()
}

fn aliases() -> Result<Vec<Alias>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        alias: String,
        target: String,
    }
    let f = &ALIASES;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            Ok(Alias {
                target: r
                    .target
                    .parse::<Party>()
                    .map_err(|e| field_error(f, line, "target", e))?,
                alias: r.alias,
            })
        })
        .collect()
}

fn categories() -> Result<Vec<WeaponCategory>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        scheme: String,
        code: String,
        name: String,
        parent: String,
        aliases: String,
        source: String,
    }
    let f = &CATEGORIES;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            Ok(WeaponCategory {
                id: WeaponCategory::id_for(&r.code),
                scheme: r
                    .scheme
                    .parse::<CategoryScheme>()
                    .map_err(|e| field_error(f, line, "scheme", e))?,
                name: r.name,
                parent: opt(&r.parent),
                aliases: list(&r.aliases),
                source: r.source,
                code: r.code,
            })
        })
        .collect()
}

/// Maps a category as a source writes it ("assault rifle", "Armoured vehicles") or its code
/// ("ML1") to a category code, by folded code, name or alias.
pub fn category_index(categories: &[WeaponCategory]) -> HashMap<String, String> {
    let mut index = HashMap::new();
    for c in categories {
        for name in [&c.code, &c.name].into_iter().chain(&c.aliases) {
            index.entry(fold(name)).or_insert_with(|| c.code.clone());
        }
    }
    index
}

/// Resolves a country as reference files write it; `unspecified` and unknown names give `None`.
fn country_code(resolver: &NameResolver, name: &str) -> Option<String> {
    match resolver.resolve(name) {
        Ok(Party::Country(code)) => Some(code),
        _ => None,
    }
}

fn producers(resolver: &NameResolver, cell: &str) -> Vec<Producer> {
    list(cell)
        .into_iter()
        .map(|entry| {
            let (country, maker) = entry.split_once(':').unwrap_or((entry.as_str(), ""));
            let maker = maker.trim();
            let lower = maker.to_lowercase();
            let licensed = (lower.contains("licence") || lower.contains("licensed"))
                && !lower.contains("unlicensed");
            Producer {
                country: country_code(resolver, country),
                country_as_written: country.trim().to_string(),
                manufacturer: (!maker.is_empty() && !lower.starts_with("unspecified"))
                    .then(|| maker.to_string()),
                licensed,
            }
        })
        .collect()
}

fn models(
    resolver: &NameResolver,
    categories: &[WeaponCategory],
) -> Result<Vec<WeaponModel>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        designation: String,
        aliases: String,
        family: String,
        category: String,
        calibre: String,
        country_of_design: String,
        producers: String,
        source: String,
        notes: String,
    }
    let index = category_index(categories);
    let f = &WEAPON_MODELS;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            let category = match opt(&r.category) {
                Some(c) => Some(index.get(&fold(&c)).cloned().ok_or_else(|| {
                    field_error(f, line, "category", format!("'{c}' is not a known category: add it to the aliases in data/reference/categories.csv"))
                })?),
                None => None,
            };
            let designation = r.designation.trim().to_string();
            Ok(WeaponModel {
                id: WeaponModel::id_for(&designation),
                designation,
                aliases: list(&r.aliases),
                family: opt(&r.family),
                category,
                category_as_written: opt(&r.category),
                calibre: opt(&r.calibre),
                country_of_design: country_code(resolver, &r.country_of_design),
                country_of_design_as_written: opt(&r.country_of_design),
                producers: producers(resolver, &r.producers),
                copy_of: None,
                notes: opt(&r.notes),
                source: SourceRef::graded(&r.source),
            })
        })
        .collect()
}

fn factory_codes(resolver: &NameResolver) -> Result<Vec<FactoryCode>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
        code_shape: String,
        country: String,
        manufacturer: String,
        used_on: String,
        source: String,
        notes: String,
    }
    let f = &FACTORY_CODES;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            let shape = r.code_shape.trim();
            let (symbol, shape_note) = match shape {
                "" | "unknown" | "none" => (None, None),
                "double circle" => (Some(EnclosingSymbol::DoubleCircle), None),
                s if s.starts_with("other") => (Some(EnclosingSymbol::Other), Some(s.to_string())),
                s => (
                    Some(
                        s.parse::<EnclosingSymbol>()
                            .map_err(|e| field_error(f, line, "code_shape", e))?,
                    ),
                    None,
                ),
            };
            let notes = match (shape_note, opt(&r.notes)) {
                (Some(s), Some(n)) => Some(format!("Shape: {s}. {n}")),
                (Some(s), None) => Some(format!("Shape: {s}.")),
                (None, n) => n,
            };
            Ok(FactoryCode {
                id: FactoryCode::id_for(&r.code, &r.country, &r.manufacturer),
                code: r.code.trim().to_string(),
                symbol,
                country: country_code(resolver, &r.country),
                country_as_written: r.country.trim().to_string(),
                manufacturer: r.manufacturer.trim().to_string(),
                used_on: opt(&r.used_on),
                notes,
                source: SourceRef::graded(&r.source),
            })
        })
        .collect()
}

fn embargoes(resolver: &NameResolver) -> Result<Vec<Embargo>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        target: String,
        establishing_resolution: String,
        establishing_resolution_date: String,
        modifying_or_ending_resolutions: String,
        start_date: String,
        end_date: String,
        status: String,
        scope_notes: String,
        source: String,
    }
    let f = &EMBARGOES;
    records::<Row>(f)?
        .into_iter()
        .map(|(line, r)| {
            let start = date(f, line, "start_date", &r.start_date)?;
            let target = r.target.trim().to_string();
            // "Liberia (II)" and "Iraq" name a state; "Taliban" does not.
            let bare = target.split(" (").next().unwrap_or(&target);
            let target_country =
                country_code(resolver, &target).or_else(|| country_code(resolver, bare));
            let imposed_by = "UN Security Council".to_string();
            Ok(Embargo {
                id: Embargo::id_for(&imposed_by, &target, start.as_ref()),
                target,
                target_country,
                imposed_by,
                establishing_decision: opt(&r.establishing_resolution),
                decision_date: date(
                    f,
                    line,
                    "establishing_resolution_date",
                    &r.establishing_resolution_date,
                )?,
                modifying_decisions: opt(&r.modifying_or_ending_resolutions),
                start,
                end: date(f, line, "end_date", &r.end_date)?,
                status: r.status.trim().to_string(),
                scope: opt(&r.scope_notes),
                source: SourceRef::graded(&r.source),
            })
        })
        .collect()
}

/// Manufacturers named by the model catalogue and the factory codes, one per (country, name).
fn manufacturers(models: &[WeaponModel], codes: &[FactoryCode]) -> Vec<Manufacturer> {
    let mut by_key: BTreeMap<(Option<String>, String), Vec<String>> = BTreeMap::new();
    for m in models {
        for p in &m.producers {
            if let Some(name) = &p.manufacturer {
                by_key
                    .entry((p.country.clone(), name.clone()))
                    .or_default()
                    .push(format!(
                        "producer of {} in data/reference/weapon_models.csv",
                        m.designation
                    ));
            }
        }
    }
    for c in codes {
        by_key
            .entry((c.country.clone(), c.manufacturer.clone()))
            .or_default()
            .push(format!(
                "factory code {} in data/reference/factory_codes.csv",
                c.code
            ));
    }
    by_key
        .into_iter()
        .map(|((country, name), sources)| Manufacturer {
            id: Manufacturer::id_for(country.as_deref(), &name),
            name,
            country,
            aliases: vec![],
            source: sources.join("; "),
        })
        .collect()
}

/// Parses every embedded reference file.
pub fn load() -> Result<ReferenceSet, RefDataError> {
    let mut countries = countries()?;
    let actors = actors()?;
    let mut aliases = aliases()?;
    // ISO common names ("Bolivia" for "Bolivia, Plurinational State of") are aliases too, kept in
    // the one alias table so that the store holds every name variant in one place.
    for c in &mut countries {
        for common in std::mem::take(&mut c.aliases) {
            let target = Party::Country(c.code.clone());
            if !aliases
                .iter()
                .any(|a| a.alias == common && a.target == target)
            {
                aliases.push(Alias {
                    alias: common,
                    target,
                });
            }
        }
    }
    for a in &aliases {
        match &a.target {
            Party::Country(code) => match countries.iter_mut().find(|c| &c.code == code) {
                Some(c) if c.name == a.alias => {}
                Some(c) => c.aliases.push(a.alias.clone()),
                None => {
                    return Err(RefDataError::File {
                        file: ALIASES.path,
                        message: format!("alias '{}' points at unknown country {code}", a.alias),
                    });
                }
            },
            Party::Actor(key) if !actors.iter().any(|x| &x.key == key) => {
                return Err(RefDataError::File {
                    file: ALIASES.path,
                    message: format!("alias '{}' points at unknown actor {key}", a.alias),
                });
            }
            _ => {}
        }
    }
    let resolver = NameResolver::new(&countries, &actors, &aliases);
    let categories = categories()?;
    let models = models(&resolver, &categories)?;
    let factory_codes = factory_codes(&resolver)?;
    let embargoes = embargoes(&resolver)?;
    let manufacturers = manufacturers(&models, &factory_codes);
    // Country aliases live in the alias table; the countries keep them only for display.
    Ok(ReferenceSet {
        version: REFERENCE_VERSION.to_string(),
        countries,
        actors,
        aliases,
        categories,
        manufacturers,
        models,
        factory_codes,
        embargoes,
    })
}

/// SIPRI's weapon descriptions (as the older export writes them) to SIPRI category codes: SIPRI's
/// own pairing from its newer export where it has one, armtrace's mapping by analogy otherwise
/// (`data/sipri/description_categories.csv`, column `basis`).
pub fn sipri_description_categories() -> Result<HashMap<String, String>, RefDataError> {
    #[derive(Deserialize)]
    struct Row {
        description: String,
        category: String,
    }
    let f = &DESCRIPTION_CATEGORIES;
    let mut map = HashMap::new();
    for (line, r) in records::<Row>(f)? {
        if !r.category.starts_with("sipri.") {
            return Err(field_error(
                f,
                line,
                "category",
                format!("'{}' is not a SIPRI category code", r.category),
            ));
        }
        if map.insert(r.description.clone(), r.category).is_some() {
            return Err(field_error(
                f,
                line,
                "description",
                format!("'{}' is listed twice", r.description),
            ));
        }
    }
    Ok(map)
}
