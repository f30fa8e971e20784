//! Item queries at scale: pages, counts and aggregates over distinct weapons, run in SQL on both
//! backends through the indexes of migration 9. Visibility is decided in SQL (the reader's
//! memberships are joined, never read out and filtered), and every page goes through the one
//! redaction of its tier ([`crate::tier::in_tier`]).
//!
//! How a weapon is selected: a weapon (an item that is not a sighting of another) is listed when
//! its own row or any of its sightings passes the filters; the status filter is the weapon's own.
//! Counts and aggregates count distinct weapons: a weapon counts once in each group any of its
//! matching sightings falls in (seen in Iraq in one video and in Syria in another, it counts once
//! under each country, and once in the total).
//!
//! Pages are keyset pages: investigations in the order of their names, items in the order of
//! their references (case- and accent-insensitive, see [`crate::items::sort_key`]); a cursor says
//! where the last page ended, so a page costs the same at the millionth item as at the first.

use crate::items::{
    ITEM_SELECT, ItemFilter, ItemRow, ItemSummary, MarkingRow, item_row, marking_from_row,
};
use crate::{Store, StoreError, with_pool};
use armtrace_core::access::{Action, Identity, Resource, Scope, check};
use armtrace_core::error::Error;
use armtrace_core::investigation::Tier;
use armtrace_core::marking::Marking;
use armtrace_core::text::{collate, fold};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// The most items one page holds.
pub const MAX_PAGE: u64 = 1000;

/// One page of items.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemPage {
    pub tier: Tier,
    pub items: Vec<ItemSummary>,
    /// Where the next page starts (give it as `after`); `None` on the last page.
    pub next: Option<String>,
}

/// What counts and aggregates group weapons by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemGroup {
    /// Country of manufacture.
    MadeIn,
    Model,
    Category,
    Possessor,
    /// Acquisition route (looted, captured in battle, …).
    Route,
    /// Acquisition route and its basis (observed, reported, inferred) kept apart.
    RouteBasis,
    /// Decade of manufacture.
    Decade,
    /// Country where the weapon was seen.
    Country,
    /// Year it was seen.
    YearSeen,
    /// Verification status (the weapon's own).
    Status,
    /// Investigation.
    Investigation,
}

impl ItemGroup {
    pub const ALL: &'static [ItemGroup] = &[
        ItemGroup::MadeIn,
        ItemGroup::Model,
        ItemGroup::Category,
        ItemGroup::Possessor,
        ItemGroup::Route,
        ItemGroup::RouteBasis,
        ItemGroup::Decade,
        ItemGroup::Country,
        ItemGroup::YearSeen,
        ItemGroup::Status,
        ItemGroup::Investigation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemGroup::MadeIn => "made_in",
            ItemGroup::Model => "model",
            ItemGroup::Category => "category",
            ItemGroup::Possessor => "possessor",
            ItemGroup::Route => "route",
            ItemGroup::RouteBasis => "route_basis",
            ItemGroup::Decade => "decade",
            ItemGroup::Country => "country",
            ItemGroup::YearSeen => "year_seen",
            ItemGroup::Status => "status",
            ItemGroup::Investigation => "investigation",
        }
    }

    /// The SQL expression of the group key on the row `x`, as text.
    fn key_sql(self) -> &'static str {
        match self {
            ItemGroup::MadeIn => "x.made_in",
            ItemGroup::Model => "x.model",
            ItemGroup::Category => "x.category",
            ItemGroup::Possessor => "x.possessor",
            ItemGroup::Route => "x.acquisition_route",
            ItemGroup::RouteBasis => {
                "CASE WHEN x.acquisition_route IS NULL THEN NULL \
                 ELSE x.acquisition_route || ' (' || COALESCE(x.acquisition_basis, '') || ')' END"
            }
            ItemGroup::Decade => {
                "CASE WHEN x.year_made IS NULL THEN NULL \
                 ELSE CAST((x.year_made / 10) * 10 AS TEXT) || 's' END"
            }
            ItemGroup::Country => "x.country",
            ItemGroup::YearSeen => "SUBSTR(x.date_first, 1, 4)",
            ItemGroup::Status => "x.w_status",
            ItemGroup::Investigation => "x.investigation_id",
        }
    }
}

impl std::str::FromStr for ItemGroup {
    type Err = String;
    fn from_str(s: &str) -> Result<ItemGroup, String> {
        ItemGroup::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s.trim())
            .ok_or_else(|| {
                let all: Vec<&str> = ItemGroup::ALL.iter().map(|g| g.as_str()).collect();
                format!("cannot count by '{s}': use one of {}", all.join(", "))
            })
    }
}

/// Distinct weapons in one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemCount {
    /// The group's key as stored (a country code, a model, a decade like `1970s`); `None` for
    /// weapons the records say nothing about.
    pub key: Option<String>,
    pub weapons: u64,
}

/// Distinct weapons by group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemCounts {
    pub by: ItemGroup,
    /// Distinct weapons that pass the filters (a weapon in two groups counts once here).
    pub total: u64,
    /// Largest group first; ties in key order.
    pub groups: Vec<ItemCount>,
}

/// A bind argument of a built query.
#[derive(Clone, Debug)]
enum Arg {
    Text(String),
    Int(i64),
}

/// A query's text and its arguments, numbered `$1`, `$2`… in order.
#[derive(Default)]
struct Sql {
    args: Vec<Arg>,
}

impl Sql {
    /// A placeholder for `v`.
    fn arg(&mut self, v: Arg) -> String {
        self.args.push(v);
        format!("${}", self.args.len())
    }

    fn text(&mut self, v: impl Into<String>) -> String {
        self.arg(Arg::Text(v.into()))
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// `%needle%` for LIKE, with LIKE's own characters escaped.
fn contains_pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for c in fold(needle).chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn ymd((y, m, d): (i32, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// The filters a row `x` must pass (all but the weapon's status), as SQL, or `None` for none.
fn row_filters(f: &ItemFilter, x: &str, sql: &mut Sql) -> Option<String> {
    let mut c: Vec<String> = Vec::new();
    if let Some(v) = &f.made_in {
        c.push(format!("{x}.made_in = {}", sql.text(v.clone())));
    }
    if let Some(p) = &f.possessor {
        c.push(format!("{x}.possessor = {}", sql.text(p.to_string())));
    }
    if let Some(m) = &f.model {
        c.push(format!(
            "{x}.model_fold LIKE {} ESCAPE '\\'",
            sql.text(contains_pattern(m))
        ));
    }
    if let Some(cat) = &f.category {
        let mut prefix = String::new();
        for ch in cat.chars() {
            if matches!(ch, '%' | '_' | '\\') {
                prefix.push('\\');
            }
            prefix.push(ch);
        }
        prefix.push_str(".%");
        let exact = sql.text(cat.clone());
        let under = sql.text(prefix);
        c.push(format!(
            "({x}.category = {exact} OR {x}.category LIKE {under} ESCAPE '\\')"
        ));
    }
    if let Some(v) = &f.country {
        c.push(format!("{x}.country = {}", sql.text(v.clone())));
    }
    if let Some(p) = &f.place {
        c.push(format!(
            "{x}.place_fold LIKE {} ESCAPE '\\'",
            sql.text(contains_pattern(p))
        ));
    }
    if let Some(from) = f.from {
        c.push(format!(
            "{x}.date_last >= {}",
            sql.text(ymd(from.earliest()))
        ));
    }
    if let Some(to) = f.to {
        c.push(format!("{x}.date_first <= {}", sql.text(ymd(to.latest()))));
    }
    (!c.is_empty()).then(|| c.join(" AND "))
}

/// The condition that selects distinct weapons `i` (rows that are no sighting of another) that
/// pass the filters themselves or through one of their sightings, with the weapon's status.
fn weapon_filters(f: &ItemFilter, sql: &mut Sql) -> String {
    let mut c = vec!["i.merged_into IS NULL".to_string()];
    if let Some(st) = f.status {
        c.push(format!("i.verification = {}", sql.text(st.as_str())));
    }
    if let Some(own) = row_filters(f, "i", sql) {
        // The sightings' copy of the filters binds the same values again, under new numbers.
        let theirs = row_filters(f, "s", sql).unwrap_or_default();
        c.push(format!(
            "({own} OR (i.sightings > 1 AND EXISTS (SELECT 1 FROM items s WHERE s.weapon_id = i.id AND s.id <> i.id AND {theirs})))"
        ));
    }
    c.join(" AND ")
}

/// Where a page ended: the investigation and the last item's sort key. Written as hex of a small
/// JSON text, so that it travels in a URL or a command line untouched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
struct Cursor {
    /// Investigation id.
    i: String,
    /// The last item's sort key.
    k: String,
}

impl Cursor {
    fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        json.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(s: &str) -> Result<Cursor, StoreError> {
        let bad = || {
            StoreError::from(Error::invalid(
                "after",
                format!(
                    "'{s}' is not a cursor this listing gave: give the `next` value of the page before"
                ),
            ))
        };
        if !s.len().is_multiple_of(2) || s.len() > 4096 {
            return Err(bad());
        }
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// The investigations `by` is a member of (optionally only the one named), in name order, as
/// (id, name). Decided in SQL by joining the reader's memberships.
pub(crate) async fn member_investigations(
    store: &Store,
    by: &Identity,
    only: Option<&str>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut rows: Vec<(String, String)> = with_pool!(store, p => {
        sqlx::query_as(
            "SELECT v.id, v.name FROM investigations v \
             JOIN memberships m ON m.investigation_id = v.id \
             JOIN users u ON u.id = m.user_id \
             WHERE u.name = $1 AND (v.name = $2 OR $2 = '')",
        )
        .bind(by.name())
        .bind(only.unwrap_or(""))
        .fetch_all(p)
        .await?
    });
    rows.sort_by(|a, b| collate(&a.1, &b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(rows)
}

impl Store {
    /// One page of the items `by` may see: distinct weapons (or, with `filter.sightings`, every
    /// sighting) that pass the filters, at most `limit` (up to [`MAX_PAGE`]), after the cursor
    /// `after` of the page before.
    pub async fn items_page(
        &self,
        by: &Identity,
        filter: &ItemFilter,
        tier: Option<Tier>,
        limit: u64,
        after: Option<&str>,
    ) -> Result<ItemPage, StoreError> {
        let tier = self.tier_for(by, tier).await?;
        let user = self.acting_user(by.name()).await?;
        check(
            &user,
            Action::Read,
            Resource::DocumentedItem,
            Scope::Global,
            None,
        )?;
        let limit = limit.clamp(1, MAX_PAGE);
        let cursor = after.map(Cursor::decode).transpose()?;
        let investigations =
            member_investigations(self, by, filter.investigation.as_deref()).await?;
        let start = match &cursor {
            None => 0,
            Some(c) => investigations
                .iter()
                .position(|(id, _)| *id == c.i)
                .ok_or_else(|| {
                    StoreError::from(Error::invalid(
                        "after",
                        "the cursor names an investigation this listing does not cover: start again without it",
                    ))
                })?,
        };
        let mut rows: Vec<ItemRow> = Vec::new();
        let mut next = None;
        for (n, (inv, _)) in investigations.iter().enumerate().skip(start) {
            let from_key = match &cursor {
                Some(c) if n == start => c.k.clone(),
                _ => String::new(),
            };
            let want = limit - rows.len() as u64;
            let mut sql = Sql::default();
            let inv_arg = sql.text(inv.clone());
            let key_arg = sql.text(from_key);
            let conditions = if filter.sightings {
                let mut c = vec![];
                if let Some(st) = filter.status {
                    c.push(format!("i.verification = {}", sql.text(st.as_str())));
                }
                c.extend(row_filters(filter, "i", &mut sql));
                c.join(" AND ")
            } else {
                weapon_filters(filter, &mut sql)
            };
            // One more than wanted, to know whether there is a next page.
            let limit_arg = sql.arg(Arg::Int(want as i64 + 1));
            let text = format!(
                "{ITEM_SELECT} WHERE i.investigation_id = {inv_arg} AND i.sort_key > {key_arg}{} \
                 ORDER BY i.sort_key LIMIT {limit_arg}",
                if conditions.is_empty() {
                    String::new()
                } else {
                    format!(" AND {conditions}")
                }
            );
            let mut got: Vec<(ItemRow, String)> = with_pool!(self, p => {
                let q = bind_all!(sqlx::query(sqlx::AssertSqlSafe(text)), &sql.args);
                let raw = q.fetch_all(p).await?;
                let mut out = Vec::with_capacity(raw.len());
                for r in &raw {
                    let key: String = r.try_get("sort_key")?;
                    out.push((item_row!(r), key));
                }
                out
            });
            if got.len() as u64 > want {
                got.truncate(want as usize);
                if let Some((_, key)) = got.last() {
                    next = Some(
                        Cursor {
                            i: inv.clone(),
                            k: key.clone(),
                        }
                        .encode(),
                    );
                }
                rows.extend(got.into_iter().map(|(r, _)| r));
                break;
            }
            let full = got.len() as u64 == want;
            let last_key = got.last().map(|(_, k)| k.clone());
            rows.extend(got.into_iter().map(|(r, _)| r));
            if full {
                // The page is full at the end of this investigation: the next page starts in
                // the next investigation, if it has anything (the next call finds out).
                if n + 1 < investigations.len()
                    && let Some(key) = last_key
                {
                    next = Some(
                        Cursor {
                            i: inv.clone(),
                            k: key,
                        }
                        .encode(),
                    );
                }
                break;
            }
        }
        let items = self.summaries(&rows).await?;
        Ok(ItemPage {
            tier,
            items: crate::tier::in_tier(items, tier),
            next,
        })
    }

    /// Distinct weapons that pass the filters, by `group`.
    pub async fn item_counts(
        &self,
        by: &Identity,
        filter: &ItemFilter,
        group: ItemGroup,
    ) -> Result<ItemCounts, StoreError> {
        let user = self.acting_user(by.name()).await?;
        check(
            &user,
            Action::Read,
            Resource::DocumentedItem,
            Scope::Global,
            None,
        )?;
        let mut sql = Sql::default();
        let me = sql.text(by.name());
        let only = sql.text(filter.investigation.clone().unwrap_or_default());
        let mut c = vec![format!(
            "x.investigation_id IN (SELECT m.investigation_id FROM memberships m \
             JOIN users u ON u.id = m.user_id JOIN investigations v ON v.id = m.investigation_id \
             WHERE u.name = {me} AND (v.name = {only} OR {only} = ''))"
        )];
        if let Some(st) = filter.status {
            c.push(format!("x.w_status = {}", sql.text(st.as_str())));
        }
        c.extend(row_filters(filter, "x", &mut sql));
        let conditions = c.join(" AND ");
        let key = group.key_sql();
        let groups_sql = format!(
            "SELECT {key} AS k, COUNT(DISTINCT x.weapon_id) FROM items x WHERE {conditions} GROUP BY {key}"
        );
        let total_sql =
            format!("SELECT COUNT(DISTINCT x.weapon_id) FROM items x WHERE {conditions}");
        let (groups, total): (Vec<(Option<String>, i64)>, i64) = with_pool!(self, p => {
            let groups = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(groups_sql)), &sql.args)
                .fetch_all(p)
                .await?;
            let total = bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(total_sql)), &sql.args)
                .fetch_one(p)
                .await?;
            (groups, total)
        });
        let mut groups: Vec<ItemCount> = groups
            .into_iter()
            .map(|(key, n)| ItemCount {
                key,
                weapons: n.max(0) as u64,
            })
            .collect();
        if group == ItemGroup::Investigation {
            let names: HashMap<String, String> = member_investigations(self, by, None)
                .await?
                .into_iter()
                .collect();
            for g in &mut groups {
                g.key = g.key.take().map(|id| names.get(&id).cloned().unwrap_or(id));
            }
        }
        groups.sort_by(|a, b| {
            b.weapons
                .cmp(&a.weapons)
                .then_with(|| match (&a.key, &b.key) {
                    (Some(x), Some(y)) => collate(x, y),
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                })
        });
        Ok(ItemCounts {
            by: group,
            total: total.max(0) as u64,
            groups,
        })
    }

    /// Listing rows for stored items, with their markings, sightings and distinct evidence, in
    /// the confidential tier (the caller redacts).
    async fn summaries(&self, rows: &[ItemRow]) -> Result<Vec<ItemSummary>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let merged_ids: Vec<String> = rows.iter().filter_map(|r| r.merged_into.clone()).collect();
        let placeholders = |n: usize, from: usize| -> String {
            (from..from + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let in_ids = placeholders(ids.len(), 1);
        let marks_sql = format!(
            "SELECT item_id, position, script, text, transliteration, symbol, legibility \
             FROM markings WHERE item_id IN ({in_ids}) ORDER BY item_id, n"
        );
        // Distinct files: a weapon's over all its sightings; a merged sighting's, its own.
        let evidence_sql = format!(
            "SELECT s.weapon_id, COUNT(DISTINCT l.evidence_id) FROM evidence_links l \
             JOIN items s ON s.id = l.item_id WHERE s.weapon_id IN ({in_ids}) GROUP BY s.weapon_id \
             UNION ALL \
             SELECT l.item_id, COUNT(DISTINCT l.evidence_id) FROM evidence_links l \
             JOIN items s ON s.id = l.item_id \
             WHERE l.item_id IN ({in_ids}) AND s.merged_into IS NOT NULL GROUP BY l.item_id"
        );
        let refs_sql = format!(
            "SELECT id, ref FROM items WHERE id IN ({})",
            placeholders(merged_ids.len().max(1), 1)
        );
        let (marks, evidence, refs) = with_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(marks_sql));
            for id in &ids {
                q = q.bind(id.clone());
            }
            let raw = q.fetch_all(p).await?;
            let mut marks: Vec<(String, MarkingRow)> = Vec::with_capacity(raw.len());
            for r in &raw {
                marks.push((
                    r.try_get(0)?,
                    (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?),
                ));
            }
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(evidence_sql));
            for id in &ids {
                q = q.bind(id.clone());
            }
            let evidence = q.fetch_all(p).await?;
            let refs: Vec<(String, String)> = if merged_ids.is_empty() {
                Vec::new()
            } else {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(refs_sql));
                for id in &merged_ids {
                    q = q.bind(id.clone());
                }
                q.fetch_all(p).await?
            };
            (marks, evidence, refs)
        });
        let mut markings: HashMap<String, Vec<Marking>> = HashMap::new();
        for (item, m) in marks {
            markings.entry(item).or_default().push(marking_from_row(m)?);
        }
        let evidence: HashMap<String, i64> = evidence.into_iter().collect();
        let refs: HashMap<String, String> = refs.into_iter().collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut s = crate::items::summary_of(r, &markings)?;
            s.merged_into = r
                .merged_into
                .as_ref()
                .map(|m| refs.get(m).cloned().unwrap_or_else(|| m.clone()));
            // A merged sighting is one sighting; a weapon shows how many it has.
            s.sightings = if r.merged_into.is_some() {
                1
            } else {
                r.sightings.max(1) as u64
            };
            s.evidence = evidence.get(&r.id).copied().unwrap_or(0).max(0) as u64;
            out.push(s);
        }
        Ok(out)
    }
}

impl Store {
    /// Refreshes the query planner's statistics of the item tables (after a large import).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        with_pool!(self, p => {
            sqlx::query("ANALYZE").execute(p).await?;
        });
        Ok(())
    }
}

/// Fills in the folded columns of migration 9 for items written before it (the folding is
/// armtrace's own, not the database's), a chunk at a time.
pub(crate) async fn fill_item_keys(store: &Store) -> Result<(), StoreError> {
    loop {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = with_pool!(store, p => {
            sqlx::query_as(
                "SELECT id, ref, model, place_name FROM items WHERE sort_key IS NULL LIMIT 5000",
            )
            .fetch_all(p)
            .await?
        });
        if rows.is_empty() {
            return Ok(());
        }
        with_pool!(store, p => {
            let mut tx = p.begin().await?;
            for (id, reference, model, place) in &rows {
                sqlx::query(
                    "UPDATE items SET sort_key = $1, model_fold = $2, place_fold = $3 WHERE id = $4",
                )
                .bind(crate::items::sort_key(reference, id))
                .bind(model.as_deref().map(fold))
                .bind(place.as_deref().map(fold))
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use armtrace_core::error::Code;

    #[test]
    fn cursors_round_trip_and_refuse_what_they_did_not_give() {
        let c = Cursor {
            i: "0190".into(),
            k: "car 1\u{1}CAR 1\u{1}0190".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        for bad in ["", "zz", "7b", "abc", "7b7d"] {
            let e = Cursor::decode(bad).err().map(|e| e.code());
            assert_eq!(e, Some(Code::InputInvalid), "{bad}");
        }
    }

    #[test]
    fn like_patterns_escape_likes_own_characters() {
        for (needle, want) in [
            ("Type 56", "%type 56%"),
            // Folding keeps no % and no backslash; an underscore it keeps is escaped.
            ("100%", "%100%"),
            ("Škorpion", "%skorpion%"),
        ] {
            assert_eq!(contains_pattern(needle), want, "{needle}");
        }
    }
}
