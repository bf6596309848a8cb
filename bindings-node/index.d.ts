// Types of the public API of `jwt-audit` (hand-written; the native layer's generated types are
// in native/index.d.ts). Checked by `tsc --noEmit -p test/types`.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** JSON data, as configuration values and claims are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Why a token was rejected (stable names; new kinds may be added, none is ever renamed). */
export type FailureKind =
  | 'missing_token'
  | 'token_too_large'
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unsupported'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'missing_claim'
  | 'invalid_claim'
  | 'revoked'
  | 'replayed'
  | 'insufficient_scope'
  | 'audit_failed'

/** The pipeline step that performs a check. */
export type Step =
  | 'presence'
  | 'structure'
  | 'header'
  | 'signature'
  | 'time'
  | 'claims'
  | 'lifecycle'
  | 'authorization'
  | 'audit'

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical'
export type AuditEvent = 'authn_token_valid' | 'authn_token_invalid' | 'authn_token_reuse' | 'authz_fail'
export type Outcome = 'accepted' | 'rejected'

/** The algorithms the core implements (`none` never is). */
export type Algorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'EdDSA'

/** A further failed check (`failure.also`). */
export interface FailedCheck {
  kind: FailureKind
  step: Step
  /** Short and non-secret, e.g. "exp is 92 s before now, leeway 30 s". */
  detail: string
}

export interface Failure extends FailedCheck {
  /** Every other check that failed after the signature passed, in pipeline order. */
  also: FailedCheck[]
}

export interface TokenInfo {
  /** `<scheme>:<base64url of 128 bits>`; `null` when absent or too large to hash. */
  fingerprint: string | null
  alg: string | null
  kid: string | null
  typ: string | null
  /** Size of the presented token in bytes. */
  size: number
  /** `true` only when the signature verified. */
  trusted: boolean
  jti: JsonValue
  iss: JsonValue
  aud: JsonValue
  iat: JsonValue
  nbf: JsonValue
  exp: JsonValue
}

export interface ClaimsInfo {
  /** Kept, hashed and masked claims. */
  values: { [claim: string]: JsonValue }
  /** Names of the claims left out. */
  dropped: string[]
}

export interface RecordRequest {
  correlation_id: string | null
  client_ip: string | null
  method: string | null
  path: string | null
  user_agent: string | null
}

export interface Grants {
  scopes: string[]
  roles: string[]
}

export interface AuthzInfo {
  required: Grants
  granted: Grants
  decision: 'allow' | 'deny'
}

/** One verification (JSON schema `jwt-audit/v1`); the same fields in every binding. */
export interface AuditRecord {
  schema: 'jwt-audit/v1'
  /** Unique, time-ordered (UUIDv7). */
  id: string
  /** RFC 3339 UTC with milliseconds. */
  time: string
  duration_us: number
  event: AuditEvent
  outcome: Outcome
  severity: Severity
  failure: Failure | null
  token: TokenInfo
  claims: ClaimsInfo
  request: RecordRequest
  authz: AuthzInfo | null
  verifier: { name: string; version: string }
}

/** One key source: exactly one of `jwks`, `jwk`, `pem`, `secret`. */
export type KeySource =
  | { jwks: { keys: JsonValue[] } | string }
  | { jwk: { [member: string]: JsonValue } | string }
  | { pem: string; kid?: string }
  | { secret: string; kid?: string }

/** A built-in sink: JSON Lines to stdout or appended to a file. */
export type BuiltinSink = 'stdout' | { file: string }
export type SinkFunction = (record: AuditRecord) => void
export type Sink = SinkFunction | BuiltinSink

export interface RedactionConfig {
  keep?: string[]
  hash?: string[]
  mask?: string[]
  drop?: string[]
}

/** The options every binding accepts (camelCase here), plus `sink`. */
export interface VerifierConfig {
  keys: KeySource[]
  /** Explicit allow-list; required. */
  algorithms: Algorithm[]
  /** Accepted `iss` values; when set, `iss` is required. */
  issuer?: string | string[]
  /** Accepted `aud` values; when set, `aud` is required. */
  audience?: string | string[]
  /** Clock tolerance for `exp`/`nbf`/`iat`: 0..300, default 30. */
  leewaySeconds?: number
  /** Claims that must be present; default `['exp']`. */
  requiredClaims?: string[]
  /** Required `typ` header, e.g. `at+jwt`. */
  typ?: string
  /** Size limit checked before decoding: 64..1048576, default 8192. */
  maxTokenBytes?: number
  /** Fixed clock in unix seconds (tests, replays of old logs). */
  now?: number
  redaction?: RedactionConfig
  /** Secret (≥ 16 bytes) that keys fingerprints and hashed claims. */
  fingerprintKey?: string
  /** This verifier's name in records. */
  name?: string
  /** Reject tokens whose record could not be delivered to a sink. */
  auditFailClosed?: boolean
  /** Where records go; several allowed. */
  sink?: Sink | Sink[]
}

/** Caller-supplied request context written into the record (snake_case spellings accepted too). */
export interface RequestContext {
  correlationId?: string | null
  clientIp?: string | null
  method?: string | null
  path?: string | null
  userAgent?: string | null
}

/** The claims of an accepted token (all of them, not redacted). */
export interface Claims {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  scope?: string
  [claim: string]: JsonValue | undefined
}

/** `TypeError` thrown for an invalid configuration. */
export interface ConfigError extends TypeError {
  code: 'ERR_JWT_AUDIT_CONFIG'
  /** The option at fault, e.g. `keys[0].pem` or `leewaySeconds`. */
  option: string
}

export interface Stats {
  accepted: number
  rejected: number
  by_kind: Partial<Record<FailureKind, number>>
  sink_errors: number
  records_dropped: number
  records_failed: number
}

/** The result of one verification. */
export declare class Verification {
  private constructor()
  readonly ok: boolean
  /** The verified claims when accepted, else `null`. */
  readonly claims: Claims | null
  readonly record: AuditRecord
  /**
   * The record as the core's canonical JSON text (the bytes its sinks write), made on first
   * access from `record`: read it before changing `record`.
   */
  readonly recordJson: string
  toJSON(): { ok: boolean; claims: Claims | null; record: AuditRecord }
}

/** An accepted verification narrowed by `ok`. */
export type VerificationResult =
  | (Verification & { readonly ok: true; readonly claims: Claims })
  | (Verification & { readonly ok: false; readonly claims: null })

export declare class Verifier {
  /** @throws {ConfigError} when an option is invalid. */
  constructor(config: VerifierConfig)
  /** Verifies synchronously; a bad token is a result with `ok: false`, never an exception. */
  verify(token: string | Uint8Array, context?: RequestContext): VerificationResult
  /** Verifies on the libuv thread pool. */
  verifyAsync(token: string | Uint8Array, context?: RequestContext): Promise<VerificationResult>
  stats(): Stats
  flush(): void
  readonly name: string
}

/** `req.auth` after `jwtAudit` accepted the request. */
export interface Auth {
  readonly claims: Claims
  readonly record: AuditRecord
}

export interface JwtAuditOptions {
  /** `false` lets requests without a token through (`req.auth` undefined); default `true`. */
  credentialsRequired?: boolean
  /** Also read the token from this cookie when there is no Authorization header. */
  cookie?: string
  /** Also read the token from this query parameter when there is no Authorization header. */
  query?: string
  /** The request/response header carrying the correlation id; default `X-Request-Id`. */
  requestIdHeader?: string
}

/** The parts of a request the middleware reads (Express's `Request` has them all). */
export interface MiddlewareRequest extends IncomingMessage {
  ip?: string
  originalUrl?: string
  cookies?: Record<string, string | undefined>
  query?: unknown
  auth?: Auth
}

export type Middleware = (req: MiddlewareRequest, res: ServerResponse, next: (err?: unknown) => void) => void

export declare function jwtAudit(verifierOrConfig: Verifier | VerifierConfig, options?: JwtAuditOptions): Middleware
export declare function requireScopes(...scopes: string[]): Middleware
export declare function requireRoles(...roles: string[]): Middleware
/** The correlation id of a request: a usable `X-Request-Id`, else a `traceparent` trace id. */
export declare function correlationId(xRequestId?: string | null, traceparent?: string | null): string | null
/** A fresh, time-ordered correlation id (UUIDv7). */
export declare function newCorrelationId(): string

declare global {
  namespace Express {
    interface Request {
      /** Set by `jwtAudit()` on an authenticated request. */
      auth?: import('./index').Auth
    }
  }
}
