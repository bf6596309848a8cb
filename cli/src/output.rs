//! Writing records: one JSON line each (the core's canonical form), or indented for humans.

use crate::error::CliError;
use jwt_audit::AuditRecord;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Buffered record output to stdout or a file.
pub struct RecordWriter {
    out: BufWriter<Box<dyn Write>>,
    pretty: bool,
    line: Vec<u8>,
}

impl RecordWriter {
    /// Records to stdout.
    pub fn stdout(pretty: bool) -> Self {
        Self::new(Box::new(io::stdout()), pretty)
    }

    /// Records to a new file (an existing one is replaced).
    pub fn create(flag: &str, path: &Path) -> Result<Self, CliError> {
        let file = File::create(path)
            .map_err(|e| CliError::new(format!("{flag} {}: cannot create: {e}", path.display())))?;
        Ok(Self::new(Box::new(file), false))
    }

    fn new(out: Box<dyn Write>, pretty: bool) -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, out),
            pretty,
            line: Vec::with_capacity(2048),
        }
    }

    /// Writes one record and returns the bytes written (with the trailing newline).
    pub fn write(&mut self, record: &AuditRecord) -> Result<&[u8], CliError> {
        self.line.clear();
        if self.pretty {
            // Serialising plain data into memory cannot fail.
            let _ = serde_json::to_writer_pretty(&mut self.line, record);
            self.line.push(b'\n');
        } else {
            record.write_json_line(&mut self.line);
        }
        self.out
            .write_all(&self.line)
            .map_err(|e| CliError::output(&e))?;
        Ok(&self.line)
    }

    /// Flushes the buffer to the destination.
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.out.flush().map_err(|e| CliError::output(&e))
    }
}
