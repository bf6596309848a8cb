//! Every shared conformance vector sent through `JwtAuditLayer` (in-process, `oneshot`).

#[path = "../../testsupport/vectors.rs"]
mod vectors;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use jwt_audit_axum::{ClientIp, JwtAuditLayer};
use tower::ServiceExt;

#[test]
fn every_vector_case_through_the_layer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    vectors::run(|verifier, req| {
        let app = Router::new()
            .fallback(|| async { "ok" })
            .layer(JwtAuditLayer::new(verifier).client_ip(ClientIp::header("x-real-ip")));
        let mut request = Request::builder()
            .method(req.method.as_str())
            .uri(&req.path);
        for (name, value) in &req.headers {
            request = request.header(*name, value);
        }
        let request = request.body(Body::empty()).expect("request");
        let response = rt.block_on(app.oneshot(request)).expect("infallible");
        response.status().as_u16()
    });
}
