//! The raw text of a serial stored as a template over its match key, so that the millions of
//! serials written the same way ("AB-123456", "AB-123457", …) share one template.
//!
//! A template is the raw text with each character that the key already gives replaced by a
//! placeholder: `\u{1}` the key character itself, `\u{2}` its lowercase, `\u{3}` its class's
//! letter (O I Z S G B for a confusable class), `\u{4}` that letter in lowercase. Other
//! characters are written as they are: a separator takes no key character, any other character
//! takes one. Raw text that holds a placeholder character itself is kept whole after `\u{5}`.

use crate::normalise::{class_letter, fold};

const SAME: char = '\u{1}';
const LOWER: char = '\u{2}';
const LETTER: char = '\u{3}';
const LOWER_LETTER: char = '\u{4}';
const VERBATIM: char = '\u{5}';

fn lower(c: char) -> Option<char> {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => Some(x),
        _ => None,
    }
}

/// The template of `raw` over its match key `key`.
pub(crate) fn encode(raw: &str, key: &str) -> String {
    if raw.contains(|c: char| ('\u{1}'..='\u{5}').contains(&c)) {
        let mut t = String::with_capacity(raw.len() + 1);
        t.push(VERBATIM);
        t.push_str(raw);
        return t;
    }
    let mut key = key.chars();
    let mut t = String::with_capacity(raw.len());
    for c in raw.chars() {
        if fold(c).is_none() {
            t.push(c);
            continue;
        }
        let Some(k) = key.next() else {
            t.push(c);
            continue;
        };
        let letter = class_letter(k);
        t.push(if c == k {
            SAME
        } else if Some(c) == lower(k) {
            LOWER
        } else if letter != k && c == letter {
            LETTER
        } else if letter != k && Some(c) == lower(letter) {
            LOWER_LETTER
        } else {
            c
        });
    }
    t
}

/// The raw text a template and key stand for.
pub(crate) fn decode(template: &str, key: &str) -> String {
    if let Some(raw) = template.strip_prefix(VERBATIM) {
        return raw.to_string();
    }
    let mut key = key.chars();
    let mut raw = String::with_capacity(template.len());
    for c in template.chars() {
        let placeholder = matches!(c, SAME | LOWER | LETTER | LOWER_LETTER);
        if !placeholder {
            if fold(c).is_some() {
                key.next();
            }
            raw.push(c);
            continue;
        }
        let k = key.next().unwrap_or('?');
        let out = match c {
            SAME => Some(k),
            LOWER => lower(k),
            LETTER => Some(class_letter(k)),
            _ => lower(class_letter(k)),
        };
        raw.push(out.unwrap_or(k));
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::match_key;

    #[test]
    fn round_trips_and_shares() {
        let cases = [
            ("AB-123456", "\u{1}\u{3}-\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}"),
            ("AB-123457", "\u{1}\u{3}-\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}"),
            ("ab 12o45", "\u{2}\u{4} \u{1}\u{1}\u{4}\u{1}\u{1}"),
            ("КМ-1987", "КМ-\u{1}\u{1}\u{1}\u{1}"),
            ("۱۲۳", "۱۲۳"),
            ("D-Q", "D-Q"),
            ("x\u{1}y", "\u{5}x\u{1}y"),
            ("", ""),
            ("--", "--"),
            ("ß9", "\u{1}\u{1}"),
        ];
        for (raw, want) in cases {
            let key = match_key(raw);
            let t = encode(raw, &key);
            assert_eq!(t, want, "{raw}");
            assert_eq!(decode(&t, &key), raw, "{raw}");
        }
    }
}
