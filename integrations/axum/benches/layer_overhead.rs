//! What a request pays for `JwtAuditLayer` beyond `Verifier::verify` itself: the same HS256
//! token verified alone, and sent through an axum router in-process (`tower::ServiceExt::oneshot`)
//! without and with the layer (the handler extracts `Auth`). Layer overhead =
//! `with_layer - without_layer - verify_alone`; `integrations/bench.sh` prints it.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::get;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::{RequestContext, Verifier};
use jwt_audit_axum::{Auth, JwtAuditLayer};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const SECRET: &str = "benchmark-secret-of-at-least-32-bytes!!";

fn bench(c: &mut Criterion) {
    let verifier = Verifier::builder()
        .hmac_secret(SECRET)
        .algorithms(["HS256"])
        .issuer("https://auth.example.com")
        .audience("orders-api")
        .build()
        .expect("configuration");
    let claims = json!({
        "iss": "https://auth.example.com", "aud": "orders-api", "sub": "alice",
        "scope": "orders:read", "iat": 1_700_000_000, "exp": 4_000_000_000u64,
    });
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("signing");
    let authorization = format!("Bearer {token}");
    let peer: SocketAddr = "203.0.113.7:50000".parse().expect("address");
    let request = || {
        Request::get("/orders/7")
            .header("authorization", &authorization)
            .header("x-request-id", "req-bench")
            .header("user-agent", "bench/1")
            .extension(ConnectInfo(peer))
            .body(Body::empty())
            .expect("request")
    };
    let context = RequestContext::new()
        .correlation_id("req-bench")
        .client_ip("203.0.113.7")
        .method("GET")
        .path("/orders/{id}")
        .user_agent("bench/1");

    let without = Router::new().route("/orders/{id}", get(|| async { "ok" }));
    let with = Router::new()
        .route("/orders/{id}", get(|_: Auth| async { "ok" }))
        .layer(JwtAuditLayer::new(verifier.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let through = |router: &Router, iters: u64| -> Duration {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                let response = router.clone().oneshot(request()).await.expect("infallible");
                assert!(response.status().is_success());
            }
            start.elapsed()
        })
    };

    let mut group = c.benchmark_group("axum");
    group.bench_function("verify_alone", |b| {
        b.iter(|| {
            let v = verifier.verify(black_box(&token), &context);
            assert!(v.is_accepted());
        })
    });
    group.bench_function("without_layer", |b| b.iter_custom(|n| through(&without, n)));
    group.bench_function("with_layer", |b| b.iter_custom(|n| through(&with, n)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
