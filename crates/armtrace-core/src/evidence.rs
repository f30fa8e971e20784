//! Evidence: files (photos, videos, documents) stored content-addressed by SHA-256 and never
//! modified, with how they were collected, and links from items into them.

use crate::id::Id;
use serde::{Deserialize, Serialize};

/// How and from where a file was collected (Berkeley Protocol: keep the chain of collection).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub original_url: Option<String>,
    pub platform: Option<String>,
    pub post_id: Option<String>,
    pub uploader: Option<String>,
    /// RFC 3339 time of retrieval.
    pub retrieved_at: Option<String>,
    pub retrieved_by: Option<String>,
    pub archive_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: Id,
    pub investigation: Id,
    /// Lower-case hex SHA-256 of the content: the file's address in the evidence store.
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub original_name: Option<String>,
    pub collection: Collection,
    /// EXIF capture time, as a hint only (platforms strip or rewrite it).
    pub exif_capture_time: Option<String>,
    pub exif_gps: Option<(f64, f64)>,
    pub exif_camera: Option<String>,
    /// 64-bit perceptual hash of a thumbnail, for finding re-posted copies.
    pub perceptual_hash: Option<u64>,
}

/// Where in a piece of evidence an item is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "anchor", rename_all = "snake_case")]
pub enum EvidenceAnchor {
    Whole,
    /// A time code in a video, in milliseconds from the start.
    TimeCode {
        start_ms: u64,
        end_ms: Option<u64>,
    },
    /// A rectangle of an image, in pixels.
    Region {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceLink {
    pub item: Id,
    pub evidence: Id,
    pub anchor: EvidenceAnchor,
}
