// Runs every case of tests/vectors with the `web` build and hands the results to the test driver.
import init, { Verifier } from "../../js/web.js";

function tokenOf(c) {
  if (c.token_repeat) return c.token_repeat.unit.repeat(c.token_repeat.count);
  if (c.token_bytes_b64 !== undefined) return Uint8Array.from(atob(c.token_bytes_b64), (ch) => ch.charCodeAt(0));
  return c.token;
}

window.runVectors = async () => {
  await init();
  const cases = await (await fetch("/cases.json")).json();
  const results = [];
  for (const c of cases) {
    try {
      const { ok, claims, record } = await new Verifier(c.config).verify(tokenOf(c), c.context);
      results.push({ name: c.name, result: { ok, claims, record } });
    } catch (e) {
      results.push({ name: c.name, error: `${e.name}: ${e.message}` });
    }
  }
  return { userAgent: navigator.userAgent, results };
};
window.ready = true;
