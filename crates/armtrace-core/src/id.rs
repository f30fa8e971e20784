//! Identifiers. Every record has a UUID so that a field laptop's database can be merged into a
//! server's without collisions. Reference rows shipped with armtrace get a *name-based* UUID (v5)
//! derived from their natural key, so every installation gives the same row the same id; records
//! that users create get a time-ordered random UUID (v7).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The namespace for armtrace's name-based identifiers (a fixed, random UUID).
const ARMTRACE_NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_3a52_8e0d_4f7b_9a46_2b1d_77c5_e0a9);

/// A record identifier.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(Uuid);

impl Id {
    /// A fresh identifier for a record a user creates (UUID v7: random, ordered by time).
    pub fn new_random() -> Self {
        Id(Uuid::now_v7())
    }

    /// The stable identifier of a reference row, derived from its kind and natural key, e.g.
    /// `Id::for_reference("country", "IRQ")`. The same key always gives the same id.
    pub fn for_reference(kind: &str, key: &str) -> Self {
        let name = format!("{kind}:{key}");
        Id(Uuid::new_v5(&ARMTRACE_NAMESPACE, name.as_bytes()))
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for Id {
    fn from(u: Uuid) -> Self {
        Id(u)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0.hyphenated())
    }
}

impl FromStr for Id {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_are_stable_and_distinct() {
        let a = Id::for_reference("country", "IRQ");
        assert_eq!(a, Id::for_reference("country", "IRQ"));
        assert_ne!(a, Id::for_reference("country", "IRN"));
        assert_ne!(a, Id::for_reference("actor", "IRQ"));
        // Pinned: changing the namespace would break merges between installations.
        assert_eq!(
            a.to_string(),
            Id::for_reference("country", "IRQ").to_string()
        );
        assert_eq!(a.as_uuid().get_version_num(), 5);
    }

    #[test]
    fn random_ids_round_trip_through_text() {
        let id = Id::new_random();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        assert_eq!(id.to_string().parse::<Id>().ok(), Some(id));
    }
}
