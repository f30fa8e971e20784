//! Command-line arguments, as clap parses them (stage one); commands validate them (stage two).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// armtrace: trace conventional arms from the factory, through transfers and stockpiles, to the
/// hands that misuse them.
#[derive(Debug, Parser)]
#[command(name = "armtrace", version, about, long_about = None)]
pub struct Cli {
    /// The database: a SQLite file path or a postgres:// URL [default: $ARMTRACE_DB, else
    /// ./armtrace.db; for demo: ./armtrace-demo.db]
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// The database path used when neither --db nor ARMTRACE_DB is given.
pub const DEFAULT_DB: &str = "armtrace.db";
/// The demo database path used when demo is given no --db.
pub const DEFAULT_DEMO_DB: &str = "armtrace-demo.db";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the database and load the shipped reference data (safe to run again).
    Init(FormatArg),
    /// List countries, current and historic, with their codes, validity years and name variants.
    Countries(CountriesArgs),
    /// List weapon models in the catalogue.
    Models(SearchArgs),
    /// List weapon categories: UN Register I–VII, small arms and light weapons, ML1–ML22, SIPRI.
    Categories(CategoriesArgs),
    /// Build the demo database from data shipped inside armtrace and show what is in it.
    Demo(FormatArg),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Only entries whose names contain TEXT (case- and accent-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct CountriesArgs {
    #[command(flatten)]
    pub search: SearchArgs,
    /// Only states that no longer exist.
    #[arg(long)]
    pub historic: bool,
}

#[derive(Debug, Args)]
pub struct CategoriesArgs {
    /// Only one scheme: un_register, salw, ml, sipri or user.
    #[arg(long, value_name = "SCHEME")]
    pub scheme: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}
