//! Serde support shared by the fixed-point types: they serialise as decimal
//! strings and deserialise from strings or integers through the checked
//! parser, so a value from a file is validated like one built in code.
//! Floats are accepted from formats that have no decimal type (TOML
//! `0.5`), by their shortest round-trip text, which is exact for the values
//! people write by hand.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

pub(crate) fn deserialize_raw<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct RawVisitor;
    impl Visitor<'_> for RawVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number or a decimal string such as \"123.45\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            crate::fixed::parse_raw(v).map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if !v.is_finite() {
                return Err(E::custom(format!("{v} is not a finite number")));
            }
            self.visit_str(&format!("{v}"))
        }
    }
    d.deserialize_any(RawVisitor)
}
