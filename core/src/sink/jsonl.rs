//! [`JsonLinesSink`]: one JSON object per line, to any writer.

use super::{AuditSink, BatchError, SinkError};
use crate::record::AuditRecord;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// Serialised bytes are handed to the writer at least this often within one batch, so a large
/// batch does not grow the buffer without bound.
const CHUNK_BYTES: usize = 256 * 1024;
/// The reusable buffer is shrunk back when a batch made it larger than this.
const KEEP_BYTES: usize = 1024 * 1024;

/// Writes each record as one line of JSON (the [`AuditRecord::write_json_line`] form) to a writer.
///
/// Every call is **write-through**: a [`record`](AuditSink::record) call serialises the record into
/// a reused buffer and issues one `write_all`; a [`record_batch`](AuditSink::record_batch) call
/// serialises the whole batch and writes it in one `write_all` (in 256 KiB pieces for very large
/// batches). No record is held in this sink after the call returns, so an error is always
/// reported to the caller of that call and [`losses`](AuditSink::losses) stays zero.
/// [`flush`](AuditSink::flush) flushes the writer (useful when it buffers itself, e.g. a
/// `BufWriter`).
///
/// Used directly it costs one write system call per record on the verifying thread; wrap it in
/// [`NonBlocking`](super::NonBlocking) for the hot path: the verifying thread then only encodes
/// the line (see [`encodes`](AuditSink::encodes)), and the background thread writes the lines
/// queued meanwhile with one [`write_encoded`](AuditSink::write_encoded) call.
///
/// Writes from concurrent callers are serialised by a mutex, so lines never interleave.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write + Send> {
    state: Mutex<State<W>>,
}

#[derive(Debug)]
struct State<W> {
    writer: W,
    buf: Vec<u8>,
}

impl<W: Write + Send> JsonLinesSink<W> {
    /// Writes to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            state: Mutex::new(State {
                writer,
                buf: Vec::with_capacity(4096),
            }),
        }
    }

    /// Returns the writer.
    pub fn into_inner(self) -> W {
        match self.state.into_inner() {
            Ok(s) => s.writer,
            Err(poisoned) => poisoned.into_inner().writer,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<W>> {
        // A panic inside the writer leaves nothing half-done in `State` that matters: the buffer is
        // cleared before each use.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl JsonLinesSink<io::Stdout> {
    /// Writes to the process's standard output.
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }
}

impl JsonLinesSink<File> {
    /// Appends to the file at `path`, creating it if needed.
    pub fn file(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self::new(file))
    }
}

impl<W: Write + Send> AuditSink for JsonLinesSink<W> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        let mut guard = self.lock();
        let State { writer, buf } = &mut *guard;
        buf.clear();
        record.write_json_line(buf);
        let result = writer.write_all(buf);
        if buf.capacity() > KEEP_BYTES {
            buf.clear();
            buf.shrink_to(4096);
        }
        result.map_err(SinkError::from)
    }

    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        let mut guard = self.lock();
        let State { writer, buf } = &mut *guard;
        buf.clear();
        // Records serialised into `buf` but not yet written.
        let mut pending = 0;
        let mut result = Ok(());
        for (i, record) in records.iter().enumerate() {
            record.write_json_line(buf);
            pending += 1;
            if buf.len() >= CHUNK_BYTES || i + 1 == records.len() {
                if let Err(e) = writer.write_all(buf) {
                    // The failed piece may be partly written; it and everything after it count as
                    // not delivered.
                    result = Err(BatchError {
                        failed: records.len() - i - 1 + pending,
                        error: e.into(),
                    });
                    break;
                }
                buf.clear();
                pending = 0;
            }
        }
        buf.clear();
        if buf.capacity() > KEEP_BYTES {
            buf.shrink_to(4096);
        }
        result
    }

    /// `true`: [`NonBlocking`](super::NonBlocking) hands this sink whole buffers of JSON lines
    /// encoded on the verifying threads.
    fn encodes(&self) -> bool {
        true
    }

    /// Appends the record's JSON line ([`AuditRecord::write_json_line`]).
    fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
        record.write_json_line(out);
    }

    /// Writes the lines with as few `write` calls as the writer allows (one, for a file). On an
    /// error, the records whose line was not completely written count as not delivered.
    fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
        let mut guard = self.lock();
        let mut written = 0;
        while written < bytes.len() {
            match guard.writer.write(&bytes[written..]) {
                Ok(0) => {
                    return Err(not_written(
                        bytes,
                        written,
                        records,
                        io::ErrorKind::WriteZero.into(),
                    ));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(not_written(bytes, written, records, e)),
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), SinkError> {
        self.lock().writer.flush().map_err(SinkError::from)
    }
}

/// The error for `records` encoded lines in `bytes` of which only `written` bytes were written:
/// every line not completely written failed.
fn not_written(bytes: &[u8], written: usize, records: usize, error: io::Error) -> BatchError {
    let complete = bytes[..written].iter().filter(|&&b| b == b'\n').count();
    BatchError {
        failed: records.saturating_sub(complete),
        error: error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::FailureKind;
    use crate::sink::testutil::{accepted, rejected, temp_path};

    /// Counts write and flush calls; fails writes after `fail_after` successful ones; takes at
    /// most `short` bytes per write; `interrupt` makes the next write fail as interrupted.
    #[derive(Default)]
    struct Probe {
        out: Vec<u8>,
        writes: usize,
        flushes: usize,
        fail_after: Option<usize>,
        short: Option<usize>,
        interrupt: bool,
    }

    impl Write for Probe {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if std::mem::take(&mut self.interrupt) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.fail_after.is_some_and(|n| self.writes >= n) {
                return Err(io::Error::other("disk full"));
            }
            self.writes += 1;
            let n = self.short.unwrap_or(b.len()).min(b.len());
            self.out.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn each_record_is_one_line_of_its_json() {
        let sink = JsonLinesSink::new(Probe::default());
        let recs = [accepted(1), rejected(2, FailureKind::Expired), accepted(3)];
        for r in &recs {
            sink.record(r).unwrap();
        }
        let probe = sink.into_inner();
        assert_eq!(probe.writes, 3, "one write per record call");
        let text = String::from_utf8(probe.out).unwrap();
        let expected: String = recs.iter().map(|r| r.to_json() + "\n").collect();
        assert_eq!(text, expected);
        let parsed = lines(text.as_bytes());
        assert_eq!(parsed[1]["failure"]["kind"], "expired");
        let back: AuditRecord = serde_json::from_value(parsed[2].clone()).unwrap();
        assert_eq!(back, *recs[2]);
    }

    #[test]
    fn a_batch_is_one_write() {
        let sink = JsonLinesSink::new(Probe::default());
        let batch: Vec<_> = (0..100).map(accepted).collect();
        sink.record_batch(&batch).unwrap();
        let probe = sink.into_inner();
        assert_eq!(probe.writes, 1);
        let parsed = lines(&probe.out);
        assert_eq!(parsed.len(), 100);
        assert_eq!(parsed[99]["id"], "rec-99");
    }

    #[test]
    fn a_huge_batch_is_written_in_pieces() {
        let sink = JsonLinesSink::new(Probe::default());
        let batch: Vec<_> = (0..3000).map(accepted).collect();
        sink.record_batch(&batch).unwrap();
        let probe = sink.into_inner();
        let per = accepted(0).to_json().len() + 1;
        let expected_writes = (3000 * per).div_ceil(CHUNK_BYTES);
        assert!(probe.writes >= 2 && probe.writes <= expected_writes + 1);
        assert_eq!(lines(&probe.out).len(), 3000);
    }

    #[test]
    fn write_errors_are_reported_with_exact_counts() {
        let sink = JsonLinesSink::new(Probe {
            fail_after: Some(1),
            ..Probe::default()
        });
        sink.record(&accepted(1)).unwrap();
        let err = sink.record(&accepted(2)).unwrap_err();
        assert!(err.0.contains("disk full"));
        let err = sink.record_batch(&[accepted(3), accepted(4)]).unwrap_err();
        assert_eq!(err.failed, 2);
        assert_eq!(
            sink.losses(),
            Default::default(),
            "errors were all reported"
        );
        assert_eq!(lines(&sink.into_inner().out).len(), 1);
    }

    #[test]
    fn a_failure_mid_batch_counts_the_rest() {
        // 3000 records need several 256 KiB pieces; the second piece fails.
        let sink = JsonLinesSink::new(Probe {
            fail_after: Some(1),
            ..Probe::default()
        });
        let batch: Vec<_> = (0..3000).map(accepted).collect();
        let err = sink.record_batch(&batch).unwrap_err();
        let written = lines(&sink.into_inner().out).len();
        assert!(written > 0 && written < 3000);
        assert_eq!(err.failed, 3000 - written);
    }

    #[test]
    fn encoded_lines_are_the_json_lines_written_in_one_write() {
        let sink = JsonLinesSink::new(Probe::default());
        assert!(sink.encodes());
        let recs: Vec<_> = (0..20).map(accepted).collect();
        let mut bytes = Vec::new();
        for r in &recs {
            sink.encode(r, &mut bytes);
        }
        let mut expected = Vec::new();
        for r in &recs {
            r.write_json_line(&mut expected);
        }
        assert_eq!(bytes, expected);
        sink.write_encoded(&bytes, 20).unwrap();
        let probe = sink.into_inner();
        assert_eq!(probe.writes, 1);
        assert_eq!(probe.out, expected);
    }

    #[test]
    fn encoded_lines_survive_short_and_interrupted_writes() {
        let sink = JsonLinesSink::new(Probe {
            short: Some(100),
            interrupt: true,
            ..Probe::default()
        });
        let mut bytes = Vec::new();
        for i in 0..5 {
            sink.encode(&accepted(i), &mut bytes);
        }
        sink.write_encoded(&bytes, 5).unwrap();
        let probe = sink.into_inner();
        assert_eq!(probe.writes, bytes.len().div_ceil(100));
        assert_eq!(probe.out, bytes);
    }

    #[test]
    fn encoded_lines_not_completely_written_count_as_failed() {
        let line = accepted(0).to_json().len() + 1;
        // Two writes of one and a half lines each: three complete lines, then "disk full".
        let sink = JsonLinesSink::new(Probe {
            short: Some(line + line / 2),
            fail_after: Some(2),
            ..Probe::default()
        });
        let mut bytes = Vec::new();
        for i in 0..10 {
            sink.encode(&accepted(i), &mut bytes);
        }
        let err = sink.write_encoded(&bytes, 10).unwrap_err();
        assert_eq!(err.failed, 7);
        assert!(err.error.0.contains("disk full"));
        // A writer that accepts nothing fails every line.
        let sink = JsonLinesSink::new(Probe {
            short: Some(0),
            ..Probe::default()
        });
        let err = sink.write_encoded(&bytes, 10).unwrap_err();
        assert_eq!(err.failed, 10);
    }

    #[test]
    fn flush_flushes_the_writer() {
        let sink = JsonLinesSink::new(Probe::default());
        sink.flush().unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.into_inner().flushes, 2);
    }

    #[test]
    fn file_appends_and_creates() {
        let path = temp_path("jsonl-file");
        {
            let sink = JsonLinesSink::file(&path).unwrap();
            sink.record(&accepted(1)).unwrap();
            sink.record_batch(&[accepted(2), accepted(3)]).unwrap();
        }
        {
            let sink = JsonLinesSink::file(&path).unwrap();
            sink.record(&rejected(4, FailureKind::BadSignature))
                .unwrap();
            sink.flush().unwrap();
        }
        let parsed = lines(&std::fs::read(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        let ids: Vec<_> = parsed.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["rec-1", "rec-2", "rec-3", "rec-4"]);
    }

    #[test]
    fn file_in_a_missing_directory_is_an_error() {
        let path = temp_path("no-such-dir").join("audit.jsonl");
        assert!(JsonLinesSink::file(path).is_err());
    }

    #[test]
    fn concurrent_writers_never_interleave_lines() {
        let sink = Arc::new(JsonLinesSink::new(Vec::new()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        sink.record(&accepted(t * 1000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let sink = Arc::into_inner(sink).unwrap();
        assert_eq!(lines(&sink.into_inner()).len(), 1000);
    }

    #[test]
    fn stdout_constructs() {
        let sink = JsonLinesSink::stdout();
        sink.flush().unwrap();
    }
}
