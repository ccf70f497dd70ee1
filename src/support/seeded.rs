//! Seeded pseudo-random numbers (SplitMix64): the same seed gives the same generated corpus
//! and the same cross-validation folds, on every machine, with no dependency.

pub(crate) struct SeededNumbers(pub(crate) u64);

impl SeededNumbers {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `x` rounded down or up at random, so that many roundings add up to the sum of `x`.
    pub(crate) fn round(&mut self, x: f64) -> usize {
        let whole = x.floor();
        let fraction = x - whole;
        whole as usize + usize::from((self.next() as f64 / u64::MAX as f64) < fraction)
    }

    /// Fisher-Yates, in place.
    #[cfg_attr(not(feature = "dataframe"), allow(dead_code))] // only the suggestions shuffle
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}
