//! `items N`: N SYNTHETIC documented weapons (three markings each) in one investigation, with an
//! evidence link for every fifth, on SQLite and PostgreSQL. Then the first page of `items list`
//! with two filters and a count by country of manufacture with one filter (p50/p95), against the
//! listing before this change (every item, marking and link read and filtered in Rust, kept as
//! `Store::legacy_items`) in the same run.

use crate::scale::percentiles;
use crate::{analyst, backends, fresh_store, rate, secs};
use armtrace_core::Id;
use armtrace_core::actor::Party;
use armtrace_core::evidence::{Collection, EvidenceAnchor};
use armtrace_core::item::{
    Acquisition, AcquisitionRoute, Basis, IdentificationBasis, IdentificationDraft, ItemDraft,
    ModelRef, Place, VerificationStatus,
};
use armtrace_core::marking::{Marking, MarkingPosition, Script};
use armtrace_store::{ItemFilter, ItemGroup, NewEvidence, Store};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const INVESTIGATION: &str = "SYNTHETIC benchmark investigation";
const MADE_IN: [&str; 20] = [
    "CHN", "SUHH", "RUS", "BGR", "ROU", "HUN", "YUCS", "CSHH", "POL", "DDDE", "EGY", "PAK", "IRN",
    "PRK", "USA", "BEL", "DEU", "FRA", "GBR", "ITA",
];
const MODELS: [(&str, &str); 6] = [
    ("Type 56", "salw.sa.assault_rifle"),
    ("AKM", "salw.sa.assault_rifle"),
    ("AK-47", "salw.sa.assault_rifle"),
    ("PK", "salw.lw.general_purpose_machine_gun"),
    ("RPG-7", "salw.lw.portable_rocket_launcher"),
    ("DShK", "salw.lw.heavy_machine_gun"),
];
const SEEN: [&str; 6] = ["IRQ", "SYR", "IRQ", "IRQ", "SYR", "LBY"];

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

fn draft(n: u64, rng: &mut Rng) -> ItemDraft {
    let (model, category) = rng.pick(&MODELS);
    let country = rng.pick(&SEEN);
    let year = 1955 + (rng.next() % 60) as i32;
    let serial = format!("{:07}", rng.next() % 10_000_000);
    let marking = |pos, script, text: &str| {
        Marking::with_mask(pos, script, text, None).unwrap_or_else(|e| panic!("{e}"))
    };
    ItemDraft {
        reference: Some(format!("SYN-{n:07}")),
        description: None,
        identification: Some(IdentificationDraft {
            model: Some(ModelRef {
                id: Id::for_reference("weapon_model", model),
                designation: model.into(),
                category: Some(category.into()),
            }),
            country_of_manufacture: Some(rng.pick(&MADE_IN).into()),
            year_of_manufacture: year.to_string().parse().ok(),
            basis: IdentificationBasis::Markings,
            notes: None,
        }),
        markings: vec![
            marking(MarkingPosition::Receiver, Script::Latin, &serial),
            marking(MarkingPosition::Receiver, Script::Digits, "66"),
            marking(MarkingPosition::Receiver, Script::Latin, &year.to_string()),
        ],
        place: Some(Place {
            lat: None,
            lon: None,
            precision_m: None,
            name: Some(format!("Synthetic place {}", rng.next() % 500)),
            country: Some(country.into()),
        }),
        country_basis: None,
        location_sensitive: false,
        date: format!("{}-{:02}", 2014 + rng.next() % 4, 1 + rng.next() % 12)
            .parse()
            .ok(),
        possessor: Some(if rng.next().is_multiple_of(4) {
            Party::Unknown
        } else {
            Party::Actor("isil".into())
        }),
        acquisition: Some(Acquisition {
            route: rng.pick(&[
                AcquisitionRoute::LootedFromStocks,
                AcquisitionRoute::CapturedInBattle,
                AcquisitionRoute::Unknown,
            ]),
            basis: Basis::Reported,
            event: None,
        }),
        notes: Some("SYNTHETIC: made up by armtrace-bench".into()),
        source: "armtrace-bench (synthetic)".into(),
    }
}

fn evidence(n: u64) -> NewEvidence {
    NewEvidence {
        sha256: format!(
            "{:064x}",
            n.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 | (n as u128) << 64
        ),
        size: 1000,
        media_type: "image/jpeg".into(),
        original_name: Some(format!("synthetic-{n}.jpg")),
        collection: Collection::default(),
        exif_capture_time: None,
        exif_gps: None,
        exif_camera: None,
        warnings: vec![],
        width: None,
        height: None,
        perceptual_hash: None,
    }
}

async fn timings<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(Vec<Duration>, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut v = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await?);
        v.push(t.elapsed());
    }
    Ok((v, last.ok_or_else(|| anyhow::anyhow!("no runs"))?))
}

pub async fn run(n: u64) -> anyhow::Result<()> {
    println!(
        "items: {n} SYNTHETIC documented weapons (3 markings each, {} evidence links) in one investigation",
        n / 5
    );
    for db in backends("bench_items").await {
        let store = fresh_store(&db).await?;
        let by = analyst();
        store
            .add_investigation(&by, INVESTIGATION, Some("SYNTHETIC"))
            .await?;
        let t = Instant::now();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let chunk = 10_000;
        let mut done = 0;
        while done < n {
            let drafts: Vec<(u64, ItemDraft)> = (done..(done + chunk).min(n))
                .map(|i| (i + 1, draft(i, &mut rng)))
                .collect();
            store
                .import_items(
                    &by,
                    INVESTIGATION,
                    "synthetic-items.jsonl",
                    &format!("{done}"),
                    &drafts,
                )
                .await?;
            done += drafts.len() as u64;
        }
        let imported = t.elapsed();
        let t = Instant::now();
        // Ten files on every fiftieth weapon: one link per five weapons.
        let mut e = 0;
        for i in (0..n).step_by(50) {
            let files: Vec<NewEvidence> = (0..10).map(|k| evidence(e + k)).collect();
            e += 10;
            store
                .add_evidence(
                    &by,
                    None,
                    Some(&format!("SYN-{i:07}")),
                    &EvidenceAnchor::Whole,
                    &files,
                )
                .await?;
        }
        let linked = t.elapsed();
        // Some sightings of one weapon, and some reviews.
        for i in (1..n.min(20_000)).step_by(100) {
            store
                .merge_items(
                    &by,
                    &format!("SYN-{:07}", i - 1),
                    &[format!("SYN-{i:07}")],
                    None,
                )
                .await?;
        }
        store.analyze().await?;
        println!(
            "  {}: {n} items imported in {:.1} s ({}); {e} evidence links in {:.1} s",
            db.backend(),
            secs(imported),
            rate(n, imported),
            secs(linked)
        );
        let two = ItemFilter {
            made_in: Some("CHN".into()),
            country: Some("SYR".into()),
            ..Default::default()
        };
        let (page, first) = timings(40, || async {
            Ok(store.items_page(&by, &two, None, 50, None).await?)
        })
        .await?;
        let (p50, p95) = percentiles(page);
        println!(
            "  {}: first page (50) of items list, made in China and seen in Syria: p50 {p50:.2} ms, p95 {p95:.2} ms (target p95 < 20 ms)",
            db.backend()
        );
        let (legacy, all) =
            timings(3, || async { Ok(store.legacy_items(&by, &two).await?) }).await?;
        let (l50, l95) = percentiles(legacy);
        let same = all
            .iter()
            .take(50)
            .map(|s| &s.reference)
            .eq(first.items.iter().map(|s| &s.reference));
        println!(
            "  {}:   baseline, the listing before this change (read all, filter in Rust): p50 {l50:.0} ms, p95 {l95:.0} ms; same first page: {same}",
            db.backend()
        );
        let one = ItemFilter {
            country: Some("SYR".into()),
            ..Default::default()
        };
        let (counts, c) = timings(20, || async {
            Ok(store.item_counts(&by, &one, ItemGroup::MadeIn).await?)
        })
        .await?;
        let (c50, c95) = percentiles(counts);
        println!(
            "  {}: count by country of manufacture, seen in Syria: p50 {c50:.1} ms, p95 {c95:.1} ms (target p95 < 200 ms); {} weapons in {} groups",
            db.backend(),
            c.total,
            c.groups.len()
        );
        // The same count the old way: every matching sighting listed, a weapon counted once per
        // country of manufacture its matching sightings give.
        let sightings = ItemFilter {
            sightings: true,
            ..one.clone()
        };
        let (legacy, grouped) = timings(3, || async {
            let all = store.legacy_items(&by, &sightings).await?;
            let mut g: BTreeMap<Option<String>, std::collections::BTreeSet<String>> =
                BTreeMap::new();
            for s in &all {
                let weapon = s.merged_into.clone().unwrap_or_else(|| s.reference.clone());
                g.entry(s.made_in.clone()).or_default().insert(weapon);
            }
            Ok(g.into_iter()
                .map(|(k, v)| (k, v.len() as u64))
                .collect::<BTreeMap<_, _>>())
        })
        .await?;
        let (l50, l95) = percentiles(legacy);
        let agree = c
            .groups
            .iter()
            .all(|x| grouped.get(&x.key) == Some(&x.weapons));
        println!(
            "  {}:   baseline, listing all and grouping in Rust: p50 {l50:.0} ms, p95 {l95:.0} ms; same counts: {agree}",
            db.backend()
        );
        let verified = ItemFilter {
            status: Some(VerificationStatus::Verified),
            ..Default::default()
        };
        let (status_counts, _) = timings(20, || async {
            Ok(store
                .item_counts(&by, &verified, ItemGroup::Category)
                .await?)
        })
        .await?;
        let (s50, s95) = percentiles(status_counts);
        println!(
            "  {}: count by category, verified only: p50 {s50:.1} ms, p95 {s95:.1} ms",
            db.backend()
        );
        let _: &Store = &store;
        store.close().await;
    }
    Ok(())
}
