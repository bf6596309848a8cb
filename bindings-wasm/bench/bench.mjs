// @jwt-audit/wasm vs jose 6, same tokens and checks, in Node and in workerd (miniflare).
// Usage: node bench/bench.mjs [node|workerd]   (after ./build.sh and npm ci; prints Markdown)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { Miniflare } from "miniflare";
import { Verifier } from "@jwt-audit/wasm";
import { cases } from "./cases.mjs";
import { prepare, run } from "./lib.mjs";

const ROUNDS = 9;
const iterations = (alg) => (alg.startsWith("HS") ? 4000 : 1000);
// The best round: other processes on a shared machine only ever add time.
const best = (xs) => Math.min(...xs);

/**
 * Best µs per verification of each `batches[k](n)` over ROUNDS rounds, timed round-robin (one
 * round of every entry at a time) so load from other processes hits all of them alike.
 */
async function measure(batches, n) {
  for (const batch of Object.values(batches)) await batch(Math.ceil(n / 4)); // warm-up
  const times = Object.fromEntries(Object.keys(batches).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, batch] of Object.entries(batches)) {
      const t0 = performance.now();
      await batch(n);
      times[k].push(((performance.now() - t0) * 1000) / n);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, best(t)]));
}

/** Every (library, mode) pair of one algorithm, measured together. */
async function compare(alg, libs, call) {
  const batches = {};
  for (const lib of libs) {
    for (const mode of lib === "wasm-sync" ? ["sync"] : ["awaited", "inflight"]) {
      batches[`${alg} ${lib} ${mode}`] = (n) => call(lib, mode, n);
    }
  }
  return measure(batches, iterations(alg));
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
      // The cost of a request itself, measured the same way, is subtracted.
      const { overhead } = await measure({ overhead: () => call("jose", "sync", 0) }, 1);
      const r = await compare(alg, libsByAlg[alg], call);
      for (const k of Object.keys(r)) out[k] = r[k] - overhead / iterations(alg);
    }
    return out;
  } finally {
    await mf.dispose();
    rmSync(dist, { recursive: true, force: true });
  }
}

function table(title, r) {
  const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [`**${title}** (µs per verification, best of ${ROUNDS} rounds; ratio = jose / @jwt-audit/wasm)`, "",
    "| alg | mode | @jwt-audit/wasm | jose 6 | ratio |", "|---|---|---:|---:|---:|"];
  for (const { alg } of cases) {
    for (const mode of ["awaited", "inflight"]) {
      const ours = r[`${alg} wasm ${mode}`];
      const theirs = r[`${alg} jose ${mode}`];
      const label = mode === "awaited" ? "`await verify()` one at a time" : "32 in flight";
      lines.push(`| ${alg} | ${label} | ${f(ours)} | ${f(theirs)} | ${(theirs / ours).toFixed(2)}× |`);
    }
    if (r[`${alg} wasm-sync sync`] !== undefined) {
      const ours = r[`${alg} wasm-sync sync`];
      const theirs = Math.min(r[`${alg} jose awaited`], r[`${alg} jose inflight`]);
      lines.push(`| ${alg} | \`verifySync()\` vs jose's best | ${f(ours)} | ${f(theirs)} | ${(theirs / ours).toFixed(2)}× |`);
    }
  }
  return lines.join("\n");
}

const only = process.argv[2];
console.log(`Node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, ${new Date().toISOString().slice(0, 10)}\n`);
if (only !== "workerd") console.log(`${table(`Node ${process.version}`, await inNode())}\n`);
if (only !== "node") console.log(table("workerd (miniflare 4.20260426.0)", await inWorkerd()));
