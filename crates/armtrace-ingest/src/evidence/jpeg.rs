//! The structure of a JPEG file: its marker segments and entropy-coded data, from the start of
//! image to the primary image's end. Used to find damage (no end-of-image marker) and to remove
//! metadata segments without touching the compressed pixels.

/// One piece of a JPEG, as bytes of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JpegPart<'a> {
    /// A marker with its segment: `FF xx` and, for markers that have one, the length and payload.
    Marker { marker: u8, bytes: &'a [u8] },
    /// Entropy-coded data after a start-of-scan segment (with its stuffed bytes and restarts).
    Entropy(&'a [u8]),
}

/// Splits a JPEG into its parts, from SOI to the primary image's EOI (anything after it, such as
/// the extra images of a multi-picture file, is not included). An error says where the structure
/// breaks: a truncated file has no end-of-image marker.
pub(crate) fn parts(bytes: &[u8]) -> Result<Vec<JpegPart<'_>>, String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("no start-of-image marker".into());
    }
    let truncated = || "truncated: the end-of-image marker is missing".to_string();
    let mut out = vec![JpegPart::Marker {
        marker: 0xD8,
        bytes: &bytes[..2],
    }];
    let mut pos = 2;
    loop {
        match bytes.get(pos) {
            None => return Err(truncated()),
            Some(0xFF) => {}
            Some(_) => return Err(format!("damaged: no marker at byte {pos}")),
        }
        let start = pos;
        // Fill bytes: any number of 0xFF may precede a marker.
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(truncated());
        };
        pos += 1;
        match marker {
            0xD9 => {
                out.push(JpegPart::Marker {
                    marker,
                    bytes: &bytes[start..pos],
                });
                return Ok(out);
            }
            0x00 | 0xD8 => return Err(format!("damaged: unexpected marker at byte {start}")),
            0x01 | 0xD0..=0xD7 => out.push(JpegPart::Marker {
                marker,
                bytes: &bytes[start..pos],
            }),
            _ => {
                let Some(len) = bytes.get(pos..pos + 2) else {
                    return Err(truncated());
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 {
                    return Err(format!("damaged: segment at byte {start} has length {len}"));
                }
                let end = pos + len;
                if end > bytes.len() {
                    return Err(truncated());
                }
                out.push(JpegPart::Marker {
                    marker,
                    bytes: &bytes[start..end],
                });
                pos = end;
                if marker == 0xDA {
                    let data_end = entropy_end(bytes, pos).ok_or_else(truncated)?;
                    out.push(JpegPart::Entropy(&bytes[pos..data_end]));
                    pos = data_end;
                }
            }
        }
    }
}

/// Where entropy-coded data starting at `from` ends: at the first marker that is neither a
/// stuffed zero (`FF 00`) nor a restart (`FF D0`–`FF D7`). `None` when the data runs out.
fn entropy_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += bytes.get(i..)?.iter().position(|&b| b == 0xFF)?;
        let mut j = i + 1;
        while bytes.get(j) == Some(&0xFF) {
            j += 1;
        }
        match bytes.get(j)? {
            0x00 | 0xD0..=0xD7 => i = j + 1,
            _ => return Some(i),
        }
    }
}
