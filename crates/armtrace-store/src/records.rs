//! The records the audit log vouches for, read one way for both uses: a write records the
//! digest of every record it wrote in its own entry (inside its transaction, after its changes),
//! and deep verification reads the tables back and compares each record's digest with the last
//! entry about it (see [`armtrace_core::audit::Replay`]).
//!
//! A record is a row with the rows that belong to it: an item with its markings,
//! identifications, authors, reviews and evidence links; evidence with its reviews; a release
//! with its imported files. Its content is every column, decoded by type and put in canonical
//! JSON, children sorted in Rust (never by a database collation), so both backends give the
//! same digest.

use crate::StoreError;
use armtrace_core::audit::RecordKey;
use serde_json::{Map, Value};
use sqlx::{Row, Transaction};

/// The kinds of record the log vouches for. A record's name is `kind/id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    User,
    Investigation,
    Membership,
    Item,
    Evidence,
    Release,
    Meta,
}

impl Kind {
    pub(crate) const ALL: [Kind; 7] = [
        Kind::User,
        Kind::Investigation,
        Kind::Membership,
        Kind::Item,
        Kind::Evidence,
        Kind::Release,
        Kind::Meta,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Investigation => "investigation",
            Kind::Membership => "membership",
            Kind::Item => "item",
            Kind::Evidence => "evidence",
            Kind::Release => "release",
            Kind::Meta => "meta",
        }
    }

    /// Kinds read a page at a time in deep verification (there may be millions).
    fn paged(self) -> bool {
        matches!(self, Kind::Item | Kind::Evidence)
    }
}

/// One record: its kind and id (for a membership, `investigation/user`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Record {
    pub kind: Kind,
    pub id: String,
}

impl Record {
    pub(crate) fn new(kind: Kind, id: impl Into<String>) -> Record {
        Record {
            kind,
            id: id.into(),
        }
    }

    pub(crate) fn name(&self) -> String {
        format!("{}/{}", self.kind.as_str(), self.id)
    }
}

#[derive(Clone, Copy)]
enum Ty {
    Text,
    Int,
    Float,
    Bool,
}
use Ty::{Bool as B, Float as F, Int as I, Text as T};

type Columns = &'static [(&'static str, Ty)];

const USERS: Columns = &[
    ("id", T),
    ("name", T),
    ("role", T),
    ("active", B),
    ("created_at", T),
    ("created_by", T),
];
const INVESTIGATIONS: Columns = &[
    ("id", T),
    ("name", T),
    ("description", T),
    ("created_at", T),
    ("created_by", T),
];
const MEMBERSHIPS: Columns = &[
    ("investigation_id", T),
    ("user_id", T),
    ("added_at", T),
    ("added_by", T),
];
const ITEMS: Columns = &[
    ("id", T),
    ("investigation_id", T),
    ("ref", T),
    ("description", T),
    ("identification_id", T),
    ("lat", F),
    ("lon", F),
    ("precision_m", I),
    ("place_name", T),
    ("country", T),
    ("country_basis", T),
    ("location_sensitive", B),
    ("date_text", T),
    ("date_first", T),
    ("date_last", T),
    ("possessor", T),
    ("acquisition_route", T),
    ("acquisition_basis", T),
    ("verification", T),
    ("merged_into", T),
    ("notes", T),
    ("source", T),
    ("content_sha256", T),
    ("created_at", T),
    ("created_by", T),
    ("updated_at", T),
    ("updated_by", T),
];
const MARKINGS: Columns = &[
    ("item_id", T),
    ("n", I),
    ("position", T),
    ("script", T),
    ("text", T),
    ("transliteration", T),
    ("symbol", T),
    ("legibility", T),
];
const IDENTIFICATIONS: Columns = &[
    ("item_id", T),
    ("id", T),
    ("model_id", T),
    ("model", T),
    ("category", T),
    ("country_of_manufacture", T),
    ("year_of_manufacture", T),
    ("basis", T),
    ("by_name", T),
    ("at", T),
    ("origin", T),
    ("rule", T),
    ("confidence", F),
    ("accepted_suggestion", T),
    ("notes", T),
];
const AUTHORS: Columns = &[("item_id", T), ("user_name", T)];
const REVIEWS: Columns = &[
    ("record_id", T),
    ("id", T),
    ("investigation_id", T),
    ("record_kind", T),
    ("from_status", T),
    ("to_status", T),
    ("reason", T),
    ("by_name", T),
    ("at", T),
];
const LINKS: Columns = &[
    ("item_id", T),
    ("evidence_id", T),
    ("n", I),
    ("anchor", T),
    ("start_ms", I),
    ("end_ms", I),
    ("x", I),
    ("y", I),
    ("width", I),
    ("height", I),
    ("added_at", T),
    ("added_by", T),
];
const EVIDENCE: Columns = &[
    ("id", T),
    ("investigation_id", T),
    ("sha256", T),
    ("size", I),
    ("media_type", T),
    ("original_name", T),
    ("original_url", T),
    ("platform", T),
    ("post_id", T),
    ("uploader", T),
    ("retrieved_at", T),
    ("retrieved_by", T),
    ("archive_url", T),
    ("exif_capture_time", T),
    ("exif_lat", F),
    ("exif_lon", F),
    ("exif_camera", T),
    ("warnings", T),
    ("width", I),
    ("height", I),
    ("perceptual_hash", I),
    ("verification", T),
    ("added_at", T),
    ("added_by", T),
];
const RELEASES: Columns = &[
    ("id", T),
    ("release_no", I),
    ("source", T),
    ("name", T),
    ("format", T),
    ("selection", T),
    ("created_at", T),
];
const RELEASE_FILES: Columns = &[
    ("release_id", T),
    ("sha256", T),
    ("file_name", T),
    ("imported_at", T),
    ("records", I),
    ("added", I),
];
const META: Columns = &[("key", T), ("value", T)];

/// One table read for a kind: the columns, the column that names the record (the first
/// column), and an extra condition.
struct Part {
    /// The key in the record's content (`row` for the record's own row).
    label: &'static str,
    table: &'static str,
    columns: Columns,
    /// Rows sorted by these columns (by position) inside the record.
    order: &'static [usize],
    condition: &'static str,
}

fn parts(kind: Kind) -> &'static [Part] {
    const fn p(
        label: &'static str,
        table: &'static str,
        columns: Columns,
        order: &'static [usize],
        condition: &'static str,
    ) -> Part {
        Part {
            label,
            table,
            columns,
            order,
            condition,
        }
    }
    static USER: [Part; 1] = [p("row", "users", USERS, &[], "")];
    static INVESTIGATION: [Part; 1] = [p("row", "investigations", INVESTIGATIONS, &[], "")];
    static MEMBERSHIP: [Part; 1] = [p("row", "memberships", MEMBERSHIPS, &[], "")];
    static ITEM: [Part; 6] = [
        p("row", "items", ITEMS, &[], ""),
        p("markings", "markings", MARKINGS, &[1], ""),
        p(
            "identifications",
            "identifications",
            IDENTIFICATIONS,
            &[1],
            "",
        ),
        p("authors", "item_authors", AUTHORS, &[1], ""),
        p(
            "reviews",
            "reviews",
            REVIEWS,
            &[1],
            "record_kind = 'documented_item'",
        ),
        p("links", "evidence_links", LINKS, &[1, 2], ""),
    ];
    static EVIDENCE_: [Part; 2] = [
        p("row", "evidence", EVIDENCE, &[], ""),
        p(
            "reviews",
            "reviews",
            REVIEWS,
            &[1],
            "record_kind = 'evidence'",
        ),
    ];
    static RELEASE: [Part; 2] = [
        p("row", "releases", RELEASES, &[], ""),
        p("files", "release_files", RELEASE_FILES, &[1], ""),
    ];
    static META_: [Part; 1] = [p("row", "schema_meta", META, &[], "")];
    match kind {
        Kind::User => &USER,
        Kind::Investigation => &INVESTIGATION,
        Kind::Membership => &MEMBERSHIP,
        Kind::Item => &ITEM,
        Kind::Evidence => &EVIDENCE_,
        Kind::Release => &RELEASE,
        Kind::Meta => &META_,
    }
}

/// The id a row of `part` belongs to.
fn owner(kind: Kind, row: &[Value]) -> String {
    let text = |i: usize| row.get(i).and_then(Value::as_str).unwrap_or_default();
    match kind {
        Kind::Membership => format!("{}/{}", text(0), text(1)),
        _ => text(0).to_string(),
    }
}

/// How many ids go into one `IN (…)` list.
const CHUNK: usize = 500;

/// Reads records: the queries, written once and compiled for both backends.
pub(crate) trait RecordTx: sqlx::Database {
    /// The content of each of `ids` of `kind` that exists (`None`: every record of the kind).
    async fn contents(
        tx: &mut Transaction<'_, Self>,
        kind: Kind,
        ids: Option<&[String]>,
    ) -> Result<Vec<(String, Value)>, StoreError>;

    /// Up to `limit` ids of `kind` after `after`, in the database's order.
    async fn page(
        tx: &mut Transaction<'_, Self>,
        kind: Kind,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError>;
}

macro_rules! impl_record_tx {
    ($($db:ty),+) => {$(
        impl RecordTx for $db {
            async fn contents(
                tx: &mut Transaction<'_, Self>,
                kind: Kind,
                ids: Option<&[String]>,
            ) -> Result<Vec<(String, Value)>, StoreError> {
                // Membership ids name two columns: select by investigation, keep the asked ones.
                let lookup: Option<Vec<String>> = ids.map(|ids| match kind {
                    Kind::Membership => {
                        let mut v: Vec<String> = ids.iter().map(|i| i.split('/').next().unwrap_or_default().to_string()).collect();
                        v.sort();
                        v.dedup();
                        v
                    }
                    _ => ids.to_vec(),
                });
                let mut by_id: std::collections::BTreeMap<String, Map<String, Value>> = Default::default();
                for part in parts(kind) {
                    let cols: Vec<&str> = part.columns.iter().map(|(c, _)| *c).collect();
                    let mut rows: Vec<Vec<Value>> = Vec::new();
                    let chunks: Vec<Option<&[String]>> = match &lookup {
                        None => vec![None],
                        Some(l) => l.chunks(CHUNK).map(Some).collect(),
                    };
                    for chunk in chunks {
                        let mut sql = format!("SELECT {} FROM {}", cols.join(", "), part.table);
                        let mut conds: Vec<String> = Vec::new();
                        if let Some(c) = chunk {
                            if c.is_empty() {
                                continue;
                            }
                            let marks: Vec<String> = (1..=c.len()).map(|i| format!("${i}")).collect();
                            conds.push(format!("{} IN ({})", cols[0], marks.join(", ")));
                        }
                        if !part.condition.is_empty() {
                            conds.push(part.condition.to_string());
                        }
                        if !conds.is_empty() {
                            sql += &format!(" WHERE {}", conds.join(" AND "));
                        }
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                        for id in chunk.into_iter().flatten() {
                            q = q.bind(id.clone());
                        }
                        for r in q.fetch_all(&mut **tx).await? {
                            let mut row = Vec::with_capacity(part.columns.len());
                            for (i, (_, ty)) in part.columns.iter().enumerate() {
                                row.push(cell(&r, i, *ty));
                            }
                            rows.push(row);
                        }
                    }
                    if part.label == "row" {
                        for row in rows {
                            let id = owner(kind, &row);
                            let obj: Map<String, Value> = cols.iter().map(|c| c.to_string()).zip(row).collect();
                            by_id.entry(id).or_default().insert("row".into(), Value::Object(obj));
                        }
                    } else {
                        rows.sort_by(|a, b| {
                            part.order.iter().map(|i| cmp_values(&a[*i], &b[*i])).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
                        });
                        for row in rows {
                            let id = owner(kind, &row);
                            // Children of a record that is not there are not its content.
                            if let Some(rec) = by_id.get_mut(&id) {
                                let list = rec.entry(part.label.to_string()).or_insert_with(|| Value::Array(vec![]));
                                if let Value::Array(a) = list {
                                    a.push(Value::Array(row.into_iter().skip(1).collect()));
                                }
                            }
                        }
                    }
                }
                let wanted: Option<std::collections::HashSet<&String>> = ids.map(|i| i.iter().collect());
                Ok(by_id
                    .into_iter()
                    .filter(|(id, _)| wanted.as_ref().is_none_or(|w| w.contains(id)))
                    .map(|(id, mut content)| {
                        for part in parts(kind).iter().filter(|p| p.label != "row") {
                            content.entry(part.label.to_string()).or_insert_with(|| Value::Array(vec![]));
                        }
                        (id, Value::Object(content))
                    })
                    .collect())
            }

            async fn page(
                tx: &mut Transaction<'_, Self>,
                kind: Kind,
                after: Option<&str>,
                limit: i64,
            ) -> Result<Vec<String>, StoreError> {
                let part = &parts(kind)[0];
                let key = part.columns[0].0;
                // Two texts, so that each has a plan that walks the key's index.
                let table = part.table;
                Ok(match after {
                    Some(a) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT {key} FROM {table} WHERE {key} > $1 ORDER BY {key} LIMIT $2"
                    )))
                    .bind(a.to_string())
                    .bind(limit)
                    .fetch_all(&mut **tx)
                    .await?,
                    None => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT {key} FROM {table} ORDER BY {key} LIMIT $1"
                    )))
                    .bind(limit)
                    .fetch_all(&mut **tx)
                    .await?,
                })
            }
        }
    )+};
}
impl_record_tx!(sqlx::Sqlite, sqlx::Postgres);

/// A column as JSON by its type; a value that does not read as its type (written outside
/// armtrace) becomes text that no digest made by armtrace matches.
fn cell<R: Row>(r: &R, i: usize, ty: Ty) -> Value
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<f64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<bool>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let bad = || Value::String("\u{0}unreadable".into());
    match ty {
        Ty::Text => r
            .try_get::<Option<String>, _>(i)
            .map_or_else(|_| bad(), |v| v.map_or(Value::Null, Value::String)),
        Ty::Int => r
            .try_get::<Option<i64>, _>(i)
            .map_or_else(|_| bad(), |v| v.map_or(Value::Null, Value::from)),
        Ty::Float => r
            .try_get::<Option<f64>, _>(i)
            .map_or_else(|_| bad(), |v| v.map_or(Value::Null, Value::from)),
        Ty::Bool => r
            .try_get::<Option<bool>, _>(i)
            .map_or_else(|_| bad(), |v| v.map_or(Value::Null, Value::Bool)),
    }
}

/// Children in byte order of their text (numbers by value), the same on every backend.
fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or_default()
            .total_cmp(&y.as_f64().unwrap_or_default()),
        _ => a
            .as_str()
            .unwrap_or_default()
            .cmp(b.as_str().unwrap_or_default()),
    }
}

/// The digests of `records` as they are now in the transaction: `null` for one that is gone.
pub(crate) async fn digests<DB: RecordTx>(
    tx: &mut Transaction<'_, DB>,
    key: &RecordKey,
    records: &[Record],
) -> Result<Map<String, Value>, StoreError> {
    let mut out = Map::new();
    for kind in Kind::ALL {
        let mut ids: Vec<String> = records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.clone())
            .collect();
        if ids.is_empty() {
            continue;
        }
        ids.sort();
        ids.dedup();
        let found: std::collections::HashMap<String, Value> = DB::contents(tx, kind, Some(&ids))
            .await?
            .into_iter()
            .collect();
        for id in ids {
            let name = Record::new(kind, id.as_str()).name();
            let d = found
                .get(&id)
                .map(|v| Value::String(key.digest(&name, v)))
                .unwrap_or(Value::Null);
            out.insert(name, d);
        }
    }
    Ok(out)
}

/// Every record of `kind` with its digest, a page at a time (`visit` gets each page).
pub(crate) async fn each_digest<DB: RecordTx>(
    tx: &mut Transaction<'_, DB>,
    key: &RecordKey,
    kind: Kind,
    mut visit: impl FnMut(Vec<(String, String)>),
) -> Result<(), StoreError> {
    let named = |found: Vec<(String, Value)>| {
        found
            .into_iter()
            .map(|(id, v)| {
                let name = Record::new(kind, id).name();
                let d = key.digest(&name, &v);
                (name, d)
            })
            .collect::<Vec<_>>()
    };
    if !kind.paged() {
        visit(named(DB::contents(tx, kind, None).await?));
        return Ok(());
    }
    let mut after: Option<String> = None;
    loop {
        let ids = DB::page(tx, kind, after.as_deref(), 1000).await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        visit(named(DB::contents(tx, kind, Some(&ids)).await?));
        after = Some(last);
    }
    Ok(())
}
