//! One module per command. Each validates its arguments (stage two), calls the store and the
//! domain, and renders the result.

mod demo;
mod import;
mod init;
mod lists;
mod transfers;

use crate::UserError;
use crate::cli::{Cli, Command, DEFAULT_DB, ImportCommand, TransfersCommand};
use anyhow::Context;
use armtrace_store::{Location, OpenMode, Store};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(cli.db.as_deref(), args.format).await,
        Command::Init(args) => init::run(&location(cli.db)?, args.format).await,
        Command::Countries(args) => lists::countries(&open(cli.db).await?, args).await,
        Command::Models(args) => lists::models(&open(cli.db).await?, args).await,
        Command::Categories(args) => lists::categories(&open(cli.db).await?, args).await,
        Command::Import(ImportCommand::Sipri(args)) => {
            import::sipri_files(&open(cli.db).await?, args).await
        }
        Command::Import(ImportCommand::Transfers(args)) => {
            import::native_files(&open(cli.db).await?, args).await
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
