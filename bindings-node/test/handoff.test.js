'use strict'
// The objects the addon hands to JS (built in index.js from the tape and text the addon writes,
// not parsed from JSON) hold exactly what JSON.parse of the core's JSON holds, in the same key
// order, and `recordJson` is byte for byte the line core's file sink writes — whether the addon
// handed that text over or it is made from the record object: awkward claim names and values,
// large claim sets, clocks at the edges of the record's time format, sinks that verify.
const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Verifier } = require('..')
const { sign, claims, config, NOW, SECRET } = require('./helpers')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-handoff-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
let logs = 0

/** `verify(token)` with a verifier of `cfg` that also logs to a file: `[result, line]`. */
function verifyLogged(cfg, token) {
  const file = path.join(dir, `${logs++}.jsonl`)
  const r = new Verifier({ ...cfg, sink: { file } }).verify(token)
  return [r, fs.readFileSync(file, 'utf8').trimEnd()]
}

/** An HS256 token whose payload is exactly `json` (numbers as written, e.g. `2.0`). */
function signText(json) {
  const input = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(json).toString('base64url')}`
  return `${input}.${crypto.createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

/**
 * `r.record` is `JSON.parse(r.recordJson)`, key order included; `r.recordJson` is `line` (what
 * core wrote) when given; `r.claims` is the payload.
 */
function assertSameAsJson(r, payload, line) {
  if (line !== undefined) assert.equal(r.recordJson, line, 'the bytes core writes')
  assert.deepEqual(r.record, JSON.parse(r.recordJson))
  assert.equal(JSON.stringify(r.record), JSON.stringify(JSON.parse(r.recordJson)), 'same key order')
  if (r.ok) assert.deepEqual(r.claims, payload)
  else assert.equal(r.claims, null)
}

const AWKWARD = {
  __proto__: null,
  ['__proto__']: { polluted: true },
  toString: 'not a function',
  constructor: 1,
  hasOwnProperty: [1, 2],
  10: 'ten',
  9: 'nine',
  '4294967295': 'not an array index',
  '': 'empty name',
  'é-ü': 'naïve café ☕ 𝄞',
  quote: 'say "hi"\\\n\t\u0001\u007f',
  big: '@9007199254740993',
  neg: -12345678901234,
  float: 1.5,
  tiny: 5e-324,
  huge: '@1e300',
  whole_float: '@2.0',
  nested: { z: 1, a: [{ y: null, b: true }], m: '@{"__proto__":"x"}' },
}

test('awkward claim names and values cross as JSON.parse would build them', () => {
  const keep = Object.keys(AWKWARD).filter((k) => k !== '')
  const cfg = config({ redaction: { keep } })
  const v = new Verifier(cfg)
  // '@…' values are written into the payload as bare JSON numbers.
  const text = JSON.stringify(claims(AWKWARD)).replace(/"@((?:[^"\\]|\\.)+)"/g, (_, json) => JSON.parse(`"${json}"`))
  const payload = JSON.parse(text)
  const valid = signText(text)
  for (const token of [valid, valid.slice(0, -4) + 'AAAA']) {
    const [r, line] = verifyLogged(cfg, token)
    assertSameAsJson(r, payload, line)
    const values = r.record.claims.values
    assert.equal(Object.getPrototypeOf(values), Object.prototype, 'a `__proto__` claim is an own property')
    assert.deepEqual(Object.getOwnPropertyDescriptor(values, '__proto__').value, { polluted: true })
    assert.equal(values.toString, 'not a function')
    assert.equal(values.nested.m.__proto__, 'x')
    assert.equal(({}).polluted, undefined)
  }
  assert.equal(v.verify(valid).claims.toString, 'not a function')
  assert.match(v.verify(valid).recordJson, /"whole_float":2\.0,/)
})

test('recordJson is made from the record object exactly when that gives the core text', () => {
  // Plain claims: strings with escapes and non-ASCII, safe integers, nested objects with keys
  // out of order, a numeric name that is no array index. `_recordJson` still null: not handed.
  const plain = {
    text: 'say "hi"\\ \n\t\u0001\u001f\u007f \u2028 é ☕ 𝄞',
    '4294967295': 'named, not indexed',
    safe: [2 ** 53 - 1, -(2 ** 53 - 1), 0, -1],
    nested: { z: true, a: null, m: { y: 'é', b: [] } },
  }
  const keep = Object.keys(plain)
  const cfg = config({ redaction: { keep } })
  const payload = claims(plain)
  for (const token of [sign(payload), sign(payload).slice(0, -4) + 'AAAA']) {
    const [r, line] = verifyLogged(cfg, token)
    assert.equal(r._recordJson, null, 'made on demand')
    assertSameAsJson(r, payload, line)
  }
  // Each of these makes JSON.stringify differ from the core's text: the addon hands it over.
  for (const extra of ['1.5', '2.0', '9007199254740992', '-9007199254740992', '1e300']) {
    const [r, line] = verifyLogged(config({ redaction: { keep: ['n'] } }), signText(JSON.stringify(claims()).replace(/}$/, `,"n":${extra}}`)))
    assert.equal(typeof r._recordJson, 'string', extra)
    assertSameAsJson(r, JSON.parse(JSON.stringify(claims()).replace(/}$/, `,"n":${extra}}`)), line)
  }
  for (const extra of [{ 0: 'index' }, { n: { 7: 'nested index' } }]) {
    const payload = claims(extra)
    const [r, line] = verifyLogged(config({ redaction: { keep: Object.keys(extra) } }), sign(payload))
    assert.equal(typeof r._recordJson, 'string', JSON.stringify(extra))
    assertSameAsJson(r, payload, line)
  }
})

test('large claim sets: the tape grows, and later verifications are read from the new one', () => {
  // More claims than fit a shape (64 names) or the first tape (512 numbers); the record's values
  // are capped at 64 claims by core.
  const small = claims({ scope: 'a b' })
  for (const count of [3000, 200]) {
    const many = {}
    for (let i = 0; i < count; i++) many[`c${i}`] = i % 2 ? `v${i}` : i
    const payload = claims(many)
    const keep = Object.keys(many).slice(0, 100)
    const v = new Verifier(config({ maxTokenBytes: 1 << 20, redaction: { keep } }))
    const r = v.verify(sign(payload))
    assert.equal(r.ok, true)
    assert.equal(Object.keys(r.claims).length, Object.keys(payload).length)
    assert.equal(Object.keys(r.record.claims.values).length, 64)
    assertSameAsJson(r, payload)
    assertSameAsJson(v.verify(sign(small)), small)
    assertSameAsJson(v.verify(sign(payload)), payload)
  }
})

test('a sink may verify with the same verifier: each record is read before the sink runs', () => {
  const seen = []
  let depth = 0
  const v = new Verifier(
    config({
      sink: (rec) => {
        seen.push(rec)
        if (depth++ === 0) assertSameAsJson(v.verify(sign(claims({ scope: 'inner' }))), claims({ scope: 'inner' }))
        depth--
      },
    }),
  )
  const outer = claims({ scope: 'outer', roles: ['x'] })
  assertSameAsJson(v.verify(sign(outer)), outer)
  assert.deepEqual(seen.map((rec) => rec.claims.values.scope), ['outer', 'inner'])
})

test('record time: the core text over the whole range of the clock (1970-9999)', () => {
  for (const now of [0, 1, NOW, 951782400, 4107542399, 253402300799]) {
    const r = new Verifier(config({ now })).verify('not a token')
    assertSameAsJson(r)
    assert.equal(r.record.time, JSON.parse(r.recordJson).time, `now: ${now}`)
  }
})

test('function sinks and verifyAsync receive the same objects', async () => {
  const seen = []
  const v = new Verifier(config({ sink: (rec) => seen.push(rec) }))
  const payload = claims({ scope: 'a b' })
  const sync = v.verify(sign(payload))
  const later = await v.verifyAsync(sign(payload))
  assertSameAsJson(sync, payload)
  assertSameAsJson(later, payload)
  assert.equal(seen.length, 2)
  for (const rec of seen) assert.equal(Object.getPrototypeOf(rec), Object.prototype)
  assert.deepEqual({ ...seen[0], id: 0, time: 0, duration_us: 0 }, { ...sync.record, id: 0, time: 0, duration_us: 0 })
  assert.notEqual(seen[0], sync.record, 'the sink gets its own copy')
})
