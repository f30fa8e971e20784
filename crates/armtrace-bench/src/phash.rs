//! Near-duplicate search over synthetic random 64-bit perceptual hashes: the multi-index
//! `HashIndex` against the linear scan and a BK-tree, on the same queries (half of them
//! perturbed copies of indexed hashes, half random), p50/p95 per query.

use crate::scale::{Rng, percentiles};
use crate::secs;
use armtrace_core::phash::{HashIndex, hamming, linear_within, near_duplicates};
use std::time::{Duration, Instant};

const QUERIES: usize = 400;

pub fn run(n: usize) -> anyhow::Result<()> {
    let mut rng = Rng(0x0bad_5eed);
    let items: Vec<(u32, u64)> = (0..n as u32).map(|i| (i, rng.next())).collect();
    println!("SYNTHETIC perceptual hashes: {n} random 64-bit values");

    let t = Instant::now();
    let index = HashIndex::new(items.iter().copied());
    let build = t.elapsed();
    let t = Instant::now();
    let bk = BkTree::new(&items);
    let bk_build = t.elapsed();
    println!(
        "  build: multi-index {:.2} s (~{} MB); BK-tree {:.2} s",
        secs(build),
        (n * (4 + 8 + 4 * 12) + 4 * 65_537 * 4) / 1_000_000,
        secs(bk_build)
    );

    let queries: Vec<u64> = (0..QUERIES)
        .map(|q| {
            if q % 2 == 0 {
                // An indexed hash with up to 8 bits changed: a re-posted copy.
                let mut h = items[rng.below(n as u64) as usize].1;
                for _ in 0..rng.below(9) {
                    h ^= 1 << rng.below(64);
                }
                h
            } else {
                rng.next()
            }
        })
        .collect();

    for threshold in [8, 10, 12] {
        let mut mismatches = 0;
        let mut found = 0;
        let (mut idx_t, mut lin_t, mut bk_t) = (Vec::new(), Vec::new(), Vec::new());
        for &q in &queries {
            let t = Instant::now();
            let a = index.within(q, threshold);
            idx_t.push(t.elapsed());
            let t = Instant::now();
            let b = linear_within(&items, q, threshold);
            lin_t.push(t.elapsed());
            let t = Instant::now();
            let c = bk.within(q, threshold);
            bk_t.push(t.elapsed());
            found += a.len();
            if a != b || c != a.len() {
                mismatches += 1;
            }
        }
        let show = |v: Vec<Duration>| {
            let (p50, p95) = percentiles(v);
            format!("p50 {p50:.3} ms, p95 {p95:.3} ms")
        };
        println!(
            "  threshold {threshold} bits, {QUERIES} queries ({found} matches, {mismatches} disagreements):"
        );
        println!("    multi-index hashing: {}", show(idx_t));
        println!("    baseline linear scan: {}", show(lin_t));
        println!("    BK-tree:              {}", show(bk_t));
    }

    let m = n.min(100_000);
    let t = Instant::now();
    let (pairs, groups) = near_duplicates(&items[..m], 10);
    println!(
        "  near_duplicates over the first {m} hashes, threshold 10: {:.2} s ({} pairs, {} groups)",
        secs(t.elapsed()),
        pairs.len(),
        groups.len()
    );
    Ok(())
}

/// A plain BK-tree (Burkhard–Keller) over Hamming distance, for comparison only.
struct BkTree {
    /// (hash, children as (distance to this node, child node)).
    nodes: Vec<(u64, Vec<(u32, u32)>)>,
}

impl BkTree {
    fn new(items: &[(u32, u64)]) -> BkTree {
        let mut nodes: Vec<(u64, Vec<(u32, u32)>)> = Vec::with_capacity(items.len());
        for &(_, h) in items {
            if nodes.is_empty() {
                nodes.push((h, Vec::new()));
                continue;
            }
            let mut at = 0;
            loop {
                let d = hamming(nodes[at].0, h);
                match nodes[at].1.iter().find(|c| c.0 == d) {
                    Some(&(_, child)) => at = child as usize,
                    None => {
                        let id = nodes.len() as u32;
                        nodes[at].1.push((d, id));
                        nodes.push((h, Vec::new()));
                        break;
                    }
                }
            }
        }
        BkTree { nodes }
    }

    /// Number of hashes within `r` (duplicates of a node's hash sit at distance 0 below it).
    fn within(&self, q: u64, r: u32) -> usize {
        if self.nodes.is_empty() {
            return 0;
        }
        let mut count = 0;
        let mut stack = vec![0u32];
        while let Some(n) = stack.pop() {
            let (h, children) = &self.nodes[n as usize];
            let d = hamming(*h, q);
            if d <= r {
                count += 1;
            }
            for &(cd, child) in children {
                if cd + r >= d && cd <= d + r {
                    stack.push(child);
                }
            }
        }
        count
    }
}
