//! Errors that stop a command (exit status 2) and the statuses of a finished one.

use std::fmt;
use std::path::Path;

/// How a command that ran to completion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0: every token was accepted / the job was done.
    Success,
    /// Exit 1: at least one token was rejected (or, for `inspect`, could not be decoded).
    Rejected,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Rejected => 1,
        }
    }
}

/// A usage, configuration or I/O problem (exit status 2). The message names the flag, the
/// configuration key or the file at fault, and never contains key material or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
    /// The output pipe was closed by the reader (e.g. `| head`): exit quietly.
    pub broken_pipe: bool,
}

impl CliError {
    /// The exit code of every `CliError`.
    pub const EXIT_CODE: u8 = 2;

    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            broken_pipe: false,
        }
    }

    /// An I/O error on `path`, e.g. `--key keys/rsa.pem: cannot read: No such file or directory`.
    pub fn file(what: &str, path: &Path, e: &std::io::Error) -> Self {
        Self::new(format!(
            "{what} {}: cannot read: {}",
            path.display(),
            io_reason(e)
        ))
    }

    /// An error writing the output.
    pub fn output(e: &std::io::Error) -> Self {
        Self {
            message: format!("cannot write the output: {}", io_reason(e)),
            broken_pipe: e.kind() == std::io::ErrorKind::BrokenPipe,
        }
    }
}

/// The OS reason without the "(os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
