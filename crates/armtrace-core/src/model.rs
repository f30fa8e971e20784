//! Weapon models, manufacturers and factory codes: the catalogue that identification draws on.

use crate::id::Id;
use crate::marking::EnclosingSymbol;
use crate::source::SourceRef;
use serde::{Deserialize, Serialize};

/// A producer of a model: a country and, where the source names it, the manufacturer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Producer {
    /// Armtrace country code; `None` when the source's country could not be resolved.
    pub country: Option<String>,
    /// The country as the source wrote it ("Soviet Union/Russia").
    pub country_as_written: String,
    /// `None` when the source names the country but not the maker.
    pub manufacturer: Option<String>,
    /// Made under licence from the designer (licensed production counts as made in this country).
    pub licensed: bool,
}

/// A weapon model: a designation with its aliases, family and licensed copies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeaponModel {
    pub id: Id,
    pub designation: String,
    /// Other names and variants ("Kalashnikov", "AKS-47", "56式自動步槍").
    pub aliases: Vec<String>,
    /// The family it belongs to ("Kalashnikov"), as the source puts it.
    pub family: Option<String>,
    /// The category code (see [`crate::WeaponCategory`]); `None` if unknown.
    pub category: Option<String>,
    /// The category as the source wrote it.
    pub category_as_written: Option<String>,
    pub calibre: Option<String>,
    /// Armtrace code of the country of design.
    pub country_of_design: Option<String>,
    pub country_of_design_as_written: Option<String>,
    pub producers: Vec<Producer>,
    /// The model this one is a (licensed or unlicensed) copy of, by designation.
    pub copy_of: Option<String>,
    pub notes: Option<String>,
    pub source: SourceRef,
}

impl WeaponModel {
    pub fn id_for(designation: &str) -> Id {
        Id::for_reference("weapon_model", designation)
    }

    /// Every name this model is known by: designation first, then aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.designation.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A manufacturer (an arsenal, state factory or company).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manufacturer {
    pub id: Id,
    pub name: String,
    pub country: Option<String>,
    pub aliases: Vec<String>,
    pub source: String,
}

impl Manufacturer {
    pub fn id_for(country: Option<&str>, name: &str) -> Id {
        Id::for_reference("manufacturer", &format!("{}|{name}", country.unwrap_or("")))
    }
}

/// A factory code as stamped on weapons or ammunition: "66" in a triangle = State Factory 66.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactoryCode {
    pub id: Id,
    /// The code as marked ("66", "ТПЗ", "(star)" for a symbol-only mark).
    pub code: String,
    /// The enclosing symbol; `None` when the source does not say.
    pub symbol: Option<EnclosingSymbol>,
    /// Armtrace country code.
    pub country: Option<String>,
    pub country_as_written: String,
    pub manufacturer: String,
    /// What it is found on ("weapons", "ammunition").
    pub used_on: Option<String>,
    pub notes: Option<String>,
    pub source: SourceRef,
}

impl FactoryCode {
    pub fn id_for(code: &str, country_as_written: &str, manufacturer: &str) -> Id {
        Id::for_reference(
            "factory_code",
            &format!("{code}|{country_as_written}|{manufacturer}"),
        )
    }
}
