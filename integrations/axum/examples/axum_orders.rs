//! An orders service protected by jwt-audit, with audit records as JSON log lines.
//!
//! ```sh
//! cargo run -p jwt-audit-axum --example axum_orders          # PORT=3000 by default
//! ```
//!
//! It prints demo tokens and `curl` commands on stderr; stdout carries the `tracing` JSON log,
//! one line per audit record (the `record` field holds the whole record). Routes:
//!
//! - `GET /health` — no authentication
//! - `GET /catalog` — anonymous callers welcome; a presented token must be valid
//! - `GET /orders/{id}` — a valid token
//! - `POST /orders` — a valid token with scope `orders:write` (else 403 and an `authz_fail` record)

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::Verifier;
use jwt_audit::sink::TracingSink;
use jwt_audit_axum::{Auth, CorrelationId, JwtAuditLayer, require_scopes};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

const SECRET: &str = "demo-secret-change-me-at-least-32-bytes!";
const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "orders-api";

async fn order(
    auth: Auth,
    Path(id): Path<u64>,
    CorrelationId(request): CorrelationId,
) -> Json<Value> {
    Json(json!({"order": id, "owner": auth.subject(), "request": request}))
}

async fn create_order(auth: Auth) -> Json<Value> {
    Json(json!({"created": true, "by": auth.subject(), "audit_record": auth.record().id}))
}

async fn catalog(auth: Option<Auth>) -> Json<Value> {
    let viewer = auth
        .as_ref()
        .and_then(|a| a.subject())
        .unwrap_or("anonymous");
    Json(json!({"items": ["widget", "gadget"], "viewer": viewer}))
}

fn demo_token(sub: &str, scope: &str, exp_in: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "scope": scope,
        "iat": now, "exp": now + exp_in, "email": format!("{sub}@example.com"),
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HS256 signing")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .init();

    let verifier = Verifier::builder()
        .hmac_secret(SECRET)
        .algorithms(["HS256"])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .name("orders-api")
        .sink(TracingSink::new())
        .build()?;

    let protected = Router::new()
        .route("/orders/{id}", get(order))
        .route(
            "/orders",
            post(create_order).route_layer(require_scopes(["orders:write"])),
        )
        .layer(JwtAuditLayer::new(verifier.clone()));
    let public = Router::new()
        .route("/catalog", get(catalog))
        .layer(JwtAuditLayer::new(verifier).allow_anonymous());
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(protected)
        .merge(public);

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let reader = demo_token("alice", "orders:read", 3600);
    let writer = demo_token("bob", "orders:read orders:write", 3600);
    let expired = demo_token("carol", "orders:read", -120);
    eprintln!("orders service on {base}; try:");
    eprintln!("  curl -i {base}/orders/7 -H 'Authorization: Bearer {reader}'");
    eprintln!("  curl -i -X POST {base}/orders -H 'Authorization: Bearer {reader}'   # 403");
    eprintln!("  curl -i -X POST {base}/orders -H 'Authorization: Bearer {writer}'");
    eprintln!("  curl -i {base}/orders/7 -H 'Authorization: Bearer {expired}'   # 401, expired");
    eprintln!("  curl -i {base}/catalog -H 'X-Request-Id: my-request-1'");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
