//! Decoding input text: SIPRI's older export is Windows-1252, the newer one UTF-8.

use std::borrow::Cow;

/// Decodes bytes as UTF-8 when they are valid UTF-8 (a byte-order mark is dropped), else as
/// Windows-1252, which is what SIPRI's trade-register export uses ("Wärtsilä", "Saab-105Ö").
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text, "Windows-1252")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_encodings() {
        for (bytes, text, encoding) in [
            (&b"W\xe4rtsil\xe4"[..], "Wärtsilä", "Windows-1252"),
            (&b"Saab-105\xd6"[..], "Saab-105Ö", "Windows-1252"),
            ("Wärtsilä".as_bytes(), "Wärtsilä", "UTF-8"),
            (&b"\xEF\xBB\xBFIraq"[..], "Iraq", "UTF-8"),
            (&b"Iraq"[..], "Iraq", "UTF-8"),
            (
                &b"\x93quoted\x94"[..],
                "\u{201c}quoted\u{201d}",
                "Windows-1252",
            ),
        ] {
            let (t, e) = decode(bytes);
            assert_eq!((t.as_ref(), e), (text, encoding));
        }
    }
}
