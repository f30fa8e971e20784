//! Automata run over the keys' bytes (in the fst, and over the in-memory additions): wildcard
//! patterns and numeric tails. Levenshtein automata come from `levenshtein_automata`.

use crate::pattern::Token;
use fst::Automaton;
use std::collections::BTreeMap;
use std::ops::Bound;

/// A serial pattern with `?`, uncertain characters and `*`, as a set of token positions
/// (a bit each, 65 at most) advanced one UTF-8 character at a time.
#[derive(Debug)]
pub(crate) struct Wildcard<'a> {
    tokens: &'a [Token],
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct WildState {
    set: u128,
    /// The code point being decoded and the continuation bytes it still needs.
    cp: u32,
    need: u8,
}

impl<'a> Wildcard<'a> {
    pub fn new(tokens: &'a [Token]) -> Wildcard<'a> {
        debug_assert!(tokens.len() < 128);
        Wildcard { tokens }
    }

    /// Adds the positions reachable by letting `*` runs match nothing.
    fn closure(&self, mut set: u128) -> u128 {
        for (i, t) in self.tokens.iter().enumerate() {
            if *t == Token::Run && set & (1 << i) != 0 {
                set |= 1 << (i + 1);
            }
        }
        set
    }

    fn step(&self, set: u128, c: char) -> u128 {
        let mut next = 0u128;
        let mut rest = set;
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            match self.tokens.get(i) {
                Some(Token::Char(x)) if *x == c => next |= 1 << (i + 1),
                Some(Token::One | Token::Uncertain(_)) => next |= 1 << (i + 1),
                Some(Token::Run) => next |= 1 << i,
                _ => {}
            }
        }
        self.closure(next)
    }
}

impl Automaton for Wildcard<'_> {
    type State = WildState;

    fn start(&self) -> WildState {
        WildState {
            set: self.closure(1),
            cp: 0,
            need: 0,
        }
    }

    fn is_match(&self, s: &WildState) -> bool {
        s.need == 0 && s.set & (1 << self.tokens.len()) != 0
    }

    fn can_match(&self, s: &WildState) -> bool {
        s.set != 0
    }

    fn accept(&self, s: &WildState, b: u8) -> WildState {
        let dead = WildState {
            set: 0,
            cp: 0,
            need: 0,
        };
        let (cp, need) = if s.need == 0 {
            match b {
                0x00..=0x7F => (u32::from(b), 0),
                0xC0..=0xDF => (u32::from(b & 0x1F), 1),
                0xE0..=0xEF => (u32::from(b & 0x0F), 2),
                0xF0..=0xF7 => (u32::from(b & 0x07), 3),
                _ => return dead,
            }
        } else if b & 0xC0 == 0x80 {
            ((s.cp << 6) | u32::from(b & 0x3F), s.need - 1)
        } else {
            return dead;
        };
        if need > 0 {
            return WildState {
                set: s.set,
                cp,
                need,
            };
        }
        match char::from_u32(cp) {
            Some(c) => WildState {
                set: self.step(s.set, c),
                cp: 0,
                need: 0,
            },
            None => dead,
        }
    }
}

/// Keys that are `prefix` followed by exactly `len` ASCII digits.
#[derive(Debug)]
pub(crate) struct DigitTail<'a> {
    pub prefix: &'a [u8],
    pub len: usize,
}

impl Automaton for DigitTail<'_> {
    /// Bytes consumed, or `None` once the key cannot match.
    type State = Option<usize>;

    fn start(&self) -> Option<usize> {
        Some(0)
    }
    fn is_match(&self, s: &Option<usize>) -> bool {
        *s == Some(self.prefix.len() + self.len)
    }
    fn can_match(&self, s: &Option<usize>) -> bool {
        s.is_some()
    }
    fn accept(&self, s: &Option<usize>, b: u8) -> Option<usize> {
        let at = (*s)?;
        let ok = match self.prefix.get(at) {
            Some(&p) => p == b,
            None => at < self.prefix.len() + self.len && b.is_ascii_digit(),
        };
        ok.then_some(at + 1)
    }
}

/// The least byte string greater than every string that starts with `prefix`, if any.
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < u8::MAX {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}

/// Runs `aut` over the keys of a sorted map, skipping every key under a prefix the automaton
/// has rejected (a seek past it), as a walk of the fst would.
pub(crate) fn walk<A: Automaton, V>(
    map: &BTreeMap<Vec<u8>, V>,
    aut: &A,
    mut found: impl FnMut(&[u8], &V),
) {
    let mut lower: Bound<Vec<u8>> = Bound::Unbounded;
    loop {
        let Some((key, value)) = map.range((lower.clone(), Bound::Unbounded)).next() else {
            return;
        };
        let mut state = aut.start();
        let mut dead_after = None;
        for (i, &b) in key.iter().enumerate() {
            if !aut.can_match(&state) {
                dead_after = Some(i);
                break;
            }
            state = aut.accept(&state, b);
        }
        if dead_after.is_none() && !aut.can_match(&state) {
            dead_after = Some(key.len());
        }
        match dead_after {
            Some(i) => match successor(&key[..i]) {
                Some(next) => lower = Bound::Included(next),
                None => return,
            },
            None => {
                if aut.is_match(&state) {
                    found(key, value);
                }
                lower = Bound::Excluded(key.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::wildcard_matches;
    use crate::pattern::Pattern;

    fn run<A: Automaton>(aut: &A, key: &str) -> bool {
        let mut s = aut.start();
        for &b in key.as_bytes() {
            s = aut.accept(&s, b);
        }
        aut.is_match(&s)
    }

    #[test]
    fn wildcard_automaton_agrees_with_the_rule() {
        let keys = [
            "", "A", "A8123", "A81Ж3", "Ж", "ЖЖ", "12345", "A8", "1", "A8X23", "A8123X",
        ];
        for p in [
            "A8?23", "A8*", "*3", "?Ж", "*", "A8*2*3", "??", "Ж*", "*12*",
        ] {
            let Ok(Pattern::Serial(sp)) = Pattern::parse(p, None) else {
                continue;
            };
            let aut = Wildcard::new(&sp.tokens);
            for k in keys {
                assert_eq!(run(&aut, k), wildcard_matches(&sp.tokens, k), "{p} on {k}");
            }
        }
    }

    #[test]
    fn digit_tail() {
        let aut = DigitTail {
            prefix: b"A8",
            len: 3,
        };
        for (k, want) in [
            ("A8123", true),
            ("A812", false),
            ("A81234", false),
            ("A812X", false),
            ("A9123", false),
        ] {
            assert_eq!(run(&aut, k), want, "{k}");
        }
    }

    #[test]
    fn walk_skips_rejected_prefixes() {
        let map: BTreeMap<Vec<u8>, ()> = ["A1", "A8123", "A8124", "A8999", "B1", "Ж1", "\u{FF}"]
            .iter()
            .map(|k| (k.as_bytes().to_vec(), ()))
            .collect();
        let Ok(Pattern::Serial(sp)) = Pattern::parse("A8?2?", None) else {
            panic!()
        };
        let mut got = Vec::new();
        walk(&map, &Wildcard::new(&sp.tokens), |k, _| {
            got.push(String::from_utf8_lossy(k).into_owned())
        });
        assert_eq!(got, ["A8123", "A8124"]);
        let Ok(Pattern::Serial(sp)) = Pattern::parse("?1", None) else {
            panic!()
        };
        let mut got = Vec::new();
        walk(&map, &Wildcard::new(&sp.tokens), |k, _| {
            got.push(String::from_utf8_lossy(k).into_owned())
        });
        assert_eq!(got, ["A1", "B1", "Ж1"]);
    }
}
