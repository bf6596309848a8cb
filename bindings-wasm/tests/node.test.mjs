// Every case of tests/vectors under Node, through the package's Node entry: outcome, kind, `also`
// and the whole record equal to the native core's.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Verifier } from "@jwt-audit/wasm";
import { cases, checkCase, tokenOf } from "./common.mjs";

const hmacOnly = (c) => c.config.algorithms.every((a) => a.startsWith("HS"));

describe("vectors: verify()", () => {
  for (const c of cases) {
    test(c.name, async () => {
      checkCase(c, await new Verifier(c.config).verify(tokenOf(c), c.context));
    });
  }
});

describe("vectors: verifySync() (HMAC-only configs)", () => {
  for (const c of cases.filter(hmacOnly)) {
    test(c.name, () => {
      checkCase(c, new Verifier(c.config).verifySync(tokenOf(c), c.context));
    });
  }
});

// Records reach JavaScript as objects built field by field (src/handoff.rs, src/handoff.js), not
// through JSON.parse of the core's text: they must equal that text parsed, keys in the same
// order. A `log` sink receives the core's text itself; a function sink the built object.
describe("vectors: records equal the core's JSON text, key order included", () => {
  const same = (built, line) => assert.equal(JSON.stringify(built), JSON.stringify(JSON.parse(line)));
  for (const c of cases) {
    test(c.name, async () => {
      const lines = [];
      const viaLog = new Verifier({ ...c.config, sink: { log: (line) => lines.push(line) } });
      same((await viaLog.verify(tokenOf(c), c.context)).record, lines[0]);
      if (hmacOnly(c)) same(viaLog.verifySync(tokenOf(c), c.context).record, lines[1]);
      const objects = [];
      const viaFunction = new Verifier({ ...c.config, sink: (record) => objects.push(record) });
      const { record } = await viaFunction.verify(tokenOf(c), c.context);
      assert.equal(JSON.stringify(objects[0]), JSON.stringify(record));
    });
  }
});
