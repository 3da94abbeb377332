//! The runs directory: which folders are runs, how a run id from a URL is
//! checked before it touches the file system, and the part of
//! `summary.json` the server reads.
//!
//! Every file served is resolved through [`RunStore::run_file`], which
//! rejects ids that are not a single plain folder name and then checks the
//! canonical path still lies under the (canonical) runs directory, so a
//! symlink inside the runs directory cannot expose a file outside it.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ServerError};

/// File name of a run's summary (written by `trade_report`).
pub const SUMMARY_FILE: &str = "summary.json";
/// File name of a run's self-contained HTML report.
pub const REPORT_FILE: &str = "report.html";
/// File name present in options runs only.
pub const OPTIONS_FILE: &str = "options.json";
/// The `summary.json` layout version this server understands.
pub const SUPPORTED_SCHEMA_VERSION: u32 = 1;
/// Longest run id accepted (the writer's ids are `<name>-<12 hex>`).
pub const MAX_RUN_ID_LEN: usize = 128;
/// Largest file the server will read into memory (`summary.json`,
/// `report.html`); a bigger one is reported, not loaded.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Checks that `id` is a plain run folder name: 1 to [`MAX_RUN_ID_LEN`]
/// bytes of ASCII letters, digits, `_`, `-` and `.`, not starting with `.`
/// (which also excludes `.` and `..`, and the writer's `.tmp-*` staging
/// folders).
///
/// # Errors
/// [`ApiError`] 400 `invalid_run_id` naming the offending character.
pub fn validate_run_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() {
        return Err(ApiError::invalid_run_id("run id is empty"));
    }
    if id.len() > MAX_RUN_ID_LEN {
        return Err(ApiError::invalid_run_id(format!(
            "run id is {} bytes long, at most {MAX_RUN_ID_LEN} allowed",
            id.len()
        )));
    }
    if id.starts_with('.') {
        return Err(ApiError::invalid_run_id(format!(
            "run id {id:?} starts with '.'; run ids are plain folder names"
        )));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(ApiError::invalid_run_id(format!(
            "run id {id:?} contains {bad:?}; allowed are ASCII letters, digits, '_', '-' and '.'"
        )));
    }
    Ok(())
}

/// The runs directory the server reads.
#[derive(Debug, Clone)]
pub struct RunStore {
    root: PathBuf,
}

impl RunStore {
    /// Opens `path`, which must be an existing directory.
    ///
    /// # Errors
    /// [`ServerError::RunsDir`] if it cannot be resolved,
    /// [`ServerError::NotADirectory`] if it is not a directory.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let root = fs::canonicalize(path).map_err(|source| ServerError::RunsDir {
            path: path.to_owned(),
            source,
        })?;
        if !root.is_dir() {
            return Err(ServerError::NotADirectory {
                path: path.to_owned(),
            });
        }
        Ok(Self { root })
    }

    /// The canonical runs directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The canonical folder of run `id`.
    ///
    /// # Errors
    /// 400 for an invalid id, 404 if there is no such folder (or it
    /// resolves outside the runs directory).
    pub fn run_dir(&self, id: &str) -> Result<PathBuf, ApiError> {
        validate_run_id(id)?;
        let dir = fs::canonicalize(self.root.join(id)).map_err(|_| ApiError::run_not_found(id))?;
        if !dir.starts_with(&self.root) || !dir.is_dir() {
            return Err(ApiError::run_not_found(id));
        }
        Ok(dir)
    }

    /// The canonical path of file `name` in run `id`, checked to lie
    /// inside the runs directory.
    ///
    /// # Errors
    /// As [`RunStore::run_dir`]; 404 `file_not_found` if the file is
    /// missing or resolves outside the runs directory.
    pub fn run_file(&self, id: &str, name: &str) -> Result<PathBuf, ApiError> {
        let dir = self.run_dir(id)?;
        let not_found = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "file_not_found",
                format!("run {id:?} has no {name}"),
            )
        };
        let file = fs::canonicalize(dir.join(name)).map_err(|_| not_found())?;
        if !file.starts_with(&self.root) || !file.is_file() {
            return Err(not_found());
        }
        Ok(file)
    }

    /// Reads a file of run `id` whole, refusing files over
    /// [`MAX_FILE_BYTES`].
    ///
    /// # Errors
    /// As [`RunStore::run_file`]; 422 `unreadable_file` if reading fails
    /// or the file is too large.
    pub fn read_file(&self, id: &str, name: &str) -> Result<Vec<u8>, ApiError> {
        let path = self.run_file(id, name)?;
        read_capped(&path).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_file",
                format!("{id}/{name}: {e}"),
            )
        })
    }

    /// The full `summary.json` of run `id`, as written.
    ///
    /// # Errors
    /// As [`RunStore::read_file`]; 422 `corrupt_summary` naming the line
    /// and column if it is not JSON.
    pub fn summary_json(&self, id: &str) -> Result<serde_json::Value, ApiError> {
        let bytes = self.read_file(id, SUMMARY_FILE)?;
        serde_json::from_slice(&bytes).map_err(|e| corrupt(id, &e.to_string()))
    }

    /// The fields of run `id`'s `summary.json` the server uses, checked
    /// for the schema version and that the recorded run id matches the
    /// folder name.
    ///
    /// # Errors
    /// As [`RunStore::summary_json`]; 422 `corrupt_summary` if a field is
    /// missing or of the wrong type, the schema version is not
    /// [`SUPPORTED_SCHEMA_VERSION`], or the run id differs.
    pub fn summary(&self, id: &str) -> Result<SummaryView, ApiError> {
        let bytes = self.read_file(id, SUMMARY_FILE)?;
        parse_summary(id, &bytes)
    }

    /// Every run folder, newest `summary.json` first (ties by id). A
    /// folder whose summary cannot be read is listed with `error` set.
    /// Entries that are not plain-named directories (files, dot-folders
    /// such as the writer's `.tmp-*` staging folders) are skipped.
    ///
    /// # Errors
    /// 503 `runs_dir_unavailable` if the runs directory cannot be read.
    pub fn list(&self) -> Result<Vec<RunEntry>, ApiError> {
        let entries = fs::read_dir(&self.root).map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "runs_dir_unavailable",
                format!("reading the runs directory: {e}"),
            )
        })?;
        let mut runs: Vec<(Option<SystemTime>, RunEntry)> = Vec::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if validate_run_id(&name).is_err() || self.run_dir(&name).is_err() {
                continue;
            }
            let modified = self
                .run_file(&name, SUMMARY_FILE)
                .ok()
                .and_then(|p| fs::metadata(p).ok())
                .and_then(|m| m.modified().ok());
            runs.push((modified, self.entry(&name)));
        }
        runs.sort_by(|(ta, a), (tb, b)| tb.cmp(ta).then_with(|| a.run_id.cmp(&b.run_id)));
        Ok(runs.into_iter().map(|(_, e)| e).collect())
    }

    fn entry(&self, id: &str) -> RunEntry {
        let options = self.run_file(id, OPTIONS_FILE).is_ok();
        let has_report = self.run_file(id, REPORT_FILE).is_ok();
        let (metrics, error) = match self.summary(id) {
            Ok(s) => (Some(KeyMetrics::from(&s)), None),
            Err(e) => (None, Some(e.body().detail.clone())),
        };
        RunEntry {
            run_id: id.to_owned(),
            kind: if options { "options" } else { "stock" },
            has_report,
            metrics,
            error,
        }
    }
}

fn corrupt(id: &str, why: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "corrupt_summary",
        format!("{id}/{SUMMARY_FILE}: {why}"),
    )
}

fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "{len} bytes, larger than the {MAX_FILE_BYTES}-byte limit"
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The cap also holds if the file grows between metadata and read.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "larger than the {MAX_FILE_BYTES}-byte limit"
        )));
    }
    Ok(bytes)
}

/// Parses `summary.json` bytes of run `id` into the fields the server uses.
///
/// # Errors
/// 422 `corrupt_summary` as in [`RunStore::summary`].
pub fn parse_summary(id: &str, bytes: &[u8]) -> Result<SummaryView, ApiError> {
    let view: SummaryView =
        serde_json::from_slice(bytes).map_err(|e| corrupt(id, &e.to_string()))?;
    if view.schema_version != SUPPORTED_SCHEMA_VERSION {
        return Err(corrupt(
            id,
            &format!(
                "schema_version is {}, this server reads version {SUPPORTED_SCHEMA_VERSION}",
                view.schema_version
            ),
        ));
    }
    if view.run_id != id {
        return Err(corrupt(
            id,
            &format!("run_id is {:?} but the folder is named {id:?}", view.run_id),
        ));
    }
    Ok(view)
}

/// The part of `summary.json` (layout version 1, owned by `trade_report`)
/// the server reads. Unknown fields are ignored so that additions to the
/// layout do not break the server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SummaryView {
    /// Layout version.
    pub schema_version: u32,
    /// The run id (must equal the folder name).
    pub run_id: String,
    /// Strategy instance names.
    pub strategies: Vec<String>,
    /// The period covered.
    pub period: PeriodView,
    /// Starting cash, exact decimal string.
    pub initial_equity: String,
    /// Final equity, exact decimal string.
    pub final_equity: String,
    /// Strategy and benchmark performance.
    pub metrics: MetricsView,
    /// Closed-trade statistics.
    pub trades: TradesView,
    /// Orders, fills and exposure.
    pub activity: ActivityView,
}

/// `summary.period`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PeriodView {
    /// New York date of the first session.
    pub first_date: Option<String>,
    /// New York date of the last session.
    pub last_date: Option<String>,
    /// Sessions behind the metrics.
    pub sessions: u64,
}

/// `summary.metrics`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetricsView {
    /// The strategy.
    pub strategy: PerformanceView,
    /// The benchmark's buy and hold, if the run had a benchmark.
    pub benchmark: Option<PerformanceView>,
}

/// `summary.metrics.strategy` / `.benchmark`; fractions, `None` when
/// undefined.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PerformanceView {
    /// Compounded total return.
    pub total_return: Option<f64>,
    /// Compound annual growth rate.
    pub cagr: Option<f64>,
    /// Annualised volatility.
    pub annual_volatility: Option<f64>,
    /// Annualised Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    pub sortino: Option<f64>,
    /// Deepest drawdown (negative).
    pub max_drawdown: Option<f64>,
    /// CAGR over |max drawdown|.
    pub calmar: Option<f64>,
}

/// `summary.trades`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradesView {
    /// Closed trades.
    pub count: u64,
    /// Share of trades with P&L > 0.
    pub hit_rate: Option<f64>,
    /// Gross profit over |gross loss|.
    pub profit_factor: Option<f64>,
    /// Net P&L of closed trades, dollars.
    pub net_profit: Option<f64>,
}

/// `summary.activity`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActivityView {
    /// Commissions paid, exact decimal string.
    pub commissions: String,
    /// Share of sessions with a position.
    pub time_in_market: Option<f64>,
    /// Annualised turnover.
    pub annual_turnover: Option<f64>,
}

/// A run in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEntry {
    /// The run id (folder name).
    pub run_id: String,
    /// `options` if the folder has `options.json`, else `stock`.
    pub kind: &'static str,
    /// Whether `report.html` is present.
    pub has_report: bool,
    /// Headline numbers; absent when the summary could not be read.
    #[serde(flatten)]
    pub metrics: Option<KeyMetrics>,
    /// Why the summary could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The headline numbers of a run shown in lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyMetrics {
    /// Strategy instance names.
    pub strategies: Vec<String>,
    /// First session date.
    pub first_date: Option<String>,
    /// Last session date.
    pub last_date: Option<String>,
    /// Sessions.
    pub sessions: u64,
    /// Starting cash.
    pub initial_equity: String,
    /// Final equity.
    pub final_equity: String,
    /// Total return, a fraction.
    pub total_return: Option<f64>,
    /// CAGR, a fraction.
    pub cagr: Option<f64>,
    /// Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Max drawdown, a negative fraction.
    pub max_drawdown: Option<f64>,
    /// Closed trades.
    pub trades: u64,
}

impl From<&SummaryView> for KeyMetrics {
    fn from(s: &SummaryView) -> Self {
        let p = &s.metrics.strategy;
        Self {
            strategies: s.strategies.clone(),
            first_date: s.period.first_date.clone(),
            last_date: s.period.last_date.clone(),
            sessions: s.period.sessions,
            initial_equity: s.initial_equity.clone(),
            final_equity: s.final_equity.clone(),
            total_return: p.total_return,
            cagr: p.cagr,
            sharpe: p.sharpe,
            max_drawdown: p.max_drawdown,
            trades: s.trades.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Component;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever string passes the check, joined to the runs directory
        /// it names exactly one child of it: never the directory itself,
        /// its parent, a root, or a deeper path.
        #[test]
        fn accepted_ids_name_one_child_folder(id in "\\PC{0,40}|[a-z.%/\\\\:]{0,12}|[A-Za-z0-9._-]{1,20}") {
            if validate_run_id(&id).is_ok() {
                let root = Path::new("/srv/runs");
                let joined = root.join(&id);
                prop_assert_eq!(joined.parent(), Some(root));
                let comps: Vec<_> = Path::new(&id).components().collect();
                prop_assert_eq!(comps.len(), 1);
                prop_assert!(matches!(comps[0], Component::Normal(_)));
            }
        }
    }

    #[test]
    fn run_ids_that_could_leave_the_folder_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            ".tmp-x-1",
            "a b",
            "é",
            "a\0b",
            "C:x",
        ] {
            assert!(validate_run_id(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_run_id(&"a".repeat(MAX_RUN_ID_LEN + 1)).is_err());
        for good in ["spy_ma_crossover-b56c83f88dd6", "a", "run.v2", "A-1_b"] {
            assert!(validate_run_id(good).is_ok(), "{good:?} refused");
        }
    }
}
