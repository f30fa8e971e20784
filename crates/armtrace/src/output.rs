//! Rendering listings as an aligned table, JSON or CSV. JSON is the stable interface for scripts.

use crate::cli::Format;
use serde::Serialize;
use std::io::Write;

/// A listing: columns and rows for table and CSV, and the full records for JSON.
pub struct Listing {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub json: serde_json::Value,
    /// Lines printed after a table (what the data is and where it comes from).
    pub notes: Vec<String>,
}

impl Listing {
    pub fn new<T: Serialize>(columns: Vec<&'static str>, records: &[T]) -> anyhow::Result<Listing> {
        Ok(Listing {
            columns,
            rows: Vec::new(),
            json: serde_json::to_value(records)?,
            notes: Vec::new(),
        })
    }
}

/// Widest a table cell may be before it is cut (CSV and JSON are never cut).
const MAX_CELL: usize = 48;

pub fn print(listing: &Listing, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &listing.json)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&listing.columns)?;
            for row in &listing.rows {
                w.write_record(row)?;
            }
            w.flush()?;
        }
        Format::Table => {
            write_table(&mut out, &listing.columns, &listing.rows)?;
            for note in &listing.notes {
                writeln!(out, "{note}")?;
            }
        }
    }
    Ok(())
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CELL {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX_CELL - 1).collect();
        format!("{head}…")
    }
}

pub fn write_table(
    out: &mut impl Write,
    columns: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |out: &mut dyn Write, row: &[String]| -> std::io::Result<()> {
        let parts: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        writeln!(out, "{}", parts.join("  ").trim_end())
    };
    let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    line(out, &header)?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule)?;
    for row in &cells {
        line(out, row)?;
    }
    writeln!(
        out,
        "({} {})",
        rows.len(),
        if rows.len() == 1 { "row" } else { "rows" }
    )
}

/// Whether the error is only that the reader of our output went away (`armtrace … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|ce| {
                matches!(ce.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|je| je.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

pub fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}
