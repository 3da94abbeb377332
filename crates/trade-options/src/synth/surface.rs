//! [`VolSurface`]: the implied-volatility surface of one date, built from
//! the VIX close and the [`VolConfig`]: an ATM term structure (see
//! [`TermStructure`](super::TermStructure)) times a smile in
//! time-scaled log-moneyness (see [`Smile`](super::Smile)).

use super::config::VolConfig;

/// Shortest time used for the smile's moneyness scaling (one hour): at
/// expiry the scaled moneyness would divide by zero, and the option is
/// worth its intrinsic value whatever the volatility.
const MIN_YEARS: f64 = 1.0 / (365.0 * 24.0);

/// The volatility surface of one date.
#[derive(Debug, Clone, PartialEq)]
pub struct VolSurface {
    config: VolConfig,
    atm_ref: f64,
    /// `(atm_ref² − θ) / g(T_ref)`: the term structure's scale.
    excess: f64,
    theta: f64,
}

fn decay(kappa: f64, years: f64) -> f64 {
    let k = kappa * years;
    if k < 1e-9 {
        1.0
    } else {
        (1.0 - (-k).exp()) / k
    }
}

impl VolSurface {
    /// The surface implied by a VIX close (in index points, 20 = 20%).
    pub fn from_vix(config: &VolConfig, vix: f64) -> Self {
        let atm_ref =
            (config.vix_scale * vix / 100.0 + config.vix_offset).clamp(config.floor, config.cap);
        let theta = config.term.long_run_vol * config.term.long_run_vol;
        let t_ref = config.term.reference_days / 365.0;
        let excess = (atm_ref * atm_ref - theta) / decay(config.term.kappa, t_ref);
        VolSurface {
            config: config.clone(),
            atm_ref,
            excess,
            theta,
        }
    }

    /// ATM volatility of the reference maturity (30 days by default): the
    /// scaled VIX, within the floor and cap.
    pub fn atm_reference(&self) -> f64 {
        self.atm_ref
    }

    /// ATM volatility for `years` to expiry.
    pub fn atm_vol(&self, years: f64) -> f64 {
        let t = years.max(0.0);
        let v = self.theta + self.excess * decay(self.config.term.kappa, t);
        v.max(0.0).sqrt().clamp(self.config.floor, self.config.cap)
    }

    /// The smile's scaled log-moneyness `ln(K/F)/√T`, clamped.
    pub fn moneyness(&self, years: f64, forward: f64, strike: f64) -> f64 {
        let x = (strike / forward).ln() / years.max(MIN_YEARS).sqrt();
        let m = self.config.smile.max_x;
        if x.is_nan() { 0.0 } else { x.clamp(-m, m) }
    }

    /// Volatility at `strike` for `years` to expiry given that expiry's
    /// ATM volatility and forward.
    pub fn vol_at(&self, atm: f64, years: f64, forward: f64, strike: f64) -> f64 {
        let s = &self.config.smile;
        let x = self.moneyness(years, forward, strike);
        let factor = (1.0 + s.skew * x + s.curvature * x * x).max(s.min_factor);
        (atm * factor).clamp(self.config.floor, self.config.cap)
    }

    /// Volatility at `strike` for `years` to expiry.
    pub fn vol(&self, years: f64, forward: f64, strike: f64) -> f64 {
        self.vol_at(self.atm_vol(years), years, forward, strike)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_maturity_returns_the_scaled_vix() {
        let cfg = VolConfig::default();
        for vix in [9.0, 15.0, 20.0, 40.0, 80.0] {
            let s = VolSurface::from_vix(&cfg, vix);
            let want = (cfg.vix_scale * vix / 100.0_f64).clamp(cfg.floor, cfg.cap);
            assert!((s.atm_vol(30.0 / 365.0) - want).abs() < 1e-12, "vix {vix}");
            assert_eq!(s.atm_reference(), want);
        }
    }

    #[test]
    fn term_structure_slopes_toward_the_long_run_level() {
        let cfg = VolConfig::default(); // long run 0.18
        let calm = VolSurface::from_vix(&cfg, 12.0); // ATM 10.8% < 18%
        assert!(calm.atm_vol(7.0 / 365.0) < calm.atm_vol(30.0 / 365.0));
        assert!(calm.atm_vol(30.0 / 365.0) < calm.atm_vol(1.0));
        assert!(calm.atm_vol(1.0) < 0.18);
        let stress = VolSurface::from_vix(&cfg, 60.0);
        assert!(stress.atm_vol(7.0 / 365.0) > stress.atm_vol(30.0 / 365.0));
        assert!(stress.atm_vol(30.0 / 365.0) > stress.atm_vol(1.0));
        assert!(stress.atm_vol(1.0) > 0.18);
    }

    #[test]
    fn puts_are_richer_than_calls() {
        let s = VolSurface::from_vix(&VolConfig::default(), 16.0);
        let t = 45.0 / 365.0;
        let f = 100.0;
        assert!(s.vol(t, f, 90.0) > s.vol(t, f, 100.0));
        assert!(s.vol(t, f, 100.0) > s.vol(t, f, 105.0));
        assert!((s.vol(t, f, 100.0) - s.atm_vol(t)).abs() < 1e-15);
    }
}
