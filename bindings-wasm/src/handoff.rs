//! Results and records handed to JavaScript. `JSON.parse` of a result's JSON text (~900 bytes)
//! costs ~4.5 µs in Node, more than half of the core's HS256 verification compiled to
//! WebAssembly; instead the record's fields are written into one string and one array of numbers
//! ("slots"), and `src/handoff.js` builds the objects with literals in the record's field order:
//! the same objects, keys in the same order, as `JSON.parse` of [`AuditRecord::to_json`]. Claims
//! cross key by key when flat; nested claims cross as JSON text, in one array parsed once.
//!
//! The record's structs are destructured without `..`, so a field added to the core fails to
//! compile here rather than go missing; the vector tests compare every record with the core's.

use crate::convert;
use jwt_audit::Verification;
use jwt_audit::record::{
    AuditRecord, AuthzInfo, ClaimsInfo, FailedCheck, Failure, Grants, TokenInfo, VerifierInfo,
};
use jwt_audit::{RequestContext, http};
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;
use std::cell::RefCell;
use std::ops::Range;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/handoff.js")]
extern "C" {
    #[wasm_bindgen(js_name = buildRecord)]
    fn build_record(text: &str, slots: &[f64]) -> JsValue;
    #[wasm_bindgen(js_name = buildResult)]
    fn build_result(text: &str, slots: &[f64]) -> JsValue;
    #[wasm_bindgen(js_name = encodeString)]
    fn encode_string(value: &JsValue, buf: &mut [u8]) -> i32;
    #[wasm_bindgen(js_name = encodeContext)]
    fn encode_context(context: &JsValue, buf: &mut [u8], lens: &mut [i32]) -> i32;
}

/// Unix milliseconds whose year has four digits (0000–9999), where `Date.prototype.toISOString`
/// writes what the core writes.
const FOUR_DIGIT_YEARS_MS: Range<i64> = -62_167_219_200_000..253_402_300_800_000;

/// Whether [`Tape`] gives the same objects as `JSON.parse` of the record's JSON: its time has four
/// year digits and its claim values' objects have sorted keys (the core sorts them in its JSON).
/// Other records, which the verifier does not produce in practice, take the JSON path.
fn fits(r: &AuditRecord) -> bool {
    let t = &r.token;
    FOUR_DIGIT_YEARS_MS.contains(&r.time_ms)
        && r.claims.values.iter().all(|(_, v)| keys_sorted(v))
        && [&t.jti, &t.iss, &t.aud, &t.iat, &t.nbf, &t.exp]
            .into_iter()
            .flatten()
            .all(keys_sorted)
}

/// Strings repeated from the previous tape are remembered for this many positions.
const REMEMBERED: usize = 128;

/// The text and slots of one value, in the order `src/handoff.js` reads them.
#[derive(Default)]
pub(crate) struct Tape {
    /// The free-form JSON array, then (once [`Tape::seal`] ran) the strings.
    json: String,
    strings: String,
    slots: Vec<f64>,
    /// Only the shared tape remembers: `src/handoff.js` reads every tape it writes, in order.
    remember: bool,
    /// The string written at each position of the previous tape, as JavaScript remembers it too:
    /// a string equal to the one at its position last time crosses as a reference (-2), and
    /// JavaScript reuses its string object (no new string, and property keys it has already
    /// internalised). A JavaScript exception while reading a tape leaves the shared tape borrowed
    /// for good (`with_tape` then uses fresh tapes that do not remember), so both sides never
    /// disagree.
    last: Vec<String>,
    position: usize,
}

impl Tape {
    fn remembering() -> Self {
        Self {
            remember: true,
            ..Self::default()
        }
    }

    fn clear(&mut self) {
        self.json.clear();
        self.json.push('[');
        self.strings.clear();
        self.slots.clear();
        self.slots.push(0.0); // the JSON array's length, set by `seal`
        // How many positions JavaScript remembers (0: none).
        self.num(if self.remember {
            REMEMBERED as f64
        } else {
            0.0
        });
        self.position = 0;
    }

    /// Joins the JSON array and the strings into the text `src/handoff.js` reads: (text, slots).
    fn seal(&mut self) -> (&str, &[f64]) {
        self.json.push(']');
        self.slots[0] = utf16_len(&self.json) as f64;
        self.json.push_str(&self.strings);
        (&self.json, &self.slots)
    }

    fn num(&mut self, n: f64) {
        self.slots.push(n);
    }

    fn flag(&mut self, b: bool) {
        self.num(if b { 1.0 } else { 0.0 });
    }

    fn str(&mut self, s: &str) {
        let position = self.position;
        self.position += 1;
        if self.remember && position < REMEMBERED {
            if self.last.len() <= position {
                self.last.resize(position + 1, String::new());
            }
            let last = &mut self.last[position];
            if last == s {
                return self.num(-2.0);
            }
            last.clear();
            last.push_str(s);
        }
        self.strings.push_str(s);
        self.num(utf16_len(s) as f64);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => {
                self.position += 1;
                self.num(-1.0);
            }
        }
    }

    fn list<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a str>) {
        self.num(items.len() as f64);
        for s in items {
            self.str(s);
        }
    }

    /// Appends `v` to the free-form JSON array (read by `src/handoff.js` in the same order). Only
    /// nested claims get here.
    fn free<T: Serialize + ?Sized>(&mut self, v: &T) {
        if self.json.len() > 1 {
            self.json.push(',');
        }
        // Serialising a `Value` or a map of `Value`s cannot fail.
        let text = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        self.json.push_str(&text);
    }

    /// A JSON object (claims): a flat one — no array or object values, and no `__proto__` key,
    /// which JavaScript's `o[k] = v` would not define as a property — as its size, then each key
    /// and value; any other as free-form JSON (size -1). Returns whether it was flat.
    fn object<'a, I>(&mut self, entries: I, whole: &impl Serialize) -> bool
    where
        I: Iterator<Item = (&'a str, &'a Value)> + Clone,
    {
        let flat = entries
            .clone()
            .all(|(k, v)| k != "__proto__" && !v.is_array() && !v.is_object());
        if !flat {
            self.num(-1.0);
            self.free(whole);
            return false;
        }
        let size = self.slots.len();
        self.num(0.0);
        let mut n = 0;
        for (k, v) in entries {
            self.str(k);
            self.value(Some(v));
            n += 1;
        }
        self.slots[size] = f64::from(n);
        true
    }

    fn value(&mut self, v: Option<&Value>) {
        match v {
            None | Some(Value::Null) => self.num(0.0),
            Some(Value::Bool(b)) => self.num(if *b { 2.0 } else { 1.0 }),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) => {
                    self.num(3.0);
                    self.num(f);
                }
                None => {
                    self.num(5.0);
                    self.free(n);
                }
            },
            Some(Value::String(s)) => {
                self.num(4.0);
                self.str(s);
            }
            Some(v) => {
                self.num(5.0);
                self.free(v);
            }
        }
    }

    /// `flat_claims`: the result's claims when they were written flat; claim values equal to them
    /// (nothing redacted) are then copied by JavaScript rather than crossing twice.
    fn record(&mut self, r: &AuditRecord, flat_claims: Option<&Map<String, Value>>) {
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
        self.str(schema);
        self.str(id);
        self.num(*time_ms as f64);
        self.num(*duration_us as f64);
        self.str(event.as_str());
        self.str(outcome.as_str());
        self.str(severity.as_str());
        match failure {
            None => self.flag(false),
            Some(Failure {
                kind,
                step,
                detail,
                also,
            }) => {
                self.flag(true);
                self.str(kind.as_str());
                self.str(step.as_str());
                self.str(detail);
                self.num(also.len() as f64);
                for FailedCheck { kind, step, detail } in also {
                    self.str(kind.as_str());
                    self.str(step.as_str());
                    self.str(detail);
                }
            }
        }
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
        self.opt_str(fingerprint.as_deref());
        self.opt_str(alg.as_deref());
        self.opt_str(kid.as_deref());
        self.opt_str(typ.as_deref());
        self.num(*size as f64);
        self.flag(*trusted);
        for v in [jti, iss, aud, iat, nbf, exp] {
            self.value(v.as_ref());
        }
        let ClaimsInfo { values, dropped } = claims;
        let copy = flat_claims.is_some_and(|c| {
            c.len() == values.len() && c.iter().map(|(k, v)| (k.as_str(), v)).eq(values)
        });
        self.flag(copy);
        if !copy {
            self.object(values.iter(), values);
        }
        self.list(dropped.iter());
        let RequestContext {
            correlation_id,
            client_ip,
            method,
            path,
            user_agent,
        } = request;
        for s in [correlation_id, client_ip, method, path, user_agent] {
            self.opt_str(s.as_deref());
        }
        match authz {
            None => self.flag(false),
            Some(AuthzInfo {
                required,
                granted,
                decision,
            }) => {
                self.flag(true);
                for Grants { scopes, roles } in [required, granted] {
                    self.list(scopes.iter().map(String::as_str));
                    self.list(roles.iter().map(String::as_str));
                }
                self.str(decision.as_str());
            }
        }
        let VerifierInfo { name, version } = verifier;
        self.str(name);
        self.str(version);
    }

    /// Writes what `buildResult` reads; `false` (nothing usable written) when the record needs
    /// the JSON path.
    pub(crate) fn result(&mut self, v: &Verification, with_challenge: bool) -> bool {
        let record = v.record();
        if !fits(record) {
            return false;
        }
        self.clear();
        self.flag(v.is_accepted());
        let flat_claims = match v.claims() {
            Some(c) => {
                self.flag(true);
                self.object(c.iter().map(|(k, v)| (k.as_str(), v)), c)
                    .then_some(c)
            }
            None => {
                self.flag(false);
                None
            }
        };
        self.record(record, flat_claims);
        self.flag(with_challenge);
        if with_challenge {
            match http::challenge(v) {
                Some(c) => {
                    self.flag(true);
                    self.num(f64::from(c.status));
                    self.str(&c.www_authenticate);
                    self.str(c.body);
                }
                None => self.flag(false),
            }
        }
        true
    }
}

thread_local! {
    /// Reused by every call, so handing a result over allocates nothing once warm.
    static TAPE: RefCell<Tape> = RefCell::new(Tape::remembering());
}

/// Runs `f` with the shared tape (a fresh one, which does not remember, when it is in use: only
/// after a JavaScript exception while reading it).
fn with_tape<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.with(|t| match t.try_borrow_mut() {
        Ok(mut t) => f(&mut t),
        Err(_) => f(&mut Tape::default()),
    })
}

/// `{ ok, claims, record }` (plus `challenge` for HTTP adapters) as a JavaScript object.
pub(crate) fn result(v: &Verification, with_challenge: bool) -> JsValue {
    with_tape(|t| {
        if t.result(v, with_challenge) {
            let (text, slots) = t.seal();
            build_result(text, slots)
        } else {
            convert::parse(&convert::result_json(v, with_challenge))
        }
    })
}

/// An `AuditRecord` as a JavaScript object.
pub(crate) fn record(r: &AuditRecord) -> JsValue {
    if !fits(r) {
        return convert::parse(&r.to_json());
    }
    with_tape(|t| {
        t.clear();
        t.record(r, None);
        let (text, slots) = t.seal();
        build_record(text, slots)
    })
}

/// Strings up to this many UTF-8 bytes cross in one call (longer ones, far above the default
/// `max_token_bytes`, through wasm-bindgen's string conversion).
const SCRATCH_BYTES: usize = 16 * 1024;

thread_local! {
    /// Where JavaScript writes the UTF-8 of incoming strings.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH_BYTES]);
}

/// The UTF-8 bytes of `value` when it is a string, written by one native `encodeInto` (the
/// generated glue copies strings character by character in JavaScript).
pub(crate) fn string_bytes(value: &JsValue) -> Option<Vec<u8>> {
    let fast = SCRATCH.with(|scratch| {
        let mut scratch = scratch.try_borrow_mut().ok()?;
        match encode_string(value, &mut scratch) {
            -1 => Some(None),
            n if n >= 0 => Some(Some(scratch[..n as usize].to_vec())),
            _ => None,
        }
    });
    match fast {
        Some(bytes) => bytes,
        None => value.as_string().map(String::into_bytes),
    }
}

/// A plain request-context object's fields (strings, `null` or absent, either spelling), written
/// by JavaScript in one call; `None` for anything else, which the caller converts through JSON.
pub(crate) fn plain_context(value: &JsValue) -> Option<RequestContext> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.try_borrow_mut().ok()?;
        let mut lens = [-1i32; 5];
        let written = usize::try_from(encode_context(value, &mut scratch, &mut lens)).ok()?;
        // The fields' UTF-8, one after the other; each is well-formed, so each ends on a
        // character boundary.
        let mut rest = std::str::from_utf8(&scratch[..written]).ok()?;
        let mut next = |i: usize| {
            let units = usize::try_from(lens[i]).ok()?;
            let (field, after) = rest.split_at(utf16_prefix(rest, units));
            rest = after;
            Some(field.to_string())
        };
        Some(RequestContext {
            correlation_id: next(0),
            client_ip: next(1),
            method: next(2),
            path: next(3),
            user_agent: next(4),
        })
    })
}

/// The bytes of `s`'s first `units` UTF-16 code units.
fn utf16_prefix(s: &str, units: usize) -> usize {
    if s.as_bytes().get(..units).is_some_and(<[u8]>::is_ascii) {
        return units;
    }
    let mut counted = 0;
    for (at, c) in s.char_indices() {
        if counted >= units {
            return at;
        }
        counted += c.len_utf16();
    }
    s.len()
}

/// Length in UTF-16 code units (what JavaScript's `slice` counts).
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// Whether every object in `v` has its keys in order, as the core writes claim values in records
/// (serde_json keeps them so unless its `preserve_order` feature is unified in).
fn keys_sorted(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().all(keys_sorted),
        Value::Object(map) => map.keys().is_sorted() && map.values().all(keys_sorted),
        _ => true,
    }
}
