//! Importing transfer registers: SIPRI exports (either format, detected) and armtrace's native
//! CSV/JSONL. Each file is read whole, parsed (all or nothing: a bad file writes nothing and says
//! which records are bad) and written in one transaction; the other files go on. A file already
//! imported adds nothing.

use crate::{App, Identity};
use armtrace_core::error::{Code, Error, Result};
use armtrace_core::transfer::Transfer;
use armtrace_ingest::{IngestError, native, sha256_hex, sipri};
use armtrace_store::{ImportError, ImportReport, ReleaseSpec, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Transfers written per batch (and per progress update).
const BATCH: usize = 5_000;

/// How long work has gone: adapters draw it (a progress bar, a status line) or not.
pub trait Progress: Send {
    /// A stage of work on `what`, with its total when known (bytes to read, records to write).
    fn start(&mut self, what: &str, total: Option<u64>);
    /// How far the stage has got.
    fn set(&mut self, done: u64);
    /// The stage is over.
    fn finish(&mut self);
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _what: &str, _total: Option<u64>) {}
    fn set(&mut self, _done: u64) {}
    fn finish(&mut self) {}
}

/// What became of one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileOutcome {
    pub file: String,
    /// "imported", "already_imported" or "failed".
    pub status: &'static str,
    pub release: Option<String>,
    pub format: Option<String>,
    pub records: u64,
    pub added: u64,
    pub already_present: u64,
    pub warnings: Vec<String>,
    /// Why it failed: the error as JSON (code, message, file, line, field, problems).
    pub error: Option<serde_json::Value>,
    #[serde(skip)]
    pub failure: Option<Error>,
}

impl FileOutcome {
    fn failed(file: &str, error: Error) -> FileOutcome {
        FileOutcome {
            file: file.to_string(),
            status: "failed",
            release: None,
            format: None,
            records: 0,
            added: 0,
            already_present: 0,
            warnings: vec![],
            error: Some(error.to_json()),
            failure: Some(error),
        }
    }

    fn from_report(report: &ImportReport, warnings: Vec<String>) -> FileOutcome {
        FileOutcome {
            file: report.file.clone(),
            status: "imported",
            release: Some(format!("{} {}", report.release.source, report.release.name)),
            format: Some(report.release.format.clone()),
            records: report.records,
            added: report.added,
            already_present: report.already_present,
            warnings,
            error: None,
            failure: None,
        }
    }
}

/// What an import of several files did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportSummary {
    pub files: Vec<FileOutcome>,
    pub transfers_imported: u64,
    pub failed_files: usize,
    /// SIPRI's credit line and coverage, for SIPRI imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<&'static str>,
}

impl ImportSummary {
    fn new(files: Vec<FileOutcome>, sipri: bool) -> ImportSummary {
        ImportSummary {
            transfers_imported: files.iter().map(|o| o.added).sum(),
            failed_files: files.iter().filter(|o| o.status == "failed").count(),
            credit: sipri.then_some(armtrace_core::transfer::SIPRI_CREDIT),
            coverage: sipri.then_some(armtrace_core::transfer::SIPRI_COVERAGE),
            files,
        }
    }

    /// The error of an import where some files failed: the only failure itself when there is one
    /// file, else a summary (`internal` when any failure was armtrace's or the database's).
    pub fn failure(&self) -> Option<Error> {
        let failed: Vec<&Error> = self
            .files
            .iter()
            .filter_map(|f| f.failure.as_ref())
            .collect();
        match failed.as_slice() {
            [] => None,
            [one] if self.files.len() == 1 => Some((*one).clone()),
            many => {
                let code = if many.iter().any(|e| e.code().is_internal()) {
                    Code::Internal
                } else {
                    Code::ImportInvalid
                };
                let lines: Vec<String> = many.iter().map(|e| e.to_string()).collect();
                Some(Error::new(
                    code,
                    format!(
                        "{} of {} files not imported (nothing from them was written):\n  {}",
                        many.len(),
                        self.files.len(),
                        lines.join("\n  ")
                    ),
                ))
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::new(Code::FileUnreadable, format!("cannot read it: {e}"))
            .with_file(path.display().to_string())
    })
}

fn store_error<E: std::error::Error + Into<Error> + 'static>(e: ImportError<E>) -> Error {
    match e {
        ImportError::Source(e) => e.into(),
        ImportError::Store(e) => e.into(),
    }
}

/// What reading a SIPRI export needs from the database and the shipped data.
struct SipriReference {
    resolver: armtrace_core::resolve::NameResolver,
    categories: std::collections::HashMap<String, String>,
    descriptions: std::collections::HashMap<String, String>,
}

impl SipriReference {
    async fn load(store: &Store) -> Result<SipriReference> {
        Ok(SipriReference {
            resolver: store.resolver().await?,
            categories: armtrace_refdata::category_index(&store.categories().await?),
            descriptions: crate::sipri_description_categories()?.clone(),
        })
    }

    fn lookup(&self) -> sipri::Lookup<'_> {
        sipri::Lookup {
            resolver: &self.resolver,
            categories: self.categories.clone(),
            description_categories: self.descriptions.clone(),
        }
    }
}

/// The release a SIPRI export belongs to: its "Data generated" date, in its format.
fn release_spec(export: &sipri::SipriExport) -> ReleaseSpec {
    ReleaseSpec {
        source: "sipri".into(),
        name: export.generated.to_string(),
        format: export.format.as_str().into(),
        selection: Some(export.selection.clone()),
    }
}

/// Adapts [`Progress`] to the ingest crate's callback.
struct Advance<'a>(&'a mut dyn Progress);

impl armtrace_ingest::Progress for Advance<'_> {
    fn advance(&mut self, done: u64, _total: u64) {
        self.0.set(done);
    }
}

impl App {
    /// Imports SIPRI exports, each file in one transaction.
    pub async fn import_sipri(
        &self,
        by: &Identity,
        files: &[PathBuf],
        progress: &mut dyn Progress,
    ) -> Result<ImportSummary> {
        let outcomes = self
            .write(by, async |store| {
                let reference = SipriReference::load(store).await?;
                let lookup = reference.lookup();
                let mut outcomes = Vec::new();
                for path in files {
                    let name = path.display().to_string();
                    let outcome = self
                        .import_sipri_file(store, by, path, &name, &lookup, progress)
                        .await
                        .unwrap_or_else(|e| FileOutcome::failed(&name, e));
                    outcomes.push(outcome);
                }
                Ok(outcomes)
            })
            .await?;
        Ok(ImportSummary::new(outcomes, true))
    }

    async fn import_sipri_file(
        &self,
        store: &Store,
        by: &Identity,
        path: &Path,
        name: &str,
        lookup: &sipri::Lookup<'_>,
        progress: &mut dyn Progress,
    ) -> Result<FileOutcome> {
        let bytes = read(path)?;
        let sha = sha256_hex(&bytes);
        if let Some(outcome) = already(store, name, &sha, None).await? {
            return Ok(outcome);
        }
        progress.start(&format!("reading {name}"), Some(bytes.len() as u64));
        let parsed = sipri::parse(name, &bytes, lookup, &mut Advance(progress));
        progress.finish();
        let export = parsed?;
        let spec = release_spec(&export);
        let warnings = export.warnings.clone();
        let report =
            write_transfers(store, by, spec, name, &sha, export.transfers, progress).await?;
        Ok(FileOutcome::from_report(&report, warnings))
    }

    /// Imports native transfer files into `dataset` (default: each file's name without its
    /// extension), each file in one transaction. A large plain CSV is read in parts on every core.
    pub async fn import_native(
        &self,
        by: &Identity,
        files: &[PathBuf],
        dataset: Option<&str>,
        progress: &mut dyn Progress,
    ) -> Result<ImportSummary> {
        let outcomes = self
            .write(by, async |store| {
                let categories = armtrace_refdata::category_index(&store.categories().await?);
                let resolver = store.resolver().await?;
                let mut outcomes = Vec::new();
                for path in files {
                    let name = path.display().to_string();
                    let dataset = dataset.map(str::to_string).unwrap_or_else(|| {
                        path.file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_else(|| name.clone())
                    });
                    let result = import_native_file(
                        store,
                        by,
                        path,
                        &name,
                        &dataset,
                        &resolver,
                        &categories,
                        progress,
                    )
                    .await;
                    outcomes.push(result.unwrap_or_else(|e| FileOutcome::failed(&name, e)));
                }
                Ok(outcomes)
            })
            .await?;
        Ok(ImportSummary::new(outcomes, false))
    }

    /// Imports the SIPRI Iraq/Iran subset shipped inside armtrace (the demo's register).
    pub async fn import_shipped_subset(&self, by: &Identity) -> Result<ImportReport> {
        self.write(by, async |store| {
            let reference = SipriReference::load(store).await?;
            let name = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET_NAME;
            let bytes = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET;
            let export = sipri::parse(
                name,
                bytes,
                &reference.lookup(),
                &mut armtrace_ingest::NoProgress,
            )?;
            let spec = ReleaseSpec {
                selection: Some(
                    "Iraq and Iran as recipients, orders 1970–1990 (subset shipped with armtrace)"
                        .into(),
                ),
                ..release_spec(&export)
            };
            write_transfers(
                store,
                by,
                spec,
                name,
                &sha256_hex(bytes),
                export.transfers,
                &mut NoProgress,
            )
            .await
        })
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn import_native_file(
    store: &Store,
    by: &Identity,
    path: &Path,
    name: &str,
    dataset: &str,
    resolver: &armtrace_core::resolve::NameResolver,
    categories: &std::collections::HashMap<String, String>,
    progress: &mut dyn Progress,
) -> Result<FileOutcome> {
    let bytes = read(path)?;
    let sha = sha256_hex(&bytes);
    let target = armtrace_core::transfer::release_id("native", dataset, "native").to_string();
    if let Some(outcome) = already(store, name, &sha, Some(&target)).await? {
        return Ok(outcome);
    }
    let spec = ReleaseSpec {
        source: "native".into(),
        name: dataset.to_string(),
        format: "native".into(),
        selection: None,
    };
    // Parsed and encoded into segments on threads of their own (a large plain CSV in parts side
    // by side), written as they come, all in one transaction: a file of millions of records never
    // sits in memory as transfers, and a bad record still leaves nothing written.
    progress.start(&format!("importing {name}"), None);
    let parts = native::spawn_encoders(
        name.to_string(),
        bytes,
        dataset.to_string(),
        resolver.clone(),
        categories.clone(),
        encoder_threads(),
    );
    let result = store
        .import_encoded(by, &spec, name, &sha, parts, &mut |n| progress.set(n))
        .await;
    progress.finish();
    let report = result.map_err(store_error)?;
    Ok(FileOutcome::from_report(&report, vec![]))
}

/// How many threads encode a large native file: one per core, at most eight.
fn encoder_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

async fn write_transfers(
    store: &Store,
    by: &Identity,
    spec: ReleaseSpec,
    file: &str,
    sha: &str,
    transfers: Vec<Transfer>,
    progress: &mut dyn Progress,
) -> Result<ImportReport> {
    progress.start(&format!("writing {file}"), Some(transfers.len() as u64));
    let mut chunks = transfers.into_iter();
    let batches = std::iter::from_fn(move || {
        let chunk: Vec<Transfer> = chunks.by_ref().take(BATCH).collect();
        (!chunk.is_empty()).then_some(Ok::<_, IngestError>(chunk))
    });
    let result = store
        .import_transfers(by, &spec, file, sha, batches, &mut |n| progress.set(n))
        .await;
    progress.finish();
    result.map_err(store_error)
}

async fn already(
    store: &Store,
    name: &str,
    sha: &str,
    into: Option<&str>,
) -> Result<Option<FileOutcome>> {
    let Some(release_id) = store.file_imported(sha, into).await? else {
        return Ok(None);
    };
    let release = store
        .releases()
        .await?
        .into_iter()
        .find(|r| r.id == release_id);
    Ok(Some(FileOutcome {
        file: name.to_string(),
        status: "already_imported",
        release: release.as_ref().map(|r| format!("{} {}", r.source, r.name)),
        format: release.map(|r| r.format),
        records: 0,
        added: 0,
        already_present: 0,
        warnings: vec![],
        error: None,
        failure: None,
    }))
}
