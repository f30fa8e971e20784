//! Evidence records: what is known about each stored file (its SHA-256 address, size, media type,
//! collection metadata, EXIF hints and perceptual hash), the links from items into it, and its
//! verification. The files themselves live in the evidence folder (`armtrace_ingest::evidence`);
//! the database holds their records. Writes are authorised in the investigation and audited.

use crate::audit::{LockedPool, authorize, change, commit_signed, now, vouch};
use crate::bulk::{OnConflict, Value as Cell, insert_rows};
use crate::items::{insert_review, invalid, investigation_for_write};
use crate::records::{Kind, Record};
use crate::{Store, StoreError, with_pool};
use armtrace_core::Id;
use armtrace_core::access::{AccessError, Action, Identity, Resource};
use armtrace_core::error::{Code, Error};
use armtrace_core::evidence::{Collection, EvidenceAnchor};
use armtrace_core::investigation::Tier;
use armtrace_core::item::{VerificationStatus, check_review};
use armtrace_core::text::collate;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// A file about to be recorded (already stored in the evidence folder).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewEvidence {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub original_name: Option<String>,
    /// How it was collected; without `retrieved_at`/`retrieved_by`, it was retrieved now by the
    /// user adding it.
    pub collection: Collection,
    pub exif_capture_time: Option<String>,
    pub exif_gps: Option<(f64, f64)>,
    pub exif_camera: Option<String>,
    /// What was wrong with the file or its metadata (undecodable image, impossible EXIF).
    pub warnings: Vec<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub perceptual_hash: Option<u64>,
}

/// A recorded piece of evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvidenceRecord {
    pub id: Id,
    pub investigation: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub original_name: Option<String>,
    pub collection: Collection,
    pub exif_capture_time: Option<String>,
    pub exif_gps: Option<(f64, f64)>,
    pub exif_camera: Option<String>,
    pub warnings: Vec<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Hex, 16 digits.
    pub perceptual_hash: Option<String>,
    pub verification: VerificationStatus,
    pub added_at: String,
    pub added_by: String,
    /// References of the items linked to it.
    pub items: Vec<String>,
}

/// What adding one file did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AddedEvidence {
    pub id: Id,
    pub sha256: String,
    /// The investigation already had this file (same SHA-256): its record was kept as it was.
    pub already_recorded: bool,
    /// The item it was linked to, if any.
    pub linked_to: Option<String>,
}

/// Which evidence to list.
#[derive(Clone, Debug, Default)]
pub struct EvidenceFilter {
    pub investigation: Option<String>,
    /// An item reference or id: only evidence linked to it (or its sightings).
    pub item: Option<String>,
}

fn check_target_args(
    investigation: Option<&str>,
    item: Option<&str>,
    anchor: &EvidenceAnchor,
) -> Result<(), StoreError> {
    if item.is_none() && investigation.is_none() {
        return Err(Error::missing(
            "item",
            "say where the evidence belongs: an item, or an investigation",
        )
        .into());
    }
    if item.is_none() && *anchor != EvidenceAnchor::Whole {
        return Err(Error::missing(
            "item",
            "a time code or region points into the evidence for an item: name the item",
        )
        .into());
    }
    Ok(())
}

const EVIDENCE_COLUMNS: &str = "e.id, v.name, e.sha256, e.size, e.media_type, e.original_name, \
    e.original_url, e.platform, e.post_id, e.uploader, e.retrieved_at, e.retrieved_by, \
    e.archive_url, e.exif_capture_time, e.exif_lat, e.exif_lon, e.exif_camera, e.warnings, \
    e.width, e.height, e.perceptual_hash, e.verification, e.added_at, e.added_by, e.investigation_id";

fn anchor_cells(a: &EvidenceAnchor) -> [Cell; 7] {
    let i = |v: u64| Cell::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)));
    match a {
        EvidenceAnchor::Whole => [
            Cell::from("whole"),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
        ],
        EvidenceAnchor::TimeCode { start_ms, end_ms } => [
            Cell::from("time_code"),
            i(*start_ms),
            end_ms.map(i).unwrap_or(Cell::Int(None)),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
            Cell::Int(None),
        ],
        EvidenceAnchor::Region {
            x,
            y,
            width,
            height,
        } => [
            Cell::from("region"),
            Cell::Int(None),
            Cell::Int(None),
            i(u64::from(*x)),
            i(u64::from(*y)),
            i(u64::from(*width)),
            i(u64::from(*height)),
        ],
    }
}

const LINK_COLUMNS: [&str; 12] = [
    "item_id",
    "evidence_id",
    "n",
    "anchor",
    "start_ms",
    "end_ms",
    "x",
    "y",
    "width",
    "height",
    "added_at",
    "added_by",
];

/// The investigations the user named by parameter `$1` is a member of, as a subquery.
const VISIBLE_TO_1: &str = "SELECT m.investigation_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.name = $1";
/// The same, for parameter `$2`.
const VISIBLE_TO_2: &str = "SELECT m.investigation_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.name = $2";

/// What the public tier shows instead of a team member's name.
pub const WITHHELD: &str = "(withheld in the public tier)";

impl Store {
    /// Checks, without writing anything, that `by` may add evidence where `add_evidence` would
    /// put it — so that no file is copied into the evidence folder for a write that will be
    /// refused.
    pub async fn check_evidence_target(
        &self,
        by: &Identity,
        investigation: Option<&str>,
        item: Option<&str>,
        anchor: &EvidenceAnchor,
    ) -> Result<(), StoreError> {
        check_target_args(investigation, item, anchor)?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            match item {
                Some(key) => {
                    let found = crate::items::authorize_item(&mut tx, by, key, investigation, Action::Write).await?;
                    authorize(&mut tx, by, Action::Write, Resource::Evidence, Some((&found.investigation_id, &found.investigation))).await?;
                }
                None => {
                    investigation_for_write(&mut tx, by, investigation.unwrap_or_default(), Action::Write, Resource::Evidence).await?;
                }
            }
            tx.rollback().await?;
        });
        Ok(())
    }

    /// Records files stored in the evidence folder, in `investigation` or, with `item`, in the
    /// item's investigation, linking each to the item at `anchor`. A file the investigation
    /// already has keeps its record (collection metadata is never overwritten) and only gets the
    /// link. One transaction for all files.
    pub async fn add_evidence(
        &self,
        by: &Identity,
        investigation: Option<&str>,
        item: Option<&str>,
        anchor: &EvidenceAnchor,
        files: &[NewEvidence],
    ) -> Result<Vec<AddedEvidence>, StoreError> {
        check_target_args(investigation, item, anchor)?;
        let added = with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let (inv_id, item_found) = match item {
                Some(key) => {
                    let found = crate::items::authorize_item(&mut tx, by, key, investigation, Action::Write).await?;
                    authorize(&mut tx, by, Action::Write, Resource::Evidence, Some((&found.investigation_id, &found.investigation))).await?;
                    (found.investigation_id.clone(), Some(found))
                }
                None => {
                    let name = investigation.unwrap_or_default();
                    (investigation_for_write(&mut tx, by, name, Action::Write, Resource::Evidence).await?, None)
                }
            };
            let at = now();
            let mut out = Vec::new();
            let mut new_rows = Vec::new();
            let mut link_rows = Vec::new();
            let mut next_n: HashMap<String, i64> = HashMap::new();
            for f in files {
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM evidence WHERE investigation_id = $1 AND sha256 = $2")
                    .bind(&inv_id).bind(&f.sha256).fetch_optional(&mut *tx).await?;
                let pending = new_rows.iter().find(|r: &&Vec<Cell>| r.get(2) == Some(&Cell::from(f.sha256.as_str())))
                    .and_then(|r| match r.first() { Some(Cell::Text(Some(id))) => Some(id.clone()), _ => None });
                let (id, already) = match existing.or(pending) {
                    Some(id) => (id, true),
                    None => {
                        let id = Id::new_random().to_string();
                        let c = &f.collection;
                        new_rows.push(vec![
                            Cell::from(id.as_str()),
                            Cell::from(inv_id.as_str()),
                            Cell::from(f.sha256.as_str()),
                            Cell::Int(Some(i64::try_from(f.size).unwrap_or(i64::MAX))),
                            Cell::from(f.media_type.as_str()),
                            Cell::from(f.original_name.clone()),
                            Cell::from(c.original_url.clone()),
                            Cell::from(c.platform.clone()),
                            Cell::from(c.post_id.clone()),
                            Cell::from(c.uploader.clone()),
                            // Retrieved now, by whoever adds it, unless said otherwise.
                            Cell::from(c.retrieved_at.clone().unwrap_or_else(|| at.clone())),
                            Cell::from(c.retrieved_by.clone().unwrap_or_else(|| by.name().to_string())),
                            Cell::from(c.archive_url.clone()),
                            Cell::from(f.exif_capture_time.clone()),
                            Cell::from(f.exif_gps.map(|g| g.0)),
                            Cell::from(f.exif_gps.map(|g| g.1)),
                            Cell::from(f.exif_camera.clone()),
                            Cell::from(serde_json::to_string(&f.warnings).unwrap_or_else(|_| "[]".into())),
                            Cell::Int(f.width.map(i64::from)),
                            Cell::Int(f.height.map(i64::from)),
                            Cell::Int(f.perceptual_hash.map(|h| h as i64)),
                            Cell::from(VerificationStatus::Unverified.as_str()),
                            Cell::from(at.as_str()),
                            Cell::from(by.name()),
                        ]);
                        (id, false)
                    }
                };
                if let Some(found) = &item_found {
                    let n = match next_n.get(&id) {
                        Some(n) => *n,
                        None => {
                            let max: Option<i64> = sqlx::query_scalar(
                                "SELECT MAX(n) FROM evidence_links WHERE item_id = $1 AND evidence_id = $2")
                                .bind(&found.id).bind(&id).fetch_one(&mut *tx).await?;
                            max.unwrap_or(0) + 1
                        }
                    };
                    next_n.insert(id.clone(), n + 1);
                    let mut row = vec![Cell::from(found.id.as_str()), Cell::from(id.as_str()), Cell::Int(Some(n))];
                    row.extend(anchor_cells(anchor));
                    row.extend([Cell::from(at.as_str()), Cell::from(by.name())]);
                    link_rows.push(row);
                }
                out.push(AddedEvidence {
                    id: id.parse().map_err(|e| invalid("evidence id", e))?,
                    sha256: f.sha256.clone(),
                    already_recorded: already,
                    linked_to: item_found.as_ref().map(|i| i.reference.clone()),
                });
            }
            insert_rows(&mut tx, "evidence", &[
                "id", "investigation_id", "sha256", "size", "media_type", "original_name",
                "original_url", "platform", "post_id", "uploader", "retrieved_at", "retrieved_by",
                "archive_url", "exif_capture_time", "exif_lat", "exif_lon", "exif_camera",
                "warnings", "width", "height", "perceptual_hash", "verification", "added_at", "added_by",
            ], new_rows, OnConflict::Fail).await?;
            insert_rows(&mut tx, "evidence_links", &LINK_COLUMNS, link_rows, OnConflict::Fail).await?;
            // Linking evidence to an item is part of documenting it: the linker is an author.
            if let Some(found) = &item_found {
                crate::items::add_author(&mut tx, std::slice::from_ref(&found.id), by).await?;
            }
            let mut c = change(by, "evidence.add", "evidence", None, None, Some(json!({
                "files": out.iter().map(|a| json!({"id": a.id, "sha256": a.sha256, "already_recorded": a.already_recorded})).collect::<Vec<_>>(),
                "item": item_found.as_ref().map(|i| &i.reference),
                "anchor": anchor,
            })));
            c.investigation = Some(inv_id.clone());
            let records: Vec<Record> = out
                .iter()
                .map(|a| Record::new(Kind::Evidence, a.id.to_string()))
                .chain(item_found.iter().map(|i| Record::new(Kind::Item, i.id.as_str())))
                .collect();
            commit_signed(self, tx, vec![vouch(c, records)]).await?;
            out
        });
        Ok(added)
    }

    /// Evidence the reader may see. In the public tier, collectors' and uploaders' identities
    /// and EXIF GPS positions are left out.
    pub async fn evidence(
        &self,
        by: &Identity,
        filter: &EvidenceFilter,
        tier: Option<Tier>,
    ) -> Result<(Tier, Vec<EvidenceRecord>), StoreError> {
        let tier = self.tier_for(by, tier).await?;
        let user = self.acting_user(by.name()).await?;
        armtrace_core::access::check(
            &user,
            Action::Read,
            Resource::Evidence,
            armtrace_core::access::Scope::Global,
            None,
        )?;
        let item_ids: Option<Vec<String>> = match &filter.item {
            None => None,
            Some(key) => {
                let d = self
                    .item(by, key, filter.investigation.as_deref(), Some(Tier::Public))
                    .await;
                let d = d?;
                Some(
                    d.evidence_links
                        .iter()
                        .map(|l| l.evidence.to_string())
                        .collect(),
                )
            }
        };
        let (rows, links) = with_pool!(self, p => {
            // Need-to-know in SQL: only the reader's investigations are read at all.
            let sql = format!(
                "SELECT {EVIDENCE_COLUMNS} FROM evidence e JOIN investigations v ON v.id = e.investigation_id \
                 WHERE (v.name = $1 OR $1 = '') AND e.investigation_id IN ({VISIBLE_TO_2})"
            );
            let raw = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(filter.investigation.as_deref().unwrap_or(""))
                .bind(by.name())
                .fetch_all(p)
                .await?;
            let mut rows = Vec::with_capacity(raw.len());
            for r in &raw {
                let investigation_id: String = r.try_get(24)?;
                let c = Collection {
                    original_url: r.try_get(6)?,
                    platform: r.try_get(7)?,
                    post_id: r.try_get(8)?,
                    uploader: r.try_get(9)?,
                    retrieved_at: r.try_get(10)?,
                    retrieved_by: r.try_get(11)?,
                    archive_url: r.try_get(12)?,
                };
                let lat: Option<f64> = r.try_get(14)?;
                let lon: Option<f64> = r.try_get(15)?;
                let warnings: String = r.try_get(17)?;
                let width: Option<i64> = r.try_get(18)?;
                let height: Option<i64> = r.try_get(19)?;
                let hash: Option<i64> = r.try_get(20)?;
                let size: i64 = r.try_get(3)?;
                let id: String = r.try_get(0)?;
                let verification: String = r.try_get(21)?;
                rows.push((investigation_id, EvidenceRecord {
                    id: id.parse().map_err(|e| invalid("evidence id", e))?,
                    investigation: r.try_get(1)?,
                    sha256: r.try_get(2)?,
                    size: size.max(0) as u64,
                    media_type: r.try_get(4)?,
                    original_name: r.try_get(5)?,
                    collection: c,
                    exif_capture_time: r.try_get(13)?,
                    exif_gps: lat.zip(lon),
                    exif_camera: r.try_get(16)?,
                    warnings: serde_json::from_str(&warnings).unwrap_or_else(|_| vec![warnings.clone()]),
                    width: width.and_then(|w| u32::try_from(w).ok()),
                    height: height.and_then(|h| u32::try_from(h).ok()),
                    perceptual_hash: hash.map(|h| format!("{:016x}", h as u64)),
                    verification: verification.parse().map_err(|e| invalid("verification", e))?,
                    added_at: r.try_get(22)?,
                    added_by: r.try_get(23)?,
                    items: vec![],
                }));
            }
            let links: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT l.evidence_id, i.ref FROM evidence_links l JOIN items i ON i.id = l.item_id \
                 WHERE i.investigation_id IN ({VISIBLE_TO_1})"
            )))
            .bind(by.name())
            .fetch_all(p)
            .await?;
            (rows, links)
        });
        let mut by_evidence: HashMap<String, Vec<String>> = HashMap::new();
        for (e, r) in links {
            by_evidence.entry(e).or_default().push(r);
        }
        let mut out = Vec::new();
        for (_, mut rec) in rows {
            if item_ids
                .as_ref()
                .is_some_and(|ids| !ids.contains(&rec.id.to_string()))
            {
                continue;
            }
            let mut items = by_evidence.remove(&rec.id.to_string()).unwrap_or_default();
            items.sort_by(|a, b| collate(a, b));
            rec.items = items;
            out.push(crate::tier::in_tier(rec, tier));
        }
        out.sort_by(|a, b| {
            collate(&a.investigation, &b.investigation)
                .then_with(|| a.added_at.cmp(&b.added_at))
                .then_with(|| a.sha256.cmp(&b.sha256))
        });
        Ok((tier, out))
    }

    /// Reviews a piece of evidence (its authenticity: is it what it claims to be). The reviewer
    /// may not be the person who added it.
    pub async fn review_evidence(
        &self,
        by: &Identity,
        key: &str,
        investigation: Option<&str>,
        to: VerificationStatus,
        reason: &str,
    ) -> Result<crate::Review, StoreError> {
        let key = key.trim().to_ascii_lowercase();
        // Ids and hashes are hex (and dashes): anything else, such as LIKE's wildcards, never
        // matches.
        let hex = key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        with_pool!(self, p => {
            let mut tx = p.begin_locked().await?;
            let like = if key.len() >= 8 && hex { format!("{key}%") } else { String::new() };
            let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
                "SELECT e.id, e.investigation_id, v.name, e.verification, e.added_by FROM evidence e \
                 JOIN investigations v ON v.id = e.investigation_id \
                 WHERE (e.id = $1 OR e.id LIKE $2 OR e.sha256 LIKE $2) AND (v.name = $3 OR $3 = '')")
                .bind(&key).bind(&like).bind(investigation.unwrap_or(""))
                .fetch_all(&mut *tx).await?;
            let unknown = || StoreError::from(Error::new(Code::EvidenceNotFound, format!(
                "there is no evidence '{key}' in your investigations (give its id, or at least 8 digits of its SHA-256)")).with_field("evidence"));
            // The role first; then only the user's own investigations' records count, so that the
            // same file in another investigation is neither in the way nor revealed.
            authorize(&mut tx, by, Action::Review, Resource::Evidence, None).await?;
            let mut mine = Vec::new();
            for row in rows {
                match authorize(&mut tx, by, Action::Review, Resource::Evidence, Some((&row.1, &row.2))).await {
                    Err(StoreError::Access(AccessError::NotMember { .. })) => {}
                    other => {
                        other?;
                        mine.push(row);
                    }
                }
            }
            let (id, inv_id, _, status, added_by) = match mine.len() {
                0 => return Err(unknown()),
                1 => mine.into_iter().next().ok_or_else(unknown)?,
                _ => return Err(Error::new(Code::EvidenceAmbiguous, format!("'{key}' names several pieces of evidence: give more digits, or the investigation")).with_field("evidence").into()),
            };
            let from: VerificationStatus = status.parse().map_err(|e| invalid("verification", e))?;
            check_review(&[added_by], by.name(), from, to, reason)?;
            sqlx::query("UPDATE evidence SET verification = $1 WHERE id = $2")
                .bind(to.as_str()).bind(&id).execute(&mut *tx).await?;
            let review = insert_review(&mut tx, &inv_id, "evidence", &id, from, to, reason.trim(), by.name()).await?;
            let mut c = change(by, "evidence.review", "evidence", Some(id.clone()),
                Some(json!({"verification": from})), Some(json!({"verification": to, "reason": reason.trim()})));
            c.investigation = Some(inv_id.clone());
            commit_signed(self, tx, vec![vouch(c, [Record::new(Kind::Evidence, id.as_str())])]).await?;
            Ok(review)
        })
    }

    /// The stored files `by` may check, as (SHA-256, size), for `evidence verify`, and whether
    /// that is every file the database refers to. Admins (and the system) check the whole
    /// folder; other readers only the files of their investigations, so need-to-know holds.
    pub async fn evidence_files(
        &self,
        by: &Identity,
    ) -> Result<(Vec<(String, u64)>, bool), StoreError> {
        let user = self.acting_user(by.name()).await?;
        let visible = if user.role == armtrace_core::access::Role::Admin {
            armtrace_core::access::check(
                &user,
                Action::Read,
                Resource::Evidence,
                armtrace_core::access::Scope::Global,
                None,
            )?;
            None
        } else {
            self.visible_investigations(by, Action::Read, Resource::Evidence)
                .await?
        };
        let rows: Vec<(String, i64, String)> = with_pool!(self, p => {
            sqlx::query_as("SELECT sha256, size, investigation_id FROM evidence ORDER BY sha256")
                .fetch_all(p)
                .await?
        });
        let complete = visible.is_none();
        let mut files: Vec<(String, u64)> = rows
            .into_iter()
            .filter(|(_, _, inv)| visible.as_ref().is_none_or(|v| v.contains(inv)))
            .map(|(s, n, _)| (s, n.max(0) as u64))
            .collect();
        files.dedup();
        Ok((files, complete))
    }
}
