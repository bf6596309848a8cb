//! `jwt_audit._native`: the pyo3 extension behind the Python package `jwt_audit`.
//!
//! Only type conversion and sink adaptation live here; every decision is the core's
//! ([`jwt_audit::Verifier`]). The GIL is released while the core verifies, so threads scale,
//! except for short HMAC verifications (see [`GIL_KEPT_MAX_TOKEN`]); a Python sink takes it back
//! for its call.

mod convert;
mod pyser;
mod sink;

use convert::{config_value, requirement, type_name};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use std::sync::{Arc, OnceLock};

/// Rust-side allocations of the extension (records, parsed claims) go to mimalloc; Python objects
/// are still allocated by CPython.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

create_exception!(
    jwt_audit,
    ConfigError,
    PyValueError,
    "An invalid `Verifier` option; `.option` names it (e.g. `keys[0].pem`), `.message` says why."
);

fn config_error(py: Python<'_>, e: jwt_audit::ConfigError) -> PyErr {
    let err = ConfigError::new_err(e.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = value.setattr("option", &e.option);
    let _ = value.setattr("message", &e.message);
    err
}

/// Verifies JWTs and audits every verification; see the package documentation.
#[pyclass(frozen, module = "jwt_audit", name = "Verifier")]
struct Verifier {
    inner: jwt_audit::Verifier,
    /// Verifications of tokens up to this size keep the GIL (see [`GIL_KEPT_MAX_TOKEN`]); 0: the
    /// GIL is always released.
    keep_gil_max: usize,
    /// Python strings and dict templates for its records and claims.
    cache: Arc<pyser::Cache>,
}

/// The outcome of one verification: `.ok`, `.claims`, `.record`, `.record_json`.
#[pyclass(frozen, module = "jwt_audit", name = "Verification")]
struct Verification {
    inner: jwt_audit::Verification,
    cache: Arc<pyser::Cache>,
    record: OnceLock<Py<PyAny>>,
    claims: OnceLock<Py<PyAny>>,
}

impl Verification {
    fn new(inner: jwt_audit::Verification, cache: Arc<pyser::Cache>) -> Self {
        Self {
            inner,
            cache,
            record: OnceLock::new(),
            claims: OnceLock::new(),
        }
    }
}

/// The generic HTTP answer to a rejected verification (RFC 6750).
#[pyclass(frozen, module = "jwt_audit", name = "Challenge")]
struct Challenge {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    www_authenticate: String,
    #[pyo3(get)]
    body: &'static str,
}

/// A token argument: `str`, `bytes` or `None` (no token presented), as bytes the core can read
/// while the GIL is released (`bytes` are immutable; a `str` is encoded once, without copying it
/// again).
enum Token<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl<'py> Token<'py> {
    fn from_arg(token: &Bound<'py, PyAny>) -> PyResult<Self> {
        if token.is_none() {
            return Ok(Token::Owned(Vec::new()));
        }
        if let Ok(b) = token.cast::<PyBytes>() {
            return Ok(Token::Bytes(b.clone()));
        }
        if let Ok(s) = token.cast::<PyString>() {
            // A str with unpaired surrogates is not a JWT: the replacement characters make the
            // core reject it with a record, as for any other bad token.
            return Ok(match s.encode_utf8() {
                Ok(b) => Token::Bytes(b),
                Err(_) => Token::Owned(s.to_string_lossy().into_owned().into_bytes()),
            });
        }
        Err(PyTypeError::new_err(format!(
            "token must be str, bytes or None, not {}",
            type_name(token)
        )))
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Token::Bytes(b) => b.as_bytes(),
            Token::Owned(v) => v,
        }
    }
}

/// An HMAC-only verifier whose sinks do not write themselves keeps the GIL while it verifies a
/// token of at most this many bytes: the whole verification then takes a few microseconds (about
/// 4 µs for a typical token, under 10 µs at this size), less than releasing and taking back the
/// GIL costs another thread, and the caller does not wait for the GIL to come back (up to the
/// 5 ms switch interval when other threads are busy). Larger tokens, RSA/EC/EdDSA signatures and
/// writing sinks release it.
const GIL_KEPT_MAX_TOKEN: usize = 4096;

impl Verifier {
    /// Runs `f` (which may call Python sinks) for an input of `size` bytes, without the GIL
    /// unless the verification is short (see [`GIL_KEPT_MAX_TOKEN`]), then re-raises an interrupt
    /// a sink raised meanwhile.
    fn run<F>(&self, py: Python<'_>, size: usize, f: F) -> PyResult<Verification>
    where
        F: FnOnce(&jwt_audit::Verifier) -> jwt_audit::Verification + Send,
    {
        let v = if size <= self.keep_gil_max {
            f(&self.inner)
        } else {
            py.detach(|| f(&self.inner))
        };
        match sink::take_pending() {
            Some(interrupt) => Err(interrupt),
            None => Ok(Verification::new(v, self.cache.clone())),
        }
    }
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (**config))]
    fn new(py: Python<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let options = match config {
            Some(c) => c.copy()?,
            None => PyDict::new(py),
        };
        let sink_spec = options.get_item("sink")?;
        if sink_spec.is_some() {
            options.del_item("sink")?;
        }
        let cache = Arc::new(pyser::Cache::default());
        let mut keep_gil_max = 0;
        let mut build = || -> Result<jwt_audit::Verifier, jwt_audit::ConfigError> {
            let value = config_value(options.as_any(), "")?;
            let cfg = jwt_audit::VerifierConfig::from_json_value(value)?;
            let hmac_only = cfg.algorithms.iter().all(|a| a.starts_with("HS"));
            let mut writes = false;
            let mut builder = jwt_audit::Verifier::builder().config(cfg);
            if let Some(spec) = &sink_spec {
                for s in sink::sinks(spec, "sink", &cache, &mut writes)? {
                    builder = builder.shared_sink(s);
                }
            }
            if hmac_only && !writes {
                keep_gil_max = GIL_KEPT_MAX_TOKEN;
            }
            builder.build()
        };
        let inner = build().map_err(|e| config_error(py, e))?;
        Ok(Self {
            inner,
            keep_gil_max,
            cache,
        })
    }

    /// Verifies a compact JWS (`str` or `bytes`; `None` means no token). Never raises for a bad
    /// token: the answer and the record say why it was rejected.
    #[pyo3(signature = (token, context=None, *, scopes=None, roles=None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verification> {
        let token = Token::from_arg(token)?;
        let token = token.as_bytes();
        let ctx = convert::context(context)?;
        let need = requirement(scopes, roles)?;
        self.run(py, token.len(), |v| match &need {
            Some(need) => v.verify_with(token, &ctx, need),
            None => v.verify(token, &ctx),
        })
    }

    /// Verifies the credential of an HTTP `Authorization` header value (RFC 6750 Bearer).
    #[pyo3(signature = (authorization, context=None, *, scopes=None, roles=None))]
    fn verify_authorization(
        &self,
        py: Python<'_>,
        authorization: Option<&Bound<'_, PyAny>>,
        context: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verification> {
        let header = match authorization.filter(|a| !a.is_none()) {
            None => None,
            Some(a) => Some(
                a.cast::<PyString>()
                    .map_err(|_| {
                        PyTypeError::new_err(format!(
                            "authorization must be str or None, not {}",
                            type_name(a)
                        ))
                    })?
                    .to_string_lossy()
                    .into_owned(),
            ),
        };
        let ctx = convert::context(context)?;
        let need = requirement(scopes, roles)?;
        let size = header.as_ref().map_or(0, String::len);
        self.run(py, size, |v| {
            v.verify_authorization(header.as_deref(), &ctx, need.as_ref())
        })
    }

    /// Checks scopes/roles of an accepted verification. Returns `verification` itself when
    /// granted (or when it was already rejected); otherwise a new rejected verification whose
    /// `authz_fail` record went to the sinks.
    #[pyo3(signature = (verification, *, scopes=None, roles=None))]
    fn authorize(
        &self,
        py: Python<'_>,
        verification: Py<Verification>,
        scopes: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<Verification>> {
        let Some(need) = requirement(scopes, roles)? else {
            return Ok(verification);
        };
        let current = &verification.get().inner;
        if !current.is_accepted() {
            return Ok(verification);
        }
        let denied = self.run(py, usize::MAX, |v| match v.authorize(current, &need) {
            Ok(()) => current.clone(),
            Err(denied) => denied,
        })?;
        if denied.inner.is_accepted() {
            Ok(verification)
        } else {
            Py::new(py, denied)
        }
    }

    /// Counts by outcome and failure kind, and records lost by sinks.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        pyser::stats_to_py(py, &self.inner.stats())
    }

    /// Flushes every sink.
    fn flush(&self, py: Python<'_>) {
        py.detach(|| self.inner.flush());
    }

    /// The verifier's name, as written in records.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn __repr__(&self) -> String {
        format!("<jwt_audit.Verifier name={:?}>", self.inner.name())
    }
}

/// The object in `cell`, made by `make` on first use. Two threads may both make it; the first one
/// kept is returned to both. (Unlike `PyOnceLock`, this never releases the GIL: cheaper, and
/// `make` only runs Rust code and CPython allocations.)
fn once(
    py: Python<'_>,
    cell: &OnceLock<Py<PyAny>>,
    make: impl FnOnce() -> PyResult<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    if let Some(v) = cell.get() {
        return Ok(v.clone_ref(py));
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v).clone_ref(py))
}

#[pymethods]
impl Verification {
    /// `True` when every check passed.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.is_accepted()
    }

    /// The first failed check (`"expired"`, `"bad_signature"`, …), or `None` when accepted.
    #[getter]
    fn kind(&self) -> Option<&'static str> {
        self.inner.failure_kind().map(|k| k.as_str())
    }

    /// The verified claims (not redacted) when accepted, else `None`.
    #[getter]
    fn claims(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        once(py, &self.claims, || match self.inner.claims() {
            Some(c) => Ok(pyser::claims_to_py(py, c, &self.cache)?.unbind()),
            None => Ok(py.None()),
        })
    }

    /// The audit record as a dict (built on first access, then the same dict).
    #[getter]
    fn record(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        once(py, &self.record, || {
            Ok(pyser::record_to_py(py, self.inner.record(), &self.cache)?.unbind())
        })
    }

    /// The audit record as canonical JSON (the same bytes in every binding).
    #[getter]
    fn record_json(&self) -> String {
        self.inner.record().to_json()
    }

    /// The HTTP answer for a rejection (status, `WWW-Authenticate`, JSON body); `None` when accepted.
    fn challenge(&self) -> Option<Challenge> {
        jwt_audit::http::challenge(&self.inner).map(|c| Challenge {
            status: c.status,
            www_authenticate: c.www_authenticate,
            body: c.body,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<jwt_audit.Verification ok={} kind={}>",
            if self.inner.is_accepted() {
                "True"
            } else {
                "False"
            },
            self.kind().map_or("None".to_string(), |k| format!("'{k}'"))
        )
    }
}

#[pymethods]
impl Challenge {
    fn __repr__(&self) -> String {
        format!(
            "<jwt_audit.Challenge status={} www_authenticate={:?}>",
            self.status, self.www_authenticate
        )
    }
}

/// The correlation id of a request: `X-Request-Id` when usable, else the trace id of a valid
/// W3C `traceparent`, else `None`.
#[pyfunction]
#[pyo3(signature = (x_request_id=None, traceparent=None))]
fn correlation_id(x_request_id: Option<&str>, traceparent: Option<&str>) -> Option<String> {
    jwt_audit::http::correlation_id(x_request_id, traceparent)
}

/// A fresh, time-ordered correlation id (UUIDv7).
#[pyfunction]
fn new_correlation_id() -> String {
    jwt_audit::http::new_correlation_id()
}

/// Benchmark hook (`bench/bench.py` times it): the core's `Verifier::verify` of `token`, `n` times
/// in a Rust loop (no Python call, no conversion; each verification and its record are dropped,
/// as a Python caller's would be).
#[pyfunction]
fn _core_verify_loop(verifier: &Verifier, token: &str, n: u32) {
    let ctx = jwt_audit::RequestContext::default();
    for _ in 0..n {
        std::hint::black_box(verifier.inner.verify(token, &ctx));
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Verifier>()?;
    m.add_class::<Verification>()?;
    m.add_class::<Challenge>()?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add_function(wrap_pyfunction!(correlation_id, m)?)?;
    m.add_function(wrap_pyfunction!(new_correlation_id, m)?)?;
    m.add_function(wrap_pyfunction!(_core_verify_loop, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
