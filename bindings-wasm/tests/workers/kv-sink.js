// A test Worker, loaded unbundled from the package files: an async sink writes each record to KV,
// and withJwtAudit must keep the write alive with ctx.waitUntil.
import { withJwtAudit } from "../../js/workerd.js";

export default {
  fetch: withJwtAudit(
    (request, env, ctx, auth) => new Response(auth.claims.sub),
    (env) => ({
      keys: [{ secret: env.SECRET }],
      algorithms: ["HS256"],
      sink: async (record) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await env.AUDIT.put(record.request.correlation_id, JSON.stringify(record));
      },
    }),
  ),
};
