//! HTTP scenarios shared by the axum and actix test suites (included with `#[path]`). They talk
//! to a real server over HTTP, so they are framework-agnostic: each suite starts its framework's
//! server on 127.0.0.1:0 with the routes below and runs every scenario against it.
//!
//! Routes every test server serves, with the verifier from [`verifier`]:
//!
//! | route               | protection                                               | answer                                   |
//! |---------------------|----------------------------------------------------------|------------------------------------------|
//! | `GET /items/{id}`   | Bearer required                                          | JSON `{sub, id, record_id, correlation_id}` |
//! | `GET /admin`        | Bearer required + guard layer requiring scope `admin`    | `admin ok`                               |
//! | `GET /reports`      | Bearer required + `Auth::require(roles: [auditor])`      | `reports ok`                             |
//! | `GET /public/hello` | anonymous allowed, client IP from `X-Forwarded-For` (1 proxy) | `hello <sub or anonymous>`          |
//! | `GET /public/me`    | anonymous allowed, but the handler extracts `Auth`       | `<sub>`                                  |
#![allow(dead_code)] // each test binary uses a different part of this module

use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::sink::{AuditSink, MemorySink};
use jwt_audit::{AuditRecord, Verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const SECRET: &str = "integration-test-secret-of-at-least-32-bytes";
pub const ISSUER: &str = "https://auth.example.test";
pub const AUDIENCE: &str = "orders-api";
pub const USER_AGENT: &str = "jwt-audit-integration-test/1";

/// A running test server.
pub struct Server {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    /// Every record of the server's verifier.
    pub records: Arc<MemorySink>,
    pub verifier: Verifier,
}

/// The verifier every test server uses: HS256, issuer and audience required, records to `sink`.
pub fn verifier(sink: Arc<dyn AuditSink>) -> Verifier {
    Verifier::builder()
        .hmac_secret(SECRET)
        .algorithms(["HS256"])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .name("integration-test")
        .shared_sink(sink)
        .build()
        .expect("valid test configuration")
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// An HS256 token with the standard claims plus `extra`, expiring `exp_in` seconds from now.
pub fn token_with(sub: &str, exp_in: i64, extra: Value) -> String {
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "jti": format!("jti-{sub}-{exp_in}"),
        "iat": now() - 10, "exp": now() + exp_in,
    });
    if let (Some(c), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        c.extend(extra);
    }
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HS256 signing")
}

pub fn token(sub: &str) -> String {
    token_with(sub, 600, json!({}))
}

/// `sub`'s token with `mallory`'s payload: the signature no longer matches.
pub fn tampered(sub: &str) -> String {
    let good: Vec<String> = token(sub).split('.').map(str::to_string).collect();
    let forged = token("mallory");
    let payload = forged.split('.').nth(1).expect("three segments");
    format!("{}.{}.{}", good[0], payload, good[2])
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(64)
        .build()
        .expect("reqwest client")
}

/// GET `path` with an optional `Authorization` value and extra headers.
pub async fn get(
    server: &Server,
    path: &str,
    authorization: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client().get(format!("{}{path}", server.base));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("request reaches the test server")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("response has no {name} header"))
}

/// The records whose correlation id is `id`.
pub fn records_for(server: &Server, id: &str) -> Vec<Arc<AuditRecord>> {
    server
        .records
        .records()
        .into_iter()
        .filter(|r| r.request.correlation_id.as_deref() == Some(id))
        .collect()
}

fn kind(record: &AuditRecord) -> Option<&'static str> {
    record.failure_kind().map(|k| k.as_str())
}

/// A rejected request: generic 401 answer, one record of `expected_kind`, nothing secret leaked.
async fn assert_invalid(server: &Server, authorization: Option<&str>, expected_kind: &str) {
    let id = format!("req-{expected_kind}");
    let resp = get(server, "/items/7", authorization, &[("x-request-id", &id)]).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let www = header(&resp, "www-authenticate").to_string();
    assert_eq!(header(&resp, "x-request-id"), id);
    let body = resp.text().await.expect("body");
    if expected_kind == "missing_token" {
        assert_eq!(www, "Bearer");
        assert_eq!(body, r#"{"error":"unauthorized"}"#);
    } else {
        assert_eq!(www, r#"Bearer error="invalid_token""#);
        assert_eq!(body, r#"{"error":"invalid_token"}"#);
    }
    let records = records_for(server, &id);
    assert_eq!(records.len(), 1, "one record per request");
    let record = &records[0];
    assert_eq!(kind(record), Some(expected_kind));
    assert_eq!(record.request.path.as_deref(), Some("/items/{id}"));
    if let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) {
        let json = record.to_json();
        let signature = token.rsplit('.').next().unwrap_or(token);
        assert!(!json.contains(token), "token in the record");
        assert!(
            signature.is_empty() || !json.contains(signature),
            "signature in the record"
        );
    }
}

pub async fn valid_token(server: &Server) {
    let token = token("alice");
    let resp = get(
        server,
        "/items/42",
        Some(&bearer(&token)),
        &[("x-request-id", "req-valid")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "x-request-id"), "req-valid");
    let body: Value = resp.json().await.expect("JSON body");
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["id"], "42");
    assert_eq!(body["correlation_id"], "req-valid");

    let records = records_for(server, "req-valid");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert!(r.is_accepted());
    assert_eq!(
        body["record_id"],
        r.id.as_str(),
        "the handler sees the sink's record"
    );
    assert_eq!(serde_json::to_value(r.event).unwrap(), "authn_token_valid");
    assert_eq!(r.request.method.as_deref(), Some("GET"));
    assert_eq!(
        r.request.path.as_deref(),
        Some("/items/{id}"),
        "route template"
    );
    assert_eq!(r.request.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(r.request.user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(r.token.iss, Some(json!(ISSUER)));
    assert_eq!(&*r.verifier.name, "integration-test");
    assert!(!r.to_json().contains(&token));
}

pub async fn expired_token(server: &Server) {
    let t = token_with("bob", -3600, json!({}));
    assert_invalid(server, Some(&bearer(&t)), "expired").await;
}

pub async fn tampered_token(server: &Server) {
    assert_invalid(server, Some(&bearer(&tampered("alice"))), "bad_signature").await;
}

pub async fn missing_token(server: &Server) {
    assert_invalid(server, None, "missing_token").await;
}

pub async fn other_schemes_and_garbage(server: &Server) {
    let id = "req-basic";
    let resp = get(
        server,
        "/items/1",
        Some("Basic dXNlcjpwYXNz"),
        &[("x-request-id", id)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(kind(&records_for(server, id)[0]), Some("missing_token"));
    let resp = get(
        server,
        "/items/1",
        Some("Bearer"),
        &[("x-request-id", "req-b")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(kind(&records_for(server, "req-b")[0]), Some("malformed"));
    // `{"alg":"none"}` over a real payload, no signature.
    let payload = token("eve").split('.').nth(1).unwrap().to_string();
    let unsigned = format!("eyJhbGciOiJub25lIn0.{payload}.");
    assert_invalid(server, Some(&bearer(&unsigned)), "algorithm_not_allowed").await;
}

pub async fn scope_guard(server: &Server) {
    let reader = token_with("carol", 600, json!({"scope": "orders:read"}));
    let resp = get(
        server,
        "/admin",
        Some(&bearer(&reader)),
        &[("x-request-id", "req-s1")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        header(&resp, "www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="admin""#
    );
    assert_eq!(header(&resp, "x-request-id"), "req-s1");
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":"insufficient_scope"}"#
    );
    let records = records_for(server, "req-s1");
    let events: Vec<Value> = records
        .iter()
        .map(|r| serde_json::to_value(r.event).unwrap())
        .collect();
    assert_eq!(events, ["authn_token_valid", "authz_fail"]);
    let authz = records[1].authz.as_ref().expect("authz decision recorded");
    assert_eq!(authz.required.scopes, ["admin"]);
    assert_eq!(authz.granted.scopes, ["orders:read"]);
    assert_eq!(kind(&records[1]), Some("insufficient_scope"));
    assert_ne!(records[0].id, records[1].id);

    let admin = token_with("dave", 600, json!({"scope": "orders:read admin"}));
    let resp = get(
        server,
        "/admin",
        Some(&bearer(&admin)),
        &[("x-request-id", "req-s2")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "admin ok");
    assert_eq!(records_for(server, "req-s2").len(), 1);

    let missing = get(server, "/admin", None, &[]).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
}

pub async fn role_required_in_handler(server: &Server) {
    let user = token_with("erin", 600, json!({"roles": ["user"]}));
    let resp = get(
        server,
        "/reports",
        Some(&bearer(&user)),
        &[("x-request-id", "req-r1")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        header(&resp, "www-authenticate"),
        r#"Bearer error="insufficient_scope""#
    );
    let records = records_for(server, "req-r1");
    assert_eq!(kind(&records[1]), Some("insufficient_scope"));
    assert_eq!(
        records[1].authz.as_ref().unwrap().required.roles,
        ["auditor"]
    );

    let auditor = token_with("frank", 600, json!({"roles": ["user", "auditor"]}));
    let resp = get(server, "/reports", Some(&bearer(&auditor)), &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "reports ok");
}

pub async fn correlation_ids(server: &Server) {
    let t = token("grace");
    // traceparent: the trace id becomes the correlation id and is echoed.
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let resp = get(
        server,
        "/items/1",
        Some(&bearer(&t)),
        &[("traceparent", tp)],
    )
    .await;
    assert_eq!(
        header(&resp, "x-request-id"),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["correlation_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(
        records_for(server, "4bf92f3577b34da6a3ce929d0e0e4736").len(),
        1
    );

    // X-Request-Id wins over traceparent.
    let resp = get(
        server,
        "/items/1",
        Some(&bearer(&t)),
        &[("x-request-id", "req-both"), ("traceparent", tp)],
    )
    .await;
    assert_eq!(header(&resp, "x-request-id"), "req-both");

    // Neither (or an unusable one): generated, echoed, and the same id is in the record — on
    // rejections too.
    for extra in [&[][..], &[("x-request-id", "x".repeat(200).as_str())][..]] {
        let resp = get(server, "/items/1", Some("Bearer a.b.c"), extra).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let generated = header(&resp, "x-request-id").to_string();
        assert_eq!(generated.len(), 36, "a UUID: {generated}");
        let records = records_for(server, &generated);
        assert_eq!(records.len(), 1);
        assert_eq!(kind(&records[0]), Some("malformed"));
    }
}

pub async fn anonymous_routes(server: &Server) {
    let xff = [
        ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
        ("x-request-id", "req-a1"),
    ];
    let resp = get(server, "/public/hello", None, &xff).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "x-request-id"), "req-a1");
    assert_eq!(resp.text().await.unwrap(), "hello anonymous");
    assert!(
        records_for(server, "req-a1").is_empty(),
        "nothing presented, nothing verified"
    );

    let t = token("heidi");
    let xff = [
        ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
        ("x-request-id", "req-a2"),
    ];
    let resp = get(server, "/public/hello", Some(&bearer(&t)), &xff).await;
    assert_eq!(resp.text().await.unwrap(), "hello heidi");
    let records = records_for(server, "req-a2");
    assert_eq!(records[0].request.client_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(records[0].request.path.as_deref(), Some("/public/hello"));

    // A presented token must be valid, even where anonymous callers are welcome.
    let resp = get(
        server,
        "/public/hello",
        Some(&bearer(&tampered("heidi"))),
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // A handler that needs the caller refuses an anonymous request, and says so in a record.
    let resp = get(server, "/public/me", None, &[("x-request-id", "req-a3")]).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&resp, "www-authenticate"), "Bearer");
    assert_eq!(header(&resp, "x-request-id"), "req-a3");
    let records = records_for(server, "req-a3");
    assert_eq!(records.len(), 1);
    assert_eq!(kind(&records[0]), Some("missing_token"));
    assert_eq!(records[0].request.path.as_deref(), Some("/public/me"));

    let resp = get(server, "/public/me", Some(&bearer(&t)), &[]).await;
    assert_eq!(resp.text().await.unwrap(), "heidi");
}

/// `n` concurrent requests, a third of them invalid: exactly one record each, none lost.
pub async fn concurrent_requests_lose_no_records(server: &Server, n: usize) {
    let client = client();
    let good = bearer(&token("ivan"));
    let bad = bearer(&tampered("ivan"));
    let requests = (0..n).map(|i| {
        let req = client
            .get(format!("{}/items/{i}", server.base))
            .header("authorization", if i % 3 == 0 { &bad } else { &good })
            .header("x-request-id", format!("req-c{i}"));
        tokio::spawn(async move {
            let resp = req.send().await.expect("request");
            (i, resp.status())
        })
    });
    let mut results = Vec::with_capacity(n);
    for handle in requests.collect::<Vec<_>>() {
        results.push(handle.await.expect("task"));
    }
    for (i, status) in &results {
        let expected = if i % 3 == 0 { 401 } else { 200 };
        assert_eq!(status.as_u16(), expected, "request {i}");
    }
    let records = server.records.records();
    assert_eq!(records.len(), n);
    let mut ids: Vec<&str> = records
        .iter()
        .map(|r| r.request.correlation_id.as_deref().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "one record per request");
    for r in &records {
        let i: usize = r.request.correlation_id.as_deref().unwrap()[5..]
            .parse()
            .unwrap();
        assert_eq!(r.is_accepted(), i % 3 != 0);
    }
    let stats = server.verifier.stats();
    assert_eq!((stats.accepted + stats.rejected) as usize, n, "{stats:?}");
    assert_eq!((stats.sink_errors, stats.records_dropped), (0, 0));
}

/// A `MakeWriter` target for `tracing-subscriber` that keeps everything written.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a global JSON `tracing-subscriber` writing into the returned buffer.
pub fn capture_tracing_json() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("first global subscriber");
    captured
}

/// With `TracingSink`, one accepted and one rejected request appear in the JSON output with the
/// whole record.
pub async fn tracing_json_has_records(server: &Server, captured: &Captured) {
    let t = token("judy");
    let ok = get(
        server,
        "/items/5",
        Some(&bearer(&t)),
        &[("x-request-id", "req-t1")],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let bad = bearer(&tampered("judy"));
    let no = get(
        server,
        "/items/5",
        Some(&bad),
        &[("x-request-id", "req-t2")],
    )
    .await;
    assert_eq!(no.status(), StatusCode::UNAUTHORIZED);

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).expect("UTF-8 output");
    let events: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .filter(|e: &Value| e["target"] == "jwt_audit")
        .collect();
    let find = |id: &str| {
        events
            .iter()
            .find(|e| e["fields"]["correlation_id"] == id)
            .unwrap_or_else(|| panic!("no event for {id} in {output}"))
    };
    let accepted = find("req-t1");
    assert_eq!(accepted["level"], "INFO");
    assert_eq!(accepted["fields"]["message"], "jwt accepted");
    assert_eq!(accepted["fields"]["path"], "/items/{id}");
    let record: Value =
        serde_json::from_str(accepted["fields"]["record"].as_str().expect("record field"))
            .expect("record is JSON");
    assert_eq!(record["schema"], "jwt-audit/v1");
    assert_eq!(record["outcome"], "accepted");
    assert_eq!(record["claims"]["values"]["sub"], "judy");
    assert_eq!(record["request"]["correlation_id"], "req-t1");

    let rejected = find("req-t2");
    assert_eq!(rejected["level"], "ERROR");
    assert_eq!(rejected["fields"]["failure_kind"], "bad_signature");
    assert!(
        !output.contains(&t) && !output.contains(&bad[7..]),
        "no token in the logs"
    );
}
