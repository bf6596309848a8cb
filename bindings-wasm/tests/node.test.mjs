// Every case of tests/vectors under Node, through the package's Node entry: outcome, kind, `also`
// and the whole record equal to the native core's.
import { describe, test } from "node:test";
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
