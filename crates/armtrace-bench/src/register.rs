//! The full SIPRI 2025 register (29.5k records): parse, then write, on each backend.

use crate::{analyst, backends, fresh_store, rate, secs, timed};
use armtrace_ingest::sipri::{Lookup, parse};
use armtrace_ingest::{IngestError, NoProgress, sha256_hex};
use armtrace_store::ReleaseSpec;
use std::path::PathBuf;
use std::time::Instant;

pub async fn run() -> anyhow::Result<()> {
    let dir = std::env::var_os("ARMTRACE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join("sipri/sipri_trade_register_all_years_generated_2025-03-13.csv");
    let Ok(bytes) = std::fs::read(&path) else {
        println!(
            "SKIPPED register: {} is absent (set ARMTRACE_SHARED_DATA)",
            path.display()
        );
        return Ok(());
    };
    let set = armtrace_refdata::load()?;
    let resolver = set.resolver();
    let lookup = Lookup {
        resolver: &resolver,
        categories: armtrace_refdata::category_index(&set.categories),
        description_categories: armtrace_refdata::sipri_description_categories()?,
    };
    let (export, parse_time) = timed(|| parse("register.csv", &bytes, &lookup, &mut NoProgress));
    let export = export?;
    let n = export.transfers.len() as u64;
    println!("SIPRI 2025 register: {n} records, {} bytes", bytes.len());
    println!(
        "  parse + resolve names: {:.3} s ({})",
        secs(parse_time),
        rate(n, parse_time)
    );
    for db in backends("bench_register").await {
        let store = fresh_store(&db).await?;
        let spec = ReleaseSpec {
            source: "sipri".into(),
            name: export.generated.to_string(),
            format: export.format.as_str().into(),
            selection: None,
        };
        let batches = export
            .transfers
            .chunks(5_000)
            .map(|c| Ok::<_, IngestError>(c.to_vec()));
        let t = Instant::now();
        let report = store
            .import_transfers(
                &analyst(),
                &spec,
                "register.csv",
                &sha256_hex(&bytes),
                batches,
                &mut |_| {},
            )
            .await?;
        let write = t.elapsed();
        let total = write + parse_time;
        println!(
            "  {}: write {:.3} s ({}), parse + write {:.3} s ({}); {} transfers",
            db.backend(),
            secs(write),
            rate(n, write),
            secs(total),
            rate(n, total),
            report.added
        );
        store.close().await;
    }
    Ok(())
}
