// @jwt-audit/wasm vs jose 6, same tokens and checks, in Node and in workerd (miniflare), and where
// an HS256 `verifySync` spends its time in Node.
// Usage: node bench/bench.mjs [node|workerd]   (after npm ci, ./build.sh and ./build.sh --bench;
// prints Markdown)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { Miniflare } from "miniflare";
import { Verifier } from "@jwt-audit/wasm";
import { cases } from "./cases.mjs";
import { prepare, run } from "./lib.mjs";

const ROUNDS = 15;
const iterations = (alg) => (alg.startsWith("HS") ? 4000 : 1000);
// Verifications per workerd request: a request costs milliseconds itself (2.6 ms best, 6.7 ms
// median measured here), so each runs ~200 ms of work.
const WORKERD_FACTOR = 4;
// The median round, and the best one (other processes on a shared machine only ever add time).
const stat = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], best: sorted[0] };
};

/** Wall-clock time in µs. */
const wallClock = () => performance.now() * 1000;
/** This process's CPU time in µs (all threads): time spent descheduled by other processes'
 * load is not counted. */
const cpuClock = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * µs per verification of each `batches[k](n)` over ROUNDS rounds (`{ median, best }`), timed
 * round-robin (one round of every entry at a time) so load from other processes hits all alike.
 */
async function measure(batches, n, clock = wallClock) {
  for (const batch of Object.values(batches)) await batch(Math.ceil(n / 4)); // warm-up
  const times = Object.fromEntries(Object.keys(batches).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, batch] of Object.entries(batches)) {
      const t0 = clock();
      await batch(n);
      times[k].push((clock() - t0) / n);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, stat(t)]));
}

/** Every (library, mode) pair of one algorithm, measured together, `n` verifications a round. */
async function compare(alg, libs, call, n = iterations(alg)) {
  const batches = {};
  for (const lib of libs) {
    for (const mode of lib === "wasm-sync" ? ["sync"] : ["awaited", "inflight"]) {
      batches[`${alg} ${lib} ${mode}`] = (n) => call(lib, mode, n);
    }
  }
  return measure(batches, n);
}

async function inNode() {
  const prepared = await prepare(cases, { Verifier, jose });
  const out = {};
  for (const { alg } of cases) {
    Object.assign(out, await compare(alg, Object.keys(prepared[alg]), (lib, mode, n) => run(prepared[alg][lib], mode, n)));
  }
  return out;
}

async function inWorkerd() {
  const dir = fileURLToPath(new URL("./worker/", import.meta.url));
  const dist = mkdtempSync(join(tmpdir(), "jwt-audit-bench-"));
  execFileSync(fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url)),
    ["deploy", "--dry-run", "--outdir", dist], { cwd: dir, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: "ignore" });
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dist, "index.js"),
    modulesRoot: dist,
    compatibilityDate: "2026-04-01",
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
  });
  try {
    const setup = await mf.dispatchFetch("http://bench/setup", { method: "POST", body: JSON.stringify(cases) });
    const libsByAlg = await setup.json();
    const out = {};
    for (const { alg } of cases) {
      const call = async (lib, mode, n) => {
        const res = await mf.dispatchFetch(`http://bench/run?alg=${alg}&lib=${lib}&mode=${mode}&n=${n}`);
        if ((await res.text()) !== "done") throw new Error(`workerd run failed: ${alg} ${lib} ${mode}`);
      };
      // The cost of a request itself, measured the same way, is subtracted: its median from the
      // medians, its best from the bests.
      const { overhead } = await measure({ overhead: () => call("jose", "sync", 0) }, 1);
      const n = WORKERD_FACTOR * iterations(alg);
      const r = await compare(alg, libsByAlg[alg], call, n);
      for (const [k, { median, best }] of Object.entries(r)) {
        out[k] = { median: median - overhead.median / n, best: best - overhead.best / n };
      }
    }
    return out;
  } finally {
    await mf.dispose();
    rmSync(dist, { recursive: true, force: true });
  }
}

/**
 * Where an HS256 `verifySync` spends its time in Node, with the module built with the benchmark
 * exports of src/bench.rs (`./build.sh --bench`): the core looped inside the module, the same plus
 * writing the handoff, and the whole call (one token repeated, and cycling through the 64); the
 * JSON handoff it replaced; SHA-256 in the module against node:crypto. All rows timed round-robin in one run, in CPU time (every row is
 * synchronous, so on a loaded machine this is the least disturbed measure).
 */
async function stagesInNode() {
  const path = fileURLToPath(new URL("./.out/node/jwt_audit_wasm.js", import.meta.url));
  if (!existsSync(path)) return "(no stage breakdown: run `./build.sh --bench` first)";
  const stages = createRequire(import.meta.url)(path);
  const c = cases.find((x) => x.alg === "HS256");
  const v = new stages.Verifier({ ...c.config, issuer: c.issuer, audience: c.audience });
  const [token] = c.tokens;
  const text = v.benchStage(token, 1, 2);
  const sha = (size) => new Uint8Array(size).fill(0x61);
  const [b244, b700] = [sha(244), sha(700)];
  const rows = {
    "core `verify` inside the module (Rust loop)": (n) => v.benchStage(token, n, 0),
    "… + writing the handoff (Rust loop)": (n) => v.benchStage(token, n, 1),
    "`verifySync` from JavaScript, full result object": (n) => {
      for (let i = 0; i < n; i++) if (!v.verifySync(token).record.token) throw new Error("no record");
    },
    "… the same, cycling through the 64 benchmark tokens": (n) => {
      for (let i = 0; i < n; i++) if (!v.verifySync(c.tokens[i % 64]).record.token) throw new Error("no record");
    },
    "before: result as JSON text, then `JSON.parse`": (n) => {
      for (let i = 0; i < n; i++) if (!JSON.parse(v.benchStage(token, 1, 2)).record) throw new Error("no record");
    },
    "`JSON.parse` of that text alone": (n) => {
      for (let i = 0; i < n; i++) JSON.parse(text);
    },
    "SHA-256 fingerprint of 244 bytes in the module": (n) => stages.Verifier.benchFingerprint(b244, n),
    "SHA-256 fingerprint of 700 bytes in the module": (n) => stages.Verifier.benchFingerprint(b700, n),
    "SHA-256 of 700 bytes, node:crypto": (n) => {
      for (let i = 0; i < n; i++) createHash("sha256").update(b700).digest();
    },
  };
  const r = await measure(rows, 4000, cpuClock);
  const f = (x) => x.toFixed(2);
  const core = r["core `verify` inside the module (Rust loop)"];
  const call = r["`verifySync` from JavaScript, full result object"];
  const overhead = (s) => `${f(call[s] - core[s])} (${((100 * (call[s] - core[s])) / call[s]).toFixed(0)} %)`;
  return [
    `**Where an HS256 \`verifySync\` goes, Node ${process.version}** (µs of CPU time per call, median and best of ${ROUNDS} rounds, one run; bench build of the same code)`,
    "",
    "| step | median | best |",
    "|---|---:|---:|",
    ...Object.entries(r).map(([k, x]) => `| ${k} | ${f(x.median)} | ${f(x.best)} |`),
    `| binding overhead = \`verifySync\` − core inside the module | ${overhead("median")} | ${overhead("best")} |`,
  ].join("\n");
}

function table(title, r) {
  const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const cell = (x) => `${f(x.median)} (${f(x.best)})`;
  const ratio = (theirs, ours) => `${(theirs.median / ours.median).toFixed(2)}× (${(theirs.best / ours.best).toFixed(2)}×)`;
  const lines = [
    `**${title}** (µs per verification: median (best) of ${ROUNDS} rounds; ratio = jose / @jwt-audit/wasm, of the medians (of the bests))`,
    "",
    "| alg | mode | @jwt-audit/wasm | jose 6 | ratio |",
    "|---|---|---:|---:|---:|",
  ];
  for (const { alg } of cases) {
    for (const mode of ["awaited", "inflight"]) {
      const ours = r[`${alg} wasm ${mode}`];
      const theirs = r[`${alg} jose ${mode}`];
      const label = mode === "awaited" ? "`await verify()` one at a time" : "32 in flight";
      lines.push(`| ${alg} | ${label} | ${cell(ours)} | ${cell(theirs)} | ${ratio(theirs, ours)} |`);
    }
    if (r[`${alg} wasm-sync sync`] !== undefined) {
      const ours = r[`${alg} wasm-sync sync`];
      const [a, b] = [r[`${alg} jose awaited`], r[`${alg} jose inflight`]];
      const theirs = a.median <= b.median ? a : b;
      lines.push(`| ${alg} | \`verifySync()\` vs jose's best mode | ${cell(ours)} | ${cell(theirs)} | ${ratio(theirs, ours)} |`);
    }
  }
  return lines.join("\n");
}

const only = process.argv[2];
console.log(`Node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, ${new Date().toISOString().slice(0, 10)}\n`);
if (only !== "workerd") {
  console.log(`${table(`Node ${process.version}`, await inNode())}\n`);
  console.log(`${await stagesInNode()}\n`);
}
if (only !== "node") console.log(table("workerd (miniflare 4.20260426.0)", await inWorkerd()));
