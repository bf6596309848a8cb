//! Verifications, records and claims handed to JavaScript as a tape and a text.
//!
//! Making JS values through N-API costs a V8 API call each (a string, a number, even `null`), and
//! calling a JS function from native code costs an entry into JavaScript; `JSON.parse` of a
//! record's JSON text costs about as much as the core's whole verification of an HS256 token. So
//! nothing is made here value by value: a verification is written as a tape of numbers ([`Tape`],
//! copied into a `Float64Array` that the verifier's JavaScript state holds) and one string holding
//! the text of every string in it, in order. The JavaScript side (`fromTape` and friends in
//! `index.js`) reads both and builds the objects from literals; a synchronous `verify` returns
//! the text, so it costs one N-API string and no call into JavaScript. What else keeps it cheap:
//! - names that recur in every record (core's enum names, the schema, the verifier's name and
//!   version) and the claim names and header values of accepted tokens are kept in a JS array
//!   (`names`, filled here when a name is first kept: every index on a tape is there) and cross
//!   as their index in it ([`Strings`]); so do whole claim-name sequences ("shapes"), of which
//!   `index.js` makes a function building the claims object from an object literal;
//! - a primitive claim value crosses once per call and is shared by the claims object, the
//!   record's claims and its token fields (JS strings and numbers are immutable; objects and
//!   arrays are made per use, as `JSON.parse` does).
//!
//! The objects hold exactly what `JSON.parse` of [`AuditRecord::to_json`] holds, in the same key
//! order: the tests compare both on every shared vector, and [`Builder::record`] destructures the
//! record without `..`, so a field added in core does not compile here until it is handed over.
//!
//! The tape, in the order JavaScript reads it (`value` below is one of [`tag`]'s encodings):
//! - a verification: `ok` (0 or 1), the record's JSON text or `null` (see
//!   [`stringify_is_canonical`]), the claims (`null` unless accepted), then its record;
//! - a record: schema, id, time (unix ms), duration_us, event, outcome, severity, the failure
//!   (`null`, or `true`, kind, step, detail, the number of `also` checks and their kind, step and
//!   detail), the token's fingerprint, alg, kid, typ, size, trusted (0 or 1), jti, iss, aud, iat,
//!   nbf and exp, the claims' values and dropped names, the request's five strings, authz (`null`,
//!   or `true`, required scopes and roles, granted scopes and roles, decision), the verifier's
//!   name and version. Time, duration, size and trusted are bare numbers; the rest are values.

use jwt_audit::record::VerifierInfo;
use jwt_audit::record::{AuthzInfo, ClaimsInfo, FailedCheck, Failure, Grants, TokenInfo};
use jwt_audit::{AuditRecord, RequestContext, Verification};
use napi::bindgen_prelude::{FromNapiValue, FunctionRef, ToNapiValue, TypeName, ValueType};
use napi::{Env, Error, JsValue, Result, Status, sys};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::ptr;

/// A JavaScript function kept by the native side (called with raw N-API values).
pub type JsFunction = FunctionRef<(), ()>;

/// A JavaScript value made here, returned as is from a `#[napi]` function.
pub struct Raw(pub sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        Ok(value.0)
    }
}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        Ok(Self(value))
    }
}

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

pub fn check(status: sys::napi_status) -> Result<()> {
    match status {
        sys::Status::napi_ok => Ok(()),
        s => Err(Error::from_status(Status::from(s))),
    }
}

/// The encodings of a value on the tape: a tag, then what it says follows. Strings are read from
/// the text in order: a string on the tape is the end of its text (in UTF-16 code units).
/// `index.js` has the same numbers (`TAG`).
mod tag {
    pub const NULL: f64 = 0.0;
    pub const FALSE: f64 = 1.0;
    pub const TRUE: f64 = 2.0;
    /// Then the number.
    pub const NUMBER: f64 = 3.0;
    /// Then the end of the string.
    pub const STRING: f64 = 4.0;
    /// Then an index in `names`.
    pub const KEPT: f64 = 5.0;
    /// Then the index of a string or number made earlier in this call (they are counted from 0
    /// in the order made: each `NUMBER` and `STRING` read as a value).
    pub const SAME: f64 = 6.0;
    /// Then the length and the items.
    pub const ARRAY: f64 = 7.0;
    /// Then the member count and the members, each a key (a `STRING` or `KEPT` string) and a
    /// value.
    pub const OBJECT: f64 = 8.0;
    /// As `OBJECT`, with a member named as a property plain objects inherit (`__proto__`,
    /// `toString`...): defined, not assigned, as `JSON.parse` does.
    pub const OBJECT_DEFINE: f64 = 9.0;
    /// Then the index in `names` of a shape (an array of keys) and a value per key.
    pub const SHAPED: f64 = 10.0;
}

/// The properties of the verifier's JS state: the kept strings and shapes, and the tape
/// (`Float64Array`).
const NAMES_PROPERTY: &std::ffi::CStr = c"names";
const TAPE_PROPERTY: &std::ffi::CStr = c"tape";

/// A verification, record or claims object as numbers and text, written here in the order the
/// JavaScript side reads them.
#[derive(Default)]
struct Tape {
    slots: Vec<f64>,
    /// The strings, in order (UTF-8).
    text: Vec<u8>,
    /// The text's length in UTF-16 code units (the unit of JS string offsets).
    units: usize,
    /// How many strings and numbers were made as values (the next one's index for `SAME`).
    made: u32,
}

thread_local! {
    /// A tape reused across calls (taken while written, so a nested call gets its own).
    static TAPE: Cell<Tape> = Cell::default();
}

impl Tape {
    fn take() -> Self {
        let mut t = TAPE.take();
        t.slots.clear();
        t.text.clear();
        t.units = 0;
        t.made = 0;
        t
    }

    fn put(self) {
        if self.text.capacity() <= 1 << 16 && self.slots.capacity() <= 1 << 13 {
            TAPE.set(self);
        }
    }

    fn raw(&mut self, x: f64) {
        self.slots.push(x);
    }

    fn count(&mut self, n: usize) {
        self.raw(n as f64);
    }

    /// Appends `s` to the text; the end of its text.
    fn text(&mut self, s: &str) -> f64 {
        self.text.extend_from_slice(s.as_bytes());
        self.units += if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.units as f64
    }

    /// A string in key position (not counted as made).
    fn key_string(&mut self, s: &str) {
        self.raw(tag::STRING);
        let end = self.text(s);
        self.raw(end);
    }

    /// A string value; its index among the values made.
    fn string(&mut self, s: &str) -> u32 {
        self.key_string(s);
        self.made()
    }

    /// A number value; its index among the values made.
    fn number(&mut self, n: f64) -> u32 {
        self.raw(tag::NUMBER);
        self.raw(n);
        self.made()
    }

    fn made(&mut self) -> u32 {
        self.made += 1;
        self.made - 1
    }

    fn null(&mut self) {
        self.raw(tag::NULL);
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { tag::TRUE } else { tag::FALSE });
    }

    fn kept(&mut self, index: u32) {
        self.raw(tag::KEPT);
        self.raw(f64::from(index));
    }

    fn same(&mut self, index: u32) {
        self.raw(tag::SAME);
        self.raw(f64::from(index));
    }
}

/// Where a string crosses from: kept in `names`, or the text.
#[derive(Clone, Copy)]
enum Name {
    Kept(u32),
    Text,
}

/// The JavaScript state of one verifier (`{ names, tape }` in `index.js`) and what the native
/// side knows of it: which strings and shapes `names` holds (their indices), and the tape array.
/// Creating a string costs an allocation, and V8 then looks a claim name up in its string table
/// when it becomes a property key; a kept string crosses once and is internalised once, and an
/// index is a number on the tape. Bounded: strings from tokens that were not accepted are looked
/// up, never added.
pub struct Strings {
    env: sys::napi_env,
    /// The JS state object.
    state: sys::napi_ref,
    /// Its `names` array (filled here: an index on a tape is always there).
    names: sys::napi_ref,
    /// Its tape (a `Float64Array`), replaced by a larger one when a tape does not fit.
    tape: Cell<sys::napi_ref>,
    /// The next free index in `names`.
    next: Cell<u32>,
    kept: RefCell<FxHashMap<Box<str>, Kept>>,
    shapes: RefCell<Vec<Shape>>,
    /// The shape used last for each kind of claims object ([`CLAIMS`], [`RECORD_CLAIMS`]).
    last_shape: [Cell<usize>; 2],
    /// The property names a plain object inherits (`Object.prototype`'s, from `index.js`): a
    /// claims object with such a member is made with defined properties, as `JSON.parse` makes
    /// them (`__proto__` included).
    inherited: FxHashSet<Box<str>>,
}

#[derive(Clone, Copy)]
struct Kept {
    index: u32,
    inherited: bool,
}

/// The member names of a claims object, in order, kept in `names` as a JS array: a claims object
/// of that shape then crosses as the shape's index and its values only. Claims from one issuer
/// (and a record's claims under one redaction policy) come in few shapes.
struct Shape {
    keys: Box<[Box<str>]>,
    index: u32,
}

/// The kinds of claims objects, which remember their last shape separately.
const CLAIMS: usize = 0;
const RECORD_CLAIMS: usize = 1;

/// At most this many shapes per verifier, of at most this many names.
const MAX_SHAPES: usize = 64;
const MAX_SHAPE_KEYS: usize = 64;

/// At most this many kept strings per verifier, of at most this many bytes.
const MAX_KEPT: usize = 1024;
const MAX_KEPT_LEN: usize = 64;

// SAFETY (every `unsafe` block of this impl): `env` is the live env of the current call on the JS
// thread (the env the references were made in); the out-pointers are valid.
impl Strings {
    /// `state`: the verifier's `{ names, tape }`.
    pub fn new(env: &Env, state: sys::napi_value, inherited: Vec<String>) -> Result<Self> {
        let raw = env.raw();
        let property = |name: &std::ffi::CStr| -> Result<sys::napi_ref> {
            let (mut value, mut r) = (ptr::null_mut(), ptr::null_mut());
            check(unsafe { sys::napi_get_named_property(raw, state, name.as_ptr(), &mut value) })?;
            check(unsafe { sys::napi_create_reference(raw, value, 1, &mut r) })?;
            Ok(r)
        };
        let (names, tape) = (property(NAMES_PROPERTY)?, property(TAPE_PROPERTY)?);
        let mut state_ref = ptr::null_mut();
        check(unsafe { sys::napi_create_reference(raw, state, 1, &mut state_ref) })?;
        Ok(Self {
            env: raw,
            state: state_ref,
            names,
            tape: Cell::new(tape),
            next: Cell::new(0),
            kept: RefCell::default(),
            shapes: RefCell::default(),
            last_shape: [Cell::new(usize::MAX), Cell::new(usize::MAX)],
            inherited: inherited.into_iter().map(String::into_boxed_str).collect(),
        })
    }

    /// How `s` crosses (kept now when `keep` and there is room), and whether a plain object
    /// inherits a property named `s`.
    fn name(&self, env: &Env, s: &str, keep: bool) -> (Name, bool) {
        let mut kept = self.kept.borrow_mut();
        if let Some(k) = kept.get(s) {
            return (Name::Kept(k.index), k.inherited);
        }
        let inherited = self.inherited.contains(s);
        if keep && s.len() <= MAX_KEPT_LEN && kept.len() < MAX_KEPT {
            if let Ok(index) = string(env, s).and_then(|v| self.add(env, v)) {
                kept.insert(s.into(), Kept { index, inherited });
                return (Name::Kept(index), inherited);
            }
        }
        (Name::Text, inherited)
    }

    /// The index of the shape of a claims object of this `kind` with these member names, if
    /// kept (kept now when `keep`, there is room and no name is inherited).
    fn shape<'k>(
        &self,
        env: &Env,
        kind: usize,
        names: impl ExactSizeIterator<Item = &'k str> + Clone,
        keep: bool,
    ) -> Option<u32> {
        let n = names.len();
        let same = |shape: &Shape| {
            shape.keys.len() == n && names.clone().zip(&shape.keys).all(|(a, b)| a == &**b)
        };
        let mut shapes = self.shapes.borrow_mut();
        let last = self.last_shape[kind].get();
        if let Some(shape) = shapes.get(last).filter(|s| same(s)) {
            return Some(shape.index);
        }
        if let Some(at) = shapes.iter().position(same) {
            self.last_shape[kind].set(at);
            return Some(shapes[at].index);
        }
        let fits = keep && (1..=MAX_SHAPE_KEYS).contains(&n) && shapes.len() < MAX_SHAPES;
        if !fits || names.clone().any(|k| self.inherited.contains(k)) {
            return None;
        }
        let keys = (|| {
            let mut array = ptr::null_mut();
            check(unsafe { sys::napi_create_array_with_length(env.raw(), n, &mut array) })?;
            for (i, k) in names.clone().enumerate() {
                let k = string(env, k)?;
                check(unsafe { sys::napi_set_element(env.raw(), array, i as u32, k) })?;
            }
            Ok(array)
        })();
        let index = keys.and_then(|keys| self.add(env, keys)).ok()?;
        self.last_shape[kind].set(shapes.len());
        shapes.push(Shape {
            keys: names.map(Box::from).collect(),
            index,
        });
        Some(index)
    }

    /// Appends `value` to `names`; its index.
    fn add(&self, env: &Env, value: sys::napi_value) -> Result<u32> {
        let (index, mut names) = (self.next.get(), ptr::null_mut());
        check(unsafe { sys::napi_get_reference_value(env.raw(), self.names, &mut names) })?;
        check(unsafe { sys::napi_set_element(env.raw(), names, index, value) })?;
        self.next.set(index + 1);
        Ok(index)
    }

    /// Hands `tape` to JavaScript: its numbers into the state's tape array (a larger one when
    /// they do not fit); returns its text as a string.
    fn hand_over(&self, env: &Env, tape: &Tape) -> Result<sys::napi_value> {
        let raw = env.raw();
        let (mut array, mut len, mut data) = (ptr::null_mut(), 0, ptr::null_mut());
        let (mut kind, mut buffer, mut offset) = (0, ptr::null_mut(), 0);
        check(unsafe { sys::napi_get_reference_value(raw, self.tape.get(), &mut array) })?;
        check(unsafe {
            sys::napi_get_typedarray_info(
                raw,
                array,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        })?;
        let n = tape.slots.len();
        if kind != sys::TypedarrayType::float64_array || len < n || data.is_null() {
            data = self.grow(env, n.max(2 * len))?;
        }
        // SAFETY: `data` holds at least `n` f64 (a Float64Array's data is 8-byte aligned), and
        // nothing else refers to the slots' memory.
        unsafe { ptr::copy_nonoverlapping(tape.slots.as_ptr(), data.cast::<f64>(), n) };
        let mut text = ptr::null_mut();
        let (p, bytes) = (tape.text.as_ptr().cast(), tape.text.len() as isize);
        check(unsafe {
            if tape.units == tape.text.len() {
                sys::napi_create_string_latin1(raw, p, bytes, &mut text)
            } else {
                sys::napi_create_string_utf8(raw, p, bytes, &mut text)
            }
        })?;
        Ok(text)
    }

    /// Replaces the state's tape by a new one of `n` numbers; its data.
    fn grow(&self, env: &Env, n: usize) -> Result<*mut std::ffi::c_void> {
        let raw = env.raw();
        let (mut buffer, mut data, mut array, mut state) = (
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        let (mut array_ref, old) = (ptr::null_mut(), self.tape.get());
        check(unsafe { sys::napi_create_arraybuffer(raw, 8 * n, &mut data, &mut buffer) })?;
        check(unsafe {
            sys::napi_create_typedarray(
                raw,
                sys::TypedarrayType::float64_array,
                n,
                buffer,
                0,
                &mut array,
            )
        })?;
        check(unsafe { sys::napi_get_reference_value(raw, self.state, &mut state) })?;
        check(unsafe { sys::napi_set_named_property(raw, state, TAPE_PROPERTY.as_ptr(), array) })?;
        check(unsafe { sys::napi_create_reference(raw, array, 1, &mut array_ref) })?;
        self.tape.set(array_ref);
        check(unsafe { sys::napi_delete_reference(raw, old) })?;
        Ok(data)
    }
}

impl Drop for Strings {
    fn drop(&mut self) {
        // SAFETY: the owner (`JsFunctions`) is dropped on the JS thread of `env`.
        unsafe {
            sys::napi_delete_reference(self.env, self.tape.get());
            sys::napi_delete_reference(self.env, self.names);
            sys::napi_delete_reference(self.env, self.state);
        }
    }
}

/// A JS string of `s` (ASCII copied as Latin-1, without decoding).
fn string(env: &Env, s: &str) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    let (p, len) = (s.as_ptr().cast(), s.len() as isize);
    // SAFETY: `env` is the live env of the current call; `s` outlives the call.
    check(unsafe {
        if s.is_ascii() {
            sys::napi_create_string_latin1(env.raw(), p, len, &mut out)
        } else {
            sys::napi_create_string_utf8(env.raw(), p, len, &mut out)
        }
    })?;
    Ok(out)
}

/// Calls `f(args...)`. A JS exception stays pending (the caller returns it or clears it).
pub fn call(env: &Env, f: &JsFunction, args: &[sys::napi_value]) -> Result<sys::napi_value> {
    let raw = env.raw();
    let f = f.borrow_back(env)?.raw();
    let (mut undefined, mut out) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: `raw` is the live env of the current call; the values are live during it.
    check(unsafe { sys::napi_get_undefined(raw, &mut undefined) })?;
    check(unsafe {
        sys::napi_call_function(raw, undefined, f, args.len(), args.as_ptr(), &mut out)
    })?;
    Ok(out)
}

/// Clears the pending JS exception, if any (its text may quote a record: it is dropped).
pub fn clear_exception(env: &Env) {
    let mut e = ptr::null_mut();
    // SAFETY: as above; clearing when nothing is pending is a no-op.
    unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut e) };
}

/// The text of a verification of `v` (see the module doc), its tape in the state's array.
pub fn verification(env: &Env, strings: &Strings, v: &Verification) -> Result<sys::napi_value> {
    write(env, strings, v.is_accepted(), |b| {
        let r = v.record();
        b.tape.raw(if v.is_accepted() { 1.0 } else { 0.0 });
        if stringify_is_canonical(r) {
            b.tape.null();
        } else {
            b.tape.string(&r.to_json());
        }
        let claims = match v.claims() {
            Some(c) => {
                let entries = c.iter().map(|(k, v)| (k.as_str(), v));
                b.members(CLAIMS, entries, false, true, &mut Shared::none())
            }
            None => {
                b.tape.null();
                Vec::new()
            }
        };
        b.record(r, &claims);
    })
}

/// The text of record `r` alone, its tape in the state's array.
pub fn record(env: &Env, strings: &Strings, r: &AuditRecord) -> Result<sys::napi_value> {
    write(env, strings, r.is_accepted(), |b| b.record(r, &[]))
}

/// The text of the verified claims of an accepted verification (else `null`), its tape in the
/// state's array.
pub fn claims(env: &Env, strings: &Strings, v: &Verification) -> Result<sys::napi_value> {
    write(env, strings, v.is_accepted(), |b| match v.claims() {
        Some(c) => {
            let entries = c.iter().map(|(k, v)| (k.as_str(), v));
            b.members(CLAIMS, entries, false, true, &mut Shared::none());
        }
        None => b.tape.null(),
    })
}

/// Writes a tape with `f` and hands it over.
fn write(
    env: &Env,
    strings: &Strings,
    trusted: bool,
    f: impl FnOnce(&mut Builder<'_>),
) -> Result<sys::napi_value> {
    let mut b = Builder {
        env,
        tape: Tape::take(),
        strings,
        trusted,
    };
    f(&mut b);
    let text = strings.hand_over(env, &b.tape);
    b.tape.put();
    text
}

/// Whether `JSON.stringify` of the record object writes exactly [`AuditRecord::to_json`]'s text,
/// so that `recordJson` can be made from the object on demand. Both write keys in the same order
/// unless an object has an array-index key (JS puts those first), and the same numbers unless one
/// is a float (`2.0` becomes `2`) or an integer beyond 2^53 (rounded); strings are escaped alike
/// (both write `"` `\` and controls as `\b` `\t` `\n` `\f` `\r` or lowercase
/// `\u00xx`; nothing else).
fn stringify_is_canonical(r: &AuditRecord) -> bool {
    fn plain(v: &Value) -> bool {
        const MAX_SAFE: u64 = (1 << 53) - 1;
        match v {
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u <= MAX_SAFE,
                (_, Some(i)) => i.unsigned_abs() <= MAX_SAFE,
                _ => false,
            },
            Value::Array(items) => items.iter().all(plain),
            Value::Object(map) => map.iter().all(|(k, v)| !is_array_index(k) && plain(v)),
            Value::Null | Value::Bool(_) | Value::String(_) => true,
        }
    }
    let t = &r.token;
    [&t.jti, &t.iss, &t.aud, &t.iat, &t.nbf, &t.exp]
        .into_iter()
        .flatten()
        .all(plain)
        && r.claims
            .values
            .iter()
            .all(|(k, v)| !is_array_index(k) && plain(v))
}

/// A canonical array index (`0` to `4294967294`, no leading zero): JS orders such keys first.
fn is_array_index(k: &str) -> bool {
    k.len() <= 10
        && k.bytes().all(|b| b.is_ascii_digit())
        && (k == "0" || !k.starts_with('0'))
        && k.parse::<u64>().is_ok_and(|n| n < u64::from(u32::MAX))
}

/// A primitive claim value made in this call: later values of the same claim equal to it cross
/// as a reference to it.
#[derive(Clone, Copy)]
struct Made<'a> {
    name: &'a str,
    value: &'a Value,
    index: u32,
}

/// Walks values made earlier in this call (sorted by name) along with claims asked for in name
/// order: a later value equal to one made for the same claim crosses as a reference to it.
#[derive(Clone, Copy)]
struct Cursor<'m, 'a> {
    made: &'m [Made<'a>],
    at: usize,
}

impl<'m, 'a> Cursor<'m, 'a> {
    fn new(made: &'m [Made<'a>]) -> Self {
        Self { made, at: 0 }
    }

    /// The index of the value made for claim `name` if it is `v` (`name` not before the
    /// previous one). A record shares its claims' names and values with the payload: equal
    /// pointers, mostly.
    fn find(&mut self, name: &str, v: &Value) -> Option<u32> {
        while let Some(m) = self.made.get(self.at) {
            let order = if ptr::eq(m.name, name) {
                Ordering::Equal
            } else {
                m.name.cmp(name)
            };
            match order {
                Ordering::Less => self.at += 1,
                Ordering::Equal => return (ptr::eq(m.value, v) || m.value == v).then_some(m.index),
                Ordering::Greater => return None,
            }
        }
        None
    }
}

/// Values made earlier that later ones may refer to: the claims object's, the token fields'.
struct Shared<'m, 'a>([Cursor<'m, 'a>; 2]);

impl Shared<'_, '_> {
    fn none() -> Self {
        Self([Cursor::new(&[]); 2])
    }

    fn find(&mut self, name: &str, v: &Value) -> Option<u32> {
        let [a, b] = &mut self.0;
        a.find(name, v).or_else(|| b.find(name, v))
    }
}

/// Writes the tape of one verification.
struct Builder<'s> {
    env: &'s Env,
    tape: Tape,
    strings: &'s Strings,
    /// Whether the token was accepted: its claim names and header values may be kept.
    trusted: bool,
}

impl Builder<'_> {
    /// A string value that may be (or be made) a kept string when `keep`.
    fn name_value(&mut self, s: &str, keep: bool) {
        match self.strings.name(self.env, s, keep).0 {
            Name::Kept(index) => self.tape.kept(index),
            Name::Text => {
                self.tape.string(s);
            }
        }
    }

    /// A kept string (enum names, the verifier's name...).
    fn name(&mut self, s: &str) {
        self.name_value(s, true);
    }

    /// A header value, kept only when the token was accepted.
    fn header(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.name_value(s, self.trusted),
            None => self.tape.null(),
        }
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.tape.string(s);
            }
            None => self.tape.null(),
        }
    }

    fn strings<'x>(&mut self, items: impl ExactSizeIterator<Item = &'x str>) {
        self.tape.raw(tag::ARRAY);
        self.tape.count(items.len());
        for s in items {
            self.tape.string(s);
        }
    }

    /// A member name; whether it is named as an inherited property.
    fn key(&mut self, k: &str, keep: bool) -> bool {
        let (name, inherited) = self.strings.name(self.env, k, keep);
        match name {
            Name::Kept(index) => self.tape.kept(index),
            Name::Text => self.tape.key_string(k),
        }
        inherited
    }

    /// A JSON value as `JSON.parse` returns it; its index among the values made when it is a
    /// string or a number. `canonical`: object keys in the order of the record's canonical JSON
    /// (claims inside a record), else in the map's order.
    fn value(&mut self, v: &Value, canonical: bool) -> Option<u32> {
        match v {
            Value::Null => self.tape.null(),
            Value::Bool(b) => self.tape.bool(*b),
            // Every JSON number is a double in JS (JSON.parse rounds integers beyond 2^53 alike).
            Value::Number(n) => return Some(self.tape.number(n.as_f64().unwrap_or(f64::NAN))),
            Value::String(s) => return Some(self.tape.string(s)),
            Value::Array(items) => {
                self.tape.raw(tag::ARRAY);
                self.tape.count(items.len());
                for item in items {
                    self.value(item, canonical);
                }
            }
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                if canonical {
                    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                }
                self.object(
                    entries.into_iter().map(|(k, v)| (k.as_str(), v)),
                    canonical,
                    false,
                );
            }
        }
        None
    }

    /// An object of these members, their names kept when `keep`.
    fn object<'a>(
        &mut self,
        entries: impl ExactSizeIterator<Item = (&'a str, &'a Value)>,
        canonical: bool,
        keep: bool,
    ) {
        let at = self.tape.slots.len();
        self.tape.raw(tag::OBJECT);
        self.tape.count(entries.len());
        for (k, v) in entries {
            if self.key(k, keep) {
                self.tape.slots[at] = tag::OBJECT_DEFINE;
            }
            self.value(v, canonical);
        }
    }

    /// A claims object of these members, with a shape when kept (kept now when `keep`): `kind`,
    /// [`CLAIMS`] or [`RECORD_CLAIMS`]. Values made earlier (`shared`) cross as a reference.
    /// Returns the primitive values made, sorted by name.
    fn members<'a>(
        &mut self,
        kind: usize,
        entries: impl ExactSizeIterator<Item = (&'a str, &'a Value)> + Clone,
        canonical: bool,
        keep: bool,
        shared: &mut Shared<'_, 'a>,
    ) -> Vec<Made<'a>> {
        let names = entries.clone().map(|(k, _)| k);
        let shape = self.strings.shape(self.env, kind, names, keep);
        let at = self.tape.slots.len();
        match shape {
            Some(index) => {
                self.tape.raw(tag::SHAPED);
                self.tape.raw(f64::from(index));
            }
            None => {
                self.tape.raw(tag::OBJECT);
                self.tape.count(entries.len());
            }
        }
        let mut made = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            if shape.is_none() && self.key(k, keep) {
                self.tape.slots[at] = tag::OBJECT_DEFINE;
            }
            let index = match shared.find(k, v) {
                Some(index) => {
                    self.tape.same(index);
                    Some(index)
                }
                None => self.value(v, canonical),
            };
            if let Some(index) = index {
                made.push(Made {
                    name: k,
                    value: v,
                    index,
                });
            }
        }
        if !made.is_sorted_by(|a, b| a.name < b.name) {
            made.sort_unstable_by(|a, b| a.name.cmp(b.name));
        }
        made
    }

    /// The record's fields, in the order of the module doc. `claims`: the values made for the
    /// claims object, sorted by name.
    fn record<'a>(&mut self, r: &'a AuditRecord, claims: &[Made<'a>]) {
        let AuditRecord {
            schema,
            id,
            time_ms,
            duration_us,
            event,
            outcome,
            severity,
            failure,
            token,
            claims: ClaimsInfo { values, dropped },
            request,
            authz,
            verifier,
        } = r;
        let TokenInfo {
            fingerprint,
            alg,
            kid,
            typ,
            size,
            trusted,
            jti,
            iss,
            aud,
            iat,
            nbf,
            exp,
        } = token;
        let RequestContext {
            correlation_id,
            client_ip,
            method,
            path,
            user_agent,
        } = request;
        let VerifierInfo { name, version } = verifier;
        self.name(schema);
        self.tape.string(id);
        // `index.js` formats it: core's clock (system or `now`) stays in years 1970-9999, where
        // `Date#toISOString` writes core's RFC 3339 text.
        self.tape.raw(*time_ms as f64);
        self.tape.raw(*duration_us as f64);
        self.name(event.as_str());
        self.name(outcome.as_str());
        self.name(severity.as_str());
        self.failure(failure.as_ref());
        self.opt_str(fingerprint.as_deref());
        self.header(alg.as_deref());
        self.header(kid.as_deref());
        self.header(typ.as_deref());
        self.tape.raw(*size as f64);
        self.tape.raw(if *trusted { 1.0 } else { 0.0 });
        // The token fields, each shared with an equal claim value made before (looked up in
        // name order), then written in field order.
        let by_name = [
            ("aud", aud),
            ("exp", exp),
            ("iat", iat),
            ("iss", iss),
            ("jti", jti),
            ("nbf", nbf),
        ];
        let mut earlier = Cursor::new(claims);
        let found = by_name.map(|(name, v)| v.as_ref().and_then(|v| earlier.find(name, v)));
        let mut token = Vec::with_capacity(by_name.len());
        for i in [4, 3, 0, 2, 5, 1] {
            let (name, v) = by_name[i];
            match (v, found[i]) {
                (None, _) => self.tape.null(),
                (Some(_), Some(index)) => self.tape.same(index),
                (Some(v), None) => {
                    if let Some(index) = self.value(v, true) {
                        token.push(Made {
                            name,
                            value: v,
                            index,
                        });
                    }
                }
            }
        }
        token.sort_unstable_by(|a, b| a.name.cmp(b.name));
        // The record's claim names come from the redaction policy (a bounded set): kept.
        let mut shared = Shared([Cursor::new(claims), Cursor::new(&token)]);
        self.members(RECORD_CLAIMS, values.iter(), true, true, &mut shared);
        self.tape.raw(tag::ARRAY);
        self.tape.count(dropped.len());
        for name in dropped {
            self.name_value(name, false);
        }
        for s in [correlation_id, client_ip, method, path, user_agent] {
            self.opt_str(s.as_deref());
        }
        self.authz(authz.as_ref());
        self.name(name);
        self.name(version);
    }

    fn failure(&mut self, f: Option<&Failure>) {
        let Some(Failure {
            kind,
            step,
            detail,
            also,
        }) = f
        else {
            return self.tape.null();
        };
        self.tape.bool(true);
        self.name(kind.as_str());
        self.name(step.as_str());
        self.tape.string(detail);
        self.tape.count(also.len());
        for FailedCheck { kind, step, detail } in also {
            self.name(kind.as_str());
            self.name(step.as_str());
            self.tape.string(detail);
        }
    }

    fn authz(&mut self, a: Option<&AuthzInfo>) {
        let Some(AuthzInfo {
            required,
            granted,
            decision,
        }) = a
        else {
            return self.tape.null();
        };
        self.tape.bool(true);
        for Grants { scopes, roles } in [required, granted] {
            self.strings(scopes.iter().map(String::as_str));
            self.strings(roles.iter().map(String::as_str));
        }
        self.name(decision.as_str());
    }
}
