//! Reference data in the store: loading a shipped [`ReferenceSet`] (idempotently, in one
//! transaction, never touching rows users added) and reading it back.

use crate::audit::{LockedPool, authorize, change, commit_signed, vouch};
use crate::bulk::{Value, delete_ids, upsert_rows};
use crate::records::{Kind, Record};
use crate::{Store, StoreError, with_pool};
use armtrace_core::access::{Action, Identity, Resource};
use armtrace_core::actor::{Actor, ActorKind, Party};
use armtrace_core::category::{CategoryScheme, WeaponCategory};
use armtrace_core::country::Country;
use armtrace_core::embargo::Embargo;
use armtrace_core::model::{FactoryCode, Producer, WeaponModel};
use armtrace_core::reference::ReferenceSet;
use armtrace_core::resolve::Alias;
use armtrace_core::source::{Reliability, SourceRef};
use armtrace_core::text::{collate, fold, matches};
use armtrace_core::{Id, PartialDate};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

const ORIGIN_REFERENCE: &str = "reference";

/// What `load_reference` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub version: String,
    pub previous_version: Option<String>,
    /// Rows written per table (inserted or refreshed).
    pub written: BTreeMap<String, u64>,
    /// Shipped rows removed because the new version no longer has them.
    pub removed: u64,
}

/// How many rows each reference table holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub countries: i64,
    pub historic_states: i64,
    pub actors: i64,
    pub aliases: i64,
    pub categories: i64,
    pub manufacturers: i64,
    pub models: i64,
    pub factory_codes: i64,
    pub embargoes: i64,
}

struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Value>>,
}

fn json_list(items: &[String]) -> Value {
    Value::from(serde_json::to_string(items).unwrap_or_else(|_| "[]".into()))
}

fn parse_json_list(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| crate::error::invalid(format!("stored list '{s}': {e}")))
}

fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>()
        .map_err(|e| crate::error::invalid(format!("stored {what} '{s}': {e}")))
}

fn parse_opt<T: FromStr>(what: &str, s: Option<String>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| parse(what, &s)).transpose()
}

fn tables(set: &ReferenceSet) -> Vec<Table> {
    let o = || Value::from(ORIGIN_REFERENCE);
    let countries = set
        .countries
        .iter()
        .map(|c| {
            vec![
                Value::from(c.id.to_string()),
                Value::from(c.code.as_str()),
                Value::from(c.name.as_str()),
                Value::from(c.official_name.as_ref()),
                Value::from(c.alpha2.as_ref()),
                Value::from(c.alpha3.as_ref()),
                Value::from(c.numeric.as_ref()),
                Value::from(c.valid_from),
                Value::from(c.valid_to),
                Value::from(c.historic),
                json_list(&c.successors),
                Value::from(c.source.as_str()),
                o(),
            ]
        })
        .collect();
    let actors = set
        .actors
        .iter()
        .map(|a| {
            vec![
                Value::from(a.id.to_string()),
                Value::from(a.key.as_str()),
                Value::from(a.kind.as_str()),
                Value::from(a.name.as_str()),
                Value::from(a.country.as_ref()),
                Value::from(a.parent.map(|p| p.to_string())),
                Value::from(a.source.as_str()),
                o(),
            ]
        })
        .collect();
    let aliases = set
        .aliases
        .iter()
        .map(|a| {
            let target = a.target.to_string();
            vec![
                Value::from(
                    Id::for_reference("alias", &format!("{}|{target}", a.alias)).to_string(),
                ),
                Value::from(a.alias.as_str()),
                Value::from(fold(&a.alias)),
                Value::from(target),
                Value::from("armtrace reference data"),
                o(),
            ]
        })
        .collect();
    let categories = set
        .categories
        .iter()
        .map(|c| {
            vec![
                Value::from(c.id.to_string()),
                Value::from(c.code.as_str()),
                Value::from(c.scheme.as_str()),
                Value::from(c.name.as_str()),
                Value::from(c.parent.as_ref()),
                json_list(&c.aliases),
                Value::from(c.source.as_str()),
                o(),
            ]
        })
        .collect();
    let manufacturers = set
        .manufacturers
        .iter()
        .map(|m| {
            vec![
                Value::from(m.id.to_string()),
                Value::from(m.name.as_str()),
                Value::from(m.country.as_ref()),
                json_list(&m.aliases),
                Value::from(m.source.as_str()),
                o(),
            ]
        })
        .collect();
    let models = set
        .models
        .iter()
        .map(|m| {
            vec![
                Value::from(m.id.to_string()),
                Value::from(m.designation.as_str()),
                json_list(&m.aliases),
                Value::from(m.family.as_ref()),
                Value::from(m.category.as_ref()),
                Value::from(m.category_as_written.as_ref()),
                Value::from(m.calibre.as_ref()),
                Value::from(m.country_of_design.as_ref()),
                Value::from(m.country_of_design_as_written.as_ref()),
                Value::from(serde_json::to_string(&m.producers).unwrap_or_else(|_| "[]".into())),
                Value::from(m.copy_of.as_ref()),
                Value::from(m.notes.as_ref()),
                Value::from(m.source.citation.as_str()),
                Value::from(m.source.reliability.as_str()),
                o(),
            ]
        })
        .collect();
    let factory_codes = set
        .factory_codes
        .iter()
        .map(|f| {
            vec![
                Value::from(f.id.to_string()),
                Value::from(f.code.as_str()),
                Value::from(f.symbol.map(|s| s.as_str().to_string())),
                Value::from(f.country.as_ref()),
                Value::from(f.country_as_written.as_str()),
                Value::from(f.manufacturer.as_str()),
                Value::from(f.used_on.as_ref()),
                Value::from(f.notes.as_ref()),
                Value::from(f.source.citation.as_str()),
                Value::from(f.source.reliability.as_str()),
                o(),
            ]
        })
        .collect();
    let embargoes = set
        .embargoes
        .iter()
        .map(|e| {
            vec![
                Value::from(e.id.to_string()),
                Value::from(e.target.as_str()),
                Value::from(e.target_country.as_ref()),
                Value::from(e.imposed_by.as_str()),
                Value::from(e.establishing_decision.as_ref()),
                Value::from(e.decision_date.map(|d| d.to_string())),
                Value::from(e.modifying_decisions.as_ref()),
                Value::from(e.start.map(|d| d.to_string())),
                Value::from(e.end.map(|d| d.to_string())),
                Value::from(e.status.as_str()),
                Value::from(e.scope.as_ref()),
                Value::from(e.source.citation.as_str()),
                Value::from(e.source.reliability.as_str()),
                o(),
            ]
        })
        .collect();
    vec![
        Table {
            name: "countries",
            columns: &[
                "id",
                "code",
                "name",
                "official_name",
                "alpha2",
                "alpha3",
                "numeric_code",
                "valid_from",
                "valid_to",
                "historic",
                "successors_json",
                "source",
                "origin",
            ],
            rows: countries,
        },
        Table {
            name: "actors",
            columns: &[
                "id",
                "key",
                "kind",
                "name",
                "country_code",
                "parent_id",
                "source",
                "origin",
            ],
            rows: actors,
        },
        Table {
            name: "party_aliases",
            columns: &["id", "alias", "folded", "target", "source", "origin"],
            rows: aliases,
        },
        Table {
            name: "categories",
            columns: &[
                "id",
                "code",
                "scheme",
                "name",
                "parent_code",
                "aliases_json",
                "source",
                "origin",
            ],
            rows: categories,
        },
        Table {
            name: "manufacturers",
            columns: &[
                "id",
                "name",
                "country_code",
                "aliases_json",
                "source",
                "origin",
            ],
            rows: manufacturers,
        },
        Table {
            name: "weapon_models",
            columns: &[
                "id",
                "designation",
                "aliases_json",
                "family",
                "category_code",
                "category_as_written",
                "calibre",
                "country_code",
                "country_as_written",
                "producers_json",
                "copy_of",
                "notes",
                "source",
                "reliability",
                "origin",
            ],
            rows: models,
        },
        Table {
            name: "factory_codes",
            columns: &[
                "id",
                "code",
                "symbol",
                "country_code",
                "country_as_written",
                "manufacturer",
                "used_on",
                "notes",
                "source",
                "reliability",
                "origin",
            ],
            rows: factory_codes,
        },
        Table {
            name: "embargoes",
            columns: &[
                "id",
                "target",
                "target_country",
                "imposed_by",
                "establishing_decision",
                "decision_date",
                "modifying_decisions",
                "start_date",
                "end_date",
                "status",
                "scope",
                "source",
                "reliability",
                "origin",
            ],
            rows: embargoes,
        },
    ]
}

impl Store {
    /// Loads a reference set: inserts new rows, refreshes changed ones and removes shipped rows the
    /// set no longer has, all in one transaction. Rows users added are never touched. Loading the
    /// same set twice changes nothing.
    ///
    /// Needs `manage reference` (admins, or the system identity); appends one audit entry for the
    /// whole load (version and counts), not one per row.
    pub async fn load_reference(
        &self,
        set: &ReferenceSet,
        by: &Identity,
    ) -> Result<LoadReport, StoreError> {
        let previous_version = self.meta("reference_version").await?;
        let tables = tables(set);
        let mut report = LoadReport {
            version: set.version.clone(),
            previous_version,
            ..LoadReport::default()
        };
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::Reference, None).await?;
            for t in tables {
                let keep: HashSet<String> = t
                    .rows
                    .iter()
                    .filter_map(|r| match r.first() {
                        Some(Value::Text(Some(id))) => Some(id.clone()),
                        _ => None,
                    })
                    .collect();
                let existing: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM {} WHERE origin = $1",
                    t.name
                )))
                .bind(ORIGIN_REFERENCE)
                .fetch_all(&mut *tx)
                .await?;
                let stale: Vec<String> = existing.into_iter().filter(|id| !keep.contains(id)).collect();
                report.removed += delete_ids(&mut tx, t.name, &stale).await?;
                let n = upsert_rows(&mut tx, t.name, t.columns, "id", t.rows).await?;
                report.written.insert(t.name.to_string(), n);
            }
            upsert_rows(
                &mut tx,
                "schema_meta",
                &["key", "value"],
                "key",
                vec![vec![Value::from("reference_version"), Value::from(set.version.as_str())]],
            )
            .await?;
            let c = change(by, "reference.load", "reference_data", Some(set.version.clone()),
                report.previous_version.as_ref().map(|v| json!({"version": v})),
                Some(json!({"version": report.version, "written": report.written, "removed": report.removed})),
            );
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Meta, "reference_version")])]).await?;
        });
        Ok(report)
    }

    /// A value from the metadata table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let v: Option<String> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT value FROM schema_meta WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?
        });
        Ok(v)
    }

    /// A name resolver over the countries, actors and name variants in this database (shipped
    /// and user-added).
    pub async fn resolver(&self) -> Result<armtrace_core::resolve::NameResolver, StoreError> {
        let aliases = self.aliases().await?;
        let countries = self.countries_with(None, &aliases).await?;
        let actors = self.actors_with(&aliases).await?;
        Ok(armtrace_core::resolve::NameResolver::new(
            &countries, &actors, &aliases,
        ))
    }

    /// Sets a value in the metadata table; needs `manage reference` (admins).
    pub async fn set_meta(&self, by: &Identity, key: &str, value: &str) -> Result<(), StoreError> {
        let before = self.meta(key).await?;
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::Reference, None).await?;
            let c = change(by, "meta.set", "meta", Some(key.to_string()),
                before.as_ref().map(|v| json!({"value": v})), Some(json!({"value": value})));
            upsert_rows(
                &mut tx,
                "schema_meta",
                &["key", "value"],
                "key",
                vec![vec![Value::from(key), Value::from(value)]],
            )
            .await?;
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Meta, key)])]).await?;
        });
        Ok(())
    }

    /// The explicit name variants (aliases) of countries and actors.
    pub async fn aliases(&self) -> Result<Vec<Alias>, StoreError> {
        let rows: Vec<(String, String)> = with_pool!(self, p => {
            sqlx::query_as("SELECT alias, target FROM party_aliases").fetch_all(p).await?
        });
        let mut out = rows
            .into_iter()
            .map(|(alias, target)| {
                Ok(Alias {
                    target: parse::<Party>("alias target", &target)?,
                    alias,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| collate(&a.alias, &b.alias));
        Ok(out)
    }

    /// Countries, current and historic, sorted by name; with `search`, those whose name, official
    /// name, alias or code contains it (case- and accent-insensitive).
    pub async fn countries(&self, search: Option<&str>) -> Result<Vec<Country>, StoreError> {
        self.countries_with(search, &self.aliases().await?).await
    }

    async fn countries_with(
        &self,
        search: Option<&str>,
        aliases: &[Alias],
    ) -> Result<Vec<Country>, StoreError> {
        let mut countries: Vec<Country> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, code, name, official_name, alpha2, alpha3, numeric_code, valid_from, \
                 valid_to, historic, successors_json, source FROM countries",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Country {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                        official_name: r.try_get("official_name")?,
                        alpha2: r.try_get("alpha2")?,
                        alpha3: r.try_get("alpha3")?,
                        numeric: r.try_get("numeric_code")?,
                        valid_from: r.try_get::<Option<i64>, _>("valid_from")?.map(|v| v as i32),
                        valid_to: r.try_get::<Option<i64>, _>("valid_to")?.map(|v| v as i32),
                        historic: r.try_get("historic")?,
                        successors: parse_json_list(&r.try_get::<String, _>("successors_json")?)?,
                        aliases: vec![],
                        source: r.try_get("source")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        for a in aliases {
            if let Party::Country(code) = &a.target
                && let Some(c) = countries.iter_mut().find(|c| &c.code == code)
                && a.alias != c.name
            {
                c.aliases.push(a.alias.clone());
            }
        }
        if let Some(needle) = search {
            countries.retain(|c| {
                [
                    Some(&c.name),
                    c.official_name.as_ref(),
                    Some(&c.code),
                    c.alpha2.as_ref(),
                    c.alpha3.as_ref(),
                ]
                .into_iter()
                .flatten()
                .chain(c.aliases.iter())
                .any(|h| matches(h, needle))
            });
        }
        countries.sort_by(|a, b| collate(&a.name, &b.name).then_with(|| a.code.cmp(&b.code)));
        Ok(countries)
    }

    /// Actors, sorted by name.
    pub async fn actors(&self) -> Result<Vec<Actor>, StoreError> {
        self.actors_with(&self.aliases().await?).await
    }

    async fn actors_with(&self, aliases: &[Alias]) -> Result<Vec<Actor>, StoreError> {
        let mut actors: Vec<Actor> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, key, kind, name, country_code, parent_id, source FROM actors",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Actor {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        key: r.try_get("key")?,
                        kind: parse::<ActorKind>("actor kind", &r.try_get::<String, _>("kind")?)?,
                        name: r.try_get("name")?,
                        country: r.try_get("country_code")?,
                        parent: parse_opt("parent id", r.try_get("parent_id")?)?,
                        aliases: vec![],
                        source: r.try_get("source")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        for a in aliases {
            if let Party::Actor(key) = &a.target
                && let Some(actor) = actors.iter_mut().find(|x| &x.key == key)
            {
                actor.aliases.push(a.alias.clone());
            }
        }
        actors.sort_by(|a, b| collate(&a.name, &b.name).then_with(|| a.key.cmp(&b.key)));
        Ok(actors)
    }

    /// Weapon categories of every scheme, in scheme order, then by code as shipped.
    pub async fn categories(&self) -> Result<Vec<WeaponCategory>, StoreError> {
        let mut cats: Vec<WeaponCategory> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, code, scheme, name, parent_code, aliases_json, source FROM categories",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(WeaponCategory {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        code: r.try_get("code")?,
                        scheme: parse::<CategoryScheme>("scheme", &r.try_get::<String, _>("scheme")?)?,
                        name: r.try_get("name")?,
                        parent: r.try_get("parent_code")?,
                        aliases: parse_json_list(&r.try_get::<String, _>("aliases_json")?)?,
                        source: r.try_get("source")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        cats.sort_by(|a, b| {
            a.scheme
                .cmp(&b.scheme)
                .then_with(|| category_order(&a.code, &b.code))
        });
        Ok(cats)
    }

    /// Weapon models sorted by designation; with `search`, those whose designation, alias, family,
    /// calibre or country of design contains it.
    pub async fn models(&self, search: Option<&str>) -> Result<Vec<WeaponModel>, StoreError> {
        let mut models: Vec<WeaponModel> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, designation, aliases_json, family, category_code, category_as_written, \
                 calibre, country_code, country_as_written, producers_json, copy_of, notes, source, \
                 reliability FROM weapon_models",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    let producers: Vec<Producer> =
                        serde_json::from_str(&r.try_get::<String, _>("producers_json")?)
                            .map_err(|e| crate::error::invalid(format!("stored producers: {e}")))?;
                    Ok(WeaponModel {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        designation: r.try_get("designation")?,
                        aliases: parse_json_list(&r.try_get::<String, _>("aliases_json")?)?,
                        family: r.try_get("family")?,
                        category: r.try_get("category_code")?,
                        category_as_written: r.try_get("category_as_written")?,
                        calibre: r.try_get("calibre")?,
                        country_of_design: r.try_get("country_code")?,
                        country_of_design_as_written: r.try_get("country_as_written")?,
                        producers,
                        copy_of: r.try_get("copy_of")?,
                        notes: r.try_get("notes")?,
                        source: SourceRef {
                            citation: r.try_get("source")?,
                            reliability: parse::<Reliability>("reliability", &r.try_get::<String, _>("reliability")?)?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        if let Some(needle) = search {
            models.retain(|m| {
                m.names()
                    .chain(m.family.as_deref())
                    .chain(m.calibre.as_deref())
                    .chain(m.country_of_design_as_written.as_deref())
                    .chain(m.category_as_written.as_deref())
                    .any(|h| matches(h, needle))
            });
        }
        models.sort_by(|a, b| collate(&a.designation, &b.designation));
        Ok(models)
    }

    /// Factory codes, sorted by country then code.
    pub async fn factory_codes(&self) -> Result<Vec<FactoryCode>, StoreError> {
        let mut codes: Vec<FactoryCode> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, code, symbol, country_code, country_as_written, manufacturer, used_on, \
                 notes, source, reliability FROM factory_codes",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(FactoryCode {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        code: r.try_get("code")?,
                        symbol: parse_opt("symbol", r.try_get("symbol")?)?,
                        country: r.try_get("country_code")?,
                        country_as_written: r.try_get("country_as_written")?,
                        manufacturer: r.try_get("manufacturer")?,
                        used_on: r.try_get("used_on")?,
                        notes: r.try_get("notes")?,
                        source: SourceRef {
                            citation: r.try_get("source")?,
                            reliability: parse::<Reliability>("reliability", &r.try_get::<String, _>("reliability")?)?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        codes.sort_by(|a, b| {
            collate(&a.country_as_written, &b.country_as_written)
                .then_with(|| collate(&a.code, &b.code))
                .then_with(|| a.manufacturer.cmp(&b.manufacturer))
        });
        Ok(codes)
    }

    /// Arms embargoes, sorted by start date then target.
    pub async fn embargoes(&self) -> Result<Vec<Embargo>, StoreError> {
        let mut embargoes: Vec<Embargo> = with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, target, target_country, imposed_by, establishing_decision, decision_date, \
                 modifying_decisions, start_date, end_date, status, scope, source, reliability \
                 FROM embargoes",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Embargo {
                        id: parse("id", &r.try_get::<String, _>("id")?)?,
                        target: r.try_get("target")?,
                        target_country: r.try_get("target_country")?,
                        imposed_by: r.try_get("imposed_by")?,
                        establishing_decision: r.try_get("establishing_decision")?,
                        decision_date: parse_opt::<PartialDate>("date", r.try_get("decision_date")?)?,
                        modifying_decisions: r.try_get("modifying_decisions")?,
                        start: parse_opt::<PartialDate>("date", r.try_get("start_date")?)?,
                        end: parse_opt::<PartialDate>("date", r.try_get("end_date")?)?,
                        status: r.try_get("status")?,
                        scope: r.try_get("scope")?,
                        source: SourceRef {
                            citation: r.try_get("source")?,
                            reliability: parse::<Reliability>("reliability", &r.try_get::<String, _>("reliability")?)?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        embargoes.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| collate(&a.target, &b.target))
        });
        Ok(embargoes)
    }

    /// How many rows each reference table holds.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let c: Counts = with_pool!(self, p => {
            let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(p);
            Counts {
                countries: one("SELECT COUNT(*) FROM countries").await?,
                historic_states: one("SELECT COUNT(*) FROM countries WHERE historic").await?,
                actors: one("SELECT COUNT(*) FROM actors").await?,
                aliases: one("SELECT COUNT(*) FROM party_aliases").await?,
                categories: one("SELECT COUNT(*) FROM categories").await?,
                manufacturers: one("SELECT COUNT(*) FROM manufacturers").await?,
                models: one("SELECT COUNT(*) FROM weapon_models").await?,
                factory_codes: one("SELECT COUNT(*) FROM factory_codes").await?,
                embargoes: one("SELECT COUNT(*) FROM embargoes").await?,
            }
        });
        Ok(c)
    }
}

/// Orders category codes as people read them: "ML2" before "ML10", "VII" after "VI".
fn category_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn key(code: &str) -> (String, u32, String) {
        const ROMAN: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];
        let (head, tail) = code.split_once('.').unwrap_or((code, ""));
        if let Some(i) = ROMAN.iter().position(|r| *r == head) {
            return (String::new(), i as u32 + 1, tail.to_string());
        }
        let digits: String = head.chars().filter(|c| c.is_ascii_digit()).collect();
        let letters: String = head.chars().filter(|c| !c.is_ascii_digit()).collect();
        (letters, digits.parse().unwrap_or(0), tail.to_string())
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::category_order;

    #[test]
    fn category_codes_sort_naturally() {
        let mut v = vec![
            "ML10",
            "ML2",
            "VII",
            "VII.b",
            "I",
            "IV",
            "ML1",
            "sipri.aircraft",
            "salw.lw",
            "salw.sa",
        ];
        v.sort_by(|a, b| category_order(a, b));
        assert_eq!(
            v,
            [
                "I",
                "IV",
                "VII",
                "VII.b",
                "ML1",
                "ML2",
                "ML10",
                "salw.lw",
                "salw.sa",
                "sipri.aircraft"
            ]
        );
    }
}
