//! A complete set of reference data, as shipped with armtrace and loaded by `armtrace init`.

use crate::actor::Actor;
use crate::category::WeaponCategory;
use crate::country::Country;
use crate::embargo::Embargo;
use crate::model::{FactoryCode, Manufacturer, WeaponModel};
use crate::resolve::{Alias, NameResolver};

#[derive(Clone, Debug, Default)]
pub struct ReferenceSet {
    /// The version of the shipped data ("2026.11.1"); recorded in the database by `init`.
    pub version: String,
    pub countries: Vec<Country>,
    pub actors: Vec<Actor>,
    pub aliases: Vec<Alias>,
    pub categories: Vec<WeaponCategory>,
    pub manufacturers: Vec<Manufacturer>,
    pub models: Vec<WeaponModel>,
    pub factory_codes: Vec<FactoryCode>,
    pub embargoes: Vec<Embargo>,
}

impl ReferenceSet {
    pub fn resolver(&self) -> NameResolver {
        NameResolver::new(&self.countries, &self.actors, &self.aliases)
    }
}
