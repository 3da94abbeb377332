//! `trade dashboard`: helpers for the `--http` dashboard's configuration.

use std::io::BufRead as _;

use anyhow::Context as _;
use clap::Subcommand;

/// `trade dashboard ...`.
#[derive(Debug, Subcommand)]
pub enum DashboardCommand {
    /// Read a password from standard input (one line, never from the
    /// command line, so it stays out of shell history) and print the hash
    /// for `[[dashboard.users]] password_hash`.
    HashPassword {
        /// PBKDF2-HMAC-SHA256 rounds.
        #[arg(long, default_value_t = trade_server::auth::DEFAULT_PBKDF2_ROUNDS)]
        rounds: u32,
    },
}

/// Runs a `trade dashboard` command.
///
/// # Errors
/// Standard input cannot be read, or the password is empty.
pub fn run(command: &DashboardCommand) -> anyhow::Result<String> {
    match command {
        DashboardCommand::HashPassword { rounds } => {
            if *rounds < 10_000 {
                anyhow::bail!("--rounds {rounds}: expected at least 10000");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                anyhow::bail!("the password on standard input is empty");
            }
            Ok(format!(
                "{}\n",
                trade_server::PasswordHash::create(password, *rounds)
            ))
        }
    }
}
