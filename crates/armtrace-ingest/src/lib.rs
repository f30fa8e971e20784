//! Importers: SIPRI Arms Transfers Database exports (both export formats, with every quirk) and
//! armtrace's native CSV/JSONL transfer format. They turn files into domain records, resolving
//! every supplier and recipient name through the reference data. `geo` resolves coordinates to
//! countries from the shipped map; `items` checks documented items. [`evidence`] is the file side
//! of evidence: the content-addressed evidence folder, what a file says about itself, and clean
//! copies for public export.
//!
//! Architecture invariants: no SQL and no terminal output here. Parsing is all-or-nothing: a bad
//! record is an [`IngestError`] naming the file, line and field, and nothing from that file is
//! returned. Long work reports progress through a callback.

mod error;
pub mod evidence;
pub mod geo;
pub mod items;
pub mod native;
pub mod sipri;
mod text;

pub use error::IngestError;

/// The largest number of units one record may state: anything larger is a typo, and sums of
/// many such records must never overflow.
pub const MAX_UNITS: i64 = 1_000_000_000_000;

/// The largest TIV one record may state, in thousandths of a million TIV (a trillion TIV).
pub const MAX_TIV_MILLI: i64 = 1_000_000_000_000_000;

/// Receives progress: bytes of input read so far, out of the total.
pub trait Progress {
    fn advance(&mut self, done: u64, total: u64);
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&mut self, _done: u64, _total: u64) {}
}

/// A stable key for a record within its release: a hash of its fields as written, with the
/// number of earlier identical records, so that identical rows stay distinct and importing the
/// same file (or a subset of it) twice adds nothing.
pub(crate) fn record_key(fields: &[&str], occurrence: u32) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{occurrence}")
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
