//! The reference listings: `countries`, `models`, `categories`.

use crate::cli::{CategoriesArgs, CountriesArgs, EmbargoesArgs, SearchArgs};
use crate::output::{Listing, opt, print};
use armtrace_app::App;

pub async fn countries(app: &App, args: CountriesArgs) -> anyhow::Result<()> {
    let countries = app
        .countries(args.search.search.as_deref(), args.historic)
        .await;
    app.close().await;
    let countries = countries?;
    let mut listing = Listing::new(
        vec![
            "code",
            "name",
            "alpha2",
            "alpha3",
            "numeric",
            "existed",
            "historic",
            "also known as",
        ],
        &countries,
    )?;
    listing.rows = countries
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.name.clone(),
                opt(&c.alpha2),
                opt(&c.alpha3),
                opt(&c.numeric),
                c.validity(),
                if c.historic {
                    "yes".into()
                } else {
                    String::new()
                },
                c.aliases.join("; "),
            ]
        })
        .collect();
    listing.notes.push(
        "Codes: ISO alpha-3 for current states, ISO 3166-3 alpha-4 for former ones, X… for states ISO never listed."
            .into(),
    );
    print(&listing, args.search.format.format)
}

pub async fn models(app: &App, args: SearchArgs) -> anyhow::Result<()> {
    let models = app.models(args.search.as_deref()).await;
    app.close().await;
    let models = models?;
    let mut listing = Listing::new(
        vec![
            "designation",
            "category",
            "calibre",
            "designed in",
            "family",
            "source grade",
            "also known as",
        ],
        &models,
    )?;
    listing.rows = models
        .iter()
        .map(|m| {
            vec![
                m.designation.clone(),
                m.category
                    .clone()
                    .or_else(|| m.category_as_written.clone())
                    .unwrap_or_default(),
                opt(&m.calibre),
                m.country_of_design_as_written.clone().unwrap_or_default(),
                opt(&m.family),
                m.source.reliability.to_string(),
                m.aliases.join("; "),
            ]
        })
        .collect();
    listing.notes.push(
        "A starter catalogue: each row keeps its source (--format json); empty means the source did not say.".into(),
    );
    print(&listing, args.format.format)
}

pub async fn categories(app: &App, args: CategoriesArgs) -> anyhow::Result<()> {
    let categories = app.categories(args.scheme.as_deref()).await;
    app.close().await;
    let categories = categories?;
    let mut listing = Listing::new(vec!["scheme", "code", "name", "parent"], &categories)?;
    listing.rows = categories
        .iter()
        .map(|c| {
            vec![
                c.scheme.to_string(),
                c.code.clone(),
                c.name.clone(),
                opt(&c.parent),
            ]
        })
        .collect();
    print(&listing, args.format.format)
}

pub async fn factory_codes(app: &App, args: SearchArgs) -> anyhow::Result<()> {
    let codes = app.factory_codes(args.search.as_deref()).await;
    app.close().await;
    let codes = codes?;
    let mut listing = Listing::new(
        vec![
            "code",
            "symbol",
            "country",
            "manufacturer",
            "used on",
            "source grade",
            "source",
            "notes",
        ],
        &codes,
    )?;
    listing.rows = codes
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.symbol.map(|s| s.to_string()).unwrap_or_default(),
                c.country
                    .clone()
                    .unwrap_or_else(|| c.country_as_written.clone()),
                c.manufacturer.clone(),
                opt(&c.used_on),
                c.source.reliability.to_string(),
                c.source.citation.clone(),
                opt(&c.notes),
            ]
        })
        .collect();
    listing.notes.push(format!(
        "{} factory codes, each with its source (a code's meaning can depend on the year: see the notes).",
        codes.len()
    ));
    print(&listing, args.format.format)
}

pub async fn embargoes(app: &App, args: EmbargoesArgs) -> anyhow::Result<()> {
    let list = app
        .embargoes(args.target.as_deref(), args.in_force.as_deref())
        .await;
    app.close().await;
    let list = list?;
    let mut listing = Listing::new(
        vec![
            "target",
            "imposed by",
            "decision",
            "start",
            "end",
            "status",
            "scope",
            "source",
        ],
        &list,
    )?;
    let d = |v: &Option<armtrace_core::PartialDate>| v.map(|x| x.to_string()).unwrap_or_default();
    listing.rows = list
        .iter()
        .map(|e| {
            vec![
                e.target.clone(),
                e.imposed_by.clone(),
                opt(&e.establishing_decision),
                d(&e.start),
                d(&e.end),
                e.status.clone(),
                opt(&e.scope),
                e.source.citation.clone(),
            ]
        })
        .collect();
    listing.notes.push(format!(
        "{} embargoes. An empty end means in force per the source, or no end was found: check the status and the source before relying on it.",
        list.len()
    ));
    print(&listing, args.format.format)
}
