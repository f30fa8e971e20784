//! Importers: SIPRI Arms Transfers Database exports (both export formats, with every quirk) and
//! armtrace's native CSV/JSONL transfer format. They turn files into domain records, resolving
//! every supplier and recipient name through the reference data. `geo` resolves coordinates to
//! countries from the shipped map; `items` checks documented items. [`evidence`] is the file side
//! of evidence: the content-addressed evidence folder, what a file says about itself, and clean
//! copies for public export.
//!
//! Architecture invariants: no SQL and no terminal output here. Parsing is all-or-nothing: a bad
//! record is an [`IngestError`] naming the file, line, field and code, and nothing from that file
//! is returned. The SIPRI and item parsers go on after a bad record where the format allows and
//! refuse the file with every problem they found ([`Problems`], `import.invalid`); a damaged
//! header or preamble stops the file. Long work reports progress through a callback.

mod error;
pub mod evidence;
pub mod geo;
pub mod items;
mod json;
pub mod native;
pub mod sipri;
mod text;

pub use error::{IngestError, Problems};

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
    format!("{}-{occurrence}", record_hash(fields))
}

/// The hash part of [`record_key`]: the first 12 bytes of SHA-256 over the fields, in hex.
pub(crate) fn record_hash(fields: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex(&h.finalize()[..12])
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    /// Record keys are stored: the same fields must always give the same key.
    #[test]
    fn record_keys_and_hashes_are_pinned() {
        for (got, expected) in [
            (
                super::record_key(&["a", "b"], 1),
                "023b8059a924f728a2155e4c-1",
            ),
            (
                super::sha256_hex(b""),
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                super::sha256_hex(b"abc"),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
        ] {
            assert_eq!(got, expected);
        }
    }
}
