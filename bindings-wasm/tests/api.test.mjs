// The JavaScript surface under Node: configuration errors, sinks, verifySync, arguments, the
// HTTP helpers, stats, and concurrency of the WebCrypto path.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Verifier, correlationId, newCorrelationId } from "@jwt-audit/wasm";
import { cases, publicKeyPem, secret, stable } from "./common.mjs";

const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
const hs = byName["hs256-valid"];
const rs = byName["rs256-valid"];
const rsBad = byName["rs256-bad-signature"];
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The error `fn` throws (fails if it does not throw). */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected an exception");
}

describe("configuration", () => {
  test("camelCase and snake_case names build the same verifier", async () => {
    const base = { keys: hs.config.keys, algorithms: ["HS256"], now: hs.config.now };
    const camel = new Verifier({ ...base, leewaySeconds: 0, requiredClaims: ["exp", "jti"], maxTokenBytes: 4096 });
    const snake = new Verifier({ ...base, leeway_seconds: 0, required_claims: ["exp", "jti"], max_token_bytes: 4096 });
    const [a, b] = await Promise.all([camel.verify(hs.token), snake.verify(hs.token)]);
    assert.equal(a.ok, true);
    assert.deepEqual(stable(a.record), stable(b.record));
  });

  test("an invalid option is a ConfigError naming it", () => {
    const e = thrown(() => new Verifier({ keys: hs.config.keys, algorithms: ["HS256"], leewaySeconds: 301 }));
    assert.ok(e instanceof Error);
    assert.equal(e.name, "ConfigError");
    assert.equal(e.code, "ERR_JWT_AUDIT_CONFIG");
    assert.equal(e.option, "leewaySeconds");
    assert.equal(e.message, "invalid option `leewaySeconds`: 301 is above the maximum of 300");
  });

  test("errors name options as the config spelled them, camelCase or snake_case", () => {
    const base = { keys: hs.config.keys, algorithms: ["HS256"] };
    const bad = [
      ["leewaySeconds", "leeway_seconds", 301],
      ["leewaySeconds", "leeway_seconds", "soon"],
      ["maxTokenBytes", "max_token_bytes", 1],
      ["fingerprintKey", "fingerprint_key", "short"],
      ["requiredClaims", "required_claims", [""], "[0]"],
      ["requiredClaims", "required_claims", "exp"],
      ["auditFailClosed", "audit_fail_closed", "yes"],
    ];
    for (const [camel, snake, value, suffix = ""] of bad) {
      for (const name of [camel, snake]) {
        const e = thrown(() => new Verifier({ ...base, [name]: value }));
        assert.equal(e.option, name + suffix, `${name}: ${JSON.stringify(value)}`);
        assert.ok(e.message.startsWith(`invalid option \`${name + suffix}\`: `), e.message);
      }
    }
    // An unknown option lists the valid ones as JavaScript spells them.
    const e = thrown(() => new Verifier({ ...base, leewaySecond: 3 }));
    assert.equal(e.option, "leewaySecond");
    assert.match(e.message, /unknown option .*`leewaySeconds`.*`maxTokenBytes`/);
    assert.doesNotMatch(e.message, /_/);
  });

  test("`none` and empty allow-lists are refused at construction", () => {
    assert.equal(thrown(() => new Verifier({ keys: hs.config.keys, algorithms: ["none"] })).option, "algorithms[0]");
    assert.equal(thrown(() => new Verifier({ keys: hs.config.keys, algorithms: [] })).option, "algorithms");
  });

  test("errors never echo key material", () => {
    const short = "short-secret-123";
    const e1 = thrown(() => new Verifier({ keys: [{ secret: short }], algorithms: ["HS256"] }));
    assert.equal(e1.option, "keys[0].secret");
    assert.ok(!e1.message.includes(short));
    const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBAD+KEY+MATERIAL+DO+NOT+ECHO+THIS+PLEASE=\n-----END PRIVATE KEY-----\n";
    const e2 = thrown(() => new Verifier({ keys: [{ pem }], algorithms: ["EdDSA"] }));
    assert.equal(e2.option, "keys[0].pem");
    assert.ok(!e2.message.includes("MATERIAL"));
  });

  test("a config that is not an object, or not JSON, is a ConfigError", () => {
    for (const bad of [undefined, null, "HS256", 42, [], () => {}]) {
      const e = thrown(() => new Verifier(bad));
      assert.equal(e.name, "ConfigError");
      assert.equal(e.option, "config");
    }
    const e = thrown(() => new Verifier({ keys: hs.config.keys, algorithms: ["HS256"], now: 10n }));
    assert.equal(e.option, "config");
  });

  test("unknown options are refused", () => {
    assert.equal(thrown(() => new Verifier({ ...hs.config, leeway: 5 })).name, "ConfigError");
  });

  test("RSA keys outside 2048..8192 bits are refused, as natively", () => {
    const jwk = { kty: "RSA", n: Buffer.alloc(128, 0xc5).toString("base64url"), e: "AQAB" };
    const e = thrown(() => new Verifier({ keys: [{ jwk }], algorithms: ["RS256"] }));
    assert.match(e.message, /2048 to 8192 bits/);
  });

  test("asymmetric algorithms without WebCrypto are refused at construction, HMAC is not", () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto");
    const getRandomValues = (b) => saved.get.call(globalThis).getRandomValues(b);
    Object.defineProperty(globalThis, "crypto", { value: { getRandomValues }, configurable: true });
    try {
      const e = thrown(() => new Verifier(rs.config));
      assert.equal(e.option, "algorithms");
      assert.match(e.message, /crypto\.subtle/);
      assert.equal(new Verifier(hs.config).verifySync(hs.token).ok, true);
    } finally {
      Object.defineProperty(globalThis, "crypto", saved);
    }
  });

  test("the caller's config object is not modified", () => {
    const config = { ...hs.config, sink: () => {} };
    new Verifier(config);
    assert.equal(typeof config.sink, "function");
  });
});

describe("sinks", () => {
  test("a function receives each record as an object equal to the result's", async () => {
    const seen = [];
    const v = new Verifier({ ...rs.config, sink: (r) => seen.push(r) });
    const results = [await v.verify(rs.token), await v.verify(rsBad.token)];
    assert.deepEqual(seen, results.map((r) => r.record));
    assert.equal(results[0].delivery, undefined);
  });

  test("console (any object with log) gets one JSON line per record", async () => {
    const lines = [];
    const fakeConsole = { log: (line) => lines.push(line) };
    const r = await new Verifier({ ...hs.config, sink: fakeConsole }).verify("not.a.token");
    assert.equal(lines.length, 1);
    assert.equal(typeof lines[0], "string");
    assert.ok(!lines[0].includes("\n"));
    assert.deepEqual(JSON.parse(lines[0]), r.record);
  });

  test('"stdout" writes through the global console.log', async (t) => {
    const lines = [];
    t.mock.method(console, "log", (line) => lines.push(line));
    await new Verifier({ ...hs.config, sink: "stdout" }).verify(hs.token);
    t.mock.restoreAll();
    assert.equal(JSON.parse(lines[0]).outcome, "accepted");
  });

  test("files and other values are ConfigErrors", () => {
    assert.equal(thrown(() => new Verifier({ ...hs.config, sink: { file: "/tmp/x" } })).option, "sink.file");
    assert.equal(thrown(() => new Verifier({ ...hs.config, sink: 42 })).option, "sink");
    assert.equal(thrown(() => new Verifier({ ...hs.config, sink: "stderr" })).option, "sink");
  });

  test("a throwing sink is counted and does not change the decision", async () => {
    const v = new Verifier({ ...hs.config, sink: () => { throw new Error("disk full"); } });
    assert.equal((await v.verify(hs.token)).ok, true);
    assert.equal(v.stats().sink_errors, 1);
  });

  test("with auditFailClosed, a token whose record was refused is rejected (audit_failed)", async () => {
    const v = new Verifier({ ...hs.config, auditFailClosed: true, sink: () => { throw new Error("down"); } });
    const r = await v.verify(hs.token);
    assert.equal(r.ok, false);
    assert.equal(r.claims, null);
    assert.equal(r.record.failure.kind, "audit_failed");
  });

  test("an async sink's Promise comes back as `delivery`; rejections are counted", async () => {
    let fail = false;
    const written = [];
    const v = new Verifier({
      ...rs.config,
      sink: async (r) => {
        await new Promise((res) => setTimeout(res, 5));
        if (fail) throw new Error("unreachable collector");
        written.push(r.id);
      },
    });
    const ok = await v.verify(rs.token);
    assert.ok(ok.delivery instanceof Promise);
    await ok.delivery;
    assert.deepEqual(written, [ok.record.id]);
    fail = true;
    const r = await v.verify(rsBad.token);
    await r.delivery; // fulfils even though the sink rejected
    assert.equal(v.stats().records_failed, 1);
    assert.equal(v.stats().sink_errors, 0);
  });
});

describe("verifySync", () => {
  test("answers synchronously for HMAC-only verifiers", () => {
    const r = new Verifier(hs.config).verifySync(hs.token);
    assert.ok(!(r instanceof Promise));
    assert.equal(r.ok, true);
    assert.equal(r.claims.sub, "user-123");
  });

  test("throws ERR_JWT_AUDIT_ASYNC_REQUIRED when asymmetric algorithms are allowed", () => {
    const seen = [];
    const v = new Verifier({ ...rs.config, sink: (r) => seen.push(r) });
    const e = thrown(() => v.verifySync(rs.token));
    assert.equal(e.code, "ERR_JWT_AUDIT_ASYNC_REQUIRED");
    assert.equal(seen.length, 0, "nothing was verified, so nothing was recorded");
  });
});

describe("arguments", () => {
  test("undefined, null and '' are missing tokens", async () => {
    const v = new Verifier(hs.config);
    for (const t of [undefined, null, ""]) {
      assert.equal((await v.verify(t)).record.failure.kind, "missing_token");
    }
  });

  test("a Uint8Array token is verified like its string", async () => {
    const v = new Verifier(hs.config);
    const r = await v.verify(new TextEncoder().encode(hs.token));
    assert.equal(r.ok, true);
  });

  test("wrong argument types reject with a TypeError (code ERR_JWT_AUDIT_ARGUMENT)", async () => {
    const v = new Verifier(hs.config);
    const wrong = [
      [42],
      [{}],
      [hs.token, "ctx"],
      [hs.token, { clientIP: "x" }],
      [hs.token, { path: 7 }],
      [hs.token, { path: "\uD800" }],
      [hs.token, { correlationId: "a", correlation_id: "b" }],
      [hs.token, null, { scope: ["a"] }],
    ];
    for (const [token, ctx, need] of wrong) {
      await assert.rejects(v.verify(token, ctx, need), (e) => e instanceof TypeError && e.code === "ERR_JWT_AUDIT_ARGUMENT");
      assert.throws(() => v.verifySync(token, ctx, need), (e) => e instanceof TypeError && e.code === "ERR_JWT_AUDIT_ARGUMENT");
    }
  });

  test("context in camelCase or snake_case lands in record.request", async () => {
    const v = new Verifier(hs.config);
    const camel = { correlationId: "req-1", clientIp: "203.0.113.7", method: "GET", path: "/orders", userAgent: "curl/8" };
    const snake = { correlation_id: "req-1", client_ip: "203.0.113.7", method: "GET", path: "/orders", user_agent: "curl/8" };
    assert.deepEqual((await v.verify(hs.token, camel)).record.request, snake);
    assert.deepEqual((await v.verify(hs.token, snake)).record.request, snake);
    // Plain objects cross field by field, anything else through JSON: the same record.
    class Context {
      constructor() {
        Object.assign(this, camel);
      }
    }
    const bare = Object.assign(Object.create(null), camel);
    const partial = { path: "/ü", method: undefined, clientIp: null };
    for (const ctx of [new Context(), bare]) assert.deepEqual(v.verifySync(hs.token, ctx).record.request, snake);
    const request = v.verifySync(hs.token, partial).record.request;
    assert.deepEqual(request, { correlation_id: null, client_ip: null, method: null, path: "/ü", user_agent: null });
  });

  test("a requirement adds the authorization check", async () => {
    const v = new Verifier(hs.config);
    const r = await v.verify(hs.token, null, { scopes: ["orders:admin"] });
    assert.equal(r.ok, false);
    assert.equal(r.record.failure.kind, "insufficient_scope");
    assert.equal(r.record.event, "authz_fail");
    assert.deepEqual(r.record.authz.required.scopes, ["orders:admin"]);
  });
});

describe("records", () => {
  test("hold neither the token nor its signature", async () => {
    const v = new Verifier(rs.config);
    for (const token of [rs.token, rsBad.token]) {
      const text = JSON.stringify((await v.verify(token)).record);
      assert.ok(!text.includes(token));
      assert.ok(!text.includes(token.split(".")[2]));
    }
  });

  test("use the system clock when `now` is not set", async () => {
    const { now, ...config } = hs.config;
    const before = Date.now();
    const r = await new Verifier(config).verify(hs.token);
    assert.equal(r.record.failure.kind, "expired");
    const t = Date.parse(r.record.time);
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000);
  });

  // Records and claims cross as objects built field by field (src/handoff.rs): strings by
  // UTF-16 length, flat claim values as a copy of the claims, nested ones as JSON.
  /** An HS256 token over `payloadJson` with the vectors' secret. */
  const sign = (payloadJson) => {
    const b64 = (s) => Buffer.from(s).toString("base64url");
    const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(payloadJson)}`;
    return `${input}.${createHmac("sha256", hs.config.keys[0].secret).update(input).digest("base64url")}`;
  };
  /** The record as the core wrote it: the line a `log` sink received, as JavaScript reads it. */
  const sameAsCore = (record, line) => assert.equal(JSON.stringify(record), JSON.stringify(JSON.parse(line)));

  test("carry non-ASCII text, nested and `__proto__` claims exactly as the core wrote them", async () => {
    const exp = hs.config.now + 600;
    const payloads = [
      `{"sub":"José 😀 中文","exp":${exp},"aud":["a","ü"],"n":{"z":[1,{"y":null}],"a":1.5e300},"__proto__":{"admin":true}}`,
      `{"sub":"José 😀","exp":${exp},"big":18446744073709551615,"neg":-0.0,"__proto__":"x"}`,
      `{"sub":"José 😀","exp":${exp},"big":18446744073709551615,"neg":-0.0,"f":0.1}`,
    ];
    const context = { path: "/ü/😀", userAgent: "agent \u0000 \"q\"", correlationId: "c-😀" };
    for (const payload of payloads) {
      const lines = [];
      const v = new Verifier({ ...hs.config, redaction: { mask: ["sub"] }, sink: { log: (l) => lines.push(l) } });
      const plain = new Verifier({ ...hs.config, sink: { log: (l) => lines.push(l) } });
      for (const verifier of [v, plain]) {
        const r = verifier.verifySync(sign(payload), context);
        assert.equal(r.ok, true, lines.at(-1));
        sameAsCore(r.record, lines.at(-1));
        assert.deepEqual(r.claims, JSON.parse(payload));
        assert.equal(Object.getPrototypeOf(r.claims), Object.prototype);
        assert.equal(Object.getPrototypeOf(r.record.claims.values), Object.prototype);
        assert.equal(Object.hasOwn(r.claims, "__proto__"), payload.includes("__proto__"));
        assert.notEqual(r.record.claims.values, r.claims);
        assert.equal(r.record.request.path, "/ü/😀");
      }
    }
  });

  test("strings repeated from the previous record, and verifications inside a sink, stay exact", () => {
    // The handoff sends a string equal to the one at its position in the previous record as a
    // reference (src/handoff.rs, `Tape::last`): alternate records that differ at every position,
    // and verify again from inside a sink function, between the sink's record and the result.
    const inner = [];
    const innerV = new Verifier({ ...hs.config, sink: { log: (l) => inner.push(l) } });
    const lines = [];
    const nested = [];
    const v = new Verifier({
      ...hs.config,
      sink: (record) => {
        lines.push(record);
        nested.push(innerV.verifySync(hs.token, { path: `/inner/${lines.length}` }).record);
      },
    });
    const logged = [];
    const plain = new Verifier({ ...hs.config, sink: { log: (l) => logged.push(l) } });
    const tokens = [hs.token, `${hs.token}x`, "", sign('{"sub":null,"exp":1}'), hs.token];
    const contexts = [undefined, { path: "/a", userAgent: "ü" }, { path: null, method: "GET" }, {}, { path: "/a" }];
    for (let i = 0; i < 20; i++) {
      const token = tokens[i % tokens.length];
      const context = contexts[(i * 3) % contexts.length];
      const r = v.verifySync(token, context);
      assert.equal(JSON.stringify(lines.at(-1)), JSON.stringify(r.record));
      sameAsCore(nested.at(-1), inner.at(-1));
      sameAsCore(plain.verifySync(token, context).record, logged.at(-1));
      assert.deepEqual(stable(r.record), stable(JSON.parse(logged.at(-1))));
    }
  });

  test("random claims, redaction and contexts (seeded) cross exactly as the core wrote them", () => {
    let seed = 0x5eed;
    const rand = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const pick = (xs) => xs[Math.floor(rand() * xs.length)];
    const chars = ["a", "Z", "0", "_", "-", " ", '"', "\\", "/", "\n", "\u0000", "é", "ü", "中", "😀", "𝄞"];
    const text = (max) => Array.from({ length: Math.floor(rand() * max) }, () => pick(chars)).join("");
    const scalar = () =>
      pick([null, true, false, 0, -1, 2 ** 40, 1.5, -0.25, 1e300, text(12), "", "x".repeat(40)]);
    const value = (depth) => {
      const r = rand();
      if (depth > 1 || r < 0.6) return scalar();
      if (r < 0.8) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [text(6), value(depth + 1)]));
    };
    const names = ["sub", "iss", "aud", "jti", "scope", "roles", "email", "0", "10", "__proto__", "ü", "😀"];
    const redactions = [undefined, { mask: ["sub", "email"] }, { drop: ["scope"] }, { hash: ["jti", "ü"] }];
    for (let i = 0; i < 300; i++) {
      const claims = { exp: hs.config.now + 600 };
      for (let k = Math.floor(rand() * 8); k > 0; k--) claims[rand() < 0.5 ? pick(names) : text(8)] = value(0);
      let payload = JSON.stringify(claims);
      if (rand() < 0.1) payload = payload.replace("{", '{"__proto__":' + JSON.stringify(value(0)) + ",");
      const context = rand() < 0.5 ? undefined : { path: text(20), userAgent: rand() < 0.5 ? null : text(30), correlationId: text(10) };
      const lines = [];
      const v = new Verifier({ ...hs.config, redaction: pick(redactions), sink: { log: (l) => lines.push(l) } });
      const r = v.verifySync(sign(payload), context);
      sameAsCore(r.record, lines[0]);
      assert.deepEqual(r.claims, r.ok ? JSON.parse(payload) : null, payload);
    }
  });
});

describe("HTTP helpers", () => {
  const v = new Verifier(hs.config);

  test("authenticate: Bearer extraction and the core's challenges", async () => {
    const cases = [
      [undefined, "missing_token", 401, "Bearer"],
      ["Basic dXNlcjpwYXNz", "missing_token", 401, "Bearer"],
      ["Bearer", "malformed", 401, 'Bearer error="invalid_token"'],
      [`Bearer ${hs.token}x`, "bad_signature", 401, 'Bearer error="invalid_token"'],
    ];
    for (const [header, kind, status, www] of cases) {
      const r = await v.authenticate(header, { path: "/orders" });
      assert.equal(r.record.failure.kind, kind, String(header));
      assert.deepEqual([r.challenge.status, r.challenge.wwwAuthenticate], [status, www]);
      assert.doesNotThrow(() => JSON.parse(r.challenge.body));
      assert.equal(r.record.request.path, "/orders");
    }
    const ok = await v.authenticate(`bearer  ${hs.token}`);
    assert.equal(ok.ok, true);
    assert.equal(ok.challenge, null);
  });

  test("authenticate: a header that is not a string rejects with a TypeError", async () => {
    await assert.rejects(v.authenticate(42), (e) => e instanceof TypeError && e.code === "ERR_JWT_AUDIT_ARGUMENT");
  });

  test("authenticate: insufficient scope is a 403 naming the scope", async () => {
    const r = await v.authenticate(`Bearer ${hs.token}`, null, { scopes: ["orders:admin"] });
    assert.equal(r.challenge.status, 403);
    assert.equal(r.challenge.wwwAuthenticate, 'Bearer error="insufficient_scope", scope="orders:admin"');
  });

  test("correlation ids", () => {
    assert.equal(correlationId("req-7", null), "req-7");
    assert.equal(correlationId("bad\nid", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(correlationId(undefined, undefined), undefined);
    assert.match(newCorrelationId(), UUID_V7);
  });
});

describe("stats and concurrency", () => {
  test("200 concurrent RS256/ES256/EdDSA verifications, valid and forged, all decided right", async () => {
    const names = ["rs256-valid", "rs256-bad-signature", "es256-valid", "es256-bad-signature", "eddsa-valid", "eddsa-bad-signature", "ps256-valid", "es256-signed-by-other-key"];
    const config = {
      keys: [
        { pem: publicKeyPem("rsa-1") },
        { pem: publicKeyPem("ec-p256") },
        { pem: publicKeyPem("ed25519") },
      ],
      algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
      now: rs.config.now,
      name: "concurrency",
    };
    const v = new Verifier(config);
    const jobs = Array.from({ length: 200 }, (_, i) => byName[names[i % names.length]]);
    const results = await Promise.all(jobs.map((c) => v.verify(c.token)));
    results.forEach((r, i) => assert.equal(r.record.outcome, jobs[i].expected.outcome, jobs[i].name));
    const stats = v.stats();
    assert.equal(stats.accepted + stats.rejected, 200);
    assert.equal(stats.accepted, results.filter((r) => r.ok).length);
    assert.equal(stats.by_kind.bad_signature, stats.rejected);
    assert.equal(v.name, "concurrency");
  });

  test("an HMAC secret verifies HS384/HS512 too", async () => {
    const v = new Verifier({ keys: [{ secret: secret("hmac-64") }], algorithms: ["HS512"], now: hs.config.now });
    assert.equal((await v.verify(byName["hs512-valid"].token)).ok, true);
  });
});
