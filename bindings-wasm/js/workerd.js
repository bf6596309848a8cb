// Cloudflare Workers entry: the module is compiled at deploy time (wrangler imports `.wasm` files
// as `WebAssembly.Module`) and instantiated here, once per isolate, so no init call is needed.
import module from "../pkg/web/jwt_audit_wasm_bg.wasm";
import { initSync } from "../pkg/web/jwt_audit_wasm.js";

initSync({ module });

export * from "../pkg/web/jwt_audit_wasm.js";
export { withJwtAudit } from "./workers.js";
