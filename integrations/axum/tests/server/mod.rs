//! The axum test server serving the routes of the shared scenarios (`testsupport/scenarios.rs`).

use crate::support::{Server, verifier};
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use jwt_audit::sink::{AuditSink, MemorySink};
use jwt_audit_axum::{
    Auth, AuthRejection, AuthzRequirement, ClientIp, CorrelationId, JwtAuditLayer, require_scopes,
};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

async fn item(
    auth: Auth,
    CorrelationId(id): CorrelationId,
    Path(item): Path<String>,
) -> Json<Value> {
    Json(json!({
        "sub": auth.subject(), "id": item, "record_id": auth.record().id, "correlation_id": id,
    }))
}

async fn admin() -> &'static str {
    "admin ok"
}

async fn reports(auth: Auth) -> Result<&'static str, AuthRejection> {
    auth.require(&AuthzRequirement::new().roles(["auditor"]))?;
    Ok("reports ok")
}

async fn hello(auth: Option<Auth>) -> String {
    format!(
        "hello {}",
        auth.as_ref()
            .and_then(|a| a.subject())
            .unwrap_or("anonymous")
    )
}

async fn me(auth: Auth) -> String {
    auth.subject().unwrap_or_default().to_string()
}

/// Starts the server on 127.0.0.1:0; records go to a `MemorySink` and to `extra`, if any.
pub async fn start_with(extra: Option<Arc<dyn AuditSink>>) -> Server {
    let records = Arc::new(MemorySink::new());
    let sink: Arc<dyn AuditSink> = match extra {
        Some(extra) => Arc::new(jwt_audit::sink::FanOut::new(vec![records.clone(), extra])),
        None => records.clone(),
    };
    let verifier = verifier(sink);
    let strict = Router::new()
        .route("/items/{id}", get(item))
        .route("/admin", get(admin).route_layer(require_scopes(["admin"])))
        .route("/reports", get(reports))
        .layer(JwtAuditLayer::new(verifier.clone()));
    let public = Router::new()
        .route("/public/hello", get(hello))
        .route("/public/me", get(me))
        .layer(
            JwtAuditLayer::new(verifier.clone())
                .allow_anonymous()
                .client_ip(ClientIp::XForwardedFor { trusted_proxies: 1 }),
        );
    let app = strict.merge(public);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve")
    });
    Server {
        base,
        records,
        verifier,
    }
}
