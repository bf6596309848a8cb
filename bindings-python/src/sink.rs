//! Python sinks: a callable taking the record dict, or a `logging.Logger`. They run on the
//! verifying thread and take the GIL for the call; an exception is counted (`stats()`), never
//! propagated into the verification (except `KeyboardInterrupt`/`SystemExit`, re-raised after it).

use crate::convert::{config_value, type_name};
use crate::pyser;
use jwt_audit::sink::{AuditSink, SinkError, builtin_sink};
use jwt_audit::{AuditRecord, ConfigError, Severity};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    /// A `BaseException` that is not an `Exception` (Ctrl-C, `sys.exit`) raised by a sink on
    /// this thread: re-raised once the verification returns.
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// The interrupt a sink raised during the last call on this thread, if any.
pub fn take_pending() -> Option<PyErr> {
    PENDING.with(|p| p.borrow_mut().take())
}

enum Target {
    Callable(Py<PyAny>),
    Logger(Py<PyAny>),
}

/// A Python callable or `logging.Logger` as an [`AuditSink`].
pub struct PySink {
    target: Target,
    /// The verifier's Python strings and templates.
    cache: Arc<pyser::Cache>,
    /// The first failure is reported on the `jwt_audit` logger; later ones are only counted.
    reported: AtomicBool,
}

/// `logging` level for a record: rejections are warnings, serious ones errors.
fn level(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 20,
        Severity::Low | Severity::Medium => 30,
        Severity::High => 40,
        Severity::Critical => 50,
    }
}

impl PySink {
    fn deliver(&self, py: Python<'_>, record: &AuditRecord) -> PyResult<()> {
        match &self.target {
            Target::Callable(f) => {
                f.bind(py)
                    .call1((pyser::record_to_py(py, record, &self.cache)?,))?;
            }
            Target::Logger(logger) => {
                let logger = logger.bind(py);
                let level = level(record.severity);
                if logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                    let kwargs = PyDict::new(py);
                    kwargs.set_item("extra", pyser::record_to_py(py, record, &self.cache)?)?;
                    logger.call_method("log", (level, record.to_json()), Some(&kwargs))?;
                }
            }
        }
        Ok(())
    }

    fn failed(&self, py: Python<'_>, err: PyErr) -> SinkError {
        let name = err
            .get_type(py)
            .qualname()
            .map_or_else(|_| "exception".to_string(), |n| n.to_string());
        let message = format!("Python audit sink raised {name}");
        if !err.is_instance_of::<PyException>(py) {
            PENDING.with(|p| {
                p.borrow_mut().get_or_insert(err);
            });
        } else if !self.reported.swap(true, Ordering::Relaxed) {
            // Best effort: a broken logging setup must not break verification either.
            let _ = (|| -> PyResult<()> {
                let log = py
                    .import("logging")?
                    .call_method1("getLogger", ("jwt_audit",))?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("exc_info", err.value(py))?;
                log.call_method(
                    "error",
                    (format!(
                        "{message}; further failures are only counted in stats()"
                    ),),
                    Some(&kwargs),
                )?;
                Ok(())
            })();
        }
        SinkError::new(message)
    }
}

impl AuditSink for PySink {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        Python::attach(|py| self.deliver(py, record).map_err(|e| self.failed(py, e)))
    }
}

/// Builds the sinks a `sink=` option names: a callable, a `logging.Logger`, `"stdout"`,
/// `{"file": path}`, or a list of these. Sets `writes` when one of them writes to a file or
/// stream itself (a system call that may block).
pub fn sinks(
    spec: &Bound<'_, PyAny>,
    option: &str,
    cache: &Arc<pyser::Cache>,
    writes: &mut bool,
) -> Result<Vec<Arc<dyn AuditSink>>, ConfigError> {
    let py = spec.py();
    let err = |message: String| ConfigError {
        option: option.to_string(),
        message,
    };
    if spec.is_none() {
        return Ok(Vec::new());
    }
    if spec.is_instance_of::<PyList>() || spec.is_instance_of::<PyTuple>() {
        let mut all = Vec::new();
        for (i, item) in spec.try_iter().map_err(|e| err(e.to_string()))?.enumerate() {
            let item = item.map_err(|e| err(e.to_string()))?;
            all.extend(sinks(&item, &format!("{option}[{i}]"), cache, writes)?);
        }
        return Ok(all);
    }
    let py_sink = |target| -> Vec<Arc<dyn AuditSink>> {
        vec![Arc::new(PySink {
            target,
            cache: cache.clone(),
            reported: AtomicBool::new(false),
        })]
    };
    let is_logger = py
        .import("logging")
        .and_then(|m| m.getattr("Logger"))
        .and_then(|cls| spec.is_instance(&cls))
        .map_err(|e| err(e.to_string()))?;
    if is_logger {
        return Ok(py_sink(Target::Logger(spec.clone().unbind())));
    }
    if spec.is_callable() {
        let is_async = py
            .import("inspect")
            .and_then(|m| m.call_method1("iscoroutinefunction", (spec,)))
            .and_then(|r| r.is_truthy())
            .map_err(|e| err(e.to_string()))?;
        if is_async {
            return Err(err(
                "async functions cannot be sinks (records are delivered synchronously); \
                 use a plain function that hands the record to a queue"
                    .into(),
            ));
        }
        return Ok(py_sink(Target::Callable(spec.clone().unbind())));
    }
    let spec_value = if let Ok(d) = spec.cast::<PyDict>() {
        // `{"file": pathlib.Path(...)}` is accepted as well as a str path.
        let d = d.copy().map_err(|e| err(e.to_string()))?;
        if let Ok(Some(file)) = d.get_item("file") {
            if !file.is_instance_of::<PyString>() {
                let os = py.import("os").map_err(|e| err(e.to_string()))?;
                if let Ok(path) = os.call_method1("fspath", (&file,)) {
                    d.set_item("file", path).map_err(|e| err(e.to_string()))?;
                }
            }
        }
        config_value(d.as_any(), option)?
    } else {
        config_value(spec, option)?
    };
    match builtin_sink(&spec_value) {
        Ok(Some(s)) => {
            *writes = true;
            Ok(vec![s])
        }
        Ok(None) => Err(err(format!(
            "expected a callable, a logging.Logger, \"stdout\", {{\"file\": path}} or a list of \
             these, not {}",
            type_name(spec)
        ))),
        Err(mut e) => {
            e.option = e.option.replacen("sink", option, 1);
            Err(e)
        }
    }
}
