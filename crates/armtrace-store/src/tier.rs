//! The public tier, applied in one place. Every read path that returns records hands them to
//! [`in_tier`] with the tier the reader gets, so a new read path cannot forget a field: what the
//! public tier leaves out is decided here, once per record type.
//!
//! The public tier (the default) names no one on the team or among the sources (uploaders,
//! collectors, reviewers, authors), leaves out post addresses, archive copies and EXIF
//! positions, and rounds sensitive coordinates to 0.1° (about 11 km).

use crate::evidence::{EvidenceRecord, WITHHELD};
use crate::items::{ItemDetail, ItemSummary};
use armtrace_core::investigation::Tier;
use armtrace_core::item::public_place;

/// A record that has a public form.
pub(crate) trait Redact {
    /// Turns the record into what the public tier shows.
    fn redact(&mut self);
}

/// The record as a reader of `tier` may see it.
pub(crate) fn in_tier<T: Redact>(mut record: T, tier: Tier) -> T {
    if tier == Tier::Public {
        record.redact();
    }
    record
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self) {
        for r in self {
            r.redact();
        }
    }
}

impl Redact for ItemSummary {
    fn redact(&mut self) {
        if let Some(place) = &self.place {
            self.place = Some(public_place(place, self.location_sensitive));
        }
    }
}

impl Redact for ItemDetail {
    fn redact(&mut self) {
        self.summary.redact();
        let withheld = || WITHHELD.to_string();
        self.created_by = withheld();
        self.updated_by = withheld();
        self.authors = vec![withheld(); self.authors.len().min(1)];
        for i in &mut self.identifications {
            i.by = withheld();
        }
        for l in &mut self.evidence_links {
            l.original_name = None;
        }
        for r in &mut self.reviews {
            let name = std::mem::replace(&mut r.by, withheld());
            r.reason = r
                .reason
                .replace(&format!("edited by {name} after"), "edited after");
        }
    }
}

/// What the public tier may show of an evidence record: no one's identity (uploader, collector,
/// who added it), no address that leads to the uploader (post URL, post id, archive copy), no
/// original file name and no camera, and no EXIF position — not even the raw text of an unusable
/// one in a warning.
impl Redact for EvidenceRecord {
    fn redact(&mut self) {
        self.collection.uploader = None;
        self.collection.retrieved_by = None;
        self.collection.original_url = None;
        self.collection.post_id = None;
        self.collection.archive_url = None;
        self.added_by = WITHHELD.to_string();
        self.exif_gps = None;
        // A file's name can carry an uploader's handle, and the camera make and model can tell
        // whose phone it was.
        self.original_name = None;
        self.exif_camera = None;
        for w in &mut self.warnings {
            if w.starts_with("EXIF GPS") {
                *w =
                    "EXIF GPS position unusable (its raw value is in the confidential tier)".into();
            }
        }
    }
}
