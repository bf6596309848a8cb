//! Verifications, records and claims as JavaScript values, built through N-API.
//!
//! `JSON.parse` of a record's JSON text costs about as much as the core's whole verification of
//! an HS256 token, and building the record property by property through N-API costs more. So a
//! record crosses as the arguments of one call to a JavaScript factory (`fromNative` in
//! `index.js`), which builds it from object literals (V8 creates those from a precomputed shape).
//! Claim objects, whose keys are only known at run time, travel as trailing key/value arguments
//! that the factory stores into plain objects. Strings are created as Latin-1 when they are ASCII
//! (no UTF-8 decoding).
//!
//! The objects hold exactly what `JSON.parse` of [`AuditRecord::to_json`] holds, in the same key
//! order: the tests compare both on every shared vector, and [`Js::record_args`] destructures the
//! record without `..`, so a field added in core does not compile here until it is handed over.

use jwt_audit::record::VerifierInfo;
use jwt_audit::record::{AuthzInfo, ClaimsInfo, FailedCheck, Failure, Grants, TokenInfo};
use jwt_audit::{AuditRecord, RequestContext, Verification};
use napi::bindgen_prelude::{FunctionRef, ToNapiValue, TypeName, ValueType};
use napi::{Env, Error, JsValue, Result, Status, sys};
use serde_json::{Map, Value};
use std::cell::RefCell;
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

/// The arguments of one factory call: fixed ones, then the key/value pairs of claim objects.
struct Args {
    fixed: Vec<sys::napi_value>,
    trailing: Vec<sys::napi_value>,
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

    fn f64(self, n: f64) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_create_double(self.0, n, &mut out) })?;
        Ok(out)
    }

    /// A string from UTF-8 text; ASCII (nearly all of a record) is copied as Latin-1, undecoded.
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

    fn opt_str(self, s: Option<&str>) -> Result<sys::napi_value> {
        s.map_or_else(|| self.null(), |s| self.str(s))
    }

    fn array(self, items: &[sys::napi_value]) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_create_array_with_length(self.0, items.len(), &mut out) })?;
        for (i, &item) in items.iter().enumerate() {
            check(unsafe { sys::napi_set_element(self.0, out, i as u32, item) })?;
        }
        Ok(out)
    }

    fn strings(self, items: &[String]) -> Result<sys::napi_value> {
        let items = items
            .iter()
            .map(|s| self.str(s))
            .collect::<Result<Vec<_>>>()?;
        self.array(&items)
    }

    /// A plain object with these own data properties in this order, defined as `JSON.parse`
    /// does (a `__proto__` key is an ordinary property).
    fn object<'k>(
        self,
        members: impl IntoIterator<Item = (&'k str, sys::napi_value)>,
    ) -> Result<sys::napi_value> {
        let mut obj = ptr::null_mut();
        check(unsafe { sys::napi_create_object(self.0, &mut obj) })?;
        let props = members
            .into_iter()
            .map(|(k, value)| {
                Ok(sys::napi_property_descriptor {
                    utf8name: ptr::null(),
                    name: self.str(k)?,
                    method: None,
                    getter: None,
                    setter: None,
                    value,
                    attributes: sys::PropertyAttributes::writable
                        | sys::PropertyAttributes::enumerable
                        | sys::PropertyAttributes::configurable,
                    data: ptr::null_mut(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        check(unsafe { sys::napi_define_properties(self.0, obj, props.len(), props.as_ptr()) })?;
        Ok(obj)
    }

    /// A JSON value as `JSON.parse` returns it. `sorted`: object keys in the order of the
    /// record's canonical JSON (claims inside a record), else in the map's order.
    fn value(self, v: &Value, sorted: bool) -> Result<sys::napi_value> {
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            // Every JSON number is a double in JS (JSON.parse rounds integers beyond 2^53 alike).
            Value::Number(n) => self.f64(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => self.str(s),
            Value::Array(items) => {
                let items = items
                    .iter()
                    .map(|x| self.value(x, sorted))
                    .collect::<Result<Vec<_>>>()?;
                self.array(&items)
            }
            Value::Object(map) => self.map(map, sorted),
        }
    }

    fn map(self, map: &Map<String, Value>, sorted: bool) -> Result<sys::napi_value> {
        let mut entries: Vec<_> = map.iter().collect();
        if sorted {
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        self.members_object(entries, sorted)
    }

    fn members_object<'a>(
        self,
        entries: impl IntoIterator<Item = (&'a String, &'a Value)>,
        sorted: bool,
    ) -> Result<sys::napi_value> {
        let (keys, values): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
        let values = values
            .into_iter()
            .map(|v| self.value(v, sorted))
            .collect::<Result<Vec<_>>>()?;
        self.object(keys.into_iter().map(String::as_str).zip(values))
    }

    /// A claims object as factory arguments: its member count, the members as trailing
    /// key/value arguments; or, when too many, the object itself.
    fn members<'a>(
        self,
        args: &mut Args,
        entries: impl ExactSizeIterator<Item = (&'a String, &'a Value)>,
        sorted: bool,
    ) -> Result<()> {
        let n = entries.len();
        if args.trailing.len() + 2 * n > MAX_TRAILING_ARGS {
            args.fixed.push(self.members_object(entries, sorted)?);
            return Ok(());
        }
        args.fixed.push(self.f64(n as f64)?);
        for (k, v) in entries {
            args.trailing.push(self.str(k)?);
            args.trailing.push(self.value(v, sorted)?);
        }
        Ok(())
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

    /// The JS `Verification` of `v`, made by `factory`: `ok`, the record's JSON text, the
    /// verified claims (or `null`) and the record.
    pub fn verification(self, factory: &JsFunction, v: &Verification) -> Result<sys::napi_value> {
        let mut args = Args {
            fixed: Vec::with_capacity(40),
            trailing: Vec::with_capacity(40),
        };
        args.fixed.push(self.bool(v.is_accepted())?);
        args.fixed.push(self.record_json(v.record())?);
        match v.claims() {
            Some(claims) => self.members(&mut args, claims.iter(), false)?,
            None => args.fixed.push(self.null()?),
        }
        self.record_args(v.record(), &mut args)?;
        args.fixed.append(&mut args.trailing);
        self.call(factory, &args.fixed)
    }

    /// The record alone (the factory called with `null` for `ok`, the JSON and the claims).
    pub fn record(self, factory: &JsFunction, r: &AuditRecord) -> Result<sys::napi_value> {
        let null = self.null()?;
        let mut args = Args {
            fixed: Vec::with_capacity(40),
            trailing: Vec::with_capacity(20),
        };
        args.fixed.extend([null, null, null]);
        self.record_args(r, &mut args)?;
        args.fixed.append(&mut args.trailing);
        self.call(factory, &args.fixed)
    }

    /// The verified claims of an accepted verification, else `null`.
    pub fn claims(self, v: &Verification) -> Result<sys::napi_value> {
        v.claims()
            .map_or_else(|| self.null(), |c| self.map(c, false))
    }

    /// [`AuditRecord::to_json`]'s text, written into a reused buffer.
    fn record_json(self, r: &AuditRecord) -> Result<sys::napi_value> {
        JSON.with_borrow_mut(|buf| {
            buf.clear();
            r.write_json_line(buf);
            buf.pop(); // the newline
            self.text(buf)
        })
    }

    /// The record's fields, in the order of `fromNative`'s parameters in `index.js`.
    fn record_args(self, r: &AuditRecord, args: &mut Args) -> Result<()> {
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
            claims,
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
        let ClaimsInfo { values, dropped } = claims;
        let RequestContext {
            correlation_id,
            client_ip,
            method,
            path,
            user_agent,
        } = request;
        let VerifierInfo { name, version } = verifier;
        let claim = |v: &Option<Value>| {
            v.as_ref()
                .map_or_else(|| self.null(), |v| self.value(v, true))
        };
        args.fixed.extend([
            self.str(schema)?,
            self.str(id)?,
            // `fromNative` formats it: core's clock (system or `now`) stays in years 1970-9999,
            // where `Date#toISOString` writes core's RFC 3339 text.
            self.f64(*time_ms as f64)?,
            self.f64(*duration_us as f64)?,
            self.str(event.as_str())?,
            self.str(outcome.as_str())?,
            self.str(severity.as_str())?,
        ]);
        self.failure(failure.as_ref(), args)?;
        args.fixed.extend([
            self.opt_str(fingerprint.as_deref())?,
            self.opt_str(alg.as_deref())?,
            self.opt_str(kid.as_deref())?,
            self.opt_str(typ.as_deref())?,
            self.f64(*size as f64)?,
            self.bool(*trusted)?,
            claim(jti)?,
            claim(iss)?,
            claim(aud)?,
            claim(iat)?,
            claim(nbf)?,
            claim(exp)?,
        ]);
        self.members(args, values.iter(), true)?;
        args.fixed.extend([
            self.strings(dropped)?,
            self.opt_str(correlation_id.as_deref())?,
            self.opt_str(client_ip.as_deref())?,
            self.opt_str(method.as_deref())?,
            self.opt_str(path.as_deref())?,
            self.opt_str(user_agent.as_deref())?,
            self.authz(authz.as_ref())?,
            self.str(name)?,
            self.str(version)?,
        ]);
        Ok(())
    }

    /// `kind, step, detail, also`: all `null` when accepted.
    fn failure(self, f: Option<&Failure>, args: &mut Args) -> Result<()> {
        let Some(Failure {
            kind,
            step,
            detail,
            also,
        }) = f
        else {
            let null = self.null()?;
            args.fixed.extend([null; 4]);
            return Ok(());
        };
        let also = also
            .iter()
            .map(|FailedCheck { kind, step, detail }| {
                self.object([
                    ("kind", self.str(kind.as_str())?),
                    ("step", self.str(step.as_str())?),
                    ("detail", self.str(detail)?),
                ])
            })
            .collect::<Result<Vec<_>>>()?;
        args.fixed.extend([
            self.str(kind.as_str())?,
            self.str(step.as_str())?,
            self.str(detail)?,
            self.array(&also)?,
        ]);
        Ok(())
    }

    fn authz(self, a: Option<&AuthzInfo>) -> Result<sys::napi_value> {
        let Some(AuthzInfo {
            required,
            granted,
            decision,
        }) = a
        else {
            return self.null();
        };
        let grants = |Grants { scopes, roles }: &Grants| {
            self.object([
                ("scopes", self.strings(scopes)?),
                ("roles", self.strings(roles)?),
            ])
        };
        self.object([
            ("required", grants(required)?),
            ("granted", grants(granted)?),
            ("decision", self.str(decision.as_str())?),
        ])
    }
}
