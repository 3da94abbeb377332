//! `trade strategies`: the registered strategy types and their parameters.

use trade_engine::strategy::Registry;

use crate::cli::Format;
use crate::table;

/// Renders the registry.
///
/// # Errors
/// Only on JSON serialisation failure.
pub fn run(registry: &Registry, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&registry.list().collect::<Vec<_>>())? + "\n",
        Format::Csv => {
            let mut s = String::from("strategy,param,type,default,range,choices,help\n");
            for info in registry.list() {
                for p in &info.params {
                    let row = [
                        info.name.to_string(),
                        p.name.to_string(),
                        p.kind.to_string(),
                        p.default
                            .as_ref()
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "(required)".into()),
                        p.range
                            .map(|(a, b)| format!("{a}..={b}"))
                            .unwrap_or_default(),
                        p.choices.join("|"),
                        p.help.to_string(),
                    ];
                    s.push_str(
                        &row.iter()
                            .map(|c| table::csv_field(c))
                            .collect::<Vec<_>>()
                            .join(","),
                    );
                    s.push('\n');
                }
            }
            s
        }
        Format::Table => {
            let mut s = String::new();
            for info in registry.list() {
                s.push_str(&format!("{}\n  {}\n\n", info.name, info.description));
                let rows: Vec<Vec<String>> = info
                    .params
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.to_string(),
                            p.kind.to_string(),
                            p.default
                                .as_ref()
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "(required)".into()),
                            match (p.range, p.choices.is_empty()) {
                                (Some((a, b)), _) => format!("{a}..={b}"),
                                (None, false) => p.choices.join(" | "),
                                _ => String::new(),
                            },
                            p.help.to_string(),
                        ]
                    })
                    .collect();
                for l in table::render(
                    &["param", "type", "default", "allowed", "meaning"],
                    &rows,
                    &[],
                )
                .lines()
                {
                    s.push_str("  ");
                    s.push_str(l);
                    s.push('\n');
                }
                s.push('\n');
            }
            s
        }
    })
}
