// The package from ESM: named and default imports are the CommonJS objects, and the middleware
// works on Express 4 and 5 imported as ES modules.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import express5 from 'express'
import express4 from 'express4'
import jwtAuditDefault, { Verifier, jwtAudit, requireScopes, correlationId } from 'jwt-audit'
import helpers from './helpers.js'

const { sign, claims, config, listen } = helpers
const cjs = createRequire(import.meta.url)('jwt-audit')

test('ESM exports are the CommonJS exports', () => {
  assert.equal(Verifier, cjs.Verifier)
  assert.equal(jwtAuditDefault.jwtAudit, jwtAudit)
  assert.equal(correlationId('req-9', undefined), 'req-9')
  assert.equal(new Verifier(config()).verify(sign(claims())).ok, true)
})

for (const [label, express] of [['express 4', express4], ['express 5', express5]]) {
  test(`ESM + ${label}: authenticated, rejected, guarded`, async (t) => {
    const records = []
    const app = express()
    app.use(jwtAudit(config({ sink: (r) => records.push(r) })))
    app.get('/me', (req, res) => res.json(req.auth.claims))
    app.get('/admin', requireScopes('orders:admin'), (req, res) => res.end('admin'))
    const server = await listen(app)
    t.after(() => server.close())
    const auth = { authorization: `Bearer ${sign(claims())}` }
    let res = await fetch(`${server.url}/me`, { headers: auth })
    assert.equal(res.status, 200)
    assert.equal((await res.json()).sub, 'user-123')
    res = await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer x.y.z' } })
    assert.equal(res.status, 401)
    res = await fetch(`${server.url}/admin`, { headers: auth })
    assert.equal(res.status, 403)
    assert.deepEqual(records.map((r) => r.event), ['authn_token_valid', 'authn_token_invalid', 'authn_token_valid', 'authz_fail'])
  })
}
