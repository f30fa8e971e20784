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
    /// Import transfer data: SIPRI exports, or armtrace's native CSV/JSONL format.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Query imported transfers: suppliers, listings, volumes, releases and their differences.
    #[command(subcommand)]
    Transfers(TransfersCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import SIPRI Arms Transfers Database exports (either export format, detected). Each export
    /// is a release named by its "Data generated" date; importing a file twice adds nothing.
    Sipri(ImportSipriArgs),
    /// Import transfers in armtrace's native CSV or JSONL format (see README) into a dataset.
    Transfers(ImportNativeArgs),
}

#[derive(Debug, Args)]
pub struct ImportSipriArgs {
    /// The exported files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ImportNativeArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// The dataset the records belong to ("UK national report 2023"); default: the file name
    /// without its extension.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Which release or dataset a query reads.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// A SIPRI release by export date (YYYY-MM-DD); default: the latest.
    #[arg(long, value_name = "DATE", conflicts_with = "dataset")]
    pub release: Option<String>,
    /// A native dataset instead of a SIPRI release.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
}

/// A period of years.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// First year (inclusive).
    #[arg(long, value_name = "YEAR")]
    pub from: Option<i32>,
    /// Last year (inclusive).
    #[arg(long, value_name = "YEAR")]
    pub to: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// The year of the order.
    Order,
    /// The years of delivery.
    Delivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VolumesBy {
    Year,
    Supplier,
    Recipient,
    Category,
}

#[derive(Debug, Subcommand)]
pub enum TransfersCommand {
    /// List the imported SIPRI releases and native datasets.
    Releases(FormatArg),
    /// Each supplier of a recipient, with deals, numbers and TIV delivered.
    Suppliers(SuppliersArgs),
    /// List transfers.
    List(ListArgs),
    /// TIV sums by year, supplier, recipient or category.
    Volumes(VolumesArgs),
    /// What changed between two releases.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct SuppliersArgs {
    /// The recipient: a name as sources write it ("Iraq", "Soviet Union") or a code (IRQ).
    #[arg(long, value_name = "R")]
    pub recipient: String,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Count deals by the year of order (default) or the years of delivery.
    #[arg(long, value_enum, default_value_t = By::Order)]
    pub by: By,
    /// Also say which of the suppliers supplied this other recipient in the same period.
    #[arg(long, value_name = "R2")]
    pub also_supplied: Option<String>,
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Which transfers a listing or sum covers.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// A supplier as sources write it ("Soviet Union") or a code (SUHH).
    #[arg(long)]
    pub supplier: Option<String>,
    /// A recipient as sources write it or a code.
    #[arg(long)]
    pub recipient: Option<String>,
    /// A category code or name (see `armtrace categories`).
    #[arg(long)]
    pub category: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Text the designation contains.
    #[arg(long, value_name = "TEXT")]
    pub designation: Option<String>,
    /// Order years.
    #[command(flatten)]
    pub period: PeriodArgs,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<i64>,
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct VolumesArgs {
    /// What to group by.
    #[arg(long, value_enum)]
    pub by: VolumesBy,
    /// Which years count: the years of delivery (default) or the year of order.
    #[arg(long, value_enum, default_value_t = By::Delivery)]
    pub years: By,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older release (export date).
    #[arg(long, value_name = "DATE")]
    pub from_release: String,
    /// The newer release (export date).
    #[arg(long, value_name = "DATE")]
    pub to_release: String,
    #[command(flatten)]
    pub format: FormatArg,
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
