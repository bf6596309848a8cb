'use strict'
// `npm install` hook: use a prebuilt binary when one loads (a `native/jwt-audit.<platform>.node`
// file or a `jwt-audit-<platform>` package), otherwise build the addon from source with cargo.
// Needs only the Rust toolchain (no @napi-rs/cli): `cargo build --release` and a copy of the
// cdylib under the name the generated loader (native/index.js) looks for.
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

function loads() {
  try {
    require(path.join(root, 'native', 'index.js'))
    return true
  } catch {
    return false
  }
}

/** The platform suffix of napi-rs's loader, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function build() {
  const cargo = process.env.CARGO || 'cargo'
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    console.error('jwt-audit: no prebuilt binary for this platform and no Rust toolchain (cargo) to build one.')
    console.error('jwt-audit: install Rust (https://rustup.rs) and reinstall, or use a platform with a prebuilt binary.')
    process.exit(1)
  }
  console.error(`jwt-audit: building the native addon from source (${probe.stdout.trim()}) ...`)
  const out = execFileSync(
    cargo,
    ['build', '--release', '--lib', '--message-format=json-render-diagnostics', '--manifest-path', path.join(root, 'Cargo.toml')],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  )
  const artifact = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.target.kind.includes('cdylib'))
    .flatMap((m) => m.filenames)
    .find((f) => /\.(so|dylib|dll)$/.test(f))
  if (!artifact) throw new Error('jwt-audit: cargo did not report the cdylib it built')
  const dest = path.join(root, 'native', `jwt-audit.${platformSuffix()}.node`)
  fs.copyFileSync(artifact, dest)
  console.error(`jwt-audit: built ${path.relative(root, dest)}`)
}

if (process.env.JWT_AUDIT_FORCE_BUILD || !loads()) build()
if (!loads()) {
  console.error('jwt-audit: the native addon was built but does not load')
  process.exit(1)
}
