//! Node.js binding of `jwt-audit` (the npm package `jwt-audit`).
//!
//! This crate only converts types and adapts sinks; every decision is made by the core crate.
//! The JavaScript layer (`index.js`) wraps these native classes into the public API
//! (`Verifier`, `jwtAudit`, `requireScopes`, ...). Records and claims cross the boundary as the
//! core's canonical JSON text and are parsed in JavaScript on first access: one `JSON.parse` is
//! several times cheaper than building the object property by property through N-API.

mod config;
mod sinks;

use jwt_audit::http::{self, Challenge};
use jwt_audit::sink::builtin_sink;
use jwt_audit::{AuthzRequirement, ConfigError, RequestContext, Verification, Verifier};
use napi::bindgen_prelude::{AsyncTask, Either, FunctionRef, Uint8Array};
use napi::threadsafe_function::UnknownReturnValue;
use napi::{Env, Error, Result, Status, Task, sys};
use napi_derive::napi;
use serde_json::Value;
use sinks::{JsFunctions, OnJsThread};
use std::sync::Arc;

/// A token as JS passes it: a string or raw bytes.
fn token_bytes(token: &Either<String, Uint8Array>) -> &[u8] {
    match token {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b,
    }
}

/// The request context, flattened into arguments (reading five optional strings is much cheaper
/// than reading an object's properties through N-API).
fn context(
    correlation_id: Option<String>,
    client_ip: Option<String>,
    method: Option<String>,
    path: Option<String>,
    user_agent: Option<String>,
) -> RequestContext {
    RequestContext {
        correlation_id,
        client_ip,
        method,
        path,
        user_agent,
    }
}

/// Throws a `TypeError` with `code: "ERR_JWT_AUDIT_CONFIG"` and the offending `option`.
fn config_error(env: &Env, e: &ConfigError) -> Error {
    let raw = env.raw();
    let js_str = |s: &str| -> Result<sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: `raw` is the live env of the current call; `s` outlives the call.
        let status = unsafe {
            sys::napi_create_string_utf8(raw, s.as_ptr().cast(), s.len() as isize, &mut out)
        };
        check(status).map(|()| out)
    };
    let thrown = (|| -> Result<()> {
        let (code, message, option) = (
            js_str("ERR_JWT_AUDIT_CONFIG")?,
            js_str(&e.to_string())?,
            js_str(&e.option)?,
        );
        let mut err = std::ptr::null_mut();
        // SAFETY: every value was created in this env during this call.
        unsafe {
            check(sys::napi_create_type_error(raw, code, message, &mut err))?;
            check(sys::napi_set_named_property(
                raw,
                err,
                c"option".as_ptr(),
                option,
            ))?;
            check(sys::napi_throw(raw, err))
        }
    })();
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(other) => other,
    }
}

fn check(status: sys::napi_status) -> Result<()> {
    match status {
        sys::Status::napi_ok => Ok(()),
        s => Err(Error::from_status(Status::from(s))),
    }
}

/// `{ ok, record, claims }` as returned to JS: `record` and `claims` are JSON text.
#[napi(object)]
pub struct VerifyOutput {
    pub ok: bool,
    pub record: String,
    pub claims: Option<String>,
}

impl From<&Verification> for VerifyOutput {
    fn from(v: &Verification) -> Self {
        Self {
            ok: v.is_accepted(),
            record: v.record().to_json(),
            claims: claims_json(v),
        }
    }
}

/// The verified claims as JSON text (accepted tokens only).
fn claims_json(v: &Verification) -> Option<String> {
    // Serialising a JSON map into a String cannot fail.
    v.claims().and_then(|c| serde_json::to_string(c).ok())
}

/// The generic HTTP answer to a rejection (RFC 6750), from `jwt_audit::http::challenge`.
#[napi(object)]
pub struct HttpChallenge {
    pub status: u16,
    pub www_authenticate: String,
    pub body: String,
}

impl From<Challenge> for HttpChallenge {
    fn from(c: Challenge) -> Self {
        Self {
            status: c.status,
            www_authenticate: c.www_authenticate,
            body: c.body.to_string(),
        }
    }
}

/// A verification kept on the native side, for HTTP adapters: its challenge, and scope/role
/// checks after the fact (`Verifier::authorize` needs the verified claims).
#[napi]
pub struct NativeVerification {
    inner: Verification,
}

#[napi]
impl NativeVerification {
    #[napi(getter)]
    pub fn ok(&self) -> bool {
        self.inner.is_accepted()
    }

    /// The failure kind (`"bad_signature"`, ...); `null` when accepted.
    #[napi(getter)]
    pub fn failure_kind(&self) -> Option<&'static str> {
        self.inner.failure_kind().map(|k| k.as_str())
    }

    /// The record as canonical JSON.
    #[napi]
    pub fn record(&self) -> String {
        self.inner.record().to_json()
    }

    /// The verified claims as JSON (accepted tokens only).
    #[napi]
    pub fn claims(&self) -> Option<String> {
        claims_json(&self.inner)
    }

    /// The HTTP answer for a rejection; `null` when accepted.
    #[napi]
    pub fn challenge(&self) -> Option<HttpChallenge> {
        http::challenge(&self.inner).map(Into::into)
    }
}

/// The native verifier behind the JS `Verifier` class.
#[napi]
pub struct NativeVerifier {
    inner: Verifier,
    functions: Arc<JsFunctions>,
    fail_closed: bool,
}

// The request context arrives as five flattened arguments (see `context`).
#[allow(clippy::too_many_arguments)]
#[napi]
impl NativeVerifier {
    /// `config`: the options with the JS-only `sink` removed, as JSON text (camelCase or
    /// snake_case names);
    /// `builtin_sinks`: `"stdout"` / `{ file }` specs; `functions`: JS sink functions, each
    /// receiving the record's JSON text.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        config: String,
        builtin_sinks: Vec<Value>,
        functions: Vec<FunctionRef<String, UnknownReturnValue>>,
    ) -> Result<Self> {
        let functions = JsFunctions::new(functions);
        let build = || -> std::result::Result<Self, ConfigError> {
            let (config, spelling) = config::parse(&config)?;
            let fail_closed = config.audit_fail_closed;
            let mut builder = Verifier::builder().config(config);
            for spec in &builtin_sinks {
                let sink = builtin_sink(spec)?.ok_or_else(|| ConfigError {
                    option: "sink".into(),
                    message: "must be a function, \"stdout\", { file: path }, or an array of those"
                        .into(),
                })?;
                builder = builder.shared_sink(sink);
            }
            for sink in functions.sinks() {
                builder = builder.sink(sink);
            }
            Ok(Self {
                inner: builder.build().map_err(|e| spelling.apply(e))?,
                functions: functions.clone(),
                fail_closed,
            })
        };
        build().map_err(|e| config_error(&env, &e))
    }

    /// Verifies a token on the JS thread (sinks run before this returns).
    #[napi]
    pub fn verify(
        &self,
        env: Env,
        token: Either<String, Uint8Array>,
        correlation_id: Option<String>,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
        user_agent: Option<String>,
    ) -> VerifyOutput {
        let ctx = context(correlation_id, client_ip, method, path, user_agent);
        let _js = OnJsThread::enter(&env);
        VerifyOutput::from(&self.inner.verify(token_bytes(&token), &ctx))
    }

    /// Verifies a token on the libuv thread pool; JS sinks receive the record when the promise
    /// settles (see `sinks`).
    #[napi(ts_return_type = "Promise<VerifyOutput>")]
    pub fn verify_async(
        &self,
        token: Either<String, Uint8Array>,
        correlation_id: Option<String>,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
        user_agent: Option<String>,
    ) -> AsyncTask<VerifyTask> {
        AsyncTask::new(VerifyTask {
            verifier: self.inner.clone(),
            functions: self.functions.clone(),
            token: token_bytes(&token).to_vec(),
            ctx: context(correlation_id, client_ip, method, path, user_agent),
        })
    }

    /// `true` when `verifyAsync` must verify on the JS thread: fail-closed auditing needs the
    /// verdict of the JS sinks before the decision.
    #[napi(getter)]
    pub fn needs_js_thread(&self) -> bool {
        self.fail_closed && !self.functions.is_empty()
    }

    /// Verifies an HTTP request: the `Authorization` header (RFC 6750 Bearer extraction in
    /// core), or a token taken from elsewhere (cookie, query) when `token` is given.
    #[napi]
    pub fn verify_request(
        &self,
        env: Env,
        authorization: Option<String>,
        token: Option<String>,
        correlation_id: Option<String>,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
        user_agent: Option<String>,
    ) -> NativeVerification {
        let ctx = context(correlation_id, client_ip, method, path, user_agent);
        let _js = OnJsThread::enter(&env);
        let inner = match token {
            Some(token) => self.inner.verify(token, &ctx),
            None => self
                .inner
                .verify_authorization(authorization.as_deref(), &ctx, None),
        };
        NativeVerification { inner }
    }

    /// Requires scopes and roles of an accepted verification; `null` when granted, else the
    /// denial (an `authz_fail` record, already handed to the sinks).
    #[napi]
    pub fn authorize(
        &self,
        env: Env,
        verification: &NativeVerification,
        scopes: Vec<String>,
        roles: Vec<String>,
    ) -> Option<NativeVerification> {
        let need = AuthzRequirement::new().scopes(scopes).roles(roles);
        let _js = OnJsThread::enter(&env);
        self.inner
            .authorize(&verification.inner, &need)
            .err()
            .map(|inner| NativeVerification { inner })
    }

    /// Counters as JSON (`accepted`, `rejected`, `by_kind`, `sink_errors`, ...).
    #[napi]
    pub fn stats(&self) -> String {
        let mut stats = self.inner.stats();
        stats.sink_errors += self.functions.late_failures();
        serde_json::to_string(&stats).unwrap_or_default()
    }

    /// Flushes every sink.
    #[napi]
    pub fn flush(&self, env: Env) {
        let _js = OnJsThread::enter(&env);
        self.inner.flush();
    }

    /// The verifier's name (as written in records).
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}

/// `verifyAsync`: the whole pipeline (signature included) on the libuv pool.
pub struct VerifyTask {
    verifier: Verifier,
    functions: Arc<JsFunctions>,
    token: Vec<u8>,
    ctx: RequestContext,
}

impl Task for VerifyTask {
    type Output = (Verification, Vec<(usize, Arc<jwt_audit::AuditRecord>)>);
    type JsValue = VerifyOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        let v = self.verifier.verify(&self.token, &self.ctx);
        Ok((v, sinks::take_deferred()))
    }

    fn resolve(&mut self, env: Env, (v, deferred): Self::Output) -> Result<VerifyOutput> {
        self.functions.deliver(&env, deferred);
        Ok(VerifyOutput::from(&v))
    }
}

/// The correlation id of a request: `X-Request-Id` when usable, else the trace id of a W3C
/// `traceparent`, else `null` (see `jwt_audit::http::correlation_id`).
#[napi]
pub fn correlation_id(x_request_id: Option<String>, traceparent: Option<String>) -> Option<String> {
    http::correlation_id(x_request_id.as_deref(), traceparent.as_deref())
}

/// A fresh, time-ordered correlation id (UUIDv7).
#[napi]
pub fn new_correlation_id() -> String {
    http::new_correlation_id()
}
