//! JavaScript function sinks.
//!
//! Core hands every record to its sinks from inside `Verifier::verify`, on the thread that runs
//! the verification. JS functions may only be called on the JS thread, so a [`JsSink`] calls its
//! function directly when the verification runs inside a synchronous binding call (the binding
//! marks that with [`OnJsThread`]) — the sink's verdict then reaches core in time, so
//! `stats().sink_errors` and fail-closed auditing see it. `verifyAsync` runs the verification on
//! the libuv pool: there the sink only queues the record ([`take_deferred`]) and the binding
//! delivers it on the JS thread when the promise settles, counting failures itself.

use crate::to_js::{Js, JsFunction};
use jwt_audit::AuditRecord;
use jwt_audit::sink::{AuditSink, SinkError};
use napi::{Env, sys};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

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

/// The JS functions of one verifier — its sink functions (each called with a record object) and
/// the factory that makes JS results (`fromNative` in `index.js`, see `to_js`) — and the failures
/// of sink deliveries made after `verify` returned.
pub struct JsFunctions {
    functions: Vec<JsFunction>,
    factory: JsFunction,
    late_failures: AtomicU64,
}

// SAFETY: the `FunctionRef`s are only dereferenced (`borrow_back`) on the JS thread: sinks through
// `call`, reached either under `OnJsThread` or from `deliver` in a task's `resolve`; the factory
// by synchronous binding calls and by a task's `resolve`. They are
// dropped with the verifier, which napi finalises on the JS thread (async tasks holding a clone
// are dropped in their completion callback, also on the JS thread).
unsafe impl Send for JsFunctions {}
unsafe impl Sync for JsFunctions {}

impl JsFunctions {
    pub fn new(functions: Vec<JsFunction>, factory: JsFunction) -> Arc<Self> {
        Arc::new(Self {
            functions,
            factory,
            late_failures: AtomicU64::new(0),
        })
    }

    /// The factory of JS results (only called on the JS thread).
    pub fn factory(&self) -> &JsFunction {
        &self.factory
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
        let js = Js::new(env);
        js.record(&self.factory, record)
            .and_then(|record| js.call(&self.functions[index], &[record]))
            .map(|_| ())
            .map_err(|_| {
                // The exception's text is not kept (it may quote the record).
                js.clear_exception();
                SinkError::new("the JavaScript sink function threw")
            })
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
