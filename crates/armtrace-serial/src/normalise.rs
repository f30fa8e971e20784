//! What a serial as read becomes as an index key.
//!
//! Three forms are derived from the raw text (which is always kept):
//!
//! - **fold** (per character): separators and control characters are dropped (whitespace, ASCII
//!   punctuation other than `?` and `*`, the Unicode dashes U+2010–U+2015 and U+2212, and the
//!   middle dots U+00B7 and U+2022); fullwidth forms U+FF01–U+FF5E become their ASCII
//!   characters; Arabic-Indic (U+0660–U+0669) and Persian (U+06F0–U+06F9) digits become ASCII
//!   digits; Cyrillic letters that look Latin become the Latin letter (А В Е К М Н О Р С Т Х
//!   І Ј Ѕ and their lowercase forms); then lowercase letters become uppercase (when Unicode
//!   gives a single uppercase character). Other characters (Ж, Arabic letters, `?`, `*` in a
//!   stored serial) are kept as they are.
//! - **match key** ([`match_key`]): the folded text with each OCR-confusable class mapped to one
//!   representative, its digit: {0 O D Q} → `0`, {1 I L} → `1`, {2 Z} → `2`, {5 S} → `5`,
//!   {6 G} → `6`, {8 B} → `8`. The index is keyed by it, so reading one member of a class for
//!   another is an exact lookup. It does not depend on position: any two texts that differ only by
//!   swaps within classes have the same match key.
//! - **reading** ([`reading`]): the folded text with confusable characters read by position, which
//!   decides whether a match is *exact* or only *confusable* and gives the serial's
//!   [`shape`]. Within each segment (the raw text between separators), take the maximal runs of
//!   confusable characters written the same way:
//!   1. a run of confusable *letters* (O D Q I L Z S G B) whose neighbours on both sides are digits
//!      is read as digits ("12O45" → "12045", "AB1O3" → "AB103");
//!   2. a run of confusable *digits* (0 1 2 5 6 8) whose neighbours on both sides are letters that
//!      are not confusable is read as letters, each the class's letter O I Z S G B ("K0M" → "KOM");
//!   3. everything else is read as written: at the start or end of a segment, or between a letter
//!      and a digit, the shape does not say ("AB1000", "A81000", "O123" stay as they are).
//!
//!   Rule 2 asks for letters that are not confusable because most digits are confusable (six of
//!   ten): "B0C" stays as written.

use std::fmt::Write as _;

/// A character's role in the reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharClass {
    /// An ASCII digit.
    Digit,
    /// An ASCII letter.
    Letter,
    /// Anything else kept in a key (another script's letters, `?` or `*` in a stored serial).
    Other,
}

/// Folds one character: `None` for a separator (dropped), otherwise the character it becomes.
pub fn fold(c: char) -> Option<char> {
    if c.is_ascii() {
        // The common case: every ASCII character is a letter, a digit, a wildcard kept as it
        // is, or a separator (whitespace, punctuation, control).
        return match c {
            'a'..='z' => Some(c.to_ascii_uppercase()),
            'A'..='Z' | '0'..='9' | '?' | '*' => Some(c),
            _ => None,
        };
    }
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x0660..=0x0669 => char::from(b'0' + (c as u32 - 0x0660) as u8),
        0x06F0..=0x06F9 => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => cyrillic_lookalike(c).unwrap_or(c),
    };
    if is_separator(c) {
        return None;
    }
    if c.is_lowercase() {
        let mut up = c.to_uppercase();
        if let (Some(u), None) = (up.next(), up.next()) {
            return Some(u);
        }
    }
    Some(c)
}

/// Whether `c` (already mapped from fullwidth) separates parts of a serial.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || (c.is_ascii_punctuation() && c != '?' && c != '*')
        || matches!(
            c,
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00B7}' | '\u{2022}'
        )
}

/// The Latin letter a Cyrillic look-alike stands for.
fn cyrillic_lookalike(c: char) -> Option<char> {
    Some(match c {
        'А' | 'а' => 'A',
        'В' | 'в' => 'B',
        'Е' | 'е' => 'E',
        'К' | 'к' => 'K',
        'М' | 'м' => 'M',
        'Н' | 'н' => 'H',
        'О' | 'о' => 'O',
        'Р' | 'р' => 'P',
        'С' | 'с' => 'C',
        'Т' | 'т' => 'T',
        'Х' | 'х' => 'X',
        'І' | 'і' => 'I',
        'Ј' | 'ј' => 'J',
        'Ѕ' | 'ѕ' => 'S',
        _ => return None,
    })
}

/// The confusable class of a folded character, as its representative digit.
pub fn confusable_class(c: char) -> Option<char> {
    Some(match c {
        '0' | 'O' | 'D' | 'Q' => '0',
        '1' | 'I' | 'L' => '1',
        '2' | 'Z' => '2',
        '5' | 'S' => '5',
        '6' | 'G' => '6',
        '8' | 'B' => '8',
        _ => return None,
    })
}

/// The letter a confusable class is read as in a letter position.
pub fn class_letter(representative: char) -> char {
    match representative {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '5' => 'S',
        '6' => 'G',
        '8' => 'B',
        other => other,
    }
}

/// The match-key character of a folded character.
pub fn match_char(c: char) -> char {
    confusable_class(c).unwrap_or(c)
}

/// The class of a folded character.
pub fn char_class(c: char) -> CharClass {
    if c.is_ascii_digit() {
        CharClass::Digit
    } else if c.is_ascii_uppercase() {
        CharClass::Letter
    } else {
        CharClass::Other
    }
}

/// The match key of a raw serial: folded, confusable classes mapped to their digit.
pub fn match_key(raw: &str) -> String {
    raw.chars().filter_map(fold).map(match_char).collect()
}

/// Folded characters of `raw`, each `None` where a separator stood (segment boundaries).
fn folded_with_breaks(raw: &str) -> Vec<Option<char>> {
    raw.chars().map(fold).collect()
}

/// The position-aware reading of a raw serial (see the module doc for the rule).
pub fn reading(raw: &str) -> String {
    let chars = folded_with_breaks(raw);
    let mut out = String::with_capacity(raw.len());
    read_segments(&chars, &mut out);
    out
}

/// Reads folded characters (`None` = a boundary) into `out` by the position rule.
pub(crate) fn read_segments(chars: &[Option<char>], out: &mut String) {
    #[derive(Clone, Copy, PartialEq)]
    enum K {
        ConfLetter,
        ConfDigit,
        Letter,
        Digit,
        Other,
        Break,
    }
    let kind = |c: Option<char>| match c {
        None => K::Break,
        Some(c) => match (confusable_class(c), char_class(c)) {
            (Some(_), CharClass::Digit) => K::ConfDigit,
            (Some(_), _) => K::ConfLetter,
            (None, CharClass::Digit) => K::Digit,
            (None, CharClass::Letter) => K::Letter,
            (None, CharClass::Other) => K::Other,
        },
    };
    let kind_at = |i: usize| chars.get(i).map_or(K::Break, |&c| kind(c));
    let mut i = 0;
    while i < chars.len() {
        let k = kind_at(i);
        let Some(c) = chars[i] else {
            i += 1;
            continue;
        };
        if k != K::ConfLetter && k != K::ConfDigit {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && kind_at(j) == k {
            j += 1;
        }
        let left = if i == 0 { K::Break } else { kind_at(i - 1) };
        let right = kind_at(j);
        let digit = |k: K| matches!(k, K::Digit | K::ConfDigit);
        for c in chars[i..j].iter().flatten() {
            let class = confusable_class(*c).unwrap_or(*c);
            let read = if k == K::ConfLetter && digit(left) && digit(right) {
                class
            } else if k == K::ConfDigit && left == K::Letter && right == K::Letter {
                class_letter(class)
            } else {
                *c
            };
            out.push(read);
        }
        i = j;
    }
}

/// The shape of a reading: its runs of digits (`D`), letters (`L`) and other characters (`X`)
/// with their lengths, e.g. "AB1000" → `L2D4`.
pub fn shape(reading: &str) -> String {
    let mut out = String::with_capacity(8);
    let mut run: Option<(CharClass, usize)> = None;
    let flush = |out: &mut String, run: Option<(CharClass, usize)>| {
        if let Some((class, n)) = run {
            out.push(match class {
                CharClass::Digit => 'D',
                CharClass::Letter => 'L',
                CharClass::Other => 'X',
            });
            if n < 10 {
                out.push(char::from(b'0' + n as u8));
            } else {
                let _ = write!(out, "{n}");
            }
        }
    };
    for c in reading.chars() {
        let class = char_class(c);
        match &mut run {
            Some((k, n)) if *k == class => *n += 1,
            _ => {
                flush(&mut out, run);
                run = Some((class, 1));
            }
        }
    }
    flush(&mut out, run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (raw, match key, reading, shape)
    fn check(cases: &[(&str, &str, &str, &str)]) {
        for &(raw, key, read, sh) in cases {
            assert_eq!(match_key(raw), key, "match key of {raw:?}");
            assert_eq!(reading(raw), read, "reading of {raw:?}");
            assert_eq!(shape(&reading(raw)), sh, "shape of {raw:?}");
        }
    }

    #[test]
    fn case_and_separators() {
        check(&[
            ("ab-123", "A8123", "AB123", "L2D3"),
            ("AB 123", "A8123", "AB123", "L2D3"),
            ("ab/12.3_4:7", "A812347", "AB12347", "L2D5"),
            ("  km  1987  ", "KM1987", "KM1987", "L2D4"),
            ("A–1—2−3·4•7", "A12347", "A12347", "L1D5"),
            (
                "a,b;c|e\\f'h\"k#m+n(p)r",
                "A8CEFHKMNPR",
                "ABCEFHKMNPR",
                "L11",
            ),
            ("A\tB\n3", "A83", "AB3", "L2D1"),
            ("x\u{1}y", "XY", "XY", "L2"),
        ]);
    }

    #[test]
    fn every_confusable_pair_meets_in_the_match_key() {
        let classes: [&[char]; 6] = [
            &['0', 'O', 'D', 'Q'],
            &['1', 'I', 'L'],
            &['2', 'Z'],
            &['5', 'S'],
            &['6', 'G'],
            &['8', 'B'],
        ];
        for class in classes {
            for &a in class {
                for &b in class {
                    let (x, y) = (format!("47{a}93"), format!("47{b}93"));
                    assert_eq!(match_key(&x), match_key(&y), "{x} / {y}");
                    // Between digits every member reads as the digit.
                    assert_eq!(reading(&x), reading(&y), "{x} / {y}");
                    let (x, y) = (format!("{a}"), format!("{}", b.to_ascii_lowercase()));
                    assert_eq!(match_key(&x), match_key(&y), "{x} / {y}");
                }
            }
        }
        // Characters from different classes never meet.
        assert_ne!(match_key("O"), match_key("I"));
        assert_ne!(match_key("S"), match_key("Z"));
        assert_ne!(match_key("8"), match_key("6"));
    }

    #[test]
    fn cyrillic_lookalikes_fold_to_latin() {
        let pairs = [
            ('А', 'A'),
            ('В', 'B'),
            ('Е', 'E'),
            ('К', 'K'),
            ('М', 'M'),
            ('Н', 'H'),
            ('О', 'O'),
            ('Р', 'P'),
            ('С', 'C'),
            ('Т', 'T'),
            ('Х', 'X'),
            ('І', 'I'),
            ('Ј', 'J'),
            ('Ѕ', 'S'),
        ];
        for (cyr, lat) in pairs {
            assert_eq!(fold(cyr), Some(lat), "{cyr}");
            let lower = cyr.to_lowercase().next().unwrap_or(cyr);
            assert_eq!(fold(lower), Some(lat), "{lower}");
        }
        check(&[
            ("КМ-1987", "KM1987", "KM1987", "L2D4"),
            ("ВС 4473", "8C4473", "BC4473", "L2D4"),
            // Not a look-alike: kept (uppercased), another script's letter.
            ("жд123", "ЖД123", "ЖД123", "X2D3"),
        ]);
    }

    #[test]
    fn digits_of_other_scripts_become_ascii() {
        for d in 0..10u32 {
            let ascii = char::from(b'0' + d as u8);
            for base in [0x0660, 0x06F0, 0xFF10] {
                let c = char::from_u32(base + d).unwrap_or('?');
                assert_eq!(fold(c), Some(ascii), "U+{:04X}", base + d);
            }
        }
        check(&[
            ("٣٤٧-٩٩", "34799", "34799", "D5"),
            ("۱۲۳۴", "1234", "1234", "D4"),
            ("ＡＢ－１２３", "A8123", "AB123", "L2D3"),
        ]);
    }

    #[test]
    fn position_rule() {
        check(&[
            // Rule 1: confusable letters between digits are digits.
            ("12O45", "12045", "12045", "D5"),
            ("12OO45", "120045", "120045", "D6"),
            ("3S7", "357", "357", "D3"),
            ("AB1O3", "A8103", "AB103", "L2D3"),
            ("1O2O3", "10203", "10203", "D5"),
            ("4D4", "404", "404", "D3"),
            ("4Q4", "404", "404", "D3"),
            ("7L7", "717", "717", "D3"),
            ("9I9", "919", "919", "D3"),
            ("3Z3", "323", "323", "D3"),
            ("3G3", "363", "363", "D3"),
            ("3B3", "383", "383", "D3"),
            // Rule 2: confusable digits between letters that are not confusable are letters.
            ("K0M", "K0M", "KOM", "L3"),
            ("A1C", "A1C", "AIC", "L3"),
            ("K25M", "K25M", "KZSM", "L4"),
            ("A6A8A", "A6A8A", "AGABA", "L5"),
            // Rule 3: at an edge, between a letter and a digit, or by a confusable neighbour.
            ("AB1000", "A81000", "AB1000", "L2D4"),
            ("A81000", "A81000", "A81000", "L1D5"),
            ("O123", "0123", "O123", "L1D3"),
            ("123O", "1230", "123O", "D3L1"),
            ("B0C", "80C", "B0C", "L1D1L1"),
            ("SOS", "505", "SOS", "L3"),
            // Segments: a separator is an edge.
            ("12-O45", "12045", "12O45", "D2L1D2"),
            ("K-0-M", "K0M", "K0M", "L1D1L1"),
        ]);
    }
}
