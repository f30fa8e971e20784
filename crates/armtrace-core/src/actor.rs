//! Actors: who holds, supplies, receives or misuses arms. A transfer's supplier and recipient are
//! parties: a state (a country), another actor, or explicitly unknown.

use crate::id::Id;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

vocabulary! {
    "actor kind",
    ActorKind {
        State => "state",
        /// An armed force, service or unit of a state ("Iraqi Army 2nd Division").
        ForceOrUnit => "force_or_unit",
        NonStateArmedGroup => "non_state_armed_group",
        /// An intergovernmental organisation (NATO, African Union, United Nations).
        Organisation => "organisation",
        Company => "company",
        Individual => "individual",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Id,
    /// A short stable key ("hezbollah", "nato").
    pub key: String,
    pub kind: ActorKind,
    pub name: String,
    /// The country it belongs to or operates in, by armtrace country code.
    pub country: Option<String>,
    /// The actor it is part of (a unit's army, a subsidiary's parent company).
    pub parent: Option<Id>,
    pub aliases: Vec<String>,
    pub source: String,
}

impl Actor {
    pub fn id_for(key: &str) -> Id {
        Id::for_reference("actor", key)
    }
}

/// A supplier or recipient as a source names it, once resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "party", content = "ref", rename_all = "snake_case")]
pub enum Party {
    /// A state, by armtrace country code.
    Country(String),
    /// Any other actor, by key.
    Actor(String),
    /// The source itself says it does not know ("unknown supplier(s)").
    Unknown,
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Country(c) => write!(f, "country:{c}"),
            Party::Actor(a) => write!(f, "actor:{a}"),
            Party::Unknown => f.write_str("unknown"),
        }
    }
}

impl FromStr for Party {
    type Err = String;
    /// Parses `country:IRQ`, `actor:hezbollah`, `unknown`, or a bare country code (`IRQ`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "unknown" {
            return Ok(Party::Unknown);
        }
        if let Some(a) = s.strip_prefix("actor:") {
            return non_empty(a).map(|a| Party::Actor(a.to_string()));
        }
        let code = s.strip_prefix("country:").unwrap_or(s);
        non_empty(code)?;
        if code.chars().all(|c| c.is_ascii_uppercase()) && (3..=4).contains(&code.len()) {
            Ok(Party::Country(code.to_string()))
        } else {
            Err(format!(
                "'{s}' is not a party: use a country code (IRQ), actor:KEY or unknown"
            ))
        }
    }
}

fn non_empty(s: &str) -> Result<&str, String> {
    if s.trim().is_empty() {
        Err("empty party reference".into())
    } else {
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_round_trip() {
        for (input, expected) in [
            ("IRQ", "ok country:IRQ"),
            ("country:SUHH", "ok country:SUHH"),
            ("actor:hezbollah", "ok actor:hezbollah"),
            ("unknown", "ok unknown"),
            ("actor:", "error empty party reference"),
            (
                "iraq",
                "error 'iraq' is not a party: use a country code (IRQ), actor:KEY or unknown",
            ),
        ] {
            let got = match input.parse::<Party>() {
                Ok(p) => format!("ok {p}"),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "{input}");
        }
    }

    #[test]
    fn actor_kinds_parse() {
        for k in ActorKind::ALL {
            assert_eq!(k.as_str().parse::<ActorKind>().as_ref(), Ok(k));
        }
        assert!("rebel".parse::<ActorKind>().is_err());
    }
}
