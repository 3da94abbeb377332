//! Typed strategy parameters: what a strategy declares ([`ParamSpec`]) and
//! what a config supplies ([`Params`]), checked against each other so a
//! typo or a wrong type is an error naming the parameter.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// Whole number.
    Int,
    /// Real number (whole numbers are accepted too).
    Float,
    /// true/false.
    Bool,
    /// Text.
    Str,
    /// A list of texts (e.g. symbols).
    StrList,
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamKind::Int => "integer",
            ParamKind::Float => "number",
            ParamKind::Bool => "boolean",
            ParamKind::Str => "string",
            ParamKind::StrList => "list of strings",
        })
    }
}

/// A parameter value from a config.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// Whole number.
    Int(i64),
    /// Real number.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// Text.
    Str(String),
    /// List of texts.
    StrList(Vec<String>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Str(v) => write!(f, "{v:?}"),
            ParamValue::StrList(v) => write!(f, "{v:?}"),
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    /// Name as written in config.
    pub name: &'static str,
    /// Type.
    pub kind: ParamKind,
    /// Default (`None`: required).
    pub default: Option<ParamValue>,
    /// Allowed inclusive range for numbers.
    pub range: Option<(f64, f64)>,
    /// Allowed values for strings.
    pub choices: &'static [&'static str],
    /// One-line description.
    pub help: &'static str,
}

/// Why a parameter set does not fit a strategy's declaration.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParamError {
    /// A parameter the strategy does not declare.
    #[error("unknown parameter `{name}` for strategy `{strategy}` (known: {known})")]
    Unknown {
        /// Strategy type.
        strategy: String,
        /// The unknown name.
        name: String,
        /// Comma-separated declared names.
        known: String,
    },
    /// A required parameter is missing.
    #[error("missing required parameter `{name}` for strategy `{strategy}`")]
    Missing {
        /// Strategy type.
        strategy: String,
        /// The missing name.
        name: String,
    },
    /// Wrong type.
    #[error("parameter `{name}` of strategy `{strategy}`: expected {expected}, found {found}")]
    WrongType {
        /// Strategy type.
        strategy: String,
        /// Parameter.
        name: String,
        /// Declared kind.
        expected: ParamKind,
        /// What was given.
        found: String,
    },
    /// Out of the declared range or choices, or inconsistent with another.
    #[error("parameter `{name}` of strategy `{strategy}`: {message}")]
    Invalid {
        /// Strategy type.
        strategy: String,
        /// Parameter.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// Checked parameter values, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Params {
    strategy: String,
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// Checks `given` against `specs`: unknown names, missing required
    /// ones, types, ranges and choices. Integers are accepted for floats.
    ///
    /// # Errors
    /// The first [`ParamError`] in name order.
    pub fn resolve(
        strategy: &str,
        specs: &[ParamSpec],
        given: &BTreeMap<String, ParamValue>,
    ) -> Result<Params, ParamError> {
        for name in given.keys() {
            if !specs.iter().any(|s| s.name == name) {
                return Err(ParamError::Unknown {
                    strategy: strategy.to_string(),
                    name: name.clone(),
                    known: specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
                });
            }
        }
        let mut values = BTreeMap::new();
        for spec in specs {
            let v = match (given.get(spec.name), &spec.default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => {
                    return Err(ParamError::Missing {
                        strategy: strategy.to_string(),
                        name: spec.name.to_string(),
                    });
                }
            };
            let v = coerce(strategy, spec, v)?;
            values.insert(spec.name.to_string(), v);
        }
        Ok(Params {
            strategy: strategy.to_string(),
            values,
        })
    }

    /// The strategy type these belong to.
    pub fn strategy(&self) -> &str {
        &self.strategy
    }

    /// All values by name.
    pub fn values(&self) -> &BTreeMap<String, ParamValue> {
        &self.values
    }

    /// An integer parameter (declared `Int`).
    pub fn int(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(ParamValue::Int(v)) => *v,
            other => panic!("strategy bug: parameter {name} is not a declared int ({other:?})"),
        }
    }

    /// A float parameter (declared `Float`).
    pub fn float(&self, name: &str) -> f64 {
        match self.values.get(name) {
            Some(ParamValue::Float(v)) => *v,
            other => panic!("strategy bug: parameter {name} is not a declared float ({other:?})"),
        }
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> bool {
        match self.values.get(name) {
            Some(ParamValue::Bool(v)) => *v,
            other => panic!("strategy bug: parameter {name} is not a declared bool ({other:?})"),
        }
    }

    /// A string parameter.
    pub fn str(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(ParamValue::Str(v)) => v,
            other => panic!("strategy bug: parameter {name} is not a declared string ({other:?})"),
        }
    }

    /// A string-list parameter.
    pub fn str_list(&self, name: &str) -> &[String] {
        match self.values.get(name) {
            Some(ParamValue::StrList(v)) => v,
            other => panic!("strategy bug: parameter {name} is not a declared list ({other:?})"),
        }
    }

    /// An error about parameter `name` for the strategy's factory to return
    /// when two parameters contradict each other.
    pub fn invalid(&self, name: &str, message: impl Into<String>) -> ParamError {
        ParamError::Invalid {
            strategy: self.strategy.clone(),
            name: name.to_string(),
            message: message.into(),
        }
    }
}

fn coerce(strategy: &str, spec: &ParamSpec, v: ParamValue) -> Result<ParamValue, ParamError> {
    let wrong = |found: &ParamValue| ParamError::WrongType {
        strategy: strategy.to_string(),
        name: spec.name.to_string(),
        expected: spec.kind,
        found: format!("{found}"),
    };
    let invalid = |message: String| ParamError::Invalid {
        strategy: strategy.to_string(),
        name: spec.name.to_string(),
        message,
    };
    let v = match (spec.kind, v) {
        (ParamKind::Int, ParamValue::Int(i)) => ParamValue::Int(i),
        (ParamKind::Float, ParamValue::Float(x)) if x.is_finite() => ParamValue::Float(x),
        (ParamKind::Float, ParamValue::Int(i)) => ParamValue::Float(i as f64),
        (ParamKind::Bool, ParamValue::Bool(b)) => ParamValue::Bool(b),
        (ParamKind::Str, ParamValue::Str(s)) => ParamValue::Str(s),
        (ParamKind::StrList, ParamValue::StrList(s)) => ParamValue::StrList(s),
        (_, other) => return Err(wrong(&other)),
    };
    if let Some((lo, hi)) = spec.range {
        let x = match &v {
            ParamValue::Int(i) => Some(*i as f64),
            ParamValue::Float(x) => Some(*x),
            _ => None,
        };
        if let Some(x) = x
            && !(lo..=hi).contains(&x)
        {
            return Err(invalid(format!(
                "{x} is outside the allowed range {lo}..={hi}"
            )));
        }
    }
    if !spec.choices.is_empty()
        && let ParamValue::Str(s) = &v
        && !spec.choices.contains(&s.as_str())
    {
        return Err(invalid(format!(
            "{s:?} is not one of {}",
            spec.choices.join(", ")
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec {
                name: "fast",
                kind: ParamKind::Int,
                default: Some(ParamValue::Int(20)),
                range: Some((1.0, 1000.0)),
                choices: &[],
                help: "",
            },
            ParamSpec {
                name: "frac",
                kind: ParamKind::Float,
                default: None,
                range: Some((0.0, 1.0)),
                choices: &[],
                help: "",
            },
            ParamSpec {
                name: "mode",
                kind: ParamKind::Str,
                default: Some(ParamValue::Str("long_only".into())),
                range: None,
                choices: &["long_only", "long_short"],
                help: "",
            },
        ]
    }

    type Case = (Vec<(&'static str, ParamValue)>, Result<(), &'static str>);

    #[test]
    fn resolve_table() {
        let cases: Vec<Case> = vec![
            (vec![("frac", ParamValue::Int(1))], Ok(())),
            (
                vec![],
                Err("missing required parameter `frac` for strategy `s`"),
            ),
            (
                vec![
                    ("frac", ParamValue::Float(0.5)),
                    ("fsat", ParamValue::Int(3)),
                ],
                Err("unknown parameter `fsat` for strategy `s` (known: fast, frac, mode)"),
            ),
            (
                vec![("frac", ParamValue::Str("x".into()))],
                Err("parameter `frac` of strategy `s`: expected number, found \"x\""),
            ),
            (
                vec![("frac", ParamValue::Float(1.5))],
                Err("parameter `frac` of strategy `s`: 1.5 is outside the allowed range 0..=1"),
            ),
            (
                vec![
                    ("frac", ParamValue::Float(0.1)),
                    ("mode", ParamValue::Str("short".into())),
                ],
                Err(
                    "parameter `mode` of strategy `s`: \"short\" is not one of long_only, long_short",
                ),
            ),
            (
                vec![
                    ("frac", ParamValue::Float(0.1)),
                    ("fast", ParamValue::Float(2.0)),
                ],
                Err("parameter `fast` of strategy `s`: expected integer, found 2"),
            ),
        ];
        for (i, (given, want)) in cases.into_iter().enumerate() {
            let given: BTreeMap<String, ParamValue> =
                given.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let got = Params::resolve("s", &specs(), &given)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "case {i}");
        }
    }

    #[test]
    fn defaults_fill_in() {
        let given = BTreeMap::from([("frac".to_string(), ParamValue::Int(1))]);
        let p = Params::resolve("s", &specs(), &given).unwrap();
        assert_eq!(p.int("fast"), 20);
        assert_eq!(p.float("frac"), 1.0);
        assert_eq!(p.str("mode"), "long_only");
    }
}
