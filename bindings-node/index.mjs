// ESM entry point: the same objects as the CommonJS entry (one native addon instance).
import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('./index.js')

export const {
  Verifier,
  Verification,
  jwtAudit,
  requireScopes,
  requireRoles,
  correlationId,
  newCorrelationId,
} = cjs
export default cjs
