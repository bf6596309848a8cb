// Node entry (ES module): the CommonJS `pkg/node` build, which loads the module synchronously.
import { createRequire } from "node:module";

const lib = createRequire(import.meta.url)("../pkg/node/jwt_audit_wasm.js");

export const { Verifier, correlationId, newCorrelationId } = lib;
