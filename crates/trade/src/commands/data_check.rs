//! `trade data check FILE`: validate a bar file and report every problem.

use anyhow::Context as _;
use trade_data::{BarFileSpec, Severity, check_file};
use trade_engine::strategy::Registry;

use crate::cli::DataCheckArgs;
use crate::config::{self, Sources};

/// Checks the file; the report is the output, and any error-level problem
/// makes the command fail (exit code 2) after printing it.
///
/// # Errors
/// When the file has errors, or the config named by `--config` is invalid.
pub fn run(args: &DataCheckArgs, registry: &Registry) -> anyhow::Result<String> {
    let mut spec = BarFileSpec::new(&args.file);
    if let (Some(cfg_path), Some(symbol)) = (&args.config, &args.symbol) {
        let cfg = config::load(cfg_path, &Sources::from_process(Vec::new()), registry)?;
        let entry = cfg
            .data
            .iter()
            .find(|d| d.instrument.symbol.as_str().eq_ignore_ascii_case(symbol))
            .with_context(|| format!("{}: no [data.{symbol}] table", cfg_path.display()))?;
        spec = entry.spec.clone();
        spec.path = args.file.clone();
    }
    let report = check_file(&spec);
    let errors = report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let text = if args.json {
        let list = |sev: Severity| -> Vec<String> {
            report
                .problems
                .iter()
                .filter(|p| p.severity == sev)
                .map(ToString::to_string)
                .collect()
        };
        let v = serde_json::json!({
            "file": report.file,
            "sha256": report.sha256,
            "rows": report.rows,
            "bars": report.bars,
            "first": report.first.map(|t| t.to_string()),
            "last": report.last.map(|t| t.to_string()),
            "skipped_outside_hours": report.skipped_outside_hours,
            "errors": list(Severity::Error),
            "warnings": list(Severity::Warning),
        });
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        report.to_string()
    };
    if errors > 0 {
        print!("{text}");
        anyhow::bail!("{}: {errors} error(s) found", args.file.display());
    }
    Ok(text)
}
