//! [`DataReport`]: everything `trade data check FILE` says about a file,
//! and its human-readable rendering.

use std::fmt;

use trade_core::Timestamp;

use crate::actions::CorporateAction;
use crate::error::{Problem, Severity};
use crate::gaps::GapReport;
use crate::spec::{Interval, RowOrder};

/// The result of checking one file. All problems are collected, not just
/// the first.
#[derive(Debug, Clone, Default)]
pub struct DataReport {
    /// The file, as given.
    pub file: String,
    /// Hex sha256 of the file bytes, if it could be read.
    pub sha256: Option<String>,
    /// Data rows read (of the chosen symbol).
    pub rows: usize,
    /// Bars that would be loaded.
    pub bars: usize,
    /// Detected or configured interval.
    pub interval: Option<Interval>,
    /// Row order found in the file.
    pub order: Option<RowOrder>,
    /// First bar's end time.
    pub first: Option<Timestamp>,
    /// Last bar's end time.
    pub last: Option<Timestamp>,
    /// Intraday bars outside regular hours that were left out.
    pub skipped_outside_hours: usize,
    /// Errors and warnings, in file order per stage.
    pub problems: Vec<Problem>,
    /// Missing sessions and bars (when bars could be built).
    pub gaps: Option<GapReport>,
    /// Actions found in dividend/split columns.
    pub actions: Vec<CorporateAction>,
}

impl DataReport {
    /// Error-severity problems.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// Warnings (including rows dropped by policy).
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// Whether the file would load with its spec.
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// Renders the report, listing at most `max_listed` problems per
    /// severity (the counts are always complete).
    pub fn render(&self, max_listed: usize) -> String {
        Rendered {
            r: self,
            max: max_listed,
        }
        .to_string()
    }
}

struct Rendered<'a> {
    r: &'a DataReport,
    max: usize,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.r;
        let errors: Vec<&Problem> = r.errors().collect();
        let warnings: Vec<&Problem> = r.warnings().collect();
        let verdict = if errors.is_empty() { "OK" } else { "FAILED" };
        writeln!(f, "{}: {verdict}", r.file)?;
        if let Some(sha) = &r.sha256 {
            writeln!(f, "  sha256    {sha}")?;
        }
        let interval = r
            .interval
            .map_or_else(|| "?".to_string(), |i| i.to_string());
        let order = r.order.map_or("?", |o| match o {
            RowOrder::Descending => "newest first (reversed)",
            _ => "oldest first",
        });
        writeln!(
            f,
            "  rows      {} read, {} bars, interval {interval}, {order}",
            r.rows, r.bars
        )?;
        if let (Some(a), Some(b)) = (r.first, r.last) {
            writeln!(f, "  range     {a} .. {b} (bar end times, UTC)")?;
        }
        if r.skipped_outside_hours > 0 {
            writeln!(
                f,
                "  skipped   {} bars outside regular hours",
                r.skipped_outside_hours
            )?;
        }
        if !r.actions.is_empty() {
            let shown: Vec<String> = r
                .actions
                .iter()
                .take(self.max)
                .map(ToString::to_string)
                .collect();
            writeln!(
                f,
                "  actions   {} in columns: {}",
                r.actions.len(),
                shown.join("; ")
            )?;
        }
        for (title, list) in [("errors", &errors), ("warnings", &warnings)] {
            writeln!(f, "  {title} ({})", list.len())?;
            for p in list.iter().take(self.max) {
                writeln!(f, "    {p}")?;
            }
            if list.len() > self.max {
                writeln!(f, "    ... and {} more", list.len() - self.max)?;
            }
        }
        if let Some(g) = &r.gaps {
            for line in g.to_string().lines() {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for DataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Rendered { r: self, max: 50 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Location, ProblemKind};

    #[test]
    fn render_caps_lists_but_not_counts() {
        let mut r = DataReport {
            file: "x.csv".into(),
            rows: 5,
            bars: 2,
            ..DataReport::default()
        };
        for line in 2..=6 {
            r.problems.push(Problem::error(
                "x.csv",
                Location::Line(line),
                Some("High"),
                ProblemKind::BadNumber { found: "?".into() },
            ));
        }
        let text = r.render(2);
        assert!(text.starts_with("x.csv: FAILED\n"), "{text}");
        assert!(
            text.contains("errors (5)\n    x.csv:2: column \"High\""),
            "{text}"
        );
        assert!(
            text.contains("    ... and 3 more\n  warnings (0)"),
            "{text}"
        );
        assert!(!r.is_ok());
        assert!(DataReport::default().is_ok());
    }
}
