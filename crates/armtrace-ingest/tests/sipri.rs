//! SIPRI exports: the shipped subset always, the full registers in ../shared/data when present.
//! Expected figures were computed independently of this importer (with Python's csv and by hand
//! from the files), not by the importer itself.

#![allow(clippy::print_stderr)] // Tests say when they skip for absent data.

use armtrace_core::actor::Party;
use armtrace_core::resolve::NameResolver;
use armtrace_ingest::sipri::{Lookup, SipriFormat, parse};
use armtrace_ingest::{IngestError, NoProgress};
use std::path::PathBuf;

struct Ref {
    resolver: NameResolver,
    categories: std::collections::HashMap<String, String>,
    descriptions: std::collections::HashMap<String, String>,
}

fn reference() -> Ref {
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    Ref {
        resolver: set.resolver(),
        categories: armtrace_refdata::category_index(&set.categories),
        descriptions: armtrace_refdata::sipri_description_categories()
            .unwrap_or_else(|e| panic!("{e}")),
    }
}

fn lookup(r: &Ref) -> Lookup<'_> {
    Lookup {
        resolver: &r.resolver,
        categories: r.categories.clone(),
        description_categories: r.descriptions.clone(),
    }
}

fn shared(file: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("ARMTRACE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = dir.join("sipri").join(file);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED part of this test: {} is absent (set ARMTRACE_SHARED_DATA)",
            p.display()
        );
        None
    }
}

fn parse_bytes(
    name: &str,
    bytes: &[u8],
) -> Result<armtrace_ingest::sipri::SipriExport, IngestError> {
    let r = reference();
    parse(name, bytes, &lookup(&r), &mut NoProgress)
}

#[test]
fn shipped_subset_parses_completely() {
    let e = parse_bytes("subset.csv", armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.format, SipriFormat::TradeRegister);
    assert_eq!(e.generated.to_string(), "2025-03-13");
    assert_eq!(e.transfers.len(), 398, "222 Iraq + 176 Iran records");
    let iraq = e
        .transfers
        .iter()
        .filter(|t| t.recipient == Party::Country("IRQ".into()))
        .count();
    assert_eq!(iraq, 222);
    // The first data line of the file, checked by hand.
    let first = &e.transfers[0];
    assert_eq!(first.record.line, 13);
    assert!(
        e.transfers
            .iter()
            .all(|t| (1970..=1990).contains(&t.order_year.unwrap_or(0)))
    );
}

#[test]
fn full_2025_register_follows_sipri_semantics() {
    let Some(path) = shared("sipri_trade_register_all_years_generated_2025-03-13.csv") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let e = parse_bytes("register-2025.csv", &bytes).unwrap_or_else(|e| panic!("{e}"));
    // 29,519 physical data lines, 4 records split over two lines.
    assert_eq!(e.transfers.len(), 29_515);
    // Record keys are unique even for the 10 byte-identical duplicate records.
    let keys: std::collections::HashSet<&str> =
        e.transfers.iter().map(|t| t.record_key.as_str()).collect();
    assert_eq!(keys.len(), 29_515);
    // A split record (lines 5432/5433): the TIV fields come from the continuation line.
    let split = e
        .transfers
        .iter()
        .find(|t| t.record.line == 5432)
        .unwrap_or_else(|| panic!("record at line 5432"));
    assert_eq!(split.designation, "vehicle engine");
    let s = split.sipri.clone().unwrap_or_default();
    assert_eq!(
        (
            s.tiv_per_unit.map(|m| m.0),
            s.tiv_total_order.map(|m| m.0),
            s.tiv_delivered.map(|m| m.0)
        ),
        (Some(30), Some(360), Some(0))
    );
    // The next record starts on line 5434.
    assert!(e.transfers.iter().any(|t| t.record.line == 5434));
    // Empty "Number ordered" is unknown (280 records); uncertainty flags kept.
    assert_eq!(
        e.transfers
            .iter()
            .filter(|t| t.number_ordered.is_none())
            .count(),
        280
    );
    assert_eq!(
        e.transfers
            .iter()
            .filter(|t| t.order_year_is_estimate)
            .count(),
        15_581
    );
    assert_eq!(
        e.transfers
            .iter()
            .filter(|t| t.number_ordered_is_estimate)
            .count(),
        12_310
    );
    assert_eq!(
        e.transfers
            .iter()
            .filter(|t| t
                .sipri
                .as_ref()
                .is_some_and(|s| s.number_delivered_is_estimate))
            .count(),
        2_595
    );
    // Windows-1252 decoded.
    assert_eq!(e.encoding, "Windows-1252");
    assert!(e.transfers.iter().any(|t| {
        t.designation.contains('Ö')
            || t.comments
                .as_deref()
                .is_some_and(|c| c.contains("Wärtsilä"))
    }));
    // Suppliers of Iraq by order year 1970–1990, from the file with Python's csv module.
    let mut suppliers: Vec<&str> = e
        .transfers
        .iter()
        .filter(|t| {
            t.recipient_as_written == "Iraq" && (1970..=1990).contains(&t.order_year.unwrap_or(0))
        })
        .map(|t| t.supplier_as_written.as_str())
        .collect();
    suppliers.sort();
    suppliers.dedup();
    // Computed with Python's csv module from the file (recipient "Iraq", order year 1970–1990).
    let expected = [
        "Austria",
        "Brazil",
        "Canada",
        "China",
        "Czechoslovakia",
        "Denmark",
        "East Germany (GDR)",
        "Egypt",
        "France",
        "Germany",
        "Hungary",
        "Italy",
        "Jordan",
        "Poland",
        "Romania",
        "South Africa",
        "Soviet Union",
        "Spain",
        "Sweden",
        "Switzerland",
        "United Kingdom",
        "United States",
        "Yugoslavia",
    ];
    assert_eq!(suppliers, expected);
}

#[test]
fn new_format_rows_become_deals_with_yearly_deliveries() {
    let Some(path) = shared("sipri_transfers_newformat_2000-2030_generated_2025-01-03.csv") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let e = parse_bytes("deal-years.csv", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.format, SipriFormat::DealYears);
    assert_eq!(e.generated.to_string(), "2025-01-03");
    assert_eq!(e.transfers.len(), 10_396, "distinct deal IDs");
    let rows: usize = e.transfers.iter().map(|t| t.deliveries.len()).sum();
    assert_eq!(rows, 20_480, "one delivery per row");
    assert_eq!(
        e.transfers.iter().filter(|t| t.local_production).count(),
        932,
        "deals with Local production = Yes"
    );
    assert!(e.transfers.iter().all(|t| !t.designation.ends_with(" -")));
    // Deal 54657: Konkurs, Russia to India, 2000 a year 2013-2017 at 0.02 TIV: 40 TIV a year.
    let konkurs = e
        .transfers
        .iter()
        .find(|t| t.sipri.as_ref().and_then(|s| s.deal_id) == Some(54657));
    let konkurs = konkurs.unwrap_or_else(|| panic!("deal 54657"));
    let years: Vec<(i32, Option<i64>, Option<i64>)> = konkurs
        .deliveries
        .iter()
        .map(|d| (d.year, d.number, d.tiv.map(|m| m.0)))
        .collect();
    assert_eq!(years[0], (2013, Some(2000), Some(40_000)));
    assert_eq!(konkurs.category.as_deref(), Some("sipri.missiles"));
    assert!(
        e.warnings.iter().any(|w| w.contains("read as No")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn bad_input_names_file_line_and_field() {
    let good = String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).into_owned();
    let lines: Vec<&str> = good.lines().collect();
    let with_line_13 = |replacement: &str| {
        let mut v = lines.clone();
        v[12] = replacement;
        v.join("\n")
    };
    let first = lines[12];
    let fields: Vec<&str> = first.split(',').collect();
    let with_field = |i: usize, value: &str| {
        let mut f = fields.clone();
        f[i] = value;
        with_line_13(&f.join(","))
    };
    for (name, text, expected) in [
        (
            "notes.txt",
            "Dear diary,\nno arms today.\n".to_string(),
            "notes.txt: not a SIPRI Arms Transfers Database export: no 'Recipient,Supplier,…' or 'SIPRI AT Database ID,…' header in the first lines",
        ),
        (
            "year.csv",
            with_field(2, "19x2"),
            "year.csv, line 13, field 'Year of order': '19x2' is not a year",
        ),
        (
            "year2.csv",
            with_field(2, "1066"),
            "year2.csv, line 13, field 'Year of order': 1066 is not a plausible year (1900–2100)",
        ),
        (
            "number.csv",
            with_field(4, "-3"),
            "number.csv, line 13, field 'Number ordered': '-3' is not a plausible whole number of units",
        ),
        (
            "tiv.csv",
            with_field(13, "1,5"),
            "tiv.csv, line 13: 17 fields where a trade-register record has 16 (a truncated file, or a comma inside a field?)",
        ),
        (
            "flag.csv",
            with_field(3, "x"),
            "flag.csv, line 13, field 'Year of order uncertain (column 4)': 'x' in an uncertainty column: SIPRI writes '?' or nothing",
        ),
        (
            "status.csv",
            with_field(11, "Used"),
            "status.csv, line 13, field 'status': 'Used': expected New, Second hand or Second hand but modernized",
        ),
        (
            "who.csv",
            with_field(1, "Atlantis"),
            "who.csv, line 13, field 'Supplier': 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
        ),
        (
            "truncated.csv",
            good[..good.len() - 40].to_string(),
            "truncated.csv, line 410: 11 fields where a trade-register record has 16 (a truncated file, or a comma inside a field?)",
        ),
        (
            "empty.csv",
            lines[..12].join("\n"),
            "empty.csv: the export has a header but no records (truncated?)",
        ),
    ] {
        let got = match parse_bytes(name, text.as_bytes()) {
            Ok(e) => format!("parsed {} records", e.transfers.len()),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected, "{name}");
    }
}
