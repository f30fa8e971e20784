//! Name resolution: turning a supplier, recipient or country name as a source writes it ("Soviet
//! Union", "Turkiye", "Hezbollah (Lebanon)*", "unknown supplier(s)") into a [`Party`]. A name that
//! does not resolve is an error, never a silently invented country.

use crate::actor::{Actor, Party};
use crate::country::Country;
use crate::text::fold;
use std::collections::HashMap;

/// One explicit alias: a name as sources write it and what it denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub alias: String,
    pub target: Party,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "'{0}' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess"
    )]
    Unknown(String),
    #[error("'{name}' is ambiguous: it could be {first} or {second}; add an explicit alias")]
    Ambiguous {
        name: String,
        first: Party,
        second: Party,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    One(Party),
    Ambiguous(Party, Party),
}

/// Resolves names to parties. Tiers, first match wins: explicit aliases, armtrace country codes
/// ("IRQ", "SUHH"), country names, ISO alpha-3 codes (a former country's alpha-3 may be a
/// current country's code: "ATF"), actor names. Within one tier a name that denotes two parties
/// is ambiguous.
#[derive(Clone, Debug, Default)]
pub struct NameResolver {
    tiers: [HashMap<String, Entry>; 5],
}

impl NameResolver {
    pub fn new(countries: &[Country], actors: &[Actor], aliases: &[Alias]) -> NameResolver {
        let mut r = NameResolver::default();
        // The word itself, as native files write it: the source does not know.
        r.insert(1, "unknown", Party::Unknown);
        for a in aliases {
            r.insert(0, &a.alias, a.target.clone());
        }
        for c in countries {
            let party = Party::Country(c.code.clone());
            r.insert(1, &c.code, party.clone());
            r.insert(1, &format!("country:{}", c.code), party.clone());
            for name in std::iter::once(&c.name)
                .chain(c.official_name.iter())
                .chain(c.aliases.iter())
            {
                r.insert(2, name, party.clone());
            }
            if let Some(a3) = &c.alpha3 {
                r.insert(3, a3, party.clone());
            }
        }
        for a in actors {
            let party = match &a.country {
                _ if a.kind == crate::ActorKind::State && a.country.is_some() => {
                    Party::Country(a.country.clone().unwrap_or_default())
                }
                _ => Party::Actor(a.key.clone()),
            };
            r.insert(1, &format!("actor:{}", a.key), Party::Actor(a.key.clone()));
            for name in std::iter::once(&a.name).chain(a.aliases.iter()) {
                r.insert(4, name, party.clone());
            }
        }
        r
    }

    fn insert(&mut self, tier: usize, name: &str, party: Party) {
        let key = fold(name);
        if key.is_empty() {
            return;
        }
        let entry = self.tiers[tier]
            .entry(key)
            .or_insert(Entry::One(party.clone()));
        if let Entry::One(existing) = entry
            && *existing != party
        {
            *entry = Entry::Ambiguous(existing.clone(), party);
        }
    }

    /// Resolves a name as written in a source.
    pub fn resolve(&self, name: &str) -> Result<Party, ResolveError> {
        let key = fold(name);
        for tier in &self.tiers {
            match tier.get(&key) {
                Some(Entry::One(p)) => return Ok(p.clone()),
                Some(Entry::Ambiguous(a, b)) => {
                    return Err(ResolveError::Ambiguous {
                        name: name.trim().to_string(),
                        first: a.clone(),
                        second: b.clone(),
                    });
                }
                None => {}
            }
        }
        Err(ResolveError::Unknown(name.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActorKind;

    fn country(code: &str, name: &str, official: Option<&str>) -> Country {
        Country {
            id: Country::id_for(code),
            code: code.into(),
            name: name.into(),
            official_name: official.map(Into::into),
            alpha2: None,
            alpha3: None,
            numeric: None,
            valid_from: None,
            valid_to: None,
            historic: false,
            successors: vec![],
            aliases: vec![],
            source: String::new(),
        }
    }

    fn resolver() -> NameResolver {
        let countries = vec![
            country("TUR", "Türkiye", Some("Republic of Türkiye")),
            country("SUHH", "USSR, Union of Soviet Socialist Republics", None),
            country("CIV", "Côte d'Ivoire", None),
            country("COD", "Congo, The Democratic Republic of the", None),
            country("COG", "Congo", None),
            country("ATF", "French Southern Territories", None),
            Country {
                alpha3: Some("ATF".into()),
                ..country("FQHH", "French Southern and Antarctic Territories", None)
            },
        ];
        let countries: Vec<Country> = countries
            .into_iter()
            .map(|c| {
                if c.code == "SUHH" {
                    Country {
                        alpha3: Some("SUN".into()),
                        ..c
                    }
                } else {
                    c
                }
            })
            .collect();
        let actors = vec![Actor {
            id: Actor::id_for("hezbollah"),
            key: "hezbollah".into(),
            kind: ActorKind::NonStateArmedGroup,
            name: "Hezbollah".into(),
            country: Some("LBN".into()),
            parent: None,
            aliases: vec![],
            source: String::new(),
        }];
        let alias = |a: &str, t: &str| Alias {
            alias: a.into(),
            target: t.parse().unwrap_or(Party::Unknown),
        };
        let aliases = vec![
            alias("Soviet Union", "SUHH"),
            alias("DR Congo", "COD"),
            alias("Hezbollah (Lebanon)*", "actor:hezbollah"),
            alias("unknown supplier(s)", "unknown"),
            alias("Twice", "COG"),
            alias("twice", "COD"),
        ];
        NameResolver::new(&countries, &actors, &aliases)
    }

    #[test]
    fn resolves_source_names() {
        let r = resolver();
        for (name, expected) in [
            ("Soviet Union", "country:SUHH"),
            ("Turkiye", "country:TUR"),
            ("TÜRKIYE", "country:TUR"),
            ("Republic of Türkiye", "country:TUR"),
            ("Cote d'Ivoire", "country:CIV"),
            ("DR Congo", "country:COD"),
            ("Congo", "country:COG"),
            ("Hezbollah (Lebanon)*", "actor:hezbollah"),
            ("Hezbollah", "actor:hezbollah"),
            ("unknown supplier(s)", "unknown"),
            ("  Soviet   Union ", "country:SUHH"),
            ("TUR", "country:TUR"),
            ("SUHH", "country:SUHH"),
            ("SUN", "country:SUHH"),
            ("ATF", "country:ATF"),
            ("country:TUR", "country:TUR"),
            ("unknown", "unknown"),
            ("actor:hezbollah", "actor:hezbollah"),
            (
                "actor:typo",
                "error 'actor:typo' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
            ),
            (
                "Atlantis",
                "error 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
            ),
            (
                "Hezbollah*",
                "error 'Hezbollah*' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
            ),
            (
                "Twice",
                "error 'Twice' is ambiguous: it could be country:COG or country:COD; add an explicit alias",
            ),
        ] {
            let got = match r.resolve(name) {
                Ok(p) => p.to_string(),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "{name}");
        }
    }
}
