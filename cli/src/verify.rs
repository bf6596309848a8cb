//! `jwt-audit verify`: verifies tokens through the core and prints every record.

use crate::config::{Settings, VerifierArgs};
use crate::error::{CliError, Status};
use crate::input::{MAX_SMALL_FILE, read_line_capped, read_small_file};
use crate::output::RecordWriter;
use clap::Args;
use jwt_audit::sink::{AuditSink, builtin_sink};
use jwt_audit::{RequestContext, Verification, Verifier};
use serde_json::Value;
use std::ffi::OsString;
use std::io::{self, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `verify`.
#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The token, or `-` to read one token per line from stdin (one record per line out).
    /// A token given here lands in shell history and process listings: prefer --token-file or stdin.
    #[arg(
        value_name = "TOKEN",
        required_unless_present = "token_file",
        conflicts_with = "token_file"
    )]
    pub token: Option<OsString>,
    /// Read the token from this file: its exact bytes, nothing trimmed.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Print records indented, for humans.
    #[arg(long)]
    pub pretty: bool,
    #[command(flatten)]
    pub verifier: VerifierArgs,
}

/// Runs `verify`: exit status 0 when every token was accepted, 1 when any was rejected.
pub fn run(args: &VerifyArgs) -> Result<Status, CliError> {
    let mut settings = args.verifier.settings()?;
    let mut builder = Verifier::builder();
    if let Some(sink) = configured_sink(&mut settings)? {
        builder = builder.shared_sink(sink);
    }
    let verifier = settings.build(builder)?;
    let mut out = Output::new(args.pretty);
    let ctx = RequestContext::new();
    match (&args.token, &args.token_file) {
        (Some(t), _) if t == "-" => stream_stdin(&verifier, &ctx, &mut out)?,
        (Some(t), _) => out.emit(&verifier.verify(t.as_bytes(), &ctx))?,
        (None, Some(path)) => {
            let token = read_small_file("--token-file", path)?;
            out.emit(&verifier.verify(&token, &ctx))?;
        }
        (None, None) => {
            return Err(CliError::new(
                "no token: give TOKEN, --token-file PATH, or - to read tokens from stdin",
            ));
        }
    }
    verifier.flush();
    out.finish()
}

/// A `sink` option in the configuration file (shared with the other bindings): records always go
/// to stdout; `{"file": path}` appends them to that file as well.
fn configured_sink(settings: &mut Settings) -> Result<Option<Arc<dyn AuditSink>>, CliError> {
    let Some(spec) = settings.take("sink") else {
        return Ok(None);
    };
    if spec == Value::String("stdout".into()) {
        return Ok(None);
    }
    match builtin_sink(&spec).map_err(|e| settings.error(&e))? {
        Some(sink) => Ok(Some(sink)),
        None => Err(CliError::new(
            "config key `sink`: the CLI takes \"stdout\" or {\"file\": path} here",
        )),
    }
}

/// One token per line (`\n` or `\r\n`); every line, even an empty one, is a presentation and gets
/// a record. Output is flushed whenever the input has nothing more buffered, so records stream.
fn stream_stdin(
    verifier: &Verifier,
    ctx: &RequestContext,
    out: &mut Output,
) -> Result<(), CliError> {
    let mut input = BufReader::with_capacity(64 * 1024, io::stdin());
    let mut line = Vec::new();
    let mut count = 0u64;
    // A longer line is cut here; it is rejected as token_too_large either way (the core's limit
    // is at most 1 MiB), with `size` showing the cut length.
    while read_line_capped(&mut input, &mut line, MAX_SMALL_FILE + 1)
        .map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?
        .is_some()
    {
        count += 1;
        out.emit(&verifier.verify(&line, ctx))?;
        if input.buffer().is_empty() {
            out.flush()?;
        }
    }
    if count == 0 {
        return Err(CliError::new(
            "no token on stdin (expected one token per line)",
        ));
    }
    Ok(())
}

/// Records to stdout, remembering whether any token was rejected.
struct Output {
    records: RecordWriter,
    rejected: bool,
}

impl Output {
    fn new(pretty: bool) -> Self {
        Self {
            records: RecordWriter::stdout(pretty),
            rejected: false,
        }
    }

    fn emit(&mut self, v: &Verification) -> Result<(), CliError> {
        self.rejected |= !v.is_accepted();
        self.records.write(v.record()).map(|_| ())
    }

    fn flush(&mut self) -> Result<(), CliError> {
        self.records.flush()
    }

    fn finish(mut self) -> Result<Status, CliError> {
        self.flush()?;
        Ok(if self.rejected {
            Status::Rejected
        } else {
            Status::Success
        })
    }
}
