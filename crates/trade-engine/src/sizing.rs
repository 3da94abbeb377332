//! Position sizing (placeholder, being written).
