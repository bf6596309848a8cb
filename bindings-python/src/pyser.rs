//! A serde `Serializer` that builds Python objects directly (records, claims, stats), without an
//! intermediate `serde_json::Value`.
//!
//! A record dict is ~30 Python objects and ~45 dict insertions, and most of its cost is CPython
//! allocating them. With a verifier's [`Cache`] the serializer creates fewer of them:
//! - a struct (the record, `token`, `claims`, `request`, `verifier`) becomes a copy of a template
//!   dict holding its field names (one `memcpy` of the dict's key table instead of growing a
//!   dict insertion by insertion), then each field's value is set in place; `None` values are
//!   already there;
//! - field names, enum variants and claim names are interned Python strings made once (claim
//!   names only from accepted tokens' claims or records, at most [`NAME_CAP`] per verifier: a
//!   forged token cannot fill the cache);
//! - the values of fields that repeat from record to record (`schema`, `alg`, `typ`, `kid`,
//!   `iss`, `aud`, the verifier's `name` and `version`) and the `time` string of the current
//!   millisecond are reused when equal;
//! - within one dict tree, an integer equal to one already made is shared (`token.exp` and
//!   `claims.values.exp`); only immutable objects are shared.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};
use serde::ser::{self, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

/// Most claim names a verifier's [`Cache`] keeps (beyond, names are made per dict).
pub const NAME_CAP: usize = 512;
/// Longer claim names are not cached.
const NAME_MAX_LEN: usize = 64;
/// Struct fields whose string value is usually the same from one record to the next.
const REPEATING: [&str; 8] = [
    "schema", "alg", "typ", "kid", "iss", "aud", "name", "version",
];
/// Claims whose value is usually the same from one token to the next (one issuer, one audience).
const REPEATING_CLAIMS: [&str; 2] = ["iss", "aud"];
/// Integers shared within one dict tree: at most this many.
const SHARED_INTS: usize = 8;

/// Any serde value as Python objects: maps and structs become `dict`, sequences `list`,
/// unit enum variants `str`, `None`/unit `None`. No cache (used for rare calls: `stats()`).
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Cx::new(py, None, false).run(value)
}

/// [`to_py`] with a verifier's cache. `trusted`: the value comes from an accepted token (its
/// claim names may enter the cache).
pub fn to_py_cached<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
    cache: &Cache,
    trusted: bool,
) -> PyResult<Bound<'py, PyAny>> {
    Cx::new(py, cache.lock(), trusted).run(value)
}

/// An audit record as a dict (see the module documentation).
pub fn record_to_py<'py>(
    py: Python<'py>,
    record: &jwt_audit::AuditRecord,
    cache: &Cache,
) -> PyResult<Bound<'py, PyAny>> {
    let mut cx = Cx::new(py, cache.lock(), record.is_accepted());
    cx.time_ms = Some(record.time_ms);
    cx.run(record)
}

/// Python strings and dict templates kept by one verifier (shared by its verifications and
/// sinks). Only ever grows, within fixed bounds: the program's field names, [`NAME_CAP`] claim
/// names, one value per repeating field.
#[derive(Default)]
pub struct Cache(Mutex<Inner>);

impl Cache {
    /// The cache for one conversion; `None` (convert without it) when it is in use: a
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

type StaticStrings = HashMap<(usize, usize), Py<PyString>, BuildHasherDefault<AddressHasher>>;

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

fn addr(s: &'static str) -> (usize, usize) {
    (s.as_ptr() as usize, s.len())
}

#[derive(Default)]
struct Inner {
    /// Field and variant names.
    statics: StaticStrings,
    templates: Vec<Arc<Template>>,
    /// Claim names (interned).
    names: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<NameHasher>>,
    /// The last value of each [`REPEATING`] field.
    repeating: Vec<(&'static str, Box<str>, Py<PyString>)>,
    /// The record `time` string of one millisecond.
    time: Option<(i64, Py<PyAny>)>,
}

impl Inner {
    /// The value `s` of the [`REPEATING`] field `field`: the last one if equal.
    fn repeating_str<'py>(
        &mut self,
        py: Python<'py>,
        field: &'static str,
        s: &str,
    ) -> Bound<'py, PyAny> {
        let slot = self
            .repeating
            .iter()
            .position(|(f, ..)| std::ptr::eq(*f, field) || *f == field);
        if let Some(i) = slot
            && *self.repeating[i].1 == *s
        {
            return self.repeating[i].2.bind(py).clone().into_any();
        }
        let o = PyString::new(py, s);
        let entry = (field, s.into(), o.clone().unbind());
        match slot {
            Some(i) => self.repeating[i] = entry,
            None => self.repeating.push(entry),
        }
        o.into_any()
    }

    fn static_str(&mut self, py: Python<'_>, s: &'static str) -> *mut ffi::PyObject {
        self.statics
            .entry(addr(s))
            .or_insert_with(|| PyString::intern(py, s).unbind())
            .as_ptr()
    }
}

/// The fields of one struct type and a dict with those keys (in order). Its values are `None`, or
/// the last value of a field that was an object made once and reused (a cached string, an enum
/// variant, a bool, `None`, a small int), so that a copy already holds it: setting it again is
/// skipped. Only immutable objects are kept, and a record dict is a shallow copy.
struct Template {
    name: &'static str,
    fields: Vec<&'static str>,
    /// Borrowed from `Inner::statics` (which keeps them alive).
    keys: Vec<*mut ffi::PyObject>,
    hints: Vec<Hint>,
    dict: Py<PyDict>,
    /// The values in `dict` (borrowed from it), by field.
    values: RefCell<Vec<*mut ffi::PyObject>>,
}

// SAFETY: the raw pointers are strong references held by `Inner::statics` (keys, never removed)
// or by `dict` (values, updated together); they are only dereferenced through the CPython API
// with the GIL held. A template is only reached through the verifier's locked cache (`Cx`), so
// `values` is never borrowed from two threads at once.
unsafe impl Send for Template {}
// SAFETY: as for `Send`.
unsafe impl Sync for Template {}

/// One conversion.
struct Cx<'py, 'c> {
    py: Python<'py>,
    cache: Option<RefCell<MutexGuard<'c, Inner>>>,
    /// Names may enter the cache.
    trusted: bool,
    /// `Some` for a record: its `time_ms`.
    time_ms: Option<i64>,
    ints: RefCell<Ints<'py>>,
    /// Set by a map key in [`REPEATING_CLAIMS`], for its value.
    repeating_key: Cell<Option<&'static str>>,
    /// The last value made is one that recurs (see [`Template`]).
    stable: Cell<bool>,
}

/// Integers made so far in this conversion (`token.exp` and `claims.values.exp`, …).
struct Ints<'py>(Vec<(i128, Bound<'py, PyAny>)>);

impl<'py> Ints<'py> {
    fn get(&mut self, py: Python<'py>, v: i128) -> Bound<'py, PyAny> {
        if let Some((_, o)) = self.0.iter().find(|(i, _)| *i == v) {
            return o.clone();
        }
        let o = match i64::try_from(v) {
            Ok(i) => i.into_pyobject(py).map(Bound::into_any),
            Err(_) => (v as u64).into_pyobject(py).map(Bound::into_any),
        };
        let Ok(o) = o;
        if self.0.len() < SHARED_INTS {
            self.0.push((v, o.clone()));
        }
        o
    }
}

impl<'py, 'c> Cx<'py, 'c> {
    fn new(py: Python<'py>, cache: Option<MutexGuard<'c, Inner>>, trusted: bool) -> Self {
        Self {
            py,
            cache: cache.map(RefCell::new),
            trusted,
            time_ms: None,
            ints: RefCell::new(Ints(Vec::with_capacity(SHARED_INTS))),
            repeating_key: Cell::new(None),
            stable: Cell::new(false),
        }
    }

    fn run<T: Serialize + ?Sized>(&self, value: &T) -> PyResult<Bound<'py, PyAny>> {
        value
            .serialize(PySerializer {
                cx: self,
                hint: Hint::Value,
            })
            .map_err(|e| e.0)
    }

    /// A field or variant name.
    fn static_str(&self, s: &'static str) -> Bound<'py, PyAny> {
        match &self.cache {
            // SAFETY: a valid, owned `str` object kept alive by the cache; a new reference.
            Some(c) => unsafe {
                Bound::from_borrowed_ptr(self.py, c.borrow_mut().static_str(self.py, s))
            },
            None => PyString::intern(self.py, s).into_any(),
        }
    }

    /// A claim name (a map key).
    fn name(&self, s: &str) -> Bound<'py, PyAny> {
        self.repeating_key
            .set(REPEATING_CLAIMS.iter().find(|c| **c == s).copied());
        if let Some(c) = &self.cache {
            let mut c = c.borrow_mut();
            if let Some(k) = c.names.get(s) {
                return k.bind(self.py).clone().into_any();
            }
            if self.trusted && s.len() <= NAME_MAX_LEN && c.names.len() < NAME_CAP {
                let k = PyString::intern(self.py, s);
                c.names.insert(s.into(), k.clone().unbind());
                return k.into_any();
            }
        }
        PyString::new(self.py, s).into_any()
    }

    /// A string value; `field` names a [`REPEATING`] field (or claim) it is the value of.
    fn string(&self, s: &str, field: Option<&'static str>) -> Bound<'py, PyAny> {
        match (field, &self.cache) {
            (Some(field), Some(c)) => {
                self.recurring(c.borrow_mut().repeating_str(self.py, field, s))
            }
            _ => PyString::new(self.py, s).into_any(),
        }
    }

    fn int(&self, v: i128) -> Bound<'py, PyAny> {
        let o = self.ints.borrow_mut().get(self.py, v);
        // CPython keeps one object for each of these.
        if (-5..=256).contains(&v) {
            self.recurring(o)
        } else {
            o
        }
    }

    /// `o`, noted as an object that recurs.
    fn recurring(&self, o: Bound<'py, PyAny>) -> Bound<'py, PyAny> {
        self.stable.set(true);
        o
    }

    /// A new dict for a struct named `name`, from its template when there is one.
    fn struct_dict(&self, name: &'static str) -> Result<(Bound<'py, PyDict>, Fields), Error> {
        let Some(c) = &self.cache else {
            return Ok((PyDict::new(self.py), Fields::Plain));
        };
        let c = c.borrow();
        match c.templates.iter().find(|t| std::ptr::eq(t.name, name)) {
            Some(t) => {
                // SAFETY: a valid dict; `PyDict_Copy` returns a new reference or NULL with an
                // exception set.
                let dict = unsafe {
                    Bound::from_owned_ptr_or_err(self.py, ffi::PyDict_Copy(t.dict.as_ptr()))?
                        .cast_into_unchecked::<PyDict>()
                };
                Ok((dict, Fields::Templated { t: t.clone(), i: 0 }))
            }
            None => Ok((
                PyDict::new(self.py),
                Fields::Learning {
                    name,
                    fields: Vec::new(),
                },
            )),
        }
    }
}

/// What a value being serialized is.
#[derive(Clone, Copy)]
enum Hint {
    Value,
    /// A map key (a claim name).
    Key,
    /// The value of a [`REPEATING`] field.
    Repeating(&'static str),
    /// A list of claim names (`claims.dropped`): its strings are names.
    Names,
}

/// The hint for the value of struct field `key`.
fn field_hint(key: &'static str) -> Hint {
    if REPEATING.contains(&key) {
        Hint::Repeating(key)
    } else if key == "dropped" {
        Hint::Names
    } else {
        Hint::Value
    }
}

/// A Python exception carried through serde.
pub struct Error(PyErr);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl std::error::Error for Error {}
impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(pyo3::exceptions::PyValueError::new_err(msg.to_string()))
    }
}
impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

#[derive(Clone, Copy)]
struct PySerializer<'a, 'py, 'c> {
    cx: &'a Cx<'py, 'c>,
    hint: Hint,
}

type Out<'py> = Result<Bound<'py, PyAny>, Error>;

struct Seq<'a, 'py, 'c> {
    cx: &'a Cx<'py, 'c>,
    items: Vec<Bound<'py, PyAny>>,
    /// The elements are claim names.
    names: bool,
}

struct Map<'a, 'py, 'c> {
    cx: &'a Cx<'py, 'c>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

/// How a struct's fields are being set.
enum Fields {
    /// The dict is a copy of template `t`; `i` fields seen so far.
    Templated { t: Arc<Template>, i: usize },
    /// First struct of its type: its fields (skipped ones too) become a template at the end.
    Learning {
        name: &'static str,
        fields: Vec<&'static str>,
    },
    /// No cache, or a struct whose fields did not follow its template.
    Plain,
}

struct Struct<'a, 'py, 'c> {
    cx: &'a Cx<'py, 'c>,
    dict: Bound<'py, PyDict>,
    fields: Fields,
    /// The struct is an `AuditRecord` (its `time` may come from the cache).
    record: bool,
}

/// `{variant: value}` for newtype-like enum variants (externally tagged, as serde_json does).
struct Variant<S> {
    name: &'static str,
    inner: S,
}

impl<'a, 'py, 'c> PySerializer<'a, 'py, 'c> {
    fn value(cx: &'a Cx<'py, 'c>) -> Self {
        Self {
            cx,
            hint: Hint::Value,
        }
    }
    fn tagged(self, name: &'static str, value: Bound<'py, PyAny>) -> Out<'py> {
        self.cx.stable.set(false);
        let dict = PyDict::new(self.cx.py);
        dict.set_item(self.cx.static_str(name), value)?;
        Ok(dict.into_any())
    }
}

impl<'a, 'py, 'c> ser::Serializer for PySerializer<'a, 'py, 'c> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'a, 'py, 'c>;
    type SerializeTuple = Seq<'a, 'py, 'c>;
    type SerializeTupleStruct = Seq<'a, 'py, 'c>;
    type SerializeTupleVariant = Variant<Seq<'a, 'py, 'c>>;
    type SerializeMap = Map<'a, 'py, 'c>;
    type SerializeStruct = Struct<'a, 'py, 'c>;
    type SerializeStructVariant = Variant<Map<'a, 'py, 'c>>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(self
            .cx
            .recurring(PyBool::new(self.cx.py, v).to_owned().into_any()))
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        Ok(self.cx.int(v.into()))
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(self.cx.int(v.into()))
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.cx.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(match self.hint {
            Hint::Key => self.cx.name(v),
            Hint::Repeating(field) => self.cx.string(v, Some(field)),
            Hint::Value | Hint::Names => self.cx.string(v, None),
        })
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(PyBytes::new(self.cx.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.cx.recurring(self.cx.py.None().into_bound(self.cx.py)))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Out<'py> {
        Ok(self.cx.recurring(self.cx.static_str(variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(PySerializer::value(self.cx))?;
        self.tagged(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(Seq {
            cx: self.cx,
            items: Vec::with_capacity(len.unwrap_or(0)),
            names: matches!(self.hint, Hint::Names),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(Map {
            cx: self.cx,
            dict: PyDict::new(self.cx.py),
            key: None,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        let (dict, fields) = self.cx.struct_dict(name)?;
        Ok(Struct {
            cx: self.cx,
            dict,
            fields,
            record: self.cx.time_ms.is_some() && name == "AuditRecord",
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

impl<'py> Seq<'_, 'py, '_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let hint = if self.names { Hint::Key } else { Hint::Value };
        self.items
            .push(value.serialize(PySerializer { cx: self.cx, hint })?);
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        self.cx.stable.set(false);
        Ok(PyList::new(self.cx.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for Seq<'_, 'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Seq<'_, 'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Seq<'_, 'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for Variant<Seq<'_, 'py, '_>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }
    fn end(self) -> Out<'py> {
        let cx = self.inner.cx;
        PySerializer::value(cx).tagged(self.name, self.inner.finish()?)
    }
}

impl<'py> ser::SerializeMap for Map<'_, 'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(PySerializer {
            cx: self.cx,
            hint: Hint::Key,
        })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("map value without a key"))?;
        let hint = match self.cx.repeating_key.take() {
            Some(claim) => Hint::Repeating(claim),
            None => Hint::Value,
        };
        let value = value.serialize(PySerializer { cx: self.cx, hint })?;
        set(&self.dict, key.as_ptr(), &value)
    }
    fn end(self) -> Out<'py> {
        self.cx.stable.set(false);
        Ok(self.dict.into_any())
    }
}

/// `dict[key] = value` (`key` borrowed).
fn set(
    dict: &Bound<'_, PyDict>,
    key: *mut ffi::PyObject,
    value: &Bound<'_, PyAny>,
) -> Result<(), Error> {
    // SAFETY: valid objects with the GIL held; `PyDict_SetItem` takes its own references.
    if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key, value.as_ptr()) } < 0 {
        return Err(PyErr::fetch(dict.py()).into());
    }
    Ok(())
}

/// `del dict[key]` (`key` borrowed and present).
fn del(dict: &Bound<'_, PyDict>, key: *mut ffi::PyObject) -> Result<(), Error> {
    // SAFETY: as for `set`.
    if unsafe { ffi::PyDict_DelItem(dict.as_ptr(), key) } < 0 {
        return Err(PyErr::fetch(dict.py()).into());
    }
    Ok(())
}

impl<'py> Struct<'_, 'py, '_> {
    /// The next field is `key`: its place in the template if the template holds it there
    /// (`None` otherwise, after turning the dict into a plain one), and the hint for its value.
    fn next(&mut self, key: &'static str) -> Result<(Option<usize>, Hint), Error> {
        let Fields::Templated { t: tpl, i } = &mut self.fields else {
            return Ok((None, field_hint(key)));
        };
        let at = *i;
        if tpl
            .fields
            .get(at)
            .is_some_and(|f| std::ptr::eq(*f, key) || *f == key)
        {
            *i += 1;
            return Ok((Some(at), tpl.hints[at]));
        }
        let (tpl, i) = (tpl.clone(), at);
        // Not the template's order: keep the fields set so far (in order) in a plain dict.
        let plain = PyDict::new(self.cx.py);
        for &k in &tpl.keys[..i] {
            // SAFETY: valid objects with the GIL held; a borrowed reference or NULL.
            let v = unsafe { ffi::PyDict_GetItem(self.dict.as_ptr(), k) };
            if !v.is_null() {
                // SAFETY: `v` is a valid borrowed reference.
                let v = unsafe { Bound::from_borrowed_ptr(self.cx.py, v) };
                set(&plain, k, &v)?;
            }
        }
        self.dict = plain;
        self.fields = Fields::Plain;
        Ok((None, field_hint(key)))
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let (slot, hint) = self.next(key)?;
        self.cx.stable.set(false);
        let value = if self.record && key == "time" {
            self.time(value)?
        } else {
            value.serialize(PySerializer { cx: self.cx, hint })?
        };
        let (Some(at), Fields::Templated { t, .. }) = (slot, &self.fields) else {
            if let Fields::Learning { fields, .. } = &mut self.fields {
                fields.push(key);
            }
            return set(&self.dict, self.cx.static_str(key).as_ptr(), &value);
        };
        let mut values = t.values.borrow_mut();
        if values[at] == value.as_ptr() {
            // The copy holds it already.
            return Ok(());
        }
        set(&self.dict, t.keys[at], &value)?;
        if self.cx.stable.get() {
            set(t.dict.bind(self.cx.py), t.keys[at], &value)?;
            values[at] = value.as_ptr();
        }
        Ok(())
    }

    /// The record's `time` string: made once per millisecond.
    fn time<T: Serialize + ?Sized>(&self, value: &T) -> Out<'py> {
        let (Some(ms), Some(c)) = (self.cx.time_ms, &self.cx.cache) else {
            return value.serialize(PySerializer::value(self.cx));
        };
        if let Some((at, s)) = &c.borrow().time
            && *at == ms
        {
            return Ok(self.cx.recurring(s.bind(self.cx.py).clone().into_any()));
        }
        let s = value.serialize(PySerializer::value(self.cx))?;
        c.borrow_mut().time = Some((ms, s.clone().unbind()));
        Ok(self.cx.recurring(s))
    }

    fn finish(self) -> Out<'py> {
        self.cx.stable.set(false);
        match self.fields {
            Fields::Templated { t, i } => {
                // Fields the template has and this value did not serialize.
                for &k in &t.keys[i..] {
                    del(&self.dict, k)?;
                }
            }
            Fields::Learning { name, fields } => {
                if let Some(c) = &self.cx.cache {
                    let mut c = c.borrow_mut();
                    let dict = PyDict::new(self.cx.py);
                    let mut keys = Vec::with_capacity(fields.len());
                    for &f in &fields {
                        let k = c.static_str(self.cx.py, f);
                        set(&dict, k, &self.cx.py.None().into_bound(self.cx.py))?;
                        keys.push(k);
                    }
                    c.templates.push(Arc::new(Template {
                        values: RefCell::new(vec![self.cx.py.None().as_ptr(); fields.len()]),
                        name,
                        hints: fields.iter().map(|f| field_hint(f)).collect(),
                        fields,
                        keys,
                        dict: dict.unbind(),
                    }));
                }
            }
            Fields::Plain => {}
        }
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for Struct<'_, 'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), Error> {
        match &mut self.fields {
            Fields::Learning { fields, .. } => fields.push(key),
            Fields::Templated { .. } => {
                if let (Some(at), _) = self.next(key)?
                    && let Fields::Templated { t, .. } = &self.fields
                {
                    del(&self.dict, t.keys[at])?;
                }
            }
            Fields::Plain => {}
        }
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Map<'_, 'py, '_>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = value.serialize(PySerializer::value(self.inner.cx))?;
        set(
            &self.inner.dict,
            self.inner.cx.static_str(key).as_ptr(),
            &value,
        )
    }
    fn end(self) -> Out<'py> {
        let cx = self.inner.cx;
        PySerializer::value(cx).tagged(self.name, self.inner.dict.into_any())
    }
}
