//! The country locator: building it from the shipped map, and lookups through its R-tree against
//! a scan of every polygon, on the same random points (uniform in latitude and longitude, from a
//! fixed seed, so every run uses the same points).

use crate::scale::{Rng, percentiles};
use crate::timed;
use armtrace_ingest::geo::CountryLocator;
use std::time::{Duration, Instant};

pub fn run(points: usize) -> anyhow::Result<()> {
    anyhow::ensure!(points > 0, "give a number of points above 0");
    let map = armtrace_refdata::COUNTRIES_50M_TOPOJSON;
    let mut builds = Vec::new();
    let mut locator = None;
    for _ in 0..5 {
        let (l, d) = timed(|| CountryLocator::from_topojson(map));
        builds.push(d);
        locator = Some(l?);
    }
    let Some(locator) = locator else {
        anyhow::bail!("no locator built");
    };
    builds.sort();
    println!(
        "country locator, Natural Earth 1:50m ({} countries, {:.0} KiB of TopoJSON)",
        locator.countries().len(),
        map.len() as f64 / 1024.0
    );
    println!(
        "  build from the embedded text: {:.1} ms (median of 5)",
        builds[2].as_secs_f64() * 1e3
    );

    let mut rng = Rng(0x6e0);
    let unit = |r: &mut Rng| (r.next() >> 11) as f64 / (1u64 << 53) as f64;
    let pts: Vec<(f64, f64)> = (0..points)
        .map(|_| {
            (
                unit(&mut rng) * 180.0 - 90.0,
                unit(&mut rng) * 360.0 - 180.0,
            )
        })
        .collect();

    let per_lookup = |f: &dyn Fn(f64, f64) -> bool| -> (Vec<Duration>, usize) {
        let mut times = Vec::with_capacity(pts.len());
        let mut hits = 0;
        for &(lat, lon) in &pts {
            let t = Instant::now();
            hits += usize::from(f(lat, lon));
            times.push(t.elapsed());
        }
        (times, hits)
    };
    let report = |name: &str, (times, hits): (Vec<Duration>, usize)| {
        let total: Duration = times.iter().sum();
        let (p50, p95) = percentiles(times);
        println!(
            "  {name}: p50 {:.2} µs, p95 {:.2} µs, total {:.3} s; {hits} of {points} in a country",
            p50 * 1e3,
            p95 * 1e3,
            total.as_secs_f64()
        );
    };
    report(
        "locate, R-tree, exact point",
        per_lookup(&|lat, lon| locator.locate(lat, lon, None).country.is_some()),
    );
    report(
        "locate, R-tree, 10 km radius",
        per_lookup(&|lat, lon| locator.locate(lat, lon, Some(10_000)).country.is_some()),
    );
    report(
        "baseline: scan every polygon",
        per_lookup(&|lat, lon| locator.locate_by_scan(lat, lon).is_some()),
    );
    let disagree = pts
        .iter()
        .filter(|&&(lat, lon)| {
            locator.locate(lat, lon, None).country.as_ref() != locator.locate_by_scan(lat, lon)
        })
        .count();
    println!("  R-tree and scan disagree on {disagree} of {points} points");
    Ok(())
}
