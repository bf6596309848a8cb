//! The `sink` option: records go to a JavaScript function or to `console.log`, one JSON line each.

use crate::errors;
use crate::handoff;
use js_sys::{Function, Promise, Reflect};
use jwt_audit::AuditRecord;
use jwt_audit::sink::{AuditSink, SinkError, SinkLosses};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Where a [`JsSink`] writes.
enum Target {
    /// `sink: record => …`: called with the record as an object; may return a Promise.
    Function(Function),
    /// `sink: console` (or any object with a `log` method), or `"stdout"`: `log(jsonLine)`.
    Log { this: JsValue, log: Function },
}

/// Promises returned by an async sink function, and how many of them rejected.
pub(crate) struct Deliveries {
    /// The promises of the record being emitted right now (emission is synchronous, so these
    /// belong to the current verification); taken by [`Deliveries::take`].
    current: RefCell<Vec<Promise>>,
    failed: Rc<Cell<u64>>,
    /// Counts a rejection; one closure for the sink's lifetime.
    on_reject: Closure<dyn FnMut(JsValue)>,
}

impl Deliveries {
    fn new() -> Self {
        let failed = Rc::new(Cell::new(0));
        let count = failed.clone();
        Self {
            current: RefCell::new(Vec::new()),
            failed,
            on_reject: Closure::new(move |_: JsValue| count.set(count.get() + 1)),
        }
    }

    /// The delivery of the record just emitted, if the sink returned a Promise: it always
    /// fulfils (a rejection is counted in `stats().records_failed`).
    pub(crate) fn take(&self) -> Option<Promise> {
        let mut current = self.current.borrow_mut();
        match current.len() {
            0 => None,
            1 => current.pop(),
            _ => Some(Promise::all(&current.drain(..).collect::<js_sys::Array>())),
        }
    }
}

/// An [`AuditSink`] over a JavaScript function or console.
pub(crate) struct JsSink {
    target: Target,
    deliveries: Rc<Deliveries>,
}

// SAFETY: JavaScript values never cross threads here: the module is built without `atomics`
// (enforced in lib.rs), so there is exactly one thread. The core only requires `Send + Sync`
// because native sinks may be shared across threads.
unsafe impl Send for JsSink {}
unsafe impl Sync for JsSink {}

impl JsSink {
    /// Builds the sink the `sink` option names; `None` when it is absent.
    pub(crate) fn from_option(spec: &JsValue) -> Result<Option<(Self, Rc<Deliveries>)>, JsValue> {
        let target = if spec.is_undefined() || spec.is_null() {
            return Ok(None);
        } else if let Some(f) = spec.dyn_ref::<Function>() {
            Target::Function(f.clone())
        } else if spec.as_string().as_deref() == Some("stdout") {
            let console = Reflect::get(&js_sys::global(), &"console".into())?;
            Self::log_target(&console).ok_or_else(|| {
                errors::config_option("sink", "\"stdout\" needs a global `console`")
            })?
        } else if let Some(t) = Self::log_target(spec) {
            t
        } else if spec.is_object() && Reflect::has(spec, &"file".into()).unwrap_or(false) {
            return Err(errors::config_option(
                "sink.file",
                "files are not available to WebAssembly hosts; pass a function",
            ));
        } else {
            return Err(errors::config_option(
                "sink",
                "must be a function, `console` (or any object with a `log` method) or \"stdout\"",
            ));
        };
        let deliveries = Rc::new(Deliveries::new());
        Ok(Some((
            Self {
                target,
                deliveries: deliveries.clone(),
            },
            deliveries,
        )))
    }

    fn log_target(obj: &JsValue) -> Option<Target> {
        if !obj.is_object() {
            return None;
        }
        let log = Reflect::get(obj, &"log".into())
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        Some(Target::Log {
            this: obj.clone(),
            log,
        })
    }
}

impl AuditSink for JsSink {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        match &self.target {
            Target::Log { this, log } => log
                .call1(this, &JsValue::from_str(&record.to_json()))
                .map(drop)
                .map_err(|_| SinkError::new("the sink's log method threw")),
            Target::Function(f) => {
                let ret = f
                    .call1(&JsValue::UNDEFINED, &handoff::record(record))
                    .map_err(|_| SinkError::new("the sink function threw"))?;
                if is_thenable(&ret) {
                    let d = &self.deliveries;
                    let settled = Promise::resolve(&ret).catch(&d.on_reject);
                    d.current.borrow_mut().push(settled);
                }
                Ok(())
            }
        }
    }

    fn losses(&self) -> SinkLosses {
        SinkLosses {
            dropped: 0,
            failed: self.deliveries.failed.get(),
        }
    }
}

fn is_thenable(v: &JsValue) -> bool {
    v.is_object()
        && Reflect::get(v, &"then".into())
            .map(|t| t.is_function())
            .unwrap_or(false)
}
