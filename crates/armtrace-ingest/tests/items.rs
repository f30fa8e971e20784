//! Checking documented items typed by investigators and read from native item files.

use armtrace_core::date::PartialDate;
use armtrace_core::error::Code;
use armtrace_core::resolve::NameResolver;
use armtrace_ingest::items::{
    ItemFields, ItemLookup, MapAnswer, MarkingFields, parse_items, parse_marking_arg,
};

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
                "error script: unknown script 'klingon': use one of latin, cyrillic, arabic, persian, chinese, korean, hebrew, greek, digits, other",
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

/// The problems of a refused file, each as `code: file, line N, field 'F': message`; or "ok".
fn refused(lookup: &ItemLookup<'_>, name: &str, text: &str) -> Vec<String> {
    match parse_items(name, text.as_bytes(), lookup) {
        Ok(_) => vec!["ok".into()],
        Err(e) => {
            assert_eq!(e.code(), Code::ImportInvalid, "{e}");
            e.problems()
                .iter()
                .map(|p| format!("{}: {p}", p.code))
                .collect()
        }
    }
}

#[test]
fn bad_item_files_name_file_line_field_and_code() {
    with_lookup(|lookup| {
        for (name, text, expected) in [
            (
                "a.csv",
                "item_ref,model\nX,AK-47\nY,Nope\n",
                "input.invalid: a.csv, line 3, field 'model': 'Nope' is not in the weapon catalogue",
            ),
            (
                "a.csv",
                "item_ref,modle\nX,AK-47\n",
                "input.unknown_field: a.csv, line 1, field 'modle': unknown column",
            ),
            (
                "a.csv",
                "model\nAK-47\n",
                "input.missing: a.csv, line 1, field 'item_ref': required column is missing",
            ),
            (
                "a.csv",
                "item_ref,model\n,AK-47\n",
                "input.missing: a.csv, line 2, field 'item_ref': every item in a file needs its reference",
            ),
            (
                "a.csv",
                "item_ref,model\nX,AK-47\nX,Type 56\n",
                "input.invalid: a.csv, line 3: item 'X' already has its fields on line 2",
            ),
            (
                "a.csv",
                "item_ref,model\n",
                "input.missing: a.csv: no items",
            ),
            (
                "a.csv",
                "item_ref,model\nX,AK-47\n X ,AKM\n",
                "input.invalid: a.csv, line 3: item 'X' already has its fields on line 2",
            ),
            (
                "a.csv",
                "item_ref,model\nX,AK-47,extra\n",
                "input.invalid: a.csv, line 2: 3 fields where the header has 2",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n{\"item_ref\":\" X\",\"model\":\"AKM\"}\n",
                "conflict.exists: a.jsonl, line 2, field 'item_ref': 'X' is already used on line 1",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n{\"item_ref\":\"X\",\"model\":\"AK-47\"}\n",
                "conflict.exists: a.jsonl, line 2, field 'item_ref': 'X' is already used on line 1",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"markings\":[{\"position\":\"receiver\",\"script\":\"latin\",\"txt\":\"A\"}]}\n",
                "input.unknown_field: a.jsonl, line 1, field 'markings[0].txt': unknown marking field",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"lat\":91,\"lon\":0}\n",
                "input.invalid: a.jsonl, line 1, field 'lat': latitude 91 is out of range",
            ),
            (
                "a.jsonl",
                "not json\n",
                "input.invalid: a.jsonl, line 1: not a JSON object",
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"colour\":\"red\"}\n",
                "input.unknown_field: a.jsonl, line 1, field 'colour': unknown field",
            ),
        ] {
            let got = refused(lookup, name, text);
            assert!(
                got.len() == 1 && got[0].starts_with(expected),
                "{name} {text:?}\n got: {got:#?}\nwant: {expected}"
            );
        }
    });
}

/// Issue 11: a refused item file lists every bad record, each at its own line (a bad marking
/// at the row that holds it), so that it is fixed in one pass; nothing is returned.
#[test]
fn every_bad_item_is_listed_with_its_line_field_and_code() {
    let csv = "item_ref,model,date,marking_position,marking_script,marking_text,marking_mask\n\
               A,AK-47,2014,receiver,latin,56-1,....\n\
               A,,,,latin,77,\n\
               B,Nope,,,,,\n\
               C,AK-47,2014-13,,,,\n\
               D,AK-47,,receiver,latin,AB,.x\n";
    with_lookup(|lookup| {
        assert_eq!(
            refused(lookup, "items.csv", csv),
            [
                "input.missing: items.csv, line 3, field 'marking_position': missing: say where the marking is: receiver, barrel, bolt, bolt_carrier, trunnion, dust_cover, magazine, stock, grip, slide, frame, sight, tube, packaging, headstamp, other",
                "input.invalid: items.csv, line 4, field 'model': 'Nope' is not in the weapon catalogue: `armtrace models --search TEXT` lists what is; record the item as unidentified, with a description, until it is identified",
                "input.invalid: items.csv, line 5, field 'date': '2014-13' is not a real date: month must be 01 to 12",
                "input.invalid: items.csv, line 6, field 'marking_mask': 'x' in the mask: use '.' (clear), '~' (uncertain) or '?' (unreadable)",
            ]
        );
        let jsonl = "{\"item_ref\":\"A\",\"model\":\"AK-47\",\"markings\":[{\"position\":\"receiver\",\"script\":\"latin\",\"text\":\"56\"},{\"script\":\"latin\",\"text\":\"77\"}]}\n\
                     {\"item_ref\":\"B\",\"model\":\"Nope\"}\n\
                     {\"model\":\"AK-47\"}\n";
        assert_eq!(
            refused(lookup, "items.jsonl", jsonl),
            [
                "input.missing: items.jsonl, line 1, field 'markings[1].position': missing: say where the marking is: receiver, barrel, bolt, bolt_carrier, trunnion, dust_cover, magazine, stock, grip, slide, frame, sight, tube, packaging, headstamp, other",
                "input.invalid: items.jsonl, line 2, field 'model': 'Nope' is not in the weapon catalogue: `armtrace models --search TEXT` lists what is; record the item as unidentified, with a description, until it is identified",
                "input.missing: items.jsonl, line 3, field 'item_ref': every item in a file needs its reference, so that importing it again adds nothing",
            ]
        );
        // A marking without its script or text says which is missing, too.
        for (marking, expected) in [
            (
                "{\"position\":\"receiver\",\"text\":\"56\"}",
                "input.missing: m.jsonl, line 1, field 'markings[0].script': missing: say which script the marking is in: latin, cyrillic, arabic, persian, chinese, korean, hebrew, greek, digits, other",
            ),
            (
                "{\"position\":\"receiver\",\"script\":\"latin\"}",
                "input.missing: m.jsonl, line 1, field 'markings[0].text': a marking needs text as read: use '?' for each unreadable character",
            ),
        ] {
            let line =
                format!("{{\"item_ref\":\"A\",\"model\":\"AK-47\",\"markings\":[{marking}]}}\n");
            assert_eq!(refused(lookup, "m.jsonl", &line), [expected]);
        }
    });
}

/// Issue 16, defect 12: a field given twice is refused (a CSV column kept its first value, a
/// JSONL key its last, silently), and so are JSON objects and arrays where text goes.
#[test]
fn repeated_fields_and_json_values_that_are_not_text_are_refused() {
    with_lookup(|lookup| {
        for (name, text, expected) in [
            (
                "a.csv",
                "item_ref,model,model\nX,AK-47,AKM\n",
                vec![
                    "input.repeated_field: a.csv, line 1, field 'model': the column appears twice: keep one",
                ],
            ),
            (
                "a.csv",
                "item_ref,marking_text,marking_text,colour\nX,A,B,red\n",
                vec![
                    "input.repeated_field: a.csv, line 1, field 'marking_text': the column appears twice: keep one",
                    "input.unknown_field: a.csv, line 1, field 'colour': unknown column: the native item format has item_ref, model, description, made_in, year_made, identified_by, lat, lon, precision_m, place, country, sensitive_location, date, possessor, acquired, acquired_basis, notes and marking_position, marking_script, marking_text, marking_mask, marking_transliteration, marking_symbol",
                ],
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"model\":\"AKM\"}\n",
                vec![
                    "input.repeated_field: a.jsonl, line 1, field 'model': given twice: keep one (nothing says which value is meant)",
                ],
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"markings\":[{\"position\":\"receiver\",\"script\":\"latin\",\"text\":\"56\",\"text\":\"57\"}]}\n",
                vec![
                    "input.repeated_field: a.jsonl, line 1, field 'markings[0].text': given twice: keep one (nothing says which value is meant)",
                ],
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":{\"name\":\"AK-47\"},\"notes\":[\"a\",\"b\"]}\n",
                vec![
                    "input.invalid: a.jsonl, line 1, field 'model': expected a string or a number, not an object",
                    "input.invalid: a.jsonl, line 1, field 'notes': expected a string or a number, not an array",
                ],
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"markings\":[{\"position\":\"receiver\",\"script\":\"latin\",\"text\":[\"56\"]}]}\n",
                vec![
                    "input.invalid: a.jsonl, line 1, field 'markings[0].text': expected a string or a number, not an array",
                ],
            ),
            (
                "a.jsonl",
                "{\"item_ref\":\"X\",\"model\":\"AK-47\",\"markings\":{\"position\":\"receiver\"}}\n",
                vec![
                    "input.invalid: a.jsonl, line 1, field 'markings': expected an array of markings",
                ],
            ),
            (
                "a.jsonl",
                "[\"X\",\"AK-47\"]\n",
                vec![
                    "input.invalid: a.jsonl, line 1: not a JSON object: a JSON value, but not an object: each line holds one {…}",
                ],
            ),
        ] {
            assert_eq!(refused(lookup, name, text), expected, "{name} {text:?}");
        }
    });
}

/// Issue 16, defect 12: an item seen in the future (2999), or made then, is refused, and so is a
/// year of manufacture given as a full date (refused rather than warned: the field is documented
/// as YYYY or YYYY-MM, and a full date there is almost always the sighting date in the wrong
/// column; a date stamped on the weapon is a marking). Today is fixed at 2025-03-13 here.
#[test]
fn item_dates_in_the_future_and_full_dates_of_manufacture_are_refused() {
    let set = armtrace_refdata::load().unwrap_or_else(|e| panic!("{e}"));
    let resolver = NameResolver::new(&set.countries, &set.actors, &set.aliases);
    let today = PartialDate::ymd(2025, 3, 13).unwrap_or_else(|e| panic!("{e}"));
    let lookup = ItemLookup::new(&resolver, &set.models, &fake_map).with_today(today);
    for (pairs, expected) in [
        (
            vec![("date", "2999")],
            "error date: '2999' is in the future: give the date it was, or leave it out",
        ),
        (
            vec![("date", "2025-03-14")],
            "error date: '2025-03-14' is in the future: give the date it was, or leave it out",
        ),
        (vec![("date", "2025-03-13")], "ok"),
        (vec![("date", "2025")], "ok"),
        (
            vec![("year_made", "2999")],
            "error year_made: '2999' is in the future: give the date it was, or leave it out",
        ),
        (
            vec![("year_made", "1971-05-03")],
            "error year_made: '1971-05-03' is a full date: the year of manufacture is YYYY or YYYY-MM (a date stamped on the weapon is a marking; the day it was seen is `date`)",
        ),
        (vec![("year_made", "1971-05")], "ok"),
    ] {
        let mut all = vec![("model", "AK-47")];
        all.extend(pairs.iter().copied());
        let got = match lookup.draft(&fields(&all), "test") {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "{pairs:?}");
    }
    // Today's clock: 2999 is always in the future.
    with_lookup(|lookup| {
        assert_eq!(
            refused(lookup, "a.csv", "item_ref,model,date\nX,AK-47,2999\n"),
            [
                "input.invalid: a.csv, line 2, field 'date': '2999' is in the future: give the date it was, or leave it out"
            ]
        );
    });
}

/// Issue 16, defect 1: a marking typed as `POSITION:SCRIPT:TEXT[:MASK]` that does not check is
/// refused with the reason: a bad mask (`56-1?23:...~?.x`) or one of the wrong length
/// (`ABC:..`) was stored as part of the serial. Only the escape `\:` puts a `:` in the text.
#[test]
fn a_bad_marking_mask_never_corrupts_the_serial() {
    for (arg, expected) in [
        ("receiver:latin:56-1", "ok text 56-1 mask -"),
        (
            "receiver:latin:56-1?23:...~?..",
            "ok text 56-1?23 mask ...~?..",
        ),
        (
            "receiver:latin:56-1?23:...~?.x",
            "error marking: 'receiver:latin:56-1?23:...~?.x': 'x' in the mask: use '.' (clear), '~' (uncertain) or '?' (unreadable) (the part after the third ':' is the mask; a ':' in the text is written '\\:')",
        ),
        (
            "receiver:latin:ABC:..",
            "error marking: 'receiver:latin:ABC:..': the mask has 2 marks but the text 'ABC' has 3 characters (the part after the third ':' is the mask; a ':' in the text is written '\\:')",
        ),
        ("receiver:latin:ABC\\:..", "ok text ABC:.. mask -"),
        ("receiver:latin:A\\:B:...", "ok text A:B mask ..."),
        ("receiver:latin:A\\\\:..", "ok text A\\ mask .."),
        (
            "receiver:latin:C:\\Temp",
            "error marking: 'receiver:latin:C:\\Temp': the mask has 5 marks but the text 'C' has 1 characters (the part after the third ':' is the mask; a ':' in the text is written '\\:')",
        ),
        ("receiver:latin:A\\B", "ok text A\\B mask -"),
        (
            "receiver:latin:A?:..",
            "error marking: 'receiver:latin:A?:..': character 2 of 'A?' is '?' but not marked unreadable (the part after the third ':' is the mask; a ':' in the text is written '\\:')",
        ),
        (
            "receiver:latin:A:B:C",
            "error marking: 'receiver:latin:A:B:C': 5 parts where a marking has at most 4: write POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23:...~?.., and '\\:' for a ':' in the text",
        ),
        (
            "receiver:latin:AB:",
            "error marking: 'receiver:latin:AB:': nothing after the last ':', where the mask goes: write POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23:...~?.., and '\\:' for a ':' in the text",
        ),
        (
            "receiver:latin",
            "error marking: 'receiver:latin': write POSITION:SCRIPT:TEXT[:MASK], e.g. receiver:latin:56-1?23:...~?.., and '\\:' for a ':' in the text",
        ),
        (
            ":latin:56",
            "error marking: ':latin:56': missing: say where the marking is: receiver, barrel, bolt, bolt_carrier, trunnion, dust_cover, magazine, stock, grip, slide, frame, sight, tube, packaging, headstamp, other",
        ),
        (
            "reciever:latin:56",
            "error marking: 'reciever:latin:56': unknown marking position 'reciever': use one of receiver, barrel, bolt, bolt_carrier, trunnion, dust_cover, magazine, stock, grip, slide, frame, sight, tube, packaging, headstamp, other",
        ),
        (
            "receiver:latin: ",
            "error marking: 'receiver:latin: ': a marking needs text as read: use '?' for each unreadable character",
        ),
    ] {
        let got = match parse_marking_arg(arg) {
            Ok(m) => format!(
                "ok text {} mask {}",
                m.text,
                m.mask.as_deref().unwrap_or("-")
            ),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "{arg}");
    }
    assert_eq!(
        parse_marking_arg(":latin:56").map_err(|e| e.code),
        Err(Code::InputMissing)
    );
}
