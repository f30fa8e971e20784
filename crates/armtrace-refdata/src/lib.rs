//! The reference data that ships inside armtrace (`data/` at the repository root, embedded in the
//! binary at build time): countries from ISO 3166-1 and 3166-3 plus the historic states ISO lacks,
//! the name variants sources use, non-state actors and organisations, weapon categories, a starter
//! catalogue of weapon models, factory codes and UN arms embargoes. Each row keeps its source.
//!
//! Architecture invariant: no I/O at run time. The files are compiled in, so `armtrace init` works
//! offline; parsing them is checked by tests so a bad edit fails the build's tests, not a user.

mod load;

pub use load::{RefDataError, category_index, load, sipri_description_categories};

/// The version of the shipped reference data, recorded in the database by `armtrace init`.
/// Bump it whenever a file under `data/` changes.
pub const REFERENCE_VERSION: &str = "2026.11.29.2";

/// One embedded file: its path under `data/` and its text.
pub(crate) struct Embedded {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! embed {
    ($path:literal) => {
        Embedded {
            path: $path,
            text: include_str!(concat!("../../../data/", $path)),
        }
    };
}

pub(crate) const ISO_3166_1: Embedded = embed!("countries/iso_3166-1.json");
pub(crate) const ISO_3166_3: Embedded = embed!("countries/iso_3166-3.json");
pub(crate) const HISTORIC_STATES: Embedded = embed!("countries/historic_states.csv");
pub(crate) const VALIDITY: Embedded = embed!("countries/validity.csv");
pub(crate) const ALIASES: Embedded = embed!("countries/aliases.csv");
pub(crate) const ACTORS: Embedded = embed!("reference/actors.csv");
pub(crate) const CATEGORIES: Embedded = embed!("reference/categories.csv");
pub(crate) const WEAPON_MODELS: Embedded = embed!("reference/weapon_models.csv");
pub(crate) const FACTORY_CODES: Embedded = embed!("reference/factory_codes.csv");
pub(crate) const EMBARGOES: Embedded = embed!("reference/un_arms_embargoes.csv");
pub(crate) const DESCRIPTION_CATEGORIES: Embedded = embed!("sipri/description_categories.csv");

/// The Iraq and Iran 1970–1990 subset of the SIPRI trade register (about 1.3 % of the register,
/// shipped under SIPRI's terms for non-commercial use), exactly as SIPRI exported it
/// (Windows-1252). The demo database imports it.
pub const SIPRI_IRAQ_IRAN_SUBSET: &[u8] =
    include_bytes!("../../../data/sipri/sipri_trade_register_iraq_iran_1970-1990_SUBSET.csv");

/// The file name of the shipped SIPRI subset, as import reports name it.
pub const SIPRI_IRAQ_IRAN_SUBSET_NAME: &str = "sipri_trade_register_iraq_iran_1970-1990_SUBSET.csv";

/// The world's country borders: Natural Earth 4.1.0 admin-0 at 1:50m as quantized TopoJSON
/// (npm world-atlas 2.0.2, `data/maps/countries-50m.json`, bytes unchanged). Objects `countries`
/// (241 features, `id` the ISO 3166 numeric code as a zero-padded string, properties `{name}`)
/// and `land`. `armtrace_ingest::geo::CountryLocator` reads it.
pub const COUNTRIES_50M_TOPOJSON: &str = include_str!("../../../data/maps/countries-50m.json");
