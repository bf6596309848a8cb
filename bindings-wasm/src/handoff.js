// What crosses between JavaScript and the WebAssembly module on every verification, both ways.
//
// Out: builds the objects the module hands to JavaScript (results and audit records) from one
// string and one Float64Array view of module memory, both written by src/handoff.rs in the order
// read here. Object literals in the record's field order give the same objects, keys in the same
// order, as `JSON.parse` of the core's JSON at a fraction of its cost. Flat claims cross key by
// key; nested claim values go through one `JSON.parse`.
//
// In: the UTF-8 bytes of the token, the Authorization header and the request context, written
// straight into module memory (`encodeString`, `encodeContext`).
//
// build.sh turns the last line into `module.exports = …` for the CommonJS Node build.

// The value being read: its text, its slots, the next slot, the next character of the text, the
// parsed free-form values and the next of them. Reading never calls out, so one set suffices.
let text = "";
let slots = null;
let slot = 0;
let at = 0;
let free = null;
let nextFree = 0;
// How many positions this tape remembers strings for (0: none), the next position, and the string
// at each position last time (src/handoff.rs, `Tape::last`).
let remember = 0;
let position = 0;
const last = [];
// The result's claims, when the record's claim values are a copy of them.
let claims = null;
// `time` of the last record: consecutive records often share their millisecond, and
// `toISOString` costs as much as building the rest of the record.
let lastMs = NaN;
let lastTime = "";

function time(ms) {
  if (ms !== lastMs) {
    lastTime = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastTime;
}

function begin(t, s) {
  text = t;
  slots = s;
  // Slot 0: the length of the free-form JSON array that starts the text (`[]` when none).
  at = s[0];
  free = at > 2 ? JSON.parse(text.slice(0, at)) : null;
  nextFree = 0;
  remember = s[1];
  position = 0;
  slot = 2;
}

function end(value) {
  text = "";
  slots = free = claims = null;
  return value;
}

const num = () => slots[slot++];
const flag = () => slots[slot++] === 1;

/** A string (its length in UTF-16 units), `null` (-1), or the string at this position last time (-2). */
function str() {
  const n = slots[slot++];
  const p = position++;
  if (n === -2) return last[p];
  if (n < 0) return null;
  const s = text.slice(at, at + n);
  at += n;
  if (p < remember) last[p] = s;
  return s;
}

function list(item) {
  const n = slots[slot++];
  const out = [];
  for (let i = 0; i < n; i++) out.push(item());
  return out;
}

/** A JSON value: a tag, then its payload. */
function value() {
  switch (slots[slot++]) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return slots[slot++];
    case 4:
      return str();
    default:
      return free[nextFree++];
  }
}

/** An object of scalars (claims): its size, then each key and value; free-form JSON if size -1. */
function object() {
  const n = slots[slot++];
  if (n < 0) return free[nextFree++];
  const o = {};
  for (let i = 0; i < n; i++) {
    const key = str();
    o[key] = value();
  }
  return o;
}

const check = () => ({ kind: str(), step: str(), detail: str() });
const grants = () => ({ scopes: list(str), roles: list(str) });

function record() {
  return {
    schema: str(),
    id: str(),
    time: time(num()),
    duration_us: num(),
    event: str(),
    outcome: str(),
    severity: str(),
    failure: flag() ? { kind: str(), step: str(), detail: str(), also: list(check) } : null,
    token: {
      fingerprint: str(),
      alg: str(),
      kid: str(),
      typ: str(),
      size: num(),
      trusted: flag(),
      jti: value(),
      iss: value(),
      aud: value(),
      iat: value(),
      nbf: value(),
      exp: value(),
    },
    claims: { values: flag() ? { ...claims } : object(), dropped: list(str) },
    request: {
      correlation_id: str(),
      client_ip: str(),
      method: str(),
      path: str(),
      user_agent: str(),
    },
    authz: flag() ? { required: grants(), granted: grants(), decision: str() } : null,
    verifier: { name: str(), version: str() },
  };
}

/** An `AuditRecord`. */
function buildRecord(t, s) {
  begin(t, s);
  return end(record());
}

/** `{ ok, claims, record }`, plus `challenge` for `authenticate`. */
function buildResult(t, s) {
  begin(t, s);
  const ok = flag();
  claims = flag() ? object() : null;
  const result = { ok, claims, record: record() };
  if (flag()) result.challenge = flag() ? { status: num(), wwwAuthenticate: str(), body: str() } : null;
  return end(result);
}

const encoder = new TextEncoder();

/**
 * Writes the UTF-8 of `value` (a token or a header) into `buf` (a view of module memory) and
 * returns the bytes written: -1 when `value` is not a string, -2 when it does not fit. One native
 * `encodeInto` instead of the generated glue's character loop.
 */
function encodeString(value, buf) {
  if (typeof value !== "string") return -1;
  const { read, written } = encoder.encodeInto(value, buf);
  return read === value.length ? written : -2;
}

// The request context's fields, in `RequestContext` order, by both spellings.
const CONTEXT_FIELDS = Object.assign(Object.create(null), {
  correlation_id: 0,
  correlationId: 0,
  client_ip: 1,
  clientIp: 1,
  method: 2,
  path: 3,
  user_agent: 4,
  userAgent: 4,
});

/**
 * Writes the UTF-8 of a plain request-context object's fields into `buf` (a view of module memory),
 * one after the other in `RequestContext` order, and their lengths in UTF-16 units into `lens`
 * (-1: absent). Returns the bytes written, or -1 for anything but the plain case — an object that
 * is not a plain object, an unknown name, a name given twice, a value that is not a string, `null`
 * or `undefined`, a string with a lone surrogate, or too long for `buf` — which then takes the
 * general conversion (JSON, with its precise errors).
 */
function encodeContext(context, buf, lens) {
  const proto = Object.getPrototypeOf(context);
  if (proto !== Object.prototype && proto !== null) return -1;
  const values = [null, null, null, null, null];
  let given = 0; // bit i: field i was named
  for (const key in context) {
    const i = CONTEXT_FIELDS[key];
    if (i === undefined || given & (1 << i)) return -1;
    const value = context[key];
    if (value === undefined) continue;
    if (value !== null && (typeof value !== "string" || !value.isWellFormed?.())) return -1;
    given |= 1 << i;
    values[i] = value;
  }
  let text = "";
  for (let i = 0; i < 5; i++) {
    const value = values[i];
    lens[i] = value === null ? -1 : value.length;
    if (value !== null) text += value;
  }
  const { read, written } = encoder.encodeInto(text, buf);
  return read === text.length ? written : -1;
}

export { buildRecord, buildResult, encodeContext, encodeString };
