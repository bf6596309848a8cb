//! JavaScript function sinks.
//!
//! Core hands every record to its sinks from inside `Verifier::verify`, on the thread that runs
//! the verification. JS functions may only be called on the JS thread, so a [`JsSink`] calls its
//! function directly when the verification runs inside a synchronous binding call (the binding
//! marks that with [`OnJsThread`]) — the sink's verdict then reaches core in time, so
//! `stats().sink_errors` and fail-closed auditing see it. `verifyAsync` runs the verification on
//! the libuv pool: there the sink only queues the record ([`take_deferred`]) and the binding
//! delivers it on the JS thread when the promise settles, counting failures itself.

use crate::to_js::{self, JsFunction, Strings};
use jwt_audit::sink::{AuditSink, SinkError};
use jwt_audit::{AuditRecord, Verification};
use napi::{Env, Result, sys};
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

/// The JS side of one verifier: its sink functions (each called with a record's text, its tape in
/// the verifier's JS state: see `to_js`), the factory that makes a JS `Verification` from a
/// verification's text (for `verifyAsync`), the JS state, and the failures of sink deliveries
/// made after `verify` returned.
pub struct JsFunctions {
    functions: Vec<JsFunction>,
    factory: JsFunction,
    strings: Strings,
    late_failures: AtomicU64,
}

// SAFETY: the JS references held here (`FunctionRef`s, `Strings`) are only used on the JS
// thread: sinks through `call`, reached either under `OnJsThread` or from `deliver` in a task's
// `resolve`; the factory and the strings by synchronous binding calls and by a task's `resolve`.
// They are dropped with the verifier, which napi finalises on the JS thread (async tasks and
// native verifications holding a clone are dropped in their completion callback or finaliser,
// also on the JS thread).
unsafe impl Send for JsFunctions {}
unsafe impl Sync for JsFunctions {}

impl JsFunctions {
    pub fn new(
        env: &Env,
        functions: Vec<JsFunction>,
        factory: JsFunction,
        state: sys::napi_value,
        inherited: Vec<String>,
    ) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            functions,
            factory,
            strings: Strings::new(env, state, inherited)?,
            late_failures: AtomicU64::new(0),
        }))
    }

    /// The text of verification `v`, its tape in the JS state (on the JS thread).
    pub fn verification(&self, env: &Env, v: &Verification) -> Result<sys::napi_value> {
        to_js::verification(env, &self.strings, v)
    }

    /// The JS `Verification` of `v`, made by the factory (on the JS thread).
    pub fn verification_object(&self, env: &Env, v: &Verification) -> Result<sys::napi_value> {
        let text = self.verification(env, v)?;
        to_js::call(env, &self.factory, &[text])
    }

    /// The text of record `r`, its tape in the JS state (on the JS thread).
    pub fn record(&self, env: &Env, r: &AuditRecord) -> Result<sys::napi_value> {
        to_js::record(env, &self.strings, r)
    }

    /// The text of the claims of an accepted `v` (else of `null`), its tape in the JS state (on
    /// the JS thread).
    pub fn claims(&self, env: &Env, v: &Verification) -> Result<sys::napi_value> {
        to_js::claims(env, &self.strings, v)
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

    fn call(
        &self,
        env: &Env,
        index: usize,
        record: &AuditRecord,
    ) -> std::result::Result<(), SinkError> {
        self.record(env, record)
            .and_then(|text| to_js::call(env, &self.functions[index], &[text]))
            .map(|_| ())
            .map_err(|_| {
                // The exception's text is not kept (it may quote the record).
                to_js::clear_exception(env);
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
    fn record(&self, record: &Arc<AuditRecord>) -> std::result::Result<(), SinkError> {
        match JS_ENV.get() {
            Some(raw) => self.functions.call(&Env::from_raw(raw), self.index, record),
            None => {
                DEFERRED.with_borrow_mut(|d| d.push((self.index, record.clone())));
                Ok(())
            }
        }
    }
}
