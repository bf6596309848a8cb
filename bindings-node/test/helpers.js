'use strict'
// Shared test helpers: real tokens signed with node:crypto and the vectors' test-only keys,
// and a real HTTP server on 127.0.0.1:0.
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const VECTORS = path.join(__dirname, '..', '..', 'tests', 'vectors')
const KEYS = path.join(VECTORS, 'keys')
const SECRET = fs.readFileSync(path.join(KEYS, 'hmac-32.txt'), 'utf8')
const NOW = 1700000000

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
const key = (name) => fs.readFileSync(path.join(KEYS, name), 'utf8')

/** Signs `payload` with `alg` (HS256 with SECRET, RS256 with rsa-1, ES256 with ec-p256). */
function sign(payload, { alg = 'HS256', header = {} } = {}) {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`
  let sig
  if (alg === 'HS256') sig = crypto.createHmac('sha256', SECRET).update(input).digest()
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key('rsa-1.private.pem'))
  else if (alg === 'ES256') {
    sig = crypto.sign('sha256', Buffer.from(input), { key: key('ec-p256.private.pem'), dsaEncoding: 'ieee-p1363' })
  } else if (alg === 'none') sig = Buffer.alloc(0)
  else throw new Error(`no signer for ${alg}`)
  return `${input}.${sig.toString('base64url')}`
}

/** The usual claims, valid at NOW. */
function claims(extra = {}) {
  return {
    iss: 'https://issuer.example',
    sub: 'user-123',
    aud: 'orders-api',
    iat: NOW - 60,
    exp: NOW + 3600,
    scope: 'orders:read',
    email: 'alice@example.com',
    ...extra,
  }
}

/** A config for tokens made by `sign`. */
function config(extra = {}) {
  return {
    keys: [{ secret: SECRET }, { pem: key('rsa-1.pub.pem') }, { pem: key('ec-p256.pub.pem') }],
    algorithms: ['HS256', 'RS256', 'ES256'],
    issuer: 'https://issuer.example',
    audience: 'orders-api',
    now: NOW,
    ...extra,
  }
}

/** Starts `app` on 127.0.0.1:0; returns { url, close }. */
function listen(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1')
    server.once('error', reject)
    server.once('listening', () => {
      const { port } = server.address()
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => server.close(r)),
      })
    })
  })
}

/** Removes the three fields allowed to differ run to run. */
function stable(record) {
  const { id, time, duration_us, ...rest } = record
  return rest
}

module.exports = { VECTORS, KEYS, SECRET, NOW, sign, claims, config, listen, stable, key }
