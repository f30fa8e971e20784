//! The serial index: an immutable base (an fst over match keys, packed columns, the 4-gram
//! index) with a small sorted map of additions and a tombstone bitmap of removals beside it,
//! queried together and merged into a new base when they grow.
//!
//! Layout of the base, for memory (under 32 bytes a serial at millions of serials):
//! - entries are sorted by match key; the fst maps each distinct key to the number of its first
//!   entry (so values rise with the keys, and the fst also finds a key from that number:
//!   `get_key`), and a bitset marks where each key's entries start;
//! - per entry, bit-packed columns hold the record id, a *facet* number (context, maker, model,
//!   group, record kind and role, stored once in a table: there are few distinct ones), a
//!   *template* number (the raw text as a pattern over the key, see `template`: there are few
//!   distinct ones too) and a *shape* number (for the population behind the chance figure);
//! - the 4-gram index maps grams to roaring bitmaps of first-entry numbers (see `grams`).
//!
//! Measured on synthetic serials in lots (`armtrace-bench serial`): about 10.5 bytes a serial
//! at 5M and 11.5 at 10M, of which the fst is almost nothing (consecutive numbers minimise to a
//! few shared nodes), the columns 6 and the 4-grams 5.
//!
//! A search collects *hits* (kind, chance figure, key number, raw text, record, facet), ranks
//! them, and writes out only as many [`Match`]es as the limit asks, with [`Found::total`]
//! counting them all.
//!
//! Additions go into a `BTreeMap` from key to entries, walked with the same automata as the fst
//! (seeking past rejected prefixes). Removals of base entries set their bit in the tombstone
//! bitmap. When additions and removals together exceed the merge threshold (by default
//! `max(65 536, base entries / 16)`), the next change merges them into a new base.

use crate::automata::{DigitTail, Wildcard, walk};
use crate::chance::expected_chance_matches;
use crate::entry::{Entry, Facet, Filter, RecordRef};
use crate::error::PatternError;
use crate::grams::{GRAM, Grams};
use crate::matching::{
    Found, Match, MatchKind, Order, range_matches, serial_kind, wildcard_matches,
};
use crate::normalise::{match_key, reading, shape};
use crate::packed::Packed;
use crate::pattern::{Pattern, Token};
use crate::template;
use foldhash::HashMap;
use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use roaring::RoaringBitmap;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How a search runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// Edits allowed (0 to 2) for a serial with no wildcards.
    pub max_edits: u8,
    /// Count a swap of two adjacent characters as one edit (Damerau, restricted).
    pub transpositions: bool,
    /// At most this many matches, the strongest.
    pub limit: Option<usize>,
}

/// Dictionaries shared by the base and the additions, and live counts per facet and shape.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dicts {
    pub facets: Vec<Facet>,
    pub facet_ids: HashMap<Facet, u32>,
    /// Facets of each context id.
    pub by_context: HashMap<u32, Vec<u32>>,
    pub shapes: Vec<String>,
    pub shape_ids: HashMap<String, u32>,
    /// Live entries per (facet, shape).
    pub counts: HashMap<(u32, u32), u64>,
}

impl Dicts {
    pub fn facet(&mut self, f: Facet) -> u32 {
        if let Some(&id) = self.facet_ids.get(&f) {
            return id;
        }
        let id = self.facets.len() as u32;
        self.facets.push(f);
        self.facet_ids.insert(f, id);
        self.by_context.entry(f.context.id).or_default().push(id);
        id
    }

    pub fn shape(&mut self, s: String) -> u32 {
        if let Some(&id) = self.shape_ids.get(&s) {
            return id;
        }
        let id = self.shapes.len() as u32;
        self.shapes.push(s.clone());
        self.shape_ids.insert(s, id);
        id
    }

    /// Counts an entry with `raw` in; returns the number of its shape.
    pub fn count_in(&mut self, facet: u32, raw: &str) -> u32 {
        let s = self.shape(shape(&reading(raw)));
        self.count(facet, s, 1);
        s
    }

    /// Counts an entry in (`delta` = 1) or out (`delta` = -1).
    pub fn count(&mut self, facet: u32, shape: u32, delta: i64) {
        let c = self.counts.entry((facet, shape)).or_insert(0);
        *c = c.saturating_add_signed(delta);
    }

    /// Rebuilds the derived maps after loading.
    pub fn reindex(&mut self) {
        self.facet_ids = self
            .facets
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, i as u32))
            .collect();
        self.by_context.clear();
        for (i, f) in self.facets.iter().enumerate() {
            self.by_context
                .entry(f.context.id)
                .or_default()
                .push(i as u32);
        }
        self.shape_ids = self
            .shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
    }

    fn heap_bytes(&self) -> usize {
        let facets = self.facets.capacity() * size_of::<Facet>()
            + self.facet_ids.capacity() * (size_of::<Facet>() + 4)
            + self.by_context.capacity() * 32
            + self.facets.len() * 4;
        let shapes = self
            .shapes
            .iter()
            .map(|s| 2 * (s.capacity() + 24) + 4)
            .sum::<usize>();
        facets + shapes + self.counts.capacity() * 17
    }
}

/// An entry as held before it enters a base.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub key: Box<str>,
    pub raw: Box<str>,
    pub record: u64,
    pub facet: u32,
    pub shape: u32,
}

/// One entry of the additions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeltaEntry {
    pub raw: String,
    pub record: u64,
    pub facet: u32,
    pub shape: u32,
}

/// The immutable part.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub fst: fst::Map<Vec<u8>>,
    /// Bit `i` set where entry `i` is the first of its key; bit `len` set too.
    pub starts: Vec<u64>,
    pub len: usize,
    pub records: Packed,
    pub facets: Packed,
    pub templates: Packed,
    /// The shape number of each entry (for its population, without reading its text).
    pub shapes: Packed,
    pub template_texts: Vec<String>,
    pub grams: Grams,
}

impl Base {
    fn empty() -> Base {
        Base::build(Vec::new())
    }

    /// Builds a base from items (sorted here).
    pub fn build(mut items: Vec<Item>) -> Base {
        items.sort_by(|a, b| a.key.cmp(&b.key));
        let len = items.len();
        let mut starts = vec![0u64; (len + 1).div_ceil(64)];
        let mut set = |i: usize| starts[i / 64] |= 1 << (i % 64);
        let mut builder = fst::MapBuilder::memory();
        let mut template_ids: HashMap<String, u64> = HashMap::default();
        let mut template_texts = Vec::new();
        let mut records = Vec::with_capacity(len);
        let mut facets = Vec::with_capacity(len);
        let mut templates = Vec::with_capacity(len);
        let mut shapes = Vec::with_capacity(len);
        let mut firsts: Vec<u32> = Vec::new();
        for (i, it) in items.iter().enumerate() {
            if i == 0 || items[i - 1].key != it.key {
                set(i);
                firsts.push(i as u32);
                // Keys arrive sorted and distinct: insertion cannot fail.
                let _ = builder.insert(it.key.as_bytes(), i as u64);
            }
            records.push(it.record);
            facets.push(u64::from(it.facet));
            let t = template::encode(&it.raw, &it.key);
            let id = match template_ids.get(&t) {
                Some(&id) => id,
                None => {
                    let id = template_texts.len() as u64;
                    template_ids.insert(t.clone(), id);
                    template_texts.push(t);
                    id
                }
            };
            templates.push(id);
            shapes.push(u64::from(it.shape));
        }
        set(len);
        let grams = Grams::build(
            firsts
                .iter()
                .map(|&i| (i, items[i as usize].key.as_bytes())),
        );
        let mut bytes = builder.into_inner().unwrap_or_default();
        bytes.shrink_to_fit();
        let fst = fst::Map::new(bytes).unwrap_or_default();
        Base {
            fst,
            starts,
            len,
            records: Packed::new(&records),
            facets: Packed::new(&facets),
            templates: Packed::new(&templates),
            shapes: Packed::new(&shapes),
            template_texts,
            grams,
        }
    }

    /// One past the last entry of the key whose first entry is `first`.
    pub fn key_end(&self, first: usize) -> usize {
        let mut i = first + 1;
        while i < self.len {
            let word = self.starts.get(i / 64).copied().unwrap_or(u64::MAX) >> (i % 64);
            if word != 0 {
                return (i + word.trailing_zeros() as usize).min(self.len);
            }
            i = (i / 64 + 1) * 64;
        }
        self.len
    }

    pub fn raw(&self, i: usize, key: &str) -> String {
        let t = self.templates.get(i) as usize;
        template::decode(self.template_texts.get(t).map_or("", String::as_str), key)
    }

    /// The key whose first entry is `first`.
    pub fn key_of(&self, first: u32) -> Option<String> {
        let bytes = self.fst.as_fst().get_key(u64::from(first))?;
        String::from_utf8(bytes).ok()
    }

    fn memory(&self) -> Memory {
        Memory {
            fst: self.fst.as_fst().as_bytes().len(),
            columns: self.starts.capacity() * 8
                + self.records.heap_bytes()
                + self.facets.heap_bytes()
                + self.templates.heap_bytes()
                + self.shapes.heap_bytes(),
            grams: self.grams.heap_bytes(),
            tables: self
                .template_texts
                .iter()
                .map(|t| t.capacity() + 24)
                .sum::<usize>(),
            additions: 0,
        }
    }
}

/// Bytes an index holds on the heap, by part (capacities summed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// The fst's bytes.
    pub fst: usize,
    /// The starts bitset and the packed record, facet and template columns.
    pub columns: usize,
    /// The 4-gram index.
    pub grams: usize,
    /// Facets, shapes, counts and templates.
    pub tables: usize,
    /// Additions and tombstones.
    pub additions: usize,
}

impl Memory {
    pub fn total(&self) -> usize {
        self.fst + self.columns + self.grams + self.tables + self.additions
    }
}

/// The serial index. See the crate documentation for the matching rules.
#[derive(Clone, Debug)]
pub struct SerialIndex {
    pub(crate) base: Base,
    pub(crate) delta: BTreeMap<Vec<u8>, Vec<DeltaEntry>>,
    pub(crate) delta_len: usize,
    pub(crate) tombstones: RoaringBitmap,
    pub(crate) dicts: Dicts,
    pub(crate) generation: u64,
    pub(crate) merge_threshold: Option<usize>,
}

/// Collects index entries into a new [`SerialIndex`].
#[derive(Debug, Default)]
pub struct IndexBuilder {
    items: Vec<Item>,
    dicts: Dicts,
}

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    pub fn add(&mut self, e: Entry) {
        let facet = self.dicts.facet(Facet::of(&e));
        let shape = self.dicts.count_in(facet, &e.raw);
        self.items.push(Item {
            key: match_key(&e.raw).into_boxed_str(),
            raw: e.raw.into_boxed_str(),
            record: e.record.id,
            facet,
            shape,
        });
    }

    pub fn build(self) -> SerialIndex {
        SerialIndex {
            base: Base::build(self.items),
            delta: BTreeMap::new(),
            delta_len: 0,
            tombstones: RoaringBitmap::new(),
            dicts: self.dicts,
            generation: 0,
            merge_threshold: None,
        }
    }
}

impl Extend<Entry> for IndexBuilder {
    fn extend<T: IntoIterator<Item = Entry>>(&mut self, iter: T) {
        for e in iter {
            self.add(e);
        }
    }
}

/// The Levenshtein automaton builders (building one takes milliseconds, so each is made once).
fn lev_builder(edits: u8, transpositions: bool) -> &'static LevenshteinAutomatonBuilder {
    static B: [OnceLock<LevenshteinAutomatonBuilder>; 6] = [const { OnceLock::new() }; 6];
    let i = usize::from(edits.min(2)) * 2 + usize::from(transpositions);
    B[i].get_or_init(|| LevenshteinAutomatonBuilder::new(edits.min(2), transpositions))
}

/// Checks that a pattern can be searched with these options.
pub(crate) fn check_options(pattern: &Pattern, opts: &SearchOptions) -> Result<(), PatternError> {
    if opts.max_edits > 2 {
        return Err(PatternError::TooManyEdits(opts.max_edits));
    }
    if opts.max_edits > 0 {
        match pattern {
            Pattern::Serial(p) if !p.is_plain() => return Err(PatternError::EditsWithWildcards),
            Pattern::Serial(_) => {}
            _ => return Err(PatternError::EditsNotApplicable),
        }
    }
    Ok(())
}

/// The longest run of clear characters in a pattern's tokens, as match-key bytes.
fn longest_literal(tokens: &[Token]) -> String {
    let mut best = String::new();
    let mut cur = String::new();
    for t in tokens {
        if let Token::Char(c) = t {
            cur.push(*c);
            if cur.chars().count() > best.chars().count() {
                best = cur.clone();
            }
        } else {
            cur.clear();
        }
    }
    best
}

/// Where a candidate's entries are.
enum Source<'a> {
    Base(usize),
    Delta(&'a [DeltaEntry]),
}

/// A match before it is written out: ranked on these, then only the ones kept get their
/// reading, shape and strings.
struct Hit {
    kind: MatchKind,
    expected: f64,
    /// Its key, in the collector's `keys`.
    key: u32,
    raw: String,
    record: u64,
    facet: Facet,
    shape: u32,
    population: u64,
}

/// Turns candidate keys into hits, applying the filter and the tombstones.
struct Collector<'a> {
    index: &'a SerialIndex,
    pattern: &'a Pattern,
    filter: &'a Filter,
    keys: Vec<String>,
    hits: Vec<Hit>,
    /// Populations by (context, shape number).
    populations: HashMap<(u32, u32), u64>,
}

impl Collector<'_> {
    /// Adds the visible entries under `key`; `kind` classes each one from its raw text.
    fn add(&mut self, key: &str, src: Source<'_>, kind: &dyn Fn(&str) -> MatchKind) {
        let mut key_no = None;
        let key_len = key.chars().count();
        match src {
            Source::Base(first) => {
                let base = &self.index.base;
                for i in first..base.key_end(first) {
                    if self.index.tombstones.contains(i as u32) {
                        continue;
                    }
                    let facet = base.facets.get(i) as u32;
                    let Some(f) = self.index.dicts.facets.get(facet as usize).copied() else {
                        continue;
                    };
                    if !self.filter.allows(&f) {
                        continue;
                    }
                    let shape = base.shapes.get(i) as u32;
                    let k = self.key_no(&mut key_no, key);
                    let raw = base.raw(i, key);
                    self.push(k, key_len, raw, base.records.get(i), f, shape, kind);
                }
            }
            Source::Delta(entries) => {
                for e in entries {
                    let Some(f) = self.index.dicts.facets.get(e.facet as usize).copied() else {
                        continue;
                    };
                    if !self.filter.allows(&f) {
                        continue;
                    }
                    let k = self.key_no(&mut key_no, key);
                    self.push(k, key_len, e.raw.clone(), e.record, f, e.shape, kind);
                }
            }
        }
    }

    /// The key's number in `keys`, adding it the first time.
    fn key_no(&mut self, no: &mut Option<u32>, key: &str) -> u32 {
        *no.get_or_insert_with(|| {
            self.keys.push(key.to_string());
            (self.keys.len() - 1) as u32
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        key: u32,
        key_len: usize,
        raw: String,
        record: u64,
        facet: Facet,
        shape: u32,
        kind: &dyn Fn(&str) -> MatchKind,
    ) {
        let kind = kind(&raw);
        let index = self.index;
        let filter = self.filter;
        let population = *self
            .populations
            .entry((facet.context.id, shape))
            .or_insert_with(|| index.population(facet.context.id, shape, filter));
        let expected = expected_chance_matches(self.pattern, kind, key_len, population);
        self.hits.push(Hit {
            kind,
            expected,
            key,
            raw,
            record,
            facet,
            shape,
            population,
        });
    }

    /// Ranks the hits and writes out the first `limit` as matches.
    fn finish(self, limit: Option<usize>) -> Found {
        let Collector {
            index,
            keys,
            mut hits,
            ..
        } = self;
        fn order<'h>(keys: &'h [String], h: &'h Hit) -> Order<'h> {
            Order {
                kind: h.kind,
                expected: h.expected,
                key: keys.get(h.key as usize).map_or("", String::as_str),
                raw: &h.raw,
                context: h.facet.context,
                record: RecordRef {
                    kind: h.facet.kind,
                    id: h.record,
                },
                group: h.facet.group,
                role: h.facet.role,
            }
        }
        hits.sort_by(|a, b| order(&keys, a).cmp(&order(&keys, b)));
        let total = hits.len();
        hits.truncate(limit.unwrap_or(usize::MAX));
        let matches = hits
            .into_iter()
            .map(|h| Match {
                kind: h.kind,
                key: keys.get(h.key as usize).cloned().unwrap_or_default(),
                reading: reading(&h.raw),
                raw: h.raw,
                shape: index
                    .dicts
                    .shapes
                    .get(h.shape as usize)
                    .cloned()
                    .unwrap_or_default(),
                context: h.facet.context,
                record: RecordRef {
                    kind: h.facet.kind,
                    id: h.record,
                },
                role: h.facet.role,
                group: h.facet.group,
                population: h.population,
                expected_chance_matches: h.expected,
            })
            .collect();
        Found { matches, total }
    }
}

impl Default for SerialIndex {
    fn default() -> SerialIndex {
        SerialIndex::new()
    }
}

impl SerialIndex {
    /// An empty index.
    pub fn new() -> SerialIndex {
        SerialIndex {
            base: Base::empty(),
            delta: BTreeMap::new(),
            delta_len: 0,
            tombstones: RoaringBitmap::new(),
            dicts: Dicts::default(),
            generation: 0,
            merge_threshold: None,
        }
    }

    /// Builds an index from entries.
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> SerialIndex {
        let mut b = IndexBuilder::new();
        b.extend(entries);
        b.build()
    }

    /// The caller's change sequence number this index is current to (0 until set).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }

    /// Entries indexed (removed ones not counted).
    pub fn len(&self) -> usize {
        self.base.len - self.tombstones.len() as usize + self.delta_len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries added or removed since the base was built.
    pub fn pending_changes(&self) -> usize {
        self.delta_len + self.tombstones.len() as usize
    }

    /// Sets how many pending changes trigger a merge (`None`: the default,
    /// `max(65 536, base entries / 16)`).
    pub fn set_merge_threshold(&mut self, threshold: Option<usize>) {
        self.merge_threshold = threshold;
    }

    fn threshold(&self) -> usize {
        self.merge_threshold
            .unwrap_or_else(|| (self.base.len / 16).max(65_536))
    }

    /// Adds an entry; merges when the pending changes pass the threshold.
    pub fn add(&mut self, e: Entry) {
        let facet = self.dicts.facet(Facet::of(&e));
        let shape = self.dicts.count_in(facet, &e.raw);
        let key = match_key(&e.raw).into_bytes();
        self.delta.entry(key).or_default().push(DeltaEntry {
            raw: e.raw,
            record: e.record.id,
            facet,
            shape,
        });
        self.delta_len += 1;
        self.merge_if_due();
    }

    /// Removes the entries of `record` whose match key is that of `raw` (the serial as it was
    /// indexed); returns how many were removed.
    pub fn remove(&mut self, raw: &str, record: RecordRef) -> usize {
        let key = match_key(raw);
        let facets = &self.dicts.facets;
        let is_it = |rec: u64, facet: u32| {
            rec == record.id
                && facets
                    .get(facet as usize)
                    .is_some_and(|f| f.kind == record.kind)
        };
        let mut gone: Vec<(u32, u32)> = Vec::new();
        if let Some(list) = self.delta.get_mut(key.as_bytes()) {
            list.retain(|e| {
                let hit = is_it(e.record, e.facet);
                if hit {
                    gone.push((e.facet, e.shape));
                }
                !hit
            });
            if list.is_empty() {
                self.delta.remove(key.as_bytes());
            }
            self.delta_len -= gone.len();
        }
        if let Some(first) = self.base.fst.get(key.as_bytes()) {
            let first = first as usize;
            for i in first..self.base.key_end(first) {
                let facet = self.base.facets.get(i) as u32;
                if !self.tombstones.contains(i as u32) && is_it(self.base.records.get(i), facet) {
                    self.tombstones.insert(i as u32);
                    gone.push((facet, self.base.shapes.get(i) as u32));
                }
            }
        }
        let removed = gone.len();
        for (facet, shape) in gone {
            self.dicts.count(facet, shape, -1);
        }
        self.merge_if_due();
        removed
    }

    fn merge_if_due(&mut self) {
        if self.pending_changes() > self.threshold() {
            self.merge();
        }
    }

    /// Folds the additions and removals into a new base.
    pub fn merge(&mut self) {
        if self.pending_changes() == 0 {
            return;
        }
        let mut items = Vec::with_capacity(self.len());
        let mut stream = self.base.fst.stream();
        while let Some((key, first)) = stream.next() {
            let key = String::from_utf8_lossy(key).into_owned();
            let first = first as usize;
            for i in first..self.base.key_end(first) {
                if self.tombstones.contains(i as u32) {
                    continue;
                }
                items.push(Item {
                    raw: self.base.raw(i, &key).into_boxed_str(),
                    key: key.clone().into_boxed_str(),
                    record: self.base.records.get(i),
                    facet: self.base.facets.get(i) as u32,
                    shape: self.base.shapes.get(i) as u32,
                });
            }
        }
        for (key, list) in std::mem::take(&mut self.delta) {
            let key = String::from_utf8_lossy(&key).into_owned();
            for e in list {
                items.push(Item {
                    key: key.clone().into_boxed_str(),
                    raw: e.raw.into_boxed_str(),
                    record: e.record,
                    facet: e.facet,
                    shape: e.shape,
                });
            }
        }
        self.base = Base::build(items);
        self.delta_len = 0;
        self.tombstones = RoaringBitmap::new();
    }

    /// The visible entries of `context` with `shape`.
    fn population(&self, context: u32, s: u32, filter: &Filter) -> u64 {
        self.dicts.by_context.get(&context).map_or(0, |facets| {
            facets
                .iter()
                .filter(|&&f| {
                    self.dicts
                        .facets
                        .get(f as usize)
                        .is_some_and(|f| filter.groups.allows(f.group))
                })
                .map(|&f| self.dicts.counts.get(&(f, s)).copied().unwrap_or(0))
                .sum()
        })
    }

    /// Searches: every visible entry that matches, ranked (see the crate documentation).
    pub fn search(
        &self,
        pattern: &Pattern,
        opts: &SearchOptions,
        filter: &Filter,
    ) -> Result<Found, PatternError> {
        check_options(pattern, opts)?;
        let mut c = Collector {
            index: self,
            pattern,
            filter,
            keys: Vec::new(),
            hits: Vec::new(),
            populations: HashMap::default(),
        };
        match pattern {
            Pattern::Serial(p) => match p.plain_key() {
                Some(key) if opts.max_edits == 0 => {
                    let kind = |raw: &str| serial_kind(p, key, raw, 0);
                    if let Some(first) = self.base.fst.get(key.as_bytes()) {
                        c.add(key, Source::Base(first as usize), &kind);
                    }
                    if let Some(list) = self.delta.get(key.as_bytes()) {
                        c.add(key, Source::Delta(list), &kind);
                    }
                }
                Some(query) => {
                    let dfa = lev_builder(opts.max_edits, opts.transpositions).build_dfa(query);
                    let dist = |k: &[u8]| match dfa.eval(k) {
                        Distance::Exact(d) => d,
                        Distance::AtLeast(d) => d,
                    };
                    let mut stream = self.base.fst.search(&dfa).into_stream();
                    while let Some((k, first)) = stream.next() {
                        let key = String::from_utf8_lossy(k).into_owned();
                        let d = dist(k);
                        let kind = |raw: &str| serial_kind(p, &key, raw, d);
                        c.add(&key, Source::Base(first as usize), &kind);
                    }
                    walk(&self.delta, &dfa, |k, list| {
                        let key = String::from_utf8_lossy(k).into_owned();
                        let d = dist(k);
                        let kind = |raw: &str| serial_kind(p, &key, raw, d);
                        c.add(&key, Source::Delta(list), &kind);
                    });
                }
                None => {
                    let aut = Wildcard::new(&p.tokens);
                    let literal = longest_literal(&p.tokens);
                    let leading_run = p.tokens.first() == Some(&Token::Run);
                    if leading_run && literal.len() >= GRAM {
                        for first in &self.base.grams.candidates(literal.as_bytes()) {
                            let Some(key) = self.base.key_of(first) else {
                                continue;
                            };
                            if wildcard_matches(&p.tokens, &key) {
                                let kind = |raw: &str| serial_kind(p, &key, raw, 0);
                                c.add(&key, Source::Base(first as usize), &kind);
                            }
                        }
                    } else {
                        let mut stream = self.base.fst.search(&aut).into_stream();
                        while let Some((k, first)) = stream.next() {
                            let key = String::from_utf8_lossy(k).into_owned();
                            let kind = |raw: &str| serial_kind(p, &key, raw, 0);
                            c.add(&key, Source::Base(first as usize), &kind);
                        }
                    }
                    let mut delta = |k: &[u8], list: &Vec<DeltaEntry>| {
                        let key = String::from_utf8_lossy(k).into_owned();
                        let kind = |raw: &str| serial_kind(p, &key, raw, 0);
                        c.add(&key, Source::Delta(list), &kind);
                    };
                    if leading_run {
                        for (k, list) in &self.delta {
                            let key = String::from_utf8_lossy(k);
                            if wildcard_matches(&p.tokens, &key) {
                                delta(k, list);
                            }
                        }
                    } else {
                        walk(&self.delta, &aut, delta);
                    }
                }
            },
            Pattern::Fragment(f) => {
                let kind = |_: &str| MatchKind::Fragment;
                for first in &self.base.grams.candidates(f.key.as_bytes()) {
                    let Some(key) = self.base.key_of(first) else {
                        continue;
                    };
                    if key.contains(f.key.as_str()) {
                        c.add(&key, Source::Base(first as usize), &kind);
                    }
                }
                for (k, list) in &self.delta {
                    let key = String::from_utf8_lossy(k);
                    if key.contains(f.key.as_str()) {
                        c.add(&key, Source::Delta(list), &kind);
                    }
                }
            }
            Pattern::Range(r) => {
                let kind = |_: &str| MatchKind::Range;
                for len in r.lengths() {
                    let mut lo = r.prefix.clone();
                    lo.extend(std::iter::repeat_n('0', len - r.lo.len()));
                    lo.push_str(&r.lo);
                    let mut hi = r.prefix.clone();
                    if len == r.hi.len() {
                        hi.push_str(&r.hi);
                    } else {
                        hi.extend(std::iter::repeat_n('9', len));
                    }
                    let aut = DigitTail {
                        prefix: r.prefix.as_bytes(),
                        len,
                    };
                    let mut stream = self.base.fst.search(&aut).ge(&lo).le(&hi).into_stream();
                    while let Some((k, first)) = stream.next() {
                        let key = String::from_utf8_lossy(k).into_owned();
                        if range_matches(r, &key) {
                            c.add(&key, Source::Base(first as usize), &kind);
                        }
                    }
                    let bounds = (
                        std::ops::Bound::Included(lo.into_bytes()),
                        std::ops::Bound::Included(hi.into_bytes()),
                    );
                    for (k, list) in self.delta.range::<Vec<u8>, _>(bounds) {
                        let key = String::from_utf8_lossy(k);
                        if key.chars().count() == r.prefix.chars().count() + len
                            && range_matches(r, &key)
                        {
                            c.add(&key, Source::Delta(list), &kind);
                        }
                    }
                }
            }
        }
        Ok(c.finish(opts.limit))
    }

    /// Bytes the index holds on the heap, by part (capacities summed).
    pub fn memory(&self) -> Memory {
        let delta: usize = self
            .delta
            .iter()
            .map(|(k, v)| {
                k.capacity()
                    + 64
                    + v.iter()
                        .map(|e| e.raw.capacity() + size_of::<DeltaEntry>())
                        .sum::<usize>()
            })
            .sum();
        let mut m = self.base.memory();
        m.tables += self.dicts.heap_bytes();
        m.additions = delta + self.tombstones.serialized_size();
        m
    }

    /// Every live entry: the base's in key order, then the additions' in key order.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::with_capacity(self.len());
        let facet = |f: u32| self.dicts.facets.get(f as usize).copied();
        let entry = |raw: String, record: u64, f: Facet| Entry {
            context: f.context,
            raw,
            record: RecordRef {
                kind: f.kind,
                id: record,
            },
            role: f.role,
            group: f.group,
        };
        let mut stream = self.base.fst.stream();
        while let Some((key, first)) = stream.next() {
            let key = String::from_utf8_lossy(key).into_owned();
            let first = first as usize;
            for i in first..self.base.key_end(first) {
                if self.tombstones.contains(i as u32) {
                    continue;
                }
                if let Some(f) = facet(self.base.facets.get(i) as u32) {
                    out.push(entry(self.base.raw(i, &key), self.base.records.get(i), f));
                }
            }
        }
        for list in self.delta.values() {
            for e in list {
                if let Some(f) = facet(e.facet) {
                    out.push(entry(e.raw.clone(), e.record, f));
                }
            }
        }
        out
    }
}
