//! Saving and loading the index.
//!
//! File format, version 1 (integers little-endian): the magic `ARMTSERI`, the version (u32),
//! the payload's length (u64) and its CRC-32 (u32), then the payload: the generation, the merge
//! threshold, the facet and shape tables, the live counts, the base (fst bytes, starts bitset,
//! packed columns, templates, 4-gram index), the tombstones (a serialized roaring bitmap) and the
//! additions. Every length is checked before it is used and every number that indexes another
//! table is checked against it: a damaged or truncated file is a [`LoadError`], never a panic.
//! A file of another version is refused; the store rebuilds the index from its records.

use crate::entry::{Context, Facet, MarkingRole, RecordKind};
use crate::error::LoadError;
use crate::grams::Grams;
use crate::index::{Base, DeltaEntry, Dicts, SerialIndex};
use crate::packed::Packed;
use roaring::RoaringBitmap;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ARMTSERI";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

struct Out(Vec<u8>);

impl Out {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn opt(&mut self, v: Option<u32>) {
        self.u8(u8::from(v.is_some()));
        self.u32(v.unwrap_or(0));
    }
    fn words(&mut self, w: &[u64]) {
        self.u64(w.len() as u64);
        for &x in w {
            self.u64(x);
        }
    }
    fn packed(&mut self, p: &Packed) {
        self.u32(p.width);
        self.u64(p.len as u64);
        self.words(&p.words);
    }
}

struct In<'a> {
    b: &'a [u8],
}

fn damaged(what: &'static str) -> LoadError {
    LoadError::Damaged { what }
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], LoadError> {
        if n > self.b.len() {
            return Err(damaged(what));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, LoadError> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, LoadError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, LoadError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A count of items of at least `size` bytes each, checked against what is left.
    fn count(&mut self, size: usize, what: &'static str) -> Result<usize, LoadError> {
        let n = self.u64(what)?;
        if n > (self.b.len() / size.max(1)) as u64 {
            return Err(damaged(what));
        }
        Ok(n as usize)
    }
    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], LoadError> {
        let n = self.count(1, what)?;
        self.take(n, what)
    }
    fn string(&mut self, what: &'static str) -> Result<String, LoadError> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| damaged(what))
    }
    fn opt(&mut self, what: &'static str) -> Result<Option<u32>, LoadError> {
        let flag = self.u8(what)?;
        let v = self.u32(what)?;
        match flag {
            0 => Ok(None),
            1 => Ok(Some(v)),
            _ => Err(damaged(what)),
        }
    }
    fn words(&mut self, what: &'static str) -> Result<Vec<u64>, LoadError> {
        let n = self.count(8, what)?;
        (0..n).map(|_| self.u64(what)).collect()
    }
    fn packed(&mut self, what: &'static str) -> Result<Packed, LoadError> {
        let width = self.u32(what)?;
        let len = self.u64(what)? as usize;
        let words = self.words(what)?;
        let p = Packed { width, len, words };
        if width > 64 || !p.is_consistent() {
            return Err(damaged(what));
        }
        Ok(p)
    }
}

impl SerialIndex {
    /// Writes the index (format [`FORMAT_VERSION`]).
    pub fn save(&self, mut w: impl Write) -> std::io::Result<()> {
        let mut o = Out(Vec::new());
        o.u64(self.generation);
        o.u8(u8::from(self.merge_threshold.is_some()));
        o.u64(self.merge_threshold.unwrap_or(0) as u64);
        let d = &self.dicts;
        o.u64(d.facets.len() as u64);
        for f in &d.facets {
            o.u32(f.context.id);
            o.opt(f.context.maker);
            o.opt(f.context.model);
            o.u32(f.group);
            o.u8(f.kind.code());
            o.u8(f.role.code());
        }
        o.u64(d.shapes.len() as u64);
        for s in &d.shapes {
            o.bytes(s.as_bytes());
        }
        let mut counts: Vec<(&(u32, u32), &u64)> =
            d.counts.iter().filter(|(_, n)| **n > 0).collect();
        counts.sort();
        o.u64(counts.len() as u64);
        for (&(f, s), &n) in counts {
            o.u32(f);
            o.u32(s);
            o.u64(n);
        }
        let b = &self.base;
        o.u64(b.len as u64);
        o.bytes(b.fst.as_fst().as_bytes());
        o.words(&b.starts);
        o.packed(&b.records);
        o.packed(&b.facets);
        o.packed(&b.templates);
        o.packed(&b.shapes);
        o.u64(b.template_texts.len() as u64);
        for t in &b.template_texts {
            o.bytes(t.as_bytes());
        }
        o.u64(b.grams.codes.len() as u64);
        for &c in &b.grams.codes {
            o.u32(c);
        }
        o.words(&b.grams.offsets);
        o.bytes(&b.grams.arena);
        let mut tomb = Vec::new();
        self.tombstones.serialize_into(&mut tomb)?;
        o.bytes(&tomb);
        o.u64(self.delta_len as u64);
        for list in self.delta.values() {
            for e in list {
                o.bytes(e.raw.as_bytes());
                o.u64(e.record);
                o.u32(e.facet);
                o.u32(e.shape);
            }
        }
        let payload = o.0;
        w.write_all(MAGIC)?;
        w.write_all(&FORMAT_VERSION.to_le_bytes())?;
        w.write_all(&(payload.len() as u64).to_le_bytes())?;
        w.write_all(&crc32fast::hash(&payload).to_le_bytes())?;
        w.write_all(&payload)?;
        w.flush()
    }

    /// Writes the index to `path` through a temporary file beside it, renamed into place, so the
    /// file is always a complete index.
    pub fn save_to_path(&self, path: &Path) -> std::io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        {
            let f = std::fs::File::create(&tmp)?;
            let mut w = std::io::BufWriter::new(f);
            self.save(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }

    /// Reads an index written by [`SerialIndex::save`].
    pub fn load(mut r: impl Read) -> Result<SerialIndex, LoadError> {
        let mut all = Vec::new();
        r.read_to_end(&mut all)?;
        Self::from_bytes(&all)
    }

    pub fn load_from_path(path: &Path) -> Result<SerialIndex, LoadError> {
        Self::from_bytes(&std::fs::read(path)?)
    }

    /// Reads an index from the bytes of a file.
    pub fn from_bytes(all: &[u8]) -> Result<SerialIndex, LoadError> {
        let mut i = In { b: all };
        let magic = i.take(8, "header").map_err(|_| LoadError::NotAnIndex)?;
        if magic != MAGIC {
            return Err(LoadError::NotAnIndex);
        }
        let version = i.u32("header")?;
        if version != FORMAT_VERSION {
            return Err(LoadError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let len = i.u64("header")?;
        let crc = i.u32("header")?;
        if len != i.b.len() as u64 {
            return Err(damaged("its length does not match its header"));
        }
        if crc32fast::hash(i.b) != crc {
            return Err(damaged("checksum mismatch"));
        }
        let index = read_payload(&mut i)?;
        if !i.b.is_empty() {
            return Err(damaged("bytes after the end"));
        }
        Ok(index)
    }
}

fn read_payload(i: &mut In<'_>) -> Result<SerialIndex, LoadError> {
    let generation = i.u64("generation")?;
    let has_threshold = i.u8("merge threshold")?;
    let threshold = i.u64("merge threshold")?;
    let merge_threshold = match has_threshold {
        0 => None,
        1 => Some(usize::try_from(threshold).map_err(|_| damaged("merge threshold"))?),
        _ => return Err(damaged("merge threshold")),
    };
    let mut dicts = Dicts::default();
    let n = i.count(19, "facets")?;
    for _ in 0..n {
        let id = i.u32("facets")?;
        let maker = i.opt("facets")?;
        let model = i.opt("facets")?;
        let group = i.u32("facets")?;
        let kind = RecordKind::from_code(i.u8("facets")?).ok_or(damaged("facets"))?;
        let role = MarkingRole::from_code(i.u8("facets")?).ok_or(damaged("facets"))?;
        dicts.facets.push(Facet {
            context: Context { id, maker, model },
            group,
            kind,
            role,
        });
    }
    let n = i.count(8, "shapes")?;
    for _ in 0..n {
        dicts.shapes.push(i.string("shapes")?);
    }
    let n = i.count(16, "counts")?;
    for _ in 0..n {
        let f = i.u32("counts")?;
        let s = i.u32("counts")?;
        let c = i.u64("counts")?;
        if f as usize >= dicts.facets.len() || s as usize >= dicts.shapes.len() {
            return Err(damaged("counts"));
        }
        dicts.counts.insert((f, s), c);
    }
    dicts.reindex();
    if dicts.facet_ids.len() != dicts.facets.len() || dicts.shape_ids.len() != dicts.shapes.len() {
        return Err(damaged("repeated facets or shapes"));
    }

    let len = usize::try_from(i.u64("base")?).map_err(|_| damaged("base"))?;
    let fst_bytes = i.bytes("fst")?.to_vec();
    let fst = fst::Map::new(fst_bytes).map_err(|_| damaged("fst"))?;
    fst.as_fst().verify().map_err(|_| damaged("fst checksum"))?;
    if fst.len() > len || len > u32::MAX as usize {
        return Err(damaged("fst"));
    }
    let starts = i.words("starts")?;
    if starts.len() != (len + 1).div_ceil(64) {
        return Err(damaged("starts"));
    }
    let records = i.packed("records")?;
    let facets = i.packed("facet column")?;
    let templates = i.packed("template column")?;
    let shapes = i.packed("shape column")?;
    if records.len != len || facets.len != len || templates.len != len || shapes.len != len {
        return Err(damaged("columns"));
    }
    let n = i.count(8, "templates")?;
    let mut template_texts = Vec::with_capacity(n);
    for _ in 0..n {
        template_texts.push(i.string("templates")?);
    }
    if (0..len).any(|e| {
        facets.get(e) as usize >= dicts.facets.len()
            || templates.get(e) as usize >= template_texts.len()
    }) {
        return Err(damaged("columns"));
    }
    let n = i.count(4, "grams")?;
    let codes = (0..n)
        .map(|_| i.u32("grams"))
        .collect::<Result<Vec<_>, _>>()?;
    let offsets = i.words("grams")?;
    let arena = i.bytes("grams")?.to_vec();
    let grams = Grams {
        codes,
        offsets,
        arena,
    };
    if !grams.check(len as u64) {
        return Err(damaged("grams"));
    }
    let tomb = i.bytes("tombstones")?;
    let tombstones = RoaringBitmap::deserialize_from(tomb).map_err(|_| damaged("tombstones"))?;
    if tombstones.max().is_some_and(|m| m as usize >= len) {
        return Err(damaged("tombstones"));
    }
    let n = i.count(24, "additions")?;
    let mut delta: BTreeMap<Vec<u8>, Vec<DeltaEntry>> = BTreeMap::new();
    for _ in 0..n {
        let raw = i.string("additions")?;
        let record = i.u64("additions")?;
        let facet = i.u32("additions")?;
        let shape = i.u32("additions")?;
        if facet as usize >= dicts.facets.len() || shape as usize >= dicts.shapes.len() {
            return Err(damaged("additions"));
        }
        delta
            .entry(crate::normalise::match_key(&raw).into_bytes())
            .or_default()
            .push(DeltaEntry {
                raw,
                record,
                facet,
                shape,
            });
    }
    Ok(SerialIndex {
        base: Base {
            fst,
            starts,
            len,
            records,
            facets,
            templates,
            shapes,
            template_texts,
            grams,
        },
        delta,
        delta_len: n,
        tombstones,
        dicts,
        generation,
        merge_threshold,
    })
}
