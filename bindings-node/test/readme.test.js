'use strict'
// The README's Express example, extracted and run as written against real HTTP requests.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')

const root = path.join(__dirname, '..')

function expressExample() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Express'))
  const match = section.match(/```js\n([\s\S]*?)```/)
  assert.ok(match, 'README has a js block under ## Express')
  return match[1]
}

function hs256(payload, secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`
}

test('the README Express example runs as documented', async (t) => {
  // Inside the package so that require('jwt-audit') resolves to this package (self-reference).
  const file = path.join(__dirname, 'readme-example.generated.js')
  fs.writeFileSync(file, expressExample())
  const secret = crypto.randomBytes(32).toString('hex')
  const child = spawn(process.execPath, [file], { env: { ...process.env, JWT_SECRET: secret, PORT: '0' } })
  t.after(() => {
    child.kill()
    fs.rmSync(file, { force: true })
  })
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  const port = await new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
      const m = stderr.match(/listening on (\d+)/)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`example exited with ${code}: ${stderr}`)))
  })
  const url = `http://127.0.0.1:${port}`
  const now = Math.floor(Date.now() / 1000)
  const token = hs256({ iss: 'https://issuer.example', aud: 'orders-api', sub: 'alice', iat: now, exp: now + 300, scope: 'orders:read' }, secret)

  let res = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'readme-1' } })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { user: 'alice' })
  res = await fetch(`${url}/orders`)
  assert.equal(res.status, 401)
  assert.equal(res.headers.get('www-authenticate'), 'Bearer')
  res = await fetch(`${url}/orders/7`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.status, 403)

  await new Promise((r) => setTimeout(r, 100))
  const records = stdout.trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(records.map((r) => r.failure && r.failure.kind), [null, 'missing_token', null, 'insufficient_scope'])
  assert.equal(records[0].request.correlation_id, 'readme-1')
  assert.equal(records[0].request.client_ip, '127.0.0.1')
  assert.ok(!stdout.includes(token), 'the token never reaches the log')
})
