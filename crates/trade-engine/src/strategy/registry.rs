//! [`Registry`]: strategies by type name, with their declared parameters,
//! so a config can say `type = "ma_crossover"` and `trade strategies` can
//! list what exists.

use std::collections::BTreeMap;

use serde::Serialize;
use trade_core::InstrumentId;

use super::{ParamError, ParamSpec, ParamValue, Params, Strategy};

/// Builds a strategy from checked parameters and the instruments it trades.
pub type StrategyFactory = fn(&Params, &[InstrumentId]) -> Result<Box<dyn Strategy>, ParamError>;

/// A registered strategy type.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyInfo {
    /// Type name used in config.
    pub name: &'static str,
    /// One-paragraph description.
    pub description: &'static str,
    /// Declared parameters.
    pub params: Vec<ParamSpec>,
    #[serde(skip)]
    factory: StrategyFactory,
}

/// Strategy types by name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, StrategyInfo>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers a strategy type (a later registration of the same name replaces it).
    pub fn register(
        &mut self,
        name: &'static str,
        description: &'static str,
        params: Vec<ParamSpec>,
        factory: StrategyFactory,
    ) {
        self.entries.insert(
            name,
            StrategyInfo {
                name,
                description,
                params,
                factory,
            },
        );
    }

    /// All registered types, by name.
    pub fn list(&self) -> impl Iterator<Item = &StrategyInfo> {
        self.entries.values()
    }

    /// One type.
    pub fn get(&self, name: &str) -> Option<&StrategyInfo> {
        self.entries.get(name)
    }

    /// Checks `given` against the declaration of `name`.
    ///
    /// # Errors
    /// [`ParamError`] for an unknown strategy type (reported as an unknown
    /// parameter-less strategy) or any parameter problem.
    pub fn resolve(
        &self,
        name: &str,
        given: &BTreeMap<String, ParamValue>,
    ) -> Result<Params, ParamError> {
        let info = self.get(name).ok_or_else(|| self.unknown(name))?;
        Params::resolve(name, &info.params, given)
    }

    /// Builds an instance.
    ///
    /// # Errors
    /// [`ParamError`] when the type is unknown or the factory rejects the
    /// parameters (e.g. fast period >= slow period).
    pub fn build(
        &self,
        params: &Params,
        instruments: &[InstrumentId],
    ) -> Result<Box<dyn Strategy>, ParamError> {
        let info = self
            .get(params.strategy())
            .ok_or_else(|| self.unknown(params.strategy()))?;
        (info.factory)(params, instruments)
    }

    fn unknown(&self, name: &str) -> ParamError {
        ParamError::Invalid {
            strategy: name.to_string(),
            name: "type".to_string(),
            message: format!(
                "unknown strategy type (registered: {})",
                self.entries.keys().copied().collect::<Vec<_>>().join(", ")
            ),
        }
    }
}
