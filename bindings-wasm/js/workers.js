// The Cloudflare Workers helper. It only gathers what the Request holds; Bearer parsing,
// correlation-id validation and the 401/403 answer come from the core (through the binding).
import { Verifier, correlationId, newCorrelationId } from "../pkg/web/jwt_audit_wasm.js";

/**
 * Wraps a module Worker's `fetch` handler with JWT verification and auditing.
 *
 * - `configOrVerifier`: a `Verifier`, a config object (records then go to `console.log`, one JSON
 *   line each — what Workers Logs indexes — unless the config names a `sink`), or a function
 *   `env => config | Verifier` called once, at the first request, for configs kept in `env`.
 * - `options`: `{ scopes, roles }` that every request must be granted (403 otherwise).
 *
 * The request context is `cf-ray` (else `X-Request-Id` / `traceparent`, else a new UUIDv7) as the
 * correlation id, `CF-Connecting-IP`, the method, the path and the user agent. A rejected request
 * gets the core's generic answer (401 or 403 with `WWW-Authenticate`, `X-Request-Id`); an accepted
 * one calls `handler(request, env, ctx, { claims, record, correlationId })`. Async sink deliveries
 * are handed to `ctx.waitUntil`.
 */
export function withJwtAudit(handler, configOrVerifier, options = {}) {
  const requirement =
    options.scopes || options.roles
      ? { scopes: options.scopes ?? [], roles: options.roles ?? [] }
      : undefined;
  const build = (c) =>
    c instanceof Verifier ? c : new Verifier(c.sink === undefined ? { ...c, sink: console } : c);
  // Built now when possible, so an invalid config fails the Worker at startup.
  let verifier = typeof configOrVerifier === "function" ? undefined : build(configOrVerifier);

  return async function fetch(request, env, ctx) {
    verifier ??= build(configOrVerifier(env));
    const headers = request.headers;
    const context = {
      correlation_id:
        correlationId(headers.get("cf-ray") ?? headers.get("x-request-id"), headers.get("traceparent")) ??
        newCorrelationId(),
      client_ip: headers.get("cf-connecting-ip"),
      method: request.method,
      path: new URL(request.url).pathname,
      user_agent: headers.get("user-agent"),
    };
    const result = await verifier.authenticate(headers.get("authorization"), context, requirement);
    if (result.delivery) ctx?.waitUntil(result.delivery);
    if (!result.ok) {
      const { status, wwwAuthenticate, body } = result.challenge;
      return new Response(body, {
        status,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-store",
          "www-authenticate": wwwAuthenticate,
          "x-request-id": context.correlation_id,
        },
      });
    }
    return handler(request, env, ctx, {
      claims: result.claims,
      record: result.record,
      correlationId: context.correlation_id,
    });
  };
}
