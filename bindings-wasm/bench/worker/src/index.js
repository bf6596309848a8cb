// Benchmark Worker: POST /setup with the cases, then GET /run?alg=&lib=&mode=&n= runs n
// verifications inside workerd (the driver times the requests, since timers do not advance
// during CPU work in workerd).
import * as jose from "jose";
import { Verifier } from "../../../js/workerd.js";
import { prepare, run } from "../../lib.mjs";

let prepared;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/setup") {
      prepared = await prepare(await request.json(), { Verifier, jose });
      return Response.json(Object.fromEntries(Object.entries(prepared).map(([alg, fns]) => [alg, Object.keys(fns)])));
    }
    const q = url.searchParams;
    await run(prepared[q.get("alg")][q.get("lib")], q.get("mode"), Number(q.get("n")));
    return new Response("done");
  },
};
