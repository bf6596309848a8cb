// Shared by the Node, workerd and Chromium tests: the vectors, the native core's records, and the
// per-case check.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const here = fileURLToPath(new URL(".", import.meta.url));
export const vectorsDir = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));

/** Every case of tests/vectors, in file order. */
export const cases = readdirSync(vectorsDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(vectorsDir + f, "utf8")).cases);

/** The native core's record for every case, without id/time/duration_us (test.sh writes it). */
export const rustRecords = JSON.parse(readFileSync(new URL("./.out/rust-records.json", import.meta.url), "utf8"));

/** The token of a case, as the vectors README defines it (a browser rebuilds it the same way). */
export function tokenOf(c) {
  if (c.token_repeat) return c.token_repeat.unit.repeat(c.token_repeat.count);
  if (c.token_bytes_b64 !== undefined) return new Uint8Array(Buffer.from(c.token_bytes_b64, "base64"));
  return c.token;
}

export const publicKeyPem = (name) => readFileSync(`${vectorsDir}keys/${name}.pub.pem`, "utf8");
export const privateKeyPem = (name) => readFileSync(`${vectorsDir}keys/${name}.private.pem`, "utf8");
export const secret = (name) => readFileSync(`${vectorsDir}keys/${name}.txt`, "utf8");
export const jwks = () => JSON.parse(readFileSync(`${vectorsDir}keys/jwks.json`, "utf8"));

/** A record without the fields allowed to differ run to run. */
export function stable(record) {
  const { id, time, duration_us, ...rest } = record;
  return rest;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Checks one verification result against the case and the native core's record. */
export function checkCase(c, result) {
  const { record } = result;
  const kind = record.failure ? record.failure.kind : null;
  const also = record.failure ? record.failure.also.map((a) => a.kind) : [];
  assert.deepEqual(
    { outcome: record.outcome, kind, also },
    { outcome: c.expected.outcome, kind: c.expected.kind, also: c.expected.also },
  );
  assert.equal(result.ok, c.expected.outcome === "accepted");
  assert.equal(result.claims === null, !result.ok);
  assert.match(record.id, UUID_V7);
  assert.equal(record.time, new Date(c.config.now * 1000).toISOString());
  assert.ok(Number.isInteger(record.duration_us) && record.duration_us >= 0);
  assert.ok(c.name in rustRecords, `no native record for ${c.name}`);
  assert.deepEqual(stable(record), rustRecords[c.name]);
  if (c.expected.record) assert.deepEqual(stable(record), c.expected.record);
}
