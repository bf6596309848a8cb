// Type-checks the declarations users see (tsc --noEmit; nothing runs).
import { Verifier, correlationId, withJwtAudit } from "@jwt-audit/wasm";
import type { AuditRecord, ConfigError, Stats, VerifierConfig, VerifyResult } from "@jwt-audit/wasm";

const config: VerifierConfig = {
  keys: [{ jwks: { keys: [] } }, { secret: "s".repeat(32), kid: "k1" }],
  algorithms: ["RS256", "HS256"],
  audience: ["orders-api"],
  leewaySeconds: 10,
  sink: (record: AuditRecord) => console.log(record.failure?.kind),
};
const verifier = new Verifier(config);

async function check(token: string): Promise<string | undefined> {
  const result: VerifyResult = await verifier.verify(token, { correlationId: "req-1" }, { scopes: ["a"] });
  if (result.ok) return String(result.claims?.sub);
  const stats: Stats = verifier.stats();
  return `${result.record.failure?.kind} ${stats.by_kind.expired ?? 0} ${correlationId("x", null)}`;
}

export default {
  fetch: withJwtAudit<{ JWKS: string }>(
    async (_request, env, _ctx, auth) => Response.json({ sub: auth.claims.sub, id: auth.record.id, env: env.JWKS.length }),
    (env) => ({ keys: [{ jwks: env.JWKS }], algorithms: ["ES256"] }),
    { scopes: ["orders:read"] },
  ),
  check,
  isConfigError: (e: unknown): e is ConfigError => e instanceof Error && e.name === "ConfigError",
};
