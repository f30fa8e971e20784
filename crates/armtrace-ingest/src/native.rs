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
use armtrace_core::text::fold;
use armtrace_core::transfer::{
    Delivery, SourceRecord, SourceType, Transfer, TransferKind, TransferStatus,
};
use armtrace_core::{Measure, Milli};
use std::collections::HashMap;
use std::hash::BuildHasher;

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
    let jsonl =
        file.ends_with(".jsonl") || file.ends_with(".ndjson") || text.trim_start().starts_with('{');
    let total = bytes.len() as u64;
    // Every record takes more than 16 bytes, so a small file does not reserve a whole batch.
    let mut builder = Builder::new(file, dataset, lookup, batch.min(bytes.len() / 16 + 1));
    if jsonl {
        let mut done = 0u64;
        for (i, line) in text.split('\n').enumerate() {
            done += line.len() as u64 + 1;
            let line_no = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .map_err(|e| IngestError::line(file, line_no, format!("not a JSON object: {e}")))?;
            for key in obj.keys() {
                if !FIELDS.contains(&key.as_str()) {
                    return Err(IngestError::field(
                        file,
                        line_no,
                        key,
                        format!("unknown field: the native format has {}", FIELDS.join(", ")),
                    ));
                }
            }
            let mut row = [""; FIELDS.len()];
            let owned: Vec<String> = FIELDS
                .iter()
                .map(|f| match obj.get(*f) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect();
            for (slot, v) in row.iter_mut().zip(&owned) {
                *slot = v.as_str();
            }
            builder.push(line_no, &row)?;
            if builder.transfers.len() >= batch {
                progress.advance(done.min(total), total);
                if !emit(builder.full_batch()) {
                    return Ok(builder.emitted);
                }
            }
        }
    } else {
        let mut stopped = false;
        read_csv(file, &text, &mut |at, row| {
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
    let bytes = text.as_bytes();
    // Which field of FIELDS each column holds, once the header is read; LFs passed.
    let (mut columns, mut lfs) = (None, 0u64);
    let mut start = 0;
    while start < bytes.len() {
        let lf = memchr::memchr(b'\n', &bytes[start..]).map(|i| start + i);
        let end = lf.unwrap_or(bytes.len());
        let mut line = &text[start..end];
        let at = At {
            line: lfs + 1,
            byte: start as u64,
        };
        start = end + 1;
        let crlf = line.ends_with('\r');
        if crlf {
            line = &line[..line.len() - 1];
        }
        if line.is_empty() {
            lfs += u64::from(lf.is_some());
            continue;
        }
        match &columns {
            None => {
                columns = Some(header_columns(
                    file,
                    &Split(Some(line)).collect::<Vec<_>>(),
                )?)
            }
            Some(columns) => {
                let mut row = [""; FIELDS.len()];
                let mut len = 0;
                for value in Split(Some(line)) {
                    if let Some(Some(i)) = columns.get(len) {
                        row[*i] = value;
                    }
                    len += 1;
                }
                if len != columns.len() {
                    return Err(unequal_fields(file, at, len as u64, columns.len() as u64));
                }
                if !each(at, &row)? {
                    return Ok(());
                }
            }
        }
        lfs += u64::from(lf.is_some());
    }
    if columns.is_none() {
        header_columns(file, &[])?;
    }
    Ok(())
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

/// A parser running on its own thread, handing batches over a bounded channel: parsing the next
/// batch overlaps with writing the last. The receiver yields `Err` (and then ends) on a bad record.
pub fn spawn_parser(
    file: String,
    bytes: Vec<u8>,
    dataset: String,
    resolver: NameResolver,
    categories: HashMap<String, String>,
    batch: usize,
) -> impl Iterator<Item = Result<Batch, IngestError>> + Send {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    // Batches the consumer is done with come back to be freed here (see `Batch`).
    let (back, returned) = std::sync::mpsc::channel::<Vec<Transfer>>();
    let name = file.clone();
    let handle = std::thread::spawn(move || {
        let lookup = Lookup {
            resolver: &resolver,
            categories,
        };
        let result = parse_in_batches(
            &file,
            &bytes,
            &dataset,
            &lookup,
            &mut crate::NoProgress,
            batch,
            &mut |b| {
                while let Ok(done) = returned.try_recv() {
                    drop(done);
                }
                tx.send(Ok(Batch {
                    transfers: b,
                    back: Some(back.clone()),
                }))
                .is_ok()
            },
        );
        if let Err(e) = result {
            let _ = tx.send(Err(e));
        }
    });
    // The channel closing is not proof the file was read to its end: a parser that stopped
    // abnormally is an error too, so the import rolls back instead of committing part of a file.
    rx.into_iter()
        .chain(std::iter::once_with(move || match handle.join() {
            Ok(()) => Ok(Batch::default()),
            Err(_) => Err(IngestError::file(
                &name,
                "the parser stopped unexpectedly; nothing was imported",
            )),
        }))
}

/// A batch of transfers from [`spawn_parser`]. Dropping it hands the transfers back to the
/// parser's thread to be freed there: memory is freed fastest by the thread that allocated it,
/// and freeing ten allocations per record on the writer's thread cost a bulk import about a fifth
/// of its time. (Once the parser has finished, they are freed where they are dropped.)
#[derive(Debug, Default)]
pub struct Batch {
    transfers: Vec<Transfer>,
    back: Option<std::sync::mpsc::Sender<Vec<Transfer>>>,
}

impl std::ops::Deref for Batch {
    type Target = [Transfer];
    fn deref(&self) -> &[Transfer] {
        &self.transfers
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(back) = self.back.take() {
            let _ = back.send(std::mem::take(&mut self.transfers));
        }
    }
}

struct Builder<'a> {
    file: &'a str,
    dataset: &'a str,
    lookup: &'a Lookup<'a>,
    /// Parties and categories by their text as written: a file names a few hundred parties and
    /// categories over millions of rows, so each text is resolved (and folded) once.
    parties: hashbrown::HashMap<Box<str>, Party>,
    categories: hashbrown::HashMap<Box<str>, String>,
    record_ids: RecordIds,
    /// Rows without a `record_id`: how many times each content hash has occurred.
    occurrences: hashbrown::HashMap<String, u32>,
    transfers: Vec<Transfer>,
    /// The number of transfers a batch is reserved for.
    capacity: usize,
    emitted: u64,
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
            categories: hashbrown::HashMap::new(),
            record_ids: RecordIds::default(),
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
    fn party(&mut self, line: u64, field: &str, s: &str) -> Result<Party, IngestError> {
        if s.is_empty() {
            return Err(self.err(line, field, "required"));
        }
        if let Some(party) = self.parties.get(s) {
            return Ok(party.clone());
        }
        let party = self
            .lookup
            .resolver
            .resolve(s)
            .map_err(|e| self.err(line, field, e.to_string()))?;
        self.parties.insert(s.into(), party.clone());
        Ok(party)
    }

    /// `c` is trimmed and not empty.
    fn category(&mut self, line: u64, c: &str) -> Result<String, IngestError> {
        if let Some(code) = self.categories.get(c) {
            return Ok(code.clone());
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
        self.categories.insert(c.into(), code.clone());
        Ok(code)
    }

    /// `row` holds the fields in the order of [`FIELDS`], as written (untrimmed).
    fn push(&mut self, line: u64, row: &Row<'_>) -> Result<(), IngestError> {
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
        let record_id = get(RECORD_ID);
        let record_key = if record_id.is_empty() {
            let hash = record_hash(row);
            let n = self.occurrences.entry_ref(hash.as_str()).or_insert(0);
            *n += 1;
            format!("{hash}-{}", *n - 1)
        } else {
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
            let mut key = String::with_capacity(3 + record_id.len());
            key.push_str("id-");
            key.push_str(record_id);
            key
        };
        let delivered = matches!(kind, TransferKind::Delivery | TransferKind::TraceAnswer);
        let mut values = Vec::new();
        values.extend(money);
        let deliveries = if delivered {
            vec![Delivery {
                year,
                year_is_estimate: false,
                number: quantity,
                number_is_estimate: false,
                tiv,
            }]
        } else {
            if let Some(value) = tiv {
                values.push(Measure::Tiv { value });
            }
            vec![]
        };
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.transfers.push(Transfer {
            record_key,
            kind,
            source_type,
            supplier_as_written: get(SUPPLIER).to_string(),
            supplier,
            recipient_as_written: get(RECIPIENT).to_string(),
            recipient,
            designation: designation.to_string(),
            description: optional(get(DESCRIPTION)),
            category,
            model: None,
            order_year: (!delivered).then_some(year),
            order_year_is_estimate: false,
            number_ordered: if delivered { None } else { quantity },
            number_ordered_is_estimate: false,
            deliveries,
            status,
            local_production,
            values,
            comments: optional(get(COMMENTS)),
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
        let header = "record_id,kind,source_type,supplier,recipient,designation,description,\
                      category,year,quantity,tiv,value,currency,price_year,status,\
                      local_production,comments";
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
