//! The item listing as it was before item queries moved into SQL (schema 9): read every item,
//! marking and evidence link the reader may see and filter in Rust. Kept only for the benchmark
//! that compares the two in one run (feature `testing`); nothing else calls it.

use crate::items::{
    ITEM_SELECT, ItemFilter, ItemRow, ItemSummary, MarkingRow, item_row, marking_from_row, summary,
};
use crate::{Store, StoreError, with_pool};
use armtrace_core::access::{Action, Identity, Resource, Scope, check};
use armtrace_core::marking::Marking;
use armtrace_core::text::{collate, matches};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

impl Store {
    /// The listing of [`Store::items`], computed the old way: every row read, filtered in Rust.
    pub async fn legacy_items(
        &self,
        by: &Identity,
        filter: &ItemFilter,
    ) -> Result<Vec<ItemSummary>, StoreError> {
        let user = self.acting_user(by.name()).await?;
        check(
            &user,
            Action::Read,
            Resource::DocumentedItem,
            Scope::Global,
            None,
        )?;
        let visible: HashSet<String> = crate::item_queries::member_investigations(self, by, None)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let (rows, marks, links) = with_pool!(self, p => {
            let sql = format!("{ITEM_SELECT} WHERE (v.name = $1 OR $1 = '')");
            let raw = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(filter.investigation.as_deref().unwrap_or(""))
                .fetch_all(p)
                .await?;
            let mut rows = Vec::with_capacity(raw.len());
            for r in &raw {
                let inv: String = r.try_get(1)?;
                rows.push((inv, item_row!(r)));
            }
            let raw = sqlx::query(
                "SELECT item_id, position, script, text, transliteration, symbol, legibility FROM markings ORDER BY item_id, n",
            )
            .fetch_all(p)
            .await?;
            let mut marks: Vec<(String, MarkingRow)> = Vec::with_capacity(raw.len());
            for r in &raw {
                marks.push((
                    r.try_get(0)?,
                    (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?),
                ));
            }
            let links: Vec<(String, String)> =
                sqlx::query_as("SELECT DISTINCT item_id, evidence_id FROM evidence_links")
                    .fetch_all(p)
                    .await?;
            (rows, marks, links)
        });
        let rows: Vec<ItemRow> = rows
            .into_iter()
            .filter(|(inv, _)| visible.contains(inv))
            .map(|(_, r)| r)
            .collect();
        let mut markings: HashMap<String, Vec<Marking>> = HashMap::new();
        for (item, m) in marks {
            markings.entry(item).or_default().push(marking_from_row(m)?);
        }
        let mut by_item: HashMap<String, Vec<String>> = HashMap::new();
        for (item, evidence) in links {
            by_item.entry(item).or_default().push(evidence);
        }
        let by_id: HashMap<&str, &ItemRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut sightings: HashMap<&str, u64> = HashMap::new();
        let mut evidence: HashMap<&str, HashSet<&str>> = HashMap::new();
        for r in &rows {
            let root = r.merged_into.as_deref().unwrap_or(&r.id);
            *sightings.entry(root).or_default() += 1;
            evidence
                .entry(root)
                .or_default()
                .extend(by_item.get(&r.id).into_iter().flatten().map(String::as_str));
        }
        let mut summaries = Vec::with_capacity(rows.len());
        let mut matching: HashSet<&str> = HashSet::new();
        for r in &rows {
            let s = summary(r, &markings, &by_id)?;
            let pass = keep(&s, r, filter);
            if pass {
                matching.insert(r.merged_into.as_deref().unwrap_or(&r.id));
            }
            summaries.push((r, s, pass));
        }
        let mut out = Vec::new();
        for (r, s, pass) in summaries {
            let listed = if filter.sightings {
                pass
            } else {
                r.merged_into.is_none()
                    && matching.contains(r.id.as_str())
                    && filter.status.is_none_or(|st| s.verification == st)
            };
            if !listed {
                continue;
            }
            let root = r.merged_into.as_deref().unwrap_or(&r.id);
            out.push(ItemSummary {
                sightings: if r.merged_into.is_some() {
                    1
                } else {
                    sightings.get(root).copied().unwrap_or(1)
                },
                evidence: if r.merged_into.is_some() {
                    by_item.get(&r.id).map_or(0, |l| l.len() as u64)
                } else {
                    evidence.get(root).map_or(0, |e| e.len() as u64)
                },
                ..s
            });
        }
        out.sort_by(|a, b| {
            collate(&a.investigation, &b.investigation)
                .then_with(|| collate(&a.reference, &b.reference))
        });
        Ok(out)
    }
}

/// Whether a sighting passes the filter (all but the weapon's status).
fn keep(s: &ItemSummary, r: &ItemRow, f: &ItemFilter) -> bool {
    let eq = |a: &Option<String>, b: &Option<String>| b.is_none() || a == b;
    eq(&s.made_in, &f.made_in)
        && f.possessor
            .as_ref()
            .is_none_or(|p| s.possessor.as_ref() == Some(p))
        && f.model
            .as_deref()
            .is_none_or(|m| s.model.as_deref().is_some_and(|x| matches(x, m)))
        && f.category.as_deref().is_none_or(|c| {
            s.category
                .as_deref()
                .is_some_and(|x| x == c || x.starts_with(&format!("{c}.")))
        })
        && eq(&r.country, &f.country)
        && f.place
            .as_deref()
            .is_none_or(|p| r.place_name.as_deref().is_some_and(|x| matches(x, p)))
        && f.from
            .is_none_or(|from| s.date.is_some_and(|d| d.latest() >= from.earliest()))
        && f.to
            .is_none_or(|to| s.date.is_some_and(|d| d.earliest() <= to.latest()))
        && f.status.is_none_or(|st| s.verification == st)
}
