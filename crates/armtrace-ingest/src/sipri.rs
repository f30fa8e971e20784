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
//! Every export is a release of the register named by its "Data generated" date.

use crate::{IngestError, MAX_TIV_MILLI, MAX_UNITS, Progress, record_key, text::decode};
use armtrace_core::actor::Party;
use armtrace_core::resolve::NameResolver;
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

/// Parses a SIPRI export. All or nothing: the first bad record is an error naming its line and
/// field.
pub fn parse(
    file: &str,
    bytes: &[u8],
    lookup: &Lookup<'_>,
    progress: &mut dyn Progress,
) -> Result<SipriExport, IngestError> {
    let (text, encoding) = decode(bytes);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let header_at = lines
        .iter()
        .take(MAX_PREAMBLE)
        .position(|l| l.starts_with("Recipient,Supplier,Year of order") || l.starts_with("SIPRI AT Database ID,"))
        .ok_or_else(|| {
            IngestError::file(
                file,
                "not a SIPRI Arms Transfers Database export: no 'Recipient,Supplier,…' or 'SIPRI AT Database ID,…' header in the first lines",
            )
        })?;
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
    let mut export = SipriExport {
        file: file.to_string(),
        format: SipriFormat::TradeRegister,
        generated,
        selection,
        encoding,
        transfers: Vec::new(),
        warnings: Vec::new(),
    };
    let format = if lines[header_at].starts_with("SIPRI AT Database ID,") {
        SipriFormat::DealYears
    } else {
        SipriFormat::TradeRegister
    };
    let ctx = Ctx {
        file,
        lookup,
        release: generated.to_string(),
    };
    if format == SipriFormat::DealYears {
        export.format = SipriFormat::DealYears;
        check_header(file, header_at, lines[header_at], &NEW_HEADER)?;
        parse_deal_years(
            &ctx,
            &lines,
            header_at,
            bytes.len() as u64,
            progress,
            &mut export,
        )?;
    } else {
        check_header(file, header_at, lines[header_at], &OLD_HEADER)?;
        parse_trade_register(
            &ctx,
            &lines,
            header_at,
            bytes.len() as u64,
            progress,
            &mut export,
        )?;
    }
    if export.transfers.is_empty() {
        return Err(IngestError::file(
            file,
            "the export has a header but no records (truncated?)",
        ));
    }
    Ok(export)
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

    fn party(&self, line: u64, field: &str, name: &str) -> Result<Party, IngestError> {
        if name.is_empty() {
            return Err(self.err(
                line,
                field,
                "empty: every record names its supplier and recipient",
            ));
        }
        self.lookup
            .resolver
            .resolve(name)
            .map_err(|e| self.err(line, field, e.to_string()))
    }

    fn year(&self, line: u64, field: &str, s: &str) -> Result<i32, IngestError> {
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

    fn status(&self, line: u64, s: &str) -> Result<TransferStatus, IngestError> {
        match s.trim() {
            "New" => Ok(TransferStatus::New),
            "Second hand" => Ok(TransferStatus::SecondHand),
            "Second hand but modernized" => Ok(TransferStatus::SecondHandModernised),
            other => Err(self.err(
                line,
                "status",
                format!("'{other}': expected New, Second hand or Second hand but modernized"),
            )),
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

fn parse_trade_register(
    ctx: &Ctx<'_>,
    lines: &[&str],
    header_at: usize,
    total: u64,
    progress: &mut dyn Progress,
    export: &mut SipriExport,
) -> Result<(), IngestError> {
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
            let continuation = rest.next().unwrap_or("");
            if let Some(comment) = fields.last_mut()
                && !continuation.is_empty()
            {
                comment.push(' ');
                comment.push_str(continuation);
            }
            fields.extend(rest.map(str::to_string));
            done += next.len() as u64 + 1;
            i += 1;
        }
        if fields.len() != OLD_HEADER.len() {
            return Err(IngestError::line(
                ctx.file,
                line_no,
                format!(
                    "{} fields where a trade-register record has {} (a truncated file, or a comma inside a field?)",
                    fields.len(),
                    OLD_HEADER.len()
                ),
            ));
        }
        let f: Vec<&str> = fields.iter().map(|s| s.as_str()).collect();
        let occurrence = {
            let k = record_key(&f, 0);
            let n = seen.entry(k).or_insert(0);
            *n += 1;
            *n - 1
        };
        let key = record_key(&f, occurrence);
        let recipient_as_written = f[0].trim();
        let supplier_as_written = f[1].trim();
        let recipient = ctx.party(line_no, "Recipient", recipient_as_written)?;
        let supplier = ctx.party(line_no, "Supplier", supplier_as_written)?;
        let order_year = ctx.year(line_no, "Year of order", f[2].trim())?;
        let order_year_is_estimate =
            ctx.flag_question(line_no, "Year of order uncertain (column 4)", f[3])?;
        let number_ordered = ctx.count(line_no, "Number ordered", f[4].trim())?;
        let number_ordered_is_estimate =
            ctx.flag_question(line_no, "Number ordered uncertain (column 6)", f[5])?;
        let designation = f[6].trim();
        if designation.is_empty() {
            return Err(ctx.err(line_no, "Weapon designation", "empty"));
        }
        let description = non_empty(f[7]);
        let number_delivered = ctx.count(line_no, "Number delivered", f[8].trim())?;
        let number_delivered_is_estimate =
            ctx.flag_question(line_no, "Number delivered uncertain (column 10)", f[9])?;
        let mut deliveries = Vec::new();
        for y in f[10].split(';').map(str::trim).filter(|y| !y.is_empty()) {
            let year = ctx.year(line_no, "Year(s) of delivery", y)?;
            if deliveries.iter().any(|d: &Delivery| d.year == year) {
                return Err(ctx.err(
                    line_no,
                    "Year(s) of delivery",
                    format!("{year} is listed twice"),
                ));
            }
            deliveries.push(Delivery {
                year,
                year_is_estimate: false,
                number: None,
                number_is_estimate: false,
                tiv: None,
            });
        }
        let status = ctx.status(line_no, f[11])?;
        let comments = non_empty(f[12]);
        let tiv_per_unit = ctx.tiv(line_no, "SIPRI TIV per unit", f[13].trim())?;
        let tiv_total_order = ctx.tiv(line_no, "SIPRI TIV for total order", f[14].trim())?;
        let tiv_delivered = ctx.tiv(line_no, "SIPRI TIV of delivered weapons", f[15].trim())?;
        let category = description
            .as_ref()
            .and_then(|d| ctx.lookup.description_categories.get(d).cloned());
        if category.is_none() {
            *uncategorised
                .entry(description.clone().unwrap_or_default())
                .or_insert(0) += 1;
        }
        export.transfers.push(Transfer {
            record_key: key,
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
            record: ctx.record(line_no),
        });
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
    Ok(())
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

fn parse_deal_years(
    ctx: &Ctx<'_>,
    lines: &[&str],
    header_at: usize,
    total: u64,
    progress: &mut dyn Progress,
    export: &mut SipriExport,
) -> Result<(), IngestError> {
    let mut by_deal: HashMap<i64, usize> = HashMap::new();
    let mut blank_flags = 0u32;
    let mut done: u64 = lines[..=header_at].iter().map(|l| l.len() as u64 + 1).sum();
    for (i, raw) in lines.iter().enumerate().skip(header_at + 1) {
        let line_no = i as u64 + 1;
        done += raw.len() as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = raw.split(',').collect();
        if f.len() != NEW_HEADER.len() {
            return Err(IngestError::line(
                ctx.file,
                line_no,
                format!(
                    "{} fields where a deal-year row has {} (a truncated file, or a comma inside a field?)",
                    f.len(),
                    NEW_HEADER.len()
                ),
            ));
        }
        let deal_id: i64 = f[0].trim().parse().map_err(|_| {
            ctx.err(
                line_no,
                "SIPRI AT Database ID",
                format!("'{}' is not a deal number", f[0]),
            )
        })?;
        let supplier_as_written = f[1].trim();
        let recipient_as_written = f[2].trim();
        let designation = f[3].trim();
        let designation = designation.strip_suffix(" -").unwrap_or(designation).trim();
        if designation.is_empty() {
            return Err(ctx.err(line_no, "Designation", "empty"));
        }
        let delivery = Delivery {
            year: ctx.year(line_no, "Delivery year", f[10].trim())?,
            year_is_estimate: yes_no(
                ctx,
                line_no,
                "Delivery year is estimate",
                f[11],
                &mut blank_flags,
            )?,
            number: ctx.count(line_no, "Numbers delivered", f[8].trim())?,
            number_is_estimate: yes_no(
                ctx,
                line_no,
                "Numbers delivered is estimate",
                f[9],
                &mut blank_flags,
            )?,
            tiv: ctx.tiv(line_no, "TIV delivery values", f[15].trim())?,
        };
        if let Some(&idx) = by_deal.get(&deal_id) {
            let t = &mut export.transfers[idx];
            let same = t.supplier_as_written == supplier_as_written
                && t.recipient_as_written == recipient_as_written
                && t.designation == designation
                && t.order_year.map(|y| y.to_string()).as_deref() == Some(f[6].trim());
            if !same {
                return Err(IngestError::line(
                    ctx.file,
                    line_no,
                    format!(
                        "deal {deal_id} appears with a different supplier, recipient, designation or order date than on line {}",
                        t.record.line
                    ),
                ));
            }
            if t.deliveries.iter().any(|d| d.year == delivery.year) {
                return Err(ctx.err(
                    line_no,
                    "Delivery year",
                    format!("deal {deal_id} has two rows for {}", delivery.year),
                ));
            }
            t.deliveries.push(delivery);
            continue;
        }
        let supplier = ctx.party(line_no, "Supplier", supplier_as_written)?;
        let recipient = ctx.party(line_no, "Recipient", recipient_as_written)?;
        let category_name = f[5].trim();
        let category = if category_name.is_empty() {
            None
        } else {
            Some(
                ctx.lookup
                    .categories
                    .get(&fold(category_name))
                    .cloned()
                    .ok_or_else(|| {
                        ctx.err(
                            line_no,
                            "Armament category",
                            format!("'{category_name}' is not a SIPRI category armtrace knows"),
                        )
                    })?,
            )
        };
        let key = format!("deal-{deal_id}");
        by_deal.insert(deal_id, export.transfers.len());
        export.transfers.push(Transfer {
            record_key: key,
            kind: TransferKind::Order,
            source_type: SourceType::Register,
            supplier,
            supplier_as_written: supplier_as_written.to_string(),
            recipient,
            recipient_as_written: recipient_as_written.to_string(),
            designation: designation.to_string(),
            description: non_empty(f[4]),
            category,
            model: None,
            order_year: Some(ctx.year(line_no, "Order date", f[6].trim())?),
            order_year_is_estimate: yes_no(
                ctx,
                line_no,
                "Order date is estimate",
                f[7],
                &mut blank_flags,
            )?,
            number_ordered: None,
            number_ordered_is_estimate: false,
            deliveries: vec![delivery],
            status: Some(ctx.status(line_no, f[12])?),
            local_production: yes_no(ctx, line_no, "Local production", f[16], &mut blank_flags)?,
            values: vec![],
            comments: None,
            sipri: Some(SipriFigures {
                deal_id: Some(deal_id),
                tiv_per_unit: ctx.tiv(line_no, "SIPRI estimate", f[13].trim())?,
                tiv_deal_unit: ctx.tiv(line_no, "TIV deal unit", f[14].trim())?,
                tiv_total_order: None,
                tiv_delivered: None,
                number_delivered: None,
                number_delivered_is_estimate: false,
            }),
            record: ctx.record(line_no),
        });
        if export.transfers.len().is_multiple_of(2048) {
            progress.advance(done.min(total), total);
        }
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
