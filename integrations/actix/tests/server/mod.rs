//! The actix test server serving the routes of the shared scenarios (`testsupport/scenarios.rs`),
//! on its own thread and actix system.

use crate::support::{Server, verifier};
use actix_web::{App, HttpResponse, HttpServer, web};
use jwt_audit::sink::{AuditSink, FanOut, MemorySink};
use jwt_audit_actix::{
    Auth, AuthRejection, AuthzRequirement, ClientIp, CorrelationId, JwtAudit, MaybeAuth,
    require_scopes,
};
use serde_json::json;
use std::sync::Arc;

async fn item(auth: Auth, id: CorrelationId, item: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sub": auth.subject(), "id": item.into_inner(), "record_id": auth.record().id,
        "correlation_id": id.0,
    }))
}

async fn admin() -> &'static str {
    "admin ok"
}

async fn reports(auth: Auth) -> Result<&'static str, AuthRejection> {
    auth.require(&AuthzRequirement::new().roles(["auditor"]))?;
    Ok("reports ok")
}

async fn hello(MaybeAuth(auth): MaybeAuth) -> String {
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
        Some(extra) => Arc::new(FanOut::new(vec![records.clone(), extra])),
        None => records.clone(),
    };
    let verifier = verifier(sink);
    let strict = JwtAudit::new(verifier.clone());
    let public = JwtAudit::new(verifier.clone())
        .allow_anonymous()
        .client_ip(ClientIp::XForwardedFor { trusted_proxies: 1 });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = HttpServer::new(move || {
        App::new()
            .service(
                web::scope("/public")
                    .wrap(public.clone())
                    .route("/hello", web::get().to(hello))
                    .route("/me", web::get().to(me)),
            )
            .service(
                web::scope("")
                    .wrap(strict.clone())
                    .route("/items/{id}", web::get().to(item))
                    .service(
                        web::resource("/admin")
                            .wrap(require_scopes(["admin"]))
                            .route(web::get().to(admin)),
                    )
                    .route("/reports", web::get().to(reports)),
            )
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    Server {
        base,
        records,
        verifier,
    }
}
