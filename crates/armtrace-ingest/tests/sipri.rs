//! SIPRI exports: the shipped subset and small fixtures always; the full registers in
//! ../shared/data in tests marked `#[ignore]` (they need the data: `cargo test -- --ignored`
//! runs them, `.ci/run` always does, and they fail when the data is absent rather than pass
//! having checked nothing). Expected figures were computed independently of this importer (with
//! Python's csv and by hand from the files), not by the importer itself.

use armtrace_core::actor::Party;
use armtrace_core::error::{Code, Error};
use armtrace_core::resolve::NameResolver;
use armtrace_ingest::NoProgress;
use armtrace_ingest::sipri::{Lookup, SipriExport, SipriFormat, parse};
use std::collections::BTreeSet;
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

/// A file of ../shared/data/sipri (or `ARMTRACE_SHARED_DATA`). Only `#[ignore]`d tests call
/// it, and they fail when it is absent: a check that cannot run never counts as passed.
fn shared(file: &str) -> Vec<u8> {
    let dir = std::env::var_os("ARMTRACE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = dir.join("sipri").join(file);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. This test needs ../shared/data (or ARMTRACE_SHARED_DATA); without it, run the tests without --ignored",
            p.display()
        )
    })
}

fn parse_bytes(name: &str, bytes: &[u8]) -> Result<SipriExport, Error> {
    let r = reference();
    parse(name, bytes, &lookup(&r), &mut NoProgress)
}

/// Every problem of a refused file as `code: file, line N, field 'F': message`.
fn problems(e: &Error) -> Vec<String> {
    e.problems()
        .iter()
        .map(|p| format!("{}: {p}", p.code))
        .collect()
}

fn subset() -> String {
    String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).into_owned()
}

fn keys(e: &SipriExport) -> BTreeSet<String> {
    e.transfers.iter().map(|t| t.record_key.clone()).collect()
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
#[ignore = "needs ../shared/data: cargo test -- --ignored"]
fn full_2025_register_follows_sipri_semantics() {
    let bytes = shared("sipri_trade_register_all_years_generated_2025-03-13.csv");
    let e = parse_bytes("register-2025.csv", &bytes).unwrap_or_else(|e| panic!("{e}"));
    // 29,519 physical data lines, 4 records split over two lines.
    assert_eq!(e.transfers.len(), 29_515);
    // Record keys are unique even for the 10 byte-identical duplicate records.
    assert_eq!(keys(&e).len(), 29_515);
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
#[ignore = "needs ../shared/data: cargo test -- --ignored"]
fn new_format_rows_become_deals_with_yearly_deliveries() {
    let bytes = shared("sipri_transfers_newformat_2000-2030_generated_2025-01-03.csv");
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
    // Two Yes/No flags are empty in the file (line 13257, found with Python).
    assert!(
        e.warnings
            .iter()
            .any(|w| w == "2 Yes/No estimate flags were empty and were read as No"),
        "{:?}",
        e.warnings
    );
}

#[test]
fn bad_input_names_file_line_field_and_code() {
    let good = subset();
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
            "file.unsupported: notes.txt: not a SIPRI Arms Transfers Database export: no 'Recipient,Supplier,…' or 'SIPRI AT Database ID,…' header in the first lines",
        ),
        (
            "year.csv",
            with_field(2, "19x2"),
            "input.invalid: year.csv, line 13, field 'Year of order': '19x2' is not a year",
        ),
        (
            "year2.csv",
            with_field(2, "1066"),
            "input.invalid: year2.csv, line 13, field 'Year of order': 1066 is not a plausible year (1900–2100)",
        ),
        (
            "year3.csv",
            with_field(2, ""),
            "input.missing: year3.csv, line 13, field 'Year of order': empty: every record gives this year",
        ),
        (
            "number.csv",
            with_field(4, "-3"),
            "input.invalid: number.csv, line 13, field 'Number ordered': '-3' is not a plausible whole number of units",
        ),
        (
            "tiv.csv",
            with_field(13, "1,5"),
            "input.invalid: tiv.csv, line 13: 17 fields where a trade-register record has 16 (a truncated file, or a comma inside a field?)",
        ),
        (
            "flag.csv",
            with_field(3, "x"),
            "input.invalid: flag.csv, line 13, field 'Year of order uncertain (column 4)': 'x' in an uncertainty column: SIPRI writes '?' or nothing",
        ),
        (
            "status.csv",
            with_field(11, "Used"),
            "input.invalid: status.csv, line 13, field 'status': 'Used': expected New, Second hand or Second hand but modernized",
        ),
        (
            "who.csv",
            with_field(1, "Atlantis"),
            "name.unknown: who.csv, line 13, field 'Supplier': 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
        ),
        (
            "nobody.csv",
            with_field(0, " "),
            "input.missing: nobody.csv, line 13, field 'Recipient': empty: every record names its supplier and recipient",
        ),
        (
            "delivered.csv",
            with_field(10, "1988; 1989; 1988"),
            "input.invalid: delivered.csv, line 13, field 'Year(s) of delivery': 1988 is listed twice",
        ),
        (
            "truncated.csv",
            good[..good.len() - 40].to_string(),
            "input.invalid: truncated.csv, line 410: 11 fields where a trade-register record has 16 (a truncated file, or a comma inside a field?)",
        ),
        (
            "empty.csv",
            lines[..12].join("\n"),
            "input.missing: empty.csv: the export has a header but no records (truncated?)",
        ),
        (
            "undated.csv",
            lines[..10]
                .iter()
                .chain(&lines[11..])
                .copied()
                .collect::<Vec<_>>()
                .join("\n"),
            "input.missing: undated.csv: the preamble has no 'Data generated:' line, so the release date is unknown",
        ),
        (
            "header.csv",
            with_line_13("x").replacen("Comments,", "Remarks,", 1),
            "input.invalid: header.csv, line 12, field 'Comments': header column is 'Remarks', expected 'Comments'",
        ),
    ] {
        let got = match parse_bytes(name, text.as_bytes()) {
            Ok(e) => format!("parsed {} records", e.transfers.len()),
            Err(e) => match problems(&e).as_slice() {
                [one] => one.clone(),
                [] => format!("{}: {e}", e.code()),
                many => panic!("{name}: one problem expected: {many:#?}"),
            },
        };
        assert_eq!(got, expected, "{name}");
    }
}

/// Issue 11: a refused file lists every bad record (each bad field of it), not only the first.
#[test]
fn every_bad_record_is_listed_with_its_line_field_and_code() {
    let good = subset();
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let set = |lines: &mut Vec<String>, line: usize, i: usize, value: &str| {
        let mut f: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
        f[i] = value.to_string();
        lines[line - 1] = f.join(",");
    };
    set(&mut lines, 13, 2, "19x2");
    set(&mut lines, 20, 11, "Used");
    set(&mut lines, 20, 13, "-1");
    lines[29].push_str(",x");
    set(&mut lines, 40, 1, "Atlantis");
    let e = parse_bytes("bad.csv", lines.join("\n").as_bytes())
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert_eq!(e.code(), Code::ImportInvalid);
    assert_eq!(
        problems(&e),
        [
            "input.invalid: bad.csv, line 13, field 'Year of order': '19x2' is not a year",
            "input.invalid: bad.csv, line 20, field 'status': 'Used': expected New, Second hand or Second hand but modernized",
            "input.invalid: bad.csv, line 20, field 'SIPRI TIV per unit': '-1' is negative or implausibly large",
            "input.invalid: bad.csv, line 30: 17 fields where a trade-register record has 16 (a truncated file, or a comma inside a field?)",
            "name.unknown: bad.csv, line 40, field 'Supplier': 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
        ]
    );
    assert_eq!(
        e.to_string(),
        "bad.csv: 5 bad records, so nothing was imported from it; fix them all and import it again. The first: line 13, field 'Year of order': '19x2' is not a year"
    );
    // Beyond 100 problems the rest are counted: every one of the 398 records with a bad year.
    let all_bad: Vec<String> = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i < 12 {
                return l.to_string();
            }
            let mut f: Vec<&str> = l.split(',').collect();
            f[2] = "19x2";
            f.join(",")
        })
        .collect();
    let e = parse_bytes("all.csv", all_bad.join("\n").as_bytes())
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert_eq!((e.problems().len(), e.more_problems()), (100, 298));
    assert_eq!(e.problems()[99].line, Some(112));
}

/// Issue 16, defect 10: a copy of a release that differs only in insignificant whitespace or
/// line ends has the same record keys, so importing it adds nothing. The shipped subset has 366
/// lines with `,New,` (counted with grep); every line end becomes CR LF in the second copy; the
/// third has a record split by a CR LF inside its comment, then converted to CR LF again (CR CR
/// LF, as in two records of the full 2025 register).
#[test]
fn a_trivially_different_copy_of_a_release_does_not_duplicate_records() {
    let good = subset();
    assert_eq!(good.matches(",New,").count(), 366);
    let original = parse_bytes("subset.csv", good.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let expected = keys(&original);
    assert_eq!(expected.len(), 398);
    let spaced = good.replace(",New,", ",New ,");
    let crlf = good.replace('\n', "\r\n");
    // Line 13's comment, "Incl 4 assembled/produced under licence in Iran; Iranian designation
    // MIG-S-4700", broken after "Iran;" as SIPRI's export breaks comments.
    let split = good.replacen(
        "licence in Iran; Iranian designation",
        "licence in Iran;\r\nIranian designation",
        1,
    );
    let split_crlf = split.replace('\n', "\r\n");
    for (name, text) in [
        ("spaced.csv", &spaced),
        ("crlf.csv", &crlf),
        ("split.csv", &split),
        ("split-crlf.csv", &split_crlf),
    ] {
        let copy = parse_bytes(name, text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = keys(&copy);
        assert_eq!(
            (got.difference(&expected).count(), got.len()),
            (0, 398),
            "{name}: keys that the original does not have"
        );
        let first = &copy.transfers[0];
        assert_eq!(
            first.comments.as_deref(),
            Some("Incl 4 assembled/produced under licence in Iran; Iranian designation MIG-S-4700"),
            "{name}"
        );
        assert_eq!(first.status, original.transfers[0].status, "{name}");
    }
}

/// Defect 10 on the full 2025 register, as the issue found it: `sed 's/,New,/,New ,/'` changes
/// 22,014 lines (counted with Python), and a CR LF copy (`sed 's/$/\r/'`) turns the CR LF inside
/// two split records' comments (lines 25178 and 27955) into CR CR LF.
#[test]
#[ignore = "needs ../shared/data: cargo test -- --ignored"]
fn a_trivially_different_copy_of_the_full_2025_register_has_the_same_keys() {
    let bytes = shared("sipri_trade_register_all_years_generated_2025-03-13.csv");
    let original = parse_bytes("register.csv", &bytes).unwrap_or_else(|e| panic!("{e}"));
    let expected = keys(&original);
    assert_eq!(expected.len(), 29_515);
    // Bytes, not text: the file is Windows-1252.
    let mut spaced = Vec::with_capacity(bytes.len() + 30_000);
    let mut rest = &bytes[..];
    let mut replaced = 0;
    while !rest.is_empty() {
        if rest.starts_with(b",New,") {
            spaced.extend_from_slice(b",New ,");
            rest = &rest[5..];
            replaced += 1;
        } else {
            spaced.push(rest[0]);
            rest = &rest[1..];
        }
    }
    assert_eq!(replaced, 22_014);
    let mut crlf = Vec::with_capacity(bytes.len() + 30_000);
    for b in &bytes {
        if *b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(*b);
    }
    assert_eq!(
        crlf.windows(3).filter(|w| w == b"\r\r\n").count(),
        2,
        "two comments broken by CR LF in the original"
    );
    for (name, text) in [("spaced.csv", &spaced[..]), ("crlf.csv", &crlf[..])] {
        let copy = parse_bytes(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(copy.transfers.len(), 29_515, "{name}");
        let got = keys(&copy);
        assert_eq!(
            (got.difference(&expected).count(), got.len()),
            (0, 29_515),
            "{name}: keys that the original does not have"
        );
    }
}

/// A deal-year export of three rows of the 2025-01-03 file (deal 60320, and two of deal 54657's
/// rows), with `rows` after them.
fn deal_years(rows: &[&str]) -> String {
    let mut s = String::new();
    s.push_str("Transfers of major conventional arms from All countries  to All countries . Deals with deliveries or orders made for year range '2000' to '2030' \n");
    for _ in 0..8 {
        s.push_str("A line of SIPRI's preamble.\n");
    }
    s.push_str("Source: SIPRI Arms Transfers Database (c) SIPRI.\n");
    s.push_str("Data generated: 3 Jan 2025 9:16:02 PM\n");
    s.push_str("SIPRI AT Database ID,Supplier,Recipient,Designation,Description,Armament category,Order date,Order date is estimate,Numbers delivered,Numbers delivered is estimate,Delivery year,Delivery year is estimate,Status,SIPRI estimate,TIV deal unit,TIV delivery values,Local production\n");
    for row in [
        "60320,Brazil,Afghanistan,EMB-314 -,trainer/combat aircraft,Aircraft,2017,No,6,Yes,2018,No,New,4.5,4.5,27,No",
        KONKURS_2014,
    ]
    .iter()
    .chain(rows)
    {
        s.push_str(row);
        s.push('\n');
    }
    s
}

/// Deal 54657's row for 2014 (line 14 of the fixture) and for 2015 (line 15 when given).
const KONKURS_2014: &str = "54657,Russia,India,Konkurs,anti-tank missile,Missiles,2012,No,2000,Yes,2014,Yes,New,0.02,0.02,40,No";
const KONKURS_2015: &str = "54657,Russia,India,Konkurs,anti-tank missile,Missiles,2012,No,2000,Yes,2015,No,New,0.02,0.02,40,No";

/// The 2015 row with column `i` (from 0) set to `value`.
fn konkurs_2015_with(i: usize, value: &str) -> String {
    let mut f: Vec<&str> = KONKURS_2015.split(',').collect();
    f[i] = value;
    f.join(",")
}

#[test]
fn deal_year_rows_become_one_transfer_per_deal() {
    let e = parse_bytes("deals.csv", deal_years(&[KONKURS_2015]).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.transfers.len(), 2);
    let k = &e.transfers[1];
    assert_eq!(k.record_key, "deal-54657");
    assert_eq!(k.record.line, 14);
    let years: Vec<(i32, bool, Option<i64>)> = k
        .deliveries
        .iter()
        .map(|d| (d.year, d.year_is_estimate, d.tiv.map(|m| m.0)))
        .collect();
    assert_eq!(
        years,
        [(2014, true, Some(40_000)), (2015, false, Some(40_000))]
    );
    assert_eq!(e.transfers[0].designation, "EMB-314");
}

/// Issue 16, defect 11: the per-deal columns are checked on every row of a deal, not only its
/// first, and a later row that gives another value than the first is refused, naming the column
/// and both values (issue 11: "deal N appears with a different supplier, recipient, designation
/// or order date" said neither). Expected values read by hand from the fixture's rows.
#[test]
fn the_deal_year_format_checks_per_deal_columns_on_every_row() {
    let differs = |column: &str, here: &str, first: &str| {
        format!(
            "input.invalid: deals.csv, line 15, field '{column}': deal 54657 has '{here}' here but '{first}' on line 14: the rows of a deal differ only in their deliveries"
        )
    };
    for (column, value, expected) in [
        (
            5,
            "NotACategory",
            "name.unknown: deals.csv, line 15, field 'Armament category': 'NotACategory' is not a SIPRI category armtrace knows".to_string(),
        ),
        (
            7,
            "maybe",
            "input.invalid: deals.csv, line 15, field 'Order date is estimate': 'maybe': expected Yes or No".to_string(),
        ),
        (
            13,
            "inf",
            "input.invalid: deals.csv, line 15, field 'SIPRI estimate': 'inf' is not a number with at most three decimals (use a dot: 12.5)".to_string(),
        ),
        (
            14,
            "-5",
            "input.invalid: deals.csv, line 15, field 'TIV deal unit': '-5' is negative or implausibly large".to_string(),
        ),
        (
            12,
            "Used",
            "input.invalid: deals.csv, line 15, field 'Status': 'Used': expected New, Second hand or Second hand but modernized".to_string(),
        ),
        (
            16,
            "maybe",
            "input.invalid: deals.csv, line 15, field 'Local production': 'maybe': expected Yes or No".to_string(),
        ),
        (
            6,
            "2O12",
            "input.invalid: deals.csv, line 15, field 'Order date': '2O12' is not a year".to_string(),
        ),
        (1, "China", differs("Supplier", "China", "Russia")),
        (2, "Pakistan", differs("Recipient", "Pakistan", "India")),
        (3, "Kornet", differs("Designation", "Kornet", "Konkurs")),
        (4, "tank", differs("Description", "tank", "anti-tank missile")),
        (5, "Armoured vehicles", differs("Armament category", "Armoured vehicles", "Missiles")),
        (6, "2013", differs("Order date", "2013", "2012")),
        (7, "Yes", differs("Order date is estimate", "Yes", "No")),
        (12, "Second hand", differs("Status", "Second hand", "New")),
        (13, "0.03", differs("SIPRI estimate", "0.03", "0.02")),
        (14, "0.01", differs("TIV deal unit", "0.01", "0.02")),
        (16, "Yes", differs("Local production", "Yes", "No")),
    ] {
        let row = konkurs_2015_with(column, value);
        let got = match parse_bytes("deals.csv", deal_years(&[&row]).as_bytes()) {
            Ok(e) => format!("imported {} deals", e.transfers.len()),
            Err(e) => problems(&e).join("\n"),
        };
        assert_eq!(got, expected, "column {column} = {value}");
    }
    // What may differ between the rows of a deal: its deliveries, and how a designation ends.
    for (column, value) in [
        (3, "Konkurs -"),
        (8, "1500"),
        (9, "No"),
        (11, "Yes"),
        (15, "30"),
    ] {
        let row = konkurs_2015_with(column, value);
        let e = parse_bytes("deals.csv", deal_years(&[&row]).as_bytes())
            .unwrap_or_else(|e| panic!("column {column} = {value}: {e}"));
        assert_eq!(e.transfers.len(), 2);
    }
    // Two rows for one year of a deal.
    let e = parse_bytes("deals.csv", deal_years(&[KONKURS_2014]).as_bytes())
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert_eq!(
        problems(&e),
        [
            "input.invalid: deals.csv, line 15, field 'Delivery year': deal 54657 has two rows for 2014"
        ]
    );
}

/// Issue 16, defect 12 (the SIPRI part): a negative (or zero, or missing) deal number is
/// refused.
#[test]
fn a_negative_sipri_deal_id_is_refused() {
    for (id, expected) in [
        (
            "-54657",
            "input.invalid: deals.csv, line 15, field 'SIPRI AT Database ID': '-54657' is not a deal number (a positive whole number)",
        ),
        (
            "0",
            "input.invalid: deals.csv, line 15, field 'SIPRI AT Database ID': '0' is not a deal number (a positive whole number)",
        ),
        (
            "",
            "input.missing: deals.csv, line 15, field 'SIPRI AT Database ID': empty: every row names its deal",
        ),
    ] {
        let row = konkurs_2015_with(0, id);
        let e = parse_bytes("deals.csv", deal_years(&[&row]).as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{id} refused"));
        assert_eq!(problems(&e), [expected], "{id}");
    }
}
