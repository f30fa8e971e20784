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

    /// Act as this user (every write is recorded under a user's name; there are no anonymous
    /// writes) [env: ARMTRACE_USER]
    #[arg(long = "as", global = true, value_name = "USER")]
    pub acting: Option<String>,

    /// The audit key file that signs checkpoints [env: ARMTRACE_AUDIT_KEY; default: beside a
    /// SQLite database, DB.audit-key; for PostgreSQL, ./DATABASE.audit-key]
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_key: Option<std::path::PathBuf>,

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
    /// Users and their roles: add, list, disable.
    #[command(subcommand)]
    User(UserCommand),
    /// Investigations and their members (members see only their own investigations).
    #[command(subcommand)]
    Investigation(InvestigationCommand),
    /// The tamper-evident audit log: verify it, show history, sign a checkpoint.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (admins only).
    Add {
        /// Letters, digits and . _ - @.
        name: String,
        /// viewer, investigator, reviewer, licensing_officer or admin.
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// List the users and their roles.
    List(FormatArg),
    /// Disable a user: they keep their history but can no longer act (admins only).
    Disable { name: String },
}

#[derive(Debug, Subcommand)]
pub enum InvestigationCommand {
    /// Create an investigation; you become its first member.
    Add {
        name: String,
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// List the investigations you are a member of.
    List(FormatArg),
    /// Add a user to an investigation (its members, or an admin).
    AddMember {
        /// The investigation's name.
        investigation: String,
        /// The user's name.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain and the signed checkpoints; name the first bad entry. Exit code 1
    /// when verification fails.
    Verify(FormatArg),
    /// Show the audit history you may see, oldest first.
    Log {
        /// Only the history of one record: an id, or a user or investigation name.
        #[arg(long, value_name = "ID")]
        record: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Sign the chain's head now (every write command already does this when it ends).
    Checkpoint,
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
