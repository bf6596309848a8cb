//! Benchmark-only exports (cargo feature `bench`; never in the published module): the stages of a
//! `verifySync`, looped inside the module, so `bench/bench.mjs` can split its cost into the core
//! compiled to WebAssembly and the handoff of the result to JavaScript.

use crate::convert;
use crate::handoff::Tape;
use crate::verifier::Verifier;
use jwt_audit::RequestContext;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Verifier {
    /// Runs `n` verifications of `token` without leaving the module, up to `stage`:
    /// 0 the core's `verify` (decision and record); 1 also what `verifySync` writes for
    /// JavaScript to build the result from; 2 instead the result as JSON text (the record's
    /// `to_json` and the claims), which it returns, for timing `JSON.parse` of it.
    #[wasm_bindgen(js_name = benchStage)]
    pub fn bench_stage(&self, token: &str, n: u32, stage: u32) -> String {
        let ctx = RequestContext::default();
        let mut tape = Tape::default();
        let mut json = String::new();
        for _ in 0..n {
            let v = self.core.verify(token, &ctx);
            match stage {
                0 => {}
                1 => {
                    tape.result(&v, false);
                }
                _ => json = convert::result_json(&v, false),
            }
        }
        json
    }

    /// `n` unkeyed token fingerprints (SHA-256) of `data`, the core's hash over a whole token.
    #[wasm_bindgen(js_name = benchFingerprint)]
    pub fn bench_fingerprint(data: &[u8], n: u32) -> String {
        let fp = jwt_audit::Fingerprinter::new(None);
        let mut last = String::new();
        for _ in 0..n {
            last = fp.fingerprint(data);
        }
        last
    }
}
