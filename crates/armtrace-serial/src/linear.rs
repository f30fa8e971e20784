//! The oracle: the same matching rules applied by scanning every entry, with no index. The
//! property tests check that [`crate::SerialIndex`] answers exactly what this answers.

use crate::chance::expected_chance_matches;
use crate::entry::{Entry, Filter, RecordRef};
use crate::error::PatternError;
use crate::index::{SearchOptions, check_options};
use crate::matching::{
    Found, Match, MatchKind, edit_distance, range_matches, rank, serial_kind, wildcard_matches,
};
use crate::normalise::{match_key, reading, shape};
use crate::pattern::Pattern;

/// Entries in a vector, searched by a scan.
#[derive(Clone, Debug, Default)]
pub struct LinearIndex {
    entries: Vec<Entry>,
}

impl LinearIndex {
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> LinearIndex {
        LinearIndex {
            entries: entries.into_iter().collect(),
        }
    }

    pub fn add(&mut self, e: Entry) {
        self.entries.push(e);
    }

    /// Removes the entries of `record` with the match key of `raw`; returns how many.
    pub fn remove(&mut self, raw: &str, record: RecordRef) -> usize {
        let key = match_key(raw);
        let before = self.entries.len();
        self.entries
            .retain(|e| !(e.record == record && match_key(&e.raw) == key));
        before - self.entries.len()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How `key` (of an entry with `raw`) matches, if it does.
    fn kind(pattern: &Pattern, opts: &SearchOptions, key: &str, raw: &str) -> Option<MatchKind> {
        match pattern {
            Pattern::Serial(p) => {
                if let Some(q) = p.plain_key() {
                    let d = edit_distance(q, key, opts.transpositions);
                    (d <= usize::from(opts.max_edits)).then(|| serial_kind(p, key, raw, d as u8))
                } else {
                    wildcard_matches(&p.tokens, key).then(|| serial_kind(p, key, raw, 0))
                }
            }
            Pattern::Fragment(f) => key.contains(f.key.as_str()).then_some(MatchKind::Fragment),
            Pattern::Range(r) => range_matches(r, key).then_some(MatchKind::Range),
        }
    }

    pub fn search(
        &self,
        pattern: &Pattern,
        opts: &SearchOptions,
        filter: &Filter,
    ) -> Result<Found, PatternError> {
        check_options(pattern, opts)?;
        let mut out = Vec::new();
        for e in &self.entries {
            let key = match_key(&e.raw);
            let f = crate::entry::Facet::of(e);
            if !filter.allows(&f) {
                continue;
            }
            let Some(kind) = Self::kind(pattern, opts, &key, &e.raw) else {
                continue;
            };
            let read = reading(&e.raw);
            let sh = shape(&read);
            let population = self
                .entries
                .iter()
                .filter(|o| {
                    o.context.id == e.context.id
                        && filter.groups.allows(o.group)
                        && shape(&reading(&o.raw)) == sh
                })
                .count() as u64;
            out.push(Match {
                kind,
                raw: e.raw.clone(),
                expected_chance_matches: expected_chance_matches(
                    pattern,
                    kind,
                    key.chars().count(),
                    population,
                ),
                key,
                reading: read,
                shape: sh,
                context: e.context,
                record: e.record,
                role: e.role,
                group: e.group,
                population,
            });
        }
        rank(&mut out);
        let total = out.len();
        if let Some(limit) = opts.limit {
            out.truncate(limit);
        }
        Ok(Found {
            matches: out,
            total,
        })
    }
}
