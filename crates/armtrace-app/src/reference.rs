//! The shipped reference data as users list it: countries (and historic states), the weapon model
//! catalogue, weapon categories. These are public, the same in every installation, and need no
//! identity.

use crate::App;
use armtrace_core::actor::Party;
use armtrace_core::category::CategoryScheme;
use armtrace_core::embargo::Embargo;
use armtrace_core::error::Code;
use armtrace_core::error::{Error, Result};
use armtrace_core::model::{FactoryCode, WeaponModel};
use armtrace_core::text::matches;
use armtrace_core::{Country, PartialDate, WeaponCategory};

impl App {
    /// Countries and historic states whose names match `search` (case- and accent-insensitive);
    /// with `historic_only`, only states that no longer exist.
    pub async fn countries(
        &self,
        search: Option<&str>,
        historic_only: bool,
    ) -> Result<Vec<Country>> {
        let mut countries = self.store.countries(search).await?;
        if historic_only {
            countries.retain(|c| c.historic);
        }
        Ok(countries)
    }

    /// Catalogue models whose designation, alias or family matches `search`.
    pub async fn models(&self, search: Option<&str>) -> Result<Vec<WeaponModel>> {
        Ok(self.store.models(search).await?)
    }

    /// Weapon categories, of one scheme (`un_register`, `salw`, `ml`, `sipri`) when given.
    pub async fn categories(&self, scheme: Option<&str>) -> Result<Vec<WeaponCategory>> {
        let mut categories = self.store.categories().await?;
        if let Some(s) = scheme {
            let scheme: CategoryScheme =
                s.parse().map_err(|e: String| Error::invalid("scheme", e))?;
            categories.retain(|c| c.scheme == scheme);
        }
        Ok(categories)
    }

    /// Factory codes as they are marked on weapons and ammunition ("66" in a triangle), with their
    /// country, manufacturer and source; with `search`, those whose code, manufacturer, country or
    /// notes match (case- and accent-insensitive).
    pub async fn factory_codes(&self, search: Option<&str>) -> Result<Vec<FactoryCode>> {
        let mut codes = self.store.factory_codes().await?;
        if let Some(q) = search {
            codes.retain(|c| {
                matches(&c.code, q)
                    || matches(&c.manufacturer, q)
                    || matches(&c.country_as_written, q)
                    || c.country.as_deref().is_some_and(|x| matches(x, q))
                    || c.notes.as_deref().is_some_and(|n| matches(n, q))
            });
        }
        Ok(codes)
    }

    /// UN arms embargoes with their sources; with `target`, those on that state (a name or a
    /// code) or whose target's name holds the text; with `in_force`, those in force at some time
    /// within that date (a year, a month or a day).
    pub async fn embargoes(
        &self,
        target: Option<&str>,
        in_force: Option<&str>,
    ) -> Result<Vec<Embargo>> {
        let when: Option<PartialDate> = in_force
            .map(|d| {
                d.parse().map_err(|e: armtrace_core::date::DateError| {
                    Error::invalid("in_force", e.to_string())
                })
            })
            .transpose()?;
        let country = match target {
            None => None,
            Some(t) => match self.store.resolver().await?.resolve(t) {
                Ok(Party::Country(code)) => Some(code),
                Ok(_) | Err(_) => None,
            },
        };
        let mut embargoes = self.store.embargoes().await?;
        embargoes.retain(|e| {
            target.is_none_or(|t| {
                country
                    .as_deref()
                    .is_some_and(|c| e.target_country.as_deref() == Some(c))
                    || matches(&e.target, t)
            }) && when.is_none_or(|w| e.in_force_during(w))
        });
        if target.is_some() && embargoes.is_empty() && country.is_none() {
            // Say whether the name was understood at all: an empty answer is not a "no".
            let known = self
                .store
                .resolver()
                .await?
                .resolve(target.unwrap_or_default());
            if let Err(e) = known {
                return Err(Error::new(Code::NameUnknown, e.to_string()).with_field("target"));
            }
        }
        Ok(embargoes)
    }
}
