//! `armtrace import` and `armtrace transfers`, run as the real binary in temporary directories.

use serde_json::Value;
use std::path::Path;

mod common;
use common::{Run, armtrace_in, json_in, ok_in};

/// Every command acts as the analyst whom `init` makes the owner.
const AS_ANALYST: &[(&str, &str)] = &[("ARMTRACE_USER", "analyst")];

fn armtrace(dir: &Path, args: &[&str]) -> Run {
    armtrace_in(dir, args, AS_ANALYST)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    ok_in(dir, args, AS_ANALYST)
}

fn json(dir: &Path, args: &[&str]) -> Value {
    json_in(dir, args, AS_ANALYST)
}

/// A directory with an initialised database and the shipped SIPRI subset written out as a file.
fn setup() -> tempfile::TempDir {
    let dir = common::tempdir();
    std::fs::write(
        dir.path().join("subset.csv"),
        armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    ok(dir.path(), &["init"]);
    dir
}

#[test]
fn importing_sipri_twice_adds_nothing_and_reports_in_json() {
    let dir = setup();
    let d = dir.path();
    let first = json(d, &["import", "sipri", "subset.csv", "--format", "json"]);
    assert_eq!(first["transfers_imported"], 398);
    assert_eq!(first["files"][0]["status"], "imported");
    assert_eq!(first["files"][0]["release"], "sipri 2025-03-13");
    assert_eq!(
        first["credit"],
        "Information from the SIPRI Arms Transfers Database"
    );
    let second = json(d, &["import", "sipri", "subset.csv", "--format", "json"]);
    assert_eq!(second["transfers_imported"], 0);
    assert_eq!(second["files"][0]["status"], "already_imported");
    // The same records under another file name (a copy) are recognised by their keys.
    std::fs::write(
        d.join("copy.csv"),
        format!(
            "{}\n",
            String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET)
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let third = json(d, &["import", "sipri", "copy.csv", "--format", "json"]);
    assert_eq!(third["transfers_imported"], 0);
    assert_eq!(third["files"][0]["already_present"], 398);
    let releases = json(d, &["transfers", "releases", "--format", "json"]);
    assert_eq!(releases.as_array().map(Vec::len), Some(1));
    assert_eq!(releases[0]["transfers"], 398);
}

/// Issue 16, defect 10: a copy of a release that differs only in insignificant whitespace
/// (`,New,` written `,New ,`) or in its line ends (CR LF) adds nothing to the release.
#[test]
fn a_trivially_different_copy_of_a_release_adds_nothing() {
    let dir = setup();
    let d = dir.path();
    let text = String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).into_owned();
    std::fs::write(d.join("spaced.csv"), text.replace(",New,", ",New ,"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("crlf.csv"), text.replace('\n', "\r\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let first = json(d, &["import", "sipri", "subset.csv", "--format", "json"]);
    assert_eq!(first["transfers_imported"], 398);
    for copy in ["spaced.csv", "crlf.csv"] {
        let again = json(d, &["import", "sipri", copy, "--format", "json"]);
        assert_eq!(again["transfers_imported"], 0, "{copy}: {again}");
        assert_eq!(again["files"][0]["already_present"], 398, "{copy}");
    }
    let releases = json(d, &["transfers", "releases", "--format", "json"]);
    assert_eq!(releases[0]["transfers"], 398);
}

#[test]
fn a_bad_file_is_refused_whole_and_named() {
    let dir = setup();
    let d = dir.path();
    let text = String::from_utf8_lossy(armtrace_refdata::SIPRI_IRAQ_IRAN_SUBSET).into_owned();
    // Line 200 gets an impossible order year; everything before it is fine.
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 199 {
                let mut f: Vec<&str> = l.split(',').collect();
                f[2] = "19x0";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(d.join("broken.csv"), broken.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("notes.txt"), "not a register\n").unwrap_or_else(|e| panic!("{e}"));
    let r = armtrace(
        d,
        &["import", "sipri", "broken.csv", "notes.txt", "subset.csv"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("2 of 3 files not imported"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("broken.csv, line 200, field 'Year of order': '19x0' is not a year"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("notes.txt: not a SIPRI Arms Transfers Database export"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("subset.csv: 398 records, 398 transfers added"),
        "{}",
        r.stdout
    );
    // Nothing from the broken file: only the good file's 398 records are there.
    let releases = json(d, &["transfers", "releases", "--format", "json"]);
    assert_eq!(releases[0]["transfers"], 398);
    let r = armtrace(d, &["import", "sipri", "missing.csv"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("missing.csv: cannot read"),
        "{}",
        r.stderr
    );
}

#[test]
fn suppliers_with_overlap_in_json_and_table() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["import", "sipri", "subset.csv"]);
    let a = json(
        d,
        &[
            "transfers",
            "suppliers",
            "--recipient",
            "Iraq",
            "--from",
            "1970",
            "--to",
            "1990",
            "--also-supplied",
            "Iran",
            "--format",
            "json",
        ],
    );
    let suppliers = a["suppliers"].as_array().cloned().unwrap_or_default();
    assert_eq!(suppliers.len(), 23);
    assert_eq!(suppliers[0]["supplier"], "Soviet Union");
    assert_eq!(suppliers[0]["deals"], 99);
    assert_eq!(suppliers[0]["tiv_delivered"], "28502.31");
    let common: Vec<&str> = a["common"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(common.len(), 13);
    assert!(common.contains(&"France") && !common.contains(&"Egypt"));
    assert_eq!(
        a["credit"],
        "Information from the SIPRI Arms Transfers Database"
    );
    assert_eq!(a["calculated_by"], "armtrace");
    assert!(
        a["coverage"]
            .as_str()
            .is_some_and(|c| c.contains("small arms"))
    );
    let table = ok(
        d,
        &[
            "transfers",
            "suppliers",
            "--recipient",
            "IRN",
            "--from",
            "1980",
            "--to",
            "1988",
            "--by",
            "delivery",
        ],
    );
    assert!(
        table.contains("Information from the SIPRI Arms Transfers Database"),
        "{table}"
    );
    assert!(table.contains("not by SIPRI"), "{table}");
    assert!(table.contains("armtrace's estimate"), "{table}");
    let r = armtrace(d, &["transfers", "suppliers", "--recipient", "Atlantis"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("--recipient: 'Atlantis' is not a known country"),
        "{}",
        r.stderr
    );
    let r = armtrace(
        d,
        &[
            "transfers",
            "suppliers",
            "--recipient",
            "Iraq",
            "--release",
            "1999-01-01",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no such release or dataset; imported: sipri 2025-03-13"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_volumes_and_csv() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["import", "sipri", "subset.csv"]);
    let list = json(
        d,
        &[
            "transfers",
            "list",
            "--recipient",
            "Iraq",
            "--designation",
            "mig-23",
            "--format",
            "json",
        ],
    );
    let rows = list["transfers"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|t| {
        t["designation"]
            .as_str()
            .is_some_and(|s| s.to_lowercase().contains("mig-23"))
    }));
    assert!(rows.iter().all(|t| t["source_file"] == "subset.csv"));
    let csv = ok(
        d,
        &[
            "transfers",
            "list",
            "--supplier",
            "France",
            "--recipient",
            "Iraq",
            "--limit",
            "3",
            "--format",
            "csv",
        ],
    );
    assert_eq!(csv.lines().count(), 4, "header and three rows:\n{csv}");
    let by_year = json(
        d,
        &[
            "transfers",
            "volumes",
            "--by",
            "year",
            "--years",
            "order",
            "--format",
            "json",
        ],
    );
    assert_eq!(by_year["total_tiv"], "74795.22");
    let by_cat = json(
        d,
        &[
            "transfers",
            "volumes",
            "--by",
            "category",
            "--recipient",
            "Iran",
            "--format",
            "json",
        ],
    );
    assert!(
        by_cat["rows"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["key"] == "sipri.aircraft"))
    );
    let r = armtrace(
        d,
        &[
            "transfers",
            "volumes",
            "--by",
            "year",
            "--from",
            "1990",
            "--to",
            "1980",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--from 1990 is after --to 1980"));
}

#[test]
fn native_transfers_in_csv_and_jsonl() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(
        d.join("national-report.csv"),
        "record_id,kind,source_type,supplier,recipient,designation,category,year,quantity,value,currency,price_year,comments\n\
         UK-1,delivery,national_report,United Kingdom,Iraq,L85A2,assault rifle,2004,500,,,,synthetic example\n\
         UK-2,licence,national_report,GBR,Iraq,armoured vehicles,ML6,2005,10,12000000,GBP,2005,synthetic example\n\
         UK-3,denial,national_report,United Kingdom,Iran,sniper rifles,,2006,20,,,,synthetic example\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = json(
        d,
        &[
            "import",
            "transfers",
            "national-report.csv",
            "--dataset",
            "UK report (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["transfers_imported"], 3);
    std::fs::write(
        d.join("customs.jsonl"),
        "{\"kind\":\"delivery\",\"source_type\":\"customs_data\",\"supplier\":\"Czechia\",\"recipient\":\"Iraq\",\"designation\":\"cartridges\",\"year\":2016,\"value\":1500000,\"currency\":\"USD\",\"price_year\":2016}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = json(
        d,
        &[
            "import",
            "transfers",
            "customs.jsonl",
            "--dataset",
            "customs (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["transfers_imported"], 1);
    // The dataset's supplies: the delivery counts (in its delivery year) and the licence is an
    // order; the denial is not a supply.
    let sup = json(
        d,
        &[
            "transfers",
            "suppliers",
            "--dataset",
            "UK report (synthetic)",
            "--recipient",
            "Iraq",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        sup["suppliers"][0]["deals"], 1,
        "the delivery; a licence is not a supply: {sup}"
    );
    let iran = json(
        d,
        &[
            "transfers",
            "suppliers",
            "--dataset",
            "UK report (synthetic)",
            "--recipient",
            "Iran",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        iran["suppliers"].as_array().map(Vec::len),
        Some(0),
        "a denial is not a supply: {iran}"
    );
    // The same file may go into a second dataset.
    let other = json(
        d,
        &[
            "import",
            "transfers",
            "national-report.csv",
            "--dataset",
            "copy (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(other["transfers_imported"], 3);
    let again = json(
        d,
        &[
            "import",
            "transfers",
            "national-report.csv",
            "--dataset",
            "UK report (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(again["transfers_imported"], 0);
    // An overlapping file: the records the dataset has are skipped, the new one is added.
    std::fs::write(
        d.join("national-report-2.csv"),
        "record_id,kind,source_type,supplier,recipient,designation,category,year,quantity,value,currency,price_year,comments\n\
         UK-4,delivery,national_report,United Kingdom,Iraq,body armour,,2007,50,,,,synthetic example\n\
         UK-3,denial,national_report,United Kingdom,Iran,sniper rifles,,2006,20,,,,synthetic example\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let overlap = json(
        d,
        &[
            "import",
            "transfers",
            "national-report-2.csv",
            "--dataset",
            "UK report (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(overlap["transfers_imported"], 1, "{overlap}");
    assert_eq!(overlap["files"][0]["already_present"], 1, "{overlap}");
    let list = json(
        d,
        &[
            "transfers",
            "list",
            "--dataset",
            "UK report (synthetic)",
            "--format",
            "json",
        ],
    );
    let kinds: Vec<&str> = list["transfers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["designation"].as_str())
        .collect();
    // By order year (deliveries have none), then names and designation.
    assert_eq!(
        kinds,
        ["body armour", "L85A2", "armoured vehicles", "sniper rifles"]
    );
    assert!(
        list.get("credit").is_none(),
        "no SIPRI credit on native data"
    );
    std::fs::write(d.join("bad.csv"), "kind,source_type,supplier,recipient,designation,year\ndelivery,customs_data,France,Iraq,x,20x6\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let bad = armtrace(d, &["import", "transfers", "bad.csv"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("bad.csv, line 2, field 'year': '20x6' is not a year (1900–2100)"),
        "{}",
        bad.stderr
    );
}

#[test]
fn imports_need_a_permitted_user_and_are_audited() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["user", "add", "visitor", "--role", "viewer"]);
    let r = armtrace(d, &["--as", "visitor", "import", "sipri", "subset.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("visitor"), "{}", r.stderr);
    assert_eq!(
        json(d, &["transfers", "releases", "--format", "json"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    ok(d, &["import", "sipri", "subset.csv"]);
    let log = ok(d, &["audit", "log"]);
    assert!(log.contains("transfers.import"), "{log}");
    ok(d, &["audit", "verify"]);
}

#[test]
fn a_large_native_file_is_read_in_parts_and_checked_whole() {
    let dir = setup();
    let d = dir.path();
    // Over a megabyte: split into one part per core (one on a single-core machine).
    let rows = |last: &str| {
        let mut text = String::from(
            "record_id,kind,source_type,supplier,recipient,designation,year,quantity,comments\n",
        );
        for i in 0..20_000 {
            text.push_str(&format!(
                "R-{i},delivery,customs_data,France,Iraq,SYN-{},{},{},synthetic row\n",
                i % 37,
                1990 + i % 30,
                1 + i % 9
            ));
        }
        text.push_str(last);
        text
    };
    std::fs::write(d.join("big.csv"), rows("")).unwrap_or_else(|e| panic!("{e}"));
    let r = json(
        d,
        &[
            "import",
            "transfers",
            "big.csv",
            "--dataset",
            "big (synthetic)",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["transfers_imported"], 20_000, "{r}");
    let sup = json(
        d,
        &[
            "transfers",
            "suppliers",
            "--dataset",
            "big (synthetic)",
            "--recipient",
            "Iraq",
            "--format",
            "json",
        ],
    );
    assert_eq!(sup["suppliers"][0]["deals"], 20_000, "{sup}");
    // 1 + i % 9 over 20,000 rows: 2,222 full cycles of 45, then 1 and 2.
    assert_eq!(sup["suppliers"][0]["number_delivered"], 99_993, "{sup}");
    // A record id written again at the end, far from its first line: refused, nothing imported.
    std::fs::write(
        d.join("big-twice.csv"),
        rows("R-0,delivery,customs_data,France,Iraq,x,1990,1,again\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let bad = armtrace(
        d,
        &[
            "import",
            "transfers",
            "big-twice.csv",
            "--dataset",
            "twice (synthetic)",
        ],
    );
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("big-twice.csv, line 20002")
            && bad.stderr.contains("R-0' appears twice"),
        "{}",
        bad.stderr
    );
    let releases = json(d, &["transfers", "releases", "--format", "json"]);
    assert!(!releases.to_string().contains("twice"), "{releases}");
}

/// Regressions: a viewer's refused import said "the change was saved, but signing the audit
/// checkpoint failed" (nothing was saved), and a refused SIPRI import still printed SIPRI's
/// credit line, as if SIPRI data had been shown.
#[test]
fn a_refused_import_claims_nothing_and_credits_nobody() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["user", "add", "vic", "--role", "viewer"]);
    let r = armtrace_in(
        d,
        &["import", "sipri", "subset.csv"],
        &[("ARMTRACE_USER", "vic")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("has the role viewer, which may not"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("saved"), "{}", r.stderr);
    assert!(
        !r.stdout.contains("SIPRI Arms Transfers Database"),
        "{}",
        r.stdout
    );
    std::fs::write(d.join("notes.txt"), "not a register\n").unwrap_or_else(|e| panic!("{e}"));
    let r = armtrace(d, &["import", "sipri", "notes.txt"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        !r.stdout.contains("Information from the SIPRI"),
        "{}",
        r.stdout
    );
}
