// The benchmark itself, shared by Node (bench.mjs) and workerd (worker/src/index.js): the same
// tokens and checks for @jwt-audit/wasm and jose 6 (which verifies with WebCrypto).

/** A verification function per library (each call takes the case's next token), checked once to
 * accept every token. */
export async function prepare(cases, { Verifier, jose }) {
  const out = {};
  for (const c of cases) {
    const config = { ...c.config, issuer: c.issuer, audience: c.audience };
    const verifier = new Verifier(config);
    const key = c.alg.startsWith("HS")
      ? new TextEncoder().encode(c.config.keys[0].secret)
      : await jose.importSPKI(c.config.keys[0].pem, c.alg);
    const options = {
      algorithms: [c.alg],
      issuer: c.issuer,
      audience: c.audience,
      currentDate: new Date(c.config.now * 1000),
    };
    const cycle = () => {
      let i = 0;
      return () => c.tokens[i++ % c.tokens.length];
    };
    const [forWasm, forJose, forSync] = [cycle(), cycle(), cycle()];
    const fns = {
      wasm: () => verifier.verify(forWasm()),
      jose: () => jose.jwtVerify(forJose(), key, options),
    };
    if (c.alg.startsWith("HS")) fns["wasm-sync"] = () => verifier.verifySync(forSync());
    for (const _ of c.tokens) {
      const a = await fns.wasm();
      const b = await fns.jose();
      if (!a.ok || b.payload.jti !== a.claims.jti) throw new Error(`${c.name}: a library rejected a token`);
    }
    out[c.alg] = fns;
  }
  return out;
}

/**
 * Runs `n` verifications: `awaited` one after another, `inflight` 32 at a time, `sync` without
 * promises (verifySync).
 */
export async function run(fn, mode, n) {
  // @jwt-audit/wasm: `ok` and the record (built eagerly, read here all the same); jose: `payload`
  // (it throws on rejection).
  const accepted = (r) => ((r.record ? r.ok && r.record.outcome === "accepted" : Boolean(r.payload)) ? 1 : 0);
  let count = 0;
  if (mode === "sync") {
    for (let i = 0; i < n; i++) count += accepted(fn());
  } else if (mode === "awaited") {
    for (let i = 0; i < n; i++) count += accepted(await fn());
  } else {
    for (let i = 0; i < n; i += 32) {
      const batch = await Promise.all(Array.from({ length: Math.min(32, n - i) }, fn));
      for (const r of batch) count += accepted(r);
    }
  }
  if (count !== n) throw new Error("verification failed during the run");
}
