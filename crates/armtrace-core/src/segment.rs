//! How transfers are stored: in segments, each a compact binary block of up to
//! [`SEGMENT_ROWS`] transfers that share a release, a recipient and a supplier.
//!
//! Registers are large (a stress-scale dataset holds ten million transfers) and every question
//! analysts ask starts from a recipient or a supplier. Writing one database row (and four index
//! entries) per transfer made imports cost about 30 µs per record whatever the client did; a
//! segment costs one row for thousands of transfers, and the segments of one recipient or one
//! supplier are found through two small indexes on the segment table. Queries decode the segments
//! they need and compute in Rust, so both backends give the same answers by construction.
//!
//! A segment is `FORMAT`, the number of rows, then the rows. A row holds the fields a listing
//! shows and the figures queries sum, derived once at import exactly as the register states them
//! (numbers and TIV delivered, first and last delivery year, deliveries by year with armtrace's
//! even spread of older-format totals). Integers are LEB128 varints (signed ones zigzag-encoded).
//! Names, designations, descriptions, categories and file names repeat: each such field keeps the
//! last [`RECENT`] distinct values of the segment, and a value among them is written as its one-
//! byte position. Decoding checks every length and never panics on damaged bytes.

use crate::actor::Party;
use crate::transfer::{SourceType, Transfer, TransferKind, TransferStatus};

/// The encoding of the segments this build writes (the first byte of each). Format 2 differs
/// from 1 in two ways: the flag bits are in another order (those most rows set first, so they
/// take one byte), and a row whose numbers and TIV delivered and first and last delivery year
/// follow from its deliveries by year says so ([`DERIVED`]) instead of writing them.
const FORMAT: u8 = 2;
/// The first encoding, still read.
const FORMAT_1: u8 = 1;

/// Most transfers one segment holds.
pub const SEGMENT_ROWS: u32 = 4096;

/// Bytes of encoded transfers an import keeps in memory before it ends every pending segment.
/// More makes fewer, larger segments (a query for one party fetches fewer rows); at ten million
/// synthetic transfers over 22,500 pairs, 256 MB means about two segments per pair.
pub const BUFFER_BYTES: usize = 256 << 20;

/// Deliveries in one year, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct YearRow {
    pub year: i64,
    pub year_est: bool,
    pub number: Option<i64>,
    pub number_est: bool,
    pub tiv: Option<i64>,
    /// The number and TIV are armtrace's even spread of the deal's totals.
    pub spread: bool,
}

/// One stored transfer. Text borrows from the segment (or the transfer) it comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row<'a> {
    /// The transfer's number within its release.
    pub n: i64,
    pub record_key: &'a str,
    pub kind: &'static str,
    pub source_type: &'static str,
    pub supplier_name: &'a str,
    pub recipient_name: &'a str,
    pub designation: &'a str,
    pub description: Option<&'a str>,
    pub category: Option<&'a str>,
    pub order_year: Option<i64>,
    pub order_year_est: bool,
    pub number_ordered: Option<i64>,
    pub number_ordered_est: bool,
    pub number_delivered: Option<i64>,
    pub number_delivered_est: bool,
    pub first_delivery: Option<i64>,
    pub last_delivery: Option<i64>,
    pub status: Option<&'static str>,
    pub local_production: bool,
    pub tiv_per_unit: Option<i64>,
    pub tiv_deal_unit: Option<i64>,
    pub tiv_total_order: Option<i64>,
    pub tiv_delivered: Option<i64>,
    pub deal_id: Option<i64>,
    /// Other measures (money) as JSON.
    pub values_json: Option<&'a str>,
    pub comments: Option<&'a str>,
    pub source_file: &'a str,
    pub source_line: i64,
    pub deliveries: Vec<YearRow>,
}

impl Row<'_> {
    /// The year a deal counts in on the order basis: its order year, else (native deliveries)
    /// its first delivery.
    pub fn order_basis_year(&self) -> Option<i64> {
        self.order_year.or(self.first_delivery)
    }

    /// Whether the transfer supplied anything (denials and licences did not).
    pub fn is_supply(&self) -> bool {
        matches!(self.kind, "order" | "delivery" | "trace_answer")
    }
}

/// A transfer's stored row, its derived figures computed as the register states them. `values`
/// is the transfer's other measures as JSON (built by the caller, which owns the text).
pub fn row_of<'a>(n: i64, t: &'a Transfer, values: Option<&'a str>) -> Row<'a> {
    let mut row = Row::default();
    fill_row(&mut row, n, t, values);
    row
}

/// [`row_of`] into an existing row, reusing its list of deliveries.
pub fn fill_row<'a>(row: &mut Row<'a>, n: i64, t: &'a Transfer, values: Option<&'a str>) {
    let s = t.sipri.as_ref();
    let mut deliveries = std::mem::take(&mut row.deliveries);
    deliveries.clear();
    deliveries.extend(t.yearly().into_iter().map(|y| YearRow {
        year: i64::from(y.year),
        year_est: y.year_is_estimate,
        number: y.number,
        number_est: y.number_is_estimate,
        tiv: y.tiv.map(|m| m.0),
        spread: y.spread,
    }));
    *row = Row {
        n,
        record_key: &t.record_key,
        kind: t.kind.as_str(),
        source_type: t.source_type.as_str(),
        supplier_name: &t.supplier_as_written,
        recipient_name: &t.recipient_as_written,
        designation: &t.designation,
        description: t.description.as_deref(),
        category: t.category.as_deref(),
        order_year: t.order_year.map(i64::from),
        order_year_est: t.order_year_is_estimate,
        number_ordered: t.number_ordered,
        number_ordered_est: t.number_ordered_is_estimate,
        number_delivered: t.number_delivered(),
        number_delivered_est: s.is_some_and(|s| s.number_delivered_is_estimate)
            || t.deliveries.iter().any(|d| d.number_is_estimate),
        first_delivery: t.deliveries.iter().map(|d| i64::from(d.year)).min(),
        last_delivery: t.deliveries.iter().map(|d| i64::from(d.year)).max(),
        status: t.status.map(|x| x.as_str()),
        local_production: t.local_production,
        tiv_per_unit: s.and_then(|s| s.tiv_per_unit).map(|m| m.0),
        tiv_deal_unit: s.and_then(|s| s.tiv_deal_unit).map(|m| m.0),
        tiv_total_order: s.and_then(|s| s.tiv_total_order).map(|m| m.0),
        tiv_delivered: t.tiv_delivered().map(|m| m.0),
        deal_id: s.and_then(|s| s.deal_id),
        values_json: values,
        comments: t.comments.as_deref(),
        source_file: &t.record.file,
        source_line: i64::try_from(t.record.line).unwrap_or(i64::MAX),
        deliveries,
    };
}

/// A stored segment was damaged (or written by a newer armtrace).
#[derive(Debug, thiserror::Error)]
#[error(
    "a stored transfer segment cannot be read ({0}): the database is damaged or was written by a newer armtrace"
)]
pub struct Damaged(pub &'static str);

// Flag bits of a row.
const ORDER_YEAR_EST: u32 = 1;
const NUMBER_ORDERED_EST: u32 = 1 << 1;
const NUMBER_DELIVERED_EST: u32 = 1 << 2;
const LOCAL_PRODUCTION: u32 = 1 << 3;
const HAS_DESCRIPTION: u32 = 1 << 4;
const HAS_CATEGORY: u32 = 1 << 5;
const HAS_ORDER_YEAR: u32 = 1 << 6;
const HAS_NUMBER_ORDERED: u32 = 1 << 7;
const HAS_NUMBER_DELIVERED: u32 = 1 << 8;
const HAS_FIRST_LAST: u32 = 1 << 9;
const HAS_STATUS: u32 = 1 << 10;
const HAS_TIV_PER_UNIT: u32 = 1 << 11;
const HAS_TIV_DEAL_UNIT: u32 = 1 << 12;
const HAS_TIV_TOTAL_ORDER: u32 = 1 << 13;
const HAS_TIV_DELIVERED: u32 = 1 << 14;
const HAS_DEAL_ID: u32 = 1 << 15;
const HAS_VALUES: u32 = 1 << 16;
const HAS_COMMENTS: u32 = 1 << 17;
/// (Format 2.) Number and TIV delivered, first and last delivery year are those the deliveries by
/// year give: not written, computed when read ([`from_deliveries`]).
const DERIVED: u32 = 1 << 18;

/// Format 2's flag bits: the flags above, by their position in the varint.
const FLAGS_2: [u32; 19] = [
    HAS_CATEGORY,
    DERIVED,
    HAS_DESCRIPTION,
    HAS_ORDER_YEAR,
    HAS_NUMBER_ORDERED,
    HAS_STATUS,
    LOCAL_PRODUCTION,
    HAS_NUMBER_DELIVERED,
    HAS_FIRST_LAST,
    HAS_TIV_DELIVERED,
    ORDER_YEAR_EST,
    NUMBER_ORDERED_EST,
    NUMBER_DELIVERED_EST,
    HAS_COMMENTS,
    HAS_TIV_PER_UNIT,
    HAS_TIV_DEAL_UNIT,
    HAS_TIV_TOTAL_ORDER,
    HAS_DEAL_ID,
    HAS_VALUES,
];

/// What a row's deliveries by year give: numbers delivered (their sum, if any year has one),
/// TIV delivered (likewise), first and last year. `None` without deliveries or on overflow.
fn from_deliveries(deliveries: &[YearRow]) -> Option<(Option<i64>, Option<i64>, i64, i64)> {
    let sum = |v: &mut dyn Iterator<Item = i64>| -> Option<Option<i64>> {
        let mut total: Option<i64> = None;
        for x in v {
            total = Some(total.unwrap_or(0).checked_add(x)?);
        }
        Some(total)
    };
    let first = deliveries.iter().map(|d| d.year).min()?;
    let last = deliveries.iter().map(|d| d.year).max()?;
    let number = sum(&mut deliveries.iter().filter_map(|d| d.number))?;
    let tiv = sum(&mut deliveries.iter().filter_map(|d| d.tiv))?;
    Some((number, tiv, first, last))
}

// Flag bits of a delivery year.
const Y_YEAR_EST: u8 = 1;
const Y_HAS_NUMBER: u8 = 1 << 1;
const Y_NUMBER_EST: u8 = 1 << 2;
const Y_HAS_TIV: u8 = 1 << 3;
const Y_SPREAD: u8 = 1 << 4;

/// The repeating text fields, each compared with its recent values.
const REPEATING: usize = 6;
/// How many recent distinct values of each repeating field a segment remembers.
const RECENT: usize = 8;
const SUPPLIER_NAME: usize = 0;
const RECIPIENT_NAME: usize = 1;
const DESIGNATION: usize = 2;
const DESCRIPTION: usize = 3;
const CATEGORY: usize = 4;
const SOURCE_FILE: usize = 5;

fn put_u(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_i(buf: &mut Vec<u8>, v: i64) {
    put_u(buf, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_bytes(buf: &mut Vec<u8>, s: &str) {
    put_u(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

/// The rows of one segment being written, after room for its header (see [`Pending::finish`]).
#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    rows: u32,
    last_n: i64,
    /// Each repeating field's recent values: where they sit in `buf`.
    recent: [Recent<(usize, usize)>; REPEATING],
    /// Rows staged by a [`SegmentWriter`]: each written whole (repeating fields as text, the
    /// number not relative to the row before), to be read back on its own.
    whole: bool,
}

// The header gives the number of rows as a two-byte varint, whatever it is, so that rows can be
// written after room for it and the segment handed on without copying.
const _: () = assert!(SEGMENT_ROWS < 1 << 14);

/// The last [`RECENT`] distinct values of a field, replaced in turn.
#[derive(Clone, Copy, Debug, Default)]
struct Recent<T> {
    values: [T; RECENT],
    filled: usize,
    next: usize,
}

impl<T: Copy> Recent<T> {
    fn add(&mut self, v: T) {
        self.values[self.next] = v;
        self.next = (self.next + 1) % RECENT;
        self.filled = (self.filled + 1).min(RECENT);
    }
}

impl Pending {
    fn put_repeating(&mut self, field: usize, s: &str) {
        if self.whole {
            put_u(&mut self.buf, (s.len() + RECENT) as u64);
            self.buf.extend_from_slice(s.as_bytes());
            return;
        }
        let recent = &self.recent[field];
        for (i, &(at, len)) in recent.values[..recent.filled].iter().enumerate() {
            if len == s.len() && self.buf.get(at..at + len) == Some(s.as_bytes()) {
                self.buf.push(i as u8);
                return;
            }
        }
        put_u(&mut self.buf, (s.len() + RECENT) as u64);
        let at = self.buf.len();
        self.buf.extend_from_slice(s.as_bytes());
        self.recent[field].add((at, s.len()));
    }

    fn push(&mut self, r: &Row<'_>) {
        // Rows come from `fill_row` or the stored vocabularies: their values are always known.
        let kind = TransferKind::ALL.iter().position(|k| k.as_str() == r.kind);
        let source = SourceType::ALL
            .iter()
            .position(|k| k.as_str() == r.source_type);
        debug_assert!(kind.is_some() && source.is_some(), "{r:?}");
        let status = r
            .status
            .and_then(|s| TransferStatus::ALL.iter().position(|k| k.as_str() == s));
        let mut flags = 0;
        for (on, bit) in [
            (r.order_year_est, ORDER_YEAR_EST),
            (r.number_ordered_est, NUMBER_ORDERED_EST),
            (r.number_delivered_est, NUMBER_DELIVERED_EST),
            (r.local_production, LOCAL_PRODUCTION),
            (r.description.is_some(), HAS_DESCRIPTION),
            (r.category.is_some(), HAS_CATEGORY),
            (r.order_year.is_some(), HAS_ORDER_YEAR),
            (r.number_ordered.is_some(), HAS_NUMBER_ORDERED),
            (r.number_delivered.is_some(), HAS_NUMBER_DELIVERED),
            (
                r.first_delivery.is_some() && r.last_delivery.is_some(),
                HAS_FIRST_LAST,
            ),
            (status.is_some(), HAS_STATUS),
            (r.tiv_per_unit.is_some(), HAS_TIV_PER_UNIT),
            (r.tiv_deal_unit.is_some(), HAS_TIV_DEAL_UNIT),
            (r.tiv_total_order.is_some(), HAS_TIV_TOTAL_ORDER),
            (r.tiv_delivered.is_some(), HAS_TIV_DELIVERED),
            (r.deal_id.is_some(), HAS_DEAL_ID),
            (r.values_json.is_some(), HAS_VALUES),
            (r.comments.is_some(), HAS_COMMENTS),
        ] {
            if on {
                flags |= bit;
            }
        }
        // Figures the deliveries give are not written.
        let derived = from_deliveries(&r.deliveries).is_some_and(|(number, tiv, first, last)| {
            (number, tiv, Some(first), Some(last))
                == (
                    r.number_delivered,
                    r.tiv_delivered,
                    r.first_delivery,
                    r.last_delivery,
                )
        });
        if derived {
            flags &= !(HAS_NUMBER_DELIVERED | HAS_TIV_DELIVERED | HAS_FIRST_LAST);
            flags |= DERIVED;
        }
        let wire = FLAGS_2
            .iter()
            .enumerate()
            .filter(|(_, bit)| flags & **bit != 0)
            .fold(0u64, |w, (i, _)| w | 1 << i);
        if self.buf.is_empty() && !self.whole {
            self.buf.extend_from_slice(&[FORMAT, 0x80, 0]);
        }
        let buf = &mut self.buf;
        put_i(
            buf,
            r.n - if self.rows == 0 || self.whole {
                0
            } else {
                self.last_n
            },
        );
        put_u(buf, wire);
        buf.push(kind.unwrap_or(0) as u8);
        buf.push(source.unwrap_or(0) as u8);
        put_bytes(buf, r.record_key);
        self.put_repeating(SUPPLIER_NAME, r.supplier_name);
        self.put_repeating(RECIPIENT_NAME, r.recipient_name);
        self.put_repeating(DESIGNATION, r.designation);
        if let Some(d) = r.description {
            self.put_repeating(DESCRIPTION, d);
        }
        if let Some(c) = r.category {
            self.put_repeating(CATEGORY, c);
        }
        self.put_repeating(SOURCE_FILE, r.source_file);
        // First and last delivery year are stored together or not at all.
        let (first, last) = match (r.first_delivery, r.last_delivery) {
            (Some(f), Some(l)) if !derived => (Some(f), Some(l)),
            _ => (None, None),
        };
        let (number_delivered, tiv_delivered) = if derived {
            (None, None)
        } else {
            (r.number_delivered, r.tiv_delivered)
        };
        let buf = &mut self.buf;
        for v in [
            r.order_year,
            r.number_ordered,
            number_delivered,
            first,
            last,
            r.tiv_per_unit,
            r.tiv_deal_unit,
            r.tiv_total_order,
            tiv_delivered,
            r.deal_id,
        ]
        .into_iter()
        .flatten()
        {
            put_i(buf, v);
        }
        if let Some(s) = status {
            buf.push(s as u8);
        }
        if let Some(v) = r.values_json {
            put_bytes(buf, v);
        }
        if let Some(c) = r.comments {
            put_bytes(buf, c);
        }
        put_i(buf, r.source_line);
        put_u(buf, r.deliveries.len() as u64);
        for y in &r.deliveries {
            let mut f = 0;
            for (on, bit) in [
                (y.year_est, Y_YEAR_EST),
                (y.number.is_some(), Y_HAS_NUMBER),
                (y.number_est, Y_NUMBER_EST),
                (y.tiv.is_some(), Y_HAS_TIV),
                (y.spread, Y_SPREAD),
            ] {
                if on {
                    f |= bit;
                }
            }
            buf.push(f);
            put_i(buf, y.year);
            if let Some(v) = y.number {
                put_i(buf, v);
            }
            if let Some(v) = y.tiv {
                put_i(buf, v);
            }
        }
        self.last_n = r.n;
        self.rows += 1;
    }

    /// The segment: its header (`FORMAT` and the number of rows as two varint bytes) in the
    /// room left for it, then the rows.
    fn finish(mut self) -> (i64, Vec<u8>) {
        if self.buf.is_empty() {
            return (0, vec![FORMAT, 0]);
        }
        self.buf[1] = 0x80 | (self.rows & 0x7f) as u8;
        self.buf[2] = (self.rows >> 7) as u8;
        (i64::from(self.rows), self.buf)
    }
}

/// A finished segment, ready to store. `recipient` and `supplier` are the caller's numbers for
/// the two parties (see [`SegmentWriter::push`]).
#[derive(Debug)]
pub struct Segment {
    pub recipient: u32,
    pub supplier: u32,
    pub rows: i64,
    pub data: Vec<u8>,
}

type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Groups rows into segments by recipient and supplier as they arrive, handing out segments as
/// they fill (and all pending ones when the buffer grows past its limit, [`BUFFER_BYTES`]
/// unless [`SegmentWriter::with_buffer`] says otherwise).
///
/// An import fills thousands of segments at once and consecutive rows rarely share one, so
/// encoding each row into its segment as it comes costs a cache miss at every step (the
/// segment's recent values, the text they point to, the end of its buffer). Rows are therefore
/// staged first, written whole one after another, and placed in their segments a few hundred
/// thousand at a time, segment by segment, when the stage is full: each segment is then
/// touched once per batch for all its rows. Encoding this way took half the time.
#[derive(Debug)]
pub struct SegmentWriter {
    pending: FastMap<(u32, u32), Pending>,
    buffered: usize,
    limit: usize,
    /// Rows not yet in their segments (see above), with the pair and where each starts.
    stage: Pending,
    staged: Vec<(u32, usize)>,
    stage_limit: usize,
    /// The staged rows' positions in pair order, kept between batches (a fresh one each time
    /// cost page faults).
    order: Vec<usize>,
    /// A dense number for each (recipient, supplier) pair, and the pairs by it.
    pair_numbers: FastMap<(u32, u32), u32>,
    pairs: Vec<(u32, u32)>,
    out: Vec<Segment>,
}

impl Default for SegmentWriter {
    fn default() -> Self {
        SegmentWriter::with_buffer(BUFFER_BYTES)
    }
}

impl SegmentWriter {
    /// A writer that keeps up to `bytes` of encoded rows before ending every pending segment
    /// (writers working side by side share [`BUFFER_BYTES`] between them). A quarter of that
    /// again stages rows on their way in.
    pub fn with_buffer(bytes: usize) -> Self {
        SegmentWriter {
            pending: FastMap::default(),
            buffered: 0,
            limit: bytes,
            stage: Pending {
                whole: true,
                ..Pending::default()
            },
            staged: Vec::new(),
            stage_limit: (bytes / 4).max(1),
            order: Vec::new(),
            pair_numbers: FastMap::default(),
            pairs: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Adds a row of the transfer from `supplier` to `recipient`, numbers the caller gives each
    /// distinct party (so that the per-record look-up hashes two integers, not two strings).
    pub fn push(&mut self, recipient: u32, supplier: u32, row: &Row<'_>) {
        let pairs = &mut self.pairs;
        let pair = *self
            .pair_numbers
            .entry((recipient, supplier))
            .or_insert_with(|| {
                pairs.push((recipient, supplier));
                (pairs.len() - 1) as u32
            });
        let at = self.stage.buf.len();
        self.stage.push(row);
        self.stage.rows = 0;
        self.staged.push((pair, at));
        if self.stage.buf.len() >= self.stage_limit {
            self.place();
            if self.buffered > self.limit {
                self.end_pending();
            }
        }
    }

    /// Moves the staged rows into their segments, pair by pair, in the order they came.
    fn place(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        // A counting sort by pair: `starts[p]..starts[p + 1]` of `order` are pair p's rows.
        let mut starts = vec![0usize; self.pairs.len() + 1];
        for &(pair, _) in &self.staged {
            starts[pair as usize + 1] += 1;
        }
        for p in 0..self.pairs.len() {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let order = &mut self.order;
        order.clear();
        order.resize(self.staged.len(), 0);
        for &(pair, at) in &self.staged {
            order[next[pair as usize]] = at;
            next[pair as usize] += 1;
        }
        let stage = std::mem::take(&mut self.stage.buf);
        let mut row = Row::default();
        for (p, &(recipient, supplier)) in self.pairs.iter().enumerate() {
            let rows = &order[starts[p]..starts[p + 1]];
            if rows.is_empty() {
                continue;
            }
            let pending = self.pending.entry((recipient, supplier)).or_default();
            for &at in rows {
                // Each staged row was written whole just before by `push`: it reads back.
                let read = SegmentReader::staged(&stage, at).next_into(&mut row);
                assert!(
                    matches!(read, Ok(true)),
                    "a staged row did not read back: {read:?}"
                );
                let before = pending.buf.len();
                pending.push(&row);
                self.buffered += pending.buf.len() - before;
                if pending.rows >= SEGMENT_ROWS {
                    let done = std::mem::take(pending);
                    self.buffered -= done.buf.len();
                    let (rows, data) = done.finish();
                    self.out.push(Segment {
                        recipient,
                        supplier,
                        rows,
                        data,
                    });
                }
            }
        }
        self.stage.buf = stage;
        self.stage.buf.clear();
        self.staged.clear();
    }

    /// Ends every pending segment.
    fn end_pending(&mut self) {
        let mut pairs: Vec<((u32, u32), Pending)> = self.pending.drain().collect();
        // In party order, so that segment numbers do not depend on the hasher's seed.
        pairs.sort_unstable_by_key(|(k, _)| *k);
        for ((recipient, supplier), p) in pairs {
            if p.rows > 0 {
                let (rows, data) = p.finish();
                self.out.push(Segment {
                    recipient,
                    supplier,
                    rows,
                    data,
                });
            }
        }
        self.buffered = 0;
    }

    /// Ends every segment: staged rows are placed, then every pending segment is finished.
    pub fn flush(&mut self) {
        self.place();
        self.end_pending();
    }

    /// The segments finished so far.
    pub fn take(&mut self) -> Vec<Segment> {
        std::mem::take(&mut self.out)
    }
}

/// Numbers for distinct strings (party keys), in the order first seen.
#[derive(Debug, Default)]
pub struct Interner {
    index: FastMap<String, u32>,
    pub strings: Vec<String>,
}

impl Interner {
    pub fn number(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.index.insert(s.to_string(), i);
        self.strings.push(s.to_string());
        i
    }
}

impl Segment {
    /// Adds `by` to the number of every row (segments are encoded with rows numbered from 0 in
    /// the order of their source; the store numbers them after those its release holds).
    /// Only the first row's number is written whole (the others follow it), so this rewrites
    /// one value.
    pub fn rebase(&mut self, by: i64) -> Result<(), Damaged> {
        rebase(&mut self.data, by)
    }
}

/// [`Segment::rebase`] on a segment's bytes.
pub fn rebase(data: &mut Vec<u8>, by: i64) -> Result<(), Damaged> {
    if by == 0 {
        return Ok(());
    }
    let mut r = SegmentReader::new(data)?;
    if r.left == 0 {
        return Ok(());
    }
    let at = r.pos;
    let first = r.i()?;
    let end = r.pos;
    let mut number = Vec::with_capacity(10);
    put_i(&mut number, first.checked_add(by).ok_or(Damaged("number"))?);
    data.splice(at..end, number);
    Ok(())
}

/// FNV-1a: a fast 64-bit hash of a record key, for finding keys a load writes twice (equal
/// hashes are then compared exactly).
pub fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A finished segment as an import hands it to the store: its parties by key (`country:IRQ`).
#[derive(Debug)]
pub struct PartySegment {
    pub recipient: String,
    pub supplier: String,
    pub rows: i64,
    pub data: Vec<u8>,
}

/// What an [`Encoder`] hands to the store while a source is read.
#[derive(Debug)]
pub enum Encoded {
    /// Finished segments, and how many records were read since the last message. Rows are
    /// numbered from 0 in the order of the source (see [`Segment::rebase`]).
    Segments {
        segments: Vec<PartySegment>,
        records: u64,
    },
    /// The end of one encoder's share of a source: the [`key_hash`]es of its rows' record keys,
    /// sorted, and every party (by key) with each name its rows gave it, sorted.
    Done {
        key_hashes: Vec<u64>,
        names: Vec<(String, String)>,
    },
}

/// Encodes transfers (or rows built straight from a source's text) into segments, numbering
/// their parties, noting each name a party is given and hashing every record key. Several can
/// work side by side on parts of one source, each giving its own [`Encoded::Done`].
#[derive(Debug)]
pub struct Encoder {
    writer: SegmentWriter,
    index: FastMap<Party, u32>,
    keys: Vec<String>,
    /// Per party: the last name seen (most records repeat it) and all of them.
    names: Vec<(String, std::collections::HashSet<String>)>,
    hashes: Vec<u64>,
    next_n: i64,
    records: u64,
    deliveries: Vec<YearRow>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::with_buffer(BUFFER_BYTES)
    }
}

impl Encoder {
    /// An encoder keeping up to `bytes` of unfinished segments (see [`SegmentWriter::with_buffer`]).
    pub fn with_buffer(bytes: usize) -> Self {
        Encoder {
            writer: SegmentWriter::with_buffer(bytes),
            index: FastMap::default(),
            keys: Vec::new(),
            names: Vec::new(),
            hashes: Vec::new(),
            next_n: 0,
            records: 0,
            deliveries: Vec::new(),
        }
    }

    /// The party's number in this encoder, noting the name the record gives it.
    pub fn party(&mut self, party: &Party, name: &str) -> u32 {
        let i = match self.index.get(party) {
            Some(&i) => i,
            None => {
                let i = self.keys.len() as u32;
                self.index.insert(party.clone(), i);
                self.keys.push(party.to_string());
                self.names.push((String::new(), Default::default()));
                i
            }
        };
        let (last, all) = &mut self.names[i as usize];
        if last != name || all.is_empty() {
            if !all.contains(name) {
                all.insert(name.to_string());
            }
            name.clone_into(last);
        }
        i
    }

    /// Adds a row from `supplier` to `recipient` (numbers from [`Encoder::party`]). Its number
    /// `row.n` is the caller's: its position in the source, from 0.
    pub fn push(&mut self, recipient: u32, supplier: u32, row: &Row<'_>) {
        self.hashes.push(key_hash(row.record_key));
        self.writer.push(recipient, supplier, row);
        self.records += 1;
    }

    /// Adds a transfer, numbered after the one before (from 0).
    pub fn push_transfer(&mut self, t: &Transfer) -> Result<(), serde_json::Error> {
        let values = if t.values.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&t.values)?)
        };
        let supplier = self.party(&t.supplier, &t.supplier_as_written);
        let recipient = self.party(&t.recipient, &t.recipient_as_written);
        let mut row = Row {
            deliveries: std::mem::take(&mut self.deliveries),
            ..Row::default()
        };
        fill_row(&mut row, self.next_n, t, values.as_deref());
        self.next_n += 1;
        self.push(recipient, supplier, &row);
        self.deliveries = row.deliveries;
        Ok(())
    }

    /// The segments finished since the last call, with the number of records pushed meanwhile
    /// (`None` when neither).
    pub fn take(&mut self) -> Option<Encoded> {
        let segments = self.writer.take();
        if segments.is_empty() && self.records == 0 {
            return None;
        }
        let records = std::mem::take(&mut self.records);
        let segments = segments
            .into_iter()
            .map(|s| PartySegment {
                recipient: self.keys[s.recipient as usize].clone(),
                supplier: self.keys[s.supplier as usize].clone(),
                rows: s.rows,
                data: s.data,
            })
            .collect();
        Some(Encoded::Segments { segments, records })
    }

    /// The [`key_hash`]es of the record keys pushed so far, sorted.
    pub fn key_hashes(&mut self) -> &[u64] {
        self.hashes.sort_unstable();
        &self.hashes
    }

    /// Ends every segment: the last of them, then the encoder's [`Encoded::Done`].
    pub fn finish(mut self) -> Vec<Encoded> {
        self.writer.flush();
        let mut out: Vec<Encoded> = self.take().into_iter().collect();
        let mut key_hashes = std::mem::take(&mut self.hashes);
        // Already sorted when `key_hashes` was asked for and nothing pushed since: linear then.
        key_hashes.sort_unstable();
        let mut names: Vec<(String, String)> = self
            .keys
            .iter()
            .zip(self.names)
            .flat_map(|(key, (_, all))| all.into_iter().map(move |n| (key.clone(), n)))
            .collect();
        names.sort_unstable();
        out.push(Encoded::Done { key_hashes, names });
        out
    }
}

/// The hashes that occur more than once among sorted runs of hashes (one per encoder): twice
/// within a run, or in two runs. Linear in the hashes (runs are few).
pub fn repeated_hashes(runs: &[&[u64]]) -> std::collections::HashSet<u64> {
    let mut twice = std::collections::HashSet::new();
    for (i, a) in runs.iter().enumerate() {
        twice.extend(a.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]));
        for b in &runs[i + 1..] {
            let (mut x, mut y) = (0, 0);
            while x < a.len() && y < b.len() {
                match a[x].cmp(&b[y]) {
                    std::cmp::Ordering::Less => x += 1,
                    std::cmp::Ordering::Greater => y += 1,
                    std::cmp::Ordering::Equal => {
                        twice.insert(a[x]);
                        x += 1;
                        y += 1;
                    }
                }
            }
        }
    }
    twice
}

/// Reads the rows of a segment in order.
#[derive(Debug)]
pub struct SegmentReader<'a> {
    data: &'a [u8],
    pos: usize,
    left: u64,
    n: i64,
    first: bool,
    recent: [Recent<&'a str>; REPEATING],
    /// Whether to read the text fields other than the category (else they read as empty).
    texts: bool,
    /// The segment's [`FORMAT`].
    format: u8,
}

impl<'a> SegmentReader<'a> {
    /// A reader of every field.
    pub fn new(data: &'a [u8]) -> Result<Self, Damaged> {
        Self::with_texts(data, true)
    }

    /// A reader of the figures and the category only, for sums: the other text fields (names,
    /// designation, keys, comments) read as empty, which is several times faster.
    pub fn figures(data: &'a [u8]) -> Result<Self, Damaged> {
        Self::with_texts(data, false)
    }

    /// A reader of the one row a [`SegmentWriter`] staged at `at` in `data`.
    fn staged(data: &'a [u8], at: usize) -> Self {
        SegmentReader {
            data,
            pos: at,
            left: 1,
            n: 0,
            first: true,
            recent: [Recent::default(); REPEATING],
            texts: true,
            format: FORMAT,
        }
    }

    fn with_texts(data: &'a [u8], texts: bool) -> Result<Self, Damaged> {
        let mut r = SegmentReader {
            data,
            pos: 0,
            left: 0,
            n: 0,
            first: true,
            recent: [Recent::default(); REPEATING],
            texts,
            format: FORMAT,
        };
        r.format = r.byte()?;
        if !matches!(r.format, FORMAT | FORMAT_1) {
            return Err(Damaged("unknown segment format"));
        }
        r.left = r.u()?;
        Ok(r)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, Damaged> {
        let b = *self.data.get(self.pos).ok_or(Damaged("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn u(&mut self) -> Result<u64, Damaged> {
        // Most values take one byte.
        if let Some(&b) = self.data.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(Damaged("varint too long"))
    }

    #[inline]
    fn i(&mut self) -> Result<i64, Damaged> {
        let z = self.u()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    /// The next `len` bytes as text; without `keep`, they are only skipped.
    fn str_of(&mut self, len: u64, keep: bool) -> Result<&'a str, Damaged> {
        let len = usize::try_from(len).map_err(|_| Damaged("length"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|e| *e <= self.data.len())
            .ok_or(Damaged("truncated text"))?;
        let s = if keep {
            std::str::from_utf8(&self.data[self.pos..end]).map_err(|_| Damaged("text"))?
        } else {
            ""
        };
        self.pos = end;
        Ok(s)
    }

    fn text(&mut self) -> Result<&'a str, Damaged> {
        let len = self.u()?;
        self.str_of(len, self.texts)
    }

    fn repeating(&mut self, field: usize) -> Result<&'a str, Damaged> {
        let code = self.u()?;
        let recent = &self.recent[field];
        match usize::try_from(code) {
            Ok(i) if i < recent.filled => Ok(recent.values[i]),
            Ok(i) if i < RECENT => Err(Damaged("unknown recent value")),
            _ => {
                let s = self.str_of(code - RECENT as u64, self.texts || field == CATEGORY)?;
                self.recent[field].add(s);
                Ok(s)
            }
        }
    }

    fn vocab<T: Copy>(&mut self, all: &[T]) -> Result<T, Damaged> {
        let i = usize::from(self.byte()?);
        all.get(i).copied().ok_or(Damaged("vocabulary index"))
    }

    /// Reads the next row into `row` (reusing its delivery list); `false` at the end.
    pub fn next_into(&mut self, row: &mut Row<'a>) -> Result<bool, Damaged> {
        if self.left == 0 {
            if self.pos != self.data.len() {
                return Err(Damaged("trailing bytes"));
            }
            return Ok(false);
        }
        let dn = self.i()?;
        self.n = if self.first {
            dn
        } else {
            self.n.checked_add(dn).ok_or(Damaged("number"))?
        };
        let wire = self.u()?;
        let flags = if self.format == FORMAT_1 {
            u32::try_from(wire).map_err(|_| Damaged("flags"))? & (DERIVED - 1)
        } else {
            FLAGS_2
                .iter()
                .enumerate()
                .filter(|(i, _)| wire & 1 << i != 0)
                .fold(0, |f, (_, bit)| f | bit)
        };
        let has = |bit: u32| flags & bit != 0;
        row.n = self.n;
        row.kind = self.vocab(TransferKind::ALL)?.as_str();
        row.source_type = self.vocab(SourceType::ALL)?.as_str();
        row.record_key = self.text()?;
        row.supplier_name = self.repeating(SUPPLIER_NAME)?;
        row.recipient_name = self.repeating(RECIPIENT_NAME)?;
        row.designation = self.repeating(DESIGNATION)?;
        row.description = if has(HAS_DESCRIPTION) {
            Some(self.repeating(DESCRIPTION)?)
        } else {
            None
        };
        row.category = if has(HAS_CATEGORY) {
            Some(self.repeating(CATEGORY)?)
        } else {
            None
        };
        row.source_file = self.repeating(SOURCE_FILE)?;
        let mut opt = |on: bool| -> Result<Option<i64>, Damaged> {
            if on { self.i().map(Some) } else { Ok(None) }
        };
        row.order_year = opt(has(HAS_ORDER_YEAR))?;
        row.number_ordered = opt(has(HAS_NUMBER_ORDERED))?;
        row.number_delivered = opt(has(HAS_NUMBER_DELIVERED))?;
        row.first_delivery = opt(has(HAS_FIRST_LAST))?;
        row.last_delivery = opt(has(HAS_FIRST_LAST))?;
        row.tiv_per_unit = opt(has(HAS_TIV_PER_UNIT))?;
        row.tiv_deal_unit = opt(has(HAS_TIV_DEAL_UNIT))?;
        row.tiv_total_order = opt(has(HAS_TIV_TOTAL_ORDER))?;
        row.tiv_delivered = opt(has(HAS_TIV_DELIVERED))?;
        row.deal_id = opt(has(HAS_DEAL_ID))?;
        row.status = if has(HAS_STATUS) {
            Some(self.vocab(TransferStatus::ALL)?.as_str())
        } else {
            None
        };
        row.values_json = if has(HAS_VALUES) {
            Some(self.text()?)
        } else {
            None
        };
        row.comments = if has(HAS_COMMENTS) {
            Some(self.text()?)
        } else {
            None
        };
        row.order_year_est = has(ORDER_YEAR_EST);
        row.number_ordered_est = has(NUMBER_ORDERED_EST);
        row.number_delivered_est = has(NUMBER_DELIVERED_EST);
        row.local_production = has(LOCAL_PRODUCTION);
        row.source_line = self.i()?;
        let years = self.u()?;
        row.deliveries.clear();
        for _ in 0..years {
            let f = self.byte()?;
            let year = self.i()?;
            let number = if f & Y_HAS_NUMBER != 0 {
                Some(self.i()?)
            } else {
                None
            };
            let tiv = if f & Y_HAS_TIV != 0 {
                Some(self.i()?)
            } else {
                None
            };
            row.deliveries.push(YearRow {
                year,
                year_est: f & Y_YEAR_EST != 0,
                number,
                number_est: f & Y_NUMBER_EST != 0,
                tiv,
                spread: f & Y_SPREAD != 0,
            });
        }
        if has(DERIVED) {
            let (number, tiv, first, last) =
                from_deliveries(&row.deliveries).ok_or(Damaged("derived figures"))?;
            row.number_delivered = number;
            row.tiv_delivered = tiv;
            row.first_delivery = Some(first);
            row.last_delivery = Some(last);
        }
        self.first = false;
        self.left -= 1;
        Ok(true)
    }
}

/// Every row of a segment, for callers that keep them all.
pub fn decode_all(data: &[u8]) -> Result<Vec<Row<'_>>, Damaged> {
    let mut r = SegmentReader::new(data)?;
    let mut out = Vec::new();
    let mut row = Row::default();
    while r.next_into(&mut row)? {
        out.push(row.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i64, key: &'static str) -> Row<'static> {
        Row {
            n,
            record_key: key,
            kind: "order",
            source_type: "register",
            supplier_name: "Soviet Union",
            recipient_name: "Iraq",
            designation: "T-72",
            source_file: "register.csv",
            source_line: 10 + n,
            ..Row::default()
        }
    }

    fn encode(rows: &[Row<'_>]) -> Vec<u8> {
        let mut w = SegmentWriter::default();
        for r in rows {
            w.push(0, 1, r);
        }
        w.flush();
        let mut segs = w.take();
        assert_eq!(segs.len(), 1);
        segs.remove(0).data
    }

    #[test]
    fn rows_round_trip() {
        let full = Row {
            n: 7,
            record_key: "deal-1",
            kind: "delivery",
            source_type: "customs_data",
            supplier_name: "Wärtsilä",
            recipient_name: "Iraq",
            designation: "Saab-105Ö",
            description: Some("trainer aircraft"),
            category: Some("sipri.aircraft"),
            order_year: Some(1983),
            order_year_est: true,
            number_ordered: Some(-0),
            number_ordered_est: true,
            number_delivered: Some(i64::MAX),
            number_delivered_est: true,
            first_delivery: Some(1984),
            last_delivery: Some(1990),
            status: Some("second_hand_modernised"),
            local_production: true,
            tiv_per_unit: Some(1_500),
            tiv_deal_unit: Some(0),
            tiv_total_order: Some(i64::MIN),
            tiv_delivered: Some(-3),
            deal_id: Some(41_235),
            values_json: Some(r#"[{"money":1}]"#),
            comments: Some("line one\nline two"),
            source_file: "a.csv",
            source_line: 123_456_789,
            deliveries: vec![
                YearRow {
                    year: 1984,
                    year_est: true,
                    number: Some(3),
                    number_est: false,
                    tiv: None,
                    spread: true,
                },
                YearRow {
                    year: 1990,
                    year_est: false,
                    number: None,
                    number_est: true,
                    tiv: Some(12_345),
                    spread: false,
                },
            ],
        };
        // Ten distinct designations, three times over: more than the recent values remembered.
        const NAMES: [&str; 10] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"];
        let cycling: Vec<Row<'_>> = (0..30)
            .map(|i| Row {
                designation: NAMES[(i * 7 % 10) as usize],
                category: (i % 3 == 0).then_some(NAMES[(i % 9) as usize]),
                ..row(i, "k")
            })
            .collect();
        // A delivery whose figures follow from its year (written as derived), and rows where
        // one figure differs from what the deliveries give (written out).
        let year = |number, tiv| YearRow {
            year: 2004,
            number,
            tiv,
            ..YearRow::default()
        };
        let delivery = Row {
            kind: "delivery",
            number_delivered: Some(500),
            tiv_delivered: Some(12_345),
            first_delivery: Some(2004),
            last_delivery: Some(2004),
            deliveries: vec![year(Some(500), Some(12_345))],
            ..row(5, "native")
        };
        let near_misses = vec![
            delivery.clone(),
            Row {
                number_delivered: Some(499),
                ..delivery.clone()
            },
            Row {
                tiv_delivered: None,
                ..delivery.clone()
            },
            Row {
                last_delivery: Some(2005),
                ..delivery.clone()
            },
            Row {
                number_delivered: None,
                deliveries: vec![year(None, Some(1)), year(None, Some(i64::MAX))],
                tiv_delivered: Some(0),
                ..delivery.clone()
            },
        ];
        let cases: Vec<Vec<Row<'_>>> = vec![
            near_misses,
            cycling,
            vec![row(0, "a")],
            vec![full.clone()],
            vec![row(3, "a"), full.clone(), row(9, "b"), row(1_000_000, "c")],
            // Repeats across rows, then a change, then the earlier value again.
            vec![
                Row {
                    designation: "x",
                    ..row(1, "a")
                },
                Row {
                    designation: "x",
                    ..row(2, "b")
                },
                Row {
                    designation: "",
                    ..row(3, "c")
                },
                Row {
                    designation: "x",
                    ..row(4, "d")
                },
            ],
        ];
        for rows in cases {
            let data = encode(&rows);
            assert_eq!(decode_all(&data).unwrap(), rows);
            // The figures reader gives the same figures and category, and empty texts.
            let mut r = SegmentReader::figures(&data).unwrap();
            let mut got = Row::default();
            for want in &rows {
                assert!(r.next_into(&mut got).unwrap());
                let blank = |s: Option<&str>| s.map(|_| "");
                let expected = Row {
                    record_key: "",
                    supplier_name: "",
                    recipient_name: "",
                    designation: "",
                    description: blank(want.description),
                    values_json: blank(want.values_json),
                    comments: blank(want.comments),
                    source_file: "",
                    ..want.clone()
                };
                assert_eq!(got, expected);
            }
            assert!(!r.next_into(&mut got).unwrap());
        }
    }

    #[test]
    fn format_1_segments_still_read() {
        // Two rows as armtrace wrote them before format 2 (the flags in their first order, every
        // figure written out).
        const FORMAT_1_SEGMENT: &[u8] = &[
            1, 130, 0, 14, 255, 255, 15, 2, 2, 6, 100, 101, 97, 108, 45, 49, 18, 87, 195, 164, 114,
            116, 115, 105, 108, 195, 164, 12, 73, 114, 97, 113, 18, 83, 97, 97, 98, 45, 49, 48, 53,
            195, 150, 24, 116, 114, 97, 105, 110, 101, 114, 32, 97, 105, 114, 99, 114, 97, 102,
            116, 22, 115, 105, 112, 114, 105, 46, 97, 105, 114, 99, 114, 97, 102, 116, 13, 97, 46,
            99, 115, 118, 254, 30, 10, 6, 128, 31, 140, 31, 184, 23, 0, 18, 242, 192, 1, 166, 132,
            5, 2, 13, 91, 123, 34, 109, 111, 110, 101, 121, 34, 58, 49, 125, 93, 17, 108, 105, 110,
            101, 32, 111, 110, 101, 10, 108, 105, 110, 101, 32, 116, 119, 111, 170, 180, 222, 117,
            2, 19, 128, 31, 6, 12, 140, 31, 242, 192, 1, 4, 0, 0, 0, 1, 107, 0, 0, 12, 84, 45, 55,
            50, 0, 6, 0,
        ];
        let full = Row {
            n: 7,
            record_key: "deal-1",
            kind: "delivery",
            source_type: "customs_data",
            supplier_name: "Wärtsilä",
            recipient_name: "Iraq",
            designation: "Saab-105Ö",
            description: Some("trainer aircraft"),
            category: Some("sipri.aircraft"),
            order_year: Some(1983),
            order_year_est: true,
            number_ordered: Some(5),
            number_ordered_est: true,
            number_delivered: Some(3),
            number_delivered_est: true,
            first_delivery: Some(1984),
            last_delivery: Some(1990),
            status: Some("second_hand_modernised"),
            local_production: true,
            tiv_per_unit: Some(1_500),
            tiv_deal_unit: Some(0),
            tiv_total_order: Some(9),
            tiv_delivered: Some(12_345),
            deal_id: Some(41_235),
            values_json: Some(r#"[{"money":1}]"#),
            comments: Some("line one\nline two"),
            source_file: "a.csv",
            source_line: 123_456_789,
            deliveries: vec![
                YearRow {
                    year: 1984,
                    year_est: true,
                    number: Some(3),
                    number_est: false,
                    tiv: None,
                    spread: true,
                },
                YearRow {
                    year: 1990,
                    year_est: false,
                    number: None,
                    number_est: true,
                    tiv: Some(12_345),
                    spread: false,
                },
            ],
        };
        let plain = Row {
            n: 9,
            record_key: "k",
            supplier_name: "Wärtsilä",
            source_file: "a.csv",
            source_line: 3,
            ..row(0, "k")
        };
        assert_eq!(
            decode_all(FORMAT_1_SEGMENT).unwrap(),
            [full.clone(), plain.clone()]
        );
        // Written again today: format 2, fewer bytes (these figures follow from the deliveries).
        let data = encode(&[full.clone(), plain.clone()]);
        assert_eq!(data[0], FORMAT);
        assert!(data.len() < FORMAT_1_SEGMENT.len(), "{} bytes", data.len());
        assert_eq!(decode_all(&data).unwrap(), [full, plain]);
    }

    #[test]
    fn repeated_text_is_written_once() {
        let rows: Vec<Row<'_>> = (0..100).map(|n| row(n, "k")).collect();
        let data = encode(&rows);
        // Per row: number delta, flags, kind, source type, key (2), four repeated texts (one byte
        // each), line (up to 2), number of deliveries: at most 14 bytes, against 40 written out.
        assert!(data.len() <= 4 + 100 * 14, "{} bytes", data.len());
    }

    #[test]
    fn segments_close_when_full_and_group_by_pair() {
        let mut w = SegmentWriter::default();
        for n in 0..i64::from(SEGMENT_ROWS) + 5 {
            w.push(0, 1, &row(n, "k"));
            w.push(2, 1, &row(n, "k"));
        }
        w.flush();
        let mut segments: Vec<(u32, u32, i64)> = w
            .take()
            .into_iter()
            .map(|s| (s.recipient, s.supplier, s.rows))
            .collect();
        segments.sort();
        let full = i64::from(SEGMENT_ROWS);
        assert_eq!(segments, [(0, 1, 5), (0, 1, full), (2, 1, 5), (2, 1, full)]);
    }

    #[test]
    fn damaged_segments_are_errors_not_panics() {
        let good = encode(&[row(1, "a"), row(2, "b")]);
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![9],
            vec![FORMAT, 1],
            good[..good.len() - 1].to_vec(),
        ];
        let mut extra = good.clone();
        extra.push(0);
        cases.push(extra);
        let mut bad_kind = good.clone();
        bad_kind[5] = 200;
        cases.push(bad_kind);
        // Every truncation of a valid segment fails cleanly.
        for cut in 0..good.len() {
            cases.push(good[..cut].to_vec());
        }
        for data in cases {
            let result = SegmentReader::new(&data).and_then(|mut r| {
                let mut row = Row::default();
                while r.next_into(&mut row)? {}
                Ok(())
            });
            assert!(result.is_err(), "{data:?}");
        }
    }
}
