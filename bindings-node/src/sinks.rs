//! JavaScript function sinks.
//!
//! Core hands every record to its sinks from inside `Verifier::verify`, on the thread that runs
//! the verification. JS functions may only be called on the JS thread, so a [`JsSink`] calls its
//! function directly when the verification runs inside a synchronous binding call (the binding
//! marks that with [`OnJsThread`]) — the sink's verdict then reaches core in time, so
//! `stats().sink_errors` and fail-closed auditing see it. `verifyAsync` runs the verification on
//! the libuv pool: there the sink only queues the record ([`take_deferred`]) and the binding
//! delivers it on the JS thread when the promise settles, counting failures itself.

use jwt_audit::AuditRecord;
use jwt_audit::sink::{AuditSink, SinkError};
use napi::bindgen_prelude::FunctionRef;
use napi::threadsafe_function::UnknownReturnValue;
use napi::{Env, sys};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A JS sink: the binding's JS layer passes `(json) => userSink(JSON.parse(json))`.
pub type SinkFunction = FunctionRef<String, UnknownReturnValue>;

thread_local! {
    /// The JS environment of the synchronous binding call running on this thread, if any.
    static JS_ENV: Cell<Option<sys::napi_env>> = const { Cell::new(None) };
    /// Records queued by sinks while verifying off the JS thread: (sink index, record).
    static DEFERRED: RefCell<Vec<(usize, Arc<AuditRecord>)>> = const { RefCell::new(Vec::new()) };
}

/// Marks the current thread as the JS thread of `env` until dropped (nests).
pub struct OnJsThread(Option<sys::napi_env>);

impl OnJsThread {
    pub fn enter(env: &Env) -> Self {
        Self(JS_ENV.replace(Some(env.raw())))
    }
}

impl Drop for OnJsThread {
    fn drop(&mut self) {
        JS_ENV.set(self.0);
    }
}

/// Takes the records queued on this thread by [`JsSink`]s.
pub fn take_deferred() -> Vec<(usize, Arc<AuditRecord>)> {
    DEFERRED.take()
}

/// The JS functions of one verifier, and the failures of deliveries made after `verify` returned.
pub struct JsFunctions {
    functions: Vec<SinkFunction>,
    late_failures: AtomicU64,
}

// SAFETY: a `FunctionRef` is only dereferenced (`borrow_back`) through `call`, which is reached
// only on the JS thread: either under `OnJsThread` or from `deliver` in a task's `resolve`. It is
// dropped with the verifier, which napi finalises on the JS thread (async tasks holding a clone
// are dropped in their completion callback, also on the JS thread).
unsafe impl Send for JsFunctions {}
unsafe impl Sync for JsFunctions {}

impl JsFunctions {
    pub fn new(functions: Vec<SinkFunction>) -> Arc<Self> {
        Arc::new(Self {
            functions,
            late_failures: AtomicU64::new(0),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// One core sink per JS function, so that core counts every failing function.
    pub fn sinks(self: &Arc<Self>) -> impl Iterator<Item = JsSink> + '_ {
        (0..self.functions.len()).map(|index| JsSink {
            functions: self.clone(),
            index,
        })
    }

    fn call(&self, env: &Env, index: usize, record: &AuditRecord) -> Result<(), SinkError> {
        self.functions[index]
            .borrow_back(env)
            .and_then(|f| f.call(record.to_json()))
            .map(|_| ())
            // The exception is cleared by napi; its text is not kept (it may quote the record).
            .map_err(|_| SinkError::new("the JavaScript sink function threw"))
    }

    /// Delivers records queued off the JS thread; failures are counted in [`Self::late_failures`].
    pub fn deliver(&self, env: &Env, deferred: Vec<(usize, Arc<AuditRecord>)>) {
        for (index, record) in deferred {
            if self.call(env, index, &record).is_err() {
                self.late_failures.fetch_add(1, Relaxed);
            }
        }
    }

    /// Sink failures core could not see (deliveries after `verifyAsync`'s verification).
    pub fn late_failures(&self) -> u64 {
        self.late_failures.load(Relaxed)
    }
}

/// The core sink for one JS function.
pub struct JsSink {
    functions: Arc<JsFunctions>,
    index: usize,
}

impl AuditSink for JsSink {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        match JS_ENV.get() {
            Some(raw) => self.functions.call(&Env::from_raw(raw), self.index, record),
            None => {
                DEFERRED.with_borrow_mut(|d| d.push((self.index, record.clone())));
                Ok(())
            }
        }
    }
}
