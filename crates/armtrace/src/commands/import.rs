//! `armtrace import sipri|transfers`: read files, parse them (all or nothing per file), and write
//! each file's records in one transaction. A progress bar appears when an import takes more than a
//! second.

use crate::UserError;
use crate::cli::{Format, ImportNativeArgs, ImportSipriArgs};
use armtrace_core::access::Identity;
use armtrace_core::transfer::{SIPRI_COVERAGE, SIPRI_CREDIT, Transfer};
use armtrace_ingest::{IngestError, NoProgress, native, sha256_hex, sipri};
use armtrace_store::{ImportError, ImportReport, ReleaseSpec, Store};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Transfers written per batch (and per progress update).
const BATCH: usize = 5_000;

/// How many threads encode a large native file: one per core, at most eight.
fn encoder_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

#[derive(Serialize)]
struct FileOutcome {
    file: String,
    /// "imported", "already_imported" or "failed".
    status: &'static str,
    release: Option<String>,
    format: Option<String>,
    records: u64,
    added: u64,
    already_present: u64,
    warnings: Vec<String>,
    error: Option<String>,
    /// The failure was armtrace's or the database's, not the file's.
    #[serde(skip)]
    internal: bool,
}

impl FileOutcome {
    fn failed(file: &str, error: &anyhow::Error) -> FileOutcome {
        FileOutcome {
            file: file.to_string(),
            status: "failed",
            release: None,
            format: None,
            records: 0,
            added: 0,
            already_present: 0,
            warnings: vec![],
            error: Some(format!("{error:#}")),
            internal: !crate::is_user_error(error),
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
            internal: false,
        }
    }
}

/// A progress bar that stays hidden for the first second.
struct Bar {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Bar {
    fn new(len: u64, what: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {elapsed} (eta {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar::hidden_for_a_second(bar, what)
    }

    /// A counter of records, for work whose total is not known in advance.
    fn records(what: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{msg}: {pos} records, {elapsed} ({per_sec})")
        {
            bar.set_style(style);
        }
        Bar::hidden_for_a_second(bar, what)
    }

    /// Draws nothing until the work has taken a second.
    fn hidden_for_a_second(bar: ProgressBar, what: &str) -> Bar {
        bar.set_message(what.to_string());
        Bar {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    fn set(&mut self, pos: u64) {
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(pos);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl armtrace_ingest::Progress for Bar {
    fn advance(&mut self, done: u64, _total: u64) {
        self.set(done);
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

async fn write(
    store: &Store,
    by: &Identity,
    spec: ReleaseSpec,
    file: &str,
    sha: &str,
    transfers: Vec<Transfer>,
) -> anyhow::Result<ImportReport> {
    let total = transfers.len() as u64;
    let mut bar = Bar::new(total, &format!("writing {file}"));
    let mut chunks = transfers.into_iter();
    let batches = std::iter::from_fn(move || {
        let chunk: Vec<Transfer> = chunks.by_ref().take(BATCH).collect();
        (!chunk.is_empty()).then_some(Ok::<_, IngestError>(chunk))
    });
    let result = store
        .import_transfers(by, &spec, file, sha, batches, &mut |n| bar.set(n))
        .await;
    bar.finish();
    match result {
        Ok(r) => Ok(r),
        Err(ImportError::Source(e)) => Err(UserError(e.to_string()).into()),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// What reading a SIPRI export needs from the database and the shipped data.
struct SipriReference {
    resolver: armtrace_core::resolve::NameResolver,
    categories: std::collections::HashMap<String, String>,
    descriptions: std::collections::HashMap<String, String>,
}

impl SipriReference {
    async fn load(store: &Store) -> anyhow::Result<SipriReference> {
        Ok(SipriReference {
            resolver: store.resolver().await?,
            categories: armtrace_refdata::category_index(&store.categories().await?),
            descriptions: armtrace_refdata::sipri_description_categories()?,
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

pub async fn sipri_files(
    store: &Store,
    by: &Identity,
    args: ImportSipriArgs,
) -> anyhow::Result<()> {
    let reference = SipriReference::load(store).await?;
    let lookup = reference.lookup();
    let mut outcomes = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let outcome = match import_sipri_file(store, by, path, &name, &lookup).await {
            Ok(o) => o,
            Err(e) => FileOutcome::failed(&name, &e),
        };
        outcomes.push(outcome);
    }
    report(&outcomes, args.format.format, true)
}

async fn import_sipri_file(
    store: &Store,
    by: &Identity,
    path: &Path,
    name: &str,
    lookup: &sipri::Lookup<'_>,
) -> anyhow::Result<FileOutcome> {
    let bytes = read(path).map_err(UserError)?;
    let sha = sha256_hex(&bytes);
    if let Some(outcome) = already(store, name, &sha, None).await? {
        return Ok(outcome);
    }
    let mut bar = Bar::new(bytes.len() as u64, &format!("reading {name}"));
    let parsed = sipri::parse(name, &bytes, lookup, &mut bar);
    bar.finish();
    let export = parsed.map_err(|e| UserError(e.to_string()))?;
    let spec = release_spec(&export);
    let warnings = export.warnings.clone();
    let report = write(store, by, spec, name, &sha, export.transfers).await?;
    Ok(FileOutcome::from_report(&report, warnings))
}

async fn already(
    store: &Store,
    name: &str,
    sha: &str,
    into: Option<&str>,
) -> anyhow::Result<Option<FileOutcome>> {
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
        internal: false,
    }))
}

pub async fn native_files(
    store: &Store,
    by: &Identity,
    args: ImportNativeArgs,
) -> anyhow::Result<()> {
    let categories = armtrace_refdata::category_index(&store.categories().await?);
    let resolver = store.resolver().await?;
    let mut outcomes = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let dataset = args.dataset.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.clone())
        });
        let result: anyhow::Result<FileOutcome> = async {
            let bytes = read(path).map_err(UserError)?;
            let sha = sha256_hex(&bytes);
            let target =
                armtrace_core::transfer::release_id("native", &dataset, "native").to_string();
            if let Some(outcome) = already(store, &name, &sha, Some(&target)).await? {
                return Ok(outcome);
            }
            let spec = ReleaseSpec {
                source: "native".into(),
                name: dataset.clone(),
                format: "native".into(),
                selection: None,
            };
            // Parsed and encoded into segments on threads of their own (a large plain CSV in
            // parts side by side), written as they come, all in one transaction: a file of
            // millions of records never sits in memory as transfers, and a bad record still
            // leaves nothing written.
            let mut bar = Bar::records(&format!("importing {name}"));
            let parts = native::spawn_encoders(
                name.clone(),
                bytes,
                dataset.clone(),
                resolver.clone(),
                categories.clone(),
                encoder_threads(),
            );
            let result = store
                .import_encoded(by, &spec, &name, &sha, parts, &mut |n| bar.set(n))
                .await;
            bar.finish();
            let report = match result {
                Ok(r) => r,
                Err(ImportError::Source(e)) => return Err(UserError(e.to_string()).into()),
                Err(ImportError::Store(e)) => return Err(e.into()),
            };
            Ok(FileOutcome::from_report(&report, vec![]))
        }
        .await;
        outcomes.push(result.unwrap_or_else(|e| FileOutcome::failed(&name, &e)));
    }
    report(&outcomes, args.format.format, false)
}

fn report(outcomes: &[FileOutcome], format: Format, sipri: bool) -> anyhow::Result<()> {
    let imported: u64 = outcomes.iter().map(|o| o.added).sum();
    let failed: Vec<&FileOutcome> = outcomes.iter().filter(|o| o.status == "failed").collect();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let mut v = serde_json::json!({
            "files": outcomes,
            "transfers_imported": imported,
            "failed_files": failed.len(),
        });
        if sipri {
            v["credit"] = SIPRI_CREDIT.into();
            v["coverage"] = SIPRI_COVERAGE.into();
        }
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        for o in outcomes {
            match o.status {
                "imported" => {
                    writeln!(
                        out,
                        "{}: {} records, {} transfers added to {} ({}){}",
                        o.file,
                        o.records,
                        o.added,
                        o.release.as_deref().unwrap_or(""),
                        o.format.as_deref().unwrap_or(""),
                        if o.already_present > 0 {
                            format!("; {} were already there", o.already_present)
                        } else {
                            String::new()
                        }
                    )?;
                    for w in &o.warnings {
                        writeln!(out, "  note: {w}")?;
                    }
                }
                "already_imported" => writeln!(
                    out,
                    "{}: already imported into {}; nothing added",
                    o.file,
                    o.release.as_deref().unwrap_or("")
                )?,
                _ => {}
            }
        }
        writeln!(out, "{imported} transfers imported.")?;
        if sipri {
            writeln!(out, "{SIPRI_CREDIT}. {SIPRI_COVERAGE}")?;
        }
    }
    drop(out);
    if !failed.is_empty() {
        let msgs: Vec<String> = failed
            .iter()
            .map(|o| o.error.clone().unwrap_or_default())
            .collect();
        let message = format!(
            "{} of {} files not imported (nothing from them was written):\n  {}",
            failed.len(),
            outcomes.len(),
            msgs.join("\n  ")
        );
        // A file's own fault is the user's to fix (exit 1); a database or armtrace failure is not.
        if failed.iter().any(|o| o.internal) {
            return Err(anyhow::anyhow!(message));
        }
        return Err(UserError(message).into());
    }
    Ok(())
}

/// Imports the shipped SIPRI Iraq/Iran subset (used by `demo`).
pub async fn shipped_subset(store: &Store, by: &Identity) -> anyhow::Result<ImportReport> {
    let reference = SipriReference::load(store).await?;
    let name = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET_NAME;
    let bytes = armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET;
    let export = sipri::parse(name, bytes, &reference.lookup(), &mut NoProgress)?;
    let spec = ReleaseSpec {
        selection: Some(
            "Iraq and Iran as recipients, orders 1970–1990 (subset shipped with armtrace)".into(),
        ),
        ..release_spec(&export)
    };
    write(store, by, spec, name, &sha256_hex(bytes), export.transfers).await
}
