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

use crate::{IngestError, MAX_TIV_MILLI, Progress, record_key, text::decode};
use armtrace_core::actor::Party;
use armtrace_core::resolve::NameResolver;
use armtrace_core::text::fold;
use armtrace_core::transfer::{
    Delivery, SourceRecord, SourceType, Transfer, TransferKind, TransferStatus,
};
use armtrace_core::{Measure, Milli};
use std::collections::{HashMap, HashSet};

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
    let mut builder = Builder {
        file,
        dataset,
        lookup,
        seen_ids: HashSet::new(),
        occurrences: HashMap::new(),
        transfers: Vec::new(),
        emitted: 0,
    };
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
                builder.emitted += builder.transfers.len() as u64;
                progress.advance(done.min(total), total);
                if !emit(std::mem::take(&mut builder.transfers)) {
                    return Ok(builder.emitted);
                }
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| IngestError::line(file, 1, format!("cannot read the header: {e}")))?
            .clone();
        for h in headers.iter() {
            if !FIELDS.contains(&h) {
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
        let index: Vec<Option<usize>> = FIELDS
            .iter()
            .map(|f| headers.iter().position(|h| h == *f))
            .collect();
        for required in [
            "kind",
            "source_type",
            "supplier",
            "recipient",
            "designation",
            "year",
        ] {
            if !headers.iter().any(|h| h == required) {
                return Err(IngestError::field(
                    file,
                    1,
                    required,
                    "required column is missing",
                ));
            }
        }
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Err(IngestError::line(file, line, format!("not valid CSV: {e}")));
                }
            }
            let line_no = record.position().map(|p| p.line()).unwrap_or(0);
            let mut row = [""; FIELDS.len()];
            for (slot, idx) in row.iter_mut().zip(&index) {
                *slot = idx.and_then(|i| record.get(i)).unwrap_or("");
            }
            builder.push(line_no, &row)?;
            if builder.transfers.len() >= batch {
                builder.emitted += builder.transfers.len() as u64;
                let done = record.position().map(|p| p.byte()).unwrap_or(0);
                progress.advance(done.min(total), total);
                if !emit(std::mem::take(&mut builder.transfers)) {
                    return Ok(builder.emitted);
                }
            }
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

/// A parser running on its own thread, handing batches over a bounded channel: parsing the next
/// batch overlaps with writing the last. The receiver yields `Err` (and then ends) on a bad record.
pub fn spawn_parser(
    file: String,
    bytes: Vec<u8>,
    dataset: String,
    resolver: NameResolver,
    categories: HashMap<String, String>,
    batch: usize,
) -> impl Iterator<Item = Result<Vec<Transfer>, IngestError>> + Send {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
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
            &mut |b| tx.send(Ok(b)).is_ok(),
        );
        if let Err(e) = result {
            let _ = tx.send(Err(e));
        }
    });
    // The channel closing is not proof the file was read to its end: a parser that stopped
    // abnormally is an error too, so the import rolls back instead of committing part of a file.
    rx.into_iter()
        .chain(std::iter::once_with(move || match handle.join() {
            Ok(()) => Ok(Vec::new()),
            Err(_) => Err(IngestError::file(
                &name,
                "the parser stopped unexpectedly; nothing was imported",
            )),
        }))
}

struct Builder<'a> {
    file: &'a str,
    dataset: &'a str,
    lookup: &'a Lookup<'a>,
    seen_ids: HashSet<String>,
    occurrences: HashMap<String, u32>,
    transfers: Vec<Transfer>,
    emitted: u64,
}

impl Builder<'_> {
    fn err(&self, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        IngestError::field(self.file, line, field, message)
    }

    fn party(&self, line: u64, field: &str, s: &str) -> Result<Party, IngestError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(self.err(line, field, "required"));
        }
        self.lookup
            .resolver
            .resolve(s)
            .map_err(|e| self.err(line, field, e.to_string()))
    }

    fn push(&mut self, line: u64, row: &[&str; FIELDS.len()]) -> Result<(), IngestError> {
        let get = |name: &str| -> &str {
            FIELDS
                .iter()
                .position(|f| *f == name)
                .map(|i| row[i].trim())
                .unwrap_or("")
        };
        let kind: TransferKind = get("kind")
            .parse()
            .map_err(|e: String| self.err(line, "kind", e))?;
        let source_type: SourceType = get("source_type")
            .parse()
            .map_err(|e: String| self.err(line, "source_type", e))?;
        let supplier = self.party(line, "supplier", get("supplier"))?;
        let recipient = self.party(line, "recipient", get("recipient"))?;
        let designation = get("designation");
        if designation.is_empty() {
            return Err(self.err(line, "designation", "required"));
        }
        let year: i32 = match get("year").parse() {
            Ok(y) if (1900..=2100).contains(&y) => y,
            _ => {
                return Err(self.err(
                    line,
                    "year",
                    format!("'{}' is not a year (1900–2100)", get("year")),
                ));
            }
        };
        let quantity = match get("quantity") {
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
        let tiv = match get("tiv") {
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
        let money = match (get("value"), get("currency"), get("price_year")) {
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
        let status = match get("status") {
            "" => None,
            s => Some(
                s.parse::<TransferStatus>()
                    .map_err(|e| self.err(line, "status", e))?,
            ),
        };
        let local_production = match get("local_production") {
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
        let category = match get("category") {
            "" => None,
            c => Some(
                self.lookup
                    .categories
                    .get(&fold(c))
                    .cloned()
                    .ok_or_else(|| {
                        self.err(
                            line,
                            "category",
                            format!("'{c}' is not a known category: see `armtrace categories`"),
                        )
                    })?,
            ),
        };
        let record_id = get("record_id");
        let key = if record_id.is_empty() {
            let fields: Vec<&str> = row.to_vec();
            let base = record_key(&fields, 0);
            let n = self.occurrences.entry(base).or_insert(0);
            *n += 1;
            record_key(&fields, *n - 1)
        } else {
            if !self.seen_ids.insert(record_id.to_string()) {
                return Err(self.err(
                    line,
                    "record_id",
                    format!("'{record_id}' appears twice in the file"),
                ));
            }
            format!("id-{record_id}")
        };
        let delivered = matches!(kind, TransferKind::Delivery | TransferKind::TraceAnswer);
        let mut values: Vec<Measure> = money.into_iter().collect();
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
        self.transfers.push(Transfer {
            record_key: key,
            kind,
            source_type,
            supplier_as_written: get("supplier").to_string(),
            supplier,
            recipient_as_written: get("recipient").to_string(),
            recipient,
            designation: designation.to_string(),
            description: Some(get("description").to_string()).filter(|s| !s.is_empty()),
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
            comments: Some(get("comments").to_string()).filter(|s| !s.is_empty()),
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
