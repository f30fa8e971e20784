//! `armtrace import sipri|transfers`: hands the files to the application layer and reports what
//! became of each. A progress bar appears when an import takes more than a second.

use super::Ctx;
use crate::cli::{Format, ImportNativeArgs, ImportSipriArgs};
use armtrace_app::imports::{ImportSummary, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::time::{Duration, Instant};

/// A progress bar that stays hidden for the first second of each stage.
struct Bar {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            bar: None,
            started: Instant::now(),
            shown: false,
        }
    }
}

impl Progress for Bar {
    fn start(&mut self, what: &str, total: Option<u64>) {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = match total {
            Some(_) => "{msg} [{bar:30}] {percent}% {elapsed} (eta {eta})",
            None => "{msg}: {pos} records, {elapsed} ({per_sec})",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        self.bar = Some(bar);
        self.started = Instant::now();
        self.shown = false;
    }

    fn set(&mut self, done: u64) {
        let Some(bar) = &self.bar else { return };
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        bar.set_position(done);
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

pub async fn sipri_files(cx: &Ctx, args: ImportSipriArgs) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let summary = app.import_sipri(&by, &args.files, &mut Bar::new()).await;
    app.close().await;
    report(&summary?, args.format.format)
}

pub async fn native_files(cx: &Ctx, args: ImportNativeArgs) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let summary = app
        .import_native(&by, &args.files, args.dataset.as_deref(), &mut Bar::new())
        .await;
    app.close().await;
    report(&summary?, args.format.format)
}

fn report(summary: &ImportSummary, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, summary)?;
        writeln!(out)?;
    } else {
        for o in &summary.files {
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
        writeln!(out, "{} transfers imported.", summary.transfers_imported)?;
        // The credit goes with what was imported from SIPRI, not with a refusal.
        if let (Some(credit), Some(coverage), true) = (
            summary.credit,
            summary.coverage,
            summary.files.iter().any(|f| f.status != "failed"),
        ) {
            writeln!(out, "{credit}. {coverage}")?;
        }
    }
    drop(out);
    match summary.failure() {
        None => Ok(()),
        Some(e) => Err(e.into()),
    }
}
