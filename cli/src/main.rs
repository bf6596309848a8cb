//! The `jwt-audit` command.

use clap::{Parser, Subcommand};
use jwt_audit_cli::demo::DemoArgs;
use jwt_audit_cli::inspect::InspectArgs;
use jwt_audit_cli::summarize::SummarizeArgs;
use jwt_audit_cli::verify::VerifyArgs;
use jwt_audit_cli::{CliError, demo, inspect, summarize, verify};
use std::process::ExitCode;

/// A JWT verifier that never validates silently: every verification yields an audit record.
///
/// Exit status: 0 success (every token accepted), 1 a token was rejected (inspect: could not be
/// decoded), 2 usage, configuration or I/O error.
#[derive(Parser, Debug)]
#[command(name = "jwt-audit", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start here: mint good and bad tokens in memory, verify them, print every audit record
    /// (JSON Lines on stdout) and a summary (stderr). No files, no network.
    Demo(DemoArgs),
    /// Verify tokens with keys and policy from flags or --config; one record per token on stdout.
    Verify(Box<VerifyArgs>),
    /// Decode a token WITHOUT verifying it: header, redacted claims, fingerprint, times.
    Inspect(InspectArgs),
    /// Summarize JSON Lines audit logs (plain or gzip): totals, top rejections, timeline.
    Summarize(SummarizeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Summarize(a) => summarize::run(a),
    };
    match result {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            if !e.broken_pipe {
                eprintln!("error: {e}");
            }
            ExitCode::from(CliError::EXIT_CODE)
        }
    }
}
