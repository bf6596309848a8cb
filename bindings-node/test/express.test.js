'use strict'
// The Express middleware against a real app on 127.0.0.1:0, driven over HTTP, on Express 4 and 5.
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Verifier, jwtAudit, requireScopes, requireRoles } = require('..')
const { sign, claims, config, listen, NOW } = require('./helpers')

const EXPRESS = { 'express 4': require('express4'), 'express 5': require('express') }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/

for (const [label, express] of Object.entries(EXPRESS)) {
  describe(label, () => {
    const records = []
    let server
    const get = (path, headers = {}) => fetch(server.url + path, { headers })
    const bearer = (token) => ({ authorization: `Bearer ${token}` })
    const last = () => records[records.length - 1]

    before(async () => {
      const verifier = new Verifier(config({ sink: (r) => records.push(r) }))
      const app = express()
      app.set('trust proxy', 'loopback')
      const auth = jwtAudit(verifier)
      app.get('/orders', auth, (req, res) => res.json({ sub: req.auth.claims.sub, kind: req.auth.record.event, id: req.auth.record.id }))
      app.get('/admin', auth, requireScopes('orders:admin'), (req, res) => res.json({ admin: true }))
      app.get('/read', auth, requireScopes('orders:read'), (req, res) => res.json({ read: true }))
      app.get('/ops', auth, requireRoles('ops'), (req, res) => res.json({ ops: true }))
      const anonymous = jwtAudit(verifier, { credentialsRequired: false })
      app.get('/public', anonymous, (req, res) => res.json({ user: req.auth ? req.auth.claims.sub : null }))
      app.get('/public-guarded', anonymous, requireScopes('orders:read'), (req, res) => res.json({ ok: true }))
      app.get('/cookie', jwtAudit(verifier, { cookie: 'access_token', query: 'access_token' }), (req, res) => res.json({ sub: req.auth.claims.sub }))
      server = await listen(app)
    })
    after(() => server.close())

    test('valid token: 200, req.auth, request context in the record, correlation id echoed', async () => {
      const res = await get('/orders?page=2', { ...bearer(sign(claims())), 'user-agent': 'tester/1', 'x-request-id': 'req-42' })
      assert.equal(res.status, 200)
      const body = await res.json()
      assert.equal(body.sub, 'user-123')
      assert.equal(body.kind, 'authn_token_valid')
      assert.equal(res.headers.get('x-request-id'), 'req-42')
      const r = last()
      assert.equal(r.id, body.id, 'req.auth.record is the record the sink got')
      assert.deepEqual(r.request, { correlation_id: 'req-42', client_ip: '127.0.0.1', method: 'GET', path: '/orders', user_agent: 'tester/1' })
    })

    test('correlation id from traceparent, else generated; client ip honours trust proxy', async () => {
      const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      let res = await get('/orders', { ...bearer(sign(claims())), traceparent: tp, 'x-forwarded-for': '203.0.113.9' })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('x-request-id'), '4bf92f3577b34da6a3ce929d0e0e4736')
      assert.equal(last().request.client_ip, '203.0.113.9')
      res = await get('/orders', { 'x-request-id': 'bad\tid' })
      assert.match(res.headers.get('x-request-id'), UUID)
      assert.equal(last().request.correlation_id, res.headers.get('x-request-id'))
    })

    const rejections = [
      ['expired', () => bearer(sign(claims({ exp: NOW - 600 }))), 'expired'],
      ['tampered', () => bearer(sign(claims()).replace(/\.([^.]+)\./, (_, p) => `.${Buffer.from(JSON.stringify({ ...claims(), sub: 'admin' })).toString('base64url')}.`)), 'bad_signature'],
      ['alg none', () => bearer(sign(claims(), { alg: 'none' })), 'algorithm_not_allowed'],
      ['wrong audience', () => bearer(sign(claims({ aud: 'billing-api' }))), 'audience_mismatch'],
      ['Bearer without token', () => ({ authorization: 'Bearer' }), 'malformed'],
      ['Bearer with junk', () => ({ authorization: 'Bearer a b' }), 'malformed'],
    ]
    for (const [name, headers, kind] of rejections) {
      test(`${name}: 401 invalid_token, generic body, ${kind} in the record`, async () => {
        const res = await get('/orders', headers())
        assert.equal(res.status, 401)
        assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
        assert.equal(res.headers.get('cache-control'), 'no-store')
        const text = await res.text()
        assert.deepEqual(JSON.parse(text), { error: 'invalid_token' })
        assert.ok(!text.includes('user-123') && !text.includes(kind))
        assert.equal(last().failure.kind, kind)
      })
    }

    for (const [name, headers] of [['no Authorization header', {}], ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }]]) {
      test(`${name}: 401 with a bare Bearer challenge, missing_token`, async () => {
        const res = await get('/orders', headers)
        assert.equal(res.status, 401)
        assert.equal(res.headers.get('www-authenticate'), 'Bearer')
        assert.deepEqual(await res.json(), { error: 'unauthorized' })
        assert.equal(last().failure.kind, 'missing_token')
      })
    }

    test('scope and role guards: 403 insufficient_scope with an authz_fail record', async () => {
      const token = sign(claims({ roles: ['support'] }))
      let res = await get('/read', bearer(token))
      assert.equal(res.status, 200)
      const before = records.length
      res = await get('/admin', bearer(token))
      assert.equal(res.status, 403)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="orders:admin"')
      assert.deepEqual(await res.json(), { error: 'insufficient_scope' })
      assert.equal(records.length, before + 2, 'the authentication record and the authz_fail record')
      const denial = last()
      assert.equal(denial.event, 'authz_fail')
      assert.equal(denial.failure.kind, 'insufficient_scope')
      assert.deepEqual(denial.authz.required, { scopes: ['orders:admin'], roles: [] })
      assert.equal(denial.authz.decision, 'deny')
      res = await get('/ops', bearer(token))
      assert.equal(res.status, 403)
      assert.deepEqual(last().authz.required.roles, ['ops'])
      assert.equal((await get('/ops', bearer(sign(claims({ roles: ['ops'] }))))).status, 200)
    })

    test('anonymous mode lets requests without a token through, recorded; bad tokens still fail', async () => {
      let res = await get('/public')
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { user: null })
      assert.equal(last().failure.kind, 'missing_token')
      res = await get('/public', bearer(sign(claims())))
      assert.deepEqual(await res.json(), { user: 'user-123' })
      res = await get('/public', bearer(sign(claims({ exp: NOW - 600 }))))
      assert.equal(res.status, 401)
      res = await get('/public-guarded')
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer')
    })

    test('cookie and query tokens only where opted in', async () => {
      const token = sign(claims())
      let res = await get('/cookie', { cookie: `theme=dark; access_token=${token}` })
      assert.equal(res.status, 200)
      res = await get(`/cookie?access_token=${token}`)
      assert.equal(res.status, 200)
      assert.equal(last().request.path, '/cookie', 'the query string (and its token) stays out of the record')
      res = await get(`/orders?access_token=${token}`, { cookie: `access_token=${token}` })
      assert.equal(res.status, 401)
      assert.equal(last().failure.kind, 'missing_token')
    })
  })
}

test('middleware options are checked up front', () => {
  assert.throws(() => jwtAudit(config(), { credentialsRequired: 'no' }), TypeError)
  assert.throws(() => jwtAudit(config(), { cookies: 'x' }), /unknown jwtAudit option `cookies`/)
  assert.throws(() => jwtAudit({ algorithms: ['HS256'] }), (e) => e.code === 'ERR_JWT_AUDIT_CONFIG')
  assert.throws(() => requireScopes('a', 5), TypeError)
  assert.equal(typeof jwtAudit(config()), 'function', 'a config works in place of a Verifier')
})
