// The browser example: `init()` fetches and compiles the module once, then `new Verifier(config)`
// and `await verifier.verify(token)` as anywhere else. Served from the package root
// (`npx serve .` or any static server that sends .wasm as application/wasm).
import init, { Verifier } from "../../js/web.js";

const $ = (id) => document.getElementById(id);

await init();
$("config").value = await (await fetch(new URL("./demo-config.json", import.meta.url))).text();

$("verify").addEventListener("click", async () => {
  let verifier;
  try {
    verifier = new Verifier(JSON.parse($("config").value));
  } catch (e) {
    // A ConfigError names the option at fault and never echoes key material.
    $("outcome").textContent = `${e.name}: ${e.message}`;
    $("outcome").className = "rejected";
    return;
  }
  const context = { path: location.pathname, userAgent: navigator.userAgent };
  const { ok, record } = await verifier.verify($("token").value.trim(), context);
  $("outcome").textContent = ok ? "accepted" : `rejected: ${record.failure.kind} (${record.failure.detail})`;
  $("outcome").className = record.outcome;
  $("record").textContent = JSON.stringify(record, null, 2);
});
document.body.dataset.ready = "true";
