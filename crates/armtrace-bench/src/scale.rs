//! Synthetic native transfers at scale: import rows/s into SQLite and PostgreSQL against
//! `sqlite3 .import` and psql `\copy` of the same CSV into an equivalent table, then the query
//! latencies (p50/p95) on the loaded database.

use crate::{analyst, backends, fresh_store, rate, secs};
use armtrace_core::actor::Party;
use armtrace_core::reference::ReferenceSet;
use armtrace_ingest::native::spawn_encoders;
use armtrace_store::testing::TestDb;
use armtrace_store::{
    Location, Period, ReleaseChoice, ReleaseSpec, Store, VolumeGroup, VolumesQuery, YearBasis,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str =
    "record_id,kind,source_type,supplier,recipient,designation,category,year,quantity,tiv";
const CATEGORIES: [&str; 6] = [
    "salw.sa.assault_rifle",
    "salw.lw.hmg",
    "I",
    "II",
    "sipri.aircraft",
    "sipri.missiles",
];

/// A small deterministic generator (SplitMix64), so every run writes the same file.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Threads encoding a native file, as `armtrace import native` uses: one per core, at most eight.
/// `ARMTRACE_BENCH_THREADS` overrides it.
fn threads() -> usize {
    std::env::var("ARMTRACE_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Writes `rows` synthetic native transfers between `codes` to `path`, as CSV.
pub(crate) fn generate(path: &Path, rows: u64, codes: &[String]) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "{HEADER}")?;
    let mut rng = Rng(0x5eed);
    for i in 0..rows {
        let s = &codes[rng.below(codes.len() as u64) as usize];
        let r = &codes[rng.below(codes.len() as u64) as usize];
        writeln!(
            w,
            "S{i},delivery,customs_data,{s},{r},SYN-{},{},{},{},{}.{:03}",
            rng.below(500),
            CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize],
            1950 + rng.below(75),
            1 + rng.below(500),
            rng.below(100),
            rng.below(1000)
        )?;
    }
    w.flush()?;
    Ok(())
}

/// p50 and p95 in milliseconds.
pub(crate) fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.95))
}

/// Runs the sqlite3 shell with `script` on stdin, returning the wall time.
fn sqlite3(db: &Path, script: &str) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "sqlite3 failed");
    Ok(t.elapsed())
}

fn psql(url: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let status = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q"])
        .args(args)
        .stdout(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "psql failed");
    Ok(t.elapsed())
}

/// The synthetic CSV a native benchmark works on, with the reference data it was generated from.
pub(crate) struct Synthetic {
    /// Holds the temporary directory (when no DIR was given) until the benchmark ends.
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) set: ReferenceSet,
    /// The countries the transfers go between: the first 150 current ones.
    pub(crate) codes: Vec<String>,
    pub(crate) csv: PathBuf,
}

impl Synthetic {
    /// Generates `rows` transfers into `keep` (default: a temporary directory), saying how large
    /// the file is.
    pub(crate) fn generate(rows: u64, keep: Option<PathBuf>) -> anyhow::Result<Synthetic> {
        let tmp = tempfile::tempdir()?;
        let dir = keep.unwrap_or_else(|| tmp.path().to_path_buf());
        std::fs::create_dir_all(&dir)?;
        let set = armtrace_refdata::load()?;
        let codes: Vec<String> = set
            .countries
            .iter()
            .filter(|c| !c.historic)
            .map(|c| c.code.clone())
            .take(150)
            .collect();
        let csv = dir.join(format!("synthetic_transfers_{rows}.csv"));
        let t = Instant::now();
        generate(&csv, rows, &codes)?;
        let size = std::fs::metadata(&csv)?.len();
        println!(
            "SYNTHETIC native transfers: {rows} rows, {:.1} MB, generated in {:.1} s ({})",
            size as f64 / 1e6,
            secs(t.elapsed()),
            csv.display()
        );
        Ok(Synthetic {
            _tmp: tmp,
            dir,
            set,
            codes,
            csv,
        })
    }

    /// Times the native parser alone (no database), in batches as imports parse, so memory stays
    /// bounded at any scale.
    pub(crate) fn parse_only(&self) -> anyhow::Result<()> {
        let bytes = std::fs::read(&self.csv)?;
        let resolver = self.set.resolver();
        let lookup = armtrace_ingest::native::Lookup {
            resolver: &resolver,
            categories: armtrace_refdata::category_index(&self.set.categories),
        };
        let t = Instant::now();
        let parsed = armtrace_ingest::native::parse_in_batches(
            "bench.csv",
            &bytes,
            "synthetic",
            &lookup,
            &mut armtrace_ingest::NoProgress,
            20_000,
            &mut |_| true,
        )?;
        let took = t.elapsed();
        println!(
            "  parse into transfers only, one thread (no database): {:.2} s ({})",
            secs(took),
            rate(parsed, took)
        );
        // What imports do: parse and encode into segments, on every core.
        let t = Instant::now();
        let mut records = 0;
        for part in spawn_encoders(
            "bench.csv".into(),
            bytes,
            "synthetic".into(),
            resolver.clone(),
            armtrace_refdata::category_index(&self.set.categories),
            threads(),
        ) {
            if let armtrace_core::segment::Encoded::Segments { records: r, .. } = part? {
                records += r;
            }
        }
        let took = t.elapsed();
        println!(
            "  parse and encode into segments only, {} threads (no database): {:.2} s ({})",
            threads(),
            secs(took),
            rate(records, took)
        );
        Ok(())
    }
}

pub async fn run(rows: u64, keep: Option<PathBuf>) -> anyhow::Result<()> {
    let synthetic = Synthetic::generate(rows, keep)?;
    let Synthetic {
        dir,
        set,
        codes,
        csv,
        ..
    } = &synthetic;
    // Baseline 1: the sqlite3 shell's .import into an equivalent table (the CSV's columns).
    let base = dir.join("baseline_sqlite3.db");
    let _ = std::fs::remove_file(&base);
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TABLE t (record_id TEXT, kind TEXT, source_type TEXT, supplier TEXT, recipient TEXT, designation TEXT, category TEXT, year BIGINT, quantity BIGINT, tiv TEXT);\n.mode csv\n.import --skip 1 {} t\n",
        csv.display()
    );
    let base_time = sqlite3(&base, &script)?;
    println!(
        "  baseline sqlite3 .import: {:.2} s ({})",
        secs(base_time),
        rate(rows, base_time)
    );

    synthetic.parse_only()?;
    for db in backends("bench_native").await {
        let store = fresh_store(&db).await?;
        let bytes = std::fs::read(csv)?;
        let sha = armtrace_ingest::sha256_hex(&bytes);
        let file = csv.display().to_string();
        let spec = ReleaseSpec {
            source: "native".into(),
            name: "synthetic".into(),
            format: "native".into(),
            selection: None,
        };
        let t = Instant::now();
        let parts = spawn_encoders(
            file.clone(),
            bytes,
            "synthetic".into(),
            set.resolver(),
            armtrace_refdata::category_index(&set.categories),
            threads(),
        );
        let report = store
            .import_encoded(&analyst(), &spec, &file, &sha, parts, &mut |_| {})
            .await?;
        let took = t.elapsed();
        println!(
            "  armtrace import into {}: {:.2} s ({}; {} transfers, parsed and encoded on {} threads)",
            db.backend(),
            secs(took),
            rate(report.added, took),
            report.added,
            threads()
        );
        if let Location::Postgres(url) = &db.location {
            // Baseline 2: psql \copy into an equivalent table in the same schema.
            psql(
                url,
                &[
                    "-c",
                    "CREATE TABLE copy_baseline (record_id TEXT, kind TEXT, source_type TEXT, supplier TEXT, recipient TEXT, designation TEXT, category TEXT, year BIGINT, quantity BIGINT, tiv NUMERIC)",
                ],
            )?;
            let took = psql(
                url,
                &[
                    "-c",
                    &format!(
                        "\\copy copy_baseline FROM '{}' WITH (FORMAT csv, HEADER true)",
                        csv.display()
                    ),
                ],
            )?;
            println!(
                "  baseline psql \\copy: {:.2} s ({})",
                secs(took),
                rate(rows, took)
            );
        }
        queries(&store, &db, codes, &base).await?;
        store.close().await;
    }
    Ok(())
}

/// `baseline` is the sqlite3 shell's database of the same CSV, for the unfiltered GROUP BY.
async fn queries(
    store: &Store,
    db: &TestDb,
    codes: &[String],
    baseline: &Path,
) -> anyhow::Result<()> {
    let release = ReleaseChoice::Dataset("synthetic".into());
    let mut rng = Rng(7);
    let (mut sup, mut vol_r, mut vol_s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..50 {
        let party = Party::Country(codes[rng.below(codes.len() as u64) as usize].clone());
        let t = Instant::now();
        store
            .suppliers(&release, &party, YearBasis::Order, Period::default(), None)
            .await?;
        sup.push(t.elapsed());
        for (by_recipient, out) in [(true, &mut vol_r), (false, &mut vol_s)] {
            let q = VolumesQuery {
                by: VolumeGroup::Year,
                basis: YearBasis::Delivery,
                supplier: (!by_recipient).then(|| party.clone()),
                recipient: by_recipient.then(|| party.clone()),
                category: None,
                period: Period::default(),
            };
            let t = Instant::now();
            store.volumes(&release, &q).await?;
            out.push(t.elapsed());
        }
    }
    for (name, v) in [
        ("suppliers of one recipient", sup),
        ("volumes by year, one recipient", vol_r),
        ("volumes by year, one supplier", vol_s),
    ] {
        let (p50, p95) = percentiles(v);
        println!(
            "  {} {name}: p50 {p50:.1} ms, p95 {p95:.1} ms (50 runs)",
            db.backend()
        );
    }
    let all = VolumesQuery {
        by: VolumeGroup::Year,
        basis: YearBasis::Delivery,
        supplier: None,
        recipient: None,
        category: None,
        period: Period::default(),
    };
    let t = Instant::now();
    store.volumes(&release, &all).await?;
    let ours = t.elapsed();
    print!(
        "  {} unfiltered volumes by year: {:.0} ms",
        db.backend(),
        ours.as_secs_f64() * 1e3
    );
    if let Location::Sqlite(_) = &db.location {
        // Deliveries count in their year; every synthetic row is a delivery.
        let sql = "SELECT year, COUNT(*), SUM(CAST(tiv AS REAL)) FROM t WHERE kind IN ('delivery', 'trace_answer') GROUP BY year;\n";
        let empty = sqlite3(baseline, ".quit\n")?;
        let shell = sqlite3(baseline, sql)?.saturating_sub(empty);
        print!(
            "; the same GROUP BY over the .import table in the sqlite3 shell: {:.0} ms (shell start-up subtracted)",
            shell.as_secs_f64() * 1e3
        );
    }
    println!();
    Ok(())
}
