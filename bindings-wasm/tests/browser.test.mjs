// A real headless Chromium (Debian's, driven by playwright-core) loads the `web` build from a page
// served on 127.0.0.1 and runs every case of tests/vectors: records equal to the native core's.
// Then the browser example page verifies a token end to end.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { SignJWT, importPKCS8 } from "jose";
import { cases, checkCase, privateKeyPem } from "./common.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Static files of the package, plus the vectors as /cases.json. */
function serve() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/cases.json") {
      res.writeHead(200, { "content-type": TYPES[".json"] });
      return res.end(JSON.stringify(cases));
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || file.includes("node_modules")) {
      res.writeHead(403);
      return res.end();
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("Chromium", () => {
  let server;
  let browser;
  let base;
  const pageErrors = [];

  before(async () => {
    server = await serve();
    base = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(path) {
    const page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(base + path);
    return page;
  }

  test("every vectors case: same outcome, kind, also and record as the native core", async (t) => {
    const page = await open("/tests/browser/runner.html");
    await page.waitForFunction(() => window.ready === true);
    const { userAgent, results } = await page.evaluate(() => window.runVectors());
    assert.match(userAgent, /Chrome\//);
    assert.equal(results.length, cases.length);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    for (const c of cases) {
      await t.test(c.name, () => {
        const r = byName[c.name];
        assert.equal(r.error, undefined);
        checkCase(c, r.result);
      });
    }
    assert.deepEqual(pageErrors, []);
  });

  test("the example page verifies an RS256 token and shows its record", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: "orders:read" })
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setIssuer("https://issuer.example")
      .setAudience("orders-api")
      .setSubject("browser-user")
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(privateKeyPem("rsa-1"), "RS256"));
    const page = await open("/examples/browser/index.html");
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#token", token);
    await page.click("#verify");
    await page.waitForFunction(() => document.getElementById("record").textContent !== "");
    assert.equal(await page.textContent("#outcome"), "accepted");
    const record = JSON.parse(await page.textContent("#record"));
    assert.equal(record.claims.values.sub, "browser-user");
    assert.equal(record.request.path, "/examples/browser/index.html");
    assert.match(record.request.user_agent, /Chrome\//);

    await page.fill("#token", token.slice(0, -4) + "AAAA");
    await page.click("#verify");
    await page.waitForFunction(() => document.getElementById("outcome").textContent.startsWith("rejected"));
    assert.match(await page.textContent("#outcome"), /^rejected: bad_signature/);
    assert.deepEqual(pageErrors, []);
  });
});
