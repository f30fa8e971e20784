//! Documented items: a weapon (or part, or ammunition lot) seen in the field or in a photo or
//! video, with its markings, place, date, possessor and how it was acquired. Several sightings of
//! one physical weapon are merged into one item, and counts are of distinct weapons.

use crate::actor::Party;
use crate::date::PartialDate;
use crate::id::Id;
use crate::marking::Marking;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "acquisition route",
    /// How the possessor came to hold the item.
    AcquisitionRoute {
        LootedFromStocks => "looted_from_stocks",
        CapturedInBattle => "captured_in_battle",
        IllicitTrade => "illicit_trade",
        Defection => "defection",
        Unknown => "unknown",
    }
}

vocabulary! {
    "basis",
    /// How a statement is known: seen in the evidence, said by someone, or inferred.
    Basis {
        Observed => "observed",
        Reported => "reported",
        Inferred => "inferred",
    }
}

vocabulary! {
    "verification status",
    VerificationStatus {
        Unverified => "unverified",
        Verified => "verified",
        Disputed => "disputed",
        Rejected => "rejected",
    }
}

vocabulary! {
    "identification basis",
    /// What an identification rests on.
    IdentificationBasis {
        Markings => "markings",
        PhysicalFeatures => "physical_features",
        Documents => "documents",
        ExpertOpinion => "expert_opinion",
        CatalogueRule => "catalogue_rule",
    }
}

/// Where an item was seen. Coordinates carry their precision; without coordinates, a place name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Radius in metres within which the item was (city-level: ~10 000).
    pub precision_m: Option<u32>,
    pub name: Option<String>,
    /// Armtrace country code, resolved from the coordinates or given.
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("latitude {0} is out of range: it must be between -90 and 90")]
    Latitude(String),
    #[error("longitude {0} is out of range: it must be between -180 and 180")]
    Longitude(String),
    #[error("give both latitude and longitude, or neither")]
    HalfCoordinate,
}

impl Place {
    /// Checks that coordinates are complete and in range.
    pub fn validate(&self) -> Result<(), PlaceError> {
        match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(PlaceError::Latitude(lat.to_string()));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(PlaceError::Longitude(lon.to_string()));
                }
                Ok(())
            }
            (None, None) => Ok(()),
            _ => Err(PlaceError::HalfCoordinate),
        }
    }
}

/// A record that someone (or a rule) identified an item as a model. The machine's suggestion and
/// the analyst's decision are separate records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identification {
    pub id: Id,
    pub item: Id,
    pub model: Option<Id>,
    pub manufacturer: Option<Id>,
    pub country_of_manufacture: Option<String>,
    pub year_of_manufacture: Option<PartialDate>,
    pub basis: IdentificationBasis,
    /// A user name for a decision; a rule name for a suggestion.
    pub by: String,
    /// RFC 3339 time of the identification.
    pub at: String,
    pub origin: IdentificationOrigin,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "snake_case")]
pub enum IdentificationOrigin {
    /// Proposed by armtrace from a rule or catalogue record, with its confidence (0–1).
    MachineSuggestion { rule: String, confidence: f64 },
    /// Decided by an analyst, possibly accepting a suggestion.
    AnalystDecision { accepted_suggestion: Option<Id> },
}

/// How the possessor acquired the item, and how that is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquisition {
    pub route: AcquisitionRoute,
    pub basis: Basis,
    /// The event (e.g. the capture of a depot) it was acquired in.
    pub event: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentedItem {
    pub id: Id,
    pub investigation: Id,
    /// "unidentified" items carry a description instead of a model.
    pub description: Option<String>,
    /// The identification currently in force, if any.
    pub identification: Option<Id>,
    pub markings: Vec<Marking>,
    pub place: Option<Place>,
    pub date: Option<PartialDate>,
    pub possessor: Option<Party>,
    pub acquisition: Option<Acquisition>,
    pub verification: VerificationStatus,
    /// Set when this sighting was merged into another item (the same physical weapon).
    pub merged_into: Option<Id>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_checked() {
        let place = |lat, lon| Place {
            lat,
            lon,
            precision_m: None,
            name: None,
            country: None,
        };
        for (lat, lon, expected) in [
            (Some(36.34), Some(43.13), "ok"),
            (None, None, "ok"),
            (Some(90.0), Some(-180.0), "ok"),
            (
                Some(91.0),
                Some(0.0),
                "latitude 91 is out of range: it must be between -90 and 90",
            ),
            (
                Some(0.0),
                Some(180.5),
                "longitude 180.5 is out of range: it must be between -180 and 180",
            ),
            (
                Some(f64::NAN),
                Some(0.0),
                "latitude NaN is out of range: it must be between -90 and 90",
            ),
            (
                Some(1.0),
                None,
                "give both latitude and longitude, or neither",
            ),
        ] {
            let got = match place(lat, lon).validate() {
                Ok(()) => "ok".to_string(),
                Err(e) => e.to_string(),
            };
            assert_eq!(got, expected);
        }
    }
}
