//! Bounded frequency counting for attacker-controlled values (`kid`, issuer, fingerprints, ...).

use std::collections::HashMap;

/// Counts how often values occur using at most `2 × capacity` counters, whatever the number of
/// distinct values: the Misra–Gries "frequent items" summary with batched decrements.
///
/// While no more than `2 × capacity` distinct values have been seen, counts are exact. When the
/// table fills, the `(capacity + 1)`-th largest count `m` is subtracted from every counter and
/// counters that reach zero are removed. Each unit subtracted cancels at least `capacity + 1`
/// occurrences, so the total subtracted, [`TopK::max_error`], is at most `N / (capacity + 1)` for
/// `N` values added. Hence every reported count is a lower bound, the true count is at most
/// `count + max_error`, and every value occurring more than `N / (capacity + 1)` times is kept.
///
/// ```
/// use jwt_audit_cli::summarize::TopK;
/// let mut t = TopK::new(2);
/// for v in ["a", "b", "a", "c", "a", "d", "e", "a", "f"] {
///     t.add(v);
/// }
/// let top = t.top(1);
/// assert_eq!(top[0].0, "a");
/// assert!(top[0].1 <= 4 && 4 <= top[0].1 + t.max_error());
/// assert!(t.max_error() <= 9 / 3);
/// ```
#[derive(Debug, Clone)]
pub struct TopK {
    counts: HashMap<Box<str>, u64>,
    capacity: usize,
    subtracted: u64,
    total: u64,
}

impl TopK {
    /// A summary keeping `capacity` values with certainty (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            counts: HashMap::new(),
            capacity: capacity.max(1),
            subtracted: 0,
            total: 0,
        }
    }

    /// Counts one occurrence of `value`.
    pub fn add(&mut self, value: &str) {
        self.total += 1;
        if let Some(c) = self.counts.get_mut(value) {
            *c += 1;
            return;
        }
        self.counts.insert(value.into(), 1);
        if self.counts.len() >= 2 * self.capacity {
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        let mut values: Vec<u64> = self.counts.values().copied().collect();
        let (_, m, _) = values.select_nth_unstable_by(self.capacity, |a, b| b.cmp(a));
        let m = *m;
        self.counts.retain(|_, c| {
            *c = c.saturating_sub(m);
            *c > 0
        });
        self.subtracted += m;
    }

    /// The `n` most frequent values with their (lower-bound) counts, largest first, ties by value.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.counts.iter().map(|(k, c)| (&**k, *c)).collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    /// How much any count may be below the truth; `0` means every count is exact.
    pub fn max_error(&self) -> u64 {
        self.subtracted
    }

    /// Number of values added.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of distinct values currently tracked.
    pub fn tracked(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_until_full_then_bounded() {
        let mut t = TopK::new(4);
        for i in 0..7 {
            t.add(&format!("v{i}"));
        }
        assert_eq!(t.max_error(), 0);
        // A heavy hitter among 10 000 distinct values survives with a bounded error.
        for i in 0..10_000 {
            t.add(&format!("noise-{i}"));
            if i % 3 == 0 {
                t.add("attacker");
            }
        }
        assert!(t.tracked() < 8);
        let n = t.total();
        assert!(t.max_error() <= n / 5, "{} > {}", t.max_error(), n / 5);
        let (top, count) = t.top(1)[0];
        assert_eq!(top, "attacker");
        assert!(count <= 3334 && 3334 <= count + t.max_error());
    }
}
