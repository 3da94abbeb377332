//! The config loader never panics: arbitrary text, and valid configs with
//! one value replaced by arbitrary TOML, give `Ok` or a one-line error.

use proptest::prelude::*;
use trade::config::{self, Sources};

use crate::harness::{Scratch, spy_config};

fn load_text(s: &Scratch, text: &str, sets: Vec<String>) -> Result<(), String> {
    load_named(s, "p.toml", text, sets)
}

fn load_named(s: &Scratch, name: &str, text: &str, sets: Vec<String>) -> Result<(), String> {
    let path = s.write(name, text);
    let registry = trade_engine::strategy::builtin::registry();
    config::load(
        &path,
        &Sources {
            sets,
            ..Sources::default()
        },
        &registry,
    )
    .map(|_| ())
    .map_err(|e| e.0)
}

fn toml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            format!("{f:?}")
        } else {
            "nan".into()
        }),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z0-9 _.-]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("1979-05-27".to_string()),
        Just("inf".to_string()),
        Just("-0.0".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let s = Scratch::new("prop-text");
        if let Err(e) = load_text(&s, &text, Vec::new()) {
            prop_assert!(!e.contains('\n'), "multi-line error: {e}");
        }
    }

    #[test]
    fn arbitrary_yaml_never_panics(text in prop_oneof![
        "\\PC{0,300}",
        // YAML's own syntax, densely: anchors, tags, flow and block forms.
        "([a-z_]{1,8}: |  - |[&*!][a-z]{1,4} |~|\\{|\\}|\\[|\\]|, |'|\"|\n|[0-9.]{1,6}|null|true|---\n){0,60}",
    ]) {
        let s = Scratch::new("prop-yaml");
        if let Err(e) = load_named(&s, "p.yaml", &text, Vec::new()) {
            prop_assert!(!e.contains('\n'), "multi-line error: {e}");
        }
    }

    #[test]
    fn any_value_in_any_key_never_panics(
        key in prop::sample::select(vec![
            "account.initial_cash", "account.max_leverage", "account.allow_short",
            "fill.slippage_bps", "fill.volume_cap", "fill.market",
            "commission.model", "commission.rate", "commission.min", "commission.max_pct",
            "risk.max_position_pct", "risk.max_open_positions", "risk.daily_loss_limit_pct",
            "run.start", "run.end", "run.benchmark", "metrics.periods_per_year",
            "strategies.0.params.fast", "strategies.0.params.slow", "strategies.0.params.mode",
            "strategies.0.params.sizing", "strategies.0.params.fraction", "strategies.0.symbols",
            "strategies.0.type", "data.SPY.path", "data.SPY.timezone", "data.SPY.tick_size",
            "data.SPY.adjust", "data.SPY.columns", "data.SPY.order", "data.SPY.interval",
        ]),
        value in toml_scalar(),
    ) {
        let s = Scratch::new("prop-key");
        let _ = load_text(&s, &spy_config(""), vec![format!("{key}={value}")]);
    }
}
