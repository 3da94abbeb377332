//! The replay feed: recorded bars played back as a live feed would deliver
//! them — each instant's bars, then `Instant`, then `End` after the last —
//! on an accelerated clock (`--speed N`: N times real time; `max`: as fast
//! as the session consumes them).
//!
//! Pacing: given the session's status receiver, the replay starts once the
//! session is connected and reconciled, and sends an instant only after the
//! session has processed the previous one. A replay is then deterministic:
//! every order decided at one close is at the broker before the next bar,
//! as in the backtest, whatever the speed.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use trade_core::{Bar, Timestamp};

use crate::adapter::{FeedCommand, FeedEvent, FeedLink, feed_channels};
use crate::config::Speed;
use crate::status::{Connection, SessionStatus};

/// A replay feed's link and the task to spawn.
pub fn replay_link(
    series: Vec<Vec<Bar>>,
    speed: Speed,
    pace: Option<watch::Receiver<SessionStatus>>,
) -> (FeedLink, impl Future<Output = ()> + Send) {
    let (link, commands, events) = feed_channels();
    (link, run(series, speed, pace, commands, events))
}

/// Bars grouped by instant, in time order (instrument order inside one).
pub fn instants(series: &[Vec<Bar>]) -> Vec<(Timestamp, Vec<Bar>)> {
    let mut all: Vec<Bar> = series.iter().flatten().copied().collect();
    all.sort_by_key(|b| (b.ts, b.instrument));
    let mut out: Vec<(Timestamp, Vec<Bar>)> = Vec::new();
    for b in all {
        match out.last_mut() {
            Some((t, bars)) if *t == b.ts => bars.push(b),
            _ => out.push((b.ts, vec![b])),
        }
    }
    out
}

/// Waits until `ready` holds for the session's status; false if the
/// session is gone or stopped.
async fn wait_for(
    pace: &mut watch::Receiver<SessionStatus>,
    ready: impl Fn(&SessionStatus) -> bool,
) -> bool {
    match pace
        .wait_for(|s| s.connection == Connection::Stopped || ready(s))
        .await
    {
        Ok(s) => s.connection != Connection::Stopped,
        Err(_) => false,
    }
}

/// Plays the bars; ends on `Shutdown`, when the session goes away, or
/// after sending `End`.
pub async fn run(
    series: Vec<Vec<Bar>>,
    speed: Speed,
    mut pace: Option<watch::Receiver<SessionStatus>>,
    mut commands: mpsc::Receiver<FeedCommand>,
    events: mpsc::Sender<FeedEvent>,
) {
    let instants = instants(&series);
    drop(series);
    if let Some(p) = pace.as_mut()
        && !wait_for(p, |s| s.connection == Connection::Up).await
    {
        return;
    }
    let mut prev: Option<Timestamp> = None;
    for (ts, bars) in instants {
        loop {
            match commands.try_recv() {
                Ok(FeedCommand::Shutdown) | Err(mpsc::error::TryRecvError::Disconnected) => {
                    return;
                }
                Ok(FeedCommand::Subscribe(_)) => {}
                Err(mpsc::error::TryRecvError::Empty) => break,
            }
        }
        if let Some(prev) = prev {
            if let Some(p) = pace.as_mut()
                && !wait_for(p, |s| s.last_bar_time.is_some_and(|t| t >= prev)).await
            {
                return;
            }
            if let Speed::Times(n) = speed {
                let gap = (ts.nanos() - prev.nanos()).max(0) as f64 / n;
                tokio::time::sleep(Duration::from_nanos(gap.min(u64::MAX as f64) as u64)).await;
            }
        }
        for b in bars {
            if events.send(FeedEvent::Bar(b)).await.is_err() {
                return;
            }
        }
        if events.send(FeedEvent::Instant(ts)).await.is_err() {
            return;
        }
        prev = Some(ts);
    }
    let _ = events.send(FeedEvent::End).await;
}

#[cfg(test)]
mod tests {
    use trade_core::{InstrumentId, Price};

    use super::*;

    fn bar(i: u32, secs: i64) -> Bar {
        let p = Price::from_cents(100);
        Bar {
            instrument: InstrumentId(i),
            ts: Timestamp::from_secs(secs),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 1,
        }
    }

    #[test]
    fn instants_merge_series_in_time_then_instrument_order() {
        let s = vec![vec![bar(0, 60), bar(0, 180)], vec![bar(1, 60), bar(1, 120)]];
        let got: Vec<(i64, Vec<u32>)> = instants(&s)
            .into_iter()
            .map(|(t, b)| (t.secs(), b.iter().map(|b| b.instrument.0).collect()))
            .collect();
        assert_eq!(got, vec![(60, vec![0, 1]), (120, vec![1]), (180, vec![0])]);
    }

    #[tokio::test(start_paused = true)]
    async fn speed_n_spaces_instants_by_their_gap_over_n() {
        let s = vec![vec![bar(0, 0), bar(0, 600), bar(0, 1200)]];
        let (mut link, task) = replay_link(s, Speed::Times(60.0), None);
        tokio::spawn(task);
        let t0 = tokio::time::Instant::now();
        let mut at = Vec::new();
        while let Some(ev) = link.events.recv().await {
            match ev {
                FeedEvent::Instant(_) => at.push(t0.elapsed().as_secs()),
                FeedEvent::End => break,
                _ => {}
            }
        }
        // 600 s of bar time at 60x = 10 s of wall time between instants.
        assert_eq!(at, vec![0, 10, 20]);
    }
}
