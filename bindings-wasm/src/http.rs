//! The core's HTTP glue for JavaScript adapters (the Workers helper uses these; it parses no
//! header itself).

use wasm_bindgen::prelude::*;

/// The correlation id of a request: `xRequestId` when it is printable ASCII (≤ 128 chars), else
/// the trace id of a valid W3C `traceparent`, else `undefined` (then use `newCorrelationId()`).
#[wasm_bindgen(js_name = correlationId)]
pub fn correlation_id(x_request_id: Option<String>, traceparent: Option<String>) -> Option<String> {
    jwt_audit::http::correlation_id(x_request_id.as_deref(), traceparent.as_deref())
}

/// A fresh, time-ordered correlation id (UUIDv7).
#[wasm_bindgen(js_name = newCorrelationId)]
pub fn new_correlation_id() -> String {
    jwt_audit::http::new_correlation_id()
}
