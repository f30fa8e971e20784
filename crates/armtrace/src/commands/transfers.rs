//! `armtrace transfers …`: questions of the imported registers. Every answer built from SIPRI
//! data carries SIPRI's credit line, says that armtrace calculated the figures, and says what the
//! register does not cover; yearly figures that are armtrace's estimates say so.

use crate::UserError;
use crate::cli::{
    By, DiffArgs, FilterArgs, Format, ListArgs, PeriodArgs, ReleaseArgs, SuppliersArgs,
    VolumesArgs, VolumesBy,
};
use crate::output::{Listing, opt, print};
use armtrace_core::actor::Party;
use armtrace_core::resolve::NameResolver;
use armtrace_core::transfer::{SIPRI_COVERAGE, SIPRI_CREDIT, SIPRI_DERIVED};
use armtrace_store::{
    Period, Release, ReleaseChoice, Store, TransferFilter, VolumeGroup, VolumesQuery, YearBasis,
};

fn choice(r: &ReleaseArgs) -> ReleaseChoice {
    match (&r.release, &r.dataset) {
        (_, Some(d)) => ReleaseChoice::Dataset(d.clone()),
        (Some(date), None) => ReleaseChoice::Sipri(date.clone()),
        (None, None) => ReleaseChoice::LatestSipri,
    }
}

fn period(p: &PeriodArgs) -> anyhow::Result<Period> {
    if let (Some(f), Some(t)) = (p.from, p.to)
        && f > t
    {
        return Err(UserError(format!("--from {f} is after --to {t}")).into());
    }
    Ok(Period {
        from: p.from,
        to: p.to,
    })
}

fn basis(b: By) -> YearBasis {
    match b {
        By::Order => YearBasis::Order,
        By::Delivery => YearBasis::Delivery,
    }
}

fn party(resolver: &NameResolver, flag: &str, name: &str) -> anyhow::Result<Party> {
    resolver
        .resolve(name)
        .map_err(|e| UserError(format!("{flag}: {e}")).into())
}

/// The supplier, recipient and category a filter names, each resolved or refused.
async fn resolve_filter(
    store: &Store,
    f: &FilterArgs,
) -> anyhow::Result<(Option<Party>, Option<Party>, Option<String>)> {
    let resolver = store.resolver().await?;
    let supplier = f
        .supplier
        .as_deref()
        .map(|s| party(&resolver, "--supplier", s))
        .transpose()?;
    let recipient = f
        .recipient
        .as_deref()
        .map(|r| party(&resolver, "--recipient", r))
        .transpose()?;
    let category = match &f.category {
        Some(c) => Some(category(
            &armtrace_refdata::category_index(&store.categories().await?),
            c,
        )?),
        None => None,
    };
    Ok((supplier, recipient, category))
}

fn category(
    categories: &std::collections::HashMap<String, String>,
    c: &str,
) -> anyhow::Result<String> {
    categories
        .get(&armtrace_core::text::fold(c))
        .cloned()
        .ok_or_else(|| {
            UserError(format!(
                "--category: '{c}' is not a known category: see `armtrace categories`"
            ))
            .into()
        })
}

/// What every answer says about where its data comes from.
fn source_notes(release: &Release) -> Vec<String> {
    let mut notes = vec![format!(
        "Release: {} {} ({}){}",
        release.source,
        release.name,
        release.format,
        release
            .selection
            .as_ref()
            .map(|s| format!(" — {s}"))
            .unwrap_or_default()
    )];
    if release.source == "sipri" {
        notes.push(format!("{SIPRI_CREDIT}. {SIPRI_DERIVED}"));
        notes.push(SIPRI_COVERAGE.to_string());
    }
    notes
}

fn with_notes(
    mut value: serde_json::Value,
    notes: &[String],
    release: &Release,
) -> serde_json::Value {
    value["notes"] = serde_json::json!(notes);
    if release.source == "sipri" {
        value["credit"] = SIPRI_CREDIT.into();
        value["calculated_by"] = "armtrace".into();
        value["coverage"] = SIPRI_COVERAGE.into();
    }
    value
}

fn year_notes(basis: YearBasis, estimated: i64, release: &Release) -> Vec<String> {
    match basis {
        YearBasis::Order => vec![
            "Years are order years: each deal counts once, with everything it has delivered."
                .into(),
        ],
        YearBasis::Delivery if release.format == "sipri_trade_register" && estimated > 0 => {
            vec![format!(
                "armtrace's estimate: the trade-register format gives each deal's totals and its delivery years, not yearly figures; for {estimated} deals the totals are spread evenly over their delivery years. Use --years order, or a deal-year export, for figures SIPRI states."
            )]
        }
        YearBasis::Delivery => {
            vec!["Years are delivery years; yearly figures are as the source states them.".into()]
        }
    }
}

pub async fn releases(store: &Store, format: Format) -> anyhow::Result<()> {
    let releases = store.releases().await?;
    let mut listing = Listing::new(
        vec![
            "source",
            "release",
            "format",
            "transfers",
            "imported",
            "selection",
        ],
        &releases,
    )?;
    listing.rows = releases
        .iter()
        .map(|r| {
            vec![
                r.source.clone(),
                r.name.clone(),
                r.format.clone(),
                r.transfers.to_string(),
                r.created_at.clone(),
                opt(&r.selection),
            ]
        })
        .collect();
    if releases.iter().any(|r| r.source == "sipri") {
        listing.notes.push(format!("{SIPRI_CREDIT}."));
    }
    print(&listing, format)?;
    store.close().await;
    Ok(())
}

pub async fn suppliers(store: &Store, args: SuppliersArgs) -> anyhow::Result<()> {
    let resolver = store.resolver().await?;
    let recipient = party(&resolver, "--recipient", &args.recipient)?;
    let also = args
        .also_supplied
        .as_deref()
        .map(|r| party(&resolver, "--also-supplied", r))
        .transpose()?;
    let basis = basis(args.by);
    let answer = store
        .suppliers(
            &choice(&args.release),
            &recipient,
            basis,
            period(&args.period)?,
            also.as_ref(),
        )
        .await?;
    let estimated: i64 = answer.suppliers.iter().map(|s| s.estimated_deals).sum();
    let mut notes = source_notes(&answer.release);
    notes.push(format!(
        "Suppliers of {} {}, deals counted by {} year.",
        answer.recipient,
        describe(&answer.period),
        if basis == YearBasis::Order {
            "order"
        } else {
            "delivery"
        }
    ));
    if basis == YearBasis::Delivery {
        notes.push("Numbers and TIV are those delivered within the period.".into());
        notes.extend(year_notes(basis, estimated, &answer.release));
    } else {
        notes.push("Numbers and TIV are all that those deals delivered, in any year.".into());
    }
    if answer.release.source == "sipri" {
        notes.push(
            "SIPRI writes TIV below 0.5 million as 0; such values add nothing to the sums.".into(),
        );
    }
    let mut listing = Listing::new(
        vec![
            "supplier",
            "deals",
            "number delivered",
            "TIV delivered (m)",
            "estimated deals",
        ],
        &answer.suppliers,
    )?;
    listing.rows = answer
        .suppliers
        .iter()
        .map(|s| {
            vec![
                s.supplier.clone(),
                s.deals.to_string(),
                s.number_delivered.to_string(),
                s.tiv_delivered.to_string(),
                blank_if_zero(s.estimated_deals),
            ]
        })
        .collect();
    if let (Some(other), Some(common)) = (&answer.also_supplied, &answer.common) {
        notes.push(format!(
            "Also supplied {other} in the same period: {}",
            if common.is_empty() {
                "none".to_string()
            } else {
                common.join(", ")
            }
        ));
    }
    listing.json = with_notes(serde_json::to_value(&answer)?, &notes, &answer.release);
    listing.notes = notes;
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}

/// A count for a table cell, left empty when it is zero.
fn blank_if_zero(n: i64) -> String {
    if n > 0 { n.to_string() } else { String::new() }
}

fn describe(p: &Period) -> String {
    match (p.from, p.to) {
        (None, None) => "in all years".into(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("up to {t}"),
        (Some(f), Some(t)) => format!("{f}–{t}"),
    }
}

pub async fn list(store: &Store, args: ListArgs) -> anyhow::Result<()> {
    let (supplier, recipient, category) = resolve_filter(store, &args.filter).await?;
    let filter = TransferFilter {
        supplier,
        recipient,
        designation: args.designation.clone(),
        category,
        period: period(&args.period)?,
        limit: args.limit,
    };
    let (release, rows) = store
        .list_transfers(&choice(&args.release), &filter)
        .await?;
    let notes = source_notes(&release);
    let mut listing = Listing::new(
        vec![
            "ordered",
            "supplier",
            "recipient",
            "designation",
            "description",
            "number ordered",
            "number delivered",
            "delivered",
            "status",
            "TIV delivered (m)",
            "source",
        ],
        &rows,
    )?;
    listing.rows = rows
        .iter()
        .map(|t| {
            let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
            vec![
                format!(
                    "{}{}",
                    o(t.order_year),
                    if t.order_year_is_estimate { "?" } else { "" }
                ),
                t.supplier.clone(),
                t.recipient.clone(),
                t.designation.clone(),
                opt(&t.description),
                o(t.number_ordered),
                o(t.number_delivered),
                match (t.first_delivery, t.last_delivery) {
                    (Some(a), Some(b)) if a == b => a.to_string(),
                    (Some(a), Some(b)) => format!("{a}–{b}"),
                    _ => String::new(),
                },
                opt(&t.status),
                t.tiv_delivered.map(|m| m.to_string()).unwrap_or_default(),
                format!("{}:{}", t.source_file, t.source_line),
            ]
        })
        .collect();
    listing.json = with_notes(
        serde_json::json!({ "release": release, "transfers": rows }),
        &notes,
        &release,
    );
    listing.notes = notes;
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}

pub async fn volumes(store: &Store, args: VolumesArgs) -> anyhow::Result<()> {
    let (supplier, recipient, category) = resolve_filter(store, &args.filter).await?;
    let basis = basis(args.years);
    let q = VolumesQuery {
        by: match args.by {
            VolumesBy::Year => VolumeGroup::Year,
            VolumesBy::Supplier => VolumeGroup::Supplier,
            VolumesBy::Recipient => VolumeGroup::Recipient,
            VolumesBy::Category => VolumeGroup::Category,
        },
        basis,
        supplier,
        recipient,
        category,
        period: period(&args.period)?,
    };
    let answer = store.volumes(&choice(&args.release), &q).await?;
    let mut notes = source_notes(&answer.release);
    notes.extend(year_notes(basis, answer.estimated_deals, &answer.release));
    notes.push(format!("Total: {} million TIV.", answer.total_tiv));
    let mut listing = Listing::new(
        vec!["group", "deals", "TIV (m)", "estimated deals"],
        &answer.rows,
    )?;
    listing.rows = answer
        .rows
        .iter()
        .map(|r| {
            vec![
                r.key.clone(),
                r.deals.to_string(),
                r.tiv.to_string(),
                blank_if_zero(r.estimated_deals),
            ]
        })
        .collect();
    listing.json = with_notes(serde_json::to_value(&answer)?, &notes, &answer.release);
    listing.notes = notes;
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}

pub async fn diff(store: &Store, args: DiffArgs) -> anyhow::Result<()> {
    let answer = store
        .diff_releases(
            &ReleaseChoice::Sipri(args.from_release.clone()),
            &ReleaseChoice::Sipri(args.to_release.clone()),
        )
        .await?;
    let mut notes = source_notes(&answer.to);
    notes.insert(
        0,
        format!(
            "From release {} to {}: {} added, {} removed, {} changed, {} unchanged.",
            answer.from.name,
            answer.to.name,
            answer.added.len(),
            answer.removed.len(),
            answer.changed.len(),
            answer.unchanged
        ),
    );
    if answer.from.format != answer.to.format {
        notes.push(format!(
            "The two releases are in different export formats ({} and {}): records are matched by supplier, recipient, designation and order year.",
            answer.from.format, answer.to.format
        ));
    }
    let mut listing = Listing::new(
        vec![
            "change",
            "ordered",
            "supplier",
            "recipient",
            "designation",
            "fields",
        ],
        &[0u8; 0],
    )?;
    let row = |what: &str, t: &armtrace_store::TransferRow, fields: String| {
        vec![
            what.to_string(),
            t.order_year.map(|y| y.to_string()).unwrap_or_default(),
            t.supplier.clone(),
            t.recipient.clone(),
            t.designation.clone(),
            fields,
        ]
    };
    listing
        .rows
        .extend(answer.added.iter().map(|t| row("added", t, String::new())));
    listing.rows.extend(
        answer
            .removed
            .iter()
            .map(|t| row("removed", t, String::new())),
    );
    listing.rows.extend(
        answer
            .changed
            .iter()
            .map(|c| row("changed", &c.after, c.fields.join(", "))),
    );
    listing.json = with_notes(serde_json::to_value(&answer)?, &notes, &answer.to);
    listing.notes = notes;
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}
