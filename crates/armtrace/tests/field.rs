//! Field documentation through the real binary: documenting items, importing item files,
//! sightings, the verification workflow, evidence files (stored, deduplicated, verified,
//! exported without metadata), on a SQLite database in a temporary folder.

mod common;

use common::{Run, armtrace_in, json_in, ok_in, tempdir};
use image::ImageEncoder;
use serde_json::Value;
use std::path::Path;

fn run(dir: &Path, user: &str, args: &[&str]) -> Run {
    armtrace_in(
        dir,
        args,
        &[("ARMTRACE_DB", "field.db"), ("ARMTRACE_USER", user)],
    )
}

fn ok(dir: &Path, user: &str, args: &[&str]) -> String {
    ok_in(
        dir,
        args,
        &[("ARMTRACE_DB", "field.db"), ("ARMTRACE_USER", user)],
    )
}

fn json(dir: &Path, user: &str, args: &[&str]) -> Value {
    json_in(
        dir,
        args,
        &[("ARMTRACE_DB", "field.db"), ("ARMTRACE_USER", user)],
    )
}

/// A database with an investigation "Mosul 2014" whose members are amira (investigator),
/// rev (reviewer) and vic (viewer); olga (investigator) is not a member.
fn setup() -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    ok_in(d, &["--db", "field.db", "init"], &[]);
    for (name, role) in [
        ("amira", "investigator"),
        ("rev", "reviewer"),
        ("vic", "viewer"),
        ("olga", "investigator"),
    ] {
        ok(d, "owner", &["user", "add", name, "--role", role]);
    }
    ok(d, "amira", &["investigation", "add", "Mosul 2014"]);
    for m in ["rev", "vic"] {
        ok(
            d,
            "amira",
            &["investigation", "add-member", "Mosul 2014", m],
        );
    }
    dir
}

fn add_item(d: &Path, args: &[&str]) -> Run {
    let mut all = vec!["items", "add", "--investigation", "Mosul 2014"];
    all.extend_from_slice(args);
    run(d, "amira", &all)
}

#[test]
fn items_are_documented_listed_and_counted_as_distinct_weapons() {
    let dir = setup();
    let d = dir.path();
    let r = add_item(
        d,
        &[
            "--ref",
            "CAR-1",
            "--model",
            "Type 56",
            "--lat",
            "36.34",
            "--lon",
            "43.13",
            "--precision-m",
            "50",
            "--date",
            "2014-06",
            "--possessor",
            "Islamic State",
            "--acquired",
            "captured_in_battle",
            "--acquired-basis",
            "reported",
            "--marking",
            "receiver:digits:66",
            "--marking",
            "receiver:latin:56-1?23:...~?..",
            "--sensitive-location",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Documented item CAR-1"), "{}", r.stdout);
    // Near the Syrian and Turkish borders with a wide radius: warned, resolved to Iraq.
    let r = add_item(
        d,
        &[
            "--model",
            "AK-47",
            "--lat",
            "37.05",
            "--lon",
            "42.37",
            "--precision-m",
            "8000",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Documented item item-1"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "warning: the point is in IRQ on the map, but SYR, TUR are within its precision"
        ),
        "{}",
        r.stdout
    );
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--description",
            "rifle, markings ground off",
            "--place",
            "Tal Afar",
            "--country",
            "Iraq",
        ],
    );

    // Bad input: a clear error naming the field, exit 1, nothing written.
    for (args, message) in [
        (
            vec!["--model", "AK-47", "--lat", "91", "--lon", "43"],
            "--lat: latitude 91 is out of range: it must be between -90 and 90",
        ),
        (
            vec![
                "--model",
                "AK-47",
                "--lat",
                "36.3",
                "--lon",
                "43.1",
                "--country",
                "Syria",
            ],
            "--country: the coordinates are in IRQ on the map, not in SYR",
        ),
        (
            vec!["--model", "Blaster 9000"],
            "--model: 'Blaster 9000' is not in the weapon catalogue",
        ),
        (
            vec!["--possessor", "Islamic State"],
            "--model: an item needs a model from the catalogue, or a description",
        ),
        (
            vec!["--model", "AK-47", "--marking", "receiver:latin:A?:.."],
            "--marking: 'receiver:latin:A?:..': character 2 of 'A?' is '?' but not marked unreadable",
        ),
        // Issue 16, defect 1: a bad mask was stored as part of the serial.
        (
            vec![
                "--model",
                "AK-47",
                "--marking",
                "receiver:latin:56-1?23:...~?.x",
            ],
            "--marking: 'receiver:latin:56-1?23:...~?.x': 'x' in the mask",
        ),
        (
            vec!["--model", "AK-47", "--marking", "receiver:latin:ABC:.."],
            "--marking: 'receiver:latin:ABC:..': the mask has 2 marks but the text 'ABC' has 3 characters",
        ),
        (
            vec!["--ref", "CAR-1", "--model", "AK-47"],
            "already has an item 'CAR-1'",
        ),
    ] {
        let r = add_item(d, &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}:\n{}", r.stderr);
    }

    ok(d, "amira", &["items", "merge", "CAR-1", "item-1"]);
    let list = json(d, "vic", &["items", "list", "--format", "json"]);
    assert_eq!(list["counts"], "distinct weapons");
    assert_eq!(list["count"], 2, "{list}");
    let car1 = &list["items"][0];
    assert_eq!(
        (car1["reference"].as_str(), car1["sightings"].as_u64()),
        (Some("CAR-1"), Some(2))
    );
    assert_eq!(
        car1["made_in"], "CHN",
        "the catalogue's only producer of the Type 56"
    );
    assert_eq!(car1["possessor"]["ref"], "isil");
    // Public tier (the default): the sensitive position is rounded.
    assert_eq!(
        (
            car1["place"]["lat"].as_f64(),
            car1["place"]["precision_m"].as_u64()
        ),
        (Some(36.3), Some(11_000))
    );
    let all = json(
        d,
        "vic",
        &["items", "list", "--sightings", "--format", "json"],
    );
    assert_eq!(all["count"], 3);
    // A viewer may not read the confidential tier; an investigator may.
    let r = run(
        d,
        "vic",
        &["items", "show", "CAR-1", "--tier", "confidential"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("may not read the confidential tier"),
        "{}",
        r.stderr
    );
    let exact = json(
        d,
        "amira",
        &[
            "items",
            "show",
            "CAR-1",
            "--tier",
            "confidential",
            "--format",
            "json",
        ],
    );
    assert_eq!(exact["place"]["lat"].as_f64(), Some(36.34));
    assert_eq!(exact["merged_sightings"], serde_json::json!(["item-1"]));
    assert_eq!(
        exact["markings"][1]["legibility"],
        serde_json::json!([
            "clear",
            "clear",
            "clear",
            "uncertain",
            "unreadable",
            "clear",
            "clear"
        ])
    );

    // Filters.
    for (args, refs) in [
        (vec!["--made-in", "China"], vec!["CAR-1"]),
        (vec!["--possessor", "ISIL"], vec!["CAR-1"]),
        (vec!["--country", "Iraq"], vec!["CAR-1", "item-2"]),
        (vec!["--place", "tal afar"], vec!["item-2"]),
        (vec!["--from", "2014-06-15", "--to", "2015"], vec!["CAR-1"]),
        (vec!["--from", "2015"], vec![]),
        (vec!["--category", "salw"], vec!["CAR-1"]),
        (vec!["--model", "type"], vec!["CAR-1"]),
        (vec!["--status", "verified"], vec![]),
    ] {
        let mut a = vec!["items", "list", "--format", "json"];
        a.extend_from_slice(&args);
        let got = json(d, "amira", &a);
        let got: Vec<&str> = got["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["reference"].as_str())
            .collect();
        assert_eq!(got, refs, "{args:?}");
    }

    // Need-to-know: a non-member sees nothing and cannot write.
    assert_eq!(
        json(d, "olga", &["items", "list", "--format", "json"])["count"],
        0
    );
    let r = run(d, "olga", &["items", "show", "CAR-1"]);
    assert!(
        r.code == 1
            && r.stderr
                .contains("there is no item 'CAR-1' in your investigations"),
        "{}",
        r.stderr
    );
    let r = run(
        d,
        "olga",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--model",
            "AK-47",
        ],
    );
    assert!(
        r.code == 1
            && r.stderr
                .contains("no investigation 'Mosul 2014' that you are a member of"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_reviewer_is_never_the_author() {
    let dir = setup();
    let d = dir.path();
    ok(
        d,
        "owner",
        &["investigation", "add-member", "Mosul 2014", "owner"],
    );
    ok(
        d,
        "owner",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "OWN-1",
            "--model",
            "AK-47",
        ],
    );
    let r = run(
        d,
        "owner",
        &[
            "items", "review", "OWN-1", "--status", "verified", "--reason", "mine",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("owner wrote this record, and the reviewer is never the author"),
        "{}",
        r.stderr
    );
    let r = run(
        d,
        "amira",
        &[
            "items", "review", "OWN-1", "--status", "verified", "--reason", "x",
        ],
    );
    assert!(
        r.code == 1 && r.stderr.contains("may not review documented_item"),
        "{}",
        r.stderr
    );
    let r = run(
        d,
        "rev",
        &[
            "items", "review", "OWN-1", "--status", "verified", "--reason", " ",
        ],
    );
    assert!(
        r.code == 1 && r.stderr.contains("give a reason"),
        "{}",
        r.stderr
    );
    ok(
        d,
        "rev",
        &[
            "items",
            "review",
            "OWN-1",
            "--status",
            "verified",
            "--reason",
            "markings and stock match",
        ],
    );
    let r = run(
        d,
        "rev",
        &[
            "items",
            "review",
            "OWN-1",
            "--status",
            "unverified",
            "--reason",
            "undo",
        ],
    );
    assert!(
        r.code == 1 && r.stderr.contains("dispute it first"),
        "{}",
        r.stderr
    );
    // An edit changes what was verified: back to unverified, and the history says why.
    let out = ok(d, "amira", &["items", "edit", "OWN-1", "--date", "2014-07"]);
    assert!(out.contains("it is now unverified"), "{out}");
    let show = json(
        d,
        "rev",
        &[
            "items",
            "show",
            "OWN-1",
            "--tier",
            "confidential",
            "--format",
            "json",
        ],
    );
    let reviews: Vec<(&str, &str)> = show["reviews"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["to"].as_str().unwrap_or(""),
                r["by"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(reviews, [("verified", "rev"), ("unverified", "amira")]);
    assert_eq!(show["authors"], serde_json::json!(["amira", "owner"]));
    // Every change is in the audit log, and the chain verifies.
    let audit = ok(d, "owner", &["audit", "verify"]);
    assert!(audit.contains("OK: the chain is unbroken"), "{audit}");
}

#[test]
fn item_files_import_all_or_nothing_and_only_once() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("items.csv"), "item_ref,model,lat,lon,date,possessor,acquired,acquired_basis,marking_position,marking_script,marking_text,marking_mask\n\
        CAR-1,Type 56,36.34,43.13,2014-06,Islamic State,captured_in_battle,reported,receiver,digits,66,\n\
        CAR-1,,,,,,,,receiver,latin,56-1?23,...~?..\n\
        CAR-2,AK-47,,,2015,,,,,,,\n").unwrap_or_else(|e| panic!("{e}"));
    // CAR-2 was documented by hand first, with the same content as the file's row.
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "CAR-2",
            "--model",
            "AK-47",
            "--date",
            "2015",
        ],
    );
    let first = json(
        d,
        "amira",
        &[
            "items",
            "import",
            "items.csv",
            "--investigation",
            "Mosul 2014",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        (first[0]["added"].as_u64(), first[0]["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    let again = json(
        d,
        "amira",
        &[
            "items",
            "import",
            "items.csv",
            "--investigation",
            "Mosul 2014",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        (again[0]["added"].as_u64(), again[0]["unchanged"].as_u64()),
        (Some(0), Some(2))
    );
    // The same items as JSONL are recognised as the same.
    std::fs::write(
        d.join("items.jsonl"),
        "{\"item_ref\":\"CAR-2\",\"model\":\"AK-47\",\"date\":\"2015\"}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let j = json(
        d,
        "amira",
        &[
            "items",
            "import",
            "items.jsonl",
            "--investigation",
            "Mosul 2014",
            "--format",
            "json",
        ],
    );
    assert_eq!(j[0]["unchanged"], 1);
    for (name, text, message) in [
        (
            "bad.csv",
            "item_ref,model\nCAR-9,AK-47\nCAR-10,Nope\n",
            "bad.csv, line 3, field 'model': 'Nope' is not in the weapon catalogue",
        ),
        (
            "bad2.csv",
            "item_ref,model,lat,lon\nCAR-9,AK-47,95,1\n",
            "bad2.csv, line 2, field 'lat': latitude 95 is out of range",
        ),
        (
            "changed.csv",
            "item_ref,model\nCAR-9,AK-47\nCAR-2,Type 56\n",
            "changed.csv, line 3, field 'item_ref': investigation 'Mosul 2014' already has an item 'CAR-2' with other content",
        ),
    ] {
        std::fs::write(d.join(name), text).unwrap_or_else(|e| panic!("{e}"));
        let r = run(
            d,
            "amira",
            &["items", "import", name, "--investigation", "Mosul 2014"],
        );
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{name}:\n{}", r.stderr);
    }
    let list = json(d, "amira", &["items", "list", "--format", "json"]);
    let refs: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["reference"].as_str())
        .collect();
    assert_eq!(
        refs,
        ["CAR-1", "CAR-2"],
        "nothing of a refused file was written"
    );
}

/// A synthetic photo: smooth shapes and noise; `seed` picks the scene.
fn scene(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy, s) = (
            f64::from(x) / f64::from(w),
            f64::from(y) / f64::from(h),
            f64::from(seed),
        );
        let v = |k: f64| {
            (128.0 + 90.0 * ((fx * (4.0 + s) + k).sin() * (fy * (3.0 + s) - k).cos()))
                .clamp(0.0, 255.0) as u8
        };
        image::Rgb([v(0.0), v(1.0), v(2.0)])
    })
}

fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

/// `jpeg` with an EXIF segment giving a camera and a GPS position (and an impossible date).
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    let ascii = |tag, s: &str| exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![s.as_bytes().to_vec()]),
    };
    let r = |num, denom| exif::Rational { num, denom };
    let fields = [
        ascii(exif::Tag::Make, "Phone Maker"),
        ascii(exif::Tag::Model, "Model X"),
        ascii(exif::Tag::DateTimeOriginal, "2099:01:01 00:00:00"),
        exif::Field {
            tag: exif::Tag::GPSLatitude,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Rational(vec![r(36, 1), r(20, 1), r(0, 1)]),
        },
        ascii(exif::Tag::GPSLatitudeRef, "N"),
        exif::Field {
            tag: exif::Tag::GPSLongitude,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Rational(vec![r(43, 1), r(8, 1), r(0, 1)]),
        },
        ascii(exif::Tag::GPSLongitudeRef, "E"),
    ];
    let mut w = exif::experimental::Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    let mut block = std::io::Cursor::new(Vec::new());
    w.write(&mut block, false).unwrap_or_else(|e| panic!("{e}"));
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(block.into_inner());
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn evidence_is_stored_once_deduplicated_verified_and_exported_without_metadata() {
    let dir = setup();
    let d = dir.path();
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "CAR-1",
            "--model",
            "AK-47",
        ],
    );
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "CAR-2",
            "--model",
            "AK-47",
        ],
    );
    let photo = scene(640, 480, 1);
    let original = with_exif(&jpeg(&photo, 92));
    std::fs::write(d.join("photo.jpg"), &original).unwrap_or_else(|e| panic!("{e}"));
    let small = image::imageops::resize(&photo, 320, 240, image::imageops::FilterType::Triangle);
    std::fs::write(d.join("repost.jpg"), jpeg(&small, 60)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("other.jpg"), jpeg(&scene(640, 480, 7), 90))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("broken.jpg"), &original[..original.len() / 3])
        .unwrap_or_else(|e| panic!("{e}"));

    let added = json(
        d,
        "amira",
        &[
            "evidence",
            "add",
            "photo.jpg",
            "repost.jpg",
            "broken.jpg",
            "--item",
            "CAR-1",
            "--time",
            "1:23-1:30",
            "--url",
            "https://t.me/example/123",
            "--platform",
            "telegram",
            "--post-id",
            "123",
            "--uploader",
            "some_channel",
            "--format",
            "json",
        ],
    );
    assert_eq!(added.as_array().map(Vec::len), Some(3));
    let warnings = added[0]["warnings"].to_string();
    assert!(
        warnings.contains("capture time is later than now"),
        "impossible EXIF is flagged: {warnings}"
    );
    assert!(
        added[2]["warnings"]
            .to_string()
            .contains("damaged or truncated"),
        "{}",
        added[2]
    );
    // Stored content-addressed, read-only, byte for byte.
    let sha = added[0]["sha256"].as_str().unwrap_or_default().to_string();
    let stored = d
        .join("field.db.evidence/sha256")
        .join(&sha[..2])
        .join(&sha);
    assert_eq!(
        std::fs::read(&stored).ok().as_deref(),
        Some(original.as_slice())
    );
    // The same file again, for the second item: no second record, just the link.
    let again = json(
        d,
        "amira",
        &[
            "evidence",
            "add",
            "photo.jpg",
            "other.jpg",
            "--item",
            "CAR-2",
            "--region",
            "10,20,100,50",
            "--format",
            "json",
        ],
    );
    assert_eq!(again[0]["already_recorded"], true);

    let public = json(d, "vic", &["evidence", "list", "--format", "json"]);
    let photo_rec = public["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["sha256"] == sha.as_str())
        .cloned()
        .unwrap_or_default();
    // Regression (issue 16, defect 8): the public tier kept the camera and the original file name,
    // either of which can tell whose phone or account a file came from.
    assert_eq!(photo_rec["exif_camera"], Value::Null, "{photo_rec}");
    assert_eq!(photo_rec["original_name"], Value::Null, "{photo_rec}");
    let confidential = json(
        d,
        "amira",
        &[
            "evidence",
            "list",
            "--format",
            "json",
            "--tier",
            "confidential",
        ],
    );
    assert!(
        confidential.to_string().contains("Phone Maker Model X"),
        "the confidential tier keeps the camera"
    );
    assert_eq!(
        photo_rec["exif_gps"],
        Value::Null,
        "the public tier leaves out EXIF positions"
    );
    assert_eq!(
        photo_rec["collection"]["uploader"],
        Value::Null,
        "and uploaders"
    );
    assert_eq!(photo_rec["items"], serde_json::json!(["CAR-1", "CAR-2"]));
    let confidential = json(
        d,
        "amira",
        &[
            "evidence",
            "list",
            "--tier",
            "confidential",
            "--format",
            "json",
        ],
    );
    let c = confidential["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["sha256"] == sha.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(c["collection"]["uploader"], "some_channel");
    assert!(
        c["exif_gps"][0]
            .as_f64()
            .is_some_and(|lat| (lat - 36.333).abs() < 0.01),
        "{c}"
    );

    // The repost (resized, recompressed) is a near-duplicate; the other scene is not.
    let dupes = json(
        d,
        "amira",
        &[
            "evidence",
            "dupes",
            "--tier",
            "confidential",
            "--format",
            "json",
        ],
    );
    let pairs: Vec<(String, String)> = dupes["pairs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let mut names = [
                p["a"]["original_name"].as_str().unwrap_or("").to_string(),
                p["b"]["original_name"].as_str().unwrap_or("").to_string(),
            ];
            names.sort();
            (names[0].clone(), names[1].clone())
        })
        .collect();
    assert!(
        pairs.contains(&("photo.jpg".into(), "repost.jpg".into())),
        "{dupes}"
    );
    assert!(
        !pairs
            .iter()
            .any(|(a, b)| a == "other.jpg" || b == "other.jpg"),
        "{dupes}"
    );

    // Public export strips the metadata; the confidential export is the original.
    ok(
        d,
        "amira",
        &["evidence", "export", &sha[..12], "--out", "public"],
    );
    let exported = std::fs::read(d.join("public").join(format!("{sha}.jpg"))).unwrap_or_default();
    assert!(
        !exported.is_empty() && !exported.windows(6).any(|w| w == b"Exif\0\0"),
        "EXIF stripped"
    );
    assert!(
        image::load_from_memory(&exported).is_ok(),
        "still a valid JPEG"
    );
    ok(
        d,
        "amira",
        &[
            "evidence",
            "export",
            &sha[..12],
            "--out",
            "conf",
            "--tier",
            "confidential",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("conf").join(format!("{sha}.jpg")))
            .ok()
            .as_deref(),
        Some(original.as_slice())
    );

    // Review: never by the person who added it (an investigator cannot review at all).
    let r = run(
        d,
        "amira",
        &[
            "evidence",
            "review",
            &sha[..12],
            "--status",
            "verified",
            "--reason",
            "mine",
        ],
    );
    assert!(
        r.code == 1 && r.stderr.contains("may not review evidence"),
        "{}",
        r.stderr
    );
    ok(
        d,
        "rev",
        &[
            "evidence",
            "review",
            &sha[..12],
            "--status",
            "verified",
            "--reason",
            "geolocated and chronolocated",
        ],
    );

    // Verify finds a changed and a missing file, and fails.
    assert!(
        ok(d, "vic", &["evidence", "verify"])
            .contains("All evidence files are present and unchanged")
    );
    let mut perms = std::fs::metadata(&stored)
        .map(|m| m.permissions())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(perms.readonly(), "stored evidence is read-only");
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&stored, perms).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&stored, b"tampered").unwrap_or_else(|e| panic!("{e}"));
    let other_sha = again[1]["sha256"].as_str().unwrap_or_default().to_string();
    std::fs::remove_file(
        d.join("field.db.evidence/sha256")
            .join(&other_sha[..2])
            .join(&other_sha),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = run(d, "vic", &["evidence", "verify"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(&format!("CHANGED  {sha}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("MISSING  {other_sha}")),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("1 missing, 1 changed"), "{}", r.stderr);

    // Bad input.
    for (args, message) in [
        (
            vec!["evidence", "add", "nothere.jpg", "--item", "CAR-1"],
            "nothere.jpg: cannot read it",
        ),
        (
            vec![
                "evidence",
                "add",
                "other.jpg",
                "--item",
                "CAR-1",
                "--time",
                "2:00-1:00",
            ],
            "the end is before the start",
        ),
        (
            vec![
                "evidence",
                "add",
                "other.jpg",
                "--item",
                "CAR-1",
                "--region",
                "1,2,0,4",
            ],
            "--region: '1,2,0,4' is not a region",
        ),
        (
            vec![
                "evidence",
                "add",
                "other.jpg",
                "--investigation",
                "Mosul 2014",
                "--time",
                "3",
            ],
            "name the item",
        ),
    ] {
        let r = run(d, "amira", &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}:\n{}", r.stderr);
    }
}

#[test]
fn the_public_tier_and_the_audit_log_name_no_one_and_keep_sensitive_places_rounded() {
    let dir = setup();
    let d = dir.path();
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "S-1",
            "--model",
            "AK-47",
            "--lat",
            "36.3456",
            "--lon",
            "43.1234",
            "--sensitive-location",
        ],
    );
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "S-2",
            "--model",
            "AK-47",
            "--country",
            "Syria",
            "--date",
            "2015-03",
        ],
    );
    ok(d, "amira", &["items", "edit", "S-1", "--date", "2014-06"]);
    // An edit that changes nothing is refused, and leaves the item as it was.
    let r = run(d, "amira", &["items", "edit", "S-1", "--date", "2014-06"]);
    assert!(
        r.code == 1 && r.stderr.contains("nothing to change in S-1"),
        "{}",
        r.stderr
    );
    // Every member reads the audit log: exact sensitive coordinates are not in it.
    let log = ok(d, "vic", &["audit", "log", "--format", "json"]);
    assert!(
        log.contains("item.add") && log.contains("item.edit"),
        "{log}"
    );
    assert!(
        !log.contains("36.3456") && !log.contains("43.1234"),
        "{log}"
    );
    // The public tier names no one on the team.
    let public = json(d, "vic", &["items", "show", "S-1", "--format", "json"]);
    assert_eq!(public["created_by"], "(withheld in the public tier)");
    assert_eq!(
        public["identifications"][0]["by"],
        "(withheld in the public tier)"
    );
    let confidential = json(
        d,
        "amira",
        &[
            "items",
            "show",
            "S-1",
            "--tier",
            "confidential",
            "--format",
            "json",
        ],
    );
    assert_eq!(confidential["created_by"], "amira");

    // A weapon seen in Iraq and again in Syria is listed for Syria, once.
    ok(d, "amira", &["items", "merge", "S-1", "S-2"]);
    let syria = json(
        d,
        "vic",
        &["items", "list", "--country", "Syria", "--format", "json"],
    );
    assert_eq!(syria["count"], 1);
    assert_eq!(syria["items"][0]["reference"], "S-1");
    // A sighting is not merged on its own.
    ok(
        d,
        "amira",
        &[
            "items",
            "add",
            "--investigation",
            "Mosul 2014",
            "--ref",
            "S-3",
            "--model",
            "AKM",
        ],
    );
    let r = run(d, "amira", &["items", "merge", "S-3", "S-2"]);
    assert!(
        r.code == 1 && r.stderr.contains("S-2 is a sighting of S-1"),
        "{}",
        r.stderr
    );

    // Evidence: the public tier leaves out who collected it and where it came from.
    std::fs::write(d.join("p.jpg"), jpeg(&scene(64, 48, 3), 90)).unwrap_or_else(|e| panic!("{e}"));
    ok(
        d,
        "amira",
        &[
            "evidence",
            "add",
            "p.jpg",
            "--item",
            "S-1",
            "--url",
            "https://t.me/some_channel/9",
            "--post-id",
            "9",
            "--uploader",
            "some_channel",
            "--platform",
            "telegram",
        ],
    );
    let list = ok(d, "vic", &["evidence", "list", "--format", "json"]);
    for secret in ["amira", "some_channel", "https://t.me"] {
        assert!(
            !list.contains(secret),
            "{secret} in the public tier:\n{list}"
        );
    }
    assert!(list.contains("telegram"), "{list}");

    // A refused evidence add copies nothing into the folder.
    let folder_files = || {
        fn count(p: &Path) -> usize {
            std::fs::read_dir(p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum()
        }
        count(&d.join("field.db.evidence"))
    };
    let before = folder_files();
    std::fs::write(d.join("new.jpg"), jpeg(&scene(64, 48, 5), 90))
        .unwrap_or_else(|e| panic!("{e}"));
    for (user, args, message) in [
        (
            "olga",
            vec!["evidence", "add", "new.jpg", "--item", "S-1"],
            "there is no item 'S-1' in your investigations",
        ),
        (
            "vic",
            vec![
                "evidence",
                "add",
                "new.jpg",
                "--investigation",
                "Mosul 2014",
            ],
            "may not write evidence",
        ),
        (
            "amira",
            vec!["evidence", "add", "new.jpg", "--item", "NOPE"],
            "there is no item 'NOPE'",
        ),
        (
            "amira",
            vec![
                "evidence",
                "add",
                "new.jpg",
                "--investigation",
                "Mosul 2014",
                "--time",
                "3",
            ],
            "name the item",
        ),
        (
            "amira",
            vec![
                "evidence",
                "add",
                "new.jpg",
                "--item",
                "S-1",
                "--time",
                "400000000000000:00",
            ],
            "--time: '400000000000000:00' is not a time code",
        ),
    ] {
        let r = run(d, user, &args);
        assert_eq!(r.code, 1, "{user} {args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{user} {args:?}:\n{}", r.stderr);
    }
    assert_eq!(
        folder_files(),
        before,
        "nothing was stored for refused adds"
    );

    // Exports never overwrite.
    let sha = json(d, "amira", &["evidence", "list", "--format", "json"])["evidence"][0]["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ok(
        d,
        "amira",
        &["evidence", "export", &sha[..12], "--out", "out"],
    );
    let r = run(
        d,
        "amira",
        &["evidence", "export", &sha[..12], "--out", "out"],
    );
    assert!(
        r.code == 1
            && r.stderr
                .contains("already exists: export into an empty folder"),
        "{}",
        r.stderr
    );
}

/// Regression: a viewer's refused edit was told "a viewer may not export the confidential tier"
/// (the edit read the item in that tier first), and a refused write claimed that "the change was
/// saved, but signing the audit checkpoint failed".
#[test]
fn refused_writes_say_why_and_claim_nothing_was_saved() {
    let dir = setup();
    let d = dir.path();
    let r = add_item(d, &["--ref", "CAR-1", "--model", "Type 56"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for args in [
        vec!["items", "edit", "CAR-1", "--notes", "mine now"],
        vec![
            "items",
            "mark",
            "CAR-1",
            "--position",
            "receiver",
            "--script",
            "latin",
            "--text",
            "X",
        ],
        vec!["audit", "accept", "--reason", "mine"],
    ] {
        let r = run(d, "vic", &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("has the role viewer, which may not"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("tier"), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("saved"), "{args:?}: {}", r.stderr);
    }
}

/// An edit names the version it was made against; an edit against a version that has changed
/// since is refused, so two editors never overwrite each other.
#[test]
fn an_edit_against_a_stale_version_is_refused() {
    let dir = setup();
    let d = dir.path();
    let r = add_item(d, &["--ref", "CAR-1", "--model", "Type 56"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = json(d, "amira", &["items", "show", "CAR-1", "--format", "json"]);
    let v1 = first["version"].as_str().unwrap_or_default().to_string();
    assert_eq!(v1.len(), 64, "{first}");
    // Another editor changes it…
    ok(
        d,
        "amira",
        &[
            "items",
            "edit",
            "CAR-1",
            "--notes",
            "first edit",
            "--version",
            &v1,
        ],
    );
    // …so an edit made against the first version is refused, in JSON too, and changes nothing.
    let r = run(
        d,
        "amira",
        &[
            "items",
            "edit",
            "CAR-1",
            "--notes",
            "second edit",
            "--version",
            &v1,
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let e: Value = serde_json::from_str(&r.stderr).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert_eq!(e["error"]["code"], "conflict.stale", "{e}");
    assert_eq!(e["error"]["field"], "version", "{e}");
    let now = json(d, "amira", &["items", "show", "CAR-1", "--format", "json"]);
    assert_eq!(now["notes"], "first edit");
    assert_ne!(now["version"], first["version"]);
}

/// Regression (issue 16, defect 8): `items edit ITEM --country SYR` where the map already says
/// SYR was refused as "nothing to change", so a border warning could not be settled in the map's
/// favour.
#[test]
fn a_border_warning_can_be_settled_in_the_maps_favour() {
    let dir = setup();
    let d = dir.path();
    // Al-Qa'im's crossing, on the map in Iraq, with Syria within 20 km.
    let r = add_item(
        d,
        &[
            "--ref",
            "B-1",
            "--model",
            "AKM",
            "--lat",
            "34.38",
            "--lon",
            "41.02",
            "--precision-m",
            "20000",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("within its precision"), "{}", r.stdout);
    let before = json(
        d,
        "amira",
        &[
            "items",
            "show",
            "B-1",
            "--format",
            "json",
            "--tier",
            "confidential",
        ],
    );
    assert_eq!(before["country_basis"], "map", "{before}");
    let country = before["place"]["country"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let out = ok(d, "amira", &["items", "edit", "B-1", "--country", &country]);
    assert!(!out.contains("warning"), "{out}");
    let after = json(
        d,
        "amira",
        &[
            "items",
            "show",
            "B-1",
            "--format",
            "json",
            "--tier",
            "confidential",
        ],
    );
    assert_eq!(after["country_basis"], "given", "{after}");
    assert_eq!(after["place"]["country"], before["place"]["country"]);
}

/// Regression (issue 16, defect 8): a merged sighting could be reviewed on its own, so one
/// weapon could be "verified" and "rejected" at once.
#[test]
fn a_merged_sighting_is_reviewed_with_its_weapon() {
    let dir = setup();
    let d = dir.path();
    for r in ["W-1", "W-2"] {
        let out = add_item(d, &["--ref", r, "--model", "AKM"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    ok(d, "amira", &["items", "merge", "W-1", "W-2"]);
    let r = run(
        d,
        "rev",
        &[
            "items", "review", "W-2", "--status", "verified", "--reason", "ok",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("W-2 is a sighting of W-1"),
        "{}",
        r.stderr
    );
    ok(
        d,
        "rev",
        &[
            "items", "review", "W-1", "--status", "verified", "--reason", "ok",
        ],
    );
}

/// What analysts expected (issue 16): item lists show names, not only codes, and a model's alias
/// listed in `models` is accepted by `--model`.
#[test]
fn lists_show_names_and_models_are_found_by_their_aliases() {
    let dir = setup();
    let d = dir.path();
    for (r, model) in [("N-1", "9K32 Strela-2"), ("N-2", "AK-47")] {
        let out = add_item(
            d,
            &[
                "--ref",
                r,
                "--model",
                model,
                "--made-in",
                "Soviet Union",
                "--country",
                "IRQ",
                "--possessor",
                "Islamic State",
            ],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let table = ok(d, "amira", &["items", "list"]);
    assert!(
        table.contains("Soviet Socialist Republics (SUHH)"),
        "{table}"
    );
    assert!(
        table.contains("Islamic State (ISIL) (actor:isil)"),
        "{table}"
    );
    let by_alias = json(
        d,
        "amira",
        &["items", "list", "--model", "SA-7", "--format", "json"],
    );
    let refs: Vec<&str> = by_alias["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["reference"].as_str())
        .collect();
    assert_eq!(refs, ["N-1"], "{by_alias}");
    assert_eq!(by_alias["names"]["IRQ"], "Iraq", "{by_alias}");
}

/// Regression (issue 16, defect 8): `audit log --record REF` with an item reference or an id
/// prefix returned 0 rows without a hint.
#[test]
fn the_history_of_an_item_is_found_by_its_reference_or_id_prefix() {
    let dir = setup();
    let d = dir.path();
    let r = add_item(d, &["--ref", "H-1", "--model", "AKM"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ok(
        d,
        "amira",
        &["items", "edit", "H-1", "--notes", "seen again"],
    );
    let by_ref = json(
        d,
        "amira",
        &["audit", "log", "--record", "H-1", "--format", "json"],
    );
    let actions: Vec<&str> = by_ref
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["item.add", "item.edit"], "{by_ref}");
    let shown = json(d, "amira", &["items", "show", "H-1", "--format", "json"]);
    let id = shown["id"].as_str().unwrap_or_default();
    let by_prefix = json(
        d,
        "amira",
        &["audit", "log", "--record", &id[..13], "--format", "json"],
    );
    assert_eq!(by_prefix, by_ref);
    let r = run(d, "amira", &["audit", "log", "--record", "NO-SUCH-1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no record 'NO-SUCH-1' with a history you may see"),
        "{}",
        r.stderr
    );
}
