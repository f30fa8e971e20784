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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error(
        "{reviewer} wrote this record, and the reviewer is never the author: ask another reviewer"
    )]
    OwnWork { reviewer: String },
    #[error("give a reason for the review: the audit log and the report show it")]
    NoReason,
    #[error("the record is already {0}")]
    Unchanged(VerificationStatus),
    #[error("a {from} record cannot become {to}: {hint}")]
    Transition {
        from: VerificationStatus,
        to: VerificationStatus,
        hint: &'static str,
    },
}

impl From<ReviewError> for crate::error::Error {
    fn from(e: ReviewError) -> crate::error::Error {
        use crate::error::{Code, Error};
        match e {
            ReviewError::OwnWork { .. } => Error::new(Code::AccessDenied, e.to_string()),
            ReviewError::NoReason => Error::missing("reason", e.to_string()),
            ReviewError::Unchanged(_) => Error::new(Code::InputNoChange, e.to_string()),
            ReviewError::Transition { .. } => {
                Error::new(Code::ConflictState, e.to_string()).with_field("status")
            }
        }
    }
}

impl VerificationStatus {
    /// The statuses a review may move a record to from this one. A record is verified, disputed
    /// or rejected from unverified; verified work may be disputed or rejected when doubts arise;
    /// disputed work is settled as verified or rejected; rejected or disputed work is reopened as
    /// unverified when new evidence comes in.
    pub fn next(self) -> &'static [VerificationStatus] {
        use VerificationStatus::*;
        match self {
            Unverified => &[Verified, Disputed, Rejected],
            Verified => &[Disputed, Rejected],
            Disputed => &[Verified, Rejected, Unverified],
            Rejected => &[Unverified],
        }
    }

    /// The status after the record's content is edited: what was verified is no longer the
    /// same record, so it goes back to unverified; other statuses stay.
    pub fn after_edit(self) -> VerificationStatus {
        match self {
            VerificationStatus::Verified => VerificationStatus::Unverified,
            other => other,
        }
    }
}

/// Checks a review: a reason, a reviewer who is none of the record's authors, and a transition
/// the workflow allows.
pub fn check_review(
    authors: &[String],
    reviewer: &str,
    from: VerificationStatus,
    to: VerificationStatus,
    reason: &str,
) -> Result<(), ReviewError> {
    if authors.iter().any(|a| a == reviewer) {
        return Err(ReviewError::OwnWork {
            reviewer: reviewer.to_string(),
        });
    }
    if reason.trim().is_empty() {
        return Err(ReviewError::NoReason);
    }
    if from == to {
        return Err(ReviewError::Unchanged(from));
    }
    if !from.next().contains(&to) {
        let hint = match from {
            VerificationStatus::Verified => "dispute it first, with the reason for the doubt",
            VerificationStatus::Rejected => "reopen it as unverified first",
            _ => "an unverified record may become verified, disputed or rejected",
        };
        return Err(ReviewError::Transition { from, to, hint });
    }
    Ok(())
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

vocabulary! {
    "country basis",
    /// How an item's country is known.
    CountryBasis {
        /// Resolved from the coordinates with the bundled map.
        Map => "map",
        /// Named by the investigator (no coordinates, or a place the map cannot settle).
        Given => "given",
    }
}

/// A catalogue model as an identification names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub id: Id,
    pub designation: String,
    /// Its category code, if the catalogue has one.
    pub category: Option<String>,
}

/// An identification about to be recorded: an analyst's decision on what the item is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentificationDraft {
    /// `None` for an unidentified item.
    pub model: Option<ModelRef>,
    /// Armtrace country code.
    pub country_of_manufacture: Option<String>,
    pub year_of_manufacture: Option<PartialDate>,
    pub basis: IdentificationBasis,
    pub notes: Option<String>,
}

/// A documented item about to be created, checked and with its names resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemDraft {
    /// The investigator's reference ("CAR-IS-0012"); armtrace numbers the item when absent.
    pub reference: Option<String>,
    pub description: Option<String>,
    pub identification: Option<IdentificationDraft>,
    pub markings: Vec<Marking>,
    pub place: Option<Place>,
    pub country_basis: Option<CountryBasis>,
    /// Exact coordinates are confidential: the public tier shows them rounded.
    pub location_sensitive: bool,
    pub date: Option<PartialDate>,
    pub possessor: Option<Party>,
    pub acquisition: Option<Acquisition>,
    pub notes: Option<String>,
    /// Where the record came from: "FILE:LINE" for imports, the command otherwise.
    pub source: String,
}

/// Checks an item reference: 1–100 characters, no spaces at either end, no control characters.
pub fn validate_reference(r: &str) -> Result<(), String> {
    if r.trim().is_empty()
        || r.trim() != r
        || r.chars().count() > 100
        || r.chars().any(char::is_control)
    {
        return Err(format!(
            "item reference '{r}' must be 1 to 100 characters, without control characters or spaces at either end"
        ));
    }
    Ok(())
}

impl ItemDraft {
    /// An item is either identified as a catalogue model or described: "unidentified" items need
    /// a description that says what was seen.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(r) = &self.reference {
            validate_reference(r)?;
        }
        let identified = self
            .identification
            .as_ref()
            .is_some_and(|i| i.model.is_some());
        let described = self
            .description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty());
        if !identified && !described {
            return Err(
                "an item needs a model from the catalogue, or a description of what was seen when it is unidentified"
                    .into(),
            );
        }
        if let Some(p) = &self.place {
            p.validate().map_err(|e| e.to_string())?;
            if p.lat.is_none() && p.name.is_none() && p.country.is_none() {
                return Err("a place needs coordinates, a place name or a country".into());
            }
        }
        Ok(())
    }

    /// SHA-256 of the draft's content without its source (canonical JSON): re-importing the same
    /// record, even from another line, is recognised.
    pub fn content_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut d = self.clone();
        d.source = String::new();
        let value = serde_json::to_value(&d).unwrap_or(serde_json::Value::Null);
        hex::encode(Sha256::digest(
            crate::canonical::to_string(&value).as_bytes(),
        ))
    }
}

/// Rounds coordinates for the public tier when the location is sensitive: to 0.1° (about 11 km),
/// and the precision widened to match.
pub fn public_place(place: &Place, sensitive: bool) -> Place {
    if !sensitive {
        return place.clone();
    }
    let round = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    Place {
        lat: round(place.lat),
        lon: round(place.lon),
        precision_m: place
            .lat
            .map(|_| place.precision_m.unwrap_or(0).max(11_000)),
        name: place.name.clone(),
        country: place.country.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_need_a_model_or_a_description() {
        let model = ModelRef {
            id: Id::for_reference("weapon_model", "AK-47"),
            designation: "AK-47".into(),
            category: None,
        };
        let draft = |model: Option<ModelRef>,
                     description: Option<&str>,
                     reference: Option<&str>| ItemDraft {
            reference: reference.map(str::to_string),
            description: description.map(str::to_string),
            identification: model.map(|m| IdentificationDraft {
                model: Some(m),
                country_of_manufacture: None,
                year_of_manufacture: None,
                basis: IdentificationBasis::Markings,
                notes: None,
            }),
            markings: vec![],
            place: None,
            country_basis: None,
            location_sensitive: false,
            date: None,
            possessor: None,
            acquisition: None,
            notes: None,
            source: "test".into(),
        };
        for (d, expected) in [
            (draft(Some(model.clone()), None, Some("CAR-1")), "ok"),
            (draft(None, Some("rifle, folding stock"), None), "ok"),
            (
                draft(None, Some("  "), None),
                "an item needs a model from the catalogue, or a description of what was seen when it is unidentified",
            ),
            (
                draft(Some(model), None, Some(" x")),
                "item reference ' x' must be 1 to 100 characters, without control characters or spaces at either end",
            ),
        ] {
            let got = d.validate().err().unwrap_or_else(|| "ok".into());
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn sensitive_places_are_rounded_for_the_public() {
        let p = Place {
            lat: Some(36.3456),
            lon: Some(43.1234),
            precision_m: Some(50),
            name: Some("Mosul".into()),
            country: Some("IRQ".into()),
        };
        let public = public_place(&p, true);
        assert_eq!(
            (public.lat, public.lon, public.precision_m),
            (Some(36.3), Some(43.1), Some(11_000))
        );
        assert_eq!(public_place(&p, false), p);
    }

    #[test]
    fn the_verification_workflow() {
        use VerificationStatus::*;
        let authors = vec!["amira".to_string(), "ben".to_string()];
        for (reviewer, from, to, reason, expected) in [
            ("rev", Unverified, Verified, "markings match", "ok"),
            ("rev", Unverified, Disputed, "two readings", "ok"),
            ("rev", Unverified, Rejected, "staged photo", "ok"),
            ("rev", Verified, Disputed, "new video", "ok"),
            ("rev", Verified, Rejected, "fake", "ok"),
            ("rev", Disputed, Verified, "settled", "ok"),
            ("rev", Disputed, Unverified, "reopened", "ok"),
            ("rev", Rejected, Unverified, "new evidence", "ok"),
            (
                "amira",
                Unverified,
                Verified,
                "mine",
                "amira wrote this record, and the reviewer is never the author: ask another reviewer",
            ),
            (
                "ben",
                Unverified,
                Verified,
                "edited it",
                "ben wrote this record, and the reviewer is never the author: ask another reviewer",
            ),
            (
                "rev",
                Unverified,
                Verified,
                "  ",
                "give a reason for the review: the audit log and the report show it",
            ),
            (
                "rev",
                Verified,
                Verified,
                "again",
                "the record is already verified",
            ),
            (
                "rev",
                Verified,
                Unverified,
                "undo",
                "a verified record cannot become unverified: dispute it first, with the reason for the doubt",
            ),
            (
                "rev",
                Rejected,
                Verified,
                "changed my mind",
                "a rejected record cannot become verified: reopen it as unverified first",
            ),
        ] {
            let got = match check_review(&authors, reviewer, from, to, reason) {
                Ok(()) => "ok".to_string(),
                Err(e) => e.to_string(),
            };
            assert_eq!(got, expected, "{reviewer} {from} -> {to}");
        }
        for (before, after) in [
            (Unverified, Unverified),
            (Verified, Unverified),
            (Disputed, Disputed),
            (Rejected, Rejected),
        ] {
            assert_eq!(before.after_edit(), after);
        }
    }

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
