//! The serial index: from a serial as read (worn, partly legible, in another script) to every
//! indexed record whose serial could be the same one, each match saying what matched, how, and
//! how likely it was to match by chance.
//!
//! A pure library: no I/O except saving and loading the index ([`SerialIndex::save`],
//! [`SerialIndex::load`]), no SQL, no terminal. The caller (the store) owns the records and can
//! always rebuild the index from them; [`SerialIndex::generation`] tells how far it is current.
//!
//! # Keys
//! Each [`Entry`] is a raw text, a [`Context`] (an opaque id where the serial is unique, with
//! optional maker and model ids), a [`RecordRef`] (kind and the caller's id), a [`MarkingRole`]
//! and a group (0 public, otherwise the investigation that may read it). It is indexed under its
//! *match key* ([`normalise`]): case folded, separators dropped, Cyrillic look-alikes and
//! Arabic-Indic, Persian and fullwidth digits folded, each OCR-confusable class (0/O/D/Q, 1/I/L,
//! 2/Z, 5/S, 6/G, 8/B) mapped to its digit. The raw text is kept and shown.
//!
//! # Matching rules
//! A [`Pattern`] is parsed from text ([`Pattern::parse`]) and searched with [`SearchOptions`]
//! and a [`Filter`] (the reader's groups always; contexts, maker, model and record kinds when
//! given). A visible entry matches when its match key:
//! - **serial with no wildcard**, `max_edits = 0`: equals the pattern's match key. The match is
//!   [`MatchKind::Exact`] when the position-aware readings are equal too, otherwise
//!   [`MatchKind::Confusable`];
//! - **serial, `max_edits` 1 or 2**: is within that Levenshtein distance (in characters, over match
//!   keys; with `transpositions`, restricted Damerau: an adjacent swap costs one). Distance 0 is
//!   exact or confusable as above; otherwise [`MatchKind::Edits`] with the distance;
//! - **serial with wildcards**: `?` (or `?` in the mask) matches one character, `*` zero or more,
//!   an uncertain character (`~` in the mask) any one character. [`MatchKind::Wildcard`], except
//!   that a pattern with only uncertain characters whose as-read key equals the entry's is
//!   exact or confusable. Edits are not combined with wildcards;
//! - **fragment** (`*1234*`, at least 4 characters): contains it. [`MatchKind::Fragment`];
//! - **range** (`AB1000..AB1999`): is the prefix's match key followed by only digits, as many as
//!   one of the bounds or any number in between, with a value (leading zeros allowed) within
//!   the bounds. [`MatchKind::Range`].
//!
//! Matches are ranked by kind (exact, confusable, range, wildcard, 1 edit, 2 edits, fragment),
//! then by fewest expected chance matches ([`chance`]), then by key, raw text, context and record.
//! A search returns [`Found`]: the strongest matches (up to [`SearchOptions::limit`]) and how many
//! there were. Each [`Match`] carries its kind, the raw text as stored, its key and reading, its
//! shape, context, record, role (an `Unspecified` marking is only a possible serial), group,
//! population and `expected_chance_matches`.
//!
//! # Structure
//! [`SerialIndex`] (see [`index`]) keeps an immutable base (fst + packed columns + 4-gram roaring
//! index) with a sorted map of additions and a tombstone bitmap beside it; [`LinearIndex`] is the
//! oracle that applies the same rules ([`matching`]) by scanning, and the property tests check
//! that both answer the same.

mod automata;
pub mod chance;
pub mod entry;
pub mod error;
mod grams;
pub mod index;
pub mod linear;
pub mod matching;
pub mod normalise;
mod packed;
pub mod pattern;
pub mod persist;
mod template;

pub use entry::{Context, Entry, Filter, Groups, MarkingRole, RecordKind, RecordRef};
pub use error::{LoadError, PatternError};
pub use index::{IndexBuilder, Memory, SearchOptions, SerialIndex};
pub use linear::LinearIndex;
pub use matching::{Found, Match, MatchKind};
pub use pattern::Pattern;
