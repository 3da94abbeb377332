//! `trade options`: a trader's calculator — price and Greeks, implied
//! volatility, chains and payoff diagrams — on the same code the engine
//! uses.

mod chain;
mod payoff;
mod price;
mod terms;

pub use chain::{ChainArgs, run as run_chain};
pub use payoff::{PayoffArgs, run as run_payoff};
pub use price::{IvArgs, PriceArgs, run_iv, run_price};
