//! The shipped reference data as users list it: countries (and historic states), the weapon model
//! catalogue, weapon categories. These are public, the same in every installation, and need no
//! identity.

use crate::App;
use armtrace_core::category::CategoryScheme;
use armtrace_core::error::{Error, Result};
use armtrace_core::model::WeaponModel;
use armtrace_core::{Country, WeaponCategory};

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
}
