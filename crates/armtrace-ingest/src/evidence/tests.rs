//! Tests of the evidence folder, file inspection and metadata stripping, on synthetic images.

use super::*;
use armtrace_core::phash::hamming;
use image::ImageEncoder;
use std::time::{Duration, UNIX_EPOCH};

/// 2024-06-01T00:00:00Z
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_717_200_000)
}

/// A synthetic photo: smooth shapes with sensor-like noise, `seed` picks the scene.
fn scene(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        let s = f64::from(seed);
        let noise = (x.wrapping_mul(0x9E37_79B9) ^ y.wrapping_mul(0x85EB_CA6B)).rotate_left(13);
        let noise = f64::from(noise.wrapping_mul(0xC2B2_AE35) >> 27) - 16.0;
        let v = |k: f64| {
            (128.0
                + 70.0 * ((fx * (5.0 + s) + k).sin() * (fy * (3.0 + 2.0 * s) - k).cos())
                + 40.0 * ((fx - fy * (1.0 + s)) * 7.0 + k).sin()
                + noise)
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
        .unwrap();
    out
}

fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn ascii(tag: exif::Tag, s: &str) -> exif::Field {
    exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![s.as_bytes().to_vec()]),
    }
}

fn dms(tag: exif::Tag, deg: u32, min: u32, sec_hundredths: u32) -> exif::Field {
    let r = |num, denom| exif::Rational { num, denom };
    exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Rational(vec![r(deg, 1), r(min, 1), r(sec_hundredths, 100)]),
    }
}

/// A TIFF-format EXIF block with these fields.
fn exif_block(fields: &[exif::Field]) -> Vec<u8> {
    let mut w = exif::experimental::Writer::new();
    for f in fields {
        w.push_field(f);
    }
    let mut out = io::Cursor::new(Vec::new());
    w.write(&mut out, false).unwrap();
    out.into_inner()
}

/// `jpeg` with an APP1 EXIF segment, an XMP segment and a comment inserted after SOI.
fn with_metadata(jpeg: &[u8], fields: &[exif::Field]) -> Vec<u8> {
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_block(fields));
    let mut out = jpeg[..2].to_vec();
    out.extend(segment(0xE1, &exif));
    out.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret place</x:xmpmeta>",
    ));
    out.extend(segment(0xFE, b"taken by a source"));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn photo_fields() -> Vec<exif::Field> {
    vec![
        ascii(exif::Tag::Make, "Apple"),
        ascii(exif::Tag::Model, "iPhone 13"),
        ascii(exif::Tag::DateTimeOriginal, "2023:05:01 12:34:56"),
        ascii(exif::Tag::OffsetTimeOriginal, "+03:00"),
        dms(exif::Tag::GPSLatitude, 50, 27, 3000),
        ascii(exif::Tag::GPSLatitudeRef, "N"),
        dms(exif::Tag::GPSLongitude, 30, 31, 1800),
        ascii(exif::Tag::GPSLongitudeRef, "E"),
    ]
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend(crc32(&out[4..]).to_be_bytes());
    out
}

/// `png` with eXIf, tEXt and tIME chunks after IHDR.
fn png_with_metadata(png: &[u8], fields: &[exif::Field]) -> Vec<u8> {
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    out.extend(png_chunk(b"eXIf", &exif_block(fields)));
    out.extend(png_chunk(b"tEXt", b"Author\0a source"));
    out.extend(png_chunk(b"tIME", &[7, 232, 5, 1, 12, 0, 0]));
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

fn decoded(bytes: &[u8]) -> Vec<u8> {
    image::load_from_memory(bytes).unwrap().to_rgb8().into_raw()
}

// ---------------------------------------------------------------- the folder

#[test]
fn put_stores_by_address_read_only_and_never_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let folder = EvidenceFolder::open(&dir.path().join("evidence")).unwrap();
    let source = dir.path().join("photo.jpg");
    fs::write(&source, b"the content").unwrap();

    let first = folder.put(&source).unwrap();
    let sha = crate::sha256_hex(b"the content");
    assert_eq!(first.sha256, sha);
    assert_eq!(first.size, 11);
    assert!(!first.already_present);
    assert_eq!(
        first.path,
        dir.path()
            .join("evidence/sha256")
            .join(&sha[..2])
            .join(&sha)
    );
    assert_eq!(folder.path_of(&sha).unwrap(), first.path);
    assert!(fs::metadata(&first.path).unwrap().permissions().readonly());
    assert_eq!(folder.read(&sha).unwrap(), b"the content");

    let modified = fs::metadata(&first.path).unwrap().modified().unwrap();
    let again = folder.put(&source).unwrap();
    assert!(again.already_present);
    assert_eq!(again.path, first.path);
    let from_bytes = folder.put_bytes(b"the content").unwrap();
    assert!(from_bytes.already_present);
    assert_eq!(
        fs::metadata(&first.path).unwrap().modified().unwrap(),
        modified
    );
    // Nothing left behind in incoming/.
    assert_eq!(
        fs::read_dir(dir.path().join("evidence/incoming"))
            .unwrap()
            .count(),
        0
    );

    let empty = folder.put_bytes(b"").unwrap();
    assert_eq!(empty.size, 0);
    assert!(!empty.already_present);
}

#[test]
fn errors_name_the_file_and_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let folder = EvidenceFolder::open(dir.path()).unwrap();
    let missing = dir.path().join("nope.jpg");
    let e = folder.put(&missing).unwrap_err().to_string();
    assert!(
        e.contains("nope.jpg") && e.contains("check the path"),
        "{e}"
    );
    let e = folder.path_of("ABC").unwrap_err().to_string();
    assert!(e.contains("64 lower-case hex digits"), "{e}");
    let e = folder.read(&"0".repeat(64)).unwrap_err().to_string();
    assert!(
        e.contains("missing") && e.contains("restore it from a backup"),
        "{e}"
    );
}

#[test]
fn verify_finds_missing_changed_and_orphaned_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = EvidenceFolder::open(dir.path()).unwrap();
    let stored: Vec<StoredFile> = (0..6)
        .map(|i| folder.put_bytes(format!("file {i}").as_bytes()).unwrap())
        .collect();
    let expected = |files: &[StoredFile]| -> Vec<(String, u64)> {
        files.iter().map(|f| (f.sha256.clone(), f.size)).collect()
    };
    let clean = folder.verify(expected(&stored), Orphans::Report);
    assert!(clean.is_intact() && clean.orphans.is_empty(), "{clean:?}");
    assert_eq!((clean.checked, clean.bytes), (6, 36));

    // Tamper: change one (the read-only bit does not stop an administrator), delete one, leave
    // a partial write behind, and verify only five of the six.
    let changed = &stored[1];
    let mut perms = fs::metadata(&changed.path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&changed.path, perms).unwrap();
    fs::write(&changed.path, b"file X").unwrap();
    fs::remove_file(&stored[2].path).unwrap();
    fs::write(dir.path().join("incoming/1-0-0.partial"), b"half").unwrap();
    let mut exp = expected(&stored[..5]);
    exp.push(("not-a-hash".into(), 3));
    let report = folder.verify(exp, Orphans::Report);
    assert!(!report.is_intact());
    assert_eq!(report.checked, 4);
    assert_eq!(report.missing, vec![stored[2].sha256.clone()]);
    assert_eq!(report.bad_addresses, vec!["not-a-hash".to_string()]);
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].sha256, changed.sha256);
    assert_eq!(
        report.changed[0].actual_sha256,
        crate::sha256_hex(b"file X")
    );
    let mut orphans = vec![
        stored[5].path.clone(),
        dir.path().join("incoming/1-0-0.partial"),
    ];
    orphans.sort();
    assert_eq!(report.orphans, orphans);
    assert!(
        folder
            .verify(expected(&stored[..5]), Orphans::Ignore)
            .orphans
            .is_empty()
    );

    // Reading the changed file refuses it; storing its true content again refuses too.
    let e = folder.read(&changed.sha256).unwrap_err().to_string();
    assert!(e.contains("no longer matches"), "{e}");
    let e = folder.put_bytes(b"file 1 but longer").map(|_| ());
    assert!(e.is_ok(), "different content, different address");
    fs::write(&changed.path, b"file 1 and more").unwrap();
    let e = folder.put_bytes(b"file 1").unwrap_err().to_string();
    assert!(e.contains("restore it from a backup"), "{e}");
}

#[test]
fn add_inspects_and_stores() {
    let dir = tempfile::tempdir().unwrap();
    let folder = EvidenceFolder::open(&dir.path().join("ev")).unwrap();
    let bytes = with_metadata(&jpeg(&scene(96, 64, 1), 90), &photo_fields());
    let source = dir.path().join("IMG_0001.JPG");
    fs::write(&source, &bytes).unwrap();
    let (stored, facts) = folder.add(&source, now()).unwrap();
    assert_eq!(stored.sha256, facts.sha256);
    assert_eq!(facts.original_name.as_deref(), Some("IMG_0001.JPG"));
    assert_eq!(facts.camera.as_deref(), Some("Apple iPhone 13"));
    assert_eq!(folder.read(&stored.sha256).unwrap(), bytes);
}

// ---------------------------------------------------------------- inspecting

#[test]
fn jpeg_facts_from_exif() {
    let bytes = with_metadata(&jpeg(&scene(96, 64, 1), 90), &photo_fields());
    let facts = inspect(&bytes, Some("photo.jpg"), now());
    assert_eq!(facts.media_type, "image/jpeg");
    assert_eq!(facts.size, bytes.len() as u64);
    assert_eq!(facts.sha256, crate::sha256_hex(&bytes));
    assert_eq!((facts.width, facts.height), (Some(96), Some(64)));
    assert_eq!(
        facts.capture_time.as_deref(),
        Some("2023-05-01T12:34:56+03:00")
    );
    assert_eq!(facts.camera.as_deref(), Some("Apple iPhone 13"));
    let (lat, lon) = facts.gps.unwrap();
    assert!(
        (lat - (50.0 + 27.0 / 60.0 + 30.0 / 3600.0)).abs() < 1e-9,
        "{lat}"
    );
    assert!(
        (lon - (30.0 + 31.0 / 60.0 + 18.0 / 3600.0)).abs() < 1e-9,
        "{lon}"
    );
    assert!(facts.perceptual_hash.is_some());
    assert_eq!(facts.warnings, vec![]);

    let id = armtrace_core::id::Id::new_random();
    let e = facts.to_evidence(id, id, Default::default());
    assert_eq!(e.exif_gps, facts.gps);
    assert_eq!(e.perceptual_hash, facts.perceptual_hash);
}

#[test]
fn impossible_exif_values_are_flagged_not_trusted() {
    let base = jpeg(&scene(64, 48, 1), 90);
    // (fields, expected warning kinds)
    let cases: Vec<(Vec<exif::Field>, &[&str])> = vec![
        (
            vec![
                dms(exif::Tag::GPSLatitude, 95, 0, 0),
                ascii(exif::Tag::GPSLatitudeRef, "N"),
                dms(exif::Tag::GPSLongitude, 30, 0, 0),
                ascii(exif::Tag::GPSLongitudeRef, "E"),
            ],
            &["gps_out_of_range"],
        ),
        (
            vec![
                dms(exif::Tag::GPSLatitude, 10, 0, 0),
                ascii(exif::Tag::GPSLatitudeRef, "N"),
                dms(exif::Tag::GPSLongitude, 181, 0, 0),
                ascii(exif::Tag::GPSLongitudeRef, "W"),
            ],
            &["gps_out_of_range"],
        ),
        (
            vec![
                dms(exif::Tag::GPSLatitude, 10, 75, 0),
                ascii(exif::Tag::GPSLatitudeRef, "N"),
                dms(exif::Tag::GPSLongitude, 10, 0, 0),
                ascii(exif::Tag::GPSLongitudeRef, "E"),
            ],
            &["gps_malformed"],
        ),
        (
            vec![
                dms(exif::Tag::GPSLatitude, 10, 0, 0),
                dms(exif::Tag::GPSLongitude, 10, 0, 0),
            ],
            &["gps_malformed"],
        ),
        (
            vec![
                dms(exif::Tag::GPSLatitude, 0, 0, 0),
                ascii(exif::Tag::GPSLatitudeRef, "N"),
                dms(exif::Tag::GPSLongitude, 0, 0, 0),
                ascii(exif::Tag::GPSLongitudeRef, "E"),
            ],
            &["gps_placeholder"],
        ),
        (
            vec![ascii(exif::Tag::DateTimeOriginal, "2099:01:01 00:00:00")],
            &["capture_time_in_future"],
        ),
        (
            vec![ascii(exif::Tag::DateTimeOriginal, "1970:01:01 00:00:00")],
            &["capture_time_too_early"],
        ),
        (
            vec![ascii(exif::Tag::DateTimeOriginal, "2023:02:30 25:00:00")],
            &["capture_time_malformed"],
        ),
    ];
    for (fields, want) in cases {
        let facts = inspect(&with_metadata(&base, &fields), None, now());
        let got: Vec<String> = facts
            .warnings
            .iter()
            .map(|w| {
                serde_json::to_value(w).unwrap()["warning"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, want.to_vec(), "{fields:?}");
        assert_eq!(facts.gps, None);
        assert_eq!(facts.capture_time, None);
        // The raw value is kept in the warning text.
        let text = facts.warnings[0].to_string();
        assert!(text.contains("ignored"), "{text}");
    }
    let w = inspect(
        &with_metadata(
            &base,
            &[ascii(exif::Tag::DateTimeOriginal, "2099:01:01 00:00:00")],
        ),
        None,
        now(),
    );
    assert!(w.warnings[0].to_string().contains("2099:01:01 00:00:00"));
}

#[test]
fn perceptual_hash_survives_recompression_and_resizing() {
    let original = scene(480, 320, 1);
    let h = |bytes: &[u8]| inspect(bytes, None, now()).perceptual_hash.unwrap();
    let base = h(&jpeg(&original, 92));
    let low_quality = h(&jpeg(&original, 35));
    let half = image::imageops::resize(&original, 240, 160, image::imageops::FilterType::Triangle);
    let half = h(&jpeg(&half, 80));
    let as_png = h(&png(&original));
    let other = h(&jpeg(&scene(480, 320, 4), 92));
    for (what, d, max) in [
        ("quality 35", hamming(base, low_quality), 6),
        ("half size", hamming(base, half), 6),
        ("PNG copy", hamming(base, as_png), 6),
    ] {
        assert!(d <= max, "{what}: distance {d}");
    }
    let far = hamming(base, other);
    assert!(far >= 20, "a different image is only {far} bits away");
}

#[test]
fn orientation_tag_and_rotated_pixels_hash_alike() {
    let upright = scene(120, 80, 2);
    let rotated_pixels = image::imageops::rotate90(&upright);
    // Stored sideways with "rotate 90° clockwise to show" (6): pixels turned the other way.
    let stored_sideways = image::imageops::rotate270(&upright);
    let tagged = with_metadata(
        &jpeg(&stored_sideways, 95),
        &[exif::Field {
            tag: exif::Tag::Orientation,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Short(vec![6]),
        }],
    );
    let h = |bytes: &[u8]| inspect(bytes, None, now()).perceptual_hash.unwrap();
    let a = h(&jpeg(&upright, 95));
    let b = h(&tagged);
    assert!(hamming(a, b) <= 4, "tagged: {}", hamming(a, b));
    assert!(
        hamming(a, h(&jpeg(&rotated_pixels, 95))) > 10,
        "rotation changes the hash"
    );
}

#[test]
fn png_facts() {
    let bytes = png_with_metadata(&png(&scene(64, 40, 3)), &photo_fields());
    let facts = inspect(&bytes, Some("x.png"), now());
    assert_eq!(facts.media_type, "image/png");
    assert_eq!((facts.width, facts.height), (Some(64), Some(40)));
    assert!(facts.gps.is_some());
    assert!(facts.perceptual_hash.is_some());
    assert_eq!(facts.warnings, vec![]);
}

#[test]
fn videos_and_documents_get_type_and_hash_only() {
    for (bytes, media) in [
        (
            &b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2mp41\0\0\0\x08free"[..],
            "video/mp4",
        ),
        (&b"%PDF-1.4\n%\xe2\xe3\n1 0 obj"[..], "application/pdf"),
        (&b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"[..], "image/heic"),
    ] {
        let facts = inspect(bytes, None, now());
        assert_eq!(facts.media_type, media);
        assert_eq!(facts.perceptual_hash, None);
        assert_eq!(facts.size, bytes.len() as u64);
    }
}

/// Damaged input of every kind: facts, a warning where an image is damaged, never a panic.
#[test]
fn damaged_files_still_get_facts() {
    let good_jpeg = with_metadata(&jpeg(&scene(64, 48, 1), 85), &photo_fields());
    let good_png = png(&scene(32, 32, 1));
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("png signature only".into(), good_png[..8].to_vec()),
        ("png header, zero-length IHDR".into(), {
            let mut v = good_png[..8].to_vec();
            v.extend(png_chunk(b"IHDR", &[]));
            v
        }),
        ("jpeg SOI only".into(), vec![0xFF, 0xD8, 0xFF]),
        ("huge jpeg header".into(), {
            // SOF0 claiming 65535×65535 with nothing after it.
            let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xFF, 0xFF, 0xFF, 0xFF, 3];
            v.extend([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
            v
        }),
    ];
    for len in [
        4,
        20,
        100,
        300,
        good_jpeg.len() / 2,
        good_jpeg.len() - 3,
        good_jpeg.len() - 1,
    ] {
        inputs.push((format!("jpeg cut at {len}"), good_jpeg[..len].to_vec()));
    }
    for len in [20, 40, good_png.len() / 2, good_png.len() - 5] {
        inputs.push((format!("png cut at {len}"), good_png[..len].to_vec()));
    }
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for n in 0..20 {
        let random: Vec<u8> = (0..(n * 37 + 1)).map(|_| next() as u8).collect();
        inputs.push((format!("random {n}"), random));
        let mut flipped = good_jpeg.clone();
        for _ in 0..(n + 1) {
            let i = (next() as usize) % flipped.len();
            flipped[i] = next() as u8;
        }
        inputs.push((format!("jpeg with {} random bytes", n + 1), flipped));
    }
    for (what, bytes) in &inputs {
        let facts = inspect(bytes, Some("x.jpg"), now());
        assert_eq!(facts.size, bytes.len() as u64, "{what}");
        assert_eq!(facts.sha256, crate::sha256_hex(bytes), "{what}");
        let damaged = facts
            .warnings
            .iter()
            .any(|w| matches!(w, FactWarning::ImageDamaged { .. }));
        if what.contains("cut") || what.contains("only") || what.contains("huge") {
            assert!(damaged, "{what}: {:?}", facts.warnings);
        }
        let _ = strip_metadata(bytes, &facts.media_type);
    }
}

// ---------------------------------------------------------------- public copies

#[test]
fn stripped_jpeg_has_no_metadata_and_the_same_pixels() {
    let mut fields = photo_fields();
    fields.push(exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![6]),
    });
    let original = with_metadata(&jpeg(&scene(80, 60, 2), 90), &fields);
    let mut with_trailer = original.clone();
    with_trailer.extend_from_slice(b"\xFF\xD8trailing second image with its own EXIF");
    let before = inspect(&with_trailer, None, now());
    assert!(before.gps.is_some() && before.camera.is_some());

    let clean = strip_metadata(&with_trailer, "image/jpeg").unwrap();
    let after = inspect(&clean, None, now());
    assert_eq!(
        (after.gps, after.camera, after.capture_time),
        (None, None, None)
    );
    for secret in [
        &b"secret place"[..],
        b"taken by a source",
        b"Apple",
        b"trailing",
    ] {
        assert!(
            !clean.windows(secret.len()).any(|w| w == secret),
            "{secret:?} left"
        );
    }
    assert_eq!(decoded(&clean), decoded(&original));
    assert_eq!(
        after.perceptual_hash, before.perceptual_hash,
        "orientation kept"
    );
    assert!(clean.len() < original.len());
    // Stripping is idempotent.
    assert_eq!(strip_metadata(&clean, "image/jpeg").unwrap(), clean);
}

#[test]
fn stripped_png_has_no_metadata_and_the_same_pixels() {
    let plain = png(&scene(40, 30, 2));
    let original = png_with_metadata(&plain, &photo_fields());
    assert!(inspect(&original, None, now()).gps.is_some());
    let clean = strip_metadata(&original, "image/png").unwrap();
    assert_eq!(inspect(&clean, None, now()).gps, None);
    for kind in [&b"eXIf"[..], b"tEXt", b"tIME"] {
        assert!(!clean.windows(4).any(|w| w == kind), "{kind:?} left");
    }
    assert_eq!(clean, plain);
    assert_eq!(decoded(&clean), decoded(&original));
}

#[test]
fn types_that_cannot_be_stripped_are_refused() {
    let e = strip_metadata(b"\0\0\0\x18ftypisom", "video/mp4").unwrap_err();
    assert!(
        e.to_string()
            .contains("keep the file out of public exports"),
        "{e}"
    );
    let cut = jpeg(&scene(32, 32, 1), 80);
    let e = strip_metadata(&cut[..cut.len() / 2], "image/jpeg").unwrap_err();
    assert!(matches!(e, StripError::Damaged { .. }), "{e}");
}

/// Issue 17: a symbolic link at an address hung the re-hash (to `/dev/zero`) or passed it (to an
/// outside copy with the same content); so did a linked shard folder. Each is tampering now.
#[cfg(unix)]
#[test]
fn verify_refuses_what_is_not_a_regular_file() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let folder = EvidenceFolder::open(dir.path()).unwrap();
    let zero = folder.put_bytes(b"zero").unwrap();
    let copy = folder.put_bytes(b"outside copy").unwrap();
    let shard = folder.put_bytes(b"in a linked shard").unwrap();
    let outside = dir.path().join("outside");
    fs::write(&outside, b"outside copy").unwrap();
    let unlink = |p: &Path| {
        let mut perms = fs::metadata(p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(p, perms).unwrap();
        fs::remove_file(p).unwrap();
    };
    unlink(&zero.path);
    symlink("/dev/zero", &zero.path).unwrap();
    unlink(&copy.path);
    symlink(&outside, &copy.path).unwrap();
    // The whole shard folder moved out and linked back.
    let shard_dir = shard.path.parent().unwrap().to_path_buf();
    let moved = dir.path().join("moved-shard");
    fs::rename(&shard_dir, &moved).unwrap();
    symlink(&moved, &shard_dir).unwrap();
    let expected: Vec<(String, u64)> = [&zero, &copy, &shard]
        .iter()
        .map(|f| (f.sha256.clone(), f.size))
        .collect();
    let report = folder.verify(expected, Orphans::Ignore);
    assert!(!report.is_intact());
    let mut found: Vec<&str> = report.not_files.iter().map(|(_, w)| w.as_str()).collect();
    found.sort();
    assert_eq!(found.len(), 3, "{report:?}");
    assert!(
        found.iter().filter(|w| **w == "a symbolic link").count() >= 2,
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|w| w.contains("is a symbolic link, not a folder")),
        "{found:?}"
    );
    assert_eq!(report.checked, 0);
}
