// Browser entry: call the default export (`await init()`) or `initSync({ module })` once first.
export { default } from "../pkg/web/jwt_audit_wasm.js";
export * from "../pkg/web/jwt_audit_wasm.js";
export { withJwtAudit } from "./workers.js";
