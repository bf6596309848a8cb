//! Every shared conformance vector sent through the `JwtAudit` middleware (in-process,
//! `actix_web::actix_test::call_service`).

#[path = "../../testsupport/vectors.rs"]
mod vectors;

use actix_web::http::Method;
use actix_web::test as actix_test;
use actix_web::{App, web};
use jwt_audit_actix::{ClientIp, JwtAudit};

#[test]
fn every_vector_case_through_the_middleware() {
    let system = actix_web::rt::System::new();
    vectors::run(|verifier, req| {
        system.block_on(async {
            let app = actix_test::init_service(
                App::new()
                    .wrap(JwtAudit::new(verifier).client_ip(ClientIp::header("x-real-ip")))
                    .default_service(web::to(|| async { "ok" })),
            )
            .await;
            let method = Method::from_bytes(req.method.as_bytes()).expect("method");
            let mut request = actix_test::TestRequest::default()
                .method(method)
                .uri(&req.path);
            for (name, value) in &req.headers {
                request = request.insert_header((*name, value.as_str()));
            }
            actix_test::call_service(&app, request.to_request())
                .await
                .status()
                .as_u16()
        })
    });
}
