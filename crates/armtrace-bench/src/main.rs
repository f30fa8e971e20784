//! armtrace's benchmarks: a binary that prints its figures, each next to its baseline measured in
//! the same run. `cargo run --release -p armtrace-bench -- help` lists them.
//!
//! Data: the full SIPRI registers from `../shared/data` (skipped, with a message, when absent) and
//! synthetic native transfers that this program generates (their files say "synthetic" in their
//! names). PostgreSQL figures need `ARMTRACE_TEST_PG` to hold a URL (`ARMTRACE_BENCH_SQLITE_ONLY=1` skips them;
//! `ARMTRACE_BENCH_POSTGRES_ONLY=1` skips SQLite).

#![allow(clippy::print_stdout, clippy::print_stderr)] // A benchmark's job is to print figures.

mod audit;
mod evidence;
mod geo;
mod items;
mod parse;
mod phash;
mod register;
mod scale;
mod serial;

/// The same allocator as the `armtrace` binary, so that the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use armtrace_core::access::Identity;
use armtrace_core::audit::AuditSigner;
use armtrace_store::testing::TestDb;
use armtrace_store::{AuditKey, OpenMode, Store};
use std::time::{Duration, Instant};

const HELP: &str = "usage: armtrace-bench <benchmark>
  register           import the full SIPRI 2025 register (29.5k records) into SQLite and PostgreSQL
  native ROWS [DIR]  import ROWS synthetic native transfers (CSV) into SQLite and PostgreSQL, against
                     `sqlite3 .import` and psql `\\copy` of the same CSV; then time the queries
                     (suppliers of one recipient, volumes filtered to one recipient or supplier:
                     p50/p95 over 50 runs; unfiltered volumes by year against the same GROUP BY in
                     the sqlite3 shell). DIR keeps the files (default: a temporary directory).
  parse ROWS [DIR]   the native parser alone (no database) on the same ROWS synthetic transfers:
                     into transfers on one thread, then parsing and encoding into segments as
                     imports do, on every core (ARMTRACE_BENCH_THREADS sets how many); time and
                     rows/s. DIR keeps the CSV (default: a temporary directory).
  geo [POINTS]       build the country locator from the shipped 1:50m map, then locate POINTS
                     random points (default 100 000; p50/p95 per lookup, exact and with a 10 km
                     radius) against a scan of every polygon without the R-tree
  phash [N]          near-duplicate search over N synthetic random 64-bit perceptual hashes
                     (default 1000000): build time, then p50/p95 per query at thresholds 8, 10
                     and 12 bits for the multi-index HashIndex against a linear scan and a BK-tree
  items [N]          N SYNTHETIC documented weapons (default 1000000; 3 markings each, a link to
                     evidence for every fifth) on SQLite and PostgreSQL: first page of items list
                     with two filters and counts by group with one filter (p50/p95), against the
                     listing before item queries moved into SQL (read all, filter in Rust)
  evidence [N] [DIR] inspect + put N synthetic 12 MP phone JPEGs (default 1000, ~4 GB of disk)
                     into a fresh evidence folder on all cores, against `sha256sum` of the same
                     files; then verify. DIR keeps the files (default: a temporary directory).
  audit [N]          audit verify --deep over N entries (default 1000000), one per documented item
                     written by add_item (each signing its own checkpoint), against re-hashing the
                     chain in the same run; time and peak memory
  serial [N]         the serial index over N synthetic serials (default 5000000): build time,
                     bytes per serial, adding 10k, save/load, p50/p95 of exact, confusable, one ?,
                     2 edits, 5-character fragment and range queries, against the same queries in
                     the sqlite3 shell and PostgreSQL with a pg_trgm GIN index (at ARMTRACE_TEST_PG,
                     default postgres://root@127.0.0.1:5432/test; ARMTRACE_BENCH_SERIAL_ONLY=1
                     skips both baselines)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match args.first().map(String::as_str) {
            Some("register") => register::run().await,
            Some("geo") => {
                let points: usize = args
                    .get(1)
                    .and_then(|s| s.replace('_', "").parse().ok())
                    .unwrap_or(100_000);
                geo::run(points)
            }
            Some("native") => {
                let rows: u64 = args
                    .get(1)
                    .and_then(|s| s.replace('_', "").parse().ok())
                    .unwrap_or(100_000);
                scale::run(rows, args.get(2).map(std::path::PathBuf::from)).await
            }
            Some("parse") => parse::run(
                count(args.get(1), 100_000) as u64,
                args.get(2).map(std::path::PathBuf::from),
            ),
            Some("serial") => serial::run(count(args.get(1), 5_000_000)),
            Some("phash") => phash::run(count(args.get(1), 1_000_000)),
            Some("items") => items::run(count(args.get(1), 1_000_000) as u64).await,
            Some("evidence") => {
                evidence::run(
                    count(args.get(1), 1_000),
                    args.get(2).map(std::path::PathBuf::from),
                )
                .await
            }
            Some("audit") => audit::run(count(args.get(1), 1_000_000)).await,
            _ => {
                println!("{HELP}");
                Ok(())
            }
        }
    })
}

/// A count argument (`1_000_000` or `1000000`), or the default.
fn count(arg: Option<&String>, default: usize) -> usize {
    arg.and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The analyst benchmarks act as.
pub(crate) fn analyst() -> Identity {
    Identity::user("bench")
}

/// A fresh store with reference data, acting as `bench`.
pub(crate) async fn fresh_store(db: &TestDb) -> anyhow::Result<Store> {
    let key = AuditSigner::from_secret([9; 32]);
    let s = Store::open(&db.location, OpenMode::CreateOrMigrate)
        .await?
        .with_signer(AuditKey::new(key.clone(), None));
    s.bootstrap("bench", &key).await?;
    s.load_reference(&armtrace_refdata::load()?, &analyst())
        .await?;
    Ok(s)
}

/// Backends to measure: SQLite, and PostgreSQL when a URL is given.
pub(crate) async fn backends(name: &str) -> Vec<TestDb> {
    let mut v = Vec::new();
    if std::env::var("ARMTRACE_BENCH_POSTGRES_ONLY").is_err() {
        v.push(TestDb::sqlite());
    }
    if std::env::var("ARMTRACE_BENCH_SQLITE_ONLY").is_err() {
        v.extend(TestDb::postgres(name).await);
    }
    v
}

pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub(crate) fn rate(n: u64, d: Duration) -> String {
    let r = n as f64 / d.as_secs_f64().max(1e-9);
    if r >= 1e6 {
        format!("{:.2}M/s", r / 1e6)
    } else {
        format!("{:.0}k/s", r / 1e3)
    }
}

pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}
