'use strict'
// Installing the package into a fresh project, as a user would: from the source directory
// (`npm install ./bindings-node`: the built addon loads, nothing to build) and from the standalone
// `npm pack` tarball (source only: the install script builds the addon with cargo). The cargo
// build reuses the workspace's target directory when CARGO_TARGET_DIR is not set, to save time.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const env = { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || path.join(root, '..', 'target') }

function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-install-'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  return dir
}

/** Runs `npm install spec` in `dir`; returns stdout and stderr together. */
function npmInstall(dir, spec) {
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', spec], {
    cwd: dir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const output = `${r.stdout}${r.stderr}`
  assert.equal(r.status, 0, output)
  return output
}

const USE_CJS = `
const { Verifier } = require('jwt-audit')
const v = new Verifier({ keys: [{ secret: 'a-very-long-secret-of-at-least-32-bytes!' }], algorithms: ['HS256'] })
const r = v.verify('eyJhbGciOiJub25lIn0.e30.')
console.log(JSON.stringify({ ok: r.ok, kind: r.record.failure.kind }))`
const USE_ESM = `
import { Verifier } from 'jwt-audit'
console.log(new Verifier({ keys: [{ secret: 'a-very-long-secret-of-at-least-32-bytes!' }], algorithms: ['HS256'] }).verify('').record.failure.kind)`

function checkUsable(dir) {
  const cjs = JSON.parse(execFileSync(process.execPath, ['-e', USE_CJS], { cwd: dir, encoding: 'utf8' }))
  assert.deepEqual(cjs, { ok: false, kind: 'algorithm_not_allowed' })
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', USE_ESM], { cwd: dir, encoding: 'utf8' })
  assert.equal(esm.trim(), 'missing_token')
}

test('npm install <source directory> uses the addon already built there', () => {
  const dir = project()
  try {
    const log = npmInstall(dir, root)
    assert.doesNotMatch(log, /building the native addon/, 'the built addon loads: no rebuild')
    checkUsable(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('npm install <packed tarball> builds the addon from source (core vendored)', () => {
  const dir = project()
  try {
    const tarball = execFileSync(process.execPath, [path.join(root, 'scripts', 'pack.js'), dir], { encoding: 'utf8', env }).trim()
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
    assert.ok(files.includes('package/vendor/jwt-audit/Cargo.toml'), 'core is vendored')
    assert.ok(!files.some((f) => f.endsWith('.node')), 'source only: no binary in the tarball')
    const log = npmInstall(dir, tarball)
    assert.match(log, /building the native addon from source/)
    const installed = path.join(dir, 'node_modules', 'jwt-audit')
    assert.ok(!fs.lstatSync(installed).isSymbolicLink())
    assert.ok(fs.readdirSync(path.join(installed, 'native')).some((f) => f.endsWith('.node')))
    checkUsable(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
