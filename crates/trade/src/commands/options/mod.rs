//! `trade options`: a trader's calculator — price and Greeks, implied
//! volatility, chains and payoff diagrams — on the same code the engine
//! uses.

mod price;
mod terms;

pub use price::{IvArgs, PriceArgs, run_iv, run_price};
