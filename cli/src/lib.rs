//! # jwt-audit-cli
//!
//! The `jwt-audit` command: a thin layer over the [`jwt_audit`] core. It holds no verification
//! logic of its own — every decision and every record comes from [`jwt_audit::Verifier`].
//!
//! - [`demo`]: mints a realistic stream of good and bad tokens in memory, verifies them and prints
//!   the records (the project's "run it" command).
//! - [`verify`]: verifies tokens with keys and policy from flags or a config file.
//! - [`inspect`]: decodes a token without trusting it, redacted exactly like a record.
//! - [`summarize`]: streams JSON Lines audit logs (plain or gzip) into totals, top-N tables and a
//!   timeline, in bounded memory.
//!
//! Exit status: `0` success (every token accepted), `1` a token was rejected (or could not be
//! decoded, for `inspect`), `2` usage, configuration or I/O error.

pub mod config;
pub mod demo;
pub mod display;
pub mod error;
pub mod input;
pub mod inspect;
pub mod output;
pub mod summarize;
pub mod verify;

pub use error::{CliError, Status};
