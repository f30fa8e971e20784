//! Property tests: random bytes and random field values given to the SIPRI parser (both
//! formats), the native item parser (CSV and JSONL) and the marking argument parser. None may
//! panic, and every failure is a typed error: a refused file is `import.invalid` (or
//! `file.unsupported`) listing at most 100 problems, each with the file and a user's code,
//! never an internal one.

use armtrace_core::error::{Code, Error};
use armtrace_core::resolve::NameResolver;
use armtrace_ingest::NoProgress;
use armtrace_ingest::items::{ItemLookup, MapAnswer, marking, parse_items, parse_marking_arg};
use armtrace_ingest::sipri::{Lookup, parse};
use proptest::prelude::*;
use std::sync::LazyLock;

struct Reference {
    set: armtrace_core::reference::ReferenceSet,
    resolver: NameResolver,
    categories: std::collections::HashMap<String, String>,
    descriptions: std::collections::HashMap<String, String>,
}

static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    Reference {
        resolver: set.resolver(),
        categories: armtrace_refdata::category_index(&set.categories),
        descriptions: armtrace_refdata::sipri_description_categories()
            .unwrap_or_else(|e| panic!("{e}")),
        set,
    }
});

/// A failure is typed: a refused file with its problems, or a file that is not an export.
fn check_failure(name: &str, e: &Error) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(e.code(), Code::ImportInvalid | Code::FileUnsupported),
        "{e}"
    );
    prop_assert_eq!(e.file(), Some(name));
    if e.code() == Code::ImportInvalid {
        prop_assert!(!e.problems().is_empty() && e.problems().len() <= 100, "{e}");
        for p in e.problems() {
            prop_assert!(!p.code.is_internal(), "{p}");
            prop_assert_eq!(p.file.as_deref(), Some(name));
            prop_assert!(!p.message.is_empty());
        }
    }
    Ok(())
}

fn check_sipri(bytes: &[u8]) -> Result<(), TestCaseError> {
    let r = &*REFERENCE;
    let lookup = Lookup {
        resolver: &r.resolver,
        categories: r.categories.clone(),
        description_categories: r.descriptions.clone(),
    };
    match parse("random.csv", bytes, &lookup, &mut NoProgress) {
        Ok(e) => {
            prop_assert!(!e.transfers.is_empty());
            for t in &e.transfers {
                prop_assert!(t.record.line > 1);
                prop_assert!(!t.record_key.is_empty());
            }
            Ok(())
        }
        Err(e) => check_failure("random.csv", &e),
    }
}

const PREAMBLE: &str = "Transfers of major conventional arms\n\n\n\n\n\n\n\n\nSource: SIPRI Arms Transfers Database (c) SIPRI.\nData generated: 13 Mar 2025 10:02:49 AM\n";
const OLD_HEADER: &str = "Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,Weapon description,Number delivered, ,Year(s) of delivery,status,Comments,SIPRI TIV per unit,SIPRI TIV for total order,SIPRI TIV of delivered weapons";
const NEW_HEADER: &str = "SIPRI AT Database ID,Supplier,Recipient,Designation,Description,Armament category,Order date,Order date is estimate,Numbers delivered,Numbers delivered is estimate,Delivery year,Delivery year is estimate,Status,SIPRI estimate,TIV deal unit,TIV delivery values,Local production";

/// Field values: mostly ones SIPRI writes, some near misses, some anything.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", " ", "?", "New", "Second hand", "Second hand but modernized", "Yes", "No",
            "Iraq", "France", "Soviet Union", "unknown supplier(s)", "Atlantis", "1990",
            "1990; 1991", "1991; 1991", "2014", "0", "0.5", "12", "-5", "inf", "1e9",
            "Missiles", "Aircraft", "NotACategory", "Mi-17 -", "fighter aircraft",
            "99999999999999999999",
        ])
        .prop_map(str::to_string),
        2 => "[0-9]{1,5}(\\.[0-9]{0,4})?",
        1 => "[0-9]{4}(; [0-9]{4}){0,3}",
        1 => any::<String>(),
        1 => "[ ,\r\n?;a-z]{0,8}",
    ]
}

/// A file of the given header and rows of random values (`columns` fields a row, give or take).
fn export(header: &'static str, columns: usize) -> impl Strategy<Value = String> {
    let row = prop_oneof![
        8 => prop::collection::vec(value(), columns),
        1 => prop::collection::vec(value(), 0..columns + 3),
    ];
    (prop::collection::vec(row, 0..12), any::<bool>()).prop_map(move |(rows, crlf)| {
        let mut s = format!("{PREAMBLE}{header}\n");
        for r in rows {
            s.push_str(&r.join(","));
            s.push('\n');
        }
        if crlf { s.replace('\n', "\r\n") } else { s }
    })
}

/// Real rows, most left as they are and some with a field or two replaced by random values:
/// files that are often accepted, and refused for one record when not.
fn mutated(rows: Vec<String>, max_rows: usize) -> impl Strategy<Value = Vec<String>> {
    let mutation = prop_oneof![
        4 => Just(vec![]),
        1 => prop::collection::vec((0..17usize, value()), 1..3),
    ];
    prop::collection::vec((prop::sample::select(rows), mutation), 1..max_rows).prop_map(|rows| {
        rows.into_iter()
            .map(|(row, changes)| {
                let mut f: Vec<String> = row.split(',').map(str::to_string).collect();
                for (i, v) in changes {
                    let n = f.len();
                    f[i % n] = v;
                }
                f.join(",")
            })
            .collect()
    })
}

/// The shipped subset's records, some changed.
fn mutated_trade_register() -> impl Strategy<Value = String> {
    let text = String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).into_owned();
    let rows: Vec<String> = text.lines().skip(12).map(str::to_string).collect();
    mutated(rows, 10).prop_map(|rows| format!("{PREAMBLE}{OLD_HEADER}\n{}\n", rows.join("\n")))
}

/// Rows of three deals of the 2025-01-03 deal-year export, some changed.
fn mutated_deal_years() -> impl Strategy<Value = String> {
    let rows: Vec<String> = [
        "60320,Brazil,Afghanistan,EMB-314 -,trainer/combat aircraft,Aircraft,2017,No,6,Yes,2018,No,New,4.5,4.5,27,No",
        "37743,Russia,Afghanistan,aircraft engine 1001-2000,aircraft engine,Engines,2004,No,6,No,2005,No,New,0.5,0.5,3,No",
        "54657,Russia,India,Konkurs,anti-tank missile,Missiles,2012,No,2000,Yes,2014,Yes,New,0.02,0.02,40,No",
        "54657,Russia,India,Konkurs,anti-tank missile,Missiles,2012,No,2000,Yes,2015,No,New,0.02,0.02,40,No",
        "54657,Russia,India,Konkurs,anti-tank missile,Missiles,2012,No,2000,Yes,2016,Yes,New,0.02,0.02,40,No",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    mutated(rows, 6).prop_map(|rows| format!("{PREAMBLE}{NEW_HEADER}\n{}\n", rows.join("\n")))
}

/// A deal-year file whose rows share a few deal numbers, so that rows are grouped and compared.
fn deal_years() -> impl Strategy<Value = String> {
    let row = (
        prop::sample::select(vec!["1", "2", "3", "-4", "x", ""]),
        prop::collection::vec(value(), 16),
    );
    prop::collection::vec(row, 0..12).prop_map(|rows| {
        let mut s = format!("{PREAMBLE}{NEW_HEADER}\n");
        for (id, r) in rows {
            s.push_str(id);
            s.push(',');
            s.push_str(&r.join(","));
            s.push('\n');
        }
        s
    })
}

fn fake_map(lat: f64, _lon: f64, _precision: Option<u32>) -> MapAnswer {
    MapAnswer {
        country: (lat > 0.0).then(|| "IRQ".to_string()),
        also_possible: vec![],
    }
}

fn check_items(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let r = &*REFERENCE;
    let lookup = ItemLookup::new(&r.resolver, &r.set.models, &fake_map);
    match parse_items(name, bytes, &lookup) {
        Ok(items) => {
            prop_assert!(!items.is_empty());
            for i in &items {
                prop_assert!(i.line >= 1);
                prop_assert!(i.draft.reference.is_some());
            }
            Ok(())
        }
        Err(e) => check_failure(name, &e),
    }
}

/// Item field values: valid ones, near misses and anything.
fn item_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "", "AK-47", "Type 56", "Nope", "Iraq", "Atlantis", "2014", "2014-13", "2999",
            "1971-05-03", "36.3", "43.1", "95", "NaN", "true", "maybe", "receiver", "latin",
            "klingon", "56-1?23", "...~?..", ".x", "captured_in_battle", "reported", "unknown",
            "triangle",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[ ,\"\n?.~a-z0-9]{0,8}",
    ]
}

const ITEM_COLUMNS: &[&str] = &[
    "item_ref",
    "model",
    "description",
    "year_made",
    "lat",
    "lon",
    "country",
    "date",
    "possessor",
    "acquired",
    "acquired_basis",
    "marking_position",
    "marking_script",
    "marking_text",
    "marking_mask",
    "marking_symbol",
    "colour",
];

/// An item CSV: random columns (a repeat or an unknown one now and then), rows of random values
/// written with RFC 4180 quoting, item references from a few so that rows group into items.
fn item_csv() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(ITEM_COLUMNS.to_vec()), 1..8),
        prop::collection::vec(
            (
                prop::sample::select(vec!["A", "B", "C", ""]),
                prop::collection::vec(item_value(), 8),
            ),
            0..8,
        ),
    )
        .prop_map(|(mut columns, rows)| {
            if !columns.contains(&"item_ref") {
                columns.insert(0, "item_ref");
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(&columns);
            for (r, values) in rows {
                let record: Vec<&str> = columns
                    .iter()
                    .zip(values.iter().cycle())
                    .map(|(c, v)| if *c == "item_ref" { r } else { v.as_str() })
                    .collect();
                let _ = w.write_record(&record);
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        })
}

/// Items that check, in CSV, some with a field replaced by a random value.
fn mutated_item_csv() -> impl Strategy<Value = String> {
    let header = "item_ref,model,description,year_made,lat,lon,date,possessor,acquired,acquired_basis,marking_position,marking_script,marking_text,marking_mask";
    let rows: Vec<String> = [
        "A,Type 56,,1971,36.3,43.1,2014-06,Islamic State,captured_in_battle,reported,receiver,digits,66,..",
        "A,,,,,,,,,,receiver,latin,56-1?23,...~?..",
        "B,AK-47,,,,,2015,,,,,,,",
        "C,,rifle with its markings ground off,,,,2016-02-03,unknown,,,,,,",
        "D,AK-47,,1980-05,-10,20,,,,,bolt,cyrillic,ТПЗ,..~",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    mutated(rows, 6).prop_map(move |rows| format!("{header}\n{}\n", rows.join("\n")))
}

/// A JSON value for a field: text, numbers, booleans, null, arrays and objects.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        4 => item_value().prop_map(Value::String),
        1 => any::<f64>().prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        1 => any::<i64>().prop_map(|n| Value::Number(n.into())),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["position", "script", "text", "mask", "x"]),
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// A JSONL item file: objects of known and unknown keys, written by hand so that a key may come
/// twice; a markings array now and then.
fn item_jsonl() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "item_ref",
        "model",
        "date",
        "lat",
        "lon",
        "year_made",
        "country",
        "markings",
        "colour",
    ]);
    let object = prop::collection::vec((keys, json_value()), 0..6);
    prop::collection::vec(object, 0..5).prop_map(|objects| {
        let mut s = String::new();
        for entries in objects {
            let body: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(*k)))
                .collect();
            s.push_str(&format!("{{{}}}\n", body.join(",")));
        }
        s
    })
}

/// Items that check, in JSONL, some with a random key and value added (a repeated key, an
/// unknown one, a value that is not text).
fn mutated_item_jsonl() -> impl Strategy<Value = String> {
    let lines = vec![
        r#""item_ref":"A","model":"Type 56","lat":36.3,"lon":43.1,"date":"2014-06","markings":[{"position":"receiver","script":"digits","text":"66"},{"position":"receiver","script":"latin","text":"56-1?23","mask":"...~?.."}]"#,
        r#""item_ref":"B","model":"AK-47","date":2015"#,
        r#""item_ref":"C","description":"rifle","possessor":"unknown","year_made":"1980-05""#,
    ];
    let keys = prop::sample::select(vec![
        "item_ref", "model", "date", "lat", "markings", "colour",
    ]);
    let line = (
        prop::sample::select(lines),
        prop_oneof![3 => Just(None), 1 => (keys, json_value()).prop_map(Some)],
    );
    prop::collection::vec(line, 1..5).prop_map(|lines| {
        let mut s = String::new();
        for (body, extra) in lines {
            match extra {
                None => s.push_str(&format!("{{{body}}}\n")),
                Some((k, v)) => s.push_str(&format!("{{{body},\"{k}\":{v}}}\n")),
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sipri_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_sipri(&bytes)?;
    }

    #[test]
    fn sipri_random_bytes_after_a_header(
        header in prop::sample::select(vec![OLD_HEADER, NEW_HEADER]),
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = format!("{PREAMBLE}{header}\n").into_bytes();
        bytes.extend(body);
        check_sipri(&bytes)?;
    }

    #[test]
    fn sipri_trade_register_random_fields(text in export(OLD_HEADER, 16)) {
        check_sipri(text.as_bytes())?;
    }

    #[test]
    fn sipri_deal_years_random_fields(text in deal_years()) {
        check_sipri(text.as_bytes())?;
    }

    #[test]
    fn sipri_trade_register_records_with_random_changes(text in mutated_trade_register()) {
        check_sipri(text.as_bytes())?;
    }

    #[test]
    fn sipri_deal_years_rows_with_random_changes(text in mutated_deal_years()) {
        check_sipri(text.as_bytes())?;
    }

    #[test]
    fn items_random_bytes(
        name in prop::sample::select(vec!["random.csv", "random.jsonl"]),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        check_items(name, &bytes)?;
    }

    #[test]
    fn items_csv_random_fields(text in item_csv()) {
        check_items("random.csv", text.as_bytes())?;
    }

    #[test]
    fn items_csv_with_random_changes(text in mutated_item_csv()) {
        check_items("random.csv", text.as_bytes())?;
    }

    #[test]
    fn items_jsonl_with_random_changes(text in mutated_item_jsonl()) {
        check_items("random.jsonl", text.as_bytes())?;
    }

    #[test]
    fn items_jsonl_random_fields(text in item_jsonl()) {
        check_items("random.jsonl", text.as_bytes())?;
    }

    /// A marking argument splits and checks, or is refused for the field `marking`; what it
    /// accepts checks as a marking, and writing it back with its escapes gives it again.
    #[test]
    fn marking_arguments(arg in prop_oneof![
        any::<String>(),
        "(receiver|barrel|x|):(latin|digits|y|):[A-Z0-9?:\\\\ ]{0,6}(:[.~?x]{0,6})?",
        // Text with colons and backslashes escaped, and a mask that fits it.
        prop::collection::vec(
            (prop::sample::select(vec!['A', '7', '?', ':', '\\', '-', 'Ж']),
             prop::sample::select(vec!['.', '~', '?'])),
            1..8,
        )
        .prop_map(|chars| {
            let mut text = String::new();
            let mut mask = String::new();
            for (c, m) in chars {
                match c {
                    ':' => text.push_str("\\:"),
                    '\\' => text.push_str("\\\\"),
                    c => text.push(c),
                }
                mask.push(if c == '?' { '?' } else { m });
            }
            format!("receiver:latin:{text}:{mask}")
        }),
    ]) {
        match parse_marking_arg(&arg) {
            Ok(m) => {
                prop_assert!(marking(&m).is_ok());
                let escape = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
                let mut again = format!("{}:{}:{}", m.position, m.script, escape(&m.text));
                if let Some(mask) = &m.mask {
                    again.push(':');
                    again.push_str(mask);
                }
                prop_assert_eq!(parse_marking_arg(&again), Ok(m));
            }
            Err(e) => {
                prop_assert_eq!(e.field.as_str(), "marking");
                prop_assert!(matches!(e.code, Code::InputInvalid | Code::InputMissing));
            }
        }
    }
}
