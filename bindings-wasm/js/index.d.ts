// Types of every entry point (`web`, `workerd`, `node`): the generated bindings plus the Workers
// helper. In browsers, call the default export (`await init()`) once before `new Verifier()`.
import type { AuditRecord, Verifier, VerifierConfig } from "../pkg/web/jwt_audit_wasm.js";

export * from "../pkg/web/jwt_audit_wasm.js";
export { default } from "../pkg/web/jwt_audit_wasm.js";

/** What an accepted request's handler receives. */
export interface JwtAuth {
  /** The full verified claims. */
  claims: Record<string, unknown>;
  /** The audit record (already written to the sink). */
  record: AuditRecord;
  /** The request's correlation id (also in `record.request.correlation_id`). */
  correlationId: string;
}

/** The `ctx` of a module Worker's `fetch` (only `waitUntil` is used). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface WithJwtAuditOptions {
  /** Scopes every request must be granted (403 `insufficient_scope` otherwise). */
  scopes?: string[];
  /** Roles every request must be granted. */
  roles?: string[];
}

/** Wraps a module Worker's `fetch` handler with JWT verification and auditing. */
export declare function withJwtAudit<Env = unknown, Ctx extends WaitUntil = WaitUntil>(
  handler: (request: Request, env: Env, ctx: Ctx, auth: JwtAuth) => Response | Promise<Response>,
  configOrVerifier: VerifierConfig | Verifier | ((env: Env) => VerifierConfig | Verifier),
  options?: WithJwtAuditOptions,
): (request: Request, env: Env, ctx: Ctx) => Promise<Response>;
