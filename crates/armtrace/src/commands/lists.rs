//! The reference listings: `countries`, `models`, `categories`.

use super::parse_arg;
use crate::cli::{CategoriesArgs, CountriesArgs, SearchArgs};
use crate::output::{Listing, opt, print};
use armtrace_core::category::CategoryScheme;
use armtrace_store::Store;

pub async fn countries(store: &Store, args: CountriesArgs) -> anyhow::Result<()> {
    let mut countries = store.countries(args.search.search.as_deref()).await?;
    if args.historic {
        countries.retain(|c| c.historic);
    }
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
    print(&listing, args.search.format.format)?;
    store.close().await;
    Ok(())
}

pub async fn models(store: &Store, args: SearchArgs) -> anyhow::Result<()> {
    let models = store.models(args.search.as_deref()).await?;
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
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}

pub async fn categories(store: &Store, args: CategoriesArgs) -> anyhow::Result<()> {
    let mut categories = store.categories().await?;
    if let Some(s) = &args.scheme {
        let scheme: CategoryScheme = parse_arg("--scheme", s)?;
        categories.retain(|c| c.scheme == scheme);
    }
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
    print(&listing, args.format.format)?;
    store.close().await;
    Ok(())
}
