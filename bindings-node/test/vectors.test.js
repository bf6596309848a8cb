'use strict'
// Every case of tests/vectors through the binding: outcome, kind and `also` as expected, the
// blessed record when present, and the record equal to the Rust core's own output for the case
// (produced by the shared `tests/vector-oracle` program; `id`, `time`, `duration_us` excepted).
// The record object (built from the addon's tape and text) is also exactly JSON.parse of the record's JSON
// text, key order included; that text (`recordJson`) is byte for byte what core's file sink
// writes; the claims of an accepted token are its payload.
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { Verifier } = require('..')
const { VECTORS, stable } = require('./helpers')

const files = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort()

function tokenOf(c) {
  if (c.token_repeat) return c.token_repeat.unit.repeat(c.token_repeat.count)
  if (c.token_bytes_b64 !== undefined) return Buffer.from(c.token_bytes_b64, 'base64')
  return c.token
}

let rust
let dir
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-vectors-'))
  const out = execFileSync(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'jwt-audit-vector-oracle', '--', VECTORS],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  rust = new Map(Object.entries(JSON.parse(out)))
})

let total = 0
for (const file of files) {
  const { cases } = JSON.parse(fs.readFileSync(path.join(VECTORS, file), 'utf8'))
  describe(file, () => {
    for (const c of cases) {
      const n = total++
      test(c.name, () => {
        const token = tokenOf(c)
        const file = path.join(dir, `${n}.jsonl`)
        const r = new Verifier({ ...c.config, sink: { file } }).verify(token, c.context)
        const rec = r.record
        assert.equal(r.recordJson, fs.readFileSync(file, 'utf8').trimEnd(), 'the bytes core writes')
        assert.deepEqual(rec, JSON.parse(r.recordJson))
        assert.equal(JSON.stringify(rec), JSON.stringify(JSON.parse(r.recordJson)))
        if (r.ok) assert.deepEqual(r.claims, JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url')))
        else assert.equal(r.claims, null)
        assert.equal(rec.outcome, c.expected.outcome)
        assert.equal(r.ok, c.expected.outcome === 'accepted')
        assert.equal(rec.failure ? rec.failure.kind : null, c.expected.kind)
        assert.deepEqual(rec.failure ? rec.failure.also.map((a) => a.kind) : [], c.expected.also)
        if (c.expected.record) assert.deepEqual(stable(rec), c.expected.record)
        assert.ok(rust.has(c.name), 'the Rust oracle ran this case')
        assert.deepEqual(stable(rec), stable(rust.get(c.name)))
      })
    }
  })
}

after(() => fs.rmSync(dir, { recursive: true, force: true }))

test('every vector file was loaded', () => {
  assert.ok(files.length >= 9, `${files.length} files`)
  assert.ok(total >= 300, `${total} cases`)
  assert.equal(rust.size, total)
})
