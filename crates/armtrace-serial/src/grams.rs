//! The n-gram index for fragments: for every 4 consecutive bytes of a key (a 4-gram), a roaring
//! bitmap of the keys that contain it, each bitmap kept in its serialized form in one arena and
//! read when a query needs it. A fragment's candidates are the keys holding all its 4-grams; the
//! caller confirms each against the key.
//!
//! 4-grams rather than trigrams: fragments have at least 4 characters, so every fragment has
//! one, and they are far more selective on digit-heavy serials (10⁴ digit 4-grams against 10³
//! trigrams), for about the same memory.

use foldhash::HashMap;
use roaring::RoaringBitmap;

/// Bytes per gram.
pub(crate) const GRAM: usize = 4;

/// A gram as a number (its bytes, big-endian).
pub(crate) fn code(g: &[u8]) -> u32 {
    g.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// The distinct grams of `key`.
pub(crate) fn grams_of(key: &[u8]) -> Vec<u32> {
    let mut v: Vec<u32> = key.windows(GRAM).map(code).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Grams {
    /// Sorted gram codes.
    pub codes: Vec<u32>,
    /// Where each gram's bitmap starts in `arena` (one more than `codes`: the end).
    pub offsets: Vec<u64>,
    pub arena: Vec<u8>,
}

impl Grams {
    /// Builds the index from (key id, key) pairs given in increasing id order.
    pub fn build<'a>(keys: impl Iterator<Item = (u32, &'a [u8])>) -> Grams {
        let mut lists: HashMap<u32, Vec<u32>> = HashMap::default();
        for (id, key) in keys {
            for g in grams_of(key) {
                lists.entry(g).or_default().push(id);
            }
        }
        let mut codes: Vec<u32> = lists.keys().copied().collect();
        codes.sort_unstable();
        let mut offsets = Vec::with_capacity(codes.len() + 1);
        let mut arena = Vec::new();
        for c in &codes {
            offsets.push(arena.len() as u64);
            let ids = lists.remove(c).unwrap_or_default();
            let mut b = RoaringBitmap::from_sorted_iter(ids).unwrap_or_default();
            b.optimize();
            // Writing into a Vec cannot fail.
            let _ = b.serialize_into(&mut arena);
        }
        offsets.push(arena.len() as u64);
        arena.shrink_to_fit();
        Grams {
            codes,
            offsets,
            arena,
        }
    }

    /// The serialized bitmap of gram `i`.
    fn bytes(&self, i: usize) -> &[u8] {
        let (Some(&a), Some(&b)) = (self.offsets.get(i), self.offsets.get(i + 1)) else {
            return &[];
        };
        self.arena.get(a as usize..b as usize).unwrap_or(&[])
    }

    /// The bitmap of keys holding gram `code` (empty if none).
    pub fn get(&self, code: u32) -> RoaringBitmap {
        match self.codes.binary_search(&code) {
            Ok(i) => RoaringBitmap::deserialize_unchecked_from(self.bytes(i)).unwrap_or_default(),
            Err(_) => RoaringBitmap::new(),
        }
    }

    /// Keys holding every gram of `literal` (at least `GRAM` bytes).
    pub fn candidates(&self, literal: &[u8]) -> RoaringBitmap {
        let mut maps: Vec<RoaringBitmap> =
            grams_of(literal).into_iter().map(|g| self.get(g)).collect();
        maps.sort_by_key(|m| m.len());
        let mut it = maps.into_iter();
        let Some(mut acc) = it.next() else {
            return RoaringBitmap::new();
        };
        for m in it {
            if acc.is_empty() {
                break;
            }
            acc &= m;
        }
        acc
    }

    /// Checks every bitmap (when loading): each must deserialize, with ids below `limit`.
    pub fn check(&self, limit: u64) -> bool {
        if self.offsets.len() != self.codes.len() + 1
            || !self.codes.windows(2).all(|w| w[0] < w[1])
            || !self.offsets.windows(2).all(|w| w[0] <= w[1])
            || self.offsets.last().copied() != Some(self.arena.len() as u64)
        {
            return false;
        }
        (0..self.codes.len()).all(|i| {
            RoaringBitmap::deserialize_from(self.bytes(i))
                .is_ok_and(|b| b.max().is_none_or(|m| u64::from(m) < limit))
        })
    }

    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() * 4 + self.offsets.capacity() * 8 + self.arena.capacity()
    }
}
