//! `audit N`: deep verification of a log of N entries, one per documented item (each written by
//! the store's own `add_item`, so each entry signs its own checkpoint), against the time to simply
//! re-hash the chain, in the same run. Peak memory is the process's high-water mark after each.

use crate::{analyst, backends, fresh_store, secs, timed};
use armtrace_core::audit::AuditSigner;
use armtrace_core::item::{ItemDraft, Place};
use armtrace_store::AuditKey;
use std::time::Instant;

fn draft(n: usize) -> ItemDraft {
    ItemDraft {
        reference: Some(format!("SYN-{n}")),
        description: Some("synthetic rifle".into()),
        identification: None,
        markings: vec![],
        place: Some(Place {
            lat: Some(36.0 + (n % 1000) as f64 / 1000.0),
            lon: Some(43.0),
            precision_m: Some(20),
            name: None,
            country: None,
        }),
        country_basis: None,
        location_sensitive: true,
        date: None,
        possessor: None,
        acquisition: None,
        notes: None,
        source: "armtrace-bench".into(),
    }
}

/// The process's peak resident memory so far, in MiB (Linux).
fn peak_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or("?".into(), |kb| format!("{:.0} MiB", kb / 1024.0))
}

pub async fn run(n: usize) -> anyhow::Result<()> {
    for db in backends("bench_audit").await {
        let store = fresh_store(&db).await?;
        store
            .add_investigation(&analyst(), "Synthetic", None)
            .await?;
        let t = Instant::now();
        for i in 0..n {
            store.add_item(&analyst(), "Synthetic", &draft(i)).await?;
        }
        let built = t.elapsed();
        println!(
            "{}: {n} items written with add_item, one signed entry each, in {:.1} s ({:.2} ms per write)",
            db.backend(),
            secs(built),
            built.as_secs_f64() * 1000.0 / n.max(1) as f64
        );
        let key = AuditKey::new(AuditSigner::from_secret([9; 32]), None);
        let t = Instant::now();
        let v = store.verify_audit(&key, true).await?;
        let deep = t.elapsed();
        println!(
            "  audit verify --deep: {:.2} s, {} entries, {} checkpoints, {} records, ok {}; peak memory {}",
            secs(deep),
            v.entries,
            v.checkpoints,
            v.records_checked.unwrap_or(0),
            v.ok(),
            peak_mib()
        );
        let t = Instant::now();
        store.verify_audit(&key, false).await?;
        let t_shallow = t.elapsed();
        println!(
            "  audit verify (chain and checkpoints): {:.2} s",
            secs(t_shallow)
        );
        let t = Instant::now();
        let entries = armtrace_store::testing::entries(&store).await?;
        let (hashed, hash_only) = timed(|| {
            entries
                .iter()
                .filter(|e| e.compute_hash() == e.hash)
                .count()
        });
        let rehash = t.elapsed();
        drop(entries);
        println!(
            "  baseline, re-hashing the chain (all entries read at once): {:.2} s ({:.2} s of it hashing), {} entries; peak memory {}",
            secs(rehash),
            secs(hash_only),
            hashed,
            peak_mib()
        );
        store.close().await;
    }
    Ok(())
}
