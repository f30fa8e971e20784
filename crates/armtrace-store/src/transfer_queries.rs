//! The questions analysts ask of a register: who supplied a recipient (and which of them also
//! supplied another), the transfers themselves, volumes by year, supplier, recipient or category,
//! and what changed between two releases. Sums run in SQL over exact integers; everything users
//! see is sorted in Rust.

use crate::transfers::{Release, ReleaseChoice};
use crate::{Store, StoreError, with_pool};
use armtrace_core::Milli;
use armtrace_core::actor::Party;
use armtrace_core::text::{collate, fold};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Which year a deal counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YearBasis {
    /// The year of the order: each deal counts once, with everything it delivered.
    Order,
    /// The years of delivery: a deal counts in each year it delivered, with what it delivered then.
    Delivery,
}

/// A period of years, both ends inclusive; either may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl Period {
    fn bounds(&self) -> (i64, i64) {
        (
            i64::from(self.from.unwrap_or(0)),
            i64::from(self.to.unwrap_or(9999)),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupplierRow {
    /// The supplier as the register names it.
    pub supplier: String,
    /// The resolved party (`country:SUHH`, `actor:KEY`, `unknown`).
    pub party: String,
    pub deals: i64,
    pub number_delivered: i64,
    pub tiv_delivered: Milli,
    /// Deals whose in-period figures are armtrace's estimate (older format, deliveries that
    /// straddle the period).
    pub estimated_deals: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuppliersAnswer {
    pub release: Release,
    pub recipient: String,
    pub basis: YearBasis,
    pub period: Period,
    pub suppliers: Vec<SupplierRow>,
    /// With `also_supplied`: the recipient compared with.
    pub also_supplied: Option<String>,
    /// With `also_supplied`: suppliers of both, by name.
    pub common: Option<Vec<String>>,
}

/// One transfer as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferRow {
    pub id: String,
    pub supplier: String,
    pub recipient: String,
    pub designation: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub order_year: Option<i64>,
    pub order_year_is_estimate: bool,
    pub number_ordered: Option<i64>,
    pub number_delivered: Option<i64>,
    pub first_delivery: Option<i64>,
    pub last_delivery: Option<i64>,
    pub status: Option<String>,
    pub local_production: bool,
    pub tiv_delivered: Option<Milli>,
    pub deal_id: Option<i64>,
    pub comments: Option<String>,
    pub source_file: String,
    pub source_line: i64,
    #[serde(skip)]
    supplier_party: String,
    #[serde(skip)]
    recipient_party: String,
}

/// Filters for listing transfers.
#[derive(Clone, Debug, Default)]
pub struct TransferFilter {
    pub supplier: Option<Party>,
    pub recipient: Option<Party>,
    /// Text the designation contains (case- and accent-insensitive).
    pub designation: Option<String>,
    pub category: Option<String>,
    /// Order years.
    pub period: Period,
    pub limit: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeGroup {
    Year,
    Supplier,
    Recipient,
    Category,
}

#[derive(Clone, Debug)]
pub struct VolumesQuery {
    pub by: VolumeGroup,
    pub basis: YearBasis,
    pub supplier: Option<Party>,
    pub recipient: Option<Party>,
    pub category: Option<String>,
    pub period: Period,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeRow {
    /// The year, supplier, recipient or category.
    pub key: String,
    pub deals: i64,
    pub tiv: Milli,
    /// Deals whose share here is armtrace's estimate (spread over delivery years).
    pub estimated_deals: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumesAnswer {
    pub release: Release,
    pub by: VolumeGroup,
    pub basis: YearBasis,
    pub period: Period,
    pub rows: Vec<VolumeRow>,
    pub total_tiv: Milli,
    pub estimated_deals: i64,
}

/// A record that changed between two releases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: TransferRow,
    pub after: TransferRow,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffAnswer {
    pub from: Release,
    pub to: Release,
    pub added: Vec<TransferRow>,
    pub removed: Vec<TransferRow>,
    pub changed: Vec<Change>,
    pub unchanged: i64,
}

const ROW_COLUMNS: &str = "record_key, supplier, supplier_name, recipient, recipient_name, designation, description, category, \
     order_year, order_year_est, number_ordered, number_delivered, first_delivery, last_delivery, status, \
     local_production, tiv_delivered, deal_id, comments, source_file, source_line";

/// (supplier party, deals, numbers delivered, TIV delivered, estimated deals), as SQL returns them.
type SupplierSums = (String, i64, Option<i64>, Option<i64>, Option<i64>);
/// (text key, year key, deals, TIV, estimated deals), as SQL returns them.
type GroupSums = (Option<String>, Option<i64>, i64, Option<i64>, Option<i64>);

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// The names each party goes by in a release (the first alphabetically when several).
    async fn party_names(&self, release: &Release) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = with_pool!(self, p => {
            sqlx::query_as("SELECT party, name FROM release_parties WHERE release_no = $1")
                .bind(release.no)
                .fetch_all(p)
                .await?
        });
        let mut names: HashMap<String, String> = HashMap::new();
        for (party, name) in rows {
            names
                .entry(party)
                .and_modify(|n| {
                    if collate(&name, n).is_lt() {
                        *n = name.clone();
                    }
                })
                .or_insert(name);
        }
        Ok(names)
    }

    async fn supplier_rows(
        &self,
        release: &Release,
        names: &HashMap<String, String>,
        recipient: &Party,
        basis: YearBasis,
        period: Period,
    ) -> Result<Vec<SupplierRow>, StoreError> {
        let (from, to) = period.bounds();
        let recipient = recipient.to_string();
        let rows: Vec<SupplierSums> = with_pool!(self, p => {
            match basis {
                YearBasis::Order => sqlx::query_as(
                    "SELECT supplier, COUNT(*), CAST(SUM(number_delivered) AS BIGINT), \
                     CAST(SUM(tiv_delivered) AS BIGINT), CAST(0 AS BIGINT) FROM transfers \
                     WHERE release_no = $1 AND recipient = $2 AND kind IN ('order', 'delivery', 'trace_answer') \
                     AND COALESCE(order_year, first_delivery) >= $3 AND COALESCE(order_year, first_delivery) <= $4 \
                     GROUP BY supplier",
                ),
                YearBasis::Delivery => sqlx::query_as(
                    "SELECT d.supplier, COUNT(DISTINCT d.n), CAST(SUM(d.number) AS BIGINT), \
                     CAST(SUM(d.tiv) AS BIGINT), COUNT(DISTINCT CASE WHEN d.spread AND \
                     (t.first_delivery < $3 OR t.last_delivery > $4) THEN d.n END) \
                     FROM deliveries d JOIN transfers t ON t.release_no = d.release_no AND t.n = d.n \
                     WHERE d.release_no = $1 AND d.recipient = $2 AND d.year >= $3 AND d.year <= $4 \
                     GROUP BY d.supplier",
                ),
            }
            .bind(release.no)
            .bind(&recipient)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        let mut out: Vec<SupplierRow> = rows
            .into_iter()
            .map(|(party, deals, number, tiv, estimated)| SupplierRow {
                supplier: names.get(&party).cloned().unwrap_or_else(|| party.clone()),
                party,
                deals,
                number_delivered: number.unwrap_or(0),
                tiv_delivered: Milli(tiv.unwrap_or(0)),
                estimated_deals: estimated.unwrap_or(0),
            })
            .collect();
        out.sort_by(|a, b| {
            b.tiv_delivered
                .cmp(&a.tiv_delivered)
                .then_with(|| collate(&a.supplier, &b.supplier))
        });
        Ok(out)
    }

    /// Who supplied `recipient` in the period, with deal counts, numbers and TIV delivered; with
    /// `also_supplied`, which of them also supplied that other recipient in the same period.
    pub async fn suppliers(
        &self,
        release: &ReleaseChoice,
        recipient: &Party,
        basis: YearBasis,
        period: Period,
        also_supplied: Option<&Party>,
    ) -> Result<SuppliersAnswer, StoreError> {
        let release = self.release(release).await?;
        let names = self.party_names(&release).await?;
        let suppliers = self
            .supplier_rows(&release, &names, recipient, basis, period)
            .await?;
        let (also, common) = match also_supplied {
            Some(other) => {
                let theirs: BTreeSet<String> = self
                    .supplier_rows(&release, &names, other, basis, period)
                    .await?
                    .into_iter()
                    .map(|r| r.party)
                    .collect();
                let mut common: Vec<String> = suppliers
                    .iter()
                    .filter(|s| theirs.contains(&s.party))
                    .map(|s| s.supplier.clone())
                    .collect();
                common.sort_by(|a, b| collate(a, b));
                let other_key = other.to_string();
                (
                    Some(names.get(&other_key).cloned().unwrap_or(other_key)),
                    Some(common),
                )
            }
            None => (None, None),
        };
        let recipient_key = recipient.to_string();
        Ok(SuppliersAnswer {
            recipient: names.get(&recipient_key).cloned().unwrap_or(recipient_key),
            release,
            basis,
            period,
            suppliers,
            also_supplied: also,
            common,
        })
    }

    /// Transfers of a release matching the filter, by order year, then supplier, recipient and
    /// designation.
    pub async fn list_transfers(
        &self,
        release: &ReleaseChoice,
        f: &TransferFilter,
    ) -> Result<(Release, Vec<TransferRow>), StoreError> {
        let release = self.release(release).await?;
        let (from, to) = f.period.bounds();
        let mut sql = format!(
            "SELECT {ROW_COLUMNS} FROM transfers WHERE release_no = $1 AND COALESCE(order_year, 0) >= $2 AND COALESCE(order_year, 0) <= $3"
        );
        let mut binds: Vec<String> = Vec::new();
        let mut next = 4;
        let mut add = |sql: &mut String, clause: &str, value: String| {
            sql.push_str(&format!(" AND {clause} ${next}"));
            next += 1;
            binds.push(value);
        };
        if let Some(s) = &f.supplier {
            add(&mut sql, "supplier =", s.to_string());
        }
        if let Some(r) = &f.recipient {
            add(&mut sql, "recipient =", r.to_string());
        }
        if let Some(c) = &f.category {
            add(&mut sql, "category =", c.clone());
        }
        if let Some(d) = &f.designation {
            add(&mut sql, "designation_folded LIKE", escape_like(&fold(d)));
            sql.push_str(" ESCAPE '\\'");
        }
        let rows: Vec<TransferRow> = with_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(release.no).bind(from).bind(to);
            for b in &binds {
                q = q.bind(b);
            }
            let rows = q.fetch_all(p).await?;
            rows.iter().map(|r| transfer_row(r, &release)).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let mut rows = rows;
        rows.sort_by(|a, b| {
            a.order_year
                .cmp(&b.order_year)
                .then_with(|| collate(&a.supplier, &b.supplier))
                .then_with(|| collate(&a.recipient, &b.recipient))
                .then_with(|| collate(&a.designation, &b.designation))
                .then_with(|| a.source_line.cmp(&b.source_line))
        });
        if let Some(limit) = f.limit {
            rows.truncate(limit.max(0) as usize);
        }
        Ok((release, rows))
    }

    /// TIV sums grouped by year, supplier, recipient or category.
    pub async fn volumes(
        &self,
        release: &ReleaseChoice,
        q: &VolumesQuery,
    ) -> Result<VolumesAnswer, StoreError> {
        let release = self.release(release).await?;
        let (from, to) = q.period.bounds();
        let (table, year_col, spread) = match q.basis {
            // Native deliveries have no order year: they count in their delivery year.
            YearBasis::Order => (
                "transfers",
                "COALESCE(order_year, first_delivery)",
                "CAST(0 AS BIGINT)",
            ),
            YearBasis::Delivery => ("deliveries", "year", "CASE WHEN spread THEN 1 ELSE 0 END"),
        };
        let (id_col, tiv_col) = match q.basis {
            YearBasis::Order => ("n", "tiv_delivered"),
            YearBasis::Delivery => ("n", "tiv"),
        };
        // Grouping by year groups on the integer column; a delivery row is one deal in one year
        // and an order-basis row one deal, so plain counts are deal counts except when deliveries
        // are grouped by party or category.
        let (key_text, key_year) = match q.by {
            VolumeGroup::Year => ("CAST(NULL AS TEXT)".to_string(), year_col.to_string()),
            VolumeGroup::Supplier => ("supplier".to_string(), "CAST(NULL AS BIGINT)".to_string()),
            VolumeGroup::Recipient => ("recipient".to_string(), "CAST(NULL AS BIGINT)".to_string()),
            VolumeGroup::Category => (
                "COALESCE(category, '')".to_string(),
                "CAST(NULL AS BIGINT)".to_string(),
            ),
        };
        let group = if q.by == VolumeGroup::Year {
            key_year.clone()
        } else {
            key_text.clone()
        };
        let distinct = q.basis == YearBasis::Delivery && q.by != VolumeGroup::Year;
        let (deals, estimated_in_group) = if distinct {
            (
                format!("COUNT(DISTINCT {id_col})"),
                format!("COUNT(DISTINCT CASE WHEN {spread} = 1 THEN {id_col} END)"),
            )
        } else {
            (
                "COUNT(*)".to_string(),
                format!("CAST(SUM({spread}) AS BIGINT)"),
            )
        };
        let mut filter = format!("WHERE release_no = $1 AND {year_col} >= $2 AND {year_col} <= $3");
        if q.basis == YearBasis::Order {
            // Denials and licences are not supplies.
            filter.push_str(" AND kind IN ('order', 'delivery', 'trace_answer')");
        }
        let mut binds = Vec::new();
        for (col, value) in [
            ("supplier", q.supplier.as_ref().map(|p| p.to_string())),
            ("recipient", q.recipient.as_ref().map(|p| p.to_string())),
            ("category", q.category.clone()),
        ] {
            if let Some(v) = value {
                filter.push_str(&format!(" AND {col} = ${}", binds.len() + 4));
                binds.push(v);
            }
        }
        let grouped = format!(
            "SELECT {key_text}, {key_year}, {deals}, CAST(SUM({tiv_col}) AS BIGINT), {estimated_in_group} \
             FROM {table} {filter} GROUP BY {group}"
        );
        // Only the trade-register format has spread (estimated) yearly figures.
        let may_estimate =
            q.basis == YearBasis::Delivery && release.format == "sipri_trade_register";
        let estimated = format!(
            "SELECT COUNT(DISTINCT CASE WHEN {spread} = 1 THEN {id_col} END) FROM {table} {filter}"
        );
        let (rows, estimated_deals): (Vec<GroupSums>, i64) = with_pool!(self, p => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(grouped)).bind(release.no).bind(from).bind(to);
            let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(estimated)).bind(release.no).bind(from).bind(to);
            for b in &binds {
                query = query.bind(b);
                count = count.bind(b);
            }
            let rows = query.fetch_all(p).await?;
            let estimated = if may_estimate { count.fetch_one(p).await? } else { 0 };
            (rows, estimated)
        });
        let rows: Vec<(String, i64, Option<i64>, i64)> = rows
            .into_iter()
            .map(|(text, year, deals, tiv, est)| {
                (
                    text.or(year.map(|y| y.to_string())).unwrap_or_default(),
                    deals,
                    tiv,
                    est.unwrap_or(0),
                )
            })
            .collect();
        let names = self.party_names(&release).await?;
        let mut out: Vec<VolumeRow> = rows
            .into_iter()
            .map(|(k, deals, tiv, estimated)| VolumeRow {
                key: match q.by {
                    VolumeGroup::Supplier | VolumeGroup::Recipient => {
                        names.get(&k).cloned().unwrap_or(k)
                    }
                    VolumeGroup::Category if k.is_empty() => "(no category)".to_string(),
                    _ => k,
                },
                deals,
                tiv: Milli(tiv.unwrap_or(0)),
                estimated_deals: estimated,
            })
            .collect();
        match q.by {
            VolumeGroup::Year => out.sort_by(|a, b| a.key.cmp(&b.key)),
            _ => out.sort_by(|a, b| b.tiv.cmp(&a.tiv).then_with(|| collate(&a.key, &b.key))),
        }
        let total_tiv = Milli(out.iter().map(|r| r.tiv.0).sum());
        Ok(VolumesAnswer {
            release,
            by: q.by,
            basis: q.basis,
            period: q.period,
            rows: out,
            total_tiv,
            estimated_deals,
        })
    }

    /// What changed from one release to another. Records are matched by SIPRI's deal number
    /// where both releases have one, else by supplier, recipient, designation and order year.
    pub async fn diff_releases(
        &self,
        from: &ReleaseChoice,
        to: &ReleaseChoice,
    ) -> Result<DiffAnswer, StoreError> {
        let (a, before) = self
            .list_transfers(from, &TransferFilter::default())
            .await?;
        let (b, after) = self.list_transfers(to, &TransferFilter::default()).await?;
        let by_deal =
            before.iter().all(|t| t.deal_id.is_some()) && after.iter().all(|t| t.deal_id.is_some());
        let identity = |t: &TransferRow| -> String {
            if by_deal {
                format!("deal {}", t.deal_id.unwrap_or_default())
            } else {
                format!(
                    "{}|{}|{}|{}",
                    t.supplier_party,
                    t.recipient_party,
                    fold(&t.designation),
                    t.order_year.unwrap_or_default()
                )
            }
        };
        let mut groups: BTreeMap<String, (Vec<TransferRow>, Vec<TransferRow>)> = BTreeMap::new();
        for t in before {
            groups.entry(identity(&t)).or_default().0.push(t);
        }
        for t in after {
            groups.entry(identity(&t)).or_default().1.push(t);
        }
        let mut answer = DiffAnswer {
            from: a,
            to: b,
            added: vec![],
            removed: vec![],
            changed: vec![],
            unchanged: 0,
        };
        for (_, (mut old, mut new)) in groups {
            // Identical records (same content) are unchanged.
            old.retain(|o| {
                if let Some(i) = new.iter().position(|n| changed_fields(o, n).is_empty()) {
                    new.remove(i);
                    answer.unchanged += 1;
                    false
                } else {
                    true
                }
            });
            if old.len() == 1 && new.len() == 1 {
                let (o, n) = (old.remove(0), new.remove(0));
                let fields = changed_fields(&o, &n);
                answer.changed.push(Change {
                    before: o,
                    after: n,
                    fields,
                });
            } else {
                answer.removed.extend(old);
                answer.added.extend(new);
            }
        }
        Ok(answer)
    }
}

fn changed_fields(a: &TransferRow, b: &TransferRow) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |name: &str, same: bool| {
        if !same {
            out.push(name.to_string());
        }
    };
    check("supplier", a.supplier_party == b.supplier_party);
    check("recipient", a.recipient_party == b.recipient_party);
    check("designation", a.designation == b.designation);
    check("description", a.description == b.description);
    check("order_year", a.order_year == b.order_year);
    check(
        "order_year_is_estimate",
        a.order_year_is_estimate == b.order_year_is_estimate,
    );
    check("number_ordered", a.number_ordered == b.number_ordered);
    check("number_delivered", a.number_delivered == b.number_delivered);
    check(
        "delivery_years",
        (a.first_delivery, a.last_delivery) == (b.first_delivery, b.last_delivery),
    );
    check("status", a.status == b.status);
    check("tiv_delivered", a.tiv_delivered == b.tiv_delivered);
    check("comments", a.comments == b.comments);
    out
}

fn transfer_row<R: Row>(r: &R, release: &Release) -> Result<TransferRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let key: String = r.try_get("record_key")?;
    let id = match release.id.parse::<armtrace_core::Id>() {
        Ok(rel) => armtrace_core::transfer::transfer_id(rel, &key).to_string(),
        Err(_) => key,
    };
    Ok(TransferRow {
        id,
        supplier_party: r.try_get("supplier")?,
        supplier: r.try_get("supplier_name")?,
        recipient_party: r.try_get("recipient")?,
        recipient: r.try_get("recipient_name")?,
        designation: r.try_get("designation")?,
        description: r.try_get("description")?,
        category: r.try_get("category")?,
        order_year: r.try_get("order_year")?,
        order_year_is_estimate: r.try_get("order_year_est")?,
        number_ordered: r.try_get("number_ordered")?,
        number_delivered: r.try_get("number_delivered")?,
        first_delivery: r.try_get("first_delivery")?,
        last_delivery: r.try_get("last_delivery")?,
        status: r.try_get("status")?,
        local_production: r.try_get("local_production")?,
        tiv_delivered: r.try_get::<Option<i64>, _>("tiv_delivered")?.map(Milli),
        deal_id: r.try_get("deal_id")?,
        comments: r.try_get("comments")?,
        source_file: r.try_get("source_file")?,
        source_line: r.try_get("source_line")?,
    })
}
