//! Reading inputs in bounded memory: lines with a length cap, files or stdin, gzip detected by its
//! magic bytes (not by the file name), with an optional byte-progress hook.

use crate::error::CliError;
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Read buffer size for files and stdin.
const BUF_BYTES: usize = 256 * 1024;

/// One line read by [`read_line_capped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Length of the whole line without its terminator (may exceed what was kept).
    pub len: usize,
    /// `true` when the line was longer than the cap and only its start was kept.
    pub truncated: bool,
}

/// Reads one line into `buf` (cleared first), without its `\n` or `\r\n`, keeping at most `cap`
/// bytes of it; the rest of an over-long line is skipped without being stored, so memory stays
/// bounded whatever the input. Returns `None` at the end of the input. Bytes need not be UTF-8.
///
/// ```
/// use jwt_audit_cli::input::read_line_capped;
/// let mut input = &b"a.b.c\r\nxxxxxxxx\nlast"[..];
/// let mut buf = Vec::new();
/// let l = read_line_capped(&mut input, &mut buf, 4).unwrap().unwrap();
/// assert_eq!((buf.as_slice(), l.len, l.truncated), (&b"a.b."[..], 5, true));
/// let l = read_line_capped(&mut input, &mut buf, 16).unwrap().unwrap();
/// assert_eq!((buf.as_slice(), l.len, l.truncated), (&b"xxxxxxxx"[..], 8, false));
/// read_line_capped(&mut input, &mut buf, 16).unwrap().unwrap();
/// assert_eq!(buf, b"last");
/// assert!(read_line_capped(&mut input, &mut buf, 16).unwrap().is_none());
/// ```
pub fn read_line_capped<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<Line>> {
    buf.clear();
    let mut len = 0usize;
    let mut seen_any = false;
    let mut last = 0u8;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        seen_any = true;
        let (end, found) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..end.min(room)]);
        if end > 0 {
            last = chunk[end - 1];
        }
        len += end;
        reader.consume(end + usize::from(found));
        if found {
            break;
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if last == b'\r' {
        len -= 1;
        buf.truncate(len);
    }
    Ok(Some(Line {
        len,
        truncated: len > buf.len(),
    }))
}

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// `-` is stdin, anything else a path.
    pub fn parse(arg: &Path) -> Self {
        if arg == Path::new("-") {
            Self::Stdin
        } else {
            Self::File(arg.to_path_buf())
        }
    }

    /// A name for messages.
    pub fn name(&self) -> String {
        match self {
            Self::Stdin => "<stdin>".to_string(),
            Self::File(p) => p.display().to_string(),
        }
    }

    /// The size in bytes of a regular file (for a progress bar).
    pub fn file_size(&self) -> Option<u64> {
        match self {
            Self::Stdin => None,
            Self::File(p) => std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
        }
    }

    /// Opens the source as a buffered reader, decompressing gzip (also concatenated members)
    /// when the data starts with the gzip magic bytes. `wrap` sees the raw (compressed) bytes,
    /// e.g. to drive a progress bar.
    pub fn open(
        &self,
        what: &str,
        wrap: impl FnOnce(Box<dyn Read + Send>) -> Box<dyn Read + Send>,
    ) -> Result<Box<dyn BufRead + Send>, CliError> {
        let raw: Box<dyn Read + Send> = match self {
            Self::Stdin => Box::new(io::stdin()),
            Self::File(p) => Box::new(File::open(p).map_err(|e| CliError::file(what, p, &e))?),
        };
        let mut reader = BufReader::with_capacity(BUF_BYTES, wrap(raw));
        let is_gzip = match reader.fill_buf() {
            Ok(head) => head.starts_with(&[0x1f, 0x8b]),
            Err(e) => {
                return Err(CliError::new(format!(
                    "{what} {}: cannot read: {e}",
                    self.name()
                )));
            }
        };
        Ok(if is_gzip {
            Box::new(BufReader::with_capacity(
                BUF_BYTES,
                MultiGzDecoder::new(reader),
            ))
        } else {
            Box::new(reader)
        })
    }
}

/// Largest file read whole (keys, secrets, configuration, a token file).
pub const MAX_SMALL_FILE: usize = 16 * 1024 * 1024;

/// Reads a file whole, exactly as stored (nothing trimmed), refusing anything over
/// [`MAX_SMALL_FILE`] without reading it all.
pub fn read_small_file(what: &str, path: &Path) -> Result<Vec<u8>, CliError> {
    let file = File::open(path).map_err(|e| CliError::file(what, path, &e))?;
    let mut bytes = Vec::new();
    file.take(MAX_SMALL_FILE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::file(what, path, &e))?;
    if bytes.len() > MAX_SMALL_FILE {
        return Err(CliError::new(format!(
            "{what} {}: is larger than 16 MiB, more than this option reads",
            path.display()
        )));
    }
    Ok(bytes)
}
