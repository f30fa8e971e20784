//! The questions analysts ask of a register: who supplied a recipient (and which of them also
//! supplied another), the transfers themselves, volumes by year, supplier, recipient or category,
//! and what changed between two releases. SQL picks the segments of the recipient or supplier
//! asked about; the sums run in Rust over exact integers, identically on both backends.

use crate::transfers::{Release, ReleaseChoice, damaged};
use crate::{Store, StoreError, with_pool};
use armtrace_core::Milli;
use armtrace_core::actor::Party;
use armtrace_core::segment::{Row, SegmentReader};
use armtrace_core::text::{collate, fold};
use serde::Serialize;
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

/// Sums of one group, exact (i128 cannot overflow on any register's i64 figures).
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    deals: i64,
    number: i128,
    tiv: i128,
    estimated: i64,
}

fn to_i64(v: i128) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| crate::error::invalid("a sum is too large to report"))
}

/// Sums by group key. Rows arrive a segment at a time, and a segment's rows share their parties
/// (and mostly their category), so the last group asked for is checked before the map.
#[derive(Default)]
struct Groups {
    sums: Vec<(String, Sums)>,
    index: HashMap<String, usize>,
    last: usize,
}

impl Groups {
    fn get(&mut self, key: &str) -> &mut Sums {
        if self.sums.get(self.last).is_none_or(|(k, _)| k != key) {
            self.last = match self.index.get(key) {
                Some(&i) => i,
                None => {
                    self.index.insert(key.to_string(), self.sums.len());
                    self.sums.push((key.to_string(), Sums::default()));
                    self.sums.len() - 1
                }
            };
        }
        &mut self.sums[self.last].1
    }
}

fn in_period(year: Option<i64>, (from, to): (i64, i64)) -> bool {
    year.is_some_and(|y| y >= from && y <= to)
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

    /// Visits the stored transfers of a release (only those to `recipient` and from `supplier`
    /// where given) with their segment's recipient and supplier party keys. A recipient's or
    /// supplier's segments are read at once through their index; a whole release a page of
    /// segments at a time, so that memory stays bounded at any size. With `figures_only`, text
    /// fields other than the category read as empty (see [`SegmentReader::figures`]).
    pub(crate) async fn scan_transfers(
        &self,
        release_no: i64,
        recipient: Option<&str>,
        supplier: Option<&str>,
        figures_only: bool,
        mut visit: impl FnMut(&str, &str, &Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut sql = String::from(
            "SELECT seg, recipient, supplier, data FROM transfer_segments WHERE release_no = $1",
        );
        let mut binds = Vec::new();
        for (col, value) in [("recipient", recipient), ("supplier", supplier)] {
            if let Some(v) = value {
                binds.push(v);
                sql.push_str(&format!(" AND {col} = ${}", binds.len() + 1));
            }
        }
        // Paging in segment order would make the planner walk the whole release in that order
        // instead of using the party index; one party's segments are few enough to read at once.
        let paged = binds.is_empty();
        if paged {
            sql.push_str(" AND seg > $2 ORDER BY seg LIMIT 256");
        }
        let mut decode = |page: &[(i64, String, String, Vec<u8>)]| -> Result<(), StoreError> {
            for (_, recipient, supplier, data) in page {
                let mut row = Row::default();
                let mut reader = if figures_only {
                    SegmentReader::figures(data)
                } else {
                    SegmentReader::new(data)
                }
                .map_err(damaged)?;
                while reader.next_into(&mut row).map_err(damaged)? {
                    visit(recipient, supplier, &row)?;
                }
            }
            Ok(())
        };
        let postgres = matches!(self.backend, crate::Backend::Postgres(_));
        with_pool!(self, p => {
            // One party's segments are one statement. The pages of a whole release are read in
            // one transaction, so that they all see the release as it was when the first was
            // read (an import may commit meanwhile).
            let mut tx = if paged { Some(p.begin().await?) } else { None };
            if let Some(tx) = tx.as_mut()
                && postgres
            {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut **tx)
                    .await?;
            }
            let mut after = -1i64;
            loop {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(release_no);
                for b in &binds {
                    q = q.bind(*b);
                }
                if paged {
                    q = q.bind(after);
                }
                let page: Vec<(i64, String, String, Vec<u8>)> = match tx.as_mut() {
                    Some(tx) => q.fetch_all(&mut **tx).await?,
                    None => q.fetch_all(p).await?,
                };
                decode(&page)?;
                match page.last() {
                    Some(last) if paged => after = last.0,
                    _ => break,
                }
            }
            if let Some(tx) = tx {
                tx.rollback().await?;
            }
        });
        Ok(())
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
        let mut sums = Groups::default();
        self.scan_transfers(
            release.no,
            Some(&recipient),
            None,
            true,
            |_, supplier, t| {
                match basis {
                    // Each deal once, in its order year, with everything it delivered.
                    YearBasis::Order => {
                        if t.is_supply() && in_period(t.order_basis_year(), (from, to)) {
                            let s = sums.get(supplier);
                            s.deals += 1;
                            s.number += i128::from(t.number_delivered.unwrap_or(0));
                            s.tiv += i128::from(t.tiv_delivered.unwrap_or(0));
                        }
                    }
                    // Each deal that delivered in the period, with what it delivered then.
                    YearBasis::Delivery => {
                        let mut years = t
                            .deliveries
                            .iter()
                            .filter(|d| in_period(Some(d.year), (from, to)))
                            .peekable();
                        if years.peek().is_some() {
                            let straddles = t.first_delivery.is_some_and(|f| f < from)
                                || t.last_delivery.is_some_and(|l| l > to);
                            let s = sums.get(supplier);
                            s.deals += 1;
                            let mut spread = false;
                            for d in years {
                                s.number += i128::from(d.number.unwrap_or(0));
                                s.tiv += i128::from(d.tiv.unwrap_or(0));
                                spread |= d.spread;
                            }
                            s.estimated += i64::from(spread && straddles);
                        }
                    }
                }
                Ok(())
            },
        )
        .await?;
        let mut out: Vec<SupplierRow> = sums
            .sums
            .into_iter()
            .map(|(party, s)| {
                Ok(SupplierRow {
                    supplier: names.get(&party).cloned().unwrap_or_else(|| party.clone()),
                    party,
                    deals: s.deals,
                    number_delivered: to_i64(s.number)?,
                    tiv_delivered: Milli(to_i64(s.tiv)?),
                    estimated_deals: s.estimated,
                })
            })
            .collect::<Result<_, StoreError>>()?;
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
        let period = f.period.bounds();
        let designation = f.designation.as_deref().map(fold);
        let release_id = release.id.parse::<armtrace_core::Id>().ok();
        let (recipient, supplier) = (
            f.recipient.as_ref().map(|p| p.to_string()),
            f.supplier.as_ref().map(|p| p.to_string()),
        );
        let mut rows: Vec<TransferRow> = Vec::new();
        self.scan_transfers(
            release.no,
            recipient.as_deref(),
            supplier.as_deref(),
            false,
            |r, s, t| {
                // Transfers without an order year (native deliveries) list as year 0.
                if !in_period(Some(t.order_year.unwrap_or(0)), period)
                    || f.category.as_deref().is_some_and(|c| t.category != Some(c))
                    || designation
                        .as_deref()
                        .is_some_and(|d| !fold(t.designation).contains(d))
                {
                    return Ok(());
                }
                rows.push(transfer_row(t, r, s, release_id));
                Ok(())
            },
        )
        .await?;
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
        let period = q.period.bounds();
        let (recipient, supplier) = (
            q.recipient.as_ref().map(|p| p.to_string()),
            q.supplier.as_ref().map(|p| p.to_string()),
        );
        // Only the trade-register format has spread (estimated) yearly figures.
        let may_estimate =
            q.basis == YearBasis::Delivery && release.format == "sipri_trade_register";
        let mut groups = Groups::default();
        // Years are few: a hash map is cheaper per delivery than a tree (the rows are sorted below).
        let mut years: HashMap<i64, Sums, foldhash::fast::RandomState> = HashMap::default();
        let mut estimated_deals = 0i64;
        self.scan_transfers(
            release.no,
            recipient.as_deref(),
            supplier.as_deref(),
            true,
            |r, s, t| {
                if q.category.as_deref().is_some_and(|c| t.category != Some(c)) {
                    return Ok(());
                }
                // The group of a transfer when grouping by party or category.
                let key = match q.by {
                    VolumeGroup::Supplier => s,
                    VolumeGroup::Recipient => r,
                    _ => t.category.unwrap_or(""),
                };
                match q.basis {
                    // Each supply once, in its order year (native deliveries: their delivery year).
                    // Denials and licences are not supplies.
                    YearBasis::Order => {
                        let year = t.order_basis_year();
                        if !t.is_supply() || !in_period(year, period) {
                            return Ok(());
                        }
                        let sums = match q.by {
                            VolumeGroup::Year => years.entry(year.unwrap_or_default()).or_default(),
                            _ => groups.get(key),
                        };
                        sums.deals += 1;
                        sums.tiv += i128::from(t.tiv_delivered.unwrap_or(0));
                    }
                    // What each deal delivered in each year of the period.
                    YearBasis::Delivery => {
                        let mut any = false;
                        let mut spread = false;
                        for d in t
                            .deliveries
                            .iter()
                            .filter(|d| in_period(Some(d.year), period))
                        {
                            any = true;
                            spread |= d.spread;
                            let sums = match q.by {
                                // One row per deal and year: a plain count is a deal count.
                                VolumeGroup::Year => {
                                    let y = years.entry(d.year).or_default();
                                    y.deals += 1;
                                    y.estimated += i64::from(d.spread);
                                    y
                                }
                                _ => groups.get(key),
                            };
                            sums.tiv += i128::from(d.tiv.unwrap_or(0));
                        }
                        if any && q.by != VolumeGroup::Year {
                            // A deal counts once in its group, however many years it delivered.
                            let sums = groups.get(key);
                            sums.deals += 1;
                            sums.estimated += i64::from(spread);
                        }
                        if may_estimate && spread {
                            estimated_deals += 1;
                        }
                    }
                }
                Ok(())
            },
        )
        .await?;
        let rows: Vec<(String, i64, i128, i64)> = years
            .into_iter()
            .map(|(y, s)| (y.to_string(), s))
            .chain(groups.sums)
            .map(|(k, s)| (k, s.deals, s.tiv, s.estimated))
            .collect();
        let names = self.party_names(&release).await?;
        let mut out: Vec<VolumeRow> = rows
            .into_iter()
            .map(|(k, deals, tiv, estimated)| {
                Ok(VolumeRow {
                    key: match q.by {
                        VolumeGroup::Supplier | VolumeGroup::Recipient => {
                            names.get(&k).cloned().unwrap_or(k)
                        }
                        VolumeGroup::Category if k.is_empty() => "(no category)".to_string(),
                        _ => k,
                    },
                    deals,
                    tiv: Milli(to_i64(tiv)?),
                    estimated_deals: estimated,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        match q.by {
            VolumeGroup::Year => out.sort_by(|a, b| a.key.cmp(&b.key)),
            _ => out.sort_by(|a, b| b.tiv.cmp(&a.tiv).then_with(|| collate(&a.key, &b.key))),
        }
        let total_tiv = Milli(to_i64(out.iter().map(|r| i128::from(r.tiv.0)).sum())?);
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

fn transfer_row(
    t: &Row<'_>,
    recipient: &str,
    supplier: &str,
    release: Option<armtrace_core::Id>,
) -> TransferRow {
    TransferRow {
        id: match release {
            Some(rel) => armtrace_core::transfer::transfer_id(rel, t.record_key).to_string(),
            None => t.record_key.to_string(),
        },
        supplier_party: supplier.to_string(),
        supplier: t.supplier_name.to_string(),
        recipient_party: recipient.to_string(),
        recipient: t.recipient_name.to_string(),
        designation: t.designation.to_string(),
        description: t.description.map(str::to_string),
        category: t.category.map(str::to_string),
        order_year: t.order_year,
        order_year_is_estimate: t.order_year_est,
        number_ordered: t.number_ordered,
        number_delivered: t.number_delivered,
        first_delivery: t.first_delivery,
        last_delivery: t.last_delivery,
        status: t.status.map(str::to_string),
        local_production: t.local_production,
        tiv_delivered: t.tiv_delivered.map(Milli),
        deal_id: t.deal_id,
        comments: t.comments.map(str::to_string),
        source_file: t.source_file.to_string(),
        source_line: t.source_line,
    }
}
