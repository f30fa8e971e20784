//! Input text: decoding (SIPRI's older export is Windows-1252, the newer one UTF-8) and the
//! whitespace rule that record identity follows.

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

/// `s` without leading or trailing whitespace and with every run of whitespace inside (spaces,
/// tabs, a CR left by a line end) written as one space: the form a field takes in a record key,
/// so that a copy of a file that differs only in insignificant whitespace or line ends gives the
/// same keys. Already normal text (nearly every field) is returned as it is.
pub(crate) fn normalise_space(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    let mut previous_space = false;
    let normal = t.chars().all(|c| {
        let ok = !c.is_whitespace() || (c == ' ' && !previous_space);
        previous_space = c.is_whitespace();
        ok
    });
    if normal {
        return Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    for word in t.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_normalised() {
        for (input, expected) in [
            ("New", "New"),
            ("New ", "New"),
            (" Second hand ", "Second hand"),
            ("a\r", "a"),
            ("engines\r other", "engines other"),
            ("two  spaces\tand tab", "two spaces and tab"),
            ("", ""),
            (" ", ""),
            ("\u{a0}x\u{a0}", "x"),
        ] {
            assert_eq!(normalise_space(input), expected, "{input:?}");
        }
    }

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
