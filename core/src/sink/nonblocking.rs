//! [`NonBlocking`]: a bounded queue and one background thread in front of any sink.

use super::{AuditSink, BatchError, SinkError, SinkLosses};
use crate::record::AuditRecord;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// What [`NonBlocking`] does with a record when its queue is full. There is no default: the
/// choice between slowing requests down and losing audit records is the operator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// Wait until the background thread makes room. Nothing is lost; a slow destination slows the
    /// verifying threads down.
    Block,
    /// Drop the record being queued and count it in [`SinkLosses::dropped`]. The verifying thread
    /// never waits for the destination.
    DropNewest,
}

/// How long the background thread waits for more records before it goes idle, when it takes
/// records: short, because every record queued stays alive (and out of its verifying thread's
/// cache) until delivered.
const LINGER_RECORDS: Duration = Duration::from_micros(200);
/// The same when the inner sink encodes: encoded records cost only their bytes, so the thread
/// wakes less often (a wake-up costs both threads; records reach the destination at most 1 ms
/// later unless `flush` is called).
const LINGER_ENCODED: Duration = Duration::from_millis(1);
/// How long the background thread stays idle before it releases the records it handed back.
const RELEASE_IDLE: Duration = Duration::from_millis(10);
/// Records a `record` call releases at most, of those handed back: more than one, so the
/// handed-back records never accumulate while records keep coming.
const RELEASE_PER_CALL: usize = 2;
/// Byte buffers (the queue's and each thread's encoding buffer) are shrunk back to this size when
/// a burst made them larger.
const KEEP_BYTES: usize = 1024 * 1024;

thread_local! {
    /// Where `record` encodes, before copying the bytes into the queue under the lock.
    static ENCODE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Queues records for a background thread that hands them to the inner sink: the verifying thread
/// does no I/O and never waits for the destination (unless [`Overflow::Block`] and the queue is
/// full).
///
/// * **Two ways to queue.** When the inner sink [`encodes`](AuditSink::encodes) (as
///   [`JsonLinesSink`](super::JsonLinesSink) does), the calling thread encodes the record (its
///   JSON line) into a buffer of its own, while the record is still in its cache, and appends the
///   bytes to the queue under a short lock; the record is not kept, and the background thread
///   only writes bytes, in one [`write_encoded`](AuditSink::write_encoded) call per wake-up. Any
///   other sink gets the records themselves: the caller queues an `Arc` (a pointer push), and the
///   background thread hands everything queued to the inner sink in one
///   [`record_batch`](AuditSink::record_batch) call.
/// * **Bounded queue** of `capacity` records with an explicit [`Overflow`] policy. With
///   [`Overflow::DropNewest`] a record that finds the queue full is dropped, counted exactly, and
///   [`record`](AuditSink::record) still returns `Ok` (the loss shows in
///   [`losses`](AuditSink::losses), not as an error, so it is not counted twice). An encoding
///   caller has encoded the record before it finds the queue full.
/// * **Few wake-ups:** the caller wakes the thread only when it was idle (it lingers for more
///   records before going idle: 1 ms for encoded records, 200 µs for records, which stay alive
///   while queued), not once per record.
/// * **Records are released on the verifying threads:** the background thread does not drop the
///   records it has delivered (freeing the allocations of every record took it about a third of
///   its time, and frees from another thread contend for the allocator with the threads that
///   allocate). It hands them back, and each later `record` call releases up to two of them after
///   unlocking the queue, as the verifying thread would have released its own record without
///   this sink. Records still handed back after the sink has been idle for 10 ms are released by
///   the background thread; so are those beyond `capacity` waiting to be released.
/// * **Failures:** errors from the inner sink and panics in it on the background thread are
///   counted in [`SinkLosses::failed`] ([`last_error`](Self::last_error) keeps the latest
///   message). A panic while encoding on the calling thread makes that `record` call return an
///   error.
/// * [`flush`](AuditSink::flush) returns once every record queued before the call has been handed
///   to the inner sink and the inner sink has been flushed; it returns the inner flush's result.
///   The inner sink is not flushed otherwise (except on drop).
/// * **Drop** stops accepting records, lets the thread deliver everything queued, flushes the
///   inner sink, joins the thread and releases every record it still holds.
///
/// [`losses`](AuditSink::losses) = records dropped here + background failures + the inner sink's
/// own losses.
///
/// Not available on `wasm32` targets.
pub struct NonBlocking<S: AuditSink + 'static> {
    shared: Arc<Shared<S>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared<S> {
    inner: S,
    /// `inner.encodes()`, asked once.
    encodes: bool,
    capacity: usize,
    overflow: Overflow,
    state: Mutex<State>,
    /// Wakes the background thread: records queued, a flush requested, or shutdown.
    work: Condvar,
    /// Wakes producers blocked on a full queue (and on a stopped thread).
    space: Condvar,
    /// Wakes callers of `flush` (and everyone when the thread stops).
    flushed: Condvar,
    dropped: AtomicU64,
    failed: AtomicU64,
}

struct State {
    /// Records queued, for a sink that does not encode.
    queue: Vec<Arc<AuditRecord>>,
    /// Encoded records queued, for a sink that encodes, and how many records they are.
    bytes: Vec<u8>,
    encoded: usize,
    /// Records the background thread has delivered, for `record` callers to release.
    spent: Vec<Arc<AuditRecord>>,
    /// The background thread waits on `work` and nobody has woken it yet.
    idle: bool,
    /// Producers waiting on `space`.
    blocked: usize,
    /// Flush tickets handed out and completed.
    flush_requested: u64,
    flush_done: u64,
    flush_result: Result<(), SinkError>,
    last_error: Option<SinkError>,
    /// `Drop` began: no more records are accepted.
    shutdown: bool,
    /// The background thread has exited.
    stopped: bool,
}

impl<S: AuditSink + 'static> NonBlocking<S> {
    /// Wraps `inner` behind a queue of `capacity` records (at least 1; 0 is treated as 1) with the
    /// given overflow policy, and starts the background thread.
    ///
    /// # Panics
    ///
    /// If the operating system cannot start a thread (as [`std::thread::spawn`]); see
    /// [`try_new`](Self::try_new).
    pub fn new(inner: S, capacity: usize, overflow: Overflow) -> Self {
        match Self::try_new(inner, capacity, overflow) {
            Ok(sink) => sink,
            Err(e) => panic!("failed to spawn the audit sink thread: {e}"),
        }
    }

    /// As [`new`](Self::new), returning the error if the thread cannot be started.
    pub fn try_new(inner: S, capacity: usize, overflow: Overflow) -> io::Result<Self> {
        let capacity = capacity.max(1);
        let encodes = inner.encodes();
        let shared = Arc::new(Shared {
            inner,
            encodes,
            capacity,
            overflow,
            state: Mutex::new(State {
                queue: Vec::new(),
                bytes: Vec::new(),
                encoded: 0,
                spent: Vec::new(),
                idle: false,
                blocked: 0,
                flush_requested: 0,
                flush_done: 0,
                flush_result: Ok(()),
                last_error: None,
                shutdown: false,
                stopped: false,
            }),
            work: Condvar::new(),
            space: Condvar::new(),
            flushed: Condvar::new(),
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        });
        let thread = std::thread::Builder::new()
            .name("jwt-audit-sink".to_string())
            .spawn({
                let shared = shared.clone();
                move || shared.run()
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// The wrapped sink.
    pub fn inner(&self) -> &S {
        &self.shared.inner
    }

    /// The queue's capacity in records.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// The overflow policy chosen at construction.
    pub fn overflow(&self) -> Overflow {
        self.shared.overflow
    }

    /// Records queued and not yet taken by the background thread.
    pub fn queued(&self) -> usize {
        self.shared.lock().len()
    }

    /// The latest error from the inner sink in the background thread (records or flush), if any.
    pub fn last_error(&self) -> Option<SinkError> {
        self.shared.lock().last_error.clone()
    }
}

fn stopped_error() -> SinkError {
    SinkError::new("non-blocking audit sink has stopped")
}

impl State {
    /// Records queued.
    fn len(&self) -> usize {
        self.queue.len() + self.encoded
    }

    /// Records queued, a flush requested, or shutdown.
    fn has_work(&self) -> bool {
        self.len() > 0 || self.flush_requested != self.flush_done || self.shutdown
    }
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding this lock; recover the state rather than propagate.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues one record with `push` once there is room (or drops it, per the overflow policy),
    /// then releases records handed back, unlocked.
    fn enqueue(&self, push: impl FnOnce(&mut State)) -> Result<(), SinkError> {
        let mut st = self.lock();
        loop {
            if st.shutdown || st.stopped {
                return Err(stopped_error());
            }
            if st.len() < self.capacity {
                break;
            }
            match self.overflow {
                Overflow::DropNewest => {
                    drop(st);
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Overflow::Block => {
                    st.blocked += 1;
                    st = self.space.wait(st).unwrap_or_else(|p| p.into_inner());
                    st.blocked -= 1;
                }
            }
        }
        push(&mut st);
        let release: [Option<Arc<AuditRecord>>; RELEASE_PER_CALL] =
            std::array::from_fn(|_| st.spent.pop());
        let wake = std::mem::take(&mut st.idle);
        drop(st);
        if wake {
            self.work.notify_one();
        }
        // Released unlocked: usually frees records this thread built (see the type's docs).
        drop(release);
        Ok(())
    }
}

impl<S: AuditSink> Shared<S> {
    /// Encodes `record` into this thread's buffer and queues the bytes.
    fn enqueue_encoded(&self, record: &AuditRecord) -> Result<(), SinkError> {
        let encode_and_queue = |buf: &mut Vec<u8>| {
            buf.clear();
            if catch_unwind(AssertUnwindSafe(|| self.inner.encode(record, buf))).is_err() {
                return Err(SinkError::new("audit sink panicked while encoding"));
            }
            let result = self.enqueue(|st| {
                st.bytes.extend_from_slice(buf);
                st.encoded += 1;
            });
            buf.clear();
            buf.shrink_to(KEEP_BYTES);
            result
        };
        // A nested call on this thread, or one after its thread-locals are gone, gets a buffer of
        // its own.
        ENCODE_BUF
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut buf) => encode_and_queue(&mut buf),
                Err(_) => encode_and_queue(&mut Vec::new()),
            })
            .unwrap_or_else(|_| encode_and_queue(&mut Vec::new()))
    }

    /// The background thread.
    fn run(&self) {
        /// Marks the thread stopped and wakes every waiter, however the thread ends.
        struct Stopped<'a, S>(&'a Shared<S>);
        impl<S> Drop for Stopped<'_, S> {
            fn drop(&mut self) {
                self.0.lock().stopped = true;
                self.0.space.notify_all();
                self.0.flushed.notify_all();
            }
        }
        let _stopped = Stopped(self);

        // Both always empty here, between turns: spare buffers to swap with the queue's.
        let mut batch: Vec<Arc<AuditRecord>> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let mut st = self.lock();
            if !st.has_work() {
                // Linger before going idle: records queued meanwhile wait for this timeout
                // instead of each waking the thread (a wake-up costs the verifying thread far
                // more than queueing). `flush` and drop always wake it.
                let linger = if self.encodes {
                    LINGER_ENCODED
                } else {
                    LINGER_RECORDS
                };
                st = self.wait(st, Some(linger)).0;
            }
            while !st.has_work() {
                st.idle = true;
                if st.spent.is_empty() {
                    st = self.wait(st, None).0;
                    continue;
                }
                let timed_out;
                (st, timed_out) = self.wait(st, Some(RELEASE_IDLE));
                if timed_out && !st.has_work() {
                    // Nobody came to release the handed-back records: release them here,
                    // unlocked. `idle` stays set, so a producer arriving meanwhile notifies (in
                    // vain) and the loop sees its record.
                    std::mem::swap(&mut st.spent, &mut batch);
                    drop(st);
                    batch.clear();
                    st = self.lock();
                }
            }
            st.idle = false;
            std::mem::swap(&mut st.queue, &mut batch);
            std::mem::swap(&mut st.bytes, &mut bytes);
            let encoded = std::mem::take(&mut st.encoded);
            let ticket = st.flush_requested;
            let flush = ticket != st.flush_done;
            let shutdown = st.shutdown;
            let wake_producers = st.blocked > 0;
            drop(st);
            if wake_producers {
                self.space.notify_all();
            }

            if encoded > 0 {
                self.deliver(encoded, || self.inner.write_encoded(&bytes, encoded));
                bytes.clear();
                bytes.shrink_to(KEEP_BYTES);
            }
            if !batch.is_empty() {
                self.deliver(batch.len(), || self.inner.record_batch(&batch));
                self.hand_back(&mut batch);
            }
            if flush || shutdown {
                let result = match catch_unwind(AssertUnwindSafe(|| self.inner.flush())) {
                    Ok(result) => result,
                    Err(_) => Err(SinkError::new("audit sink panicked while flushing")),
                };
                let mut st = self.lock();
                if let Err(e) = &result {
                    st.last_error = Some(e.clone());
                }
                st.flush_done = ticket;
                st.flush_result = result;
                drop(st);
                self.flushed.notify_all();
            }
            if shutdown {
                // `shutdown` was read under the lock that also took the queue, and no record is
                // accepted after it is set: everything has been delivered.
                return;
            }
        }
    }

    /// Waits on `work`, at most `timeout`; true if the wait timed out.
    fn wait<'a>(
        &self,
        st: MutexGuard<'a, State>,
        timeout: Option<Duration>,
    ) -> (MutexGuard<'a, State>, bool) {
        match timeout {
            None => (self.work.wait(st).unwrap_or_else(|p| p.into_inner()), false),
            Some(t) => {
                let (st, result) = self
                    .work
                    .wait_timeout(st, t)
                    .unwrap_or_else(|p| p.into_inner());
                (st, result.timed_out())
            }
        }
    }

    /// Gives the delivered `batch` to the producers to release (see `record`), or releases it here
    /// when `capacity` records are already waiting. Leaves `batch` empty.
    fn hand_back(&self, batch: &mut Vec<Arc<AuditRecord>>) {
        let mut st = self.lock();
        if st.spent.is_empty() {
            std::mem::swap(&mut st.spent, batch);
        } else if st.spent.len() + batch.len() <= self.capacity {
            st.spent.append(batch);
        }
        drop(st);
        batch.clear();
    }

    /// Hands `records` records to the inner sink with `write`, counting failures and panics.
    fn deliver(&self, records: usize, write: impl FnOnce() -> Result<(), BatchError>) {
        let error = match catch_unwind(AssertUnwindSafe(write)) {
            Ok(Ok(())) => return,
            Ok(Err(e)) => {
                self.failed
                    .fetch_add(e.failed.min(records) as u64, Ordering::Relaxed);
                e.error
            }
            Err(_) => {
                self.failed.fetch_add(records as u64, Ordering::Relaxed);
                SinkError::new("audit sink panicked")
            }
        };
        self.lock().last_error = Some(error);
    }
}

impl<S: AuditSink + 'static> AuditSink for NonBlocking<S> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        let shared = &*self.shared;
        if shared.encodes {
            shared.enqueue_encoded(record)
        } else {
            shared.enqueue(|st| st.queue.push(record.clone()))
        }
    }

    fn flush(&self) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if st.stopped {
            return Err(stopped_error());
        }
        st.flush_requested += 1;
        let ticket = st.flush_requested;
        // The thread may be lingering (not idle, not waiting for a notification to come back).
        st.idle = false;
        shared.work.notify_one();
        while st.flush_done < ticket && !st.stopped {
            st = shared.flushed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if st.flush_done >= ticket {
            st.flush_result.clone()
        } else {
            Err(stopped_error())
        }
    }

    fn losses(&self) -> SinkLosses {
        SinkLosses {
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            failed: self.shared.failed.load(Ordering::Relaxed),
        } + self.shared.inner.losses()
    }
}

impl<S: AuditSink + 'static> Drop for NonBlocking<S> {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl<S: AuditSink + fmt::Debug + 'static> fmt::Debug for NonBlocking<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("inner", &self.shared.inner)
            .field("capacity", &self.shared.capacity)
            .field("overflow", &self.shared.overflow)
            .field("losses", &self.losses())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testutil::{FailingSink, accepted, temp_path};
    use crate::sink::{BatchError, JsonLinesSink, MemorySink};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Holds the first batch until released; keeps the ids of everything it receives. With
    /// `encodes`, it takes encoded records (each record's id and a newline).
    struct Gate {
        encodes: bool,
        ids: Mutex<Vec<String>>,
        entered: Mutex<Option<mpsc::Sender<()>>>,
        release: Mutex<mpsc::Receiver<()>>,
        batches: AtomicU64,
    }

    impl Gate {
        fn new(encodes: bool) -> (Self, mpsc::Receiver<()>, mpsc::Sender<()>) {
            let (entered_tx, entered_rx) = mpsc::channel();
            let (release_tx, release_rx) = mpsc::channel();
            let gate = Gate {
                encodes,
                ids: Mutex::new(Vec::new()),
                entered: Mutex::new(Some(entered_tx)),
                release: Mutex::new(release_rx),
                batches: AtomicU64::new(0),
            };
            (gate, entered_rx, release_tx)
        }

        fn enter(&self) {
            self.batches.fetch_add(1, Ordering::Relaxed);
            if let Some(entered) = self.entered.lock().unwrap().take() {
                entered.send(()).unwrap();
                self.release.lock().unwrap().recv().unwrap();
            }
        }

        fn ids(&self) -> Vec<String> {
            self.ids.lock().unwrap().clone()
        }
    }

    impl AuditSink for Gate {
        fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
            self.ids.lock().unwrap().push(record.id.clone());
            Ok(())
        }
        fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
            self.enter();
            for r in records {
                self.record(r).unwrap();
            }
            Ok(())
        }
        fn encodes(&self) -> bool {
            self.encodes
        }
        fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
            out.extend_from_slice(record.id.as_bytes());
            out.push(b'\n');
        }
        fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
            self.enter();
            let text = std::str::from_utf8(bytes).unwrap();
            assert_eq!(text.lines().count(), records);
            let mut ids = self.ids.lock().unwrap();
            ids.extend(text.lines().map(str::to_string));
            Ok(())
        }
    }

    /// A writer appending to a shared buffer, sleeping before each write: a slow destination.
    #[derive(Clone, Default)]
    struct SharedBuf(Arc<Mutex<Vec<u8>>>, Duration);

    impl io::Write for SharedBuf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            std::thread::sleep(self.1);
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl SharedBuf {
        fn slow(delay: Duration) -> Self {
            Self(Arc::default(), delay)
        }
        /// The ids of the records written so far.
        fn ids(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap();
            std::str::from_utf8(&bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<AuditRecord>(l).unwrap().id)
                .collect()
        }
    }

    /// Sleeps per batch: a slow destination.
    struct Slow(MemorySink, Duration);

    impl AuditSink for Slow {
        fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
            std::thread::sleep(self.1);
            self.0.record(record)
        }
    }

    #[test]
    fn drop_newest_counts_exact_drops() {
        for encodes in [false, true] {
            let (gate, entered, release) = Gate::new(encodes);
            let sink = NonBlocking::new(gate, 4, Overflow::DropNewest);
            // The first record is taken by the thread, which then waits inside the inner sink.
            sink.record(&accepted(0)).unwrap();
            entered.recv().unwrap();
            for i in 1..=10 {
                sink.record(&accepted(i)).unwrap();
            }
            assert_eq!(sink.queued(), 4);
            assert_eq!(sink.losses().dropped, 6);
            release.send(()).unwrap();
            sink.flush().unwrap();
            assert_eq!(
                sink.inner().ids(),
                ["rec-0", "rec-1", "rec-2", "rec-3", "rec-4"]
            );
            assert_eq!(
                sink.losses(),
                SinkLosses {
                    dropped: 6,
                    failed: 0
                }
            );
            // The four queued records went over as one batch.
            assert_eq!(sink.inner().batches.load(Ordering::Relaxed), 2);
        }
    }

    /// The ids a sink delivered so far.
    type Delivered = Box<dyn Fn() -> Vec<String>>;

    /// A non-blocking sink in front of a slow destination, both ways: records (a memory sink
    /// sleeping `delay` per record) and encoded (JSON Lines to a writer sleeping `delay` per write).
    fn slow_sinks(
        delay: Duration,
        capacity: usize,
        overflow: Overflow,
    ) -> [(Arc<dyn AuditSink>, Delivered); 2] {
        let records = Arc::new(NonBlocking::new(
            Slow(MemorySink::new(), delay),
            capacity,
            overflow,
        ));
        let buf = SharedBuf::slow(delay);
        let lines = Arc::new(NonBlocking::new(
            JsonLinesSink::new(buf.clone()),
            capacity,
            overflow,
        ));
        assert!(!records.shared.encodes && lines.shared.encodes);
        [
            (records.clone(), Box::new(move || ids(&records.inner().0))),
            (lines, Box::new(move || buf.ids())),
        ]
    }

    fn ids(mem: &MemorySink) -> Vec<String> {
        mem.records().iter().map(|r| r.id.clone()).collect()
    }

    /// Sends records `t * 10_000 + i` for `i < per_thread` from each thread `t < threads`.
    fn send_from_threads(sink: &Arc<dyn AuditSink>, threads: u64, per_thread: u64) {
        let threads: Vec<_> = (0..threads)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        sink.record(&accepted(t * 10_000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn drop_newest_with_a_slow_sink_loses_exactly_sent_minus_delivered() {
        for (sink, delivered) in slow_sinks(Duration::from_micros(200), 16, Overflow::DropNewest) {
            send_from_threads(&sink, 3, 2000);
            sink.flush().unwrap();
            let delivered = delivered().len() as u64;
            let losses = sink.losses();
            assert!(losses.dropped > 0, "the slow sink should overflow");
            assert_eq!(losses.dropped, 6000 - delivered);
            assert_eq!(losses.failed, 0);
        }
    }

    #[test]
    fn block_loses_nothing_across_threads() {
        for (sink, delivered) in slow_sinks(Duration::from_micros(20), 8, Overflow::Block) {
            send_from_threads(&sink, 4, 1000);
            sink.flush().unwrap();
            let ids = delivered();
            assert_eq!(ids.len(), 4000);
            assert_eq!(sink.losses(), SinkLosses::default());
            // Each thread's records arrive in the order it sent them.
            for t in 0..4u64 {
                let seq: Vec<u64> = ids
                    .iter()
                    .filter_map(|id| id.strip_prefix("rec-")?.parse().ok())
                    .filter(|n| n / 10_000 == t)
                    .collect();
                assert_eq!(seq, (0..1000).map(|i| t * 10_000 + i).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn flush_waits_for_everything_queued_before_it() {
        for (sink, delivered) in slow_sinks(Duration::ZERO, 100_000, Overflow::Block) {
            for round in 1..=5u64 {
                for i in 0..2_000 {
                    sink.record(&accepted(i)).unwrap();
                }
                sink.flush().unwrap();
                assert_eq!(delivered().len() as u64, round * 2_000);
            }
            // A flush with nothing queued still flushes and returns.
            sink.flush().unwrap();
        }
    }

    /// JSON Lines, noting which threads encode and write.
    struct Spy {
        lines: JsonLinesSink<SharedBuf>,
        encoders: Mutex<Vec<std::thread::ThreadId>>,
        writers: Mutex<Vec<Option<String>>>,
    }

    impl AuditSink for Spy {
        fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
            unreachable!("an encoding sink gets bytes")
        }
        fn encodes(&self) -> bool {
            self.lines.encodes()
        }
        fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
            self.encoders
                .lock()
                .unwrap()
                .push(std::thread::current().id());
            self.lines.encode(record, out);
        }
        fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
            let name = std::thread::current().name().map(str::to_string);
            self.writers.lock().unwrap().push(name);
            self.lines.write_encoded(bytes, records)
        }
    }

    #[test]
    fn an_encoding_sink_encodes_on_the_calling_thread_and_keeps_no_record() {
        let buf = SharedBuf::default();
        let spy = Spy {
            lines: JsonLinesSink::new(buf.clone()),
            encoders: Mutex::default(),
            writers: Mutex::default(),
        };
        let sink = NonBlocking::new(spy, 64, Overflow::Block);
        let records: Vec<_> = (0..50).map(accepted).collect();
        for r in &records {
            sink.record(r).unwrap();
            assert_eq!(
                Arc::strong_count(r),
                1,
                "nothing holds the record once queued"
            );
        }
        sink.flush().unwrap();
        let expected: String = records.iter().map(|r| r.to_json() + "\n").collect();
        assert_eq!(*buf.0.lock().unwrap(), expected.into_bytes());
        let me = std::thread::current().id();
        assert!(
            sink.inner()
                .encoders
                .lock()
                .unwrap()
                .iter()
                .all(|t| *t == me)
        );
        let writers = sink.inner().writers.lock().unwrap().clone();
        assert!(!writers.is_empty() && writers.len() < 50, "{writers:?}");
        assert!(
            writers
                .iter()
                .all(|w| w.as_deref() == Some("jwt-audit-sink"))
        );
    }

    #[test]
    fn a_panic_while_encoding_fails_only_that_call() {
        struct PanicsOnOdd(Gate);
        impl AuditSink for PanicsOnOdd {
            fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
                unreachable!("an encoding sink gets bytes")
            }
            fn encodes(&self) -> bool {
                true
            }
            fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
                assert!(!record.id.ends_with(['1', '3']), "boom");
                self.0.encode(record, out);
            }
            fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
                self.0.write_encoded(bytes, records)
            }
        }
        let (gate, _entered, release) = Gate::new(true);
        release.send(()).unwrap();
        let sink = NonBlocking::new(PanicsOnOdd(gate), 8, Overflow::Block);
        for i in 0..5 {
            let result = sink.record(&accepted(i));
            if i % 2 == 1 {
                assert_eq!(
                    result,
                    Err(SinkError::new("audit sink panicked while encoding"))
                );
            } else {
                result.unwrap();
            }
        }
        sink.flush().unwrap();
        assert_eq!(sink.inner().0.ids(), ["rec-0", "rec-2", "rec-4"]);
        assert_eq!(sink.losses(), SinkLosses::default());
    }

    #[test]
    fn failures_writing_encoded_records_are_counted_exactly() {
        /// Accepts `left` bytes in total, then fails; panics once `panic` is set.
        struct Failing {
            left: usize,
            panic: Arc<std::sync::atomic::AtomicBool>,
        }
        impl io::Write for Failing {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                assert!(!self.panic.load(Ordering::Relaxed), "boom");
                match self.left.min(b.len()) {
                    0 => Err(io::Error::other("disk full")),
                    n => {
                        self.left -= n;
                        Ok(n)
                    }
                }
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let line = accepted(0).to_json().len() + 1;
        let panic = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = Failing {
            left: 2 * line + line / 2,
            panic: panic.clone(),
        };
        let sink = NonBlocking::new(JsonLinesSink::new(writer), 16, Overflow::Block);
        for i in 0..10 {
            sink.record(&accepted(i)).unwrap();
        }
        sink.flush().unwrap();
        // Two complete lines and half of the third were written.
        assert_eq!(sink.losses().failed, 8);
        assert_eq!(sink.last_error(), Some(SinkError::new("disk full")));
        panic.store(true, Ordering::Relaxed);
        for i in 10..15 {
            sink.record(&accepted(i)).unwrap();
        }
        sink.flush().unwrap();
        assert_eq!(sink.losses().failed, 13);
        assert_eq!(
            sink.last_error(),
            Some(SinkError::new("audit sink panicked"))
        );
    }

    #[test]
    fn flush_flushes_the_inner_sink_and_reports_its_error() {
        let sink = NonBlocking::new(FailingSink::default(), 8, Overflow::Block);
        let err = sink.flush().unwrap_err();
        assert_eq!(err, SinkError::new("failing sink flush"));
        assert_eq!(sink.last_error(), Some(err));
    }

    #[test]
    fn drop_delivers_everything_to_a_file() {
        let path = temp_path("nonblocking-drop");
        let n = 20_000;
        {
            let sink = NonBlocking::new(JsonLinesSink::file(&path).unwrap(), 1024, Overflow::Block);
            for i in 0..n {
                sink.record(&accepted(i)).unwrap();
            }
            // No flush: dropping must deliver.
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(text.ends_with('\n'));
        let ids: Vec<String> = text
            .lines()
            .map(|l| {
                let r: AuditRecord = serde_json::from_str(l).unwrap();
                r.id
            })
            .collect();
        assert_eq!(ids.len() as u64, n);
        assert!(ids.iter().zip(0..).all(|(id, i)| *id == format!("rec-{i}")));
    }

    #[test]
    fn background_failures_are_counted_with_inner_losses() {
        let inner = FailingSink {
            losses: SinkLosses {
                dropped: 1,
                failed: 2,
            },
            ..Default::default()
        };
        let sink = NonBlocking::new(inner, 4, Overflow::Block);
        for i in 0..50 {
            sink.record(&accepted(i)).unwrap();
        }
        assert!(sink.flush().is_err());
        assert_eq!(
            sink.losses(),
            SinkLosses {
                dropped: 1,
                failed: 52
            }
        );
        assert_eq!(sink.inner().calls.load(Ordering::Relaxed), 50);
        assert!(sink.last_error().is_some());
    }

    #[test]
    fn a_panicking_sink_is_counted_and_the_thread_survives() {
        struct PanicsOnOdd(MemorySink);
        impl AuditSink for PanicsOnOdd {
            fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
                assert!(!record.id.ends_with(['1', '3']), "boom");
                self.0.record(record)
            }
        }
        let sink = NonBlocking::new(PanicsOnOdd(MemorySink::new()), 1, Overflow::Block);
        for i in 0..4 {
            sink.record(&accepted(i)).unwrap();
            sink.flush().unwrap();
        }
        assert_eq!(sink.losses().failed, 2);
        assert_eq!(sink.inner().0.records().len(), 2);
        assert_eq!(
            sink.last_error(),
            Some(SinkError::new("audit sink panicked"))
        );
    }

    #[test]
    fn zero_capacity_means_one() {
        let sink = NonBlocking::new(MemorySink::new(), 0, Overflow::DropNewest);
        assert_eq!(sink.capacity(), 1);
        assert_eq!(sink.overflow(), Overflow::DropNewest);
        sink.record(&accepted(1)).unwrap();
        sink.flush().unwrap();
        assert_eq!(
            sink.inner().records().len() as u64 + sink.losses().dropped,
            1
        );
    }

    #[test]
    fn callers_on_many_threads_with_flushes_interleaved() {
        let sink = Arc::new(NonBlocking::new(MemorySink::new(), 64, Overflow::Block));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        sink.record(&accepted(t * 10_000 + i)).unwrap();
                        if i % 100 == 0 {
                            sink.flush().unwrap();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        sink.flush().unwrap();
        assert_eq!(sink.inner().records().len(), 2000);
    }

    #[test]
    fn delivered_records_are_released_by_later_calls() {
        let sink = NonBlocking::new(MemorySink::new(), 8, Overflow::Block);
        let first = accepted(1);
        sink.record(&first).unwrap();
        sink.flush().unwrap();
        // Delivered (the memory sink keeps its own reference) and handed back, not yet released.
        assert_eq!(Arc::strong_count(&first), 3);
        sink.record(&accepted(2)).unwrap();
        assert_eq!(Arc::strong_count(&first), 2, "the next call released it");
        sink.flush().unwrap();
        assert_eq!(sink.inner().records().len(), 2);
    }

    #[test]
    fn handed_back_records_are_released_when_the_sink_is_idle() {
        let sink = NonBlocking::new(Slow(MemorySink::new(), Duration::ZERO), 8, Overflow::Block);
        let records: Vec<_> = (0..5).map(accepted).collect();
        for r in &records {
            sink.record(r).unwrap();
        }
        sink.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while records.iter().any(|r| Arc::strong_count(r) > 2) {
            assert!(Instant::now() < deadline, "never released");
            std::thread::sleep(RELEASE_IDLE);
        }
        assert!(sink.shared.lock().spent.is_empty());
        // The sink still works after releasing.
        sink.record(&accepted(6)).unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.inner().0.records().len(), 6);
    }

    #[test]
    fn at_most_capacity_records_wait_to_be_released() {
        let sink = NonBlocking::new(MemorySinkless, 4, Overflow::Block);
        let shared = &sink.shared;
        let records: Vec<_> = (0..7).map(accepted).collect();
        let mut batch = records[..3].to_vec();
        shared.hand_back(&mut batch);
        assert!(batch.is_empty());
        assert_eq!(shared.lock().spent.len(), 3);
        // 3 + 1 fits; 4 + 3 does not: those are released at once.
        batch.push(records[3].clone());
        shared.hand_back(&mut batch);
        batch.extend_from_slice(&records[4..]);
        shared.hand_back(&mut batch);
        assert!(batch.is_empty());
        assert_eq!(shared.lock().spent.len(), 4);
        assert!(records[..4].iter().all(|r| Arc::strong_count(r) == 2));
        assert!(records[4..].iter().all(|r| Arc::strong_count(r) == 1));
    }

    #[test]
    fn drop_releases_every_record() {
        let records: Vec<_> = (0..100).map(accepted).collect();
        {
            let sink = NonBlocking::new(MemorySinkless, 16, Overflow::Block);
            for r in &records {
                sink.record(r).unwrap();
            }
        }
        assert!(records.iter().all(|r| Arc::strong_count(r) == 1));
    }

    /// Throughput and caller cost; run with
    /// `cargo test --release -p jwt-audit --lib sink::nonblocking -- --ignored --nocapture`.
    #[test]
    #[ignore = "benchmark"]
    fn bench_jsonl_file_throughput() {
        let path = temp_path("nonblocking-bench");
        let n: u64 = 2_000_000;
        let records: Vec<_> = (0..1000).map(accepted).collect();
        let cycle: u64 = records.iter().map(|r| r.to_json().len() as u64 + 1).sum();
        let line = cycle / 1000;
        let sink = NonBlocking::new(JsonLinesSink::file(&path).unwrap(), 65_536, Overflow::Block);
        let start = Instant::now();
        for i in 0..n {
            sink.record(&records[(i % 1000) as usize]).unwrap();
        }
        let caller = start.elapsed();
        sink.flush().unwrap();
        let total = start.elapsed();
        drop(sink);
        let size = std::fs::metadata(&path).unwrap().len();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(size, n / 1000 * cycle);
        println!(
            "{n} records of {line} B: caller {:.3} us/record, end to end {:.2} M records/s",
            caller.as_secs_f64() * 1e6 / n as f64,
            n as f64 / total.as_secs_f64() / 1e6
        );
        // Serialisation alone, for reference.
        let mut buf = Vec::with_capacity(1 << 20);
        let start = Instant::now();
        for i in 0..n {
            buf.clear();
            records[(i % 1000) as usize].write_json_line(&mut buf);
        }
        println!(
            "serialisation alone: {:.3} us/record",
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        // Caller cost with DropNewest while the writer is saturated (never waits).
        let sink = NonBlocking::new(
            JsonLinesSink::file(&path).unwrap(),
            65_536,
            Overflow::DropNewest,
        );
        let start = Instant::now();
        for i in 0..n {
            sink.record(&records[(i % 1000) as usize]).unwrap();
        }
        let caller = start.elapsed();
        sink.flush().unwrap();
        println!(
            "caller cost, DropNewest into the busy file writer: {:.3} us/record (dropped {})",
            caller.as_secs_f64() * 1e6 / n as f64,
            sink.losses().dropped
        );
        drop(sink);
        std::fs::remove_file(&path).unwrap();
        // Caller cost into a no-op sink (the queue's own overhead).
        let sink = NonBlocking::new(MemorySinkless, 65_536, Overflow::DropNewest);
        let start = Instant::now();
        for i in 0..n {
            sink.record(&records[(i % 1000) as usize]).unwrap();
        }
        println!(
            "caller cost into a no-op sink: {:.3} us/record (dropped {})",
            start.elapsed().as_secs_f64() * 1e6 / n as f64,
            sink.losses().dropped
        );
    }

    struct MemorySinkless;
    impl AuditSink for MemorySinkless {
        fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
            Ok(())
        }
    }
}
