'use strict'
// jwt-audit vs jose 6, jsonwebtoken 9 and fast-jwt 6 (cache: false) on the same tokens in the
// same run, plus node's own signature check alone. Median µs per verification over rounds.
//
//   node bench/bench.js [--rounds 15] [--ms 200]      (build first: npm run build)
const crypto = require('node:crypto')
const os = require('node:os')
const jose = require('jose')
const jsonwebtoken = require('jsonwebtoken')
const { createVerifier } = require('fast-jwt')
const { Verifier } = require('..')
const { ISS, AUD, ALGS, SECRET, keys, config, tokens, arg, median } = require('./fixtures')

const ROUNDS = arg('rounds', 15)
const ROUND_MS = arg('ms', 200)

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
  const v = new Verifier(config(alg))
  const fast = createVerifier({ key: alg === 'HS256' ? SECRET : k.export({ type: 'spki', format: 'pem' }), algorithms: [alg], allowedIss: ISS, allowedAud: AUD, cache: false })
  const catching = (fn) => (t) => {
    try {
      return fn(t)
    } catch (e) {
      return e
    }
  }
  return [
    ['jwt-audit verify: ok, claims, full record', (t) => v.verify(t).record],
    ['jwt-audit verifyAsync (awaited)', (t) => v.verifyAsync(t).then((r) => r.record), true],
    ['fast-jwt 6 (cache: false)', catching(fast)],
    ['jsonwebtoken 9 (KeyObject)', catching((t) => jsonwebtoken.verify(t, k, { algorithms: [alg], issuer: ISS, audience: AUD }))],
    ['jose 6 (awaited)', (t) => jose.jwtVerify(t, k, { algorithms: [alg], issuer: ISS, audience: AUD }).catch((e) => e), true],
    ['node crypto alone', nodeAlone(alg)],
  ]
}

async function measure(fn, isAsync, list) {
  const perRound = []
  let n = 0
  const once = async (count) => {
    const t0 = process.hrtime.bigint()
    if (isAsync) for (let i = 0; i < count; i++) await fn(list[i % list.length])
    else for (let i = 0; i < count; i++) fn(list[i % list.length])
    return Number(process.hrtime.bigint() - t0) / 1e3 / count
  }
  // calibrate: how many operations fill a round
  let probe = 50
  while ((await once(probe)) * probe < ROUND_MS * 100) probe *= 2
  n = Math.max(50, Math.round((ROUND_MS * 1000) / (await once(probe))))
  for (let r = 0; r < ROUNDS; r++) perRound.push(await once(n))
  return median(perRound)
}

async function main() {
  console.log(`# ${new Date().toISOString()} node ${process.version} ${os.cpus()[0].model} x${os.cpus().length}; median of ${ROUNDS} rounds of ~${ROUND_MS} ms`)
  const results = []
  for (const alg of ALGS) {
    const { accepted, rejected } = tokens(alg)
    for (const [caseName, list] of [['accepted', accepted], ['rejected (bad signature)', rejected]]) {
      console.log(`\n## ${alg} ${caseName}`)
      const rows = []
      for (const [name, fn, isAsync] of contenders(alg)) {
        const us = await measure(fn, isAsync, list)
        rows.push([name, us])
        console.log(`${name.padEnd(40)} ${us.toFixed(2).padStart(8)} µs`)
      }
      results.push({ alg, caseName, rows })
    }
  }
  console.log('\n## ratios (same run)')
  for (const { alg, caseName, rows } of results) {
    const get = (prefix) => rows.find(([n]) => n.startsWith(prefix))[1]
    const ours = get('jwt-audit verify:')
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
