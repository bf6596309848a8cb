// The floor of an HS256 verification in workerd: each piece of bench/floor-worker/ timed from
// outside (workerd's clocks cannot time µs; see bench.mjs), an empty request's time subtracted
// (its median from the medians, its best from the bests), rows round-robin over ROUNDS rounds.
// Prints Markdown. Usage: node bench/floor.mjs   (after npm ci and ./build.sh --bench)   [env ROUNDS=21]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { cases } from "./cases.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 21);
// Calls per request: each request runs ~50-200 ms of work (a request itself costs milliseconds).
const calls = (row) => (/fingerprint|no work|TextEncoder/.test(row) ? 200_000 : /jose|subtle/.test(row) ? 8_000 : 16_000);
const stat = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], best: sorted[0] };
};

const dist = mkdtempSync(join(tmpdir(), "jwt-audit-floor-"));
execFileSync(fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url)), ["deploy", "--dry-run", "--outdir", dist], {
  cwd: fileURLToPath(new URL("./floor-worker/", import.meta.url)),
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  stdio: "ignore",
});
const mf = new Miniflare({
  modules: true,
  scriptPath: join(dist, "index.js"),
  modulesRoot: dist,
  compatibilityDate: "2026-04-01",
  compatibilityFlags: ["nodejs_compat"],
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
});
try {
  const hs = cases.find((c) => c.alg === "HS256");
  const setup = await (await mf.dispatchFetch("http://bench/setup", { method: "POST", body: JSON.stringify(hs) })).json();
  const run = async (row, n) => {
    const res = await mf.dispatchFetch(`http://bench/run?what=${encodeURIComponent(row)}&n=${n}`);
    if ((await res.text()) !== "done") throw new Error(`workerd run failed: ${row}`);
  };
  const times = Object.fromEntries(setup.rows.map((row) => [row, []]));
  for (const row of setup.rows) await run(row, calls(row) / 8); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const row of setup.rows) {
      const t0 = performance.now();
      await run(row, row === "empty" ? 1 : calls(row));
      times[row].push((performance.now() - t0) * 1000);
    }
  }
  const empty = stat(times.empty);
  console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; token ${setup.tokenBytes} bytes, signing input ${setup.msgBytes} bytes; `
    + `empty request ${(empty.median / 1000).toFixed(2)} ms median, ${(empty.best / 1000).toFixed(2)} ms best\n`);
  console.log(`| workerd, µs per call (median and best of ${ROUNDS} rounds) | median | best |\n|---|---:|---:|`);
  for (const row of setup.rows.filter((r) => r !== "empty")) {
    const s = stat(times[row]);
    const n = calls(row);
    console.log(`| ${row} | ${((s.median - empty.median) / n).toFixed(2)} | ${((s.best - empty.best) / n).toFixed(2)} |`);
  }
} finally {
  await mf.dispose();
  rmSync(dist, { recursive: true, force: true });
}
