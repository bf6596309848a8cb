// The benchmark tokens: the `*-valid` vectors (fixed clock), with issuer and audience checked. HS256
// cycles through 64 tokens of the vector's shape with distinct `sub`, `jti`, `iat` and `exp`
// (signed here with the vector's secret), so no library gains from seeing one token again.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/algorithms.json", import.meta.url), "utf8"));

export const ALGS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"];

/** 64 HS256 tokens like `token` (the first is `token`). */
function hs256Tokens(token, secret) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const [header, payload] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url"));
  return [token, ...Array.from({ length: 63 }, (_, i) => {
    const input = `${header}.${b64({ ...claims, sub: `user-${1000 + i * 7919}`, jti: `bench-${i}`, iat: claims.iat - i, exp: claims.exp + i })}`;
    return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
  })];
}

export const cases = ALGS.map((alg) => {
  const c = vectors.cases.find((v) => v.name === `${alg.toLowerCase()}-valid`);
  const tokens = alg === "HS256" ? hs256Tokens(c.token, c.config.keys[0].secret) : [c.token];
  return { name: c.name, alg, tokens, config: c.config, issuer: "https://issuer.example", audience: "orders-api" };
});
