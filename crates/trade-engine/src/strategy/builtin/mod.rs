//! Built-in strategies (placeholder, being written).

use super::Registry;

/// A registry with every built-in strategy.
pub fn registry() -> Registry {
    Registry::new()
}
