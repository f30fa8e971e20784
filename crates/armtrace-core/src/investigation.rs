//! Investigations and data tiers. Every documented item, evidence file, trace and report belongs
//! to one investigation, and only its members see it (need-to-know, see [`crate::access::may`]).
//! Data has two tiers: public, and confidential (sources' identities, exact coordinates when
//! sensitive, confidential trace answers). Exports and reports are public unless asked otherwise,
//! and say which tier they hold.

use crate::access::{Action, Role, can};
use crate::id::Id;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

/// An investigation: a study with its own members, records and reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Investigation {
    pub id: Id,
    pub name: String,
    pub description: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub created_by: String,
    /// Member user names, sorted.
    pub members: Vec<String>,
}

/// Checks an investigation name: 1–200 characters, not blank.
pub fn validate_investigation_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().count() > 200 || name.trim() != name {
        return Err(format!(
            "investigation name '{name}' must be 1 to 200 characters without spaces at either end"
        ));
    }
    Ok(())
}

vocabulary! {
    "tier",
    /// How widely a field may be shown.
    Tier {
        /// Safe to publish.
        Public => "public",
        /// Sources' identities, sensitive exact coordinates, confidential trace answers: only for
        /// members whose role may read the confidential tier.
        Confidential => "confidential",
    }
}

impl Tier {
    /// What an export or report says about the tier it holds.
    pub fn notice(&self) -> &'static str {
        match self {
            Tier::Public => {
                "Public tier: confidential fields (sources' identities, sensitive coordinates, confidential trace answers) are left out."
            }
            Tier::Confidential => {
                "CONFIDENTIAL tier: this holds sources' identities and sensitive details. Do not publish or forward it."
            }
        }
    }
}

/// The tier an export gets: public unless `requested` says confidential and the role may read it.
pub fn export_tier(role: Role, requested: Option<Tier>) -> Result<Tier, String> {
    match requested.unwrap_or(Tier::Public) {
        Tier::Public => Ok(Tier::Public),
        Tier::Confidential
            if can(
                role,
                Action::ReadConfidential,
                crate::access::Resource::DocumentedItem,
            ) =>
        {
            Ok(Tier::Confidential)
        }
        Tier::Confidential => Err(format!(
            "a {role} may not read the confidential tier: use the public tier (the default), or ask an admin"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_default_to_the_public_tier() {
        let cases = [
            (Role::Viewer, None, Ok(Tier::Public)),
            (Role::Investigator, None, Ok(Tier::Public)),
            (
                Role::Investigator,
                Some(Tier::Confidential),
                Ok(Tier::Confidential),
            ),
            (
                Role::Reviewer,
                Some(Tier::Confidential),
                Ok(Tier::Confidential),
            ),
            (Role::Viewer, Some(Tier::Public), Ok(Tier::Public)),
            (Role::Viewer, Some(Tier::Confidential), Err(())),
            (Role::LicensingOfficer, Some(Tier::Confidential), Err(())),
        ];
        for (role, requested, want) in cases {
            assert_eq!(export_tier(role, requested).map_err(|_| ()), want, "{role}");
        }
        assert!(Tier::Public.notice().starts_with("Public tier"));
    }

    #[test]
    fn investigation_names_are_checked() {
        for (name, ok) in [
            ("Mosul 2014–15", true),
            ("", false),
            ("   ", false),
            (" padded", false),
            (&"x".repeat(201), false),
        ] {
            assert_eq!(validate_investigation_name(name).is_ok(), ok, "{name:?}");
        }
    }
}
