// The README's Node quick start (test.sh runs it): verify, read the decision and the record.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Verifier } from "@jwt-audit/wasm";

const secret = "a-very-long-secret-of-at-least-32-bytes!";
const records = [];
const verifier = new Verifier({
  keys: [{ secret }],
  algorithms: ["HS256"],
  issuer: "https://auth.example.com",
  leewaySeconds: 30,
  sink: (record) => records.push(record), // or `console`: one JSON line per record
});

// A token to verify (normally it arrives in `Authorization: Bearer ...`).
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
const exp = Math.floor(Date.now() / 1000) + 600;
const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: "https://auth.example.com", sub: "alice", exp })}`;
const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;

// HMAC is checked inside WebAssembly, so it can be synchronous; `await verifier.verify()` works
// for every algorithm (RS*/PS*/ES*/EdDSA go through WebCrypto).
const { ok, claims, record } = verifier.verifySync(token, { correlationId: "req-1", path: "/orders" });
assert.equal(ok, true);
assert.equal(claims.sub, "alice");
assert.equal(record.event, "authn_token_valid");
assert.equal(record.request.correlation_id, "req-1");

// A forged token is rejected, and the record says why — without the token itself.
const forged = await verifier.verify(`${input}.${"A".repeat(43)}`);
assert.equal(forged.ok, false);
assert.equal(forged.record.failure.kind, "bad_signature");
assert.match(forged.record.token.fingerprint, /^sha256:/);
assert.equal(records.length, 2);
assert.deepEqual(verifier.stats().by_kind, { bad_signature: 1 });
console.log("quickstart ok:", forged.record.failure.detail);
