//! Weapon categories in the schemes the users meet: the UN Register of Conventional Arms
//! (I–VII), the small arms and light weapons sub-types, the EU Common Military List (ML1–ML22) and
//! SIPRI's own categories. One weapon model can be placed in several schemes.

use crate::id::Id;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "category scheme",
    CategoryScheme {
        UnRegister => "un_register",
        Salw => "salw",
        MilitaryList => "ml",
        Sipri => "sipri",
        /// Categories users add.
        User => "user",
    }
}

impl CategoryScheme {
    pub fn title(&self) -> &'static str {
        match self {
            CategoryScheme::UnRegister => "UN Register of Conventional Arms",
            CategoryScheme::Salw => "Small arms and light weapons",
            CategoryScheme::MilitaryList => "EU Common Military List",
            CategoryScheme::Sipri => "SIPRI Arms Transfers Database",
            CategoryScheme::User => "User-defined",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeaponCategory {
    pub id: Id,
    pub scheme: CategoryScheme,
    /// Unique across schemes: "I", "VII", "salw.sa.assault_rifle", "ML1", "sipri.aircraft".
    pub code: String,
    pub name: String,
    /// The code of the broader category, within the same scheme.
    pub parent: Option<String>,
    /// Free-text names that denote this category ("assault rifle", "Armoured vehicles").
    pub aliases: Vec<String>,
    pub source: String,
}

impl WeaponCategory {
    pub fn id_for(code: &str) -> Id {
        Id::for_reference("category", code)
    }
}
