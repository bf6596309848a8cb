//! The shared HTTP scenarios against an actix-web server on 127.0.0.1:0.

mod server;
#[path = "../../testsupport/scenarios.rs"]
mod support;

use server::start_with;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            support::$name(&start_with(None).await).await;
        }
    )*};
}

scenarios!(
    valid_token,
    expired_token,
    tampered_token,
    missing_token,
    other_schemes_and_garbage,
    scope_guard,
    role_required_in_handler,
    correlation_ids,
    anonymous_routes,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_lose_no_records() {
    support::concurrent_requests_lose_no_records(&start_with(None).await, 300).await;
}
