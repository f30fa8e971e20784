//! Checking documented items typed by investigators and read from native item files.

use armtrace_core::resolve::NameResolver;
use armtrace_ingest::items::{ItemFields, ItemLookup, MapAnswer, MarkingFields, parse_items};

/// A stand-in map for these tests: Mosul's square is Iraq; the strip at 37.0–37.1 N is Iraq
/// with Turkey within a few kilometres; the Atlantic square is no country.
fn fake_map(lat: f64, lon: f64, precision_m: Option<u32>) -> MapAnswer {
    if (36.0..37.0).contains(&lat) && (43.0..44.0).contains(&lon) {
        MapAnswer {
            country: Some("IRQ".into()),
            also_possible: vec![],
        }
    } else if (37.0..37.1).contains(&lat) && (42.0..43.0).contains(&lon) {
        MapAnswer {
            country: Some("IRQ".into()),
            also_possible: if precision_m.unwrap_or(0) > 1000 {
                vec!["TUR".into()]
            } else {
                vec![]
            },
        }
    } else {
        MapAnswer::default()
    }
}

fn with_lookup<T>(f: impl FnOnce(&ItemLookup<'_>) -> T) -> T {
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    let resolver = NameResolver::new(&set.countries, &set.actors, &set.aliases);
    let lookup = ItemLookup::new(&resolver, &set.models, &fake_map);
    f(&lookup)
}

fn fields(pairs: &[(&str, &str)]) -> ItemFields {
    let mut f = ItemFields::default();
    for (k, v) in pairs {
        let v = Some(v.to_string());
        match *k {
            "item_ref" => f.item_ref = v,
            "model" => f.model = v,
            "description" => f.description = v,
            "made_in" => f.made_in = v,
            "year_made" => f.year_made = v,
            "lat" => f.lat = v,
            "lon" => f.lon = v,
            "precision_m" => f.precision_m = v,
            "place" => f.place = v,
            "country" => f.country = v,
            "sensitive_location" => f.sensitive_location = v,
            "date" => f.date = v,
            "possessor" => f.possessor = v,
            "acquired" => f.acquired = v,
            "acquired_basis" => f.acquired_basis = v,
            "marking" => {
                let mut parts = v.as_deref().unwrap_or("").splitn(3, ':');
                f.markings.push(MarkingFields {
                    position: parts.next().unwrap_or("").into(),
                    script: parts.next().unwrap_or("").into(),
                    text: parts.next().unwrap_or("").into(),
                    ..MarkingFields::default()
                });
            }
            other => panic!("unknown test field {other}"),
        }
    }
    f
}

/// A one-line summary of a checked item, or its error.
fn summary(lookup: &ItemLookup<'_>, f: &ItemFields) -> String {
    match lookup.draft(f, "test") {
        Err(e) => format!("error {e}"),
        Ok(d) => {
            let d = &d.draft;
            let ident = d.identification.as_ref().map(|i| {
                format!(
                    "{} made_in={} basis={}",
                    i.model
                        .as_ref()
                        .map(|m| m.designation.as_str())
                        .unwrap_or("-"),
                    i.country_of_manufacture.as_deref().unwrap_or("-"),
                    i.basis
                )
            });
            let place = d.place.as_ref().map(|p| {
                format!(
                    "{}/{}",
                    p.country.as_deref().unwrap_or("-"),
                    d.country_basis.map(|b| b.as_str()).unwrap_or("-")
                )
            });
            format!(
                "ok {} place={} possessor={} markings={}",
                ident.unwrap_or_else(|| "unidentified".into()),
                place.unwrap_or_else(|| "-".into()),
                d.possessor
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into()),
                d.markings
                    .iter()
                    .map(|m| m.mask())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
    }
}

#[test]
fn items_are_checked_and_resolved() {
    with_lookup(|lookup| {
        for (input, expected) in [
            (
                fields(&[
                    ("model", "Type 56"),
                    ("lat", "36.34"),
                    ("lon", "43.13"),
                    ("marking", "receiver:digits:66"),
                ]),
                "ok Type 56 made_in=CHN basis=markings place=IRQ/map possessor=- markings=..",
            ),
            (
                fields(&[("model", "AK-47"), ("country", "Iraq")]),
                "ok AK-47 made_in=- basis=physical_features place=IRQ/given possessor=- markings=",
            ),
            (
                fields(&[
                    ("model", "kalashnikov"),
                    ("made_in", "Soviet Union"),
                    ("year_made", "1971"),
                ]),
                "ok AK-47 made_in=SUHH basis=physical_features place=- possessor=- markings=",
            ),
            (
                fields(&[
                    ("description", "rifle, folding stock, markings ground off"),
                    ("possessor", "unknown"),
                ]),
                "ok unidentified place=- possessor=unknown markings=",
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("lat", "37.05"),
                    ("lon", "42.5"),
                    ("precision_m", "5000"),
                    ("country", "Turkey"),
                ]),
                "ok AK-47 made_in=- basis=physical_features place=TUR/given possessor=- markings=",
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("lat", "36.34"),
                    ("lon", "43.13"),
                    ("country", "Syria"),
                ]),
                "error country: the coordinates are in IRQ on the map, not in SYR: check the coordinates (latitude first) or the country",
            ),
            (
                fields(&[("model", "AK-47"), ("lat", "95"), ("lon", "43")]),
                "error lat: latitude 95 is out of range: it must be between -90 and 90",
            ),
            (
                fields(&[("model", "AK-47"), ("lat", "36"), ("lon", "-181")]),
                "error lon: longitude -181 is out of range: it must be between -180 and 180",
            ),
            (
                fields(&[("model", "AK-47"), ("lat", "36")]),
                "error lat: give both latitude and longitude, or neither",
            ),
            (
                fields(&[("model", "AK-47"), ("lat", "NaN"), ("lon", "1")]),
                "error lat: 'NaN' is not a number",
            ),
            (
                fields(&[("model", "Blaster 9000")]),
                "error model: 'Blaster 9000' is not in the weapon catalogue: `armtrace models --search TEXT` lists what is; record the item as unidentified, with a description, until it is identified",
            ),
            (
                fields(&[("possessor", "Islamic State")]),
                "error model: an item needs a model from the catalogue, or a description of what was seen when it is unidentified",
            ),
            (
                fields(&[("model", "AK-47"), ("acquired", "looted_from_stocks")]),
                "error acquired_basis: say how the acquisition is known: observed, reported or inferred",
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("acquired", "stolen"),
                    ("acquired_basis", "reported"),
                ]),
                "error acquired: unknown acquisition route 'stolen': use one of looted_from_stocks, captured_in_battle, illicit_trade, defection, unknown",
            ),
            (
                fields(&[("model", "AK-47"), ("date", "2014-13")]),
                "error date: '2014-13' is not a real date: month must be 01 to 12",
            ),
            (
                fields(&[("model", "AK-47"), ("made_in", "Atlantis")]),
                "error made_in: 'Atlantis' is not a known country, actor or organisation: add it to the aliases (or as an actor) rather than guess",
            ),
            (
                fields(&[("model", "AK-47"), ("marking", "receiver:klingon:XYZ")]),
                "error marking_script: unknown script 'klingon': use one of latin, cyrillic, arabic, persian, chinese, korean, hebrew, greek, digits, other",
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("place", "Mosul"),
                    ("sensitive_location", "true"),
                ]),
                "error sensitive_location: only coordinates can be sensitive: give lat and lon, or leave it out",
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("precision_m", "-5"),
                    ("lat", "36.3"),
                    ("lon", "43.1"),
                ]),
                "error precision_m: '-5' is not a whole number of metres (0 to 4294967295)",
            ),
        ] {
            assert_eq!(summary(lookup, &input), expected, "{input:?}");
        }
    });
}

#[test]
fn points_near_borders_and_at_sea_are_warned_about() {
    with_lookup(|lookup| {
        for (input, expected) in [
            (
                fields(&[
                    ("model", "AK-47"),
                    ("lat", "37.05"),
                    ("lon", "42.5"),
                    ("precision_m", "5000"),
                ]),
                vec![
                    "the point is in IRQ on the map, but TUR is within its precision: give the country to settle it",
                ],
            ),
            (
                fields(&[
                    ("model", "AK-47"),
                    ("lat", "37.05"),
                    ("lon", "42.5"),
                    ("precision_m", "50"),
                ]),
                vec![],
            ),
            (
                fields(&[("model", "AK-47"), ("lat", "30"), ("lon", "-40")]),
                vec![
                    "the point is in no country on the map (at sea?): check the coordinates, latitude first",
                ],
            ),
        ] {
            let d = lookup
                .draft(&input, "test")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(d.warnings, expected);
        }
    });
}

#[test]
fn native_item_files() {
    let csv = "item_ref,model,lat,lon,date,possessor,acquired,acquired_basis,marking_position,marking_script,marking_text,marking_mask,marking_transliteration,marking_symbol\n\
               CAR-1,Type 56,36.34,43.13,2014-06,Islamic State,captured_in_battle,reported,receiver,digits,66,,,triangle\n\
               CAR-1,,,,,,,,receiver,latin,56-1?23,...~?..,,\n\
               CAR-2,AK-47,,,2015,,,,,,,,,\n";
    let jsonl = "{\"item_ref\":\"CAR-1\",\"model\":\"Type 56\",\"lat\":36.34,\"lon\":43.13,\"date\":\"2014-06\",\"possessor\":\"Islamic State\",\"acquired\":\"captured_in_battle\",\"acquired_basis\":\"reported\",\"markings\":[{\"position\":\"receiver\",\"script\":\"digits\",\"text\":\"66\",\"symbol\":\"triangle\"},{\"position\":\"receiver\",\"script\":\"latin\",\"text\":\"56-1?23\",\"mask\":\"...~?..\"}]}\n\
                 {\"item_ref\":\"CAR-2\",\"model\":\"AK-47\",\"date\":2015}\n";
    with_lookup(|lookup| {
        let a = parse_items("items.csv", csv.as_bytes(), lookup).unwrap_or_else(|e| panic!("{e}"));
        let b =
            parse_items("items.jsonl", jsonl.as_bytes(), lookup).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].draft.markings.len(), 2);
        assert_eq!(a[0].draft.markings[1].mask(), "...~?..");
        assert_eq!((a[0].line, a[1].line), (2, 4));
        assert_eq!(a[0].draft.source, "items.csv:2");
        // The same items in either format have the same content.
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.draft.content_sha256(), y.draft.content_sha256());
        }
    });
}

#[test]
fn bad_item_files_name_file_line_and_field() {
    with_lookup(|lookup| {
        for (name, text, expected) in [
            (
                "a.csv",
                "item_ref,model\nX,AK-47\nY,Nope\n",
                "a.csv, line 3, field 'model': 'Nope' is not in the weapon catalogue",
            ),
            (
                "a.csv",
                "item_ref,modle\nX,AK-47\n",
                "a.csv, line 1, field 'modle': unknown column",
            ),
            (
                "a.csv",
                "model\nAK-47\n",
                "a.csv, line 1, field 'item_ref': required column is missing",
            ),
            (
                "a.csv",
                "item_ref,model\n,AK-47\n",
                "a.csv, line 2, field 'item_ref': every item in a file needs its reference",
            ),
            (
                "a.csv",
                "item_ref,model\nX,AK-47\nX,Type 56\n",
                "a.csv, line 3: item 'X' already has its fields on line 2",
            ),
            ("a.csv", "item_ref,model\n", "a.csv: no items"),
            (
                "a.csv",
                "item_ref,model,model\nX,AK-47,AKM\n",
                "a.csv, line 1, field 'model': the column appears twice",
            ),
            (
                "a.csv",
                "item_ref,model\nX,AK-47\n X ,AKM\n",
                "a.csv, line 3: item 'X' already has its fields on line 2",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n{\"item_ref\":\" X\",\"model\":\"AKM\"}\n",
                "a.jsonl, line 2, field 'item_ref': 'X' is already used on line 1",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n",
                "a.jsonl, line 2, field 'item_ref': 'X' is already used on line 1",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"lat\":[1]}\n",
                "a.jsonl, line 1, field 'lat': expected a string or a number",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"markings\":[{\"position\":\"receiver\",\"script\":\"latin\",\"txt\":\"A\"}]}\n",
                "a.jsonl, line 1, field 'marking_txt': unknown marking field",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"lat\":91,\"lon\":0}\n",
                "a.jsonl, line 1, field 'lat': latitude 91 is out of range",
            ),
            (
                "a.jsonl",
                "not json\n",
                "a.jsonl, line 1: not a JSON object",
            ),
        ] {
            let got = parse_items(name, text.as_bytes(), lookup)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "ok".into());
            assert!(
                got.starts_with(expected),
                "{name} {text:?}\n got: {got}\nwant: {expected}"
            );
        }
    });
}
