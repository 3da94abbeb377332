//! The report's SVG charts (plotters' SVG backend; text stays SVG `<text>`
//! so the page's font applies) and the downsampling that keeps them small.
//!
//! Long series are reduced to at most [`MAX_POINTS`] points by keeping,
//! for each of `MAX_POINTS / 2` equal buckets of rows, the lowest and the
//! highest value in time order: spikes and drawdown troughs survive, and a
//! 1,000,000-row ledger still draws a ~30 kB chart.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use trade_core::{Money, Timestamp};
use trade_engine::ledger::EquityRow;

use crate::error::ReportError;
use crate::records::BenchmarkSeries;
use crate::returns::BenchmarkDaily;

/// The most points a chart line is drawn with.
pub const MAX_POINTS: usize = 2_000;

/// Canvas and type sizes of one rendering of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChartSize {
    width: u32,
    equity_height: u32,
    drawdown_height: u32,
    /// Plotters font size (the SVG gets `font / 1.24` px).
    font: u32,
    y_label_area: u32,
    x_label_area: u32,
    max_ticks: usize,
}

/// Desktop: drawn at about 1:1 in a 1,200 px page.
pub(crate) const WIDE: ChartSize = ChartSize {
    width: 1120,
    equity_height: 380,
    drawdown_height: 200,
    font: 16,
    y_label_area: 78,
    x_label_area: 34,
    max_ticks: 12,
};

/// Phones: drawn at about 0.6 scale in a 360 px column, so larger type.
pub(crate) const NARROW: ChartSize = ChartSize {
    width: 560,
    equity_height: 340,
    drawdown_height: 190,
    font: 24,
    y_label_area: 96,
    x_label_area: 42,
    max_ticks: 4,
};
const FONT: &str = "sans-serif";
const STRATEGY: RGBColor = RGBColor(37, 99, 235);
const BENCH: RGBColor = RGBColor(148, 163, 184);
const LOSS: RGBColor = RGBColor(220, 38, 38);
const GRID: RGBColor = RGBColor(226, 232, 240);
const AXIS: RGBColor = RGBColor(203, 213, 225);
const LABEL: RGBColor = RGBColor(100, 116, 139);
const SECS_PER_DAY: f64 = 86_400.0;

/// The indices to draw of a series of `n` values given in order by
/// `value(i)` (called exactly once per index, in order, so it may carry
/// state such as a running peak): the first and last index and, for each of
/// `max_points / 2` equal buckets, the indices of its lowest and highest
/// value in time order. At most `max_points + 2` indices, all of them when
/// `n` is small.
pub(crate) fn bucket_extremes(
    n: usize,
    max_points: usize,
    mut value: impl FnMut(usize) -> f64,
) -> Vec<usize> {
    let buckets = (max_points.saturating_sub(2) / 2).max(1);
    let size = n.div_ceil(buckets).max(1);
    let mut out = Vec::with_capacity((2 * buckets + 2).min(n + 2));
    if n == 0 {
        return out;
    }
    if size <= 2 {
        out.extend(0..n);
        for i in 0..n {
            value(i);
        }
        return out;
    }
    out.push(0);
    let mut start = 0;
    while start < n {
        let end = (start + size).min(n);
        let (mut lo, mut lo_i, mut hi, mut hi_i) = (f64::INFINITY, start, f64::NEG_INFINITY, start);
        for i in start..end {
            let v = value(i);
            if v < lo {
                lo = v;
                lo_i = i;
            }
            if v > hi {
                hi = v;
                hi_i = i;
            }
        }
        for i in [lo_i.min(hi_i), lo_i.max(hi_i)] {
            if out.last() != Some(&i) {
                out.push(i);
            }
        }
        start = end;
    }
    if out.last() != Some(&(n - 1)) {
        out.push(n - 1);
    }
    out
}

/// The equity line (dollars) and the drawdown line (percent below the
/// running peak, the initial cash being the first peak), reduced like
/// [`bucket_extremes`] in one pass over the rows (the ledger is large: one
/// pass instead of three is most of the cost).
fn equity_lines(equity: &[EquityRow], initial: Money) -> (Line, Line) {
    let n = equity.len();
    let buckets = (MAX_POINTS.saturating_sub(2) / 2).max(1);
    let size = n.div_ceil(buckets).max(1);
    let cap = (2 * buckets + 2).min(n);
    let mut eq: Vec<usize> = Vec::with_capacity(cap);
    let mut dd: Vec<(usize, f64)> = Vec::with_capacity(cap);
    let mut peak = initial.raw().max(1) as f64;
    let mut inv = 1.0 / peak;
    let mut last_d = 0.0;
    let mut start = 0;
    while start < n {
        let end = (start + size).min(n);
        // (value, index) of the lowest and highest equity and drawdown.
        let (mut e_lo, mut e_hi) = ((i64::MAX, start), (i64::MIN, start));
        let (mut d_lo, mut d_hi) = ((f64::INFINITY, start), (f64::NEG_INFINITY, start));
        for (k, r) in equity[start..end].iter().enumerate() {
            let i = start + k;
            let raw = r.equity().raw();
            if raw < e_lo.0 {
                e_lo = (raw, i);
            }
            if raw > e_hi.0 {
                e_hi = (raw, i);
            }
            let e = raw as f64;
            if e > peak {
                peak = e;
                inv = 1.0 / peak;
            }
            let d = e * inv - 1.0;
            if d < d_lo.0 {
                d_lo = (d, i);
            }
            if d > d_hi.0 {
                d_hi = (d, i);
            }
            last_d = d;
        }
        if start == 0 {
            // The very first point, whatever its value.
            eq.push(0);
            let d0 = if e_lo.1 == 0 {
                d_lo.0
            } else if d_hi.1 == 0 {
                d_hi.0
            } else {
                first_drawdown(equity, initial)
            };
            dd.push((0, d0));
        }
        for i in [e_lo.1.min(e_hi.1), e_lo.1.max(e_hi.1)] {
            if eq.last() != Some(&i) {
                eq.push(i);
            }
        }
        let (a, b) = if d_lo.1 <= d_hi.1 {
            (d_lo, d_hi)
        } else {
            (d_hi, d_lo)
        };
        for (v, i) in [a, b] {
            if dd.last().map(|p| p.0) != Some(i) {
                dd.push((i, v));
            }
        }
        start = end;
    }
    if n > 0 {
        if eq.last() != Some(&(n - 1)) {
            eq.push(n - 1);
        }
        if dd.last().map(|p| p.0) != Some(n - 1) {
            dd.push((n - 1, last_d));
        }
    }
    let x = |i: usize| x_of(equity[i].ts);
    (
        eq.into_iter()
            .map(|i| (x(i), equity[i].equity().to_f64()))
            .collect(),
        dd.into_iter().map(|(i, d)| (x(i), d * 100.0)).collect(),
    )
}

/// The drawdown of the first row against the initial cash.
fn first_drawdown(equity: &[EquityRow], initial: Money) -> f64 {
    let e = equity[0].equity().raw() as f64;
    let peak = (initial.raw().max(1) as f64).max(e);
    e / peak - 1.0
}

/// A linear time axis (days since the epoch) whose labelled ticks are
/// calendar boundaries chosen by [`time_ticks`].
#[derive(Debug, Clone)]
struct TimeAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Days since the epoch, the charts' x coordinate.
fn x_of(ts: Timestamp) -> f64 {
    ts.nanos() as f64 / 1e9 / SECS_PER_DAY
}

/// A chart line: (days since the epoch, value) points in time order.
pub(crate) type Line = Vec<(f64, f64)>;

/// The (downsampled) lines of the charts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartData {
    /// Strategy equity, dollars.
    pub equity: Line,
    /// Benchmark buy-and-hold equity, dollars.
    pub benchmark: Option<Line>,
    /// Strategy drawdown from its running peak (the initial cash counts as
    /// the first peak), percent.
    pub drawdown: Line,
}

impl ChartData {
    /// Lines from the equity ledger and the benchmark's closes between its
    /// base close and the last equity instant.
    pub fn new(
        equity: &[EquityRow],
        initial: Money,
        bench: Option<(&BenchmarkSeries<'_>, &BenchmarkDaily)>,
    ) -> Self {
        let (equity_line, drawdown) = equity_lines(equity, initial);
        let benchmark = bench.and_then(|(series, daily)| {
            let end = equity.last()?.ts;
            let (base_ts, base) = daily.base;
            let start = series.closes.partition_point(|t| t < base_ts);
            let stop = series.closes.partition_point(|t| t <= end);
            let window = series.closes.slice(start..stop);
            let k = initial.to_f64() / base.to_f64();
            // Indices below `window.len()`: every `get` finds its close.
            let idx = bucket_extremes(window.len(), MAX_POINTS, |i| {
                window.get(i).map_or(0.0, |c| c.1.raw() as f64)
            });
            let line: Vec<(f64, f64)> = idx
                .iter()
                .filter_map(|&i| window.get(i))
                .map(|(t, p)| (x_of(t), k * p.to_f64()))
                .collect();
            Some(line).filter(|v| !v.is_empty())
        });
        ChartData {
            equity: equity_line,
            benchmark,
            drawdown,
        }
    }
}

fn chart_err(chart: &'static str) -> impl Fn(String) -> ReportError {
    move |message| ReportError::Chart { chart, message }
}

/// Tick positions (days since the epoch) at calendar boundaries suited to
/// the span, and the label format for them.
fn time_ticks(x0: f64, x1: f64) -> (Vec<f64>, &'static str) {
    let span = x1 - x0;
    let to_date = |x: f64| {
        jiff::Timestamp::from_second((x * SECS_PER_DAY) as i64)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or(jiff::civil::Date::constant(1970, 1, 1))
    };
    let day_x = |d: jiff::civil::Date| -> f64 {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second() as f64 / SECS_PER_DAY)
            .unwrap_or(f64::NAN)
    };
    let (first, last) = (to_date(x0), to_date(x1));
    // (months per step, format) for spans of more than a month; days otherwise.
    let months = |step: i8, fmt: &'static str| {
        let mut ticks = Vec::new();
        let mut y = first.year();
        let mut m = first.month();
        // Round up to the next multiple of `step` months (January-aligned).
        loop {
            let d = jiff::civil::Date::new(y, m, 1).unwrap_or(first);
            if d > last {
                break;
            }
            if (m - 1) % step == 0 {
                let x = day_x(d);
                if x >= x0 && x <= x1 {
                    ticks.push(x);
                }
            }
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
        (ticks, fmt)
    };
    let years = span / 365.25;
    if years > 24.0 {
        let (t, f) = months(12, "%Y");
        (
            t.into_iter()
                .enumerate()
                .filter(|(i, _)| i % 5 == 0)
                .map(|(_, x)| x)
                .collect(),
            f,
        )
    } else if years > 12.0 {
        let (t, f) = months(12, "%Y");
        (
            t.into_iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, x)| x)
                .collect(),
            f,
        )
    } else if years > 4.0 {
        months(12, "%Y")
    } else if years > 1.5 {
        months(6, "%b %Y")
    } else if span > 150.0 {
        months(3, "%b %Y")
    } else if span > 45.0 {
        months(1, "%b %Y")
    } else if span > 3.0 {
        let step = (span / 8.0).ceil().max(1.0) as i64;
        let start = x0.ceil() as i64;
        (
            (start..=x1 as i64)
                .step_by(step as usize)
                .map(|d| d as f64)
                .collect(),
            "%b %d",
        )
    } else {
        let step_h = ((span * 24.0) / 8.0).ceil().max(1.0);
        let start = (x0 * 24.0).ceil();
        let ticks = (0..)
            .map(|i| (start + i as f64 * step_h) / 24.0)
            .take_while(|&x| x <= x1)
            .collect();
        (ticks, "%m-%d %H:%M")
    }
}

/// At most `max` ticks, keeping every k-th.
fn thin((ticks, fmt): (Vec<f64>, &'static str), max: usize) -> (Vec<f64>, &'static str) {
    let k = ticks.len().div_ceil(max.max(1)).max(1);
    (ticks.into_iter().step_by(k).collect(), fmt)
}

fn format_x(x: f64, fmt: &str) -> String {
    jiff::Timestamp::from_second((x * SECS_PER_DAY).round() as i64)
        .map(|t| t.strftime(fmt).to_string())
        .unwrap_or_default()
}

/// `$1.2M`, `$105k`, `$950` with decimals suited to the axis range.
fn compact_dollars(v: f64, range: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "\u{2212}" } else { "" };
    let (div, suffix) = if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let step = range / div / 6.0;
    let decimals = if step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 3.0) as usize
    };
    format!("{sign}${:.*}{suffix}", decimals, a / div)
}

fn bounds<'a>(lines: impl Iterator<Item = &'a [(f64, f64)]>) -> Option<((f64, f64), (f64, f64))> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for l in lines {
        for &(x, y) in l {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if !x0.is_finite() {
        return None;
    }
    if x1 - x0 < 1e-9 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    Some(((x0, x1), (y0, y1)))
}

/// Makes the SVG scale with its container and drops the namespace URL
/// (inline SVG in HTML needs none), so the page holds no `http` reference.
fn finish_svg(svg: String, w: u32, h: u32, label: &str) -> String {
    let head = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let new_head = format!(
        "<svg viewBox=\"0 0 {w} {h}\" class=\"chart\" role=\"img\" aria-label=\"{label}\" preserveAspectRatio=\"xMidYMid meet\">"
    );
    let mut out = String::with_capacity(svg.len());
    match svg.strip_prefix(&head) {
        Some(rest) => {
            out.push_str(&new_head);
            // Drop the newlines plotters puts after every element.
            out.extend(rest.split('\n'));
        }
        None => out.push_str(&svg),
    }
    out
}

/// The equity curve with the benchmark, as inline SVG; `None` without data.
///
/// # Errors
/// [`ReportError::Chart`] if plotting fails.
pub(crate) fn equity_svg(data: &ChartData, size: ChartSize) -> Result<Option<String>, ReportError> {
    let lines = std::iter::once(data.equity.as_slice()).chain(data.benchmark.as_deref());
    let Some(((x0, x1), (y0, y1))) = bounds(lines) else {
        return Ok(None);
    };
    let pad = ((y1 - y0) * 0.06).max(y1.abs() * 0.002).max(1.0);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let (ticks, fmt) = thin(time_ticks(x0, x1), size.max_ticks);
    let err = chart_err("equity");
    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (size.width, size.equity_height)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(12)
            .margin_right(20)
            .margin_left(4)
            .x_label_area_size(size.x_label_area)
            .y_label_area_size(size.y_label_area)
            .build_cartesian_2d(
                TimeAxis {
                    lo: x0,
                    hi: x1,
                    ticks,
                },
                y0..y1,
            )
            .map_err(|e| err(e.to_string()))?;
        let xf = |x: &f64| format_x(*x, fmt);
        let yf = |y: &f64| compact_dollars(*y, y1 - y0);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(4)
            .y_labels(6)
            .x_labels(size.max_ticks)
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style((FONT, size.font).into_font().color(&LABEL))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        if let Some(b) = &data.benchmark {
            chart
                .draw_series(LineSeries::new(b.iter().copied(), BENCH.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?;
        }
        chart
            .draw_series(LineSeries::new(
                data.equity.iter().copied(),
                STRATEGY.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(Some(finish_svg(
        buf,
        size.width,
        size.equity_height,
        "Equity curve",
    )))
}

/// The drawdown chart, as inline SVG; `None` without data.
///
/// # Errors
/// [`ReportError::Chart`] if plotting fails.
pub(crate) fn drawdown_svg(
    data: &ChartData,
    size: ChartSize,
) -> Result<Option<String>, ReportError> {
    let Some(((x0, x1), (lo, _))) = bounds(std::iter::once(data.drawdown.as_slice())) else {
        return Ok(None);
    };
    let y0 = if lo > -1.0 { -1.0 } else { lo * 1.08 };
    let (ticks, fmt) = thin(time_ticks(x0, x1), size.max_ticks);
    let err = chart_err("drawdown");
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (size.width, size.drawdown_height))
            .into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(10)
            .margin_right(20)
            .margin_left(4)
            .x_label_area_size(size.x_label_area)
            .y_label_area_size(size.y_label_area)
            .build_cartesian_2d(
                TimeAxis {
                    lo: x0,
                    hi: x1,
                    ticks,
                },
                y0..0.0,
            )
            .map_err(|e| err(e.to_string()))?;
        let xf = |x: &f64| format_x(*x, fmt);
        let decimals = if y0 > -5.0 { 1 } else { 0 };
        let yf = |y: &f64| format!("{:.*}%", decimals, *y).replace('-', "\u{2212}");
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(4)
            .y_labels(4)
            .x_labels(size.max_ticks)
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style((FONT, size.font).into_font().color(&LABEL))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(
                AreaSeries::new(data.drawdown.iter().copied(), 0.0, LOSS.mix(0.18))
                    .border_style(LOSS.stroke_width(1)),
            )
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(Some(finish_svg(
        buf,
        size.width,
        size.drawdown_height,
        "Drawdown",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_extremes_first_and_last() {
        let n = 1_000_000;
        let y = |i: usize| {
            if i == 123_457 {
                -50.0
            } else if i == 777_777 {
                500.0
            } else {
                (i % 100) as f64
            }
        };
        let mut calls = 0;
        let idx = bucket_extremes(n, MAX_POINTS, |i| {
            assert_eq!(i, calls, "called once per index, in order");
            calls += 1;
            y(i)
        });
        assert_eq!(calls, n);
        assert!(idx.len() <= MAX_POINTS + 2, "{}", idx.len());
        assert_eq!(idx[0], 0);
        assert_eq!(*idx.last().unwrap(), n - 1);
        assert!(idx.contains(&123_457) && idx.contains(&777_777));
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "time order, no duplicates"
        );
    }

    #[test]
    fn one_pass_lines_agree_with_bucket_extremes() {
        let mut e = 1_000_000.0_f64;
        let mut s = 0x2545_f491_4f6c_dd1d_u64;
        let rows: Vec<EquityRow> = (0..123_457)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                e *= 1.0 + 0.002 * ((s % 1000) as f64 / 1000.0 - 0.5);
                EquityRow {
                    ts: Timestamp::from_secs(1_600_000_000 + i * 60),
                    cash: Money::from_f64((e * 100.0).round() / 100.0).unwrap(),
                    gross_exposure: Money::ZERO,
                    net_exposure: Money::ZERO,
                }
            })
            .collect();
        let initial = Money::from_dollars(1_000_000);
        let (eq, dd) = equity_lines(&rows, initial);
        let want = bucket_extremes(rows.len(), MAX_POINTS, |i| rows[i].equity().to_f64());
        let want: Vec<(f64, f64)> = want
            .iter()
            .map(|&i| (x_of(rows[i].ts), rows[i].equity().to_f64()))
            .collect();
        assert_eq!(eq, want);
        assert!(dd.len() <= MAX_POINTS + 2);
        // The deepest point is kept, with the exact depth.
        let mut peak = initial.to_f64();
        let deepest = rows
            .iter()
            .map(|r| {
                peak = peak.max(r.equity().to_f64());
                (r.equity().to_f64() / peak - 1.0) * 100.0
            })
            .fold(0.0, f64::min);
        let got = dd.iter().map(|p| p.1).fold(0.0, f64::min);
        assert!((got - deepest).abs() < 1e-9, "{got} vs {deepest}");
    }

    #[test]
    fn short_series_are_kept_whole() {
        assert_eq!(
            bucket_extremes(5, MAX_POINTS, |i| i as f64),
            [0, 1, 2, 3, 4]
        );
        assert!(bucket_extremes(0, MAX_POINTS, |_| 0.0).is_empty());
        assert_eq!(bucket_extremes(1, MAX_POINTS, |_| 1.0), [0]);
    }

    #[test]
    fn drawdown_line_matches_a_direct_computation() {
        let rows: Vec<EquityRow> = [100.0, 110.0, 99.0, 120.0, 60.0]
            .iter()
            .enumerate()
            .map(|(i, &e)| EquityRow {
                ts: Timestamp::from_secs(i as i64 * 86_400),
                cash: Money::from_f64(e).unwrap(),
                gross_exposure: Money::ZERO,
                net_exposure: Money::ZERO,
            })
            .collect();
        let d = ChartData::new(&rows, Money::from_dollars(105), None);
        let dd: Vec<f64> = d
            .drawdown
            .iter()
            .map(|p| (p.1 * 1e6).round() / 1e6)
            .collect();
        assert_eq!(
            dd,
            [(100.0 / 105.0 - 1.0) * 100.0, 0.0, -10.0, 0.0, -50.0]
                .map(|v: f64| (v * 1e6).round() / 1e6)
        );
        assert_eq!(d.equity.len(), 5);
    }

    #[test]
    fn labels() {
        assert_eq!(compact_dollars(105_000.0, 20_000.0), "$105k");
        assert_eq!(compact_dollars(100_500.0, 2_000.0), "$100.5k");
        assert_eq!(compact_dollars(1_250_000.0, 1_000_000.0), "$1.2M");
        let (t, f) = time_ticks(18_262.0, 18_262.0 + 3.0 * 365.25);
        assert_eq!(f, "%b %Y");
        assert_eq!(format_x(t[0], f), "Jan 2020");
        assert_eq!(format_x(t[1], f), "Jul 2020");
    }
}
