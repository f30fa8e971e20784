//! One module per command. Each turns its arguments into the application layer's input
//! (`armtrace_app`), calls one operation and renders the answer: no rule of what a command does
//! lives here.

mod audit;
mod demo;
mod evidence;
mod identity;
mod import;
mod init;
mod items;
mod lists;
mod transfers;

use crate::cli::{Cli, Command, DEFAULT_DB, ImportCommand, TransfersCommand};
use anyhow::Context;
use armtrace_app::{App, Config, Identity};
use armtrace_store::{Location, OpenMode, Store};
use std::path::PathBuf;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let cx = Ctx::from_cli(&cli)?;
    match cli.command {
        Command::Demo(args) => demo::run(cli.db.as_deref(), &cx, args.format).await,
        Command::Init(args) => init::run(&cx, args.format).await,
        Command::Countries(args) => lists::countries(&cx.app().await?, args).await,
        Command::Models(args) => lists::models(&cx.app().await?, args).await,
        Command::Categories(args) => lists::categories(&cx.app().await?, args).await,
        Command::FactoryCodes(args) => lists::factory_codes(&cx.app().await?, args).await,
        Command::Embargoes(args) => lists::embargoes(&cx.app().await?, args).await,
        Command::Import(cmd) => match cmd {
            ImportCommand::Sipri(args) => import::sipri_files(&cx, args).await,
            ImportCommand::Transfers(args) => import::native_files(&cx, args).await,
        },
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
        Command::User(cmd) => identity::user(&cx, cmd).await,
        Command::Investigation(cmd) => identity::investigation(&cx, cmd).await,
        Command::Audit(cmd) => audit::run(&cx, cmd).await,
        Command::Items(cmd) => items::run(&cx, cmd).await,
        Command::Evidence(cmd) => evidence::run(&cx, cmd).await,
    }
}

/// What every command knows from the global flags and the environment: where the database is,
/// its audit key, and who acts.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub config: Config,
    /// --as, else $ARMTRACE_USER.
    pub acting: Option<String>,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|s| !s.trim().is_empty())
}

impl Ctx {
    fn from_cli(cli: &Cli) -> anyhow::Result<Ctx> {
        let mut config = Config::new(location(cli.db.clone())?);
        config.audit_key = cli
            .audit_key
            .clone()
            .or_else(|| env("ARMTRACE_AUDIT_KEY").map(PathBuf::from));
        config.audit_head = cli
            .audit_head
            .clone()
            .or_else(|| env("ARMTRACE_AUDIT_HEAD").map(PathBuf::from));
        config.evidence_dir = env("ARMTRACE_EVIDENCE_DIR").map(PathBuf::from);
        Ok(Ctx {
            config,
            acting: cli.acting.clone().or_else(|| env("ARMTRACE_USER")),
        })
    }

    /// Who acts; an error (`access.unauthenticated`) when nobody was named.
    pub fn identity(&self) -> armtrace_app::Result<Identity> {
        armtrace_app::identity(self.acting.as_deref())
    }

    /// The initialised database.
    pub async fn app(&self) -> anyhow::Result<App> {
        App::open(self.config.clone())
            .await
            .with_context(|| format!("opening {}", self.config.location))
    }

    /// The database with the evidence folder given by `--evidence-dir`, when it is.
    pub async fn app_with_evidence(&self, dir: &Option<PathBuf>) -> anyhow::Result<App> {
        let mut cx = self.clone();
        if let Some(d) = dir {
            cx.config.evidence_dir = Some(d.clone());
        }
        cx.app().await
    }
}

/// The database location: --db, else $ARMTRACE_DB, else ./armtrace.db.
fn location(db: Option<String>) -> anyhow::Result<Location> {
    let raw = db
        .or_else(|| env("ARMTRACE_DB"))
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    Ok(Location::parse(&raw)?)
}

/// Opens an initialised database for the commands not yet on the application layer.
async fn open(db: Option<String>) -> anyhow::Result<Store> {
    let loc = location(db)?;
    Store::open(&loc, OpenMode::Existing)
        .await
        .with_context(|| format!("opening {loc}"))
}
