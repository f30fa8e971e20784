//! Evidence: files stored in the content-addressed evidence folder and recorded with their
//! collection metadata; listing, duplicates, verifying the folder, review, and export (stripped of
//! metadata for the public).

use crate::{App, Identity};
use armtrace_core::error::{Code, Error, Result};
use armtrace_core::evidence::Collection;
use armtrace_core::investigation::Tier;
use armtrace_core::item::VerificationStatus;
use armtrace_core::phash::near_duplicates;
use armtrace_ingest::evidence::{EvidenceFolder, Orphans, strip_metadata};
use armtrace_store::{EvidenceFilter, EvidenceRecord, Location, NewEvidence, Review};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Files to store as evidence, and where they belong.
#[derive(Clone, Debug, Default)]
pub struct EvidenceAdd {
    pub files: Vec<PathBuf>,
    /// The item they show (a reference or id), or else the investigation they belong to.
    pub item: Option<String>,
    pub investigation: Option<String>,
    /// A time code range into a video (`1:23-1:30`), or…
    pub time: Option<String>,
    /// …an image region (`X,Y,WIDTH,HEIGHT`).
    pub region: Option<String>,
    pub collection: Collection,
}

/// One file stored and recorded.
#[derive(Clone, Debug, Serialize)]
pub struct AddedFile {
    pub file: String,
    pub id: armtrace_core::Id,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// The investigation already had this file: its record was kept as it was.
    pub already_recorded: bool,
    pub linked_to: Option<String>,
    /// 16 hex digits, images only.
    pub perceptual_hash: Option<String>,
    /// What could not be read or was not believed (EXIF is a hint, never proof).
    pub warnings: Vec<String>,
}

/// Files added, and the folder that holds them.
#[derive(Clone, Debug, Serialize)]
pub struct AddedEvidence {
    pub folder: String,
    pub files: Vec<AddedFile>,
}

/// Evidence as listed.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceList {
    pub tier: Tier,
    pub evidence: Vec<EvidenceRecord>,
}

/// Two files that show the same thing.
#[derive(Clone, Debug, Serialize)]
pub struct DuplicatePair {
    /// "identical" (one SHA-256 recorded twice) or "near-duplicate" (perceptual hashes close).
    pub kind: &'static str,
    /// Differing bits of the 64-bit perceptual hash (0 for identical files).
    pub distance: u32,
    pub a: EvidenceRecord,
    pub b: EvidenceRecord,
}

/// Duplicates among the evidence one may see.
#[derive(Clone, Debug, Serialize)]
pub struct Duplicates {
    pub max_distance: u32,
    /// Files with a perceptual hash (images).
    pub hashed: usize,
    pub files: usize,
    pub pairs: Vec<DuplicatePair>,
}

/// A stored file whose content no longer matches its address.
#[derive(Clone, Debug, Serialize)]
pub struct ChangedFile {
    pub sha256: String,
    pub path: String,
    pub expected_size: u64,
    pub actual_size: u64,
    pub actual_sha256: String,
}

/// What re-hashing the evidence folder found.
#[derive(Clone, Debug, Serialize)]
pub struct FolderCheck {
    pub folder: String,
    /// Every file the database records was checked (an admin's check); else only the reader's
    /// investigations' files, and files not recorded cannot be told apart from others'.
    pub complete: bool,
    pub checked: u64,
    pub bytes: u64,
    pub intact: bool,
    pub missing: Vec<String>,
    pub changed: Vec<ChangedFile>,
    pub unreadable: Vec<(String, String)>,
    pub bad_addresses: Vec<String>,
    /// Addresses that hold something other than a regular file (a link, a device, a folder):
    /// tampering, never read.
    pub not_files: Vec<(String, String)>,
    pub orphans: Vec<String>,
}

impl FolderCheck {
    /// The error of a damaged folder: what is missing, changed or unreadable.
    pub fn failure(&self) -> Option<Error> {
        (!self.intact).then(|| {
            Error::new(
                Code::AuditTampered,
                format!(
                    "the evidence folder is damaged: {} missing, {} changed, {} unreadable, {} not regular files (tampered with). Restore those files from a backup; their SHA-256 says which content belongs there",
                    self.missing.len(),
                    self.changed.len(),
                    self.unreadable.len(),
                    self.not_files.len()
                ),
            )
        })
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct Exported {
    pub folder: String,
    pub tier: Tier,
    pub files: usize,
    pub manifest: String,
}

impl App {
    /// The evidence folder: the configured one, else beside a SQLite database (`DB.evidence`).
    /// A PostgreSQL database has no "beside": its folder must be configured.
    pub fn evidence_folder(&self) -> Result<EvidenceFolder> {
        let dir = match (&self.config.evidence_dir, &self.config.location) {
            (Some(d), _) => d.clone(),
            (None, Location::Sqlite(path)) => {
                let mut p = path.as_os_str().to_owned();
                p.push(".evidence");
                PathBuf::from(p)
            }
            (None, Location::Postgres(_)) => {
                return Err(Error::missing(
                    "evidence_dir",
                    "a PostgreSQL database keeps its evidence files in a shared folder: name the evidence folder",
                ));
            }
        };
        EvidenceFolder::open(&dir)
            .map_err(|e| Error::new(Code::FileUnreadable, e.to_string()).with_field("evidence_dir"))
    }

    /// Stores each file in the evidence folder (on all cores), then records them all in one
    /// transaction, linked to the item when one is named. Nothing enters the folder for a write
    /// that would be refused, and every file must be readable before any is stored.
    pub async fn add_evidence(&self, by: &Identity, add: &EvidenceAdd) -> Result<AddedEvidence> {
        let anchor = crate::time::anchor(add.time.as_deref(), add.region.as_deref())?;
        if let Some(at) = &add.collection.retrieved_at
            && !crate::time::looks_like_rfc3339(at)
        {
            return Err(Error::invalid(
                "retrieved_at",
                format!("'{at}' is not an RFC 3339 time: write it like 2014-06-12T09:30:00Z"),
            ));
        }
        if add.files.is_empty() {
            return Err(Error::missing("file", "give one or more files to store"));
        }
        for f in &add.files {
            match std::fs::metadata(f) {
                Ok(m) if m.is_file() => {}
                Ok(_) => {
                    return Err(Error::new(Code::FileUnreadable, "it is not a file")
                        .with_file(f.display().to_string()));
                }
                Err(e) => {
                    return Err(Error::new(
                        Code::FileUnreadable,
                        format!("cannot read it: {e}; nothing was stored"),
                    )
                    .with_file(f.display().to_string()));
                }
            }
        }
        let folder = self.evidence_folder()?;
        self.write(by, async |store| {
            store
                .check_evidence_target(
                    by,
                    add.investigation.as_deref(),
                    add.item.as_deref(),
                    &anchor,
                )
                .await?;
            let now = std::time::SystemTime::now();
            let mut stored = Vec::new();
            for (path, r) in add.files.iter().zip(folder.add_all(&add.files, now)) {
                let (s, f) = r.map_err(|e| {
                    Error::new(Code::FileUnreadable, format!("cannot store it: {e}"))
                        .with_file(path.display().to_string())
                })?;
                stored.push((path, s, f));
            }
            let new: Vec<NewEvidence> = stored
                .iter()
                .map(|(_, s, f)| NewEvidence {
                    sha256: s.sha256.clone(),
                    size: s.size,
                    media_type: f.media_type.clone(),
                    original_name: f.original_name.clone(),
                    // The store fills in now and the acting user when retrieval is not given.
                    collection: add.collection.clone(),
                    exif_capture_time: f.capture_time.clone(),
                    exif_gps: f.gps,
                    exif_camera: f.camera.clone(),
                    warnings: f.warnings.iter().map(|w| w.to_string()).collect(),
                    width: f.width,
                    height: f.height,
                    perceptual_hash: f.perceptual_hash,
                })
                .collect();
            let added = store
                .add_evidence(
                    by,
                    add.investigation.as_deref(),
                    add.item.as_deref(),
                    &anchor,
                    &new,
                )
                .await?;
            Ok(AddedEvidence {
                folder: folder.root().display().to_string(),
                files: stored
                    .iter()
                    .zip(added)
                    .map(|((path, s, f), a)| AddedFile {
                        file: path.display().to_string(),
                        id: a.id,
                        sha256: s.sha256.clone(),
                        size: s.size,
                        media_type: f.media_type.clone(),
                        already_recorded: a.already_recorded,
                        linked_to: a.linked_to,
                        perceptual_hash: f.perceptual_hash.map(|h| format!("{h:016x}")),
                        warnings: f.warnings.iter().map(|w| w.to_string()).collect(),
                    })
                    .collect(),
            })
        })
        .await
    }

    /// The evidence `by` may see, in the tier they read.
    pub async fn evidence(
        &self,
        by: &Identity,
        investigation: Option<&str>,
        item: Option<&str>,
        tier: Option<Tier>,
    ) -> Result<EvidenceList> {
        let filter = EvidenceFilter {
            investigation: investigation.map(str::to_string),
            item: item.map(str::to_string),
        };
        let (tier, evidence) = self.store.evidence(by, &filter, tier).await?;
        Ok(EvidenceList { tier, evidence })
    }

    /// Identical files (one SHA-256 recorded more than once, e.g. in two investigations) and
    /// near-duplicates (perceptual hashes within `max_distance` bits, at most 32).
    pub async fn evidence_duplicates(
        &self,
        by: &Identity,
        investigation: Option<&str>,
        max_distance: u32,
        tier: Option<Tier>,
    ) -> Result<Duplicates> {
        if max_distance > 32 {
            return Err(Error::invalid(
                "max_distance",
                "at most 32 of the 64 bits (beyond that, unrelated images match)",
            ));
        }
        let filter = EvidenceFilter {
            investigation: investigation.map(str::to_string),
            item: None,
        };
        let (_, records) = self.store.evidence(by, &filter, tier).await?;
        let mut pairs = Vec::new();
        let mut by_sha: std::collections::BTreeMap<&str, Vec<&EvidenceRecord>> =
            std::collections::BTreeMap::new();
        for r in &records {
            by_sha.entry(r.sha256.as_str()).or_default().push(r);
        }
        for same in by_sha.values() {
            for (j, a) in same.iter().enumerate() {
                for b in &same[j + 1..] {
                    pairs.push(DuplicatePair {
                        kind: "identical",
                        distance: 0,
                        a: (*a).clone(),
                        b: (*b).clone(),
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
                pairs.push(DuplicatePair {
                    kind: "near-duplicate",
                    distance: p.distance,
                    a: a.clone(),
                    b: b.clone(),
                });
            }
        }
        Ok(Duplicates {
            max_distance,
            hashed: hashed.len(),
            files: records.len(),
            pairs,
        })
    }

    /// Re-hashes the stored files `by` may check: every file for an admin (who also sees files
    /// the database does not record), else their investigations' files.
    pub async fn verify_evidence(&self, by: &Identity) -> Result<FolderCheck> {
        let folder = self.evidence_folder()?;
        let (files, complete) = self.store.evidence_files(by).await?;
        let report = folder.verify(
            files,
            if complete {
                Orphans::Report
            } else {
                Orphans::Ignore
            },
        );
        Ok(FolderCheck {
            folder: folder.root().display().to_string(),
            complete,
            checked: report.checked,
            bytes: report.bytes,
            intact: report.is_intact(),
            missing: report.missing.clone(),
            changed: report
                .changed
                .iter()
                .map(|c| ChangedFile {
                    sha256: c.sha256.clone(),
                    path: c.path.display().to_string(),
                    expected_size: c.expected_size,
                    actual_size: c.actual_size,
                    actual_sha256: c.actual_sha256.clone(),
                })
                .collect(),
            unreadable: report.unreadable.clone(),
            bad_addresses: report.bad_addresses.clone(),
            not_files: report.not_files.clone(),
            orphans: report
                .orphans
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    }

    /// Moves evidence along the verification workflow.
    pub async fn review_evidence(
        &self,
        by: &Identity,
        evidence: &str,
        investigation: Option<&str>,
        status: &str,
        reason: &str,
    ) -> Result<Review> {
        let to: VerificationStatus = status
            .parse()
            .map_err(|e: String| Error::invalid("status", e))?;
        self.write(by, async |store| {
            Ok(store
                .review_evidence(by, evidence, investigation, to, reason)
                .await?)
        })
        .await
    }

    /// Copies evidence files (by id or at least 8 digits of their SHA-256) into the folder `out`
    /// with a manifest. The public tier (the default) strips EXIF, XMP, IPTC and comments and
    /// refuses a file it cannot strip. Every file is checked before any is written, and nothing
    /// is overwritten.
    pub async fn export_evidence(
        &self,
        by: &Identity,
        keys: &[String],
        out: &Path,
        investigation: Option<&str>,
        tier: Option<Tier>,
    ) -> Result<Exported> {
        let folder = self.evidence_folder()?;
        let filter = EvidenceFilter {
            investigation: investigation.map(str::to_string),
            item: None,
        };
        let (tier, records) = self.store.evidence(by, &filter, tier).await?;
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
                    return Err(Error::new(
                        Code::EvidenceNotFound,
                        format!("there is no evidence '{key}' in your investigations"),
                    )
                    .with_field("evidence"));
                }
                _ => {
                    return Err(Error::new(
                        Code::EvidenceAmbiguous,
                        format!(
                            "'{key}' names several pieces of evidence: give more digits, or the investigation"
                        ),
                    )
                    .with_field("evidence"));
                }
            }
        }
        let mut files = Vec::new();
        for r in &chosen {
            let bytes = folder.read(&r.sha256).map_err(|e| {
                Error::new(
                    Code::AuditTampered,
                    format!("{e}; verify the evidence folder"),
                )
            })?;
            let bytes = match tier {
                Tier::Confidential => bytes,
                Tier::Public => strip_metadata(&bytes, &r.media_type).map_err(|e| {
                    Error::new(
                        Code::FileUnsupported,
                        format!(
                            "{} ({}): {e}; the public tier never leaks metadata, so it is not exported (a member may export it in the confidential tier)",
                            r.sha256, r.media_type
                        ),
                    )
                })?,
            };
            files.push((r, bytes));
        }
        let cannot = |what: &str, p: &Path, e: std::io::Error| {
            Error::new(Code::FileUnreadable, format!("cannot {what} it: {e}"))
                .with_file(p.display().to_string())
        };
        std::fs::create_dir_all(out).map_err(|e| cannot("create", out, e))?;
        for (r, _) in &files {
            let path = out.join(export_name(r));
            if path.exists() {
                return Err(Error::new(
                    Code::ConflictExists,
                    "it already exists: export into an empty folder; nothing was written",
                )
                .with_file(path.display().to_string()));
            }
        }
        let mut manifest = Vec::new();
        for (r, bytes) in files {
            let name = export_name(r);
            let path = out.join(&name);
            std::fs::write(&path, &bytes).map_err(|e| cannot("write", &path, e))?;
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
        }))
        .map_err(|e| Error::internal("writing the manifest", e))?;
        std::fs::write(&manifest_path, manifest_text)
            .map_err(|e| cannot("write", &manifest_path, e))?;
        Ok(Exported {
            folder: out.display().to_string(),
            tier,
            files: manifest.len(),
            manifest: manifest_path.display().to_string(),
        })
    }
}

/// An exported file's name: its SHA-256 with the extension its media type has (or, for a type
/// without one, the original name's, in the confidential tier).
fn export_name(r: &EvidenceRecord) -> String {
    let by_type = match r.media_type.as_str() {
        "image/jpeg" => Some("jpg"),
        "image/png" => Some("png"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        "image/tiff" => Some("tif"),
        "video/mp4" => Some("mp4"),
        "video/quicktime" => Some("mov"),
        "video/webm" => Some("webm"),
        "application/pdf" => Some("pdf"),
        _ => None,
    };
    let ext = by_type
        .map(str::to_string)
        .or_else(|| {
            r.original_name
                .as_deref()
                .and_then(|n| Path::new(n).extension())
                .map(|e| e.to_string_lossy().into_owned())
        })
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    format!("{}{ext}", r.sha256)
}
