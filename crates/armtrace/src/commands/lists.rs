//! The reference listings: `countries`, `models`, `categories`.

use crate::cli::{CategoriesArgs, CountriesArgs, SearchArgs};
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
