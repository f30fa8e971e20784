//! armtrace's native transfer format, for sources other than SIPRI's register: national reports,
//! customs data, contracts, trace answers. The same fields come as CSV (a header row, RFC 4180
//! quoting, UTF-8) or JSONL (one JSON object per line; numbers may be JSON numbers or strings).
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `record_id` | no | the record's id within the dataset; re-importing a record with the same id adds nothing (without it, identical rows are recognised by their content) |
//! | `kind` | yes | `order`, `licence`, `delivery`, `denial` or `trace_answer` |
//! | `source_type` | yes | `register`, `national_report`, `customs_data`, `contract` or `trace_answer` |
//! | `supplier`, `recipient` | yes | a country or actor name as sources write it, an armtrace code (`IRQ`, `SUHH`), `actor:KEY` or `unknown` |
//! | `designation` | yes | the weapon as the source names it |
//! | `description` | no | what it is ("assault rifle") |
//! | `category` | no | a category code or name (`salw.sa.assault_rifle`, `assault rifle`, `ML1`) |
//! | `year` | yes | the year of the order, licence or denial; of the delivery for deliveries and trace answers |
//! | `quantity` | no | number of units |
//! | `tiv` | no | SIPRI trend-indicator value, millions (at most three decimals) |
//! | `value`, `currency`, `price_year` | no, but all three together | money: amount, ISO 4217 code, year of the prices |
//! | `status` | no | `new`, `second_hand` or `second_hand_modernised` |
//! | `local_production` | no | `true` when made in the recipient under licence |
//! | `comments` | no | free text |

use crate::{IngestError, MAX_TIV_MILLI, Progress, record_hash, text::decode};
use armtrace_core::actor::Party;
use armtrace_core::resolve::NameResolver;
use armtrace_core::segment::{self, Encoded, Encoder};
use armtrace_core::text::fold;
use armtrace_core::transfer::{
    Delivery, SourceRecord, SourceType, Transfer, TransferKind, TransferStatus,
};
use armtrace_core::{Measure, Milli};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The fields of the native format, in the order a CSV header lists them.
pub const FIELDS: [&str; 17] = [
    "record_id",
    "kind",
    "source_type",
    "supplier",
    "recipient",
    "designation",
    "description",
    "category",
    "year",
    "quantity",
    "tiv",
    "value",
    "currency",
    "price_year",
    "status",
    "local_production",
    "comments",
];

/// The position of a field in [`FIELDS`] (and in the rows `Builder::push` takes), found when
/// compiling.
const fn field(name: &str) -> usize {
    let name = name.as_bytes();
    let mut i = 0;
    'fields: while i < FIELDS.len() {
        let f = FIELDS[i].as_bytes();
        i += 1;
        if f.len() != name.len() {
            continue;
        }
        let mut j = 0;
        while j < f.len() {
            if f[j] != name[j] {
                continue 'fields;
            }
            j += 1;
        }
        return i - 1;
    }
    panic!("not a field of the native format");
}
const RECORD_ID: usize = field("record_id");
const KIND: usize = field("kind");
const SOURCE_TYPE: usize = field("source_type");
const SUPPLIER: usize = field("supplier");
const RECIPIENT: usize = field("recipient");
const DESIGNATION: usize = field("designation");
const DESCRIPTION: usize = field("description");
const CATEGORY: usize = field("category");
const YEAR: usize = field("year");
const QUANTITY: usize = field("quantity");
const TIV: usize = field("tiv");
const VALUE: usize = field("value");
const CURRENCY: usize = field("currency");
const PRICE_YEAR: usize = field("price_year");
const STATUS: usize = field("status");
const LOCAL_PRODUCTION: usize = field("local_production");
const COMMENTS: usize = field("comments");

/// A parsed native file: one dataset.
#[derive(Clone, Debug)]
pub struct NativeImport {
    pub file: String,
    pub transfers: Vec<Transfer>,
}

/// What the importer needs from the reference data.
#[derive(Debug)]
pub struct Lookup<'a> {
    pub resolver: &'a NameResolver,
    /// Category codes, names and aliases (folded) to category codes.
    pub categories: HashMap<String, String>,
}

/// Parses a native CSV or JSONL file (JSONL when the name ends in `.jsonl`/`.ndjson` or the first
/// non-blank character is `{`). `dataset` names the dataset the records belong to.
pub fn parse(
    file: &str,
    bytes: &[u8],
    dataset: &str,
    lookup: &Lookup<'_>,
    progress: &mut dyn Progress,
) -> Result<NativeImport, IngestError> {
    let mut transfers = Vec::new();
    parse_in_batches(
        file,
        bytes,
        dataset,
        lookup,
        progress,
        usize::MAX,
        &mut |batch| {
            transfers.extend(batch);
            true
        },
    )?;
    Ok(NativeImport {
        file: file.to_string(),
        transfers,
    })
}

/// Parses in batches of `batch` transfers, handing each to `emit` as soon as it is complete, so
/// a file of millions of records never sits in memory whole. `emit` returns `false` to stop. An
/// error still means the whole file is bad: the caller must discard what it was given.
pub fn parse_in_batches(
    file: &str,
    bytes: &[u8],
    dataset: &str,
    lookup: &Lookup<'_>,
    progress: &mut dyn Progress,
    batch: usize,
    emit: &mut dyn FnMut(Vec<Transfer>) -> bool,
) -> Result<u64, IngestError> {
    let (text, _) = decode(bytes);
    let total = bytes.len() as u64;
    // Every record takes more than 16 bytes, so a small file does not reserve a whole batch.
    let mut builder = Builder::new(file, dataset, lookup, batch.min(bytes.len() / 16 + 1));
    let mut stopped = false;
    read_records(file, &text, &mut |at, row| {
        builder.push(at.line, row)?;
        if builder.transfers.len() >= batch {
            progress.advance(at.byte.min(total), total);
            if !emit(builder.full_batch()) {
                stopped = true;
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if stopped {
        return Ok(builder.emitted);
    }
    progress.advance(total, total);
    let count = builder.emitted + builder.transfers.len() as u64;
    if count == 0 {
        return Err(IngestError::file(file, "no records"));
    }
    if !builder.transfers.is_empty() {
        emit(std::mem::take(&mut builder.transfers));
    }
    Ok(count)
}

/// Whether a file is JSONL: by its name (`.jsonl`, `.ndjson`), else by its first non-blank
/// character (`{`).
fn is_jsonl(file: &str, text: &str) -> bool {
    file.ends_with(".jsonl") || file.ends_with(".ndjson") || text.trim_start().starts_with('{')
}

/// Reads every record of `text`, JSONL or CSV, calling `each` with each and where it starts.
fn read_records(file: &str, text: &str, each: &mut Each<'_>) -> Result<(), IngestError> {
    if is_jsonl(file, text) {
        read_jsonl(file, text, each)
    } else {
        read_csv(file, text, each)
    }
}

fn read_jsonl(file: &str, text: &str, each: &mut Each<'_>) -> Result<(), IngestError> {
    let mut byte = 0u64;
    for (i, line) in text.split('\n').enumerate() {
        let at = At {
            line: i as u64 + 1,
            byte,
        };
        byte += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
            .map_err(|e| IngestError::line(file, at.line, format!("not a JSON object: {e}")))?;
        for key in obj.keys() {
            if !FIELDS.contains(&key.as_str()) {
                return Err(IngestError::field(
                    file,
                    at.line,
                    key,
                    format!("unknown field: the native format has {}", FIELDS.join(", ")),
                ));
            }
        }
        let owned: Vec<String> = FIELDS
            .iter()
            .map(|f| match obj.get(*f) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        let mut row = [""; FIELDS.len()];
        for (slot, v) in row.iter_mut().zip(&owned) {
            *slot = v.as_str();
        }
        if !each(at, &row)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Which field of [`FIELDS`] each column of a CSV header holds (`None` for a repeated column:
/// the first one counts), after checking that every column is a field and every required field
/// has a column.
fn header_columns(file: &str, headers: &[&str]) -> Result<Vec<Option<usize>>, IngestError> {
    for h in headers {
        if !FIELDS.contains(h) {
            return Err(IngestError::field(
                file,
                1,
                h,
                format!(
                    "unknown column: the native format has {}",
                    FIELDS.join(", ")
                ),
            ));
        }
    }
    for required in [
        "kind",
        "source_type",
        "supplier",
        "recipient",
        "designation",
        "year",
    ] {
        if !headers.contains(&required) {
            return Err(IngestError::field(
                file,
                1,
                required,
                "required column is missing",
            ));
        }
    }
    Ok(headers
        .iter()
        .enumerate()
        .map(|(column, h)| {
            let first = headers.iter().position(|other| other == h) == Some(column);
            FIELDS.iter().position(|f| f == h).filter(|_| first)
        })
        .collect())
}

/// Where a CSV record starts: the line (from 1) and byte offset of its first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct At {
    line: u64,
    byte: u64,
}

/// The `csv` crate gives a record's position as where the record before it ended: blank lines
/// and a CR LF's LF come before the record itself. This turns such a position into the record's
/// own start, counting lines as it goes (positions only move forward).
struct Lines<'t> {
    bytes: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn start(&mut self, byte: u64) -> At {
        let mut p = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(p), Some(b'\r' | b'\n')) {
            p += 1;
        }
        if p >= self.at {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..p]).count() as u64;
            self.at = p;
        }
        At {
            line: self.line,
            byte: self.at as u64,
        }
    }
}

/// The error for a record whose number of fields differs from the header's.
fn unequal_fields(file: &str, at: At, len: u64, expected: u64) -> IngestError {
    IngestError::line(
        file,
        at.line,
        format!("not valid CSV: the record has {len} fields, but the header has {expected}"),
    )
}

/// A record's fields in the order of [`FIELDS`], as written (untrimmed); "" for a field the file
/// has no column for.
type Row<'r> = [&'r str; FIELDS.len()];

/// What a CSV reader calls with each record and where it starts; `Ok(false)` stops reading.
type Each<'e> = dyn FnMut(At, &Row<'_>) -> Result<bool, IngestError> + 'e;

/// Reads CSV `text`: checks the header, then calls `each` with every record and where it starts.
/// [`plain`] text (what programs write) is split where it
/// lies, several times faster than the `csv` reader and with the same records, start lines and
/// errors; other text goes through the `csv` reader.
fn read_csv(file: &str, text: &str, each: &mut Each<'_>) -> Result<(), IngestError> {
    if plain(text) {
        read_plain_csv(file, text, each)
    } else {
        read_quoted_csv(file, text, each)
    }
}

/// Whether `text` is CSV without quotes whose only CRs end lines (before an LF), and without a
/// byte-order mark (which the `csv` reader drops).
fn plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    !text.starts_with('\u{feff}')
        && memchr::memchr2_iter(b'"', b'\r', bytes)
            .all(|i| bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n'))
}

fn read_quoted_csv(file: &str, text: &str, each: &mut Each<'_>) -> Result<(), IngestError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| IngestError::line(file, 1, format!("cannot read the header: {e}")))?;
    let columns = header_columns(file, &headers.iter().collect::<Vec<_>>())?;
    let mut record = csv::StringRecord::new();
    let mut lines = Lines::new(text);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let at = lines.start(e.position().map_or(0, csv::Position::byte));
                return Err(match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => unequal_fields(file, at, *len, *expected_len),
                    _ => IngestError::line(file, at.line, format!("not valid CSV: {e}")),
                });
            }
        }
        let mut row = [""; FIELDS.len()];
        for (value, column) in record.iter().zip(&columns) {
            if let Some(i) = column {
                row[*i] = value;
            }
        }
        let at = lines.start(record.position().map_or(0, csv::Position::byte));
        if !each(at, &row)? {
            return Ok(());
        }
    }
}

/// [`read_csv`] for [`plain`] text, giving what [`read_quoted_csv`] gives (the test
/// `plain_csv_reads_as_the_csv_crate_does` compares the two).
fn read_plain_csv(file: &str, text: &str, each: &mut Each<'_>) -> Result<(), IngestError> {
    let header = plain_header(file, text)?;
    read_plain_lines(
        file,
        text,
        &header.columns,
        header.body,
        text.len(),
        header.lfs,
        each,
    )
}

/// The header of [`plain`] CSV text.
struct PlainHeader {
    /// Which field of [`FIELDS`] each column holds.
    columns: Vec<Option<usize>>,
    /// Where the lines after the header start, and how many LFs come before.
    body: usize,
    lfs: u64,
}

/// Reads the header of [`plain`] CSV text: its first line that is not blank.
fn plain_header(file: &str, text: &str) -> Result<PlainHeader, IngestError> {
    let bytes = text.as_bytes();
    let (mut start, mut lfs) = (0, 0u64);
    while start < bytes.len() {
        let lf = memchr::memchr(b'\n', &bytes[start..]).map(|i| start + i);
        let end = lf.unwrap_or(bytes.len());
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        lfs += u64::from(lf.is_some());
        if !line.is_empty() {
            return Ok(PlainHeader {
                columns: header_columns(file, &Split(Some(line)).collect::<Vec<_>>())?,
                body: (end + 1).min(bytes.len()),
                lfs,
            });
        }
        start = end + 1;
    }
    // No header: every required column is missing.
    Ok(PlainHeader {
        columns: header_columns(file, &[])?,
        body: bytes.len(),
        lfs,
    })
}

/// Reads the records of [`plain`] CSV text on the whole lines from byte `from` to `to`, after
/// `lfs` LFs (which give the line numbers).
fn read_plain_lines(
    file: &str,
    text: &str,
    columns: &[Option<usize>],
    from: usize,
    to: usize,
    mut lfs: u64,
    each: &mut Each<'_>,
) -> Result<(), IngestError> {
    let bytes = text.as_bytes();
    let mut start = from;
    while start < to {
        let lf = memchr::memchr(b'\n', &bytes[start..to]).map(|i| start + i);
        let end = lf.unwrap_or(to);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let at = At {
            line: lfs + 1,
            byte: start as u64,
        };
        start = end + 1;
        lfs += u64::from(lf.is_some());
        if line.is_empty() {
            continue;
        }
        let row = plain_row(line, columns)
            .map_err(|len| unequal_fields(file, at, len as u64, columns.len() as u64))?;
        if !each(at, &row)? {
            return Ok(());
        }
    }
    Ok(())
}

/// A line of [`plain`] CSV as a record's fields (`Err` with the number of fields when it has
/// not as many as the header).
fn plain_row<'t>(line: &'t str, columns: &[Option<usize>]) -> Result<Row<'t>, usize> {
    let mut row = [""; FIELDS.len()];
    let mut len = 0;
    for value in Split(Some(line)) {
        if let Some(Some(i)) = columns.get(len) {
            row[*i] = value;
        }
        len += 1;
    }
    if len == columns.len() {
        Ok(row)
    } else {
        Err(len)
    }
}

/// The fields of a CSV line without quotes (`str::split` is several times slower on fields this
/// short).
struct Split<'t>(Option<&'t str>);

impl<'t> Iterator for Split<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let rest = self.0?;
        match rest.bytes().position(|b| b == b',') {
            Some(i) => {
                self.0 = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.0 = None;
                Some(rest)
            }
        }
    }
}

/// Files smaller than this are encoded on one thread.
const PARALLEL_BYTES: usize = 1 << 20;

/// Records an encoder reads between handing over the segments it has finished.
const HAND_OVER: u64 = 1 << 16;

/// Parses and encodes a native file into segments ([`Encoder`]) on threads of its own, handing
/// them over a bounded channel as they are finished: the store writes them while the rest is
/// read. Plain CSV (no quotes, what programs write) larger than a megabyte is split at line
/// ends into `threads` parts encoded side by side; other files take one thread. Records are
/// checked exactly as [`parse`] checks them, and become the rows their transfers would. The
/// receiver yields `Err` (and then ends) on a bad record: the first in the file.
pub fn spawn_encoders(
    file: String,
    bytes: Vec<u8>,
    dataset: String,
    resolver: NameResolver,
    categories: HashMap<String, String>,
    threads: usize,
) -> impl Iterator<Item = Result<Encoded, IngestError>> + Send {
    spawn_encoders_from(
        file,
        bytes,
        dataset,
        resolver,
        categories,
        threads,
        PARALLEL_BYTES,
    )
}

/// [`spawn_encoders`], splitting files of at least `parallel_bytes`.
fn spawn_encoders_from(
    file: String,
    bytes: Vec<u8>,
    dataset: String,
    resolver: NameResolver,
    categories: HashMap<String, String>,
    threads: usize,
    parallel_bytes: usize,
) -> impl Iterator<Item = Result<Encoded, IngestError>> + Send {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    let name = file.clone();
    let handle = std::thread::spawn(move || {
        let lookup = Lookup {
            resolver: &resolver,
            categories,
        };
        let (text, _) = decode(&bytes);
        let parts = if text.len() >= parallel_bytes && !is_jsonl(&file, &text) && plain(&text) {
            threads.max(1)
        } else {
            1
        };
        if let Err(e) = encode(&file, &text, &dataset, &lookup, parts, &tx) {
            let _ = tx.send(Err(e));
        }
    });
    // The channel closing is not proof the file was read to its end: a parser that stopped
    // abnormally is an error too, so the import rolls back instead of committing part of a file.
    rx.into_iter()
        .map(Some)
        .chain(std::iter::once_with(move || match handle.join() {
            Ok(()) => None,
            Err(_) => Some(Err(IngestError::file(
                &name,
                "the parser stopped unexpectedly; nothing was imported",
            ))),
        }))
        .flatten()
}

type Sender = std::sync::mpsc::SyncSender<Result<Encoded, IngestError>>;

/// Encodes `text`, in `parts` parts side by side when it is [`plain`] CSV.
fn encode(
    file: &str,
    text: &str,
    dataset: &str,
    lookup: &Lookup<'_>,
    parts: usize,
    tx: &Sender,
) -> Result<(), IngestError> {
    let encoders = if parts > 1 {
        encode_parts(file, text, dataset, lookup, parts, tx)?
    } else {
        let mut one = Fused::new(file, dataset, lookup, segment::BUFFER_BYTES, true);
        let mut n = 0i64;
        read_records(file, text, &mut |at, row| {
            one.record(at, n, row)?;
            n += 1;
            Ok(!one.total.is_multiple_of(HAND_OVER) || one.hand_over(tx))
        })?;
        vec![one]
    };
    if encoders.iter().map(|e| e.total).sum::<u64>() == 0 {
        return Err(IngestError::file(file, "no records"));
    }
    for e in encoders {
        for part in e.encoder.finish() {
            if tx.send(Ok(part)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A part of [`plain`] CSV text for one encoder: whole lines from byte `from` to `to`, with the
/// LFs and the records before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Part {
    from: usize,
    to: usize,
    lfs: u64,
    records: u64,
}

/// A part's encoder when it has read its lines, and the records without a `record_id` it left
/// for the end (where they start, their number in the file).
type PartRead<'a> = (Fused<'a>, Vec<(At, i64)>);

/// Splits the lines from byte `body` (after `lfs` LFs) into about `parts` parts of equal size.
fn split(text: &str, body: usize, lfs: u64, parts: usize) -> Vec<Part> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut out = Vec::new();
    let (mut start, mut lfs, mut records) = (body, lfs, 0u64);
    for k in 1..=parts {
        let target = body + (len - body) / parts * k;
        let end = if k == parts || target >= len {
            len
        } else {
            memchr::memchr(b'\n', &bytes[target..]).map_or(len, |i| target + i + 1)
        };
        if end <= start {
            continue;
        }
        out.push(Part {
            from: start,
            to: end,
            lfs,
            records,
        });
        if end < len {
            // Every line that is not blank is a record (or an error that stops the import).
            let mut line = start;
            for lf in memchr::memchr_iter(b'\n', &bytes[start..end]) {
                let lf = start + lf;
                if !matches!(&bytes[line..lf], b"" | b"\r") {
                    records += 1;
                }
                lfs += 1;
                line = lf + 1;
            }
        }
        start = end;
    }
    out
}

/// Encodes [`plain`] CSV in parts side by side, one thread each. Records without a `record_id`
/// after the first part are checked where they are but encoded at the end, in file order: their
/// keys count identical rows before them in the whole file.
fn encode_parts<'a>(
    file: &'a str,
    text: &'a str,
    dataset: &'a str,
    lookup: &'a Lookup<'a>,
    parts: usize,
    tx: &Sender,
) -> Result<Vec<Fused<'a>>, IngestError> {
    let header = plain_header(file, text)?;
    let columns = &header.columns;
    let split = split(text, header.body, header.lfs, parts);
    // The first part that failed: later parts stop (their errors come later in the file),
    // earlier ones go on, so the error reported is the file's first.
    let failed = AtomicUsize::new(usize::MAX);
    let buffer = segment::BUFFER_BYTES / split.len().max(1);
    let results: Vec<Result<PartRead<'a>, IngestError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = split
            .iter()
            .enumerate()
            .map(|(index, part)| {
                let (failed, tx) = (&failed, tx.clone());
                scope.spawn(move || {
                    let mut fused = Fused::new(file, dataset, lookup, buffer, false);
                    let mut deferred = Vec::new();
                    let mut n = part.records as i64;
                    let result = read_plain_lines(
                        file,
                        text,
                        columns,
                        part.from,
                        part.to,
                        part.lfs,
                        &mut |at, row| {
                            if index > 0 && trim(row[RECORD_ID]).is_empty() {
                                fused.builder.check(at.line, row)?;
                                deferred.push((at, n));
                            } else {
                                fused.record(at, n, row)?;
                            }
                            n += 1;
                            if (n as u64).is_multiple_of(HAND_OVER) {
                                return Ok(
                                    failed.load(Ordering::Relaxed) > index && fused.hand_over(&tx)
                                );
                            }
                            Ok(true)
                        },
                    );
                    match result {
                        Ok(()) => {
                            // Sorted here, on every core, for the check below.
                            fused.encoder.key_hashes();
                            Ok((fused, deferred))
                        }
                        Err(e) => {
                            failed.fetch_min(index, Ordering::Relaxed);
                            Err(e)
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(IngestError::file(
                        file,
                        "the parser stopped unexpectedly; nothing was imported",
                    ))
                })
            })
            .collect()
    });
    let mut encoders = Vec::with_capacity(results.len());
    let mut later = Vec::new();
    for result in results {
        match result {
            Ok((fused, deferred)) => {
                encoders.push(fused);
                later.extend(deferred);
            }
            // The file's first bad record, unless a record_id before it was repeated.
            Err(e) => {
                let line = match &e {
                    IngestError::Field { line, .. } | IngestError::Line { line, .. } => *line,
                    IngestError::File { .. } => u64::MAX,
                };
                return Err(repeated_id(file, text, &header, None, line).unwrap_or(e));
            }
        }
    }
    if let Some(first) = encoders.first_mut() {
        for (at, n) in later {
            let start = usize::try_from(at.byte)
                .unwrap_or(usize::MAX)
                .min(text.len());
            let line = text[start..].split('\n').next().unwrap_or_default();
            let line = line.strip_suffix('\r').unwrap_or(line);
            let row = plain_row(line, columns)
                .map_err(|len| unequal_fields(file, at, len as u64, columns.len() as u64))?;
            first.record(at, n, &row)?;
        }
    }
    // Record ids repeated within a part or across parts: their key hashes repeat (records
    // without a record_id have keys that never do). Confirmed exactly by reading again.
    let runs: Vec<&[u64]> = encoders
        .iter_mut()
        .map(|e| e.encoder.key_hashes())
        .collect();
    let suspects = segment::repeated_hashes(&runs);
    if !suspects.is_empty()
        && let Some(e) = repeated_id(file, text, &header, Some(&suspects), u64::MAX)
    {
        return Err(e);
    }
    Ok(encoders)
}

/// The first record (in file order, before line `before`) whose `record_id` an earlier record
/// has, as the parser's error; only ids whose key hash is among `suspects` when given. Reads the
/// [`plain`] CSV body again: this runs when an import is about to fail, or when key hashes
/// repeat.
fn repeated_id(
    file: &str,
    text: &str,
    header: &PlainHeader,
    suspects: Option<&std::collections::HashSet<u64>>,
    before: u64,
) -> Option<IngestError> {
    let mut seen = RecordIds::default();
    let mut key = String::new();
    let mut found = None;
    let _ = read_plain_lines(
        file,
        text,
        &header.columns,
        header.body,
        text.len(),
        header.lfs,
        &mut |at, row| {
            if at.line >= before {
                return Ok(false);
            }
            let id = trim(row[RECORD_ID]);
            if id.is_empty() {
                return Ok(true);
            }
            if let Some(suspects) = suspects {
                key.clear();
                key.push_str("id-");
                key.push_str(id);
                if !suspects.contains(&segment::key_hash(&key)) {
                    return Ok(true);
                }
            }
            if seen.insert(id) != Ok(false) {
                return Ok(true);
            }
            found = Some(IngestError::field(
                file,
                at.line,
                "record_id",
                format!("'{id}' appears twice in the file"),
            ));
            Ok(false)
        },
    );
    found
}

/// Checks records and encodes them straight into segment rows, with no [`Transfer`] between:
/// the rows are those [`segment::fill_row`] makes of the transfers [`parse`] gives (the test
/// `encoded_rows_are_those_of_the_parsed_transfers` compares them).
struct Fused<'a> {
    builder: Builder<'a>,
    encoder: Encoder,
    /// The encoder's number for each party of the builder's list.
    numbers: Vec<Option<u32>>,
    key: String,
    deliveries: Vec<segment::YearRow>,
    /// Records encoded.
    total: u64,
}

impl<'a> Fused<'a> {
    /// Without `check_ids`, a repeated `record_id` is left to the caller ([`repeated_id`]).
    fn new(
        file: &'a str,
        dataset: &'a str,
        lookup: &'a Lookup<'a>,
        buffer: usize,
        check_ids: bool,
    ) -> Self {
        let mut builder = Builder::new(file, dataset, lookup, 0);
        builder.check_ids = check_ids;
        Fused {
            builder,
            encoder: Encoder::with_buffer(buffer),
            numbers: Vec::new(),
            key: String::new(),
            deliveries: Vec::new(),
            total: 0,
        }
    }

    /// Hands the finished segments to the store; `false` when it has stopped listening.
    fn hand_over(&mut self, tx: &Sender) -> bool {
        match self.encoder.take() {
            Some(part) => tx.send(Ok(part)).is_ok(),
            None => true,
        }
    }

    /// The encoder's number for the builder's party `i`, which the record calls `text`.
    fn number(&mut self, i: u32, text: &str) -> u32 {
        let i = i as usize;
        if self.numbers.len() <= i {
            self.numbers.resize(i + 1, None);
        }
        match self.numbers[i] {
            Some(n) => n,
            None => {
                let n = self.encoder.party(&self.builder.party_list[i], text);
                self.numbers[i] = Some(n);
                n
            }
        }
    }

    /// Checks and encodes a record, the `n`th of the file (from 0).
    fn record(&mut self, at: At, n: i64, row: &Row<'_>) -> Result<(), IngestError> {
        let c = self.builder.check(at.line, row)?;
        self.builder.key(at.line, row, c.record_id, &mut self.key)?;
        let supplier = self.number(c.supplier, c.supplier_text);
        let recipient = self.number(c.recipient, c.recipient_text);
        let values = c.values();
        let values = if values.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&values)
                    .map_err(|e| self.builder.err(at.line, "value", e.to_string()))?,
            )
        };
        let delivered = c.delivered();
        let year = i64::from(c.year);
        let mut deliveries = std::mem::take(&mut self.deliveries);
        deliveries.clear();
        if delivered {
            deliveries.push(segment::YearRow {
                year,
                year_est: false,
                number: c.quantity,
                number_est: false,
                tiv: c.tiv.map(|m| m.0),
                spread: false,
            });
        }
        let row = segment::Row {
            n,
            record_key: &self.key,
            kind: c.kind.as_str(),
            source_type: c.source_type.as_str(),
            supplier_name: c.supplier_text,
            recipient_name: c.recipient_text,
            designation: c.designation,
            description: c.description,
            category: c
                .category
                .map(|i| self.builder.category_list[i as usize].as_str()),
            order_year: (!delivered).then_some(year),
            order_year_est: false,
            number_ordered: c.quantity.filter(|_| !delivered),
            number_ordered_est: false,
            number_delivered: c.quantity.filter(|_| delivered),
            number_delivered_est: false,
            first_delivery: delivered.then_some(year),
            last_delivery: delivered.then_some(year),
            status: c.status.map(|s| s.as_str()),
            local_production: c.local_production,
            tiv_per_unit: None,
            tiv_deal_unit: None,
            tiv_total_order: None,
            tiv_delivered: c.tiv.filter(|_| delivered).map(|m| m.0),
            deal_id: None,
            values_json: values.as_deref(),
            comments: c.comments,
            source_file: self.builder.file,
            source_line: i64::try_from(at.line).unwrap_or(i64::MAX),
            deliveries,
        };
        self.encoder.push(recipient, supplier, &row);
        self.deliveries = row.deliveries;
        self.total += 1;
        Ok(())
    }
}

struct Builder<'a> {
    file: &'a str,
    dataset: &'a str,
    lookup: &'a Lookup<'a>,
    /// Parties and categories by their text as written: a file names a few hundred parties and
    /// categories over millions of rows, so each text is resolved (and folded) once. The maps
    /// give positions in the lists.
    parties: hashbrown::HashMap<Box<str>, u32>,
    party_list: Vec<Party>,
    categories: hashbrown::HashMap<Box<str>, u32>,
    category_list: Vec<String>,
    record_ids: RecordIds,
    /// Whether [`Builder::key`] refuses a `record_id` seen before (else the caller does).
    check_ids: bool,
    /// Rows without a `record_id`: how many times each content hash has occurred.
    occurrences: hashbrown::HashMap<String, u32>,
    transfers: Vec<Transfer>,
    /// The number of transfers a batch is reserved for.
    capacity: usize,
    emitted: u64,
}

/// A record's fields, checked: text is trimmed and borrowed from the record; parties and the
/// category are positions in the [`Builder`]'s lists.
struct Checked<'r> {
    kind: TransferKind,
    source_type: SourceType,
    supplier: u32,
    supplier_text: &'r str,
    recipient: u32,
    recipient_text: &'r str,
    designation: &'r str,
    description: Option<&'r str>,
    category: Option<u32>,
    year: i32,
    quantity: Option<i64>,
    tiv: Option<Milli>,
    money: Option<Measure>,
    status: Option<TransferStatus>,
    local_production: bool,
    comments: Option<&'r str>,
    record_id: &'r str,
}

impl Checked<'_> {
    /// Deliveries and trace answers deliver in their year; other kinds are ordered in it.
    fn delivered(&self) -> bool {
        matches!(
            self.kind,
            TransferKind::Delivery | TransferKind::TraceAnswer
        )
    }

    /// The measures besides units and TIV delivered: money, and TIV of what was not delivered.
    fn values(&self) -> Vec<Measure> {
        let mut values: Vec<Measure> = self.money.iter().cloned().collect();
        if !self.delivered()
            && let Some(value) = self.tiv
        {
            values.push(Measure::Tiv { value });
        }
        values
    }
}

impl<'a> Builder<'a> {
    fn new(
        file: &'a str,
        dataset: &'a str,
        lookup: &'a Lookup<'a>,
        capacity: usize,
    ) -> Builder<'a> {
        Builder {
            file,
            dataset,
            lookup,
            parties: hashbrown::HashMap::new(),
            party_list: Vec::new(),
            categories: hashbrown::HashMap::new(),
            category_list: Vec::new(),
            record_ids: RecordIds::default(),
            check_ids: true,
            occurrences: hashbrown::HashMap::new(),
            transfers: Vec::with_capacity(capacity),
            capacity,
            emitted: 0,
        }
    }

    /// Hands over the transfers of a full batch, making room for the next.
    fn full_batch(&mut self) -> Vec<Transfer> {
        self.emitted += self.transfers.len() as u64;
        std::mem::replace(&mut self.transfers, Vec::with_capacity(self.capacity))
    }

    fn err(&self, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        IngestError::field(self.file, line, field, message)
    }

    /// `s` is trimmed.
    fn party(&mut self, line: u64, field: &str, s: &str) -> Result<u32, IngestError> {
        if s.is_empty() {
            return Err(self.err(line, field, "required"));
        }
        if let Some(&i) = self.parties.get(s) {
            return Ok(i);
        }
        let party = self
            .lookup
            .resolver
            .resolve(s)
            .map_err(|e| self.err(line, field, e.to_string()))?;
        let i = self.party_list.len() as u32;
        self.party_list.push(party);
        self.parties.insert(s.into(), i);
        Ok(i)
    }

    /// `c` is trimmed and not empty.
    fn category(&mut self, line: u64, c: &str) -> Result<u32, IngestError> {
        if let Some(&i) = self.categories.get(c) {
            return Ok(i);
        }
        let code = self
            .lookup
            .categories
            .get(&fold(c))
            .cloned()
            .ok_or_else(|| {
                self.err(
                    line,
                    "category",
                    format!("'{c}' is not a known category: see `armtrace categories`"),
                )
            })?;
        let i = self.category_list.len() as u32;
        self.category_list.push(code);
        self.categories.insert(c.into(), i);
        Ok(i)
    }

    /// Checks a record: `row` holds the fields in the order of [`FIELDS`], as written
    /// (untrimmed). Its key is [`Builder::key`]'s business.
    fn check<'r>(&mut self, line: u64, row: &Row<'r>) -> Result<Checked<'r>, IngestError> {
        let get = |i: usize| trim(row[i]);
        let kind: TransferKind = get(KIND)
            .parse()
            .map_err(|e: String| self.err(line, "kind", e))?;
        let source_type: SourceType = get(SOURCE_TYPE)
            .parse()
            .map_err(|e: String| self.err(line, "source_type", e))?;
        let supplier = self.party(line, "supplier", get(SUPPLIER))?;
        let recipient = self.party(line, "recipient", get(RECIPIENT))?;
        let designation = get(DESIGNATION);
        if designation.is_empty() {
            return Err(self.err(line, "designation", "required"));
        }
        let year: i32 = match get(YEAR).parse() {
            Ok(y) if (1900..=2100).contains(&y) => y,
            _ => {
                return Err(self.err(
                    line,
                    "year",
                    format!("'{}' is not a year (1900–2100)", get(YEAR)),
                ));
            }
        };
        let quantity = match get(QUANTITY) {
            "" => None,
            q => match q.parse::<i64>() {
                Ok(n) if (0..=crate::MAX_UNITS).contains(&n) => Some(n),
                _ => {
                    return Err(self.err(
                        line,
                        "quantity",
                        format!("'{q}' is not a whole number of units"),
                    ));
                }
            },
        };
        let tiv = match get(TIV) {
            "" => None,
            t => match t.parse::<Milli>() {
                Ok(m) if (0..=MAX_TIV_MILLI).contains(&m.0) => Some(m),
                Ok(_) => {
                    return Err(self.err(
                        line,
                        "tiv",
                        format!("'{t}' is negative or implausibly large"),
                    ));
                }
                Err(e) => return Err(self.err(line, "tiv", e.to_string())),
            },
        };
        let money = match (get(VALUE), get(CURRENCY), get(PRICE_YEAR)) {
            ("", "", "") => None,
            (v, c, y) if !v.is_empty() && !c.is_empty() && !y.is_empty() => {
                let amount = v
                    .parse::<Milli>()
                    .map_err(|e| self.err(line, "value", e.to_string()))?;
                if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                    return Err(self.err(
                        line,
                        "currency",
                        format!("'{c}' is not an ISO 4217 code such as USD or EUR"),
                    ));
                }
                let price_year = y
                    .parse::<i32>()
                    .map_err(|_| self.err(line, "price_year", format!("'{y}' is not a year")))?;
                Some(Measure::Money {
                    amount,
                    currency: c.to_string(),
                    price_year,
                })
            }
            _ => {
                return Err(self.err(
                    line,
                    "value",
                    "give value, currency and price_year together",
                ));
            }
        };
        let status = match get(STATUS) {
            "" => None,
            s => Some(
                s.parse::<TransferStatus>()
                    .map_err(|e| self.err(line, "status", e))?,
            ),
        };
        let local_production = match get(LOCAL_PRODUCTION) {
            "" | "false" | "no" | "No" => false,
            "true" | "yes" | "Yes" => true,
            other => {
                return Err(self.err(
                    line,
                    "local_production",
                    format!("'{other}': use true or false"),
                ));
            }
        };
        let category = match get(CATEGORY) {
            "" => None,
            c => Some(self.category(line, c)?),
        };
        let optional = |s: &'r str| (!s.is_empty()).then_some(s);
        Ok(Checked {
            kind,
            source_type,
            supplier,
            supplier_text: get(SUPPLIER),
            recipient,
            recipient_text: get(RECIPIENT),
            designation,
            description: optional(get(DESCRIPTION)),
            category,
            year,
            quantity,
            tiv,
            money,
            status,
            local_production,
            comments: optional(get(COMMENTS)),
            record_id: get(RECORD_ID),
        })
    }

    /// The record's key, into `key`: `id-` and its `record_id` (refused when the file had it
    /// before), or without one, a hash of its fields and how many identical rows came before.
    fn key(
        &mut self,
        line: u64,
        row: &Row<'_>,
        record_id: &str,
        key: &mut String,
    ) -> Result<(), IngestError> {
        key.clear();
        if record_id.is_empty() {
            let hash = record_hash(row);
            let n = self.occurrences.entry_ref(hash.as_str()).or_insert(0);
            *n += 1;
            let n = *n - 1;
            key.push_str(&hash);
            key.push('-');
            key.push_str(&n.to_string());
            return Ok(());
        }
        if !self.check_ids {
            key.push_str("id-");
            key.push_str(record_id);
            return Ok(());
        }
        match self.record_ids.insert(record_id) {
            Ok(true) => {}
            Ok(false) => {
                return Err(self.err(
                    line,
                    "record_id",
                    format!("'{record_id}' appears twice in the file"),
                ));
            }
            Err(()) => {
                return Err(self.err(
                    line,
                    "record_id",
                    "too many records with a record_id in one file: split it",
                ));
            }
        }
        key.push_str("id-");
        key.push_str(record_id);
        Ok(())
    }

    /// Checks a record and adds its transfer to the batch.
    fn push(&mut self, line: u64, row: &Row<'_>) -> Result<(), IngestError> {
        let c = self.check(line, row)?;
        let mut record_key = String::new();
        self.key(line, row, c.record_id, &mut record_key)?;
        let delivered = c.delivered();
        let values = c.values();
        let deliveries = if delivered {
            vec![Delivery {
                year: c.year,
                year_is_estimate: false,
                number: c.quantity,
                number_is_estimate: false,
                tiv: c.tiv,
            }]
        } else {
            vec![]
        };
        self.transfers.push(Transfer {
            record_key,
            kind: c.kind,
            source_type: c.source_type,
            supplier_as_written: c.supplier_text.to_string(),
            supplier: self.party_list[c.supplier as usize].clone(),
            recipient_as_written: c.recipient_text.to_string(),
            recipient: self.party_list[c.recipient as usize].clone(),
            designation: c.designation.to_string(),
            description: c.description.map(str::to_string),
            category: c.category.map(|i| self.category_list[i as usize].clone()),
            model: None,
            order_year: (!delivered).then_some(c.year),
            order_year_is_estimate: false,
            number_ordered: if delivered { None } else { c.quantity },
            number_ordered_is_estimate: false,
            deliveries,
            status: c.status,
            local_production: c.local_production,
            values,
            comments: c.comments.map(str::to_string),
            sipri: None,
            record: SourceRecord {
                file: self.file.to_string(),
                line,
                release: Some(self.dataset.to_string()),
            },
        });
        Ok(())
    }
}

/// `s.trim()`, answered without decoding characters when `s` is empty or starts and ends with
/// a visible ASCII character (never white space), as almost every field does.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (None, _) => s,
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// The record ids seen so far, for refusing one that appears twice. The ids are kept one after
/// another in one string, so millions of them cost no allocation each, and the table is one
/// array of 8-byte slots, so a lookup usually touches one cache line. Ids are compared, not only
/// their hashes, so a collision is never mistaken for a repeat.
#[derive(Default)]
struct RecordIds {
    /// Every id, one after another.
    text: String,
    /// Where each id ends in `text` (it starts where the one before it ends).
    ends: Vec<usize>,
    /// Open addressing with linear probing; the length is zero or a power of two, at most three
    /// quarters full. 0 is an empty slot; otherwise the top 32 bits of the id's hash (which also
    /// give its home slot, so growing needs no id) and its position in `ends`, plus one.
    slots: Vec<u64>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl RecordIds {
    /// The most ids the table takes: three quarters of 2³² slots, the most 32 hash bits can
    /// place (far more ids than fit in memory).
    const MAX: usize = 3 << 30;

    /// Adds `id`: `Ok(false)` when it was there already, `Err` past [`RecordIds::MAX`].
    fn insert(&mut self, id: &str) -> Result<bool, ()> {
        let tag = self.hasher.hash_one(id) >> 32;
        if self.ends.len() >= RecordIds::MAX {
            return Err(());
        }
        if (self.ends.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = home(tag, mask);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag {
                let n = (slot & u64::from(u32::MAX)) as usize - 1;
                let start = if n == 0 { 0 } else { self.ends[n - 1] };
                if &self.text[start..self.ends[n]] == id {
                    return Ok(false);
                }
            }
            i = (i + 1) & mask;
        }
        self.text.push_str(id);
        self.ends.push(self.text.len());
        self.slots[i] = tag << 32 | self.ends.len() as u64;
        Ok(true)
    }

    /// Doubles the table (or makes the first), placing every slot again by its hash bits.
    fn grow(&mut self) {
        let len = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![0; len]);
        let mask = len - 1;
        for slot in old.into_iter().filter(|&s| s != 0) {
            let mut i = home(slot >> 32, mask);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

/// The slot a 32-bit hash starts probing at, in a table of `mask + 1` (at most 2³²) slots: its
/// top bits.
fn home(tag: u64, mask: usize) -> usize {
    (tag >> (32 - mask.count_ones())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn with_lookup<T>(f: impl FnOnce(&Lookup<'_>) -> T) -> T {
        let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
        let resolver = set.resolver();
        f(&Lookup {
            resolver: &resolver,
            categories: armtrace_refdata::category_index(&set.categories),
        })
    }

    /// What parsing `text` gives: a line per transfer, or the error.
    fn outcome(lookup: &Lookup<'_>, file: &str, text: &str) -> String {
        match parse(file, text.as_bytes(), "ds", lookup, &mut crate::NoProgress) {
            Err(e) => format!("error: {e}\n"),
            Ok(import) => import
                .transfers
                .iter()
                .map(|t| {
                    let values: Vec<String> = t.values.iter().map(|v| format!("{v:?}")).collect();
                    let deliveries: Vec<String> = (t.deliveries.iter())
                        .map(|d| format!("{} n={:?} tiv={:?}", d.year, d.number, d.tiv))
                        .collect();
                    format!(
                        "line {} {} {} {}: {} ({:?}) -> {} ({:?}), {:?} {:?} {:?}, order {:?} \
                         n={:?}, deliveries [{}], values [{}], {:?} local={} {:?} [{} {:?}]\n",
                        t.record.line,
                        t.record_key,
                        t.kind,
                        t.source_type,
                        t.supplier,
                        t.supplier_as_written,
                        t.recipient,
                        t.recipient_as_written,
                        t.designation,
                        t.description,
                        t.category,
                        t.order_year,
                        t.number_ordered,
                        deliveries.join(", "),
                        values.join(", "),
                        t.status,
                        t.local_production,
                        t.comments,
                        t.record.file,
                        t.record.release,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn rows_become_transfers_or_errors_naming_line_and_field() {
        let header = FIELDS.join(",");
        let rows = [
            "S1,delivery,customs_data,IRQ,FRA,SYN-42,,salw.sa.assault_rifle,1987,120,12.345,,,,,,",
            " S2 , order ,contract, Iraq ,Soviet Union, T-72 ,tank,assault rifle,1980,10,3.5,\
             1.5,USD,1979,second_hand,yes,a comment",
            ",licence,national_report,unknown,actor:hezbollah,x,,,2000,,,,,,new,No,",
            ",licence,national_report,unknown,actor:hezbollah,x,,,2000,,,,,,new,No,",
            "S3,delivery,customs_data,IRQ,FRA,x,,,1899,,,,,,,,",
            "S3,delivery,customs_data,IRQ,Atlantis,x,,,1990,,,,,,,,",
            "S3,sale,customs_data,IRQ,FRA,x,,,1990,,,,,,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,II,1990,-1,,,,,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,II,1990,,1.2345,,,,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,nonsense,1990,,,,,,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,,1990,,,5,usd,2000,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,,1990,,,5,,,,,",
            "S3,delivery,customs_data,IRQ,FRA,x,,,1990,,,,,,,maybe,",
            "S3,delivery,customs_data,,FRA,x,,,1990,,,,,,,,",
            "S1,delivery,customs_data,IRQ,FRA,x,,,1990,,,,,,,,",
        ];
        let got = with_lookup(|lookup| {
            let mut got = String::new();
            // The first four rows make one file; each later row is added to the first alone.
            let file = format!("{header}\n{}\n", rows[..4].join("\n"));
            got += &outcome(lookup, "f.csv", &file);
            for row in &rows[4..] {
                got += &outcome(lookup, "f.csv", &format!("{header}\n{}\n{row}\n", rows[0]));
            }
            got
        });
        expect![[r#"
            line 2 id-S1 delivery customs_data: country:IRQ ("IRQ") -> country:FRA ("FRA"), "SYN-42" None Some("salw.sa.assault_rifle"), order None n=None, deliveries [1987 n=Some(120) tiv=Some(Milli(12.345))], values [], None local=false None [f.csv Some("ds")]
            line 3 id-S2 order contract: country:IRQ ("Iraq") -> country:SUHH ("Soviet Union"), "T-72" Some("tank") Some("salw.sa.assault_rifle"), order Some(1980) n=Some(10), deliveries [], values [Money { amount: Milli(1.5), currency: "USD", price_year: 1979 }, Tiv { value: Milli(3.5) }], Some(SecondHand) local=true Some("a comment") [f.csv Some("ds")]
            line 4 f4199f8ae760ba50644f2ff0-0 licence national_report: unknown ("unknown") -> actor:hezbollah ("actor:hezbollah"), "x" None None, order Some(2000) n=None, deliveries [], values [], Some(New) local=false None [f.csv Some("ds")]
            line 5 f4199f8ae760ba50644f2ff0-1 licence national_report: unknown ("unknown") -> actor:hezbollah ("actor:hezbollah"), "x" None None, order Some(2000) n=None, deliveries [], values [], Some(New) local=false None [f.csv Some("ds")]
            error: f.csv, line 3, field 'year': '1899' is not a year (1900–2100)
            error: f.csv, line 3, field 'recipient': 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess
            error: f.csv, line 3, field 'kind': unknown transfer kind 'sale': use one of order, licence, delivery, denial, trace_answer
            error: f.csv, line 3, field 'quantity': '-1' is not a whole number of units
            error: f.csv, line 3, field 'tiv': '1.2345' is not a number with at most three decimals (use a dot: 12.5)
            error: f.csv, line 3, field 'category': 'nonsense' is not a known category: see `armtrace categories`
            error: f.csv, line 3, field 'currency': 'usd' is not an ISO 4217 code such as USD or EUR
            error: f.csv, line 3, field 'value': give value, currency and price_year together
            error: f.csv, line 3, field 'local_production': 'maybe': use true or false
            error: f.csv, line 3, field 'supplier': required
            error: f.csv, line 3, field 'record_id': 'S1' appears twice in the file
        "#]]
        .assert_eq(&got);
    }

    #[test]
    fn headers_and_csv_errors_are_named() {
        let got = with_lookup(|lookup| {
            [
                "kind,source_type,supplier,recipient,designation,year,colour\n",
                "kind,source_type,supplier,recipient,year\n",
                "",
                "kind,source_type,supplier,recipient,designation,year\n",
                "kind,source_type,supplier,recipient,designation,year\n\
                 delivery,register,IRQ,FRA,x,1990\ndelivery,register,IRQ,FRA,x\n",
                "kind,source_type,supplier,recipient,designation,year\r\n\
                 delivery,register,IRQ,FRA,x,1990\r\n\r\ndelivery,register,IRQ,FRA,x,1890\r\n",
                "kind,source_type,supplier,recipient,designation,year,kind\n\
                 delivery,register,IRQ,FRA,\"x, \"\"y\"\"\",1990,order\n",
                // Quoted (read by the csv crate), CR LF, a blank line, a field over two lines:
                // the errors name the line each record starts on.
                "kind,source_type,supplier,recipient,designation,year\r\n\
                 delivery,register,IRQ,FRA,\"x\r\ny\",1990\r\n\r\ndelivery,register,IRQ,FRA,x,1890\r\n",
                "kind,source_type,supplier,recipient,designation,year\r\n\
                 delivery,register,IRQ,FRA,\"x\",1990\r\n\r\ndelivery,register,IRQ,FRA\r\n",
            ]
            .iter()
            .map(|text| outcome(lookup, "f.csv", text))
            .collect::<String>()
        });
        expect![[r#"
            error: f.csv, line 1, field 'colour': unknown column: the native format has record_id, kind, source_type, supplier, recipient, designation, description, category, year, quantity, tiv, value, currency, price_year, status, local_production, comments
            error: f.csv, line 1, field 'designation': required column is missing
            error: f.csv, line 1, field 'kind': required column is missing
            error: f.csv: no records
            error: f.csv, line 3: not valid CSV: the record has 5 fields, but the header has 6
            error: f.csv, line 4, field 'year': '1890' is not a year (1900–2100)
            line 2 d1ac298a3e2ccddbed5dc439-0 delivery register: country:IRQ ("IRQ") -> country:FRA ("FRA"), "x, \"y\"" None None, order None n=None, deliveries [1990 n=None tiv=None], values [], None local=false None [f.csv Some("ds")]
            error: f.csv, line 5, field 'year': '1890' is not a year (1900–2100)
            error: f.csv, line 4: not valid CSV: the record has 4 fields, but the header has 6
        "#]]
        .assert_eq(&got);
    }

    #[test]
    fn jsonl_rows_become_the_same_transfers() {
        let good = "{\"record_id\":\"S1\",\"kind\":\"delivery\",\"source_type\":\"register\",\
                    \"supplier\":\"IRQ\",\"recipient\":\"France\",\"designation\":\"x\",\
                    \"year\":1990,\"quantity\":3,\"tiv\":1.5,\"comments\":null}\n\n\
                    {\"kind\":\"order\",\"source_type\":\"register\",\"supplier\":\"IRQ\",\
                    \"recipient\":\"FRA\",\"designation\":\"x\",\"year\":\"1991\"}\n";
        let got = with_lookup(|lookup| {
            outcome(lookup, "f.jsonl", good)
                + &outcome(
                    lookup,
                    "f.jsonl",
                    &format!("{good}{{\"colour\":\"red\"}}\n"),
                )
                + &outcome(lookup, "f.jsonl", &format!("{good}{{\"kind\":\n"))
        });
        expect![[r#"
            line 1 id-S1 delivery register: country:IRQ ("IRQ") -> country:FRA ("France"), "x" None None, order None n=None, deliveries [1990 n=Some(3) tiv=Some(Milli(1.5))], values [], None local=false None [f.jsonl Some("ds")]
            line 3 f7f4c5d026e9c577fa22b460-0 order register: country:IRQ ("IRQ") -> country:FRA ("FRA"), "x" None None, order Some(1991) n=None, deliveries [], values [], None local=false None [f.jsonl Some("ds")]
            error: f.jsonl, line 4, field 'colour': unknown field: the native format has record_id, kind, source_type, supplier, recipient, designation, description, category, year, quantity, tiv, value, currency, price_year, status, local_production, comments
            error: f.jsonl, line 4: not a JSON object: EOF while parsing a value at line 1 column 8
        "#]].assert_eq(&got);
    }

    /// Every record `read` gives, with where it starts, then how reading ended.
    fn records(
        read: fn(&str, &str, &mut Each<'_>) -> Result<(), IngestError>,
        text: &str,
        stop_after: usize,
    ) -> Vec<String> {
        let mut got = Vec::new();
        let end = read("f.csv", text, &mut |at, row| {
            got.push(format!("{at:?} {row:?}"));
            Ok(got.len() < stop_after)
        });
        got.push(format!("{end:?}"));
        got
    }

    #[test]
    fn plain_csv_reads_as_the_csv_crate_does() {
        let h = "kind,source_type,supplier,recipient,designation,year";
        // Each text, and whether it is plain.
        let texts = [
            (String::new(), true),
            ("\n\n".into(), true),
            (h.into(), true),
            (format!("{h}\n"), true),
            (format!("{h}\na,b,c,d,e,f"), true),
            (format!("{h}\na,b,c,d,e,f\n"), true),
            (format!("\n\n{h}\na,b,c,d,e,f\n\n\n g ,,,,, \n"), true),
            (
                format!("{h}\r\na,b,c,d,e,f\r\n\r\n\r\ng,h,i,j,k,l\r\n"),
                true,
            ),
            (
                format!("\r\n{h}\r\na,b,c,d,e,f\nm,n,o,p,q,r\r\ng,h,i,j,k,l"),
                true,
            ),
            (format!("{h}\na,b,c,d,e,f\na,b,c\n"), true),
            (format!("{h}\r\na,b,c,d,e,f\r\n\r\na,b,c,d,e,f,g\r\n"), true),
            (format!("{h}\na,b,c,d,e,f\n \n"), true),
            (format!("{h},year,comments\na,b,c,d,e,f,1,2\n"), true),
            (format!("{h},colour\na,b,c,d,e,f,1\n"), true),
            ("kind,year\na,b\n".into(), true),
            (format!("{h}\nä,ö,ü,€,𝄞,\u{a0}\n"), true),
            // The csv reader drops a byte-order mark.
            (format!("\u{feff}{h}\na,b,c,d,e,f\n"), false),
            (format!("{h}\na,b,c\"d,e,f\n"), false),
            (format!("{h}\na,b,c,d,e,f\r"), false),
            (format!("{h}\na,b\r,c,d,e,f\n"), false),
        ];
        for (text, is_plain) in &texts {
            assert_eq!(plain(text), *is_plain, "{text:?}");
            if *is_plain {
                for stop_after in [usize::MAX, 1] {
                    assert_eq!(
                        records(read_plain_csv, text, stop_after),
                        records(read_quoted_csv, text, stop_after),
                        "{text:?}"
                    );
                }
            }
        }
    }

    /// Rows (by number, with their parties), names given to parties, sorted key hashes.
    type Decoded = (Vec<String>, Vec<(String, String)>, Vec<u64>);

    /// The rows of every segment in `parts`, by number (with their parties), the names given to
    /// parties, and the sorted key hashes; or the first error.
    fn rows_of(
        parts: impl Iterator<Item = Result<Encoded, IngestError>>,
    ) -> Result<Decoded, String> {
        let (mut rows, mut names, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
        for part in parts {
            match part.map_err(|e| e.to_string())? {
                Encoded::Segments { segments, .. } => {
                    for s in segments {
                        for r in segment::decode_all(&s.data).map_err(|e| e.to_string())? {
                            rows.push((r.n, format!("{} <- {}: {r:?}", s.recipient, s.supplier)));
                        }
                    }
                }
                Encoded::Done {
                    key_hashes,
                    names: n,
                } => {
                    names.extend(n);
                    hashes.extend(key_hashes);
                }
            }
        }
        rows.sort();
        names.sort();
        names.dedup();
        hashes.sort_unstable();
        Ok((rows.into_iter().map(|(_, r)| r).collect(), names, hashes))
    }

    /// What `spawn_encoders` gives for `text` in `parts` parts (however small the file).
    fn encoded(
        lookup: &Lookup<'_>,
        file: &str,
        text: &str,
        parts: usize,
    ) -> Result<Decoded, String> {
        rows_of(spawn_encoders_from(
            file.into(),
            text.as_bytes().to_vec(),
            "ds".into(),
            lookup.resolver.clone(),
            lookup.categories.clone(),
            parts,
            0,
        ))
    }

    /// What encoding the transfers [`parse`] gives makes of `text`.
    fn via_transfers(lookup: &Lookup<'_>, file: &str, text: &str) -> Result<Decoded, String> {
        let parsed = parse(file, text.as_bytes(), "ds", lookup, &mut crate::NoProgress)
            .map_err(|e| e.to_string())?;
        let mut encoder = Encoder::default();
        for t in &parsed.transfers {
            encoder.push_transfer(t).map_err(|e| e.to_string())?;
        }
        rows_of(encoder.finish().into_iter().map(Ok))
    }

    #[test]
    fn encoded_rows_are_those_of_the_parsed_transfers() {
        let header = FIELDS.join(",");
        let good = [
            "S1,delivery,customs_data,IRQ,FRA,SYN-42,,salw.sa.assault_rifle,1987,120,12.345,,,,,,",
            " S2 , order ,contract, Iraq ,Soviet Union, T-72 ,tank,assault rifle,1980,10,3.5,\
             1.5,USD,1979,second_hand,yes,a comment",
            ",licence,national_report,unknown,actor:hezbollah,x,,,2000,,,,,,new,No,",
            "S4,trace_answer,trace_answer,FRA,IRQ,x,,,2001,3,,2,EUR,2000,,,",
            ",licence,national_report,unknown,actor:hezbollah,x,,,2000,,,,,,new,No,",
            "S5,denial,national_report,France,Iraq,y,,,1999,,0.5,,,,,,",
            ",delivery,register,IRQ,FRA,z,,,1990,,,,,,second_hand_modernised,true,",
            "S6,delivery,customs_data,IRQ,FRA,SYN-42,,salw.sa.assault_rifle,1988,1,0,,,,,,",
            ",licence,national_report,unknown,actor:hezbollah,x,,,2000,,,,,,new,No,",
        ];
        let texts = [
            format!("{header}\n{}\n", good.join("\n")),
            // CR LF, blank lines, no LF at the end.
            format!("\r\n{header}\r\n{}", good.join("\r\n\r\n")),
            // Quoted: the csv reader, one thread.
            format!(
                "{header}\n{}\n\"S9\",order,contract,IRQ,FRA,\"a, b\",,,1990,,,,,,,,\n",
                good.join("\n")
            ),
            "{\"record_id\":\"S1\",\"kind\":\"delivery\",\"source_type\":\"register\",\
                     \"supplier\":\"IRQ\",\"recipient\":\"France\",\"designation\":\"x\",\
                     \"year\":1990,\"quantity\":3,\"tiv\":1.5}\n"
                .to_string(),
        ];
        with_lookup(|lookup| {
            for text in &texts {
                let file = if text.starts_with('{') {
                    "f.jsonl"
                } else {
                    "f.csv"
                };
                let want = via_transfers(lookup, file, text).unwrap();
                assert!(!want.0.is_empty());
                for parts in 1..=5 {
                    assert_eq!(
                        encoded(lookup, file, text, parts).unwrap(),
                        want,
                        "{parts} parts: {text:?}"
                    );
                }
            }
        });
    }

    #[test]
    fn encoding_in_parts_reports_the_first_bad_record() {
        let header = "record_id,kind,source_type,supplier,recipient,designation,year";
        let row = |i: usize| format!("S{i},delivery,register,IRQ,FRA,x,1990");
        let mut lines: Vec<String> = (0..40).map(row).collect();
        lines[10] = "S10,delivery,register,IRQ,FRA,x,1850".into();
        lines[25] = "S25,delivery,register,IRQ,Atlantis,x,1990".into();
        lines[33] = "S33,delivery,register,IRQ,FRA,x".into();
        let text = format!("{header}\n{}\n", lines.join("\n"));
        with_lookup(|lookup| {
            let want = via_transfers(lookup, "f.csv", &text).unwrap_err();
            assert_eq!(
                want,
                "f.csv, line 12, field 'year': '1850' is not a year (1900–2100)"
            );
            for parts in 1..=6 {
                assert_eq!(encoded(lookup, "f.csv", &text, parts).unwrap_err(), want);
            }
            // Without the first, the second.
            let fixed = text.replace("x,1850", "x,1990");
            for parts in 1..=6 {
                assert_eq!(
                    encoded(lookup, "f.csv", &fixed, parts).unwrap_err(),
                    via_transfers(lookup, "f.csv", &fixed).unwrap_err()
                );
            }
            // A record id repeated, near or far: the same error in any number of parts, in its
            // place among the other bad records.
            let twice = fixed.replace("Atlantis", "FRA").replace(
                "S33,delivery,register,IRQ,FRA,x\n",
                "S1,delivery,register,IRQ,FRA,x,1990\n",
            );
            let near = fixed.replace("S3,", "S2,");
            // A bad year on line 12, then the repeat on line 35: the year.
            let early = twice.replace(
                "S10,delivery,register,IRQ,FRA,x,1990",
                "S10,delivery,register,IRQ,FRA,x,1850",
            );
            for (text, want) in [
                (
                    &twice,
                    "f.csv, line 35, field 'record_id': 'S1' appears twice in the file",
                ),
                (
                    &near,
                    "f.csv, line 5, field 'record_id': 'S2' appears twice in the file",
                ),
                (
                    &early,
                    "f.csv, line 12, field 'year': '1850' is not a year (1900–2100)",
                ),
            ] {
                assert_eq!(via_transfers(lookup, "f.csv", text).unwrap_err(), want);
                for parts in 1..=6 {
                    assert_eq!(
                        encoded(lookup, "f.csv", text, parts).unwrap_err(),
                        want,
                        "{parts} parts"
                    );
                }
            }
        });
    }

    #[test]
    fn parts_split_at_line_ends_and_count_what_comes_before() {
        let text = "h\nr1\n\nr2\r\nr3\n\r\nr4\nr5";
        let body = 2;
        for parts in 1..=8 {
            let split = split(text, body, 1, parts);
            // Together the parts cover the body, each ending after an LF (or at the end).
            assert_eq!(split.first().map(|p| p.from), Some(body));
            assert_eq!(split.last().map(|p| p.to), Some(text.len()));
            for w in split.windows(2) {
                assert_eq!(w[0].to, w[1].from);
                assert_eq!(text.as_bytes()[w[0].to - 1], b'\n');
            }
            for p in &split {
                let before = &text[..p.from];
                assert_eq!(p.lfs, before.matches('\n').count() as u64, "{p:?}");
                let records = before[body..]
                    .split('\n')
                    .filter(|l| !l.is_empty() && *l != "\r")
                    .count() as u64;
                assert_eq!(p.records, records, "{parts} parts: {p:?}");
            }
        }
    }

    #[test]
    fn record_ids_are_told_apart_exactly() {
        // Enough ids that some share all 32 hash bits the table keeps, and that it grows often.
        let mut ids = RecordIds::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..300_000u64 {
            let id = format!("id{}", i.wrapping_mul(0x9E37_79B9) % 250_000);
            assert_eq!(ids.insert(&id), Ok(seen.insert(id.clone())), "{id}");
        }
        assert_eq!(ids.insert(""), Ok(true));
        assert_eq!(ids.insert(""), Ok(false));
    }
}
