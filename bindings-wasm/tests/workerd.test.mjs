// The real workerd runtime (miniflare): the example Worker, with the package installed from its
// `npm pack` tarball and bundled by `wrangler deploy --dry-run` exactly as it would be uploaded,
// answering valid, expired, tampered, alg-none and missing tokens, and the records it logs; then
// an async sink kept alive by ctx.waitUntil.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { SignJWT, importPKCS8 } from "jose";
import { privateKeyPem, secret } from "./common.mjs";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const example = join(pkg, "examples/worker");
const rules = [
  { type: "ESModule", include: ["**/*.js"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];
const ISSUER = "https://issuer.example";
const AUDIENCE = "orders-api";

/**
 * Installs the package as npm publishes it (`npm pack`, so a file missing from `files` fails
 * here), then bundles the example as `wrangler deploy` would, without uploading.
 */
function bundleExample() {
  const packed = mkdtempSync(join(tmpdir(), "jwt-audit-pack-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", packed], { cwd: pkg, stdio: "ignore" });
  const installed = join(example, "node_modules/@jwt-audit/wasm");
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["xzf", join(packed, readdirSync(packed)[0]), "-C", installed, "--strip-components=1"]);
  rmSync(packed, { recursive: true, force: true });
  const out = mkdtempSync(join(tmpdir(), "jwt-audit-worker-"));
  execFileSync(join(pkg, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
    cwd: example,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out;
}

async function sign(alg, kid, keyFile, { exp, ...claims }) {
  const key = await importPKCS8(privateKeyPem(keyFile), alg);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: "orders:read", ...claims })
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("user-123")
    .setIssuedAt(now - 60)
    .setExpirationTime(exp ?? now + 600)
    .sign(key);
}

describe("example Worker in workerd", () => {
  let mf;
  let dist;
  const logs = [];
  const tokens = {};

  before(async () => {
    dist = bundleExample();
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(example, "wrangler.toml"));
    mf = new Miniflare({
      ...workerOptions,
      modules: true,
      scriptPath: join(dist, "index.js"),
      modulesRoot: dist,
      modulesRules: rules,
      handleStructuredLogs: ({ level, message }) => {
        logs.push({ level, message });
      },
    });
    tokens.rs = await sign("RS256", "rsa-1", "rsa-1", {});
    tokens.es = await sign("ES256", "ec-p256", "ec-p256", {});
    tokens.ed = await sign("EdDSA", "ed25519", "ed25519", {});
    tokens.admin = await sign("ES256", "ec-p256", "ec-p256", { scope: "orders:read orders:admin" });
    tokens.expired = await sign("RS256", "rsa-1", "rsa-1", { exp: Math.floor(Date.now() / 1000) - 3600 });
    const [h, p, s] = tokens.rs.split(".");
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url")), sub: "admin" })).toString("base64url");
    tokens.tampered = `${h}.${forged}.${s}`;
    tokens.none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${p}.`;
  });

  after(async () => {
    await mf?.dispose();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  /** One request; returns the response and the audit record it logged (if any). */
  async function call(path, token, headers = {}) {
    const before = logs.length;
    const res = await mf.dispatchFetch(`http://localhost${path}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    const body = await res.text();
    const records = logs.slice(before).map((l) => JSON.parse(l.message));
    assert.ok(records.length <= 1, "at most one record per request");
    return { res, body, record: records[0] };
  }

  test("bundles offline to a module and its .wasm", () => {
    assert.ok(existsSync(join(dist, "index.js")));
    assert.match(readFileSync(join(dist, "index.js"), "utf8"), /\.wasm"/);
  });

  test("valid RS256, ES256 and EdDSA tokens reach the handler; each is logged as accepted", async () => {
    for (const [alg, token] of [["RS256", tokens.rs], ["ES256", tokens.es], ["EdDSA", tokens.ed]]) {
      const { res, body, record } = await call("/orders", token, {
        "cf-ray": `8f1c2a3b4c5d6e7f-${alg}`,
        "cf-connecting-ip": "203.0.113.7",
        "user-agent": "test/1.0",
      });
      assert.equal(res.status, 200, body);
      assert.deepEqual(JSON.parse(body), { orders: [], user: "user-123", correlation_id: `8f1c2a3b4c5d6e7f-${alg}` });
      assert.equal(record.outcome, "accepted");
      assert.equal(record.token.alg, alg);
      assert.equal(record.token.trusted, true);
      assert.deepEqual(record.request, {
        correlation_id: `8f1c2a3b4c5d6e7f-${alg}`,
        client_ip: "203.0.113.7",
        method: "GET",
        path: "/orders",
        user_agent: "test/1.0",
      });
      assert.equal(record.verifier.name, "orders-worker");
    }
  });

  const rejections = [
    ["expired", () => tokens.expired, "expired", 'Bearer error="invalid_token"', "low"],
    ["tampered", () => tokens.tampered, "bad_signature", 'Bearer error="invalid_token"', "high"],
    ["alg none", () => tokens.none, "algorithm_not_allowed", 'Bearer error="invalid_token"', "critical"],
    ["missing", () => undefined, "missing_token", "Bearer", "low"],
  ];
  for (const [name, token, kind, www, severity] of rejections) {
    test(`${name} token: 401 with WWW-Authenticate, record says ${kind}`, async () => {
      const { res, body, record } = await call("/orders", token(), { "x-request-id": `req-${kind}` });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), www);
      assert.equal(res.headers.get("x-request-id"), `req-${kind}`);
      assert.ok(!body.includes(kind) || kind === "missing_token", "the client gets no specifics");
      assert.equal(record.outcome, "rejected");
      assert.equal(record.failure.kind, kind);
      assert.equal(record.severity, severity);
      assert.equal(record.request.correlation_id, `req-${kind}`);
    });
  }

  test("the forged claims are recorded as untrusted, and the token itself never", async () => {
    const { record } = await call("/orders", tokens.tampered);
    assert.equal(record.token.trusted, false);
    assert.equal(record.claims.values.sub, "admin");
    const all = logs.map((l) => l.message).join("\n");
    for (const t of Object.values(tokens)) assert.ok(!all.includes(t));
  });

  test("/admin needs the orders:admin scope: 403 insufficient_scope without it", async () => {
    const denied = await call("/admin", tokens.rs);
    assert.equal(denied.res.status, 403);
    assert.equal(denied.res.headers.get("www-authenticate"), 'Bearer error="insufficient_scope", scope="orders:admin"');
    assert.equal(denied.record.failure.kind, "insufficient_scope");
    assert.equal(denied.record.event, "authz_fail");
    const allowed = await call("/admin", tokens.admin);
    assert.equal(allowed.res.status, 200);
    assert.deepEqual(allowed.record.authz.required.scopes, ["orders:admin"]);
  });

  test("without cf-ray or X-Request-Id, a fresh UUIDv7 correlates record and response", async () => {
    const { res, record } = await call("/orders", tokens.expired);
    assert.match(record.request.correlation_id, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get("x-request-id"), record.request.correlation_id);
  });

  test("public routes log nothing", async () => {
    const { res, record } = await call("/health");
    assert.equal(res.status, 200);
    assert.equal(record, undefined);
  });
});

describe("async sink in workerd", () => {
  let mf;
  before(() => {
    mf = new Miniflare({
      modules: true,
      scriptPath: fileURLToPath(new URL("./workers/kv-sink.js", import.meta.url)),
      modulesRoot: pkg,
      modulesRules: rules,
      compatibilityDate: "2026-04-01",
      bindings: { SECRET: secret("hmac-32") },
      kvNamespaces: ["AUDIT"],
    });
  });
  after(async () => mf?.dispose());

  test("records written after the response are kept alive by ctx.waitUntil", async () => {
    const key = new TextEncoder().encode(secret("hmac-32"));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: "kv-user" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now + 60).sign(key);
    const ok = await mf.dispatchFetch("http://localhost/", { headers: { authorization: `Bearer ${token}`, "x-request-id": "kv-1" } });
    assert.equal(await ok.text(), "kv-user");
    const bad = await mf.dispatchFetch("http://localhost/", { headers: { "x-request-id": "kv-2" } });
    assert.equal(bad.status, 401);
    await bad.text();
    const kv = await mf.getKVNamespace("AUDIT");
    let stored = [];
    for (let i = 0; i < 50 && stored.filter(Boolean).length < 2; i++) {
      stored = await Promise.all(["kv-1", "kv-2"].map((k) => kv.get(k, "json")));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(stored[0]?.outcome, "accepted");
    assert.equal(stored[1]?.failure.kind, "missing_token");
  });
});
