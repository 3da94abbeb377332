//! From parsed rows to bars: instants in UTC, row order (detect, reject
//! unsorted, reverse newest-first), interval detection, stamping bars by
//! their close, the regular-hours filter, and the recoverable-problem
//! policies for inconsistent prices and rows on closed days.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use trade_core::fixed::format_raw;
use trade_core::{Bar, InstrumentId, Price, Timestamp};

use crate::error::{Location, ProblemKind};
use crate::spec::{BarFileSpec, BarLabel, Interval, IntervalSpec, RowOrder, TradingHours};
use crate::table::{RawTable, Sink, Stop};
use crate::timestamps::{DAY, LocalToUtc, NO_OFFSET, SessionLookup, date_of_day};

/// Bars and what was learnt making them.
#[derive(Debug)]
pub(crate) struct Normalised {
    pub bars: Vec<Bar>,
    pub interval: Interval,
    pub order: RowOrder,
    pub skipped_outside_hours: usize,
}

/// Runs every step; problems go to `sink`.
pub(crate) fn normalise(
    mut table: RawTable,
    spec: &BarFileSpec,
    sink: &mut Sink,
    instrument: InstrumentId,
) -> Result<Normalised, Stop> {
    let daily = match spec.interval {
        IntervalSpec::Fixed(i) => i == Interval::Daily,
        IntervalSpec::Auto => table.all_date_only || table.all_midnight,
    };
    let scan = to_keys(&mut table, spec, daily, sink)?;
    let (order, sorted) = orient(&mut table, spec.order, daily, &scan, sink)?;
    let interval = if daily {
        Interval::Daily
    } else {
        // A file that was already strictly monotonic has its steps counted;
        // otherwise count them again over the rows that were kept.
        let step = if sorted {
            scan.steps.best()
        } else {
            detect_step(table.bars.iter().map(|b| b.ts.nanos()))
        };
        match (spec.interval, step) {
            (IntervalSpec::Fixed(i), _) => i,
            (IntervalSpec::Auto, Some(s)) => Interval::Seconds(s),
            (IntervalSpec::Auto, None) => {
                return Err(sink.fatal(Location::File, None, ProblemKind::NoInterval));
            }
        }
    };
    let mut skipped_outside_hours = 0;
    match interval {
        Interval::Daily => daily_bars(&mut table, spec, sink)?,
        Interval::Seconds(s) => {
            skipped_outside_hours = intraday_bars(&mut table, spec, sink, i64::from(s))?
        }
    }
    let mut bars = table.bars;
    if instrument != InstrumentId(0) {
        for b in &mut bars {
            b.instrument = instrument;
        }
    }
    if bars.is_empty() && !sink.has_errors() {
        return Err(sink.fatal(Location::File, None, ProblemKind::NoBarsLeft));
    }
    Ok(Normalised {
        bars,
        interval,
        order,
        skipped_outside_hours,
    })
}

/// What the key pass learnt on the way: whether the keys are strictly
/// monotonic either way (then ordering needs no second pass) and how often
/// each step between neighbours occurs.
#[derive(Debug)]
struct Scan {
    ascending: bool,
    descending: bool,
    steps: StepCounts,
}

impl Scan {
    fn new() -> Self {
        Scan {
            ascending: true,
            descending: true,
            steps: StepCounts::default(),
        }
    }

    #[inline]
    fn see(&mut self, prev: i64, key: i64) {
        let d = key - prev;
        self.ascending &= d > 0;
        self.descending &= d < 0;
        self.steps.add(d.abs());
    }
}

/// Counts of the steps between consecutive intraday bars (< 1 day).
#[derive(Debug, Default)]
struct StepCounts(Vec<(i64, usize)>);

impl StepCounts {
    #[inline]
    fn add(&mut self, d: i64) {
        if d <= 0 || d >= DAY {
            return;
        }
        if let Some(c) = self.0.first_mut().filter(|c| c.0 == d) {
            c.1 += 1; // the common case, checked first
        } else if let Some(c) = self.0.iter_mut().find(|(s, _)| *s == d) {
            c.1 += 1;
        } else if self.0.len() < 64 {
            self.0.push((d, 1));
        }
    }

    /// The most common step (the smaller one on ties).
    fn best(&self) -> Option<u32> {
        self.0
            .iter()
            .max_by_key(|&&(s, n)| (n, -s))
            .and_then(|&(s, _)| u32::try_from(s).ok())
    }
}

/// Replaces each row's civil seconds by its sort key: the day number for
/// daily files, UTC seconds of the label for intraday ones.
fn to_keys(
    table: &mut RawTable,
    spec: &BarFileSpec,
    daily: bool,
    sink: &mut Sink,
) -> Result<Scan, Stop> {
    let mut scan = Scan::new();
    if daily {
        let mut prev: Option<i64> = None;
        for i in 0..table.len() {
            let k = table.key(i).div_euclid(DAY);
            table.set_key(i, k);
            if let Some(p) = prev {
                scan.see(p, k);
            }
            prev = Some(k);
        }
        return Ok(scan);
    }
    let mut prev: Option<i64> = None;
    let mut zone: Option<LocalToUtc> = None;
    let mut keep = vec![true; table.len()];
    let mut any_bad = false;
    for (i, keep) in keep.iter_mut().enumerate() {
        let off = table.meta[i].1;
        if off != NO_OFFSET {
            let k = table.key(i) - i64::from(off);
            table.set_key(i, k);
            if let Some(p) = prev {
                scan.see(p, k);
            }
            prev = Some(k);
            continue;
        }
        if zone.is_none() {
            let tz = TimeZone::get(&spec.timezone).map_err(|e| {
                sink.fatal(
                    Location::File,
                    None,
                    ProblemKind::BadSpec(format!("time zone {:?}: {e}", spec.timezone)),
                )
            })?;
            zone = Some(LocalToUtc::new(tz));
        }
        let local = table.key(i);
        match zone.as_mut().and_then(|z| z.utc_of(local)) {
            Some(utc) => {
                table.set_key(i, utc);
                if let Some(p) = prev {
                    scan.see(p, utc);
                }
                prev = Some(utc);
            }
            None => {
                *keep = false;
                any_bad = true;
                let kind = ProblemKind::BadTimestamp {
                    found: format!("civil second {local}"),
                    expected: "a representable date-time".into(),
                };
                sink.error(table.loc(i), None, kind)?;
            }
        }
    }
    if any_bad {
        table.retain(&keep);
    }
    Ok(scan)
}

fn describe_key(key: i64, daily: bool) -> String {
    if daily {
        date_of_day(key).map_or_else(|| key.to_string(), |d| d.to_string())
    } else {
        jiff::Timestamp::from_second(key).map_or_else(|_| key.to_string(), |t| t.to_string())
    }
}

/// Establishes the order from the first two distinct keys, reports every
/// duplicate and every row against that order, keeps only rows that extend
/// the sequence, and reverses newest-first files. Returns the order and
/// whether the file was strictly monotonic already (nothing dropped).
fn orient(
    table: &mut RawTable,
    wanted: RowOrder,
    daily: bool,
    scan: &Scan,
    sink: &mut Sink,
) -> Result<(RowOrder, bool), Stop> {
    let sorted = match wanted {
        RowOrder::Auto if scan.ascending => Some(RowOrder::Ascending),
        RowOrder::Auto if scan.descending => Some(RowOrder::Descending),
        RowOrder::Ascending if scan.ascending => Some(RowOrder::Ascending),
        RowOrder::Descending if scan.descending => Some(RowOrder::Descending),
        _ => None,
    };
    if let Some(order) = sorted {
        if order == RowOrder::Descending {
            table.reverse();
        }
        return Ok((order, true));
    }
    let n = table.len();
    let detected = (1..n)
        .map(|i| (table.key(i - 1), table.key(i)))
        .find(|(a, b)| a != b)
        .map_or(RowOrder::Ascending, |(a, b)| {
            if b > a {
                RowOrder::Ascending
            } else {
                RowOrder::Descending
            }
        });
    let order = match wanted {
        RowOrder::Auto => detected,
        o => o,
    };
    let asc = order == RowOrder::Ascending;
    let mut keep: Option<Vec<bool>> = None;
    let mut last: Option<usize> = None;
    for i in 0..n {
        if let Some(p) = last {
            let (k, kp) = (table.key(i), table.key(p));
            let later = if asc { k > kp } else { k < kp };
            if !later {
                let previous = u64::from(table.meta[p].0);
                let kind = if k == kp {
                    ProblemKind::Duplicate {
                        previous,
                        ts: describe_key(k, daily),
                    }
                } else {
                    ProblemKind::OutOfOrder {
                        previous,
                        order: order.name(),
                    }
                };
                sink.error(table.loc(i), None, kind)?;
                keep.get_or_insert_with(|| vec![true; n])[i] = false;
                continue;
            }
        }
        last = Some(i);
    }
    if let Some(keep) = keep {
        table.retain(&keep);
    }
    if !asc {
        table.reverse();
    }
    Ok((order, false))
}

/// The most common step between consecutive bars of the same day.
fn detect_step(keys: impl Iterator<Item = i64>) -> Option<u32> {
    let mut counts = StepCounts::default();
    let mut prev: Option<i64> = None;
    for k in keys {
        if let Some(p) = prev {
            counts.add(k - p);
        }
        prev = Some(k);
    }
    counts.best()
}

/// Applies the bad-OHLC policy; returns whether to keep the row.
fn check_prices(
    bar: &Bar,
    spec: &BarFileSpec,
    sink: &mut Sink,
    loc: Location,
) -> Result<bool, Stop> {
    let Err(problem) = bar.check() else {
        return Ok(true);
    };
    let prices = [bar.open, bar.high, bar.low, bar.close];
    let kind = if problem == trade_core::BarProblem::NonPositivePrice {
        let found = prices
            .into_iter()
            .find(|p| p.raw() <= 0)
            .unwrap_or(Price::ZERO);
        ProblemKind::NonPositivePrice {
            found: format_raw(found.raw(), 2),
        }
    } else {
        ProblemKind::BadOhlc {
            problem,
            ohlc: prices.map(|p| format_raw(p.raw(), 2)),
        }
    };
    sink.policy(spec.on_bad_ohlc, loc, None, kind)
}

/// 16:00 New York on `date`, for rows the calendar cannot place.
fn nominal_close(date: Date) -> Option<i64> {
    let z = date
        .at(16, 0, 0, 0)
        .to_zoned(crate::timestamps::new_york())
        .ok()?;
    Some(z.timestamp().as_second())
}

fn daily_bars(table: &mut RawTable, spec: &BarFileSpec, sink: &mut Sink) -> Result<(), Stop> {
    let cal = SessionLookup::new();
    let mut warned_range = false;
    let mut w = 0;
    for i in 0..table.len() {
        let loc = table.loc(i);
        let day = table.key(i);
        let Some(date) = date_of_day(day) else {
            continue;
        };
        let mut keep = true;
        let ts = match cal.on(date) {
            Ok(Some(s)) => s.close,
            Ok(None) => {
                let kind = ProblemKind::NonSession {
                    date,
                    reason: trade_calendar::Nyse.closure_reason(date),
                };
                keep = sink.policy(spec.on_non_session, loc, None, kind)?;
                Timestamp::from_secs(nominal_close(date).unwrap_or(day * DAY))
            }
            Err(_) => {
                // Out of the calendar's years: stamp 16:00 New York and say so once.
                if !warned_range {
                    warned_range = true;
                    sink.warn(loc, None, ProblemKind::OutsideCalendar { date });
                }
                Timestamp::from_secs(nominal_close(date).unwrap_or(day * DAY))
            }
        };
        let mut bar = table.bars[i];
        bar.ts = ts;
        keep &= check_prices(&bar, spec, sink, loc)?;
        if keep {
            table.bars[w] = bar;
            w += 1;
        }
    }
    table.bars.truncate(w);
    Ok(())
}

/// Returns the number of bars left out as outside regular hours.
fn intraday_bars(
    table: &mut RawTable,
    spec: &BarFileSpec,
    sink: &mut Sink,
    step: i64,
) -> Result<usize, Stop> {
    let mut cal = SessionLookup::new();
    let mut closed_day: Option<(Date, bool)> = None;
    let regular_only = spec.hours == TradingHours::Regular;
    let label_shift = match spec.label {
        BarLabel::Start => 0,
        BarLabel::End => step,
    };
    // The current session's bounds in seconds, to test bars without
    // going through the calendar for every row. A bar belongs to the
    // session its start falls in; with regular hours only, a bar running
    // past the close (an hourly bar from 15:30) ends at the close.
    let mut window: Option<(i64, i64)> = None;
    let mut skipped = 0;
    let mut w = 0;
    for i in 0..table.len() {
        let start = table.key(i) - label_shift;
        let end = start + step;
        let mut keep = true;
        let inside = window.is_some_and(|(open, close)| start >= open && start < close);
        if !inside {
            let loc = table.loc(i);
            let (date, session) = cal.at(start);
            match session {
                Ok(Some(s)) => {
                    let (open, close) = (s.open.secs(), s.close.secs());
                    window = Some((open, close));
                    if regular_only && !(start >= open && start < close) {
                        skipped += 1;
                        continue;
                    }
                }
                Ok(None) => {
                    let Some(date) = date else { continue };
                    // One report per closed day, the policy applied to all its rows.
                    keep = match closed_day {
                        Some((d, k)) if d == date => k,
                        _ => {
                            let kind = ProblemKind::NonSession {
                                date,
                                reason: trade_calendar::Nyse.closure_reason(date),
                            };
                            let k = sink.policy(spec.on_non_session, loc, None, kind)?;
                            closed_day = Some((date, k));
                            k
                        }
                    };
                }
                Err(e) => {
                    sink.error(loc, None, ProblemKind::OutsideCalendar { date: e.date })?;
                    continue;
                }
            }
        }
        let end = match window {
            Some((open, close)) if regular_only && start >= open && start < close => end.min(close),
            _ => end,
        };
        let mut bar = table.bars[i];
        bar.ts = Timestamp::from_secs(end);
        if bar.check().is_err() {
            keep &= check_prices(&bar, spec, sink, table.loc(i))?;
        }
        if keep {
            table.bars[w] = bar;
            w += 1;
        }
    }
    table.bars.truncate(w);
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Row;

    fn table(keys: &[i64]) -> RawTable {
        let mut t = RawTable::new(false);
        for (i, &k) in keys.iter().enumerate() {
            t.push(Row {
                line: i as u64 + 2,
                offset: NO_OFFSET,
                local: k,
                date_only: true,
                open: 1,
                high: 1,
                low: 1,
                close: 1,
                volume: 0,
            });
        }
        t
    }

    #[test]
    fn orientation_table() {
        // (case, keys, wanted order, expected order, kept keys, problem lines)
        type Case = (
            &'static str,
            Vec<i64>,
            RowOrder,
            RowOrder,
            Vec<i64>,
            Vec<u64>,
        );
        let cases: Vec<Case> = vec![
            (
                "ascending",
                vec![1, 2, 3],
                RowOrder::Auto,
                RowOrder::Ascending,
                vec![1, 2, 3],
                vec![],
            ),
            (
                "descending reversed",
                vec![3, 2, 1],
                RowOrder::Auto,
                RowOrder::Descending,
                vec![1, 2, 3],
                vec![],
            ),
            (
                "duplicate",
                vec![1, 2, 2, 3],
                RowOrder::Auto,
                RowOrder::Ascending,
                vec![1, 2, 3],
                vec![4],
            ),
            (
                "unsorted",
                vec![1, 3, 2, 4],
                RowOrder::Auto,
                RowOrder::Ascending,
                vec![1, 3, 4],
                vec![4],
            ),
            (
                "leading duplicate",
                vec![5, 5, 4],
                RowOrder::Auto,
                RowOrder::Descending,
                vec![4, 5],
                vec![3],
            ),
            (
                "forced ascending",
                vec![3, 2],
                RowOrder::Ascending,
                RowOrder::Ascending,
                vec![3],
                vec![3],
            ),
            (
                "single",
                vec![7],
                RowOrder::Auto,
                RowOrder::Ascending,
                vec![7],
                vec![],
            ),
        ];
        for (name, keys, wanted, want_order, want_keys, want_lines) in cases {
            let mut t = table(&keys);
            let mut sink = Sink::new("f".into(), false);
            let mut scan = Scan::new();
            for w in keys.windows(2) {
                scan.see(w[0], w[1]);
            }
            let (order, _) = orient(&mut t, wanted, true, &scan, &mut sink).unwrap();
            assert_eq!(order, want_order, "case {name}");
            assert_eq!(
                (0..t.len()).map(|i| t.key(i)).collect::<Vec<_>>(),
                want_keys,
                "case {name}"
            );
            assert_eq!(t.len(), want_keys.len(), "case {name}");
            let lines: Vec<u64> = sink.problems.iter().filter_map(|p| p.line()).collect();
            assert_eq!(lines, want_lines, "case {name}: {:?}", sink.problems);
        }
    }

    #[test]
    fn step_detection_prefers_most_common() {
        let keys = [0, 60, 120, 180, 300, 360, DAY, DAY + 60];
        assert_eq!(detect_step(keys.into_iter()), Some(60));
        assert_eq!(detect_step(keys[..1].iter().copied()), None);
        assert_eq!(detect_step([0, 300, 400, 700, 1000].into_iter()), Some(300));
    }
}
