'use strict'
// Where the time of `verifier.verify(token)` goes, in one run with interleaved rounds:
//
//   core          the Rust core's `Verifier::verify` alone, in a Rust loop (examples/core_loop.rs)
//   core+to_json  the same plus `AuditRecord::to_json`
//   outcome       the addon's `verifyOutcome`: the N-API call and the core; nothing handed over
//   verify        `Verifier#verify` reading `ok`, `claims` and the whole `record` object
//   baseline      (with --baseline DIR) the same through another build of this package, e.g. an
//                 older commit's, reading `ok`, `claims` and `record`; `baseline outcome` is
//                 that build's `verifyOutcome`
//   JSON.parse    `JSON.parse(result.recordJson)` alone: what a JSON handoff pays on top
//
// Each round runs every row in turn; medians over rounds of the µs per call, in CPU time (this
// process, or the Rust loop's thread: other processes on the machine do not inflate it) and in
// wall time.
//
//   node bench/breakdown.js [--alg HS256] [--rounds 15] [--ms 100] [--baseline DIR]
// (builds the Rust loop with cargo; build the addon first: npm run build)
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { Verifier } = require('..')
const { config, tokens, arg, median } = require('./fixtures')

const option = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : process.argv[i + 1]
}
const ALG = option('alg', 'HS256')
const ROUNDS = arg('rounds', 15)
const ROUND_MS = arg('ms', 100)
const BASELINE = option('baseline', undefined)

/** The Rust loop's executable, built (release) by cargo. */
function coreLoop() {
  const out = execFileSync(
    'cargo',
    ['build', '--release', '-p', 'jwt-audit-node', '--example', 'core_loop', '--message-format=json-render-diagnostics'],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  )
  const built = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .find((m) => m.reason === 'compiler-artifact' && m.target.name === 'core_loop')
  return built.executable
}

/** `{ wall, cpu }` µs per call of `fn(token, index)` over `count` calls cycling through `list`. */
function timed(fn, list, count) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < count; i++) fn(list[i % list.length], i % list.length)
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / count
  const cpu = process.cpuUsage(cpu0)
  return { wall, cpu: (cpu.user + cpu.system) / count }
}

/**
 * `verifyOutcome` of a `Verifier` from package `dir` (this one or the baseline): a function of
 * the addon taking the verifier's handle, or (older builds) a method of its native verifier.
 */
function outcomeOf(dir, v) {
  const own = (name) => v[Object.getOwnPropertySymbols(v).find((s) => s.description === `jwt-audit.${name}`)]
  const handle = own('handle')
  if (handle === undefined) {
    const n = own('native')
    return (t) => n.verifyOutcome(t)
  }
  const { verifyOutcome } = require(path.join(dir, 'native', 'index.js'))
  return (t) => verifyOutcome(handle, t)
}

function rows(list) {
  const cfg = config(ALG)
  const v = new Verifier(cfg)
  const outcome = outcomeOf(path.join(__dirname, '..'), v)
  const json = list.map((t) => v.verify(t).recordJson)
  const out = [
    ['outcome', outcome],
    ['verify', (t) => { const r = v.verify(t); return [r.ok, r.claims, r.record] }],
    ['JSON.parse', (_, i) => JSON.parse(json[i])],
  ]
  if (BASELINE) {
    const { Verifier: Baseline } = require(path.resolve(BASELINE))
    const b = new Baseline(cfg)
    const baselineOutcome = outcomeOf(path.resolve(BASELINE), b)
    out.splice(
      2,
      0,
      ['baseline outcome', baselineOutcome],
      ['baseline', (t) => { const r = b.verify(t); return [r.ok, r.claims, r.record] }],
    )
  }
  return out
}

function main() {
  const exe = coreLoop()
  console.log(`# ${new Date().toISOString()} node ${process.version} ${os.cpus()[0].model} x${os.cpus().length}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log(`# ${ALG}; median of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms per row; µs per call, CPU time [wall time]`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-breakdown-'))
  const all = tokens(ALG)
  for (const caseName of ['accepted', 'rejected']) {
    const list = all[caseName]
    const casePath = path.join(dir, `${caseName}.json`)
    fs.writeFileSync(casePath, JSON.stringify({ config: config(ALG), tokens: list }))
    const table = rows(list)
    const results = new Map([['core', []], ['core+to_json', []], ...table.map(([name]) => [name, []])])
    const counts = new Map()
    for (const [name, fn] of table) {
      // warm up and size a round
      let n = 256
      while (timed(fn, list, n).wall * n < ROUND_MS * 1e3 / 4) n *= 2
      counts.set(name, Math.max(64, Math.round((ROUND_MS * 1e3) / timed(fn, list, n).wall)))
    }
    for (let r = 0; r < ROUNDS; r++) {
      const rust = JSON.parse(execFileSync(exe, [casePath, String(ROUND_MS)], { encoding: 'utf8' }))
      results.get('core').push(rust.verify)
      results.get('core+to_json').push(rust.verify_to_json)
      for (const [name, fn] of table) results.get(name).push(timed(fn, list, counts.get(name)))
    }
    console.log(`\n## ${ALG} ${caseName}`)
    const med = new Map([...results].map(([name, xs]) => [name, { cpu: median(xs.map((x) => x.cpu)), wall: median(xs.map((x) => x.wall)) }]))
    for (const [name, m] of med) console.log(`${name.padEnd(16)} ${m.cpu.toFixed(2).padStart(7)} [${m.wall.toFixed(2).padStart(7)}] µs`)
    const core = med.get('core').cpu
    const of = (name) => med.get(name).cpu
    console.log(
      `binding cost over the core (CPU): N-API call ${(of('outcome') - core).toFixed(2)} µs; ` +
        `handing ok+claims+record over ${(of('verify') - of('outcome')).toFixed(2)} µs` +
        (BASELINE ? ` (baseline: N-API call ${(of('baseline outcome') - core).toFixed(2)} µs, handing over ${(of('baseline') - of('baseline outcome')).toFixed(2)} µs)` : ''),
    )
  }
  fs.rmSync(dir, { recursive: true, force: true })
}

main()
