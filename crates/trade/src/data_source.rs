//! Loads the configured bar files through `trade-data`: one series per
//! symbol, corporate actions applied as configured, the `[run]` period
//! applied, and each file's provenance kept for the run summary.

use anyhow::Context as _;
use trade_core::{Bar, Instrument, InstrumentId, Timestamp};
use trade_data::{AdjustMode, AdjustOptions, load_bars, read_actions_file};
use trade_report::{Benchmark, Closes, DataFileInfo};

use crate::config::LoadedConfig;

/// Bars of every configured symbol, in instrument-id order.
#[derive(Debug)]
pub struct LoadedData {
    /// Instruments by id.
    pub instruments: Vec<Instrument>,
    /// Bars per instrument, oldest first.
    pub series: Vec<Vec<Bar>>,
    /// Provenance per file.
    pub files: Vec<DataFileInfo>,
}

impl LoadedData {
    /// Bars across all series.
    pub fn total_bars(&self) -> u64 {
        self.series.iter().map(|s| s.len() as u64).sum()
    }

    /// Earliest bar time.
    pub fn first_ts(&self) -> Option<Timestamp> {
        self.series
            .iter()
            .filter_map(|s| s.first())
            .map(|b| b.ts)
            .min()
    }

    /// Latest bar time.
    pub fn last_ts(&self) -> Option<Timestamp> {
        self.series
            .iter()
            .filter_map(|s| s.last())
            .map(|b| b.ts)
            .max()
    }

    /// The benchmark's closes.
    pub fn benchmark(&self, id: InstrumentId) -> Option<Benchmark<'_>> {
        let s = self.series.get(id.index())?;
        Some(Benchmark {
            symbol: self.instruments[id.index()].symbol.to_string(),
            closes: Closes::Bars(s),
        })
    }
}

fn ny_midnight(date: jiff::civil::Date) -> anyhow::Result<Timestamp> {
    let z = date.to_zoned(jiff::tz::TimeZone::get("America/New_York")?)?;
    Timestamp::from_jiff(z.timestamp()).context("date out of range")
}

/// Something loading found worth a log line. Loading does not log it
/// itself: the run id names the data's content hashes, which exist only
/// once the files are read, and every log line of a run must carry that id.
/// The caller logs the notes (see [`LoadNote::log`]) inside the run's span
/// after recording the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadNote {
    /// A validation warning of a file (e.g. no volume column, dropped rows).
    Warning {
        /// Symbol of the file.
        symbol: String,
        /// The warning as the data report words it.
        message: String,
    },
    /// Corporate actions were applied to a series.
    ActionsApplied {
        /// Symbol.
        symbol: String,
        /// Number of actions applied.
        count: usize,
    },
}

impl LoadNote {
    /// Emits the note as a `tracing` event in the current span.
    pub fn log(&self) {
        match self {
            LoadNote::Warning { symbol, message } => tracing::warn!(symbol = %symbol, "{message}"),
            LoadNote::ActionsApplied { symbol, count } => {
                tracing::info!(symbol = %symbol, actions = count, "corporate actions applied");
            }
        }
    }
}

/// [`load`], logging its notes at once: for sessions, whose log lines carry
/// no data-derived run id.
///
/// # Errors
/// As [`load`].
pub fn load_logged(cfg: &LoadedConfig) -> anyhow::Result<LoadedData> {
    let mut notes = Vec::new();
    let data = load(cfg, &mut notes);
    notes.iter().for_each(LoadNote::log);
    data
}

/// Loads every `[data.*]` entry; what is worth logging goes to `notes`
/// (filled as far as loading got, also when it fails).
///
/// # Errors
/// The first file that cannot be read, parsed, validated or adjusted,
/// with its path, line and problem.
pub fn load(cfg: &LoadedConfig, notes: &mut Vec<LoadNote>) -> anyhow::Result<LoadedData> {
    // The period as UTC bounds: from New York midnight of `start` to New
    // York midnight after `end`, so comparing bar end times is enough.
    let lo = cfg.raw.run.start.map(ny_midnight).transpose()?;
    let hi = cfg
        .raw
        .run
        .end
        .map(|d| {
            d.tomorrow()
                .map_err(anyhow::Error::from)
                .and_then(ny_midnight)
        })
        .transpose()?;
    let mut out = LoadedData {
        instruments: Vec::new(),
        series: Vec::new(),
        files: Vec::new(),
    };
    for (i, entry) in cfg.data.iter().enumerate() {
        let id = InstrumentId(i as u32);
        let symbol = entry.instrument.symbol.to_string();
        let loaded = load_bars(&entry.spec, id)?;
        notes.extend(loaded.warnings.iter().map(|w| LoadNote::Warning {
            symbol: symbol.clone(),
            message: w.to_string(),
        }));
        let mut bars = loaded.bars;
        if entry.adjust != AdjustMode::None {
            let mut actions = loaded.actions.clone();
            if let Some(path) = &entry.actions {
                let from_file = read_actions_file(path)?;
                actions.extend(trade_data::actions_for(&from_file, &symbol));
            }
            actions.sort_by_key(|a| a.ex_date);
            let opts = AdjustOptions {
                mode: entry.adjust,
                ..AdjustOptions::default()
            };
            let adjusted = trade_data::adjust(&bars, &actions, &opts).with_context(|| {
                format!(
                    "adjusting {} for corporate actions",
                    entry.spec.path.display()
                )
            })?;
            notes.push(LoadNote::ActionsApplied {
                symbol: symbol.clone(),
                count: adjusted.applied.len(),
            });
            bars = adjusted.bars;
        }
        if lo.is_some() || hi.is_some() {
            bars.retain(|b| lo.is_none_or(|l| b.ts > l) && hi.is_none_or(|h| b.ts <= h));
        }
        anyhow::ensure!(
            !bars.is_empty(),
            "{}: no bars of {symbol} in the configured period (run.start/run.end)",
            entry.spec.path.display()
        );
        out.files.push(DataFileInfo {
            path: entry.spec.path.display().to_string(),
            symbol,
            sha256: loaded.sha256,
            rows: loaded.rows as u64,
        });
        out.instruments.push(entry.instrument.clone());
        out.series.push(bars);
    }
    Ok(out)
}
