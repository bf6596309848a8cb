//! Records reach `tracing-subscriber`'s JSON output through core's `TracingSink` (its own test
//! binary: it installs the global subscriber).

mod server;
#[path = "../../testsupport/scenarios.rs"]
mod support;

use jwt_audit::sink::TracingSink;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_json_output_contains_the_records() {
    let captured = support::capture_tracing_json();
    let server = server::start_with(Some(Arc::new(TracingSink::new()))).await;
    support::tracing_json_has_records(&server, &captured).await;
}
