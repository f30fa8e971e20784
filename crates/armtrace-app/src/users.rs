//! Users and their roles; investigations and their members.

use crate::{App, Identity};
use armtrace_core::access::{Role, User};
use armtrace_core::error::{Error, Result};
use armtrace_core::investigation::Investigation;

impl App {
    /// Adds a user with `role` (`viewer`, `investigator`, `reviewer`, `licensing_officer`,
    /// `admin`). Admins only.
    pub async fn add_user(&self, by: &Identity, name: &str, role: &str) -> Result<User> {
        let role: Role = role
            .parse()
            .map_err(|e: String| Error::invalid("role", e))?;
        self.write(by, async |s| Ok(s.add_user(by, name, role).await?))
            .await
    }

    /// Disables a user: their history stays, they can no longer act. Admins only.
    pub async fn disable_user(&self, by: &Identity, name: &str) -> Result<User> {
        self.write(by, async |s| Ok(s.disable_user(by, name).await?))
            .await
    }

    /// Every user, for those who may list them.
    pub async fn users(&self, by: &Identity) -> Result<Vec<User>> {
        Ok(self.store.users(by).await?)
    }

    /// Creates an investigation; its creator is its first member.
    pub async fn add_investigation(
        &self,
        by: &Identity,
        name: &str,
        description: Option<&str>,
    ) -> Result<Investigation> {
        self.write(by, async |s| {
            Ok(s.add_investigation(by, name, description).await?)
        })
        .await
    }

    /// Adds `user` to `investigation` (members, or an admin, add others).
    pub async fn add_member(&self, by: &Identity, investigation: &str, user: &str) -> Result<()> {
        self.write(by, async |s| {
            Ok(s.add_member(by, investigation, user).await?)
        })
        .await
    }

    /// The investigations `by` is a member of.
    pub async fn investigations(&self, by: &Identity) -> Result<Vec<Investigation>> {
        Ok(self.store.investigations(by).await?)
    }
}
