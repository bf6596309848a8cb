//! Rust values to Python objects: audit records, claims and stats, built field by field from the
//! core's public types (no serde, no intermediate `serde_json::Value`).
//!
//! A record dict is ~30 Python objects and ~45 dict insertions, and most of its cost is CPython
//! allocating them. With a verifier's [`Cache`] fewer of them are made:
//! - each struct dict (the record, `failure`, `token`, `claims`, `request`, `authz`, `verifier`,
//!   …) is a copy of a template dict holding its field names in the JSON's order (one `memcpy` of
//!   the key table instead of growing a dict insertion by insertion), then its values are set in
//!   place;
//! - the template keeps the last value of each field when it is an object that recurs (a cached
//!   string, an enum variant, `None`, a bool, a small int): the copy holds it already and setting
//!   it is skipped. Only immutable objects are kept, and a record dict is a shallow copy;
//! - enum variants and claim names are Python strings made once (claim names only from accepted
//!   tokens' claims or records, at most [`NAME_CAP`] per verifier: a forged token cannot fill the
//!   cache);
//! - the values that usually repeat from record to record ([`Slot`]: `schema`, `alg`, `kid`,
//!   `typ`, `iss` and `aud` in `token` and as claims, the verifier's `name` and `version`) and the
//!   `time` string of the current millisecond are reused when equal;
//! - within one dict tree, an integer equal to one already made is shared (`token.exp` and
//!   `claims.values.exp`).
//!
//! A record dict equals what the record's JSON (`AuditRecord::to_json`) parses to, key order
//! included: fields in declaration order, objects inside claim values with sorted keys, integers
//! as `int` (also beyond `i64`), other numbers as `float`.

use jwt_audit::record::{AuditRecord, ClaimsInfo, Failure, Grants, TokenInfo, VerifierInfo};
use jwt_audit::{RequestContext, Stats};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Most claim names a verifier's [`Cache`] keeps (beyond, names are made per dict).
const NAME_CAP: usize = 512;
/// Longer claim names are not cached.
const NAME_MAX_LEN: usize = 64;
/// Integers shared within one dict tree: at most this many.
const SHARED_INTS: usize = 8;

/// A struct of the record, with its JSON field names in declaration order.
#[derive(Clone, Copy)]
enum Shape {
    Record,
    Failure,
    FailedCheck,
    Token,
    Claims,
    Request,
    Authz,
    Grants,
    Verifier,
}

impl Shape {
    const COUNT: usize = 9;

    fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Record => &[
                "schema",
                "id",
                "time",
                "duration_us",
                "event",
                "outcome",
                "severity",
                "failure",
                "token",
                "claims",
                "request",
                "authz",
                "verifier",
            ],
            Self::Failure => &["kind", "step", "detail", "also"],
            Self::FailedCheck => &["kind", "step", "detail"],
            Self::Token => &[
                "fingerprint",
                "alg",
                "kid",
                "typ",
                "size",
                "trusted",
                "jti",
                "iss",
                "aud",
                "iat",
                "nbf",
                "exp",
            ],
            Self::Claims => &["values", "dropped"],
            Self::Request => &[
                "correlation_id",
                "client_ip",
                "method",
                "path",
                "user_agent",
            ],
            Self::Authz => &["required", "granted", "decision"],
            Self::Grants => &["scopes", "roles"],
            Self::Verifier => &["name", "version"],
        }
    }
}

/// A string value that is usually the same from one record to the next (one issuer, one
/// audience, one algorithm): the cache keeps the last one of each.
#[derive(Clone, Copy)]
enum Slot {
    Schema,
    Alg,
    Kid,
    Typ,
    Iss,
    Aud,
    Name,
    Version,
}

impl Slot {
    const COUNT: usize = 8;

    /// The slot of a top-level claim's string value.
    fn claim(name: &str) -> Option<Self> {
        match name {
            "iss" => Some(Self::Iss),
            "aud" => Some(Self::Aud),
            _ => None,
        }
    }
}

/// An audit record as a dict (see the module documentation).
pub fn record_to_py<'py>(
    py: Python<'py>,
    record: &AuditRecord,
    cache: &Cache,
) -> PyResult<Bound<'py, PyAny>> {
    with_cx(py, cache, record.is_accepted(), |cx| {
        cx.record(record).map(|v| v.obj)
    })
}

/// An accepted token's claims as a dict (its names may enter the cache).
pub fn claims_to_py<'py>(
    py: Python<'py>,
    claims: &Map<String, Value>,
    cache: &Cache,
) -> PyResult<Bound<'py, PyAny>> {
    with_cx(py, cache, true, |cx| {
        cx.claim_dict(claims.iter().map(|(k, v)| (k.as_str(), v)))
            .map(|v| v.obj)
    })
}

/// `Verifier.stats()` as a dict (fields in declaration order).
pub fn stats_to_py<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("accepted", stats.accepted)?;
    d.set_item("rejected", stats.rejected)?;
    d.set_item("by_kind", &stats.by_kind)?;
    d.set_item("sink_errors", stats.sink_errors)?;
    d.set_item("records_dropped", stats.records_dropped)?;
    d.set_item("records_failed", stats.records_failed)?;
    Ok(d)
}

/// Python strings and dict templates kept by one verifier (shared by its verifications and
/// sinks). Only ever grows, within fixed bounds: one template per [`Shape`], the enum variants,
/// [`NAME_CAP`] claim names, one value per [`Slot`].
#[derive(Default)]
pub struct Cache(Mutex<Inner>);

impl Cache {
    /// The cache for one conversion; `None` (convert with a fresh one) when it is in use: a
    /// conversion on this thread interrupted by Python code (a finalizer) or another thread.
    fn lock(&self) -> Option<MutexGuard<'_, Inner>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

/// Hashes a `&'static str` by its address (one multiply): SipHash would cost more than the
/// Python string it saves.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Hashes short strings 8 bytes at a time. Not DoS-resistant, and need not be: only names of
/// accepted tokens enter the map, at most [`NAME_CAP`].
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
        let mut b = [0u8; 8];
        b[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.write_u64(u64::from_le_bytes(b) ^ bytes.len() as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Default)]
struct Inner {
    /// By [`Shape`], made on first use.
    templates: [Option<Template>; Shape::COUNT],
    /// Enum variant names (`as_str()`), by address.
    variants: HashMap<(usize, usize), Py<PyString>, BuildHasherDefault<AddressHasher>>,
    /// Claim names (interned).
    names: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<NameHasher>>,
    /// The last value of each [`Slot`].
    repeating: [Option<(Box<str>, Py<PyString>)>; Slot::COUNT],
    /// The record `time` string of one millisecond.
    time: Option<(i64, Py<PyString>)>,
}

/// A dict with the keys of one [`Shape`] (in order). Its values are `None`, or the last value of
/// a field that was an object that recurs (see [`Val::stable`]), so that a copy already holds it.
struct Template {
    keys: Vec<Py<PyString>>,
    dict: Py<PyDict>,
    /// The address of each field's value in `dict`: compared, never dereferenced (`dict` keeps
    /// the object alive while its address is here; both change together).
    values: Vec<usize>,
}

impl Template {
    fn new(py: Python<'_>, shape: Shape) -> PyResult<Self> {
        let dict = PyDict::new(py);
        let none = py.None().into_bound(py);
        let keys = shape
            .fields()
            .iter()
            .map(|f| {
                let k = PyString::intern(py, f);
                dict.set_item(&k, &none).map(|()| k.unbind())
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Self {
            values: vec![none.as_ptr() as usize; keys.len()],
            keys,
            dict: dict.unbind(),
        })
    }
}

/// A converted value, and whether it is an immutable object that recurs (a cached string, an
/// enum variant, `None`, a bool, a small int) and may stay in a template.
struct Val<'py> {
    obj: Bound<'py, PyAny>,
    stable: bool,
}

impl<'py> Val<'py> {
    fn new(obj: Bound<'py, impl Sized>) -> Self {
        Self {
            obj: obj.into_any(),
            stable: false,
        }
    }
    fn stable(obj: Bound<'py, impl Sized>) -> Self {
        Self {
            obj: obj.into_any(),
            stable: true,
        }
    }
}

/// Runs one conversion with the verifier's cache, or with a fresh one when it is in use.
fn with_cx<'py, R>(
    py: Python<'py>,
    cache: &Cache,
    trusted: bool,
    f: impl FnOnce(&mut Cx<'py, '_>) -> R,
) -> R {
    let mut guard = cache.lock();
    let mut spare = None;
    let c = match &mut guard {
        Some(g) => &mut **g,
        None => spare.insert(Inner::default()),
    };
    f(&mut Cx {
        py,
        c,
        trusted,
        ints: Vec::with_capacity(SHARED_INTS),
    })
}

/// One conversion.
struct Cx<'py, 'c> {
    py: Python<'py>,
    c: &'c mut Inner,
    /// Claim names may enter the cache.
    trusted: bool,
    /// Integers made so far in this conversion.
    ints: Vec<(i128, Bound<'py, PyAny>)>,
}

impl<'py> Cx<'py, '_> {
    fn record(&mut self, r: &AuditRecord) -> PyResult<Val<'py>> {
        let values = [
            self.repeating(Slot::Schema, &r.schema),
            self.str(&r.id),
            self.time(r),
            self.int(r.duration_us.into()),
            self.variant(r.event.as_str()),
            self.variant(r.outcome.as_str()),
            self.variant(r.severity.as_str()),
            self.failure(r.failure.as_ref())?,
            self.token(&r.token)?,
            self.claims(&r.claims)?,
            self.request(&r.request)?,
            match &r.authz {
                Some(a) => {
                    let values = [
                        self.grants(&a.required)?,
                        self.grants(&a.granted)?,
                        self.variant(a.decision.as_str()),
                    ];
                    self.fill(Shape::Authz, values)?
                }
                None => self.none(),
            },
            self.verifier(&r.verifier)?,
        ];
        self.fill(Shape::Record, values)
    }

    fn failure(&mut self, f: Option<&Failure>) -> PyResult<Val<'py>> {
        let Some(f) = f else {
            return Ok(self.none());
        };
        let also = f
            .also
            .iter()
            .map(|c| {
                let values = [
                    self.variant(c.kind.as_str()),
                    self.variant(c.step.as_str()),
                    self.str(&c.detail),
                ];
                self.fill(Shape::FailedCheck, values).map(|v| v.obj)
            })
            .collect::<PyResult<Vec<_>>>()?;
        let values = [
            self.variant(f.kind.as_str()),
            self.variant(f.step.as_str()),
            self.str(&f.detail),
            Val::new(PyList::new(self.py, also)?),
        ];
        self.fill(Shape::Failure, values)
    }

    fn token(&mut self, t: &TokenInfo) -> PyResult<Val<'py>> {
        let values = [
            self.opt_str(t.fingerprint.as_deref()),
            self.opt_repeating(Slot::Alg, t.alg.as_deref()),
            self.opt_repeating(Slot::Kid, t.kid.as_deref()),
            self.opt_repeating(Slot::Typ, t.typ.as_deref()),
            self.int(t.size as i128),
            Val::stable(PyBool::new(self.py, t.trusted).to_owned()),
            self.opt_claim(None, t.jti.as_ref())?,
            self.opt_claim(Some(Slot::Iss), t.iss.as_ref())?,
            self.opt_claim(Some(Slot::Aud), t.aud.as_ref())?,
            self.opt_claim(None, t.iat.as_ref())?,
            self.opt_claim(None, t.nbf.as_ref())?,
            self.opt_claim(None, t.exp.as_ref())?,
        ];
        self.fill(Shape::Token, values)
    }

    fn claims(&mut self, c: &ClaimsInfo) -> PyResult<Val<'py>> {
        let values = [
            self.claim_dict(c.values.iter())?,
            self.list(c.dropped.iter(), Self::name)?,
        ];
        self.fill(Shape::Claims, values)
    }

    fn request(&mut self, q: &RequestContext) -> PyResult<Val<'py>> {
        let values = [
            self.opt_str(q.correlation_id.as_deref()),
            self.opt_str(q.client_ip.as_deref()),
            self.opt_str(q.method.as_deref()),
            self.opt_str(q.path.as_deref()),
            self.opt_str(q.user_agent.as_deref()),
        ];
        self.fill(Shape::Request, values)
    }

    fn grants(&mut self, g: &Grants) -> PyResult<Val<'py>> {
        let values = [
            self.list(g.scopes.iter().map(String::as_str), Self::plain_str)?,
            self.list(g.roles.iter().map(String::as_str), Self::plain_str)?,
        ];
        self.fill(Shape::Grants, values)
    }

    fn verifier(&mut self, v: &VerifierInfo) -> PyResult<Val<'py>> {
        let values = [
            self.repeating(Slot::Name, &v.name),
            self.repeating(Slot::Version, &v.version),
        ];
        self.fill(Shape::Verifier, values)
    }

    /// A dict of `shape` holding `values`: a copy of its template, set where the copy does not
    /// hold the value already; stable values are kept in the template for the next copy.
    fn fill<const N: usize>(&mut self, shape: Shape, values: [Val<'py>; N]) -> PyResult<Val<'py>> {
        let py = self.py;
        let slot = &mut self.c.templates[shape as usize];
        let t = match slot {
            Some(t) => t,
            None => slot.insert(Template::new(py, shape)?),
        };
        debug_assert_eq!(t.keys.len(), N);
        // SAFETY: a valid dict; `PyDict_Copy` returns a new reference or NULL with an exception
        // set.
        let dict = unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyDict_Copy(t.dict.as_ptr()))?
                .cast_into_unchecked::<PyDict>()
        };
        for ((v, key), held) in values.iter().zip(&t.keys).zip(&mut t.values) {
            let at = v.obj.as_ptr() as usize;
            if *held == at {
                continue;
            }
            set(&dict, key.as_ptr(), &v.obj)?;
            if v.stable {
                set(t.dict.bind(py), key.as_ptr(), &v.obj)?;
                *held = at;
            }
        }
        Ok(Val::new(dict))
    }

    /// The top level of a claims object: names from the cache, `iss`/`aud` strings in their
    /// [`Slot`].
    fn claim_dict<'a>(
        &mut self,
        claims: impl Iterator<Item = (&'a str, &'a Value)>,
    ) -> PyResult<Val<'py>> {
        let d = PyDict::new(self.py);
        for (k, v) in claims {
            let key = self.name(k);
            let v = self.claim(Slot::claim(k), v)?;
            set(&d, key.obj.as_ptr(), &v.obj)?;
        }
        Ok(Val::new(d))
    }

    fn opt_claim(&mut self, slot: Option<Slot>, v: Option<&Value>) -> PyResult<Val<'py>> {
        match v {
            Some(v) => self.claim(slot, v),
            None => Ok(self.none()),
        }
    }

    fn claim(&mut self, slot: Option<Slot>, v: &Value) -> PyResult<Val<'py>> {
        match (slot, v) {
            (Some(slot), Value::String(s)) => Ok(self.repeating(slot, s)),
            _ => self.value(v),
        }
    }

    /// A JSON value; objects with sorted keys, as the record's JSON writes them.
    fn value(&mut self, v: &Value) -> PyResult<Val<'py>> {
        Ok(match v {
            Value::Null => self.none(),
            Value::Bool(b) => Val::stable(PyBool::new(self.py, *b).to_owned()),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => self.int(i.into()),
                (None, Some(u)) => self.int(u.into()),
                (None, None) => Val::new(PyFloat::new(self.py, n.as_f64().unwrap_or(f64::NAN))),
            },
            Value::String(s) => self.str(s),
            Value::Array(items) => {
                let items = items
                    .iter()
                    .map(|x| self.value(x).map(|v| v.obj))
                    .collect::<PyResult<Vec<_>>>()?;
                Val::new(PyList::new(self.py, items)?)
            }
            Value::Object(m) => {
                let mut members: Vec<_> = m.iter().collect();
                if !m.keys().is_sorted() {
                    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
                }
                let d = PyDict::new(self.py);
                for (k, v) in members {
                    let key = self.name(k);
                    let v = self.value(v)?;
                    set(&d, key.obj.as_ptr(), &v.obj)?;
                }
                Val::new(d)
            }
        })
    }

    /// A list of strings, each made by `item`.
    fn list<'a>(
        &mut self,
        items: impl Iterator<Item = &'a str>,
        item: fn(&mut Self, &str) -> Val<'py>,
    ) -> PyResult<Val<'py>> {
        let items: Vec<_> = items.map(|s| item(self, s).obj).collect();
        Ok(Val::new(PyList::new(self.py, items)?))
    }

    fn none(&self) -> Val<'py> {
        Val::stable(self.py.None().into_bound(self.py))
    }

    fn str(&self, s: &str) -> Val<'py> {
        Val::new(PyString::new(self.py, s))
    }

    fn plain_str(&mut self, s: &str) -> Val<'py> {
        self.str(s)
    }

    fn opt_str(&self, s: Option<&str>) -> Val<'py> {
        match s {
            Some(s) => self.str(s),
            None => self.none(),
        }
    }

    /// An enum variant's name.
    fn variant(&mut self, s: &'static str) -> Val<'py> {
        let py = self.py;
        let o = self
            .c
            .variants
            .entry((s.as_ptr() as usize, s.len()))
            .or_insert_with(|| PyString::intern(py, s).unbind());
        Val::stable(o.bind(py).clone())
    }

    /// The value `s` of `slot`: the last one if equal.
    fn repeating(&mut self, slot: Slot, s: &str) -> Val<'py> {
        let last = &mut self.c.repeating[slot as usize];
        if let Some((v, o)) = last
            && **v == *s
        {
            return Val::stable(o.bind(self.py).clone());
        }
        let o = PyString::new(self.py, s);
        *last = Some((s.into(), o.clone().unbind()));
        Val::stable(o)
    }

    fn opt_repeating(&mut self, slot: Slot, s: Option<&str>) -> Val<'py> {
        match s {
            Some(s) => self.repeating(slot, s),
            None => self.none(),
        }
    }

    /// A claim name (a map key): interned and cached when trusted.
    fn name(&mut self, s: &str) -> Val<'py> {
        if let Some(k) = self.c.names.get(s) {
            return Val::stable(k.bind(self.py).clone());
        }
        if self.trusted && s.len() <= NAME_MAX_LEN && self.c.names.len() < NAME_CAP {
            let k = PyString::intern(self.py, s);
            self.c.names.insert(s.into(), k.clone().unbind());
            return Val::stable(k);
        }
        self.str(s)
    }

    /// The record's `time` string: made once per millisecond.
    fn time(&mut self, r: &AuditRecord) -> Val<'py> {
        if let Some((ms, s)) = &self.c.time
            && *ms == r.time_ms
        {
            return Val::stable(s.bind(self.py).clone());
        }
        let s = PyString::new(self.py, &r.time());
        self.c.time = Some((r.time_ms, s.clone().unbind()));
        Val::stable(s)
    }

    /// An integer, shared with an equal one made earlier in this conversion.
    fn int(&mut self, v: i128) -> Val<'py> {
        let obj = match self.ints.iter().find(|(i, _)| *i == v) {
            Some((_, o)) => o.clone(),
            None => {
                let o = match i64::try_from(v) {
                    Ok(i) => i.into_pyobject(self.py).map(Bound::into_any),
                    Err(_) => (v as u64).into_pyobject(self.py).map(Bound::into_any),
                };
                let Ok(o) = o;
                if self.ints.len() < SHARED_INTS {
                    self.ints.push((v, o.clone()));
                }
                o
            }
        };
        Val {
            obj,
            // CPython keeps one object for each of these.
            stable: (-5..=256).contains(&v),
        }
    }
}

/// `dict[key] = value` (`key` borrowed).
fn set(
    dict: &Bound<'_, PyDict>,
    key: *mut ffi::PyObject,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: valid objects with the GIL held; `PyDict_SetItem` takes its own references.
    if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key, value.as_ptr()) } < 0 {
        return Err(PyErr::fetch(dict.py()));
    }
    Ok(())
}
