'use strict'
/**
 * jwt-audit for Node.js: a JWT verifier that never validates silently.
 *
 * Every decision is made by the Rust core (through the native addon in ./native); this file only
 * converts arguments, adapts sinks and adds the Express glue. Results, records and claims are
 * built here from a tape of numbers and one string that the addon hands over (`fromTape`: cheaper
 * than JSON text to parse, and than making each value through N-API).
 */
const native = require('./native/index.js')

const NATIVE = Symbol('jwt-audit.native')
const STATE = Symbol('jwt-audit.state')
const TAPE = Symbol('jwt-audit.tape')
const HANDLE = Symbol('jwt-audit.handle')
const nativeVerify = native.verify
const EMPTY_CONTEXT = Object.freeze({})
const CONTEXT_FIELDS = [
  ['correlationId', 'correlation_id'],
  ['clientIp', 'client_ip'],
  ['method', 'method'],
  ['path', 'path'],
  ['userAgent', 'user_agent'],
]

function typeName(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

let sinkWarningEmitted = false

/**
 * A function sink as the native layer calls it (with a record's text, its tape in `state`). An
 * exception goes back to the native layer, which counts it (`stats().sink_errors`); the first one
 * per process also raises a warning, without the error's message (which may quote the record).
 */
function adaptSink(fn, state) {
  return (text) => {
    const record = recordFromTape(state, text)
    try {
      fn(record)
    } catch (err) {
      if (!sinkWarningEmitted) {
        sinkWarningEmitted = true
        const name = (err && err.name) || typeof err
        process.emitWarning(`a jwt-audit sink function threw (${name}); failures are counted in stats().sink_errors`, {
          code: 'JWT_AUDIT_SINK_ERROR',
        })
      }
      throw err
    }
  }
}

/** Splits the JS-only `sink` option into built-in specs (handled natively) and functions. */
function splitSinks(spec, state) {
  const builtin = []
  const functions = []
  for (const s of Array.isArray(spec) ? spec : spec === undefined ? [] : [spec]) {
    if (typeof s === 'function') functions.push(adaptSink(s, state))
    else builtin.push(s)
  }
  return { builtin, functions }
}

function configError(option, message) {
  const err = new TypeError(`invalid option \`${option}\`: ${message}`)
  err.code = 'ERR_JWT_AUDIT_CONFIG'
  err.option = option
  return err
}

/**
 * A copy of `value` holding only JSON data (what the core's configuration is made of): `undefined`
 * members are left out, anything else that JSON cannot hold (functions, Buffers, class instances,
 * NaN) is a TypeError naming the option, e.g. `keys[0].secret`.
 */
function jsonData(value, path) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return value
      throw configError(path, `must be a finite number (got ${value})`)
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) return value.map((v, i) => jsonData(v, `${path}[${i}]`))
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        const name = (value.constructor && value.constructor.name) || 'object'
        throw configError(path, `must be JSON data (a string, number, boolean, array or plain object), got a ${name}`)
      }
      const out = {}
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined) out[k] = jsonData(v, path === '' ? k : `${path}.${k}`)
      }
      return out
    }
    default:
      throw configError(path, `must be JSON data, got a ${typeof value}`)
  }
}

/**
 * The native verifier of `config`, and the state its results are read with: the kept `names`
 * and the `tape` (see `fromTape`; the addon replaces the tape by a larger one when needed).
 */
function nativeVerifier(config) {
  if (!isPlainObject(config)) throw configError('config', `must be an object (got ${typeName(config)})`)
  const { sink, ...options } = config
  const state = { names: [], tape: new Float64Array(512) }
  const { builtin, functions } = splitSinks(sink, state)
  const n = new native.NativeVerifier(
    JSON.stringify(jsonData(options, '')),
    builtin.map((s) => jsonData(s, 'sink')),
    functions,
    (text) => fromTape(state, text),
    state,
    INHERITED,
  )
  return { n, state }
}

function checkToken(token) {
  if (typeof token !== 'string' && !(token instanceof Uint8Array)) {
    throw new TypeError(`jwt-audit: token must be a string, Buffer or Uint8Array (got ${typeName(token)})`)
  }
}

/** The five context strings, camelCase or snake_case; anything else is a TypeError. */
function contextArgs(context) {
  if (context === undefined || context === null) context = EMPTY_CONTEXT
  else if (!isPlainObject(context)) {
    throw new TypeError(`jwt-audit: context must be an object (got ${typeName(context)})`)
  }
  const out = new Array(5)
  for (let i = 0; i < 5; i++) {
    const camel = CONTEXT_FIELDS[i][0]
    const v = context[camel] ?? context[CONTEXT_FIELDS[i][1]]
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new TypeError(`jwt-audit: context.${camel} must be a string (got ${typeName(v)})`)
    }
    out[i] = v
  }
  return out
}

/**
 * The result of one verification: `ok`, `claims` (the verified claims, `null` unless accepted),
 * `record` (the audit record, snake_case fields as in every binding) and `recordJson` (the record
 * as the core's canonical JSON text: the exact bytes the sinks and other bindings write).
 */
class Verification {
  constructor(ok, claims, record, recordJson) {
    this.ok = ok
    this.claims = claims
    this.record = record
    this._recordJson = recordJson
  }

  /**
   * Written on first access: `JSON.stringify` of the record object writes the core's exact text
   * unless the addon said otherwise by handing that text over (see `stringify_is_canonical` in
   * src/to_js.rs). Read it before changing `record`.
   */
  get recordJson() {
    if (this._recordJson === null) this._recordJson = JSON.stringify(this.record)
    return this._recordJson
  }

  toJSON() {
    return { ok: this.ok, claims: this.claims, record: this.record }
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toJSON()
  }
}

let isoMs = NaN
let isoText = ''

/**
 * A record's `time` from unix milliseconds: RFC 3339 UTC with milliseconds, which
 * `Date#toISOString` writes exactly as the core does for years 0000-9999 (core's clock stays in
 * 1970-9999). Memoised per millisecond.
 */
function recordTime(time) {
  if (time !== isoMs) {
    isoText = new Date(time).toISOString()
    isoMs = time
  }
  return isoText
}

/**
 * The property names a plain object inherits. Assigning one would call `__proto__`'s setter, or
 * fail where Object.prototype is frozen: the addon marks objects with such members (`OBJECT_DEFINE`)
 * and their members are defined instead, as `JSON.parse` does.
 */
const INHERITED = Object.getOwnPropertyNames(Object.prototype)

// How the addon hands a verification over (src/to_js.rs documents it): a tape of numbers (the
// verifier's `state.tape`, a Float64Array) and one string holding the text of every string on
// it, in order. The readers below walk both; `T`, `S`, `N`, `p`, `q`, `M` and `m` are the tape,
// the text, the kept names, the positions on the tape and in the text, and the strings and numbers
// read so far (which `SAME` refers to). Nothing a reader does calls other code, so they never
// nest.
const NULL = 0
const FALSE = 1
const TRUE = 2
const NUMBER = 3
const STRING = 4
const KEPT = 5
const SAME = 6
const ARRAY = 7
const OBJECT = 8
const OBJECT_DEFINE = 9
// SHAPED = 10
let T = null
let S = ''
let N = null
let p = 0
let q = 0
const M = []
let m = 0

function begin(state, text) {
  if (M.length > 1024) M.length = 0 // what a large verification left
  T = state.tape
  N = state.names
  S = text
  p = 0
  q = 0
  m = 0
}

/** The next string of the text, ending at `end`. */
function text(end) {
  const s = S.slice(q, end)
  q = end
  return s
}

function key() {
  return T[p++] === KEPT ? N[T[p++]] : text(T[p++])
}

function value() {
  switch (T[p++]) {
    case NULL:
      return null
    case FALSE:
      return false
    case TRUE:
      return true
    case NUMBER:
      return (M[m++] = T[p++])
    case STRING:
      return (M[m++] = text(T[p++]))
    case KEPT:
      return N[T[p++]]
    case SAME:
      return M[T[p++]]
    case ARRAY: {
      const a = []
      for (let n = T[p++]; n > 0; n--) a.push(value())
      return a
    }
    case OBJECT: {
      const o = {}
      for (let n = T[p++]; n > 0; n--) {
        const k = key()
        o[k] = value()
      }
      return o
    }
    case OBJECT_DEFINE: {
      const o = {}
      for (let n = T[p++]; n > 0; n--) {
        const k = key()
        Object.defineProperty(o, k, { value: value(), writable: true, enumerable: true, configurable: true })
      }
      return o
    }
    default: {
      // SHAPED: `names` holds the shape's keys, replaced by its maker on first use
      const index = T[p++]
      const shape = N[index]
      return (typeof shape === 'function' ? shape : (N[index] = shapeMaker(shape)))(value)
    }
  }
}

/**
 * A function making the claims objects of a shape (these keys, in order) with values read by
 * `v`: an object literal, which V8 makes from a template (assigning the keys one by one takes a
 * megamorphic keyed store each). No key is named as an inherited property (the addon keeps no
 * such shape), so none is `__proto__`; `JSON.stringify` writes each key as a string literal.
 */
function shapeMaker(keys) {
  try {
    return new Function('v', `return {${keys.map((k) => `${JSON.stringify(k)}: v()`).join(', ')}}`)
  } catch {
    // Code generation from strings is disallowed (--disallow-code-generation-from-strings).
    return (v) => {
      const o = {}
      for (let i = 0; i < keys.length; i++) o[keys[i]] = v()
      return o
    }
  }
}

/** The record at the tape's position (fields in the order src/to_js.rs writes them). */
function record() {
  return {
    schema: value(),
    id: value(),
    time: recordTime(T[p++]),
    duration_us: T[p++],
    event: value(),
    outcome: value(),
    severity: value(),
    failure: failure(),
    token: {
      fingerprint: value(),
      alg: value(),
      kid: value(),
      typ: value(),
      size: T[p++],
      trusted: T[p++] === 1,
      jti: value(),
      iss: value(),
      aud: value(),
      iat: value(),
      nbf: value(),
      exp: value(),
    },
    claims: { values: value(), dropped: value() },
    request: { correlation_id: value(), client_ip: value(), method: value(), path: value(), user_agent: value() },
    authz: authz(),
    verifier: { name: value(), version: value() },
  }
}

function failure() {
  if (T[p++] === NULL) return null
  const f = { kind: value(), step: value(), detail: value(), also: [] }
  for (let n = T[p++]; n > 0; n--) f.also.push({ kind: value(), step: value(), detail: value() })
  return f
}

function authz() {
  if (T[p++] === NULL) return null
  return {
    required: { scopes: value(), roles: value() },
    granted: { scopes: value(), roles: value() },
    decision: value(),
  }
}

/** The `Verification` of a verification's text (its tape in `state`). */
function fromTape(state, text) {
  begin(state, text)
  const ok = T[p++] === 1
  const json = value()
  const claims = value()
  return new Verification(ok, claims, record(), json)
}

/** The record of a record's text (its tape in `state`). */
function recordFromTape(state, text) {
  begin(state, text)
  return record()
}

/** The claims object (or `null`) of a claims text (its tape in `state`). */
function claimsFromTape(state, text) {
  begin(state, text)
  return value()
}

class Verifier {
  /**
   * @param {object} config the shared options in camelCase (`keys`, `algorithms`, `issuer`,
   *   `audience`, `leewaySeconds`, `requiredClaims`, `typ`, `maxTokenBytes`, `now`, `redaction`,
   *   `fingerprintKey`, `name`, `auditFailClosed`) plus `sink`.
   */
  constructor(config) {
    const { n, state } = nativeVerifier(config)
    this[NATIVE] = n
    this[TAPE] = state
    this[HANDLE] = n.handle()
  }

  /** Verifies `token` synchronously; never throws for a bad token (the record says why). */
  verify(token, context) {
    checkToken(token)
    const text = nativeVerify(this[HANDLE], token, context === undefined ? undefined : contextArgs(context))
    return fromTape(this[TAPE], text)
  }

  /** Like `verify`, with the signature check on the libuv thread pool. */
  verifyAsync(token, context) {
    try {
      checkToken(token)
      const c = contextArgs(context)
      const n = this[NATIVE]
      if (n.needsJsThread) return Promise.resolve(this.verify(token, context))
      return n.verifyAsync(token, c)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Counts by outcome and failure kind, sink errors and lost records. */
  stats() {
    return JSON.parse(this[NATIVE].stats())
  }

  /** Flushes every sink (file sinks write through; this is for buffered sinks). */
  flush() {
    this[NATIVE].flush()
  }

  /** The name written in records. */
  get name() {
    return this[NATIVE].name
  }
}

// ---------------------------------------------------------------------------------------------
// Express

/** `req.auth`: the verified claims and the record of an authenticated request. */
class Auth {
  constructor(handle, state) {
    this._handle = handle
    this._state = state
    this._claims = undefined
    this._record = undefined
  }

  get claims() {
    if (this._claims === undefined) this._claims = claimsFromTape(this._state, this._handle.claims())
    return this._claims
  }

  get record() {
    if (this._record === undefined) this._record = recordFromTape(this._state, this._handle.record())
    return this._record
  }

  toJSON() {
    return { claims: this.claims, record: this.record }
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toJSON()
  }
}

function headerValue(v) {
  return Array.isArray(v) ? v[0] : v
}

function cookieValue(req, name) {
  const parsed = req.cookies && req.cookies[name]
  if (typeof parsed === 'string') return parsed
  const header = req.headers.cookie
  if (typeof header !== 'string') return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function requestPath(req) {
  const url = req.originalUrl ?? req.url ?? ''
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function reply(res, challenge) {
  res.statusCode = challenge.status
  res.setHeader('WWW-Authenticate', challenge.wwwAuthenticate)
  res.setHeader('Content-Type', 'application/json')
  res.setHeader('Cache-Control', 'no-store')
  res.end(challenge.body)
}

const MIDDLEWARE_OPTIONS = ['credentialsRequired', 'cookie', 'query', 'requestIdHeader']

function middlewareOptions(options) {
  if (options === undefined) options = {}
  if (!isPlainObject(options)) {
    throw new TypeError(`jwt-audit: jwtAudit options must be an object (got ${typeName(options)})`)
  }
  for (const key of Object.keys(options)) {
    if (!MIDDLEWARE_OPTIONS.includes(key)) {
      throw new TypeError(`jwt-audit: unknown jwtAudit option \`${key}\` (known: ${MIDDLEWARE_OPTIONS.join(', ')})`)
    }
  }
  const { credentialsRequired = true, cookie, query, requestIdHeader = 'X-Request-Id' } = options
  if (typeof credentialsRequired !== 'boolean') {
    throw new TypeError('jwt-audit: jwtAudit option `credentialsRequired` must be a boolean')
  }
  for (const [name, v] of [['cookie', cookie], ['query', query], ['requestIdHeader', requestIdHeader]]) {
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw new TypeError(`jwt-audit: jwtAudit option \`${name}\` must be a non-empty string`)
    }
  }
  return { credentialsRequired, cookie, query, requestIdHeader }
}

/**
 * Express middleware: Bearer token from the `Authorization` header (RFC 6750; from a cookie or
 * a query parameter only when `options.cookie` / `options.query` name one), request context from
 * the request, `req.auth = { claims, record }` on success, a generic 401 otherwise.
 */
function jwtAudit(verifierOrConfig, options) {
  const verifier = verifierOrConfig instanceof Verifier ? verifierOrConfig : new Verifier(verifierOrConfig)
  const opts = middlewareOptions(options)
  const n = verifier[NATIVE]
  const requestIdHeader = opts.requestIdHeader.toLowerCase()
  return function jwtAuditMiddleware(req, res, next) {
    const headers = req.headers
    const cid =
      native.correlationId(headerValue(headers[requestIdHeader]), headerValue(headers.traceparent)) ??
      native.newCorrelationId()
    res.setHeader(opts.requestIdHeader, cid)
    const authorization = headers.authorization
    let token = null
    if (authorization === undefined) {
      const fromCookie = opts.cookie && cookieValue(req, opts.cookie)
      const fromQuery = opts.query && req.query && req.query[opts.query]
      if (typeof fromCookie === 'string' && fromCookie !== '') token = fromCookie
      else if (typeof fromQuery === 'string' && fromQuery !== '') token = fromQuery
    }
    const ip = req.ip ?? (req.socket && req.socket.remoteAddress)
    const ua = headerValue(headers['user-agent'])
    const handle = n.verifyRequest(authorization, token, cid, ip, req.method, requestPath(req), ua)
    req[STATE] = { native: n, handle }
    if (handle.ok) {
      req.auth = new Auth(handle, verifier[TAPE])
      return next()
    }
    if (!opts.credentialsRequired && handle.failureKind === 'missing_token') return next()
    reply(res, handle.challenge())
  }
}

function guard(kind, values) {
  for (const v of values) {
    if (typeof v !== 'string' || v === '') {
      throw new TypeError(`jwt-audit: ${kind} must be non-empty strings (got ${typeName(v)})`)
    }
  }
  const scopes = kind === 'requireScopes' ? values : []
  const roles = kind === 'requireRoles' ? values : []
  return function jwtAuditGuard(req, res, next) {
    const state = req[STATE]
    if (state === undefined) return next(new Error(`jwt-audit: ${kind}() must run after jwtAudit()`))
    const denied = state.native.authorize(state.handle, scopes, roles)
    if (denied === null) return next()
    state.handle = denied
    reply(res, denied.challenge())
  }
}

/** Route guard: every scope listed must be granted (`scope` / `scp`), else 403 `insufficient_scope`. */
function requireScopes(...scopes) {
  return guard('requireScopes', scopes)
}

/** Route guard: every role listed must be granted (`roles`), else 403 `insufficient_scope`. */
function requireRoles(...roles) {
  return guard('requireRoles', roles)
}

module.exports = {
  Verifier,
  Verification,
  jwtAudit,
  requireScopes,
  requireRoles,
  correlationId: native.correlationId,
  newCorrelationId: native.newCorrelationId,
}
