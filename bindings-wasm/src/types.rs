//! TypeScript types for the configuration, the context, results and the `AuditRecord`
//! (`schema/audit-record.v1.json`), emitted into the generated `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** One key source: exactly one of `jwks`, `jwk`, `pem`, `secret` (public keys only). */
export type KeySource =
  | { jwks: { keys: object[] } | string }
  | { jwk: object | string; kid?: string }
  | { pem: string; kid?: string }
  | { secret: string; kid?: string };

/** A record destination: a function (may return a Promise), `console` (or any object with a
 * `log` method: one JSON line per record), or `"stdout"` (the global `console.log`). */
export type Sink = ((record: AuditRecord) => void | Promise<unknown>) | { log(line: string): void } | "stdout";

/** The verifier's configuration (DESIGN.md); snake_case names are accepted too. */
export interface VerifierConfig {
  keys: KeySource[];
  /** Explicit allow-list, e.g. `["RS256"]`; `none` is never allowed. */
  algorithms: Algorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Clock tolerance for exp/nbf/iat, 0..300 (default 30). */
  leewaySeconds?: number;
  /** Claims that must be present (default `["exp"]`). */
  requiredClaims?: string[];
  /** Required `typ` header, e.g. `"at+jwt"`. */
  typ?: string;
  /** Size limit checked before decoding, 64..1048576 (default 8192). */
  maxTokenBytes?: number;
  /** Fixed clock in unix seconds (tests, replays). */
  now?: number;
  redaction?: { keep?: string[]; hash?: string[]; mask?: string[]; drop?: string[] };
  /** Keys fingerprints and hashed claims (at least 16 bytes). */
  fingerprintKey?: string;
  /** This verifier's name in records (default "jwt-audit"). */
  name?: string;
  /** Reject a token whose record a sink refused (a sink function that throws). */
  auditFailClosed?: boolean;
  sink?: Sink;
}

export type Algorithm =
  | "HS256" | "HS384" | "HS512" | "RS256" | "RS384" | "RS512"
  | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "EdDSA";

/** The request a token arrived with (camelCase or the record's snake_case names). */
export interface RequestContext {
  correlationId?: string;
  clientIp?: string;
  method?: string;
  path?: string;
  userAgent?: string;
  correlation_id?: string;
  client_ip?: string;
  user_agent?: string;
}

/** Scopes and roles that must all be granted (`insufficient_scope` otherwise). */
export interface AuthzRequirement {
  scopes?: string[];
  roles?: string[];
}

export interface VerifyResult {
  ok: boolean;
  /** The full verified claims (not redacted); `null` unless `ok`. */
  claims: Record<string, unknown> | null;
  record: AuditRecord;
  /** Present when an async sink function is still writing the record; always fulfils. In a
   * Worker, pass it to `ctx.waitUntil`. */
  delivery?: Promise<unknown>;
}

export interface AuthenticateResult extends VerifyResult {
  /** The generic RFC 6750 answer for a rejection; `null` when `ok`. */
  challenge: { status: number; wwwAuthenticate: string; body: string } | null;
}

export interface Stats {
  accepted: number;
  rejected: number;
  by_kind: Partial<Record<FailureKind, number>>;
  sink_errors: number;
  records_dropped: number;
  /** Async sink deliveries that rejected. */
  records_failed: number;
}

export type FailureKind =
  | "missing_token" | "token_too_large" | "malformed" | "algorithm_not_allowed" | "unsupported"
  | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid" | "issued_in_future"
  | "issuer_mismatch" | "audience_mismatch" | "missing_claim" | "invalid_claim" | "revoked"
  | "replayed" | "insufficient_scope" | "audit_failed";

export type Step =
  | "presence" | "structure" | "header" | "signature" | "time" | "claims" | "lifecycle"
  | "authorization" | "audit";

/** One verification (JSON schema `jwt-audit/v1`; snake_case in every binding). */
export interface AuditRecord {
  schema: "jwt-audit/v1";
  id: string;
  /** RFC 3339 UTC with milliseconds. */
  time: string;
  duration_us: number;
  event: "authn_token_valid" | "authn_token_invalid" | "authn_token_reuse" | "authz_fail";
  outcome: "accepted" | "rejected";
  severity: "info" | "low" | "medium" | "high" | "critical";
  failure: null | {
    kind: FailureKind;
    step: Step;
    detail: string;
    also: { kind: FailureKind; step: Step; detail: string }[];
  };
  token: {
    fingerprint: string | null;
    alg: string | null;
    kid: string | null;
    typ: string | null;
    size: number;
    trusted: boolean;
    jti: unknown; iss: unknown; aud: unknown; iat: unknown; nbf: unknown; exp: unknown;
  };
  claims: { values: Record<string, unknown>; dropped: string[] };
  request: {
    correlation_id: string | null;
    client_ip: string | null;
    method: string | null;
    path: string | null;
    user_agent: string | null;
  };
  authz: null | {
    required: { scopes: string[]; roles: string[] };
    granted: { scopes: string[]; roles: string[] };
    decision: "allow" | "deny";
  };
  verifier: { name: string; version: string };
}

/** Thrown by `new Verifier(config)` for an invalid configuration. */
export interface ConfigError extends Error {
  name: "ConfigError";
  code: "ERR_JWT_AUDIT_CONFIG";
  /** The option at fault, e.g. `keys[0].pem` or `leewaySeconds`. */
  option: string;
}
"#;
