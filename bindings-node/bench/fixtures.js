'use strict'
// Tokens, keys and timing helpers shared by bench.js and breakdown.js: every library verifies
// the same 64 tokens per case (HS256, RS256, ES256; accepted, or with a forged signature).
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const KEYS = path.join(__dirname, '..', '..', 'tests', 'vectors', 'keys')
const readKey = (f) => fs.readFileSync(path.join(KEYS, f), 'utf8')
const SECRET = readKey('hmac-32.txt')
const ISS = 'https://issuer.example'
const AUD = 'orders-api'
const ALGS = ['HS256', 'RS256', 'ES256']

const keys = {
  HS256: { sign: crypto.createSecretKey(Buffer.from(SECRET)), verify: crypto.createSecretKey(Buffer.from(SECRET)), config: { secret: SECRET } },
  RS256: { sign: crypto.createPrivateKey(readKey('rsa-1.private.pem')), verify: crypto.createPublicKey(readKey('rsa-1.pub.pem')), config: { pem: readKey('rsa-1.pub.pem') } },
  ES256: { sign: crypto.createPrivateKey(readKey('ec-p256.private.pem')), verify: crypto.createPublicKey(readKey('ec-p256.pub.pem')), config: { pem: readKey('ec-p256.pub.pem') } },
}

/** The jwt-audit configuration for `alg` (issuer and audience checked). */
const config = (alg) => ({ keys: [keys[alg].config], algorithms: [alg], issuer: ISS, audience: AUD })

function sign(alg, payload) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`
  const k = keys[alg].sign
  const sig =
    alg === 'HS256' ? crypto.createHmac('sha256', k).update(input).digest()
    : alg === 'RS256' ? crypto.sign('sha256', Buffer.from(input), k)
    : crypto.sign('sha256', Buffer.from(input), { key: k, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}

/** `{ accepted, rejected }`: 64 valid tokens of `alg`, and the same with a forged signature. */
function tokens(alg) {
  const now = Math.floor(Date.now() / 1000)
  const payload = (i) => ({ iss: ISS, aud: AUD, sub: `user-${i}`, iat: now, exp: now + 3600, jti: `id-${i}`, scope: 'orders:read', email: 'alice@example.com' })
  const accepted = Array.from({ length: 64 }, (_, i) => sign(alg, payload(i)))
  const forged = sign(alg, { ...payload(0), sub: 'mallory' }).split('.')[2]
  const rejected = accepted.map((t) => t.slice(0, t.lastIndexOf('.') + 1) + forged)
  return { accepted, rejected }
}

/** Command-line `--name value` as a number, or `dflt`. */
function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

module.exports = { ISS, AUD, ALGS, SECRET, keys, config, sign, tokens, arg, median }
