//! Transfer registers in the store: releases (each SIPRI export, each native dataset), importing
//! transfers into one in a single transaction, and the queries analysts ask: who supplied whom,
//! when and how much, and what changed between two releases.

use crate::audit::{LockedPool, authorize, change, commit_signed, vouch};
use crate::bulk::{AppendRows, OnConflict, Value, insert_rows};
use crate::clock::now;
use crate::records::{Kind, Record};
use crate::{Store, StoreError, with_pool};
use armtrace_core::access::{Action, Identity, Resource};
use armtrace_core::error::{Code, Error, Hint};
use armtrace_core::segment::{self, Encoded, Encoder, PartySegment, SegmentReader, SegmentWriter};
use armtrace_core::text::collate;
use armtrace_core::transfer::{Transfer, release_id};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

pub(crate) fn damaged(e: segment::Damaged) -> StoreError {
    crate::error::invalid(e.to_string())
}

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

/// The columns of `transfer_segments`, in the order [`segment_values`] gives them.
const SEGMENT_COLUMNS: &[&str] = &[
    "release_no",
    "seg",
    "recipient",
    "supplier",
    "transfers",
    "data",
];

fn segment_values(release_no: i64, seg: i64, s: PartySegment) -> Vec<Value> {
    vec![
        Value::Int(Some(release_no)),
        Value::Int(Some(seg)),
        Value::from(s.recipient),
        Value::from(s.supplier),
        Value::Int(Some(s.rows)),
        Value::Bytes(s.data),
    ]
}

/// Writes finished segments, numbering them from `next_seg`.
async fn write_segments<DB: AppendRows>(
    tx: &mut sqlx::Transaction<'_, DB>,
    release_no: i64,
    next_seg: &mut i64,
    segments: Vec<PartySegment>,
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
{
    if segments.is_empty() {
        return Ok(());
    }
    let first = *next_seg;
    *next_seg += segments.len() as i64;
    let rows = segments
        .into_iter()
        .enumerate()
        .map(|(i, s)| segment_values(release_no, first + i as i64, s));
    AppendRows::append_rows(tx, "transfer_segments", SEGMENT_COLUMNS, rows).await?;
    Ok(())
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
             (SELECT CAST(COALESCE(SUM(s.transfers), 0) AS BIGINT) FROM transfer_segments s \
             WHERE s.release_no = r.release_no) AS n FROM releases r"
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
                Err(Error::new(
                    Code::ReleaseNotFound,
                    match choice {
                        ReleaseChoice::LatestSipri => {
                            "no SIPRI release has been imported: import a SIPRI export first"
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
                    },
                )
                .with_field("release")
                .with_hint(Hint::ListReleases)
                .into())
            }
            many => Err(Error::new(
                Code::ReleaseAmbiguous,
                format!(
                    "{} releases share that date ({}); this is not supported yet",
                    many.len(),
                    many.iter()
                        .map(|r| r.format.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_field("release")
            .into()),
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
    /// `progress` receives the number of records read so far.
    pub async fn import_transfers<I, B, E>(
        &self,
        by: &Identity,
        spec: &ReleaseSpec,
        file: &str,
        sha256: &str,
        batches: I,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport, ImportError<E>>
    where
        I: Iterator<Item = Result<B, E>> + Send,
        B: std::ops::Deref<Target = [Transfer]> + Send,
        E: std::error::Error + Send + 'static,
    {
        let parts = TransferEncoding {
            batches,
            encoder: Some(Encoder::default()),
            tail: Vec::new().into_iter(),
        };
        self.write_encoded(by, spec, file, sha256, parts, progress)
            .await
    }

    /// [`Store::import_transfers`] for transfers a parser has already encoded into segments
    /// (on threads of its own, see [`Encoder`]): the same checks, the same transaction.
    pub async fn import_encoded<I, E>(
        &self,
        by: &Identity,
        spec: &ReleaseSpec,
        file: &str,
        sha256: &str,
        parts: I,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport, ImportError<E>>
    where
        I: Iterator<Item = Result<Encoded, E>> + Send,
        E: std::error::Error + Send + 'static,
    {
        let parts = parts.map(|p| p.map_err(ImportError::Source));
        self.write_encoded(by, spec, file, sha256, parts, progress)
            .await
    }

    async fn write_encoded<I, E>(
        &self,
        by: &Identity,
        spec: &ReleaseSpec,
        file: &str,
        sha256: &str,
        parts: I,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport, ImportError<E>>
    where
        I: Iterator<Item = Result<Encoded, ImportError<E>>> + Send,
        E: std::error::Error + Send + 'static,
    {
        let release_id = release_id(&spec.source, &spec.name, &spec.format).to_string();
        let now = now();
        let (records, added, new_release, segments_written) = with_pool!(self, p => {
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
            // What the release already holds: its record keys (records with one of them are
            // skipped), its highest transfer and segment numbers.
            let mut existing: HashSet<String> = HashSet::new();
            let (mut next_n, mut next_seg) = (0i64, 0i64);
            if !new_release {
                let stored = sqlx::query("SELECT seg, data FROM transfer_segments WHERE release_no = $1")
                    .bind(release_no)
                    .fetch_all(&mut *tx)
                    .await?;
                for r in &stored {
                    let seg: i64 = r.try_get("seg")?;
                    let data: Vec<u8> = r.try_get("data")?;
                    next_seg = next_seg.max(seg + 1);
                    let mut row = segment::Row::default();
                    let mut reader = SegmentReader::new(&data).map_err(damaged)?;
                    while reader.next_into(&mut row).map_err(damaged)? {
                        next_n = next_n.max(row.n.checked_add(1).ok_or_else(|| {
                            crate::error::invalid("a stored transfer number is out of range")
                        })?);
                        existing.insert(row.record_key.to_string());
                    }
                }
            }
            let first_seg = next_seg;
            let mut runs: Vec<Vec<u64>> = Vec::new();
            let mut names: Vec<(String, String)> = Vec::new();
            let (mut records, mut added) = (0u64, 0u64);
            for part in parts {
                match part? {
                    Encoded::Segments { segments, records: read } => {
                        records += read;
                        let mut keep = Vec::with_capacity(segments.len());
                        for mut s in segments {
                            if existing.is_empty() {
                                segment::rebase(&mut s.data, next_n).map_err(damaged)?;
                            } else {
                                match without_keys(&s.data, &existing, next_n).map_err(damaged)? {
                                    Some((rows, data)) => (s.rows, s.data) = (rows, data),
                                    None => continue,
                                }
                            }
                            added += u64::try_from(s.rows).unwrap_or_default();
                            keep.push(s);
                        }
                        write_segments(&mut tx, release_no, &mut next_seg, keep).await?;
                        progress(records);
                    }
                    Encoded::Done { key_hashes, names: given } => {
                        runs.push(key_hashes);
                        names.extend(given);
                    }
                }
            }
            // No index guards record keys: a key this load wrote twice is refused here, and the
            // whole load with it (the parsers never produce one; the store does not rely on it).
            let twice = segment::repeated_hashes(&runs.iter().map(Vec::as_slice).collect::<Vec<_>>());
            drop(runs);
            if !twice.is_empty() {
                let written = sqlx::query("SELECT data FROM transfer_segments WHERE release_no = $1 AND seg >= $2 ORDER BY seg")
                    .bind(release_no)
                    .bind(first_seg)
                    .fetch_all(&mut *tx)
                    .await?;
                let blobs: Vec<Vec<u8>> = written.iter().map(|r| r.try_get("data")).collect::<Result<_, _>>()?;
                // Each suspect key's first reading (number, file, line): the later record of two
                // with one key is the one reported, naming the earlier one's line.
                let mut seen: HashMap<&str, (i64, &str, i64)> = HashMap::new();
                let mut row = segment::Row::default();
                for data in &blobs {
                    let mut reader = SegmentReader::new(data).map_err(damaged)?;
                    while reader.next_into(&mut row).map_err(damaged)? {
                        if !twice.contains(&segment::key_hash(row.record_key)) {
                            continue;
                        }
                        let this = (row.n, row.source_file, row.source_line);
                        if let Some(&other) = seen.get(row.record_key) {
                            let ((_, file, line), (_, _, first)) = if this.0 > other.0 { (this, other) } else { (other, this) };
                            return Err(ImportError::Store(Error::new(Code::ImportInvalid, format!(
                                "record key '{}' appears twice in this import (first on line {first}); nothing was imported",
                                row.record_key
                            )).with_file(file).with_line(u64::try_from(line).unwrap_or_default()).with_field("record_id").into()));
                        }
                        seen.insert(row.record_key, this);
                    }
                }
            }
            names.sort_unstable();
            names.dedup();
            let name_rows = names
                .into_iter()
                .map(|(party, name)| vec![Value::Int(Some(release_no)), Value::from(party), Value::from(name)])
                .collect();
            insert_rows(&mut tx, "release_parties", &["release_no", "party", "name"], name_rows, OnConflict::Ignore).await?;
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
            let c = change(
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
                );
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Release, release_id.as_str())])]).await?;
            (records, added, new_release, next_seg - first_seg)
        });
        // PostgreSQL's planner statistics for the segment table are stale after a large load
        // until autovacuum runs; refresh them now (outside the import's transaction).
        if let crate::Backend::Postgres(p) = &self.backend
            && segments_written >= 1_000
        {
            sqlx::query("ANALYZE transfer_segments")
                .execute(p)
                .await
                .map_err(StoreError::Database)?;
        }
        let release = self
            .releases_without_counts()
            .await?
            .into_iter()
            .find(|r| r.id == release_id)
            .ok_or_else(|| crate::error::invalid("the release vanished during the import"))?;
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

/// A segment's rows without those whose record key the release already has, numbered after
/// the release's (`None` when no row is left).
fn without_keys(
    data: &[u8],
    existing: &HashSet<String>,
    next_n: i64,
) -> Result<Option<(i64, Vec<u8>)>, segment::Damaged> {
    let mut reader = SegmentReader::new(data)?;
    let mut row = segment::Row::default();
    let mut writer = SegmentWriter::default();
    while reader.next_into(&mut row)? {
        if !existing.contains(row.record_key) {
            row.n = row
                .n
                .checked_add(next_n)
                .ok_or(segment::Damaged("number"))?;
            writer.push(0, 0, &row);
        }
    }
    writer.flush();
    Ok(writer.take().pop().map(|s| (s.rows, s.data)))
}

/// Segments numbered by an [`segment::Interner`] of party keys, with their keys.
fn keyed(segments: Vec<segment::Segment>, parties: &[String]) -> Vec<PartySegment> {
    let key = |i: u32| parties.get(i as usize).cloned().unwrap_or_default();
    segments
        .into_iter()
        .map(|s| PartySegment {
            recipient: key(s.recipient),
            supplier: key(s.supplier),
            rows: s.rows,
            data: s.data,
        })
        .collect()
}

/// Transfers from batches encoded on the importing thread, a batch at a time.
struct TransferEncoding<I> {
    batches: I,
    encoder: Option<Encoder>,
    /// What the encoder gave when it finished, still to hand on.
    tail: std::vec::IntoIter<Encoded>,
}

impl<I, B, E> Iterator for TransferEncoding<I>
where
    I: Iterator<Item = Result<B, E>>,
    B: std::ops::Deref<Target = [Transfer]>,
    E: std::error::Error + 'static,
{
    type Item = Result<Encoded, ImportError<E>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.tail.next() {
            return Some(Ok(e));
        }
        let encoder = self.encoder.as_mut()?;
        loop {
            match self.batches.next() {
                Some(Err(e)) => {
                    self.encoder = None;
                    return Some(Err(ImportError::Source(e)));
                }
                Some(Ok(batch)) => {
                    for t in batch.iter() {
                        if let Err(e) = encoder.push_transfer(t) {
                            self.encoder = None;
                            return Some(Err(crate::error::invalid(e.to_string()).into()));
                        }
                    }
                    if let Some(e) = encoder.take() {
                        return Some(Ok(e));
                    }
                }
                None => {
                    self.tail = self.encoder.take()?.finish().into_iter();
                    return self.tail.next().map(Ok);
                }
            }
        }
    }
}

/// A row of the tables transfers were kept in before segments (schema 5).
struct LegacyRow {
    n: i64,
    texts: [Option<String>; 14],
    ints: [Option<i64>; 11],
    flags: [bool; 4],
}

// Indexes into `LegacyRow::texts`.
const L_KEY: usize = 0;
const L_KIND: usize = 1;
const L_SOURCE_TYPE: usize = 2;
const L_SUPPLIER: usize = 3;
const L_SUPPLIER_NAME: usize = 4;
const L_RECIPIENT: usize = 5;
const L_RECIPIENT_NAME: usize = 6;
const L_DESIGNATION: usize = 7;
const L_DESCRIPTION: usize = 8;
const L_CATEGORY: usize = 9;
const L_STATUS: usize = 10;
const L_VALUES: usize = 11;
const L_COMMENTS: usize = 12;
const L_SOURCE_FILE: usize = 13;
const LEGACY_TEXT: [&str; 14] = [
    "record_key",
    "kind",
    "source_type",
    "supplier",
    "supplier_name",
    "recipient",
    "recipient_name",
    "designation",
    "description",
    "category",
    "status",
    "values_json",
    "comments",
    "source_file",
];
const LEGACY_INT: [&str; 11] = [
    "order_year",
    "number_ordered",
    "number_delivered",
    "first_delivery",
    "last_delivery",
    "tiv_per_unit",
    "tiv_deal_unit",
    "tiv_total_order",
    "tiv_delivered",
    "deal_id",
    "source_line",
];
const LEGACY_FLAG: [&str; 4] = [
    "order_year_est",
    "number_ordered_est",
    "number_delivered_est",
    "local_production",
];

fn vocab_str<T: std::str::FromStr<Err = String> + Copy>(
    s: Option<&str>,
    as_str: fn(T) -> &'static str,
) -> Result<Option<&'static str>, StoreError> {
    s.map(|s| {
        s.parse::<T>()
            .map(as_str)
            .map_err(|e| crate::error::invalid(format!("stored transfer: {e}")))
    })
    .transpose()
}

impl Store {
    /// Moves transfers from the tables schema 5 kept them in into segments, in one transaction
    /// that then drops those tables. Runs after the migrations; does nothing once done.
    /// Whether transfers still wait in the tables of schema 5 (see
    /// [`Store::convert_legacy_transfers`]).
    pub(crate) async fn has_legacy_transfers(&self) -> Result<bool, StoreError> {
        let present: i64 = with_pool!(self, p => {
            match self.backend {
                crate::Backend::Sqlite(_) => sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'legacy_transfers'",
                ),
                crate::Backend::Postgres(_) => sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'legacy_transfers'",
                ),
            }
            .fetch_one(p)
            .await?
        });
        Ok(present > 0)
    }

    pub(crate) async fn convert_legacy_transfers(&self) -> Result<(), StoreError> {
        if !self.has_legacy_transfers().await? {
            return Ok(());
        }
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let releases: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT release_no FROM legacy_transfers ORDER BY release_no")
                .fetch_all(&mut *tx)
                .await?;
            for release_no in releases {
                // After any segment the release already has (none, unless an older armtrace
                // wrote some), and a chunk of transfers at a time, so that memory stays bounded.
                let mut next_seg: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seg) FROM transfer_segments WHERE release_no = $1")
                    .bind(release_no)
                    .fetch_one(&mut *tx)
                    .await?
                    .map_or(0, |s| s + 1);
                let mut writer = SegmentWriter::default();
                let mut parties = segment::Interner::default();
                let mut from = i64::MIN;
                loop {
                    let chunk: Vec<_> = sqlx::query("SELECT * FROM legacy_transfers WHERE release_no = $1 AND n >= $2 ORDER BY n LIMIT 50000")
                        .bind(release_no)
                        .bind(from)
                        .fetch_all(&mut *tx)
                        .await?;
                    let Some(last) = chunk.last() else { break };
                    let last_n: i64 = last.try_get("n")?;
                    let mut deliveries: HashMap<i64, Vec<segment::YearRow>> = HashMap::new();
                    for r in sqlx::query("SELECT n, year, year_est, number, number_est, tiv, spread FROM legacy_deliveries WHERE release_no = $1 AND n >= $2 AND n <= $3 ORDER BY n, year")
                        .bind(release_no)
                        .bind(from)
                        .bind(last_n)
                        .fetch_all(&mut *tx)
                        .await?
                    {
                        deliveries.entry(r.try_get("n")?).or_default().push(segment::YearRow {
                            year: r.try_get("year")?,
                            year_est: r.try_get("year_est")?,
                            number: r.try_get("number")?,
                            number_est: r.try_get("number_est")?,
                            tiv: r.try_get("tiv")?,
                            spread: r.try_get("spread")?,
                        });
                    }
                    let mut rows = Vec::new();
                    for r in &chunk {
                        let mut row = LegacyRow { n: r.try_get("n")?, texts: Default::default(), ints: [None; 11], flags: [false; 4] };
                        for (slot, col) in row.texts.iter_mut().zip(LEGACY_TEXT) {
                            *slot = r.try_get(col)?;
                        }
                        for (slot, col) in row.ints.iter_mut().zip(LEGACY_INT) {
                            *slot = r.try_get(col)?;
                        }
                        for (slot, col) in row.flags.iter_mut().zip(LEGACY_FLAG) {
                            *slot = r.try_get(col)?;
                        }
                        rows.push(row);
                    }
                    for l in &rows {
                        let text = |i: usize| l.texts[i].as_deref();
                        let row = segment::Row {
                            n: l.n,
                            record_key: text(L_KEY).unwrap_or_default(),
                            kind: vocab_str(text(L_KIND), |k: armtrace_core::transfer::TransferKind| k.as_str())?.unwrap_or("order"),
                            source_type: vocab_str(text(L_SOURCE_TYPE), |k: armtrace_core::transfer::SourceType| k.as_str())?.unwrap_or("register"),
                            supplier_name: text(L_SUPPLIER_NAME).unwrap_or_default(),
                            recipient_name: text(L_RECIPIENT_NAME).unwrap_or_default(),
                            designation: text(L_DESIGNATION).unwrap_or_default(),
                            description: text(L_DESCRIPTION),
                            category: text(L_CATEGORY),
                            order_year: l.ints[0],
                            order_year_est: l.flags[0],
                            number_ordered: l.ints[1],
                            number_ordered_est: l.flags[1],
                            number_delivered: l.ints[2],
                            number_delivered_est: l.flags[2],
                            first_delivery: l.ints[3],
                            last_delivery: l.ints[4],
                            status: vocab_str(text(L_STATUS), |k: armtrace_core::transfer::TransferStatus| k.as_str())?,
                            local_production: l.flags[3],
                            tiv_per_unit: l.ints[5],
                            tiv_deal_unit: l.ints[6],
                            tiv_total_order: l.ints[7],
                            tiv_delivered: l.ints[8],
                            deal_id: l.ints[9],
                            values_json: text(L_VALUES),
                            comments: text(L_COMMENTS),
                            source_file: text(L_SOURCE_FILE).unwrap_or_default(),
                            source_line: l.ints[10].unwrap_or_default(),
                            deliveries: deliveries.remove(&l.n).unwrap_or_default(),
                        };
                        let recipient = parties.number(text(L_RECIPIENT).unwrap_or_default());
                        let supplier = parties.number(text(L_SUPPLIER).unwrap_or_default());
                        writer.push(recipient, supplier, &row);
                    }
                    write_segments(&mut tx, release_no, &mut next_seg, keyed(writer.take(), &parties.strings)).await?;
                    from = last_n.saturating_add(1);
                    if last_n == i64::MAX {
                        break;
                    }
                }
                writer.flush();
                write_segments(&mut tx, release_no, &mut next_seg, keyed(writer.take(), &parties.strings)).await?;
            }
            sqlx::query("DROP TABLE legacy_deliveries").execute(&mut *tx).await?;
            sqlx::query("DROP TABLE legacy_transfers").execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
