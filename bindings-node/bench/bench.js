'use strict'
// jwt-audit vs jose 6, jsonwebtoken 9 and fast-jwt 6 (cache: false) on the same tokens in the
// same run, plus node's own signature check alone. Median µs per verification over rounds.
//
//   node bench/bench.js [--rounds 15] [--ms 200]      (build first: npm run build)
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const os = require('node:os')
const jose = require('jose')
const jsonwebtoken = require('jsonwebtoken')
const { createVerifier } = require('fast-jwt')
const { Verifier } = require('..')

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const ROUNDS = arg('rounds', 15)
const ROUND_MS = arg('ms', 200)

const KEYS = path.join(__dirname, '..', '..', 'tests', 'vectors', 'keys')
const readKey = (f) => fs.readFileSync(path.join(KEYS, f), 'utf8')
const SECRET = readKey('hmac-32.txt')
const ISS = 'https://issuer.example'
const AUD = 'orders-api'

const keys = {
  HS256: { sign: crypto.createSecretKey(Buffer.from(SECRET)), verify: crypto.createSecretKey(Buffer.from(SECRET)), config: { secret: SECRET } },
  RS256: { sign: crypto.createPrivateKey(readKey('rsa-1.private.pem')), verify: crypto.createPublicKey(readKey('rsa-1.pub.pem')), config: { pem: readKey('rsa-1.pub.pem') } },
  ES256: { sign: crypto.createPrivateKey(readKey('ec-p256.private.pem')), verify: crypto.createPublicKey(readKey('ec-p256.pub.pem')), config: { pem: readKey('ec-p256.pub.pem') } },
}

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

/** Node's own signature check, nothing else: the floor every library stands on. */
function nodeAlone(alg) {
  const k = keys[alg].verify
  return (token) => {
    const dot = token.lastIndexOf('.')
    const input = token.slice(0, dot)
    const sig = Buffer.from(token.slice(dot + 1), 'base64url')
    if (alg === 'HS256') {
      const mac = crypto.createHmac('sha256', k).update(input).digest()
      return mac.length === sig.length && crypto.timingSafeEqual(mac, sig)
    }
    const opts = alg === 'ES256' ? { key: k, dsaEncoding: 'ieee-p1363' } : k
    return crypto.verify('sha256', Buffer.from(input), opts, sig)
  }
}

function contenders(alg) {
  const k = keys[alg].verify
  const v = new Verifier({ keys: [keys[alg].config], algorithms: [alg], issuer: ISS, audience: AUD })
  const fast = createVerifier({ key: alg === 'HS256' ? SECRET : k.export({ type: 'spki', format: 'pem' }), algorithms: [alg], allowedIss: ISS, allowedAud: AUD, cache: false })
  const catching = (fn) => (t) => {
    try {
      return fn(t)
    } catch (e) {
      return e
    }
  }
  return [
    ['jwt-audit verify (record on demand)', (t) => v.verify(t).ok],
    ['jwt-audit verify + full record object', (t) => v.verify(t).record],
    ['jwt-audit verifyAsync (awaited)', (t) => v.verifyAsync(t).then((r) => r.record), true],
    ['fast-jwt 6 (cache: false)', catching(fast)],
    ['jsonwebtoken 9 (KeyObject)', catching((t) => jsonwebtoken.verify(t, k, { algorithms: [alg], issuer: ISS, audience: AUD }))],
    ['jose 6 (awaited)', (t) => jose.jwtVerify(t, k, { algorithms: [alg], issuer: ISS, audience: AUD }).catch((e) => e), true],
    ['node crypto alone', nodeAlone(alg)],
  ]
}

async function measure(fn, isAsync, tokens) {
  const perRound = []
  let n = 0
  const once = async (count) => {
    const t0 = process.hrtime.bigint()
    if (isAsync) for (let i = 0; i < count; i++) await fn(tokens[i % tokens.length])
    else for (let i = 0; i < count; i++) fn(tokens[i % tokens.length])
    return Number(process.hrtime.bigint() - t0) / 1e3 / count
  }
  // calibrate: how many operations fill a round
  let probe = 50
  while ((await once(probe)) * probe < ROUND_MS * 100) probe *= 2
  n = Math.max(50, Math.round((ROUND_MS * 1000) / (await once(probe))))
  for (let r = 0; r < ROUNDS; r++) perRound.push(await once(n))
  perRound.sort((a, b) => a - b)
  return perRound[Math.floor(perRound.length / 2)]
}

async function main() {
  const now = Math.floor(Date.now() / 1000)
  const payload = (i) => ({ iss: ISS, aud: AUD, sub: `user-${i}`, iat: now, exp: now + 3600, jti: `id-${i}`, scope: 'orders:read', email: 'alice@example.com' })
  console.log(`# ${new Date().toISOString()} node ${process.version} ${os.cpus()[0].model} x${os.cpus().length}; median of ${ROUNDS} rounds of ~${ROUND_MS} ms`)
  const results = []
  for (const alg of ['HS256', 'RS256', 'ES256']) {
    const valid = Array.from({ length: 64 }, (_, i) => sign(alg, payload(i)))
    const forged = valid.map((t) => t.slice(0, t.lastIndexOf('.') + 1) + sign(alg, { ...payload(0), sub: 'mallory' }).split('.')[2])
    for (const [caseName, tokens] of [['accepted', valid], ['rejected (bad signature)', forged]]) {
      console.log(`\n## ${alg} ${caseName}`)
      const rows = []
      for (const [name, fn, isAsync] of contenders(alg)) {
        const us = await measure(fn, isAsync, tokens)
        rows.push([name, us])
        console.log(`${name.padEnd(40)} ${us.toFixed(2).padStart(8)} µs`)
      }
      results.push({ alg, caseName, rows })
    }
  }
  console.log('\n## ratios (same run)')
  for (const { alg, caseName, rows } of results) {
    const get = (prefix) => rows.find(([n]) => n.startsWith(prefix))[1]
    const ours = get('jwt-audit verify + full record')
    console.log(
      `${alg} ${caseName}: jwt-audit (full record) ${ours.toFixed(2)} µs; ` +
        `fast-jwt/jwt-audit ${(get('fast-jwt') / ours).toFixed(2)}x; jsonwebtoken/jwt-audit ${(get('jsonwebtoken') / ours).toFixed(2)}x; ` +
        `jose/jwt-audit ${(get('jose') / ours).toFixed(2)}x; jwt-audit/node-crypto-alone ${(ours / get('node crypto alone')).toFixed(2)}x`,
    )
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
