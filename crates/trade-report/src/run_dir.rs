//! The run folder, written atomically: everything goes into a hidden
//! sibling `runs/.tmp-<run_id>-<pid>/`, every file is fsynced, then the
//! folder is renamed to `runs/<run_id>` (a single atomic `rename(2)` on the
//! same file system) and the parent directory is fsynced. On any error the
//! temporary folder is removed, so `runs/<run_id>` appears whole or not at
//! all, and no temporary folder is left behind.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::html;
use crate::input::RunInput;
use crate::ledgers::{self, Part};
use crate::records::Ledgers;
use crate::returns::DailySeries;
use crate::summary::{SUMMARY_FILE, Summary};

/// The effective configuration file of a run folder.
pub const CONFIG_FILE: &str = "config.toml";
/// The HTML report of a run folder.
pub const REPORT_FILE: &str = "report.html";

/// Checks that a run id is a safe, visible, single path component.
///
/// # Errors
/// [`ReportError::InvalidRunId`] otherwise.
pub fn validate_run_id(run_id: &str) -> Result<(), ReportError> {
    let ok = !run_id.is_empty()
        && run_id.len() <= 128
        && !run_id.starts_with('.')
        && run_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(ReportError::InvalidRunId(run_id.to_string()))
    }
}

/// Removes a directory tree on drop unless disarmed.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes `bytes` to `path` and fsyncs the file.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let mut f = File::create(path).map_err(|e| ReportError::io(path, e))?;
    f.write_all(bytes).map_err(|e| ReportError::io(path, e))?;
    f.sync_all().map_err(|e| ReportError::io(path, e))
}

/// Fsyncs a directory so a rename or a new entry in it is durable. A no-op
/// where directories cannot be opened (Windows).
fn sync_dir(path: &Path) -> Result<(), ReportError> {
    #[cfg(unix)]
    {
        File::open(path)
            .and_then(|d| d.sync_all())
            .map_err(|e| ReportError::io(path, e))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Writes a run folder `runs_root/<run_id>/` with the Parquet ledgers,
/// `summary.json`, `config.toml` and `report.html`, atomically, and returns
/// its path. `runs_root` is created if missing.
///
/// # Errors
/// * [`ReportError::InvalidRunId`] or [`ReportError::RunExists`] before
///   anything is written;
/// * [`ReportError::InvalidInput`] (an id outside the instrument or
///   strategy table, an equity ledger out of time order), or any I/O,
///   Parquet or rendering error, after which neither `runs_root/<run_id>`
///   nor the temporary folder exists.
pub fn write_run(runs_root: &Path, input: &RunInput<'_>) -> Result<PathBuf, ReportError> {
    write_run_with(runs_root, input, false, &mut |_| Ok(()))
}

/// Like [`write_run`], but an existing `runs_root/<run_id>` is replaced:
/// the new folder is written whole beside it, the old one is renamed
/// aside, the new one renamed into place, then the old one removed. At no
/// moment is there a partial run folder under the run id. Meant for
/// content-addressed run ids, where the same id means the same config,
/// data and program version.
///
/// # Errors
/// As [`write_run`], except that an existing run is not an error.
pub fn replace_run(runs_root: &Path, input: &RunInput<'_>) -> Result<PathBuf, ReportError> {
    write_run_with(runs_root, input, true, &mut |_| Ok(()))
}

/// [`write_run`] calling `before(artifact)` ahead of each file and of the
/// final rename (`"rename"`), so tests can inject a failure anywhere.
///
/// The equity ledger (one row per bar, by far the largest) starts first,
/// its columns encoded on up to `available_parallelism` threads; on a
/// machine with two cores or fewer the rest waits until those columns are
/// encoded and then overlaps with the copy and fsync of that file. The
/// benchmark and the small ledgers get a thread each while this one
/// computes the summary and renders the page. Every thread is joined
/// before the rename; invalid input is detected after the equity ledger
/// has started, and its partial folder removed like on any other error.
pub(crate) fn write_run_with(
    runs_root: &Path,
    input: &RunInput<'_>,
    replace: bool,
    before: &mut dyn FnMut(&str) -> Result<(), ReportError>,
) -> Result<PathBuf, ReportError> {
    validate_run_id(&input.run_id)?;
    let final_dir = runs_root.join(&input.run_id);
    if final_dir.exists() && !replace {
        return Err(ReportError::RunExists(final_dir));
    }
    fs::create_dir_all(runs_root).map_err(|e| ReportError::io(runs_root, e))?;
    let tmp_path = runs_root.join(format!(".tmp-{}-{}", input.run_id, std::process::id()));
    if tmp_path.exists() {
        // Left by an earlier attempt of this very process (same pid).
        fs::remove_dir_all(&tmp_path).map_err(|e| ReportError::io(&tmp_path, e))?;
    }
    fs::create_dir(&tmp_path).map_err(|e| ReportError::io(&tmp_path, e))?;
    let mut guard = TempDir {
        path: tmp_path,
        armed: true,
    };
    let tmp = guard.path.as_path();

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.clamp(1, 4);
    let equity_rows = input.result.equity.as_slice();
    std::thread::scope(|scope| -> Result<(), ReportError> {
        before(ledgers::EQUITY.file)?;
        let (encoded_tx, encoded_rx) = std::sync::mpsc::channel::<()>();
        let equity = scope.spawn(move || {
            let signal = move || {
                let _ = encoded_tx.send(());
            };
            ledgers::write_equity(tmp, equity_rows, threads, &signal).map(drop)
        });
        // With few cores, let the equity ledger's encoding have them all;
        // the rest then runs while that file is copied out and fsynced.
        if cores <= 2 {
            let _ = encoded_rx.recv();
        }
        let rest = write_rest(tmp, input, before);
        let equity = equity
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        rest.and(equity)
    })?;
    sync_dir(tmp)?;

    before("rename")?;
    let old = if final_dir.exists() {
        if !replace {
            return Err(ReportError::RunExists(final_dir));
        }
        let aside = runs_root.join(format!(".old-{}-{}", input.run_id, std::process::id()));
        fs::rename(&final_dir, &aside).map_err(|e| ReportError::io(&final_dir, e))?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = fs::rename(tmp, &final_dir) {
        if let Some(aside) = &old {
            // Put the previous run back rather than leave none.
            let _ = fs::rename(aside, &final_dir);
        }
        return Err(ReportError::io(&final_dir, e));
    }
    guard.armed = false;
    if let Some(aside) = old {
        fs::remove_dir_all(&aside).map_err(|e| ReportError::io(&aside, e))?;
    }
    sync_dir(runs_root)?;
    Ok(final_dir)
}

/// Everything but `equity.parquet`: the other ledgers on two threads,
/// the summary and the page on this one.
fn write_rest(
    tmp: &Path,
    input: &RunInput<'_>,
    before: &mut dyn FnMut(&str) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let ledgers = Ledgers::from_input(input)?;
    let ledgers = &ledgers;
    std::thread::scope(|scope| -> Result<(), ReportError> {
        let mut spawn = |part: Part| -> Result<_, ReportError> {
            for f in part.files(ledgers) {
                before(f)?;
            }
            Ok(scope.spawn(move || ledgers::write_part(tmp, ledgers, part)))
        };
        let bench = spawn(Part::Benchmark)?;
        let small = spawn(Part::Small)?;
        let page = write_summary_and_page(tmp, input, ledgers, before);
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<(), ReportError>>| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        };
        let (bench, small) = (join(bench), join(small));
        page.and(bench).and(small)
    })
}

/// `summary.json`, `config.toml` and `report.html` (the daily series is
/// computed once for the summary and the page).
fn write_summary_and_page(
    dir: &Path,
    input: &RunInput<'_>,
    ledgers: &Ledgers<'_>,
    before: &mut dyn FnMut(&str) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let series = DailySeries::new(
        &ledgers.equity,
        input.result.initial_cash,
        ledgers.benchmark.as_ref(),
    );
    let summary = Summary::build(input, ledgers, &series, &ledgers::row_counts(ledgers));
    before(SUMMARY_FILE)?;
    write_synced(&dir.join(SUMMARY_FILE), &summary.to_json()?)?;
    before(CONFIG_FILE)?;
    write_synced(&dir.join(CONFIG_FILE), input.config_toml.as_bytes())?;
    for extra in &input.extra_files {
        let ok = !extra.name.is_empty()
            && !extra.name.starts_with('.')
            && extra
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && ![SUMMARY_FILE, CONFIG_FILE, REPORT_FILE].contains(&extra.name.as_str());
        if !ok {
            return Err(ReportError::InvalidInput(format!(
                "extra artifact name {:?}: expected a plain file name",
                extra.name
            )));
        }
        before(&extra.name)?;
        write_synced(&dir.join(&extra.name), &extra.bytes)?;
    }
    before(REPORT_FILE)?;
    let options = input
        .extra_files
        .iter()
        .find(|f| f.name == crate::options::OPTIONS_FILE)
        .map(|f| crate::options::page(&f.bytes))
        .transpose()?;
    let page = html::render(&summary, ledgers, &series, options)?;
    write_synced(&dir.join(REPORT_FILE), page.as_bytes())
}

/// Re-renders `run_dir/report.html` from the folder's Parquet ledgers and
/// `summary.json` alone (for `trade report RUN_DIR` on an old run). The new
/// page replaces the old one atomically (temporary file, fsync, rename).
///
/// # Errors
/// [`ReportError`] if a ledger or the summary is missing or unreadable, or
/// the page cannot be written; the existing `report.html` is then untouched.
pub fn render_report(run_dir: &Path) -> Result<(), ReportError> {
    let summary = Summary::read(run_dir)?;
    let ledgers = ledgers::read_all(run_dir)?;
    let series = DailySeries::new(
        &ledgers.equity,
        summary.initial_equity,
        ledgers.benchmark.as_ref(),
    );
    let options_path = run_dir.join(crate::options::OPTIONS_FILE);
    let options = if options_path.is_file() {
        let bytes = fs::read(&options_path).map_err(|e| ReportError::io(&options_path, e))?;
        Some(crate::options::page(&bytes)?)
    } else {
        None
    };
    let page = html::render(&summary, &ledgers, &series, options)?;
    let tmp = run_dir.join(format!(".{REPORT_FILE}.tmp-{}", std::process::id()));
    let result = write_synced(&tmp, page.as_bytes()).and_then(|()| {
        let target = run_dir.join(REPORT_FILE);
        fs::rename(&tmp, &target).map_err(|e| ReportError::io(&target, e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(run_dir)
}
