//! Property tests: the index answers exactly what the linear scan answers (random populations,
//! patterns, edit distances, wildcards, fragments, ranges and group filters; after additions and
//! removals, merges, and a save/load round trip); loading never panics on damaged bytes; parsing
//! never panics on any text.

use armtrace_serial::{
    Context, Entry, Filter, Groups, LinearIndex, LoadError, MarkingRole, Pattern, RecordKind,
    RecordRef, SearchOptions, SerialIndex,
};
use proptest::prelude::*;

/// Characters of stored serials: confusables, separators, case, other scripts, a stored `?`;
/// the first ones often, so that keys meet.
const COMMON_CHARS: &[char] = &['A', 'B', '8', '0', 'O', '1', 'I', '5', 'S', '3', '-'];
const RARE_CHARS: &[char] = &[
    'b', 'o', 'D', 'L', '7', 'K', ' ', 'В', 'о', '٣', '۷', 'Ж', '?', '*', 'Q', 'z',
];
/// Characters of random patterns: the same and the wildcards.
const PATTERN_CHARS: &[char] = &[
    'A', 'B', '8', '0', 'O', 'D', '1', 'I', '5', 'S', '3', '7', 'K', '-', 'Ж', '?', '?', '*',
];

fn serial_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(COMMON_CHARS),
            1 => prop::sample::select(RARE_CHARS),
        ],
        1..9,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn text(chars: &'static [char], len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(chars), len).prop_map(|v| v.into_iter().collect())
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        serial_text(),
        0u32..4,
        0u32..4,
        0u8..3,
        0u64..12,
        any::<bool>(),
    )
        .prop_map(|(raw, ctx, group, kind, id, unspecified)| Entry {
            context: Context {
                id: ctx,
                maker: Some(ctx % 2),
                model: (ctx != 3).then_some(ctx + 10),
            },
            raw,
            record: RecordRef {
                kind: match kind {
                    0 => RecordKind::ItemMarking,
                    1 => RecordKind::LotSerial,
                    _ => RecordKind::StockRecord,
                },
                id,
            },
            role: if unspecified {
                MarkingRole::Unspecified
            } else {
                MarkingRole::SerialNumber
            },
            group,
        })
}

fn filter() -> impl Strategy<Value = Filter> {
    // Each restriction now and then, so that most queries still find something.
    (
        prop::option::weighted(0.5, prop::collection::vec(0u32..4, 0..4)),
        prop::option::weighted(0.2, prop::collection::vec(0u32..4, 0..3)),
        prop::option::weighted(0.15, 0u32..2),
        prop::option::weighted(0.15, 10u32..13),
        prop::option::weighted(
            0.15,
            prop::collection::vec(
                prop::sample::select(vec![
                    RecordKind::ItemMarking,
                    RecordKind::LotSerial,
                    RecordKind::StockRecord,
                ]),
                0..3,
            ),
        ),
    )
        .prop_map(|(groups, contexts, maker, model, kinds)| Filter {
            groups: match groups {
                None => Groups::All,
                Some(g) => Groups::Only(g.into_iter().collect()),
            },
            contexts,
            maker,
            model,
            kinds,
        })
}

/// A pattern text: random, or taken from a stored serial and damaged.
#[derive(Clone, Debug)]
enum PatternSpec {
    Random(String),
    /// Entry number, then what to do to its text: 0 as is, 1 wildcard a character, 2 a run,
    /// 3 a fragment of it, 4 change a character, 5 a range around it.
    FromEntry(usize, u8, usize, char),
    Range(String, u32, u32),
}

fn pattern_spec() -> impl Strategy<Value = PatternSpec> {
    prop_oneof![
        1 => text(PATTERN_CHARS, 1..8).prop_map(PatternSpec::Random),
        6 => (
            any::<usize>(),
            0u8..6,
            any::<usize>(),
            prop::sample::select(PATTERN_CHARS)
        )
            .prop_map(|(e, how, at, c)| PatternSpec::FromEntry(e, how, at, c)),
        1 => (
            prop::sample::select(vec!["", "A", "A8", "AB", "K", "Ж"]),
            0u32..200,
            0u32..200
        )
            .prop_map(|(p, a, b)| PatternSpec::Range(p.to_string(), a.min(b), a.max(b))),
    ]
}

fn pattern_text(spec: &PatternSpec, entries: &[Entry]) -> (String, Option<String>) {
    match spec {
        PatternSpec::Random(s) => (s.clone(), None),
        PatternSpec::Range(p, a, b) => (format!("{p}{a}..{p}{b}"), None),
        PatternSpec::FromEntry(e, how, at, c) => {
            let Some(entry) = entries.get(e % entries.len().max(1)) else {
                return ("A1".into(), None);
            };
            let mut chars: Vec<char> = entry.raw.chars().collect();
            let at = at % chars.len().max(1);
            match how {
                0 => (entry.raw.clone(), None),
                1 => {
                    chars[at] = '?';
                    (chars.into_iter().collect(), None)
                }
                2 => {
                    chars.insert(at, '*');
                    (chars.into_iter().collect(), None)
                }
                3 => {
                    let from = at.min(chars.len().saturating_sub(4));
                    let s: String = chars[from..].iter().collect();
                    (format!("*{s}*"), None)
                }
                4 => {
                    chars[at] = *c;
                    let mask: String = (0..chars.len())
                        .map(|i| if i == at { '~' } else { '.' })
                        .collect();
                    let masked = (*c as u32).is_multiple_of(2);
                    (chars.into_iter().collect(), masked.then_some(mask))
                }
                _ => {
                    // Around the serial's numeric tail: last digit 0 to 9, sometimes to a
                    // longer upper bound.
                    let digits = chars
                        .iter()
                        .rev()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if digits == 0 {
                        return (entry.raw.clone(), None);
                    }
                    let head: String = chars[..chars.len() - 1].iter().collect();
                    let longer = if at.is_multiple_of(2) { "" } else { "9" };
                    (format!("{head}0..{head}9{longer}"), None)
                }
            }
        }
    }
}

type QuerySpec = (PatternSpec, u8, bool, Option<usize>, Filter);

fn check_same(
    index: &SerialIndex,
    linear: &LinearIndex,
    queries: &[QuerySpec],
    entries: &[Entry],
) -> Result<(), TestCaseError> {
    for (spec, edits, transpositions, limit, filter) in queries {
        let (text, mask) = pattern_text(spec, entries);
        let Ok(pattern) = Pattern::parse(&text, mask.as_deref()) else {
            continue;
        };
        let edits = match &pattern {
            Pattern::Serial(p) if p.is_plain() => *edits,
            _ => 0,
        };
        let opts = SearchOptions {
            max_edits: edits,
            transpositions: *transpositions,
            limit: *limit,
        };
        let got = index.search(&pattern, &opts, filter);
        let want = linear.search(&pattern, &opts, filter);
        prop_assert_eq!(
            &got,
            &want,
            "pattern {:?} mask {:?} edits {} transpositions {} limit {:?} filter {:?}",
            text,
            mask,
            edits,
            transpositions,
            limit,
            filter
        );
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Op {
    Add(Entry),
    /// Remove the entries of an existing entry's record and key (by number), or of a random one.
    RemoveExisting(usize),
    Remove(Entry),
    Merge,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => entry().prop_map(Op::Add),
        3 => any::<usize>().prop_map(Op::RemoveExisting),
        1 => entry().prop_map(Op::Remove),
        1 => Just(Op::Merge),
    ]
}

fn sorted(mut v: Vec<Entry>) -> Vec<Entry> {
    v.sort_by(|a, b| {
        (&a.raw, a.context, a.record, a.role, a.group)
            .cmp(&(&b.raw, b.context, b.record, b.role, b.group))
    });
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn index_answers_what_the_linear_scan_answers(
        initial in prop::collection::vec(entry(), 0..40),
        ops in prop::collection::vec(op(), 0..25),
        threshold in prop::option::of(0usize..8),
        queries in prop::collection::vec(
            (pattern_spec(), 0u8..3, any::<bool>(), prop::option::weighted(0.2, 0usize..4), filter()),
            1..12,
        ),
    ) {
        let mut index = SerialIndex::build(initial.clone());
        let mut linear = LinearIndex::new(initial.clone());
        let mut live = initial.clone();
        check_same(&index, &linear, &queries, &live)?;

        index.set_merge_threshold(threshold);
        for op in ops {
            match op {
                Op::Add(e) => {
                    index.add(e.clone());
                    linear.add(e.clone());
                    live.push(e);
                }
                Op::RemoveExisting(n) => {
                    if let Some(e) = live.get(n % live.len().max(1)).cloned() {
                        let a = index.remove(&e.raw, e.record);
                        let b = linear.remove(&e.raw, e.record);
                        prop_assert_eq!(a, b);
                        prop_assert!(a >= 1);
                        let key = armtrace_serial::normalise::match_key(&e.raw);
                        live.retain(|o| !(o.record == e.record && armtrace_serial::normalise::match_key(&o.raw) == key));
                    }
                }
                Op::Remove(e) => {
                    let a = index.remove(&e.raw, e.record);
                    let b = linear.remove(&e.raw, e.record);
                    prop_assert_eq!(a, b);
                    let key = armtrace_serial::normalise::match_key(&e.raw);
                    live.retain(|o| !(o.record == e.record && armtrace_serial::normalise::match_key(&o.raw) == key));
                }
                Op::Merge => index.merge(),
            }
            prop_assert_eq!(index.len(), linear.len());
        }
        prop_assert_eq!(sorted(index.entries()), sorted(live.clone()));
        check_same(&index, &linear, &queries, &live)?;

        index.set_generation(42);
        let mut bytes = Vec::new();
        index.save(&mut bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let loaded = SerialIndex::load(bytes.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(loaded.generation(), 42);
        prop_assert_eq!(loaded.len(), linear.len());
        check_same(&loaded, &linear, &queries, &live)?;
        let mut merged = loaded;
        merged.merge();
        check_same(&merged, &linear, &queries, &live)?;
    }

    #[test]
    fn loading_damaged_bytes_is_an_error(
        entries in prop::collection::vec(entry(), 0..30),
        adds in prop::collection::vec(entry(), 0..5),
        cut in any::<usize>(),
        flip in any::<(usize, u8)>(),
        noise in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut index = SerialIndex::build(entries);
        for e in adds {
            index.add(e);
        }
        let mut bytes = Vec::new();
        index.save(&mut bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(SerialIndex::from_bytes(&bytes).is_ok());
        // Truncated anywhere.
        let cut = cut % bytes.len();
        prop_assert!(SerialIndex::from_bytes(&bytes[..cut]).is_err());
        // One byte changed.
        let mut changed = bytes.clone();
        let at = flip.0 % changed.len();
        changed[at] ^= flip.1.max(1);
        prop_assert!(SerialIndex::from_bytes(&changed).is_err());
        // Random bytes, and random bytes after a valid header.
        prop_assert!(SerialIndex::from_bytes(&noise).is_err());
        let mut forged = bytes[..24.min(bytes.len())].to_vec();
        forged.extend_from_slice(&noise);
        prop_assert!(SerialIndex::from_bytes(&forged).is_err());
    }

    #[test]
    fn parsing_and_searching_any_text_never_panics(
        text in ".{0,80}",
        mask in prop::option::of("[.~?x]{0,12}"),
        edits in 0u8..4,
    ) {
        let index = SerialIndex::build([Entry {
            context: Context { id: 1, maker: None, model: None },
            raw: "AB-1234".into(),
            record: RecordRef { kind: RecordKind::ItemMarking, id: 1 },
            role: MarkingRole::SerialNumber,
            group: 0,
        }]);
        if let Ok(p) = Pattern::parse(&text, mask.as_deref()) {
            let opts = SearchOptions { max_edits: edits, transpositions: true, limit: Some(5) };
            let _ = index.search(&p, &opts, &Filter::new(Groups::All));
        }
    }
}

#[test]
fn unknown_version_and_foreign_files_are_refused() {
    let mut bytes = Vec::new();
    SerialIndex::new()
        .save(&mut bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut v2 = bytes.clone();
    v2[8] = 2;
    assert!(matches!(
        SerialIndex::from_bytes(&v2),
        Err(LoadError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    ));
    assert!(matches!(
        SerialIndex::from_bytes(b"SQLite format 3\0"),
        Err(LoadError::NotAnIndex)
    ));
    assert!(matches!(
        SerialIndex::from_bytes(b""),
        Err(LoadError::NotAnIndex)
    ));
    let msg = SerialIndex::from_bytes(&bytes[..bytes.len() - 1])
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some(
            "the serial index file is damaged (its length does not match its header): rebuild the index from the database"
        )
    );
}
