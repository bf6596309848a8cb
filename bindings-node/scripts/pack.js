'use strict'
// Builds the npm tarball: a standalone package that installs from source anywhere.
//
// The crate in this directory inherits from the workspace and depends on `path = "../core"`,
// neither of which exists outside the repository. `cargo package` writes normalised manifests
// (no workspace inheritance); this script stages those, vendors the core crate under
// `vendor/jwt-audit`, points the dependency there, marks the manifest as its own workspace, adds
// the JS files, and runs `npm pack` on the staging directory.
//
//   node scripts/pack.js [destination-dir]     (prints the tarball's path)
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const repo = path.join(root, '..')
const dest = path.resolve(process.argv[2] || root)
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const JS_FILES = ['README.md', 'index.js', 'index.mjs', 'index.d.ts', 'native/index.js', 'native/index.d.ts', 'scripts/install.js']

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-audit-pack-'))
const stage = path.join(work, 'package')
try {
  const cargoTarget = path.join(work, 'cargo')
  execFileSync(
    'cargo',
    ['package', '-p', 'jwt-audit', '-p', 'jwt-audit-node', '--no-verify', '--allow-dirty', '--quiet', '--target-dir', cargoTarget],
    { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const crate = (name) => path.join(cargoTarget, 'package', `${name}-${pkg.version}.crate`)
  const extract = (file, into) => {
    fs.mkdirSync(into, { recursive: true })
    execFileSync('tar', ['-xzf', file, '-C', into, '--strip-components=1'])
    for (const f of ['Cargo.toml.orig', '.cargo_vcs_info.json']) fs.rmSync(path.join(into, f), { force: true })
  }
  const nodeCrate = path.join(work, 'node-crate')
  extract(crate('jwt-audit-node'), nodeCrate)
  extract(crate('jwt-audit'), path.join(stage, 'vendor', 'jwt-audit'))
  fs.rmSync(path.join(stage, 'vendor', 'jwt-audit', 'Cargo.lock'), { force: true })

  for (const f of ['Cargo.lock', 'build.rs', 'src']) {
    fs.cpSync(path.join(nodeCrate, f), path.join(stage, f), { recursive: true })
  }
  let manifest = fs.readFileSync(path.join(nodeCrate, 'Cargo.toml'), 'utf8')
  const dep = '[dependencies.jwt-audit]\n'
  if (!manifest.includes(dep)) throw new Error('unexpected normalised manifest: no [dependencies.jwt-audit]')
  manifest = manifest
    .replace(dep, `${dep}path = "vendor/jwt-audit"\n`)
    .replace(/\[\[example\]\]\n(?:[^\[\n][^\n]*\n)*\n?/g, '')
  manifest += '\n# Standalone: not part of any enclosing Cargo workspace.\n[workspace]\n'
  fs.writeFileSync(path.join(stage, 'Cargo.toml'), manifest)

  for (const f of JS_FILES) {
    fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true })
    fs.copyFileSync(path.join(root, f), path.join(stage, f))
  }
  const { devDependencies, scripts, ...published } = pkg
  published.scripts = { install: scripts.install }
  published.files = [...JS_FILES.filter((f) => f !== 'README.md'), 'Cargo.toml', 'Cargo.lock', 'build.rs', 'src/', 'vendor/']
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)

  fs.mkdirSync(dest, { recursive: true })
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' })
  console.log(path.join(dest, out.trim().split('\n').pop()))
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
