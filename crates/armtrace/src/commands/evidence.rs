//! `armtrace evidence …`: store files in the content-addressed evidence folder and record them,
//! list them, find duplicates, verify the folder, review, and export (stripped for the public).
//! The application layer decides what each does; this module renders the answers.

use super::Ctx;
use crate::cli::{EvidenceAddArgs, EvidenceCommand, Format};
use crate::output::{Listing, print};
use armtrace_app::evidence::{Duplicates, EvidenceAdd, FolderCheck};
use armtrace_app::items::tier;
use armtrace_core::evidence::Collection;
use armtrace_core::investigation::Tier;
use armtrace_store::EvidenceRecord;
use std::io::Write;

pub async fn run(cx: &Ctx, cmd: EvidenceCommand) -> anyhow::Result<()> {
    let by = cx.identity()?;
    match cmd {
        EvidenceCommand::Add(args) => {
            let app = cx.app_with_evidence(&args.dir.evidence_dir).await?;
            let result = add(&app, &by, args).await;
            app.close().await;
            result
        }
        EvidenceCommand::List {
            investigation,
            item,
            tier: t,
            format,
        } => {
            let app = cx.app().await?;
            let list = app
                .evidence(
                    &by,
                    investigation.as_deref(),
                    item.as_deref(),
                    tier(t.tier.as_deref())?,
                )
                .await;
            app.close().await;
            let list = list?;
            list_records(list.tier, &list.evidence, format.format)
        }
        EvidenceCommand::Dupes {
            investigation,
            max_distance,
            tier: t,
            format,
        } => {
            let app = cx.app().await?;
            let d = app
                .evidence_duplicates(
                    &by,
                    investigation.as_deref(),
                    max_distance,
                    tier(t.tier.as_deref())?,
                )
                .await;
            app.close().await;
            dupes(&d?, format.format)
        }
        EvidenceCommand::Verify { dir, format } => {
            let app = cx.app_with_evidence(&dir.evidence_dir).await?;
            let check = app.verify_evidence(&by).await;
            app.close().await;
            verify(&check?, format.format)
        }
        EvidenceCommand::Review {
            evidence,
            investigation,
            status,
            reason,
        } => {
            let app = cx.app().await?;
            let review = app
                .review_evidence(&by, &evidence, investigation.as_deref(), &status, &reason)
                .await;
            app.close().await;
            let review = review?;
            writeln!(
                std::io::stdout(),
                "{evidence}: {} → {} by {} ({}).",
                review.from,
                review.to,
                review.by,
                review.reason
            )?;
            Ok(())
        }
        EvidenceCommand::Export {
            evidence,
            out,
            investigation,
            tier: t,
            dir,
        } => {
            let app = cx.app_with_evidence(&dir.evidence_dir).await?;
            let exported = app
                .export_evidence(
                    &by,
                    &evidence,
                    &out,
                    investigation.as_deref(),
                    tier(t.tier.as_deref())?,
                )
                .await;
            app.close().await;
            let exported = exported?;
            writeln!(
                std::io::stdout(),
                "Exported {} files to {} with manifest.json. {}",
                exported.files,
                exported.folder,
                exported.tier.notice()
            )?;
            Ok(())
        }
    }
}

async fn add(
    app: &armtrace_app::App,
    by: &armtrace_app::Identity,
    args: EvidenceAddArgs,
) -> anyhow::Result<()> {
    let add = EvidenceAdd {
        files: args.files,
        item: args.item,
        investigation: args.investigation,
        time: args.time,
        region: args.region,
        collection: Collection {
            original_url: args.url,
            platform: args.platform,
            post_id: args.post_id,
            uploader: args.uploader,
            retrieved_at: args.retrieved_at,
            retrieved_by: args.retrieved_by,
            archive_url: args.archive_url,
        },
    };
    let added = app.add_evidence(by, &add).await?;
    let mut out = std::io::stdout().lock();
    if args.format.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &added.files)?;
        writeln!(out)?;
        return Ok(());
    }
    for f in &added.files {
        writeln!(
            out,
            "{}: {} {} bytes, sha256 {}{}{}",
            f.file,
            f.media_type,
            f.size,
            f.sha256,
            // Whether another investigation holds the same file is not this user's business.
            if f.already_recorded {
                " (already recorded in this investigation)"
            } else {
                ""
            },
            f.linked_to
                .as_ref()
                .map(|i| format!(", linked to {i}"))
                .unwrap_or_default()
        )?;
        for w in &f.warnings {
            writeln!(out, "  warning: {w}")?;
        }
    }
    writeln!(
        out,
        "Stored in {} (content-addressed, never modified). EXIF is a hint, never proof.",
        added.folder
    )?;
    Ok(())
}

fn list_records(tier: Tier, records: &[EvidenceRecord], format: Format) -> anyhow::Result<()> {
    let mut listing = Listing::new(
        vec![
            "investigation",
            "id",
            "sha256",
            "type",
            "bytes",
            "name",
            "items",
            "status",
            "captured (EXIF)",
            "camera",
            "GPS (EXIF)",
            "url",
            "platform",
            "post",
            "uploader",
            "retrieved",
            "by",
            "archive",
            "warnings",
        ],
        records,
    )?;
    listing.json = serde_json::json!({"tier": tier, "evidence": listing.json});
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    listing.rows = records
        .iter()
        .map(|r| {
            vec![
                r.investigation.clone(),
                r.id.to_string(),
                r.sha256.clone(),
                r.media_type.clone(),
                r.size.to_string(),
                o(&r.original_name),
                r.items.join(", "),
                r.verification.to_string(),
                o(&r.exif_capture_time),
                o(&r.exif_camera),
                r.exif_gps
                    .map(|(a, b)| format!("{a}, {b}"))
                    .unwrap_or_default(),
                o(&r.collection.original_url),
                o(&r.collection.platform),
                o(&r.collection.post_id),
                o(&r.collection.uploader),
                o(&r.collection.retrieved_at),
                o(&r.collection.retrieved_by),
                o(&r.collection.archive_url),
                r.warnings.join("; "),
            ]
        })
        .collect();
    listing.notes.push(format!(
        "{} evidence files. EXIF values are hints, never proof.",
        records.len()
    ));
    listing.notes.push(tier.notice().to_string());
    print(&listing, format)
}

fn dupes(d: &Duplicates, format: Format) -> anyhow::Result<()> {
    let mut listing = Listing::new(
        vec![
            "kind",
            "distance",
            "a",
            "a name",
            "a investigation",
            "b",
            "b name",
            "b investigation",
        ],
        &d.pairs,
    )?;
    listing.json = serde_json::to_value(d)?;
    let short = |s: &str| s.chars().take(16).collect::<String>();
    listing.rows = d
        .pairs
        .iter()
        .map(|p| {
            vec![
                p.kind.to_string(),
                p.distance.to_string(),
                short(&p.a.sha256),
                p.a.original_name.clone().unwrap_or_default(),
                p.a.investigation.clone(),
                short(&p.b.sha256),
                p.b.original_name.clone().unwrap_or_default(),
                p.b.investigation.clone(),
            ]
        })
        .collect();
    listing.notes.push(format!(
        "{} pairs among {} files ({} images with a perceptual hash; distance = differing bits of 64, at most {}).",
        d.pairs.len(),
        d.files,
        d.hashed,
        d.max_distance
    ));
    print(&listing, format)
}

fn verify(report: &FolderCheck, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Re-hashed {} files ({} bytes) in {}{}.",
            report.checked,
            report.bytes,
            report.folder,
            if report.complete {
                ""
            } else {
                ": the files of your investigations (an admin checks the whole folder)"
            }
        )?;
        for m in &report.missing {
            writeln!(out, "MISSING  {m}")?;
        }
        for c in &report.changed {
            writeln!(
                out,
                "CHANGED  {} ({}: now {} bytes, sha256 {})",
                c.sha256, c.path, c.actual_size, c.actual_sha256
            )?;
        }
        for (s, why) in &report.unreadable {
            writeln!(out, "UNREADABLE {s}: {why}")?;
        }
        for (s, what) in &report.not_files {
            writeln!(
                out,
                "NOT A FILE {s}: {what} (armtrace stores only regular files: it was tampered with)"
            )?;
        }
        for o in &report.orphans {
            writeln!(out, "not recorded in the database: {o}")?;
        }
        if report.intact {
            writeln!(out, "All evidence files are present and unchanged.")?;
        }
    }
    drop(out);
    match report.failure() {
        None => Ok(()),
        Some(e) => Err(e.into()),
    }
}
