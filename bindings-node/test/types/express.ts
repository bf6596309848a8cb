// The middleware and guards plug into Express's own types; `req.auth` is typed.
import express from 'express'
import { jwtAudit, requireRoles, requireScopes, Verifier } from 'jwt-audit'

const app = express()
const verifier = new Verifier({ keys: [{ secret: 'a-very-long-secret-of-at-least-32-bytes!' }], algorithms: ['HS256'] })
app.use(jwtAudit(verifier, { credentialsRequired: false, cookie: 'access_token' }))
app.get('/orders', requireScopes('orders:read'), requireRoles('buyer'), (req, res) => {
  const sub: string | undefined = req.auth?.claims.sub
  const outcome: 'accepted' | 'rejected' | undefined = req.auth?.record.outcome
  res.json({ sub, outcome })
})
app.get('/config', jwtAudit({ keys: [{ jwk: { kty: 'oct' } }], algorithms: ['HS256'] }), (_req, res) => {
  res.end()
})
// @ts-expect-error unknown middleware option
jwtAudit(verifier, { cookies: 'x' })
// @ts-expect-error scopes are strings
requireScopes(1)
