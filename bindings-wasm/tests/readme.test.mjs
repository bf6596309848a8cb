// The README's Node quick start is the example file test.sh runs, verbatim.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

test("README quick start = examples/node/quickstart.mjs", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/node/quickstart.mjs", import.meta.url), "utf8");
  assert.ok(readme.includes("```js\n" + example + "```"));
});
