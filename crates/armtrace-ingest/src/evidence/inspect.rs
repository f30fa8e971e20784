//! What a file says about itself: its media type (from its first bytes, never its name), its
//! EXIF hints (capture time, position, camera) with the impossible ones flagged instead of
//! trusted, its pixel size, and a perceptual hash of a thumbnail for finding re-posted copies.
//!
//! Nothing here fails: a damaged or truncated file still gets its hash, size and media type, and
//! a warning says what could not be read.

use super::jpeg;
use armtrace_core::evidence::{Collection, Evidence};
use armtrace_core::id::Id;
use armtrace_core::phash::perceptual_hash;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest image (in pixels) decoded for its perceptual hash; 120 MP covers phone cameras.
const MAX_PIXELS: u64 = 120_000_000;

/// Requested thumbnail size: JPEGs decode at the smallest DCT scale (1/8, 1/4, 1/2) that keeps
/// at least this many pixels on one side.
const THUMBNAIL: u16 = 256;

/// Earliest capture year believed: EXIF dates from 1995, digital cameras barely older.
const EARLIEST_YEAR: i64 = 1990;

/// What [`inspect`] found in a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    /// IANA media type from the content's signature; `application/octet-stream` when unknown.
    pub media_type: String,
    pub original_name: Option<String>,
    /// Pixel size of images whose header could be read.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// EXIF DateTimeOriginal as `YYYY-MM-DDTHH:MM:SS`, followed by OffsetTimeOriginal (`+02:00`)
    /// when the file gives one (without it the time is local to an unknown zone). A hint only.
    pub capture_time: Option<String>,
    /// EXIF position in decimal degrees (latitude, longitude; south and west negative). A hint.
    pub gps: Option<(f64, f64)>,
    /// EXIF camera make and model.
    pub camera: Option<String>,
    /// 64-bit perceptual hash (see `armtrace_core::phash`) of the upright image; images only.
    pub perceptual_hash: Option<u64>,
    /// What could not be read or was not believed.
    pub warnings: Vec<FactWarning>,
}

impl FileFacts {
    /// The evidence record for these facts.
    pub fn to_evidence(&self, id: Id, investigation: Id, collection: Collection) -> Evidence {
        Evidence {
            id,
            investigation,
            sha256: self.sha256.clone(),
            size: self.size,
            media_type: self.media_type.clone(),
            original_name: self.original_name.clone(),
            collection,
            exif_capture_time: self.capture_time.clone(),
            exif_gps: self.gps,
            exif_camera: self.camera.clone(),
            perceptual_hash: self.perceptual_hash,
        }
    }
}

/// Something in a file that could not be read or is not believed. Values not believed are left
/// out of [`FileFacts`]; the warning keeps their raw text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum FactWarning {
    /// The name's extension says one type, the content another.
    ExtensionMismatch {
        extension: String,
        media_type: String,
    },
    /// The image is damaged or truncated: no perceptual hash (or one of a partial image).
    ImageDamaged {
        message: String,
    },
    /// The image is too large to decode for a perceptual hash.
    ImageTooLarge {
        width: u32,
        height: u32,
    },
    /// No decoder for this image type here (HEIC, AVIF): no perceptual hash.
    ImageNotDecoded {
        media_type: String,
    },
    /// The file is too large to be read whole: only its type, size and hash are known.
    FileTooLarge {
        size: u64,
    },
    /// The EXIF block exists but cannot be parsed.
    ExifUnreadable {
        message: String,
    },
    GpsMalformed {
        raw: String,
    },
    GpsOutOfRange {
        raw: String,
    },
    /// Exactly 0°, 0°: a placeholder written by software, not a position.
    GpsPlaceholder {
        raw: String,
    },
    CaptureTimeMalformed {
        raw: String,
    },
    /// Later than the time of inspection.
    CaptureTimeInFuture {
        raw: String,
    },
    /// Before 1990: a camera clock that was never set.
    CaptureTimeTooEarly {
        raw: String,
    },
}

impl fmt::Display for FactWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FactWarning::*;
        match self {
            ExtensionMismatch {
                extension,
                media_type,
            } => write!(
                f,
                "the name ends in .{extension} but the content is {media_type}"
            ),
            ImageDamaged { message } => write!(
                f,
                "the image is damaged or truncated ({message}); it is stored as it is"
            ),
            ImageTooLarge { width, height } => write!(
                f,
                "the image is {width}×{height} pixels, too large to decode: no perceptual hash"
            ),
            ImageNotDecoded { media_type } => {
                write!(f, "{media_type} images are not decoded: no perceptual hash")
            }
            FileTooLarge { size } => write!(
                f,
                "the file has {size} bytes, too large to inspect: no EXIF and no perceptual hash"
            ),
            ExifUnreadable { message } => write!(f, "the EXIF block cannot be read ({message})"),
            GpsMalformed { raw } => write!(f, "EXIF GPS position is malformed, ignored: {raw}"),
            GpsOutOfRange { raw } => {
                write!(f, "EXIF GPS position is out of range, ignored: {raw}")
            }
            GpsPlaceholder { raw } => {
                write!(
                    f,
                    "EXIF GPS position is 0°, 0° (a placeholder), ignored: {raw}"
                )
            }
            CaptureTimeMalformed { raw } => {
                write!(f, "EXIF capture time is malformed, ignored: {raw:?}")
            }
            CaptureTimeInFuture { raw } => write!(
                f,
                "EXIF capture time is later than now, ignored (the camera clock is wrong or the \
                 date was edited): {raw:?}"
            ),
            CaptureTimeTooEarly { raw } => write!(
                f,
                "EXIF capture time is before {EARLIEST_YEAR}, ignored (a camera clock never \
                 set): {raw:?}"
            ),
        }
    }
}

/// The media type of content, from its signature (magic bytes); never from a name.
pub fn media_type(bytes: &[u8]) -> &'static str {
    let at = |offset: usize, sig: &[u8]| bytes.get(offset..offset + sig.len()) == Some(sig);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        "video/x-msvideo"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else if at(4, b"ftyp") {
        ftyp_media_type(bytes.get(8..12).unwrap_or_default())
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML: the DocType in the header says WebM or Matroska.
        let head = &bytes[..bytes.len().min(64)];
        if head.windows(4).any(|w| w == b"webm") {
            "video/webm"
        } else {
            "video/x-matroska"
        }
    } else if at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") {
        // QuickTime files older than the ftyp box.
        "video/quicktime"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "image/tiff"
    } else {
        "application/octet-stream"
    }
}

/// ISO base media files by their major brand.
fn ftyp_media_type(brand: &[u8]) -> &'static str {
    match brand {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => "image/heic",
        b"mif1" | b"msf1" => "image/heif",
        b"avif" | b"avis" => "image/avif",
        b"qt  " => "video/quicktime",
        [b'3', b'g', b'p' | b'2', _] => "video/3gpp",
        _ => "video/mp4",
    }
}

/// Media types a file name's extension claims.
fn extension_types(ext: &str) -> Option<&'static [&'static str]> {
    Some(match ext {
        "jpg" | "jpeg" | "jpe" | "jfif" => &["image/jpeg"],
        "png" => &["image/png"],
        "gif" => &["image/gif"],
        "webp" => &["image/webp"],
        "heic" | "heif" => &["image/heic", "image/heif"],
        "avif" => &["image/avif"],
        "tif" | "tiff" => &["image/tiff"],
        "mp4" | "m4v" => &["video/mp4", "video/quicktime"],
        "mov" => &["video/quicktime", "video/mp4"],
        "3gp" => &["video/3gpp", "video/mp4"],
        "webm" => &["video/webm", "video/x-matroska"],
        "mkv" => &["video/x-matroska", "video/webm"],
        "avi" => &["video/x-msvideo"],
        "pdf" => &["application/pdf"],
        _ => return None,
    })
}

/// Inspects a file's content. `now` is the time of inspection (capture times after it are not
/// believed). Never fails and never panics on any input.
pub fn inspect(bytes: &[u8], original_name: Option<&str>, now: SystemTime) -> FileFacts {
    let mut facts = head_facts(
        bytes,
        crate::sha256_hex(bytes),
        bytes.len() as u64,
        original_name,
    );
    let media = media_type(bytes);
    let mut orientation = 1;
    if matches!(
        media,
        "image/jpeg" | "image/png" | "image/webp" | "image/heic" | "image/heif" | "image/avif"
    ) {
        orientation = read_exif(bytes, now, &mut facts);
    }
    match media {
        "image/jpeg" => {
            if let Err(message) = jpeg::parts(bytes) {
                facts.warnings.push(FactWarning::ImageDamaged { message });
            }
            let result = guarded(|| jpeg_thumbnail(bytes, &mut facts));
            thumbnail_hash(result, orientation, &mut facts);
        }
        "image/png" | "image/webp" | "image/gif" => {
            let format = match media {
                "image/png" => image::ImageFormat::Png,
                "image/webp" => image::ImageFormat::WebP,
                _ => image::ImageFormat::Gif,
            };
            let result = guarded(|| other_thumbnail(bytes, format, &mut facts));
            thumbnail_hash(result, orientation, &mut facts);
        }
        "image/heic" | "image/heif" | "image/avif" | "image/tiff" => {
            facts.warnings.push(FactWarning::ImageNotDecoded {
                media_type: media.to_string(),
            })
        }
        _ => {}
    }
    facts
}

/// Facts known from the first bytes alone (media type, name check), for files too large to read
/// whole: videos, or anything stored by streaming.
pub(crate) fn head_facts(
    head: &[u8],
    sha256: String,
    size: u64,
    original_name: Option<&str>,
) -> FileFacts {
    let media = media_type(head);
    let mut warnings = Vec::new();
    if let Some(ext) = original_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        && let Some(types) = extension_types(&ext)
        && !types.contains(&media)
    {
        warnings.push(FactWarning::ExtensionMismatch {
            extension: ext,
            media_type: media.to_string(),
        });
    }
    FileFacts {
        sha256,
        size,
        media_type: media.to_string(),
        original_name: original_name.map(str::to_string),
        width: None,
        height: None,
        capture_time: None,
        gps: None,
        camera: None,
        perceptual_hash: None,
        warnings,
    }
}

/// Runs a decoder, turning a panic inside it into an error (defence in depth: third-party
/// decoders meet hostile files here).
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err("the decoder failed".to_string()))
}

/// An 8-bit luminance thumbnail.
struct Thumbnail {
    width: usize,
    height: usize,
    luma: Vec<u8>,
}

fn thumbnail_hash(result: Result<Thumbnail, String>, orientation: u32, facts: &mut FileFacts) {
    match result {
        Ok(t) => {
            let t = upright(t, orientation);
            facts.perceptual_hash = perceptual_hash(t.width, t.height, &t.luma);
        }
        Err(message) => {
            // One damage warning is enough when the structure check already found it.
            if !facts
                .warnings
                .iter()
                .any(|w| matches!(w, FactWarning::ImageDamaged { .. }))
            {
                facts.warnings.push(FactWarning::ImageDamaged { message });
            }
        }
    }
}

/// Decodes a JPEG at reduced scale (the IDCT computes 1/8, 1/4 or 1/2 of the pixels), which
/// costs a fraction of a full decode.
fn jpeg_thumbnail(bytes: &[u8], facts: &mut FileFacts) -> Result<Thumbnail, String> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no image header")?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    facts.width = Some(width);
    facts.height = Some(height);
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        facts
            .warnings
            .push(FactWarning::ImageTooLarge { width, height });
        return Err("too large".into());
    }
    let (w, h) = decoder
        .scale(THUMBNAIL, THUMBNAIL)
        .map_err(|e| e.to_string())?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let (w, h) = (usize::from(w), usize::from(h));
    let luma = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => pixels,
        jpeg_decoder::PixelFormat::L16 => pixels.chunks_exact(2).map(|p| p[0]).collect(),
        jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).map(rgb_luma).collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .map(|p| {
                // Adobe CMYK JPEGs store inverted ink: each channel is 255 - ink.
                let k = u16::from(p[3]);
                let rgb = [p[0], p[1], p[2]].map(|c| (u16::from(c) * k / 255) as u8);
                rgb_luma(&rgb)
            })
            .collect(),
    };
    if luma.len() != w * h {
        return Err("the decoder returned a short image".into());
    }
    Ok(Thumbnail {
        width: w,
        height: h,
        luma,
    })
}

/// PNG, WebP and GIF through the `image` crate (full decode, within its memory limits).
fn other_thumbnail(
    bytes: &[u8],
    format: image::ImageFormat,
    facts: &mut FileFacts,
) -> Result<Thumbnail, String> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image::Limits::default());
    let decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (width, height) = decoder.dimensions();
    facts.width = Some(width);
    facts.height = Some(height);
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        facts
            .warnings
            .push(FactWarning::ImageTooLarge { width, height });
        return Err("too large".into());
    }
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    let rgb = image.to_rgb8();
    Ok(Thumbnail {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        luma: rgb.as_raw().chunks_exact(3).map(rgb_luma).collect(),
    })
}

/// ITU-R BT.601 luma.
fn rgb_luma(p: &[u8]) -> u8 {
    ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000) as u8
}

/// Turns a thumbnail upright by its EXIF orientation (1–8), so a photo hashes the same whether
/// a platform rotated its pixels or kept the orientation tag.
fn upright(t: Thumbnail, orientation: u32) -> Thumbnail {
    if !(2..=8).contains(&orientation) {
        return t;
    }
    let (w, h) = (t.width, t.height);
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let mut out = vec![0; t.luma.len()];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            out[dy * ow + dx] = t.luma[y * w + x];
        }
    }
    Thumbnail {
        width: ow,
        height: oh,
        luma: out,
    }
}

/// Reads the EXIF hints into `facts`, flagging what cannot be believed; returns the orientation.
fn read_exif(bytes: &[u8], now: SystemTime, facts: &mut FileFacts) -> u32 {
    let exif = match guarded(|| {
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .map_err(|e| match e {
                exif::Error::NotFound(_) => String::new(),
                e => e.to_string(),
            })
    }) {
        Ok(exif) => exif,
        Err(message) => {
            if !message.is_empty() {
                facts.warnings.push(FactWarning::ExifUnreadable { message });
            }
            return 1;
        }
    };
    let ascii = |tag| {
        exif.get_field(tag, exif::In::PRIMARY)
            .and_then(|f| match &f.value {
                exif::Value::Ascii(v) => v.first().map(|s| {
                    String::from_utf8_lossy(s)
                        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                        .to_string()
                }),
                _ => None,
            })
            .filter(|s| !s.is_empty())
    };

    let make = ascii(exif::Tag::Make);
    let model = ascii(exif::Tag::Model);
    facts.camera = match (make, model) {
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model)
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    };

    if let Some(raw) = ascii(exif::Tag::DateTimeOriginal) {
        let offset = ascii(exif::Tag::OffsetTimeOriginal);
        match capture_time(&raw, offset.as_deref(), now) {
            Ok(t) => facts.capture_time = t,
            Err(w) => facts.warnings.push(w),
        }
    }

    match gps(&exif) {
        Ok(p) => facts.gps = p,
        Err(w) => facts.warnings.push(w),
    }

    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .unwrap_or(1)
}

/// Parses EXIF `YYYY:MM:DD HH:MM:SS` and an optional `±HH:MM` offset; refuses impossible dates,
/// dates before 1990 and dates after `now`. A blank value (spaces: "unknown") is `Ok(None)`.
fn capture_time(
    raw: &str,
    offset: Option<&str>,
    now: SystemTime,
) -> Result<Option<String>, FactWarning> {
    let shown = match offset {
        Some(o) => format!("{raw} {o}"),
        None => raw.to_string(),
    };
    if raw.chars().all(|c| matches!(c, ' ' | ':' | '-')) {
        return Ok(None);
    }
    let malformed = || FactWarning::CaptureTimeMalformed { raw: shown.clone() };
    let b = raw.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let seps_ok = b.len() >= 19
        && matches!(b[4], b':' | b'-')
        && b[7] == b[4]
        && matches!(b[10], b' ' | b'T')
        && b[13] == b':'
        && b[16] == b':';
    let parts = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = parts else {
        return Err(malformed());
    };
    if !seps_ok
        || !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || s > 60
    {
        return Err(malformed());
    }
    // The offset: ±HH:MM; a malformed one is dropped (the time stays local, zone unknown).
    let offset_secs = offset.and_then(|o| {
        let ob = o.as_bytes();
        let sign = match ob.first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (oh, om) = (
            std::str::from_utf8(ob.get(1..3)?)
                .ok()?
                .parse::<i64>()
                .ok()?,
            std::str::from_utf8(ob.get(4..6)?)
                .ok()?
                .parse::<i64>()
                .ok()?,
        );
        (ob.len() == 6 && ob[3] == b':' && oh <= 14 && om <= 59)
            .then_some((sign * (oh * 3600 + om * 60), o))
    });
    if y < EARLIEST_YEAR {
        return Err(FactWarning::CaptureTimeTooEarly { raw: shown });
    }
    let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Without an offset the zone is unknown: allow the furthest zone ahead of UTC (+14:00).
    let latest_utc = match offset_secs {
        Some((off, _)) => local - off,
        None => local - 14 * 3600,
    };
    if latest_utc > now + 60 {
        return Err(FactWarning::CaptureTimeInFuture { raw: shown });
    }
    let suffix = offset_secs.map(|(_, o)| o).unwrap_or("");
    Ok(Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{suffix}"
    )))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The EXIF position in decimal degrees, or a warning with the raw values.
fn gps(exif: &exif::Exif) -> Result<Option<(f64, f64)>, FactWarning> {
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    let (lat, lon) = (
        field(exif::Tag::GPSLatitude),
        field(exif::Tag::GPSLongitude),
    );
    if lat.is_none() && lon.is_none() {
        return Ok(None);
    }
    let shown = |f: Option<&exif::Field>| {
        f.map(|f| f.display_value().to_string())
            .unwrap_or_else(|| "(missing)".into())
    };
    let raw = format!(
        "latitude {} {}, longitude {} {}",
        shown(lat),
        shown(field(exif::Tag::GPSLatitudeRef)),
        shown(lon),
        shown(field(exif::Tag::GPSLongitudeRef))
    );
    let reference = |tag| match field(tag).map(|f| &f.value) {
        Some(exif::Value::Ascii(v)) => v.first().and_then(|s| s.first().copied()),
        _ => None,
    };
    let degrees = |f: Option<&exif::Field>| -> Option<f64> {
        let exif::Value::Rational(r) = &f?.value else {
            return None;
        };
        if r.is_empty() || r.len() > 3 || r.iter().any(|q| q.denom == 0) {
            return None;
        }
        let part = |i: usize| r.get(i).map_or(0.0, exif::Rational::to_f64);
        let (deg, min, sec) = (part(0), part(1), part(2));
        (min < 60.0 && sec < 60.0).then_some(deg + min / 60.0 + sec / 3600.0)
    };
    let signed = |v: Option<f64>, r: Option<u8>, pos: u8, neg: u8| match (v, r) {
        (Some(v), Some(r)) if r.eq_ignore_ascii_case(&pos) => Some(v),
        (Some(v), Some(r)) if r.eq_ignore_ascii_case(&neg) => Some(-v),
        _ => None,
    };
    let lat = signed(
        degrees(lat),
        reference(exif::Tag::GPSLatitudeRef),
        b'N',
        b'S',
    );
    let lon = signed(
        degrees(lon),
        reference(exif::Tag::GPSLongitudeRef),
        b'E',
        b'W',
    );
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(FactWarning::GpsMalformed { raw });
    };
    if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
        return Err(FactWarning::GpsOutOfRange { raw });
    }
    if lat == 0.0 && lon == 0.0 {
        return Err(FactWarning::GpsPlaceholder { raw });
    }
    Ok(Some((lat, lon)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 2024-06-01T00:00:00Z
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_717_200_000)
    }

    #[test]
    fn media_types_by_signature() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
            (b"GIF89a\x01\0", "image/gif"),
            (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\0\0\0\0AVI LIST", "video/x-msvideo"),
            (b"\0\0\0\x18ftypheic\0\0\0\0", "image/heic"),
            (b"\0\0\0\x18ftypmif1\0\0\0\0", "image/heif"),
            (b"\0\0\0\x18ftypavif", "image/avif"),
            (b"\0\0\0\x20ftypisom\0\0\x02\0", "video/mp4"),
            (b"\0\0\0\x14ftypqt  ", "video/quicktime"),
            (b"\0\0\0\x14ftyp3gp4", "video/3gpp"),
            (b"\0\0\0\x08wide\0\0\0\0mdat", "video/quicktime"),
            (
                b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
                "video/webm",
            ),
            (
                b"\x1A\x45\xDF\xA3\x9f\x42\x82\x88matroska",
                "video/x-matroska",
            ),
            (b"%PDF-1.7\n", "application/pdf"),
            (b"II*\0\x08\0\0\0", "image/tiff"),
            (b"", "application/octet-stream"),
            (b"\xFF\xD8", "application/octet-stream"),
            (b"hello, world", "application/octet-stream"),
            (b"\0\0\0\x18ftyp", "video/mp4"),
        ];
        for (bytes, want) in cases {
            assert_eq!(media_type(bytes), *want, "{bytes:?}");
        }
    }

    #[test]
    fn capture_times() {
        type Want = Result<Option<&'static str>, &'static str>;
        let cases: &[(&str, Option<&str>, Want)] = &[
            ("2023:05:01 12:34:56", None, Ok(Some("2023-05-01T12:34:56"))),
            (
                "2023:05:01 12:34:56",
                Some("+02:00"),
                Ok(Some("2023-05-01T12:34:56+02:00")),
            ),
            (
                "2023:05:01 12:34:56",
                Some("-05:30"),
                Ok(Some("2023-05-01T12:34:56-05:30")),
            ),
            (
                "2023:05:01 12:34:56",
                Some("bogus"),
                Ok(Some("2023-05-01T12:34:56")),
            ),
            ("2024-02-29 23:59:60", None, Ok(Some("2024-02-29T23:59:60"))),
            ("    :  :     :  :  ", None, Ok(None)),
            ("", None, Ok(None)),
            ("2023:02:29 10:00:00", None, Err("malformed")),
            ("2023:13:01 10:00:00", None, Err("malformed")),
            ("2023:05:01 24:00:00", None, Err("malformed")),
            ("0000:00:00 00:00:00", None, Err("malformed")),
            ("2023:05:01", None, Err("malformed")),
            ("2023/05/01 10:00:00", None, Err("malformed")),
            ("yesterday", None, Err("malformed")),
            ("1970:01:01 00:00:00", None, Err("early")),
            ("1989:12:31 23:59:59", None, Err("early")),
            ("2031:01:01 00:00:00", None, Err("future")),
            // 2024-06-01 10:00 local is still in the past somewhere (up to UTC+14) ...
            ("2024:06:01 10:00:00", None, Ok(Some("2024-06-01T10:00:00"))),
            // ... but not at UTC+02:00 (08:00Z, eight hours after now).
            ("2024:06:01 10:00:00", Some("+02:00"), Err("future")),
            ("2024:06:01 15:00:00", None, Err("future")),
        ];
        for (raw, offset, want) in cases {
            let got = capture_time(raw, *offset, now());
            let got = match &got {
                Ok(v) => Ok(v.as_deref()),
                Err(FactWarning::CaptureTimeMalformed { .. }) => Err("malformed"),
                Err(FactWarning::CaptureTimeTooEarly { .. }) => Err("early"),
                Err(FactWarning::CaptureTimeInFuture { .. }) => Err("future"),
                Err(w) => panic!("unexpected {w}"),
            };
            assert_eq!(&got, want, "{raw:?} {offset:?}");
        }
    }

    #[test]
    fn civil_days() {
        for (y, m, d, days) in [(1970, 1, 1, 0), (2000, 3, 1, 11_017), (2024, 6, 1, 19_875)] {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn orientation_turns_thumbnails_upright() {
        // 3×2 image:  a b c / d e f. Each orientation's stored pixels, turned upright.
        let stored = |o| {
            let t = Thumbnail {
                width: 3,
                height: 2,
                luma: b"abcdef".to_vec(),
            };
            let u = upright(t, o);
            (u.width, u.height, String::from_utf8(u.luma).unwrap())
        };
        let cases = [
            (1, (3, 2, "abcdef")),
            (2, (3, 2, "cbafed")),
            (3, (3, 2, "fedcba")),
            (4, (3, 2, "defabc")),
            (5, (2, 3, "adbecf")),
            (6, (2, 3, "daebfc")),
            (7, (2, 3, "fcebda")),
            (8, (2, 3, "cfbead")),
            (9, (3, 2, "abcdef")),
        ];
        for (o, want) in cases {
            let (w, h, s) = stored(o);
            assert_eq!((w, h, s.as_str()), want, "orientation {o}");
        }
    }

    #[test]
    fn extension_mismatch_is_flagged() {
        let png = b"\x89PNG\r\n\x1a\n";
        let facts = head_facts(png, String::new(), 8, Some("holiday.JPG"));
        assert_eq!(
            facts.warnings,
            vec![FactWarning::ExtensionMismatch {
                extension: "jpg".into(),
                media_type: "image/png".into()
            }]
        );
        for name in ["a.png", "noext", "a.txt"] {
            assert!(
                head_facts(png, String::new(), 8, Some(name))
                    .warnings
                    .is_empty()
            );
        }
    }
}
