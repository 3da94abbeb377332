//! Small nan-aware helpers shared by the metric modules.

/// `Some(x)` when `x` is finite.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The finite values of a slice, in order (non-finite values are missing
/// observations).
pub(crate) fn valid(xs: &[f64]) -> impl Iterator<Item = f64> + Clone + '_ {
    xs.iter().copied().filter(|x| x.is_finite())
}

/// Count, mean and sample dispersion of a set of values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dispersion {
    pub(crate) n: usize,
    pub(crate) mean: f64,
    /// Sample standard deviation (`ddof = 1`); `None` with fewer than two
    /// values. Exactly `0.0` when all values are equal, like
    /// empyrical's `_zero_dispersion_std`, so that rounding noise in the
    /// mean never turns a constant series into a huge ratio.
    pub(crate) std: Option<f64>,
}

/// Two-pass mean and sample standard deviation (the numerically stable
/// textbook algorithm numpy's `nanstd` also uses). `None` when empty.
pub(crate) fn dispersion(values: impl Iterator<Item = f64> + Clone) -> Option<Dispersion> {
    let mut n = 0usize;
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    for x in values.clone() {
        n += 1;
        sum += x;
        min = min.min(x);
        max = max.max(x);
    }
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    let std = if n < 2 {
        None
    } else if min == max {
        Some(0.0)
    } else {
        let ss: f64 = values.map(|x| (x - mean) * (x - mean)).sum();
        Some((ss / (n - 1) as f64).sqrt())
    };
    Some(Dispersion { n, mean, std })
}

/// Mean of the values, `None` when empty.
pub(crate) fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, sum) = values.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| sum / n as f64)
}
