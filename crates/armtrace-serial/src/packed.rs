//! Bit-packed columns of small integers: each value in as many bits as the largest needs.

/// A fixed-width array of integers, `width` bits each, in 64-bit words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    pub(crate) width: u32,
    pub(crate) len: usize,
    pub(crate) words: Vec<u64>,
}

impl Packed {
    /// Packs `values` in the width the largest of them needs.
    pub fn new(values: &[u64]) -> Packed {
        let max = values.iter().copied().max().unwrap_or(0);
        let width = 64 - max.leading_zeros();
        let mut p = Packed {
            width,
            len: values.len(),
            words: vec![0; (values.len() * width as usize).div_ceil(64)],
        };
        for (i, &v) in values.iter().enumerate() {
            p.set(i, v);
        }
        p
    }

    fn set(&mut self, i: usize, v: u64) {
        if self.width == 0 {
            return;
        }
        let bit = i * self.width as usize;
        let (w, off) = (bit / 64, bit % 64);
        self.words[w] |= v << off;
        if off + self.width as usize > 64 {
            self.words[w + 1] |= v >> (64 - off);
        }
    }

    /// The value at `i` (0 past the end, which callers never ask for).
    pub fn get(&self, i: usize) -> u64 {
        if self.width == 0 || i >= self.len {
            return 0;
        }
        let bit = i * self.width as usize;
        let (w, off) = (bit / 64, bit % 64);
        let mask = if self.width == 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        };
        let lo = self.words.get(w).copied().unwrap_or(0) >> off;
        let v = if off + self.width as usize > 64 {
            lo | (self.words.get(w + 1).copied().unwrap_or(0) << (64 - off))
        } else {
            lo
        };
        v & mask
    }

    /// Whether the words hold `len` values of `width` bits (checked when loading).
    pub fn is_consistent(&self) -> bool {
        self.width <= 64 && self.words.len() == (self.len * self.width as usize).div_ceil(64)
    }

    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for values in [
            vec![],
            vec![0, 0, 0],
            vec![1, 0, 1, 1],
            vec![5, 1023, 7, 0, 999],
            vec![u64::MAX, 3, u64::MAX - 1],
            (0..1000).map(|i| i * 7919 % 65_537).collect(),
        ] {
            let p = Packed::new(&values);
            assert!(p.is_consistent());
            let back: Vec<u64> = (0..values.len()).map(|i| p.get(i)).collect();
            assert_eq!(back, values);
        }
    }
}
