//! SIPRI Arms Transfers Database exports, in both of SIPRI's export formats.
//!
//! The **trade register** (older) format: a preamble before the header; Windows-1252 text; three
//! blank-named columns holding `?` uncertainty flags for the order year, number ordered and number
//! delivered; no quoting (SIPRI never puts commas in fields); a few records split over two physical
//! lines by a line break inside the comments; `;`-separated delivery years; an empty "Number
//! ordered" for unknown; TIV "0" for a value between 0 and 0.5 million and an empty TIV for no
//! deliveries; a status (new, second hand, second hand but modernized).
//!
//! The **deal-year** (newer) format: one row per deal and delivery year, keyed by "SIPRI AT
//! Database ID", Yes/No estimate flags, designations ending in " -", per-unit TIV before and after
//! the second-hand discount, yearly TIV delivery values, and "Local production". The rows of one
//! deal become one transfer with its deliveries by year.
//!
//! Every export is a release of the register named by its "Data generated" date. A record's key
//! within it is its deal number (deal-year format) or a hash of its whitespace-normalised fields
//! (trade register, which has no deal number; see `trade_register_key`).

use crate::text::{decode, normalise_space};
use crate::{IngestError, MAX_TIV_MILLI, MAX_UNITS, Problems, Progress, record_hash, record_key};
use armtrace_core::actor::Party;
use armtrace_core::error::{Code, Error};
use armtrace_core::resolve::{NameResolver, ResolveError};
use armtrace_core::text::fold;
use armtrace_core::transfer::{
    Delivery, SipriFigures, SourceRecord, SourceType, Transfer, TransferKind, TransferStatus,
};
use armtrace_core::{Milli, PartialDate};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SipriFormat {
    /// The older "trade register" export: one row per deal.
    TradeRegister,
    /// The newer export: one row per deal and delivery year.
    DealYears,
}

impl SipriFormat {
    pub fn as_str(&self) -> &'static str {
        match self {
            SipriFormat::TradeRegister => "sipri_trade_register",
            SipriFormat::DealYears => "sipri_deal_years",
        }
    }
}

/// A parsed export: one release of the register.
#[derive(Clone, Debug)]
pub struct SipriExport {
    pub file: String,
    pub format: SipriFormat,
    /// The "Data generated" date: the release.
    pub generated: PartialDate,
    /// The selection SIPRI describes in the first preamble line.
    pub selection: String,
    pub encoding: &'static str,
    pub transfers: Vec<Transfer>,
    /// Things worth knowing that did not stop the import.
    pub warnings: Vec<String>,
}

/// What the importer needs from the reference data.
#[derive(Debug)]
pub struct Lookup<'a> {
    pub resolver: &'a NameResolver,
    /// Category names and aliases (folded) to category codes.
    pub categories: HashMap<String, String>,
    /// Older-format weapon descriptions to SIPRI category codes.
    pub description_categories: HashMap<String, String>,
}

const OLD_HEADER: [&str; 16] = [
    "Recipient",
    "Supplier",
    "Year of order",
    " ",
    "Number ordered",
    " ",
    "Weapon designation",
    "Weapon description",
    "Number delivered",
    " ",
    "Year(s) of delivery",
    "status",
    "Comments",
    "SIPRI TIV per unit",
    "SIPRI TIV for total order",
    "SIPRI TIV of delivered weapons",
];

const NEW_HEADER: [&str; 17] = [
    "SIPRI AT Database ID",
    "Supplier",
    "Recipient",
    "Designation",
    "Description",
    "Armament category",
    "Order date",
    "Order date is estimate",
    "Numbers delivered",
    "Numbers delivered is estimate",
    "Delivery year",
    "Delivery year is estimate",
    "Status",
    "SIPRI estimate",
    "TIV deal unit",
    "TIV delivery values",
    "Local production",
];

/// How many lines a preamble may have before we decide the file is not a SIPRI export.
const MAX_PREAMBLE: usize = 40;

/// Which SIPRI format the bytes are in, if any.
pub fn detect(bytes: &[u8]) -> Option<SipriFormat> {
    let (text, _) = decode(&bytes[..bytes.len().min(16 * 1024)]);
    text.lines().take(MAX_PREAMBLE).find_map(|l| {
        if l.starts_with("Recipient,Supplier,Year of order") {
            Some(SipriFormat::TradeRegister)
        } else if l.starts_with("SIPRI AT Database ID,") {
            Some(SipriFormat::DealYears)
        } else {
            None
        }
    })
}

/// Parses a SIPRI export. All or nothing: a file with bad records is refused (`import.invalid`)
/// with every bad field of every record found (up to 100, then a count), each naming its line,
/// field and code; a file that is not a SIPRI export is `file.unsupported`; a damaged preamble or
/// header stops the file at once.
pub fn parse(
    file: &str,
    bytes: &[u8],
    lookup: &Lookup<'_>,
    progress: &mut dyn Progress,
) -> Result<SipriExport, Error> {
    let (text, encoding) = decode(bytes);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let Some(header_at) = lines.iter().take(MAX_PREAMBLE).position(|l| {
        l.starts_with("Recipient,Supplier,Year of order") || l.starts_with("SIPRI AT Database ID,")
    }) else {
        return Err(Error::new(
            Code::FileUnsupported,
            "not a SIPRI Arms Transfers Database export: no 'Recipient,Supplier,…' or 'SIPRI AT Database ID,…' header in the first lines",
        )
        .with_file(file));
    };
    let preamble = &lines[..header_at];
    let generated = preamble
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.strip_prefix("Data generated:").map(|d| (i, d.trim())))
        .ok_or_else(|| {
            IngestError::file(
                file,
                "the preamble has no 'Data generated:' line, so the release date is unknown",
            )
            .with_code(Code::InputMissing)
        })
        .and_then(|(i, d)| {
            parse_generated(d).ok_or_else(|| {
                IngestError::field(
                    file,
                    i as u64 + 1,
                    "Data generated",
                    format!("'{d}' is not a date like '13 Mar 2025'"),
                )
            })
        })?;
    let selection = preamble
        .first()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let format = if lines[header_at].starts_with("SIPRI AT Database ID,") {
        SipriFormat::DealYears
    } else {
        SipriFormat::TradeRegister
    };
    let mut export = SipriExport {
        file: file.to_string(),
        format,
        generated,
        selection,
        encoding,
        transfers: Vec::new(),
        warnings: Vec::new(),
    };
    let ctx = Ctx {
        file,
        lookup,
        release: generated.to_string(),
    };
    let mut problems = Problems::new(file);
    let total = bytes.len() as u64;
    match format {
        SipriFormat::DealYears => {
            check_header(file, header_at, lines[header_at], &NEW_HEADER)?;
            parse_deal_years(
                &ctx,
                &lines,
                header_at,
                total,
                progress,
                &mut export,
                &mut problems,
            );
        }
        SipriFormat::TradeRegister => {
            check_header(file, header_at, lines[header_at], &OLD_HEADER)?;
            parse_trade_register(
                &ctx,
                &lines,
                header_at,
                total,
                progress,
                &mut export,
                &mut problems,
            );
        }
    }
    if problems.is_empty() && export.transfers.is_empty() {
        return Err(
            IngestError::file(file, "the export has a header but no records (truncated?)")
                .with_code(Code::InputMissing)
                .into(),
        );
    }
    problems.finish(export)
}

struct Ctx<'a> {
    file: &'a str,
    lookup: &'a Lookup<'a>,
    release: String,
}

impl Ctx<'_> {
    fn err(&self, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        IngestError::field(self.file, line, field, message)
    }

    fn missing(&self, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        self.err(line, field, message).with_code(Code::InputMissing)
    }

    fn party(&self, line: u64, field: &str, name: &str) -> Result<Party, IngestError> {
        if name.is_empty() {
            return Err(self.missing(
                line,
                field,
                "empty: every record names its supplier and recipient",
            ));
        }
        self.lookup.resolver.resolve(name).map_err(|e| {
            self.err(line, field, e.to_string())
                .with_code(name_code(&e))
        })
    }

    fn year(&self, line: u64, field: &str, s: &str) -> Result<i32, IngestError> {
        if s.is_empty() {
            return Err(self.missing(line, field, "empty: every record gives this year"));
        }
        let y = s
            .parse::<i32>()
            .map_err(|_| self.err(line, field, format!("'{s}' is not a year")))?;
        if !(1900..=2100).contains(&y) {
            return Err(self.err(
                line,
                field,
                format!("{y} is not a plausible year (1900–2100)"),
            ));
        }
        Ok(y)
    }

    fn count(&self, line: u64, field: &str, s: &str) -> Result<Option<i64>, IngestError> {
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<i64>() {
            Ok(n) if (0..=MAX_UNITS).contains(&n) => Ok(Some(n)),
            _ => Err(self.err(
                line,
                field,
                format!("'{s}' is not a plausible whole number of units"),
            )),
        }
    }

    fn tiv(&self, line: u64, field: &str, s: &str) -> Result<Option<Milli>, IngestError> {
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<Milli>() {
            Ok(m) if (0..=MAX_TIV_MILLI).contains(&m.0) => Ok(Some(m)),
            Ok(_) => Err(self.err(
                line,
                field,
                format!("'{s}' is negative or implausibly large"),
            )),
            Err(e) => Err(self.err(line, field, e.to_string())),
        }
    }

    fn flag_question(&self, line: u64, field: &str, s: &str) -> Result<bool, IngestError> {
        match s.trim() {
            "" => Ok(false),
            "?" => Ok(true),
            other => Err(self.err(
                line,
                field,
                format!("'{other}' in an uncertainty column: SIPRI writes '?' or nothing"),
            )),
        }
    }

    fn status(&self, line: u64, field: &str, s: &str) -> Result<TransferStatus, IngestError> {
        const EXPECTED: &str = "expected New, Second hand or Second hand but modernized";
        match s.trim() {
            "New" => Ok(TransferStatus::New),
            "Second hand" => Ok(TransferStatus::SecondHand),
            "Second hand but modernized" => Ok(TransferStatus::SecondHandModernised),
            "" => Err(self.missing(line, field, format!("empty: {EXPECTED}"))),
            other => Err(self.err(line, field, format!("'{other}': {EXPECTED}"))),
        }
    }

    fn category(&self, line: u64, name: &str) -> Result<Option<String>, IngestError> {
        if name.is_empty() {
            return Ok(None);
        }
        match self.lookup.categories.get(&fold(name)) {
            Some(code) => Ok(Some(code.clone())),
            None => Err(self
                .err(
                    line,
                    "Armament category",
                    format!("'{name}' is not a SIPRI category armtrace knows"),
                )
                .with_code(Code::NameUnknown)),
        }
    }

    fn record(&self, line: u64) -> SourceRecord {
        SourceRecord {
            file: self.file.to_string(),
            line,
            release: Some(self.release.clone()),
        }
    }
}

/// The code of a name that does not resolve.
pub(crate) fn name_code(e: &ResolveError) -> Code {
    match e {
        ResolveError::Unknown(_) => Code::NameUnknown,
        ResolveError::Ambiguous { .. } => Code::NameAmbiguous,
    }
}

fn check_header(file: &str, at: usize, line: &str, expected: &[&str]) -> Result<(), IngestError> {
    let got: Vec<&str> = line.split(',').collect();
    if got.len() != expected.len() {
        return Err(IngestError::line(
            file,
            at as u64 + 1,
            format!(
                "the header has {} columns, a SIPRI export of this format has {}",
                got.len(),
                expected.len()
            ),
        ));
    }
    for (g, e) in got.iter().zip(expected) {
        if g != e {
            return Err(IngestError::field(
                file,
                at as u64 + 1,
                e,
                format!("header column is '{g}', expected '{e}'"),
            ));
        }
    }
    Ok(())
}

/// "13 Mar 2025 10:02:49 AM" -> 2025-03-13.
fn parse_generated(s: &str) -> Option<PartialDate> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = s.split_whitespace();
    let day: u8 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let month = MONTHS.iter().position(|m| month.starts_with(m))? as u8 + 1;
    let year: i32 = parts.next()?.parse().ok()?;
    PartialDate::ymd(year, month, day).ok()
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The record key of a trade-register record: a hash of its fields in their normal form (no
/// leading or trailing whitespace, inner runs of whitespace as one space, see
/// [`normalise_space`]), with the number of earlier records of the same form. Whitespace and line
/// ends never change a record's identity: a copy of a release with `,New ,` for `,New,` or with
/// CR LF line ends has the same keys. Records whose fields are already in normal form (nearly
/// all) keep the keys they had before this rule.
fn trade_register_key(fields: &[String], seen: &mut HashMap<String, u32>) -> String {
    let normal: Vec<std::borrow::Cow<'_, str>> =
        fields.iter().map(|f| normalise_space(f)).collect();
    let normal: Vec<&str> = normal.iter().map(|f| f.as_ref()).collect();
    let n = seen.entry(record_hash(&normal)).or_insert(0);
    let occurrence = *n;
    *n += 1;
    record_key(&normal, occurrence)
}

fn parse_trade_register(
    ctx: &Ctx<'_>,
    lines: &[&str],
    header_at: usize,
    total: u64,
    progress: &mut dyn Progress,
    export: &mut SipriExport,
    problems: &mut Problems,
) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut uncategorised: BTreeMap<String, u32> = BTreeMap::new();
    let mut done: u64 = lines[..=header_at].iter().map(|l| l.len() as u64 + 1).sum();
    let mut i = header_at + 1;
    while i < lines.len() {
        let line_no = i as u64 + 1;
        let raw = lines[i];
        done += raw.len() as u64 + 1;
        i += 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut fields: Vec<String> = raw.split(',').map(str::to_string).collect();
        // A line break inside the comments splits a record: the rest of it is on the next line,
        // which starts with the comment's continuation and then the three TIV fields.
        if (13..OLD_HEADER.len()).contains(&fields.len())
            && let Some(next) = lines.get(i).filter(|n| {
                n.starts_with(',') || fields.len() + n.split(',').count() - 1 == OLD_HEADER.len()
            })
        {
            let mut rest = next.split(',');
            let continuation = rest.next().unwrap_or("").trim_start();
            if let Some(comment) = fields.last_mut()
                && !continuation.is_empty()
            {
                // The line break may have been CR LF (or CR CR LF in a converted copy): what
                // is left of it is not part of the comment.
                comment.truncate(comment.trim_end().len());
                comment.push(' ');
                comment.push_str(continuation);
            }
            fields.extend(rest.map(str::to_string));
            done += next.len() as u64 + 1;
            i += 1;
        }
        if fields.len() != OLD_HEADER.len() {
            problems.push(IngestError::line(
                ctx.file,
                line_no,
                format!(
                    "{} fields where a trade-register record has {} (a truncated file, or a comma inside a field?)",
                    fields.len(),
                    OLD_HEADER.len()
                ),
            ));
            continue;
        }
        let key = trade_register_key(&fields, &mut seen);
        let f: Vec<&str> = fields.iter().map(|s| s.as_str()).collect();
        let Some(transfer) = trade_register_record(ctx, line_no, &f, key, problems) else {
            continue;
        };
        if transfer.category.is_none() {
            *uncategorised
                .entry(transfer.description.clone().unwrap_or_default())
                .or_insert(0) += 1;
        }
        export.transfers.push(transfer);
        if export.transfers.len().is_multiple_of(2048) {
            progress.advance(done.min(total), total);
        }
    }
    progress.advance(total, total);
    if !uncategorised.is_empty() {
        let n: u32 = uncategorised.values().sum();
        export.warnings.push(format!(
            "{n} records in {} weapon descriptions have no SIPRI category (the older format has none; armtrace maps descriptions it knows): {}",
            uncategorised.len(),
            uncategorised.keys().take(10).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    export.warnings.push(
        "The trade-register format does not say which deals are licensed (local) production; the deal-year format does.".into(),
    );
}

/// One record of the trade register, every field checked: `None` when any is bad (each bad
/// field is pushed to `problems`).
fn trade_register_record(
    ctx: &Ctx<'_>,
    line: u64,
    f: &[&str],
    record_key: String,
    problems: &mut Problems,
) -> Option<Transfer> {
    let p = problems;
    let recipient_as_written = f[0].trim();
    let supplier_as_written = f[1].trim();
    let recipient = p.check(ctx.party(line, "Recipient", recipient_as_written));
    let supplier = p.check(ctx.party(line, "Supplier", supplier_as_written));
    let order_year = p.check(ctx.year(line, "Year of order", f[2].trim()));
    let order_year_is_estimate =
        p.check(ctx.flag_question(line, "Year of order uncertain (column 4)", f[3]));
    let number_ordered = p.check(ctx.count(line, "Number ordered", f[4].trim()));
    let number_ordered_is_estimate =
        p.check(ctx.flag_question(line, "Number ordered uncertain (column 6)", f[5]));
    let designation = f[6].trim();
    let designation_given = p.check(if designation.is_empty() {
        Err(ctx.missing(line, "Weapon designation", "empty"))
    } else {
        Ok(())
    });
    let description = non_empty(f[7]);
    let number_delivered = p.check(ctx.count(line, "Number delivered", f[8].trim()));
    let number_delivered_is_estimate =
        p.check(ctx.flag_question(line, "Number delivered uncertain (column 10)", f[9]));
    let deliveries = delivery_years(ctx, line, f[10], p);
    let status = p.check(ctx.status(line, "status", f[11]));
    let comments = non_empty(f[12]);
    let tiv_per_unit = p.check(ctx.tiv(line, "SIPRI TIV per unit", f[13].trim()));
    let tiv_total_order = p.check(ctx.tiv(line, "SIPRI TIV for total order", f[14].trim()));
    let tiv_delivered = p.check(ctx.tiv(line, "SIPRI TIV of delivered weapons", f[15].trim()));
    let (
        Some(recipient),
        Some(supplier),
        Some(order_year),
        Some(order_year_is_estimate),
        Some(number_ordered),
        Some(number_ordered_is_estimate),
        Some(()),
        Some(number_delivered),
        Some(number_delivered_is_estimate),
        Some(deliveries),
        Some(status),
        Some(tiv_per_unit),
        Some(tiv_total_order),
        Some(tiv_delivered),
    ) = (
        recipient,
        supplier,
        order_year,
        order_year_is_estimate,
        number_ordered,
        number_ordered_is_estimate,
        designation_given,
        number_delivered,
        number_delivered_is_estimate,
        deliveries,
        status,
        tiv_per_unit,
        tiv_total_order,
        tiv_delivered,
    )
    else {
        return None;
    };
    let category = description
        .as_ref()
        .and_then(|d| ctx.lookup.description_categories.get(d).cloned());
    Some(Transfer {
        record_key,
        kind: TransferKind::Order,
        source_type: SourceType::Register,
        supplier,
        supplier_as_written: supplier_as_written.to_string(),
        recipient,
        recipient_as_written: recipient_as_written.to_string(),
        designation: designation.to_string(),
        description,
        category,
        model: None,
        order_year: Some(order_year),
        order_year_is_estimate,
        number_ordered,
        number_ordered_is_estimate,
        deliveries,
        status: Some(status),
        local_production: false,
        values: vec![],
        comments,
        sipri: Some(SipriFigures {
            deal_id: None,
            tiv_per_unit,
            tiv_deal_unit: None,
            tiv_total_order,
            tiv_delivered,
            number_delivered,
            number_delivered_is_estimate,
        }),
        record: ctx.record(line),
    })
}

/// "1979; 1980; 1981": each a plausible year, none twice.
fn delivery_years(
    ctx: &Ctx<'_>,
    line: u64,
    s: &str,
    problems: &mut Problems,
) -> Option<Vec<Delivery>> {
    const FIELD: &str = "Year(s) of delivery";
    let mut deliveries = Vec::new();
    let mut good = true;
    for y in s.split(';').map(str::trim).filter(|y| !y.is_empty()) {
        let Some(year) = problems.check(ctx.year(line, FIELD, y)) else {
            good = false;
            continue;
        };
        if deliveries.iter().any(|d: &Delivery| d.year == year) {
            problems.push(ctx.err(line, FIELD, format!("{year} is listed twice")));
            good = false;
            continue;
        }
        deliveries.push(Delivery {
            year,
            year_is_estimate: false,
            number: None,
            number_is_estimate: false,
            tiv: None,
        });
    }
    good.then_some(deliveries)
}

fn yes_no(
    ctx: &Ctx<'_>,
    line: u64,
    field: &str,
    s: &str,
    blanks: &mut u32,
) -> Result<bool, IngestError> {
    match s.trim() {
        "Yes" => Ok(true),
        "No" => Ok(false),
        "" => {
            *blanks += 1;
            Ok(false)
        }
        other => Err(ctx.err(line, field, format!("'{other}': expected Yes or No"))),
    }
}

/// A deal of the deal-year format as its first row gives it.
struct Deal {
    line: u64,
    /// The per-deal columns of its first row: (column, as written, value), the value `None`
    /// when it did not check.
    columns: Vec<(&'static str, String, Option<String>)>,
    years: Vec<i32>,
    /// Its transfer, when the first row checked.
    transfer: Option<usize>,
}

/// The deal number: a positive whole number.
fn deal_id(ctx: &Ctx<'_>, line: u64, s: &str) -> Result<i64, IngestError> {
    const FIELD: &str = "SIPRI AT Database ID";
    let s = s.trim();
    if s.is_empty() {
        return Err(ctx.missing(line, FIELD, "empty: every row names its deal"));
    }
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ctx.err(
            line,
            FIELD,
            format!("'{s}' is not a deal number (a positive whole number)"),
        )),
    }
}

fn parse_deal_years(
    ctx: &Ctx<'_>,
    lines: &[&str],
    header_at: usize,
    total: u64,
    progress: &mut dyn Progress,
    export: &mut SipriExport,
    problems: &mut Problems,
) {
    let mut deals: HashMap<i64, Deal> = HashMap::new();
    let mut blank_flags = 0u32;
    let mut done: u64 = lines[..=header_at].iter().map(|l| l.len() as u64 + 1).sum();
    for (i, raw) in lines.iter().enumerate().skip(header_at + 1) {
        let line = i as u64 + 1;
        done += raw.len() as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = raw.split(',').collect();
        if f.len() != NEW_HEADER.len() {
            problems.push(IngestError::line(
                ctx.file,
                line,
                format!(
                    "{} fields where a deal-year row has {} (a truncated file, or a comma inside a field?)",
                    f.len(),
                    NEW_HEADER.len()
                ),
            ));
            continue;
        }
        let p = &mut *problems;
        let id = p.check(deal_id(ctx, line, f[0]));
        // Every column is checked on every row; the per-deal ones are then compared with the
        // deal's first row.
        let supplier_as_written = f[1].trim();
        let recipient_as_written = f[2].trim();
        let designation = f[3].trim();
        let designation = designation.strip_suffix(" -").unwrap_or(designation).trim();
        let designation_given = p.check(if designation.is_empty() {
            Err(ctx.missing(line, "Designation", "empty"))
        } else {
            Ok(())
        });
        let description = non_empty(f[4]);
        let category = p.check(ctx.category(line, f[5].trim()));
        let order_year = p.check(ctx.year(line, "Order date", f[6].trim()));
        let order_year_is_estimate = p.check(yes_no(
            ctx,
            line,
            "Order date is estimate",
            f[7],
            &mut blank_flags,
        ));
        let status = p.check(ctx.status(line, "Status", f[12]));
        let tiv_per_unit = p.check(ctx.tiv(line, "SIPRI estimate", f[13].trim()));
        let tiv_deal_unit = p.check(ctx.tiv(line, "TIV deal unit", f[14].trim()));
        let local_production = p.check(yes_no(
            ctx,
            line,
            "Local production",
            f[16],
            &mut blank_flags,
        ));
        let year = p.check(ctx.year(line, "Delivery year", f[10].trim()));
        let year_is_estimate = p.check(yes_no(
            ctx,
            line,
            "Delivery year is estimate",
            f[11],
            &mut blank_flags,
        ));
        let number = p.check(ctx.count(line, "Numbers delivered", f[8].trim()));
        let number_is_estimate = p.check(yes_no(
            ctx,
            line,
            "Numbers delivered is estimate",
            f[9],
            &mut blank_flags,
        ));
        let tiv = p.check(ctx.tiv(line, "TIV delivery values", f[15].trim()));
        let delivery = match (year, year_is_estimate, number, number_is_estimate, tiv) {
            (
                Some(year),
                Some(year_is_estimate),
                Some(number),
                Some(number_is_estimate),
                Some(tiv),
            ) => Some(Delivery {
                year,
                year_is_estimate,
                number,
                number_is_estimate,
                tiv,
            }),
            _ => None,
        };
        let columns: Vec<(&'static str, String, Option<String>)> = vec![
            (
                "Supplier",
                f[1].trim(),
                Some(supplier_as_written.to_string()),
            ),
            (
                "Recipient",
                f[2].trim(),
                Some(recipient_as_written.to_string()),
            ),
            ("Designation", f[3].trim(), Some(designation.to_string())),
            (
                "Description",
                f[4].trim(),
                Some(description.clone().unwrap_or_default()),
            ),
            (
                "Armament category",
                f[5].trim(),
                category.as_ref().map(|c| format!("{c:?}")),
            ),
            ("Order date", f[6].trim(), order_year.map(|y| y.to_string())),
            (
                "Order date is estimate",
                f[7].trim(),
                order_year_is_estimate.map(|b| b.to_string()),
            ),
            ("Status", f[12].trim(), status.map(|s| s.to_string())),
            (
                "SIPRI estimate",
                f[13].trim(),
                tiv_per_unit.map(|m| format!("{m:?}")),
            ),
            (
                "TIV deal unit",
                f[14].trim(),
                tiv_deal_unit.map(|m| format!("{m:?}")),
            ),
            (
                "Local production",
                f[16].trim(),
                local_production.map(|b| b.to_string()),
            ),
        ]
        .into_iter()
        .map(|(column, written, value)| (column, written.to_string(), value))
        .collect();
        let Some(id) = id else {
            // No deal to group it with: its names are still checked.
            p.check(ctx.party(line, "Supplier", supplier_as_written));
            p.check(ctx.party(line, "Recipient", recipient_as_written));
            continue;
        };
        if let Some(deal) = deals.get_mut(&id) {
            for ((column, first_written, first), (_, written, now)) in
                deal.columns.iter().zip(&columns)
            {
                if let (Some(first), Some(now)) = (first, now)
                    && first != now
                {
                    p.push(ctx.err(
                        line,
                        column,
                        format!(
                            "deal {id} has '{written}' here but '{first_written}' on line {}: the rows of a deal differ only in their deliveries",
                            deal.line
                        ),
                    ));
                }
            }
            if let Some(year) = year {
                if deal.years.contains(&year) {
                    p.push(ctx.err(
                        line,
                        "Delivery year",
                        format!("deal {id} has two rows for {year}"),
                    ));
                    continue;
                }
                deal.years.push(year);
            }
            if let (Some(t), Some(delivery)) = (deal.transfer, delivery) {
                export.transfers[t].deliveries.push(delivery);
            }
            continue;
        }
        let supplier = p.check(ctx.party(line, "Supplier", supplier_as_written));
        let recipient = p.check(ctx.party(line, "Recipient", recipient_as_written));
        let mut deal = Deal {
            line,
            columns,
            years: year.into_iter().collect(),
            transfer: None,
        };
        if let (
            Some(supplier),
            Some(recipient),
            Some(()),
            Some(category),
            Some(order_year),
            Some(order_year_is_estimate),
            Some(status),
            Some(tiv_per_unit),
            Some(tiv_deal_unit),
            Some(local_production),
            Some(delivery),
        ) = (
            supplier,
            recipient,
            designation_given,
            category,
            order_year,
            order_year_is_estimate,
            status,
            tiv_per_unit,
            tiv_deal_unit,
            local_production,
            delivery,
        ) {
            deal.transfer = Some(export.transfers.len());
            export.transfers.push(Transfer {
                record_key: format!("deal-{id}"),
                kind: TransferKind::Order,
                source_type: SourceType::Register,
                supplier,
                supplier_as_written: supplier_as_written.to_string(),
                recipient,
                recipient_as_written: recipient_as_written.to_string(),
                designation: designation.to_string(),
                description,
                category,
                model: None,
                order_year: Some(order_year),
                order_year_is_estimate,
                number_ordered: None,
                number_ordered_is_estimate: false,
                deliveries: vec![delivery],
                status: Some(status),
                local_production,
                values: vec![],
                comments: None,
                sipri: Some(SipriFigures {
                    deal_id: Some(id),
                    tiv_per_unit,
                    tiv_deal_unit,
                    tiv_total_order: None,
                    tiv_delivered: None,
                    number_delivered: None,
                    number_delivered_is_estimate: false,
                }),
                record: ctx.record(line),
            });
            if export.transfers.len().is_multiple_of(2048) {
                progress.advance(done.min(total), total);
            }
        }
        deals.insert(id, deal);
    }
    for t in &mut export.transfers {
        t.deliveries.sort_by_key(|d| d.year);
        let tiv = t.tiv_delivered();
        let est = t.deliveries.iter().any(|d| d.number_is_estimate);
        if let Some(s) = t.sipri.as_mut() {
            s.tiv_delivered = tiv;
            s.number_delivered_is_estimate = est;
        }
    }
    progress.advance(total, total);
    if blank_flags > 0 {
        export.warnings.push(format!(
            "{blank_flags} Yes/No estimate flags were empty and were read as No"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records whose fields hold no extra whitespace keep the key they had before keys were
    /// normalised (a hash of the fields as written), so releases already imported stay
    /// comparable.
    #[test]
    fn clean_records_keep_their_keys() {
        let clean = ["Iraq", "France", "1975", "?", "", "New", "a; b"];
        let fields: Vec<String> = clean.iter().map(|s| s.to_string()).collect();
        let spaced: Vec<String> = [" Iraq", "France ", "1975", "?", " ", "New  ", "a;  b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut seen = HashMap::new();
        assert_eq!(
            trade_register_key(&fields, &mut seen),
            record_key(&clean, 0)
        );
        assert_eq!(
            trade_register_key(&spaced, &mut seen),
            record_key(&clean, 1),
            "the same record again, in other whitespace"
        );
    }

    #[test]
    fn release_dates() {
        for (s, expected) in [
            ("13 Mar 2025 10:02:49 AM", Some("2025-03-13")),
            ("3 Jan 2025 9:16:02 PM", Some("2025-01-03")),
            ("13 Oct 2024", Some("2024-10-13")),
            ("31 Feb 2024", None),
            ("yesterday", None),
        ] {
            assert_eq!(
                parse_generated(s).map(|d| d.to_string()).as_deref(),
                expected,
                "{s}"
            );
        }
    }
}
