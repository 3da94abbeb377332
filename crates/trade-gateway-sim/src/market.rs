//! Simulated prices: one path per underlying at one-second resolution
//! (seeded GBM or replayed bars), quotes around it, option prices from
//! Black-Scholes-Merton, and OHLC aggregation for bars.

use trade_options::pricing::{Bsm, Greeks, OptionRight};

use crate::config::{PriceSource, ReplayBar};

/// Trading seconds in a year (252 days of 6.5 hours): the clock the
/// annualised volatility is quoted in.
const TRADING_SECS_PER_YEAR: f64 = 252.0 * 6.5 * 3600.0;
/// Calendar seconds in an ACT/365 year (option time to expiry).
pub const SECS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// SplitMix64: small, fast, fully determined by its seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn next_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller, one draw per call).
    pub fn next_normal(&mut self) -> f64 {
        let u1 = self.next_unit();
        let u2 = self.next_unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A hash of (seed, a, b) for per-second quantities that must not depend on
/// the order they are asked for (sizes, volumes).
pub fn mix(seed: u64, a: u64, b: i64) -> u64 {
    let mut g = SplitMix64::new(
        seed ^ a.wrapping_mul(0xA24B_AED4_963E_E407)
            ^ (b as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25),
    );
    g.next_u64()
}

/// Rounds to the cent.
pub fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// OHLC of an interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ohlc {
    /// First price.
    pub open: f64,
    /// Highest.
    pub high: f64,
    /// Lowest.
    pub low: f64,
    /// Last.
    pub close: f64,
    /// Volume.
    pub volume: f64,
    /// Volume-weighted average price.
    pub wap: f64,
    /// Number of trades.
    pub count: i32,
}

#[derive(Debug, Clone)]
enum PathKind {
    Generated {
        origin: i64,
        prices: Vec<f64>,
        rng: SplitMix64,
        sigma: f64,
        mu: f64,
    },
    Replay {
        bar_secs: i64,
        bars: Vec<ReplayBar>,
    },
}

/// One underlying's price through time.
#[derive(Debug, Clone)]
pub struct PricePath {
    kind: PathKind,
    /// Level shifts set by the test harness: from that instant on the path
    /// is moved by `offset`.
    shifts: Vec<(i64, f64)>,
    seed: u64,
    index: u64,
}

impl PricePath {
    /// Builds the path; generated paths get `history_secs` before `start`.
    pub fn new(source: &PriceSource, start: i64, history_secs: i64, seed: u64, index: u64) -> Self {
        let kind = match source {
            PriceSource::Generated {
                start_price,
                annual_vol,
                annual_drift,
            } => {
                let sigma = annual_vol / TRADING_SECS_PER_YEAR.sqrt();
                let mu = annual_drift / TRADING_SECS_PER_YEAR - 0.5 * sigma * sigma;
                // History is generated backwards from the start price so the
                // configured price is exactly the price at `start`.
                let mut back = SplitMix64::new(mix(seed, index, -1));
                let mut hist = Vec::with_capacity(history_secs as usize + 1);
                let mut p = *start_price;
                hist.push(p);
                for _ in 0..history_secs {
                    p *= (-(mu + sigma * back.next_normal())).exp();
                    hist.push(p);
                }
                hist.reverse();
                PathKind::Generated {
                    origin: start - history_secs,
                    prices: hist,
                    rng: SplitMix64::new(mix(seed, index, 1)),
                    sigma,
                    mu,
                }
            }
            PriceSource::Replay { bar_secs, bars } => PathKind::Replay {
                bar_secs: *bar_secs,
                bars: bars.clone(),
            },
        };
        PricePath {
            kind,
            shifts: Vec::new(),
            seed,
            index,
        }
    }

    /// Earliest instant with data.
    pub fn first_time(&self) -> i64 {
        match &self.kind {
            PathKind::Generated { origin, .. } => *origin,
            PathKind::Replay { bars, .. } => bars.first().map(|b| b.time).unwrap_or(0),
        }
    }

    fn raw(&mut self, t: i64) -> f64 {
        match &mut self.kind {
            PathKind::Generated {
                origin,
                prices,
                rng,
                sigma,
                mu,
            } => {
                let i = (t - *origin).max(0) as usize;
                while prices.len() <= i {
                    let last = prices.last().copied().unwrap_or(1.0);
                    prices.push(last * (*mu + *sigma * rng.next_normal()).exp());
                }
                prices[i]
            }
            PathKind::Replay { bar_secs, bars } => replay_price(bars, *bar_secs, t),
        }
    }

    /// Path price at `t` (unrounded).
    pub fn price(&mut self, t: i64) -> f64 {
        let shift: f64 = self
            .shifts
            .iter()
            .filter(|(from, _)| *from <= t)
            .map(|(_, o)| o)
            .sum();
        (self.raw(t) + shift).max(0.01)
    }

    /// Moves the path so that it reads `target` at `t` and keeps the new
    /// level from then on.
    pub fn jump_to(&mut self, t: i64, target: f64) {
        let now = self.price(t);
        self.shifts.push((t, target - now));
    }

    /// Shares traded in second `t` (deterministic).
    pub fn volume_at(&self, t: i64) -> f64 {
        match &self.kind {
            PathKind::Replay { bar_secs, bars } => {
                let Some(b) = bar_at(bars, *bar_secs, t) else {
                    return 0.0;
                };
                (b.volume / *bar_secs as f64).round()
            }
            PathKind::Generated { .. } => {
                (100 * (1 + mix(self.seed, self.index + 1000, t) % 20)) as f64
            }
        }
    }

    /// OHLC of the cent-rounded path over `[start, end)`, with volume for
    /// trades. `None` for an empty interval.
    pub fn ohlc(&mut self, start: i64, end: i64, offset: f64) -> Option<Ohlc> {
        if end <= start {
            return None;
        }
        let mut o = None;
        let (mut hi, mut lo, mut close) = (f64::MIN, f64::MAX, 0.0);
        let (mut vol, mut notional, mut count) = (0.0, 0.0, 0);
        for t in start..end {
            let p = cents(self.price(t) + offset).max(0.01);
            o.get_or_insert(p);
            hi = hi.max(p);
            lo = lo.min(p);
            close = p;
            let v = self.volume_at(t);
            vol += v;
            notional += v * p;
            count += 1 + (mix(self.seed, self.index + 2000, t) % 5) as i32;
        }
        let open = o?;
        let wap = if vol > 0.0 { notional / vol } else { close };
        Some(Ohlc {
            open,
            high: hi,
            low: lo,
            close,
            volume: vol,
            wap: (wap * 1e4).round() / 1e4,
            count,
        })
    }
}

fn bar_at(bars: &[ReplayBar], bar_secs: i64, t: i64) -> Option<&ReplayBar> {
    let first = bars.first()?.time;
    if t < first {
        return None;
    }
    let i = ((t - first) / bar_secs) as usize;
    bars.get(i)
}

fn replay_price(bars: &[ReplayBar], bar_secs: i64, t: i64) -> f64 {
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
        return 0.01;
    };
    if t < first.time {
        return first.open;
    }
    let Some(b) = bar_at(bars, bar_secs, t) else {
        return last.close;
    };
    // Knots on whole seconds: open at the first second, the two extremes at
    // a third and two thirds, the close on the bar's last second, so the
    // per-second samples of a bar of 4 s or more aggregate back to exactly
    // its open, high, low and close.
    let n = bar_secs - 1;
    if n <= 0 {
        return b.close;
    }
    let (p1, p2) = if b.close >= b.open {
        (b.low, b.high)
    } else {
        (b.high, b.low)
    };
    let knots = [(0, b.open), (n / 3, p1), (2 * n / 3, p2), (n, b.close)];
    let s = t - b.time;
    for w in knots.windows(2) {
        let ((s0, v0), (s1, v1)) = (w[0], w[1]);
        if s <= s1 {
            if s1 == s0 {
                return v1;
            }
            return v0 + (v1 - v0) * (s - s0) as f64 / (s1 - s0) as f64;
        }
    }
    b.close
}

/// Top of book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    /// Best bid.
    pub bid: f64,
    /// Best ask.
    pub ask: f64,
    /// Last trade.
    pub last: f64,
    /// Bid size.
    pub bid_size: f64,
    /// Ask size.
    pub ask_size: f64,
    /// Last trade size.
    pub last_size: f64,
}

/// Quote around a last price with a half spread, sizes from the seed.
pub fn quote_around(last: f64, half_spread: f64, seed: u64, key: u64, t: i64, lot: f64) -> Quote {
    let last = cents(last).max(0.01);
    let hs = cents(half_spread);
    let bid = cents((last - hs).max(0.0));
    let ask = cents(last + hs);
    let h = mix(seed, key, t);
    Quote {
        bid,
        ask,
        last,
        bid_size: lot * (1 + h % 10) as f64,
        ask_size: lot * (1 + (h >> 8) % 10) as f64,
        last_size: lot * (1 + (h >> 16) % 5) as f64,
    }
}

/// Model inputs of one option at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionModel {
    /// Call or put.
    pub right: OptionRight,
    /// Underlying price.
    pub spot: f64,
    /// Strike.
    pub strike: f64,
    /// Years to expiry (ACT/365), floored at one minute.
    pub years: f64,
    /// Risk-free rate.
    pub rate: f64,
    /// Dividend yield.
    pub dividend_yield: f64,
    /// Volatility at this strike.
    pub vol: f64,
}

impl OptionModel {
    /// Price and Greeks; `None` when the inputs are outside the model's
    /// domain (the caller sends no tick rather than a wrong number).
    pub fn greeks(&self) -> Option<Greeks> {
        Bsm {
            right: self.right,
            spot: self.spot,
            strike: self.strike,
            years: self.years,
            rate: self.rate,
            dividend_yield: self.dividend_yield,
            vol: self.vol,
        }
        .greeks()
        .ok()
    }

    /// Present value of dividends over the option's life under the
    /// continuous-yield model: S (1 - e^{-qT}).
    pub fn pv_dividend(&self) -> f64 {
        self.spot * (1.0 - (-self.dividend_yield * self.years).exp())
    }
}

/// Smile: vol(K) = atm + smile * ln(K/S)^2.
pub fn smile_vol(atm: f64, smile: f64, spot: f64, strike: f64) -> f64 {
    let m = (strike / spot).ln();
    atm + smile * m * m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_path_is_deterministic_and_starts_at_configured_price() {
        let src = PriceSource::Generated {
            start_price: 560.0,
            annual_vol: 0.18,
            annual_drift: 0.0,
        };
        let mut a = PricePath::new(&src, 1000, 100, 7, 0);
        let mut b = PricePath::new(&src, 1000, 100, 7, 0);
        assert!((a.price(1000) - 560.0).abs() < 1e-9);
        for t in [900, 950, 1000, 1500, 5000] {
            assert_eq!(a.price(t), b.price(t));
        }
        let mut c = PricePath::new(&src, 1000, 100, 8, 0);
        assert_ne!(a.price(5000), c.price(5000));
    }

    #[test]
    fn generated_per_second_moves_match_the_configured_vol() {
        // Sample std-dev of log returns over 200k seconds must match
        // 0.18/sqrt(252*6.5*3600) within 2%.
        let src = PriceSource::Generated {
            start_price: 100.0,
            annual_vol: 0.18,
            annual_drift: 0.0,
        };
        let mut p = PricePath::new(&src, 0, 0, 1, 0);
        let n = 200_000;
        let mut rets = Vec::with_capacity(n);
        let mut prev = p.price(0);
        for t in 1..=n as i64 {
            let x = p.price(t);
            rets.push((x / prev).ln());
            prev = x;
        }
        let mean = rets.iter().sum::<f64>() / n as f64;
        let var = rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        let expected = 0.18 / TRADING_SECS_PER_YEAR.sqrt();
        assert!(
            (var.sqrt() / expected - 1.0).abs() < 0.02,
            "{} vs {}",
            var.sqrt(),
            expected
        );
    }

    #[test]
    fn replay_walks_through_each_bar_and_aggregates_back() {
        let bars = vec![
            ReplayBar {
                time: 0,
                open: 10.0,
                high: 12.0,
                low: 9.0,
                close: 11.0,
                volume: 600.0,
            },
            ReplayBar {
                time: 60,
                open: 11.0,
                high: 11.5,
                low: 8.0,
                close: 8.5,
                volume: 1200.0,
            },
        ];
        let mut p = PricePath::new(&PriceSource::Replay { bar_secs: 60, bars }, 0, 0, 1, 0);
        assert_eq!(p.price(0), 10.0);
        assert_eq!(p.price(19), 9.0); // up bar: open -> low at second 19
        assert_eq!(p.price(39), 12.0); // -> high at second 39
        assert_eq!(p.price(59), 11.0); // -> close on the last second
        assert_eq!(p.price(60), 11.0); // next bar opens
        assert_eq!(p.price(500), 8.5); // after the end the close holds
        let first = p.ohlc(0, 60, 0.0).unwrap();
        assert_eq!((first.open, first.high, first.low), (10.0, 12.0, 9.0));
        assert_eq!(first.volume, 600.0);
        assert_eq!(first.close, 11.0);
        let second = p.ohlc(60, 120, 0.0).unwrap();
        assert_eq!(
            (second.open, second.high, second.low, second.close),
            (11.0, 11.5, 8.0, 8.5)
        );
    }

    #[test]
    fn jump_moves_the_level_from_then_on_only() {
        let src = PriceSource::Generated {
            start_price: 100.0,
            annual_vol: 0.2,
            annual_drift: 0.0,
        };
        let mut p = PricePath::new(&src, 0, 10, 3, 0);
        let before = p.price(5);
        p.jump_to(10, 90.0);
        assert!((p.price(10) - 90.0).abs() < 1e-9);
        assert_eq!(p.price(5), before);
    }

    #[test]
    fn quote_straddles_last_by_the_half_spread() {
        let q = quote_around(560.004, 0.01, 1, 2, 3, 100.0);
        assert_eq!((q.bid, q.last, q.ask), (559.99, 560.0, 560.01));
        assert!(q.bid_size >= 100.0 && q.bid_size <= 1000.0);
    }
}
