//! Countries: current ISO 3166-1 states, former states of ISO 3166-3, and historic states that
//! sources use but ISO lacks (North Yemen, South Vietnam). A transfer of 1975 to "South Vietnam" or
//! from the "Soviet Union" names the state that existed then, never its successor.

use crate::id::Id;
use serde::{Deserialize, Serialize};

/// A state, current or historic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    pub id: Id,
    /// The key armtrace uses: ISO alpha-3 for current states ("IRQ"), the ISO 3166-3 four-letter
    /// code for former ones ("SUHH"), and an X-code for states ISO never listed ("XYAR").
    pub code: String,
    pub name: String,
    pub official_name: Option<String>,
    pub alpha2: Option<String>,
    pub alpha3: Option<String>,
    /// ISO 3166 numeric code, zero-padded ("004").
    pub numeric: Option<String>,
    /// First year the state existed, where the sources say.
    pub valid_from: Option<i32>,
    /// Last year the state existed; `None` for states that still exist.
    pub valid_to: Option<i32>,
    /// Whether the state no longer exists.
    pub historic: bool,
    /// Codes of the states that succeeded it.
    pub successors: Vec<String>,
    /// Other names sources use for it ("Soviet Union", "USSR", "Turkiye").
    pub aliases: Vec<String>,
    pub source: String,
}

impl Country {
    /// The stable identifier of the country with this armtrace code.
    pub fn id_for(code: &str) -> Id {
        Id::for_reference("country", code)
    }

    /// Whether the state existed at some time in `year` (unknown bounds are open).
    pub fn existed_in(&self, year: i32) -> bool {
        self.valid_from.is_none_or(|f| f <= year) && self.valid_to.is_none_or(|t| year <= t)
    }

    /// "1922–1991", "1990–", or "" when unknown.
    pub fn validity(&self) -> String {
        match (self.valid_from, self.valid_to) {
            (None, None) => String::new(),
            (f, t) => format!(
                "{}–{}",
                f.map(|y| y.to_string()).unwrap_or_else(|| "?".into()),
                t.map(|y| y.to_string()).unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(from: Option<i32>, to: Option<i32>) -> Country {
        Country {
            id: Country::id_for("SUHH"),
            code: "SUHH".into(),
            name: "Soviet Union".into(),
            official_name: None,
            alpha2: Some("SU".into()),
            alpha3: Some("SUN".into()),
            numeric: Some("810".into()),
            valid_from: from,
            valid_to: to,
            historic: to.is_some(),
            successors: vec![],
            aliases: vec![],
            source: String::new(),
        }
    }

    #[test]
    fn validity_bounds() {
        let su = country(Some(1922), Some(1991));
        assert!(!su.existed_in(1921));
        assert!(su.existed_in(1922) && su.existed_in(1991));
        assert!(!su.existed_in(1992));
        assert_eq!(su.validity(), "1922–1991");
        assert_eq!(country(None, Some(1991)).validity(), "?–1991");
        assert_eq!(country(Some(1990), None).validity(), "1990–");
        assert_eq!(country(None, None).validity(), "");
        assert!(country(None, None).existed_in(1800));
    }
}
