// A complete Worker: every request to /orders needs a valid JWT, /admin also the `orders:admin`
// scope, /health is public. Each verification is logged as one JSON line (Workers Logs indexes
// its fields: outcome, failure.kind, token.fingerprint, request.correlation_id, ...).
import { Verifier, withJwtAudit } from "@jwt-audit/wasm";

// One verifier per isolate, built from `env` at the first request (an invalid config fails
// that request with the ConfigError; keys never appear in it).
let verifier;
const auditor = (env) =>
  (verifier ??= new Verifier({
    keys: [{ jwks: env.JWKS }],
    algorithms: ["RS256", "ES256", "EdDSA"],
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    name: "orders-worker",
    sink: console,
  }));

const orders = withJwtAudit(
  (request, env, ctx, auth) =>
    Response.json({ orders: [], user: auth.claims.sub, correlation_id: auth.correlationId }),
  auditor,
);

const admin = withJwtAudit(
  (request, env, ctx, auth) => Response.json({ admin: true, user: auth.claims.sub }),
  auditor,
  { scopes: ["orders:admin"] },
);

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return new Response("ok");
    if (pathname.startsWith("/admin")) return admin(request, env, ctx);
    return orders(request, env, ctx);
  },
};
