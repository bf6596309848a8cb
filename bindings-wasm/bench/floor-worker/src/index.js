// Benchmark Worker for bench/floor.mjs: the pieces of an HS256 verification in workerd (the bench
// build's stage exports, SHA-256 in the module, one exported call) and what the host's crypto
// (WebCrypto, node:crypto) would cost for the same HMAC and fingerprint. POST /setup with the HS256
// case, then GET /run?what=&n= runs one row n times.
import * as jose from "jose";
import { createHash, createHmac } from "node:crypto";
import module from "../../.out/web/jwt_audit_wasm_bg.wasm";
import { initSync, Verifier } from "../../.out/web/jwt_audit_wasm.js";

initSync({ module });
let rows;
const b64u = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/setup") {
      const c = await request.json();
      const v = new Verifier({ ...c.config, issuer: c.issuer, audience: c.audience });
      const secret = new TextEncoder().encode(c.config.keys[0].secret);
      const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
      const toks = c.tokens;
      const token = toks[0];
      const parts = toks.map((t) => {
        const i = t.lastIndexOf(".");
        return { tok: new TextEncoder().encode(t), msg: new TextEncoder().encode(t.slice(0, i)), sig: b64u(t.slice(i + 1)) };
      });
      const [b244, b700, empty] = [new Uint8Array(244).fill(0x61), new Uint8Array(700).fill(0x61), new Uint8Array(0)];
      const options = { algorithms: ["HS256"], issuer: c.issuer, audience: c.audience, currentDate: new Date(c.config.now * 1000) };
      const check = (ok) => { if (!ok) throw new Error("check failed"); };
      let i = 0;
      rows = {
        empty: () => {},
        "verifySync (64 tokens)": (n) => { for (let k = 0; k < n; k++) check(v.verifySync(toks[i++ & 63]).ok); },
        "verifySync('') (missing_token: record + handoff, no crypto)": (n) => { for (let k = 0; k < n; k++) check(!v.verifySync("").ok); },
        "core verify inside the module": (n) => v.benchStage(token, n, 0),
        "core verify + handoff writing inside the module": (n) => v.benchStage(token, n, 1),
        "SHA-256 fingerprint of 244 bytes in the module": (n) => Verifier.benchFingerprint(b244, n),
        "SHA-256 fingerprint of 700 bytes in the module": (n) => Verifier.benchFingerprint(b700, n),
        "one exported call, no work (bytes in, string out)": (n) => { for (let k = 0; k < n; k++) Verifier.benchFingerprint(empty, 0); },
        "jose jwtVerify (awaited)": async (n) => { for (let k = 0; k < n; k++) check((await jose.jwtVerify(toks[i++ & 63], secret, options)).payload); },
        "subtle.verify HMAC of the signing input (awaited)": async (n) => { for (let k = 0; k < n; k++) { const p = parts[i++ & 63]; check(await crypto.subtle.verify("HMAC", key, p.sig, p.msg)); } },
        "subtle.digest SHA-256 of the token (awaited)": async (n) => { for (let k = 0; k < n; k++) await crypto.subtle.digest("SHA-256", parts[i++ & 63].tok); },
        "subtle verify + digest (Promise.all)": async (n) => { for (let k = 0; k < n; k++) { const p = parts[i++ & 63]; const [ok] = await Promise.all([crypto.subtle.verify("HMAC", key, p.sig, p.msg), crypto.subtle.digest("SHA-256", p.tok)]); check(ok); } },
        "node:crypto createHmac + createHash (sync, nodejs_compat)": (n) => { for (let k = 0; k < n; k++) { const p = parts[i++ & 63]; check(createHmac("sha256", secret).update(p.msg).digest().length === 32); createHash("sha256").update(p.tok).digest(); } },
        "TextEncoder.encode(token)": (n) => { const e = new TextEncoder(); for (let k = 0; k < n; k++) e.encode(toks[i++ & 63]); },
      };
      return Response.json({ rows: Object.keys(rows), tokenBytes: parts[0].tok.length, msgBytes: parts[0].msg.length });
    }
    await rows[url.searchParams.get("what")](Number(url.searchParams.get("n")));
    return new Response("done");
  },
};
