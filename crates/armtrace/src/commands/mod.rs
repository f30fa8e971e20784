//! One module per command. Each validates its arguments (stage two), calls the store and the
//! domain, and renders the result. Writes go through [`Writer`]: a named, active user and a store
//! holding the database's audit key (every write signs its own checkpoint with it, in the store).

mod audit;
mod demo;
mod evidence;
mod identity;
mod import;
mod init;
mod items;
mod lists;
mod transfers;

use crate::UserError;
use crate::cli::{Cli, Command, DEFAULT_DB, ImportCommand, TransfersCommand};
use anyhow::Context;
use armtrace_core::access::Identity;
use armtrace_store::{AuditKey, Location, OpenMode, Store, default_head_path, default_key_path};
use std::path::PathBuf;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let who = Who::from_cli(&cli);
    match cli.command {
        Command::Demo(args) => demo::run(cli.db.as_deref(), &who, args.format).await,
        Command::Init(args) => init::run(&location(cli.db)?, &who, args.format).await,
        Command::Countries(args) => lists::countries(&open(cli.db).await?, args).await,
        Command::Models(args) => lists::models(&open(cli.db).await?, args).await,
        Command::Categories(args) => lists::categories(&open(cli.db).await?, args).await,
        Command::Import(cmd) => {
            let w = Writer::open(cli.db, &who, "importing transfers").await?;
            let result = match cmd {
                ImportCommand::Sipri(args) => import::sipri_files(&w.store, &w.by, args).await,
                ImportCommand::Transfers(args) => import::native_files(&w.store, &w.by, args).await,
            };
            // Sign what was written even when some files failed; the import's error comes first,
            // and a signing failure is never silent.
            let signed = w.finish().await;
            match (result, signed) {
                (Ok(()), signed) => signed.map(|_| ()),
                (Err(e), Ok(_)) => Err(e),
                (Err(e), Err(s)) => Err(e.context(format!("{s:#}"))),
            }
        }
        Command::Transfers(cmd) => {
            let store = open(cli.db).await?;
            match cmd {
                TransfersCommand::Releases(a) => transfers::releases(&store, a.format).await,
                TransfersCommand::Suppliers(a) => transfers::suppliers(&store, a).await,
                TransfersCommand::List(a) => transfers::list(&store, a).await,
                TransfersCommand::Volumes(a) => transfers::volumes(&store, a).await,
                TransfersCommand::Diff(a) => transfers::diff(&store, a).await,
            }
        }
        Command::User(cmd) => identity::user(cli.db, &who, cmd).await,
        Command::Investigation(cmd) => identity::investigation(cli.db, &who, cmd).await,
        Command::Audit(cmd) => audit::run(cli.db, &who, cmd).await,
        Command::Items(cmd) => items::run(cli.db, &who, cmd).await,
        Command::Evidence(cmd) => evidence::run(cli.db, &who, cmd).await,
    }
}

/// Who the command acts as, and with which audit key file, as the user gave them.
#[derive(Debug, Clone)]
pub struct Who {
    /// --as, else $ARMTRACE_USER.
    pub acting: Option<String>,
    /// --audit-key, else $ARMTRACE_AUDIT_KEY.
    pub audit_key: Option<PathBuf>,
    /// --audit-head, else $ARMTRACE_AUDIT_HEAD.
    pub audit_head: Option<PathBuf>,
}

impl Who {
    fn from_cli(cli: &Cli) -> Who {
        let env = |k: &str| std::env::var(k).ok().filter(|s| !s.trim().is_empty());
        Who {
            acting: cli.acting.clone().or_else(|| env("ARMTRACE_USER")),
            audit_key: cli
                .audit_key
                .clone()
                .or_else(|| env("ARMTRACE_AUDIT_KEY").map(PathBuf::from)),
            audit_head: cli
                .audit_head
                .clone()
                .or_else(|| env("ARMTRACE_AUDIT_HEAD").map(PathBuf::from)),
        }
    }

    /// The identity a command acts as; a command that needs one fails without it.
    pub fn identity(&self, what: &str) -> anyhow::Result<Identity> {
        match &self.acting {
            Some(name) => Ok(Identity::User(name.clone())),
            None => Err(UserError(format!(
                "{what} needs to know who you are, and armtrace never writes anonymously: pass --as NAME or set ARMTRACE_USER=NAME (`armtrace init` printed the owner's name; an admin adds users with `armtrace user add`)"
            ))
            .into()),
        }
    }

    /// The audit key file for the database at `location`.
    pub fn key_path(&self, location: &Location) -> PathBuf {
        self.audit_key
            .clone()
            .unwrap_or_else(|| default_key_path(location))
    }

    /// The file outside the database that keeps the head this machine signed last.
    pub fn head_path(&self, location: &Location) -> PathBuf {
        self.audit_head
            .clone()
            .unwrap_or_else(|| default_head_path(&self.key_path(location)))
    }

    /// The audit key of the database at `location`, with its outside head.
    pub fn audit_key(&self, location: &Location) -> anyhow::Result<AuditKey> {
        Ok(AuditKey::load(
            &self.key_path(location),
            Some(self.head_path(location)),
        )?)
    }
}

/// What a write command needs: the store, holding the database's own audit key (every write signs
/// its checkpoint with it), and the acting user (checked to exist and be active).
pub struct Writer {
    pub store: Store,
    pub by: Identity,
}

impl Writer {
    pub async fn open(db: Option<String>, who: &Who, what: &str) -> anyhow::Result<Writer> {
        let by = who.identity(what)?;
        let loc = location(db)?;
        let store = Store::open(&loc, OpenMode::Existing)
            .await
            .with_context(|| format!("opening {loc}"))?;
        store.acting_user(by.name()).await?;
        let key = who.audit_key(&loc)?;
        store
            .check_audit_key(key.signer(), &who.key_path(&loc))
            .await?;
        Ok(Writer {
            store: store.with_signer(key),
            by,
        })
    }

    /// Closes the store (each write signed its own checkpoint already).
    pub async fn finish(self) -> anyhow::Result<()> {
        self.store.close().await;
        Ok(())
    }
}

/// The database location: --db, else $ARMTRACE_DB, else ./armtrace.db.
fn location(db: Option<String>) -> anyhow::Result<Location> {
    let raw = db
        .or_else(|| {
            std::env::var("ARMTRACE_DB")
                .ok()
                .filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    Ok(Location::parse(&raw)?)
}

/// Opens an initialised database for reading and writing records.
async fn open(db: Option<String>) -> anyhow::Result<Store> {
    let loc = location(db)?;
    Store::open(&loc, OpenMode::Existing)
        .await
        .with_context(|| format!("opening {loc}"))
}

/// Parses a user-supplied value, turning its error into a [`UserError`].
fn parse_arg<T: std::str::FromStr>(flag: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse::<T>()
        .map_err(|e| UserError(format!("{flag}: {e}")).into())
}
