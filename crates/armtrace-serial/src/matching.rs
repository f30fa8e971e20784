//! The matching rules, written once as plain functions: what a match is, how it is classed and
//! ranked. The index finds candidates its own way and confirms or classes them here; the linear
//! scan applies these functions to every entry.

use crate::entry::{Context, MarkingRole, RecordRef};
use crate::normalise::reading;
use crate::pattern::{Range, SerialPattern, Token, numeric_cmp};

/// How a match was found, strongest evidence first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// Same reading: the same characters once case, separators, scripts and the position rule
    /// are applied.
    Exact,
    /// Same match key: differs from the pattern only by OCR-confusable characters.
    Confusable,
    /// The prefix and a numeric tail within the range.
    Range,
    /// Matches with `?`, `*` or uncertain characters standing for what could not be read.
    Wildcard,
    /// Within this many edits (insertions, deletions, substitutions; transpositions when asked)
    /// of the match key.
    Edits(u8),
    /// Contains the fragment.
    Fragment,
}

impl MatchKind {
    /// Order of evidence: lower is stronger.
    pub fn rank(self) -> u8 {
        match self {
            MatchKind::Exact => 0,
            MatchKind::Confusable => 1,
            MatchKind::Range => 2,
            MatchKind::Wildcard => 3,
            MatchKind::Edits(n) => 4 + n,
            MatchKind::Fragment => 10,
        }
    }
}

/// One indexed serial that matches, with what matched and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub kind: MatchKind,
    /// The text as stored.
    pub raw: String,
    /// Its match key (the index key).
    pub key: String,
    /// Its position-aware reading.
    pub reading: String,
    /// The shape of its reading (`L2D6`).
    pub shape: String,
    pub context: Context,
    pub record: RecordRef,
    /// `Unspecified` when the marking had no role: the match is only a possible serial.
    pub role: MarkingRole,
    pub group: u32,
    /// Serials of the same context and shape that the reader may see (the population).
    pub population: u64,
    /// How many serials of that population a pattern like this one would match by chance (see
    /// [`crate::chance`]).
    pub expected_chance_matches: f64,
}

/// What a search found: the strongest matches (all of them, or as many as the limit asked) and
/// how many there were in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub matches: Vec<Match>,
    pub total: usize,
}

/// The ranking of a match: stronger kind first, then fewer expected chance matches; ties in a
/// fixed order (key, raw text, context, record, group, role).
#[derive(Debug)]
pub(crate) struct Order<'a> {
    pub kind: MatchKind,
    pub expected: f64,
    pub key: &'a str,
    pub raw: &'a str,
    pub context: Context,
    pub record: RecordRef,
    pub group: u32,
    pub role: MarkingRole,
}

impl Order<'_> {
    pub fn cmp(&self, b: &Order<'_>) -> std::cmp::Ordering {
        let a = self;
        a.kind
            .rank()
            .cmp(&b.kind.rank())
            .then(a.expected.total_cmp(&b.expected))
            .then_with(|| a.key.cmp(b.key))
            .then_with(|| a.raw.cmp(b.raw))
            .then_with(|| a.context.cmp(&b.context))
            .then_with(|| a.record.cmp(&b.record))
            .then_with(|| a.group.cmp(&b.group))
            .then_with(|| a.role.cmp(&b.role))
    }

    pub fn of(m: &Match) -> Order<'_> {
        Order {
            kind: m.kind,
            expected: m.expected_chance_matches,
            key: &m.key,
            raw: &m.raw,
            context: m.context,
            record: m.record,
            group: m.group,
            role: m.role,
        }
    }
}

/// Ranks matches: stronger kind first, then fewer expected chance matches; ties by key, raw
/// text, context, record, group and role.
pub fn rank(matches: &mut [Match]) {
    matches.sort_by(|a, b| Order::of(a).cmp(&Order::of(b)));
}

/// The kind of a match of serial pattern `p` on a key it matches, for an entry with `raw`
/// (`distance`: the edit distance when the pattern is plain).
pub(crate) fn serial_kind(p: &SerialPattern, key: &str, raw: &str, distance: u8) -> MatchKind {
    if p.as_read.as_deref() == Some(key) {
        if p.reading.as_deref() == Some(reading(raw).as_str()) {
            MatchKind::Exact
        } else {
            MatchKind::Confusable
        }
    } else if p.is_plain() {
        MatchKind::Edits(distance)
    } else {
        MatchKind::Wildcard
    }
}

/// Whether `key` matches the tokens (`?` and uncertain: one character; `*`: zero or more),
/// by dynamic programming over (token, character).
pub fn wildcard_matches(tokens: &[Token], key: &str) -> bool {
    let key: Vec<char> = key.chars().collect();
    // row[j]: tokens[..i] match key[..j].
    let mut row = vec![false; key.len() + 1];
    row[0] = true;
    for t in tokens {
        let mut next = vec![false; key.len() + 1];
        for j in 0..=key.len() {
            next[j] = match t {
                Token::Run => row[j] || (j > 0 && next[j - 1]),
                Token::One | Token::Uncertain(_) => j > 0 && row[j - 1],
                Token::Char(c) => j > 0 && row[j - 1] && key[j - 1] == *c,
            };
        }
        row = next;
    }
    row[key.len()]
}

/// Levenshtein distance between two keys, in characters; with `transpositions`, a swap of two
/// adjacent characters costs one (optimal string alignment: no character is edited twice).
pub fn edit_distance(a: &str, b: &str, transpositions: bool) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, v) in d.iter_mut().take(w).enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// Whether `key` is the range's prefix followed by a numeric tail within it: the tail has
/// between as many digits as the lower bound and as many as the upper, and its value (leading
/// zeros allowed) lies between them.
pub fn range_matches(r: &Range, key: &str) -> bool {
    let Some(tail) = key.strip_prefix(r.prefix.as_str()) else {
        return false;
    };
    !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
        && r.lengths().contains(&tail.len())
        && numeric_cmp(tail, &r.lo).is_ge()
        && numeric_cmp(tail, &r.hi).is_le()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    #[test]
    fn edit_distances() {
        let cases = [
            ("", "", false, 0),
            ("ABC", "ABC", false, 0),
            ("ABC", "ABD", false, 1),
            ("ABC", "AC", false, 1),
            ("ABC", "ABXC", false, 1),
            ("ABCD", "ABDC", false, 2),
            ("ABCD", "ABDC", true, 1),
            ("CA", "ABC", true, 3),
            ("12345", "21354", true, 2),
            ("Ж12", "Ж21", true, 1),
        ];
        for (a, b, t, want) in cases {
            assert_eq!(edit_distance(a, b, t), want, "{a} {b} {t}");
            assert_eq!(edit_distance(b, a, t), want, "{b} {a} {t}");
        }
    }

    #[test]
    fn wildcards() {
        let tokens = |s: &str| match Pattern::parse(s, None) {
            Ok(Pattern::Serial(p)) => p.tokens,
            other => panic!("{other:?}"),
        };
        let cases = [
            ("A?C", "A7C", true),
            ("A?C", "AC", false),
            ("A*C", "AC", true),
            ("A*C", "A77C", true),
            ("A*C", "A77", false),
            ("*7", "1237", true),
            ("7*", "1237", false),
            ("1*3*5", "1122334455", true),
            ("1*3*5", "15", false),
            ("?1", "Ж1", true),
        ];
        for (p, key, want) in cases {
            assert_eq!(wildcard_matches(&tokens(p), key), want, "{p} {key}");
        }
    }

    #[test]
    fn ranges() {
        let range = |s: &str| match Pattern::parse(s, None) {
            Ok(Pattern::Range(r)) => r,
            other => panic!("{other:?}"),
        };
        let cases = [
            ("AB1000..AB1999", "A81500", true),
            ("AB1000..AB1999", "A81000", true),
            ("AB1000..AB1999", "A81999", true),
            ("AB1000..AB1999", "A82000", false),
            ("AB1000..AB1999", "A80999", false),
            ("AB1000..AB1999", "A815000", false),
            ("AB1000..AB1999", "A8150", false),
            ("AB1000..AB1999", "A8150X", false),
            ("AB1000..AB1999", "AC1500", false),
            ("AB5..AB120", "A8007", true),
            ("AB5..AB120", "A84", false),
            ("AB5..AB120", "A8121", false),
            ("AB5..AB120", "A80120", false),
        ];
        for (r, key, want) in cases {
            assert_eq!(range_matches(&range(r), key), want, "{r} {key}");
        }
    }
}
