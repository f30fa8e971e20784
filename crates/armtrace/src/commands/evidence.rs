//! `armtrace evidence …`: store files in the content-addressed evidence folder and record them,
//! list them, find duplicates, verify the folder, review, and export (stripped for the public).

use super::{Who, Writer, location, open, parse_arg};
use crate::UserError;
use crate::cli::{EvidenceAddArgs, EvidenceCommand, EvidenceDirArg, Format};
use crate::commands::items::tier_of;
use crate::output::{Listing, print};
use armtrace_core::evidence::{Collection, EvidenceAnchor};
use armtrace_core::investigation::Tier;
use armtrace_core::item::VerificationStatus;
use armtrace_core::phash::near_duplicates;
use armtrace_ingest::evidence::{EvidenceFolder, FileFacts, Orphans, StoredFile, strip_metadata};
use armtrace_store::{EvidenceFilter, EvidenceRecord, Location, NewEvidence};
use std::io::Write;
use std::path::{Path, PathBuf};

pub async fn run(db: Option<String>, who: &Who, cmd: EvidenceCommand) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Add(args) => add(db, who, args).await,
        EvidenceCommand::List {
            investigation,
            item,
            tier,
            format,
        } => {
            let by = who.identity("listing evidence")?;
            let store = open(db).await?;
            let filter = EvidenceFilter {
                investigation,
                item,
            };
            let result = store.evidence(&by, &filter, tier_of(&tier)?).await;
            store.close().await;
            let (tier, records) = result?;
            list(tier, &records, format.format)
        }
        EvidenceCommand::Dupes {
            investigation,
            max_distance,
            format,
        } => {
            if max_distance > 32 {
                return Err(UserError(
                    "--max-distance: at most 32 of the 64 bits (beyond that, unrelated images match)".into(),
                )
                .into());
            }
            let by = who.identity("finding duplicate evidence")?;
            let store = open(db).await?;
            let filter = EvidenceFilter {
                investigation,
                item: None,
            };
            let result = store.evidence(&by, &filter, Some(Tier::Public)).await;
            store.close().await;
            let (_, records) = result?;
            dupes(&records, max_distance, format.format)
        }
        EvidenceCommand::Verify { dir, format } => {
            let by = who.identity("verifying the evidence folder")?;
            let loc = location(db.clone())?;
            let folder = folder(&loc, &dir)?;
            let store = open(db).await?;
            let files = store.evidence_files(&by).await;
            store.close().await;
            let (files, complete) = files?;
            verify(&folder, files, complete, format.format)
        }
        EvidenceCommand::Review {
            evidence,
            investigation,
            status,
            reason,
        } => {
            let to: VerificationStatus = parse_arg("--status", &status)?;
            let w = Writer::open(db, who, "reviewing evidence").await?;
            let result = w
                .store
                .review_evidence(&w.by, &evidence, investigation.as_deref(), to, &reason)
                .await;
            let signed = w.finish().await;
            let review = result?;
            signed?;
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
            tier,
            dir,
        } => {
            let by = who.identity("exporting evidence")?;
            let loc = location(db.clone())?;
            let folder = folder(&loc, &dir)?;
            let store = open(db).await?;
            let filter = EvidenceFilter {
                investigation,
                item: None,
            };
            let result = store.evidence(&by, &filter, tier_of(&tier)?).await;
            store.close().await;
            let (tier, records) = result?;
            export(&folder, tier, &records, &evidence, &out)
        }
    }
}

/// The evidence folder: --evidence-dir, else $ARMTRACE_EVIDENCE_DIR, else beside a SQLite
/// database (DB.evidence). A PostgreSQL database has no "beside": the folder must be given.
fn folder(loc: &Location, arg: &EvidenceDirArg) -> anyhow::Result<EvidenceFolder> {
    let dir = match arg.evidence_dir.clone().or_else(|| {
        std::env::var("ARMTRACE_EVIDENCE_DIR")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from)
    }) {
        Some(d) => d,
        None => match loc {
            Location::Sqlite(path) => {
                let mut p = path.as_os_str().to_owned();
                p.push(".evidence");
                PathBuf::from(p)
            }
            Location::Postgres(_) => {
                return Err(UserError(
                    "a PostgreSQL database keeps its evidence files in a shared folder: give --evidence-dir DIR or set ARMTRACE_EVIDENCE_DIR".into(),
                )
                .into());
            }
        },
    };
    EvidenceFolder::open(&dir).map_err(|e| UserError(e.to_string()).into())
}

/// Reads `[HH:]MM:SS[.mmm]` or plain seconds as milliseconds.
fn time_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (last, whole) = parts.split_last()?;
    let seconds: f64 = last
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)?;
    if parts.len() > 1 && seconds >= 60.0 {
        return None;
    }
    let mut minutes = 0u64;
    for (i, p) in whole.iter().enumerate() {
        let v: u64 = p.parse().ok()?;
        if i > 0 && v >= 60 {
            return None;
        }
        minutes = minutes.checked_mul(60)?.checked_add(v)?;
    }
    // A day of video is plenty; beyond a thousand years the number is a typo.
    if minutes > 1_000 * 365 * 24 * 60 {
        return None;
    }
    let ms = (seconds * 1000.0).round();
    if ms > 1e15 {
        return None;
    }
    minutes.checked_mul(60_000)?.checked_add(ms as u64)
}

/// A time code as `H:MM:SS.mmm` (hours only when needed).
pub(crate) fn time_text(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{milli:03}")
    } else {
        format!("{m}:{s:02}.{milli:03}")
    }
}

fn anchor(args: &EvidenceAddArgs) -> anyhow::Result<EvidenceAnchor> {
    if let Some(t) = &args.time {
        let (start, end) = match t.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (t.as_str(), None),
        };
        let bad = || {
            UserError(format!(
                "--time '{t}': write START[-END] as seconds (83.5) or [HH:]MM:SS[.mmm], e.g. 1:23-1:30"
            ))
        };
        let start_ms = time_ms(start).ok_or_else(bad)?;
        let end_ms = end.map(|e| time_ms(e).ok_or_else(bad)).transpose()?;
        if end_ms.is_some_and(|e| e < start_ms) {
            return Err(UserError(format!("--time '{t}': the end is before the start")).into());
        }
        return Ok(EvidenceAnchor::TimeCode { start_ms, end_ms });
    }
    if let Some(r) = &args.region {
        let nums: Vec<Option<u32>> = r.split(',').map(|p| p.trim().parse().ok()).collect();
        return match nums.as_slice() {
            [Some(x), Some(y), Some(width), Some(height)] if *width > 0 && *height > 0 => {
                Ok(EvidenceAnchor::Region {
                    x: *x,
                    y: *y,
                    width: *width,
                    height: *height,
                })
            }
            _ => Err(UserError(format!(
                "--region '{r}': write X,Y,WIDTH,HEIGHT in whole pixels, width and height above 0"
            ))
            .into()),
        };
    }
    Ok(EvidenceAnchor::Whole)
}

/// Stores each file in the folder (both cores), then records them all in one transaction.
async fn add(db: Option<String>, who: &Who, args: EvidenceAddArgs) -> anyhow::Result<()> {
    let anchor = anchor(&args)?;
    if let Some(at) = &args.retrieved_at
        && !looks_like_rfc3339(at)
    {
        return Err(UserError(format!(
            "--retrieved-at '{at}': give an RFC 3339 time, e.g. 2014-06-12T09:30:00Z"
        ))
        .into());
    }
    // Every file must be readable before any is stored.
    for f in &args.files {
        match std::fs::metadata(f) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(UserError(format!("{} is not a file", f.display())).into());
            }
            Err(e) => {
                return Err(UserError(format!(
                    "cannot read {}: {e}; nothing was stored",
                    f.display()
                ))
                .into());
            }
        }
    }
    let loc = location(db.clone())?;
    let folder = folder(&loc, &args.dir)?;
    let w = Writer::open(db, who, "adding evidence").await?;
    // Nothing goes into the folder for a write that would be refused.
    if let Err(e) = w
        .store
        .check_evidence_target(
            &w.by,
            args.investigation.as_deref(),
            args.item.as_deref(),
            &anchor,
        )
        .await
    {
        w.store.close().await;
        return Err(e.into());
    }
    let now = std::time::SystemTime::now();
    let stored = store_files(&folder, &args.files, now);
    let result = async {
        let stored = stored?;
        let collection = Collection {
            original_url: args.url.clone(),
            platform: args.platform.clone(),
            post_id: args.post_id.clone(),
            uploader: args.uploader.clone(),
            // The store fills in now and the acting user when these are not given.
            retrieved_at: args.retrieved_at.clone(),
            retrieved_by: args.retrieved_by.clone(),
            archive_url: args.archive_url.clone(),
        };
        let new: Vec<NewEvidence> = stored
            .iter()
            .map(|(_, s, f)| NewEvidence {
                sha256: s.sha256.clone(),
                size: s.size,
                media_type: f.media_type.clone(),
                original_name: f.original_name.clone(),
                collection: collection.clone(),
                exif_capture_time: f.capture_time.clone(),
                exif_gps: f.gps,
                exif_camera: f.camera.clone(),
                warnings: f.warnings.iter().map(|w| w.to_string()).collect(),
                width: f.width,
                height: f.height,
                perceptual_hash: f.perceptual_hash,
            })
            .collect();
        let added = w
            .store
            .add_evidence(
                &w.by,
                args.investigation.as_deref(),
                args.item.as_deref(),
                &anchor,
                &new,
            )
            .await?;
        Ok::<_, anyhow::Error>((stored, added))
    }
    .await;
    let signed = w.finish().await;
    let (stored, added) = result?;
    signed?;
    let mut out = std::io::stdout().lock();
    if args.format.format == Format::Json {
        let json: Vec<serde_json::Value> = stored
            .iter()
            .zip(&added)
            .map(|((path, s, f), a)| {
                serde_json::json!({
                    "file": path.display().to_string(),
                    "id": a.id,
                    "sha256": s.sha256,
                    "size": s.size,
                    "media_type": f.media_type,
                    "already_recorded": a.already_recorded,
                    "linked_to": a.linked_to,
                    "perceptual_hash": f.perceptual_hash.map(|h| format!("{h:016x}")),
                    "warnings": f.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    for ((path, s, f), a) in stored.iter().zip(&added) {
        writeln!(
            out,
            "{}: {} {} bytes, sha256 {}{}{}",
            path.display(),
            f.media_type,
            s.size,
            s.sha256,
            // Whether another investigation holds the same file is not this user's business.
            if a.already_recorded {
                " (already recorded in this investigation)"
            } else {
                ""
            },
            a.linked_to
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
        folder.root().display()
    )?;
    Ok(())
}

fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        if d.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(d).ok()?.parse().ok()
        } else {
            None
        }
    };
    let fields = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let (Some(_), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields else {
        return false;
    };
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60
        && (s.ends_with('Z')
            || s.ends_with('z')
            || s.get(19..).is_some_and(|rest| rest.contains(['+', '-'])))
}

type Stored = (PathBuf, StoredFile, FileFacts);

/// Copies files into the folder and inspects them, on all cores.
fn store_files(
    folder: &EvidenceFolder,
    files: &[PathBuf],
    now: std::time::SystemTime,
) -> anyhow::Result<Vec<Stored>> {
    files
        .iter()
        .zip(folder.add_all(files, now))
        .map(|(path, r)| {
            r.map(|(s, f)| (path.clone(), s, f))
                .map_err(|e| UserError(format!("storing {}: {e}", path.display())).into())
        })
        .collect()
}

fn list(tier: Tier, records: &[EvidenceRecord], format: Format) -> anyhow::Result<()> {
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

/// Identical files (one SHA-256 recorded more than once, e.g. in two investigations) and
/// near-duplicates (perceptual hashes within `max_distance` bits).
fn dupes(records: &[EvidenceRecord], max_distance: u32, format: Format) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    struct Pair<'a> {
        kind: &'static str,
        distance: u32,
        a: &'a EvidenceRecord,
        b: &'a EvidenceRecord,
    }
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    // Identical files: one SHA-256 recorded more than once (in several investigations).
    let mut by_sha: std::collections::BTreeMap<&str, Vec<&EvidenceRecord>> =
        std::collections::BTreeMap::new();
    for r in records {
        by_sha.entry(r.sha256.as_str()).or_default().push(r);
    }
    for same in by_sha.values() {
        for (j, a) in same.iter().enumerate() {
            for b in &same[j + 1..] {
                pairs.push(Pair {
                    kind: "identical",
                    distance: 0,
                    a,
                    b,
                });
            }
        }
    }
    let hashed: Vec<(usize, u64)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.perceptual_hash
                .as_deref()
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .map(|h| (i, h))
        })
        .collect();
    let (near, _groups) = near_duplicates(&hashed, max_distance);
    for p in near {
        let (a, b) = (&records[p.a], &records[p.b]);
        if a.sha256 != b.sha256 {
            pairs.push(Pair {
                kind: "near-duplicate",
                distance: p.distance,
                a,
                b,
            });
        }
    }
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
        &pairs,
    )?;
    let hashed_count = hashed.len();
    listing.json = serde_json::json!({
        "max_distance": max_distance,
        "hashed": hashed_count,
        "files": records.len(),
        "pairs": listing.json,
    });
    let short = |s: &str| s.chars().take(16).collect::<String>();
    listing.rows = pairs
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
        "{} pairs among {} files ({} images with a perceptual hash; distance = differing bits of 64, at most {max_distance}).",
        pairs.len(),
        records.len(),
        hashed_count
    ));
    print(&listing, format)
}

/// `complete`: the files are every file the database records, so others in the folder are
/// reported as not recorded (only then can they be told apart from other investigations' files).
fn verify(
    folder: &EvidenceFolder,
    files: Vec<(String, u64)>,
    complete: bool,
    format: Format,
) -> anyhow::Result<()> {
    let report = folder.verify(
        files,
        if complete {
            Orphans::Report
        } else {
            Orphans::Ignore
        },
    );
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "folder": folder.root().display().to_string(),
                "checked": report.checked,
                "bytes": report.bytes,
                "intact": report.is_intact(),
                "missing": report.missing,
                "changed": report.changed.iter().map(|c| serde_json::json!({
                    "sha256": c.sha256, "path": c.path.display().to_string(),
                    "expected_size": c.expected_size, "actual_size": c.actual_size,
                    "actual_sha256": c.actual_sha256,
                })).collect::<Vec<_>>(),
                "unreadable": report.unreadable,
                "bad_addresses": report.bad_addresses,
                "not_files": report.not_files,
                "orphans": report.orphans.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            }),
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Re-hashed {} files ({} bytes) in {}{}.",
            report.checked,
            report.bytes,
            folder.root().display(),
            if complete {
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
                c.sha256,
                c.path.display(),
                c.actual_size,
                c.actual_sha256
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
            writeln!(out, "not recorded in the database: {}", o.display())?;
        }
    }
    drop(out);
    if report.is_intact() {
        if format != Format::Json {
            writeln!(
                std::io::stdout(),
                "All evidence files are present and unchanged."
            )?;
        }
        Ok(())
    } else {
        Err(UserError(format!(
            "the evidence folder is damaged: {} missing, {} changed, {} unreadable, {} not regular files (tampered with). Restore those files from a backup; their SHA-256 says which content belongs there",
            report.missing.len(),
            report.changed.len(),
            report.unreadable.len(),
            report.not_files.len()
        ))
        .into())
    }
}

/// An exported file's name: its SHA-256 with the original name's extension.
fn export_name(r: &EvidenceRecord) -> String {
    let ext = r
        .original_name
        .as_deref()
        .and_then(|n| Path::new(n).extension())
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    format!("{}{ext}", r.sha256)
}

fn export(
    folder: &EvidenceFolder,
    tier: Tier,
    records: &[EvidenceRecord],
    keys: &[String],
    out: &Path,
) -> anyhow::Result<()> {
    let mut chosen = Vec::new();
    for key in keys {
        let k = key.trim().to_ascii_lowercase();
        let hits: Vec<&EvidenceRecord> = records
            .iter()
            .filter(|r| r.id.to_string() == k || (k.len() >= 8 && r.sha256.starts_with(&k)))
            .collect();
        match hits.as_slice() {
            [one] => chosen.push(*one),
            [] => {
                return Err(UserError(format!(
                    "there is no evidence '{key}' in your investigations: `armtrace evidence list` shows it"
                ))
                .into());
            }
            _ => {
                return Err(UserError(format!(
                    "'{key}' names several pieces of evidence: give more digits, or --investigation"
                ))
                .into());
            }
        }
    }
    // Check every file before writing any, so a refusal leaves nothing behind.
    let mut files = Vec::new();
    for r in &chosen {
        let bytes = folder
            .read(&r.sha256)
            .map_err(|e| UserError(format!("{e}: run `armtrace evidence verify`")))?;
        let bytes = match tier {
            Tier::Confidential => bytes,
            Tier::Public => strip_metadata(&bytes, &r.media_type).map_err(|e| {
                UserError(format!(
                    "{} ({}): {e}; the public tier never leaks metadata, so it is not exported (a member may export it with --tier confidential)",
                    r.sha256, r.media_type
                ))
            })?,
        };
        files.push((r, bytes));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| UserError(format!("cannot create {}: {e}", out.display())))?;
    for (r, _) in &files {
        let path = out.join(export_name(r));
        if path.exists() {
            return Err(UserError(format!(
                "{} already exists: export into an empty folder; nothing was written",
                path.display()
            ))
            .into());
        }
    }
    let mut manifest = Vec::new();
    for (r, bytes) in files {
        let name = export_name(r);
        let path = out.join(&name);
        std::fs::write(&path, &bytes)
            .map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))?;
        manifest.push(serde_json::json!({
            "file": name,
            "exported_sha256": armtrace_ingest::sha256_hex(&bytes),
            "record": r,
        }));
    }
    let manifest_path = out.join("manifest.json");
    let manifest_text = serde_json::to_string_pretty(&serde_json::json!({
        "tier": tier,
        "notice": tier.notice(),
        "metadata_stripped": tier == Tier::Public,
        "evidence": manifest,
    }))?;
    std::fs::write(&manifest_path, manifest_text)
        .map_err(|e| UserError(format!("cannot write {}: {e}", manifest_path.display())))?;
    writeln!(
        std::io::stdout(),
        "Exported {} files to {} with manifest.json. {}",
        manifest.len(),
        out.display(),
        tier.notice()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_codes() {
        for (text, ms) in [
            ("83.5", Some(83_500)),
            ("1:23", Some(83_000)),
            ("01:02:03.250", Some(3_723_250)),
            ("1:75", None),
            ("-3", None),
            ("a:b", None),
            ("", None),
            ("1::2", None),
            ("400000000000000:00", None),
            ("18446744073709551615:59:00", None),
            ("1e300", None),
        ] {
            assert_eq!(time_ms(text), ms, "{text}");
        }
        assert_eq!(time_text(3_723_250), "1:02:03.250");
        assert_eq!(time_text(83_000), "1:23.000");
    }

    #[test]
    fn retrieval_times() {
        for (text, ok) in [
            ("2014-06-12T09:30:00Z", true),
            ("2014-06-12T09:30:00.5+03:00", true),
            ("2014-06-12 09:30:00Z", false),
            ("2014-06-12T09:30:00", false),
            ("yesterday", false),
            ("2014-06-1éT09:30:00Zé", false),
            ("2014-13-45T25:61:61Z", false),
            ("2014-02-30T10:00:00Z", true),
            ("", false),
        ] {
            assert_eq!(looks_like_rfc3339(text), ok, "{text}");
        }
    }
}
