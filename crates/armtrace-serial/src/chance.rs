//! Chance matches: how many serials of a match's population a pattern like the one searched
//! would match by chance.
//!
//! The population `N` is the number of indexed serials that the reader may see with the match's
//! context and the match's shape (the runs of digits, letters and other characters of its
//! reading: "AB-123456" has shape `L2D6`). A random key of that shape is modelled as independent
//! characters, each position's character drawn uniformly from its class's alphabet as the match
//! key sees it: `a = 10` for a digit, `a = 20` for a letter (26 letters, nine of which fall into
//! the six confusable classes: two random letters have the same match-key character with
//! probability 34/676 ≈ 1/20), `a = 30` for any other character. With `P = ∏ 1/a` over the
//! characters of the pattern that are known (read clearly; `?`, `*` and uncertain characters are
//! not), `n` the match's length in characters and `m` the number of known characters:
//!
//! | kind | probability `q` that a random key of the shape matches |
//! |---|---|
//! | exact, confusable | `P` |
//! | wildcard | `A · P`, `A` = the ways the `*` runs can share the `n − t` characters the other `t` tokens leave: `C(n − t + r − 1, r − 1)` for `r ≥ 1` runs, 1 without |
//! | `d` edits | `P · Σ_{j=0..d} C(m, j) · (2ā)^j`, `ā` the mean `a` of the known characters: `j` of them changed, each in about `2ā` ways (substituted, or a character inserted or deleted beside it) |
//! | fragment of `f` characters | `(n − f + 1) · P`, one chance per place it could stand |
//! | range | `P_prefix · w / 10^L`, `L = n −` prefix length, `w` the number of `L`-digit tails within the bounds |
//!
//! `expected_chance_matches = N · min(1, q)`. It falls as the pattern gets longer (each known
//! character divides it by `a`), rises with the population and with the edits allowed, and is
//! used to rank matches of the same kind: an exact match on "AB12345678" within a model of
//! 20 000 serials expects 5·10⁻⁷ chance matches; two edits on a six-digit serial among five
//! million expect about 30 000.

use crate::matching::MatchKind;
use crate::normalise::CharClass;
use crate::pattern::{Pattern, Token};

/// The alphabet size of a character class in the match key.
pub fn alphabet(c: CharClass) -> f64 {
    match c {
        CharClass::Digit => 10.0,
        CharClass::Letter => 20.0,
        CharClass::Other => 30.0,
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn known_probability(known: &[CharClass]) -> f64 {
    known.iter().map(|&c| 1.0 / alphabet(c)).product()
}

/// The expected number of chance matches in a population of `population` serials of the match's
/// shape, for a match of `kind` of `key_len` characters on `pattern`.
pub fn expected_chance_matches(
    pattern: &Pattern,
    kind: MatchKind,
    key_len: usize,
    population: u64,
) -> f64 {
    let q = match pattern {
        Pattern::Serial(p) => {
            let base = known_probability(&p.known);
            match kind {
                MatchKind::Edits(d) => {
                    let m = p.known.len();
                    let mean = if m == 0 {
                        alphabet(CharClass::Digit)
                    } else {
                        p.known.iter().map(|&c| alphabet(c)).sum::<f64>() / m as f64
                    };
                    let ways: f64 = (0..=usize::from(d))
                        .map(|j| binomial(m, j) * (2.0 * mean).powi(j as i32))
                        .sum();
                    base * ways
                }
                MatchKind::Wildcard => {
                    let runs = p.tokens.iter().filter(|t| **t == Token::Run).count();
                    let fixed = p.tokens.len() - runs;
                    let alignments = if runs == 0 {
                        f64::from(u8::from(key_len == fixed))
                    } else if key_len < fixed {
                        0.0
                    } else {
                        binomial(key_len - fixed + runs - 1, runs - 1)
                    };
                    alignments * base
                }
                _ => base,
            }
        }
        Pattern::Fragment(f) => {
            let len = f.known.len();
            let places = (key_len + 1).saturating_sub(len) as f64;
            places * known_probability(&f.known)
        }
        Pattern::Range(r) => {
            let tail = key_len.saturating_sub(r.prefix_known.len());
            known_probability(&r.prefix_known) * tails_within(&r.lo, &r.hi, tail)
                / 10f64.powi(tail as i32)
        }
    };
    population as f64 * q.min(1.0)
}

/// How many `len`-digit tails (leading zeros allowed) lie between `lo` and `hi`.
fn tails_within(lo: &str, hi: &str, len: usize) -> f64 {
    if len < lo.len() || len > hi.len() {
        return 0.0;
    }
    let value = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    let top = value(hi).min(10f64.powi(len as i32) - 1.0);
    (top - value(lo) + 1.0).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chance(text: &str, kind: MatchKind, key_len: usize, population: u64) -> f64 {
        match Pattern::parse(text, None) {
            Ok(p) => expected_chance_matches(&p, kind, key_len, population),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// Each row must expect fewer chance matches than the one after it.
    fn check_increasing(rows: &[(&str, MatchKind, usize, u64)]) {
        let figures: Vec<f64> = rows
            .iter()
            .map(|&(t, k, n, pop)| chance(t, k, n, pop))
            .collect();
        for (w, r) in figures.windows(2).zip(rows.windows(2)) {
            assert!(w[0] < w[1], "{:?} {} !< {:?} {}", r[0], w[0], r[1], w[1]);
        }
    }

    #[test]
    fn figures() {
        use MatchKind::*;
        let cases: &[(&str, MatchKind, usize, u64, f64)] = &[
            ("123456", Exact, 6, 1_000_000, 1.0),
            ("AB123456", Exact, 8, 4_000_000, 0.01),
            ("AB12345678", Exact, 10, 1000, 2.5e-8),
            ("1234?6", Wildcard, 6, 1_000_000, 10.0),
            ("12*6", Wildcard, 6, 1_000_000, 1000.0),
            ("1*3*6", Wildcard, 6, 1_000_000, 4000.0),
            ("123456", Edits(1), 6, 1_000_000, 121.0),
            ("123456", Edits(2), 6, 1_000_000, 6121.0),
            ("*3456*", Fragment, 6, 1_000_000, 300.0),
            ("AB1000..AB1999", Range, 6, 4_000_000, 1000.0),
            ("AB1000..AB1999", Range, 7, 4_000_000, 0.0),
        ];
        for &(text, kind, len, pop, want) in cases {
            let got = chance(text, kind, len, pop);
            assert!(
                (got - want).abs() <= want * 1e-9,
                "{text} {kind:?}: {got} != {want}"
            );
        }
    }

    #[test]
    fn monotone_in_pattern_length() {
        use MatchKind::*;
        check_increasing(&[
            ("AB12345678", Exact, 10, 1000),
            ("AB1234567", Exact, 9, 1000),
            ("AB123456", Exact, 8, 1000),
            ("B123456", Exact, 7, 1000),
        ]);
        check_increasing(&[
            ("12345678", Edits(2), 8, 1_000_000),
            ("1234567", Edits(2), 7, 1_000_000),
            ("123456", Edits(2), 6, 1_000_000),
        ]);
        check_increasing(&[
            ("*345678*", Fragment, 10, 1_000_000),
            ("*45678*", Fragment, 10, 1_000_000),
            ("*5678*", Fragment, 10, 1_000_000),
        ]);
        check_increasing(&[
            ("1234567", Wildcard, 7, 1_000_000),
            ("12345?7", Wildcard, 7, 1_000_000),
            ("123??67", Wildcard, 7, 1_000_000),
            ("12*67", Wildcard, 7, 1_000_000),
        ]);
    }

    #[test]
    fn monotone_in_population_and_edits() {
        use MatchKind::*;
        check_increasing(&[
            ("AB123456", Exact, 8, 10),
            ("AB123456", Exact, 8, 1000),
            ("AB123456", Exact, 8, 5_000_000),
        ]);
        check_increasing(&[
            ("AB123456", Exact, 8, 5_000_000),
            ("AB123456", Edits(1), 8, 5_000_000),
            ("AB123456", Edits(2), 8, 5_000_000),
        ]);
        // A 2-edit match on a short serial among millions is weak; an exact 10-character match
        // within one model is strong.
        assert!(chance("1234", Edits(2), 4, 5_000_000) >= 1000.0);
        assert!(chance("AB12345678", Exact, 10, 20_000) < 1e-4);
    }
}
