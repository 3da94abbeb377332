//! The `trade` binary: parse arguments, set up logging, run a command,
//! print its output, and exit 0 on success or 2 with one error line.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use trade::cli::{Cli, Command, DataCommand, OptionsCommand};
use trade::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    trade::logging::init(cli.log_format, &cli.log, cli.quiet);
    match run(cli) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`trade calendar ... | head`) is not an error.
            let _ = stdout.write_all(out.as_bytes());
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<String> {
    let registry = trade_engine::strategy::builtin::registry();
    match cli.command {
        Command::Backtest(args) => commands::backtest::run(&args, &registry, cli.quiet),
        Command::Paper(args) => commands::paper::run(&args, &registry),
        Command::Live(args) => commands::live::run(&args, &registry),
        Command::Journal(args) => {
            let (text, problem) = commands::journal::run(&args)?;
            if problem {
                print!("{text}");
                anyhow::bail!(
                    "{}: the journal has problems (see above)",
                    args.journal.display()
                );
            }
            Ok(text)
        }
        Command::Plan(args) => commands::plan::run(&args, &registry),
        Command::Strategies { format } => commands::strategies::run(&registry, format),
        Command::Calendar {
            from,
            to,
            format,
            closures,
        } => commands::calendar::run(from, to, format, closures),
        Command::Data {
            command: DataCommand::Check(args),
        } => commands::data_check::run(&args, &registry),
        Command::Report { run_dir } => {
            trade_report::render_report(&run_dir)?;
            Ok(format!("{}\n", run_dir.join("report.html").display()))
        }
        Command::Bench(args) => commands::bench::run(&args, &registry),
        Command::GatewaySim(args) => commands::gateway_sim::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Dashboard { command } => commands::dashboard::run(&command),
        Command::Options { command } => match command {
            OptionsCommand::Price(args) => commands::options::run_price(&args),
            OptionsCommand::Iv(args) => commands::options::run_iv(&args),
            OptionsCommand::Payoff(args) => commands::options::run_payoff(&args),
            OptionsCommand::Chain(args) => commands::options::run_chain(&args),
        },
    }
}
