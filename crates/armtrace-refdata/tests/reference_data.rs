//! The shipped reference data loads, is consistent, and resolves the names sources use.

use armtrace_core::actor::Party;
use armtrace_core::category::CategoryScheme;
use armtrace_core::source::Reliability;
use std::path::PathBuf;

fn set() -> armtrace_core::reference::ReferenceSet {
    match armtrace_refdata::load() {
        Ok(s) => s,
        Err(e) => panic!("shipped reference data must load: {e}"),
    }
}

#[test]
fn shipped_data_loads_with_expected_sizes() {
    let s = set();
    let historic = s.countries.iter().filter(|c| c.historic).count();
    let summary = format!(
        "countries {} (historic {historic}), actors {}, aliases {}, categories {}, models {}, factory codes {}, embargoes {}",
        s.countries.len(),
        s.actors.len(),
        s.aliases.len(),
        s.categories.len(),
        s.models.len(),
        s.factory_codes.len(),
        s.embargoes.len()
    );
    expect_test::expect!["countries 287 (historic 36), actors 62, aliases 159, categories 56, models 45, factory codes 21, embargoes 29"]
        .assert_eq(&summary);
    for scheme in [
        CategoryScheme::UnRegister,
        CategoryScheme::Salw,
        CategoryScheme::MilitaryList,
        CategoryScheme::Sipri,
    ] {
        assert!(
            s.categories.iter().any(|c| c.scheme == scheme),
            "{scheme} categories shipped"
        );
    }
    let ml: Vec<&str> = s
        .categories
        .iter()
        .filter(|c| c.scheme == CategoryScheme::MilitaryList)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(ml.len(), 22, "ML1 to ML22");
    assert!((1..=22).all(|i| ml.contains(&format!("ML{i}").as_str())));
}

#[test]
fn names_that_sources_use_resolve() {
    let r = set().resolver();
    for (name, expected) in [
        ("Soviet Union", "country:SUHH"),
        ("East Germany (GDR)", "country:DDDE"),
        ("Czechoslovakia", "country:CSHH"),
        ("Yugoslavia", "country:YUCS"),
        ("North Yemen", "country:XYAR"),
        ("Yemen Arab Republic (North Yemen)", "country:XYAR"),
        ("South Yemen", "country:YDYE"),
        ("South Vietnam", "country:XRVN"),
        ("Turkiye", "country:TUR"),
        ("Türkiye", "country:TUR"),
        ("Czechia", "country:CZE"),
        ("Viet Nam", "country:VNM"),
        ("eSwatini", "country:SWZ"),
        ("Cote d'Ivoire", "country:CIV"),
        ("DR Congo", "country:COD"),
        ("UAE", "country:ARE"),
        ("Iraq", "country:IRQ"),
        ("Iran", "country:IRN"),
        ("United States", "country:USA"),
        ("Hezbollah (Lebanon)*", "actor:hezbollah"),
        ("NATO**", "actor:nato"),
        ("unknown supplier(s)", "unknown"),
    ] {
        let got = match r.resolve(name) {
            Ok(p) => p.to_string(),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "{name}");
    }
    assert!(
        r.resolve("Atlantis").is_err(),
        "unknown names are never invented"
    );
}

#[test]
fn historic_states_carry_validity_years() {
    let s = set();
    let get = |code: &str| s.countries.iter().find(|c| c.code == code);
    for (code, from, to) in [
        ("SUHH", 1922, 1991),
        ("DDDE", 1949, 1990),
        ("XYAR", 1926, 1990),
        ("XRVN", 1954, 1975),
    ] {
        let c = get(code).unwrap_or_else(|| panic!("{code} shipped"));
        assert!(c.historic, "{code} is historic");
        assert_eq!((c.valid_from, c.valid_to), (Some(from), Some(to)), "{code}");
    }
    for c in &s.countries {
        if let (Some(f), Some(t)) = (c.valid_from, c.valid_to) {
            assert!(f <= t, "{} valid {f}–{t}", c.code);
        }
    }
}

#[test]
fn catalogue_rows_keep_sources_and_grades() {
    let s = set();
    for m in &s.models {
        assert!(
            !m.source.citation.is_empty(),
            "{} has a source",
            m.designation
        );
        assert!(m.category.is_some(), "{} has a category", m.designation);
    }
    let grade = |d: &str| {
        s.models
            .iter()
            .find(|m| m.designation == d)
            .map(|m| m.source.reliability)
    };
    assert_eq!(grade("AK-47"), Some(Reliability::Medium));
    let low = s
        .models
        .iter()
        .filter(|m| m.source.reliability == Reliability::Low)
        .count();
    assert!(
        low >= 1,
        "rows resting only on fan wikis or forums are graded low"
    );
    let type56 = s.models.iter().find(|m| m.designation == "Type 56");
    assert_eq!(
        type56.and_then(|m| m.country_of_design.clone()).as_deref(),
        Some("CHN")
    );
    assert_eq!(
        type56.and_then(|m| m.category.clone()).as_deref(),
        Some("salw.sa.assault_rifle")
    );
    let iraq = s.embargoes.iter().find(|e| e.target == "Iraq");
    assert_eq!(
        iraq.and_then(|e| e.target_country.clone()).as_deref(),
        Some("IRQ")
    );
    assert_eq!(
        iraq.and_then(|e| e.start).map(|d| d.to_string()).as_deref(),
        Some("1990-08")
    );
}

/// The shared data folder (`ARMTRACE_SHARED_DATA` or `../shared/data`). Only `#[ignore]`d tests
/// call it, and they fail when it is absent: a check that cannot run never counts as passed.
fn shared_data() -> PathBuf {
    let dir = std::env::var_os("ARMTRACE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        dir.join("sipri").is_dir(),
        "{}/sipri is absent: this test needs ../shared/data (or ARMTRACE_SHARED_DATA); without it, run the tests without --ignored",
        dir.display()
    );
    dir
}

/// Supplier and recipient names from a SIPRI export, read independently of armtrace's importer:
/// bytes as Latin-1, the header found by its first columns, continuation lines (starting with ",")
/// skipped.
fn sipri_names(path: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let mut lines = text.lines();
    let header = lines
        .by_ref()
        .find(|l| l.starts_with("Recipient,Supplier") || l.starts_with("SIPRI AT Database ID"))
        .unwrap_or_else(|| panic!("{} has a SIPRI header", path.display()));
    let cols: Vec<&str> = header.split(',').collect();
    let idx = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (s, r) = (idx("Supplier"), idx("Recipient"));
    let mut names = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty() && !l.starts_with(',')) {
        let f: Vec<&str> = line.split(',').collect();
        names.push(f[s].trim().to_string());
        names.push(f[r].trim().to_string());
    }
    names.sort();
    names.dedup();
    names
}

#[test]
#[ignore = "needs ../shared/data: cargo test -- --ignored"]
fn every_sipri_supplier_and_recipient_resolves() {
    let dir = shared_data();
    let r = set().resolver();
    let mut checked = 0;
    let mut unresolved = Vec::new();
    let mut kinds = [0usize; 3];
    for file in [
        "sipri_trade_register_all_years_generated_2025-03-13.csv",
        "sipri_trade_register_1950-2024_generated_2024-10-13.csv",
        "sipri_transfers_newformat_2000-2030_generated_2025-01-03.csv",
    ] {
        for name in sipri_names(&dir.join("sipri").join(file)) {
            checked += 1;
            match r.resolve(&name) {
                Ok(Party::Country(_)) => kinds[0] += 1,
                Ok(Party::Actor(_)) => kinds[1] += 1,
                Ok(Party::Unknown) => kinds[2] += 1,
                Err(e) => unresolved.push(format!("{file}: {e}")),
            }
            if name.ends_with('*') {
                assert!(
                    matches!(r.resolve(&name), Ok(Party::Actor(_)) | Ok(Party::Unknown)),
                    "{name} is a non-state actor or organisation, not a state"
                );
            }
        }
    }
    assert!(
        unresolved.is_empty(),
        "unresolved SIPRI names:\n{}",
        unresolved.join("\n")
    );
    assert!(checked > 500, "read the registers ({checked} names)");
    assert!(
        kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0,
        "countries, actors and unknowns all occur: {kinds:?}"
    );
}

#[test]
fn shipped_map_is_the_world_atlas_topology() {
    let v: serde_json::Value = serde_json::from_str(armtrace_refdata::COUNTRIES_50M_TOPOJSON)
        .unwrap_or_else(|e| panic!("data/maps/countries-50m.json is JSON: {e}"));
    assert_eq!(v["type"], "Topology");
    assert!(v["transform"].is_object(), "quantized");
    let countries = v["objects"]["countries"]["geometries"]
        .as_array()
        .map(Vec::len);
    assert_eq!(countries, Some(241));
    let licence = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/maps/world-atlas.LICENSE");
    assert!(licence.is_file(), "the ISC notice ships beside the map");
}
