//! Who may do what. Users have one [`Role`]; the permission table ([`PERMISSIONS`]) says which
//! [`Action`]s each role may take on each kind of [`Resource`], and [`can`] reads it. Need-to-know
//! is a second gate on top: records that belong to an investigation are open only to its members
//! ([`may`]). Every write names an [`Identity`]; there are no anonymous writes.

use crate::id::Id;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "role",
    /// What a user does in the project; decides what they may read and write.
    Role {
        /// Reads public-tier records of their investigations and the registers.
        Viewer => "viewer",
        /// Documents items, evidence and traces, and writes reports.
        Investigator => "investigator",
        /// Verifies other people's work (never their own).
        Reviewer => "reviewer",
        /// Assesses export licence applications.
        LicensingOfficer => "licensing_officer",
        /// Manages users, memberships and reference data; may do everything else too.
        Admin => "admin",
    }
}

vocabulary! {
    "action",
    /// What a user does to a resource.
    Action {
        /// Read the public tier.
        Read => "read",
        /// Read the confidential tier: sources' identities, sensitive coordinates, confidential
        /// trace answers.
        ReadConfidential => "read_confidential",
        /// Create or change (corrections are new audit entries, never edits of old ones).
        Write => "write",
        /// Verify someone else's work.
        Review => "review",
        /// Administer: add and disable users, add members, load reference data, sign checkpoints.
        Manage => "manage",
    }
}

vocabulary! {
    "resource",
    /// The kinds of record permissions are granted on.
    Resource {
        /// Countries, actors, categories, the weapon catalogue, factory codes, embargoes.
        Reference => "reference",
        /// The transfer registers (SIPRI releases, national reports, trace answers).
        Transfer => "transfer",
        User => "user",
        Investigation => "investigation",
        Membership => "membership",
        DocumentedItem => "documented_item",
        Evidence => "evidence",
        Trace => "trace",
        Report => "report",
        /// Export licence risk assessments.
        Assessment => "assessment",
        /// The audit log and its checkpoints.
        Audit => "audit",
    }
}

impl Resource {
    /// Whether records of this kind belong to an investigation, so that only its members see them.
    pub fn belongs_to_investigation(&self) -> bool {
        matches!(
            self,
            Resource::Investigation
                | Resource::Membership
                | Resource::DocumentedItem
                | Resource::Evidence
                | Resource::Trace
                | Resource::Report
        )
    }
}

use Action::{Manage as M, Read as R, ReadConfidential as C, Review as V, Write as W};
use Resource as Res;
use Role::{Admin, Investigator, LicensingOfficer, Reviewer, Viewer};

/// Every action.
const ALL: &[Action] = &[R, C, W, V, M];

/// The permission table: for each role and resource, the actions allowed. What is not listed is
/// refused. Changing a line changes the grid pinned in this module's tests.
pub static PERMISSIONS: &[(Role, Resource, &[Action])] = &[
    (Viewer, Res::Reference, &[R]),
    (Viewer, Res::Transfer, &[R]),
    (Viewer, Res::User, &[R]),
    (Viewer, Res::Investigation, &[R]),
    (Viewer, Res::Membership, &[R]),
    (Viewer, Res::DocumentedItem, &[R]),
    (Viewer, Res::Evidence, &[R]),
    (Viewer, Res::Trace, &[R]),
    (Viewer, Res::Report, &[R]),
    (Viewer, Res::Audit, &[R]),
    (Investigator, Res::Reference, &[R, W]),
    (Investigator, Res::Transfer, &[R, W]),
    (Investigator, Res::User, &[R]),
    (Investigator, Res::Investigation, &[R, W]),
    (Investigator, Res::Membership, &[R, M]),
    (Investigator, Res::DocumentedItem, &[R, C, W]),
    (Investigator, Res::Evidence, &[R, C, W]),
    (Investigator, Res::Trace, &[R, C, W]),
    (Investigator, Res::Report, &[R, C, W]),
    (Investigator, Res::Audit, &[R, W]),
    (Reviewer, Res::Reference, &[R]),
    (Reviewer, Res::Transfer, &[R]),
    (Reviewer, Res::User, &[R]),
    (Reviewer, Res::Investigation, &[R]),
    (Reviewer, Res::Membership, &[R]),
    (Reviewer, Res::DocumentedItem, &[R, C, V]),
    (Reviewer, Res::Evidence, &[R, C, V]),
    (Reviewer, Res::Trace, &[R, C, V]),
    (Reviewer, Res::Report, &[R, C, V]),
    (Reviewer, Res::Audit, &[R, W]),
    (LicensingOfficer, Res::Reference, &[R]),
    (LicensingOfficer, Res::Transfer, &[R]),
    (LicensingOfficer, Res::User, &[R]),
    (LicensingOfficer, Res::Investigation, &[R]),
    (LicensingOfficer, Res::Membership, &[R]),
    (LicensingOfficer, Res::DocumentedItem, &[R]),
    (LicensingOfficer, Res::Evidence, &[R]),
    (LicensingOfficer, Res::Trace, &[R]),
    (LicensingOfficer, Res::Report, &[R]),
    (LicensingOfficer, Res::Assessment, &[R, C, W]),
    (LicensingOfficer, Res::Audit, &[R, W]),
    (Admin, Res::Reference, ALL),
    (Admin, Res::Transfer, ALL),
    (Admin, Res::User, ALL),
    (Admin, Res::Investigation, ALL),
    (Admin, Res::Membership, ALL),
    (Admin, Res::DocumentedItem, ALL),
    (Admin, Res::Evidence, ALL),
    (Admin, Res::Trace, ALL),
    (Admin, Res::Report, ALL),
    (Admin, Res::Assessment, ALL),
    (Admin, Res::Audit, ALL),
];

/// Whether `role` may take `action` on `resource`, by the permission table alone.
pub fn can(role: Role, action: Action, resource: Resource) -> bool {
    PERMISSIONS
        .iter()
        .any(|(r, res, actions)| *r == role && *res == resource && actions.contains(&action))
}

/// Where an action takes place: outside any investigation, or inside one (and whether the user
/// is a member of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Investigation { member: bool },
}

/// Whether `role` may take `action` on `resource` in `scope`: the permission table, then
/// need-to-know. Inside an investigation only members may act, admins included; the one
/// exception is that an admin may manage an investigation's membership (to add the first
/// investigator, or themselves — which the audit log records).
pub fn may(role: Role, action: Action, resource: Resource, scope: Scope) -> bool {
    if !can(role, action, resource) {
        return false;
    }
    match scope {
        Scope::Global => true,
        Scope::Investigation { member: true } => true,
        Scope::Investigation { member: false } => {
            role == Admin && action == M && resource == Res::Membership
        }
    }
}

/// Who acts: a named user, checked against the users table by every read and write. armtrace
/// itself acts only once, inside the store, to bootstrap a fresh database (create its owner and
/// record its audit key); that identity cannot be built outside the store, so no caller can skip
/// a check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity(String);

/// The name the audit log records for armtrace itself; no user may take it.
pub const SYSTEM_NAME: &str = "system";

impl Identity {
    /// The user called `name`.
    pub fn user(name: impl Into<String>) -> Identity {
        Identity(name.into())
    }

    pub fn name(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A user of armtrace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub role: Role,
    /// Disabled users keep their history but can no longer act.
    pub active: bool,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub created_by: String,
}

/// Checks a user name: 1–64 characters, letters, digits and `. _ - @`, not "system".
pub fn validate_user_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.chars().count() > 64 {
        return Err(format!(
            "user name '{name}' must be 1 to 64 characters long"
        ));
    }
    if !name.chars().all(ok_char) {
        return Err(format!(
            "user name '{name}' may hold only letters, digits and . _ - @ (no spaces)"
        ));
    }
    if name.eq_ignore_ascii_case(SYSTEM_NAME) {
        return Err(format!(
            "'{name}' is reserved for armtrace itself in the audit log: choose another user name"
        ));
    }
    Ok(())
}

/// Why an action was refused. Each message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("there is no user '{0}': an admin adds users (the list of users shows who exists)")]
    UnknownUser(String),
    #[error("user '{0}' is disabled and can no longer act: ask an admin")]
    Disabled(String),
    #[error(
        "{user} has the role {role}, which may not {action} {resource}: ask an admin for a role that may"
    )]
    NotPermitted {
        user: String,
        role: Role,
        action: Action,
        resource: Resource,
    },
    #[error(
        "{user} is not a member of investigation '{investigation}' and sees only their own investigations: ask one of its members or an admin to add you"
    )]
    NotMember { user: String, investigation: String },
}

/// Checks that `user` may take `action` on `resource` in `scope`.
pub fn check(
    user: &User,
    action: Action,
    resource: Resource,
    scope: Scope,
    investigation: Option<&str>,
) -> Result<(), AccessError> {
    if !user.active {
        return Err(AccessError::Disabled(user.name.clone()));
    }
    if !can(user.role, action, resource) {
        return Err(AccessError::NotPermitted {
            user: user.name.clone(),
            role: user.role,
            action,
            resource,
        });
    }
    if may(user.role, action, resource, scope) {
        Ok(())
    } else {
        Err(AccessError::NotMember {
            user: user.name.clone(),
            investigation: investigation.unwrap_or_default().to_string(),
        })
    }
}

/// The stable code of a refusal.
pub fn access_code(e: &AccessError) -> crate::error::Code {
    use crate::error::Code;
    match e {
        AccessError::UnknownUser(_) => Code::AccessUnknownUser,
        AccessError::Disabled(_) => Code::AccessDisabled,
        AccessError::NotPermitted { .. } | AccessError::NotMember { .. } => Code::AccessDenied,
    }
}

impl From<AccessError> for crate::error::Error {
    fn from(e: AccessError) -> crate::error::Error {
        let error = crate::error::Error::new(access_code(&e), e.to_string());
        match e {
            AccessError::UnknownUser(_) => error.with_hint(crate::error::Hint::ListUsers),
            AccessError::NotMember { .. } => {
                error.with_hint(crate::error::Hint::ListInvestigations)
            }
            _ => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole permission table as a grid: one line per role and resource, one letter per
    /// allowed action (r read, c read_confidential, w write, v review, m manage; `.` refused).
    fn grid() -> String {
        let mut out = String::new();
        for role in Role::ALL {
            for res in Resource::ALL {
                let cells: String = Action::ALL
                    .iter()
                    .map(|a| {
                        if !can(*role, *a, *res) {
                            '.'
                        } else {
                            match a {
                                Action::Read => 'r',
                                Action::ReadConfidential => 'c',
                                Action::Write => 'w',
                                Action::Review => 'v',
                                Action::Manage => 'm',
                            }
                        }
                    })
                    .collect();
                out += &format!("{:<18}{:<16}{cells}\n", role.as_str(), res.as_str());
            }
        }
        out
    }

    #[test]
    fn permission_table_covers_every_role_action_and_resource() {
        expect_test::expect![[r#"
            viewer            reference       r....
            viewer            transfer        r....
            viewer            user            r....
            viewer            investigation   r....
            viewer            membership      r....
            viewer            documented_item r....
            viewer            evidence        r....
            viewer            trace           r....
            viewer            report          r....
            viewer            assessment      .....
            viewer            audit           r....
            investigator      reference       r.w..
            investigator      transfer        r.w..
            investigator      user            r....
            investigator      investigation   r.w..
            investigator      membership      r...m
            investigator      documented_item rcw..
            investigator      evidence        rcw..
            investigator      trace           rcw..
            investigator      report          rcw..
            investigator      assessment      .....
            investigator      audit           r.w..
            reviewer          reference       r....
            reviewer          transfer        r....
            reviewer          user            r....
            reviewer          investigation   r....
            reviewer          membership      r....
            reviewer          documented_item rc.v.
            reviewer          evidence        rc.v.
            reviewer          trace           rc.v.
            reviewer          report          rc.v.
            reviewer          assessment      .....
            reviewer          audit           r.w..
            licensing_officer reference       r....
            licensing_officer transfer        r....
            licensing_officer user            r....
            licensing_officer investigation   r....
            licensing_officer membership      r....
            licensing_officer documented_item r....
            licensing_officer evidence        r....
            licensing_officer trace           r....
            licensing_officer report          r....
            licensing_officer assessment      rcw..
            licensing_officer audit           r.w..
            admin             reference       rcwvm
            admin             transfer        rcwvm
            admin             user            rcwvm
            admin             investigation   rcwvm
            admin             membership      rcwvm
            admin             documented_item rcwvm
            admin             evidence        rcwvm
            admin             trace           rcwvm
            admin             report          rcwvm
            admin             assessment      rcwvm
            admin             audit           rcwvm
        "#]]
        .assert_eq(&grid());
    }

    #[test]
    fn the_table_lists_each_role_and_resource_once() {
        for role in Role::ALL {
            for res in Resource::ALL {
                let n = PERMISSIONS
                    .iter()
                    .filter(|(r, x, _)| r == role && x == res)
                    .count();
                assert!(n <= 1, "{role} {res} listed {n} times");
            }
        }
    }

    #[test]
    fn need_to_know_gates_investigation_records() {
        use Scope::{Global, Investigation as Inv};
        let cases = [
            // role, action, resource, scope, allowed
            (
                Investigator,
                R,
                Res::DocumentedItem,
                Inv { member: true },
                true,
            ),
            (
                Investigator,
                R,
                Res::DocumentedItem,
                Inv { member: false },
                false,
            ),
            (Investigator, W, Res::Evidence, Inv { member: false }, false),
            (Admin, C, Res::Evidence, Inv { member: false }, false),
            (Admin, R, Res::Investigation, Inv { member: false }, false),
            (Admin, M, Res::Membership, Inv { member: false }, true),
            (
                Investigator,
                M,
                Res::Membership,
                Inv { member: false },
                false,
            ),
            (Investigator, M, Res::Membership, Inv { member: true }, true),
            (Viewer, C, Res::DocumentedItem, Inv { member: true }, false),
            (Viewer, R, Res::Reference, Global, true),
            (Viewer, W, Res::Reference, Global, false),
            (Reviewer, V, Res::Trace, Inv { member: true }, true),
            (Reviewer, W, Res::Trace, Inv { member: true }, false),
            (LicensingOfficer, W, Res::Assessment, Global, true),
        ];
        for (role, action, res, scope, want) in cases {
            assert_eq!(
                may(role, action, res, scope),
                want,
                "{role} {action} {res} {scope:?}"
            );
        }
    }

    #[test]
    fn refusals_say_what_to_do() {
        let user = |role, active| User {
            id: Id::for_reference("user", "ana"),
            name: "ana".into(),
            role,
            active,
            created_at: "2025-01-01T00:00:00.000Z".into(),
            created_by: "system".into(),
        };
        let cases = [
            (
                user(Viewer, true),
                W,
                Res::Investigation,
                Scope::Global,
                "ana has the role viewer, which may not write investigation: ask an admin for a role that may",
            ),
            (
                user(Admin, false),
                R,
                Res::User,
                Scope::Global,
                "user 'ana' is disabled and can no longer act: ask an admin",
            ),
            (
                user(Investigator, true),
                R,
                Res::Evidence,
                Scope::Investigation { member: false },
                "ana is not a member of investigation 'Mosul' and sees only their own investigations: ask one of its members or an admin to add you",
            ),
        ];
        for (u, action, res, scope, want) in cases {
            let got = check(&u, action, res, scope, Some("Mosul"));
            assert_eq!(got.map_err(|e| e.to_string()), Err(want.to_string()));
        }
        assert_eq!(
            check(&user(Admin, true), M, Res::User, Scope::Global, None),
            Ok(())
        );
    }

    #[test]
    fn user_names_are_checked() {
        for (name, ok) in [
            ("ana", true),
            ("ana.silva@ngo", true),
            ("Łukasz", true),
            ("", false),
            ("two words", false),
            ("system", false),
            ("SYSTEM", false),
            (&"x".repeat(65), false),
        ] {
            assert_eq!(validate_user_name(name).is_ok(), ok, "{name}");
        }
    }
}
