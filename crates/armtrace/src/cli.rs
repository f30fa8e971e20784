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

    /// The file outside the database where every write leaves the head it signed, so that
    /// cutting off the newest entries is found [env: ARMTRACE_AUDIT_HEAD; default: beside the
    /// key file, DB.audit-head]
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_head: Option<std::path::PathBuf>,

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
    /// List factory codes as marked on weapons and ammunition, with country, maker and source.
    FactoryCodes(SearchArgs),
    /// List UN arms embargoes, with their decisions, dates and sources.
    Embargoes(EmbargoesArgs),
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
    /// Documented items: weapons seen in the field or in photos and videos, their markings,
    /// identification, place, possessor, and verification.
    #[command(subcommand)]
    Items(ItemsCommand),
    /// Evidence files: store them content-addressed, find duplicates, verify the folder.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
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
    /// Check the hash chain, its signed checkpoints and the head kept outside the database; name
    /// the first bad entry. Exit code 1 when verification fails.
    Verify {
        /// Also replay the log against the records (users, investigations, memberships, items,
        /// evidence, releases) and name the first record that differs.
        #[arg(long)]
        deep: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the audit history you may see, oldest first.
    Log {
        /// Only the history of one record: an id, or a user or investigation name.
        #[arg(long, value_name = "ID")]
        record: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Go on after verification found problems (admins): records the decision, with the problems
    /// found and why, in the log, signed. Run `audit verify --deep` first and keep a copy of the
    /// database as it is.
    Accept {
        /// Why the log is accepted as it is (recorded in the log).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
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
pub struct EmbargoesArgs {
    /// Only embargoes on this state (a name or a code), or whose target's name holds the text.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// Only embargoes in force at some time within this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub in_force: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct CategoriesArgs {
    /// Only one scheme: un_register, salw, ml, sipri or user.
    #[arg(long, value_name = "SCHEME")]
    pub scheme: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The fields of a documented item, for `items add` and `items edit`.
#[derive(Debug, Args, Default)]
pub struct ItemArgs {
    /// Your reference for the item ("CAR-IS-0012"); armtrace numbers it item-N when absent.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The weapon model, a designation or alias from the catalogue (`armtrace models`).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// What was seen; required for an unidentified item (no --model).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Country of manufacture (name or code).
    #[arg(long, value_name = "COUNTRY")]
    pub made_in: Option<String>,
    /// Year of manufacture, YYYY or YYYY-MM.
    #[arg(long, value_name = "YEAR")]
    pub year_made: Option<String>,
    /// What the identification rests on: markings, physical_features, documents,
    /// expert_opinion, catalogue_rule.
    #[arg(long, value_name = "BASIS")]
    pub identified_by: Option<String>,
    /// Latitude, WGS 84 decimal degrees (the country is resolved from the bundled map).
    #[arg(long, allow_hyphen_values = true, value_name = "DEG")]
    pub lat: Option<String>,
    /// Longitude, WGS 84 decimal degrees.
    #[arg(long, allow_hyphen_values = true, value_name = "DEG")]
    pub lon: Option<String>,
    /// Radius in metres within which the item was.
    #[arg(long, value_name = "METRES")]
    pub precision_m: Option<String>,
    /// A place name.
    #[arg(long, value_name = "NAME")]
    pub place: Option<String>,
    /// The country, when there are no coordinates or to settle a point near a border.
    #[arg(long, value_name = "COUNTRY")]
    pub country: Option<String>,
    /// Exact coordinates are confidential: the public tier shows them rounded to 0.1°.
    #[arg(long)]
    pub sensitive_location: bool,
    /// When it was seen: YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Who held it: a country or actor name, actor:KEY, country:CODE or unknown.
    #[arg(long, value_name = "PARTY")]
    pub possessor: Option<String>,
    /// How the possessor got it: looted_from_stocks, captured_in_battle, illicit_trade,
    /// defection, unknown.
    #[arg(long, value_name = "ROUTE")]
    pub acquired: Option<String>,
    /// How that is known: observed, reported, inferred.
    #[arg(long, value_name = "BASIS")]
    pub acquired_basis: Option<String>,
    /// A marking as POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23:...~?.. (`?` for
    /// each unreadable character; mask `.` clear, `~` uncertain, `?` unreadable). Repeat for
    /// several markings. Use `items mark` for transliteration and symbol.
    #[arg(long = "marking", value_name = "MARKING")]
    pub markings: Vec<String>,
    /// Free text.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ItemsCommand {
    /// Document an item in an investigation.
    Add {
        /// The investigation's name.
        #[arg(long, value_name = "NAME")]
        investigation: String,
        #[command(flatten)]
        item: ItemArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change an item: give only the fields that change. A verified item goes back to
    /// unverified.
    Edit {
        /// The item: its reference, id, or the first 8+ characters of its id.
        item: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        /// The version the edit is made against (`items show` prints it): refused when the
        /// item has changed since, so two editors never overwrite each other.
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        #[command(flatten)]
        fields: ItemArgs,
        /// Make it unidentified (remove the model; give --description).
        #[arg(long)]
        unidentified: bool,
        /// Remove the coordinates (and the country resolved from them).
        #[arg(long)]
        clear_coordinates: bool,
        /// Remove the date.
        #[arg(long)]
        clear_date: bool,
        /// Remove marking N (as numbered by `items show`); repeat for several.
        #[arg(long, value_name = "N")]
        remove_marking: Vec<usize>,
        /// The coordinates are no longer sensitive.
        #[arg(long, conflicts_with = "sensitive_location")]
        not_sensitive: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Add a marking with all its details to an item.
    Mark {
        item: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        /// The version the edit is made against (`items show` prints it): refused when the
        /// item has changed since, so two editors never overwrite each other.
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// receiver, barrel, bolt, bolt_carrier, trunnion, dust_cover, magazine, stock, grip,
        /// slide, frame, sight, tube, packaging, headstamp, other.
        #[arg(long)]
        position: String,
        /// latin, cyrillic, arabic, persian, chinese, korean, hebrew, greek, digits, other.
        #[arg(long)]
        script: String,
        /// The text exactly as read, `?` for each unreadable character.
        #[arg(long)]
        text: String,
        /// Legibility per character: `.` clear, `~` uncertain, `?` unreadable.
        #[arg(long)]
        mask: Option<String>,
        /// Latin transliteration of non-Latin text.
        #[arg(long)]
        transliteration: Option<String>,
        /// Enclosing symbol: triangle, oval, circle, double_circle, rhombus, square, star,
        /// arrow, arrow_in_triangle, shield, other.
        #[arg(long)]
        symbol: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one item with its markings, identifications, sightings, evidence and reviews.
    Show {
        item: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        #[command(flatten)]
        tier: TierArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List items: one row per distinct weapon (merged sightings count once).
    List(ItemListArgs),
    /// Count distinct weapons by country of manufacture, model, category, possessor,
    /// acquisition route, decade of manufacture, country or year seen, or status.
    Count(ItemCountArgs),
    /// Import items from armtrace's native CSV or JSONL item format (see the README).
    Import {
        files: Vec<std::path::PathBuf>,
        #[arg(long, value_name = "NAME")]
        investigation: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Join sightings of one physical weapon: OTHER items become sightings of KEEP.
    Merge {
        keep: String,
        #[arg(required = true)]
        others: Vec<String>,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
    },
    /// Undo a merge: the sighting becomes its own weapon again.
    Unmerge {
        item: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
    },
    /// Verify, dispute or reject an item (reviewers; never your own work), with a reason.
    Review {
        item: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        /// verified, disputed, rejected, or unverified (to reopen).
        #[arg(long)]
        status: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct TierArg {
    /// public (the default: sensitive coordinates rounded, sources' identities left out) or
    /// confidential (for roles that may read it).
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
}

#[derive(Debug, Args)]
pub struct ItemListArgs {
    #[command(flatten)]
    pub filter: ItemFilterArgs,
    /// One row per sighting instead of per distinct weapon.
    #[arg(long)]
    pub sightings: bool,
    /// At most N items (a page, up to 1000); the listing ends with the cursor of the next page.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Start after the page that gave this cursor (the `next` of `--format json`).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    #[command(flatten)]
    pub tier: TierArg,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Which items a listing or a count covers.
#[derive(Debug, Args)]
pub struct ItemFilterArgs {
    #[arg(long, value_name = "NAME")]
    pub investigation: Option<String>,
    /// Country of manufacture.
    #[arg(long, value_name = "COUNTRY")]
    pub made_in: Option<String>,
    /// Who held it: a country, an actor (`Islamic State`) or `unknown`.
    #[arg(long, value_name = "PARTY")]
    pub possessor: Option<String>,
    /// Text in the model's designation.
    #[arg(long, value_name = "TEXT")]
    pub model: Option<String>,
    /// A category code or name (`salw.sa`, `assault rifle`).
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Country where it was seen.
    #[arg(long, value_name = "COUNTRY")]
    pub country: Option<String>,
    /// Text in the place name.
    #[arg(long, value_name = "TEXT")]
    pub place: Option<String>,
    /// Seen on or after (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Seen on or before.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// unverified, verified, disputed, rejected (the weapon's own status).
    #[arg(long)]
    pub status: Option<String>,
}

/// `items count`.
#[derive(Debug, Args)]
pub struct ItemCountArgs {
    /// What to count distinct weapons by: made_in, model, category, possessor, route,
    /// route_basis, decade, country, year_seen, status, investigation.
    #[arg(long, value_name = "GROUP")]
    pub by: String,
    #[command(flatten)]
    pub filter: ItemFilterArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Where the evidence folder is.
#[derive(Debug, Args)]
pub struct EvidenceDirArg {
    /// The evidence folder [env: ARMTRACE_EVIDENCE_DIR; default: beside a SQLite database,
    /// DB.evidence; required for PostgreSQL].
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Store files (never modified, addressed by SHA-256) with how they were collected, and link
    /// them to an item.
    Add(EvidenceAddArgs),
    /// List evidence with its collection metadata and EXIF hints.
    List {
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        /// Only evidence linked to this item (or its sightings).
        #[arg(long, value_name = "ITEM")]
        item: Option<String>,
        #[command(flatten)]
        tier: TierArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Identical files and near-duplicates (re-posted, resized, recompressed) with their
    /// distance.
    Dupes {
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        /// Largest Hamming distance between perceptual hashes (of 64 bits) that counts as a
        /// near-duplicate.
        #[arg(long, default_value_t = 10)]
        max_distance: u32,
        #[command(flatten)]
        tier: TierArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Re-hash every stored file and report any that changed or went missing.
    Verify {
        #[command(flatten)]
        dir: EvidenceDirArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Verify, dispute or reject a piece of evidence (not your own), with a reason.
    Review {
        /// The evidence id, or 8+ leading digits of its id or SHA-256.
        evidence: String,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        #[arg(long)]
        status: String,
        #[arg(long)]
        reason: String,
    },
    /// Copy evidence files out for sharing; the public tier (default) strips EXIF and other
    /// metadata and refuses files it cannot strip.
    Export {
        /// Evidence ids or 8+ leading digits of their SHA-256.
        #[arg(required = true)]
        evidence: Vec<String>,
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        #[arg(long, value_name = "NAME")]
        investigation: Option<String>,
        #[command(flatten)]
        tier: TierArg,
        #[command(flatten)]
        dir: EvidenceDirArg,
    },
}

#[derive(Debug, Args)]
pub struct EvidenceAddArgs {
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
    /// The item the files show (its reference or id).
    #[arg(long, value_name = "ITEM")]
    pub item: Option<String>,
    /// The investigation, when there is no item (or to pick among items with one reference).
    #[arg(long, value_name = "NAME")]
    pub investigation: Option<String>,
    /// Where the item is in a video: START[-END], as seconds (83.5) or [HH:]MM:SS[.mmm].
    #[arg(long, value_name = "TIME", conflicts_with = "region")]
    pub time: Option<String>,
    /// Where the item is in an image: X,Y,WIDTH,HEIGHT in pixels.
    #[arg(long, value_name = "X,Y,W,H")]
    pub region: Option<String>,
    /// The address the file was collected from.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The platform it was posted on.
    #[arg(long)]
    pub platform: Option<String>,
    /// The platform's id of the post.
    #[arg(long)]
    pub post_id: Option<String>,
    /// The account that posted it (confidential tier).
    #[arg(long)]
    pub uploader: Option<String>,
    /// When it was retrieved (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub retrieved_at: Option<String>,
    /// Who retrieved it (confidential tier; default: you).
    #[arg(long, value_name = "NAME")]
    pub retrieved_by: Option<String>,
    /// An archive copy (e.g. on the Wayback Machine).
    #[arg(long, value_name = "URL")]
    pub archive_url: Option<String>,
    #[command(flatten)]
    pub dir: EvidenceDirArg,
    #[command(flatten)]
    pub format: FormatArg,
}
