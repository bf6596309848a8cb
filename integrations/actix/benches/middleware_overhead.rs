//! What a request pays for the `JwtAudit` middleware beyond `Verifier::verify` itself: the same
//! HS256 token verified alone, and sent through an actix-web app in-process
//! (`actix_web::test::call_service`) without and with the middleware (the handler extracts
//! `Auth`). Middleware overhead = `with_middleware - without_middleware - verify_alone`;
//! `integrations/bench.sh` prints it. `match_pattern` is the request without middleware plus
//! one `HttpRequest::match_pattern()` call (how the middleware learns the route pattern), to
//! show that part of the overhead on its own.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::rt::{System, SystemRunner};
use actix_web::{App, HttpRequest, test, web};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::{RequestContext, Verifier};
use jwt_audit_actix::{Auth, JwtAudit};
use serde_json::json;
use std::time::{Duration, Instant};

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
    let request = || {
        test::TestRequest::get()
            .uri("/orders/7")
            .insert_header(("authorization", authorization.as_str()))
            .insert_header(("x-request-id", "req-bench"))
            .insert_header(("user-agent", "bench/1"))
            .peer_addr("203.0.113.7:50000".parse().expect("address"))
            .to_request()
    };
    let context = RequestContext::new()
        .correlation_id("req-bench")
        .client_ip("203.0.113.7")
        .method("GET")
        .path("/orders/{id}")
        .user_agent("bench/1");

    let system = System::new();
    let without = system.block_on(test::init_service(
        App::new().route("/orders/{id}", web::get().to(|| async { "ok" })),
    ));
    // The middleware records the route pattern; actix finds it by walking the resource map again.
    let pattern = system.block_on(test::init_service(App::new().route(
        "/orders/{id}",
        web::get().to(|req: HttpRequest| async move {
            black_box(req.match_pattern());
            "ok"
        }),
    )));
    let with = system.block_on(test::init_service(
        App::new()
            .wrap(JwtAudit::new(verifier.clone()))
            .route("/orders/{id}", web::get().to(|_: Auth| async { "ok" })),
    ));

    let mut group = c.benchmark_group("actix");
    group.bench_function("verify_alone", |b| {
        b.iter(|| {
            let v = verifier.verify(black_box(&token), &context);
            assert!(v.is_accepted());
        })
    });
    group.bench_function("without_middleware", |b| {
        b.iter_custom(|n| through(&system, &without, n, &request))
    });
    group.bench_function("match_pattern", |b| {
        b.iter_custom(|n| through(&system, &pattern, n, &request))
    });
    group.bench_function("with_middleware", |b| {
        b.iter_custom(|n| through(&system, &with, n, &request))
    });
    group.finish();
}

/// `iters` requests through `app`, one after the other, on the actix system.
fn through<S, R, B>(
    system: &SystemRunner,
    app: &S,
    iters: u64,
    request: &impl Fn() -> R,
) -> Duration
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    system.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let response = app.call(request()).await.expect("response");
            assert!(response.status().is_success());
        }
        start.elapsed()
    })
}

criterion_group!(benches, bench);
criterion_main!(benches);
