//! Identifiers. Each role gets its own type so two ids that happen to be
//! strings or integers cannot be swapped by accident.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

/// A ticker as the exchange lists it (`SPY`, `BRK.B`, or an OCC option
/// symbol). Upper-case ASCII letters, digits, `.`, `-`, `/` and spaces
/// (OCC symbols pad the root with spaces), 1 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

/// Why a string is not a [`Symbol`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid symbol {0:?}: expected 1-32 characters of A-Z, 0-9, '.', '-', '/' or space, not starting with a space"
)]
pub struct InvalidSymbol(pub String);

impl Symbol {
    /// Checks and builds a symbol; lower-case letters are upper-cased.
    ///
    /// # Errors
    /// [`InvalidSymbol`] if the text is empty, too long or has other characters.
    pub fn new(text: &str) -> Result<Self, InvalidSymbol> {
        let up = text.to_ascii_uppercase();
        let ok = !up.is_empty()
            && up.len() <= 32
            && !up.starts_with(' ')
            && up
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b" .-/".contains(&b));
        if ok {
            Ok(Symbol(up))
        } else {
            Err(InvalidSymbol(text.to_string()))
        }
    }

    /// The symbol text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Symbol::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Dense index of an instrument within one run (position in the run's
/// instrument table), so state lookups are array indexing, not hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentId(pub u32);

impl InstrumentId {
    /// As a `usize` index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Our own order id, assigned before anything leaves the process and sent
/// to the broker as `orderRef`. Unique within a run or a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(pub u64);

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "O{}", self.0)
    }
}

/// The broker's id for an order (IB `permId`, or the simulator's counter).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerOrderId(pub String);

/// The name of a configured strategy instance (`spy_trend`), unique in a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StrategyId(pub String);

impl fmt::Display for StrategyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_validation() {
        assert_eq!(Symbol::new("spy").unwrap().as_str(), "SPY");
        assert!(Symbol::new("BRK.B").is_ok());
        assert!(Symbol::new("SPY   250418C00560000").is_ok());
        for bad in ["", " SPY", "SP$Y", "ÄPFEL", &"X".repeat(33)] {
            assert!(Symbol::new(bad).is_err(), "{bad:?}");
        }
    }
}
