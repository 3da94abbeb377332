//! The chain sources an options backtest can run on: snapshots generated
//! from the underlying's bars and the VIX, or real snapshots loaded from
//! files or the chain store.

use std::collections::BTreeMap;

use jiff::civil::Date;
use trade_core::{Price, Timestamp};
use trade_options::chain::ChainSnapshot;
use trade_options::synth::{ChainGenerator, VixSeries};

use super::backtest::ChainSource;

/// Synthetic chains: one per bar, priced on a VIX-driven surface.
#[derive(Debug)]
pub struct SyntheticChains {
    generator: ChainGenerator,
    vix: VixSeries,
    vix_file: String,
}

impl SyntheticChains {
    /// A source from a generator and the VIX history that drives it
    /// (`vix_file` names it in the run's provenance).
    pub fn new(generator: ChainGenerator, vix: VixSeries, vix_file: String) -> Self {
        SyntheticChains {
            generator,
            vix,
            vix_file,
        }
    }
}

impl ChainSource for SyntheticChains {
    fn snapshot(
        &mut self,
        date: Date,
        ts: Timestamp,
        spot: Price,
    ) -> Result<Option<ChainSnapshot>, String> {
        // A session the VIX file lacks uses the latest earlier close; a
        // date before the file starts has no chain.
        let Some((_, vix)) = self.vix.close_on_or_before(date) else {
            return Ok(None);
        };
        self.generator
            .generate_at(date, ts, spot, vix)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn vix(&self, date: Date) -> Option<f64> {
        self.vix.close_on_or_before(date).map(|(_, v)| v)
    }

    fn describe(&self) -> String {
        format!(
            "synthetic chains of {} (every quote modelled: BSM on a VIX-driven surface from {})",
            self.generator.underlying(),
            self.vix_file
        )
    }
}

/// Real chains: the snapshot of each date, as loaded.
#[derive(Debug)]
pub struct RecordedChains {
    by_date: BTreeMap<Date, ChainSnapshot>,
    vix: Option<VixSeries>,
    origin: String,
}

impl RecordedChains {
    /// A source over loaded snapshots (one per date; a later snapshot of
    /// the same date replaces an earlier one).
    pub fn new(snapshots: Vec<ChainSnapshot>, vix: Option<VixSeries>, origin: String) -> Self {
        let by_date = snapshots.into_iter().map(|s| (s.date(), s)).collect();
        RecordedChains {
            by_date,
            vix,
            origin,
        }
    }
}

impl ChainSource for RecordedChains {
    fn snapshot(
        &mut self,
        date: Date,
        _ts: Timestamp,
        _spot: Price,
    ) -> Result<Option<ChainSnapshot>, String> {
        Ok(self.by_date.get(&date).cloned())
    }

    fn vix(&self, date: Date) -> Option<f64> {
        self.vix
            .as_ref()
            .and_then(|v| v.close_on_or_before(date))
            .map(|(_, v)| v)
    }

    fn describe(&self) -> String {
        format!("recorded chains from {}", self.origin)
    }
}
