//! Historical bars for warming strategies up, within IB's historical-data
//! pacing rules (TWS API documentation, "Historical Data Limitations",
//! for bars of 30 seconds or less, which is what the pacer guards; larger
//! bars are only soft-limited by IB and go through the same pacer anyway):
//!
//! - no identical request within 15 seconds;
//! - no six or more requests for the same contract (and tick type) within
//!   2 seconds;
//! - no more than 60 requests within any 10 minutes.
//!
//! [`Pacer`] waits rather than breaks a rule: a pacing violation (error
//! 162) costs far more than the wait.

use std::collections::VecDeque;
use std::time::Duration;

use ibapi::Client;
use ibapi::market_data::historical::{BarSize as IbBarSize, BarTimestamp, ToDuration, WhatToShow};
use tokio::time::Instant;
use trade_calendar::Nyse;
use trade_core::{Bar, Instrument, InstrumentId, Timestamp};

use crate::aggregate::BarSize;
use crate::contracts;

const IDENTICAL: Duration = Duration::from_secs(15);
const BURST: Duration = Duration::from_secs(2);
const BURST_MAX: usize = 5;
const WINDOW: Duration = Duration::from_secs(600);
const WINDOW_MAX: usize = 60;

/// Remembers recent historical requests and says how long to wait before
/// the next one keeps IB's pacing rules.
#[derive(Debug, Default)]
pub struct Pacer {
    /// (when, request key, contract key), oldest first.
    log: VecDeque<(Instant, String, String)>,
}

impl Pacer {
    /// A pacer with no history.
    pub fn new() -> Self {
        Pacer::default()
    }

    /// How long to wait at `now` before sending the request `key` on
    /// `contract` (zero: send now).
    pub fn delay(&mut self, now: Instant, key: &str, contract: &str) -> Duration {
        while self
            .log
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t) >= WINDOW)
        {
            self.log.pop_front();
        }
        let mut wait = Duration::ZERO;
        let until = |t: Instant, d: Duration| (t + d).saturating_duration_since(now);
        if let Some((t, _, _)) = self.log.iter().rev().find(|(_, k, _)| k == key) {
            wait = wait.max(until(*t, IDENTICAL));
        }
        let same: Vec<Instant> = self
            .log
            .iter()
            .filter(|(_, _, c)| c == contract)
            .map(|(t, _, _)| *t)
            .collect();
        if same.len() >= BURST_MAX {
            // The request may go once the oldest of the last five is 2 s old.
            wait = wait.max(until(same[same.len() - BURST_MAX], BURST));
        }
        if self.log.len() >= WINDOW_MAX {
            wait = wait.max(until(self.log[self.log.len() - WINDOW_MAX].0, WINDOW));
        }
        wait
    }

    /// Records a request sent at `at`.
    pub fn sent(&mut self, at: Instant, key: &str, contract: &str) {
        self.log
            .push_back((at, key.to_string(), contract.to_string()));
    }

    /// Waits as long as [`Pacer::delay`] says, then records the request.
    pub async fn admit(&mut self, key: &str, contract: &str) {
        let wait = self.delay(Instant::now(), key, contract);
        if !wait.is_zero() {
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                key,
                "historical data: pacing"
            );
            tokio::time::sleep(wait).await;
        }
        self.sent(Instant::now(), key, contract);
    }
}

/// IB's bar size for ours (`None`: not one IB serves).
fn ib_bar_size(size: BarSize) -> Option<IbBarSize> {
    Some(match size {
        BarSize::Session => IbBarSize::Day,
        BarSize::Intraday(s) => match s {
            5 => IbBarSize::Sec5,
            10 => IbBarSize::Sec10,
            15 => IbBarSize::Sec15,
            30 => IbBarSize::Sec30,
            60 => IbBarSize::Min,
            120 => IbBarSize::Min2,
            180 => IbBarSize::Min3,
            300 => IbBarSize::Min5,
            600 => IbBarSize::Min10,
            900 => IbBarSize::Min15,
            1200 => IbBarSize::Min20,
            1800 => IbBarSize::Min30,
            3600 => IbBarSize::Hour,
            _ => return None,
        },
    })
}

/// The last `count` bars of `size` of each instrument, stamped at their
/// end as the backtest's bars are (daily bars at the NYSE close of their
/// session), regular trading hours only, from IB's TRADES history, each
/// request paced. Instruments whose history fails are returned empty with
/// a warning (the strategy then warms up on live bars).
///
/// # Errors
/// The bar size is not one IB serves.
pub async fn warmup_bars(
    client: &Client,
    instruments: &[Instrument],
    size: BarSize,
    count: usize,
    pacer: &mut Pacer,
) -> Result<Vec<Vec<Bar>>, String> {
    let ib_size =
        ib_bar_size(size).ok_or_else(|| format!("IB serves no historical bars of {size:?}"))?;
    let mut out = Vec::with_capacity(instruments.len());
    for (i, ins) in instruments.iter().enumerate() {
        let contract = contracts::contract(ins);
        let (duration, bar_secs) = match size {
            // Calendar days covering `count` sessions (weekends, holidays).
            BarSize::Session => ((count as i32 * 7 / 5 + 10).days(), 86_400_i64),
            BarSize::Intraday(s) => {
                // Regular sessions are 6.5 hours: days enough for `count` bars.
                let per_day = (23_400 / s.max(1)).max(1) as usize;
                ((count.div_ceil(per_day) as i32 + 4).days(), i64::from(s))
            }
        };
        // What IB compares for "identical": contract, bar size, what to
        // show, duration and end (always now here).
        let key = format!("{}|{ib_size:?}|TRADES|{duration:?}", ins.symbol);
        pacer.admit(&key, ins.symbol.as_str()).await;
        let fetched = client
            .historical_data(&contract, ib_size)
            .what_to_show(WhatToShow::Trades)
            .duration(duration)
            .fetch()
            .await;
        let data = match fetched {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(symbol = %ins.symbol, error = %e, "historical bars not available; warming up on live bars");
                out.push(Vec::new());
                continue;
            }
        };
        let id = InstrumentId(i as u32);
        let mut bars: Vec<Bar> = data
            .bars
            .iter()
            .filter_map(|b| {
                let end = match (size, &b.date) {
                    // IB stamps a daily bar with its date; ours end at that
                    // session's close.
                    (BarSize::Session, BarTimestamp::Date(d)) => {
                        let date =
                            jiff::civil::date(d.year() as i16, d.month() as i8, d.day() as i8);
                        Nyse.session(date).ok().flatten()?.close
                    }
                    (BarSize::Intraday(_), BarTimestamp::DateTime(t)) => Timestamp::from_nanos(
                        i64::try_from(t.unix_timestamp_nanos()).ok()? + bar_secs * 1_000_000_000,
                    ),
                    _ => return None,
                };
                Some(Bar {
                    instrument: id,
                    ts: end,
                    open: contracts::price("historical open", b.open).ok()?,
                    high: contracts::price("historical high", b.high).ok()?,
                    low: contracts::price("historical low", b.low).ok()?,
                    close: contracts::price("historical close", b.close).ok()?,
                    volume: b.volume.max(0.0) as u64,
                })
            })
            .collect();
        bars.sort_by_key(|b| b.ts);
        bars.dedup_by_key(|b| b.ts);
        let keep = bars.len().saturating_sub(count);
        bars.drain(..keep);
        tracing::info!(symbol = %ins.symbol, bars = bars.len(), "historical warm-up bars");
        out.push(bars);
    }
    Ok(out)
}

/// [`warmup_bars`] on a short connection of its own (the session's client
/// id, before the session connects): the strategies' warm-up history for
/// `trade live` with `warmup = "ib"`.
///
/// # Errors
/// The connection fails or the bar size is not one IB serves.
pub async fn fetch_warmup(
    cfg: &crate::IbConfig,
    instruments: &[Instrument],
    count: usize,
) -> Result<Vec<Vec<Bar>>, String> {
    let size = BarSize::from_seconds(cfg.bar_seconds)
        .ok_or_else(|| format!("bar size {} s cannot come from IB", cfg.bar_seconds))?;
    let address = format!("{}:{}", cfg.host, cfg.port);
    let client = Client::connect(&address, cfg.client_id)
        .await
        .map_err(|e| format!("connecting to {address} for warm-up history: {e}"))?;
    let mut pacer = Pacer::new();
    warmup_bars(&client, instruments, size, count, &mut pacer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_requests_wait_fifteen_seconds() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        assert_eq!(p.delay(t0, "SPY|Min|100", "SPY"), Duration::ZERO);
        p.sent(t0, "SPY|Min|100", "SPY");
        let t1 = t0 + Duration::from_secs(4);
        assert_eq!(p.delay(t1, "SPY|Min|100", "SPY"), Duration::from_secs(11));
        assert_eq!(p.delay(t1, "QQQ|Min|100", "QQQ"), Duration::ZERO);
        assert_eq!(
            p.delay(t0 + Duration::from_secs(15), "SPY|Min|100", "SPY"),
            Duration::ZERO
        );
    }

    #[test]
    fn a_sixth_request_on_one_contract_within_two_seconds_waits() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        for k in 0..5 {
            let t = t0 + Duration::from_millis(100 * k);
            assert_eq!(p.delay(t, &format!("SPY|{k}"), "SPY"), Duration::ZERO);
            p.sent(t, &format!("SPY|{k}"), "SPY");
        }
        let t = t0 + Duration::from_millis(500);
        assert_eq!(p.delay(t, "SPY|5", "SPY"), Duration::from_millis(1500));
        assert_eq!(p.delay(t, "QQQ|0", "QQQ"), Duration::ZERO);
    }

    #[test]
    fn sixty_requests_in_ten_minutes_is_the_most() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        for k in 0..60u64 {
            // Different contracts, 3 s apart: only the 10-minute rule applies.
            let t = t0 + Duration::from_secs(3 * k);
            let c = format!("C{k}");
            assert_eq!(p.delay(t, &c, &c), Duration::ZERO, "request {k}");
            p.sent(t, &c, &c);
        }
        let t = t0 + Duration::from_secs(180);
        assert_eq!(p.delay(t, "X", "X"), Duration::from_secs(420));
        assert_eq!(
            p.delay(t0 + Duration::from_secs(600), "X", "X"),
            Duration::ZERO
        );
    }

    #[test]
    fn bar_sizes_map_to_ibs() {
        assert_eq!(ib_bar_size(BarSize::Intraday(60)), Some(IbBarSize::Min));
        assert_eq!(ib_bar_size(BarSize::Session), Some(IbBarSize::Day));
        assert_eq!(ib_bar_size(BarSize::Intraday(45)), None);
    }
}
