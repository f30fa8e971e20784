//! Perceptual hashes of images and the search for near-duplicates among them: the same photo
//! re-posted, resized or recompressed lands within a few bits of the original.
//!
//! The hash is the DCT hash of pHash (C. Zauner, 2010): the image's luminance is averaged down to
//! a 32×32 grid, transformed with a 2-D DCT-II, and each of the 64 lowest frequencies (rows and
//! columns 1–8; the DC term is skipped) becomes one bit, set when the coefficient is above their
//! median. Decoding the image to luminance is the caller's job ([`perceptual_hash`] takes pixels).
//!
//! [`HashIndex`] answers "which hashes lie within `r` bits of this one" by multi-index hashing
//! (Norouzi et al., 2012): each hash is cut into four 16-bit blocks and indexed once per block. If
//! two hashes differ in at most `r` bits, some block differs in at most `r / 4` bits (pigeonhole),
//! so a query visits only the buckets within `r / 4` bits of its own four blocks and checks the
//! full distance of what it finds there. Unlike a BK-tree it does not degrade towards a full scan
//! on random 64-bit hashes at radius 8–10. [`linear_within`] is the baseline it is tested against.

use std::fmt;

/// Number of bits in which two hashes differ.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Side of the luminance grid the DCT runs over.
const GRID: usize = 32;

/// The 64-bit perceptual hash of an image given as 8-bit luminance, row by row
/// (`luma.len() == width * height`). `None` when the image is empty or the buffer has the wrong
/// size. Any size works; pass a thumbnail (a few hundred pixels wide) rather than a full photo.
pub fn perceptual_hash(width: usize, height: usize, luma: &[u8]) -> Option<u64> {
    if width == 0 || height == 0 || width.checked_mul(height) != Some(luma.len()) {
        return None;
    }
    let grid = area_average(width, height, luma);
    Some(dct_hash(&grid))
}

/// Averages the image down to a GRID×GRID grid; each cell is the mean of the pixels it covers
/// (an image smaller than the grid is stretched with the nearest pixel).
fn area_average(width: usize, height: usize, luma: &[u8]) -> [f64; GRID * GRID] {
    let mut sums = [0f64; GRID * GRID];
    let mut counts = [0u32; GRID * GRID];
    if width >= GRID && height >= GRID {
        for y in 0..height {
            let gy = y * GRID / height;
            let row = &luma[y * width..(y + 1) * width];
            for (x, &v) in row.iter().enumerate() {
                let cell = gy * GRID + x * GRID / width;
                sums[cell] += f64::from(v);
                counts[cell] += 1;
            }
        }
    } else {
        for gy in 0..GRID {
            for gx in 0..GRID {
                let (x, y) = (gx * width / GRID, gy * height / GRID);
                sums[gy * GRID + gx] = f64::from(luma[y * width + x]);
                counts[gy * GRID + gx] = 1;
            }
        }
    }
    let mut grid = [0f64; GRID * GRID];
    for ((g, s), c) in grid.iter_mut().zip(sums).zip(counts) {
        *g = s / f64::from(c.max(1));
    }
    grid
}

/// Bits from the 8×8 lowest non-DC DCT-II frequencies of the grid, each set when above the median.
fn dct_hash(grid: &[f64; GRID * GRID]) -> u64 {
    const LOW: usize = 8;
    // cos((2x + 1) k π / 2N) for the frequencies k = 1..=8 used.
    let mut basis = [[0f64; GRID]; LOW];
    for (k, row) in basis.iter_mut().enumerate() {
        for (x, b) in row.iter_mut().enumerate() {
            *b = (std::f64::consts::PI * (2 * x + 1) as f64 * (k + 1) as f64 / (2 * GRID) as f64)
                .cos();
        }
    }
    // Rows first (frequency v along x), then columns (frequency u along y).
    let mut rows = [[0f64; LOW]; GRID];
    for (y, out) in rows.iter_mut().enumerate() {
        let line = &grid[y * GRID..(y + 1) * GRID];
        for (v, o) in out.iter_mut().enumerate() {
            *o = line.iter().zip(basis[v]).map(|(p, b)| p * b).sum();
        }
    }
    let mut coeffs = [0f64; LOW * LOW];
    for u in 0..LOW {
        for v in 0..LOW {
            coeffs[u * LOW + v] = (0..GRID).map(|y| rows[y][v] * basis[u][y]).sum();
        }
    }
    let mut sorted = coeffs;
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[31] + sorted[32]) / 2.0;
    coeffs
        .iter()
        .enumerate()
        .fold(0u64, |h, (i, &c)| if c > median { h | (1 << i) } else { h })
}

/// Hashes with their ids, indexed for queries "within `r` bits of this hash".
///
/// Build once from all pairs (`HashIndex::new`), then query. Memory: the ids, the hashes, and
/// four tables of a `u32` and a `u64` per entry plus 65 537 offsets each (about 60 bytes per
/// entry for `u32` ids).
pub struct HashIndex<T> {
    ids: Vec<T>,
    hashes: Vec<u64>,
    /// Per 16-bit block: entries grouped by the block's value (`offsets[k]..offsets[k + 1]`).
    tables: [BlockTable; BLOCKS],
}

const BLOCKS: usize = 4;
const BLOCK_BITS: u32 = 16;

/// Entries sorted by one block's value; each bucket's hashes are stored inline, so a query reads
/// its buckets sequentially instead of chasing entry numbers around memory.
struct BlockTable {
    offsets: Vec<u32>,
    entries: Vec<u32>,
    hashes: Vec<u64>,
}

fn block(hash: u64, i: usize) -> u16 {
    (hash >> (i as u32 * BLOCK_BITS)) as u16
}

impl<T> fmt::Debug for HashIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashIndex")
            .field("len", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> HashIndex<T> {
    /// Indexes `(id, hash)` pairs. An id may appear with several hashes and a hash with several
    /// ids; every pair is kept. At most `u32::MAX` pairs.
    pub fn new(items: impl IntoIterator<Item = (T, u64)>) -> HashIndex<T> {
        let (ids, hashes): (Vec<T>, Vec<u64>) = items.into_iter().unzip();
        let tables = std::array::from_fn(|i| {
            // Counting sort of entry numbers by the value of block i.
            let mut offsets = vec![0u32; (1 << BLOCK_BITS) + 1];
            for &h in &hashes {
                offsets[usize::from(block(h, i)) + 1] += 1;
            }
            for k in 1..offsets.len() {
                offsets[k] += offsets[k - 1];
            }
            let mut next = offsets.clone();
            let mut entries = vec![0u32; hashes.len()];
            let mut inline = vec![0u64; hashes.len()];
            for (n, &h) in hashes.iter().enumerate() {
                let slot = &mut next[usize::from(block(h, i))];
                entries[*slot as usize] = n as u32;
                inline[*slot as usize] = h;
                *slot += 1;
            }
            BlockTable {
                offsets,
                entries,
                hashes: inline,
            }
        });
        HashIndex {
            ids,
            hashes,
            tables,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every indexed id whose hash is within `max_distance` bits of `hash`, with its distance,
    /// nearest first (ties in the order the pairs were given). Same answer as [`linear_within`].
    pub fn within(&self, hash: u64, max_distance: u32) -> Vec<(T, u32)> {
        self.positions_within(hash, max_distance)
            .into_iter()
            .map(|(n, d)| (self.ids[n as usize].clone(), d))
            .collect()
    }

    /// Entry numbers and distances, sorted by distance then entry number.
    fn positions_within(&self, hash: u64, max_distance: u32) -> Vec<(u32, u32)> {
        let radius = max_distance / BLOCKS as u32;
        let mut found = Vec::new();
        // Past radius 5 the buckets visited cover most of the index: a scan is cheaper.
        if radius > 5 {
            for (n, &h) in self.hashes.iter().enumerate() {
                let d = hamming(h, hash);
                if d <= max_distance {
                    found.push((n as u32, d));
                }
            }
        } else {
            for (i, table) in self.tables.iter().enumerate() {
                let key = block(hash, i);
                for_each_within(radius, |flip| {
                    let k = usize::from(key ^ flip);
                    let bucket = table.offsets[k] as usize..table.offsets[k + 1] as usize;
                    for (&n, &h) in table.entries[bucket.clone()]
                        .iter()
                        .zip(&table.hashes[bucket])
                    {
                        let d = hamming(h, hash);
                        // Found through an earlier block already: skip, so each entry comes once.
                        if d > max_distance
                            || (0..i).any(|j| (block(h, j) ^ block(hash, j)).count_ones() <= radius)
                        {
                            continue;
                        }
                        found.push((n, d));
                    }
                });
            }
        }
        found.sort_unstable_by_key(|&(n, d)| (d, n));
        found
    }
}

/// Calls `f` with every 16-bit mask of at most `radius` set bits (Gosper's hack per bit count).
fn for_each_within(radius: u32, mut f: impl FnMut(u16)) {
    f(0);
    for bits in 1..=radius.min(BLOCK_BITS) {
        let mut mask: u32 = (1 << bits) - 1;
        while mask < (1 << BLOCK_BITS) {
            f(mask as u16);
            let c = mask & mask.wrapping_neg();
            let r = mask + c;
            mask = (((r ^ mask) >> 2) / c) | r;
        }
    }
}

/// The baseline: compares `hash` with every pair. Same order as [`HashIndex::within`].
pub fn linear_within<T: Clone>(items: &[(T, u64)], hash: u64, max_distance: u32) -> Vec<(T, u32)> {
    let mut found: Vec<(usize, u32)> = items
        .iter()
        .enumerate()
        .filter_map(|(n, (_, h))| {
            let d = hamming(*h, hash);
            (d <= max_distance).then_some((n, d))
        })
        .collect();
    found.sort_unstable_by_key(|&(n, d)| (d, n));
    found
        .into_iter()
        .map(|(n, d)| (items[n].0.clone(), d))
        .collect()
}

/// Two items whose hashes are within the threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearDuplicate<T> {
    pub a: T,
    pub b: T,
    pub distance: u32,
}

/// Near-duplicates among all `(id, hash)` pairs: every pair of items within `max_distance` bits
/// (`a` given before `b`), nearest first, and the groups they form. A group is a connected set:
/// A ~ B and B ~ C put A, B and C together even if A and C are further apart. Groups list their
/// members in input order and come in the order of their first member; singletons are left out.
pub fn near_duplicates<T: Clone>(
    items: &[(T, u64)],
    max_distance: u32,
) -> (Vec<NearDuplicate<T>>, Vec<Vec<T>>) {
    let index = HashIndex::new(items.iter().enumerate().map(|(n, (_, h))| (n as u32, *h)));
    let mut pairs = Vec::new();
    for (a, (_, h)) in items.iter().enumerate() {
        for (n, d) in index.positions_within(*h, max_distance) {
            if (n as usize) > a {
                pairs.push((a, n as usize, d));
            }
        }
    }
    pairs.sort_unstable_by_key(|&(a, b, d)| (d, a, b));

    // Union-find over item numbers; the root of a set is its smallest member.
    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b, _) in &pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for n in 0..items.len() {
        let r = root(&mut parent, n);
        members[r].push(n);
    }
    let groups = members
        .into_iter()
        .filter(|m| m.len() > 1)
        .map(|m| m.into_iter().map(|n| items[n].0.clone()).collect())
        .collect();
    let pairs = pairs
        .into_iter()
        .map(|(a, b, distance)| NearDuplicate {
            a: items[a].0.clone(),
            b: items[b].0.clone(),
            distance,
        })
        .collect();
    (pairs, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic test data without a dependency.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        /// `h` with `bits` distinct random bits flipped.
        fn perturb(&mut self, h: u64, bits: u32) -> u64 {
            let mut out = h;
            while hamming(out, h) < bits {
                out ^= 1 << (self.next() % 64);
            }
            out
        }
    }

    #[test]
    fn hamming_counts_differing_bits() {
        for (a, b, d) in [
            (0, 0, 0),
            (0, u64::MAX, 64),
            (0b1011, 0b0001, 2),
            (1 << 63, 1, 2),
        ] {
            assert_eq!(hamming(a, b), d, "{a:#x} {b:#x}");
        }
    }

    #[test]
    fn masks_within_radius() {
        // Number of 16-bit masks with at most r bits set: sum of C(16, k).
        for (r, n) in [(0, 1), (1, 17), (2, 137), (3, 697), (16, 65_536)] {
            let mut seen = Vec::new();
            for_each_within(r, |m| seen.push(m));
            assert_eq!(seen.len(), n, "radius {r}");
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), n, "radius {r}: duplicates");
            assert!(seen.iter().all(|m| m.count_ones() <= r));
        }
    }

    /// Index and scan agree on random hashes, clustered copies and duplicates, at every radius.
    #[test]
    fn index_matches_linear_scan() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut items: Vec<(u32, u64)> = (0..3000).map(|n| (n, rng.next())).collect();
        // Near copies of the first 200 (as re-posts would be) and some exact duplicates.
        for n in 0..200u32 {
            let bits = (rng.next() % 12) as u32;
            let h = rng.perturb(items[n as usize].1, bits);
            items.push((3000 + n, h));
        }
        items.push((9000, items[5].1));
        let index = HashIndex::new(items.iter().copied());
        assert_eq!(index.len(), items.len());
        for q in 0..300 {
            let hash = if q % 2 == 0 {
                let base = items[(rng.next() % items.len() as u64) as usize].1;
                let bits = (rng.next() % 10) as u32;
                rng.perturb(base, bits)
            } else {
                rng.next()
            };
            for r in [0, 1, 3, 4, 8, 10, 12, 15, 20, 24, 30, 64] {
                assert_eq!(
                    index.within(hash, r),
                    linear_within(&items, hash, r),
                    "query {hash:#x} radius {r}"
                );
            }
        }
    }

    #[test]
    fn empty_index() {
        let index: HashIndex<u32> = HashIndex::new([]);
        assert!(index.is_empty());
        assert_eq!(index.within(0, 64), vec![]);
    }

    #[test]
    fn near_duplicates_pairs_and_groups() {
        let a = 0xF0F0_F0F0_0000_FFFF_u64;
        let items = vec![
            ("a", a),
            ("far", !a),
            ("a2", a ^ 0b111),                  // 3 from a
            ("a3", a ^ 0b111 ^ (0b1111 << 20)), // 4 from a2, 7 from a
            ("lone", 0x1234_5678_9ABC_DEF0),
            ("far2", !a ^ 1),
        ];
        let (pairs, groups) = near_duplicates(&items, 4);
        let pairs: Vec<_> = pairs.iter().map(|p| (p.a, p.b, p.distance)).collect();
        assert_eq!(
            pairs,
            vec![("far", "far2", 1), ("a", "a2", 3), ("a2", "a3", 4)]
        );
        assert_eq!(groups, vec![vec!["a", "a2", "a3"], vec!["far", "far2"]]);
        let (pairs, groups) = near_duplicates(&items, 0);
        assert!(pairs.is_empty() && groups.is_empty());
    }

    /// A smooth synthetic picture: the hash must survive small brightness changes and resizing.
    fn picture(w: usize, h: usize, shift: i32) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
                let val = 128.0
                    + 60.0 * (fx * 6.0).sin() * (fy * 4.0).cos()
                    + 40.0 * ((fx - fy) * 9.0).sin()
                    + f64::from(shift);
                v.push(val.clamp(0.0, 255.0) as u8);
            }
        }
        v
    }

    #[test]
    fn perceptual_hash_is_stable_and_discriminating() {
        let base = perceptual_hash(320, 240, &picture(320, 240, 0)).unwrap();
        let brighter = perceptual_hash(320, 240, &picture(320, 240, 10)).unwrap();
        let smaller = perceptual_hash(160, 120, &picture(160, 120, 0)).unwrap();
        let small = perceptual_hash(64, 48, &picture(64, 48, 0)).unwrap();
        assert!(hamming(base, brighter) <= 2, "{}", hamming(base, brighter));
        assert!(hamming(base, smaller) <= 4, "{}", hamming(base, smaller));
        assert!(hamming(base, small) <= 8, "{}", hamming(base, small));
        // A different picture (transposed content) is far away.
        let other: Vec<u8> = {
            let p = picture(240, 320, 0);
            let mut t = vec![0; p.len()];
            for y in 0..320 {
                for x in 0..240 {
                    t[x * 320 + y] = p[y * 240 + x];
                }
            }
            t
        };
        let other = perceptual_hash(320, 240, &other).unwrap();
        assert!(hamming(base, other) >= 20, "{}", hamming(base, other));
        assert_eq!(base.count_ones(), 32, "median split gives half the bits");
    }

    #[test]
    fn perceptual_hash_refuses_bad_buffers() {
        for (w, h, len) in [(0, 10, 0), (10, 0, 0), (10, 10, 99), (10, 10, 101)] {
            assert_eq!(
                perceptual_hash(w, h, &vec![7; len]),
                None,
                "{w}x{h} len {len}"
            );
        }
        // A flat image or one smaller than the grid still hashes.
        assert!(perceptual_hash(40, 40, &[9; 1600]).is_some());
        assert!(perceptual_hash(1, 1, &[9]).is_some());
    }
}
