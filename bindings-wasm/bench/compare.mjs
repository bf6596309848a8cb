// Two Node builds of the binding (`--target nodejs` output directories, e.g. pkg/node of two
// checkouts built against the same core) timed round-robin in one process: HS256 `verifySync`
// without and with a request context, `authenticate` with a header and a context, RS256 `verify`
// with 32 in flight. Prints a Markdown table (median and best of ROUNDS rounds of N calls), in
// wall-clock time, or with CLOCK=cpu in this process's CPU time (all threads; not disturbed by
// other processes' load, but WebCrypto's worker threads count too).
// With bench builds (bench/.out/node) it also times the core's `verify` inside the module.
// Usage: node bench/compare.mjs <before dir> <after dir>   [env ROUNDS=21 N=2048 CLOCK=wall|cpu]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(import.meta.url);
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const N = Number(process.env.N ?? 2048);
const clock =
  process.env.CLOCK === "cpu"
    ? () => {
        const { user, system } = process.cpuUsage();
        return user + system;
      }
    : () => performance.now() * 1000;

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/algorithms.json", import.meta.url), "utf8"));
const hs = vectors.cases.find((v) => v.name === "hs256-valid");
const rs = vectors.cases.find((v) => v.name === "rs256-valid");
const checks = { issuer: "https://issuer.example", audience: "orders-api" };
const context = {
  correlation_id: "8c3f2a9d1e4b7c6a-AMS",
  client_ip: "203.0.113.7",
  method: "GET",
  path: "/orders/7",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
};
const expect = (ok) => {
  if (!ok) throw new Error("a verification failed");
};

/** The timed calls of one build, each running `n` verifications. */
async function calls(dir) {
  const { Verifier } = require(resolve(dir, "jwt_audit_wasm.js"));
  const h = new Verifier({ ...hs.config, ...checks });
  const r = new Verifier({ ...rs.config, ...checks });
  expect((await r.verify(rs.token)).ok); // imports the key
  // Bench builds (`./build.sh --bench`) also time the core's `verify` looped inside the module.
  const core = h.benchStage
    ? { "HS256 core `verify` inside the module (bench build)": async (n) => h.benchStage(hs.token, n, 0) }
    : {};
  return {
    ...core,
    "HS256 `verifySync`": async (n) => {
      for (let i = 0; i < n; i++) expect(h.verifySync(hs.token).record.token.trusted);
    },
    "HS256 `verifySync` with a request context": async (n) => {
      for (let i = 0; i < n; i++) expect(h.verifySync(hs.token, context).record.token.trusted);
    },
    "HS256 `await authenticate(header, context)`": async (n) => {
      for (let i = 0; i < n; i++) expect((await h.authenticate(`Bearer ${hs.token}`, context)).record.token.trusted);
    },
    "RS256 `verify`, 32 in flight": async (n) => {
      for (let i = 0; i < n; i += 32) {
        const batch = await Promise.all(Array.from({ length: 32 }, () => r.verify(rs.token)));
        for (const x of batch) expect(x.record.token.trusted);
      }
    },
  };
}

const [beforeDir, afterDir] = process.argv.slice(2);
const builds = { before: await calls(beforeDir), after: await calls(afterDir) };
const times = {};
for (const [build, fns] of Object.entries(builds)) {
  for (const [label, fn] of Object.entries(fns)) {
    await fn(N / 4); // warm-up
    times[`${label}|${build}`] = [];
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [build, fns] of Object.entries(builds)) {
    for (const [label, fn] of Object.entries(fns)) {
      const t0 = clock();
      await fn(N);
      times[`${label}|${build}`].push((clock() - t0) / N);
    }
  }
}
const stat = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], best: sorted[0] };
};
const f = (x) => x.toFixed(1);
const what = process.env.CLOCK === "cpu" ? "µs of CPU time" : "µs";
console.log(`${what} per call, median (best) of ${ROUNDS} rounds of ${N} calls, interleaved\n`);
console.log("| call | before | after | after / before |\n|---|---:|---:|---:|");
for (const label of Object.keys(builds.after)) {
  const b = stat(times[`${label}|before`]);
  const a = stat(times[`${label}|after`]);
  const ratio = `${(a.median / b.median).toFixed(2)} (${(a.best / b.best).toFixed(2)})`;
  console.log(`| ${label} | ${f(b.median)} (${f(b.best)}) | ${f(a.median)} (${f(a.best)}) | ${ratio} |`);
}
