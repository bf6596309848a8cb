// Type tests of the public API: `tsc -p test/types` must pass, and every `@ts-expect-error`
// line must be an error (tsc fails on an unused one).
import {
  Verifier,
  type AuditRecord,
  type ConfigError,
  type FailureKind,
  type Stats,
  type VerifierConfig,
} from 'jwt-audit'

const config: VerifierConfig = {
  keys: [{ secret: 'a-very-long-secret-of-at-least-32-bytes!' }, { pem: '-----BEGIN PUBLIC KEY-----', kid: 'k1' }, { jwks: { keys: [] } }],
  algorithms: ['HS256', 'RS256', 'EdDSA'],
  issuer: ['https://a.example', 'https://b.example'],
  audience: 'orders-api',
  leewaySeconds: 30,
  requiredClaims: ['exp', 'sub'],
  redaction: { hash: ['email'], mask: ['name'] },
  sink: [(record) => void record.id, 'stdout', { file: 'audit.jsonl' }],
}
const verifier = new Verifier(config)

// @ts-expect-error algorithms is required
export const missingAlgorithms: VerifierConfig = { keys: [] }
// @ts-expect-error `none` is not an algorithm
export const none: VerifierConfig = { keys: [], algorithms: ['none'] }
// @ts-expect-error leewaySeconds is a number
export const leeway: VerifierConfig = { keys: [], algorithms: ['HS256'], leewaySeconds: '30' }
// @ts-expect-error unknown sink name
export const syslog: VerifierConfig = { keys: [], algorithms: ['HS256'], sink: 'syslog' }
// @ts-expect-error a key source needs one of jwks, jwk, pem, secret
export const emptyKey: VerifierConfig = { keys: [{ kid: 'k' }], algorithms: ['HS256'] }

const result = verifier.verify('token', { correlationId: 'req-1', clientIp: '203.0.113.7', path: '/orders' })
if (result.ok) {
  const sub: string | undefined = result.claims.sub
  void sub
} else {
  const none: null = result.claims
  void none
}
// @ts-expect-error claims may be null until `ok` is checked
void result.claims.sub
// @ts-expect-error tokens are strings or bytes
verifier.verify(42)
// @ts-expect-error context fields are strings
verifier.verify('t', { path: 1 })

const record: AuditRecord = result.record
const kind: FailureKind | undefined = record.failure?.kind
switch (kind) {
  case 'expired':
  case 'bad_signature':
  case undefined:
    break
  // @ts-expect-error not a failure kind
  case 'token_expired':
    break
}
const alsoKinds: FailureKind[] = record.failure ? record.failure.also.map((a) => a.kind) : []
const severity: 'info' | 'low' | 'medium' | 'high' | 'critical' = record.severity
const event: 'authn_token_valid' | 'authn_token_invalid' | 'authn_token_reuse' | 'authz_fail' = record.event
const cid: string | null = record.request.correlation_id
const fp: string | null = record.token.fingerprint
const decision: 'allow' | 'deny' | undefined = record.authz?.decision
// @ts-expect-error records use snake_case fields
void record.request.correlationId
void [alsoKinds, severity, event, cid, fp, decision]

async function later(): Promise<void> {
  const r = await verifier.verifyAsync(Buffer.from('token'))
  const stats: Stats = verifier.stats()
  const expired: number | undefined = stats.by_kind.expired
  void [r.ok, r.recordJson, expired, stats.sink_errors, verifier.name]
}
void later

try {
  new Verifier(config)
} catch (e) {
  const err = e as ConfigError
  const option: string = err.option
  const code: 'ERR_JWT_AUDIT_CONFIG' = err.code
  void [option, code, err instanceof TypeError]
}
