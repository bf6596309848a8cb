'use strict'
// The Verifier API: results, records, sinks, stats, verifyAsync and bad calls.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { Verifier, Verification } = require('..')
const { sign, claims, config, stable, NOW, SECRET } = require('./helpers')

test('accepted token: ok, full claims, redacted record with the request context', () => {
  const v = new Verifier(config())
  const token = sign(claims())
  const r = v.verify(token, { correlationId: 'req-1', clientIp: '203.0.113.7', method: 'GET', path: '/orders', userAgent: 'curl/8' })
  assert.ok(r instanceof Verification)
  assert.equal(r.ok, true)
  assert.equal(r.claims.sub, 'user-123')
  assert.equal(r.claims.email, 'alice@example.com', 'claims are the full verified claims')
  const rec = r.record
  assert.equal(rec.schema, 'jwt-audit/v1')
  assert.equal(rec.outcome, 'accepted')
  assert.equal(rec.event, 'authn_token_valid')
  assert.equal(rec.failure, null)
  assert.equal(rec.token.trusted, true)
  assert.equal(rec.token.alg, 'HS256')
  assert.match(rec.token.fingerprint, /^sha256:[A-Za-z0-9_-]{22}$/)
  assert.deepEqual(rec.claims.dropped, ['email'])
  assert.equal(rec.claims.values.email, undefined)
  assert.deepEqual(rec.request, { correlation_id: 'req-1', client_ip: '203.0.113.7', method: 'GET', path: '/orders', user_agent: 'curl/8' })
  assert.deepEqual(JSON.parse(r.recordJson), rec)
  assert.deepEqual(JSON.parse(JSON.stringify(r)), { ok: true, claims: r.claims, record: rec })
  const [, , signature] = token.split('.')
  assert.ok(!r.recordJson.includes(token) && !r.recordJson.includes(signature), 'no token or signature in the record')
})

test('snake_case context and Buffer tokens work like camelCase and strings', () => {
  const v = new Verifier(config())
  const token = sign(claims())
  const a = v.verify(token, { correlation_id: 'c', client_ip: '::1', user_agent: 'ua' })
  const b = v.verify(Buffer.from(token), { correlationId: 'c', clientIp: '::1', userAgent: 'ua' })
  assert.equal(b.ok, true)
  assert.deepEqual(stable(a.record), stable(b.record))
})

test('rejections are results with a kind, never exceptions', () => {
  const v = new Verifier(config())
  const token = sign(claims())
  const cases = [
    [token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA'), 'bad_signature'],
    [sign(claims({ exp: NOW - 3600 })), 'expired'],
    [sign(claims({ aud: 'other' })), 'audience_mismatch'],
    [sign(claims(), { alg: 'none' }), 'algorithm_not_allowed'],
    ['', 'missing_token'],
    ['not a token', 'malformed'],
  ]
  for (const [t, kind] of cases) {
    const r = v.verify(t)
    assert.equal(r.ok, false, kind)
    assert.equal(r.claims, null)
    assert.equal(r.record.failure.kind, kind)
    assert.equal(r.record.outcome, 'rejected')
  }
  assert.equal(v.verify(sign(claims(), { alg: 'none' })).record.severity, 'critical')
  const s = v.stats()
  assert.equal(s.rejected, cases.length + 1)
  assert.equal(s.by_kind.algorithm_not_allowed, 2)
})

test('RS256 and ES256 verify natively, sync and async, with equal records', async () => {
  const v = new Verifier(config())
  for (const alg of ['RS256', 'ES256']) {
    const token = sign(claims(), { alg })
    const sync = v.verify(token, { path: '/p' })
    const asyncResult = await v.verifyAsync(token, { path: '/p' })
    assert.equal(sync.ok, true, alg)
    assert.equal(asyncResult.ok, true, alg)
    assert.deepEqual(stable(asyncResult.record), stable(sync.record))
    assert.deepEqual(asyncResult.claims, sync.claims)
  }
  const results = await Promise.all(Array.from({ length: 32 }, (_, i) => v.verifyAsync(sign(claims({ jti: `j${i}` }), { alg: 'ES256' }))))
  assert.ok(results.every((r) => r.ok))
  assert.deepEqual(results.map((r) => r.claims.jti), results.map((_, i) => `j${i}`))
})

test('function sinks receive every record, sync and async; several sinks allowed', async () => {
  const a = []
  const b = []
  const v = new Verifier(config({ sink: [(r) => a.push(r), (r) => b.push(r)] }))
  const r1 = v.verify(sign(claims()))
  assert.equal(a.length, 1)
  assert.deepEqual(a[0], r1.record)
  const r2 = await v.verifyAsync(sign(claims(), { alg: 'RS256' }))
  assert.equal(a.length, 2)
  assert.deepEqual(a[1], r2.record)
  assert.deepEqual(b, a)
  assert.notEqual(a[0], b[0], 'each sink gets its own object')
})

test('a throwing sink is counted in stats and changes nothing', async () => {
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  const seen = []
  const v = new Verifier(config({ sink: [() => { throw new Error('sink down') }, (r) => seen.push(r)] }))
  assert.equal(v.verify(sign(claims())).ok, true)
  assert.equal((await v.verifyAsync(sign(claims(), { alg: 'ES256' }))).ok, true)
  assert.equal(v.verify('x.y.z').ok, false)
  assert.equal(seen.length, 3, 'later sinks still run')
  const s = v.stats()
  assert.equal(s.sink_errors, 3)
  assert.equal(s.accepted, 2)
  assert.equal(s.rejected, 1)
  await new Promise((r) => setImmediate(r))
  process.off('warning', onWarning)
  const ours = warnings.filter((w) => w.code === 'JWT_AUDIT_SINK_ERROR')
  assert.equal(ours.length, 1, 'one warning per process')
  assert.ok(!ours[0].message.includes('sink down'), 'the error text is not repeated')
})

test('fail-closed auditing rejects when a function sink throws (verify and verifyAsync)', async () => {
  const v = new Verifier(config({ auditFailClosed: true, sink: () => { throw new Error('disk full') } }))
  const r = v.verify(sign(claims()))
  assert.equal(r.ok, false)
  assert.equal(r.record.failure.kind, 'audit_failed')
  const ra = await v.verifyAsync(sign(claims(), { alg: 'RS256' }))
  assert.equal(ra.ok, false)
  assert.equal(ra.record.failure.kind, 'audit_failed')
  assert.equal(v.stats().by_kind.audit_failed, 2)
})

test('a sink may call the verifier again (re-entrancy)', () => {
  const inner = []
  let v
  v = new Verifier(config({ sink: (r) => { if (r.request.path === '/outer') inner.push(v.verify('x', { path: '/inner' }).ok) } }))
  assert.equal(v.verify(sign(claims()), { path: '/outer' }).ok, true)
  assert.deepEqual(inner, [false])
})

test('file sink writes JSON lines; stdout sink writes to stdout', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-')), 'audit.jsonl')
  const v = new Verifier(config({ sink: { file } }))
  v.verify(sign(claims()))
  v.verify('a.b')
  v.flush()
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(lines.map((l) => l.outcome), ['accepted', 'rejected'])
  const script = `const { Verifier } = require(${JSON.stringify(path.join(__dirname, '..'))});
    const v = new Verifier({ keys: [{ secret: ${JSON.stringify(SECRET)} }], algorithms: ['HS256'], sink: 'stdout' });
    v.verify('a.b.c', { path: '/stdout' }); v.flush();`
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  const rec = JSON.parse(out.trim())
  assert.equal(rec.request.path, '/stdout')
  assert.equal(rec.failure.kind, 'malformed')
})

test('bad calls throw TypeErrors that say what is wrong', () => {
  const v = new Verifier(config())
  for (const bad of [undefined, null, 42, {}, ['a'], Symbol('t')]) {
    assert.throws(() => v.verify(bad), (e) => e instanceof TypeError && /token must be a string, Buffer or Uint8Array/.test(e.message))
  }
  assert.throws(() => v.verify('a', 'ctx'), /context must be an object \(got string\)/)
  assert.throws(() => v.verify('a', { path: 5 }), /context.path must be a string \(got number\)/)
  return assert.rejects(v.verifyAsync(7), TypeError)
})

test('wrong config types are TypeErrors naming the option', () => {
  const cases = [
    [null, 'config', /must be an object/],
    ['HS256', 'config', /must be an object/],
    [config({ algorithms: 'HS256' }), 'algorithms', /invalid type/],
    [config({ leewaySeconds: '30' }), 'leewaySeconds', /invalid type: string/],
    [config({ leewaySeconds: 301 }), 'leewaySeconds', /^invalid option `leewaySeconds`: .*maximum of 300/],
    [config({ leeway_seconds: 301 }), 'leeway_seconds', /^invalid option `leeway_seconds`: .*maximum of 300/],
    [config({ leeway_seconds: -1 }), 'leeway_seconds', /^invalid option `leeway_seconds`: invalid value/],
    [config({ maxTokenBytes: 10 }), 'maxTokenBytes', /^invalid option `maxTokenBytes`: must be between/],
    [config({ fingerprintKey: 'short' }), 'fingerprintKey', /^invalid option `fingerprintKey`: must be at least/],
    [config({ leewaySeconds: 1, leeway_seconds: 2 }), 'leewaySeconds', /given twice \(also as `leeway_seconds`\)/],
    [config({ requiredClaims: [1] }), 'requiredClaims[0]', /invalid type/],
    [config({ leewaySecs: 1 }), 'leewaySecs', /unknown option .*`leewaySeconds`, `requiredClaims`, .*`maxTokenBytes`.*`fingerprintKey`.*`auditFailClosed`/],
    [config({ maxTokenBytes: NaN }), 'maxTokenBytes', /finite number/],
    [config({ keys: [{ secret: Buffer.from(SECRET) }] }), 'keys[0].secret', /got a Buffer/],
    [config({ keys: [{ pem: () => 'x' }] }), 'keys[0].pem', /got a function/],
    [config({ algorithms: ['none'] }), 'algorithms[0]', /never allowed/],
    [config({ sink: 'syslog' }), 'sink', /unknown sink/],
    [config({ sink: 42 }), 'sink', /must be a function/],
    [config({ sink: { file: 1 } }), 'sink.file', /path string/],
  ]
  for (const [cfg, option, message] of cases) {
    assert.throws(
      () => new Verifier(cfg),
      (e) => e instanceof TypeError && e.code === 'ERR_JWT_AUDIT_CONFIG' && e.option === option && message.test(e.message),
      `${option}: ${message}`,
    )
  }
  assert.throws(() => new Verifier(config({ keys: [{ secret: 'short' }] })), (e) => !e.message.includes('short'), 'no secret in messages')
  assert.doesNotThrow(() => new Verifier(config({ issuer: undefined, name: 'orders' })))
  assert.doesNotThrow(() => new Verifier(config({ now: 4102444800 })), 'integers beyond 32 bits stay integers')
  assert.equal(new Verifier(config({ name: 'orders' })).name, 'orders')
})

test('1 MB tokens: rejected by size, or parsed when the limit allows it, without throwing', async () => {
  const v = new Verifier(config())
  const big = 'a'.repeat(1024 * 1024)
  const r = v.verify(big)
  assert.equal(r.record.failure.kind, 'token_too_large')
  assert.equal(r.record.token.size, 1024 * 1024)
  assert.equal(r.record.token.fingerprint, null)
  assert.equal((await v.verifyAsync(Buffer.from(big))).record.failure.kind, 'token_too_large')
  const roomy = new Verifier(config({ maxTokenBytes: 1024 * 1024 }))
  const padded = sign(claims({ pad: 'x'.repeat(700 * 1024) }))
  assert.ok(padded.length > 900 * 1024 && padded.length <= 1024 * 1024)
  const ok = roomy.verify(padded)
  assert.equal(ok.ok, true)
  assert.equal(ok.claims.pad.length, 700 * 1024)
  assert.ok(ok.recordJson.length < 4096, 'the record stays small')
  assert.equal(roomy.verify(`${big.slice(0, 1000)}.${big.slice(0, 1000)}.${big.slice(0, 1000)}`).record.failure.kind, 'malformed')
})
