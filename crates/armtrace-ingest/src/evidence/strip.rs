//! Copies of images for public export with their metadata removed (EXIF with its GPS position,
//! XMP, IPTC, comments, embedded thumbnails and trailing extra images), without re-encoding the
//! pixels. Only what a viewer needs is kept; a type this cannot clean is refused, never passed
//! through.

use super::jpeg::{self, JpegPart};
use std::io::Cursor;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    #[error(
        "{media_type} files cannot be cleaned of metadata here: export a JPEG or PNG copy \
         instead, or keep the file out of public exports"
    )]
    Unsupported { media_type: String },
    #[error(
        "the {media_type} file is damaged ({message}), so its metadata cannot be removed \
         safely: keep it out of public exports"
    )]
    Damaged { media_type: String, message: String },
}

/// The image without metadata. JPEG keeps the markers needed to decode and show it (tables,
/// frame, scans, JFIF without its thumbnail, the ICC colour profile, Adobe's colour transform)
/// and an EXIF block holding only the orientation when it is not upright; PNG keeps the critical
/// chunks and the colour and transparency ones. Everything after the image's end is dropped.
pub fn strip_metadata(bytes: &[u8], media_type: &str) -> Result<Vec<u8>, StripError> {
    let damaged = |message: String| StripError::Damaged {
        media_type: media_type.to_string(),
        message,
    };
    match media_type {
        "image/jpeg" => strip_jpeg(bytes).map_err(damaged),
        "image/png" => strip_png(bytes).map_err(damaged),
        _ => Err(StripError::Unsupported {
            media_type: media_type.to_string(),
        }),
    }
}

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let parts = jpeg::parts(bytes)?;
    let orientation = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .filter(|o| (2..=8).contains(o));
    let mut out = Vec::with_capacity(bytes.len());
    let mut orientation_block = orientation.map(orientation_exif);
    for part in parts {
        match part {
            JpegPart::Entropy(data) => out.extend_from_slice(data),
            JpegPart::Marker { marker, bytes } => {
                let payload = bytes.get(4..).unwrap_or_default();
                match marker {
                    0xE0 if payload.starts_with(b"JFIF\0") && payload.len() >= 14 => {
                        // JFIF header without its thumbnail.
                        out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
                        out.extend_from_slice(&payload[..12]);
                        out.extend_from_slice(&[0, 0]);
                    }
                    0xE2 if payload.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(bytes),
                    0xEE if payload.starts_with(b"Adobe") => out.extend_from_slice(bytes),
                    0xE0..=0xEF | 0xFE => {}
                    _ => {
                        // The orientation goes before the first non-APP0 segment after SOI.
                        if marker != 0xD8
                            && let Some(block) = orientation_block.take()
                        {
                            out.extend_from_slice(&block);
                        }
                        out.extend_from_slice(bytes);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// An APP1 EXIF segment holding only the orientation.
fn orientation_exif(orientation: u32) -> Vec<u8> {
    let field = exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![orientation as u16]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut tiff = Cursor::new(Vec::new());
    if writer.write(&mut tiff, false).is_err() {
        return Vec::new();
    }
    let tiff = tiff.into_inner();
    let len = (2 + 6 + tiff.len()) as u16;
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// Ancillary PNG chunks kept: colour, transparency, pixel size, animation. All others
/// (eXIf, tEXt, zTXt, iTXt, tIME, and any private chunk) are dropped.
const PNG_KEEP: &[&[u8; 4]] = &[
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCV",
    b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return Err("no PNG signature".into());
    }
    let mut out = SIGNATURE.to_vec();
    let mut pos = SIGNATURE.len();
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return Err("truncated: the IEND chunk is missing".into());
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = [header[4], header[5], header[6], header[7]];
        let end = pos + 12 + len;
        let Some(chunk) = bytes.get(pos..end) else {
            return Err("truncated: the IEND chunk is missing".into());
        };
        let critical = kind[0].is_ascii_uppercase();
        if critical || PNG_KEEP.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
        if &kind == b"IEND" {
            return Ok(out);
        }
        pos = end;
    }
}
