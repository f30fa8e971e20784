//! Search patterns: a serial as read (with wildcards and a legibility mask), a fragment, or a
//! range; parsed from text without panicking on any input.
//!
//! Syntax of [`Pattern::parse`]:
//! - `lo..hi` is a range (`AB1000..AB1999`); so is `lo-hi` with exactly one `-` when both ends
//!   have the same non-empty prefix and numeric tails of the same length (`AB1000-AB1999`;
//!   "AK-47" and "12-345" stay serials). Each end is a prefix and a tail of digits; the prefixes
//!   must have the same match key.
//! - `*FRAGMENT*` with no other wildcard is a fragment: at least 4 characters, anywhere in a key.
//! - anything else is a serial as read: `?` is one unreadable character, `*` a run of zero or
//!   more unreadable characters; separators are dropped as in the index.
//!
//! With a legibility mask (one character per text character: `.` clear, `~` uncertain, `?`
//! unreadable) the text is always a serial: a `?` in the mask or the text is one unreadable
//! character; a `~` is *uncertain*: it matches any character, and a match where every uncertain
//! character agrees with what was read (by confusable class) counts as exact or confusable
//! instead of as a wildcard match.

use crate::error::PatternError;
use crate::normalise::{CharClass, char_class, fold, match_char, read_segments};

/// Characters (tokens) a serial pattern may have.
pub const MAX_PATTERN_CHARS: usize = 64;
/// The shortest fragment.
pub const MIN_FRAGMENT: usize = 4;

/// One position of a serial pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// A character read clearly (its match-key character).
    Char(char),
    /// One unreadable character (`?`).
    One,
    /// One uncertain character (`~` in the mask), with its match-key character as read.
    Uncertain(char),
    /// A run of zero or more unreadable characters (`*`).
    Run,
}

/// A serial as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialPattern {
    pub(crate) tokens: Vec<Token>,
    /// The match key with uncertain characters as read, when there is no `?` or `*`.
    pub(crate) as_read: Option<String>,
    /// The position-aware reading of the same, for telling exact from confusable.
    pub(crate) reading: Option<String>,
    /// Classes of the characters read clearly, in order (for the chance-match figure).
    pub(crate) known: Vec<CharClass>,
}

impl SerialPattern {
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }
    /// Whether the pattern has no wildcard or uncertain character.
    pub fn is_plain(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Char(_)))
    }
    /// The match key, when the pattern is plain.
    pub(crate) fn plain_key(&self) -> Option<&str> {
        if self.is_plain() {
            self.as_read.as_deref()
        } else {
            None
        }
    }
}

/// A substring of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub(crate) key: String,
    pub(crate) known: Vec<CharClass>,
}

/// Keys made of a prefix and a numeric tail within bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// The prefix's match key.
    pub(crate) prefix: String,
    pub(crate) prefix_known: Vec<CharClass>,
    /// The bounds' tails, ASCII digits as given.
    pub(crate) lo: String,
    pub(crate) hi: String,
}

impl Range {
    /// Tail lengths that may match: from the shorter bound's to the longer's.
    pub(crate) fn lengths(&self) -> std::ops::RangeInclusive<usize> {
        self.lo.len()..=self.hi.len()
    }
}

/// What to search for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    Serial(SerialPattern),
    Fragment(Fragment),
    Range(Range),
}

impl Pattern {
    /// Parses a pattern (see the module doc), with an optional legibility mask.
    pub fn parse(text: &str, mask: Option<&str>) -> Result<Pattern, PatternError> {
        if text.trim().is_empty() {
            return Err(PatternError::Empty);
        }
        if let Some(mask) = mask {
            // Not trimmed: the mask gives one character for each of the text's.
            return serial(text, Some(mask)).map(Pattern::Serial);
        }
        let text = text.trim();
        if let Some((lo, hi)) = text.split_once("..") {
            return Pattern::range(lo, hi);
        }
        if let Some((lo, hi)) = dash_range(text) {
            return Pattern::range(lo, hi);
        }
        if let Some(inner) = text.strip_prefix('*').and_then(|t| t.strip_suffix('*'))
            && !inner.contains(['*', '?'])
            && inner.chars().any(|c| fold(c).is_some())
        {
            return Pattern::fragment(inner);
        }
        serial(text, None).map(Pattern::Serial)
    }

    /// A fragment: the text's characters, anywhere in a key.
    pub fn fragment(text: &str) -> Result<Pattern, PatternError> {
        let chars: Vec<Option<char>> = text.chars().map(fold).collect();
        let len = chars.iter().flatten().count();
        if len == 0 {
            return Err(PatternError::Empty);
        }
        if len < MIN_FRAGMENT {
            return Err(PatternError::FragmentTooShort {
                len,
                min: MIN_FRAGMENT,
            });
        }
        if len > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong {
                len,
                max: MAX_PATTERN_CHARS,
            });
        }
        Ok(Pattern::Fragment(Fragment {
            key: chars.iter().flatten().map(|&c| match_char(c)).collect(),
            known: classes_of(&chars),
        }))
    }

    /// A range from `lo` to `hi`, each a prefix and a tail of digits.
    pub fn range(lo: &str, hi: &str) -> Result<Pattern, PatternError> {
        let malformed = |reason| PatternError::MalformedRange { reason };
        let (lp, lo) = split_bound(lo).ok_or(malformed("each end must end in digits"))?;
        let (hp, hi) = split_bound(hi).ok_or(malformed("each end must end in digits"))?;
        let key =
            |p: &[Option<char>]| -> String { p.iter().flatten().map(|&c| match_char(c)).collect() };
        if key(&lp) != key(&hp) {
            return Err(malformed("both ends must have the same prefix"));
        }
        if lo.len() > hi.len() || numeric_cmp(&lo, &hi).is_gt() {
            return Err(malformed("the first end is above the last"));
        }
        let prefix = key(&lp);
        if prefix.chars().count() + hi.len() > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong {
                len: prefix.chars().count() + hi.len(),
                max: MAX_PATTERN_CHARS,
            });
        }
        Ok(Pattern::Range(Range {
            prefix,
            prefix_known: classes_of(&lp),
            lo,
            hi,
        }))
    }
}

/// Compares two strings of ASCII digits as numbers.
pub(crate) fn numeric_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `lo-hi` read as a range: exactly one `-`, both sides with the same non-empty prefix and tails
/// of the same length.
fn dash_range(text: &str) -> Option<(&str, &str)> {
    let (lo, hi) = text.split_once('-')?;
    if hi.contains('-') || text.contains(['*', '?']) {
        return None;
    }
    let (lp, lt) = split_bound(lo)?;
    let (hp, ht) = split_bound(hi)?;
    let key =
        |p: &[Option<char>]| -> String { p.iter().flatten().map(|&c| match_char(c)).collect() };
    let same = !key(&lp).is_empty() && key(&lp) == key(&hp) && lt.len() == ht.len();
    (same && numeric_cmp(&lt, &ht).is_le()).then_some((lo, hi))
}

/// A range end: its folded prefix (with separator breaks) and its tail of digits.
fn split_bound(s: &str) -> Option<(Vec<Option<char>>, String)> {
    let mut chars: Vec<Option<char>> = s.chars().map(fold).collect();
    if s.contains(['*', '?']) {
        return None;
    }
    let mut tail = Vec::new();
    while let Some(&last) = chars.last() {
        match last {
            None if tail.is_empty() => {
                chars.pop();
            }
            Some(c) if c.is_ascii_digit() => {
                tail.push(c);
                chars.pop();
            }
            _ => break,
        }
    }
    if tail.is_empty() {
        return None;
    }
    tail.reverse();
    Some((chars, tail.into_iter().collect()))
}

/// Classes (by the position-aware reading) of folded characters.
fn classes_of(chars: &[Option<char>]) -> Vec<CharClass> {
    let mut r = String::new();
    read_segments(chars, &mut r);
    r.chars().map(char_class).collect()
}

/// A serial as read, with an optional mask.
fn serial(text: &str, mask: Option<&str>) -> Result<SerialPattern, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    let mask: Vec<char> = match mask {
        Some(m) => {
            let m: Vec<char> = m.chars().collect();
            if m.len() != chars.len() {
                return Err(PatternError::MaskLength {
                    text: chars.len(),
                    mask: m.len(),
                });
            }
            if let Some(&found) = m.iter().find(|c| !matches!(c, '.' | '~' | '?')) {
                return Err(PatternError::BadMask { found });
            }
            m
        }
        None => vec!['.'; chars.len()],
    };
    let mut tokens = Vec::new();
    // The characters as read, with None for separators and wildcards (segment breaks), and
    // whether each was read clearly.
    let mut read: Vec<Option<char>> = Vec::new();
    let mut clear: Vec<bool> = Vec::new();
    for (&c, &m) in chars.iter().zip(&mask) {
        if c == '*' {
            if tokens.last() != Some(&Token::Run) {
                tokens.push(Token::Run);
            }
            read.push(None);
        } else if c == '?' || m == '?' {
            tokens.push(Token::One);
            read.push(None);
        } else if let Some(f) = fold(c) {
            tokens.push(if m == '~' {
                Token::Uncertain(match_char(f))
            } else {
                Token::Char(match_char(f))
            });
            read.push(Some(f));
            clear.push(m != '~');
        } else {
            read.push(None);
        }
        if tokens.len() > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong {
                len: chars.len(),
                max: MAX_PATTERN_CHARS,
            });
        }
    }
    if tokens.is_empty() {
        return Err(PatternError::Empty);
    }
    if !tokens.iter().any(|t| matches!(t, Token::Char(_))) {
        return Err(PatternError::AllWildcards);
    }
    let mut reading = String::new();
    read_segments(&read, &mut reading);
    let known = reading
        .chars()
        .zip(&clear)
        .filter(|(_, clear)| **clear)
        .map(|(c, _)| char_class(c))
        .collect();
    let fixed = !tokens.iter().any(|t| matches!(t, Token::One | Token::Run));
    let as_read = fixed.then(|| {
        tokens
            .iter()
            .filter_map(|t| match t {
                Token::Char(c) | Token::Uncertain(c) => Some(*c),
                _ => None,
            })
            .collect()
    });
    Ok(SerialPattern {
        tokens,
        as_read,
        reading: fixed.then_some(reading),
        known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(p: &Result<Pattern, PatternError>) -> String {
        match p {
            Err(e) => format!("error: {e}"),
            Ok(Pattern::Serial(s)) => {
                let t: String = s
                    .tokens
                    .iter()
                    .map(|t| match t {
                        Token::Char(c) => c.to_string(),
                        Token::One => "?".into(),
                        Token::Uncertain(c) => format!("~{c}"),
                        Token::Run => "*".into(),
                    })
                    .collect();
                format!("serial {t} reading {:?}", s.reading)
            }
            Ok(Pattern::Fragment(f)) => format!("fragment {}", f.key),
            Ok(Pattern::Range(r)) => format!("range {}[{}..{}]", r.prefix, r.lo, r.hi),
        }
    }

    #[test]
    fn parses() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("AB-1234", None, "serial A81234 reading Some(\"AB1234\")"),
            ("ab1?34", None, "serial A81?34 reading None"),
            ("AB*34", None, "serial A8*34 reading None"),
            ("AB**34", None, "serial A8*34 reading None"),
            ("*1234*", None, "fragment 1234"),
            ("*12-34*", None, "fragment 1234"),
            (
                "*123*",
                None,
                "error: a fragment needs at least 4 characters, this one has 3: give more of the serial, or search it as a serial with wildcards (? for each missing character)",
            ),
            ("*1234", None, "serial *1234 reading None"),
            ("*12?4*", None, "serial *12?4* reading None"),
            ("AB1000..AB1999", None, "range A8[1000..1999]"),
            ("AB-1000 .. AB-1999", None, "range A8[1000..1999]"),
            ("AB1000-AB1999", None, "range A8[1000..1999]"),
            ("AB5..AB120", None, "range A8[5..120]"),
            ("1000..1999", None, "range [1000..1999]"),
            (
                "AB1999..AB1000",
                None,
                "error: this range cannot be searched: the first end is above the last (write it as AB1000..AB1999)",
            ),
            (
                "AB1000..AC1999",
                None,
                "error: this range cannot be searched: both ends must have the same prefix (write it as AB1000..AB1999)",
            ),
            (
                "AB..AB1",
                None,
                "error: this range cannot be searched: each end must end in digits (write it as AB1000..AB1999)",
            ),
            (
                "AB100..AB10",
                None,
                "error: this range cannot be searched: the first end is above the last (write it as AB1000..AB1999)",
            ),
            // Dash forms that are serials.
            ("AK-47", None, "serial AK47 reading Some(\"AK47\")"),
            ("12-345", None, "serial 12345 reading Some(\"12345\")"),
            (
                "AB10-AB999",
                None,
                "serial A810A8999 reading Some(\"AB10AB999\")",
            ),
            (
                "",
                None,
                "error: the pattern is empty: give the serial as read, with ? for each unreadable character",
            ),
            (
                "  -/ ",
                None,
                "error: the pattern is empty: give the serial as read, with ? for each unreadable character",
            ),
            (
                "??*",
                None,
                "error: the pattern has no character read clearly: give at least one character as read (? and * stand for unreadable ones, ~ in the mask for uncertain ones)",
            ),
            // Masks.
            (
                "AB1234",
                Some("..~..."),
                "serial A8~1234 reading Some(\"AB1234\")",
            ),
            ("AB1?34", Some("...?.."), "serial A81?34 reading None"),
            ("AB1234", Some("...?.."), "serial A81?34 reading None"),
            (
                "AB-1234",
                Some("...~..."),
                "serial A8~1234 reading Some(\"AB1234\")",
            ),
            // A mask character over a separator is ignored.
            (
                "AB-1234",
                Some("..~...."),
                "serial A81234 reading Some(\"AB1234\")",
            ),
            (
                "AB1234",
                Some("....."),
                "error: the legibility mask has 5 characters but the text has 6: give one mask character for each character of the text",
            ),
            (
                "AB1234",
                Some("..x..."),
                "error: the legibility mask has 'x': its characters are . (clear), ~ (uncertain) and ? (unreadable)",
            ),
            (
                "AB",
                Some("~~"),
                "error: the pattern has no character read clearly: give at least one character as read (? and * stand for unreadable ones, ~ in the mask for uncertain ones)",
            ),
        ];
        for &(text, mask, want) in cases {
            assert_eq!(
                shown(&Pattern::parse(text, mask)),
                want,
                "{text:?} {mask:?}"
            );
        }
        let long = "1".repeat(65);
        assert!(matches!(
            Pattern::parse(&long, None),
            Err(PatternError::TooLong { .. })
        ));
    }
}
