//! Users, investigations and memberships. Every write here is authorised and audited inside its
//! own locked transaction (see [`crate::audit`]): refused writes leave nothing behind.

use crate::audit::{
    KEY_RECORD_ACTION, LockedPool, PUBLIC_KEY_META, USER_COLUMNS, Vouched, WriteTx, authorize,
    change, change_as, commit_signed, now, vouch,
};
use crate::bulk::{Value as Cell, upsert_rows};
use crate::records::{Kind, Record};
use crate::{AuditKey, Store, StoreError, with_pool};
use armtrace_core::Id;
use armtrace_core::access::{
    AccessError, Action, Identity, Resource, Role, SYSTEM_NAME, User, validate_user_name,
};
use armtrace_core::audit::AuditSigner;
use armtrace_core::error::{Code, Error, Hint};
use armtrace_core::investigation::{Investigation, validate_investigation_name};
use armtrace_core::text::collate;
use serde_json::json;

/// id, name, description, created_at, created_by
type InvestigationRow = (String, String, Option<String>, String, String);

fn user_json(u: &User) -> serde_json::Value {
    json!({"name": u.name, "role": u.role, "active": u.active})
}

/// What bootstrapping a database did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bootstrap {
    /// The owner created because the database had no users.
    pub owner_created: Option<User>,
    /// Whether the audit key's public half was recorded now.
    pub key_recorded: bool,
}

impl Store {
    /// The user called `name`, whether active or not.
    pub async fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = with_pool!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1")))
                .bind(name)
                .fetch_optional(p)
                .await?
        });
        row.map(crate::audit::user_from_row).transpose()
    }

    /// The user who acts as `name`: they must exist, be active, and be in the audit log as they
    /// are in the table (a user added or changed outside armtrace is refused; writes check the
    /// row's digest too, with the key).
    pub async fn acting_user(&self, name: &str) -> Result<User, StoreError> {
        crate::audit::reader(self, name).await
    }

    /// Every user, sorted by name. Any active user may list them.
    pub async fn users(&self, by: &Identity) -> Result<Vec<User>, StoreError> {
        self.visible_investigations(by, Action::Read, Resource::User)
            .await?;
        let rows = with_pool!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users")))
                .fetch_all(p)
                .await?
        });
        let mut users = rows
            .into_iter()
            .map(crate::audit::user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        users.sort_by(|a, b| collate(&a.name, &b.name));
        Ok(users)
    }

    /// Prepares a database for identities and auditing, as the system identity: creates the owner
    /// (an admin called `owner`) when there are no users yet, and records the audit key's public
    /// half when none is recorded. Fails if another key is recorded.
    pub async fn bootstrap(&self, owner: &str, key: &AuditSigner) -> Result<Bootstrap, StoreError> {
        validate_user_name(owner).map_err(|e| Error::invalid("user", e))?;
        let mut done = Bootstrap::default();
        // Bootstrapping signs with the key it records.
        let store = match &self.signer {
            Some(k) if k.public_key_hex() == key.public_key_hex() => self.clone(),
            _ => self.clone().with_signer(AuditKey::new(key.clone(), None)),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let recorded: Option<String> =
                sqlx::query_scalar("SELECT value FROM schema_meta WHERE key = $1")
                    .bind(PUBLIC_KEY_META)
                    .fetch_optional(&mut *tx)
                    .await?;
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *tx)
                .await?;
            let mut entries: Vec<Vouched> = Vec::new();
            match recorded {
                Some(k) if k != key.public_key_hex() => {
                    return Err(Error::new(Code::AuditKeyWrong, format!(
                        "this database's checkpoints are signed with audit key {}…, not with the key file's {}…: name the key file made for this database",
                        k.chars().take(16).collect::<String>(),
                        key.public_key_hex().chars().take(16).collect::<String>()
                    )).with_hint(Hint::GiveAuditKey).into());
                }
                Some(_) => {}
                None => {
                    if users > 0 && WriteTx::head(&mut tx).await?.is_none() {
                        return Err(Error::new(Code::AuditTampered,
                            "the database holds users but neither an audit log nor an audit key: they were wiped; nothing was written"
                        ).with_hint(Hint::VerifyAudit).into());
                    }
                    upsert_rows(&mut tx, "schema_meta", &["key", "value"], "key",
                        vec![vec![Cell::from(PUBLIC_KEY_META), Cell::from(key.public_key_hex())]]).await?;
                    entries.push(vouch(change_as(SYSTEM_NAME, KEY_RECORD_ACTION, "audit_key", None, None,
                        Some(json!({"public_key": key.public_key_hex()}))), [Record::new(Kind::Meta, PUBLIC_KEY_META)]));
                    done.key_recorded = true;
                }
            }
            if users == 0 {
                let (user, entry) = insert_user(&mut tx, SYSTEM_NAME, owner, Role::Admin).await?;
                entries.push(entry);
                done.owner_created = Some(user);
            }
            if !entries.is_empty() {
                commit_signed(&store, tx, entries).await?;
            }
        });
        Ok(done)
    }

    /// Adds a user. Needs `manage user` (admins).
    pub async fn add_user(
        &self,
        by: &Identity,
        name: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        validate_user_name(name).map_err(|e| Error::invalid("user", e))?;
        let user = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::User, None).await?;
            let (user, entry) = insert_user(&mut tx, by.name(), name, role).await?;
            commit_signed(self, tx, vec![entry]).await?;
            user
        });
        Ok(user)
    }

    /// Disables a user: they keep their history but can no longer act. Needs `manage user`; the
    /// last active admin cannot be disabled.
    pub async fn disable_user(&self, by: &Identity, name: &str) -> Result<User, StoreError> {
        let user = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Manage, Resource::User, None).await?;
            let before = WriteTx::user_by_name(&mut tx, name).await?.ok_or_else(|| {
                StoreError::from(Error::new(Code::UserNotFound, format!("there is no user '{name}'")).with_field("user").with_hint(Hint::ListUsers))
            })?;
            if !before.active {
                return Err(Error::new(Code::ConflictState, format!("user '{name}' is already disabled")).into());
            }
            if before.role == Role::Admin {
                let admins: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active",
                )
                .fetch_one(&mut *tx)
                .await?;
                if admins <= 1 {
                    return Err(Error::new(Code::ConflictState, format!(
                        "'{name}' is the last active admin: add another admin first, or nobody could manage users"
                    )).into());
                }
            }
            sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                .bind(false)
                .bind(before.id.to_string())
                .execute(&mut *tx)
                .await?;
            let after = User { active: false, ..before.clone() };
            let c = change(by, "user.disable", "user", Some(before.id.to_string()),
                Some(user_json(&before)), Some(user_json(&after)));
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::User, before.id.to_string())])]).await?;
            after
        });
        Ok(user)
    }

    /// Creates an investigation; its creator becomes its first member. Needs `write
    /// investigation` (investigators, admins).
    pub async fn add_investigation(
        &self,
        by: &Identity,
        name: &str,
        description: Option<&str>,
    ) -> Result<Investigation, StoreError> {
        validate_investigation_name(name).map_err(|e| Error::invalid("investigation", e))?;
        let inv = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let creator = authorize(&mut tx, by, Action::Write, Resource::Investigation, None).await?;
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM investigations WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            if exists > 0 {
                return Err(Error::new(Code::ConflictExists, format!(
                    "there is already an investigation called '{name}': choose another name"
                )).with_field("investigation").into());
            }
            let inv = Investigation {
                id: Id::new_random(),
                name: name.to_string(),
                description: description.map(str::to_string),
                created_at: now(),
                created_by: by.to_string(),
                members: vec![creator.name.clone()],
            };
            let id = inv.id.to_string();
            sqlx::query(
                "INSERT INTO investigations (id, name, description, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(&inv.name)
            .bind(&inv.description)
            .bind(&inv.created_at)
            .bind(&inv.created_by)
            .execute(&mut *tx)
            .await?;
            let mut c = change(by, "investigation.add", "investigation", Some(id.clone()), None,
                Some(json!({"name": inv.name, "description": inv.description})));
            c.investigation = Some(id.clone());
            let entries = vec![
                vouch(c, [Record::new(Kind::Investigation, id.as_str())]),
                insert_member(&mut tx, by, &inv, &creator).await?,
            ];
            commit_signed(self, tx, entries).await?;
            inv
        });
        Ok(inv)
    }

    /// Adds `user` to the investigation called `investigation`. Needs `manage membership` and,
    /// except for admins, membership of that investigation.
    pub async fn add_member(
        &self,
        by: &Identity,
        investigation: &str,
        user: &str,
    ) -> Result<(), StoreError> {
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let row: Option<InvestigationRow> = sqlx::query_as(
                "SELECT id, name, description, created_at, created_by FROM investigations WHERE name = $1",
            )
            .bind(investigation)
            .fetch_optional(&mut *tx)
            .await?;
            // An unknown investigation and one the actor may not see look alike: need-to-know.
            let unknown = || StoreError::from(Error::new(Code::InvestigationNotFound, format!(
                "there is no investigation '{investigation}' that you are a member of"
            )).with_field("investigation").with_hint(Hint::ListInvestigations));
            let Some((id, name, description, created_at, created_by)) = row else {
                authorize(&mut tx, by, Action::Manage, Resource::Membership, None).await?;
                return Err(unknown());
            };
            match authorize(&mut tx, by, Action::Manage, Resource::Membership, Some((&id, &name))).await {
                Err(StoreError::Access(AccessError::NotMember { .. })) => return Err(unknown()),
                other => other?,
            };
            let member = WriteTx::user_by_name(&mut tx, user).await?.ok_or_else(|| {
                StoreError::from(Error::new(Code::UserNotFound, format!("there is no user '{user}'")).with_field("user").with_hint(Hint::ListUsers))
            })?;
            if !member.active {
                return Err(Error::new(Code::ConflictState, format!("user '{user}' is disabled: an admin may enable them again")).with_field("user").into());
            }
            if WriteTx::is_member(&mut tx, &id, &member.id.to_string()).await? {
                return Err(Error::new(Code::ConflictExists, format!("{user} is already a member of '{name}'")).into());
            }
            let inv = Investigation {
                id: id.parse().map_err(|e| crate::error::invalid(format!("stored investigation id: {e}")))?,
                name,
                description,
                created_at,
                created_by,
                members: vec![],
            };
            let entry = insert_member(&mut tx, by, &inv, &member).await?;
            commit_signed(self, tx, vec![entry]).await?;
        });
        Ok(())
    }

    /// The investigations `by` is a member of (the system identity sees all), sorted by name, each
    /// with its members.
    pub async fn investigations(&self, by: &Identity) -> Result<Vec<Investigation>, StoreError> {
        let visible = self
            .visible_investigations(by, Action::Read, Resource::Investigation)
            .await?;
        let (rows, members): (Vec<InvestigationRow>, Vec<(String, String)>) = with_pool!(self, p => {
            let rows = sqlx::query_as(
                "SELECT id, name, description, created_at, created_by FROM investigations",
            )
            .fetch_all(p)
            .await?;
            let members = sqlx::query_as(
                "SELECT m.investigation_id, u.name FROM memberships m JOIN users u ON u.id = m.user_id",
            )
            .fetch_all(p)
            .await?;
            (rows, members)
        });
        let mut out = Vec::new();
        for (id, name, description, created_at, created_by) in rows {
            if visible.as_ref().is_some_and(|v| !v.contains(&id)) {
                continue;
            }
            let mut names: Vec<String> = members
                .iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, n)| n.clone())
                .collect();
            names.sort_by(|a, b| collate(a, b));
            out.push(Investigation {
                id: id
                    .parse()
                    .map_err(|e| crate::error::invalid(format!("stored investigation id: {e}")))?,
                name,
                description,
                created_at,
                created_by,
                members: names,
            });
        }
        out.sort_by(|a, b| collate(&a.name, &b.name));
        Ok(out)
    }
}

async fn insert_user<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &str,
    name: &str,
    role: Role,
) -> Result<(User, Vouched), StoreError>
where
    DB: WriteTx + crate::bulk::BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    if DB::user_by_name(tx, name).await?.is_some() {
        return Err(Error::new(
            Code::ConflictExists,
            format!("there is already a user '{name}': choose another name"),
        )
        .with_field("user")
        .into());
    }
    let user = User {
        id: Id::new_random(),
        name: name.to_string(),
        role,
        active: true,
        created_at: now(),
        created_by: by.to_string(),
    };
    upsert_rows(
        tx,
        "users",
        &["id", "name", "role", "active", "created_at", "created_by"],
        "id",
        vec![vec![
            Cell::from(user.id.to_string()),
            Cell::from(user.name.as_str()),
            Cell::from(user.role.as_str()),
            Cell::from(true),
            Cell::from(user.created_at.as_str()),
            Cell::from(user.created_by.as_str()),
        ]],
    )
    .await?;
    let entry = vouch(
        change_as(
            by,
            "user.add",
            "user",
            Some(user.id.to_string()),
            None,
            Some(user_json(&user)),
        ),
        [Record::new(Kind::User, user.id.to_string())],
    );
    Ok((user, entry))
}

async fn insert_member<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    by: &Identity,
    inv: &Investigation,
    member: &User,
) -> Result<Vouched, StoreError>
where
    DB: WriteTx + crate::bulk::BindValues,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let id = inv.id.to_string();
    upsert_rows(
        tx,
        "memberships",
        &["investigation_id", "user_id", "added_at", "added_by"],
        "investigation_id, user_id",
        vec![vec![
            Cell::from(id.as_str()),
            Cell::from(member.id.to_string()),
            Cell::from(now()),
            Cell::from(by.name()),
        ]],
    )
    .await?;
    let mut c = change(
        by,
        "investigation.add_member",
        "membership",
        Some(format!("{id}/{}", member.id)),
        None,
        Some(json!({"investigation": inv.name, "user": member.name, "role": member.role})),
    );
    let record = Record::new(Kind::Membership, format!("{id}/{}", member.id));
    c.investigation = Some(id);
    Ok(vouch(c, [record]))
}
