//! Brent's (1973) root finder: inverse quadratic interpolation and secant
//! steps safeguarded by bisection, so it converges on any continuous
//! function with a sign change, smooth or not (the tree's price is only
//! piecewise smooth in volatility).

/// Iterations allowed; bisection alone halves the bracket each time, so 200
/// is far more than the ~45 needed from a bracket of width 5 to 1e-12.
const MAX_ITERATIONS: u32 = 200;

/// A root of `f` in `[a, b]` given `f(a)` and `f(b)` of opposite signs (or
/// one of them zero), to within `tolerance` (plus a few ulps) in `x`.
/// `Ok(None)` if the bracket is not a sign change or the iteration limit is
/// reached; errors of `f` are passed on.
pub(super) fn root<E>(
    mut f: impl FnMut(f64) -> Result<f64, E>,
    (a, fa): (f64, f64),
    (b, fb): (f64, f64),
    tolerance: f64,
) -> Result<Option<f64>, E> {
    if fa == 0.0 {
        return Ok(Some(a));
    }
    if fb == 0.0 {
        return Ok(Some(b));
    }
    if fa.signum() == fb.signum() || !(fa.is_finite() && fb.is_finite()) {
        return Ok(None);
    }
    // b is the best estimate, a the previous one, c the other end of the
    // bracket [b, c].
    let (mut a, mut fa, mut b, mut fb) = (a, fa, b, fb);
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..MAX_ITERATIONS {
        if fb.signum() == fc.signum() {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * tolerance;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Ok(Some(b));
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            // Interpolate: secant with two points, inverse quadratic with three.
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * m * s, 1.0 - s)
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b)?;
        if !fb.is_finite() {
            return Ok(None);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_of_smooth_and_kinked_functions() {
        type Case = (fn(f64) -> f64, f64, f64, f64);
        let cases: [Case; 4] = [
            (|x| x * x - 2.0, 0.0, 2.0, std::f64::consts::SQRT_2),
            (|x| x.cos() - x, 0.0, 1.0, 0.739_085_133_215_160_6),
            (
                |x| if x < 0.3 { x - 0.3 } else { 10.0 * (x - 0.3) },
                0.0,
                1.0,
                0.3,
            ),
            (|x| (x - 1e-3).powi(3), 0.0, 5.0, 1e-3),
        ];
        for (i, (f, a, b, want)) in cases.into_iter().enumerate() {
            let got = root::<()>(|x| Ok(f(x)), (a, f(a)), (b, f(b)), 1e-12)
                .unwrap()
                .unwrap();
            // The cube's root is flat, but Brent keeps a sign-change bracket
            // in x, so the bracket width bounds the error all the same.
            assert!((got - want).abs() < 1e-11, "case {i}: {got} vs {want}");
        }
    }

    #[test]
    fn no_sign_change_is_none() {
        assert_eq!(
            root::<()>(|x| Ok(x * x + 1.0), (0.0, 1.0), (1.0, 2.0), 1e-12),
            Ok(None)
        );
    }
}
