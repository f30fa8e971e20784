//! Transfer registers in the store: releases (each SIPRI export, each native dataset), importing
//! transfers into one in a single transaction, and the queries analysts ask: who supplied whom,
//! when and how much, and what changed between two releases.

use crate::audit::{LockedPool, append, authorize, change};
use crate::bulk::{AppendRows, OnConflict, Value, insert_rows};
use crate::clock::now;
use crate::{Store, StoreError, with_pool};
use armtrace_core::Measure;
use armtrace_core::access::{Action, Identity, Resource};
use armtrace_core::text::{collate, fold};
use armtrace_core::transfer::{Transfer, release_id};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashSet;

/// A release of a register (one SIPRI export date and format) or a native dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Release {
    pub id: String,
    /// The release's small number inside this database (not stable across databases).
    #[serde(skip)]
    pub no: i64,
    /// "sipri" or "native".
    pub source: String,
    /// For SIPRI the "Data generated" date (YYYY-MM-DD); for native data the dataset name.
    pub name: String,
    /// "sipri_trade_register", "sipri_deal_years" or "native".
    pub format: String,
    pub selection: Option<String>,
    pub created_at: String,
    /// How many transfers it holds; -1 (and absent from JSON) where not counted.
    #[serde(skip_serializing_if = "is_negative")]
    pub transfers: i64,
}

fn is_negative(n: &i64) -> bool {
    *n < 0
}

/// Which release a query reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseChoice {
    /// The SIPRI release with the latest export date.
    LatestSipri,
    /// A SIPRI release by its export date (YYYY-MM-DD).
    Sipri(String),
    /// A native dataset by name.
    Dataset(String),
}

/// What to create or extend when importing.
#[derive(Clone, Debug)]
pub struct ReleaseSpec {
    pub source: String,
    pub name: String,
    pub format: String,
    pub selection: Option<String>,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub release: Release,
    pub file: String,
    pub sha256: String,
    pub records: u64,
    /// Transfers added to the release.
    pub added: u64,
    /// Records the release already had (from an earlier import of the same or an overlapping file).
    pub already_present: u64,
    pub new_release: bool,
}

/// An import failure: the source's own error (a bad record) or the store's.
#[derive(Debug, thiserror::Error)]
pub enum ImportError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Source(E),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E: std::error::Error + 'static> From<sqlx::Error> for ImportError<E> {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Database(e))
    }
}

const TRANSFER_COLUMNS: &[&str] = &[
    "release_no",
    "n",
    "record_key",
    "kind",
    "source_type",
    "supplier",
    "supplier_name",
    "recipient",
    "recipient_name",
    "designation",
    "designation_folded",
    "description",
    "category",
    "order_year",
    "order_year_est",
    "number_ordered",
    "number_ordered_est",
    "number_delivered",
    "number_delivered_est",
    "first_delivery",
    "last_delivery",
    "status",
    "local_production",
    "tiv_per_unit",
    "tiv_deal_unit",
    "tiv_total_order",
    "tiv_delivered",
    "deal_id",
    "values_json",
    "comments",
    "source_file",
    "source_line",
];

const DELIVERY_COLUMNS: &[&str] = &[
    "release_no",
    "n",
    "year",
    "supplier",
    "recipient",
    "category",
    "year_est",
    "number",
    "number_est",
    "tiv",
    "spread",
];

/// The secondary indexes of `transfers` and `deliveries`, exactly as the migrations create them
/// (a test compares them with the schema). A load that writes more transfers than the tables
/// held before it drops them and builds them again before it commits: building an index from
/// sorted rows is several times faster than keeping it up to date row by row, and the rebuild
/// costs at most about twice the load's own share.
pub(crate) const SECONDARY_INDEXES: &[(&str, &str)] = &[
    (
        "transfers_by_recipient",
        "transfers (release_no, recipient, supplier, kind, order_year, first_delivery, number_delivered, tiv_delivered)",
    ),
    (
        "transfers_by_supplier",
        "transfers (release_no, supplier, recipient)",
    ),
    (
        "deliveries_by_recipient",
        "deliveries (release_no, recipient, year, n, tiv, spread)",
    ),
    (
        "deliveries_by_supplier",
        "deliveries (release_no, supplier, year, n, tiv, spread)",
    ),
];

/// Loads smaller than this keep the indexes: dropping and rebuilding them is not worth it.
const DEFER_INDEXES_FROM: u64 = 20_000;

fn transfer_row(release_no: i64, n: i64, t: &Transfer) -> Vec<Value> {
    let s = t.sipri.clone().unwrap_or_default();
    let money: Vec<&Measure> = t.values.iter().collect();
    vec![
        Value::Int(Some(release_no)),
        Value::Int(Some(n)),
        Value::from(t.record_key.as_str()),
        Value::from(t.kind.as_str()),
        Value::from(t.source_type.as_str()),
        Value::from(t.supplier.to_string()),
        Value::from(t.supplier_as_written.as_str()),
        Value::from(t.recipient.to_string()),
        Value::from(t.recipient_as_written.as_str()),
        Value::from(t.designation.as_str()),
        Value::from(fold(&t.designation)),
        Value::from(t.description.as_ref()),
        Value::from(t.category.as_ref()),
        Value::from(t.order_year),
        Value::from(t.order_year_is_estimate),
        Value::from(t.number_ordered),
        Value::from(t.number_ordered_is_estimate),
        Value::from(t.number_delivered()),
        Value::from(
            s.number_delivered_is_estimate || t.deliveries.iter().any(|d| d.number_is_estimate),
        ),
        Value::from(t.deliveries.iter().map(|d| d.year).min()),
        Value::from(t.deliveries.iter().map(|d| d.year).max()),
        Value::from(t.status.map(|x| x.as_str().to_string())),
        Value::from(t.local_production),
        Value::from(s.tiv_per_unit.map(|m| m.0)),
        Value::from(s.tiv_deal_unit.map(|m| m.0)),
        Value::from(s.tiv_total_order.map(|m| m.0)),
        Value::from(t.tiv_delivered().map(|m| m.0)),
        Value::from(s.deal_id),
        Value::from((!money.is_empty()).then(|| serde_json::to_string(&money).unwrap_or_default())),
        Value::from(t.comments.as_ref()),
        Value::from(t.record.file.as_str()),
        Value::from(Some(t.record.line as i64)),
    ]
}

fn delivery_rows(release_no: i64, n: i64, t: &Transfer) -> Vec<Vec<Value>> {
    let supplier = t.supplier.to_string();
    let recipient = t.recipient.to_string();
    t.yearly()
        .into_iter()
        .map(|y| {
            vec![
                Value::Int(Some(release_no)),
                Value::Int(Some(n)),
                Value::from(Some(y.year)),
                Value::from(supplier.as_str()),
                Value::from(recipient.as_str()),
                Value::from(t.category.as_ref()),
                Value::from(y.year_is_estimate),
                Value::from(y.number),
                Value::from(y.number_is_estimate),
                Value::from(y.tiv.map(|m| m.0)),
                Value::from(y.spread),
            ]
        })
        .collect()
}

impl Store {
    /// Every release and dataset with its number of transfers, newest SIPRI export first, then
    /// native datasets by name.
    pub async fn releases(&self) -> Result<Vec<Release>, StoreError> {
        self.list_releases(true).await
    }

    async fn releases_without_counts(&self) -> Result<Vec<Release>, StoreError> {
        self.list_releases(false).await
    }

    async fn list_releases(&self, count: bool) -> Result<Vec<Release>, StoreError> {
        let sql = if count {
            "SELECT r.id, r.release_no, r.source, r.name, r.format, r.selection, r.created_at, \
             (SELECT COUNT(*) FROM transfers t WHERE t.release_no = r.release_no) AS n FROM releases r"
        } else {
            "SELECT r.id, r.release_no, r.source, r.name, r.format, r.selection, r.created_at, \
             CAST(-1 AS BIGINT) AS n FROM releases r"
        };
        let mut out: Vec<Release> = with_pool!(self, p => {
            let rows = sqlx::query(sql)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Release {
                        id: r.try_get("id")?,
                        no: r.try_get("release_no")?,
                        source: r.try_get("source")?,
                        name: r.try_get("name")?,
                        format: r.try_get("format")?,
                        selection: r.try_get("selection")?,
                        created_at: r.try_get("created_at")?,
                        transfers: r.try_get("n")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        out.sort_by(|a, b| {
            a.source
                .cmp(&b.source)
                .reverse()
                .then_with(|| {
                    if a.source == "sipri" {
                        b.name.cmp(&a.name)
                    } else {
                        collate(&a.name, &b.name)
                    }
                })
                .then_with(|| a.format.cmp(&b.format))
        });
        Ok(out)
    }

    /// The release a query should read (its `transfers` count is not computed: -1).
    pub async fn release(&self, choice: &ReleaseChoice) -> Result<Release, StoreError> {
        let all = self.releases_without_counts().await?;
        let sipri = || all.iter().filter(|r| r.source == "sipri");
        let found: Vec<&Release> = match choice {
            ReleaseChoice::LatestSipri => sipri().take(1).collect(),
            ReleaseChoice::Sipri(date) => sipri().filter(|r| &r.name == date).collect(),
            ReleaseChoice::Dataset(name) => all
                .iter()
                .filter(|r| r.source == "native" && &r.name == name)
                .collect(),
        };
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => {
                let known: Vec<String> = all
                    .iter()
                    .map(|r| format!("{} {}", r.source, r.name))
                    .collect();
                Err(StoreError::Invalid(match choice {
                    ReleaseChoice::LatestSipri => {
                        "no SIPRI release has been imported: run `armtrace import sipri FILE`"
                            .to_string()
                    }
                    _ => format!(
                        "no such release or dataset; imported: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                }))
            }
            many => Err(StoreError::Invalid(format!(
                "{} releases share that date ({}); this is not supported yet",
                many.len(),
                many.iter()
                    .map(|r| r.format.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The release a file with this SHA-256 was imported into, if any.
    /// With `into`, whether that release already holds the file; without, whether any does
    /// (a SIPRI export's release is only known once it is read).
    pub async fn file_imported(
        &self,
        sha256: &str,
        into: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let v: Option<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT release_id FROM release_files WHERE sha256 = $1 AND ($2 IS NULL OR release_id = $2) LIMIT 1",
            )
            .bind(sha256)
            .bind(into)
            .fetch_optional(p)
            .await?
        });
        Ok(v)
    }

    /// Imports transfers into a release (created if new), in one transaction: either every new
    /// record is added or none is. Records the release already has (same record key) are skipped,
    /// so importing the same file, or a subset of one already imported, adds nothing.
    /// `progress` receives (records written, records so far).
    pub async fn import_transfers<I, E>(
        &self,
        by: &Identity,
        spec: &ReleaseSpec,
        file: &str,
        sha256: &str,
        batches: I,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport, ImportError<E>>
    where
        I: Iterator<Item = Result<Vec<Transfer>, E>> + Send,
        E: std::error::Error + Send + 'static,
    {
        let release_id = release_id(&spec.source, &spec.name, &spec.format).to_string();
        let now = now();
        let postgres = matches!(self.backend, crate::Backend::Postgres(_));
        let (records, added, new_release) = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            authorize(&mut tx, by, Action::Write, Resource::Transfer, None).await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT release_no FROM releases WHERE id = $1")
                .bind(&release_id)
                .fetch_optional(&mut *tx)
                .await?;
            let new_release = exists.is_none();
            let release_no = match exists {
                Some(no) => no,
                None => {
                    let next: Option<i64> = sqlx::query_scalar("SELECT MAX(release_no) FROM releases")
                        .fetch_one(&mut *tx)
                        .await?;
                    let no = next.unwrap_or(0) + 1;
                    sqlx::query(
                        "INSERT INTO releases (id, release_no, source, name, format, selection, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&release_id)
                    .bind(no)
                    .bind(&spec.source)
                    .bind(&spec.name)
                    .bind(&spec.format)
                    .bind(&spec.selection)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    no
                }
            };
            let existing: HashSet<String> = if new_release {
                HashSet::new()
            } else {
                sqlx::query_scalar::<_, String>("SELECT record_key FROM transfers WHERE release_no = $1")
                    .bind(release_no)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect()
            };
            let mut next_n: i64 = if new_release {
                0
            } else {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(n) FROM transfers WHERE release_no = $1")
                    .bind(release_no)
                    .fetch_one(&mut *tx)
                    .await?
                    .map_or(0, |n| n + 1)
            };
            // Transfers in the tables before this load (every import records what it added).
            let before: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(added), 0) AS BIGINT) FROM release_files")
                .fetch_one(&mut *tx)
                .await?;
            let before = u64::try_from(before).unwrap_or(0);
            let mut deferred = false;
            let mut written_keys: HashSet<String> = HashSet::new();
            let (mut records, mut added) = (0u64, 0u64);
            for batch in batches {
                let batch = batch.map_err(ImportError::Source)?;
                records += batch.len() as u64;
                let fresh: Vec<&Transfer> = batch.iter().filter(|t| !existing.contains(&t.record_key)).collect();
                // No unique index guards record keys (it cost time on every row): a key this load
                // writes twice is refused here, and the whole load with it.
                for t in &fresh {
                    if !written_keys.insert(t.record_key.clone()) {
                        return Err(ImportError::Store(StoreError::Invalid(format!(
                            "{}, line {}: record key '{}' appears twice in this import; nothing was imported",
                            t.record.file, t.record.line, t.record_key
                        ))));
                    }
                }
                let after = added + fresh.len() as u64;
                if !deferred && after >= DEFER_INDEXES_FROM && after > before {
                    for (name, _) in SECONDARY_INDEXES {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                            .execute(&mut *tx)
                            .await?;
                    }
                    deferred = true;
                }
                let numbered: Vec<(i64, &Transfer)> = fresh
                    .iter()
                    .map(|t| {
                        next_n += 1;
                        (next_n - 1, *t)
                    })
                    .collect();
                let mut names: Vec<(String, String)> = fresh
                    .iter()
                    .flat_map(|t| {
                        [
                            (t.supplier.to_string(), t.supplier_as_written.clone()),
                            (t.recipient.to_string(), t.recipient_as_written.clone()),
                        ]
                    })
                    .collect();
                names.sort();
                names.dedup();
                let name_rows: Vec<Vec<Value>> = names
                    .into_iter()
                    .map(|(p, n)| vec![Value::Int(Some(release_no)), Value::from(p), Value::from(n)])
                    .collect();
                insert_rows(&mut tx, "release_parties", &["release_no", "party", "name"], name_rows, OnConflict::Ignore).await?;
                // Rows are built as they are sent (see `AppendRows`).
                let rows = numbered.iter().map(|(n, t)| transfer_row(release_no, *n, t));
                added += AppendRows::append_rows(&mut tx, "transfers", TRANSFER_COLUMNS, rows).await?;
                let deliveries = numbered.iter().flat_map(|(n, t)| delivery_rows(release_no, *n, t));
                AppendRows::append_rows(&mut tx, "deliveries", DELIVERY_COLUMNS, deliveries).await?;
                progress(records);
            }
            if deferred {
                if postgres {
                    // More memory for the sorts of the index builds, for this transaction only.
                    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'").execute(&mut *tx).await?;
                }
                for (name, on) in SECONDARY_INDEXES {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE INDEX {name} ON {on}")))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query(
                "INSERT INTO release_files (release_id, sha256, file_name, imported_at, records, added) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (release_id, sha256) DO NOTHING",
            )
            .bind(&release_id)
            .bind(sha256)
            .bind(file)
            .bind(&now)
            .bind(records as i64)
            .bind(added as i64)
            .execute(&mut *tx)
            .await?;
            // One audit entry per imported file: what was added to which release, from which bytes.
            append(
                &mut tx,
                change(
                    by,
                    "transfers.import",
                    "release",
                    Some(release_id.clone()),
                    None,
                    Some(json!({
                        "release": {"source": spec.source, "name": spec.name, "format": spec.format},
                        "file": file,
                        "sha256": sha256,
                        "records": records,
                        "added": added,
                    })),
                ),
            )
            .await?;
            tx.commit().await?;
            (records, added, new_release)
        });
        // After a large load PostgreSQL's planner statistics are stale and its visibility map
        // empty until autovacuum runs; until then the covering indexes cannot answer without
        // visiting the table. Vacuum and analyse now (outside the import's transaction).
        if let crate::Backend::Postgres(p) = &self.backend
            && added >= 50_000
        {
            sqlx::query("VACUUM (ANALYZE) transfers, deliveries")
                .execute(p)
                .await
                .map_err(StoreError::Database)?;
        }
        let release = self
            .releases_without_counts()
            .await?
            .into_iter()
            .find(|r| r.id == release_id)
            .ok_or_else(|| StoreError::Invalid("the release vanished during the import".into()))?;
        Ok(ImportReport {
            release,
            file: file.to_string(),
            sha256: sha256.to_string(),
            records,
            added,
            already_present: records - added,
            new_release,
        })
    }
}
