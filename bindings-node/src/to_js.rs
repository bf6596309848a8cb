//! Verifications, records and claims as JavaScript values, built through N-API.
//!
//! `JSON.parse` of a record's JSON text costs about as much as the core's whole verification of
//! an HS256 token, and building the record property by property through N-API costs more. So a
//! record crosses as the arguments of one call to a JavaScript factory (`fromNative` in
//! `index.js`), which builds it from object literals (V8 creates those from a precomputed shape).
//! Claim objects, whose keys are only known at run time, travel as trailing key/value arguments
//! that the factory stores into plain objects. What keeps the N-API calls few and cheap:
//! - ASCII strings (nearly all of a record) are created as Latin-1, without UTF-8 decoding;
//! - names that recur in every record are kept in a JS array across calls and passed as their
//!   index in it ([`Strings`]);
//! - a primitive claim value is made once per call and shared by the claims object, the record's
//!   claims and its token fields (JS strings and numbers are immutable; objects and arrays are
//!   made per use, as `JSON.parse` does);
//! - `null` is fetched once per call, small integers are made as such (no heap number).
//!
//! The objects hold exactly what `JSON.parse` of [`AuditRecord::to_json`] holds, in the same key
//! order: the tests compare both on every shared vector, and `Builder::record` destructures the
//! record without `..`, so a field added in core does not compile here until it is handed over.

use jwt_audit::record::VerifierInfo;
use jwt_audit::record::{
    AuthzInfo, ClaimNames, ClaimsInfo, FailedCheck, Failure, Grants, TokenInfo,
};
use jwt_audit::{AuditRecord, RequestContext, Verification};
use napi::bindgen_prelude::{FunctionRef, ToNapiValue, TypeName, ValueType};
use napi::{Env, Error, JsValue, Result, Status, sys};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};
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

/// Claim objects with more members than this (over all trailing arguments of one call) are built
/// here instead of by the factory: a JS call's arguments live on the stack.
const MAX_TRAILING_ARGS: usize = 4096;

thread_local! {
    /// The record's canonical JSON, written into a buffer reused across calls.
    static JSON: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Creates JavaScript values in the environment of the current call.
#[derive(Clone, Copy)]
pub struct Js(sys::napi_env);

// SAFETY (every `unsafe` block of this impl): `self.0` is the live env of the current call on the
// JS thread; the pointers passed in outlive each call and the out-pointers are valid.
impl Js {
    pub fn new(env: &Env) -> Self {
        Self(env.raw())
    }

    pub fn null(self) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_get_null(self.0, &mut out) })?;
        Ok(out)
    }

    fn bool(self, b: bool) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_get_boolean(self.0, b, &mut out) })?;
        Ok(out)
    }

    /// A JS number (a small integer when it is one: no heap number).
    fn number(self, n: f64) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        let small = n as i32;
        check(unsafe {
            if f64::from(small) == n && (small != 0 || n.is_sign_positive()) {
                sys::napi_create_int32(self.0, small, &mut out)
            } else {
                sys::napi_create_double(self.0, n, &mut out)
            }
        })?;
        Ok(out)
    }

    /// A string from UTF-8 text; ASCII is copied as Latin-1, without decoding.
    fn text(self, b: &[u8]) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        let (p, len) = (b.as_ptr().cast(), b.len() as isize);
        check(unsafe {
            if b.is_ascii() {
                sys::napi_create_string_latin1(self.0, p, len, &mut out)
            } else {
                sys::napi_create_string_utf8(self.0, p, len, &mut out)
            }
        })?;
        Ok(out)
    }

    pub fn str(self, s: &str) -> Result<sys::napi_value> {
        self.text(s.as_bytes())
    }

    fn array(self, items: &[sys::napi_value]) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_create_array_with_length(self.0, items.len(), &mut out) })?;
        for (i, &item) in items.iter().enumerate() {
            check(unsafe { sys::napi_set_element(self.0, out, i as u32, item) })?;
        }
        Ok(out)
    }

    /// A plain object with these own data properties in this order, defined as `JSON.parse`
    /// does (a `__proto__` key is an ordinary property).
    fn object(
        self,
        members: impl IntoIterator<Item = (sys::napi_value, sys::napi_value)>,
    ) -> Result<sys::napi_value> {
        let mut obj = ptr::null_mut();
        check(unsafe { sys::napi_create_object(self.0, &mut obj) })?;
        let props: Vec<_> = members
            .into_iter()
            .map(|(name, value)| sys::napi_property_descriptor {
                utf8name: ptr::null(),
                name,
                method: None,
                getter: None,
                setter: None,
                value,
                attributes: sys::PropertyAttributes::writable
                    | sys::PropertyAttributes::enumerable
                    | sys::PropertyAttributes::configurable,
                data: ptr::null_mut(),
            })
            .collect();
        check(unsafe { sys::napi_define_properties(self.0, obj, props.len(), props.as_ptr()) })?;
        Ok(obj)
    }

    /// Calls `f(args...)`. A JS exception stays pending (the caller returns it or clears it).
    pub fn call(self, f: &JsFunction, args: &[sys::napi_value]) -> Result<sys::napi_value> {
        let env = Env::from_raw(self.0);
        let f = f.borrow_back(&env)?.raw();
        let mut undefined = ptr::null_mut();
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_get_undefined(self.0, &mut undefined) })?;
        check(unsafe {
            sys::napi_call_function(self.0, undefined, f, args.len(), args.as_ptr(), &mut out)
        })?;
        Ok(out)
    }

    /// Clears the pending JS exception, if any (its text may quote a record: it is dropped).
    pub fn clear_exception(self) {
        let mut e = ptr::null_mut();
        // SAFETY: as above; clearing when nothing is pending is a no-op.
        unsafe { sys::napi_get_and_clear_last_exception(self.0, &mut e) };
    }
}

/// Strings kept across the calls of one verifier in a JS array (`names` in `index.js`), and
/// passed to the factory as their index in it: the names that recur in every record (core's enum
/// names, the schema, the verifier's name and version) and the claim names and header values of
/// accepted tokens (signed by a trusted key: a small, stable set). Creating a string costs an
/// allocation, and V8 then looks a claim name up in its string table when it becomes a property
/// key; a kept string is created once and internalised once, and an index is a small integer.
/// Bounded: strings from tokens that were not accepted are looked up, never added.
pub struct Strings {
    env: sys::napi_env,
    /// A reference to the JS array of the kept strings and shapes.
    names: sys::napi_ref,
    /// The next free index in `names`.
    next: Cell<u32>,
    kept: RefCell<FxHashMap<Box<str>, Kept>>,
    shapes: RefCell<Vec<Shape>>,
    /// The shape used last for each kind of claims object ([`CLAIMS`], [`RECORD_CLAIMS`]).
    last_shape: [Cell<usize>; 2],
    /// The property names a plain object inherits (`Object.prototype`'s, from `index.js`): the
    /// factory assigns claims, so a claims object with such a member is built here instead,
    /// with own properties as `JSON.parse` makes them (`__proto__` included).
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

impl Strings {
    pub fn new(env: &Env, inherited: Vec<String>) -> Result<Self> {
        let (mut names, mut r) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: `env` is the live env of the current call; the out-pointers are valid.
        check(unsafe { sys::napi_create_array(env.raw(), &mut names) })?;
        check(unsafe { sys::napi_create_reference(env.raw(), names, 1, &mut r) })?;
        Ok(Self {
            env: env.raw(),
            names: r,
            next: Cell::new(0),
            kept: RefCell::default(),
            shapes: RefCell::default(),
            last_shape: [Cell::new(usize::MAX), Cell::new(usize::MAX)],
            inherited: inherited.into_iter().map(String::into_boxed_str).collect(),
        })
    }

    /// `s` for the factory: its index among the kept strings, or the string (then kept when
    /// `keep` and there is room).
    fn get(&self, js: Js, s: &str, keep: bool) -> Result<sys::napi_value> {
        self.key(js, s, keep).map(|(value, _)| value)
    }

    /// [`Self::get`], and whether a plain object inherits a property named `s`.
    fn key(&self, js: Js, s: &str, keep: bool) -> Result<(sys::napi_value, bool)> {
        let mut kept = self.kept.borrow_mut();
        if let Some(k) = kept.get(s) {
            return Ok((js.number(f64::from(k.index))?, k.inherited));
        }
        let value = js.str(s)?;
        let inherited = self.inherited.contains(s);
        if keep && s.len() <= MAX_KEPT_LEN && kept.len() < MAX_KEPT {
            let index = self.add(js, value)?;
            kept.insert(s.into(), Kept { index, inherited });
        }
        Ok((value, inherited))
    }

    /// The index in `names` of the shape of a claims object of this `kind` with these member
    /// names, if kept (added when `keep`, there is room and no name is inherited).
    fn shape<'k>(
        &self,
        js: Js,
        kind: usize,
        names: impl ExactSizeIterator<Item = &'k str> + Clone,
        keep: bool,
    ) -> Result<Option<u32>> {
        let n = names.len();
        let same = |shape: &Shape| {
            shape.keys.len() == n && names.clone().zip(&shape.keys).all(|(a, b)| a == &**b)
        };
        let mut shapes = self.shapes.borrow_mut();
        let last = self.last_shape[kind].get();
        if let Some(shape) = shapes.get(last).filter(|s| same(s)) {
            return Ok(Some(shape.index));
        }
        if let Some(at) = shapes.iter().position(same) {
            self.last_shape[kind].set(at);
            return Ok(Some(shapes[at].index));
        }
        let fits = keep && (1..=MAX_SHAPE_KEYS).contains(&n) && shapes.len() < MAX_SHAPES;
        if !fits || names.clone().any(|k| self.inherited.contains(k)) {
            return Ok(None);
        }
        let keys = names
            .clone()
            .map(|k| js.str(k))
            .collect::<Result<Vec<_>>>()?;
        let index = self.add(js, js.array(&keys)?)?;
        self.last_shape[kind].set(shapes.len());
        shapes.push(Shape {
            keys: names.map(Box::from).collect(),
            index,
        });
        Ok(Some(index))
    }

    /// Appends `value` to `names`; its index.
    fn add(&self, js: Js, value: sys::napi_value) -> Result<u32> {
        let index = self.next.get();
        // SAFETY: the array and `value` are values of this env, live during this call.
        check(unsafe { sys::napi_set_element(js.0, self.names(js)?, index, value) })?;
        self.next.set(index + 1);
        Ok(index)
    }

    /// The array of kept strings (the factory's first argument).
    fn names(&self, js: Js) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: `self.names` is live until drop; `js` is the env it was created in.
        check(unsafe { sys::napi_get_reference_value(js.0, self.names, &mut out) })?;
        Ok(out)
    }
}

impl Drop for Strings {
    fn drop(&mut self) {
        // SAFETY: the owner (`JsFunctions`) is dropped on the JS thread of `env`.
        unsafe { sys::napi_delete_reference(self.env, self.names) };
    }
}

/// The factory's leading arguments (`names, ok, recordJson, claims`) and the record's fields that
/// follow them (see `fromNative`); the key/value pairs of claim objects come after those.
const HEAD: usize = 4;
const RECORD_FIELDS: usize = 33;

/// The JS `Verification` of `v`, made by `factory`: `ok`, the record's JSON text, the verified
/// claims (or `null`) and the record.
pub fn verification(
    env: &Env,
    strings: &Strings,
    factory: &JsFunction,
    v: &Verification,
) -> Result<sys::napi_value> {
    let b = Builder::new(Js::new(env), strings, v.is_accepted())?;
    let claims = v.claims();
    let mut args = b.args(v.record(), claims.map_or(0, Map::len));
    let record_json = if stringify_is_canonical(v.record()) {
        b.null
    } else {
        JSON.with_borrow_mut(|buf| {
            buf.clear();
            v.record().write_json_line(buf);
            buf.pop(); // the newline
            b.js.text(buf)
        })?
    };
    let (claims, made) = match claims {
        Some(claims) => b.members(
            &mut args,
            CLAIMS,
            claims.iter().map(|(k, v)| (k.as_str(), v)),
            false,
            true,
            &[],
        )?,
        None => (b.null, Vec::new()),
    };
    let head = [
        strings.names(b.js)?,
        b.js.bool(v.is_accepted())?,
        record_json,
        claims,
    ];
    args[..HEAD].copy_from_slice(&head);
    b.record(&mut args, v.record(), &made)?;
    b.js.call(factory, &args)
}

/// Whether `JSON.stringify` of the record object writes exactly [`AuditRecord::to_json`]'s text,
/// so that `recordJson` can be made from the object when asked for (writing the JSON costs more
/// than the rest of the handoff). It does unless a claim in the record holds a number that JSON
/// text keeps and a JS number cannot (a float: `2.0`, `1e21`; an integer beyond 2^53), or an
/// object has an array-index key (JS puts those first; core sorts all keys as text). Strings
/// are escaped alike by both (`"`, `\`, controls as `\b` `\t` `\n` `\f` `\r` or lowercase
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

/// The record alone (the factory called with `null` for `ok`, the JSON and the claims).
pub fn record(
    env: &Env,
    strings: &Strings,
    factory: &JsFunction,
    r: &AuditRecord,
) -> Result<sys::napi_value> {
    let b = Builder::new(Js::new(env), strings, r.is_accepted())?;
    let mut args = b.args(r, 0);
    args[0] = strings.names(b.js)?;
    b.record(&mut args, r, &[])?;
    b.js.call(factory, &args)
}

/// The verified claims of an accepted verification, else `null`.
pub fn claims(env: &Env, strings: &Strings, v: &Verification) -> Result<sys::napi_value> {
    let b = Builder::new(Js::new(env), strings, v.is_accepted())?;
    match v.claims() {
        Some(c) => b.map(c, false),
        None => Ok(b.null),
    }
}

/// A primitive claim value made in this call, shared with equal values of the same claim made
/// later in the call (JS strings and numbers are immutable; objects and arrays are made per use,
/// as `JSON.parse` does).
struct Made<'a> {
    name: &'a str,
    value: &'a Value,
    made: sys::napi_value,
}

/// Walks values made earlier (sorted by name) along with claims asked for in name order.
struct Cursor<'m, 'a> {
    made: &'m [Made<'a>],
    at: usize,
}

impl<'m, 'a> Cursor<'m, 'a> {
    fn new(made: &'m [Made<'a>]) -> Self {
        Self { made, at: 0 }
    }

    /// The value made for claim `name` if it equals `v` (`name` not before the previous one).
    fn shared(&mut self, name: &str, v: &Value) -> Option<sys::napi_value> {
        while let Some(m) = self.made.get(self.at) {
            match m.name.cmp(name) {
                Ordering::Less => self.at += 1,
                Ordering::Equal => return (m.value == v).then_some(m.made),
                Ordering::Greater => return None,
            }
        }
        None
    }
}

/// Makes the JS values of one verification.
#[derive(Clone, Copy)]
struct Builder<'s> {
    js: Js,
    strings: &'s Strings,
    /// Whether the token was accepted: its claim names and header values may be kept.
    trusted: bool,
    null: sys::napi_value,
}

impl<'s> Builder<'s> {
    fn new(js: Js, strings: &'s Strings, trusted: bool) -> Result<Self> {
        Ok(Self {
            js,
            strings,
            trusted,
            null: js.null()?,
        })
    }

    /// The factory's arguments for `r` (and `claims` members), all `null` until filled.
    fn args(self, r: &AuditRecord, claims: usize) -> Vec<sys::napi_value> {
        let trailing = 2 * (claims + r.claims.values.len()) + r.claims.dropped.len();
        let mut args = Vec::with_capacity(HEAD + RECORD_FIELDS + trailing);
        args.resize(HEAD + RECORD_FIELDS, self.null);
        args
    }

    /// A kept string (enum names, the verifier's name...) or its index, for the factory.
    fn name(self, s: &str) -> Result<sys::napi_value> {
        self.strings.get(self.js, s, true)
    }

    /// A header value for the factory, kept only when the token was accepted.
    fn header(self, s: Option<&str>) -> Result<sys::napi_value> {
        s.map_or(Ok(self.null), |s| {
            self.strings.get(self.js, s, self.trusted)
        })
    }

    fn opt_str(self, s: Option<&str>) -> Result<sys::napi_value> {
        s.map_or(Ok(self.null), |s| self.js.str(s))
    }

    fn strings(self, items: &[String]) -> Result<sys::napi_value> {
        let items = items
            .iter()
            .map(|s| self.js.str(s))
            .collect::<Result<Vec<_>>>()?;
        self.js.array(&items)
    }

    /// A JSON value as `JSON.parse` returns it. `canonical`: object keys in the order of the
    /// record's canonical JSON (claims inside a record), else in the map's order.
    fn value(self, v: &Value, canonical: bool) -> Result<sys::napi_value> {
        match v {
            Value::Null => Ok(self.null),
            Value::Bool(b) => self.js.bool(*b),
            // Every JSON number is a double in JS (JSON.parse rounds integers beyond 2^53 alike).
            Value::Number(n) => self.js.number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => self.js.str(s),
            Value::Array(items) => {
                let items = items
                    .iter()
                    .map(|x| self.value(x, canonical))
                    .collect::<Result<Vec<_>>>()?;
                self.js.array(&items)
            }
            Value::Object(map) => self.map(map, canonical),
        }
    }

    fn map(self, map: &Map<String, Value>, canonical: bool) -> Result<sys::napi_value> {
        let mut entries: Vec<_> = map.iter().collect();
        if canonical {
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        let members = entries
            .into_iter()
            .map(|(k, v)| Ok((self.js.str(k)?, self.value(v, canonical)?)))
            .collect::<Result<Vec<_>>>()?;
        self.js.object(members)
    }

    /// A claims object as a factory argument (returned), its members appended to `args`: `n`
    /// members as `n` key/value pairs; or `-n` members as a kept shape's index and `n` values;
    /// or the object itself, when it has too many members or one named as an inherited property.
    /// `kind`: [`CLAIMS`] or [`RECORD_CLAIMS`]; `keep`: the claim names may be kept. Values equal
    /// to one in `earlier` (sorted by name) are shared. Also returns the primitive values made,
    /// sorted by name (none when the entries do not come sorted).
    fn members<'a>(
        self,
        args: &mut Vec<sys::napi_value>,
        kind: usize,
        entries: impl ExactSizeIterator<Item = (&'a str, &'a Value)> + Clone,
        canonical: bool,
        keep: bool,
        earlier: &[Made<'a>],
    ) -> Result<(sys::napi_value, Vec<Made<'a>>)> {
        let (start, n) = (args.len(), entries.len());
        if start - HEAD - RECORD_FIELDS + 2 * n > MAX_TRAILING_ARGS {
            return Ok((self.object_of(entries, canonical)?, Vec::new()));
        }
        let names = entries.clone().map(|(k, _)| k);
        let shape = self.strings.shape(self.js, kind, names, keep)?;
        if let Some(index) = shape {
            args.push(self.js.number(f64::from(index))?);
        }
        let mut earlier = Cursor::new(earlier);
        let mut made: Vec<Made<'a>> = Vec::with_capacity(n);
        let mut sorted = true;
        for (k, v) in entries.clone() {
            if shape.is_none() {
                let (key, inherited) = self.strings.key(self.js, k, keep)?;
                if inherited {
                    args.truncate(start);
                    return Ok((self.object_of(entries, canonical)?, Vec::new()));
                }
                args.push(key);
            }
            let value = match earlier.shared(k, v) {
                Some(value) => value,
                None => self.value(v, canonical)?,
            };
            args.push(value);
            if !matches!(v, Value::Array(_) | Value::Object(_)) {
                sorted &= made.last().is_none_or(|m| m.name < k);
                made.push(Made {
                    name: k,
                    value: v,
                    made: value,
                });
            }
        }
        if !sorted {
            made.clear();
        }
        let count = if shape.is_some() {
            -(n as f64)
        } else {
            n as f64
        };
        Ok((self.js.number(count)?, made))
    }

    /// A claims object built here (own data properties, as `JSON.parse` defines them).
    fn object_of<'a>(
        self,
        entries: impl Iterator<Item = (&'a str, &'a Value)>,
        canonical: bool,
    ) -> Result<sys::napi_value> {
        let members = entries
            .map(|(k, v)| Ok((self.js.str(k)?, self.value(v, canonical)?)))
            .collect::<Result<Vec<_>>>()?;
        self.js.object(members)
    }

    /// A token field (`iss`, ...), shared with the equal claim value made for the record.
    fn token_claim(
        self,
        made: &mut Cursor<'_, '_>,
        name: &str,
        v: &Option<Value>,
    ) -> Result<sys::napi_value> {
        match v {
            None => Ok(self.null),
            Some(v) => match made.shared(name, v) {
                Some(value) => Ok(value),
                None => self.value(v, true),
            },
        }
    }

    /// The names of the dropped claims as a factory argument (returned): their count, with the
    /// names appended to `args`.
    fn dropped(
        self,
        args: &mut Vec<sys::napi_value>,
        names: &ClaimNames,
    ) -> Result<sys::napi_value> {
        for name in names {
            args.push(self.strings.get(self.js, name, false)?);
        }
        self.js.number(names.len() as f64)
    }

    /// Fills the record's fields into `args` (in the order of `fromNative`'s parameters in
    /// `index.js`) and appends its claims' members. `claims`: the values made for the claims
    /// object, shared where equal.
    fn record<'a>(
        self,
        args: &mut Vec<sys::napi_value>,
        r: &'a AuditRecord,
        claims: &[Made<'a>],
    ) -> Result<()> {
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
        // The record's claim names come from the redaction policy (a bounded set): kept.
        let (values, made) =
            self.members(args, RECORD_CLAIMS, values.iter(), true, true, claims)?;
        let dropped = self.dropped(args, dropped)?;
        // In name order, along the record's claims.
        let mut made = Cursor::new(&made);
        let aud = self.token_claim(&mut made, "aud", aud)?;
        let exp = self.token_claim(&mut made, "exp", exp)?;
        let iat = self.token_claim(&mut made, "iat", iat)?;
        let iss = self.token_claim(&mut made, "iss", iss)?;
        let jti = self.token_claim(&mut made, "jti", jti)?;
        let nbf = self.token_claim(&mut made, "nbf", nbf)?;
        let [kind, step, detail, also] = self.failure(failure.as_ref())?;
        let fields: [sys::napi_value; RECORD_FIELDS] = [
            self.name(schema)?,
            self.js.str(id)?,
            // `fromNative` formats it: core's clock (system or `now`) stays in years 1970-9999,
            // where `Date#toISOString` writes core's RFC 3339 text.
            self.js.number(*time_ms as f64)?,
            self.js.number(*duration_us as f64)?,
            self.name(event.as_str())?,
            self.name(outcome.as_str())?,
            self.name(severity.as_str())?,
            kind,
            step,
            detail,
            also,
            self.opt_str(fingerprint.as_deref())?,
            self.header(alg.as_deref())?,
            self.header(kid.as_deref())?,
            self.header(typ.as_deref())?,
            self.js.number(*size as f64)?,
            self.js.bool(*trusted)?,
            jti,
            iss,
            aud,
            iat,
            nbf,
            exp,
            values,
            dropped,
            self.opt_str(correlation_id.as_deref())?,
            self.opt_str(client_ip.as_deref())?,
            self.opt_str(method.as_deref())?,
            self.opt_str(path.as_deref())?,
            self.opt_str(user_agent.as_deref())?,
            self.authz(authz.as_ref())?,
            self.name(name)?,
            self.name(version)?,
        ];
        args[HEAD..HEAD + RECORD_FIELDS].copy_from_slice(&fields);
        Ok(())
    }

    /// `kind, step, detail, also`: all `null` when accepted.
    fn failure(self, f: Option<&Failure>) -> Result<[sys::napi_value; 4]> {
        let Some(Failure {
            kind,
            step,
            detail,
            also,
        }) = f
        else {
            return Ok([self.null; 4]);
        };
        let also = also
            .iter()
            .map(|FailedCheck { kind, step, detail }| {
                self.js.object([
                    (self.js.str("kind")?, self.js.str(kind.as_str())?),
                    (self.js.str("step")?, self.js.str(step.as_str())?),
                    (self.js.str("detail")?, self.js.str(detail)?),
                ])
            })
            .collect::<Result<Vec<_>>>()?;
        Ok([
            self.name(kind.as_str())?,
            self.name(step.as_str())?,
            self.js.str(detail)?,
            self.js.array(&also)?,
        ])
    }

    fn authz(self, a: Option<&AuthzInfo>) -> Result<sys::napi_value> {
        let Some(AuthzInfo {
            required,
            granted,
            decision,
        }) = a
        else {
            return Ok(self.null);
        };
        let grants = |Grants { scopes, roles }: &Grants| {
            self.js.object([
                (self.js.str("scopes")?, self.strings(scopes)?),
                (self.js.str("roles")?, self.strings(roles)?),
            ])
        };
        self.js.object([
            (self.js.str("required")?, grants(required)?),
            (self.js.str("granted")?, grants(granted)?),
            (self.js.str("decision")?, self.js.str(decision.as_str())?),
        ])
    }
}
