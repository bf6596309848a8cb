// The benchmark tokens: the `*-valid` vectors (fixed clock), with issuer and audience checked.
import { readFileSync } from "node:fs";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/algorithms.json", import.meta.url), "utf8"));

export const ALGS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"];

export const cases = ALGS.map((alg) => {
  const c = vectors.cases.find((v) => v.name === `${alg.toLowerCase()}-valid`);
  return { name: c.name, alg, token: c.token, config: c.config, issuer: "https://issuer.example", audience: "orders-api" };
});
